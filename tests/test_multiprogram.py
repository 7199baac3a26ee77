"""Multi-program runs (docs/engine.md, "Multi-program runs"): several programs, each its own
process on its own harts, sharing the machine's shared levels and memory."""
import subprocess

import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.errors import CyclesimError

from threaded_workloads import same_work

PROGRAMS = ["hello", "sort 1000", "crc32 1000", ("reduce", 2048, 2)]
PLACEMENT = [0, 1, 2, [3, 4]]                    # reduce's two threads on harts 3 and 4


def words(entry):
    return entry.split() if isinstance(entry, str) else [str(a) for a in entry]


@pytest.fixture(scope="module")
def together():
    return cyclesim.run(PROGRAMS, overrides={"cores": 5}, placement=PLACEMENT,
                        sample_interval=None)


@pytest.mark.parametrize("mode", ["timing", "functional"])
def test_every_program_prints_what_it_prints_under_qemu_alone(run_qemu, together, mode):
    r = together if mode == "timing" else cyclesim.run(
        PROGRAMS, overrides={"cores": 5}, placement=PLACEMENT, mode="functional")
    assert r.status == "exited" and r.exit_code == 0, r.message
    assert len(r.programs) == len(PROGRAMS)
    for entry, p in zip(PROGRAMS, r.programs):
        name, *args = words(entry)
        code, out, err = run_qemu(workloads.path(name), args)
        assert p.status == "exited" and p.exit_code == code == 0, p.message
        assert p.stdout_bytes == out, name
        assert p.stderr_bytes == err, name
        assert p.args == args
    assert r.programs[3].harts == [3, 4]
    assert r.programs[3].stats["threads.created"] == 2


def test_a_program_run_alongside_others_retires_what_it_retires_alone(together):
    for entry, p in zip(PROGRAMS, together.programs):
        name, *args = words(entry)
        alone = cyclesim.run(name, *args, sample_interval=None)
        assert same_work(name, p.instructions, alone.instructions), name
        if not workloads.info(name)["threads"]:
            assert p.instructions == alone.instructions
    # the machine's total is the programs' sum
    assert together.instructions == sum(p.instructions for p in together.programs)


def test_per_program_statistics_add_up(together):
    s = together.stats
    for p in together.programs:
        stack = p.cpi_stack()
        # the stack of a program's harts covers its cycles on each of them
        assert int(stack.sum()) == p.cycles * len(p.harts)
        assert p.ipc == pytest.approx(p.instructions / p.cycles)
        assert s[f"program{p.index}.instructions"] == p.instructions
        for h in p.harts:
            assert f"core{h}.l1d.misses" in p.stats.index
    # every access a program's harts made to their L1s was served by some level: the
    # L1s' own counts, split by where the data came from
    for p in together.programs:
        l1 = sum(int(p.stats[f"core{h}.{c}.accesses"]) for h in p.harts for c in ("l1i", "l1d"))
        served = sum(int(p.stats[f"served.{lv}"]) for lv in ("l1", "l2", "l3", "memory"))
        assert served == l1
        assert p.stats["l2.demand_accesses"] == l1 - p.stats["served.l1"]
        assert p.stats["l2.demand_misses"] == p.stats["served.memory"] \
            == p.stats["dram.demand_accesses"] > 0
    # each program ends at its own cycle; the run ends with the last
    assert max(p.end_cycle for p in together.programs) == together.cycles_total
    table = together.per_program
    assert list(table["program"]) == [" ".join(words(e)) for e in PROGRAMS]


def test_the_shared_levels_traffic_splits_exactly_by_program():
    """Behind private L2s, every request to the shared L3 passes one core's SharedEntry
    (physical.pyx): the programs' counts add up to the L3's own. Their misses leave out
    writebacks (a write-allocating L3 counts a written-back line it did not hold as a
    miss), so they add up to at most the L3's."""
    machine = {"cores": 3, "l2.size": "32KiB", "l3.size": "128KiB"}
    r = cyclesim.run(["ptrchase 1024", "triad 4096", "sort 1000"], overrides=machine,
                     sample_interval=None)
    s = r.stats
    for key in ("accesses", "writebacks_received", "prefetches_received"):
        assert sum(p.stats[f"l3.{key}"] for p in r.programs) == s[f"l3.{key}"], key
    assert 0 < sum(p.stats["l3.misses"] for p in r.programs) <= s["l3.misses"]
    for p in r.programs:
        assert p.stats["l3.mpki"] == pytest.approx(1000 * p.stats["l3.misses"] / p.instructions)


