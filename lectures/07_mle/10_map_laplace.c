/*: # L07 Z5.11 — MAP = MLE + prior, and the Laplace approximation

**Lecture 7, Part 2, section Z5.11** (with the LaTeX answers Z5b.2 Q5, the formula translation
Z5b.3 Q4 and FAQ Q5 on MLE vs MAP).

Two models. A one-parameter linear regression $y = \theta x + \epsilon$ with a Gaussian prior,
where MAP has a closed form and the Laplace approximation is exact; and a two-parameter
logistic regression, whose MAP is found by Newton's method and whose Laplace covariance is
$(X^\top W X + \lambda I)^{-1}$. A stable $\log(1 + e^z)$ is needed for the logistic likelihood,
and the lecture's recipe for it is checked.

What you will see: $\hat\theta_{\mathrm{MAP}}(\lambda)$ shrinking from the MLE 2.0036 to 0 as
$\lambda$ grows; the Hessian by finite differences equal to $\sum x^2/\sigma^2 + \lambda$ and the
exact posterior variance (by quadrature) equal to its inverse; the logistic MAP and its Laplace
standard errors; the overflow threshold of the naive softplus (709.78 in double, 88.72 in float,
not "100"); and `logaddexp(0, -z)` $= \log(1+e^{-z})$, not $\log(1+e^{z})$.
Figure: `map_shrinkage.png`, $\hat\theta_{\mathrm{MAP}}$ against $\log_{10}\lambda$ for both models.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/10_map_laplace`.

| symbol | C name | shape |
|---|---|---|
| $x_i, y_i$ | `xs`, `ys` | (n) |
| $\sigma$ (noise sd) | `sigma` | scalar |
| $\lambda = 1/\tau^2$ (prior precision) | `lambda` | scalar |
| $\hat\theta_{\mathrm{MAP}}$ | `theta_map` | scalar / (2) |
| $H = -\nabla^2 \log p(\theta\mid\mathcal D)$ | `hess` | scalar / (2, 2) |
| $w = (w_0, w_1)$ (logistic intercept, slope) | `w` | (2) |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/util.h"

/*: ## MAP is MLE plus a log-prior (Z5b.2 Q5, Z5b.3 Q4)

$$ \hat\theta_{\mathrm{MAP}} = \arg\max_\theta\Big[\sum_i \log p_\theta(x_i) + \log p(\theta)\Big]
   = \arg\min_\theta\Big[-\sum_i \log p_\theta(x_i) + \frac{\lambda}{2}\lVert\theta\rVert^2\Big],\quad
   p(\theta) = \mathcal N(0, \tau^2 I),\ \lambda = \frac1{\tau^2} $$ {#eq:L07.Z5.11.map_l2}

For $y_i = \theta x_i + \epsilon_i$, $\epsilon_i \sim \mathcal N(0, \sigma^2)$, the negative log
posterior is $J(\theta) = \sum_i (y_i - \theta x_i)^2/(2\sigma^2) + \lambda\theta^2/2$, and
$J'(\theta) = 0$ gives

$$ \hat\theta_{\mathrm{MAP}} = \frac{\sum_i x_i y_i}{\sum_i x_i^2 + \lambda\sigma^2} $$ {#eq:L07.Z5.11.linear_map}

$\lambda \to 0$ is the MLE $\sum xy/\sum x^2$; $\lambda \to \infty$ shrinks it to 0. In the
squared-error ("ridge") form the coefficient of $\theta^2$ is $\lambda\sigma^2 = \sigma^2/\tau^2$.
*/
enum { N_LIN = 5 };
static const double xs[N_LIN] = {1, 2, 3, 4, 5};
static const double ys[N_LIN] = {2.1, 3.9, 6.2, 7.8, 10.1}; /* spec L07 Z5.11, proposed data */

typedef struct {
    double sigma, lambda;
} LinearPrior;

static double neg_log_post_linear(double theta, const LinearPrior *p) {
    double j = 0.0;
    for (int i = 0; i < N_LIN; i++) j += (ys[i] - theta * xs[i]) * (ys[i] - theta * xs[i]);
    //: $J(\theta) = \sum(y - \theta x)^2/2\sigma^2 + \lambda\theta^2/2$, eq. [eq:L07.Z5.11.map_l2]
    return j / (2 * p->sigma * p->sigma) + 0.5 * p->lambda * theta * theta;
}

