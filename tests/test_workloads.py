"""The bundled workloads: registry, prebuilt ELFs, self-checks, ROI markers.

References are independent of cyclesim: qemu-riscv64 runs the programs, objdump reads the
markers, and a few checksums are recomputed here in Python (zlib, plain loops)."""
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from cyclesim import workloads
from cyclesim.errors import CyclesimError, WorkloadNotFound

ROOT = Path(__file__).resolve().parent.parent
WL = ROOT / "workloads"
CASES = [(name, tuple(args)) for name in workloads.names()
         for args in workloads.info(name)["test_args"]]


def result_line(name: str, stdout: bytes) -> str:
    lines = stdout.decode().splitlines()
    assert len(lines) == 1, f"{name} printed {lines!r}"
    return lines[0]


# --- registry ---------------------------------------------------------------------------

def test_registry_matches_sources_and_binaries():
    sources = {p.stem for p in (WL / "src").glob("*.c")}
    binaries = {p.name for p in (WL / "bin").iterdir() if p.is_file()}
    assert set(workloads.names()) == sources == binaries
    assert len(sources) >= 13
    assert workloads.names() == sorted(workloads.names())


@pytest.mark.parametrize("name", workloads.names())
def test_registry_entry(name):
    info = workloads.info(name)
    assert info["description"] and info["stresses"]
    assert all(isinstance(a, str) for a in info["default_args"])
    assert 1 <= len(info["test_args"]) <= 2
    p = workloads.path(name)
    assert p.is_file() and p.read_bytes()[:4] == b"\x7fELF"
    assert p.read_bytes()[18] == 243            # e_machine low byte: EM_RISCV
    assert workloads.resolve(name) == p
    assert len(info["approx_test_instructions"]) == len(info["test_args"])
    assert info["approx_roi_instructions"] < info["approx_instructions"]
    if name != "hello":
        assert 5e6 <= info["approx_instructions"] <= 30e6
        assert all(5e4 <= n <= 1e6 for n in info["approx_test_instructions"])


def test_resolve_accepts_an_existing_file(tmp_path):
    f = tmp_path / "prog"
    f.write_bytes(b"\x7fELF")
    assert workloads.resolve(str(f)) == f
    assert workloads.resolve(f) == f


def test_resolve_rejects_unknown_names_with_the_known_ones():
    with pytest.raises(WorkloadNotFound) as e:
        workloads.resolve("matmull")
    msg = str(e.value)
    assert "matmull" in msg and "matmul" in msg and "ptrchase" in msg
    assert "\n" not in msg
    assert isinstance(e.value, CyclesimError)
    for bad in (lambda: workloads.info("nope"), lambda: workloads.path("nope")):
        with pytest.raises(WorkloadNotFound, match="hello"):
            bad()


def test_resolve_rejects_a_directory(tmp_path):
    with pytest.raises(WorkloadNotFound, match="not a regular file"):
        workloads.resolve(tmp_path)


def test_found_from_an_installed_layout(tmp_path):
    """Copy exactly what setup.py packages into a fresh site dir; the registry must find it
    there without the source tree."""
    site = tmp_path / "site"
    (site / "cyclesim").mkdir(parents=True)
    for f in ("__init__.py", "errors.py", "workloads.py"):
        shutil.copy(ROOT / "cyclesim" / f, site / "cyclesim" / f)
    dest = site / "workloads"
    for pattern in ("bin/*", "src/*.c", "include/*.h", "Makefile", "*.toml", "__init__.py"):
        for p in WL.glob(pattern):
            (dest / p.relative_to(WL)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dest / p.relative_to(WL))
    code = ("from cyclesim import workloads as w; "
            "print(w.path('matmul')); print(len(w.names()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(site)}, check=True)
    where, count = out.stdout.split()
    assert Path(where) == dest / "bin" / "matmul"
    assert int(count) == len(workloads.names())


# --- running under qemu -----------------------------------------------------------------

@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{'-'.join(a) or 'noargs'}"
                                                 for n, a in CASES])
