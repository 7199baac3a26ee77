"""Build cyclesim: three importable packages (cyclesim, pipeline, caches) whose hot
components are Cython extensions that cimport each other through .pxd contracts.

Environment switches (for development):
  CYCLESIM_DEBUG=1      bounds checking and wraparound on, -O0 -g (a debug/CI build)
  CYCLESIM_EXT=a,b      build only the extensions whose dotted name contains one of a, b
"""
import os
from glob import glob

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

DEBUG = os.environ.get("CYCLESIM_DEBUG") == "1"
ONLY = [s for s in os.environ.get("CYCLESIM_EXT", "").split(",") if s]

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "cdivision": True,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "embedsignature": True,
}
# -frounding-math: the FP unit changes the host rounding mode around operations, so the
# compiler must not constant-fold or reorder across those changes.
cflags = ["-O0", "-g"] if DEBUG else ["-O2"]
cflags += ["-frounding-math", "-fno-strict-aliasing", "-Wno-unused-function",
           "-Wno-unreachable-code", "-Wno-unused-variable"]


def extensions():
    exts = []
    for pyx in sorted(glob("cyclesim/**/*.pyx", recursive=True)
                      + glob("pipeline/**/*.pyx", recursive=True)
                      + glob("caches/**/*.pyx", recursive=True)):
        name = pyx[:-4].replace(os.sep, ".")
        if ONLY and not any(s in name for s in ONLY):
            continue
        exts.append(Extension(name, [pyx], include_dirs=[numpy.get_include(), "."],
                              extra_compile_args=cflags,
                              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]))
    return exts


def workload_files():
    """Prebuilt workload ELFs and sources travel with the package (see workloads/)."""
    files = []
    for pattern in ("bin/*", "src/*.c", "include/*.h", "Makefile", "*.toml"):
        files += [os.path.relpath(p, "workloads") for p in glob(os.path.join("workloads", pattern))]
    return files


setup(
    name="cyclesim",
    version="0.1.0",
    description="Cycle-accurate RISC-V microarchitecture simulator in Python and Cython",
    python_requires=">=3.10",
    packages=find_packages(include=["cyclesim", "cyclesim.*", "pipeline", "pipeline.*",
                                    "caches", "caches.*", "workloads"]),
    package_data={
        "cyclesim": ["**/*.pxd", "**/*.pyx", "**/*.h"],
        "pipeline": ["**/*.pxd", "**/*.pyx"],
        "caches": ["**/*.pxd", "**/*.pyx"],
        "workloads": workload_files(),
    },
    ext_modules=cythonize(extensions(), include_path=["."], compiler_directives=directives,
                          nthreads=int(os.environ.get("CYCLESIM_BUILD_JOBS", "0")) or None,
                          quiet=True),
    install_requires=["numpy>=1.24", "pandas>=2.0", "simpy>=4.0", "matplotlib>=3.6",
                      "pyelftools>=0.29", "pyarrow>=12", "tqdm>=4.60"],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "pyyaml>=6", "nbclient>=0.8", "nbformat>=5.7",
                 "ipykernel>=6", "ipywidgets>=8", "dask[distributed]>=2023.1",
                 "pycachesim>=0.3", "pytest-xdist>=3"],
        "yaml": ["pyyaml>=6"],
        "dask": ["dask[distributed]>=2023.1"],
    },
    entry_points={"console_scripts": ["cyclesim=cyclesim.cli:main"]},
    zip_safe=False,
)
