/* test_gpu_replay — common/ad graphs recorded once and run on the device (gpu/gpu_ad_replay.h),
   and gm_train with a GpuContext (common/genmodel.h).

   1. Record-only mode (no device needed): an MLP graph and a Tiny U-Net graph (GroupNorm,
      transposed convolution, attention at the bottleneck) recorded normally and in deferred
      mode give the same tape (op names, shapes, iparam/dparam), and reading a deferred value
      marks the step not deferrable, naming the op.
   2. One step from a common state, device vs CPU, for the Tiny U-Net DDPM loss (8x8 images) and
      L42's flow matching (gm_fm, an MLP): the same parameters, minibatch and noise on both
      paths; the family's train_step recorded on the CPU (normal) and in deferred mode replayed
      on the device.
   3. gm_train with and without a context for both families: the device runs every step.
   4. A family with an op that has no device kernel (a test family's ad_sin) falls back to the
      CPU cleanly: gm_train_device names the op, and gm_train's result is bit-identical to a run
      without a context.
   (2) and (3) run for the Tiny U-Net, flow matching, and since the exp/log/softplus/sqrt
   kernels, the axis sums, log-softmax and cross-entropy and a deferrable ad_detach, also L42's
   VAE, RealNVP, vanilla GAN (the discriminator's step, with the generated batch detached), the
   MLP DDPM and MADE; since gad_div, the diagonal Gaussian; since the split batch, RealNVP at
   L42 06's size; since gad_swap_axes, L42 11's TransformerAR (in small); since the gradient
   penalty's interpolates are recorded ops (common/gm_gan.c), WGAN-GP (the critic's step holds
   the input gradient of the critic as a graph, its norm, the penalty).

   The tolerance of (2), from the precision model (gpu_precision.h), to first order. Every
   float32 op on the tape has a rounding bound delta_j per output element given exact inputs:
   a dot product or convolution of k terms gamma_{k+1} (|x||W| + |b|) (Higham eq. 3.4, any
   order, fused or not; the magnitudes computed by the same common/ad op on |x|, |W|, |b|),
   +, -, * u |y|, / 2.5 ulp, a scaling by a rounded constant 2u|y|, the activations the running bounds of
   the Vulkan ulp table (gp_activation), the fixed reduction tree gamma_D sum|x|, GroupNorm the
   GpErr chain of test_gpu_ops (mean, centred variance, 1/sqrt, affine), copies 0. A rounding
   error delta_j at element j of op output y reaches the loss multiplied by dL/dy_j (Iri's
   linearised error analysis), which the CPU's own backward pass provides for every tape entry.
   So each implementation's loss is within E = sum_y sum_j |dL/dy_j| delta_j of the exact loss
   (up to O(E^2) terms, ~1e-12 relative here), and the two are within 2E: the check. The CPU
   path satisfies the same per-op bounds (it rounds double results to float or sums floats).
   The gradients and the N-step trajectories are printed, not checked: a bound on the backward
   pass needs second derivatives, and Adam moves an entry by about lr sign(g), so a gradient
   within its rounding of 0 may step either way on the two paths (test_gpu_ad_train.c); the
   op-level gradient bounds are test_gpu_ops', the MLP's whole-step bound test_gpu_ad_train's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/causal_transformer.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/genmodel.h"
#include "common/diffusion_schedule.h"
#include "common/gm_ar.h"
#include "common/gm_diffusion.h"
#include "common/gm_fm.h"
#include "common/gm_gan.h"
#include "common/gm_realnvp.h"
#include "common/gm_vae.h"
#include "common/nn.h"
#include "common/rng.h"
#include "common/tiny_unet.h"
#include "common/util.h"
#include "gpu/gpu_ad.h"
#include "gpu/gpu_ad_replay.h"
#include "gpu/gpu_precision.h"
#include "gpu/gpu_shared.h"

static double gam(double n) { return n * GP_U / (1.0 - n * GP_U); }

/* ---------------------------------------------------------------------------------------- */
/* 1. Record-only mode                                                                        */

static int tape_of(AdTensor *loss, const AdTensor **out, int max) {
    int n = 0;
    for (const AdTensor *t = loss; t; t = t->tape_prev) n++;
    if (n > max) return -1;
    int k = n;
    for (const AdTensor *t = loss; t; t = t->tape_prev) out[--k] = t;
    return n;
}

static int same_entry(const AdTensor *a, const AdTensor *b) {
    int ok = !strcmp(a->op, b->op) && a->ndim == b->ndim && a->size == b->size;
    for (int i = 0; i < AD_MAX_DIM; i++) ok &= a->shape[i] == b->shape[i];
    for (int i = 0; i < 6; i++) ok &= a->iparam[i] == b->iparam[i];
    for (int i = 0; i < 2; i++) ok &= a->dparam[i] == b->dparam[i];
    return ok;
}

typedef AdTensor *(*BuildFn)(AdArena *ar, void *ctx);

