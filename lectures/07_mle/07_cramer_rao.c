/*: # L07 Z5.7 — The Cramér–Rao bound, measured

**Lecture 7, Part 2, section Z5.7** (with Quick Check 3, the symbol-reading answers Z5b.1 Q2–Q3,
the formula translation Z5b.3 Q2 and the first comprehension question of Z6).

Five one-parameter families from the lecture's Fisher-information table — $\mathcal N(\mu, 1)$,
$\mathcal N(0, \sigma^2)$ in $\sigma^2$, Bernoulli$(p)$, Poisson$(\lambda)$, Exp$(\lambda)$ — are
each sampled $R$ times with $N = 50$ points; each repetition gives one maximum-likelihood
estimate $\hat\theta$. The program computes the Fisher information two ways (the variance of the
score, by Monte Carlo; minus the expected second derivative, by a finite difference summed or
integrated exactly against the density), the Cramér–Rao bound $1/(N I)$, and the spread of
$\hat\theta$ over the repetitions.

What you will see: a table in which four families sit on their bound and Exp$(\lambda)$ does
not — its MLE $1/\bar x$ is biased and its variance is 8.5 % above the bound at $N = 50$ (the
lecture's "the MLE attains the CRB for all of these" is an erratum); the approach to the normal
limit at $N = 1000$; and the classic biased MLE, $\hat\sigma^2 = \frac1N\sum(x-\bar x)^2$.
Figure: `mle_histograms.png`, the histogram of $\hat\theta$ over the repetitions against the
asymptotic normal $\mathcal N(\theta, 1/(N I(\theta)))$, one panel per family.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/07_cramer_rao [--quick|--full]`.

| symbol | C name | shape |
|---|---|---|
| $\theta$ (true parameter) | `fam->theta` | scalar |
| $N$ (sample size per repetition) | `n_per_rep` | scalar |
| $R$ (repetitions) | `reps` | scalar |
| $\hat\theta$ (one MLE per repetition) | `theta_hat` | (R) |
| $s_\theta(x) = \partial_\theta \log p_\theta(x)$ (score) | `fam->score` | function |
| $I(\theta)$ (Fisher information per observation) | `fam->fisher` | function |
| $1/(N I(\theta))$ (Cramér–Rao bound) | `crb` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/moments_se.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/*: ## Samplers

Every draw comes from one uniform $u \in (0,1)$ or one standard normal: Bernoulli is $[u < p]$,
the exponential is $-\log(u)/\lambda$ (inverse CDF), and Poisson uses Knuth's product of
uniforms — the count of factors before $\prod u_i$ drops below $e^{-\lambda}$ (fine for
$\lambda \le 30$).
*/
static double draw_poisson(Rng *r, double lambda) {
    const double limit = exp(-lambda);
    double prod = rng_uniform(r);
    int k = 0;
    while (prod > limit) {
        prod *= rng_uniform(r);
        k++;
    }
    return k;
}

/*: ## The five families

For each family we need $\log p_\theta(x)$, the score $s_\theta(x) = \partial_\theta\log p_\theta(x)$,
the closed-form Fisher information, the MLE as a function of the sample, and the exact
finite-$N$ mean and variance of that MLE (to test the Monte Carlo against):

| family | $\theta$ | score | $I(\theta)$ | MLE | $\operatorname{Var}(\hat\theta)$ at finite $N$ |
|---|---|---|---|---|---|
| $\mathcal N(\mu, \sigma^2)$, $\sigma$ known | $\mu$ | $(x-\mu)/\sigma^2$ | $1/\sigma^2$ | $\bar x$ | $\sigma^2/N$ |
| $\mathcal N(0, v)$, mean known | $v = \sigma^2$ | $-\frac1{2v} + \frac{x^2}{2v^2}$ | $\frac1{2v^2}$ | $\frac1N\sum x^2$ | $2v^2/N$ |
| Bernoulli | $p$ | $\frac xp - \frac{1-x}{1-p}$ | $\frac1{p(1-p)}$ | $\bar x$ | $p(1-p)/N$ |
| Poisson | $\lambda$ | $x/\lambda - 1$ | $1/\lambda$ | $\bar x$ | $\lambda/N$ |
| Exp | $\lambda$ | $1/\lambda - x$ | $1/\lambda^2$ | $1/\bar x$ | $\frac{N^2\lambda^2}{(N-1)^2(N-2)}$ |

The last entry follows from $\sum x_i \sim \mathrm{Gamma}(N, \lambda)$: $\mathbb E[1/S] =
\lambda/(N-1)$ and $\mathbb E[1/S^2] = \lambda^2/((N-1)(N-2))$, so

$$ \mathbb E\Big[\frac1{\bar x}\Big] = \frac{N\lambda}{N-1},\qquad
   \operatorname{Var}\Big(\frac1{\bar x}\Big) = \frac{N^2\lambda^2}{(N-1)^2(N-2)} > \frac{\lambda^2}{N} $$ {#eq:L07.Z5.7.exp_mle_moments}
*/
typedef struct Family Family;
struct Family {
    const char *name, *param;
    double theta;
    int discrete;        /* 1: integer support 0..support_max; 0: continuous on [lo, hi] */
    double support_max, lo, hi;
    double (*sample)(const Family *f, Rng *r);
    double (*logp)(double x, double theta);
    double (*score)(double x, double theta);
    double (*fisher)(double theta);
    double (*mle)(double sum_x, double sum_x2, int n); /* from the sufficient statistics */
    double (*mle_mean)(double theta, int n);
    double (*mle_var)(double theta, int n);
};

