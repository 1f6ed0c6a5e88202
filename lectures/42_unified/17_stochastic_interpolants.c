/*: # L42 6.1 — Stochastic interpolants: one table, its boundary conditions, its derivatives

**Lecture 42, Part 2, section 6.1** (stochastic interpolants) and the 85 % comprehension
question on scores and velocities. The lecture writes every model family as one interpolant
between data $x_0$ and noise $x_1$,
$I_t = \alpha_t x_0 + \beta_t x_1 + \gamma_t\epsilon$, tabulates four special cases and trains a
velocity on $\dot I_t$. This program takes the table literally and tests each row on 1-D
Gaussian data $x_0\sim\mathcal N(m, s^2)$, $m = 2$, $s = 0.5$, where marginals, velocities and
scores are closed forms.

What you will see: every schedule's $\dot\alpha, \dot\beta, \dot\gamma$ against central
differences; the lecture's DDPM $\dot\gamma$ (missing a factor $\bar\alpha$) as an ERRATUM, with
its values at $t = 0.25, 0.5, 0.75, 1$; the boundary conditions $I_0 = x_0$, $I_1 = x_1$ row by row
(the DDPM row violates the second one, erratum B19); Monte-Carlo marginals against
$\alpha_t m$ and $\alpha_t^2 s^2 + \beta_t^2 + \gamma_t^2$; the exact Gaussian velocity transporting
$\mathcal N(0,1)$ onto $\mathcal N(m, s^2)$ by RK4; and the score–velocity identity at the
quiz point; then a velocity network trained on the flow-matching and the trigonometric rows of
the table on the 8-Gaussian toy, its ODE samples counted per mode. Figures:
`interpolant_schedules.png` (the coefficients of each row), `interpolant_paths.png` (sample paths
$t\mapsto I_t$ and the ODE paths of the exact velocity) and `interpolant_trained_samples.png`.

Run: `make run L=42`, or `build/release/bin/lectures/42_unified/17_stochastic_interpolants`
(`--quick`: $10^5$ instead of $10^6$ Monte-Carlo samples; the training is the same at both scales,
about 6 s).

| symbol | C name | shape |
|---|---|---|
| $\alpha_t, \beta_t, \gamma_t$ | `c.a`, `c.b`, `c.g` (`Coef`) | scalars |
| $\dot\alpha_t, \dot\beta_t, \dot\gamma_t$ | `c.da`, `c.db`, `c.dg` | scalars |
| one row of the table | `Schedule` (`coef` function) | — |
| $x_0, x_1, \epsilon$ | `x0`, `x1`, `eps` | (n) |
| $I_t$ | `interp(...)` | scalar |
| $m, s$ | `M`, `S` | scalars |
| $\beta(t)$ (VP rate), $\bar\alpha(t)$ | `vp_rate`, `abar` | scalars |
| $v(x, t) = \mathbb E[\dot I_t \mid I_t = x]$ | `velocity_exact` | scalar |
| $\nabla_x\log p_t(x)$ | `score_exact` | scalar |
| $v_\theta(x, t)$ (MLP $3\to64\to64\to2$) | `mlp` (`NnMlp`) | — |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/ad.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/nn.h"
#include "common/ode.h"
#include "common/optim.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double M = 2.0, S = 0.5; /* data N(M, S^2) */

typedef struct {
    double a, b, g;    /* alpha_t, beta_t, gamma_t */
    double da, db, dg; /* their time derivatives */
} Coef;

typedef struct {
    const char *name;
    Coef (*coef)(double t);
    int two_sided; /* 1: the row claims I_0 = x0 and I_1 = x1 */
} Schedule;

