"""Sampled simulation (docs/sampling.md).

SMARTS systematic sampling with functional warming: ``cyclesim.run(..., sampling=True)``
or ``sampling={"unit": 1000, "warmup": 2000, "period": 50}``; the estimate with its
confidence interval is ``result.sampling`` (a SamplingEstimate).

SimPoint: ``cyclesim.simpoint(program, *args, interval=..., max_k=..., warmup=...)``
returns a SimPointEstimate (cyclesim/sampling/simpoint.py).
"""
from cyclesim.sampling.simpoint import SimPointEstimate, SimPointSpec, simpoint
from cyclesim.sampling.smarts import SamplingEstimate, SamplingSpec

SimPoint = SimPointSpec

__all__ = ["SamplingSpec", "SamplingEstimate", "SimPoint", "SimPointSpec", "SimPointEstimate",
           "simpoint"]
