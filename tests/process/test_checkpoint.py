"""Checkpoints are exact: a straight run equals run to N, save, resume in a new Python
process, continue (same stdout, exit code, instruction count, files written), for N at
random points and around system calls, across brk/mmap/file I/O; damaged or foreign
checkpoints are refused with one sentence."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from process_support import build

import cyclesim
from cyclesim.api import prepare
from cyclesim.checkpoint import CheckpointError

ROOT = Path(__file__).resolve().parents[2]

# brk (malloc growth), mmap/munmap, file writes/seeks/reads in the sandbox, getrandom,
# clock_gettime (simulated time) and output on both streams, with a checksum of it all.
SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
int main(int argc, char **argv) {
    unsigned long sum = 0;
    int fd = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int dupfd = dup(fd);
    for (int round = 0; round < 6; round++) {
        size_t n = 4096u << round;
        unsigned char *heap = malloc(n);
        unsigned char *map = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (size_t i = 0; i < n; i++) { heap[i] = (unsigned char)(i * 7 + round); map[i] = heap[i] ^ 0x5a; }
        write(fd, map, 512);
        lseek(dupfd, -256, SEEK_CUR);
        unsigned char back[256];
        read(fd, back, sizeof back);
        for (int i = 0; i < 256; i++) sum = sum * 31 + back[i];
        unsigned char rnd[8];
        getrandom(rnd, sizeof rnd, 0);
        for (int i = 0; i < 8; i++) sum = sum * 131 + rnd[i];
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        printf("round %d heap %p sum %lx\n", round, (void *)heap, sum);
        fprintf(stderr, "e%d\n", round);
        munmap(map, n);
        if (round % 2) free(heap);
    }
    close(fd);
    printf("done %lx %s\n", sum, argc > 1 ? argv[1] : "-");
    return (int)(sum & 0x3f);
}
"""

RESUME = r"""
import json, sys
import cyclesim
out = []
for line in sys.stdin.read().split():
    path, mode = line.split("|")
    r = cyclesim.run(checkpoint=path, mode=mode, sample_interval=None)
    out.append({"stdout": r.stdout_bytes.hex(), "stderr": r.stderr_bytes.hex(),
                "status": r.status, "exit_code": r.exit_code,
                "instructions": r.total_instructions})
print(json.dumps(out))
"""


