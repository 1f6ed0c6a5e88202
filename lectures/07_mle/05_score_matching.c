/*: # L07 Z5.5 — Score matching, numerically

**Lecture 7, Part 2, section Z5.5** (with the DDPM/denoising link of Z6.3 and FAQ Q4 on
Tweedie's formula).

Score matching fits a model through its score $s_\theta(x) = \nabla_x\log p_\theta(x)$ and never
needs the normalising constant of $p_\theta$. The program verifies every step of the lecture's
argument with numbers: the integration by parts (Stein identity) that removes the unknown data
score, the Hyvärinen objective for a Gaussian model (its minimiser is the Gaussian MLE), the
finite-difference and Hutchinson estimates of $\operatorname{tr}\nabla_x s_\theta$, denoising
score matching (with the sign of the lecture's target corrected), and Tweedie's formula.

What you will see: two Stein identities by quadrature, the Fisher-divergence decomposition, the
objective $J(\mu,\sigma)$ on $10^5$ draws next to its closed form, the score-matching fit equal
to the MLE, Hutchinson means and variances, the DSM slope $-0.8$ (the lecture's sign gives
$+0.8$), and the Tweedie slopes. Figure: `sm_objective.png`, $J(0,\sigma)$ on the sample and
in closed form, minimal at the data's $\sigma_0 = 1$.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/05_score_matching [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_i \sim p_{\text{data}}$ | `x` | (N) |
| $s_\theta(x) = -(x-\mu)/\sigma^2$ | `gauss_score` | scalar |
| $\partial_x s_\theta$ | `dscore_dx` | scalar (1-D Jacobian) |
| $J(\mu,\sigma)$ (Hyvärinen objective) | `sm_objective_*` | scalar |
| $A$, $z$ (Hutchinson matrix and probe) | `a_mat`, `z` | (d, d), (d) |
| $\sigma$ (DSM noise level), $\tilde x = x + \sigma\varepsilon$ | `sigma_noise`, `x_noisy` | scalar |
| $a$ (DSM model $s(\tilde x) = a\tilde x$) | `a_dsm` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/* The bimodal density of the lecture's Z5.2/Z5.8 experiments, p = 0.5 N(-3,1) + 0.5 N(3,1).
   Its score has the closed form d/dx log p = -x + 3 tanh(3x) (the two Gaussians share
   exp(-x^2/2 - 9/2), and e^{3x} + e^{-3x} = 2 cosh 3x). */
static double bimodal_pdf(double x) {
    return 0.5 * exp(gauss_logpdf_1d(x, -3.0, 1.0)) + 0.5 * exp(gauss_logpdf_1d(x, 3.0, 1.0));
}
//: $(\log p)'(x) = -x + 3\tanh 3x$ for the bimodal $p$
static double bimodal_score(double x) { return -x + 3.0 * tanh(3.0 * x); }
static double normal_pdf(double x) { return exp(gauss_logpdf_1d(x, 0.0, 1.0)); }

/* The Gaussian model's score and its x-derivative (the 1-D Jacobian). */
//: $s_\theta(x) = -(x - \mu)/\sigma^2$ and $\partial_x s_\theta = -1/\sigma^2$
static double gauss_score(double x, double mu, double sigma) { return -(x - mu) / (sigma * sigma); }
static double dscore_dx_exact(double sigma) { return -1.0 / (sigma * sigma); }

/* Central difference, the lecture's way to get tr(grad s) in 1-D. */
static double dscore_dx_fd(double x, double mu, double sigma, double h) {
    //: $\partial_x s \approx (s(x+h) - s(x-h))/2h$
    return (gauss_score(x + h, mu, sigma) - gauss_score(x - h, mu, sigma)) / (2.0 * h);
}

/* Integrand helpers for quadrature: ctx selects which expectation. */
typedef struct {
    int which;
    double mu, sigma;
} QuadCtx;

enum {
    STEIN_TANH_LHS, STEIN_TANH_RHS, STEIN_SIN_LHS, STEIN_SIN_RHS,
    FISHER_DIV, HYVARINEN, DATA_SCORE_SQ, BIMODAL_X, BIMODAL_X2,
    NORMAL_X2, NORMAL_X6, QUARTIC_MASS, QUARTIC_X4
};

