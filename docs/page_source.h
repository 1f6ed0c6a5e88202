/* page_source — the docco-style pages: a lecture program, or a common/ module (its header and
   .c files in turn). Each row holds prose or a note on the left and the code it introduces or
   annotates on the right; verdicts sit under the equations they verify, checks without an
   equation and figures under the row whose code produces them. */
#ifndef DOCS_PAGE_SOURCE_H
#define DOCS_PAGE_SOURCE_H

#include "docs/project.h"

int page_program(const char *site, const Project *p, const Lecture *lec, const Program *g);
int page_module(const char *site, const Project *p, const Module *m);
/* Where figures of a program are copied in the site: "lectures/07_mle/figures/<name>/". */
char *figure_dir(const Program *g);

#endif
