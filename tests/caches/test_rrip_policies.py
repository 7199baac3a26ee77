"""DRRIP and SHiP: hand-derived hit/miss patterns (the reason for each step next to it),
agreement with the plain reference in cache_reference.py with small parameters (so that
followers, PSEL saturation and SHCT aliasing all happen), and their parameter checks."""
import numpy as np
import pytest
from cache_reference import LOAD, RefCache, RefMemory
from caches.cache import Cache
from caches.config import CacheConfig
from caches.dram import FixedMemory
from cyclesim.errors import ConfigError

H_PC, S_PC = 0x1000, 0x2000      # a "hot" load and a "scan" load: distinct SHiP signatures


def run(size, assoc, policy, accesses, params=None):
    """Loads (addr, pc) on a cache of 64-byte lines, on the model and on the reference;
    both give the same "m h ..." string or the test fails. Returns it."""
    dut = Cache(size, assoc, 64, 1, policy, next=FixedMemory(10), policy_params=params)
    ref = RefCache(size, assoc, 64, 1, policy, next=RefMemory(10), params=params)
    got, want = [], []
    for a, pc in accesses:
        got.append("h" if dut.access_py(a, LOAD, 0, pc)[1] == 1 else "m")
        want.append(ref.access(a, LOAD, pc)[2])
    assert got == want
    return " ".join(got)


def test_brrip_leader_keeps_part_of_a_thrashing_working_set():
    # 2 sets x 2 ways; leader_sets=1 -> stride 2: set 0 leads for SRRIP, set 1 for BRRIP.
    # X, Y, Z (lines 1, 3, 5) all map to set 1 and cycle: 3 lines in 2 ways.
    X, Y, Z = 64, 192, 320
    seq = [(a, H_PC) for a in [X, Y, Z] * 3]
    p = {"leader_sets": 1, "bimodal_throttle": 2}
    # RRPV 3 = distant, 2 = long. BRRIP fill counter 1, 2(->long), 1, 2(->long), ...
    # X m [X3 -]; Y m [X3 Y2] (2nd fill: long); Z m evicts X -> [Z3 Y2]; X m evicts Z,
    # long -> [X2 Y2]; Y h -> [X2 Y0]; Z m: age +1 [X3 Y1], evicts X -> [Z3 Y1];
    # X m evicts Z, long -> [X2 Y1]; Y h; Z m.
    assert run(256, 2, "drrip", seq, p) == "m m m m h m m h m"
    # SRRIP inserts every fill at long, so the cycle evicts each line before its reuse.
    assert run(256, 2, "srrip", seq) == "m m m m m m m m m"
    assert run(256, 2, "lru", seq) == "m m m m m m m m m"


@pytest.mark.parametrize("first, expected", [
    # A miss in the SRRIP leader (set 0) raises PSEL from 2 to 3 > midpoint 2: the follower
    # set 1 then inserts as BRRIP and keeps Y as in the test above.
    (0, "m m m m m h m m h m"),
    # A miss in the BRRIP leader (set 2) lowers PSEL to 1, not above the midpoint: the
    # follower inserts as SRRIP (every fill at long) and thrashes.
    (128, "m m m m m m m m m m"),
])
def test_psel_steers_follower_sets(first, expected):
    # 4 sets x 2 ways, leader_sets=1 -> stride 4: set 0 SRRIP leader, set 2 BRRIP leader,
    # sets 1 and 3 follow. psel_bits=2: PSEL starts at its midpoint 2, saturates at 0 and 3.
    X, Y, Z = 64, 320, 576                 # lines 1, 5, 9: set 1, a follower
    seq = [(first, H_PC)] + [(a, H_PC) for a in [X, Y, Z] * 3]
    p = {"leader_sets": 1, "psel_bits": 2, "bimodal_throttle": 2}
    assert run(512, 2, "drrip", seq, p) == expected


