/*: # L36 3.3 — The reverse step by Bayes' rule: $q(x_{t-1}\mid x_t, x_0)$

**Lecture 36, §3.3** (the forward posterior, completed square, $\tilde\mu_t$ and $\tilde\beta_t$).

What you will see: the posterior obtained numerically from Bayes' rule — quadrature of
likelihood $\times$ prior, normalised — against the boxed closed form at the spec's three test
points (normaliser, mean, variance); the precision identity of the completed square at every
$t$; the $\epsilon$-form of the mean equal to the $x_0$-form; a Monte-Carlo route (regress
$x_{t-1}$ on $x_t$ over forward pairs, slope, intercept and residual variance within 4 standard
errors); the degenerate step $t = 1$; and the lecture's unboxed intermediate formula for
$\tilde\mu_t$, which is wrong (ERRATUM, spec E13).
Figure `posterior_densities.png`: the Bayes posterior on a grid and the closed-form Gaussian at
the three test points, with the wrong mean marked.

Run: `build/release/bin/lectures/36_ddpm/04_reverse_posterior [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t$ | `s->beta`, `s->alpha`, `s->alpha_bar` | (T+1) |
| $x_0, x_t, x_{t-1}$ | `x0`, `xt`, `y` | scalars (1-D; the posterior is isotropic) |
| $\tilde\mu_t$, its coefficients $c_0, c_t$ | `mu_tilde`, `coef_x0`, `coef_xt` | scalars |
| $\tilde\beta_t$ | `beta_tilde` | scalar |
| $Z = q(x_t\mid x_0)$ | `post.z` | scalar |
| $\epsilon$ (the true noise of $x_t$) | `eps` | scalar |
*/
#include <float.h>
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

enum { T = 1000, NPOINT = 3 };
/* The spec's test points (t, x0, x_t) and its reference values (spec 2.4, table of 3.3). */
static const int PT_T[NPOINT] = {500, 2, 1000};
static const double PT_X0[NPOINT] = {1.0, 1.0, 2.0}, PT_XT[NPOINT] = {0.3, 0.99, -0.5};
static const double REF_MU[NPOINT] = {0.3013020722, 0.9954529135, -0.4947176362};
static const double REF_BT[NPOINT] = {0.0100313554, 5.4531877e-5, 0.0199999835};
static const double REF_Z[NPOINT] = {0.4155198850, 21.537964564, 0.3498127761};

/*: ## 3.3 Bayes' rule, conditioned on $x_0$

$q(x_{t-1}\mid x_t)$ needs the data distribution; conditioning on $x_0$ and using the Markov
property $q(x_t\mid x_{t-1}, x_0) = q(x_t\mid x_{t-1})$ gives a ratio of three known Gaussians:

$$ q(x_{t-1}\mid x_t, x_0) = \frac{q(x_t\mid x_{t-1})\,q(x_{t-1}\mid x_0)}{q(x_t\mid x_0)},\quad
   q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}x_{t-1}, \beta_t),\quad
   q(x_{t-1}\mid x_0) = \mathcal N(\sqrt{\bar\alpha_{t-1}}x_0, 1-\bar\alpha_{t-1}) . $$ {#eq:L36.3.3.bayes}

The numerator, as a function of $y = x_{t-1}$, is integrated by composite Gauss–Legendre
quadrature: its integral is the normaliser $q(x_t\mid x_0)$, and its first two moments are the
posterior mean and variance — no completing of squares involved.
*/
typedef struct {
    double xt, sqrt_alpha, sd_lik, prior_mean, sd_prior;
    int power; /* integrand times y^power (0, 1) or (y - centre)^2 (2) */
    double centre;
} BayesIntegrand;

static double bayes_numerator(double y, const BayesIntegrand *b) {
    //: numerator of [eq:L36.3.3.bayes]
    return exp(gauss_logpdf_1d(b->xt, b->sqrt_alpha * y, b->sd_lik) +
               gauss_logpdf_1d(y, b->prior_mean, b->sd_prior));
}

