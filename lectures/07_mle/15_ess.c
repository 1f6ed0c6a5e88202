/*: # L07 Z5.16 — Effective sample size and the quality of importance sampling

**Lecture 7, Part 2, section Z5.16.**

How many of $N$ importance-weighted draws are "worth" independent draws of the target? The
effective sample size $\mathrm{ESS} = (\sum w_i)^2/\sum w_i^2$ (common/ess.h) answers it. The
program computes, for the lecture's example — target $p = \mathcal N(5, 1)$, proposal
$q = \mathcal N(0, \sigma_q^2)$ — the exact ESS fraction from a closed form of
$\mathbb E_q[w^2]$, checks it by quadrature and by simulation, and shows that the lecture's table
(0.3 %, 7 %, 38 %) is not what these proposals give: the true values are $1.4\cdot10^{-11}$,
10.5 % and 16.5 %, and no zero-mean Gaussian proposal exceeds 16.8 %.

What you will see: $\mathbb E_q[w^2]$ in closed form and by quadrature, theoretical and simulated
ESS/N, the Rényi-2 versus KL bound, the best proposal width, and the basic properties of the
ESS. Figure: `ess_vs_sigma.png`, ESS/N against $\sigma_q$ (theory, simulation, the $e^{-\mathrm{KL}}$
approximation and the lecture's table).

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/15_ess [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $m$ (target mean) | `target_mean` | scalar |
| $\sigma_q$ (proposal sd) | `s` | scalar |
| $x_i \sim q$, $\log w_i$ | `x`, `log_w` | (N) |
| $\mathbb E_q[w^2]$ | `ew2_closed`, `ew2_quad` | scalar |
| $\mathrm{ESS}/N$ | `ess_frac` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double target_mean = 5.0;

/*: ## ESS from the variance of the weights

With $\mathbb E_q[w] = 1$ the self-normalised estimator $\sum_i w_i f(x_i)/\sum_i w_i$ has, to
first order, the variance of an average of

$$ \mathrm{ESS} = \frac{N}{1 + \mathrm{CV}^2(w)} = \frac{N\,\mathbb E_q[w]^2}{\mathbb E_q[w^2]}, \qquad
   \widehat{\mathrm{ESS}} = \frac{(\sum_i w_i)^2}{\sum_i w_i^2} $$ {#eq:L07.Z5.16.ess}

independent draws; the sample form is eq. [eq:common.ess.importance] and equals
$N/(1+\widehat{\mathrm{CV}}{}^2)$ exactly when the CV uses the population variance.
For $p = \mathcal N(m, 1)$ and $q = \mathcal N(0, s^2)$ (needs $2s^2 > 1$)

$$ \mathbb E_q[w^2] = \int\frac{p^2}{q}\,dx = \frac{s}{\sqrt{2 - 1/s^2}}\,\exp\!\Big(\frac{m^2}{2s^2 - 1}\Big) $$ {#eq:L07.Z5.16.ew2}

(complete the square in $-(x-m)^2 + x^2/2s^2$). So ESS/N $\to 1/\mathbb E_q[w^2]$ as $N\to\infty$.
*/
static double ew2_closed(double s) {
    //: $\mathbb E_q[w^2] = s(2 - 1/s^2)^{-1/2}\exp(m^2/(2s^2-1))$, eq. [eq:L07.Z5.16.ew2]
    return s / sqrt(2.0 - 1.0 / (s * s)) * exp(target_mean * target_mean / (2.0 * s * s - 1.0));
}

static double log_weight(double x, double s) {
    //: $\log w = \log p(x) - \log q(x)$
    return gauss_logpdf_1d(x, target_mean, 1.0) - gauss_logpdf_1d(x, 0.0, s);
}

static double p2_over_q(double x, void *ctx) {
    double s = *(const double *)ctx;
    //: $p(x)^2/q(x)$, the integrand of [eq:L07.Z5.16.ew2]
    return exp(2.0 * gauss_logpdf_1d(x, target_mean, 1.0) - gauss_logpdf_1d(x, 0.0, s));
}

