/*: # L07 Z5b/Z7 — The self-diagnosis zone and the epilogue, computed

**Lecture 7, Part 2, sections Z5b.4 (the "advanced" checklist items), Z7.2 FAQ Q1 and Q6.**
Most formulas of the self-tests Z5b.1–Z5b.3 and of the formula-to-code table Z7.1 are already
computed and checked by programs 01–12 (see the lecture's README for the map). This program
computes the numerical claims that no other program reaches:

1. Z5b.4 advanced item 2, *what does maximum likelihood do for a non-Gaussian law such as the
   Cauchy?* The likelihood can have several maxima; the sample mean does not concentrate at all;
   the MLE does, at the Cramér–Rao rate $2\gamma^2/N$, and beats the median.
2. Z7.2 FAQ Q1, *non-regular models break asymptotic normality*: for $\mathrm{Uniform}(0,\theta)$
   the MLE $\max_i x_i$ converges at rate $1/N$ (not $1/\sqrt N$), to an exponential (not a normal)
   limit, and its variance falls far below the formal "bound" $\theta^2/N$.
3. Z7.2 FAQ Q6 item 4, *FID sees only means and covariances*: a bimodal law and the Gaussian with
   the same two moments have FID 0, a mode-collapsed generator a large FID.

(FAQ Q6's other item, the $1/n$ bias of the sample FID and its extrapolation, is computed in
`03_fid.c`.)

What you will see: stationary points of a two-point Cauchy likelihood; $N\,\mathrm{Var}$ of three
location estimators; the uniform MLE's exponential limit; FIDs that cannot tell modes apart.

Run: `build/release/bin/lectures/07_mle/18_formula_to_code [--quick] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\theta$ (location), $\gamma = 1$ (scale) | `theta` | scalar |
| $\ell(\theta) = \sum_i \log p(x_i\mid\theta)$ | `cauchy_loglik()` | scalar |
| $N$ samples, $R$ replications | `n`, `reps` | scalars |
| $\hat\theta = \max_i x_i$ (uniform MLE) | `theta_hat` | scalar |
| $\mu_r, \Sigma_r$, $\mu_g, \Sigma_g$ | `mu_r`, `cov_r`, ... | (d), (d, d) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/*: ## 1. Maximum likelihood for the Cauchy law

$$ p(x\mid\theta) = \frac{1}{\pi\gamma\big(1 + ((x-\theta)/\gamma)^2\big)},\qquad
   \frac{\partial\log p}{\partial\theta} = \frac{2u}{\gamma(1+u^2)},\quad
   \frac{\partial^2\log p}{\partial\theta^2} = \frac{2(u^2-1)}{\gamma^2(1+u^2)^2},\quad u = \frac{x-\theta}{\gamma} $$ {#eq:L07.Z5b.4.cauchy_score}

The Fisher information is $I(\theta) = \mathbb E[(\partial_\theta\log p)^2] = 1/(2\gamma^2)$, so the
Cramér–Rao bound for $N$ observations is $2\gamma^2/N$. The Cauchy law has no mean: the average of
$N$ draws is again Cauchy with the same scale, whatever $N$.
*/
static double cauchy_logpdf(double x, double theta) {
    const double u = x - theta;
    //: $\log p(x\mid\theta) = -\log\pi - \log(1 + (x-\theta)^2)$ ($\gamma = 1$), [eq:L07.Z5b.4.cauchy_score]
    return -log(M_PI) - log1p(u * u);
}

static double cauchy_score(double x, double theta) {
    const double u = x - theta;
    //: $\partial_\theta \log p = 2u/(1+u^2)$, eq. [eq:L07.Z5b.4.cauchy_score]
    return 2.0 * u / (1.0 + u * u);
}

static double cauchy_dscore(double x, double theta) {
    const double u = x - theta, d = 1.0 + u * u;
    //: $\partial^2_\theta \log p = 2(u^2-1)/(1+u^2)^2$, [eq:L07.Z5b.4.cauchy_score]
    return 2.0 * (u * u - 1.0) / (d * d);
}

