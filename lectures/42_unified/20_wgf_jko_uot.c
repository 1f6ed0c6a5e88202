/*: # L42 6.4 — Wasserstein gradient flow: JKO steps against a Fokker–Planck solution, MMD, unbalanced OT

**Lecture 42, Part 2, section 6.4** (Wasserstein gradient flow, the JKO scheme, MMD and unbalanced
optimal transport). The lecture states the JKO step
$\rho_{k+1} = \arg\min_\rho F(\rho) + W_2^2(\rho, \rho_k)/(2\tau)$ and then "discretises" it as a
mixture of densities, trains a map on MMD alone, and calls $(1+\rho)\,\mathrm{MMD}$ unbalanced OT
(erratum B22). Here the JKO scheme is run for real on the case where everything is known: the
free energy $F(\rho) = \mathrm{KL}(\rho\,\Vert\,\mathcal N(0,1))$, whose Wasserstein gradient flow is
the Ornstein–Uhlenbeck Fokker–Planck equation.

What you will see: a spectral (FFTW) Fokker–Planck solver checked against the exact Gaussian
solution; Gaussian JKO steps for $\tau = 0.1, 0.05, 0.025, 0.0125$ against the spec's table and
against the Fokker–Planck density, converging at first order in $\tau$; a non-parametric particle
JKO (200 quantile particles, Newton with a tridiagonal Hessian) that reproduces the Gaussian JKO
and decreases $F + W_2^2/(2\tau)$ at every step; the lecture's mixture "step" against the
Wasserstein step; MMD closed forms against the unbiased U-statistic, with the lecture's biased
V-statistic and its $2\sigma$ kernel as ERRATUM lines; and a log-domain unbalanced Sinkhorn that
recovers exact marginals as $\rho\to\infty$ and leaves outliers untransported at small $\rho$.
Figures: `jko_vs_fp.png` (densities at $T = 1$), `jko_convergence.png` (error against $\tau$,
log–log), `uot_outliers.png` (mass transported per source point).

Run: `make run L=42`, or `build/release/bin/lectures/42_unified/20_wgf_jko_uot` (`--quick`: smaller
MMD samples).

| symbol | C name | shape |
|---|---|---|
| $\rho(x, t)$ on the grid | `rho` | (NG) |
| $\hat\rho(k)$ | `rho_hat` | (NG/2+1) complex |
| $m_k, s_k$ (Gaussian JKO iterate) | `m`, `s` | scalars |
| $\tau$ | `tau` | scalar |
| particles $x_i$, previous $x_i^k$ | `x`, `xk` | (NP) |
| $F(\rho)$ | `free_energy_*` | scalar |
| RBF bandwidth $\sigma$ | `sigma` | scalar |
| plan $\pi_{ij}$, potentials $f, g$ | `f`, `g` | (n) |
| marginal penalty $\rho$ (UOT) | `rho_pen` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double M0 = 3.0, S0 = 0.5, T_END = 1.0; /* rho_0 = N(3, 0.25), flow to t = 1 */
enum { NG = 512, NTAU = 4, NP = 200 };
static const double XL = -12.0, XR = 12.0; /* periodic grid for the Fokker-Planck solver */
static const double TAUS[NTAU] = {0.1, 0.05, 0.025, 0.0125};

static double gauss_pdf(double x, double m, double s) {
    return exp(-0.5 * (x - m) * (x - m) / (s * s)) / (s * sqrt(2 * M_PI));
}

/*: ## 6.4 The flow: KL to a standard normal, and its Fokker–Planck equation

For $F(\rho) = \int\rho\log\rho + \int\rho\,\tfrac{x^2}{2}$ (the KL to $\mathcal N(0,1)$ up to a
constant), the Wasserstein gradient flow $\partial_t\rho = \nabla\cdot(\rho\nabla\,\delta F/\delta\rho)$ is

$$ \partial_t\rho = \partial_{xx}\rho + \partial_x(x\rho) $$ {#eq:L42.6.4.fokker_planck}

whose Gaussian solution is $\mathcal N(m(t), s(t)^2)$ with

$$ m(t) = m_0e^{-t},\qquad s(t)^2 = 1 + (s_0^2 - 1)e^{-2t} $$ {#eq:L42.6.4.ou_exact}

The reference solution is computed independently of that formula: on a periodic grid of 512
points on $[-12, 12]$ the derivatives are spectral ($\partial_x \to ik$ by FFTW), the diffusion is
integrated exactly by the factor $e^{-k^2 t}$ and the drift $\partial_x(x\rho)$ by RK4 in the
interaction picture, $\Delta t = 10^{-3}$. The density stays below $10^{-30}$ at the ends, so the
periodic wrap of $x\rho$ is invisible.
*/
static double grid_x(int i) { return XL + (XR - XL) * i / NG; }

