/*: # L42 6.2 — DiffFlow: the discriminator's gradient as a drift, with the right sign

**Lecture 42, Part 2, section 6.2** (DiffFlow: score-based diffusion and GANs as one SDE). The
lecture writes the GAN as a drift $f = -\nabla_x\log D_\phi(x)$ and mixes a diffusion loss with a GAN
loss by a weight $\lambda$. The sign is wrong (erratum B20): a generated particle must move *up*
$\log D$, toward the data; and the real DiffFlow drift combines the data score and the generator's
score, $\nabla\log p_d - (1-\lambda)\nabla\log p_g$, with noise $\sqrt{2\lambda}$ — a family of SDEs whose
$\lambda = 0$ end is a deterministic GAN-like flow and whose $\lambda = 1$ end is Langevin dynamics.

Everything here is 1-D and exact: data $p_d = \mathcal N(0,1)$, generator $p_g = \mathcal N(2,1)$.
What you will see: the optimal discriminator's logit gradient equal to the score difference;
$\nabla\log D^\star$ at $x = 2$; one step along $+\nabla\log D^\star$ lowering $\mathrm{KL}(p_g\Vert p_d)$ (computed
by quadrature of the pushed-forward density) while the lecture's $-\nabla\log D$ raises it; and
$10^4$ particles following the DiffFlow SDE for $\lambda = 0, \frac12, 1$, all with the same
marginal mean $2\cdot0.99^k$ and unit variance.
Figure: `diffflow_particles.png` (particle mean and standard deviation against time for each $\lambda$).

Run: `make run L=42`, or `build/release/bin/lectures/42_unified/18_diffflow` (`--quick`: $2000$ particles).

| symbol | C name | shape |
|---|---|---|
| $p_d, p_g$ | `log_pd`, `log_pg` | scalars |
| $D^\star(x) = p_d/(p_d + p_g)$ | `d_star` | scalar |
| $\nabla_x\log D^\star$ | `grad_log_d` | scalar |
| $\lambda$ | `lambda` | scalar |
| $\eta$ (step) | `ETA` | scalar |
| particles | `x` | (n) |
| Gaussian fit of the particles $(\hat m, \hat s)$ | `m_fit`, `s_fit` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double MG = 2.0; /* p_g = N(2, 1); p_d = N(0, 1) */
static const double ETA = 0.01;

static double log_pd(double x) { return -0.5 * x * x - 0.5 * log(2 * M_PI); }
static double log_pg(double x) { return -0.5 * (x - MG) * (x - MG) - 0.5 * log(2 * M_PI); }

/*: ## 6.2 The optimal discriminator and its logit

For fixed $p_g$ the discriminator that maximises $\mathbb E_{p_d}\log D + \mathbb E_{p_g}\log(1-D)$ is

$$ D^\star(x) = \frac{p_d(x)}{p_d(x) + p_g(x)},\qquad
   \nabla_x\log\frac{D^\star}{1-D^\star} = \nabla_x\log p_d - \nabla_x\log p_g,\qquad
   \nabla_x\log D^\star = (1 - D^\star)\big(\nabla_x\log p_d - \nabla_x\log p_g\big) $$ {#eq:L42.6.2.d_star}

Here the score difference is $-x + (x - 2) = -2$ everywhere; at $x = 2$,
$1 - D^\star = 1/(1 + e^{-2})$ and $\nabla\log D^\star = -1.7615942$. The checks differentiate
$\log D^\star$ and the logit by central differences (computed in log space, $h = 10^{-5}$).
*/
static double log_d_star(double x) {
    double a = log_pd(x), b = log_pg(x), mx = fmax(a, b);
    //: [eq:L42.6.2.d_star], in log space
    return a - (mx + log(exp(a - mx) + exp(b - mx)));
}
static double logit_d_star(double x) { return log_pd(x) - log_pg(x); }

static double grad_log_d(double x) {
    double d = exp(log_d_star(x));
    //: [eq:L42.6.2.d_star]
    return (1 - d) * (-x + (x - MG));
}

static void section_discriminator(void) {
    const double h = 1e-5;
    double err_logit = 0, err_grad = 0;
    for (int i = -40; i <= 40; i++) {
        double x = 0.1 * i;
        double fd_logit = (logit_d_star(x + h) - logit_d_star(x - h)) / (2 * h);
        double fd_logd = (log_d_star(x + h) - log_d_star(x - h)) / (2 * h);
        err_logit = fmax(err_logit, fabs(fd_logit - (-2.0)));
        err_grad = fmax(err_grad, fabs(fd_logd - grad_log_d(x)));
    }
    check_close("L42.6.2.df_logit_identity", err_logit, 0.0, 1e-8, "L42.6.2.d_star",
                "max over x in [-4, 4] |FD grad log(D*/(1-D*)) - (grad log p_d - grad log p_g)|, the latter = -2");
    check_close("L42.6.2.df_gradlogD_fd", err_grad, 0.0, 1e-8, "L42.6.2.d_star",
                "max over x in [-4, 4] |FD grad log D* - (1 - D*)(s_d - s_g)|");
    double fd2 = (log_d_star(2 + h) - log_d_star(2 - h)) / (2 * h);
    check_close("L42.6.2.df_gradlogD", fd2, -1.7615942, 1e-7, "L42.6.2.d_star",
                "FD grad log D* at x = 2 (spec -1.7615942): pointing toward the data at 0");
}

