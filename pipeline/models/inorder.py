"""The scalar in-order pipeline (docs/pipeline.md). Its parameters are the fields of
[core] itself (forwarding, branch_resolve_stage, latencies), kept there so that existing
configs keep working."""
from pipeline.models import CORE_MODELS

_CORE_FIELDS = ("forwarding", "branch_resolve_stage", "mul_latency", "div_latency",
                "div_pipelined", "fadd_latency", "fmul_latency", "fma_latency",
                "fdiv_latency", "fsqrt_latency", "fcvt_latency", "long_ops_pipelined",
                "fetch_blocking", "mem_blocking", "store_buffer_entries",
                "popcount_latency", "clmul_latency")
# Fields of the superscalar in-order model (docs/pipeline.md, rules S1..S9).
# A config object without them (older callers) gets the scalar pipeline's values.
_WIDE_FIELDS = {"width": 1, "fetch_stages": 1, "decode_stages": 1, "mem_per_cycle": 1,
                "branch_per_cycle": 1, "muldiv_per_cycle": 1, "fp_per_cycle": 1, "no_pair": "",
                "late_alu": False, "late_alu_delay": 2}


@CORE_MODELS.register("inorder", help="In-order IF ID EX MEM WB pipeline; core.width > 1, "
                                      "deeper front ends or a late ALU select the "
                                      "superscalar in-order model (rules S1..S9).",
                      source="Patterson & Hennessy, Computer Organization and Design, "
                             "RISC-V Edition, ch. 4")
def make_inorder(params, *, core, predictor, btb, ras, l1i, l1d):
    from pipeline.inorder import InOrderCore
    kwargs = {name: getattr(core, name) for name in _CORE_FIELDS}
    wide = {name: getattr(core, name, default) for name, default in _WIDE_FIELDS.items()}
    cls = InOrderCore
    if wide["width"] > 1 or wide["fetch_stages"] > 1 or wide["decode_stages"] > 1 \
            or wide["late_alu"]:
        # The scalar class stays the single-issue model: nothing of S1..S9 costs it time.
        from pipeline.superscalar import SuperscalarCore

        cls = SuperscalarCore
        kwargs.update(wide)
    # With TLBs on, the L1s come wrapped in a Translator: the line sizes are its cache's.
    icache, dcache = getattr(l1i, "cache", l1i), getattr(l1d, "cache", l1d)
    return cls(l1i, l1d, predictor, btb, ras,
               fetch_line_size=getattr(icache, "line_size", 64),
               data_line_size=getattr(dcache, "line_size", 64), **kwargs)
