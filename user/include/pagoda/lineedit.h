/*
 * Line editing for interactive programs (Pagoda's sh): reads one line from
 * standard input.  On a terminal it switches to raw mode and handles
 * left/right arrows, Home/End, backspace/delete, Ctrl-A/E/U/K/L, history
 * with up/down, Ctrl-C (drops the line), Ctrl-D (end of input on an empty
 * line).  Otherwise it reads plain bytes up to the newline, never past it,
 * so commands that share stdin see the rest.
 */
#ifndef _PAGODA_LINEEDIT_H
#define _PAGODA_LINEEDIT_H

#include <stddef.h>

#define LINEEDIT_HISTORY 64	/* lines remembered */

/*
 * Print prompt (if not NULL) on stderr and read a line into buf (size
 * bytes, NUL-terminated, without the newline).  Returns its length, or -1
 * at end of input.
 */
int lineedit_read(const char *prompt, char *buf, size_t size);

/* Put the terminal back as it was (before exiting). */
void lineedit_done(void);

#endif
