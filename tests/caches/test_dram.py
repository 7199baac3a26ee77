"""caches.dram.Dram: exact latencies worked out by hand from the rules of docs/dram.md, the
plain reference model (dram_reference.py) request for request on random and real streams,
the bandwidth bound, the parts and the config checks."""
import sys
from pathlib import Path

import numpy as np
import pytest
from caches.dram import Dram
from dram_reference import RefDram

from caches.config import MemoryConfig
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError

LOAD, STORE, WRITEBACK = 1, 2, 4

# The hand-worked machine: 1 channel, 1 rank, 4 banks of 1 KiB rows (row_bank_column:
# bank = addr[11:10], row = addr >> 12), 64-byte lines; cycles.
HAND = dict(banks=4, row_size=1024, tRCD=7, tCL=9, tRP=11, tBURST=2, controller_latency=3,
            tRAS=20, tRTP=4, tWR=5, tCWL=6)


def lat(d, addr, now, kind=LOAD):
    return d.access_py(addr, kind, now)[0]


# ---- exact latencies -----------------------------------------------------------------------

def test_row_miss_hit_conflict_and_tras():
    d = Dram(**HAND)
    # bank 0 precharged: arrive 0 + 3; ACT 3, RD 3 + tRCD = 10, data 10 + tCL = 19..21
    assert lat(d, 0, 0) == 21
    # same row, same cycle: a row hit; RD >= 10 (ACT + tRCD) and its burst at 19 collides
    # with the first one's [19, 21): burst 21..23 (RD 12) -> 23
    assert lat(d, 64, 0) == 23
    # bank 0, row 1: conflict. PRE >= ACT + tRAS = 23 (the reads allow 12 + tRTP = 16);
    # ACT 23 + tRP = 34, RD 41, data 50..52 -> 52
    assert lat(d, 4096, 0) == 52
    s = d.stats()
    assert (s["row_misses"], s["row_hits"], s["row_conflicts"]) == (1, 1, 1)


def test_busy_bank_row_hit_occupies_only_the_bus():
    """The old model held a bank for tCL + tBURST on a row hit; now a hit needs only its
    column slot (tCCD_L after the group's last RD, 0 here) and a free bus slot."""
    d = Dram(banks=4, row_size=1024, tRCD=7, tCL=9, tRP=11, tBURST=2, controller_latency=3)
    assert lat(d, 0, 0) == 3 + 7 + 9 + 2
    assert lat(d, 64, 100) == 3 + 9 + 2
    assert lat(d, 4096, 200) == 3 + 11 + 7 + 9 + 2
    # RD at 303, burst 312..314
    assert lat(d, 4096 + 64, 300) == 14
    # store at 301: arrive 304, WR 304, write data 304 + tCWL (= tCL, 9) = 313 overlaps
    # [312, 314): burst 314..316 -> 316 - 301 = 15
    assert lat(d, 4096 + 128, 301, STORE) == 15


def test_sequential_stream_is_bus_bound():
    """16 lines of one row asked at cycle 0: the first is a row miss (21), each further one
    a row hit whose burst follows the previous one: done 21 + 2k, one line per tBURST."""
    d = Dram(**HAND)
    got = [lat(d, 64 * k, 0) for k in range(16)]
    assert got == [21 + 2 * k for k in range(16)]
    s = d.stats()
    assert s["bus_utilization"] == pytest.approx(16 * 2 / 51)    # bursts 19..51 of 0..51


def test_tfaw_bounds_the_fifth_activate():
    """8 banks, tRRD 2, tFAW 20: five row misses to banks 0..4 at cycle 0 ACT at 3, 5, 7, 9
    and 3 + tFAW = 23 (the window of the first four). Data at ACT + 16: 19, 21, 23, 25, 39;
    latency = data + tBURST."""
    d = Dram(**dict(HAND, banks=8, tRAS=0, tRRD_S=2, tFAW=20))
    assert [lat(d, 1024 * b, 0) for b in range(5)] == [21, 23, 25, 27, 41]
    # tRRD_L: with 2 bank groups (bank % 2), banks 0 and 2 share a group: ACT 3, then bank 2
    # waits tRRD_L = 6 (ACT 9, data 25..27); bank 1 (other group), asked after it, needs
    # only tRRD_S from both: ACT 5 fits between 3 and 9 -> data 21..23 -> 23
    d = Dram(**dict(HAND, banks=8, bank_groups=2, tRAS=0, tRRD_S=2, tRRD_L=6))
    assert [lat(d, 1024 * b, 0) for b in (0, 2, 1)] == [21, 27, 23]


