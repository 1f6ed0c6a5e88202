/*: # L07 Z6.1, Z6.2, Z6.6 — Beyond FID: MMD (CMMD) and the likelihood-ratio trick

**Lecture 7, Part 2, zone Z6** (research frontier): Z6.1 CMMD, Z6.2 simulation-based
inference, and the numerical side of Z6.6 (what a Fréchet distance cannot see). Z6.4
(identifiability, label switching) is program 04; the FD formula itself is program 03.

**Z6.1.** CMMD is the squared maximum mean discrepancy with an RBF kernel, computed on CLIP
embeddings (the "C" is CLIP, not "clean", as the lecture has it). Here the embedding is the
identity on 2-D points, so the kernel part can be checked against closed forms:

$$ \mathrm{MMD}^2(P, Q) = \mathbb E_{x,x'\sim P}k(x,x') + \mathbb E_{y,y'\sim Q}k(y,y') - 2\,\mathbb E_{x\sim P,y\sim Q}k(x,y),
   \qquad k(x,y) = e^{-\lVert x-y\rVert^2/2\ell^2}. $$ {#eq:L07.Z6.1.mmd}

**Z6.2.** A classifier $D(x)$ trained to tell samples of $p(x|\theta_0)$ (label 1) from samples
of $p(x|\theta_1)$ (label 0), with balanced classes, estimates the likelihood ratio:

$$ r(x) = \frac{p(x|\theta_0)}{p(x|\theta_1)} = \frac{D^*(x)}{1 - D^*(x)},\qquad
   D^*(x) = \frac{p(x|\theta_0)}{p(x|\theta_0) + p(x|\theta_1)} . $$ {#eq:L07.Z6.2.ratio_trick}

What you will see: the MMD² closed form and its unbiased estimate; the biased (V-statistic)
estimate's $O(1/n)$ offset, which is why CMMD uses the unbiased one; a bimodal distribution
and a Gaussian with the same mean and covariance, at Fréchet distance 0 but clearly apart in
MMD; and a logistic regression that recovers $\log r(x) = 0.5 - x$ for $\mathcal N(0,1)$ vs
$\mathcal N(1,1)$. Figure `ratio_trick.png`: estimated and exact $\log r(x)$ and $D(x)$.

Run: `build/release/bin/lectures/07_mle/17_frontier_metrics [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_i \sim P$, $y_j \sim Q$ | `x`, `y` | (n, 2) |
| $\ell$ (kernel bandwidth) | `ell` | scalar |
| $h(z_i, z_j)$ (U-statistic kernel) | inside `mmd_estimate` | scalar |
| $a, b$ (logit $= a + bx$) | `coef[0]`, `coef[1]` | (2) |
| $D(x) = \sigma(a + bx)$ | `sigmoid(...)` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/mathfn.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { DIM = 2 };

/*: ## MMD² in closed form for Gaussian mixtures

For $x \sim \mathcal N(a, \mathrm{diag}\,A)$, $y \sim \mathcal N(b, \mathrm{diag}\,B)$ independent,
$x - y \sim \mathcal N(a - b, \mathrm{diag}(A + B))$ and the Gaussian integral gives

$$ \mathbb E\,k(x,y) = \prod_{i=1}^{d}\sqrt{\frac{\ell^2}{\ell^2 + A_i + B_i}}\;
   \exp\Big(-\frac{(a_i - b_i)^2}{2(\ell^2 + A_i + B_i)}\Big) $$ {#eq:L07.Z6.1.mean_kernel}

and for mixtures the expectation is the weighted sum over pairs of components. For
$P = \mathcal N(0, I_2)$, $Q = \mathcal N((1,0), I_2)$, $\ell = 1$ this is
$\mathrm{MMD}^2 = 2\cdot\tfrac13\,(1 - e^{-1/6}) = 0.1023455167$.
*/
typedef struct {
    int k;
    double w[2], mean[2][DIM], var[2][DIM];
} Mix;

