/*: # ad_shape — reshape, axis swaps, concatenation, slices

These ops only move values: each output element is one input element, $y_i = x_{\pi(i)}$.
The Jacobian is a 0/1 selection matrix, so the backward pass moves the gradient back along the
same map, $\bar x_{\pi(i)} \mathrel{+}= \bar y_i$. Every op copies (no views), which keeps the
rule "a tensor owns its contiguous buffer" true everywhere.
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* ---- reshape: same elements, same order ---- */

static void reshape_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    //: $\bar x_i \mathrel{+}= \bar y_i$
    for (long i = 0; i < y->size; i++) ad_acc(x->grad, y->dtype, i, ad_ld(y->grad, y->dtype, i));
}

AdTensor *ad_reshape(AdArena *arena, AdTensor *a, int ndim, const int *shape) {
    long n = ad_prod(shape, 0, ndim);
    if (ndim < 0 || ndim > AD_MAX_DIM || n != a->size) {
        char s[64];
        die("ad_reshape: cannot reshape %s (%ld elements) into a %d-D shape of %ld elements",
            ad_shape_str(a, s, sizeof s), a->size, ndim, n);
    }
    AdTensor *y = ad_op_out(arena, "ad_reshape", ndim, shape, reshape_backward, a, NULL, NULL);
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    memcpy(y->data, a->data, (size_t)a->size * ad_dtype_size(a->dtype));
    return y;
}

/* ---- swap two axes ---- */

/* Visits x's elements in order with the flat index they get after swapping axes ax1, ax2. */
#define FOR_SWAPPED(x, ax1, ax2, ...)                                                       \
    do {                                                                                    \
        int d_[AD_MAX_DIM], ys_[AD_MAX_DIM], yd_[AD_MAX_DIM];                               \
        long st_[AD_MAX_DIM];                                                               \
        for (int q_ = 0; q_ < AD_MAX_DIM; q_++) d_[q_] = yd_[q_] = q_ < (x)->ndim ? (x)->shape[q_] : 1; \
        yd_[ax1] = d_[ax2];                                                                 \
        yd_[ax2] = d_[ax1];                                                                 \
        long s_ = 1;                                                                        \
        for (int q_ = AD_MAX_DIM - 1; q_ >= 0; q_--) { ys_[q_] = (int)s_; s_ *= yd_[q_]; }       \
        for (int q_ = 0; q_ < AD_MAX_DIM; q_++) st_[q_] = ys_[q_];                               \
        st_[ax1] = ys_[ax2];                                                                \
        st_[ax2] = ys_[ax1];                                                                \
        long xi = 0;                                                                        \
        for (int i0 = 0; i0 < d_[0]; i0++)                                                  \
            for (int i1 = 0; i1 < d_[1]; i1++)                                              \
                for (int i2 = 0; i2 < d_[2]; i2++)                                          \
                    for (int i3 = 0; i3 < d_[3]; i3++, xi++) {                              \
                        long yi = i0 * st_[0] + i1 * st_[1] + i2 * st_[2] + i3 * st_[3];    \
                        __VA_ARGS__;                                                        \
                    }                                                                       \
    } while (0)

static void swap_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    //: $\bar x_{\dots i \dots j \dots} \mathrel{+}= \bar y_{\dots j \dots i \dots}$
    FOR_SWAPPED(x, y->iparam[0], y->iparam[1], ad_acc(x->grad, dt, xi, ad_ld(y->grad, dt, yi)));
}

