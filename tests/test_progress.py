"""The progress bar: instructions, simulated MIPS and ETA; shown in a terminal or when
asked for, never when stderr is a file or a pipe by default."""
import io
import subprocess
import sys
import time

import pytest

from cyclesim import progress


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_automatic_choice(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.wanted(None) is False
    assert progress.wanted(True) is True and progress.wanted(False) is False
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert progress.wanted(None) is True
    assert progress.wanted(False) is False


def test_bar_shows_count_rate_and_eta(monkeypatch):
    pytest.importorskip("tqdm")
    err = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", err)
    bar = progress.Progress(total=2_000_000)
    time.sleep(0.15)  # tqdm redraws at most every 0.1 s
    bar.update(1_000_000)
    text = err.getvalue()
    bar.close()
    assert "simulating" in text and "1.00M/2.00M inst" in text and " 50%" in text
    assert "MIPS" in text
    assert "<00:" in text  # the time remaining, known because the count is bounded


def cli_stderr(*args):
    proc = subprocess.run([sys.executable, "-m", "cyclesim", "run", "--quiet", *args, "hello"],
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_cli_bar_only_in_a_terminal_or_when_asked():
    assert "simulating" not in cli_stderr()           # stderr is a pipe here
    assert "simulating" not in cli_stderr("--no-progress")
    assert "simulating" in cli_stderr("--progress")
