/* Unit tests of the MLP kernels (gpu/gpu_mlp.h): packing, the forward twin against the autodiff
   MLP, the forward kernel against its twin (bit-exact with identity activations, where only
   + and * are used), Langevin with a network score that is exactly known (ULA on N(0, I) has
   the stationary variance 1/(1 - eps/4)), and DDPM / DDIM steps (a zero noise predictor makes
   DDIM the exact map x_0 = x_T / sqrt(abar_T)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_mlp.h"
#include "gpu/gpu_precision.h"

static void random_inputs(float *x, long n, int d, uint64_t seed, double scale) {
    Rng r;
    rng_init(&r, seed, 0);
    for (long i = 0; i < n * d; i++) x[i] = (float)(scale * rng_normal(&r));
}

/* An NnMlp with random biases too (nn_mlp_init starts them at zero, which would hide a bias
   that is read from the wrong place). */
static void make_mlp(NnMlp *nn, GpuMlp *m, int nlayers, const int *widths, NnActivation act,
                     uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 0);
    nn_mlp_init(nn, nlayers, widths, act, AD_F32, &r);
    for (int l = 0; l < nlayers; l++) nn_init_uniform(nn->layers[l].bias, 0.3, &r);
    char err[256];
    if (gpu_mlp_from_nn(m, nn, err, sizeof err)) die("%s", err);
}

static void test_pack_and_twin(void) {
    const int widths[4] = {3, 64, 64, 2};
    const NnActivation acts[2] = {NN_ACT_TANH, NN_ACT_SILU};
    const char *names[2] = {"tanh", "silu"};
    enum { N = 256 };
    for (int k = 0; k < 2; k++) {
        NnMlp nn;
        GpuMlp m;
        make_mlp(&nn, &m, 3, widths, acts[k], 5 + (uint64_t)k);
        /* round trip of the packing */
        GpuMlp copy = m;
        copy.params = xmalloc(sizeof(float) * (size_t)m.nparams);
        memcpy(copy.params, m.params, sizeof(float) * (size_t)m.nparams);
        for (long i = 0; i < m.nparams; i++) m.params[i] = 0.0f;
        gpu_mlp_to_nn(&copy, &nn);
        char err[256];
        GpuMlp again;
        gpu_mlp_from_nn(&again, &nn, err, sizeof err);
        char id[96];
        snprintf(id, sizeof id, "common.gpu.mlp_pack_round_trip_%s", names[k]);
        check_true(id, again.nparams == copy.nparams && again.nparams == 3 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2 &&
                       !memcmp(again.params, copy.params, sizeof(float) * (size_t)copy.nparams),
                   "packing an NnMlp 3-64-64-2 (%ld parameters) and unpacking it is the identity",
                   copy.nparams);
        /* the twin's forward vs the autodiff MLP */
        float *in = xmalloc(sizeof(float) * N * 3), *out = xmalloc(sizeof(float) * N * 2);
        random_inputs(in, N, 3, 17, 2.0);
        gpu_mlp_forward_cpu(&again, in, out, N);
        AdArena *arena = ad_arena_new(1 << 20);
        const int shape[2] = {N, 3};
        AdTensor *x = ad_from_array(arena, AD_F32, 2, shape, in);
        AdTensor *y = nn_mlp_forward(arena, &nn, x);
        double worst = 0.0, scale = 0.0;
        for (long i = 0; i < N * 2; i++) {
            worst = fmax(worst, fabs(ad_get(y, i) - out[i]));
            scale = fmax(scale, fabs(ad_get(y, i)));
        }
        snprintf(id, sizeof id, "common.gpu.mlp_twin_vs_ad_%s", names[k]);
        /* float32 sums of 64 terms in another order plus two activation implementations:
           a few ulp of the largest partial sums, 1e-5 relative to max |y| */
        check_le(id, worst / fmax(scale, 1.0), 1e-5, 0, NULL,
                 "the kernels' C twin vs nn_mlp_forward (%s, %d inputs): max |dy| / max(1, |y|)",
                 names[k], N);
        ad_arena_free(arena);
        free(in);
        free(out);
        gpu_mlp_free(&copy);
        gpu_mlp_free(&again);
        gpu_mlp_free(&m);
        nn_mlp_free(&nn);
    }
}

