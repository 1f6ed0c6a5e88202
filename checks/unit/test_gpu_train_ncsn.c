/* Unit tests of gpu/gpu_train_ncsn.h: the NCSN level table of training kernel 3, checked
   against common/ncsn (the network's inputs, the loss and its gradient on the same examples;
   the kernel's one-level-per-example estimator against ncsn_loss's all-levels estimator: the
   same expected loss), the chunked runner (bit-identical to one run, stops at a non-finite loss
   naming the step), and on a device the kernel's first step against the twin. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/ncsn.h"
#include "common/nn.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_precision.h"
#include "gpu/gpu_train_ncsn.h"

enum { L = 4, BATCH = 64, HIDDEN = 32 };
static const double SIGMA[L] = {2.0, 0.7, 0.25, 0.1};
static const double SCALE = 0.5; /* a non-trivial input scale c */

static Gmm two_gaussians(void) {
    Gmm mix = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&mix, 0, 0.5, a, NULL, 1.0);
    gmm_set(&mix, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&mix);
    return mix;
}

static void make(NcsnNet *net, GpuTrain *tr, const Gmm *data, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 0);
    ncsn_init(net, 2, HIDDEN, AD_F32, &r);
    net->input_scale = SCALE;
    char err[256];
    if (gpu_train_ncsn_init(tr, net, data, SIGMA, L, BATCH, seed + 7, 1e-3, err, sizeof err))
        die("%s", err);
}

static void test_levels(void) {
    NcsnNet net;
    Rng r;
    rng_init(&r, 1, 0);
    ncsn_init(&net, 2, 8, AD_F32, &r);
    net.input_scale = SCALE;
    GpuTrainLevel lv[L];
    gpu_train_levels_ncsn(&net, SIGMA, L, lv);
    double worst = 0;
    for (int i = 0; i < L; i++) {
        worst = fmax(worst, fabs(lv[i].cx - SCALE) + fabs(lv[i].ce - SCALE * SIGMA[i]));
        worst = fmax(worst, fabs(lv[i].cond - log(SIGMA[i])) + fabs(lv[i].a - 1) + fabs(lv[i].b + 1));
    }
    check_close("common.gpu.ncsn_levels_table", worst, 0.0, 1e-6, "common.gpu.ncsn_levels",
                "levels (c, c sigma, log sigma, 1, -1) for c = 0.5 (largest difference)");
    char err[256];
    GpuTrain tr;
    Gmm mix = two_gaussians();
    const double bad[2] = {1.0, -0.5};
    int rc = gpu_train_ncsn_init(&tr, &net, &mix, bad, 2, 8, 1, 1e-3, err, sizeof err);
    check_true("common.gpu.ncsn_rejects_bad_sigma", rc == -1 && strstr(err, "sigma[1]"),
               "a negative sigma is refused with a message (%s)", rc ? err : "accepted");
    gmm_free(&mix);
    ncsn_free(&net);
}

/* The twin's loss and gradient on the examples of one step, against common/ncsn's network
   (ncsn_eval) and common/ad's backward pass on the same rows. */
