"""Build the core timing model named by CoreConfig.model (pipeline/models/)."""
from pipeline.bpred import BTB, RAS, make_indirect_predictor, make_predictor
from pipeline.models import CORE_MODELS


def build_predictor(bpred_cfg):
    """(direction predictor, BTB, RAS) for a BranchPredictorConfig."""
    predictor = make_predictor(bpred_cfg.kind, getattr(bpred_cfg, "kind_params", None),
                               table_entries=bpred_cfg.table_entries,
                               history_bits=bpred_cfg.history_bits,
                               chooser_entries=bpred_cfg.chooser_entries)
    return predictor, BTB(bpred_cfg.btb_entries, bpred_cfg.btb_assoc), RAS(bpred_cfg.ras_depth)


def build_indirect(bpred_cfg):
    """The IndirectPredictor of bpred.indirect, or None for "btb" (the core's BTB)."""
    kind = getattr(bpred_cfg, "indirect", "btb")
    return make_indirect_predictor(kind, getattr(bpred_cfg, "indirect_params", None))


def build_core(core_cfg, bpred_cfg, l1i, l1d):
    """The timing model named by core_cfg.model, wired to the L1 MemoryLevels l1i, l1d."""
    plugin = CORE_MODELS.get(core_cfg.model, "core.model")
    params = getattr(core_cfg, "model_params", None)
    if params is None or type(params) is not plugin.params:
        params = plugin.params()
    predictor, btb, ras = build_predictor(bpred_cfg)
    model = plugin.factory(params, core=core_cfg, predictor=predictor, btb=btb, ras=ras,
                           l1i=l1i, l1d=l1d)
    indirect = build_indirect(bpred_cfg)
    if indirect is not None:
        model.set_indirect_predictor(indirect)
    return model
