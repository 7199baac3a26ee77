"""Bimodal: one 2-bit saturating counter per pc (bpred.table_entries of them)."""
from pipeline.bpred import Bimodal
from pipeline.predictors import PREDICTORS


@PREDICTORS.register("bimodal", help="PC-indexed 2-bit counters.",
                     source="Smith, 'A study of branch prediction strategies', ISCA 1981")
def make_bimodal(params, *, table_entries, **geometry):
    return Bimodal(table_entries=table_entries)
