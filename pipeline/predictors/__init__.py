"""Conditional-branch direction predictors, one per module in this folder, each registered by
name in PREDICTORS (the only list of predictor names). Contract: pipeline/bpred.pxd
(DirectionPredictor.predict / update).

A factory is called as ``factory(params, table_entries=, history_bits=, chooser_entries=)``:
the plug-in's own Params (``[bpred.kind_params]``) and the shared counter-table geometry of
``[bpred]`` (kept there so that existing configs keep working).
"""
from cyclesim.registry import Registry

PREDICTORS = Registry("branch predictor", package="pipeline.predictors")

# Load every plug-in now, in module order, so that the order of names (error messages,
# docs/config.md) does not depend on which plug-in module happened to be imported first.
PREDICTORS.names()