static double integrand(double x, void *vctx) {
    const QuadCtx *c = vctx;
    double s;
    switch (c->which) {
    //: the two sides of [eq:L07.Z5.5.stein]: $s\,(\log p)'\,p$ and $-s'\,p$
    case STEIN_TANH_LHS: return tanh(x) * (-x) * normal_pdf(x);           /* s (log p)' p */
    case STEIN_TANH_RHS: return -(1.0 - tanh(x) * tanh(x)) * normal_pdf(x); /* -s' p */
    case STEIN_SIN_LHS: return sin(x) * bimodal_score(x) * bimodal_pdf(x);
    case STEIN_SIN_RHS: return -cos(x) * bimodal_pdf(x);
    case FISHER_DIV:
        s = gauss_score(x, c->mu, c->sigma) - bimodal_score(x);
        //: $\tfrac12(s_\theta - (\log p)')^2\,p$, the left side of [eq:L07.Z5.5.hyvarinen]
        return 0.5 * s * s * bimodal_pdf(x);
    case HYVARINEN:
        s = gauss_score(x, c->mu, c->sigma);
        //: $(\tfrac12 s_\theta^2 + \partial_x s_\theta)\,p$, the integrand of $J$ in [eq:L07.Z5.5.hyvarinen]
        return (0.5 * s * s + dscore_dx_exact(c->sigma)) * bimodal_pdf(x);
    case DATA_SCORE_SQ: s = bimodal_score(x); return 0.5 * s * s * bimodal_pdf(x);
    case BIMODAL_X: return x * bimodal_pdf(x);
    case BIMODAL_X2: return x * x * bimodal_pdf(x);
    case NORMAL_X2: return x * x * normal_pdf(x);
    case NORMAL_X6: return x * x * x * x * x * x * normal_pdf(x);
    case QUARTIC_MASS: return exp(-c->mu * x * x * x * x / 4.0);           /* mu holds theta */
    case QUARTIC_X4: return x * x * x * x * exp(-c->mu * x * x * x * x / 4.0);
    }
    return NAN;
}

static double expect_quad(int which, double mu, double sigma) {
    QuadCtx c = {which, mu, sigma};
    return quad_gauss_legendre_composite(integrand, &c, -16.0, 16.0, 20, 64);
}

/*: ## The Gaussian model's objective in closed form

For data with mean $m_1 = \mathbb E[x]$ and second moment $m_2 = \mathbb E[x^2]$ and the model
$s_\theta(x) = -(x-\mu)/v$, $v = \sigma^2$, the Hyvärinen objective depends on the data only
through $m_1, m_2$:

$$ J(\mu, v) = \frac{m_2 - 2\mu m_1 + \mu^2}{2v^2} - \frac1v $$ {#eq:L07.Z5.5.gauss_sm}

For data $\mathcal N(\mu_0, \sigma_0^2)$ this is
$J = \frac{\sigma_0^2 + (\mu-\mu_0)^2}{2\sigma^4} - \frac1{\sigma^2}$. Setting the gradient to
zero gives $\mu = m_1$, $v = m_2 - m_1^2$: on a sample, exactly $(\bar x, \frac1N\sum(x-\bar
x)^2)$, the Gaussian MLE. `sm_gauss_fit` finds the minimiser by Newton's method on
eq. [eq:L07.Z5.5.gauss_sm] (it does not use the answer).
*/
static double sm_objective_moments(double m1, double m2, double mu, double v) {
    //: $J = (m_2 - 2\mu m_1 + \mu^2)/(2v^2) - 1/v$, eq. [eq:L07.Z5.5.gauss_sm]
    return (m2 - 2.0 * mu * m1 + mu * mu) / (2.0 * v * v) - 1.0 / v;
}

static int sm_gauss_fit(double m1, double m2, double *mu_out, double *v_out) {
    double mu = m1 + 0.5, v = 0.5 * (m2 - m1 * m1 + 0.25); /* a start away from the answer */
    for (int it = 0; it < 100; it++) {
        double c = m2 - 2.0 * mu * m1 + mu * mu; /* E[(x - mu)^2] */
        double d = m1 - mu;                      /* E[x - mu] */
        //: $\nabla J$ and its Hessian from [eq:L07.Z5.5.gauss_sm]
        double g_mu = -d / (v * v), g_v = -c / (v * v * v) + 1.0 / (v * v);
        double h_mm = 1.0 / (v * v), h_mv = 2.0 * d / (v * v * v);
        double h_vv = 3.0 * c / (v * v * v * v) - 2.0 / (v * v * v);
        double det = h_mm * h_vv - h_mv * h_mv;
        double step_mu, step_v;
        if (det > 0.0 && h_mm > 0.0) { /* Newton step */
            step_mu = (h_vv * g_mu - h_mv * g_v) / det;
            step_v = (h_mm * g_v - h_mv * g_mu) / det;
        } else { /* not convex here: a small gradient step */
            step_mu = 0.1 * g_mu;
            step_v = 0.1 * g_v;
        }
        while (v - step_v <= 0.0) step_v *= 0.5; /* keep v > 0 */
        mu -= step_mu;
        v -= step_v;
        if (fabs(step_mu) + fabs(step_v) < 1e-15 * (1.0 + fabs(mu) + v)) {
            *mu_out = mu;
            *v_out = v;
            return it + 1;
        }
    }
    *mu_out = mu;
    *v_out = v;
    return -1;
}

/* Sample mean and SE of the per-sample objective 0.5 s(x)^2 + s'(x) (s' by central differences). */
static void sm_objective_sample(const double *x, long n, double mu, double sigma, double *mean,
                                double *se) {
    Welford w;
    welford_init(&w);
    for (long i = 0; i < n; i++) {
        double s = gauss_score(x[i], mu, sigma);
        //: $\hat J = \frac1N\sum_i \big[\tfrac12 s_\theta(x_i)^2 + \partial_x s_\theta(x_i)\big]$, eq. [eq:L07.Z5.5.hyvarinen]
        welford_push(&w, 0.5 * s * s + dscore_dx_fd(x[i], mu, sigma, 1e-4));
    }
    *mean = w.mean;
    *se = sqrt(welford_var(&w) / (double)n);
}

