/*: # ad_pool — average pooling and nearest-neighbour upsampling (NCHW)

Both act on each (n, c) plane separately and are adjoint to each other up to a factor:
average pooling over $k\times k$ windows, $y_{h,w} = k^{-2}\sum_{i,j<k} x_{kh+i,\,kw+j}$,
spreads $\bar y_{h,w}/k^2$ back over its window; nearest upsampling by $f$,
$y_{h,w} = x_{\lfloor h/f\rfloor,\lfloor w/f\rfloor}$, sums $\bar y$ over each $f\times f$ block.
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* iparam[0]: k. */
static void avg_pool_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    int k = y->iparam[0], ho = y->shape[2], wo = y->shape[3], h = x->shape[2], w = x->shape[3];
    long planes = (long)y->shape[0] * y->shape[1];
    double inv = 1.0 / ((double)k * k);
    //: $\bar x_{kh+i,\,kw+j} \mathrel{+}= \bar y_{h,w} / k^2$
    for (long pl = 0; pl < planes; pl++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                double g = inv * ad_ld(y->grad, dt, (pl * ho + oh) * wo + ow);
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        ad_acc(x->grad, dt, (pl * h + oh * k + i) * w + ow * k + j, g);
            }
}

AdTensor *ad_avg_pool2d(AdArena *arena, AdTensor *x, int k) {
    char s[64];
    if (x->ndim != 4 || k < 1 || x->shape[2] % k || x->shape[3] % k)
        die("ad_avg_pool2d: x %s cannot be pooled by %d (want (N,C,H,W) with H, W divisible)",
            ad_shape_str(x, s, sizeof s), k);
    int h = x->shape[2], w = x->shape[3], ho = h / k, wo = w / k;
    int shape[4] = {x->shape[0], x->shape[1], ho, wo};
    AdTensor *y = ad_op_out_nz(arena, "ad_avg_pool2d", 4, shape, avg_pool_backward, x, NULL, NULL);
    y->iparam[0] = k;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long planes = (long)shape[0] * shape[1];
    double inv = 1.0 / ((double)k * k);
    //: $y_{h,w} = k^{-2} \sum_{i,j<k} x_{kh+i,\,kw+j}$
    for (long pl = 0; pl < planes; pl++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                double sum = 0;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        sum += ad_ld(x->data, dt, (pl * h + oh * k + i) * w + ow * k + j);
                ad_st(y->data, dt, (pl * ho + oh) * wo + ow, sum * inv);
            }
    return y;
}

/* iparam[0]: factor. */
static void upsample_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    int f = y->iparam[0], h = x->shape[2], w = x->shape[3], ho = y->shape[2], wo = y->shape[3];
    long planes = (long)x->shape[0] * x->shape[1];
    //: $\bar x_{h,w} \mathrel{+}= \sum_{i,j<f} \bar y_{fh+i,\,fw+j}$
    if (dt == AD_F32) { /* the same additions in the same order, without the index divisions */
        float *gx = x->grad;
        const float *gy = y->grad;
        for (long pl = 0; pl < planes; pl++)
            for (int ih = 0; ih < h; ih++)
                for (int i = 0; i < f; i++) {
                    const float *row = gy + (pl * ho + (long)ih * f + i) * wo;
                    float *dst = gx + (pl * h + ih) * w;
                    for (int iw = 0; iw < w; iw++)
                        for (int j = 0; j < f; j++) dst[iw] += row[iw * f + j];
                }
        return;
    }
    for (long pl = 0; pl < planes; pl++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
                ad_acc(x->grad, dt, (pl * h + oh / f) * w + ow / f,
                       ad_ld(y->grad, dt, (pl * ho + oh) * wo + ow));
}

AdTensor *ad_upsample_nearest2d(AdArena *arena, AdTensor *x, int factor) {
    char s[64];
    if (x->ndim != 4 || factor < 1)
        die("ad_upsample_nearest2d: x %s, factor %d (want (N,C,H,W), factor >= 1)",
            ad_shape_str(x, s, sizeof s), factor);
    int h = x->shape[2], w = x->shape[3], ho = h * factor, wo = w * factor;
    int shape[4] = {x->shape[0], x->shape[1], ho, wo};
    AdTensor *y = ad_op_out_nz(arena, "ad_upsample_nearest2d", 4, shape, upsample_backward, x, NULL,
                            NULL);
    y->iparam[0] = factor;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long planes = (long)shape[0] * shape[1];
    //: $y_{h,w} = x_{\lfloor h/f\rfloor,\,\lfloor w/f\rfloor}$
    if (dt == AD_F32) { /* one output row per input row, then its copies */
        const float *xs = x->data;
        float *ys = y->data;
        for (long pl = 0; pl < planes; pl++)
            for (int ih = 0; ih < h; ih++) {
                float *row = ys + (pl * ho + (long)ih * factor) * wo;
                const float *src = xs + (pl * h + ih) * w;
                for (int iw = 0; iw < w; iw++)
                    for (int j = 0; j < factor; j++) row[iw * factor + j] = src[iw];
                for (int i = 1; i < factor; i++) memcpy(row + (long)i * wo, row, (size_t)wo * sizeof *row);
            }
        return y;
    }
    for (long pl = 0; pl < planes; pl++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
                ad_st(y->data, dt, (pl * ho + oh) * wo + ow,
                      ad_ld(x->data, dt, (pl * h + oh / factor) * w + ow / factor));
    return y;
}

/* Max pooling, $y_{h,w} = \max_{i,j<k} x_{kh+i,\,kw+j}$: the gradient $\bar y_{h,w}$ goes to the
   window's first maximum (row-major), whose flat index is kept in aux. iparam[0]: k. */
static void max_pool_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    const long *argmax = y->aux;
    //: $\bar x_{\arg\max} \mathrel{+}= \bar y_{h,w}$
    for (long o = 0; o < y->size; o++) ad_acc(x->grad, y->dtype, argmax[o], ad_ld(y->grad, y->dtype, o));
}

AdTensor *ad_max_pool2d(AdArena *arena, AdTensor *x, int k) {
    char s[64];
    if (x->ndim != 4 || k < 1 || x->shape[2] % k || x->shape[3] % k)
        die("ad_max_pool2d: x %s cannot be pooled by %d (want (N,C,H,W) with H, W divisible)",
            ad_shape_str(x, s, sizeof s), k);
    int h = x->shape[2], w = x->shape[3], ho = h / k, wo = w / k;
    int shape[4] = {x->shape[0], x->shape[1], ho, wo};
    AdTensor *y = ad_op_out(arena, "ad_max_pool2d", 4, shape, max_pool_backward, x, NULL, NULL);
    y->iparam[0] = k;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    long *argmax = y->requires_grad ? ad_arena_alloc(arena, (size_t)y->size * sizeof(long)) : NULL;
    y->aux = argmax;
    AdDtype dt = y->dtype;
    long planes = (long)shape[0] * shape[1];
    //: $y_{h,w} = \max_{i,j<k} x_{kh+i,\,kw+j}$
    for (long pl = 0; pl < planes; pl++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                long best = (pl * h + oh * k) * w + ow * k;
                double m = ad_ld(x->data, dt, best);
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        long idx = (pl * h + oh * k + i) * w + ow * k + j;
                        double v = ad_ld(x->data, dt, idx);
                        if (v > m || (v != v && m == m)) m = v, best = idx;
                    }
                long o = (pl * ho + oh) * wo + ow;
                ad_st(y->data, dt, o, m);
                if (argmax) argmax[o] = best;
            }
    return y;
}
