/*: # L35 A.1–A.2, 5.1 — The score-matching identities, by quadrature and Monte Carlo

**Lecture 35, Part 2, appendix A.1 (Hyvärinen's integration by parts), A.2 (Vincent's DSM
equivalence and Tweedie's formula), self-test 5.1 Q1–Q3, comprehension checks 95 %-1/2 (DSM =
$\epsilon$-prediction, Hutchinson's trace estimator behind sliced score matching) and the 7.5
progress tracker.**

All expectations are over the lecture's mixture $p = \tfrac12\mathcal N((-2,0), I) + \tfrac12\mathcal N((2,0), I)$.
It factorises, $p(x) = m(x_1)\,\varphi(x_2)$ with $m = \tfrac12\mathcal N(-2,1) + \tfrac12\mathcal N(2,1)$,
so a tensor-product Gauss–Legendre rule on $[-14, 14]^2$ integrates to ~$10^{-13}$; every identity is
also checked by Monte Carlo with a standard error from the samples.

What you will see: $J(p) = \mathbb E\lVert\nabla\log p\rVert^2 = 1.725610$; Hyvärinen's identity
for a linear and a nonlinear field (LHS = RHS + C); Stein's identity; the Fisher divergence to a
moment-matched Gaussian; the Gaussian-kernel score $-\epsilon/\sigma$; Tweedie's posterior mean by
formula and by importance sampling; Vincent's decomposition of the DSM loss with its constant;
$J(q_\sigma) \to J(p)$ as $\sigma \to 0$; and Hutchinson's estimator of the trace of an MLP's
Jacobian. No figure.

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/09_score_identities`.

| symbol | C name | shape |
|---|---|---|
| $\nabla\log p$, $\nabla\log q_\sigma$ | `gmm_pair_perturbed_score()` (common/gauss; $\sigma = 0$ for $p$) | (2) |
| quadrature nodes, weights | `qx`, `qw` | (NQ) |
| $J(q_\sigma)$, $C(\sigma)$ | `j_q`, `c_sigma` | scalars |
| $s(x) = Ax + b$ (test field) | `lin_a`, `lin_b` | (2,2), (2) |
| $J(p)$ | `j_p` | scalar |
| $\sigma$, $v = 1+\sigma^2$ | `sigma`, `v` | scalars |
| $J_f = \partial f/\partial x$ (MLP Jacobian) | `jac` | (D, D) |
| $v$ (probe vector) | `probe` | (D) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 2, GL_N = 16, PANELS = 56, NQ = GL_N * PANELS, HD = 10 };
static const double LIN_A[2][2] = {{-0.5, 0.2}, {0.1, -0.8}}, LIN_B[2] = {0.3, -0.1};
static double qx[NQ], qw[NQ];

/* Score of q_sigma, the mixture smoothed by N(0, sigma^2 I) (sigma = 0: p itself), in the tanh
   form of eq. [eq:L35.4.2.perturbed_score]: common/gauss.h's gmm_pair_perturbed_score. */
static const double MODE = 2.0;

/* E over the mixture with component variance v of f(x), by the tensor-product rule. */
typedef double (*Field2)(const double *x, void *ctx);
static double expect(Field2 f, void *ctx, double v) {
    static double wx[NQ], wy[NQ];
    for (int i = 0; i < NQ; i++) {
        double t = qx[i];
        wx[i] = qw[i] * (0.5 * exp(gauss_logpdf_1d(t, -2, sqrt(v))) + 0.5 * exp(gauss_logpdf_1d(t, 2, sqrt(v))));
        wy[i] = qw[i] * exp(gauss_logpdf_1d(t, 0, sqrt(v)));
    }
    double total = 0;
    for (int i = 0; i < NQ; i++) {
        if (wx[i] < 1e-300) continue;
        double row = 0;
        for (int j = 0; j < NQ; j++) {
            if (wy[j] < 1e-300) continue;
            const double x[D] = {qx[i], qx[j]};
            row += wy[j] * f(x, ctx);
        }
        total += wx[i] * row;
    }
    return total;
}

static void sample_mixture(Rng *r, double *x) {
    x[0] = (rng_uniform(r) < 0.5 ? -2.0 : 2.0) + rng_normal(r);
    x[1] = rng_normal(r);
}

/*: ## A.1 Hyvärinen's identity

$$ \tfrac12\mathbb E_p\lVert\nabla\log p - s\rVert^2 = \mathbb E_p\big[\operatorname{tr}\nabla s + \tfrac12\lVert s\rVert^2\big] + \underbrace{\tfrac12 J(p)}_{C} $$ {#eq:L35.A.1.hyvarinen}

It rests on Stein's identity (integration by parts, boundary terms vanish):

$$ \mathbb E_p\big[\nabla\log p\cdot s + \operatorname{tr}\nabla s\big] = 0 $$ {#eq:L35.A.1.stein}

Two test fields: linear $s = Ax + b$ ($\operatorname{tr}\nabla s = \operatorname{tr}A$) and
$s = (\sin x_2 - 0.5x_1,\ x_2\cos x_1)$ ($\operatorname{tr}\nabla s = -0.5 + \cos x_1$).
*/
typedef struct {
    int which; /* 0: linear, 1: nonlinear */
    int term;  /* 0: LHS integrand, 1: RHS integrand, 2: Stein residual, 3: |score|^2, 4: Laplacian */
    double v;  /* for term 5: Fisher divergence to N(0, diag(5,1)) */
} TestField;

