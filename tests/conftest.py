import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: run .ci/run or apt-get install the toolchain "
                    "named in the README")
    return path


@pytest.fixture(scope="session")
def qemu():
    """Path of qemu-riscv64 (the independent reference implementation)."""
    return _require("qemu-riscv64")


@pytest.fixture(scope="session")
def riscv_gcc():
    return _require("riscv64-linux-gnu-gcc")


@pytest.fixture(scope="session")
def run_qemu(qemu):
    """run_qemu(elf, args=(), stdin=b"") -> (exit code, stdout bytes, stderr bytes)."""

    def run(elf, args=(), stdin: bytes = b"", timeout: int = 120):
        proc = subprocess.run([qemu, str(elf), *map(str, args)], input=stdin,
                              capture_output=True, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    return run