/* Ordinary least squares through the origin: slope of t on u and its standard error
   (from the residuals; valid here because u and t are jointly Gaussian, so the residual is
   independent of u). */
static void ols_slope(const double *u, const double *t, long n, double *slope, double *se) {
    double suu = 0.0, sut = 0.0;
    for (long i = 0; i < n; i++) {
        suu += u[i] * u[i];
        sut += u[i] * t[i];
    }
    //: least-squares slope $\sum u t / \sum u^2$ (the linear model $s(u) = a u$)
    *slope = sut / suu;
    double rss = 0.0;
    for (long i = 0; i < n; i++) {
        double r = t[i] - *slope * u[i];
        rss += r * r;
    }
    *se = sqrt(rss / (double)(n - 1) / suu);
}

/*: ## Z5.5 Integration by parts: the Stein identity

The cross term of $\mathbb E_p[(s_\theta - (\log p)')^2]$ contains the unknown data score.
Integrating by parts (the boundary term $[s_\theta p]_{-\infty}^{\infty}$ vanishes),

$$ \mathbb E_p\big[s(x)\,(\log p)'(x)\big] = \int s\,p'\,dx = -\mathbb E_p\big[s'(x)\big] $$ {#eq:L07.Z5.5.stein}

Both sides by 20-point Gauss-Legendre on 64 panels of $[-16, 16]$, for $p = \mathcal N(0,1)$,
$s = \tanh$ (reference $-0.6057055096$, spec L07 D14) and for the bimodal
$p = \frac12\mathcal N(-3,1) + \frac12\mathcal N(3,1)$, $s = \sin$, where the right side has
the closed form $\mathbb E_p[-\cos x] = -\cos(3)\,e^{-1/2}$.
*/
static void stein_identity(void) {
    double tanh_lhs = expect_quad(STEIN_TANH_LHS, 0, 1), tanh_rhs = expect_quad(STEIN_TANH_RHS, 0, 1);
    double sin_lhs = expect_quad(STEIN_SIN_LHS, 0, 1), sin_rhs = expect_quad(STEIN_SIN_RHS, 0, 1);
    printf("Stein, N(0,1), s = tanh: E[s (log p)'] = %.10f, -E[s'] = %.10f\n", tanh_lhs, tanh_rhs);
    printf("Stein, bimodal, s = sin: E[s (log p)'] = %.10f, -E[s'] = %.10f\n", sin_lhs, sin_rhs);
    check_close("L07.Z5.5.stein_tanh", tanh_lhs - tanh_rhs, 0.0, 1e-12, "L07.Z5.5.stein",
                "E[tanh(x) (log p)'(x)] + E[tanh'(x)] under N(0,1), quadrature");
    check_close("L07.Z5.5.stein_tanh_value", tanh_lhs, -0.6057055096, 1e-9, "L07.Z5.5.stein",
                "E[tanh(x) (-x)] under N(0,1) equals the reference -0.6057055096 (spec L07 D14)");
    check_close("L07.Z5.5.stein_sin_bimodal", sin_lhs, -cos(3.0) * exp(-0.5), 1e-12,
                "L07.Z5.5.stein", "E[sin(x) (log p)'(x)] for the bimodal p equals -cos(3) e^{-1/2} = 0.6004608021");
    check_close("L07.Z5.5.stein_sin_sides", sin_lhs - sin_rhs, 0.0, 1e-12, "L07.Z5.5.stein",
                "both sides of the Stein identity agree for the bimodal p, s = sin");
}

