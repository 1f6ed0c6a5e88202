/* test_gpu_ops — every op of the device executor (gpu/gpu_ad.h) against common/ad in f64, in
   the style of ggml's test-backend-ops: several shapes per op (odd sizes 1, 7, 33, 65, 129;
   broadcasting), the forward value and the gradient of every input.

   How a case runs. The inputs are float32 numbers (so both sides start from the same exact
   values); the CPU builds y = op(inputs) and L = sum(y * R) with common/ad in f64 (R a fixed
   random tensor without gradient) and runs the tape; the device builds the same graph with
   gad_* and runs it in one submission. The upstream gradient reaching y is R exactly on both
   sides (sum's backward seeds 1, mul's multiplies by R into a zero gradient: no rounding), so
   each comparison measures the op alone.

   Tolerances, from the precision model (gpu/gpu_precision.h), never from trial. With
   u = 2^-24 and gamma_n = n u / (1 - n u) (Higham, Accuracy and Stability, eq. 3.4):
   - a float32 sum of n products evaluated in any order, fused or not, is within
     gamma_n sum |a_i b_i| of the exact sum: the matmul entries (n = k, plus one for a bias
     or an accumulation into the gradient), the bias gradient, the broadcast gradients;
   - a sum along the fixed tree of 64-element chunks: every leaf goes through at most
     D = sum over levels of the chunk length roundings, so gamma_D sum |x_i|;
   - +, -, * of exact inputs: u |result|; exp, division, tanh, SiLU, sigmoid and the
     activation derivatives: the running bounds (GpErr) of gpu_precision.h, which encode the
     Vulkan specification's ulp table (exp 3 + 2|x| ulp, division 2.5 ulp, sqrt 4.5 ulp);
   - Adam: the same primitives through m, v, sqrt, the division, with the host's rounding of
     the float32 constants (beta1, lr / (1 - beta1^t), ...) counted as input errors.
   The f64 reference is itself rounded (2^-53 relative per operation); a term (n + 2) 2^-53
   sum|terms| covers it. A check passes when every element's error is within its bound; the
   worst ratio error/bound per op is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/optim.h"
#include "common/rng.h"
#include "gpu/gpu_ad.h"
#include "gpu/gpu_precision.h"

/* ---------------------------------------------------------------------------------------- */
/* Bookkeeping: the worst error/bound ratio per op                                           */

enum { OP_MATMUL, OP_LINEAR, OP_ADD, OP_SUB, OP_MUL, OP_RELU, OP_TANH, OP_SIGMOID, OP_SILU,
       OP_SUM, OP_MEAN, OP_MSE, OP_ADAM, OP_CONV2D, OP_GROUP_NORM, OP_CONV_T2D, OP_CONCAT, OP_SLICE, OP_AVG_POOL, OP_UPSAMPLE, OP_SOFTMAX, OP_EMA, OP_EMBEDDING, OP_CLIP, OP_RESHAPE, OP_SWAP, OP_ATTENTION, OP_EXP, OP_LOG, OP_SOFTPLUS, OP_SQRT, OP_SUM_AXIS, OP_DETACH, OP_LOG_SOFTMAX, OP_CROSS_ENTROPY, OP_DIV, OP_SWAP_AXES, OP_COUNT };
static const char *OP_NAME[OP_COUNT] = {"matmul", "linear", "add",  "sub",  "mul",
                                        "relu",   "tanh",   "sigmoid", "silu", "sum",
                                        "mean",   "mse",    "adam", "conv2d", "group_norm", "conv_t2d", "concat", "slice", "avg_pool", "upsample", "softmax", "ema", "embedding", "clip", "reshape", "swap_last2", "attention", "exp", "log", "softplus", "sqrt", "sum_axis", "detach", "log_softmax", "cross_entropy", "div", "swap_axes"};
static double worst_fwd[OP_COUNT], worst_bwd[OP_COUNT];
static int cases[OP_COUNT], failures[OP_COUNT];
static char first_failure[OP_COUNT][160];

static double gam(double n) { return n * GP_U / (1.0 - n * GP_U); }
static double ref_slack(double n, double absum) { return (n + 2.0) * 0x1p-53 * absum; }

/* max_i |gpu_i - ref_i| / bound_i (a zero bound demands equality) */
static double worst_ratio(const float *gpu, const double *ref, const double *bound, long n) {
    double w = 0;
    for (long i = 0; i < n; i++) {
        const double d = fabs((double)gpu[i] - ref[i]);
        const double r = bound[i] > 0 ? d / bound[i] : (d == 0 ? 0 : INFINITY);
        if (!(r <= w)) w = r;
    }
    return w;
}

static void record(int op, int backward, double ratio, const char *what) {
    double *w = backward ? &worst_bwd[op] : &worst_fwd[op];
    if (!(ratio <= *w)) *w = ratio;
    if (!(ratio <= 1.0) && failures[op]++ == 0)
        snprintf(first_failure[op], sizeof first_failure[op], "%s: ratio %.3g", what, ratio);
}

static Rng rng;

static float *random_floats(long n, double lo, double hi) {
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (long i = 0; i < n; i++) v[i] = (float)rng_uniform_range(&rng, lo, hi);
    return v;
}

/* An f64 parameter holding the float values v. */
static AdTensor *param_of(int ndim, const int *shape, const float *v) {
    AdTensor *p = ad_param_new(AD_F64, ndim, shape);
    for (long i = 0; i < p->size; i++) ad_f64(p)[i] = v[i];
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* One case: inputs x[0..nin), y = build(inputs), L = sum(y * R), on both sides              */

typedef AdTensor *(*CpuBuild)(AdArena *ar, AdTensor **x, const void *ctx);
typedef GadTensor *(*GpuBuild)(GadGraph *gr, GadTensor **x, const void *ctx);

typedef struct {
    int nin;
    AdTensor *cx[3];
    GadTensor *gx[3];
    AdTensor *cy;         /* CPU output (f64) */
    float *gy;            /* device output */
    float *ggrad[3];      /* device gradients of the inputs */
    float *r;             /* the loss weights R, y's size */
    long ysize;
} Run;

static int run_case(GadGraph *gr, AdArena *ar, Run *run, CpuBuild cb, GpuBuild gb,
                    const void *ctx) {
    ad_arena_reset(ar);
    gad_graph_reset(gr);
    for (int i = 0; i < run->nin; i++) run->gx[i] = gad_param_from_ad(gr, run->cx[i]);
    AdTensor *cy = cb(ar, run->cx, ctx);
    run->cy = cy;
    run->ysize = cy->size;
    run->r = random_floats(cy->size, -1, 1);
    AdTensor *cr = ad_input(ar, AD_F64, cy->ndim, cy->shape);
    for (long i = 0; i < cy->size; i++) ad_f64(cr)[i] = run->r[i];
    ad_backward(ar, ad_sum(ar, ad_mul(ar, cy, cr)));

    GadTensor *gy = gb(gr, run->gx, ctx);
    GadTensor *grr = gad_input(gr, cy->ndim, cy->shape, run->r);
    GadTensor *gl = gad_sum(gr, gad_mul(gr, gy, grr));
    int rc = gad_backward(gr, gl) || gad_run(gr, NULL);
    run->gy = malloc((size_t)cy->size * sizeof(float));
    if (!rc) rc = gad_read(gy, run->gy);
    for (int i = 0; i < run->nin; i++) {
        run->ggrad[i] = malloc((size_t)run->cx[i]->size * sizeof(float));
        if (!rc) rc = gad_read_grad(run->gx[i], run->ggrad[i]);
    }
    if (rc) fprintf(stderr, "test_gpu_ops: device run failed: %s\n", gad_error(gr));
    return rc;
}

static void run_free(Run *run) {
    for (int i = 0; i < run->nin; i++) {
        gad_tensor_free(run->gx[i]);
        ad_tensor_free(run->cx[i]);
        free(run->ggrad[i]);
    }
    free(run->gy);
    free(run->r);
}

/* ---------------------------------------------------------------------------------------- */
/* matmul and linear                                                                          */

static AdTensor *cpu_linear(AdArena *ar, AdTensor **x, const void *ctx) {
    (void)ctx;
    return x[2] ? ad_linear(ar, x[0], x[1], x[2]) : ad_matmul(ar, x[0], x[1]);
}
static GadTensor *gpu_linear(GadGraph *gr, GadTensor **x, const void *ctx) {
    (void)ctx;
    return x[2] ? gad_linear(gr, x[0], x[1], x[2]) : gad_matmul(gr, x[0], x[1]);
}

static void case_linear(GadGraph *gr, AdArena *ar, int m, int k, int n, int bias) {
    const int op = bias ? OP_LINEAR : OP_MATMUL;
    char what[96];
    snprintf(what, sizeof what, "%s (%d,%d)@(%d,%d)%s", OP_NAME[op], m, k, k, n, bias ? "+b" : "");
    float *xv = random_floats((long)m * k, -1, 1), *wv = random_floats((long)k * n, -1, 1),
          *bv = random_floats(n, -1, 1);
    Run run = {.nin = bias ? 3 : 2};
    run.cx[0] = param_of(2, (int[]){m, k}, xv);
    run.cx[1] = param_of(2, (int[]){k, n}, wv);
    if (bias) run.cx[2] = param_of(1, (int[]){n}, bv);
    if (run_case(gr, ar, &run, cpu_linear, gpu_linear, NULL)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv), free(wv), free(bv);
        return;
    }
    cases[op]++;
    const float *r = run.r;
    /* forward: y_ij = sum_k x_ik w_kj (+ b_j): gamma_{k(+1)} (sum |x w| + |b|) */
    double *bound = calloc((size_t)m * n, sizeof(double));
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = bias ? fabs(bv[j]) : 0;
            for (int q = 0; q < k; q++) s += fabs((double)xv[i * k + q] * wv[q * n + j]);
            bound[i * n + j] = gam(k + bias) * s + ref_slack(k, s);
        }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bound, (long)m * n), what);
    /* dX = R W^T accumulated: gamma_{n+1} sum_j |R_ij w_qj| */
    double *bx = calloc((size_t)m * k, sizeof(double));
    for (int i = 0; i < m; i++)
        for (int q = 0; q < k; q++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += fabs((double)r[i * n + j] * wv[q * n + j]);
            bx[i * k + q] = gam(n + 1) * s + ref_slack(n, s);
        }
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bx, (long)m * k), what);
    /* dW = X^T R accumulated: gamma_{m+1} sum_i |x_iq R_ij| */
    double *bw = calloc((size_t)k * n, sizeof(double));
    for (int q = 0; q < k; q++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) s += fabs((double)xv[i * k + q] * r[i * n + j]);
            bw[q * n + j] = gam(m + 1) * s + ref_slack(m, s);
        }
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), bw, (long)k * n), what);
    if (bias) {
        /* db_j = sum_i R_ij in row order, accumulated: gamma_{m+1} sum_i |R_ij| */
        double *bb = calloc((size_t)n, sizeof(double));
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) s += fabs((double)r[i * n + j]);
            bb[j] = gam(m + 1) * s + ref_slack(m, s);
        }
        record(op, 1, worst_ratio(run.ggrad[2], ad_grad_f64(run.cx[2]), bb, n), what);
        free(bb);
    }
    free(bound), free(bx), free(bw);
    run_free(&run);
    free(xv), free(wv), free(bv);
}


/* batched (B,m,k)@(B,k,n) and the transposed variant a @ b^T (b (B,n,k)), recorded as matmul */
typedef struct { int nd, transb; } BmmCfg;
static AdTensor *cpu_bmm(AdArena *ar, AdTensor **x, const void *ctx) {
    const BmmCfg *c = ctx;
    AdTensor *b = c->transb ? ad_swap_axes(ar, x[1], c->nd - 2, c->nd - 1) : x[1];
    return ad_matmul(ar, x[0], b);
}
static GadTensor *gpu_bmm(GadGraph *gr, GadTensor **x, const void *ctx) {
    const BmmCfg *c = ctx;
    return c->transb ? gad_matmul_t(gr, x[0], x[1]) : gad_matmul(gr, x[0], x[1]);
}

static void case_bmm(GadGraph *gr, AdArena *ar, int batch, int m, int k, int n, int transb) {
    const int op = OP_MATMUL, nd = batch ? 3 : 2, bt = batch ? batch : 1;
    char what[96];
    snprintf(what, sizeof what, "matmul%s batch %d (%d,%d,%d)", transb ? "_t" : "", batch, m, k, n);
    float *av = random_floats((long)bt * m * k, -1, 1), *bv = random_floats((long)bt * k * n, -1, 1);
    Run run = {.nin = 2};
    const int sa[3] = {bt, m, k}, sb[3] = {bt, transb ? n : k, transb ? k : n};
    run.cx[0] = param_of(nd, sa + (3 - nd), av);
    run.cx[1] = param_of(nd, sb + (3 - nd), bv);
    const BmmCfg cfg = {nd, transb};
    if (run_case(gr, ar, &run, cpu_bmm, gpu_bmm, &cfg)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(av), free(bv);
        return;
    }
    cases[op]++;
    const float *r = run.r;
#define BV(t, q, j) bv[(long)(t) * k * n + (transb ? (long)(j) * k + (q) : (long)(q) * n + (j))]
    double *fy = calloc((size_t)bt * m * n, sizeof(double)), *fa = calloc((size_t)bt * m * k, sizeof(double));
    double *fb = calloc((size_t)bt * k * n, sizeof(double));
    for (int t = 0; t < bt; t++)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int q = 0; q < k; q++) {
                    const double av_ = av[((long)t * m + i) * k + q], b_ = BV(t, q, j);
                    const double r_ = r[((long)t * m + i) * n + j];
                    fy[((long)t * m + i) * n + j] += fabs(av_ * b_);
                    fa[((long)t * m + i) * k + q] += fabs(r_ * b_);
                    /* b's gradient lives where b does */
                    fb[(long)t * k * n + (transb ? (long)j * k + q : (long)q * n + j)] += fabs(av_ * r_);
                }
