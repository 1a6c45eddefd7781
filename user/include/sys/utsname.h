/*
 * <sys/utsname.h> for Pagoda: struct utsname as Linux lays it out
 * (six fields of 65 bytes, including the domain name).
 */
#ifndef _PAGODA_SYS_UTSNAME_H
#define _PAGODA_SYS_UTSNAME_H

#include <sys/cdefs.h>

#define _UTSNAME_LENGTH 65

struct utsname {
	char sysname[_UTSNAME_LENGTH];
	char nodename[_UTSNAME_LENGTH];
	char release[_UTSNAME_LENGTH];
	char version[_UTSNAME_LENGTH];
	char machine[_UTSNAME_LENGTH];
	char domainname[_UTSNAME_LENGTH];
};

__BEGIN_DECLS
int uname(struct utsname *u);
__END_DECLS

#endif
