/*: # L35 A.3 — The Fokker–Planck equation of Langevin dynamics, solved on a grid

**Lecture 35, Part 2, appendix A.3** (stationarity of $p$ under Langevin dynamics), with the
mode-weight numbers of §4.9 and a cross-check against the ULA chains of program 03.

The lecture's mixture is separable, $p(x_1, x_2) = m(x_1)\,\varphi(x_2)$ with
$m = \tfrac12\mathcal N(-2,1) + \tfrac12\mathcal N(2,1)$, and the Langevin drift of $x_1$
depends on $x_1$ only, so the $x_1$-marginal evolves by itself in one dimension:

$$ \partial_t\rho = -\partial_x(\rho\, s) + \partial_x^2\rho,\qquad s = (\log m)' = -x + 2\tanh 2x . $$ {#eq:L35.A.3.fokker_planck}

What you will see: the residual of eq. [eq:L35.A.3.fokker_planck] at $\rho = m$ (zero up to the
$O(h^2)$ error of the differences; not zero for $\rho = \mathcal N(0,1)$), the density started
at $x = 10$ flowing into the two modes, mass conservation, the KL divergence to $m$ decreasing
monotonically (what A.3's title promises but its proof — stationarity only — does not show),
its rate equal to minus the Fisher divergence, $P(x_1 > 0) = 0.7137$ at $t = 10$ and the
same number from 20,000 ULA chains.
Figure: `fokker_planck.png`, $\rho_t$ at several times with the ULA histogram at $t = 10$, and
$\mathrm{KL}(\rho_t\|m)$ against $t$.

Run: `build/release/bin/lectures/35_score_matching/04_fokker_planck_1d [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_i$ (cell centres), $h$ | `grid_x`, `h` | (n) |
| $\rho_t(x_i)$ | `rho` | (n) |
| $m(x_i)$, $\log m$ | `p`, `log_p` | (n) |
| $\sqrt{m_{i+1}/m_i}$ | `ratio` | (n-1) |
| $\Delta t$ | `dt` | scalar |
| $\mathrm{KL}(\rho_t\|m)$ over time | `kl_t`, `kl_v` | (n_kl) |
| ULA chain states | `xc` | (n_chains) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/langevin.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

static const double GRID_LO = -15.0, GRID_HI = 20.0;

/* log m(x) = log(1/2 N(x; -2, 1) + 1/2 N(x; 2, 1)) through log-sum-exp, and its score. */
static double log_m(double x) {
    double a = -0.5 * (x + 2) * (x + 2), b = -0.5 * (x - 2) * (x - 2);
    return logaddexp(a, b) + log(0.5) - 0.5 * log(2 * M_PI);
}
static double score_m(double x) { return -x + 2.0 * tanh(2.0 * x); }

static void score_batch(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)sigma, (void)ctx, (void)dim;
    for (size_t i = 0; i < n; i++) s[i] = score_m(x[i]);
}

/*: ## A.3 Stationarity, checked by differences

At $\rho = m$ the flux $-\rho s + \rho' = -m(\log m)' + m' = 0$ vanishes identically, so the
right-hand side of eq. [eq:L35.A.3.fokker_planck] is zero (this is A.3's computation). With
centred differences of step $h$ the residual

$$ R_i = -\frac{(ms)_{i+1} - (ms)_{i-1}}{2h} + \frac{m_{i+1} - 2m_i + m_{i-1}}{h^2} $$ {#eq:L35.A.3.residual}

is $O(h^2)$: about $2\cdot10^{-5}$ at $h = 0.02$, divided by 4 when $h$ halves. For
$\rho = \mathcal N(0,1)$ instead, $R(x) = \varphi(x)\,[2x\tanh 2x - 4\,\mathrm{sech}^2 2x]$,
$R(0) = -4\varphi(0)$: order one, not stationary.
*/
static double max_residual(double (*logrho)(double), double h, double *at_zero) {
    double worst = 0.0;
    int n = (int)lround((GRID_HI - GRID_LO) / h);
    for (int i = 1; i < n; i++) {
        double x = GRID_LO + i * h;
        double r_m = exp(logrho(x - h)), r_0 = exp(logrho(x)), r_p = exp(logrho(x + h));
        //: $R_i$, eq. [eq:L35.A.3.residual]
        double res = -(r_p * score_m(x + h) - r_m * score_m(x - h)) / (2 * h) + (r_p - 2 * r_0 + r_m) / (h * h);
        worst = fmax(worst, fabs(res));
        if (at_zero && fabs(x) < 0.5 * h) *at_zero = res;
    }
    return worst;
}
static double log_std_normal(double x) { return -0.5 * x * x - 0.5 * log(2 * M_PI); }