static void check_same_tape(const char *id, const char *what, BuildFn build, void *ctx) {
    enum { MAXT = 4096 };
    const AdTensor **ta = malloc(MAXT * sizeof *ta), **tb = malloc(MAXT * sizeof *tb);
    AdArena *a = ad_arena_new(1 << 20), *b = ad_arena_new(1 << 20);
    ad_arena_set_deferred(b, 1);
    const int na = tape_of(build(a, ctx), ta, MAXT), nb = tape_of(build(b, ctx), tb, MAXT);
    int same = na > 0 && na == nb, deferred = 1;
    for (int i = 0; same && i < na; i++) same = same_entry(ta[i], tb[i]);
    for (int i = 0; i < nb && nb > 0; i++) deferred &= tb[i]->deferred != NULL;
    for (int i = 0; i < na && na > 0; i++) deferred &= ta[i]->deferred == NULL;
    check_true(id, same && deferred && !ad_arena_not_deferrable(b),
               "%s: deferred recording gives the normal tape (%d and %d entries, op names, "
               "shapes, iparam/dparam equal; every deferred entry marked, none of the normal)",
               what, na, nb);
    ad_arena_free(a), ad_arena_free(b);
    free(ta), free(tb);
}

static AdTensor *mlp_graph(AdArena *ar, void *ctx) {
    const NnMlp *m = ctx;
    float x[7 * 3];
    for (int i = 0; i < 21; i++) x[i] = (float)(0.1 * i - 1);
    AdTensor *ax = ad_from_array(ar, AD_F32, 2, (int[]){7, 3}, x);
    return ad_mean(ar, ad_square(ar, ad_sub(ar, nn_mlp_forward(ar, m, ax), ad_scale(ar, ax, 0.5))));
}

static AdTensor *unet_graph(AdArena *ar, void *ctx) {
    const TinyUNet *m = ctx;
    const int H = m->cfg.image_size, n = 3;
    AdTensor *x = ad_input(ar, AD_F32, 4, (int[]){n, 1, H, H});
    for (long i = 0; i < x->size; i++) ad_set(x, i, sin(0.3 * (double)i));
    const int t[3] = {1, 17, 40}, y[3] = {0, 1, 2};
    AdTensor *out = tiny_unet_forward(ar, m, x, t, m->cfg.n_classes ? y : NULL, NULL);
    return ad_mean(ar, ad_square(ar, ad_sub(ar, out, x)));
}

static TinyUNetConfig small_unet_config(int classes) {
    TinyUNetConfig c = tiny_unet_config_lecture();
    c.d_model = 8, c.t_emb = 8, c.t_hidden = 16, c.groups = 2, c.image_size = 8;
    c.n_classes = classes, c.time_per_level = 1, c.enc1_skip = 1, c.mid_attention = 1;
    return c;
}

static void test_deferred(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 31);
    NnMlp mlp;
    nn_mlp_init(&mlp, 3, (int[]){3, 16, 16, 3}, NN_ACT_SILU, AD_F32, &r);
    check_same_tape("common.gpu.replay.deferred_tape_mlp", "MLP 3-16-16-3 (SiLU) with a scaled target",
                    mlp_graph, &mlp);
    TinyUNet un;
    const TinyUNetConfig c = small_unet_config(2);
    tiny_unet_init(&un, &c, &r);
    check_same_tape("common.gpu.replay.deferred_tape_unet",
                    "Tiny U-Net d 8, 8x8, 2 classes, time bias per level, enc1 skip, attention",
                    unet_graph, &un);
    /* reading a deferred value: the step is refused, naming the op. ad_detach itself is
       deferrable (a no-gradient identity the replay maps to gad_detach); reading the detached
       value is not */
    AdArena *ar = ad_arena_new(1 << 16);
    ad_arena_set_deferred(ar, 1);
    AdTensor *h = ad_tanh(ar, mlp.layers[0].bias);
    AdTensor *detached = ad_detach(ar, ad_silu(ar, h));
    const int detach_ok = ad_arena_not_deferrable(ar) == NULL && detached->deferred &&
                          detached->in[0] && !strcmp(detached->in[0]->op, "ad_silu");
    (void)ad_f32(detached);
    char why[200];
    snprintf(why, sizeof why, "%s", ad_arena_not_deferrable(ar) ? ad_arena_not_deferrable(ar) : "(none)");
    const int named = detach_ok && strstr(why, "ad_f32") && strstr(why, "detach");
    ad_arena_reset(ar);
    const int cleared = ad_arena_not_deferrable(ar) == NULL;
    (void)ad_item(ad_sum(ar, h = ad_tanh(ar, mlp.layers[0].bias)));
    const char *why2 = ad_arena_not_deferrable(ar);
    check_true("common.gpu.replay.not_deferrable", named && cleared && why2 && strstr(why2, "ad_sum"),
               "ad_detach of a deferred value stays deferrable (its source kept); reading the "
               "detached value refuses the step and names the op: \"%s\"; after a reset "
               "the step is clean again; ad_item of a deferred loss: \"%s\"", why,
               why2 ? why2 : "(none)");
    ad_arena_free(ar);
    tiny_unet_free(&un);
    nn_mlp_free(&mlp);
}

/* ---------------------------------------------------------------------------------------- */
/* The first-order bound E of a float32 tape (see the header)                                 */

static float *abs_copy(const AdTensor *t) {
    float *v = xmalloc((size_t)t->size * sizeof *v);
    for (long i = 0; i < t->size; i++) v[i] = (float)fabs(ad_get(t, i));
    return v;
}

static AdTensor *abs_tensor(AdArena *s, const AdTensor *t) {
    if (!t) return NULL;
    float *v = abs_copy(t);
    AdTensor *a = ad_from_array(s, AD_F32, t->ndim, t->shape, v);
    free(v);
    return a;
}