#undef BV
    for (long i = 0; i < (long)bt * m * n; i++) fy[i] = gam(k) * fy[i] + ref_slack(k, fy[i]);
    for (long i = 0; i < (long)bt * m * k; i++) fa[i] = gam(n + 1) * fa[i] + ref_slack(n, fa[i]);
    for (long i = 0; i < (long)bt * k * n; i++) fb[i] = gam(m + 1) * fb[i] + ref_slack(m, fb[i]);
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), fy, (long)bt * m * n), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), fa, (long)bt * m * k), what);
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), fb, (long)bt * k * n), what);
    free(fy), free(fa), free(fb);
    run_free(&run);
    free(av), free(bv);
}

/* ---------------------------------------------------------------------------------------- */
/* add, sub, mul with broadcasting                                                            */

static AdTensor *cpu_binary(AdArena *ar, AdTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    return op == OP_ADD ? ad_add(ar, x[0], x[1]) : op == OP_SUB ? ad_sub(ar, x[0], x[1])
                                                                 : ad_mul(ar, x[0], x[1]);
}
static GadTensor *gpu_binary(GadGraph *gr, GadTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    return op == OP_ADD ? gad_add(gr, x[0], x[1]) : op == OP_SUB ? gad_sub(gr, x[0], x[1])
                                                                  : gad_mul(gr, x[0], x[1]);
}

/* flat index of the operand of shape s (ndim ns, right-aligned) at output index i */
static long bindex(const int *out, int nout, const int *s, int ns, long i) {
    long idx = 0, stride = 1;
    for (int d = nout - 1; d >= 0; d--) {
        const long c = i % out[d];
        i /= out[d];
        const int sd = d - (nout - ns) >= 0 ? s[d - (nout - ns)] : 1;
        if (sd != 1) idx += c * stride;
        stride *= sd;
    }
    return idx;
}

static void case_binary(GadGraph *gr, AdArena *ar, int op, int na, const int *sa, int nb,
                        const int *sb) {
    char what[96];
    int len = snprintf(what, sizeof what, "%s (", OP_NAME[op]);
    for (int i = 0; i < na; i++) len += snprintf(what + len, sizeof what - (size_t)len, "%d%s", sa[i], i + 1 < na ? "," : ") (");
    for (int i = 0; i < nb; i++) len += snprintf(what + len, sizeof what - (size_t)len, "%d%s", sb[i], i + 1 < nb ? "," : ")");
    long sza = 1, szb = 1;
    for (int i = 0; i < na; i++) sza *= sa[i];
    for (int i = 0; i < nb; i++) szb *= sb[i];
    float *av = random_floats(sza, -2, 2), *bv = random_floats(szb, -2, 2);
    Run run = {.nin = 2};
    run.cx[0] = param_of(na, sa, av);
    run.cx[1] = param_of(nb, sb, bv);
    if (run_case(gr, ar, &run, cpu_binary, gpu_binary, &op)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(av), free(bv);
        return;
    }
    cases[op]++;
    const long n = run.ysize;
    const int *out = run.cy->shape, nout = run.cy->ndim;
    /* forward: one rounding of exact inputs, u |y| */
    double *bound = calloc((size_t)n, sizeof(double));
    for (long i = 0; i < n; i++) {
        const double y = ad_f64(run.cy)[i];
        bound[i] = GP_U * fabs(y) + ref_slack(1, fabs(y));
    }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bound, n), what);
    /* backward into each operand: its entries collect cnt terms g (* other) */
    for (int side = 0; side < 2; side++) {
        const int *s = side ? sb : sa, ns = side ? nb : na;
        const long sz = side ? szb : sza;
        const int *so = side ? sa : sb, nso = side ? na : nb;
        const float *ov = side ? av : bv;
        double *absum = calloc((size_t)sz, sizeof *absum), *bb = calloc((size_t)sz, sizeof(double));
        long *cnt = calloc((size_t)sz, sizeof *cnt);
        for (long i = 0; i < n; i++) {
            const long j = bindex(out, nout, s, ns, i);
            const double o = op == OP_MUL ? ov[bindex(out, nout, so, nso, i)] : 1.0;
            absum[j] += fabs(run.r[i] * o);
            cnt[j]++;
        }
        for (long j = 0; j < sz; j++) {
            /* a full operand: 0 + g (exact for +, -; one product for *); a broadcast one: a
               sequential sum of cnt (rounded) terms, then one add */
            const double e = cnt[j] == 1 ? (op == OP_MUL ? GP_U : 0.0) : gam((double)cnt[j] + 1);
            bb[j] = e * absum[j] + ref_slack((double)cnt[j], absum[j]);
        }
        record(op, 1, worst_ratio(run.ggrad[side], ad_grad_f64(run.cx[side]), bb, sz), what);
        free(absum), free(bb), free(cnt);
    }
    free(bound);
    run_free(&run);
    free(av), free(bv);
}

/* ---------------------------------------------------------------------------------------- */
/* div with broadcasting: y = a / b, GLSL's division (2.5 ulp, the Vulkan precision table)   */

static AdTensor *cpu_div(AdArena *ar, AdTensor **x, const void *ctx) {
    (void)ctx;
    return ad_div(ar, x[0], x[1]);
}
static GadTensor *gpu_div(GadGraph *gr, GadTensor **x, const void *ctx) {
    (void)ctx;
    return gad_div(gr, x[0], x[1]);
}

/* The kernel's terms (ad_binary_back.comp) with their running bounds: into a, g / b; into b,
   -(g a) / (b b) (a product, a square, a division) */
static GpErr div_term(int side, double g, double a, double b) {
    if (!side) return gp_div(gp_exact(g), gp_exact(b));
    return gp_div(gp_mul(gp_exact(g), gp_exact(a)), gp_mul(gp_exact(b), gp_exact(b)));
}

static void case_div(GadGraph *gr, AdArena *ar, int na, const int *sa, int nb, const int *sb) {
    char what[96];
    int len = snprintf(what, sizeof what, "div (");
    for (int i = 0; i < na; i++) len += snprintf(what + len, sizeof what - (size_t)len, "%d%s", sa[i], i + 1 < na ? "," : ") (");
    for (int i = 0; i < nb; i++) len += snprintf(what + len, sizeof what - (size_t)len, "%d%s", sb[i], i + 1 < nb ? "," : ")");
    long sza = 1, szb = 1;
    for (int i = 0; i < na; i++) sza *= sa[i];
    for (int i = 0; i < nb; i++) szb *= sb[i];
    /* numerators in [-2, 2], divisors of either sign with |b| in [0.5, 2] (away from 0, where
       the Vulkan bound holds and the quotient stays in range) */
    float *av = random_floats(sza, -2, 2), *bv = random_floats(szb, 0.5, 2);
    for (long i = 0; i < szb; i++)
        if (rng_uniform(&rng) < 0.5) bv[i] = -bv[i];
    Run run = {.nin = 2};
    run.cx[0] = param_of(na, sa, av);
    run.cx[1] = param_of(nb, sb, bv);
    if (run_case(gr, ar, &run, cpu_div, gpu_div, NULL)) {
        record(OP_DIV, 0, INFINITY, what);
        run_free(&run);
        free(av), free(bv);
        return;
    }
    cases[OP_DIV]++;
    const long n = run.ysize;
    const int *out = run.cy->shape, nout = run.cy->ndim;
    /* forward: one division of exact inputs, 2.5 ulp */
    double *bound = calloc((size_t)n, sizeof(double));
    for (long i = 0; i < n; i++) {
        const double a = av[bindex(out, nout, sa, na, i)], b = bv[bindex(out, nout, sb, nb, i)];
        bound[i] = gp_div(gp_exact(a), gp_exact(b)).e + ref_slack(1, fabs(a / b));
    }
    record(OP_DIV, 0, worst_ratio(run.gy, ad_f64(run.cy), bound, n), what);
    /* backward into each operand: its entries collect cnt terms, each with its own bound e_t;
       a full operand: 0 + t (exact); a broadcast one: a sequential sum of the cnt rounded terms,
       gamma_{cnt+1} sum (|t| + e_t), plus sum e_t */
    for (int side = 0; side < 2; side++) {
        const int *s = side ? sb : sa, ns = side ? nb : na;
        const long sz = side ? szb : sza;
        double *absum = calloc((size_t)sz, sizeof *absum), *esum = calloc((size_t)sz, sizeof *esum);
        double *bb = calloc((size_t)sz, sizeof(double));
        long *cnt = calloc((size_t)sz, sizeof *cnt);
        for (long i = 0; i < n; i++) {
            const long j = bindex(out, nout, s, ns, i);
            const double a = av[bindex(out, nout, sa, na, i)], b = bv[bindex(out, nout, sb, nb, i)];
            const GpErr t = div_term(side, run.r[i], a, b);
            absum[j] += fabs(t.v) + t.e;
            esum[j] += t.e;
            cnt[j]++;
        }
        for (long j = 0; j < sz; j++) {
            const double e = cnt[j] == 1 ? 0.0 : gam((double)cnt[j] + 1) * absum[j];
            bb[j] = esum[j] + e + ref_slack((double)cnt[j] + 3, absum[j]);
        }
        record(OP_DIV, 1, worst_ratio(run.ggrad[side], ad_grad_f64(run.cx[side]), bb, sz), what);
        free(absum), free(esum), free(bb), free(cnt);
    }
    free(bound);
    run_free(&run);
    free(av), free(bv);
}

/* ---------------------------------------------------------------------------------------- */
/* activations                                                                                */

static AdTensor *cpu_unary(AdArena *ar, AdTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    switch (op) {
    case OP_EXP: return ad_exp(ar, x[0]);
    case OP_LOG: return ad_log(ar, x[0]);
    case OP_SOFTPLUS: return ad_softplus(ar, x[0]);
    case OP_SQRT: return ad_sqrt(ar, x[0]);
    default: break;
    }
    return op == OP_RELU ? ad_relu(ar, x[0]) : op == OP_TANH ? ad_tanh(ar, x[0])
         : op == OP_SIGMOID ? ad_sigmoid(ar, x[0]) : ad_silu(ar, x[0]);
}
static GadTensor *gpu_unary(GadGraph *gr, GadTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    switch (op) {
    case OP_EXP: return gad_exp(gr, x[0]);
    case OP_LOG: return gad_log(gr, x[0]);
    case OP_SOFTPLUS: return gad_softplus(gr, x[0]);
    case OP_SQRT: return gad_sqrt(gr, x[0]);
    default: break;
    }
    return op == OP_RELU ? gad_relu(gr, x[0]) : op == OP_TANH ? gad_tanh(gr, x[0])
         : op == OP_SIGMOID ? gad_sigmoid(gr, x[0]) : gad_silu(gr, x[0]);
}

/* the kernel's formulas (ad_unary.comp, gpu_shared.h) with their running bounds */
static GpErr sigmoid_err(double x) {
    return gp_div(gp_exact(1), gp_add(gp_exact(1), gp_exp(gp_exact(-x))));
}
static GpErr unary_fwd_err(int op, double x) {
    if (op == OP_EXP) return gp_exp(gp_exact(x));
    if (op == OP_LOG) return gp_log(gp_exact(x));
    //: softplus as the kernel computes it: $\max(x,0) + \log(1 + e^{-|x|})$
    if (op == OP_SOFTPLUS)
        return gp_add(gp_exact(fmax(x, 0)), gp_log(gp_add(gp_exact(1), gp_exp(gp_exact(-fabs(x))))));
    if (op == OP_SQRT) return gp_sqrt(gp_exact(x));
    if (op == OP_RELU) return gp_exact(x < 0 ? 0 : x);
    if (op == OP_TANH) return gp_activation(GPU_ACT_TANH, gp_exact(x));
    if (op == OP_SIGMOID) return sigmoid_err(x);
    return gp_activation(GPU_ACT_SILU, gp_exact(x));
}
static GpErr unary_deriv_err(int op, double x, GpErr y) {
    const GpErr one = gp_exact(1);
    //: $\exp' = y$, $\log' = 1/x$, softplus$' = \sigma(x)$, $\sqrt{\cdot}' = 0.5/y$
    if (op == OP_EXP) return y;
    if (op == OP_LOG) return gp_div(one, gp_exact(x));
    if (op == OP_SOFTPLUS) return sigmoid_err(x);
    if (op == OP_SQRT) return gp_div(gp_exact(0.5), y);
    if (op == OP_RELU) return gp_exact(x > 0 ? 1 : 0);
    if (op == OP_TANH) return gp_sub(one, gp_mul(y, y));
    if (op == OP_SIGMOID) return gp_mul(y, gp_sub(one, y));
    const GpErr s = sigmoid_err(x);
    return gp_mul(s, gp_add(one, gp_mul(gp_exact(x), gp_sub(one, s))));
}

