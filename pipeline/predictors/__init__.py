"""Branch predictors, one per module in this folder, each registered by name in one of two
registries (the only lists of names):

- PREDICTORS: conditional-branch direction predictors (`bpred.kind`). Contract:
  pipeline/bpred.pxd (DirectionPredictor.predict / update). A factory is called as
  ``factory(params, table_entries=, history_bits=, chooser_entries=)``: the plug-in's own
  Params (``[bpred.kind_params]``) and the shared counter-table geometry of ``[bpred]``
  (kept there so that existing configs keep working).
- INDIRECT_PREDICTORS: targets of indirect jumps that are not returns (`bpred.indirect`).
  Contract: pipeline/bpred.pxd (IndirectPredictor). A factory is called as
  ``factory(params)`` and returns an IndirectPredictor, or None for "btb" (the core keeps
  its BTB lookup, the cheapest path).
"""
from cyclesim.registry import Registry

PREDICTORS = Registry("branch predictor", package="pipeline.predictors")
INDIRECT_PREDICTORS = Registry("indirect-target predictor", package="pipeline.predictors")

# Load every plug-in now, in module order, so that the order of names (error messages,
# docs/config.md) does not depend on which plug-in module happened to be imported first.
PREDICTORS.names()
INDIRECT_PREDICTORS.names()
