/*: # L36 3.1 — The forward process in closed form: iterated chain = one jump

**Lecture 36, §3.1** (closed form of $q(x_t\mid x_0)$, proved by induction) and the
numerical verification the lecture suggests with it.

What you will see: the theorem checked four independent ways — (1) the exact mean and variance
of the chain propagated step by step against $\sqrt{\bar\alpha_t}$ and $1-\bar\alpha_t$ for all
$t$; (2) the Chapman–Kolmogorov integral of the inductive step done by quadrature at three
points; (3) Monte Carlo: the chain iterated 500 times against the one-shot formula, both against
the theory within 4 standard errors, and against each other; (4) Gaussian data
$x_0\sim\mathcal N((1,2), 0.25 I)$, whose noised marginal is again Gaussian, checked exactly (by
quadrature) and by simulation. Also the product-of-Gaussians rule the lecture quotes here.
Figure `forward_trajectories.png`: trajectories of the chain with the closed-form band, and the
iterated and one-shot histograms of $x_{500}$ over the closed-form density.

Run: `build/release/bin/lectures/36_ddpm/02_forward_closed_form [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t$ | `sched.beta`, `sched.alpha`, `sched.alpha_bar` | (T+1) |
| $m_t, v_t$ (chain mean factor, variance) | `m`, `v` | scalars |
| $x_0$ | `X0` | (2) |
| $x_t$ by iteration / in one shot | `x_iter`, `x_closed` | (n, 2) |
| $\mu_\text{data}, s^2$ | `DATA_MEAN`, `DATA_VAR` | (2), scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 2, T = 1000, T_TEST = 500 };
static const double X0[D] = {1.0, 2.0};
static const double DATA_MEAN[D] = {1.0, 2.0};
static const double DATA_VAR = 0.25;

/*: ## 3.1 The theorem, and the moments of the chain

Applying $q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}x_{t-1}, (1-\alpha_t)I)$ $t$ times gives

$$ q(x_t\mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t)I\big),\qquad \bar\alpha_t = \prod_{s=1}^t\alpha_s . $$ {#eq:L36.3.1.q_xt_x0}

The inductive step writes $x_{t-1} = \sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1-\bar\alpha_{t-1}}\,\epsilon'$
and $x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{1-\alpha_t}\,\epsilon''$ with independent noises; the
variances add:

$$ \alpha_t(1-\bar\alpha_{t-1}) + (1-\alpha_t) = 1 - \alpha_t\bar\alpha_{t-1} = 1-\bar\alpha_t . $$ {#eq:L36.3.1.var_compose}

Everything is Gaussian, so the chain is described exactly by a mean factor and a variance
propagated one step at a time, $m_t = \sqrt{\alpha_t}\,m_{t-1}$ and
$v_t = \alpha_t v_{t-1} + \beta_t$ from $(m_0, v_0) = (1, 0)$: a route to the theorem that
never forms the product $\bar\alpha_t$.
*/
static void section_3_1_moments(const DiffusionSchedule *s) {
    double m = 1.0, v = 0.0, err_m = 0.0, err_v = 0.0, err_compose = 0.0;
    for (int t = 1; t <= T; t++) {
        //: one step of the chain on its moments: $m_t = \sqrt{\alpha_t}m_{t-1}$, $v_t = \alpha_t v_{t-1} + \beta_t$
        m = sqrt(s->alpha[t]) * m;
        v = s->alpha[t] * v + s->beta[t];
        //: [eq:L36.3.1.q_xt_x0]
        err_m = fmax(err_m, fabs(m - sqrt(s->alpha_bar[t])));
        err_v = fmax(err_v, fabs(v - (1.0 - s->alpha_bar[t])));
        //: [eq:L36.3.1.var_compose]
        const double lhs = s->alpha[t] * (1.0 - s->alpha_bar[t - 1]) + (1.0 - s->alpha[t]);
        err_compose = fmax(err_compose, fabs(lhs - (1.0 - s->alpha_bar[t])));
    }
    check_close("L36.3.1.moment_recursion_mean", err_m, 0.0, 1e-12, "L36.3.1.q_xt_x0",
                "max_t |m_t - sqrt(alpha_bar_t)|, chain mean propagated step by step, t = 1..1000");
    check_close("L36.3.1.moment_recursion_var", err_v, 0.0, 1e-12, "L36.3.1.q_xt_x0",
                "max_t |v_t - (1 - alpha_bar_t)|, chain variance propagated step by step");
    printf("variance composition (algebra, shown not checked): max_t |alpha_t (1 - abar_{t-1}) + "
           "(1 - alpha_t) - (1 - abar_t)| = %.3g\n", err_compose);
}

