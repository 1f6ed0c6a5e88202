/* The fast float32 path of common/ad against the double reference, with a stated bound.

   For an op that is linear in each input (matmul, linear, conv2d, conv_transpose2d), every
   output or gradient element is a sum of L products, formed in float32 with at most L + 2
   roundings per product on its way to the result (the GEMM's block sums, the bias, the col2im or
   batch accumulation). Standard error analysis then gives, for the float32 result v32 and the
   double result v64 on the same (float-exact) inputs,
       |v32 - v64| <= gamma_K * M,   K = 2 (L + 2),   gamma_K = K u / (1 - K u),  u = 2^-24,
   where M is the same element computed with every input replaced by its absolute value (which
   this test obtains by running the double op on |x|, |w|, |b| and the weighting |r|). The test
   reports max |v32 - v64| / (gamma_K M) over each output and gradient, which must be <= 1.
   The shapes are odd on purpose: padding edges, stride 2, kernels larger than the stride, a
   transposed convolution whose windows overlap, k across several GEMM blocks.

   It also checks the transposed convolution's forward pass against a plain scatter loop written
   here from its definition (in double), and that a convolution and a transposed convolution
   large enough to be split over threads (one image per thread) give bit-identical values and
   gradients with 1 and 2 threads.

   SiLU and sigmoid in float32 run on the vectorised e^x of common/vec_math.h (within 1.22 ulp of
   e^x; checks/unit/test_vec_math).
   With u = 2^-24, sigma = 1/(1 + e^{-x}) then carries a relative error below 3.3u (e^x, the sum,
   the division), and x sigma one more rounding: |y32 - y64| <= 4u |y64| + 4e-37 (the constant:
   below x = -88.7 e^{-x} overflows in float and SiLU returns -0 instead of a value under 4e-37
   in magnitude). Their gradients, sigma (1 + x (1 - sigma)) gy and sigma (1 - sigma) gy, lose
   up to 3.3u |x| in 1 - sigma: |gx32 - gx64| <= 8u (1 + |x|) |gy| (with gy float-exact). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/conv_direct.h"
#include "common/gemm.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

typedef AdTensor *(*OpFn)(AdArena *arena, AdTensor **p, const int *ip);

typedef struct {
    const char *name;
    OpFn fn;
    int nparams;
    int ndim[3];
    int shape[3][4];
    int ip[2];     /* stride, pad */
    long L_out;    /* products summed into one output element */
    long L_grad[3];/* products summed into one gradient element of each input */
} Case;

static AdTensor *op_linear(AdArena *a, AdTensor **p, const int *ip) {
    (void)ip;
    return ad_linear(a, p[0], p[1], p[2]);
}
static AdTensor *op_matmul(AdArena *a, AdTensor **p, const int *ip) {
    (void)ip;
    return ad_matmul(a, p[0], p[1]);
}
static AdTensor *op_conv(AdArena *a, AdTensor **p, const int *ip) {
    return ad_conv2d(a, p[0], p[1], p[2], ip[0], ip[1]);
}
static AdTensor *op_convt(AdArena *a, AdTensor **p, const int *ip) {
    return ad_conv_transpose2d(a, p[0], p[1], p[2], ip[0], ip[1]);
}
static AdTensor *op_silu(AdArena *a, AdTensor **p, const int *ip) {
    (void)ip;
    return ad_silu(a, p[0]);
}
static AdTensor *op_sigmoid(AdArena *a, AdTensor **p, const int *ip) {
    (void)ip;
    return ad_sigmoid(a, p[0]);
}