def test_two_runs_are_identical():
    progs = ["sort 1000", ("reduce", 1024, 2)]
    a = cyclesim.run(progs, overrides={"cores": 3}, placement=[0, [1, 2]])
    b = cyclesim.run(progs, overrides={"cores": 3}, placement=[0, [1, 2]])
    assert a.stats.equals(b.stats)
    for x, y in zip(a.programs, b.programs):
        assert x.stats.equals(y.stats) and x.stdout_bytes == y.stdout_bytes


# A shared L2 (the last level) of 128 KiB and a ring of 1536 64-byte nodes (96 KiB): alone
# the ring lives in the L2 after its first lap; two copies need 192 KiB and evict each
# other's nodes under LRU, so both must slow down and miss far more.
SHARED_L2 = {"cores": 2, "l1d.size": "16KiB", "l2.size": "128KiB",
             "l2.inclusion": "non_inclusive"}


def test_a_program_with_itself_on_a_cache_sized_working_set_slows_down():
    r = cyclesim.run(["ptrchase 1536", "ptrchase 1536"], overrides=SHARED_L2,
                     sample_interval=None)
    alone = cyclesim.run(["ptrchase 1536"], overrides=SHARED_L2, sample_interval=None)
    one = alone.programs[0]
    assert r.status == "exited"
    for p in r.programs:
        assert p.instructions == one.instructions
        assert p.cycles > 1.5 * one.cycles
        assert p.stats["l2.demand_misses"] > 4 * one.stats["l2.demand_misses"]
    # a working set a quarter the size fits twice: nearly no slowdown
    small = cyclesim.run(["ptrchase 384", "ptrchase 384"], overrides=SHARED_L2,
                         sample_interval=None, alone=True)
    for p in small.programs:
        assert p.stats["l2.demand_misses"] <= 1.05 * p.alone.stats["l2.demand_misses"]
        assert p.slowdown == p.cycles / p.alone_cycles < 1.1


def test_copies_of_one_program_never_share_a_line():
    """Two copies use the same virtual addresses; tagged per program (physical.pyx) each
    copy misses on its own lines as it does alone, and the directory sees no sharing."""
    r = cyclesim.run(["ptrchase 256", "ptrchase 256"], overrides={"cores": 2},
                     sample_interval=None)
    alone = cyclesim.run(["ptrchase 256"], overrides={"cores": 2}, sample_interval=None)
    for p in r.programs:
        assert p.stats["l2.demand_misses"] == alone.programs[0].stats["l2.demand_misses"]
        assert p.stats["coherence_misses"] == 0
    assert r.stats["coherence.invalidations"] == 0


def test_with_translation_each_program_has_its_own_frames():
    """tlb.enabled: the caches see physical addresses, and program p's walker hands out
    frames from tlb.phys_base + p << 40; two copies again miss as each does alone."""
    machine = {"cores": 2, "tlb.enabled": True}
    r = cyclesim.run(["ptrchase 256", "ptrchase 256"], overrides=machine,
                     sample_interval=None)
    alone = cyclesim.run(["ptrchase 256"], overrides=machine, sample_interval=None)
    assert r.ok
    for p in r.programs:
        assert p.stats["l2.demand_misses"] == alone.programs[0].stats["l2.demand_misses"]
        assert p.stats[f"core{p.index}.dtlb.misses"] == alone.programs[0].stats["core0.dtlb.misses"]
    assert r.stats["coherence.invalidations"] == 0


# -- one shared line evicted: exact cycles ------------------------------------------------

# Program A loads X (the 4 KiB-aligned `buf`), then X + 1 KiB, which takes X's set in the
# 1 KiB direct-mapped L1D, waits ~12,000 cycles in a loop and loads X again: from the
# shared L2 alone, from memory when B has evicted X there. Program B waits ~4,000 cycles,
# then loads its own `buf`, at the same virtual address as A's; tagged as B's (a different
# line) it maps to the same set of the 4 KiB direct-mapped shared L2 (every 4 KiB-aligned
# line does) and evicts A's X. Nothing else of A and B meets: code and X + 1 KiB use other
# L2 sets, the L2 starts 4 accesses a cycle (no port waits), memory has a fixed latency and
# no queue, the fetch is idealised.
PROG_A = """
_start:
  lla a5, buf
  ld t1, 0(a5)
  ld t1, 1024(a5)
  li t2, 3000
1:
  addi t2, t2, -1
  bnez t2, 1b
  ld t1, 0(a5)
  add t0, t1, t1
  li a7, 93
  li a0, 0
  ecall
"""
PROG_B = """
_start:
  li t2, 1000
1:
  addi t2, t2, -1
  bnez t2, 1b
  lla a5, buf
  ld t1, 0(a5)
  add t0, t1, t1
  li a7, 93
  li a0, 0
  ecall
"""
MEMORY_LATENCY = 40
EVICTION_MACHINE = {"cores": 2, "core.fetch_blocking": False, "core.mem_blocking": True,
                    "bpred.kind": "static_nt", "l1d.size": "1KiB", "l1d.assoc": 1,
                    "l2.size": "4KiB", "l2.assoc": 1, "l2.inclusion": "non_inclusive",
                    "l2.ports": 4, "memory.kind": "fixed",
                    "memory.latency": MEMORY_LATENCY}


