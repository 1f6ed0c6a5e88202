/*: # L35 4.4 — Langevin dynamics on the 2-D Gaussian mixture

**Lecture 35, Part 2, sections 4.4, 4.5, 4.6 and 4.9** (single-chain sampler, its "fast"
variant, the math-to-code table, the 10,000-chain batch), with FAQ Q3, Q8, Q10 and the
self-test §5.1 Q4.

The target is the lecture's mixture $p = \tfrac12\mathcal N([-2,0], I) + \tfrac12\mathcal N([2,0], I)$
with its exact score. The sampler is `common/langevin.h`, the course's batch ULA.

What you will see: the lecture's single chain from $[10,10]$ (final sample, the window
statistics it prints, and why "std ≈ [1,1]" is not what a 200-step window gives), the
noise-free gradient flow that stops at the mode, 10,000 chains after 1,000 steps (not yet
balanced between the modes: about 71% sit on the starting side), the same chains run long
enough to reach equilibrium, the $O(\epsilon)$ bias of ULA (FAQ Q8), temperature (FAQ Q10)
and the weak order 1 of Euler–Maruyama (§5.1 Q4).
Figure: `langevin_gmm2d.png`, the 10,000 final states over the density with the single chain's
path, and the trace of $x_1$ of that chain.

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/03_langevin_gmm2d [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ (chain states) | `x` | (n_chains, 2) |
| $s(x) = \nabla_x\log p(x)$ | `gmm2_score`, `score` | (n, 2) |
| $\epsilon$ (step size) | `EPS`, `lp.step_size` | scalar |
| $T$ (temperature) | `lp.temperature` | scalar |
| $\mu_{1,2} = [\mp 2, 0]$ | `gmm` (common/gauss.h) | (2, 2) |
| $x^\ast$ (mode of $p$) | `mode_x1` | scalar |
| single-chain path | `path` | (1001, 2) |
| window sums over the last 200 steps | `Window` (`win`) | (n, 2) |
| $v_n$, $m_n$ (exact ULA on $\mathcal N(0,1)$) | `ula_gauss_var`, `ula_gauss_mean` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/langevin.h"
#include "common/plot.h"
#include "common/util.h"

/*: ## 4.4 The score of the mixture

With unit covariances the responsibilities are a logistic function of $x_1$ and the score
$s(x) = \sum_k r_k(x)(\mu_k - x)$ (eq. [eq:common.gauss.gmm_score]) collapses to

$$ s(x) = \big(-x_1 + 2\tanh(2x_1),\ -x_2\big) $$ {#eq:L35.4.4.gmm_score}

which cannot underflow (the naive ratio $w_1/(w_1+w_2)$ of the lecture becomes 0/0 far out).
The batch callback uses this form; it is checked against the general mixture score of
`common/gauss.h` below.
*/
static const double EPS = 0.01;
static const long N_STEPS = 1000;

static void gmm2_score(const double *x, size_t n, size_t dim, double sigma, double *score, void *ctx) {
    (void)sigma, (void)ctx, (void)dim;
    for (size_t c = 0; c < n; c++) {
        //: $s = (-x_1 + 2\tanh 2x_1,\ -x_2)$, eq. [eq:L35.4.4.gmm_score]
        score[2 * c] = -x[2 * c] + 2.0 * tanh(2.0 * x[2 * c]);
        score[2 * c + 1] = -x[2 * c + 1];
    }
}

/* The mixture of common/gauss.h: the reference for the closed-form score, and the figure's density. */
/* The tanh form against the general mixture score (section 4.4 above). */
static void score_closed_form(const Gmm *gmm) {
    double score_err = 0.0;
    for (int i = 0; i <= 40; i++)
        for (int j = 0; j <= 20; j++) {
            double pt[2] = {-10.0 + 0.5 * i, -5.0 + 0.5 * j}, s_ref[2], s_fast[2];
            //: $\sum_k r_k(\mu_k - x)$, [eq:common.gauss.gmm_score]
            gmm_score(gmm, pt, s_ref);
            //: $s$ in tanh form, [eq:L35.4.4.gmm_score]
            gmm2_score(pt, 1, 2, 0.0, s_fast, NULL);
            score_err = fmax(score_err, fmax(fabs(s_ref[0] - s_fast[0]), fabs(s_ref[1] - s_fast[1])));
        }
    check_close("L35.4.4.score_closed_form", score_err, 0.0, 1e-12, "L35.4.4.gmm_score",
                "max |tanh-form score - mixture score of common/gauss.h| on a 41 x 21 grid over [-10,10]x[-5,5]");
}

/* Score of N(0, I) in any dimension (FAQ Q8, Q10, §5.1 Q4). */
static void std_normal_score(const double *x, size_t n, size_t dim, double sigma, double *score,
                             void *ctx) {
    (void)sigma, (void)ctx;
    for (size_t i = 0; i < n * dim; i++) score[i] = -x[i];
}

