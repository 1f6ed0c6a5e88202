/* mathmd — see mathmd.h. */
#include "docs/mathmd.h"

#include <cmark.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

bool valid_eq_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-'; }

static int add_item(MathText *mt, MathKind kind, const char *tex, size_t n, const char *eq,
                    size_t eqn, int line) {
    if (mt->n == mt->cap) {
        mt->cap = mt->cap ? 2 * mt->cap : 16;
        mt->items = xrealloc(mt->items, (size_t)mt->cap * sizeof *mt->items);
    }
    mt->items[mt->n] = (MathItem){kind, tex ? xstrndup(tex, n) : NULL, eq ? xstrndup(eq, eqn) : NULL,
                                  line};
    return mt->n++;
}

static bool is_blank_from(const char *p) { /* p at a line start: is the line blank? */
    while (*p == ' ' || *p == '\t') p++;
    return *p == '\n' || *p == '\0';
}

/* Where a paragraph ends: the next blank line (or the end). */
static bool at_paragraph_end(const char *p) { return *p == '\0' || (p[0] == '\n' && is_blank_from(p + 1)); }

static int fence_len(const char *p) { /* ``` or ~~~ at a line start (<= 3 spaces), else 0 */
    int sp = 0;
    while (*p == ' ' && sp < 4) p++, sp++;
    if (sp > 3 || (*p != '`' && *p != '~')) return 0;
    int n = 0;
    while (p[n] == p[0]) n++;
    return n >= 3 ? n : 0;
}

static int indent_of(const char *p) {
    int k = 0;
    for (; *p == ' ' || *p == '\t'; p++) k += *p == '\t' ? 4 : 1;
    return k;
}

/* Parses "{#eq:ID}" at p; returns its length (0 if p is not one) and the id. */
static size_t parse_eq_def(const char *p, const char **id, size_t *idn) {
    if (!starts_with(p, "{#eq:")) return 0;
    const char *q = p + 5;
    while (valid_eq_char(*q)) q++;
    if (*q != '}' || q == p + 5) return 0;
    *id = p + 5;
    *idn = (size_t)(q - p - 5);
    return (size_t)(q + 1 - p);
}

