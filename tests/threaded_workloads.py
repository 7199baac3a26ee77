"""The bundled workloads that create threads (`threads = true` in workloads.toml), and
whether the simulator can run them yet.

Until guest threads exist (issue 13) cyclesim answers clone with ENOSYS, so the tests that
run a threaded workload under the simulator skip it, saying why. The check is the feature
itself, not the outcome of a run: once the kernel handles clone (or clone3), every such
test runs, and a wrong answer fails it instead of skipping it."""
import functools

import pytest

import cyclesim
from cyclesim import workloads

THREADED = tuple(n for n in workloads.names() if workloads.info(n)["threads"])


@functools.cache
def simulator_runs_threads() -> bool:
    """True when a two-thread run of `reduce` gets past pthread_create: glibc tries clone3
    and falls back to clone, so clone answered ENOSYS means there are no guest threads."""
    r = cyclesim.run("reduce", "16", "2", max_insts=2_000_000)
    return "clone" not in r.unknown_syscalls


def require_threads(name: str) -> None:
    """Skip the calling test for a threaded workload while the simulator has no threads."""
    if workloads.info(name)["threads"] and not simulator_runs_threads():
        pytest.skip(f"{name} creates threads and this cyclesim answers clone with ENOSYS "
                    "(guest threads: issue 13)")


def same_work(name: str, a: int, b: int) -> bool:
    """Two runs of a workload retired the same instructions. A single-threaded program
    retires exactly the same ones whatever the timing. A threaded one does the same work
    but its lock, barrier and join paths spin and retry as often as the interleaving
    makes them, and timing changes the interleaving: a few percent of slack (these
    programs synchronise rarely compared with their work)."""
    if not workloads.info(name)["threads"]:
        return a == b
    return abs(a - b) <= 0.05 * max(a, b)