static double linear_map(const LinearPrior *p) {
    double sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < N_LIN; i++) sxy += xs[i] * ys[i], sxx += xs[i] * xs[i];
    //: $\hat\theta_{\mathrm{MAP}} = \sum xy / (\sum x^2 + \lambda\sigma^2)$, eq. [eq:L07.Z5.11.linear_map]
    return sxy / (sxx + p->lambda * p->sigma * p->sigma);
}

/*: ## The Laplace approximation

$$ \log p(\theta\mid\mathcal D) \approx \log p(\hat\theta_{\mathrm{MAP}}\mid\mathcal D)
   - \tfrac12(\theta - \hat\theta)^\top H (\theta - \hat\theta),\qquad
   H = -\nabla^2_\theta \log p(\theta\mid\mathcal D)\big|_{\hat\theta} $$ {#eq:L07.Z5.11.laplace}

so the posterior is approximately $\mathcal N(\hat\theta_{\mathrm{MAP}}, H^{-1})$. For the linear
model $J$ is exactly quadratic, $H = \sum x^2/\sigma^2 + \lambda$, and the approximation is exact;
we check that against the posterior variance computed by quadrature of $e^{-J}$.
*/
typedef struct {
    const LinearPrior *prior;
    double centre, j_min;
    int power; /* 0: density, 2: (theta - centre)^2 density */
} PosteriorMoment;

static double unnormalised_posterior(double theta, void *ctx) {
    const PosteriorMoment *m = ctx;
    double w = exp(-(neg_log_post_linear(theta, m->prior) - m->j_min));
    //: $e^{-(J(\theta) - J_{\min})}$ and $(\theta - \hat\theta)^2 e^{-(J - J_{\min})}$, integrated for the exact posterior variance
    return m->power == 2 ? (theta - m->centre) * (theta - m->centre) * w : w;
}

/*: ## Logistic regression: MAP by Newton

$z_i = w_0 + w_1 x_i$, $y_i \in \{0, 1\}$, $-\log p(y_i\mid x_i, w) = \operatorname{softplus}(z_i) - y_i z_i$:

$$ J(w) = \sum_i\big[\log(1 + e^{z_i}) - y_i z_i\big] + \frac\lambda2\lVert w\rVert^2,\quad
   \nabla J = X^\top(\sigma(z) - y) + \lambda w,\quad
   H = X^\top \operatorname{diag}\big(\sigma(z)(1-\sigma(z))\big) X + \lambda I $$ {#eq:L07.Z5.11.logistic_map}

(the intercept is penalised too, for simplicity). $J$ is strictly convex for $\lambda > 0$, and
Newton converges in a handful of steps. `log1pexp` (common/mathfn) computes the softplus as
$\max(z,0) + \log(1 + e^{-\lvert z\rvert})$, which never overflows.
*/
typedef struct {
    const double *x, *y;
    int n;
    double lambda;
} Logistic;

static double logistic_objective(const Logistic *m, const double *w, double *grad, double *hess) {
    //: the prior's $\frac\lambda2\lVert w\rVert^2$, its gradient $\lambda w$ and Hessian $\lambda I$, [eq:L07.Z5.11.logistic_map]
    double j = 0.5 * m->lambda * (w[0] * w[0] + w[1] * w[1]);
    if (grad) grad[0] = m->lambda * w[0], grad[1] = m->lambda * w[1];
    if (hess) hess[0] = m->lambda, hess[1] = 0.0, hess[2] = m->lambda;
    for (int i = 0; i < m->n; i++) {
        double z = w[0] + w[1] * m->x[i];
        //: $\operatorname{softplus}(z) - y z$, eq. [eq:L07.Z5.11.logistic_map]
        j += log1pexp(z) - m->y[i] * z;
        double s = sigmoid(z), r = s - m->y[i], wt = s * (1.0 - s);
        //: $\nabla J \mathrel{+}= (\sigma(z_i) - y_i)(1, x_i)$, $H \mathrel{+}= \sigma(z_i)(1-\sigma(z_i))(1, x_i)^\top(1, x_i)$, [eq:L07.Z5.11.logistic_map]
        if (grad) grad[0] += r, grad[1] += r * m->x[i];
        if (hess) hess[0] += wt, hess[1] += wt * m->x[i], hess[2] += wt * m->x[i] * m->x[i];
    }
    return j;
}