static void test_same_model(void) {
    Gmm mix = two_gaussians();
    NcsnNet net;
    GpuTrain tr;
    make(&net, &tr, &mix, 3);
    tr.step = 5;
    float in[BATCH * 3], eps[BATCH * 2];
    gpu_train_batch_cpu(&tr, tr.step, in, eps, NULL, NULL);
    /* ncsn_eval takes x~ and the level's sigma and forms (c x~, log sigma) itself */
    double x[2], e_hat[2], loss_eval = 0, worst_in = 0;
    for (int n = 0; n < BATCH; n++) {
        const double sigma = exp((double)in[3 * n + 2]);
        int level = -1;
        for (int i = 0; i < L; i++)
            if (fabs(sigma - SIGMA[i]) < 1e-5 * SIGMA[i]) level = i;
        worst_in = fmax(worst_in, level < 0 ? 1.0 : 0.0);
        x[0] = in[3 * n] / SCALE;
        x[1] = in[3 * n + 1] / SCALE;
        ncsn_eval(&net, x, 1, sigma, e_hat, NULL);
        for (int a = 0; a < 2; a++) loss_eval += pow(e_hat[a] - eps[2 * n + a], 2) / BATCH;
    }
    check_close("common.gpu.ncsn_cond_is_log_sigma", worst_in, 0.0, 0.0, "common.gpu.ncsn_levels",
                "every example's conditioning input is log sigma_i of one of the %d levels", L);
    float *grad = xmalloc(sizeof(float) * (size_t)tr.net.nparams);
    const double loss_twin = gpu_train_grad_cpu(&tr, grad);
    check_rel("common.gpu.ncsn_twin_loss_vs_ncsn_eval", loss_twin, loss_eval, 1e-5,
              "common.ncsn.loss",
              "twin batch loss (1/B) sum |f + b eps|^2 vs (1/B) sum |eps_hat(x~, sigma) - eps|^2 "
              "from ncsn_eval on the same examples");
    /* common/ad: the rows exactly as the kernel feeds them */
    AdArena *arena = ad_arena_new(1 << 20);
    const int ishape[2] = {BATCH, 3}, oshape[2] = {BATCH, 2};
    AdTensor *rows = ad_input(arena, AD_F32, 2, ishape), *target = ad_input(arena, AD_F32, 2, oshape);
    memcpy(ad_f32(rows), in, sizeof in);
    memcpy(ad_f32(target), eps, sizeof eps);
    AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena,
                                  nn_mlp_forward(arena, &net.mlp, rows), target))), 1.0 / BATCH);
    NnParams p;
    nn_params_init(&p);
    ncsn_params(&net, &p);
    nn_params_zero_grad(&p);
    ad_backward(arena, loss);
    double gmax = 0, dmax = 0;
    long off = 0;
    for (int k = 0; k < p.n; k++) /* weight then bias per layer: the packed order */
        for (long i = 0; i < p.t[k]->size; i++, off++) {
            const double ga = ad_grad_f32(p.t[k])[i];
            gmax = fmax(gmax, fabs(ga));
            dmax = fmax(dmax, fabs(ga - grad[off]));
        }
    check_rel("common.gpu.ncsn_twin_loss_vs_ad", loss_twin, ad_item(loss), 1e-5, "common.ncsn.loss",
              "twin batch loss vs common/ad on the same rows");
    check_le("common.gpu.ncsn_twin_grad_vs_ad", off == tr.net.nparams ? dmax / gmax : INFINITY, 1e-5,
             0.0, "common.gpu.train_backward",
             "max |g_twin - g_ad| / max |g_ad| over the %ld parameters", off);
    nn_params_free(&p);
    ad_arena_free(arena);
    free(grad);
    gpu_train_free(&tr);
    ncsn_free(&net);
    gmm_free(&mix);
}

