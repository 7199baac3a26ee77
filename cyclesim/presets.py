"""Named starting configurations: ``presets.names()``, ``presets.get(name)``.

Each preset is a function whose docstring says where its numbers come from. Figures taken
from public documents are approximations; docs/presets.md lists each value of a preset
named after a real core with its source. ``get`` returns a fresh, validated SystemConfig each call.
"""

from __future__ import annotations

from collections.abc import Callable

from caches.config import CacheConfig, MemoryConfig, TlbConfig
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError
from pipeline.config import BranchPredictorConfig, CoreConfig

__all__ = ["names", "get", "describe"]

KiB = 1024
MiB = 1024 * KiB


def default() -> SystemConfig:
    """The defaults of every field: a classic 5-stage pipeline at 1 GHz with full forwarding,
    gshare, 32 KiB L1I (4-way) and L1D (8-way), a 256 KiB 8-way L2 at 12 cycles and a banked
    DRAM with DDR4-3200 CL22-like timings (22 clocks of 0.625 ns = 13.75 ns for tRCD/tCL/tRP,
    a BL8 burst of 2.5 ns). A middle-of-the-road teaching machine, not a particular chip."""
    return SystemConfig(name="default")


def textbook() -> SystemConfig:
    """The 5-stage RISC-V pipeline of Patterson & Hennessy, *Computer Organization and
    Design, RISC-V Edition*, ch. 4-5: full forwarding, branches decided in ID (the control
    hazards section moves the branch decision early) with predict-not-taken, no store
    buffer; split 16 KiB direct-mapped L1 caches with 64-byte (16-word) blocks like the
    Intrinsity FastMATH example of chapter 5; no L2 (the L1s talk to memory directly) and
    a flat 100-cycle memory, the miss penalty the chapter's examples use."""
    l1 = dict(size=16 * KiB, assoc=1, line_size=64, hit_latency=1, mshrs=1)
    return SystemConfig(
        name="textbook",
        core=CoreConfig(frequency=1e9, forwarding="full", branch_resolve_stage="ID",
                        store_buffer_entries=0),
        bpred=BranchPredictorConfig(kind="static_nt", ras_depth=0),
        l1i=CacheConfig(**l1), l1d=CacheConfig(**l1), l2=None, l3=None,
        memory=MemoryConfig(kind="fixed", latency=100),
    )


def embedded() -> SystemConfig:
    """An embedded-class core resembling the SiFive E31 (FE310-G000 manual, ch. 3): 5-stage
    single-issue in-order, fully bypassed, 3-cycle misprediction penalty (branch resolved in
    MEM here); 128-entry BHT (bimodal), 40-entry BTB (32 fully associative here: sizes are
    powers of two), 2-entry RAS; 5-cycle multiply and a 1-bit-per-cycle divider (2-33
    cycles; 33 here), neither pipelined; 320 MHz (FE310-G002 rating). 16 KiB 2-way I-cache;
    the E31's 16 KiB data scratchpad is modelled as a 16 KiB 4-way L1D; no L2 and a flat
    40-cycle memory (~125 ns, an approximation of on-chip SRAM/flash behind the L1s). The
    real E31 is RV32IMAC without an FPU; FP latencies keep their defaults. It has no MMU
    (machine and user modes with PMP only), so translation stays off."""
    return SystemConfig(
        name="embedded",
        core=CoreConfig(frequency=320e6, branch_resolve_stage="MEM", mul_latency=5,
                        div_latency=33, div_pipelined=False, long_ops_pipelined=False,
                        store_buffer_entries=0),
        bpred=BranchPredictorConfig(kind="bimodal", table_entries=128, history_bits=0,
                                    btb_entries=32, btb_assoc=32, ras_depth=2),
        l1i=CacheConfig(size=16 * KiB, assoc=2, hit_latency=1, mshrs=1),
        l1d=CacheConfig(size=16 * KiB, assoc=4, hit_latency=1, mshrs=1),
        l2=None, l3=None,
        memory=MemoryConfig(kind="fixed", latency=40),
    )


