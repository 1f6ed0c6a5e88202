/*: # ad_conv — 2-D convolution (NCHW input, OIHW weights)

$$ y_{n,o,h,w} = b_o + \sum_{c,i,j} W_{o,c,i,j}\; x_{n,c,\,sh + i - p,\, sw + j - p} $$ {#eq:common.ad.conv2d}
with stride $s$, zero padding $p$, output size $H_o = \lfloor (H + 2p - k_h)/s \rfloor + 1$.

It is computed as a matrix product. For one image, the *column matrix* $X^{col}$ of shape
$(C k_h k_w,\ H_o W_o)$ holds in column $(h,w)$ the input patch seen by output pixel $(h,w)$
(zeros where it falls in the padding). Then, with $W$ viewed as $(O,\ C k_h k_w)$,
$$ Y_n = W X^{col}_n + b\mathbf 1^\top,\qquad
   \bar W \mathrel{+}= \bar Y_n (X^{col}_n)^\top,\qquad
   \bar X^{col}_n = W^\top \bar Y_n,\qquad \bar b_o \mathrel{+}= \textstyle\sum_{h,w} \bar Y_{n,o,h,w}, $$
and $\bar x$ gathers $\bar X^{col}$ back ("col2im": each input pixel receives the sum over every
patch that contains it). The column matrix of one image is rebuilt in the backward pass rather
than kept for the whole batch, so the extra memory is that of one image.
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

typedef struct {
    int n, c, h, w, o, kh, kw, stride, pad, ho, wo;
} ConvDims;
_Static_assert(sizeof(ConvDims) <= 64, "ConvDims fits the 64-byte head of aux");

/* col (C*kh*kw, ho*wo) from image x_n (C,H,W); padding reads as 0. */
static void im2col(const ConvDims *d, AdDtype dt, const void *x, void *col) {
    long p = (long)d->ho * d->wo, row = 0;
    for (int c = 0; c < d->c; c++)
        for (int i = 0; i < d->kh; i++)
            for (int j = 0; j < d->kw; j++, row++)
                for (int oh = 0; oh < d->ho; oh++) {
                    int ih = oh * d->stride + i - d->pad;
                    for (int ow = 0; ow < d->wo; ow++) {
                        int iw = ow * d->stride + j - d->pad;
                        double v = (ih >= 0 && ih < d->h && iw >= 0 && iw < d->w)
                                       ? ad_ld(x, dt, ((long)c * d->h + ih) * d->w + iw)
                                       : 0.0;
                        ad_st(col, dt, row * p + (long)oh * d->wo + ow, v);
                    }
                }
}

/* x_n += col2im(dcol): the adjoint of im2col. */
static void col2im_acc(const ConvDims *d, AdDtype dt, const void *dcol, void *gx) {
    long p = (long)d->ho * d->wo, row = 0;
    for (int c = 0; c < d->c; c++)
        for (int i = 0; i < d->kh; i++)
            for (int j = 0; j < d->kw; j++, row++)
                for (int oh = 0; oh < d->ho; oh++) {
                    int ih = oh * d->stride + i - d->pad;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int ow = 0; ow < d->wo; ow++) {
                        int iw = ow * d->stride + j - d->pad;
                        if (iw < 0 || iw >= d->w) continue;
                        ad_acc(gx, dt, ((long)c * d->h + ih) * d->w + iw,
                               ad_ld(dcol, dt, row * p + (long)oh * d->wo + ow));
                    }
                }
}