static void run_or_die(const LangevinParams *lp, double *x) {
    LangevinResult res;
    if (langevin_run(lp, x, &res) != LANGEVIN_OK) die("%s", res.message);
}

/* Observer of the batch: per-chain sums over the last `window` points of the path, and
   whether the chain crossed x1 = 0 inside the window. */
typedef struct {
    size_t first_step, n;
    double *sum, *sum2; /* n x 2 */
    unsigned char *crossed;
    double *prev_x1;
} Window;

static int window_observe(const double *x, size_t n, size_t dim, size_t step, size_t level,
                          double sigma, void *ctx) {
    (void)level, (void)sigma;
    Window *w = ctx;
    if (step < w->first_step) return 0;
    for (size_t c = 0; c < n; c++) {
        for (size_t j = 0; j < dim; j++) {
            w->sum[c * dim + j] += x[c * dim + j];
            w->sum2[c * dim + j] += x[c * dim + j] * x[c * dim + j];
        }
        if (step > w->first_step && (x[c * dim] > 0) != (w->prev_x1[c] > 0)) w->crossed[c] = 1;
        w->prev_x1[c] = x[c * dim];
    }
    return 0;
}

/*: ## 7.3 ULA on a linear score, exactly

For $\mathcal N(0, 1)$ the update $x \leftarrow (1-\epsilon)x + \sqrt{2\epsilon T}\,z$ is linear
and Gaussian, so mean and variance follow recursions that can be solved:

$$ m_n = (1-\epsilon)^n x_0,\qquad v_n = (1-\epsilon)^2 v_{n-1} + 2\epsilon T
   \ \Rightarrow\ v_n = \frac{T\,\big(1 - (1-\epsilon)^{2n}\big)}{1 - \epsilon/2}
   \ \xrightarrow{n\to\infty}\ \frac{T}{1-\epsilon/2} $$ {#eq:L35.7.3.ula_bias}

The continuous process (Ornstein–Uhlenbeck) has instead $m(t) = e^{-t}x_0$ and
$v(t) = T(1 - e^{-2t})$, $t = n\epsilon$: the stationary variance is off by
$\epsilon/2$ relative (FAQ Q8), and the mean at fixed $t$ by $O(\epsilon)$ (weak order 1).
*/
static double ula_gauss_mean(double x0, double eps, long n) {
    //: $m_n = (1-\epsilon)^n x_0$, [eq:L35.7.3.ula_bias]
    return pow(1.0 - eps, (double)n) * x0;
}
static double ula_gauss_var(double eps, long n, double temp) {
    //: $v_n = T(1-(1-\epsilon)^{2n})/(1-\epsilon/2)$, eq. [eq:L35.7.3.ula_bias]
    return temp * (1.0 - pow(1.0 - eps, 2.0 * (double)n)) / (1.0 - eps / 2.0);
}

/* Expected within-window population variance (1/W) sum_k (y_k - ybar)^2 over steps
   k = first..last of the Gaussian AR(1) y_k = rho y_{k-1} + sqrt(2 eps) z, y_0 given:
   E = mean_k (V_k + m_k^2) - Var(ybar) - mean_k(m_k)^2, Cov(y_i, y_j) = rho^{j-i} V_i (i <= j). */
static double expected_window_var(double y0, double eps, long first, long last) {
    const double rho = 1.0 - eps;
    const long w = last - first + 1;
    double mean_sq = 0.0, mean_m = 0.0, var_bar = 0.0;
    for (long i = first; i <= last; i++) {
        double v_i = ula_gauss_var(eps, i, 1.0), m_i = ula_gauss_mean(y0, eps, i);
        mean_sq += v_i + m_i * m_i;
        mean_m += m_i;
        var_bar += v_i; /* diagonal */
        double r = 1.0;
        for (long j = i + 1; j <= last; j++) {
            r *= rho;
            var_bar += 2.0 * r * v_i;
        }
    }
    mean_sq /= (double)w;
    mean_m /= (double)w;
    var_bar /= (double)w * (double)w;
    return mean_sq - var_bar - mean_m * mean_m;
}

static void moments_1d(const double *x, size_t n, size_t stride, double *mean, double *var) {
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < n; i++) m += x[i * stride];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) v += (x[i * stride] - m) * (x[i * stride] - m);
    *mean = m;
    *var = v / (double)(n - 1);
}

static double frac_positive(const double *x, size_t n, size_t stride) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += x[i * stride] > 0.0;
    return (double)k / (double)n;
}