static void test_forward_kernel(GpuContext *g, const Cli *cli, const char *why) {
    const NnActivation acts[3] = {NN_ACT_IDENTITY, NN_ACT_TANH, NN_ACT_SILU};
    const char *names[3] = {"identity", "tanh", "silu"};
    const long n = cli_scale(cli, 1000, 5000, 20000);
    const int widths[4] = {2, 64, 64, 2};
    for (int k = 0; k < 3; k++) {
        char id[96];
        snprintf(id, sizeof id, "common.gpu.mlp_forward_%s", names[k]);
        if (!g) {
            check_skip(id, "no Vulkan device: %s", why);
            continue;
        }
        NnMlp nn;
        GpuMlp m;
        make_mlp(&nn, &m, 3, widths, acts[k], 40 + (uint64_t)k);
        float *in = xmalloc(sizeof(float) * (size_t)n * 2);
        float *a = xmalloc(sizeof(float) * (size_t)n * 2), *b = xmalloc(sizeof(float) * (size_t)n * 2);
        random_inputs(in, n, 2, 3, 3.0);
        int ran = gpu_mlp_forward_run(g, &m, in, a, n);
        gpu_mlp_forward_cpu(&m, in, b, n);
        double worst = 0.0, scale = 0.0;
        for (long i = 0; i < n * 2; i++) {
            worst = fmax(worst, fabs((double)a[i] - b[i]));
            scale = fmax(scale, fabs(b[i]));
        }
        if (k == 0)
            check_close(id, ran ? worst : INFINITY, 0.0, 0.0, NULL,
                        "MLP 2-64-64-2 without activations: kernel and C twin agree bit for bit "
                        "on %ld inputs (same order of + and *, no fused multiply-add)", n);
        else
            /* exp differs by a few ulp between libraries; through 64-wide layers that is a few
               ulp of the outputs: 1e-5 relative to max |y| */
            check_le(id, ran ? worst / fmax(scale, 1.0) : INFINITY, 1e-5, 0, NULL,
                     "MLP 2-64-64-2 (%s): kernel vs C twin, max |dy| / max(1, |y|) over %ld "
                     "inputs", names[k], n);
        free(in);
        free(a);
        free(b);
        gpu_mlp_free(&m);
        nn_mlp_free(&nn);
    }
}

/* Langevin with a network whose output is exactly the score of N(0, I): an identity-activation
   MLP 3-2 with W = [-I; 0] (the conditioning input has weight 0), b = 0. ULA
   x <- x (1 - eps/2) + sqrt(eps) z is then an AR(1) process with stationary variance
   eps / (1 - (1 - eps/2)^2) = 1 / (1 - eps/4). */
