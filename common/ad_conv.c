/*: # ad_conv — 2-D convolution and transposed convolution (NCHW input)

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

**Transposed convolution** (`ad_conv_transpose2d`, weights $(C_{in}, C_{out}, k_h, k_w)$ as in
PyTorch) is the adjoint of the convolution above read backwards: the map $x \mapsto y$ with
$$ y_n = \mathrm{col2im}\big(W^\top x_n\big) + b\mathbf 1^\top, \qquad
   H_o = (H - 1)s - 2p + k_h , $$ {#eq:common.ad.conv_transpose2d}
i.e. every input pixel scatters $W_{c,:,:,:}\,x_{n,c,h,w}$ into the $k_h\times k_w$ window at
$(sh - p, sw - p)$. Its backward pass is a convolution: with $\bar Y^{col}_n = \mathrm{im2col}(\bar y_n)$,
$\bar x_n \mathrel{+}= W \bar Y^{col}_n$ and $\bar W \mathrel{+}= x_n (\bar Y^{col}_n)^\top$.
Both ops share the im2col / col2im pair, whose geometry is that of the forward convolution
($C_{out}$ channels of size $H_o \times W_o$ mapped to $C_{in}$ channels of size $H \times W$).

**Speed.** The gather/scatter loops are typed (float and double, one macro), the products run
on `ad_gemm` (float32: common/gemm.h). Images are processed in order, each product split over
threads by output tiles, so gradients summed over the batch do not depend on the thread count.
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

typedef struct {
    int n, c, h, w, o, kh, kw, stride, pad, ho, wo;
} ConvDims;
_Static_assert(sizeof(ConvDims) <= 64, "ConvDims fits the 64-byte head of aux");

/* im2col: col (C*kh*kw, ho*wo) from image x_n (C,H,W), padding reads as 0.
   col2im_acc: x_n += col2im(dcol), the adjoint. bias_fill: y (O,P) = b; bias_sum: gb += row sums. */
