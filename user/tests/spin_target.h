/*
 * The report /tests/spin_target writes to /tests/execshare when a copy has
 * touched its memory, and the sizes both programs agree on.
 */
#ifndef PAGODA_TESTS_SPIN_TARGET_H
#define PAGODA_TESTS_SPIN_TARGET_H

#define SPIN_PAGE        4096
#define SPIN_BLOB_BYTES  (512 * 1024)   /* read-only data in the text segment */
#define SPIN_DATA_BYTES  (64 * 1024)    /* .data each copy writes */

/* One write, smaller than PIPE_BUF, so reports never interleave. */
struct spin_report {
	long pid;
	unsigned long blob, blob_end;   /* the read-only data, in the text VMA */
	unsigned long data, data_end;   /* the written .data array */
	unsigned long sum;              /* of the blob's page-first bytes */
};

#endif
