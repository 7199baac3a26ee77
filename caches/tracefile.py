"""Address traces from outside a run: what trace-driven mode reads (docs/trace-driven.md).

A trace is a sequence of records (addr, size, kind, pc, cycle), read in chunks of NumPy
arrays so that a file of any length is simulated in bounded memory. Sources:

  DataFrame / NumPy structured array / dict of arrays   columns addr, kind, and optionally
        size (default 1), pc (default 0), cycle (issue cycle) or gap (cycles since the
        previous record); kind as AccessKind numbers 0-3 or names (see KIND_CODES)
  "lackey"     Valgrind lackey output (`valgrind --tool=lackey --trace-mem=yes`)
  "din"        DineroIV traditional din ("label address", rest of the line ignored)
  "dinx"       din with a third field, the access size in hex (DineroIV's extended din)
  "champsim"   ChampSim's binary instruction trace (64-byte input_instr records), its memory
               operands only: per instruction the loads, then the stores
  "cyclesim"   a memory trace cyclesim wrote (Parquet: one file, or a directory of chunks)

Files may be compressed (.xz, .gz, .bz2). The format is taken from the name, else from the
first bytes; `format=` overrides both.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from caches import _traceparse
from cyclesim.errors import TraceError

# AccessKind numbers (pipeline/types.pxd) and the names traces use for them.
IFETCH, LOAD, STORE, AMO = 0, 1, 2, 3
FLUSH = 255                      # a DineroIV flush record (label 4)
KIND_CODES = {
    "ifetch": IFETCH, "fetch": IFETCH, "instr": IFETCH, "i": IFETCH,
    "load": LOAD, "read": LOAD, "r": LOAD, "l": LOAD,
    "store": STORE, "write": STORE, "w": STORE, "s": STORE,
    "amo": AMO, "atomic": AMO,
}
FORMATS = ("lackey", "din", "dinx", "champsim", "cyclesim")
CHUNK = 1 << 20                  # records per chunk (about 20 MB of arrays)
TEXT_BLOCK = 8 << 20             # bytes of text parsed at a time

# ChampSim's input_instr (its tracer's trace_instruction.h): ip, is_branch, branch_taken,
# 2 destination and 4 source register ids, 2 destination and 4 source memory addresses.
CHAMPSIM_RECORD = np.dtype([("ip", "<u8"), ("is_branch", "u1"), ("branch_taken", "u1"),
                            ("dst_reg", "u1", (2,)), ("src_reg", "u1", (4,)),
                            ("dst_mem", "<u8", (2,)), ("src_mem", "<u8", (4,))])
assert CHAMPSIM_RECORD.itemsize == 64


@dataclass
class Chunk:
    """Records [first, first + len) of a trace, as parallel arrays."""
    addr: np.ndarray            # uint64 byte addresses
    size: np.ndarray            # uint16 bytes (0 and 1 both mean one byte)
    kind: np.ndarray            # uint8 AccessKind, or FLUSH
    pc: np.ndarray | None       # uint64, or None (no pcs in this trace)
    cycle: np.ndarray | None    # uint64 issue cycles, or None
    core: np.ndarray | None = None   # uint8 core that made each access, or None (core 0)

    def __len__(self):
        return int(self.addr.shape[0])


class Trace:
    """An address trace to simulate: `chunks()` yields Chunk objects; after a full pass,
    `instructions` is the number of instructions the trace covers (None if unknown)."""

    def __init__(self, source, format: str | None = None, *, default_size: int = 1,
                 chunk: int = CHUNK):
        self.source = source
        self.default_size = _check_size(default_size)
        self.chunk = int(chunk)
        self.instructions = None
        if isinstance(source, Trace):
            raise TypeError("already a Trace")
        if isinstance(source, (str, os.PathLike)):
            self.path = Path(source)
            if not self.path.exists():
                raise TraceError(f"trace file {str(source)!r} does not exist; give the path "
                                 f"of a lackey, din, ChampSim or cyclesim trace")
            self.format = (format or _guess_format(self.path)).lower()
            if self.format not in FORMATS:
                raise TraceError(f"trace format {format!r} is unknown; use one of "
                                 f"{', '.join(FORMATS)}")
            self.name = self.path.name
        else:
            self.path = None
            self.format = "arrays"
            self.name = "arrays"
            self._columns = _columns(source, self.default_size)
            self.instructions = self._columns.pop("instructions", None)

    def __repr__(self):
        return f"Trace({self.name!r}, format={self.format!r})"

    def chunks(self) -> Iterator[Chunk]:
        if self.format == "arrays":
            yield from _array_chunks(self._columns, self.chunk)
        elif self.format in ("lackey", "din", "dinx"):
            yield from self._text_chunks()
        elif self.format == "champsim":
            yield from self._champsim_chunks()
        else:
            yield from self._cyclesim_chunks()

    # ---- text formats -------------------------------------------------------------------

    def _text_chunks(self):
        parse = self.format
        insts = 0
        line_base = 0
        pending = b""
        with _open(self.path) as f:
            while True:
                block = f.read(TEXT_BLOCK)
                eof = not block
                buf = pending + block
                if not buf:
                    break
                cap = 2 * (buf.count(b"\n") + 1)      # lackey's M makes two records
                addr = np.empty(cap, np.uint64)
                size = np.empty(cap, np.uint16)
                kind = np.empty(cap, np.uint8)
                view = np.frombuffer(buf, dtype=np.uint8)
                if parse == "lackey":
                    n, used, lines, ins, err, msg = _traceparse.parse_lackey(
                        view, eof, addr, size, kind)
                else:
                    n, used, lines, ins, err, msg = _traceparse.parse_din(
                        view, eof, parse == "dinx", addr, size, kind, self.default_size)
                if err:
                    start = _line_offset(view, err)
                    text = buf[start:start + 80].split(b"\n")[0]
                    raise TraceError(f"{self.path}: line {line_base + err}: {msg}; it reads "
                                     f"{text.decode('latin-1')!r}")
                line_base += lines
                insts += ins
                if n:
                    yield Chunk(addr[:n], size[:n], kind[:n], None, None)
                pending = buf[used:]
                if eof:
                    break
                if len(pending) > (1 << 20):
                    raise TraceError(f"{self.path}: line {line_base + 1} is longer than 1 MiB; "
                                     f"is this a {parse} trace?")
        self.instructions = insts if insts else None

    # ---- ChampSim -----------------------------------------------------------------------

    def _champsim_chunks(self):
        rec = CHAMPSIM_RECORD.itemsize
        insts = 0
        kinds6 = np.array([LOAD] * 4 + [STORE] * 2, dtype=np.uint8)
        with _open(self.path) as f:
            while True:
                data = f.read(rec * max(1, self.chunk // 6))
                if not data:
                    break
                whole = len(data) // rec
                if len(data) % rec:
                    raise TraceError(f"{self.path}: record {insts + whole + 1} is truncated "
                                     f"({len(data) % rec} of {rec} bytes); a ChampSim trace "
                                     f"is a sequence of {rec}-byte instruction records")
                r = np.frombuffer(data, dtype=CHAMPSIM_RECORD)
                insts += whole
                mem = np.concatenate([r["src_mem"], r["dst_mem"]], axis=1)   # (n, 6)
                mask = mem != 0
                addr = mem[mask]
                kind = np.broadcast_to(kinds6, mem.shape)[mask]
                pc = np.broadcast_to(r["ip"][:, None], mem.shape)[mask]
                if addr.shape[0]:
                    yield Chunk(np.ascontiguousarray(addr, np.uint64),
                                np.full(addr.shape[0], 1, np.uint16),
                                np.ascontiguousarray(kind, np.uint8),
                                np.ascontiguousarray(pc, np.uint64), None)
        self.instructions = insts

    # ---- cyclesim's own memory traces ---------------------------------------------------

    def _cyclesim_chunks(self):
        try:
            import pyarrow.dataset as ds
        except ImportError as e:    # pragma: no cover - pyarrow is a dependency
            raise TraceError("reading cyclesim traces needs pyarrow; pip install pyarrow") from e
        try:
            dataset = ds.dataset(str(self.path), format="parquet")
            columns = [c for c in ("addr", "size", "kind", "pc", "cycle", "core", "seq")
                       if c in dataset.schema.names]
        except Exception as e:
            raise TraceError(f"{self.path} is not a readable Parquet trace ({e})") from None
        if "addr" not in columns or "kind" not in columns:
            raise TraceError(f"{self.path} has no addr and kind columns; is it a memory trace "
                             f"(trace='memory')?")
        seq_lo = seq_hi = None
        for batch in dataset.to_batches(columns=columns, batch_size=self.chunk):
            cols = {c: batch.column(c).to_numpy(zero_copy_only=False) for c in columns}
            if "seq" in cols and len(cols["seq"]):
                lo, hi = int(cols["seq"].min()), int(cols["seq"].max())
                seq_lo = lo if seq_lo is None else min(seq_lo, lo)
                seq_hi = hi if seq_hi is None else max(seq_hi, hi)
                del cols["seq"]
            yield from _array_chunks(_columns(cols, self.default_size, where=str(self.path)),
                                     self.chunk)
        self.instructions = seq_hi - seq_lo + 1 if seq_lo is not None else None


# ---- helpers -----------------------------------------------------------------------------

def _check_size(v):
    v = int(v)
    if not 1 <= v <= 65535:
        raise TraceError(f"default_size is {v}; give the bytes of one access, 1 to 65535")
    return v


def _open(path: Path):
    """The file's bytes, decompressed by its suffix."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xz":
            return lzma.open(path, "rb")
        if suffix == ".gz":
            return gzip.open(path, "rb")
        if suffix == ".bz2":
            return bz2.open(path, "rb")
        return open(path, "rb", buffering=1 << 20)
    except OSError as e:
        raise TraceError(f"cannot open trace {str(path)!r}: {e.strerror or e}") from None


