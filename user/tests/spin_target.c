/*
 * spin_target: the program /tests/execshare starts 8 copies of. Its text
 * segment carries 512 KiB of read-only data, which it reads page by page
 * so that all of it is resident; it writes every page of a 64 KiB .data
 * array (private copies); then it reports on fd argv[1] and waits for EOF
 * on fd argv[2] before it exits 0. Run without arguments, it exits 2.
 */
#include "spin_target.h"

#include <stdlib.h>
#include <unistd.h>

#define EXIT_USAGE   2
#define EXIT_IO      3

/* Not all zero, so it stays in .rodata (and so in the file). */
static const unsigned char blob[SPIN_BLOB_BYTES] __attribute__((aligned(SPIN_PAGE))) = { 1, 2, 3, 4 };
static unsigned char data[SPIN_DATA_BYTES] __attribute__((aligned(SPIN_PAGE))) = { 5 };

int main(int argc, char **argv)
{
	struct spin_report r;
	const volatile unsigned char *b = blob;
	char c;

	if (argc < 3)
		return EXIT_USAGE;
	int ready = atoi(argv[1]), go = atoi(argv[2]);
	r.sum = 0;
	for (long i = 0; i < SPIN_BLOB_BYTES; i += SPIN_PAGE)
		r.sum += b[i];
	for (long i = 0; i < SPIN_DATA_BYTES; i += SPIN_PAGE)
		((volatile unsigned char *)data)[i] = (unsigned char)(i / SPIN_PAGE + 1);
	r.pid = getpid();
	r.blob = (unsigned long)blob;
	r.blob_end = r.blob + SPIN_BLOB_BYTES;
	r.data = (unsigned long)data;
	r.data_end = r.data + SPIN_DATA_BYTES;
	if (write(ready, &r, sizeof(r)) != sizeof(r))
		return EXIT_IO;
	while (read(go, &c, 1) > 0)
		;
	return 0;
}
