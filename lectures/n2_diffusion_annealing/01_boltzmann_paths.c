/*: # N2 B1 — Tempering paths and convolution paths; the partition function; energy and likelihood

**Study note, bridge lecture B-I, program B1** (spec N004 §3.1 B1; the note's questions Q6,
Q13, Q14 and its physics memo, errata E45 and E46).

Simulated annealing and diffusion models both walk along a *path of probability laws* from an
easy law to a hard one. Annealing walks the **tempering path** $p^{1/T}/Z(T)$; a diffusion
model walks the **convolution path** $q_0 * \mathcal N(0,\sigma^2)$. This program shows, on the
same two-mode mixture, that the first path re-weights the modes and the second does not;
that "heating" need not even give a normalisable law (E45); that the memo's "likelihood =
energy" has the sign and the normaliser wrong (E46); and that score matching, the objective
diffusion models train with, finds the maximum-likelihood energy without ever computing $Z$.

What you will see: mode weights along the tempering path (formula vs quadrature, spec
reference values), the FFTW-convolved density against the analytic mixture, $Z(T)$ of a
heavy-tailed energy by tanh–sinh quadrature, the EBM likelihood gradient against finite
differences, the divergent "minimise the energy at the data" rule, the score-matching
minimiser equal to the MLE, and the DSM–ESM difference independent of $\theta$.
Figures: `tempering_family.png`, `convolution_family.png`, `mode_weight_vs_T.png`, `Z_of_T.png`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/01_boltzmann_paths`.

| symbol | C name | shape |
|---|---|---|
| $w_i, \mu_i, s_i$ (mixture) | `W`, `MU`, `S` | (2) |
| $T$, $\beta = 1/T$ | `T`, `beta` | scalars |
| $\tilde w_i(\beta)$ | `w_formula`, `w_quad` | scalar |
| $\sigma$ (convolution width) | `sigma` | scalar |
| $Z(T)$ | `z_tanh_sinh`, `z_formula` | scalar |
| $\theta$ (EBM parameters) | `theta` | (2) |
| $\hat m_2$ | `m2` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;
static const double W[2] = {0.8, 0.2}, MU[2] = {-10.0, 10.0}, S[2] = {0.1, 1.0};

static double normal_pdf(double x, double m, double var) {
    return exp(-0.5 * (x - m) * (x - m) / var) / sqrt(2 * PI * var);
}
/* the data mixture convolved with N(0, sigma^2) (sigma = 0: the data law itself) */
static double mixture(double x, double sigma) {
    return W[0] * normal_pdf(x, MU[0], S[0] * S[0] + sigma * sigma) +
           W[1] * normal_pdf(x, MU[1], S[1] * S[1] + sigma * sigma);
}
static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. The tempering path re-weights the modes

For well-separated components, $p^\beta \approx \sum_i (w_i\mathcal N_i)^\beta$ (on each mode
only one term matters), and one Gaussian integral gives

