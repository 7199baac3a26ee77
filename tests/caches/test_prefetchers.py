"""The prefetcher plug-ins alone (caches/prefetchers/): hand-derived address sequences, the
Python prefetcher adapter, parameter checks, and agreement with the plain-Python references
of tests/caches/prefetch_reference.py on random and real workload streams.

Addresses in the hand-derived tests are written as line numbers x 64 (64-byte lines).
"""
import random
import sys
import types
from pathlib import Path

import pytest
from caches.prefetch import MAX_OUT, OUTCOMES
from caches.prefetchers import PREFETCHERS
from caches.prefetchers.best_offset import offset_list
from caches.prefetchers.python import PythonPrefetcher, load_class

from cyclesim.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from prefetch_reference import REFERENCES, offsets_235

L = 64
LOAD, IFETCH, STORE = 1, 0, 2


def make(name, **params):
    plugin = PREFETCHERS.get(name)
    return plugin.factory(plugin.params(**params), line_size=L, level="l1d")


def lines(addrs):
    return [a // L for a in addrs]


# ---- next_line ------------------------------------------------------------------------------

def test_next_line_fetches_degree_lines_after_a_miss_and_a_first_use():
    p = make("next_line", degree=2)
    assert lines(p.access_py(0, 100 * L + 8, LOAD, "miss")) == [101, 102]
    assert p.access_py(0, 101 * L, LOAD, "hit") == []                 # a plain hit: nothing
    assert p.access_py(0, 101 * L, LOAD, "hit_in_flight") == []       # merged demand miss
    # tagged: the first use of a prefetched line (complete or still in flight) triggers
    assert lines(p.access_py(0, 101 * L, LOAD, "hit_prefetched")) == [102, 103]
    assert lines(p.access_py(0, 102 * L, IFETCH, "late")) == [103, 104]
    untagged = make("next_line", degree=1, tagged=False)
    assert untagged.access_py(0, 101 * L, LOAD, "hit_prefetched") == []
    assert lines(untagged.access_py(0, 7 * L, STORE, "miss")) == [8]


# ---- ip_stride ------------------------------------------------------------------------------

def test_ip_stride_learns_a_stride_then_prefetches_degree_strides_ahead():
    p = make("ip_stride", entries=64, degree=2, counter_bits=2, threshold=2)
    pc, a0, s = 0x400, 0x10000, 4 * L
    # access 0: row taken over (conf 0, stride 0); 1: d = s != 0 at conf 0 -> stride = s;
    # 2: d == stride -> conf 1 (< threshold 2); 3: conf 2 -> fetch a3 + s, a3 + 2s.
    got = [p.access_py(pc, a0 + i * s, LOAD, "miss") for i in range(4)]
    assert got[:3] == [[], [], []]
    assert got[3] == [a0 + 4 * s, a0 + 5 * s]
    # 4: conf 3 (saturated at 2^2 - 1)
    assert p.access_py(pc, a0 + 4 * s, LOAD, "hit") == [a0 + 5 * s, a0 + 6 * s]
    # an irregular access: conf 3 -> 2, stride kept: still confident, from the new address
    odd = a0 + 100 * L
    assert p.access_py(pc, odd, LOAD, "miss") == [odd + s, odd + 2 * s]
    # back to the stream: d = a5 - odd != s -> conf 1: silent; then d = s -> conf 2
    assert p.access_py(pc, a0 + 5 * s, LOAD, "miss") == []
    assert p.access_py(pc, a0 + 6 * s, LOAD, "miss") == [a0 + 7 * s, a0 + 8 * s]


def test_ip_stride_small_and_negative_strides_and_what_it_ignores():
    p = make("ip_stride", degree=4, threshold=1)
    pc = 0x200
    # stride 8: confident at the third access (threshold 1). From 0x1028: +8 = 0x1030 and
    # 0x1038 are the current line 0x40 (skipped), 0x1040 is line 0x41 (asked), 0x1048 is
    # line 0x41 again (skipped).
    assert [p.access_py(pc, a, LOAD, "hit") for a in (0x1018, 0x1020)] == [[], []]
    assert p.access_py(pc, 0x1028, LOAD, "hit") == [0x1040]
    q = make("ip_stride", degree=3, threshold=1)
    # stride -64 from line 1: line 0 is asked, then the next would wrap below 0: stop
    for a in (3 * L, 2 * L):
        q.access_py(pc, a, LOAD, "miss")
    assert q.access_py(pc, 1 * L, LOAD, "miss") == [0]
    r = make("ip_stride", threshold=1)
    for a in (0, L, 2 * L, 3 * L):
        assert r.access_py(0, a, LOAD, "miss") == []             # pc 0: no instruction
        assert r.access_py(0x300, a, IFETCH, "miss") == []       # instruction fetches
    # two pcs on one row (row = (pc >> 1) mod 64): each takes it over from the other
    s = make("ip_stride", entries=64, threshold=1)
    for i in range(6):
        assert s.access_py(0x100, i * L, LOAD, "miss") == []
        assert s.access_py(0x100 + 2 * 64, 1000 * L + i * L, LOAD, "miss") == []


# ---- stream ---------------------------------------------------------------------------------

def test_stream_starts_after_train_steps_and_runs_distance_ahead():
    p = make("stream", streams=4, train=2, distance=8, degree=4)
    base = 1024                                  # line 1024 = 64 KiB, a region boundary
    assert p.access_py(0, base * L, LOAD, "miss") == []          # allocate
    assert p.access_py(0, (base + 1) * L, LOAD, "miss") == []    # direction +1, 1 step
    # step 2 >= train: from base+3 (the line after), degree 4: base+3 .. base+6
    assert lines(p.access_py(0, (base + 2) * L, LOAD, "miss")) == [base + 3 + i for i in range(4)]
    # first use of base+3: next is base+7; at most distance 8 ahead of base+3 = base+11
    assert lines(p.access_py(0, (base + 3) * L, LOAD, "hit_prefetched")) == [
        base + 7, base + 8, base + 9, base + 10]
    assert lines(p.access_py(0, (base + 4) * L, LOAD, "late")) == [base + 11, base + 12]
    assert p.access_py(0, (base + 5) * L, LOAD, "hit") == []      # plain hits don't train
    assert lines(p.access_py(0, (base + 5) * L, LOAD, "hit_prefetched")) == [base + 13]


def test_stream_descends_stays_in_its_region_and_replaces_lru():
    p = make("stream", streams=2, train=2, distance=16, degree=8)
    top = 2 * 64 + 5            # region 2 (lines 128..191 of 4 KiB regions), line 133
    for k in range(2):
        assert p.access_py(0, (top - k) * L, LOAD, "miss") == []
    # descending from 131: 130, 129, 128, then line 127 is region 1: stop
    assert lines(p.access_py(0, (top - 2) * L, LOAD, "miss")) == [130, 129, 128]
    assert p.access_py(0, (top - 3) * L, LOAD, "hit_prefetched") == []   # nothing left here
    # two more regions: the first of them evicts region 2's stream (least recently used)
    p.access_py(0, 10 * 64 * L, LOAD, "miss")
    p.access_py(0, 20 * 64 * L, LOAD, "miss")
    # region 2 again: a fresh entry (allocate only), so two more steps before prefetching
    assert p.access_py(0, 150 * L, LOAD, "miss") == []
    assert p.access_py(0, 151 * L, LOAD, "miss") == []
    assert lines(p.access_py(0, 152 * L, LOAD, "miss"))[:2] == [153, 154]


# ---- best_offset ----------------------------------------------------------------------------

def test_offset_list_is_the_papers():
    lst = offset_list(256)
    assert len(lst) == 52 and lst[:12] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16]
    assert lst[-3:] == [243, 250, 256] and 7 not in lst and 14 not in lst
    assert lst == offsets_235(256)


