/* The main thread spins on a flag that only another thread sets: on one hart that
   thread runs only when the main thread's time slice ends (a preemption).
   Usage: spin_flag */
#include <pthread.h>
#include <stdio.h>

static volatile int flag;
static void *setter(void *arg) { flag = 1; return 0; }

int main(void) {
    pthread_t t;
    pthread_create(&t, 0, setter, 0);
    long spins = 0;
    while (!flag) spins++;
    pthread_join(t, 0);
    printf("flag seen after %s\n", spins > 0 ? "spinning" : "no spin");
    return 0;
}