/* The residual of the continuous operator at m (stationary) and at N(0,1) (not). */
static void stationarity_residuals(void) {
    double r_norm0 = 0.0;
    double res_h04 = max_residual(log_m, 0.04, NULL), res_h02 = max_residual(log_m, 0.02, NULL);
    max_residual(log_std_normal, 0.02, &r_norm0);
    printf("max residual at m: h = 0.04: %.3e, h = 0.02: %.3e (ratio %.3f); at N(0,1): R(0) = %.4f\n", res_h04,
           res_h02, res_h04 / res_h02, r_norm0);
    check_rel("L35.A.3.stationary_residual", res_h02, 2.03e-5, 0.02, "L35.A.3.residual",
              "max |R| of the FP right-hand side at rho = m, h = 0.02 (spec L35 §4 item 3: 2.03e-5)");
    check_close("L35.A.3.residual_order", res_h04 / res_h02, 4.0, 0.3, "L35.A.3.residual",
                "residual ratio h = 0.04 / h = 0.02: O(h^2) truncation, not a real source term");
    check_close("L35.A.3.nonstationary_residual", r_norm0, -4.0 / sqrt(2 * M_PI), 5e-3, "L35.A.3.residual",
                "R(0) for rho = N(0,1) is -4 phi(0) = -1.5958: N(0,1) is not stationary");
}

/*: ## A.3 A scheme that keeps $m$ exactly stationary

Write the flux as $J = -m\,\partial_x(\rho/m)$ and discretise it between cells $i$ and $i+1$
with the geometric mean $\sqrt{m_i m_{i+1}}$:

$$ J_{i+\frac12} = \frac{1}{h}\Big(\rho_i\sqrt{m_{i+1}/m_i} - \rho_{i+1}\sqrt{m_i/m_{i+1}}\Big),
   \qquad \rho_i \leftarrow \rho_i + \frac{\Delta t}{h}\big(J_{i-\frac12} - J_{i+\frac12}\big) $$ {#eq:L35.A.3.scheme}

with no flux through the ends of $[-15, 20]$. Since $\sqrt{m_{i+1}/m_i} = e^{h s/2 + O(h^3)}$ this
is the centred scheme up to $O(h^2)$, but three properties hold *exactly*: mass is conserved
(a telescoping sum), $\rho = m$ is a fixed point ($J \equiv 0$), and for
$\Delta t\,(r_i + 1/r_{i-1}) \le h^2$ the update is a Markov kernel on the grid with
stationary law $m$, so by the data-processing inequality $\mathrm{KL}(\rho\|m)$ can never
increase. Why not a spectral (FFT) method: the drift grows linearly and the domain is not
periodic, so a Fourier basis would wrap mass around the ends; finite volumes respect the
zero-flux boundary and the three properties above. Why explicit: $\Delta t = 0.2h^2$ costs
$2\cdot10^8$ cell updates to $t = 10$ (a fraction of a second) and needs no linear solves.
*/
typedef struct {
    int n;
    double h, dt;
    double *ratio; /* ratio[i] = sqrt(m_{i+1}/m_i), i < n-1 */
    double *flux;  /* n-1 */
} Scheme;

static void fp_step(const Scheme *sc, double *rho) {
    const double inv_h2 = 1.0 / (sc->h * sc->h);
    for (int i = 0; i + 1 < sc->n; i++)
        //: $h\,J_{i+1/2}$ of eq. [eq:L35.A.3.scheme] (times $1/h^2$ below)
        sc->flux[i] = (rho[i] * sc->ratio[i] - rho[i + 1] / sc->ratio[i]) * inv_h2;
    rho[0] -= sc->dt * sc->flux[0];
    //: $\rho_i \leftarrow \rho_i + \frac{\Delta t}{h}(J_{i-1/2} - J_{i+1/2})$, [eq:L35.A.3.scheme]
    for (int i = 1; i + 1 < sc->n; i++) rho[i] += sc->dt * (sc->flux[i - 1] - sc->flux[i]);
    rho[sc->n - 1] += sc->dt * sc->flux[sc->n - 2];
}