def run_bo(p, first, n, delay):
    """Misses on lines first, first+1, ... one per cycle (cycle = line number); every
    prefetch asked is filled `delay` cycles later. Returns the prefetches per access."""
    out = []
    for x in range(first, first + n):
        got = p.access_py(0, x * L, LOAD, "miss", now=x)
        for a in got:
            p.fill_py(a, True, now=x + delay)
        out.append(lines(got))
    return out


def test_best_offset_picks_the_smallest_timely_offset():
    # offsets 1, 2, 3, 4; a phase ends at score 2 or after 3 rounds.
    p = make("best_offset", max_offset=4, score_max=2, round_max=3, bad_score=0)
    got = run_bo(p, 100, 11, delay=3)
    # D = 1 at first: each miss x asks x+1, whose fill completes at cycle x+3 and writes
    # its base x into RR. At miss X, RR holds the bases y <= X-3, so offset d scores iff
    # X - d <= X - 3, i.e. d >= 3. Round 0 (X = 100..103, offsets 1..4): RR holds at most
    # line 100, and offset 4 tests 99: no score. Round 1: X = 104 (d 1), 105 (d 2): no;
    # 106 (d 3): 103 in RR (filled at 106) -> score 1; 107 (d 4): 103 -> score 1.
    # Round 2: 108 (d 1), 109 (d 2) no; 110 (d 3): 107 -> score 2 = score_max: the phase
    # ends at X = 110 with D = 3, so 110 already asks 113.
    assert got[:10] == [[x + 1] for x in range(100, 110)]
    assert got[10] == [113]
    assert (p.offset, p.enabled, p.phases) == (3, True, 1)