/*: ## Which way should a generated particle move?

Move every generated point by $T(x) = x + \eta\,g(x)$ with $g = +\nabla\log D^\star$ (correct) or
$g = -\nabla\log D^\star$ (the lecture's drift), $\eta = 0.1$. The pushed density is
$p_g(x)/T'(x)$ at $T(x)$, so

$$ \mathrm{KL}(T_\#p_g\,\Vert\,p_d) = \int p_g(x)\Big[\log p_g(x) - \log T'(x) - \log p_d(T(x))\Big]dx $$ {#eq:L42.6.2.kl_push}

computed by composite Gauss–Legendre quadrature on $[-10, 14]$ ($T' = 1 + \eta g'$, $g'$ by central
differences). Before the step, $\mathrm{KL}(\mathcal N(2,1)\Vert\mathcal N(0,1)) = 2$.
*/
typedef struct {
    double sign, eta;
} PushCtx;

static double kl_push_integrand(double x, void *ctx) {
    const PushCtx *c = ctx;
    const double h = 1e-5;
    double dg = (grad_log_d(x + h) - grad_log_d(x - h)) / (2 * h);
    double tx = x + c->eta * c->sign * grad_log_d(x), dtx = 1 + c->eta * c->sign * dg;
    //: [eq:L42.6.2.kl_push]
    return exp(log_pg(x)) * (log_pg(x) - log(dtx) - log_pd(tx));
}

static void section_sign(void) {
    PushCtx none = {0.0, 0.1}, up = {1.0, 0.1}, down = {-1.0, 0.1};
    double kl0 = quad_gauss_legendre_composite(kl_push_integrand, &none, -10, 14, 40, 24);
    double kl_up = quad_gauss_legendre_composite(kl_push_integrand, &up, -10, 14, 40, 24);
    double kl_down = quad_gauss_legendre_composite(kl_push_integrand, &down, -10, 14, 40, 24);
    printf("KL(p_g || p_d): before %.6f, after +eta grad log D* %.6f, after the lecture's -eta grad log D %.6f\n",
           kl0, kl_up, kl_down);
    check_close("L42.6.2.df_kl_before", kl0, 2.0, 1e-10, "L42.6.2.kl_push",
                "quadrature KL(N(2,1) || N(0,1)) = (2 - 0)^2 / 2");
    check_le("L42.6.2.df_sign_correct", kl_up - kl0, 0.0, 0.0, "L42.6.2.kl_push",
             "one step along +grad log D* lowers KL(p_g || p_d)");
    check_ge("L42.6.2.df_sign_lecture", kl_down - kl0, 0.0, 0.0, "L42.6.2.kl_push",
             "one step along the lecture's -grad log D raises it");
    check_erratum("L42.6.2.df_drift_sign", kl_down, kl_up,
                  "B20: KL after one step (eta = 0.1) with the lecture's drift -grad log D vs with +grad log D*");
}

/*: ## The DiffFlow SDE on particles

$$ x \leftarrow x + \eta\big[\nabla\log p_d(x) - (1-\lambda)\nabla\log\hat p_g(x)\big] + \sqrt{2\lambda\eta}\,\xi $$ {#eq:L42.6.2.diffflow_sde}

with $\hat p_g$ the Gaussian fitted to the current particles ($\nabla\log\hat p_g = -(x - \hat m)/\hat s^2$). The
Fokker–Planck equation of the continuous SDE is $\partial_t p = -\nabla\cdot\big(p\,[\nabla\log p_d - \nabla\log p]\big)$ for
*every* $\lambda$: the $-(1-\lambda)\nabla\log p$ drift and the $\lambda$ diffusion share out the same term. So
all three $\lambda$ give one marginal path; with Gaussians it stays $\mathcal N(m_k, 1)$ and, step by
step, $m_{k+1} = (1-\eta)m_k$ in expectation — exactly for the particles' own mean when $\lambda = 0$,
since the fitted score averages to zero over the particles: $m_{100} =
2\cdot0.99^{100} = 0.7320635$ (continuous time: $2e^{-1}$). Means are checked at 4 standard errors
(std$/\sqrt n$), standard deviations within $0.03$ (spec tolerance: sampling plus $O(\eta)$).
*/
static void run_particles(const Cli *cli, double lambda, int steps, double *mean_path, double *sd_path, double *mean,
                          double *se, double *sd, long *n_out) {
    const long n = cli_scale(cli, 2000, 10000, 100000);
    double *x = xmalloc((size_t)n * sizeof *x);
    Rng *rng = xmalloc((size_t)n * sizeof *rng);
    for (long i = 0; i < n; i++) { /* one Philox stream per particle */
        rng_init(&rng[i], cli->seed, (uint64_t)i);
        x[i] = MG + rng_normal(&rng[i]);
    }
    for (int k = 0; k <= steps; k++) {
        double m_fit, var_fit;
        stats_mean_var(x, (size_t)n, &m_fit, &var_fit);
        if (mean_path) mean_path[k] = m_fit, sd_path[k] = sqrt(var_fit);
        if (k == steps) break;
        for (long i = 0; i < n; i++) {
            double drift = -x[i] + (1 - lambda) * (x[i] - m_fit) / var_fit;
            //: [eq:L42.6.2.diffflow_sde]
            x[i] += ETA * drift + (lambda > 0 ? sqrt(2 * lambda * ETA) * rng_normal(&rng[i]) : 0.0);
        }
    }
    *mean = stats_mean_se(x, (size_t)n, se);
    *sd = *se * sqrt((double)n);
    *n_out = n;
    free(x), free(rng);
}