static const double LOG_2PI = 1.8378770664093454836;

/* N(mu, 1): theta = mu */
static double normal_mean_sample(const Family *f, Rng *r) { return f->theta + rng_normal(r); }
static double normal_mean_logp(double x, double mu) { return -0.5 * LOG_2PI - 0.5 * (x - mu) * (x - mu); }
//: $s_\mu(x) = \partial_\mu\log p = x - \mu$ and $I(\mu) = 1$ ($\sigma = 1$), [eq:L07.Z5.7.fisher_two_forms]
static double normal_mean_score(double x, double mu) { return x - mu; }
static double normal_mean_fisher(double mu) { (void)mu; return 1.0; }
static double mean_of_x(double sx, double sx2, int n) { (void)sx2; return sx / n; }
static double unbiased_mean(double theta, int n) { (void)n; return theta; }
static double normal_mean_var(double mu, int n) { (void)mu; return 1.0 / n; }

/* N(0, v): theta = v = sigma^2 */
static double normal_var_sample(const Family *f, Rng *r) { return sqrt(f->theta) * rng_normal(r); }
static double normal_var_logp(double x, double v) { return -0.5 * (LOG_2PI + log(v)) - 0.5 * x * x / v; }
//: $s_v(x) = -\frac1{2v} + \frac{x^2}{2v^2}$, $I(v) = \frac1{2v^2}$, [eq:L07.Z5.7.fisher_two_forms]
static double normal_var_score(double x, double v) { return -0.5 / v + 0.5 * x * x / (v * v); }
static double normal_var_fisher(double v) { return 0.5 / (v * v); }
static double mean_of_x2(double sx, double sx2, int n) { (void)sx; return sx2 / n; }
static double normal_var_var(double v, int n) { return 2.0 * v * v / n; }

/* Bernoulli(p) */
static double bernoulli_sample(const Family *f, Rng *r) { return rng_uniform(r) < f->theta ? 1.0 : 0.0; }
static double bernoulli_logp(double x, double p) { return x * log(p) + (1.0 - x) * log(1.0 - p); }
//: $s_p(x) = x/p - (1-x)/(1-p)$, $I(p) = 1/(p(1-p))$, [eq:L07.Z5.7.fisher_two_forms]
static double bernoulli_score(double x, double p) { return x / p - (1.0 - x) / (1.0 - p); }
static double bernoulli_fisher(double p) { return 1.0 / (p * (1.0 - p)); }
static double bernoulli_var(double p, int n) { return p * (1.0 - p) / n; }

/* Poisson(lambda) */
static double poisson_sample(const Family *f, Rng *r) { return draw_poisson(r, f->theta); }
static double poisson_logp(double x, double l) { return x * log(l) - l - lgamma(x + 1.0); }
//: $s_\lambda(x) = x/\lambda - 1$, $I(\lambda) = 1/\lambda$, [eq:L07.Z5.7.fisher_two_forms]
static double poisson_score(double x, double l) { return x / l - 1.0; }
static double poisson_fisher(double l) { return 1.0 / l; }
static double poisson_var(double l, int n) { return l / n; }

/* Exp(lambda), density lambda e^{-lambda x} */
static double exp_sample(const Family *f, Rng *r) { return -log(rng_uniform(r)) / f->theta; }
static double exp_logp(double x, double l) { return log(l) - l * x; }
//: $s_\lambda(x) = 1/\lambda - x$, $I(\lambda) = 1/\lambda^2$, [eq:L07.Z5.7.fisher_two_forms]
static double exp_score(double x, double l) { return 1.0 / l - x; }
static double exp_fisher(double l) { return 1.0 / (l * l); }
static double inverse_mean(double sx, double sx2, int n) { (void)sx2; return n / sx; }
//: $\mathbb E[1/\bar x] = N\lambda/(N-1)$, eq. [eq:L07.Z5.7.exp_mle_moments]
static double exp_mle_mean(double l, int n) { return n * l / (n - 1.0); }
//: $\operatorname{Var}(1/\bar x) = N^2\lambda^2/((N-1)^2(N-2))$, eq. [eq:L07.Z5.7.exp_mle_moments]
static double exp_mle_var(double l, int n) { return (double)n * n * l * l / ((n - 1.0) * (n - 1.0) * (n - 2.0)); }

