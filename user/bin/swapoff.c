/*
 * swapoff: disable swapping on a block device (swapoff(2)): every page on
 * it is brought back into memory first, or swapoff fails (ENOMEM) and
 * the device stays on with nothing lost.
 *
 *   swapoff DEVICE    e.g. swapoff /dev/vdb
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: swapoff DEVICE\n");
		return 2;
	}
	if (swapoff(argv[1]) < 0) {
		fprintf(stderr, "swapoff: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