/* N(rho_hat) = FFT of d/dx (x rho), computed as i k FFT(x rho). */
static void fp_drift(const fft_cplx *rho_hat, fft_cplx *out, double *work) {
    const int nk = NG / 2 + 1;
    fft_c2r_inverse(NG, rho_hat, work);
    for (int i = 0; i < NG; i++) work[i] *= grid_x(i);
    fft_r2c_forward(NG, work, out);
    for (int k = 0; k < nk; k++) {
        double kk = 2 * M_PI * k / (XR - XL);
        out[k] *= (k == NG / 2) ? 0.0 : I * kk;
    }
}

static void fokker_planck_spectral(double *rho, double t_end, double dt) {
    const int nk = NG / 2 + 1, steps = (int)lround(t_end / dt);
    fft_cplx *v = xmalloc(nk * sizeof *v), *a = xmalloc(nk * sizeof *a), *b = xmalloc(nk * sizeof *b);
    fft_cplx *c = xmalloc(nk * sizeof *c), *d = xmalloc(nk * sizeof *d), *tmp = xmalloc(nk * sizeof *tmp);
    double *work = xmalloc(NG * sizeof *work), *E = xmalloc(nk * sizeof *E), *E2 = xmalloc(nk * sizeof *E2);
    for (int k = 0; k < nk; k++) {
        double kk = 2 * M_PI * k / (XR - XL);
        //: the diffusion $\partial_{xx}\to -k^2$ integrated exactly over half and whole steps
        E[k] = exp(-kk * kk * dt / 2), E2[k] = E[k] * E[k];
    }
    fft_r2c_forward(NG, rho, v);
    for (int n = 0; n < steps; n++) {
        //: integrating-factor RK4 for [eq:L42.6.4.fokker_planck]
        fp_drift(v, a, work);
        for (int k = 0; k < nk; k++) a[k] *= dt, tmp[k] = E[k] * (v[k] + a[k] / 2);
        fp_drift(tmp, b, work);
        for (int k = 0; k < nk; k++) b[k] *= dt, tmp[k] = E[k] * v[k] + b[k] / 2;
        fp_drift(tmp, c, work);
        for (int k = 0; k < nk; k++) c[k] *= dt, tmp[k] = E2[k] * v[k] + E[k] * c[k];
        fp_drift(tmp, d, work);
        for (int k = 0; k < nk; k++)
            v[k] = E2[k] * v[k] + (E2[k] * a[k] + 2 * E[k] * (b[k] + c[k]) + d[k] * dt) / 6;
    }
    fft_c2r_inverse(NG, v, rho);
    free(v), free(a), free(b), free(c), free(d), free(tmp), free(work), free(E), free(E2);
}

static void grid_moments(const double *rho, double *mass, double *mean, double *sd) {
    double h = (XR - XL) / NG, m0 = 0, m1 = 0, m2 = 0;
    for (int i = 0; i < NG; i++) m0 += rho[i] * h, m1 += rho[i] * grid_x(i) * h;
    for (int i = 0; i < NG; i++) m2 += rho[i] * (grid_x(i) - m1 / m0) * (grid_x(i) - m1 / m0) * h;
    *mass = m0, *mean = m1 / m0, *sd = sqrt(m2 / m0);
}

static void section_fokker_planck(double *rho_fp) {
    for (int i = 0; i < NG; i++) rho_fp[i] = gauss_pdf(grid_x(i), M0, S0);
    fokker_planck_spectral(rho_fp, T_END, 1e-3);
    //: [eq:L42.6.4.ou_exact]
    double m_ex = M0 * exp(-T_END), s_ex = sqrt(1 + (S0 * S0 - 1) * exp(-2 * T_END));
    double mass, mean, sd, err = 0;
    grid_moments(rho_fp, &mass, &mean, &sd);
    for (int i = 0; i < NG; i++) err = fmax(err, fabs(rho_fp[i] - gauss_pdf(grid_x(i), m_ex, s_ex)));
    printf("Fokker-Planck (FFTW, 512 modes) at T = 1: mass %.12f mean %.10f sd %.10f\n", mass, mean, sd);
    check_close("L42.6.4.fp_mass", mass, 1.0, 1e-10, "L42.6.4.fokker_planck", "spectral FP conserves mass");
    check_close("L42.6.4.fp_density", err, 0.0, 1e-8, "L42.6.4.ou_exact",
                "max_x |rho_FP(x, 1) - N(m(1), s(1)^2)| on the grid");
    check_close("L42.6.4.fp_mean", mean, 1.1036383, 1e-7, "L42.6.4.ou_exact", "FP mean at T = 1 (spec: 1.1036383)");
    check_close("L42.6.4.fp_sd", sd, 0.9478916, 1e-7, "L42.6.4.ou_exact", "FP sd at T = 1 (spec: 0.9478916)");
}

