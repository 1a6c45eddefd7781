/*
 * stat file...: print the fields of struct stat for each file in
 * coreutils' layout: its type ("character special file"), the device it
 * is on and, for a device node, its own numbers ("Device type: 1,3").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <pagoda/modestr.h>

static const char *stat_type(unsigned mode, long size)
{
	if (S_ISREG(mode)) return size == 0 ? "regular empty file" : "regular file";
	if (S_ISDIR(mode)) return "directory";
	if (S_ISLNK(mode)) return "symbolic link";
	if (S_ISCHR(mode)) return "character special file";
	if (S_ISBLK(mode)) return "block special file";
	if (S_ISFIFO(mode)) return "fifo";
	if (S_ISSOCK(mode)) return "socket";
	return "unknown";
}

static void stat_time(const char *label, const struct timespec *ts)
{
	char buf[64];
	time_t t = ts->tv_sec;

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", gmtime(&t));
	printf("%s: %s.%09ld UTC\n", label, buf, ts->tv_nsec);
}

static void stat_print(const char *path, const struct stat *st)
{
	char mode[11];

	printf("  File: %s\n", path);
	printf("  Size: %-10ld Blocks: %-10ld IO Block: %-6d %s\n", st->st_size,
	       st->st_blocks, st->st_blksize, stat_type(st->st_mode, st->st_size));
	printf("Device: %u,%u\tInode: %-11lu Links: %-5u", major(st->st_dev),
	       minor(st->st_dev), st->st_ino, st->st_nlink);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		printf(" Device type: %u,%u", major(st->st_rdev), minor(st->st_rdev));
	printf("\n");
	pg_mode_string(st->st_mode, mode);
	printf("Access: (%04o/%s)  Uid: %u  Gid: %u\n", st->st_mode & 07777, mode,
	       st->st_uid, st->st_gid);
	stat_time("Access", &st->st_atim);
	stat_time("Modify", &st->st_mtim);
	stat_time("Change", &st->st_ctim);
}

int main(int argc, char **argv)
{
	struct stat st;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: stat file...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (lstat(argv[i], &st) < 0) {
			fprintf(stderr, "stat: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		stat_print(argv[i], &st);
	}
	return status;
}
