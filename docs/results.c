/* results — see results.h. */
#include "docs/results.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/json.h"
#include "docs/text.h"

char *program_out_dir(const char *results_root, const char *program) {
    const char *rel = starts_with(program, "lectures/") ? program + 9 : program;
    Buf b = {0};
    buf_printf(&b, "%s/%s", results_root, rel);
    return buf_take(&b);
}

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

static double num_or_nan(const Json *o, const char *key) { return json_num(o, key, NAN); }

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int results_load(const char *dir, RunResult *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->seed = -1;
    r->threads = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/checks.jsonl", dir);
    char *text = read_text_file(path, NULL);
    int status = 0;
    if (text) {
        r->ran = true;
        int lineno = 0;
        for (char *line = text; *line;) {
            char *e = strchr(line, '\n');
            size_t n = e ? (size_t)(e - line) : strlen(line);
            lineno++;
            if (n) {
                Json *j = json_parse(line, n);
                const char *kind = j ? json_str(j, "kind") : NULL;
                if (!kind) {
                    if (status == 0) snprintf(err, errlen, "%s:%d: not a check record", path, lineno);
                    status = -1;
                } else if (!strcmp(kind, "run")) {
                    snprintf(r->scale, sizeof r->scale, "%s", json_str(j, "scale") ? json_str(j, "scale") : "");
                    snprintf(r->gpu, sizeof r->gpu, "%s", json_str(j, "gpu") ? json_str(j, "gpu") : "");
                    snprintf(r->date, sizeof r->date, "%s", json_str(j, "date") ? json_str(j, "date") : "");
                    r->seed = (long long)json_num(j, "seed", -1);
                    r->threads = (int)json_num(j, "threads", -1);
                } else if (!strcmp(kind, "summary")) {
                    r->summary = true;
                    r->passed = (int)json_num(j, "passed", 0);
                    r->failed = (int)json_num(j, "failed", 0);
                    r->skipped = (int)json_num(j, "skipped", 0);
                    r->errata = (int)json_num(j, "errata", 0);
                } else {
                    CheckRec c = {0};
                    c.erratum = !strcmp(kind, "erratum");
                    snprintf(c.status, sizeof c.status, "%s", c.erratum ? "" : (json_str(j, "status") ? json_str(j, "status") : "?"));
                    c.id = dup_or_empty(json_str(j, "id"));
                    c.expect = dup_or_empty(json_str(j, "expect"));
                    c.eq = dup_or_empty(json_str(j, "eq"));
                    c.desc = dup_or_empty(json_str(j, "desc"));
                    c.value = num_or_nan(j, "value");
                    c.tol = num_or_nan(j, "tol");
                    c.lecture = num_or_nan(j, "lecture");
                    c.correct = num_or_nan(j, "correct");
                    r->v = xrealloc(r->v, (size_t)(r->n + 1) * sizeof *r->v);
                    r->v[r->n++] = c;
                }
                json_free(j);
            }
            line += n + (e ? 1 : 0);
        }
        free(text);
        if (!r->summary) { /* an interrupted run: count what is there */
            for (int i = 0; i < r->n; i++) {
                if (r->v[i].erratum) r->errata++;
                else if (!strcmp(r->v[i].status, "PASS")) r->passed++;
                else if (!strcmp(r->v[i].status, "FAIL")) r->failed++;
                else r->skipped++;
            }
        }
    }
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t L = strlen(de->d_name);
            if (L > 4 && !strcmp(de->d_name + L - 4, ".png")) {
                r->figures = xrealloc(r->figures, (size_t)(r->nfig + 1) * sizeof *r->figures);
                r->figures[r->nfig++] = xstrdup(de->d_name);
            }
        }
        closedir(d);
        if (r->nfig) qsort(r->figures, (size_t)r->nfig, sizeof *r->figures, cmp_str);
    }
    return status;
}

void results_free(RunResult *r) {
    for (int i = 0; i < r->n; i++) {
        free(r->v[i].id);
        free(r->v[i].expect);
        free(r->v[i].eq);
        free(r->v[i].desc);
    }
    free(r->v);
    for (int i = 0; i < r->nfig; i++) free(r->figures[i]);
    free(r->figures);
    memset(r, 0, sizeof *r);
}
