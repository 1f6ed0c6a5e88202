/*: # lint — the rules the sources' markers must keep

| rule | fails when |
|---|---|
| markers | a marker cannot be parsed: unbalanced `$`/`$$`, an unknown `{#…}` marker, a misplaced equation id, an unclosed prose block, a marker after code |
| unique | an equation id is defined twice |
| annotates | an equation annotates no code: it is neither defined on a `//:` line above code, nor cited by a `//:` line, nor stated in a prose block followed by code |
| refs | an `[eq:ID]` names no equation |
| check_eq | a check's `eq=` names no equation (the literal argument of a `check_*` call in the sources, and every `eq` of the last run's `checks.jsonl`) |
*/
#ifndef DOCS_LINT_H
#define DOCS_LINT_H

#include "docs/diag.h"
#include "docs/project.h"

typedef struct {
    Diags markers, unique, annotates, refs, check_eq;
    int n_eq, n_refs, n_check_eq; /* how many were examined */
} LintReport;

void lint_project(const Project *p, LintReport *r);
int lint_errors(const LintReport *r);
void lint_free(LintReport *r);

/* The eq argument (a string literal) of each check_* call in C code: calls `fn(id, ..., eq, ...)`.
   Calls `cb(ctx, eq, line)` for each; exposed for the unit tests. */
void check_calls_eq(const char *code, int first_line, void (*cb)(void *, const char *, int), void *ctx);

#endif
