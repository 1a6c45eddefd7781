/*
 * ELF64 file format: the file header, program headers and auxiliary vector
 * types execve needs (System V gABI "ELF-64 Object File Format" and the
 * RISC-V ELF psABI). Only kernel/proc/exec.c includes it.
 */
#ifndef KERNEL_PROC_ELF_H
#define KERNEL_PROC_ELF_H

#include "kernel/types.h"

/* e_ident */
#define EI_NIDENT       16
#define EI_MAG0         0
#define EI_CLASS        4
#define EI_DATA         5
#define EI_VERSION      6
#define ELFMAG          "\177ELF"
#define SELFMAG         4
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EV_CURRENT      1

/* e_type */
#define ET_EXEC         2
#define ET_DYN          3

/* e_machine */
#define EM_RISCV        243

/* p_type */
#define PT_NULL         0
#define PT_LOAD         1
#define PT_DYNAMIC      2
#define PT_INTERP       3
#define PT_PHDR         6

/* p_flags */
#define PF_X            0x1
#define PF_W            0x2
#define PF_R            0x4

typedef struct {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;       /* file offset of the program headers */
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;      /* file offset of the segment */
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;      /* bytes in the file */
	uint64_t p_memsz;       /* bytes in memory (>= p_filesz) */
	uint64_t p_align;
} Elf64_Phdr;

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 file header");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header");

/* Auxiliary vector types (Linux include/uapi/linux/auxvec.h). */
#define AT_NULL         0
#define AT_PHDR         3
#define AT_PHENT        4
#define AT_PHNUM        5
#define AT_PAGESZ       6
#define AT_BASE         7
#define AT_FLAGS        8
#define AT_ENTRY        9
#define AT_UID          11
#define AT_EUID         12
#define AT_GID          13
#define AT_EGID         14
#define AT_HWCAP        16
#define AT_CLKTCK       17
#define AT_SECURE       23
#define AT_RANDOM       25
#define AT_EXECFN       31

#endif
