"""Trace exports: Konata (Kanata 0004), gem5 O3PipeView, Chrome/Perfetto trace JSON.

Each file we write is read back by a small reader written here from the format's
published description (Konata's docs/kanata-log-format.md, gem5's O3PipeView lines as
util/o3-pipeview.py reads them, the Chrome trace-event format), and compared with the
result's pipeline DataFrame; small hand-made traces are compared with text written by
hand from those descriptions.
"""
import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.errors import CyclesimError
from cyclesim.results.export import write_konata, write_o3pipeview, write_perfetto

STAGES = ["IF", "ID", "EX", "MEM", "WB"]
ENTRY = ["if_cycle", "id_cycle", "ex_cycle", "mem_cycle", "wb_cycle"]
# in matmul's loops (after the C library's start-up, which reads the default environment
# of kernel.DEFAULT_ENV): loads, stores and branches
WINDOW = (2800, 300)


@pytest.fixture(scope="module")
def result():
    args = workloads.info("matmul")["test_args"][0]
    r = cyclesim.run("matmul", *args, trace="pipeline", trace_window=WINDOW)
    assert len(r.pipeline) == WINDOW[1]
    return r


def tiny_trace() -> pd.DataFrame:
    """Three instructions by hand: a load that waits in MEM, a store, a mispredicted branch."""
    return pd.DataFrame({
        "seq": [7, 8, 9], "pc": [0x1000, 0x1004, 0x1008],
        "disassembly": ["ld a0,0(a1)", "sd a0,8(a1)", "bnez a0,1000"],
        "if_cycle": [5, 6, 7], "id_cycle": [6, 7, 8], "ex_cycle": [7, 8, 11],
        "mem_cycle": [8, 11, 12], "wb_cycle": [11, 12, 13],
        "opclass": [4, 5, 1], "mispredicted": [False, False, True],
        "stall_cause": ["dcache_l2", None, None], "level": ["L2", "L1", None],
        "fetch_level": ["L1", None, None],
    })


# -- Konata ---------------------------------------------------------------------------