int math_protect(const char *file, int first_line, const char *text, bool note, MathText *out,
                 Diags *diags) {
    memset(out, 0, sizeof *out);
    Buf md = {0};
    int errors = 0, line = first_line;
    bool bol = true, prev_blank = true, prev_code = false;
    const char *p = text;
    while (*p) {
        if (bol) { /* block-level code: copied untouched */
            bol = false;
            int fl = fence_len(p);
            if (fl) {
                char fc = *(p + strspn(p, " "));
                const char *q = strchr(p, '\n');
                while (q) {
                    line++;
                    const char *r = q + 1;
                    int k = fence_len(r);
                    if (k >= fl && *(r + strspn(r, " ")) == fc) {
                        q = strchr(r, '\n');
                        break;
                    }
                    q = strchr(r, '\n');
                }
                const char *e = q ? q : p + strlen(p);
                buf_put(&md, p, (size_t)(e - p));
                p = e;
                prev_code = false;
                continue;
            }
            bool blank = is_blank_from(p);
            if (!blank && indent_of(p) >= 4 && (prev_blank || prev_code)) {
                const char *e = strchr(p, '\n');
                if (!e) e = p + strlen(p);
                buf_put(&md, p, (size_t)(e - p));
                p = e;
                prev_code = true;
                prev_blank = false;
                continue;
            }
            prev_code = false;
            prev_blank = blank;
        }
        const char *id;
        size_t idn, dl;
        if (*p == '\n') {
            buf_putc(&md, '\n');
            p++;
            line++;
            bol = true;
        } else if (*p == '\\' && p[1] && p[1] != '\n') {
            buf_put(&md, p, 2);
            p += 2;
        } else if (*p == '`') {
            size_t n = strspn(p, "`");
            const char *q = p + n, *close = NULL;
            for (; *q && !at_paragraph_end(q); q++) {
                if (*q != '`') continue;
                size_t m = strspn(q, "`");
                if (m == n) {
                    close = q;
                    break;
                }
                q += m - 1;
            }
            const char *e = close ? close + n : p + n;
            for (const char *r = p; r < e; r++)
                if (*r == '\n') line++;
            buf_put(&md, p, (size_t)(e - p));
            p = e;
        } else if (*p == '$') {
            bool display = p[1] == '$';
            const char *open = p + (display ? 2 : 1), *q = open, *close = NULL;
            int start_line = line;
            while (*q && !at_paragraph_end(q)) {
                if (*q == '\\' && q[1]) {
                    q += 2;
                } else if (*q == '$') {
                    if (!display || q[1] == '$') close = q;
                    break;
                } else {
                    q++;
                }
            }
            if (!close) {
                diag_add(diags, file, start_line, "unbalanced math delimiter %s (no closing %s before the paragraph ends)",
                         display ? "$$" : "$", display ? "$$" : "$");
                errors++;
                buf_put(&md, p, (size_t)(open - p));
                p = open;
                continue;
            }
            int bad_line = line;
            const char *bad = NULL;
            for (const char *r = open; r < close; r++) {
                /* a tab or form feed inside math is a LaTeX command eaten by a string escape
                   (\text -> tab + "ext", \frac -> form feed + "rac"): KaTeX would render it
                   wrongly or fail */
                if (!bad && (unsigned char)*r < 0x20 && *r != '\n') {
                    bad = r;
                    bad_line = line;
                }
                if (*r == '\n') line++;
            }
            if (bad) {
                diag_add(diags, file, bad_line, "control character 0x%02x in math (an escaped \\t or \\f?)",
                         (unsigned)(unsigned char)*bad);
                errors++;
            }
            const char *after = close + (display ? 2 : 1);
            const char *eq = NULL;
            size_t eqn = 0;
            if (display) {
                const char *r = after;
                while (*r == ' ' || *r == '\t') r++;
                size_t k = parse_eq_def(r, &eq, &eqn);
                if (k) after = r + k;
            }
            int k = add_item(out, display ? MI_DISPLAY : MI_INLINE, open, (size_t)(close - open), eq,
                             eqn, start_line);
            buf_printf(&md, "MDMATH%dZ", k);
            p = after;
        } else if (starts_with(p, "[eq:")) {
            const char *q = p + 4;
            while (valid_eq_char(*q)) q++;
            if (*q != ']' || q == p + 4) {
                diag_add(diags, file, line, "malformed equation reference (want [eq:ID])");
                errors++;
                buf_putc(&md, *p++);
                continue;
            }
            int k = add_item(out, MI_REF, NULL, 0, p + 4, (size_t)(q - p - 4), line);
            buf_printf(&md, "MDMATH%dZ", k);
            p = q + 1;
        } else if (p[0] == '{' && p[1] == '#') {
            dl = parse_eq_def(p, &id, &idn);
            const char *r = p + dl;
            while (dl && (*r == ' ' || *r == '\t')) r++;
            if (dl && note && (*r == '\n' || *r == '\0')) {
                int k = add_item(out, MI_LINE_DEF, NULL, 0, id, idn, line);
                buf_printf(&md, "MDMATH%dZ", k);
                p += dl;
            } else {
                if (dl)
                    diag_add(diags, file, line, "misplaced equation id {#eq:%.*s}: it must follow a $$ display or end a //: line",
                             (int)idn, id);
                else
                    diag_add(diags, file, line, "unknown marker '%.*s'", (int)strcspn(p, "}\n") + (p[strcspn(p, "}\n")] == '}'), p);
                errors++;
                buf_putc(&md, *p++);
            }
        } else {
            buf_putc(&md, *p++);
        }
    }
    out->md = buf_take(&md);
    return errors;
}

void mathtext_free(MathText *mt) {
    for (int i = 0; i < mt->n; i++) {
        free(mt->items[i].tex);
        free(mt->items[i].eq);
    }
    free(mt->items);
    free(mt->md);
    memset(mt, 0, sizeof *mt);
}

