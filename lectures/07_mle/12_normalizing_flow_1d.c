/*: # L07 Z5.13 — A normalizing flow in one dimension, and a RealNVP coupling layer

**Lecture 7, Part 2, section Z5.13** (with the LaTeX test Z5b.2 Q8, the formula-translation test
Z5b.3 Q6, the checklist item "the affine flow's analytic and numerical MLE agree" of Z5b.4, and
the flow row of the formula-to-code table Z7.1).

A flow writes the data as an invertible transformation of a simple base variable,
$x = f_\theta(z)$, $z \sim p_z = \mathcal N(0, 1)$, and gets the density of $x$ exactly from the
change of variables. The simplest flow, $x = \mu + \sigma z$, is fitted to 500 points by maximum
likelihood, in closed form and by BFGS; the change of variables is then checked in three
dimensions for a linear flow and for a RealNVP coupling layer, whose log-determinant is a sum
where a general Jacobian would need an $O(d^3)$ factorisation.

What you will see: the flow density equal to $\mathcal N(x; \mu, \sigma^2)$; $\hat\mu \approx 2.00$,
$\hat\sigma \approx 0.50$ both ways; the coupling layer's log-determinant $\sum_i s_i$ equal to a
finite-difference Jacobian's; a nonlinear 2-D coupling flow whose density integrates to 1 (and
does not, with the wrong sign of the log-determinant).
Figure: `flow_fit.png`, the data histogram, the base density and the fitted flow density.

Run: `build/release/bin/lectures/07_mle/12_normalizing_flow_1d [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ (data), $N$ | `x`, `n` | (N) |
| $\mu$, $\log\sigma$ | `mu`, `log_sigma` | scalars |
| $f_\theta^{-1}(x) = (x-\mu)/\sigma$ | `inv_transform()` | scalar |
| $\log\lvert\partial f^{-1}/\partial x\rvert = -\log\sigma$ | `log_abs_det_jac()` | scalar |
| $\hat\mu$, $\hat\sigma$ | `mu_hat`, `sigma_hat` | scalars |
| $A$, $b$ (3-D linear flow) | `A`, `b` | (3, 3), (3) |
| $s_\theta, t_\theta$ (coupling nets) | `Coupling` | $\mathbb R^k \to \mathbb R^{d-k}$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/*: ## Change of variables

$$ \log p_\theta(x) = \log p_z\big(f_\theta^{-1}(x)\big) + \log\Big\lvert\det\frac{\partial f_\theta^{-1}}{\partial x}\Big\rvert $$ {#eq:L07.Z5.13.change_of_variables}

For the affine flow $x = \mu + \sigma z$:

$$ f_\theta^{-1}(x) = \frac{x-\mu}{\sigma},\qquad \log\Big\lvert\frac{\partial f^{-1}}{\partial x}\Big\rvert = -\log\sigma,
   \qquad \log p_\theta(x) = \log\mathcal N\Big(\frac{x-\mu}{\sigma}; 0, 1\Big) - \log\sigma $$ {#eq:L07.Z5.13.affine}

The parameters are $(\mu, \log\sigma)$, so $\sigma = e^{\log\sigma} > 0$ whatever the optimiser does.
*/
static double inv_transform(double x, double mu, double log_sigma) { return (x - mu) * exp(-log_sigma); }

static double log_abs_det_jac(double log_sigma) { return -log_sigma; }

static double log_std_normal(double z) { return -0.5 * z * z - 0.5 * log(2.0 * M_PI); }

static double flow_logpdf(double x, double mu, double log_sigma) {
    //: $\log p_z(f^{-1}(x)) + \log\lvert\partial f^{-1}/\partial x\rvert$, eq. [eq:L07.Z5.13.affine]
    return log_std_normal(inv_transform(x, mu, log_sigma)) + log_abs_det_jac(log_sigma);
}