static double mean_kernel(const Mix *p, const Mix *q, double ell) {
    double total = 0.0, l2 = ell * ell;
    for (int i = 0; i < p->k; i++)
        for (int j = 0; j < q->k; j++) {
            double e = p->w[i] * q->w[j];
            for (int c = 0; c < DIM; c++) {
                double s = l2 + p->var[i][c] + q->var[j][c], dm = p->mean[i][c] - q->mean[j][c];
                //: eq. [eq:L07.Z6.1.mean_kernel], one coordinate
                e *= sqrt(l2 / s) * exp(-dm * dm / (2.0 * s));
            }
            total += e;
        }
    return total;
}

static double mmd2_closed(const Mix *p, const Mix *q, double ell) {
    //: eq. [eq:L07.Z6.1.mmd]
    return mean_kernel(p, p, ell) + mean_kernel(q, q, ell) - 2.0 * mean_kernel(p, q, ell);
}

static void mix_sample(const Mix *m, Rng *r, double *x) {
    int c = (m->k == 1 || rng_uniform(r) < m->w[0]) ? 0 : 1;
    for (int i = 0; i < DIM; i++) x[i] = m->mean[c][i] + sqrt(m->var[c][i]) * rng_normal(r);
}

/*: ## The unbiased estimate and its standard error

$$ \widehat{\mathrm{MMD}}^2_u = \frac{1}{n(n-1)}\sum_{i\ne j} h(z_i, z_j),\qquad
   h(z_i,z_j) = k(x_i,x_j) + k(y_i,y_j) - k(x_i,y_j) - k(x_j,y_i) $$ {#eq:L07.Z6.1.mmd_unbiased}

($n = m$). Its expectation is exactly $\mathrm{MMD}^2$. Standard error of a U-statistic: with
the row means $\bar h_i = \frac1{n-1}\sum_{j\ne i}h_{ij}$,
$\mathrm{se}^2 \approx \frac4n\widehat{\mathrm{Var}}(\bar h_i) + \frac{2}{n(n-1)}\overline{h^2}$
— the first term dominates when $P \ne Q$, the second when $P = Q$ (degenerate case).
The biased V-statistic keeps the diagonal $i = j$:

$$ \widehat{\mathrm{MMD}}^2_b = \frac1{n^2}\sum_{i,j}\big[k(x_i,x_j) + k(y_i,y_j) - 2k(x_i,y_j)\big],\qquad
   \mathbb E\,\widehat{\mathrm{MMD}}^2_b \overset{P=Q}{=} \frac2n\big(1 - \mathbb E\,k(x,x')\big) > 0 . $$ {#eq:L07.Z6.1.mmd_biased}
*/
static double rbf(const double *a, const double *b, double ell) {
    double d2 = 0.0;
    for (int i = 0; i < DIM; i++) d2 += (a[i] - b[i]) * (a[i] - b[i]);
    return exp(-d2 / (2.0 * ell * ell));
}

typedef struct {
    double unbiased, se, biased;
} MmdEstimate;

static MmdEstimate mmd_estimate(const double *x, const double *y, int n, double ell) {
    double *row_mean = xmalloc((size_t)n * sizeof *row_mean);
    double *row_sq = xmalloc((size_t)n * sizeof *row_sq);
    double *row_b = xmalloc((size_t)n * sizeof *row_b);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        double sum_h = 0.0, sum_h2 = 0.0, sum_b = 0.0;
        for (int j = 0; j < n; j++) {
            double kxy = rbf(x + DIM * i, y + DIM * j, ell);
            if (j == i) {
                sum_b += 2.0 - 2.0 * kxy; /* k(x_i,x_i) = k(y_i,y_i) = 1 */
                continue;
            }
            double kxx = rbf(x + DIM * i, x + DIM * j, ell), kyy = rbf(y + DIM * i, y + DIM * j, ell);
            //: $h(z_i,z_j)$ of eq. [eq:L07.Z6.1.mmd_unbiased]
            double h = kxx + kyy - kxy - rbf(x + DIM * j, y + DIM * i, ell);
            sum_h += h;
            sum_h2 += h * h;
            sum_b += kxx + kyy - 2.0 * kxy;
        }
        row_mean[i] = sum_h / (n - 1);
        row_sq[i] = sum_h2 / (n - 1);
        row_b[i] = sum_b;
    }
    MmdEstimate e;
    double var_rows, mean_sq = stats_mean(row_sq, (size_t)n), sum_b = 0.0;
    stats_mean_var(row_mean, (size_t)n, &e.unbiased, &var_rows);
    for (int i = 0; i < n; i++) sum_b += row_b[i];
    //: eq. [eq:L07.Z6.1.mmd_biased]
    e.biased = sum_b / ((double)n * n);
    e.se = sqrt(4.0 * var_rows / n + 2.0 * mean_sq / ((double)n * (n - 1)));
    free(row_mean);
    free(row_sq);
    free(row_b);
    return e;
}