def read_kanata(path) -> dict:
    """Kanata log reader after Konata's format description: a header line "Kanata\\t0004",
    then tab-separated commands; C= sets the cycle, C advances it, I starts an
    instruction (file id, sim id, thread), L adds label text (type 0 left pane, 1 hover),
    S/E start/end a stage on a lane, R retires (type 0) or flushes (type 1), W links."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0] == "Kanata\t0004"
    assert lines[-1] == ""  # every command line ends with a newline
    cycle, seen_cycle_set = None, False
    insts: dict[int, dict] = {}
    for line in lines[1:-1]:
        cmd, *args = line.split("\t")
        if cmd == "C=":
            assert not seen_cycle_set and not insts, "C= must come first"
            cycle, seen_cycle_set = int(args[0]), True
            continue
        assert cycle is not None, "a command before C="
        if cmd == "C":
            assert int(args[0]) > 0, "time only moves forward"
            cycle += int(args[0])
            continue
        fid = int(args[0])
        if cmd == "I":
            assert fid not in insts and fid == len(insts), "file ids are sequential"
            insts[fid] = {"sim_id": int(args[1]), "thread": int(args[2]), "labels": {},
                          "stages": {}, "open": {}, "retire": None, "start": cycle}
            continue
        inst = insts[fid]  # KeyError: a command for an instruction never started by I
        assert inst["retire"] is None, f"command after R for instruction {fid}"
        if cmd == "L":
            inst["labels"][int(args[1])] = inst["labels"].get(int(args[1]), "") + args[2]
        elif cmd == "S":
            lane, stage = int(args[1]), args[2]
            inst["open"][(lane, stage)] = cycle
        elif cmd == "E":
            lane, stage = int(args[1]), args[2]
            start = inst["open"].pop((lane, stage))
            inst["stages"][(lane, stage)] = (start, cycle)
        elif cmd == "R":
            inst["retire"] = (int(args[1]), int(args[2]), cycle)
        elif cmd == "W":
            assert int(args[1]) in insts
        else:
            raise AssertionError(f"unknown command {cmd!r}")
    return insts


def test_konata_by_hand(tmp_path):
    path = write_konata(tiny_trace(), tmp_path / "t.log")
    lines = path.read_text().splitlines()
    # The first instruction's commands up to its first cycle, written from the format.
    assert lines[:7] == ["Kanata\t0004", "C=\t5", "I\t0\t7\t0", "L\t0\t0\t1000: ld a0,0(a1)",
                         "L\t0\t1\tseq 7; stall dcache_l2; data from L2; fetched from L1",
                         "S\t0\t0\tIF", "C\t1"]
    insts = read_kanata(path)
    assert insts[2]["labels"][0] == "1008: bnez a0,1000 [mispredicted]"
    assert insts[1]["labels"][1] == "seq 8; data from L1"
    # the load: IF 5, ID 6, EX 7, MEM 8..10 (waiting on L2), WB 11, retired at 12
    assert [insts[0]["stages"][(0, s)] for s in STAGES] == [(5, 6), (6, 7), (7, 8), (8, 11),
                                                            (11, 12)]
    assert [i["retire"] for i in insts.values()] == [(0, 0, 12), (1, 0, 13), (2, 0, 14)]


def test_konata_matches_pipeline(result, tmp_path):
    p = result.pipeline
    path = result.to_konata(tmp_path / "trace.log")
    insts = read_kanata(path)
    assert len(insts) == len(p)
    assert [i["sim_id"] for i in insts.values()] == p["seq"].tolist()
    entries = p[ENTRY].to_numpy().tolist()
    for inst, e, pc, text, bad in zip(insts.values(), entries, p["pc"], p["disassembly"],
                                      p["mispredicted"]):
        assert not inst["open"], "every stage is ended"
        starts = [inst["stages"][(0, s)][0] for s in STAGES]
        ends = [inst["stages"][(0, s)][1] for s in STAGES]
        assert starts == e
        assert ends == e[1:] + [e[-1] + 1]
        assert inst["start"] == e[0]
        assert inst["retire"][1:] == (0, e[-1] + 1)  # retired (not flushed) after WB
        label = inst["labels"][0]
        assert label.startswith(f"{int(pc):x}: {text}")
        assert label.endswith("[mispredicted]") == bool(bad)
    assert [i["retire"][0] for i in insts.values()] == list(range(len(p)))
    assert p["mispredicted"].any(), "the window should hold a mispredicted branch"


# -- gem5 O3PipeView ------------------------------------------------------------------

O3_EVENTS = ["fetch", "decode", "rename", "dispatch", "issue", "complete", "retire"]


def read_o3pipeview(path) -> list[dict]:
    """O3PipeView reader after gem5's trace lines: "O3PipeView:fetch:<tick>:0x<pc>:<upc>:
    <seq>:<disasm>", then decode, rename, dispatch, issue, complete (":<tick>") and
    "retire:<tick>:store:<tick>"; fields are separated by ':'; tick 0 means never."""
    insts = []
    for line in Path(path).read_text().split("\n")[:-1]:
        fields = line.split(":")
        assert fields[0] == "O3PipeView"
        event, tick = fields[1], int(fields[2])
        if event == "fetch":
            assert len(fields) == 7, "disassembly must not contain ':'"
            insts.append({"pc": int(fields[3], 16), "upc": int(fields[4]),
                          "seq": int(fields[5]), "disasm": fields[6], "events": ["fetch"],
                          "fetch": tick})
            continue
        inst = insts[-1]
        inst["events"].append(event)
        inst[event] = tick
        if event == "retire":
            assert fields[3] == "store"
            inst["store"] = int(fields[4])
        else:
            assert len(fields) == 3
    return insts


def test_o3pipeview_by_hand(tmp_path):
    path = write_o3pipeview(tiny_trace(), tmp_path / "t.out")
    lines = path.read_text().splitlines()
    # the store (second instruction): fetched in cycle 6, stamped at the end of the cycle
    assert lines[7:14] == ["O3PipeView:fetch:7000:0x00001004:0:8:sd a0,8(a1)",
                           "O3PipeView:decode:8000", "O3PipeView:rename:8000",
                           "O3PipeView:dispatch:9000", "O3PipeView:issue:9000",
                           "O3PipeView:complete:12000", "O3PipeView:retire:13000:store:12000"]
    assert lines[6] == "O3PipeView:retire:12000:store:0"  # a load has no store tick
    odd = tiny_trace().assign(disassembly=["a: b", "c", "d"])
    assert read_o3pipeview(write_o3pipeview(odd, tmp_path / "odd.out"))[0]["disasm"] == "a; b"


def test_o3pipeview_matches_pipeline(result, tmp_path):
    p = result.pipeline
    insts = read_o3pipeview(result.to_o3pipeview(tmp_path / "trace.out", ticks_per_cycle=500))
    assert len(insts) == len(p)
    for inst, row in zip(insts, p.itertuples()):
        assert inst["events"] == O3_EVENTS
        assert (inst["pc"], inst["upc"], inst["seq"]) == (row.pc, 0, row.seq)
        assert inst["disasm"] == row.disassembly
        ticks = [(getattr(row, c) + 1) * 500 for c in ENTRY]
        assert [inst[e] for e in ("fetch", "decode", "issue", "complete", "retire")] == ticks
        assert inst["rename"] == inst["decode"] and inst["dispatch"] == inst["issue"]
        assert inst["store"] == (inst["complete"] if row.opclass in (5, 6) else 0)
    assert any(i["store"] for i in insts), "the window should hold a store"
    with pytest.raises(CyclesimError, match="ticks_per_cycle"):
        result.to_o3pipeview(tmp_path / "bad.out", ticks_per_cycle=0)


# -- Chrome / Perfetto trace-event JSON -------------------------------------------------

def read_trace_events(path) -> tuple[dict, dict[str, list[dict]]]:
    """Trace-event JSON reader: an object with a traceEvents array; "M" metadata events
    name the process and threads; "X" complete events have ts and dur (microseconds)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    names = {}
    for ev in doc["traceEvents"]:
        if ev["ph"] == "M" and ev["name"] == "thread_name":
            names[(ev["pid"], ev["tid"])] = ev["args"]["name"]
    tracks: dict[str, list[dict]] = {}
    for ev in doc["traceEvents"]:
        assert ev["ph"] in ("M", "X")
        if ev["ph"] == "X":
            assert ev["dur"] >= 0      # out of order, done and commit may share a cycle
            tracks.setdefault(names[(ev["pid"], ev["tid"])], []).append(ev)
    return doc, tracks


