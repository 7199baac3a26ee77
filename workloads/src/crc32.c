/* crc32: table-driven CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) over an n-byte
 * pseudo-random buffer. One table load per byte, a short dependent chain of ALU ops.
 *
 * Self-check: (1) the byte-table CRC of "123456789" is the published check value
 * 0xCBF43926; (2) it agrees with a bit-at-a-time CRC on a 4 KiB prefix; (3) the whole
 * buffer is recomputed with a different algorithm, a 16-entry nibble table generated bit
 * by bit, and must give the same CRC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cyclesim.h"

static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        table[i] = c;
    }
}

/* running (un-finalised) state update, table driven */
static uint32_t crc_update(uint32_t state, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        state = table[(state ^ p[i]) & 0xff] ^ (state >> 8);
    return state;
}

static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* half a byte per step, with its own 16-entry table */
static uint32_t crc_nibble(const uint8_t *p, size_t len)
{
    uint32_t nib[16];
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t c = i;
        for (int k = 0; k < 4; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        nib[i] = c;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        c = nib[c & 15] ^ (c >> 4);
        c = nib[c & 15] ^ (c >> 4);
    }
    return ~c;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 393216, "buffer length in bytes");
    uint8_t *buf = malloc((size_t)n);
    if (!buf) { fprintf(stderr, "crc32: out of memory for n=%ld\n", n); return 2; }
    uint64_t seed = 0x637263ULL;
    for (long i = 0; i < n; i += 8) {           /* 8 bytes per step, little-endian */
        uint64_t x = cs_xorshift64(&seed);
        for (long k = 0; k < 8 && i + k < n; k++) buf[i + k] = (uint8_t)(x >> (8 * k));
    }
    make_table();

    cyclesim_roi_begin();
    uint32_t crc = ~crc_update(0xffffffffu, buf, (size_t)n);
    cyclesim_roi_end();

    int ok = 1;
    if (~crc_update(0xffffffffu, (const uint8_t *)"123456789", 9) != 0xCBF43926u) ok = 0;
    size_t prefix = n < 4096 ? (size_t)n : 4096;
    if (~crc_update(0xffffffffu, buf, prefix) != crc_bitwise(buf, prefix)) ok = 0;
    if (crc_nibble(buf, (size_t)n) != crc) ok = 0;

    printf("crc32 n=%ld checksum=%08x %s\n", n, crc, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
