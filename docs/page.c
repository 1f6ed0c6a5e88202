/* page — see page.h. */
#include "docs/page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/highlight.h"
#include "docs/mathmd.h"

void page_begin(Buf *b, const char *page, const char *title, const char *crumbs_html) {
    const char *r = root_prefix(page);
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    buf_puts(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    buf_htmls(b, title);
    buf_puts(b, "</title>\n");
    buf_printf(b, "<link rel=\"stylesheet\" href=\"%sassets/katex/katex.min.css\">\n", r);
    buf_printf(b, "<link rel=\"stylesheet\" href=\"%sassets/site.css\">\n", r);
    buf_printf(b, "<script defer src=\"%sassets/katex/katex.min.js\"></script>\n", r);
    buf_printf(b, "<script defer src=\"%sassets/site.js\"></script>\n", r);
    buf_printf(b, "<script defer src=\"%sassets/search-index.js\"></script>\n", r);
    buf_printf(b, "<script defer src=\"%sassets/search.js\"></script>\n", r);
    buf_printf(b, "</head>\n<body data-root=\"%s\">\n<nav class=\"top\">", r);
    buf_printf(b, "<a class=\"home\" href=\"%sindex.html\">Generative models in C</a>", r);
    if (crumbs_html && *crumbs_html) buf_printf(b, " <span class=\"sep\">/</span> %s", crumbs_html);
    buf_puts(b, "<span class=\"search\"><input id=\"search\" type=\"search\" autocomplete=\"off\" "
                "placeholder=\"Search: section, equation, check, function, symbol (press /)\" "
                "aria-label=\"search the course\"><ol id=\"search-results\" hidden></ol></span>");
    buf_puts(b, "</nav>\n<main>\n");
}

void page_end(Buf *b) {
    buf_puts(b, "</main>\n<footer>Generated from the sources by <code>docs/gen_docs</code>; "
                "math by KaTeX (offline copy).</footer>\n</body>\n</html>\n");
}

int page_write(const char *site, const char *page, const Buf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", site, page);
    return write_text_file(path, buf_str(b), b->len);
}

const char *eq_short(const char *id) {
    const char *d = strrchr(id, '.');
    return d ? d + 1 : id;
}

const char *eq_href(const PageCtx *c, const char *id) {
    const Equation *e = project_equation(c->p, id);
    if (!e) return NULL;
    static char buf[700];
    if (!strcmp(e->src->page, c->page)) snprintf(buf, sizeof buf, "#eq:%s", id);
    else snprintf(buf, sizeof buf, "%s%s#eq:%s", root_prefix(c->page), e->src->page, id);
    return buf;
}

bool verdict_shown(const PageCtx *c, const CheckRec *r) {
    for (int i = 0; i < c->nshown; i++)
        if (c->shown[i] == r) return true;
    return false;
}

void mark_shown(PageCtx *c, const CheckRec *r) {
    c->shown = xrealloc(c->shown, (size_t)(c->nshown + 1) * sizeof *c->shown);
    c->shown[c->nshown++] = r;
}

static void number(Buf *b, double x) {
    if (isnan(x)) buf_puts(b, "–");
    else buf_printf(b, "%.6g", x);
}

void verdict_html(Buf *b, const PageCtx *c, const CheckRec *r, const Program *from) {
    const char *cls = r->erratum ? "erratum" : !strcmp(r->status, "PASS") ? "pass"
                                          : !strcmp(r->status, "FAIL") ? "fail" : "skip";
    buf_printf(b, "<span class=\"check %s\" title=\"", cls);
    buf_htmls(b, r->id);
    if (!from && c->verdicts) { /* on its own program's page: the anchor search results point to */
        buf_puts(b, "\" id=\"check:");
        buf_htmls(b, r->id);
    }
    buf_printf(b, "\"><span class=\"st\">%s</span> <span class=\"cid\">", r->erratum ? "ERRATUM" : r->status);
    buf_htmls(b, eq_short(r->id));
    buf_puts(b, "</span> <span class=\"desc\">");
    buf_htmls(b, r->desc);
    buf_puts(b, "</span>");
    if (r->erratum) {
        buf_puts(b, " <span class=\"num\">lecture ");
        number(b, r->lecture);
        buf_puts(b, " → correct ");
        number(b, r->correct);
        buf_puts(b, "</span>");
    } else if (strcmp(r->status, "SKIP")) {
        buf_puts(b, " <span class=\"num\">value ");
        number(b, r->value);
        buf_puts(b, ", expect ");
        buf_htmls(b, r->expect);
        buf_puts(b, ", tol ");
        number(b, r->tol);
        buf_puts(b, "</span>");
    }
    if (from) {
        buf_printf(b, " <a class=\"from\" href=\"%s%s\">", root_prefix(c->page),
                   from->page ? from->page : "index.html");
        buf_htmls(b, from->program);
        buf_puts(b, "</a>");
    } else if (from == NULL && r->eq[0] && c->verdicts == false) {
        const char *h = eq_href(c, r->eq);
        if (h) {
            buf_printf(b, " <a class=\"eqref\" href=\"%s\">(", h);
            buf_htmls(b, eq_short(r->eq));
            buf_puts(b, ")</a>");
        }
    }
    buf_puts(b, "</span>");
}

int verdicts_for_eq(Buf *b, PageCtx *c, const char *id) {
    const Program **runs;
    int n = project_runs(c->p, &runs), count = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < runs[i]->run.n; k++) {
            const CheckRec *r = &runs[i]->run.v[k];
            if (r->erratum || strcmp(r->eq, id)) continue;
            if (!count) buf_puts(b, "<span class=\"checks\">");
            bool own = runs[i]->page && !strcmp(runs[i]->page, c->page);
            verdict_html(b, c, r, own ? NULL : runs[i]);
            mark_shown(c, r);
            count++;
        }
    if (count) buf_puts(b, "</span>");
    free(runs);
    return count;
}