/*: ## 4.4 The lecture's single chain

$$ x_{t+1} = x_t + \epsilon\,\nabla_x\log p(x_t) + \sqrt{2\epsilon}\,z_t,\qquad \epsilon = 0.01,\ 1000 \text{ steps from } [10, 10] $$ {#eq:L35.4.4.ula}

This is eq. [eq:common.langevin.ula] with $G = I$, $T = 1$ (the §4.6 table's last row and
the §5.1 Q4 answer are the same line). The lecture then averages the last 200 points (§4.5:
the last 100) of this one path.
*/
static void single_chain(const Cli *cli, double *path) {
    path[0] = 10.0, path[1] = 10.0;
    LangevinParams lp;
    langevin_params_init(&lp, 1, 2, gmm2_score, NULL);
    lp.step_size = EPS;
    lp.n_steps = (size_t)N_STEPS;
    lp.seed = cli->seed;
    lp.observe = langevin_store_path; /* common/langevin.h: chain 0's path */
    lp.observe_ctx = path;
    lp.observe_every = 1;
    double single[2] = {10.0, 10.0};
    //: $x_{t+1} = x_t + \epsilon s(x_t) + \sqrt{2\epsilon}z_t$, [eq:L35.4.4.ula]
    run_or_die(&lp, single);
    double win_mean[2], win_std[2], last100[2] = {0, 0};
    for (int j = 0; j < 2; j++) {
        double m = 0, v = 0;
        for (int k = 801; k <= 1000; k++) m += path[2 * k + j];
        m /= 200.0;
        for (int k = 801; k <= 1000; k++) v += (path[2 * k + j] - m) * (path[2 * k + j] - m);
        win_mean[j] = m;
        //: window std over the last 200 points
        win_std[j] = sqrt(v / 200.0);
        for (int k = 901; k <= 1000; k++) last100[j] += path[2 * k + j] / 100.0;
    }
    printf("single chain (seed %llu): final sample [%.4f, %.4f]\n", (unsigned long long)cli->seed,
           single[0], single[1]);
    printf("  last-200 mean [%.2f, %.2f], std [%.2f, %.2f]; last-100 mean [%.2f, %.2f]; %s mode\n",
           win_mean[0], win_mean[1], win_std[0], win_std[1], last100[0], last100[1],
           fabs(win_mean[0] + 2) < fabs(win_mean[0] - 2) ? "left" : "right");
    check_true("L35.4.4.single_chain_path", memcmp(single, path + 2000, sizeof single) == 0,
               "the observer's path ends at the sampler's final state");
}

/*: ## 4.4 Without noise: gradient flow to the mode

With $T = 0$ the update is gradient ascent on $\log p$. It stops at the mode
$x^\ast = (x_1^\ast, 0)$ with $x_1^\ast = 2\tanh(2x_1^\ast) = 1.998659\ldots$, not exactly at
$\mu_2 = [2, 0]$: the other component still pulls a little.
*/
static double gradient_flow(void) {
    LangevinParams lp;
    double mode_x1 = 2.0; /* Newton on f(x) = x - 2 tanh 2x */
    for (int it = 0; it < 50; it++) {
        double t = tanh(2.0 * mode_x1);
        //: Newton step on $x - 2\tanh 2x = 0$
        mode_x1 -= (mode_x1 - 2.0 * t) / (1.0 - 4.0 * (1.0 - t * t));
    }
    double flow[2] = {10.0, 10.0};
    langevin_params_init(&lp, 1, 2, gmm2_score, NULL);
    lp.step_size = EPS;
    lp.n_steps = (size_t)N_STEPS;
    lp.temperature = 0.0;
    //: $x \leftarrow x + \epsilon s(x)$ ($T = 0$ in [eq:L35.4.4.ula])
    run_or_die(&lp, flow);
    double flow_dist = hypot(flow[0] - mode_x1, flow[1]);
    printf("gradient flow (T = 0): [%.6f, %.6f]; mode x1* = %.6f; distance to [2,0] = %.2e\n", flow[0],
           flow[1], mode_x1, hypot(flow[0] - 2.0, flow[1]));
    check_le("L35.4.4.gradient_flow_no_noise", flow_dist, 1e-3, 0.0, "L35.4.4.ula",
             "|x_1000 - x*| for the noise-free update from [10,10] (x* = mode of p)");
    return mode_x1;
}