/*: ## 6.1 The interpolant and its rows

$$ I_t = \alpha_t x_0 + \beta_t x_1 + \gamma_t\,\epsilon,\qquad
   \dot I_t = \dot\alpha_t x_0 + \dot\beta_t x_1 + \dot\gamma_t\,\epsilon $$ {#eq:L42.6.1.interpolant}

An interpolant *between* $x_0$ and $x_1$ needs $I_0 = x_0$ and $I_1 = x_1$, i.e.
$\alpha_0 = \beta_1 = 1$, $\alpha_1 = \beta_0 = 0$ and $\gamma_0 = \gamma_1 = 0$. The rows, with
derivatives done by hand:

* **Flow matching**: $\alpha = 1-t$, $\beta = t$, $\gamma = 0$.
* **DDPM** as the lecture writes it: $\alpha = \sqrt{\bar\alpha(t)}$, $\beta = 0$,
  $\gamma = \sqrt{1-\bar\alpha(t)}$, with the rate $\beta(t) = 0.1 + 0.9t$ of the lecture's 4.5 and
  $\bar\alpha(t) = e^{-\int_0^t\beta} = e^{-(0.1t + 0.45t^2)}$. Then
  $$ \dot\alpha = -\tfrac12\beta(t)\sqrt{\bar\alpha},\qquad
     \dot\gamma = \frac{\beta(t)\,\bar\alpha}{2\sqrt{1-\bar\alpha}} $$ {#eq:L42.6.1.ddpm_derivs}
  The lecture's code has $\dot\gamma = \beta(t)/(2\sqrt{1-\bar\alpha})$: the chain rule's factor
  $\bar\alpha$ is missing. This row is *one-sided*: $\beta_1 = 0$, so $I_1 \neq x_1$; the noise
  $\epsilon$ plays the part of $x_1$, and even that only approximately, since with this mild
  rate $\bar\alpha(1) = 0.577$ — at $t = 1$ more than half the variance is still data.
* **DDPM with the standard VP rate** $\beta(t) = 0.1 + 19.9t$, $\bar\alpha(1) = 4.3\cdot10^{-5}$.
* **VP row**: $\alpha = \sqrt{1-\beta_t}$, $\gamma = \sqrt{\beta_t}$. Here the lecture's $\beta_t$
  is a *variance* (a third meaning of the letter, after the interpolant's $\beta_t$ and the VP
  rate); we take the variance $t$, so $\alpha = \sqrt{1-t}$, $\gamma = \sqrt t$.
* **"Schrödinger bridge"**: $\alpha = \sin((1-t)\theta)/\sin\theta$, $\beta = \sin(t\theta)/\sin\theta$,
  $\gamma = 0$, at $\theta = \pi/2$: $\cos(\pi t/2)$, $\sin(\pi t/2)$. This is the deterministic
  trigonometric interpolant, not a bridge: a Brownian bridge has $\gamma_t\propto\sqrt{t(1-t)}$.
* **Brownian-bridge interpolant** (added): $\alpha = 1-t$, $\beta = t$, $\gamma = \sqrt{2t(1-t)}$ —
  two-sided, with noise inside and none at the ends.
*/
static double vp_rate_mild(double t) { return 0.1 + 0.9 * t; }
static double vp_rate_std(double t) { return 0.1 + 19.9 * t; }

static Coef coef_fm(double t) { return (Coef){1 - t, t, 0, -1, 1, 0}; }

static Coef coef_ddpm_with(double t, double (*rate)(double), double bmax) {
    //: $\bar\alpha(t) = \exp(-\int_0^t \beta)$ for $\beta(t) = 0.1 + (b_{\max} - 0.1)t$
    double abar = exp(-(0.1 * t + 0.5 * (bmax - 0.1) * t * t));
    double beta = rate(t);
    //: [eq:L42.6.1.ddpm_derivs]
    return (Coef){sqrt(abar), 0, sqrt(1 - abar), -0.5 * beta * sqrt(abar), 0,
                  0.5 * beta * abar / sqrt(1 - abar)};
}
static Coef coef_ddpm(double t) { return coef_ddpm_with(t, vp_rate_mild, 1.0); }
static Coef coef_ddpm_std(double t) { return coef_ddpm_with(t, vp_rate_std, 20.0); }

static Coef coef_vp_row(double t) {
    /* the derivatives blow up at the ends (t = 0: gamma, t = 1: alpha); reported as NaN there */
    double da = t < 1 ? -0.5 / sqrt(1 - t) : NAN, dg = t > 0 ? 0.5 / sqrt(t) : NAN;
    return (Coef){sqrt(1 - t), 0, sqrt(t), da, 0, dg};
}

static Coef coef_trig(double t) {
    const double h = 0.5 * M_PI;
    return (Coef){cos(h * t), sin(h * t), 0, -h * sin(h * t), h * cos(h * t), 0};
}

static Coef coef_bridge(double t) {
    double g = sqrt(2 * t * (1 - t));
    return (Coef){1 - t, t, g, -1, 1, (1 - 2 * t) / (g > 0 ? g : 1)};
}

static const Schedule SCHEDULES[] = {
    {"fm", coef_fm, 1},       {"ddpm", coef_ddpm, 0},   {"ddpm_std", coef_ddpm_std, 0},
    {"vp_row", coef_vp_row, 0}, {"trig", coef_trig, 1}, {"bridge", coef_bridge, 1},
};
enum { NSCHED = sizeof SCHEDULES / sizeof SCHEDULES[0] };

static double interp(Coef c, double x0, double x1, double eps) {
    //: [eq:L42.6.1.interpolant]
    return c.a * x0 + c.b * x1 + c.g * eps;
}

/* The lecture's ddpm_interpolant derivatives, exactly as coded (for the ERRATUM lines). */
static double lecture_gamma_dot(double abar, double rate) { return 0.5 * rate / sqrt(1 - abar); }
static double lecture_alpha_dot(double abar, double rate) { return -sqrt(abar) * 0.5 * rate; }

