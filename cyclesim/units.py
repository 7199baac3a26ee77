"""Parse and format the quantities a configuration is written in: sizes, frequencies, times.

Conventions (also in docs/config.md):

* **Sizes are bytes and binary.** ``64B``, ``32KiB``, ``1MiB``, ``2GiB``; the JEDEC memory
  spellings ``32KB``/``32K``, ``2MB``/``2M``, ``1GB``/``1G`` mean the same binary multiples,
  because in cache and memory talk "32KB" always means 32768 bytes (nobody builds a
  32000-byte cache). A plain integer is bytes. A lowercase ``b`` after a prefix (``32Kb``)
  is rejected because it would mean bits. Fractions are fine when the result is a whole
  number of bytes (``1.5KiB`` = 1536).
* **Frequencies are Hz.** ``2GHz``, ``800 MHz``, ``32.768kHz``, ``1e9``; a plain number is Hz.
* **Times are seconds.** ``13.75ns``, ``1us`` (or ``1µs``), ``250ps``, ``2ms``, ``1s``; a
  plain number is seconds.

Prefixes and unit letters are case-insensitive except the byte ``B``. Arithmetic goes
through :class:`decimal.Decimal` so that ``parse_time(format_time(x)) == x`` exactly for
every float ``x`` (the saved config of a result reloads to the identical value).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from cyclesim.errors import ConfigError

__all__ = [
    "parse_size", "format_size", "parse_frequency", "format_frequency",
    "parse_time", "format_time", "time_to_cycles", "parse_bool", "parse_int", "is_power_of_two",
    "SIZE_FORMS", "FREQUENCY_FORMS", "TIME_FORMS",
]

SIZE_FORMS = ("an integer number of bytes or a size such as 64B, 32KiB, 1MiB, 2GiB "
              "(KB/MB/GB = KiB/MiB/GiB)")
FREQUENCY_FORMS = "a number of Hz or a frequency such as 800MHz, 1.2GHz, 32.768kHz"
TIME_FORMS = "a number of seconds or a time such as 13.75ns, 250ps, 1us, 2ms"

_NUMBER = r"(-?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_SIZE_RE = re.compile(r"^\s*" + _NUMBER + r"\s*([kKmMgGtT]?)(i?)([bB]?)\s*$")
_FREQ_RE = re.compile(r"^\s*" + _NUMBER + r"\s*([kKmMgG]?)(?:[hH][zZ])?\s*$")
_TIME_RE = re.compile(r"^\s*" + _NUMBER + r"\s*(ps|ns|us|µs|μs|ms|s)?\s*$", re.IGNORECASE)

# Decimal digits above which a size is refused while parsing (every field's bound is far
# below 10**30 bytes), so that "1e999999B" cannot make a million-digit integer.
_MAX_DIGITS = 30
_SIZE_SCALE = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_NAMES = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
_FREQ_SCALE = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
_FREQ_NAMES = [("GHz", 10**9), ("MHz", 10**6), ("kHz", 10**3)]
_TIME_SCALE = {"s": Decimal(1), "ms": Decimal("1e-3"), "us": Decimal("1e-6"),
               "µs": Decimal("1e-6"), "μs": Decimal("1e-6"), "ns": Decimal("1e-9"),
               "ps": Decimal("1e-12")}
_TIME_NAMES = [("s", Decimal(1)), ("ms", Decimal("1e-3")), ("us", Decimal("1e-6")),
               ("ns", Decimal("1e-9")), ("ps", Decimal("1e-12"))]


def is_power_of_two(n: int) -> bool:
    return isinstance(n, int) and n > 0 and (n & (n - 1)) == 0


def _plain(value):
    """NumPy scalars (np.int64 from a sweep's arange, np.bool_) as Python scalars."""
    if getattr(value, "shape", None) == () and callable(getattr(value, "item", None)):
        return value.item()
    return value


def _decimal_text(d: Decimal) -> str:
    """Shortest plain (no exponent) text for a Decimal: 13.75, 2, 0.5."""
    d = d.normalize()
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def shown(value, limit: int = 60) -> str:
    """repr(value) for a message, shortened in the middle past `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 4:]}"


def _bad(kind: str, text, forms: str, what: str = "") -> ConfigError:
    label = f"{what}: " if what else ""
    return ConfigError(f"{label}cannot read {shown(text)} as {kind}; write {forms}.")


def parse_size(value, what: str = "") -> int:
    """Bytes from an int or a size string ("32KiB", "1 MiB", "64B", "2MB" = 2 MiB)."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _bad("a size", value, SIZE_FORMS, what)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _bad("a size", value, SIZE_FORMS, what)
    if not isinstance(value, str):
        raise _bad("a size", value, SIZE_FORMS, what)
    m = _SIZE_RE.match(value)
    if not m:
        raise _bad("a size", value, SIZE_FORMS, what)
    number, prefix, binary, byte = m.groups()
    if byte == "b":
        raise ConfigError(f"{what + ': ' if what else ''}{shown(value)} ends in a lowercase b "
                          f"(bits); sizes are bytes, so write B, e.g. 32KiB.")
    if binary and not prefix:
        raise _bad("a size", value, SIZE_FORMS, what)
    try:
        exact = Decimal(number) * _SIZE_SCALE[prefix.lower()]
    except ArithmeticError:          # InvalidOperation, Overflow ("1e999999999T")
        raise _bad("a size", value, SIZE_FORMS, what) from None
    if exact.adjusted() > _MAX_DIGITS:   # no field allows it; do not build a huge int
        raise ConfigError(f"{what + ': ' if what else ''}{shown(value)} is far too large for a "
                          f"size; write {SIZE_FORMS}.")
    if exact != exact.to_integral_value():
        raise ConfigError(f"{what + ': ' if what else ''}{shown(value)} is not a whole number "
                          f"of bytes; write {SIZE_FORMS}.")
    return int(exact)


def format_size(n: int) -> str:
    """The largest binary unit that divides ``n`` exactly: 32768 -> "32KiB", 1536 -> "1536B"."""
    if n != 0:
        for name, scale in _SIZE_NAMES:
            if n % scale == 0:
                return f"{n // scale}{name}"
    return f"{n}B"


def parse_frequency(value, what: str = "") -> float:
    """Hz (float) from a number or a frequency string ("2GHz", "800 MHz")."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _bad("a frequency", value, FREQUENCY_FORMS, what)
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise _bad("a frequency", value, FREQUENCY_FORMS, what)
    m = _FREQ_RE.match(value)
    if not m:
        raise _bad("a frequency", value, FREQUENCY_FORMS, what)
    number, prefix = m.groups()
    try:
        return float(Decimal(number) * _FREQ_SCALE[prefix.lower()])
    except ArithmeticError:
        raise _bad("a frequency", value, FREQUENCY_FORMS, what) from None


def format_frequency(hz: float) -> str:
    """The largest of GHz/MHz/kHz the value reaches, shortest exact digits: "1.2GHz"."""
    if not math.isfinite(hz):
        return repr(hz)
    d = Decimal(repr(float(hz)))
    for name, scale in _FREQ_NAMES:
        if abs(d) >= scale:
            return f"{_decimal_text(d / scale)}{name}"
    return f"{_decimal_text(d)}Hz"


def parse_time(value, what: str = "") -> float:
    """Seconds (float) from a number or a time string ("13.75ns", "1us")."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _bad("a time", value, TIME_FORMS, what)
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise _bad("a time", value, TIME_FORMS, what)
    m = _TIME_RE.match(value)
    if not m:
        raise _bad("a time", value, TIME_FORMS, what)
    number, unit = m.groups()
    try:
        return float(Decimal(number) * _TIME_SCALE[(unit or "s").lower()])
    except ArithmeticError:
        raise _bad("a time", value, TIME_FORMS, what) from None


def format_time(seconds: float) -> str:
    """The largest of s/ms/us/ns/ps the value reaches, shortest exact digits: "13.75ns"."""
    if not math.isfinite(seconds):
        return repr(seconds)
    d = Decimal(repr(float(seconds)))
    if d == 0:
        return "0ns"
    for name, scale in _TIME_NAMES:
        if abs(d) >= scale:
            return f"{_decimal_text(d / scale)}{name}"
    return f"{_decimal_text(d / _TIME_NAMES[-1][1])}ps"


def time_to_cycles(seconds: float, frequency: float) -> int:
    """Whole cycles covering ``seconds`` at ``frequency`` Hz, rounded up.

    Uses the decimal values as written (13.75ns at 1.2GHz = 16.5 -> 17), so that 10ns at
    1GHz is exactly 10 cycles and not 11 from a float product of 10.000000000000002.
    """
    seconds, frequency = parse_time(seconds), parse_frequency(frequency)
    exact = Decimal(repr(seconds)) * Decimal(repr(frequency))
    return int(exact.to_integral_value(rounding="ROUND_CEILING"))


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_bool(value, what: str = "") -> bool:
    """A bool from a bool, 0/1, or true/false/yes/no/on/off (any case)."""
    value = _plain(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
    raise _bad("a boolean", value, "true or false", what)


def parse_int(value, what: str = "") -> int:
    """An int from an int, an integral float, or a decimal/hex string ("12", "0x40")."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _bad("an integer", value, "a whole number such as 12", what)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip().replace("_", ""), 0)
        except ValueError:
            pass
    raise _bad("an integer", value, "a whole number such as 12", what)
