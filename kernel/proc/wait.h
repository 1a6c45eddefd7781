/*
 * wait4 options and the encoding of wait statuses (Linux values): exit
 * code in bits 8-15, or the number of the terminating signal in bits 0-6.
 */
#ifndef KERNEL_PROC_WAIT_H
#define KERNEL_PROC_WAIT_H

#define WNOHANG         1
#define WUNTRACED       2

#define W_EXITCODE(code)   (((code) & 0xff) << 8)
#define W_SIGNALED(sig)    ((sig) & 0x7f)

/* struct rusage (Linux asm-generic layout): two timevals and 14 longs. */
#define RUSAGE_SIZE     (2 * 16 + 14 * 8)

#endif
