"""SystemConfig: defaults, validation rules and their messages, file round trips, overrides,
presets and the generated reference. Expected defaults are copied by hand from the config
contract (/tmp/config-spec.md at the time of writing), not read back from the code."""

import dataclasses
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from caches.config import CacheConfig, CoherenceConfig, MemoryConfig, TlbConfig
from cyclesim.engine_config import EngineConfig
from cyclesim import presets
from cyclesim.config import (
    Config,
    SystemConfig,
    config_reference,
    parse_assignments,
    resolve_config,
)
from cyclesim.errors import ConfigError, CyclesimError
from pipeline.config import BranchPredictorConfig, CoreConfig

REPO = Path(__file__).resolve().parent.parent
KiB, MiB = 1024, 1024 * 1024


# -- defaults and metadata --------------------------------------------------------------------

def test_defaults_match_the_contract():
    c = SystemConfig()
    assert Config is SystemConfig
    core = c.core
    assert (core.model, core.frequency, core.forwarding, core.branch_resolve_stage) == \
        ("inorder", 1e9, "full", "EX")
    assert (core.mul_latency, core.div_latency, core.div_pipelined) == (3, 20, False)
    assert (core.fadd_latency, core.fmul_latency, core.fma_latency, core.fdiv_latency,
            core.fsqrt_latency, core.fcvt_latency) == (4, 4, 5, 20, 25, 2)
    assert (core.long_ops_pipelined, core.fetch_blocking, core.mem_blocking,
            core.store_buffer_entries) == (True, True, True, 4)
    b = c.bpred
    assert (b.kind, b.table_entries, b.history_bits, b.chooser_entries, b.btb_entries,
            b.btb_assoc, b.ras_depth) == ("gshare", 4096, 12, 4096, 512, 4, 8)
    for level, size, assoc, lat in (("l1i", 32 * KiB, 4, 1), ("l1d", 32 * KiB, 8, 1),
                                    ("l2", 256 * KiB, 8, 12)):
        lc = getattr(c, level)
        assert (lc.size, lc.assoc, lc.line_size, lc.hit_latency) == (size, assoc, 64, lat)
        assert (lc.policy, lc.write_policy, lc.write_allocate, lc.inclusion, lc.mshrs,
                lc.seed) == ("lru", "write_back", True, "non_inclusive", 8, 1)
    assert c.l3 is None
    m = c.memory
    assert (m.kind, m.latency, m.banks, m.row_size, m.mapping) == \
        ("dram", 100, 8, 8 * KiB, "row_bank_column")
    assert (m.tRCD, m.tCL, m.tRP, m.tBURST, m.controller_latency) == \
        (13.75e-9, 13.75e-9, 13.75e-9, 2.5e-9, 10e-9)
    c.validate()


def test_l3_enabled_default_geometry():
    l3 = SystemConfig().with_overrides({"l3": "default"}).l3
    assert (l3.size, l3.assoc, l3.hit_latency) == (2 * MiB, 16, 30)


@pytest.mark.parametrize("cls", [CoreConfig, BranchPredictorConfig, CacheConfig, MemoryConfig])
def test_every_field_has_unit_and_help(cls):
    for f in dataclasses.fields(cls):
        assert "unit" in f.metadata and "help" in f.metadata, f.name
        assert len(f.metadata["help"]) > 10, f.name
        if "choices" in f.metadata:
            assert getattr(cls(), f.name) in f.metadata["choices"]


def test_assignment_parses_units():
    c = SystemConfig()
    c.l1d.size = "64KiB"
    c.core.frequency = "2GHz"
    c.memory.tCL = "15ns"
    c.core.div_pipelined = "true"
    c.l1d.policy = "FIFO"
    assert (c.l1d.size, c.core.frequency, c.memory.tCL, c.core.div_pipelined,
            c.l1d.policy) == (65536, 2e9, 15e-9, True, "fifo")
    with pytest.raises(ConfigError, match="l1d|size"):
        c.l1d.size = "big"
    with pytest.raises(AttributeError, match="known ones"):
        c.l1d.sise = 4


