"""A prefetcher written in Python (slow, for research), adapted to the Cython contract.

Write a class with this method (subclassing caches.prefetchers.python.PythonPrefetcher is
optional; it documents the interface and gives no-op defaults)::

    class Stride2(PythonPrefetcher):
        def on_access(self, pc, addr, hit, kind):
            # pc, addr: ints; hit: bool (False = a miss); kind: "ifetch", "load",
            # "store" or "amo". Return the byte addresses to prefetch (at most 32).
            return [] if hit else [addr + 2 * self.line_size]

and choose it with ``prefetcher = "python"`` and ``prefetcher_params.cls =
"package.module:Stride2"`` (from Python, the class object itself may be given: it is
stored as "module:QualName"). The class is built with no arguments; before the first call
the adapter sets ``self.line_size`` (bytes) and ``self.cache`` (the level's name, such as
"l1d"). Optional: ``on_fill(self, addr, prefetched)`` for every line the cache installs,
and ``outcome`` (the full outcome name, caches.prefetch.OUTCOMES) is available as
``self.outcome`` during on_access.

Each call takes the GIL and costs a Python call (about a microsecond). If the class raises,
or returns something that is not a list of at most 32 addresses (ints >= 0), the adapter
records a one-line summary (exception, message, the innermost frame), issues nothing from
then on, and the run stops at the end of its current quantum with that summary as its
status (``SimResult.status``): a failing research prefetcher never crashes the simulator.
"""
import importlib
import traceback
from dataclasses import dataclass

from libc.stdint cimport uint8_t, uint64_t

from caches.prefetch cimport Prefetcher, PF_MAX_OUT, PF_MISS
from caches.prefetch import OUTCOMES
from caches.prefetchers import PREFETCHERS
from cyclesim.errors import ConfigError
from cyclesim.params import Params, param

KIND_NAMES = ("ifetch", "load", "store", "amo")
OUTCOME_NAMES = {v: k for k, v in OUTCOMES.items()}


class PythonPrefetcher:
    """Base of prefetchers written in Python (see the module docstring)."""

    line_size = 64        # set by the adapter before the first call
    cache = ""            # the cache level's name, set by the adapter
    outcome = "miss"      # the full outcome of the current access, set by the adapter

    def on_access(self, pc, addr, hit, kind):
        """Addresses to prefetch after a demand access (a list of ints; [] for none)."""
        return []

    def on_fill(self, addr, prefetched):
        """A line was installed (prefetched: brought by a prefetch)."""


def class_spec(cls):
    """The "module:QualName" text naming a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def load_class(spec, what="prefetcher_params.cls"):
    """The class named by "module:QualName"; ConfigError (one sentence) when it cannot be
    found or has no on_access method."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ConfigError(f"{what} = {spec!r}: name the class as \"module:Class\", such as "
                          f"\"mypf:Stride2\" (the module must be importable).")
    mod_name, qual = spec.split(":")
    try:
        obj = importlib.import_module(mod_name)
    except Exception as e:
        raise ConfigError(f"{what} = {spec!r}: module {mod_name!r} cannot be imported "
                          f"({type(e).__name__}: {e}); put it on PYTHONPATH.") from None
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ConfigError(f"{what} = {spec!r}: module {mod_name!r} has no {qual!r}.")
    if not isinstance(obj, type) or not callable(getattr(obj, "on_access", None)):
        raise ConfigError(f"{what} = {spec!r}: not a class with an on_access(pc, addr, hit, "
                          f"kind) method.")
    return obj


@dataclass(repr=False)
class PythonParams(Params):
    """Parameters of the Python prefetcher adapter."""

    cls: str = param("", help="The prefetcher class as \"module:Class\" (a class with "
                              "on_access(pc, addr, hit, kind) -> list of addresses); from "
                              "Python the class itself may be given.")

    def __setattr__(self, name, value):
        if name == "cls" and isinstance(value, type):
            value = class_spec(value)
        Params.__setattr__(self, name, value)

    def updated(self, values, path=""):
        if isinstance(values, dict) and isinstance(values.get("cls"), type):
            values = dict(values, cls=class_spec(values["cls"]))
        return Params.updated(self, values, path)

    def validate(self, path: str = "prefetcher_params") -> None:
        self.check_fields(path)
        load_class(self.cls, f"{path}.cls")


class _BadResult(Exception):
    """on_access broke the contract (not the user's code raising)."""


def _summary(cache, cls_name, exc):
    if isinstance(exc, _BadResult):
        return f"{cache} prefetcher {cls_name}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        f = frames[len(frames) - 1]          # the innermost frame: where it went wrong
        where = f" (at {f.filename}:{f.lineno} in {f.name})"
    return (f"{cache} prefetcher {cls_name} raised {type(exc).__name__}: {exc}{where}")


cdef class PythonAdapter(Prefetcher):
    cdef readonly object obj          # the user's prefetcher instance
    cdef object _on_access, _on_fill
    cdef object _error                # the failure summary, or None
    cdef bint failed, has_on_fill     # C copies the nogil path can test
    cdef readonly uint64_t calls      # on_access calls made

    def __init__(self, params, *, line_size=64, level="cache"):
        Prefetcher.__init__(self, params, line_size=line_size, level=level, name="python")
        cls = load_class(params.cls, f"{level}.prefetcher_params.cls")
        try:
            obj = cls()
        except Exception as e:
            raise ConfigError(f"{level}.prefetcher_params.cls = {params.cls!r}: building it "
                              f"with no arguments failed ({type(e).__name__}: {e}).") from None
        obj.line_size = line_size
        obj.cache = level
        self.obj = obj
        self._on_access = obj.on_access
        self._on_fill = getattr(obj, "on_fill", None)
        self.has_on_fill = self._on_fill is not None
        self._error = None
        self.failed = 0
        self.calls = 0

    def error(self):
        return self._error

    def reset(self):
        """Clears a recorded failure; the user's object keeps its own state (rebuild the
        hierarchy for a fresh one)."""
        self._error = None
        self.failed = 0

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        if self.failed:
            return 0
        with gil:
            return self._call(pc, addr, kind, outcome)

    cdef int _call(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome):
        cdef int n = 0
        self.calls += 1
        try:
            self.obj.outcome = OUTCOME_NAMES.get(outcome, "miss")
            got = self._on_access(pc, addr, outcome != PF_MISS,
                                  KIND_NAMES[kind] if kind < 4 else "load")
            if got is None:
                return 0
            try:
                got = list(got)
            except TypeError:
                raise _BadResult(f"on_access returned {got!r}; return a list of "
                                 f"addresses") from None
            if len(got) > PF_MAX_OUT:
                raise _BadResult(f"on_access returned {len(got)} addresses; at most "
                                 f"{PF_MAX_OUT} per access")
            for a in got:
                if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < 2 ** 64:
                    raise _BadResult(f"on_access returned {a!r}; addresses must be ints "
                                     f"from 0 to 2^64 - 1")
                self.out[n] = a
                n += 1
            return n
        except Exception as e:
            self._error = _summary(self.level, type(self.obj).__name__, e)
            self.failed = 1
            return 0

    cdef void on_fill(self, uint64_t addr, bint prefetched, uint64_t now) noexcept nogil:
        if self.failed or not self.has_on_fill:
            return
        with gil:
            try:
                self._on_fill(addr, bool(prefetched))
            except Exception as e:
                self._error = _summary(self.level, type(self.obj).__name__, e)
                self.failed = 1


PREFETCHERS.register("python", PythonParams,
                     help="A prefetcher written in Python (prefetcher_params.cls = "
                          "\"module:Class\"); slow, for research.")(PythonAdapter)
