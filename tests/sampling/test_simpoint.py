"""SimPoint (cyclesim/sampling/simpoint.py, bbv.pyx, cluster.py): the basic-block vectors
against a slow Python reference, the BIC and k-means on hand-checkable data, and the
whole procedure on a program with clear phases (tests/programs/phases.c)."""
import math
import pathlib
import subprocess

import numpy as np
import pytest

import cyclesim
from cyclesim.errors import CyclesimError
from cyclesim.sampling import cluster as clus
from cyclesim.sampling.simpoint import SimPointSpec, profile

ROOT = pathlib.Path(__file__).resolve().parents[2]


# -- basic-block vectors ----------------------------------------------------------------

def _is_control_transfer(raw: int) -> bool:
    """From the encoding alone (RISC-V unprivileged spec, chapters 2 and 16): branch,
    jal, jalr; c.j, c.beqz, c.bnez, c.jr, c.jalr."""
    if raw & 3 != 3:
        funct3, op = (raw >> 13) & 7, raw & 3
        if op == 1 and funct3 in (5, 6, 7):                   # c.j, c.beqz, c.bnez
            return True
        return op == 2 and funct3 == 4 and (raw >> 2) & 31 == 0 and (raw >> 7) & 31 != 0
    return raw & 0x7F in (0x63, 0x6F, 0x67)