def test_dram_times_in_cycles():
    # 13.75ns at 1.2GHz = 16.5 -> 17; 2.5ns -> 3; 10ns -> 12 (hand computed); the times
    # the DRAM model gained with channels and refresh: 32ns -> 38.4 -> 39, 15ns -> 18,
    # 7.5ns -> 9, 21ns -> 25.2 -> 26, 7.8us -> 9360, 350ns -> 420
    assert MemoryConfig().in_cycles(1.2e9) == {
        "tRCD": 17, "tCL": 17, "tRP": 17, "tBURST": 3, "controller_latency": 12,
        "tCWL": 12, "tRAS": 39, "tWR": 18, "tRTP": 9, "tRRD_S": 3, "tRRD_L": 3, "tFAW": 26,
        "tCCD_S": 3, "tCCD_L": 3, "tREFI": 9360, "tRFC": 420}
    assert MemoryConfig(tCL="10ns").in_cycles("1GHz")["tCL"] == 10


def test_component_constructors_accept_text():
    assert CacheConfig(size="1MiB", assoc=16).size == MiB
    assert MemoryConfig(tRCD="13.75ns") == MemoryConfig()
    assert CoreConfig(frequency="1GHz") == CoreConfig()


# -- validation rules -------------------------------------------------------------------------

