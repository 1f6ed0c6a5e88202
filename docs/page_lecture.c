/* page_lecture — see page_lecture.h. */
#include "docs/page_lecture.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/mathmd.h"
#include "docs/page.h"
#include "docs/page_nav.h"

static char *lecture_page(const Lecture *lec, const char *name) {
    Buf b = {0};
    buf_printf(&b, "lectures/%s/%s", lec->dir, name);
    return buf_take(&b);
}

static void lecture_begin(Buf *b, const Lecture *lec, const char *page, const char *what) {
    Buf crumbs = {0}, title = {0};
    buf_puts(&crumbs, "<a href=\"index.html\">");
    buf_htmls(&crumbs, lec->title);
    buf_puts(&crumbs, "</a>");
    if (what) {
        buf_puts(&crumbs, " <span class=\"sep\">/</span> ");
        buf_htmls(&crumbs, what);
    }
    buf_printf(&title, "%s%s%s", what ? what : "", what ? " — " : "", lec->title);
    page_begin(b, page, buf_str(&title), buf_str(&crumbs));
    buf_free(&crumbs);
    buf_free(&title);
    buf_puts(b, "<div class=\"runbar\"><a href=\"index.html\">overview</a> · <a href=\"equations.html\">equations</a> · "
                "<a href=\"glossary.html\">glossary</a> · <a href=\"errata.html\">errata</a> · "
                "<a href=\"gallery.html\">figures</a></div>\n<article class=\"wide\">\n");
}

static int lecture_end(Buf *b, const char *site, const char *page) {
    buf_puts(b, "</article>\n");
    page_end(b);
    int rc = page_write(site, page, b);
    buf_free(b);
    return rc;
}

int page_index(const char *site, const Project *p) {
    Buf b = {0};
    page_begin(&b, "index.html", "Generative models in C — the course", NULL);
    buf_puts(&b, "<article class=\"wide\">\n<h1>Generative models in C</h1>\n<p class=\"lead\">The course read "
                 "from its programs: each page puts the lecture's prose and equations beside the C code "
                 "that implements them, with the figures the program drew and the verdict of every check "
                 "from the last run (<code>make run</code> or <code>make check</code>).</p>\n");
    for (int i = 0; i < p->nlec; i++) {
        const Lecture *L = &p->lec[i];
        int pass = 0, fail = 0, skip = 0, ran = 0;
        for (int j = 0; j < L->nprogs; j++) {
            pass += L->progs[j].run.passed;
            fail += L->progs[j].run.failed;
            skip += L->progs[j].run.skipped;
            ran += L->progs[j].run.ran;
        }
        buf_printf(&b, "<section class=\"lecture\"><h2><a href=\"lectures/%s/index.html\">", L->dir);
        buf_htmls(&b, L->title);
        buf_puts(&b, "</a></h2>\n<p class=\"meta\">");
        buf_printf(&b, "%d program%s, %d run · checks: %d passed, %d failed, %d skipped · ", L->nprogs,
                   L->nprogs == 1 ? "" : "s", ran, pass, fail, skip);
        buf_printf(&b, "<a href=\"lectures/%s/equations.html\">equations</a> · <a href=\"lectures/%s/glossary.html\">glossary</a> · "
                       "<a href=\"lectures/%s/errata.html\">errata</a> · <a href=\"lectures/%s/gallery.html\">figures</a></p>\n<table class=\"map\">\n"
                       "<thead><tr><th>program (sections)</th><th>checks</th><th>figures</th></tr></thead><tbody>\n",
                   L->dir, L->dir, L->dir, L->dir);
        for (int j = 0; j < L->nprogs; j++) {
            const Program *g = &L->progs[j];
            buf_printf(&b, "<tr><td><a href=\"%s\">", g->page);
            buf_htmls(&b, g->title);
            buf_printf(&b, "</a> <code>%s.c</code>", g->name);
            nav_sections(&b, g, g->page);
            buf_puts(&b, "</td><td>");
            run_badge(&b, &g->run);
            buf_printf(&b, "</td><td>%d</td></tr>\n", g->run.nfig);
        }
        buf_puts(&b, "</tbody></table></section>\n");
    }
    buf_puts(&b, "<section id=\"modules\"><h2>The library: <code>common/</code> and <code>gpu/</code></h2>\n"
                 "<p>Each module's page shows its header and code; <a href=\"functions.html\">the function index</a> "
                 "lists every function with the lecture programs that call it.</p>\n<ul class=\"modules\">");
    for (int i = 0; i < p->nmod; i++) {
        const Module *m = &p->mod[i];
        buf_printf(&b, "<li><a href=\"%s\"><code>%s</code></a>", m->page, m->name);
        /* the header's title line: "# name — what it is" */
        const Source *h = m->nfiles ? &m->files[0] : NULL;
        if (h && h->lit.n && h->lit.seg[0].kind == SEG_PROSE) {
            const char *t = h->lit.seg[0].text, *dash = strstr(t, "—");
            size_t n = strcspn(t, "\n");
            if (dash && dash < t + n) {
                buf_puts(&b, " ");
                buf_html(&b, dash, n - (size_t)(dash - t));
            }
        }
        buf_puts(&b, "</li>");
    }
    buf_puts(&b, "</ul></section>\n</article>\n");
    page_end(&b);
    int rc = page_write(site, "index.html", &b);
    buf_free(&b);
    return rc;
}