/*: ## Z5.5 The Fisher divergence and the Hyvärinen objective

Expanding the square and applying eq. [eq:L07.Z5.5.stein] to the cross term,

$$ \tfrac12\mathbb E_p\big[(s_\theta - (\log p)')^2\big]
   = \underbrace{\mathbb E_p\big[\tfrac12 s_\theta^2 + \partial_x s_\theta\big]}_{J(\theta)}
   + \underbrace{\tfrac12\mathbb E_p\big[((\log p)')^2\big]}_{\text{const}} $$ {#eq:L07.Z5.5.hyvarinen}

Checked for the bimodal $p$ and the model $\mathcal N(0.5, 2^2)$: left side 0.5516326412,
constant 0.4813201412 (spec L07 D15). The lecture defines the loss without the $\frac12$ and
still writes $J = \mathbb E[\frac12 s^2 + s'] + $ const: its loss is *twice*
$J$ plus a constant. Harmless for the minimiser, but loss values (and differences between
two models) differ by the factor 2, printed below as an erratum.
*/
static void fisher_divergence(void) {
    double fisher = expect_quad(FISHER_DIV, 0.5, 2.0);
    double hyv = expect_quad(HYVARINEN, 0.5, 2.0);
    double data_const = expect_quad(DATA_SCORE_SQ, 0, 1);
    printf("bimodal p, model N(0.5, 2^2): 0.5 E[(s - (log p)')^2] = %.10f, J = %.10f, const = %.10f\n",
           fisher, hyv, data_const);
    check_close("L07.Z5.5.fisher_decomposition", fisher - (hyv + data_const), 0.0, 1e-12,
                "L07.Z5.5.hyvarinen", "0.5 E[(s - (log p)')^2] - (E[0.5 s^2 + s'] + 0.5 E[(log p)'^2])");
    check_close("L07.Z5.5.fisher_value", fisher, 0.5516326412, 1e-9, "L07.Z5.5.hyvarinen",
                "Fisher divergence of N(0.5, 4) from the bimodal p (spec L07 D15)");
    check_close("L07.Z5.5.fisher_constant", data_const, 0.4813201412, 1e-9, "L07.Z5.5.hyvarinen",
                "the dropped constant 0.5 E[(log p)'^2] (spec L07 D15)");
    /* The factor 2: the lecture's unhalved loss compared between two models vs J's difference. */
    double lecture_loss_diff = 2.0 * (expect_quad(FISHER_DIV, 0.5, 2.0) - expect_quad(FISHER_DIV, 0.0, 3.0));
    double j_diff = expect_quad(HYVARINEN, 0.5, 2.0) - expect_quad(HYVARINEN, 0.0, 3.0);
    check_erratum("L07.Z5.5.sm_factor_two", 1.0, lecture_loss_diff / j_diff,
                  "E||s - grad log p||^2 (no 1/2) changes by 2x the change of E[0.5 s^2 + s']: "
                  "ratio between models N(0.5,4) and N(0,9)");
}

/*: ## Z5.5 The objective on data, and its minimiser

Data $x_i \sim \mathcal N(0, 1)$. The sample objective of eq. [eq:L07.Z5.5.hyvarinen], with
$\partial_x s_\theta$ by central differences ($h = 10^{-4}$, exact up to rounding for a
linear score), against eq. [eq:L07.Z5.5.gauss_sm] with $\mu_0 = 0$, $\sigma_0 = 1$:
$J(0,1) = -0.5$ (the minimum), $J(1,1) = 0$, $J(0,2) = -0.21875$, $J(0,\frac12) = 4$. The
tolerance is 5 standard errors of the per-sample terms.
*/
/* x holds n_data draws of N(0, 1). */
static void objective_on_data(const double *x, long n_data) {

    double fd_err = 0.0;
    for (int k = 0; k <= 20; k++) {
        double xx = -5.0 + 0.5 * k;
        fd_err = fmax(fd_err, fabs(dscore_dx_fd(xx, 0.3, 2.0, 1e-4) - dscore_dx_exact(2.0)));
    }
    check_close("L07.Z5.5.fd_jacobian", fd_err, 0.0, 1e-8, NULL,
                "max |central difference ds/dx (h = 1e-4) - (-1/sigma^2)| on a grid, sigma = 2");

    const double params[4][2] = {{0.0, 1.0}, {1.0, 1.0}, {0.0, 2.0}, {0.0, 0.5}};
    const double spec_j[4] = {-0.5, 0.0, -0.21875, 4.0}; /* spec L07 D16 */
    const char *names[4] = {"j_0_1", "j_1_1", "j_0_2", "j_0_half"};
    double j_sample[4];
    for (int k = 0; k < 4; k++) {
        double mu = params[k][0], sigma = params[k][1], se;
        double j_exact = sm_objective_moments(0.0, 1.0, mu, sigma * sigma);
        sm_objective_sample(x, n_data, mu, sigma, &j_sample[k], &se);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.5.%s_closed_form", names[k]);
        check_close(id, j_exact, spec_j[k], 1e-15, "L07.Z5.5.gauss_sm",
                    "closed-form J(mu=%g, sigma=%g) for N(0,1) data (spec L07 D16)", mu, sigma);
        snprintf(id, sizeof id, "L07.Z5.5.%s_sample", names[k]);
        check_mc(id, j_sample[k], j_exact, se, 5.0, n_data, "L07.Z5.5.hyvarinen",
                 "sample J(mu=%g, sigma=%g) on N(0,1) data vs closed form", mu, sigma);
    }
    printf("sample J: (0,1) %.4f  (1,1) %.4f  (0,2) %.4f  (0,0.5) %.4f\n", j_sample[0],
           j_sample[1], j_sample[2], j_sample[3]);
    check_true("L07.Z5.5.true_params_minimal",
               j_sample[0] < j_sample[1] && j_sample[0] < j_sample[2] && j_sample[0] < j_sample[3],
               "the sample objective is smallest at the true (mu, sigma) = (0, 1): estimation without the likelihood");

    double m1 = 0.0, m2 = 0.0;
    for (long i = 0; i < n_data; i++) {
        m1 += x[i];
        m2 += x[i] * x[i];
    }
    m1 /= (double)n_data;
    m2 /= (double)n_data;
    double mu_sm, v_sm;
    int newton_iters = sm_gauss_fit(m1, m2, &mu_sm, &v_sm);
    double mle_mean = stats_mean(x, (size_t)n_data);
    double mle_var = stats_var(x, (size_t)n_data) * (double)(n_data - 1) / (double)n_data;
    printf("score-matching fit (Newton, %d iterations): mu = %.12f, sigma^2 = %.12f\n", newton_iters,
           mu_sm, v_sm);
    printf("Gaussian MLE:                              mu = %.12f, sigma^2 = %.12f\n", mle_mean, mle_var);
    check_close("L07.Z5.5.sm_equals_mle",
                fmax(fabs(mu_sm - mle_mean), fabs(v_sm - mle_var)), 0.0, 1e-12, "L07.Z5.5.gauss_sm",
                "max |SM minimiser - (x_bar, (1/N) sum (x - x_bar)^2)|: the SM estimate is the Gaussian MLE");
}