/*: ## JKO steps within the Gaussian family

For $\rho_k = \mathcal N(m_k, s_k^2)$, $F(\mathcal N(m, s^2)) = \tfrac12(m^2 + s^2 - 1) - \log s$ and
$W_2^2 = (m - m_k)^2 + (s - s_k)^2$. Setting the derivatives of $F + W_2^2/(2\tau)$ to zero:

$$ m_{k+1} = \frac{m_k}{1+\tau},\qquad
   s_{k+1} = \frac{s_k/\tau + \sqrt{s_k^2/\tau^2 + 4(1+1/\tau)}}{2(1+1/\tau)} $$ {#eq:L42.6.4.gauss_jko}

For this quadratic potential the minimiser over *all* densities is itself Gaussian (the JKO step
of an Ornstein–Uhlenbeck flow preserves Gaussians; the particle scheme below, which assumes
nothing, agrees to its discretisation error), so this is the JKO scheme itself. $m_{k+1} = m_k/(1+\tau)$ is implicit Euler for $\dot m = -m$: after
$T/\tau$ steps the error is $O(\tau)$, which the table of the spec and the log–log figure show.
*/
static double free_energy_gauss(double m, double s) { return 0.5 * (m * m + s * s - 1) - log(s); }

static void gauss_jko(double tau, double *m_out, double *s_out, double *max_descent) {
    double m = M0, s = S0;
    int steps = (int)lround(T_END / tau);
    *max_descent = -INFINITY;
    for (int k = 0; k < steps; k++) {
        //: [eq:L42.6.4.gauss_jko]
        double mn = m / (1 + tau);
        double sn = (s / tau + sqrt(s * s / (tau * tau) + 4 * (1 + 1 / tau))) / (2 * (1 + 1 / tau));
        double w2 = (mn - m) * (mn - m) + (sn - s) * (sn - s);
        *max_descent = fmax(*max_descent, free_energy_gauss(mn, sn) + w2 / (2 * tau) - free_energy_gauss(m, s));
        m = mn, s = sn;
    }
    *m_out = m, *s_out = s;
}

static void section_gauss_jko(const double *rho_fp, double *err_m, double *err_s, double *err_l1, double *m_j,
                              double *s_j) {
    const double ref_m[NTAU] = {1.1566299, 1.1306684, 1.1172919, 1.1105004};
    const double ref_s[NTAU] = {0.9341890, 0.9409335, 0.9443856, 0.9461318};
    double m_ex = M0 * exp(-T_END), s_ex = sqrt(1 + (S0 * S0 - 1) * exp(-2 * T_END)), h = (XR - XL) / NG;
    printf("tau      m_JKO      s_JKO      |dm|       |ds|       L1(JKO, FP)\n");
    for (int j = 0; j < NTAU; j++) {
        double desc;
        gauss_jko(TAUS[j], &m_j[j], &s_j[j], &desc);
        err_m[j] = fabs(m_j[j] - m_ex), err_s[j] = fabs(s_j[j] - s_ex), err_l1[j] = 0;
        for (int i = 0; i < NG; i++) err_l1[j] += fabs(gauss_pdf(grid_x(i), m_j[j], s_j[j]) - rho_fp[i]) * h;
        printf("%-8g %.7f  %.7f  %.7f  %.7f  %.7f\n", TAUS[j], m_j[j], s_j[j], err_m[j], err_s[j], err_l1[j]);
        char id[64];
        snprintf(id, sizeof id, "L42.6.4.jko_gauss_m_tau%g", TAUS[j]);
        check_close(id, m_j[j], ref_m[j], 1e-7, "L42.6.4.gauss_jko", "Gaussian JKO mean at T = 1, tau = %g (spec)",
                    TAUS[j]);
        snprintf(id, sizeof id, "L42.6.4.jko_gauss_s_tau%g", TAUS[j]);
        check_close(id, s_j[j], ref_s[j], 1e-7, "L42.6.4.gauss_jko", "Gaussian JKO sd at T = 1, tau = %g (spec)",
                    TAUS[j]);
        snprintf(id, sizeof id, "L42.6.4.jko_gauss_descent_tau%g", TAUS[j]);
        check_le(id, desc, 0.0, 1e-12, "L42.6.4.gauss_jko",
                 "max over steps of F(rho_k+1) + W2^2/(2 tau) - F(rho_k) (JKO descent), tau = %g", TAUS[j]);
    }
    for (int j = 1; j < NTAU; j++) {
        char id[64];
        snprintf(id, sizeof id, "L42.6.4.jko_first_order_m_%d", j);
        check_in(id, err_m[j - 1] / err_m[j], 1.9, 2.1, "L42.6.4.gauss_jko",
                 "mean error ratio tau = %g / %g (first order: 2, +-5%%)", TAUS[j - 1], TAUS[j]);
        snprintf(id, sizeof id, "L42.6.4.jko_first_order_l1_%d", j);
        check_in(id, err_l1[j - 1] / err_l1[j], 1.9, 2.1, "L42.6.4.fokker_planck",
                 "L1 distance JKO vs FFTW Fokker-Planck, ratio tau = %g / %g (first order: 2, +-5%%)", TAUS[j - 1],
                 TAUS[j]);
    }
}

