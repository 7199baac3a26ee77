"""Core timing models, one per module in this folder, each registered by name in
CORE_MODELS (the only list of model names) with its own parameter dataclass. Contract:
pipeline/model.pxd (TimingModel.consume).

A factory is called as ``factory(params, core=, predictor=, btb=, ras=, l1i=, l1d=)``: the
model's own Params (``[core.model_params]``), the whole CoreConfig (clock and the in-order
pipeline's fields), the branch prediction structures and the two L1 MemoryLevels.
"""
from cyclesim.registry import Registry

CORE_MODELS = Registry("core model", package="pipeline.models")
CORE_MODELS.names()