void math_item_html(Buf *out, const MathItem *it) {
    switch (it->kind) {
    case MI_INLINE:
    case MI_DISPLAY:
        buf_printf(out, "<span class=\"math %s\">", it->kind == MI_DISPLAY ? "display" : "inline");
        buf_htmls(out, it->tex);
        buf_puts(out, "</span>");
        break;
    case MI_REF:
        buf_puts(out, "<a class=\"eqref\" href=\"#eq:");
        buf_htmls(out, it->eq);
        buf_puts(out, "\">");
        buf_htmls(out, it->eq);
        buf_puts(out, "</a>");
        break;
    case MI_LINE_DEF:
        buf_puts(out, "<a class=\"eqlabel\" id=\"eq:");
        buf_htmls(out, it->eq);
        buf_puts(out, "\" href=\"#eq:");
        buf_htmls(out, it->eq);
        buf_puts(out, "\">");
        buf_htmls(out, it->eq);
        buf_puts(out, "</a>");
        break;
    }
}

/* ---- tables ------------------------------------------------------------------------------ */

static char *inline_html(const char *md, size_t n) {
    char *html = cmark_markdown_to_html(md, n, CMARK_OPT_DEFAULT);
    size_t len = strlen(html);
    while (len && html[len - 1] == '\n') html[--len] = '\0';
    if (starts_with(html, "<p>") && len >= 7 && strcmp(html + len - 4, "</p>") == 0) {
        memmove(html, html + 3, len - 7);
        html[len - 7] = '\0';
    }
    return html;
}

/* Splits a table row into cells: outer pipes dropped, "\|" is a pipe inside a cell. */
static int split_row(const char *s, size_t n, char **cells, int max) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n && *s == '|') s++, n--;
    if (n && s[n - 1] == '|' && !(n >= 2 && s[n - 2] == '\\')) n--;
    int k = 0;
    Buf cell = {0};
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '|') {
            const char *c = buf_str(&cell);
            size_t a = 0, b = cell.len;
            while (a < b && c[a] == ' ') a++;
            while (b > a && c[b - 1] == ' ') b--;
            if (k < max) cells[k++] = xstrndup(c + a, b - a);
            cell.len = 0;
            if (cell.s) cell.s[0] = '\0';
        } else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '|') {
            buf_putc(&cell, '|');
            i++;
        } else {
            buf_putc(&cell, s[i]);
        }
    }
    buf_free(&cell);
    return k;
}

static bool is_delimiter_row(const char *s, size_t n) {
    bool dash = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-') dash = true;
        else if (s[i] != '|' && s[i] != ':' && s[i] != ' ' && s[i] != '\t') return false;
    }
    return dash;
}

static bool table_line(const char *s) {
    int sp = 0;
    while (*s == ' ' && sp < 4) s++, sp++;
    return sp < 4 && *s == '|';
}

enum { MAX_CELLS = 32 };

static void row_html(Buf *t, const char *s, size_t n, const char *tag, const char *align[],
                     int ncols) {
    char *cells[MAX_CELLS];
    int k = split_row(s, n, cells, MAX_CELLS);
    buf_puts(t, "<tr>");
    for (int c = 0; c < ncols; c++) {
        buf_printf(t, "<%s%s>", tag, c < MAX_CELLS && align[c] ? align[c] : "");
        if (c < k) {
            char *h = inline_html(cells[c], strlen(cells[c]));
            buf_puts(t, h);
            free(h);
        }
        buf_printf(t, "</%s>", tag);
    }
    buf_puts(t, "</tr>\n");
    for (int c = 0; c < k; c++) free(cells[c]);
}