static void test_field(int which, const double *x, double *s, double *tr) {
    if (which == 0) {
        for (int a = 0; a < D; a++) s[a] = LIN_A[a][0] * x[0] + LIN_A[a][1] * x[1] + LIN_B[a];
        *tr = LIN_A[0][0] + LIN_A[1][1];
    } else {
        s[0] = sin(x[1]) - 0.5 * x[0];
        s[1] = x[1] * cos(x[0]);
        *tr = -0.5 + cos(x[0]);
    }
}

static double field_term(const double *x, void *ctx) {
    const TestField *tf = ctx;
    double sp[D], s[D], tr;
    //: $\nabla\log p$, [eq:L35.4.2.perturbed_score] at $\sigma = 0$
    gmm_pair_perturbed_score(x, D, MODE, 0.0, sp);
    test_field(tf->which, x, s, &tr);
    switch (tf->term) {
    case 0:
        //: $\tfrac12\lVert\nabla\log p - s\rVert^2$, eq. [eq:L35.A.1.hyvarinen]
        return 0.5 * ((sp[0] - s[0]) * (sp[0] - s[0]) + (sp[1] - s[1]) * (sp[1] - s[1]));
    case 1:
        //: $\operatorname{tr}\nabla s + \tfrac12\lVert s\rVert^2$
        return tr + 0.5 * (s[0] * s[0] + s[1] * s[1]);
    case 2:
        //: $\nabla\log p\cdot s + \operatorname{tr}\nabla s$, eq. [eq:L35.A.1.stein]
        return sp[0] * s[0] + sp[1] * s[1] + tr;
    case 3: return sp[0] * sp[0] + sp[1] * sp[1];
    case 4: { /* Laplacian of log p: d/dx1 (-x1 + 2 tanh 2x1) + d/dx2 (-x2) */
        double c = cosh(2.0 * x[0]);
        return -1.0 + 4.0 / (c * c) - 1.0;
    }
    default: { /* 5: 1/2 |grad log p - grad log N(0, diag(5, 1))|^2 */
        double d0 = sp[0] + x[0] / 5.0, d1 = sp[1] + x[1];
        return 0.5 * (d0 * d0 + d1 * d1);
    }
    }
}

/* Used with v != 1: the Fisher information of q_sigma, and the A.2 linear-field error. */
typedef struct {
    double v, sigma; /* v = 1 + sigma^2 */
    int term;        /* 0: |grad log q|^2, 1: |s_lin - grad log q|^2 */
} QField;

static double q_term(const double *x, void *ctx) {
    const QField *qf = ctx;
    double sq[D], s[D], tr;
    //: $\nabla\log q_\sigma$, [eq:L35.4.2.perturbed_score]
    gmm_pair_perturbed_score(x, D, MODE, qf->sigma, sq);
    //: $\lVert\nabla\log q_\sigma\rVert^2$, the integrand of $J(q_\sigma)$
    if (qf->term == 0) return sq[0] * sq[0] + sq[1] * sq[1];
    test_field(0, x, s, &tr);
    return (s[0] - sq[0]) * (s[0] - sq[0]) + (s[1] - sq[1]) * (s[1] - sq[1]);
}

static double self_div_term(const double *x, void *ctx) {
    double a[D], b[D];
    gmm_pair_perturbed_score(x, D, MODE, 0.0, a);
    gmm_score(ctx, x, b);
    //: $\tfrac12\lVert\nabla\log p - \nabla\log p\rVert^2$, eq. [eq:L35.5.1.fisher_divergence]
    return 0.5 * ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));
}

/* The tensor-product rule: GL_N-point Gauss-Legendre on PANELS panels of [-14, 14]. */
static void setup_quadrature(void) {
    double nodes[GL_N], weights[GL_N];
    gauss_legendre(GL_N, nodes, weights);
    const double a = -14.0, width = 28.0 / PANELS;
    for (int p = 0; p < PANELS; p++)
        for (int k = 0; k < GL_N; k++) {
            qx[p * GL_N + k] = a + width * (p + 0.5 + 0.5 * nodes[k]);
            qw[p * GL_N + k] = 0.5 * width * weights[k];
        }
}

/* A.1: J(p) and the Laplacian identity E[Laplacian log p] = -J(p) (Stein with s = grad log p). */
static double fisher_information(void) {
    TestField tf = {0, 3, 1.0};
    //: $J(p) = \mathbb E_p\lVert\nabla\log p\rVert^2$
    const double j_p = expect(field_term, &tf, 1.0);
    tf.term = 4;
    const double lap = expect(field_term, &tf, 1.0);
    printf("J(p) = %.7f, E[Laplacian log p] = %.7f, ESM minimum -J/2 = %.7f\n", j_p, lap, -0.5 * j_p);
    check_close("L35.A.1.fisher_information", j_p, 1.725610, 1e-6, "L35.A.1.hyvarinen",
                "J(p) = E|grad log p|^2 by quadrature (spec 1.725610)");
    check_close("L35.A.1.laplacian_identity", lap + j_p, 0.0, 1e-10, "L35.A.1.stein",
                "E[Laplacian log p] = -J(p) (Stein with s = grad log p)");
    check_close("L35.A.1.esm_at_true_score", lap + 0.5 * j_p, -0.5 * j_p, 1e-10, "L35.A.1.hyvarinen",
                "ESM objective E[tr grad s + |s|^2/2] at s = grad log p equals -J/2 = -0.862805");
    return j_p;
}