/*: ## 4.9 The batch: 10,000 chains from $[10, 10]$

The chains are independent (one Philox stream each), so the batch is the lecture's
`langevin_batch_parallel`. After 1000 steps ($t = 10$) they are **not** at equilibrium:
the barrier at $x_1 = 0$ is crossed rarely, and the continuous process has
$P(x_1 > 0) = 0.7137$ at $t = 10$ (spec L35 §4.9, from a Fokker–Planck solve; program 04
reproduces it). The $x_2$ coordinate is an exact ULA Ornstein–Uhlenbeck chain, so its mean
and variance follow eq. [eq:L35.7.3.ula_bias].
*/
static double *batch(const Cli *cli, size_t n_batch, Window *win_out) {
    LangevinParams lp;
    double *x = xmalloc(sizeof(double) * n_batch * 2);
    for (size_t c = 0; c < n_batch; c++) x[2 * c] = 10.0, x[2 * c + 1] = 10.0;
    Window win = {.first_step = 801, .n = n_batch};
    win.sum = xcalloc(n_batch * 2, sizeof(double));
    win.sum2 = xcalloc(n_batch * 2, sizeof(double));
    win.crossed = xcalloc(n_batch, 1);
    win.prev_x1 = xcalloc(n_batch, sizeof(double));
    langevin_params_init(&lp, n_batch, 2, gmm2_score, NULL);
    lp.step_size = EPS;
    lp.n_steps = (size_t)N_STEPS;
    lp.seed = cli->seed + 1;
    lp.observe = window_observe;
    lp.observe_ctx = &win;
    lp.observe_every = 1;
    double t0 = now_seconds();
    //: all chains by [eq:L35.4.4.ula], one Philox stream each
    run_or_die(&lp, x);
    double t_batch = now_seconds() - t0;
    fprintf(stderr, "timing: %zu chains x %ld steps in %.3f s = %.0f samples/s (lecture table: 222 / 833 / 2380)\n",
            n_batch, N_STEPS, t_batch, (double)n_batch / t_batch);

    double p_right = frac_positive(x, n_batch, 2), mean_x1, var_x1, mean_y, var_y;
    moments_1d(x, n_batch, 2, &mean_x1, &var_x1);
    moments_1d(x + 1, n_batch, 2, &mean_y, &var_y);
    printf("batch of %zu after %ld steps: P(x1 > 0) = %.4f, mean [%.3f, %.3f], var [%.3f, %.3f]\n", n_batch,
           N_STEPS, p_right, mean_x1, mean_y, var_x1, var_y);
    const double p_fp = 0.7137; /* spec L35 §4.9 / §4 item 3: Fokker–Planck, t = 10 */
    check_mc("L35.4.9.batch_p_right", p_right, p_fp, sqrt(p_right * (1 - p_right) / (double)n_batch), 4.0,
             (long)n_batch, "L35.4.4.ula",
             "P(x1 > 0) after 1000 steps from [10,10]: still 71%% on the starting side (FP value 0.7137; "
             "ULA bias at eps = 0.01 is far below the SE)");
    //: $v_{1000}$, $m_{1000}$ of $x_2$, [eq:L35.7.3.ula_bias]
    const double vy_exact = ula_gauss_var(EPS, N_STEPS, 1.0), my_exact = ula_gauss_mean(10.0, EPS, N_STEPS);
    check_mc("L35.4.9.batch_mean_y", mean_y, my_exact, sqrt(vy_exact / (double)n_batch), 4.0, (long)n_batch,
             "L35.7.3.ula_bias", "mean of x2 after 1000 steps = 10 (1-eps)^1000 = %.2e (exact ULA)", my_exact);
    check_mc("L35.4.9.batch_var_y", var_y, vy_exact, vy_exact * sqrt(2.0 / (double)(n_batch - 1)), 4.0,
             (long)n_batch, "L35.7.3.ula_bias", "variance of x2 after 1000 steps (exact ULA value %.6f)", vy_exact);
    *win_out = win;
    return x;
}

