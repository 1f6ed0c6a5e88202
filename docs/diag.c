/* diag — see diag.h. */
#include "docs/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void diag_add(Diags *d, const char *file, int line, const char *fmt, ...) {
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->v = xrealloc(d->v, (size_t)d->cap * sizeof *d->v);
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->v[d->n++] = (Diag){xstrdup(file ? file : "?"), line, xstrdup(msg)};
}

int diag_has(const Diags *d, const char *needle) {
    for (int i = 0; i < d->n; i++)
        if (strstr(d->v[i].msg, needle)) return 1;
    return 0;
}

void diag_print(const Diags *d, const char *prefix) {
    for (int i = 0; i < d->n; i++)
        fprintf(stderr, "%s%s:%d: %s\n", prefix, d->v[i].file, d->v[i].line, d->v[i].msg);
}

void diag_free(Diags *d) {
    for (int i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}