def test_runs_under_qemu_at_test_size(run_qemu, name, args):
    code, out, err = run_qemu(workloads.path(name), args, timeout=60)
    assert code == 0, f"{name} {args}: exit {code}, stderr {err!r}"
    line = result_line(name, out)
    if name == "hello":
        assert line == "Hello, world!"
        return
    assert re.fullmatch(rf"{name} n={args[0]} .*checksum=\S+.* ok", line), line


@pytest.mark.parametrize("name", workloads.names())
def test_runs_under_qemu_at_default_size(run_qemu, name):
    code, out, err = run_qemu(workloads.path(name), workloads.info(name)["default_args"])
    assert code == 0, f"{name}: exit {code}, stderr {err!r}"
    assert result_line(name, out).endswith("ok") or name == "hello"
    # the registry's default_args are the program's own default size
    assert run_qemu(workloads.path(name)) == (code, out, err)


@pytest.mark.parametrize("name", [n for n in workloads.names() if n != "hello"])
def test_tiny_sizes_still_pass_their_self_check(run_qemu, name):
    for size in ("1", "3"):
        code, out, err = run_qemu(workloads.path(name), [size], timeout=30)
        assert code == 0 and out.decode().rstrip().endswith(" ok"), (size, out, err)


def test_ptrchase_default_footprint_exceeds_l2(run_qemu):
    code, out, _ = run_qemu(workloads.path("ptrchase"))
    assert code == 0
    size = int(re.search(r"bytes=(\d+)", out.decode()).group(1))
    assert size >= 1 << 20            # four times a 256 KiB L2


def test_bad_size_argument_is_one_clear_sentence(run_qemu):
    code, out, err = run_qemu(workloads.path("matmul"), ["-5"])
    assert code == 2 and out == b""
    assert b"positive integer" in err and err.count(b"\n") == 1


# --- threaded workloads (qemu runs their threads on host threads) ---------------------

THREADED = [n for n in workloads.names() if workloads.info(n)["threads"]]


def test_the_threaded_workloads_are_registered():
    assert set(THREADED) == {"falseshare", "lockqueue", "omploop", "pstencil", "reduce"}
    for name in THREADED:       # explicit thread counts, so the test runs are reproducible
        assert all(len(args) >= 2 for args in workloads.info(name)["test_args"])


def _without_thread_counts(line: str) -> str:
    return re.sub(r" (threads|producers|consumers)=\d+", "", line)


@pytest.mark.parametrize("name", THREADED)
def test_threaded_result_is_the_same_on_1_2_4_8_threads(run_qemu, name):
    """The line depends on neither the thread count nor the interleaving (qemu runs the
    threads on the host's cores, so each run interleaves differently); only the thread
    fields change (and falseshare's total, n increments per thread)."""
    size, *rest = workloads.info(name)["test_args"][0]
    lines = []
    for threads in (1, 2, 4, 8):
        code, out, err = run_qemu(workloads.path(name), [size, threads, *rest[1:]], timeout=60)
        assert code == 0, (threads, err)
        line = result_line(name, out)
        assert f" threads={threads} " in line and line.endswith(" ok"), line
        if name == "falseshare":
            assert f" checksum={int(size) * threads} " in line
            line = line.replace(f" checksum={int(size) * threads} ", " checksum=total ")
        lines.append(_without_thread_counts(line))
    assert len(set(lines)) == 1, lines


@pytest.mark.parametrize("name", THREADED)
def test_threaded_workload_default_thread_count_is_the_affinity_mask(run_qemu, name):
    """Without a thread count the program uses every hart it may run on (qemu-user: the
    host's, as sched_getaffinity reports them)."""
    code, out, _ = run_qemu(workloads.path(name), ["8"])
    assert code == 0
    assert f" threads={len(os.sched_getaffinity(0))} " in out.decode()


@pytest.mark.parametrize("bad", ["0", "65", "x", ""])
def test_bad_thread_count_is_one_clear_sentence(run_qemu, bad):
    code, out, err = run_qemu(workloads.path("reduce"), ["100", bad])
    assert code == 2 and out == b""
    assert b"thread count" in err and b"from 1 to 64" in err and err.count(b"\n") == 1


