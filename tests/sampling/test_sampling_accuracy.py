"""Sampled runs against full detailed runs, at sizes the test suite can afford (1-3 M
instructions; benchmarks/sampling_accuracy.py does 1e8 and more).

Two properties:
* exactness of warming: every unit a sampled run measures takes exactly the cycles the
  same unit takes in a continuous detailed run (`period=1, warmup=0` measures every unit
  of one). It holds because the warmed caches and predictors equal the detailed ones
  (test_sampling_warming.py) and the in-order pipeline restarted empty converges to the
  detailed schedule within the W = 2000 instructions of detailed warm-up;
* the estimate: within 2 % of the full run's CPI, and the full CPI inside the reported
  95 % interval. Start-up (about 6,500 instructions of cold-cache glibc start-up, never
  in a measured unit) and systematic sampling's aliasing with a loop make the interval
  miss for fib and hash at these sizes: for them only the 2 % bound is asserted.
"""
import pytest

import cyclesim

SIZES = {"bfs": "2500", "crc32": "24000", "fib": "22", "hash": "180000", "hashtable": "7000",
         "interp": "200", "matmul": "64", "nbody": "60", "ptrchase": "10000", "sort": "12000",
         "spmv": "2000", "stencil": "96", "strings": "2000", "triad": "32768"}
INTERVAL_MISSES = {"fib", "hash"}


@pytest.mark.parametrize("name", ["hash", "matmul", "ptrchase", "interp"])
def test_measured_units_take_the_cycles_of_a_full_run(name):
    # DRAM refresh is the one state that depends on the absolute cycle (a rank refreshes
    # every tREFI), and the warmed clock is not the detailed one, so the units are
    # exact with refresh off; with it on, a unit whose miss meets a refresh differs
    # (measured: 6 of 205 units of hash 180000).
    ov = {"memory.tREFI": 0}
    every = cyclesim.run(name, SIZES[name], sampling={"period": 1, "warmup": 0}, overrides=ov)
    sampled = cyclesim.run(name, SIZES[name], sampling={"period": 10}, overrides=ov)
    full = every.sampling.units.set_index("start")
    units = sampled.sampling.units.set_index("start")
    assert len(units) >= 100
    same = full.loc[units.index]
    assert list(units["cycles"]) == list(same["cycles"])
    for column in ("l1d.misses", "l1i.misses", "l2.misses", "bpred.mispredicts"):
        assert list(units[column]) == list(same[column]), column
    assert sampled.stdout == every.stdout and sampled.exit_code == every.exit_code == 0


@pytest.mark.parametrize("name", sorted(SIZES))
def test_sampled_cpi_is_close_to_the_full_run(name):
    # clear_env: the first period's start-up is warmed, not measured, and at these sizes
    # (1-3 M instructions) its length matters: the default environment adds ~2,700
    # start-up instructions of cold misses the full run counts and the sample does not,
    # which moves the estimate of fib 22 by 2.0 % and of strings 2000 by 1.4 % (with an
    # empty environment, 0.4 % at most). At 1e8 instructions (benchmarks/
    # sampling_accuracy.py) the start-up is negligible with either.
    full = cyclesim.run(name, SIZES[name], sample_interval=None, clear_env=True)
    sampled = cyclesim.run(name, SIZES[name], sampling={"period": 10}, clear_env=True)
    assert sampled.ok and full.ok and sampled.stdout == full.stdout
    est = sampled.sampling
    cpi = full.stats["core.cpi"]
    assert est.n >= 100
    assert sampled.instructions == full.instructions
    assert abs(est.cpi / cpi - 1) < 0.02
    if name not in INTERVAL_MISSES:
        assert est.cpi_low <= cpi <= est.cpi_high
    assert sampled.stats["core.cpi"] == est.cpi
    assert sampled.stats["core.cycles"] == round(est.cpi * full.instructions)
