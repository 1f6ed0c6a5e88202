/* results — what the last run of a program left in its out directory: the check lines' JSON
   twin (`checks.jsonl`, written by common/check.c: kinds "run", "backend", "check", "erratum",
   "summary") and the PNG figures. A program that has not been run has no checks.jsonl: `ran` is
   false. The "run" record says how it ran (date, scale, seed, threads, GPU mode) and "backend"
   which executor the heavy loops used; `mtime` lets a page notice a run older than its source. */
#ifndef DOCS_RESULTS_H
#define DOCS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct {
    bool erratum;
    char status[8]; /* PASS, FAIL, SKIP; "" for an erratum */
    char *id, *expect, *eq, *desc;
    double value, tol, lecture, correct; /* NAN where the JSON had null */
} CheckRec;

/* How the run was made; empty strings where checks.jsonl did not say. */
typedef struct {
    bool known;
    char date[40];     /* ISO 8601, UTC */
    char scale[16];    /* quick, default, full */
    char seed[24];
    char threads[12];
    char gpu[8];       /* the --gpu flag: auto, off, on */
    char backend[160]; /* "CPU", or the GPU device's name */
} RunInfo;

typedef struct {
    bool ran, summary;
    RunInfo info;
    time_t mtime; /* of checks.jsonl */
    CheckRec *v;
    int n;
    int passed, failed, skipped, errata;
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
