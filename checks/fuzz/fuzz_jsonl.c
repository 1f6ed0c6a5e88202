/* Fuzz target: the docs generator's reader of a run's checks.jsonl (docs/results.c over
   docs/json.c): the input is the file. */
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/fuzz/fuzz_util.h"
#include "docs/json.h"
#include "docs/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Json *j = json_parse((const char *)data, size);
    json_free(j);
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "/tmp/fuzz.jsonl.%ld", (long)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/checks.jsonl", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    RunResult r;
    char err[256];
    results_load(dir, &r, err, sizeof err);
    results_free(&r);
    remove(path);
    rmdir(dir);
    return 0;
}
