/*
 * replay_main.c - runs a libFuzzer-style target over every file in a corpus directory,
 * so ctest exercises each fuzz target (under ASan/UBSan in CI) without libFuzzer.
 * Build with -DFLEETBOT_LIBFUZZER=ON (clang) to fuzz for real.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (d == NULL) {
        fprintf(stderr, "cannot open corpus %s\n", argv[1]);
        return 1;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
        if (n < 0 || (size_t)n >= sizeof(path))
            continue;
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
        size_t got = fread(data, 1, len > 0 ? (size_t)len : 0, f);
        fclose(f);
        LLVMFuzzerTestOneInput(data, got);
        free(data);
        files++;
    }
    closedir(d);
    /* a corpus of one input per file; each must run without a sanitizer report */
    printf("%d passed, 0 failed\n", files);
    return files > 0 ? 0 : 1;
}