/*: ## Z5.5 The Gaussian score-matching fit to a bimodal density

The same minimisation with the moments of the bimodal $p$ (quadrature) gives
$\mu = \mathbb E_p[x] = 0$, $\sigma^2 = \operatorname{Var}_p = 10$: the moment-matching fit of the
forward KL (Z5.2). For the Gaussian family SM and MLE coincide; in general score matching
minimises the Fisher divergence eq. [eq:L07.Z5.5.hyvarinen], not the KL, so the lecture's
"score matching is equivalent to MLE" holds only for such special families.
*/
static void bimodal_gaussian_fit(void) {
    double mu_bi, v_bi;
    sm_gauss_fit(expect_quad(BIMODAL_X, 0, 1), expect_quad(BIMODAL_X2, 0, 1), &mu_bi, &v_bi);
    printf("Gaussian SM fit to 0.5 N(-3,1) + 0.5 N(3,1): mu = %.10f, sigma^2 = %.10f\n", mu_bi, v_bi);
    check_close("L07.Z5.5.bimodal_fit_mu", mu_bi, 0.0, 1e-8, "L07.Z5.5.gauss_sm",
                "SM fit of N(mu, sigma^2) to the bimodal p: mu = E_p[x] = 0");
    check_close("L07.Z5.5.bimodal_fit_var", v_bi, 10.0, 1e-8, "L07.Z5.5.gauss_sm",
                "SM fit: sigma^2 = Var_p = 1 + 9 = 10 (the forward-KL fit of Z5.2)");
}

/*: ## Z5.5 Score matching is not maximum likelihood outside such families

Fit the quartic family $p_\theta(x) \propto e^{-\theta x^4/4}$ to data from
$\mathcal N(0, 1)$. Its score is $s_\theta = -\theta x^3$, $s_\theta' = -3\theta x^2$, so

$$ J(\theta) = \tfrac12\theta^2\,\mathbb E_p[x^6] - 3\theta\,\mathbb E_p[x^2], \qquad
   \theta_{\text{SM}} = \frac{3\,\mathbb E_p[x^2]}{\mathbb E_p[x^6]} = \frac{3}{15} = 0.2 $$ {#eq:L07.Z5.5.quartic_sm}

while the MLE matches the sufficient statistic, $\mathbb E_{\theta}[x^4] = \mathbb E_p[x^4] = 3$;
for this family $\mathbb E_\theta[x^4] = 1/\theta$, so $\theta_{\text{MLE}} = 1/3$. The lecture's
"score matching is equivalent to MLE" (erratum 26) holds in the Gaussian family above, not in
general: the two estimators minimise different divergences (Fisher vs KL).
*/
static void sm_is_not_mle(void) {
    //: $\theta_{\text{SM}} = 3\,\mathbb E_p[x^2] / \mathbb E_p[x^6]$ by quadrature, [eq:L07.Z5.5.quartic_sm]
    const double theta_sm = 3.0 * expect_quad(NORMAL_X2, 0, 0) / expect_quad(NORMAL_X6, 0, 0);
    const double theta_mle = 1.0 / 3.0;
    //: $\mathbb E_{\theta}[x^4] = \int x^4 e^{-\theta x^4/4} / \int e^{-\theta x^4/4}$ at $\theta_{\text{MLE}}$
    const double ex4_at_mle = expect_quad(QUARTIC_X4, theta_mle, 0) / expect_quad(QUARTIC_MASS, theta_mle, 0);
    printf("quartic family fitted to N(0,1): theta_SM = %.10f, theta_MLE = 1/3 (E_theta[x^4] = %.10f)\n",
           theta_sm, ex4_at_mle);
    check_close("L07.Z5.5.quartic_sm_fit", theta_sm, 0.2, 1e-10, "L07.Z5.5.quartic_sm",
                "SM estimate of theta in exp(-theta x^4/4) for N(0,1) data (quadrature moments) = 3/15");
    check_close("L07.Z5.5.quartic_mle_moment", ex4_at_mle, 3.0, 1e-10, NULL,
                "at theta = 1/3 the model's E[x^4] (quadrature) equals the data's E[x^4] = 3: the MLE");
    check_erratum("L07.Z5.5.sm_equals_mle_claim", theta_mle, theta_sm,
                  "Z5.5: 'score matching is equivalent to MLE'; for exp(-theta x^4/4) fitted to N(0,1) "
                  "the MLE is 1/3 and the SM estimate 0.2 (equal only in special families such as the Gaussian)");
}

