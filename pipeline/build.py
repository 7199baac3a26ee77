"""Build the in-order core from CoreConfig and BranchPredictorConfig objects."""
from cyclesim.errors import ConfigError
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.inorder import InOrderCore

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


def build_predictor(bpred_cfg):
    """(direction predictor, BTB, RAS) for a BranchPredictorConfig."""
    predictor = make_predictor(bpred_cfg.kind, getattr(bpred_cfg, "kind_params", None),
                               table_entries=bpred_cfg.table_entries,
                               history_bits=bpred_cfg.history_bits,
                               chooser_entries=bpred_cfg.chooser_entries)
    return predictor, BTB(bpred_cfg.btb_entries, bpred_cfg.btb_assoc), RAS(bpred_cfg.ras_depth)


def build_core(core_cfg, bpred_cfg, l1i, l1d):
    """The timing model named by core_cfg.model, wired to the L1 MemoryLevels l1i, l1d.

    The fetch buffer holds one line of l1i (its `line_size` attribute, 64 if it has none).
    """
    if core_cfg.model != "inorder":
        raise ConfigError(f"core.model = {core_cfg.model!r} is not available; use 'inorder'.")
    predictor, btb, ras = build_predictor(bpred_cfg)
    kwargs = {name: getattr(core_cfg, name) for name in _CORE_FIELDS}
    wide = {name: getattr(core_cfg, name, default) for name, default in _WIDE_FIELDS.items()}
    cls = InOrderCore
    if wide["width"] > 1 or wide["fetch_stages"] > 1 or wide["decode_stages"] > 1 \
            or wide["late_alu"]:
        # The scalar class stays the single-issue model: nothing of S1..S9 costs it time.
        from pipeline.superscalar import SuperscalarCore

        cls = SuperscalarCore
        kwargs.update(wide)
    return cls(l1i, l1d, predictor, btb, ras, fetch_line_size=getattr(l1i, "line_size", 64),
               data_line_size=getattr(l1d, "line_size", 64), **kwargs)
