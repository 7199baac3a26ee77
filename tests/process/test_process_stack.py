"""Initial stack: what programs/stackdump.c prints about its own startup stack under
qemu-riscv64 is compared with the same report computed from the stack our Process laid out
(here read back from guest memory, following the psABI rules the C program follows; the
end-to-end test runs the C program itself on the core)."""
import struct

import pytest
from process_support import build, run_qemu

from cyclesim.process.kernel import Process
from cyclesim.process.stack import HWCAP_RV64IMAFDC

ARGS = ["x", "y z", "", "ünïcode"]
ENV = {"A": "1", "BB": "two", "PATH": "/usr/bin:/bin"}
# auxv entries qemu adds depending on its version and we leave out (vDSO, HWCAP2,
# MINSIGSTKSZ): not compared.
OPTIONAL_AUX = {"auxv_other 26", "auxv_other 33", "auxv_other 51", "auxv_other 27"}


def cstr(mem, addr):
    return mem.read_cstring(addr).decode()


def report(p: Process) -> list[str]:
    """stackdump.c's output, computed from guest memory."""
    mem, sp = p.memory, p.initial_sp
    u64 = mem.read_u64
    argc = u64(sp)
    argv = [u64(sp + 8 + 8 * i) for i in range(argc)]
    assert u64(sp + 8 + 8 * argc) == 0
    envp, a = [], sp + 16 + 8 * argc
    while u64(a):
        envp.append(u64(a))
        a += 8
    aux_addr = a + 8
    out = [f"argc {argc}", f"sp_mod16 {sp % 16}", "argv_is_sp_plus_8 1"]
    out += [f"argv {i} {cstr(mem, v)}" for i, v in enumerate(argv)]
    out += [f"envp {i} {cstr(mem, v)}" for i, v in enumerate(envp)]
    strings = argv + envp
    contiguous = all(strings[i] + len(mem.read_cstring(strings[i])) + 1 == strings[i + 1]
                     for i in range(len(strings) - 1))
    out.append(f"strings_contiguous {int(contiguous)}")
    last = strings[-1]
    aux = {}
    while True:
        key, val = u64(aux_addr), u64(aux_addr + 8)
        if key == 0:
            break
        aux[key] = val
        if key == 31:
            out.append(f"auxv AT_EXECFN {cstr(mem, val)}")
            out.append(f"execfn_after_strings {int(val == last + len(mem.read_cstring(last)) + 1)}")
        elif key == 25:
            out.append(f"auxv AT_RANDOM in_stack {int(sp < val < sp + (1 << 20))} "
                       f"above_auxv {int(val > aux_addr)}")
        elif key == 15:
            out.append(f"auxv AT_PLATFORM {cstr(mem, val)}")
        elif key in (3, 9, 4, 5, 6, 7, 8, 16, 17, 23):
            out.append(f"auxv {key} {val:#x}" if val else f"auxv {key} 0")
        else:
            out.append(f"auxv_other {key}")
        aux_addr += 16
    out.append(f"getauxval_hwcap {aux[16]:#x} pagesz {aux[6]}")
    phdr = aux[3]
    types = [struct.unpack("<I", mem.read(phdr + 56 * i, 4))[0] for i in range(aux[5])]
    out.append(f"phdr_has_load {int(1 in types)}")
    return out


@pytest.fixture(scope="module")
def stackdump():
    return build("stackdump.c", "-O2", "-static", name="stackdump")


def normalized(lines):
    """Order-free comparison; envp indices dropped because qemu reverses the environment
    (its env list is built by prepending), while Linux keeps execve's order."""
    out = []
    for line in lines:
        if line.startswith("envp "):
            line = "envp " + line.split(" ", 2)[2]
        if line and line not in OPTIONAL_AUX:
            out.append(line)
    return sorted(out)


def test_stack_matches_what_the_program_sees_under_qemu(stackdump):
    code, out, err = run_qemu(stackdump, ARGS, env=ENV)
    assert code == 1 + len(ARGS), err
    ref = out.decode().splitlines()
    p = Process(stackdump, argv=[str(stackdump), *ARGS], env=ENV)
    assert normalized(report(p)) == normalized(ref)
    ours = [line for line in report(p) if line.startswith("envp")]
    assert ours == [f"envp {i} {k}={v}" for i, (k, v) in enumerate(ENV.items())]


def test_hwcap_is_rv64imafdc_as_linux_reports_it():
    # bit (letter - 'A') for each of I, M, A, F, D, C
    assert HWCAP_RV64IMAFDC == (1 << 8) | (1 << 12) | (1 << 0) | (1 << 5) | (1 << 3) | (1 << 2)


def test_stack_details(stackdump):
    p = Process(stackdump, argv=["prog", "one"], env={"K": "V"}, seed=3)
    mem, sp = p.memory, p.initial_sp
    assert sp % 16 == 0
    assert p.argv == ["prog", "one"]
    assert Process(stackdump, program_name="name").argv == ["name"]
    assert Process(stackdump).argv == [str(stackdump)]
    # AT_RANDOM: 16 bytes that depend on the seed only
    rnd = mem.read(p.stack_info["random"], 16)
    again = Process(stackdump, argv=["one"], env={"K": "V"}, seed=3)
    other = Process(stackdump, argv=["one"], env={"K": "V"}, seed=4)
    assert again.memory.read(again.stack_info["random"], 16) == rnd
    assert mem.read(p.stack_info["random"], 16) != other.memory.read(other.stack_info["random"], 16)
    # the topmost word of the stack mapping is left zero, the execfn string just below it
    top = p.stack_info["execfn"] + len(str(stackdump)) + 1
    assert mem.read(top, 8) == bytes(8)
    assert not mem.is_mapped(top + 8, 1)


def test_huge_argv_is_refused(stackdump):
    from cyclesim.errors import ConfigError
    with pytest.raises(ConfigError, match="argv"):
        Process(stackdump, argv=["x" * 4096] * 1000)
