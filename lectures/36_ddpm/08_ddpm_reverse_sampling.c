/*: # L36 1.1.3 — The DDPM reverse chain, run with an exact denoiser

**Lecture 36, section 1.1.3** (the reverse process $p_\theta(x_{t-1}\mid x_t)$ and its sampling
step), with the variance question of spec E5 and the "no noise at $t = 1$" rule.

A reverse step needs a noise predictor $\hat\epsilon(x_t, t)$. Before any network is trained we
can use the *exact* one: for data whose law we know (a point, a Gaussian, a mixture) the
Bayes-optimal prediction $\mathbb E[\epsilon\mid x_t]$ has a closed form
(`common/diffusion_sampler.h`). With it, the only error left in a sample is the sampler's own,
which we can then measure exactly.

What you will see: the lecture's step at $t = 500$ with its coefficients; one step's output law
by Monte Carlo; a point mass recovered to rounding from any start; on Gaussian data
$\mathcal N(1, 0.5^2)$ the exact law of the whole 1000-step chain (a Gaussian, by a linear
recursion) for $\sigma_t^2 = \beta_t$ and $\sigma_t^2 = \tilde\beta_t$, matched by $3\cdot10^4$ sampled
chains; a bimodal mixture sampled with both modes kept in balance. One ERRATUM (E5: the
lecture's code uses $\beta_t$ where its own table says $\tilde\beta_t$).
Figure: `ddpm_paths.png`, reverse paths $x_t$ against $t$ on the mixture with the final histogram.

Run: `build/release/bin/lectures/36_ddpm/08_ddpm_reverse_sampling [--quick | --full] [--threads N]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \bar\alpha_t$ | `sch.beta`, `sch.alpha_bar` | $T+1$ |
| $x_t$ | `x` | (n, d) |
| $\hat\epsilon(x_t, t)$ | `DiffOracle` / `eps_fixed` | (n, d) |
| $c_x = 1/\sqrt{\alpha_t}$, $c_\epsilon$, $\sigma_t$ | `DiffStep` fields | scalars |
| $\tilde\beta_t$ | `diffusion_beta_tilde` | scalar |
| data law | `data` (`Gmm`) | — |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };

typedef struct {
    const double *eps; /* one fixed prediction (dim values) for every chain */
} FixedEps;

static void eps_fixed(const double *x, size_t n, size_t dim, int t, double abar_t, double *out, void *ctx) {
    (void)x, (void)t, (void)abar_t;
    const FixedEps *f = ctx;
    for (size_t c = 0; c < n; c++)
        for (size_t j = 0; j < dim; j++) out[c * dim + j] = f->eps[j];
}

/* Mean and its SE, and the mean squared deviation from `centre` with its SE, of column j. */
static void column_moments(const double *x, size_t n, size_t dim, size_t j, double centre, double *mean,
                           double *se, double *msd, double *msd_se) {
    double *col = xmalloc(sizeof(double) * n), *sq = xmalloc(sizeof(double) * n);
    for (size_t c = 0; c < n; c++) col[c] = x[c * dim + j], sq[c] = (col[c] - centre) * (col[c] - centre);
    *mean = stats_mean_se(col, n, se);
    *msd = stats_mean_se(sq, n, msd_se);
    free(col), free(sq);
}

