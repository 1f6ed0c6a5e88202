/*: # L36 2.3, 3.10 — Noise prediction is score prediction

**Lecture 36, section 2.3** ("predicting the noise = predicting the score") **and section 3.10**
(the score-based reading of DDPM: $L_\text{simple}$ is denoising score matching with weight
$\lambda(t) = 1-\bar\alpha_t$).

Two statements are easy to confuse. The *conditional* identity
$\nabla_{x_t}\log q(x_t\mid x_0) = -\epsilon/\sqrt{1-\bar\alpha_t}$ is algebra on one Gaussian. The
statement a sampler needs is about the *marginal* $q_t(x_t) = \int q(x_t\mid x_0)p(x_0)\,dx_0$: the
best noise predictor (the minimiser of $L_\text{simple}$) is $\mathbb E[\epsilon\mid x_t]$, and that
equals $-\sqrt{1-\bar\alpha_t}\,\nabla\log q_t(x_t)$ (Tweedie). Both are checked here, the second
by routes that never use the formula: finite differences of $\log q_t$, a Monte-Carlo
regression, importance sampling of the posterior. (The lecture defers the proof of the
score/flow unification to "L38 Flow Matching", while its roadmap puts SDEs and ODEs in L37;
spec E8. And its intuition "DDPM is a discretisation of Langevin dynamics" (§2.2) is loose:
ancestral sampling uses the score through one reverse step per noise level, it does not run a
Langevin MCMC chain at each level as the annealed-Langevin samplers of L35 do; spec E32.)

What you will see: the conditional score by finite differences at $t = 1, 500, 1000$; DSM with
$\lambda = 1-\bar\alpha_t$ equal to $L_\text{simple}$ sample by sample; the exact denoiser equal to
the rescaled marginal score of a 2-D mixture (finite differences of `gmm_logpdf`); the regression
slope of $\epsilon$ on $x_t$ equal to $\sqrt{1-\bar\alpha_t}/v_t$; the posterior mean $\mathbb E[x_0\mid x_t]$ by
importance sampling; $L_\text{simple}$ at its minimum (the Bayes floor) and above it for a
perturbed predictor.
Figure: `tweedie.png`, samples $(x_t, \epsilon)$ at $t = 500$ with binned means and the curve
$-\sqrt{1-\bar\alpha_t}\,\nabla\log q_t$.

Run: `build/release/bin/lectures/36_ddpm/15_score_equivalence [--quick | --full]`.

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha_t$ | `sch.alpha_bar` | $T+1$ |
| $x_0, \epsilon, x_t$ | `x0`, `eps`, `xt` | $d$ or $n$ |
| $q_t$ (noised data law) | `noised` (`Gmm`) | — |
| $\hat\epsilon^\star = \mathbb E[\epsilon\mid x_t]$ | `diff_oracle_eval` | $d$ |
| $s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}$ | `s_theta` | $d$ |
| $v_t = \bar\alpha_t s^2 + 1-\bar\alpha_t$ | `v_t` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };

/* The noised law q_t of a diagonal mixture: components N(sqrt(abar) m_k, abar s_k^2 + 1 - abar). */
static Gmm noised_mixture(const Gmm *data, double abar) {
    Gmm q = gmm_new(data->k, data->d);
    for (int k = 0; k < data->k; k++) {
        double m[8], v[8];
        for (int a = 0; a < data->d; a++) {
            m[a] = sqrt(abar) * data->mean[k * data->d + a];
            v[a] = abar * data->var[k * data->d + a] + 1.0 - abar;
        }
        gmm_set(&q, k, exp(data->log_weight[k]), m, v, 0.0);
    }
    gmm_normalise(&q);
    return q;
}

