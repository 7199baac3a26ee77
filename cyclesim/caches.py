"""Trace-driven cache studies: `cyclesim.caches.simulate(trace, ...)`,
`miss_ratio_curve`, `reuse_distances`, `Trace` (docs/trace-driven.md)."""
from caches.simulate import (TraceResult, miss_ratio_curve, reuse_distances,  # noqa: F401
                             simulate)
from caches.tracefile import FORMATS, KIND_CODES, Trace  # noqa: F401

__all__ = ["simulate", "miss_ratio_curve", "reuse_distances", "Trace", "TraceResult",
           "FORMATS", "KIND_CODES"]
