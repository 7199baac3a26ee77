/* strings: libc string processing over a generated text of n words. The region of
 * interest tokenizes the text (strspn/strcspn), counts word frequencies in a chained hash
 * table (strcmp on collisions), copies each word (strcpy), reverses the copy and detects
 * palindromes with memcmp.
 *
 * Self-check: the text is drawn from a vocabulary whose words, palindrome flags and
 * per-word occurrence counts are recorded while generating it (palindromes are detected
 * there with an index-based two-pointer test, not the reverse-and-compare used in the
 * ROI); every count, the token total, the character total and the palindrome total must
 * match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cyclesim.h"

#define VOCAB 96
#define MAXWORD 24
#define BUCKETS 32           /* ~3 words per chain: strcmp on most lookups */

static const char *syllables[] = {"ka", "lo", "re", "mi", "su", "ta", "no", "be", "ri", "do",
                                  "a", "e", "i", "o", "u", "x", "y", "zan", "pel", "qu"};
#define NSYL (sizeof(syllables) / sizeof(syllables[0]))

struct entry { char word[MAXWORD]; long count; struct entry *next; };

static int is_palindrome_idx(const char *w)
{
    size_t len = strlen(w);
    for (size_t i = 0, j = len - 1; i < j; i++, j--)
        if (w[i] != w[j]) return 0;
    return 1;
}

static uint32_t hash_word(const char *w)
{
    uint32_t h = 2166136261u;
    for (; *w; w++) h = (h ^ (uint8_t)*w) * 16777619u;
    return h;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 16000, "number of words in the text");
    static char vocab[VOCAB][MAXWORD];
    static int palin[VOCAB];
    static long expect_count[VOCAB];
    uint64_t seed = 0x737472696e6773ULL;

    /* vocabulary: every third word is built as s + reverse(s) (or with a middle letter) */
    for (int k = 0; k < VOCAB; k++) {
        for (;;) {
            char w[MAXWORD] = "";
            int nsyl = 1 + (int)(cs_splitmix64(&seed) % 3);
            for (int s = 0; s < nsyl; s++) strcat(w, syllables[cs_splitmix64(&seed) % NSYL]);
            if (k % 3 == 0) {
                size_t len = strlen(w), out = len;
                if (cs_splitmix64(&seed) & 1) w[out++] = 'm';
                for (size_t i = 0; i < len; i++) w[out + i] = w[len - 1 - i];
                w[out + len] = '\0';
            }
            int dup = 0;
            for (int j = 0; j < k; j++) if (strcmp(vocab[j], w) == 0) dup = 1;
            if (!dup) { strcpy(vocab[k], w); break; }
        }
        palin[k] = is_palindrome_idx(vocab[k]);
    }

    /* text: n words separated by one of several delimiter runs */
    static const char *seps[] = {" ", "  ", ", ", ". ", "\n", " - "};
    char *text = malloc((size_t)n * (MAXWORD + 4) + 1);
    if (!text) { fprintf(stderr, "strings: out of memory for n=%ld\n", n); return 2; }
    char *t = text;
    long expect_chars = 0, expect_pal = 0;
    for (long i = 0; i < n; i++) {
        int k = (int)(cs_splitmix64(&seed) % VOCAB);
        size_t len = strlen(vocab[k]);
        memcpy(t, vocab[k], len);
        t += len;
        const char *sep = seps[cs_splitmix64(&seed) % 6];
        size_t sl = strlen(sep);
        memcpy(t, sep, sl);
        t += sl;
        expect_count[k]++;
        expect_chars += (long)len;
        expect_pal += palin[k];
    }
    *t = '\0';

    static struct entry *buckets[BUCKETS];
    struct entry *pool = calloc(VOCAB + 1, sizeof(struct entry));
    long used = 0, tokens = 0, chars = 0, pals = 0, overflow = 0;
    char word[MAXWORD], rev[MAXWORD];

    cyclesim_roi_begin();
    const char *delims = " ,.-\n";
    const char *p = text + strspn(text, delims);
    while (*p) {
        size_t len = strcspn(p, delims);
        memcpy(word, p, len);
        word[len] = '\0';
        p += len;
        p += strspn(p, delims);
        tokens++;
        chars += (long)strlen(word);

        uint32_t b = hash_word(word) % BUCKETS;
        struct entry *e = buckets[b];
        while (e && strcmp(e->word, word) != 0) e = e->next;
        if (!e) {
            if (used == VOCAB) { overflow = 1; continue; }
            e = &pool[used++];
            strcpy(e->word, word);
            e->next = buckets[b];
            buckets[b] = e;
        }
        e->count++;

        strcpy(rev, word);
        for (size_t i = 0, j = len - 1; len > 1 && i < j; i++, j--) {
            char c = rev[i]; rev[i] = rev[j]; rev[j] = c;
        }
        if (memcmp(word, rev, len) == 0) pals++;
    }
    cyclesim_roi_end();

    int ok = !overflow && tokens == n && chars == expect_chars && pals == expect_pal;
    long distinct = 0;
    for (int k = 0; k < VOCAB; k++) distinct += expect_count[k] > 0;
    if (used != distinct) ok = 0;
    uint64_t checksum = 0;
    for (long u = 0; u < used; u++) {
        int k = 0;
        while (k < VOCAB && strcmp(vocab[k], pool[u].word) != 0) k++;
        if (k == VOCAB || pool[u].count != expect_count[k]) ok = 0;
        else checksum += (uint64_t)pool[u].count * hash_word(pool[u].word);
    }

    printf("strings n=%ld distinct=%ld palindromes=%ld checksum=%016llx %s\n", n, used, pals,
           (unsigned long long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
