"""Measure a preset's microarchitectural figures back with microbenchmarks.

    python benchmarks/ooo_figures.py                  the boom_medium preset
    python benchmarks/ooo_figures.py --preset NAME    another one (any core model)

Each figure is a small assembled loop (riscv64-linux-gnu-gcc) run for 300 iterations;
the steady-state cycles per iteration come from the commit cycles of the loop branch in
the pipeline trace (iterations 50 to 250). Prints a Markdown table (docs/presets.md).
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

N = 300


def loop(body, setup=""):
    return (".option norvc\n.globl _start\n.text\n_start:\n  lla s0, buf\n  ld s1, 0(s0)\n"
            f"{setup}  li s2, {N}\n  .balign 64\ntop:\n{body}  addi s2, s2, -1\n"
            "br: bnez s2, top\n  li a7, 93\n  li a0, 0\n  ecall\n.data\nbuf: .zero 4096\n")


# name -> (loop body, setup, instructions per iteration counted as work, how to read it)
BENCHES = {
    "dispatch/commit width (instructions a cycle, independent adds)":
        ("".join(f"  add a{i % 6}, s0, s0\n" for i in range(10)), "", 12, "ipc"),
    "load ports (loads a cycle, independent L1 hits)":
        ("".join(f"  ld a{i % 6}, {8 * (i % 8)}(s0)\n" for i in range(8)), "", 8, "per_cycle"),
    "multiply latency (cycles, dependent chain)":
        ("".join("  mul a0, a0, a1\n" for _ in range(8)), "  li a0, 3\n  li a1, 5\n", 8,
         "latency"),
    "FMA latency (cycles, dependent chain)":
        ("".join("  fmadd.d fa0, fa0, fa1, fa2\n" for _ in range(8)),
         "  fcvt.d.l fa0, x0\n  fcvt.d.l fa1, x0\n  fcvt.d.l fa2, x0\n", 8, "latency"),
    "L1D load-to-use latency (cycles, pointer chase on one line)":
        ("".join("  ld a0, 0(a0)\n" for _ in range(8)), "  sd s0, 0(s0)\n  mv a0, s0\n", 8,
         "latency"),
}


def main():
    import cyclesim

    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", default="boom_medium")
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ooo_figures_"))
    print(f"preset {a.preset}\n\n| figure | measured |\n|---|---:|")
    for k, (name, (body, setup, work, kind)) in enumerate(BENCHES.items()):
        src, elf = tmp / f"b{k}.S", tmp / f"b{k}"
        src.write_text(loop(body, setup))
        subprocess.run(["riscv64-linux-gnu-gcc", "-nostdlib", "-static", "-march=rv64gc",
                        "-mabi=lp64d", "-o", str(elf), str(src)], check=True)
        nm = subprocess.run(["riscv64-linux-gnu-nm", str(elf)], check=True,
                            capture_output=True, text=True).stdout
        br = next(int(f[0], 16) for f in (ln.split() for ln in nm.splitlines())
                  if len(f) == 3 and f[2] == "br")
        r = cyclesim.run(str(elf), preset=a.preset, trace="pipeline")
        wb = r.pipeline[r.pipeline["pc"] == br]["wb_cycle"].to_numpy()
        period = (int(wb[250]) - int(wb[50])) / 200
        value = {"ipc": work / period, "per_cycle": work / period,
                 "latency": period / work}[kind]
        print(f"| {name} | {value:.2f} |", flush=True)


if __name__ == "__main__":
    main()