def _guess_format(path: Path) -> str:
    if path.is_dir() or path.suffix.lower() == ".parquet":
        return "cyclesim"
    names = [s.lower() for s in path.suffixes]
    if ".din" in names:
        return "din"
    if ".dinx" in names:
        return "dinx"
    if ".lackey" in names:
        return "lackey"
    if any("champsim" in s for s in names) or "champsimtrace" in path.name.lower():
        return "champsim"
    try:
        with _open(path) as f:
            head = f.read(4096)
    except (OSError, EOFError, lzma.LZMAError) as e:
        raise TraceError(f"cannot read trace {str(path)!r}: {e}") from None
    if head[:4] == b"PAR1":
        return "cyclesim"
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return "champsim"           # binary
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("=="):
            continue
        if s[0] in "ILSM" and len(s) > 1 and s[1] in " \t":
            return "lackey"
        if s[0] in "01234":
            return "din"
        break
    raise TraceError(f"cannot tell the format of trace {str(path)!r}; pass format= one of "
                     f"{', '.join(FORMATS)}")


def _line_offset(view, line):
    """Byte offset of 1-based line `line` in view."""
    if line <= 1:
        return 0
    nl = np.flatnonzero(np.asarray(view) == 10)
    return int(nl[line - 2]) + 1


def _kind_codes(kind, where):
    k = np.asarray(kind)
    if k.dtype.kind in "iu":
        bad = (k < 0) | (k > 3)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise TraceError(f"{where}: record {i}: kind {int(k[i])} is not an access kind; "
                             f"use 0 ifetch, 1 load, 2 store, 3 amo")
        return k.astype(np.uint8)
    vals, inv = np.unique(k.astype(str), return_inverse=True)
    codes = np.empty(len(vals), np.uint8)
    for j, v in enumerate(vals):
        c = KIND_CODES.get(v.strip().lower())
        if c is None:
            i = int(np.flatnonzero(inv == j)[0])
            raise TraceError(f"{where}: record {i}: kind {str(v)!r} is unknown; use one of "
                             f"ifetch, load, store, amo (or read, write, fetch)")
        codes[j] = c
    return codes[inv.reshape(-1)]