def _resume_elsewhere(jobs):
    """Resume each (checkpoint, mode) in one new interpreter; their outcomes."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", RESUME], input="\n".join(
        f"{p}|{m}" for p, m in jobs), capture_output=True, text=True, env=env,
        timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _outcome(r):
    return {"stdout": r.stdout_bytes.hex(), "stderr": r.stderr_bytes.hex(),
            "status": r.status, "exit_code": r.exit_code,
            "instructions": int(r.instructions)}


@pytest.fixture(scope="module")
def program():
    return str(build(SOURCE, name="ckpt"))


def _syscall_points(elf, sandbox):
    """Instruction counts at which the guest made a syscall (functional: cycle = instret)."""
    system, _, _ = prepare(elf, "arg", mode="functional", allow_write=sandbox, cwd=sandbox)
    system.process.syscall_trace = []
    system.run()
    return [cycle for cycle, *_ in system.process.syscall_trace]


def test_resume_in_a_new_process_is_exact(program, tmp_path):
    straight_dir = tmp_path / "straight"
    straight_dir.mkdir()
    full = cyclesim.run(program, "arg", mode="functional", allow_write=straight_dir,
                        cwd=straight_dir)
    assert full.status == "exited" and b"done" in full.stdout_bytes
    total = full.instructions
    calls = _syscall_points(program, tmp_path / "straight")
    assert len(calls) > 40                 # open, dup, brk, mmap, write, lseek, read, ...
    rng = np.random.default_rng(14)
    points = sorted({int(n) for n in rng.integers(1, total, 6)}
                    | {calls[i] + d for i in (0, len(calls) // 3, len(calls) // 2, -2)
                       for d in (-1, 0, 1)} | {1, total - 1})
    jobs = []
    for k, n in enumerate(points):
        sandbox = tmp_path / f"s{k}"
        sandbox.mkdir()
        part = cyclesim.run(program, "arg", mode="functional", allow_write=sandbox,
                            cwd=sandbox, max_insts=n)
        assert part.status == "max_insts" and part.total_instructions == n
        jobs.append((part.checkpoint(tmp_path / f"c{k}"), "functional"))
    # cold timing-mode restores: same architectural results
    jobs += [(jobs[len(jobs) // 2][0], "timing"), (jobs[-2][0], "timing")]
    expected = _outcome(full)
    for (path, mode), got in zip(jobs, _resume_elsewhere(jobs)):
        assert got == expected, (path, mode)
    # the file the guest wrote through its two descriptors is the same too
    k = points.index(calls[len(calls) // 2])
    assert (tmp_path / f"s{k}" / "data.bin").read_bytes() == \
        (straight_dir / "data.bin").read_bytes()


def test_several_checkpoints_in_one_pass_equal_single_ones(tmp_path):
    many = cyclesim.checkpoint("sort", at=[5_000, 1_234], path=tmp_path / "many")
    assert [Path(p).name for p in many] == ["1234", "5000"]
    one = cyclesim.run("sort", mode="functional", max_insts=5_000).checkpoint(tmp_path / "one")
    a = json.loads((Path(many[1]) / "manifest.json").read_text())
    b = json.loads((Path(one) / "manifest.json").read_text())
    assert a["instructions"] == b["instructions"] == 5_000
    assert a["parts"] == b["parts"]        # byte-identical arrays (same SHA-256s)
    assert a["state"] == b["state"]


def test_resume_continues_to_an_absolute_instruction_limit(tmp_path):
    path = cyclesim.run("fib", mode="functional", max_insts=1_000).checkpoint(tmp_path / "c")
    r = cyclesim.run(checkpoint=path, mode="functional", max_insts=3_000)
    # max_insts counts from the program's start: 2,000 more instructions ran here
    assert r.status == "max_insts"
    assert r.total_instructions == 3_000 and r.instructions == 2_000


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved")
    return cyclesim.run("hello", mode="functional", max_insts=2_000).checkpoint(root / "c")


def _copy(src, dst):
    dst.mkdir()
    for f in Path(src).iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _refused(path, *args, match):
    with pytest.raises(CheckpointError, match=match) as info:
        cyclesim.run(*args, checkpoint=path, mode="functional")
    assert "\n" not in str(info.value)


def test_flipped_byte_is_refused(saved, tmp_path):
    bad = _copy(saved, tmp_path / "bad")
    blob = bytearray((bad / "page_data.npy").read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (bad / "page_data.npy").write_bytes(bytes(blob))
    _refused(bad, match="page_data.npy is damaged")


def test_truncated_array_is_refused(saved, tmp_path):
    bad = _copy(saved, tmp_path / "bad")
    blob = (bad / "x.npy").read_bytes()
    (bad / "x.npy").write_bytes(blob[:-8])
    _refused(bad, match=r"x.npy is damaged or truncated \(376 bytes, the manifest says 384\)")


def test_edited_manifest_is_refused(saved, tmp_path):
    bad = _copy(saved, tmp_path / "bad")
    m = json.loads((bad / "manifest.json").read_text())
    m["state"]["hart"]["pc"] += 4
    (bad / "manifest.json").write_text(json.dumps(m))
    _refused(bad, match="manifest was edited")


def test_checkpoint_of_another_program_is_refused(saved):
    _refused(saved, "sort", match="another program")


def test_newer_format_is_refused(saved, tmp_path):
    from cyclesim.checkpoint.store import seal

    bad = _copy(saved, tmp_path / "bad")
    m = json.loads((bad / "manifest.json").read_text())
    m["format_version"] = 99
    (bad / "manifest.json").write_text(json.dumps(seal(m)))   # well-formed, only newer
    _refused(bad, match="newer than")


def test_not_a_checkpoint_is_refused(tmp_path):
    _refused(tmp_path, match="has no readable manifest.json")


def test_arrays_are_never_unpickled(saved, tmp_path):
    bad = _copy(saved, tmp_path / "bad")
    np.save(bad / "x.npy", np.array([object()], dtype=object), allow_pickle=True)
    m = json.loads((bad / "manifest.json").read_text())
    from cyclesim.checkpoint.store import seal, sha256

    m["parts"]["x"]["sha256"] = sha256((bad / "x.npy").read_bytes())
    m["parts"]["x"]["bytes"] = (bad / "x.npy").stat().st_size
    (bad / "manifest.json").write_text(json.dumps(seal(m)))
    with pytest.raises(ValueError, match="pickle"):
        cyclesim.run(checkpoint=bad, mode="functional")


def test_finished_run_cannot_be_saved(tmp_path):
    r = cyclesim.run("hello", mode="functional")
    with pytest.raises(CheckpointError, match="no live run"):
        r.checkpoint(tmp_path / "c")


def test_cli_checkpoint_and_resume(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cli = [sys.executable, "-m", "cyclesim"]
    made = subprocess.run(cli + ["checkpoint", "--at", "500,1500", "-o",
                                 str(tmp_path / "ck"), "hello"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert made.returncode == 0, made.stderr
    assert made.stdout.split() == [str(tmp_path / "ck" / "500"), str(tmp_path / "ck" / "1500")]
    ran = subprocess.run(cli + ["run", "--from", str(tmp_path / "ck" / "1500"), "--mode",
                                "functional"], capture_output=True, text=True, env=env,
                         timeout=300)
    assert ran.returncode == 0 and ran.stdout == "Hello, world!\n", ran.stderr
    bad = subprocess.run(cli + ["run", "--from", str(tmp_path / "ck" / "500"), "sort"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 125 and "another program" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("workload", ["nbody", "hashtable", "strings", "interp", "crc32"])
def test_bundled_workloads_resume_exactly(workload, tmp_path):
    full = cyclesim.run(workload, mode="functional")
    assert full.status == "exited"
    rng = np.random.default_rng(sum(map(ord, workload)))
    points = sorted({int(n) for n in rng.integers(1, full.instructions, 3)})
    jobs = [(cyclesim.run(workload, mode="functional", max_insts=n)
             .checkpoint(tmp_path / str(n)), "functional") for n in points]
    for got in _resume_elsewhere(jobs):
        assert got == _outcome(full)


def test_simulated_time_goes_on_across_a_timing_restore(tmp_path):
    """A timing run saved at N resumes with its clock where it was: the process's
    simulated time at the next syscall is at least the time at the save, though a cold
    timing model starts its own cycle count at 0."""
    part = cyclesim.run("sort", max_insts=200_000, sample_interval=None)
    path = part.checkpoint(tmp_path / "c")
    saved_now = json.loads((Path(path) / "manifest.json").read_text())["state"]["process"]["now"]
    assert saved_now == part.cycles_total  # the run's cycles when it stopped
    system, _, _ = prepare(checkpoint=path, mode="timing")
    system.process.syscall_trace = []
    system.run()
    times = [cycle for cycle, *_ in system.process.syscall_trace]
    assert times and times[0] >= saved_now and times == sorted(times)
    assert system.process.stdout == cyclesim.run("sort", mode="functional").stdout_bytes


def test_wrongly_shaped_array_is_refused(saved, tmp_path):
    from cyclesim.checkpoint.store import seal, sha256

    bad = _copy(saved, tmp_path / "bad")
    np.save(bad / "x.npy", np.zeros(31, dtype=np.uint64))
    m = json.loads((bad / "manifest.json").read_text())
    m["parts"]["x"]["sha256"] = sha256((bad / "x.npy").read_bytes())
    m["parts"]["x"]["bytes"] = (bad / "x.npy").stat().st_size
    (bad / "manifest.json").write_text(json.dumps(seal(m)))
    _refused(bad, match="array 'x' is missing or has the wrong type or shape")


def test_checkpoint_of_a_timing_run_resumes_in_either_mode(tmp_path):
    full = cyclesim.run("hashtable", sample_interval=None)
    n = full.instructions // 3
    part = cyclesim.run("hashtable", max_insts=n, sample_interval=None)
    path = part.checkpoint(tmp_path / "t")
    manifest = json.loads((Path(path) / "manifest.json").read_text())
    assert manifest["mode"] == "timing" and manifest["instructions"] == n
    assert manifest["cycle"] == part.cycles_total
    got = _resume_elsewhere([(path, "functional"), (path, "timing")])
    assert got == [_outcome(full)] * 2


def test_counts_past_the_end_and_occupied_directories_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match=r"ended \(exited with code 0\) after [\d,]+ "
                                              r"instructions, before instruction 10,000,000"):
        cyclesim.checkpoint("hello", at=[100, 10_000_000], path=tmp_path / "c")
    with pytest.raises(CheckpointError, match="at = -5"):
        cyclesim.checkpoint("hello", at=-5, path=tmp_path / "d")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    r = cyclesim.run("hello", mode="functional", max_insts=100)
    with pytest.raises(cyclesim.CyclesimError, match="exists and is not a checkpoint"):
        r.checkpoint(occupied)
    assert (occupied / "notes.txt").read_text() == "mine"


def test_resealed_manifest_missing_a_field_is_refused(saved, tmp_path):
    from cyclesim.checkpoint.store import seal

    bad = _copy(saved, tmp_path / "bad")
    m = json.loads((bad / "manifest.json").read_text())
    del m["state"]["process"]["now"]
    (bad / "manifest.json").write_text(json.dumps(seal(m)))
    _refused(bad, match="saved state is incomplete or malformed")


def test_resume_with_signal_handlers_installed_blocked_and_pending(tmp_path):
    """signals.c installs handlers, blocks and unblocks signals, and dies of SIGABRT:
    checkpoints around its syscalls carry the handlers, mask and pending set."""
    elf = str(build("signals.c", "-O2", "-static", name="signals"))
    full = cyclesim.run(elf, mode="functional")
    assert full.status == "signal" and full.exit_code == 134
    system, _, _ = prepare(elf, mode="functional")
    system.process.syscall_trace = []
    system.run()
    calls = [cycle for cycle, *_ in system.process.syscall_trace]
    points = sorted({c + d for c in calls[len(calls) // 4::max(1, len(calls) // 6)]
                     for d in (0, 1)})
    jobs = [(cyclesim.run(elf, mode="functional", max_insts=n).checkpoint(tmp_path / str(n)),
             "functional") for n in points]
    manifests = [json.loads((Path(p) / "manifest.json").read_text()) for p, _ in jobs]
    assert any(m["state"]["signals"]["actions"] for m in manifests)   # handlers were saved
    for got in _resume_elsewhere(jobs):
        assert got == _outcome(full)


def test_guest_inputs_given_again_on_resume_are_refused(saved):
    for extra in ({"env": {"A": "1"}}, {"stdin": b"x"}, {"allow_write": "/tmp"}):
        with pytest.raises(cyclesim.CyclesimError, match="from the checkpoint; drop them"):
            cyclesim.run(checkpoint=saved, mode="functional", **extra)
    with pytest.raises(cyclesim.CyclesimError, match="from the checkpoint; drop them"):
        cyclesim.run("hello", "arg", checkpoint=saved, mode="functional")