/*: ## Maximum likelihood for the affine flow

With $z_i = (x_i - \mu)/\sigma$ the mean negative log-likelihood and its gradient are

$$ \mathrm{NLL}(\mu, \log\sigma) = \frac1N\sum_i \Big(\tfrac12 z_i^2 + \tfrac12\log 2\pi\Big) + \log\sigma,\qquad
   \frac{\partial\,\mathrm{NLL}}{\partial\mu} = -\frac{\bar z}{\sigma},\quad
   \frac{\partial\,\mathrm{NLL}}{\partial\log\sigma} = 1 - \overline{z^2} $$ {#eq:L07.Z5.13.nll_grad}

Setting both to zero gives the closed form
$\hat\mu = \bar x$, $\hat\sigma^2 = \frac1N\sum_i(x_i - \bar x)^2$ (the $1/N$, not $1/(N-1)$, variance),
and $\mathrm{NLL}^* = \tfrac12\log(2\pi e\,\hat\sigma^2)$.
*/
typedef struct {
    const double *x;
    int n;
} Data;

static double nll(const Data *d, const double *theta, double *grad) {
    double sum_z = 0.0, sum_z2 = 0.0, total = 0.0;
    for (int i = 0; i < d->n; i++) {
        const double z = inv_transform(d->x[i], theta[0], theta[1]);
        sum_z += z;
        sum_z2 += z * z;
        total -= flow_logpdf(d->x[i], theta[0], theta[1]);
    }
    if (grad) {
        //: $\partial_\mu = -\bar z/\sigma$, $\partial_{\log\sigma} = 1 - \overline{z^2}$, eq. [eq:L07.Z5.13.nll_grad]
        grad[0] = -(sum_z / d->n) * exp(-theta[1]);
        grad[1] = 1.0 - sum_z2 / d->n;
    }
    return total / d->n;
}

/*: ### BFGS, the lecture's numerical optimiser

The inverse-Hessian approximation $H$ starts at $I$; each step goes along $p = -H g$ with a
backtracking (Armijo) line search, then, with $s = \theta_{k+1} - \theta_k$, $y = g_{k+1} - g_k$ and
$\rho = 1/(y^\top s)$,

$$ H \leftarrow (I - \rho\, s y^\top)\, H\, (I - \rho\, y s^\top) + \rho\, s s^\top . $$ {#eq:L07.Z5.13.bfgs}

Two parameters, so $H$ is a 2 x 2 array. The stopping rule is $\lVert g\rVert_\infty < 10^{-8}$:
near the optimum the NLL changes by $O(\lVert g\rVert^2)$, and below $\lVert g\rVert \approx 10^{-8}$
that change is lost in the rounding of the NLL itself ($\approx 10^{-16}$), so no line search can
certify a decrease any more.
*/
static int bfgs_fit(const Data *d, double *theta, double gtol, int max_iter) {
    double H[2][2] = {{1, 0}, {0, 1}}, g[2], g_new[2], th_new[2];
    double f = nll(d, theta, g);
    for (int it = 0; it < max_iter; it++) {
        if (fmax(fabs(g[0]), fabs(g[1])) < gtol) return it;
        const double p[2] = {-(H[0][0] * g[0] + H[0][1] * g[1]), -(H[1][0] * g[0] + H[1][1] * g[1])};
        const double slope = p[0] * g[0] + p[1] * g[1];
        double step = 1.0, f_new;
        for (;;) { /* Armijo: f(theta + step p) <= f + 1e-4 step g.p */
            th_new[0] = theta[0] + step * p[0];
            th_new[1] = theta[1] + step * p[1];
            f_new = nll(d, th_new, g_new);
            if (f_new <= f + 1e-4 * step * slope || step < 1e-12) break;
            step *= 0.5;
        }
        const double s[2] = {th_new[0] - theta[0], th_new[1] - theta[1]};
        const double y[2] = {g_new[0] - g[0], g_new[1] - g[1]};
        const double ys = y[0] * s[0] + y[1] * s[1];
        if (ys > 1e-300) {
            const double rho = 1.0 / ys;
            double M[2][2], T[2][2];
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) M[a][b] = (a == b) - rho * s[a] * y[b];
            //: eq. [eq:L07.Z5.13.bfgs]: $H \leftarrow M H M^\top + \rho s s^\top$, $M = I - \rho s y^\top$
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) T[a][b] = M[a][0] * H[0][b] + M[a][1] * H[1][b];
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    H[a][b] = T[a][0] * M[b][0] + T[a][1] * M[b][1] + rho * s[a] * s[b];
        }
        theta[0] = th_new[0];
        theta[1] = th_new[1];
        g[0] = g_new[0];
        g[1] = g_new[1];
        f = f_new;
    }
    return max_iter;
}

