"""Dynamic RRIP (Jaleel et al., ISCA 2010): set dueling between SRRIP and BRRIP.

SRRIP inserts at "long" (2^M - 2). BRRIP inserts at "distant" (2^M - 1) except one fill in
`bimodal_throttle`, which goes to long, so a working set larger than the cache keeps part
of itself (thrash resistance). With stride = max(2, sets // leader_sets), set s is an
SRRIP leader when s % stride == 0 and a BRRIP leader when s % stride == stride // 2; every
other set follows. A fill (a miss) in an SRRIP leader increments the PSEL counter, one in a
BRRIP leader decrements it (both saturating); followers insert as BRRIP while PSEL is above
its midpoint 2^(psel_bits-1), where it starts, and as SRRIP otherwise. The throttle is a
counter over the BRRIP fills of the whole cache (every throttle-th one is long) rather
than a random draw, so runs are reproducible.
"""
from dataclasses import dataclass

from libc.stdint cimport uint8_t, uint32_t, uint64_t

from caches.policies import POLICIES
from caches.policies._rrip cimport SRRIPPolicy
from caches.policies._rrip import RRIPParams
from cyclesim.params import param


@dataclass(repr=False)
class DRRIPParams(RRIPParams):
    """Parameters of DRRIP."""

    leader_sets: int = param(32, unit="sets", help="Leader sets dedicated to each of SRRIP "
                                                   "and BRRIP (the paper's 32).",
                             min=1, max=1 << 16)
    psel_bits: int = param(10, unit="bits", help="Width of the policy selection counter, "
                                                 "1 to 16 (the paper's 10).", min=1, max=16)
    bimodal_throttle: int = param(32, unit="fills", help="BRRIP inserts one fill in this "
                                                         "many at long, the rest at distant "
                                                         "(the paper's 1/32).", min=1, max=1 << 16)

    def validate(self, path: str = "policy_params") -> None:
        RRIPParams.validate(self, path)
        if self.leader_sets < 1:
            raise self.fail(path, "leader_sets", "must be at least 1, such as 32")
        if not 1 <= self.psel_bits <= 16:
            raise self.fail(path, "psel_bits", "must be 1 to 16 bits, such as 10")
        if self.bimodal_throttle < 1:
            raise self.fail(path, "bimodal_throttle", "must be at least 1, such as 32")


cdef class DRRIPPolicy(SRRIPPolicy):
    cdef uint32_t stride               # one SRRIP and one BRRIP leader per `stride` sets
    cdef uint32_t psel, psel_max, psel_mid
    cdef uint32_t throttle, brrip_fills

    def __init__(self, uint32_t num_sets, uint32_t assoc, int rrpv_bits, uint32_t leader_sets,
                 int psel_bits, uint32_t throttle):
        SRRIPPolicy.__init__(self, num_sets, assoc, rrpv_bits)
        self.stride = max(2, num_sets // leader_sets)
        self.psel_max = (1u << psel_bits) - 1
        self.psel_mid = 1u << (psel_bits - 1)
        self.throttle = throttle
        self.psel = self.psel_mid
        self.brrip_fills = 0

    @property
    def psel_value(self):
        return self.psel

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint32_t r = set_ % self.stride
        cdef bint brrip
        if r == 0:                                   # SRRIP leader missed
            brrip = False
            if self.psel < self.psel_max:
                self.psel += 1
        elif r == self.stride // 2:                  # BRRIP leader missed
            brrip = True
            if self.psel > 0:
                self.psel -= 1
        else:
            brrip = self.psel > self.psel_mid
        cdef uint8_t value = self.rrpv_max - 1
        if brrip:
            self.brrip_fills += 1
            if self.brrip_fills == self.throttle:
                self.brrip_fills = 0
            else:
                value = self.rrpv_max
        self.rrpv[<uint64_t> set_ * self.assoc + way] = value

    cdef void reset(self) noexcept nogil:
        SRRIPPolicy.reset(self)
        self.psel = self.psel_mid
        self.brrip_fills = 0


def _make(params, num_sets, assoc, seed=1):
    return DRRIPPolicy(num_sets, assoc, params.rrpv_bits, params.leader_sets,
                       params.psel_bits, params.bimodal_throttle)


POLICIES.register("drrip", DRRIPParams, help="Dynamic RRIP: leader sets duel SRRIP against "
                  "BRRIP (bimodal distant insertion); a PSEL counter picks for the rest.",
                  source="Jaleel et al., 'High performance cache replacement using "
                         "re-reference interval prediction (RRIP)', ISCA 2010")(_make)