static double bayes_integrand(double y, void *ctx) {
    const BayesIntegrand *b = ctx;
    const double f = bayes_numerator(y, b);
    return b->power == 0 ? f : b->power == 1 ? y * f : (y - b->centre) * (y - b->centre) * f;
}

typedef struct {
    double z, mean, var, lo, hi;
} Posterior;

static BayesIntegrand bayes_setup(const DiffusionSchedule *s, int t, double x0, double xt) {
    BayesIntegrand b = {xt, sqrt(s->alpha[t]), sqrt(s->beta[t]), sqrt(s->alpha_bar[t - 1]) * x0,
                        sqrt(1.0 - s->alpha_bar[t - 1]), 0, 0.0};
    return b;
}

static Posterior posterior_by_quadrature(const DiffusionSchedule *s, int t, double x0, double xt) {
    BayesIntegrand b = bayes_setup(s, t, x0, xt);
    /* window: +-14 sd of the narrower factor (likelihood in y: mean xt/sqrt(alpha), sd sd_lik/sqrt(alpha)) */
    const double lik_mean = xt / b.sqrt_alpha, lik_sd = b.sd_lik / b.sqrt_alpha;
    const double mid = b.sd_prior < lik_sd ? b.prior_mean : lik_mean;
    const double half = 14.0 * fmin(b.sd_prior, lik_sd);
    Posterior p = {0, 0, 0, mid - half, mid + half};
    p.z = quad_gauss_legendre_composite(bayes_integrand, &b, p.lo, p.hi, 20, 400);
    b.power = 1;
    p.mean = quad_gauss_legendre_composite(bayes_integrand, &b, p.lo, p.hi, 20, 400) / p.z;
    b.power = 2, b.centre = p.mean;
    p.var = quad_gauss_legendre_composite(bayes_integrand, &b, p.lo, p.hi, 20, 400) / p.z;
    return p;
}

