/* page_nav — see page_nav.h. */
#include "docs/page_nav.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "docs/highlight.h"
#include "docs/mathmd.h"
#include "docs/page.h"
#include "docs/page_source.h"

void nav_sections(Buf *b, const Program *g, const char *href) {
    int n = 0;
    for (int i = 1; i < g->src.lit.n; i++) {
        const Segment *s = &g->src.lit.seg[i];
        if (s->kind != SEG_PROSE || !starts_with(s->text, "## ")) continue;
        if (!n++) buf_puts(b, "<ul class=\"sections\">");
        /* the heading alone: its first line, rendered (it may hold math) */
        size_t len = strcspn(s->text + 3, "\n");
        char *head = xstrndup(s->text + 3, len);
        Diags ignore = {0};
        char *h = md_to_html(g->src.path, s->line, head, false, NULL, &ignore);
        diag_free(&ignore);
        char *end = strstr(h, "</p>");
        if (end) *end = '\0';
        buf_printf(b, "<li><a href=\"%s#%s\">%s</a></li>", href, line_anchor(&g->src, s->line),
                   starts_with(h, "<p>") ? h + 3 : h);
        free(h);
        free(head);
    }
    if (n) buf_puts(b, "</ul>");
}

void nav_sidebar(Buf *b, const Lecture *lec, const Program *g) {
    buf_puts(b, "<aside class=\"sidebar\"><div class=\"sidebar-title\"><a href=\"index.html\">");
    buf_htmls(b, lec->title);
    buf_puts(b, "</a></div><ol class=\"proglist\">");
    for (int j = 0; j < lec->nprogs; j++) {
        const Program *q = &lec->progs[j];
        bool here = q == g;
        buf_printf(b, "<li%s><a href=\"%s.html\"%s>", here ? " class=\"here\"" : "", q->name,
                   here ? " aria-current=\"page\"" : "");
        buf_htmls(b, q->title);
        buf_puts(b, "</a>");
        if (here) nav_sections(b, q, "");
        buf_puts(b, "</li>");
    }
    buf_puts(b, "</ol><div class=\"sidebar-more\"><a href=\"gallery.html\">figures</a> · "
                "<a href=\"equations.html\">equations</a> · <a href=\"glossary.html\">glossary</a> · "
                "<a href=\"errata.html\">errata</a></div></aside>\n");
}

static void prev_next_link(Buf *b, const Program *q, const char *rel, const char *arrow_left,
                           const char *arrow_right) {
    buf_printf(b, "<a rel=\"%s\" class=\"%s\" href=\"%s.html\">%s", rel, rel, q->name, arrow_left);
    buf_htmls(b, q->title);
    buf_printf(b, "%s</a>", arrow_right);
}

void nav_prev_next(Buf *b, const Lecture *lec, const Program *g) {
    long j = g - lec->progs;
    buf_puts(b, "<nav class=\"prevnext\">");
    if (j > 0) prev_next_link(b, &lec->progs[j - 1], "prev", "← ", "");
    else buf_puts(b, "<a class=\"prev\" href=\"index.html\">← lecture overview</a>");
    if (j + 1 < lec->nprogs) prev_next_link(b, &lec->progs[j + 1], "next", "", " →");
    else buf_puts(b, "<a class=\"next\" href=\"gallery.html\">figures of the lecture →</a>");
    buf_puts(b, "</nav>\n");
}

bool nav_run_stale(const Project *p, const Program *g) {
    if (!g->run.ran || !g->run.mtime) return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", p->root, g->src.path);
    struct stat st;
    return stat(path, &st) == 0 && st.st_mtime > g->run.mtime;
}