/*: ## 4.4 What the lecture's window statistics measure

The mean of the 200 points of one path estimates the mode, but their standard deviation is
not the stationary one: 200 steps are $t = 2$ time units, about two correlation times, so
the points are strongly correlated and their spread is smaller than 1. For $x_2$ the
expected within-window variance follows exactly from the AR(1) covariance
$\mathrm{Cov}(y_i, y_j) = (1-\epsilon)^{j-i}\,v_i$; for $x_1$ the batch gives its value.
*/
static void window_stats(Window *win, size_t n_batch) {
    double wvar[2] = {0, 0}, wvar2[2] = {0, 0};
    size_t n_crossed = 0, n_left = 0;
    for (size_t c = 0; c < n_batch; c++) {
        for (int j = 0; j < 2; j++) {
            double m = win->sum[2 * c + j] / 200.0;
            //: window variance $\overline{y^2} - \bar y^2$
            double v = win->sum2[2 * c + j] / 200.0 - m * m;
            wvar[j] += v;
            wvar2[j] += v * v;
        }
        n_crossed += win->crossed[c];
        n_left += win->sum[2 * c] < 0.0;
    }
    double wvar_se[2];
    for (int j = 0; j < 2; j++) {
        wvar[j] /= (double)n_batch;
        wvar_se[j] = sqrt((wvar2[j] / (double)n_batch - wvar[j] * wvar[j]) / (double)(n_batch - 1));
    }
    //: expected window variance from $\mathrm{Cov}(y_i, y_j) = (1-\epsilon)^{j-i}v_i$, [eq:L35.7.3.ula_bias]
    const double wvar_y_exact = expected_window_var(10.0, EPS, 801, 1000);
    printf("window of the last 200 points, averaged over chains: std ~ [%.3f, %.3f] (sqrt of mean var); "
           "%.1f%% of chains end left, %.1f%% cross x1 = 0 inside the window\n",
           sqrt(wvar[0]), sqrt(wvar[1]), 100.0 * (double)n_left / (double)n_batch,
           100.0 * (double)n_crossed / (double)n_batch);
    check_mc("L35.4.4.window_var_y", wvar[1], wvar_y_exact, wvar_se[1], 4.0, (long)n_batch, "L35.4.4.ula",
             "within-window variance of x2 over the last 200 points (exact AR(1) value %.4f; SE from the chains)",
             wvar_y_exact);
    check_erratum("L35.4.4.window_std", 1.0, sqrt(wvar_y_exact),
                  "the lecture expects std ~ [1, 1] from the last 200 points of one chain; the expected spread of "
                  "x2 there is %.3f (x1: %.3f), because 200 steps are only t = 2",
                  sqrt(wvar_y_exact), sqrt(wvar[0]));
    free(win->sum), free(win->sum2), free(win->crossed), free(win->prev_x1);
}

/*: ## 4.9 Equilibrium: the same chains, run long

With 20,000 steps ($t = 200$) the mode weights equalise; the moments approach those of $p$:
mean $0$, $\mathrm{Var}\,x_1 = 1 + 4 = 5$, $\mathrm{Var}\,x_2 = 1$, $P(x_1>0) = \tfrac12$.
ULA's own bias (eq. [eq:L35.7.3.ula_bias]: $+0.5\%$ in variance at $\epsilon = 0.01$) is
used for $x_2$, where it is exact, and is far below the standard error for $x_1$.
*/
static void equilibrium(const Cli *cli) {
    LangevinParams lp;
    const size_t n_eq = (size_t)cli_scale(cli, 100, 2000, 2000);
    const long eq_steps = 20000;
    double *xe = xmalloc(sizeof(double) * n_eq * 2);
    for (size_t c = 0; c < n_eq; c++) xe[2 * c] = 10.0, xe[2 * c + 1] = 10.0;
    langevin_params_init(&lp, n_eq, 2, gmm2_score, NULL);
    lp.step_size = EPS;
    lp.n_steps = (size_t)eq_steps;
    lp.seed = cli->seed + 2;
    //: 20,000 steps of [eq:L35.4.4.ula]
    run_or_die(&lp, xe);
    double eq_p = frac_positive(xe, n_eq, 2), eq_mx, eq_vx, eq_my, eq_vy;
    moments_1d(xe, n_eq, 2, &eq_mx, &eq_vx);
    moments_1d(xe + 1, n_eq, 2, &eq_my, &eq_vy);
    printf("equilibrium, %zu chains x %ld steps: mean [%.3f, %.3f], var [%.3f, %.3f], P(x1 > 0) = %.3f\n", n_eq,
           eq_steps, eq_mx, eq_my, eq_vx, eq_vy, eq_p);
    double kurt4 = 0; /* E (x1^2 - 5)^2 = Var(x1^2) for the SE of the variance of x1 */
    for (size_t c = 0; c < n_eq; c++) kurt4 += pow(xe[2 * c] * xe[2 * c] - eq_vx, 2);
    kurt4 /= (double)n_eq;
    check_mc("L35.4.4.equilibrium_mean_x1", eq_mx, 0.0, sqrt(eq_vx / (double)n_eq), 4.0, (long)n_eq, "L35.4.4.ula",
             "mean of x1 at t = 200");
    check_mc("L35.4.4.equilibrium_var_x1", eq_vx, 5.0, sqrt(kurt4 / (double)n_eq), 4.0, (long)n_eq, "L35.4.4.ula",
             "variance of x1 at t = 200 -> 1 + 4 = 5 (SE from the sample fourth moment)");
    //: $v_n$ at $n = 20000$, [eq:L35.7.3.ula_bias]
    const double vy_eq = ula_gauss_var(EPS, eq_steps, 1.0);
    check_mc("L35.4.4.equilibrium_var_y", eq_vy, vy_eq, vy_eq * sqrt(2.0 / (double)(n_eq - 1)), 4.0, (long)n_eq,
             "L35.7.3.ula_bias", "variance of x2 at t = 200: 1/(1-eps/2) = %.6f", vy_eq);
    check_mc("L35.4.4.equilibrium_p_right", eq_p, 0.5, 0.5 / sqrt((double)n_eq), 4.0, (long)n_eq, "L35.4.4.ula",
             "P(x1 > 0) at t = 200 -> 1/2 (residual imbalance ~0.004, below the SE)");
    free(xe);
}

