/* A program with three clearly different phases, repeated: the SimPoint tests
 * (tests/sampling/test_simpoint.py) check that clustering its basic-block vectors finds
 * them. Each phase is its own function, so a block's phase is known from the symbol
 * table.
 *   phase_compute: integer arithmetic on registers (no memory traffic, few branches)
 *   phase_stream:  sums a 128 KiB array a line at a time (L1 misses, L2 hits)
 *   phase_branchy: a data-dependent branch on a pseudo-random sequence (mispredictions)
 * usage: phases [rounds] [iterations per phase]
 */
#include <stdio.h>
#include <stdlib.h>

#define STREAM_BYTES (128u << 10)

static unsigned char buffer[STREAM_BYTES];

__attribute__((noinline)) static unsigned long phase_compute(long n, unsigned long x)
{
    for (long i = 0; i < n; i++)
        x = x * 6364136223846793005ul + 1442695040888963407ul + (x >> 17);
    return x;
}

__attribute__((noinline)) static unsigned long phase_stream(long n, unsigned long x)
{
    unsigned long pos = x % STREAM_BYTES;
    for (long i = 0; i < n; i++) {
        x += buffer[pos];
        pos = (pos + 64) % STREAM_BYTES;
    }
    return x;
}

__attribute__((noinline)) static unsigned long phase_branchy(long n, unsigned long x)
{
    unsigned long s = x | 1, count = 0;
    for (long i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if (s & 1)
            count += 3;
        else
            count ^= s;
    }
    return x + count;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 3;
    long n = argc > 2 ? atol(argv[2]) : 40000;
    unsigned long x = 12345;
    for (unsigned i = 0; i < STREAM_BYTES; i += 64)
        buffer[i] = (unsigned char)(i >> 6);
    for (long r = 0; r < rounds; r++) {
        x = phase_compute(n, x);
        x = phase_stream(n, x);
        x = phase_branchy(n, x);
    }
    printf("%lu\n", x);
    return 0;
}
