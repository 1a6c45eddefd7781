/*
 * <sys/reboot.h> for Pagoda: reboot(2) commands with the Linux values.
 * reboot(cmd) passes the two Linux magic numbers for the caller.
 */
#ifndef _PAGODA_SYS_REBOOT_H
#define _PAGODA_SYS_REBOOT_H

#include <sys/cdefs.h>

#define LINUX_REBOOT_MAGIC1      0xfee1dead
#define LINUX_REBOOT_MAGIC2      672274793
#define LINUX_REBOOT_CMD_RESTART   0x01234567
#define LINUX_REBOOT_CMD_HALT      0xCDEF0123
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDC

#define RB_AUTOBOOT  LINUX_REBOOT_CMD_RESTART
#define RB_HALT_SYSTEM LINUX_REBOOT_CMD_HALT
#define RB_POWER_OFF LINUX_REBOOT_CMD_POWER_OFF

__BEGIN_DECLS
int reboot(int cmd);
__END_DECLS

#endif