void nav_run_info(Buf *b, const Project *p, const Program *g) {
    const RunInfo *i = &g->run.info;
    if (!g->run.ran) return; /* the run bar says "not run yet" */
    buf_puts(b, "<div class=\"runinfo\">");
    if (i->known) {
        buf_puts(b, "Verdicts and figures from the run of ");
        /* 2026-12-04T14:09:07Z -> 2026-12-04 14:09 UTC */
        if (strlen(i->date) >= 16 && i->date[10] == 'T') buf_printf(b, "%.10s %.5s UTC", i->date, i->date + 11);
        else buf_htmls(b, i->date[0] ? i->date : "an unknown date");
        buf_printf(b, ": <b>%s</b> scale", i->scale[0] ? i->scale : "?");
        if (i->seed[0]) buf_printf(b, ", seed %s", i->seed);
        if (i->threads[0]) buf_printf(b, ", threads %s", strcmp(i->threads, "0") ? i->threads : "default");
        buf_puts(b, ", backend ");
        if (i->backend[0]) buf_htmls(b, i->backend);
        else buf_puts(b, "CPU");
        if (i->gpu[0]) buf_printf(b, " (<code>--gpu %s</code>)", i->gpu);
        buf_puts(b, ".");
        if (!strcmp(i->scale, "quick"))
            buf_puts(b, " <span class=\"hint\">A <code>--quick</code> run is a smoke test: its numbers are "
                        "coarser than the default run's.</span>");
    } else {
        buf_puts(b, "<span class=\"hint\">The last run did not record how it was made.</span>");
    }
    if (nav_run_stale(p, g))
        buf_printf(b, " <span class=\"stale\">The source changed after this run: the verdicts and figures "
                      "may be stale; <code>make run L=%.2s</code> refreshes them.</span>",
                   g->program + 9);
    buf_puts(b, "</div>\n");
}

int nav_literal_line(const Source *s, const char *text) {
    char needle[600];
    snprintf(needle, sizeof needle, "\"%s\"", text);
    for (int i = 0; i < s->lit.n; i++) {
        const Segment *g = &s->lit.seg[i];
        if (g->kind != SEG_CODE) continue;
        const char *at = strstr(g->text, needle);
        if (!at) continue;
        int line = g->line;
        for (const char *q = g->text; q < at; q++) line += *q == '\n';
        return line;
    }
    return 0;
}

/* ---- figure gallery ---------------------------------------------------------------------- */

int page_gallery(const char *site, const Project *p, const Lecture *lec) {
    (void)p;
    char page[512];
    snprintf(page, sizeof page, "lectures/%s/gallery.html", lec->dir);
    Buf b = {0}, crumbs = {0}, title = {0};
    buf_puts(&crumbs, "<a href=\"index.html\">");
    buf_htmls(&crumbs, lec->title);
    buf_puts(&crumbs, "</a> <span class=\"sep\">/</span> figures");
    buf_printf(&title, "Figures — %s", lec->title);
    page_begin(&b, page, buf_str(&title), buf_str(&crumbs));
    buf_free(&crumbs);
    buf_free(&title);
    buf_puts(&b, "<article class=\"wide\">\n<h1>Figures</h1><p>Every figure the lecture's programs drew in "
                 "their last run, in lecture order. A caption links to the code that drew it; the picture "
                 "opens at full size.</p>\n");
    int count = 0;
    for (int j = 0; j < lec->nprogs; j++) {
        const Program *g = &lec->progs[j];
        if (!g->run.nfig) continue;
        buf_printf(&b, "<section class=\"gallery\" id=\"%s\"><h2><a href=\"%s.html\">", g->name, g->name);
        buf_htmls(&b, g->title);
        buf_puts(&b, "</a></h2>\n");
        if (nav_run_stale(p, g)) buf_puts(&b, "<p class=\"stale\">The source changed after this run.</p>");
        buf_puts(&b, "<div class=\"grid\">");
        char *dir = figure_dir(g);
        const char *rel = dir + strlen("lectures/") + strlen(lec->dir) + 1;
        for (int f = 0; f < g->run.nfig; f++) {
            const char *name = g->run.figures[f];
            int line = nav_literal_line(&g->src, name);
            buf_printf(&b, "<figure id=\"fig-%s-%s\"><a href=\"%s%s\"><img src=\"%s%s\" alt=\"", g->name,
                       name, rel, name, rel, name);
            buf_htmls(&b, name);
            buf_puts(&b, "\"></a><figcaption><code>");
            buf_htmls(&b, name);
            buf_puts(&b, "</code>");
            if (line) buf_printf(&b, " · <a href=\"%s.html#%s\">drawn at line %d</a>", g->name,
                                 line_anchor(&g->src, line), line);
            buf_puts(&b, "</figcaption></figure>");
            count++;
        }
        free(dir);
        buf_puts(&b, "</div></section>\n");
    }
    if (!count) buf_printf(&b, "<p class=\"hint\">No figures yet: <code>make run L=%.2s</code> draws them.</p>", lec->dir);
    buf_puts(&b, "</article>\n");
    page_end(&b);
    int rc = page_write(site, page, &b);
    buf_free(&b);
    return rc;
}

