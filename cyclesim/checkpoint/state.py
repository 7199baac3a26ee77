"""The architectural state of a run as plain data: JSON-able dicts and NumPy arrays.

`capture(system)` reads the hart, guest memory and process model of a live System;
`apply(system, manifest_state, arrays)` writes them into a freshly built one (same
program, same argv/env, any machine config). Open files are saved by what they are
(stdin contents and position, output written so far, host paths with offsets and modes),
never as objects.
"""
from __future__ import annotations

import collections
import os

import numpy as np

from cyclesim.errors import CyclesimError
from cyclesim.process import fs
from cyclesim.process.fs import DeviceFile, DirectoryFile, HostFile, OutputFile, StdinFile


def capture(system) -> tuple[dict, dict[str, np.ndarray]]:
    """(state for the manifest, named arrays) of the run as it stands between quanta."""
    core, proc = system.core, system.process
    mapped, pages, data = proc.memory.export_state()
    arrays = {
        "x": np.array(core.x, dtype=np.uint64),
        "f": np.array(core.f, dtype=np.uint64),
        "mapped": mapped, "pages": pages, "page_data": data,
    }
    _check_tmp(proc)
    _check_threads(proc)
    files, objects = _capture_files(proc, arrays)
    vm = proc.vm
    rng_version, rng_words, rng_gauss = proc.rng.getstate()
    arrays["rng"] = np.array(rng_words, dtype=np.uint64)
    state = {
        "hart": {"pc": int(core.pc), "instret": int(core.instret), "fflags": int(core.fflags),
                 "frm": int(core.frm), "reservation": core.reservation},
        "vm": {"starts": list(vm.starts), "ends": list(vm.ends), "brk_start": vm.brk_start,
               "brk": vm.brk, "heap_end": vm.heap_end},
        "files": files, "open_files": objects,
        "sandbox": {"read_roots": list(proc.sandbox.read_roots),
                    "write_root": proc.sandbox.write_root, "cwd": proc.sandbox.cwd},
        "signals": {"actions": {str(k): v.hex() for k, v in proc.sigactions.items()},
                    "mask": proc.sigmask, "pending": proc.pending_signals,
                    "delivered": dict(proc.signals_delivered),
                    "trampoline": proc.sigreturn_trampoline, "altstack": proc.altstack.hex()},
        "process": {"rlimits": {str(k): list(v) for k, v in proc.rlimits.items()},
                    "umask": proc.umask, "clear_child_tid": proc.clear_child_tid,
                    "cycle": proc.cycle, "frequency": proc.frequency,
                    "now": int(system.cycle) + proc.cycle_offset,
                    "rng_version": rng_version, "rng_gauss": rng_gauss,
                    "syscall_counts": dict(proc.syscall_counts),
                    "unknown_syscalls": dict(proc.unknown_syscalls)},
    }
    return state, arrays


def _check_threads(proc):
    """A checkpoint holds one hart's registers: refuse one that would lose threads."""
    live = proc.live_threads() if hasattr(proc, "live_threads") else []
    if len(live) > 1 or proc.futexes:
        raise CyclesimError(f"the program has {len(live)} threads at this point, and a "
                            "checkpoint holds the state of one: take it before the first "
                            "pthread_create (or after the last join)")


def _check_tmp(proc):
    """The private /tmp is not saved (yet): refuse a checkpoint that would lose it."""
    sb = proc.sandbox
    if sb.tmp_root is None:
        return
    try:
        with os.scandir(sb.tmp_root) as entries:
            used = any(entries)
    except OSError:                 # removed at the end of run(): what it held then
        used = proc.tmp_had_files
    if sb.in_tmp(sb.cwd) or used:
        raise CyclesimError("the guest has files (or its working directory) in its "
                            "private /tmp, which a checkpoint does not hold; take the "
                            "checkpoint before the program uses /tmp, or after it cleans up")


def _capture_files(proc, arrays):
    """Descriptor table: fd -> index of an open-file description (dup'ed fds share one)."""
    index: dict[int, int] = {}
    objects: list[dict] = []
    fds = {}
    for fd, f in sorted(proc.files.files.items()):
        if id(f) not in index:
            index[id(f)] = len(objects)
            objects.append(_describe(f, proc, arrays, len(objects)))
        fds[str(fd)] = {"file": index[id(f)], "cloexec": bool(proc.files.cloexec.get(fd))}
    return fds, objects


def _describe(f, proc, arrays, n) -> dict:
    common = {"status_flags": f.status_flags}
    if isinstance(f, StdinFile):
        # what the guest has not read yet (a streamed stdin is read to its end here)
        arrays[f"file{n}"] = np.frombuffer(f.remaining(), dtype=np.uint8)
        return {"kind": "stdin", "pos": 0, **common}
    if isinstance(f, OutputFile):
        arrays[f"file{n}"] = np.frombuffer(bytes(f.buffer), dtype=np.uint8)
        return {"kind": "output", "which": f.which, **common}
    if isinstance(f, HostFile):
        if f.fd < 0:
            raise CyclesimError(f"the guest's file {f.path} is closed on the host side; "
                                "a checkpoint cannot be taken now")
        return {"kind": "host", "path": f.path, "readable": f.readable,
                "writable": f.writable, "offset": os.lseek(f.fd, 0, os.SEEK_CUR), **common}
    if isinstance(f, DeviceFile):
        return {"kind": "device", "path": f.path, "rdev": f.rdev,
                "random": f.rng is not None, **common}
    if isinstance(f, DirectoryFile):
        return {"kind": "directory", "path": f.path, "pos": f.pos, **common}
    raise CyclesimError(f"open file of kind {type(f).__name__} cannot be checkpointed yet")