/*: ## Derivatives against central differences

With $h = 10^{-6}$ the central difference has truncation error $O(h^2)$ and rounding error
$O(10^{-16}/h)$, both far below the tolerance $10^{-6}$, on $t = 0.05, 0.10, \dots, 0.95$.
*/
static void section_derivatives(void) {
    const double h = 1e-6;
    for (int k = 0; k < NSCHED; k++) {
        double err = 0;
        for (int i = 1; i < 20; i++) {
            double t = 0.05 * i;
            Coef c = SCHEDULES[k].coef(t), p = SCHEDULES[k].coef(t + h), q = SCHEDULES[k].coef(t - h);
            err = fmax(err, fabs(c.da - (p.a - q.a) / (2 * h)));
            err = fmax(err, fabs(c.db - (p.b - q.b) / (2 * h)));
            err = fmax(err, fabs(c.dg - (p.g - q.g) / (2 * h)));
        }
        char id[64];
        snprintf(id, sizeof id, "L42.6.1.deriv_fd.%s", SCHEDULES[k].name);
        check_close(id, err, 0.0, 1e-6, "L42.6.1.interpolant",
                    "%s: max |analytic - central difference| of d(alpha, beta, gamma)/dt, 19 t values",
                    SCHEDULES[k].name);
    }

    /* The spec's table (mild rate): alpha-dot (code = true) and the true gamma-dot. */
    const double ts[4] = {0.25, 0.5, 0.75, 1.0};
    const double ref_da[4] = {-0.158240, -0.253540, -0.328867, -0.379786};
    const double ref_dg[4] = {0.677446, 0.603584, 0.527718, 0.443519};
    const double lec_dg[4] = {0.714408, 0.710085, 0.732663, 0.768730};
    printf("t     abar      alpha_dot   gamma_dot(true)  gamma_dot(lecture)  FD of gamma\n");
    for (int i = 0; i < 4; i++) {
        double t = ts[i], abar = exp(-(0.1 * t + 0.45 * t * t));
        Coef c = coef_ddpm(t);
        double fd = (coef_ddpm(t + h).g - coef_ddpm(t - h).g) / (2 * h);
        double lec = lecture_gamma_dot(abar, vp_rate_mild(t));
        printf("%.2f  %.6f  %.6f   %.6f         %.6f            %.6f\n", t, abar, c.da, c.dg, lec, fd);
        char id[64];
        snprintf(id, sizeof id, "L42.6.1.ddpm_dgamma_t%03d", (int)lround(100 * t));
        check_close(id, c.dg, ref_dg[i], 1e-6, "L42.6.1.ddpm_derivs",
                    "true gamma-dot of the DDPM row at t = %.2f (spec table 6.1)", t);
        snprintf(id, sizeof id, "L42.6.1.ddpm_dalpha_t%03d", (int)lround(100 * t));
        check_close(id, c.da, ref_da[i], 1e-6, "L42.6.1.ddpm_derivs",
                    "alpha-dot of the DDPM row at t = %.2f (spec table 6.1)", t);
        snprintf(id, sizeof id, "L42.6.1.lecture_gamma_dot_t%03d", (int)lround(100 * t));
        check_erratum(id, lec, c.dg,
                      "B19: ddpm_interpolant gamma-dot = beta/(2 sqrt(1-abar)) misses the factor abar "
                      "(t = %.2f; the spec lists %.6f for the code)", t, lec_dg[i]);
    }
    /* With 6.5's linear abar = max(1 - t, 1e-4) both of the lecture's derivatives are wrong. */
    {
        double t = 0.5, abar = 1 - t;
        double true_da = -0.5 / sqrt(1 - t), true_dg = 0.5 / sqrt(t);
        check_erratum("L42.6.1.lecture_alpha_dot_linear_abar", lecture_alpha_dot(abar, vp_rate_mild(t)),
                      true_da, "B19: with 6.5's abar = 1 - t, the code's alpha-dot at t = 0.5 "
                      "(true -1/(2 sqrt(1-t)))");
        check_erratum("L42.6.1.lecture_gamma_dot_linear_abar", lecture_gamma_dot(abar, vp_rate_mild(t)),
                      true_dg, "B19: with 6.5's abar = 1 - t, the code's gamma-dot at t = 0.5 "
                      "(true 1/(2 sqrt(t)))");
    }
}