RULES = [
    ({"l1d.assoc": 3}, "l1d.assoc = 3: must divide the number of lines (512"),
    ({"l1d.size": "48KiB", "l1d.assoc": 16}, "l1d.assoc = 16: gives 48 sets"),
    ({"l1d.size": "1000B"}, "l1d.size = 1000B: must be a positive whole number of 64-byte"),
    ({"l1d.size": 0}, "l1d.size = 0B: must be a positive"),
    ({"l1i.line_size": 48}, "l1i.line_size = 48B: must be a power of two"),
    ({"l1i.line_size": 4}, "l1i.line_size = 4B: must be a power of two of at least 8"),
    ({"l1d.size": "48KiB", "l1d.assoc": 12, "l1d.policy": "plru"},
     "l1d.assoc = 12: must be a power of two for policy plru"),
    ({"l1d.hit_latency": 0}, "l1d.hit_latency = 0: must be at least 1 cycle"),
    ({"l2.mshrs": 0}, "l2.mshrs = 0: must be at least 1"),
    ({"l2.seed": -1}, "l2.seed = -1: must be 0 or more"),
    ({"l1d.policy": "mru"}, "l1d.policy = 'mru': unknown replacement policy; known ones are "
                            "drrip, fifo, lru, plru, random, ship, srrip"),
    ({"l2.write_policy": "write_around"}, "use one of write_back, write_through"),
    ({"core.model": "dataflow"}, "core.model = 'dataflow': unknown core model; known ones "
                                 "are inorder, ooo."),
    ({"core.model": "ooo", "core.model_params.rob_entries": 0},
     "core.model_params.rob_entries = 0: must be at least 1."),
    ({"core.forwarding": "partial"}, "use one of full, none"),
    ({"core.branch_resolve_stage": "WB"}, "use one of ID, EX, MEM"),
    ({"core.frequency": 0}, "core.frequency = 0Hz: must be a positive frequency"),
    ({"core.frequency": "-1GHz"}, "core.frequency = -1GHz: must be a positive frequency"),
    ({"core.mul_latency": 0}, "core.mul_latency = 0: must be at least 1 cycle"),
    ({"core.fsqrt_latency": -2}, "core.fsqrt_latency = -2: must be at least 1 cycle"),
    ({"core.store_buffer_entries": -1}, "core.store_buffer_entries = -1: must be 0"),
    ({"bpred.kind": "perceptron"}, "bpred.kind = 'perceptron': unknown branch predictor; "
                                   "known ones are "),
    ({"bpred.table_entries": 1000}, "bpred.table_entries = 1000: must be a power of two"),
    ({"bpred.chooser_entries": 0}, "bpred.chooser_entries = 0: must be a power of two"),
    ({"bpred.btb_entries": 100}, "bpred.btb_entries = 100: must be a power of two"),
    ({"bpred.btb_assoc": 3}, "bpred.btb_assoc = 3: must be a power of two that divides "
                             "btb_entries (512)"),
    ({"bpred.btb_assoc": 1024}, "bpred.btb_assoc = 1024: must be a power of two that divides"),
    ({"bpred.history_bits": 33}, "bpred.history_bits = 33: must be between 0 and 32"),
    ({"bpred.ras_depth": -1}, "bpred.ras_depth = -1: must be 0"),
    ({"memory.kind": "hbm"}, "use one of dram, fixed"),
    ({"memory.latency": -1}, "memory.latency = -1: must be 0 or more cycles"),
    ({"memory.banks": 6}, "memory.banks = 6: must be a power of two"),
    ({"memory.row_size": "6KiB"}, "memory.row_size = 6KiB: must be a power of two"),
    ({"memory.tRP": "-1ns"}, "memory.tRP = -1ns: must be a time of 0 or more"),
    ({"memory.mapping": "bank_row_column"}, "use one of row_bank_column, row_column_bank"),
    # across levels
    ({"l2.line_size": 128}, "l2.line_size = 128B: must equal l1d.line_size (64B)"),
    ({"l1i.line_size": 32}, "l1i.line_size = 32B: must equal l1d.line_size (64B)"),
    ({"l2": None, "l3.size": "1MiB"}, "l3 is set but l2 is none"),
    ({"l1d.inclusion": "inclusive"}, "l1d.inclusion = inclusive: an L1 has no cache above"),
    ({"l2.inclusion": "inclusive", "l2.size": "64KiB", "l2.assoc": 8},
     "l2.size = 64KiB: an inclusive l2 must be larger than the caches above it (l1i 32KiB + "
     "l1d 32KiB = 64KiB)"),
    ({"l3.inclusion": "inclusive", "l3.size": "256KiB", "l3.assoc": 16},
     "l3.size = 256KiB: an inclusive l3 must be larger than the caches above it (l1i 32KiB "
     "+ l1d 32KiB + l2 256KiB = 320KiB)"),
    ({"l2.inclusion": "inclusive", "l3.inclusion": "inclusive", "l3.size": "256KiB"},
     "an inclusive l3 must be larger than the caches above it (l2 256KiB = 256KiB)"),
    ({"memory.row_size": 32}, "memory.row_size = 32B: must be at least one l2 line (64B)"),
]


@pytest.mark.parametrize("overrides,message", RULES)
def test_validation_rule(overrides, message):
    with pytest.raises(ConfigError) as e:
        SystemConfig().with_overrides(overrides)
    assert message in str(e.value)
    assert isinstance(e.value, CyclesimError) and isinstance(e.value, ValueError)


VALID_EDGES = [
    {"l1d.size": "48KiB", "l1d.assoc": 12},      # non-power-of-two size, 64 sets
    {"l1d.assoc": 512},                          # fully associative
    {"l2.inclusion": "inclusive", "l2.size": "128KiB"},
    {"l2.inclusion": "inclusive", "l3.inclusion": "inclusive", "l3.size": "512KiB"},
    {"memory.kind": "fixed", "memory.latency": 0},
    {"memory.row_size": 64},
    {"bpred.history_bits": 0, "bpred.btb_assoc": 512, "bpred.ras_depth": 0},
    {"core.store_buffer_entries": 0, "core.frequency": "32.768kHz"},
    {"l1i.line_size": 32, "l1d.line_size": 32, "l2.line_size": 32},
    {"l2": None},
]


