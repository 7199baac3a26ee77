/* LR/SC across harts: the main thread takes a reservation with lr.w and waits 20,000
   loop iterations (far longer than an engine quantum) before its sc.w; with argument
   "store" a second thread, spinning on `go`, stores to the reserved word in between, which
   must break the reservation (the sc fails). Prints the sc result: 0 success, 1 failure.
   Usage: lrsc_harts store|nostore */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static volatile int go, stored;
static int word __attribute__((aligned(64)));

static void *storer(void *arg) {
    while (!go) ;
    __atomic_store_n(&word, 42, __ATOMIC_RELAXED);
    stored = 1;
    return 0;
}

int main(int argc, char **argv) {
    int store = argc > 1 && strcmp(argv[1], "store") == 0;
    pthread_t t;
    if (store) pthread_create(&t, 0, storer, 0);
    for (volatile int i = 0; i < 20000; i++) ;       /* the storer is spinning by now */
    long value, fail, n = 20000;
    go = 1;
    __asm__ volatile("lr.w %0, (%3)\n"
                     "1: addi %2, %2, -1\n"
                     "bnez %2, 1b\n"
                     "sc.w %1, %4, (%3)\n"
                     : "=&r"(value), "=&r"(fail), "+r"(n)
                     : "r"(&word), "r"(7L)
                     : "memory");
    if (store) pthread_join(t, 0);
    printf("sc %ld word %d\n", fail, word);
    return 0;
}