/* A.1: Hyvarinen's identity and Stein's for the two test fields, by quadrature. */
static void hyvarinen_fields(double j_p) {
    TestField tf = {0, 0, 1.0};
    const double lhs_ref[2] = {0.6028052, 1.1794503}; /* spec L35 section 4, item 1 */
    const char *fname[2] = {"linear", "nonlinear"};
    for (int which = 0; which < 2; which++) {
        tf.which = which;
        tf.term = 0;
        double lhs = expect(field_term, &tf, 1.0);
        tf.term = 1;
        double rhs = expect(field_term, &tf, 1.0);
        tf.term = 2;
        double stein = expect(field_term, &tf, 1.0);
        printf("%-9s field: LHS %.7f = RHS %.7f + C %.7f; Stein residual %.1e\n", fname[which], lhs, rhs,
               0.5 * j_p, stein);
        char id[64];
        snprintf(id, sizeof id, "L35.A.1.hyvarinen_%s", fname[which]);
        //: LHS $-$ (RHS $+ J/2$), [eq:L35.A.1.hyvarinen]
        check_close(id, lhs - (rhs + 0.5 * j_p), 0.0, 1e-9, "L35.A.1.hyvarinen",
                    "%s field: 1/2 E|grad log p - s|^2 - (E[tr grad s + |s|^2/2] + J/2)", fname[which]);
        snprintf(id, sizeof id, "L35.A.1.lhs_%s", fname[which]);
        check_close(id, lhs, lhs_ref[which], 1e-7, "L35.A.1.hyvarinen", "%s field: LHS (spec %.7f)",
                    fname[which], lhs_ref[which]);
        snprintf(id, sizeof id, "L35.A.1.stein_%s", fname[which]);
        check_close(id, stein, 0.0, 1e-10, "L35.A.1.stein", "%s field: E[grad log p . s + tr grad s]", fname[which]);
        if (which == 0) {
            /* closed form: tr A + (tr(A Sigma A^T) + |b|^2)/2 with Sigma = diag(5, 1) */
            double tr_a_sigma_at = 0;
            for (int a = 0; a < D; a++) tr_a_sigma_at += 5 * LIN_A[a][0] * LIN_A[a][0] + LIN_A[a][1] * LIN_A[a][1];
            //: $\operatorname{tr}A + (\operatorname{tr}(A\Sigma A^\top) + \lVert b\rVert^2)/2$
            double closed = LIN_A[0][0] + LIN_A[1][1] + 0.5 * (tr_a_sigma_at + LIN_B[0] * LIN_B[0] + LIN_B[1] * LIN_B[1]);
            check_close("L35.A.1.esm_linear_closed_form", rhs, closed, 1e-10, "L35.A.1.hyvarinen",
                        "E[tr A + |Ax+b|^2/2] = tr A + (tr(A Sigma A^T) + |b|^2)/2 = -0.26");
        }
    }
}

/* A.1 by Monte Carlo: Stein's residual (nonlinear field) and sliced score matching (linear field). */
static void hyvarinen_mc(const Cli *cli) {
    const long n_mc = cli_scale(cli, 20000, 1000000, 4000000);
    Rng r;
    rng_init(&r, cli->seed, 0);
    double *res = xmalloc(sizeof(double) * n_mc), *ssm = xmalloc(sizeof(double) * n_mc);
    for (long i = 0; i < n_mc; i++) {
        double x[D], sp[D], s[D], tr;
        sample_mixture(&r, x);
        //: $\nabla\log p$, [eq:L35.4.2.perturbed_score] at $\sigma = 0$
        gmm_pair_perturbed_score(x, D, MODE, 0.0, sp);
        test_field(1, x, s, &tr);
        //: $\nabla\log p\cdot s + \operatorname{tr}\nabla s$, [eq:L35.A.1.stein]
        res[i] = sp[0] * s[0] + sp[1] * s[1] + tr;
        /* Sliced score matching replaces $\operatorname{tr}\nabla s$ by $v^\top(\nabla s)v$ and
            needs no Hessian: $\mathbb E_{p,v}[v^\top\nabla s\,v + \tfrac12\lVert s\rVert^2]$ = ESM. */
        double pv[D] = {rng_normal(&r), rng_normal(&r)}, sl[D];
        test_field(0, x, sl, &tr);
        double vav = 0;
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) vav += pv[a] * LIN_A[a][b] * pv[b];
        //: $v^\top\nabla s\,v + \tfrac12\lVert s\rVert^2$, [eq:L35.5.5.hutchinson]
        ssm[i] = vav + 0.5 * (sl[0] * sl[0] + sl[1] * sl[1]);
    }
    double se_r, m_r = stats_mean_se(res, (size_t)n_mc, &se_r), se_s, m_s = stats_mean_se(ssm, (size_t)n_mc, &se_s);
    check_mc("L35.A.1.stein_mc", m_r, 0.0, se_r, 4, n_mc, "L35.A.1.stein",
             "Monte-Carlo Stein residual, nonlinear field (SE from samples)");
    check_mc("L35.5.5.ssm_equals_esm_linear", m_s, -0.26, se_s, 4, n_mc, "L35.5.5.hutchinson",
             "sliced SM objective with Gaussian v equals the ESM value -0.26 (SE from samples)");
    free(res), free(ssm);
}