/* ESS/N of one importance-sampling run with N draws of q = N(0, s^2) from Philox stream
   `stream`. log_w has room for n values. */
static double ess_fraction_run(uint64_t seed, uint64_t stream, double s, long n, double *log_w) {
    Rng r;
    rng_init(&r, seed, stream);
    for (long i = 0; i < n; i++) log_w[i] = log_weight(s * rng_normal(&r), s);
    //: $\widehat{\mathrm{ESS}}/N$, [eq:L07.Z5.16.ess]
    return ess_log_weights(log_w, (size_t)n) / (double)n;
}

/* Median of `reps` runs; run k uses stream base + k. */
static double ess_fraction_median(uint64_t seed, uint64_t base, double s, long n, int reps,
                                  double *log_w) {
    double *frac = xmalloc((size_t)reps * sizeof *frac);
    for (int k = 0; k < reps; k++) frac[k] = ess_fraction_run(seed, base + (uint64_t)k, s, n, log_w);
    double med = stats_quantile(frac, (size_t)reps, 0.5);
    free(frac);
    return med;
}

static const double sigmas[3] = {1.0, 3.0, 6.0};
static const double lecture_frac[3] = {0.003, 0.07, 0.38}; /* the lecture's table, ESS/N */
/* spec L07 D23 (independent double-precision computation): E_q[w^2], ESS/N and the KL */
static const double spec_ew2[3] = {7.2004899337e10, 9.4991862838, 6.0756663836};
static const double spec_frac[3] = {1.3888e-11, 0.1052722, 0.1645910};
static const double spec_kl[3] = {12.5, 2.0430567331, 1.6528705803};

/*: ## Z5.16 Closed form against quadrature

Eq. [eq:L07.Z5.16.ew2] against 20-point Gauss-Legendre on 400 panels of $[-40, 60]$ (the
integrand peaks at $x = 2m s^2/(2s^2-1)$, at 10 for $s = 1$).
*/
static void closed_form_vs_quadrature(double *frac_theory) {
    for (int k = 0; k < 3; k++) {
        double s = sigmas[k];
        double ew2 = ew2_closed(s);
        //: $\int p^2/q\,dx$ by composite Gauss-Legendre, [eq:L07.Z5.16.ew2]
        double ew2_quad = quad_gauss_legendre_composite(p2_over_q, &s, -40.0, 60.0, 20, 400);
        //: $\mathrm{ESS}/N \to 1/\mathbb E_q[w^2]$, [eq:L07.Z5.16.ess]
        frac_theory[k] = 1.0 / ew2;
        printf("sigma_q = %g: E_q[w^2] = %.10g (quadrature %.10g), ESS/N -> %.6g\n", s, ew2,
               ew2_quad, frac_theory[k]);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.16.ew2_quadrature_s%g", s);
        check_rel(id, ew2_quad, ew2, 1e-8, "L07.Z5.16.ew2",
                  "E_q[w^2] by quadrature equals the closed form, sigma_q = %g", s);
        snprintf(id, sizeof id, "L07.Z5.16.ew2_reference_s%g", s);
        check_rel(id, ew2, spec_ew2[k], 1e-9, "L07.Z5.16.ew2",
                  "E_q[w^2] equals the reference %.10g (spec L07 D23), sigma_q = %g", spec_ew2[k], s);
        snprintf(id, sizeof id, "L07.Z5.16.ess_theory_s%g", s);
        check_rel(id, frac_theory[k], spec_frac[k], 1e-4, "L07.Z5.16.ess",
                  "asymptotic ESS/N = 1/E_q[w^2] (reference %.7g, spec L07 D23), sigma_q = %g",
                  spec_frac[k], s);
    }
}

