/* Unit tests of the Langevin kernels on a 2-D Gaussian mixture (gpu/gpu_langevin.h, L35 4.4 and
   5.3): the C twin's score against common/gauss.c, one step of the kernel against its C twin,
   and many-step trajectories compared statistically (with each other and with the exact
   moments of the mixture). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_langevin.h"
#include "gpu/gpu_precision.h"

/* An overlapping 3-component mixture (unimodal enough for plain Langevin to mix). */
static Gmm mixture_overlap(void) {
    Gmm g = gmm_new(3, 2);
    const double m0[2] = {-1.0, 0.0}, m1[2] = {1.0, 0.5}, m2[2] = {0.0, -1.0};
    const double v0[2] = {1.0, 0.5}, v1[2] = {0.6, 1.2}, v2[2] = {0.8, 0.8};
    gmm_set(&g, 0, 0.5, m0, v0, 0);
    gmm_set(&g, 1, 0.3, m1, v1, 0);
    gmm_set(&g, 2, 0.2, m2, v2, 0);
    gmm_normalise(&g);
    return g;
}

/* Two well separated modes, weights 0.2 / 0.8 (the annealed-Langevin example of L35 5.3). */
static Gmm mixture_separated(void) {
    Gmm g = gmm_new(2, 2);
    const double m0[2] = {-4.0, -4.0}, m1[2] = {4.0, 4.0};
    gmm_set(&g, 0, 0.2, m0, NULL, 1.0);
    gmm_set(&g, 1, 0.8, m1, NULL, 1.0);
    gmm_normalise(&g);
    return g;
}

static void start_points(float *x, long n, uint64_t seed, double scale) {
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)i);
        x[2 * i] = (float)(scale * rng_normal(&r));
        x[2 * i + 1] = (float)(scale * rng_normal(&r));
    }
}

/* The float twin of the score against common/gauss.c in double, including the perturbed
   density (variances + s^2) and a point far in the tails. */
static void test_score_twin(void) {
    Gmm g = mixture_overlap();
    float table[3 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&g, table);
    double worst = 0.0;
    const double pts[5][2] = {{0, 0}, {1.5, -0.7}, {-3, 2}, {40, -25}, {0.3, 0.9}};
    const double extra[3] = {0.0, 0.25, 4.0};
    for (int e = 0; e < 3; e++) {
        Gmm p = mixture_overlap();
        for (int i = 0; i < p.k; i++)
            for (int a = 0; a < 2; a++) p.var[2 * i + a] += extra[e];
        for (int q = 0; q < 5; q++) {
            double s[2];
            gmm_score(&p, pts[q], s);
            gs_v2 f = gs_gmm_score(table, 3, (gs_v2){(float)pts[q][0], (float)pts[q][1]},
                                   (float)extra[e]);
            worst = fmax(worst, fmax(fabs(f.x - s[0]), fabs(f.y - s[1])) /
                                    fmax(1.0, fmax(fabs(s[0]), fabs(s[1]))));
        }
        gmm_free(&p);
    }
    check_le("common.gpu.gmm_score_twin", worst, 1e-5, 0, "common.gpu.gmm_score",
             "the float32 mixture score of the kernels vs gauss.c's in double, 5 points x 3 "
             "perturbations (relative to max(1,|s|); float rounding of ~20 operations)");
    gmm_free(&g);
}