static void case_unary(GadGraph *gr, AdArena *ar, int op, int ndim, const int *shape) {
    char what[96];
    snprintf(what, sizeof what, "%s size %d", OP_NAME[op], shape[0] * (ndim > 1 ? shape[1] : 1));
    long n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    /* log and sqrt on (0.05, 4]; softplus over a wider range (both branches, tails) */
    const int pos = op == OP_LOG || op == OP_SQRT;
    float *xv = random_floats(n, pos ? 0.05 : op == OP_SOFTPLUS ? -12 : -4, op == OP_SOFTPLUS ? 12 : 4);
    Run run = {.nin = 1};
    run.cx[0] = param_of(ndim, shape, xv);
    if (run_case(gr, ar, &run, cpu_unary, gpu_unary, &op)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv);
        return;
    }
    cases[op]++;
    double *bf = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
    for (long i = 0; i < n; i++) {
        const GpErr y = unary_fwd_err(op, xv[i]);
        //: $\bar x = 0 + \bar y\, f'(x)$ with $\bar y = R$ exact
        const GpErr gx = gp_add(gp_exact(0), gp_mul(gp_exact(run.r[i]), unary_deriv_err(op, xv[i], y)));
        bf[i] = y.e + ref_slack(8, fabs(y.v));
        bb[i] = gx.e + ref_slack(16, fabs(gx.v));
    }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, n), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, n), what);
    free(bf), free(bb);
    run_free(&run);
    free(xv);
}

/* ---------------------------------------------------------------------------------------- */
/* sum, mean, mse                                                                             */

/* D of the fixed tree (gpu_ad.c): the chunk lengths along a leaf's path, level by level */
static double tree_depth(long n) {
    double d = 0;
    do {
        d += n < 64 ? (double)n : 64.0;
        n = (n + 63) / 64;
    } while (n > 1);
    return d;
}

static AdTensor *cpu_reduce(AdArena *ar, AdTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    if (op == OP_MSE) {
        AdTensor *d = ad_sub(ar, x[0], x[1]);
        return ad_mean(ar, ad_mul(ar, d, d));
    }
    return op == OP_SUM ? ad_sum(ar, x[0]) : ad_mean(ar, x[0]);
}
static GadTensor *gpu_reduce(GadGraph *gr, GadTensor **x, const void *ctx) {
    const int op = *(const int *)ctx;
    if (op == OP_MSE) return gad_mse(gr, x[0], x[1]);
    return op == OP_SUM ? gad_sum(gr, x[0]) : gad_mean(gr, x[0]);
}

static void case_reduce(GadGraph *gr, AdArena *ar, int op, int rows, int cols) {
    char what[96];
    snprintf(what, sizeof what, "%s (%d,%d)", OP_NAME[op], rows, cols);
    const long n = (long)rows * cols;
    const int shape[2] = {rows, cols};
    float *av = random_floats(n, -2, 2), *bv = random_floats(n, -2, 2);
    Run run = {.nin = op == OP_MSE ? 2 : 1};
    run.cx[0] = param_of(2, shape, av);
    if (op == OP_MSE) run.cx[1] = param_of(2, shape, bv);
    if (run_case(gr, ar, &run, cpu_reduce, gpu_reduce, &op)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(av), free(bv);
        return;
    }
    cases[op]++;
    const double D = tree_depth(n), r = run.r[0];
    /* the host's 1/n, rounded once to float: relative error u */
    const GpErr inv_n = {1.0 / (double)n, GP_U / (double)n};
    /* the summands with their bounds: x_i exact, or q_i = (a_i - b_i)^2 */
    double S = 0, E = 0, A = 0;
    for (long i = 0; i < n; i++) {
        GpErr q = gp_exact(av[i]);
        if (op == OP_MSE) {
            const GpErr d = gp_sub(gp_exact(av[i]), gp_exact(bv[i]));
            q = gp_mul(d, d);
        }
        S += q.v;
        E += q.e;
        A += fabs(q.v) + q.e;
    }
    //: the tree: $\lvert \hat s - s\rvert \le \sum_i e_i + \gamma_D \sum_i (\lvert q_i\rvert + e_i)$
    GpErr tot = {S, E + gam(D) * A};
    if (op != OP_SUM) tot = gp_mul(tot, inv_n);
    double bf = tot.e + ref_slack((double)n, A);
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), &bf, 1), what);
    /* backward: sum: R exactly; mean: fl(1/n) R; mse: (0 + g d) + g d into d, then +/- */
    for (int side = 0; side < run.nin; side++) {
        double *bb = calloc((size_t)n, sizeof(double));
        for (long i = 0; i < n; i++) {
            GpErr gi = op == OP_SUM ? gp_exact(r) : gp_mul(inv_n, gp_exact(r));
            if (op == OP_MSE) {
                const GpErr d = gp_sub(gp_exact(av[i]), gp_exact(bv[i]));
                const GpErr t = gp_mul(gi, d);
                gi = gp_add(t, t);
            }
            bb[i] = gi.e + ref_slack(8, fabs(gi.v));
        }
        record(op, 1, worst_ratio(run.ggrad[side], ad_grad_f64(run.cx[side]), bb, n), what);
        free(bb);
    }
    run_free(&run);
    free(av), free(bv);
}

/* ---------------------------------------------------------------------------------------- */
/* sum / mean over one axis (the batched product by ones) and detach                          */

typedef struct { int axis, keepdim, mean; } AxisCfg;

static AdTensor *cpu_axis(AdArena *ar, AdTensor **x, const void *ctx) {
    const AxisCfg *c = ctx;
    return c->mean ? ad_mean_axis(ar, x[0], c->axis, c->keepdim) : ad_sum_axis(ar, x[0], c->axis, c->keepdim);
}
static GadTensor *gpu_axis(GadGraph *gr, GadTensor **x, const void *ctx) {
    const AxisCfg *c = ctx;
    int outer = 1, inner = 1, nd = 0, shape[AD_MAX_DIM];
    for (int i = 0; i < x[0]->ndim; i++) {
        if (i < c->axis) outer *= x[0]->shape[i];
        if (i > c->axis) inner *= x[0]->shape[i];
        if (i != c->axis) shape[nd++] = x[0]->shape[i];
        else if (c->keepdim) shape[nd++] = 1;
    }
    const int n = x[0]->shape[c->axis];
    return gad_sum_axis(gr, x[0], outer, n, inner, c->mean ? 1.0 / n : 1.0, nd, shape);
}

static void case_sum_axis(GadGraph *gr, AdArena *ar, int ndim, const int *shape, AxisCfg cfg) {
    char what[96];
    snprintf(what, sizeof what, "%s_axis %d of a %d-D tensor (%d, %d, ...)", cfg.mean ? "mean" : "sum",
             cfg.axis, ndim, shape[0], shape[1]);
    long n = 1, outer = 1, inner = 1;
    for (int i = 0; i < ndim; i++) {
        n *= shape[i];
        if (i < cfg.axis) outer *= shape[i];
        if (i > cfg.axis) inner *= shape[i];
    }
    const long len = shape[cfg.axis];
    float *xv = random_floats(n, -2, 2);
    Run run = {.nin = 1};
    run.cx[0] = param_of(ndim, shape, xv);
    if (run_case(gr, ar, &run, cpu_axis, gpu_axis, &cfg)) {
        record(OP_SUM_AXIS, 0, INFINITY, what);
        run_free(&run);
        free(xv);
        return;
    }
    cases[OP_SUM_AXIS]++;
    const GpErr inv = {1.0 / (double)len, GP_U / (double)len}; /* the host's float 1/n */
    double *bf = calloc((size_t)(outer * inner), sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
    for (long o = 0; o < outer; o++)
        for (long i = 0; i < inner; i++) {
            double S = 0, A = 0;
            for (long j = 0; j < len; j++) {
                const double v = xv[(o * len + j) * inner + i];
                S += v, A += fabs(v);
            }
            //: a product with ones: $n$ exact terms summed, $\gamma_n \sum|x|$; then the scale
            GpErr y = {S, gam((double)len) * A};
            if (cfg.mean) y = gp_mul(y, inv);
            bf[o * inner + i] = y.e + ref_slack((double)len, A);
            for (long j = 0; j < len; j++) {
                //: backward: $\bar x = 1 \cdot (c\,\bar y)$, a one-term product accumulated
                const GpErr gy = cfg.mean ? gp_mul(inv, gp_exact(run.r[o * inner + i])) : gp_exact(run.r[o * inner + i]);
                bb[(o * len + j) * inner + i] = gy.e + gam(2) * (fabs(gy.v) + gy.e) + ref_slack(4, fabs(gy.v));
            }
        }
    record(OP_SUM_AXIS, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, outer * inner), what);
    record(OP_SUM_AXIS, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, n), what);
    free(bf), free(bb);
    run_free(&run);
    free(xv);
}

/* y = detach(x) * x: the forward is x^2, the gradient R x (not 2 R x: nothing flows back
   through the detached operand) */
static AdTensor *cpu_detach(AdArena *ar, AdTensor **x, const void *ctx) {
    (void)ctx;
    return ad_mul(ar, ad_detach(ar, x[0]), x[0]);
}
static GadTensor *gpu_detach(GadGraph *gr, GadTensor **x, const void *ctx) {
    (void)ctx;
    return gad_mul(gr, gad_detach(gr, x[0]), x[0]);
}

static void case_detach(GadGraph *gr, AdArena *ar, int ndim, const int *shape) {
    char what[96];
    snprintf(what, sizeof what, "detach (%d-D, %d, ...)", ndim, shape[0]);
    long n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    float *xv = random_floats(n, -3, 3);
    Run run = {.nin = 1};
    run.cx[0] = param_of(ndim, shape, xv);
    if (run_case(gr, ar, &run, cpu_detach, gpu_detach, NULL)) {
        record(OP_DETACH, 0, INFINITY, what);
        run_free(&run);
        free(xv);
        return;
    }
    cases[OP_DETACH]++;
    double *bf = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
    for (long i = 0; i < n; i++) {
        const GpErr y = gp_mul(gp_exact(xv[i]), gp_exact(xv[i]));
        const GpErr gx = gp_add(gp_exact(0), gp_mul(gp_exact(run.r[i]), gp_exact(xv[i])));
        bf[i] = y.e + ref_slack(4, fabs(y.v));
        bb[i] = gx.e + ref_slack(4, fabs(gx.v));
    }
    record(OP_DETACH, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, n), what);
    record(OP_DETACH, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, n), what);
    free(bf), free(bb);
    run_free(&run);
    free(xv);
}

/* ---------------------------------------------------------------------------------------- */
/* Adam / AdamW and gradient zeroing                                                          */

/* the float32 constant the host pushes: exact value c, off by at most u |c| */
static GpErr pushed(double c) { return (GpErr){c, GP_U * fabs(c)}; }

static void case_adam(GadGraph *gr, OptimConfig cfg, long t, long n) {
    char what[96];
    snprintf(what, sizeof what, "%s t=%ld n=%ld wd=%g", cfg.kind == OPTIM_ADAMW ? "adamw" : "adam",
             t, n, cfg.weight_decay);
    float *pv = random_floats(n, -1, 1), *gv = random_floats(n, -1, 1);
    const int shape[1] = {(int)n};
    AdTensor *p = ad_param_new(AD_F32, 1, shape);
    memcpy(ad_f32(p), pv, sizeof(float) * (size_t)n);
    memcpy(ad_grad_f32(p), gv, sizeof(float) * (size_t)n);
    /* the device: the same values and gradient; t - 1 earlier steps are represented by the
       bias corrections only (m = v = 0 before this step on both sides) */
    gad_graph_reset(gr);
    GadTensor *gp = gad_param_from_ad(gr, p);
    GadTensor *gin = gad_input(gr, 1, shape, gv);
    float *out = malloc(sizeof(float) * (size_t)n), *zero = malloc(sizeof(float) * (size_t)n);
    /* write the gradient: grad = 0 + gin (an add of exact values) */
    int rc = !gp || !gin || gad_zero_grad(gr, &gp, 1);
    GadTensor *tmp = rc ? NULL : gad_add(gr, gp, gin);
    GadTensor *l = gad_sum(gr, gad_mul(gr, tmp, gin));
    /* d/dp sum((p + gin) gin) = gin: the gradient arrives exactly as gv */
    rc = rc || gad_backward(gr, l) || gad_adam_step(gr, &gp, 1, &cfg, t) || gad_run(gr, NULL) ||
         gad_read(gp, out);
    /* the CPU: optim_step (double inside, float32 out), from m = v = 0 at step t */
    ParamBlock blk = {ad_f32(p), ad_grad_f32(p), (size_t)n};
    Optimizer *o = optim_new(&blk, 1, cfg);
    o->t = t - 1;
    optim_step(o);
    const int op = OP_ADAM;
    if (rc) {
        fprintf(stderr, "test_gpu_ops: %s\n", gad_error(gr));
        record(op, 0, INFINITY, what);
    } else {
        cases[op]++;
        double *ref = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
        const double bias1 = 1.0 - pow(cfg.beta1, (double)t);
        const double bias2_sqrt = sqrt(1.0 - pow(cfg.beta2, (double)t));
        for (long i = 0; i < n; i++) {
            GpErr th = gp_exact(pv[i]), g = gp_exact(gv[i]);
            if (cfg.kind == OPTIM_ADAMW) th = gp_mul(th, pushed(1.0 - cfg.lr * cfg.weight_decay));
            else g = gp_add(g, gp_mul(pushed(cfg.weight_decay), th));
            const GpErr mt = gp_mul(pushed(1.0 - cfg.beta1), g);        /* beta1 * 0 + ... */
            const GpErr vt = gp_mul(gp_mul(pushed(1.0 - cfg.beta2), g), g);
            const GpErr den = gp_add(gp_div(gp_sqrt(vt), pushed(bias2_sqrt)), pushed(cfg.eps));
            const GpErr y = gp_sub(th, gp_div(gp_mul(pushed(cfg.lr / bias1), mt), den));
            /* the CPU computes in double and rounds once to float: u |y| more */
            ref[i] = ad_f32(p)[i];
            bb[i] = y.e + GP_U * fabs(y.v) + ref_slack(16, fabs(y.v) + fabs(th.v));
        }
        record(op, 0, worst_ratio(out, ref, bb, n), what);
        free(ref), free(bb);
    }
    /* zeroing on the device: every gradient entry exactly 0 afterwards */
    if (!rc) {
        gad_graph_reset(gr);
        rc = gad_zero_grad(gr, &gp, 1) || gad_run(gr, NULL) || gad_read_grad(gp, zero);
        long nz = 0;
        for (long i = 0; i < n && !rc; i++) nz += zero[i] != 0.0f;
        if (rc || nz) record(op, 1, INFINITY, "gad_zero_grad left non-zero entries");
    }
    optim_free(o);
    gad_tensor_free(gp);
    ad_tensor_free(p);
    free(pv), free(gv), free(out), free(zero);
}