def application() -> SystemConfig:
    """A generic single-issue application-class in-order core with the memory system of the
    SiFive FU740 SoC (HiFive Unmatched): 1.2 GHz; 32 KiB 4-way L1I and 32 KiB 8-way L1D with
    64-byte lines (2-cycle L1D hit here); a 2 MiB 16-way shared L2 (about 20 cycles here);
    DDR4-2400 CL17 DRAM (17 clocks of 0.833 ns = 14.16 ns for tRCD/tCL/tRP, a BL8 burst of
    3.33 ns), 16 banks (4 bank groups of 4 in a x8 DDR4 device) with 8 KiB rows (1 KiB pages
    on each of the eight x8 chips of a 64-bit rank), 20 ns of controller latency. The core is
    the classic 5-stage single-issue pipeline, not the FU740's U74 (that one is the `u74`
    preset); predictor sizes are plausible values. Translation on, Sv39 as on the FU740's
    U74 cores (SiFive U74 Core Complex Manual 21G1.01.00, "Virtual Memory Support"): 40-entry fully
    associative L1 ITLB and DTLB, a 512-entry direct-mapped L2 TLB; the L2 TLB latency
    (4 cycles) and the 8-entry page-walk cache are assumptions, not documented numbers."""
    return SystemConfig(
        name="application",
        core=CoreConfig(frequency=1.2e9, branch_resolve_stage="EX", mul_latency=3,
                        div_latency=20, store_buffer_entries=8),
        bpred=BranchPredictorConfig(kind="gshare", table_entries=4096, history_bits=12,
                                    btb_entries=64, btb_assoc=64, ras_depth=6),
        l1i=CacheConfig(size=32 * KiB, assoc=4, hit_latency=1),
        l1d=CacheConfig(size=32 * KiB, assoc=8, hit_latency=2),
        l2=CacheConfig(size=2 * MiB, assoc=16, hit_latency=20, mshrs=16),
        l3=None,
        memory=MemoryConfig(kind="dram", banks=16, row_size=8 * KiB, tRCD="14.16ns",
                            tCL="14.16ns", tRP="14.16ns", tBURST="3.33ns",
                            controller_latency="20ns"),
        tlb=TlbConfig(enabled=True, mode="sv39", itlb_entries=40, itlb_assoc=40,
                      dtlb_entries=40, dtlb_assoc=40, l2tlb_entries=512, l2tlb_assoc=1,
                      l2tlb_latency=4, pwc_entries=8),
    )


def u74() -> SystemConfig:
    """The SiFive U74 application core as the U74-MC Core Complex Manual describes it, in the
    FU740 SoC memory system (HiFive Unmatched, 1.2 GHz): dual-issue in-order, 8 stages (F1 F2
    D1 D2 AG M1 M2 WB), one memory op per cycle and one of branch / mul-div / FP (the two
    pipes of SiFive's LLVM scheduling model), a late ALU in M2 so that an ALU op or branch
    whose operand is not ready at AG issues anyway, 3-cycle pipelined multiply, 2-cycle L1D
    (load-to-use 3 for addresses, 1 for late ALU ops), branches resolved in AG; the TLBs of
    the `application` preset (the U74's, from the same manual). Every value and its source:
    docs/presets.md."""
    app = application()
    return SystemConfig(
        name="u74",
        core=CoreConfig(frequency=1.2e9, width=2, fetch_stages=2, decode_stages=2,
                        mem_per_cycle=1, branch_per_cycle=1, muldiv_per_cycle=1,
                        fp_per_cycle=1, no_pair="branch+muldiv,branch+fp,muldiv+fp",
                        late_alu=True, late_alu_delay=2, branch_resolve_stage="EX",
                        mul_latency=3, long_ops_pipelined=True, div_latency=34,
                        div_pipelined=False, fadd_latency=5, fmul_latency=5, fma_latency=5,
                        fdiv_latency=56, fsqrt_latency=56, fcvt_latency=3,
                        mem_blocking=False, store_buffer_entries=8),
        bpred=BranchPredictorConfig(kind="gshare", table_entries=16384, history_bits=14,
                                    btb_entries=32, btb_assoc=32, ras_depth=12),
        l1i=CacheConfig(size=32 * KiB, assoc=4, hit_latency=1),
        l1d=CacheConfig(size=32 * KiB, assoc=8, hit_latency=2),
        l2=app.l2, l3=None, memory=app.memory, tlb=app.tlb,
    )


def boom_medium() -> SystemConfig:
    """The 2-wide out-of-order MediumBoom of BOOM v3 (riscv-boom WithNMediumBooms,
    "try to match the Cortex-A9"; Zhao et al., SonicBOOM, CARRV 2020) on core.model = ooo:
    fetch 4, decode/rename/commit 2, 64-entry ROB, 80 integer and 64 FP physical registers,
    issue queues of 20 (integer, 2 ports), 12 (memory, 1 port) and 16 (FP, 1 port)
    entries, 16-entry load and store queues, a 16-entry fetch buffer, 4-cycle FMA, TAGE
    prediction; 16 KiB 4-way L1I and L1D (64 sets x 4 ways x 64 B, 2 MSHRs). The L2,
    DRAM, clock, latencies not in the BOOM config and the predictor geometry are
    assumptions; docs/presets.md gives every field with its source."""
    from pipeline.models.ooo import OooParams
    from pipeline.predictors.tage import TageParams
    ooo = OooParams(
        fetch_width=4, fetch_buffer_entries=16, frontend_depth=3, decode_width=2,
        rob_entries=64, int_phys_regs=80, fp_phys_regs=64, int_iq_entries=20,
        mem_iq_entries=12, fp_iq_entries=16, int_ports="alu+branch+mul, alu+div",
        mem_ports="load+store", fp_ports="fpu+fdiv", lq_entries=16, sq_entries=16,
        commit_width=2, redirect_penalty=3, store_forward_latency=4,
        memory_dependence="speculate", mul_latency=3, div_latency=34, div_pipelined=False,
        fadd_latency=4, fmul_latency=4, fma_latency=4, fdiv_latency=24, fsqrt_latency=30,
        fcvt_latency=2)
    return SystemConfig(
        name="boom_medium",
        core=CoreConfig(model="ooo", model_params=ooo, frequency=1e9),
        bpred=BranchPredictorConfig(kind="tage", kind_params=TageParams(), btb_entries=512,
                                    btb_assoc=4, ras_depth=32),
        l1i=CacheConfig(size=16 * KiB, assoc=4, line_size=64, hit_latency=1, mshrs=2),
        l1d=CacheConfig(size=16 * KiB, assoc=4, line_size=64, hit_latency=3, mshrs=2),
        l2=CacheConfig(size=512 * KiB, assoc=8, line_size=64, hit_latency=16, mshrs=8),
        l3=None,
    )