/*: ## 1.1.3 One reverse step

The reverse model is $p_\theta(x_{t-1}\mid x_t) = \mathcal N(\mu_\theta(x_t, t), \sigma_t^2 I)$ with
the mean written through the predicted noise,

$$ \mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\hat\epsilon(x_t, t)\Big),
   \qquad x_{t-1} = \mu_\theta + \sigma_t z . $$ {#eq:L36.1.1.3.reverse_step}

At the lecture's test point ($t = 500$, linear schedule, $x_t = (0.5, 0.3)$) the coefficients are
$1/\sqrt{\alpha_{500}} = 1.0050581400$, $\beta/(\sqrt{\alpha}\sqrt{1-\bar\alpha}) = 0.0105123429$ and
$\sigma = \sqrt{\beta_{500}} = 0.1002000002$ (spec §2.2). The sampler library builds them as a
`DiffStep`; the schedule library's `diffusion_mean_from_eps` computes the same mean its own way.
With a fixed $\hat\epsilon$ the step's output is exactly $\mathcal N(\mu_\theta, \sigma_t^2 I)$, which
$10^5$ draws (one Philox stream each) confirm.
*/
static void reverse_step(const Cli *cli, const DiffusionSchedule *sch) {
    //: one step $t = 500$, eq. [eq:L36.1.1.3.reverse_step]
    const DiffStep st = diff_ddpm_step(sch->beta, sch->alpha_bar, 500, DIFF_VAR_BETA);
    check_rel("L36.1.1.3.beta_500", sch->beta[500], 0.01004004004, 1e-9, NULL, "beta_500 of the linear schedule");
    check_rel("L36.1.1.3.coef_x", st.c_x, 1.0050581400, 1e-9, "L36.1.1.3.reverse_step", "1/sqrt(alpha_500)");
    check_rel("L36.1.1.3.coef_eps", -st.c_eps, 0.0105123429, 1e-8, "L36.1.1.3.reverse_step",
              "beta_500 / (sqrt(alpha_500) sqrt(1 - abar_500))");
    check_rel("L36.1.1.3.sigma_500", st.sigma, 0.1002000002, 1e-9, NULL, "sigma_500 = sqrt(beta_500)");
    const double xt[2] = {0.5, 0.3}, eps[2] = {0.8, -1.1};
    double mu_sched[2], mu_step[2];
    diffusion_mean_from_eps(sch, 500, xt, eps, mu_sched, 2);
    for (int a = 0; a < 2; a++) mu_step[a] = diff_step_mean(&st, xt[a], eps[a]);
    check_le("L36.1.1.3.mean_two_routes", stats_max_abs_diff(mu_step, mu_sched, 2), 0, 1e-15, "L36.1.1.3.reverse_step",
             "mu_theta from the sampler's coefficients = diffusion_mean_from_eps, x_t = (0.5, 0.3), eps = (0.8, -1.1)");
    printf("lecture's step at t = 500: x_{t-1} = (%.8f, %.8f) - 0.0105123429 eps + 0.1002 z\n", st.c_x * xt[0],
           st.c_x * xt[1]);

    const size_t n = (size_t)cli_scale(cli, 20000, 100000, 1000000);
    double *x = xmalloc(sizeof(double) * n * 2);
    for (size_t c = 0; c < n; c++) x[2 * c] = xt[0], x[2 * c + 1] = xt[1];
    FixedEps fe = {eps};
    DiffSampler s;
    diff_sampler_init(&s, n, 2, sch->alpha_bar, eps_fixed, &fe, cli->seed);
    s.draw_prior = 0;
    s.n_threads = cli->threads;
    diff_run(&s, &st, 1, x);
    double m, se, msd, msd_se;
    column_moments(x, n, 2, 0, mu_sched[0], &m, &se, &msd, &msd_se);
    check_mc("L36.1.1.3.step_mean", m, mu_sched[0], se, 4, (long)n, "L36.1.1.3.reverse_step",
             "sample mean of x_{t-1}[0] after one step = mu_theta[0]");
    check_mc("L36.1.1.3.step_var", msd, st.sigma * st.sigma, msd_se, 4, (long)n, "L36.1.1.3.reverse_step",
             "mean squared deviation of x_{t-1}[0] from mu_theta = sigma_500^2");
    free(x);
}

