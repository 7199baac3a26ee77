"""ELF loader: what it loads is checked against binutils (readelf/nm) and qemu's view of the
program; what it refuses is checked on malformed or foreign files, each with a message that
names the problem."""
import re
import shutil
import struct
import subprocess

import pytest
from cyclesim.process.memory import GuestMemory
from process_support import build, run_qemu

from cyclesim.errors import CyclesimError, ProgramError
from cyclesim.process.kernel import Process
from cyclesim.process.loader import PIE_BASE, load_elf

HELLO = r"""
#include <stdio.h>
int counter = 7;                 /* .data */
static char zeros[100000];       /* .bss */
int main(void) { printf("hello %d %d\n", counter, zeros[99999]); return 0; }
"""


@pytest.fixture(scope="module")
def hello():
    return build(HELLO, "-O2", "-static", name="hello")


def readelf(*args):
    return subprocess.run(["riscv64-linux-gnu-readelf", *args], check=True,
                          capture_output=True, text=True).stdout


def load_segments(elf):
    """PT_LOAD rows of readelf -lW: (offset, vaddr, filesz, memsz, flags)."""
    rows = []
    for line in readelf("-lW", str(elf)).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            rows.append((int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[5], 16),
                         "".join(f[6:-1])))
    return rows


def test_segments_entry_and_permissions_match_readelf(hello):
    p = Process(hello)
    data = hello.read_bytes()
    entry = int(re.search(r"Entry point address:\s+(0x[0-9a-f]+)", readelf("-h", str(hello)))[1], 16)
    assert p.entry == entry
    segs = load_segments(hello)
    assert len(segs) == 2
    for offset, vaddr, filesz, memsz, flags in segs:
        assert p.memory.read(vaddr, filesz, check=False) == data[offset:offset + filesz]
        assert p.memory.read(vaddr + filesz, memsz - filesz, check=False) == bytes(memsz - filesz)
        want = (1 if "R" in flags else 0) | (2 if "W" in flags else 0) | (4 if "E" in flags else 0)
        assert p.memory.prot_at(vaddr) == want
        assert p.memory.prot_at(vaddr + memsz - 1) == want
    # nothing is mapped just below the image (the first page of the address space is free)
    assert p.memory.prot_at(0) == 0


def test_symbols_match_nm(hello):
    p = Process(hello)
    nm = subprocess.run(["riscv64-linux-gnu-nm", str(hello)], check=True, capture_output=True,
                        text=True).stdout
    table = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3:
            table.setdefault(f[2], int(f[0], 16))
    for name in ("main", "printf", "_start", "counter", "__libc_start_main"):
        assert p.symbols[name] == table[name], name
    assert any(name == "main" and size > 0 for _, size, name in p.functions)


def test_program_break_starts_where_qemu_puts_it(hello):
    r = subprocess.run([shutil.which("qemu-riscv64"), "-strace", str(hello)],
                       capture_output=True, text=True, timeout=60, check=False)
    first_brk = int(re.search(r"brk\(NULL\) = (0x[0-9a-f]+)", r.stdout + r.stderr)[1], 16)
    p = Process(hello)
    assert p.vm.brk == first_brk


def test_program_given_as_bytes(hello):
    p = Process(hello.read_bytes(), program_name="hello")
    assert p.argv == ["hello"]
    assert p.path == "/hello"
    assert p.entry == Process(hello).entry


PIE_SRC = r"""
    .text
    .globl _start
    .type _start, @function
_start:
    li a0, 1
    lla a1, message
    li a2, 6
    li a7, 64
    ecall
    li a0, 5
    li a7, 93
    ecall
    .size _start, .-_start
    .section .rodata
    .type message, @object
message:
    .ascii "hello\n"
    .size message, 6
"""


def test_static_pie_is_loaded_at_the_pie_base(tmp_path):
    src = tmp_path / "pie.s"
    src.write_text(PIE_SRC)
    elf = tmp_path / "pie"
    subprocess.run(["riscv64-linux-gnu-gcc", "-nostdlib", "-static-pie", "-Wl,--no-dynamic-linker",
                    "-o", str(elf),
                    str(src)], check=True, capture_output=True)
    code, out, _ = run_qemu(elf)
    assert (code, out) == (5, b"hello\n")          # it is a working program
    p = Process(elf)
    assert p.image.is_pie and p.image.load_bias == PIE_BASE - 0 == PIE_BASE
    link_entry = int(re.search(r"Entry point address:\s+(0x[0-9a-f]+)",
                               readelf("-h", str(elf)))[1], 16)
    assert p.entry == PIE_BASE + link_entry
    assert p.symbols["_start"] == p.entry
    assert p.memory.read(p.symbols["message"], 6) == b"hello\n"
    assert PIE_BASE % 4096 == 0


