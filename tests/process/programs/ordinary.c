/* What ordinary programs do on start-up and in their test suites: read the
 * environment, use a temporary file, check that a full disk is reported, read
 * stdin to its end (tests/process/test_guest_environment.py runs it under
 * cyclesim and qemu-riscv64 with the same environment and input). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show_env(const char *name)
{
    const char *v = getenv(name);
    printf("env %s=%s\n", name, v ? v : "(unset)");
}

int main(int argc, char **argv)
{
    show_env("PATH");
    show_env("HOME");
    show_env("TMPDIR");
    show_env("LANG");

    /* a named temporary file, as mkstemp(3) makes one */
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char name[256];
    snprintf(name, sizeof name, "%s/ordinaryXXXXXX", dir);
    int fd = mkstemp(name);
    if (fd < 0) {
        printf("mkstemp: %s\n", strerror(errno));
    } else {
        const char msg[] = "scratch data\n";
        ssize_t w = write(fd, msg, sizeof msg - 1);
        lseek(fd, 0, SEEK_SET);
        char back[64] = {0};
        ssize_t r = read(fd, back, sizeof back - 1);
        printf("mkstemp: wrote %zd read %zd: %s", w, r, back);
        printf("unlink: %d\n", unlink(name));
        close(fd);
    }
    /* an anonymous temporary file: tmpfile(3) */
    FILE *t = tmpfile();
    if (!t) {
        printf("tmpfile: %s\n", strerror(errno));
    } else {
        fputs("anonymous\n", t);
        rewind(t);
        char line[64] = {0};
        printf("tmpfile: %s", fgets(line, sizeof line, t) ? line : "(nothing)\n");
        fclose(t);
    }

    /* /dev/full: writes fail with ENOSPC, reads give zeros */
    FILE *full = fopen("/dev/full", "w");
    if (!full) {
        printf("/dev/full: %s\n", strerror(errno));
    } else {
        fputs("lost", full);
        int rc = fflush(full);
        printf("/dev/full fflush %d: %s\n", rc, strerror(errno));
        fclose(full);
    }
    int zf = open("/dev/full", O_RDONLY);
    unsigned char z[8];
    memset(z, 0xff, sizeof z);
    ssize_t zn = zf >= 0 ? read(zf, z, sizeof z) : -1;
    printf("/dev/full read %zd: %02x %02x %02x\n", zn, z[0], z[1], z[7]);
    if (zf >= 0)
        close(zf);

    /* stdin to its end, in small reads */
    unsigned long total = 0, sum = 0, lines = 0;
    char buf[1000];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            sum = sum * 31 + (unsigned char)buf[i];
            lines += buf[i] == '\n';
        }
        total += n;
    }
    printf("stdin %lu bytes %lu lines sum %lx\n", total, lines, sum);
    for (int i = 1; i < argc; i++)
        printf("arg %d %s\n", i, argv[i]);
    return 0;
}