/*: ## 3.3 Completing the square: the boxed result

The exponent of the numerator is quadratic in $x_{t-1}$; reading off the coefficient of
$x_{t-1}^2$ gives the precision, and that of $x_{t-1}$ the mean over the variance:

$$ \frac{1}{\tilde\beta_t} = \frac{\alpha_t}{1-\alpha_t} + \frac{1}{1-\bar\alpha_{t-1}},\qquad
   \frac{\tilde\mu_t}{\tilde\beta_t} = \frac{\sqrt{\alpha_t}}{1-\alpha_t}\,x_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1-\bar\alpha_{t-1}}\,x_0, $$ {#eq:L36.3.3.precision}

$$ \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t,\qquad
   \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0 + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t . $$ {#eq:L36.3.3.posterior}

(The lecture says the terms "not depending on $x_t$" are dropped as constants; it means
$x_{t-1}$, the variable of the density — spec E12.) The closed form comes from
`common/diffusion_schedule.h`; the quadrature above is the independent route.
*/
static void section_3_3_closed_vs_bayes(const DiffusionSchedule *s, Posterior *post) {
    for (int k = 0; k < NPOINT; k++) {
        const int t = PT_T[k];
        double coef_x0, coef_xt, beta_tilde;
        //: [eq:L36.3.3.posterior]
        diffusion_posterior_coefs(s, t, &coef_x0, &coef_xt, &beta_tilde);
        const double mu_tilde = coef_x0 * PT_X0[k] + coef_xt * PT_XT[k];
        post[k] = posterior_by_quadrature(s, t, PT_X0[k], PT_XT[k]);
        printf("t = %4d, x0 = %g, x_t = %g: coef_x0 = %.10f coef_xt = %.10f mu~ = %.10f beta~ = %.10g "
               "Z = %.10f\n", t, PT_X0[k], PT_XT[k], coef_x0, coef_xt, mu_tilde, beta_tilde, post[k].z);
        char id[64];
        snprintf(id, sizeof id, "L36.3.3.quad_mean_t%d", t);
        check_rel(id, post[k].mean, mu_tilde, 1e-9, "L36.3.3.posterior",
                  "posterior mean by quadrature of Bayes' rule = closed-form mu~ (t=%d, x0=%g, x_t=%g)",
                  t, PT_X0[k], PT_XT[k]);
        snprintf(id, sizeof id, "L36.3.3.quad_var_t%d", t);
        check_rel(id, post[k].var, beta_tilde, 1e-9, "L36.3.3.posterior",
                  "posterior variance by quadrature = closed-form beta~ (t=%d)", t);
        snprintf(id, sizeof id, "L36.3.3.normaliser_t%d", t);
        check_rel(id, post[k].z, REF_Z[k], 1e-9, "L36.3.3.bayes",
                  "normaliser of Bayes' rule by quadrature = q(x_t | x0) (spec value)");
        snprintf(id, sizeof id, "L36.3.3.ref_mu_t%d", t);
        check_rel(id, mu_tilde, REF_MU[k], 1e-9, "L36.3.3.posterior", "closed-form mu~ vs the spec's table");
        snprintf(id, sizeof id, "L36.3.3.ref_btilde_t%d", t);
        check_rel(id, beta_tilde, REF_BT[k], 1e-7, "L36.3.3.posterior", "closed-form beta~ vs the spec's table");
    }
    /* the precision identity at every t >= 2, and the two forms of beta~ */
    double worst = 0.0, forms = 0.0;
    for (int t = 2; t <= T; t++) {
        const double bt = diffusion_beta_tilde(s, t);
        //: [eq:L36.3.3.precision]
        const double precision = s->alpha[t] / (1.0 - s->alpha[t]) + 1.0 / (1.0 - s->alpha_bar[t - 1]);
        worst = fmax(worst, fabs(bt * precision - 1.0));
        const double other = (1.0 - s->alpha[t]) * (1.0 - s->alpha_bar[t - 1]) / (1.0 - s->alpha_bar[t]);
        forms = fmax(forms, fabs(other / bt - 1.0));
    }
    /* 1 - abar_1 = 1e-4 is a difference of numbers near 1: its relative rounding error is up to
       DBL_EPSILON / (1 - abar_1) ~ 2e-12, which bounds the identity's accuracy near t = 2 */
    check_close("L36.3.3.precision_identity", worst, 0.0, 4.0 * DBL_EPSILON / (1.0 - s->alpha_bar[1]),
                "L36.3.3.precision",
                "max_t |beta~_t (alpha_t/(1-alpha_t) + 1/(1-abar_{t-1})) - 1|, t = 2..1000 "
                "(tolerance 4 eps/(1 - abar_1), the rounding of 1 - abar_1)");
    printf("beta~ as (1-alpha)(1-abar_{t-1})/(1-abar) vs (1-abar_{t-1})/(1-abar) beta (algebra, shown): "
           "max relative gap %.3g\n", forms);
}

/*: ## 3.3 The $\epsilon$-form of the mean, and the lecture's unboxed line

With $x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$ substituted, the boxed
mean becomes

$$ \tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon\Big). $$ {#eq:L36.3.3.mu_eps}

Between the two, the lecture writes an intermediate line that multiplies this expression by
$(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)$ and adds $\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0$
again. That line is not an identity (spec E13): at $t = 500$, $x_0 = 1$, $x_t = 0.3$ it gives
0.3041115 instead of 0.3013021. The boxed result is right and follows directly from
[eq:L36.3.3.precision]; no substitution of $x_t$ is needed for it.
*/
static double mu_lecture_intermediate(const DiffusionSchedule *s, int t, double x0, double xt,
                                      double eps) {
    const double ab = s->alpha_bar[t], ab_prev = s->alpha_bar[t - 1], beta = s->beta[t];
    const double eps_form = (xt - beta / sqrt(1.0 - ab) * eps) / sqrt(s->alpha[t]);
    return eps_form * (1.0 - ab_prev) / (1.0 - ab) + sqrt(ab_prev) * beta / (1.0 - ab) * x0;
}

