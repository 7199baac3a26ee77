"""`cyclesim run --sample` and `cyclesim.run(sampling=...)`: the report, the JSON, the
result object, bad input in one sentence, and sampling a resumed checkpoint."""
import json
import subprocess
import sys

import pytest

import cyclesim
from cyclesim.errors import CyclesimError
from cyclesim.sampling import SamplingSpec


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_report_shows_the_estimate_and_the_verdict():
    code, out, err = cli("run", "--sample", "period=10", "--quiet", "sort", "12000")
    assert code == 0, err
    r = cyclesim.run("sort", "12000", sampling={"period": 10})
    est = r.sampling
    assert "SMARTS sampling" in out
    assert f"{est.n:,} units of 1,000 instructions, one in 10" in out
    assert f"CPI            {est.cpi:.4f} ± {100 * est.half_width:.2f} %" in out
    assert f"[{est.cpi_low:.4f}, {est.cpi_high:.4f}] at 95 % confidence" in out
    assert est.message in out
    code, out, err = cli("run", "--sample", "period=10", "--json", "sort", "12000")
    stats = json.loads(out)
    assert stats["core.cpi"] == pytest.approx(est.cpi)
    assert stats["sampling.units"] == est.n
    assert stats["sampling.cpi_low"] == pytest.approx(est.cpi_low)


def test_default_sampling_and_the_target_sentence():
    r = cyclesim.run("crc32", "24000", sampling=True)
    est = r.sampling
    # 1,243,128 instructions, one unit in 100 from offset 0: units at 0, 100,000, ...,
    # 1,200,000 = 13 units, too few for the normal approximation
    assert (est.period, est.unit, est.warmup, est.n) == (100, 1000, 2000, 13)
    assert not est.met
    # The start-up unit (CPI 3.6 against about 1.06 after it) makes V large: n >= (z V /
    # 0.02)^2 is over 2,000 units, and N / (U n) < 3, the least period W = 2000 fits in.
    assert est.needed > 2000 and est.instructions // (1000 * est.needed) < 3
    assert "NOT met" in est.message and "run it in full (no sampling)" in est.message
    # 20 units alternating CPI 1.9 and 2.1 over N = 1e7: V = 0.1 x sqrt(20/19) / 2 =
    # 0.0513, n >= (1.96 x 0.0513 / 0.02)^2 = 25.3 -> 26, at least 30 for the normal
    # approximation; 30 units of 1000 in 1e7 instructions: one in 10,000,000 // 30,000 = 333.
    from cyclesim.sampling.smarts import estimate

    rows = [{"start": i, "cycles": 1900 if i % 2 else 2100} for i in range(20)]
    other = estimate(rows, SamplingSpec(), period=100, instructions=10_000_000)
    assert other.needed == 26 and not other.met
    assert "rerun with period=333" in other.message
    assert list(est.units.columns[:2]) == ["start", "cycles"]
    assert set(est.units.columns) >= {"cpi", "l1d.misses", "l2.misses", "bpred.mispredicts"}
    assert est.summary()["n"] == 13 and "units" not in est.summary()


@pytest.mark.parametrize("args,needle", [
    (["--sample", "period=2"], "does not fit"),
    (["--sample", "unit=zero"], "not a number"),
    (["--sample", "--roi"], "does not combine with roi"),
    (["--sample", "--mode", "functional"], "does not combine with mode='functional'"),
    (["--sample", "samples=10"], "needs the program's length"),
])
def test_bad_sampling_input_is_one_sentence(args, needle):
    code, out, err = cli("run", *args, "hello")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code != 0 and len(lines) == 1 and "Traceback" not in err, err
    assert needle in lines[0]


def test_samples_over_max_insts():
    # samples=50 over max_insts 1,000,000 with U = 1000: k = 1e6 // 5e4 = 20; the run
    # stops at 1e6 instructions after exactly 50 periods of 20,000: 50 units.
    r = cyclesim.run("matmul", "64", max_insts=1_000_000, sampling={"samples": 50})
    assert r.status == "max_insts"
    assert (r.sampling.period, r.sampling.n) == (20, 50)


def test_sampling_a_resumed_checkpoint(tmp_path):
    first = cyclesim.run("sort", "12000", mode="functional", max_insts=500_000)
    first.checkpoint(tmp_path / "ck")
    r = cyclesim.run(checkpoint=tmp_path / "ck", sampling={"period": 10})
    # the same instructions timed in full (statistics from instruction 500,000 on)
    full = cyclesim.run("sort", "12000", sample_interval=None, warmup=500_000)
    assert r.ok and r.stdout.endswith(full.stdout[-20:])
    # resumed: the default offset is k - 1 (the first unit after the longest warming)
    assert r.sampling.units["start"].iloc[0] == 500_000 + 9_000 and r.sampling.offset == 9
    assert r.instructions == full.instructions
    assert abs(r.sampling.cpi / full.stats["core.cpi"] - 1) < 0.03


def test_api_refuses_a_bad_spec():
    with pytest.raises(CyclesimError, match="give True, a dict"):
        cyclesim.run("hello", sampling=7)


def test_sample_without_a_value_leaves_the_program_alone():
    # --sample takes an optional KEY=VALUE list: the program after it is not its value
    code, out, err = cli("run", "--sample", "--quiet", "sort", "12000")
    assert code == 0 and "SMARTS sampling" in out, err


def test_a_run_too_short_to_sample_says_so():
    # hello runs fewer than 100,000 instructions: its first unit never ends
    code, out, err = cli("run", "--sample", "unit=100000,period=2", "--quiet", "hello")
    assert code == 0, err
    assert "no unit was measured" in out and "lower the unit" in out
    code, out, err = cli("run", "--sample", "unit=100000,period=2", "--json", "--quiet",
                         "hello")
    stats = json.loads(out)                  # strict JSON: no NaN or Infinity
    assert stats["sampling.units"] == 0 and stats["core.cpi"] is None
    assert stats["sampling.half_width"] is None