def test_write_recovery_delays_the_precharge():
    """A write keeps its bank from precharging until tWR after its data: WR 10 (row miss),
    data 10 + tCWL = 16..18 -> 18. A conflict behind it: PRE >= 18 + tWR = 23 (tRAS 10
    allows 13), ACT 34, RD 41, data 50..52 -> 52."""
    d = Dram(**dict(HAND, tRAS=10))
    assert lat(d, 0, 0, WRITEBACK) == 18
    assert lat(d, 4096, 0) == 52


def test_refresh_collision_and_refresh_closes_rows():
    """tREFI 1000, tRFC 100: the rank is busy in [1000, 1100). A row miss at 990 would run
    ACT 993, RD 1000, data 1009..1011: it overlaps, so it starts at 1100: ACT 1100, RD 1107,
    data 1116..1118 -> 128. Row 0 of bank 1, opened before the refresh, is closed by it: a
    later access to it is a row miss (21), not a hit."""
    d = Dram(**dict(HAND, tREFI=1000, tRFC=100))
    assert lat(d, 1024, 500) == 21                       # opens bank 1, row 0
    assert lat(d, 0, 990) == 128
    assert lat(d, 1024 + 64, 1200) == 21                 # bank 1: closed by the refresh
    s = d.stats()
    assert (s["row_misses"], s["row_hits"], s["refresh_delays"]) == (3, 0, 1)
    assert s["refresh_wait_cycles"] == 1100 - 993


def test_closed_page_precharges_after_each_access():
    """Closed page: the first access auto-precharges at max(ACT 3 + tRAS 20, RD 10 + tRTP 4)
    = 23, so the next ACT waits for 23 + tRP = 34: RD 41, data 50..52 -> 52 - 5 = 47, and it
    is a row miss although it is the same row."""
    d = Dram(**dict(HAND, page_policy="closed"))
    assert lat(d, 0, 0) == 21
    assert lat(d, 64, 5) == 47
    assert lat(d, 64, 500) == 21
    assert d.stats()["row_misses"] == 3


def test_frfcfs_lets_a_ready_row_hit_go_first_fcfs_does_not():
    """Bank 0 has row 0 open, bank 1 row 0 (both warm, idle by cycle 100). At 100 a
    conflict to bank 0 (row 1) then a hit to bank 1:
      conflict: PRE 103, ACT 114, RD 121, data 130..132 -> 32
      hit, frfcfs: RD 103, data 112..114 -> 14 (ahead of the older request)
      hit, fcfs: no command before the previous request's RD (121): RD 121, data 130 is
        taken -> 132..134, RD 123 -> 34"""
    for scheduler, want in (("frfcfs", 14), ("fcfs", 34)):
        d = Dram(**dict(HAND, scheduler=scheduler))
        lat(d, 0, 0)
        lat(d, 1024, 0)
        assert lat(d, 4096, 100) == 32
        assert lat(d, 1024 + 64, 100) == want, scheduler


def test_queue_full_delays_the_request():
    """queue_size 1: the entry is held until the column command. Bank 0 miss at 0: RD 10.
    A bank 1 miss at 0 enters the queue at 10: ACT 10, RD 17, data 26..28 -> 28 (with two
    entries: ACT 3, RD 10, its burst at 19 is taken -> 21..23 -> 23)."""
    d = Dram(**dict(HAND, queue_size=1))
    assert lat(d, 0, 0) == 21 and lat(d, 1024, 0) == 28
    s = d.stats()
    assert (s["queue_full_waits"], s["queue_wait_cycles"]) == (1, 7)
    d = Dram(**dict(HAND, queue_size=2))
    assert lat(d, 0, 0) == 21 and lat(d, 1024, 0) == 23


def test_an_earlier_arrival_uses_an_earlier_bus_slot():
    """Calls out of time order: a miss to bank 0 at 500, then one to bank 1 at 100. The
    second is not queued behind the first (its burst at 119 precedes 519): both 21."""
    d = Dram(**HAND)
    assert lat(d, 0, 500) == 21
    assert lat(d, 1024, 100) == 21