/*: ## 5.1 Q1: the Fisher divergence

$$ D_F(p\,\|\,q) = \tfrac12\mathbb E_p\lVert\nabla\log p - \nabla\log q\rVert^2 $$ {#eq:L35.5.1.fisher_divergence}

For $q = \mathcal N(0, \operatorname{diag}(5, 1))$ (same mean and covariance as $p$) Stein's
identity gives the closed form $\tfrac12 J_x - \tfrac15 + \tfrac1{10}$ with
$J_x = J(p) - 1$: 0.2628052.
*/
static void fisher_divergence(double j_p) {
    TestField tf = {0, 5, 1.0};
    //: $D_F(p\,\|\,q)$ by quadrature, [eq:L35.5.1.fisher_divergence]
    double dfg = expect(field_term, &tf, 1.0);
    check_close("L35.5.1.fisher_div_gauss", dfg, 0.5 * (j_p - 1.0) - 0.2 + 0.1, 1e-10,
                "L35.5.1.fisher_divergence", "D_F(p || N(0, diag(5,1))) by quadrature = J_x/2 - 0.1 (0.2628052)");
    {
        /* D_F(p || p) with the two scores from different code paths: the tanh closed form and
           common/gauss.h's log-space gmm_score. */
        Gmm g = gmm_new(2, D);
        const double left[D] = {-2, 0}, right[D] = {2, 0};
        gmm_set(&g, 0, 0.5, left, NULL, 1.0);
        gmm_set(&g, 1, 0.5, right, NULL, 1.0);
        gmm_normalise(&g);
        double dself = expect(self_div_term, &g, 1.0);
        check_close("L35.5.1.fisher_div_self", dself, 0.0, 1e-12, "L35.5.1.fisher_divergence",
                    "D_F(p || p) = 0 (tanh-form score vs gmm_score, by quadrature)");
        gmm_free(&g);
    }
}

/*: ## 5.1 Q3: the score of the Gaussian kernel

$$ \nabla_{\tilde x}\log\mathcal N(\tilde x; x, \sigma^2 I) = -\frac{\tilde x - x}{\sigma^2} = -\frac{\epsilon}{\sigma} $$ {#eq:L35.5.1.kernel_score}
*/
static const double SIGMA = 0.5;

static void kernel_score(void) {
    const double sigma = SIGMA;
    const double x[D] = {0.7, -1.2}, eps[D] = {0.9, -0.4};
    double xt[D], worst = 0;
    //: $\tilde x = x + \sigma\epsilon$
    for (int a = 0; a < D; a++) xt[a] = x[a] + sigma * eps[a];
    for (int a = 0; a < D; a++) {
        const double h = 1e-5;
        double xp[D] = {xt[0], xt[1]}, xm[D] = {xt[0], xt[1]};
        xp[a] += h, xm[a] -= h;
        //: central difference of $\log\mathcal N(\tilde x; x, \sigma^2 I)$
        double fd = (gauss_logpdf_iso(xp, x, sigma * sigma, D) - gauss_logpdf_iso(xm, x, sigma * sigma, D)) / (2 * h);
        //: $-\epsilon/\sigma$, eq. [eq:L35.5.1.kernel_score]
        double exact = -eps[a] / sigma;
        worst = fmax(worst, fabs(fd - exact) / fabs(exact));
    }
    check_le("L35.5.1.gauss_kernel_score_fd", worst, 1e-7, 0.0, "L35.5.1.kernel_score",
             "relative error of the finite-difference kernel score vs -eps/sigma");
}