/* ---------------------------------------------------------------------------------------- */
/* conv2d (im2col + matmul)                                                                   */

typedef struct { int stride, pad; } ConvCfg;
static AdTensor *cpu_conv(AdArena *ar, AdTensor **x, const void *ctx) {
    const ConvCfg *c = ctx;
    return ad_conv2d(ar, x[0], x[1], x[2], c->stride, c->pad);
}
static GadTensor *gpu_conv(GadGraph *gr, GadTensor **x, const void *ctx) {
    const ConvCfg *c = ctx;
    return gad_conv2d(gr, x[0], x[1], x[2], c->stride, c->pad);
}

static void case_conv(GadGraph *gr, AdArena *ar, int n, int c, int h, int w, int o, int k,
                      int stride, int pad) {
    const int op = OP_CONV2D;
    char what[96];
    snprintf(what, sizeof what, "conv2d x (%d,%d,%d,%d) w (%d,%d,%d,%d) s%d p%d", n, c, h, w, o,
             c, k, k, stride, pad);
    const long nx = (long)n * c * h * w, nw = (long)o * c * k * k;
    float *xv = random_floats(nx, -1, 1), *wv = random_floats(nw, -1, 1), *bv = random_floats(o, -1, 1);
    Run run = {.nin = 3};
    run.cx[0] = param_of(4, (int[]){n, c, h, w}, xv);
    run.cx[1] = param_of(4, (int[]){o, c, k, k}, wv);
    run.cx[2] = param_of(1, (int[]){o}, bv);
    const ConvCfg cfg = {stride, pad};
    if (run_case(gr, ar, &run, cpu_conv, gpu_conv, &cfg)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv), free(wv), free(bv);
        return;
    }
    cases[op]++;
    const int ho = run.cy->shape[2], wo = run.cy->shape[3], kk = k * k, rows = n * ho * wo;
    const float *r = run.r;
    double *fy = calloc((size_t)run.ysize, sizeof(double)), *sx = calloc((size_t)nx, sizeof(double));
    double *sw = calloc((size_t)nw, sizeof(double)), *sb = calloc((size_t)o, sizeof(double));
    /* every product x w that enters an output, with the R weighting it in the backward pass */
    for (int b = 0; b < n; b++)
        for (int q = 0; q < o; q++)
            for (int yy = 0; yy < ho; yy++)
                for (int xx = 0; xx < wo; xx++) {
                    const long yi = (((long)b * o + q) * ho + yy) * wo + xx;
                    fy[yi] += fabs(bv[q]);
                    sb[q] += fabs(r[yi]);
                    for (int ch = 0; ch < c; ch++)
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                const int py = yy * stride - pad + i, px = xx * stride - pad + j;
                                if (py < 0 || py >= h || px < 0 || px >= w) continue;
                                const long xi = (((long)b * c + ch) * h + py) * w + px;
                                const long wi = (((long)q * c + ch) * k + i) * k + j;
                                fy[yi] += fabs((double)xv[xi] * wv[wi]);
                                sx[xi] += fabs((double)r[yi] * wv[wi]);
                                sw[wi] += fabs((double)r[yi] * xv[xi]);
                            }
                }
    /* forward: a dot product of length C k k plus the bias; dx: the sum over (o, i, j) of
       products, as a matmul of length O then a gather of k k terms and one add; dW, db: sums
       over the N Ho Wo rows, accumulated */
    for (long i = 0; i < run.ysize; i++) fy[i] = gam((double)c * kk + 1) * fy[i] + ref_slack(c * kk, fy[i]);
    for (long i = 0; i < nx; i++) sx[i] = gam((double)o + kk + 2) * sx[i] + ref_slack(o + kk, sx[i]);
    for (long i = 0; i < nw; i++) sw[i] = gam((double)rows + 1) * sw[i] + ref_slack(rows, sw[i]);
    for (int i = 0; i < o; i++) sb[i] = gam((double)rows + 1) * sb[i] + ref_slack(rows, sb[i]);
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), fy, run.ysize), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), sx, nx), what);
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), sw, nw), what);
    record(op, 1, worst_ratio(run.ggrad[2], ad_grad_f64(run.cx[2]), sb, o), what);
    free(fy), free(sx), free(sw), free(sb);
    run_free(&run);
    free(xv), free(wv), free(bv);
}



/* ---------------------------------------------------------------------------------------- */
/* conv_transpose2d (x' W + the col2im gather)                                                */

static AdTensor *cpu_convt(AdArena *ar, AdTensor **x, const void *ctx) {
    const ConvCfg *c = ctx;
    return ad_conv_transpose2d(ar, x[0], x[1], x[2], c->stride, c->pad);
}
static GadTensor *gpu_convt(GadGraph *gr, GadTensor **x, const void *ctx) {
    const ConvCfg *c = ctx;
    return gad_conv_transpose2d(gr, x[0], x[1], x[2], c->stride, c->pad);
}

static void case_convt(GadGraph *gr, AdArena *ar, int n, int cin, int h, int w, int cout, int k,
                       int stride, int pad) {
    const int op = OP_CONV_T2D;
    char what[96];
    snprintf(what, sizeof what, "conv_t2d x (%d,%d,%d,%d) w (%d,%d,%d,%d) s%d p%d", n, cin, h, w,
             cin, cout, k, k, stride, pad);
    const long nx = (long)n * cin * h * w, nw = (long)cin * cout * k * k;
    float *xv = random_floats(nx, -1, 1), *wv = random_floats(nw, -1, 1), *bv = random_floats(cout, -1, 1);
    Run run = {.nin = 3};
    run.cx[0] = param_of(4, (int[]){n, cin, h, w}, xv);
    run.cx[1] = param_of(4, (int[]){cin, cout, k, k}, wv);
    run.cx[2] = param_of(1, (int[]){cout}, bv);
    const ConvCfg cfg = {stride, pad};
    if (run_case(gr, ar, &run, cpu_convt, gpu_convt, &cfg)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv), free(wv), free(bv);
        return;
    }
    cases[op]++;
    const int ho = run.cy->shape[2], wo = run.cy->shape[3], kk = k * k;
    const float *r = run.r;
    double *fy = calloc((size_t)run.ysize, sizeof(double)), *sx = calloc((size_t)nx, sizeof(double));
    double *sw = calloc((size_t)nw, sizeof(double)), *sb = calloc((size_t)cout, sizeof(double));
    for (long i = 0; i < run.ysize; i++) {
        fy[i] = fabs(bv[(i / ((long)ho * wo)) % cout]);
        sb[(i / ((long)ho * wo)) % cout] += fabs(r[i]);
    }
    /* x[b, ci, p, q] reaches y[b, co, p s - pad + i, q s - pad + j] through W[ci, co, i, j] */
    for (int b = 0; b < n; b++)
        for (int ci = 0; ci < cin; ci++)
            for (int p = 0; p < h; p++)
                for (int q = 0; q < w; q++)
                    for (int co = 0; co < cout; co++)
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                const int yy = p * stride - pad + i, xx = q * stride - pad + j;
                                if (yy < 0 || yy >= ho || xx < 0 || xx >= wo) continue;
                                const long xi = (((long)b * cin + ci) * h + p) * w + q;
                                const long wi = (((long)ci * cout + co) * k + i) * k + j;
                                const long yi = (((long)b * cout + co) * ho + yy) * wo + xx;
                                fy[yi] += fabs((double)xv[xi] * wv[wi]);
                                sx[xi] += fabs((double)r[yi] * wv[wi]);
                                sw[wi] += fabs((double)r[yi] * xv[xi]);
                            }
    /* forward: entries of x' W (length Cin), gathered (k k terms into 0), plus the bias;
       dx: a dot product of length Cout k k, one add; dW: N H W rows; db: N Ho Wo terms */
    const double rows = (double)n * h * w, orows = (double)n * ho * wo;
    for (long i = 0; i < run.ysize; i++) fy[i] = gam((double)cin + kk + 2) * fy[i] + ref_slack(cin + kk, fy[i]);
    for (long i = 0; i < nx; i++) sx[i] = gam((double)cout * kk + 1) * sx[i] + ref_slack(cout * kk, sx[i]);
    for (long i = 0; i < nw; i++) sw[i] = gam(rows + 1) * sw[i] + ref_slack(rows, sw[i]);
    for (int i = 0; i < cout; i++) sb[i] = gam(orows + 1) * sb[i] + ref_slack(orows, sb[i]);
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), fy, run.ysize), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), sx, nx), what);
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), sw, nw), what);
    record(op, 1, worst_ratio(run.ggrad[2], ad_grad_f64(run.cx[2]), sb, cout), what);
    free(fy), free(sx), free(sw), free(sb);
    run_free(&run);
    free(xv), free(wv), free(bv);
}


/* ---------------------------------------------------------------------------------------- */
/* concat and slice: copies, and one add into a zero gradient: exact (the bound is 0)         */

/* n > 0: concat of n inputs; 0: a slice; -1: a reshape into (shape[0], rest); -2: the swap of
   the last two axes (gad_swap_last2, ad_swap_axes); -3: the swap of axes start and end
   (gad_swap_axes, ad_swap_axes; negative counts from the end) */
typedef struct { int n, axis, start, end; } CopyCfg;
static AdTensor *cpu_copy(AdArena *ar, AdTensor **x, const void *ctx) {
    const CopyCfg *c = ctx;
    if (c->n == -1) return ad_reshape(ar, x[0], 2, (int[]){x[0]->shape[0], (int)(x[0]->size / x[0]->shape[0])});
    if (c->n == -2) return ad_swap_axes(ar, x[0], x[0]->ndim - 2, x[0]->ndim - 1);
    if (c->n == -3) return ad_swap_axes(ar, x[0], c->start, c->end);
    return c->n ? ad_concat(ar, x, c->n, c->axis) : ad_slice(ar, x[0], c->axis, c->start, c->end);
}
static GadTensor *gpu_copy(GadGraph *gr, GadTensor **x, const void *ctx) {
    const CopyCfg *c = ctx;
    if (c->n == -1) return gad_reshape(gr, x[0], 2, (int[]){x[0]->shape[0], (int)(x[0]->size / x[0]->shape[0])});
    if (c->n == -2) return gad_swap_last2(gr, x[0]);
    if (c->n == -3) return gad_swap_axes(gr, x[0], c->start, c->end);
    return c->n ? gad_concat(gr, x, c->n, c->axis) : gad_slice(gr, x[0], c->axis, c->start, c->end);
}

