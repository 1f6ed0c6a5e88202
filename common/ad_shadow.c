/* ad_shadow — gradient shadows of parameters, for data-parallel steps (see ad.h). Introduced for
   the chunked training steps of common/genmodel.c (L36 4.2.3's Tiny U-Net on two cores). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

struct AdShadows {
    int n;
    AdTensor *const *param; /* the parameters, in the caller's order */
    AdTensor *shadow;       /* n: a copy of each, its grad in `grad` */
    int *by_address;        /* indices sorted by the parameters' addresses (the lookup) */
    char *grad;             /* the shadows' gradient buffers, end to end */
    size_t grad_bytes;
};

AdShadows *ad_shadows_new(AdTensor *const *params, int n) {
    AdShadows *s = xcalloc(1, sizeof *s);
    s->n = n;
    s->param = params;
    s->shadow = xcalloc((size_t)(n ? n : 1), sizeof *s->shadow);
    s->by_address = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        if (!params[i]->is_param || !params[i]->grad)
            die("ad_shadows_new: tensor %d is not a parameter with a gradient", i);
        s->grad_bytes += (size_t)params[i]->size * ad_dtype_size(params[i]->dtype);
        s->by_address[i] = i;
    }
    s->grad = xcalloc(s->grad_bytes ? s->grad_bytes : 1, 1);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        s->shadow[i] = *params[i];
        s->shadow[i].grad = s->grad + off;
        off += (size_t)params[i]->size * ad_dtype_size(params[i]->dtype);
    }
    for (int i = 1; i < n; i++) /* insertion sort by address (a network has ~100 tensors) */
        for (int j = i; j > 0 && (uintptr_t)params[s->by_address[j - 1]] > (uintptr_t)params[s->by_address[j]]; j--) {
            const int k = s->by_address[j];
            s->by_address[j] = s->by_address[j - 1];
            s->by_address[j - 1] = k;
        }
    return s;
}

void ad_shadows_free(AdShadows *s) {
    if (!s) return;
    free(s->shadow);
    free(s->by_address);
    free(s->grad);
    free(s);
}

void ad_shadows_zero(AdShadows *s) { memset(s->grad, 0, s->grad_bytes); }

const void *ad_shadows_grad(const AdShadows *s, int i) { return s->shadow[i].grad; }

AdTensor *ad_shadow_lookup(const AdShadows *s, AdTensor *t) {
    if (!s || !t || !t->is_param) return t;
    int lo = 0, hi = s->n - 1;
    while (lo <= hi) {
        const int mid = (lo + hi) / 2;
        const AdTensor *p = s->param[s->by_address[mid]];
        if (p == t) return &s->shadow[s->by_address[mid]];
        if ((uintptr_t)p < (uintptr_t)t) lo = mid + 1;
        else hi = mid - 1;
    }
    return t;
}
