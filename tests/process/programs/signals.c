/* Signals a program sends itself: handlers run (with siginfo), registers survive them,
   blocked signals wait until unblocked, ignored ones vanish, abort() ends the run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int got;
static void on_usr1(int s) { got = s; }
static void on_info(int s, siginfo_t *si, void *uc) {
    (void)uc;
    printf("siginfo signo %d code %d same %d\n", si->si_signo, si->si_code, s == si->si_signo);
}
static void on_abrt(int s) { printf("abort handler %d\n", s); fflush(stdout); }

int main(int argc, char **argv) {
    (void)argv;
    volatile double d = 1.25 * argc;
    long acc = 0;
    signal(SIGUSR1, on_usr1);
    for (int i = 0; i < 3; i++) { acc += i * d; raise(SIGUSR1); }
    printf("after raise got %d acc %ld d %.3f\n", got, acc, d * 2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, 0);
    raise(SIGUSR2);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, 0);
    got = 0;
    raise(SIGUSR1);
    printf("blocked got %d\n", got);
    sigprocmask(SIG_UNBLOCK, &set, 0);
    printf("unblocked got %d\n", got);
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored SIGTERM\n");
    signal(SIGABRT, on_abrt);
    abort();
}
