/*: # ad_norm — group normalisation

For $x$ of shape $(N, C, \dots)$ split into $G$ groups of $C/G$ channels, each (sample, group)
block of $m$ values is standardised and then scaled and shifted per channel:
$$ \mu = \tfrac1m \textstyle\sum x,\quad \sigma^2 = \tfrac1m \sum (x-\mu)^2,\quad
   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y = \gamma_c\, \hat x + \beta_c . $$ {#eq:common.ad.group_norm}
The backward pass through the standardisation (with $r = (\sigma^2+\epsilon)^{-1/2}$ and
$\bar{\hat x} = \gamma_c\,\bar y$, means over the block) is
$$ \bar x = r\,\big(\bar{\hat x} - \overline{\bar{\hat x}} - \hat x\;\overline{\bar{\hat x}\,\hat x}\big), $$ {#eq:common.ad.group_norm_grad}
the two subtracted means being the gradient paths through $\mu$ and through $\sigma^2$.
*/
#include <math.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* Block sums in double over 8 interleaved partial sums (element e goes to sum e mod 8, the eight
   then added pairwise): eight independent addition chains instead of one, so the loop is not
   bound by the latency of one addition; the order is fixed by the shapes alone. */
#define DEFINE_GN_SUMS(T, SUF)                                                                 \
    static inline double gn_sum_##SUF(const T *x, long n) {                                    \
        double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                \
        long e = 0;                                                                            \
        for (; e + 8 <= n; e += 8)                                                             \
            for (int q = 0; q < 8; q++) a[q] += x[e + q];                                      \
        for (; e < n; e++) a[e % 8] += x[e];                                                   \
        return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));              \
    }                                                                                          \
    static inline double gn_sum_dev2_##SUF(const T *x, long n, double mu) {                    \
        double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                \
        long e = 0;                                                                            \
        for (; e + 8 <= n; e += 8)                                                             \
            for (int q = 0; q < 8; q++) {                                                      \
                const double d = x[e + q] - mu;                                                \
                a[q] += d * d;                                                                 \
            }                                                                                  \
        for (; e < n; e++) {                                                                   \
            const double d = x[e] - mu;                                                        \
            a[e % 8] += d * d;                                                                 \
        }                                                                                      \
        return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));              \
    }                                                                                          \
    /* *sy = sum gy, *syx = sum gy (x - mu) r */                                               \
    static inline void gn_sum_back_##SUF(const T *xs, const T *gs, long n, double mu, double r, \
                                         double *sy, double *syx) {                            \
        double a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};                                       \
        long e = 0;                                                                            \
        for (; e + 4 <= n; e += 4)                                                             \
            for (int q = 0; q < 4; q++) {                                                      \
                const double xh = (xs[e + q] - mu) * r;                                        \
                a[q] += gs[e + q];                                                             \
                b[q] += gs[e + q] * xh;                                                        \
            }                                                                                  \
        for (; e < n; e++) {                                                                   \
            const double xh = (xs[e] - mu) * r;                                                \
            a[e % 4] += gs[e];                                                                 \
            b[e % 4] += gs[e] * xh;                                                            \
        }                                                                                      \
        *sy = (a[0] + a[1]) + (a[2] + a[3]);                                                   \
        *syx = (b[0] + b[1]) + (b[2] + b[3]);                                                  \
    }
DEFINE_GN_SUMS(float, f32)
DEFINE_GN_SUMS(double, f64)

/* The per-block work is compiled for AVX-512 and AVX2 as well as the baseline (picked at run
   time): the same operations in the same order on wider registers, so the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GN_KERNEL __attribute__((optimize("O3"), target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define GN_KERNEL
#endif

/* Typed loops (float and double, one macro); statistics and the block means of the backward pass
   are accumulated in double, in a fixed order. The (sample, group) blocks are independent, so
   they run in parallel; the parameter gradients are first summed per (sample, channel) into
   scratch and then over the samples in order, so no result depends on the thread count. */
