"""The functional core's contract: stops, faults, markers, breakpoints, budgets, the
decoded-instruction cache (self-modifying code), counters and the DynInsts it hands to a
timing model. Snippets are assembled with GNU as and placed in guest memory directly;
expected values are computed by hand from the snippet."""
import subprocess

import numpy as np
import pytest
from cyclesim.isa._coretest import RecordingModel
from cyclesim.isa.core import OPCLASS_VALUES, Core
from cyclesim.isa.decode import decode, expand
from cyclesim.process.memory import GuestMemory
from pipeline.model import TimingModel

from cyclesim.isa import encoding as enc

R, W, X = 1, 2, 4
CODE, DATA, RO = 0x10000, 0x20000, 0x30000
(QUANTUM, ECALL, EBREAK, MARKER, ILLEGAL, FETCH_FAULT, LOAD_FAULT, STORE_FAULT, MEM_LIMIT,
 MISALIGNED, BREAKPOINT) = range(1, 12)
M64 = (1 << 64) - 1


def assemble(src, tmp_path):
    """Raw .text bytes of `src`. Nothing is compressed implicitly, so sizes are what the
    source says; explicit c.* lines are assembled as compressed forms."""
    lines = [".option norvc", ".option norelax"]
    for line in src.splitlines():
        if line.split(":")[-1].strip().startswith("c."):
            lines += [".option rvc", line, ".option norvc"]
        else:
            lines.append(line)
    s = tmp_path / "s.S"
    s.write_text("\n".join(lines) + "\n")
    o = tmp_path / "s.o"
    subprocess.run(["riscv64-linux-gnu-as", "-march=rv64gc", "-o", str(o), str(s)],
                   check=True, capture_output=True)
    b = tmp_path / "s.bin"
    subprocess.run(["riscv64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", str(o),
                    str(b)], check=True)
    return b.read_bytes()


def make(code: bytes, prot=R | X, limit=1 << 24):
    mem = GuestMemory(limit)
    mem.map(CODE, 0x4000, prot)
    mem.write(CODE, code, check=False)
    mem.map(DATA, 0x4000, R | W)
    mem.map(RO, 0x1000, R)
    core = Core(mem)
    core.pc = CODE
    core.x[9] = DATA
    return core, mem


def test_opclass_values_mirror_pipeline_types():
    for name, value in OPCLASS_VALUES.items():
        assert getattr(enc, name) == value, name


def test_ecall_ebreak_retire_and_stop(tmp_path):
    core, _ = make(assemble("addi a0, x0, 5\necall\nc.ebreak\nebreak", tmp_path))
    assert core.run(100) == ECALL
    assert core.pc == CODE + 8 and core.instret == 2 and core.x[10] == 5
    assert core.run(100) == EBREAK and core.pc == CODE + 10 and core.instret == 3
    assert core.run(100) == EBREAK and core.pc == CODE + 14 and core.instret == 4


def test_budget_and_breakpoint(tmp_path):
    core, _ = make(assemble("1: addi a0, a0, 1\nc.addi a1, 2\nj 1b", tmp_path))
    assert core.run(7) == QUANTUM
    assert core.instret == 7 and core.x[10] == 3 and core.x[11] == 4
    core.stop_pc = CODE + 4                      # the c.addi: next to execute
    assert core.run(100) == BREAKPOINT and core.instret == 7
    core.stop_pc = CODE
    assert core.run(100) == BREAKPOINT
    assert core.pc == CODE and core.instret == 9 and core.x[11] == 6
    core.stop_pc = M64
    assert core.run(0) == QUANTUM and core.instret == 9


def test_markers(tmp_path):
    src = "slti x0, x0, 1\nslti x0, x0, 5\nslti x0, x0, 4\nslti x0, x0, 2\nslti x0, x1, 3"
    core, _ = make(assemble(src, tmp_path))
    assert core.run(100) == MARKER and core.marker == 1 and core.pc == CODE + 4
    # slti x0,x0,5 is an ordinary hint; the next marker is 4
    assert core.run(100) == MARKER and core.marker == 4 and core.pc == CODE + 12
    assert core.instret == 3
    assert core.run(100) == MARKER and core.marker == 2
    assert core.run(1) == QUANTUM and core.marker == 2       # rs1 != x0: not a marker


@pytest.mark.parametrize("src,raw", [
    (".2byte 0", 0),
    (".4byte 0xffffffff", 0xFFFFFFFF),
    ("csrr a0, mstatus", None),
    ("csrw cycle, a0", None),
    ("csrwi instret, 0", None),
    ("fadd.d fa0, fa1, fa2, rtz\n.4byte 0x02c5d553", None),   # second: rm = 5
])
def test_illegal_instructions_do_not_retire(tmp_path, src, raw):
    code = assemble(src, tmp_path) if not src.startswith(".2byte") else b"\0\0"
    core, _ = make(code)
    if src.startswith("fadd"):
        assert core.run(1) == QUANTUM           # rtz is fine; rm = 5 is reserved
    pc, n = core.pc, core.instret
    assert core.run(10) == ILLEGAL
    assert core.pc == pc and core.instret == n and core.fault_addr == pc
    word = int.from_bytes(code[pc - CODE:pc - CODE + 4].ljust(4, b"\0"), "little")
    if word & 3 != 3:
        word &= 0xFFFF
    assert core.fault_inst == (raw if raw is not None else word)