/* ---- who calls what ---------------------------------------------------------------------- */

typedef struct {
    const Function *f;
    const Program **callers;
    int n;
} Calls;

static int cmp_calls(const void *a, const void *b) {
    return strcmp(((const Calls *)a)->f->name, ((const Calls *)b)->f->name);
}

static int cmp_name_key(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const Calls *)elem)->f->name);
}

static bool ident(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Every identifier of the program's code followed by '(' that names a library function. */
static void scan_calls(const Program *g, Calls *v, int n) {
    for (int i = 0; i < g->src.lit.n; i++) {
        const Segment *s = &g->src.lit.seg[i];
        if (s->kind != SEG_CODE) continue;
        for (const char *q = s->text; *q;) {
            if (!ident(*q) || isdigit((unsigned char)*q)) {
                q++;
                continue;
            }
            const char *e = q;
            while (ident(*e)) e++;
            const char *after = e;
            while (*after == ' ') after++;
            if (*after == '(' && e - q < 128) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(e - q), q);
                Calls *c = bsearch(name, v, (size_t)n, sizeof *v, cmp_name_key);
                if (c && (!c->n || c->callers[c->n - 1] != g)) {
                    c->callers = xrealloc(c->callers, (size_t)(c->n + 1) * sizeof *c->callers);
                    c->callers[c->n++] = g;
                }
            }
            q = e;
        }
    }
}

int page_function_index(const char *site, const Project *p) {
    Calls *v = xcalloc((size_t)(p->nfn ? p->nfn : 1), sizeof *v);
    int n = 0;
    for (int i = 0; i < p->nfn; i++) {
        const Function *f = &p->fn[i];
        if (f->is_static || !(starts_with(f->src->path, "common/") || starts_with(f->src->path, "gpu/"))) continue;
        bool dup = false; /* a prototype and a definition, or the GPU stub and the real one */
        for (int k = 0; k < n && !dup; k++) dup = !strcmp(v[k].f->name, f->name);
        if (!dup) v[n++].f = f;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_calls);
    for (int i = 0; i < p->nlec; i++)
        for (int j = 0; j < p->lec[i].nprogs; j++) scan_calls(&p->lec[i].progs[j], v, n);

    Buf b = {0};
    page_begin(&b, "functions.html", "Library functions and their callers", "library functions");
    buf_puts(&b, "<article class=\"wide\">\n<h1>The library's functions and the lectures that call them</h1>\n"
                 "<p>Every function of <code>common/</code> and <code>gpu/</code>, with the lecture programs that "
                 "call it directly. A function no lecture calls is used inside the library or by the tests.</p>\n"
                 "<table class=\"calls\"><thead><tr><th>function</th><th>module</th><th>called by</th></tr></thead><tbody>\n");
    for (int k = 0; k < n; k++) {
        const Function *f = v[k].f;
        buf_printf(&b, "<tr id=\"call-%s\"><td><a href=\"%s\"><code>%s</code></a></td><td>", f->name,
                   function_href(p, f, "functions.html"), f->name);
        buf_htmls(&b, f->src->path);
        buf_puts(&b, "</td><td>");
        const Lecture *last = NULL;
        for (int c = 0; c < v[k].n; c++) {
            const Program *g = v[k].callers[c];
            const Lecture *L = NULL;
            for (int i = 0; i < p->nlec && !L; i++)
                if (g >= p->lec[i].progs && g < p->lec[i].progs + p->lec[i].nprogs) L = &p->lec[i];
            if (L != last) {
                buf_printf(&b, "%s<b>%.2s</b> ", last ? "<br>" : "", L->dir);
                last = L;
            }
            buf_printf(&b, "<a href=\"%s\" title=\"%s\">%.2s</a> ", g->page, g->name, g->name);
        }
        if (!v[k].n) buf_puts(&b, "<span class=\"none\">library and tests only</span>");
        buf_puts(&b, "</td></tr>\n");
        free(v[k].callers);
    }
    buf_puts(&b, "</tbody></table>\n</article>\n");
    free(v);
    page_end(&b);
    int rc = page_write(site, "functions.html", &b);
    buf_free(&b);
    return rc;
}
