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

With cores = N (docs/caches.md, "Several cores"): h.cores[i] is core i's private part
(.l1i, .l1d, .levels, .tlbs), h.shared the shared levels; private stats names carry the
core ("core1.l1d.misses"). With a coherence protocol (docs/coherence.md) the private
caches of each core reach the first shared level through the core's CoherencePort and the
Directory, h.shared["coherence"] (stats "coherence.*").
"""
from __future__ import annotations

from caches.cache import Cache, run_stream
from caches.coherence import CoherencePort, Directory
from caches.config import (COHERENCE_FABRICS, COHERENCE_PROTOCOLS, CacheConfig,
                           CoherenceConfig, classifies)
from caches.dram import Dram, FixedMemory
from caches.policies import POLICIES
from caches.prefetchers import PREFETCHERS
from caches.tlb import MODES, PageTableWalker, Tlb, Translator
from cyclesim.errors import ConfigError
from cyclesim.units import parse_frequency, parse_size, parse_time, time_to_cycles


MAX_CORES = 64      # harts of one machine (a directory's sharer set is one 64-bit word)


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


class CoreCaches:
    """The private part of the hierarchy of one core: `l1i`/`l1d` are what its timing model
    talks to (Translators when translation is on), `levels` its private caches by their
    short names ("l1i", "l1d", ["l2", ["l3"]]), `tlbs` its translation structures."""

    def __init__(self, index, l1i, l1d, levels, tlbs=None):
        self.index = index
        self.l1i = l1i
        self.l1d = l1d
        self.levels = levels
        self.tlbs = tlbs or {}

    def __repr__(self):
        return f"CoreCaches(core {self.index}: {', '.join(self.levels)})"


class Hierarchy:
    """The caches and main memory of one or more cores, wired together.

    `levels` and `tlbs` hold every part by its stats name: with one core "l1d", "l2", ...;
    with several, a private part is "core<i>.l1d" (and "core<i>.dtlb") and a shared one
    keeps its plain name ("l3", "dram"). `cores[i]` is core i's private part, `shared` the
    levels every core reaches (the shared caches and main memory)."""

    def __init__(self, l1i, l1d, levels, tlbs=None, cores=None, shared=None):
        self.l1i = l1i
        self.l1d = l1d
        self.levels = levels          # name -> level, from the core outwards
        self.tlbs = tlbs or {}        # translation structures (empty: translation off)
        if cores is None:             # one core: everything but main memory is private
            private = {n: lv for n, lv in levels.items() if isinstance(lv, Cache)}
            tlb_parts = {n: p for n, p in self.tlbs.items()}
            cores = [CoreCaches(0, l1i, l1d, private, tlb_parts)]
            shared = {n: lv for n, lv in levels.items() if not isinstance(lv, Cache)}
        self.cores = cores
        self.shared = shared or {}
        self._settle = [lv.settle for lv in self.shared.values()
                        if getattr(lv, "cycle_ordered", False)]

    def settle(self, cycle):
        """No core sends a request before `cycle` any more: the shared levels forget the
        reservations that ended by then (docs/engine.md, "Cycle order at the shared levels")."""
        for settle in self._settle:
            settle(cycle)

    def _instructions_of(self, name, instructions):
        """The instruction count a level's MPKI is taken over: its core's for a private
        part of several cores (None when only a total was given), else the total."""
        if isinstance(instructions, (list, tuple)):
            if name.startswith("core") and "." in name:
                return instructions[int(name[4:name.index(".")])]
            return sum(instructions)
        if len(self.cores) > 1 and name.startswith("core"):
            return None
        return instructions

    def stats(self, instructions=None):
        """Every counter with a dotted name ("l1d.misses", "dram.row_hits", ...; with
        several cores "core0.l1d.misses", shared levels unprefixed); with `instructions`
        (a total, or a list with one count per core), also "<cache>.mpki" (misses per
        thousand instructions; a private level's over its core's instructions, which a
        total alone does not give)."""
        if isinstance(instructions, (list, tuple)) and len(instructions) != len(self.cores):
            raise ValueError(f"stats got {len(instructions)} instruction counts for "
                             f"{len(self.cores)} cores; give one per core")
        out = {}
        for name, level in self.levels.items():
            s = level.stats()
            for k, v in s.items():
                out[f"{name}.{k}"] = v
            if instructions is not None and isinstance(level, Cache):
                n = self._instructions_of(name, instructions)
                if n is not None:
                    out[f"{name}.mpki"] = 1000.0 * s["misses"] / n if n else 0.0
        for name, part in self.tlbs.items():
            s = part.stats()
            out.update({f"{name}.{k}": v for k, v in s.items()})
            if instructions is not None and "misses" in s:
                n = self._instructions_of(name, instructions)
                if n is not None:
                    out[f"{name}.mpki"] = 1000.0 * s["misses"] / n if n else 0.0
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


def make_translation(tlb, l1ic, l1dc, l2c, prefix="", phys_offset=0):
    """Translators in front of one core's L1s, the core's L2 TLB (shared by its ITLB and
    DTLB) and its walker, from a TlbConfig-like object; returns (itlb, dtlb, tlbs) with tlbs
    the dict Hierarchy.tlbs holds. `prefix` ("core1.") names the parts of one of several
    cores. `phys_offset` moves the walker's frames (and page tables) up from tlb.phys_base:
    the physical range of one program of several (docs/engine.md, "Multi-program runs")."""
    mode = getattr(tlb, "mode", "sv39")
    if mode not in MODES:
        raise ConfigError(f"tlb.mode is {mode!r}; use sv39 or sv48")
    port = getattr(tlb, "walk_port", "l1d")
    if port == "l2" and l2c is None:
        raise ConfigError("tlb.walk_port = l2 but there is no l2; use walk_port = l1d")
    walker = PageTableWalker(l2c if port == "l2" else l1dc, levels=MODES[mode],
                             pwc_entries=int(tlb.pwc_entries),
                             phys_base=int(tlb.phys_base) + int(phys_offset))
    l2t = None
    if int(tlb.l2tlb_entries):
        l2t = Tlb(tlb.l2tlb_entries, tlb.l2tlb_assoc, tlb.l2tlb_latency,
                  superpages=bool(tlb.l2_superpages), name=f"{prefix}tlb.l2tlb")
    sp = bool(getattr(tlb, "l1_superpages", True))
    itlb = Translator(l1ic, Tlb(tlb.itlb_entries, tlb.itlb_assoc, tlb.itlb_latency,
                                superpages=sp, name=f"{prefix}tlb.itlb"), l2t, walker,
                       name=f"{prefix}itlb")
    dtlb = Translator(l1dc, Tlb(tlb.dtlb_entries, tlb.dtlb_assoc, tlb.dtlb_latency,
                                superpages=sp, name=f"{prefix}tlb.dtlb"), l2t, walker,
                       name=f"{prefix}dtlb")
    tlbs = {"itlb": itlb, "dtlb": dtlb}
    if l2t is not None:
        tlbs["l2tlb"] = l2t
    tlbs["walker"] = walker
    return itlb, dtlb, tlbs


def make_directory(coherence, cores, first_shared):
    """The Directory keeping `cores` cores' private caches coherent in front of
    `first_shared`, from a CoherenceConfig-like object; None without a protocol (one core,
    coherence None, or protocol none)."""
    if coherence is None or cores == 1:
        return None
    protocol = getattr(coherence, "protocol", "mesi")
    if protocol not in COHERENCE_PROTOCOLS:
        raise ConfigError(f"coherence.protocol is {protocol!r}; use one of "
                          f"{', '.join(COHERENCE_PROTOCOLS)}")
    if protocol == "none":
        return None
    fabric = getattr(coherence, "fabric", "directory")
    if fabric not in COHERENCE_FABRICS:
        raise ConfigError(f"coherence.fabric is {fabric!r}; use one of "
                          f"{', '.join(COHERENCE_FABRICS)}")
    defaults = CoherenceConfig()

    def cycles(field):
        value = int(getattr(coherence, field, getattr(defaults, field)))
        if not 0 <= value <= 10_000:
            raise ConfigError(f"coherence.{field} is {value}; it must be 0 to 10000 cycles")
        return value

    lookup = cycles("snoop_latency" if fabric == "snoop" else "directory_latency")
    line = getattr(first_shared, "line_size", None)
    return Directory(first_shared, cores, protocol, fabric, lookup,
                     cycles("invalidation_latency"), cycles("intervention_latency"),
                     line if line is not None else 64)


def join_coherence(directory, port, core, private, first_shared, name_of):
    """Put core `core`'s private caches (in the order L1I, L1D, L2, L3) under the protocol."""
    line = getattr(first_shared, "line_size", None)
    for cache in private:
        if line is not None and cache.line_size != line:
            raise ConfigError(f"{cache.name}.line_size is {cache.line_size} B but the shared "
                              f"level's is {line} B; coherent levels need one line size")
    port.attach(private[0])
    for cache, sibling in zip(private, private[1:] + [None]):
        cache.join_coherence(core, port, sibling, directory.moesi)