/*: ## A particle JKO step (no Gaussian assumption)

Represent $\rho$ by $N = 200$ equal-mass particles $x_1 < \dots < x_N$ (initially the quantiles
$m_0 + s_0\Phi^{-1}((i - \frac12)/N)$). In 1-D the optimal coupling between two sorted sets pairs
them in order, so $W_2^2 = \frac1N\sum_i(x_i - x_i^k)^2$ exactly; the entropy is approximated by
the spacings, $\int\rho\log\rho \approx -\frac1N\sum_i\log(x_{i+1} - x_i)$ (up to a constant). The step
minimises the convex function

$$ G(x) = \frac1N\Big[\sum_i\frac{x_i^2}{2} - \sum_{i<N}\log(x_{i+1} - x_i)
   + \frac1{2\tau}\sum_i(x_i - x_i^k)^2\Big] $$ {#eq:L42.6.4.particle_jko}

by Newton's method; its Hessian is tridiagonal ($1 + 1/\tau$ plus $1/d^2$ from each adjacent
spacing $d$ on the diagonal, $-1/d^2$ off it), solved by the Thomas algorithm. The spacing terms
telescope in $\sum_i\partial G/\partial x_i$, so the particle mean obeys $m_{k+1} = m_k/(1+\tau)$
exactly, the same as the Gaussian scheme. Because $x^k$ itself is a candidate, the minimiser
satisfies $F(\rho_{k+1}) + W_2^2/(2\tau)\le F(\rho_k)$ at every step.
*/
static double norm_quantile(double p) { /* Newton on 0.5 erfc(-x/sqrt 2) = p */
    double x = 0;
    for (int it = 0; it < 100; it++) {
        double cdf = 0.5 * erfc(-x / M_SQRT2), step = (cdf - p) / gauss_pdf(x, 0, 1);
        x -= step;
        if (fabs(step) < 1e-15) break;
    }
    return x;
}

static double free_energy_particles(const double *x) {
    double f = 0;
    for (int i = 0; i < NP; i++) f += 0.5 * x[i] * x[i];
    for (int i = 0; i + 1 < NP; i++) f -= log(x[i + 1] - x[i]);
    return f / NP;
}

static void particle_jko_step(double *x, const double *xk, double tau) {
    double g[NP], dg[NP], lo[NP], up[NP], cp[NP], dp[NP];
    for (int it = 0; it < 50; it++) {
        for (int i = 0; i < NP; i++) g[i] = x[i] + (x[i] - xk[i]) / tau, dg[i] = 1 + 1 / tau, lo[i] = up[i] = 0;
        for (int i = 0; i + 1 < NP; i++) {
            double d = x[i + 1] - x[i];
            //: gradient and Hessian of [eq:L42.6.4.particle_jko] (times N)
            g[i] += 1 / d, g[i + 1] -= 1 / d;
            dg[i] += 1 / (d * d), dg[i + 1] += 1 / (d * d), up[i] = lo[i + 1] = -1 / (d * d);
        }
        /* Thomas algorithm for H dx = g */
        cp[0] = up[0] / dg[0], dp[0] = g[0] / dg[0];
        for (int i = 1; i < NP; i++) {
            double den = dg[i] - lo[i] * cp[i - 1];
            cp[i] = up[i] / den, dp[i] = (g[i] - lo[i] * dp[i - 1]) / den;
        }
        double dx = dp[NP - 1], gmax = 0;
        x[NP - 1] -= dx;
        for (int i = NP - 2; i >= 0; i--) dx = dp[i] - cp[i] * dx, x[i] -= dx;
        for (int i = 0; i < NP; i++) gmax = fmax(gmax, fabs(g[i]));
        if (gmax < 1e-13) break;
    }
}

static void section_particle_jko(const double *m_j, const double *s_j, double *x_final) {
    for (int j = 0; j < 2; j++) {
        double x[NP], xk[NP], desc = -INFINITY;
        for (int i = 0; i < NP; i++) x[i] = M0 + S0 * norm_quantile((i + 0.5) / NP);
        int steps = (int)lround(T_END / TAUS[j]);
        for (int k = 0; k < steps; k++) {
            memcpy(xk, x, sizeof x);
            particle_jko_step(x, xk, TAUS[j]);
            double w2 = 0;
            for (int i = 0; i < NP; i++) w2 += (x[i] - xk[i]) * (x[i] - xk[i]) / NP;
            desc = fmax(desc, free_energy_particles(x) + w2 / (2 * TAUS[j]) - free_energy_particles(xk));
        }
        double mean = stats_mean(x, NP), sd = sqrt(stats_var(x, NP) * (NP - 1.0) / NP);
        printf("particle JKO tau = %g: mean %.10f (Gaussian JKO %.10f), sd %.6f (Gaussian JKO %.6f)\n", TAUS[j], mean,
               m_j[j], sd, s_j[j]);
        char id[64];
        snprintf(id, sizeof id, "L42.6.4.jko_particles_mean_tau%g", TAUS[j]);
        check_close(id, mean, m_j[j], 1e-9, "L42.6.4.particle_jko", "particle JKO mean = Gaussian JKO mean, tau = %g",
                    TAUS[j]);
        snprintf(id, sizeof id, "L42.6.4.jko_particles_sd_tau%g", TAUS[j]);
        check_close(id, sd, s_j[j], 0.005, "L42.6.4.particle_jko",
                    "particle JKO sd vs Gaussian JKO sd, tau = %g (N = 200 quantile discretisation)", TAUS[j]);
        snprintf(id, sizeof id, "L42.6.4.jko_particles_descent_tau%g", TAUS[j]);
        check_le(id, desc, 0.0, 1e-12, "L42.6.4.particle_jko",
                 "max over steps of F(x^{k+1}) + W2^2/(2 tau) - F(x^k), tau = %g", TAUS[j]);
        if (j == 0) memcpy(x_final, x, sizeof x);
    }
}

