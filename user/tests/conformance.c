/*
 * conformance: RISC-V behaviour QEMU forgives but real harts do not
 * (issue 6 points 9 and 10). Code written into a page by this process, by
 * write(), by a copy-on-write copy or into a reused frame must run as
 * written (Zifencei: the kernel fences instruction fetch before a page it
 * or a device wrote becomes executable). A store to a page brought in by a
 * load must take and reach the file (Svade: the kernel sets A and D).
 * The kernel's own bookkeeping of A/D and fence.i is checked at every boot
 * by pmap_selftest.
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define PLAN            12
#define PAGE            4096L
#define REUSE_ROUNDS    16
#define CHILDREN        4
#define AD_PAGES        64
#define CODE_OFF        64              /* where the function starts in a page */

/* RISC-V instructions (unprivileged spec, RV32I base: ADDI and JALR). */
#define RV_ADDI_A0_ZERO(imm)    ((((uint32_t)(imm) & 0xfff) << 20) | (10u << 7) | 0x13u)
#define RV_RET                  0x00008067u     /* jalr x0, 0(ra) */

typedef long (*leaf_fn)(void);

static const char path[] = "/tmp/conformance-code";

/* Write "a0 = value; return" at p (value fits ADDI's 12 signed bits). */
static void put_code(void *p, long value)
{
	uint32_t insn[2] = { RV_ADDI_A0_ZERO(value), RV_RET };

	memcpy(p, insn, sizeof(insn));
}

/* Call the function at p. */
static long call_at(void *p)
{
	leaf_fn fn;

	memcpy(&fn, &p, sizeof(fn));
	return fn();
}

/* Make the code file: one page, the function at CODE_OFF returning value. */
static int write_code_file(long value)
{
	static char page[PAGE];
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0755);

	if (fd < 0)
		return -1;
	memset(page, 0, sizeof(page));
	put_code(page + CODE_OFF, value);
	if (write(fd, page, PAGE) != PAGE) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Code written into anonymous memory, then made executable, runs; so does
 * new code written after making it writable again. */
static void test_fence_i_anon(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!tap_ok(p != MAP_FAILED, "fence_i_anon: map a page")) {
		tap_ok(0, "fence_i_anon_rewrite: skipped");
		return;
	}
	put_code(p + CODE_OFF, 100);
	mprotect(p, PAGE, PROT_READ | PROT_EXEC);
	tap_is(call_at(p + CODE_OFF), 100, "fence_i_anon: written code runs");
	mprotect(p, PAGE, PROT_READ | PROT_WRITE);
	put_code(p + CODE_OFF, 200);
	mprotect(p, PAGE, PROT_READ | PROT_EXEC);
	tap_is(call_at(p + CODE_OFF), 200,
	       "fence_i_anon_rewrite: rewritten code runs, not the old");
	munmap(p, PAGE);
}

/* Frames freed and allocated again: each round's code is its own. */
static void test_fence_i_reused_frame(void)
{
	int bad = 0;

	for (int i = 0; i < REUSE_ROUNDS; i++) {
		char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			bad++;
			continue;
		}
		put_code(p + CODE_OFF, 300 + i);
		mprotect(p, PAGE, PROT_READ | PROT_EXEC);
		if (call_at(p + CODE_OFF) != 300 + i)
			bad++;
		munmap(p, PAGE);
	}
	tap_is(bad, 0, "fence_i_reused_frame: %d rounds of map, write, run, "
	       "unmap", REUSE_ROUNDS);
}

/* Code that write() put into the page cache runs when mapped; after a
 * pwrite changes it, the new code runs. */
static void test_fence_i_file(void)
{
	int fd = write_code_file(400);
	char *p;

	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_EXEC,
				       MAP_PRIVATE, fd, 0);
	tap_is(p != MAP_FAILED ? call_at(p + CODE_OFF) : -1, 400,
	       "fence_i_file_pagein: code written with write() runs");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	if (fd >= 0) {
		uint32_t insn = RV_ADDI_A0_ZERO(500);

		pwrite(fd, &insn, sizeof(insn), CODE_OFF);
	}
	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_EXEC,
				       MAP_PRIVATE, fd, 0);
	tap_is(p != MAP_FAILED ? call_at(p + CODE_OFF) : -1, 500,
	       "fence_i_file_rewrite: code changed by pwrite runs");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	if (fd >= 0)
		close(fd);
}

