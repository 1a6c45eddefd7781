#!/usr/bin/env python3
"""Emit the kernel's function symbol table as assembly for panic backtraces.

With no argument it emits an empty table (the first link). With the path of a
linked kernel it lists every text symbol, sorted by address, as
`struct ksym { uint64_t addr; uint32_t name_off; uint32_t pad; }` entries
followed by one string blob. kernel/lib/printk.c reads ksyms_table.
"""
import subprocess
import sys


def text_symbols(path):
    out = subprocess.run(["riscv64-unknown-elf-nm", "-n", path],
                         check=True, capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW" and not parts[2].startswith("."):
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def main():
    syms = text_symbols(sys.argv[1]) if len(sys.argv) > 1 else []
    print("\t.section .rodata.ksyms, \"a\"")
    print("\t.balign 8")
    print("\t.globl ksyms_count\nksyms_count:\n\t.quad %d" % len(syms))
    print("\t.globl ksyms_table\nksyms_table:")
    off = 0
    for addr, name in syms:
        print("\t.quad 0x%x\n\t.word %d, 0" % (addr, off))
        off += len(name) + 1
    print("\t.globl ksyms_strings\nksyms_strings:")
    for _, name in syms:
        print("\t.asciz \"%s\"" % name)


if __name__ == "__main__":
    main()