static long tree_depth(long n) {
    long d = 0;
    do {
        d += n < 64 ? n : 64;
        n = (n + 63) / 64;
    } while (n > 1);
    return d;
}

static GpErr sum_err(const GpErr *t, long n) {
    double v = 0, e = 0, mag = 0;
    for (long i = 0; i < n; i++) v += t[i].v, e += t[i].e, mag += fabs(t[i].v) + t[i].e;
    return (GpErr){v, e + gam((double)n) * mag};
}

/* GroupNorm's bound per output element: the chain of test_gpu_ops's case_group_norm */
static void gn_delta(const AdTensor *y, double *delta) {
    const AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const int n = x->shape[0], c = x->shape[1], groups = y->iparam[0], cg = c / groups;
    long s = 1;
    for (int i = 2; i < x->ndim; i++) s *= x->shape[i];
    const long m = cg * s;
    const GpErr inv_m = {1.0 / (double)m, GP_U / (double)m}, eps = {y->dparam[0], GP_U * y->dparam[0]};
    GpErr *q = xmalloc((size_t)m * sizeof *q), *d = xmalloc((size_t)m * sizeof *d);
    for (int smp = 0; smp < n; smp++)
        for (int gi = 0; gi < groups; gi++) {
            const long base = ((long)smp * c + (long)gi * cg) * s;
            for (long e = 0; e < m; e++) q[e] = gp_exact(ad_get(x, base + e));
            const GpErr mu = gp_mul(sum_err(q, m), inv_m);
            for (long e = 0; e < m; e++) {
                d[e] = gp_sub(gp_exact(ad_get(x, base + e)), mu);
                q[e] = gp_mul(d[e], d[e]);
            }
            const GpErr rstd = gp_div(gp_exact(1), gp_sqrt(gp_add(gp_mul(sum_err(q, m), inv_m), eps)));
            for (long e = 0; e < m; e++) {
                const int ch = (int)(((base + e) / s) % c);
                const GpErr wv = gp_exact(w ? ad_get(w, ch) : 1.0), bv = gp_exact(b ? ad_get(b, ch) : 0.0);
                delta[base + e] = gp_add(gp_mul(gp_mul(d[e], rstd), wv), bv).e;
            }
        }
    free(q), free(d);
}

