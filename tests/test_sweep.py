"""cyclesim.sweep: rows equal single runs, backends agree, the store survives killed
workers and a killed driver, and bad points become rows.

Each sweep here uses tiny points (hello, fib 12, sort 500), so the cost is mostly the
start of worker processes. The reference for a row is cyclesim.run of that point in this
process; the reference for a resumed sweep is the same sweep run without interruption.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pandas.testing as pdt
import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.sweeps.worker import KILL_HOOK

FIB = ("fib", workloads.info("fib")["test_args"][0])
SORT = ("sort", workloads.info("sort")["test_args"][0])
WORKLOADS = ["hello", FIB, SORT]
GRID = {"l1d.size": ["8KiB", "32KiB"], "l1d.policy": ["lru", "srrip"]}


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal apart from host time, the one column that changes between identical runs."""
    pdt.assert_frame_equal(a.drop(columns="host_seconds"), b.drop(columns="host_seconds"))


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return cyclesim.sweep(WORKLOADS, grid=GRID, workers=2)


def test_rows_are_single_runs(reference):
    df = reference
    assert len(df) == 3 * 4 and list(df.index) == list(range(12))
    assert list(df.columns[:6]) == ["workload", "args", "l1d.size", "l1d.policy", "status",
                                    "message"]
    # Point order: workloads outermost, the last grid key fastest.
    assert list(df["workload"]) == ["hello"] * 4 + ["fib"] * 4 + ["sort"] * 4
    assert list(df["l1d.policy"][:4]) == ["lru", "srrip", "lru", "srrip"]
    assert list(df["l1d.size"][:4]) == ["8KiB", "8KiB", "32KiB", "32KiB"]
    assert (df["status"] == "ok").all()
    for i in (1, 6, 11):
        row = df.loc[i]
        args = row["args"].split() if row["args"] else []
        r = cyclesim.run(row["workload"], *args,
                         overrides={"l1d.size": row["l1d.size"], "l1d.policy": row["l1d.policy"]})
        for stat in ("core.instructions", "core.cycles", "l1d.misses", "cpi_stack.base"):
            assert row[stat] == r.stats[stat], (i, stat)
    # A smaller L1D never misses less on the same program with the same policy.
    for w in ("fib", "sort"):
        part = df[(df["workload"] == w) & (df["l1d.policy"] == "lru")].set_index("l1d.size")
        assert part.loc["8KiB", "l1d.misses"] >= part.loc["32KiB", "l1d.misses"]


def test_store_rerun_and_load(reference, tmp_path):
    store = tmp_path / "store"
    first = cyclesim.sweep(WORKLOADS, grid=GRID, store=store, workers=2)
    same(first, reference)
    assert first.attrs["skipped"] == 0 and first.attrs["ran"] == 12
    assert len(list((store / "points").glob("*.parquet"))) == 12
    again = cyclesim.sweep(WORKLOADS, grid=GRID, store=store, workers=2)
    assert again.attrs["skipped"] == 12 and again.attrs["ran"] == 0
    pdt.assert_frame_equal(again, first)
    pdt.assert_frame_equal(cyclesim.load_sweep(store), first)
    # A wider grid reuses the stored points and runs only the new ones.
    wider = dict(GRID, **{"l1d.size": ["8KiB", "32KiB", "64KiB"]})
    more = cyclesim.sweep(WORKLOADS, grid=wider, store=store, workers=2)
    assert more.attrs["skipped"] == 12 and more.attrs["ran"] == 6
    same(more[more["l1d.size"] != "64KiB"].reset_index(drop=True),
         first.reset_index(drop=True))