int page_lecture_overview(const char *site, const Project *p, const Lecture *lec) {
    char *page = lecture_page(lec, "index.html");
    Buf b = {0};
    lecture_begin(&b, lec, page, NULL);
    PageCtx c = {p, page, lec, NULL, 0, false};
    buf_puts(&b, "<h2>Programs</h2><ul class=\"programs\">");
    for (int j = 0; j < lec->nprogs; j++) {
        const Program *g = &lec->progs[j];
        buf_printf(&b, "<li><a href=\"%s.html\">", g->name);
        buf_htmls(&b, g->title);
        buf_puts(&b, "</a> ");
        run_badge(&b, &g->run);
        buf_puts(&b, "</li>");
    }
    buf_puts(&b, "</ul>\n");
    if (lec->readme) {
        char path[512];
        snprintf(path, sizeof path, "lectures/%s/README.md", lec->dir);
        char *html = page_markdown(&c, path, 1, lec->readme, false);
        buf_printf(&b, "<div class=\"readme\">%s</div>", html);
        free(html);
    }
    free(c.shown);
    int rc = lecture_end(&b, site, page);
    free(page);
    return rc;
}

/* ---- glossary ---------------------------------------------------------------------------- */

static bool ident_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

int glossary_definition_line(const Source *s, const char *name) {
    size_t n = strlen(name);
    int first = 0;
    for (int i = 0; i < s->lit.n; i++) {
        const Segment *g = &s->lit.seg[i];
        if (g->kind != SEG_CODE) continue;
        const char *q = g->text;
        for (int l = 0; *q; l++) {
            const char *e = strchr(q, '\n');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            int depth = 0;
            for (size_t k = 0; k + n <= len; k++) {
                char ch = q[k];
                if (ch == '(') depth++;
                if (ch == ')') depth--;
                if (ch == '/' && k + 1 < len && q[k + 1] == '/') break;
                if (strncmp(q + k, name, n) || (k && ident_char(q[k - 1])) || (k + n < len && ident_char(q[k + n])))
                    continue;
                if (!first) first = g->line + l;
                size_t ws = strspn(q, " \t");
                bool typed = k > ws && (!strncmp(q + ws, "double", 6) || !strncmp(q + ws, "const", 5) ||
                                        !strncmp(q + ws, "int", 3) || !strncmp(q + ws, "float", 5) ||
                                        !strncmp(q + ws, "long", 4) || !strncmp(q + ws, "enum", 4) ||
                                        !strncmp(q + ws, "size_t", 6) || !strncmp(q + ws, "static", 6) ||
                                        isupper((unsigned char)q[ws]));
                if (depth == 0 && typed) return g->line + l;
            }
            q += len + (e ? 1 : 0);
        }
    }
    return first;
}