def test_perfetto_matches_pipeline(result, tmp_path):
    p = result.pipeline
    doc, tracks = read_trace_events(result.to_perfetto(tmp_path / "trace.json"))
    assert sorted(tracks) == sorted(STAGES)
    process = [e for e in doc["traceEvents"] if e["name"] == "process_name"]
    assert process[0]["args"]["name"].startswith("matmul")
    for s, stage in enumerate(STAGES):
        events = sorted(tracks[stage], key=lambda e: e["ts"])
        assert len(events) == len(p)
        assert [e["ts"] for e in events] == p[ENTRY[s]].tolist()
        ends = p[ENTRY[s + 1]].tolist() if s < 4 else (p["wb_cycle"] + 1).tolist()
        assert [e["ts"] + e["dur"] for e in events] == ends
        assert [e["name"] for e in events] == p["disassembly"].tolist()
        assert [e["args"]["seq"] for e in events] == p["seq"].tolist()
        # one instruction per stage at a time: the slices of a track never overlap
        assert all(a["ts"] + a["dur"] <= b["ts"] for a, b in itertools.pairwise(events))
    flagged = {e["args"]["seq"] for e in tracks["EX"] if e["args"].get("mispredicted")}
    assert flagged == set(p.loc[p["mispredicted"], "seq"].tolist())