/* A store into a private executable file mapping copies the page; the
 * copy's new code runs and the file keeps the old. */
static void test_fence_i_cow(void)
{
	int fd = write_code_file(600);
	uint32_t insn = 0;
	char *p;

	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE,
				       PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED && call_at(p + CODE_OFF) == 600)
		put_code(p + CODE_OFF, 700);
	tap_is(p != MAP_FAILED ? call_at(p + CODE_OFF) : -1, 700,
	       "fence_i_cow_text: the copy-on-write copy's code runs");
	if (fd >= 0)
		pread(fd, &insn, sizeof(insn), CODE_OFF);
	tap_is(insn, RV_ADDI_A0_ZERO(600),
	       "fence_i_cow_text: the file keeps its code");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	if (fd >= 0)
		close(fd);
}

/* Children (on any hart) map the code file and run it. */
static void test_fence_i_children(void)
{
	int fd = write_code_file(800), ok = 0, status;

	for (int i = 0; i < CHILDREN && fd >= 0; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			char *p = mmap(NULL, PAGE, PROT_READ | PROT_EXEC,
				       MAP_PRIVATE, fd, 0);

			_exit(p != MAP_FAILED && call_at(p + CODE_OFF) == 800 ?
			      0 : 1);
		}
	}
	for (int i = 0; i < CHILDREN && fd >= 0; i++)
		if (wait(&status) > 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok++;
	tap_is(ok, CHILDREN, "fence_i_children: %d children run the file's "
	       "code", CHILDREN);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

/* Load first (a clean mapping), then store: the store must complete (no
 * endless fault on hardware that faults on a clear D) and stick. */
static void test_ad_anon(void)
{
	volatile char *p = mmap(NULL, AD_PAGES * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long sum = 0, bad = 0;

	if (p == MAP_FAILED) {
		tap_ok(0, "ad_store_after_load: map");
		return;
	}
	for (long i = 0; i < AD_PAGES; i++)
		sum += p[i * PAGE];
	for (long i = 0; i < AD_PAGES; i++)
		p[i * PAGE + 1] = (char)(i + 1);
	for (long i = 0; i < AD_PAGES; i++)
		bad += p[i * PAGE + 1] != (char)(i + 1);
	tap_ok(sum == 0 && bad == 0, "ad_store_after_load: %d pages loaded, "
	       "then stored, hold the stores", AD_PAGES);
	munmap((void *)p, AD_PAGES * PAGE);
}

/* A shared file page brought in by a load, then stored to: the store is
 * the file's (the page is known modified) after msync. */
static void test_ad_shared(void)
{
	int fd = write_code_file(0);
	volatile char *p;
	char c = 0, first;

	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap_ok(0, "ad_shared_store_after_load: map");
		tap_ok(0, "ad_shared_store_after_load: skipped");
		if (fd >= 0)
			close(fd);
		return;
	}
	first = p[PAGE - 1];
	p[PAGE - 1] = 'D';
	tap_is(msync((void *)p, PAGE, MS_SYNC), 0,
	       "ad_shared_store_after_load: msync");
	pread(fd, &c, 1, PAGE - 1);
	tap_ok(first == 0 && c == 'D',
	       "ad_shared_store_after_load: the store reached the file");
	munmap((void *)p, PAGE);
	close(fd);
	unlink(path);
}

int main(void)
{
	tap_plan(PLAN);
	test_fence_i_anon();
	test_fence_i_reused_frame();
	test_fence_i_file();
	test_fence_i_cow();
	test_fence_i_children();
	test_ad_anon();
	test_ad_shared();
	return tap_done();
}