#define DEFINE_GN(T, SUF)                                                                      \
    /* block blk = (sample n, group gi) of m = cg s values from base */                        \
    GN_KERNEL static void gn_forward_block_##SUF(const T *x, T *y, const T *w, const T *b,     \
                                                 double *stats, int blk, int c, int groups,    \
                                                 long s, double eps) {                         \
        const int cg = c / groups, n = blk / groups, gi = blk % groups;                        \
        const long m = (long)cg * s, base = ((long)n * c + (long)gi * cg) * s;                 \
        /* $\mu = \frac1m \sum x$ */                                                          \
        const double mu = gn_sum_##SUF(x + base, m) / (double)m;                               \
        /* $\sigma^2 = \frac1m \sum (x - \mu)^2$ (two passes: no cancellation) */             \
        const double var = gn_sum_dev2_##SUF(x + base, m, mu) / (double)m;                     \
        const double r = 1.0 / sqrt(var + eps);                                                \
        stats[2 * blk] = mu;                                                                   \
        stats[2 * blk + 1] = r;                                                                \
        /* $y = \gamma_c\,(x - \mu)\,r + \beta_c$ */                                          \
        for (int k = 0; k < cg; k++) {                                                         \
            const int ch = gi * cg + k;                                                        \
            const double a = w ? w[ch] * r : r, o = (b ? b[ch] : 0.0) - a * mu;                \
            const T *xs = x + base + (long)k * s;                                              \
            T *ys = y + base + (long)k * s;                                                    \
            for (long e = 0; e < s; e++) ys[e] = (T)(a * xs[e] + o);                           \
        }                                                                                      \
    }                                                                                          \
    static void gn_forward_##SUF(const T *x, T *y, const T *w, const T *b, double *stats,      \
                                 int nb, int c, int groups, long s, double eps) {              \
        _Pragma("omp parallel for schedule(static) if ((long)nb * c * s > 32768)")             \
        for (int blk = 0; blk < nb * groups; blk++)                                            \
            gn_forward_block_##SUF(x, y, w, b, stats, blk, c, groups, s, eps);                 \
    }                                                                                          \
    GN_KERNEL static void gn_backward_block_##SUF(const T *x, const T *gy, T *gx, const T *w,  \
                                                  const double *stats, double *pg, double *pb, \
                                                  int blk, int c, int groups, long s) {        \
        const int cg = c / groups, n = blk / groups, gi = blk % groups;                        \
        const long m = (long)cg * s, base = ((long)n * c + (long)gi * cg) * s;                 \
        const double mu = stats[2 * blk], r = stats[2 * blk + 1];                              \
        double mean_dxh = 0, mean_dxh_xh = 0;                                                  \
        for (int k = 0; k < cg; k++) {                                                         \
            const int ch = gi * cg + k;                                                        \
            const T *xs = x + base + (long)k * s, *gs = gy + base + (long)k * s;               \
            double sy, syx;                                                                    \
            gn_sum_back_##SUF(xs, gs, s, mu, r, &sy, &syx);                                    \
            /* $\bar\gamma_c \mathrel{+}= \sum \bar y\,\hat x,\quad \bar\beta_c \mathrel{+}= \sum \bar y$ (per sample here) */ \
            pg[(long)n * c + ch] = syx;                                                        \
            pb[(long)n * c + ch] = sy;                                                         \
            const double wc = w ? w[ch] : 1.0;                                                 \
            mean_dxh += wc * sy;                                                               \
            mean_dxh_xh += wc * syx;                                                           \
        }                                                                                      \
        mean_dxh /= (double)m;                                                                 \
        mean_dxh_xh /= (double)m;                                                              \
        if (!gx) return;                                                                       \
        /* $\bar x = r\,(\bar{\hat x} - \overline{\bar{\hat x}} - \hat x\,\overline{\bar{\hat x}\hat x})$ */ \
        for (int k = 0; k < cg; k++) {                                                         \
            const int ch = gi * cg + k;                                                        \
            const double wc = w ? w[ch] : 1.0;                                                 \
            const T *xs = x + base + (long)k * s, *gs = gy + base + (long)k * s;               \
            T *gxs = gx + base + (long)k * s;                                                  \
            for (long e = 0; e < s; e++) {                                                     \
                const double xh = (xs[e] - mu) * r;                                            \
                gxs[e] += (T)(r * (wc * gs[e] - mean_dxh - xh * mean_dxh_xh));                 \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void gn_backward_##SUF(const T *x, const T *gy, T *gx, const T *w,                  \
                                  const double *stats, double *pg, double *pb, int nb, int c,  \
                                  int groups, long s) {                                        \
        _Pragma("omp parallel for schedule(static) if ((long)nb * c * s > 32768)")             \
        for (int blk = 0; blk < nb * groups; blk++)                                            \
            gn_backward_block_##SUF(x, gy, gx, w, stats, pg, pb, blk, c, groups, s);           \
    }
DEFINE_GN(float, f32)
DEFINE_GN(double, f64)

/* aux: mean and r per (n, g) (2*N*G doubles), then per-(n, channel) sums (2*N*C doubles).
   iparam: groups. dparam: eps. */
static void group_norm_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *gamma = y->in[1], *beta = y->in[2];
    AdDtype dt = y->dtype;
    const double *stats = y->aux;
    int nb = x->shape[0], c = x->shape[1], g = y->iparam[0];
    long s = ad_prod(x->shape, 2, x->ndim);
    double *pg = (double *)y->aux + 2L * nb * g, *pb = pg + (long)nb * c;
    void *gx = ad_wants_grad(x) ? x->grad : NULL;
    if (dt == AD_F32)
        gn_backward_f32(x->data, y->grad, gx, gamma ? gamma->data : NULL, stats, pg, pb, nb, c, g, s);
    else
        gn_backward_f64(x->data, y->grad, gx, gamma ? gamma->data : NULL, stats, pg, pb, nb, c, g, s);
    //: $\bar\gamma_c \mathrel{+}= \sum_n \sum \bar y\,\hat x,\quad \bar\beta_c \mathrel{+}= \sum_n \sum \bar y$ (samples in order)
    for (int ch = 0; ch < c; ch++) {
        double sg = 0, sb = 0;
        for (int n = 0; n < nb; n++) {
            sg += pg[(long)n * c + ch];
            sb += pb[(long)n * c + ch];
        }
        if (ad_wants_grad(gamma)) ad_acc(gamma->grad, dt, ch, sg);
        if (ad_wants_grad(beta)) ad_acc(beta->grad, dt, ch, sb);
    }
}

AdTensor *ad_group_norm(AdArena *arena, AdTensor *x, int groups, AdTensor *weight,
                        AdTensor *bias, double eps) {
    char sx[64];
    if (x->ndim < 2 || groups < 1 || x->shape[1] % groups)
        die("ad_group_norm: x %s cannot be split into %d groups along axis 1",
            ad_shape_str(x, sx, sizeof sx), groups);
    int c = x->shape[1];
    AdTensor *affine[2] = {weight, bias};
    for (int i = 0; i < 2; i++)
        if (affine[i] && (affine[i]->ndim != 1 || affine[i]->shape[0] != c)) {
            char sa[64];
            die("ad_group_norm: %s %s does not match the %d channels of x %s",
                i ? "bias" : "weight", ad_shape_str(affine[i], sa, sizeof sa), c,
                ad_shape_str(x, sx, sizeof sx));
        }
    AdTensor *y = ad_op_out_nz(arena, "ad_group_norm", x->ndim, x->shape, group_norm_backward, x,
                            weight, bias);
    y->iparam[0] = groups;
    y->dparam[0] = eps;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    int nb = x->shape[0];
    long s = ad_prod(x->shape, 2, x->ndim);
    double *stats = ad_arena_alloc(arena, sizeof(double) * 2 * ((size_t)nb * groups + (size_t)nb * c));
    y->aux = stats;
    if (dt == AD_F32)
        gn_forward_f32(x->data, y->data, weight ? weight->data : NULL, bias ? bias->data : NULL,
                       stats, nb, c, groups, s, eps);
    else
        gn_forward_f64(x->data, y->data, weight ? weight->data : NULL, bias ? bias->data : NULL,
                       stats, nb, c, groups, s, eps);
    return y;
}