static double cauchy_loglik(const double *x, int n, double theta) {
    double l = 0.0;
    //: $\ell(\theta) = \sum_i \log p(x_i\mid\theta)$
    for (int i = 0; i < n; i++) l += cauchy_logpdf(x[i], theta);
    return l;
}

/* Newton's method on l'(theta) = 0 with step halving so that l increases at every step; when the
   curvature is not negative (the Newton step would go downhill) it takes a gradient step.
   Stops when the step falls below 1e-12 (1 + |theta|) or no halving increases l (rounding). */
static double cauchy_mle(const double *x, int n, double theta, int *iters) {
    double l = cauchy_loglik(x, n, theta);
    int it = 0;
    for (; it < 100; it++) {
        double g = 0.0, h = 0.0;
        for (int i = 0; i < n; i++) {
            g += cauchy_score(x[i], theta);
            h += cauchy_dscore(x[i], theta);
        }
        //: Newton step $-\ell'/\ell''$ where $\ell'' < 0$, else a gradient step
        double step = h < 0.0 ? -g / h : g / n;
        if (fabs(step) < 1e-12 * (1.0 + fabs(theta))) break;
        int moved = 0;
        for (int k = 0; k < 60 && !moved; k++, step *= 0.5) {
            const double l_new = cauchy_loglik(x, n, theta + step);
            if (l_new > l) { /* strict: an unchanged l (rounding) ends the search */
                theta += step;
                l = l_new;
                moved = 1;
            }
        }
        if (!moved) break;
    }
    if (iters) *iters = it;
    return theta;
}

typedef struct {
    int which; /* 0: score^2 p, 1: -d2 log p * p */
} FisherCtx;

static double fisher_integrand(double x, void *vctx) {
    const FisherCtx *c = vctx;
    const double p = exp(cauchy_logpdf(x, 0.0)), s = cauchy_score(x, 0.0);
    //: $s^2 p$ and $-\partial^2_\theta\log p\;p$: the two integrands of $I(\theta)$, [eq:L07.Z5b.4.cauchy_score]
    return c->which == 0 ? s * s * p : -cauchy_dscore(x, 0.0) * p;
}

/*: ## 3–4. FID on samples

The Fréchet distance of `common/linalg` (eq. [eq:common.linalg.fid]) applied to the sample means
and unbiased covariances of two point sets, rows of length $d$.
*/
static double sample_fid(const double *xr, const double *xg, int n, int d, FrechetReport *rep) {
    double *mu_r = xmalloc(sizeof(double) * d), *mu_g = xmalloc(sizeof(double) * d);
    double *cov_r = xmalloc(sizeof(double) * d * d), *cov_g = xmalloc(sizeof(double) * d * d);
    stats_covariance(xr, n, d, mu_r, cov_r);
    stats_covariance(xg, n, d, mu_g, cov_g);
    //: the Fréchet distance of the two sample Gaussians, [eq:common.linalg.fid]
    const double fid = frechet_distance(mu_r, cov_r, mu_g, cov_g, d, rep);
    free(mu_r);
    free(mu_g);
    free(cov_r);
    free(cov_g);
    return fid;
}

/*: ## Z5b.4 Fisher information of the Cauchy location, both forms, by quadrature

$\int (\partial_\theta\log p)^2 p\,dx$ and $-\int \partial^2_\theta\log p\; p\,dx$ over
$x = \tan t$, $t\in(-\pi/2, \pi/2)$ (the substitution makes the heavy-tailed range finite); both
must be $1/2$.
*/
static void cauchy_fisher_information(void) {
    double info[2];
    for (int w = 0; w < 2; w++) {
        FisherCtx c = {w};
        /* integrate over t with x = tan t, dx = (1 + x^2) dt */
        double total = 0.0;
        enum { NODES = 20, PANELS = 64 };
        double node[NODES], weight[NODES];
        gauss_legendre(NODES, node, weight);
        const double width = M_PI / PANELS;
        for (int p = 0; p < PANELS; p++)
            for (int i = 0; i < NODES; i++) {
                const double t = -M_PI / 2 + width * (p + 0.5 * (node[i] + 1.0));
                const double x = tan(t);
                total += 0.5 * width * weight[i] * fisher_integrand(x, &c) * (1.0 + x * x);
            }
        info[w] = total;
    }
    check_close("L07.Z5b.4.cauchy_fisher_score_sq", info[0], 0.5, 1e-12, "L07.Z5b.4.cauchy_score",
                "E[(d/dtheta log p)^2] for Cauchy(theta, 1) by quadrature = 1/2");
    check_close("L07.Z5b.4.cauchy_fisher_hessian", info[1], 0.5, 1e-12, "L07.Z5b.4.cauchy_score",
                "-E[d2/dtheta2 log p] by quadrature = 1/2 (the two forms of I(theta) agree)");
}