static void item_hook(void *ctx, Buf *out, const MathItem *it) {
    PageCtx *c = ctx;
    if (it->kind == MI_REF) {
        const char *h = eq_href(c, it->eq);
        if (!h) {
            buf_puts(out, "<span class=\"eqref missing\">[eq:");
            buf_htmls(out, it->eq);
            buf_puts(out, "]</span>");
            return;
        }
        buf_printf(out, "<a class=\"eqref\" href=\"%s\" title=\"eq:", h);
        buf_htmls(out, it->eq);
        buf_puts(out, "\">(");
        buf_htmls(out, eq_short(it->eq));
        buf_puts(out, ")</a>");
        return;
    }
    bool def = it->kind == MI_LINE_DEF || (it->kind == MI_DISPLAY && it->eq);
    if (!def) {
        math_item_html(out, it);
        return;
    }
    buf_puts(out, "<span class=\"eq\" id=\"eq:");
    buf_htmls(out, it->eq);
    buf_puts(out, "\">");
    if (it->kind == MI_DISPLAY) {
        MathItem plain = *it;
        plain.eq = NULL;
        math_item_html(out, &plain);
    }
    buf_puts(out, "<a class=\"eqlabel\" href=\"#eq:");
    buf_htmls(out, it->eq);
    buf_puts(out, "\" title=\"eq:");
    buf_htmls(out, it->eq);
    buf_puts(out, "\">(");
    buf_htmls(out, eq_short(it->eq));
    buf_puts(out, ")</a></span>");
    if (c->verdicts) verdicts_for_eq(out, c, it->eq);
}

static const char *code_link(void *ctx, const char *code) {
    PageCtx *c = ctx;
    static char buf[700];
    const char *page = project_file_page(c->p, code, c->lec);
    if (page) {
        if (!strcmp(page, c->page)) return NULL;
        snprintf(buf, sizeof buf, "%s%s", root_prefix(c->page), page);
        return buf;
    }
    char name[128];
    size_t n = strcspn(code, "(");
    if (n >= sizeof name) return NULL;
    snprintf(name, sizeof name, "%.*s", (int)n, code);
    for (const char *q = name; *q; q++)
        if (!(*q == '_' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            return NULL;
    const Function *f = project_function(c->p, name, c->page);
    if (!f) return NULL;
    snprintf(buf, sizeof buf, "%s", function_href(c->p, f, c->page));
    return buf;
}

char *page_markdown(PageCtx *c, const char *file, int line, const char *text, bool note) {
    MdHooks hooks = {c, item_hook, code_link};
    Diags ignore = {0}; /* the project load reported them already */
    char *html = md_to_html(file, line, text, note, &hooks, &ignore);
    diag_free(&ignore);
    return html;
}

void run_badge(Buf *b, const RunResult *r) {
    if (!r->ran) {
        buf_puts(b, "<span class=\"badge notrun\">not run yet</span>");
        return;
    }
    buf_printf(b, "<span class=\"badge %s\">%d passed", r->failed ? "fail" : "pass", r->passed);
    if (r->failed) buf_printf(b, ", %d failed", r->failed);
    if (r->skipped) buf_printf(b, ", %d skipped", r->skipped);
    buf_puts(b, "</span>");
    if (r->errata) buf_printf(b, " <span class=\"badge erratum\">%d %s</span>", r->errata, r->errata > 1 ? "errata" : "erratum");
    if (r->info.scale[0]) { /* which run produced these checks: a --quick run is not the default one */
        buf_printf(b, " <span class=\"badge run\">%s scale", r->info.scale);
        if (r->info.seed[0]) buf_printf(b, ", seed %s", r->info.seed);
        if (r->info.date[0]) buf_printf(b, ", %.10s", r->info.date);
        buf_puts(b, "</span>");
    }
}