def apply(system, state: dict, arrays: dict[str, np.ndarray], echo: bool = False) -> None:
    """Make a freshly built System's hart and process exactly the saved ones."""
    core, proc = system.core, system.process
    _check_arrays(arrays, proc.memory.limit)
    proc.memory.import_state(arrays["mapped"], arrays["pages"], arrays["page_data"])
    core.flush_decode_cache()
    hart = state["hart"]
    core.x[:] = arrays["x"]
    core.f[:] = arrays["f"]
    core.pc = hart["pc"]
    core.instret = hart["instret"]
    core.fflags = hart["fflags"]
    core.frm = hart["frm"]
    core.clear_reservation()
    if hart["reservation"] is not None:
        core.set_reservation(hart["reservation"])
    vm = proc.vm
    v = state["vm"]
    vm.starts, vm.ends = list(v["starts"]), list(v["ends"])
    vm.brk_start, vm.brk, vm.heap_end = v["brk_start"], v["brk"], v["heap_end"]
    sb = state["sandbox"]
    proc.sandbox.read_roots = list(sb["read_roots"])
    proc.sandbox.write_root = sb["write_root"]
    proc.sandbox.cwd = sb["cwd"]
    p = state["process"]
    proc.rng.setstate((p["rng_version"], tuple(int(w) for w in arrays["rng"]),
                       p["rng_gauss"]))
    proc.rlimits = {int(k): tuple(v) for k, v in p["rlimits"].items()}
    proc.umask, proc.clear_child_tid = p["umask"], p["clear_child_tid"]
    proc.cycle, proc.frequency = p["cycle"], p["frequency"]
    # Simulated time goes on from where it was, whatever clock the new run starts with
    # (a cold timing model starts at cycle 0; functional mode counts instructions).
    proc.cycle_offset = int(p["now"]) - int(system.cycle)
    proc.syscall_counts = collections.Counter(p["syscall_counts"])
    proc.unknown_syscalls = collections.Counter(p["unknown_syscalls"])
    s = state["signals"]
    proc.sigactions = {int(k): bytes.fromhex(v) for k, v in s["actions"].items()}
    proc.sigmask, proc.pending_signals = s["mask"], s["pending"]
    proc.signals_delivered = collections.Counter({int(k): v for k, v in s["delivered"].items()})
    proc.sigreturn_trampoline = s["trampoline"]
    proc.altstack = bytes.fromhex(s["altstack"])
    _apply_files(proc, state, arrays, echo)


_SHAPES = {"x": (np.uint64, (32,)), "f": (np.uint64, (32,)), "mapped": (np.uint64, (None, 2)),
           "pages": (np.uint64, (None,)), "page_data": (np.uint8, (None, 4096)),
           "rng": (np.uint64, (625,))}


def _check_arrays(arrays, limit):
    from cyclesim.checkpoint.store import CheckpointError

    for name, (dtype, shape) in _SHAPES.items():
        a = arrays.get(name)
        if a is None or a.dtype != dtype or a.ndim != len(shape) or any(
                want is not None and got != want for got, want in zip(a.shape, shape)):
            raise CheckpointError(f"checkpoint array {name!r} is missing or has the wrong "
                                  f"type or shape; take the checkpoint again")
    if len(arrays["pages"]) != len(arrays["page_data"]):
        raise CheckpointError("checkpoint arrays 'pages' and 'page_data' disagree in length; "
                              "take the checkpoint again")
    if len(arrays["pages"]) * 4096 > limit:
        raise CheckpointError(f"the checkpoint holds {len(arrays['pages']) * 4096:,} bytes of "
                              f"guest pages, more than the memory limit of {limit:,}")


def _apply_files(proc, state, arrays, echo):
    proc.files.close_all()
    opened = [_reopen(d, proc, arrays, n, echo) for n, d in enumerate(state["open_files"])]
    for fd, entry in sorted(state["files"].items(), key=lambda kv: int(kv[0])):
        proc.files.install(opened[entry["file"]], fd=int(fd), cloexec=entry["cloexec"])
    for f in opened:
        if isinstance(f, OutputFile):
            if f.which == "stdout":
                proc._stdout = f
            elif f.which == "stderr":
                proc._stderr = f


def _reopen(d, proc, arrays, n, echo):
    kind = d["kind"]
    if kind == "stdin":
        f = StdinFile(arrays[f"file{n}"].tobytes())
        f.pos = d["pos"]
    elif kind == "output":
        f = OutputFile(d["which"], False, proc._stdout.capture.limit)
        f.buffer = bytearray(arrays[f"file{n}"].tobytes())
        f.echo = echo
    elif kind == "host":
        flags = (os.O_RDWR if d["readable"] else os.O_WRONLY) if d["writable"] else os.O_RDONLY
        if d["status_flags"] & fs.O_APPEND:
            flags |= os.O_APPEND
        try:
            hfd = os.open(d["path"], flags)
        except OSError as e:
            raise CyclesimError(f"the checkpoint's guest had {d['path']} open, which cannot "
                                f"be opened now ({e.strerror}); restore it where that file "
                                "exists") from None
        os.lseek(hfd, d["offset"], os.SEEK_SET)
        f = HostFile(hfd, d["path"], d["readable"], d["writable"],
                     bool(d["status_flags"] & fs.O_APPEND))
    elif kind == "device":
        f = DeviceFile(d["path"], d["rdev"], proc.rng if d["random"] else None)
    elif kind == "directory":
        f = DirectoryFile(d["path"])
        f.pos = d["pos"]
    else:
        raise CyclesimError(f"open file kind {kind!r} in the checkpoint is not known")
    f.status_flags = d["status_flags"]
    return f
