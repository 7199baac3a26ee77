"""Progress display for long runs: instructions retired, simulated MIPS, ETA when bounded.

tqdm's auto mode picks a notebook widget (needs ipywidgets; otherwise a text bar) or a
terminal bar on stderr. `wanted(None)` is the automatic choice: on in a terminal or a
Jupyter kernel, off when stderr is a file or a pipe. Nothing is shown when tqdm is not
installed.
"""
from __future__ import annotations

import os
import sys
import time

# Width used when stderr is a terminal that reports no size (some CI pseudo-terminals):
# tqdm would otherwise draw a bar zero columns wide, that is, nothing.
FALLBACK_COLUMNS = 80


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm.auto draws a widget)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def wanted(progress: bool | None) -> bool:
    """Resolve a progress= argument: True/False as given, None = automatic."""
    if progress is not None:
        return bool(progress)
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


class Progress:
    def __init__(self, total: int | None = None):
        self._bar = None
        self._last = 0
        self._start = time.perf_counter()
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        size = {"dynamic_ncols": True}
        if not in_notebook() and _terminal_columns() == 0:
            size = {"ncols": FALLBACK_COLUMNS}
        # The rate shown is ours (retired instructions / host seconds since the start),
        # as simulated MIPS; tqdm's own smoothed rate would show the same thing twice.
        if total:
            fmt = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} inst "
                   "[{elapsed}<{remaining}{postfix}]")
        else:
            fmt = "{desc}: {n_fmt} inst [{elapsed}{postfix}]"
        self._bar = tqdm(total=total or None, unit=" inst", unit_scale=True, leave=False,
                         desc="simulating", bar_format=fmt, file=sys.stderr, **size)

    def update(self, instret: int):
        if self._bar is None:
            return
        elapsed = time.perf_counter() - self._start
        if elapsed > 0:
            # tqdm prefixes a non-empty postfix with ", "
            self._bar.set_postfix_str(f"{instret / elapsed / 1e6:.1f} MIPS", refresh=False)
        self._bar.update(instret - self._last)
        self._last = instret

    def close(self):
        if self._bar is not None:
            self._bar.close()


def _terminal_columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return -1  # not a terminal: tqdm's own default applies
