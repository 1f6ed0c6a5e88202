/*: # N1 §3.1 — the paper's swiss roll, with learned reverse Gaussians

**Sohl-Dickstein et al. 2015, §3.1 "Toy Problems" (empty in the note, l.665–680; Q12, Q16) and
the note's §2.2 reverse chain (E36).** A 2-D swiss roll is diffused to $\mathcal N(0, I)$ in $T = 40$
steps with the reference code's schedule $\beta_t = 1/\mathrm{linspace}(T, 2, T)_t$, and the reverse
chain is *learned*: at each step a Gaussian
$$ p_\theta(x^{t-1}\mid x^t) = \mathcal N\big(\mu_t(x^t),\ \sigma_t^2 I\big),\qquad \mu_t(x) = W_t\,\phi(x), $$ {#eq:N1.3.1.reverse_gauss}
with $\phi$ = (1, $x_1$, $x_2$, 64 Gaussian bumps on an $8\times8$ grid), $W_t$ fitted by least squares
of $x^{t-1}$ on $\phi(x^t)$ over forward pairs (the conditional mean minimises the squared error)
and $\sigma_t^2$ the mean squared residual per coordinate (its maximum-likelihood value). The
note's swapped kernel $T_\pi(x^{t-1}\mid x^t)$ is run beside it, and learns nothing (E36).

Data: $u\sim U[1.5\pi, 4.5\pi]$, $c(u) = (u\cos u, u\sin u)/s_c$ with $s_c$ giving unit second moment
per coordinate, $x^0 = c(u) + 0.05\,\xi$ (an sklearn-style parametrisation; the paper's scaling is not
reproduced).

What you will see: the forward chain reaching $\mathcal N(0,I)$; the swapped-kernel model producing
exactly $\mathcal N(0,I)$ and a bound $K$ equal to $\mathbb E\log\pi(x^0)$ (E36); the learned model's
held-out squared error between the oracle (Tweedie's mean from a 1000-node quadrature of the
true noisy density) and the swapped kernel; the learned bound $K$ in bits per dimension against
an isotropic Gaussian fitted to the data; samples on the roll; and memorisation of a finite
training set by the exact empirical denoiser (E16). Figure: `swiss_roll.png`.

Run: `build/release/bin/lectures/n1_sohl_dickstein/09_swiss_roll [--quick|--full]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t$, $\bar\alpha_t$ | `beta[t]`, `abar[t]` | (T+1) |
| $\phi(x)$ | `features` | (NF = 67) |
| $W_t$, $\sigma_t^2$ | `w[t]`, `sig2[t]` | (NF, 2), scalar |
| oracle $\mathbb E[x^{t-1}\mid x^t]$ | `oracle_mean` | (2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 40, NF = 67, NU = 1000 };
static const double SIGMA0 = 0.05, U0 = 1.5 * M_PI, U1 = 4.5 * M_PI;
static double beta[T + 1], abar[T + 1], s_c;
static double w[T + 1][NF][2], sig2[T + 1];
static double u_node[NU], u_weight[NU];

/*: ## Data and forward schedule

The reference code's baseline schedule runs from $\beta_1 = 1/T$ to $\beta_T = \tfrac12$, so
$\bar\alpha_T = \prod_t(1-\beta_t)$ is small (printed). $s_c^2 = \tfrac12\mathbb E_u[u^2]$ by quadrature
(then $\mathbb E[x_1^2 + x_2^2]/2 = 1 + \sigma_0^2$).
$$ \beta_t = 1\Big/\Big(T - (t-1)\frac{T-2}{T-1}\Big),\qquad \bar\alpha_t = \prod_{s\le t}(1-\beta_s) $$ {#eq:N1.3.1.schedule}
*/
static double u_sq(double u, void *ctx) { (void)ctx; return u * u / (U1 - U0); }

