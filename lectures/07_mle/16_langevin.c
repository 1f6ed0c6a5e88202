/*: # L07 Z5.17 — Langevin dynamics: sampling with the score

**Lecture 7, Part 2, section Z5.17.**

The unadjusted Langevin algorithm (ULA) turns a score $\nabla_x\log p$ into samples of $p$: a
step of gradient ascent on $\log p$ plus Gaussian noise. The continuous-time Langevin diffusion
has $p$ as its stationary law; the discrete chain does not quite — its stationary variance for a
standard normal target is $1/(1-\epsilon/4)$, an $O(\epsilon)$ bias the lecture does not mention.
The program measures that bias, samples the bimodal density of Z5.2 with its closed-form score,
and shows how rarely a chain crosses between the two modes.

What you will see: the exact stationary variance of ULA for three step sizes, simulated
variances from 10 000 chains, moments and the Kolmogorov-Smirnov distance of bimodal samples to
the target, and the mode switches of one long chain. Figure: `langevin_hist.png`, histograms of
the chains' final states against the target densities.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/16_langevin [--out DIR] [--threads N]`.
One Philox stream per chain: the output does not depend on the thread count.

| symbol | C name | shape |
|---|---|---|
| $x_t$ (one chain's state) | `x` | scalar |
| $\epsilon$ (step size) | `eps` | scalar |
| $\nabla_x\log p(x)$ | `score_normal`, `score_bimodal` | scalar |
| $z_t \sim \mathcal N(0,1)$ | `z` | scalar |
| chain $c$'s final state, its time average of $x^2$ | `final[c]`, `mean_sq[c]` | (chains) |
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

typedef double (*score_fn)(double x);

static double score_normal(double x) { return -x; }
/* p = 0.5 N(-3,1) + 0.5 N(3,1): log p = -x^2/2 + log cosh(3x) + const, so the score is
   -x + 3 tanh(3x) (checked against common/gauss's gmm_score below). */
//: $\nabla\log p(x) = -x + 3\tanh 3x$ for $p = \frac12\mathcal N(-3,1) + \frac12\mathcal N(3,1)$
static double score_bimodal(double x) { return -x + 3.0 * tanh(3.0 * x); }

/*: ## The ULA step

$$ x_{t+1} = x_t + \frac{\epsilon}{2}\nabla_x\log p(x_t) + \sqrt{\epsilon}\,z_t,\qquad z_t\sim\mathcal N(0, I) $$ {#eq:L07.Z5.17.ula}

the Euler-Maruyama discretisation of $dx = \frac12\nabla\log p(x)\,dt + dW_t$.
*/
static double ula_step(double x, score_fn score, double eps, double z) {
    //: $x \leftarrow x + \frac\epsilon2\nabla\log p(x) + \sqrt\epsilon\,z$, eq. [eq:L07.Z5.17.ula]
    return x + 0.5 * eps * score(x) + sqrt(eps) * z;
}

/* Runs `chains` independent chains (chain c on Philox stream stream_base + c) for burn + keep
   steps from x0 ~ N(0, init_sd^2). final[c] gets the last state, mean_sq[c] (may be NULL) the
   average of x^2 over the last `keep` steps. */
