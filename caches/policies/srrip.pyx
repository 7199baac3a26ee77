"""SRRIP, registered by name; the policy itself is caches/policies/_rrip.pyx (the base of
DRRIP and SHiP too)."""
from caches.policies import POLICIES
from caches.policies._rrip import RRIPParams, SRRIPPolicy


def _make(params, num_sets, assoc, seed=1):
    return SRRIPPolicy(num_sets, assoc, params.rrpv_bits)


POLICIES.register("srrip", RRIPParams, help="Static RRIP: insert at long re-reference "
                  "interval (RRPV 2^M-2), hit sets 0, evict the first line at 2^M-1.",
                  source="Jaleel et al., 'High performance cache replacement using "
                         "re-reference interval prediction (RRIP)', ISCA 2010")(_make)