def test_perfetto_simulated_clock_gzip(result, tmp_path):
    p = result.pipeline
    freq = result.config.core.frequency
    _, tracks = read_trace_events(result.to_perfetto(tmp_path / "t.json.gz", clock="simulated"))
    events = sorted(tracks["IF"], key=lambda e: e["ts"])
    assert [e["ts"] for e in events] == pytest.approx((p["if_cycle"] / freq * 1e6).tolist())
    with pytest.raises(CyclesimError, match="clock"):
        result.to_perfetto(tmp_path / "x.json", clock="wall")
    with pytest.raises(CyclesimError, match="frequency"):
        write_perfetto(p, tmp_path / "x.json", clock="simulated")


def test_exports_need_a_pipeline_trace(tmp_path):
    r = cyclesim.run("hello", mode="functional")
    for export in (r.to_konata, r.to_o3pipeview, r.to_perfetto):
        with pytest.raises(CyclesimError, match="trace='pipeline'"):
            export(tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_unwritable_path_is_one_sentence(tmp_path):
    for write in (write_konata, write_o3pipeview, write_perfetto):
        with pytest.raises(CyclesimError, match="cannot write .*missing"):
            write(tiny_trace(), tmp_path / "missing" / "t.log")


def test_empty_window_writes_valid_files(tmp_path):
    empty = tiny_trace().iloc[:0]
    assert read_kanata(write_konata(empty, tmp_path / "e.log")) == {}
    assert read_o3pipeview(write_o3pipeview(empty, tmp_path / "e.out")) == []
    assert read_trace_events(write_perfetto(empty, tmp_path / "e.json"))[1] == {}


# -- the command line -------------------------------------------------------------------

def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)],
                          check=False, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_exports_and_save(tmp_path):
    first, count = 100, 50
    files = {"konata": tmp_path / "k.log", "o3pipeview": tmp_path / "o3.out",
             "perfetto": tmp_path / "p.json", "save": tmp_path / "saved"}
    code, _, err = cli("run", "--quiet", "--trace-window", f"{first}:{count}",
                       *[x for k, v in files.items() for x in (f"--{k}", v)], "hello")
    assert code == 0, err
    assert "Traceback" not in err
    seqs = list(range(first, first + count))
    loaded = cyclesim.load_result(files["save"])
    p = loaded.pipeline
    assert p["seq"].tolist() == seqs
    assert [i["sim_id"] for i in read_kanata(files["konata"]).values()] == seqs
    o3 = read_o3pipeview(files["o3pipeview"])
    assert [i["seq"] for i in o3] == seqs
    assert [i["fetch"] for i in o3] == ((p["if_cycle"] + 1) * 1000).tolist()
    assert len(read_trace_events(files["perfetto"])[1]["WB"]) == count
    assert loaded.status == "exited" and loaded.stdout == "Hello, world!\n"
    # running again replaces the saved result (and only a saved result)
    code, _, err = cli("run", "--quiet", "--trace-window", "0:10",
                       "--save", files["save"], "hello")
    assert code == 0, err
    assert len(cyclesim.load_result(files["save"]).pipeline) == 10


@pytest.mark.parametrize("args, words", [
    (["--mode", "functional", "--konata", "{tmp}/k.log"], "timing mode"),
    (["--perfetto", "{tmp}/missing/p.json"], "does not exist"),
    (["--save", "{tmp}"], "other files"),
])
def test_cli_export_errors_are_one_sentence(tmp_path, args, words):
    (tmp_path / "keep.txt").write_text("not a result")
    code, _, err = cli("run", "--quiet", *[a.format(tmp=tmp_path) for a in args], "hello")
    assert code == 125
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cyclesim: ") and words in lines[0], err
    assert (tmp_path / "keep.txt").read_text() == "not a result"


