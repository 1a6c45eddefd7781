/*
 * The kernel command line: the DTB's /chosen "bootargs" (QEMU -append),
 * copied once at boot. Any kernel code may query it after bootargs_init;
 * the words are fixed from then on, so queries take no lock.
 */
#ifndef KERNEL_LIB_BOOTARGS_H
#define KERNEL_LIB_BOOTARGS_H

#include "kernel/types.h"

#define BOOTARGS_MAX    256     /* bytes of command line kept, with the NUL */
#define BOOTARGS_WORDS  32      /* words (name or name=value) kept */

/*
 * Copy /chosen "bootargs" out of the device tree and split it into words
 * separated by spaces or tabs: `name=value` or a bare `name`. A line longer
 * than BOOTARGS_MAX - 1 bytes or with more than BOOTARGS_WORDS words is cut,
 * with a console warning. Prints the line when it is not empty.
 * => boot hart only, after dtb_init and before other harts start.
 */
void bootargs_init(void);

/* The whole command line as given ("" if none). */
const char *bootargs_cmdline(void);

/*
 * The value of the last word `name=value`, "" for a bare `name`, or NULL
 * if name does not appear. The string lives as long as the kernel.
 */
const char *bootarg_get(const char *name);

/*
 * A yes/no option: `name=on|yes|1|true` or a bare `name` give true,
 * `name=off|no|0|false` give false; an absent name gives dflt, and so does
 * any other value (with a console warning).
 */
bool bootarg_bool(const char *name, bool dflt);

/*
 * A decimal option `name=N` with min <= N <= max (e.g. vm.overcommit_memory=2).
 * An absent name gives dflt, and so does a value that is not such a
 * number (with a console warning).
 */
long bootarg_int(const char *name, long dflt, long min, long max);

#endif
