"""Declaring component parameters: a dataclass field with unit, help and allowed values.

Every component config (``CoreConfig``, ``CacheConfig``, ...) is a dataclass that derives
from :class:`Params` and declares each field with :func:`param`::

    size: int = param(32768, unit="bytes", help="Total capacity.")

The metadata drives everything that must not drift: parsing values written as text
("32KiB", "1GHz", "true"), formatting them back, rejecting unknown keys, the generated
reference in docs/config.md, and the generic checks (type, allowed values) of ``validate``.
Assigning a field goes through the same parser, so ``cfg.l1d.size = "64KiB"`` stores 65536.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, ClassVar

from cyclesim import units
from cyclesim.units import shown
from cyclesim.errors import ConfigError

__all__ = ["param", "Params", "field_kind", "choices_of", "range_of", "format_range",
           "check_range", "ConfigError"]

# unit -> how values of that unit are read and written back.
_UNIT_KIND = {"bytes": "size", "Hz": "frequency", "s": "time"}


def param(default=dataclasses.MISSING, *, unit: str = "", help: str,
          choices: tuple[str, ...] | None = None, default_factory=dataclasses.MISSING,
          min=None, max=None):
    """A dataclass field carrying {"unit", "help"} (and "choices" for an enumeration).

    Every number (size, count, time, frequency) declares the range real hardware could
    plausibly have with ``min``/``max``: values outside it are refused with one sentence
    before anything is built, which also keeps host memory and C integer types safe.
    """
    meta = {"unit": unit, "help": help}
    if choices is not None:
        meta["choices"] = tuple(choices)
    if min is not None:
        meta["min"] = min
    if max is not None:
        meta["max"] = max
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


NUMERIC_KINDS = ("size", "frequency", "time", "int", "float")


def range_of(f: dataclasses.Field) -> tuple[Any, Any]:
    """(min, max) declared for a numeric field (None where a bound is not declared)."""
    return f.metadata.get("min"), f.metadata.get("max")


def format_range(f: dataclasses.Field) -> str:
    """The allowed range as written in a config file: "1 to 1024", "8B to 4KiB"."""
    lo, hi = range_of(f)
    text = [str(format_value(f, b)) if b is not None else None for b in (lo, hi)]
    unit = f.metadata.get("unit", "")
    unit = f" {unit}" if unit and field_kind(f) in ("int", "float") else ""
    if lo is not None and hi is not None:
        return f"{text[0]} to {text[1]}{unit}"
    if hi is not None:
        return f"at most {text[1]}{unit}"
    if lo is not None:
        return f"at least {text[0]}{unit}"
    return ""


def check_range(f: dataclasses.Field, value: Any, what: str) -> None:
    """ConfigError when a numeric value lies outside the field's declared range."""
    lo, hi = range_of(f)
    if lo is None and hi is None:
        return
    import math
    if isinstance(value, float) and math.isnan(value):
        bad = True
    else:
        bad = (lo is not None and value < lo) or (hi is not None and value > hi)
    if bad:
        text = str(format_value(f, value))
        text = text if len(text) <= 60 else f"{text[:30]}...{text[-15:]}"
        bounds = format_range(f)
        if lo is not None and hi is not None:
            bounds = "between " + bounds.replace(" to ", " and ", 1)
        raise ConfigError(f"{what} = {text}: must be {bounds}, the range real hardware "
                          f"plausibly has; give a value in it.")


def field_kind(f: dataclasses.Field) -> str:
    """"size" | "frequency" | "time" | "bool" | "int" | "float" | "choice" | "str" |
    "table" (the parameters of a plug-in, see cyclesim.registry)."""
    if "plugin_of" in f.metadata:
        return "table"
    if "registry" in f.metadata:
        return "choice"
    unit = f.metadata.get("unit", "")
    if unit in _UNIT_KIND:
        return _UNIT_KIND[unit]
    if "choices" in f.metadata:
        return "choice"
    typ = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    for name in ("bool", "int", "float", "str"):
        if typ == name:
            return name
    raise TypeError(f"field {f.name} has no scalar kind ({typ!r})")