def test_mappings_and_xor():
    d = Dram(banks=8, row_size=8192, channels=2, ranks=2, line_size=64,
             mapping="row:rank:bank:channel:column")
    # column = 7 bits (128 lines), then channel 1, bank 3, rank 1, row
    assert d.decode(8192) == dict(channel=1, rank=0, bank_group=0, bank=0, row=0, column=0)
    assert d.decode(16384)["bank"] == 1 and d.decode(16384 * 8)["rank"] == 1
    assert d.decode(16384 * 16)["row"] == 1
    d = Dram(banks=8, row_size=8192, channels=2, line_size=64,
             mapping="row:column:rank:bank:channel")
    assert [d.decode(64 * i)["channel"] for i in range(4)] == [0, 1, 0, 1]
    assert [d.decode(128 * i)["bank"] for i in range(3)] == [0, 1, 2]
    d = Dram(banks=8, row_size=8192, mapping="row:rank:bank_xor:channel:column")
    # row 1 (addr 64 KiB) of "bank 0" goes to bank 0 ^ 1 = 1; row 3 of bank 2 to bank 1
    assert d.locate(65536) == (1, 1) and d.locate(3 * 65536 + 2 * 8192) == (1, 3)


# ---- against the reference model --------------------------------------------------------

CONFIGS = {
    "open": dict(HAND),
    "closed": dict(HAND, page_policy="closed"),
    "fcfs": dict(HAND, scheduler="fcfs"),
    "groups_faw": dict(HAND, banks=8, bank_groups=4, tRRD_S=2, tRRD_L=4, tFAW=15, tCCD_S=2,
                       tCCD_L=4),
    "channels_ranks": dict(HAND, channels=2, ranks=2, mapping="row:column:rank:bank:channel"),
    "refresh": dict(HAND, ranks=2, tREFI=400, tRFC=60),
    "tccd_wider_than_burst": dict(HAND, bank_groups=2, tCCD_S=3, tCCD_L=5),
    "xor_queue": dict(HAND, mapping="row:rank:bank_xor:channel:column", queue_size=2),
    "ddr4_like": dict(banks=16, bank_groups=4, row_size=8192, tRCD=28, tCL=28, tCWL=20,
                      tRP=28, tRAS=64, tWR=30, tRTP=15, tRRD_S=5, tRRD_L=10, tFAW=42,
                      tCCD_S=5, tCCD_L=10, tBURST=5, tREFI=15600, tRFC=700,
                      controller_latency=20, mapping="row:rank:bank:channel:column"),
}


def random_stream(seed, n, spread, jitter, span=1 << 16):
    rng = np.random.default_rng(seed)
    addrs = (rng.integers(0, span, n) * 64).astype(np.uint64)
    seq = rng.random(n) < 0.4                           # runs of neighbouring lines
    for i in np.nonzero(seq)[0]:
        if i:
            addrs[i] = addrs[i - 1] + 64
    kinds = rng.choice([LOAD, STORE, WRITEBACK, 0], n, p=[0.6, 0.1, 0.2, 0.1])
    nows = np.cumsum(rng.integers(0, spread, n)).astype(np.int64)
    if jitter:
        nows = np.maximum(0, nows + rng.integers(-jitter, jitter + 1, n))
    return addrs, kinds.astype(np.uint8), nows.astype(np.uint64)


def check_against_reference(cfg, addrs, kinds, nows):
    d, ref = Dram(**cfg), RefDram(**cfg)
    got = d.run(addrs, kinds, nows)
    want = [ref.access(int(a), int(k), int(t)) for a, k, t in zip(addrs, kinds, nows)]
    bad = [i for i in range(len(want)) if got[i] != want[i]]
    assert not bad, (f"first mismatch at {bad[0]}: {got[bad[0]]} != {want[bad[0]]}", )
    outcomes = [o for _, o, _ in ref.log]
    s = d.stats()
    assert (s["row_hits"], s["row_misses"], s["row_conflicts"]) == (
        outcomes.count("hit"), outcomes.count("miss"), outcomes.count("conflict"))
    for ch, starts in ref.bursts.items():                # the bus never carries two
        assert all(b - a >= cfg["tBURST"] for a, b in zip(starts, starts[1:])), ch
    assert all(w > 0 for w in want)
    return s


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("jitter", [0, 40])
def test_random_streams_match_reference(name, jitter):
    cfg = CONFIGS[name]
    addrs, kinds, nows = random_stream(sum(name.encode()) + jitter, 600, 12, jitter)
    s = check_against_reference(cfg, addrs, kinds, nows)
    assert (s["row_hits"] > 0) == (name != "closed")
    assert s["row_misses"] + s["row_conflicts"] > 0
    if name == "refresh":
        assert s["refresh_delays"] > 0
    if name == "xor_queue":
        assert s["queue_full_waits"] > 0