static void draw(const Mix *m, uint64_t seed, uint64_t stream, int n, double *out) {
    Rng r;
    rng_init(&r, seed, stream);
    for (int i = 0; i < n; i++) mix_sample(m, &r, out + DIM * i);
}

static const double length_scale = 1.0; /* the kernel's ell */

/*: ## Z6.1 MMD² of two shifted Gaussians

$P = \mathcal N(0, I_2)$ against $Q = \mathcal N((1, 0), I_2)$ with $\ell = 1$: the closed form of
eq. [eq:L07.Z6.1.mean_kernel] against the spec's $\tfrac23(1 - e^{-1/6}) = 0.1023455167$, and the
unbiased estimate against the closed form.
*/
static void mmd_shifted(const Cli *cli) {
    const int n_mmd = (int)cli_scale(cli, 500, 2000, 5000);
    Mix p0 = {1, {1.0, 0.0}, {{0, 0}, {0, 0}}, {{1, 1}, {1, 1}}};
    Mix q1 = {1, {1.0, 0.0}, {{1, 0}, {0, 0}}, {{1, 1}, {1, 1}}};
    //: $\mathrm{MMD}^2$ by the mixture formula, [eq:L07.Z6.1.mean_kernel]
    double mmd_pq = mmd2_closed(&p0, &q1, length_scale);
    printf("MMD^2(N(0,I), N((1,0),I)), l = 1: closed form %.10f\n", mmd_pq);
    check_close("L07.Z6.1.mmd_closed", mmd_pq, 0.1023455167, 1e-10, "L07.Z6.1.mean_kernel",
                "closed-form MMD^2 (spec value 2/3 (1 - e^-1/6) = 0.1023455167)");
    printf("compact form 2 (l^2/(l^2+2))^(d/2) (1 - e^(-|D|^2/2(l^2+2))) = %.10f\n",
           2.0 / 3.0 * (1.0 - exp(-1.0 / 6.0)));
    double *x = xmalloc((size_t)n_mmd * DIM * sizeof *x), *y = xmalloc((size_t)n_mmd * DIM * sizeof *y);
    draw(&p0, cli->seed, 0, n_mmd, x);
    draw(&q1, cli->seed, 1, n_mmd, y);
    //: the U-statistic, [eq:L07.Z6.1.mmd_unbiased]
    MmdEstimate e_pq = mmd_estimate(x, y, n_mmd, length_scale);
    printf("  unbiased estimate (n = m = %d): %.5f +- %.5f; biased V-statistic %.5f\n", n_mmd,
           e_pq.unbiased, e_pq.se, e_pq.biased);
    check_mc("L07.Z6.1.mmd_unbiased", e_pq.unbiased, mmd_pq, e_pq.se, 4, n_mmd,
             "L07.Z6.1.mmd_unbiased", "unbiased MMD^2 estimate vs closed form (U-statistic se)");
    free(x);
    free(y);
}

