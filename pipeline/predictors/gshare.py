"""gshare: 2-bit counters indexed by pc XOR the global history of outcomes."""
from pipeline.bpred import GShare
from pipeline.predictors import PREDICTORS


@PREDICTORS.register("gshare", help="PC xor global history into 2-bit counters.",
                     source="McFarling, 'Combining branch predictors', DEC WRL TN-36, 1993")
def make_gshare(params, *, table_entries, history_bits, **geometry):
    return GShare(table_entries=table_entries, history_bits=history_bits)