/*: ## Z5b.4 A likelihood with two maxima

Two observations $x = \pm a$, $a = 5$: $\ell'(\theta) = 0$ at $\theta = 0$ and at
$\theta^2 = a^2 - 1$, i.e. $\theta = \pm\sqrt{24}$. The middle one is a local *minimum*; Newton
from $\pm 0.5$ climbs to $\pm\sqrt{24}$. (A Gaussian likelihood is concave: it cannot do this.)
*/
static void cauchy_two_maxima(void) {
    const double x2[2] = {-5.0, 5.0};
    const double right = cauchy_mle(x2, 2, 0.5, NULL), left = cauchy_mle(x2, 2, -0.5, NULL);
    const double curv0 = cauchy_dscore(x2[0], 0.0) + cauchy_dscore(x2[1], 0.0);
    printf("Cauchy, x = (-5, 5): maxima at %.10f and %.10f, l''(0) = %.4f > 0 (a minimum)\n", left,
           right, curv0);
    check_close("L07.Z5b.4.cauchy_two_maxima_right", right, sqrt(24.0), 1e-9, "L07.Z5b.4.cauchy_score",
                "Newton from 0.5 converges to +sqrt(a^2 - 1) = +sqrt(24)");
    check_close("L07.Z5b.4.cauchy_two_maxima_left", left, -sqrt(24.0), 1e-9, "L07.Z5b.4.cauchy_score",
                "Newton from -0.5 converges to -sqrt(24): the likelihood is bimodal");
    check_ge("L07.Z5b.4.cauchy_middle_is_minimum", curv0, 0.0, 0.0, "L07.Z5b.4.cauchy_score",
             "l''(0) = 4(a^2-1)/(1+a^2)^2 > 0: the symmetric stationary point is a minimum");
}