def _build(riscv_gcc, tmp_path, name, text):
    src = tmp_path / f"{name}.S"
    elf = tmp_path / name
    src.write_text(".option norvc\n.globl _start\n.text\n" + text +
                   "\n.data\n.balign 4096\nbuf: .zero 8192\n")
    subprocess.run([riscv_gcc, "-nostdlib", "-static", "-o", str(elf), str(src)],
                   check=True, capture_output=True)
    return str(elf)


def test_one_shared_line_eviction_costs_one_memory_latency(riscv_gcc, tmp_path):
    """A's last load of X: alone an L1D miss and an L2 hit; with B an L1D miss and an L2
    miss. By docs/caches.md rules 2 and 3 an L2 hit's data is ready hit_latency after its
    tag check, a miss's at the tag check + the next level's latency: MEMORY_LATENCY (40)
    cycles later. MEM blocks (docs/pipeline.md rule 13) and the `add` needs the value, so
    everything after the load, and A's end, moves by exactly 40 cycles:
        cycles(A with B) = cycles(A alone) + 40.
    B's load misses the L2 in both runs (its tagged line was never there; X is clean, so
    its eviction writes nothing back, rule 4): cycles(B with A) = cycles(B alone). A
    misses the L2 once more (X), B the same number of times. The order is the cycles':
    A fills X at about cycle 50, B evicts it at about 4,000 and A reloads at about 12,000,
    each more than a quantum (1,000 cycles) apart, so the harts' turns keep that order.
    (Without per-program tags B would hit A's X instead and be the faster one.)"""
    a = _build(riscv_gcc, tmp_path, "a", PROG_A)
    b = _build(riscv_gcc, tmp_path, "b", PROG_B)
    both = cyclesim.run([a, b], overrides=EVICTION_MACHINE, sample_interval=None)
    a_alone = cyclesim.run([a], overrides=EVICTION_MACHINE, sample_interval=None)
    b_alone = cyclesim.run([b], overrides=EVICTION_MACHINE, sample_interval=None,
                           placement=[1])
    pa, pb = both.programs
    assert both.status == "exited"
    # lla (auipc + addi), 2 loads, li 3000 (lui + addi), the loop, ld, add, li, li, ecall
    assert pa.instructions == a_alone.programs[0].instructions == 2 + 2 + 2 + 2 * 3000 + 5
    assert pa.cycles == a_alone.programs[0].cycles + MEMORY_LATENCY
    assert pb.cycles == b_alone.programs[0].cycles
    assert pa.stats["l2.demand_misses"] == a_alone.programs[0].stats["l2.demand_misses"] + 1
    assert pb.stats["l2.demand_misses"] == b_alone.programs[0].stats["l2.demand_misses"]
    # in A's CPI stack the reload's stall moves from the L2 part to the memory part and
    # grows by the 40 cycles
    extra = pa.cpi_stack() - a_alone.programs[0].cpi_stack()
    assert extra["dcache_l2"] < 0
    assert extra["dcache_mem"] == MEMORY_LATENCY - extra["dcache_l2"]
    assert extra.sum() == MEMORY_LATENCY


def test_warmup_resets_every_programs_counters():
    r = cyclesim.run(["sort 2000", "sort 1000"], overrides={"cores": 2}, warmup=100_000,
                     sample_interval=None)
    whole = cyclesim.run(["sort 2000", "sort 1000"], overrides={"cores": 2},
                         sample_interval=None)
    assert sum(p.instructions for p in r.programs) == r.instructions
    # the budget of the quantum that reaches the warm-up stops at it exactly
    assert r.instructions == whole.instructions - 100_000
    assert r.total_instructions == whole.instructions
    for p in r.programs:
        l1 = sum(int(p.stats[f"core{h}.{c}.accesses"]) for h in p.harts for c in ("l1i", "l1d"))
        served = sum(int(p.stats[f"served.{lv}"]) for lv in ("l1", "l2", "l3", "memory"))
        assert served == l1 > 0
        assert p.instructions < whole.programs[p.index].instructions


