/* A store miss, then a load of another word of its line one cycle later, N times, each on
 * a new line 320 bytes on (tests/caches/test_microbench.py, benchmarks/
 * memory_microbench.py): the load finds the line's tag with its fill still under way (an
 * MSHR hit) and waits for the fill. Build with -DN=n. */
.option norvc
.globl _start
.text
_start:
  lla s0, buf
  li s1, N
loop:
  sd t0, 0(s0)
  ld t1, 8(s0)
  add t2, t1, t1
  addi s0, s0, 320
  addi s1, s1, -1
  bnez s1, loop
  li a7, 93
  li a0, 0
  ecall
.data
.balign 4096
buf: .zero N * 320 + 4096
