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
               "fdiv_latency", "fsqrt_latency", "fcvt_latency")


def parse_ports(text: str) -> list[set[str]]:
    """'alu+branch, alu' -> [{'alu', 'branch'}, {'alu'}]: the units of each issue port."""
    return [{u.strip().lower() for u in part.split("+")}
            for part in str(text).split(",") if part.strip()]


@dataclass(repr=False)
class OooParams(Params):
    """Widths, window sizes, issue ports and latencies of the out-of-order core."""

    fetch_width: int = param(4, unit="instructions",
                             help="Instructions fetched per cycle into the fetch buffer.")
    fetch_buffer_entries: int = param(16, unit="entries",
                                      help="Instructions between fetch and dispatch "
                                           "(fetch buffer plus decode latches).")
    frontend_depth: int = param(3, unit="cycles",
                                help="Cycles from fetch to dispatch (decode and rename); "
                                     "also the cost of a BTB-miss redirect found at decode.")
    decode_width: int = param(2, unit="instructions",
                              help="Instructions decoded, renamed and dispatched per cycle.")
    rob_entries: int = param(64, unit="entries", help="Reorder buffer entries.")
    int_phys_regs: int = param(80, unit="registers",
                               help="Integer physical registers (32 hold the architectural "
                                    "state; the rest rename).")
    fp_phys_regs: int = param(64, unit="registers", help="FP physical registers.")
    int_iq_entries: int = param(20, unit="entries", help="Integer issue queue entries.")
    mem_iq_entries: int = param(12, unit="entries", help="Memory issue queue entries.")
    fp_iq_entries: int = param(16, unit="entries", help="FP issue queue entries.")
    int_ports: str = param("alu+branch+mul+div, alu", help="Issue ports of the integer "
                           "queue, comma-separated, each the '+'-joined units it feeds "
                           "(alu, branch, mul, div).")
    mem_ports: str = param("load+store", help="Issue ports of the memory queue (load, store).")
    fp_ports: str = param("fpu+fdiv", help="Issue ports of the FP queue (fpu, fdiv).")
    lq_entries: int = param(16, unit="entries", help="Load queue entries (dispatch to commit).")
    sq_entries: int = param(16, unit="entries", help="Store queue entries (dispatch to commit).")
    commit_width: int = param(2, unit="instructions", help="Instructions committed per cycle.")
    redirect_penalty: int = param(3, unit="cycles",
                                  help="Cycles from a mispredicted branch's execution to the "
                                       "first fetch of the right path.")
    store_forward_latency: int = param(4, unit="cycles",
                                       help="Load-to-use latency of a load served from an "
                                            "older store in the store queue.")
    memory_dependence: str = param("wait", choices=("wait",),
                                   help="Loads issue only after every older store has issued "
                                        "(its address known); no memory-order violations.")
    mul_latency: int = param(3, unit="cycles", help="Integer multiply latency (pipelined).")
    div_latency: int = param(20, unit="cycles", help="Integer divide/remainder latency.")
    div_pipelined: bool = param(False, help="false: dividers (int and FP) are iterative: one "
                                            "operation at a time per port, in program order.")
    fadd_latency: int = param(4, unit="cycles", help="FP add/sub/compare/min/max latency.")
    fmul_latency: int = param(4, unit="cycles", help="FP multiply latency.")
    fma_latency: int = param(4, unit="cycles", help="FP fused multiply-add latency.")
    fdiv_latency: int = param(20, unit="cycles", help="FP divide latency.")
    fsqrt_latency: int = param(20, unit="cycles", help="FP square root latency.")
    fcvt_latency: int = param(2, unit="cycles", help="FP conversions and moves.")

    def validate(self, path: str = "core.model_params") -> None:
        self.check_fields(path)
        for name in _AT_LEAST_1:
            if getattr(self, name) < 1:
                raise self.fail(path, name, "must be at least 1")
        for name in ("int_phys_regs", "fp_phys_regs"):
            if getattr(self, name) < 33:
                raise self.fail(path, name, "must be at least 33 (the 32 architectural "
                                            "registers and one to rename)")
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
    return OutOfOrderCore(l1i, l1d, predictor, btb, ras, params,
                          fetch_line_size=getattr(l1i, "line_size", 64),
                          data_line_size=getattr(l1d, "line_size", 64),
                          l1i_hit_latency=getattr(l1i, "hit_latency", 1))
