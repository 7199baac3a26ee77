"""The plug-in registry and plug-in parameter tables (cyclesim.registry, cyclesim.params)."""
from dataclasses import dataclass

import pytest

from cyclesim.errors import ConfigError
from cyclesim.params import Params, param
from cyclesim.registry import NoParams, Registry, plugin_param, plugin_params

TOYS = Registry("toy")


@dataclass(repr=False)
class StrideParams(Params):
    degree: int = param(2, unit="lines", help="Lines ahead.")
    table: int = param(64, unit="entries", help="Entries.")

    def validate(self, path):
        self.check_fields(path)
        if self.degree < 1:
            raise self.fail(path, "degree", "must be at least 1")


TOYS.register("none", help="Nothing.")(lambda p: None)
TOYS.register("stride", StrideParams, help="Per-PC stride.", source="Chen & Baer 1995")(
    lambda p, scale=1: ("stride", p.degree * scale))


@dataclass(repr=False)
class LevelParams(Params):
    size: int = param(1024, unit="bytes", help="Size.")
    prefetcher: str = plugin_param(TOYS, "none", help="Prefetcher.")
    prefetcher_params: Params = plugin_params("prefetcher")


def test_names_get_make_and_unknown_name():
    assert TOYS.names() == ("none", "stride")
    assert TOYS.make("stride", scale=3) == ("stride", 6)
    with pytest.raises(ConfigError, match=r"x\.pf = 'tage': unknown toy; known ones are "
                                          r"none, stride\."):
        TOYS.get("tage", "x.pf")


def test_default_table_follows_the_chosen_plugin():
    c = LevelParams()
    assert type(c.prefetcher_params) is NoParams
    c2 = c.updated({"prefetcher": "stride"}, "l1d")
    assert type(c2.prefetcher_params) is StrideParams and c2.prefetcher_params.degree == 2
    c3 = c2.updated({"prefetcher_params.degree": "4"}, "l1d")
    assert c3.prefetcher_params.degree == 4 and c2.prefetcher_params.degree == 2
    c4 = c.updated({"prefetcher": "stride", "prefetcher_params": {"table": 8}}, "l1d")
    assert (c4.prefetcher_params.degree, c4.prefetcher_params.table) == (2, 8)
    assert c4.to_dict() == {"size": "1KiB", "prefetcher": "stride",
                            "prefetcher_params": {"degree": 2, "table": 8}}
    assert LevelParams.from_dict(c4.to_dict()).to_dict() == c4.to_dict()
    # switching plug-in resets the table to the new plug-in's defaults
    assert type(c4.updated({"prefetcher": "none"}, "l1d").prefetcher_params) is NoParams


def test_bad_tables_are_one_sentence():
    c = LevelParams().updated({"prefetcher": "stride"}, "l1d")
    with pytest.raises(ConfigError, match=r"unknown config key 'l1d.prefetcher_params.deg"):
        c.updated({"prefetcher_params.degre": 1}, "l1d")
    with pytest.raises(ConfigError, match="unknown toy"):
        c.updated({"prefetcher": "nope"}, "l1d")
    with pytest.raises(ConfigError, match="must be a table"):
        c.updated({"prefetcher_params": 3}, "l1d")
    bad = c.updated({"prefetcher_params.degree": 0}, "l1d")
    with pytest.raises(ConfigError, match=r"l1d\.prefetcher_params\.degree = 0: must be at "
                                          r"least 1\."):
        bad.validate("l1d")


def test_package_registry_loads_every_module_of_its_folder(tmp_path, monkeypatch):
    pkg = tmp_path / "toyplugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "alpha.py").write_text(
        "from tests_registry_shared import REG\nREG.register('alpha', help='a')(lambda p: 1)\n")
    (pkg / "beta.py").write_text(
        "from tests_registry_shared import REG\nREG.register('beta', help='b')(lambda p: 2)\n")
    (tmp_path / "tests_registry_shared.py").write_text(
        "from cyclesim.registry import Registry\nREG = Registry('thing', package='toyplugins')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import tests_registry_shared
    assert tests_registry_shared.REG.names() == ("alpha", "beta")