/*: ## Boundary conditions, row by row

$I_t$ is evaluated through `interp` at $t = 0$ and $t = 1$ on fixed draws. The flow-matching row
has integer coefficients, so $I_0 = x_0$ and $I_1 = x_1$ hold bit for bit; the trigonometric row
has $\cos(\pi/2) = 6\cdot10^{-17}$ and passes to rounding. The DDPM and VP rows are one-sided:
at $t = 1$ they return noise $\epsilon$ (VP row) or, for the lecture's mild rate, a mixture
$0.76\,x_0 + 0.65\,\epsilon$ — neither is $x_1$.
*/
static void section_boundaries(uint64_t seed) {
    enum { NB = 1000 };
    Rng r;
    rng_init(&r, seed, 1000000);
    double x0[NB], x1[NB], eps[NB];
    for (int i = 0; i < NB; i++) x0[i] = M + S * rng_normal(&r), x1[i] = rng_normal(&r), eps[i] = rng_normal(&r);
    printf("row       alpha_0  beta_0  gamma_0 | alpha_1  beta_1  gamma_1\n");
    for (int k = 0; k < NSCHED; k++) {
        Coef c0 = SCHEDULES[k].coef(0.0), c1 = SCHEDULES[k].coef(1.0);
        printf("%-9s %7.4f %7.4f %7.4f  | %7.4f %7.4f %7.4f\n", SCHEDULES[k].name, c0.a, c0.b, c0.g,
               c1.a, c1.b, c1.g);
        double e0 = 0, e1 = 0;
        for (int i = 0; i < NB; i++) {
            e0 = fmax(e0, fabs(interp(c0, x0[i], x1[i], eps[i]) - x0[i]));
            e1 = fmax(e1, fabs(interp(c1, x0[i], x1[i], eps[i]) - x1[i]));
        }
        char id[64];
        if (SCHEDULES[k].two_sided) {
            double tol = k == 0 ? 0.0 : 1e-15 * 8;
            snprintf(id, sizeof id, "L42.6.1.boundary_%s", SCHEDULES[k].name);
            check_close(id, fmax(e0, e1), 0.0, tol, "L42.6.1.interpolant",
                        "%s: max |I_0 - x0|, |I_1 - x1| over %d draws", SCHEDULES[k].name, NB);
        } else {
            snprintf(id, sizeof id, "L42.6.1.boundary_x0_%s", SCHEDULES[k].name);
            check_close(id, e0, 0.0, 1e-15 * 8, "L42.6.1.interpolant",
                        "%s: max |I_0 - x0| over %d draws (the data end holds)", SCHEDULES[k].name, NB);
            snprintf(id, sizeof id, "L42.6.1.one_sided_%s", SCHEDULES[k].name);
            check_erratum(id, c1.b, 1.0, "B19: the %s row has beta_1 = %g, so I_1 != x1 (max |I_1 - x1| = %.3f "
                          "over %d draws); it is a one-sided interpolant", SCHEDULES[k].name, c1.b, e1, NB);
        }
    }
    Coef c1 = coef_ddpm(1.0);
    check_erratum("L42.6.1.ddpm_signal_at_1", c1.a, 0.0,
                  "with beta(t) = 0.1 + 0.9t the DDPM row keeps alpha_1 = sqrt(abar(1)) = %.4f of the data at "
                  "t = 1 (standard VP rate: %.2e)", c1.a, coef_ddpm_std(1.0).a);
}

/*: ## Marginals of $I_t$ on Gaussian data

With $x_0\sim\mathcal N(m, s^2)$ and $x_1, \epsilon\sim\mathcal N(0,1)$ independent, $I_t$ is Gaussian:

$$ \mathbb E[I_t] = \alpha_t m,\qquad \operatorname{Var}[I_t] = \alpha_t^2 s^2 + \beta_t^2 + \gamma_t^2 $$ {#eq:L42.6.1.marginal}

The Monte-Carlo mean's standard error is the sample standard deviation over $\sqrt n$; the
variance's is that of $(I - \bar I)^2$ over $\sqrt n$. 27 checks run together, so each uses
$k = 4$ (a family-wise false-alarm rate of $0.2\,\%$ rather than $7\,\%$ at $k = 3$). For the
trigonometric row with $s = 1$, $m = 0$: $\alpha^2 + \beta^2 = 1$, so $\operatorname{Var} I_t \equiv 1$
— the spherical interpolant is variance preserving.
*/
static void mc_mean_var(const double *v, long n, double *mean, double *se_mean, double *var, double *se_var) {
    *mean = stats_mean_se(v, (size_t)n, se_mean);
    double *sq = xmalloc((size_t)n * sizeof *sq);
    for (long i = 0; i < n; i++) sq[i] = (v[i] - *mean) * (v[i] - *mean);
    *var = stats_mean_se(sq, (size_t)n, se_var);
    free(sq);
}

