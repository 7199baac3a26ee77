"""Build the memory hierarchy from config objects (field names: caches/config.py).

    h = build_hierarchy(l1i, l1d, l2, l3, memory, frequency)
    h.l1i, h.l1d          the MemoryLevel objects the core talks to
    h.levels              {"l1i": Cache, "l1d": Cache, "l2": Cache, ["l3": Cache,]
                           "dram": Dram | "memory": FixedMemory}
    h.stats(instructions) {"l1d.misses": ..., "l1d.mpki": ..., "dram.row_hits": ...}
    h.reset_stats()       zero every counter, keep contents (end of warm-up)
    h.tlbs                {} or, with translation on, {"itlb": Translator, "dtlb": Translator,
                           ["l2tlb": Tlb,] "walker": PageTableWalker}; h.l1i/h.l1d are then
                           the Translators in front of the L1 caches

The L1s miss into one unified L2, the L2 into the L3 when there is one, the last cache into
main memory. An inclusive level back-invalidates every cache above it.
"""
from __future__ import annotations

from caches.cache import Cache, run_stream
from caches.config import CacheConfig, classifies
from caches.dram import Dram, FixedMemory
from caches.policies import POLICIES
from caches.prefetchers import PREFETCHERS
from caches.tlb import MODES, PageTableWalker, Tlb, Translator
from cyclesim.errors import ConfigError
from cyclesim.units import parse_frequency, parse_size, parse_time, time_to_cycles


def to_cycles(seconds, frequency_hz):
    """A time (seconds or "13.75ns") as whole core cycles, rounded up exactly (the rule
    of cyclesim.units.time_to_cycles, which MemoryConfig.in_cycles also uses)."""
    return time_to_cycles(seconds, frequency_hz)


def _bytes(value, what):
    return parse_size(value, what)


def make_cache(cfg, name, level_id, next_level, classify_misses=None):
    """One Cache from a CacheConfig-like object; classify_misses None: as its
    classify_misses field says (caches.config.classifies), True/False: on/off."""
    if classify_misses is None:
        mode = getattr(cfg, "classify_misses", CacheConfig.classify_misses)
        try:
            classify_misses = classifies(mode, level_id)
        except ValueError as e:
            raise ConfigError(f"{name}.{e}") from None
    policy = getattr(cfg, "policy", "lru")
    plugin = POLICIES.get(policy, f"{name}.policy")   # an unknown name lists the known ones
    # A table left over from another policy (cfg.policy assigned directly) is not this
    # policy's: it then runs with its defaults.
    params = getattr(cfg, "policy_params", None)
    if not isinstance(params, plugin.params):
        params = None
    size = _bytes(cfg.size, f"{name}.size")
    line = _bytes(getattr(cfg, "line_size", 64), f"{name}.line_size")
    assoc = int(cfg.assoc)
    if assoc < 1 or size % (assoc * line):
        raise ConfigError(f"{name}.assoc ({assoc}) x {name}.line_size ({line} B) must divide "
                          f"{name}.size ({size} B)")
    return Cache(size, assoc, line_size=line, hit_latency=int(cfg.hit_latency),
                 policy=policy, policy_params=params,
                 prefetcher=make_prefetcher(cfg, name, line),
                 write_policy=getattr(cfg, "write_policy", "write_back"),
                 write_allocate=bool(getattr(cfg, "write_allocate", True)),
                 inclusion=getattr(cfg, "inclusion", "non_inclusive"),
                 mshrs=int(getattr(cfg, "mshrs", 8)), seed=int(getattr(cfg, "seed", 1)),
                 next=next_level, level_id=level_id, name=name,
                 classify_misses=classify_misses, ports=int(getattr(cfg, "ports", 1)),
                 writeback_buffer=int(getattr(cfg, "writeback_buffer", 8)),
                 write_through_buffer=int(getattr(cfg, "write_through_buffer", 8)))


def make_prefetcher(cfg, name, line_size):
    """The prefetcher a CacheConfig-like object names (None for "none"), built for a cache
    of `line_size`-byte lines called `name`."""
    plugin = PREFETCHERS.get(getattr(cfg, "prefetcher", "none"), f"{name}.prefetcher")
    params = getattr(cfg, "prefetcher_params", None)
    if not isinstance(params, plugin.params):   # left over from another prefetcher
        params = plugin.params()
    params.validate(f"{name}.prefetcher_params")
    return plugin.factory(params, line_size=line_size, level=name)


