"""Progress display for long runs: instructions retired, simulated MIPS, ETA when bounded.

tqdm's auto mode picks a notebook widget or a terminal bar; nothing is shown when output
is not a terminal (the CLI decides) or when tqdm is not installed.
"""
from __future__ import annotations

import time


class Progress:
    def __init__(self, total: int | None = None):
        self._bar = None
        self._last = 0
        self._start = time.perf_counter()
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=total, unit=" inst", unit_scale=True, dynamic_ncols=True,
                         desc="simulating", leave=False)

    def update(self, instret: int):
        if self._bar is None:
            return
        self._bar.update(instret - self._last)
        self._last = instret
        elapsed = time.perf_counter() - self._start
        if elapsed > 0:
            self._bar.set_postfix_str(f"{instret / elapsed / 1e6:.1f} MIPS", refresh=False)

    def close(self):
        if self._bar is not None:
            self._bar.close()
