/* hashtable: open-addressing hash table (linear probing, tombstone deletion) of 64-bit
 * keys and values. Inserts n keys, looks up the n present keys and n absent keys, deletes
 * every other key, looks everything up again, then reinserts the deleted keys with new
 * values (reusing tombstones). Irregular loads, data-dependent branches.
 *
 * Self-check: keys are splitmix64 outputs of distinct counters, and splitmix64's output
 * function is a bijection, so all keys are distinct and the expected hit/miss counts and
 * value sums are known exactly; the final table is compared entry by entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define EMPTY 0ULL                 /* key 0 and 1 are reserved as slot markers */
#define TOMB  1ULL

struct slot { uint64_t key, value; };
static struct slot *table;
static uint64_t mask;

static inline uint64_t hash(uint64_t k) { k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; return k ^ (k >> 33); }

static void insert(uint64_t key, uint64_t value)
{
    uint64_t i = hash(key) & mask, tomb = ~0ULL;
    for (;; i = (i + 1) & mask) {
        uint64_t k = table[i].key;
        if (k == key) { table[i].value = value; return; }
        if (k == TOMB && tomb == ~0ULL) tomb = i;
        if (k == EMPTY) break;
    }
    if (tomb != ~0ULL) i = tomb;
    table[i].key = key;
    table[i].value = value;
}

static int lookup(uint64_t key, uint64_t *value)
{
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
        uint64_t k = table[i].key;
        if (k == key) { *value = table[i].value; return 1; }
        if (k == EMPTY) return 0;
    }
}

static int erase(uint64_t key)
{
    for (uint64_t i = hash(key) & mask;; i = (i + 1) & mask) {
        uint64_t k = table[i].key;
        if (k == key) { table[i].key = TOMB; return 1; }
        if (k == EMPTY) return 0;
    }
}

static uint64_t key_of(uint64_t i)
{
    uint64_t s = i * 0x9e3779b97f4a7c15ULL;     /* splitmix64 of counter i+1 */
    uint64_t k = cs_splitmix64(&s);
    return k <= TOMB ? k + 0x8000000000000000ULL : k;   /* astronomically rare */
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 40000, "number of keys");
    uint64_t cap = 1;
    while (cap < (uint64_t)n * 2) cap <<= 1;   /* load factor at most 1/2 */
    mask = cap - 1;
    table = calloc(cap, sizeof(struct slot));
    uint64_t *keys = malloc(sizeof(uint64_t) * 2 * n);
    if (!table || !keys) { fprintf(stderr, "hashtable: out of memory for n=%ld\n", n); return 2; }
    for (long i = 0; i < 2 * n; i++) keys[i] = key_of((uint64_t)i);   /* [n, 2n) stay absent */

    uint64_t hits1 = 0, sum1 = 0, misses1 = 0, erased = 0, hits2 = 0, sum2 = 0;
    cyclesim_roi_begin();
    for (long i = 0; i < n; i++) insert(keys[i], (uint64_t)i);
    for (long i = 0; i < 2 * n; i++) {
        uint64_t v;
        if (lookup(keys[i], &v)) { hits1++; sum1 += v; } else misses1++;
    }
    for (long i = 0; i < n; i += 2) erased += (uint64_t)erase(keys[i]);
    for (long i = 0; i < 2 * n; i++) {
        uint64_t v;
        if (lookup(keys[i], &v)) { hits2++; sum2 += v; }
    }
    for (long i = 0; i < n; i += 2) insert(keys[i], (uint64_t)(3 * i));
    cyclesim_roi_end();

    uint64_t un = (uint64_t)n, evens = (un + 1) / 2, odds = un / 2;
    uint64_t odd_sum = odds * odds;                      /* 1 + 3 + ... + (2*odds-1) */
    int ok = hits1 == un && misses1 == un && sum1 == un * (un - 1) / 2
          && erased == evens && hits2 == odds && sum2 == odd_sum;
    uint64_t count = 0, checksum = 0;
    for (uint64_t s = 0; s <= mask; s++)
        if (table[s].key > TOMB) { count++; checksum += table[s].key ^ table[s].value; }
    uint64_t expect = 0;
    for (long i = 0; i < n; i++) expect += keys[i] ^ (uint64_t)(i % 2 == 0 ? 3 * i : i);
    if (count != un || checksum != expect) ok = 0;

    printf("hashtable n=%ld capacity=%llu checksum=%016llx %s\n", n, (unsigned long long)cap,
           (unsigned long long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