/*: ## The lecture's "discretisation" is a mixture, not a transport step

6.4 writes $\rho_{k+1} = (1-\lambda)\rho_k + \lambda\,T_\#\rho_k$: a straight line in the space of
densities. A Wasserstein (displacement) step moves the *mass*: $((1-\lambda)\mathrm{Id} + \lambda T)_\#\rho_k$.
For $\rho_k = \mathcal N(0,1)$, $T(x) = x + 4$, $\lambda = \frac12$ the first is bimodal with variance
$1 + \lambda(1-\lambda)\,16 = 5$, the second is $\mathcal N(2, 1)$. Both variances are computed by
Gauss–Legendre quadrature of the densities (the displacement density is the push-forward
$\rho_k(x - 4\lambda)$).
*/
typedef struct {
    double lambda;
    int moment; /* 0: mass, 1: mean, 2: second moment */
    int mixture;
} MixCtx;

static double mix_integrand(double x, void *ctx) {
    const MixCtx *c = ctx;
    double p = c->mixture ? (1 - c->lambda) * gauss_pdf(x, 0, 1) + c->lambda * gauss_pdf(x, 4, 1)
                          : gauss_pdf(x, 4 * c->lambda, 1);
    return p * (c->moment == 0 ? 1 : c->moment == 1 ? x : x * x);
}

static void section_mixture(void) {
    double var[2];
    for (int mix = 0; mix < 2; mix++) {
        double mom[3];
        for (int k = 0; k < 3; k++) {
            MixCtx c = {0.5, k, mix};
            mom[k] = quad_gauss_legendre_composite(mix_integrand, &c, -15, 20, 40, 20);
        }
        var[mix] = mom[2] / mom[0] - (mom[1] / mom[0]) * (mom[1] / mom[0]);
    }
    check_close("L42.6.4.mixture_variance", var[1], 5.0, 1e-9, NULL,
                "variance of (1-l) N(0,1) + l N(4,1), l = 1/2 (quadrature) = 1 + l(1-l) 16");
    check_close("L42.6.4.pushforward_variance", var[0], 1.0, 1e-9, NULL,
                "variance of ((1-l) Id + l T)#N(0,1) = N(2, 1) (quadrature)");
    check_erratum("L42.6.4.mixture_vs_pushforward", var[1], var[0],
                  "B22: the lecture's step (1-l) rho + l T#rho has variance 5; a Wasserstein step has variance 1");
}

/*: ## MMD: closed form, unbiased and biased estimators, the kernel's bandwidth

With $k(x, y) = \exp(-\lVert x-y\rVert^2/(2\sigma^2))$ and $x\sim\mathcal N(0, I_d)$,
$y\sim\mathcal N(\delta, I_d)$, Gaussian integrals give

$$ \mathrm{MMD}^2 = 2\Big(\frac{\sigma^2}{\sigma^2+2}\Big)^{d/2}\Big(1 - e^{-\lVert\delta\rVert^2/(2(\sigma^2+2))}\Big) $$ {#eq:L42.6.4.mmd_gauss}

The unbiased U-statistic averages $h(z_i, z_j) = k(x_i,x_j) + k(y_i,y_j) - k(x_i,y_j) - k(x_j,y_i)$
over $i\neq j$; its standard error is $2\,\mathrm{sd}(h_1)/\sqrt n$ with $h_1(z_i)$ the row means of
$h$ (the first-order Hoeffding term, which dominates when $\delta\neq0$). The lecture's code keeps
the diagonal (a biased V-statistic, larger by about $\frac2n(1 - \mathbb E k(x,y))$) and divides by
$2\sigma$ instead of $2\sigma^2$ — the same kernel only at $\sigma = 1$.
*/
static double mmd_closed(int d, double delta2, double sigma) {
    double s2 = sigma * sigma;
    //: [eq:L42.6.4.mmd_gauss]
    return 2 * pow(s2 / (s2 + 2), d / 2.0) * (1 - exp(-delta2 / (2 * (s2 + 2))));
}