/*: ## A RealNVP coupling layer

Split $x = (x_{1:k}, x_{k+1:d})$ and keep the first part:

$$ y_{1:k} = x_{1:k},\qquad y_{k+1:d} = x_{k+1:d}\odot\exp\big(s_\theta(x_{1:k})\big) + t_\theta(x_{1:k}) $$ {#eq:L07.Z5.13.coupling}

The Jacobian is block lower-triangular, with $\operatorname{diag}(e^{s})$ in the lower-right block, so

$$ \log\lvert\det J_f\rvert = \sum_{i} s_{\theta,i}(x_{1:k}),\qquad
   x_{k+1:d} = \big(y_{k+1:d} - t_\theta(y_{1:k})\big)\odot\exp\big(-s_\theta(y_{1:k})\big) $$ {#eq:L07.Z5.13.coupling_logdet}

both in $O(d)$, whatever $s_\theta$ and $t_\theta$ are (here $s = \tanh(W_s x_{1:k} + b_s)$ and
$t = W_t x_{1:k} + b_t$, small fixed matrices; neither needs to be invertible). `swap` applies the
layer with the roles of the two halves exchanged, which is how stacked layers let every
coordinate act on every other.
*/
enum { D4 = 4, K2 = 2 };
typedef struct {
    double Ws[K2][K2], bs[K2], Wt[K2][K2], bt[K2];
    int swap; /* 0: condition on x[0..1], transform x[2..3]; 1: the other way round */
} Coupling;

static void coupling_nets(const Coupling *c, const double *cond, double *s, double *t) {
    for (int i = 0; i < K2; i++) {
        double as = c->bs[i], at = c->bt[i];
        for (int j = 0; j < K2; j++) {
            as += c->Ws[i][j] * cond[j];
            at += c->Wt[i][j] * cond[j];
        }
        s[i] = tanh(as);
        t[i] = at;
    }
}

/* y = f(x); returns log|det J_f(x)|. */
static double coupling_forward(const Coupling *c, const double *x, double *y) {
    const int keep = c->swap ? K2 : 0, move = c->swap ? 0 : K2;
    double s[K2], t[K2], logdet = 0.0;
    coupling_nets(c, x + keep, s, t);
    for (int i = 0; i < K2; i++) {
        y[keep + i] = x[keep + i];
        //: $y_{k+i} = x_{k+i} e^{s_i} + t_i$, eq. [eq:L07.Z5.13.coupling]
        y[move + i] = x[move + i] * exp(s[i]) + t[i];
        //: $\log\lvert\det J\rvert = \sum_i s_i$, eq. [eq:L07.Z5.13.coupling_logdet]
        logdet += s[i];
    }
    return logdet;
}

static void coupling_inverse(const Coupling *c, const double *y, double *x) {
    const int keep = c->swap ? K2 : 0, move = c->swap ? 0 : K2;
    double s[K2], t[K2];
    coupling_nets(c, y + keep, s, t);
    for (int i = 0; i < K2; i++) {
        x[keep + i] = y[keep + i];
        //: $x_{k+i} = (y_{k+i} - t_i)\,e^{-s_i}$, eq. [eq:L07.Z5.13.coupling_logdet]
        x[move + i] = (y[move + i] - t[i]) * exp(-s[i]);
    }
}