def coerce(f: dataclasses.Field, value: Any, what: str) -> Any:
    """Turn a value given by the user (maybe text) into the field's stored type."""
    kind = field_kind(f)
    if kind == "size":
        return units.parse_size(value, what)
    if kind == "frequency":
        return units.parse_frequency(value, what)
    if kind == "time":
        return units.parse_time(value, what)
    if kind == "bool":
        return units.parse_bool(value, what)
    if kind == "int":
        return units.parse_int(value, what)
    if kind == "float":
        if isinstance(value, bool):
            raise ConfigError(f"{what}: {shown(value)} is not a number; write a number such "
                              f"as 1.5.")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{what}: {shown(value)} is not a number; write a number such as "
                              f"1.5.") from None
    if kind == "choice":
        reg = f.metadata.get("registry")
        if reg is not None:
            if isinstance(value, str):
                for name in (value.strip(), value.strip().lower()):   # "FIFO" like choices
                    if name in reg:
                        return name
            reg.get(value if isinstance(value, str) else repr(value), what)
        choices = f.metadata["choices"]
        if isinstance(value, str):
            for c in choices:
                if value.strip().lower() == c.lower():
                    return c
        raise ConfigError(f"{what} = {shown(value)}: unknown value; use one of "
                          f"{', '.join(choices)}.")
    if not isinstance(value, str):
        raise ConfigError(f"{what}: {shown(value)} is not text; write a string.")
    return value


def choices_of(f: dataclasses.Field) -> tuple[str, ...]:
    """The allowed values of a choice field (a plug-in field's come from its registry)."""
    reg = f.metadata.get("registry")
    return reg.names() if reg is not None else tuple(f.metadata.get("choices", ()))


def format_value(f: dataclasses.Field, value: Any) -> Any:
    """The value as it is written in a config file: sizes "32KiB", times "13.75ns", ...;
    a plug-in's parameters as a nested dict."""
    kind = field_kind(f)
    if kind == "table":
        return None if value is None else value.to_dict()
    if kind == "size":
        return units.format_size(value)
    if kind == "frequency":
        return units.format_frequency(value)
    if kind == "time":
        return units.format_time(value)
    return value


def unknown_key(path: str, key: str, known) -> ConfigError:
    known = list(known)
    close = [k for k in known if k.lower() == str(key).lower()] or \
        difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    where = f"{path}.{key}" if path else str(key)
    return ConfigError(f"unknown config key {shown(where)}{hint}; known keys here are "
                       f"{', '.join(known)}.")


