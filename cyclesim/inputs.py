"""Checks of run()'s arguments, each failing with one sentence (an ArgumentError) instead
of a traceback from deep inside, or a silent conversion (a string read as a list of
one-character directories, None passed to the guest as the text "None")."""
from __future__ import annotations

import operator
import os
from collections.abc import Mapping

from cyclesim.errors import ArgumentError

__all__ = ["guest_args", "env", "seed", "allow_read", "allow_write", "sample_interval",
           "mem_limit"]

_PATH = (str, os.PathLike)


def guest_args(args) -> list[str]:
    """Guest arguments as text: str, bytes, paths and numbers (run("matmul", 64))."""
    out = []
    for i, a in enumerate(args, 1):
        if isinstance(a, bool) or not isinstance(a, (str, bytes, os.PathLike, int, float)):
            raise ArgumentError(f"guest argument {i} is {a!r} ({type(a).__name__}); give "
                                "text, a number or a path, e.g. str(value) if that is meant")
        out.append(os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a))
    return out


def env(value) -> dict[str, str] | None:
    """The guest environment: None (the default) or a mapping of names to text."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ArgumentError(f"env must be a dict of NAME: value, not a "
                            f"{type(value).__name__} ({_short(value)}); e.g. env={{'HOME': "
                            "'/home/user'}")
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not k or "=" in k or "\0" in k:
            raise ArgumentError(f"env name {k!r} is not a variable name; use text without "
                                "'=' or NUL, such as 'PATH'")
        if not isinstance(v, str) or "\0" in v:
            raise ArgumentError(f"env[{k!r}] = {_short(v)} is not text without NUL bytes; "
                                "give a string, e.g. str(value)")
        out[k] = v
    return out


def seed(value) -> int:
    """A whole number 0 .. 2**64-1."""
    try:
        if isinstance(value, bool):
            raise TypeError
        n = operator.index(value)
    except TypeError:
        raise ArgumentError(f"seed = {_short(value)}: give a whole number such as 0 or "
                            "42") from None
    if not 0 <= n < 1 << 64:
        raise ArgumentError(f"seed = {n}: give a whole number from 0 to 2**64-1")
    return n


def allow_read(value) -> tuple[str, ...]:
    """Directories the guest may read: a list (or tuple) of paths, not one string."""
    if isinstance(value, (str, bytes, os.PathLike)):
        raise ArgumentError(f"allow_read = {_short(value)} is one path, but allow_read "
                            f"takes a list of directories; write allow_read=[{value!r}]")
    try:
        items = tuple(value or ())
    except TypeError:
        raise ArgumentError(f"allow_read = {_short(value)}: give a list of directories, "
                            "e.g. ['data/']") from None
    for d in items:
        if not isinstance(d, (str, bytes, os.PathLike)):
            raise ArgumentError(f"allow_read entry {_short(d)} is not a path; give "
                                "directory names as text, e.g. ['data/']")
    return tuple(os.fsdecode(d) for d in items)


def allow_write(value):
    """One directory the guest may write, or None."""
    if value is None or isinstance(value, (str, bytes, os.PathLike)):
        return None if value is None else os.fsdecode(value)
    raise ArgumentError(f"allow_write = {_short(value)}: give one directory as text, e.g. "
                        "'out/', or None")


def sample_interval(value) -> int | None:
    """Cycles between interval samples: None (off) or a whole number from 1."""
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        n = operator.index(value)
    except TypeError:
        raise ArgumentError(f"sample_interval = {_short(value)}: give a whole number of "
                            "cycles such as 100000, or None for no samples") from None
    if not 1 <= n < 1 << 62:
        raise ArgumentError(f"sample_interval = {n}: give a number of cycles of at least 1 "
                            "(such as 100000), or None / 0 on the command line for none")
    return n


def mem_limit(value) -> int:
    """The guest memory cap in bytes, from a size ("1GiB") or a number; 1 TiB at most (the
    modeled Sv39 address space is 256 GiB)."""
    from cyclesim.errors import ConfigError
    from cyclesim.units import parse_size

    try:
        if isinstance(value, bool):
            raise ConfigError("")
        n = parse_size(value, "mem_limit")
    except ConfigError:
        raise ArgumentError(f"mem_limit = {_short(value)}: give a size such as 1GiB or "
                            "512MiB") from None
    if not 0 <= n <= 1 << 40:
        raise ArgumentError(f"mem_limit = {_short(value)}: give a size of at most 1TiB, such "
                            "as 1GiB")
    return n


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