/* Level counts, and the expected loss of both estimators at fixed parameters. */
static void test_same_expected_loss(const Cli *cli) {
    const int steps = (int)cli_scale(cli, 300, 300, 1000);
    Gmm mix = two_gaussians();
    NcsnNet net;
    GpuTrain tr;
    make(&net, &tr, &mix, 11);
    float *grad = xmalloc(sizeof(float) * (size_t)tr.net.nparams);
    float in[BATCH * 3];
    long count[L] = {0};
    double *kernel_loss = xmalloc(sizeof(double) * steps), *cpu_loss = xmalloc(sizeof(double) * steps);
    for (int s = 0; s < steps; s++) {
        tr.step = s;
        kernel_loss[s] = gpu_train_grad_cpu(&tr, grad);
        gpu_train_batch_cpu(&tr, s, in, NULL, NULL, NULL);
        for (int n = 0; n < BATCH; n++)
            for (int i = 0; i < L; i++) count[i] += fabsf(in[3 * n + 2] - (float)log(SIGMA[i])) == 0.0f;
    }
    /* each level's count is Binomial(N, 1/L): a chi-square with L - 1 degrees of freedom */
    const double N = (double)steps * BATCH, expect = N / L;
    double chi2 = 0, total = 0;
    for (int i = 0; i < L; i++) chi2 += pow(count[i] - expect, 2) / expect, total += count[i];
    check_close("common.gpu.ncsn_every_example_one_level", total, N, 0.0, "common.gpu.ncsn_levels",
                "every example sits at exactly one level");
    /* chi-square(3): P(> 16.27) = 0.001 (scipy.stats.chi2.isf(0.001, 3) = 16.266) */
    check_le("common.gpu.ncsn_levels_uniform", chi2, 16.27, 0.0, "common.gpu.ncsn_levels",
             "chi-square of the level counts over %.0f examples (3 dof; bound: the 0.999 quantile)", N);
    Rng data_rng, noise_rng;
    rng_init(&data_rng, cli->seed, 1);
    rng_init(&noise_rng, cli->seed, 2);
    AdArena *arena = ad_arena_new(1 << 20);
    double x[BATCH * 2];
    const int n_cpu = BATCH / L; /* n_cpu points at all L levels: the same rows per batch */
    for (int s = 0; s < steps; s++) {
        ad_arena_reset(arena);
        for (int n = 0; n < n_cpu; n++) gmm_sample(&mix, &data_rng, x + 2 * n);
        cpu_loss[s] = ad_item(ncsn_loss(arena, &net, x, n_cpu, SIGMA, L, &noise_rng, NULL));
    }
    double mk = 0, mc = 0, vk = 0, vc = 0;
    for (int s = 0; s < steps; s++) mk += kernel_loss[s] / steps, mc += cpu_loss[s] / steps;
    for (int s = 0; s < steps; s++) vk += pow(kernel_loss[s] - mk, 2), vc += pow(cpu_loss[s] - mc, 2);
    const double se = sqrt(vk / (steps - 1) / steps + vc / (steps - 1) / steps);
    check_mc("common.gpu.ncsn_same_expected_loss", mk - mc, 0.0, se, 4, steps, "common.ncsn.loss",
             "kernel estimator (one random level per example) minus ncsn_loss (all levels per "
             "point) at the same parameters: %.4f vs %.4f (SE from the batch losses)", mk, mc);
    /* power: the same comparison with the input scale left out (c_x = 1, c_eps = sigma) must fail */
    GpuTrainLevel wrong[L];
    gpu_train_levels_ncsn(&net, SIGMA, L, wrong);
    for (int i = 0; i < L; i++) wrong[i].cx = 1.0f, wrong[i].ce = (float)SIGMA[i];
    GpuTrain tw;
    char err[256];
    if (gpu_train_init(&tw, &(GpuTrainConfig){&net.mlp, &mix, wrong, L, BATCH, 18, 1e-3, 0.9, 0.999, 1e-8}, err, sizeof err))
        die("%s", err);
    double mw = 0;
    for (int s = 0; s < steps; s++) tw.step = s, mw += gpu_train_grad_cpu(&tw, grad) / steps;
    check_ge("common.gpu.ncsn_wrong_scale_detected", fabs(mw - mc) / se, 6.0, 0.0, "common.ncsn.loss",
             "a wrong table (no input scale: c_x = 1, c_eps = sigma) shifts the loss by %.1f SE (%.4f vs %.4f): "
             "the parity check above has power", fabs(mw - mc) / se, mw, mc);
    gpu_train_free(&tw);
    ad_arena_free(arena);
    free(kernel_loss), free(cpu_loss), free(grad);
    gpu_train_free(&tr);
    ncsn_free(&net);
    gmm_free(&mix);
}

