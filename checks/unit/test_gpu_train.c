/* Unit tests of the MLP training step (gpu/gpu_train.h): the C twin against the course's
   reference path (common/ad + nn + optim) on the same batches, the kernels against the twin
   (one step: loss, gradient, parameters; 200 steps: loss curves), determinism of the GPU
   reduction, the loss windows, the DSM loss reaching its floor (L35 4.2), and the fallback to
   the twin when the GPU fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_langevin.h"
#include "gpu/gpu_precision.h"
#include "gpu/gpu_train.h"

#define LR 1e-3
#define BATCH 128
/* the GPU parity tests use smaller batches: on a CPU Vulkan driver (make check) a step costs
   about 0.1 ms per example */
#define GPU_BATCH 64

/* The data of L35 4.2: 0.5 N((-2, 0), I) + 0.5 N((2, 0), I). */
static Gmm two_gaussians(void) {
    Gmm mix = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&mix, 0, 0.5, a, NULL, 1.0);
    gmm_set(&mix, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&mix);
    return mix;
}

/* The configurations under test. */
typedef struct {
    const char *name;
    int nlayers, widths[4];
    NnActivation act;
    int kind; /* 0: DSM sigma 0.5; 1: NCSN, 10 levels, lambda = sigma^2; 2: DDPM, T = 1000 */
} Config;

static const Config CONFIGS[3] = {
    {"dsm_2_64_64_2_tanh", 3, {2, 64, 64, 2}, NN_ACT_TANH, 0},
    {"ncsn_3_64_64_2_silu", 3, {3, 64, 64, 2}, NN_ACT_SILU, 1},
    {"ddpm_3_64_64_2_silu", 3, {3, 64, 64, 2}, NN_ACT_SILU, 2},
};

static void make_trainer(const Config *c, NnMlp *nn, GpuTrain *tr, int batch, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 0);
    nn_mlp_init(nn, c->nlayers, c->widths, c->act, AD_F32, &r);
    GpuTrainLevel levels[1000];
    int nlev = 1;
    if (c->kind == 0) {
        const double sigma = 0.5;
        gpu_train_levels_dsm(&sigma, NULL, 1, 0, levels);
    } else if (c->kind == 1) {
        double sigma[10];
        for (int i = 0; i < 10; i++) sigma[i] = 3.0 * pow(0.05 / 3.0, i / 9.0);
        gpu_train_levels_dsm(sigma, NULL, 10, 1, levels);
        nlev = 10;
    } else {
        double beta[1001];
        for (int t = 1; t <= 1000; t++) beta[t] = 1e-4 + (0.02 - 1e-4) * (t - 1) / 999.0;
        gpu_train_levels_ddpm(beta, 1000, levels);
        nlev = 1000;
    }
    Gmm mix = two_gaussians();
    char err[256];
    if (gpu_train_init(tr, &(GpuTrainConfig){nn, &mix, levels, nlev, batch, seed + 100, LR, 0.9, 0.999, 1e-8}, err, sizeof err))
        die("%s", err);
    gmm_free(&mix);
}

/* ---- the reference path: common/ad + nn + optim on the twin's batch of step `step` ---- */

typedef struct {
    NnMlp *nn;
    NnParams params;
    ParamBlock blocks[16];
    int nblocks;
    Optimizer *adam;
    AdArena *arena;
    float *in, *eps, *a, *b, *beps;
} Reference;

static void ref_init(Reference *R, NnMlp *nn, int batch) {
    R->nn = nn;
    nn_params_init(&R->params);
    nn_mlp_params(nn, "net", &R->params);
    R->nblocks = nn_params_blocks(&R->params, R->blocks, 16);
    R->adam = optim_new(R->blocks, R->nblocks, optim_adam(LR, 0.9, 0.999, 1e-8, 0.0));
    R->arena = ad_arena_new(1 << 22);
    R->in = xmalloc(sizeof(float) * (size_t)batch * 3);
    R->eps = xmalloc(sizeof(float) * (size_t)batch * 2);
    R->a = xmalloc(sizeof(float) * (size_t)batch);
    R->b = xmalloc(sizeof(float) * (size_t)batch);
    R->beps = xmalloc(sizeof(float) * (size_t)batch * 2);
}