# -- how runs end ------------------------------------------------------------------------

def test_until_first_stops_every_program_when_the_first_ends():
    r = cyclesim.run(["hello", "sort 2000"], overrides={"cores": 2}, until="first",
                     sample_interval=None)
    hello, sort = r.programs
    assert hello.status == "exited" and hello.stdout == "Hello, world!\n"
    assert sort.status == "stopped" and sort.exit_code is None
    assert r.status == "exited" and "first" in r.message
    # the cut program ran until about the first one's end (a quantum of slack)
    assert abs(sort.cycles - hello.cycles) <= 1000 + 100
    full = cyclesim.run(["hello", "sort 2000"], overrides={"cores": 2}, sample_interval=None)
    assert full.programs[1].status == "exited"
    assert sort.instructions < full.programs[1].instructions


def test_a_program_that_faults_ends_alone(riscv_gcc, tmp_path):
    bad = _build(riscv_gcc, tmp_path, "bad", "_start:\n  li t0, 8\n  ld t1, 0(t0)\n")
    r = cyclesim.run([bad, "sort 1000"], overrides={"cores": 2}, sample_interval=None)
    crash, sort = r.programs
    assert crash.status == "fault" and "load access fault" in crash.message
    assert sort.status == "exited" and "ok" in sort.stdout
    assert r.status == "fault" and r.message.startswith("program 0")


def test_the_config_workloads_list_runs_when_no_program_is_given(tmp_path):
    r = cyclesim.run(config={"cores": 2, "workloads": ["hello", ["sort", 1000]]})
    assert [p.program for p in r.programs] == ["hello", "sort"]
    assert r.programs[1].args == ["1000"] and r.ok
    # saved and loaded with the rest of the config
    from cyclesim.config import resolve_config

    cfg = resolve_config({"cores": 2, "workloads": ["hello", "sort 1000"]})
    path = tmp_path / "two.toml"
    cfg.save(path)
    assert resolve_config(str(path)).workloads == ["hello", "sort 1000"]
    assert "workloads" not in resolve_config(None).to_dict()     # empty: left out
    # a program given wins, and a warning says the list did not run
    one = cyclesim.run("hello", config={"cores": 2, "workloads": ["hello", "hello"]})
    assert one.programs is None and any("workloads" in w for w in one.warnings)


# -- bad input: one sentence each -------------------------------------------------------

@pytest.mark.parametrize("programs,kwargs,words_", [
    (["hello", "nosuchworkload 3"], {"overrides": {"cores": 2}}, "neither a workload"),
    (["hello", "hello", "hello"], {"overrides": {"cores": 2}}, "3 programs need 3 harts"),
    (["hello", "hello"], {"overrides": {"cores": 3}, "placement": [0, [0, 1]]},
     "gives hart 0 to program 1"),
    (["hello", "hello"], {"overrides": {"cores": 2}, "placement": [0, 2]},
     "on hart 2, but cores = 2"),
    (["hello", "hello"], {"overrides": {"cores": 2}, "placement": [0]},
     "one entry per program"),
    (["hello", "hello"], {"overrides": {"cores": 2}, "placement": [0, []]}, "no hart"),
    (["hello", "hello"], {"overrides": {"cores": 2}, "until": "last"}, "until = 'last'"),
    (["hello", "hello"], {"overrides": {"cores": 2}, "sampling": True}, "sampling"),
    (["hello", "hello"], {"overrides": {"cores": 2, "tlb.enabled": True,
                                        "tlb.phys_base": 0xFFFF0000000000}}, "phys_base"),
    ([], {}, "empty"),
    ([3], {}, "programs[0] = 3"),
])
def test_bad_input_is_one_sentence(programs, kwargs, words_):
    with pytest.raises(CyclesimError) as e:
        cyclesim.run(programs, **kwargs)
    message = str(e.value)
    assert words_ in message and "\n" not in message


def test_multi_program_options_need_a_list():
    with pytest.raises(CyclesimError, match="list of programs"):
        cyclesim.run("hello", placement=[0])