/* Newton's method (full steps; J is convex and smooth); returns the iteration count. */
static int logistic_newton(const Logistic *m, double *w, double *grad_norm) {
    double g[2], h[3];
    int it = 0;
    for (; it < 100; it++) {
        logistic_objective(m, w, g, h);
        *grad_norm = fmax(fabs(g[0]), fabs(g[1]));
        if (*grad_norm < 1e-11) break;
        double det = h[0] * h[2] - h[1] * h[1];
        //: $w \leftarrow w - H^{-1}\nabla J$ (2x2 inverse)
        w[0] -= (h[2] * g[0] - h[1] * g[1]) / det;
        w[1] -= (h[0] * g[1] - h[1] * g[0]) / det;
    }
    return it;
}

static const double sigma = 1.0; /* the noise sd of the linear model */
enum { GRID = 61, N_LOG = 200 };

/*: ## Z5.11 The linear MAP at six values of $\lambda$

Eq. [eq:L07.Z5.11.linear_map] at $\lambda = 0, 10^{-8}, 1, 10, 100, 10^8$ against the spec's
independently computed values (D30), and the closed form confirmed as a stationary point of
$J$ of eq. [eq:L07.Z5.11.map_l2] by a central difference.
*/
static void linear_map_values(void) {
    const double lambdas[6] = {0.0, 1e-8, 1.0, 10.0, 100.0, 1e8};
    /* spec L07 D30 (independently computed): */
    const double map_expect[6] = {2.003636364, 2.003636363, 1.967857143, 1.695384615, 0.710967742, 1.10200e-6};
    printf("linear MAP, x = 1..5, y = (2.1, 3.9, 6.2, 7.8, 10.1), sigma = 1:\n");
    for (int k = 0; k < 6; k++) {
        LinearPrior p = {sigma, lambdas[k]};
        //: $\hat\theta_{\mathrm{MAP}}$, [eq:L07.Z5.11.linear_map]
        double theta_map = linear_map(&p);
        printf("  lambda = %-6g theta_MAP = %.9g\n", lambdas[k], theta_map);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.11.linear_map_%d", k);
        if (k < 5)
            check_close(id, theta_map, map_expect[k], 1e-9, "L07.Z5.11.linear_map",
                        "theta_MAP at lambda = %g (spec L07 D30: %.9g)", lambdas[k], map_expect[k]);
        else
            check_rel(id, theta_map, map_expect[k], 1e-4, "L07.Z5.11.linear_map",
                      "theta_MAP at lambda = 1e8 shrinks to 1.102e-6 (spec L07 D30)");
        /* the closed form is a stationary point of J: central difference of J vanishes */
        double h = 1e-5;
        //: $J'(\hat\theta) \approx (J(\hat\theta + h) - J(\hat\theta - h))/2h$, [eq:L07.Z5.11.map_l2]
        double dj = (neg_log_post_linear(theta_map + h, &p) - neg_log_post_linear(theta_map - h, &p)) / (2 * h);
        snprintf(id, sizeof id, "L07.Z5.11.linear_stationary_%d", k);
        check_close(id, dj, 0.0, 1e-6 * fmax(1.0, lambdas[k] * h), "L07.Z5.11.map_l2",
                    "J'(theta_MAP) = 0 by central difference at lambda = %g", lambdas[k]);
    }
}

