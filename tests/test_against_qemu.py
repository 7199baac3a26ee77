"""Every workload, at its two test sizes, computes under cyclesim exactly what it computes
under qemu-riscv64 (an independent implementation): same stdout, same exit code. Timing
mode must not change what the program computes or how many instructions it retires
(threaded programs: see same_work)."""
import pytest

import cyclesim
from cyclesim import workloads

from threaded_workloads import THREADED, require_threads, same_work

CASES = [(name, tuple(args)) for name in workloads.names()
         for args in workloads.info(name)["test_args"]]


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{'-'.join(map(str, a)) or 'default'}"
                                                  for n, a in CASES])
def test_functional_matches_qemu(run_qemu, name, args):
    require_threads(name)
    code, out, err = run_qemu(workloads.path(name), args)
    result = cyclesim.run(name, *args, mode="functional")
    assert result.status == "exited", result.message
    assert result.stdout_bytes == out
    assert result.exit_code == code == 0
    assert result.unknown_syscalls == {}


@pytest.mark.parametrize("name", workloads.names())
def test_timing_mode_computes_the_same(name):
    require_threads(name)
    args = workloads.info(name)["test_args"][0]
    functional = cyclesim.run(name, *args, mode="functional")
    timed = cyclesim.run(name, *args)
    assert timed.stdout_bytes == functional.stdout_bytes
    assert timed.exit_code == functional.exit_code == 0
    assert same_work(name, timed.instructions, functional.instructions)
    assert timed.stats["core.cycles"] >= timed.instructions
    # The CPI stack accounts for every cycle, exactly.
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])


# The programs built with -march=rv64gc_zba_zbb_zbs (workloads/Makefile RVA22_MARCH).
RVA22_WORKLOADS = ("bitcount", "strscan")


@pytest.mark.parametrize("name", RVA22_WORKLOADS)
def test_bitmanip_workloads_use_the_extensions_and_match_qemu(name, run_qemu):
    """They contain Zbb/Zba instructions, give qemu's output and retire the same
    instructions in the region of interest as qemu executes there (counted by
    workloads/count-instructions.sh; cyclesim also counts the roi_end marker, which
    retires inside the region, hence + 1), in both modes; the whole run agrees to within
    the start-up difference (qemu's initial stack differs slightly: under 0.1%)."""
    import subprocess
    from cyclesim.isa.disasm import disassemble_bytes
    from elftools.elf.elffile import ELFFile

    path = workloads.path(name)
    with open(path, "rb") as fh:
        text = ELFFile(fh).get_section_by_name(".text")
        code, base = text.data(), text["sh_addr"]
    used = {t.split("\t")[0] for *_, t in disassemble_bytes(code, base)}
    assert {"cpop", "ctz"} <= used and used & {"orc.b", "clz", "sh3add", "bext"}
    args = workloads.info(name)["test_args"][-1]
    out = subprocess.run([str(workloads.root() / "count-instructions.sh"), str(path), *args],
                         check=True, capture_output=True, text=True).stdout
    counts = dict(kv.split("=") for kv in out.split())
    code_, stdout, _ = run_qemu(path, args)
    for mode in ("functional", "timing"):
        # count-instructions.sh runs qemu with an empty environment (env -i): so does
        # this run (glibc start-up scans the environment; the default one costs ~2,700)
        r = cyclesim.run(str(path), *args, mode=mode, roi=True, clear_env=True)
        assert r.status == "exited" and r.stdout_bytes == stdout and code_ == 0
        assert r.instructions == int(counts["roi"]) + 1
        assert abs(r.total_instructions - int(counts["total"])) < 1e-3 * int(counts["total"])


def test_bitmanip_workload_needs_its_extensions():
    """On a hart without Zbb the same ELF stops at its first Zbb instruction."""
    r = cyclesim.run("bitcount", "100", mode="functional", overrides={"core.isa": "rv64gc"})
    assert r.status == "fault" and "illegal instruction" in r.message


@pytest.mark.parametrize("name", workloads.names())
def test_superscalar_u74_computes_what_qemu_computes(run_qemu, name):
    """The dual-issue u74 preset (pipeline/superscalar.pyx) changes timing only: qemu's
    output and exit code, the functional run's instruction count, a CPI stack that sums."""
    require_threads(name)
    args = workloads.info(name)["test_args"][0]
    code, out, _ = run_qemu(workloads.path(name), args)
    functional = cyclesim.run(name, *args, mode="functional")
    timed = cyclesim.run(name, *args, preset="u74")
    assert timed.status == "exited", timed.message
    assert timed.stdout_bytes == out and timed.exit_code == code == 0
    assert same_work(name, timed.instructions, functional.instructions)
    assert timed.stats["core.width"] == 2
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])


@pytest.mark.parametrize("name", THREADED)
def test_threaded_workloads_on_four_harts_give_qemus_output(run_qemu, name):
    """At the larger test size (4 threads) on 4 harts, in timing mode: qemu's output, and
    every hart did some of the work."""
    require_threads(name)
    args = workloads.info(name)["test_args"][-1]
    code, out, _ = run_qemu(workloads.path(name), args)
    r = cyclesim.run(name, *args, overrides={"cores": 4})
    assert r.status == "exited", r.message
    assert r.stdout_bytes == out and r.exit_code == code == 0
    # every hart ran part of the program; not necessarily much of it: lockqueue's last
    # consumers find the queue drained by the others when the harts' accesses are timed
    # finely (1-cycle quanta: ~350 instructions on core 3; adaptive quanta: ~200), while
    # fixed 1000-cycle quanta gave each consumer long turns
    assert all(r.stats[f"core{i}.instructions"] > 0 for i in range(4))
    assert r.stats["core.instructions"] > 4000
    assert int(r.cpi_stack(0).sum()) == int(r.stats["core0.cycles"])
