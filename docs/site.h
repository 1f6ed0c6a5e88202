/* site — writes the whole site: the pages of page_lecture.h and page_source.h, the figures of
   the last run, KaTeX (CSS, JS and fonts, copied from Debian's libjs-katex, or $KATEX_DIR) and
   the site's own style and script (docs/assets/). */
#ifndef DOCS_SITE_H
#define DOCS_SITE_H

#include "docs/project.h"

typedef struct {
    char **pages; /* every page written, relative to the site root */
    int n;
} PageList;

/* Returns 0 on success; -1 with a message when a file cannot be written or KaTeX is missing. */
int site_generate(const Project *p, const char *site, PageList *pages, char *err, size_t errlen);
void pagelist_free(PageList *l);
/* Where KaTeX is read from. */
const char *katex_dir(void);

#endif
