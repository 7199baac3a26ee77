"""Static predictors: no state, no parameters."""
from pipeline.bpred import BackwardTaken, StaticNotTaken
from pipeline.predictors import PREDICTORS

PREDICTORS.register("static_nt", help="Always predicts not taken.",
                    source="Smith, 'A study of branch prediction strategies', ISCA 1981")(
    lambda params, **geometry: StaticNotTaken())
PREDICTORS.register("btfn", help="Backward taken, forward not taken (loops).",
                    source="Smith, 'A study of branch prediction strategies', ISCA 1981")(
    lambda params, **geometry: BackwardTaken())