/* Two layers, the second with the halves swapped. Returns the summed log-determinant. */
static double two_layer_forward(const Coupling *c, const double *x, double *y) {
    double mid[D4];
    return coupling_forward(&c[0], x, mid) + coupling_forward(&c[1], mid, y);
}

typedef double (*MapFn)(const Coupling *c, const double *x, double *y);

/* Central-difference Jacobian J[i][j] = dy_i/dx_j of a map R^4 -> R^4. */
static void fd_jacobian(MapFn f, const Coupling *c, const double *x, Mat *J) {
    const double h = 1e-6;
    for (int j = 0; j < D4; j++) {
        double xp[D4], xm[D4], yp[D4], ym[D4];
        for (int a = 0; a < D4; a++) xp[a] = xm[a] = x[a];
        xp[j] += h;
        xm[j] -= h;
        f(c, xp, yp);
        f(c, xm, ym);
        for (int i = 0; i < D4; i++) MAT(*J, i, j) = (yp[i] - ym[i]) / (2 * h);
    }
}

/*: ## A nonlinear flow whose density must integrate to one

In $d = 2$ with $k = 1$: $x_1 = z_1$, $x_2 = z_2 e^{s(z_1)} + t(z_1)$ with $s(u) = 0.8\tanh(1.5u - 0.3)$
and $t(u) = u^2/2$ (a banana shape). By eq. [eq:L07.Z5.13.change_of_variables],
$\log p(x) = \log\mathcal N(z_1)+\log\mathcal N(z_2) - s(x_1)$ with $z = f^{-1}(x)$. Its integral over
the plane, by a product Gauss–Legendre rule, must be 1; using $+s$ instead (the determinant of
$f$ instead of $f^{-1}$) breaks that.
*/
static double banana_s(double u) { return 0.8 * tanh(1.5 * u - 0.3); }

static double banana_logpdf(double x1, double x2, double sign) {
    const double z1 = x1, z2 = (x2 - 0.5 * x1 * x1) * exp(-banana_s(x1));
    //: eq. [eq:L07.Z5.13.change_of_variables] with $\log\lvert\det\partial f^{-1}/\partial x\rvert = -s(x_1)$
    return log_std_normal(z1) + log_std_normal(z2) - sign * banana_s(x1);
}

static double banana_mass(double sign) {
    /* x1 in [-9, 9] (beyond: < 1e-18 of the mass); x2 = z2 e^s + x1^2/2 stays in [-20, 60] */
    enum { NODES = 20, PANELS1 = 36, PANELS2 = 80 };
    double node[NODES], weight[NODES];
    gauss_legendre(NODES, node, weight);
    const double lo1 = -9.0, w1p = 18.0 / PANELS1, lo2 = -20.0, w2p = 80.0 / PANELS2;
    double total = 0.0;
    for (int p1 = 0; p1 < PANELS1; p1++)
        for (int i1 = 0; i1 < NODES; i1++) {
            const double x1 = lo1 + w1p * (p1 + 0.5 * (node[i1] + 1.0)), w1 = 0.5 * w1p * weight[i1];
            for (int p2 = 0; p2 < PANELS2; p2++)
                for (int i2 = 0; i2 < NODES; i2++) {
                    const double x2 = lo2 + w2p * (p2 + 0.5 * (node[i2] + 1.0));
                    total += w1 * 0.5 * w2p * weight[i2] * exp(banana_logpdf(x1, x2, sign));
                }
        }
    return total;
}

typedef struct {
    double mu, log_sigma;
} FlowParams;

static double flow_pdf(double x, void *ctx) {
    const FlowParams *f = ctx;
    return exp(flow_logpdf(x, f->mu, f->log_sigma));
}

static const double mu_true = 2.0, sigma_true = 0.5; /* the lecture's N(2.0, 0.25) */