def test_dask_local_cluster_gives_the_same_frame(reference, tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    marker = tmp_path / "killed-once"
    # The worker that picks up point 5 first kills itself: Dask must rerun it elsewhere.
    monkeypatch.setenv(KILL_HOOK, f"5:{marker}")
    df = cyclesim.sweep(WORKLOADS, grid=GRID, backend="dask", workers=2,
                        store=tmp_path / "store")
    assert marker.exists()
    same(df, reference)
    same(cyclesim.load_sweep(tmp_path / "store"), reference)


def test_killed_worker_is_retried(reference, tmp_path, monkeypatch):
    marker = tmp_path / "killed-once"
    monkeypatch.setenv(KILL_HOOK, f"6:{marker}")
    df = cyclesim.sweep(WORKLOADS, grid=GRID, workers=2, store=tmp_path / "a")
    assert marker.exists()
    same(df, reference)
    # A point that kills every worker it meets is an error after the retries; the rest
    # is intact, and a rerun without the fault finishes it.
    monkeypatch.setenv(KILL_HOOK, "2")
    df = cyclesim.sweep(WORKLOADS, grid=GRID, workers=2, retries=1, store=tmp_path / "b")
    assert df.loc[2, "status"] == "error"
    assert "worker died (SIGKILL) on each of 2 attempts" in df.loc[2, "message"]
    same(df.drop(index=2), reference.drop(index=2))
    monkeypatch.delenv(KILL_HOOK)
    df = cyclesim.sweep(WORKLOADS, grid=GRID, workers=2, store=tmp_path / "b")
    assert df.attrs["ran"] == 1 and df.attrs["skipped"] == 11
    same(df, reference)


DRIVER = """
import signal
import cyclesim
# Ctrl-C raises KeyboardInterrupt even when the test runner was started with it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
cyclesim.sweep([("fib", ["27"])], grid={{"l1d.size": {sizes!r}}}, store={store!r},
               workers=1, max_insts=1_500_000)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_killed_driver_loses_nothing(tmp_path, sig):
    sizes = ["4KiB", "8KiB", "16KiB", "32KiB", "64KiB", "128KiB"]
    store = tmp_path / "store"
    clean = cyclesim.sweep([("fib", ["27"])], grid={"l1d.size": sizes}, workers=2,
                           max_insts=1_500_000)
    root = os.path.dirname(os.path.dirname(os.path.abspath(cyclesim.__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    env.pop(KILL_HOOK, None)
    driver = subprocess.Popen([sys.executable, "-c",
                               DRIVER.format(sizes=sizes, store=str(store))], env=env,
                              stderr=subprocess.PIPE)
    points = store / "points"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and driver.poll() is None:
        if points.is_dir() and len(list(points.glob("[!.]*.parquet"))) >= 2:
            break
        time.sleep(0.005)
    driver.send_signal(sig)
    err = driver.communicate(timeout=60)[1].decode()
    if sig == signal.SIGINT:  # a clean stop that says what it kept
        assert "KeyboardInterrupt" in err and "rerun to finish" in err
    stored = len(list(points.glob("*.parquet")))
    assert 2 <= stored < len(sizes), "the driver should die mid-sweep"
    partial = cyclesim.load_sweep(store)
    assert len(partial) == stored and partial.attrs["pending"] == len(sizes) - stored
    df = cyclesim.sweep([("fib", ["27"])], grid={"l1d.size": sizes}, store=store, workers=2,
                        max_insts=1_500_000)
    assert df.attrs["skipped"] == stored and df.attrs["ran"] == len(sizes) - stored
    assert list(df.index) == list(range(len(sizes)))
    same(df, clean)
    assert not list(points.glob(".tmp-*"))  # the store never shows a partial file


FAULTING = "int main(void) { volatile int *p = (int *)8; return *p; }\n"


@pytest.fixture(scope="module")
def faulting_program(tmp_path_factory, riscv_gcc):
    d = tmp_path_factory.mktemp("fault")
    (d / "fault.c").write_text(FAULTING)
    subprocess.run([riscv_gcc, "-static", "-O1", "-o", str(d / "fault"),
                    str(d / "fault.c")], check=True)
    return str(d / "fault")


def test_faults_and_invalid_configs_are_rows(faulting_program):
    grid = [{"l1d.size": "16KiB"}, {"l1d.size": "3KiB"}, {"l1d.assoc": 0},
            {"l1d.size": "64KiB", "l1d.assoc": 2}]
    df = cyclesim.sweep([faulting_program, FIB], grid=grid, workers=2)
    assert len(df) == 8 and list(df.columns[2:4]) == ["l1d.size", "l1d.assoc"]
    bad = df["l1d.size"].eq("3KiB") | df["l1d.assoc"].eq(0)
    assert (df.loc[bad, "status"] == "error").all()
    assert df.loc[bad, "message"].str.startswith("invalid config: l1d.").all()
    assert df.loc[bad, "core.cycles"].isna().all()
    fault = df[(df["workload"] == faulting_program) & ~bad]
    assert (fault["status"] == "fault").all() and (fault["run_status"] == "fault").all()
    assert fault["message"].str.contains("0x8").all()
    good = df[(df["workload"] == "fib") & ~bad]
    assert (good["status"] == "ok").all() and len(good) == 2
    for _, row in good.iterrows():
        r = cyclesim.run("fib", *FIB[1], overrides={"l1d.size": row["l1d.size"],
                                                    "l1d.assoc": int(row["l1d.assoc"])})
        assert row["core.cycles"] == r.stats["core.cycles"]
        assert row["l1d.misses"] == r.stats["l1d.misses"]
    r = cyclesim.run(faulting_program, overrides={"l1d.size": "16KiB"})
    assert fault.iloc[0]["core.instructions"] == r.stats["core.instructions"]


def test_bad_arguments_say_what_to_do():
    with pytest.raises(cyclesim.CyclesimError, match="no workload named|neither"):
        cyclesim.sweep(["no-such-workload"], grid=GRID)
    with pytest.raises(cyclesim.CyclesimError, match="give a list"):
        cyclesim.sweep(["hello"], grid={"l1d.size": "32KiB"})
    with pytest.raises(cyclesim.CyclesimError, match="trace"):
        cyclesim.sweep(["hello"], trace="pipeline")
    with pytest.raises(cyclesim.CyclesimError, match="backend"):
        cyclesim.sweep(["hello"], backend="threads")
    with pytest.raises(cyclesim.CyclesimError, match="holds no sweep"):
        cyclesim.load_sweep(os.path.dirname(__file__))


def test_cli_sweep(tmp_path, capsys):
    from cyclesim.cli import main

    spec = tmp_path / "sweep.toml"
    spec.write_text(textwrap.dedent(f"""
        workloads = ["hello", {{ name = "fib", args = {list(FIB[1])!r} }}]
        preset = "default"
        [grid]
        "l1d.size" = ["8KiB", "32KiB"]
        [run]
        max_insts = 1000000
    """).replace("'", '"'))
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 points: 4 ok" in text and "l1d.size" in text
    df = cyclesim.load_sweep(out)
    assert list(df["workload"]) == ["hello", "hello", "fib", "fib"]
    assert (df["status"] == "ok").all()
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(out)]) == 0
    assert "4 of 4 points already in" in capsys.readouterr().err


def test_dask_scheduler_address_and_client(reference):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        by_address = cyclesim.sweep(WORKLOADS[:2], grid=GRID,
                                    scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            by_client = cyclesim.sweep(WORKLOADS[:2], grid=GRID, scheduler=client)
            assert client.status == "running"  # a client we were given stays open
    same(by_address, reference.loc[:7])
    same(by_client, reference.loc[:7])
