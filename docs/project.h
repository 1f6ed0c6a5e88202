/*: # project — the course as the generator sees it

Everything the pages need, read once from the tree: the lectures (`lectures/<NN>_<slug>/`, their
README and programs `[0-9]*.c`), the `common/` modules (a header `x.h` with its `x.c`, `x_*.c`),
the equations (`{#eq:ID}` definitions and `[eq:ID]` references, see `mathmd.h`), the functions
defined in `common/` (so that a call links to the code it runs), and the results of the last run
(`results.h`) of every lecture program and unit test. Marker errors go to `diags`.
*/
#ifndef DOCS_PROJECT_H
#define DOCS_PROJECT_H

#include <stdbool.h>

#include "docs/diag.h"
#include "docs/markers.h"
#include "docs/results.h"

typedef struct {
    char *path; /* relative to the root, e.g. "common/mathfn.c" */
    char *text;
    Literate lit;
    const char *page; /* the page that shows it */
} Source;

typedef struct {
    char *program; /* "lectures/07_mle/01_mle_cross_entropy" */
    char *name;    /* "01_mle_cross_entropy" */
    char *title;   /* the header's first heading, or the name */
    char *page;    /* "lectures/07_mle/01_mle_cross_entropy.html" */
    Source src;
    RunResult run;
} Program;

typedef struct {
    char *dir;    /* "07_mle" */
    char *title;  /* the README's first heading */
    char *readme; /* its text, or NULL */
    Program *progs;
    int nprogs;
} Lecture;

typedef struct {
    char *name; /* "mathfn" */
    char *page; /* "common/mathfn.html" */
    Source *files;
    int nfiles;
} Module;

typedef struct {
    char *id;
    const Source *src;
    int line;
    bool in_note;   /* defined at the end of a //: line */
    bool annotates; /* it annotates code (see lint.h) */
    int ndefs;      /* > 1: defined more than once */
    char *tex;      /* the display's TeX (NULL for a note) */
} Equation;

typedef struct {
    char *eq;
    const Source *src;
    int line;
    bool in_note;
} EqRef;

typedef struct {
    char *name;
    const Source *src;
    int line;
    bool is_static; /* only linked from its own page */
} Function;

typedef struct {
    char *root, *results;
    Lecture *lec;
    int nlec;
    Module *mod;
    int nmod;
    Program *units; /* checks/unit/test_*: only their results are used */
    int nunits;
    Equation *eq;
    int neq;
    EqRef *refs;
    int nrefs;
    Function *fn;
    int nfn;
    Diags diags;
} Project;

/* Reads the tree under `root` and the results under `results_root` (normally "out"). Returns
   the number of marker errors (also in p->diags); -1 when the tree cannot be read. */
int project_load(Project *p, const char *root, const char *results_root);
void project_free(Project *p);

const Equation *project_equation(const Project *p, const char *id);
/* A function visible from the page `from_page` (its own static ones included), or NULL. */
const Function *project_function(const Project *p, const char *name, const char *from_page);
/* "common/mathfn.h" / "01_mle_cross_entropy.c" -> the page showing it, or NULL. */
const char *project_file_page(const Project *p, const char *file, const Lecture *context);
/* The anchor of a source line on its page: "<basename>-L<n>" (static buffer). */
const char *line_anchor(const Source *s, int line);
/* Every lecture program and unit test, in order (for the equation -> checks map). */
int project_runs(const Project *p, const Program ***out);

#endif
