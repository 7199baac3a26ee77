#!/bin/sh
# Count the RISC-V instructions a workload executes, using qemu-riscv64 alone:
# -singlestep makes every translation block one instruction and -d nochain,exec logs one
# "Trace" line each time a block runs, so the number of Trace lines is the number of
# instructions executed (start-up and exit included).
#   usage: ./count-instructions.sh bin/matmul 64
set -e
exe=$1; shift
qemu-riscv64 -singlestep -d nochain,exec -D /dev/fd/3 "$exe" "$@" 3>&1 >/dev/null | grep -c '^Trace'