/*: ## Z5b.4 Sample mean, median and MLE over many replications

$R$ data sets of $N = 200$ draws of Cauchy(0, 1), drawn as $\tan(\pi(u - \tfrac12))$. For each:
the mean, the median, and the MLE (Newton from the median). Theory: the mean is Cauchy(0, 1),
so its interquartile range is 2 for every $N$; $N\,\mathrm{Var}(\text{median}) \to \pi^2/4 = 2.467$;
$N\,\mathrm{Var}(\text{MLE}) \to 1/I = 2$. The IQR's standard error uses the asymptotic
covariance of two sample quartiles ($3.14/\sqrt R$); the variances' standard errors come from the
samples' fourth central moments.
*/
static void cauchy_replications(const Cli *cli) {
    const int n = 200, reps = (int)cli_scale(cli, 300, 3000, 20000);
    double *x = xmalloc(sizeof(double) * n), *sorted = xmalloc(sizeof(double) * n);
    double *means = xmalloc(sizeof(double) * reps), *medians = xmalloc(sizeof(double) * reps);
    double *mles = xmalloc(sizeof(double) * reps);
    int max_iters = 0;
    for (int r = 0; r < reps; r++) {
        Rng rng;
        rng_init(&rng, cli->seed, 100 + (uint64_t)r);
        for (int i = 0; i < n; i++) x[i] = tan(M_PI * (rng_uniform(&rng) - 0.5));
        for (int i = 0; i < n; i++) sorted[i] = x[i];
        qsort(sorted, n, sizeof(double), stats_cmp_double);
        means[r] = stats_mean(x, n);
        //: the sample median ($N$ even)
        medians[r] = 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        int it;
        //: $\hat\theta$: Newton on $\ell'(\theta) = 0$ from the median, [eq:L07.Z5b.4.cauchy_score]
        mles[r] = cauchy_mle(x, n, medians[r], &it);
        if (it > max_iters) max_iters = it;
    }
    const double q[2] = {0.25, 0.75};
    double quart[2];
    stats_quantiles(means, reps, q, 2, quart);
    const double iqr_mean = quart[1] - quart[0];
    double nvar[2], se_nvar[2];
    const double *est[2] = {medians, mles};
    for (int e = 0; e < 2; e++) {
        double m = stats_mean(est[e], reps), m2 = 0.0, m4 = 0.0;
        for (int r = 0; r < reps; r++) {
            const double d2 = (est[e][r] - m) * (est[e][r] - m);
            m2 += d2;
            m4 += d2 * d2;
        }
        m2 /= reps;
        m4 /= reps;
        //: $N\operatorname{Var}(\hat\theta)$ over the replications (unbiased variance)
        nvar[e] = n * m2 * reps / (reps - 1.0);
        se_nvar[e] = n * sqrt((m4 - m2 * m2) / reps);
    }
    printf("Cauchy, N = %d, R = %d: IQR of the sample mean %.3f (one draw: 2); N Var: median %.3f, "
           "MLE %.3f (CRB 2); Newton iterations <= %d\n", n, reps, iqr_mean, nvar[0], nvar[1], max_iters);
    check_mc("L07.Z5b.4.cauchy_mean_no_concentration", iqr_mean, 2.0, 3.14 / sqrt(reps), 4, reps, NULL,
             "IQR of the mean of 200 Cauchy draws equals that of ONE draw (2): the mean does not concentrate");
    check_mc("L07.Z5b.4.cauchy_median_var", nvar[0], M_PI * M_PI / 4, se_nvar[0], 4, reps, NULL,
             "N Var(median) -> pi^2/4 = 2.467 (SE from the 4th moment)");
    check_mc("L07.Z5b.4.cauchy_mle_var", nvar[1], 2.0, se_nvar[1], 4, reps, "L07.Z5b.4.cauchy_score",
             "N Var(MLE) -> 1/I = 2 gamma^2: the MLE attains the Cramer-Rao bound asymptotically");
    check_le("L07.Z5b.4.cauchy_mle_beats_median", nvar[1] / nvar[0], 1.0, 0.0, NULL,
             "Var(MLE) / Var(median) < 1 (asymptotically 8/pi^2 = 0.81)");
    free(x);
    free(sorted);
    free(means);
    free(medians);
    free(mles);
}

