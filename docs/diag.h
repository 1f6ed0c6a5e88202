/* diag — the generator's error list: "file:line: message", collected rather than printed at once,
   so that the lint can count them and the unit tests can look at them. */
#ifndef DOCS_DIAG_H
#define DOCS_DIAG_H

typedef struct {
    char *file;
    int line;
    char *msg;
} Diag;

typedef struct {
    Diag *v;
    int n, cap;
} Diags;

void diag_add(Diags *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 1 when some message contains `needle` (for tests). */
int diag_has(const Diags *d, const char *needle);
void diag_print(const Diags *d, const char *prefix);
void diag_free(Diags *d);

#endif
