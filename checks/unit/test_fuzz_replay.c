/* The fuzz targets of checks/fuzz/ replayed on their committed inputs: the seed corpus of each
   target (checks/fuzz/corpus/<target>/) and every input that once crashed it
   (checks/fuzz/regressions/<target>/). `make fuzz` searches for new inputs with libFuzzer; this
   test, in `make check` (and under ASan/UBSan with SAN=1), makes sure that none of the inputs
   found so far crashes the parsers again. A crash here is a crash of this program, which the
   harness reports as a failure. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/util.h"

/* each target's entry point under its own name */
#define LLVMFuzzerTestOneInput fuzz_idx
#include "checks/fuzz/fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_digits
#include "checks/fuzz/fuzz_digits.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_params
#include "checks/fuzz/fuzz_params.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_png
#include "checks/fuzz/fuzz_png.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_jsonl
#include "checks/fuzz/fuzz_jsonl.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_markers
#include "checks/fuzz/fuzz_markers.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cli
#include "checks/fuzz/fuzz_cli.c"
#undef LLVMFuzzerTestOneInput

typedef int (*Target)(const uint8_t *, size_t);

static const struct {
    const char *name;
    Target fn;
} TARGETS[] = {{"idx", fuzz_idx},       {"digits", fuzz_digits},   {"params", fuzz_params}, {"png", fuzz_png},
               {"jsonl", fuzz_jsonl},   {"markers", fuzz_markers}, {"cli", fuzz_cli}};

static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *b = xmalloc(cap);
    size_t got;
    while ((got = fread(b + len, 1, cap - len, f)) > 0)
        if ((len += got) == cap) b = xrealloc(b, cap *= 2);
    fclose(f);
    *n = len;
    return b;
}

/* Runs every file of dir through the target; returns how many. */
static int replay_dir(const char *dir, Target fn) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        uint8_t *data = read_all(path, &len);
        if (!data) continue;
        fn(data, len);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "the fuzz targets replayed on their committed corpus", 0, NULL);
    for (size_t t = 0; t < sizeof TARGETS / sizeof TARGETS[0]; t++) {
        char corpus[256], regress[256], id[128];
        snprintf(corpus, sizeof corpus, "checks/fuzz/corpus/%s", TARGETS[t].name);
        snprintf(regress, sizeof regress, "checks/fuzz/regressions/%s", TARGETS[t].name);
        int n = replay_dir(corpus, TARGETS[t].fn);
        int r = replay_dir(regress, TARGETS[t].fn);
        snprintf(id, sizeof id, "fuzz.replay.%s", TARGETS[t].name);
        /* reaching this line means no input crashed the target; the corpus must not be empty */
        check_true(id, n > 0, "target %s: %d corpus inputs and %d regression inputs replayed without a crash",
                   TARGETS[t].name, n, r);
    }
    return check_end();
}