/*: ## Z5.13 The flow density is the Gaussian density

With $\mu = 2$, $\sigma = 0.5$, eq. [eq:L07.Z5.13.affine] must equal
$\log\mathcal N(x; 2, 0.25)$ (`common/gauss.c`, written independently) at every $x$, the
derivative of $f^{-1}$ must be $1/\sigma$ (Z5b.3 Q6), and the density must integrate to 1.
*/
static void flow_equals_gaussian(void) {
    double worst = 0.0, worst_jac = 0.0;
    for (int i = 0; i <= 600; i++) {
        const double x = -1.0 + 0.01 * i, h = 1e-5;
        worst = fmax(worst, fabs(flow_logpdf(x, mu_true, log(sigma_true)) - gauss_logpdf_1d(x, mu_true, sigma_true)));
        const double dinv = (inv_transform(x + h, mu_true, log(sigma_true)) -
                             inv_transform(x - h, mu_true, log(sigma_true))) / (2 * h);
        worst_jac = fmax(worst_jac, fabs(log(dinv) - log_abs_det_jac(log(sigma_true))));
    }
    check_close("L07.Z5.13.flow_equals_gauss", worst, 0.0, 1e-12, "L07.Z5.13.affine",
                "max over 601 grid points of |log p_flow(x) - log N(x; 2, 0.5^2)|");
    check_close("L07.Z5.13.jacobian_fd", worst_jac, 0.0, 1e-8, "L07.Z5.13.affine",
                "log of the central-difference derivative of f^-1 equals -log sigma (Jacobian 1/sigma)");
    FlowParams fp = {mu_true, log(sigma_true)};
    const double mass = quad_simpson(flow_pdf, &fp, mu_true - 12 * sigma_true, mu_true + 12 * sigma_true, 2000);
    check_close("L07.Z5.13.flow_integral", mass, 1.0, 1e-9, "L07.Z5.13.change_of_variables",
                "integral of the flow density (Simpson, 2000 intervals on mu +- 12 sigma)");
}