/*: ## Z6.1 P against itself: unbiased vs biased

Two independent samples of the same $P = \mathcal N(0, I_2)$: the unbiased estimate
scatters around 0 (it can be negative); the V-statistic sits at
$\frac2n(1 - \tfrac13) = \frac{4}{3n}$, because $\mathbb E\,k(x,x') = \ell^2/(\ell^2+2) = \tfrac13$.
With a bias this size comparisons between models evaluated on different $n$ would be
skewed: hence "bias-corrected" CMMD.
*/
static void mmd_null(const Cli *cli, int n_small) {
    Mix p0 = {1, {1.0, 0.0}, {{0, 0}, {0, 0}}, {{1, 1}, {1, 1}}};
    double *x = xmalloc((size_t)n_small * DIM * sizeof *x), *y = xmalloc((size_t)n_small * DIM * sizeof *y);
    draw(&p0, cli->seed, 2, n_small, x);
    draw(&p0, cli->seed, 3, n_small, y);
    MmdEstimate e_pp = mmd_estimate(x, y, n_small, length_scale);
    double kpp = mean_kernel(&p0, &p0, length_scale);
    double se_null = e_pp.se;
    printf("P vs P (n = %d): unbiased %.2e +- %.1e, biased %.3e (expected 2/n (1 - E k) = %.3e)\n",
           n_small, e_pp.unbiased, se_null, e_pp.biased, 2.0 / n_small * (1.0 - kpp));
    check_mc("L07.Z6.1.mmd_null", e_pp.unbiased, 0.0, se_null, 4, n_small,
             "L07.Z6.1.mmd_unbiased", "unbiased MMD^2 of P vs P is 0 within 4 se");
    check_mc("L07.Z6.1.mmd_biased_offset", e_pp.biased, 2.0 / n_small * (1.0 - kpp), se_null, 4,
             n_small, "L07.Z6.1.mmd_biased",
             "V-statistic of P vs P sits at 2/n (1 - E k(x,x')) = 4/(3n), not at 0");
    free(x);
    free(y);
}

/*: ## Z6.6 / Z6.1 what the Fréchet distance cannot see

$P = \tfrac12\mathcal N((-3,0), I) + \tfrac12\mathcal N((3,0), I)$ and
$Q = \mathcal N(0, \mathrm{diag}(10, 1))$ have the same mean and covariance. FD (FID,
FD-DINOv2: eq. [eq:L07.Z5.3.fid] on any features) sees only those two moments, so their
distance is exactly 0; the kernel MMD compares the whole distributions.
*/
static void fd_blind_to_shape(const Cli *cli, int n_small) {
    double *x = xmalloc((size_t)n_small * DIM * sizeof *x), *y = xmalloc((size_t)n_small * DIM * sizeof *y);
    Mix bimodal = {2, {0.5, 0.5}, {{-3, 0}, {3, 0}}, {{1, 1}, {1, 1}}};
    Mix matched = {1, {1.0, 0.0}, {{0, 0}, {0, 0}}, {{10, 1}, {10, 1}}};
    const double mu_zero[DIM] = {0, 0}, cov_matched[DIM * DIM] = {10, 0, 0, 1};
    //: FD of the two populations' moments, [eq:L07.Z5.3.fid]
    double fd_pop = frechet_distance(mu_zero, cov_matched, mu_zero, cov_matched, DIM, NULL);
    double mmd_bm = mmd2_closed(&bimodal, &matched, length_scale);
    draw(&bimodal, cli->seed, 4, n_small, x);
    draw(&matched, cli->seed, 5, n_small, y);
    MmdEstimate e_bm = mmd_estimate(x, y, n_small, length_scale);
    double mx[DIM], my[DIM], cx[DIM * DIM], cy[DIM * DIM];
    stats_covariance(x, (size_t)n_small, DIM, mx, cx);
    stats_covariance(y, (size_t)n_small, DIM, my, cy);
    double fd_sample = frechet_distance(mx, cx, my, cy, DIM, NULL);
    printf("bimodal vs moment-matched Gaussian: population FD = %.1e, sample FD = %.4f; "
           "MMD^2 closed form %.5f, estimate %.5f +- %.5f\n", fd_pop, fd_sample, mmd_bm,
           e_bm.unbiased, e_bm.se);
    check_close("L07.Z6.6.fd_blind", fd_pop, 0.0, 1e-12, "L07.Z5.3.fid",
                "population Frechet distance between the bimodal P and the matched Gaussian is 0");
    check_mc("L07.Z6.1.mmd_sees_shape", e_bm.unbiased, mmd_bm, e_bm.se, 4, n_small,
             "L07.Z6.1.mmd_unbiased", "unbiased MMD^2 estimate vs closed form %.5f for the same pair",
             mmd_bm);
    check_ge("L07.Z6.1.mmd_detects", e_bm.unbiased / e_bm.se, 4.0, 0.0, "L07.Z6.1.mmd_unbiased",
             "MMD^2 separates them: estimate / se >= 4 where FD is 0");
    free(x);
    free(y);
}