/* delta (y->size) for tape entry y; 0 on success, -1 for an op without a bound model here */
static int op_delta(const AdTensor *y, double *delta) {
    const char *op = y->op;
    const AdTensor *x = y->in[0];
    AdArena *s = ad_arena_new(1 << 16);
    int rc = 0;
    AdTensor *mag = NULL;
    double g = 0;
    if (!strcmp(op, "ad_linear") || !strcmp(op, "ad_matmul")) {
        AdTensor *ax = abs_tensor(s, x), *aw = abs_tensor(s, y->in[1]);
        mag = !strcmp(op, "ad_linear") ? ad_linear(s, ax, aw, abs_tensor(s, y->in[2])) : ad_matmul(s, ax, aw);
        g = gam((double)x->shape[x->ndim - 1] + 1);
    } else if (!strcmp(op, "ad_conv2d") || !strcmp(op, "ad_conv_transpose2d")) {
        AdTensor *ax = abs_tensor(s, x), *aw = abs_tensor(s, y->in[1]), *ab = abs_tensor(s, y->in[2]);
        const AdTensor *w = y->in[1];
        if (!strcmp(op, "ad_conv2d")) {
            mag = ad_conv2d(s, ax, aw, ab, y->iparam[0], y->iparam[1]);
            g = gam((double)w->shape[1] * w->shape[2] * w->shape[3] + 1);
        } else {
            mag = ad_conv_transpose2d(s, ax, aw, ab, y->iparam[0], y->iparam[1]);
            //: the product over Cin, then the col2im sum of at most kh kw columns, then the bias
            g = gam((double)w->shape[0] * w->shape[2] * w->shape[3] + 2);
        }
    } else if (!strcmp(op, "ad_add") || !strcmp(op, "ad_sub") || !strcmp(op, "ad_mul") ||
               !strcmp(op, "ad_square")) {
        /* an infinite result (attention's -inf mask plus a finite score) is exact */
        for (long i = 0; i < y->size; i++) delta[i] = isfinite(ad_get(y, i)) ? GP_U * fabs(ad_get(y, i)) : 0.0;
    } else if (!strcmp(op, "ad_div")) {
        /* GLSL's division of (here exact) operands: 2.5 ulp (gp_div) */
        for (long i = 0; i < y->size; i++) delta[i] = GP_DIV_ULP * GP_ULP * fabs(ad_get(y, i));
    } else if (!strcmp(op, "ad_scale")) {
        for (long i = 0; i < y->size; i++) delta[i] = gam(2) * fabs(ad_get(y, i));
    } else if (!strcmp(op, "ad_add_const")) {
        for (long i = 0; i < y->size; i++) delta[i] = gam(1) * (fabs(ad_get(y, i)) + 2 * fabs(y->dparam[0]));
    } else if (!strcmp(op, "ad_tanh") || !strcmp(op, "ad_silu")) {
        const int act = !strcmp(op, "ad_tanh") ? GPU_ACT_TANH : GPU_ACT_SILU;
        for (long i = 0; i < y->size; i++) delta[i] = gp_activation(act, gp_exact(ad_get(x, i))).e;
    } else if (!strcmp(op, "ad_sigmoid")) {
        for (long i = 0; i < y->size; i++)
            delta[i] = gp_div(gp_exact(1), gp_add(gp_exact(1), gp_exp(gp_exact(-ad_get(x, i))))).e;
    } else if (!strcmp(op, "ad_exp") || !strcmp(op, "ad_log") || !strcmp(op, "ad_sqrt") ||
               !strcmp(op, "ad_softplus")) {
        /* the kernel's formulas (ad_unary.comp) with the Vulkan ulp table */
        for (long i = 0; i < y->size; i++) {
            const double v = ad_get(x, i);
            const GpErr e = !strcmp(op, "ad_exp") ? gp_exp(gp_exact(v))
                          : !strcmp(op, "ad_log") ? gp_log(gp_exact(v))
                          : !strcmp(op, "ad_sqrt") ? gp_sqrt(gp_exact(v))
                          : gp_add(gp_exact(fmax(v, 0)), gp_log(gp_add(gp_exact(1), gp_exp(gp_exact(-fabs(v))))));
            delta[i] = e.e;
        }
    } else if (!strcmp(op, "ad_sum_axis") || !strcmp(op, "ad_mean_axis")) {
        /* (outer, n, inner): a product with ones, gamma_n sum|x|, then the rounded 1/n (mean) */
        const long outer = y->iparam[0], len = y->iparam[1], inner = y->iparam[2];
        const int mean = !strcmp(op, "ad_mean_axis");
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++) {
                double a = 0;
                for (long j = 0; j < len; j++) a += fabs(ad_get(x, (o * len + j) * inner + i));
                delta[o * inner + i] = gam((double)len) * a * (mean ? 1.0 / (double)len : 1.0) +
                                       (mean ? gam(2) * fabs(ad_get(y, o * inner + i)) : 0.0);
            }
    } else if (!strcmp(op, "ad_sum") || !strcmp(op, "ad_mean")) {
        double a = 0;
        for (long i = 0; i < x->size; i++) a += fabs(ad_get(x, i));
        const double scale = !strcmp(op, "ad_mean") ? 1.0 / (double)x->size : 1.0;
        //: the tree's $\gamma_D \sum|x|$, then the rounded $1/n$ and the product (mean)
        delta[0] = gam((double)tree_depth(x->size)) * a * scale + gam(2) * fabs(ad_get(y, 0));
    } else if (!strcmp(op, "ad_relu") || !strcmp(op, "ad_reshape") || !strcmp(op, "ad_slice") ||
               !strcmp(op, "ad_concat") || !strcmp(op, "ad_swap_axes") ||
               !strcmp(op, "ad_embedding") || !strcmp(op, "ad_upsample_nearest2d")) {
        for (long i = 0; i < y->size; i++) delta[i] = 0;
    } else if (!strcmp(op, "ad_group_norm")) {
        gn_delta(y, delta);
    } else if (!strcmp(op, "ad_log_softmax") || !strcmp(op, "ad_cross_entropy")) {
        /* the kernel's row: t = x - max, log of the row sum of exp(t), y = t - log s; the
           cross-entropy then sums the labelled entries (the tree), times the rounded 1/N */
        const long cols = x->shape[x->ndim - 1], rows = x->size / cols;
        const int ce = !strcmp(op, "ad_cross_entropy"), *lab = y->aux;
        GpErr *e = xmalloc((size_t)cols * sizeof *e), *t = xmalloc((size_t)cols * sizeof *t);
        double S = 0, A = 0;
        for (long r = 0; r < rows; r++) {
            double mx = -INFINITY;
            for (long j = 0; j < cols; j++) mx = fmax(mx, ad_get(x, r * cols + j));
            for (long j = 0; j < cols; j++) e[j] = gp_exp(t[j] = gp_sub(gp_exact(ad_get(x, r * cols + j)), gp_exact(mx)));
            const GpErr ls = gp_log(sum_err(e, cols));
            for (long j = 0; j < cols; j++) {
                const GpErr yj = gp_sub(t[j], ls);
                if (!ce) delta[r * cols + j] = yj.e;
                else if (j == lab[r]) S += yj.e, A += fabs(yj.v) + yj.e;
            }
        }
        if (ce) delta[0] = S / (double)rows + gam((double)tree_depth(rows)) * A / (double)rows + gam(2) * fabs(ad_get(y, 0));
        free(e), free(t);
    } else if (!strcmp(op, "ad_softmax")) {
        /* one row per item: max, exp (3 + 2|x - max| ulp), the row sum, the division */
        const long cols = x->shape[x->ndim - 1], rows = x->size / cols;
        GpErr *e = xmalloc((size_t)cols * sizeof *e);
        for (long r = 0; r < rows; r++) {
            double mx = -INFINITY;
            for (long j = 0; j < cols; j++) mx = fmax(mx, ad_get(x, r * cols + j));
            for (long j = 0; j < cols; j++) {
                const double xv = ad_get(x, r * cols + j);
                /* a masked entry (-inf): exp gives 0 exactly */
                e[j] = isinf(xv) && xv < 0 ? gp_exact(0) : gp_exp(gp_sub(gp_exact(xv), gp_exact(mx)));
            }
            const GpErr sum = sum_err(e, cols);
            for (long j = 0; j < cols; j++) delta[r * cols + j] = gp_div(e[j], sum).e;
        }
        free(e);
    } else {
        rc = -1;
    }
    if (mag)
        for (long i = 0; i < y->size; i++) delta[i] = g * ad_get(mag, i);
    ad_arena_free(s);
    return rc;
}