/*: ## Z5.16 Simulated ESS and the lecture's table

The median of the sample ESS/N over independent runs (one Philox stream per run): for
$\sigma_q = 1$ at $N = 1000$, for $\sigma_q = 3, 6$ at $N = 10\,000$. The lecture's "0.3 %" for
$\sigma_q = 1$ is what a run of $N = 1000$ *shows* — a few samples near the target carry all
the weight, and $\widehat{\mathrm{ESS}} \ge 1$ forces ESS/N $\ge 10^{-3}$ — while the true
value is $1.4\cdot10^{-11}$. The bands are those of spec L07 §6.15 (independent simulation).
*/
static void simulated_ess(const Cli *cli, const double *frac_theory, double *log_w) {
    int reps = (int)cli_scale(cli, 25, 200, 1000);
    const long n_run[3] = {1000, 10000, 10000};
    const double band_lo[3] = {0.001, 0.100, 0.158}, band_hi[3] = {0.01, 0.111, 0.171};
    for (int k = 0; k < 3; k++) {
        double med = ess_fraction_median(cli->seed, 1000u * (uint64_t)(k + 1), sigmas[k], n_run[k],
                                         reps, log_w);
        printf("sigma_q = %g, N = %ld: median sample ESS/N over %d runs = %.5f (asymptotic %.4g, lecture %.3f)\n",
               sigmas[k], n_run[k], reps, med, frac_theory[k], lecture_frac[k]);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.16.ess_sample_s%g", sigmas[k]);
        check_in(id, med, band_lo[k], band_hi[k], "L07.Z5.16.ess",
                 "median sample ESS/N, sigma_q = %g, N = %ld, %d runs", sigmas[k], n_run[k], reps);
        snprintf(id, sizeof id, "L07.Z5.16.ess_table_s%g", sigmas[k]);
        check_erratum(id, lecture_frac[k], frac_theory[k],
                      "the lecture's ESS/N for target N(5,1), proposal N(0, %g^2)", sigmas[k]);
    }
    printf("reading sigma_q as a variance instead: ESS/N = %.3g, %.4f, %.4f (still not 0.3%%, 7%%, 38%%)\n",
           1.0 / ew2_closed(1.0), 1.0 / ew2_closed(sqrt(3.0)), 1.0 / ew2_closed(sqrt(6.0)));
}

/*: ## Z5.16 KL and the Rényi-2 divergence

The lecture approximates $N/\mathrm{ESS} - 1 \approx e^{D_{\mathrm{KL}}(p\|q)} - 1$. Exactly,
$\mathbb E_q[w^2] = e^{D_2(p\|q)}$ with the Rényi divergence of order 2, and $D_2 \ge D_{\mathrm{KL}}$:

$$ \frac{\mathrm{ESS}}{N} \to e^{-D_2(p\|q)} \le e^{-D_{\mathrm{KL}}(p\|q)},\qquad
   D_{\mathrm{KL}}(p\|q) = \log s + \frac{1 + m^2}{2s^2} - \frac12 $$ {#eq:L07.Z5.16.renyi_kl}

so $e^{-\mathrm{KL}}$ over-states the ESS (by a factor $2.7\cdot10^{5}$ at $s = 1$).
*/
static void kl_and_renyi(const double *frac_theory) {
    for (int k = 0; k < 3; k++) {
        double s = sigmas[k];
        //: $D_{\mathrm{KL}} = \log s + (1+m^2)/2s^2 - 1/2$, eq. [eq:L07.Z5.16.renyi_kl]
        double kl = log(s) + (1.0 + target_mean * target_mean) / (2.0 * s * s) - 0.5;
        //: $D_2(p\|q) = \log\mathbb E_q[w^2]$, [eq:L07.Z5.16.renyi_kl]
        double d2 = log(ew2_closed(s));
        printf("sigma_q = %g: KL = %.10f, D_2 = %.6f, exp(-KL) = %.4g vs ESS/N = %.4g\n", s, kl, d2,
               exp(-kl), frac_theory[k]);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.16.kl_s%g", s);
        check_close(id, kl_gauss_1d(target_mean, 1.0, 0.0, s), spec_kl[k], 1e-10, "L07.Z5.16.renyi_kl",
                    "KL(N(5,1) || N(0,%g^2)) by common/divergence's kl_gauss_1d (a second implementation) "
                    "equals the reference", s);
        snprintf(id, sizeof id, "L07.Z5.16.kl_reference_s%g", s);
        check_close(id, kl, spec_kl[k], 1e-10, "L07.Z5.16.renyi_kl",
                    "KL reference %.10g (spec L07 D23), sigma_q = %g", spec_kl[k], s);
        snprintf(id, sizeof id, "L07.Z5.16.renyi_ge_kl_s%g", s);
        check_ge(id, d2 - kl, 0.0, 0.0, "L07.Z5.16.renyi_kl",
                 "D_2 - KL >= 0: E_q[w^2] >= e^KL, sigma_q = %g", s);
    }
}