/*: ## 3.1 The inductive step as an integral (Chapman–Kolmogorov)

$$ q(x_t\mid x_0) = \int \mathcal N\big(x_t; \sqrt{\alpha_t}\,y,\ \beta_t\big)\,
   \mathcal N\big(y; \sqrt{\bar\alpha_{t-1}}\,x_0,\ 1-\bar\alpha_{t-1}\big)\,dy $$ {#eq:L36.3.1.chapman_kolmogorov}

computed by composite Gauss–Legendre quadrature (400 panels of 20 nodes on $\pm 14$ standard
deviations of the narrower factor) in one dimension, against the closed-form density and the
spec's reference values. The lecture quotes the product rule for two Gaussians here, but the
integral is a convolution and its proof goes by reparameterisation (spec erratum E9); the
product rule is the tool of §3.3 (program 04). It is checked below anyway:
$\mathcal N(x; a, A)\,\mathcal N(x; b, B) = \mathcal N(a; b, A+B)\,\mathcal N(x; c, C)$ with
$C^{-1} = A^{-1}+B^{-1}$, $c = C(a/A + b/B)$.
*/
typedef struct {
    double xt, sqrt_alpha, beta, prior_mean, prior_var;
} CkIntegrand;

static double ck_integrand(double y, void *ctx) {
    const CkIntegrand *c = ctx;
    //: integrand of [eq:L36.3.1.chapman_kolmogorov]
    return exp(gauss_logpdf_1d(c->xt, c->sqrt_alpha * y, sqrt(c->beta)) +
               gauss_logpdf_1d(y, c->prior_mean, sqrt(c->prior_var)));
}

static double chapman_kolmogorov(const DiffusionSchedule *s, int t, double x0, double xt) {
    CkIntegrand c = {xt, sqrt(s->alpha[t]), s->beta[t], sqrt(s->alpha_bar[t - 1]) * x0,
                     1.0 - s->alpha_bar[t - 1]};
    /* the window: the narrower of the two factors as a density in y */
    const double lik_mean = xt / c.sqrt_alpha, lik_sd = sqrt(c.beta) / c.sqrt_alpha;
    const double prior_sd = sqrt(c.prior_var);
    const double mid = prior_sd < lik_sd ? c.prior_mean : lik_mean;
    const double half = 14.0 * fmin(prior_sd, lik_sd);
    return quad_gauss_legendre_composite(ck_integrand, &c, mid - half, mid + half, 20, 400);
}

static void section_3_1_chapman_kolmogorov(const DiffusionSchedule *s) {
    const int ts[3] = {500, 2, 1000};
    const double x0s[3] = {1.0, 1.0, 2.0}, xts[3] = {0.3, 0.99, -0.5};
    const double spec[3] = {0.4155198850, 21.537964564, 0.3498127761};
    for (int k = 0; k < 3; k++) {
        const double quad = chapman_kolmogorov(s, ts[k], x0s[k], xts[k]);
        //: closed form [eq:L36.3.1.q_xt_x0]
        const double closed = exp(gauss_logpdf_1d(xts[k], sqrt(s->alpha_bar[ts[k]]) * x0s[k],
                                                  sqrt(1.0 - s->alpha_bar[ts[k]])));
        char id[64];
        snprintf(id, sizeof id, "L36.3.1.ck_quadrature_t%d", ts[k]);
        check_rel(id, quad, closed, 1e-9, "L36.3.1.chapman_kolmogorov",
                  "quadrature of the one-step convolution = q(x_t=%g | x0=%g) in closed form, t = %d",
                  xts[k], x0s[k], ts[k]);
        snprintf(id, sizeof id, "L36.3.1.ck_reference_t%d", ts[k]);
        check_rel(id, quad, spec[k], 1e-9, "L36.3.1.chapman_kolmogorov",
                  "the same quadrature against the spec's value %.10g", spec[k]);
    }
    /* product rule (D3): N(x;0.3,0.01) N(x;0.5,0.02) = K N(x;c,C) */
    const double a = 0.3, A = 0.01, b = 0.5, B = 0.02;
    const double C = 1.0 / (1.0 / A + 1.0 / B), c = C * (a / A + b / B);
    const double K = exp(gauss_logpdf_1d(a, b, sqrt(A + B)));
    check_rel("L36.3.1.gauss_product_K", K, 1.1825507391, 1e-9, NULL,
              "product-rule constant K = N(0.3; 0.5, 0.03) (spec D3)");
    double worst = 0.0;
    for (int i = 0; i < 5; i++) {
        const double x = 0.2 + 0.08 * i;
        const double lhs = exp(gauss_logpdf_1d(x, a, sqrt(A)) + gauss_logpdf_1d(x, b, sqrt(B)));
        const double rhs = K * exp(gauss_logpdf_1d(x, c, sqrt(C)));
        worst = fmax(worst, fabs(lhs / rhs - 1.0));
    }
    check_close("L36.3.1.gauss_product_pointwise", worst, 0.0, 1e-12, NULL,
                "max relative gap of N(x;a,A)N(x;b,B) vs K N(x;c,C) at 5 points, c = %.8f, C = %.8f",
                c, C);
}

