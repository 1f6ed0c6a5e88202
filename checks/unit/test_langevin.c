/* Unit tests of common/langevin.h: the ULA update against a hand-written loop (bitwise),
   independence of thread count, block size and chain splitting, the exact variance recursion of
   ULA on a Gaussian (Monte Carlo), annealed step sizes, preconditioning, the observer, the
   non-finite detector and the configuration errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/langevin.h"
#include "common/rng.h"
#include "common/util.h"

/* Score of N(0, diag(var)) (var NULL: unit variances): s = -x / var. */
static void gauss_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)sigma;
    const double *var = ctx;
    for (size_t c = 0; c < n; c++)
        for (size_t j = 0; j < dim; j++)
            s[c * dim + j] = -x[c * dim + j] / (var ? var[j] : 1.0);
}

/* A nonlinear score (double well, log p = -x^4/4 + x^2/2 per coordinate) for the bitwise tests. */
static void well_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)sigma;
    (void)ctx;
    for (size_t i = 0; i < n * dim; i++) s[i] = x[i] - x[i] * x[i] * x[i];
}

/* Records the sigmas the score was called with; poisons chain 3 from the call `poison_call`. */
typedef struct {
    double sigmas_seen[16];
    long calls_per_level[16];
    int n_seen;
    long calls, poison_call;
} Spy;

static void spy_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    Spy *spy = ctx;
    int k = 0;
    while (k < spy->n_seen && spy->sigmas_seen[k] != sigma) k++;
    if (k == spy->n_seen && k < 16) spy->sigmas_seen[spy->n_seen++] = sigma;
    if (k < 16) spy->calls_per_level[k]++;
    spy->calls++;
    gauss_score(x, n, dim, sigma, s, NULL);
    if (spy->poison_call > 0 && spy->calls >= spy->poison_call && n > 3) s[3 * dim] = NAN;
}

typedef struct {
    size_t steps[64];
    int n;
    int stop_at;
} ObsLog;

static int log_observer(const double *x, size_t n, size_t dim, size_t step, size_t level,
                        double sigma, void *ctx) {
    (void)x, (void)n, (void)dim, (void)level, (void)sigma;
    ObsLog *o = ctx;
    if (o->n < 64) o->steps[o->n++] = step;
    return o->stop_at > 0 && (int)step >= o->stop_at;
}

static void fill(double *x, size_t n, double v) {
    for (size_t i = 0; i < n; i++) x[i] = v;
}

static int same_bits(const double *a, const double *b, size_t n) {
    return memcmp(a, b, n * sizeof(double)) == 0;
}

/* Float twins of the scores above, for the float32 block path. */
static void gauss_score_f(const float *x, size_t n, size_t dim, float sigma, float *s, void *ctx) {
    (void)sigma, (void)ctx;
    for (size_t i = 0; i < n * dim; i++) s[i] = -x[i];
}