static void section_marginals(const Cli *cli) {
    const long n = cli_scale(cli, 100000, 1000000, 4000000);
    double *x0 = xmalloc((size_t)n * sizeof *x0), *x1 = xmalloc((size_t)n * sizeof *x1);
    double *eps = xmalloc((size_t)n * sizeof *eps), *it = xmalloc((size_t)n * sizeof *it);
    for (long i = 0; i < n; i++) { /* one Philox stream per sample */
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        double z = rng_normal(&r);
        x0[i] = z, x1[i] = rng_normal(&r), eps[i] = rng_normal(&r);
    }
    const double ts[3] = {0.25, 0.5, 0.75};
    const int rows[4] = {0, 1, 3, 4}; /* fm, ddpm, vp_row, trig */
    for (int ri = 0; ri < 4; ri++) {
        const Schedule *sc = &SCHEDULES[rows[ri]];
        for (int j = 0; j < 3; j++) {
            Coef c = sc->coef(ts[j]);
            for (long i = 0; i < n; i++) it[i] = interp(c, M + S * x0[i], x1[i], eps[i]);
            double mean, se_m, var, se_v;
            mc_mean_var(it, n, &mean, &se_m, &var, &se_v);
            char id[64];
            snprintf(id, sizeof id, "L42.6.1.marginal_mean_%s_t%03d", sc->name, (int)lround(100 * ts[j]));
            //: [eq:L42.6.1.marginal]
            check_mc(id, mean, c.a * M, se_m, 4.0, n, "L42.6.1.marginal", "%s: E[I_t] = alpha_t m at t = %.2f",
                     sc->name, ts[j]);
            snprintf(id, sizeof id, "L42.6.1.marginal_var_%s_t%03d", sc->name, (int)lround(100 * ts[j]));
            check_mc(id, var, c.a * c.a * S * S + c.b * c.b + c.g * c.g, se_v, 4.0, n, "L42.6.1.marginal",
                     "%s: Var[I_t] = alpha^2 s^2 + beta^2 + gamma^2 at t = %.2f", sc->name, ts[j]);
        }
    }
    for (int j = 0; j < 3; j++) { /* trig row, unit data: variance preserving */
        Coef c = coef_trig(ts[j]);
        for (long i = 0; i < n; i++) it[i] = interp(c, x0[i], x1[i], eps[i]);
        double mean, se_m, var, se_v;
        mc_mean_var(it, n, &mean, &se_m, &var, &se_v);
        char id[64];
        snprintf(id, sizeof id, "L42.6.1.trig_vp_t%03d", (int)lround(100 * ts[j]));
        check_mc(id, var, 1.0, se_v, 4.0, n, "L42.6.1.marginal",
                 "trig row, x0 ~ N(0,1): Var[I_t] = cos^2 + sin^2 = 1 at t = %.2f", ts[j]);
    }
    free(x0), free(x1), free(eps), free(it);
}

/*: ## The exact velocity, and transport from noise to data

For two-sided rows with $\gamma = 0$, $(I_t, \dot I_t)$ is jointly Gaussian, so the velocity that
the objective $\mathbb E\lVert v(I_t, t) - \dot I_t\rVert^2$ is minimised by is the conditional mean

$$ v(x, t) = \mathbb E[\dot I_t\mid I_t = x] = \dot\alpha_t m
   + \frac{\dot\alpha_t\alpha_t s^2 + \dot\beta_t\beta_t}{\alpha_t^2 s^2 + \beta_t^2}\,(x - \alpha_t m) $$ {#eq:L42.6.1.velocity_exact}

(note that $v$ needs $t$ as an input; the lecture's `velocity_net` gets none). Integrating
$\dot x = v(x, t)$ from $t = 1$ to $t = 0$ (RK4, 1000 steps) must map $\mathcal N(0,1)$ onto
$\mathcal N(m, s^2)$; the map is affine, $x\mapsto m + s\,x$: we read its intercept from $x_1 = 0$
and its slope from $x_1 = 1$.
*/
static double velocity_exact(Coef c, double x) {
    double var = c.a * c.a * S * S + c.b * c.b + c.g * c.g;
    //: [eq:L42.6.1.velocity_exact]
    return c.da * M + (c.da * c.a * S * S + c.db * c.b + c.dg * c.g) / var * (x - c.a * M);
}

static void transport_field(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)n;
    Coef (*const *coef)(double) = ctx;
    dydt[0] = velocity_exact((*coef)(t), y[0]);
}

/* x from t0 to t1 along the exact velocity, `steps` RK4 steps of common/ode; path (steps + 1) may be NULL */
static double rk4_transport(Coef (*coef)(double), double x, double t0, double t1, int steps, double *path) {
    double *grid = xmalloc(((size_t)steps + 1) * sizeof *grid), y = x;
    const double h = (t1 - t0) / steps;
    for (int k = 0; k <= steps; k++) grid[k] = t0 + k * h;
    //: RK4 [eq:common.ode.rk4] on $\dot x = v(x, t)$, [eq:L42.6.1.velocity_exact]
    ode_solve_grid(ODE_RK4, transport_field, &coef, grid, steps, &y, 1, path);
    free(grid);
    return y;
}

static void section_transport(void) {
    const int rows[2] = {0, 4};
    for (int ri = 0; ri < 2; ri++) {
        const Schedule *sc = &SCHEDULES[rows[ri]];
        double b0 = rk4_transport(sc->coef, 0.0, 1.0, 0.0, 1000, NULL);
        double b1 = rk4_transport(sc->coef, 1.0, 1.0, 0.0, 1000, NULL);
        char id[64];
        snprintf(id, sizeof id, "L42.6.1.exact_transport_intercept_%s", sc->name);
        check_close(id, b0, M, 1e-6, "L42.6.1.velocity_exact", "%s: RK4 of the exact velocity 1 -> 0 maps 0 to m",
                    sc->name);
        snprintf(id, sizeof id, "L42.6.1.exact_transport_slope_%s", sc->name);
        check_close(id, b1 - b0, S, 1e-6, "L42.6.1.velocity_exact", "%s: the transport map's slope is s",
                    sc->name);
    }
}