/*: ## Z5.11 Shrinkage

Along $\log_{10}\lambda \in [-4, 8]$ the MAP moves monotonically from the MLE
($\tau^2 \to \infty$) to the prior mean 0 ($\tau^2 \to 0$). Returns the path for the figure.
*/
static double shrinkage(double *log_lambda, double *theta_path) {
    int monotone = 1;
    for (int g = 0; g < GRID; g++) {
        log_lambda[g] = -4.0 + 12.0 * g / (GRID - 1);
        LinearPrior p = {sigma, pow(10.0, log_lambda[g])};
        theta_path[g] = linear_map(&p);
        if (g > 0 && !(theta_path[g] < theta_path[g - 1])) monotone = 0;
    }
    LinearPrior p_mle = {sigma, 0.0};
    double theta_mle = linear_map(&p_mle);
    check_true("L07.Z5.11.shrinkage_monotone", monotone,
               "theta_MAP decreases strictly as lambda goes from 1e-4 to 1e8 (shrinkage)");
    check_close("L07.Z5.11.small_lambda_is_mle", theta_path[0], theta_mle, 1e-5, "L07.Z5.11.linear_map",
                "lambda = 1e-4: theta_MAP within 1e-5 of the MLE 2.003636 (tau^2 -> infinity, Z5b.3 Q4)");
    check_le("L07.Z5.11.large_lambda_to_zero", fabs(theta_path[GRID - 1]), 2e-6, 0.0, "L07.Z5.11.linear_map",
             "lambda = 1e8: |theta_MAP| <= 2e-6 (shrunk to the prior mean 0)");
    return theta_mle;
}

/*: ## Z5.11 Two ways to write the same prior (Z5b.2 Q5, Z5b.3 Q4, FAQ Q5)

The prior $\mathcal N(0, \tau^2)$ contributes $-\theta^2/(2\tau^2)$ to the log-posterior, i.e.
$\lambda = 1/\tau^2$ in eq. [eq:L07.Z5.11.map_l2]. In the squared-error form the ridge
coefficient is $\sigma^2/\tau^2$. FAQ Q5 writes "λ of L2 = precision $\tau^2/\sigma^2$"; with
$\sigma = 1$, $\tau^2 = 0.1$ that plugs 0.1 instead of 10 into the ridge denominator.
*/
static void tau_vs_lambda(void) {
    const double tau2 = 0.1;
    double sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < N_LIN; i++) sxy += xs[i] * ys[i], sxx += xs[i] * xs[i];
    double ridge_tau = sxy / (sxx + sigma * sigma / tau2); /* squared-error form, coefficient sigma^2/tau^2 */
    LinearPrior p = {sigma, 1.0 / tau2};
    double map_lambda = linear_map(&p);
    check_close("L07.Z5.11.tau_form_equals_lambda_form", ridge_tau - map_lambda, 0.0, 1e-12,
                "L07.Z5.11.map_l2", "prior N(0, tau^2 = 0.1) in the tau form = lambda form with lambda = 1/tau^2 = 10");
    double faq_form = sxy / (sxx + tau2 / (sigma * sigma));
    check_erratum("L07.Z5.11.faq_q5_lambda", faq_form, map_lambda,
                  "FAQ Q5: 'lambda = tau^2/sigma^2'; the ridge coefficient is sigma^2/tau^2 "
                  "(theta_MAP with tau^2 = 0.1, sigma = 1)");
}

/*: ## Z5.11 The Laplace approximation of the linear model

The Hessian of $J$ by a central second difference must be $\sum x_i^2/\sigma^2 + \lambda = 55 + \lambda$;
the Laplace variance $1/H$ is compared with the spec (D31) and with the exact posterior variance
by quadrature of $e^{-J}$ (for a linear-Gaussian model the posterior is Gaussian and Laplace is
exact).
*/
static void laplace_linear(void) {
    const double laplace_lambdas[3] = {0.0, 1.0, 10.0};
    const double laplace_var_expect[3] = {0.0181818182, 0.0178571429, 0.0153846154}; /* spec L07 D31 (= 1/55, 1/56, 1/65) */
    for (int k = 0; k < 3; k++) {
        LinearPrior p = {sigma, laplace_lambdas[k]};
        double t = linear_map(&p), h = 1e-4;
        //: $H = -\partial^2_\theta \log p(\theta\mid\mathcal D)$ by a central second difference, eq. [eq:L07.Z5.11.laplace]
        double hess = (neg_log_post_linear(t + h, &p) - 2 * neg_log_post_linear(t, &p) +
                       neg_log_post_linear(t - h, &p)) / (h * h);
        PosteriorMoment m0 = {&p, t, neg_log_post_linear(t, &p), 0}, m2 = m0;
        m2.power = 2;
        double a = t - 2.0, b = t + 2.0; /* 15 posterior sds on each side */
        double z = quad_gauss_legendre_composite(unnormalised_posterior, &m0, a, b, 64, 20);
        double var_exact = quad_gauss_legendre_composite(unnormalised_posterior, &m2, a, b, 64, 20) / z;
        printf("  lambda = %-3g: H (FD) = %.6f, Laplace variance 1/H = %.10f, exact posterior variance %.10f\n",
               laplace_lambdas[k], hess, 1.0 / hess, var_exact);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.11.laplace_hessian_%d", k);
        check_close(id, hess, 55.0 + laplace_lambdas[k], 1e-5, "L07.Z5.11.laplace",
                    "FD Hessian of -log posterior = sum x^2 / sigma^2 + lambda = %g", 55.0 + laplace_lambdas[k]);
        snprintf(id, sizeof id, "L07.Z5.11.laplace_variance_%d", k);
        check_close(id, 1.0 / hess, laplace_var_expect[k], 1e-9, "L07.Z5.11.laplace",
                    "Laplace variance 1/H at lambda = %g (spec L07 D31)", laplace_lambdas[k]);
        snprintf(id, sizeof id, "L07.Z5.11.laplace_exact_%d", k);
        check_rel(id, var_exact, 1.0 / (55.0 + laplace_lambdas[k]), 1e-9, "L07.Z5.11.laplace",
                  "posterior variance by quadrature of exp(-J) equals 1/(55 + lambda): Laplace is exact here");
    }
}

