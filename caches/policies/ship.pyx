"""SHiP-PC (Wu et al., MICRO 2011): a signature-based hit predictor over SRRIP.

The signature of a fill is a hash of the pc of the access: with 2^k SHCT entries,
sig = ((pc >> 1) ^ (pc >> (k + 1))) mod 2^k (RISC-V instructions are 2-byte aligned).
Each line keeps the signature it was filled by and an outcome bit (reused since the fill).
The signature hit counter table (SHCT) holds saturating counters, starting at 1 (weakly
reused, so an unseen pc is treated as SRRIP treats every line). A hit sets the line's
outcome bit and increments SHCT[sig]; evicting a line whose outcome bit is clear
decrements SHCT[sig of that line]. A fill whose SHCT[sig] is 0 is predicted never to be
reused and is inserted at distant (2^M - 1); any other at long (2^M - 2). Invalidation
(not a replacement decision) trains nothing.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from caches.policies import POLICIES
from caches.policies._rrip cimport SRRIPPolicy
from caches.policies._rrip import RRIPParams
from cyclesim.params import param
from cyclesim.units import is_power_of_two

MAX_SHCT_ENTRIES = 1 << 20      # host memory bound: 1 MiB of counters


@dataclass(repr=False)
class SHiPParams(RRIPParams):
    """Parameters of SHiP."""

    shct_entries: int = param(16384, unit="entries", help="Signature hit counter table "
                                                          "size; a power of two up to 2^20 "
                                                          "(the paper's 16K).",
                              min=1, max=MAX_SHCT_ENTRIES)
    counter_bits: int = param(3, unit="bits", help="Width of each SHCT saturating counter, "
                                                   "1 to 8 (the paper's 3).", min=1, max=8)

    def validate(self, path: str = "policy_params") -> None:
        RRIPParams.validate(self, path)
        if not is_power_of_two(self.shct_entries) or self.shct_entries > MAX_SHCT_ENTRIES:
            raise self.fail(path, "shct_entries", "must be a power of two of at most 2^20 "
                                                  "(1048576), such as 16384")
        if not 1 <= self.counter_bits <= 8:
            raise self.fail(path, "counter_bits", "must be 1 to 8 bits, such as 3")


cdef class SHiPPolicy(SRRIPPolicy):
    cdef uint32_t* sig                 # per line: signature of the fill
    cdef uint8_t* reused               # per line: hit since the fill
    cdef uint8_t* shct                 # saturating counters, by signature
    cdef uint32_t mask, shift
    cdef uint8_t counter_max
    cdef object _sig, _reused, _shct

    def __init__(self, uint32_t num_sets, uint32_t assoc, int rrpv_bits, uint32_t entries,
                 int counter_bits):
        SRRIPPolicy.__init__(self, num_sets, assoc, rrpv_bits)
        self.mask = entries - 1
        self.shift = 1
        while (1u << (self.shift - 1)) < entries:
            self.shift += 1                       # k + 1 with entries = 2^k
        self.counter_max = <uint8_t> ((1 << counter_bits) - 1)
        self._sig = np.zeros(<uint64_t> num_sets * assoc, dtype=np.uint32)
        self._reused = np.zeros(<uint64_t> num_sets * assoc, dtype=np.uint8)
        self._shct = np.ones(entries, dtype=np.uint8)
        cdef uint32_t[::1] s = self._sig
        cdef uint8_t[::1] r = self._reused
        cdef uint8_t[::1] t = self._shct
        self.sig, self.reused, self.shct = &s[0], &r[0], &t[0]

    def shct_value(self, uint32_t index):
        return self._shct[index]

    cdef inline uint32_t signature(self, uint64_t pc) noexcept nogil:
        return <uint32_t> (((pc >> 1) ^ (pc >> self.shift)) & self.mask)

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint64_t i = <uint64_t> set_ * self.assoc + way
        self.rrpv[i] = 0
        self.reused[i] = 1
        cdef uint32_t s = self.sig[i]
        if self.shct[s] < self.counter_max:
            self.shct[s] += 1

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint64_t i = <uint64_t> set_ * self.assoc + way
        cdef uint32_t s = self.signature(pc)
        self.sig[i] = s
        self.reused[i] = 0
        self.rrpv[i] = self.rrpv_max if self.shct[s] == 0 else self.rrpv_max - 1

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint32_t w = self.rrip_victim(set_)
        cdef uint64_t i = <uint64_t> set_ * self.assoc + w
        if not self.reused[i] and self.shct[self.sig[i]] > 0:   # evicted without reuse
            self.shct[self.sig[i]] -= 1
        return w

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        cdef uint64_t i = <uint64_t> set_ * self.assoc + way
        self.rrpv[i] = self.rrpv_max
        self.reused[i] = 0

    cdef void reset(self) noexcept nogil:
        SRRIPPolicy.reset(self)
        memset(self.reused, 0, <size_t> self.num_sets * self.assoc)
        memset(self.sig, 0, <size_t> self.num_sets * self.assoc * sizeof(uint32_t))
        memset(self.shct, 1, <size_t> (self.mask + 1))


def _make(params, num_sets, assoc, seed=1):
    return SHiPPolicy(num_sets, assoc, params.rrpv_bits, params.shct_entries,
                      params.counter_bits)


POLICIES.register("ship", SHiPParams, help="SHiP-PC: SRRIP whose insertion is predicted per "
                  "pc signature by saturating counters trained on hits and dead evictions.",
                  source="Wu et al., 'SHiP: Signature-based hit predictor for high "
                         "performance caching', MICRO 2011")(_make)