/*: ## Score and velocity (85 % comprehension check, question 2)

For $I = \alpha x_0 + \beta x_1$ with Gaussian noise $x_1$, Tweedie-style algebra gives the
velocity from the score of the marginal $p_t$ alone:

$$ v(x, t) = \frac{\dot\alpha}{\alpha}x + \beta\Big(\frac{\dot\alpha\beta}{\alpha} - \dot\beta\Big)\nabla_x\log p_t(x) $$ {#eq:L42.6.1.score_velocity}

So the probability-flow ODE of a score model and the flow-matching ODE are the same ODE. At
the quiz point (FM, $t = 0.3$, $x = 0.7$, $m = 2$, $s = 0.5$) both routes must give $-2.4117647$.
*/
static double score_exact(Coef c, double x) {
    double var = c.a * c.a * S * S + c.b * c.b + c.g * c.g;
    return -(x - c.a * M) / var;
}

static void section_score_velocity(void) {
    const double t = 0.3, x = 0.7;
    Coef c = coef_fm(t);
    double v_direct = velocity_exact(c, x);
    //: [eq:L42.6.1.score_velocity]
    double v_score = c.da / c.a * x + c.b * (c.da * c.b / c.a - c.db) * score_exact(c, x);
    printf("quiz point: v (conditional mean) = %.10f, v (from the score) = %.10f\n", v_direct, v_score);
    check_close("L42.6.1.score_velocity_agree", v_score - v_direct, 0.0, 1e-12, "L42.6.1.score_velocity",
                "FM, t = 0.3, x = 0.7: velocity from the score equals the conditional mean");
    check_close("L42.6.1.score_velocity_value", v_direct, -2.4117647, 1e-7, "L42.6.1.velocity_exact",
                "FM, t = 0.3, x = 0.7, m = 2, s = 0.5: v = -2.4117647 (spec item 20)");
    /* The identity on a grid of (t, x), trig row too. */
    double gap = 0;
    for (int ri = 0; ri < 2; ri++)
        for (int i = 1; i < 10; i++)
            for (int j = -4; j <= 4; j++) {
                Coef ci = ri == 0 ? coef_fm(0.1 * i) : coef_trig(0.1 * i);
                double xi = 1.0 * j;
                double vs = ci.da / ci.a * xi + ci.b * (ci.da * ci.b / ci.a - ci.db) * score_exact(ci, xi);
                gap = fmax(gap, fabs(vs - velocity_exact(ci, xi)));
            }
    check_close("L42.6.1.score_velocity_grid", gap, 0.0, 1e-12, "L42.6.1.score_velocity",
                "FM and trig rows, t = 0.1..0.9, x = -4..4: max |score route - conditional mean|");
}


/*: ## Training a velocity on two rows of the table (2-D toy)

The unified objective of 6.1, now with $t$ as an input of the network,

$$ \mathcal L(\theta) = \mathbb E_{t, x_0, x_1}\big\lVert v_\theta(I_t, t) - \dot I_t\big\rVert^2 $$ {#eq:L42.6.1.si_loss}

is trained for the flow-matching row and the trigonometric row on the 8-Gaussian toy (8 modes
on the circle of radius 2, std 0.1; `toy2d_sample`): an MLP $(x, t)\in\mathbb R^3\to64\to64\to2$
(tanh), Adam (learning rate $5\cdot10^{-3}$, cosine decay to $10^{-4}$, 6000 steps), batches of 256,
$t\sim U(0,1)$. Samples
start from $x_1\sim\mathcal N(0, I)$ at $t = 1$ and follow $\dot x = v_\theta(x, t)$ to $t = 0$ (Heun, 40
steps). Quality is judged by what the toy makes easy to count: the fraction of samples within
$0.4$ ($4$ std) of a mode, and the smallest share of samples any mode receives (a dropped mode
shows as 0). Thresholds fixed before training: at least $0.8$ near a mode and every mode at least
$8\,\%$ (of the ideal $12.5\,\%$); the Gaussian fitted to the data, printed beside, puts about
$11\,\%$ near a mode. Both rows reach the same quality: the table's rows differ in the path, not in
what can be learned — for Gaussian data the two ODEs even have the same end-to-end map (above).
*/
enum { VB = 256, VH = 64, NSAMP = 2000, HEUN = 40 };

static void velocity_eval(AdArena *arena, const NnMlp *mlp, const double *x, double t, int n, double *v) {
    ad_arena_reset(arena);
    const int shape[2] = {n, 3};
    AdTensor *in = ad_input(arena, AD_F32, 2, shape);
    float *xi = ad_f32(in);
    for (int i = 0; i < n; i++) xi[3 * i] = (float)x[2 * i], xi[3 * i + 1] = (float)x[2 * i + 1], xi[3 * i + 2] = (float)t;
    AdTensor *out = nn_mlp_forward(arena, mlp, in);
    for (int i = 0; i < 2 * n; i++) v[i] = ad_get(out, i);
}