static void setup(void) {
    s_c = sqrt(0.5 * quad_gauss_legendre(u_sq, NULL, U0, U1, 40));
    abar[0] = 1.0;
    for (int t = 1; t <= T; t++) {
        //: eq. [eq:N1.3.1.schedule]
        beta[t] = 1.0 / (T - (t - 1) * (T - 2.0) / (T - 1.0));
        abar[t] = abar[t - 1] * (1 - beta[t]);
    }
    gauss_legendre(NU / 10, u_node, u_weight); /* 100-point rule on 10 panels */
    for (int p = 9; p >= 0; p--)
        for (int i = 0; i < NU / 10; i++) {
            double hw = 0.5 * (U1 - U0) / 10;
            u_node[p * (NU / 10) + i] = U0 + hw * (2 * p + 1 + u_node[i]);
            u_weight[p * (NU / 10) + i] = hw * u_weight[i] / (U1 - U0);
        }
}

static void sample_data(Rng *r, double *x) {
    double u = rng_uniform_range(r, U0, U1);
    x[0] = u * cos(u) / s_c + SIGMA0 * rng_normal(r);
    x[1] = u * sin(u) / s_c + SIGMA0 * rng_normal(r);
}

static void forward_step(Rng *r, int t, const double *x, double *xn) {
    for (int a = 0; a < 2; a++) xn[a] = sqrt(1 - beta[t]) * x[a] + sqrt(beta[t]) * rng_normal(r);
}

/*: ## Fitting the reverse kernels by least squares

For each $t$, fresh pairs $(x^{t-1}, x^t)$ from the forward process give the normal equations
$(\Phi^\top\Phi + \lambda I)W_t = \Phi^\top X^{t-1}$ ($\lambda = 10^{-6}N$, Cholesky). Pair $j$ of
step $t$ uses Philox stream $tN + j$.
*/
static void features(const double *x, double *phi) {
    phi[0] = 1.0, phi[1] = x[0], phi[2] = x[1];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            double cx = -2.5 + 5.0 * i / 7, cy = -2.5 + 5.0 * j / 7, d2 = (x[0] - cx) * (x[0] - cx) + (x[1] - cy) * (x[1] - cy);
            phi[3 + 8 * i + j] = exp(-d2 / (2 * 0.6 * 0.6));
        }
}

static void learned_mean(int t, const double *x, double *m) {
    double phi[NF];
    features(x, phi);
    m[0] = m[1] = 0.0;
    //: $\mu_t(x) = W_t\phi(x)$, eq. [eq:N1.3.1.reverse_gauss]
    for (int f = 0; f < NF; f++) m[0] += w[t][f][0] * phi[f], m[1] += w[t][f][1] * phi[f];
}

static void pair(Rng *r, int t, double *xp, double *xt) {
    double x0[2];
    sample_data(r, x0);
    for (int a = 0; a < 2; a++) xp[a] = sqrt(abar[t - 1]) * x0[a] + sqrt(1 - abar[t - 1]) * rng_normal(r);
    forward_step(r, t, xp, xt);
}

static void fit(long n, uint64_t seed) {
    Mat G = mat_new(NF, NF), L = mat_new(NF, NF);
    double *b = xmalloc(2 * NF * sizeof *b), sol[NF];
    for (int t = 1; t <= T; t++) {
        for (int f = 0; f < NF; f++)
            for (int g = 0; g < NF; g++) MAT(G, f, g) = 0.0;
        for (int i = 0; i < 2 * NF; i++) b[i] = 0.0;
        for (long j = 0; j < n; j++) {
            Rng r;
            rng_init(&r, seed, (uint64_t)(t * n + j));
            double xp[2], xt[2], phi[NF];
            pair(&r, t, xp, xt);
            features(xt, phi);
            for (int f = 0; f < NF; f++) {
                for (int g = 0; g <= f; g++) MAT(G, f, g) += phi[f] * phi[g];
                b[f] += phi[f] * xp[0], b[NF + f] += phi[f] * xp[1];
            }
        }
        for (int f = 0; f < NF; f++) {
            for (int g = 0; g < f; g++) MAT(G, g, f) = MAT(G, f, g);
            MAT(G, f, f) += 1e-6 * n;
        }
        if (cholesky(&L, G) != 0) die("normal equations not SPD at t = %d", t);
        for (int a = 0; a < 2; a++) {
            chol_solve(L, b + a * NF, sol);
            for (int f = 0; f < NF; f++) w[t][f][a] = sol[f];
        }
        double rss = 0.0;
        for (long j = 0; j < n / 4; j++) { /* variance from fresh pairs */
            Rng r;
            rng_init(&r, seed + 1, (uint64_t)(t * n + j));
            double xp[2], xt[2], m[2];
            pair(&r, t, xp, xt);
            learned_mean(t, xt, m);
            rss += (xp[0] - m[0]) * (xp[0] - m[0]) + (xp[1] - m[1]) * (xp[1] - m[1]);
        }
        sig2[t] = rss / (2.0 * (n / 4));
    }
    mat_free(&G), mat_free(&L);
    free(b);
}

