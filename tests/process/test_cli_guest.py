"""The command line around a guest (issue 8, items 9-11): everything after the program is
the guest's, an existing file beats a bundled workload of the same name, and the exit
status tells the guest's code from cyclesim's own failures (124-127, 128+N)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_support import build

from cyclesim import workloads
from cyclesim.cli import EXIT_STATUS_HELP

ROOT = Path(__file__).resolve().parents[2]

ARGV = r"""
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) printf("[%s]", argv[i]);
    printf("\n");
    return argc > 1 && argv[1][0] == '=' ? atoi(argv[1] + 1) : 0;
}
"""


def cli(*args, cwd=None, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, **kw)


@pytest.fixture(scope="module")
def argv_elf():
    return build(ARGV, name="argv")


@pytest.mark.parametrize("guest", [
    ["-e", "print(1)"],                      # cyclesim run lua -e 'print(1)'
    ["-d"],                                  # cyclesim run minigzip -d
    ["--mode", "timing", "--max-insts=5"],   # cyclesim's own option names too
    ["--", "-x"],                            # a `--` after the program is the guest's
    ["-"],
])
def test_everything_after_the_program_is_the_guests(argv_elf, tmp_path, guest):
    p = cli("run", "--mode", "functional", argv_elf, *guest, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    shown = "".join(f"[{a}]" for a in guest)
    assert p.stdout == f"[{argv_elf}]{shown}\n"


def test_double_dash_before_the_program_still_works(argv_elf, tmp_path):
    p = cli("run", "--mode", "functional", "--", argv_elf, "-e", "x", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == f"[{argv_elf}][-e][x]\n", p.stderr
    # option values are not taken for the program
    p = cli("run", "--mode", "functional", "--env", "A=1", "--mem-limit", "64MiB",
            "--max-insts=10000000", argv_elf, "a", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == f"[{argv_elf}][a]\n", p.stderr


def test_a_file_beats_a_bundled_workload_of_its_name(argv_elf, tmp_path):
    shutil.copy(argv_elf, tmp_path / "hello")
    p = cli("run", "--mode", "functional", "hello", "arg", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "[hello][arg]\n"               # ./hello ran, not the workload
    assert "ran the file" in p.stderr and "not the bundled workload 'hello'" in p.stderr
    # the report says which binary ran
    p = cli("run", "hello", cwd=tmp_path)
    assert f"program          {tmp_path / 'hello'} (file)" in p.stdout, p.stdout
    # with no such file the name is the bundled workload, and the report says so
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    p = cli("run", "hello", cwd=elsewhere)
    assert p.returncode == 0 and "Hello, world!" in p.stdout
    assert f"program          {workloads.path('hello')} (bundled workload)" in p.stdout
    assert "warning" not in p.stderr


def test_guest_exit_codes_pass_through(argv_elf, tmp_path):
    for code in (0, 1, 2, 3, 100, 123):
        p = cli("run", "--mode", "functional", argv_elf, f"={code}", cwd=tmp_path)
        assert p.returncode == code, p.stderr


FAULT = "int main(void){ volatile int *p = (int *)16; return *p; }\n"
ILLEGAL = "int main(void){ __asm__ volatile(\".word 0\"); return 0; }\n"   # all zeros: illegal
LOOP = "int main(void){ for(;;) __asm__ volatile(\"\"); }\n"


@pytest.mark.parametrize("case,status,words", [
    ("bad option", 125, "--set"),
    ("bad config value", 125, "l1d.assoc"),
    ("not an ELF", 126, "ELF"),
    ("no such program", 127, "neither a workload name nor an existing file"),
    ("instruction limit", 124, "instruction limit"),
    ("abort", 128 + signal.SIGABRT, "SIGABRT"),
    ("memory fault", 128 + signal.SIGSEGV, "pc 0x"),
    ("illegal instruction", 128 + signal.SIGILL, "illegal instruction"),
])
def test_cyclesims_own_exit_statuses(tmp_path, case, status, words):
    if case == "bad option":
        args = ["run", "--set", "nonsense", "hello"]
    elif case == "bad config value":
        args = ["run", "--set", "l1d.assoc=3", "hello"]
    elif case == "not an ELF":
        (tmp_path / "notes.txt").write_text("hello\n")
        args = ["run", "notes.txt"]
    elif case == "no such program":
        args = ["run", "no-such-program"]
    elif case == "instruction limit":
        args = ["run", "--mode", "functional", "--max-insts", "100000", build(LOOP, name="loop")]
    elif case == "abort":
        args = ["run", "--mode", "functional", build("abort.c", name="abort")]
    elif case == "illegal instruction":
        args = ["run", "--mode", "functional", build(ILLEGAL, name="illegal")]
    else:
        args = ["run", "--mode", "functional", build(FAULT, name="fault")]
    p = cli(*args, cwd=tmp_path)
    assert p.returncode == status, (p.returncode, p.stderr)
    assert words in p.stderr and "Traceback" not in p.stderr


def test_argparse_usage_errors_use_the_bad_input_status(tmp_path):
    p = cli("run", "--no-such-option", "hello", cwd=tmp_path)
    assert p.returncode == 125 and "unrecognized" in p.stderr
    p = cli("frobnicate", cwd=tmp_path)
    assert p.returncode == 125


def test_exit_statuses_are_documented():
    for flags in (["--help"], ["run", "--help"]):
        p = cli(*flags)
        assert p.returncode == 0
        for code in ("124", "125", "126", "127", "128+N"):
            assert code in p.stdout, (flags, code)
    readme = (ROOT / "README.md").read_text()
    for line in EXIT_STATUS_HELP.splitlines()[1:]:
        code = line.split()[0] if line.strip() and not line.startswith("     ") else None
        if code and code[0].isdigit():
            assert f"`{code}`" in readme, code


def test_ctrl_c_in_functional_mode_says_what_was_done(tmp_path):
    loop = build(LOOP, name="loop")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "cyclesim", "run", "--mode", "functional",
                             "--progress", str(loop)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=tmp_path)
    # the progress bar's first output: the guest is running
    first = os.read(proc.stderr.fileno(), 4096)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    err = (first + err).decode()
    assert proc.returncode == 128 + signal.SIGINT, err
    done = [line for line in err.splitlines() if line.startswith("[cyclesim] interrupted")]
    assert len(done) == 1, err
    assert re.fullmatch(r"\[cyclesim\] interrupted after [\d,]+ instructions "
                        r"\([\d.]+ MIPS\)", done[0]), done[0]
    assert "Traceback" not in err