/*: ## A.2 Tweedie's formula

$$ \mathbb E[x\mid\tilde x] = \tilde x + \sigma^2\nabla\log q_\sigma(\tilde x) = \sum_k r_k(\tilde x)\,\frac{\tilde x + \sigma^2\mu_k}{1+\sigma^2} $$ {#eq:L35.A.2.tweedie_posterior}

(the right side: each component's Gaussian posterior mean, weighted by the responsibilities of
$q_\sigma$). Importance sampling estimates the same mean from $x \sim p$ with weights
$\mathcal N(\tilde x; x, \sigma^2 I)$, SE by the delta method.
*/
static void tweedie(const Cli *cli) {
    const long n_mc = cli_scale(cli, 20000, 1000000, 4000000);
    const double sigma = SIGMA, v = 1.0 + sigma * sigma;
    const double xt[D] = {1.0, 0.5}, mu[2][D] = {{-2, 0}, {2, 0}};
    double sq[D], ell[2], post[D] = {0, 0};
    //: $\nabla\log q_\sigma(\tilde x)$, [eq:L35.4.2.perturbed_score]
    gmm_pair_perturbed_score(xt, D, MODE, sigma, sq);
    for (int k = 0; k < 2; k++) ell[k] = gauss_logpdf_iso(xt, mu[k], v, D);
    double m = fmax(ell[0], ell[1]), r0 = exp(ell[0] - m), r1 = exp(ell[1] - m);
    double resp[2] = {r0 / (r0 + r1), r1 / (r0 + r1)};
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < D; a++) post[a] += resp[k] * (xt[a] + sigma * sigma * mu[k][a]) / v;
    //: $\tilde x + \sigma^2\nabla\log q_\sigma(\tilde x)$, [eq:L35.A.2.tweedie_posterior]
    double tw[D] = {xt[0] + sigma * sigma * sq[0], xt[1] + sigma * sigma * sq[1]};
    printf("Tweedie at (1, 0.5): responsibilities (%.7f, %.7f), posterior mean (%.7f, %.7f)\n", resp[0], resp[1],
           post[0], post[1]);
    check_close("L35.A.2.tweedie_formula", hypot(post[0] - tw[0], post[1] - tw[1]), 0.0, 1e-12,
                "L35.A.2.tweedie_posterior", "posterior mean by components = x~ + sigma^2 grad log q");
    check_close("L35.A.2.tweedie_value", hypot(post[0] - 1.1686674, post[1] - 0.4), 0.0, 1e-7,
                "L35.A.2.tweedie_posterior", "posterior mean at (1, 0.5) = (1.1686674, 0.4) (spec)");
    Rng r;
    rng_init(&r, cli->seed, 1);
    double sw = 0, swx[D] = {0, 0};
    double *w = xmalloc(sizeof(double) * n_mc), *xs = xmalloc(sizeof(double) * n_mc * D);
    for (long i = 0; i < n_mc; i++) {
        sample_mixture(&r, xs + i * D);
        //: importance weight $\mathcal N(\tilde x; x, \sigma^2 I)$
        w[i] = exp(gauss_logpdf_iso(xt, xs + i * D, sigma * sigma, D));
        sw += w[i];
        for (int a = 0; a < D; a++) swx[a] += w[i] * xs[i * D + a];
    }
    for (int a = 0; a < D; a++) {
        double est = swx[a] / sw, var = 0;
        for (long i = 0; i < n_mc; i++) var += w[i] * w[i] * (xs[i * D + a] - est) * (xs[i * D + a] - est);
        char id[64];
        snprintf(id, sizeof id, "L35.A.2.tweedie_is_%d", a + 1);
        check_mc(id, est, post[a], sqrt(var) / sw, 4, n_mc, "L35.A.2.tweedie_posterior",
                 "self-normalised importance-sampling posterior mean, coordinate %d (delta-method SE)", a + 1);
    }
    free(w), free(xs);
}

