"""Where sweep points run: a local pool of worker processes, or a Dask cluster.

Both take a list of tasks and call `on_result(task, record)` in the driver as each point
finishes, in completion order. A worker that dies takes only its own point down: that
point is retried on a fresh worker up to `retries` times, then reported as an error; the
other points carry on.

The local pool is a few processes with one pipe each rather than a ProcessPoolExecutor:
when one of its workers dies, the executor fails every point in flight and cannot say
which one killed it, so a bounded retry would charge innocent points.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import deque
from multiprocessing.connection import Connection, wait

from cyclesim.sweeps.worker import error_record, execute

DIED = "worker_died"


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def died_record(attempts: int, how: str) -> dict:
    record = error_record(f"worker died ({how}) on each of {attempts} attempt"
                          f"{'s' if attempts != 1 else ''}")
    record["run_status"] = DIED
    return record


class _Worker:
    """One worker: a `python -m cyclesim.sweeps.worker` process with a pipe each way.

    A plain child process rather than multiprocessing's spawn: spawn re-imports the
    user's __main__ in every worker, which re-runs an unguarded script's sweep and fails
    for code typed into `python -`. The worker needs nothing from __main__."""

    def __init__(self):
        import cyclesim

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # Find this very cyclesim in the child when it is a source checkout on sys.path
        # (an installed one is found anyway; its site-packages must not go before the
        # standard library).
        root = os.path.dirname(os.path.dirname(os.path.abspath(cyclesim.__file__)))
        if root not in _site_dirs():
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH"))
                                                if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cyclesim.sweeps.worker", str(to_child_r),
             str(from_child_w)], pass_fds=(to_child_r, from_child_w), env=env,
            stdin=subprocess.DEVNULL, start_new_session=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)
        self.tasks: deque = deque()  # the point sent to it (at most one)

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError):
            self.send_conn.send(None)

    def stop(self, now: bool) -> None:
        if not now:
            self.ask_to_stop()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.send_conn.close()
        self.conn.close()


def _site_dirs() -> set[str]:
    import site

    dirs = list(site.getsitepackages())
    dirs.append(site.getusersitepackages())
    return {os.path.abspath(d) for d in dirs}


def _how(exitcode) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def run_local(tasks, on_result, workers: int | None, retries: int) -> None:
    """Run tasks on `workers` processes (default: every core this process may use).

    A worker holds one point at a time: a second one sent ahead would block the driver
    in send() (a task is larger than a pipe's buffer) while that worker computes, and
    leave the other workers waiting for theirs. Results are stored after the idle
    workers have their next point, so the store write is off their critical path."""
    if not tasks:
        return
    n = max(1, min(workers or default_workers(), len(tasks)))
    queue = deque(tasks)
    attempts: dict[int, int] = {}
    pool = [_Worker() for _ in range(n)]
    clean = False

    def charge(task, returncode, done) -> None:
        key = task["point"]
        attempts[key] = attempts.get(key, 0) + 1
        if attempts[key] <= retries:
            queue.appendleft(task)
        else:
            done.append((task, died_record(attempts[key], _how(returncode))))

    def feed(done) -> None:
        for i, w in enumerate(pool):
            if queue and not w.tasks:
                task = queue.popleft()
                try:
                    w.send_conn.send(task)
                except OSError:  # the worker died taking it (or could not start at all)
                    w.stop(now=True)
                    pool[i] = _Worker()
                    charge(task, w.process.returncode, done)
                    continue
                w.tasks.append(task)

    try:
        while queue or any(w.tasks for w in pool):
            done = []
            feed(done)
            busy = [w.conn for w in pool if w.tasks]
            ready = set(wait(busy)) if busy else set()
            for i, w in enumerate(pool):
                if w.conn not in ready:
                    continue
                try:
                    record = w.conn.recv()
                except (EOFError, OSError):  # the worker died: its pipe reached its end
                    record = None
                if record is not None:
                    done.append((w.tasks.popleft(), record))
                    continue
                w.stop(now=True)
                pool[i] = _Worker()
                charge(w.tasks.popleft(), w.process.returncode, done)
            feed(done)  # keep the workers busy while the driver stores what came back
            for task, record in done:
                on_result(task, record)
        clean = True
    finally:
        if clean:
            for w in pool:
                w.ask_to_stop()
        for w in pool:
            w.stop(now=not clean)


def _image(data: bytes) -> bytes:
    return data


def run_dask(tasks, on_result, scheduler, workers: int | None, retries: int) -> None:
    """Run tasks on a Dask cluster: `scheduler` is a dask.distributed.Client, an address
    ("tcp://host:8786"), or None to start a LocalCluster of `workers` processes."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        from cyclesim.errors import CyclesimError
        raise CyclesimError("the Dask backend needs dask.distributed: pip install "
                            "'cyclesim[dask]' (or dask[distributed]), or use "
                            "backend='processes'") from None
    if not tasks:
        return
    owned = []
    try:
        if isinstance(scheduler, Client):
            client = scheduler
        elif scheduler:
            client = Client(scheduler)
            owned.append(client)
        else:
            n = max(1, min(workers or default_workers(), len(tasks)))
            # The scheduler retries a point whose worker died this many times, then
            # raises KilledWorker (with an external scheduler, its own setting applies).
            with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            owned.append(cluster)
            client = Client(cluster)
            owned.insert(0, client)
        images = {}
        futures = {}
        for task in tasks:
            sha = task["image_sha256"]
            if sha not in images:
                # Each program travels once, under its content hash, as a task rather
                # than scattered data: if the worker holding it dies, the scheduler
                # makes it again instead of losing it.
                images[sha] = client.submit(_image, task["image"], key=f"cyclesim-image-{sha}")
            light = {k: v for k, v in task.items() if k != "image"}
            fut = client.submit(execute, light, images[sha], pure=False,
                                key=f"cyclesim-point-{task['point']}-{os.urandom(4).hex()}")
            futures[fut] = task
        try:
            for fut in as_completed(list(futures)):
                task = futures.pop(fut)
                try:
                    record = fut.result()
                except KilledWorker:
                    record = died_record(retries + 1, "killed")
                except Exception as e:  # noqa: BLE001 (any failure is that point's row)
                    record = error_record(f"{type(e).__name__}: {e}")
                on_result(task, record)
        finally:
            if futures:
                client.cancel(list(futures))
    finally:
        for thing in owned:
            with contextlib.suppress(Exception):  # closing a cluster that already failed
                thing.close()
