/* hello: the smallest workload; exercises program start-up, one write syscall and exit. */
#include "cyclesim.h"

int main(void)
{
    cyclesim_roi_begin();
    puts("Hello, world!");
    cyclesim_roi_end();
    return 0;
}
