"""Every workload, at its two test sizes, computes under cyclesim exactly what it computes
under qemu-riscv64 (an independent implementation): same stdout, same exit code. Timing
mode must not change what the program computes or how many instructions it retires."""
import pytest

import cyclesim
from cyclesim import workloads

CASES = [(name, tuple(args)) for name in workloads.names()
         for args in workloads.info(name)["test_args"]]


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{'-'.join(map(str, a)) or 'default'}"
                                                  for n, a in CASES])
def test_functional_matches_qemu(run_qemu, name, args):
    code, out, err = run_qemu(workloads.path(name), args)
    result = cyclesim.run(name, *args, mode="functional")
    assert result.status == "exited", result.message
    assert result.stdout_bytes == out
    assert result.exit_code == code == 0
    assert result.unknown_syscalls == {}


@pytest.mark.parametrize("name", workloads.names())
def test_timing_mode_computes_the_same(name):
    args = workloads.info(name)["test_args"][0]
    functional = cyclesim.run(name, *args, mode="functional")
    timed = cyclesim.run(name, *args)
    assert timed.stdout_bytes == functional.stdout_bytes
    assert timed.exit_code == functional.exit_code == 0
    assert timed.instructions == functional.instructions
    assert timed.stats["core.cycles"] >= timed.instructions
    # The CPI stack accounts for every cycle, exactly.
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])


@pytest.mark.parametrize("name", workloads.names())
def test_superscalar_u74_computes_what_qemu_computes(run_qemu, name):
    """The dual-issue u74 preset (pipeline/superscalar.pyx) changes timing only: qemu's
    output and exit code, the functional run's instruction count, a CPI stack that sums."""
    args = workloads.info(name)["test_args"][0]
    code, out, _ = run_qemu(workloads.path(name), args)
    functional = cyclesim.run(name, *args, mode="functional")
    timed = cyclesim.run(name, *args, preset="u74")
    assert timed.status == "exited", timed.message
    assert timed.stdout_bytes == out and timed.exit_code == code == 0
    assert timed.instructions == functional.instructions
    assert timed.stats["core.width"] == 2
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])
