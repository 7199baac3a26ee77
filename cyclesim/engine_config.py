"""The engine's own parameters: the quantum the harts synchronise at and the scheduler's
time slice (docs/engine.md, "Threads and harts"). The number of harts is the top-level
`cores` field of the SystemConfig."""
from __future__ import annotations

from dataclasses import dataclass

from cyclesim.params import Params, param

MAX_CORES = 64                       # harts a config may model (sched_getaffinity's mask)


@dataclass
class EngineConfig(Params):
    """How the harts of a multi-core run share simulated time."""

    quantum: int = param(1000, unit="cycles", min=1, max=10_000_000,
                         help="Cycles each hart runs ahead of the others before they meet "
                              "(ZSim's bound phase): the quantum while the harts do not "
                              "interact (adaptive) or always (adaptive = false); with one "
                              "core there is nothing to meet and it has no effect.")
    min_quantum: int = param(10, unit="cycles", min=1, max=10_000_000,
                             help="The quantum right after one that saw the harts interact "
                                  "(a cross-core invalidation or intervention, a futex "
                                  "wake-up, a broken reservation); it doubles back to "
                                  "`quantum` over quiet quanta (a min_quantum above "
                                  "`quantum` is taken as `quantum`). Only with adaptive = true.")
    adaptive: bool = param(True, help="Shrink the quantum to `min_quantum` while the harts "
                                      "interact and grow it back while they do not "
                                      "(docs/engine.md); false: every quantum is `quantum`.")
    time_slice: int = param(3_000_000, unit="cycles", min=1000, max=1 << 40,
                            help="Cycles a thread runs before a waiting thread takes its "
                                 "hart (3 ms at 1 GHz, the order of Linux's slices); only "
                                 "used when there are more runnable threads than harts.")