/*: ## Z5.5 Hutchinson's trace estimator

In $d$ dimensions $\operatorname{tr}\nabla_x s_\theta$ needs $d$ derivatives. With a probe $z$,
$\mathbb E[z z^\top] = I$,

$$ \operatorname{tr} A = \mathbb E_z\big[z^\top A z\big],\qquad
   \operatorname{Var}[z^\top A z] = 2\lVert A\rVert_F^2 \ (z \sim \mathcal N(0, I)),\quad
   2\big(\lVert A\rVert_F^2 - \textstyle\sum_i a_{ii}^2\big)\ (z \text{ Rademacher}) $$ {#eq:L07.Z5.5.hutchinson}

for symmetric $A$. Here $A_{ij} = 1/(1+\lvert i-j\rvert)$, $d = 10$, is the negated
Jacobian of the score $s(x) = -Ax$ (a Gaussian with precision $A$), and $z^\top\nabla_x s\,z$
is computed as sliced score matching does: a directional central difference of the score
along $z$, no Jacobian. Expected: trace $-10$, variances $2\lVert A\rVert_F^2 = 36.4739$
and $16.4739$ (spec L07 D17). Tolerances: 5 standard errors, the SE of a sample variance
from the fourth moment, $\sqrt{(m_4 - s^4)/K}$.
*/
static void hutchinson(const Cli *cli) {
    Rng rng;
    enum { D = 10 };
    double a_mat[D][D], frob2 = 0.0, diag2 = 0.0, trace = 0.0;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            a_mat[i][j] = 1.0 / (1.0 + abs(i - j));
            frob2 += a_mat[i][j] * a_mat[i][j];
        }
    for (int i = 0; i < D; i++) {
        diag2 += a_mat[i][i] * a_mat[i][i];
        trace -= a_mat[i][i]; /* tr(grad s) = tr(-A) */
    }
    check_close("L07.Z5.5.hutchinson_frobenius", 2.0 * frob2, 36.4739072, 1e-7,
                "L07.Z5.5.hutchinson", "2 ||A||_F^2 for A_ij = 1/(1+|i-j|), d = 10 (spec L07 D17)");
    long n_probe = cli_scale(cli, 4000, 100000, 1000000);
    double *quad_form = xmalloc((size_t)n_probe * sizeof *quad_form);
    for (int kind = 0; kind < 2; kind++) { /* 0: Gaussian probes, 1: Rademacher */
        rng_init(&rng, cli->seed, 1 + (uint64_t)kind);
        for (long k = 0; k < n_probe; k++) {
            double z[D], xp[D], sp[D], sm[D], base[D];
            for (int i = 0; i < D; i++) {
                z[i] = kind == 0 ? rng_normal(&rng) : (rng_uniform(&rng) < 0.5 ? -1.0 : 1.0);
                base[i] = 0.1 * i; /* the point x where the Jacobian is taken */
            }
            const double h = 1e-3;
            for (int sign = -1; sign <= 1; sign += 2) {
                for (int i = 0; i < D; i++) xp[i] = base[i] + sign * h * z[i];
                double *s_out = sign > 0 ? sp : sm;
                for (int i = 0; i < D; i++) { /* s(x) = -A x */
                    s_out[i] = 0.0;
                    for (int j = 0; j < D; j++) s_out[i] -= a_mat[i][j] * xp[j];
                }
            }
            double q = 0.0;
            //: $z^\top(\nabla_x s)z \approx z^\top\big(s(x + hz) - s(x - hz)\big)/2h$, eq. [eq:L07.Z5.5.hutchinson]
            for (int i = 0; i < D; i++) q += z[i] * (sp[i] - sm[i]) / (2.0 * h);
            quad_form[k] = q;
        }
        double mean, var;
        stats_mean_var(quad_form, (size_t)n_probe, &mean, &var);
        double m4 = 0.0;
        for (long k = 0; k < n_probe; k++) m4 += pow(quad_form[k] - mean, 4);
        m4 /= (double)n_probe;
        double var_expect = kind == 0 ? 2.0 * frob2 : 2.0 * (frob2 - diag2);
        const char *kname = kind == 0 ? "gaussian" : "rademacher";
        printf("Hutchinson (%s probes, K = %ld): mean %.4f (trace %.1f), variance %.4f (theory %.4f)\n",
               kname, n_probe, mean, trace, var, var_expect);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.5.hutchinson_%s_mean", kname);
        check_mc(id, mean, trace, sqrt(var / (double)n_probe), 5.0, n_probe, "L07.Z5.5.hutchinson",
                 "mean of z^T (grad s) z over %s probes equals tr(grad s) = -10", kname);
        snprintf(id, sizeof id, "L07.Z5.5.hutchinson_%s_var", kname);
        check_mc(id, var, var_expect, sqrt((m4 - var * var) / (double)n_probe), 5.0, n_probe,
                 "L07.Z5.5.hutchinson", "variance of the %s-probe estimate (theory %.4f)", kname,
                 var_expect);
    }
    free(quad_form);
}

static const double sigma_noise = 0.5; /* sigma_t of the DSM and Tweedie sections */

