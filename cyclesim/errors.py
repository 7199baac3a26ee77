"""Errors cyclesim raises for bad input. Each message is one sentence that names what is
wrong and what to do; the CLI prints it without a traceback."""


class CyclesimError(Exception):
    """Base class: a problem with what the user gave us, not a bug in cyclesim."""


class ConfigError(CyclesimError, ValueError):
    """A configuration value is invalid (names the field, the value and what is allowed)."""


class ProgramError(CyclesimError):
    """The program cannot be loaded (not an ELF, wrong machine, dynamically linked, ...)."""


class WorkloadNotFound(CyclesimError, LookupError):
    """A workload name or path that does not exist."""


class ArgumentError(CyclesimError, ValueError):
    """An argument of cyclesim.run() (or the command-line option behind it) has the wrong
    type or value: seed="abc", env=[...], allow_read="data/", a None guest argument, ..."""


class TraceError(CyclesimError, ValueError):
    """An address trace cannot be read (names the file, the line or record, and what was
    expected there)."""