def test_the_command_line_runs_several_programs(capsys):
    from cyclesim.cli import main

    code = main(["run", "--set", "cores=2", "--multi", "hello", "sort 1000"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Hello, world!" in out and "sort n=1000" in out
    assert "programs         2" in out
    assert any(line.split()[:2] == ["1", "sort"] for line in out.splitlines())
    assert main(["run", "--set", "cores=1", "--multi", "hello", "hello"]) == 125
    assert "need 2 harts" in capsys.readouterr().err
    assert main(["run", "--set", "cores=2", "--multi", "hello", "nosuch"]) == 127
    assert main(["run", "--placement", "0;1", "hello"]) == 125
    assert "--multi" in capsys.readouterr().err
    assert main(["run", "--set", "cores=3", "--placement", "0;1,2", "--until", "first",
                 "--multi", "hello", "sort 1000"]) == 0
    assert "until the first ends" in capsys.readouterr().out
    assert main(["run", "--set", "cores=2", "--set", "workloads=hello;sort 1000"]) == 0
    assert "sort n=1000" in capsys.readouterr().out


def test_superpages_reach_every_walker_of_a_program():
    """tlb.superpages = always on several harts: each hart of the program has a walker, and
    each maps the program's anonymous memory as superpages (this raised KeyError before)."""
    machine = {"cores": 3, "tlb.enabled": True, "tlb.superpages": "always"}
    r = cyclesim.run(["reduce 2048 2", "sort 1000"], overrides=machine, placement=[[0, 1], [2]],
                     sample_interval=None)
    assert r.ok and all(p.stdout.rstrip().endswith("ok") for p in r.programs)
    one = cyclesim.run("reduce", 2048, 2, overrides={**machine, "cores": 2},
                       sample_interval=None)
    assert one.ok


def test_the_address_tag_moves_every_access_into_the_programs_range():
    """AddressSpaceTag (cyclesim/process/physical.pyx) in front of a cache: the cache holds
    the line at addr + offset, the latency and served level are the cache's, and the
    served counts are kept by level."""
    import numpy as np

    from caches.cache import Cache, run_stream
    from caches.dram import FixedMemory
    from cyclesim.process.physical import TAG_SHIFT, AddressSpaceTag

    def machine():
        return Cache(4096, 4, line_size=64, hit_latency=2, next=FixedMemory(30),
                     name="l1")

    plain, tagged_cache = machine(), machine()
    tag = AddressSpaceTag(tagged_cache, 3 << TAG_SHIFT)
    addrs = np.array([0x1000, 0x1040, 0x1000, 0x9000, 0x1040], dtype=np.uint64)
    kinds = np.zeros(len(addrs), dtype=np.uint8) + 1            # loads
    lat_plain, by_plain = run_stream(plain, plain, addrs, kinds)
    lat_tag, by_tag = run_stream(tag, tag, addrs, kinds)
    assert list(lat_tag) == list(lat_plain) and list(by_tag) == list(by_plain)
    for a in addrs:
        assert tagged_cache.contains(int(a) + (3 << TAG_SHIFT))
        assert not tagged_cache.contains(int(a))
    assert tag.served_counts() == {1: 2, 4: 3}      # two hits, three misses to memory
    assert tag.address_offset == 3 << 40


def test_notebook_display_of_several_programs_and_cores(together):
    html = together._repr_html_()
    assert "programs" in html and "reduce 2048 2" in html and "core 4" in html
    from cyclesim.config import resolve_config

    assert "sort 1000" in resolve_config({"workloads": ["hello", "sort 1000"]})._repr_html_()


def test_threaded_programs_deadlock_and_lrsc_stay_within_their_program(run_qemu):
    """A program whose threads deadlock ends alone (status deadlock, naming its threads);
    LR/SC between one program's harts is broken by its own stores only, so two copies of
    an LR/SC test on two harts each both give qemu's answer."""
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here / "process"))
    from process_support import build

    flags = ("-O2", "-static", "-pthread")
    deadlock = str(build(here / "programs" / "deadlock.c", *flags, name="deadlock"))
    lrsc = str(build(here / "programs" / "lrsc_harts.c", *flags, name="lrsc_harts"))
    r = cyclesim.run(["sort 1000", deadlock], overrides={"cores": 3}, placement=[0, [1, 2]],
                     sample_interval=None)
    assert r.status == "deadlock" and r.message.startswith("program 1")
    assert r.programs[0].ok and r.programs[1].status == "deadlock"
    assert "thread 1000" in r.programs[1].message
    code, out, _ = run_qemu(lrsc)
    both = cyclesim.run([lrsc, lrsc], overrides={"cores": 4}, placement=[[0, 1], [2, 3]],
                        sample_interval=None)
    for p in both.programs:
        assert p.exit_code == code and p.stdout_bytes == out