/*: ## Z5.5 Denoising score matching, with the target's sign corrected

Perturb $\tilde x = x + \sigma\varepsilon$. The conditional score is
$\nabla_{\tilde x}\log q(\tilde x\mid x) = -(\tilde x - x)/\sigma^2$, and

$$ J_{\text{DSM}}(\theta) = \mathbb E_{x,\tilde x}\Big[\big\lVert s_\theta(\tilde x) + \tfrac{\tilde x - x}{\sigma^2}\big\rVert^2\Big] $$ {#eq:L07.Z5.5.dsm}

is minimised by the score of the noisy marginal $p_\sigma = p * \mathcal N(0,\sigma^2)$. For
$x \sim \mathcal N(0,1)$, $p_\sigma = \mathcal N(0, 1+\sigma^2)$ and the linear model
$s(\tilde x) = a\tilde x$ has least-squares optimum $a = -1/(1+\sigma^2) = -0.8$ at
$\sigma = 0.5$. The lecture writes the target as $+(\tilde x - x)/\sigma^2$: the same fit then
returns $a = +0.8$, a "score" that points away from the data.
*/
/* Draws (x, eps, x~ = x + sigma eps) into the three arrays (n_dsm each) and returns the fitted
   DSM slope. */
static double denoising_sm(const Cli *cli, long n_dsm, double *x_clean, double *eps, double *x_noisy) {
    Rng rng;
    double *target = xmalloc((size_t)n_dsm * sizeof *target);
    rng_init(&rng, cli->seed, 3);
    for (long i = 0; i < n_dsm; i++) {
        x_clean[i] = rng_normal(&rng);
        eps[i] = rng_normal(&rng);
        x_noisy[i] = x_clean[i] + sigma_noise * eps[i];
        //: target $-(\tilde x - x)/\sigma^2$, eq. [eq:L07.Z5.5.dsm]
        target[i] = -(x_noisy[i] - x_clean[i]) / (sigma_noise * sigma_noise);
    }
    double a_dsm, se_dsm;
    ols_slope(x_noisy, target, n_dsm, &a_dsm, &se_dsm);
    double a_expect = -1.0 / (1.0 + sigma_noise * sigma_noise);
    printf("DSM, sigma = 0.5: fitted a = %.5f (score of N(0, 1.25): %.5f)\n", a_dsm, a_expect);
    check_mc("L07.Z5.5.dsm_slope", a_dsm, a_expect, se_dsm, 5.0, n_dsm, "L07.Z5.5.dsm",
             "least-squares DSM slope a (s = a x_noisy) equals the noisy-marginal score slope -1/(1+sigma^2)");
    for (long i = 0; i < n_dsm; i++) target[i] = -target[i]; /* the lecture's +(x~ - x)/sigma^2 */
    double a_lecture, se_lecture;
    ols_slope(x_noisy, target, n_dsm, &a_lecture, &se_lecture);
    check_erratum("L07.Z5.5.dsm_target_sign", a_lecture, a_expect,
                  "DSM with the lecture's target +(x~ - x)/sigma^2 learns a = %+.3f, the negated score; "
                  "the target is -(x~ - x)/sigma^2", a_lecture);
    free(target);
    return a_dsm;
}