/*: ## Z6.2 The likelihood-ratio trick by logistic regression

Samples $x \sim \mathcal N(0,1)$ labelled 1 ($\theta_0$) and $x \sim \mathcal N(1,1)$ labelled 0
($\theta_1$), $n$ of each. The exact log-ratio is linear,
$\log r(x) = -\tfrac{x^2}{2} + \tfrac{(x-1)^2}{2} = 0.5 - x$, so a logistic regression
$D(x) = \sigma(a + bx)$ is well specified and its maximum-likelihood fit must give
$a \to 0.5$, $b \to -1$. Newton's method on the log-likelihood:

$$ g = \sum_i (y_i - D_i)\begin{pmatrix}1\\x_i\end{pmatrix},\quad
   H = -\sum_i D_i(1-D_i)\begin{pmatrix}1 & x_i\\ x_i & x_i^2\end{pmatrix},\quad
   (a,b) \leftarrow (a,b) - H^{-1}g $$ {#eq:L07.Z6.2.newton}

and $(-H)^{-1}$ at the optimum is the asymptotic covariance of $(\hat a, \hat b)$ (inverse
Fisher information), which gives the standard errors of the checks.
*/
/* Newton's method for the logistic fit of eq. [eq:L07.Z6.2.newton]: the first n_lr of xs are
   labelled 1, the next n_lr labelled 0. coef = (a, b); cov = (-H)^{-1} at the end, as
   (c00, c01, c11). Returns the number of steps taken minus one. */
static int logistic_newton(const double *xs, long n_lr, double *coef, double *cov) {
    coef[0] = coef[1] = 0.0;
    int iters = 0;
    for (; iters < 50; iters++) {
        double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
        for (long i = 0; i < 2 * n_lr; i++) {
            double label = i < n_lr ? 1.0 : 0.0, xi = xs[i];
            double d = sigmoid(coef[0] + coef[1] * xi), w = d * (1.0 - d);
            //: $g = \sum_i (y_i - D_i)(1, x_i)^\top$, [eq:L07.Z6.2.newton]
            g0 += label - d;
            g1 += (label - d) * xi;
            //: $-H = \sum_i D_i(1-D_i)\,(1, x_i)^\top(1, x_i)$, [eq:L07.Z6.2.newton]
            h00 += w;
            h01 += w * xi;
            h11 += w * xi * xi;
        }
        double det = h00 * h11 - h01 * h01;
        cov[0] = h11 / det; /* (-H)^{-1} */
        cov[1] = -h01 / det;
        cov[2] = h00 / det;
        //: $(a,b) \leftarrow (a,b) + (-H)^{-1}g$, eq. [eq:L07.Z6.2.newton]
        double step0 = cov[0] * g0 + cov[1] * g1, step1 = cov[1] * g0 + cov[2] * g1;
        coef[0] += step0;
        coef[1] += step1;
        if (fabs(step0) + fabs(step1) < 1e-13) break;
    }
    return iters;
}