$$ \int (w_i\mathcal N(x;\mu_i,s_i^2))^\beta dx = w_i^\beta s_i^{1-\beta}(2\pi)^{(1-\beta)/2}\beta^{-1/2}
   \ \Rightarrow\ \tilde w_i(\beta) = \frac{w_i^\beta s_i^{1-\beta}}{\sum_j w_j^\beta s_j^{1-\beta}} . $$ {#eq:N2.B1.tempered_weights}

The narrow mode (weight 0.8, width 0.1) loses its mass as $T = 1/\beta$ grows: heating favours
*wide* modes (entropy), whatever their weight. The quadrature value integrates $p^\beta$ itself
over each half line (split at 0, the midpoint), so it includes the overlap of the tails that
the formula neglects — visible from $T = 10$ on.
*/
typedef struct {
    double beta;
} Temper;
static double p_beta(double x, void *ctx) { return pow(mixture(x, 0.0), ((Temper *)ctx)->beta); }

static double narrow_weight_quad(double beta) {
    Temper t = {beta};
    //: $\tilde w_1 = \int_{-\infty}^0 p^\beta / \int p^\beta$ (composite Gauss-Legendre, 20 points x 3000 panels)
    double left = quad_gauss_legendre_composite(p_beta, &t, -60.0, 0.0, 20, 3000);
    double right = quad_gauss_legendre_composite(p_beta, &t, 0.0, 60.0, 20, 3000);
    return left / (left + right);
}
static double narrow_weight_formula(double beta) {
    //: eq. [eq:N2.B1.tempered_weights]
    double a = pow(W[0], beta) * pow(S[0], 1 - beta), b = pow(W[1], beta) * pow(S[1], 1 - beta);
    return a / (a + b);
}

static void section_tempering(const Cli *cli) {
    const double Ts[4] = {1, 2, 4, 10}, ref[4] = {0.8, 0.3874259, 0.2009503, 0.1263419};
    const double ref_quad10 = 0.1270257;
    for (int k = 0; k < 4; k++) {
        double beta = 1.0 / Ts[k], w_formula = narrow_weight_formula(beta),
               w_quad = narrow_weight_quad(beta);
        printf("T = %4.1f  narrow-mode weight: formula %.7f  quadrature %.7f\n", Ts[k], w_formula,
               w_quad);
        char id[64];
        snprintf(id, sizeof id, "N2.B1.tempered_weight_formula_T%g", Ts[k]);
        check_close(id, w_formula, ref[k], 6e-8, "N2.B1.tempered_weights",
                    "narrow-mode weight w^b s^(1-b) / sum at T = %g (spec reference, 7 digits)", Ts[k]);
        snprintf(id, sizeof id, "N2.B1.tempered_weight_quad_T%g", Ts[k]);
        if (Ts[k] <= 4)
            check_close(id, w_quad, ref[k], 1e-5, "N2.B1.tempered_weights",
                        "quadrature of p^(1/T) over x < 0 agrees with the formula at T = %g", Ts[k]);
        else
            check_close(id, w_quad, ref_quad10, 2e-7, "N2.B1.tempered_weights",
                        "at T = 10 the tails overlap: quadrature %.7f vs formula %.7f (spec quadrature reference)",
                        w_quad, w_formula);
    }
    // figures: the tempered laws and the weight along T
    enum { NP = 1200, NT = 40 };
    double *x = xmalloc(sizeof(double) * NP), *y = xmalloc(sizeof(double) * NP);
    Plot *p = plot_new(900, 500, "tempering path p^(1/T)/Z(T) of 0.8 N(-10, 0.1^2) + 0.2 N(10, 1)");
    for (int k = 0; k < 4; k++) {
        Temper t = {1.0 / Ts[k]};
        double z = quad_gauss_legendre_composite(p_beta, &t, -60, 0, 20, 3000) +
                   quad_gauss_legendre_composite(p_beta, &t, 0, 60, 20, 3000);
        for (int i = 0; i < NP; i++) x[i] = -15 + 30.0 * i / (NP - 1), y[i] = p_beta(x[i], &t) / z;
        char lab[32];
        snprintf(lab, sizeof lab, "T = %g", Ts[k]);
        plot_line(p, x, y, NP, lab);
    }
    plot_xlabel(p, "x");
    plot_ylabel(p, "density (log)");
    plot_ylog(p, 1);
    plot_ylim(p, 1e-4, 10);
    save(p, cli, "tempering_family.png");
    double tt[NT], wf[NT], wq[NT], wc[NT];
    for (int k = 0; k < NT; k++) {
        tt[k] = pow(10.0, 1.5 * k / (NT - 1));
        wf[k] = narrow_weight_formula(1 / tt[k]), wq[k] = narrow_weight_quad(1 / tt[k]), wc[k] = W[0];
    }
    p = plot_new(800, 500, "weight of the narrow mode along the two paths");
    plot_line(p, tt, wf, NT, "tempering: w^b s^(1-b) formula");
    plot_series_marker(plot_scatter(p, tt, wq, NT, "tempering: quadrature"), 3);
    plot_line(p, tt, wc, NT, "convolution path (any sigma)");
    plot_xlabel(p, "T (tempering) -- the convolution path keeps 0.8");
    plot_ylabel(p, "narrow-mode weight");
    save(p, cli, "mode_weight_vs_T.png");
    free(x);
    free(y);
}

/*: ## 2. The convolution path keeps the weights

A diffusion model's marginals are $q_\sigma = q_0 * \mathcal N(0,\sigma^2)$ (variance-exploding
form; the variance-preserving form only rescales $x$). Convolving a Gaussian with a Gaussian
adds variances, so

$$ q_0 * \mathcal N(0,\sigma^2) = \sum_i w_i\,\mathcal N(\mu_i, s_i^2 + \sigma^2) $$ {#eq:N2.B1.convolution_path}

with the **same** weights $w_i$ at every $\sigma$. The program convolves the sampled density
with the sampled kernel through FFTW ($2^{14}$ points, `fft_convolve`) and compares with the
right side; the mass left of 0 is compared with its closed form
$w_1\Phi(10/\sqrt{s_1^2+\sigma^2}) + w_2\Phi(-10/\sqrt{s_2^2+\sigma^2})$, whose only departure
from $0.8$ is the tail overlap.
*/
static void section_convolution(const Cli *cli) {
    const int n = 1 << 14;
    const double L = 40.0, h = 2 * L / n;
    double *p0 = xmalloc(sizeof(double) * n), *kern = xmalloc(sizeof(double) * n),
           *out = xmalloc(sizeof(double) * (2 * n - 1)), *xs = xmalloc(sizeof(double) * n),
           *ys = xmalloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) p0[i] = mixture(-L + h * i, 0.0);
    const double sigmas[4] = {0.5, 1.0, 2.0, 4.0};
    Plot *p = plot_new(900, 500, "convolution path q0 * N(0, sigma^2) (FFTW)");
    for (int i = 0; i < n; i++) xs[i] = -L + h * i;
    plot_line(p, xs, p0, n, "sigma = 0 (data)");
    double worst = 0, worst_mass = 0;
    for (int k = 0; k < 4; k++) {
        double sigma = sigmas[k];
        // kernel sampled on [-L, L) with the same spacing, times h (a Riemann sum of the integral)
        for (int i = 0; i < n; i++) kern[i] = h * normal_pdf(-L + h * i, 0.0, sigma * sigma);
        //: $q_\sigma(x_j) = h\sum_i q_0(x_i)\,\varphi_\sigma(x_j - x_i)$ by FFTW, eq. [eq:N2.B1.convolution_path]
        fft_convolve(p0, (size_t)n, kern, (size_t)n, out);
        // out[m] sits at x = -2L + h m; x_j = -L + h j is m = j + n/2
        double err = 0, mass_left = 0;
        for (int j = 0; j < n; j++) {
            double q = out[j + n / 2], x = -L + h * j;
            err = fmax(err, fabs(q - mixture(x, sigma)));
            //: trapezoid rule for $\int_{-L}^0 q_\sigma$ (the grid has a node at 0)
            if (x < 0) mass_left += h * q;
            if (j == n / 2) mass_left += 0.5 * h * q;
            ys[j] = q;
        }
        double exact_left = W[0] * 0.5 * erfc(-10 / sqrt(2 * (S[0] * S[0] + sigma * sigma))) +
                            W[1] * 0.5 * erfc(10 / sqrt(2 * (S[1] * S[1] + sigma * sigma)));
        printf("sigma = %.1f  max|FFT - analytic| = %.2e  mass(x<0) = %.12f (closed form %.12f)\n",
               sigma, err, mass_left, exact_left);
        worst = fmax(worst, err), worst_mass = fmax(worst_mass, fabs(mass_left - exact_left));
        char lab[32];
        snprintf(lab, sizeof lab, "sigma = %g", sigma);
        plot_line(p, xs, ys, n, lab);
    }
    check_close("N2.B1.convolution_fftw", worst, 0, 1e-12, "N2.B1.convolution_path",
                "FFTW convolution equals the analytic mixture with unchanged weights (sigma = 0.5..4)");
    check_close("N2.B1.convolution_mass", worst_mass, 0, 1e-8, "N2.B1.convolution_path",
                "mass left of 0 (trapezoid, error <= h^2/12 max|q'| ~ 1e-8) equals its closed form: weights stay 0.8 up to tail overlap");
    plot_xlabel(p, "x");
    plot_ylabel(p, "density (log)");
    plot_ylog(p, 1);
    plot_ylim(p, 1e-4, 10);
    plot_xlim(p, -20, 20);
    save(p, cli, "convolution_family.png");
    free(p0), free(kern), free(out), free(xs), free(ys);
}