enum { N_FAMILIES = 5, EXP_FAMILY = 4 };
static const Family FAMILIES[N_FAMILIES] = {
    {"normal_mean", "mu", 0.0, 0, 0, -12, 12, normal_mean_sample, normal_mean_logp,
     normal_mean_score, normal_mean_fisher, mean_of_x, unbiased_mean, normal_mean_var},
    {"normal_var", "sigma^2", 2.0, 0, 0, -20, 20, normal_var_sample, normal_var_logp,
     normal_var_score, normal_var_fisher, mean_of_x2, unbiased_mean, normal_var_var},
    {"bernoulli", "p", 0.3, 1, 1, 0, 0, bernoulli_sample, bernoulli_logp, bernoulli_score,
     bernoulli_fisher, mean_of_x, unbiased_mean, bernoulli_var},
    {"poisson", "lambda", 3.0, 1, 60, 0, 0, poisson_sample, poisson_logp, poisson_score,
     poisson_fisher, mean_of_x, unbiased_mean, poisson_var},
    {"exponential", "lambda", 2.0, 0, 0, 0, 30, exp_sample, exp_logp, exp_score, exp_fisher,
     inverse_mean, exp_mle_mean, exp_mle_var},
};

/*: ## Fisher information, two ways (Z5.7, Z5b.1 Q2, Z5b.3 Q2)

$$ I(\theta) = \mathbb E_{p_\theta}\big[s_\theta(x)^2\big] = -\,\mathbb E_{p_\theta}\Big[\frac{\partial^2 \log p_\theta(x)}{\partial\theta^2}\Big],
   \qquad \mathbb E_{p_\theta}[s_\theta(x)] = 0 $$ {#eq:L07.Z5.7.fisher_two_forms}

Because the score has mean zero, the first form is its *variance* (the lecture's
`scores.var()`): a Monte Carlo estimate from $n$ draws, with the standard error of a sample
variance. The second form we evaluate without sampling: the second derivative is a central
difference of the analytic score, $\big(s_{\theta+h}(x) - s_{\theta-h}(x)\big)/2h$ with
$h = 10^{-5}\theta$ (truncation $O(h^2)$, rounding $O(\epsilon/h)$, both below $10^{-9}$), and the
expectation is an exact sum over the support (discrete families) or a 64-point Gauss–Legendre
rule on 200 panels (continuous ones).
*/
static double neg_second_derivative(const Family *f, double x) {
    const double h = 1e-5 * fmax(fabs(f->theta), 1.0);
    //: $-\partial^2_\theta\log p \approx -(s_{\theta+h} - s_{\theta-h})/2h$
    return -(f->score(x, f->theta + h) - f->score(x, f->theta - h)) / (2.0 * h);
}

/* max(a, b) that keeps a NaN (fmax would drop it and hide a failure). */
static double max_or_nan(double a, double b) { return (isnan(a) || isnan(b)) ? NAN : fmax(a, b); }

static double density_times_curvature(double x, void *ctx) {
    const Family *f = ctx;
    return exp(f->logp(x, f->theta)) * neg_second_derivative(f, x);
}

static double fisher_by_hessian(const Family *f) {
    if (!f->discrete)
        //: $I(\theta) = -\mathbb E[\partial^2_\theta\log p]$ by quadrature (continuous) or an exact sum (discrete), [eq:L07.Z5.7.fisher_two_forms]
        return quad_gauss_legendre_composite(density_times_curvature, (void *)f, f->lo, f->hi, 64, 200);
    double total = 0.0;
    for (int k = 0; k <= (int)f->support_max; k++) total += density_times_curvature(k, (void *)f);
    return total;
}

/*: ## The Cramér–Rao bound (Z5.7, Z5b.2 Q2)

For an unbiased estimator from $N$ independent observations,

$$ \operatorname{Var}(\hat\theta) \ \ge\ \frac{1}{N\,I(\theta)} $$ {#eq:L07.Z5.7.crb}

Below, each repetition draws $N$ points, reduces them to $(\sum x, \sum x^2)$ and applies the
family's MLE.
*/
static void simulate_mle(const Family *f, Rng *r, int n_per_rep, long reps, double *theta_hat) {
    for (long rep = 0; rep < reps; rep++) {
        double sum_x = 0.0, sum_x2 = 0.0;
        for (int i = 0; i < n_per_rep; i++) {
            double x = f->sample(f, r);
            sum_x += x;
            sum_x2 += x * x;
        }
        //: $\hat\theta$ from the sufficient statistics $(\sum x, \sum x^2)$
        theta_hat[rep] = f->mle(sum_x, sum_x2, n_per_rep);
    }
}