/* E = sum over the tape of sum_j |dL/dy_j| delta_j, after ad_backward on the CPU tape. */
static double first_order_bound(AdTensor *loss, const char **unknown) {
    double E = 0;
    for (const AdTensor *t = loss; t; t = t->tape_prev) {
        double *delta = xmalloc((size_t)t->size * sizeof *delta);
        if (op_delta(t, delta)) {
            *unknown = t->op;
            free(delta);
            return INFINITY;
        }
        for (long i = 0; i < t->size; i++) E += fabs(ad_grad_get(t, i)) * delta[i];
        free(delta);
    }
    return E;
}

/* ---------------------------------------------------------------------------------------- */
/* The families                                                                               */

/* The DDPM noise-prediction loss of L36 on the Tiny U-Net (common/ddpm_net.c's train_step, in
   small: T = 50 linear betas, one t per sample). */
typedef struct {
    TinyUNet net;
    double abar[51];
} UnetFam;

static AdTensor *unet_train_step(GenModel *m, int player, AdArena *a, const float *rows, int n,
                                 Rng *rng, GmLoss *terms) {
    (void)player, (void)terms;
    UnetFam *f = m->self;
    const int H = f->net.cfg.image_size, D = H * H;
    AdTensor *xt = ad_input(a, AD_F32, 4, (int[]){n, 1, H, H}), *eps = ad_input(a, AD_F32, 4, (int[]){n, 1, H, H});
    int *t = ad_arena_alloc(a, (size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        t[i] = 1 + (int)rng_below(rng, 50);
        const double sa = sqrt(f->abar[t[i]]), sb = sqrt(1 - f->abar[t[i]]);
        for (int q = 0; q < D; q++) {
            const double e = rng_normal(rng);
            ad_f32(eps)[(size_t)i * D + q] = (float)e;
            ad_f32(xt)[(size_t)i * D + q] = (float)(sa * rows[(size_t)i * D + q] + sb * e);
        }
    }
    return ad_mean(a, ad_square(a, ad_sub(a, tiny_unet_forward(a, &f->net, xt, t, NULL, NULL), eps)));
}

static void unet_destroy(GenModel *m) {
    UnetFam *f = m->self;
    tiny_unet_free(&f->net);
    free(f);
}

static const GenModelVT UNET_VT = {.name = "tiny-unet-ddpm", .family = GM_FAM_DIFFUSION,
                                   .paradigm = GM_PAR_SCORE, .train_step = unet_train_step,
                                   .destroy = unet_destroy};

static void unet_build(GenModel *m, uint64_t seed) {
    UnetFam *f = xcalloc(1, sizeof *f);
    Rng r;
    rng_init(&r, seed, 41);
    const TinyUNetConfig c = small_unet_config(0);
    tiny_unet_init(&f->net, &c, &r);
    f->abar[0] = 1;
    for (int t = 1; t <= 50; t++) f->abar[t] = f->abar[t - 1] * (1 - (1e-4 + (0.05 - 1e-4) * (t - 1) / 49.0));
    gm_init(m, &UNET_VT, f, 64);
    tiny_unet_params(&f->net, &m->player[0].params);
    m->player[0].opt = optim_adam(2e-3, 0.9, 0.999, 1e-8, 0.0);
}

static void fm_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 43);
    gm_fm_init(m, 2, 32, 0, &r);
}

static void vae_build(GenModel *m, uint64_t seed) { gm_vae_init(m, 4, 2, 1.0, 4, seed, 45); }

static void diag_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 71);
    gm_diag_gaussian_init(m, 2);
    /* a start away from the zero initialisation: mu ~ N(0, 1), log sigma ~ N(0, 0.3^2) */
    for (int j = 0; j < 2; j++) {
        ad_set(m->player[0].params.t[0], j, rng_normal(&r));
        ad_set(m->player[0].params.t[1], j, 0.3 * rng_normal(&r));
    }
}

static void realnvp_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 57);
    gm_realnvp_init(m, 2, 4, 16, &r);
}

/* L42 06's flow: its tape needs more than GPU_MAX_SETS (512) binding sets per step, so every
   step runs as a split batch (gpu_vulkan.c's split_batch) */
static void realnvp8_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 73);
    gm_realnvp_init(m, 2, 8, 32, &r);
}

/* L42 11's TransformerAR in small (common/causal_transformer: vocabulary 3, 8 tokens after BOS,
   d_model 16, 2 heads, 1 block): multi-head attention swaps axes 1 and 2 of (B, T, H, d) */
enum { TFR_L = 8, TFR_V = 3 };
static AdTensor *tfr_train_step(GenModel *m, int player, AdArena *a, const float *rows, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    int *tok = ad_arena_alloc(a, (size_t)n * (TFR_L + 1) * sizeof *tok);
    for (long i = 0; i < (long)n * (TFR_L + 1); i++) tok[i] = (int)rows[i];
    return ct_nll(a, m->self, tok, n, TFR_L + 1);
}
static void tfr_destroy(GenModel *m) {
    ct_free(m->self);
    free(m->self);
}
static const GenModelVT TFR_VT = {.name = "transformer-AR", .family = GM_FAM_AR,
                                  .paradigm = GM_PAR_LIKELIHOOD, .train_step = tfr_train_step,
                                  .destroy = tfr_destroy};
