/* json — see json.h. A recursive-descent parser with a depth limit. */
#include "docs/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "docs/text.h"

typedef struct {
    const char *p, *end;
    int depth;
} Parser;

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static Json *new_value(JsonType t) {
    Json *j = xcalloc(1, sizeof *j);
    j->type = t;
    return j;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

static void put_utf8(Buf *b, unsigned cp) {
    if (cp < 0x80) buf_putc(b, (char)cp);
    else if (cp < 0x800) {
        buf_putc(b, (char)(0xC0 | (cp >> 6)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        buf_putc(b, (char)(0xE0 | (cp >> 12)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        buf_putc(b, (char)(0xF0 | (cp >> 18)));
        buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

static char *parse_string(Parser *ps) {
    if (ps->p >= ps->end || *ps->p != '"') return NULL;
    ps->p++;
    Buf b = {0};
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if (c != '\\') {
            buf_putc(&b, c);
            continue;
        }
        if (ps->p >= ps->end) break;
        char e = *ps->p++;
        switch (e) {
        case 'n': buf_putc(&b, '\n'); break;
        case 't': buf_putc(&b, '\t'); break;
        case 'r': buf_putc(&b, '\r'); break;
        case 'b': buf_putc(&b, '\b'); break;
        case 'f': buf_putc(&b, '\f'); break;
        case 'u': {
            if (ps->end - ps->p < 4) goto fail;
            int cp = hex4(ps->p);
            if (cp < 0) goto fail;
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                int lo = hex4(ps->p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
            }
            put_utf8(&b, (unsigned)cp);
            break;
        }
        default: buf_putc(&b, e);
        }
    }
    if (ps->p >= ps->end) goto fail;
    ps->p++;
    return buf_take(&b);
fail:
    buf_free(&b);
    return NULL;
}

static Json *parse_value(Parser *ps);

static void push_item(Json *j, char *key, Json *v) {
    j->items = xrealloc(j->items, (size_t)(j->n + 1) * sizeof *j->items);
    if (j->type == JSON_OBJECT) {
        j->keys = xrealloc(j->keys, (size_t)(j->n + 1) * sizeof *j->keys);
        j->keys[j->n] = key;
    }
    j->items[j->n++] = v;
}

static Json *parse_container(Parser *ps, bool object) {
    char close = object ? '}' : ']';
    Json *j = new_value(object ? JSON_OBJECT : JSON_ARRAY);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            key = parse_string(ps);
            skip_ws(ps);
            if (!key || ps->p >= ps->end || *ps->p != ':') {
                free(key);
                goto fail;
            }
            ps->p++;
        }
        Json *v = parse_value(ps);
        if (!v) {
            free(key);
            goto fail;
        }
        push_item(j, key, v);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return j;
        }
        goto fail;
    }
fail:
    json_free(j);
    return NULL;
}

static Json *parse_value(Parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end || ++ps->depth > 64) return NULL;
    Json *j = NULL;
    char c = *ps->p;
    if (c == '{' || c == '[') {
        j = parse_container(ps, c == '{');
    } else if (c == '"') {
        char *s = parse_string(ps);
        if (s) {
            j = new_value(JSON_STRING);
            j->string = s;
        }
    } else if (ps->end - ps->p >= 4 && !strncmp(ps->p, "null", 4)) {
        ps->p += 4;
        j = new_value(JSON_NULL);
    } else if (ps->end - ps->p >= 4 && !strncmp(ps->p, "true", 4)) {
        ps->p += 4;
        j = new_value(JSON_BOOL);
        j->boolean = true;
    } else if (ps->end - ps->p >= 5 && !strncmp(ps->p, "false", 5)) {
        ps->p += 5;
        j = new_value(JSON_BOOL);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t n = 0;
        while (ps->p + n < ps->end && n < sizeof tmp - 1 && strchr("+-.eE0123456789", ps->p[n])) n++;
        memcpy(tmp, ps->p, n);
        tmp[n] = '\0';
        char *endp;
        double v = strtod(tmp, &endp);
        if (endp != tmp) {
            ps->p += endp - tmp;
            j = new_value(JSON_NUMBER);
            j->number = v;
        }
    }
    ps->depth--;
    return j;
}

Json *json_parse(const char *text, size_t len) {
    Parser ps = {text, text + len, 0};
    Json *j = parse_value(&ps);
    skip_ws(&ps);
    if (j && ps.p != ps.end) {
        json_free(j);
        return NULL;
    }
    return j;
}

void json_free(Json *j) {
    if (!j) return;
    for (int i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}

const Json *json_get(const Json *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return obj->items[i];
    return NULL;
}

const char *json_str(const Json *obj, const char *key) {
    const Json *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

double json_num(const Json *obj, const char *key, double fallback) {
    const Json *v = json_get(obj, key);
    return v && v->type == JSON_NUMBER ? v->number : fallback;
}