def _reference_bbv(program, args, interval):
    """Step the program one instruction at a time; a block starts after a control
    transfer; count each instruction for (its interval, its block's first pc)."""
    from cyclesim.api import prepare

    system, _, _ = prepare(program, *args, mode="functional", sample_interval=None)
    counts, leader, n = {}, None, 0
    while True:
        pc = int(system.core.pc)
        raw = int.from_bytes(system.process.memory.read(pc, 4), "little")
        if leader is None:
            leader = pc
        system.options.max_insts = n + 1
        outcome = system.run()
        if int(system.core.instret) == n:       # nothing retired: the program has ended
            break
        key = (n // interval, leader)
        counts[key] = counts.get(key, 0) + 1
        n += 1
        if _is_control_transfer(raw):
            leader = None
        if outcome.status != "max_insts":
            break
    return counts, n


def test_bbv_counts_equal_a_python_reference():
    interval = 1000
    ref, n = _reference_bbv("hello", [], interval)
    collector, outcome, system, _ = profile("hello", interval=interval)
    assert outcome.status == "exited" and int(system.core.instret) == n > 5 * interval
    starts = collector.block_starts()
    got = {(int(i), int(starts[b])): int(c) for i, b, c in collector.triples()}
    assert got == ref
    lengths = collector.interval_lengths()
    assert lengths.sum() == n and all(lengths[:-1] == interval)
    assert collector.intervals == -(-n // interval)


def test_the_collector_leaves_the_run_unchanged():
    plain = cyclesim.run("sort", "3000", mode="functional")
    collector, outcome, system, _ = profile("sort", "3000", interval=10_000)
    assert int(system.core.instret) == plain.instructions == collector.instructions
    assert system.process.exit_code == plain.exit_code == 0
    assert collector.blocks > 100


# -- clustering ------------------------------------------------------------------------

def test_bic_by_hand():
    # x = 0, 2, 10, 12 (R = 4, d = 1).
    # K = 2, centres 1 and 11: SSE = 4, σ² = 4 / (1 (4 - 2)) = 2;
    #   log L = 2·2·log(2/4) - (4/2) log(2π·2) - (4 - 2)/2 = -2.7725887 - 5.0620485 - 1
    #   p = 1 + 2 + 1 = 4, BIC = log L - 2 log 4 = -8.8346372 - 2.7725887 = -11.6072259
    # K = 1, centre 6: SSE = 104, σ² = 104 / 3;
    #   log L = 0 - 2 log(2π·104/3) - 3/2 = -10.7672169 - 1.5; p = 2;
    #   BIC = -12.2672169 - log 4 = -13.6536057
    x = np.array([[0.0], [2.0], [10.0], [12.0]])
    assert clus.bic(x, np.array([0, 0, 1, 1]), np.array([[1.0], [11.0]])) == \
        pytest.approx(-11.6072259, abs=1e-6)
    assert clus.bic(x, np.zeros(4, int), np.array([[6.0]])) == \
        pytest.approx(-13.6536057, abs=1e-6)


def test_choose_k_takes_the_smallest_within_the_threshold():
    # lowest 0, highest 100: the bar at 0.9 is 90; k = 3 (95) is the first to reach it
    assert clus.choose_k({1: 0.0, 2: 80.0, 3: 95.0, 4: 100.0}) == 3
    assert clus.choose_k({1: 0.0, 2: 80.0, 3: 95.0, 4: 100.0}, threshold=0.5) == 2
    assert clus.choose_k({1: -5.0, 2: float("nan"), 3: 7.0}) == 3


def test_kmeans_and_bic_find_three_blobs():
    # three blobs of 30 points, σ = 0.1 around (0, 0), (5, 0), (0, 5): k-means from any
    # seed puts each blob in its own cluster, and the BIC rises steeply to k = 3 and
    # little after it (more clusters only split a Gaussian blob).
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    x = np.concatenate([c + 0.1 * rng.standard_normal((30, 2)) for c in centres])
    truth = np.repeat(np.arange(3), 30)
    labels, found, distortion = clus.kmeans(x, 3, np.random.default_rng(7))
    assert len({(t, l) for t, l in zip(truth, labels)}) == 3          # a bijection
    assert distortion < 90 * 2 * 0.1 ** 2 * 1.5                     # E[SSE] = R d σ²
    out = clus.cluster(x, max_k=8, seed=3)
    assert out["k"] == 3
    assert out["bic"][3] > out["bic"][2] + 100 and out["bic"][3] > out["bic"][1] + 100
    for c, i in out["points"]:                      # the point is the nearest member
        members = np.flatnonzero(out["labels"] == c)
        d = ((x[members] - out["centroids"][c]) ** 2).sum(axis=1)
        assert i == members[d.argmin()]


def test_projection_keeps_small_data_and_is_seeded():
    x = np.eye(4)
    assert np.array_equal(clus.project(x, 15, np.random.default_rng(0)), x)
    wide = np.random.default_rng(0).random((6, 40))
    a = clus.project(wide, 15, np.random.default_rng(5))
    b = clus.project(wide, 15, np.random.default_rng(5))
    assert a.shape == (6, 15) and np.array_equal(a, b)


# -- the whole procedure on a phased program --------------------------------------------

@pytest.fixture(scope="module")
def phases(riscv_gcc, tmp_path_factory):
    elf = tmp_path_factory.mktemp("phases") / "phases"
    subprocess.run([riscv_gcc, "-O2", "-static", f"-I{ROOT / 'workloads/include'}", "-o",
                    str(elf), str(ROOT / "tests/programs/phases.c")], check=True)
    return str(elf)


ARGS = ["4", "40000"]          # 4 rounds of the 3 phases, about 3.9 M instructions
INTERVAL = 20_000


def _phase_of_intervals(collector, system):
    """Per interval, the phase function holding >= 99 % of its instructions, or None."""
    every = sorted(set(system.process.symbols.values()))
    ranges = {}
    for name in ("phase_compute", "phase_stream", "phase_branchy"):
        a = system.process.symbols[name]
        ranges[name] = (a, min(v for v in every if v > a))   # to the next symbol
    owner = [next((n for n, (a, e) in ranges.items() if a <= pc < e), None)
             for pc in collector.block_starts()]
    per = {}
    for i, b, c in collector.triples():
        per.setdefault(int(i), {}).setdefault(owner[b], 0)
        per[int(i)][owner[b]] += int(c)
    out = []
    for i in range(collector.intervals):
        d = per.get(i, {})
        top = max(d, key=d.get) if d else None
        out.append(top if top is not None and d[top] >= 0.99 * sum(d.values()) else None)
    return out


def test_simpoint_finds_the_phases_and_estimates_the_cpi(phases):
    collector, _, system, _ = profile(phases, *ARGS, interval=INTERVAL)
    phase = _phase_of_intervals(collector, system)
    ov = {"memory.tREFI": 0}              # refresh hits the absolute cycle (sampling.md)
    # warmup 1 M: at least one round, so each point's data (the stream buffer, last
    # touched a round earlier) is in the warmed caches; see docs/sampling.md.
    est = cyclesim.simpoint(phases, *ARGS, interval=INTERVAL, max_k=10, warmup=1_000_000,
                            overrides=ov, backend="inline")
    labels = est.labels
    assert len(labels) == collector.intervals == est.intervals
    # the pure intervals of each phase form one cluster, a different one per phase
    kinds = {}
    for i, p in enumerate(phase):
        if p is not None:
            kinds.setdefault(p, set()).add(int(labels[i]))
    assert set(kinds) == {"phase_compute", "phase_stream", "phase_branchy"}
    assert all(len(v) == 1 for v in kinds.values())
    assert len(set.union(*kinds.values())) == 3
    assert sum(p is not None for p in phase) > 0.8 * len(phase)
    # k: the three phases, plus the intervals that mix two of them at each of the three
    # transitions of a round (each a mix of its own, repeated every round), the start-up
    # and the end: between 3 and max_k
    assert 3 <= est.k <= 10 and len(est.points) == est.k
    assert est.points["weight"].sum() == pytest.approx(1.0)
    # each point's CPI is what the full detailed run measures for that interval, to 10
    # cycles in 20,000 instructions: the warming is exact (test_sampling_warming.py) and
    # the warm-up covers the reuse; what is left is the pipeline's restart after W = 2000
    # detailed instructions (measured: 2 cycles at most). Not so the last two intervals
    # (printf and exit, whose code and data glibc last touched in its start-up, further
    # back than any warm-up shorter than the program reaches: the first run of that code
    # after the checkpoint misses where the full run's misses were fewer; they weigh
    # 0.5 %).
    every = cyclesim.run(phases, *ARGS, overrides=ov,
                         sampling={"unit": INTERVAL, "warmup": 0, "period": 1})
    exact = every.sampling.units.set_index("start")["cpi"]
    checked = 0
    for _, row in est.points.iterrows():
        if row["interval"] < est.intervals - 2:
            checked += 1
            assert row["cpi"] == pytest.approx(exact.loc[row["start"]], abs=10 / INTERVAL)
    assert checked >= est.k - 2
    # So the error is the spread inside clusters alone: Σ_c w_c (CPI_point - mean CPI
    # of the cluster's intervals). Pure phases repeat exactly, so it is small: measured
    # 0.14 %; asserted: 1 %.
    full = cyclesim.run(phases, *ARGS, sample_interval=None, overrides=ov)
    assert abs(est.cpi / full.stats["core.cpi"] - 1) < 0.01
    assert est.cpi == pytest.approx(float((est.points["weight"] * est.points["cpi"]).sum()))
    assert est.cpi_min <= est.cpi <= est.cpi_max and est.spread > 0.5   # phases differ
    assert set(est.seconds) == {"profile", "cluster", "checkpoint", "simulate", "total"}


def test_same_seed_same_points_on_worker_processes(phases):
    kw = dict(interval=INTERVAL, max_k=6, warmup=200_000)
    a = cyclesim.simpoint(phases, *ARGS, spec={"seed": 5}, workers=2, **kw)
    b = cyclesim.simpoint(phases, *ARGS, spec={"seed": 5}, backend="inline", **kw)
    assert list(a.points["interval"]) == list(b.points["interval"])
    assert a.cpi == b.cpi and list(a.labels) == list(b.labels)


def test_points_run_on_dask(phases):
    kw = dict(interval=INTERVAL, max_k=4, warmup=200_000)
    a = cyclesim.simpoint(phases, *ARGS, backend="dask", workers=1, **kw)
    b = cyclesim.simpoint(phases, *ARGS, backend="inline", **kw)
    assert a.cpi == b.cpi and list(a.points["cpi"]) == list(b.points["cpi"])


def test_points_keep_their_checkpoints_in_path(phases, tmp_path):
    est = cyclesim.simpoint(phases, *ARGS, interval=200_000, max_k=3, warmup=0,
                            backend="inline", path=tmp_path)
    for _, row in est.points.iterrows():
        assert (pathlib.Path(row["checkpoint"]) / "manifest.json").exists()
        assert row["from"] == row["start"]              # warmup 0: from the point itself
    with pytest.raises(CyclesimError, match="not empty"):
        cyclesim.simpoint(phases, *ARGS, interval=200_000, max_k=3, path=tmp_path,
                          backend="inline")


@pytest.mark.parametrize("value,words", [
    ({"interval": 10}, "interval = 10"),
    ({"max_k": 0}, "max_k = 0"),
    ({"bic_threshold": 1.5}, "fraction"),
    ({"bogus": 1}, "no field 'bogus'"),
    ("interval", "KEY=VALUE"),
    ("max_k=ten", "not a number"),
    (3.5, "give True"),
])
def test_bad_simpoint_specs_are_one_sentence(value, words):
    with pytest.raises(CyclesimError, match=words):
        SimPointSpec.parse(value)


def test_run_points_a_simpoint_spec_to_simpoint():
    with pytest.raises(CyclesimError, match="call cyclesim.simpoint"):
        cyclesim.run("hello", sampling=cyclesim.SimPoint(interval=10_000))


def test_spec_parsing():
    spec = SimPointSpec.parse("interval=200_000, max_k=4, warmup=0, seed=3")
    assert (spec.interval, spec.max_k, spec.warmup, spec.seed) == (200_000, 4, 0, 3)
    assert SimPointSpec.parse(True) == SimPointSpec()
    assert math.isclose(SimPointSpec.parse("bic_threshold=0.8").bic_threshold, 0.8)


# -- the command line --------------------------------------------------------------------

def _cli(*args):
    import sys

    proc = subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_simpoint_report_and_json():
    spec = "interval=200000,max_k=4,warmup=200000,backend=inline"
    code, out, err = _cli("run", "--simpoint", spec, "--quiet", "matmul", "64")
    assert code == 0, err
    est = cyclesim.simpoint("matmul", "64", spec="interval=200000,max_k=4,warmup=200000",
                            backend="inline")
    assert "== SimPoint: 2,105,387 instructions in 11 intervals of 200,000 ==" in out
    assert f"CPI            {est.cpi:.4f}" in out and f"k = {est.k} (BIC)" in out
    code, out, err = _cli("run", "--simpoint", spec, "--json", "--quiet", "matmul", "64")
    import json

    stats = json.loads(out)
    assert stats["core.cpi"] == pytest.approx(est.cpi) and stats["simpoint.k"] == est.k


@pytest.mark.parametrize("args,needle", [
    (["--simpoint", "max_k=500"], "max_k = 500"),
    (["--simpoint", "workers=0"], "workers='0'"),
    (["--simpoint", "--roi"], "does not combine with --roi"),
    (["--simpoint", "--sample"], "does not combine with --sample"),
])
def test_cli_simpoint_bad_input_is_one_sentence(args, needle):
    code, out, err = _cli("run", *args, "hello")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code != 0 and len(lines) == 1 and "Traceback" not in err, err
    assert needle in lines[0]


def test_several_machines_share_one_profile(phases):
    kw = dict(interval=INTERVAL, max_k=4, warmup=200_000, backend="inline")
    machines = {"small": {"l1d.size": "4KiB"}, "big": {"l1d.size": "64KiB"}}
    both = cyclesim.simpoint(phases, *ARGS, configs=machines, **kw)
    assert set(both) == {"small", "big"}
    for name, ov in machines.items():
        alone = cyclesim.simpoint(phases, *ARGS, overrides=ov, **kw)
        assert both[name].cpi == alone.cpi
        assert list(both[name].points["interval"]) == list(alone.points["interval"])
    assert both["small"].mpki["l1d.mpki"] > both["big"].mpki["l1d.mpki"]
    with pytest.raises(CyclesimError, match="configs ="):
        cyclesim.simpoint(phases, *ARGS, configs=["small"], **kw)
