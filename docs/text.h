/* text — the generator's string toolkit: a growable buffer, HTML escaping, whole-file reading
   (CRLF normalised to LF, so every later stage sees one kind of line end) and small path helpers. */
#ifndef DOCS_TEXT_H
#define DOCS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *s;    /* always NUL-terminated once anything was appended */
    size_t len, cap;
} Buf;

void buf_put(Buf *b, const char *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) with & < > " escaped for HTML text and attribute values. */
void buf_html(Buf *b, const char *s, size_t n);
void buf_htmls(Buf *b, const char *s);
const char *buf_str(const Buf *b); /* "" for an empty buffer */
char *buf_take(Buf *b);            /* the string (caller frees); the buffer is reset */
void buf_free(Buf *b);

/* Reads a whole file; CRLF and lone CR become LF. NULL (and errno) when it cannot be read. */
char *read_text_file(const char *path, size_t *len_out);
/* Writes the buffer to path, creating parent directories; 0 on success. */
int write_text_file(const char *path, const char *text, size_t len);
int copy_file(const char *from, const char *to);
bool file_exists(const char *path);

/* "a/b/c.c" -> "c.c"; basename without the extension -> "c" (malloc'd). */
const char *path_base(const char *path);
char *path_stem(const char *path);
/* The relative prefix from a page at `page_path` (relative to the site root) to the root:
   "index.html" -> "", "common/x.html" -> "../". Static buffer. */
const char *root_prefix(const char *page_path);

bool starts_with(const char *s, const char *prefix);
char *xstrndup(const char *s, size_t n);

#endif