/*: ## Z7.2 FAQ Q1 A non-regular model: $\mathrm{Uniform}(0, \theta)$

$p(x\mid\theta) = 1/\theta$ on $[0, \theta]$; the likelihood $\theta^{-N}\,[\theta \ge \max_i x_i]$
is maximised at $\hat\theta = \max_i x_i$. The support depends on $\theta$, so the regularity
conditions behind the Cramér–Rao bound and asymptotic normality fail. Exactly,

$$ P\Big(\frac{N(\theta-\hat\theta)}{\theta} \le t\Big) = 1 - \Big(1 - \frac tN\Big)^N \to 1 - e^{-t},\qquad
   \mathbb E\Big[\frac{N(\theta-\hat\theta)}{\theta}\Big] = \frac{N}{N+1},\qquad
   \mathrm{Var}(\hat\theta) = \frac{N\theta^2}{(N+1)^2(N+2)} $$ {#eq:L07.Z7.2.uniform_mle}

an exponential limit at scale $1/N$. The formal $1/(N I)$ with $I = \mathbb E[(\partial_\theta\log p)^2]
= 1/\theta^2$ would be $\theta^2/N$: the MLE's variance is about $N$ times smaller.
*/
static void uniform_mle(const Cli *cli) {
    const int n = 100, reps = (int)cli_scale(cli, 2000, 20000, 100000);
    const double theta = 1.0, t_med = log(2.0);
    Welford w_scaled, w_hat;
    welford_init(&w_scaled);
    welford_init(&w_hat);
    long below = 0;
    for (int r = 0; r < reps; r++) {
        Rng rng;
        rng_init(&rng, cli->seed, 50000 + (uint64_t)r);
        double theta_hat = 0.0;
        //: $\hat\theta = \max_i x_i$, [eq:L07.Z7.2.uniform_mle]
        for (int i = 0; i < n; i++) theta_hat = fmax(theta_hat, theta * rng_uniform(&rng));
        const double scaled = n * (theta - theta_hat) / theta;
        welford_push(&w_scaled, scaled);
        welford_push(&w_hat, theta_hat);
        below += scaled <= t_med;
    }
    //: $1 - (1 - t/N)^N$ and $N\theta^2/((N+1)^2(N+2))$, [eq:L07.Z7.2.uniform_mle]
    const double p_exact = 1.0 - pow(1.0 - t_med / n, n);
    const double var_exact = n * theta * theta / ((n + 1.0) * (n + 1.0) * (n + 2.0));
    const double frac = (double)below / reps;
    printf("Uniform(0,1), N = %d: E[N(theta - theta_hat)] = %.4f (exact %.4f), P(<= ln 2) = %.4f "
           "(exact %.4f), Var(theta_hat) = %.3e (exact %.3e, formal 1/(N I) = %.3e)\n", n,
           w_scaled.mean, n / (n + 1.0), frac, p_exact, welford_var(&w_hat), var_exact, theta * theta / n);
    check_mc("L07.Z7.2.uniform_mle_mean", w_scaled.mean, n / (n + 1.0), sqrt(welford_var(&w_scaled) / reps), 4,
             reps, "L07.Z7.2.uniform_mle", "E[N(theta - max x_i)/theta] = N/(N+1) (rate 1/N, not 1/sqrt N)");
    check_mc("L07.Z7.2.uniform_mle_cdf", frac, p_exact, sqrt(p_exact * (1 - p_exact) / reps), 4, reps,
             "L07.Z7.2.uniform_mle",
             "P(N(theta - theta_hat)/theta <= ln 2) = 1 - (1 - ln2/N)^N ~ 1/2: the exponential limit's median");
    /* a normal limit would be symmetric: here the scaled error is never negative */
    double wv = welford_var(&w_hat);
    check_mc("L07.Z7.2.uniform_mle_var", wv, var_exact, wv * sqrt(8.0 / reps), 4, reps, "L07.Z7.2.uniform_mle",
             "Var(theta_hat) = N theta^2/((N+1)^2 (N+2)) (SE ~ var sqrt(8/R): exponential-like, kurtosis 9)");
    check_le("L07.Z7.2.uniform_below_formal_crb", var_exact * n / (theta * theta), 0.02, 0.0, "L07.Z7.2.uniform_mle",
             "Var(theta_hat) / (theta^2/N) = N^2/((N+1)^2(N+2)): the 'bound' 1/(N I) does not apply");
}