/*: ## Z5.11 A stable softplus, and the lecture's recipe (spec §5 item 8)

$\log(1 + e^z)$ computed literally overflows when $e^z$ does: above
$\log(\texttt{DBL\_MAX}) = 709.78$ in double and $\log(\texttt{FLT\_MAX}) = 88.72$ in float
— not at 100 as the lecture says (100 is past the float limit but far below the double one).
And `np.logaddexp(0, -z)` is $\log(e^0 + e^{-z}) = \log(1 + e^{-z}) = \operatorname{softplus}(-z)$:
the negative log-*sigmoid*, which is the right loss term for a label $y = 1$, but not the
$\log(1 + e^{z})$ the text names. They differ by exactly $z$.
*/
static void stable_softplus(void) {
    volatile double big = 800.0; /* volatile: the overflow happens at run time, not folded */
    double naive = log(1.0 + exp(big));
    double stable = log1pexp(big);
    printf("softplus(800): naive log(1 + exp(800)) = %g (exp overflows), stable = %.6f\n", naive, stable);
    check_close("L07.Z5.11.stable_softplus_800", stable, 800.0, 1e-12, "L07.Z5.11.logistic_map",
                "stable softplus(800) = 800 (+ log(1 + e^-800))");
    double threshold_d = log(DBL_MAX), threshold_f = log((double)FLT_MAX);
    check_close("L07.Z5.11.overflow_double", threshold_d, 709.7827, 1e-4, NULL,
                "exp overflows in double above log(DBL_MAX) = 709.78");
    check_close("L07.Z5.11.overflow_float", threshold_f, 88.7228, 1e-4, NULL,
                "expf overflows in float above log(FLT_MAX) = 88.72");
    volatile double at_101 = 101.0;
    volatile float at_89f = 89.0f;
    double naive_101 = log(1.0 + exp(at_101));
    float naive_89f = logf(1.0f + expf(at_89f));
    check_close("L07.Z5.11.naive_double_at_101", naive_101, 101.0, 1e-12, NULL,
                "naive log(1 + exp(101)) is finite (101) in double: the '> 100 gives inf' claim is wrong there");
    printf("naive logf(1 + expf(89)) in float = %g (expf overflows above 88.72)\n", (double)naive_89f);
    check_erratum("L07.Z5.11.softplus_overflow_threshold", 100.0, threshold_d,
                  "the lecture: log(1 + exp(z)) is inf for z > 100; double overflows above 709.78 (float: 88.72)");
    double worst = 0.0;
    for (int i = 0; i <= 20; i++) {
        double z = -10.0 + i;
        worst = fmax(worst, fabs(logaddexp(0.0, -z) - log1pexp(-z)));
        worst = fmax(worst, fabs((log1pexp(z) - logaddexp(0.0, -z)) - z));
    }
    check_close("L07.Z5.11.logaddexp_is_softplus_minus_z", worst, 0.0, 1e-13, "L07.Z5.11.logistic_map",
                "logaddexp(0, -z) = softplus(-z), and softplus(z) - logaddexp(0, -z) = z, on z in [-10, 10]");
    check_erratum("L07.Z5.11.logaddexp_sign", logaddexp(0.0, -3.0), log1pexp(3.0),
                  "the lecture: np.logaddexp(0, -z) is the stable log(1 + e^z); at z = 3 it gives log(1 + e^-3)");
}

