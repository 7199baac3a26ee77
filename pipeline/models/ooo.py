"""The out-of-order core (docs/pipeline-ooo.md): its parameters and its registration.

The defaults are the medium BOOM of Celio et al. (see docs/presets.md, preset `boom_medium`
repeats them with the caches around them)."""
from __future__ import annotations

from dataclasses import dataclass

from cyclesim.params import Params, param
from pipeline.models import CORE_MODELS

UNIT_NAMES = ("alu", "branch", "mul", "div", "load", "store", "fpu", "fdiv")
_QUEUE_UNITS = {"int_ports": ("alu", "branch", "mul", "div"), "mem_ports": ("load", "store"),
                "fp_ports": ("fpu", "fdiv")}
_AT_LEAST_1 = ("fetch_width", "fetch_buffer_entries", "frontend_depth", "decode_width",
               "rob_entries", "int_iq_entries", "mem_iq_entries", "fp_iq_entries",
               "lq_entries", "sq_entries", "commit_width", "store_forward_latency",
               "mul_latency", "div_latency", "fadd_latency", "fmul_latency", "fma_latency",
               "fdiv_latency", "fsqrt_latency", "fcvt_latency", "popcount_latency",
               "clmul_latency")


def parse_ports(text: str) -> list[set[str]]:
    """'alu+branch, alu' -> [{'alu', 'branch'}, {'alu'}]: the units of each issue port."""
    return [{u.strip().lower() for u in part.split("+")}
            for part in str(text).split(",") if part.strip()]