/* Replaces each table of `md` by a paragraph "MDTABLE<k>Z"; the HTML goes to tables[k]. */
static char *extract_tables(const char *md, char ***tables, int *ntables) {
    Buf out = {0};
    const char *p = md;
    int fence = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *next = e ? e + 1 : p + n;
        int fl = fence_len(p);
        if (fl && (!fence || fl >= fence)) fence = fence ? 0 : fl;
        const char *e2 = *next ? strchr(next, '\n') : NULL;
        size_t n2 = *next ? (e2 ? (size_t)(e2 - next) : strlen(next)) : 0;
        if (!fence && table_line(p) && *next && table_line(next) && is_delimiter_row(next, n2)) {
            char *cells[MAX_CELLS];
            int ncols = split_row(next, n2, cells, MAX_CELLS);
            const char *align[MAX_CELLS] = {0};
            for (int c = 0; c < ncols; c++) {
                size_t L = strlen(cells[c]);
                bool l = L && cells[c][0] == ':', r = L && cells[c][L - 1] == ':';
                align[c] = l && r ? " class=\"c\"" : r ? " class=\"r\"" : NULL;
                free(cells[c]);
            }
            Buf t = {0};
            buf_puts(&t, "<table>\n<thead>\n");
            row_html(&t, p, n, "th", align, ncols);
            buf_puts(&t, "</thead>\n<tbody>\n");
            const char *q = e2 ? e2 + 1 : next + n2;
            while (*q && table_line(q)) {
                const char *qe = strchr(q, '\n');
                size_t qn = qe ? (size_t)(qe - q) : strlen(q);
                row_html(&t, q, qn, "td", align, ncols);
                q = qe ? qe + 1 : q + qn;
            }
            buf_puts(&t, "</tbody>\n</table>");
            *tables = xrealloc(*tables, (size_t)(*ntables + 1) * sizeof **tables);
            (*tables)[*ntables] = buf_take(&t);
            buf_printf(&out, "\nMDTABLE%dZ\n\n", (*ntables)++);
            p = q;
            continue;
        }
        buf_put(&out, p, (size_t)(next - p));
        p = next;
    }
    return buf_take(&out);
}

/* ---- rendering --------------------------------------------------------------------------- */

static bool placeholder(const char *p, const char *word, int *k, size_t *len) {
    size_t w = strlen(word);
    if (strncmp(p, word, w) != 0 || !isdigit((unsigned char)p[w])) return false;
    char *end;
    long v = strtol(p + w, &end, 10);
    if (*end != 'Z') return false;
    *k = (int)v;
    *len = (size_t)(end + 1 - p);
    return true;
}

char *md_render(const MathText *mt, const MdHooks *hooks) {
    char **tables = NULL;
    int ntables = 0;
    char *md = extract_tables(mt->md, &tables, &ntables);
    char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT);
    free(md);
    Buf a = {0}; /* tables back */
    for (const char *p = html; *p;) {
        int k;
        size_t n;
        if (starts_with(p, "<p>") && placeholder(p + 3, "MDTABLE", &k, &n) && k < ntables &&
            starts_with(p + 3 + n, "</p>")) {
            buf_puts(&a, tables[k]);
            p += 3 + n + 4;
        } else {
            buf_putc(&a, *p++);
        }
    }
    free(html);
    for (int i = 0; i < ntables; i++) free(tables[i]);
    free(tables);
    Buf b = {0}; /* items and code links */
    for (const char *p = buf_str(&a); *p;) {
        int k;
        size_t n;
        if (placeholder(p, "MDMATH", &k, &n) && k < mt->n) {
            if (hooks && hooks->item) hooks->item(hooks->ctx, &b, &mt->items[k]);
            else math_item_html(&b, &mt->items[k]);
            p += n;
        } else if (starts_with(p, "<code>") && hooks && hooks->code_link) {
            const char *s = p + 6, *e = strstr(s, "</code>");
            size_t cn = e ? (size_t)(e - s) : 0;
            char *code = e && cn < 200 && !memchr(s, '<', cn) ? xstrndup(s, cn) : NULL;
            const char *href = code ? hooks->code_link(hooks->ctx, code) : NULL;
            if (href) {
                buf_printf(&b, "<a class=\"codelink\" href=\"%s\"><code>%s</code></a>", href, code);
                p = e + 7;
            } else {
                buf_puts(&b, "<code>");
                p += 6;
            }
            free(code);
        } else {
            buf_putc(&b, *p++);
        }
    }
    buf_free(&a);
    return buf_take(&b);
}

char *md_to_html(const char *file, int first_line, const char *text, bool note,
                 const MdHooks *hooks, Diags *diags) {
    MathText mt;
    math_protect(file, first_line, text, note, &mt, diags);
    char *html = md_render(&mt, hooks);
    mathtext_free(&mt);
    return html;
}