static void clone(const GpuTrain *a, GpuTrain *b) {
    *b = *a;
    const size_t np = (size_t)a->net.nparams;
    b->net.params = xmalloc(sizeof(float) * np);
    memcpy(b->net.params, a->net.params, sizeof(float) * np);
    b->adam_m = xmalloc(sizeof(float) * np);
    memcpy(b->adam_m, a->adam_m, sizeof(float) * np);
    b->adam_v = xmalloc(sizeof(float) * np);
    memcpy(b->adam_v, a->adam_v, sizeof(float) * np);
    const size_t nt = (size_t)(a->ncomp * GPU_TRAIN_COMP_STRIDE + a->nlevels * GPU_TRAIN_LEVEL_STRIDE);
    b->table = xmalloc(sizeof(float) * nt);
    memcpy(b->table, a->table, sizeof(float) * nt);
}

static void test_runner(GpuContext *g, const char *why) {
    Gmm mix = two_gaussians();
    NcsnNet net;
    GpuTrain a, b;
    make(&net, &a, &mix, 21);
    clone(&a, &b);
    enum { STEPS = 12 };
    float la[STEPS], lb[STEPS];
    char err[256] = "";
    gpu_train_steps_cpu(&a, STEPS, 1, la);
    long done = gpu_train_run_checked(NULL, &b, STEPS, 5, lb, NULL, NULL, err, sizeof err);
    const size_t np = (size_t)a.net.nparams;
    check_true("common.gpu.ncsn_chunked_equals_one_run",
               done == STEPS && !memcmp(la, lb, sizeof la) && !memcmp(a.net.params, b.net.params, sizeof(float) * np) &&
                   !memcmp(a.adam_v, b.adam_v, sizeof(float) * np) && b.step == STEPS,
               "%d twin steps in chunks of 5 and as one run: bit-identical losses, parameters, moments", STEPS);
    /* a NaN parameter: the loss of the next step is NaN, and the runner names that step */
    b.net.params[np - 1] = NAN;
    float lc[8];
    done = gpu_train_run_checked(NULL, &b, 8, 3, lc, NULL, NULL, err, sizeof err);
    check_true("common.gpu.ncsn_nan_loss_reported", done == 3 && strstr(err, "step 13 of 20") != NULL,
               "a NaN parameter after %d steps: the run stops after the first chunk (%ld steps run) "
               "and says \"%s\"", STEPS, done, err);
    gpu_train_free(&a);
    gpu_train_free(&b);
    ncsn_free(&net);
    const char *id = "common.gpu.ncsn_kernel_first_step_vs_twin";
    if (!g) {
        check_skip(id, "no Vulkan device: %s", why);
        gmm_free(&mix);
        return;
    }
    make(&net, &a, &mix, 31);
    clone(&a, &b);
    float lt, lg;
    int on_gpu = 0;
    GpErr bnd = gp_train_loss_bound(&a);
    gpu_train_steps_cpu(&a, 1, 1, &lt);
    done = gpu_train_run_checked(g, &b, 1, 1, &lg, &on_gpu, NULL, err, sizeof err);
    /* the precision model's bound of the batch loss (gpu_precision.h) */
    check_le(id, on_gpu && done == 1 ? fabs((double)lg - lt) / bnd.e : INFINITY, 1.0, 0.0,
             "common.gpu.err_chain", "NCSN table, one step: |loss kernel - loss twin| / bound "
             "(kernel %.6f, twin %.6f, bound %.2e from the GLSL precision model)", (double)lg,
             (double)lt, bnd.e);
    gpu_train_free(&a);
    gpu_train_free(&b);
    ncsn_free(&net);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the NCSN tables of kernel 3", 35,
              NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_levels();
    test_same_model();
    test_same_expected_loss(&cli);
    test_runner(g, why);
    gpu_test_close(g, "common.gpu.ncsn_validation_clean");
    return check_end();
}
