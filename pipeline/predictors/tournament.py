"""Tournament: bimodal and gshare components and a per-pc 2-bit chooser."""
from pipeline.bpred import Tournament
from pipeline.predictors import PREDICTORS


@PREDICTORS.register("tournament", help="Bimodal and gshare with a per-pc chooser.",
                     source="McFarling, 'Combining branch predictors', DEC WRL TN-36, 1993")
def make_tournament(params, *, table_entries, history_bits, chooser_entries):
    return Tournament(table_entries=table_entries, history_bits=history_bits,
                      chooser_entries=chooser_entries)