/* x, y: (n, d). Returns the U-statistic with its standard error, and the V-statistic.
   `denom` is the kernel's denominator: 2 sigma^2 (correct) or the lecture's 2 sigma. */
static double mmd_u(const double *x, const double *y, int n, int d, double denom, double *se, double *v_stat) {
    double *h1 = xcalloc((size_t)n, sizeof *h1), sum_u = 0, diag = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double dxx = 0, dyy = 0, dxy = 0, dyx = 0;
            for (int a = 0; a < d; a++) {
                double u = x[i * d + a] - x[j * d + a], w = y[i * d + a] - y[j * d + a];
                double p = x[i * d + a] - y[j * d + a], q = x[j * d + a] - y[i * d + a];
                dxx += u * u, dyy += w * w, dxy += p * p, dyx += q * q;
            }
            double h = exp(-dxx / denom) + exp(-dyy / denom) - exp(-dxy / denom) - exp(-dyx / denom);
            if (i == j) diag += h;
            else h1[i] += h / (n - 1), sum_u += h;
        }
    double u = sum_u / ((double)n * (n - 1));
    stats_mean_se(h1, (size_t)n, se);
    *se *= 2; /* sd(h1)/sqrt(n) from stats_mean_se, times 2 */
    *v_stat = (sum_u + diag) / ((double)n * n);
    free(h1);
    return u;
}

static void section_mmd(const Cli *cli) {
    const int n = (int)cli_scale(cli, 400, 2000, 4000);
    const int dims[3] = {1, 2, 2};
    const double d2s[3] = {1, 1, 4}, refs[3] = {0.1772676, 0.1023455, 0.3243886};
    double *x = xmalloc((size_t)n * 2 * sizeof *x), *y = xmalloc((size_t)n * 2 * sizeof *y);
    for (int c = 0; c < 3; c++) {
        int d = dims[c];
        double delta = sqrt(d2s[c] / d); /* the same shift in every coordinate */
        for (int i = 0; i < n; i++) { /* one stream per sample pair */
            Rng r;
            rng_init(&r, cli->seed + 1 + c, (uint64_t)i);
            for (int a = 0; a < d; a++) x[i * d + a] = rng_normal(&r), y[i * d + a] = delta + rng_normal(&r);
        }
        double se, v_stat;
        double u = mmd_u(x, y, n, d, 2.0, &se, &v_stat);
        char id[64];
        snprintf(id, sizeof id, "L42.6.4.mmd_closed_form_%d", c);
        check_close(id, mmd_closed(d, d2s[c], 1.0), refs[c], 1e-7, "L42.6.4.mmd_gauss",
                    "closed-form MMD^2, d = %d, |delta|^2 = %g (spec %.7f)", d, d2s[c], refs[c]);
        snprintf(id, sizeof id, "L42.6.4.mmd_ustat_%d", c);
        check_mc(id, u, mmd_closed(d, d2s[c], 1.0), se, 3.0, n, "L42.6.4.mmd_gauss",
                 "unbiased U-statistic MMD^2, d = %d, |delta|^2 = %g, sigma = 1", d, d2s[c]);
        snprintf(id, sizeof id, "L42.6.4.mmd_vstat_%d", c);
        check_erratum(id, v_stat, u, "B22: the lecture's biased V-statistic (diagonal kept) vs the U-statistic, "
                      "d = %d, |delta|^2 = %g, n = %d", d, d2s[c], n);
        if (c == 0) { /* bandwidth: the lecture's 2 sigma vs 2 sigma^2 at sigma = 2 */
            double se2, v2, se_l, v_l;
            double u_right = mmd_u(x, y, n, d, 2.0 * 4.0, &se2, &v2);
            double u_lect = mmd_u(x, y, n, d, 2.0 * 2.0, &se_l, &v_l);
            check_mc("L42.6.4.mmd_sigma2_ustat", u_right, mmd_closed(1, 1.0, 2.0), se2, 3.0, n, "L42.6.4.mmd_gauss",
                     "U-statistic with sigma = 2 (denominator 2 sigma^2 = 8) matches the closed form");
            check_erratum("L42.6.4.mmd_kernel_sigma", u_lect, u_right,
                          "B22: RBF with /(2 sigma) instead of /(2 sigma^2) at sigma = 2 (d = 1, |delta|^2 = 1); "
                          "at sigma = 1 they coincide");
        }
    }
    free(x), free(y);
}

