/* File I/O through the sandbox. Usage: fileio <input file> <dir outside the writable one>.
   Lines starting with "sandbox:" depend on the sandbox (they differ under plain qemu). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void attempt(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    printf("sandbox: %s %s\n", what, fd >= 0 ? "opened" : strerror(errno));
    if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    FILE *in = fopen(argv[1], "r");
    if (!in) { perror("input"); return 1; }
    char line[256];
    int n = 0;
    long sum = 0;
    while (fgets(line, sizeof line, in)) {
        n++;
        for (char *c = line; *c; c++) sum += (unsigned char)*c;
        printf("read: %s", line);
    }
    fclose(in);
    struct stat st;
    if (stat(argv[1], &st) == 0) printf("size %ld\n", (long)st.st_size);
    FILE *out = fopen("fileio-out.txt", "w");
    if (!out) { perror("output"); return 1; }
    fprintf(out, "lines %d sum %ld\n", n, sum);
    fclose(out);
    out = fopen("fileio-out.txt", "r");
    if (fgets(line, sizeof line, out)) printf("wrote: %s", line);
    fclose(out);
    char cwd[512];
    printf("sandbox: cwd %s\n", getcwd(cwd, sizeof cwd) ? "ok" : strerror(errno));
    attempt("/etc/passwd", "/etc/passwd", O_RDONLY);
    char path[1024];
    snprintf(path, sizeof path, "%s/escape.txt", argv[2]);
    attempt("write outside", path, O_WRONLY | O_CREAT | O_TRUNC);
    snprintf(path, sizeof path, "%s/../../../../../../etc/passwd", argv[2]);
    attempt("dotdot", path, O_RDONLY);
    attempt("dotdot-relative", "../../../../../../../../etc/passwd", O_RDONLY);
    return 0;
}