/*: ## 3. A partition function can be infinite (E45)

For $E(x) = \log(1+x^2)$ the Boltzmann factor is $(1+x^2)^{-1/T}$, and

$$ Z(T) = \int_{\mathbb R}(1+x^2)^{-1/T}dx = \int_{-\pi/2}^{\pi/2}\cos^{2/T-2}\vartheta\,d\vartheta
        = \sqrt\pi\,\frac{\Gamma(1/T-\tfrac12)}{\Gamma(1/T)}\quad (T<2),\qquad Z(T)=\infty\ (T\ge2), $$ {#eq:N2.B1.z_heavy}

after $x = \tan\vartheta$. The integrand on the right is singular at $\pm\pi/2$ when $T>1$;
the tanh–sinh (double-exponential) rule handles such end-point singularities: with
$\vartheta = \tfrac\pi2\tanh(\tfrac\pi2\sinh t)$ the weights decay double-exponentially, and the
distance to the end point is computed as $\tfrac\pi2\cdot 2/(e^{2u}+1)$, without cancellation.
Truncating at $|x|\le L$ gives $Z_L$, which for $T>2$ grows like $L^{1-2/T}$: no box is big
enough. The memo's "any energy gives a $Z$" (l.693–696) needs $Z<\infty$; diffusion models
avoid the issue with the OU drift, whose stationary law $\mathcal N(0,1)$ is normalisable.
*/
static double z_tanh_sinh(double T, double theta_max) {
    const double hstep = 1.0 / 64.0, a = 2.0 / T - 2.0;
    double sum = 0;
    for (int k = -400; k <= 400; k++) {
        double t = hstep * k, u = 0.5 * PI * sinh(t);
        //: $\vartheta = \vartheta_{max}\tanh u$, weight $\vartheta_{max}\tfrac\pi2\cosh t/\cosh^2u$
        double wgt = theta_max * 0.5 * PI * cosh(t) / (cosh(u) * cosh(u));
        double gap = theta_max * 2.0 / (exp(2 * fabs(u)) + 1.0); /* theta_max - |theta| */
        double th = theta_max - gap;
        if (!(wgt > 0) || gap <= 0) continue;
        //: $\cos^{2/T-2}\vartheta$, eq. [eq:N2.B1.z_heavy]
        double c = theta_max >= 0.5 * PI ? sin(gap) : cos(th);
        sum += wgt * pow(c, a);
    }
    return hstep * sum;
}

