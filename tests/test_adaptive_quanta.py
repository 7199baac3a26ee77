"""Adaptive quanta (docs/engine.md, "Quanta"): the quantum is `engine.quantum` while the
harts do not interact, `engine.min_quantum` right after a quantum in which they did, and
doubles back over quiet quanta. Checked three ways:

- exactly, on a program whose only interaction is known: a clone (a thread made
  runnable) in the first quantum, then two independent loops;
- against the fine-grained reference, fixed quanta of 1 cycle (every hart meets the
  others every cycle: the interleaving a cycle-by-cycle simulator gives), on the
  false-sharing counters at the default settings;
- where the harts share nothing (padded counters, reduce): the same cycles as fixed large
  quanta, and the quantum stays large (few quanta, few of them small).
"""
import subprocess

import pytest

import cyclesim
from cyclesim.config import resolve_config

DEFAULT = resolve_config().engine
FIXED = {"engine.adaptive": False}
REFERENCE = {"engine.adaptive": False, "engine.quantum": 1}

# Independent harts (tests/test_multicore_timing.py): no L2, fixed-latency memory.
MACHINE = {"core.fetch_blocking": False, "core.mem_blocking": True, "l2": None,
           "memory.kind": "fixed", "memory.latency": 40, "bpred.kind": "static_nt"}

# Hart 0 clones (the child starts on hart 1), then each counts down in registers only:
# the child 2,000 iterations and exits (93, no CLONE_CHILD_CLEARTID: nobody is woken),
# the parent 3,000 and ends the process (exit_group, 94).
CLONE_AND_LOOP = """
.option norvc
.globl _start
.text
_start:
  li a0, 0x10f00              # CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
  lla a1, stack_top
  li a2, 0
  li a3, 0
  li a4, 0
  li a7, 220
  ecall
  beqz a0, child
  li t0, 3000
1: addi t0, t0, -1
  bnez t0, 1b
  li a7, 94
  li a0, 0
  ecall
child:
  li t0, 2000
2: addi t0, t0, -1
  bnez t0, 2b
  li a7, 93
  li a0, 0
  ecall
.data
.balign 64
stack: .zero 4096
stack_top:
"""