# -- an out-of-order run: every format shows the model's own stage names -------------------

OOO_STAGES = ["fetch", "dispatch", "issue", "done", "commit"]
OOO_ENTRY = [f"{s}_cycle" for s in OOO_STAGES]


@pytest.fixture(scope="module")
def ooo_result():
    args = workloads.info("matmul")["test_args"][0]
    r = cyclesim.run("matmul", *args, preset="boom_medium", trace="pipeline",
                     trace_window=WINDOW)
    assert len(r.pipeline) == WINDOW[1]
    return r


def test_ooo_frame_names_its_stages(ooo_result):
    from pipeline.ooo import OutOfOrderCore

    p = ooo_result.pipeline
    assert tuple(OOO_STAGES) == OutOfOrderCore.stage_names
    assert p.attrs["stages"] == tuple(OOO_STAGES)
    assert [c for c in p.columns if c.endswith("_cycle")] == OOO_ENTRY
    # the columns are the OoO record's own cycles (ooo_trace keeps them by those names)
    assert list(ooo_result.cycles().columns[1:6]) == OOO_STAGES
    assert (p["commit_cycle"] >= p["done_cycle"]).all()
    assert (p["issue_cycle"] > p["dispatch_cycle"]).all()        # O13


def test_ooo_konata_has_the_ooo_stages(ooo_result, tmp_path):
    p = ooo_result.pipeline
    insts = read_kanata(ooo_result.to_konata(tmp_path / "ooo.log"))
    assert len(insts) == len(p)
    for inst, e in zip(insts.values(), p[OOO_ENTRY].to_numpy().tolist()):
        assert sorted(s for _, s in inst["stages"]) == sorted(OOO_STAGES)
        assert [inst["stages"][(0, s)][0] for s in OOO_STAGES] == e
        assert inst["retire"][1:] == (0, e[-1] + 1)


def test_ooo_o3pipeview_maps_stages_by_name(ooo_result, tmp_path):
    p = ooo_result.pipeline
    insts = read_o3pipeview(ooo_result.to_o3pipeview(tmp_path / "ooo.out"))
    assert len(insts) == len(p)
    for inst, row in zip(insts, p.itertuples()):
        t = {s: (getattr(row, f"{s}_cycle") + 1) * 1000 for s in OOO_STAGES}
        # gem5's own stages get the OoO stages of the same meaning; decode and rename,
        # which the model folds into dispatch (O6), get the dispatch tick
        assert (inst["fetch"], inst["dispatch"], inst["issue"], inst["complete"],
                inst["retire"]) == (t["fetch"], t["dispatch"], t["issue"], t["done"],
                                    t["commit"])
        assert inst["decode"] == inst["rename"] == t["dispatch"]


def test_ooo_perfetto_tracks_are_the_ooo_stages(ooo_result, tmp_path):
    p = ooo_result.pipeline
    _, tracks = read_trace_events(ooo_result.to_perfetto(tmp_path / "ooo.json"))
    assert sorted(tracks) == sorted(OOO_STAGES)
    for s, stage in enumerate(OOO_STAGES):
        events = sorted(tracks[stage], key=lambda e: (e["ts"], e["args"]["seq"]))
        assert sorted(e["ts"] for e in events) == sorted(p[OOO_ENTRY[s]].tolist())


def test_ooo_stage_names_survive_save_and_load(ooo_result, tmp_path):
    from cyclesim.results.traces import stage_columns

    back = cyclesim.load_result(ooo_result.save(tmp_path / "saved"))
    assert stage_columns(back.pipeline)[0] == tuple(OOO_STAGES)
    insts = read_kanata(back.to_konata(tmp_path / "back.log"))
    assert {s for i in insts.values() for _, s in i["stages"]} == set(OOO_STAGES)