/*: ## Z5.13 Fitting the flow to 500 points of $\mathcal N(2, 0.25)$

The lecture's $\mathcal N(2.0, 0.25)$ is variance notation ($\sigma = 0.5$). Sampling from a flow is
the forward map $x = \mu + \sigma z$. The estimates scatter around the truth with standard
errors $\sigma/\sqrt N = 0.0224$ and $\sigma/\sqrt{2N} = 0.0158$ (theory); BFGS from
$(\mu, \log\sigma) = (0, 0)$ must land on the closed form.
*/
/* Draws the n points into x and fits the flow; theta receives (mu, log sigma). */
static void fit_flow(const Cli *cli, double *x, int n, double *theta) {
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    for (int i = 0; i < n; i++) x[i] = mu_true + sigma_true * rng_normal(&rng);
    //: $\hat\mu = \bar x$, $\hat\sigma^2 = \frac1N\sum(x_i - \bar x)^2$
    double mu_hat = stats_mean(x, n), ss = 0.0;
    for (int i = 0; i < n; i++) ss += (x[i] - mu_hat) * (x[i] - mu_hat);
    const double sigma_hat = sqrt(ss / n);
    printf("closed form: mu_hat = %.6f, sigma_hat = %.6f (1/N variance)\n", mu_hat, sigma_hat);
    check_mc("L07.Z5.13.mu_hat", mu_hat, mu_true, sigma_true / sqrt(n), 4, n, "L07.Z5.13.nll_grad",
             "mu_hat = mean of 500 draws of N(2, 0.5^2) (the lecture's 2.00)");
    check_mc("L07.Z5.13.sigma_hat", sigma_hat, sigma_true, sigma_true / sqrt(2.0 * n), 4, n,
             "L07.Z5.13.nll_grad", "sigma_hat = sqrt of the 1/N sample variance (the lecture's 0.50)");

    Data data = {x, n};
    {
        const double probe[2] = {0.3, -0.2}, h = 1e-6;
        double g[2], err = 0.0;
        nll(&data, probe, g);
        for (int k = 0; k < 2; k++) {
            double tp[2] = {probe[0], probe[1]}, tm[2] = {probe[0], probe[1]};
            tp[k] += h;
            tm[k] -= h;
            err = fmax(err, fabs((nll(&data, tp, NULL) - nll(&data, tm, NULL)) / (2 * h) - g[k]) /
                                fmax(1.0, fabs(g[k])));
        }
        check_close("L07.Z5.13.grad_fd", err, 0.0, 1e-6, "L07.Z5.13.nll_grad",
                    "analytic NLL gradient vs central differences at (0.3, -0.2) (relative)");
    }
    theta[0] = theta[1] = 0.0;
    const double nll_start = nll(&data, theta, NULL);
    //: minimise the NLL of eq. [eq:L07.Z5.13.nll_grad] by BFGS
    const int iters = bfgs_fit(&data, theta, 1e-8, 200);
    const double nll_opt = nll(&data, theta, NULL);
    printf("BFGS from (0, 0): %d iterations, mu = %.6f, sigma = %.6f, NLL %.4f -> %.10f\n", iters,
           theta[0], exp(theta[1]), nll_start, nll_opt);
    check_le("L07.Z5.13.bfgs_converged", iters, 199, 0, NULL, "BFGS reaches |grad|_inf < 1e-8 within 200 iterations");
    check_close("L07.Z5.13.bfgs_mu", theta[0], mu_hat, 1e-8, "L07.Z5.13.nll_grad",
                "BFGS mu equals the closed-form mu_hat = mean(x)");
    check_close("L07.Z5.13.bfgs_sigma", exp(theta[1]), sigma_hat, 1e-8, "L07.Z5.13.nll_grad",
                "BFGS sigma equals the closed-form sigma_hat");
    check_close("L07.Z5.13.nll_opt", nll_opt, 0.5 * log(2 * M_PI * M_E * sigma_hat * sigma_hat), 1e-10,
                "L07.Z5.13.nll_grad", "NLL at the optimum = 1/2 log(2 pi e sigma_hat^2)");
}

/*: ## Z5b.2 Q8 Three dimensions: a linear flow $x = Az + b$

$f^{-1}(x) = A^{-1}(x - b)$ and $\log\lvert\det\partial f^{-1}/\partial x\rvert = -\log\lvert\det A\rvert$
(LU factorisation, the general $O(d^3)$ route). The result must be the Gaussian
$\mathcal N(x; b, AA^\top)$, evaluated through a Cholesky factor instead.
*/
static void linear_flow_3d(const Cli *cli) {
    const double a_data[9] = {1.0, 0.2, 0.0, 0.5, 2.0, 0.1, -0.3, 0.4, 0.5};
    const double b[3] = {1.0, -1.0, 0.5};
    Mat A = mat_from(3, 3, a_data);
    Mat cov = mat_mul_new(A, false, A, true);
    double logabsdet;
    int sign;
    if (mat_logabsdet(A, &logabsdet, &sign) != LINALG_OK) die("A is singular");
    double worst = 0.0;
    Rng r;
    rng_init(&r, cli->seed, 1);
    for (int t = 0; t < 50; t++) {
        double xx[3], diff[3], zz[3];
        for (int i = 0; i < 3; i++) xx[i] = b[i] + 2.0 * rng_normal(&r);
        for (int i = 0; i < 3; i++) diff[i] = xx[i] - b[i];
        if (mat_solve(A, diff, zz) != LINALG_OK) die("A is singular");
        //: eq. [eq:L07.Z5.13.change_of_variables]: $\sum_i \log\mathcal N(z_i) - \log\lvert\det A\rvert$
        const double lp_flow = log_std_normal(zz[0]) + log_std_normal(zz[1]) + log_std_normal(zz[2]) - logabsdet;
        worst = fmax(worst, fabs(lp_flow - gauss_logpdf_full(xx, b, cov.a, 3)));
    }
    printf("3-D linear flow: log|det A| = %.10f\n", logabsdet);
    check_close("L07.Z5.13.linear_flow_3d", worst, 0.0, 1e-10, "L07.Z5.13.change_of_variables",
                "max over 50 points of |change of variables - log N(x; b, A A^T)| (LU vs Cholesky)");
    mat_free(&A);
    mat_free(&cov);
}

