/*: # markers — the literate markers of a C source (CONVENTIONS.md §2)

A source is cut into segments, in order:

| segment | from | becomes on the page |
|---|---|---|
| prose | a prose block, opened by slash-star-colon and closed by star-slash (dedented Markdown + LaTeX) | left column, starts a new row |
| note | consecutive `//: …` lines | left column, beside the code it annotates |
| code | everything else; after a note: the lines up to the next blank line or marker | right column |

The scanner follows C's lexical rules, so `"//: text"` in a string, a `//:` inside a block
comment or a prose opener after `//` are not markers. A marker after code on the same line, an unclosed
prose block or an unterminated string/comment is an error (the page could not be laid out).
Line ends are LF (the reader normalises CRLF); line numbers are 1-based.
*/
#ifndef DOCS_MARKERS_H
#define DOCS_MARKERS_H

#include <stdbool.h>

#include "docs/diag.h"

typedef enum { SEG_PROSE, SEG_NOTE, SEG_CODE } SegKind;

typedef struct {
    SegKind kind;
    char *text;     /* prose/note: Markdown; code: the source lines, each ending in '\n' */
    int line;       /* first source line of the segment */
    int nlines;     /* source lines it covers */
    bool annotated; /* code: the lines right below a note */
} Segment;

typedef struct {
    Segment *seg;
    int n, cap;
} Literate;

/* Parses `src` (LF line ends); errors go to `diags` under the name `file`. Returns the number
   of errors added. */
int literate_parse(const char *file, const char *src, Literate *out, Diags *diags);
void literate_free(Literate *lit);

#endif