AdTensor *ad_swap_axes(AdArena *arena, AdTensor *a, int ax1, int ax2) {
    int p = ad_norm_axis("ad_swap_axes", a, ax1), q = ad_norm_axis("ad_swap_axes", a, ax2);
    int shape[AD_MAX_DIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[p] = a->shape[q];
    shape[q] = a->shape[p];
    AdTensor *y = ad_op_out(arena, "ad_swap_axes", a->ndim, shape, swap_backward, a, NULL, NULL);
    y->iparam[0] = p;
    y->iparam[1] = q;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    FOR_SWAPPED(a, p, q, ad_st(y->data, dt, yi, ad_ld(a->data, dt, xi)));
    return y;
}

AdTensor *ad_transpose(AdArena *arena, AdTensor *a) {
    ad_expect_ndim("ad_transpose", a, 2);
    return ad_swap_axes(arena, a, 0, 1);
}

/* ---- concat along an axis: inputs viewed as (outer, len_k, inner) ---- */

static void concat_backward(AdTensor *y) {
    AdTensor **xs = y->aux;
    int n = y->iparam[0], ax = y->iparam[1];
    AdDtype dt = y->dtype;
    long outer = ad_prod(y->shape, 0, ax), inner = ad_prod(y->shape, ax + 1, y->ndim);
    long ylen = y->shape[ax], start = 0;
    for (int k = 0; k < n; k++) {
        long len = xs[k]->shape[ax];
        if (ad_wants_grad(xs[k]))
            //: $\bar x^{(k)}_{o,j,i} \mathrel{+}= \bar y_{o,\,s_k + j,\,i}$
            for (long o = 0; o < outer; o++)
                for (long e = 0; e < len * inner; e++)
                    ad_acc(xs[k]->grad, dt, o * len * inner + e,
                           ad_ld(y->grad, dt, (o * ylen + start) * inner + e));
        start += len;
    }
}

AdTensor *ad_concat(AdArena *arena, AdTensor **xs, int n, int axis) {
    if (n < 1) die("ad_concat: no inputs");
    int ax = ad_norm_axis("ad_concat", xs[0], axis);
    int shape[AD_MAX_DIM];
    memcpy(shape, xs[0]->shape, sizeof shape);
    for (int k = 1; k < n; k++) {
        int ok = xs[k]->ndim == xs[0]->ndim;
        for (int i = 0; ok && i < xs[0]->ndim; i++)
            if (i != ax && xs[k]->shape[i] != xs[0]->shape[i]) ok = 0;
        if (!ok) {
            char s0[64], sk[64];
            die("ad_concat: input %d has shape %s, incompatible with %s along axis %d", k,
                ad_shape_str(xs[k], sk, sizeof sk), ad_shape_str(xs[0], s0, sizeof s0), ax);
        }
        shape[ax] += xs[k]->shape[ax];
    }
    AdTensor *y = ad_op_out_n(arena, "ad_concat", xs[0]->ndim, shape, concat_backward, xs, n);
    AdTensor **saved = ad_arena_alloc(arena, (size_t)n * sizeof *saved);
    for (int k = 0; k < n; k++) saved[k] = ad_arena_input(arena, xs[k]);
    y->aux = saved;
    y->iparam[0] = n;
    y->iparam[1] = ax;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long outer = ad_prod(shape, 0, ax), inner = ad_prod(shape, ax + 1, y->ndim);
    long ylen = shape[ax], start = 0;
    size_t es = ad_dtype_size(dt);
    for (int k = 0; k < n; k++) {
        long len = xs[k]->shape[ax];
        //: $y_{o,\,s_k + j,\,i} = x^{(k)}_{o,j,i}$, $s_k = \sum_{l<k} \mathrm{len}_l$
        for (long o = 0; o < outer; o++)
            memcpy((char *)y->data + ((o * ylen + start) * inner) * (long)es,
                   (char *)xs[k]->data + o * len * inner * (long)es, (size_t)(len * inner) * es);
        start += len;
    }
    return y;
}

/* ---- slice [start, end) along an axis ---- */

static void slice_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    int ax = y->iparam[0], start = y->iparam[1];
    AdDtype dt = y->dtype;
    long outer = ad_prod(x->shape, 0, ax), inner = ad_prod(x->shape, ax + 1, x->ndim);
    long xlen = x->shape[ax], len = y->shape[ax];
    //: $\bar x_{o,\,s + j,\,i} \mathrel{+}= \bar y_{o,j,i}$
    for (long o = 0; o < outer; o++)
        for (long e = 0; e < len * inner; e++)
            ad_acc(x->grad, dt, (o * xlen + start) * inner + e, ad_ld(y->grad, dt, o * len * inner + e));
}

AdTensor *ad_slice(AdArena *arena, AdTensor *a, int axis, int start, int end) {
    int ax = ad_norm_axis("ad_slice", a, axis);
    if (start < 0 || end > a->shape[ax] || start >= end) {
        char s[64];
        die("ad_slice: range [%d,%d) invalid for axis %d of shape %s", start, end, ax,
            ad_shape_str(a, s, sizeof s));
    }
    int shape[AD_MAX_DIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[ax] = end - start;
    AdTensor *y = ad_op_out(arena, "ad_slice", a->ndim, shape, slice_backward, a, NULL, NULL);
    y->iparam[0] = ax;
    y->iparam[1] = start;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    long outer = ad_prod(a->shape, 0, ax), inner = ad_prod(a->shape, ax + 1, a->ndim);
    long xlen = a->shape[ax], len = end - start;
    size_t es = ad_dtype_size(a->dtype);
    //: $y_{o,j,i} = x_{o,\,s + j,\,i}$
    for (long o = 0; o < outer; o++)
        memcpy((char *)y->data + o * len * inner * (long)es,
               (char *)a->data + (o * xlen + start) * inner * (long)es, (size_t)(len * inner) * es);
    return y;
}
