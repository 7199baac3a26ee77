"""Units: sizes, frequencies and times as written in configs. Expected values are worked
out by hand (KiB = 1024, MHz = 1e6, ns = 1e-9) in the tables below."""

import random

import pytest

from cyclesim.errors import ConfigError
from cyclesim.units import (
    format_frequency,
    format_size,
    format_time,
    is_power_of_two,
    parse_bool,
    parse_frequency,
    parse_int,
    parse_size,
    parse_time,
)

SIZES = [
    ("64B", 64), ("64", 64), (64, 64), ("0", 0), ("1KiB", 1024), ("32KiB", 32768),
    ("32 KiB", 32768), (" 1 MiB ", 1048576), ("2MiB", 2097152), ("1GiB", 1073741824),
    ("1TiB", 1099511627776),
    # JEDEC spellings are binary too (documented decision).
    ("32KB", 32768), ("32K", 32768), ("32k", 32768), ("2MB", 2097152), ("2M", 2097152),
    ("1GB", 1073741824), ("1.5KiB", 1536), ("0.5MiB", 524288), (4096.0, 4096),
]


@pytest.mark.parametrize("text,expected", SIZES)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "KiB", "32XB", "32 KiBs", "1.3B", "0.1KiB",
                                  "32Kb", "64b", "32iB", "lots", None, [32], True, 1.5])
def test_parse_size_rejects(text):
    with pytest.raises(ConfigError) as e:
        parse_size(text, "l1d.size")
    msg = str(e.value)
    assert msg.startswith("l1d.size")
    assert "KiB" in msg  # names the accepted form


def test_lowercase_b_is_bits_message():
    with pytest.raises(ConfigError, match="bits"):
        parse_size("32Kb")


FORMAT_SIZES = [(32768, "32KiB"), (64, "64B"), (1536, "1536B"), (1048576, "1MiB"),
                (3 * 1048576, "3MiB"), (2 ** 30, "1GiB"), (0, "0B"), (1000, "1000B"),
                (2 ** 40, "1TiB"), (1536 * 1024, "1536KiB")]


@pytest.mark.parametrize("n,text", FORMAT_SIZES)
def test_format_size(n, text):
    assert format_size(n) == text
    assert parse_size(text) == n


FREQS = [
    ("2GHz", 2e9), ("800 MHz", 800e6), ("800MHz", 800e6), ("1.2GHz", 1.2e9),
    ("32.768kHz", 32768.0), ("320mhz", 320e6), ("1e9", 1e9), (1000000000, 1e9),
    ("50Hz", 50.0), ("2G", 2e9), (1.5e9, 1.5e9),
]


@pytest.mark.parametrize("text,expected", FREQS)
def test_parse_frequency(text, expected):
    assert parse_frequency(text) == expected
    assert isinstance(parse_frequency(text), float)


@pytest.mark.parametrize("text", ["fast", "GHz", "2 GHzz", "2THz", None, True])
def test_parse_frequency_rejects(text):
    with pytest.raises(ConfigError, match="800MHz"):
        parse_frequency(text, "core.frequency")


@pytest.mark.parametrize("hz,text", [(1e9, "1GHz"), (1.2e9, "1.2GHz"), (320e6, "320MHz"),
                                     (32768.0, "32.768kHz"), (50.0, "50Hz"),
                                     (1.5e9, "1.5GHz"), (2.5e6, "2.5MHz")])
def test_format_frequency(hz, text):
    assert format_frequency(hz) == text


TIMES = [
    ("13.75ns", 13.75e-9), ("1us", 1e-6), ("1µs", 1e-6), ("250ps", 250e-12),
    ("2ms", 2e-3), ("1s", 1.0), ("0.5", 0.5), (3, 3.0), ("2.5 ns", 2.5e-9),
    ("10NS", 10e-9), ("0", 0.0), ("14.16ns", 14.16e-9), ("-1ns", -1e-9),
]


@pytest.mark.parametrize("text,expected", TIMES)
def test_parse_time(text, expected):
    # Decimal arithmetic: the nearest float to the written decimal, same as the literal.
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["soon", "ns", "13.75 nanoseconds", "1h", None, False])
def test_parse_time_rejects(text):
    with pytest.raises(ConfigError, match="13.75ns"):
        parse_time(text, "memory.tCL")


@pytest.mark.parametrize("s,text", [(13.75e-9, "13.75ns"), (2.5e-9, "2.5ns"),
                                    (1e-6, "1us"), (1e-3, "1ms"), (2.0, "2s"),
                                    (250e-12, "250ps"), (0.0, "0ns"), (1500e-9, "1.5us")])
def test_format_time(s, text):
    assert format_time(s) == text


def test_float_round_trips_are_exact():
    rng = random.Random(12345)
    for _ in range(2000):
        t = rng.uniform(0, 1e-6) * 10 ** rng.randint(-4, 6)
        assert parse_time(format_time(t)) == t
        f = rng.uniform(1, 10) * 10 ** rng.randint(0, 10)
        assert parse_frequency(format_frequency(f)) == f
        n = rng.randint(1, 1 << 20) << rng.randint(0, 30)
        assert parse_size(format_size(n)) == n


@pytest.mark.parametrize("text,expected", [("true", True), ("False", False), ("yes", True),
                                           ("off", False), ("1", True), (0, False),
                                           (True, True)])
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", 2, None, "", 1.0])
def test_parse_bool_rejects(text):
    with pytest.raises(ConfigError, match="true or false"):
        parse_bool(text)


@pytest.mark.parametrize("text,expected", [("12", 12), (" 7 ", 7), ("0x40", 64),
                                           ("1_000", 1000), (5, 5), (8.0, 8), ("-3", -3)])
def test_parse_int(text, expected):
    assert parse_int(text) == expected


@pytest.mark.parametrize("text", ["1.5", 1.5, "twelve", True, None])
def test_parse_int_rejects(text):
    with pytest.raises(ConfigError, match="whole number"):
        parse_int(text)


def test_is_power_of_two():
    assert [n for n in range(-2, 70) if is_power_of_two(n)] == [1, 2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("t,f,cycles", [
    (13.75e-9, 1e9, 14), (13.75e-9, 1.2e9, 17),   # 13.75, 16.5 rounded up
    (10e-9, 1e9, 10), (3e-9, 1e9, 3), (6e-9, 2e9, 12),   # exact products stay exact
    ("2.5ns", "1.2GHz", 3), ("10ns", "320MHz", 4),      # 3.0 and 3.2
    (0.0, 1e9, 0), (1e-12, 1e9, 1),
])
def test_time_to_cycles(t, f, cycles):
    from cyclesim.units import time_to_cycles
    assert time_to_cycles(t, f) == cycles


def test_numpy_scalars_become_python_scalars():
    np = pytest.importorskip("numpy")
    assert type(parse_size(np.int64(4096))) is int and parse_size(np.int32(64)) == 64
    assert type(parse_int(np.int64(7))) is int
    assert parse_bool(np.bool_(True)) is True
    assert type(parse_frequency(np.float64(2e9))) is float
    assert parse_time(np.float32(0.5)) == 0.5
