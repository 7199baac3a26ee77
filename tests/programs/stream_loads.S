/* Independent loads to consecutive 64-byte lines for the MSHR bandwidth microbenchmark
 * (tests/caches/test_microbench.py, benchmarks/memory_microbench.py): ITERS iterations of
 * 16 loads into x0 (a load to x0 still reads memory, and nothing waits for its data), so
 * only the MSHRs and the levels below bound how many lines are in flight. The loop is the
 * region of interest. Build with -DITERS=n; the buffer is ITERS KiB. */
.option norvc
.globl _start
.text
_start:
  lla s0, buf
  li s1, ITERS
  slti x0, x0, 1              /* cyclesim_roi_begin */
loop:
  .set k, 0
  .rept 16
  ld x0, k(s0)
  .set k, k + 64
  .endr
  addi s0, s0, 1024
  addi s1, s1, -1
  bnez s1, loop
  slti x0, x0, 2              /* cyclesim_roi_end */
  li a7, 93
  li a0, 0
  ecall
.data
.balign 4096
buf: .zero ITERS * 1024