def test_headers_outside_every_segment_get_a_page_of_their_own(hello, tmp_path):
    data = bytearray(hello.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    headers = bytes(data[phoff:phoff + 56 * phnum])
    struct.pack_into("<Q", data, 32, len(data))        # move them past every segment
    data += headers
    mem = GuestMemory(1 << 28)
    image = load_elf(mem, bytes(data), "moved")
    assert mem.read(image.phdr_addr, len(headers)) == headers
    normal = load_elf(GuestMemory(1 << 28), hello.read_bytes(), "hello")
    assert normal.phdr_addr == 0x10000 + phoff       # inside the first PT_LOAD, as usual


# -- refusals -----------------------------------------------------------------------------

def refused(program, *words):
    with pytest.raises(ProgramError) as info:
        Process(program)
    msg = str(info.value)
    assert isinstance(info.value, CyclesimError)
    for w in words:
        assert w.lower() in msg.lower(), msg
    assert "\n" not in msg, msg
    return msg


def test_missing_file_and_directory(tmp_path):
    refused(tmp_path / "nope", "not found")
    refused(tmp_path, "directory")


def test_text_file_and_empty_file(tmp_path):
    t = tmp_path / "notes.txt"
    t.write_text("just some text\n")
    refused(t, "not an ELF")
    e = tmp_path / "empty"
    e.write_bytes(b"")
    refused(e, "empty")
    s = tmp_path / "script.sh"
    s.write_text("#!/bin/sh\necho hi\n")
    refused(s, "script")


def test_truncated_files(hello, tmp_path):
    data = hello.read_bytes()
    for n, word in ((30, "truncated"), (2000, "truncated"), (len(data) - 100, "truncated")):
        t = tmp_path / f"cut{n}"
        t.write_bytes(data[:n])
        refused(t, word)


def test_corrupt_header_bytes(hello, tmp_path):
    data = bytearray(hello.read_bytes())
    bad = bytearray(data)
    bad[4] = 7                                           # EI_CLASS
    (tmp_path / "class").write_bytes(bad)
    refused(tmp_path / "class", "corrupt")
    bad = bytearray(data)
    struct.pack_into("<H", bad, 54, 40)                  # e_phentsize
    (tmp_path / "phent").write_bytes(bad)
    refused(tmp_path / "phent", "program headers")
    bad = bytearray(data)
    struct.pack_into("<Q", bad, 32, len(data) - 10)     # e_phoff near the end
    (tmp_path / "phoff").write_bytes(bad)
    refused(tmp_path / "phoff", "truncated or corrupt")
    bad = bytearray(data)
    struct.pack_into("<Q", bad, 24, 0x12)                # entry outside any segment
    (tmp_path / "entry").write_bytes(bad)
    refused(tmp_path / "entry", "entry point")


def test_foreign_machines(tmp_path):
    true = shutil.which("true")
    with open(true, "rb") as f:
        if f.read(4) == b"\x7fELF":
            refused(true, "x86-64", "not RISC-V")
    # a big-endian header with the RISC-V machine number
    data = bytearray(64)
    data[:7] = b"\x7fELF\x02\x02\x01"
    struct.pack_into(">HHI", data, 16, 2, 243, 1)
    (tmp_path / "be").write_bytes(data)
    refused(tmp_path / "be", "big-endian")


def test_32bit_riscv(tmp_path):
    src = tmp_path / "x.c"
    src.write_text("int f(int a) { return a + 1; }\n")
    obj = tmp_path / "x32.o"
    subprocess.run(["riscv64-linux-gnu-gcc", "-march=rv32imac", "-mabi=ilp32", "-c", "-o",
                    str(obj), str(src)], check=True, capture_output=True)
    refused(obj, "32-bit")


def test_dynamic_and_object_files(tmp_path):
    dyn = build(HELLO, "-O2", name="hello-dynamic")
    refused(dyn, "dynamically linked", "-static")
    src = tmp_path / "y.c"
    src.write_text("int g(void) { return 3; }\n")
    obj = tmp_path / "y.o"
    subprocess.run(["riscv64-linux-gnu-gcc", "-c", "-o", str(obj), str(src)], check=True)
    refused(obj, "object file")


def test_memory_limit_too_small_for_the_image():
    big = build("char big[8 << 20] = {1}; int main(void) { return big[5]; }", "-O2",
                "-static", name="big")
    with pytest.raises(ProgramError, match="mem_limit"):
        Process(big, mem_limit=1 << 20)


def test_program_of_the_wrong_type():
    with pytest.raises(ProgramError, match="path"):
        Process(42)


def test_damaged_headers_load_or_are_refused_never_crash(hello):
    """Random byte changes in the ELF and program headers: the loader either loads the
    file or raises ProgramError, never another exception."""
    import random
    data = hello.read_bytes()
    rng = random.Random(7)
    for _ in range(200):
        d = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            d[rng.randrange(0, 64 + 56 * 7)] = rng.randrange(256)
        try:
            Process(bytes(d), program_name="damaged", mem_limit=64 << 20)
        except ProgramError:
            pass
