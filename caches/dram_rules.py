"""The rules between DRAM timing parameters, checked on the config (times in seconds) and
by caches.dram.Dram (cycles): one sentence naming the field on the first broken rule."""

from __future__ import annotations

from cyclesim.errors import ConfigError

__all__ = ["check_timing_rules"]


def check_timing_rules(t: dict, show) -> None:
    """``t``: {"tRCD": ..., "tBURST": ..., "tREFI": ...} in one unit; ``show(value)``
    writes a value of that unit for the message."""
    def fail(name, problem):
        raise ConfigError(f"memory.{name} = {show(t[name])}: {problem}.")

    if t["tRRD_L"] < t["tRRD_S"]:
        fail("tRRD_L", f"must be at least tRRD_S ({show(t['tRRD_S'])}): activates in one "
                       f"bank group are spaced at least as far as in different groups")
    if t["tFAW"] and t["tFAW"] < t["tRRD_L"]:
        fail("tFAW", f"must be 0 (no four-activate window) or at least tRRD_L "
                     f"({show(t['tRRD_L'])}); a window shorter than the spacing of two "
                     f"activates is not a DRAM")
    if t["tCCD_L"] < t["tCCD_S"]:
        fail("tCCD_L", f"must be at least tCCD_S ({show(t['tCCD_S'])})")
    if t["tREFI"]:
        cycle = (t["tRP"] + t["tRAS"] + t["tRCD"] + max(t["tCL"], t["tCWL"]) + t["tBURST"]
                 + t["tWR"])
        if t["tREFI"] <= t["tRFC"] + cycle:
            fail("tREFI", f"must exceed tRFC ({show(t['tRFC'])}) plus one row cycle "
                          f"(tRP + tRAS + tRCD + tCL + tBURST + tWR = {show(cycle)}), or be "
                          f"0 to turn refresh off")
