"""The initial user stack, laid out the way Linux's ELF loader builds it.

From the top of the stack mapping down:

    8 zero bytes                  (the top word is left empty, as Linux does)
    execfn string                 (AT_EXECFN points here)
    envp strings, argv strings    (argv[0] lowest; each NUL-terminated)
    padding to 16 bytes
    16 random bytes               (AT_RANDOM; glibc takes the stack guard from them)
    padding so that sp is 16-byte aligned
    auxv pairs ... AT_NULL
    envp pointers, NULL
    argv pointers, NULL
    argc                          <- sp
"""
from __future__ import annotations

import struct

# Auxiliary vector keys (include/uapi/linux/auxvec.h).
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE = 0, 3, 4, 5, 6, 7
AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID = 8, 9, 11, 12, 13, 14
AT_PLATFORM, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_RANDOM, AT_EXECFN = 15, 16, 17, 23, 25, 31

# RISC-V Linux reports each single-letter extension X as bit (X - 'A') of AT_HWCAP.
HWCAP_RV64IMAFDC = sum(1 << (ord(c) - ord("A")) for c in "IMAFDC")
CLOCK_TICKS = 100


def build_stack(memory, top: int, argv: list[bytes], envp: list[bytes], execfn: bytes,
                random16: bytes, aux: list[tuple[int, int]]) -> tuple[int, dict]:
    """Write the initial stack just below `top` (the end of an already mapped stack) and
    return (sp, addresses) where addresses holds the guest addresses of the strings.
    `aux` holds the auxv entries that do not point into the stack, in order; AT_RANDOM
    and AT_EXECFN are added here, then AT_NULL."""
    if len(random16) != 16:
        raise ValueError("AT_RANDOM needs exactly 16 bytes")
    p = top - 8
    p -= len(execfn) + 1
    execfn_addr = p
    memory.write(p, execfn + b"\0", check=False)
    # envp strings above argv strings; copy the blocks in one write each.
    env_block = b"".join(s + b"\0" for s in envp)
    p -= len(env_block)
    env_base = p
    memory.write(p, env_block, check=False)
    arg_block = b"".join(s + b"\0" for s in argv)
    p -= len(arg_block)
    arg_base = p
    memory.write(p, arg_block, check=False)

    p &= ~0xF
    p -= 16
    random_addr = p
    memory.write(p, random16, check=False)

    auxv = list(aux) + [(AT_RANDOM, random_addr), (AT_EXECFN, execfn_addr), (AT_NULL, 0)]
    words = 1 + (len(argv) + 1) + (len(envp) + 1) + 2 * len(auxv)
    sp = (p - 8 * words) & ~0xF

    argv_ptrs, a = [], arg_base
    for s in argv:
        argv_ptrs.append(a)
        a += len(s) + 1
    envp_ptrs, a = [], env_base
    for s in envp:
        envp_ptrs.append(a)
        a += len(s) + 1
    table = [len(argv)] + argv_ptrs + [0] + envp_ptrs + [0]
    for key, value in auxv:
        table += [key, value]
    memory.write(sp, struct.pack(f"<{len(table)}Q", *table), check=False)
    return sp, {"argv": argv_ptrs, "envp": envp_ptrs, "execfn": execfn_addr,
                "random": random_addr, "auxv": auxv}
