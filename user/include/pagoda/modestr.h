/*
 * The ten-character mode text of `ls -l` and `stat` ("drwxr-xr-x",
 * "crw-rw-rw-"): one copy for both programs.
 */
#ifndef PAGODA_MODESTR_H
#define PAGODA_MODESTR_H

#include <sys/types.h>

/* Write the file type letter and the nine permission letters of mode,
 * then a NUL, to out (11 bytes). */
void pg_mode_string(mode_t mode, char out[11]);

#endif