static int same_bits_f(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* The float32 block path (langevin_run_f32): its normals against rng_normal, its states against
   the double path (a contraction bounds the accumulated rounding), its mixture score against the
   closed form, and bitwise independence of threads, block size and the vector/portable loops. */
static void test_f32_path(const Cli *cli) {
    /* a. the k-th normal of a stream: float Box-Muller from the counter vs the double rng_normal */
    {
        const size_t per = cli->scale == SCALE_QUICK ? 20000 : 200000;
        double worst = 0.0;
        for (uint64_t st = 0; st < 8; st++) {
            Rng r;
            rng_init(&r, 99, st * 1000003u);
            for (uint64_t k = 0; k < per; k++) {
                const double zd = rng_normal(&r), zf = langevin_normal_f32(99, st * 1000003u, k);
                const double e = fabs(zf - zd) / (1.0 + fabs(zd));
                if (e > worst) worst = e;
            }
        }
        check_le("common.langevin.f32_normals", worst, 2e-6, 0.0, "common.langevin.ula",
                 "max |z_f32 - z_f64| / (1 + |z|) over %zu normals of 8 streams (bound of langevin.c)", 8 * per);
    }
    /* b. OU: N(0, I) in d = 3 (odd: a Box-Muller pair spans two steps), eps = 0.01, 1000 steps.
          e_{k+1} = (1 - eps) e_k + delta_k, so |e| <= max|delta| / eps, with
          |delta| <= u (2|x| + 2 eps |x| + 3 n |z|) + n 2e-6 (1 + |z|), u = 2^-24, n = sqrt(2 eps),
          taken at |x|, |z| <= 8 (beyond 8 sigma: probability < 1e-14 per draw). */
    {
        const size_t n = cli->scale == SCALE_QUICK ? 200 : 1000, dim = 3, steps = 1000;
        const double eps = 0.01, u = 0x1p-24, nz = sqrt(2 * eps), X = 8, Z = 8;
        const double bound = (u * (2 * X + 2 * eps * X + 3 * nz * Z) + nz * 2e-6 * (1 + Z)) / eps;
        double *xd = xmalloc(sizeof(double) * n * dim);
        float *xf = xmalloc(sizeof(float) * n * dim), *xg = xmalloc(sizeof(float) * n * dim);
        for (size_t i = 0; i < n * dim; i++) xf[i] = (float)(xd[i] = 0.25 * (double)(i % 9) - 1.0);
        memcpy(xg, xf, sizeof(float) * n * dim);
        float *x0 = xmalloc(sizeof(float) * n * dim);
        memcpy(x0, xf, sizeof(float) * n * dim);
        LangevinParams lp;
        langevin_params_init(&lp, n, dim, gauss_score, NULL);
        lp.step_size = eps;
        lp.n_steps = steps;
        lp.seed = 5;
        lp.first_stream = 3;
        LangevinResult rd, rf;
        langevin_run(&lp, xd, &rd);
        langevin_run_f32(&lp, gauss_score_f, NULL, xf, &rf);
        double dmax = 0.0;
        for (size_t i = 0; i < n * dim; i++) dmax = fmax(dmax, fabs((double)xf[i] - xd[i]));
        check_le("common.langevin.f32_vs_f64", dmax, bound, 0.0, "common.langevin.ula",
                 "max |x_f32 - x_f64| after %zu steps, %zu chains, d = 3 (same streams; bound %.2e)", steps, n,
                 bound);
        /* c. the same run with 2 threads / blocks of 7 and with the portable loops: same bits */
        lp.n_threads = 2;
        lp.block_size = 7;
        langevin_f32_force_portable(1);
        langevin_run_f32(&lp, gauss_score_f, NULL, xg, NULL);
        langevin_f32_force_portable(0);
        check_true("common.langevin.f32_threads_bitwise", rf.status == LANGEVIN_OK && same_bits_f(xf, xg, n * dim),
                   "float path: 2 threads, blocks of 7, portable loops = default threads, blocks of 256, %s",
                   langevin_f32_kernel_name());
        /* every vector loop this processor has (its Philox words 8 or 16 streams at a time, with
           a tail: blocks of 37) gives the same bits too */
        const char *kernels[2] = {"avx2", "avx512"};
        for (int k = 0; k < 2; k++) {
            if (!langevin_f32_force_kernel(kernels[k])) {
                printf("kernel %s: not on this processor\n", kernels[k]);
                continue;
            }
            memcpy(xg, x0, sizeof(float) * n * dim);
            lp.block_size = 37;
            langevin_run_f32(&lp, gauss_score_f, NULL, xg, NULL);
            langevin_f32_force_kernel(NULL);
            char id[64];
            snprintf(id, sizeof id, "common.langevin.f32_%s_bitwise", kernels[k]);
            check_true(id, same_bits_f(xf, xg, n * dim),
                       "float path: %s loops, blocks of 37 = default (%s), blocks of 256", kernels[k],
                       langevin_f32_kernel_name());
        }
        free(xd), free(xf), free(xg), free(x0);
    }
    /* d. the mixture score: 0.5 N((-2,0), I) + 0.5 N((2,0), I) has s = (-x1 + 2 tanh 2x1, -x2);
          at noise level sigma the variances are 1 + sigma^2 (closed form by the same algebra:
          s1 = (-x1 + 2 tanh(2 x1 / v)) / v, s2 = -x2 / v). Float rounding of terms of size
          (|x| + 2) / v, a few operations: bound 1e-5 (1 + |x|). */
    {
        const float w[2] = {0.5f, 0.5f}, mu[4] = {-2, 0, 2, 0}, var[2] = {1, 1};
        LangevinGmmF32 g = {.k = 2, .dim = 2, .weight = w, .mean = mu, .var = var};
        enum { N = 1000 };
        float *x = xmalloc(sizeof(float) * 2 * N), *s = xmalloc(sizeof(float) * 2 * N);
        Rng r;
        rng_init(&r, 8, 0);
        for (int i = 0; i < 2 * N; i++) x[i] = (float)(4.0 * rng_normal(&r));
        double worst = 0.0;
        const float sigmas[3] = {0.0f, 0.5f, 3.0f};
        for (int l = 0; l < 3; l++) {
            langevin_gmm_score_f32(x, N, 2, sigmas[l], s, &g);
            const double v = 1.0 + (double)sigmas[l] * sigmas[l];
            for (int c = 0; c < N; c++) {
                const double x1 = x[2 * c], x2 = x[2 * c + 1];
                const double e1 = fabs(s[2 * c] - (-x1 + 2.0 * tanh(2.0 * x1 / v)) / v) / (1 + fabs(x1));
                const double e2 = fabs(s[2 * c + 1] - (-x2 / v)) / (1 + fabs(x2));
                worst = fmax(worst, fmax(e1, e2));
            }
        }
        check_le("common.langevin.f32_gmm_score", worst, 1e-5, 0.0, NULL,
                 "max |s_f32 - s_exact| / (1 + |x|), mixture of L35 4.4, %d points, sigma 0, 0.5, 3", N);
        float *s2 = xmalloc(sizeof(float) * 2 * N);
        langevin_f32_force_portable(1);
        langevin_gmm_score_f32(x, N, 2, 3.0f, s2, &g);
        langevin_f32_force_portable(0);
        check_true("common.langevin.f32_gmm_portable_bitwise", same_bits_f(s, s2, 2 * N),
                   "mixture score: portable loops = %s loops, bit for bit", langevin_f32_kernel_name());
        free(x), free(s), free(s2);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the batch Langevin sampler", 35, NULL);
    char err[256];
    LangevinResult res;

    /* 1. The update is exactly x + eps*s + sqrt(2 eps) z with z from the chain's own stream. */
    {
        const size_t n = 37, dim = 3, steps = 50;
        const double eps = 0.02;
        double *x = xmalloc(sizeof(double) * n * dim), *y = xmalloc(sizeof(double) * n * dim);
        for (size_t i = 0; i < n * dim; i++) x[i] = y[i] = 0.1 * (double)(i % 7) - 0.3;
        LangevinParams lp;
        langevin_params_init(&lp, n, dim, well_score, NULL);
        lp.step_size = eps;
        lp.n_steps = steps;
        lp.seed = 11;
        lp.block_size = 5;
        langevin_run(&lp, x, &res);
        for (size_t c = 0; c < n; c++) {
            Rng r;
            rng_init(&r, 11, c);
            double *yc = y + c * dim, s[3];
            for (size_t k = 0; k < steps; k++) {
                well_score(yc, 1, dim, 0.0, s, NULL);
                for (size_t j = 0; j < dim; j++) yc[j] = yc[j] + eps * s[j] + sqrt(2 * eps) * rng_normal(&r);
            }
        }
        check_true("common.langevin.matches_direct_loop", res.status == LANGEVIN_OK && same_bits(x, y, n * dim),
                   "library states equal a hand-written per-chain loop bit for bit (37 chains, blocks of 5)");

        /* thread count, block size and splitting the chains into two calls change nothing */
        double *x1 = xmalloc(sizeof(double) * n * dim), *x2 = xmalloc(sizeof(double) * n * dim);
        for (size_t i = 0; i < n * dim; i++) x1[i] = x2[i] = 0.1 * (double)(i % 7) - 0.3;
        lp.n_threads = 1;
        lp.block_size = 1;
        langevin_run(&lp, x1, NULL);
        lp.n_threads = 2;
        lp.block_size = 4;
        langevin_run(&lp, x2, NULL);
        check_true("common.langevin.threads_bitwise", same_bits(x1, x2, n * dim) && same_bits(x1, x, n * dim),
                   "1 thread / block 1 and 2 threads / block 4 give identical bits");
        for (size_t i = 0; i < n * dim; i++) x2[i] = 0.1 * (double)(i % 7) - 0.3;
        lp.n_chains = 20;
        langevin_run(&lp, x2, NULL);
        lp.n_chains = n - 20;
        lp.first_stream = 20;
        langevin_run(&lp, x2 + 20 * dim, NULL);
        check_true("common.langevin.split_chains_bitwise", same_bits(x1, x2, n * dim),
                   "chains 0..19 and 20..36 in two calls (first_stream = 20) equal one call");
        free(x), free(y), free(x1), free(x2);
    }

    /* 2. ULA on N(0,1) from x0 = 0: v_k = (1-eps)^2 v_{k-1} + 2 eps, so
          v_n = (1 - (1-eps)^{2n}) / (1 - eps/2) exactly (Gaussian, linear recursion). */
    {
        const size_t n = cli.scale == SCALE_QUICK ? 20000 : 100000, steps = 40;
        const double eps = 0.5;
        double *x = xcalloc(n, sizeof(double));
        LangevinParams lp;
        langevin_params_init(&lp, n, 1, gauss_score, NULL);
        lp.step_size = eps;
        lp.n_steps = steps;
        lp.seed = 3;
        langevin_run(&lp, x, &res);
        double m = 0, v = 0;
        for (size_t i = 0; i < n; i++) m += x[i];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
        v /= (double)(n - 1);
        const double v_exact = (1.0 - pow(1.0 - eps, 2.0 * steps)) / (1.0 - eps / 2.0);
        /* SE of a Gaussian sample variance: v sqrt(2/(n-1)) (theory) */
        check_mc("common.langevin.ula_variance", v, v_exact, v_exact * sqrt(2.0 / (double)(n - 1)), 5.0,
                 (long)n, "common.langevin.ula", "ULA variance on N(0,1) at eps=0.5 is 1/(1-eps/2) = 4/3, not 1");
        check_mc("common.langevin.ula_mean", m, 0.0, sqrt(v_exact / (double)n), 5.0, (long)n,
                 "common.langevin.ula", "ULA mean on N(0,1) from 0");

        /* preconditioned: N(0, diag(1e-4, 1)) with G = diag(var): per-coordinate variance ratio
           1/(1-eps/2) in both coordinates, eps = 0.2 */
        double var[2] = {1e-4, 1.0};
        const size_t n2 = n / 4;
        double *x2 = xcalloc(n2 * 2, sizeof(double));
        langevin_params_init(&lp, n2, 2, gauss_score, var);
        lp.step_size = 0.2;
        lp.n_steps = 150;
        lp.precond = var;
        lp.seed = 4;
        langevin_run(&lp, x2, &res);
        for (int j = 0; j < 2; j++) {
            double s2 = 0;
            for (size_t i = 0; i < n2; i++) s2 += x2[i * 2 + j] * x2[i * 2 + j];
            double ratio = s2 / (double)n2 / var[j];
            const double expect = (1.0 - pow(0.8, 300.0)) / 0.9;
            check_mc(j == 0 ? "common.langevin.precond_var0" : "common.langevin.precond_var1", ratio, expect,
                     expect * sqrt(2.0 / (double)n2), 5.0, (long)n2, "common.langevin.ula",
                     "preconditioned ULA, G = Sigma: var/sigma^2 = 1/(1-eps/2) whatever sigma^2 (coordinate %d)", j);
        }
        free(x), free(x2);
    }

    /* 3. Annealing: T = 0 and s = -x, so level i multiplies x by (1 - eps_i)^n_steps. */
    {
        const double sigmas[3] = {1.0, 0.5, 0.25};
        Spy spy = {0};
        double x[8];
        fill(x, 8, 1.0);
        LangevinParams lp;
        langevin_params_init(&lp, 8, 1, spy_score, &spy);
        lp.sigmas = sigmas;
        lp.n_levels = 3;
        lp.step_rule = LANGEVIN_STEP_NCSN;
        lp.step_size = 0.01;
        lp.n_steps = 10;
        lp.temperature = 0.0;
        lp.block_size = 4;
        lp.n_threads = 1;
        langevin_run(&lp, x, &res);
        double expect = 1.0;
        for (int i = 0; i < 3; i++) expect *= pow(1.0 - 0.01 * sigmas[i] * sigmas[i] / (0.25 * 0.25), 10.0);
        check_rel("common.langevin.annealed_ncsn_steps", x[5], expect, 1e-12, "common.langevin.annealed_step",
                  "eps_i = alpha sigma_i^2 / sigma_L^2: x = prod_i (1 - eps_i)^T");
        check_true("common.langevin.annealed_sigmas_passed",
                   spy.n_seen == 3 && spy.sigmas_seen[0] == 1.0 && spy.sigmas_seen[2] == 0.25 &&
                       spy.calls_per_level[0] == 20 && spy.calls_per_level[1] == 20 && res.steps_done == 30,
                   "the score receives sigma_1, sigma_2, sigma_3 in order, 10 steps x 2 blocks each");
        lp.step_rule = LANGEVIN_STEP_SIGMA2;
        lp.step_size = 0.1;
        check_close("common.langevin.annealed_sigma2_step", langevin_level_step(&lp, 1), 0.1 * 0.25, 1e-17,
                    "common.langevin.annealed_step", "lecture rule alpha_i = alpha_scale sigma_i^2 at sigma = 0.5");
    }

    /* 4. Observer: steps 0, 3, 6, 9; a stop request ends the run with LANGEVIN_STOPPED. */
    {
        double x[4] = {0};
        ObsLog log = {.stop_at = 0};
        LangevinParams lp;
        langevin_params_init(&lp, 4, 1, gauss_score, NULL);
        lp.step_size = 0.1;
        lp.n_steps = 10;
        lp.observe = log_observer;
        lp.observe_ctx = &log;
        lp.observe_every = 3;
        LangevinStatus st = langevin_run(&lp, x, &res);
        check_true("common.langevin.observer_steps",
                   st == LANGEVIN_OK && log.n == 4 && log.steps[0] == 0 && log.steps[3] == 9,
                   "observer called at steps 0, 3, 6, 9 of 10");
        ObsLog stop = {.stop_at = 6};
        lp.observe_ctx = &stop;
        st = langevin_run(&lp, x, &res);
        check_true("common.langevin.observer_stop", st == LANGEVIN_STOPPED && res.steps_done == 6,
                   "observer returning nonzero at step 6 stops the run (status %d, %zu steps)", (int)st,
                   res.steps_done);
    }

    /* 5. Non-finite detection: the score of chain 3 turns NaN from its 5th call (1 block). */
    {
        double x[6 * 2] = {0};
        Spy spy = {.poison_call = 5};
        LangevinParams lp;
        langevin_params_init(&lp, 6, 2, spy_score, &spy);
        lp.step_size = 0.1;
        lp.n_steps = 20;
        LangevinStatus st = langevin_run(&lp, x, &res);
        check_true("common.langevin.nonfinite_first",
                   st == LANGEVIN_NONFINITE && res.bad_step == 5 && res.bad_chain == 3 && res.steps_done == 5 &&
                       res.n_nonfinite == 1,
                   "NaN score of chain 3 at step 5 is reported as such and stops the run: %s", res.message);
        fill(x, 12, 0.0);
        spy = (Spy){.poison_call = 5};
        lp.keep_going = 1;
        st = langevin_run(&lp, x, &res);
        check_true("common.langevin.nonfinite_keep_going",
                   st == LANGEVIN_NONFINITE && res.bad_step == 5 && res.steps_done == 20 && res.n_nonfinite == 1 &&
                       isfinite(x[0]) && isnan(x[6]),
                   "keep_going runs all 20 steps and counts 1 non-finite chain");
    }

    /* 6. Configuration errors are reported, never run. */
    {
        double x[2] = {0}, bad_g[1] = {-3.0}, up[2] = {0.5, 1.0};
        LangevinParams lp;
        int n_ok = 0, n_tests = 0;
        const char *what[] = {"zero chains", "no score", "step 0", "step NaN", "negative T",
                              "increasing sigmas", "sigma rule without sigmas", "negative preconditioner",
                              "observer every 0"};
        for (int t = 0; t < 9; t++) {
            langevin_params_init(&lp, 2, 1, gauss_score, NULL);
            lp.step_size = 0.1;
            lp.n_steps = 5;
            switch (t) {
            case 0: lp.n_chains = 0; break;
            case 1: lp.score = NULL; break;
            case 2: lp.step_size = 0.0; break;
            case 3: lp.step_size = NAN; break;
            case 4: lp.temperature = -1.0; break;
            case 5: lp.sigmas = up, lp.n_levels = 2; break;
            case 6: lp.step_rule = LANGEVIN_STEP_NCSN; break;
            case 7: lp.precond = bad_g; break;
            default: lp.observe = log_observer, lp.observe_every = 0; break;
            }
            x[0] = 1.5;
            LangevinStatus st = langevin_run(&lp, x, &res);
            n_tests++;
            if (st == LANGEVIN_BAD_CONFIG && res.message[0] != '\0' && x[0] == 1.5) n_ok++;
            else printf("  config error not reported: %s\n", what[t]);
        }
        snprintf(err, sizeof err, "%d of %d bad configurations rejected with a message", n_ok, n_tests);
        check_true("common.langevin.bad_config", n_ok == n_tests, "%s", err);
    }
    test_f32_path(&cli);

    {
        /* langevin_store_path records chain 0 at every observation: its first row is the start,
           its last the final state of chain 0 */
        enum { NS = 7 };
        LangevinParams lp;
        double path[(NS + 1) * 2], xs[4] = {0.3, -0.2, 1.0, 2.0}, start[2] = {0.3, -0.2};
        langevin_params_init(&lp, 2, 2, gauss_score, NULL);
        lp.step_size = 0.05;
        lp.n_steps = NS;
        lp.seed = 11;
        lp.observe = langevin_store_path;
        lp.observe_ctx = path;
        lp.observe_every = 1;
        const LangevinStatus st = langevin_run(&lp, xs, &res);
        const bool ok = st == LANGEVIN_OK && !memcmp(path, start, sizeof start) &&
                        !memcmp(path + NS * 2, xs, 2 * sizeof(double)) && path[2] != path[0];
        check_true("common.langevin.store_path", ok,
                   "the stored path of chain 0 starts at its initial state and ends at its final one");
    }
    return check_end();
}