/*: ## A.3 KL and its rate

$$ \mathrm{KL}(\rho_t\|m) = \int \rho\log\frac{\rho}{m}\,dx,\qquad
   \frac{d}{dt}\mathrm{KL}(\rho_t\|m) = -\int\rho\,\Big|\partial_x\log\frac{\rho}{m}\Big|^2dx
   = -2D_\text{Fisher}(\rho_t\|m) $$ {#eq:L35.A.3.kl_rate}

(the lecture's $D_\text{Fisher}$ carries a factor $\tfrac12$). This de Bruijn-type identity is
the quantitative convergence statement behind A.3.
*/
static double kl_grid(const double *rho, const double *log_p, int n, double h) {
    double kl = 0.0;
    for (int i = 0; i < n; i++)
        //: $\int\rho\log(\rho/m)$, [eq:L35.A.3.kl_rate]
        if (rho[i] > 0.0) kl += rho[i] * (log(rho[i]) - log_p[i]) * h;
    return kl;
}
static double fisher_grid(const double *rho, const double *log_p, int n, double h) {
    double f = 0.0;
    for (int i = 0; i + 1 < n; i++) {
        if (rho[i] <= 0.0 || rho[i + 1] <= 0.0) continue;
        double d = ((log(rho[i + 1]) - log_p[i + 1]) - (log(rho[i]) - log_p[i])) / h;
        //: $\int\rho\,\lvert\partial_x\log(\rho/m)\rvert^2$, [eq:L35.A.3.kl_rate]
        f += 0.5 * (rho[i] + rho[i + 1]) * d * d * h;
    }
    return f;
}
static double mass_right(const double *rho, const double *x, int n, double h) {
    double m = 0.0;
    for (int i = 0; i < n; i++)
        if (x[i] > 0) m += rho[i] * h;
    return m;
}

/* What the sections share: the scheme on its grid and the solution's record. */
typedef struct {
    Scheme sc;
    double *grid_x, *log_p, *p, *rho; /* (n) */
    double *kl_t, *kl_v, *snap;       /* KL record, density snapshots (6 x n) */
    int i_kl;
    double p_at[5];                   /* P(x1 > 0) at t = 1, 2, 3, 5, 10 */
} Run;

static const double T_PLOT[6] = {0.5, 1, 2, 3, 5, 10};

/* The grid, the ratios of eq. scheme, the Markov condition, and m as the scheme's fixed point. */
static void build_scheme(const Cli *cli, Run *r) {
    const double h = cli->scale == SCALE_QUICK ? 0.05 : 0.02;
    Scheme sc = {.h = h, .dt = 0.2 * h * h};
    sc.n = (int)lround((GRID_HI - GRID_LO) / h);
    const int n = sc.n;
    double *grid_x = xmalloc(sizeof(double) * n), *log_p = xmalloc(sizeof(double) * n);
    double *p = xmalloc(sizeof(double) * n), *rho = xmalloc(sizeof(double) * n);
    sc.ratio = xmalloc(sizeof(double) * n);
    sc.flux = xmalloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        grid_x[i] = GRID_LO + (i + 0.5) * h;
        log_p[i] = log_m(grid_x[i]);
        p[i] = exp(log_p[i]);
    }
    double max_rate = 0.0;
    for (int i = 0; i + 1 < n; i++) {
        //: $\sqrt{m_{i+1}/m_i}$, [eq:L35.A.3.scheme]
        sc.ratio[i] = exp(0.5 * (log_p[i + 1] - log_p[i]));
        if (i > 0) max_rate = fmax(max_rate, sc.ratio[i] + 1.0 / sc.ratio[i - 1]);
    }
    check_le("L35.A.3.markov_condition", sc.dt * max_rate / (h * h), 1.0, 0.0, "L35.A.3.scheme",
             "dt (r_i + 1/r_{i-1}) / h^2 <= 1: the explicit step is a Markov kernel (KL cannot increase)");

    /* m is a fixed point of the discrete scheme. */
    memcpy(rho, p, sizeof(double) * n);
    //: one step of [eq:L35.A.3.scheme] from $\rho = m$
    fp_step(&sc, rho);
    double fixed_err = 0.0, p_max = 0.0;
    for (int i = 0; i < n; i++) fixed_err = fmax(fixed_err, fabs(rho[i] - p[i])), p_max = fmax(p_max, p[i]);
    check_le("L35.A.3.discrete_fixed_point", fixed_err / p_max, 1e-13, 0.0, "L35.A.3.scheme",
             "one step of the scheme from rho = m changes it by at most 1e-13 relative");
    r->sc = sc, r->grid_x = grid_x, r->log_p = log_p, r->p = p, r->rho = rho;
}