@pytest.fixture(scope="module")
def clone_and_loop(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("aq")
    src, elf = tmp / "loop.S", tmp / "loop"
    src.write_text(CLONE_AND_LOOP)
    subprocess.run([riscv_gcc, "-nostdlib", "-static", "-o", str(elf), str(src)],
                   check=True, capture_output=True)
    return str(elf)


@pytest.mark.parametrize("min_quantum, small", [(10, 7), (25, 6), (1000, 0)])
def test_one_interaction_shrinks_the_quantum_once(clone_and_loop, min_quantum, small):
    """The first quantum is the large one, [0, 1000): nothing has been seen yet. The clone
    (at cycle ~13) makes a thread runnable in it, so the next quantum is min_quantum, and
    as nothing else passes between the harts each later one doubles, up to 1000:
    10, 20, 40, 80, 160, 320, 640 (7 small quanta) for min_quantum = 10; 25, 50, 100,
    200, 400, 800 (6) for 25; none with min_quantum = quantum. The run is longer than
    the first 1000 + 1270 cycles (3,000 iterations of 2 instructions on hart 0, at least
    6,000 cycles), so every small quantum is run. The harts share no line and the memory
    keeps no state between them, so the cycles are those of fixed quanta."""
    r = cyclesim.run(clone_and_loop, sample_interval=None,
                     overrides={**MACHINE, "cores": 2, "engine.min_quantum": min_quantum})
    fixed = cyclesim.run(clone_and_loop, sample_interval=None,
                         overrides={**MACHINE, "cores": 2, **FIXED})
    assert r.status == fixed.status == "exited"
    s = r.stats
    assert s["threads.created"] == 2
    assert s["core.cycles"] > 6000
    assert s["engine.small_quanta"] == small
    # the large quanta cover the rest: one per 1000 cycles (each may start a few cycles
    # after the last one ended, where the earliest hart's clock stands)
    large = s["engine.quanta"] - small
    rest = s["core.cycles"] - 1000 - sum(min_quantum << k for k in range(small))
    assert 1 + rest // 1000 - 1 <= large <= 1 + -(-rest // 1000), (large, rest)
    assert s["core.cycles"] == fixed.stats["core.cycles"]
    assert fixed.stats["engine.quanta"] == 0          # fixed quanta keep today's grid


def falseshare(layout, cores, **overrides):
    n = 20_000
    r = cyclesim.run("falseshare", str(n), str(cores), layout, sample_interval=None,
                     overrides={"cores": cores, **overrides})
    assert r.status == "exited" and r.stdout_bytes.rstrip().endswith(b" ok"), r.message
    return r


def coherence_misses(r, cores):
    return sum(int(r.stats[f"core{i}.l1d.coherence_misses"]) for i in range(cores))


@pytest.mark.parametrize("cores", [2, 4])
def test_false_sharing_at_the_defaults_matches_the_fine_grained_reference(cores):
    """Packed counters ping-pong one line on every increment. At the default settings
    (adaptive, quantum 1000, min_quantum 10) cycles are within 3% of fixed 1-cycle quanta
    and nearly every increment is a coherence miss; fixed 1000-cycle quanta are off by a
    factor of ~6 in cycles and ~200 in misses (test below). Measured on 4 cores since the
    shared levels place requests by cycle (docs/engine.md, "Cycle order at the shared
    levels"): -2.2% cycles, but 79,959 coherence misses against 119,865 with 1-cycle
    quanta (1-2 cycle quanta: 1.5 misses per increment, a core losing the line between
    its read and its write; 5-cycle quanta 108,894). Before, both gave ~80,000: this is
    the known error of min_quantum = 10 on this 4-core regime (closing note), so misses are
    checked against the increments, and the fine reference must not see fewer."""
    assert DEFAULT.adaptive and DEFAULT.quantum == 1000 and DEFAULT.min_quantum == 10
    r = falseshare("packed", cores)
    ref = falseshare("packed", cores, **REFERENCE)
    cyc, ref_cyc = r.stats["core.cycles"], ref.stats["core.cycles"]
    assert abs(cyc - ref_cyc) <= 0.03 * ref_cyc, (cyc, ref_cyc)
    miss, ref_miss = coherence_misses(r, cores), coherence_misses(ref, cores)
    assert miss <= ref_miss, (miss, ref_miss)
    assert miss > 0.9 * 20_000 * cores                 # nearly every increment misses
    # nearly every quantum saw the line move: the small quantum is in force
    assert r.stats["engine.small_quanta"] > 0.9 * r.stats["engine.quanta"]


def test_fixed_large_quanta_hide_false_sharing():
    """Why adaptive is the default: with fixed 1000-cycle quanta the harts take turns of
    1000 cycles (docs/engine.md), a line moves at most about once per quantum per core,
    and the packed counters look almost as fast as the padded ones (measured on 4 cores:
    ~110 coherence misses per L1D instead of ~20,000; 160,547 cycles against 154,726
    padded and 917,313 with 1-cycle quanta)."""
    packed = falseshare("packed", 4, **FIXED)
    padded = falseshare("padded", 4, **FIXED)
    assert coherence_misses(packed, 4) < 1000
    assert packed.stats["core.cycles"] < 1.1 * padded.stats["core.cycles"]
    fine = falseshare("packed", 4)
    assert fine.stats["core.cycles"] > 4 * packed.stats["core.cycles"]


@pytest.mark.parametrize("cores", [2, 4])
def test_no_sharing_keeps_the_quantum_large(cores):
    """Padded counters share no written line: the harts interact only while threads are
    created and joined (and glibc's start-up touches shared data), so the cycles are
    those of fixed quanta within 3%, and the quanta are few: the average quantum is
    above 200 cycles (measured: ~330 on 4 cores, ~650 on 2; fixed: 1000)."""
    r = falseshare("padded", cores)
    fixed = falseshare("padded", cores, **FIXED)
    cyc, fixed_cyc = r.stats["core.cycles"], fixed.stats["core.cycles"]
    assert abs(cyc - fixed_cyc) <= 0.03 * fixed_cyc, (cyc, fixed_cyc)
    assert coherence_misses(r, cores) < 100
    assert r.stats["engine.quanta"] < cyc / 200


def test_reduce_runs_in_large_quanta():
    """reduce shares nothing while it sums: cycles within 1% of fixed 1000-cycle quanta
    and, on average, quanta of more than 500 cycles (measured: 586,666 against 589,704
    cycles in 831 quanta, 263 of them small)."""
    args = ("reduce", "2048", "4", "128")
    r = cyclesim.run(*args, sample_interval=None, overrides={"cores": 4})
    fixed = cyclesim.run(*args, sample_interval=None, overrides={"cores": 4, **FIXED})
    assert r.status == fixed.status == "exited"
    cyc, fixed_cyc = r.stats["core.cycles"], fixed.stats["core.cycles"]
    assert abs(cyc - fixed_cyc) <= 0.01 * fixed_cyc, (cyc, fixed_cyc)
    assert r.stats["engine.quanta"] < cyc / 500


def test_adaptive_runs_are_deterministic():
    a = falseshare("packed", 4)
    b = falseshare("packed", 4)
    assert a.stats.equals(b.stats)


def test_one_core_runs_no_quanta():
    """cores = 1: nothing to meet, the engine runs to the next event as always."""
    r = cyclesim.run("reduce", "2048", "1", "4", sample_interval=None)
    assert r.status == "exited"
    assert "engine.quanta" not in r.stats


@pytest.mark.parametrize("name, args, tolerance", [
    ("lockqueue", ("500", "4"), 0.05),     # a mutex handed over, condition-variable waits
    ("pstencil", ("16", "4"), 0.02),       # neighbours' rows shared, a barrier per step
])
def test_locks_and_barriers_match_the_fine_grained_reference(name, args, tolerance):
    """Lock hand-offs and barriers at the default settings against fixed 1-cycle quanta
    (measured: lockqueue 346,953 against 337,731 cycles, fixed 1000-cycle quanta 293,381;
    pstencil 255,348 against 255,360, fixed 259,908)."""
    r = cyclesim.run(name, *args, sample_interval=None, overrides={"cores": 4})
    ref = cyclesim.run(name, *args, sample_interval=None, overrides={"cores": 4, **REFERENCE})
    assert r.status == ref.status == "exited" and r.stdout_bytes == ref.stdout_bytes
    cyc, ref_cyc = r.stats["core.cycles"], ref.stats["core.cycles"]
    assert abs(cyc - ref_cyc) <= tolerance * ref_cyc, (cyc, ref_cyc)