/* One panel: the density histogram of theta_hat as a step line, and N(theta, crb). For the
   lattice-valued MLEs (Bernoulli, Poisson: multiples of 1/N) the bins are centred on the lattice. */
static void histogram_panel(Plot *plot, const char *title, const double *theta_hat, long reps,
                            double theta, double crb, double lattice) {
    double sd = sqrt(crb), lo = theta - 4.5 * sd, hi = theta + 4.5 * sd;
    int nbins = 45;
    if (lattice > 0) {
        lo = (floor(lo / lattice) - 0.5) * lattice;
        nbins = (int)ceil((hi - lo) / lattice);
        hi = lo + nbins * lattice;
    }
    double counts[256], xs[2 * 256 + 2], ys[2 * 256 + 2], gx[201], gy[201];
    if (nbins > 256) nbins = 256;
    stats_hist1d(theta_hat, (size_t)reps, lo, hi, nbins, counts, 1);
    double width = (hi - lo) / nbins;
    int m = 0;
    xs[m] = lo, ys[m++] = 0.0;
    for (int b = 0; b < nbins; b++) {
        xs[m] = lo + b * width, ys[m++] = counts[b];
        xs[m] = lo + (b + 1) * width, ys[m++] = counts[b];
    }
    xs[m] = hi, ys[m++] = 0.0;
    for (int i = 0; i <= 200; i++) {
        gx[i] = lo + (hi - lo) * i / 200.0;
        double z = (gx[i] - theta) / sd;
        gy[i] = exp(-0.5 * z * z) / (sd * sqrt(2.0 * M_PI));
    }
    plot_title(plot, title);
    plot_series_color(plot_line(plot, xs, ys, m, "MLE histogram"), PLOT_BLUE);
    PlotSeries *s = plot_line(plot, gx, gy, 201, "N(theta, 1/(N I))");
    plot_series_color(s, PLOT_RED);
    plot_series_dash(s, PLOT_DASHED);
    plot_series_color(plot_vline(plot, theta, NULL), PLOT_GRAY);
}

/* Density of xbar = S/N with S ~ Gamma(N, rate lambda): Gamma(shape N, rate N lambda). */
typedef struct {
    int n;
    double lambda;
} GammaMeanCtx;

static double gamma_mean_density(double y, void *ctx) {
    const GammaMeanCtx *g = ctx;
    double rate = g->n * g->lambda;
    //: $\bar x \sim \mathrm{Gamma}(N, \text{rate } N\lambda)$ for Exp($\lambda$) data
    return exp(g->n * log(rate) + (g->n - 1) * log(y) - rate * y - lgamma(g->n));
}

/* What the sections share: the MLEs over repetitions of every family, their CRBs and the
   printed table rows. */
typedef struct {
    int n_per_rep;
    long reps, reps_exp, n_score;
    double *scores; /* scratch: n_score draws of a score */
    double *theta_hat[N_FAMILIES], crb_of[N_FAMILIES];
    long reps_of[N_FAMILIES];
    char table[N_FAMILIES][160];
    double *theta_hat_large; /* Exp(2) at N = 1000 */
    long reps_large;
} Results;

