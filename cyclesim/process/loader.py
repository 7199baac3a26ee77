"""ELF loader: checks a RISC-V Linux executable and copies its segments into guest memory.

Only what the Linux kernel itself does for a static program: map the PT_LOAD segments
(at their link addresses, or at a fixed base for a static PIE), zero the bss, and report
the entry point, where the program headers are (for AT_PHDR) and where the heap starts.
Everything that can go wrong is checked before anything is loaded, and reported as one
sentence naming the problem and what to do (`ProgramError`).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from cyclesim.errors import ProgramError

PROT_R, PROT_W, PROT_X = 1, 2, 4        # as in memory.pxd

PAGE = 4096
ADDRESS_SPACE = 1 << 38          # Sv39 user range, as GuestMemory covers
# Where a static PIE goes: two thirds of the address space, like Linux's ELF_ET_DYN_BASE
# for Sv39 (randomization off), rounded to a page.
PIE_BASE = (ADDRESS_SPACE // 3 * 2) & ~(PAGE - 1)

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
EM_RISCV = 243
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS = 1, 2, 3, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
EF_RISCV_RVE = 0x8

_MACHINES = {
    3: "x86 (i386)", 62: "x86-64", 40: "ARM (32-bit)", 183: "AArch64 (ARM64)",
    8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 22: "IBM S/390", 2: "SPARC",
    43: "SPARC V9", 258: "LoongArch", 50: "IA-64", 0: "no machine (EM_NONE)",
}

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")      # ELF64 header, little-endian
_PHDR = struct.Struct("<IIQQQQQQ")              # ELF64 program header


@dataclass
class Segment:
    """One PT_LOAD segment as loaded (addresses already relocated)."""
    vaddr: int
    memsz: int
    filesz: int
    offset: int
    prot: int


@dataclass
class ElfImage:
    """What the loader tells the process model about a loaded program."""
    entry: int                  # relocated entry point
    load_bias: int              # 0 for ET_EXEC, the base for a static PIE
    phdr_addr: int              # guest address of the program headers (AT_PHDR)
    phent: int                  # AT_PHENT
    phnum: int                  # AT_PHNUM
    start: int                  # lowest page of the image
    end: int                    # first page after the image (program break starts here)
    is_pie: bool
    exec_stack: bool            # PT_GNU_STACK asked for an executable stack
    segments: list = field(default_factory=list)
    symbols: dict = field(default_factory=dict)       # name -> address
    functions: list = field(default_factory=list)     # sorted (address, size, name)
    phdr_page: tuple | None = None  # (addr, size) of an extra mapping holding the headers


def _fail(name: str, what: str) -> None:
    raise ProgramError(f"{name}: {what}")


def read_program(program) -> tuple[bytes, str, str]:
    """The ELF image (bytes, or a read-only mmap of the file), its host path (absolute) and
    the name to show for a program given as a path or as the bytes of the file itself."""
    if isinstance(program, (bytes, bytearray, memoryview)):
        data = bytes(program)
        return data, "", "<program bytes>"
    try:
        shown = os.fspath(program)
    except TypeError:
        raise ProgramError(f"the program must be a path or the bytes of an ELF file, "
                           f"not {type(program).__name__}; pass a file name") from None
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    if not os.path.exists(shown):
        raise ProgramError(f"program {shown!r} not found; check the path "
                           f"(relative paths are taken from {os.getcwd()!r})")
    if os.path.isdir(shown):
        raise ProgramError(f"program {shown!r} is a directory, not a file; give the path "
                           f"of the ELF executable inside it")
    if not os.path.isfile(shown):
        raise ProgramError(f"program {shown!r} is not a regular file; give the path of an "
                           f"ELF executable")
    try:
        data = map_file(shown)
    except OSError as e:
        raise ProgramError(f"cannot read program {shown!r} ({e.strerror}); check its "
                           f"permissions") from None
    return data, os.path.realpath(shown), shown


def map_file(path):
    """The file's bytes, memory-mapped read-only rather than read: the loader touches only
    the ELF headers, the segments and the symbol table, so a program with a huge tail
    (debug data, an appended archive) costs only the pages it reads. An mmap slices,
    compares and unpacks like bytes; an empty file is b"" (it cannot be mapped)."""
    import mmap

    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _check_header(data: bytes, name: str):
    """Validate the ELF header and return it as a tuple (see _EHDR)."""
    build = "build it with riscv64-linux-gnu-gcc -static"
    if len(data) < 4 or data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            _fail(name, f"is a script, not an ELF executable; {build}")
        if not data:
            _fail(name, f"is an empty file, not an ELF executable; {build}")
        _fail(name, f"is not an ELF file (it does not start with the ELF magic bytes); {build}")
    if len(data) < 20:
        _fail(name, "is truncated: the ELF header is incomplete; rebuild or re-copy the file")
    ei_class, ei_data = data[4], data[5]
    if ei_data not in (1, 2):
        _fail(name, f"has a corrupt ELF header (byte order field is {ei_data}); "
                    f"rebuild or re-copy the file")
    if ei_class not in (1, 2):
        _fail(name, f"has a corrupt ELF header (class field is {ei_class}); "
                    f"rebuild or re-copy the file")
    machine = struct.unpack_from("<H" if ei_data == 1 else ">H", data, 18)[0]
    if machine != EM_RISCV:
        what = _MACHINES.get(machine)
        if what is None:
            try:
                from elftools.elf.descriptions import describe_e_machine
                from elftools.elf.enums import ENUM_E_MACHINE
                inv = {v: k for k, v in ENUM_E_MACHINE.items()}
                what = describe_e_machine(inv[machine]) if machine in inv else None
            except ImportError:
                what = None
        what = what or f"machine number {machine}"
        _fail(name, f"is built for {what}, not RISC-V; cyclesim runs RISC-V programs: "
                    f"{build}")
    if ei_class == 1:
        _fail(name, "is a 32-bit (RV32) ELF file; cyclesim runs 64-bit RISC-V programs: "
                    "build it with riscv64-linux-gnu-gcc -static (not -march=rv32...)")
    if ei_data == 2:
        _fail(name, "is a big-endian ELF file; RISC-V Linux programs are little-endian: "
                    f"{build}")
    if len(data) < _EHDR.size:
        _fail(name, "is truncated: the ELF header is incomplete; rebuild or re-copy the file")
    hdr = _EHDR.unpack_from(data, 0)
    (_, e_type, _, e_version, _, e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize,
     e_phnum, e_shentsize, e_shnum, _) = hdr
    if e_type == ET_REL:
        _fail(name, "is an object file (ET_REL), not an executable; link it, e.g. "
                    "riscv64-linux-gnu-gcc -static -o prog prog.o")
    if e_type == ET_CORE:
        _fail(name, "is a core dump, not an executable; give the program that produced it")
    if e_type not in (ET_EXEC, ET_DYN):
        _fail(name, f"is not an executable (ELF type {e_type}); {build}")
    if e_version != 1 or e_ehsize < _EHDR.size:
        _fail(name, "has a corrupt ELF header (version or header size); "
                    "rebuild or re-copy the file")
    if e_flags & EF_RISCV_RVE:
        _fail(name, "uses the RV64E base (16 registers), which cyclesim does not model; "
                    "build for RV64GC (the default -march of riscv64-linux-gnu-gcc)")
    if e_phnum == 0 or e_phentsize != _PHDR.size:
        _fail(name, "has no valid program headers (phnum or phentsize is wrong); "
                    "rebuild it as an executable")
    if e_phoff + e_phnum * e_phentsize > len(data):
        _fail(name, f"is truncated or corrupt: its program headers end at byte "
                    f"{e_phoff + e_phnum * e_phentsize} but the file has {len(data)} bytes; "
                    f"rebuild or re-copy the file")
    if e_shnum and (e_shentsize != 64 or e_shoff + e_shnum * e_shentsize > len(data)):
        _fail(name, f"is truncated or corrupt: its section headers end at byte "
                    f"{e_shoff + e_shnum * e_shentsize} but the file has {len(data)} bytes; "
                    f"rebuild or re-copy the file")
    return hdr


def _perm(flags: int) -> int:
    return ((PROT_R if flags & PF_R else 0) | (PROT_W if flags & PF_W else 0)
            | (PROT_X if flags & PF_X else 0))


def inspect_elf(data: bytes, name: str = "program") -> tuple:
    """Check everything the loader needs; returns (header, program headers)."""
    hdr = _check_header(data, name)
    e_phoff, e_phnum = hdr[5], hdr[10]
    phdrs = [_PHDR.unpack_from(data, e_phoff + i * _PHDR.size) for i in range(e_phnum)]
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    if any(p[0] == PT_INTERP for p in phdrs):
        _fail(name, "is dynamically linked (it asks for a program interpreter); cyclesim "
                    "runs static programs: link with -static")
    if hdr[1] == ET_DYN and any(p[0] == PT_DYNAMIC for p in phdrs) and not loads:
        _fail(name, "is a shared library, not an executable; link a program with -static")
    if not loads:
        _fail(name, "has no loadable segments (PT_LOAD); rebuild it as an executable")
    for p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, p_align in loads:
        if p_offset + p_filesz > len(data):
            _fail(name, f"is truncated or corrupt: a segment at file offset {p_offset:#x} "
                        f"with {p_filesz} bytes lies outside the {len(data)}-byte file; "
                        f"rebuild or re-copy the file")
        if p_filesz > p_memsz:
            _fail(name, f"is corrupt: the segment at {p_vaddr:#x} has more file bytes "
                        f"({p_filesz}) than memory bytes ({p_memsz}); rebuild the file")
    lo = min(p[3] for p in loads) & ~(PAGE - 1)
    hi = max(p[3] + p[6] for p in loads)
    if hdr[1] == ET_EXEC and (hi > ADDRESS_SPACE or hi < lo):
        _fail(name, f"has segments up to {hi:#x}, outside the 2**38-byte (Sv39) user "
                    f"address space cyclesim models; link at lower addresses")
    if hdr[1] == ET_DYN and hi - lo > ADDRESS_SPACE - PIE_BASE - (1 << 32):
        _fail(name, f"is a position-independent program of {hi - lo} bytes, too large "
                    f"for the modeled address space; make it smaller")
    return hdr, phdrs


def load_elf(memory, data: bytes, name: str = "program") -> ElfImage:
    """Validate `data` and copy its loadable segments into `memory` (a GuestMemory)."""
    hdr, phdrs = inspect_elf(data, name)
    e_type, e_entry, e_phoff, e_phentsize, e_phnum = hdr[1], hdr[4], hdr[5], hdr[9], hdr[10]
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    is_pie = e_type == ET_DYN
    first = min(p[3] for p in loads) & ~(PAGE - 1)
    bias = PIE_BASE - first if is_pie else 0

    segments = []
    for _, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ in loads:
        if p_memsz:
            segments.append(Segment(p_vaddr + bias, p_memsz, p_filesz, p_offset,
                                    _perm(p_flags)))
    segments.sort(key=lambda s: s.vaddr)
    entry = e_entry + bias
    if entry & 1:
        _fail(name, f"has an odd entry point {e_entry:#x} (RISC-V instructions are 2-byte "
                    f"aligned); the file is corrupt, rebuild it")
    if not any(s.vaddr <= entry < s.vaddr + s.memsz and s.prot & PROT_X for s in segments):
        _fail(name, f"has its entry point {e_entry:#x} outside every executable segment; "
                    f"the file is corrupt or not a program, rebuild it")
    total = sum(s.memsz for s in segments)
    if total > memory.limit:
        _fail(name, f"has segments of {total} bytes, more than mem_limit={memory.limit}; "
                    f"raise mem_limit")

    # Map each segment's pages; a page shared with the previous segment gets both
    # segments' rights. Then copy the file bytes (bss stays zero).
    mapped_end = 0
    for s in segments:
        lo = s.vaddr & ~(PAGE - 1)
        hi = (s.vaddr + s.memsz + PAGE - 1) & ~(PAGE - 1)
        if lo < mapped_end:
            shared_hi = min(hi, mapped_end)
            memory.protect(lo, shared_hi - lo, memory.prot_at(lo) | s.prot)
            lo = shared_hi
        if lo < hi:
            memory.map(lo, hi - lo, s.prot)
        mapped_end = max(mapped_end, hi)
    for s in segments:
        if s.filesz:
            memory.write(s.vaddr, data[s.offset:s.offset + s.filesz], check=False)
    start = segments[0].vaddr & ~(PAGE - 1)
    end = mapped_end

    # AT_PHDR: the headers as mapped by a PT_LOAD that covers them in the file (what Linux
    # does); else PT_PHDR's address if it is mapped; else copy them to a page of their own.
    phdr_size = e_phnum * e_phentsize
    phdr_addr = None
    phdr_page = None
    for _, _, p_offset, p_vaddr, _, p_filesz, _, _ in loads:
        if p_offset <= e_phoff and e_phoff + phdr_size <= p_offset + p_filesz:
            phdr_addr = p_vaddr + (e_phoff - p_offset) + bias
            break
    if phdr_addr is None:
        for p in phdrs:
            if p[0] == PT_PHDR and memory.is_mapped(p[3] + bias, phdr_size):
                phdr_addr = p[3] + bias
                memory.write(phdr_addr, data[e_phoff:e_phoff + phdr_size], check=False)
                break
    if phdr_addr is None:
        size = (phdr_size + PAGE - 1) & ~(PAGE - 1)
        phdr_addr = end
        memory.map(phdr_addr, size, PROT_R)
        memory.write(phdr_addr, data[e_phoff:e_phoff + phdr_size], check=False)
        phdr_page = (phdr_addr, size)
        end += size

    exec_stack = any(p[0] == PT_GNU_STACK and p[1] & PF_X for p in phdrs)
    symbols, functions = read_symbols(data, bias)
    return ElfImage(entry=entry, load_bias=bias, phdr_addr=phdr_addr, phent=e_phentsize,
                    phnum=e_phnum, start=start, end=end, is_pie=is_pie,
                    exec_stack=exec_stack, segments=segments, symbols=symbols,
                    functions=functions, phdr_page=phdr_page)


_SHDR = struct.Struct("<IIQQQQIIQQ")          # ELF64 section header
_SYM = struct.Struct("<IBBHQQ")                 # ELF64 symbol
SHT_SYMTAB = 2
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_UNDEF, SHN_LORESERVE = 0, 0xFF00


def read_symbols(data: bytes, bias: int = 0) -> tuple[dict, list]:
    """Function and object symbols of .symtab: ({name: address}, [(address, size, name)]).
    A stripped program has none; a damaged symbol table gives none rather than an error,
    since the program itself can still run. (Parsed directly: pyelftools takes a second
    for the ~2000 symbols of a static glibc program.)"""
    symbols: dict[str, int] = {}
    rank: dict[str, int] = {}
    functions = []
    try:
        shoff, = struct.unpack_from("<Q", data, 40)
        shnum, = struct.unpack_from("<H", data, 60)
        sections = [_SHDR.unpack_from(data, shoff + i * _SHDR.size) for i in range(shnum)]
        for sh in sections:
            if sh[1] != SHT_SYMTAB or sh[9] != _SYM.size:
                continue
            strtab = sections[sh[6]]
            strings = data[strtab[4]:strtab[4] + strtab[5]]
            table = data[sh[4]:sh[4] + sh[5]]
            for st_name, st_info, _, shndx, value, size in _SYM.iter_unpack(
                    table[:len(table) - len(table) % _SYM.size]):
                kind, bind = st_info & 0xF, st_info >> 4
                if shndx == SHN_UNDEF or shndx >= SHN_LORESERVE or st_name == 0:
                    continue
                if kind in (STT_FUNC, STT_OBJECT):
                    r = 2
                elif kind == STT_NOTYPE and bind in (STB_GLOBAL, STB_WEAK):
                    r = 1           # assembly labels such as _start without .type
                else:
                    continue
                if bind == STB_GLOBAL:
                    r += 2          # a global wins over a local static of the same name
                end = strings.find(b"\0", st_name)
                name = strings[st_name:end if end >= 0 else None].decode("utf-8", "replace")
                if not name:
                    continue
                addr = value + bias
                if rank.get(name, -1) < r:
                    symbols[name] = addr
                    rank[name] = r
                if kind == STT_FUNC:
                    functions.append((addr, size, name))
    except (struct.error, IndexError):
        return {}, []
    functions.sort()
    return symbols, functions
