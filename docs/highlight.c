/* highlight — see highlight.h. A small hand-written lexer, state kept across lines for block
   comments. */
#include "docs/highlight.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Noreturn", "bool", "size_t",
    "uint64_t", "uint32_t", "int64_t", "int32_t", "uint8_t", "NULL", "true", "false", NULL};

static bool is_keyword(const char *s, size_t n) {
    for (int i = 0; keywords[i]; i++)
        if (strlen(keywords[i]) == n && !strncmp(keywords[i], s, n)) return true;
    return false;
}

const char *function_href(const Project *p, const Function *f, const char *page) {
    (void)p;
    static char buf[600];
    if (!strcmp(f->src->page, page)) snprintf(buf, sizeof buf, "#fn-%s", f->name);
    else snprintf(buf, sizeof buf, "%s%s#fn-%s", root_prefix(page), f->src->page, f->name);
    return buf;
}

static void span(Buf *out, const char *cls, const char *s, size_t n) {
    buf_printf(out, "<span class=\"%s\">", cls);
    buf_html(out, s, n);
    buf_puts(out, "</span>");
}

/* The definitions on this line (name at column 0 region followed by '('). */
static void definition_anchors(Buf *out, const Project *p, const Source *src, int line) {
    for (int i = 0; i < p->nfn; i++)
        if (p->fn[i].src == src && p->fn[i].line == line)
            buf_printf(out, "<span class=\"fnanchor\" id=\"fn-%s\"></span>", p->fn[i].name);
}

void highlight_c(Buf *out, const Project *p, const Source *src, const char *code, int first_line,
                 const char *page) {
    buf_puts(out, "<pre class=\"code\"><code>");
    bool in_comment = false;
    int line = first_line;
    for (const char *q = code; *q; line++) {
        const char *e = strchr(q, '\n');
        size_t n = e ? (size_t)(e - q) : strlen(q);
        const char *anchor = line_anchor(src, line);
        buf_printf(out, "<span class=\"line\" id=\"%s\"><a class=\"ln\" href=\"#%s\">%d</a>", anchor,
                   anchor, line);
        definition_anchors(out, p, src, line);
        const char *s = q, *end = q + n;
        size_t ws = strspn(s, " \t");
        if (!in_comment && s + ws < end && s[ws] == '#') {
            const char *inc = strstr(s, "#include \"");
            if (inc && inc < end) {
                const char *f = inc + 10, *fe = memchr(f, '"', (size_t)(end - f));
                char file[256];
                snprintf(file, sizeof file, "%.*s", fe ? (int)(fe - f) : 0, f);
                const char *target = fe ? project_file_page(p, file, NULL) : NULL;
                if (target) {
                    buf_puts(out, "<span class=\"pp\">");
                    buf_html(out, s, (size_t)(f - s));
                    buf_printf(out, "<a href=\"%s%s\">", root_prefix(page), target);
                    buf_html(out, f, (size_t)(fe - f));
                    buf_puts(out, "</a>");
                    buf_html(out, fe, (size_t)(end - fe));
                    buf_puts(out, "</span></span>\n");
                    q = end + (e ? 1 : 0);
                    continue;
                }
            }
            span(out, "pp", s, n);
            buf_puts(out, "</span>\n");
            q = end + (e ? 1 : 0);
            continue;
        }
        while (s < end) {
            if (in_comment) {
                const char *c = strstr(s, "*/");
                const char *stop = c && c < end ? c + 2 : end;
                span(out, "cm", s, (size_t)(stop - s));
                if (c && c < end) in_comment = false;
                s = stop;
            } else if (s[0] == '/' && s[1] == '/') {
                span(out, "cm", s, (size_t)(end - s));
                s = end;
            } else if (s[0] == '/' && s[1] == '*') {
                in_comment = true;
                const char *c = strstr(s + 2, "*/");
                const char *stop = c && c < end ? c + 2 : end;
                span(out, "cm", s, (size_t)(stop - s));
                if (c && c < end) in_comment = false;
                s = stop;
            } else if (*s == '"' || *s == '\'') {
                const char *t = s + 1;
                while (t < end && *t != *s) t += (*t == '\\' && t + 1 < end) ? 2 : 1;
                if (t < end) t++;
                span(out, "st", s, (size_t)(t - s));
                s = t;
            } else if (isdigit((unsigned char)*s) || (*s == '.' && s + 1 < end && isdigit((unsigned char)s[1]))) {
                const char *t = s;
                while (t < end && (isalnum((unsigned char)*t) || *t == '.' ||
                                   ((*t == '-' || *t == '+') && (t[-1] == 'e' || t[-1] == 'E'))))
                    t++;
                span(out, "nu", s, (size_t)(t - s));
                s = t;
            } else if (isalpha((unsigned char)*s) || *s == '_') {
                const char *t = s;
                while (t < end && (isalnum((unsigned char)*t) || *t == '_')) t++;
                size_t len = (size_t)(t - s);
                const char *u = t;
                while (u < end && *u == ' ') u++;
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(len < 127 ? len : 127), s);
                const Function *f = u < end && *u == '(' ? project_function(p, name, page) : NULL;
                if (is_keyword(s, len)) {
                    span(out, "kw", s, len);
                } else if (f && !(f->src == src && f->line == line)) {
                    buf_printf(out, "<a class=\"fn\" href=\"%s\">", function_href(p, f, page));
                    buf_html(out, s, len);
                    buf_puts(out, "</a>");
                } else {
                    buf_html(out, s, len);
                }
                s = t;
            } else {
                buf_html(out, s, 1);
                s++;
            }
        }
        buf_puts(out, "</span>\n");
        q = end + (e ? 1 : 0);
    }
    buf_puts(out, "</code></pre>");
}
