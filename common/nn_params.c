/* nn_params — the named parameter list shared by all modules (see nn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nn.h"
#include "common/util.h"

void nn_params_init(NnParams *p) {
    p->n = 0;
    p->cap = 0;
    p->t = NULL;
    p->name = NULL;
}

void nn_params_free(NnParams *p) {
    for (int i = 0; i < p->n; i++) free(p->name[i]);
    free(p->t);
    free(p->name);
    nn_params_init(p);
}

const char *nn_join_name(char *buf, size_t len, const char *prefix, const char *name) {
    int w = (prefix && prefix[0]) ? snprintf(buf, len, "%s.%s", prefix, name)
                                  : snprintf(buf, len, "%s", name);
    if (w < 0 || (size_t)w >= len) die("nn_join_name: name too long: %s.%s", prefix, name);
    return buf;
}

void nn_params_add(NnParams *p, const char *prefix, const char *name, AdTensor *t) {
    if (!t) die("nn_params_add: NULL tensor for %s", name);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->t = xrealloc(p->t, (size_t)p->cap * sizeof *p->t);
        p->name = xrealloc(p->name, (size_t)p->cap * sizeof *p->name);
    }
    char buf[256];
    p->t[p->n] = t;
    p->name[p->n] = xstrdup(nn_join_name(buf, sizeof buf, prefix, name));
    p->n++;
}

long nn_params_numel(const NnParams *p) {
    long total = 0;
    for (int i = 0; i < p->n; i++) total += p->t[i]->size;
    return total;
}

void nn_params_zero_grad(NnParams *p) { ad_zero_grad(p->t, p->n); }