/*: ## Z5.11 Logistic regression: MAP by Newton, on data

$n = 200$ points, $x \sim \mathcal N(0, 1)$, $y \sim \mathrm{Bern}(\sigma(2x - 0.5))$ (proposed data, spec
L07 §6.10). Newton's method of eq. [eq:L07.Z5.11.logistic_map] for $\lambda = 0$ (the MLE) and
$\lambda = 10^{-6}, \dots, 100$: it must converge, $\lVert w\rVert$ must shrink as $\lambda$ grows, and at
$\lambda = 1$ the gradient and the Laplace Hessian are checked against central differences.
The data are returned for the figure.
*/
static void logistic_map(const Cli *cli, double *lx, double *ly) {
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    for (int i = 0; i < N_LOG; i++) { /* Proposed data (spec L07 §6.10): y ~ Bern(sigmoid(2x - 0.5)) */
        lx[i] = rng_normal(&rng);
        ly[i] = rng_uniform(&rng) < sigmoid(2.0 * lx[i] - 0.5) ? 1.0 : 0.0;
    }
    const double log_lambdas[5] = {1e-6, 0.1, 1.0, 10.0, 100.0};
    double norms[5], w_mle[2] = {0, 0}, gnorm;
    Logistic mle = {lx, ly, N_LOG, 0.0};
    int it_mle = logistic_newton(&mle, w_mle, &gnorm);
    printf("logistic regression, n = %d, y ~ Bern(sigmoid(2x - 0.5)):\n", N_LOG);
    printf("  lambda = 0 (MLE): w = (%.6f, %.6f), %d Newton steps, |grad| = %.1e\n", w_mle[0], w_mle[1], it_mle, gnorm);
    check_le("L07.Z5.11.logistic_mle_converged", gnorm, 1e-10, 0.0, "L07.Z5.11.logistic_map",
             "Newton on the logistic NLL (lambda = 0): |grad|_inf after %d steps", it_mle);
    int all_converged = 1, decreasing = 1;
    double w_small[2] = {0, 0};
    for (int k = 0; k < 5; k++) {
        Logistic m = {lx, ly, N_LOG, log_lambdas[k]};
        double w[2] = {0, 0};
        int it = logistic_newton(&m, w, &gnorm);
        if (gnorm >= 1e-10) all_converged = 0;
        norms[k] = hypot(w[0], w[1]);
        if (k > 0 && !(norms[k] < norms[k - 1])) decreasing = 0;
        if (k == 0) w_small[0] = w[0], w_small[1] = w[1];
        double h[3];
        logistic_objective(&m, w, NULL, h);
        double det = h[0] * h[2] - h[1] * h[1];
        printf("  lambda = %-6g w_MAP = (%9.6f, %9.6f), |w| = %.6f, Laplace sd = (%.4f, %.4f), %d steps\n",
               log_lambdas[k], w[0], w[1], norms[k], sqrt(h[2] / det), sqrt(h[0] / det), it);
        if (k == 2) {
            /* the Laplace Hessian X^T W X + lambda I against central differences of the gradient,
               and the gradient against central differences of J */
            double worst_h = 0.0, worst_g = 0.0, g0[2], gp[2], gm[2];
            logistic_objective(&m, w, g0, NULL);
            const double w_probe[2] = {w[0] + 0.3, w[1] - 0.2};
            double gprobe[2], hprobe[3];
            logistic_objective(&m, w_probe, gprobe, hprobe);
            for (int c = 0; c < 2; c++) {
                double wp[2] = {w_probe[0], w_probe[1]}, wm[2] = {w_probe[0], w_probe[1]}, e = 1e-5;
                wp[c] += e, wm[c] -= e;
                double jp = logistic_objective(&m, wp, gp, NULL), jm = logistic_objective(&m, wm, gm, NULL);
                worst_g = fmax(worst_g, fabs((jp - jm) / (2 * e) - gprobe[c]));
                worst_h = fmax(worst_h, fabs((gp[0] - gm[0]) / (2 * e) - hprobe[c == 0 ? 0 : 1]));
                worst_h = fmax(worst_h, fabs((gp[1] - gm[1]) / (2 * e) - hprobe[c == 0 ? 1 : 2]));
            }
            check_close("L07.Z5.11.logistic_grad_fd", worst_g, 0.0, 1e-5, "L07.Z5.11.logistic_map",
                        "analytic gradient X^T(sigma - y) + lambda w vs central differences of J (lambda = 1)");
            check_close("L07.Z5.11.logistic_hessian_fd", worst_h, 0.0, 1e-5, "L07.Z5.11.laplace",
                        "Laplace Hessian X^T W X + lambda I vs central differences of the gradient (lambda = 1)");
        }
    }
    check_true("L07.Z5.11.logistic_all_converged", all_converged,
               "Newton reaches |grad|_inf < 1e-10 for every lambda in {1e-6, 0.1, 1, 10, 100}");
    check_true("L07.Z5.11.logistic_norm_decreasing", decreasing,
               "|w_MAP| decreases strictly over lambda = 1e-6, 0.1, 1, 10, 100 (shrinkage)");
    check_le("L07.Z5.11.logistic_small_lambda_is_mle", fmax(fabs(w_small[0] - w_mle[0]), fabs(w_small[1] - w_mle[1])),
             1e-4, 0.0, "L07.Z5.11.map_l2", "lambda = 1e-6: w_MAP within 1e-4 of the MLE");
}

