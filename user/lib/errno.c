/*
 * The errno bridge: the kernel returns Linux errno numbers; picolibc's
 * strerror/perror and <errno.h> use newlib's numbering, which agrees only
 * up to ERANGE (34).  Every system-call wrapper goes through pg_sysret.
 */
#include <errno.h>
#include "pagoda.h"

/* Linux numbers above ERANGE, from include/uapi/asm-generic/errno.h. */
static const struct {
	unsigned char linux_no;
	unsigned char pico_no;
} errno_map[] = {
	{ 35, EDEADLK },  { 36, ENAMETOOLONG }, { 37, ENOLCK },
	{ 38, ENOSYS },   { 39, ENOTEMPTY },    { 40, ELOOP },
	{ 42, ENOMSG },   { 43, EIDRM },        { 61, ENODATA },
	{ 62, ETIME },    { 71, EPROTO },       { 74, EBADMSG },
	{ 75, EOVERFLOW },      { 84, EILSEQ },
	{ 88, ENOTSOCK }, { 95, EOPNOTSUPP },   { 104, ECONNRESET },
	{ 110, ETIMEDOUT }, { 111, ECONNREFUSED }, { 116, ESTALE },
	{ 122, EDQUOT },  { 125, ECANCELED },
};

#define LINUX_ERANGE 34

/* Map a Linux errno to picolibc's; unknown numbers become EIO. */
int pg_errno_from_linux(int e)
{
	if (e > 0 && e <= LINUX_ERANGE)
		return e;
	for (unsigned i = 0; i < sizeof(errno_map) / sizeof(errno_map[0]); i++)
		if (errno_map[i].linux_no == e)
			return errno_map[i].pico_no;
	return EIO;
}

long pg_sysret(long r)
{
	if (r < 0 && r >= -PG_MAX_ERRNO) {
		errno = pg_errno_from_linux((int)-r);
		return -1;
	}
	return r;
}