static void run_chains(long chains, long burn, long keep, double eps, score_fn score,
                       double init_sd, uint64_t seed, uint64_t stream_base, double *final,
                       double *mean_sq) {
#pragma omp parallel for schedule(static)
    for (long c = 0; c < chains; c++) {
        Rng r;
        rng_init(&r, seed, stream_base + (uint64_t)c);
        double x = init_sd * rng_normal(&r), acc = 0.0;
        for (long t = 0; t < burn + keep; t++) {
            //: one ULA step per chain and time, [eq:L07.Z5.17.ula]
            x = ula_step(x, score, eps, rng_normal(&r));
            if (t >= burn) acc += x * x;
        }
        final[c] = x;
        if (mean_sq) mean_sq[c] = acc / (double)keep;
    }
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
//: $F_p(x) = \frac12\Phi(x+3) + \frac12\Phi(x-3)$
static double bimodal_cdf(double x) { return 0.5 * normal_cdf(x + 3.0) + 0.5 * normal_cdf(x - 3.0); }
/*: ## Z5.17 The step-size bias, exactly

For $p = \mathcal N(0,1)$ the step is linear, $x' = (1-\epsilon/2)x + \sqrt\epsilon z$, so the
variance evolves as $v \leftarrow (1-\epsilon/2)^2 v + \epsilon$, with fixed point

$$ v_\infty = \frac{\epsilon}{1 - (1-\epsilon/2)^2} = \frac{1}{1 - \epsilon/4} $$ {#eq:L07.Z5.17.ula_variance}

1.0025063 ($\epsilon = 0.01$), 1.0256410 (0.1), 1.1428571 (0.5) (spec L07 D41, computed
independently; the check compares the iterated recursion with them, the closed form is
printed beside): the chain
samples a slightly wider Gaussian than the target; the bias vanishes only as $\epsilon \to 0$.
*/
static void bias_exact(void) {
    const double eps_list[3] = {0.01, 0.1, 0.5};
    const double spec_v[3] = {1.0025063, 1.0256410, 1.1428571}; /* spec L07 D41, 7 decimals */
    for (int k = 0; k < 3; k++) {
        double eps = eps_list[k], v = 1.0;
        for (int it = 0; it < 100000; it++) {
            //: $v \leftarrow (1-\epsilon/2)^2 v + \epsilon$, eq. [eq:L07.Z5.17.ula_variance]
            double v_next = (1.0 - 0.5 * eps) * (1.0 - 0.5 * eps) * v + eps;
            if (v_next == v) break;
            v = v_next;
        }
        //: $v_\infty = 1/(1 - \epsilon/4)$, [eq:L07.Z5.17.ula_variance]
        const double closed = 1.0 / (1.0 - eps / 4.0);
        printf("eps = %-4g: variance recursion fixed point %.10f, 1/(1 - eps/4) = %.10f (difference %.1e)\n",
               eps, v, closed, v - closed);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.17.variance_fixed_point_eps%g", eps);
        check_close(id, v, spec_v[k], 5e-8, "L07.Z5.17.ula_variance",
                    "iterated variance recursion of ULA on N(0,1) reaches the reference %.7f (spec L07 D41, "
                    "7 decimals), eps = %g", spec_v[k], eps);
    }
}

/*: ## Z5.17 The bias, simulated

$10^4$ chains started from $\mathcal N(0,1)$, 100 ($\epsilon = 0.5$) or 200 ($\epsilon = 0.1$)
burn-in steps (the variance converges like $(1-\epsilon/2)^{2t}$), then the average of $x^2$
over 300 steps. The chains are independent,
so the SE is the chain-to-chain standard deviation of those averages over $\sqrt{\text{chains}}$.
*/
/* Runs the chains on N(0,1); final_normal receives the eps = 0.5 chains' last states. */
static void bias_simulated(const Cli *cli, long chains, double *final_normal) {
    double *final_eps01 = xmalloc((size_t)chains * sizeof *final_eps01);
    double *mean_sq = xmalloc((size_t)chains * sizeof *mean_sq);
    const double eps_sim[2] = {0.5, 0.1};
    const long burn[2] = {100, 200};
    for (int k = 0; k < 2; k++) {
        double eps = eps_sim[k];
        run_chains(chains, burn[k], 300, eps, score_normal, 1.0, cli->seed, (uint64_t)k * 1000000u,
                   k == 0 ? final_normal : final_eps01, mean_sq);
        double var_hat, spread;
        stats_mean_var(mean_sq, (size_t)chains, &var_hat, &spread);
        //: $v_\infty = 1/(1 - \epsilon/4)$, [eq:L07.Z5.17.ula_variance]; SE from the chain-to-chain spread
        double se = sqrt(spread / (double)chains), expect = 1.0 / (1.0 - eps / 4.0);
        printf("ULA on N(0,1), eps = %g, %ld chains: E[x^2] = %.5f +- %.5f (theory %.6f, target 1)\n",
               eps, chains, var_hat, se, expect);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.17.ula_variance_eps%g", eps);
        check_mc(id, var_hat, expect, se, 5.0, chains, "L07.Z5.17.ula_variance",
                 "stationary E[x^2] of ULA on N(0,1) with eps = %g equals 1/(1 - eps/4)", eps);
        if (k == 0) {
            check_ge("L07.Z5.17.bias_visible", (var_hat - 1.0) / se, 5.0, 0.0, "L07.Z5.17.ula_variance",
                     "(E[x^2] - 1)/SE at eps = 0.5: the variance differs from the target's by far more than 5 SE");
            check_erratum("L07.Z5.17.stationary_is_p", 1.0, expect,
                          "the lecture: the stationary law of the Langevin update is p (variance 1); "
                          "ULA with eps = 0.5 has variance 1/(1 - eps/4)");
        }
    }
    free(final_eps01);
    free(mean_sq);
}

/*: ## Z5.17 A bimodal target

$p = \frac12\mathcal N(-3,1) + \frac12\mathcal N(3,1)$ with score $-x + 3\tanh 3x$;
$\epsilon = 0.05$, $5000$ chains from $\mathcal N(0, 3^2)$, 2000 steps (time 100: within a mode
the chain forgets its start like $e^{-t/2}$); the final states are compared
with $\mathbb E_p[x^2] = 10$, $\Pr_p(x>0) = \frac12$ and
$\mathbb E_p\lvert x\rvert = 3(1 - 2\Phi(-3)) + 2\varphi(3) = 3.000764$ (SEs from the samples;
the ULA bias, about $0.013$ in $\mathbb E[x^2]$, is below them) and by the Kolmogorov-Smirnov
distance $D = \sup_x\lvert F_n(x) - F_p(x)\rvert$, which for $n$ independent exact draws exceeds
$1.95/\sqrt n$ with probability about $10^{-3}$.
*/
static const double eps_bi = 0.05;

/* final receives the chains' last states (chains_bi of them). */
static void bimodal_target(const Cli *cli, long chains_bi, double *final) {
    Gmm gmm = gmm_new(2, 1);
    const double m_left = -3.0, m_right = 3.0;
    gmm_set(&gmm, 0, 0.5, &m_left, NULL, 1.0);
    gmm_set(&gmm, 1, 0.5, &m_right, NULL, 1.0);
    gmm_normalise(&gmm);
    double score_err = 0.0;
    //: $-x + 3\tanh 3x$ against the mixture's score $\sum_k r_k(x)\,(\mu_k - x)$
    for (int i = 0; i <= 160; i++) {
        double xx = -8.0 + 0.1 * i, s_gmm;
        gmm_score(&gmm, &xx, &s_gmm);
        score_err = fmax(score_err, fabs(s_gmm - score_bimodal(xx)));
    }
    gmm_free(&gmm);
    check_close("L07.Z5.17.bimodal_score", score_err, 0.0, 1e-12, NULL,
                "closed-form score -x + 3 tanh(3x) equals common/gauss's gmm_score on [-8, 8]");

    long steps_bi = cli_scale(cli, 1000, 2000, 4000);
    run_chains(chains_bi, steps_bi, 0, eps_bi, score_bimodal, 3.0, cli->seed, 3000000u, final, NULL);
    Welford sq, ab;
    welford_init(&sq);
    welford_init(&ab);
    long n_pos = 0;
    for (long c = 0; c < chains_bi; c++) {
        welford_push(&sq, final[c] * final[c]);
        welford_push(&ab, fabs(final[c]));
        n_pos += final[c] > 0.0;
    }
    double frac_pos = (double)n_pos / (double)chains_bi;
    //: $\mathbb E_p\lvert x\rvert = 3(1 - 2\Phi(-3)) + 2\varphi(3)$
    double abs_expect = 3.0 * (1.0 - 2.0 * normal_cdf(-3.0)) + 2.0 * exp(gauss_logpdf_1d(3.0, 0.0, 1.0));
    printf("bimodal, eps = %g, %ld chains x %ld steps: E[x^2] = %.4f, P(x > 0) = %.4f, E|x| = %.4f\n",
           eps_bi, chains_bi, steps_bi, sq.mean, frac_pos, ab.mean);
    check_mc("L07.Z5.17.bimodal_second_moment", sq.mean, 10.0, sqrt(welford_var(&sq) / (double)chains_bi),
             5.0, chains_bi, "L07.Z5.17.ula", "E[x^2] of the chains' final states vs E_p[x^2] = 1 + 9 = 10");
    check_mc("L07.Z5.17.bimodal_balance", frac_pos, 0.5, sqrt(0.25 / (double)chains_bi), 5.0, chains_bi,
             "L07.Z5.17.ula", "fraction of chains in the right mode vs 1/2 (binomial SE)");
    check_mc("L07.Z5.17.bimodal_abs_mean", ab.mean, abs_expect, sqrt(welford_var(&ab) / (double)chains_bi),
             5.0, chains_bi, "L07.Z5.17.ula", "E|x| of the final states vs E_p|x| = %.6f", abs_expect);
    double *sorted = xmalloc((size_t)chains_bi * sizeof *sorted);
    for (long c = 0; c < chains_bi; c++) sorted[c] = final[c];
    qsort(sorted, (size_t)chains_bi, sizeof *sorted, stats_cmp_double);
    double ks = 0.0;
    for (long c = 0; c < chains_bi; c++) {
        double f = bimodal_cdf(sorted[c]);
        //: $D = \sup_x\lvert F_n(x) - F_p(x)\rvert$, evaluated at the sorted states
        ks = fmax(ks, fmax(fabs((double)(c + 1) / chains_bi - f), fabs((double)c / chains_bi - f)));
    }
    free(sorted);
    check_le("L07.Z5.17.bimodal_ks", ks, 1.95 / sqrt((double)chains_bi), 0.0, "L07.Z5.17.ula",
             "Kolmogorov-Smirnov distance of the final states to the target CDF (bound 1.95/sqrt(n))");
}

/*: ## Z5.17 Slow mixing between the modes

One chain from $x_0 = 3$: the drift pulls it back into its mode, and crossing the valley at
$x = 0$ (where $p$ is $e^{-4.5}\approx 1/90$ of its peak) needs a rare run of noise. The count of
switches (passages from $x > 1.5$ to $x < -1.5$ or back) is printed, not checked: a reminder
that a score-based sampler on a multimodal target needs many chains, or annealed noise levels
(Song & Ermon 2019), to get the mode weights right.
*/
static void slow_mixing(const Cli *cli) {
    long steps_long = cli_scale(cli, 10000, 100000, 1000000);
    Rng rng;
    rng_init(&rng, cli->seed, 9000000u);
    double x = 3.0;
    int side = 1;
    long switches = 0, time_right = 0;
    for (long t = 0; t < steps_long; t++) {
        //: one ULA step, [eq:L07.Z5.17.ula]
        x = ula_step(x, score_bimodal, eps_bi, rng_normal(&rng));
        if (side > 0 && x < -1.5) { side = -1; switches++; }
        else if (side < 0 && x > 1.5) { side = 1; switches++; }
        time_right += x > 0.0;
    }
    printf("one chain, %ld steps of eps = %g (time %.0f): %ld mode switches, fraction of time at x > 0: %.3f\n",
           steps_long, eps_bi, steps_long * eps_bi, switches, (double)time_right / steps_long);
}

/* Figure `langevin_hist.png`: histograms of the final states against the target densities. */
static void figure(const Cli *cli, const double *final_normal, long chains, const double *final,
                   long chains_bi) {
    enum { NB = 60, NG = 301 };
    double counts[NB], sx[2 * NB], sy[2 * NB], gx[NG], gp[NG], gq[NG];
    Plot *plot = plot_new_grid(1, 2, 1100, 440, "Z5.17: unadjusted Langevin samples vs the target");
    for (int panel = 0; panel < 2; panel++) {
        double lo = panel == 0 ? -4.5 : -7.5, hi = -lo;
        const double *data = panel == 0 ? final_normal : final;
        stats_hist1d(data, (size_t)(panel == 0 ? chains : chains_bi), lo, hi, NB, counts, 1);
        for (int k = 0; k < NB; k++) {
            sx[2 * k] = lo + k * (hi - lo) / NB;
            sx[2 * k + 1] = lo + (k + 1) * (hi - lo) / NB;
            sy[2 * k] = sy[2 * k + 1] = counts[k];
        }
        for (int i = 0; i < NG; i++) {
            gx[i] = lo + (hi - lo) * i / (NG - 1.0);
            gp[i] = panel == 0 ? exp(gauss_logpdf_1d(gx[i], 0.0, 1.0))
                               : 0.5 * exp(gauss_logpdf_1d(gx[i], -3.0, 1.0)) +
                                     0.5 * exp(gauss_logpdf_1d(gx[i], 3.0, 1.0));
            gq[i] = exp(gauss_logpdf_1d(gx[i], 0.0, sqrt(1.0 / (1.0 - 0.5 / 4.0))));
        }
        plot_panel(plot, panel);
        char title[128];
        snprintf(title, sizeof title, panel == 0 ? "N(0,1), eps = 0.5, %ld chains"
                                                 : "0.5 N(-3,1) + 0.5 N(3,1), eps = 0.05, %ld chains",
                 panel == 0 ? chains : chains_bi);
        plot_title(plot, title);
        plot_xlabel(plot, "x");
        plot_ylabel(plot, "density");
        plot_ylim(plot, 0.0, panel == 0 ? 0.55 : 0.3);
        PlotSeries *s = plot_line(plot, sx, sy, 2 * NB, "histogram of final states");
        plot_series_color(s, PLOT_ORANGE);
        s = plot_line(plot, gx, gp, NG, "target p(x)");
        plot_series_color(s, PLOT_BLACK);
        plot_series_width(s, 2.2);
        if (panel == 0) {
            s = plot_line(plot, gx, gq, NG, "ULA's stationary N(0, 1/(1 - eps/4))");
            plot_series_color(s, PLOT_BLUE);
            plot_series_dash(s, PLOT_DASHED);
        }
    }
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "langevin_hist.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.17: unadjusted Langevin dynamics, its step-size bias and a bimodal target", 16,
              NULL);
    const long chains = cli_scale(&cli, 400, 10000, 40000), chains_bi = chains / 2;
    double *final_normal = xmalloc((size_t)chains * sizeof *final_normal);
    double *final = xmalloc((size_t)chains_bi * sizeof *final);
    bias_exact();
    bias_simulated(&cli, chains, final_normal);
    bimodal_target(&cli, chains_bi, final);
    slow_mixing(&cli);
    figure(&cli, final_normal, chains, final, chains_bi);
    free(final_normal);
    free(final);
    return check_end();
}
