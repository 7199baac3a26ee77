"""The replacement policy interface, and make_policy, which builds a registered policy.

Every policy sees the same five events (touch, insert, victim, invalidate, reset); the cache
picks an invalid way itself before asking for a victim. The policies themselves live in
caches/policies/, one module each, registered by name in caches.policies.POLICIES.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef class ReplacementPolicy:
    """Interface; the modules of caches/policies/ implement it."""

    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        if num_sets < 1 or assoc < 1:
            raise ValueError(f"a replacement policy needs at least one set and one way, "
                             f"got {num_sets} sets of {assoc} ways")
        self.num_sets = num_sets
        self.assoc = assoc

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        pass

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        pass

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        return 0

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        pass

    cdef void reset(self) noexcept nogil:
        pass


def make_policy(str name, uint32_t num_sets, uint32_t assoc, params=None, uint64_t seed=1):
    """The replacement policy called `name` for a cache of num_sets x assoc lines, with its
    parameters (a Params of that policy, a dict, or None for the defaults)."""
    from caches.policies import POLICIES
    plugin = POLICIES.get(name)      # ConfigError listing the known names
    if params is None:
        params = plugin.params()
    elif isinstance(params, dict):
        params = plugin.params.from_dict(params, "policy_params")
    elif not isinstance(params, plugin.params):
        raise TypeError(f"parameters of policy {name!r} must be a {plugin.params.__name__}, "
                        f"got {type(params).__name__}")
    params.validate("policy_params")
    return plugin.factory(params, num_sets, assoc, seed)
