"""Exact cycles with two harts in timing mode (docs/engine.md, "Threads and harts").

The machine makes the two harts independent: fetch idealised (rule 12,
`core.fetch_blocking = False`), private L1Ds, no L2, fixed-latency memory of 40 cycles
with no queue (the only shared part, and it has no state that one hart's access changes
for the other), a blocking MEM stage (`core.mem_blocking = True`: a load miss holds MEM
for 1 + 40 = 41 cycles, rules 3 and 13 of docs/pipeline.md). So each hart's cycles must
be exactly those of the same instructions run alone on one core.
"""
import subprocess

import pytest

import cyclesim

MACHINE = {"core.fetch_blocking": False, "core.mem_blocking": True, "l2": None,
           "memory.kind": "fixed", "memory.latency": 40, "bpred.kind": "static_nt"}
MISS = 41
K = 8                                   # line-strided loads each hart makes

# After the clone both threads run BODY: a0 = 0 in the child, the child's tid in the
# parent, so each picks its own 64 KiB half of buf (no line is shared), then K loads to
# K distinct lines (each an L1D miss) and a thread exit (exit, 93).
BODY = """
m_first:
  snez t3, a0
  slli t3, t3, 16
  lla a5, buf
  add a5, a5, t3
""" + "".join(f"  ld t1, {64 * i}(a5)\n" for i in range(K)) + """
  li a7, 93
  li a0, 0
  ecall
"""

TWO_HARTS = """
_start:
  li a0, 0x10f00              # CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
  lla a1, stack_top
  li a2, 0
  li a3, 0
  li a4, 0
  li a7, 220                  # clone: the child starts after this ecall on hart 1
  ecall
""" + BODY

ALONE = "\n_start:\n  li a0, 0\n" + BODY       # the child's instructions, on one core


def build(riscv_gcc, tmp_path, name, text):
    src = tmp_path / f"{name}.S"
    elf = tmp_path / name
    src.write_text(".option norvc\n.globl _start\n.text\n" + text +
                   "\n.data\n.balign 4096\nbuf: .zero 0x20000\n"
                   ".balign 16\nstack: .zero 4096\nstack_top:\n")
    subprocess.run([riscv_gcc, "-nostdlib", "-static", "-o", str(elf), str(src)],
                   check=True, capture_output=True)
    return elf


@pytest.fixture(scope="module")
def elfs(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mc")
    return build(riscv_gcc, tmp, "two", TWO_HARTS), build(riscv_gcc, tmp, "alone", ALONE)


def test_two_harts_each_take_the_cycles_of_one_core(elfs):
    """The child on hart 1 runs 5 setup instructions, K loads, 2 li and the ecall:
      fill of the empty pipeline             4 cycles (IF..MEM before the first WB)
      snez, slli, auipc+addi (lla), add      5 instructions x 1 cycle
      K loads, each an L1D miss held in MEM  K x 41 (each WB 41 after the one before)
      li, li, ecall                          3 x 1
    = 4 + 5 + 41 K + 3 = 12 + 41 K cycles (340 for K = 8); the same on one core
    (`ALONE`, whose extra `li a0, 0` adds 1). Hart 1 starts at the cycle of the clone,
    so the rest of the run is idle for it."""
    two, alone = elfs
    r = cyclesim.run(str(two), overrides={**MACHINE, "cores": 2}, sample_interval=None)
    one = cyclesim.run(str(alone), overrides=MACHINE, sample_interval=None)
    assert r.status == one.status == "exited"
    s = r.stats
    assert one.stats["core.cycles"] == 1 + 12 + 41 * K
    assert s["core1.busy_cycles"] == 12 + 41 * K
    assert s["core1.instructions"] == 5 + K + 3
    assert s["core1.l1d.misses"] == s["core0.l1d.misses"] == K
    assert s["core1.busy_cycles"] + s["core1.idle_cycles"] == s["core.cycles"]
    # Hart 0 runs the 9 instructions before the clone's ecall (li a0 is lui + addi, lla is
    # auipc + addi): fill 4 + 9 = 13, so the ecall commits at cycle c = 13, where hart 1
    # restarts with an empty pipeline. Hart 0's body then flows on behind the ecall:
    # 5 + 41 K + 3 = 336 more, ending at 349; hart 1's ends at c + 12 + 41 K = 353, 4 cycles
    # (its pipeline fill) later, and that is the run's length.
    assert s["core0.instructions"] == 9 + 5 + K + 3
    assert s["core0.busy_cycles"] == 13 + 5 + 41 * K + 3 == 349
    assert s["core.cycles"] == 13 + 12 + 41 * K == 353
    assert s["core0.idle_cycles"] == 4 and s["core1.idle_cycles"] == 13


def test_two_hart_runs_are_deterministic(elfs):
    two, _ = elfs
    a = cyclesim.run(str(two), overrides={**MACHINE, "cores": 2})
    b = cyclesim.run(str(two), overrides={**MACHINE, "cores": 2})
    assert a.stats.equals(b.stats)


def test_per_core_overrides_build_a_heterogeneous_machine(elfs):
    """per_core: hart 0 an out-of-order core, harts 1-3 in-order with a slower multiplier
    (the core section may differ per hart; docs/config.md, `engine`)."""
    from cyclesim.api import prepare
    from pipeline.inorder import InOrderCore
    from pipeline.ooo import OutOfOrderCore

    two, _ = elfs
    cfg = {"cores": 4, "core": {"model": "ooo"},
           "per_core": [{"cores": [1, 2, 3], "core": {"model": "inorder", "mul_latency": 7}}]}
    system, _, resolved = prepare(str(two), config=cfg)
    kinds = [type(t) for t in system.timings]
    assert kinds[0] is OutOfOrderCore and all(issubclass(k, InOrderCore) for k in kinds[1:])
    assert resolved.hart_config(2)[0].mul_latency == 7 and resolved.core.mul_latency != 7
    r = cyclesim.run(str(two), config=cfg)
    assert r.status == "exited" and r.stats["core1.instructions"] == 5 + K + 3