/*: ## 2.3 / 3.10 The conditional score

$$ \log q(x_t\mid x_0) = -\frac{\lVert x_t - \sqrt{\bar\alpha_t}x_0\rVert^2}{2(1-\bar\alpha_t)} + \text{const}
   \ \Rightarrow\ \nabla_{x_t}\log q(x_t\mid x_0) = -\frac{x_t - \sqrt{\bar\alpha_t}x_0}{1-\bar\alpha_t} = -\frac{\epsilon}{\sqrt{1-\bar\alpha_t}} $$ {#eq:L36.3.10.cond_score}

for $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$. Checked against a central difference of
`gauss_logpdf_iso` (a quadratic, so the difference is exact up to rounding) at the lecture's
$x_0 = (1, 2)$.
*/
static void conditional_score(const Cli *cli, const DiffusionSchedule *sch) {
    Rng r;
    rng_init(&r, cli->seed, 1);
    const double x0[2] = {1.0, 2.0};
    const int ts[3] = {1, 500, 1000};
    double worst = 0;
    for (int i = 0; i < 3; i++) {
        const int t = ts[i];
        const double ab = sch->alpha_bar[t], sd = sqrt(1.0 - ab), h = 1e-4 * sd;
        double eps[2], xt[2], mu[2] = {sqrt(ab) * x0[0], sqrt(ab) * x0[1]};
        rng_normal_fill(&r, eps, 2);
        diffusion_q_sample(sch, t, x0, eps, xt, 2);
        for (int a = 0; a < 2; a++) {
            double xp[2] = {xt[0], xt[1]}, xm[2] = {xt[0], xt[1]};
            xp[a] += h, xm[a] -= h;
            const double fd = (gauss_logpdf_iso(xp, mu, 1.0 - ab, 2) - gauss_logpdf_iso(xm, mu, 1.0 - ab, 2)) / (2 * h);
            //: $-\epsilon/\sqrt{1-\bar\alpha_t}$, eq. [eq:L36.3.10.cond_score]
            const double score = -eps[a] / sd;
            worst = fmax(worst, fabs(fd - score) / fabs(score));
        }
    }
    check_le("L36.3.10.fd_score_vs_eps", worst, 0, 1e-7, "L36.3.10.cond_score",
             "max relative |central difference of log q(x_t|x0) + eps/sqrt(1-abar)| at t = 1, 500, 1000 (spec D14a)");
}

/*: ## 3.10 DSM with $\lambda(t) = 1-\bar\alpha_t$ is $L_\text{simple}$

With the score model tied to the noise model, $s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}$,

$$ (1-\bar\alpha_t)\,\Big\lVert -\frac{\epsilon}{\sqrt{1-\bar\alpha_t}} - s_\theta(x_t, t)\Big\rVert^2 = \lVert\epsilon - \epsilon_\theta(x_t, t)\rVert^2 $$ {#eq:L36.3.10.dsm_lsimple}

term by term, for any prediction. Checked on 1000 random $(t, x_0, \epsilon, \epsilon_\theta)$.
*/
static void dsm_is_lsimple(const Cli *cli, const DiffusionSchedule *sch) {
    Rng r;
    rng_init(&r, cli->seed, 2);
    double worst = 0;
    for (int i = 0; i < 1000; i++) {
        const int t = 1 + (int)rng_below(&r, T);
        const double ab = sch->alpha_bar[t], sd = sqrt(1.0 - ab);
        double dsm = 0, lsimple = 0;
        for (int a = 0; a < 2; a++) {
            const double eps = rng_normal(&r), eps_theta = rng_normal(&r);
            const double s_theta = -eps_theta / sd, target = -eps / sd;
            //: eq. [eq:L36.3.10.dsm_lsimple], left and right
            dsm += (1.0 - ab) * (target - s_theta) * (target - s_theta);
            lsimple += (eps - eps_theta) * (eps - eps_theta);
        }
        worst = fmax(worst, fabs(dsm - lsimple) / fmax(lsimple, 1e-300));
    }
    check_le("L36.3.10.dsm_equals_lsimple", worst, 0, 1e-12, "L36.3.10.dsm_lsimple",
             "max relative |DSM(lambda = 1-abar) - L_simple| over 1000 random terms (spec D14b)");
}

/*: ## The marginal score: Tweedie's formula

The minimiser of $L_\text{simple}$ at time $t$ is the conditional mean of the noise, and
(differentiating $q_t = \int q(x_t\mid x_0)p(x_0)dx_0$ under the integral)

$$ \hat\epsilon^\star(x_t) = \mathbb E[\epsilon\mid x_t] = -\sqrt{1-\bar\alpha_t}\,\nabla_{x_t}\log q_t(x_t),\qquad
   \mathbb E[x_0\mid x_t] = \frac{x_t + (1-\bar\alpha_t)\nabla\log q_t(x_t)}{\sqrt{\bar\alpha_t}} . $$ {#eq:L36.3.10.tweedie}

Three independent routes to the same function, on a 3-mode 2-D mixture and on
$\mathcal N(1, 0.5^2)$:

1. central differences of $\log q_t$ (`gmm_logpdf` of the explicitly noised mixture) against the
   exact denoiser `diff_oracle_eval`;
2. for Gaussian data $\mathbb E[\epsilon\mid x_t] = \sqrt{1-\bar\alpha_t}\,(x_t - \sqrt{\bar\alpha_t}m)/v_t$ is
   linear, so the least-squares slope of $\epsilon$ on $x_t$ over simulated pairs must be
   $\sqrt{1-\bar\alpha_t}/v_t$ (spec D14c);
3. $\mathbb E[x_0\mid x_t]$ by self-normalised importance sampling: draw $x_0^{(i)} \sim p$ and weight
   by $q(x_t\mid x_0^{(i)})$.

Finally $L_\text{simple}$ itself: at $\hat\epsilon^\star$ it equals the Bayes floor
$\mathbb E\,\mathrm{Var}(\epsilon\mid x_t) = \bar\alpha_t s^2/v_t$ per coordinate, and a predictor
$1.1\,\hat\epsilon^\star$ pays exactly $0.01\,\mathbb E[\hat\epsilon^{\star2}] = 0.01(1-\bar\alpha_t)/v_t$ more.
*/
/* Figure: a subsample of (x_t, eps) at t = 500, binned means of eps, and E[eps | x_t] from the exact
   denoiser (the rescaled marginal score). */
