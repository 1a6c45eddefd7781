/*
 * swapon: enable swapping on a block device (swapon(2)), or show the
 * swap devices.
 *
 *   swapon DEVICE     e.g. swapon /dev/vdb (the disk must carry a mkswap
 *                     header)
 *   swapon -s         print /proc/swaps (also with no argument)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#define SWAPS_PATH  "/proc/swaps"
#ifndef ENOTBLK
#define ENOTBLK     15  /* Linux's; picolibc has it only with __LINUX_ERRNO_EXTENSIONS__ */
#endif

/* Copy /proc/swaps to standard output. Returns the exit status. */
static int show_swaps(void)
{
	char buf[512];
	ssize_t n;
	int fd = open(SWAPS_PATH, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "swapon: %s: %s\n", SWAPS_PATH, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "-s") == 0))
		return show_swaps();
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: swapon DEVICE | swapon -s\n");
		return 2;
	}
	if (swapon(argv[1], 0) < 0) {
		/* picolibc's strerror has no text for ENOTBLK */
		fprintf(stderr, "swapon: %s: %s\n", argv[1],
			errno == ENOTBLK ? "Block device required" : strerror(errno));
		return 1;
	}
	return 0;
}