def test_dense_burst_matches_reference_and_overflows_the_bus_window():
    """Many requests at nearly the same cycle: the bus timeline holds more than its window
    of 256 bursts, the queue fills."""
    addrs, kinds, nows = random_stream(7, 1500, 2, 30)
    check_against_reference(dict(CONFIGS["groups_faw"], queue_size=8), addrs, kinds, nows)


def workload_miss_stream():
    """The L1D misses and writebacks of a real run (sort 500), with the cycle each access
    was made, through a 4 KiB 4-way L1D (reference cache)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from cache_reference import RefCache, RefMemory

    import cyclesim
    from cyclesim import workloads
    r = cyclesim.run(workloads.path("sort"), "500", trace="memory",
                     trace_window=(0, 40_000), max_insts=40_000)
    t = r.memory_trace
    t = t[t["kind"].isin(["load", "store"])]
    mem = RefMemory()
    l1 = RefCache(4096, 4, 64, next=mem, level_id=1)
    kinds = {"load": LOAD, "store": STORE}
    addrs, ks, nows = [], [], []
    for a, k, c in zip(t["addr"].to_numpy(np.uint64), t["kind"], t["cycle"].to_numpy()):
        before = len(mem.log)
        l1.access(int(a), kinds[k])
        for addr, kind in mem.log[before:]:
            addrs.append(addr)
            ks.append(kind)
            nows.append(int(c))
    return (np.array(addrs, dtype=np.uint64), np.array(ks, dtype=np.uint8),
            np.array(nows, dtype=np.uint64))


@pytest.mark.parametrize("name", ["open", "ddr4_like", "refresh"])
def test_workload_miss_stream_matches_reference(name):
    addrs, kinds, nows = workload_miss_stream()
    assert len(addrs) > 300 and (kinds == WRITEBACK).any()
    check_against_reference(CONFIGS[name], addrs, kinds, nows)


# ---- bandwidth ---------------------------------------------------------------------------

@pytest.mark.parametrize("channels,mapping,low", [
    # 128 consecutive lines per bank: within one bank group RDs are tCCD_L = 10 apart
    # (64 B / 10 cycles); only the next row-sized chunks, in other groups, overlap with it
    (1, "row:rank:bank:channel:column", 64 / 10),
    # consecutive lines over 4 channels and then banks: the buses are the limit
    (4, "row:column:rank:bank:channel", 0.9 * 4 * 64 / 5),
])
def test_streaming_never_exceeds_peak(channels, mapping, low):
    """Peak = channels x 64 B / tBURST per cycle. A stream of 4096 consecutive lines asked
    16 per cycle gets more than `low` and never more than the peak."""
    cfg = dict(CONFIGS["ddr4_like"], channels=channels, mapping=mapping, tREFI=0)
    d = Dram(**cfg)
    n = 4096
    addrs = np.arange(n, dtype=np.uint64) * 64
    d.run(addrs, np.full(n, LOAD, np.uint8), np.arange(n, dtype=np.uint64) // 16)
    s = d.stats()
    peak = channels * 64 / cfg["tBURST"]
    assert d.peak_bytes_per_cycle == peak
    assert low < s["bandwidth_bytes_per_cycle"] <= peak
    assert s["bus_utilization"] <= 1.0


# ---- stats -------------------------------------------------------------------------------

def test_latency_distribution_stats():
    d = Dram(**HAND)
    for k in range(16):                      # latencies 21, 23, ..., 51 (see above)
        lat(d, 64 * k, 0)
    lat(d, 1024, 1000, STORE)                # bank 1 miss, write: 3 + 7 + 6 + 2 = 18
    s = d.stats()
    assert (s["reads"], s["writes"]) == (16, 1)
    assert s["read_latency_p50"] == 35 and s["read_latency_max"] == 51
    assert s["read_latency_p90"] == 49 and s["write_latency_p50"] == 18
    assert s["avg_read_latency"] == 36.0
    h = d.latency_histogram("read")
    assert h[21] == 1 and h[22] == 0 and h.sum() == 16
    d.reset_stats()
    assert d.stats()["read_latency_max"] == 0


# ---- parts and config --------------------------------------------------------------------

def test_parts_set_the_organisation_and_timings():
    m = MemoryConfig.for_part("DDR4-3200")
    assert (m.banks, m.bank_groups, m.row_size, m.channels) == (16, 4, 8192, 1)
    c = m.in_cycles(3.2e9)                   # 2 core cycles per DRAM clock (0.625 ns)
    assert (c["tCL"], c["tRCD"], c["tRP"], c["tCWL"], c["tBURST"]) == (44, 44, 44, 32, 8)
    m = MemoryConfig.for_part("DDR5-4800", controller_latency="20ns")
    assert m.part == "DDR5-4800" and m.controller_latency == 20e-9
    assert m.tCL == pytest.approx(40 * 0.416e-9) and m.channels == 2
    cfg = SystemConfig().with_overrides(["memory.part=LPDDR5-6400", "memory.tCL=20nCK"])
    assert cfg.memory.tCL == pytest.approx(25e-9) and cfg.memory.banks == 16
    back = SystemConfig.from_dict(cfg.to_dict())
    assert back == cfg


def test_default_memory_keeps_its_ddr4_3200_timings():
    m = MemoryConfig()
    assert m.part == "custom" and (m.banks, m.bank_groups) == (8, 1)
    p = MemoryConfig.for_part("DDR4-3200")
    for f in ("tRCD", "tCL", "tRP", "tCWL", "tRAS", "tWR", "tRTP", "tRRD_S", "tFAW",
              "tCCD_S", "tBURST", "tREFI", "tRFC"):
        assert getattr(m, f) == pytest.approx(getattr(p, f)), f


@pytest.mark.parametrize("overrides,message", [
    ({"memory.tFAW": "2ns", "memory.tRRD_L": "5ns", "memory.tRRD_S": "2.5ns"},
     "memory.tFAW = 2ns: must be 0 (no four-activate window) or at least tRRD_L (5ns)"),
    ({"memory.tRRD_L": "1ns"}, "memory.tRRD_L = 1ns: must be at least tRRD_S (2.5ns)"),
    ({"memory.banks": 0}, "memory.banks = 0: must be a power of two"),
    ({"memory.channels": 3}, "memory.channels = 3: must be a power of two"),
    ({"memory.bank_groups": 16}, "memory.bank_groups = 16: must divide banks (8)"),
    ({"memory.mapping": "row:bank"}, "memory.mapping = 'row:bank': unknown value; use one of "
                                     "row_bank_column, row_column_bank"),
    ({"memory.queue_size": 0}, "memory.queue_size = 0: must be at least 1"),
    ({"memory.tCCD_S": "5ns"}, "memory.tCCD_L = 2.5ns: must be at least tCCD_S (5ns)"),
    ({"memory.tREFI": "300ns"}, "memory.tREFI = 300ns: must exceed tRFC (350ns)"),
    ({"memory.part": "DDR3-1600"}, "memory.part = 'DDR3-1600': unknown value; use one of "
                                   "custom, DDR4-3200"),
    ({"memory.page_policy": "adaptive"}, "use one of open, closed"),
    ({"memory.tCL": "xnCK"}, "memory.tCL = 'xnCK': write a number of DRAM clocks"),
])
def test_config_rejects_with_one_sentence(overrides, message):
    with pytest.raises(ConfigError) as e:
        SystemConfig().with_overrides(overrides).validate()
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_dram_rejects_bad_cycles():
    with pytest.raises(ConfigError, match="memory.tFAW = 1 cycles"):
        Dram(tRRD_S=2, tFAW=1)
    with pytest.raises(ConfigError, match="memory.mapping"):
        Dram(mapping="column:row:rank:bank:channel")