def test_reserved_compressed_and_dynamic_rounding(tmp_path):
    core, mem = make(b"\x02\x40")          # 0x4002 = c.lwsp x0 (reserved)
    assert core.run(5) == ILLEGAL and core.fault_inst == 0x4002
    # fadd.d with rm=dyn is illegal when frm holds a reserved value
    core, _ = make(assemble("fadd.d fa0, fa1, fa2, dyn", tmp_path))
    core.frm = 5
    assert core.run(5) == ILLEGAL
    core.frm = 0
    assert core.run(1) == QUANTUM and core.instret == 1


def test_memory_faults(tmp_path):
    core, _ = make(assemble("li a1, 0x123\nld a0, 0(a1)", tmp_path))
    core.x[10] = 77
    assert core.run(10) == LOAD_FAULT
    assert core.fault_addr == 0x123 and core.pc == CODE + 4 and core.instret == 1
    assert core.x[10] == 77
    core, _ = make(assemble(f"li a1, {RO}\nsw a0, 8(a1)", tmp_path))
    assert core.run(10) == STORE_FAULT and core.fault_addr == RO + 8
    core, _ = make(assemble(f"li a1, {RO}\namoadd.d a0, a0, (a1)", tmp_path))
    assert core.run(10) == STORE_FAULT and core.fault_addr == RO
    core, _ = make(assemble(f"li a1, {RO}\nlr.d a0, (a1)\nsc.d a2, a0, (a1)", tmp_path))
    assert core.run(10) == STORE_FAULT and core.instret == 2 and core.fault_addr == RO


def test_fetch_faults(tmp_path):
    core, _ = make(assemble("li a0, 0x50000\njr a0", tmp_path))
    assert core.run(10) == FETCH_FAULT and core.pc == 0x50000 and core.fault_addr == 0x50000
    assert core.instret == 2
    # a 32-bit instruction whose second half lies on an unmapped page
    mem = GuestMemory(1 << 24)
    mem.map(CODE, 0x1000, R | X)
    mem.write(CODE + 0xFFE, b"\x13\x05", check=False)     # low half of an addi
    core = Core(mem)
    core.pc = CODE + 0xFFE
    assert core.run(1) == FETCH_FAULT and core.fault_addr == CODE + 0x1000
    assert core.pc == CODE + 0xFFE
    # data pages are not executable
    core, _ = make(assemble(f"li a0, {DATA}\njr a0", tmp_path))
    assert core.run(10) == FETCH_FAULT and core.fault_addr == DATA


def test_misaligned(tmp_path):
    src = "sd a2, 0(a1)\nld a0, 0(a1)\nlw a3, 1(a1)\namoadd.w a4, a2, (a1)"
    core, mem = make(assemble(src, tmp_path))
    core.x[11] = DATA + 0xFFD                  # the doubleword crosses a page
    core.x[12] = 0x1122334455667788
    assert core.run(100) == MISALIGNED
    assert core.fault_addr == DATA + 0xFFD and core.pc == CODE + 12 and core.instret == 3
    assert mem.read(DATA + 0xFFD, 8) == (0x1122334455667788).to_bytes(8, "little")
    assert core.x[10] == 0x1122334455667788
    assert core.x[13] == 0x44556677            # bytes 1..4 (77 66 55 44), positive
    core, _ = make(assemble("lr.d a0, (a1)", tmp_path))
    core.x[11] = DATA + 4
    assert core.run(10) == MISALIGNED and core.fault_addr == DATA + 4 and core.instret == 0


def test_memory_limit(tmp_path):
    core, mem = make(assemble("li a2, 4096\n1: sd a1, 0(a1)\nadd a1, a1, a2\nj 1b",
                              tmp_path), limit=4 * 4096)
    core.x[11] = DATA
    mem.map(DATA, 1 << 20, R | W)
    assert core.run(10000) == MEM_LIMIT
    assert core.fault_addr % 4096 == 0 and core.fault_addr > DATA


def test_x0_stays_zero(tmp_path):
    core, _ = make(assemble("lui x0, 5\nc.li x0, 3\naddi x0, x0, 9\nc.mv x0, a0\n"
                            "add x0, a0, a0\njal x0, 1f\n1: ld x0, 0(s1)", tmp_path))
    core.x[10] = 5
    core.x[0] = 3                               # a host write to x0 does not stick either
    assert core.run(7) == QUANTUM and core.instret == 7
    assert core.x[0] == 0 and core.x[10] == 5
    core, _ = make(assemble("add a0, x0, x0", tmp_path))
    core.x[0] = 3
    core.x[10] = 9
    assert core.run(1) == QUANTUM and core.x[10] == 0