#define DEFINE_CONV_LOOPS(T, SUF)                                                              \
    static void im2col_##SUF(const ConvDims *d, const T *x, T *col) {                          \
        long p = (long)d->ho * d->wo, row = 0;                                                 \
        for (int c = 0; c < d->c; c++)                                                         \
            for (int i = 0; i < d->kh; i++)                                                    \
                for (int j = 0; j < d->kw; j++, row++) {                                       \
                    T *dst = col + row * p;                                                    \
                    for (int oh = 0; oh < d->ho; oh++, dst += d->wo) {                         \
                        int ih = oh * d->stride + i - d->pad;                                  \
                        if (ih < 0 || ih >= d->h) {                                            \
                            for (int ow = 0; ow < d->wo; ow++) dst[ow] = 0;                    \
                            continue;                                                          \
                        }                                                                      \
                        const T *src = x + ((long)c * d->h + ih) * d->w;                       \
                        for (int ow = 0; ow < d->wo; ow++) {                                   \
                            int iw = ow * d->stride + j - d->pad;                              \
                            dst[ow] = (iw >= 0 && iw < d->w) ? src[iw] : (T)0;                 \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void col2im_acc_##SUF(const ConvDims *d, const T *dcol, T *gx) {                    \
        long p = (long)d->ho * d->wo, row = 0;                                                 \
        for (int c = 0; c < d->c; c++)                                                         \
            for (int i = 0; i < d->kh; i++)                                                    \
                for (int j = 0; j < d->kw; j++, row++) {                                       \
                    const T *src = dcol + row * p;                                             \
                    for (int oh = 0; oh < d->ho; oh++, src += d->wo) {                         \
                        int ih = oh * d->stride + i - d->pad;                                  \
                        if (ih < 0 || ih >= d->h) continue;                                    \
                        T *dst = gx + ((long)c * d->h + ih) * d->w;                            \
                        for (int ow = 0; ow < d->wo; ow++) {                                   \
                            int iw = ow * d->stride + j - d->pad;                              \
                            if (iw >= 0 && iw < d->w) dst[iw] += src[ow];                      \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void bias_fill_##SUF(T *y, const T *b, int o, long p) {                             \
        for (int k = 0; k < o; k++)                                                            \
            for (long q = 0; q < p; q++) y[k * p + q] = b[k];                                  \
    }                                                                                          \
    static void bias_sum_##SUF(T *gb, const T *gy, int o, long p) {                            \
        for (int k = 0; k < o; k++) {                                                          \
            T s = 0;                                                                           \
            for (long q = 0; q < p; q++) s += gy[k * p + q];                                   \
            gb[k] += s;                                                                        \
        }                                                                                      \
    }
DEFINE_CONV_LOOPS(float, f32)
DEFINE_CONV_LOOPS(double, f64)

static void im2col(const ConvDims *d, AdDtype dt, const void *x, void *col) {
    if (dt == AD_F32) im2col_f32(d, x, col);
    else im2col_f64(d, x, col);
}
static void col2im_acc(const ConvDims *d, AdDtype dt, const void *dcol, void *gx) {
    if (dt == AD_F32) col2im_acc_f32(d, dcol, gx);
    else col2im_acc_f64(d, dcol, gx);
}
static void bias_fill(AdDtype dt, void *y, const void *b, int o, long p) {
    if (dt == AD_F32) bias_fill_f32(y, b, o, p);
    else bias_fill_f64(y, b, o, p);
}
static void bias_sum(AdDtype dt, void *gb, const void *gy, int o, long p) {
    if (dt == AD_F32) bias_sum_f32(gb, gy, o, p);
    else bias_sum_f64(gb, gy, o, p);
}

/* ---------------------------------------------------------------------------------------- */
/* conv2d                                                                                     */

static void conv_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const ConvDims *d = y->aux;
    AdDtype dt = y->dtype;
    long ck = (long)d->c * d->kh * d->kw, p = (long)d->ho * d->wo;
    void *col = (char *)y->aux + 64;
    void *dcol = ad_elem_ptr(col, dt, ck * p);
    for (int n = 0; n < d->n; n++) {
        void *gy = ad_elem_ptr(y->grad, dt, (long)n * d->o * p);
        if (ad_wants_grad(b))
            //: $\bar b_o \mathrel{+}= \sum_{h,w} \bar Y_{n,o,h,w}$
            bias_sum(dt, b->grad, gy, d->o, p);
        if (ad_wants_grad(w)) {
            //: $\bar W \mathrel{+}= \bar Y_n (X^{col}_n)^\top$
            im2col(d, dt, ad_elem_ptr(x->data, dt, (long)n * d->c * d->h * d->w), col);
            ad_gemm(dt, 0, 1, d->o, (int)ck, (int)p, gy, p, col, p, w->grad, ck);
        }
        if (ad_wants_grad(x)) {
            //: $\bar X^{col}_n = W^\top \bar Y_n$, then $\bar x_n \mathrel{+}= \mathrm{col2im}(\bar X^{col}_n)$
            memset(dcol, 0, (size_t)(ck * p) * ad_dtype_size(dt));
            ad_gemm(dt, 1, 0, (int)ck, (int)p, d->o, w->data, ck, gy, p, dcol, p);
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
    /* aux: the dims (64 bytes), then scratch: col, and for backward dcol. */
    int nscratch = y->grad ? 2 : 1;
    y->aux = ad_arena_alloc(arena, 64 + (size_t)(nscratch * ck * p) * ad_dtype_size(dt));
    memcpy(y->aux, &d, sizeof d);
    void *col = (char *)y->aux + 64;
    for (int n = 0; n < d.n; n++) {
        void *yn = ad_elem_ptr(y->data, dt, (long)n * d.o * p);
        if (b) bias_fill(dt, yn, b->data, d.o, p);
        //: $Y_n = b\mathbf 1^\top + W X^{col}_n$
        im2col(&d, dt, ad_elem_ptr(x->data, dt, (long)n * d.c * d.h * d.w), col);
        ad_gemm(dt, 0, 0, d.o, (int)p, (int)ck, w->data, ck, col, p, yn, p);
    }
    return y;
}

/* ---------------------------------------------------------------------------------------- */
/* conv_transpose2d. aux holds the dims of the adjoint convolution (see the prose above):
   c = C_out, h,w = output size, o = C_in, ho,wo = input size.                                */

static void convt_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const ConvDims *d = y->aux;
    AdDtype dt = y->dtype;
    long ck = (long)d->c * d->kh * d->kw, p = (long)d->ho * d->wo, pout = (long)d->h * d->w;
    void *col = (char *)y->aux + 64;
    for (int n = 0; n < d->n; n++) {
        void *gy = ad_elem_ptr(y->grad, dt, (long)n * d->c * pout);
        if (ad_wants_grad(b))
            //: $\bar b_o \mathrel{+}= \sum_{h,w} \bar y_{n,o,h,w}$
            bias_sum(dt, b->grad, gy, d->c, pout);
        if (!ad_wants_grad(w) && !ad_wants_grad(x)) continue;
        //: $\bar Y^{col}_n = \mathrm{im2col}(\bar y_n)$
        im2col(d, dt, gy, col);
        if (ad_wants_grad(w))
            //: $\bar W \mathrel{+}= x_n (\bar Y^{col}_n)^\top$
            ad_gemm(dt, 0, 1, d->o, (int)ck, (int)p, ad_elem_ptr(x->data, dt, (long)n * d->o * p),
                    p, col, p, w->grad, ck);
        if (ad_wants_grad(x))
            //: $\bar x_n \mathrel{+}= W \bar Y^{col}_n$
            ad_gemm(dt, 0, 0, d->o, (int)p, (int)ck, w->data, ck, col, p,
                    ad_elem_ptr(x->grad, dt, (long)n * d->o * p), p);
    }
}

AdTensor *ad_conv_transpose2d(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b, int stride,
                              int pad) {
    char sx[64], sw[64];
    if (x->ndim != 4 || w->ndim != 4 || x->shape[1] != w->shape[0] || stride < 1 || pad < 0 ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[1])))
        die("ad_conv_transpose2d: x %s, w %s%s, stride %d, pad %d do not fit (want x "
            "(N,Cin,H,W), w (Cin,Cout,kh,kw), b (Cout))", ad_shape_str(x, sx, sizeof sx),
            ad_shape_str(w, sw, sizeof sw), b ? " with a bias" : "", stride, pad);
    int kh = w->shape[2], kw = w->shape[3];
    int hout = (x->shape[2] - 1) * stride - 2 * pad + kh, wout = (x->shape[3] - 1) * stride - 2 * pad + kw;
    if (hout < 1 || wout < 1)
        die("ad_conv_transpose2d: output %dx%d is empty for x %s, w %s, stride %d, pad %d", hout,
            wout, ad_shape_str(x, sx, sizeof sx), ad_shape_str(w, sw, sizeof sw), stride, pad);
    ConvDims d = {x->shape[0], w->shape[1], hout, wout, w->shape[0], kh, kw, stride, pad,
                  x->shape[2], x->shape[3]};
    int shape[4] = {d.n, d.c, hout, wout};
    AdTensor *y = ad_op_out(arena, "ad_conv_transpose2d", 4, shape, convt_backward, x, w, b);
    AdDtype dt = y->dtype;
    long ck = (long)d.c * kh * kw, p = (long)d.ho * d.wo, pout = (long)hout * wout;
    y->aux = ad_arena_alloc(arena, 64 + (size_t)(ck * p) * ad_dtype_size(dt));
    memcpy(y->aux, &d, sizeof d);
    void *col = (char *)y->aux + 64;
    for (int n = 0; n < d.n; n++) {
        void *yn = ad_elem_ptr(y->data, dt, (long)n * d.c * pout);
        if (b) bias_fill(dt, yn, b->data, d.c, pout);
        //: $y_n = b\mathbf 1^\top + \mathrm{col2im}(W^\top x_n)$, [eq:common.ad.conv_transpose2d]
        memset(col, 0, (size_t)(ck * p) * ad_dtype_size(dt));
        ad_gemm(dt, 1, 0, (int)ck, (int)p, d.o, w->data, ck,
                ad_elem_ptr(x->data, dt, (long)n * d.o * p), p, col, p);
        col2im_acc(&d, dt, col, yn);
    }
    return y;
}