def test_best_offset_turns_off_when_no_prefetch_would_be_timely_and_learns_from_demand():
    p = make("best_offset", max_offset=4, score_max=2, round_max=3, bad_score=0)
    got = run_bo(p, 100, 12, delay=10 ** 9)       # fills never complete: nothing scores
    # 3 rounds x 4 offsets = 12 triggers; the 12th ends the phase with best score 0 <= 0
    assert got[:11] == [[x + 1] for x in range(100, 111)] and got[11] == []
    assert (p.enabled, p.offset, p.phases) == (False, 1, 1)
    # prefetching off: demand fills write their own line into RR (at completion); a miss
    # on line y + 2 with y in RR scores offset 2 -- here the test order is 1, 2, 3, 4
    for y in (500, 600, 700, 800):
        p.fill_py(y * L, False, now=0)
    for x in (501, 602, 703, 804):                 # offsets 1, 2, 3, 4 each hit once
        assert p.access_py(0, x * L, LOAD, "miss", now=1) == []
    assert list(p.score_table().values()) == [1, 1, 1, 1]


def test_best_offset_never_crosses_a_page():
    p = make("best_offset", max_offset=4, page=4096)
    assert lines(p.access_py(0, 62 * L, LOAD, "miss")) == [63]      # same 4 KiB page
    assert p.access_py(0, 63 * L, LOAD, "miss") == []               # 64 is the next page
    assert p.access_py(0, 63 * L, LOAD, "hit") == []                # hits don't trigger


# ---- parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,params,msg", [
    ("next_line", {"degree": 0}, r"prefetcher_params\.degree = 0: must be 1 to 32"),
    ("ip_stride", {"entries": 48}, r"entries = 48: must be a power of two"),
    ("ip_stride", {"threshold": 4}, r"threshold = 4: must be 1 to 3"),
    ("stream", {"region": 3000}, r"region = .*: must be a power of two"),
    ("stream", {"degree": 33}, r"degree = 33: must be 1 to 32"),
    ("best_offset", {"bad_score": 31}, r"bad_score = 31: must be 0 to score_max - 1"),
    ("best_offset", {"rr_entries": 8}, r"rr_entries = 8: must be a power of two from 16"),
])
def test_bad_parameters_name_the_field(name, params, msg):
    with pytest.raises(ConfigError, match=msg):
        make(name, **params)


def test_unknown_prefetcher_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"^l2\.prefetcher = 'stride': unknown prefetcher; "
                                          r"known ones are ") as e:
        PREFETCHERS.get("stride", "l2.prefetcher")
    known = str(e.value).split("known ones are ")[1].rstrip(".").split(", ")
    assert sorted(known) == ["best_offset", "ip_stride", "next_line", "none", "python",
                             "stream"]


# ---- the Python prefetcher ------------------------------------------------------------------

class TwoAhead(PythonPrefetcher):
    def __init__(self):
        self.seen = []

    def on_access(self, pc, addr, hit, kind):
        self.seen.append((pc, addr, hit, kind, self.outcome))
        return [] if hit else [addr + 2 * self.line_size]

    def on_fill(self, addr, prefetched):
        self.seen.append(("fill", addr, prefetched))


