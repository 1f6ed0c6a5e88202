/* lint — see lint.h. */
#include "docs/lint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/text.h"

/* position of the eq argument (0-based) of each check function */
static const struct {
    const char *name;
    int eq_arg;
} check_fns[] = {{"check_close", 4}, {"check_rel", 4}, {"check_le", 4}, {"check_ge", 4},
                 {"check_in", 4},    {"check_mc", 6},  {NULL, 0}};

void check_calls_eq(const char *code, int first_line, void (*cb)(void *, const char *, int), void *ctx) {
    int line = first_line;
    for (const char *p = code; *p; p++) {
        if (*p == '\n') {
            line++;
            continue;
        }
        if (*p == '"') { /* skip string literals */
            for (p++; *p && *p != '"' && *p != '\n'; p++)
                if (*p == '\\' && p[1]) p++;
            if (!*p) break;
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            while (p[1] && p[1] != '\n') p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            for (const char *q = p; e && q < e; q++) line += *q == '\n';
            if (!e) break;
            p = e + 1;
            continue;
        }
        if (p != code && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) continue;
        int which = -1;
        size_t n = 0;
        for (int k = 0; check_fns[k].name; k++) {
            n = strlen(check_fns[k].name);
            if (!strncmp(p, check_fns[k].name, n) && p[n] == '(') {
                which = k;
                break;
            }
        }
        if (which < 0) continue;
        /* walk the arguments */
        int arg = 0, depth = 0, call_line = line;
        const char *q = p + n + 1, *arg_start = q;
        for (; *q; q++) {
            if (*q == '"') {
                for (q++; *q && *q != '"'; q++)
                    if (*q == '\\' && q[1]) q++;
                if (!*q) break;
            } else if (*q == '(') {
                depth++;
            } else if (*q == ')' && depth-- == 0) {
                break;
            } else if (*q == ',' && depth == 0) {
                if (arg == check_fns[which].eq_arg) break;
                arg++;
                arg_start = q + 1;
            }
        }
        if (arg == check_fns[which].eq_arg) {
            while (isspace((unsigned char)*arg_start)) arg_start++;
            if (*arg_start == '"') {
                const char *e = strchr(arg_start + 1, '"');
                if (e) {
                    char *eq = xstrndup(arg_start + 1, (size_t)(e - arg_start - 1));
                    cb(ctx, eq, call_line);
                    free(eq);
                }
            }
        }
    }
}

typedef struct {
    const Project *p;
    LintReport *r;
    const Source *s;
} EqCtx;

static void check_eq_cb(void *ctx, const char *eq, int line) {
    EqCtx *c = ctx;
    c->r->n_check_eq++;
    if (!project_equation(c->p, eq))
        diag_add(&c->r->check_eq, c->s->path, line, "check eq=%s names no equation", eq);
}

static void lint_source(const Project *p, LintReport *r, const Source *s) {
    EqCtx c = {p, r, s};
    for (int i = 0; i < s->lit.n; i++)
        if (s->lit.seg[i].kind == SEG_CODE)
            check_calls_eq(s->lit.seg[i].text, s->lit.seg[i].line, check_eq_cb, &c);
}

void lint_project(const Project *p, LintReport *r) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < p->diags.n; i++) {
        const Diag *d = &p->diags.v[i];
        if (strstr(d->msg, "already defined")) diag_add(&r->unique, d->file, d->line, "%s", d->msg);
        else diag_add(&r->markers, d->file, d->line, "%s", d->msg);
    }
    r->n_eq = p->neq;
    for (int e = 0; e < p->neq; e++)
        if (!p->eq[e].annotates)
            diag_add(&r->annotates, p->eq[e].src->path, p->eq[e].line,
                     "equation eq:%s annotates no code (cite it on the //: line above its code)", p->eq[e].id);
    r->n_refs = p->nrefs;
    for (int k = 0; k < p->nrefs; k++)
        if (!project_equation(p, p->refs[k].eq))
            diag_add(&r->refs, p->refs[k].src->path, p->refs[k].line, "[eq:%s] names no equation", p->refs[k].eq);
    for (int i = 0; i < p->nlec; i++)
        for (int j = 0; j < p->lec[i].nprogs; j++) lint_source(p, r, &p->lec[i].progs[j].src);
    for (int i = 0; i < p->nmod; i++)
        for (int j = 0; j < p->mod[i].nfiles; j++) lint_source(p, r, &p->mod[i].files[j]);
    const Program **runs;
    int n = project_runs(p, &runs);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < runs[i]->run.n; k++) {
            const CheckRec *c = &runs[i]->run.v[k];
            if (c->erratum || !c->eq[0]) continue;
            r->n_check_eq++;
            if (!project_equation(p, c->eq))
                diag_add(&r->check_eq, runs[i]->program, 0, "check %s (last run) eq=%s names no equation", c->id, c->eq);
        }
    free(runs);
}

int lint_errors(const LintReport *r) {
    return r->markers.n + r->unique.n + r->annotates.n + r->refs.n + r->check_eq.n;
}

void lint_free(LintReport *r) {
    diag_free(&r->markers);
    diag_free(&r->unique);
    diag_free(&r->annotates);
    diag_free(&r->refs);
    diag_free(&r->check_eq);
}