static void tweedie_figure(const Cli *cli, const double *xt, const double *eps, size_t n, double ab, double m, double s2) {
    enum { NB = 28, NS = 3000 };
    double cx[NB], sum[NB] = {0}, cnt[NB] = {0}, bx[NB], by[NB], curve[NB];
    int nb = 0;
    for (size_t i = 0; i < n; i++) {
        const int b = (int)floor((xt[i] + 3.5) / 7.0 * NB);
        if (b >= 0 && b < NB) sum[b] += eps[i], cnt[b] += 1;
    }
    Gmm g = gmm_new(1, 1);
    gmm_set(&g, 0, 1.0, &m, NULL, s2);
    for (int b = 0; b < NB; b++) {
        cx[b] = -3.5 + (b + 0.5) * 7.0 / NB;
        diff_oracle_eval(&g, &cx[b], ab, &curve[b], NULL);
        if (cnt[b] >= 50) bx[nb] = cx[b], by[nb] = sum[b] / cnt[b], nb++;
    }
    Plot *p = plot_new(820, 560, "3.10: E[eps | x_t] is the rescaled score (t = 500, data N(1, 0.5^2))");
    PlotSeries *sc = plot_scatter(p, xt, eps, (int)(n < NS ? n : NS), "samples (x_t, eps)");
    plot_series_marker(sc, 1.5), plot_series_alpha(sc, 0.3), plot_series_color(sc, PLOT_GRAY);
    PlotSeries *bm = plot_scatter(p, bx, by, nb, "binned mean of eps");
    plot_series_color(bm, PLOT_RED), plot_series_marker(bm, 4);
    PlotSeries *cv = plot_line(p, cx, curve, NB, "-sqrt(1-abar) grad log q_t(x_t)");
    plot_series_color(cv, PLOT_BLUE);
    plot_xlabel(p, "x_t");
    plot_ylabel(p, "eps");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "tweedie.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    gmm_free(&g);
}