/*: ## The oracle: Tweedie's mean from the true noisy density

$q_t(x) = \int\rho(u)\,\mathcal N\big(x;\sqrt{\bar\alpha_t}c(u),(\bar\alpha_t\sigma_0^2+1-\bar\alpha_t)I\big)du$ by a
1000-node Gauss–Legendre rule in $u$; its score is a softmax-weighted average, and
$$ \mathbb E[x^{t-1}\mid x^t = x] = \frac{x + \beta_t\nabla\log q_t(x)}{\sqrt{1-\beta_t}} . $$ {#eq:N1.3.1.tweedie}
No estimator can beat it in held-out squared error.
*/
static void oracle_mean(int t, const double *x, double *m) {
    double v = abar[t] * SIGMA0 * SIGMA0 + 1 - abar[t], sa = sqrt(abar[t]), lmax = -INFINITY, l[NU];
    for (int i = 0; i < NU; i++) {
        double u = u_node[i], dx = x[0] - sa * u * cos(u) / s_c, dy = x[1] - sa * u * sin(u) / s_c;
        l[i] = log(u_weight[i]) - 0.5 * (dx * dx + dy * dy) / v;
        lmax = fmax(lmax, l[i]);
    }
    double z = 0, g0 = 0, g1 = 0;
    for (int i = 0; i < NU; i++) {
        double u = u_node[i], e = exp(l[i] - lmax);
        z += e, g0 += e * (sa * u * cos(u) / s_c - x[0]) / v, g1 += e * (sa * u * sin(u) / s_c - x[1]) / v;
    }
    //: eq. [eq:N1.3.1.tweedie]
    m[0] = (x[0] + beta[t] * g0 / z) / sqrt(1 - beta[t]);
    m[1] = (x[1] + beta[t] * g1 / z) / sqrt(1 - beta[t]);
}

static void held_out(long n, uint64_t seed) {
    Welford d_learn, d_swap;
    welford_init(&d_learn), welford_init(&d_swap);
    double tot_oracle = 0.0;
    for (long j = 0; j < n; j++) {
        double s_learn = 0.0, s_swap = 0.0, s_oracle = 0.0;
        for (int t = 1; t <= T; t++) {
            Rng r;
            rng_init(&r, seed + 2, (uint64_t)(t * n + j));
            double xp[2], xt[2], ml[2], mo[2], ms[2] = {sqrt(1 - beta[t]) * 0, 0};
            pair(&r, t, xp, xt);
            learned_mean(t, xt, ml);
            oracle_mean(t, xt, mo);
            ms[0] = sqrt(1 - beta[t]) * xt[0], ms[1] = sqrt(1 - beta[t]) * xt[1];
            s_learn += (xp[0] - ml[0]) * (xp[0] - ml[0]) + (xp[1] - ml[1]) * (xp[1] - ml[1]);
            s_swap += (xp[0] - ms[0]) * (xp[0] - ms[0]) + (xp[1] - ms[1]) * (xp[1] - ms[1]);
            s_oracle += (xp[0] - mo[0]) * (xp[0] - mo[0]) + (xp[1] - mo[1]) * (xp[1] - mo[1]);
        }
        welford_push(&d_learn, s_learn - s_oracle), welford_push(&d_swap, s_swap - s_learn);
        tot_oracle += s_oracle / n;
    }
    double se_l = sqrt(welford_var(&d_learn) / n);
    printf("held-out sum over t of E||x^{t-1} - mean||^2: oracle %.4f, learned %+.4f above it, swapped kernel %+.4f above learned\n",
           tot_oracle, d_learn.mean, d_swap.mean);
    check_ge("N1.3.1.oracle_is_best", d_learn.mean, -4 * se_l, 0.0, "N1.3.1.tweedie",
             "learned minus oracle held-out squared error >= -4 se (coupled pairs; the conditional mean is optimal)");
    /* The reducible error sum_t beta_t^2 E|x + score|^2 sits mostly in the first steps, where the
       score is sharper than the 0.6-wide features: the fit removes only part of it (printed). */
    printf("fraction of the swapped kernel's reducible error removed by the fit: %.3f +- %.3f\n",
           d_swap.mean / (d_swap.mean + d_learn.mean), sqrt(welford_var(&d_swap) / n) / (d_swap.mean + d_learn.mean));
}