/*: ## Which variance? (spec E5)

The lecture's summary table writes the reverse variance as $\tilde\beta_t$ (the true posterior's,
§3.3), while its code uses $\sigma_t^2 = \beta_t$ ("simplified"). Both are the two extremes Ho et
al. found to work equally well; they differ most at small $t$, where
$\tilde\beta_t/\beta_t = (1-\bar\alpha_{t-1})/(1-\bar\alpha_t) \to 0$, and not at all at large $t$.

$$ \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t \le \beta_t $$ {#eq:L36.1.1.3.beta_tilde}

The lecture also promises a variance "fixed or learnable, see §3.3", and §3.3 never comes back to
the learnable case (spec E6); every program here uses one of the two fixed choices.

The programs below run both. At $t = 1$ the posterior is a point, $\tilde\beta_1 = 0$ (as
$\bar\alpha_0 = 1$): that is why the last step adds no noise.
*/
static void variance_choice(const DiffusionSchedule *sch) {
    for (int t = 2; t <= T; t *= 10)
        //: $\tilde\beta_t/\beta_t$, eq. [eq:L36.1.1.3.beta_tilde]
        printf("t = %4d: beta = %.6e, beta_tilde = %.6e, ratio %.6f\n", t, sch->beta[t], diffusion_beta_tilde(sch, t),
               diffusion_beta_tilde(sch, t) / sch->beta[t]);
    check_close("L36.1.1.3.beta_tilde_1", diffusion_beta_tilde(sch, 1), 0.0, 0.0, "L36.1.1.3.beta_tilde",
                "beta_tilde_1 = 0: the posterior at t = 1 has no spread, so the last step adds no noise");
    check_erratum("L36.1.1.3.variance_choice", sch->beta[2], diffusion_beta_tilde(sch, 2),
                  "E5: the code's sigma_2^2 = beta_2 vs the table's beta_tilde_2 (row (3)); both valid choices, "
                  "the lecture mixes them");
}

/*: ## Exact denoiser, point-mass data

If the data is one point $x_0^\star$, then $\hat\epsilon^\star(x_t) = (x_t - \sqrt{\bar\alpha_t}x_0^\star)/\sqrt{1-\bar\alpha_t}$
is the true noise, $\mu_\theta = \tilde\mu_t(x_t, x_0^\star)$, and the step at $t = 1$ returns
$\tilde\mu_1 = x_0^\star$ exactly whatever $x_1$ is. The whole chain must therefore end on the
point from any $x_T$, whichever variance is used: a test of every coefficient at once.
*/
static void oracle_pointmass(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm data = gmm_new(1, 2);
    const double x0[2] = {1.0, 2.0};
    gmm_set(&data, 0, 1.0, x0, NULL, 0.0);
    DiffOracle oracle = {&data};
    static DiffStep plan[T];
    const size_t n = 1000;
    double *x = xmalloc(sizeof(double) * n * 2);
    for (int v = 0; v < 2; v++) {
        diff_plan_ddpm(sch->beta, sch->alpha_bar, T, (DiffVariance)v, plan);
        DiffSampler s;
        diff_sampler_init(&s, n, 2, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 1);
        s.n_threads = cli->threads;
        diff_run(&s, plan, T, x);
        double worst = 0;
        for (size_t i = 0; i < n * 2; i++) worst = fmax(worst, fabs(x[i] - x0[i % 2]));
        check_le(v == 0 ? "L36.1.1.3.pointmass_beta" : "L36.1.1.3.pointmass_beta_tilde", worst, 0, 1e-9,
                 "L36.1.1.3.reverse_step", "1000 chains from x_T ~ N(0, I) end on x0 = (1, 2): max |x_0 - x0|, sigma^2 = %s",
                 v == 0 ? "beta" : "beta_tilde");
    }
    free(x);
    gmm_free(&data);
}