/*: ## Z5.13 The coupling layer: inverse, triangular Jacobian, cheap log-determinant

$d = 4$, $k = 2$. At 20 random points: the inverse reconstructs $x$; the finite-difference
Jacobian (central differences, $h = 10^{-6}$, truncation error $O(h^2)$) has an exactly zero
upper-right block, and its $\log\lvert\det\rvert$ by LU equals $\sum_i s_i$. Stacking a second
layer with the halves swapped fills the upper-right block while the log-determinant stays a
sum of the two layers' sums.
*/
static void coupling_layer(const Cli *cli) {
    {
        Coupling c[2] = {
            {{{0.8, -0.5}, {0.3, 1.1}}, {0.1, -0.2}, {{1.2, 0.4}, {-0.7, 0.9}}, {0.5, -0.3}, 0},
            {{{-0.6, 0.9}, {0.4, 0.5}}, {-0.1, 0.3}, {{0.3, -1.0}, {0.8, 0.2}}, {-0.4, 0.6}, 1},
        };
        Mat J = mat_new(D4, D4);
        double err_inv = 0.0, err_logdet = 0.0, upper_right = 0.0, err_logdet2 = 0.0, upper_right2 = 0.0;
        Rng r;
        rng_init(&r, cli->seed, 2);
        for (int t = 0; t < 20; t++) {
            double xx[D4], y[D4], back[D4];
            for (int i = 0; i < D4; i++) xx[i] = 1.5 * rng_normal(&r);
            const double logdet = coupling_forward(&c[0], xx, y);
            coupling_inverse(&c[0], y, back);
            for (int i = 0; i < D4; i++) err_inv = fmax(err_inv, fabs(back[i] - xx[i]));
            fd_jacobian(coupling_forward, &c[0], xx, &J);
            double lad;
            int sg;
            if (mat_logabsdet(J, &lad, &sg) != LINALG_OK) die("singular Jacobian");
            err_logdet = fmax(err_logdet, fabs(lad - logdet));
            for (int i = 0; i < K2; i++)
                for (int j = K2; j < D4; j++) upper_right = fmax(upper_right, fabs(MAT(J, i, j)));
            /* two stacked layers */
            const double logdet2 = two_layer_forward(c, xx, y);
            fd_jacobian(two_layer_forward, c, xx, &J);
            if (mat_logabsdet(J, &lad, &sg) != LINALG_OK) die("singular Jacobian");
            err_logdet2 = fmax(err_logdet2, fabs(lad - logdet2));
            for (int i = 0; i < K2; i++)
                for (int j = K2; j < D4; j++) upper_right2 = fmax(upper_right2, fabs(MAT(J, i, j)));
        }
        check_close("L07.Z5.13.coupling_inverse", err_inv, 0.0, 1e-12, "L07.Z5.13.coupling_logdet",
                    "max |f^-1(f(x)) - x| over 20 points");
        check_close("L07.Z5.13.coupling_logdet", err_logdet, 0.0, 1e-6, "L07.Z5.13.coupling_logdet",
                    "max |log|det J_FD| (LU) - sum_i s_i(x_1:k)| over 20 points");
        check_close("L07.Z5.13.coupling_triangular", upper_right, 0.0, 1e-9, "L07.Z5.13.coupling",
                    "max |dy_1:k / dx_k+1:d| (upper-right block of the FD Jacobian) is zero");
        check_close("L07.Z5.13.two_layer_logdet", err_logdet2, 0.0, 1e-6, "L07.Z5.13.coupling_logdet",
                    "two alternating layers: log|det J_FD| equals the sum of both layers' sums of s");
        check_ge("L07.Z5.13.two_layer_dense", upper_right2, 0.05, 0.0, "L07.Z5.13.coupling",
                 "after two alternating layers the upper-right Jacobian block is no longer zero "
                 "(all coordinates interact)");
        mat_free(&J);
    }
}

