/* page — what every page shares: the HTML skeleton (KaTeX and the site's style from assets/,
   nothing from the network), Markdown with the project's equation links, and check verdicts. */
#ifndef DOCS_PAGE_H
#define DOCS_PAGE_H

#include "docs/project.h"
#include "docs/results.h"
#include "docs/text.h"

typedef struct {
    const Project *p;
    const char *page;     /* this page, relative to the site root */
    const Lecture *lec;   /* the lecture it belongs to, or NULL */
    const CheckRec **shown; /* checks already shown on this page */
    int nshown;
    bool verdicts;        /* show verdicts beside defined equations */
} PageCtx;

void page_begin(Buf *b, const char *page, const char *title, const char *crumbs_html);
void page_end(Buf *b);
int page_write(const char *site, const char *page, const Buf *b);

/* Markdown with math, [eq:ID] links, {#eq:ID} anchors (with their verdicts when ctx->verdicts). */
char *page_markdown(PageCtx *c, const char *file, int line, const char *text, bool note);
/* "href" of an equation seen from this page (static buffer), NULL when unknown. */
const char *eq_href(const PageCtx *c, const char *id);
/* The short name of an id: its last dot-separated part. */
const char *eq_short(const char *id);

/* One verdict (a check or an erratum); `from` names another program when not NULL. */
void verdict_html(Buf *b, const PageCtx *c, const CheckRec *r, const Program *from);
/* Every check of every run that verifies eq `id`, marked shown; returns how many. */
int verdicts_for_eq(Buf *b, PageCtx *c, const char *id);
bool verdict_shown(const PageCtx *c, const CheckRec *r);
void mark_shown(PageCtx *c, const CheckRec *r);
/* "12 passed, 0 failed" or "not run yet" as a small badge. */
void run_badge(Buf *b, const RunResult *r);

#endif