class Params:
    """Base of every component config dataclass (see the module docstring)."""

    _fields_cache: ClassVar[dict] = {}

    @classmethod
    def param_fields(cls) -> dict[str, dataclasses.Field]:
        cached = Params._fields_cache.get(cls)
        if cached is None:
            cached = {f.name: f for f in dataclasses.fields(cls)}
            Params._fields_cache[cls] = cached
        return cached

    def __setattr__(self, name: str, value: Any) -> None:
        f = self.param_fields().get(name)
        if f is None:
            raise AttributeError(f"{type(self).__name__} has no parameter {name!r}; known "
                                 f"ones are {', '.join(self.param_fields())}.")
        if field_kind(f) == "table":
            value = self._table_value(f, value, name)
        else:
            value = coerce(f, value, name)
        object.__setattr__(self, name, value)

    def __post_init__(self) -> None:
        # A plug-in parameter table left at None takes the chosen plug-in's defaults.
        for name, f in self.param_fields().items():
            if field_kind(f) == "table" and getattr(self, name) is None:
                object.__setattr__(self, name, self._plugin_params_class(f)())

    # -- plug-in parameter tables (cyclesim.registry) --------------------------------------

    def _plugin_params_class(self, f: dataclasses.Field) -> type:
        chooser = self.param_fields()[f.metadata["plugin_of"]]
        return chooser.metadata["registry"].get(getattr(self, chooser.name)).params

    def _table_value(self, f: dataclasses.Field, value: Any, what: str):
        import copy
        if value is None:
            return None
        cls = self._plugin_params_class(f)
        if isinstance(value, Params):
            if type(value) is not cls:
                raise ConfigError(f"{what}: {type(value).__name__} does not fit the chosen "
                                  f"{f.metadata['plugin_of']}; give {cls.__name__} or a "
                                  f"table of its fields.")
            return copy.deepcopy(value)
        return cls.from_dict(value, what)

    # -- dict form -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Field values as written in a config file (units formatted back)."""
        return {name: format_value(f, getattr(self, name))
                for name, f in self.param_fields().items()}

    def updated(self, values: dict, path: str = ""):
        """A copy with ``values`` (a flat dict of this component's fields) applied."""
        if not isinstance(values, dict):
            raise ConfigError(f"{path or type(self).__name__} must be a table of settings "
                              f"(a dict), not {values!r}.")
        new = dataclasses.replace(self)
        fields = self.param_fields()
        tables: dict[str, dict] = {}
        for key, value in values.items():
            if not isinstance(key, str):
                raise ConfigError(f"config key {key!r} must be text.")
            head, dot, rest = key.partition(".")
            f = fields.get(head)
            if f is None or (dot and field_kind(f) != "table"):
                raise unknown_key(path, key, fields)
            if field_kind(f) == "table":
                if dot:
                    tables.setdefault(head, {})[rest] = value
                elif isinstance(value, Params):
                    tables[head] = value
                elif isinstance(value, dict):
                    tables.setdefault(head, {}).update(value)
                else:
                    raise ConfigError(f"{path}.{key} = {shown(value)}: must be a table of the "
                                      f"{f.metadata['plugin_of']}'s parameters; to set one "
                                      f"write {path}.{key}.<parameter>.")
                continue
            object.__setattr__(new, key, coerce(f, value, f"{path}.{key}" if path else key))
        for name, f in fields.items():
            if field_kind(f) != "table":
                continue
            cls = new._plugin_params_class(f)
            current = getattr(new, name)
            if type(current) is not cls:
                current = cls()
            given = tables.get(name)
            where = f"{path}.{name}" if path else name
            if isinstance(given, Params):
                current = new._table_value(f, given, where)
            elif given:
                current = current.updated(given, where)
            object.__setattr__(new, name, current)
        return new

    @classmethod
    def from_dict(cls, values: dict, path: str = ""):
        """Defaults of ``cls`` with ``values`` applied; unknown keys are rejected."""
        return cls().updated(values, path)

    # -- checks ----------------------------------------------------------------------------

    def check_fields(self, path: str) -> None:
        """Generic checks from the metadata: each value has its type and allowed value."""
        for name, f in self.param_fields().items():
            value = getattr(self, name)
            if field_kind(f) == "table":
                cls = self._plugin_params_class(f)
                if type(value) is not cls:
                    raise ConfigError(f"{path}.{name}: must hold {cls.__name__} (the "
                                      f"parameters of the chosen {f.metadata['plugin_of']}).")
                value.validate(f"{path}.{name}")
                continue
            coerced = coerce(f, value, f"{path}.{name}")
            if coerced != value or type(coerced) is not type(value):
                raise ConfigError(f"{path}.{name} = {shown(value)}: wrong type; write "
                                  f"{format_value(f, coerced)!r}.")

    def check_ranges(self, path: str) -> None:
        """Every numeric field within its declared range, plug-in tables included (run
        after ``validate``, whose own messages are more specific where it has them)."""
        for name, f in self.param_fields().items():
            value = getattr(self, name)
            kind = field_kind(f)
            if kind == "table":
                if isinstance(value, Params):
                    value.check_ranges(f"{path}.{name}")
            elif kind in NUMERIC_KINDS:
                check_range(f, value, f"{path}.{name}")

    def validate(self, path: str) -> None:  # overridden by each component
        self.check_fields(path)

    def fail(self, path: str, name: str, problem: str) -> ConfigError:
        """A ConfigError "path.name = value: problem." (problem says what is allowed)."""
        f = self.param_fields()[name]
        shown = format_value(f, getattr(self, name))
        return ConfigError(f"{path}.{name} = {shown}: {problem}.")

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"{type(self).__name__}({body})"