/*: ## 3.1 Monte Carlo, as the lecture verifies it

Method 1 runs the chain, $x \leftarrow \sqrt{\alpha_s}\,x + \sqrt{1-\alpha_s}\,\epsilon_s$ for
$s = 1..500$; method 2 draws $x_{500}$ in one shot. Each sample has its own random stream, so
the results do not depend on the thread count. With $n$ samples a mean has standard error
$0.96/\sqrt n$ and a standard deviation about $0.96/\sqrt{2n}$; the difference of the two
methods' means (independent samples) has $\sqrt{se_1^2 + se_2^2}$. The two components of $x_t$
are independent, so their sample covariance must be 0 within $\hat\sigma_1\hat\sigma_2/\sqrt n$.
*/
static void iterate_chain(const DiffusionSchedule *s, int t, const double *x0, Rng *r, double *x) {
    for (int a = 0; a < D; a++) x[a] = x0[a];
    for (int step = 1; step <= t; step++)
        for (int a = 0; a < D; a++)
            //: $x_s = \sqrt{\alpha_s}\,x_{s-1} + \sqrt{1-\alpha_s}\,\epsilon_s$
            x[a] = sqrt(s->alpha[step]) * x[a] + sqrt(1.0 - s->alpha[step]) * rng_normal(r);
}

typedef struct {
    double mean[D], se[D], sd[D], cov, cov_se;
} Moments;

static Moments moments_of(const double *x, long n) {
    Moments m;
    double *col = xmalloc((size_t)n * sizeof(double));
    for (int a = 0; a < D; a++) {
        for (long i = 0; i < n; i++) col[i] = x[i * D + a];
        m.mean[a] = stats_mean_se(col, (size_t)n, &m.se[a]);
        m.sd[a] = sqrt(stats_var(col, (size_t)n));
    }
    double cov[D * D];
    stats_covariance(x, (size_t)n, D, NULL, cov);
    m.cov = cov[1], m.cov_se = m.sd[0] * m.sd[1] / sqrt((double)n);
    free(col);
    return m;
}

static void check_moments(const char *tag, const Moments *m, long n, const double *mean, double sd,
                          const char *eq, const char *what) {
    for (int a = 0; a < D; a++) {
        char id[80];
        snprintf(id, sizeof id, "L36.3.1.%s_mean_%d", tag, a + 1);
        check_mc(id, m->mean[a], mean[a], m->se[a], 4.0, n, eq,
                 "%s: mean of component %d vs %.10f", what, a + 1, mean[a]);
        snprintf(id, sizeof id, "L36.3.1.%s_std_%d", tag, a + 1);
        check_mc(id, m->sd[a], sd, m->sd[a] / sqrt(2.0 * (double)(n - 1)), 4.0, n,
                 eq, "%s: std of component %d vs %.10f", what, a + 1, sd);
    }
}