def _columns(source, default_size, where="trace"):
    """Validated uint arrays from a DataFrame, structured array or mapping of columns."""
    if isinstance(source, np.ndarray) and source.dtype.names:
        get = {n: source[n] for n in source.dtype.names}
    elif hasattr(source, "columns") and hasattr(source, "__getitem__"):     # DataFrame
        get = {str(c): source[c].to_numpy() for c in source.columns}
    elif isinstance(source, dict):
        get = {k: np.asarray(v) for k, v in source.items()}
    else:
        raise TraceError(f"a trace is a file path, a pandas DataFrame, a NumPy structured "
                         f"array or a dict of arrays, not {type(source).__name__}")
    if "addr" not in get or "kind" not in get:
        raise TraceError(f"{where} needs columns addr and kind (and optionally size, pc, "
                         f"cycle or gap); it has {', '.join(sorted(get)) or 'none'}")
    addr = np.asarray(get["addr"])
    n = addr.shape[0]
    if addr.dtype.kind not in "iu":
        raise TraceError(f"{where}: addr must be integers, not {addr.dtype}")
    if addr.dtype.kind == "i" and n and addr.min() < 0:
        raise TraceError(f"{where}: record {int(np.argmin(addr))}: negative address")
    out = {"addr": np.ascontiguousarray(addr, np.uint64),
           "kind": _kind_codes(get["kind"], where)}
    size = get.get("size")
    if size is None:
        out["size"] = np.full(n, default_size, np.uint16)
    else:
        size = np.asarray(size)
        if n and (size.min() < 0 or size.max() > 65535):
            raise TraceError(f"{where}: sizes must be 0 to 65535 bytes")
        out["size"] = np.ascontiguousarray(size, np.uint16)
    out["pc"] = (np.ascontiguousarray(get["pc"], np.uint64) if "pc" in get else None)
    if "cycle" in get:
        out["cycle"] = np.ascontiguousarray(get["cycle"], np.uint64)
    elif "gap" in get:
        out["cycle"] = np.cumsum(np.asarray(get["gap"], np.uint64), dtype=np.uint64)
    else:
        out["cycle"] = None
    out["core"] = None
    if "core" in get:
        core = np.asarray(get["core"])
        if core.dtype.kind not in "iu" or (n and (core.min() < 0 or core.max() > 63)):
            raise TraceError(f"{where}: column core must hold core numbers 0 to 63")
        out["core"] = np.ascontiguousarray(core, np.uint8)
    for name in ("kind", "size", "pc", "cycle", "core"):
        if out[name] is not None and out[name].shape[0] != n:
            raise TraceError(f"{where}: column {name} has {out[name].shape[0]} rows, addr {n}")
    if "instructions" in get and np.ndim(get["instructions"]) == 0:
        out["instructions"] = int(get["instructions"])
    return out


def _array_chunks(cols, chunk):
    n = cols["addr"].shape[0]
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        yield Chunk(cols["addr"][lo:hi], cols["size"][lo:hi], cols["kind"][lo:hi],
                    None if cols["pc"] is None else cols["pc"][lo:hi],
                    None if cols["cycle"] is None else cols["cycle"][lo:hi],
                    None if cols.get("core") is None else cols["core"][lo:hi])


def as_trace(source, format=None, **kw) -> Trace:
    return source if isinstance(source, Trace) else Trace(source, format, **kw)