/*: ## Z5.16 The best zero-mean Gaussian proposal

Maximising $1/\mathbb E_q[w^2]$ over $s$ on a grid of step $10^{-3}$ in $[1, 11]$: the optimum
is wider than the target, $s \approx 5.146$, and gives only ESS/N $= 0.168252$ (spec L07 D23) —
a proposal centred in the wrong place cannot be rescued by its width, and 38 % is out of reach.
*/
static double best_proposal(void) {
    double best_s = 0.0, best_frac = 0.0;
    for (int i = 0; i <= 10000; i++) {
        //: $1/\mathbb E_q[w^2]$ on the grid, [eq:L07.Z5.16.ew2]
        double s = 1.0 + 0.001 * i, f = 1.0 / ew2_closed(s);
        if (f > best_frac) { best_frac = f; best_s = s; }
    }
    printf("best sigma_q = %.3f, ESS/N = %.6f\n", best_s, best_frac);
    check_close("L07.Z5.16.best_sigma", best_s, 5.146, 0.002, "L07.Z5.16.ew2",
                "sigma_q maximising the asymptotic ESS/N (spec L07 D23: 5.146)");
    check_close("L07.Z5.16.best_ess", best_frac, 0.168252, 1e-5, "L07.Z5.16.ew2",
                "largest asymptotic ESS/N of a zero-mean Gaussian proposal (spec L07 D23: 0.168252)");
    check_le("L07.Z5.16.lecture_38_unreachable", best_frac, 0.38, 0.0, "L07.Z5.16.ew2",
             "no zero-mean Gaussian proposal reaches the lecture's 38%%");
    return best_s;
}

/*: ## Z5.16 Properties of the ESS

$\widehat{\mathrm{ESS}} = N$ for equal weights, is invariant to a common factor (a shift of
the log-weights: the unknown normaliser cancels), lies in $[1, N]$, is $\approx 1$ when one
weight dominates, and equals $N/(1 + \widehat{\mathrm{CV}}{}^2)$ (eq. [eq:L07.Z5.16.ess]).
*/
static void ess_properties(const Cli *cli, double *log_w) {
    enum { NP = 10000 };
    Rng rng;
    rng_init(&rng, cli->seed, 7);
    double *shifted = xmalloc(NP * sizeof *shifted);
    for (long i = 0; i < NP; i++) log_w[i] = log_weight(3.0 * rng_normal(&rng), 3.0);
    double ess = ess_log_weights(log_w, NP);
    Welford w_stats;
    welford_init(&w_stats);
    for (long i = 0; i < NP; i++) {
        welford_push(&w_stats, exp(log_w[i]));
        shifted[i] = log_w[i] + 300.0;
    }
    //: $\widehat{\mathrm{CV}}{}^2$ with the population variance, [eq:L07.Z5.16.ess]
    double cv2 = welford_var_pop(&w_stats) / (w_stats.mean * w_stats.mean);
    check_rel("L07.Z5.16.ess_cv_identity", ess, NP / (1.0 + cv2), 1e-9, "L07.Z5.16.ess",
              "(sum w)^2 / sum w^2 = N / (1 + CV^2) on a sample, sigma_q = 3");
    check_rel("L07.Z5.16.ess_shift_invariant", ess_log_weights(shifted, NP), ess, 1e-12,
              "common.ess.importance", "ESS unchanged when every log w is shifted by +300 (w scaled by e^300)");
    check_in("L07.Z5.16.ess_bounds", ess, 1.0, (double)NP, "common.ess.importance", "1 <= ESS <= N");
    for (long i = 0; i < NP; i++) shifted[i] = -2.0;
    check_rel("L07.Z5.16.ess_equal_weights", ess_log_weights(shifted, NP), (double)NP, 1e-12,
              "common.ess.importance", "equal weights give ESS = N");
    shifted[0] = 60.0; /* one weight e^62 times the others */
    check_close("L07.Z5.16.ess_one_dominant", ess_log_weights(shifted, NP), 1.0, 1e-15 * NP,
                "common.ess.importance", "one dominant weight gives ESS = 1");
    free(shifted);
}