static void section_partition(const Cli *cli) {
    const double Ts[3] = {0.5, 1.0, 1.5}, ref[3] = {PI / 2, PI, 7.2859519};
    for (int k = 0; k < 3; k++) {
        double z_formula = sqrt(PI) * exp(lgamma(1 / Ts[k] - 0.5) - lgamma(1 / Ts[k]));
        double z_ts = z_tanh_sinh(Ts[k], 0.5 * PI);
        char id[48];
        snprintf(id, sizeof id, "N2.B1.Z_T%g", Ts[k]);
        check_close(id, z_ts, z_formula, 1e-8 * z_formula, "N2.B1.z_heavy",
                    "Z(T = %g) by tanh-sinh on the tan substitution vs sqrt(pi) G(1/T-1/2)/G(1/T)", Ts[k]);
        snprintf(id, sizeof id, "N2.B1.Z_ref_T%g", Ts[k]);
        check_close(id, z_ts, ref[k], 1e-7, "N2.B1.z_heavy", "Z(T = %g) against the spec value %.7f",
                    Ts[k], ref[k]);
    }
    // the naive route: midpoint rule with 2e5 nodes on [-1000, 1000] at T = 1.5
    double naive = 0;
    const int m = 200000;
    const double hm = 2000.0 / m;
    for (int i = 0; i < m; i++) {
        double x = -1000 + hm * (i + 0.5);
        naive += hm * pow(1 + x * x, -1 / 1.5);
    }
    printf("T = 1.5: a midpoint rule with 2e5 nodes on [-1000, 1000] gives %.4f; the missing tails\n"
           "  2 * int_1000^inf x^(-4/3) dx = %.4f account for the gap to 7.2860\n",
           naive, 6.0 * pow(1000.0, -1.0 / 3.0));
    // T = 3 > 2: Z_L grows like L^(1 - 2/T) = L^(1/3)
    double Ls[3] = {1e3, 1e5, 1e7}, zl[3];
    for (int k = 0; k < 3; k++) zl[k] = z_tanh_sinh(3.0, atan(Ls[k]));
    // Z_L = 6 L^(1/3) + B + O(L^(-5/3)): increments over factors of 100 grow by 100^(1/3)
    double ratio = (zl[2] - zl[1]) / (zl[1] - zl[0]);
    printf("T = 3: Z_L = %.4f, %.4f, %.4f for L = 1e3, 1e5, 1e7\n", zl[0], zl[1], zl[2]);
    check_close("N2.B1.Z_box_divergence", ratio, cbrt(100.0), 1e-6, "N2.B1.z_heavy",
                "T = 3: (Z_1e7 - Z_1e5)/(Z_1e5 - Z_1e3) = 100^(1-2/T) (+O(L^-5/3)): Z_L ~ L^(1/3), Z = infinity");
    check_erratum("N2.B1.E45_Z_exists", zl[2], INFINITY,
                  "memo l.693-696 'any energy gives a Z': E = log(1+x^2) at T = 3 gives Z_L -> inf (Z_{1e7} shown)");
    enum { NT = 60 };
    double tt[NT], zz[NT];
    int nt = 0;
    for (int k = 0; k < NT; k++) {
        double T = 0.3 + 1.65 * k / (NT - 1);
        tt[nt] = T, zz[nt++] = sqrt(PI) * exp(lgamma(1 / T - 0.5) - lgamma(1 / T));
    }
    Plot *p = plot_new(800, 500, "Z(T) for E = log(1 + x^2): finite only for T < 2");
    plot_line(p, tt, zz, nt, "sqrt(pi) G(1/T - 1/2) / G(1/T)");
    plot_vline(p, 2.0, "T = 2");
    plot_ylog(p, 1);
    plot_xlabel(p, "T");
    plot_ylabel(p, "Z(T)");
    save(p, cli, "Z_of_T.png");
}