static void train_velocity(const Cli *cli, const Schedule *sc, NnMlp *mlp, AdArena *arena, uint64_t tag) {
    const long steps = cli_scale(cli, 6000, 6000, 20000);
    Rng init;
    rng_init(&init, cli->seed + tag, 0);
    const int widths[] = {3, VH, VH, 2};
    nn_mlp_init(mlp, 3, widths, NN_ACT_TANH, AD_F32, &init);
    NnParams params;
    nn_params_init(&params);
    nn_mlp_params(mlp, "v", &params);
    ParamBlock blocks[8];
    int nblocks = nn_params_blocks(&params, blocks, 8);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(5e-3, 0.9, 0.999, 1e-8, 0.0));
    float xy[2 * VB];
    for (long step = 0; step < steps; step++) {
        Rng r; /* one stream per batch */
        rng_init(&r, cli->seed + tag, 1 + (uint64_t)step);
        toy2d_sample(TOY2D_GAUSSIANS8, &r, xy, VB);
        ad_arena_reset(arena);
        const int in_shape[2] = {VB, 3}, out_shape[2] = {VB, 2};
        AdTensor *in = ad_input(arena, AD_F32, 2, in_shape), *target = ad_input(arena, AD_F32, 2, out_shape);
        float *xi = ad_f32(in), *tg = ad_f32(target);
        for (int i = 0; i < VB; i++) {
            double t = rng_uniform(&r);
            Coef c = sc->coef(t);
            for (int a = 0; a < 2; a++) {
                double x0 = xy[2 * i + a], x1 = rng_normal(&r);
                //: $I_t$ and $\dot I_t$, [eq:L42.6.1.interpolant] (gamma = 0 for both rows)
                xi[3 * i + a] = (float)interp(c, x0, x1, 0.0);
                tg[2 * i + a] = (float)(c.da * x0 + c.db * x1);
            }
            xi[3 * i + 2] = (float)t;
        }
        AdTensor *v = nn_mlp_forward(arena, mlp, in);
        //: [eq:L42.6.1.si_loss]
        AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, v, target))), 1.0 / VB);
        optim_zero_grad(adam);
        ad_backward(arena, loss);
        optim_set_lr(adam, lr_cosine_warmup(5e-3, 1e-4, 0, steps, step));
        optim_step(adam);
        if (!isfinite(ad_item(loss))) die("velocity training (%s): loss not finite at step %ld", sc->name, step);
    }
    optim_free(adam);
    nn_params_free(&params);
}

static void sample_velocity(const Cli *cli, NnMlp *mlp, AdArena *arena, double *x) {
    static double v1[2 * NSAMP], v2[2 * NSAMP], xp[2 * NSAMP];
    for (int i = 0; i < NSAMP; i++) { /* one stream per sample */
        Rng r;
        rng_init(&r, cli->seed + 900, (uint64_t)i);
        x[2 * i] = rng_normal(&r), x[2 * i + 1] = rng_normal(&r);
    }
    const double h = -1.0 / HEUN;
    for (int k = 0; k < HEUN; k++) {
        double t = 1.0 + k * h;
        velocity_eval(arena, mlp, x, t, NSAMP, v1);
        for (int i = 0; i < 2 * NSAMP; i++) xp[i] = x[i] + h * v1[i];
        velocity_eval(arena, mlp, xp, t + h, NSAMP, v2);
        for (int i = 0; i < 2 * NSAMP; i++) x[i] += 0.5 * h * (v1[i] + v2[i]);
    }
}

/* Fraction of samples within 0.4 of one of the 8 modes, and the smallest share of a mode. */
static void mode_stats(const double *x, int n, double *near, double *min_share) {
    int count[8] = {0}, hits = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bd = INFINITY;
        for (int k = 0; k < 8; k++) {
            double mx = 2 * cos(M_PI * k / 4), my = 2 * sin(M_PI * k / 4);
            double d = hypot(x[2 * i] - mx, x[2 * i + 1] - my);
            if (d < bd) bd = d, best = k;
        }
        if (bd < 0.4) hits++, count[best]++;
    }
    *near = (double)hits / n;
    int mn = n;
    for (int k = 0; k < 8; k++) mn = count[k] < mn ? count[k] : mn;
    *min_share = (double)mn / n;
}

static void section_training(const Cli *cli, double samples[2][2 * NSAMP]) {
    AdArena *arena = ad_arena_new(1 << 22);
    const int rows[2] = {0, 4};
    for (int ri = 0; ri < 2; ri++) {
        NnMlp mlp;
        train_velocity(cli, &SCHEDULES[rows[ri]], &mlp, arena, 300 + (uint64_t)ri);
        sample_velocity(cli, &mlp, arena, samples[ri]);
        nn_mlp_free(&mlp);
        double near, share;
        mode_stats(samples[ri], NSAMP, &near, &share);
        printf("trained %s velocity: %.3f of %d samples within 0.4 of a mode, smallest mode share %.3f\n",
               SCHEDULES[rows[ri]].name, near, NSAMP, share);
        char id[64];
        snprintf(id, sizeof id, "L42.6.1.train_%s_near_modes", SCHEDULES[rows[ri]].name);
        check_ge(id, near, 0.8, 0.0, "L42.6.1.si_loss", "%s row: fraction of ODE samples within 0.4 of a mode",
                 SCHEDULES[rows[ri]].name);
        snprintf(id, sizeof id, "L42.6.1.train_%s_all_modes", SCHEDULES[rows[ri]].name);
        check_ge(id, share, 0.08, 0.0, "L42.6.1.si_loss", "%s row: smallest share of samples at one mode (ideal 0.125)",
                 SCHEDULES[rows[ri]].name);
    }
    ad_arena_free(arena);
    /* Baseline: the Gaussian fitted to the data (mean 0, covariance 2.01 I by symmetry). */
    double g[2 * NSAMP], near, share;
    for (int i = 0; i < NSAMP; i++) {
        Rng r;
        rng_init(&r, cli->seed + 901, (uint64_t)i);
        g[2 * i] = sqrt(2.01) * rng_normal(&r), g[2 * i + 1] = sqrt(2.01) * rng_normal(&r);
    }
    mode_stats(g, NSAMP, &near, &share);
    printf("Gaussian fit of the data: %.3f within 0.4 of a mode, smallest mode share %.3f\n", near, share);
}