static void tweedie(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm mix = gmm_new(3, 2);
    const double m0[2] = {-2, 0}, m1[2] = {2, 0.5}, m2[2] = {0, 2.5}, v0[2] = {0.2, 0.05};
    gmm_set(&mix, 0, 0.3, m0, v0, 0), gmm_set(&mix, 1, 0.5, m1, NULL, 0.1), gmm_set(&mix, 2, 0.2, m2, NULL, 0.3);
    gmm_normalise(&mix);
    const int ts[4] = {1, 100, 500, 1000};
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        const double ab = sch->alpha_bar[ts[i]];
        Gmm q = noised_mixture(&mix, ab);
        const double h = 1e-5;
        for (int p = 0; p < 6; p++) {
            const double x[2] = {-2.5 + p, 1.5 - 0.7 * p};
            double e[2];
            diff_oracle_eval(&mix, x, ab, e, NULL);
            for (int a = 0; a < 2; a++) {
                double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
                xp[a] += h, xm[a] -= h;
                const double fd = (gmm_logpdf(&q, xp, NULL) - gmm_logpdf(&q, xm, NULL)) / (2 * h);
                //: $-\sqrt{1-\bar\alpha_t}\nabla\log q_t$, eq. [eq:L36.3.10.tweedie]
                worst = fmax(worst, fabs(e[a] + sqrt(1.0 - ab) * fd) / (1.0 + fabs(e[a])));
            }
        }
        gmm_free(&q);
    }
    check_le("L36.3.10.marginal_score_fd", worst, 0, 1e-6, "L36.3.10.tweedie",
             "exact denoiser vs -sqrt(1-abar) x central difference of log q_t (3-mode 2-D mixture, t = 1, 100, 500, 1000; "
             "relative to 1 + |eps|)");

    /* 2. regression slope for N(1, 0.25) data at t = 500 */
    const int t = 500;
    const double ab = sch->alpha_bar[t], m = 1.0, s2 = 0.25, v_t = ab * s2 + 1.0 - ab;
    const size_t n = (size_t)cli_scale(cli, 100000, 1000000, 4000000);
    double *xt = xmalloc(sizeof(double) * n), *eps = xmalloc(sizeof(double) * n);
    Rng r;
    rng_init(&r, cli->seed, 3);
    for (size_t i = 0; i < n; i++) {
        const double x0 = m + sqrt(s2) * rng_normal(&r);
        eps[i] = rng_normal(&r);
        diffusion_q_sample(sch, t, &x0, &eps[i], &xt[i], 1);
    }
    double mx, me, sxx = 0, sxe = 0;
    mx = stats_mean(xt, n), me = stats_mean(eps, n);
    for (size_t i = 0; i < n; i++) sxx += (xt[i] - mx) * (xt[i] - mx), sxe += (xt[i] - mx) * (eps[i] - me);
    const double slope = sxe / sxx;
    double rss = 0;
    for (size_t i = 0; i < n; i++) {
        const double res = eps[i] - me - slope * (xt[i] - mx);
        rss += res * res;
    }
    const double slope_se = sqrt(rss / (double)(n - 2) / sxx);
    check_mc("L36.3.10.tweedie_slope", slope, sqrt(1.0 - ab) / v_t, slope_se, 4, (long)n, "L36.3.10.tweedie",
             "least-squares slope of eps on x_t, t = 500, N(1, 0.25) data = sqrt(1-abar)/v_t (spec D14c)");

    /* L_simple at the optimum and above it */
    Gmm g = gmm_new(1, 1);
    gmm_set(&g, 0, 1.0, &m, NULL, s2);
    double *loss = xmalloc(sizeof(double) * n), *gap = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        double e;
        diff_oracle_eval(&g, &xt[i], ab, &e, NULL);
        loss[i] = (eps[i] - e) * (eps[i] - e);
        gap[i] = (eps[i] - 1.1 * e) * (eps[i] - 1.1 * e) - loss[i];
    }
    double se, floor_mc = stats_mean_se(loss, n, &se);
    check_mc("L36.3.10.bayes_floor", floor_mc, ab * s2 / v_t, se, 4, (long)n, "L36.3.10.tweedie",
             "L_simple of the exact denoiser at t = 500 = E Var(eps | x_t) = abar s^2 / v_t");
    double gse, gap_mc = stats_mean_se(gap, n, &gse);
    check_mc("L36.3.10.perturbed_pays", gap_mc, 0.01 * (1.0 - ab) / v_t, gse, 4, (long)n, "L36.3.10.tweedie",
             "L_simple(1.1 eps*) - L_simple(eps*) = 0.01 E[eps*^2] = 0.01 (1-abar)/v_t (paired on the same samples)");
    free(loss), free(gap);
    gmm_free(&g);

    /* 3. E[x0 | x_t] by importance sampling, mixture, t = 500, three points */
    const size_t nis = (size_t)cli_scale(cli, 20000, 200000, 2000000);
    double *x0s = xmalloc(sizeof(double) * nis * 2), *w = xmalloc(sizeof(double) * nis);
    for (size_t i = 0; i < nis; i++) gmm_sample(&mix, &r, x0s + 2 * i);
    const double pts[3][2] = {{-1.0, 0.2}, {0.8, 0.4}, {0.1, 1.2}};
    for (int p = 0; p < 3; p++) {
        double lmax = -INFINITY;
        for (size_t i = 0; i < nis; i++) {
            const double mu[2] = {sqrt(ab) * x0s[2 * i], sqrt(ab) * x0s[2 * i + 1]};
            w[i] = gauss_logpdf_iso(pts[p], mu, 1.0 - ab, 2);
            lmax = fmax(lmax, w[i]);
        }
        double sw = 0, est = 0;
        for (size_t i = 0; i < nis; i++) w[i] = exp(w[i] - lmax), sw += w[i], est += w[i] * x0s[2 * i];
        est /= sw;
        /* delta-method SE of a self-normalised ratio: sqrt(sum w^2 (x - est)^2) / sum w */
        double acc = 0;
        for (size_t i = 0; i < nis; i++) acc += w[i] * w[i] * (x0s[2 * i] - est) * (x0s[2 * i] - est);
        double x0_hat[2];
        diff_oracle_eval(&mix, pts[p], ab, NULL, x0_hat);
        char id[64];
        snprintf(id, sizeof id, "L36.3.10.posterior_mean_is_%d", p);
        check_mc(id, est, x0_hat[0], sqrt(acc) / sw, 4, (long)nis, "L36.3.10.tweedie",
                 "E[x0_1 | x_t = (%.1f, %.1f)], t = 500, 3-mode mixture: importance sampling vs Tweedie", pts[p][0], pts[p][1]);
    }
    free(x0s), free(w);

    tweedie_figure(cli, xt, eps, n, ab, m, s2);
    free(xt), free(eps);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 2.3, 3.10: noise prediction is score prediction", 36, NULL);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    conditional_score(&cli, &sch);
    dsm_is_lsimple(&cli, &sch);
    tweedie(&cli, &sch);
    diffusion_schedule_free(&sch);
    return check_end();
}