@pytest.mark.parametrize("overrides", VALID_EDGES)
def test_valid_edges(overrides):
    SystemConfig().with_overrides(overrides)


def test_wrong_types_set_around_the_parser_are_caught():
    c = SystemConfig()
    object.__setattr__(c.l1d, "size", "32KiB")
    with pytest.raises(ConfigError, match="l1d.size = '32KiB': wrong type"):
        c.validate()
    c = SystemConfig()
    c.l1d = "big"
    with pytest.raises(ConfigError, match="l1d = 'big': must be a CacheConfig"):
        c.validate()


# -- dict form and files ----------------------------------------------------------------------

def special_config():
    """Every kind of value away from its default, an L3 present and odd floats."""
    return SystemConfig().with_overrides({
        "name": "odd \"quoted\" ünïcode",
        "core": {"frequency": "1.234567891GHz", "forwarding": "none",
                 "branch_resolve_stage": "MEM", "div_pipelined": True,
                 "store_buffer_entries": 0},
        "bpred.kind": "tournament", "bpred.history_bits": 7,
        "l1d": {"size": "48KiB", "assoc": 12, "policy": "srrip", "write_policy":
                "write_through", "write_allocate": False, "mshrs": 2},
        "l2": {"size": "1536KiB", "assoc": 12, "inclusion": "inclusive"},
        "l3": {"size": "3MiB", "assoc": 12, "seed": 99, "policy": "random"},
        "memory": {"tRCD": 1.1e-8 / 3, "tCL": "14.16ns", "tBURST": 0.0, "row_size": "2KiB",
                   "mapping": "row_column_bank", "banks": 1},
    })


CONFIGS = {name: presets.get for name in presets.names()}


def all_configs():
    return [presets.get(n) for n in presets.names()] + [special_config()]


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".yml", ".json"])
def test_file_round_trip_exact(tmp_path, suffix):
    for i, c in enumerate(all_configs()):
        path = c.save(tmp_path / f"c{i}{suffix}")
        back = SystemConfig.from_file(path)
        assert back == c, (suffix, c.name)
        assert back.to_dict() == c.to_dict()


def test_dict_round_trip_and_units_written_back():
    c = SystemConfig()
    d = c.to_dict()
    assert d["l1d"]["size"] == "32KiB" and d["l2"]["size"] == "256KiB"
    assert d["core"]["frequency"] == "1GHz" and d["memory"]["tCL"] == "13.75ns"
    assert d["l1d"]["line_size"] == "64B" and d["l3"] is None
    json.dumps(d)  # plain data
    assert SystemConfig.from_dict(d) == c
    assert SystemConfig.from_dict(special_config().to_dict()) == special_config()


def test_toml_text_is_plain(tmp_path):
    path = presets.get("textbook").save(tmp_path / "t.toml")
    text = path.read_text()
    assert 'l2 = "none"' in text and 'l3 = "none"' in text
    assert '[l1d]\nsize = "16KiB"\nassoc = 1\n' in text
    data = tomllib.loads(text)
    assert data["memory"]["kind"] == "fixed" and data["core"]["frequency"] == "1GHz"


def test_yaml_null_levels(tmp_path):
    path = presets.get("embedded").save(tmp_path / "e.yaml")
    data = yaml.safe_load(path.read_text())
    assert data["l2"] is None and data["l1i"]["assoc"] == 2


def test_partial_dict_keeps_level_defaults():
    c = SystemConfig.from_dict({"l1i": {"size": "64KiB"}, "l2": {"hit_latency": 14}})
    assert (c.l1i.size, c.l1i.assoc) == (64 * KiB, 4)   # l1i keeps its 4 ways, not 8
    assert (c.l2.size, c.l2.hit_latency) == (256 * KiB, 14)