/* n inputs (0: a slice of input 0) of the given shapes */
static void case_copy(GadGraph *gr, AdArena *ar, CopyCfg cfg, int ndim, const int shapes[3][4]) {
    const int op = cfg.n == -1 ? OP_RESHAPE : cfg.n == -2 ? OP_SWAP : cfg.n == -3 ? OP_SWAP_AXES
                 : cfg.n ? OP_CONCAT : OP_SLICE;
    const int nin = cfg.n > 0 ? cfg.n : 1;
    char what[96];
    if (op == OP_SWAP_AXES)
        snprintf(what, sizeof what, "swap_axes %d, %d of a %d-D (%d,%d,%d,%d)", cfg.start, cfg.end,
                 ndim, shapes[0][0], shapes[0][1], shapes[0][2], shapes[0][3]);
    else
        snprintf(what, sizeof what, "%s of %d input(s), axis %d", OP_NAME[op], nin, cfg.axis);
    Run run = {.nin = nin};
    float *v[3] = {0};
    for (int k = 0; k < nin; k++) {
        long sz = 1;
        for (int i = 0; i < ndim; i++) sz *= shapes[k][i];
        v[k] = random_floats(sz, -1, 1);
        run.cx[k] = param_of(ndim, shapes[k], v[k]);
    }
    if (run_case(gr, ar, &run, cpu_copy, gpu_copy, &cfg)) {
        record(op, 0, INFINITY, what);
    } else {
        cases[op]++;
        double *zero = calloc((size_t)run.ysize + 1, sizeof(double));
        record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), zero, run.ysize), what);
        for (int k = 0; k < nin; k++) {
            double *z = calloc((size_t)run.cx[k]->size, sizeof(double));
            record(op, 1, worst_ratio(run.ggrad[k], ad_grad_f64(run.cx[k]), z, run.cx[k]->size), what);
            free(z);
        }
        free(zero);
    }
    run_free(&run);
    for (int k = 0; k < nin; k++) free(v[k]);
}


/* ---------------------------------------------------------------------------------------- */
/* avg_pool2d and upsample_nearest2d                                                          */

static AdTensor *cpu_res(AdArena *ar, AdTensor **x, const void *ctx) {
    const int *c = ctx;
    return c[0] ? ad_avg_pool2d(ar, x[0], c[1]) : ad_upsample_nearest2d(ar, x[0], c[1]);
}
static GadTensor *gpu_res(GadGraph *gr, GadTensor **x, const void *ctx) {
    const int *c = ctx;
    return c[0] ? gad_avg_pool2d(gr, x[0], c[1]) : gad_upsample_nearest2d(gr, x[0], c[1]);
}

static void case_resample(GadGraph *gr, AdArena *ar, int pool, int n, int c, int h, int w, int k) {
    const int op = pool ? OP_AVG_POOL : OP_UPSAMPLE, cfg[2] = {pool, k};
    char what[96];
    snprintf(what, sizeof what, "%s x (%d,%d,%d,%d) k %d", OP_NAME[op], n, c, h, w, k);
    const long nx = (long)n * c * h * w;
    float *xv = random_floats(nx, -1, 1);
    Run run = {.nin = 1};
    run.cx[0] = param_of(4, (int[]){n, c, h, w}, xv);
    if (run_case(gr, ar, &run, cpu_res, gpu_res, cfg)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv);
        return;
    }
    cases[op]++;
    const long ny = run.ysize, kk = (long)k * k;
    const int H = pool ? h : h * k, W = pool ? w : w * k; /* the large grid */
    const float *big = pool ? xv : run.r;                  /* what the small side sums */
    const GpErr inv = {1.0 / (double)kk, GP_U / (double)kk};
    double *bf = calloc((size_t)ny, sizeof(double)), *bb = calloc((size_t)nx, sizeof(double));
    double *bs = pool ? bf : bb; /* the small side's bounds: a sum of k k values */
    const long nsmall = pool ? ny : nx;
    for (long i = 0; i < nsmall; i++) {
        const long pl = i / ((long)(H / k) * (W / k)), p = (i / (W / k)) % (H / k), q = i % (W / k);
        double mag = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) mag += fabs(big[(pl * H + p * k + a) * W + q * k + b]);
        /* pool: (sum) fl(1/k^2); upsample backward: 0 + sum */
        const GpErr sm = {mag, gam((double)kk) * mag};
        bs[i] = (pool ? gp_mul(sm, inv).e : sm.e) + ref_slack((double)kk, mag);
    }
    if (pool)
        for (long i = 0; i < nx; i++) {
            const long pl = i / ((long)H * W), yy = (i / W) % H, xx = i % W;
            const long parent = (pl * (H / k) + yy / k) * (W / k) + xx / k;
            const GpErr g = gp_mul(gp_exact(fabs(run.r[parent])), inv);
            bb[i] = g.e + ref_slack(2, fabs(g.v)); /* 0 + R fl(1/k^2) */
        }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, ny), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, nx), what);
    free(bf), free(bb);
    run_free(&run);
    free(xv);
}

/* ---------------------------------------------------------------------------------------- */
/* GroupNorm: the kernel's formulas (ad_groupnorm.comp) with their running bounds             */

typedef struct { int groups; double eps; } GnCfg;
static AdTensor *cpu_gn(AdArena *ar, AdTensor **x, const void *ctx) {
    const GnCfg *c = ctx;
    return ad_group_norm(ar, x[0], c->groups, x[1], x[2], c->eps);
}
static GadTensor *gpu_gn(GadGraph *gr, GadTensor **x, const void *ctx) {
    const GnCfg *c = ctx;
    return gad_group_norm(gr, x[0], c->groups, x[1], x[2], c->eps);
}

/* a sequential float sum of terms with bounds: sum e + gamma_n sum (|v| + e) */
static GpErr sum_err(const GpErr *t, long n, long stride) {
    double v = 0, e = 0, mag = 0;
    for (long i = 0; i < n; i++) {
        v += t[i * stride].v, e += t[i * stride].e;
        mag += fabs(t[i * stride].v) + t[i * stride].e;
    }
    return (GpErr){v, e + gam((double)n) * mag};
}

static void case_group_norm(GadGraph *gr, AdArena *ar, int n, int c, int h, int w, int groups) {
    const int op = OP_GROUP_NORM;
    char what[96];
    snprintf(what, sizeof what, "group_norm x (%d,%d,%d,%d) %d groups", n, c, h, w, groups);
    const long nx = (long)n * c * h * w, s = (long)h * w, cg = c / groups, m = cg * s;
    /* an offset of 3 makes the mean matter (the two-pass variance's cancellation) */
    float *xv = random_floats(nx, 2, 4), *wv = random_floats(c, 0.5, 1.5), *bv = random_floats(c, -1, 1);
    Run run = {.nin = 3};
    run.cx[0] = param_of(4, (int[]){n, c, h, w}, xv);
    run.cx[1] = param_of(1, (int[]){c}, wv);
    run.cx[2] = param_of(1, (int[]){c}, bv);
    const GnCfg cfg = {groups, 1e-5};
    if (run_case(gr, ar, &run, cpu_gn, gpu_gn, &cfg)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv), free(wv), free(bv);
        return;
    }
    cases[op]++;
    const GpErr inv_m = {1.0 / (double)m, GP_U / (double)m}, eps = {1e-5, GP_U * 1e-5};
    GpErr *d = calloc((size_t)m, sizeof *d), *q = calloc((size_t)m, sizeof *q);
    GpErr *xh = calloc((size_t)nx, sizeof *xh), *g = calloc((size_t)m, sizeof *g);
    GpErr *gh = calloc((size_t)m, sizeof *gh);
    double *by = calloc((size_t)nx, sizeof *by), *bx = calloc((size_t)nx, sizeof *bx);
    double *bw = calloc((size_t)c, sizeof *bw), *bb = calloc((size_t)c, sizeof *bb);
    const float *r = run.r;
    for (int smp = 0; smp < n; smp++)
        for (int gi = 0; gi < groups; gi++) {
            const long base = ((long)smp * c + gi * cg) * s;
            //: $\mu = \frac1m\sum x$, $\sigma^2 = \frac1m\sum(x-\mu)^2$, $r = 1/\sqrt{\sigma^2+\epsilon}$ [eq:common.ad.group_norm]
            for (long e = 0; e < m; e++) q[e] = gp_exact(xv[base + e]);
            const GpErr mu = gp_mul(sum_err(q, m, 1), inv_m);
            for (long e = 0; e < m; e++) {
                d[e] = gp_sub(gp_exact(xv[base + e]), mu);
                q[e] = gp_mul(d[e], d[e]);
            }
            const GpErr var = gp_mul(sum_err(q, m, 1), inv_m);
            const GpErr rstd = gp_div(gp_exact(1), gp_sqrt(gp_add(var, eps)));
            for (long e = 0; e < m; e++) {
                const long i = base + e;
                const int ch = (int)((i / s) % c);
                xh[i] = gp_mul(d[e], rstd);
                const GpErr y = gp_add(gp_mul(xh[i], gp_exact(wv[ch])), gp_exact(bv[ch]));
                by[i] = y.e + ref_slack(4 * (double)m, fabs(y.v) + 1);
                g[e] = gp_mul(gp_exact(r[i]), gp_exact(wv[ch]));
                gh[e] = gp_mul(g[e], xh[i]);
            }
            //: the block means of $\bar{\hat x}$ and $\bar{\hat x}\hat x$ [eq:common.ad.group_norm_grad]
            const GpErr a = gp_mul(sum_err(g, m, 1), inv_m), b = gp_mul(sum_err(gh, m, 1), inv_m);
            for (long e = 0; e < m; e++) {
                const long i = base + e;
                const GpErr t = gp_sub(gp_sub(g[e], a), gp_mul(xh[i], b));
                const GpErr gx = gp_add(gp_exact(0), gp_mul(rstd, t));
                bx[i] = gx.e + ref_slack(8 * (double)m, fabs(gx.v) + fabs(g[e].v) * rstd.v);
            }
        }
    /* gamma, beta: per channel, samples then pixels, then one add */
    const long cnt = (long)n * s;
    GpErr *tw = calloc((size_t)cnt, sizeof *tw), *tb = calloc((size_t)cnt, sizeof *tb);
    for (int ch = 0; ch < c; ch++) {
        for (int smp = 0; smp < n; smp++)
            for (long e = 0; e < s; e++) {
                const long i = ((long)smp * c + ch) * s + e;
                tw[smp * s + e] = gp_mul(gp_exact(r[i]), xh[i]);
                tb[smp * s + e] = gp_exact(r[i]);
            }
        const GpErr sw = sum_err(tw, cnt, 1), sb = sum_err(tb, cnt, 1);
        bw[ch] = sw.e + GP_U * fabs(sw.v) + ref_slack(8 * (double)m, fabs(sw.v) + (double)cnt);
        bb[ch] = sb.e + GP_U * fabs(sb.v) + ref_slack((double)cnt, (double)cnt);
    }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), by, nx), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bx, nx), what);
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), bw, c), what);
    record(op, 1, worst_ratio(run.ggrad[2], ad_grad_f64(run.cx[2]), bb, c), what);
    free(d), free(q), free(xh), free(g), free(gh);
    free(by), free(bx), free(bw), free(bb), free(tw), free(tb);
    run_free(&run);
    free(xv), free(wv), free(bv);
}


/* ---------------------------------------------------------------------------------------- */
/* softmax along the last axis: the kernel's formula with its running bound                   */

static AdTensor *cpu_softmax(AdArena *ar, AdTensor **x, const void *ctx) {
    (void)ctx;
    return ad_softmax(ar, x[0]);
}
static GadTensor *gpu_softmax(GadGraph *gr, GadTensor **x, const void *ctx) {
    (void)ctx;
    return gad_softmax(gr, x[0]);
}

static void case_softmax(GadGraph *gr, AdArena *ar, int rows, int cols, double spread) {
    const int op = OP_SOFTMAX;
    char what[96];
    snprintf(what, sizeof what, "softmax (%d,%d) inputs in +-%g", rows, cols, spread);
    const long n = (long)rows * cols;
    float *xv = random_floats(n, -spread, spread);
    Run run = {.nin = 1};
    run.cx[0] = param_of(2, (int[]){rows, cols}, xv);
    if (run_case(gr, ar, &run, cpu_softmax, gpu_softmax, NULL)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv);
        return;
    }
    cases[op]++;
    double *bf = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
    GpErr *e = calloc((size_t)cols, sizeof *e), *y = calloc((size_t)cols, sizeof *y);
    GpErr *p = calloc((size_t)cols, sizeof *p);
    for (int r = 0; r < rows; r++) {
        const float *xr = xv + (long)r * cols, *rr = run.r + (long)r * cols;
        float m = xr[0];
        for (int j = 1; j < cols; j++) m = fmaxf(m, xr[j]);
        //: $e_j = \exp(x_j - m)$, $y_j = e_j / \sum_k e_k$ (exp: $3 + 2\lvert t\rvert$ ulp)
        for (int j = 0; j < cols; j++) e[j] = gp_exp(gp_sub(gp_exact(xr[j]), gp_exact(m)));
        const GpErr s = sum_err(e, cols, 1);
        for (int j = 0; j < cols; j++) {
            y[j] = gp_div(e[j], s);
            p[j] = gp_mul(gp_exact(rr[j]), y[j]);
            bf[(long)r * cols + j] = y[j].e + ref_slack(2.0 * cols, fabs(y[j].v));
        }
        //: $\bar x_j = 0 + y_j(\bar y_j - \sum_k \bar y_k y_k)$
        const GpErr d = sum_err(p, cols, 1);
        for (int j = 0; j < cols; j++) {
            const GpErr gx = gp_add(gp_exact(0), gp_mul(y[j], gp_sub(gp_exact(rr[j]), d)));
            bb[(long)r * cols + j] = gx.e + ref_slack(4.0 * cols, fabs(gx.v) + fabs(y[j].v));
        }
    }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, n), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, n), what);
    free(bf), free(bb), free(e), free(y), free(p);
    run_free(&run);
    free(xv);
}

