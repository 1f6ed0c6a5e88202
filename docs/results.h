/* results — what the last run of a program left in its out directory: the check lines' JSON
   twin (`checks.jsonl`, written by common/check.c: kinds "run", "check", "erratum", "summary") and the
   PNG figures. A program that has not been run has no checks.jsonl: `ran` is false. */
#ifndef DOCS_RESULTS_H
#define DOCS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool erratum;
    char status[8]; /* PASS, FAIL, SKIP; "" for an erratum */
    char *id, *expect, *eq, *desc;
    double value, tol, lecture, correct; /* NAN where the JSON had null */
} CheckRec;

typedef struct {
    bool ran, summary;
    CheckRec *v;
    int n;
    int passed, failed, skipped, errata;
    /* the "run" record: the settings that produced these checks ("" / -1 when absent) */
    char scale[16], gpu[8], date[32];
    long long seed;
    int threads;
    char **figures; /* file names, sorted */
    int nfig;
} RunResult;

/* out/<lecture>/<program> for lectures/<lecture>/<program>; out/<path> otherwise. */
char *program_out_dir(const char *results_root, const char *program);
/* Loads <dir>/checks.jsonl and the PNGs of <dir>. Returns 0, or -1 with a message for a malformed
   line (the lines before it are kept). */
int results_load(const char *dir, RunResult *r, char *err, size_t errlen);
void results_free(RunResult *r);

#endif