static void glossary_rows(Buf *b, PageCtx *c, const Program *g) {
    if (!g->src.lit.n || g->src.lit.seg[0].kind != SEG_PROSE) return;
    const Segment *h = &g->src.lit.seg[0];
    MathText mt;
    Diags ignore = {0};
    math_protect(g->src.path, h->line, h->text, false, &mt, &ignore);
    diag_free(&ignore);
    bool in_table = false;
    for (const char *q = mt.md; *q;) {
        const char *e = strchr(q, '\n');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        char *line = xstrndup(q, len);
        q += len + (e ? 1 : 0);
        if (line[0] != '|') {
            in_table = false;
            free(line);
            continue;
        }
        if (strstr(line, "C name")) {
            in_table = true;
            free(line);
            continue;
        }
        if (!in_table || strspn(line, "|-: ") == strlen(line)) {
            free(line);
            continue;
        }
        char *cells[3] = {0};
        int k = 0;
        for (char *t = strtok(line + 1, "|"); t && k < 3; t = strtok(NULL, "|")) cells[k++] = t;
        if (k >= 2) {
            buf_puts(b, "<tr>");
            for (int col = 0; col < 3; col++) {
                buf_puts(b, "<td>");
                if (col == 1) { /* every `name` links to its declaration */
                    for (const char *s = cells[1]; *s; s++) {
                        if (*s != '`') continue;
                        const char *t = strchr(s + 1, '`');
                        if (!t) break;
                        char name[128];
                        snprintf(name, sizeof name, "%.*s", (int)(t - s - 1), s + 1);
                        int at = glossary_definition_line(&g->src, name);
                        if (at) buf_printf(b, "<a href=\"%s.html#%s\"><code>%s</code></a> ", g->name,
                                           line_anchor(&g->src, at), name);
                        else buf_printf(b, "<code>%s</code> ", name);
                        s = t;
                    }
                } else if (cells[col]) {
                    MathText cell = mt;
                    cell.md = cells[col];
                    char *html = md_render(&cell, &(MdHooks){c, NULL, NULL});
                    char *body = starts_with(html, "<p>") ? html + 3 : html;
                    char *end = strstr(body, "</p>");
                    if (end) *end = '\0';
                    buf_puts(b, body);
                    free(html);
                }
                buf_puts(b, "</td>");
            }
            buf_printf(b, "<td><a href=\"%s.html\">%s</a></td></tr>\n", g->name, g->name);
        }
        free(line);
    }
    mathtext_free(&mt);
}

int page_glossary(const char *site, const Project *p, const Lecture *lec) {
    char *page = lecture_page(lec, "glossary.html");
    Buf b = {0};
    lecture_begin(&b, lec, page, "Glossary");
    PageCtx c = {p, page, lec, NULL, 0, false};
    buf_puts(&b, "<h1>Glossary</h1><p>The symbols of the lecture and the C names that hold them, from "
                 "the symbol table at the head of each program; a name links to its declaration.</p>\n"
                 "<table class=\"glossary\"><thead><tr><th>symbol</th><th>C name</th><th>shape</th>"
                 "<th>program</th></tr></thead><tbody>\n");
    for (int j = 0; j < lec->nprogs; j++) glossary_rows(&b, &c, &lec->progs[j]);
    buf_puts(&b, "</tbody></table>\n");
    int rc = lecture_end(&b, site, page);
    free(page);
    return rc;
}

/* The first code line that a `//:` note on `line` annotates (a note may span several lines;
   the code starts after the last of them); the note's own line when no code follows it. */
static int annotated_line(const Source *s, int line) {
    for (int i = 0; i < s->lit.n; i++) {
        const Segment *g = &s->lit.seg[i];
        if (g->kind != SEG_NOTE || line < g->line || line >= g->line + g->nlines) continue;
        if (i + 1 < s->lit.n && s->lit.seg[i + 1].kind == SEG_CODE) return s->lit.seg[i + 1].line;
        return g->line;
    }
    return line + 1;
}

/* ---- equations --------------------------------------------------------------------------- */