/*: ## Z5.7 Each family: Fisher information two ways, and the MLE against the bound

For each family: $\mathbb E[\text{score}] = 0$ and $I(\theta) = \operatorname{Var}(\text{score})$ on
$n$ draws (Monte Carlo), $I(\theta) = -\mathbb E[\partial^2_\theta\log p]$ by a finite difference with
an exact expectation (eq. [eq:L07.Z5.7.fisher_two_forms]); then the MLE over $R$ repetitions of
$N = 50$ draws: its mean and variance against their exact finite-$N$ values, and the variance
against the CRB of eq. [eq:L07.Z5.7.crb].
*/
static void per_family(const Cli *cli, Results *R) {
    for (int k = 0; k < N_FAMILIES; k++) {
        const Family *f = &FAMILIES[k];
        char id[96];
        Rng rng;
        rng_init(&rng, cli->seed, (uint64_t)k);

        /* Fisher information by the variance of the score */
        //: $n$ draws of the score $s_\theta(x)$, $x \sim p_\theta$: its mean is 0 and its variance $I(\theta)$, [eq:L07.Z5.7.fisher_two_forms]
        for (long i = 0; i < R->n_score; i++) R->scores[i] = f->score(f->sample(f, &rng), f->theta);
        MomentsSe sm = moments_se(R->scores, (size_t)R->n_score);
        double fisher_exact = f->fisher(f->theta);
        snprintf(id, sizeof id, "L07.Z5.7.score_mean_zero_%s", f->name);
        check_mc(id, sm.mean, 0.0, sm.se_mean, 5, R->n_score, "L07.Z5.7.fisher_two_forms",
                 "%s: E[score] = 0 (SE from the samples)", f->name);
        snprintf(id, sizeof id, "L07.Z5.7.fisher_score_var_%s", f->name);
        check_mc(id, sm.var, fisher_exact, sm.se_var, 5, R->n_score, "L07.Z5.7.fisher_two_forms",
                 "%s: I(theta) = Var(score) (Z5b.3 Q2; SE of a sample variance from m4)", f->name);
        double fisher_hess = fisher_by_hessian(f);
        snprintf(id, sizeof id, "L07.Z5.7.fisher_hessian_%s", f->name);
        check_rel(id, fisher_hess, fisher_exact, 1e-7, "L07.Z5.7.fisher_two_forms",
                  "%s: I(theta) = -E[d^2 log p / d theta^2] (FD of the score, exact expectation)",
                  f->name);

        /* the MLE over repetitions */
        R->reps_of[k] = k == EXP_FAMILY ? R->reps_exp : R->reps;
        R->theta_hat[k] = xmalloc((size_t)R->reps_of[k] * sizeof *R->theta_hat[k]);
        simulate_mle(f, &rng, R->n_per_rep, R->reps_of[k], R->theta_hat[k]);
        MomentsSe em = moments_se(R->theta_hat[k], (size_t)R->reps_of[k]);
        //: $\mathrm{CRB} = 1/(N I(\theta))$, eq. [eq:L07.Z5.7.crb]
        double crb = 1.0 / (R->n_per_rep * fisher_exact);
        R->crb_of[k] = crb;
        double var_exact = f->mle_var(f->theta, R->n_per_rep);
        double mean_exact = f->mle_mean(f->theta, R->n_per_rep);
        snprintf(R->table[k], sizeof R->table[k], "%-12s %-8s %6.3f | %9.6f %9.6f %9.6f | %9.6f %9.6f %9.6f | %9.6f", f->name,
               f->param, f->theta, fisher_exact, sm.var, fisher_hess, crb, em.var, var_exact,
               em.mean);
        snprintf(id, sizeof id, "L07.Z5.7.mle_mean_%s", f->name);
        check_mc(id, em.mean, mean_exact, em.se_mean, 5, R->reps_of[k], "L07.Z5.7.exp_mle_moments",
                 "%s: mean of the MLE over repetitions equals its exact finite-N mean", f->name);
        snprintf(id, sizeof id, "L07.Z5.7.mle_var_%s", f->name);
        check_mc(id, em.var, var_exact, em.se_var, 5, R->reps_of[k], "L07.Z5.7.exp_mle_moments",
                 "%s: variance of the MLE over repetitions equals its exact finite-N variance "
                 "%.7f", f->name, var_exact);
        snprintf(id, sizeof id, "L07.Z5.7.var_above_crb_%s", f->name);
        check_ge(id, em.var, crb, 4 * em.se_var, "L07.Z5.7.crb",
                 "%s: Var(MLE) >= CRB = %.5f within 4 SE (Z5b.4 implementation checklist)",
                 f->name, crb);
    }
}