/*: ## 4. Energy is *minus* log-likelihood, and its MLE needs $\log Z$ (E46)

With $p = e^{-E/T}/Z$, the energy is

$$ E(x) = -T\log p(x) - T\log Z, $$ {#eq:N2.B1.energy_loglik}

so raising the likelihood of a point *lowers* its energy, and only up to the constant
$T\log Z$. For an energy-based model $p_\theta = e^{-E_\theta}/Z_\theta$ the gradient of the
average negative log-likelihood has a second term, from $Z_\theta$:

$$ \nabla_\theta\Big(-\frac1n\sum_i\log p_\theta(x_i)\Big) = \frac1n\sum_i\nabla_\theta E_\theta(x_i) - \mathbb E_{p_\theta}[\nabla_\theta E_\theta] . $$ {#eq:N2.B1.ebm_grad}

The memo's rule "minimise the potential at the data points" keeps only the first term. For
$E_\theta = \theta x^2$ its gradient is $\hat m_2 > 0$ for every $\theta$, so descent runs to
$\theta\to-\infty$ (a non-normalisable "law"), while the full objective
$\mathrm{NLL}(\theta) = \theta\hat m_2 + \tfrac12\log(\pi/\theta)$ has its minimum at
$\theta^* = 1/(2\hat m_2)$.
*/
typedef struct {
    double t1, t2;
    int moment; /* 0: Z; 1: E[x^2]; 2: E[x^4] */
} Ebm;
static double ebm_integrand(double x, void *ctx) {
    const Ebm *e = ctx;
    double x2 = x * x, f = exp(-(e->t1 * x2 + e->t2 * x2 * x2));
    return e->moment == 0 ? f : e->moment == 1 ? x2 * f : x2 * x2 * f;
}
static double ebm_int(double t1, double t2, int moment) {
    Ebm e = {t1, t2, moment};
    return quad_gauss_legendre_composite(ebm_integrand, &e, -12, 12, 40, 60);
}
static double ebm_nll(const double *theta, double m2, double m4) {
    //: $-\frac1n\sum\log p_\theta = \theta_1\hat m_2 + \theta_2\hat m_4 + \log Z_\theta$
    return theta[0] * m2 + theta[1] * m4 + log(ebm_int(theta[0], theta[1], 0));
}