def test_reduce_matches_python(run_qemu):
    """The parallel sums, recomputed by plain loops (not the program's closed forms)."""
    K, C, mask = 0x9e3779b97f4a7c15, 0x0123456789abcdef, (1 << 64) - 1
    n, passes = 1000, 3
    total = sq = 0
    for p in range(passes):
        for i in range(n):
            x = (i * K + C + p) & mask
            total, sq = (total + x) & mask, (sq + x * x) & mask
    code, out, _ = run_qemu(workloads.path("reduce"), [n, 3, passes])
    assert code == 0
    assert f" sum={total:016x} checksum={sq:016x} ok" in out.decode()
    code, _, err = run_qemu(workloads.path("reduce"), [n, 3, 0])
    assert code == 2 and b"passes" in err


def test_falseshare_layout_is_checked(run_qemu):
    for layout in ("packed", "padded"):
        code, out, _ = run_qemu(workloads.path("falseshare"), ["100", "2", layout])
        assert code == 0 and f" layout={layout} checksum=200 ok" in out.decode()
    code, out, err = run_qemu(workloads.path("falseshare"), ["100", "2", "loose"])
    assert code == 2 and out == b"" and b"packed" in err and err.count(b"\n") == 1


def test_falseshare_layouts_put_the_counters_where_they_say(tmp_path):
    """packed: eight counters in one 64-byte line; padded: one counter per line."""
    from elftools.elf.elffile import ELFFile
    with open(workloads.path("falseshare"), "rb") as fh:
        symtab = ELFFile(fh).get_section_by_name(".symtab")
        sym = {s.name: s for s in symtab.iter_symbols() if s.name in ("packed", "padded")}
    assert sym["packed"]["st_value"] % 64 == 0 and sym["padded"]["st_value"] % 64 == 0
    assert sym["packed"]["st_size"] == 64 * 8 and sym["padded"]["st_size"] == 64 * 64


def test_omploop_links_libgomp_statically():
    dis = subprocess.run(["riscv64-linux-gnu-nm", str(workloads.path("omploop"))],
                         capture_output=True, text=True, check=True).stdout
    assert " T GOMP_parallel" in dis and " T omp_set_num_threads" in dis
    assert workloads.path("omploop").read_bytes().find(b"/lib/ld-linux") == -1


# --- checksums against Python ---------------------------------------------------------

def xorshift_bytes(seed: int, n: int) -> bytes:
    """The crc32 buffer: xorshift64 outputs, 8 little-endian bytes each."""
    mask, out = (1 << 64) - 1, bytearray()
    while len(out) < n:
        seed ^= (seed << 13) & mask
        seed ^= seed >> 7
        seed ^= (seed << 17) & mask
        out += seed.to_bytes(8, "little")
    return bytes(out[:n])


@pytest.mark.parametrize("n", [1000, 8000])
def test_crc32_matches_zlib(run_qemu, n):
    _, out, _ = run_qemu(workloads.path("crc32"), [n])
    crc = int(re.search(r"checksum=([0-9a-f]+)", out.decode()).group(1), 16)
    assert crc == zlib.crc32(xorshift_bytes(0x637263, n))


def test_fib_and_interp_match_python(run_qemu):
    _, out, _ = run_qemu(workloads.path("fib"), [18])
    a, b = 0, 1
    for _ in range(18):
        a, b = b, a + b
    assert f"checksum={a} calls={2 * b - 1} ack2={2 * 72 + 3} ack3=125 " in out.decode()

    def collatz(x):
        steps = 0
        while x != 1:
            x, steps = (3 * x + 1 if x & 1 else x >> 1), steps + 1
        return steps
    _, out, _ = run_qemu(workloads.path("interp"), [80])
    assert f"checksum={sum(collatz(i) for i in range(1, 81))} " in out.decode()


def test_triad_matches_python(run_qemu):
    _, out, _ = run_qemu(workloads.path("triad"), [1024])
    expect = sum(i % 1000 + 4 * ((i * 7) % 1001) for i in range(1024))
    assert f"checksum={expect} " in out.decode()


# --- ROI markers --------------------------------------------------------------------