/*: ## Unbalanced optimal transport (log-domain Sinkhorn)

Entropic OT with the marginal constraints relaxed by $\rho\,\mathrm{KL}$ penalties: the plan is
$\pi_{ij} = a_ib_j\exp((f_i + g_j - C_{ij})/\varepsilon)$ and the Sinkhorn updates become

$$ f_i = -\kappa\,\varepsilon\log\sum_j b_j e^{(g_j - C_{ij})/\varepsilon},\quad
   g_j = -\kappa\,\varepsilon\log\sum_i a_i e^{(f_i - C_{ij})/\varepsilon},\quad
   \kappa = \frac{\rho}{\rho + \varepsilon} $$ {#eq:L42.6.4.uot_sinkhorn}

($\kappa = 1$: balanced OT, exact marginals at convergence). Sums are log-sum-exp, since
$C/\varepsilon$ reaches $2000$ for the outliers below. Source: 190 points from $\mathcal N(0,1)$ and
10 outliers at $x = 10$ (5 % of the mass); target: 200 points from $\mathcal N(0,1)$; $C = |x-y|^2$,
$\varepsilon = 0.05$. Balanced OT must move the outliers' 5 %; with $\rho = 0.1$ it is cheaper to
drop them. The lecture's "UOT" loss, $\mathrm{MMD} + \rho\,\mathrm{MMD}$, rescales MMD and so
changes nothing about which mass is matched.
*/
static void plan_marginals(const double *xs, const double *ys, int n, double eps, const double *f, const double *g,
                           double *row_mass, double *col_mass) {
    double la = -log((double)n);
    for (int i = 0; i < n; i++) row_mass[i] = 0;
    for (int j = 0; j < n; j++) col_mass[j] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double p = exp(2 * la + (f[i] + g[j] - (xs[i] - ys[j]) * (xs[i] - ys[j])) / eps);
            row_mass[i] += p, col_mass[j] += p;
        }
}

/* Log-domain (unbalanced) Sinkhorn with epsilon-scaling: eps_s = max(eps, 2^-s), s = 0, 1, ...,
   the potentials of one stage warm-starting the next (the usual cure for Sinkhorn's slow
   convergence at small eps). A stage ends when the row marginals move by less than `tol` over 10
   sweeps (or after `max_iters` sweeps in all). Returns the number of sweeps. */
static int uot_sinkhorn(const double *xs, const double *ys, int n, double eps, double rho_pen, int max_iters,
                        double tol, double *row_mass, double *col_mass) {
    const double la = -log((double)n);
    double *f = xcalloc((size_t)n, sizeof *f), *g = xcalloc((size_t)n, sizeof *g);
    double *buf = xmalloc((size_t)n * sizeof *buf), *prev = xmalloc((size_t)n * sizeof *prev);
    int it = 0;
    for (double e = fmax(eps, 1.0);; e = fmax(eps, 0.5 * e)) {
        double kappa = isinf(rho_pen) ? 1.0 : rho_pen / (rho_pen + e);
        for (int i = 0; i < n; i++) prev[i] = -1;
        while (it < max_iters) {
            //: [eq:L42.6.4.uot_sinkhorn]
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) buf[j] = la + (g[j] - (xs[i] - ys[j]) * (xs[i] - ys[j])) / e;
                f[i] = -kappa * e * logsumexp(buf, (size_t)n);
            }
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) buf[i] = la + (f[i] - (xs[i] - ys[j]) * (xs[i] - ys[j])) / e;
                g[j] = -kappa * e * logsumexp(buf, (size_t)n);
            }
            if (++it % 10 == 0) {
                plan_marginals(xs, ys, n, e, f, g, row_mass, col_mass);
                double change = stats_max_abs_diff(row_mass, prev, (size_t)n);
                memcpy(prev, row_mass, (size_t)n * sizeof *prev);
                if (change < tol) break;
            }
        }
        if (e == eps || it >= max_iters) break;
    }
    plan_marginals(xs, ys, n, eps, f, g, row_mass, col_mass);
    free(f), free(g), free(buf), free(prev);
    return it;
}

static void section_uot(const Cli *cli, double *xs, double *row_unb) {
    enum { N = 200, NOUT = 10 };
    double ys[N], row[N], col[N];
    Rng r;
    rng_init(&r, cli->seed + 10, 0);
    for (int i = 0; i < N; i++) xs[i] = i < N - NOUT ? rng_normal(&r) : 10.0, ys[i] = rng_normal(&r);
    int sweeps = uot_sinkhorn(xs, ys, N, 0.05, INFINITY, 100000, 1e-9, row, col);
    printf("balanced Sinkhorn: %d sweeps\n", sweeps);
    double err = 0, out_bal = 0;
    for (int i = 0; i < N; i++) err = fmax(err, fmax(fabs(row[i] - 1.0 / N), fabs(col[i] - 1.0 / N)));
    for (int i = N - NOUT; i < N; i++) out_bal += row[i];
    check_close("L42.6.4.uot_balanced_limit", err, 0.0, 1e-6, "L42.6.4.uot_sinkhorn",
                "rho = infinity (kappa = 1): max |plan marginal - 1/n| after %d Sinkhorn sweeps", sweeps);
    sweeps = uot_sinkhorn(xs, ys, N, 0.05, 0.1, 100000, 1e-12, row_unb, col);
    printf("unbalanced Sinkhorn (rho = 0.1): %d sweeps\n", sweeps);
    double out_unb = 0, in_unb = 0;
    for (int i = 0; i < N; i++) *(i >= N - NOUT ? &out_unb : &in_unb) += row_unb[i];
    printf("mass sent from the outliers: balanced %.6f, unbalanced (rho = 0.1) %.3e; inliers %.4f of 0.95\n",
           out_bal, out_unb, in_unb);
    check_le("L42.6.4.uot_outlier_mass", out_unb, 0.5 * 0.05, 0.0, "L42.6.4.uot_sinkhorn",
             "mass transported from the 5%% outliers at rho = 0.1 (< half the nominal 0.05)");
    check_erratum("L42.6.4.uot_lecture_loss", out_bal, out_unb,
                  "B22: the lecture's UOT = (1 + rho) MMD weights the outliers as balanced transport does "
                  "(mass %.3f); real UOT at rho = 0.1 transports %.2e", out_bal, out_unb);
}