int page_equations(const char *site, const Project *p, const Lecture *lec) {
    char *page = lecture_page(lec, "equations.html");
    Buf b = {0};
    lecture_begin(&b, lec, page, "Equations");
    PageCtx c = {p, page, lec, NULL, 0, false};
    buf_puts(&b, "<h1>Equation index</h1><p>Every equation of the lecture's programs: where it is "
                 "stated, the code lines that implement it (a <code>//:</code> note that defines or "
                 "cites it) and the checks that verify it.</p>\n<table class=\"eqindex\"><thead><tr>"
                 "<th>equation</th><th>code</th><th>checks (last run)</th></tr></thead><tbody>\n");
    for (int e = 0; e < p->neq; e++) {
        const Equation *q = &p->eq[e];
        bool mine = false;
        for (int j = 0; j < lec->nprogs; j++)
            if (q->src == &lec->progs[j].src) mine = true;
        if (!mine) continue;
        buf_printf(&b, "<tr><td><a href=\"%s\"><code>", eq_href(&c, q->id));
        buf_htmls(&b, q->id);
        buf_puts(&b, "</code></a>");
        if (q->tex) {
            buf_puts(&b, "<br><span class=\"math inline\">");
            buf_htmls(&b, q->tex);
            buf_puts(&b, "</span>");
        }
        buf_puts(&b, "</td><td>");
        const char *lr = root_prefix(page);
        if (q->in_note) {
            int at = annotated_line(q->src, q->line);
            buf_printf(&b, "<a href=\"%s%s#%s\">%s:%d</a> ", lr, q->src->page, line_anchor(q->src, at),
                       path_base(q->src->path), at);
        }
        for (int r = 0; r < p->nrefs; r++)
            if (p->refs[r].in_note && !strcmp(p->refs[r].eq, q->id)) {
                int at = annotated_line(p->refs[r].src, p->refs[r].line);
                buf_printf(&b, "<a href=\"%s%s#%s\">%s:%d</a> ", lr, p->refs[r].src->page,
                           line_anchor(p->refs[r].src, at), path_base(p->refs[r].src->path), at);
            }
        buf_puts(&b, "</td><td>");
        if (!verdicts_for_eq(&b, &c, q->id)) buf_puts(&b, "<span class=\"none\">none</span>");
        buf_puts(&b, "</td></tr>\n");
    }
    buf_puts(&b, "</tbody></table>\n");
    free(c.shown);
    int rc = lecture_end(&b, site, page);
    free(page);
    return rc;
}

/* ---- errata ------------------------------------------------------------------------------ */

int page_errata(const char *site, const Project *p, const Lecture *lec) {
    char *page = lecture_page(lec, "errata.html");
    Buf b = {0};
    lecture_begin(&b, lec, page, "Errata");
    PageCtx c = {p, page, lec, NULL, 0, false};
    buf_puts(&b, "<h1>Errata</h1><p>Claims of the lecture that the programs found wrong, from the "
                 "<code>ERRATUM</code> lines of the last run: the lecture's value next to the correct one.</p>\n");
    int count = 0, not_run = 0;
    for (int j = 0; j < lec->nprogs; j++) {
        const Program *g = &lec->progs[j];
        if (!g->run.ran) not_run++;
        for (int k = 0; k < g->run.n; k++) {
            const CheckRec *r = &g->run.v[k];
            if (!r->erratum) continue;
            if (!count++) buf_puts(&b, "<table class=\"errata\"><thead><tr><th>erratum</th><th>lecture</th>"
                                       "<th>correct</th><th>what</th><th>program</th></tr></thead><tbody>\n");
            buf_puts(&b, "<tr><td><code>");
            buf_htmls(&b, r->id);
            buf_printf(&b, "</code></td><td>%.8g</td><td>%.8g</td><td>", r->lecture, r->correct);
            buf_htmls(&b, r->desc);
            buf_printf(&b, "</td><td><a href=\"%s.html\">%s</a></td></tr>\n", g->name, g->name);
        }
    }
    if (count) buf_puts(&b, "</tbody></table>\n");
    else buf_puts(&b, "<p>No erratum in the last run.</p>\n");
    if (not_run) buf_printf(&b, "<p class=\"hint\">%d program%s of this lecture %s not been run yet.</p>\n",
                            not_run, not_run > 1 ? "s" : "", not_run > 1 ? "have" : "has");
    (void)c;
    int rc = lecture_end(&b, site, page);
    free(page);
    return rc;
}
