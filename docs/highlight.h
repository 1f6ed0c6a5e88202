/* highlight — C source to HTML for the right-hand column: one line per row with its number as an
   anchor ("<file>-L<n>"), comments, strings, keywords and numbers in their own classes, a call of a
   function the project defines linked to its definition, `#include "common/x.h"` linked to the
   module's page, and each function definition marked with the anchor "fn-<name>". */
#ifndef DOCS_HIGHLIGHT_H
#define DOCS_HIGHLIGHT_H

#include "docs/project.h"
#include "docs/text.h"

/* `code`: the segment's lines; `first_line`: the number of its first line; `page`: the page it
   is shown on (links are relative to it). */
void highlight_c(Buf *out, const Project *p, const Source *src, const char *code, int first_line,
                 const char *page);

/* "../common/mathfn.html#fn-logsumexp" for a function seen from `page` (static buffer). */
const char *function_href(const Project *p, const Function *f, const char *page);

#endif
