"""The out-of-order core on real programs: every workload computes what qemu-riscv64
computes and retires as many instructions as the functional mode, and on the first
20,000 instructions of real workloads the core agrees cycle for cycle with the reference
model (tests/pipeline/ooo_reference.py), the memory hierarchy's answers replayed."""
import numpy as np
import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.api import prepare

from ooo_reference import simulate
from threaded_workloads import require_threads, same_work

OOO = {"core.model": "ooo"}


@pytest.mark.parametrize("name", workloads.names())
def test_every_workload_gives_qemus_output_on_the_ooo_core(run_qemu, name):
    require_threads(name)
    args = workloads.info(name)["test_args"][0]
    code, out, _ = run_qemu(workloads.path(name), args)
    functional = cyclesim.run(name, *args, mode="functional")
    timed = cyclesim.run(name, *args, overrides=OOO)
    assert timed.status == "exited", timed.message
    assert timed.stdout_bytes == out
    assert timed.exit_code == code == 0
    assert same_work(name, timed.instructions, functional.instructions)
    assert timed.stats["core.ipc"] > 0
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])


def _records(name, n, overrides):
    args = workloads.info(name)["test_args"][0]
    system, _, cfg = prepare(name, *args, overrides=overrides, max_insts=n,
                             trace="pipeline", trace_window=(0, n), sample_interval=None)
    system.run()
    return system.timing.ooo_trace().copy(), cfg


@pytest.mark.parametrize("name,overrides", [
    ("sort", {}),
    ("ptrchase", {"core.model_params.rob_entries": 32}),
    ("nbody", {"core.model_params.decode_width": 4, "core.model_params.commit_width": 4}),
    # O16s/O22: loads passing unknown store addresses, violations and refetches
    ("ptrchase", {"core.model_params.memory_dependence": "speculate"}),
    ("ptrchase", {"core.model_params.memory_dependence": "store_sets"}),
    ("nbody", {"core.model_params.memory_dependence": "speculate"}),
])
def test_workload_trace_agrees_with_reference(name, overrides):
    n = 20_000
    rec, cfg = _records(name, n, {**OOO, **overrides})
    assert len(rec) == n
    stream = [dict(oc=int(r["opclass"]), pc=int(r["pc"]), length=int(r["length"]),
                   rd=int(r["rd"]), rs1=int(r["rs1"]), rs2=int(r["rs2"]), rs3=int(r["rs3"]),
                   mem_addr=int(r["mem_addr"]), mem_size=int(r["mem_size"]),
                   redirect=int(r["redirect"])) for r in rec]
    # The caches' answers and the predictor's verdicts are replayed from the run: the
    # reference checks the core's timing rules, not the caches (tests/caches do that).
    mem = rec["mem_latency"].tolist()
    stall = rec["fetch_stall"].tolist()
    ref = simulate(stream, cfg.core.model_params, dcache=lambda i: mem[i.k],
                   icache_stall=lambda i: stall[i.k], line_size=cfg.l1i.line_size)
    got = np.stack([rec[c] for c in ("fetch", "dispatch", "issue", "done", "commit")], axis=1)
    want = np.array([(i.F, i.D, i.I, i.X, i.C) for i in ref])
    bad = np.nonzero((got != want).any(axis=1))[0]
    assert len(bad) == 0, (f"{len(bad)} differ; first #{bad[0]}: fast {tuple(got[bad[0]])} "
                           f"ref {tuple(want[bad[0]])}, opclass {int(rec['opclass'][bad[0]])}")
    # the window really filled and the memory system was really in the way
    assert (rec["commit"] - rec["dispatch"]).max() > 20
    assert rec["mem_latency"].max() > 10
    if "core.model_params.memory_dependence" in overrides:
        assert rec["violations"].sum() > 0          # a load really was refetched (O22)


def test_matmul_on_the_boom_medium_preset_retires_more_than_one_per_cycle():
    """The issue's acceptance run (at the test size): IPC above 1 on the 2-wide preset,
    and a CPI stack that sums exactly to the cycles (O20)."""
    r = cyclesim.run("matmul", "40", preset="boom_medium")
    assert r.status == "exited", r.message
    assert r.stats["core.ipc"] > 1.2
    assert int(r.cpi_stack().sum()) == int(r.stats["core.cycles"])
    assert r.stats["commit_slots.retiring"] == r.instructions


def test_streamed_trace_equals_in_memory_trace(tmp_path):
    """trace_dir streams the OoO core's records through drain_traces()/trace_room() in
    chunks (more than two of 65536 instructions here); the files hold exactly the records
    an in-memory window holds."""
    import pandas as pd
    ov = {"core.model": "ooo"}
    mem = cyclesim.run("matmul", "24", overrides=ov, trace=["memory", "pipeline"],
                       trace_window=(0, 10**6))
    disk = cyclesim.run("matmul", "24", overrides=ov, trace=["memory", "pipeline"],
                        trace_dir=tmp_path / "t")
    p = pd.read_parquet(disk.trace_files["pipeline"])
    assert len(p) == int(disk.stats["core.instructions"]) == len(mem.pipeline) > 2 << 16
    for col in ("seq", "fetch_cycle", "issue_cycle", "commit_cycle"):
        assert (p[col].to_numpy() == mem.pipeline[col].to_numpy()).all(), col
    m = pd.read_parquet(disk.trace_files["memory"])
    assert len(m) == len(mem.memory_trace) > 0
    for col in ("cycle", "seq", "addr", "latency"):
        assert (m[col].to_numpy() == mem.memory_trace[col].to_numpy()).all(), col
