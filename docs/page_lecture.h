/* page_lecture — the course map (index.html) and, per lecture, its overview (the README and the
   programs), glossary (symbol -> C name -> where defined, from the programs' symbol tables),
   equation index (id -> code lines -> checks) and errata (the ERRATUM lines of the last run). */
#ifndef DOCS_PAGE_LECTURE_H
#define DOCS_PAGE_LECTURE_H

#include "docs/project.h"

int page_index(const char *site, const Project *p);
int page_lecture_overview(const char *site, const Project *p, const Lecture *lec);
int page_glossary(const char *site, const Project *p, const Lecture *lec);
int page_equations(const char *site, const Project *p, const Lecture *lec);
int page_errata(const char *site, const Project *p, const Lecture *lec);
/* The line where a C name of a symbol table is declared: a code line where it appears outside
   parentheses after a type (or, failing that, its first appearance); 0 when it does not occur. */
int glossary_definition_line(const Source *s, const char *name);

#endif