/*: ## Figures */
static void section_figures(const Cli *cli, const double *rho_fp, const double *m_j, const double *s_j,
                            const double *err_m, const double *err_l1, const double *xp, const double *xs,
                            const double *row_unb) {
    double gx[NG], g0[NG], gj[2][NG];
    for (int i = 0; i < NG; i++) {
        gx[i] = grid_x(i), g0[i] = gauss_pdf(gx[i], M0, S0);
        gj[0][i] = gauss_pdf(gx[i], m_j[0], s_j[0]), gj[1][i] = gauss_pdf(gx[i], m_j[3], s_j[3]);
    }
    Plot *p = plot_new(900, 540, "6.4: JKO (Gaussian and particles) vs the Fokker-Planck solution at T = 1");
    plot_series_dash(plot_line(p, gx, g0, NG, "rho_0 = N(3, 0.25)"), PLOT_DOTTED);
    plot_series_color(plot_line(p, gx, rho_fp, NG, "Fokker-Planck (FFTW)"), PLOT_BLACK);
    plot_series_color(plot_line(p, gx, gj[0], NG, "Gaussian JKO tau = 0.1"), PLOT_RED);
    plot_series_color(plot_line(p, gx, gj[1], NG, "Gaussian JKO tau = 0.0125"), PLOT_BLUE);
    double hx[NP - 1], hy[NP - 1]; /* particle density 1/(N spacing) at the midpoints */
    for (int i = 0; i + 1 < NP; i++) hx[i] = 0.5 * (xp[i] + xp[i + 1]), hy[i] = 1.0 / (NP * (xp[i + 1] - xp[i]));
    plot_series_color(plot_scatter(p, hx, hy, NP - 1, "particle JKO tau = 0.1"), PLOT_ORANGE);
    plot_xlim(p, -3, 5);
    plot_xlabel(p, "x");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "jko_vs_fp.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);

    double lt[NTAU], ref[NTAU];
    for (int j = 0; j < NTAU; j++) lt[j] = log10(TAUS[j]), ref[j] = err_m[0] * TAUS[j] / TAUS[0];
    Plot *q = plot_new(720, 520, "6.4: JKO error at T = 1 against the step size (first order)");
    plot_ylog(q, 1);
    plot_series_marker(plot_scatter(q, lt, err_m, NTAU, "|m_JKO - m(1)|"), 5);
    plot_series_marker(plot_scatter(q, lt, err_l1, NTAU, "L1(JKO, Fokker-Planck)"), 5);
    plot_series_dash(plot_line(q, lt, ref, NTAU, "slope 1"), PLOT_DASHED);
    plot_xlabel(q, "log10 tau");
    if (plot_save(q, cli_out_path(cli, "jko_convergence.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(q);

    Plot *u = plot_new(720, 480, "6.4: mass transported per source point, unbalanced OT rho = 0.1");
    plot_series_marker(plot_scatter(u, xs, row_unb, 200, "row sums of the UOT plan"), 4);
    plot_hline(u, 1.0 / 200, "balanced: 1/n");
    plot_xlabel(u, "source point x");
    if (plot_save(u, cli_out_path(cli, "uot_outliers.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(u);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.4: JKO vs an FFTW Fokker-Planck solution, particle JKO, MMD, unbalanced OT", 4220, NULL);
    static double rho_fp[NG], xp[NP], xs[200], row_unb[200];
    double err_m[NTAU], err_s[NTAU], err_l1[NTAU], m_j[NTAU], s_j[NTAU];
    section_fokker_planck(rho_fp);
    section_gauss_jko(rho_fp, err_m, err_s, err_l1, m_j, s_j);
    section_particle_jko(m_j, s_j, xp);
    section_mixture();
    section_mmd(&cli);
    section_uot(&cli, xs, row_unb);
    section_figures(&cli, rho_fp, m_j, s_j, err_m, err_l1, xp, xs, row_unb);
    return check_end();
}
