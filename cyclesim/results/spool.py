"""Whole-run traces on disk: pipeline and memory records streamed to chunked Parquet files
while the run goes, so resident memory stays bounded whatever the run length
(docs/trace-driven.md, "Whole-run traces").

    DIR/memory/part-00000.parquet, part-00001.parquet, ...   (columns of SimResult.memory_trace)
    DIR/pipeline/part-00000.parquet, ...                      (columns of SimResult.pipeline)

Each part is written to a temporary name and renamed, so every part on disk is complete even
if the run is killed. Read them lazily with pyarrow.dataset.dataset(DIR/"memory") or
dask.dataframe.read_parquet, or pass DIR/"memory" to cyclesim.caches.simulate.
"""
from __future__ import annotations

import os
from pathlib import Path

from cyclesim.errors import CyclesimError

# Instructions whose records the core buffers between two writes (about 5 MB of pipeline
# records and 8 MB of memory records at most; a part holds up to this many instructions).
STREAM_CAPACITY = 1 << 16


class TraceSpool:
    def __init__(self, directory, pipeline: bool, memory: bool, stages=None):
        self.dir = Path(directory)
        self.stages = stages           # (names, letters) of the model (traces.stages_of)
        self.kinds = [k for k, on in (("pipeline", pipeline), ("memory", memory)) if on]
        for k in self.kinds:
            d = self.dir / k
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise CyclesimError(f"cannot create the trace directory {str(d)!r}: "
                                    f"{e.strerror or e}; give a writable trace_dir") from None
            if any(d.glob("part-*.parquet")):
                raise CyclesimError(f"the trace directory {str(d)!r} already holds a trace; "
                                    f"give an empty or new trace_dir")
        _return_memory_promptly()
        self.parts = {k: 0 for k in self.kinds}
        self.rows = {k: 0 for k in self.kinds}

    def write(self, pipe_records, mem_records) -> None:
        from cyclesim.results import traces
        if "pipeline" in self.kinds and len(pipe_records):
            self._part("pipeline", traces.pipeline_frame(pipe_records, self.stages))
        if "memory" in self.kinds and len(mem_records):
            self._part("memory", _memory_table(mem_records))

    def _part(self, kind, frame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        n = self.parts[kind]
        final = self.dir / kind / f"part-{n:05d}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        try:
            table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
                frame, preserve_index=False)
            # Dictionary pages only for the columns that are dictionaries already (kind,
            # level, categorical columns). On the 64-bit columns (cycle, seq, pc, addr)
            # the encoder builds a hash table of distinct values before it gives up on
            # them: 31 MiB of the peak on sort 600000 at 50 M instructions (199 -> 168
            # MiB, benchmarks/trace_to_disk.py).
            pq.write_table(table, tmp, use_dictionary=[
                f.name for f in table.schema if pa.types.is_dictionary(f.type)])
            os.replace(tmp, final)
        except OSError as e:
            raise CyclesimError(f"cannot write the trace part {str(final)!r}: "
                                f"{e.strerror or e}") from None
        self.parts[kind] = n + 1
        self.rows[kind] += frame.num_rows if isinstance(frame, pa.Table) else len(frame)
        del table, frame
        _trim()

    def paths(self) -> dict:
        return {k: str(self.dir / k) for k in self.kinds}


def _memory_table(records):
    """The columns of SimResult.memory_trace as an Arrow table, built from the record
    array without pandas (kind and level dictionary-encoded: a few bytes per row)."""
    import numpy as np
    import pyarrow as pa

    from cyclesim.results.traces import KIND_NAMES, LEVEL_NAMES
    kinds = pa.array([KIND_NAMES.get(i) for i in range(4)])
    levels = pa.array([LEVEL_NAMES[i] for i in range(1, 5)])
    kind = pa.DictionaryArray.from_arrays(pa.array(records["kind"].astype(np.int8)), kinds)
    lvl = np.minimum(records["level"], 4).astype(np.int8)
    level = pa.DictionaryArray.from_arrays(pa.array(np.maximum(lvl - 1, 0), mask=(lvl == 0)),
                                           levels)
    return pa.table({"cycle": records["cycle"], "seq": records["seq"], "pc": records["pc"],
                     "addr": records["addr"], "size": records["size"], "kind": kind,
                     "level": level, "latency": records["latency"]})


_libc_trim = None


def _trim():
    """Give the heap's free pages back to the system after a part: the encoder's buffers
    are freed, but glibc keeps free chunks between live ones resident (4 MiB of the peak
    on sort 600000 at 50 M instructions; a part is written every ~0.6 M instructions, so
    the call's cost, well under a millisecond, is nothing)."""
    global _libc_trim
    if _libc_trim is None:
        _libc_trim = False
        try:
            import ctypes
            libc = ctypes.CDLL(None)
            _libc_trim = libc.malloc_trim
        except (OSError, AttributeError):      # not glibc: nothing to do
            pass
    if _libc_trim:
        _libc_trim(0)


def _return_memory_promptly():
    """Arrow's default pool (mimalloc or jemalloc) keeps freed pages for reuse, which
    across many parts adds tens of MB of resident memory; the system allocator returns
    them, so a streamed run uses it (measured: 216 -> 191 MiB peak on a 40 M-instruction
    sort; benchmarks/trace_to_disk.py)."""
    try:
        import pyarrow as pa
        pa.set_memory_pool(pa.system_memory_pool())
    except Exception:  # noqa: BLE001 (only a memory-use refinement)
        pass