static void conv_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const ConvDims *d = y->aux;
    AdDtype dt = y->dtype;
    long ck = (long)d->c * d->kh * d->kw, p = (long)d->ho * d->wo;
    void *col = (char *)y->aux + 64;
    void *colt = ad_elem_ptr(col, dt, ck * p);
    void *dcol = ad_elem_ptr(colt, dt, ck * p);
    for (int n = 0; n < d->n; n++) {
        void *gy = ad_elem_ptr(y->grad, dt, (long)n * d->o * p);
        if (ad_wants_grad(b))
            //: $\bar b_o \mathrel{+}= \sum_{h,w} \bar Y_{n,o,h,w}$
            for (int o = 0; o < d->o; o++) {
                double s = 0;
                for (long q = 0; q < p; q++) s += ad_ld(gy, dt, o * p + q);
                ad_acc(b->grad, dt, o, s);
            }
        if (ad_wants_grad(w)) {
            //: $\bar W \mathrel{+}= \bar Y_n (X^{col}_n)^\top$
            im2col(d, dt, ad_elem_ptr(x->data, dt, (long)n * d->c * d->h * d->w), col);
            ad_transpose_into(dt, colt, col, (int)ck, (int)p);
            ad_gemm_nn(dt, w->grad, gy, colt, d->o, (int)p, (int)ck);
        }
        if (ad_wants_grad(x)) {
            //: $\bar X^{col}_n = W^\top \bar Y_n$, then $\bar x_n \mathrel{+}= \mathrm{col2im}(\bar X^{col}_n)$
            memset(dcol, 0, (size_t)(ck * p) * ad_dtype_size(dt));
            ad_gemm_tn(dt, dcol, w->data, gy, d->o, (int)ck, (int)p);
            col2im_acc(d, dt, dcol, ad_elem_ptr(x->grad, dt, (long)n * d->c * d->h * d->w));
        }
    }
}

AdTensor *ad_conv2d(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b, int stride,
                    int pad) {
    char sx[64], sw[64];
    if (x->ndim != 4 || w->ndim != 4 || x->shape[1] != w->shape[1] || stride < 1 || pad < 0 ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[0])))
        die("ad_conv2d: x %s, w %s%s, stride %d, pad %d do not fit (want x (N,C,H,W), "
            "w (O,C,kh,kw), b (O))", ad_shape_str(x, sx, sizeof sx), ad_shape_str(w, sw, sizeof sw),
            b ? " with a bias" : "", stride, pad);
    ConvDims d = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2],
                  w->shape[3], stride, pad, 0, 0};
    d.ho = (d.h + 2 * pad - d.kh) / stride + 1;
    d.wo = (d.w + 2 * pad - d.kw) / stride + 1;
    if (d.h + 2 * pad < d.kh || d.w + 2 * pad < d.kw)
        die("ad_conv2d: kernel %dx%d larger than the padded input of x %s", d.kh, d.kw,
            ad_shape_str(x, sx, sizeof sx));
    int shape[4] = {d.n, d.o, d.ho, d.wo};
    AdTensor *y = ad_op_out(arena, "ad_conv2d", 4, shape, conv_backward, x, w, b);
    AdDtype dt = y->dtype;
    long ck = (long)d.c * d.kh * d.kw, p = (long)d.ho * d.wo;
    /* aux: the dims (64 bytes), then scratch: col, and for backward colT and dcol. */
    int nscratch = y->grad ? 3 : 1;
    y->aux = ad_arena_alloc(arena, 64 + (size_t)(nscratch * ck * p) * ad_dtype_size(dt));
    memcpy(y->aux, &d, sizeof d);
    void *col = (char *)y->aux + 64;
    for (int n = 0; n < d.n; n++) {
        void *yn = ad_elem_ptr(y->data, dt, (long)n * d.o * p);
        for (int o = 0; o < d.o && b; o++)
            for (long q = 0; q < p; q++) ad_st(yn, dt, o * p + q, ad_get(b, o));
        //: $Y_n = b\mathbf 1^\top + W X^{col}_n$
        im2col(&d, dt, ad_elem_ptr(x->data, dt, (long)n * d.c * d.h * d.w), col);
        ad_gemm_nn(dt, yn, w->data, col, d.o, (int)ck, (int)p);
    }
    return y;
}