/*: ## 7.3 FAQ Q8: the price of skipping Metropolis

Eq. [eq:L35.7.3.ula_bias] at $T = 1$: ULA's stationary variance on $\mathcal N(0,1)$ is
$1/(1-\epsilon/2)$. Iterating the recursion, and running the sampler with $\epsilon = 0.5$,
both give $4/3$.
*/
static void faq_q8(const Cli *cli) {
    LangevinParams lp;
    printf("FAQ Q8, stationary ULA variance on N(0,1): ");
    const double eps_list[4] = {0.01, 0.05, 0.1, 0.5};
    for (int i = 0; i < 4; i++) printf("eps=%.2f: %.7f%s", eps_list[i], 1.0 / (1.0 - eps_list[i] / 2), i < 3 ? ", " : "\n");
    /* the spec's table (L35 §4 item 4), reproduced by iterating the recursion to its fixed point */
    const double v_spec[3] = {1.0050251, 1.0256410, 1.0526316};
    double worst_v = 0.0;
    for (int i = 0; i < 3; i++) {
        double v = 0.0;
        //: $v \leftarrow (1-\epsilon)^2 v + 2\epsilon$, eq. [eq:L35.7.3.ula_bias] at $T = 1$
        for (int k = 0; k < 20000; k++) v = (1 - eps_list[i]) * (1 - eps_list[i]) * v + 2 * eps_list[i];
        worst_v = fmax(worst_v, fabs(v - v_spec[i]));
    }
    check_le("L35.7.3.ula_stationary_variances", worst_v, 5e-8, 0.0, "L35.7.3.ula_bias",
             "the recursion iterated 20000 times at eps = 0.01, 0.05, 0.1 vs the spec's 1.0050251, 1.0256410, "
             "1.0526316 (largest difference; half a unit of the 7th decimal)");
    double v_rec = 0.0;
    //: $v \leftarrow (1-\epsilon)^2 v + 2\epsilon$ at $\epsilon = 0.5$, [eq:L35.7.3.ula_bias]
    for (int k = 0; k < 200; k++) v_rec = (1 - 0.5) * (1 - 0.5) * v_rec + 2 * 0.5;
    check_close("L35.7.3.ula_bias_recursion", v_rec, 4.0 / 3.0, 1e-12, "L35.7.3.ula_bias",
                "200 iterations of v <- (1-eps)^2 v + 2 eps at eps = 0.5 reach 1/(1-eps/2) = 4/3");
    const size_t n_q8 = (size_t)cli_scale(cli, 10000, 50000, 100000);
    double *x1d = xcalloc(n_q8, sizeof(double));
    langevin_params_init(&lp, n_q8, 1, std_normal_score, NULL);
    lp.step_size = 0.5;
    lp.n_steps = 30;
    lp.seed = cli->seed + 3;
    run_or_die(&lp, x1d);
    double q8_m, q8_v;
    moments_1d(x1d, n_q8, 1, &q8_m, &q8_v);
    //: $v_{30}$ at $\epsilon = 0.5$, [eq:L35.7.3.ula_bias]
    const double q8_exact = ula_gauss_var(0.5, 30, 1.0);
    check_mc("L35.7.3.ula_bias_mc", q8_v, q8_exact, q8_exact * sqrt(2.0 / (double)(n_q8 - 1)), 4.0, (long)n_q8,
             "L35.7.3.ula_bias", "sampler variance on N(0,1) at eps = 0.5 after 30 steps (exact %.7f; target 1)",
             q8_exact);
    free(x1d);
}

