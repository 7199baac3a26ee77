"""The encoding table: entries are disjoint, and the GNU assembler (the independent
reference) encodes one instance of every mnemonic into exactly the entry we meant, with
the operand values our field extraction reads back; objdump names each word as we do."""
import subprocess

import pytest

from cyclesim.isa import encoding as enc
from cyclesim.isa.encoding import ENCODINGS, OP_ID, expand_compressed, fields, lookup

XREG = {"rd": 10, "rs1": 11, "rs2": 12, "crd": 13, "crs1": 14, "crs2": 15,
        "crd_p": 9, "crs2_p": 11, "crs1_p": 10, "crdrs1_p": 12}
FREG = {"fd": 10, "fs1": 11, "fs2": 12, "fs3": 13, "cfrd": 20, "cfrs2": 21,
        "cfrd_p": 9, "cfrs2_p": 14}
# field -> (value our extraction must return, assembler text)
IMM = {"imm12": (-5, "-5"), "simm12": (-40, "-40"), "bimm": (-16, ".-16"),
       "jimm": (2048, ".+2048"), "uimm20": (0x12345, "0x12345"), "shamt": (33, "33"),
       "shamtw": (7, "7"), "csr": (0x3, "0x3"), "zimm": (21, "21"), "rm": (1, "rtz"),
       "pred": (0b0011, "rw"), "succ": (0b1000, "i"),
       "cimm6": (-3, "-3"), "cluiimm": (5, "5"), "cshamt": (37, "37"),
       "caddi16sp": (-64, "-64"), "caddi4spn": (1020, "1020"), "cld_off": (248, "248"),
       "clw_off": (124, "124"), "cldsp_off": (504, "504"), "clwsp_off": (252, "252"),
       "csdsp_off": (504, "504"), "cswsp_off": (252, "252"), "cjimm": (-2048, ".-2048"),
       "cbimm": (254, ".+254")}
CUSTOM_ASM = {"c.addi16sp": "c.addi16sp sp,-64"}
# binutils 2.40 knows these extensions (objdump shows what the ISA attribute names)...
MARCH = "rv64gc_zba_zbb_zbs_zbc_zbkb_zicbom_zicboz_zicbop_zihintpause_zfh"
# ...but not Zicond and Zihintntl: their instances are .insn words (funct7 7 is
# czero.*; ntl.* are add x0, x0, x2..x5) and objdump cannot name them.
_NTL = {"ntl.p1": "sp", "ntl.pall": "gp", "ntl.s1": "tp", "ntl.all": "t0"}
CUSTOM_INSTANCE = {
    "czero.eqz": (".insn r 0x33, 5, 7, x10, x11, x12", {"rd": 10, "rs1": 11, "rs2": 12}),
    "czero.nez": (".insn r 0x33, 7, 7, x10, x11, x12", {"rd": 10, "rs1": 11, "rs2": 12}),
    # the prefetch offset is a multiple of 32 (its low 5 bits are the kind's field)
    **{f"prefetch.{k}": (f"prefetch.{k} -64(x11)", {"simm12": -64, "rs1": 11})
       for k in "irw"},
    **{n: (f".insn r 0x33, 0, 0, zero, zero, {r}", {}) for n, r in _NTL.items()},
}
OBJDUMP_LACKS = {"czero.eqz", "czero.nez", *_NTL}


def instance(e):
    """Assembly text for one instance of `e` and the field values it must decode to."""
    if e.name in CUSTOM_INSTANCE:
        return CUSTOM_INSTANCE[e.name]
    want = {}
    text = e.operands
    mnem = e.name
    for name in enc.operand_fields(ENCODINGS.index(e)):
        if name == "aqrl":
            want[name] = 3
            mnem += ".aqrl"
            text = text.replace(",aqrl", "")
            continue
        if name in XREG:
            want[name] = XREG[name]
            tok = f"x{XREG[name]}"
        elif name in FREG:
            want[name] = FREG[name]
            tok = f"f{FREG[name]}"
        else:
            want[name], tok = IMM[name]
        text = _replace_token(text, name, tok)
    return f"{mnem} {text}".strip(), want


def _replace_token(text, name, tok):
    import re
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", tok, text, count=1)