def make_memory(cfg, frequency_hz, line_size):
    """Main memory from a MemoryConfig-like object; returns (name, level)."""
    kind = getattr(cfg, "kind", "dram")
    if kind == "fixed":
        return "memory", FixedMemory(int(cfg.latency))
    if kind != "dram":
        raise ConfigError(f"memory.kind is {kind!r}; use dram or fixed")

    from caches.config import MemoryConfig
    defaults = MemoryConfig()

    def get(field):            # a config-like object may leave newer fields out
        return getattr(cfg, field, getattr(defaults, field))

    def cyc(field):
        return to_cycles(parse_time(get(field), f"memory.{field}"), frequency_hz)

    times = {name: cyc(name) for name in MemoryConfig.DRAM_TIMES}
    return "dram", Dram(banks=int(get("banks")),
                        row_size=_bytes(get("row_size"), "memory.row_size"),
                        mapping=get("mapping"), line_size=line_size,
                        channels=int(get("channels")), ranks=int(get("ranks")),
                        bank_groups=int(get("bank_groups")),
                        queue_size=int(get("queue_size")), page_policy=get("page_policy"),
                        scheduler=get("scheduler"), frequency=frequency_hz, **times)


class Hierarchy:
    """The caches and main memory of one core, wired together."""

    def __init__(self, l1i, l1d, levels, tlbs=None):
        self.l1i = l1i
        self.l1d = l1d
        self.levels = levels          # name -> level, from the core outwards
        self.tlbs = tlbs or {}        # translation structures (empty: translation off)

    def stats(self, instructions=None):
        """Every counter with a dotted name ("l1d.misses", "dram.row_hits", ...); with
        `instructions`, also "<cache>.mpki" (misses per thousand instructions)."""
        out = {}
        for name, level in self.levels.items():
            s = level.stats()
            for k, v in s.items():
                out[f"{name}.{k}"] = v
            if instructions is not None and isinstance(level, Cache):
                out[f"{name}.mpki"] = (1000.0 * s["misses"] / instructions
                                       if instructions else 0.0)
        for name, part in self.tlbs.items():
            s = part.stats()
            out.update({f"{name}.{k}": v for k, v in s.items()})
            if instructions is not None and "misses" in s:
                out[f"{name}.mpki"] = (1000.0 * s["misses"] / instructions
                                       if instructions else 0.0)
        return out

    def prefetcher_error(self):
        """The failure of a Python prefetcher that must stop the run (one line), or None."""
        for level in self.levels.values():
            pf = getattr(level, "prefetcher", None)
            if pf is not None and pf.error() is not None:
                return pf.error()
        return None

    @property
    def has_fallible_prefetcher(self):
        """True when some level runs a prefetcher that can fail (a Python one)."""
        return any(getattr(getattr(lv, "prefetcher", None), "name", "") == "python"
                   for lv in self.levels.values())

    def reset_stats(self):
        """Zero every counter, keep cache contents and DRAM row state (end of warm-up)."""
        for level in self.levels.values():
            level.reset_stats()
        for part in self.tlbs.values():
            part.reset_stats()

    def reset(self):
        """Empty every cache, close every DRAM row, zero every counter."""
        for level in self.levels.values():
            level.reset()
        for part in self.tlbs.values():
            part.reset()

    def run_stream(self, addrs, kinds, start=0):
        """Blocking accesses one after another (see caches.cache.run_stream)."""
        return run_stream(self.l1i, self.l1d, addrs, kinds, start)

    def describe(self):
        parts = list(self.levels.items()) + list(self.tlbs.items())
        return "\n".join(f"{name}: {level!r}" for name, level in parts)

    def __repr__(self):
        return f"Hierarchy({', '.join(self.levels)})"


