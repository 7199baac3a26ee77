"""Which ISA extensions the modeled hart has.

The core config names them as an ISA string the way compilers take `-march`
(``rv64gc_zba_zbb_zbs``); `HartIsa` parses and checks it and derives everything that
depends on it: the encoding-table entries the hart lacks (illegal instructions; a HINT
becomes its base instruction), the AT_HWCAP letters and the `riscv_hwprobe` answers.

Linux's values for riscv_hwprobe are from arch/riscv/include/uapi/asm/hwprobe.h.
"""
from __future__ import annotations

from cyclesim.errors import ConfigError
from cyclesim.isa.encoding import ALSO_IN, ENCODINGS

# Single-letter extensions the simulator implements ("g" = imafd_zicsr_zifencei).
LETTERS = "imafdc"
# Multi-letter extensions the simulator implements (lower case, as in an ISA string).
Z_EXTENSIONS = {"zicsr", "zifencei", "zba", "zbb", "zbs", "zbc", "zbkb", "zicond",
                "zicbom", "zicboz", "zicbop", "zihintpause", "zihintntl", "zfh", "zfhmin",
                "zfa"}
# The default hart: RV64GC with every user-level extension around RVA22U64 implemented.
DEFAULT_ISA = ("rv64gc_zba_zbb_zbs_zbc_zbkb_zicond_zicbom_zicboz_zicbop_zihintpause"
               "_zihintntl_zfh_zfhmin_zfa")

# riscv_hwprobe keys and values (Linux uapi asm/hwprobe.h)
HWPROBE_KEY_MVENDORID = 0
HWPROBE_KEY_MARCHID = 1
HWPROBE_KEY_MIMPID = 2
HWPROBE_KEY_BASE_BEHAVIOR = 3
HWPROBE_BASE_BEHAVIOR_IMA = 1 << 0
HWPROBE_KEY_IMA_EXT_0 = 4
HWPROBE_KEY_CPUPERF_0 = 5
HWPROBE_KEY_ZICBOZ_BLOCK_SIZE = 6
HWPROBE_KEY_MISALIGNED_SCALAR_PERF = 9
HWPROBE_MISALIGNED_FAST = 3
# IMA_EXT_0 bits: FD and C for letters, the rest per multi-letter extension.
HWPROBE_IMA_FD = 1 << 0
HWPROBE_IMA_C = 1 << 1
HWPROBE_EXT_BITS = {"zba": 3, "zbb": 4, "zbs": 5, "zicboz": 6, "zbc": 7, "zbkb": 8,
                    "zfh": 27, "zfhmin": 28, "zihintntl": 29, "zfa": 32, "zicond": 35,
                    "zihintpause": 36}


def _problem(isa, what):
    return ConfigError(f"core.isa = {isa!r}: {what}; write it like -march, e.g. "
                       f"{DEFAULT_ISA!r}.")


class HartIsa:
    """The extensions of one hart, from an ISA string (case does not matter)."""

    def __init__(self, isa: str = DEFAULT_ISA):
        if not isinstance(isa, str):
            raise _problem(isa, "must be a string")
        text = isa.strip().lower()
        parts = text.split("_")
        head = parts[0]
        if not head.startswith("rv64") or len(head) == 4:
            raise _problem(isa, "must start with rv64 and the base letters (rv64gc, "
                                "rv64imafdc); only RV64 is modeled")
        letters = head[4:].replace("g", "imafd")
        exts = set()
        for ch in letters:
            if ch not in LETTERS:
                raise _problem(isa, f"single-letter extension {ch!r} is not modeled "
                                    f"(known: {LETTERS}, g)")
            exts.add(ch)
        if "i" not in exts:
            raise _problem(isa, "the base integer ISA i (or g) is required")
        # Zicsr and Zifencei come with the base ISA, as in ISA spec 2.2 (GCC 12's default)
        exts |= {"zicsr", "zifencei"}
        if "d" in exts and "f" not in exts:
            raise _problem(isa, "d needs f")
        for z in parts[1:]:
            if z not in Z_EXTENSIONS:
                raise _problem(isa, f"extension {z!r} is not modeled (known: "
                                    f"{', '.join(sorted(Z_EXTENSIONS))})")
            exts.add(z)
        # Zfh contains Zfhmin; the half-precision and Zfa instructions need the F registers
        if "zfh" in exts:
            exts.add("zfhmin")
        for z in ("zfhmin", "zfa"):
            if z in exts and "f" not in exts:
                raise _problem(isa, f"{z} needs f")
        self.extensions = frozenset(exts)
        self.string = self._canonical()

    def _canonical(self) -> str:
        letters = "".join(c for c in LETTERS if c in self.extensions)
        if {"i", "m", "a", "f", "d", "zicsr", "zifencei"} <= self.extensions:
            letters = "g" + letters.replace("imafd", "")
            zs = sorted(self.extensions - set(LETTERS) - {"zicsr", "zifencei"})
        else:
            zs = sorted(self.extensions - set(LETTERS))
        return "_".join(["rv64" + letters] + zs)

    def has(self, name: str) -> bool:
        return name.lower() in self.extensions

    def has_op(self, op_id: int) -> bool:
        """True if the hart has encoding-table entry `op_id`."""
        e = ENCODINGS[op_id]
        if e.ext.lower() in self.extensions:
            return True
        return any(e.name in names and other.lower() in self.extensions
                   for other, names in ALSO_IN.items())

    def missing_ops(self) -> list[int]:
        """Op ids of the entries the hart lacks (for Core.set_isa)."""
        return [i for i in range(len(ENCODINGS)) if not self.has_op(i)]

    @property
    def hwcap(self) -> int:
        """AT_HWCAP: bit (X - 'A') for each single-letter extension X."""
        return sum(1 << (ord(c) - ord("a")) for c in LETTERS if c in self.extensions)

    def hwprobe(self, key: int, block_size: int):
        """The value riscv_hwprobe gives for `key`, or None for a key it does not know."""
        e = self.extensions
        if key in (HWPROBE_KEY_MVENDORID, HWPROBE_KEY_MARCHID, HWPROBE_KEY_MIMPID):
            return 0                       # not a real vendor's part
        if key == HWPROBE_KEY_BASE_BEHAVIOR:
            return HWPROBE_BASE_BEHAVIOR_IMA if {"i", "m", "a"} <= e else 0
        if key == HWPROBE_KEY_IMA_EXT_0:
            v = HWPROBE_IMA_FD if {"f", "d"} <= e else 0
            v |= HWPROBE_IMA_C if "c" in e else 0
            for name, bit in HWPROBE_EXT_BITS.items():
                if name in e:
                    v |= 1 << bit
            return v
        if key in (HWPROBE_KEY_CPUPERF_0, HWPROBE_KEY_MISALIGNED_SCALAR_PERF):
            # misaligned scalar accesses are done in hardware, at most one more line
            return HWPROBE_MISALIGNED_FAST
        if key == HWPROBE_KEY_ZICBOZ_BLOCK_SIZE:
            return block_size if "zicboz" in e else 0
        return None

    def __repr__(self):
        return f"HartIsa({self.string!r})"