/* One step from the same states: the kernel against its C twin. */
static void test_one_step(GpuContext *g, const char *why) {
    const char *id = "common.gpu.langevin_one_step";
    if (!g) {
        check_skip(id, "no Vulkan device: %s", why);
        return;
    }
    Gmm mix = mixture_overlap();
    float table[3 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    enum { N = 20000 };
    float *x = xmalloc(sizeof(float) * 2 * N), *y = xmalloc(sizeof(float) * 2 * N);
    start_points(x, N, 3, 2.0);
    memcpy(y, x, sizeof(float) * 2 * N);
    const float eps = 0.01f;
    GpuLangevinLevel level = {0.25f, eps, 1};
    double *bound = xmalloc(sizeof(double) * 2 * N);
    int ran = gpu_langevin_gmm_run(g, table, 3, x, N, 77, &level, 1, NULL);
    gp_langevin_gmm_bound(table, 3, y, N, 77, &level, 1, bound);
    /* the bound of one step (gpu_precision.h): mostly the sin/cos of Box-Muller, 2^-11
       absolute times r sqrt(eps) */
    double worst = 0.0, bmax = 0.0;
    for (long i = 0; i < 2 * N; i++) {
        worst = fmax(worst, fabs(x[i] - y[i]));
        bmax = fmax(bmax, bound[i]);
    }
    check_le(id, ran ? gp_worst_ratio(x, y, bound, 2 * N) : INFINITY, 1.0, 0,
             "common.gpu.err_chain",
             "one Langevin step (eps %.2g, s^2 = 0.25) of %d chains: max over coordinates of "
             "|x_gpu - x_twin| / (its bound from the GLSL precision model); max |difference| "
             "%.2g, max bound %.2g", eps, N, worst, bmax);
    free(bound);
    free(x);
    free(y);
    gmm_free(&mix);
}

static void moments(const float *x, long n, double m[5]) {
    /* mean x, mean y, mean x^2, mean y^2, fraction with x + y > 0 */
    memset(m, 0, 5 * sizeof(double));
    for (long i = 0; i < n; i++) {
        m[0] += x[2 * i];
        m[1] += x[2 * i + 1];
        m[2] += (double)x[2 * i] * x[2 * i];
        m[3] += (double)x[2 * i + 1] * x[2 * i + 1];
        m[4] += x[2 * i] + x[2 * i + 1] > 0;
    }
    for (int j = 0; j < 5; j++) m[j] /= (double)n;
}

/* Many steps: the kernel's chains and the twin's give the same distribution, and plain
   Langevin on the overlapping mixture reaches its exact moments. */
static void test_trajectories(GpuContext *g, const Cli *cli, const char *why) {
    const long n = cli_scale(cli, 2000, 10000, 100000);
    const int steps = 1000;
    const float eps = 0.02f;
    Gmm mix = mixture_overlap();
    float table[3 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    float *x = xmalloc(sizeof(float) * 2 * (size_t)n), *y = xmalloc(sizeof(float) * 2 * (size_t)n);
    start_points(y, n, 9, 1.0);
    memcpy(x, y, sizeof(float) * 2 * (size_t)n);
    GpuLangevinLevel level = {0.0f, eps, steps};
    int ran = g ? gpu_langevin_gmm_run(g, table, 3, x, n, 123, &level, 1, NULL) : 0;
    gpu_langevin_gmm_run(NULL, table, 3, y, n, 123, &level, 1, NULL);

    /* exact moments of the mixture: E x = sum pi mu, E x^2 = sum pi (mu^2 + var) */
    double ex[2] = {0, 0}, ex2[2] = {0, 0};
    for (int i = 0; i < 3; i++)
        for (int a = 0; a < 2; a++) {
            double w = exp(mix.log_weight[i]), mu = mix.mean[2 * i + a];
            ex[a] += w * mu;
            ex2[a] += w * (mu * mu + mix.var[2 * i + a]);
        }
    double mc[5];
    moments(y, n, mc);
    /* se of a mean of x from the exact variance; chains are independent (own streams).
       ULA's bias is O(eps): for a unit-scale target about eps/4 = 0.5 % of the variance,
       below 1 se at this n (checked: 0.005 * 1.6 = 0.008 < se(x^2) ~ 0.015). */
    const char *names[2] = {"x", "y"};
    for (int a = 0; a < 2; a++) {
        double var = ex2[a] - ex[a] * ex[a];
        char id[96];
        snprintf(id, sizeof id, "common.gpu.langevin_cpu_mean_%s", names[a]);
        check_mc(id, mc[a], ex[a], sqrt(var / n), 4, n, "common.gpu.langevin_step",
                 "C twin: E %s after %d Langevin steps (eps %.2g) vs the mixture's exact mean",
                 names[a], steps, eps);
    }
    if (!ran) {
        check_skip("common.gpu.langevin_gpu_moments", "no Vulkan device: %s", why);
        check_skip("common.gpu.langevin_paired", "no Vulkan device: %s", why);
    } else {
        double mg[5];
        moments(x, n, mg);
        /* the GPU's moments vs the exact ones (4 se each, the worst of the four in se units) */
        double worst_z = 0.0;
        for (int a = 0; a < 2; a++) {
            double var = ex2[a] - ex[a] * ex[a];
            worst_z = fmax(worst_z, fabs(mg[a] - ex[a]) / sqrt(var / n));
            /* var(x^2) <= E x^4 ~ 3 (E x^2)^2 for these near-Gaussian marginals */
            worst_z = fmax(worst_z, fabs(mg[2 + a] - ex2[a]) / sqrt(3 * ex2[a] * ex2[a] / n));
        }
        check_le("common.gpu.langevin_gpu_moments", worst_z, 4.0, 0, "common.gpu.langevin_step",
                 "GPU chains: E x, E y, E x^2, E y^2 vs the exact mixture moments, the worst in "
                 "standard errors (n=%ld chains, %d steps)", n, steps);
        /* coupled: same start, same noise. The twin's path is rerun carrying the bound of
           eq. [eq:common.gpu.err_chain] per coordinate; every coordinate must lie inside. */
        /* the bound (double arithmetic, ~20x the twin's cost) on the first nb chains */
        const long nb = n < 2000 ? n : 2000;
        float *z = xmalloc(sizeof(float) * 2 * (size_t)n);
        double *bound = xmalloc(sizeof(double) * 2 * (size_t)nb);
        start_points(z, nb, 9, 1.0);
        gp_langevin_gmm_bound(table, 3, z, nb, 123, &level, 1, bound);
        double d = 0.0, maxdiff = 0.0, bmean = 0.0, bmax = 0.0;
        for (long i = 0; i < 2 * nb; i++) {
            double e = (double)x[i] - y[i];
            d += e;
            maxdiff = fmax(maxdiff, fabs(e));
            bmean += bound[i];
            bmax = fmax(bmax, bound[i]);
        }
        d /= 2.0 * nb;
        bmean /= 2.0 * nb;
        check_true("common.gpu.langevin_bound_follows_twin",
                   !memcmp(z, y, sizeof(float) * 2 * (size_t)nb),
                   "the bound's run reproduces the C twin's chains bit for bit (%ld chains, %d "
                   "steps), so the bound is taken along the twin's path", nb, steps);
        check_le("common.gpu.langevin_paired", gp_worst_ratio(x, y, bound, 2 * nb), 1.0, 0,
                 "common.gpu.err_chain",
                 "GPU vs C twin, %ld chains after %d steps: max over coordinates of |difference| "
                 "/ bound (precision model; mean difference %.2g, max |difference| %.2g; bound "
                 "mean %.2g, max %.2g)", nb, steps, d, maxdiff, bmean, bmax);
        free(z);
        free(bound);
    }
    free(x);
    free(y);
    gmm_free(&mix);
}

/* Annealed Langevin on two separated modes: GPU and CPU put the same fraction of chains in the
   heavy mode, and both get near its weight 0.8 (plain Langevin from the same start cannot: its
   chains stay in the mode they fall into first). */
static void test_annealed(GpuContext *g, const Cli *cli, const char *why) {
    const long n = cli_scale(cli, 2000, 10000, 100000);
    Gmm mix = mixture_separated();
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    enum { L = 10 };
    double sigma[L];
    for (int i = 0; i < L; i++) sigma[i] = 10.0 * pow(0.01 / 10.0, i / (double)(L - 1));
    GpuLangevinLevel levels[L];
    gpu_annealed_levels(sigma, L, 2e-5, 100, levels);
    float *x = xmalloc(sizeof(float) * 2 * (size_t)n), *y = xmalloc(sizeof(float) * 2 * (size_t)n);
    start_points(y, n, 21, 8.0);
    memcpy(x, y, sizeof(float) * 2 * (size_t)n);
    int ran = g ? gpu_langevin_gmm_run(g, table, 2, x, n, 99, levels, L, NULL) : 0;
    gpu_langevin_gmm_run(NULL, table, 2, y, n, 99, levels, L, NULL);
    double mc[5], mg[5];
    moments(y, n, mc);
    /* ALD's weight is approximate (10 levels x 100 steps): we ask for 0.8 within 0.05, a design
       tolerance of the sampler (4 se is 0.016 at n = 10000); plain Langevin from this symmetric
       start stays near 0.5, since its chains keep the mode they fall into. */
    check_close("common.gpu.ald_cpu_weight", mc[4], 0.8, 0.05, "common.gpu.langevin_step",
                "C twin: fraction of annealed-Langevin chains in the weight-0.8 mode (%ld chains, "
                "%d levels x 100 steps)", n, L);
    if (!ran) {
        check_skip("common.gpu.ald_gpu_parity", "no Vulkan device: %s", why);
    } else {
        moments(x, n, mg);
        /* coupled chains: compare them chain by chain. A chain changes mode only when the
           rounding moves it across the saddle; the mean of the paired indicator differences is
           tested with its own (paired) standard error */
        long plus = 0, minus = 0;
        for (long i = 0; i < n; i++) {
            const int hg = x[2 * i] + x[2 * i + 1] > 0, hc = y[2 * i] + y[2 * i + 1] > 0;
            plus += hg && !hc;
            minus += hc && !hg;
        }
        const double dm = (double)(plus - minus) / n, m2 = (double)(plus + minus) / n;
        const double se = sqrt(fmax(m2 - dm * dm, 0.0) / n);
        check_mc("common.gpu.ald_gpu_parity", dm, 0.0, se > 0 ? se : 1.0 / n, 4, n,
                 "common.gpu.langevin_step",
                 "GPU minus CPU fraction of chains in the heavy mode after annealed Langevin, "
                 "paired by chain (GPU %.4f, CPU %.4f; %ld chains changed mode one way, %ld the "
                 "other; se of the paired differences, floor 1/n)", mg[4], mc[4], plus, minus);
    }
    free(x);
    free(y);
    gmm_free(&mix);
}

/* The twin's result does not depend on the thread count (one stream per chain). */
static void test_threads(void) {
    Gmm mix = mixture_overlap();
    float table[3 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    enum { N = 3000 };
    float *a = xmalloc(sizeof(float) * 2 * N), *b = xmalloc(sizeof(float) * 2 * N);
    start_points(a, N, 4, 1.0);
    memcpy(b, a, sizeof(float) * 2 * N);
    par_set_threads(1);
    gpu_langevin_gmm_cpu(table, 3, a, N, 8, 0, 50, 0.02f, 0.0f);
    par_set_threads(2);
    gpu_langevin_gmm_cpu(table, 3, b, N, 8, 0, 50, 0.02f, 0.0f);
    check_true("common.gpu.langevin_cpu_threads", !memcmp(a, b, sizeof(float) * 2 * N),
               "the C twin gives identical chains with 1 and 2 threads");
    free(a);
    free(b);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the Langevin kernels", 35, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_score_twin();
    test_threads();
    test_one_step(g, why);
    test_trajectories(g, &cli, why);
    test_annealed(g, &cli, why);
    gpu_test_close(g, "common.gpu.langevin_validation_clean");
    return check_end();
}
