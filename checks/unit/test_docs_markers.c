/* Unit tests of the docs generator's marker parser (docs/markers.c) and of the math protection
   around Markdown (docs/mathmd.c), on tricky inputs: markers inside strings and comments, `$` in
   code, CRLF line ends, empty blocks, unbalanced math, unknown markers, tables with math. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "docs/lint.h"
#include "docs/markers.h"
#include "docs/mathmd.h"
#include "docs/text.h"

static int count_kind(const Literate *l, SegKind k) {
    int n = 0;
    for (int i = 0; i < l->n; i++) n += l->seg[i].kind == k;
    return n;
}

/* Parses src; returns the number of errors, fills lit (caller frees). */
static int parse(const char *src, Literate *lit, Diags *d) { return literate_parse("t.c", src, lit, d); }

static int protect(const char *text, bool note, MathText *mt, Diags *d) {
    return math_protect("t.c", 1, text, note, mt, d);
}

static void eq_cb(void *ctx, const char *eq, int line) {
    (void)line;
    Buf *b = ctx;
    buf_printf(b, "%s;", eq);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the docs marker parser and math protection", 0, NULL);
    Literate lit;
    Diags d = {0};
    MathText mt;

    int e = parse("int main(void) {\n    printf(\"//: not a note /*: not prose */\\n\");\n    char c = '\"';\n}\n", &lit, &d);
    check_true("docs.markers.in_string", e == 0 && count_kind(&lit, SEG_NOTE) == 0 && count_kind(&lit, SEG_PROSE) == 0 &&
               lit.n == 1 && lit.seg[0].nlines == 4,
               "markers inside a string literal are code (%d segments, %d errors)", lit.n, e);
    literate_free(&lit);

    e = parse("/* outer //: no /*: no */\n// line comment /*: no\nint x; /* a */ int y;\n", &lit, &d);
    check_true("docs.markers.in_comment", e == 0 && count_kind(&lit, SEG_NOTE) == 0 && count_kind(&lit, SEG_PROSE) == 0,
               "//: and /*: inside plain comments are not markers (C comments do not nest)");
    literate_free(&lit);

    e = parse("/*: # T\n    A $x$ and `$HOME`.\n    $$ y = 1 $$ {#eq:t.y}\n    */\nint cost = 0; // $5\nchar d = '$';\n", &lit, &d);
    check_true("docs.markers.dollar_in_code", e == 0 && count_kind(&lit, SEG_PROSE) == 1 && count_kind(&lit, SEG_CODE) == 1,
               "$ in code and comments is not math; the prose block is one segment");
    check_true("docs.markers.dedent", lit.n >= 1 && !strcmp(lit.seg[0].text, "# T\nA $x$ and `$HOME`.\n$$ y = 1 $$ {#eq:t.y}"),
               "a prose block is dedented and loses the line of its closer");
    e = protect(lit.seg[0].text, false, &mt, &d);
    check_true("docs.math.code_span", e == 0 && mt.n == 2 && mt.items[0].kind == MI_INLINE &&
               mt.items[1].kind == MI_DISPLAY && mt.items[1].eq && !strcmp(mt.items[1].eq, "t.y") &&
               strstr(mt.md, "`$HOME`"),
               "inline math, a display with its id, and `$HOME` in a code span left alone (%d items)", mt.n);
    mathtext_free(&mt);
    literate_free(&lit);

    /* CRLF through the reader */
    char path[1200];
    snprintf(path, sizeof path, "%s/crlf.c", cli.out_dir);
    const char *crlf = "/*: # Title\r\n   text $a$\r\n*/\r\n//: $b = 1$ {#eq:t.b}\r\nint b = 1;\r\n\r\nint c;\r\n";
    write_text_file(path, crlf, strlen(crlf));
    char *text = read_text_file(path, NULL);
    e = text ? parse(text, &lit, &d) : -1;
    check_true("docs.markers.crlf", e == 0 && text && !strchr(text, '\r') && lit.n == 4 &&
               !strcmp(lit.seg[0].text, "# Title\ntext $a$") && lit.seg[1].kind == SEG_NOTE &&
               !strcmp(lit.seg[1].text, "$b = 1$ {#eq:t.b}") && lit.seg[2].annotated && lit.seg[2].line == 5 &&
               !lit.seg[3].annotated && lit.seg[3].line == 7,
               "CRLF line ends: prose, note, annotated code up to the blank line, plain code (%d segments)", lit.n);
    if (lit.n >= 2) {
        e = protect(lit.seg[1].text, true, &mt, &d);
        check_true("docs.math.note_eq", e == 0 && mt.n == 2 && mt.items[1].kind == MI_LINE_DEF &&
                   !strcmp(mt.items[1].eq, "t.b"), "a //: line ending in {#eq:ID} defines the equation");
        mathtext_free(&mt);
    }
    literate_free(&lit);
    free(text);

    e = parse("/*:*/\n/*: */\n//:\nint x;\n/*:\n*/\n", &lit, &d);
    check_true("docs.markers.empty", e == 0 && count_kind(&lit, SEG_PROSE) == 3 && count_kind(&lit, SEG_NOTE) == 1 &&
               lit.seg[0].text[0] == '\0' && lit.seg[2].text[0] == '\0',
               "empty prose blocks and an empty note parse to empty segments");
    literate_free(&lit);

    Diags bad = {0};
    e = parse("int x; //: late note\nint y; /*: late prose */\n", &lit, &bad);
    check_true("docs.markers.after_code", e == 2 && diag_has(&bad, "after code"),
               "a note or prose marker after code on the same line is an error (%d errors)", e);
    literate_free(&lit);
    diag_free(&bad);
    e = parse("/*: never closed\nint x;\n", &lit, &bad);
    check_true("docs.markers.unclosed", e == 1 && diag_has(&bad, "unclosed"), "an unclosed prose block is an error");
    literate_free(&lit);
    diag_free(&bad);

    e = protect("A $x + y and more.\n\nNext paragraph $z$.", false, &mt, &bad);
    check_true("docs.math.unbalanced_inline", e == 1 && diag_has(&bad, "unbalanced"),
               "a $ without its partner before the paragraph ends is an error");
    mathtext_free(&mt);
    diag_free(&bad);
    e = protect("$$ x = 1\n$ y $", false, &mt, &bad);
    check_true("docs.math.unbalanced_display", e >= 1 && diag_has(&bad, "unbalanced math delimiter $$"),
               "an unclosed $$ is an error");
    mathtext_free(&mt);
    diag_free(&bad);
    e = protect("Mapped by $2\frac{a}{b}$ and $\\sigma_\text{min}$.", false, &mt, &bad); /* \f, \t eaten */
    check_true("docs.math.control_character", e == 2 && diag_has(&bad, "control character 0x0c") &&
                                                   diag_has(&bad, "control character 0x09"),
               "a form feed or tab inside math (\\frac, \\text eaten by a string escape) is an error");
    mathtext_free(&mt);
    diag_free(&bad);
    e = protect("Cost \\$5 and \\$6; $a$ spans\nlines $b\n+ c$.", false, &mt, &bad);
    check_true("docs.math.escaped_dollar", e == 0 && mt.n == 2 && !strcmp(mt.items[1].tex, "b\n+ c"),
               "\\$ is a dollar sign; inline math may cross a line inside its paragraph");
    mathtext_free(&mt);
    diag_free(&bad);
    e = protect("See {#fig:x} and $a$ {#eq:t.a} here.", false, &mt, &bad);
    check_true("docs.math.unknown_marker", e == 2 && diag_has(&bad, "unknown marker") && diag_has(&bad, "misplaced"),
               "an unknown {#...} marker and an id after inline math are errors (%d)", e);
    mathtext_free(&mt);
    diag_free(&bad);
    e = protect("By [eq:t.a] and [eq:bad", false, &mt, &bad);
    check_true("docs.math.refs", e == 1 && mt.n == 1 && mt.items[0].kind == MI_REF && !strcmp(mt.items[0].eq, "t.a"),
               "[eq:ID] is a reference; an unclosed one is an error");
    mathtext_free(&mt);
    diag_free(&bad);

    char *html = md_to_html("t.c", 1, "Math $a_1 + b_2 \\{x\\}$ *em*\n\n| s | c |\n|---|---|\n| $p\\|q$ | `x\\|y` |\n\n```\n$ not math\n```\n",
                            false, NULL, &bad);
    check_true("docs.math.render", bad.n == 0 && strstr(html, "<span class=\"math inline\">a_1 + b_2 \\{x\\}</span>") &&
               strstr(html, "<em>em</em>") && strstr(html, "<td><span class=\"math inline\">p\\|q</span></td>") &&
               strstr(html, "<code>x|y</code>") && strstr(html, "$ not math"),
               "math survives Markdown verbatim, tables keep math with \\| intact, fenced code is left alone");
    free(html);
    diag_free(&bad);

    Buf eqs = {0};
    check_calls_eq("check_close(\"a.b\", f(x, y), 1.0, 1e-3, \"L.eq1\", \"d %d\", n);\n"
                   "check_mc(\"m\", v, 0, se, 4, n, \"L.eq2\", \"mc\");\ncheck_true(\"t\", ok, \"no eq\");\n"
                   "check_le(\"n\", v, 1, 0, NULL, \"none\");\n", 1, eq_cb, &eqs);
    check_true("docs.lint.check_call_args", !strcmp(buf_str(&eqs), "L.eq1;L.eq2;"),
               "the eq argument of check_* calls is found past nested calls: '%s'", buf_str(&eqs));
    buf_free(&eqs);
    diag_free(&d);
    return check_end();
}
