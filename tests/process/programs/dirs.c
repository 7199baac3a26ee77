/* Directory and file-name operations inside the writable directory (the cwd). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    if (mkdir("sub", 0755) != 0) { perror("mkdir"); return 1; }
    FILE *f = fopen("sub/a.txt", "w+");
    fputs("0123456789", f);
    fseek(f, 3, SEEK_SET);
    fputs("xy", f);
    fseek(f, 0, SEEK_END);
    printf("ftell %ld\n", ftell(f));
    rewind(f);
    char buf[32] = {0};
    fread(buf, 1, sizeof buf - 1, f);
    printf("content %s\n", buf);
    fclose(f);
    if (rename("sub/a.txt", "sub/b.txt") != 0) perror("rename");
    printf("access a %d b %d\n", access("sub/a.txt", F_OK), access("sub/b.txt", R_OK | W_OK));
    f = fopen("sub/c.txt", "w"); fputs("c", f); fclose(f);
    DIR *d = opendir("sub");
    char *names[16]; int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) printf("entry %s\n", names[i]);
    struct stat st;
    stat("sub/b.txt", &st);
    printf("size %ld regular %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    printf("remove %d %d rmdir %d\n", remove("sub/b.txt"), remove("sub/c.txt"), rmdir("sub"));
    time_t t = time(NULL);
    struct tm *tm = gmtime(&t);
    printf("year %d\n", tm->tm_year + 1900 >= 2026);
    return 0;
}