/*: ## The bound K, for the learned model and for the note's kernel

$K = \mathbb E_q\big[\log\pi(x^T) + \sum_t\log p(x^{t-1}\mid x^t) - \log q(x^t\mid x^{t-1})\big]$ by Monte Carlo over
forward trajectories (the model.py `L_diff_bits` quantity, here in bits per dimension, $K/(2\ln2)$).
For the note's swapped kernel every trajectory gives exactly $\log\pi(x^0)$ (E36): its $K$ is
the log-likelihood of the standard Gaussian, whatever the data. Baseline: the best isotropic
Gaussian for the data. Trajectory $j$ uses stream $j$.
$$ \log w = \log\pi(x^T) + \sum_{t=1}^T\log\frac{p(x^{t-1}\mid x^t)}{q(x^t\mid x^{t-1})} $$ {#eq:N1.3.1.logw}
*/
static double lgauss2(const double *x, const double *m, double v) {
    return -((x[0] - m[0]) * (x[0] - m[0]) + (x[1] - m[1]) * (x[1] - m[1])) / (2 * v) - log(2 * M_PI * v);
}

static void bound_k(long n, uint64_t seed) {
    Welford k_learn, base, k_diff;
    welford_init(&k_learn), welford_init(&base), welford_init(&k_diff);
    double swap_dev = 0.0;
    double *x0s = xmalloc(2 * n * sizeof *x0s), *xTs = xmalloc(2 * n * sizeof *xTs), mean[2], cov[4];
    for (long j = 0; j < n; j++) {
        Rng r;
        rng_init(&r, seed + 3, (uint64_t)j);
        double x[2], x0[2], lw = 0.0, lw_swap = 0.0;
        sample_data(&r, x0);
        x0s[2 * j] = x0[0], x0s[2 * j + 1] = x0[1];
        x[0] = x0[0], x[1] = x0[1];
        for (int t = 1; t <= T; t++) {
            double xn[2], m[2], mf[2] = {sqrt(1 - beta[t]) * x[0], sqrt(1 - beta[t]) * x[1]};
            forward_step(&r, t, x, xn);
            double ms[2] = {sqrt(1 - beta[t]) * xn[0], sqrt(1 - beta[t]) * xn[1]};
            learned_mean(t, xn, m);
            //: eq. [eq:N1.3.1.logw]
            lw += lgauss2(x, m, sig2[t]) - lgauss2(xn, mf, beta[t]);
            lw_swap += lgauss2(x, ms, beta[t]) - lgauss2(xn, mf, beta[t]);
            x[0] = xn[0], x[1] = xn[1];
        }
        const double zero[2] = {0, 0};
        xTs[2 * j] = x[0], xTs[2 * j + 1] = x[1];
        welford_push(&k_learn, lw + lgauss2(x, zero, 1.0));
        welford_push(&k_diff, lw - lw_swap); /* learned minus swapped log-weight, same trajectory */
        swap_dev = fmax(swap_dev, fabs(lw_swap + lgauss2(x, zero, 1.0) - lgauss2(x0, zero, 1.0)));
    }
    /* data: E(x_1^2 + x_2^2)/2 = 1 + sigma_0^2 by the choice of s_c; forward end: the second
       moment of x^T is abar_T (1 + sigma_0^2) + 1 - abar_T per coordinate */
    Welford m0, mT;
    welford_init(&m0), welford_init(&mT);
    for (long j = 0; j < n; j++) {
        welford_push(&m0, 0.5 * (x0s[2 * j] * x0s[2 * j] + x0s[2 * j + 1] * x0s[2 * j + 1]));
        welford_push(&mT, 0.5 * (xTs[2 * j] * xTs[2 * j] + xTs[2 * j + 1] * xTs[2 * j + 1]));
    }
    check_mc("N1.3.1.data_second_moment", m0.mean, 1 + SIGMA0 * SIGMA0, sqrt(welford_var(&m0) / n), 4.0, n, "N1.3.1.schedule",
             "data second moment per coordinate = 1 + sigma_0^2 (s_c by quadrature)");
    check_mc("N1.3.1.forward_end_moment", mT.mean, abar[T] * (1 + SIGMA0 * SIGMA0) + 1 - abar[T], sqrt(welford_var(&mT) / n), 4.0, n,
             "N1.3.1.schedule", "second moment of x^T per coordinate = abar_T (1 + sigma_0^2) + 1 - abar_T");
    free(xTs);
    stats_covariance(x0s, n, 2, mean, cov);
    double v = 0.5 * (cov[0] + cov[3]);
    for (long j = 0; j < n; j++) welford_push(&base, lgauss2(x0s + 2 * j, mean, v));
    check_close("N1.3.1.swapped_weight_is_pi", swap_dev, 0.0, 1e-10, "N1.3.1.logw",
                "note's kernel: max over trajectories |log w - log pi(x^0)| (detailed balance telescopes)");
    double bpd_l = k_learn.mean / (2 * log(2.0)), bpd_b = base.mean / (2 * log(2.0));
    double se = sqrt(welford_var(&k_learn) / n + welford_var(&base) / n) / (2 * log(2.0));
    printf("K: learned %.4f bits/dim, isotropic Gaussian baseline %.4f bits/dim (difference %.4f +- %.4f)\n", bpd_l, bpd_b, bpd_l - bpd_b, se);
    double se_d = sqrt(welford_var(&k_diff) / n) / (2 * log(2.0));
    check_ge("N1.3.1.k_beats_swapped", k_diff.mean / (2 * log(2.0)), 4 * se_d, 0.0, "N1.3.1.logw",
             "K(learned) - K(note's kernel) on the same trajectories, bits/dim (%.4f), > 4 se", k_diff.mean / (2 * log(2.0)));
    check_ge("N1.3.1.k_beats_gaussian", bpd_l - bpd_b, 4 * se, 0.0, "N1.3.1.logw",
             "learned bound K minus the Gaussian baseline's log-likelihood, bits/dim, > 4 se");
    free(x0s);
}