static void section_energy_likelihood(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 0);
    enum { N = 2000 };
    double m2 = 0, m4 = 0;
    for (int i = 0; i < N; i++) {
        double x = 0.8 * rng_normal(&r);
        m2 += x * x / N, m4 += x * x * x * x / N;
    }
    // eq. energy_loglik as a printed identity at T = 0.7 for E = x^2/2
    const double T = 0.7, Z = sqrt(2 * PI * T);
    double worst = 0;
    for (int i = -20; i <= 20; i++) {
        double x = 0.25 * i, logp = -0.5 * x * x / T - log(Z);
        worst = fmax(worst, fabs(0.5 * x * x - (-T * logp - T * log(Z))));
    }
    printf("E = -T log p - T log Z for E = x^2/2, T = 0.7: max residual %.1e over 41 points\n", worst);
    const double theta[2] = {0.6, 0.05};
    //: eq. [eq:N2.B1.ebm_grad]: data term minus model expectation, $Z_\theta$ by quadrature
    double z = ebm_int(theta[0], theta[1], 0);
    double g_formula[2] = {m2 - ebm_int(theta[0], theta[1], 1) / z, m4 - ebm_int(theta[0], theta[1], 2) / z};
    double g_fd[2], hstep = 1e-5;
    for (int a = 0; a < 2; a++) {
        double tp[2] = {theta[0], theta[1]}, tm[2] = {theta[0], theta[1]};
        tp[a] += hstep, tm[a] -= hstep;
        g_fd[a] = (ebm_nll(tp, m2, m4) - ebm_nll(tm, m2, m4)) / (2 * hstep);
    }
    check_close("N2.B1.ebm_gradient", fmax(fabs(g_formula[0] - g_fd[0]), fabs(g_formula[1] - g_fd[1])),
                0, 1e-7, "N2.B1.ebm_grad",
                "E = t1 x^2 + t2 x^4: data term - E_p[grad E] equals central differences of the NLL");
    // the memo's rule: gradient descent on mean E_theta(x_i) alone, E = theta x^2
    double th = 1.0;
    for (int k = 0; k < 100; k++) th -= 0.1 * m2; /* d/dtheta mean(theta x^2) = m2 */
    // the full NLL theta m2 + 1/2 log(pi/theta): golden-section minimiser
    double lo = 1e-3, hi = 10, g = 0.5 * (sqrt(5.0) - 1);
    for (int k = 0; k < 200; k++) {
        double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
        double fa = a * m2 + 0.5 * log(PI / a), fb = b * m2 + 0.5 * log(PI / b);
        if (fa < fb) hi = b;
        else lo = a;
    }
    double theta_mle = 0.5 * (lo + hi);
    check_close("N2.B1.mle_theta", theta_mle, 1 / (2 * m2), 1e-7, "N2.B1.ebm_grad",
                "argmin of theta m2 + log Z_theta (golden section) equals 1/(2 m2) = %.6f", 1 / (2 * m2));
    printf("memo's rule 'minimise the energy at the data': theta after 100 descent steps = %.3f and falling\n", th);
    check_erratum("N2.B1.E46_minimise_energy", th, theta_mle,
                  "memo l.698-699: lowering E at the data drives theta -> -inf (after 100 steps); with log Z the MLE is 1/(2 m2)");
}

