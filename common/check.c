/* check — the self-check protocol of CONVENTIONS.md §3 (see check.h). */
#include "common/check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/util.h"

static struct {
    char program[256];
    FILE *jsonl;
    int passed, failed, skipped, errata;
    char **ids;
    int n_ids, cap_ids;
} S;

void check_begin(const char *program, const char *out_dir) {
    /* a second begin (a forked child of a test, say) first releases what the first one held;
       every line was flushed as written, so closing the file writes nothing twice */
    if (S.jsonl) fclose(S.jsonl);
    for (int i = 0; i < S.n_ids; i++) free(S.ids[i]);
    free(S.ids);
    memset(&S, 0, sizeof S);
    snprintf(S.program, sizeof S.program, "%s", program);
    if (out_dir) {
        if (mkdir_p(out_dir) != 0) die("cannot create output directory '%s'", out_dir);
        char path[4096];
        snprintf(path, sizeof path, "%s/checks.jsonl", out_dir);
        S.jsonl = fopen(path, "w");
        if (!S.jsonl) die("cannot write '%s'", path);
    }
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void check_backend(const char *name) {
    if (!S.jsonl) return;
    fputs("{\"kind\":\"backend\",\"name\":", S.jsonl);
    json_string(S.jsonl, name);
    fputs("}\n", S.jsonl);
    fflush(S.jsonl);
}

static void json_number(FILE *f, double x) {
    if (isfinite(x)) fprintf(f, "%.17g", x);
    else fputs("null", f); /* JSON has no NaN/Inf */
}

void check_run_info(const char *scale, unsigned long long seed, int threads, const char *gpu) {
    if (!S.jsonl) return;
    char date[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs("{\"kind\":\"run\",\"program\":", S.jsonl);
    json_string(S.jsonl, S.program);
    fputs(",\"scale\":", S.jsonl);
    json_string(S.jsonl, scale);
    fprintf(S.jsonl, ",\"seed\":%llu,\"threads\":%d,\"gpu\":", seed, threads);
    json_string(S.jsonl, gpu);
    fputs(",\"date\":", S.jsonl);
    json_string(S.jsonl, date);
    fputs("}\n", S.jsonl);
    fflush(S.jsonl);
}

/* Returns false (and records a failure) when the id was already used. */
static bool register_id(const char *id) {
    for (int i = 0; i < S.n_ids; i++)
        if (strcmp(S.ids[i], id) == 0) return false;
    if (S.n_ids == S.cap_ids) {
        S.cap_ids = S.cap_ids ? 2 * S.cap_ids : 64;
        S.ids = xrealloc(S.ids, (size_t)S.cap_ids * sizeof *S.ids);
    }
    S.ids[S.n_ids++] = xstrdup(id);
    return true;
}

/* Prints one CHECK line and its JSON twin. `expect` is already formatted. */
static bool emit(const char *status, const char *id, double value, const char *expect,
                 double tol, const char *eq, const char *desc) {
    bool dup = !register_id(id);
    if (dup && strcmp(status, "SKIP") != 0) status = "FAIL";
    if (strcmp(status, "PASS") == 0) S.passed++;
    else if (strcmp(status, "FAIL") == 0) S.failed++;
    else S.skipped++;

    if (strcmp(status, "SKIP") == 0) {
        printf(CHECK_LINE_SKIP "%s :: %s\n", id, desc);
    } else {
        printf("CHECK %s %s value=%.10g expect=%s tol=%.3g", status, id, value, expect, tol);
        if (eq && *eq) printf(" eq=%s", eq);
        printf(" :: %s%s\n", desc, dup ? " [duplicate check id]" : "");
    }
    fflush(stdout);
    if (S.jsonl) {
        fprintf(S.jsonl, "{\"kind\":\"check\",\"status\":\"%s\",\"id\":", status);
        json_string(S.jsonl, id);
        fputs(",\"value\":", S.jsonl);
        json_number(S.jsonl, value);
        fputs(",\"expect\":", S.jsonl);
        json_string(S.jsonl, expect);
        fputs(",\"tol\":", S.jsonl);
        json_number(S.jsonl, tol);
        fputs(",\"eq\":", S.jsonl);
        json_string(S.jsonl, eq ? eq : "");
        fputs(",\"desc\":", S.jsonl);
        json_string(S.jsonl, desc);
        fputs("}\n", S.jsonl);
        fflush(S.jsonl);
    }
    return strcmp(status, "PASS") == 0;
}

#define FORMAT_DESC(buf, fmt)                     \
    char buf[1024];                               \
    do {                                          \
        va_list ap_;                              \
        va_start(ap_, fmt);                       \
        vsnprintf(buf, sizeof buf, fmt, ap_);     \
        va_end(ap_);                              \
    } while (0)

static const char *verdict(bool ok) { return ok ? "PASS" : "FAIL"; }

bool check_close(const char *id, double value, double expect, double tol, const char *eq,
                 const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    char e[64];
    snprintf(e, sizeof e, "%.10g", expect);
    bool ok = isfinite(value) && fabs(value - expect) <= tol;
    return emit(verdict(ok), id, value, e, tol, eq, desc);
}

bool check_rel(const char *id, double value, double expect, double rel_tol, const char *eq,
               const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    char e[64];
    snprintf(e, sizeof e, "%.10g", expect);
    /* the tolerance is rel_tol * |expect| and nothing more: no floor raises it, so a tiny or
       subnormal expectation is compared (nearly) exactly and a value of 0 cannot pass for it;
       a quantity whose expectation is near 0 belongs in check_close with an absolute bar */
    double tol = rel_tol * fabs(expect);
    bool ok = isfinite(value) && isfinite(expect) && fabs(value - expect) <= tol;
    /* the printed tol is absolute, so that a reader can compare |value-expect| with it */
    return emit(verdict(ok), id, value, e, tol, eq, desc);
}

bool check_le(const char *id, double value, double bound, double tol, const char *eq,
              const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    char e[64];
    snprintf(e, sizeof e, "<=%.10g", bound);
    bool ok = isfinite(value) && value <= bound + tol;
    return emit(verdict(ok), id, value, e, tol, eq, desc);
}

bool check_ge(const char *id, double value, double bound, double tol, const char *eq,
              const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    char e[64];
    snprintf(e, sizeof e, ">=%.10g", bound);
    bool ok = isfinite(value) && value >= bound - tol;
    return emit(verdict(ok), id, value, e, tol, eq, desc);
}

bool check_in(const char *id, double value, double lo, double hi, const char *eq,
              const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    char e[96];
    snprintf(e, sizeof e, "in[%.10g,%.10g]", lo, hi);
    bool ok = isfinite(value) && value >= lo && value <= hi;
    return emit(verdict(ok), id, value, e, 0.0, eq, desc);
}

bool check_mc(const char *id, double value, double expect, double se, double k, long n,
              const char *eq, const char *fmt, ...) {
    FORMAT_DESC(desc0, fmt);
    char desc[1200];
    snprintf(desc, sizeof desc, "%s (%g sigma, se=%.3g, n=%ld)", desc0, k, se, n);
    char e[64];
    snprintf(e, sizeof e, "%.10g", expect);
    double tol = k * se;
    bool ok = isfinite(value) && isfinite(se) && se >= 0 && fabs(value - expect) <= tol;
    return emit(verdict(ok), id, value, e, tol, eq, desc);
}

bool check_true(const char *id, bool ok, const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    return emit(verdict(ok), id, ok ? 1.0 : 0.0, "1", 0.0, NULL, desc);
}

void check_skip(const char *id, const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    emit("SKIP", id, NAN, "", 0.0, NULL, desc);
}

void check_erratum(const char *id, double lecture, double correct, const char *fmt, ...) {
    FORMAT_DESC(desc, fmt);
    S.errata++;
    printf(CHECK_LINE_ERRATUM "%s lecture=%.10g correct=%.10g :: %s\n", id, lecture, correct, desc);
    fflush(stdout);
    if (S.jsonl) {
        fputs("{\"kind\":\"erratum\",\"id\":", S.jsonl);
        json_string(S.jsonl, id);
        fputs(",\"lecture\":", S.jsonl);
        json_number(S.jsonl, lecture);
        fputs(",\"correct\":", S.jsonl);
        json_number(S.jsonl, correct);
        fputs(",\"desc\":", S.jsonl);
        json_string(S.jsonl, desc);
        fputs("}\n", S.jsonl);
    }
}

int check_failed_count(void) { return S.failed; }

int check_end(void) {
    printf(CHECK_LINE_SUMMARY "%s %d passed, %d failed, %d skipped\n", S.program, S.passed, S.failed,
           S.skipped);
    fflush(stdout);
    if (S.jsonl) {
        fprintf(S.jsonl,
                "{\"kind\":\"summary\",\"program\":\"%s\",\"passed\":%d,\"failed\":%d,"
                "\"skipped\":%d,\"errata\":%d}\n",
                S.program, S.passed, S.failed, S.skipped, S.errata);
        fclose(S.jsonl);
        S.jsonl = NULL;
    }
    for (int i = 0; i < S.n_ids; i++) free(S.ids[i]);
    free(S.ids);
    S.ids = NULL;
    S.n_ids = S.cap_ids = 0;
    return S.failed ? 1 : 0;
}
