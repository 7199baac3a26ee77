"""The `cyclesim` command: output, exit status, and one-sentence errors for bad input."""
import json
import subprocess
import sys

import pytest

from cyclesim import workloads


def cli(*args, stdin=None):
    proc = subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)],
                          capture_output=True, text=True, input=stdin, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_sentence(stderr: str):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("cyclesim: ")


def test_functional_run_prints_guest_output_and_count(run_qemu):
    args = workloads.info("matmul")["test_args"][0]
    code, out, err = cli("run", "--mode", "functional", "matmul", *args)
    qcode, qout, _ = run_qemu(workloads.path("matmul"), args)
    assert code == qcode == 0
    assert out.encode() == qout
    assert "instructions" in err


def test_timing_report_and_json_agree():
    args = workloads.info("hello")["test_args"][0]
    code, out, err = cli("run", "--json", "hello", *args)
    assert code == 0, err
    stats = json.loads(out)
    assert stats["status"] == "exited"
    assert stats["core.cycles"] >= stats["core.instructions"] > 0
    code, out, err = cli("run", "hello", *args)
    assert code == 0
    assert "IPC" in out and "CPI stack" in out
    assert f"{stats['core.cycles']:,}" in out


def test_exit_code_is_the_guests(tmp_path, riscv_gcc):
    src = tmp_path / "e.c"
    src.write_text("int main(void){ return 7; }\n")
    elf = tmp_path / "e"
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", elf, src], check=True)
    code, _, _ = cli("run", "--mode", "functional", elf)
    assert code == 7


@pytest.mark.parametrize("args,needle", [
    (("run", "--set", "l1d.assoc=3", "hello"), "l1d.assoc"),
    (("run", "--set", "l1d.policy=bogus", "hello"), "lru"),
    (("run", "--set", "nonsense", "hello"), "KEY=VALUE"),
    (("run", "--preset", "nope", "hello"), "nope"),
    (("run", "--trace-window", "x", "hello"), "START:COUNT"),
])
def test_bad_input_is_one_sentence(args, needle):
    code, out, err = cli(*args)
    assert code == 125          # cyclesim's own bad input (EXIT_STATUS_HELP)
    assert_one_sentence(err)
    assert needle in err


def test_not_an_elf_is_refused(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello\n")
    code, _, err = cli("run", bogus)
    assert code == 126          # exists, cannot be loaded
    assert_one_sentence(err)
    assert "ELF" in err


def test_dynamic_binary_is_refused(tmp_path, riscv_gcc):
    src = tmp_path / "d.c"
    src.write_text("int main(void){ return 0; }\n")
    elf = tmp_path / "d"
    subprocess.run([riscv_gcc, "-O2", "-o", elf, src], check=True)
    code, _, err = cli("run", elf)
    assert code == 126
    assert_one_sentence(err)
    assert "-static" in err


def test_fault_is_reported_with_pc_and_disassembly(tmp_path, riscv_gcc):
    src = tmp_path / "f.c"
    src.write_text("int main(void){ volatile int *p = (int *)16; return *p; }\n")
    elf = tmp_path / "f"
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", elf, src], check=True)
    code, _, err = cli("run", "--mode", "functional", elf)
    assert code == 128 + 11     # a memory fault kills with SIGSEGV, as on Linux
    assert_one_sentence(err)
    assert "0x10" in err and "pc 0x" in err and "lw" in err


def test_instruction_limit(tmp_path, riscv_gcc):
    src = tmp_path / "loop.c"
    src.write_text("int main(void){ for(;;) __asm__ volatile(\"\"); }\n")
    elf = tmp_path / "loop"
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", elf, src], check=True)
    code, _, err = cli("run", "--mode", "functional", "--max-insts", "200000", elf)
    assert code == 124          # a limit was reached, as timeout(1) reports it
    assert "200,000" in err