/*: ## Z6.3 and FAQ Q4 Tweedie's formula, $\varepsilon$-prediction and the score

With $x_t = x_0 + \sigma_t\varepsilon$, the marginal score and the posterior mean of the noise
are tied by

$$ \nabla_{x_t}\log p_t(x_t) = -\frac{\mathbb E[\varepsilon\mid x_t]}{\sigma_t},\qquad
   \mathbb E[x_0\mid x_t] = x_t + \sigma_t^2\,\nabla_{x_t}\log p_t(x_t) $$ {#eq:L07.Z5.5.tweedie}

so a network trained on DDPM's $\lVert\varepsilon - \hat\varepsilon_\theta(x_t)\rVert^2$ learns
$\mathbb E[\varepsilon\mid x_t]$, that is the score up to $-1/\sigma_t$. For
$x_0 \sim \mathcal N(0,1)$, $\sigma_t = 0.5$: $\mathbb E[\varepsilon\mid x_t] = 0.4\,x_t$, score
$-0.8\,x_t$, $\mathbb E[x_0\mid x_t] = 0.8\,x_t$ (spec L07 D19). FAQ Q4 writes the score as
$-\varepsilon/\sigma_t$: that is the *conditional* score $\nabla\log p(x_t\mid x_0)$, which
differs from the marginal one by a noise of variance
$\operatorname{Var}(\varepsilon\mid x_t)/\sigma_t^2 = 0.8/0.25 = 3.2$.
*/
static void tweedie(long n_dsm, const double *x_clean, const double *eps, const double *x_noisy, double a_dsm) {
    double slope_eps, se_eps, slope_x0, se_x0;
    ols_slope(x_noisy, eps, n_dsm, &slope_eps, &se_eps);
    ols_slope(x_noisy, x_clean, n_dsm, &slope_x0, &se_x0);
    double var_t = 1.0 + sigma_noise * sigma_noise;
    double eps_slope_expect = sigma_noise / var_t;
    printf("Tweedie: E[eps | x_t] slope %.4f, implied score slope %.4f, E[x0 | x_t] slope %.4f\n",
           slope_eps, -slope_eps / sigma_noise, slope_x0);
    check_mc("L07.Z5.5.tweedie_eps_slope", slope_eps, eps_slope_expect, se_eps, 5.0, n_dsm,
             "L07.Z5.5.tweedie", "regression of eps on x_t: E[eps | x_t] = sigma_t/(1+sigma_t^2) x_t = 0.4 x_t");
    printf("on the same draws the DSM slope is exactly -(eps slope)/sigma_t (least squares is linear in "
           "the target -eps/sigma_t): %.6f vs %.6f\n", a_dsm, -slope_eps / sigma_noise);
    check_mc("L07.Z5.5.tweedie_denoiser", slope_x0, 1.0 / var_t, se_x0, 5.0, n_dsm, "L07.Z5.5.tweedie",
             "regression of x0 on x_t: E[x0 | x_t] = x_t/(1+sigma_t^2) = 0.8 x_t");
    //: $\mathbb E[x_0\mid x_t] = x_t + \sigma_t^2 \nabla\log p_t$, [eq:L07.Z5.5.tweedie]
    const double x0_slope_tweedie = 1.0 + sigma_noise * sigma_noise * (-slope_eps / sigma_noise);
    printf("Tweedie on the same draws (exact, since x0 = x_t - sigma_t eps): 1 + sigma_t^2 * score slope "
           "= %.6f, fitted E[x0 | x_t] slope = %.6f\n", x0_slope_tweedie, slope_x0);
    Welford cond_gap;
    welford_init(&cond_gap);
    for (long i = 0; i < n_dsm; i++) {
        double gap = -eps[i] / sigma_noise - (-x_noisy[i] / var_t);
        welford_push(&cond_gap, gap * gap);
    }
    double gap_expect = (1.0 - sigma_noise * sigma_noise / var_t) / (sigma_noise * sigma_noise);
    check_mc("L07.Z5.5.conditional_vs_marginal", cond_gap.mean, gap_expect,
             sqrt(welford_var(&cond_gap) / (double)n_dsm), 5.0, n_dsm, "L07.Z5.5.tweedie",
             "E[(-eps/sigma_t - marginal score)^2] = Var(eps | x_t)/sigma_t^2 = 3.2");
    check_erratum("L07.Z5.5.faq4_conditional_score", 0.0, gap_expect,
                  "FAQ Q4 calls -eps/sigma_t the score of p_t; its mean squared gap to the marginal score is 3.2, not 0");
}

/* Figure `sm_objective.png`: J(0, sigma) on the sample and in closed form. */
static void figure(const Cli *cli, const double *x, long n_data) {
    enum { NS = 60 };
    double sig[NS], j_closed[NS], j_emp[NS];
    for (int k = 0; k < NS; k++) {
        double se;
        sig[k] = 0.6 + 2.4 * k / (NS - 1.0);
        j_closed[k] = sm_objective_moments(0.0, 1.0, 0.0, sig[k] * sig[k]);
        sm_objective_sample(x, n_data, 0.0, sig[k], &j_emp[k], &se);
    }
    Plot *plot = plot_new(720, 440, "Z5.5: score-matching objective J(mu = 0, sigma), data N(0, 1)");
    plot_xlabel(plot, "model sigma");
    plot_ylabel(plot, "J = E[s^2/2 + ds/dx]");
    plot_series_dash(plot_line(plot, sig, j_closed, NS, "closed form (s0^2 + mu^2)/(2 s^4) - 1/s^2"),
                     PLOT_DASHED);
    char label[64];
    snprintf(label, sizeof label, "sample estimate (N = %ld draws)", n_data);
    plot_scatter(plot, sig, j_emp, NS, label);
    plot_vline(plot, 1.0, "true sigma0 = 1 (the minimum)");
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "sm_objective.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.5: score matching numerically (Stein identity, Hyvarinen objective, "
              "Hutchinson, denoising SM, Tweedie)",
              5, NULL);
    const long n_data = cli_scale(&cli, 5000, 100000, 1000000);
    const long n_dsm = cli_scale(&cli, 20000, 1000000, 4000000);
    double *x = xmalloc((size_t)n_data * sizeof *x);
    double *x_clean = xmalloc((size_t)n_dsm * sizeof *x_clean), *eps = xmalloc((size_t)n_dsm * sizeof *eps);
    double *x_noisy = xmalloc((size_t)n_dsm * sizeof *x_noisy);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    for (long i = 0; i < n_data; i++) x[i] = rng_normal(&rng);
    stein_identity();
    fisher_divergence();
    objective_on_data(x, n_data);
    bimodal_gaussian_fit();
    sm_is_not_mle();
    hutchinson(&cli);
    const double a_dsm = denoising_sm(&cli, n_dsm, x_clean, eps, x_noisy);
    tweedie(n_dsm, x_clean, eps, x_noisy, a_dsm);
    figure(&cli, x, n_data);
    free(x);
    free(x_noisy);
    free(eps);
    free(x_clean);
    return check_end();
}