/*: ## Z5.7 The lecture's headline numbers, and where the table claim fails

With $\sigma = 1$, $N = 50$: $\mathrm{CRB} = 1/50 = 0.02 = \operatorname{Var}(\bar x)$. For the
four families whose MLE is the sample mean of the sufficient statistic
($\bar x$ or $\frac1N\sum x^2$), the MLE is unbiased and its variance *equals* the bound at every
$N$. Exp$(\lambda)$ is an exponential family too, but its MLE $1/\bar x$ is a nonlinear function
of $\bar x$: biased, eq. [eq:L07.Z5.7.exp_mle_moments], and above the bound at finite $N$
(0.0867694 vs 0.08 at $N = 50$, $\lambda = 2$: spec L07 Z5.7, D25). The bound is attained only
asymptotically. The lecture's reason "$I(\theta) = \operatorname{Var}(T)^{-1}$ (Rao–Blackwell)" is
right for the *mean* parameter; for the natural parameter $\eta$ it is $I(\eta) = \operatorname{Var}(T)$,
and the theorem is not Rao–Blackwell's. Poisson shows both: $\eta = \log\lambda$, $T = x$,
score $x - e^\eta$, so $I(\eta) = \operatorname{Var}(x) = \lambda = 3$ while $I(\lambda) = 1/\lambda$.
*/
static void headline_numbers(const Cli *cli, const Results *R) {
    printf("%-12s %-8s %6s | %9s %9s %9s | %9s %9s %9s | %9s\n", "family", "param", "theta",
           "I exact", "I=Var(s)", "I=-E[d2]", "CRB", "Var MC", "Var exact", "mean MLE");
    for (int k = 0; k < N_FAMILIES; k++) printf("%s\n", R->table[k]);
    check_close("L07.Z5.7.crb_normal_value", R->crb_of[0], 0.02, 1e-15, "L07.Z5.7.crb",
                "the lecture's example: CRB sigma^2 / N = 1/50 = 0.02");
    const Family *fe = &FAMILIES[EXP_FAMILY];
    double exp_var_exact = fe->mle_var(fe->theta, R->n_per_rep);
    check_close("L07.Z5.7.exp_var_closed_form", exp_var_exact, 0.0867694, 5e-8,
                "L07.Z5.7.exp_mle_moments", "Var(1/xbar) for Exp(2), N = 50 (spec L07 D25: 0.0867694)");
    MomentsSe exp_m = moments_se(R->theta_hat[EXP_FAMILY], (size_t)R->reps_exp);
    check_ge("L07.Z5.7.exp_misses_crb", (exp_m.var - R->crb_of[EXP_FAMILY]) / exp_m.se_var, 5.0, 0.0,
             "L07.Z5.7.crb",
             "Exp(2): (Var MC - CRB) / SE >= 5: the MLE 1/xbar does NOT attain the bound at N = 50");
    check_erratum("L07.Z5.7.exp_attains_crb", R->crb_of[EXP_FAMILY], exp_var_exact,
                  "the lecture: MLE attains the CRB for all families of its table; Exp(2), N = 50: "
                  "Var(1/xbar) = N^2 l^2/((N-1)^2 (N-2)) > l^2/N");
    check_erratum("L07.Z5.7.exp_mle_unbiased", fe->theta, fe->mle_mean(fe->theta, R->n_per_rep),
                  "efficiency needs an unbiased MLE; E[1/xbar] = N l/(N-1) for Exp(2), N = 50");
    {
        Rng rng;
        rng_init(&rng, cli->seed, 100);
        const double lambda = 3.0, eta = log(lambda);
        for (long i = 0; i < R->n_score; i++) R->scores[i] = draw_poisson(&rng, lambda) - exp(eta);
        MomentsSe nm = moments_se(R->scores, (size_t)R->n_score);
        check_mc("L07.Z5.7.natural_param_fisher", nm.var, lambda, nm.se_var, 5, R->n_score,
                 "L07.Z5.7.fisher_two_forms",
                 "Poisson in eta = log lambda: I(eta) = Var(T) = lambda = 3, not 1/Var(T)");
    }
}

/*: ## Quick Check 3 the normal mean, by hand and by finite differences

$\log p = -\frac{(x-\mu)^2}{2\sigma^2} + \text{const}$, $\partial_\mu \log p = \frac{x-\mu}{\sigma^2}$,
$\partial_\mu^2\log p = -\frac1{\sigma^2}$, so $I(\mu) = 1/\sigma^2$ and the CRB $\sigma^2/N$ is
attained by $\bar x$. The analytic score is compared with a central difference of
$\log p$ on a grid of $x$.
*/
static void quick_check_3(void) {
    {
        const Family *fn = &FAMILIES[0];
        double max_err = 0.0;
        for (int i = 0; i <= 40; i++) {
            double x = -4.0 + 0.2 * i, h = 1e-5;
            double fd = (fn->logp(x, fn->theta + h) - fn->logp(x, fn->theta - h)) / (2 * h);
            max_err = max_or_nan(max_err, fabs(fd - fn->score(x, fn->theta)));
        }
        check_close("L07.Z5.7.quick_check_3_score", max_err, 0.0, 1e-8, "L07.Z5.7.fisher_two_forms",
                    "max |(x - mu)/sigma^2 - central difference of log p| on x in [-4, 4]");
    }
    for (int k = 0; k < N_FAMILIES; k++) {
        const Family *f = &FAMILIES[k];
        double max_err = 0.0, x_probe[3] = {0.0, 1.0, 3.0};
        for (int j = 0; j < 3; j++) {
            double x = f->discrete && k == 2 ? (j > 0) : x_probe[j], h = 1e-6 * fmax(fabs(f->theta), 1.0);
            double fd = (f->logp(x, f->theta + h) - f->logp(x, f->theta - h)) / (2 * h);
            max_err = max_or_nan(max_err, fabs(fd - f->score(x, f->theta)));
        }
        char id[96];
        snprintf(id, sizeof id, "L07.Z5.7.score_fd_%s", f->name);
        check_close(id, max_err, 0.0, 1e-7, "L07.Z5.7.fisher_two_forms",
                    "%s: analytic score vs central difference of log p at three points", f->name);
    }
}

