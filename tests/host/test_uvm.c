/*
 * Host unit test of the user-level virtual memory library
 * (user/lib/uvm.c) on Linux: the in-QEMU suite user/tests/uvm.c, built
 * for the host. The library uses only POSIX calls, so the same cases
 * must pass here as on Pagoda. Prints TAP.
 */
#define UVM_HOST_TEST
#include "user/tests/uvm.c"