def level_is_shared(name, cfg, has_l3):
    """True when cache level `name` is one for all cores (see CacheConfig.sharing): auto
    makes the L1s private, the L2 private when an L3 follows it and shared when it is the
    last level, and the L3 shared."""
    sharing = getattr(cfg, "sharing", "auto")
    if sharing not in ("auto", "private", "shared"):
        raise ConfigError(f"{name}.sharing is {sharing!r}; use auto, private or shared")
    if name in ("l1i", "l1d"):
        if sharing == "shared":
            raise ConfigError(f"{name}.sharing = shared: an L1 sits inside its core; use "
                              f"private or auto")
        return False
    if sharing == "auto":
        return name == "l3" or not has_l3
    return sharing == "shared"


def build_hierarchy(l1i, l1d, l2, l3, memory, frequency, classify_misses=None, tlb=None,
                    cores=1, coherence=None, phys_offsets=None, shared_entry=None):
    """Wire, for each of `cores` cores, L1I + L1D -> unified L2 -> optional L3 -> main
    memory, each level private to its core or shared by all (CacheConfig.sharing).

    l1i, l1d, l2, l3: CacheConfig-like objects (l2 and l3 may be None); memory: MemoryLevel-
    like; frequency: core clock in Hz (or "2GHz"), used to turn DRAM times into cycles.
    classify_misses: None = each level's classify_misses field (a config-like object
    without one: "auto", on at L2/L3 only); False turns the fully-associative shadow caches
    off everywhere (faster; no 3C split; sampled runs), True on everywhere. tlb: a TlbConfig-like object; when given with enabled = true
    each core talks to Translators (its TLBs + walker) in front of its L1s. coherence: a
    CoherenceConfig-like object (None: no coherence protocol). phys_offsets: per core, where
    its walker's physical frames start above tlb.phys_base (None: all at phys_base).
    shared_entry: a callable (core, level) -> MemoryLevel put between core c's private
    levels and the first shared level (or its coherence port), e.g. to count its traffic."""
    f = parse_frequency(frequency, "core.frequency")
    if not f > 0:
        raise ConfigError(f"core.frequency is {frequency!r}; it must be positive")
    if l3 is not None and l2 is None:
        raise ConfigError("l3 is set but l2 is none; an L3 needs an L2 (set l3=none or give an l2)")
    cores = int(cores)
    if not 1 <= cores <= MAX_CORES:
        raise ConfigError(f"cores is {cores}; it must be between 1 and {MAX_CORES}")
    last = l3 if l3 is not None else l2 if l2 is not None else l1d
    last_name = "l3" if l3 is not None else "l2" if l2 is not None else "l1d"
    last_line = _bytes(getattr(last, "line_size", 64), f"{last_name}.line_size")
    mem_name, mem = make_memory(memory, f, last_line)
    has_l3 = l3 is not None
    for name, cfg in (("l1i", l1i), ("l1d", l1d)):
        level_is_shared(name, cfg, has_l3)
    l2_shared = l2 is not None and level_is_shared("l2", l2, has_l3)
    l3_shared = has_l3 and level_is_shared("l3", l3, has_l3)
    if l2_shared and has_l3 and not l3_shared:
        raise ConfigError("l3.sharing = private but the l2 is shared: a private level cannot "
                          "sit below a shared one; share the l3 too or make the l2 private")
    multi = cores > 1

    def name_of(level, core):      # stats name of a level: private ones carry the core
        return f"core{core}.{level}" if multi else level

    # The shared levels (one each), from memory upwards.
    l3_all = make_cache(l3, "l3", 3, mem, classify_misses) if l3_shared else None
    l2_all = (make_cache(l2, "l2", 2, l3_all if has_l3 else mem, classify_misses)
              if l2_shared else None)
    first_shared = l2_all if l2_all is not None else l3_all if l3_all is not None else mem
    directory = make_directory(coherence, cores, first_shared)
    per_core = []
    ports = []
    for c in range(cores):
        # core c's private levels miss into its coherence port when there is a protocol
        below = CoherencePort(directory, c) if directory is not None else first_shared
        ports.append(below)
        if shared_entry is not None and cores > 1:
            below = shared_entry(c, below)
        l3c = l3_all
        if has_l3 and not l3_shared:
            l3c = make_cache(l3, name_of("l3", c), 3, below, classify_misses)
        l2c = l2_all
        if l2 is not None and not l2_shared:
            l2c = make_cache(l2, name_of("l2", c), 2, l3c if l3c is not None and not l3_shared
                             else below, classify_misses)
        below_l1 = l2c if l2c is not None and not l2_shared else below
        l1ic = make_cache(l1i, name_of("l1i", c), 1, below_l1, classify_misses)
        l1dc = make_cache(l1d, name_of("l1d", c), 1, below_l1, classify_misses)
        private = {"l1i": l1ic, "l1d": l1dc}
        if l2c is not None and not l2_shared:
            private["l2"] = l2c
        if l3c is not None and not l3_shared:
            private["l3"] = l3c
        per_core.append((l1ic, l1dc, l2c, l3c, private))
        if directory is not None:
            join_coherence(directory, ports[c], c, list(private.values()), first_shared,
                           name_of)
    # Inclusion: an inclusive level back-invalidates every cache above it (all cores' for a
    # shared one), in the order L2, L1I, L1D of core 0, then core 1, ...
    for c, (l1ic, l1dc, l2c, l3c, private) in enumerate(per_core):
        if l2c is not None and l2c.inclusive and not l2_shared:
            for upper in (l1ic, l1dc):
                l2c.add_upper(upper)
        if l3c is not None and l3c.inclusive and not l3_shared:
            for upper in (l2c, l1ic, l1dc):
                l3c.add_upper(upper)
    if l2_all is not None and l2_all.inclusive:
        for l1ic, l1dc, *_ in per_core:
            l2_all.add_upper(l1ic)
            l2_all.add_upper(l1dc)
    if l3_all is not None and l3_all.inclusive:
        if l2_all is not None:
            l3_all.add_upper(l2_all)
        for l1ic, l1dc, l2c, _, _ in per_core:
            if l2_all is None:
                l3_all.add_upper(l2c)
            l3_all.add_upper(l1ic)
            l3_all.add_upper(l1dc)

    levels = {}
    tlbs = {}
    core_parts = []
    translate = tlb is not None and getattr(tlb, "enabled", False)
    for c, (l1ic, l1dc, l2c, l3c, private) in enumerate(per_core):
        for short, cache in private.items():
            levels[name_of(short, c)] = cache
        top_i, top_d, core_tlbs = l1ic, l1dc, {}
        if translate:
            top_i, top_d, core_tlbs = make_translation(
                tlb, l1ic, l1dc, l2c, f"core{c}." if multi else "",
                phys_offsets[c] if phys_offsets is not None else 0)
            tlbs.update({name_of(n, c): p for n, p in core_tlbs.items()})
        core_parts.append(CoreCaches(c, top_i, top_d, private, core_tlbs))
    shared = {}
    if directory is not None:
        shared["coherence"] = directory
    if l2_all is not None:
        shared["l2"] = l2_all
    if l3_all is not None:
        shared["l3"] = l3_all
    shared[mem_name] = mem
    if multi:
        # several cores reach these in the order of their turns, not of their cycles
        for level in shared.values():
            if hasattr(level, "order_by_cycle"):
                level.order_by_cycle()
    levels.update(shared)
    return Hierarchy(core_parts[0].l1i, core_parts[0].l1d, levels, tlbs, core_parts, shared)