/*: ## FAQ Q6 (item 4) FID sees two moments only

In $d = 2$: real data $p = \tfrac12\mathcal N((-3,0), I) + \tfrac12\mathcal N((3,0), I)$, with mean 0
and covariance $\operatorname{diag}(10, 1)$. A generator $q = \mathcal N(0, \operatorname{diag}(10,1))$
has exactly those moments, so its population FID is 0 although it puts its mode where $p$ has
almost no mass ($D_{\mathrm{KL}}(p\|q) = 0.462$ nats). A mode-collapsed generator
$\mathcal N((3, 0), I)$ produces only realistic samples and gets
$9 + (\sqrt{10} - 1)^2 = 13.675$. On samples, the bimodal-vs-Gaussian FID is as small as the FID
between two samples of the *same* Gaussian (both are pure $O(1/n)$ bias).
*/
static void fid_two_moments(const Cli *cli) {
    const int d = 2, n = (int)cli_scale(cli, 2000, 10000, 50000), reps = (int)cli_scale(cli, 10, 40, 100);
    const double mu0[2] = {0.0, 0.0}, mu_c[2] = {3.0, 0.0};
    const double cov_p[4] = {10.0, 0.0, 0.0, 1.0}, cov_c[4] = {1.0, 0.0, 0.0, 1.0};
    const double fid_pop_match = frechet_distance(mu0, cov_p, mu0, cov_p, d, NULL);
    //: $9 + (\sqrt{10} - 1)^2$ for the mode-collapsed $\mathcal N((3,0), I)$, [eq:common.linalg.fid]
    const double fid_pop_collapse = frechet_distance(mu0, cov_p, mu_c, cov_c, d, NULL);
    check_close("L07.Z7.2.fid_moment_matched_population", fid_pop_match, 0.0, 1e-12, "common.linalg.fid",
                "population FID(bimodal p, Gaussian with p's mean and covariance) = 0");
    check_close("L07.Z7.2.fid_mode_collapse_population", fid_pop_collapse, 9.0 + pow(sqrt(10.0) - 1.0, 2), 1e-12,
                "common.linalg.fid", "population FID of the mode-collapsed N((3,0), I) = 9 + (sqrt 10 - 1)^2");
    double *xp = xmalloc(sizeof(double) * n * d), *xq = xmalloc(sizeof(double) * n * d);
    double *xq2 = xmalloc(sizeof(double) * n * d), *xc = xmalloc(sizeof(double) * n * d);
    Welford w_match, w_null, w_collapse, w_diff;
    welford_init(&w_match);
    welford_init(&w_null);
    welford_init(&w_collapse);
    welford_init(&w_diff);
    for (int r = 0; r < reps; r++) {
        Rng rng;
        rng_init(&rng, cli->seed, 200000 + (uint64_t)r);
        for (int i = 0; i < n; i++) {
            xp[2 * i] = (rng_uniform(&rng) < 0.5 ? -3.0 : 3.0) + rng_normal(&rng);
            xp[2 * i + 1] = rng_normal(&rng);
            xq[2 * i] = sqrt(10.0) * rng_normal(&rng);
            xq[2 * i + 1] = rng_normal(&rng);
            xq2[2 * i] = sqrt(10.0) * rng_normal(&rng);
            xq2[2 * i + 1] = rng_normal(&rng);
            xc[2 * i] = 3.0 + rng_normal(&rng);
            xc[2 * i + 1] = rng_normal(&rng);
        }
        const double f_match = sample_fid(xp, xq, n, d, NULL), f_null = sample_fid(xq2, xq, n, d, NULL);
        welford_push(&w_match, f_match);
        welford_push(&w_null, f_null);
        welford_push(&w_diff, f_match - f_null);
        welford_push(&w_collapse, sample_fid(xp, xc, n, d, NULL));
    }
    printf("FID on %d samples (mean of %d): bimodal vs matched Gaussian %.5f; Gaussian vs Gaussian %.5f; "
           "bimodal vs mode-collapsed %.3f\n", n, reps, w_match.mean, w_null.mean, w_collapse.mean);
    check_le("L07.Z7.2.fid_blind_to_modes", w_match.mean, 10.0 * (11.0 + 11.0) / n, 0.0, "common.linalg.fid",
             "mean sample FID(bimodal, matched Gaussian) is O(1/n): below 10 (tr S_r + tr S_g)/n");
    check_mc("L07.Z7.2.fid_blind_vs_null", w_diff.mean, 0.0, sqrt(welford_var(&w_diff) / reps), 4, reps,
             "common.linalg.fid",
             "FID(bimodal, Gaussian) - FID(Gaussian, Gaussian) has mean 0: FID cannot tell the two laws apart");
    check_mc("L07.Z7.2.fid_mode_collapse", w_collapse.mean, fid_pop_collapse, sqrt(welford_var(&w_collapse) / reps),
             4, reps, "common.linalg.fid",
             "sample FID of the mode-collapsed generator ~ 13.675 (+ O(1/n) bias; SE from the replications)");
    free(xp);
    free(xq);
    free(xq2);
    free(xc);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5b/Z7: Cauchy MLE, a non-regular MLE, FID's blindness to modes and its 1/n bias", 18,
              NULL);
    cauchy_fisher_information();
    cauchy_two_maxima();
    cauchy_replications(&cli);
    uniform_mle(&cli);
    fid_two_moments(&cli);
    return check_end();
}