static void tfr_build(GenModel *m, uint64_t seed) {
    CausalTransformer *net = xcalloc(1, sizeof *net);
    Rng r;
    rng_init(&r, seed, 75);
    ct_init(net, TFR_V, TFR_L, 16, 2, 1, &r);
    gm_init(m, &TFR_VT, net, TFR_L + 1);
    ct_params(net, "tf", &m->player[0].params);
    m->player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
}

static void gan_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 59);
    gm_gan_init(m, GM_GAN_VANILLA, 2, 2, 16, 0, 0.0, AD_F32, &r);
}

static void wgan_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 61);
    gm_gan_init(m, GM_GAN_WGAN_GP, 2, 2, 16, 0, 0.0, AD_F32, &r);
}

static void ddpm_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 63);
    DiffusionSchedule sc = diffusion_schedule_linear(50, 1e-4, 0.05);
    gm_ddpm_init(m, 2, 32, &sc, &r);
    diffusion_schedule_free(&sc);
}

/* A family with an op that has no device kernel (ad_sin): loss mean((sin(MLP(x)) - x)^2) */
static AdTensor *sin_train_step(GenModel *m, int player, AdArena *a, const float *rows, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    AdTensor *x = ad_from_array(a, AD_F32, 2, (int[]){n, 2}, rows);
    return ad_mean(a, ad_square(a, ad_sub(a, ad_sin(a, nn_mlp_forward(a, m->self, x)), x)));
}
static void sin_destroy(GenModel *m) {
    nn_mlp_free(m->self);
    free(m->self);
}
static const GenModelVT SIN_VT = {.name = "sin-mlp", .family = GM_FAM_FLOW, .paradigm = GM_PAR_LIKELIHOOD,
                                  .train_step = sin_train_step, .destroy = sin_destroy};
static void sin_build(GenModel *m, uint64_t seed) {
    NnMlp *mlp = xcalloc(1, sizeof *mlp);
    Rng r;
    rng_init(&r, seed, 69);
    nn_mlp_init(mlp, 2, (int[]){2, 16, 2}, NN_ACT_TANH, AD_F32, &r);
    gm_init(m, &SIN_VT, mlp, 2);
    nn_mlp_params(mlp, "mlp", &m->player[0].params);
    m->player[0].opt = optim_adam(1e-3, 0.9, 0.999, 1e-8, 0.0);
}

static void made_build(GenModel *m, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 65);
    gm_made_model_init(m, 4, 2, 16, &r);
}

typedef struct {
    const char *name, *id;
    void (*build)(GenModel *m, uint64_t seed);
    int batch;
    double clip, ema;
} Family;

/* 8x8 images of soft blobs in [-1, 1], or 2-D points from two Gaussians */
static float *make_data(int dim, int n, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 47);
    float *x = xmalloc((size_t)n * dim * sizeof *x);
    for (int i = 0; i < n; i++) {
        if (dim == TFR_L + 1) {
            /* token rows for the transformer: BOS 0, then tokens 1 or 2 (a sticky chain) */
            x[(size_t)i * dim] = 0;
            for (int j = 1; j < dim; j++)
                x[(size_t)i * dim + j] = j > 1 && rng_uniform(&r) < 0.8 ? x[(size_t)i * dim + j - 1]
                                                                        : (float)(1 + (rng_uniform(&r) < 0.5));
            continue;
        }
        if (dim == 2 || dim == 4) {
            const double c = rng_uniform(&r) < 0.5 ? -1.5 : 1.5;
            for (int j = 0; j < dim; j++) x[(size_t)i * dim + j] = (float)(0.4 * rng_normal(&r) + (j ? 0 : c));
            continue;
        }
        const double cx = 1 + 5 * rng_uniform(&r), cy = 1 + 5 * rng_uniform(&r), w = 1 + rng_uniform(&r);
        for (int p = 0; p < 64; p++) {
            const double dx = p % 8 - cx, dy = p / 8 - cy;
            x[(size_t)i * 64 + p] = (float)(2 * exp(-(dx * dx + dy * dy) / (2 * w * w)) - 1);
        }
    }
    return x;
}

static int all_params(GenModel *m, AdTensor **out, int max) {
    int k = 0;
    for (int p = 0; p < m->nplayers; p++)
        for (int i = 0; i < m->player[p].params.n && k < max; i++) out[k++] = m->player[p].params.t[i];
    return k;
}

/* ---------------------------------------------------------------------------------------- */
/* 2. One step from a common state                                                            */