/*: ## Z5.13 A nonlinear coupling flow integrates to one

The density of the nonlinear flow of eq. [eq:L07.Z5.13.change_of_variables] (the "banana")
integrated over the plane by product Gauss-Legendre must be 1; with the log-determinant of $f$
instead of $f^{-1}$ (the wrong sign) it is not.
*/
static void coupling_mass(void) {
    const double mass = banana_mass(1.0), mass_wrong = banana_mass(-1.0);
    printf("2-D coupling flow: mass %.12f with -s(x1); %.6f with the wrong sign +s(x1)\n", mass, mass_wrong);
    check_close("L07.Z5.13.coupling_mass", mass, 1.0, 1e-9, "L07.Z5.13.change_of_variables",
                "a nonlinear 2-D coupling flow's density integrates to 1 (product Gauss-Legendre)");
    check_ge("L07.Z5.13.coupling_mass_wrong_sign", fabs(mass_wrong - 1.0), 0.05, 0.0,
             "L07.Z5.13.change_of_variables",
             "|mass - 1| with the log-determinant of f instead of f^-1: the sign matters");
}

/* Figure `flow_fit.png`: data histogram, base density N(0,1), fitted flow density. */
static void figure(const Cli *cli, const double *x, int n, const double *theta) {
    enum { NB = 30, NG = 401 };
    const double lo = 0.5, hi = 3.5;
    double counts[NB], hx[2 * NB + 2], hy[2 * NB + 2];
    stats_hist1d(x, n, lo, hi, NB, counts, 1);
    const double w = (hi - lo) / NB;
    hx[0] = lo;
    hy[0] = 0.0;
    for (int k = 0; k < NB; k++) {
        hx[1 + 2 * k] = lo + k * w;
        hy[1 + 2 * k] = counts[k];
        hx[2 + 2 * k] = lo + (k + 1) * w;
        hy[2 + 2 * k] = counts[k];
    }
    hx[2 * NB + 1] = hi;
    hy[2 * NB + 1] = 0.0;
    double gx[NG], base[NG], fit[NG];
    for (int i = 0; i < NG; i++) {
        gx[i] = -3.5 + 7.5 * i / (NG - 1);
        base[i] = exp(log_std_normal(gx[i]));
        fit[i] = exp(flow_logpdf(gx[i], theta[0], theta[1]));
    }
    Plot *p = plot_new(760, 440, "Z5.13: affine flow x = mu + sigma z fitted by maximum likelihood");
    plot_xlabel(p, "x (and z for the base density)");
    plot_ylabel(p, "density");
    PlotSeries *h = plot_line(p, hx, hy, 2 * NB + 2, "data histogram (N = 500)");
    plot_series_color(h, PLOT_GRAY);
    PlotSeries *b = plot_line(p, gx, base, NG, "base density p_z = N(0, 1)");
    plot_series_dash(b, PLOT_DASHED);
    char label[96];
    snprintf(label, sizeof label, "flow density, mu = %.3f, sigma = %.3f", theta[0], exp(theta[1]));
    plot_line(p, gx, fit, NG, label);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "flow_fit.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.13: 1-D affine normalizing flow by maximum likelihood; RealNVP coupling log-det", 13,
              NULL);
    enum { N_DATA = 500 };
    double *x = xmalloc(sizeof(double) * N_DATA), theta[2];
    flow_equals_gaussian();
    fit_flow(&cli, x, N_DATA, theta);
    linear_flow_3d(&cli);
    coupling_layer(&cli);
    coupling_mass();
    figure(&cli, x, N_DATA, theta);
    free(x);
    return check_end();
}
