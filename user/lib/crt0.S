/*
 * Pagoda user program entry.  The kernel starts _start with sp at the Linux
 * initial stack: argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
 * _start sets gp, carves the static TLS block (picolibc's errno lives
 * there) off the stack, points tp at it, then calls pg_start in C.
 */
	.section .text._start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	s0, sp			/* s0 = &argc, kept across the calls */
	la	t0, __tls_size
	sub	sp, sp, t0
	andi	sp, sp, -64		/* TLS block, aligned beyond __tls_align */
	mv	a0, sp
	call	_init_tls		/* copy .tdata, zero .tbss */
	mv	a0, sp
	call	_set_tls		/* tp = block */
	mv	a0, s0
	call	pg_start		/* does not return */
1:	j	1b
	.size _start, . - _start