/* log-softmax rows and the cross-entropy composite (log-softmax, the gather of the labelled
   entries, -mean), against common/ad's ad_log_softmax and ad_cross_entropy in f64 */
static AdTensor *cpu_lsm(AdArena *ar, AdTensor **x, const void *ctx) {
    const int *labels = ctx;
    return labels ? ad_cross_entropy(ar, x[0], labels) : ad_log_softmax(ar, x[0]);
}
static GadTensor *gpu_lsm(GadGraph *gr, GadTensor **x, const void *ctx) {
    const int *labels = ctx;
    return labels ? gad_cross_entropy(gr, x[0], labels) : gad_log_softmax(gr, x[0]);
}

static void case_log_softmax(GadGraph *gr, AdArena *ar, int rows, int cols, double spread, int ce) {
    const int op = ce ? OP_CROSS_ENTROPY : OP_LOG_SOFTMAX;
    char what[96];
    snprintf(what, sizeof what, "%s (%d,%d) inputs in +-%g", OP_NAME[op], rows, cols, spread);
    const long n = (long)rows * cols;
    float *xv = random_floats(n, -spread, spread);
    int *labels = malloc(sizeof(int) * (size_t)rows);
    for (int r = 0; r < rows; r++) labels[r] = (int)rng_below(&rng, (uint32_t)cols);
    Run run = {.nin = 1};
    run.cx[0] = param_of(2, (int[]){rows, cols}, xv);
    if (run_case(gr, ar, &run, cpu_lsm, gpu_lsm, ce ? labels : NULL)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(xv), free(labels);
        return;
    }
    cases[op]++;
    double *bf = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
    GpErr *t = calloc((size_t)cols, sizeof *t), *e = calloc((size_t)cols, sizeof *e);
    GpErr *y = calloc((size_t)n, sizeof *y), *g = calloc((size_t)cols, sizeof *g);
    /* cross-entropy: fl(1/N) and the output's gradient R_0 through -1 (exact) and the mean */
    const GpErr inv_n = {1.0 / (double)rows, GP_U / (double)rows};
    const GpErr gpick = gp_mul(inv_n, gp_exact(-(double)run.r[0]));
    for (int r = 0; r < rows; r++) {
        const float *xr = xv + (long)r * cols;
        float m = xr[0];
        for (int j = 1; j < cols; j++) m = fmaxf(m, xr[j]);
        //: $t_j = x_j - m$, $y_j = t_j - \log\sum_k e^{t_k}$ (the kernel's order)
        for (int j = 0; j < cols; j++) e[j] = gp_exp(t[j] = gp_sub(gp_exact(xr[j]), gp_exact(m)));
        const GpErr ls = gp_log(sum_err(e, cols, 1));
        for (int j = 0; j < cols; j++) {
            y[(long)r * cols + j] = gp_sub(t[j], ls);
            if (!ce) bf[(long)r * cols + j] = y[(long)r * cols + j].e + ref_slack(2.0 * cols, fabs(y[(long)r * cols + j].v) + 1);
        }
        //: backward: $\bar x_j = 0 + (\bar y_j - e^{y_j}\sum_k \bar y_k)$; for the cross-entropy
        //: $\bar y$ is $-\mathrm{fl}(1/N)R_0$ at the label, 0 elsewhere
        for (int j = 0; j < cols; j++)
            g[j] = ce ? (j == labels[r] ? gpick : gp_exact(0)) : gp_exact(run.r[(long)r * cols + j]);
        const GpErr d = sum_err(g, cols, 1);
        for (int j = 0; j < cols; j++) {
            const GpErr gx = gp_add(gp_exact(0), gp_sub(g[j], gp_mul(gp_exp(y[(long)r * cols + j]), d)));
            bb[(long)r * cols + j] = gx.e + ref_slack(4.0 * cols, fabs(gx.v) + fabs(g[j].v) + fabs(d.v));
        }
    }
    if (ce) {
        //: $L = -\mathrm{fl}(1/N)\sum_r y_{r,t_r}$ (the reduction tree), the sign exact
        double S = 0, E = 0, A = 0;
        for (int r = 0; r < rows; r++) {
            const GpErr q = y[(long)r * cols + labels[r]];
            S += q.v, E += q.e, A += fabs(q.v) + q.e;
        }
        const GpErr L = gp_mul((GpErr){S, E + gam(tree_depth(rows)) * A}, inv_n);
        double bl = L.e + ref_slack(4.0 * (rows + cols), A);
        record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), &bl, 1), what);
    } else {
        record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), bf, n), what);
    }
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, n), what);
    free(bf), free(bb), free(t), free(e), free(y), free(g);
    run_free(&run);
    free(xv), free(labels);
}


/* Softmax attention (common/ad's ad_attention) as the device runs a replayed tape: K^T by
   gad_swap_last2, the batched gad_matmul, the scale as gad_mul by a float32 scalar, gad_softmax,
   the batched gad_matmul with V. The bound follows the kernels' order with GpErr: S = Q K^T
   (gamma_d), times fl(1/sqrt d) (an input off by u), the softmax row as case_softmax with inputs
   that carry errors, Y = P V (P's errors through |V|, gamma_Tk); backward: V' = P^T R and
   P' = R V^T (accumulations into zero: +1), the softmax rule, the scalar, Q' = S' K and
   K'^T = Q^T S' (+1), the swap back exact. */
static AdTensor *cpu_attention(AdArena *ar, AdTensor **x, const void *ctx) {
    (void)ctx;
    return ad_attention(ar, x[0], x[1], x[2]);
}
static GadTensor *gpu_attention(GadGraph *gr, GadTensor **x, const void *ctx) {
    (void)ctx;
    const float c = (float)(1.0 / sqrt((double)x[0]->shape[2]));
    GadTensor *s = gad_mul(gr, gad_matmul(gr, x[0], gad_swap_last2(gr, x[1])), gad_input(gr, 0, NULL, &c));
    return gad_matmul(gr, gad_softmax(gr, s), x[2]);
}

static GpErr dot_err(const GpErr *a, long sa, const GpErr *b, long sb, long n, double extra) {
    double v = 0, prop = 0, mag = 0;
    for (long i = 0; i < n; i++) {
        const GpErr x = a[i * sa], y = b[i * sb];
        v += x.v * y.v;
        prop += fabs(x.v) * y.e + x.e * fabs(y.v) + x.e * y.e;
        mag += (fabs(x.v) + x.e) * (fabs(y.v) + y.e);
    }
    return (GpErr){v, prop + gam((double)n + extra) * mag};
}

static void case_attention(GadGraph *gr, AdArena *ar, int B, int tq, int tk, int d, int dv) {
    const int op = OP_ATTENTION;
    char what[96];
    snprintf(what, sizeof what, "attention B %d, Tq %d, Tk %d, d %d, dv %d", B, tq, tk, d, dv);
    const long nq = (long)B * tq * d, nk = (long)B * tk * d, nv = (long)B * tk * dv, ny = (long)B * tq * dv;
    float *qv = random_floats(nq, -2, 2), *kv = random_floats(nk, -2, 2), *vv = random_floats(nv, -1, 1);
    Run run = {.nin = 3};
    run.cx[0] = param_of(3, (int[]){B, tq, d}, qv);
    run.cx[1] = param_of(3, (int[]){B, tk, d}, kv);
    run.cx[2] = param_of(3, (int[]){B, tk, dv}, vv);
    if (run_case(gr, ar, &run, cpu_attention, gpu_attention, NULL)) {
        record(op, 0, INFINITY, what);
        run_free(&run);
        free(qv), free(kv), free(vv);
        return;
    }
    cases[op]++;
    const double c = 1.0 / sqrt((double)d);
    const GpErr C = {c, GP_U * c};
    double *by = calloc((size_t)ny, sizeof(double)), *bq = calloc((size_t)nq, sizeof(double));
    double *bk = calloc((size_t)nk, sizeof(double)), *bv = calloc((size_t)nv, sizeof(double));
    GpErr *Q = calloc((size_t)tq * d, sizeof *Q), *K = calloc((size_t)tk * d, sizeof *K);
    GpErr *V = calloc((size_t)tk * dv, sizeof *V), *R = calloc((size_t)tq * dv, sizeof *R);
    GpErr *P = calloc((size_t)tq * tk, sizeof *P), *G = calloc((size_t)tq * tk, sizeof *G);
    GpErr *e = calloc((size_t)tk, sizeof *e), *t = calloc((size_t)tk, sizeof *t);
    for (int b = 0; b < B; b++) {
        for (long i = 0; i < (long)tq * d; i++) Q[i] = gp_exact(qv[(long)b * tq * d + i]);
        for (long i = 0; i < (long)tk * d; i++) K[i] = gp_exact(kv[(long)b * tk * d + i]);
        for (long i = 0; i < (long)tk * dv; i++) V[i] = gp_exact(vv[(long)b * tk * dv + i]);
        for (long i = 0; i < (long)tq * dv; i++) R[i] = gp_exact(run.r[(long)b * tq * dv + i]);
        for (int i = 0; i < tq; i++) {
            //: $s_j = \mathrm{fl}(c)\,(q_i\cdot k_j)$, then the softmax row with its input errors
            int jm = 0;
            for (int j = 0; j < tk; j++) {
                t[j] = gp_mul(dot_err(Q + (long)i * d, 1, K + (long)j * d, 1, d, 0), C);
                if (t[j].v > t[jm].v) jm = j;
            }
            for (int j = 0; j < tk; j++) e[j] = gp_exp(gp_sub(t[j], t[jm]));
            const GpErr s = sum_err(e, tk, 1);
            for (int j = 0; j < tk; j++) P[(long)i * tk + j] = gp_div(e[j], s);
        }
        for (int i = 0; i < tq; i++)
            for (int cc = 0; cc < dv; cc++) {
                //: $y_{ic} = \sum_j P_{ij} V_{jc}$
                const GpErr y = dot_err(P + (long)i * tk, 1, V + cc, dv, tk, 0);
                by[((long)b * tq + i) * dv + cc] = y.e + ref_slack(2.0 * (tk + d) + 8, fabs(y.v) + 1);
            }
        for (int j = 0; j < tk; j++)
            for (int cc = 0; cc < dv; cc++) {
                //: $\bar V = P^\top \bar Y$
                const GpErr g = dot_err(P + j, tk, R + cc, dv, tq, 1);
                bv[((long)b * tk + j) * dv + cc] = g.e + ref_slack(2.0 * (tq + tk + d) + 8, fabs(g.v) + 1);
            }
        for (int i = 0; i < tq; i++) {
            //: $\bar P = \bar Y V^\top$, then $\bar s_j = 0 + P_j(\bar P_j - \sum_k \bar P_k P_k)$, times $\mathrm{fl}(c)$
            GpErr *pr = P + (long)i * tk;
            for (int j = 0; j < tk; j++) {
                e[j] = dot_err(R + (long)i * dv, 1, V + (long)j * dv, 1, dv, 1);
                t[j] = gp_mul(e[j], pr[j]);
            }
            const GpErr dd = sum_err(t, tk, 1);
            for (int j = 0; j < tk; j++) G[(long)i * tk + j] = gp_mul(gp_mul(pr[j], gp_sub(e[j], dd)), C);
        }
        for (int i = 0; i < tq; i++)
            for (int l = 0; l < d; l++) {
                //: $\bar Q = \bar S K$
                const GpErr g = dot_err(G + (long)i * tk, 1, K + l, d, tk, 1);
                bq[((long)b * tq + i) * d + l] = g.e + ref_slack(4.0 * (tq + tk + d + dv) + 8, fabs(g.v) + 1);
            }
        for (int j = 0; j < tk; j++)
            for (int l = 0; l < d; l++) {
                //: $\bar K^\top = Q^\top \bar S$, swapped back (exact)
                const GpErr g = dot_err(Q + l, d, G + j, tk, tq, 1);
                bk[((long)b * tk + j) * d + l] = g.e + ref_slack(4.0 * (tq + tk + d + dv) + 8, fabs(g.v) + 1);
            }
    }
    record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), by, ny), what);
    record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bq, nq), what);
    record(op, 1, worst_ratio(run.ggrad[1], ad_grad_f64(run.cx[1]), bk, nk), what);
    record(op, 1, worst_ratio(run.ggrad[2], ad_grad_f64(run.cx[2]), bv, nv), what);
    free(by), free(bq), free(bk), free(bv), free(Q), free(K), free(V), free(R), free(P), free(G);
    free(e), free(t);
    run_free(&run);
    free(qv), free(kv), free(vv);
}

/* The EMA of a parameter: shadow = theta_0, then theta := theta_1 and one update, against
   common/optim.h's ema_new / ema_update (double inside, one rounding to float). */