static void ref_free(Reference *R) {
    optim_free(R->adam);
    nn_params_free(&R->params);
    ad_arena_free(R->arena);
    free(R->in);
    free(R->eps);
    free(R->a);
    free(R->b);
    free(R->beps);
}

/* loss = (1/B) sum || a f + b eps ||^2 built from ad ops; leaves the gradient in the blocks */
static double ref_loss_grad(Reference *R, const GpuTrain *tr, long step) {
    const int B = tr->batch, nin = tr->net.widths[0];
    gpu_train_batch_cpu(tr, step, R->in, R->eps, R->a, R->b);
    for (int n = 0; n < B; n++)
        for (int j = 0; j < 2; j++) R->beps[2 * n + j] = R->b[n] * R->eps[2 * n + j];
    ad_arena_reset(R->arena);
    const int sx[2] = {B, nin}, sa[2] = {B, 1}, se[2] = {B, 2};
    AdTensor *x = ad_from_array(R->arena, AD_F32, 2, sx, R->in);
    AdTensor *a = ad_from_array(R->arena, AD_F32, 2, sa, R->a);
    AdTensor *be = ad_from_array(R->arena, AD_F32, 2, se, R->beps);
    AdTensor *f = nn_mlp_forward(R->arena, R->nn, x);
    AdTensor *r = ad_add(R->arena, ad_mul(R->arena, f, a), be);
    AdTensor *loss = ad_scale(R->arena, ad_sum(R->arena, ad_square(R->arena, r)), 1.0 / B);
    optim_zero_grad(R->adam);
    ad_backward(R->arena, loss);
    return ad_item(loss);
}

static void ref_flat(const Reference *R, float *out, int grads) {
    size_t off = 0;
    for (int k = 0; k < R->nblocks; k++) {
        memcpy(out + off, grads ? R->blocks[k].grad : R->blocks[k].value,
               sizeof(float) * R->blocks[k].n);
        off += R->blocks[k].n;
    }
}