/*: ## A.2 Vincent's decomposition, with its constant

For the linear field, eq. [eq:L35.A.2.vincent_constant]: quadrature of
$\mathbb E_{q_\sigma}\lVert s - \nabla\log q_\sigma\rVert^2$ plus $C(\sigma) = d/\sigma^2 - J(q_\sigma)$ must equal the
closed form $\mathcal L_\text{DSM}(s) = \operatorname{tr}(A\Sigma_qA^\top) + \lVert b\rVert^2 + 2\operatorname{tr}A + d/\sigma^2$
($\Sigma_q = \operatorname{diag}(5.25, 1.25)$) = 7.715, and a Monte-Carlo DSM loss. The lecture's
A.2 drops $C$, which grows like $d/\sigma^2$ as $\sigma\to0$.
*/
static void vincent(const Cli *cli) {
    const long n_mc = cli_scale(cli, 20000, 1000000, 4000000);
    const double sigma = SIGMA, v = 1.0 + sigma * sigma;
    QField qf = {v, sigma, 0};
    const double j_q = expect(q_term, &qf, v);
    //: $C(\sigma) = d/\sigma^2 - J(q_\sigma)$, [eq:L35.A.2.vincent_constant]
    const double c_sigma = D / (sigma * sigma) - j_q;
    qf.term = 1;
    const double err_lin = expect(q_term, &qf, v);
    double closed = 0;
    for (int a = 0; a < D; a++) closed += 5.25 * LIN_A[a][0] * LIN_A[a][0] + 1.25 * LIN_A[a][1] * LIN_A[a][1];
    closed += LIN_B[0] * LIN_B[0] + LIN_B[1] * LIN_B[1] + 2 * (LIN_A[0][0] + LIN_A[1][1]) + D / (sigma * sigma);
    printf("A.2 linear field: E_q|s - grad log q|^2 = %.7f, C(0.5) = %.7f, sum %.7f, closed form %.7f\n", err_lin,
           c_sigma, err_lin + c_sigma, closed);
    check_close("L35.A.2.vincent_linear_field", err_lin + c_sigma, closed, 1e-9, "L35.A.2.vincent_constant",
                "quadrature E_q|s - grad log q|^2 + C(0.5) = closed-form DSM loss 7.715");
    {
        Rng r;
        rng_init(&r, cli->seed, 2);
        double *dsm = xmalloc(sizeof(double) * n_mc), *mmse = xmalloc(sizeof(double) * n_mc);
        for (long i = 0; i < n_mc; i++) {
            double x[D], eps[D], xt[D], s[D], sq[D], tr;
            sample_mixture(&r, x);
            for (int a = 0; a < D; a++) eps[a] = rng_normal(&r), xt[a] = x[a] + sigma * eps[a];
            test_field(0, xt, s, &tr);
            gmm_pair_perturbed_score(xt, D, MODE, sigma, sq);
            dsm[i] = mmse[i] = 0;
            for (int a = 0; a < D; a++) {
                //: $\lVert s + \epsilon/\sigma\rVert^2$, [eq:L35.4.2.dsm_loss]
                dsm[i] += (s[a] + eps[a] / sigma) * (s[a] + eps[a] / sigma);
                //: Tweedie denoiser, [eq:L35.A.2.tweedie_posterior]
                double xhat = xt[a] + sigma * sigma * sq[a];
                mmse[i] += (xhat - x[a]) * (xhat - x[a]);
            }
        }
        double se1, m1 = stats_mean_se(dsm, (size_t)n_mc, &se1), se2, m2 = stats_mean_se(mmse, (size_t)n_mc, &se2);
        check_mc("L35.A.2.vincent_linear_mc", m1, closed, se1, 4, n_mc, "L35.A.2.vincent_constant",
                 "Monte-Carlo DSM loss of the linear field (SE from samples)");
        check_mc("L35.A.2.tweedie_mmse", m2, pow(sigma, 4) * c_sigma, se2, 4, n_mc, "L35.A.2.tweedie_posterior",
                 "denoising error of the exact Tweedie denoiser = sigma^4 C = 0.41763 < d sigma^2 = 0.5");
        free(dsm), free(mmse);
    }
    check_erratum("L35.A.2.dsm_constant", 0.0, c_sigma,
                  "A.2 writes L_DSM = D_Fisher(q_sigma || p_theta); it drops the constant C(sigma) = d/sigma^2 - J(q)");

    /* sigma -> 0: J(q_sigma) -> J(p), sigma^2 C -> d. */
    const double sigmas[3] = {1.0, 0.5, 0.1}, j_ref[3] = {0.768982, 1.317886, 1.704901}; /* spec A.2 */
    double j_err = 0;
    for (int k = 0; k < 3; k++) {
        QField qk = {1.0 + sigmas[k] * sigmas[k], sigmas[k], 0};
        double jk = expect(q_term, &qk, qk.v);
        j_err = fmax(j_err, fabs(jk - j_ref[k]));
        printf("sigma %.1f: J(q) = %.6f, C = %.4f, sigma^2 C = %.6f\n", sigmas[k], jk, D / (sigmas[k] * sigmas[k]) - jk,
               D - sigmas[k] * sigmas[k] * jk);
    }
    check_close("L35.A.2.fisher_q_sigma", j_err, 0.0, 1e-6, "L35.A.2.vincent_constant",
                "J(q_sigma) for sigma = 1, 0.5, 0.1 = 0.768982, 1.317886, 1.704901 (spec), tending to J(p)");
}

/*: ## 95 %-1: DSM is $\epsilon$-prediction

With $s_\theta = -\epsilon_\theta/\sigma$:
$$ \sigma^2\Big\lVert s_\theta + \frac{\epsilon}{\sigma}\Big\rVert^2 = \lVert\epsilon - \epsilon_\theta\rVert^2 $$ {#eq:L35.6.2.eps_prediction}
*/
static void eps_prediction(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 3);
    double worst = 0;
    for (int t = 0; t < 1000; t++) {
        double sg = 0.01 + 5.0 * rng_uniform(&r), lhs = 0, rhs = 0;
        for (int a = 0; a < D; a++) {
            double eps = rng_normal(&r), eps_theta = rng_normal(&r), s = -eps_theta / sg;
            //: $\sigma^2\lVert s_\theta + \epsilon/\sigma\rVert^2$, [eq:L35.6.2.eps_prediction]
            lhs += sg * sg * (s + eps / sg) * (s + eps / sg);
            //: $\lVert\epsilon - \epsilon_\theta\rVert^2$
            rhs += (eps - eps_theta) * (eps - eps_theta);
        }
        worst = fmax(worst, fabs(lhs - rhs) / fmax(rhs, 1e-300));
    }
    check_le("L35.6.2.dsm_eps_equivalence", worst, 1e-12, 0.0, "L35.6.2.eps_prediction",
             "max relative gap, 1000 random (eps, eps_theta, sigma in [0.01, 5])");
}