/*: ## A.3 From $x_1 = 10$ to equilibrium

$\rho_0 = \mathcal N(10, 0.1^2)$, the lecture's start $[10,10]$ smeared over five cells.
*/
static void flow_from_10(Run *r) {
    const Scheme sc = r->sc;
    const int n = sc.n;
    const double h = sc.h, *grid_x = r->grid_x, *log_p = r->log_p;
    double *rho = r->rho, *p_at = r->p_at;
    for (int i = 0; i < n; i++) rho[i] = exp(-0.5 * pow((grid_x[i] - 10.0) / 0.1, 2)) / (0.1 * sqrt(2 * M_PI));
    double mass0 = 0.0;
    for (int i = 0; i < n; i++) mass0 += rho[i] * h;
    for (int i = 0; i < n; i++) rho[i] /= mass0; /* exact unit mass on the grid */

    const double t_report[5] = {1, 2, 3, 5, 10};
    const double kl_spec[5] = {5.0285, 1.2706, 0.6888, 0.3744, 0.10169};  /* spec L35 §4 item 3 */
    const double p_spec[5] = {1.0000, 0.9979, 0.9750, 0.8869, 0.7137};    /* spec L35 §4 item 3 */
    enum { KL_EVERY = 100 };
    const long n_total = lround(10.0 / sc.dt);
    const long n_kl = n_total / KL_EVERY + 1;
    double *kl_t = r->kl_t = xmalloc(sizeof(double) * n_kl), *kl_v = r->kl_v = xmalloc(sizeof(double) * n_kl);
    double *snap = r->snap = xmalloc(sizeof(double) * 6 * n);
    double kl_at[5], kl_rise = -INFINITY, fd_rate = 0, fisher_at2 = 0, kl_prev_fd = 0;
    int i_kl = 0, i_rep = 0, i_plot = 0;
    const long step_2 = lround(2.0 / sc.dt), fd_half = lround(0.01 / sc.dt);
    for (long k = 0; k <= n_total; k++) {
        double t = k * sc.dt;
        if (k % KL_EVERY == 0) {
            kl_t[i_kl] = t;
            kl_v[i_kl] = kl_grid(rho, log_p, n, h);
            if (i_kl > 0) kl_rise = fmax(kl_rise, kl_v[i_kl] - kl_v[i_kl - 1]);
            i_kl++;
        }
        if (i_rep < 5 && k == lround(t_report[i_rep] / sc.dt)) {
            kl_at[i_rep] = kl_grid(rho, log_p, n, h);
            p_at[i_rep] = mass_right(rho, grid_x, n, h);
            i_rep++;
        }
        if (i_plot < 6 && k == lround(T_PLOT[i_plot] / sc.dt)) memcpy(snap + (size_t)(i_plot++) * n, rho, sizeof(double) * n);
        //: $\frac{d}{dt}\mathrm{KL}$ by a centred difference in time around $t = 2$, eq. [eq:L35.A.3.kl_rate]
        if (k == step_2 - fd_half) kl_prev_fd = kl_grid(rho, log_p, n, h);
        if (k == step_2) fisher_at2 = fisher_grid(rho, log_p, n, h);
        if (k == step_2 + fd_half) fd_rate = (kl_grid(rho, log_p, n, h) - kl_prev_fd) / (2 * fd_half * sc.dt);
        //: one step of [eq:L35.A.3.scheme]
        if (k < n_total) fp_step(&sc, rho);
    }
    double mass = 0.0;
    for (int i = 0; i < n; i++) mass += rho[i] * h;
    printf("grid h = %.3f (%d cells), dt = %.1e, %ld steps to t = 10\n", h, n, sc.dt, n_total);
    for (int i = 0; i < 5; i++)
        printf("  t = %4.1f: KL(rho_t || m) = %.5f, P(x1 > 0) = %.4f\n", t_report[i], kl_at[i], p_at[i]);
    check_close("L35.A.3.mass", mass, 1.0, 1e-10, "L35.A.3.scheme", "total mass at t = 10");
    check_le("L35.A.3.kl_monotone", kl_rise, 1e-12, 0.0, "L35.A.3.kl_rate",
             "largest increase of KL(rho_t || m) between successive checks (every %d steps)", KL_EVERY);
    const char *names[5] = {"L35.A.3.kl_t1", "L35.A.3.kl_t2", "L35.A.3.kl_t3", "L35.A.3.kl_t5", "L35.A.3.kl_t10"};
    for (int i = 0; i < 5; i++)
        check_rel(names[i], kl_at[i], kl_spec[i], 0.02, "L35.A.3.fokker_planck",
                  "KL(rho_t || m) at t = %g (spec L35 §4 item 3: %.5g, grid-dependent to ~1%%)", t_report[i], kl_spec[i]);
    const char *p_names[3] = {"L35.A.3.p_right_t1", "L35.A.3.p_right_t2", "L35.A.3.p_right_t3"};
    for (int i = 0; i < 3; i++)
        check_close(p_names[i], p_at[i], p_spec[i], 0.003, "L35.A.3.fokker_planck",
                    "P(x1 > 0) at t = %g (spec L35 §4 item 3: %.4f; the tolerance of t = 5 and 10)", t_report[i],
                    p_spec[i]);
    check_close("L35.A.3.p_right_t5", p_at[3], p_spec[3], 0.003, "L35.A.3.fokker_planck",
                "P(x1 > 0) at t = 5 (spec: 0.8869)");
    check_close("L35.A.3.p_right_t10", p_at[4], p_spec[4], 0.003, "L35.A.3.fokker_planck",
                "P(x1 > 0) at t = 10 = step 1000 of the lecture's sampler (spec: 0.7137)");
    printf("dKL/dt at t = 2: %.5f (difference in time) vs -Fisher %.5f\n", fd_rate, -fisher_at2);
    check_rel("L35.A.3.dkl_dt_fisher", fd_rate, -fisher_at2, 0.02, "L35.A.3.kl_rate",
              "dKL/dt = -E|d/dx log(rho/m)|^2 at t = 2 (= -2 D_Fisher in the lecture's convention)");
    r->i_kl = i_kl;
}