static void test_langevin_known(GpuContext *g, const Cli *cli, const char *why) {
    const long n = cli_scale(cli, 2000, 10000, 100000);
    const int widths[2] = {3, 2};
    NnMlp nn;
    GpuMlp m;
    make_mlp(&nn, &m, 1, widths, NN_ACT_IDENTITY, 1);
    const float W[6] = {-1, 0, 0, -1, 0, 0}, b[2] = {0, 0};
    memcpy(m.params, W, sizeof W);
    memcpy(m.params + 6, b, sizeof b);
    const double eps = 0.1, sigma[2] = {1.0, 1.0}, cond[2] = {0.5, 0.25};
    GpuMlpPhase ph[2];
    gpu_phases_langevin(sigma, cond, 2, eps, 200, ph);
    float *x = xcalloc((size_t)n * 2, sizeof(float)), *y = xcalloc((size_t)n * 2, sizeof(float));
    random_inputs(x, n, 2, 8, 3.0);
    memcpy(y, x, sizeof(float) * (size_t)n * 2);
    int ran = g ? gpu_mlp_steps_run(g, &m, x, n, 31, ph, 2, NULL) : 0;
    gpu_mlp_steps_run(NULL, &m, y, n, 31, ph, 2, NULL);
    const double var = 1.0 / (1.0 - eps / 4.0);
    double s2 = 0.0;
    for (long i = 0; i < 2 * n; i++) s2 += (double)y[i] * y[i];
    s2 /= 2.0 * n;
    /* se of a sample variance of normals: var sqrt(2 / m), m = 2n coordinates */
    check_mc("common.gpu.mlp_langevin_cpu_variance", s2, var, var * sqrt(2.0 / (2.0 * n)), 4,
             2 * n, "common.gpu.mlp_step",
             "C twin: Langevin with the network score -x of N(0,I) (eps %.2g, 400 steps from "
             "N(0, 9 I)) reaches ULA's variance 1/(1 - eps/4)", eps);
    if (!ran) {
        check_skip("common.gpu.mlp_langevin_gpu_variance", "no Vulkan device: %s", why);
        check_skip("common.gpu.mlp_langevin_paired", "no Vulkan device: %s", why);
    } else {
        double g2 = 0.0, worst = 0.0;
        for (long i = 0; i < 2 * n; i++) {
            g2 += (double)x[i] * x[i];
            worst = fmax(worst, fabs((double)x[i] - y[i]));
        }
        g2 /= 2.0 * n;
        check_mc("common.gpu.mlp_langevin_gpu_variance", g2, var, var * sqrt(2.0 / (2.0 * n)),
                 4, 2 * n, "common.gpu.mlp_step",
                 "GPU: the same chains reach ULA's variance 1/(1 - eps/4)");
        /* coupled chains against the precision model's chain bound (gpu_precision.h) */
        double *bound = xmalloc(sizeof(double) * 2 * (size_t)n);
        float *z = xmalloc(sizeof(float) * 2 * (size_t)n);
        random_inputs(z, n, 2, 8, 3.0);
        gp_mlp_steps_bound(&m, z, n, 31, ph, 2, bound);
        check_le("common.gpu.mlp_langevin_paired",
                 memcmp(z, y, sizeof(float) * 2 * (size_t)n) ? INFINITY
                                                             : gp_worst_ratio(x, y, bound, 2 * n),
                 1.0, 0, "common.gpu.err_chain",
                 "max over coordinates of |x_gpu - x_twin| / bound after 400 steps of a "
                 "contracting linear Langevin map, %ld chains (max |difference| %.2g; the bound's "
                 "run reproduces the twin bit for bit)", n, worst);
        free(bound);
        free(z);
    }
    free(x);
    free(y);
    gpu_mlp_free(&m);
    nn_mlp_free(&nn);
}

/* A long dispatch of a realistic network: 100 steps of a 3-64-64-2 MLP in one phase, no noise,
   must follow the C twin path by path. On Mesa's CPU driver a loop of one work item stops after
   65535 iterations in all (gpu.h, GPU_CPU_DRIVER_LOOP_LIMIT); this network's inner product
   runs 4416 times a step, so a 100-step dispatch went wrong from step 14 on until the runner
   learned to cut it into shorter dispatches. */