/*: ## 95 %-2: Hutchinson's trace estimator (the trick behind sliced score matching)

For a square matrix $J$ and a random $v$ with $\mathbb E[vv^\top] = I$ (Rademacher or Gaussian),

$$ \mathbb E_v\big[v^\top J v\big] = \operatorname{tr}J,\qquad
   \operatorname{Var}(v^\top Jv) = 2\lVert S\rVert_F^2 - 2\textstyle\sum_i S_{ii}^2\ \text{(Rademacher)},\quad 2\lVert S\rVert_F^2\ \text{(Gaussian)}, $$ {#eq:L35.5.5.hutchinson}

with $S = (J + J^\top)/2$. Here $J = \partial f/\partial x$ of a randomly initialised MLP
$f: \mathbb R^{10}\to\mathbb R^{10}$ (10-64-64-10, tanh) at one point. One probe costs one
vector-Jacobian product $v^\top J$ (one backward pass); the exact trace needs $D$ of them.
`vjp` computes $v^\top J$ through common/ad with the input as a differentiable tensor.
*/
static void vjp(AdArena *arena, const NnMlp *mlp, AdTensor *x, const double *probe, double *out) {
    ad_arena_reset(arena);
    ad_zero_grad(&x, 1);
    const int shape[2] = {1, HD};
    AdTensor *f = nn_mlp_forward(arena, mlp, x);
    AdTensor *seed = ad_from_doubles(arena, AD_F64, 2, shape, probe);
    //: $v^\top J = \nabla_x (v\cdot f(x))$
    ad_backward(arena, ad_sum(arena, ad_mul(arena, f, seed)));
    for (int i = 0; i < HD; i++) out[i] = ad_grad_get(x, i);
}

/* 95 %-2 (the section above vjp): Hutchinson's estimator on the Jacobian of a random MLP. */
static void hutchinson(const Cli *cli) {
    const long n_probe = cli_scale(cli, 10000, 100000, 1000000);
    Rng init;
    rng_init(&init, cli->seed, 4);
    const int widths[] = {HD, 64, 64, HD};
    NnMlp mlp;
    nn_mlp_init(&mlp, 3, widths, NN_ACT_TANH, AD_F64, &init);
    const int xshape[2] = {1, HD};
    AdTensor *x = ad_param_new(AD_F64, 2, xshape);
    for (int i = 0; i < HD; i++) ad_set(x, i, rng_normal(&init));
    AdArena *arena = ad_arena_new(1 << 16);
    double jac[HD][HD], e[HD], row[HD], trace = 0;
    for (int i = 0; i < HD; i++) { /* row i of J = e_i^T J: D backward passes */
        memset(e, 0, sizeof e);
        e[i] = 1;
        vjp(arena, &mlp, x, e, row);
        for (int j = 0; j < HD; j++) jac[i][j] = row[j];
        trace += jac[i][i];
    }
    /* One backward pass per probe gives v^T J v; check it against the matrix form. */
    Rng pr;
    rng_init(&pr, cli->seed, 5);
    double vjp_gap = 0;
    for (int t = 0; t < 5; t++) {
        double probe[HD], vj[HD], a = 0, b = 0;
        for (int i = 0; i < HD; i++) probe[i] = rng_normal(&pr);
        vjp(arena, &mlp, x, probe, vj);
        for (int j = 0; j < HD; j++) {
            a += vj[j] * probe[j];
            for (int i = 0; i < HD; i++) b += probe[i] * jac[i][j] * probe[j];
        }
        vjp_gap = fmax(vjp_gap, fabs(a - b));
    }
    check_close("L35.5.5.hutchinson_vjp", vjp_gap, 0.0, 1e-12, "L35.5.5.hutchinson",
                "v^T J v from one backward pass equals the explicit-Jacobian value (5 probes)");
    /* Theory variances. */
    double fro = 0, diag = 0;
    for (int i = 0; i < HD; i++)
        for (int j = 0; j < HD; j++) {
            double s = 0.5 * (jac[i][j] + jac[j][i]);
            fro += s * s;
            if (i == j) diag += s * s;
        }
    //: $2\lVert S\rVert_F^2 - 2\sum_i S_{ii}^2$ and $2\lVert S\rVert_F^2$, [eq:L35.5.5.hutchinson]
    const double var_theory[2] = {2 * fro - 2 * diag, 2 * fro};
    const char *kind[2] = {"rademacher", "gaussian"};
    double *samples = xmalloc(sizeof(double) * n_probe);
    for (int k = 0; k < 2; k++) {
        for (long t = 0; t < n_probe; t++) {
            double probe[HD], q = 0;
            for (int i = 0; i < HD; i++) probe[i] = k == 0 ? (rng_u32(&pr) & 1 ? 1.0 : -1.0) : rng_normal(&pr);
            for (int i = 0; i < HD; i++)
                for (int j = 0; j < HD; j++) q += probe[i] * jac[i][j] * probe[j];
            //: $v^\top J v$, eq. [eq:L35.5.5.hutchinson]
            samples[t] = q;
        }
        double se, m = stats_mean_se(samples, (size_t)n_probe, &se);
        printf("Hutchinson (%s, %ld probes): %.5f vs exact trace %.5f (%d backward passes); per-probe variance "
               "%.4f, theory %.4f\n", kind[k], n_probe, m, trace, HD, se * se * n_probe, var_theory[k]);
        char id[64];
        snprintf(id, sizeof id, "L35.5.5.hutchinson_%s", kind[k]);
        check_mc(id, m, trace, sqrt(var_theory[k] / n_probe), 4, n_probe, "L35.5.5.hutchinson",
                 "Hutchinson estimate of tr(df/dx) of a random MLP 10-64-64-10 (SE from theory)");
    }
    free(samples);
    ad_tensor_free(x);
    ad_arena_free(arena);
    nn_mlp_free(&mlp);
}