/* Figure `map_shrinkage.png`: the shrinkage paths of both models. */
static void figure(const Cli *cli, const double *log_lambda, const double *theta_path, double theta_mle,
                   const double *lx, const double *ly) {
    double logit_path0[GRID], logit_path1[GRID];
    for (int g = 0; g < GRID; g++) {
        Logistic m = {lx, ly, N_LOG, pow(10.0, log_lambda[g])};
        double w[2] = {0, 0};
        double gnorm;
        logistic_newton(&m, w, &gnorm);
        logit_path0[g] = w[0], logit_path1[g] = w[1];
    }
    Plot *plot = plot_new_grid(1, 2, 1100, 440, "Z5.11: MAP shrinks the MLE towards the prior mean 0");
    plot_panel(plot, 0);
    plot_title(plot, "linear regression: theta_MAP = sum xy / (sum x^2 + lambda sigma^2)");
    plot_series_color(plot_line(plot, log_lambda, theta_path, GRID, "theta_MAP"), PLOT_BLUE);
    PlotSeries *s = plot_hline(plot, theta_mle, "MLE 2.0036");
    plot_series_color(s, PLOT_GREEN);
    plot_series_dash(s, PLOT_DASHED);
    plot_xlabel(plot, "log10 lambda");
    plot_ylabel(plot, "theta");
    plot_panel(plot, 1);
    plot_title(plot, "logistic regression (n = 200): Newton MAP");
    plot_series_color(plot_line(plot, log_lambda, logit_path1, GRID, "slope w1"), PLOT_BLUE);
    plot_series_color(plot_line(plot, log_lambda, logit_path0, GRID, "intercept w0"), PLOT_ORANGE);
    s = plot_hline(plot, 0.0, NULL);
    plot_series_color(s, PLOT_GRAY);
    plot_xlabel(plot, "log10 lambda");
    plot_ylabel(plot, "w");
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "map_shrinkage.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.11: MAP = MLE + Gaussian prior, Laplace approximation, logistic MAP by Newton",
              11, NULL);
    double log_lambda[GRID], theta_path[GRID], lx[N_LOG], ly[N_LOG];
    linear_map_values();
    const double theta_mle = shrinkage(log_lambda, theta_path);
    tau_vs_lambda();
    laplace_linear();
    stable_softplus();
    logistic_map(&cli, lx, ly);
    figure(&cli, log_lambda, theta_path, theta_mle, lx, ly);
    return check_end();
}