/*: ## 7.3 FAQ Q10: temperature

$dx = \nabla\log p\,dt + \sqrt{2T}\,dW$ samples $p^{1/T}$: for $\mathcal N(0,1)$ the variance
becomes $T$ (ULA: $T/(1-\epsilon/2) = 2.0100503$ at $T = 2$, $\epsilon = 0.01$).
*/
static void faq_q10(const Cli *cli) {
    LangevinParams lp;
    const size_t n_q10 = (size_t)cli_scale(cli, 4000, 10000, 50000);
    const long q10_steps = 200;
    double q10_v[2], *x1d = xmalloc(sizeof(double) * n_q10);
    const double temps[2] = {2.0, 0.5};
    for (int i = 0; i < 2; i++) {
        memset(x1d, 0, n_q10 * sizeof(double));
        langevin_params_init(&lp, n_q10, 1, std_normal_score, NULL);
        lp.step_size = EPS;
        lp.n_steps = (size_t)q10_steps;
        //: $\sqrt{2\epsilon T}$ noise: samples $p^{1/T}$
        lp.temperature = temps[i];
        lp.seed = cli->seed + 4 + (uint64_t)i;
        run_or_die(&lp, x1d);
        double m;
        moments_1d(x1d, n_q10, 1, &m, &q10_v[i]);
    }
    //: $v_{200}$ at $T = 2$, [eq:L35.7.3.ula_bias]
    const double q10_exact = ula_gauss_var(EPS, q10_steps, 2.0);
    printf("FAQ Q10: variance at T = 2: %.4f, at T = 0.5: %.4f (200 steps from 0; limits %.7f and %.7f)\n",
           q10_v[0], q10_v[1], 2.0 / (1 - EPS / 2), 0.5 / (1 - EPS / 2));
    check_mc("L35.7.3.temperature_T2", q10_v[0], q10_exact, q10_exact * sqrt(2.0 / (double)(n_q10 - 1)), 4.0,
             (long)n_q10, "L35.7.3.ula_bias", "variance on N(0,1) at T = 2 after 200 steps (exact ULA %.6f)",
             q10_exact);
    const double q10_exact_half = ula_gauss_var(EPS, q10_steps, 0.5);
    check_mc("L35.7.3.temperature_T0.5", q10_v[1], q10_exact_half,
             q10_exact_half * sqrt(2.0 / (double)(n_q10 - 1)), 4.0, (long)n_q10, "L35.7.3.ula_bias",
             "variance on N(0,1) at T = 0.5: a peakier law (exact ULA %.6f)", q10_exact_half);
    free(x1d);
}

/*: ## 5.1 Q4: Euler–Maruyama has weak order 1

$$ \mathbb E[x_n] = (1-\epsilon)^n x_0 \quad\text{vs}\quad e^{-t}x_0,\qquad t = n\epsilon = 1 $$ {#eq:L35.5.1.em_weak_order}

The ensemble mean of ULA on $\mathcal N(0,1)$ is the noise-free iteration, so the sampler
with $T = 0$ computes it: $0.366032$ ($\epsilon = 0.01$) and $0.366958$ ($\epsilon = 0.005$)
against $e^{-1} = 0.367879$. Halving $\epsilon$ halves the error; the variance
$v_n$ of eq. [eq:L35.7.3.ula_bias] against $1 - e^{-2}$ does the same.
*/
static void em_weak_order(void) {
    LangevinParams lp;
    double em_mean[2], em_err[2], var_err[2];
    const double em_eps[2] = {0.01, 0.005};
    for (int i = 0; i < 2; i++) {
        double x0 = 1.0;
        langevin_params_init(&lp, 1, 1, std_normal_score, NULL);
        lp.step_size = em_eps[i];
        lp.n_steps = (size_t)lround(1.0 / em_eps[i]);
        lp.temperature = 0.0;
        run_or_die(&lp, &x0);
        em_mean[i] = x0;
        //: $\mathbb E x_n - e^{-t}$, eq. [eq:L35.5.1.em_weak_order]
        em_err[i] = em_mean[i] - exp(-1.0);
        //: $v_n - (1 - e^{-2})$, [eq:L35.7.3.ula_bias]
        var_err[i] = ula_gauss_var(em_eps[i], lround(1.0 / em_eps[i]), 1.0) - (1.0 - exp(-2.0));
    }
    printf("5.1 Q4: mean at t = 1: %.7f (eps 0.01), %.7f (eps 0.005), exact %.7f; error ratio %.4f\n", em_mean[0],
           em_mean[1], exp(-1.0), em_err[0] / em_err[1]);
    check_rel("L35.5.1.em_mean_value", em_mean[0], pow(0.99, 100), 1e-13, "L35.5.1.em_weak_order",
              "noise-free ULA mean after 100 steps of 0.01 = 0.99^100 = 0.3660323");
    check_close("L35.5.1.em_weak_order_mean", em_err[0] / em_err[1], 2.0, 0.01, "L35.5.1.em_weak_order",
                "error of the mean at t = 1, eps = 0.01 over eps = 0.005: weak order 1 (ratio -> 2)");
    check_close("L35.5.1.em_weak_order_var", var_err[0] / var_err[1], 2.0, 0.01, "L35.5.1.em_weak_order",
                "error of the variance at t = 1, same ratio");
}