static void test_long_dispatch(GpuContext *g, const char *why) {
    const long n = 256;
    const int widths[4] = {3, 64, 64, 2};
    NnMlp nn;
    GpuMlp m;
    make_mlp(&nn, &m, 3, widths, NN_ACT_TANH, 5);
    /* x <- 0.98 x + 0.05 f(x, 0.3): a mild contraction, so rounding differences stay small */
    const GpuMlpPhase ph = {0.3f, 0.98f, 0.05f, 0.0f, 100};
    float *x = xcalloc((size_t)n * 2, sizeof(float)), *y = xcalloc((size_t)n * 2, sizeof(float));
    random_inputs(x, n, 2, 12, 3.0);
    memcpy(y, x, sizeof(float) * (size_t)n * 2);
    int ran = g ? gpu_mlp_steps_run(g, &m, x, n, 3, &ph, 1, NULL) : 0;
    gpu_mlp_steps_run(NULL, &m, y, n, 3, &ph, 1, NULL);
    if (!ran) {
        check_skip("common.gpu.mlp_long_dispatch", "no Vulkan device: %s", why);
    } else {
        double worst = 0.0;
        for (long i = 0; i < 2 * n; i++) worst = fmax(worst, fabs((double)x[i] - y[i]));
        /* per step the two sides differ by float rounding (~1e-6 of f); a contraction by 0.98
           sums that to at most ~50 times one step's difference */
        check_le("common.gpu.mlp_long_dispatch", worst, 1e-4, 0, "common.gpu.mlp_step",
                 "100 steps of a 3-64-64-2 network in one phase: max |x_gpu - x_twin| over %ld "
                 "chains (no noise)", n);
    }
    free(x);
    free(y);
    gpu_mlp_free(&m);
    nn_mlp_free(&nn);
}

static void linear_betas(double *beta, int T) {
    for (int t = 1; t <= T; t++) beta[t] = 1e-4 + (0.02 - 1e-4) * (t - 1) / (T - 1);
}

