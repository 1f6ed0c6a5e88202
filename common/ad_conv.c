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

**Speed.** A float32 convolution with a 3x3 kernel, stride 1 and padding 1 (every convolution
of the Tiny U-Net's residual blocks) runs on the direct kernels of common/conv_direct.h where the
processor has AVX-512: no column matrix at all, each tap a shifted masked load (the forward
pass, $\bar x$ with the flipped kernel, $\bar W$). Everything else takes the route below.
The gather/scatter loops are typed (float and double, one macro), the products run
on `ad_gemm` (float32: common/gemm.h). The forward pass and $\bar x$ are independent per image:
images run in parallel, one per thread, each with its own column matrix (small enough to stay in
the caches), and the product accumulates straight into the image's output (no zeroing, no
copy). $\bar W$ and $\bar b$ are sums over the batch: $\bar W$ is one product per chunk of
images, split over threads by output tiles, chunks in order; $\bar b$ is split over channels,
images in order. So no result depends on the thread count.
*/
#include <string.h>

#include "common/ad_internal.h"
#include "common/conv_direct.h"
#include "common/gemm.h"
#include "common/parallel.h"
#include "common/util.h"

typedef struct {
    int n, c, h, w, o, kh, kw, stride, pad, ho, wo, chunk, team;
    int direct; /* float32 3x3 stride-1 padding-1 on AVX-512: common/conv_direct.h */
} ConvDims;
_Static_assert(sizeof(ConvDims) <= 64, "ConvDims fits the 64-byte head of aux");

/* im2col: columns of image x_n (C,H,W) into col (C*kh*kw rows of row stride ld), padding reads
   as 0. col2im_acc: x_n += col2im(dcol), the adjoint. gather: dst (O, g*P) from g images of
   src (.., O, P). bias_sum: gb += row sums.
   Valid output columns of a kernel tap are computed once per row, so the inner loops are plain
   copies (stride 1) or strided copies (stride 2) with no per-element bounds test. */