def test_roi_markers_are_slti_hints():
    header = (WL / "include" / "cyclesim.h").read_text()
    for n, fn in enumerate(["roi_begin", "roi_end", "reset_stats", "dump_stats"], start=1):
        assert re.search(rf"cyclesim_{fn}\(void\)\s*{{ __asm__ volatile\(\"slti x0, x0, {n}\"",
                         header)


@pytest.mark.parametrize("name", workloads.names())
def test_elf_contains_roi_markers(name):
    dis = subprocess.run(["riscv64-linux-gnu-objdump", "-d", str(workloads.path(name))],
                         capture_output=True, text=True, check=True).stdout
    # slti x0, x0, imm encodes as imm << 20 | 0x2013
    assert re.search(r"\s00102013\s+slti\s+zero,zero,1\n", dis)
    assert re.search(r"\s00202013\s+slti\s+zero,zero,2\n", dis)


# --- the prebuilt ELFs are up to date and the self-checks can fail --------------------

@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, riscv_gcc):
    out = tmp_path_factory.mktemp("rebuilt")
    subprocess.run(["make", "-s", "-j2", f"BIN={out}"], cwd=WL, check=True,
                   capture_output=True)
    return out


@pytest.mark.parametrize("name", workloads.names())
def test_prebuilt_elf_matches_source(run_qemu, rebuilt, name):
    args = workloads.info(name)["test_args"][-1]
    assert run_qemu(rebuilt / name, args) == run_qemu(workloads.path(name), args)


MUTANTS = [  # (workload, text in the region of interest, broken replacement, size)
    ("matmul", "ci[j] += aik * bk[j];", "ci[j] += aik * bk[j] + (i == 3 && j == 5);", "16"),
    ("sort", "a[j + 1] = x;", "a[j + 1] = x | (i == lo + 1);", "500"),
    ("crc32", "state = table[(state ^ p[i]) & 0xff] ^ (state >> 8);",
     "state = table[(state ^ p[i]) & 0xff] ^ (state >> 8) ^ (i == 5000);", "8000"),
    ("stencil", "(up[j] + dn[j] + mid[j - 1]", "(up[j] + up[j] + mid[j - 1]", "16"),
    ("hashtable", "table[i].key = TOMB; return 1;", "table[i].key = EMPTY; return 1;", "300"),
    ("ptrchase", "sum += p->payload;", "sum += p->payload; if (s == 7) p = p->next;", "256"),
    # threaded ones (size, thread count, ...)
    ("reduce", "sumsq += x * x;", "sumsq += x * x + (i == s->lo + 3);", ("5000", "4")),
    ("pstencil", "(up[j] + dn[j] + mid[j - 1]", "(up[j] + up[j] + mid[j - 1]", ("16", "4")),
    ("falseshare", "*counter += 1;", "*counter += 1 + (k == 77 && counter == &packed[1]);",
     ("1000", "2", "packed")),
    ("lockqueue", "q.ring[(q.head + q.count) % QCAP] = it;",
     "q.ring[(q.head + q.count + 1) % QCAP] = it;", ("500", "2")),
    ("omploop", "d * d <= p;", "d * d < p;", ("2000", "4")),
]
# Flags the Makefile adds to some programs (besides -O2 -static -Iinclude -lm).
EXTRA_CFLAGS = {"omploop": ["-pthread", "-fopenmp"]}


@pytest.mark.parametrize("name,old,new,args", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_self_check_catches_a_wrong_result(tmp_path, run_qemu, riscv_gcc, name, old, new,
                                           args):
    src = (WL / "src" / f"{name}.c").read_text()
    assert src.count(old) == 1
    (tmp_path / "m.c").write_text(src.replace(old, new))
    flags = EXTRA_CFLAGS.get(name, ["-pthread"] if workloads.info(name)["threads"] else [])
    subprocess.run([riscv_gcc, "-O2", "-static", *flags, f"-I{WL / 'include'}", "-o",
                    str(tmp_path / "m"), str(tmp_path / "m.c"), "-lm"], check=True,
                   capture_output=True)
    code, out, _ = run_qemu(tmp_path / "m", [args] if isinstance(args, str) else args)
    assert code == 1 and out.decode().rstrip().endswith("FAILED")