/*: ## Z5b.1 Q3 Asymptotic normality (Z5b.1 Q3)

$$ \sqrt N\,(\hat\theta_{\mathrm{MLE}} - \theta_0) \ \xrightarrow{d}\ \mathcal N\big(0, I(\theta_0)^{-1}\big) $$ {#eq:L07.Z5b.1.asymptotic_normality}

For Exp(2) the finite-$N$ value of $N\operatorname{Var}(\hat\lambda)$ is
$N^3\lambda^2/((N-1)^2(N-2))$: 4.338 at $N = 50$, 4.016 at $N = 1000$, tending to
$1/I = \lambda^2 = 4$ (spec L07 D26). The bias $\lambda/(N-1)$ shrinks like $1/N$, faster than
the standard deviation $\lambda/\sqrt N$, so it vanishes from $\sqrt N(\hat\theta - \theta_0)$.
*/
static void asymptotic_normality(const Cli *cli, Results *R) {
    const int n_large = 1000;
    const Family *fe = &FAMILIES[EXP_FAMILY];
    Rng rng;
    rng_init(&rng, cli->seed, 200);
    simulate_mle(fe, &rng, n_large, R->reps_large, R->theta_hat_large);
    MomentsSe lm = moments_se(R->theta_hat_large, (size_t)R->reps_large);
    //: $N\operatorname{Var}(\hat\lambda) \to 1/I(\lambda) = \lambda^2$, eq. [eq:L07.Z5b.1.asymptotic_normality]
    double nvar_mc = n_large * lm.var, nvar_exact = n_large * fe->mle_var(fe->theta, n_large);
    printf("Exp(2): N Var(1/xbar) = %.4f (MC) vs %.4f exact at N = %d, %.4f at N = %d; 1/I = %.4f\n",
           nvar_mc, nvar_exact, n_large, R->n_per_rep * fe->mle_var(fe->theta, R->n_per_rep), R->n_per_rep,
           1.0 / fe->fisher(fe->theta));
    check_close("L07.Z5b.1.nvar_exact_n1000", nvar_exact, 4.016, 5e-4,
                "L07.Z5b.1.asymptotic_normality", "N Var(1/xbar) exact at N = 1000 (spec L07 D26: 4.0160)");
    check_mc("L07.Z5b.1.nvar_mc_n1000", nvar_mc, nvar_exact, n_large * lm.se_var, 5, R->reps_large,
             "L07.Z5b.1.asymptotic_normality",
             "Exp(2), N = 1000: N Var(MLE) over repetitions matches the exact value, near 1/I = 4");
    double z_inside = 0.0;
    for (long r = 0; r < R->reps_large; r++)
        z_inside += fabs(sqrt((double)n_large) * (R->theta_hat_large[r] - fe->theta) / fe->theta) < 1.959963985;
    double coverage = z_inside / R->reps_large;
    /* The exact probability of that event: xbar ~ Gamma(N, rate N lambda), integrated over
       1/(lambda (1 + c)) <= xbar <= 1/(lambda (1 - c)), c = 1.96 / sqrt(N). */
    GammaMeanCtx g = {n_large, fe->theta};
    double c = 1.959963985 / sqrt((double)n_large);
    double coverage_exact = quad_gauss_legendre_composite(gamma_mean_density, &g,
                                                          1.0 / (fe->theta * (1.0 + c)),
                                                          1.0 / (fe->theta * (1.0 - c)), 64, 20);
    printf("Exp(2), N = 1000: P(|sqrt(N)(MLE - l)/l| < 1.96) = %.4f (MC), %.6f exact, 0.95 normal limit\n",
           coverage, coverage_exact);
    check_close("L07.Z5b.1.normal_coverage_exact", coverage_exact, 0.95, 0.002,
                "L07.Z5b.1.asymptotic_normality",
                "Exp(2), N = 1000: exact P(|Z| < 1.96) under Gamma(N, N l) is within 0.002 of the normal 0.95");
    check_mc("L07.Z5b.1.normal_coverage", coverage, coverage_exact, sqrt(coverage_exact * (1 - coverage_exact) / R->reps_large), 5,
             R->reps_large, "L07.Z5b.1.asymptotic_normality",
             "Exp(2), N = 1000: fraction of sqrt(N)(MLE - l)/l inside +-1.96 matches the exact 0.949499 (binomial SE)");
}