/*: ## Sampling: learned chain vs the note's chain

Ancestral sampling from $x^T\sim\mathcal N(0,I)$. The note's chain keeps $\mathcal N(0,I)$ exactly:
mean 0, covariance $I$ within Monte Carlo error. The learned chain should put its points near the
roll: the fraction within $3\sigma_0$ of the curve is compared with the data's (≈ 0.997) and the
note's chain's.
*/
static double dist_to_curve(const double *x) {
    double best = INFINITY;
    for (int i = 0; i < 4000; i++) {
        double u = U0 + (U1 - U0) * (i + 0.5) / 4000, dx = x[0] - u * cos(u) / s_c, dy = x[1] - u * sin(u) / s_c;
        best = fmin(best, dx * dx + dy * dy);
    }
    return sqrt(best);
}

static void sampling(const Cli *cli, long n, uint64_t seed) {
    double *gl = xmalloc(2 * n * sizeof *gl), *gs = xmalloc(2 * n * sizeof *gs), *gd = xmalloc(2 * n * sizeof *gd);
    long near_l = 0, near_s = 0, near_d = 0;
    for (long j = 0; j < n; j++) {
        Rng r;
        rng_init(&r, seed + 4, (uint64_t)j);
        double x[2] = {rng_normal(&r), rng_normal(&r)}, y[2] = {x[0], x[1]}, m[2];
        for (int t = T; t >= 1; t--) {
            learned_mean(t, x, m);
            x[0] = m[0] + sqrt(sig2[t]) * rng_normal(&r), x[1] = m[1] + sqrt(sig2[t]) * rng_normal(&r);
            y[0] = sqrt(1 - beta[t]) * y[0] + sqrt(beta[t]) * rng_normal(&r);
            y[1] = sqrt(1 - beta[t]) * y[1] + sqrt(beta[t]) * rng_normal(&r);
        }
        gl[2 * j] = x[0], gl[2 * j + 1] = x[1], gs[2 * j] = y[0], gs[2 * j + 1] = y[1];
        sample_data(&r, gd + 2 * j);
        near_l += dist_to_curve(x) < 3 * SIGMA0, near_s += dist_to_curve(y) < 3 * SIGMA0, near_d += dist_to_curve(gd + 2 * j) < 3 * SIGMA0;
    }
    double mean[2], cov[4];
    stats_covariance(gs, n, 2, mean, cov);
    double se_v = sqrt(2.0 / n);
    check_mc("N1.3.1.swapped_var_x1", cov[0], 1.0, se_v, 4.0, n, "N1.3.1.logw", "note's chain: sample variance of x_1 = 1 (it is pi)");
    check_mc("N1.3.1.swapped_var_x2", cov[3], 1.0, se_v, 4.0, n, "N1.3.1.logw", "note's chain: sample variance of x_2 = 1");
    check_mc("N1.3.1.swapped_cov", cov[1], 0.0, sqrt(1.0 / n), 4.0, n, "N1.3.1.logw", "note's chain: covariance = 0");
    double fl = (double)near_l / n, fs = (double)near_s / n, fd = (double)near_d / n;
    printf("fraction within 3 sigma_0 of the curve: data %.3f, learned %.3f, note's chain %.3f\n", fd, fl, fs);
    check_ge("N1.3.1.learned_on_roll", fl - fs, 4 * sqrt((fl * (1 - fl) + fs * (1 - fs)) / n), 0.0, NULL,
             "learned minus note's-chain fraction of samples within 3 sigma_0 of the roll, > 4 se");
    check_erratum("N1.3.1.swapped_kernel_learns_nothing", fs, fl,
                  "E36: fraction of samples on the roll, note's swapped-kernel chain vs learned Gaussians (data: %.3f)", fd);
    Plot *p = plot_new_grid(1, 3, 1500, 520, "swiss roll, T = 40");
    const char *titles[3] = {"data", "learned reverse Gaussians", "note's swapped kernel (= pi)"};
    double *sets[3] = {gd, gl, gs};
    for (int k = 0; k < 3; k++) {
        double *xs = xmalloc(n * sizeof *xs), *ys = xmalloc(n * sizeof *ys);
        for (long j = 0; j < n; j++) xs[j] = sets[k][2 * j], ys[j] = sets[k][2 * j + 1];
        plot_panel(p, k);
        plot_title(p, titles[k]);
        PlotSeries *s = plot_scatter(p, xs, ys, (int)n, NULL);
        plot_series_marker(s, 1.2);
        plot_xlim(p, -3, 3);
        plot_ylim(p, -3, 3);
        free(xs), free(ys);
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "swiss_roll.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(gl), free(gs), free(gd);
}

/*: ## "Only $P_{abs}$ matters" (l.235) vs a finite training set (E16)

A model trained on $N$ points sees the *empirical* law $\frac1N\sum_i\delta_{x_i}$, which is purely
discrete. Its noisy marginals are Gaussian mixtures, and the exact denoiser is a softmax average of
the training points:
$$ \mathbb E[x^0\mid x^t = x] = \sum_i\frac{\mathcal N(x;\sqrt{\bar\alpha_t}x_i,(1-\bar\alpha_t)I)}{\sum_j\mathcal N(x;\sqrt{\bar\alpha_t}x_j,(1-\bar\alpha_t)I)}\,x_i . $$ {#eq:N1.3.1.empirical_denoiser}
Sampling with it (ancestral steps $x^{t-1}\sim q(x^{t-1}\mid x^t,\hat x^0)$, 60 steps with
$1-\bar\alpha_t$ geometric from $\sigma_{\min}^2$ to $1-e^{-8}$) returns the training points themselves
as $\sigma_{\min}\to0$: memorisation, the visible trace of $P_{dis}$. Fresh data points, for
comparison, lie at the typical spacing of the training set.
*/
static double nn_dist(const double *x, const double *train, int n) {
    double best = INFINITY;
    for (int i = 0; i < n; i++) best = fmin(best, hypot(x[0] - train[2 * i], x[1] - train[2 * i + 1]));
    return best;
}

static double memorisation_median(double sigma_min, const double *train, int n_train, long n, uint64_t seed) {
    enum { TM = 60 };
    double ab[TM + 1], *d = xmalloc(n * sizeof *d), *lw = xmalloc(n_train * sizeof *lw);
    ab[0] = 1.0;
    for (int t = 1; t <= TM; t++) ab[t] = 1 - sigma_min * sigma_min * pow((1 - exp(-8.0)) / (sigma_min * sigma_min), (t - 1.0) / (TM - 1));
    for (long j = 0; j < n; j++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)j);
        double x[2] = {rng_normal(&r), rng_normal(&r)};
        for (int t = TM; t >= 1; t--) {
            double v = 1 - ab[t], sa = sqrt(ab[t]), mx = -INFINITY, z = 0, x0[2] = {0, 0};
            for (int i = 0; i < n_train; i++) {
                double dx = x[0] - sa * train[2 * i], dy = x[1] - sa * train[2 * i + 1];
                lw[i] = -0.5 * (dx * dx + dy * dy) / v, mx = fmax(mx, lw[i]);
            }
            //: eq. [eq:N1.3.1.empirical_denoiser]
            for (int i = 0; i < n_train; i++) {
                double e = exp(lw[i] - mx);
                z += e, x0[0] += e * train[2 * i], x0[1] += e * train[2 * i + 1];
            }
            x0[0] /= z, x0[1] /= z;
            double bt = 1 - ab[t] / ab[t - 1], btil = bt * (1 - ab[t - 1]) / (1 - ab[t]);
            for (int a = 0; a < 2; a++) /* the forward posterior mean given x^0 = x0_hat */
                x[a] = (sqrt(ab[t - 1]) * bt * x0[a] + sqrt(1 - bt) * (1 - ab[t - 1]) * x[a]) / (1 - ab[t]) + sqrt(btil) * rng_normal(&r);
        }
        d[j] = nn_dist(x, train, n_train);
    }
    double med = stats_quantile(d, n, 0.5);
    free(d), free(lw);
    return med;
}