@pytest.fixture(scope="module")
def assembled(tmp_path_factory):
    """Assemble every instance; returns [(entry, want, word, objdump mnemonic)]."""
    d = tmp_path_factory.mktemp("enc")
    # binutils 2.40 has no Zfa: those entries are checked against the spec's encodings
    # in test_zfa_encodings_from_the_spec
    items = [(e, *instance(e)) for e in ENCODINGS if e.ext != "Zfa"]
    lines = [".option norvc", ".option norelax", ".text"]
    for e, asm, _ in items:
        if e.ext == "C":
            lines += [".option rvc", CUSTOM_ASM.get(e.name, asm), ".option norvc"]
        else:
            lines.append(asm)
    src = d / "all.s"
    src.write_text("\n".join(lines) + "\n")
    obj = d / "all.o"
    subprocess.run(["riscv64-linux-gnu-as", f"-march={MARCH}", "-o", str(obj), str(src)],
                   check=True, capture_output=True, text=True)
    binf = d / "all.bin"
    subprocess.run(["riscv64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", str(obj),
                    str(binf)], check=True)
    dump = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "-M", "no-aliases", str(obj)],
                          check=True, capture_output=True, text=True).stdout
    names = [ln.split("\t")[2].split()[0] for ln in dump.splitlines()
             if ln.count("\t") >= 2 and ln.strip().split(":")[0].strip().isalnum()]
    data = binf.read_bytes()
    out, pos = [], 0
    for (e, asm, want), name in zip(items, names):
        half = int.from_bytes(data[pos:pos + 2], "little")
        size = 2 if half & 3 != 3 else 4
        word = int.from_bytes(data[pos:pos + size], "little")
        pos += size
        out.append((e, asm, want, word, size, name))
    assert pos == len(data) and len(out) == len(items)
    return out


def test_match_inside_mask_and_sizes():
    for e in ENCODINGS:
        assert e.match & ~e.mask == 0, e.name
        if e.ext == "C":
            assert e.mask <= 0xFFFF and e.match & 3 != 3, e.name
        else:
            assert e.match & 3 == 3, e.name
        assert e.opclass in range(enc.OC_COUNT)
    assert len({e.name for e in ENCODINGS}) == len(ENCODINGS)


def test_no_two_entries_overlap():
    """A word matching two entries would exist iff the two match/masks agree on their
    common bits and no exclusion separates them; check the 16-bit space exhaustively and
    32-bit pairs by constructing the least-constrained common word."""
    for h in range(1 << 16):
        if h & 3 == 3:
            continue
        hits = [i for i, e in enumerate(ENCODINGS)
                if e.ext == "C" and enc.matches(i, h)]
        assert len(hits) <= 1, (hex(h), [ENCODINGS[i].name for i in hits])
    wide = [e for e in ENCODINGS if e.ext != "C"]

    def carved_out(outer, inner):
        """Every word of `inner` is excluded from `outer` by one of outer's exclusions
        (how the HINT encodings are cut out of their base instruction)."""
        return any(m & ~inner.mask == 0 and inner.match & m == v
                   for m, v in enc.EXCLUDE.get(outer.name, ()))

    for a in range(len(wide)):
        for b in range(a + 1, len(wide)):
            ea, eb = wide[a], wide[b]
            common = ea.mask & eb.mask
            if (ea.match & common) != (eb.match & common):
                continue
            assert carved_out(ea, eb) or carved_out(eb, ea), (ea.name, eb.name)


def test_every_mnemonic_assembles_to_its_entry(assembled):
    bad = []
    for e, asm, want, word, size, objname in assembled:
        got = lookup(word)
        if got is None or ENCODINGS[got] is not e:
            bad.append(f"{asm}: {word:#x} -> {got and ENCODINGS[got].name}")
            continue
        assert size == (2 if e.ext == "C" else 4), asm
        if fields(got, word) != want:
            bad.append(f"{asm}: fields {fields(got, word)} != {want}")
        if objname.removesuffix(".aqrl") != e.name and e.name not in OBJDUMP_LACKS:
            bad.append(f"{asm}: objdump says {objname}")
    assert not bad, "\n".join(bad)


def test_expand_compressed_matches_assembler(assembled, tmp_path):
    """Each compressed instance expands to the word the assembler gives its 32-bit twin."""
    twins = []
    for e, asm, want, word, size, _ in assembled:
        if e.ext != "C":
            continue
        full = expand_compressed(word)
        assert full is not None, asm
        twins.append((asm, full))
    # Disassemble the expansions with objdump and reassemble the text with norvc.
    blob = b"".join(w.to_bytes(4, "little") for _, w in twins)
    (tmp_path / "x.bin").write_bytes(blob)
    dump = subprocess.run(["riscv64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "riscv:rv64",
                           "-M", "no-aliases", str(tmp_path / "x.bin")],
                          check=True, capture_output=True, text=True).stdout
    mnems = [ln.split("\t")[2].split()[0] for ln in dump.splitlines()
             if ln.count("\t") >= 2 and ln.strip().split(":")[0].strip().isalnum()]
    assert len(mnems) == len(twins)
    expected = {"c.addi4spn": "addi", "c.fld": "fld", "c.lw": "lw", "c.ld": "ld",
                "c.fsd": "fsd", "c.sw": "sw", "c.sd": "sd", "c.addi": "addi",
                "c.addiw": "addiw", "c.li": "addi", "c.addi16sp": "addi", "c.lui": "lui",
                "c.srli": "srli", "c.srai": "srai", "c.andi": "andi", "c.sub": "sub",
                "c.xor": "xor", "c.or": "or", "c.and": "and", "c.subw": "subw",
                "c.addw": "addw", "c.j": "jal", "c.beqz": "beq", "c.bnez": "bne",
                "c.slli": "slli", "c.fldsp": "fld", "c.lwsp": "lw", "c.ldsp": "ld",
                "c.jr": "jalr", "c.mv": "add", "c.ebreak": "ebreak", "c.jalr": "jalr",
                "c.add": "add", "c.fsdsp": "fsd", "c.swsp": "sw", "c.sdsp": "sd"}
    for (asm, full), m in zip(twins, mnems):
        assert m == expected[asm.split()[0]], (asm, hex(full), m)