def test_from_dict_with_preset_key():
    c = SystemConfig.from_dict({"preset": "embedded", "l1d": {"size": "8KiB"}})
    assert c.l1d.size == 8 * KiB and c.l1d.assoc == 4 and c.l2 is None
    assert c.core.frequency == 320e6


@pytest.mark.parametrize("data,message", [
    ({"l1d": {"sise": 1}}, "unknown config key 'l1d.sise' (did you mean 'size'?); known keys "
                           "here are size, assoc, line_size"),
    ({"cache": {}}, "unknown config key 'cache'; known keys here are name, core, bpred, l1i, "
                    "l1d, l2, l3, memory"),
    ({"memory": {"tcl": "1ns"}}, "did you mean 'tCL'?"),
    ({"l1d": [1]}, "l1d = [1]: must be a table of l1d settings"),
    ({"l1i": None}, "l1i = None: must be a table"),
    ({"l3": "yes please"}, "l3 = 'yes please': use none to remove the level"),
    ({"preset": "bogus"}, "unknown preset 'bogus'; known presets are default, textbook, "
                          "embedded, application, u74, boom_medium, c910"),
])
def test_from_dict_errors(data, message):
    with pytest.raises(ConfigError) as e:
        SystemConfig.from_dict(data)
    assert message in str(e.value)


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        SystemConfig.from_file(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="unknown type; use a name ending in .toml"):
        SystemConfig.from_file(tmp_path / "c.ini")
    with pytest.raises(ConfigError, match="cannot save a config as 'c.xml'"):
        SystemConfig().save(tmp_path / "c.xml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[l1d\nsize = 1")
    with pytest.raises(ConfigError, match="cannot parse config file"):
        SystemConfig.from_file(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a table of sections, not list"):
        SystemConfig.from_file(lst)
    unknown = tmp_path / "u.json"
    unknown.write_text('{"l2": {"latency": 3}}')
    with pytest.raises(ConfigError, match="'l2.latency'"):
        SystemConfig.from_file(unknown)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert SystemConfig.from_file(empty) == SystemConfig()


def test_hand_written_toml(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('preset = "application"\nname = "mine"\nl3 = "default"\n\n'
                    '[l1d]\nsize = "64KB"\npolicy = "PLRU"\n\n[memory]\ntCL = 15e-9\n')
    c = SystemConfig.from_file(path)
    assert (c.name, c.l1d.size, c.l1d.policy, c.memory.tCL) == ("mine", 64 * KiB, "plru",
                                                                 15e-9)
    assert c.l3.size == 2 * MiB and c.l2.size == 2 * MiB


# -- overrides --------------------------------------------------------------------------------

def test_overrides_nested_dotted_and_strings():
    base = SystemConfig()
    a = base.with_overrides({"l1d": {"size": "64KiB", "policy": "fifo"}})
    b = base.with_overrides({"l1d.size": "64KiB", "l1d.policy": "fifo"})
    s = base.with_overrides(parse_assignments(["l1d.size=64KiB", "l1d.policy = fifo"]))
    li = base.with_overrides(["l1d.size=65536", "l1d.policy=FIFO"])
    assert a == b == s == li
    assert a.l1d.size == 64 * KiB and a.l1d.policy == "fifo" and a.l1d.assoc == 8
    assert base.l1d.size == 32 * KiB  # the original is untouched
    t = base.with_overrides({"core.mul_latency": "5", "core.div_pipelined": "true",
                             "core.frequency": "2.5GHz", "memory.tRCD": "15ns",
                             "bpred.kind": "bimodal", "name": "x"})
    assert (t.core.mul_latency, t.core.div_pipelined, t.core.frequency, t.memory.tRCD,
            t.bpred.kind, t.name) == (5, True, 2.5e9, 15e-9, "bimodal", "x")


def test_overrides_enable_and_disable_levels():
    base = SystemConfig()
    on = base.with_overrides({"l3.size": "4MiB"})
    assert (on.l3.size, on.l3.assoc, on.l3.hit_latency) == (4 * MiB, 16, 30)
    assert on.with_overrides(["l3=none"]).l3 is None
    assert on.with_overrides({"l3": None}).l3 is None
    assert on.with_overrides({"l3": "default"}).l3 == on.l3  # already on: unchanged
    no_l2 = base.with_overrides(["l2=none"])
    assert no_l2.l2 is None and no_l2.last_level[0] == "l1d"
    assert no_l2.with_overrides(["l2.hit_latency=10"]).l2.size == 256 * KiB
    with pytest.raises(ConfigError, match="l3 is set to none and l3.size is given too"):
        base.with_overrides({"l3": "none", "l3.size": "1MiB"})
    replaced = base.with_overrides({"l2": CacheConfig(size="512KiB", assoc=8,
                                                      hit_latency=14)})
    assert replaced.l2.size == 512 * KiB


@pytest.mark.parametrize("overrides,message", [
    (["l1d.size"], "is not of the form key=value"),
    ("l1d.size=1", "overrides must be a dict or a list"),
    ({"l1d.size": "lots"}, "l1d.size: cannot read 'lots' as a size"),
    ({"core.mul_latency": "three"}, "core.mul_latency: cannot read 'three' as an integer"),
    ({"core.mul_latency": 2.5}, "cannot read 2.5 as an integer"),
    ({"core.div_pipelined": "perhaps"}, "cannot read 'perhaps' as a boolean"),
    ({"core.frequency": "quick"}, "cannot read 'quick' as a frequency"),
    ({"preset": "embedded"}, "preset can only be chosen at the top"),
    ({"core.mul_latency.x": 1}, "unknown config key 'core.mul_latency.x'"),
    ({"name": 3}, "name = 3: must be text"),
])
def test_override_errors(overrides, message):
    with pytest.raises(ConfigError) as e:
        SystemConfig().with_overrides(overrides)
    assert message in str(e.value)


def test_get_and_flat_dict():
    c = SystemConfig()
    assert c.get("l1d.size") == 32 * KiB and c.get("core.frequency") == 1e9
    assert c.get("l3") is None and c.get("name") == "default"
    flat = c.to_flat_dict()
    assert flat["l1d.size"] == "32KiB" and flat["l3"] is None and flat["memory.tCL"] == "13.75ns"
    with pytest.raises(ConfigError, match="l3 is none"):
        c.get("l3.size")
    with pytest.raises(ConfigError, match="did you mean 'size'"):
        c.get("l1d.sizes")


# -- resolve_config ---------------------------------------------------------------------------

def test_resolve_config_inputs(tmp_path):
    assert resolve_config() == SystemConfig()
    emb = resolve_config(preset="embedded")
    assert emb == presets.get("embedded")
    assert resolve_config("embedded") == emb
    assert resolve_config({"l1d": {"size": "8KiB"}}, preset="embedded").l1d.size == 8 * KiB
    path = presets.get("application").save(tmp_path / "a.json")
    assert resolve_config(path) == presets.get("application")
    assert resolve_config(str(path), overrides=["l3.size=8MiB"]).l3.size == 8 * MiB
    obj = SystemConfig()
    got = resolve_config(obj, overrides={"l1d.assoc": 4})
    assert got.l1d.assoc == 4 and obj.l1d.assoc == 8 and got is not obj
    assert resolve_config(obj) is not obj


@pytest.mark.parametrize("args,message", [
    ((SystemConfig(), "embedded"), "either a config object or a preset"),
    (({"preset": "textbook"}, "embedded"), "two presets given"),
    (("no_such_thing",), "'no_such_thing' is neither a config file nor a preset; presets are "
                         "default, textbook"),
    ((None, "nope"), "unknown preset 'nope'"),
    ((42,), "config must be a SystemConfig, a dict, a file path or a preset name"),
])
def test_resolve_config_errors(args, message):
    with pytest.raises(ConfigError) as e:
        resolve_config(*args)
    assert message in str(e.value)


# -- presets ----------------------------------------------------------------------------------

def test_presets():
    assert presets.names() == ["default", "textbook", "embedded", "application", "u74",
                               "boom_medium", "c910"]
    for name in presets.names():
        c = presets.get(name)
        assert c.name == name
        c.validate()
        assert len(presets.describe(name)) > 80
        assert presets.get(name) is not c and presets.get(name) == c
    assert presets.get("default") == SystemConfig()
    tb = presets.get("textbook")
    assert tb.l2 is None and tb.l3 is None and tb.memory.kind == "fixed"
    assert tb.l1d.assoc == 1 and tb.bpred.kind == "static_nt"
    app = presets.get("application")
    assert app.l2.size == 2 * MiB and app.core.frequency == 1.2e9
    boom = presets.get("boom_medium")        # riscv-boom WithNMediumBooms (docs/presets.md)
    mp = boom.core.model_params
    assert boom.core.model == "ooo" and type(mp).__name__ == "OooParams"
    assert (mp.decode_width, mp.commit_width, mp.rob_entries, mp.int_phys_regs,
            mp.fp_phys_regs, mp.int_iq_entries, mp.mem_iq_entries, mp.fp_iq_entries,
            mp.lq_entries, mp.sq_entries) == (2, 2, 64, 80, 64, 20, 12, 16, 16, 16)
    assert boom.l1d.size == boom.l1i.size == 16 * KiB and boom.l1d.mshrs == 2
    c910 = presets.get("c910")               # openc910 RTL, ISCA 2020 (docs/presets.md)
    mp = c910.core.model_params
    assert (mp.fetch_width, mp.decode_width, mp.commit_width, mp.rob_entries,
            mp.int_phys_regs, mp.lq_entries, mp.sq_entries, mp.memory_dependence) == (
        8, 3, 3, 192, 96, 16, 12, "store_sets")
    assert c910.l1d.size == c910.l1i.size == 64 * KiB and c910.bpred.ras_depth == 12
    a = presets.get("embedded")
    a.l1d.size = "4KiB"
    assert presets.get("embedded").l1d.size == 16 * KiB  # presets are fresh copies
    with pytest.raises(ConfigError, match="unknown preset 'big'; known presets are default, "
                                          "textbook, embedded, application, u74, boom_medium, "
                                          "c910"):
        presets.get("big")


def test_summary_and_repr():
    c = presets.get("application")
    text = str(c)
    assert "l1d     32KiB 8-way" in text and "1.2GHz" in text and "l3      none" in text
    assert "14.16ns" in text
    ns = {"SystemConfig": SystemConfig, "CoreConfig": CoreConfig, "CacheConfig": CacheConfig,
          "BranchPredictorConfig": BranchPredictorConfig, "MemoryConfig": MemoryConfig,
          "TlbConfig": TlbConfig, "CoherenceConfig": CoherenceConfig,
          "EngineConfig": EngineConfig}
    assert eval(repr(c), ns) == c  # the repr is evaluable and exact


# -- generated reference ----------------------------------------------------------------------

def test_docs_config_md_is_current():
    path = REPO / "docs" / "config.md"
    assert path.read_text(encoding="utf-8") == config_reference(), \
        "docs/config.md is stale: run `python -m cyclesim.config` to regenerate it"


def test_reference_mentions_every_field():
    text = config_reference()
    for cls in (CoreConfig, BranchPredictorConfig, CacheConfig, MemoryConfig):
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in text
            assert f.metadata["help"] in text


def test_text_forms_and_module_attributes():
    import cyclesim.config as config_module
    assert config_module.presets is presets
    c = presets.get("embedded")
    assert tomllib.loads(c.to_toml())["l1i"]["assoc"] == 2
    assert json.loads(c.to_json())["core"]["frequency"] == "320MHz"
    assert yaml.safe_load(c.to_yaml())["memory"]["latency"] == 40
    assert SystemConfig.from_dict(tomllib.loads(c.to_toml())) == c


@pytest.mark.parametrize("core, message", [
    ({"width": 4}, "core.width = 4: must be 1, 2 or 3 instructions per cycle"),
    ({"fetch_stages": 0}, "core.fetch_stages = 0: must be between 1 and 4 stages"),
    ({"width": 2, "mem_per_cycle": 3}, "core.mem_per_cycle = 3: must be between 1 and width (2)"),
    ({"no_pair": "branch+foo"}, "has 'branch+foo'; write pairs like 'branch+muldiv'"),
    ({"late_alu": True, "forwarding": "none"}, "core.late_alu = True: needs forwarding = 'full'"),
    ({"late_alu_delay": 0}, "core.late_alu_delay = 0: must be at least 1 cycle"),
])
def test_superscalar_fields_are_checked(core, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        SystemConfig.from_dict({"core": core})


def test_cores_and_engine_fields():
    c = SystemConfig.from_dict({"cores": 4, "engine": {"quantum": 500}})
    assert c.cores == 4 and c.engine.quantum == 500
    assert c.with_overrides(["cores=2"]).cores == 2          # --set cores=2 (text)
    assert SystemConfig.from_dict(c.to_dict()) == c
    assert tomllib.loads(c.to_toml())["cores"] == 4
    for bad in (0, 65, "four", True):
        with pytest.raises(ConfigError, match=r"cores = .*from 1 to 64"):
            SystemConfig.from_dict({"cores": bad})
    with pytest.raises(ConfigError, match="engine.quantum"):
        SystemConfig.from_dict({"engine": {"quantum": 0}})
    with pytest.raises(ConfigError, match="engine.min_quantum"):
        SystemConfig.from_dict({"engine": {"min_quantum": 0}})
    e = SystemConfig.from_dict({"engine": {"adaptive": False, "min_quantum": 25}}).engine
    assert (e.adaptive, e.min_quantum, e.quantum) == (False, 25, 1000)
    with pytest.raises(ConfigError, match="unknown config key 'cores.x'"):
        c.with_overrides({"cores.x": 1})


def test_per_core_overrides():
    c = SystemConfig.from_dict({"cores": 4, "core": {"model": "ooo"}, "per_core": [
        {"cores": [3, 1, 2], "core": {"model": "inorder"}, "bpred": {"kind": "bimodal"}}]})
    assert c.per_core[0]["cores"] == [1, 2, 3]
    assert c.hart_config(0)[0].model == "ooo" and c.hart_config(0)[1].kind == c.bpred.kind
    assert c.hart_config(1)[0].model == "inorder" and c.hart_config(3)[1].kind == "bimodal"
    assert SystemConfig.from_dict(tomllib.loads(c.to_toml())) == c
    assert SystemConfig.from_dict(json.loads(c.to_json())) == c
    assert "cores [1, 2, 3]: core.model = inorder" in c.summary()
    for bad, message in (
            ([{"cores": [4]}], r"names hart 4, but cores = 4 \(harts 0 to 3\)"),
            ([{"cores": [1]}, {"cores": [1, 2]}], "already sets; give each hart once"),
            ([{"cores": [1], "l2": {}}], "unknown config key 'per_core\\[0\\].l2'"),
            ([{"core": {}}], "must be a table with a `cores` list"),
            ([{"cores": [1], "core": {"frequency": "2GHz"}}], "one clock"),
            ([{"cores": [1], "core": {"mul_latency": 0}}], r"per_core\[0\].core.mul_latency")):
        with pytest.raises(ConfigError, match=message):
            SystemConfig.from_dict({"cores": 4, "per_core": bad})
    with pytest.raises(ConfigError, match="not as one --set value"):
        c.with_overrides(["per_core=x"])
