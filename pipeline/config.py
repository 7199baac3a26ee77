"""Parameters of the core timing model and the branch predictor (pure Python, no Cython).

Field names are a fixed contract with the timing models and the engine; each field carries
its unit and help, which docs/config.md is generated from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cyclesim.params import Params, param
from cyclesim.registry import plugin_param, plugin_params
from pipeline.models import CORE_MODELS
from pipeline.predictors import INDIRECT_PREDICTORS, PREDICTORS
from cyclesim.units import is_power_of_two
from cyclesim.isa.extensions import DEFAULT_ISA, HartIsa

__all__ = ["CoreConfig", "BranchPredictorConfig", "CORE_MODELS"]

# Pairing classes of the superscalar in-order model (pipeline/superscalar.pyx, rule S5).
ISSUE_CLASSES = ("alu", "mem", "branch", "muldiv", "fp", "system")

# Latency fields checked as "at least 1 cycle" (1 = the result is ready like a simple ALU op).
_UNIT_LATENCIES = ("mul_latency", "div_latency", "fadd_latency", "fmul_latency",
                   "fma_latency", "fdiv_latency", "fsqrt_latency", "fcvt_latency",
                   "popcount_latency", "clmul_latency")


@dataclass(repr=False)
class CoreConfig(Params):
    """The core: its timing model and clock; the in-order pipeline's forwarding, branch
    resolution and functional units (an out-of-order core has its own model_params)."""

    model: str = plugin_param(CORE_MODELS, "inorder",
                              help="Core timing model, a plug-in of pipeline/models/: "
                                   "inorder (the fields below) or ooo (docs/pipeline-ooo.md, "
                                   "its own table core.model_params).")
    model_params: Params = plugin_params("model")
    isa: str = param(DEFAULT_ISA,
                     help="Extensions the hart has, as an ISA string like -march "
                          "(rv64gc_zba_zbb_zbs...); an instruction of any other is an "
                          "illegal instruction. AT_HWCAP and riscv_hwprobe report them.")
    frequency: float = param(1e9, unit="Hz",
                             help="Core clock; converts DRAM times to cycles and cycles to "
                                  "the time the guest sees.", min=1e3, max=20e9)
    forwarding: str = param("full", choices=("full", "none"),
                            help="Bypass paths into EX: full (EX/MEM and MEM/WB forwarding) "
                                 "or none (a consumer waits until the producer has written "
                                 "the register file).")
    branch_resolve_stage: str = param("EX", choices=("ID", "EX", "MEM"),
                                      help="Stage where a branch's direction and target are "
                                           "known; a misprediction squashes the younger "
                                           "instructions fetched until then.")
    mul_latency: int = param(3, unit="cycles", help="Integer multiply latency in EX.",
                             min=1, max=1000)
    div_latency: int = param(20, unit="cycles", help="Integer divide/remainder latency in EX.",
                             min=1, max=1000)
    div_pipelined: bool = param(False,
                                help="false: one iterative divider that blocks EX until done "
                                     "(also for fdiv/fsqrt); true: a new divide may start "
                                     "every cycle.")
    fadd_latency: int = param(4, unit="cycles", help="FP add/sub/compare/min/max latency.",
                              min=1, max=1000)
    fmul_latency: int = param(4, unit="cycles", help="FP multiply latency.", min=1, max=1000)
    fma_latency: int = param(5, unit="cycles", help="FP fused multiply-add latency.",
                             min=1, max=1000)
    fdiv_latency: int = param(20, unit="cycles", help="FP divide latency.", min=1, max=1000)
    fsqrt_latency: int = param(25, unit="cycles", help="FP square root latency.", min=1, max=1000)
    fcvt_latency: int = param(2, unit="cycles",
                              help="FP conversions and moves between register files.",
                              min=1, max=1000)
    popcount_latency: int = param(3, unit="cycles",
                                  help="cpop/cpopw latency (Zbb); the SiFive U7 pipeline "
                                       "runs them like an integer multiply. clz/ctz and the "
                                       "other Zba/Zbb/Zbs ops are single-cycle ALU ops.",
                                  min=1, max=1000)
    clmul_latency: int = param(3, unit="cycles",
                               help="Carry-less multiply clmul/clmulh/clmulr latency (Zbc), "
                                    "on the multiplier.", min=1, max=1000)
    long_ops_pipelined: bool = param(True,
                                     help="Multiplier and FP add/mul/fma/cvt units accept a "
                                          "new operation every cycle (fdiv/fsqrt follow "
                                          "div_pipelined).")
    fetch_blocking: bool = param(True, help="Fetch stalls until an I-cache miss returns.")
    mem_blocking: bool = param(True, help="MEM stalls until a D-cache load miss returns.")
    store_buffer_entries: int = param(4, unit="entries",
                                      help="Stores retired into a buffer that drains to the "
                                           "D-cache; 0 = no buffer, a store waits for the "
                                           "cache in MEM.", min=0, max=256)

    # Superscalar in-order (docs/pipeline.md rules S1..S9); the defaults are the scalar core.
    width: int = param(1, unit="instructions",
                       help="Instructions per cycle in every stage (1 to 3); more than 1 "
                            "selects the superscalar in-order model.", min=1, max=3)
    fetch_stages: int = param(1, unit="stages",
                              help="Fetch sub-stages (1 to 4): cycles from fetch to decode; "
                                   "the mispredict penalty grows with them.", min=1, max=4)
    decode_stages: int = param(1, unit="stages",
                               help="Decode sub-stages (1 to 4): cycles from decode to EX.",
                               min=1, max=4)
    mem_per_cycle: int = param(1, unit="instructions",
                               help="Loads, stores and AMOs that may enter EX in one cycle "
                                    "(1 to width).", min=1, max=3)
    branch_per_cycle: int = param(1, unit="instructions",
                                  help="Branches and jumps that may enter EX in one cycle.",
                                  min=1, max=3)
    muldiv_per_cycle: int = param(1, unit="instructions",
                                  help="Integer multiplies/divides that may enter EX in one "
                                       "cycle.", min=1, max=3)
    fp_per_cycle: int = param(1, unit="instructions",
                              help="FP operations that may enter EX in one cycle.",
                              min=1, max=3)
    no_pair: str = param("", help="Issue classes that cannot enter EX in the same cycle, "
                                  "as pairs: e.g. 'branch+muldiv,muldiv+fp' (classes: alu, "
                                  "mem, branch, muldiv, fp, system).")
    late_alu: bool = param(False,
                           help="ALU ops and branches whose operands are not ready at EX "
                                "entry execute late_alu_delay cycles later instead of "
                                "stalling (SiFive U74 style).")
    late_alu_delay: int = param(2, unit="cycles",
                                help="Cycles from EX entry to the late ALU stage.",
                                min=1, max=8)

    def validate(self, path: str = "core") -> None:
        self.check_fields(path)
        HartIsa(self.isa)           # one sentence naming what is wrong
        if not (math.isfinite(self.frequency) and self.frequency > 0):
            raise self.fail(path, "frequency", "must be a positive frequency such as 1GHz")
        for name in _UNIT_LATENCIES:
            if getattr(self, name) < 1:
                raise self.fail(path, name, "must be at least 1 cycle (1 = like a simple "
                                            "ALU op)")
        if self.store_buffer_entries < 0:
            raise self.fail(path, "store_buffer_entries",
                            "must be 0 (no store buffer) or more")
        if not 1 <= self.width <= 3:
            raise self.fail(path, "width", "must be 1, 2 or 3 instructions per cycle")
        for name in ("fetch_stages", "decode_stages"):
            if not 1 <= getattr(self, name) <= 4:
                raise self.fail(path, name, "must be between 1 and 4 stages")
        for name in ("mem_per_cycle", "branch_per_cycle", "muldiv_per_cycle", "fp_per_cycle"):
            if not 1 <= getattr(self, name) <= self.width:
                raise self.fail(path, name, f"must be between 1 and width ({self.width})")
        for item in self.no_pair.replace(" ", "").split(","):
            names = item.split("+")
            if item and (len(names) != 2 or any(n not in ISSUE_CLASSES for n in names)):
                raise self.fail(path, "no_pair", f"has {item!r}; write pairs like "
                                "'branch+muldiv' of the classes " + ", ".join(ISSUE_CLASSES))
        if self.late_alu and self.forwarding != "full":
            raise self.fail(path, "late_alu", "needs forwarding = 'full'")
        if self.late_alu_delay < 1:
            raise self.fail(path, "late_alu_delay", "must be at least 1 cycle")


@dataclass(repr=False)
class BranchPredictorConfig(Params):
    """Direction predictor, branch target buffer and return address stack."""

    kind: str = plugin_param(PREDICTORS, "gshare",
                             help="Direction predictor, a plug-in of pipeline/predictors/ "
                                  "(see docs/branch-predictors.md).")
    kind_params: Params = plugin_params("kind")
    table_entries: int = param(4096, unit="entries",
                               help="2-bit counters in the direction table(s); power of two.",
                               min=1, max=1 << 24)
    history_bits: int = param(12, unit="bits",
                              help="Global history length (gshare, tournament); 0 to 32.",
                              min=0, max=32)
    chooser_entries: int = param(4096, unit="entries",
                                 help="2-bit chooser counters (tournament); power of two.",
                                 min=1, max=1 << 24)
    btb_entries: int = param(512, unit="entries",
                             help="Branch target buffer entries; power of two.", min=1, max=1 << 20)
    btb_assoc: int = param(4, unit="ways",
                           help="BTB associativity; power of two dividing btb_entries.",
                           min=1, max=1 << 20)
    ras_depth: int = param(8, unit="entries", help="Return address stack depth; 0 = none.",
                           min=0, max=1024)
    indirect: str = plugin_param(INDIRECT_PREDICTORS, "btb",
                                 help="Target predictor of indirect jumps that are not "
                                      "returns, a plug-in of pipeline/predictors/ (see "
                                      "docs/branch-predictors.md).")
    indirect_params: Params = plugin_params("indirect")

    def validate(self, path: str = "bpred") -> None:
        self.check_fields(path)
        for name in ("table_entries", "chooser_entries", "btb_entries"):
            if not is_power_of_two(getattr(self, name)):
                raise self.fail(path, name, "must be a power of two (1, 2, 4, ...)")
        if not 0 <= self.history_bits <= 32:
            raise self.fail(path, "history_bits", "must be between 0 and 32")
        if not is_power_of_two(self.btb_assoc) or self.btb_assoc > self.btb_entries:
            raise self.fail(path, "btb_assoc",
                            f"must be a power of two that divides btb_entries "
                            f"({self.btb_entries})")
        if self.ras_depth < 0:
            raise self.fail(path, "ras_depth", "must be 0 (no return address stack) or more")
