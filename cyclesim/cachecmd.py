"""`cyclesim cache TRACE`: trace-driven cache simulation from the shell (docs/trace-driven.md)."""
from __future__ import annotations

import json
import sys


def add_parser(sub):
    c = sub.add_parser("cache", help="simulate the caches on an address trace "
                       "(lackey, din, ChampSim, cyclesim; see docs/trace-driven.md)")
    c.add_argument("trace", metavar="TRACE", help="trace file (may be .xz/.gz/.bz2)")
    c.add_argument("--format", choices=("lackey", "din", "dinx", "champsim", "cyclesim"),
                   help="trace format (default: from the file name, else its first bytes)")
    c.add_argument("--config", metavar="FILE",
                   help="machine config whose caches are simulated (.toml, .yaml, .json)")
    c.add_argument("--preset", metavar="NAME", help="machine preset (see `cyclesim presets`)")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config field, e.g. l1d.size=64KiB (repeatable)")
    c.add_argument("--issue", choices=("blocking", "gap", "trace"), default="blocking",
                   help="when each record is issued: after the previous one completes "
                        "(default), every --gap cycles, or at the trace's own cycles")
    c.add_argument("--gap", type=int, default=1, metavar="CYCLES",
                   help="cycles between records with --issue gap (default 1)")
    c.add_argument("--warmup", type=int, default=0, metavar="N",
                   help="records that only warm the caches")
    c.add_argument("--counts", action="store_true",
                   help="count hits, misses and writebacks only, no times (the counting "
                        "kernel: several times faster; docs/trace-driven.md)")
    c.add_argument("--classify-misses", action="store_true",
                   help="split misses into compulsory, capacity and conflict")
    c.add_argument("--mrc", action="store_true",
                   help="print the LRU miss-ratio curve of every size (one pass) instead")
    c.add_argument("--line-size", type=int, default=64, metavar="BYTES",
                   help="line size for --mrc (default 64)")
    c.add_argument("--sets", type=int, default=1, metavar="N",
                   help="sets for --mrc (default 1: fully associative)")
    c.add_argument("--json", action="store_true", help="print the stats as JSON")
    return c


def command(a, pairs, usage_error) -> int:
    import cyclesim.caches as cc
    from cyclesim.errors import CyclesimError
    try:
        if a.mrc:
            df = cc.miss_ratio_curve(a.trace, line_size=a.line_size, sets=a.sets,
                                     format=a.format)
            if a.json:
                print(df.to_json(orient="records"))
            else:
                print(df.to_string(index=False))
            return 0
        r = cc.simulate(a.trace, config=a.config, preset=a.preset,
                        overrides=pairs(a.overrides, "--set") or None, format=a.format,
                        issue=a.issue, gap=a.gap, warmup=a.warmup,
                        classify_misses=a.classify_misses, timing=not a.counts)
    except CyclesimError as e:
        raise usage_error(str(e)) from None
    except OSError as e:
        raise usage_error(f"cannot read {a.trace}: {e.strerror or e}") from None
    if a.json:
        print(json.dumps({k: (int(v) if float(v).is_integer() else float(v))
                          for k, v in r.stats.items()}, indent=1))
    else:
        print(r.report())
    sys.stdout.flush()
    return 0
