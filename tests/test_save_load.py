"""result.save(dir) / cyclesim.load_result(dir): an equal result back, without rerunning;
atomic writes; refusing to clobber; one clear sentence for a damaged directory."""
import copy
import json
import os

import numpy as np
import pandas as pd
import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.errors import CyclesimError

FRAMES = ("pipeline", "memory_trace", "intervals", "dumps")


@pytest.fixture(scope="module")
def result():
    args = workloads.info("matmul")["test_args"][0]
    return cyclesim.run("matmul", *args, trace=["pipeline", "memory"],
                        trace_window=(1000, 200), sample_interval=5000)


def assert_same(a, b):
    """Every fact of two results is equal, dtypes included."""
    for name in FRAMES:
        fa, fb = getattr(a, name), getattr(b, name)
        if fa is None:
            assert fb is None, name
        else:
            pd.testing.assert_frame_equal(fa, fb, check_dtype=True, check_exact=True)
    pd.testing.assert_series_equal(a.stats, b.stats, check_exact=True)
    for attr in ("program", "path", "args", "mode", "status", "message", "exit_code", "fault",
                 "unknown_syscalls", "host_seconds", "stdout_bytes", "stderr_bytes",
                 "options", "config"):
        assert getattr(a, attr) == getattr(b, attr), attr


def test_round_trip_of_a_timing_run(result, tmp_path, monkeypatch):
    assert len(result.intervals) > 3 and len(result.memory_trace) > 0
    saved = result.save(tmp_path / "r")
    # loading must not simulate anything
    import cyclesim.engine

    def no_run(*a, **k):
        raise AssertionError("load_result ran the simulator")
    monkeypatch.setattr(cyclesim.engine.System, "run", no_run)
    loaded = cyclesim.load_result(saved)
    assert_same(result, loaded)
    p = loaded.pipeline
    assert p["mispredicted"].dtype == bool and p["seq"].dtype == np.uint64
    assert p["raw"].dtype == np.uint32 and p["opclass"].dtype == np.uint8
    assert loaded.report() == result.report()
    pd.testing.assert_frame_equal(loaded.cycles(), result.cycles())
    pd.testing.assert_series_equal(loaded.cpi_stack(), result.cpi_stack())


def test_files_other_tools_read(result, tmp_path):
    d = result.save(tmp_path / "r")
    meta = json.loads((d / "meta.json").read_text())
    assert meta["format"] == "cyclesim-result" and meta["program"] == "matmul"
    assert meta["cyclesim_version"] == cyclesim.__version__
    # the resolved config in both forms, each loadable on its own
    assert cyclesim.SystemConfig.from_file(d / "config.toml") == result.config
    assert cyclesim.SystemConfig.from_file(d / "config.json") == result.config
    assert (d / "stdout.txt").read_bytes() == result.stdout_bytes
    stats = json.loads((d / "stats.json").read_text())
    assert stats["core.instructions"] == result.stats["core.instructions"]
    assert len(pd.read_parquet(d / "pipeline.parquet")) == 200


def test_extension_dtypes_and_odd_values_survive(result, tmp_path):
    r = copy.copy(result)
    r.dumps = pd.DataFrame({
        "cycle": pd.array([1, None, 3], dtype="Int64"),
        "kind": pd.Categorical(["load", "store", "load"]),
        "hit": [True, False, True],
        "maybe": pd.array([True, None, False], dtype="boolean"),
        "where": pd.array(["L1", None, "memory"], dtype="string"),
        "rate": [0.1, float("nan"), 1 / 3],
    })
    r.stats = result.stats.copy()
    r.stats["core.nan_example"] = float("nan")
    r.stats["core.third"] = 1 / 3
    r.stdout_bytes = b"\xff\x00not utf-8\n"
    r.unknown_syscalls = {"io_uring_setup": 2, "syscall_999": 1}
    r.fault = {"kind": "load access fault", "pc": 0x10000, "addr": 2**63 + 5,
               "message": "load access fault at address 0x8000000000000005"}
    r.status, r.exit_code = "fault", None
    loaded = cyclesim.load_result(r.save(tmp_path / "odd"))
    assert_same(r, loaded)
    assert str(loaded.dumps["kind"].dtype) == "category"
    assert str(loaded.dumps["cycle"].dtype) == "Int64"


def test_functional_run_has_no_traces(tmp_path):
    r = cyclesim.run("hello", mode="functional")
    loaded = cyclesim.load_result(r.save(tmp_path / "f"))
    assert_same(r, loaded)
    assert loaded.pipeline is None and loaded.stdout == "Hello, world!\n"


def test_existing_directories(result, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert result.save(empty) == empty and cyclesim.load_result(empty).program == "matmul"
    with pytest.raises(CyclesimError, match="overwrite=True"):
        result.save(empty)
    other = copy.copy(result)
    other.program = "renamed"
    other.save(empty, overwrite=True)
    assert cyclesim.load_result(empty).program == "renamed"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(CyclesimError, match="other files"):
        result.save(foreign, overwrite=True)
    assert os.listdir(foreign) == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(CyclesimError, match="is a file"):
        result.save(tmp_path / "file")
    assert sorted(os.listdir(tmp_path)) == ["empty", "file", "foreign"]  # no temp dirs left


def test_a_failed_save_leaves_nothing_behind(result, tmp_path, monkeypatch):
    result.save(tmp_path / "r")
    before = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()}
    calls = []

    def failing(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)
    real = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(CyclesimError, match="No space left"):
        result.save(tmp_path / "r", overwrite=True)
    calls.clear()
    with pytest.raises(CyclesimError, match="No space left"):
        result.save(tmp_path / "new")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["r"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir()} == before


@pytest.mark.parametrize("damage, words", [
    (lambda d: (d / "meta.json").unlink(), "not a saved cyclesim result"),
    (lambda d: (d / "meta.json").write_text("{not json"), "corrupt"),
    (lambda d: (d / "meta.json").write_text('{"format": "something else"}'), "not a saved"),
    (lambda d: (d / "pipeline.parquet").unlink(), "incomplete or corrupt"),
    (lambda d: (d / "stats.parquet").write_bytes(b"PAR1 truncated"), "incomplete or corrupt"),
    (lambda d: (d / "config.json").write_text('{"l1d": {"size": "-3"}}'), "config"),
])
def test_damaged_directories_give_one_sentence(result, tmp_path, damage, words):
    d = result.save(tmp_path / "r")
    damage(d)
    with pytest.raises(CyclesimError, match=words) as info:
        cyclesim.load_result(d)
    assert "\n" not in str(info.value)


def test_not_a_result(tmp_path):
    with pytest.raises(CyclesimError, match="not a directory"):
        cyclesim.load_result(tmp_path / "missing")
    with pytest.raises(CyclesimError, match="no meta.json"):
        cyclesim.load_result(tmp_path)


def test_newer_format_is_refused(result, tmp_path):
    d = result.save(tmp_path / "r")
    meta = json.loads((d / "meta.json").read_text())
    meta["format_version"] = 99
    (d / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CyclesimError, match="upgrade cyclesim"):
        cyclesim.load_result(d)
