/* page_source — see page_source.h. */
#include "docs/page_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/highlight.h"
#include "docs/page.h"
#include "docs/page_nav.h"

char *figure_dir(const Program *g) {
    Buf b = {0};
    const char *slash = strrchr(g->page, '/');
    buf_printf(&b, "%.*s/figures/%s/", (int)(slash - g->page), g->page, g->name);
    return buf_take(&b);
}

/* Row of every segment: prose and notes open rows; plain code after annotated code opens one. */
static int *assign_rows(const Literate *lit, int *nrows) {
    int *row = xcalloc((size_t)(lit->n ? lit->n : 1), sizeof *row);
    int r = -1;
    for (int i = 0; i < lit->n; i++) {
        const Segment *s = &lit->seg[i];
        if (s->kind != SEG_CODE || r < 0 || (!s->annotated && lit->seg[i - 1].kind == SEG_CODE && lit->seg[i - 1].annotated))
            r++;
        row[i] = r;
    }
    *nrows = r + 1;
    return row;
}

/* The row whose code contains the string literal "text" (quotes included), or -1. */
static int row_with_literal(const Literate *lit, const int *row, const char *text) {
    char needle[600];
    snprintf(needle, sizeof needle, "\"%s\"", text);
    for (int i = 0; i < lit->n; i++)
        if (lit->seg[i].kind == SEG_CODE && strstr(lit->seg[i].text, needle)) return row[i];
    return -1;
}

static void figure_html(Buf *b, const Program *g, const char *page, const char *name) {
    char *dir = figure_dir(g);
    const char *slash = strrchr(g->page, '/');
    const char *rel = dir + (slash - g->page) + 1; /* relative to the program page's folder */
    (void)page;
    buf_printf(b, "<figure><a href=\"%s%s\"><img src=\"%s%s\" alt=\"", rel, name, rel, name);
    buf_htmls(b, name);
    buf_puts(b, "\"></a><figcaption><code>");
    buf_htmls(b, name);
    buf_puts(b, "</code> (last run)</figcaption></figure>");
    free(dir);
}

/* Rows of one source. `extra[r]` is appended to row r's left column. */
static void source_rows(Buf *b, PageCtx *c, const Source *s, Buf *extra, const int *row, int nrows) {
    const Literate *lit = &s->lit;
    int i = 0;
    for (int r = 0; r < nrows; r++) {
        buf_puts(b, "<div class=\"row\">\n<div class=\"prose\">");
        Buf code = {0};
        for (; i < lit->n && row[i] == r; i++) {
            const Segment *g = &lit->seg[i];
            if (g->kind == SEG_CODE) {
                highlight_c(&code, c->p, s, g->text, g->line, c->page);
            } else {
                char *html = page_markdown(c, s->path, g->line, g->text, g->kind == SEG_NOTE);
                buf_printf(b, "<div class=\"%s\" id=\"%s\">%s</div>", g->kind == SEG_NOTE ? "note" : "block",
                           line_anchor(s, g->line), html);
                free(html);
            }
        }
        if (extra && extra[r].len) buf_puts(b, buf_str(&extra[r]));
        buf_puts(b, "</div>\n<div class=\"src\">");
        buf_puts(b, buf_str(&code));
        buf_puts(b, "</div>\n</div>\n");
        buf_free(&code);
    }
}