def test_ship_inserts_a_never_reused_pc_at_distant():
    # One set of 4 ways. A and B (pc H) are reused; X..T (pc S) are a scan never reused.
    A, B = 0, 64
    scan = [k * 64 for k in range(2, 9)]           # X Y Z W V U T
    seq = [(A, H_PC), (B, H_PC)] * 2 + [(a, S_PC) for a in scan] + [(A, H_PC), (B, H_PC)]
    # SHCT counters start at 1. A B m m, h h -> RRPV [A0 B0]; X, Y fill at long (SHCT[S]=1)
    # -> [0 0 2 2]; Z: age +1 [1 1 3 3], evicts X unused -> SHCT[S] = 0, so Z and every
    # later scan line goes in at distant (3) and is the next victim: W, V, U, T each evict
    # the previous scan line in way 2. A B stay at RRPV 1: both hit.
    assert run(256, 4, "ship", seq) == "m m h h m m m m m m m h h"
    # SRRIP inserts the scan at long: after 7 lines it has aged A and B out.
    assert run(256, 4, "srrip", seq) == "m m h h m m m m m m m m m"


def test_ship_learns_reuse_back():
    # counter_bits=1: one dead eviction of pc S sets SHCT[S] to 0, one hit on a line of S
    # sets it to 1 again. One set of 2 ways.
    A, B, C = 0, 64, 128
    seq = [(A, S_PC), (B, S_PC), (C, S_PC),   # m m m: C evicts A unused -> SHCT[S] 0
           (B, S_PC),                          # h: B (filled at long) reused -> SHCT[S] 1
           (A, S_PC),                          # m: [B0 C3] evicts C (dead -> SHCT[S] 0)
           (A, S_PC)]                          # h
    assert run(128, 2, "ship", seq, {"counter_bits": 1}) == "m m m h m h"


@pytest.mark.parametrize("policy, params", [
    ("drrip", {"leader_sets": 2, "psel_bits": 3, "bimodal_throttle": 4}),
    ("drrip", {"leader_sets": 64, "rrpv_bits": 3}),
    ("ship", {"shct_entries": 16, "counter_bits": 2}),
    ("ship", {"shct_entries": 1, "rrpv_bits": 1}),
    ("srrip", {"rrpv_bits": 3}),
])
def test_small_parameters_match_reference(policy, params):
    rng = np.random.default_rng(len(str(params)))
    n = 3000
    # a hot region reused by a few pcs, mixed with a streaming scan by others
    hot = rng.integers(0, 48, n) * 64
    scan = (np.arange(n) + 1000) * 64
    pick = rng.random(n) < 0.6
    addrs = np.where(pick, hot, scan)
    pcs = np.where(pick, 0x4000 + 2 * rng.integers(0, 4, n), 0x8000 + 2 * rng.integers(0, 4, n))
    run(2048, 4, policy, list(zip(addrs.tolist(), pcs.tolist())), params)


@pytest.mark.parametrize("policy, key, value, msg", [
    ("drrip", "psel_bits", 0, "psel_bits.*1 to 16"),
    ("drrip", "leader_sets", 0, "leader_sets.*at least 1"),
    ("drrip", "bimodal_throttle", 0, "bimodal_throttle.*at least 1"),
    ("ship", "shct_entries", 1000, "shct_entries.*power of two"),
    ("ship", "shct_entries", 1 << 21, "shct_entries.*at most"),
    ("ship", "counter_bits", 9, "counter_bits.*1 to 8"),
    ("srrip", "rrpv_bits", 0, "rrpv_bits.*1 to 8"),
])
def test_bad_parameter_is_one_clear_sentence(policy, key, value, msg):
    cfg = CacheConfig().updated({"policy": policy, "policy_params": {key: value}}, "l1d")
    with pytest.raises(ConfigError, match=msg):
        cfg.validate("l1d")
    with pytest.raises(ConfigError, match=msg):
        Cache(256, 2, 64, 1, policy, policy_params={key: value})


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(ConfigError, match="leader_sets"):
        CacheConfig().updated({"policy": "drrip", "policy_params": {"leaders": 4}}, "l1d")


def test_config_table_reaches_the_policy():
    from caches.build import make_cache
    cfg = CacheConfig(size=256, assoc=2).updated(
        {"policy": "drrip", "policy_params": {"leader_sets": 1, "bimodal_throttle": 2}}, "l1d")
    cfg.validate("l1d")
    c = make_cache(cfg, "l1d", 1, FixedMemory(10))
    X, Y, Z = 64, 192, 320            # the thrash of the first test: BRRIP keeps Y
    out = ["h" if c.access_py(a, LOAD)[1] == 1 else "m" for a in [X, Y, Z] * 3]
    assert " ".join(out) == "m m m m h m m h m"