/* Fits the classifier; coef receives (a, b) for the figure. */
static void ratio_trick(const Cli *cli, double *coef) {
    const long n_lr = cli_scale(cli, 10000, 100000, 1000000);
    double *xs = xmalloc((size_t)(2 * n_lr) * sizeof *xs);
    Rng rng;
    rng_init(&rng, cli->seed, 6);
    for (long i = 0; i < n_lr; i++) xs[i] = rng_normal(&rng);              /* theta_0: label 1 */
    for (long i = 0; i < n_lr; i++) xs[n_lr + i] = 1.0 + rng_normal(&rng); /* theta_1: label 0 */
    double cov[3];
    const int iters = logistic_newton(xs, n_lr, coef, cov);
    printf("logistic regression (%ld + %ld samples, %d Newton steps): log D/(1-D) = %.5f %+.5f x\n",
           n_lr, n_lr, iters + 1, coef[0], coef[1]);
    check_mc("L07.Z6.2.intercept", coef[0], 0.5, sqrt(cov[0]), 4, 2 * n_lr,
             "L07.Z6.2.ratio_trick", "intercept of log D/(1-D) equals 0.5 (se from inverse Fisher)");
    check_mc("L07.Z6.2.slope", coef[1], -1.0, sqrt(cov[2]), 4, 2 * n_lr, "L07.Z6.2.ratio_trick",
             "slope of log D/(1-D) equals -1 (se from inverse Fisher)");
    const double x_eval[4] = {-1.0, 0.0, 0.5, 2.0};
    for (int k = 0; k < 4; k++) {
        double xk = x_eval[k];
        //: $\hat r(x) = D/(1-D) = e^{a + bx}$, eq. [eq:L07.Z6.2.ratio_trick]
        double log_r_hat = coef[0] + coef[1] * xk, log_r = 0.5 - xk;
        double se = sqrt(cov[0] + 2.0 * xk * cov[1] + xk * xk * cov[2]);
        char id[64];
        snprintf(id, sizeof id, "L07.Z6.2.ratio_at_%d", k);
        printf("  x = %4.1f: r_hat = %.4f, exact p0/p1 = %.4f\n", xk, exp(log_r_hat), exp(log_r));
        if (xk == 0.0) continue; /* log r_hat(0) is the intercept, checked above */
        check_mc(id, log_r_hat, log_r, se, 4, 2 * n_lr, "L07.Z6.2.ratio_trick",
                 "log r_hat(%.1f) vs exact log p0/p1 = %.1f (delta-method se)", xk, log_r);
    }
    free(xs);
}

/* Figure `ratio_trick.png`: estimated vs exact log-ratio, and the classifier D(x) vs D*(x). */
static void figure(const Cli *cli, const double *coef) {
    enum { NG = 200 };
    double gx[NG], lr_hat[NG], lr_exact[NG], d_hat[NG], d_star[NG];
    for (int i = 0; i < NG; i++) {
        gx[i] = -3.0 + 7.0 * i / (NG - 1);
        lr_hat[i] = coef[0] + coef[1] * gx[i];
        lr_exact[i] = 0.5 - gx[i];
        d_hat[i] = sigmoid(lr_hat[i]);
        double lp0 = gauss_logpdf_1d(gx[i], 0, 1), lp1 = gauss_logpdf_1d(gx[i], 1, 1);
        d_star[i] = exp(lp0 - logaddexp(lp0, lp1));
    }
    Plot *plot = plot_new_grid(1, 2, 1100, 420, "Z6.2: a classifier estimates the likelihood ratio");
    plot_panel(plot, 0);
    plot_title(plot, "log r(x) = log p(x|theta0) / p(x|theta1)");
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "log ratio");
    PlotSeries *s = plot_line(plot, gx, lr_exact, NG, "exact 0.5 - x");
    plot_series_color(s, PLOT_BLACK);
    plot_series_width(s, 3.0);
    s = plot_line(plot, gx, lr_hat, NG, "log D/(1-D), logistic fit");
    plot_series_color(s, PLOT_ORANGE);
    plot_series_dash(s, PLOT_DASHED);
    plot_panel(plot, 1);
    plot_title(plot, "classifier D(x) and the optimal D*(x)");
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "D(x)");
    s = plot_line(plot, gx, d_star, NG, "D* = p0 / (p0 + p1)");
    plot_series_color(s, PLOT_BLACK);
    plot_series_width(s, 3.0);
    s = plot_line(plot, gx, d_hat, NG, "fitted D");
    plot_series_color(s, PLOT_ORANGE);
    plot_series_dash(s, PLOT_DASHED);
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "ratio_trick.png"), err, sizeof err) != 0)
        die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z6.1/Z6.2/Z6.6: MMD (CMMD) vs Frechet distance; the likelihood-ratio trick", 17,
              NULL);
    const int n_small = (int)cli_scale(&cli, 500, 1000, 5000);
    double coef[2];
    mmd_shifted(&cli);
    mmd_null(&cli, n_small);
    fd_blind_to_shape(&cli, n_small);
    ratio_trick(&cli, coef);
    figure(&cli, coef);
    return check_end();
}