/*: ## Figures */
static void section_figures(const Cli *cli, double samples[2][2 * NSAMP]) {
    enum { NT = 101, NP = 6, STEPS = 200 };
    double t[NT], a[NT], b[NT], g[NT];
    Plot *p = plot_new_grid(2, 3, 1500, 860, "6.1: interpolant coefficients alpha_t, beta_t, gamma_t per row");
    for (int k = 0; k < NSCHED; k++) {
        for (int i = 0; i < NT; i++) {
            t[i] = i / (NT - 1.0);
            Coef c = SCHEDULES[k].coef(t[i]);
            a[i] = c.a, b[i] = c.b, g[i] = c.g;
        }
        plot_panel(p, k);
        plot_title(p, SCHEDULES[k].name);
        plot_series_color(plot_line(p, t, a, NT, "alpha"), PLOT_BLUE);
        plot_series_color(plot_line(p, t, b, NT, "beta"), PLOT_RED);
        plot_series_color(plot_line(p, t, g, NT, "gamma"), PLOT_GREEN);
        plot_ylim(p, -0.05, 1.1);
        plot_xlabel(p, "t");
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "interpolant_schedules.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);

    /* Sample paths t -> I_t (FM, bridge, ddpm) and the deterministic ODE paths of the exact FM velocity. */
    Plot *q = plot_new_grid(1, 4, 1700, 480, "6.1: paths of I_t on x0 ~ N(2, 0.25), and the exact-velocity ODE");
    Rng r;
    rng_init(&r, cli->seed, 2000000);
    const int rows[3] = {0, 5, 1};
    double x0[NP], x1[NP], eps[NP];
    for (int j = 0; j < NP; j++) {
        x0[j] = M + S * rng_normal(&r), x1[j] = rng_normal(&r), eps[j] = rng_normal(&r);
    }
    for (int ri = 0; ri < 3; ri++) {
        plot_panel(q, ri);
        plot_title(q, SCHEDULES[rows[ri]].name);
        for (int j = 0; j < NP; j++) {
            double y[NT];
            /* one draw (x0, x1, eps) per path: the interpolant's eps is not a process in t */
            for (int i = 0; i < NT; i++) y[i] = interp(SCHEDULES[rows[ri]].coef(t[i]), x0[j], x1[j], eps[j]);
            plot_line(q, t, y, NT, NULL);
        }
        plot_xlabel(q, "t");
    }
    plot_panel(q, 3);
    plot_title(q, "ODE of the exact FM velocity, t: 1 -> 0");
    for (int j = -3; j <= 3; j++) {
        double path[STEPS + 1], tt[STEPS + 1];
        rk4_transport(coef_fm, 0.8 * j, 1.0, 0.0, STEPS, path);
        for (int i = 0; i <= STEPS; i++) tt[i] = 1.0 - (double)i / STEPS;
        plot_line(q, tt, path, STEPS + 1, NULL);
    }
    plot_xlabel(q, "t");
    if (plot_save(q, cli_out_path(cli, "interpolant_paths.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(q);

    Plot *u = plot_new_grid(1, 2, 1100, 540, "6.1: samples of the trained velocities (ODE from N(0, I) at t = 1)");
    double sx[NSAMP], sy[NSAMP];
    for (int ri = 0; ri < 2; ri++) {
        for (int i = 0; i < NSAMP; i++) sx[i] = samples[ri][2 * i], sy[i] = samples[ri][2 * i + 1];
        plot_panel(u, ri);
        plot_title(u, ri == 0 ? "flow-matching row" : "trigonometric row");
        plot_series_marker(plot_scatter(u, sx, sy, NSAMP, NULL), 2);
        plot_xlim(u, -3, 3), plot_ylim(u, -3, 3);
    }
    if (plot_save(u, cli_out_path(cli, "interpolant_trained_samples.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(u);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.1: stochastic interpolants - rows, boundaries, derivatives, marginals, velocity", 4217, NULL);
    section_derivatives();
    section_boundaries(cli.seed);
    section_marginals(&cli);
    section_transport();
    section_score_velocity();
    static double samples[2][2 * NSAMP];
    section_training(&cli, samples);
    section_figures(&cli, samples);
    return check_end();
}