static void one_step(GpuContext *g, GenModel *m, const float *data, int n, int B, uint64_t seed,
                     const char *id, const char *state) {
    if (!g) {
        check_skip(id, "no GPU context");
        return;
    }
    const int D = m->dim;
    Rng r0;
    rng_init(&r0, seed, 51);
    float *xb = xmalloc((size_t)B * D * sizeof *xb);
    for (int i = 0; i < B; i++) memcpy(xb + (size_t)i * D, data + (size_t)rng_below(&r0, (uint32_t)n) * D, (size_t)D * sizeof *xb);
    AdTensor *ps[256];
    const int np = all_params(m, ps, 256);
    /* the CPU: common/ad, normal recording, backward, the bound */
    AdArena *ac = ad_arena_new(1 << 20);
    Rng r = r0;
    AdTensor *lc = m->vt->train_step(m, 0, ac, xb, B, &r, NULL);
    ad_zero_grad(ps, np);
    ad_backward(ac, lc);
    const char *unknown = NULL;
    const double Lc = ad_item(lc), E = first_order_bound(lc, &unknown);
    /* the device: the same train_step recorded in deferred mode, replayed */
    GadGraph *gr = gad_graph_new(g);
    GadReplay *rp = gad_replay_new(gr, ps, np);
    AdArena *ad = ad_arena_new(1 << 20);
    ad_arena_set_deferred(ad, 1);
    r = r0;
    GadTensor *gl = rp ? gad_replay_record(rp, m->vt->train_step(m, 0, ad, xb, B, &r, NULL)) : NULL;
    float Ld = NAN;
    int rc = !gl || gad_zero_grad(gr, gad_replay_params(rp), np) || gad_backward(gr, gl) ||
             gad_run(gr, NULL) || gad_read(gl, &Ld);
    double worst_rel = 0, worst_norm = 0;
    for (int p = 0; p < np && !rc; p++) {
        float *gv = xmalloc((size_t)ps[p]->size * sizeof *gv);
        rc = gad_read_grad(gad_replay_params(rp)[p], gv);
        double dn = 0, cn = 0;
        for (long i = 0; i < ps[p]->size; i++) {
            const double c = ad_grad_get(ps[p], i);
            dn += (gv[i] - c) * (gv[i] - c), cn += c * c;
        }
        if (cn > 0 && sqrt(dn / cn) > worst_rel) worst_rel = sqrt(dn / cn), worst_norm = sqrt(cn);
        free(gv);
    }
    if (rc) {
        fprintf(stderr, "one_step: %s\n", rp ? gad_replay_error(rp) : gad_error(gr));
        gpu_run_batch(g, NULL);
    }
    check_le(id, rc ? INFINITY : fabs((double)Ld - Lc), 2 * E, 0.0, NULL,
             "%s, %s: one step (B=%d, %d device ops replayed from the tape): device loss %.9g, "
             "CPU %.9g; |difference| within 2E, E = %.3g the first-order rounding bound of each "
             "path%s%s; gradients (printed, not checked): worst relative 2-norm difference over "
             "the %d parameter tensors %.3g (that tensor's CPU gradient norm %.3g; a gradient "
             "that is 0 in exact arithmetic, as attention's key bias, is rounding on both paths)",
             m->vt->name, state, B, rp ? gad_replay_ops(rp) : 0, (double)Ld, Lc, E,
             unknown ? ", no bound model for " : "", unknown ? unknown : "", np, worst_rel, worst_norm);
    ad_arena_free(ac), ad_arena_free(ad);
    gad_replay_free(rp);
    gad_graph_free(gr);
    free(xb);
}

/* ---------------------------------------------------------------------------------------- */
/* 3. gm_train with and without a context                                                     */

typedef struct { double *loss; long cap; } Curve;
static void on_update(long step, int player, double loss, double gn, double lr, void *ctx) {
    (void)player, (void)gn, (void)lr;
    Curve *c = ctx;
    if (step < c->cap) c->loss[step] = loss;
}

static double max_param_diff(GenModel *a, GenModel *b) {
    AdTensor *pa[256], *pb[256];
    const int n = all_params(a, pa, 256);
    all_params(b, pb, 256);
    double w = 0;
    for (int p = 0; p < n; p++)
        for (long i = 0; i < pa[p]->size; i++) w = fmax(w, fabs(ad_get(pa[p], i) - ad_get(pb[p], i)));
    return w;
}

static void test_family(GpuContext *g, const Family *f, long steps, uint64_t seed) {
    GenModel mc, mg;
    f->build(&mc, seed);
    f->build(&mg, seed);
    const int n = 256;
    float *data = make_data(mc.dim, n, seed);
    char id[96];
    snprintf(id, sizeof id, "common.gpu.replay.%s_step0", f->id);
    one_step(g, &mg, data, n, f->batch, seed, id, "initial weights");
    Curve cc = {xcalloc((size_t)steps, sizeof(double)), steps}, cg = {xcalloc((size_t)steps, sizeof(double)), steps};
    GmTrainConfig cfg = {.steps = steps, .batch = f->batch, .clip_norm = f->clip, .ema_decay = f->ema,
                         .label = f->name, .on_update = on_update, .hook_ctx = &cc};
    Rng rc_, rg_;
    rng_init(&rc_, seed, 53);
    rng_init(&rg_, seed, 53);
    const GmTrainResult resc = gm_train(&mc, data, n, &cfg, &rc_);
    snprintf(id, sizeof id, "common.gpu.replay.%s_gm_train_device", f->id);
    if (!g) {
        check_skip(id, "no GPU context");
    } else {
        cfg.gpu = g;
        cfg.hook_ctx = &cg;
        const GmTrainResult resg = gm_train(&mg, data, n, &cfg, &rg_);
        double dl = 0;
        for (long s = 0; s < steps; s++) dl = fmax(dl, fabs(cg.loss[s] - cc.loss[s]));
        check_true(id, resg.on_device && !resg.diverged && resg.steps_done == steps && !resc.on_device,
                   "%s: gm_train with the context ran all %ld steps on the device (clip %g, EMA %g, "
                   "Adam), without it on the CPU", f->name, steps, f->clip, f->ema);
        printf("  %s, %ld steps: loss %.6g -> %.6g on the device, %.6g -> %.6g on the CPU; max |loss "
               "difference| %.3g, max |parameter difference| %.3g (not a check: see the header)\n",
               f->name, steps, cg.loss[0], cg.loss[steps - 1], cc.loss[0], cc.loss[steps - 1], dl,
               max_param_diff(&mc, &mg));
        snprintf(id, sizeof id, "common.gpu.replay.%s_trained_step", f->id);
        one_step(g, &mg, data, n, f->batch, seed + 1, id, "the device-trained weights");
    }
    free(cc.loss), free(cg.loss), free(data);
    gm_free(&mc), gm_free(&mg);
}

