"""Fuzzing the command line with hostile input (issue 8, "How it is checked"): mutated ELF
files, random config files, random --set values and run options. Every case must end
with an exit status and, for bad input, one sentence on stderr: never a traceback, never
an exception out of the CLI's entry function.

The cases come from a seeded generator, so a failure names its seed and case and is
reproduced by rerunning with it. Each part runs for a bounded time (CYCLESIM_FUZZ_SECONDS,
default 6 s per part, about 25 s in all); CYCLESIM_FUZZ_SEED picks another sequence.
Runs are in-process (cyclesim.cli.main) for speed.
"""
import json
import os
import random
import struct
import time

import pytest

from cyclesim import cli, workloads

SECONDS = float(os.environ.get("CYCLESIM_FUZZ_SECONDS", "6"))
SEED = int(os.environ.get("CYCLESIM_FUZZ_SEED", "8"))
MIN_CASES = 20          # even on a slow machine each part tries this many


def check_outcome(rc, err: str, case) -> None:
    """An exit status, and bad input told in exactly one line "cyclesim: ..."."""
    assert isinstance(rc, int) and 0 <= rc <= 255, (case, rc)
    assert "Traceback" not in err, (case, err)
    said = [line for line in err.splitlines() if line.startswith("cyclesim: ")]
    # cyclesim's own failures (125-127) are one sentence; a guest that ran may exit with
    # the same code itself (only 0-123 are unambiguous), and then the run says so
    guest_ran = any(line.startswith("[cyclesim] exited with code") for line in err.splitlines())
    if rc in (cli.EXIT_BAD_INPUT, cli.EXIT_CANNOT_LOAD, cli.EXIT_NOT_FOUND) and not guest_ran:
        lines = [line for line in err.splitlines()
                 if line.strip() and not line.startswith("[cyclesim]")]
        if lines and lines[0].startswith("usage: "):
            # argparse's own form for an option it cannot read: the usage, then one line
            # "cyclesim run: error: argument --seed: invalid int value: 'abc'"
            assert ": error: " in lines[-1] and not said, (case, err)
            return
        assert len(lines) == 1 and lines == said, (case, err)
        assert len(said[0]) < 600, (case, said[0])      # a sentence, not a dump
    for line in said:
        assert not line.rstrip().endswith(":"), (case, line)


def fuzz(capsys, name, make_case, run_case):
    """Cases from make_case(rng, i) run with run_case(case) -> argv until the time
    budget is spent (at least MIN_CASES); each outcome is checked."""
    rng = random.Random(f"{SEED}:{name}")
    deadline = time.monotonic() + SECONDS
    i = 0
    while i < MIN_CASES or time.monotonic() < deadline:
        case = make_case(rng, i)
        argv = run_case(case)
        try:
            rc = cli.main([str(a) for a in argv])
        except BaseException as e:     # noqa: BLE001 (the point: nothing may escape)
            pytest.fail(f"{name} case {i} (seed {SEED}): {argv!r} raised "
                        f"{type(e).__name__}: {e}")
        err = capsys.readouterr().err
        check_outcome(rc, err, (name, i, argv))
        i += 1
    return i


# -- mutated ELF files ---------------------------------------------------------------------

_HELLO = workloads.path("hello").read_bytes()
_EHDR_FIELDS = {          # offset, struct format of ELF64 header fields worth breaking
    "e_type": (16, "<H"), "e_machine": (18, "<H"), "e_entry": (24, "<Q"),
    "e_phoff": (32, "<Q"), "e_shoff": (40, "<Q"), "e_phentsize": (54, "<H"),
    "e_phnum": (56, "<H"), "e_shentsize": (58, "<H"), "e_shnum": (60, "<H"),
    "e_shstrndx": (62, "<H"),
}
_PHDR_FIELDS = {"p_type": (0, "<I"), "p_flags": (4, "<I"), "p_offset": (8, "<Q"),
                "p_vaddr": (16, "<Q"), "p_filesz": (32, "<Q"), "p_memsz": (40, "<Q")}


