/*: # check — the self-check protocol

Every program in the course verifies its own numbers. A check compares a value that the
program *computed* with what mathematics says it must be, and prints one line:

    CHECK PASS L07.Z5.1.kl_nonneg value=4.0178e-02 expect=>=0 tol=1e-12 eq=L07.Z5.1.kl :: KL(p||q) >= 0

The protocol is fixed in `CONVENTIONS.md` §3; this module is its only implementation, so a
verdict string is never typed by hand anywhere else. The lines also go, as JSON, to
`<out>/checks.jsonl` for the docs generator.

Kinds of comparison:

| function | passes when |
|---|---|
| `check_close` | $\lvert v - e\rvert \le \mathrm{tol}$ |
| `check_rel` | $\lvert v - e\rvert \le \mathrm{tol}\cdot\lvert e\rvert$ (no floor: use it only where $\lvert e\rvert$ is far from 0) |
| `check_le`, `check_ge` | $v \le b + \mathrm{tol}$, $v \ge b - \mathrm{tol}$ |
| `check_in` | $lo \le v \le hi$ |
| `check_mc` | $\lvert \hat v - e\rvert \le k\,\widehat{\mathrm{se}}$ (Monte Carlo, $k$ and $n$ printed) |
| `check_true` | a computed predicate holds (for loaders, determinism: value is 0/1) |

A NaN or infinite value never passes. `check_rel` scales its bar by $\lvert e\rvert$ alone: an
earlier version floored the scale at 1e-300, so an expectation of $10^{-323}$ let a value of 0
pass; now a subnormal expectation is compared exactly (its bar rounds to 0) and a quantity near 0
needs `check_close` with an absolute bar.

`checks.jsonl` starts with a record of the run (`{"kind":"run", "scale", "seed", "threads", "gpu",
"date"}`, written by `cli_parse` through `check_run_info`), so that the docs can say which scale
produced the checks they show. Ids must be unique within a program; a repeated id
is itself reported as a failure.
*/
#ifndef COMMON_CHECK_H
#define COMMON_CHECK_H

#include <stdbool.h>

/* The line prefixes of the protocol: what check.c prints and what a reader of the lines
   (checks/harness.c) looks for, defined once. */
#define CHECK_LINE_PASS "CHECK PASS "
#define CHECK_LINE_FAIL "CHECK FAIL "
#define CHECK_LINE_SKIP "CHECK SKIP "
#define CHECK_LINE_ERRATUM "ERRATUM "
#define CHECK_LINE_SUMMARY "SUMMARY "

/* Start the protocol for one program. `program` is its path without extension
   (e.g. "lectures/07_mle/01_mle_cross_entropy"); `out_dir` receives checks.jsonl
   (NULL: no file). */
void check_begin(const char *program, const char *out_dir);

/* Records the run's settings (scale "quick"/"default"/"full", seed, threads, gpu mode) and the
   date as the first line of checks.jsonl; nothing is printed on stdout. cli_parse calls it. */
void check_run_info(const char *scale, unsigned long long seed, int threads, const char *gpu);
/* For programs with a GPU path: which backend ran ("CPU" or the device's name), as a "backend"
   record of checks.jsonl (the docs show it beside the run). */
void check_backend(const char *name);

/* All comparisons return true on PASS. `eq` names the equation id verified (may be NULL).
   The description is printf-style. */
bool check_close(const char *id, double value, double expect, double tol, const char *eq,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_rel(const char *id, double value, double expect, double rel_tol, const char *eq,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_le(const char *id, double value, double bound, double tol, const char *eq,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_ge(const char *id, double value, double bound, double tol, const char *eq,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool check_in(const char *id, double value, double lo, double hi, const char *eq,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Monte-Carlo estimate `value` with standard error `se` from `n` samples: pass when
   |value - expect| <= k * se. The tolerance k*se and "(k sigma, n=N)" are printed. */
bool check_mc(const char *id, double value, double expect, double se, double k, long n,
              const char *eq, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
bool check_true(const char *id, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A check that cannot run here, with the reason (never used to hide a failure). */
void check_skip(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A wrong claim of the lecture next to the correct value. Never fails. */
void check_erratum(const char *id, double lecture, double correct, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print the SUMMARY line, close checks.jsonl, and return the exit status:
   0 when no check failed, 1 otherwise. */
int check_end(void);

/* Counts so far (for tests of the protocol itself). */
int check_failed_count(void);

#endif