/*: ## 4.9 Cross-check with ULA chains

The same start, $x_1 \sim \mathcal N(10, 0.1^2)$, and the lecture's sampler ($\epsilon = 0.01$,
1000 steps, i.e. $t = 10$) on the 1-D marginal. ULA's $O(\epsilon)$ bias is far below the
Monte-Carlo error here.
*/
enum { NB = 40 };

/* Returns the ULA histogram on bins of 0.5 over [-8, 12] into hist (NB). */
static void ula_cross_check(const Cli *cli, Run *r, double *hist) {
    const int n = r->sc.n;
    const double h = r->sc.h, *grid_x = r->grid_x, *rho = r->rho, *p_at = r->p_at;
    const size_t n_chains = (size_t)cli_scale(cli, 4000, 20000, 100000);
    double *xc = xmalloc(sizeof(double) * n_chains);
    Rng r0;
    rng_init(&r0, cli->seed, 1u << 30); /* a stream no chain uses */
    for (size_t c = 0; c < n_chains; c++) xc[c] = 10.0 + 0.1 * rng_normal(&r0);
    LangevinParams lp;
    langevin_params_init(&lp, n_chains, 1, score_batch, NULL);
    lp.step_size = 0.01;
    lp.n_steps = 1000;
    lp.seed = cli->seed;
    LangevinResult res;
    //: 1000 ULA steps of $\epsilon = 0.01$ on the $x_1$-marginal, [eq:common.langevin.ula]
    if (langevin_run(&lp, xc, &res) != LANGEVIN_OK) die("%s", res.message);
    size_t n_right = 0;
    for (size_t c = 0; c < n_chains; c++) n_right += xc[c] > 0;
    double p_ula = (double)n_right / (double)n_chains;
    /* TV distance between the ULA histogram and the FP density on bins of 0.5 */
    double fp_bins[NB] = {0};
    memset(hist, 0, sizeof(double) * NB);
    for (size_t c = 0; c < n_chains; c++) {
        int b = (int)floor((xc[c] + 8.0) / 0.5);
        if (b >= 0 && b < NB) hist[b] += 1.0 / (double)n_chains;
    }
    for (int i = 0; i < n; i++) {
        int b = (int)floor((grid_x[i] + 8.0) / 0.5);
        if (b >= 0 && b < NB) fp_bins[b] += rho[i] * h;
    }
    double tv = 0.0;
    for (int b = 0; b < NB; b++) tv += 0.5 * fabs(hist[b] - fp_bins[b]);
    printf("ULA, %zu chains: P(x1 > 0) = %.4f vs Fokker-Planck %.4f; TV(histogram, FP) on bins of 0.5 = %.4f\n",
           n_chains, p_ula, p_at[4], tv);
    check_mc("L35.A.3.ula_vs_fp", p_ula, p_at[4], sqrt(p_at[4] * (1 - p_at[4]) / (double)n_chains), 4.0,
             (long)n_chains, "L35.A.3.fokker_planck",
             "P(x1 > 0) of ULA chains after 1000 steps of 0.01 vs the FP solution at t = 10 (binomial SE)");
    free(xc);
}