static void section_3_3_eps_form(const DiffusionSchedule *s, const Posterior *post) {
    double worst = 0.0;
    for (int k = 0; k < NPOINT; k++) {
        const int t = PT_T[k];
        double eps, mu_x0, mu_eps;
        diffusion_eps_from_x0(s->alpha_bar[t], &PT_XT[k], &PT_X0[k], &eps, 1);
        diffusion_posterior_mean(s, t, &PT_X0[k], &PT_XT[k], &mu_x0, 1);
        //: [eq:L36.3.3.mu_eps]
        diffusion_mean_from_eps(s, t, &PT_XT[k], &eps, &mu_eps, 1);
        worst = fmax(worst, fabs(mu_x0 - mu_eps));
    }
    check_close("L36.3.3.mu_eps_equals_mu_x0", worst, 0.0, 1e-13, "L36.3.3.mu_eps",
                "eps-form of mu~ with the true noise = x0-form, max over the 3 test points");
    double eps;
    diffusion_eps_from_x0(s->alpha_bar[500], &PT_XT[0], &PT_X0[0], &eps, 1);
    const double wrong = mu_lecture_intermediate(s, 500, PT_X0[0], PT_XT[0], eps);
    check_close("L36.3.3.lecture_intermediate_value", wrong, 0.3041115, 1e-7, NULL,
                "the lecture's intermediate line evaluated at (500, 1, 0.3) reproduces the spec's 0.3041115");
    check_ge("L36.3.3.lecture_intermediate_is_wrong", fabs(wrong - post[0].mean), 1e-3, 0.0,
             "L36.3.3.bayes", "|intermediate line - Bayes posterior mean by quadrature| at (500, 1, 0.3)");
    check_erratum("L36.3.3.intermediate_mu", wrong, post[0].mean,
                  "3.3 intermediate (unboxed) formula for mu~ at t=500, x0=1, x_t=0.3 (E13); the boxed "
                  "formula and Bayes' rule give the correct value");
}

/*: ## 3.3 Monte Carlo: the posterior is a regression

Draw forward pairs from $x_0 = 1$ at $t = 500$: $x_{t-1} = \sqrt{\bar\alpha_{t-1}}x_0 +
\sqrt{1-\bar\alpha_{t-1}}\,z_1$, $x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}\,z_2$. Jointly
Gaussian, so $\mathbb E[x_{t-1}\mid x_t]$ is linear: the least-squares line of $x_{t-1}$ on
$x_t$ estimates slope $c_t$, intercept $c_0 x_0$, and residual variance $\tilde\beta_t$. The OLS
standard errors are $\sqrt{\hat s^2/(n\,\widehat{\mathrm{var}}(x_t))}$ for the slope,
$\sqrt{\hat s^2(1/n + \bar x_t^2/(n\,\widehat{\mathrm{var}}(x_t)))}$ for the intercept and
$\hat s^2\sqrt{2/(n-2)}$ for the residual variance.
*/
static void section_3_3_regression(const Cli *cli, const DiffusionSchedule *s) {
    const int t = 500;
    const double x0 = 1.0;
    const long n = cli_scale(cli, 20000, 200000, 1000000);
    double *y = xmalloc((size_t)n * sizeof(double)), *x = xmalloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        y[i] = sqrt(s->alpha_bar[t - 1]) * x0 + sqrt(1.0 - s->alpha_bar[t - 1]) * rng_normal(&r);
        x[i] = sqrt(s->alpha[t]) * y[i] + sqrt(s->beta[t]) * rng_normal(&r);
    }
    double mx, vx, my;
    stats_mean_var(x, (size_t)n, &mx, &vx);
    my = stats_mean(y, (size_t)n);
    double sxy = 0.0;
    for (long i = 0; i < n; i++) sxy += (x[i] - mx) * (y[i] - my);
    const double slope = sxy / ((double)(n - 1) * vx), intercept = my - slope * mx;
    double rss = 0.0;
    for (long i = 0; i < n; i++) {
        const double e = y[i] - intercept - slope * x[i];
        rss += e * e;
    }
    const double s2 = rss / (double)(n - 2);
    double coef_x0, coef_xt, beta_tilde;
    diffusion_posterior_coefs(s, t, &coef_x0, &coef_xt, &beta_tilde);
    check_mc("L36.3.3.mc_slope", slope, coef_xt, sqrt(s2 / ((double)n * vx)), 4.0, n,
             "L36.3.3.posterior", "regression slope of x_{t-1} on x_t = coef_xt (0.99410667), t = 500");
    check_mc("L36.3.3.mc_intercept", intercept, coef_x0 * x0,
             sqrt(s2 * (1.0 / (double)n + mx * mx / ((double)n * vx))), 4.0, n, "L36.3.3.posterior",
             "regression intercept = coef_x0 x0, t = 500");
    check_mc("L36.3.3.mc_residual_var", s2, beta_tilde, s2 * sqrt(2.0 / (double)(n - 2)), 4.0, n,
             "L36.3.3.posterior", "residual variance = beta~_500 (0.0100314)");
    free(x), free(y);
}

