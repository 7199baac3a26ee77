"""btb: an indirect jump is predicted to go where it went last time, from the BTB."""
from pipeline.predictors import INDIRECT_PREDICTORS


@INDIRECT_PREDICTORS.register("btb", help="The BTB's last target of the jump (no own table).",
                              source="Lee & Smith, 'Branch prediction strategies and branch "
                                     "target buffer design', IEEE Computer 17(1), 1984")
def make_btb_indirect(params):
    # None: the core keeps its own BTB lookup for indirect jumps (no call, no table).
    return None