int page_program(const char *site, const Project *p, const Lecture *lec, const Program *g) {
    PageCtx c = {p, g->page, lec, NULL, 0, true};
    Buf b = {0}, crumbs = {0};
    buf_printf(&crumbs, "<a href=\"index.html\">");
    buf_htmls(&crumbs, lec->title);
    buf_puts(&crumbs, "</a> <span class=\"sep\">/</span> ");
    buf_htmls(&crumbs, g->name);
    page_begin(&b, g->page, g->title, buf_str(&crumbs));
    buf_free(&crumbs);

    buf_puts(&b, "<div class=\"runbar\">");
    buf_printf(&b, "<code>%s.c</code> ", g->program);
    run_badge(&b, &g->run);
    if (!g->run.ran)
        buf_printf(&b, " <span class=\"hint\">This program has not been run yet: <code>make run L=%.2s</code> "
                       "writes its checks and figures, then the site shows them.</span>", lec->dir);
    buf_puts(&b, " <a href=\"equations.html\">equations</a> · <a href=\"glossary.html\">glossary</a> · "
                 "<a href=\"errata.html\">errata</a> · <a href=\"gallery.html\">figures</a></div>\n");
    nav_run_info(&b, p, g);
    buf_puts(&b, "<div class=\"withside\">");
    nav_sidebar(&b, lec, g);
    buf_puts(&b, "<div class=\"content\">");
    nav_prev_next(&b, lec, g);

    int nrows;
    int *row = assign_rows(&g->src.lit, &nrows);
    /* pass 1 renders nothing but decides where the checks at equations go: render the rows
       into a scratch buffer so that c.shown holds them, then place the rest by call site */
    Buf scratch = {0};
    source_rows(&scratch, &c, &g->src, NULL, row, nrows);
    buf_free(&scratch);
    const CheckRec **at_eq = c.shown;
    int n_at_eq = c.nshown;
    Buf *extra = xcalloc((size_t)(nrows + 1), sizeof *extra); /* extra[nrows]: the end */
    int open_rows = 0;
    (void)open_rows;
    for (int k = 0; k < g->run.n; k++) {
        const CheckRec *r = &g->run.v[k];
        bool placed = false;
        for (int j = 0; j < n_at_eq; j++)
            if (at_eq[j] == r) placed = true;
        if (placed) continue;
        int at = row_with_literal(&g->src.lit, row, r->id);
        Buf *dst = &extra[at >= 0 ? at : nrows];
        if (!dst->len) buf_puts(dst, "<span class=\"checks callsite\">");
        verdict_html(dst, &c, r, NULL);
    }
    for (int r = 0; r <= nrows; r++)
        if (extra[r].len) buf_puts(&extra[r], "</span>");
    for (int f = 0; f < g->run.nfig; f++) {
        int at = row_with_literal(&g->src.lit, row, g->run.figures[f]);
        figure_html(&extra[at >= 0 ? at : nrows], g, g->page, g->run.figures[f]);
    }
    c.shown = NULL;
    c.nshown = 0;
    source_rows(&b, &c, &g->src, extra, row, nrows);
    if (extra[nrows].len) {
        buf_puts(&b, "<div class=\"row\"><div class=\"prose\"><div class=\"block\"><h2>Other checks and figures</h2></div>");
        buf_puts(&b, buf_str(&extra[nrows]));
        buf_puts(&b, "</div><div class=\"src\"></div></div>\n");
    }
    nav_prev_next(&b, lec, g);
    buf_puts(&b, "</div></div>\n");
    for (int r = 0; r <= nrows; r++) buf_free(&extra[r]);
    free(extra);
    free(at_eq);
    free(c.shown);
    free(row);
    page_end(&b);
    int rc = page_write(site, g->page, &b);
    buf_free(&b);
    return rc;
}

int page_module(const char *site, const Project *p, const Module *m) {
    PageCtx c = {p, m->page, NULL, NULL, 0, true};
    Buf b = {0}, crumbs = {0};
    buf_printf(&crumbs, "<a href=\"../index.html#modules\">%.*s/</a> ", (int)strcspn(m->page, "/"), m->page);
    buf_htmls(&crumbs, m->name);
    char title[256];
    snprintf(title, sizeof title, "%.*s/%s", (int)strcspn(m->page, "/"), m->page, m->name);
    page_begin(&b, m->page, title, buf_str(&crumbs));
    buf_free(&crumbs);
    buf_puts(&b, "<div class=\"runbar\">Files:");
    for (int f = 0; f < m->nfiles; f++)
        buf_printf(&b, " <a href=\"#file-%s\"><code>%s</code></a>", path_base(m->files[f].path),
                   path_base(m->files[f].path));
    buf_puts(&b, "</div>\n");
    for (int f = 0; f < m->nfiles; f++) {
        const Source *s = &m->files[f];
        buf_printf(&b, "<h2 class=\"file\" id=\"file-%s\"><code>%s</code></h2>\n", path_base(s->path), s->path);
        int nrows;
        int *row = assign_rows(&s->lit, &nrows);
        source_rows(&b, &c, s, NULL, row, nrows);
        free(row);
    }
    free(c.shown);
    page_end(&b);
    int rc = page_write(site, m->page, &b);
    buf_free(&b);
    return rc;
}