/* L for each case: written out from the shapes (x, w, b). */
static const Case cases[] = {
    /* x (37,53) W (53,29) b (29): y sums 53 (+bias); dx sums 29; dW, db sum 37 */
    {"linear_37x53x29", op_linear, 3, {2, 2, 1}, {{37, 53}, {53, 29}, {29}}, {0, 0}, 54, {29, 37, 37}},
    /* (3,7,300)@(3,300,11): y sums 300 (two GEMM blocks); dA sums 11; dB sums 7 */
    {"matmul_batched_3x7x300x11", op_matmul, 2, {3, 3}, {{3, 7, 300}, {3, 300, 11}}, {0, 0}, 300, {11, 7, 0}},
    /* x (3,5,11,9) w (7,5,3,3) s1 p1: y sums 45 (+bias); dx <= 7*9; dW, db sum 3*11*9 */
    {"conv2d_s1_p1_odd", op_conv, 3, {4, 4, 1}, {{3, 5, 11, 9}, {7, 5, 3, 3}, {7}}, {1, 1}, 46, {63, 297, 297}},
    /* x (2,4,13,10) w (6,4,3,3) s2 p1 -> 7x5: y sums 36; dx <= 54; dW, db sum 2*35 */
    {"conv2d_s2_p1_odd", op_conv, 3, {4, 4, 1}, {{2, 4, 13, 10}, {6, 4, 3, 3}, {6}}, {2, 1}, 37, {54, 70, 70}},
    /* x (2,3,7,8) w (5,3,5,5) s2 p2 -> 4x4: y sums 75; dx <= 125; dW sums 32 */
    {"conv2d_k5_s2_p2", op_conv, 2, {4, 4}, {{2, 3, 7, 8}, {5, 3, 5, 5}}, {2, 2}, 75, {125, 32, 0}},
    /* x (2,6,7,7) w (6,4,4,4) s2 p1 -> 14x14: y <= 6*16 (+bias); dx sums 64; dW sums 98; db 392 */
    {"conv_transpose2d_k4_s2_p1", op_convt, 3, {4, 4, 1}, {{2, 6, 7, 7}, {6, 4, 4, 4}, {4}}, {2, 1}, 97, {64, 98, 392}},
    /* x (1,3,5,4) w (3,5,3,3) s2 p0 -> 11x9: y <= 27; dx sums 45; dW sums 20 */
    {"conv_transpose2d_k3_s2_p0_odd", op_convt, 2, {4, 4}, {{1, 3, 5, 4}, {3, 5, 3, 3}}, {2, 0}, 27, {45, 20, 0}},
    /* 1x1, stride 1, no padding (the column matrix is the image): x (3,6,5,7) w (9,6,1,1): y sums
       6 (+bias); dx sums 9; dW, db sum 3*5*7 */
    {"conv2d_1x1_pointwise", op_conv, 3, {4, 4, 1}, {{3, 6, 5, 7}, {9, 6, 1, 1}, {9}}, {1, 0}, 7, {9, 105, 105}},
    /* a channel-heavy case: x (2,40,6,5) w (64,40,3,3): y sums 360 (two GEMM blocks) */
    {"conv2d_c40_s1_p1", op_conv, 3, {4, 4, 1}, {{2, 40, 6, 5}, {64, 40, 3, 3}, {64}}, {1, 1}, 361, {576, 60, 60}},
    /* the direct route's shapes (common/conv_direct.h): 28x28 = 49 vectors (an odd count: the
       last pair has a spare), 13 -> 11 channels (a block of 8 and one of 3): y sums 117 (+bias);
       dx <= 99; dW, db sum 3*784 */
    {"conv2d_direct_28x28", op_conv, 3, {4, 4, 1}, {{3, 13, 28, 28}, {11, 13, 3, 3}, {11}}, {1, 1}, 118, {99, 2352, 2352}},
    /* 7x7: 49 positions in 4 vectors (the last with one lane); 20 -> 9 channels: y sums 180;
       dx <= 81; dW sums 98 */
    {"conv2d_direct_7x7", op_conv, 2, {4, 4}, {{2, 20, 7, 7}, {9, 20, 3, 3}}, {1, 1}, 180, {81, 98, 0}},
    /* one row of 5: every tap off the middle row reads padding; y <= 27 (+bias); dx <= 36 */
    {"conv2d_direct_1x5", op_conv, 3, {4, 4, 1}, {{2, 3, 1, 5}, {4, 3, 3, 3}, {4}}, {1, 1}, 28, {36, 10, 10}},
};

static double gamma_k(long k) {
    const double u = ldexp(1.0, -24);
    return k * u / (1.0 - k * u);
}

/* Runs loss = sum(r * op(p)) and its backward in the given arena; returns y. */
static AdTensor *run(AdArena *arena, const Case *c, AdTensor **p, const double *r) {
    ad_arena_reset(arena);
    ad_zero_grad(p, c->nparams);
    AdTensor *y = c->fn(arena, p, c->ip);
    AdTensor *rt = ad_from_doubles(arena, y->dtype, y->ndim, y->shape, r);
    ad_backward(arena, ad_sum(arena, ad_mul(arena, y, rt)));
    return y;
}