static void section_3_1_monte_carlo(const Cli *cli, const DiffusionSchedule *s, double *x_iter,
                                    double *x_closed, long n) {
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        iterate_chain(s, T_TEST, X0, &r, x_iter + i * D);
        rng_init(&r, cli->seed + 1, (uint64_t)i);
        double eps[D];
        rng_normal_fill(&r, eps, D);
        //: one shot, [eq:L36.3.1.q_xt_x0]
        diffusion_q_sample(s, T_TEST, X0, eps, x_closed + i * D, D);
    }
    const double sa = sqrt(s->alpha_bar[T_TEST]), sd = sqrt(1.0 - s->alpha_bar[T_TEST]);
    const double mean[D] = {sa * X0[0], sa * X0[1]};
    Moments mi = moments_of(x_iter, n), mc = moments_of(x_closed, n);
    check_moments("mc_iter", &mi, n, mean, sd, "L36.3.1.q_xt_x0", "chain iterated 500 steps from x0 = (1, 2)");
    check_moments("mc_closed", &mc, n, mean, sd, "L36.3.1.q_xt_x0", "one-shot x_500 from x0 = (1, 2)");
    for (int a = 0; a < D; a++) {
        char id[64];
        snprintf(id, sizeof id, "L36.3.1.iter_vs_closed_mean_%d", a + 1);
        check_mc(id, mi.mean[a] - mc.mean[a], 0.0, hypot(mi.se[a], mc.se[a]), 4.0, n,
                 "L36.3.1.q_xt_x0", "difference of the two methods' means, component %d "
                 "(independent samples)", a + 1);
    }
    check_mc("L36.3.1.mc_cross_cov", mi.cov, 0.0, mi.cov_se, 4.0, n, "L36.3.1.q_xt_x0",
             "sample covariance of the two components of the iterated x_500 (independent noise)");
}

/*: ## 3.1 Gaussian data: the whole marginal, exactly

For data $x_0\sim\mathcal N(\mu, s^2 I)$ the noised marginal is again Gaussian,

$$ q(x_t) = \int q(x_t\mid x_0)\,q(x_0)\,dx_0 = \mathcal N\big(\sqrt{\bar\alpha_t}\,\mu,\ (\bar\alpha_t s^2 + 1-\bar\alpha_t)I\big). $$ {#eq:L36.3.1.gauss_marginal}

Checked exactly (quadrature over $x_0$ at three points) and by running the chain on data draws.
*/
typedef struct {
    double xt, sa, sd, mu, s;
} MarginalIntegrand;

static double marginal_integrand(double x0, void *ctx) {
    const MarginalIntegrand *m = ctx;
    return exp(gauss_logpdf_1d(m->xt, m->sa * x0, m->sd) + gauss_logpdf_1d(x0, m->mu, m->s));
}

static void section_3_1_gaussian_data(const Cli *cli, const DiffusionSchedule *s, long n) {
    const double sa = sqrt(s->alpha_bar[T_TEST]), sd = sqrt(1.0 - s->alpha_bar[T_TEST]);
    const double vt = s->alpha_bar[T_TEST] * DATA_VAR + 1.0 - s->alpha_bar[T_TEST];
    double worst = 0.0;
    for (int k = 0; k < 3; k++) {
        const double xt = -1.0 + 1.2 * k;
        MarginalIntegrand m = {xt, sa, sd, DATA_MEAN[0], sqrt(DATA_VAR)};
        const double quad = quad_gauss_legendre_composite(marginal_integrand, &m, DATA_MEAN[0] - 7.0,
                                                          DATA_MEAN[0] + 7.0, 20, 100);
        //: [eq:L36.3.1.gauss_marginal]
        const double closed = exp(gauss_logpdf_1d(xt, sa * DATA_MEAN[0], sqrt(vt)));
        worst = fmax(worst, fabs(quad / closed - 1.0));
    }
    check_close("L36.3.1.gauss_marginal_quadrature", worst, 0.0, 1e-10, "L36.3.1.gauss_marginal",
                "max relative gap, quadrature over x0 vs closed-form q(x_500) at x_t = -1, 0.2, 1.4");

    double *x = xmalloc((size_t)n * D * sizeof(double));
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 2, (uint64_t)i);
        double x0[D];
        for (int a = 0; a < D; a++) x0[a] = DATA_MEAN[a] + sqrt(DATA_VAR) * rng_normal(&r);
        iterate_chain(s, T_TEST, x0, &r, x + i * D);
    }
    Moments m = moments_of(x, n);
    const double mean[D] = {sa * DATA_MEAN[0], sa * DATA_MEAN[1]};
    check_moments("gauss_data", &m, n, mean, sqrt(vt), "L36.3.1.gauss_marginal", "chain iterated from x0 ~ N((1,2), 0.25 I)");
    free(x);
}

/* Figure: 12 trajectories of component 1 with the closed-form mean +- 2 sd band, and the two
   histograms of x_500 (component 1) over the closed-form density. */
