/* Unit tests of common/diffusion_sampler.h: the step coefficients against the lecture's formulas,
   DDIM eta = 1 against the DDPM posterior, the runner against a hand-written per-chain loop
   (bitwise, any thread count and block size), the timestep sub-sequences, the exact denoiser
   against the score of the noised mixture built with common/gauss.h, the exact Gaussian chain
   law against Monte Carlo, point-mass recovery, and the error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };

/* DDPM's linear schedule, beta from 1e-4 to 0.02, written out here as the test's own reference. */
static void linear_schedule(double *beta, double *abar) {
    abar[0] = 1.0;
    beta[0] = 0.0;
    for (int t = 1; t <= T; t++) {
        beta[t] = 1e-4 + (0.02 - 1e-4) * (t - 1) / (double)(T - 1);
        abar[t] = abar[t - 1] * (1.0 - beta[t]);
    }
}

static int same_bits(const double *a, const double *b, size_t n) { return memcmp(a, b, n * sizeof(double)) == 0; }

static int count_observer(const double *x, size_t n, size_t dim, int k, const DiffStep *st, void *ctx) {
    (void)x, (void)n, (void)dim, (void)st;
    int *calls = ctx;
    calls[0]++;
    calls[1] = k;
    return 0;
}

static void nan_eps(const double *x, size_t n, size_t dim, int t, double abar_t, double *e, void *ctx) {
    (void)x, (void)t, (void)abar_t, (void)ctx;
    for (size_t i = 0; i < n * dim; i++) e[i] = i == 0 && n > 1 ? NAN : 0.0;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the DDPM/DDIM sampler", 36, NULL);
    static double beta[T + 1], abar[T + 1];
    linear_schedule(beta, abar);

    /* 1. Coefficients: DDPM at t = 500 against the lecture's formula; DDIM eta = 1 is DDPM/beta-tilde. */
    {
        DiffStep st = diff_ddpm_step(beta, abar, 500, DIFF_VAR_BETA);
        const double a = 1.0 - beta[500];
        check_rel("common.diffusion_sampler.ddpm_cx", st.c_x, 1.0050581400, 1e-9, NULL,
                  "1/sqrt(alpha_500) (spec 1.1.3)");
        check_rel("common.diffusion_sampler.ddpm_ceps", -st.c_eps, 0.0105123429, 1e-8, NULL,
                  "beta/(sqrt(alpha) sqrt(1-abar)) at t = 500 (spec 1.1.3)");
        check_rel("common.diffusion_sampler.ddpm_sigma", st.sigma, 0.1002000002, 1e-9, NULL, "sqrt(beta_500)");
        double worst = 0, worst_mu = 0;
        for (int t = 2; t <= T; t++) {
            DiffStep p = diff_ddpm_step(beta, abar, t, DIFF_VAR_BETA_TILDE), q = diff_ddim_step(abar, t, t - 1, 1.0);
            worst = fmax(worst, fabs(q.sigma * q.sigma / (p.sigma * p.sigma) - 1.0));
            /* same x_t, eps: both means */
            const double x = 0.3, e = -0.7;
            worst_mu = fmax(worst_mu, fabs((p.c_x * x + p.c_eps * e) - (q.c_x * x + q.c_eps * e)));
        }
        check_le("common.diffusion_sampler.eta1_is_btilde", worst, 0, 1e-12, NULL,
                 "max_t |sigma_DDIM(eta=1)^2 / beta_tilde_t - 1|, s = t-1");
        check_le("common.diffusion_sampler.eta1_mean_is_ddpm", worst_mu, 0, 1e-12, NULL,
                 "max_t |DDIM(eta=1) mean - DDPM mean| at x_t = 0.3, eps = -0.7");
        (void)a;
        DiffStep last = diff_ddpm_step(beta, abar, 1, DIFF_VAR_BETA);
        check_true("common.diffusion_sampler.no_noise_t1", last.sigma == 0.0, "sigma = 0 at t = 1");
    }

    /* 2. Timestep sub-sequences. */
    {
        int tau[T];
        diff_timesteps(T, 10, DIFF_TAU_LINSPACE, tau);
        const int lin_ok = tau[0] == 1 && tau[1] == 112 && tau[9] == 1000;
        diff_timesteps(T, 10, DIFF_TAU_LEADING, tau);
        const int lead_ok = tau[0] == 1 && tau[1] == 101 && tau[9] == 901;
        diff_timesteps(T, 10, DIFF_TAU_TRAILING, tau);
        const int trail_ok = tau[0] == 100 && tau[9] == 1000;
        int full_ok = 1;
        for (int sp = 0; sp < 3; sp++) {
            diff_timesteps(T, T, (DiffSpacing)sp, tau);
            for (int k = 0; k < T; k++) full_ok &= tau[k] == k + 1;
        }
        check_true("common.diffusion_sampler.timesteps", lin_ok && lead_ok && trail_ok && full_ok,
                   "S = 10: linspace 1,112,..,1000; leading 1,101,..,901; trailing 100,..,1000; S = T: 1..T");
        check_true("common.diffusion_sampler.timesteps_bad_S",
                   diff_timesteps(T, 0, DIFF_TAU_LINSPACE, tau) < 0 && diff_timesteps(T, T + 1, DIFF_TAU_TRAILING, tau) < 0,
                   "S = 0 and S = T+1 are rejected");
    }

    /* 3. Exact denoiser vs the score of the noised mixture built with gauss.h. */
    {
        Gmm data = gmm_new(3, 2);
        const double m0[2] = {-2, 0}, m1[2] = {2, 1}, m2[2] = {0, -3}, v0[2] = {0.3, 0.1};
        gmm_set(&data, 0, 0.2, m0, v0, 0);
        gmm_set(&data, 1, 0.5, m1, NULL, 0.5);
        gmm_set(&data, 2, 0.3, m2, NULL, 0.0); /* a point mass */
        gmm_normalise(&data);
        double worst = 0, worst_tw = 0;
        const double abars[4] = {0.9999, 0.5, 0.03, 4e-5};
        for (int i = 0; i < 4; i++) {
            const double ab = abars[i];
            Gmm q = gmm_new(3, 2);
            for (int k = 0; k < 3; k++) {
                double m[2], v[2];
                for (int a = 0; a < 2; a++) {
                    m[a] = sqrt(ab) * data.mean[k * 2 + a];
                    v[a] = ab * data.var[k * 2 + a] + 1 - ab;
                }
                gmm_set(&q, k, exp(data.log_weight[k]), m, v, 0);
            }
            gmm_normalise(&q);
            for (int p = 0; p < 5; p++) {
                const double x[2] = {-1.5 + 0.8 * p, 0.7 - 0.6 * p};
                double e[2], x0[2], sc[2];
                diff_oracle_eval(&data, x, ab, e, x0);
                gmm_score(&q, x, sc);
                for (int a = 0; a < 2; a++) {
                    worst = fmax(worst, fabs(e[a] + sqrt(1 - ab) * sc[a]));
                    worst_tw = fmax(worst_tw, fabs(x[a] - (sqrt(ab) * x0[a] + sqrt(1 - ab) * e[a])));
                }
            }
            gmm_free(&q);
        }
        check_le("common.diffusion_sampler.oracle_is_score", worst, 0, 1e-12, "common.diffusion_sampler.oracle_eps",
                 "max |eps* + sqrt(1-abar) grad log q_t| (gmm_score of the noised mixture), 4 abar x 5 points");
        check_le("common.diffusion_sampler.oracle_tweedie", worst_tw, 0, 1e-12, "common.diffusion_sampler.oracle_x0",
                 "max |x_t - sqrt(abar) E[x0|x_t] - sqrt(1-abar) E[eps|x_t]|");
        gmm_free(&data);
    }

    /* 4. Runner = hand-written loop, bitwise; threads and blocks change nothing. */
    {
        Gmm data = gmm_new(1, 2);
        const double m[2] = {1, 2};
        gmm_set(&data, 0, 1, m, NULL, 0.25);
        DiffOracle oracle = {&data};
        static DiffStep plan[T];
        int tau[20];
        diff_timesteps(T, 20, DIFF_TAU_TRAILING, tau);
        const int ns = diff_plan_ddim(abar, tau, 20, 0.5, plan);
        const size_t n = 29;
        double *x1 = xmalloc(sizeof(double) * n * 2), *x2 = xmalloc(sizeof(double) * n * 2),
               *y = xmalloc(sizeof(double) * n * 2);
        DiffSampler s;
        diff_sampler_init(&s, n, 2, abar, diff_oracle_eps, &oracle, 5);
        s.n_threads = 1, s.block = 1;
        diff_run(&s, plan, ns, x1);
        s.n_threads = 2, s.block = 4;
        diff_run(&s, plan, ns, x2);
        for (size_t c = 0; c < n; c++) {
            Rng r;
            rng_init(&r, 5, c);
            double *yc = y + 2 * c, e[2];
            for (int a = 0; a < 2; a++) yc[a] = rng_normal(&r);
            for (int k = 0; k < ns; k++) {
                diff_oracle_eval(&data, yc, abar[plan[k].t], e, NULL);
                for (int a = 0; a < 2; a++) {
                    double v = plan[k].a * (yc[a] - plan[k].b * e[a]) + plan[k].c * e[a];
                    if (plan[k].sigma > 0) v += plan[k].sigma * rng_normal(&r);
                    yc[a] = v;
                }
            }
        }
        check_true("common.diffusion_sampler.matches_direct_loop", same_bits(x1, y, n * 2) && same_bits(x2, y, n * 2),
                   "runner (1 thread / block 1, 2 threads / block 4) equals a per-chain loop bit for bit (DDIM eta 0.5, S = 20)");
        int calls[2] = {0, -2};
        s.observe = count_observer, s.observe_ctx = calls;
        diff_run(&s, plan, ns, x2);
        check_true("common.diffusion_sampler.observer_same_bits", same_bits(x2, y, n * 2) && calls[0] == ns + 1 && calls[1] == ns - 1,
                   "with an observer (step-synchronous path) the same bits; observer called %d times (x_T and %d steps)", calls[0], ns);
        free(x1), free(x2), free(y);
        gmm_free(&data);
    }

    /* 5. Point mass: DDPM (both variances) and DDIM (any S) return x0 exactly. */
    {
        Gmm data = gmm_new(1, 2);
        const double m[2] = {1, 2};
        gmm_set(&data, 0, 1, m, NULL, 0.0);
        DiffOracle oracle = {&data};
        static DiffStep plan[T];
        const size_t n = 64;
        double *x = xmalloc(sizeof(double) * n * 2), worst = 0;
        DiffSampler s;
        diff_sampler_init(&s, n, 2, abar, diff_oracle_eps, &oracle, 9);
        for (int v = 0; v < 2; v++) {
            const int ns = diff_plan_ddpm(beta, abar, T, (DiffVariance)v, plan);
            diff_run(&s, plan, ns, x);
            for (size_t i = 0; i < n * 2; i++) worst = fmax(worst, fabs(x[i] - m[i % 2]));
        }
        int tau[T];
        const int Ss[3] = {1, 10, 77};
        for (int i = 0; i < 3; i++) {
            diff_timesteps(T, Ss[i], DIFF_TAU_LINSPACE, tau);
            const int ns = diff_plan_ddim(abar, tau, Ss[i], 0.0, plan);
            diff_run(&s, plan, ns, x);
            for (size_t j = 0; j < n * 2; j++) worst = fmax(worst, fabs(x[j] - m[j % 2]));
        }
        check_le("common.diffusion_sampler.pointmass_recovered", worst, 0, 1e-9, NULL,
                 "max |x_0 - x0| over DDPM (beta, beta~) and DDIM (S = 1, 10, 77), 64 chains");
        free(x);
        gmm_free(&data);
    }

    /* 6. Exact Gaussian chain law: the spec's numbers, and Monte Carlo. */
    {
        static DiffStep plan[T];
        double mean, var;
        int ns = diff_plan_ddpm(beta, abar, T, DIFF_VAR_BETA, plan);
        diff_gauss_chain_law(plan, ns, abar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
        check_close("common.diffusion_sampler.law_ddpm_std", sqrt(var), 0.50075151, 2e-8, NULL,
                    "exact final std of DDPM (sigma^2 = beta) on N(1, 0.25) data (spec D12)");
        check_close("common.diffusion_sampler.law_ddpm_mean", mean, 0.99998991, 2e-8, NULL,
                    "exact final mean of DDPM on N(1, 0.25) data (spec D12)");
        int tau[10];
        diff_timesteps(T, 10, DIFF_TAU_LINSPACE, tau);
        ns = diff_plan_ddim(abar, tau, 10, 0.0, plan);
        double m10, v10;
        diff_gauss_chain_law(plan, ns, abar, 1.0, 0.25, 0.0, 1.0, &m10, &v10);
        check_close("common.diffusion_sampler.law_ddim10_std", sqrt(v10), 0.36161172, 2e-8, NULL,
                    "exact final std of DDIM eta = 0, S = 10 linspace (spec D12)");
        /* MC of a stochastic plan (DDIM eta = 1, S = 10) */
        ns = diff_plan_ddim(abar, tau, 10, 1.0, plan);
        diff_gauss_chain_law(plan, ns, abar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
        Gmm data = gmm_new(1, 1);
        const double m[1] = {1};
        gmm_set(&data, 0, 1, m, NULL, 0.25);
        DiffOracle oracle = {&data};
        const size_t n = 40000;
        double *x = xmalloc(sizeof(double) * n), *sq = xmalloc(sizeof(double) * n);
        DiffSampler s;
        diff_sampler_init(&s, n, 1, abar, diff_oracle_eps, &oracle, 3);
        diff_run(&s, plan, ns, x);
        double se, mc = stats_mean_se(x, n, &se);
        check_mc("common.diffusion_sampler.mc_mean", mc, mean, se, 4, (long)n, NULL,
                 "DDIM eta = 1, S = 10 on N(1, 0.25): sample mean vs the exact chain law");
        for (size_t i = 0; i < n; i++) sq[i] = (x[i] - mean) * (x[i] - mean);
        double se2, mc2 = stats_mean_se(sq, n, &se2);
        check_mc("common.diffusion_sampler.mc_var", mc2, var, se2, 4, (long)n, NULL,
                 "same run: mean squared deviation from the exact mean vs the exact variance");
        free(x), free(sq);
        gmm_free(&data);
    }

    /* 7. Error paths: non-finite chains are counted; abar_T = 0 makes no plan. */
    {
        double x[6] = {0};
        DiffSampler s;
        diff_sampler_init(&s, 3, 2, abar, nan_eps, NULL, 1);
        DiffStep st = diff_ddpm_step(beta, abar, 10, DIFF_VAR_BETA);
        check_true("common.diffusion_sampler.nonfinite_counted", diff_run(&s, &st, 1, x) == 1,
                   "a NaN denoiser output in one chain: 1 non-finite chain reported");
        static double ab0[T + 1], b0[T + 1];
        memcpy(ab0, abar, sizeof ab0);
        memcpy(b0, beta, sizeof b0);
        ab0[T] = 0.0, b0[T] = 1.0;
        static DiffStep plan[T];
        int tau[2] = {500, T};
        check_true("common.diffusion_sampler.zero_abar_rejected",
                   diff_plan_ddpm(b0, ab0, T, DIFF_VAR_BETA, plan) < 0 && diff_plan_ddim(ab0, tau, 2, 0.0, plan) < 0,
                   "abar_T = 0 (zero terminal SNR): eps-prediction plans report a non-finite coefficient");
    }
    return check_end();
}