/*: ## 3.3 The first step, $t = 1$

With $\bar\alpha_0 = 1$: $\tilde\beta_1 = 0$ and $\tilde\mu_1 = x_0$. The last reverse step is
deterministic given $x_0$, which is why samplers add no noise at $t = 1$.
*/
static void section_3_3_first_step(const DiffusionSchedule *s) {
    double coef_x0, coef_xt, beta_tilde;
    diffusion_posterior_coefs(s, 1, &coef_x0, &coef_xt, &beta_tilde);
    check_close("L36.3.3.t1_degenerate", fmax(fabs(beta_tilde), fmax(fabs(coef_x0 - 1.0), fabs(coef_xt))),
                0.0, 1e-12, "L36.3.3.posterior",
                "t = 1: beta~_1 = 0, mu~_1 = x0 (max of |beta~|, |c0 - 1|, |c_t|)");
}

static void figure(const Cli *cli, const DiffusionSchedule *s, const Posterior *post) {
    enum { NG = 400 };
    Plot *p = plot_new_grid(1, NPOINT, 1500, 450, "3.3: q(x_{t-1} | x_t, x_0): Bayes' rule on a grid vs closed form");
    for (int k = 0; k < NPOINT; k++) {
        const int t = PT_T[k];
        double mu, bt, xs[NG], bayes[NG], closed[NG];
        diffusion_posterior_mean(s, t, &PT_X0[k], &PT_XT[k], &mu, 1);
        bt = diffusion_beta_tilde(s, t);
        BayesIntegrand b = bayes_setup(s, t, PT_X0[k], PT_XT[k]);
        for (int i = 0; i < NG; i++) {
            xs[i] = mu + (-5.0 + 10.0 * i / (NG - 1)) * sqrt(bt);
            bayes[i] = bayes_numerator(xs[i], &b) / post[k].z;
            closed[i] = exp(gauss_logpdf_1d(xs[i], mu, sqrt(bt)));
        }
        plot_panel(p, k);
        char title[96];
        snprintf(title, sizeof title, "t = %d, x0 = %g, x_t = %g", t, PT_X0[k], PT_XT[k]);
        plot_title(p, title);
        PlotSeries *l1 = plot_line(p, xs, bayes, NG, "likelihood x prior / Z");
        plot_series_width(l1, 4.0);
        PlotSeries *l2 = plot_line(p, xs, closed, NG, "N(mu~, beta~)");
        plot_series_color(l2, PLOT_BLACK), plot_series_dash(l2, PLOT_DASHED);
        if (k == 0) {
            double eps;
            diffusion_eps_from_x0(s->alpha_bar[t], &PT_XT[k], &PT_X0[k], &eps, 1);
            PlotSeries *v = plot_vline(p, mu_lecture_intermediate(s, t, PT_X0[k], PT_XT[k], eps),
                                       "lecture's intermediate mu (E13)");
            plot_series_color(v, PLOT_RED);
        }
        plot_xlabel(p, "x_{t-1}");
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "posterior_densities.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.3: the posterior q(x_{t-1}|x_t,x_0) by Bayes quadrature, closed form, regression", 36,
              NULL);
    DiffusionSchedule sched = diffusion_schedule_linear(T, 1e-4, 0.02);
    Posterior post[NPOINT];
    section_3_3_closed_vs_bayes(&sched, post);
    section_3_3_eps_form(&sched, post);
    section_3_3_regression(&cli, &sched);
    section_3_3_first_step(&sched);
    figure(&cli, &sched, post);
    diffusion_schedule_free(&sched);
    return check_end();
}
