/* Prints what a program sees at startup: argc, argv, envp, the auxiliary vector, and
   where the strings lie relative to each other (distances, not absolute addresses). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <elf.h>
#include <sys/auxv.h>

int main(int argc, char **argv, char **envp) {
    char **e = envp;
    while (*e) e++;
    Elf64_auxv_t *aux = (Elf64_auxv_t *)(e + 1);
    uintptr_t sp = (uintptr_t)argv - 8;
    printf("argc %d\n", argc);
    printf("sp_mod16 %lu\n", (unsigned long)(sp % 16));
    printf("argv_is_sp_plus_8 %d\n", (long *)sp == (long *)argv - 1 && *(long *)sp == argc);
    for (int i = 0; i < argc; i++) printf("argv %d %s\n", i, argv[i]);
    for (int i = 0; envp[i]; i++) printf("envp %d %s\n", i, envp[i]);
    /* strings: argv strings first, then envp strings, each right after the other */
    int contiguous = 1;
    for (int i = 0; i + 1 < argc; i++)
        if (argv[i] + strlen(argv[i]) + 1 != argv[i + 1]) contiguous = 0;
    char *last = argv[argc - 1];
    for (int i = 0; envp[i]; i++) {
        if (last + strlen(last) + 1 != envp[i]) contiguous = 0;
        last = envp[i];
    }
    printf("strings_contiguous %d\n", contiguous);
    for (Elf64_auxv_t *a = aux; a->a_type != AT_NULL; a++) {
        unsigned long v = a->a_un.a_val;
        switch (a->a_type) {
        case AT_EXECFN: printf("auxv AT_EXECFN %s\n", (char *)v);
            printf("execfn_after_strings %d\n", (char *)v == last + strlen(last) + 1);
            break;
        case AT_RANDOM: printf("auxv AT_RANDOM in_stack %d above_auxv %d\n",
                               v > sp && v < sp + (1 << 20), v > (unsigned long)a);
            break;
        case AT_PLATFORM: printf("auxv AT_PLATFORM %s\n", (char *)v); break;
        case AT_PHDR: case AT_ENTRY: case AT_PHENT: case AT_PHNUM: case AT_PAGESZ:
        case AT_BASE: case AT_FLAGS: case AT_HWCAP: case AT_CLKTCK: case AT_SECURE:
            printf("auxv %lu %#lx\n", (unsigned long)a->a_type, v); break;
        default: printf("auxv_other %lu\n", (unsigned long)a->a_type);
        }
    }
    printf("getauxval_hwcap %#lx pagesz %lu\n", getauxval(AT_HWCAP), getauxval(AT_PAGESZ));
    /* AT_PHDR must point at this program's headers: check the first entry's type */
    Elf64_Phdr *ph = (Elf64_Phdr *)getauxval(AT_PHDR);
    int has_load = 0;
    for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++) has_load |= ph[i].p_type == PT_LOAD;
    printf("phdr_has_load %d\n", has_load);
    return argc;
}
