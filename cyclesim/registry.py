"""Plug-ins by name: one registry per kind (replacement policy, prefetcher, branch predictor,
core model, memory model), and the only list of names of that kind.

A plug-in is one module in its component's folder. The module registers itself when it is
imported, with the small parameter dataclass it owns (units, ranges, help)::

    # caches/prefetchers/next_line.pyx
    @dataclass(repr=False)
    class NextLineParams(Params):
        degree: int = param(1, unit="lines", help="Lines fetched ahead of a miss.")

    PREFETCHERS.register("next_line", NextLineParams, help="Fetch the next lines on a miss.",
                         source="Smith, 'Cache memories', Computing Surveys 1982")(NextLine)

A registry made with ``package="caches.prefetchers"`` imports every module of that package
the first time a name is asked for, so adding a plug-in is adding a file: no list to edit.

A config field that names a plug-in is declared with :func:`plugin_param`; its choices come
from the registry. The plug-in's own parameters sit in a companion field declared with
:func:`plugin_params` (conventionally ``<field>_params``), a nested table in config files::

    [l1d]
    prefetcher = "ip_stride"
    [l1d.prefetcher_params]
    degree = 4

and a dotted key on the command line: ``--set l1d.prefetcher_params.degree=4``. Choosing
another plug-in resets its parameters to the new plug-in's defaults, then applies the given
ones. Unknown names and unknown parameters are errors that list the known ones.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cyclesim.errors import ConfigError

__all__ = ["Registry", "Plugin", "NoParams", "plugin_param", "plugin_params"]


def _params_base():
    from cyclesim.params import Params
    return Params


@dataclass(frozen=True)
class Plugin:
    """One registered plug-in."""

    name: str             # the name a config uses
    factory: Callable     # builds the component: factory(params, **wiring)
    params: type          # its Params dataclass (NoParams when it has none)
    help: str             # one line for docs and `cyclesim presets`-style listings
    source: str = ""      # the paper, manual or design the plug-in implements


class Registry:
    """The plug-ins of one kind, by name."""

    def __init__(self, kind: str, package: str | None = None):
        self.kind = kind              # "prefetcher", "replacement policy", ...
        self.package = package        # import every module of it on first use
        self._plugins: dict[str, Plugin] = {}
        self._loaded = package is None

    def register(self, name: str, params: type | None = None, *, help: str,
                 source: str = "") -> Callable:
        """Decorator (or call with the factory) that registers ``name``."""
        if params is None:
            params = NoParams

        def add(factory: Callable) -> Callable:
            old = self._plugins.get(name)
            if old is not None and old.factory is not factory:
                raise RuntimeError(f"two {self.kind}s registered as {name!r}")
            self._plugins[name] = Plugin(name, factory, params, help, source)
            return factory
        return add

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pkg = importlib.import_module(self.package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{self.package}.{info.name}")

    def names(self) -> tuple[str, ...]:
        self._load()
        return tuple(self._plugins)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._plugins

    def get(self, name: str, what: str | None = None) -> Plugin:
        """The plug-in called ``name``; an unknown name is a ConfigError listing the known
        ones (``what`` names the config field, e.g. "l1d.prefetcher")."""
        self._load()
        plugin = self._plugins.get(name)
        if plugin is None:
            from cyclesim.units import shown

            where = f"{what} = {shown(name)}" if what else shown(name)
            raise ConfigError(f"{where}: unknown {self.kind}; known ones are "
                              f"{', '.join(self._plugins) or '(none)'}.")
        return plugin

    def make(self, name: str, params: Any = None, **wiring: Any) -> Any:
        """Build the plug-in ``name`` with its params (defaults when None)."""
        plugin = self.get(name)
        if params is None:
            params = plugin.params()
        return plugin.factory(params, **wiring)

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, help, source) of every plug-in, in registration order."""
        self._load()
        return [(p.name, p.help, p.source) for p in self._plugins.values()]


def _no_params():
    Params = _params_base()

    @dataclass(repr=False)
    class NoParams(Params):
        """A plug-in without parameters."""
    # Picklable (sweep workers receive configs) as cyclesim.registry.NoParams.
    NoParams.__qualname__ = "NoParams"
    NoParams.__module__ = __name__
    return NoParams


NoParams = _no_params()


def plugin_param(registry: Registry, default: str, *, help: str):
    """A config field naming a plug-in of ``registry`` (its choices are the registry's)."""
    return dataclasses.field(default=default,
                             metadata={"unit": "", "help": help, "registry": registry})


def plugin_params(of: str, *, help: str = ""):
    """The companion field holding the parameters of the plug-in named by field ``of``.

    Its value is an instance of that plug-in's Params class (a nested table in files)."""
    return dataclasses.field(default=None,
                             metadata={"unit": "", "plugin_of": of,
                                       "help": help or f"Parameters of the chosen {of} "
                                                       f"(see its own table)."})
