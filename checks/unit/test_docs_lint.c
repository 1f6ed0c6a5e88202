/* The docs lint (docs/lint.h) on the project's own sources, and on a small broken tree that must
   trip every rule: equation ids unique, every equation annotating code, every [eq:ID] and every
   check's eq= naming an equation, every marker parseable. */
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "docs/lint.h"
#include "docs/project.h"
#include "docs/text.h"

static const char *first(const Diags *d) {
    static char buf[700];
    if (!d->n) return "none";
    snprintf(buf, sizeof buf, "%s:%d: %s", d->v[0].file, d->v[0].line, d->v[0].msg);
    for (char *q = buf; *q; q++)
        if (*q == '\n') *q = ' ';
    return buf;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (write_text_file(path, text, strlen(text)) != 0) fprintf(stderr, "cannot write %s\n", path);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "the docs lint on the sources and on a broken tree", 0, NULL);

    Project p;
    int loaded = project_load(&p, ".", "out");
    LintReport r;
    lint_project(&p, &r);
    check_true("docs.lint.tree_read", loaded >= 0 && p.nlec > 0 && p.nmod > 0,
               "the sources are read: %d lectures, %d modules, %d equations", p.nlec, p.nmod, p.neq);
    check_true("docs.lint.markers", r.markers.n == 0, "every marker parses (%d errors; first: %s)", r.markers.n, first(&r.markers));
    check_true("docs.lint.eq_unique", r.unique.n == 0, "every equation id of the %d is defined once (first: %s)", r.n_eq, first(&r.unique));
    check_true("docs.lint.eq_annotates", r.annotates.n == 0, "every equation annotates code (%d do not; first: %s)",
               r.annotates.n, first(&r.annotates));
    check_true("docs.lint.eq_refs", r.refs.n == 0, "all %d [eq:ID] references resolve (first: %s)", r.n_refs, first(&r.refs));
    check_true("docs.lint.check_eq", r.check_eq.n == 0, "all %d eq= of checks (sources and last run) name an equation (first: %s)",
               r.n_check_eq, first(&r.check_eq));
    lint_free(&r);
    project_free(&p);

    /* a broken tree: each rule must fire */
    char root[1200], dir[1300];
    snprintf(root, sizeof root, "%s/broken", cli.out_dir);
    snprintf(dir, sizeof dir, "%s/lectures/99_bad", root);
    write_file(dir, "01_bad.c",
               "/*: # bad\n$$ a = 1 $$ {#eq:B.a}\n\nSee [eq:B.nothing] and $x.\n*/\n"
               "int f(void) { return check_close(\"B.c\", 1, 1, 0, \"B.missing\", \"d\"); }\n"
               "/*: $$ b $$ {#eq:B.a} and {#foo}\n\n$$ c $$ {#eq:B.lonely} */\n");
    write_file(root, "common/none.h", "/* nothing */\n");
    loaded = project_load(&p, root, root);
    lint_project(&p, &r);
    check_true("docs.lint.broken_markers", r.markers.n == 2 && diag_has(&r.markers, "unbalanced") && diag_has(&r.markers, "unknown marker"),
               "the broken tree's unbalanced $ and unknown marker are found (%d)", r.markers.n);
    check_true("docs.lint.broken_unique", r.unique.n == 1, "the broken tree's duplicate eq:B.a is found (%d)", r.unique.n);
    check_true("docs.lint.broken_annotates", r.annotates.n == 1 && diag_has(&r.annotates, "B.lonely"),
               "an equation in a block followed by no code is found (%d)", r.annotates.n);
    check_true("docs.lint.broken_refs", r.refs.n == 1 && diag_has(&r.refs, "B.nothing"), "the dangling [eq:B.nothing] is found");
    check_true("docs.lint.broken_check_eq", r.check_eq.n == 1 && diag_has(&r.check_eq, "B.missing"),
               "a check naming no equation is found");
    lint_free(&r);
    project_free(&p);
    return check_end();
}