/* max over i of |v32_i - v64_i| / (gamma * mag_i) (0/0 counts as 0) */
static double worst_ratio(long n, double (*get)(const AdTensor *, long), const AdTensor *t32,
                          const AdTensor *t64, const AdTensor *tmag, double g) {
    double w = 0;
    for (long i = 0; i < n; i++) {
        double d = fabs(get(t32, i) - get(t64, i)), m = g * get(tmag, i);
        if (d > 0) w = fmax(w, m > 0 ? d / m : INFINITY);
    }
    return w;
}

/* The transposed convolution from its definition: each input pixel scatters its kernel. */
static void convt_naive(const AdTensor *x, const AdTensor *w, const AdTensor *b, int s, int pad,
                        double *y, int ho, int wo) {
    int n = x->shape[0], ci = x->shape[1], h = x->shape[2], wd = x->shape[3];
    int co = w->shape[1], kh = w->shape[2], kw = w->shape[3];
    for (int a = 0; a < n; a++)
        for (int o = 0; o < co; o++)
            for (long q = 0; q < (long)ho * wo; q++)
                y[((long)a * co + o) * ho * wo + q] = b ? ad_get(b, o) : 0.0;
    for (int a = 0; a < n; a++)
        for (int c = 0; c < ci; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < wd; j++) {
                    double xv = ad_get(x, (((long)a * ci + c) * h + i) * wd + j);
                    for (int o = 0; o < co; o++)
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++) {
                                int oh = s * i - pad + u, ow = s * j - pad + v;
                                if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                                y[(((long)a * co + o) * ho + oh) * wo + ow] +=
                                    xv * ad_get(w, (((long)c * co + o) * kh + u) * kw + v);
                            }
                }
}

static double get_val(const AdTensor *t, long i) { return ad_get(t, i); }

/* Case ci on the current convolution route: float32 output and gradients against double within
   gamma_K of the absolute sums (ids end in `suffix`), a transposed convolution's double forward
   against the definition. */
