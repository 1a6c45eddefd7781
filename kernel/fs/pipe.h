/*
 * Pipes: a ring of PIPE_SIZE bytes between a read end and a write end.
 * Readers block while it is empty and see end of file once every writer
 * is gone; writers block while it is full and get -EPIPE and SIGPIPE once
 * every reader is gone.
 */
#ifndef KERNEL_FS_PIPE_H
#define KERNEL_FS_PIPE_H

#include "kernel/types.h"

struct file;

/* Make a pipe: *rf reads, *wf writes, each with one reference. flags may
 * hold O_NONBLOCK. Returns 0 or -ENOMEM. */
int pipe_create(int flags, struct file **rf, struct file **wf);

#endif