/* ---------------------------------------------------------------------------------------- */
/* 4. An op without a device kernel                                                           */

static void test_fallback(GpuContext *g, long steps, uint64_t seed) {
    if (!g) {
        check_skip("common.gpu.replay.fallback_names_op", "no GPU context");
        check_skip("common.gpu.replay.fallback_same_as_cpu", "no GPU context");
        return;
    }
    GenModel ma, mb, mc;
    sin_build(&ma, seed), sin_build(&mb, seed), sin_build(&mc, seed);
    float *data = make_data(2, 128, seed);
    GmTrainConfig cfg = {.steps = steps, .batch = 32, .label = "sin-mlp", .gpu = g};
    char why[320] = "";
    GmTrainResult r0 = {.bad_step = -1};
    Rng ra;
    rng_init(&ra, seed, 55);
    const int rc = gm_train_device(&ma, data, 128, &cfg, &ra, &r0, why, sizeof why);
    check_true("common.gpu.replay.fallback_names_op", rc == -1 && strstr(why, "ad_sin") != NULL,
               "a test family whose loss has ad_sin, which has no device kernel: gm_train_device "
               "refuses with \"%s\"", why);
    Rng rb, rcpu;
    rng_init(&rb, seed, 55), rng_init(&rcpu, seed, 55);
    const GmTrainResult resb = gm_train(&mb, data, 128, &cfg, &rb);
    cfg.gpu = NULL;
    gm_train(&mc, data, 128, &cfg, &rcpu);
    const double d = max_param_diff(&mb, &mc);
    check_true("common.gpu.replay.fallback_same_as_cpu", !resb.on_device && d == 0,
               "gm_train with the context falls back to the CPU from the unchanged start: "
               "parameters bit-identical to a run without it (max difference %.3g)", d);
    free(data);
    gm_free(&ma), gm_free(&mb), gm_free(&mc);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "common/ad tapes replayed on the device; gm_train with a context", 19, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    const long steps = cli_scale(&cli, 4, 12, 60);
    test_deferred(cli.seed);
    const Family unet = {"Tiny U-Net DDPM (8x8, d 8, attention)", "unet", unet_build, 8, 1.0, 0.99};
    const Family fm = {"flow matching (L42, MLP 3-32-32-2)", "fm", fm_build, 64, 0.0, 0.0};
    test_family(g, &unet, steps, cli.seed);
    test_family(g, &fm, 3 * steps, cli.seed);
    const Family vae = {"VAE (L42, 4-D data, d_z 2, K 4)", "vae", vae_build, 32, 0.0, 0.0};
    const Family nvp = {"RealNVP (L42, 4 coupling layers, hidden 16)", "realnvp", realnvp_build, 32, 0.0, 0.0};
    const Family gan = {"vanilla GAN (L42, two players, hidden 16)", "gan", gan_build, 32, 0.0, 0.0};
    const Family ddpm = {"DDPM (L42, MLP 2-32, T 50)", "ddpm", ddpm_build, 64, 1.0, 0.0};
    const Family diag = {"diagonal Gaussian (L42, d 2: ad_div)", "diag_gauss", diag_build, 32, 0.0, 0.0};
    test_family(g, &diag, 3 * steps, cli.seed);
    test_family(g, &vae, 3 * steps, cli.seed);
    test_family(g, &nvp, 3 * steps, cli.seed);
    const Family nvp8 = {"RealNVP (L42 06's size: 8 coupling layers, hidden 32; a split batch)", "realnvp8", realnvp8_build, 32, 0.0, 0.0};
    test_family(g, &nvp8, steps, cli.seed);
    test_family(g, &gan, 3 * steps, cli.seed);
    const Family wgan = {"WGAN-GP (L42, two players, hidden 16; the gradient penalty's interpolates recorded as ops)", "wgan_gp", wgan_build, 32, 0.0, 0.0};
    test_family(g, &wgan, 3 * steps, cli.seed);
    test_family(g, &ddpm, 3 * steps, cli.seed);
    const Family made = {"MADE (L42 autoregressive, 4 binary pixels, hidden 16)", "made", made_build, 32, 0.0, 0.0};
    test_family(g, &made, 3 * steps, cli.seed);
    const Family tfr = {"TransformerAR (L42 11 in small: d 16, 2 heads, 1 block, 8 tokens)", "transformer_ar", tfr_build, 16, 1.0, 0.0};
    test_family(g, &tfr, steps, cli.seed);
    test_fallback(g, 3, cli.seed);
    gpu_test_close(g, "common.gpu.replay_validation_clean");
    return check_end();
}