/*: ## A.3 Figure

`fokker_planck.png`: $\rho_t$ at several times with the ULA histogram at $t = 10$, and
$\mathrm{KL}(\rho_t\|m)$ against $t$.
*/
static void figure(const Cli *cli, const Run *r, const double *hist) {
    char err[256];
    const int n = r->sc.n;
    const double h = r->sc.h, *grid_x = r->grid_x, *p = r->p, *snap = r->snap;
    Plot *plot = plot_new_grid(1, 2, 1300, 500, "L35 A.3: Fokker-Planck evolution of the x1-marginal from x1 = 10");
    plot_panel(plot, 0);
    plot_title(plot, "rho_t(x) and the target m(x)");
    int lo = (int)lround((-7.0 - GRID_LO) / h), hi = (int)lround((12.0 - GRID_LO) / h);
    char label[64];
    for (int k = 0; k < 6; k++) {
        snprintf(label, sizeof label, "t = %g", T_PLOT[k]);
        plot_line(plot, grid_x + lo, snap + (size_t)k * n + lo, hi - lo, label);
    }
    PlotSeries *s = plot_line(plot, grid_x + lo, p + lo, hi - lo, "m(x) (stationary)");
    plot_series_color(s, PLOT_BLACK);
    plot_series_dash(s, PLOT_DASHED);
    double hx[NB], hy[NB];
    for (int b = 0; b < NB; b++) hx[b] = -8.0 + 0.5 * (b + 0.5), hy[b] = hist[b] / 0.5;
    s = plot_scatter(plot, hx, hy, NB, "ULA histogram, step 1000");
    plot_series_color(s, PLOT_BLACK);
    plot_ylim(plot, 0, 0.45);
    plot_xlabel(plot, "x1");
    plot_ylabel(plot, "density");
    plot_panel(plot, 1);
    plot_title(plot, "KL(rho_t || m) decreases monotonically");
    plot_ylog(plot, 1);
    plot_line(plot, r->kl_t + 1, r->kl_v + 1, r->i_kl - 1, "KL");
    plot_xlabel(plot, "t");
    plot_ylabel(plot, "KL (nats)");
    if (plot_save(plot, cli_out_path(cli, "fokker_planck.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 A.3: Fokker-Planck equation of Langevin dynamics on a grid, KL decay, ULA cross-check",
              3505, NULL);
    Run r;
    double hist[NB];
    stationarity_residuals();
    build_scheme(&cli, &r);
    flow_from_10(&r);
    ula_cross_check(&cli, &r, hist);
    figure(&cli, &r, hist);
    free(r.grid_x), free(r.log_p), free(r.p), free(r.rho), free(r.sc.ratio), free(r.sc.flux);
    free(r.kl_t), free(r.kl_v), free(r.snap);
    return check_end();
}