@dataclass(repr=False)
class OooParams(Params):
    """Widths, window sizes, issue ports and latencies of the out-of-order core."""

    fetch_width: int = param(4, unit="instructions",
                             help="Instructions fetched per cycle into the fetch buffer.",
                             min=1, max=32)
    fetch_buffer_entries: int = param(16, unit="entries",
                                      help="Instructions between fetch and dispatch "
                                           "(fetch buffer plus decode latches).", min=1, max=4096)
    frontend_depth: int = param(3, unit="cycles",
                                help="Cycles from fetch to dispatch (decode and rename); "
                                     "also the cost of a BTB-miss redirect found at decode.",
                                min=1, max=100)
    decode_width: int = param(2, unit="instructions",
                              help="Instructions decoded, renamed and dispatched per cycle.",
                              min=1, max=32)
    rob_entries: int = param(64, unit="entries", help="Reorder buffer entries.", min=1, max=4096)
    int_phys_regs: int = param(80, unit="registers",
                               help="Integer physical registers (32 hold the architectural "
                                    "state; the rest rename).", min=33, max=4128)
    fp_phys_regs: int = param(64, unit="registers", help="FP physical registers.", min=33, max=4128)
    int_iq_entries: int = param(20, unit="entries", help="Integer issue queue entries.",
                                min=1, max=1024)
    mem_iq_entries: int = param(12, unit="entries", help="Memory issue queue entries.",
                                min=1, max=1024)
    fp_iq_entries: int = param(16, unit="entries", help="FP issue queue entries.", min=1, max=1024)
    int_ports: str = param("alu+branch+mul+div, alu", help="Issue ports of the integer "
                           "queue, comma-separated, each the '+'-joined units it feeds "
                           "(alu, branch, mul, div).")
    mem_ports: str = param("load+store", help="Issue ports of the memory queue (load, store).")
    fp_ports: str = param("fpu+fdiv", help="Issue ports of the FP queue (fpu, fdiv).")
    lq_entries: int = param(16, unit="entries", help="Load queue entries (dispatch to commit).",
                            min=1, max=1024)
    sq_entries: int = param(16, unit="entries", help="Store queue entries (dispatch to commit).",
                            min=1, max=1024)
    commit_width: int = param(2, unit="instructions", help="Instructions committed per cycle.",
                              min=1, max=32)
    redirect_penalty: int = param(3, unit="cycles",
                                  help="Cycles from a mispredicted branch's execution to the "
                                       "first fetch of the right path.", min=0, max=1000)
    store_forward_latency: int = param(4, unit="cycles",
                                       help="Load-to-use latency of a load served from an "
                                            "older store in the store queue.", min=1, max=1000)
    memory_dependence: str = param("wait", choices=("wait", "store_sets", "speculate"),
                                   help="wait: a load issues after every older store's "
                                        "address is known (no violations); store_sets: "
                                        "loads wait only for the last store of their store "
                                        "set (Chrysos & Emer 1998) and otherwise issue ahead "
                                        "of unknown store addresses; speculate: loads never "
                                        "wait. A load that read before an older store to "
                                        "its bytes is refetched (docs/pipeline-ooo.md O22).")
    violation_penalty: int = param(4, unit="cycles",
                                   help="Cycles from taking a memory-order violation (the "
                                        "load oldest in the ROB) to the refetch of the load.",
                                   min=0, max=1000)
    ssit_entries: int = param(1024, unit="entries",
                              help="Store-set identifier table entries (PC-indexed; a power "
                                   "of two).", min=1, max=65536)
    lfst_entries: int = param(128, unit="entries",
                              help="Last-fetched-store table entries: the number of store "
                                   "sets (a power of two).", min=1, max=65536)
    store_set_clear_cycles: int = param(1_000_000, unit="cycles",
                                        help="The SSIT is cleared every this many cycles so "
                                             "that stale dependences fade (0: never).",
                                        min=0, max=1 << 40)
    mul_latency: int = param(3, unit="cycles", help="Integer multiply latency (pipelined).",
                             min=1, max=1000)
    div_latency: int = param(20, unit="cycles", help="Integer divide/remainder latency.",
                             min=1, max=1000)
    div_pipelined: bool = param(False, help="false: dividers (int and FP) are iterative: one "
                                            "operation at a time per port, in program order.")
    fadd_latency: int = param(4, unit="cycles", help="FP add/sub/compare/min/max latency.",
                              min=1, max=1000)
    fmul_latency: int = param(4, unit="cycles", help="FP multiply latency.", min=1, max=1000)
    fma_latency: int = param(4, unit="cycles", help="FP fused multiply-add latency.",
                             min=1, max=1000)
    fdiv_latency: int = param(20, unit="cycles", help="FP divide latency.", min=1, max=1000)
    fsqrt_latency: int = param(20, unit="cycles", help="FP square root latency.", min=1, max=1000)
    fcvt_latency: int = param(2, unit="cycles", help="FP conversions and moves.", min=1, max=1000)
    popcount_latency: int = param(3, unit="cycles",
                                  help="cpop/cpopw latency (Zbb), on the multiplier's ports, "
                                       "pipelined. Assumed: BOOM v3 has no Zbb; the default "
                                       "is the multiply latency, as the U74 runs cpop.",
                                  min=1, max=1000)
    clmul_latency: int = param(3, unit="cycles",
                               help="clmul/clmulh/clmulr latency (Zbc), on the multiplier's "
                                    "ports, pipelined. Assumed: BOOM v3 has no Zbc; the "
                                    "default is the multiply latency.", min=1, max=1000)

    def validate(self, path: str = "core.model_params") -> None:
        self.check_fields(path)
        for name in _AT_LEAST_1:
            if getattr(self, name) < 1:
                raise self.fail(path, name, "must be at least 1")
        for name in ("int_phys_regs", "fp_phys_regs"):
            if getattr(self, name) < 33:
                raise self.fail(path, name, "must be at least 33 (the 32 architectural "
                                            "registers and one to rename)")
        for name in ("ssit_entries", "lfst_entries"):
            v = getattr(self, name)
            if v < 1 or v & (v - 1):
                raise self.fail(path, name, f"must be a power of two (got {v})")
        if self.redirect_penalty < 0:
            raise self.fail(path, "redirect_penalty", "must be 0 or more")
        offered = set()
        n_ports = 0
        for name, allowed in _QUEUE_UNITS.items():
            for units in parse_ports(getattr(self, name)):
                n_ports += 1
                bad = sorted(u for u in units if u not in allowed)
                if bad:
                    raise self.fail(path, name, f"unit(s) {', '.join(bad)} cannot be fed by "
                                                f"this queue; it feeds {', '.join(allowed)}")
                offered |= units
        missing = [u for u in UNIT_NAMES if u not in offered]
        if missing:
            raise ConfigErrorFor(path, missing)
        if n_ports > 16:
            raise self.fail(path, "int_ports", f"{n_ports} issue ports in all; at most 16")


def ConfigErrorFor(path, missing):
    from cyclesim.errors import ConfigError
    return ConfigError(f"{path}: no issue port offers unit(s) {', '.join(missing)}; add them "
                       f"to int_ports, mem_ports or fp_ports.")


@CORE_MODELS.register("ooo", OooParams,
                      help="Out-of-order core: ROB, renaming, issue queues and ports, LSQ "
                           "with store-to-load forwarding.",
                      source="instruction-driven, after Sniper's ROB model (Carlson et al., "
                             "TACO 2014); structures as in BOOM (Celio et al., 2017)")
def make_ooo(params, *, core, predictor, btb, ras, l1i, l1d):
    from pipeline.ooo import OutOfOrderCore
    params.validate()
    # With TLBs on, the L1s come wrapped in a Translator (its `cache`): the line size and
    # the L1I hit latency the fetch pipeline hides are the cache's, the translation time
    # a stall on top (docs/tlb.md T1).
    icache, dcache = getattr(l1i, "cache", l1i), getattr(l1d, "cache", l1d)
    return OutOfOrderCore(l1i, l1d, predictor, btb, ras, params,
                          fetch_line_size=getattr(icache, "line_size", 64),
                          data_line_size=getattr(dcache, "line_size", 64),
                          l1i_hit_latency=getattr(icache, "hit_latency", 1))