/*: ## 5. Score matching finds the MLE without $Z$; DSM differs from ESM by a constant

Hyvärinen's objective only needs derivatives of the energy in $x$:

$$ J(\theta) = \mathbb E_{\text{data}}\big[\tfrac12(\partial_xE_\theta)^2 - \partial_x^2E_\theta\big]
   \overset{E_\theta=\theta x^2}{=} 2\theta^2\hat m_2 - 2\theta , $$ {#eq:N2.B1.score_matching}

minimised at $\theta = 1/(2\hat m_2)$, the MLE of section 4. The program minimises $J$ as
computed from the data (one Newton step with finite-difference derivatives, exact for a
quadratic). Denoising score matching (Vincent 2011) at noise $\sigma$,
$J_{DSM} = \mathbb E_{x,\varepsilon}\tfrac12\lvert s_\theta(x+\sigma\varepsilon) + \varepsilon/\sigma\rvert^2$, and
explicit score matching against the smoothed law,
$J_{ESM} = \mathbb E_{q_\sigma}\tfrac12\lvert s_\theta - \nabla\log q_\sigma\rvert^2$, differ by a
constant that does not depend on $\theta$:

$$ J_{DSM}(\theta;\sigma) - J_{ESM}(\theta;\sigma) = C(\sigma) . $$ {#eq:N2.B1.dsm_esm}

$J_{DSM}$ is exactly the per-noise-level training loss of a diffusion model (its
$\varepsilon$-prediction form up to the weight $\sigma^2$): a diffusion model is an energy-based
model at every noise level, trained without $Z$. Both sides are computed here by
quadrature for the data law $q_0 = \tfrac12\mathcal N(-1, 0.25) + \tfrac12\mathcal N(1, 0.25)$,
$\sigma = 0.5$, and the model score $s_\theta(x) = -2\theta x$.
*/
static double sm_objective(double theta, const double *xs, int n) {
    double j = 0;
    for (int i = 0; i < n; i++) {
        //: $\tfrac12(\partial_xE)^2 - \partial_x^2E$ with $\partial_xE = 2\theta x$, $\partial_x^2E = 2\theta$
        double dE = 2 * theta * xs[i];
        j += (0.5 * dE * dE - 2 * theta) / n;
    }
    return j;
}
static double q0_pdf(double x, double var_extra) {
    return 0.5 * normal_pdf(x, -1, 0.25 + var_extra) + 0.5 * normal_pdf(x, 1, 0.25 + var_extra);
}
static double q0_score(double x, double v) {
    double a = 0.5 * normal_pdf(x, -1, 0.25 + v), b = 0.5 * normal_pdf(x, 1, 0.25 + v);
    return (a * (-1 - x) + b * (1 - x)) / ((a + b) * (0.25 + v));
}

