"""Threaded programs on one or several harts: the output and exit code qemu-riscv64 gives,
in functional and timing mode, with more threads than harts; simulated time under
sleeps and timed waits; LR/SC reservations broken by another hart's store; time slices;
deadlocks; determinism (docs/engine.md, "Threads and harts"; docs/process.md)."""
import sys
from pathlib import Path

import pytest

import cyclesim

sys.path.insert(0, str(Path(__file__).resolve().parent / "process"))
from process_support import build, run_qemu  # noqa: E402

PTHREAD = ("-O2", "-static", "-pthread")
SOURCES = Path(__file__).resolve().parent / "programs"


@pytest.fixture(scope="module")
def programs():
    return {"sync": build(SOURCES / "threads_sync.c", *PTHREAD, name="threads_sync"),
            "omp": build(SOURCES / "omp_reduce.c", *PTHREAD, "-fopenmp", name="omp_reduce"),
            "sleep": build(SOURCES / "threads_sleep.c", *PTHREAD, name="threads_sleep"),
            "lrsc": build(SOURCES / "lrsc_harts.c", *PTHREAD, name="lrsc_harts"),
            "spin": build(SOURCES / "spin_flag.c", *PTHREAD, name="spin_flag"),
            "deadlock": build(SOURCES / "deadlock.c", *PTHREAD, name="deadlock")}


def run(elf, *args, cores=1, mode="functional", **kw):
    overrides = {"cores": cores, **kw.pop("overrides", {})}
    return cyclesim.run(str(elf), *args, mode=mode, overrides=overrides,
                        max_insts=20_000_000, **kw)


@pytest.mark.parametrize("cores", [1, 2, 4])
@pytest.mark.parametrize("name, args", [("sync", ("4", "300")), ("sync", ("6", "100")),
                                        ("omp", ("3000",)), ("omp", ("2000", "5"))])
def test_threaded_programs_give_qemus_output(programs, name, args, cores):
    """6 threads (and 5 OpenMP threads) on 1, 2 or 4 harts: more threads than harts."""
    code, out, _ = run_qemu(programs[name], args)
    r = run(programs[name], *args, cores=cores)
    assert r.status == "exited", r.message
    assert (r.exit_code, r.stdout_bytes) == (code, out)
    # libgomp starts one thread per hart unless told (omp_set_num_threads: the 2nd arg)
    assert r.stats.get("threads.created", 1) >= (1 if name == "omp" and cores == 1
                                                 and len(args) == 1 else 2)


def test_threads_in_timing_mode_on_one_core(programs):
    code, out, _ = run_qemu(programs["sync"], ("3", "100"))
    r = run(programs["sync"], "3", "100", mode="timing")
    assert (r.status, r.exit_code, r.stdout_bytes) == ("exited", code, out)
    assert r.cpi_stack().sum() == r.stats["core.cycles"]


@pytest.mark.parametrize("cores", [1, 2])
def test_sleeps_and_timed_waits_advance_simulated_time(programs, cores):
    """threads_sleep sleeps 2 ms in two threads, then times out of a 2 ms condvar wait:
    simulated time must pass (the harts idle), at least 4 ms of it at 1 GHz."""
    r = run(programs["sleep"], cores=cores)
    assert r.stdout == "slept at least 2 ms: 1; timed wait timed out, at least 2 ms: 1\n"
    assert r.stats["core.cycles"] >= 4_000_000 > 20 * r.stats["core.instructions"]


def test_sleep_in_timing_mode_idles_the_core(programs):
    r = run(programs["sleep"], mode="timing")
    assert r.stdout.endswith("timed out, at least 2 ms: 1\n")
    stack = r.cpi_stack()
    # 4 ms of sleeping, less the cycles a thread computes while another one sleeps
    assert stack["idle"] >= 4_000_000 - 4 * r.stats["core.instructions"]
    assert stack.sum() == r.stats["core.cycles"]


def test_another_harts_store_breaks_the_reservation(programs):
    """lrsc_harts: the main thread's lr.w/sc.w pair spans many quanta; the storer thread
    on hart 1 stores to the reserved word in between, so the sc fails (prints 1)."""
    r = run(programs["lrsc"], "store", cores=2)
    assert r.stdout == "sc 1 word 42\n" and r.stats["sim.reservations_broken"] == 1
    r = run(programs["lrsc"], "nostore", cores=2)
    assert r.stdout == "sc 0 word 7\n" and r.stats["sim.reservations_broken"] == 0


def test_a_spinning_thread_is_preempted_at_its_time_slice(programs):
    r = run(programs["spin"], overrides={"engine.time_slice": 200_000})
    assert r.stdout == "flag seen after spinning\n"
    assert r.stats["threads.preemptions"] >= 1