static void case_ema(GadGraph *gr, double decay, long n) {
    const int op = OP_EMA;
    char what[96];
    snprintf(what, sizeof what, "ema decay %g n %ld", decay, n);
    float *p0 = random_floats(n, -1, 1), *p1 = random_floats(n, -1, 1);
    float *out = calloc((size_t)n, sizeof(float));
    const int shape[1] = {(int)n};
    AdTensor *p = ad_param_new(AD_F32, 1, shape);
    memcpy(ad_f32(p), p0, sizeof(float) * (size_t)n);
    gad_graph_reset(gr);
    GadTensor *gp = gad_param_from_ad(gr, p);
    int rc = !gp || gad_ema_init(gr, &gp, 1) || gad_run(gr, NULL);
    ParamBlock blk = {ad_f32(p), ad_grad_f32(p), (size_t)n};
    Ema *ema = ema_new(&blk, 1, decay);
    memcpy(ad_f32(p), p1, sizeof(float) * (size_t)n);
    ema_update(ema);
    rc = rc || gad_param_write(gp, p) || gad_ema_update(gr, &gp, 1, decay) || gad_run(gr, NULL) ||
         gad_ema_read(gp, out);
    if (rc) {
        fprintf(stderr, "test_gpu_ops: %s\n", gad_error(gr));
        record(op, 0, INFINITY, what);
    } else {
        cases[op]++;
        double *ref = calloc((size_t)n, sizeof(double)), *bb = calloc((size_t)n, sizeof(double));
        for (long i = 0; i < n; i++) {
            const GpErr y = gp_add(gp_mul(pushed(decay), gp_exact(p0[i])),
                                   gp_mul(pushed(1.0 - decay), gp_exact(p1[i])));
            ref[i] = ema->shadow[i];
            bb[i] = y.e + GP_U * fabs(y.v) + ref_slack(4, fabs(p0[i]) + fabs(p1[i]));
        }
        record(op, 0, worst_ratio(out, ref, bb, n), what);
        free(ref), free(bb);
    }
    ema_free(ema);
    gad_tensor_free(gp);
    ad_tensor_free(p);
    free(p0), free(p1), free(out);
}


/* ---------------------------------------------------------------------------------------- */
/* embedding: a gather (exact) and, backward, the sum over repeated indices                   */

typedef struct { const int *idx; int n; } EmbCfg;
static AdTensor *cpu_emb(AdArena *ar, AdTensor **x, const void *ctx) {
    const EmbCfg *c = ctx;
    return ad_embedding(ar, x[0], c->idx, c->n);
}
static GadTensor *gpu_emb(GadGraph *gr, GadTensor **x, const void *ctx) {
    const EmbCfg *c = ctx;
    return gad_embedding(gr, x[0], c->idx, c->n);
}

static void case_embedding(GadGraph *gr, AdArena *ar, int v, int d, int n) {
    const int op = OP_EMBEDDING;
    char what[96];
    snprintf(what, sizeof what, "embedding table (%d,%d), %d indices", v, d, n);
    int *idx = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) idx[i] = (int)rng_below(&rng, (uint32_t)v);
    float *tv = random_floats((long)v * d, -1, 1);
    Run run = {.nin = 1};
    run.cx[0] = param_of(2, (int[]){v, d}, tv);
    const EmbCfg cfg = {idx, n};
    if (run_case(gr, ar, &run, cpu_emb, gpu_emb, &cfg)) {
        record(op, 0, INFINITY, what);
    } else {
        cases[op]++;
        double *zero = calloc((size_t)run.ysize, sizeof(double));
        double *bb = calloc((size_t)v * d, sizeof(double)), *mag = calloc((size_t)v * d, sizeof(double));
        long *cnt = calloc((size_t)v, sizeof(long));
        for (int i = 0; i < n; i++) {
            cnt[idx[i]]++;
            for (int j = 0; j < d; j++) mag[(long)idx[i] * d + j] += fabs(run.r[(long)i * d + j]);
        }
        for (long k = 0; k < (long)v * d; k++)
            bb[k] = gam((double)cnt[k / d] + 1) * mag[k] + ref_slack((double)cnt[k / d], mag[k]);
        record(op, 0, worst_ratio(run.gy, ad_f64(run.cy), zero, run.ysize), what);
        record(op, 1, worst_ratio(run.ggrad[0], ad_grad_f64(run.cx[0]), bb, (long)v * d), what);
        free(zero), free(bb), free(mag), free(cnt);
    }
    run_free(&run);
    free(idx), free(tv);
}


/* Gradient clipping by the global norm over three tensors, against common/optim.h's
   clip_grad_norm (double inside, one rounding to float): `ratio` = c / ||g||. */
static void case_clip(GadGraph *gr, double ratio) {
    const int op = OP_CLIP;
    char what[96];
    snprintf(what, sizeof what, "clip c = %g ||g||", ratio);
    static const int sizes[3] = {7 * 33, 129, 1};
    AdTensor *cp[3];
    GadTensor *gp[3] = {0};
    float *gv[3];
    ParamBlock blk[3];
    gad_graph_reset(gr);
    int rc = 0;
    double ss = 0;
    GadTensor *l = NULL;
    for (int p = 0; p < 3; p++) {
        cp[p] = ad_param_new(AD_F32, 1, &sizes[p]);
        gv[p] = random_floats(sizes[p], -1, 1);
        for (int i = 0; i < sizes[p]; i++) ss += (double)gv[p][i] * gv[p][i];
        gp[p] = gad_param_from_ad(gr, cp[p]);
        /* L = sum_p sum(p * G_p): the gradient arrives exactly as G_p */
        GadTensor *t = gad_sum(gr, gad_mul(gr, gp[p], gad_input(gr, 1, &sizes[p], gv[p])));
        l = l ? gad_add(gr, l, t) : t;
        memcpy(ad_grad_f32(cp[p]), gv[p], sizeof(float) * (size_t)sizes[p]);
        blk[p] = (ParamBlock){ad_f32(cp[p]), ad_grad_f32(cp[p]), (size_t)sizes[p]};
    }
    const double c = ratio * sqrt(ss);
    GadTensor *res = NULL;
    rc = gad_backward(gr, l) || !(res = gad_clip_grad_norm(gr, gp, 3, c)) || gad_run(gr, NULL);
    float nrm[2] = {0, 0};
    rc = rc || gad_read(res, nrm);
    const double cpu_norm = clip_grad_norm(blk, 3, c);
    if (rc) {
        fprintf(stderr, "test_gpu_ops: %s\n", gad_error(gr));
        record(op, 0, INFINITY, what);
    } else {
        cases[op]++;
        /* ||g||^2: squares (u each), per-tensor trees (D), the tensors in order (3 adds) */
        double D = 0;
        for (int p = 0; p < 3; p++) D = fmax(D, tree_depth(sizes[p]));
        const GpErr norm = gp_sqrt((GpErr){ss, gam(D + 4) * ss});
        const double bn = norm.e + ref_slack(400, norm.v);
        record(op, 0, worst_ratio(&nrm[0], &cpu_norm, &bn, 1), what);
        const GpErr scale = norm.v > c ? gp_div(pushed(c), norm) : gp_exact(1);
        for (int p = 0; p < 3; p++) {
            float *dev = malloc(sizeof(float) * (size_t)sizes[p]);
            double *ref = calloc((size_t)sizes[p], sizeof(double)), *bb = calloc((size_t)sizes[p], sizeof(double));
            if (gad_read_grad(gp[p], dev)) record(op, 1, INFINITY, what);
            for (int i = 0; i < sizes[p]; i++) {
                const GpErr y = gp_mul(gp_exact(gv[p][i]), scale);
                ref[i] = ad_grad_f32(cp[p])[i];
                /* the CPU rounds once to float when it scales (nothing when it does not) */
                bb[i] = y.e + (norm.v > c ? GP_U * fabs(y.v) + ref_slack(8, fabs(y.v)) : 0);
            }
            record(op, 1, worst_ratio(dev, ref, bb, sizes[p]), what);
            free(dev), free(ref), free(bb);
        }
    }
    for (int p = 0; p < 3; p++) gad_tensor_free(gp[p]), ad_tensor_free(cp[p]), free(gv[p]);
}

/* ---------------------------------------------------------------------------------------- */

/* A graph needing more descriptor sets than one batch holds (GPU_MAX_SETS = 512 in
   gpu_vulkan.c; every op here binds its own buffers): y_0 = x, then n ops alternately
   y + x and y - x, L = sum(y_n * R). The batch is split into several submissions
   transparently; the results are exact (y_n = x; every partial sum of dL/dx is a multiple of R
   in {-R, 0, R, 2R}, representable), so any lost or reordered part shows as a nonzero error. */
static void test_split_batch(GadGraph *gr) {
    const int n = 1500, len = 7;
    float *xv = random_floats(len, -1, 1), *r = random_floats(len, -1, 1);
    AdTensor *cx = param_of(1, (int[]){len}, xv);
    gad_graph_reset(gr);
    GadTensor *x = gad_param_from_ad(gr, cx), *y = x;
    for (int i = 0; i < n; i++) y = i % 2 ? gad_sub(gr, y, x) : gad_add(gr, y, x);
    GadTensor *l = gad_sum(gr, gad_mul(gr, y, gad_input(gr, 1, (int[]){len}, r)));
    float yv[7], gv[7];
    const int rc = !l || gad_backward(gr, l) || gad_run(gr, NULL) || gad_read(y, yv) ||
                   gad_read_grad(x, gv);
    double worst = rc ? INFINITY : 0;
    for (int i = 0; i < len && !rc; i++)
        worst = fmax(worst, fmax(fabs((double)yv[i] - xv[i]), fabs((double)gv[i] - r[i])));
    if (rc) fprintf(stderr, "test_split_batch: %s\n", gad_error(gr));
    check_le("common.gpu.ad_ops.split_batch", worst, 0.0, 0.0, NULL,
             "a chain of %d adds/subtracts (%d forward and about %d backward dispatches, each "
             "binding different buffers; one batch holds 512 binding sets) runs split over "
             "several submissions: y_n = x and dL/dx = R exactly (max error)", n, n + 3, 2 * n);
    gad_tensor_free(x);
    ad_tensor_free(cx);
    free(xv), free(r);
}

/* Two runs of the same graph give the same bits (fixed summation orders). */
static void test_determinism(GadGraph *gr, AdArena *ar) {
    float *a = random_floats(65 * 129, -1, 1), *b = random_floats(129 * 33, -1, 1);
    float *out[2];
    int rc = 0;
    for (int rep = 0; rep < 2; rep++) {
        ad_arena_reset(ar);
        gad_graph_reset(gr);
        GadTensor *ga = gad_input(gr, 2, (int[]){65, 129}, a);
        GadTensor *gb = gad_input(gr, 2, (int[]){129, 33}, b);
        GadTensor *y = gad_sum(gr, gad_tanh(gr, gad_matmul(gr, ga, gb)));
        out[rep] = malloc(sizeof(float));
        rc = rc || gad_run(gr, NULL) || gad_read(y, out[rep]);
    }
    check_true("common.gpu.ad_ops.deterministic", !rc && !memcmp(out[0], out[1], sizeof(float)),
               "sum(tanh(A B)) for A (65,129), B (129,33), run twice: the same bits (%.9g)",
               (double)out[0][0]);
    free(out[0]), free(out[1]), free(a), free(b);
}

/* A shape the executor does not take: an error message and NULL, not a crash. */
static void test_bad_shapes(GadGraph *gr) {
    gad_graph_reset(gr);
    GadGraph *g2 = gad_graph_new(NULL);
    GadTensor *a = gad_input(gr, 2, (int[]){3, 1}, NULL), *b = gad_input(gr, 2, (int[]){1, 4}, NULL);
    GadTensor *y = gad_add(gr, a, b);
    check_true("common.gpu.ad_ops.bad_shape", y == NULL && g2 == NULL && strlen(gad_error(gr)) > 0,
               "(3,1) + (1,4) (two-sided broadcasting, not in this slice) returns NULL: \"%s\"",
               gad_error(gr));
}

/* A matmul of inner length 70000: past the CPU driver's loop limit (gpu.h) it must be refused
   with a message, not run wrong; on a real GPU it runs and lies within gamma_k sum |a b|. */
