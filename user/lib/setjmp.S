/*
 * _setjmp/_longjmp (POSIX): setjmp/longjmp that leave the signal mask
 * alone.  picolibc's setjmp never saves the mask, so these are tail jumps
 * to it: ra and sp still belong to our caller, which is what setjmp saves.
 */
	.text
	.globl	_setjmp
	.type	_setjmp, @function
_setjmp:
	tail	setjmp
	.size	_setjmp, . - _setjmp

	.globl	_longjmp
	.type	_longjmp, @function
_longjmp:
	tail	longjmp
	.size	_longjmp, . - _longjmp

	.section .note.GNU-stack,"",@progbits