static void section_particles(const Cli *cli, double mean_path[3][501], double sd_path[3][501]) {
    const double lambdas[3] = {0.0, 0.5, 1.0};
    for (int j = 0; j < 3; j++) {
        double mean, se, sd;
        long n;
        run_particles(cli, lambdas[j], 500, mean_path[j], sd_path[j], &mean, &se, &sd, &n);
        double m100 = mean_path[j][100], s100 = sd_path[j][100];
        char id[64];
        snprintf(id, sizeof id, "L42.6.2.df_marginal_mean_l%02d", (int)lround(10 * lambdas[j]));
        check_mc(id, m100, 2 * pow(0.99, 100), s100 / sqrt((double)n), 4.0, n, "L42.6.2.diffflow_sde",
                 "lambda = %.1f: particle mean after 100 steps = 2 * 0.99^100", lambdas[j]);
        if (j == 0)
            check_close("L42.6.2.df_mean_recursion_l00", m100 - pow(1 - ETA, 100) * mean_path[0][0], 0.0, 1e-12,
                        "L42.6.2.diffflow_sde",
                        "lambda = 0: particle mean after 100 steps = 0.99^100 x initial particle mean (rounding only)");
        snprintf(id, sizeof id, "L42.6.2.df_marginal_sd_l%02d", (int)lround(10 * lambdas[j]));
        check_close(id, s100, 1.0, 0.03, "L42.6.2.diffflow_sde", "lambda = %.1f: particle sd after 100 steps = 1",
                    lambdas[j]);
        snprintf(id, sizeof id, "L42.6.2.df_particles_mean_l%02d", (int)lround(10 * lambdas[j]));
        check_mc(id, mean, 2 * pow(0.99, 500), se, 4.0, n, "L42.6.2.diffflow_sde",
                 "lambda = %.1f: particle mean after 500 steps (T = 5) = 2 * 0.99^500, ~ the data mean 0",
                 lambdas[j]);
        snprintf(id, sizeof id, "L42.6.2.df_particles_sd_l%02d", (int)lround(10 * lambdas[j]));
        check_close(id, sd, 1.0, 0.05, "L42.6.2.diffflow_sde", "lambda = %.1f: particle sd at T = 5 = 1",
                    lambdas[j]);
    }
    printf("lecture's CelebA 64x64 FIDs (not reproducible here, printed as claims): "
           "diffusion 15.2, GAN 12.8, DiffFlow (lambda = 0.5) 9.3\n");
}

/*: ## Figure */
static void section_figure(const Cli *cli, double mean_path[3][501], double sd_path[3][501]) {
    double t[501], exact[501];
    for (int k = 0; k <= 500; k++) t[k] = ETA * k, exact[k] = 2 * pow(1 - ETA, k);
    Plot *p = plot_new_grid(1, 2, 1300, 500, "6.2: DiffFlow particles from N(2,1) toward N(0,1), three lambdas");
    const char *names[3] = {"lambda = 0 (deterministic)", "lambda = 0.5", "lambda = 1 (Langevin)"};
    plot_panel(p, 0);
    plot_title(p, "particle mean");
    for (int j = 0; j < 3; j++) plot_line(p, t, mean_path[j], 501, names[j]);
    plot_series_dash(plot_line(p, t, exact, 501, "2 * 0.99^k"), PLOT_DASHED);
    plot_xlabel(p, "time t = k eta");
    plot_panel(p, 1);
    plot_title(p, "particle standard deviation");
    for (int j = 0; j < 3; j++) plot_line(p, t, sd_path[j], 501, names[j]);
    plot_ylim(p, 0.9, 1.1);
    plot_xlabel(p, "time t = k eta");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "diffflow_particles.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.2: DiffFlow - optimal discriminator, drift sign, particle SDE for three lambdas", 4218, NULL);
    static double mean_path[3][501], sd_path[3][501];
    section_discriminator();
    section_sign();
    section_particles(&cli, mean_path, sd_path);
    section_figure(&cli, mean_path, sd_path);
    return check_end();
}
