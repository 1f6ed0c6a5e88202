/* json — a small JSON reader: enough for the check lines' JSON twin (checks.jsonl, one flat
   object per line) and for the browser test's DevTools messages. Strings are decoded (\uXXXX to
   UTF-8). Parsing returns NULL on malformed input, never aborts. */
#ifndef DOCS_JSON_H
#define DOCS_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonType;

typedef struct Json {
    JsonType type;
    double number;
    bool boolean;
    char *string;
    struct Json **items; /* array elements / object values */
    char **keys;         /* object keys */
    int n;
} Json;

Json *json_parse(const char *text, size_t len);
void json_free(Json *j);
const Json *json_get(const Json *obj, const char *key); /* NULL when absent */
const char *json_str(const Json *obj, const char *key); /* NULL unless a string */
double json_num(const Json *obj, const char *key, double fallback);

#endif
