"""Data package for the cyclesim workloads: C sources (src/), the ROI-marker header
(include/cyclesim.h), the Makefile, prebuilt static RV64GC ELFs (bin/) and the registry
(workloads.toml). It holds no code; use `cyclesim.workloads` to look workloads up."""
