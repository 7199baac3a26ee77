"""Per-program results of a multi-program run (docs/engine.md, "Multi-program runs"):
`result.programs[i]` and the table `result.per_program`."""
from __future__ import annotations

import pandas as pd

from cyclesim.results.result import CPI_PREFIX, SimResult, stats_series


class ProgramResult:
    """One program of a multi-program run: what it printed, how it ended, and its
    statistics from its start to its end (or to the end of the run, if it was cut)."""

    alone_cycles = None          # its cycles run alone on the same machine (alone=True)
    slowdown = None              # cycles here / cycles alone

    def __init__(self, index, info, harts, record, stdout, stderr, output_dropped,
                 unknown_syscalls, warnings):
        self.index = index
        self.program = info["name"]
        self.args = list(info["args"])
        self.path = info["path"]
        self.bundled = info["bundled"]
        self.harts = list(harts)
        self.status = record["status"]
        self.message = record["message"]
        self.exit_code = record["exit_code"]
        self.fault = record["fault"]
        self.end_cycle = record["end_cycle"]
        self.stats = stats_series(record["stats"], self.program)
        self.stdout_bytes = stdout
        self.stderr_bytes = stderr
        self.output_dropped = dict(output_dropped)
        self.unknown_syscalls = dict(unknown_syscalls)
        self.warnings = list(warnings)

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.status == "exited" and self.exit_code == 0

    @property
    def instructions(self) -> int:
        return int(self.stats["core.instructions"])

    @property
    def cycles(self) -> int:
        """Cycles from the start (or the last statistics reset) to its end."""
        return int(self.stats["core.cycles"])

    @property
    def ipc(self) -> float:
        return float(self.stats["core.ipc"])

    def cpi_stack(self) -> pd.Series:
        """Cycles of its harts by cause over its lifetime (timing mode); the parts sum to
        cycles x the number of its harts (one hart: to its cycles)."""
        parts = self.stats[self.stats.index.str.startswith(CPI_PREFIX)]
        parts.index = parts.index.str[len(CPI_PREFIX):]
        parts.name = "cycles"
        return parts.astype("int64")

    alone = None                 # its ProgramResult run alone (alone=True)

    def set_alone(self, alone: "ProgramResult") -> None:
        self.alone = alone
        self.alone_cycles = alone.cycles
        self.slowdown = self.cycles / alone.cycles if alone.cycles else None

    def __repr__(self):
        code = f" ({self.exit_code})" if self.exit_code is not None else ""
        return (f"<ProgramResult {self.index} {self.program} on harts {self.harts}: "
                f"{self.status}{code}, {self.instructions:,} instructions, "
                f"{self.cycles:,} cycles>")


def multi_result(system, infos, config, options, outcome) -> SimResult:
    """The SimResult of a multi-program run: the machine's statistics as for any run on
    several cores, and `programs`, one ProgramResult per program."""
    first = infos[0]
    result = SimResult.from_run(program=" + ".join(i["name"] for i in infos),
                                path=first["path"], args=[], config=config, options=options,
                                system=system, outcome=outcome)
    result.stdout_bytes = result.stderr_bytes = b""       # each program's own: programs[i]
    result.output_dropped = {"stdout": 0, "stderr": 0}
    result.unknown_syscalls = {}
    result.bundled = all(i["bundled"] for i in infos)
    result.programs = []
    warnings = []
    for p, (info, proc) in enumerate(zip(infos, system.processes)):
        own = []
        harts = system.placement[p]
        if len(proc.threads) > len(harts):
            own.append(f"program {p} ({info['name']}) ran {len(proc.threads)} threads on "
                       f"{len(harts)} hart(s), time-sliced; give it more harts with "
                       "placement= (--placement)")
        for kind, note in getattr(proc, "notes", {}).items():
            times = proc.unsupported[kind]
            own.append(f"program {p} ({info['name']}): {note}"
                       + (f" ({times} calls)" if times > 1 else ""))
        if proc.sandbox.denied_count:
            own.append(f"program {p} ({info['name']}): the sandbox refused the guest "
                       f"{proc.sandbox.denied_count} time(s); allow directories with "
                       "--allow-read DIR / --allow-write DIR")
        warnings += own
        result.programs.append(ProgramResult(p, info, harts, system.ended[p], proc.stdout,
                                             proc.stderr, proc.output_dropped,
                                             proc.unknown_syscalls, own))
        for k, v in proc.unknown_syscalls.items():
            result.unknown_syscalls[k] = result.unknown_syscalls.get(k, 0) + v
    result.warnings = warnings
    result.denied_paths = {"count": sum(p.sandbox.denied_count for p in system.processes),
                           "first": []}
    result._total_instructions = system.instret
    result.speedup = result.baseline_cycles = None
    result.until = system.until
    result.tmp_dir = None
    return result


def per_program_frame(result) -> pd.DataFrame:
    """One row per program: harts, status, exit code, instructions, cycles, IPC, its
    accesses and misses at the first shared level, each shared level's demand accesses
    and misses (and alone cycles and slowdown, if run)."""
    rows = []
    for pr in result.programs:
        row = {"program": " ".join([pr.program, *pr.args]), "harts": ",".join(map(str, pr.harts)),
               "status": pr.status, "exit_code": pr.exit_code,
               "instructions": pr.instructions, "cycles": pr.cycles, "ipc": pr.ipc}
        for key, value in pr.stats.items():
            if key.startswith(("core", "cpi_stack", "served", "syscalls", "threads")):
                continue
            if key.endswith((".accesses", ".misses", ".demand_accesses", ".demand_misses")):
                row[key] = value
        if pr.alone_cycles is not None:
            row["alone_cycles"] = pr.alone_cycles
            row["slowdown"] = pr.slowdown
        rows.append(row)
    return pd.DataFrame(rows).rename_axis("index")