def test_self_modifying_code(tmp_path):
    """A guest store into an executable page drops the decoded-instruction cache; so do a
    host write (seen at the next run()) and fence.i."""
    patch = int.from_bytes(assemble("addi a0, a0, 100", tmp_path), "little")
    src = """
    li a0, 0
    li a3, 3
1:
target:
    addi a0, a0, 1
    sw a1, 0(a2)
    addi a3, a3, -1
    bnez a3, 1b
    ecall
"""
    core, mem = make(assemble(src, tmp_path), prot=R | W | X)
    core.x[11] = patch
    core.x[12] = CODE + 8                       # target
    assert core.run(1000) == ECALL
    assert core.x[10] == 1 + 100 + 100          # first pass old code, then the patch
    # a host write of new code is noticed at the start of run()
    core.pc = CODE
    mem.write(int(core.x[12]), assemble("addi a0, a0, 7", tmp_path),
              check=False)
    core.x[11] = int.from_bytes(assemble("addi a0, a0, 7", tmp_path), "little")
    assert core.run(1000) == ECALL and core.x[10] == 21


def test_counters_and_timer(tmp_path):
    core, _ = make(assemble("rdinstret a0\nnop\nnop\nrdinstret a1\nrdcycle a2\nrdtime a3",
                            tmp_path))
    core.set_timer(1, 4)
    core.instret = 1000
    assert core.run(6) == QUANTUM
    assert core.x[11] - core.x[10] == 3 and core.x[10] == 1000
    assert core.x[12] == 1004 and core.x[13] == 1005 // 4
    assert core.cycle == 1006


def test_timing_model_receives_dyninsts(tmp_path):
    src = f"""
    li a1, {DATA}
    sd a1, 8(a1)
    c.ld a0, 8(s1)
    beq a0, a1, 1f
    nop
1:  fld fa0, 8(s1)
    fadd.d fa1, fa0, fa0
    amoadd.w a2, a3, (a1)
    ecall
"""
    core, _ = make(assemble(src, tmp_path))
    model = RecordingModel()
    core.attach_timing(model)
    assert core.run(100) == ECALL
    recs = model.records()
    assert [r["seq"] for r in recs] == list(range(len(recs))) and core.instret == len(recs)
    assert core.cycle == model.cycle == len(recs)
    names = [enc.ENCODINGS[r["op"]].name for r in recs]
    assert names[-7:] == ["sd", "c.ld", "beq", "fld", "fadd.d", "amoadd.w", "ecall"]
    sd, cld, beq, fld, fadd, amo, ecall = recs[-7:]
    assert (sd["rs1"], sd["rs2"], sd["rd"], sd["mem_addr"], sd["mem_size"]) == \
        (11, 11, 0, DATA + 8, 8)
    assert sd["opclass"] == enc.OC_STORE and sd["length"] == 4
    assert (cld["rd"], cld["rs1"], cld["length"], cld["mem_size"], cld["raw"]) == \
        (10, 9, 2, 8, cld["raw"] & 0xFFFF)
    assert beq["taken"] == 1 and beq["next_pc"] == fld["pc"] and beq["rd"] == 0
    assert fld["rd"] == 32 + 10 and fld["rs1"] == 9 and fld["opclass"] == enc.OC_LOAD
    assert (fadd["rd"], fadd["rs1"], fadd["rs2"], fadd["opclass"]) == (43, 42, 42,
                                                                       enc.OC_FADD)
    assert amo["opclass"] == enc.OC_AMO and amo["mem_size"] == 4 and amo["rd"] == 12
    assert ecall["next_pc"] == ecall["pc"] + 4 and ecall["taken"] == 0


def test_timing_stop_cycle_ends_quantum(tmp_path):
    core, _ = make(assemble("1: addi a0, a0, 1\nj 1b", tmp_path))
    model = TimingModel()
    core.attach_timing(model)
    model.stop_cycle = 10
    assert core.run(1000) == QUANTUM and core.instret == 10 and core.cycle == 10
    core.attach_timing(None)
    assert core.run(5) == QUANTUM and core.cycle == 15


def test_decoder_agrees_with_table_on_all_compressed_words():
    for h in range(1 << 16):
        if h & 3 == 3:
            continue
        op, fields = decode(h)
        assert op == enc.lookup(h), hex(h)
        assert expand(h) == enc.expand_compressed(h), hex(h)


def test_decoder_fields_on_random_words():
    rng = np.random.default_rng(1)
    for w in rng.integers(0, 1 << 32, 20000, dtype=np.uint64):
        w = int(w) | 3
        op, fl = decode(w)
        assert op == enc.lookup(w), hex(w)
        if op is None:
            continue
        ref = enc.fields(op, w)
        for k, v in ref.items():
            key = {"fd": "rd", "fs1": "rs1", "fs2": "rs2", "fs3": "rs3", "zimm": "rs1"}.get(k, k)
            if key in fl:
                assert fl[key] == v, (hex(w), k)
            elif k in ("imm12", "simm12", "bimm", "jimm", "shamt", "shamtw", "csr"):
                assert fl["imm"] == v, (hex(w), k)
            elif k == "uimm20":
                assert fl["imm"] & 0xFFFFFFFF == v << 12, hex(w)
