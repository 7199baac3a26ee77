"""What a worker does for one sweep point: load the program from the bytes that travelled
with the task, run it on the point's config, and return a plain record.

A worker needs only cyclesim installed: the ELF image comes in the task (checked against
its content hash), the config comes as a SystemConfig, and the result goes back to the
driver, which alone writes the store. Exceptions become an "error" record, so one bad
point never stops a sweep.
"""
from __future__ import annotations

import hashlib
import os
import signal
import time

# Test hook: CYCLESIM_SWEEP_KILL="POINT[:MARKER]" makes the worker that picks up point
# POINT kill itself with SIGKILL; with MARKER, only while that file does not exist yet (it
# is created first), so exactly the first attempt dies. Used by the tests to prove that a
# dead worker costs nothing but a retry.
KILL_HOOK = "CYCLESIM_SWEEP_KILL"

# SimResult statuses that mean the run ended as the user asked.
_FINISHED = ("max_insts", "max_cycles", "stopped")
# Statuses that say nothing about the point (the run was cut short from outside).
TRANSIENT = ("interrupted",)


def image_hash(image: bytes) -> str:
    return hashlib.sha256(image).hexdigest()


def error_record(message: str) -> dict:
    return {"status": "error", "message": message, "run_status": None, "exit_code": None,
            "stats": {}, "host_seconds": 0.0}


def ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the driver, which stops them and keeps what finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _maybe_die(point: int) -> None:
    spec = os.environ.get(KILL_HOOK)
    if not spec:
        return
    target, _, marker = spec.partition(":")
    if int(target) != point:
        return
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def classify(status: str, exit_code, message: str) -> tuple[str, str]:
    """(ok | fault, message) for a SimResult status."""
    if status == "exited" and exit_code == 0:
        return "ok", message
    if status in _FINISHED:
        return "ok", message
    if status == "exited":
        return "fault", f"exited with code {exit_code}"
    return "fault", message


def execute(task: dict, image: bytes | None = None) -> dict:
    """Run one point; never raises for a problem with the point itself."""
    point = task["point"]
    _maybe_die(point)
    if task.get("checkpoint") is not None:
        return _execute_checkpoint(task)
    image = task["image"] if image is None else image
    if task.get("trace") is not None:
        return _execute_trace(task, image)
    if image_hash(image) != task["image_sha256"]:
        return error_record(f"the program bytes of {task['name']!r} arrived damaged "
                            "(content hash differs); rerun the sweep")
    started = time.perf_counter()
    try:
        outcome = simulate(image, task["name"], task["args"], task["config"], task["options"])
    except Exception as e:  # noqa: BLE001 (a bad point is a row, not a crash of the sweep)
        return error_record(f"{type(e).__name__}: {e}")
    status, message = classify(outcome.status, outcome.exit_code, outcome.message)
    # The statistics SimResult.stats would hold, without building a SimResult: a worker
    # that never imports pandas starts in a third of the time.
    stats = {k: float(v) for k, v in sorted(outcome.stats.items())}
    return {"status": status, "message": message, "run_status": outcome.status,
            "exit_code": None if outcome.exit_code is None else int(outcome.exit_code),
            "stats": stats, "host_seconds": time.perf_counter() - started}


def _execute_checkpoint(task: dict) -> dict:
    """One point resumed from a checkpoint directory (SimPoint's simulation points,
    cyclesim/sampling/simpoint.py): cyclesim.run(checkpoint=...) on the point's config."""
    started = time.perf_counter()
    try:
        from cyclesim.api import run

        r = run(task.get("program"), checkpoint=task["checkpoint"], config=task["config"],
                sample_interval=None, progress=False, **task["options"])
    except Exception as e:  # noqa: BLE001 (a bad point is a row, not a crash of the sweep)
        return error_record(f"{type(e).__name__}: {e}")
    status, message = classify(r.status, r.exit_code, r.message)
    stats = {k: float(v) for k, v in sorted(r.stats.items())}
    return {"status": status, "message": message, "run_status": r.status,
            "exit_code": None if r.exit_code is None else int(r.exit_code),
            "stats": stats, "host_seconds": time.perf_counter() - started}


def _execute_trace(task: dict, image: bytes) -> dict:
    """One sweep point over an address trace: caches.simulate with the point's config."""
    started = time.perf_counter()
    spec = task["trace"]
    try:
        from caches.simulate import simulate as simulate_trace
        from caches.tracefile import Trace
        if spec["path"] is None:
            import pickle
            if image_hash(image) != task["image_sha256"]:
                return error_record(f"the trace {task['name']!r} arrived damaged (content "
                                    "hash differs); rerun the sweep")
            cols = pickle.loads(image)
            trace = Trace({k: v for k, v in cols.items() if v is not None},
                          default_size=spec["default_size"])
            if spec.get("instructions") is not None:
                trace.instructions = spec["instructions"]
        else:
            trace = Trace(spec["path"], spec["format"], default_size=spec["default_size"])
        o = task["options"]
        r = simulate_trace(trace, config=task["config"], warmup=int(o.get("warmup") or 0))
    except Exception as e:  # noqa: BLE001 (a bad point is a row, not a crash of the sweep)
        return error_record(f"{type(e).__name__}: {e}")
    stats = {k: float(v) for k, v in sorted(r.stats.items())}
    return {"status": "ok", "message": "", "run_status": "trace", "exit_code": None,
            "stats": stats, "host_seconds": time.perf_counter() - started}


def simulate(image: bytes, name: str, args: list[str], config, options: dict):
    """One sweep point: the run cyclesim.run(name, *args, ...) makes, on an in-memory
    image loaded under `name` (its argv[0]); returns the engine's RunOutcome."""
    from cyclesim.api import build_system
    from cyclesim.engine import RunOptions

    o = dict(options)
    process_options = {key: o.pop(key) for key in ("env", "clear_env", "stdin", "allow_read",
                                                    "allow_write", "mem_limit", "seed")
                       if key in o}
    return build_system(image, name, args, config, RunOptions(progress=False, **o),
                        **process_options).run()


def main(argv=None) -> None:
    """Worker process: read tasks from one pipe, write records to the other, until the
    driver sends None or goes away."""
    import sys
    from multiprocessing.connection import Connection

    argv = sys.argv[1:] if argv is None else argv
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    ignore_interrupts()
    # Load the simulator while the driver prepares, not on the first point.
    import cyclesim.engine
    import cyclesim.process.kernel  # noqa: F401
    while True:
        try:
            task = inbox.recv()
        except (EOFError, OSError):  # the driver is gone
            return
        if task is None:
            return
        try:
            outbox.send(execute(task))
        except OSError:
            return


if __name__ == "__main__":
    main()
