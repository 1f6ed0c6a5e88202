/* markers — see markers.h. Two passes: a C lexer marks every line as code, note or prose
   (and finds the prose blocks), then the lines are grouped into segments. */
#include "docs/markers.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/text.h"

typedef enum { LINE_CODE, LINE_NOTE, LINE_PROSE } LineKind;

typedef struct {
    LineKind kind;
    int block;             /* prose: index of its block */
    const char *note;      /* note: the text after "//:" */
    size_t note_len;
} LineInfo;

typedef struct {
    const char *start, *end; /* the text between the opener and the closer */
    int first, last;          /* source lines */
} Block;

static bool only_space(const char *a, const char *b) {
    for (; a < b; a++)
        if (*a != ' ' && *a != '\t') return false;
    return true;
}

static const char *line_end(const char *p) {
    const char *e = strchr(p, '\n');
    return e ? e : p + strlen(p);
}

static void push(Literate *lit, Segment s) {
    if (lit->n == lit->cap) {
        lit->cap = lit->cap ? 2 * lit->cap : 32;
        lit->seg = xrealloc(lit->seg, (size_t)lit->cap * sizeof *lit->seg);
    }
    lit->seg[lit->n++] = s;
}

/* The text of a prose block: the first line without its leading blanks, the others dedented by
   their common indentation, a last line holding only the indentation of the closing dropped. */
static char *prose_text(const Block *b) {
    const char *p = b->start;
    const char *e = line_end(p);
    if (e > b->end) e = b->end;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    Buf out = {0};
    buf_put(&out, p, (size_t)(e - p));
    if (e >= b->end) return buf_take(&out);
    const char *rest = e + 1;
    size_t indent = (size_t)-1;
    for (const char *q = rest; q < b->end;) {
        const char *qe = line_end(q);
        if (qe > b->end) qe = b->end;
        size_t k = 0;
        while (q + k < qe && (q[k] == ' ' || q[k] == '\t')) k++;
        if (q + k < qe && k < indent) indent = k;
        q = qe + 1;
    }
    if (indent == (size_t)-1) indent = 0;
    for (const char *q = rest; q < b->end;) {
        const char *qe = line_end(q);
        if (qe > b->end) qe = b->end;
        bool last = qe >= b->end;
        if (last && only_space(q, qe)) break;
        buf_putc(&out, '\n');
        size_t k = 0;
        while (k < indent && q + k < qe && (q[k] == ' ' || q[k] == '\t')) k++;
        buf_put(&out, q + k, (size_t)(qe - q - k));
        q = qe + 1;
    }
    return buf_take(&out);
}

/* Pass 1: the lexer. Fills info[1..nlines] and blocks; returns the number of errors. */
static int classify(const char *file, const char *src, LineInfo *info, Block **blocks,
                    int *nblocks, Diags *diags) {
    int errors = 0, line = 1, cap = 0;
    const char *p = src, *bol = src;
    while (*p) {
        if (*p == '\n') {
            p++;
            line++;
            bol = p;
        } else if (p[0] == '/' && p[1] == '*' && p[2] == ':') {
            if (!only_space(bol, p)) {
                diag_add(diags, file, line, "prose marker /*: after code on the same line");
                errors++;
            }
            const char *close = strstr(p + 3, "*/");
            if (!close) {
                diag_add(diags, file, line, "unclosed prose block /*: (no */)");
                return errors + 1;
            }
            if (*nblocks == cap) {
                cap = cap ? 2 * cap : 16;
                *blocks = xrealloc(*blocks, (size_t)cap * sizeof **blocks);
            }
            Block *b = &(*blocks)[(*nblocks)++];
            b->start = p + 3;
            b->end = close;
            b->first = line;
            for (const char *q = p; q < close; q++)
                if (*q == '\n') line++;
            b->last = line;
            for (int l = b->first; l <= b->last; l++) {
                info[l].kind = LINE_PROSE;
                info[l].block = *nblocks - 1;
            }
            p = close + 2;
            const char *e = line_end(p);
            if (!only_space(p, e)) {
                diag_add(diags, file, line, "code after the end of a prose block on the same line");
                errors++;
            }
            p = e;
        } else if (p[0] == '/' && p[1] == '/' && p[2] == ':') {
            if (!only_space(bol, p)) {
                diag_add(diags, file, line, "note marker //: after code (a note starts its own line)");
                errors++;
            }
            const char *e = line_end(p);
            info[line].kind = LINE_NOTE;
            info[line].note = p + 3;
            info[line].note_len = (size_t)(e - p - 3);
            p = e;
        } else if (p[0] == '/' && p[1] == '/') {
            p = line_end(p);
        } else if (p[0] == '/' && p[1] == '*') {
            const char *close = strstr(p + 2, "*/");
            if (!close) {
                diag_add(diags, file, line, "unterminated comment");
                return errors + 1;
            }
            for (const char *q = p; q < close; q++)
                if (*q == '\n') line++;
            p = close + 2;
        } else if (*p == '"' || *p == '\'') {
            char quote = *p++;
            while (*p && *p != quote) {
                if (*p == '\\' && p[1]) {
                    if (p[1] == '\n') line++;
                    p += 2;
                } else if (*p == '\n') {
                    break;
                } else {
                    p++;
                }
            }
            if (*p != quote) {
                diag_add(diags, file, line, "unterminated %s literal",
                         quote == '"' ? "string" : "character");
                errors++;
                continue; /* resume at the newline */
            }
            p++;
        } else {
            p++;
        }
    }
    return errors;
}

