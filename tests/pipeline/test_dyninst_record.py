"""What the functional core hands a timing model besides the executed facts (DESIGN.md,
pipeline/types.pxd): both branch targets, fence/serialising flags, aq/rl, CSR and fflags
dependences and the cache-block operation, found once per static instruction by the
decoder, so that no model decodes `raw` again. Checked on assembled instructions against
what the RISC-V unprivileged spec says each one is."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "isa"))
from test_core_api import CODE, DATA, assemble, make  # noqa: E402

from cyclesim.isa import encoding as enc  # noqa: E402
from cyclesim.isa._coretest import RecordingModel  # noqa: E402

# pipeline/types.pxd DI_* and CB_*
SERIAL, FENCE, AQ, RL, CSR, FFLAGS, FCSR, PREFETCH = 1, 2, 4, 8, 16, 32, 64, 128
CB_CLEAN, CB_FLUSH, CB_ZERO, PF_I, PF_R, PF_W = 1, 2, 4, 8, 9, 10


def records(src, tmp_path, n=100):
    core, _ = make(assemble(src, tmp_path))
    core.x[11] = DATA
    model = RecordingModel()
    core.attach_timing(model)
    core.run(n)
    return {enc.ENCODINGS[r["op"]].name + f"@{r['pc'] - CODE}": r for r in model.records()}


def test_branch_targets_taken_and_not(tmp_path):
    # (addresses from CODE; nop and li are 4 bytes, c.beqz 2) beq x0, ra at 4 is not taken
    # (ra = 5), its taken target is label 1 at 14 all the same; c.beqz a0 at 8 is taken
    # (a0 = 0) to label 2 at 18; jal at 18 goes to label 3 at 26; a non-branch's target
    # is the not-taken one, pc + length
    src = """
    li ra, 5
    beq x0, ra, 1f
    c.beqz a0, 2f
    nop
1:  nop
2:  jal x0, 3f
    nop
3:  addi a0, a0, 1
    ecall
"""
    r = records(src, tmp_path)
    beq, cbeqz, jal, addi = r["beq@4"], r["c.beqz@8"], r["jal@18"], r["addi@26"]
    assert beq["taken"] == 0 and beq["next_pc"] == beq["pc"] + 4
    assert beq["target"] == CODE + 14
    assert cbeqz["taken"] == 1 and cbeqz["target"] == cbeqz["next_pc"] == CODE + 18
    assert jal["target"] == jal["next_pc"] == CODE + 26
    assert addi["target"] == addi["pc"] + 4 and addi["flags"] == 0


def test_flags_of_fences_csrs_atomics_and_fp(tmp_path):
    src = f"""
    fence rw, rw
    fence.i
    csrr a0, cycle
    csrr a1, fflags
    amoadd.w.aqrl a2, a3, (a1)
    lr.d.aq a4, (a1)
    sc.d.rl a5, a3, (a1)
    fadd.d fa1, fa0, fa0
    fsgnj.d fa2, fa1, fa1
    fcvt.w.d a6, fa1
    fmv.x.d a7, fa1
    ecall
"""
    r = records(src.replace("(a1)", "(s1)"), tmp_path)
    assert r["fence@0"]["flags"] == SERIAL | FENCE
    assert r["fence.i@4"]["flags"] == SERIAL | FENCE
    assert r["csrrs@8"]["flags"] == SERIAL | CSR
    assert r["csrrs@12"]["flags"] == SERIAL | CSR | FCSR
    assert r["amoadd.w@16"]["flags"] == AQ | RL
    assert r["lr.d@20"]["flags"] == AQ
    assert r["sc.d@24"]["flags"] == RL
    assert r["fadd.d@28"]["flags"] == FFLAGS
    assert r["fsgnj.d@32"]["flags"] == 0           # sign injection raises no flag
    assert r["fcvt.w.d@36"]["flags"] == FFLAGS
    assert r["fmv.x.d@40"]["flags"] == 0
    assert r["ecall@44"]["flags"] == SERIAL


def test_cache_block_operations(tmp_path):
    # encoded by hand (the assembler's -march=rv64gc has no Zicbo*): cbo.* is MISC-MEM
    # funct3 2, rd 0, the operation in imm (inval 0, clean 1, flush 2, zero 4); prefetch.*
    # is ORI rd 0 with the kind in bits 24:20 (i 0, r 1, w 3); rs1 = s1 (x9)
    words = [op << 20 | 9 << 15 | 2 << 12 | 0x0F for op in (1, 2, 0, 4)] + \
        [k << 20 | 9 << 15 | 6 << 12 | 0x13 for k in (0, 1, 3)]
    src = "\n".join(f".word {w:#x}" for w in words) + "\necall\n"
    r = [v for k, v in records(src, tmp_path).items() if not k.startswith("ecall")]
    assert [x["cbo"] for x in r] == [CB_CLEAN, CB_FLUSH, CB_FLUSH, CB_ZERO, PF_I, PF_R, PF_W]
    assert [bool(x["flags"] & PREFETCH) for x in r] == [False] * 4 + [True] * 3
    assert all(x["opclass"] == enc.OC_CBO for x in r)