class Broken(PythonPrefetcher):
    def on_access(self, pc, addr, hit, kind):
        return [1 // (addr - addr)]


class TooMany(PythonPrefetcher):
    def on_access(self, pc, addr, hit, kind):
        return list(range(MAX_OUT + 1))


class NotInts(PythonPrefetcher):
    def on_access(self, pc, addr, hit, kind):
        return [1.5]


SPEC = f"{__name__}:"


def python_pf(cls):
    return make("python", cls=cls)        # the class object is stored as "module:Class"


def test_python_prefetcher_sees_the_access_and_its_addresses_are_used():
    p = python_pf(TwoAhead)
    assert p.access_py(0x44, 10 * L, STORE, "miss") == [12 * L]
    assert p.access_py(0x48, 12 * L, LOAD, "late") == []
    p.fill_py(12 * L, True)
    assert p.obj.seen == [(0x44, 10 * L, False, "store", "miss"),
                          (0x48, 12 * L, True, "load", "late"), ("fill", 12 * L, True)]
    assert p.obj.line_size == L and p.obj.cache == "l1d" and p.error() is None


@pytest.mark.parametrize("cls,msg", [
    (Broken, r"^l1d prefetcher Broken raised ZeroDivisionError: integer division or modulo "
             r"by zero \(at .*test_prefetchers\.py:\d+ in on_access\)$"),
    (TooMany, r"^l1d prefetcher TooMany: on_access returned 33 addresses; at most 32 per "
              r"access$"),
    (NotInts, r"^l1d prefetcher NotInts: on_access returned 1\.5; addresses must be ints"),
])
def test_a_failing_python_prefetcher_is_summarised_and_silenced(cls, msg):
    p = python_pf(cls)
    assert p.access_py(0, 0, LOAD, "miss") == []
    assert p.error() is not None
    assert __import__("re").match(msg, p.error()), p.error()
    assert p.access_py(0, 0, LOAD, "miss") == []      # silenced: not called again


def test_python_prefetcher_class_names_are_checked():
    params = PREFETCHERS.get("python").params
    assert params(cls=TwoAhead).cls == f"{__name__}:TwoAhead"
    assert params().updated({"cls": TwoAhead}).cls == f"{__name__}:TwoAhead"
    assert load_class(f"{__name__}:TwoAhead") is TwoAhead
    for spec, msg in [("", r'name the class as "module:Class"'),
                      ("nosuchmodule_xyz:A", r"module 'nosuchmodule_xyz' cannot be imported"),
                      (f"{__name__}:Nope", r"has no 'Nope'"),
                      (f"{__name__}:SPEC", r"not a class with an on_access")]:
        with pytest.raises(ConfigError, match=msg):
            params(cls=spec).validate("l1d.prefetcher_params")


# ---- agreement with the references ----------------------------------------------------------

PARAMS = {
    "next_line": [{}, {"degree": 3}, {"degree": 2, "tagged": False}],
    "ip_stride": [{}, {"entries": 16, "degree": 4, "threshold": 1},
                  {"counter_bits": 3, "threshold": 5, "degree": 1}],
    "stream": [{}, {"streams": 2, "distance": 4, "degree": 2, "train": 1},
               {"region": 1024, "train": 3, "degree": 8, "distance": 32}],
    "best_offset": [{}, {"max_offset": 64, "score_max": 5, "round_max": 4, "bad_score": 2},
                    {"rr_entries": 16, "score_max": 3, "round_max": 2}],
}
CASES = [(n, i) for n in PARAMS for i in range(len(PARAMS[n]))]


def pair(name, i):
    params = PARAMS[name][i]
    return make(name, **params), REFERENCES[name](**params, line=L)


class TaggedCache:
    """A small LRU cache with per-line prefetch bits and fill cycles, to turn an address
    stream into the outcomes a prefetcher sees (misses, hits, first uses, late uses)."""

    def __init__(self, sets=16, ways=4, latency=20):
        self.sets, self.ways, self.latency = sets, ways, latency
        self.content = [dict() for _ in range(sets)]   # line -> [ready, prefetched]

    def lookup(self, line, now):
        s = self.content[line % self.sets]
        e = s.pop(line, None)
        if e is None:
            self._put(s, line, now, False)
            return "miss"
        s[line] = e                                     # most recent last
        ready, pf = e
        e[1] = False
        if pf:
            return "late" if now < ready else "hit_prefetched"
        return "hit_in_flight" if now < ready else "hit"

    def prefetch(self, line, now):
        s = self.content[line % self.sets]
        if line in s:
            return False
        self._put(s, line, now, True)
        return True

    def _put(self, s, line, now, pf):
        if len(s) == self.ways:
            del s[next(iter(s))]
        s[line] = [now + self.latency, pf]


def drive(pair_, stream):
    """Feed (pc, addr, kind) through both models with outcomes from a TaggedCache driven
    by the prefetches; every call must give the same addresses."""
    fast, ref = pair_
    cache = TaggedCache()
    for now, (pc, addr, kind) in enumerate(stream):
        outcome = cache.lookup(addr // L, now)
        if outcome == "miss":
            fast.fill_py(addr, False, now + cache.latency)
            ref.on_fill(addr, False, now + cache.latency)
        got = fast.access_py(pc, addr, kind, outcome, now)
        want = ref.on_access(pc, addr, kind, outcome, now)
        assert got == want, (now, pc, hex(addr), kind, outcome)
        for a in got:
            if cache.prefetch(a // L, now):
                fast.fill_py(a, True, now + cache.latency)
                ref.on_fill(a, True, now + cache.latency)
    return cache


def random_stream(seed, n=6000):
    """Strided streams from a few pcs (up and down, small and large strides), interleaved
    with random addresses and some instruction fetches."""
    rng = random.Random(seed)
    walkers = [[0x1000 + 4 * i, rng.randrange(1 << 24) * 8, rng.choice([8, 64, 192, -64, -8,
                                                                        4096, 24])]
               for i in range(6)]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.75:
            w = rng.choice(walkers)
            out.append((w[0], w[1], rng.choice([LOAD, LOAD, STORE])))
            w[1] = max(0, w[1] + w[2])
            if rng.random() < 0.01:
                w[2] = rng.choice([8, 64, 128, -128, 320])
        elif r < 0.9:
            out.append((0x2000 + 2 * rng.randrange(64), rng.randrange(1 << 20) * 8, LOAD))
        else:
            out.append((0x3000, rng.randrange(1 << 16) * 4, IFETCH))
    return out


@pytest.mark.parametrize("name,i", CASES)
def test_matches_reference_on_random_streams(name, i):
    for seed in range(3):
        drive(pair(name, i), random_stream(seed))


@pytest.mark.parametrize("name,i", CASES)
def test_matches_reference_on_random_outcomes(name, i):
    """Outcomes drawn at random (every outcome kind, fills completing out of order)."""
    fast, ref = pair(name, i)
    rng = random.Random(7 + i)
    names = list(OUTCOMES)
    for now in range(5000):
        pc = rng.choice([0, 0x100, 0x104, 0x108 + 128])
        addr = rng.choice([rng.randrange(1 << 14), (now * 64) % (1 << 16)]) * 8
        kind = rng.choice([IFETCH, LOAD, STORE, 3])
        outcome = rng.choice(names)
        assert fast.access_py(pc, addr, kind, outcome, now) == \
            ref.on_access(pc, addr, kind, outcome, now)
        if rng.random() < 0.5:
            a, pf, when = rng.randrange(1 << 14) * 64, rng.random() < 0.6, now + rng.randrange(50)
            fast.fill_py(a, pf, when)
            ref.on_fill(a, pf, when)


@pytest.fixture(scope="module")
def workload_streams():
    import cyclesim
    from cyclesim import workloads
    out = {}
    for name, arg in [("matmul", "24"), ("stencil", ""), ("triad", ""), ("spmv", ""),
                      ("sort", "400")]:
        args = (arg,) if arg else ()
        r = cyclesim.run(workloads.path(name), *args, trace="memory",
                         trace_window=(0, 30_000), max_insts=30_000)
        assert r.status in ("max_insts", "exited"), r.message
        t = r.memory_trace
        kinds = {"ifetch": IFETCH, "load": LOAD, "store": STORE, "amo": 3}
        t = t[t["kind"].isin(list(kinds))]
        out[name] = list(zip(t["pc"].astype(int), t["addr"].astype(int),
                             t["kind"].map(kinds).astype(int)))
        assert len(out[name]) > 5_000, name
    return out


@pytest.mark.parametrize("name,i", CASES)
def test_matches_reference_on_workload_streams(workload_streams, name, i):
    for stream in workload_streams.values():
        drive(pair(name, i), stream)


def test_workload_streams_exercise_the_prefetchers(workload_streams):
    """The agreement above is not vacuous: on the real streams every prefetcher issues,
    and the stride-friendly ones are mostly used."""
    for name in PARAMS:
        issued = 0
        for stream in workload_streams.values():
            fast, _ = pair(name, 0)
            cache = TaggedCache()
            for now, (pc, addr, kind) in enumerate(stream):
                got = fast.access_py(pc, addr, kind, cache.lookup(addr // L, now), now)
                issued += sum(cache.prefetch(a // L, now) for a in got)
        assert issued > 100, name
