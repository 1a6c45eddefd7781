/*
 * poweroff: flush the file systems and turn the machine off
 * (reboot(LINUX_REBOOT_CMD_POWER_OFF)).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	fprintf(stderr, "poweroff: %s\n", strerror(errno));
	return 1;
}
