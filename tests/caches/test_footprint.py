"""The host-memory estimate (cyclesim/footprint.py) budgets what the config builds: the 3C
shadow only at the levels that classify (classify_misses: auto is L2/L3), the prefetched
bit only with a prefetcher, coherence state only on private levels under a protocol, and
a private level once per core. Each expectation is checked against what building the
hierarchy really allocates (NumPy reports its buffers to tracemalloc)."""
import tracemalloc

import pytest
from caches.build import build_hierarchy

from cyclesim import footprint
from cyclesim.config import resolve_config

MiB = 1 << 20


def built_bytes(cfg):
    """Bytes NumPy allocates while the hierarchy of `cfg` is built."""
    tracemalloc.start()
    h = build_hierarchy(cfg.l1i, cfg.l1d, cfg.l2, cfg.l3, cfg.memory, cfg.core.frequency,
                        tlb=cfg.tlb, cores=cfg.cores, coherence=cfg.coherence)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del h
    return peak


def test_auto_classification_budgets_the_shadow_at_l2_only():
    cfg = resolve_config(overrides={"l1d.size": "8MiB", "l2.size": "16MiB"})
    parts = footprint.estimate(cfg)
    lines_l1d, lines_l2 = 8 * MiB // 64, 16 * MiB // 64
    def fixed(c):        # the valid-way count of each set (4 B) and the per-level part
        return 4 * (c.size // 64 // c.assoc) + footprint.cache_level_fixed_bytes(c)

    assert parts["l1d"] == lines_l1d * footprint.CACHE_BYTES_PER_LINE + fixed(cfg.l1d)
    assert parts["l2"] == (lines_l2 * (footprint.CACHE_BYTES_PER_LINE
                                       + footprint.SHADOW_BYTES_PER_LINE) + fixed(cfg.l2))
    on = resolve_config(overrides={"l1d.size": "8MiB", "l2.size": "16MiB",
                                   "l1d.classify_misses": "on", "l2.classify_misses": "off"})
    parts_on = footprint.estimate(on)
    assert parts_on["l1d"] - parts["l1d"] == lines_l1d * footprint.SHADOW_BYTES_PER_LINE
    assert parts["l2"] - parts_on["l2"] == lines_l2 * footprint.SHADOW_BYTES_PER_LINE
    # what the build allocates follows: the shadow moved from the larger L2 to the L1D
    assert built_bytes(on) < built_bytes(cfg)


@pytest.mark.parametrize("over", [{"l1d.size": "16MiB"},
                                  {"l1d.size": "16MiB", "l1d.classify_misses": "on"},
                                  {"l1d.size": "16MiB", "l1d.prefetcher": "stream"},
                                  {"l2.size": "32MiB", "l2.classify_misses": "off"}])
def test_estimate_bounds_what_is_built_and_is_close(over):
    cfg = resolve_config(overrides=over)
    estimate = sum(footprint.estimate(cfg).values())
    peak = built_bytes(cfg)
    # an upper bound, within 25 % (the replacement state is budgeted at its widest, 8 B)
    assert 0.75 * estimate < peak <= estimate, (over, peak, estimate)


def test_prefetcher_bit_only_with_a_prefetcher():
    base = footprint.estimate(resolve_config(overrides={"l1d.size": "1MiB"}))
    pf = footprint.estimate(resolve_config(overrides={"l1d.size": "1MiB",
                                                      "l1d.prefetcher": "next_line"}))
    assert pf["l1d"] - base["l1d"] == MiB // 64 * footprint.PREFETCH_BYTES_PER_LINE
    assert pf["l1i"] == base["l1i"]


def test_private_levels_once_per_core_with_their_coherence_state():
    one = footprint.estimate(resolve_config(overrides={"l3": "default"}))
    four = resolve_config(overrides={"l3": "default", "cores": 4})
    parts = footprint.estimate(four)
    coh = footprint.COHERENCE_BYTES_PER_LINE
    for name in ("l1i", "l1d", "l2"):          # private (auto with an L3)
        lines = getattr(four, name).size // 64
        assert parts[name] == 4 * (one[name] + lines * coh), name
    assert parts["l3"] == one["l3"]             # shared: once, no coherence state
    none = footprint.estimate(resolve_config(overrides={"l3": "default", "cores": 4,
                                                        "coherence.protocol": "none"}))
    assert none["l1d"] == 4 * one["l1d"]
    peak = built_bytes(four)
    assert 0.75 * sum(parts.values()) < peak <= sum(parts.values())