/*: ## Exact denoiser, Gaussian data: the law of the whole chain

For data $\mathcal N(m, s^2)$ the exact prediction is affine,
$\hat\epsilon^\star(x_t) = \sqrt{1-\bar\alpha_t}\,(x_t - \sqrt{\bar\alpha_t}m)/v_t$ with
$v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t$, so each step is $x_{t-1} = a_t x_t + b_t + \sigma_t z$ and
the chain's law stays Gaussian:

$$ \mu_{t-1} = a_t\mu_t + b_t,\qquad V_{t-1} = a_t^2 V_t + \sigma_t^2,\qquad (\mu_T, V_T) = (0, 1). $$ {#eq:L36.1.1.3.chain_law}

This is the exact law of the *discrete* chain: it is not the data law, because $x_T$ is
$\mathcal N(0, 1)$ rather than $q(x_T)$ and each Gaussian step only approximates the true
reverse kernel. For $m = 1$, $s = 0.5$ the spec computed final std 0.50075151 ($\beta$) and
0.49611008 ($\tilde\beta$), mean 0.99998991 for both: the data's 0.5 is missed by 0.15% and
0.8%. $3\cdot10^4$ sampled chains through the batch runner (a different code path: callback,
random streams) must agree with the recursion within their standard errors.
*/
static void oracle_gauss(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm data = gmm_new(1, 1);
    const double m = 1.0, s2 = 0.25;
    gmm_set(&data, 0, 1.0, &m, NULL, s2);
    DiffOracle oracle = {&data};
    static DiffStep plan[T];
    const double ref_std[2] = {0.50075151, 0.49611008};
    const size_t n = (size_t)cli_scale(cli, 4000, 30000, 1000000);
    double *x = xmalloc(sizeof(double) * n);
    for (int v = 0; v < 2; v++) {
        const char *name = v == 0 ? "beta" : "btilde";
        diff_plan_ddpm(sch->beta, sch->alpha_bar, T, (DiffVariance)v, plan);
        double mean, var;
        //: eq. [eq:L36.1.1.3.chain_law]
        diff_gauss_chain_law(plan, T, sch->alpha_bar, m, s2, 0.0, 1.0, &mean, &var);
        char id[64];
        snprintf(id, sizeof id, "L36.1.1.3.law_%s_mean", name);
        check_close(id, mean, 0.99998991, 1e-8, "L36.1.1.3.chain_law", "exact final mean, sigma^2 = %s (spec D12)", name);
        snprintf(id, sizeof id, "L36.1.1.3.law_%s_std", name);
        check_close(id, sqrt(var), ref_std[v], 1e-8, "L36.1.1.3.chain_law", "exact final std, sigma^2 = %s (spec D12)", name);
        DiffSampler s;
        diff_sampler_init(&s, n, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 2 + (uint64_t)v);
        s.n_threads = cli->threads;
        diff_run(&s, plan, T, x);
        double mc, se, msd, msd_se;
        column_moments(x, n, 1, 0, mean, &mc, &se, &msd, &msd_se);
        snprintf(id, sizeof id, "L36.1.1.3.mc_%s_mean", name);
        check_mc(id, mc, mean, se, 4, (long)n, "L36.1.1.3.chain_law", "sampled chains' mean vs the exact law, sigma^2 = %s", name);
        snprintf(id, sizeof id, "L36.1.1.3.mc_%s_var", name);
        check_mc(id, msd, var, msd_se, 4, (long)n, "L36.1.1.3.chain_law",
                 "sampled chains' mean squared deviation vs the exact variance, sigma^2 = %s", name);
        printf("sigma^2 = %-6s: exact chain law N(%.8f, %.8f^2), %zu chains: mean %.5f, std %.5f; data N(1, 0.5^2)\n", name,
               mean, sqrt(var), n, mc, sqrt(msd));
    }
    free(x);
    gmm_free(&data);
}

typedef struct {
    double *path; /* chain c at time t: path[c * (T + 1) + t] */
    int n;
} PathRec;

static int record_path(const double *x, size_t n, size_t dim, int k, const DiffStep *st, void *ctx) {
    (void)dim;
    PathRec *r = ctx;
    const int t = st ? st->s : T;
    for (size_t c = 0; c < n && (int)c < r->n; c++) r->path[c * (T + 1) + t] = x[c];
    (void)k;
    return 0;
}

