/*
 * pg_mode_string: the mode text `ls -l` and `stat` print (see
 * <pagoda/modestr.h>).
 */
#include <sys/stat.h>
#include <pagoda/modestr.h>

void pg_mode_string(mode_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char type = '-';

	if (S_ISDIR(mode)) type = 'd';
	else if (S_ISLNK(mode)) type = 'l';
	else if (S_ISCHR(mode)) type = 'c';
	else if (S_ISBLK(mode)) type = 'b';
	else if (S_ISFIFO(mode)) type = 'p';
	else if (S_ISSOCK(mode)) type = 's';
	out[0] = type;
	for (int i = 0; i < 9; i++)
		out[i + 1] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}
