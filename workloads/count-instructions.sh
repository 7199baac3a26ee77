#!/bin/sh
# Count the RISC-V instructions a workload executes, using qemu-riscv64 alone:
# -singlestep makes every translation block one instruction and -d nochain,exec logs one
# "Trace" line (with the pc) each time a block runs, so the number of Trace lines is the
# number of instructions executed, start-up and exit included. Instructions between the
# ROI markers (slti x0,x0,1 ... slti x0,x0,2; see include/cyclesim.h) are counted as roi,
# markers excluded. qemu hands the host environment to the guest and glibc start-up scans
# it (a few hundred instructions per variable), so qemu runs with an empty environment
# (env -i) to make the totals reproducible. Threaded programs: qemu-user runs each guest
# thread on a host thread and all of them log to the one file, so every thread's
# instructions are counted; roi counts any thread's instructions while the main thread is
# between the markers (the log interleaves the threads as the host ran them).
#   usage: ./count-instructions.sh bin/matmul 64      -> total=2116380 roi=...
set -e
exe=$1; shift
marks=$(riscv64-linux-gnu-objdump -d "$exe" |
        awk '/\tslti\tzero,zero,[12]$/ { sub(":", "", $1); print substr($NF, length($NF)) ":" $1 }')
env -i "$(command -v qemu-riscv64)" -singlestep -d nochain,exec -D /dev/fd/3 "$exe" "$@" 3>&1 >/dev/null |
awk -v marks="$marks" '
    BEGIN { n = split(marks, m, " ")
            for (i = 1; i <= n; i++) { split(m[i], kv, ":"); kind[sprintf("%016s", kv[2])] = kv[1] }
            for (k in kind) { p = k; gsub(" ", "0", p); kind2[p] = kind[k] } }
    /^Trace/ { total++
               split($0, f, "/"); pc = f[2]
               if (pc in kind2) { inroi = (kind2[pc] == 1); next }
               if (inroi) roi++ }
    END { printf "total=%d roi=%d\n", total, roi }'
