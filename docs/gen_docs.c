/* gen_docs — writes the course site (see docs/README.md).

     gen_docs [--root DIR] [--results DIR] [--site DIR] [--lint]

   Reads the sources under --root (default .), the last run's results under --results (default
   out) and writes the site to --site (default build/docs), then prints the path of its index.
   Exit status 1 when a marker cannot be parsed (unbalanced math, unknown marker, ...) or an
   equation rule of the lint is broken (the site is still written, so that it can be looked at);
   2 for a usage error or a file that cannot be written. --lint checks without writing. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs/lint.h"
#include "docs/project.h"
#include "docs/site.h"

static void usage(void) {
    fprintf(stderr, "usage: gen_docs [--root DIR] [--results DIR] [--site DIR] [--lint]\n");
    exit(2);
}

static void print_all(const char *rule, const Diags *d) {
    for (int i = 0; i < d->n; i++)
        fprintf(stderr, "%s:%d: error: %s [%s]\n", d->v[i].file, d->v[i].line, d->v[i].msg, rule);
}

int main(int argc, char **argv) {
    const char *root = ".", *results = "out", *site = "build/docs";
    int lint_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--root") && i + 1 < argc) root = argv[++i];
        else if (!strcmp(argv[i], "--results") && i + 1 < argc) results = argv[++i];
        else if (!strcmp(argv[i], "--site") && i + 1 < argc) site = argv[++i];
        else if (!strcmp(argv[i], "--lint")) lint_only = 1;
        else usage();
    }
    Project p;
    if (project_load(&p, root, results) < 0) {
        fprintf(stderr, "gen_docs: cannot read %s/lectures\n", root);
        return 2;
    }
    LintReport r;
    lint_project(&p, &r);
    print_all("markers", &r.markers);
    print_all("unique", &r.unique);
    print_all("annotates", &r.annotates);
    print_all("refs", &r.refs);
    print_all("check_eq", &r.check_eq);
    int errors = lint_errors(&r);
    lint_free(&r);
    int status = errors ? 1 : 0;
    if (!lint_only) {
        PageList pages;
        char err[1024];
        if (site_generate(&p, site, &pages, err, sizeof err) != 0) {
            fprintf(stderr, "gen_docs: %s\n", err);
            status = 2;
        } else {
            char abs[PATH_MAX];
            char index[PATH_MAX + 16];
            snprintf(index, sizeof index, "%s/index.html", realpath(site, abs) ? abs : site);
            printf("docs: %d pages, file://%s\n", pages.n, index);
        }
        pagelist_free(&pages);
    }
    if (errors) fprintf(stderr, "gen_docs: %d marker/equation error%s (see above)\n", errors, errors > 1 ? "s" : "");
    project_free(&p);
    return status;
}
