/* page_nav — the ways through a site of a hundred pages: on a program page the lecture's section
   map as a sidebar, previous / next in lecture order and the line that says which run its
   verdicts and figures come from (or that the run is missing or older than the source); per
   lecture a figure gallery; for the library an index of who calls each function. */
#ifndef DOCS_PAGE_NAV_H
#define DOCS_PAGE_NAV_H

#include "docs/project.h"
#include "docs/text.h"

/* The "##" sections of a program as a list of links; `href` is the program page as seen from
   the page being written ("" on the program's own page). */
void nav_sections(Buf *b, const Program *g, const char *href);
/* The sidebar: the lecture's programs in order, the current one opened to its sections. */
void nav_sidebar(Buf *b, const Lecture *lec, const Program *g);
/* Previous / next program of the lecture (rel="prev" / rel="next" links). */
void nav_prev_next(Buf *b, const Lecture *lec, const Program *g);
/* "Verdicts and figures from the run of <date>: default scale, seed 35, CPU", or why not. */
void nav_run_info(Buf *b, const Project *p, const Program *g);
/* true when the program's checks.jsonl is older than its source file. */
bool nav_run_stale(const Project *p, const Program *g);

/* lectures/<dir>/gallery.html: every figure of the last run, captioned, linked to its code. */
int page_gallery(const char *site, const Project *p, const Lecture *lec);
/* functions.html: every function of common/ and gpu/ with the lecture programs that call it. */
int page_function_index(const char *site, const Project *p);

/* The source line whose code contains the string literal "text" (quotes included), or 0. */
int nav_literal_line(const Source *s, const char *text);

#endif