def c910() -> SystemConfig:
    """The T-Head XuanTie C910 (Chen et al., "Xuantie-910", ISCA 2020; the open-source RTL,
    openc910) on core.model = ooo: fetch 8, decode/rename 3, a 192-instruction ROB (64
    entries of up to 3), 96 integer and 64 FP/vector physical registers, 8 issue pipes
    (two ALUs, one with the divider, one with the 4-cycle multiplier; branch; load; store
    address; store data; two FP/vector), 16-entry load and 12-entry store queues, store-set
    memory-dependence prediction for its speculation-fail predictor, 64 KiB 2-way L1I and
    L1D, 8 line-fill buffers, a bi-mode BHT (1024 choice and 2 x 16 K direction counters,
    22 history bits), a 256-entry indirect BTB indexed by global and target-path history,
    a 12-entry RAS and a 1024-entry BTB, at the paper's 2.5 GHz.
    Queue sizes, ports, latencies and predictor tables are counted in the RTL; the L2
    latency and FP latencies are assumptions; docs/presets.md gives every field's source."""
    from pipeline.models.ooo import OooParams
    from pipeline.predictors.bimode import BimodeParams
    from pipeline.predictors.target_cache import TargetCacheParams
    ooo = OooParams(
        fetch_width=8, fetch_buffer_entries=32, frontend_depth=3, decode_width=3,
        rob_entries=192, int_phys_regs=96, fp_phys_regs=64, int_iq_entries=28,
        mem_iq_entries=12, fp_iq_entries=16, int_ports="alu+div, alu+mul, branch",
        mem_ports="load, store", fp_ports="fpu+fdiv, fpu", lq_entries=16, sq_entries=12,
        commit_width=3, redirect_penalty=3, store_forward_latency=3,
        memory_dependence="store_sets", violation_penalty=4, mul_latency=4, div_latency=20,
        div_pipelined=False, fadd_latency=4, fmul_latency=4, fma_latency=4, fdiv_latency=16,
        fsqrt_latency=16, fcvt_latency=2)
    return SystemConfig(
        name="c910",
        core=CoreConfig(model="ooo", model_params=ooo, frequency=2.5e9),
        bpred=BranchPredictorConfig(
            kind="bimode", kind_params=BimodeParams(log_choice_entries=10,
                                                    log_direction_entries=14,
                                                    history_bits=22),
            btb_entries=1024, btb_assoc=2, ras_depth=12, indirect="target_cache",
            indirect_params=TargetCacheParams(log_entries=8, use_pc=False, global_bits=8,
                                              path_targets=4, path_shift=4)),
        l1i=CacheConfig(size=64 * KiB, assoc=2, line_size=64, hit_latency=1, mshrs=2),
        l1d=CacheConfig(size=64 * KiB, assoc=2, line_size=64, hit_latency=3, mshrs=8),
        l2=CacheConfig(size=1 * MiB, assoc=16, line_size=64, hit_latency=20, mshrs=16),
        l3=None,
    )


_PRESETS: dict[str, Callable[[], SystemConfig]] = {
    "default": default, "textbook": textbook, "embedded": embedded,
    "application": application, "u74": u74, "boom_medium": boom_medium, "c910": c910,
}


def names() -> list[str]:
    """The preset names, in a fixed order."""
    return list(_PRESETS)


def get(name: str) -> SystemConfig:
    """A fresh, validated SystemConfig for preset ``name``."""
    try:
        build = _PRESETS[name]
    except (KeyError, TypeError):
        from cyclesim.units import shown

        raise ConfigError(f"unknown preset {shown(name)}; known presets are "
                          f"{', '.join(_PRESETS)}.") from None
    return build().validate()


def describe(name: str) -> str:
    """The docstring of preset ``name``: what it models and where its numbers come from."""
    get(name)  # same error for an unknown name
    return " ".join(_PRESETS[name].__doc__.split())