#define DEFINE_CONV_LOOPS(T, SUF)                                                              \
    static void tap_range(const ConvDims *d, int j, int *lo, int *hi) {                        \
        int a = 0, b = d->wo; /* ow with 0 <= ow*s + j - pad < w */                            \
        while (a < b && a * d->stride + j - d->pad < 0) a++;                                   \
        while (b > a && (b - 1) * d->stride + j - d->pad >= d->w) b--;                         \
        *lo = a;                                                                               \
        *hi = b;                                                                               \
    }                                                                                          \
    static void im2col_##SUF(const ConvDims *d, const T *x, T *col, long ld, int c0, int c1) { \
        long row = (long)c0 * d->kh * d->kw;                                                   \
        for (int c = c0; c < c1; c++)                                                          \
            for (int i = 0; i < d->kh; i++)                                                    \
                for (int j = 0; j < d->kw; j++, row++) {                                       \
                    int lo, hi;                                                                \
                    tap_range(d, j, &lo, &hi);                                                 \
                    T *dst = col + row * ld;                                                   \
                    for (int oh = 0; oh < d->ho; oh++, dst += d->wo) {                         \
                        int ih = oh * d->stride + i - d->pad;                                  \
                        if (ih < 0 || ih >= d->h) {                                            \
                            for (int ow = 0; ow < d->wo; ow++) dst[ow] = 0;                    \
                            continue;                                                          \
                        }                                                                      \
                        const T *src = x + ((long)c * d->h + ih) * d->w;                       \
                        const long sh = j - d->pad;                                            \
                        for (int ow = 0; ow < lo; ow++) dst[ow] = 0;                           \
                        if (d->stride == 1)                                                    \
                            memcpy(dst + lo, src + lo + sh, (size_t)(hi - lo) * sizeof(T));    \
                        else                                                                   \
                            for (int ow = lo; ow < hi; ow++) dst[ow] = src[(long)ow * d->stride + sh]; \
                        for (int ow = hi; ow < d->wo; ow++) dst[ow] = 0;                       \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void col2im_acc_##SUF(const ConvDims *d, const T *dcol, long ld, T *gx) {           \
        long row = 0;                                                                          \
        for (int c = 0; c < d->c; c++)                                                         \
            for (int i = 0; i < d->kh; i++)                                                    \
                for (int j = 0; j < d->kw; j++, row++) {                                       \
                    int lo, hi;                                                                \
                    tap_range(d, j, &lo, &hi);                                                 \
                    const T *src = dcol + row * ld;                                            \
                    for (int oh = 0; oh < d->ho; oh++, src += d->wo) {                         \
                        int ih = oh * d->stride + i - d->pad;                                  \
                        if (ih < 0 || ih >= d->h) continue;                                    \
                        T *dst = gx + ((long)c * d->h + ih) * d->w;                            \
                        const long sh = j - d->pad;                                            \
                        if (d->stride == 1) {                                                  \
                            T *dd = dst + sh;                                                      \
                            _Pragma("omp simd") /* distinct arrays: the adds are independent */ \
                            for (int ow = lo; ow < hi; ow++) dd[ow] += src[ow];                    \
                        } else {                                                               \
                            for (int ow = lo; ow < hi; ow++) dst[(long)ow * d->stride + sh] += src[ow]; \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void gather_##SUF(const T *src, int g, int o, long p, T *dst) {                     \
        for (int k = 0; k < o; k++)                                                            \
            for (int i = 0; i < g; i++)                                                        \
                memcpy(dst + ((long)k * g + i) * p, src + ((long)i * o + k) * p,               \
                       (size_t)p * sizeof(T));                                                 \
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
#undef tap_range
#define tap_range tap_range_f64
DEFINE_CONV_LOOPS(double, f64)
#undef tap_range

/* rows of channels [c0, c1) only (all of them: 0, d->c) */
static void im2col_rows(const ConvDims *d, AdDtype dt, const void *x, void *col, long ld, int c0,
                        int c1) {
    if (dt == AD_F32) im2col_f32(d, x, col, ld, c0, c1);
    else im2col_f64(d, x, col, ld, c0, c1);
}
static void im2col(const ConvDims *d, AdDtype dt, const void *x, void *col, long ld) {
    im2col_rows(d, dt, x, col, ld, 0, d->c);
}
static void col2im_acc(const ConvDims *d, AdDtype dt, const void *dcol, long ld, void *gx) {
    if (dt == AD_F32) col2im_acc_f32(d, dcol, ld, gx);
    else col2im_acc_f64(d, dcol, ld, gx);
}
static void gather(AdDtype dt, const void *src, int g, int o, long p, void *dst) {
    if (dt == AD_F32) gather_f32(src, g, o, p, dst);
    else gather_f64(src, g, o, p, dst);
}
static void bias_fill(AdDtype dt, void *y, const void *b, int o, long p) {
    if (dt == AD_F32) bias_fill_f32(y, b, o, p);
    else bias_fill_f64(y, b, o, p);
}
/* gb[k] += sum over images n (in order) of sum_q gy[n][k][q]: split over channels k. */
static void bias_sum_batch(AdDtype dt, void *gb, const void *gy, int nimg, int o, long p) {
#pragma omp parallel for schedule(static) if ((long)nimg * o * p > 65536)
    for (int k = 0; k < o; k++)
        for (int n = 0; n < nimg; n++) {
            const long off = ((long)n * o + k) * p;
            if (dt == AD_F32) bias_sum_f32((float *)gb + k, (const float *)gy + off, 1, p);
            else bias_sum_f64((double *)gb + k, (const double *)gy + off, 1, p);
        }
}

/* A 1x1 convolution with stride 1 and no padding: the column matrix of an image is the image
   itself (C, H W), so the products read x and write x-bar in place, with no im2col / col2im.
   x-bar accumulates straight into the image's gradient only while the product has one k-block
   (float32, O <= GEMM_KC): then it adds the same block sum as the zeroed scratch route, bit for
   bit; the double path keeps the scratch route. */
static int conv_is_pointwise(const ConvDims *d) {
    return d->kh == 1 && d->kw == 1 && d->stride == 1 && d->pad == 0;
}

/* Threads for the per-image loops: one image per thread, at most the batch; 1 inside a parallel
   region (the caller's threads are busy). The work per image never depends on it. */
static int conv_team(int n, long work) {
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
#endif
    int t = par_max_threads();
    if (work < 200000) t = 1;
    return t < 1 ? 1 : t > n ? n : t;
}
/* The team for a backward loop: as in the forward pass, but never more threads than the
   forward pass allotted scratch columns for. */
static int conv_team_back(const ConvDims *d, long work) {
    const int t = conv_team(d->n, work);
    return t < d->team ? t : d->team;
}

/* Images per chunk: the column matrix of a chunk (C k_h k_w, g H_o W_o) holds about 2^18
   elements (1 MB in float: it stays in the second-level cache while the product packs it). It
   depends on the shapes only (never on the thread count), so the order in which the products
   sum over the batch is fixed. */
static int conv_chunk(long ck, long p, int n) {
    long g = (1L << 18) / (ck * p);
    return (int)(g < 1 ? 1 : g > n ? n : g);
}

/* Column matrices of images [n0, n0 + g) side by side: col (ck, g P), from x (N, C, H, W). */
static void im2col_chunk(const ConvDims *d, AdDtype dt, const void *x, int n0, int g, void *col) {
    long p = (long)d->ho * d->wo, img = (long)d->c * d->h * d->w;
    const int units = g * d->c; /* (image, channel) pairs: each writes its own rows */
#pragma omp parallel for schedule(static) if ((long)units * d->kh * d->kw * p > 65536 && units > 1)
    for (int u = 0; u < units; u++) {
        const int i = u / d->c, c = u % d->c;
        im2col_rows(d, dt, ad_elem_ptr((void *)x, dt, (n0 + i) * img), ad_elem_ptr(col, dt, i * p),
                    (long)g * p, c, c + 1);
    }
}

/* W-bar of both convolutions, in chunks of G images: W-bar += F (S^col)^T, where F is `flat`
   (N, o, H_o W_o) gathered into (o, g H_o W_o) and S^col the column matrix (C k_h k_w, g H_o W_o)
   of `spatial` (N, c, h, w) under the dims d. conv2d: flat = Y-bar, spatial = x; the transposed
   convolution (dims of its adjoint): flat = x, spatial = y-bar. Chunks in order, so the sums do
   not depend on the thread count (the product splits its output tiles). */
static void weight_grad_chunks(const ConvDims *d, AdDtype dt, const void *flat,
                               const void *spatial, void *gw, void *scratch) {
    const long ck = (long)d->c * d->kh * d->kw, p = (long)d->ho * d->wo;
    const int G = d->chunk;
    void *col = scratch, *fc = ad_elem_ptr(col, dt, ck * G * p);
    for (int n0 = 0; n0 < d->n; n0 += G) {
        const int g = d->n - n0 < G ? d->n - n0 : G;
        const long gp = g * p;
        gather(dt, (const char *)flat + (long)n0 * d->o * p * (long)ad_dtype_size(dt), g, d->o, p,
               fc);
        im2col_chunk(d, dt, spatial, n0, g, col);
        ad_gemm(dt, 0, 1, d->o, (int)ck, (int)gp, fc, gp, col, gp, gw, ck);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* conv2d. Forward and x-bar per image (parallel over images); W-bar per chunk of images.      */

/* The direct route (3x3, stride 1, padding 1, float32): aux holds the dims, the plan (built by
   conv_aux) and room for the packed weights. */
enum { DIRECT_PLAN_AT = 64, DIRECT_MASKS_AT = 128 };
static ConvDirectPlan conv_direct_plan_of(const AdTensor *y, float **wp) {
    const ConvDims *d = y->aux;
    *wp = (float *)((char *)y->aux + DIRECT_MASKS_AT +
                    (conv_direct_plan_bytes(d->h, d->w) + 63) / 64 * 64);
    return *(const ConvDirectPlan *)((const char *)y->aux + DIRECT_PLAN_AT);
}

static void conv_direct_forward(AdTensor *y, const AdTensor *x, const AdTensor *w,
                                const AdTensor *b) {
    const ConvDims *d = y->aux;
    float *wp;
    const ConvDirectPlan pl = conv_direct_plan_of(y, &wp);
    const long p = (long)d->h * d->w;
    const int nt = d->team;
    conv_direct_pack(d->c, d->o, w->data, 9L * d->c, 9, 0, wp);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < d->n; n++)
        //: $Y_n = b\mathbf 1^\top + W * x_n$, [eq:common.conv_direct.forward]
        conv_direct_image(&pl, d->c, d->o, (const float *)x->data + (long)n * d->c * p,
                          wp, b ? b->data : NULL,
                          (float *)y->data + (long)n * d->o * p, 0);
}

static void conv_direct_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1];
    const ConvDims *d = y->aux;
    float *wp;
    const ConvDirectPlan pl = conv_direct_plan_of(y, &wp);
    const long p = (long)d->h * d->w;
    if (ad_wants_grad(w))
        //: [eq:common.conv_direct.weight_grad]
        conv_direct_weight_grad(&pl, d->n, d->c, d->o, x->data, y->grad, w->grad);
    if (ad_wants_grad(x)) {
        //: the flipped kernel: output channel c, input channel o, tap $8 - t$
        conv_direct_pack(d->o, d->c, w->data, 9, 9L * d->c, 1, wp);
        const int nt = conv_team_back(d, 9L * d->c * p * d->o);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int n = 0; n < d->n; n++)
            //: $\bar x_n \mathrel{+}= \mathrm{flip}(W)^\top * \bar Y_n$, [eq:common.conv_direct.data_grad]
            conv_direct_image(&pl, d->o, d->c, (const float *)y->grad + (long)n * d->o * p,
                              wp, NULL,
                              (float *)x->grad + (long)n * d->c * p, 1);
    }
}

static void conv_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const ConvDims *d = y->aux;
    AdDtype dt = y->dtype;
    long ck = (long)d->c * d->kh * d->kw, p = (long)d->ho * d->wo, img = (long)d->c * d->h * d->w;
    void *scratch = (char *)y->aux + 64;
    if (ad_wants_grad(b))
        //: $\bar b_o \mathrel{+}= \sum_{n,h,w} \bar Y_{n,o,h,w}$
        bias_sum_batch(dt, b->grad, y->grad, d->n, d->o, p);
    if (d->direct) {
        conv_direct_backward(y);
        return;
    }
    if (ad_wants_grad(w))
        //: $\bar W \mathrel{+}= \bar Y_n (X^{col}_n)^\top$, summed over the chunk in one product
        weight_grad_chunks(d, dt, y->grad, x->data, w->grad, scratch);
    if (ad_wants_grad(x)) {
        const int nt = conv_team_back(d, ck * p * d->o);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int n = 0; n < d->n; n++) {
            if (dt == AD_F32 && conv_is_pointwise(d) && d->o <= GEMM_KC) {
                //: $\bar x_n \mathrel{+}= W^\top \bar Y_n$ (the column matrix is the image)
                ad_gemm(dt, 1, 0, (int)ck, (int)p, d->o, w->data, ck,
                        ad_elem_ptr(y->grad, dt, (long)n * d->o * p), p,
                        ad_elem_ptr(x->grad, dt, n * img), p);
                continue;
            }
            void *dcol = ad_elem_ptr(scratch, dt, par_thread_id() * ck * p);
            memset(dcol, 0, (size_t)(ck * p) * ad_dtype_size(dt));
            //: $\bar X^{col}_n = W^\top \bar Y_n$, then $\bar x_n \mathrel{+}= \mathrm{col2im}(\bar X^{col}_n)$
            ad_gemm(dt, 1, 0, (int)ck, (int)p, d->o, w->data, ck,
                    ad_elem_ptr(y->grad, dt, (long)n * d->o * p), p, dcol, p);
            col2im_acc(d, dt, dcol, p, ad_elem_ptr(x->grad, dt, n * img));
        }
    }
}

/* Scratch after the 64-byte dims: per thread one column matrix (forward, x-bar), and for W-bar
   the chunk's column matrix and gathered upstream gradient; the two uses never overlap. The
   direct route keeps its lane-mask plan there instead. */
static void *conv_aux(AdArena *arena, ConvDims *d, AdTensor *y, long ck, long p, int grad_w) {
    AdDtype dt = y->dtype;
    d->chunk = conv_chunk(ck, p, d->n);
    d->team = conv_team(d->n, ck * p * d->o);
    if (d->direct) { /* dims, the plan, its masks, the packed weights (or the flipped ones) */
        _Static_assert(sizeof(ConvDirectPlan) <= DIRECT_MASKS_AT - DIRECT_PLAN_AT, "plan fits");
        const size_t masks = (conv_direct_plan_bytes(d->h, d->w) + 63) / 64 * 64;
        long wf = conv_direct_packed_floats(d->c, d->o), wb = conv_direct_packed_floats(d->o, d->c);
        char *aux = ad_arena_alloc(arena, DIRECT_MASKS_AT + masks +
                                              (size_t)(wf > wb ? wf : wb) * sizeof(float));
        memcpy(aux, d, sizeof *d);
        const ConvDirectPlan pl = conv_direct_plan(d->h, d->w, aux + DIRECT_MASKS_AT);
        memcpy(aux + DIRECT_PLAN_AT, &pl, sizeof pl);
        return aux;
    }
    long scratch = d->team * ck * p, wpart = (ck + d->o) * d->chunk * p;
    if (grad_w && wpart > scratch) scratch = wpart;
    void *aux = ad_arena_alloc(arena, 64 + (size_t)scratch * ad_dtype_size(dt));
    memcpy(aux, d, sizeof *d);
    return aux;
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
                  w->shape[3], stride, pad, 0, 0, 0, 1, 0};
    d.ho = (d.h + 2 * pad - d.kh) / stride + 1;
    d.wo = (d.w + 2 * pad - d.kw) / stride + 1;
    if (d.h + 2 * pad < d.kh || d.w + 2 * pad < d.kw)
        die("ad_conv2d: kernel %dx%d larger than the padded input of x %s", d.kh, d.kw,
            ad_shape_str(x, sx, sizeof sx));
    int shape[4] = {d.n, d.o, d.ho, d.wo};
    AdTensor *y = ad_op_out_nz(arena, "ad_conv2d", 4, shape, conv_backward, x, w, b);
    y->iparam[0] = stride, y->iparam[1] = pad; /* for executors replaying the tape */
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long ck = (long)d.c * d.kh * d.kw, p = (long)d.ho * d.wo, img = (long)d.c * d.h * d.w;
    d.direct = dt == AD_F32 && conv_direct_fits(d.kh, d.kw, stride, pad) && conv_direct_available();
    y->aux = conv_aux(arena, &d, y, ck, p, ad_wants_grad(w));
    if (d.direct) {
        conv_direct_forward(y, x, w, b);
        return y;
    }
    void *scratch = (char *)y->aux + 64;
    const int nt = d.team;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < d.n; n++) {
        void *xn = ad_elem_ptr(x->data, dt, n * img), *col = xn;
        void *yn = ad_elem_ptr(y->data, dt, (long)n * d.o * p);
        if (!conv_is_pointwise(&d)) {
            col = ad_elem_ptr(scratch, dt, par_thread_id() * ck * p);
            im2col(&d, dt, xn, col, p);
        }
        if (b) bias_fill(dt, yn, b->data, d.o, p);
        else memset(yn, 0, (size_t)(d.o * p) * ad_dtype_size(dt));
        //: $Y_n = b\mathbf 1^\top + W X^{col}_n$ (the output holds the bias, the product adds to it)
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
    void *scratch = (char *)y->aux + 64;
    if (ad_wants_grad(b))
        //: $\bar b_o \mathrel{+}= \sum_{n,h,w} \bar y_{n,o,h,w}$
        bias_sum_batch(dt, b->grad, y->grad, d->n, d->c, pout);
    if (ad_wants_grad(w))
        //: $\bar Y^{col}_n = \mathrm{im2col}(\bar y_n)$, $\bar W \mathrel{+}= x_n (\bar Y^{col}_n)^\top$, summed over the chunk in one product
        weight_grad_chunks(d, dt, x->data, y->grad, w->grad, scratch);
    if (ad_wants_grad(x)) {
        const int nt = conv_team_back(d, ck * p * d->o);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int n = 0; n < d->n; n++) {
            void *col = ad_elem_ptr(scratch, dt, par_thread_id() * ck * p);
            im2col(d, dt, ad_elem_ptr(y->grad, dt, n * d->c * pout), col, p);
            //: $\bar x_n \mathrel{+}= W \bar Y^{col}_n$
            ad_gemm(dt, 0, 0, d->o, (int)p, (int)ck, w->data, ck, col, p,
                    ad_elem_ptr(x->grad, dt, (long)n * d->o * p), p);
        }
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
                  x->shape[2], x->shape[3], 0, 1, 0};
    int shape[4] = {d.n, d.c, hout, wout};
    AdTensor *y = ad_op_out_nz(arena, "ad_conv_transpose2d", 4, shape, convt_backward, x, w, b);
    y->iparam[0] = stride, y->iparam[1] = pad; /* for executors replaying the tape */
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long ck = (long)d.c * kh * kw, p = (long)d.ho * d.wo, pout = (long)hout * wout;
    y->aux = conv_aux(arena, &d, y, ck, p, ad_wants_grad(w));
    void *scratch = (char *)y->aux + 64;
    const int nt = d.team;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int n = 0; n < d.n; n++) {
        void *col = ad_elem_ptr(scratch, dt, par_thread_id() * ck * p);
        void *yn = ad_elem_ptr(y->data, dt, (long)n * d.c * pout);
        memset(col, 0, (size_t)(ck * p) * ad_dtype_size(dt));
        //: $W^\top x_n$
        ad_gemm(dt, 1, 0, (int)ck, (int)p, d.o, w->data, ck,
                ad_elem_ptr(x->data, dt, (long)n * d.o * p), p, col, p);
        if (b) bias_fill(dt, yn, b->data, d.c, pout);
        else memset(yn, 0, (size_t)(d.c * pout) * ad_dtype_size(dt));
        //: $y_n = b\mathbf 1^\top + \mathrm{col2im}(W^\top x_n)$, [eq:common.ad.conv_transpose2d]
        col2im_acc(&d, dt, col, p, yn);
    }
    return y;
}