@pytest.mark.parametrize("cores", [1, 2])
def test_a_deadlock_ends_the_run_with_a_sentence(programs, cores):
    r = run(programs["deadlock"], cores=cores)
    assert r.status == "deadlock" and r.stdout == "starting\n"
    assert r.message.startswith("deadlock: every thread waits") and "thread 1001" in r.message


def test_threaded_runs_are_deterministic(programs):
    a = run(programs["sync"], "6", "100", cores=4)
    b = run(programs["sync"], "6", "100", cores=4)
    assert a.stats.equals(b.stats)
    c = run(programs["sync"], "6", "100", cores=4, overrides={"engine.quantum": 300})
    assert c.stdout == a.stdout


def test_per_core_statistics_add_up(programs):
    r = run(programs["sync"], "4", "200", cores=4)
    s = r.stats
    assert sum(s[f"core{i}.instructions"] for i in range(4)) == s["core.instructions"]
    assert all(s[f"core{i}.busy_cycles"] + s[f"core{i}.idle_cycles"] == s["core.cycles"]
               for i in range(4))
    assert s["core.count"] == 4


def test_fork_is_refused_with_a_warning(tmp_path):
    src = tmp_path / "forker.c"
    src.write_text('#include <stdio.h>\n#include <unistd.h>\n'
                   'int main(void) { int a = fork(), b = fork();\n'
                   '  printf("%d %d\\n", a, b); return 0; }\n')
    r = cyclesim.run(str(build(src, "-O2", "-static", name="forker")), mode="functional")
    assert r.stdout == "-1 -1\n"                     # fork failed (ENOSYS) both times
    (note,) = [w for w in r.warnings if "fork" in w]
    assert "only threads are modelled" in note and "(2 calls)" in note


@pytest.mark.parametrize("cores", [2, 4])
@pytest.mark.parametrize("name, args", [("sync", ("6", "100")), ("omp", ("2000",))])
def test_threaded_programs_in_timing_mode_on_several_cores(programs, name, args, cores):
    code, out, _ = run_qemu(programs[name], args)
    r = run(programs[name], *args, cores=cores, mode="timing")
    assert (r.status, r.exit_code, r.stdout_bytes) == ("exited", code, out)
    stacks = r.cpi_stack()                       # one row per core, idle included
    assert list(stacks.index) == list(range(cores))
    assert (stacks.sum(axis=1) == r.stats["core.cycles"]).all()
    assert len(r.per_core) == cores and r.per_core["instructions"].sum() == r.instructions
    assert f"core{cores - 1}.l1d.accesses" in r.stats
    text = r.report()
    assert f"cores            {cores} (quantum 1,000 cycles)" in text and "core1.l1d" in text


def test_timing_runs_on_several_cores_are_deterministic(programs):
    a = run(programs["omp"], "2000", cores=4, mode="timing")
    b = run(programs["omp"], "2000", cores=4, mode="timing")
    assert a.stats.equals(b.stats) and a.stdout == b.stdout


def test_speedup_over_one_core(programs):
    r = run(programs["omp"], "20000", cores=4, mode="timing", speedup=True)
    one = run(programs["omp"], "20000", cores=1, mode="timing")
    assert r.baseline_cycles == one.stats["core.cycles"]
    assert r.speedup == pytest.approx(one.stats["core.cycles"] / r.stats["core.cycles"])
    assert r.speedup > 1.5                       # a parallel loop on 4 harts
    assert "speed-up" in r.report()


def test_a_checkpoint_with_several_threads_is_refused(programs):
    r = cyclesim.run(str(programs["sync"]), "4", "300", mode="functional", max_insts=100_000)
    assert r.status == "max_insts"
    with pytest.raises(cyclesim.CyclesimError, match="threads at this point"):
        r.checkpoint("/nonexistent/never-written")


def test_traces_per_core(programs, tmp_path):
    r = run(programs["sync"], "2", "50", cores=2, mode="timing",
            trace=["pipeline", "memory"], trace_window=(0, 400))
    assert list(r.pipeline.columns[:2]) == ["core", "seq"]
    assert (r.pipeline.groupby("core").size() == 400).all()
    assert set(r.memory_trace["core"]) == {0, 1}
    one = r.core_pipeline(1)
    assert list(one["seq"]) == list(range(400)) and "core" not in one.columns
    assert r.cycles(core=1)["cycle"].iloc[0] == one["if_cycle"].min()
    assert r.to_konata(tmp_path / "k1.log", core=1).stat().st_size > 0
    with pytest.raises(ValueError, match="cores 0 to 1"):
        r.cycles(core=2)