static void check_case(const Cli *cli, int ci, const char *suffix, AdArena *a32, AdArena *a64,
                       AdArena *amag) {
    const Case *c = &cases[ci];
    Rng rng;
    rng_init(&rng, cli->seed, (uint64_t)ci);
    AdTensor *p32[3] = {NULL}, *p64[3] = {NULL}, *pmag[3] = {NULL};
    for (int k = 0; k < c->nparams; k++) {
        p32[k] = ad_param_new(AD_F32, c->ndim[k], c->shape[k]);
        p64[k] = ad_param_new(AD_F64, c->ndim[k], c->shape[k]);
        pmag[k] = ad_param_new(AD_F64, c->ndim[k], c->shape[k]);
        for (long i = 0; i < p32[k]->size; i++) {
            double v = (float)rng_normal(&rng); /* float-exact inputs */
            ad_set(p32[k], i, v);
            ad_set(p64[k], i, v);
            ad_set(pmag[k], i, fabs(v));
        }
    }
    /* the output size, from a forward pass without gradients */
    ad_arena_reset(a64);
    AdTensor *probe = c->fn(a64, p64, c->ip);
    long ny = probe->size;
    double *r = xmalloc((size_t)ny * sizeof(double)), *rabs = xmalloc((size_t)ny * sizeof(double));
    for (long i = 0; i < ny; i++) {
        r[i] = (float)rng_normal(&rng);
        rabs[i] = fabs(r[i]);
    }
    AdTensor *y32 = run(a32, c, p32, r), *y64 = run(a64, c, p64, r),
             *ymag = run(amag, c, pmag, rabs);
    char id[128];
    snprintf(id, sizeof id, "common.ad.f32_bound_%s%s_y", c->name, suffix);
    check_le(id, worst_ratio(ny, get_val, y32, y64, ymag, gamma_k(2 * (c->L_out + 2))), 1.0, 0,
             NULL, "%s%s: float32 output vs double, max |diff| / (gamma_K sum|.|), K = 2(L+2), L = %ld",
             c->name, suffix, c->L_out);
    for (int k = 0; k < c->nparams; k++) {
        double w = 0, g = gamma_k(2 * (c->L_grad[k] + 2));
        for (long i = 0; i < p32[k]->size; i++) {
            double d = fabs(ad_grad_get(p32[k], i) - ad_grad_get(p64[k], i));
            double m = g * ad_grad_get(pmag[k], i);
            if (d > 0) w = fmax(w, m > 0 ? d / m : INFINITY);
        }
        snprintf(id, sizeof id, "common.ad.f32_bound_%s%s_grad%d", c->name, suffix, k);
        check_le(id, w, 1.0, 0, NULL,
                 "%s%s: float32 gradient of input %d vs double, max |diff| / (gamma_K sum|.|), L = %ld",
                 c->name, suffix, k, c->L_grad[k]);
    }
    if (c->fn == op_convt) {
        /* forward against the definition, in double */
        double *yn = xmalloc((size_t)ny * sizeof(double)), err = 0, scale = 0;
        convt_naive(p64[0], p64[1], c->nparams > 2 ? p64[2] : NULL, c->ip[0], c->ip[1], yn,
                    y64->shape[2], y64->shape[3]);
        for (long i = 0; i < ny; i++) {
            err = fmax(err, fabs(ad_get(y64, i) - yn[i]));
            scale = fmax(scale, fabs(yn[i]));
        }
        snprintf(id, sizeof id, "common.ad.conv_transpose2d_vs_scatter_%s", c->name);
        check_le(id, err / scale, 1e-14, 0, "common.ad.conv_transpose2d",
                 "%s: double forward vs a plain scatter loop from the definition, max |diff| / max |y|",
                 c->name);
        free(yn);
    }
    free(r);
    free(rabs);
    for (int k = 0; k < c->nparams; k++) {
        ad_tensor_free(p32[k]);
        ad_tensor_free(p64[k]);
        ad_tensor_free(pmag[k]);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "float32 fast path of common/ad vs the double reference (stated bound)", 17, NULL);
    int ncases = (int)(sizeof cases / sizeof cases[0]);
    AdArena *a32 = ad_arena_new(1 << 16), *a64 = ad_arena_new(1 << 16),
            *amag = ad_arena_new(1 << 16);
    /* Every case on the automatic route (3x3 stride-1 padding-1 float32 convolutions run on the
       direct kernels where the processor has AVX-512); where they do, those cases again through
       im2col and the GEMM (choosing the AVX2 kernel turns the direct route off), ids ending in
       _im2col. */
    printf("float32 3x3 stride-1 convolutions: %s\n",
           conv_direct_available() ? "direct kernels (AVX-512); the im2col route is checked as well"
                                   : "im2col + GEMM (no AVX-512 direct kernels here)");
    for (int ci = 0; ci < ncases; ci++) check_case(&cli, ci, "", a32, a64, amag);
    if (conv_direct_available() && gemm_force_kernel("avx2")) {
        for (int ci = 0; ci < ncases; ci++) {
            const Case *c = &cases[ci];
            if (c->fn == op_conv && conv_direct_fits(c->shape[1][2], c->shape[1][3], c->ip[0], c->ip[1]))
                check_case(&cli, ci, "_im2col", a32, a64, amag);
        }
        gemm_force_kernel("auto");
    }

    /* SiLU and sigmoid: the bounds stated at the top, on x spread over [-30, 30] plus the ends
       of the float range of e^x (float-exact inputs, so only the op's own roundings count). */
    for (int which = 0; which < 2; which++) {
        const int n = 40000, shape[1] = {n};
        Rng rng;
        rng_init(&rng, cli.seed, 2000 + (uint64_t)which);
        AdTensor *x32 = ad_param_new(AD_F32, 1, shape), *x64 = ad_param_new(AD_F64, 1, shape);
        double *r = xmalloc((size_t)n * sizeof(double));
        const double ends[8] = {-200, -104, -89, -88, -87, 0, 88, 89};
        for (int i = 0; i < n; i++) {
            double v = i < 8 ? ends[i] : (float)(30.0 * (2.0 * rng_uniform(&rng) - 1.0));
            if (i % 7 == 1) v = (float)(v * 1e-3); /* near 0 too */
            ad_set(x32, i, v);
            ad_set(x64, i, v);
            r[i] = (float)rng_normal(&rng);
        }
        Case c = {which ? "sigmoid" : "silu", which ? op_sigmoid : op_silu, 1, {1}, {{n}}, {0, 0},
                  0, {0}};
        AdTensor *p32[1] = {x32}, *p64[1] = {x64};
        AdTensor *y32 = run(a32, &c, p32, r), *y64 = run(a64, &c, p64, r);
        const double u = ldexp(1.0, -24);
        double wy = 0, wg = 0;
        for (int i = 0; i < n; i++) {
            const double xv = ad_get(x64, i), yv = ad_get(y64, i);
            wy = fmax(wy, fabs(ad_get(y32, i) - yv) / (4 * u * fabs(yv) + 4e-37));
            const double gd = fabs(ad_grad_get(x32, i) - ad_grad_get(x64, i));
            const double gb = 8 * u * (1 + fabs(xv)) * fabs(r[i]);
            if (gd > 0) wg = fmax(wg, gb > 0 ? gd / gb : INFINITY);
        }
        char id[96];
        snprintf(id, sizeof id, "common.ad.f32_bound_%s_y", c.name);
        check_le(id, wy, 1.0, 0, NULL,
                 "%s float32 (vectorised e^x) vs double: max |diff| / (4u |y| + 4e-37)", c.name);
        snprintf(id, sizeof id, "common.ad.f32_bound_%s_grad0", c.name);
        check_le(id, wg, 1.0, 0, NULL,
                 "%s float32 gradient vs double: max |diff| / (8u (1 + |x|) |gy|)", c.name);
        free(r);
        ad_tensor_free(x32);
        ad_tensor_free(x64);
    }

    /* Threads: a convolution big enough for the GEMM to split (64 x 784 x 288 per image); the
       same at stride 1 (the direct kernels where they run: one image per thread, the weight
       gradient split by (channel block, channel, kernel row)); a transposed convolution. */
    for (int variant = 0; variant < 3; variant++) {
        const int transposed = variant == 2, stride = variant == 1 ? 1 : 2;
        int xs[4] = {2, 32, 28, 28}, ws[4] = {64, 32, 3, 3}, bs[1] = {64};
        if (transposed) { /* (2,32,14,14) -> (2,64,28,28), weights (32,64,4,4) */
            xs[2] = xs[3] = 14;
            ws[0] = 32;
            ws[1] = 64;
            ws[2] = ws[3] = 4;
        }
        Rng rng;
        rng_init(&rng, cli.seed, 1000);
        AdTensor *p[3] = {ad_param_new(AD_F32, 4, xs), ad_param_new(AD_F32, 4, ws),
                          ad_param_new(AD_F32, 1, bs)};
        for (int k = 0; k < 3; k++)
            for (long i = 0; i < p[k]->size; i++) ad_set(p[k], i, rng_normal(&rng));
        Case c = {"threads", transposed ? op_convt : op_conv, 3, {4, 4, 1}, {{0}}, {stride, 1}, 0,
                  {0, 0, 0}};
        long ny = transposed || stride == 1 ? 2L * 64 * 28 * 28 : 2L * 64 * 14 * 14;
        double *r = xmalloc((size_t)ny * sizeof(double));
        for (long i = 0; i < ny; i++) r[i] = rng_normal(&rng);
        float *saved[4];
        int same = 1;
        for (int t = 1; t <= 2; t++) {
            par_set_threads(t);
            AdTensor *y = run(a32, &c, p, r);
            float *now[4] = {y->data, p[0]->grad, p[1]->grad, p[2]->grad};
            long sz[4] = {y->size, p[0]->size, p[1]->size, p[2]->size};
            for (int k = 0; k < 4; k++) {
                if (t == 1) {
                    saved[k] = xmalloc((size_t)sz[k] * sizeof(float));
                    memcpy(saved[k], now[k], (size_t)sz[k] * sizeof(float));
                } else {
                    same &= memcmp(saved[k], now[k], (size_t)sz[k] * sizeof(float)) == 0;
                    free(saved[k]);
                }
            }
        }
        par_set_threads(cli.threads);
        if (variant == 0)
            check_true("common.ad.f32_conv_threads_identical", same,
                       "conv2d (2,32,28,28) * (64,32,3,3) stride 2: value and gradients with 1 and 2 "
                       "threads bit-identical");
        else if (variant == 1)
            check_true("common.ad.f32_conv_s1_threads_identical", same,
                       "conv2d (2,32,28,28) * (64,32,3,3) stride 1 padding 1 (%s): value and "
                       "gradients with 1 and 2 threads bit-identical",
                       conv_direct_available() ? "direct kernels" : "im2col");
        else
            check_true("common.ad.f32_convt_threads_identical", same,
                       "conv_transpose2d (2,32,14,14) * (32,64,4,4) stride 2: value and gradients "
                       "with 1 and 2 threads bit-identical");
        free(r);
        for (int k = 0; k < 3; k++) ad_tensor_free(p[k]);
    }
    ad_arena_free(a32);
    ad_arena_free(a64);
    ad_arena_free(amag);
    return check_end();
}