static void test_ddpm_ddim(GpuContext *g, const Cli *cli, const char *why) {
    enum { T = 1000, S = 50 };
    double beta[T + 1];
    linear_betas(beta, T);
    const long n = cli_scale(cli, 1000, 5000, 20000);
    /* (a) a zero noise predictor: DDIM maps x_T to x_T / sqrt(abar_T) exactly */
    const int widths[3] = {3, 32, 2};
    NnMlp nn;
    GpuMlp zero;
    make_mlp(&nn, &zero, 2, widths, NN_ACT_SILU, 2);
    memset(zero.params, 0, sizeof(float) * (size_t)zero.nparams);
    GpuMlpPhase ddim[S];
    gpu_phases_ddim(beta, T, S, ddim);
    double abar_T = 1.0;
    for (int t = 1; t <= T; t++) abar_T *= 1.0 - beta[t];
    float *x = xmalloc(sizeof(float) * (size_t)n * 2), *y = xmalloc(sizeof(float) * (size_t)n * 2);
    random_inputs(y, n, 2, 4, 1.0);
    memcpy(x, y, sizeof(float) * (size_t)n * 2);
    gpu_mlp_steps_run(NULL, &zero, y, n, 1, ddim, S, NULL);
    double worst = 0.0;
    for (long i = 0; i < 2 * n; i++)
        worst = fmax(worst, fabs(y[i] - x[i] / sqrt(abar_T)) / fmax(1.0, fabs(x[i] / sqrt(abar_T))));
    /* 50 float multiplications by coefficients rounded to float: 50 x 2 half-ulps */
    check_le("common.gpu.ddim_zero_predictor", worst, 100 * 6e-8, 0, "common.gpu.ddim_step",
             "DDIM (50 steps of a linear 1000-step schedule) with eps_hat = 0 maps x_T to "
             "x_T / sqrt(abar_T) = %.2f x_T (relative error)", 1 / sqrt(abar_T));
    gpu_mlp_free(&zero);
    nn_mlp_free(&nn);

    /* (b) a random SiLU predictor: the kernel against its twin, DDIM (deterministic) and DDPM
       (1000 steps: a smaller network and fewer samples keep the test within seconds) */
    GpuMlp m;
    const int w2[4] = {3, 32, 32, 2};
    make_mlp(&nn, &m, 3, w2, NN_ACT_SILU, 3);
    for (long i = 0; i < m.nparams; i++) m.params[i] *= 0.3f; /* a tame predictor */
    GpuMlpPhase *ddpm = xmalloc(sizeof(GpuMlpPhase) * T);
    gpu_phases_ddpm(beta, T, ddpm);
    if (!g) {
        check_skip("common.gpu.ddim_parity", "no Vulkan device: %s", why);
        check_skip("common.gpu.ddpm_parity", "no Vulkan device: %s", why);
    } else {
        /* both samplers: the kernel against its twin, every coordinate inside the chain
           bound of the precision model (gpu_precision.h; the network's Jacobian carries the
           bound from step to step) */
        double *bound = xmalloc(sizeof(double) * 2 * (size_t)n);
        float *z = xmalloc(sizeof(float) * 2 * (size_t)n);
        random_inputs(x, n, 2, 5, 1.0);
        memcpy(y, x, sizeof(float) * (size_t)n * 2);
        memcpy(z, x, sizeof(float) * (size_t)n * 2);
        int ran = gpu_mlp_steps_run(g, &m, x, n, 1, ddim, S, NULL);
        gpu_mlp_steps_run(NULL, &m, y, n, 1, ddim, S, NULL);
        /* the bound (double arithmetic, ~20x the twin's cost) on the first nb samples */
        long nb = n < 1000 ? n : 1000;
        gp_mlp_steps_bound(&m, z, nb, 1, ddim, S, bound);
        int follows = !memcmp(z, y, sizeof(float) * 2 * (size_t)nb);
        worst = 0.0;
        double bmax = 0.0;
        for (long i = 0; i < 2 * nb; i++) {
            worst = fmax(worst, fabs((double)x[i] - y[i]));
            bmax = fmax(bmax, bound[i]);
        }
        check_le("common.gpu.ddim_parity",
                 ran && follows ? gp_worst_ratio(x, y, bound, 2 * nb) : INFINITY, 1.0, 0,
                 "common.gpu.err_chain",
                 "DDIM, 50 steps, SiLU noise predictor 3-32-32-2, %ld samples: max over "
                 "coordinates of |x_gpu - x_twin| / bound (max |difference| %.2g, max bound %.2g)",
                 nb, worst, bmax);
        const long nd = n / 10;
        random_inputs(x, nd, 2, 6, 1.0);
        memcpy(y, x, sizeof(float) * (size_t)nd * 2);
        memcpy(z, x, sizeof(float) * (size_t)nd * 2);
        ran = gpu_mlp_steps_run(g, &m, x, nd, 2, ddpm, T, NULL);
        gpu_mlp_steps_run(NULL, &m, y, nd, 2, ddpm, T, NULL);
        nb = nd < 100 ? nd : 100;
        gp_mlp_steps_bound(&m, z, nb, 2, ddpm, T, bound);
        follows = !memcmp(z, y, sizeof(float) * 2 * (size_t)nb);
        double d = 0, bmean = 0;
        worst = 0.0;
        for (long i = 0; i < 2 * nb; i++) {
            d += (double)x[i] - y[i];
            worst = fmax(worst, fabs((double)x[i] - y[i]));
            bmean += bound[i];
        }
        d /= 2.0 * nb;
        bmean /= 2.0 * nb;
        check_le("common.gpu.ddpm_parity",
                 ran && follows ? gp_worst_ratio(x, y, bound, 2 * nb) : INFINITY, 1.0, 0,
                 "common.gpu.err_chain",
                 "DDPM, 1000 ancestral steps, same noise streams, %ld samples: max over "
                 "coordinates of |x_gpu - x_twin| / bound (mean difference %.2g, max |difference| "
                 "%.2g, mean bound %.2g)", nb, d, worst, bmean);
        free(bound);
        free(z);
    }
    free(ddpm);
    free(x);
    free(y);
    gpu_mlp_free(&m);
    nn_mlp_free(&nn);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the MLP kernels", 36, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_pack_and_twin();
    test_forward_kernel(g, &cli, why);
    test_langevin_known(g, &cli, why);
    test_long_dispatch(g, why);
    test_ddpm_ddim(g, &cli, why);
    gpu_test_close(g, "common.gpu.mlp_validation_clean");
    return check_end();
}
