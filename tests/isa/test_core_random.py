"""Property: any random straight-line integer program (with short forward branches and
aligned loads/stores) leaves exactly the registers and memory qemu-riscv64 leaves."""
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from core_progs import compare

# destinations: everything but sp (x2), the results pointer (x27), the scratch base (x26)
# and the dump's base (x31)
DEST = [r for r in range(1, 31) if r not in (2, 26, 27)]
SRC = list(range(31))
R_OPS = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw",
         "subw", "sllw", "srlw", "sraw", "mul", "mulh", "mulhsu", "mulhu", "div", "divu",
         "rem", "remu", "mulw", "divw", "divuw", "remw", "remuw"]
I_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]
SH_OPS = [("slli", 63), ("srli", 63), ("srai", 63), ("slliw", 31), ("srliw", 31),
          ("sraiw", 31)]
LOADS = [("lb", 1), ("lbu", 1), ("lh", 2), ("lhu", 2), ("lw", 4), ("lwu", 4), ("ld", 8)]
STORES = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]

reg = st.sampled_from(SRC)
dst = st.sampled_from(DEST)
# small registers (x8-x15) and small immediates make the assembler pick compressed forms
imm12 = st.one_of(st.integers(-2048, 2047), st.integers(-32, 31))


@st.composite
def instruction(draw):
    kind = draw(st.integers(0, 6))
    if kind <= 1:
        return f"{draw(st.sampled_from(R_OPS))} x{draw(dst)}, x{draw(reg)}, x{draw(reg)}"
    if kind == 2:
        return f"{draw(st.sampled_from(I_OPS))} x{draw(dst)}, x{draw(reg)}, {draw(imm12)}"
    if kind == 3:
        op, top = draw(st.sampled_from(SH_OPS))
        return f"{op} x{draw(dst)}, x{draw(reg)}, {draw(st.integers(0, top))}"
    if kind == 4:
        op, size = draw(st.sampled_from(LOADS))
        off = draw(st.integers(0, 4096 // size - 1)) * size - 2048
        return f"{op} x{draw(dst)}, {off}(x26)"
    if kind == 5:
        op, size = draw(st.sampled_from(STORES))
        off = draw(st.integers(0, 4096 // size - 1)) * size - 2048
        return f"{op} x{draw(reg)}, {off}(x26)"
    d = draw(dst)
    return (f"{draw(st.sampled_from(BRANCHES))} x{draw(reg)}, x{draw(reg)}, 1f\n"
            f"    addi x{d}, x{d}, 1\n1:")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(init=st.lists(st.integers(0, 2**64 - 1), min_size=len(DEST), max_size=len(DEST)),
       body=st.lists(instruction(), min_size=1, max_size=80))
def test_random_integer_programs_match_qemu(tmp_path, init, body):
    lines = ["    lla x26, scratch + 2048"]
    lines += [f"    li x{r}, {v:#x}" for r, v in zip(DEST, init)]
    lines += [f"    {ins}" for ins in body]
    # append the scratch page to the results so memory is compared too
    lines += ["    li a0, 0", "    la a3, scratch", "2:", "    add a1, a3, a0", "    ld a1, 0(a1)",
              "    RES a1",
              "    addi a0, a0, 8", "    li a2, 4096", "    blt a0, a2, 2b"]
    compare("\n".join(lines) + "\n", tmp_path)