static double max_abs(const float *x, long n) {
    double m = 0.0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

static double max_abs_diff(const float *x, const float *y, long n) {
    double m = 0.0;
    for (long i = 0; i < n; i++) m = fmax(m, fabs((double)x[i] - y[i]));
    return m;
}

/* mean and standard error of x[from..to) */
static void mean_se(const float *x, int from, int to, double *mean, double *se) {
    double s = 0, s2 = 0;
    const int n = to - from;
    for (int i = from; i < to; i++) s += x[i];
    *mean = s / n;
    for (int i = from; i < to; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *se = sqrt(s2 / (n - 1) / n);
}

static void test_twin_vs_reference(const Cli *cli) {
    const int steps = (int)cli_scale(cli, 120, 200, 400), tail = steps / 4;
    for (int c = 0; c < 3; c++) {
        const Config *cf = &CONFIGS[c];
        NnMlp nn;
        GpuTrain tr;
        make_trainer(cf, &nn, &tr, BATCH, 7 + (uint64_t)c);
        Reference R;
        ref_init(&R, &nn, BATCH);
        const long np = tr.net.nparams;
        float *g_twin = xmalloc(sizeof(float) * (size_t)np), *g_ref = xmalloc(sizeof(float) * (size_t)np);
        /* one step: loss and gradient on the same batch, then the parameters after Adam */
        double l_twin = gpu_train_grad_cpu(&tr, g_twin);
        double l_ref = ref_loss_grad(&R, &tr, 0);
        ref_flat(&R, g_ref, 1);
        char id[128];
        snprintf(id, sizeof id, "common.gpu.train_twin_vs_ad_loss_%s", cf->name);
        /* float32 sums over 64 terms and 128 examples in other orders: relative 1e-5 */
        check_le(id, fabs(l_twin - l_ref) / l_ref, 1e-5, 0, "common.gpu.train_loss",
                 "%s: the twin's batch loss %.6f vs common/ad's %.6f (relative difference)",
                 cf->name, l_twin, l_ref);
        snprintf(id, sizeof id, "common.gpu.train_twin_vs_ad_grad_%s", cf->name);
        check_le(id, max_abs_diff(g_twin, g_ref, np) / max_abs(g_ref, np), 1e-5, 0,
                 "common.gpu.train_backward",
                 "%s: the twin's hand-written backward vs ad_backward, max |dg| / max |g| over "
                 "%ld parameters", cf->name, np);
        optim_step(R.adam);
        gpu_train_steps_cpu(&tr, 1, 1, NULL);
        ref_flat(&R, g_ref, 0);
        snprintf(id, sizeof id, "common.gpu.train_twin_vs_optim_adam_%s", cf->name);
        /* the first Adam step moves every parameter by lr g/(|g| + eps) ~ lr: the float32 twin
           and optim.c's double arithmetic agree to a few float ulps of lr and of theta */
        check_le(id, max_abs_diff(tr.net.params, g_ref, np), 4 * 6e-8 * (max_abs(g_ref, np) + LR),
                 0, NULL, "%s: parameters after one Adam step, twin vs common/optim (max |d|)",
                 cf->name);
        /* many steps: loss curves on the same batches */
        float *lt = xmalloc(sizeof(float) * (size_t)steps), *lr = xmalloc(sizeof(float) * (size_t)steps);
        lt[0] = (float)l_twin;
        lr[0] = (float)l_ref;
        gpu_train_steps_cpu(&tr, steps - 1, 1, lt + 1);
        for (int s = 1; s < steps; s++) {
            lr[s] = (float)ref_loss_grad(&R, &tr, s);
            optim_step(R.adam);
        }
        double mt, st, mr, sr;
        mean_se(lt, steps - tail, steps, &mt, &st);
        mean_se(lr, steps - tail, steps, &mr, &sr);
        snprintf(id, sizeof id, "common.gpu.train_twin_vs_ad_curve_%s", cf->name);
        check_mc(id, mt - mr, 0.0, sqrt(st * st + sr * sr), 4, tail, "common.gpu.train_loss",
                 "%s, %d Adam steps on the same batches: mean of the last %d losses, twin %.4f "
                 "vs common/ad+optim %.4f", cf->name, steps, tail, mt, mr);
        free(lt);
        free(lr);
        free(g_twin);
        free(g_ref);
        ref_free(&R);
        gpu_train_free(&tr);
        nn_mlp_free(&nn);
    }
}

/* A copy of the trainer's state (to run the same steps twice). */
static void clone(const GpuTrain *src, GpuTrain *dst) {
    *dst = *src;
    const size_t np = (size_t)src->net.nparams;
    const size_t nt = (size_t)(src->ncomp * GPU_TRAIN_COMP_STRIDE + src->nlevels * GPU_TRAIN_LEVEL_STRIDE);
    dst->net.params = xmalloc(sizeof(float) * np);
    dst->adam_m = xmalloc(sizeof(float) * np);
    dst->adam_v = xmalloc(sizeof(float) * np);
    dst->table = xmalloc(sizeof(float) * nt);
    memcpy(dst->net.params, src->net.params, sizeof(float) * np);
    memcpy(dst->adam_m, src->adam_m, sizeof(float) * np);
    memcpy(dst->adam_v, src->adam_v, sizeof(float) * np);
    memcpy(dst->table, src->table, sizeof(float) * nt);
}

static void test_gpu_vs_twin(GpuContext *g, const Cli *cli, const char *why) {
    const int steps = (int)cli_scale(cli, 120, 200, 400);
    for (int c = 0; c < 3; c++) {
        const Config *cf = &CONFIGS[c];
        char id1[128], id2[128], id3[128], id4[128] = "common.gpu.train_deterministic";
        snprintf(id1, sizeof id1, "common.gpu.train_one_step_loss_grad_%s", cf->name);
        snprintf(id2, sizeof id2, "common.gpu.train_one_step_params_%s", cf->name);
        snprintf(id3, sizeof id3, "common.gpu.train_loss_from_twin_state_%s", cf->name);
        if (!g) {
            check_skip(id1, "no Vulkan device: %s", why);
            check_skip(id2, "no Vulkan device: %s", why);
            check_skip(id3, "no Vulkan device: %s", why);
            if (c == 0) check_skip(id4, "no Vulkan device: %s", why);
            continue;
        }
        NnMlp nn;
        GpuTrain cpu, gpu, again;
        make_trainer(cf, &nn, &cpu, GPU_BATCH, 21 + (uint64_t)c);
        clone(&cpu, &gpu);
        const long np = cpu.net.nparams;
        float lc, lg;
        gpu_train_steps_cpu(&cpu, 1, 1, &lc);
        int ran = gpu_train_run(g, &gpu, 1, 1, &lg, NULL);
        /* after one step m = (1 - beta1) g: the gradient. The examples differ only by the
           Box-Muller rounding: GLSL allows sin/cos 2^-11 absolute, i.e. up to 5.8 * 2^-11 =
           2.8e-3 in a normal (|r| <= sqrt(2 ln 2^24) = 5.8), which moves the DSM target
           eps/sigma (sigma 0.5) by 5.6e-3 at worst: 1e-2 relative to the loss and max |g|. */
        double dg = max_abs_diff(cpu.adam_m, gpu.adam_m, np) / max_abs(cpu.adam_m, np);
        double dl = fabs((double)lc - lg) / lc;
        check_le(id1, ran ? fmax(dg, dl) : INFINITY, 1e-2, 0, "common.gpu.train_backward",
                 "%s, one step: kernels vs C twin, relative loss difference %.2e and max |dg| / "
                 "max |g| = %.2e (%ld parameters)", cf->name, dl, dg, np);
        /* Adam's first step moves theta by u(g) = -lr g / (|g| + eps), |du/dg| = lr eps / (|g| +
           eps)^2: with the measured gradient discrepancy dg_max (checked above) a parameter
           may differ by lr eps dg_max / (|g| - dg_max)^2 plus 4 float ulps of |theta| + lr,
           and by up to 2 lr where |g| <= dg_max (the sign of g is then not settled) */
        const double dg_max = max_abs_diff(cpu.adam_m, gpu.adam_m, np) / (1.0 - 0.9);
        double dp = max_abs_diff(cpu.net.params, gpu.net.params, np);
        long far = 0, unsettled = 0;
        for (long i = 0; i < np; i++) {
            const double gi = fabs(cpu.adam_m[i]) / (1.0 - 0.9), room = gi - dg_max;
            const double tol = room > 0 ? LR * 1e-8 * dg_max / (room * room) +
                                              4 * 6e-8 * (fabs(cpu.net.params[i]) + LR)
                                        : 2 * LR;
            unsettled += room <= 0;
            far += fabs((double)cpu.net.params[i] - gpu.net.params[i]) > tol;
        }
        check_le(id2, ran ? (double)far : INFINITY, 0.0, 0, NULL,
                 "%s, one step: parameters further apart than Adam's sensitivity to the gradient "
                 "discrepancy allows (max |d| %.2e; %ld gradients within it of 0)", cf->name, dp,
                 unsettled);
        /* many steps in one submission: the loss curves agree statistically */
        float *curve_c = xmalloc(sizeof(float) * (size_t)steps), *curve_g = xmalloc(sizeof(float) * (size_t)steps);
        curve_c[0] = lc;
        curve_g[0] = lg;
        if (c == 0) clone(&gpu, &again);
        gpu_train_steps_cpu(&cpu, steps - 1, 1, curve_c + 1);
        ran = gpu_train_run(g, &gpu, steps - 1, 1, curve_g + 1, NULL);
        /* Coupled training runs drift apart (Adam amplifies the rounding), so the curves are
           compared step by step from shared states: at four points of the twin's run the GPU
           takes one step from the twin's state (after the run above, then every steps/4
           steps), and the two batch losses must agree within
           the precision model's bound (gpu_precision.h) */
        double worst_ratio = ran ? 0.0 : INFINITY, worst_bound = 0.0, worst_diff = 0.0;
        for (int q = 0; q < 4 && ran; q++) {
            GpuTrain probe, twin;
            clone(&cpu, &probe);
            clone(&probe, &twin);
            GpErr lb = gp_train_loss_bound(&twin);
            float l_twin, l_gpu;
            gpu_train_steps_cpu(&twin, 1, 1, &l_twin);
            ran &= gpu_train_run(g, &probe, 1, 1, &l_gpu, NULL);
            const double dlq = fabs((double)l_gpu - l_twin);
            worst_ratio = fmax(worst_ratio, lb.e > 0 ? dlq / lb.e : (dlq > 0 ? INFINITY : 0));
            worst_bound = fmax(worst_bound, lb.e);
            worst_diff = fmax(worst_diff, dlq);
            gpu_train_free(&probe);
            gpu_train_free(&twin);
            if (q < 3) gpu_train_steps_cpu(&cpu, steps / 4, 1, NULL);
        }
        check_le(id3, ran ? worst_ratio : INFINITY, 1.0, 0, "common.gpu.err_chain",
                 "%s: one GPU step from the twin's state at 4 points of its run (steps %d, %d, "
                 "%d, %d): max |loss_gpu - loss_twin| / bound (precision model); max |d| %.2e, "
                 "bounds up to %.2e", cf->name, steps, steps + steps / 4, steps + 2 * (steps / 4),
                 steps + 3 * (steps / 4), worst_diff, worst_bound);
        if (c == 0)
            check_le("common.gpu.train_loss_bias_detectable", worst_bound, 0.3 / 3, 0,
                     "common.gpu.err_chain",
                     "the loss bound is below a third of a kernel bias of 0.3 in the DSM loss (%s): "
                     "such a bias fails the check above by a factor %.1f", cf->name,
                     0.3 / worst_bound);
        if (c == 0) {
            /* the reduction order is fixed: steps 1..20 as one run and as two runs of 10 give
               the same bits (and, with the run above, the same losses) */
            GpuTrain one;
            clone(&again, &one);
            float curve_a[20], curve_b[20];
            int ran_a = gpu_train_run(g, &again, 10, 1, curve_a, NULL);
            ran_a &= gpu_train_run(g, &again, 10, 1, curve_a + 10, NULL);
            ran_a &= gpu_train_run(g, &one, 20, 1, curve_b, NULL);
            check_true(id4, ran && ran_a &&
                                !memcmp(again.net.params, one.net.params, sizeof(float) * (size_t)np) &&
                                !memcmp(again.adam_v, one.adam_v, sizeof(float) * (size_t)np) &&
                                !memcmp(curve_a, curve_b, sizeof curve_a) &&
                                !memcmp(curve_a, curve_g + 1, sizeof curve_a),
                       "%s: 20 GPU steps as one run and as two runs of 10 give bit-identical "
                       "parameters, moments and losses (and the losses of the long run)",
                       cf->name);
            gpu_train_free(&one);
            gpu_train_free(&again);
        }
        free(curve_c);
        free(curve_g);
        gpu_train_free(&cpu);
        gpu_train_free(&gpu);
        nn_mlp_free(&nn);
    }
}

/* Loss windows: the mean of k = 10 steps equals the mean of the ten per-step losses. */
static void test_loss_windows(GpuContext *g, const char *why) {
    NnMlp nn;
    GpuTrain a, b;
    make_trainer(&CONFIGS[0], &nn, &a, 64, 3);
    clone(&a, &b);
    float per_step[25], window[3];
    gpu_train_steps_cpu(&a, 25, 1, per_step);
    gpu_train_steps_cpu(&b, 25, 10, window);
    double worst = 0.0;
    for (int w = 0; w < 3; w++) {
        double s = 0.0;
        int n = w < 2 ? 10 : 5;
        for (int i = 0; i < n; i++) s += per_step[10 * w + i];
        worst = fmax(worst, fabs(window[w] - s / n) / (s / n));
    }
    /* ten float additions of numbers of the same size: 10 half-ulps */
    check_le("common.gpu.train_loss_windows_cpu", worst, 10 * 6e-8, 0, NULL,
             "twin: loss windows of 10 steps (the last one 5) are the means of the per-step "
             "losses (max relative difference)");
    if (!g) {
        check_skip("common.gpu.train_loss_windows_gpu", "no Vulkan device: %s", why);
    } else {
        GpuTrain c;
        clone(&b, &c); /* state after 25 steps, identical in b and a */
        float w2[3];
        int ran = gpu_train_run(g, &c, 25, 10, w2, NULL);
        GpuTrain d;
        clone(&b, &d);
        float ps[25];
        ran &= gpu_train_run(g, &d, 25, 1, ps, NULL);
        worst = 0.0;
        for (int w = 0; w < 3; w++) {
            double s = 0.0;
            int n = w < 2 ? 10 : 5;
            for (int i = 0; i < n; i++) s += ps[10 * w + i];
            worst = fmax(worst, fabs(w2[w] - s / n) / (s / n));
        }
        check_le("common.gpu.train_loss_windows_gpu", ran ? worst : INFINITY, 10 * 6e-8, 0,
                 NULL, "GPU: loss windows of 10 steps read back at the end are the means of the "
                 "per-step losses");
        gpu_train_free(&c);
        gpu_train_free(&d);
    }
    gpu_train_free(&a);
    gpu_train_free(&b);
    nn_mlp_free(&nn);
}

/* L35 4.2: the DSM loss of any network is at least d/sigma^2 - E||grad log q_sigma||^2 (6.682
   for these data at sigma 0.5). The expectation is computed here independently by Monte Carlo
   with the exact score of q_sigma (the mixture with variances 1 + sigma^2). */
static void test_floor(GpuContext *g, const Cli *cli, const char *why) {
    const double sigma = 0.5;
    Gmm mix = two_gaussians();
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    Rng r;
    rng_init(&r, 99, 0);
    const long nmc = 200000;
    double s = 0, s2 = 0;
    for (long i = 0; i < nmc; i++) {
        double x[2];
        gmm_sample(&mix, &r, x);
        gs_v2 p = {(float)(x[0] + sigma * rng_normal(&r)), (float)(x[1] + sigma * rng_normal(&r))};
        gs_v2 sc = gs_gmm_score(table, 2, p, (float)(sigma * sigma));
        double v = (double)sc.x * sc.x + (double)sc.y * sc.y;
        s += v;
        s2 += v * v;
    }
    const double J = s / nmc, J_se = sqrt((s2 / nmc - J * J) / nmc);
    const double floor = 2.0 / (sigma * sigma) - J;
    check_mc("common.gpu.train_dsm_floor_value", floor, 6.682, J_se, 4, nmc, NULL,
             "the DSM floor d/sigma^2 - E||grad log q_sigma||^2 by Monte Carlo (%ld samples) "
             "is the 6.682 of L35 4.2", nmc);
    gmm_free(&mix);

    for (int dev = 0; dev < 2; dev++) {
        /* the loss is near its floor after about 300 steps; the GPU on a CPU driver (make
           check) runs about 100 steps a second, hence fewer steps there */
        const int steps = dev ? (int)cli_scale(cli, 400, 400, 3000) : (int)cli_scale(cli, 600, 1500, 3000);
        const int every = 20, nwin = steps / every, tail = nwin / 2;
        const char *id = dev ? "common.gpu.train_dsm_floor_gpu" : "common.gpu.train_dsm_floor_cpu";
        if (dev && !g) {
            check_skip(id, "no Vulkan device: %s", why);
            continue;
        }
        NnMlp nn;
        GpuTrain tr;
        const int batch = dev ? GPU_BATCH : BATCH;
        make_trainer(&CONFIGS[0], &nn, &tr, batch, 5);
        float *loss = xmalloc(sizeof(float) * (size_t)nwin);
        int ran = dev ? gpu_train_run(g, &tr, steps, every, loss, NULL) : (gpu_train_steps_cpu(&tr, steps, every, loss), 1);
        double m, se;
        mean_se(loss, nwin - tail, nwin, &m, &se);
        /* the floor region: not below the floor (4 standard errors), and within 2% of it (the
           untrained network starts at 8 + E||s||^2, 20% above the floor) */
        check_true(id, ran && m >= floor - 4 * se && m <= 1.02 * floor + 4 * se,
                   "%s: %d Adam steps of DSM (sigma 0.5, 2-64-64-2 tanh, batch %d): mean loss of "
                   "the last %d windows of %d steps %.4f +- %.4f, first window %.3f, in the floor "
                   "region [%.3f, 1.02 x %.3f]", dev ? "GPU" : "twin", steps, batch, tail, every,
                   m, se, loss[0], floor, floor);
        free(loss);
        gpu_train_free(&tr);
        nn_mlp_free(&nn);
    }
}

/* A fence timeout of 1 ns: the runner reports the error and the twin runs the same steps. */
static void test_fallback(const Cli *cli, int argc, char **argv, const char *why0) {
    const char *id = "common.gpu.train_falls_back_to_cpu";
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu") || !strncmp(argv[i], "--gpu=", 6)) mode = cli->gpu;
    char why[512];
    GpuOptions opt = {.validation = 0, .timeout_s = 1e-9, .quiet = 1};
    GpuContext *g = gpu_open(mode, &opt, why, sizeof why);
    if (!g) {
        check_skip(id, "no Vulkan device: %s", why0);
        return;
    }
    NnMlp nn;
    GpuTrain a, b;
    make_trainer(&CONFIGS[1], &nn, &a, BATCH, 11);
    clone(&a, &b);
    float la[5], lb[5];
    int ran = gpu_train_run(g, &a, 50, 10, la, NULL);
    gpu_train_steps_cpu(&b, 50, 10, lb);
    const size_t np = (size_t)a.net.nparams;
    check_true(id, !ran && a.step == 50 && !memcmp(a.net.params, b.net.params, sizeof(float) * np) &&
                       !memcmp(a.adam_m, b.adam_m, sizeof(float) * np) && !memcmp(la, lb, sizeof la),
               "with a 1 ns fence timeout (\"%s\") the training runner falls back and returns the "
               "C twin's exact parameters, moments and losses", gpu_error(g));
    gpu_train_free(&a);
    gpu_train_free(&b);
    nn_mlp_free(&nn);
    gpu_close(g);
}

static void test_bad_input(void) {
    const int widths[3] = {2, 8, 3};
    Rng r;
    rng_init(&r, 1, 0);
    NnMlp nn;
    nn_mlp_init(&nn, 2, widths, NN_ACT_TANH, AD_F32, &r);
    Gmm mix = two_gaussians();
    GpuTrainLevel lv;
    const double sigma = 0.5;
    gpu_train_levels_dsm(&sigma, NULL, 1, 0, &lv);
    GpuTrain tr;
    char err[256] = "";
    int rc1 = gpu_train_init(&tr, &(GpuTrainConfig){&nn, &mix, &lv, 1, 16, 1, LR, 0.9, 0.999, 1e-8}, err, sizeof err);
    char err2[256] = "";
    Gmm m3 = gmm_new(2, 3);
    nn_mlp_free(&nn);
    const int ok_widths[3] = {2, 8, 2};
    nn_mlp_init(&nn, 2, ok_widths, NN_ACT_TANH, AD_F32, &r);
    int rc2 = gpu_train_init(&tr, &(GpuTrainConfig){&nn, &m3, &lv, 1, 16, 1, LR, 0.9, 0.999, 1e-8}, err2, sizeof err2);
    check_true("common.gpu.train_rejects_bad_input", rc1 == -1 && rc2 == -1 && err[0] && err2[0],
               "a network with 3 outputs (\"%s\") and 3-D data (\"%s\") are refused with a "
               "message", err, err2);
    gmm_free(&m3);
    gmm_free(&mix);
    nn_mlp_free(&nn);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the MLP training kernels", 42, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_bad_input();
    test_twin_vs_reference(&cli);
    test_gpu_vs_twin(g, &cli, why);
    test_loss_windows(g, why);
    test_floor(g, &cli, why);
    test_fallback(&cli, argc, argv, why);
    gpu_test_close(g, "common.gpu.train_validation_clean");
    return check_end();
}
