"""Sampled simulation (docs/sampling.md).

SMARTS systematic sampling with functional warming: ``cyclesim.run(..., sampling=True)``
or ``sampling={"unit": 1000, "warmup": 2000, "period": 50}``; the estimate with its
confidence interval is ``result.sampling`` (a SamplingEstimate).
"""
from cyclesim.sampling.smarts import SamplingEstimate, SamplingSpec

__all__ = ["SamplingSpec", "SamplingEstimate"]