def test_expansion_semantics_by_hand():
    # hand-encoded: c.addi16sp sp,-64 = 0x7139; addi sp,sp,-64 = 0xfc010113
    assert expand_compressed(0x7139) == 0xFC010113
    # c.lw a0,4(a1) = 0x41c8 -> lw a0,4(a1) = 0x0045a503
    assert expand_compressed(0x41C8) == 0x0045A503
    # ret = c.jr ra = 0x8082 -> jalr x0,0(ra) = 0x00008067
    assert expand_compressed(0x8082) == 0x00008067
    # reserved or illegal forms
    assert expand_compressed(0x0000) is None             # all-zero
    assert expand_compressed(0x4002) is None             # c.lwsp x0
    assert expand_compressed(0x8002) is None             # c.jr x0
    assert expand_compressed(0x6101) is None             # c.addi16sp with nzimm = 0
    assert expand_compressed(0x2001) is None             # c.addiw x0
    assert expand_compressed(0x9C41) is None             # reserved CA funct
    assert lookup(0xFFFFFFFF) is None


def test_every_compressed_word_is_consistent():
    """lookup and expand_compressed agree on legality across the whole 16-bit space, and
    each expansion is a legal 32-bit word of the matching class."""
    for h in range(1 << 16):
        if h & 3 == 3:
            continue
        op = lookup(h)
        full = expand_compressed(h)
        assert (op is None) == (full is None), hex(h)
        if full is not None:
            assert lookup(full) is not None, hex(h)
            assert ENCODINGS[lookup(full)].opclass == ENCODINGS[op].opclass, hex(h)


def test_op_ids():
    assert all(ENCODINGS[i].name == n for n, i in OP_ID.items())


def test_zfa_encodings_from_the_spec():
    """Zfa 1.0: fli.fmt like fmv.fmt.x with rs2 = 1; fminm/fmaxm like fmin/fmax with bit 13
    set; fround/froundnx like fcvt.fmt.(s|d) with rs2 = 4/5; fcvtmod.w.d like fcvt.w.d
    with rs2 = 8 and rm = rtz; fleq/fltq like fle/flt with bit 14 set (fmt: s 0, d 1, h 2)."""
    for fmt, x in enumerate("sdh"):
        for name, like, delta in ((f"fli.{x}", f"fmv.{'w' if x == 's' else x}.x", 1 << 20),
                                  (f"fminm.{x}", f"fmin.{x}", 1 << 13),
                                  (f"fmaxm.{x}", f"fmax.{x}", 1 << 13),
                                  (f"fleq.{x}", f"fle.{x}", 1 << 14),
                                  (f"fltq.{x}", f"flt.{x}", 1 << 14)):
            assert ENCODINGS[OP_ID[name]].match == ENCODINGS[OP_ID[like]].match | delta, name
        base = 0x53 | (0x20 | fmt) << 25
        assert ENCODINGS[OP_ID[f"fround.{x}"]].match == base | 4 << 20
        assert ENCODINGS[OP_ID[f"froundnx.{x}"]].match == base | 5 << 20
    assert ENCODINGS[OP_ID["fcvtmod.w.d"]].match == ENCODINGS[OP_ID["fcvt.w.d"]].match | 8 << 20 | 1 << 12
    assert ENCODINGS[OP_ID["fcvtmod.w.d"]].mask == 0xFFF0707F     # rm is part of the match
    # fli's constant index is the rs1 field
    assert fields(OP_ID["fli.d"], ENCODINGS[OP_ID["fli.d"]].match | 5 << 7 | 29 << 15) == {"fd": 5, "fli": 29}
    assert lookup(0xE2150553) is None      # fmvh.x.d a0,fa0: RV32-only, illegal on RV64