/* Figure `ess_vs_sigma.png`: ESS/N against sigma_q (theory, simulation, exp(-KL), the lecture). */
static void figure(const Cli *cli, double best_s, double *log_w) {
    enum { NT = 200, NMC = 12 };
    double st[NT], ft[NT], fkl[NT], smc[NMC], fmc[NMC];
    for (int i = 0; i < NT; i++) {
        st[i] = 1.0 + 11.0 * i / (NT - 1.0);
        ft[i] = 1.0 / ew2_closed(st[i]);
        fkl[i] = exp(-kl_gauss_1d(target_mean, 1.0, 0.0, st[i]));
    }
    int reps_fig = (int)cli_scale(cli, 5, 21, 101);
    for (int i = 0; i < NMC; i++) {
        smc[i] = 1.0 + i;
        fmc[i] = ess_fraction_median(cli->seed, 100000u + 1000u * (uint64_t)i, smc[i], 10000,
                                     reps_fig, log_w);
    }
    Plot *plot = plot_new(760, 460, "Z5.16: ESS/N of IS for p = N(5,1), q = N(0, sigma_q^2)");
    plot_xlabel(plot, "proposal sd sigma_q");
    plot_ylabel(plot, "ESS / N (log scale)");
    plot_ylog(plot, 1);
    plot_ylim(plot, 1e-12, 1.0);
    PlotSeries *s = plot_line(plot, st, ft, NT, "asymptotic 1/E_q[w^2] = exp(-D_2)");
    plot_series_color(s, PLOT_BLUE);
    s = plot_line(plot, st, fkl, NT, "exp(-KL(p||q)) (lecture's approximation)");
    plot_series_color(s, PLOT_GRAY);
    plot_series_dash(s, PLOT_DASHED);
    char label[96];
    snprintf(label, sizeof label, "simulated, N = 10000 (median of %d runs; >= 1/N)", reps_fig);
    s = plot_scatter(plot, smc, fmc, NMC, label);
    plot_series_color(s, PLOT_ORANGE);
    plot_series_marker(s, 4.5);
    s = plot_scatter(plot, sigmas, lecture_frac, 3, "lecture's table (wrong)");
    plot_series_color(s, PLOT_RED);
    plot_series_marker(s, 6.0);
    s = plot_vline(plot, best_s, "best sigma_q = 5.146 (ESS/N = 0.168)");
    plot_series_color(s, PLOT_GREEN);
    plot_series_dash(s, PLOT_DOTTED);
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "ess_vs_sigma.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.16: effective sample size of importance sampling, N(5,1) from N(0, s^2)",
              15, NULL);
    double frac_theory[3];
    double *log_w = xmalloc(10000 * sizeof *log_w); /* scratch for one run's log-weights */
    closed_form_vs_quadrature(frac_theory);
    simulated_ess(&cli, frac_theory, log_w);
    kl_and_renyi(frac_theory);
    const double best_s = best_proposal();
    ess_properties(&cli, log_w);
    figure(&cli, best_s, log_w);
    free(log_w);
    return check_end();
}