/* Paths x_t against t (left) and the histogram of all final samples against the data density (right). */
static void paths_figure(const Cli *cli, const Gmm *data, const double *path, int npath, const double *x0, size_t n) {
    Plot *p = plot_new_grid(1, 2, 1300, 520, "1.1.3: DDPM reverse chain with the exact denoiser");
    double tt[T + 1];
    for (int t = 0; t <= T; t++) tt[t] = t;
    plot_panel(p, 0);
    plot_title(p, "reverse paths x_t, t = 1000 -> 0");
    for (int c = 0; c < npath; c++) {
        PlotSeries *l = plot_line(p, tt, path + (size_t)c * (T + 1), T + 1, NULL);
        plot_series_width(l, 1.0);
    }
    plot_xlabel(p, "t");
    plot_ylabel(p, "x_t");
    plot_panel(p, 1);
    plot_title(p, "final samples vs the data density");
    enum { NB = 80 };
    double counts[NB], centre[NB], dens[NB];
    stats_hist1d(x0, n, -3.5, 3.5, NB, counts, 1);
    for (int b = 0; b < NB; b++) {
        centre[b] = -3.5 + (b + 0.5) * 7.0 / NB;
        dens[b] = exp(gmm_logpdf(data, &centre[b], NULL));
    }
    plot_line(p, centre, counts, NB, "histogram of x_0");
    plot_line(p, centre, dens, NB, "data density");
    plot_xlabel(p, "x");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "ddpm_paths.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## Exact denoiser, a bimodal mixture

The data $\tfrac12\mathcal N(-2, 0.3^2) + \tfrac12\mathcal N(2, 0.3^2)$ has no linear recursion,
but it is symmetric: the prior, the exact denoiser and the Gaussian noise all commute with
$x \mapsto -x$, so the chain's final law is symmetric too and exactly half of the samples end
right of 0. A sampler that lost a mode would fail this. The spread around each mode is checked
against the data's variance $0.3^2$ by Monte Carlo; the sampler's own bias (about 0.3% of the
variance in the Gaussian case) is below one standard error at this sample size.
*/
static void oracle_mixture(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm data = gmm_new(2, 1);
    const double ma = -2.0, mb = 2.0;
    gmm_set(&data, 0, 0.5, &ma, NULL, 0.09);
    gmm_set(&data, 1, 0.5, &mb, NULL, 0.09);
    DiffOracle oracle = {&data};
    static DiffStep plan[T];
    diff_plan_ddpm(sch->beta, sch->alpha_bar, T, DIFF_VAR_BETA, plan);
    const size_t n = (size_t)cli_scale(cli, 2000, 10000, 400000);
    enum { NPATH = 24 };
    double *x = xmalloc(sizeof(double) * n), *path = xmalloc(sizeof(double) * NPATH * (T + 1));
    DiffSampler s;
    diff_sampler_init(&s, n, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 4);
    s.n_threads = cli->threads;
    diff_run(&s, plan, T, x);
    double *right = xmalloc(sizeof(double) * n), *dev = xmalloc(sizeof(double) * n);
    for (size_t c = 0; c < n; c++) right[c] = x[c] > 0;
    double se, frac = stats_mean_se(right, n, &se);
    check_mc("L36.1.1.3.mixture_balance", frac, 0.5, se, 4, (long)n, "L36.1.1.3.reverse_step",
             "fraction of DDPM samples right of 0 (symmetric data: exactly 1/2)");
    for (size_t c = 0; c < n; c++) dev[c] = (fabs(x[c]) - 2.0) * (fabs(x[c]) - 2.0);
    double dse, dvar = stats_mean_se(dev, n, &dse);
    check_mc("L36.1.1.3.mixture_mode_var", dvar, 0.09, dse, 4, (long)n, NULL,
             "mean of (|x_0| - 2)^2 = the data's within-mode variance 0.09 (the sampler's own bias, ~0.3%% in the "
             "Gaussian case, is below one SE here)");
    /* the first NPATH chains again (same streams, so the same paths), their states recorded */
    s.n = NPATH;
    PathRec rec = {path, NPATH};
    s.observe = record_path;
    s.observe_ctx = &rec;
    diff_run(&s, plan, T, x);
    paths_figure(cli, &data, path, NPATH, x, n);
    free(right), free(dev);
    free(x), free(path);
    gmm_free(&data);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 1.1.3: the DDPM reverse chain with an exact denoiser", 36, NULL);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    reverse_step(&cli, &sch);
    variance_choice(&sch);
    oracle_pointmass(&cli, &sch);
    oracle_gauss(&cli, &sch);
    oracle_mixture(&cli, &sch);
    diffusion_schedule_free(&sch);
    return check_end();
}