/*: ## 7.5 The progress tracker

Seven self-assessment items, one done: the lecture prints `Progress: 1 / 7 (14.3%)`. (A
formatted constant, printed; the former check `L35.7.5.progress_tracker` compared an
snprintf with its own format and could not fail.)
*/
static void progress_tracker(void) {
    const char *items[7] = {"Fisher Divergence derivation", "Hyvarinen's Theorem proof", "DSM equivalence",
                            "Sliced SM principle", "Langevin Dynamics implementation", "Annealed LD principle",
                            "NCSN training implementation"};
    int done[7] = {1, 0, 0, 0, 0, 0, 0}, completed = 0;
    for (int i = 0; i < 7; i++) completed += done[i];
    printf("Progress: %d / %d (%.1f%%)  [done: %s]\n", completed, 7, 100.0 * completed / 7, items[0]);
}

/*: ## 6.2 / 6.X: the drift of the reverse-time SDE

For the forward SDE $dx = f(x,t)\,dt + g(t)\,dW$ with marginals $p_t$, the process run backwards
in time solves (Anderson 1982; Song et al. 2021)

$$ dx = \big[f(x,t) - g(t)^2\,\nabla_x\log p_t(x)\big]\,dt + g(t)\,d\bar W $$ {#eq:L35.6.2.reverse_sde}

(with $dt < 0$), as the lecture's FAQ Q13 has it; sections 6.2 and 6.X write
$f + g\nabla\log p_t$ instead (spec E9). The test that tells them apart: the stationary
Ornstein–Uhlenbeck process $f = -x/2$, $g = 1$, $p_t = \mathcal N(0,1)$, $\nabla\log p_t = -x$. Run
backwards (time $\tau = -t$, $d\tau > 0$) the correct drift gives $dx = -\tfrac x2\,d\tau + dW$,
which keeps $\mathcal N(0,1)$; the lecture's gives $dx = +\tfrac{3x}{2}\,d\tau + dW$, whose variance
after $\tau = 1$ from 1 is $e^{3} + (e^{3}-1)/3 = 26.45$. Euler–Maruyama with $d\tau = 10^{-3}$,
20,000 chains, one Philox stream each.
*/
static double reverse_variance(double drift_coef, long n, uint64_t seed) {
    const int steps = 1000;
    const double h = 1.0 / steps;
    double s2 = 0.0;
    for (long c = 0; c < n; c++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)c);
        double x = rng_normal(&r);
        //: eq. [eq:L35.6.2.reverse_sde] in reverse time: $x \leftarrow x + a\,x\,d\tau + \sqrt{d\tau}\,z$, $a = -(f - g^2\nabla\log p)/x$
        for (int k = 0; k < steps; k++) x += drift_coef * x * h + sqrt(h) * rng_normal(&r);
        s2 += x * x;
    }
    return s2 / n;
}

static void reverse_sde_drift(const Cli *cli) {
    const long n = cli_scale(cli, 4000, 20000, 100000);
    //: correct: $-(f - g^2\nabla\log p) = -(-x/2 + x) = -x/2$; lecture: $-(f + g\nabla\log p) = 3x/2$
    const double v_right = reverse_variance(-0.5, n, cli->seed ^ 0x62);
    const double v_wrong = reverse_variance(1.5, n, cli->seed ^ 0x62);
    const double v_wrong_exact = exp(3.0) + (exp(3.0) - 1.0) / 3.0;
    printf("reverse-time OU from N(0,1), tau = 1: variance %.4f (correct drift), %.3f (lecture's drift; exact "
           "%.3f)\n", v_right, v_wrong, v_wrong_exact);
    //: Euler-Maruyama's stationary variance of $dx = -x/2\,d\tau + dW$: $1/(1 - d\tau/4)$; se $\sqrt{2/n}$
    check_mc("L35.6.2.reverse_sde_keeps_marginal", v_right, 1.0 / (1.0 - 0.25e-3), sqrt(2.0 / n), 4, n,
             "L35.6.2.reverse_sde", "variance after running the stationary OU process backwards for tau = 1 "
             "with the drift f - g^2 grad log p: stays 1 (SE of a sample variance of normals)");
    check_erratum("L35.6.2.reverse_sde_drift_sign", v_wrong, 1.0,
                  "6.2/6.X write the reverse drift as f + g grad log p_t; run backwards on the stationary OU "
                  "process it inflates the variance from 1 to %.1f (exact %.2f) in tau = 1 (E9)", v_wrong,
                  v_wrong_exact);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 A.1-A.2, 5.1: Hyvarinen, Stein, Vincent, Tweedie, Fisher divergence, Hutchinson", 359,
              NULL);
    setup_quadrature();
    const double j_p = fisher_information();
    hyvarinen_fields(j_p);
    hyvarinen_mc(&cli);
    fisher_divergence(j_p);
    kernel_score();
    tweedie(&cli);
    vincent(&cli);
    eps_prediction(&cli);
    hutchinson(&cli);
    progress_tracker();
    reverse_sde_drift(&cli);
    return check_end();
}