/*: ## 7.3 FAQ Q3: how many steps?

The FAQ answers "$O(d/\epsilon)$" and so mixes step size and accuracy. For
$\mathcal N(0, I_d)$ every coordinate relaxes like $(1-\epsilon)^n$ whatever $d$ is: reaching
1% of the initial offset takes $n = \ln 100/(-\ln(1-\epsilon)) = 459$ steps at
$\epsilon = 0.01$ in any dimension. The dimension enters through the bias: the ULA
stationary law $\mathcal N(0, I/(1-\epsilon/2))$ has
$\mathrm{KL} = \tfrac d2(v - 1 - \ln v) \approx d\epsilon^2/32$, so a fixed KL budget forces
$\epsilon \propto d^{-1/2}$ and the step count grows like $\sqrt d$ here (and with the
condition number in general, see program 05).
*/
static void faq_q3(void) {
    //: $n = \ln 100/(-\ln(1-\epsilon))$
    const double n_relax = log(100.0) / -log(1.0 - EPS);
    printf("FAQ Q3: steps to 1%% of the offset at eps = 0.01: %.0f for every d; stationary KL per dimension "
           "%.2e\n", ceil(n_relax), 0.5 * (1 / (1 - EPS / 2) - 1 - log(1 / (1 - EPS / 2))));
    check_erratum("L35.7.3.Q3_steps", 100.0 / EPS, ceil(n_relax),
                  "FAQ Q3's O(d/eps) read at d = 100, eps = 0.01 gives 1e4 steps; relaxation of N(0, I_100) to 1%% "
                  "takes 459 steps, independent of d");
}

/*: ## 4.4 / 4.9 Figure

`langevin_gmm2d.png`: the batch's final states over the density with the single chain's path,
and the trace of $x_1$ of that chain.
*/
static void figure(const Cli *cli, const Gmm *gmm, const double *x, size_t n_batch, const double *path,
                   double mode_x1) {
    char err[256];
    enum { NX = 120, NY = 80 };
    static double dens[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double pt[2] = {-6.0 + 12.0 * (i + 0.5) / NX, -4.0 + 8.0 * (j + 0.5) / NY};
            dens[j * NX + i] = exp(gmm_logpdf(gmm, pt, NULL));
        }
    Plot *plot = plot_new_grid(1, 2, 1300, 520, "L35 4.4 / 4.9: Langevin on the 2-D mixture (eps = 0.01)");
    plot_panel(plot, 0);
    plot_title(plot, "2000 of the batch after 1000 steps + one chain's path");
    plot_heatmap(plot, dens, NX, NY, -6, 6, -4, 4, "p(x)");
    size_t n_show = n_batch < 2000 ? n_batch : 2000;
    double *sx = xmalloc(sizeof(double) * n_show), *sy = xmalloc(sizeof(double) * n_show);
    for (size_t c = 0; c < n_show; c++) sx[c] = x[2 * c], sy[c] = x[2 * c + 1];
    PlotSeries *s = plot_scatter(plot, sx, sy, (int)n_show, "batch, step 1000");
    plot_series_color(s, PLOT_ORANGE);
    plot_series_marker(s, 1.6);
    double px[1001], py[1001], steps_axis[1001], trace[1001];
    int n_in = 0;
    for (int k = 0; k <= 1000; k++) {
        steps_axis[k] = k;
        trace[k] = path[2 * k];
        if (fabs(path[2 * k]) <= 6 && fabs(path[2 * k + 1]) <= 4) px[n_in] = path[2 * k], py[n_in++] = path[2 * k + 1];
    }
    s = plot_line(plot, px, py, n_in, "single chain (inside the frame)");
    plot_series_color(s, PLOT_RED);
    plot_series_width(s, 1.0);
    plot_xlim(plot, -6, 6);
    plot_ylim(plot, -4, 4);
    plot_xlabel(plot, "x1");
    plot_ylabel(plot, "x2");
    plot_panel(plot, 1);
    plot_title(plot, "trace of x1 of the single chain (start 10)");
    plot_line(plot, steps_axis, trace, 1001, "x1");
    s = plot_hline(plot, mode_x1, "modes +-x1*");
    plot_series_dash(s, PLOT_DASHED);
    s = plot_hline(plot, -mode_x1, NULL);
    plot_series_dash(s, PLOT_DASHED);
    plot_xlabel(plot, "step");
    plot_ylabel(plot, "x1");
    if (plot_save(plot, cli_out_path(cli, "langevin_gmm2d.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
    free(sx), free(sy);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 4.4-4.9: Langevin dynamics on the 2-D Gaussian mixture, single chain and batches",
              3504, NULL);
    Gmm gmm = gmm_pair(2.0, 1.0);
    score_closed_form(&gmm);
    double path[(1000 + 1) * 2];
    single_chain(&cli, path);
    const double mode_x1 = gradient_flow();
    const size_t n_batch = (size_t)cli_scale(&cli, 2000, 10000, 10000);
    Window win;
    double *x = batch(&cli, n_batch, &win);
    window_stats(&win, n_batch);
    equilibrium(&cli);
    faq_q8(&cli);
    faq_q10(&cli);
    em_weak_order();
    faq_q3();
    figure(&cli, &gmm, x, n_batch, path, mode_x1);
    free(x);
    gmm_free(&gmm);
    return check_end();
}
