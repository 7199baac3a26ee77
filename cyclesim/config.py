"""The whole simulated system's configuration: ``SystemConfig`` (alias ``Config``).

A config is one component dataclass per part of the machine (fields, units, defaults and
help live next to each component: ``pipeline/config.py`` and ``caches/config.py``) plus the
checks that span parts. Build one with::

    resolve_config()                                  # the "default" preset
    resolve_config(preset="embedded", overrides={"l1d.size": "8KiB"})
    resolve_config("machine.toml", overrides=["l3.size=4MiB"])   # CLI --set strings
    SystemConfig.from_dict({"preset": "application", "l2": {"hit_latency": 14}})

``to_dict()`` writes units back ("32KiB", "1GHz", "13.75ns"); ``save``/``from_file`` read
and write .toml, .yaml/.yml and .json and round-trip exactly. ``python -m cyclesim.config``
regenerates docs/config.md from the field metadata.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caches.config import CacheConfig, CoherenceConfig, MemoryConfig, TlbConfig, default_cache
from cyclesim.engine_config import MAX_CORES, EngineConfig
from cyclesim.errors import ConfigError
from cyclesim.params import Params, unknown_key
from cyclesim.units import format_frequency, format_size, format_time, shown
from pipeline.config import BranchPredictorConfig, CoreConfig

__all__ = ["presets", "SystemConfig", "Config", "resolve_config", "parse_assignments", "LEVELS",
           "SECTIONS", "config_reference", "CoreConfig", "BranchPredictorConfig",
           "CacheConfig", "MemoryConfig"]

LEVELS = ("l1i", "l1d", "l2", "l3")
# Top-level sections and the component class of each (every level is a CacheConfig).
SECTIONS: dict[str, type[Params]] = {
    "core": CoreConfig, "bpred": BranchPredictorConfig, "l1i": CacheConfig,
    "l1d": CacheConfig, "l2": CacheConfig, "l3": CacheConfig, "memory": MemoryConfig,
    "coherence": CoherenceConfig,
    "tlb": TlbConfig, "engine": EngineConfig,
}
# Top-level scalars (not sections): the config's name, the number of harts and the
# per-core overrides of a heterogeneous machine.
SCALARS = ("name", "cores", "per_core", "workloads")
TOP_KEYS = ("name",) + tuple(SECTIONS) + ("cores", "per_core", "workloads")
# Sections a per_core entry may change (the caches of every core are alike: caches/).
PER_CORE_SECTIONS = ("core", "bpred")
# Only these levels may be absent: the L1s always exist.
OPTIONAL_LEVELS = ("l2", "l3")
_OFF = {"none", "off", "null", "false", "no"}
_ON = {"default", "on", "true", "yes"}
FILE_SUFFIXES = (".toml", ".yaml", ".yml", ".json")


@dataclass(repr=True)
class SystemConfig:
    """``cores`` harts, each with its core model, branch predictor and private L1I/L1D,
    optional L2 and L3, and main memory.

    ``l2 = None``: the L1s talk to memory directly. ``l3 = None`` (the default): the L2 is
    the last level. Every cache level uses the same line size. With ``cores > 1`` the
    ``engine`` section says how the harts share simulated time (docs/engine.md).
    """

    name: str = "default"
    cores: int = 1
    # [{"cores": [1, 2, 3], "core": {...}, "bpred": {...}}, ...]: harts whose core and
    # branch predictor differ from the `core` / `bpred` sections (hart_config)
    per_core: list = field(default_factory=list)
    # ["sort 20000", "matmul 32"]: programs run together, program i on hart i, when run()
    # is given no program (docs/engine.md, "Multi-program runs"); empty: none
    workloads: list = field(default_factory=list)
    core: CoreConfig = field(default_factory=CoreConfig)
    bpred: BranchPredictorConfig = field(default_factory=BranchPredictorConfig)
    l1i: CacheConfig = field(default_factory=lambda: default_cache("l1i"))
    l1d: CacheConfig = field(default_factory=lambda: default_cache("l1d"))
    l2: CacheConfig | None = field(default_factory=lambda: default_cache("l2"))
    l3: CacheConfig | None = None
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    coherence: CoherenceConfig = field(default_factory=CoherenceConfig)
    tlb: TlbConfig = field(default_factory=TlbConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    # -- levels ----------------------------------------------------------------------------

    def cache_levels(self) -> list[tuple[str, CacheConfig]]:
        """(name, config) of the cache levels present, L1I and L1D first."""
        return [(n, getattr(self, n)) for n in LEVELS if getattr(self, n) is not None]

    @property
    def last_level(self) -> tuple[str, CacheConfig]:
        """The cache level in front of memory (l3, else l2, else l1d)."""
        for n in ("l3", "l2", "l1d"):
            if getattr(self, n) is not None:
                return n, getattr(self, n)
        raise AssertionError("l1d is always present")

    def hart_config(self, i: int) -> tuple[CoreConfig, BranchPredictorConfig]:
        """(core, bpred) of hart i: the sections, with the per_core entry naming i over."""
        core, bpred = self.core, self.bpred
        for k, entry in enumerate(self.per_core):
            if i in entry["cores"]:
                if "core" in entry:
                    core = core.updated(dict(entry["core"]), f"per_core[{k}].core")
                if "bpred" in entry:
                    bpred = bpred.updated(dict(entry["bpred"]), f"per_core[{k}].bpred")
        return core, bpred

    def _check_per_core(self) -> None:
        if not isinstance(self.per_core, list):
            raise ConfigError(f"per_core = {shown(self.per_core)}: must be a list of tables, "
                              'each {"cores": [hart numbers], "core": {...}, "bpred": {...}}.')
        taken: dict[int, int] = {}
        for k, entry in enumerate(self.per_core):
            where = f"per_core[{k}]"
            if not isinstance(entry, Mapping) or "cores" not in entry:
                raise ConfigError(f"{where} = {shown(entry)}: must be a table with a `cores` "
                                  "list (the harts it applies to) and core/bpred tables.")
            for key in entry:
                if key not in ("cores",) + PER_CORE_SECTIONS:
                    raise unknown_key(where, key, ("cores",) + PER_CORE_SECTIONS)
            harts = entry["cores"]
            if isinstance(harts, int) and not isinstance(harts, bool):
                harts = [harts]
            if not isinstance(harts, list) or not harts or any(
                    isinstance(h, bool) or not isinstance(h, int) for h in harts):
                raise ConfigError(f"{where}.cores = {shown(entry['cores'])}: give a list of "
                                  "hart numbers, e.g. [1, 2, 3].")
            for h in harts:
                if not 0 <= h < self.cores:
                    raise ConfigError(f"{where}.cores names hart {h}, but cores = "
                                      f"{self.cores} (harts 0 to {self.cores - 1}).")
                if h in taken:
                    raise ConfigError(f"{where}.cores names hart {h}, which per_core"
                                      f"[{taken[h]}] already sets; give each hart once.")
                taken[h] = k
            for sec in PER_CORE_SECTIONS:
                if sec in entry and not isinstance(entry[sec], Mapping):
                    raise ConfigError(f"{where}.{sec} = {shown(entry[sec])}: must be a table "
                                      f"of {sec} settings.")
            if "frequency" in entry.get("core", {}):
                raise ConfigError(f"{where}.core.frequency: every hart runs on the one clock "
                                  "(core.frequency); drop it from per_core.")
            self.per_core[k] = {"cores": sorted(harts), **{
                sec: dict(entry[sec]) for sec in PER_CORE_SECTIONS if sec in entry}}
            for sec in PER_CORE_SECTIONS:
                if sec in entry:
                    part = getattr(self, sec).updated(dict(entry[sec]), f"{where}.{sec}")
                    part.validate(f"{where}.{sec}")
                    part.check_ranges(f"{where}.{sec}")

    # -- checks ----------------------------------------------------------------------------

    def validate(self) -> SystemConfig:
        """Check every component and the rules across levels; returns self."""
        if not isinstance(self.name, str):
            raise ConfigError(f"name = {self.name!r}: must be text.")
        if isinstance(self.cores, str) and self.cores.strip().isdigit() \
                and len(self.cores.strip()) <= 20:    # longer is out of range (and int() refuses)
            self.cores = int(self.cores.strip())
        if isinstance(self.cores, bool) or not isinstance(self.cores, int) \
                or not 1 <= self.cores <= MAX_CORES:
            raise ConfigError(f"cores = {shown(self.cores)}: give the number of harts, a whole "
                              f"number from 1 to {MAX_CORES}.")
        self._check_per_core()
        self._check_workloads()
        for sec, cls in SECTIONS.items():
            value = getattr(self, sec)
            if value is None and sec in OPTIONAL_LEVELS:
                continue
            if not isinstance(value, cls):
                raise ConfigError(f"{sec} = {shown(value)}: must be a {cls.__name__}"
                                  f"{' or None' if sec in OPTIONAL_LEVELS else ''}.")
            value.validate(sec)
            value.check_ranges(sec)
        if self.l3 is not None and self.l2 is None:
            raise ConfigError("l3 is set but l2 is none: an L3 sits behind an L2; set l2 or "
                              "remove l3.")
        for n in ("l1i", "l1d"):
            if getattr(self, n).inclusion == "inclusive":
                raise ConfigError(f"{n}.inclusion = inclusive: an L1 has no cache above it "
                                  f"to include; use non_inclusive.")
        line = self.l1d.line_size
        for n, c in self.cache_levels():
            if c.line_size != line:
                raise ConfigError(f"{n}.line_size = {format_size(c.line_size)}: must equal "
                                  f"l1d.line_size ({format_size(line)}); every cache level "
                                  f"uses one line size.")
        self._check_inclusion()
        if self.tlb.enabled and self.tlb.walk_port == "l2" and self.l2 is None:
            raise ConfigError("tlb.walk_port = l2 but l2 is none: the walker needs an L2 to "
                              "send PTE loads to; set walk_port = l1d or add an l2.")
        if self.memory.kind == "dram" and self.memory.row_size < line:
            last, _ = self.last_level
            raise ConfigError(f"memory.row_size = {format_size(self.memory.row_size)}: must "
                              f"be at least one {last} line ({format_size(line)}).")
        return self

    def _check_workloads(self) -> None:
        """workloads: a list of programs, each "name arg ..." or [name, arg, ...]; kept as
        the strings (arguments quoted as a shell would)."""
        import shlex

        value = self.workloads
        if isinstance(value, str):
            value = [w for w in (part.strip() for part in value.split(";")) if w]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"workloads = {shown(self.workloads)}: give a list of programs, "
                              'e.g. ["sort 20000", "matmul 32"].')
        out = []
        for k, entry in enumerate(value):
            if isinstance(entry, (list, tuple)) and entry \
                    and all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in entry):
                entry = shlex.join(str(a) for a in entry)
            if not isinstance(entry, str) or not entry.strip():
                raise ConfigError(f"workloads[{k}] = {shown(entry)}: give a program with its "
                                  'arguments, e.g. "sort 20000" or ["sort", 20000].')
            out.append(entry.strip())
        self.workloads = out

    def _check_inclusion(self) -> None:
        above = self.l1i.size + self.l1d.size
        what = f"l1i {format_size(self.l1i.size)} + l1d {format_size(self.l1d.size)}"
        for n in ("l2", "l3"):
            c = getattr(self, n)
            if c is None:
                return
            if c.inclusion == "inclusive" and c.size <= above:
                raise ConfigError(f"{n}.size = {format_size(c.size)}: an inclusive {n} must "
                                  f"be larger than the caches above it ({what} = "
                                  f"{format_size(above)}); make it larger or non_inclusive.")
            if c.inclusion == "inclusive":
                above, what = c.size, f"{n} {format_size(c.size)}"
            else:
                above += c.size
                what += f" + {n} {format_size(c.size)}"

    # -- dict form -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data with units written back; an absent level is None."""
        out: dict[str, Any] = {"name": self.name, "cores": self.cores}
        for sec in SECTIONS:
            value = getattr(self, sec)
            out[sec] = None if value is None else value.to_dict()
        if self.per_core:
            out["per_core"] = [self._per_core_dict(i) for i in range(len(self.per_core))]
        if self.workloads:
            out["workloads"] = list(self.workloads)
        return out

    def _per_core_dict(self, k: int) -> dict[str, Any]:
        """per_core entry k with its values written as the sections write them."""
        entry = self.per_core[k]
        out: dict[str, Any] = {"cores": list(entry["cores"])}
        for sec in PER_CORE_SECTIONS:
            if sec in entry:
                full = self.hart_config(entry["cores"][0])[PER_CORE_SECTIONS.index(sec)]
                written = full.to_dict()
                out[sec] = {key: written[key] for key in entry[sec]}
        return out

    def to_flat_dict(self) -> dict[str, Any]:
        """{"core.frequency": "1GHz", "l1d.size": "32KiB", ..., "l3": None} (one row)."""
        out: dict[str, Any] = {"name": self.name, "cores": self.cores}
        if self.per_core:
            out["per_core"] = json.dumps(self.to_dict()["per_core"])
        if self.workloads:
            out["workloads"] = json.dumps(self.workloads)
        for sec, value in self.to_dict().items():
            if sec in SCALARS:
                continue
            if value is None:
                out[sec] = None
            else:
                for k, v in value.items():
                    if isinstance(v, dict):  # a plug-in's parameter table
                        out.update({f"{sec}.{k}.{kk}": vv for kk, vv in v.items()})
                    else:
                        out[f"{sec}.{k}"] = v
        return out

    def get(self, key: str) -> Any:
        """The stored value of a dotted key ("l1d.size" -> 32768) or of a section."""
        sec, _, name = key.partition(".")
        if sec not in TOP_KEYS:
            raise unknown_key("", sec, TOP_KEYS)
        value = getattr(self, sec)
        if not name:
            return value
        if sec in SCALARS:
            raise unknown_key("", key, TOP_KEYS)
        if value is None:
            raise ConfigError(f"{key}: {sec} is none in this config.")
        head, _, sub = name.partition(".")
        if head not in value.param_fields():
            raise unknown_key(sec, name, value.param_fields())
        if sub:
            table = getattr(value, head)
            if not isinstance(table, Params) or sub not in table.param_fields():
                raise unknown_key(f"{sec}.{head}", sub,
                                  table.param_fields() if isinstance(table, Params) else ())
            return getattr(table, sub)
        return getattr(value, head)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SystemConfig:
        """A validated config from nested data; missing keys keep their defaults.

        A top-level ``preset`` key names the preset the rest is applied over (default:
        "default"). Unknown keys are rejected with the known ones listed.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"a config must be a table of sections (a dict), not {shown(d)}.")
        d = dict(d)
        preset = d.pop("preset", None)
        if preset is None:
            base = cls()
        else:
            from cyclesim import presets
            base = presets.get(preset)
        return base.with_overrides(d)

    def with_overrides(self, overrides: Mapping[str, Any] | Iterable[str] | None
                       ) -> SystemConfig:
        """A validated copy with ``overrides`` applied (self is not changed).

        Keys are sections with a dict of fields (``{"l1d": {"size": "64KiB"}}``), dotted
        fields (``{"l1d.size": "64KiB"}``), ``name``, or an optional level set to ``None``
        / "none" (remove it) or "default" (enable it with its default geometry). Setting a
        field of an absent level enables that level from its default first. Values may be
        text ("true", "64KiB", "3") and are parsed to the field's type. A list of
        "key=value" strings (command-line ``--set``) is accepted too.
        """
        if overrides is None:
            return copy.deepcopy(self).validate()
        if not isinstance(overrides, Mapping):
            if isinstance(overrides, (str, bytes)) or not isinstance(overrides, Iterable):
                raise ConfigError(f"overrides must be a dict or a list of 'key=value' "
                                  f"strings, not {shown(overrides)}.")
            overrides = parse_assignments(overrides)
        scalars, switches, fields = _split_overrides(overrides)
        new = copy.deepcopy(self)
        if "name" in scalars:
            if not isinstance(scalars["name"], str):
                raise ConfigError(f"name = {shown(scalars['name'])}: must be text.")
            new.name = scalars["name"]
        if "cores" in scalars:
            new.cores = scalars["cores"]
        if "per_core" in scalars:
            value = scalars["per_core"]
            if isinstance(value, str):
                raise ConfigError("per_core is a list of tables: give it in a config file or "
                                  "dict ([[per_core]] in TOML), not as one --set value.")
            new.per_core = copy.deepcopy(list(value)) if isinstance(value, (list, tuple)) \
                else value
        if "workloads" in scalars:
            value = scalars["workloads"]
            new.workloads = list(value) if isinstance(value, (list, tuple)) else value
        for sec, value in switches.items():
            setattr(new, sec, _switch_level(sec, value, getattr(new, sec)))
        for sec, values in fields.items():
            current = getattr(new, sec)
            if current is None:
                if sec in switches:
                    raise ConfigError(f"{sec} is set to none and {sec}.{next(iter(values))} "
                                      f"is given too; drop one of them.")
                current = default_cache(sec)
            setattr(new, sec, current.updated(values, sec))
        return new.validate()

    # -- files -----------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> SystemConfig:
        """Load a .toml, .yaml/.yml or .json config file (validated)."""
        return cls.from_dict(load_config_file(path))

    def save(self, path: str | os.PathLike) -> Path:
        """Write this config as .toml, .yaml/.yml or .json (by suffix); returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            text = self.to_toml()
        elif suffix in (".yaml", ".yml"):
            text = self.to_yaml()
        elif suffix == ".json":
            text = self.to_json()
        else:
            raise ConfigError(f"cannot save a config as {path.name!r}: use a name ending in "
                              f"{', '.join(FILE_SUFFIXES)}.")
        path.write_text(text, encoding="utf-8")
        return path

    def to_toml(self) -> str:
        """The config as TOML text (what ``save("x.toml")`` writes)."""
        return _toml_text(self.to_dict())

    def to_yaml(self) -> str:
        """The config as YAML text (needs PyYAML)."""
        return _yaml().safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def to_json(self) -> str:
        """The config as JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    # -- text ------------------------------------------------------------------------------

    def summary(self) -> str:
        """A few lines a person can read: one per part of the machine."""
        c, b, m = self.core, self.bpred, self.memory
        lines = [f"SystemConfig {self.name!r}" + (f", {self.cores} cores (quantum "
                                                  f"{self.engine.quantum} cycles)"
                                                  if self.cores > 1 else "")
                 + "".join(f"; cores {entry['cores']}: " + ", ".join(
                     f"{sec}.{k} = {v}" for sec in PER_CORE_SECTIONS
                     for k, v in entry.get(sec, {}).items())
                     for entry in self.per_core),
                 f"  core    {c.model} {format_frequency(c.frequency)}, forwarding "
                 f"{c.forwarding}, branches resolve in {c.branch_resolve_stage}, mul "
                 f"{c.mul_latency} / div {c.div_latency} cycles, store buffer "
                 f"{c.store_buffer_entries}",
                 f"  bpred   {b.kind}, {b.table_entries} counters, {b.history_bits} history "
                 f"bits, BTB {b.btb_entries} entries {b.btb_assoc}-way, RAS {b.ras_depth}"]
        for n in LEVELS:
            lc = getattr(self, n)
            if lc is None:
                lines.append(f"  {n:<7} none")
                continue
            lines.append(f"  {n:<7} {format_size(lc.size)} {lc.assoc}-way, "
                         f"{lc.line_size}B lines, {lc.hit_latency} cycle"
                         f"{'s' if lc.hit_latency != 1 else ''}, {lc.policy}, "
                         f"{lc.write_policy}, {lc.mshrs} MSHR{'s' if lc.mshrs != 1 else ''}"
                         f"{', inclusive' if lc.inclusion == 'inclusive' else ''}")
        if m.kind == "fixed":
            lines.append(f"  memory  fixed {m.latency} cycles")
        else:
            part = "" if m.part == "custom" else f"{m.part}, "
            lines.append(f"  memory  dram {part}{m.channels} ch x {m.ranks} rank x {m.banks} "
                         f"banks ({m.bank_groups} groups), {format_size(m.row_size)} rows, "
                         f"tRCD-tCL-tRP {format_time(m.tRCD)}-{format_time(m.tCL)}-"
                         f"{format_time(m.tRP)}, burst {format_time(m.tBURST)}, controller "
                         f"{format_time(m.controller_latency)}, {m.mapping}")
        t = self.tlb
        if t.enabled:
            l2 = (f"L2 TLB {t.l2tlb_entries} {t.l2tlb_assoc}-way {t.l2tlb_latency} cycles"
                  if t.l2tlb_entries else "no L2 TLB")
            lines.append(f"  tlb     {t.mode}, ITLB {t.itlb_entries} {t.itlb_assoc}-way, DTLB "
                         f"{t.dtlb_entries} {t.dtlb_assoc}-way, {l2}, page-walk cache "
                         f"{t.pwc_entries}, walks via {t.walk_port}")
        else:
            lines.append("  tlb     off (caches see virtual addresses)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython/Jupyter shows the summary
        p.text(self.summary())

    def _repr_html_(self) -> str:  # Jupyter: one small table per part of the machine
        from cyclesim.results.display import config_html

        return config_html(self)


Config = SystemConfig


def _split_overrides(overrides: Mapping[str, Any]):
    """({scalar: value}, {level: on/off value}, {section: {field: value}}) from nested or
    dotted keys."""
    scalars: dict[str, Any] = {}
    switches: dict[str, Any] = {}
    fields: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise ConfigError(f"config key {key!r} must be text.")
        sec, dot, rest = key.partition(".")
        if sec not in TOP_KEYS:
            if sec == "preset":
                raise ConfigError("preset can only be chosen at the top of a config file or "
                                  "with resolve_config(preset=...), not as an override.")
            raise unknown_key("", sec, TOP_KEYS)
        if sec in SCALARS:
            if dot:
                raise unknown_key("", key, TOP_KEYS)
            scalars[sec] = value
        elif dot:
            fields.setdefault(sec, {})[rest] = value
        elif isinstance(value, Mapping):
            fields.setdefault(sec, {}).update(value)
        elif isinstance(value, SECTIONS[sec]):
            switches[sec] = value
        elif sec in OPTIONAL_LEVELS and (value is None or isinstance(value, str)):
            switches[sec] = value
        else:
            raise ConfigError(f"{sec} = {shown(value)}: must be a table of {sec} settings"
                              f"{' or none/default' if sec in OPTIONAL_LEVELS else ''}; "
                              f"to set one field write {sec}.<field>.")
    return scalars, switches, fields


def _switch_level(sec: str, value: Any, current: Any) -> Any:
    if isinstance(value, Params):
        return copy.deepcopy(value)
    if value is None or value.strip().lower() in _OFF:
        return None
    if value.strip().lower() in _ON:
        return current if current is not None else default_cache(sec)
    raise ConfigError(f"{sec} = {shown(value)}: use none to remove the level, default to enable "
                      f"it, or set its fields ({sec}.size=2MiB).")


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """{"l1d.size": "64KiB"} from ["l1d.size=64KiB", ...] (the CLI's --set values)."""
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ConfigError(f"override {shown(item)} is not of the form key=value, e.g. "
                              f"l1d.size=64KiB.")
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip()
    return out


# -- files ----------------------------------------------------------------------------------

def _yaml():
    try:
        import yaml
    except ImportError:
        raise ConfigError("YAML configs need PyYAML: pip install pyyaml (or use .toml or "
                          ".json).") from None
    return yaml


def load_config_file(path: str | os.PathLike) -> dict:
    """The raw dict in a config file (not yet merged or validated)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise ConfigError(f"config file {str(path)!r} has an unknown type; use a name ending "
                          f"in {', '.join(FILE_SUFFIXES)}.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist.") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text (byte {e.start} "
                          f"cannot be read); give a .toml, .yaml or .json text file.") from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {str(path)!r}: {e.strerror}.") from None
    try:
        if suffix == ".toml":
            import tomllib
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = _yaml().safe_load(text)
    except ConfigError:
        raise
    except Exception as e:  # each parser has its own error class
        # parsers' messages span lines (YAML quotes the line with a caret): one line
        detail = " ".join(str(e).split())
        if len(detail) > 200:
            detail = detail[:200] + "..."
        raise ConfigError(f"cannot parse config file {str(path)!r}: {detail}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a table of sections, not "
                          f"{type(data).__name__}.")
    return data


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    raise TypeError(f"no TOML form for {v!r}")


def _toml_text(data: dict) -> str:
    """TOML for our two-level structure: scalars first (an absent level is "none"), then
    one table per section."""
    head, tables = [], []
    for key, value in data.items():
        if isinstance(value, list) and key == "workloads":
            head.append(f"{key} = [{', '.join(_toml_value(v) for v in value)}]")
            continue
        if isinstance(value, list):          # per_core: an array of tables
            for entry in value:
                tables.append(f"[[{key}]]\ncores = [{', '.join(map(str, entry['cores']))}]\n")
                for sec, fields in entry.items():
                    if sec != "cores":
                        body = "\n".join(f"{k} = {_toml_value(v)}" for k, v in fields.items())
                        tables.append(f"[{key}.{sec}]\n{body}\n")
            continue
        if isinstance(value, dict):
            body = "\n".join(f"{k} = {_toml_value(v)}" for k, v in value.items()
                             if not isinstance(v, dict))
            tables.append(f"[{key}]\n{body}\n")
            for k, v in value.items():  # plug-in parameter tables: [l1d.prefetcher_params]
                if isinstance(v, dict):
                    sub = "\n".join(f"{kk} = {_toml_value(vv)}" for kk, vv in v.items())
                    tables.append(f"[{key}.{k}]\n{sub}\n")
        else:
            head.append(f"{key} = {_toml_value('none' if value is None else value)}")
    return "\n".join(head) + "\n\n" + "\n".join(tables)


# -- resolving ------------------------------------------------------------------------------

def resolve_config(config: SystemConfig | Mapping | str | os.PathLike | None = None,
                   preset: str | None = None,
                   overrides: Mapping[str, Any] | Iterable[str] | None = None
                   ) -> SystemConfig:
    """The validated config a run uses.

    ``config``: a SystemConfig (copied), a dict or a .toml/.yaml/.json path (applied over
    ``preset``, or over the preset the file names with a top-level ``preset`` key), a preset
    name, or None (= ``preset``, default "default"). Then ``overrides`` are applied.
    """
    from cyclesim import presets
    if isinstance(config, SystemConfig):
        if preset is not None:
            raise ConfigError("give either a config object or a preset, not both.")
        cfg = copy.deepcopy(config)
    elif config is None:
        cfg = presets.get(preset or "default")
    else:
        if isinstance(config, (str, os.PathLike)):
            text = os.fspath(config)
            if (isinstance(config, str) and not os.path.exists(text)
                    and Path(text).suffix.lower() not in FILE_SUFFIXES):
                if text not in presets.names():
                    raise ConfigError(f"{text!r} is neither a config file nor a preset; "
                                      f"presets are {', '.join(presets.names())}.")
                if preset is not None and preset != text:
                    raise ConfigError(f"two presets given: {text!r} and {preset!r}.")
                config = {"preset": text}
            else:
                config = load_config_file(config)
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a SystemConfig, a dict, a file path or a "
                              f"preset name, not {shown(config)}.")
        data = dict(config)
        if preset is not None:
            if data.get("preset", preset) != preset:
                raise ConfigError(f"two presets given: {data['preset']!r} in the config and "
                                  f"{preset!r}.")
            data["preset"] = preset
        cfg = SystemConfig.from_dict(data)
    return cfg.with_overrides(overrides)


# -- reference documentation ----------------------------------------------------------------

_SECTION_TEXT = {
    "core": "The in-order pipeline (`pipeline.config.CoreConfig`).",
    "bpred": "Branch predictor, BTB and RAS (`pipeline.config.BranchPredictorConfig`).",
    "coherence": "How the private caches of several cores are kept coherent "
                 "(`caches.config.CoherenceConfig`; protocol tables, latencies and what is "
                 "not modelled in docs/coherence.md). Built only with more than one core.",
    "cache": "Every cache level `l1i`, `l1d`, `l2`, `l3` is a `caches.config.CacheConfig`. "
             "The field defaults below are those of the class; each level starts from its "
             "own geometry (table after it).",
    "memory": "Main memory behind the last cache level (`caches.config.MemoryConfig`; "
              "the DRAM model is described in docs/dram.md). `part` applies one of the "
              "DRAM parts listed below; a time may be written in DRAM clocks (`22nCK` = 22 "
              "x `tCK`).",
    "tlb": "Address translation: L1 ITLB/DTLB, shared L2 TLB, Sv39/Sv48 page-table walker "
           "and page-walk cache (`caches.config.TlbConfig`, rules in docs/tlb.md).",
    "engine": "How the harts share simulated time (`cyclesim.engine_config.EngineConfig`, "
              "docs/engine.md). The number of harts is the top-level `cores` (an integer "
              f"from 1 to {MAX_CORES}, default 1: `cores = 4` in a file, `--set cores=4`); "
              "every hart gets the `core` and `bpred` sections and private L1s, except "
              "where a top-level `per_core` entry changes them for some harts: in TOML "
              "`[[per_core]]` with `cores = [1, 2, 3]` and `[per_core.core]` / "
              "`[per_core.bpred]` tables (a dict `{\"cores\": [1, 2, 3], \"core\": "
              "{\"model\": \"inorder\"}}` in Python), each hart in at most one entry; "
              "`core.frequency` is the one clock of every hart. A top-level `workloads` "
              "list (`workloads = [\"sort 20000\", \"matmul 32\"]`, `--set "
              "\"workloads=sort 20000;matmul 32\"`; default empty) names programs that run "
              "together, program i on hart i, when no program is given (docs/engine.md, "
              "\"Multi-program runs\").",
}

_UNITS_TEXT = """\
## Writing values

- **Sizes** (unit `bytes`): an integer number of bytes, or `64B`, `32KiB`, `1MiB`, `2GiB`.
  `KB`/`K`, `MB`/`M`, `GB`/`G` mean the same binary multiples (cache and memory sizes are
  always binary; nobody builds a 32000-byte cache). A lowercase `b` (`32Kb`, bits) is
  rejected. Saved configs write the largest exact binary unit (`32KiB`, `1536B`).
- **Frequencies** (unit `Hz`): a number of Hz, or `800MHz`, `1.2GHz`, `32.768kHz`.
- **Times** (unit `s`): a number of seconds, or `13.75ns`, `250ps`, `1us`, `2ms`. DRAM
  times are converted to core cycles, rounded up, with `core.frequency`
  (`MemoryConfig.in_cycles`, exact decimal arithmetic: 10ns at 1GHz is 10 cycles).
- **Booleans**: `true`/`false` (also yes/no, on/off, 1/0 when given as text).
- **Choices**: one of the listed words (case does not matter; saved in the listed case).
- Counts in `cycles`, `entries`, `ways`, `bits`, `banks` are integers.
- **Ranges**: every size, count, time and frequency has a range that real hardware could
  plausibly have (the "allowed" column below); a value outside it is refused with one
  sentence before anything is built. Within the ranges, the host memory the modeled
  machine needs (cache tag and replacement state, predictor tables, trace buffers) is
  estimated before it is built (`cyclesim.footprint`), and a configuration needing more
  than the host has available is refused with one sentence naming the largest part.

## Putting a config together

1. Start from a preset (`default` unless one is named: `resolve_config(preset=...)`, a
   top-level `preset = "..."` key in a file or dict, or `--preset`).
2. Apply the file or dict: any subset of sections and fields; what is missing keeps the
   preset's value. Unknown keys are errors that list the known keys.
3. Apply overrides: nested (`{"l1d": {"size": "64KiB"}}`) or dotted (`{"l1d.size":
   "64KiB"}`, the command line's `--set l1d.size=64KiB`); text values are parsed to the
   field's type.
4. Validate (rules below). The resolved config is saved with every result (`to_dict()`).

`l2` and `l3` may be absent: `l2 = "none"` in TOML, `null` in YAML/JSON, `None` in
Python, `--set l3=none` on the command line. Without an L2 the L1s talk to memory
directly. Setting a field of an absent level (`--set l3.size=4MiB`) enables it from its
default geometry; `--set l3=default` enables it unchanged. Files may be `.toml`, `.yaml`/
`.yml` (needs PyYAML) or `.json`; `SystemConfig.save` writes any of them and loading the
file gives back an identical config.
"""

_RULES_TEXT = """\
## Checks across parts

- Every cache level present has the same `line_size` as `l1d`.
- `l3` needs an `l2`.
- `inclusion = "inclusive"` is not allowed on `l1i`/`l1d` (nothing above them). An
  inclusive `l2` must be larger than `l1i.size + l1d.size`; an inclusive `l3` larger than
  an inclusive `l2`, or than `l1i + l1d + l2` when the `l2` is not inclusive.
- With `memory.kind = "dram"`, `memory.row_size` is at least one cache line.
- Per component: sets (`size / (assoc * line_size)`) a power of two, `assoc` dividing the
  number of lines (and a power of two for `plru`), `line_size` a power of two of at least
  8 bytes, `hit_latency` and `mshrs` at least 1; predictor tables and the BTB powers of
  two with `btb_assoc` dividing `btb_entries`, `history_bits` 0 to 32; functional-unit
  latencies at least 1 cycle; DRAM `channels`, `ranks`, `banks`, `bank_groups` and
  `row_size` powers of two (`bank_groups` dividing `banks`), `queue_size` at least 1,
  times at least 0, `tRRD_L >= tRRD_S`, `tFAW` 0 or at least `tRRD_L`,
  `tCCD_L >= tCCD_S`, and `tREFI` 0 (no refresh) or longer than `tRFC` plus one row cycle;
  `core.frequency` positive.

## Adding a parameter

Declare it next to its component with `cyclesim.params.param(default, unit=..., help=...,
choices=(...))` (units `bytes`, `Hz` and `s` get the parsing and formatting above), add its
range check to the component's `validate`, and run `python -m cyclesim.config` to
regenerate this page (a test fails while it is stale). Files, overrides and the saved
config pick the field up from the metadata; nothing else needs editing.
"""


def _allowed(f) -> str:
    from cyclesim.params import choices_of, field_kind, format_range
    kind = field_kind(f)
    if kind == "table":
        return f"table (the parameters of the chosen `{f.metadata['plugin_of']}`)"
    text = {"size": "size", "frequency": "frequency", "time": "time",
            "bool": "true, false", "int": "integer", "float": "number", "str": "text",
            "choice": ", ".join(f"`{c}`" for c in choices_of(f))}[kind]
    bounds = format_range(f)
    return f"{text}, {bounds}" if bounds else text


def _field_table(cls: type[Params]) -> list[str]:
    from cyclesim.params import format_value
    rows = ["| field | unit | default | allowed | description |",
            "|---|---|---|---|---|"]
    defaults = cls().to_dict()
    for name, f in cls.param_fields().items():
        if isinstance(defaults[name], dict):
            default = "(its defaults)"
        else:
            default = json.dumps(format_value(f, getattr(cls(), name))) \
                if isinstance(defaults[name], str) else _toml_value(defaults[name])
        rows.append(f"| `{name}` | {f.metadata.get('unit') or ''} | `{default}` | "
                    f"{_allowed(f)} | {f.metadata['help']} |")
    return rows


def _plugin_tables(cls: type[Params], section: str) -> list[str]:
    """For each plug-in field of ``cls``: every registered plug-in, its source and its own
    parameter table (``[<section>.<field>_params]``)."""
    out = []
    for name, f in cls.param_fields().items():
        reg = f.metadata.get("registry")
        if reg is None:
            continue
        table = next((n for n, g in cls.param_fields().items()
                      if g.metadata.get("plugin_of") == name), None)
        out += [f"#### `{name}` choices", ""]
        for plugin in (reg.get(n) for n in reg.names()):
            src = f" Source: {plugin.source}." if plugin.source else ""
            out += [f"- **`{plugin.name}`**: {plugin.help}{src}"]
            if plugin.params.param_fields():
                out += ["", f"  `[{section}.{table}]` when `{name} = \"{plugin.name}\"`:", ""]
                out += ["  " + row for row in _field_table(plugin.params)]
                out += [""]
        out += [""]
    return out


def _dram_parts_text() -> list[str]:
    """The table of `memory.part` values, from caches/dram_parts.py (clocks as written)."""
    from caches.dram_parts import PARTS
    cols = ["tCK", "channels", "ranks", "banks", "bank_groups", "row_size", "tCL", "tRCD", "tRP",
            "tCWL", "tRAS", "tWR", "tRTP", "tRRD_S", "tRRD_L", "tFAW", "tCCD_S", "tCCD_L",
            "tBURST", "tREFI", "tRFC"]
    out = ["### DRAM parts (`memory.part`)", "",
           "Each part sets these fields (nCK = clocks of the part's tCK); `controller_latency`, "
           "`mapping`, `page_policy`, `scheduler` and `queue_size` keep their values. "
           "Sources per part below the table; docs/dram.md explains each parameter.", "",
           "| part | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, part in PARTS.items():
        v = part["values"]
        cells = [format_size(v[c]) if c == "row_size" else str(v[c]) for c in cols]
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    out.append("")
    out += [f"- **{name}**: {part['source']}." for name, part in PARTS.items()]
    return out + [""]


def config_reference() -> str:
    """docs/config.md, generated from the field metadata and the presets."""
    from caches.config import LEVEL_DEFAULTS
    from cyclesim import presets
    out = ["# Configuration reference", "",
           "<!-- Generated by `python -m cyclesim.config` from the field metadata in "
           "pipeline/config.py, caches/config.py and cyclesim/presets.py; do not edit. -->",
           "", _UNITS_TEXT, "## Sections", ""]
    for sec, cls, text in (("core", CoreConfig, _SECTION_TEXT["core"]),
                           ("bpred", BranchPredictorConfig, _SECTION_TEXT["bpred"]),
                           ("coherence", CoherenceConfig, _SECTION_TEXT["coherence"]),
                           ("l1i / l1d / l2 / l3", CacheConfig, _SECTION_TEXT["cache"]),
                           ("memory", MemoryConfig, _SECTION_TEXT["memory"]),
                           ("tlb", TlbConfig, _SECTION_TEXT["tlb"]),
                           ("engine", EngineConfig, _SECTION_TEXT["engine"])):
        out += [f"### `{sec}`", "", text, ""] + _field_table(cls) + [""]
        out += _plugin_tables(cls, sec.split(" ")[0] if cls is not CacheConfig else "l1d")
        if cls is CacheConfig:
            default = SystemConfig()
            out += ["| level | size | assoc | hit_latency | in the default config |",
                    "|---|---|---|---|---|"]
            for lvl, geo in LEVEL_DEFAULTS.items():
                present = "yes" if getattr(default, lvl) is not None else "no (`none`)"
                out.append(f"| `{lvl}` | {format_size(geo['size'])} | {geo['assoc']} | "
                           f"{geo['hit_latency']} | {present} |")
            out.append("")
    out += _dram_parts_text()
    out += [_RULES_TEXT, "## Presets", "",
            "| preset | core | l1i | l1d | l2 | l3 | memory |", "|---|---|---|---|---|---|---|"]
    for name in presets.names():
        c = presets.get(name)

        def lvl(x):
            return "none" if x is None else (f"{format_size(x.size)} {x.assoc}-way, "
                                             f"{x.hit_latency} cyc")
        mem = (f"fixed {c.memory.latency} cyc" if c.memory.kind == "fixed" else
               f"DRAM {c.memory.banks} banks, tCL {format_time(c.memory.tCL)}")
        out.append(f"| `{name}` | {format_frequency(c.core.frequency)}, {c.bpred.kind}, "
                   f"branch in {c.core.branch_resolve_stage} | {lvl(c.l1i)} | {lvl(c.l1d)} | "
                   f"{lvl(c.l2)} | {lvl(c.l3)} | {mem} |")
    out.append("")
    for name in presets.names():
        out += [f"- **{name}**: {presets.describe(name)}"]
    out.append("")
    return "\n".join(out)


def _main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "docs/config.md"
    out.write_text(config_reference(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


# `from cyclesim.config import presets` works too (presets imports SystemConfig from here,
# which is defined by now).
from cyclesim import presets  # noqa: E402

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