def _interesting(rng, fmt, size):
    top = (1 << (8 * struct.calcsize(fmt))) - 1
    return rng.choice([0, 1, 2, 3, 7, 64, 0x1000, size, size + 1, size - 1, top, top >> 1,
                       1 << 31, rng.randrange(top + 1), rng.randrange(0x100000)]) & top


def mutate_elf(rng, i):
    data = bytearray(_HELLO)
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for _ in range(rng.randint(1, 3)):
        how = rng.randrange(6)
        if how < 2 and len(data) < phoff + 56 * phnum:
            how = 4                              # truncated already: bytes only
        if how == 0:                             # a header field
            off, fmt = rng.choice(list(_EHDR_FIELDS.values()))
            struct.pack_into(fmt, data, off, _interesting(rng, fmt, len(data)))
        elif how == 1:                           # a program header field
            off, fmt = rng.choice(list(_PHDR_FIELDS.values()))
            base = phoff + 56 * rng.randrange(phnum)
            struct.pack_into(fmt, data, base + off, _interesting(rng, fmt, len(data)))
        elif how == 2:                           # random bytes in the headers
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(min(len(data), phoff + 56 * phnum))] = rng.randrange(256)
        elif how == 3:                           # truncated
            del data[rng.randrange(len(data)):]
        elif how == 4:                           # random bytes anywhere (code, symbols)
            for _ in range(rng.randint(1, 64)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:                                    # a random block in the section headers
            shoff, = struct.unpack_from("<Q", data, 40) if len(data) >= 48 else (0,)
            at = shoff if 0 < shoff < len(data) else rng.randrange(len(data))
            n = min(256, len(data) - at)
            data[at:at + n] = rng.randbytes(n)
        if not data:
            break
    return bytes(data)


def test_fuzz_mutated_elf_files(capsys, tmp_path):
    path = tmp_path / "mutant"

    def run_case(data):
        path.write_bytes(data)
        return ["run", "--mode", "functional", "--quiet", "--max-insts", 20_000,
                "--mem-limit", "64MiB", path]

    assert fuzz(capsys, "elf", mutate_elf, run_case) >= MIN_CASES


# -- random config files -------------------------------------------------------------------

def _known_keys():
    from cyclesim.config import SystemConfig

    flat = SystemConfig().to_flat_dict()
    return [k for k in flat if k != "name"]


_KEYS = _known_keys()
_NASTY = ["", " ", "0", "-1", "1e30", "1e400", "-1e400", "nan", "inf", "-inf", "1TiB",
          "1e999999999", "0x" + "f" * 40, "9" * 5000, "64KiB", "1.5", "true", "none",
          "default", "\x00", "\udcff", "é", "1GHz", "1e30GHz", "13.75ns", "-0", "4294967296",
          "18446744073709551616", "lru", "tage", "ship", "[1]", "{}", "1e-30", "0b101",
          "1_000", "٣"]


def random_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return rng.choice([0, 1, -1, 2**31, 2**63, 2**64, 10**30, -(10**30),
                           rng.randrange(-10**6, 10**6)])
    if kind == 1:
        return rng.choice([0.5, 1e30, -1e-30, float("inf"), float("nan"), 1e308])
    if kind == 2:
        return rng.choice([True, False])
    if kind in (3, 4, 5):
        return rng.choice(_NASTY)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(_KEYS + ["bogus", ""]).split(".")[-1]: random_value(rng, depth + 1)
            for _ in range(rng.randrange(3))}