static void test_loop_limit(GadGraph *gr, GpuContext *g) {
    const int k = 70000;
    float *a = random_floats(k, -1, 1), *b = random_floats(k, -1, 1);
    double exact = 0, mag = 0;
    for (int i = 0; i < k; i++) exact += (double)a[i] * b[i], mag += fabs((double)a[i] * b[i]);
    gad_graph_reset(gr);
    GadTensor *y = gad_matmul(gr, gad_input(gr, 2, (int[]){1, k}, a), gad_input(gr, 2, (int[]){k, 1}, b));
    if (gpu_info(g)->is_cpu_device) {
        check_true("common.gpu.ad_ops.loop_limit", y == NULL && strstr(gad_error(gr), "limit"),
                   "on a CPU driver a matmul with k = %d is refused: \"%s\"", k, gad_error(gr));
    } else {
        float v = NAN;
        const int rc = !y || gad_run(gr, NULL) || gad_read(y, &v);
        check_le("common.gpu.ad_ops.loop_limit", rc ? INFINITY : fabs(v - exact),
                 gam(k) * mag + ref_slack(k, mag), 0.0, NULL,
                 "a dot product of length %d on the device within gamma_k sum |a b|", k);
    }
    free(a), free(b);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "every op of gpu_ad against common/ad in f64", 13, NULL);
    rng_init(&rng, cli.seed, 0);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    if (!g) {
        for (int op = 0; op < OP_COUNT; op++) {
            char id[64];
            snprintf(id, sizeof id, "common.gpu.ad_ops.%s", OP_NAME[op]);
            check_skip(id, "no GPU context: %s", why);
        }
        check_skip("common.gpu.ad_ops.deterministic", "no GPU context: %s", why);
        check_skip("common.gpu.ad_ops.split_batch", "no GPU context: %s", why);
        check_skip("common.gpu.ad_ops.bad_shape", "no GPU context: %s", why);
        check_skip("common.gpu.ad_ops.loop_limit", "no GPU context: %s", why);
        gpu_test_close(g, "common.gpu.ad_ops_validation_clean");
        return check_end();
    }
    GadGraph *gr = gad_graph_new(g);
    AdArena *ar = ad_arena_new(1 << 20);
    /* matmul / linear: (m, k, n), odd sizes */
    static const int MM[][3] = {{1, 1, 1}, {7, 33, 5}, {33, 65, 7}, {65, 7, 129}, {129, 129, 33}, {2, 64, 64}};
    for (size_t i = 0; i < sizeof MM / sizeof MM[0]; i++) {
        case_linear(gr, ar, MM[i][0], MM[i][1], MM[i][2], 0);
        case_linear(gr, ar, MM[i][0], MM[i][1], MM[i][2], 1);
    }
    /* batched and transposed products (attention's q k^T and p v) */
    case_bmm(gr, ar, 3, 7, 5, 9, 0);
    case_bmm(gr, ar, 2, 33, 65, 7, 0);
    case_bmm(gr, ar, 1, 1, 1, 1, 1);
    case_bmm(gr, ar, 0, 7, 33, 5, 1);
    case_bmm(gr, ar, 4, 17, 8, 17, 1);
    /* broadcasting: same shape, row bias, bias first, per-channel NCHW, scalar, size 1 */
    for (int op = OP_ADD; op <= OP_MUL; op++) {
        case_binary(gr, ar, op, 2, (int[]){7, 33}, 2, (int[]){7, 33});
        case_binary(gr, ar, op, 1, (int[]){129}, 1, (int[]){129});
        case_binary(gr, ar, op, 2, (int[]){65, 33}, 1, (int[]){33});
        case_binary(gr, ar, op, 1, (int[]){33}, 2, (int[]){65, 33});
        case_binary(gr, ar, op, 4, (int[]){2, 7, 5, 3}, 4, (int[]){1, 7, 1, 1});
        case_binary(gr, ar, op, 2, (int[]){33, 7}, 1, (int[]){1});
        case_binary(gr, ar, op, 1, (int[]){1}, 1, (int[]){1});
        case_binary(gr, ar, op, 3, (int[]){3, 65, 7}, 2, (int[]){65, 1});
    }
    /* division: the same layouts, and a divisor broadcast over the numerator's rows */
    case_div(gr, ar, 2, (int[]){7, 33}, 2, (int[]){7, 33});
    case_div(gr, ar, 1, (int[]){129}, 1, (int[]){129});
    case_div(gr, ar, 2, (int[]){65, 33}, 2, (int[]){1, 33});
    case_div(gr, ar, 1, (int[]){33}, 2, (int[]){65, 33});
    case_div(gr, ar, 4, (int[]){2, 7, 5, 3}, 4, (int[]){1, 7, 1, 1});
    case_div(gr, ar, 2, (int[]){33, 7}, 1, (int[]){1});
    case_div(gr, ar, 1, (int[]){1}, 1, (int[]){1});
    case_div(gr, ar, 3, (int[]){3, 65, 7}, 2, (int[]){65, 1});
    for (int op = OP_RELU; op <= OP_SILU; op++) {
        case_unary(gr, ar, op, 1, (int[]){1});
        case_unary(gr, ar, op, 2, (int[]){7, 33});
        case_unary(gr, ar, op, 2, (int[]){65, 129});
    }
    for (int op = OP_EXP; op <= OP_SQRT; op++) {
        case_unary(gr, ar, op, 1, (int[]){1});
        case_unary(gr, ar, op, 2, (int[]){7, 33});
        case_unary(gr, ar, op, 2, (int[]){65, 129});
    }
    /* sum / mean over one axis: (shape, axis, keepdim, mean) */
    case_sum_axis(gr, ar, 2, (int[]){1, 1}, (AxisCfg){0, 0, 0});
    case_sum_axis(gr, ar, 2, (int[]){7, 33}, (AxisCfg){1, 0, 0});
    case_sum_axis(gr, ar, 2, (int[]){7, 33}, (AxisCfg){0, 1, 1});
    case_sum_axis(gr, ar, 3, (int[]){3, 65, 7}, (AxisCfg){1, 1, 0});
    case_sum_axis(gr, ar, 3, (int[]){5, 2, 129}, (AxisCfg){2, 0, 1});
    case_sum_axis(gr, ar, 4, (int[]){2, 3, 5, 7}, (AxisCfg){1, 1, 1});
    case_detach(gr, ar, 1, (int[]){1});
    case_detach(gr, ar, 2, (int[]){65, 33});
    static const int RD[][2] = {{1, 1}, {1, 7}, {8, 8}, {5, 13}, {129, 33}, {17, 241}};
    for (int op = OP_SUM; op <= OP_MSE; op++)
        for (size_t i = 0; i < sizeof RD / sizeof RD[0]; i++) case_reduce(gr, ar, op, RD[i][0], RD[i][1]);
    case_adam(gr, optim_adam(1e-3, 0.9, 0.999, 1e-8, 0), 1, 129);
    case_adam(gr, optim_adam(3e-4, 0.9, 0.999, 1e-8, 1e-2), 7, 65);
    case_adam(gr, optim_adamw(1e-2, 0.8, 0.99, 1e-6, 0.1), 3, 33);
    case_clip(gr, 0.5);
    case_clip(gr, 0.01);
    case_clip(gr, 2.0);
    case_ema(gr, 0.999, 129);
    case_ema(gr, 0.9, 1);
    case_ema(gr, 0.5, 65);
    /* conv2d: (n, c, h, w, o, k, stride, pad) */
    case_conv(gr, ar, 1, 1, 1, 1, 1, 1, 1, 0);
    case_conv(gr, ar, 2, 3, 7, 5, 4, 3, 1, 1);
    case_conv(gr, ar, 3, 2, 9, 8, 5, 3, 2, 1);
    case_conv(gr, ar, 2, 5, 6, 7, 7, 1, 1, 0);
    case_conv(gr, ar, 1, 4, 11, 13, 3, 5, 2, 2);
    case_conv(gr, ar, 2, 33, 8, 8, 17, 3, 1, 1);
    /* conv_transpose2d: (n, cin, h, w, cout, k, stride, pad) */
    case_convt(gr, ar, 1, 1, 1, 1, 1, 1, 1, 0);
    case_convt(gr, ar, 2, 3, 4, 5, 4, 4, 2, 1);
    case_convt(gr, ar, 3, 5, 3, 3, 2, 3, 1, 1);
    case_convt(gr, ar, 1, 4, 5, 6, 7, 3, 2, 0);
    case_convt(gr, ar, 2, 17, 4, 4, 9, 2, 2, 0);
    /* concat (the U-Net's skip connections: channels of NCHW) and slice */
    case_copy(gr, ar, (CopyCfg){2, 1, 0, 0}, 4, (const int[3][4]){{2, 3, 4, 5}, {2, 2, 4, 5}});
    case_copy(gr, ar, (CopyCfg){3, 0, 0, 0}, 2, (const int[3][4]){{1, 7}, {3, 7}, {2, 7}});
    case_copy(gr, ar, (CopyCfg){2, -1, 0, 0}, 2, (const int[3][4]){{65, 3}, {65, 1}});
    case_copy(gr, ar, (CopyCfg){0, 1, 1, 3}, 4, (const int[3][4]){{2, 5, 3, 3}});
    case_copy(gr, ar, (CopyCfg){0, 0, 0, 1}, 2, (const int[3][4]){{7, 33}});
    case_copy(gr, ar, (CopyCfg){0, -1, 2, 129}, 2, (const int[3][4]){{3, 129}});
    case_copy(gr, ar, (CopyCfg){-1, 0, 0, 0}, 4, (const int[3][4]){{2, 3, 5, 7}});
    case_copy(gr, ar, (CopyCfg){-1, 0, 0, 0}, 3, (const int[3][4]){{65, 1, 3}});
    case_copy(gr, ar, (CopyCfg){-2, 0, 0, 0}, 3, (const int[3][4]){{2, 7, 33}});
    case_copy(gr, ar, (CopyCfg){-2, 0, 0, 0}, 2, (const int[3][4]){{65, 3}});
    case_copy(gr, ar, (CopyCfg){-2, 0, 0, 0}, 4, (const int[3][4]){{2, 3, 5, 1}});
    /* any two axes: multi-head attention's 1 <-> 2 of (B, T, H, d), outer ones, negative
       axes, reversed order, a length-1 axis, the same axis twice (the identity) */
    case_copy(gr, ar, (CopyCfg){-3, 0, 1, 2}, 4, (const int[3][4]){{2, 7, 3, 5}});
    case_copy(gr, ar, (CopyCfg){-3, 0, 0, 3}, 4, (const int[3][4]){{3, 2, 5, 7}});
    case_copy(gr, ar, (CopyCfg){-3, 0, -1, -3}, 4, (const int[3][4]){{2, 3, 5, 7}});
    case_copy(gr, ar, (CopyCfg){-3, 0, 1, 0}, 3, (const int[3][4]){{3, 4, 5}});
    case_copy(gr, ar, (CopyCfg){-3, 0, 0, 1}, 2, (const int[3][4]){{33, 7}});
    case_copy(gr, ar, (CopyCfg){-3, 0, 1, 3}, 4, (const int[3][4]){{5, 1, 7, 3}});
    case_copy(gr, ar, (CopyCfg){-3, 0, 2, 2}, 4, (const int[3][4]){{2, 3, 5, 7}});
    /* avg_pool2d, upsample_nearest2d: (pool, n, c, h, w, k) */
    case_resample(gr, ar, 1, 1, 1, 1, 1, 1);
    case_resample(gr, ar, 1, 2, 3, 8, 6, 2);
    case_resample(gr, ar, 1, 1, 2, 9, 9, 3);
    case_resample(gr, ar, 0, 1, 1, 1, 1, 1);
    case_resample(gr, ar, 0, 2, 3, 4, 5, 2);
    case_resample(gr, ar, 0, 1, 2, 3, 3, 3);
    /* embedding: table (V, d), n indices (with repeats) */
    case_embedding(gr, ar, 1, 1, 1);
    case_embedding(gr, ar, 7, 5, 13);
    case_embedding(gr, ar, 33, 65, 129);
    /* softmax: rows, cols, input spread */
    case_softmax(gr, ar, 1, 1, 1);
    case_softmax(gr, ar, 7, 33, 3);
    case_softmax(gr, ar, 65, 10, 8);
    case_softmax(gr, ar, 3, 129, 1);
    /* log_softmax and cross_entropy: rows, cols, input spread */
    for (int ce = 0; ce <= 1; ce++) {
        case_log_softmax(gr, ar, 1, 1, 1, ce);
        case_log_softmax(gr, ar, 7, 33, 3, ce);
        case_log_softmax(gr, ar, 65, 10, 8, ce);
        case_log_softmax(gr, ar, 129, 2, 4, ce);
    }
    /* attention: (B, Tq, Tk, d, dv) */
    case_attention(gr, ar, 1, 1, 1, 1, 1);
    case_attention(gr, ar, 2, 7, 5, 3, 4);
    case_attention(gr, ar, 3, 16, 16, 8, 8);
    case_attention(gr, ar, 1, 9, 33, 7, 2);
    /* group_norm: (n, c, h, w, groups) */
    case_group_norm(gr, ar, 1, 1, 1, 7, 1);
    case_group_norm(gr, ar, 2, 4, 3, 5, 2);
    case_group_norm(gr, ar, 3, 6, 7, 1, 3);
    case_group_norm(gr, ar, 2, 8, 9, 9, 4);
    case_group_norm(gr, ar, 1, 33, 5, 3, 1);

    for (int op = 0; op < OP_COUNT; op++) {
        char id[64];
        snprintf(id, sizeof id, "common.gpu.ad_ops.%s", OP_NAME[op]);
        printf("  %-8s %2d cases: worst error/bound forward %.3g, backward %.3g\n", OP_NAME[op],
               cases[op], worst_fwd[op], worst_bwd[op]);
        const double w = fmax(worst_fwd[op], worst_bwd[op]);
        check_le(id, cases[op] > 0 ? w : INFINITY, 1.0, 0.0, NULL,
                 "%s on the device vs %s: every value and gradient within the "
                 "precision model's bound (%d cases)%s%s", OP_NAME[op],
                 op == OP_ADAM || op == OP_EMA || op == OP_CLIP ? "common/optim" : "common/ad f64", cases[op],
                 failures[op] ? "; first failure " : "", failures[op] ? first_failure[op] : "");
    }
    test_determinism(gr, ar);
    test_split_batch(gr);
    test_bad_shapes(gr);
    gad_graph_free(gr); /* a failed graph stays failed: a fresh one */
    gr = gad_graph_new(g);
    test_loop_limit(gr, g);
    ad_arena_free(ar);
    gad_graph_free(gr);
    gpu_test_close(g, "common.gpu.ad_ops_validation_clean");
    return check_end();
}
