/* search_index — what the site's search box searches: a generated script
   (assets/search-index.js) that sets `window.COURSE_SEARCH` to a list of entries
   [kind, title, detail, url], read by assets/search.js with no server and no network, so the
   search works from file://. The entries: every program, every section heading ("##"), every
   equation (id and TeX), every check of the last run (id and description), every function
   (library and program), every glossary symbol (TeX and C name) and every figure; each url is
   the exact anchor (relative to the site root). */
#ifndef DOCS_SEARCH_INDEX_H
#define DOCS_SEARCH_INDEX_H

#include "docs/project.h"
#include "docs/text.h"

/* Appends the script to `out`; returns the number of entries. */
int search_index_build(const Project *p, Buf *out);
/* Writes <site>/assets/search-index.js; 0 on success. */
int search_index_write(const Project *p, const char *site);

#endif
