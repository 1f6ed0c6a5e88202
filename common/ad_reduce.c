/*: # ad_reduce — sums and means over all elements or one axis

A reduction along an axis of length $n$ views the tensor as (outer, n, inner). The sum
$y_{o,i} = \sum_{j} x_{o,j,i}$ has $\partial y_{o,i}/\partial x_{o,j,i} = 1$, so the backward
pass copies $\bar y$ back along the reduced axis; the mean divides by $n$.
*/
#include "common/ad_internal.h"
#include "common/util.h"

/* iparam: outer, n, inner; dparam[0]: factor (1 for sum, 1/n for mean). */
static void reduce_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    long outer = y->iparam[0], n = y->iparam[1], inner = y->iparam[2];
    double c = y->dparam[0];
    //: $\bar x_{o,j,i} \mathrel{+}= c\,\bar y_{o,i}$, $c = 1$ (sum) or $1/n$ (mean)
    for (long o = 0; o < outer; o++)
        for (long j = 0; j < n; j++)
            for (long i = 0; i < inner; i++)
                ad_acc(x->grad, dt, (o * n + j) * inner + i, c * ad_ld(y->grad, dt, o * inner + i));
}

static AdTensor *reduce(AdArena *arena, const char *op, AdTensor *x, long outer, long n,
                        long inner, int ndim, const int *shape, int is_mean) {
    AdTensor *y = ad_op_out(arena, op, ndim, shape, reduce_backward, x, NULL, NULL);
    y->iparam[0] = (int)outer;
    y->iparam[1] = (int)n;
    y->iparam[2] = (int)inner;
    y->dparam[0] = is_mean ? 1.0 / (double)n : 1.0;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    //: $y_{o,i} = c \sum_j x_{o,j,i}$ (summed in increasing $j$)
    for (long o = 0; o < outer; o++)
        for (long i = 0; i < inner; i++) {
            double s = 0;
            for (long j = 0; j < n; j++) s += ad_ld(x->data, dt, (o * n + j) * inner + i);
            ad_st(y->data, dt, o * inner + i, s * y->dparam[0]);
        }
    return y;
}

AdTensor *ad_sum(AdArena *arena, AdTensor *a) {
    return reduce(arena, "ad_sum", a, 1, a->size, 1, 0, NULL, 0);
}
AdTensor *ad_mean(AdArena *arena, AdTensor *a) {
    return reduce(arena, "ad_mean", a, 1, a->size, 1, 0, NULL, 1);
}

static AdTensor *reduce_axis(AdArena *arena, const char *op, AdTensor *a, int axis, int keepdim,
                             int is_mean) {
    int ax = ad_norm_axis(op, a, axis);
    int shape[AD_MAX_DIM], nd = 0;
    for (int i = 0; i < a->ndim; i++) {
        if (i != ax) shape[nd++] = a->shape[i];
        else if (keepdim) shape[nd++] = 1;
    }
    return reduce(arena, op, a, ad_prod(a->shape, 0, ax), a->shape[ax],
                  ad_prod(a->shape, ax + 1, a->ndim), nd, shape, is_mean);
}

AdTensor *ad_sum_axis(AdArena *arena, AdTensor *a, int axis, int keepdim) {
    return reduce_axis(arena, "ad_sum_axis", a, axis, keepdim, 0);
}
AdTensor *ad_mean_axis(AdArena *arena, AdTensor *a, int axis, int keepdim) {
    return reduce_axis(arena, "ad_mean_axis", a, axis, keepdim, 1);
}
