"""The scalar in-order pipeline (docs/pipeline.md). Its parameters are the fields of
[core] itself (forwarding, branch_resolve_stage, latencies), kept there so that existing
configs keep working."""
from pipeline.models import CORE_MODELS

_CORE_FIELDS = ("forwarding", "branch_resolve_stage", "mul_latency", "div_latency",
                "div_pipelined", "fadd_latency", "fmul_latency", "fma_latency",
                "fdiv_latency", "fsqrt_latency", "fcvt_latency", "long_ops_pipelined",
                "fetch_blocking", "mem_blocking", "store_buffer_entries",
                "popcount_latency", "clmul_latency")


@CORE_MODELS.register("inorder", help="Scalar in-order IF ID EX MEM WB pipeline.",
                      source="Patterson & Hennessy, Computer Organization and Design, "
                             "RISC-V Edition, ch. 4")
def make_inorder(params, *, core, predictor, btb, ras, l1i, l1d):
    from pipeline.inorder import InOrderCore
    kwargs = {name: getattr(core, name) for name in _CORE_FIELDS}
    # With TLBs on, the L1s come wrapped in a Translator: the line sizes are its cache's.
    icache, dcache = getattr(l1i, "cache", l1i), getattr(l1d, "cache", l1d)
    return InOrderCore(l1i, l1d, predictor, btb, ras,
                       fetch_line_size=getattr(icache, "line_size", 64),
                       data_line_size=getattr(dcache, "line_size", 64), **kwargs)
