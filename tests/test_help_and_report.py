"""Help texts and small things a newcomer meets (issue 8, item 12), one test each."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cyclesim
from cyclesim import plot
from cyclesim.cli import _parser
from cyclesim.errors import CyclesimError
from cyclesim.sweeps.command import load_spec

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    p = subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_run_help_describes_mode_and_sample_interval():
    code, out, _ = cli("run", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert re.search(r"--mode \{timing,functional\} timing: the cycle-accurate model", flat)
    assert re.search(r"--sample-interval CYCLES cycles between interval samples", flat)


def test_every_option_of_every_command_has_a_description():
    # the class of `cyclesim config --help` describing no option
    _, commands = _parser()
    for name, sub in commands.items():
        for action in sub._actions:
            assert action.help, (name, action.option_strings or action.dest)
    code, out, _ = cli("config", "--help")
    flat = " ".join(out.split())
    for words in ("--config FILE start from this machine config",
                  "--preset NAME start from this preset",
                  "--set KEY=VALUE override one config field"):
        assert words in flat


def test_readme_has_the_virtual_environment_step():
    readme = (ROOT / "README.md").read_text()
    assert "python3 -m venv .venv && . .venv/bin/activate" in readme
    assert "externally-managed-environment" in readme


@pytest.fixture(scope="module")
def hello():
    return cyclesim.run("hello", sample_interval=10_000)


def test_cpi_stack_columns_align(hello):
    lines = hello.report().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("CPI stack"))
    block = [line for line in lines[start:] if line.strip()]
    block = block[:next(i for i, line in enumerate(block) if line.startswith("  (base"))]
    assert any("branch_mispredict" in line for line in block)
    # every row (and the header) ends its cycles, CPI and share columns at the same place
    ends = {tuple(m.end() for m in re.finditer(r"\S+", line))[-3:] for line in block}
    assert len(ends) == 1, block


def test_base_is_labelled_with_the_pipeline_fill(hello):
    stack = hello.cpi_stack()
    # 5-stage pipeline: the first instruction commits in cycle 5, so base is one cycle per
    # instruction plus the 4 cycles that fill the pipeline (docs/pipeline.md)
    assert int(stack["base"]) == hello.instructions + 4
    assert "fill" in plot.CPI_LABELS["base"]
    assert "1 cycle per instruction, plus the cycles that fill the pipeline" in hello.report()


NO_MARKERS = "int main(void){ return 0; }\n"


@pytest.fixture(scope="module")
def plain_elf(tmp_path_factory, riscv_gcc):
    d = tmp_path_factory.mktemp("plain")
    (d / "p.c").write_text(NO_MARKERS)
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", d / "p", d / "p.c"], check=True)
    return d / "p"


def test_roi_without_markers_and_unreached_stop_at_warn(plain_elf):
    r = cyclesim.run(plain_elf, roi=True, mode="functional")
    assert any("roi_begin" in w for w in r.warnings), r.warnings
    r = cyclesim.run(plain_elf, stop_at=0x10, mode="functional")
    assert r.status == "exited"
    assert any("--stop-at" in w and "never reached" in w for w in r.warnings), r.warnings
    assert cyclesim.run("hello", roi=True, mode="functional").warnings == []
    code, _, err = cli("run", "--mode", "functional", "--roi", "--stop-at", "0x10", plain_elf)
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("cyclesim: warning:")]
    assert len(warnings) == 2, err


def test_timeline_keeps_the_last_partial_interval(hello):
    iv = hello.intervals
    # the last row closes the run, not the last full interval
    assert int(iv["cycle"].iloc[-1]) == int(hello.stats["core.cycles"])
    assert int(iv["core.instructions"].iloc[-1]) == hello.instructions
    assert int(iv["cycle"].iloc[-2]) < int(hello.stats["core.cycles"])
    ax = plot.timeline(hello)
    assert ax.get_xlim()[1] >= int(hello.stats["core.cycles"])


def test_stats_keep_counts_integer(hello, tmp_path):
    s = hello.stats
    for name in ("core.cycles", "core.instructions", "l1d.misses", "bpred.branches"):
        assert type(s[name]) is int, name
    assert type(s["core.ipc"]) is float
    big = cyclesim.results.result.stats_series({"x.count": 2**60 + 1, "x.rate": 0.5})
    assert big["x.count"] == 2**60 + 1          # exact beyond float's 53 bits
    hello.save(tmp_path / "saved")
    back = cyclesim.load_result(tmp_path / "saved").stats
    assert back.tolist() == s.tolist() and type(back["core.cycles"]) is int
    code, out, _ = cli("run", "--json", "hello")
    stats = json.loads(out)
    assert isinstance(stats["core.cycles"], int) and isinstance(stats["core.ipc"], float)


def test_sweep_toml_list_entry_with_a_list_of_args(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('workloads = [["matmul", [250]], ["fib", 20, 3], '
                    '{ name = "sort", args = [100] }]\n[grid]\n"l1d.size" = ["16KiB"]\n')
    assert load_spec(spec)["workloads"] == [("matmul", ["250"]), ("fib", ["20", "3"]),
                                            ("sort", ["100"])]
    spec.write_text('workloads = [["matmul", [250, [1]]]]\n[grid]\n"l1d.size" = ["16KiB"]\n')
    with pytest.raises(CyclesimError, match=r"argument \[1\].*strings or numbers"):
        load_spec(spec)
    # the Python API: the same rule
    with pytest.raises(CyclesimError, match="strings or numbers"):
        cyclesim.sweep([("matmul", [250, {"a": 1}])], grid={"l1d.size": ["16KiB"]},
                       store=tmp_path / "st")