static void section_score_matching(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 1);
    enum { N = 2000 };
    double xs[N], m2 = 0;
    for (int i = 0; i < N; i++) xs[i] = 0.8 * rng_normal(&r), m2 += xs[i] * xs[i] / N;
    const double t0 = 1.0, hstep = 1e-2;
    double jp = sm_objective(t0 + hstep, xs, N), j0 = sm_objective(t0, xs, N), jm = sm_objective(t0 - hstep, xs, N);
    //: Newton step on eq. [eq:N2.B1.score_matching] (finite differences, exact for a quadratic)
    double theta_sm = t0 - ((jp - jm) / (2 * hstep)) / ((jp - 2 * j0 + jm) / (hstep * hstep));
    check_close("N2.B1.sm_equals_mle", theta_sm, 1 / (2 * m2), 1e-10, "N2.B1.score_matching",
                "score-matching minimiser equals the MLE 1/(2 m2) on 2000 data points");
    // DSM - ESM at five theta, sigma = 0.5: Gauss-Legendre in x and in eps
    const double sigma = 0.5, thetas[5] = {-1, 0, 0.3, 1, 2.5};
    enum { NG = 64, PAN = 12 };
    double gx[NG], gw[NG];
    gauss_legendre(NG, gx, gw);
    double diff[5];
    for (int t = 0; t < 5; t++) {
        double th = thetas[t], esm = 0, dsm = 0;
        for (int pa = 0; pa < PAN; pa++)
            for (int a = 0; a < NG; a++) {
                double lo = -8 + 16.0 * pa / PAN, hi = lo + 16.0 / PAN;
                double x = 0.5 * (lo + hi) + 0.5 * (hi - lo) * gx[a], wx = 0.5 * (hi - lo) * gw[a];
                //: $J_{ESM}$: $\tfrac12(s_\theta - \nabla\log q_\sigma)^2$ under $q_\sigma$
                double d = -2 * th * x - q0_score(x, sigma * sigma);
                esm += wx * q0_pdf(x, sigma * sigma) * 0.5 * d * d;
                for (int qb = 0; qb < PAN; qb++)
                    for (int b = 0; b < NG; b++) {
                        double elo = -8 + 16.0 * qb / PAN, ehi = elo + 16.0 / PAN;
                        double e = 0.5 * (elo + ehi) + 0.5 * (ehi - elo) * gx[b], we = 0.5 * (ehi - elo) * gw[b];
                        //: $J_{DSM}$: $\tfrac12(s_\theta(x+\sigma\varepsilon) + \varepsilon/\sigma)^2$ under $q_0\otimes\mathcal N(0,1)$
                        double u = -2 * th * (x + sigma * e) + e / sigma;
                        dsm += wx * we * q0_pdf(x, 0) * normal_pdf(e, 0, 1) * 0.5 * u * u;
                    }
            }
        diff[t] = dsm - esm;
        printf("theta = %5.2f: J_DSM = %.12f  J_ESM = %.12f  difference %.12f\n", th, dsm, esm, diff[t]);
    }
    double lo = diff[0], hi = diff[0];
    for (int t = 1; t < 5; t++) lo = fmin(lo, diff[t]), hi = fmax(hi, diff[t]);
    check_close("N2.B1.dsm_esm_constant", hi - lo, 0, 1e-10, "N2.B1.dsm_esm",
                "spread of J_DSM - J_ESM over five theta (quadrature): the difference is a constant");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B1: tempering vs convolution paths, Z(T), energy = -log-likelihood, score matching",
              201, NULL);
    section_tempering(&cli);
    section_convolution(&cli);
    section_partition(&cli);
    section_energy_likelihood(&cli);
    section_score_matching(&cli);
    return check_end();
}