def make_translation(tlb, l1ic, l1dc, l2c):
    """Translators in front of the L1s, a shared L2 TLB and the walker, from a TlbConfig-
    like object; returns (itlb, dtlb, tlbs) with tlbs the dict Hierarchy.tlbs holds."""
    mode = getattr(tlb, "mode", "sv39")
    if mode not in MODES:
        raise ConfigError(f"tlb.mode is {mode!r}; use sv39 or sv48")
    port = getattr(tlb, "walk_port", "l1d")
    if port == "l2" and l2c is None:
        raise ConfigError("tlb.walk_port = l2 but there is no l2; use walk_port = l1d")
    walker = PageTableWalker(l2c if port == "l2" else l1dc, levels=MODES[mode],
                             pwc_entries=int(tlb.pwc_entries), phys_base=int(tlb.phys_base))
    l2t = None
    if int(tlb.l2tlb_entries):
        l2t = Tlb(tlb.l2tlb_entries, tlb.l2tlb_assoc, tlb.l2tlb_latency,
                  superpages=bool(tlb.l2_superpages), name="tlb.l2tlb")
    sp = bool(getattr(tlb, "l1_superpages", True))
    itlb = Translator(l1ic, Tlb(tlb.itlb_entries, tlb.itlb_assoc, tlb.itlb_latency,
                                superpages=sp, name="tlb.itlb"), l2t, walker, name="itlb")
    dtlb = Translator(l1dc, Tlb(tlb.dtlb_entries, tlb.dtlb_assoc, tlb.dtlb_latency,
                                superpages=sp, name="tlb.dtlb"), l2t, walker, name="dtlb")
    tlbs = {"itlb": itlb, "dtlb": dtlb}
    if l2t is not None:
        tlbs["l2tlb"] = l2t
    tlbs["walker"] = walker
    return itlb, dtlb, tlbs


def build_hierarchy(l1i, l1d, l2, l3, memory, frequency, classify_misses=None, tlb=None):
    """Wire L1I + L1D -> unified L2 -> optional L3 -> main memory.

    l1i, l1d, l2, l3: CacheConfig-like objects (l2 and l3 may be None); memory: MemoryConfig-like;
    frequency: core clock in Hz (or "2GHz"), used to turn DRAM times into cycles.
    classify_misses: None = each level's classify_misses field (a config-like object
    without one: "auto", on at L2/L3 only); False turns the fully-associative shadow caches
    off everywhere (faster; no 3C split; sampled runs), True on everywhere. tlb: a TlbConfig-like object; when given with enabled = true
    the core talks to Translators (TLBs + walker) in front of the L1s."""
    f = parse_frequency(frequency, "core.frequency")
    if not f > 0:
        raise ConfigError(f"core.frequency is {frequency!r}; it must be positive")
    if l3 is not None and l2 is None:
        raise ConfigError("l3 is set but l2 is none; an L3 needs an L2 (set l3=none or give an l2)")
    last = l3 if l3 is not None else l2 if l2 is not None else l1d
    last_name = "l3" if l3 is not None else "l2" if l2 is not None else "l1d"
    last_line = _bytes(getattr(last, "line_size", 64), f"{last_name}.line_size")
    mem_name, mem = make_memory(memory, f, last_line)
    l3c = make_cache(l3, "l3", 3, mem, classify_misses) if l3 is not None else None
    l2c = (make_cache(l2, "l2", 2, l3c if l3c is not None else mem, classify_misses)
           if l2 is not None else None)
    below_l1 = l2c if l2c is not None else mem      # without an L2 the L1s talk to memory
    l1ic = make_cache(l1i, "l1i", 1, below_l1, classify_misses)
    l1dc = make_cache(l1d, "l1d", 1, below_l1, classify_misses)
    caches_above = {"l2": [l1ic, l1dc], "l3": [l2c, l1ic, l1dc]}
    for name, cache in (("l2", l2c), ("l3", l3c)):
        if cache is not None and cache.inclusive:
            for upper in caches_above[name]:
                cache.add_upper(upper)
    levels = {"l1i": l1ic, "l1d": l1dc}
    if l2c is not None:
        levels["l2"] = l2c
    if l3c is not None:
        levels["l3"] = l3c
    levels[mem_name] = mem
    if tlb is not None and getattr(tlb, "enabled", False):
        itlb, dtlb, tlbs = make_translation(tlb, l1ic, l1dc, l2c)
        return Hierarchy(itlb, dtlb, levels, tlbs)
    return Hierarchy(l1ic, l1dc, levels)