/*: ## Z6 comprehension question 1 a biased MLE

The MLE of a normal variance with unknown mean divides by $N$:

$$ \hat\sigma^2_{\mathrm{MLE}} = \frac1N\sum_i (x_i - \bar x)^2,\qquad
   \mathbb E\big[\hat\sigma^2_{\mathrm{MLE}}\big] = \frac{N-1}{N}\sigma^2 $$ {#eq:L07.Z6.biased_variance}

because $\bar x$ is fitted to the same data and absorbs one degree of freedom. With
$N = 5$, $\sigma^2 = 1$ the mean is 0.8; dividing by $N - 1$ removes the bias.
*/
static void biased_mle(const Cli *cli) {
    const int n_small = 5;
    const long reps_small = cli_scale(cli, 20000, 100000, 1000000);
    double *mle_var = xmalloc((size_t)reps_small * sizeof *mle_var);
    double *unbiased_var = xmalloc((size_t)reps_small * sizeof *unbiased_var);
    Rng rng;
    rng_init(&rng, cli->seed, 300);
    for (long r = 0; r < reps_small; r++) {
        double x[5], mean = 0.0, ss = 0.0;
        for (int i = 0; i < n_small; i++) mean += (x[i] = rng_normal(&rng));
        mean /= n_small;
        for (int i = 0; i < n_small; i++) ss += (x[i] - mean) * (x[i] - mean);
        //: $\hat\sigma^2_{\mathrm{MLE}} = \frac1N\sum(x_i-\bar x)^2$, eq. [eq:L07.Z6.biased_variance]
        mle_var[r] = ss / n_small;
        unbiased_var[r] = ss / (n_small - 1);
    }
    MomentsSe bm = moments_se(mle_var, (size_t)reps_small), um = moments_se(unbiased_var, (size_t)reps_small);
    printf("N = 5, sigma^2 = 1: mean of sigma2_MLE = %.4f, of the (N-1) version = %.4f\n",
           bm.mean, um.mean);
    check_mc("L07.Z6.q1_biased_mle_variance", bm.mean, (n_small - 1.0) / n_small, bm.se_mean, 5,
             reps_small, "L07.Z6.biased_variance", "E[(1/N) sum (x - xbar)^2] = (N-1)/N = 0.8 for N = 5");
    check_mc("L07.Z6.q1_unbiased_variance", um.mean, 1.0, um.se_mean, 5, reps_small,
             "L07.Z6.biased_variance", "E[(1/(N-1)) sum (x - xbar)^2] = sigma^2 = 1");
    free(mle_var);
    free(unbiased_var);
}

/* Figure `mle_histograms.png`: one panel per family (N = 50) and the Exp family at N = 1000. */
static void figure(const Cli *cli, const Results *R) {
    const Family *fe = &FAMILIES[EXP_FAMILY];
    const int n_large = 1000;
    Plot *plot = plot_new_grid(2, 3, 1200, 720,
                               "Z5.7: the MLE over repetitions vs the asymptotic normal N(theta, 1/(N I))");
    const char *titles[N_FAMILIES] = {"N(mu,1), mu = 0, N = 50", "N(0,v), v = 2, N = 50",
                                      "Bernoulli p = 0.3, N = 50", "Poisson lambda = 3, N = 50",
                                      "Exp lambda = 2, N = 50 (biased)"};
    for (int k = 0; k < N_FAMILIES; k++) {
        plot_panel(plot, k);
        double lattice = FAMILIES[k].discrete ? 1.0 / R->n_per_rep : 0.0;
        histogram_panel(plot, titles[k], R->theta_hat[k], R->reps_of[k], FAMILIES[k].theta, R->crb_of[k], lattice);
        plot_xlabel(plot, "theta_hat");
    }
    plot_panel(plot, 5);
    histogram_panel(plot, "Exp lambda = 2, N = 1000", R->theta_hat_large, R->reps_large, fe->theta,
                    1.0 / (n_large * fe->fisher(fe->theta)), 0.0);
    plot_xlabel(plot, "theta_hat");
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "mle_histograms.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.7: Fisher information two ways, the Cramer-Rao bound vs the variance of the MLE",
              7, NULL);
    Results R = {.n_per_rep = 50,
                 .reps = cli_scale(&cli, 4000, 20000, 200000),
                 .reps_exp = cli_scale(&cli, 20000, 100000, 1000000),
                 .n_score = cli_scale(&cli, 50000, 1000000, 10000000),
                 .reps_large = cli_scale(&cli, 1000, 20000, 100000)};
    printf("N = %d per repetition, R = %ld repetitions (Exp: %ld), %ld score draws per family\n",
           R.n_per_rep, R.reps, R.reps_exp, R.n_score);
    R.scores = xmalloc((size_t)R.n_score * sizeof *R.scores);
    R.theta_hat_large = xmalloc((size_t)R.reps_large * sizeof *R.theta_hat_large);
    per_family(&cli, &R);
    headline_numbers(&cli, &R);
    quick_check_3();
    asymptotic_normality(&cli, &R);
    biased_mle(&cli);
    figure(&cli, &R);
    for (int k = 0; k < N_FAMILIES; k++) free(R.theta_hat[k]);
    free(R.theta_hat_large);
    free(R.scores);
    return check_end();
}
