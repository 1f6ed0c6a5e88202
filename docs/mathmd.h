/*: # mathmd — Markdown with protected math

CommonMark knows nothing of TeX: it would read `a_1 … b_2` as emphasis and eat the backslash of
`\{`. So the math is taken out *before* Markdown sees the text and put back after:

1. `math_protect` scans the text (skipping code spans and code blocks, where `$` is just a
   character), replaces every `$…$`, `$$…$$`, equation reference `[eq:ID]` and, in a note,
   equation definition `{#eq:ID}` at the end of a line by a placeholder `MDMATH<k>Z`, and keeps
   the items. A `$` without its partner before the paragraph ends, a `{#…}` that is not an
   equation id after a display (or at the end of a `//:` line) is an error.
2. Tables (`| a | b |` + `|---|---|`, which CommonMark itself lacks) become placeholders too.
3. libcmark renders the rest; the placeholders are replaced by the tables and by the items,
   which the caller renders (KaTeX spans, links to equations, check verdicts).
*/
#ifndef DOCS_MATHMD_H
#define DOCS_MATHMD_H

#include <stdbool.h>

#include "docs/diag.h"
#include "docs/text.h"

typedef enum { MI_INLINE, MI_DISPLAY, MI_REF, MI_LINE_DEF } MathKind;

typedef struct {
    MathKind kind;
    char *tex; /* inline/display: the TeX source (no delimiters) */
    char *eq;  /* display with {#eq:ID}, reference, line definition: the id; else NULL */
    int line;  /* source line */
} MathItem;

typedef struct {
    char *md; /* the Markdown with placeholders */
    MathItem *items;
    int n, cap;
} MathText;

/* `note`: the text of //: lines (an id may end a line). Returns the number of errors. */
int math_protect(const char *file, int first_line, const char *text, bool note, MathText *out,
                 Diags *diags);
void mathtext_free(MathText *mt);

typedef struct {
    void *ctx;
    /* renders one item; NULL: math_item_html */
    void (*item)(void *ctx, Buf *out, const MathItem *it);
    /* an href for inline code `NAME` (a function, a file), or NULL */
    const char *(*code_link)(void *ctx, const char *code);
} MdHooks;

char *md_render(const MathText *mt, const MdHooks *hooks);
/* The default rendering: <span class="math inline|display">TeX</span>, #eq: links. */
void math_item_html(Buf *out, const MathItem *it);
/* Markdown (with math) straight to HTML; errors to diags. */
char *md_to_html(const char *file, int first_line, const char *text, bool note,
                 const MdHooks *hooks, Diags *diags);

bool valid_eq_char(char c);

#endif