static void memorisation(long n, uint64_t seed) {
    enum { NT = 300 };
    double train[2 * NT], fresh[2], *dd = xmalloc(n * sizeof *dd);
    Rng r;
    rng_init(&r, seed + 20, 0);
    for (int i = 0; i < NT; i++) sample_data(&r, train + 2 * i);
    for (long j = 0; j < n; j++) sample_data(&r, fresh), dd[j] = nn_dist(fresh, train, NT);
    double base = stats_quantile(dd, n, 0.5);
    double m1 = memorisation_median(0.1, train, NT, n, seed + 21), m2 = memorisation_median(0.01, train, NT, n, seed + 21);
    printf("median distance to the nearest of %d training points: fresh data %.4f; samples with sigma_min = 0.1: %.4f, 0.01: %.5f\n",
           NT, base, m1, m2);
    check_le("N1.3.1.memorisation", m2, 0.01, 0.0, "N1.3.1.empirical_denoiser",
             "median nearest-training-point distance of samples with sigma_min = 0.01 is <= sigma_min (fresh data: %.3f)", base);
    check_erratum("N1.3.1.only_abs_part", base, m2,
                  "E16: 'only P_abs matters' (l.235): the empirical law is discrete and exact sampling returns training "
                  "points (median NN distance, fresh data vs samples)");
    free(dd);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N1 3.1: swiss roll with learned reverse Gaussians vs the note's swapped kernel", 409, NULL);
    setup();
    printf("s_c = %.4f, beta_1 = %.4f, beta_T = %.4f, abar_T = %.4e\n", s_c, beta[1], beta[T], abar[T]);
    fit(cli_scale(&cli, 10000, 10000, 40000), cli.seed); /* a fit on fewer pairs overfits its 67 features */
    held_out(cli_scale(&cli, 200, 1000, 4000), cli.seed);
    bound_k(cli_scale(&cli, 2000, 20000, 100000), cli.seed);
    sampling(&cli, cli_scale(&cli, 1000, 4000, 20000), cli.seed);
    memorisation(cli_scale(&cli, 200, 500, 2000), cli.seed);
    return check_end();
}