static void figure(const Cli *cli, const DiffusionSchedule *s, const double *x_iter,
                   const double *x_closed, long n) {
    enum { NTRAJ = 12, NB = 60 };
    static double tt[T + 1], traj[T + 1], band_lo[T + 1], band_hi[T + 1], mid[T + 1];
    Plot *p = plot_new_grid(1, 2, 1300, 500, "3.1: forward chain vs closed form q(x_t | x_0), x0 = (1, 2)");
    plot_panel(p, 0);
    plot_title(p, "x_t (component 1): 12 iterated trajectories");
    for (int t = 0; t <= T; t++) {
        tt[t] = t;
        mid[t] = sqrt(s->alpha_bar[t]) * X0[0];
        band_lo[t] = mid[t] - 2 * sqrt(1 - s->alpha_bar[t]);
        band_hi[t] = mid[t] + 2 * sqrt(1 - s->alpha_bar[t]);
    }
    for (int k = 0; k < NTRAJ; k++) {
        Rng r;
        rng_init(&r, cli->seed + 3, (uint64_t)k);
        traj[0] = X0[0];
        for (int t = 1; t <= T; t++)
            traj[t] = sqrt(s->alpha[t]) * traj[t - 1] + sqrt(s->beta[t]) * rng_normal(&r);
        PlotSeries *ls = plot_line(p, tt, traj, T + 1, NULL);
        plot_series_width(ls, 0.8);
        plot_series_alpha(ls, 0.6);
    }
    PlotSeries *l1 = plot_line(p, tt, mid, T + 1, "sqrt(abar_t) x0");
    plot_series_color(l1, PLOT_BLACK);
    plot_series_width(l1, 2.5);
    PlotSeries *l2 = plot_line(p, tt, band_lo, T + 1, "+- 2 sqrt(1 - abar_t)");
    plot_series_color(l2, PLOT_BLACK), plot_series_dash(l2, PLOT_DASHED);
    PlotSeries *l3 = plot_line(p, tt, band_hi, T + 1, NULL);
    plot_series_color(l3, PLOT_BLACK), plot_series_dash(l3, PLOT_DASHED);
    plot_xlabel(p, "t"), plot_ylabel(p, "x_t,1");

    plot_panel(p, 1);
    plot_title(p, "x_500 (component 1): histograms vs closed-form density");
    double *col = xmalloc((size_t)n * sizeof(double));
    double hist[NB], centres[NB], dens[NB];
    const double lo = -4.0, hi = 4.5, w = (hi - lo) / NB;
    for (int j = 0; j < NB; j++) {
        centres[j] = lo + (j + 0.5) * w;
        dens[j] = exp(gauss_logpdf_1d(centres[j], sqrt(s->alpha_bar[T_TEST]) * X0[0],
                                      sqrt(1 - s->alpha_bar[T_TEST])));
    }
    for (int m = 0; m < 2; m++) {
        const double *src = m == 0 ? x_iter : x_closed;
        for (long i = 0; i < n; i++) col[i] = src[i * D];
        stats_hist1d(col, (size_t)n, lo, hi, NB, hist, 1);
        PlotSeries *h = plot_line(p, centres, hist, NB, m == 0 ? "iterated chain" : "one shot");
        plot_series_dash(h, m == 0 ? PLOT_SOLID : PLOT_DOTTED);
    }
    PlotSeries *dl = plot_line(p, centres, dens, NB, "N(sqrt(abar) x0, 1 - abar)");
    plot_series_color(dl, PLOT_BLACK);
    plot_xlabel(p, "x_500,1"), plot_ylabel(p, "density");
    free(col);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "forward_trajectories.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.1: forward chain iterated vs closed form (moments, quadrature, Monte Carlo)", 36,
              NULL);
    DiffusionSchedule sched = diffusion_schedule_linear(T, 1e-4, 0.02);
    const long n = cli_scale(&cli, 2000, 20000, 100000);
    double *x_iter = xmalloc((size_t)n * D * sizeof(double));
    double *x_closed = xmalloc((size_t)n * D * sizeof(double));
    section_3_1_moments(&sched);
    section_3_1_chapman_kolmogorov(&sched);
    section_3_1_monte_carlo(&cli, &sched, x_iter, x_closed, n);
    section_3_1_gaussian_data(&cli, &sched, n);
    figure(&cli, &sched, x_iter, x_closed, n);
    free(x_iter), free(x_closed);
    diffusion_schedule_free(&sched);
    return check_end();
}