def random_config(rng, i):
    """(suffix, file bytes): JSON, YAML or TOML of random known and unknown keys, or
    random bytes and random text."""
    tree = {}
    for _ in range(rng.randrange(6)):
        key = rng.choice(_KEYS + ["preset", "name", "bogus.key", "core", "l3", "l2"])
        sec, _, field = key.partition(".")
        value = random_value(rng)
        if field and rng.random() < 0.7:
            sub = tree.setdefault(sec, {})
            if isinstance(sub, dict):
                sub[field] = value
        else:
            tree[key] = value
    how = rng.randrange(5)
    if how == 0:
        return ".json", json.dumps(tree, allow_nan=True).encode()
    if how == 1:
        import yaml

        return ".yaml", yaml.safe_dump(tree, allow_unicode=True).encode("utf-8",
                                                                         "surrogatepass")
    if how == 2:
        lines = []
        for sec, body in tree.items():
            if isinstance(body, dict):
                lines.append(f"[{sec}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in body.items()]
            else:
                lines.insert(0, f"{json.dumps(sec)} = {json.dumps(body)}")
        return ".toml", "\n".join(lines).encode("utf-8", "surrogatepass")
    if how == 3:
        return rng.choice([".toml", ".json", ".yaml"]), rng.randbytes(rng.randrange(1, 400))
    text = "".join(rng.choice("[]{}=:\"',.-_ \n\tabcl12dsizeKiB#\\") for _ in range(200))
    return rng.choice([".toml", ".json", ".yaml", ".yml"]), text.encode()


def test_fuzz_random_config_files(capsys, tmp_path):
    def run_case(case):
        suffix, data = case
        path = tmp_path / f"machine{suffix}"
        path.write_bytes(data)
        return ["config", "--config", path]

    assert fuzz(capsys, "config", random_config, run_case) >= MIN_CASES


# -- random --set values and run options ---------------------------------------------------

def random_setting(rng, i):
    key = rng.choice(_KEYS + ["l3", "l2", "bogus", "l1d.bogus", "", "l1d.", ".size",
                              "bpred.kind_params.num_tables", "l2.policy_params.rrpv_bits"])
    value = rng.choice(_NASTY + [str(random_value(rng)),
                                 str(rng.randrange(-(2**70), 2**70)),
                                 f"{rng.random() * 10 ** rng.randrange(-40, 40)}"
                                 f"{rng.choice(['', 'B', 'KiB', 'GiB', 'Hz', 'GHz', 'ns', 's'])}"])
    return f"{key}={value}"


def test_fuzz_random_set_values(capsys):
    settings = []

    def run_case(setting):
        settings.append(setting)
        return ["config", "--set", setting]

    assert fuzz(capsys, "set", random_setting, run_case) >= MIN_CASES


_OPTIONS = {
    "--sample-interval": lambda r: r.choice(["-1", "0", "1", "2**62", str(2**63), "x"]),
    "--trace-window": lambda r: r.choice(["0:1", "-1:5", "5:-1", "0:" + "9" * 30, "a:b",
                                          "0:0", ":", f"{r.randrange(10**6)}:{r.randrange(1, 10**13)}"]),
    "--max-insts": lambda r: r.choice(["-5", str(10**30), "1", "abc", "0"]),
    "--max-cycles": lambda r: r.choice(["-5", str(10**30), "10", "0"]),
    "--seed": lambda r: r.choice(["-1", str(2**64), "abc", "7"]),
    "--mem-limit": lambda r: r.choice(["0", "1", "1e30GiB", "-1MiB", "2MiB", "x", "1TiB"]),
    "--stop-at": lambda r: r.choice(["main", "nosuchsymbol", "-1", hex(1 << 70), "0x0"]),
    "--output-limit": lambda r: r.choice(["0", "-1", "1e40", "x", "1KiB"]),
    "--warmup": lambda r: r.choice(["-1", str(10**40), "100"]),
}


def random_options(rng, i):
    picked = rng.sample(sorted(_OPTIONS), rng.randint(1, 3))
    argv = []
    for opt in picked:
        argv += [opt, _OPTIONS[opt](rng)]
    if rng.random() < 0.3:
        argv += ["--set", random_setting(rng, i)]
    if rng.random() < 0.3:
        argv += ["--trace", rng.choice(["pipeline", "memory", "cycles"])]
    mode = rng.choice(["functional", "functional", "timing"])
    return ["--mode", mode, *argv]


def test_fuzz_random_run_options(capsys):
    def run_case(options):
        return ["run", "--quiet", "--max-insts", 3000, *options, "hello"]

    assert fuzz(capsys, "options", random_options, run_case) >= MIN_CASES