static bool blank_line(const char *s, size_t n) { return only_space(s, s + n); }

/* Pass 2: lines -> segments. */
int literate_parse(const char *file, const char *src, Literate *out, Diags *diags) {
    memset(out, 0, sizeof *out);
    int nlines = 1;
    for (const char *q = src; *q; q++)
        if (*q == '\n') nlines++;
    const char **start = xcalloc((size_t)nlines + 2, sizeof *start);
    size_t *len = xcalloc((size_t)nlines + 2, sizeof *len);
    {
        const char *q = src;
        for (int l = 1; l <= nlines; l++) {
            const char *e = line_end(q);
            start[l] = q;
            len[l] = (size_t)(e - q);
            q = *e ? e + 1 : e;
        }
    }
    if (nlines > 1 && len[nlines] == 0 && src[0]) nlines--; /* the final newline ends a line */
    LineInfo *info = xcalloc((size_t)nlines + 2, sizeof *info);
    Block *blocks = NULL;
    int nblocks = 0;
    int errors = classify(file, src, info, &blocks, &nblocks, diags);

    for (int l = 1; l <= nlines;) {
        if (info[l].kind == LINE_PROSE) {
            const Block *b = &blocks[info[l].block];
            push(out, (Segment){SEG_PROSE, prose_text(b), b->first, b->last - b->first + 1, false});
            l = b->last + 1;
            continue;
        }
        if (info[l].kind == LINE_NOTE) {
            Buf note = {0};
            int first = l;
            for (; l <= nlines && info[l].kind == LINE_NOTE; l++) {
                const char *t = info[l].note;
                size_t n = info[l].note_len;
                if (n && *t == ' ') t++, n--;
                if (note.len) buf_putc(&note, '\n');
                buf_put(&note, t, n);
            }
            push(out, (Segment){SEG_NOTE, buf_take(&note), first, l - first, false});
            Buf code = {0};
            int cfirst = l;
            for (; l <= nlines && info[l].kind == LINE_CODE && !blank_line(start[l], len[l]); l++) {
                buf_put(&code, start[l], len[l]);
                buf_putc(&code, '\n');
            }
            if (l > cfirst) push(out, (Segment){SEG_CODE, buf_take(&code), cfirst, l - cfirst, true});
            continue;
        }
        /* plain code up to the next marker, without blank lines at either end */
        int first = l, last;
        while (l <= nlines && info[l].kind == LINE_CODE) l++;
        last = l - 1;
        while (first <= last && blank_line(start[first], len[first])) first++;
        while (last >= first && blank_line(start[last], len[last])) last--;
        if (first > last) continue;
        Buf code = {0};
        for (int k = first; k <= last; k++) {
            buf_put(&code, start[k], len[k]);
            buf_putc(&code, '\n');
        }
        push(out, (Segment){SEG_CODE, buf_take(&code), first, last - first + 1, false});
    }
    free(start);
    free(len);
    free(info);
    free(blocks);
    return errors;
}

void literate_free(Literate *lit) {
    for (int i = 0; i < lit->n; i++) free(lit->seg[i].text);
    free(lit->seg);
    memset(lit, 0, sizeof *lit);
}
