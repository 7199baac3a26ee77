"""The base prefetcher (issues nothing) and the Python-side entries every prefetcher shares;
see caches/prefetch.pxd for the contract, docs/caches.md ("Prefetchers") for the designs."""
from libc.stdint cimport uint8_t, uint32_t, uint64_t

# Outcome names (tests, the Python prefetcher adapter, traces).
OUTCOMES = {"miss": PF_MISS, "hit": PF_HIT, "hit_prefetched": PF_HIT_PREFETCHED,
            "hit_in_flight": PF_HIT_IN_FLIGHT, "late": PF_LATE}
MAX_OUT = PF_MAX_OUT


cdef class Prefetcher:
    """Base class: issues nothing. Subclasses (caches/prefetchers/) override on_access."""

    def __init__(self, params=None, *, uint32_t line_size=64, level="cache", name="none"):
        if line_size < 4 or line_size & (line_size - 1):
            raise ValueError(f"{level}.prefetcher {name}: line_size {line_size} must be a power of "
                             f"two of at least 4 bytes")
        self.name = name
        self.level = level
        self.line_shift = line_size.bit_length() - 1

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        return 0

    cdef void on_fill(self, uint64_t addr, bint prefetched, uint64_t now) noexcept nogil:
        pass

    # ---- Python side (tests, debugging; not the hot path) -------------------------------

    def access_py(self, uint64_t pc, uint64_t addr, kind=1, outcome="miss",
                  uint64_t now=0):
        """One on_access call from Python: returns the list of addresses it asked for.
        `kind` is an AccessKind value (1 = load); `outcome` a name of OUTCOMES or its value."""
        cdef uint8_t o = OUTCOMES[outcome] if isinstance(outcome, str) else <uint8_t> outcome
        cdef int n = self.on_access(pc, addr, <uint8_t> int(kind), o, now)
        return [self.out[i] for i in range(n)]

    def fill_py(self, uint64_t addr, bint prefetched, uint64_t now=0):
        """One on_fill call from Python."""
        self.on_fill(addr, prefetched, now)

    def reset(self):
        """Back to the power-on state (tables empty). The base has no state."""

    def error(self):
        """A one-line description of a failure that must stop the run, or None (only the
        Python prefetcher can fail)."""
        return None
