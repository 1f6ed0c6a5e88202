/*: # L36 3.9.3 — DDIM and the probability-flow ODE

**Lecture 36, section 3.9.3**: "DDIM corresponds to the Euler discretisation of the
probability-flow ODE". With spec errata E30 ($f$ and $g$ are never defined) and E31 (the claim
holds in rescaled variables, not for the ODE as written).

Data with a known law gives the exact noise prediction (`common/diffusion_sampler.h`), so the
ODE can be solved accurately and every discretisation compared with it: on Gaussian data
$\mathcal N(1, 0.5^2)$ the flow map is even known in closed form; on a bimodal mixture an RK4
solve with thousands of steps is the reference.

What you will see: the exact flow (mean 0.99682354, std 0.50000757), its RK4 solve, DDIM with
1000 steps (0.99683315 / 0.49849528) and the naive Euler step of the VP ODE in index time
(0.99357783 / 0.50185309): two *different* first-order schemes, both within 0.5% of the flow;
the identity "DDIM = Euler in $(\bar x, \bar\sigma)$" to rounding, step by step and over the whole
chain; first-order convergence of both schemes under step refinement; and on the mixture, DDIM
paths converging to the RK4 paths sample by sample. ERRATUM E31.
Figure: `pf_ode_vs_ddim.png`, RK4 flow paths against DDIM paths with 10 and 50 steps.

Run: `build/release/bin/lectures/36_ddpm/14_pf_ode_vs_ddim [--quick | --full]`.

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha_t$, $\beta_t$ | `sch.alpha_bar`, `sch.beta` | $T+1$ |
| $\bar x = x/\sqrt{\bar\alpha}$ | `xbar` | $d$ |
| $\bar\sigma = \sqrt{(1-\bar\alpha)/\bar\alpha}$ | `sbar` | scalar |
| $\hat\epsilon^\star(x, \bar\alpha)$ | `diff_oracle_eval` | $d$ |
| $\nabla\log p_t = -\hat\epsilon^\star/\sqrt{1-\bar\alpha_t}$ | `score` | $d$ |
| flow map on Gaussian data $x_0 = A x_T + B$ | `Affine` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };
static DiffStep plan[T];
static int tau[T];

/* A deterministic scheme on 1-D Gaussian data is affine, x_0 = A x_T + B; with x_T ~ N(0, 1) the
   final law is N(B, A^2). Found by running the scheme from x_T = 0 and x_T = 1. */
typedef struct {
    double A, B;
} Affine;

typedef double (*Scheme1d)(const Gmm *data, const DiffusionSchedule *sch, double xT, int param);

static Affine affine_of(Scheme1d f, const Gmm *data, const DiffusionSchedule *sch, int param) {
    const double b = f(data, sch, 0.0, param), a = f(data, sch, 1.0, param) - b;
    return (Affine){a, b};
}

static double sbar_of(double abar) { return sqrt((1.0 - abar) / abar); }

/*: ## 3.9.3 The probability-flow ODE, with $f$ and $g$ written out

The forward chain is the discretisation of the variance-preserving SDE
$dx = f(x,t)\,dt + g(t)\,dW$ with $f = -\tfrac12\beta(t)x$ and $g = \sqrt{\beta(t)}$ (the lecture
leaves both undefined, spec E30). Its probability-flow ODE, which moves samples so that they
have the same marginals $p_t$ as the SDE, is

$$ \frac{dx}{dt} = f(x,t) - \tfrac12 g(t)^2\nabla_x\log p_t(x) = -\tfrac12\beta(t)\big(x + \nabla_x\log p_t(x)\big),
   \qquad \nabla_x\log p_t = -\frac{\hat\epsilon^\star(x, t)}{\sqrt{1-\bar\alpha_t}} . $$ {#eq:L36.3.9.3.pf_ode}

In the variables $\bar x = x/\sqrt{\bar\alpha}$ and $\bar\sigma = \sqrt{(1-\bar\alpha)/\bar\alpha}$ the same
ODE becomes (Song, Meng & Ermon, DDIM §4.3)

$$ \frac{d\bar x}{d\bar\sigma} = \hat\epsilon^\star\big(\sqrt{\bar\alpha}\,\bar x,\ \bar\alpha\big),\qquad \bar\alpha = \frac{1}{1+\bar\sigma^2}. $$ {#eq:L36.3.9.3.pf_ode_bar}

For Gaussian data $\mathcal N(m, s^2)$ it is solved exactly: $\bar x = x_0 + \bar\sigma\epsilon$ has law
$\mathcal N(m, s^2 + \bar\sigma^2)$, and the flow keeps the standardised value fixed,

$$ x_0 = m + s\,\frac{\bar x_T - m}{\sqrt{s^2 + \bar\sigma_T^2}},\qquad \bar x_T = x_T/\sqrt{\bar\alpha_T} . $$ {#eq:L36.3.9.3.exact_flow}

The reference solver is RK4 in $\bar\sigma$ (`common/ode.h`, [eq:common.ode.rk4]) on a grid geometric
from $\bar\sigma_T$ down to $10^{-3}$, then uniform to 0, with `n_rk4` steps.
*/
static void pf_field(const Gmm *data, const double *xbar, double sbar, double *out) {
    //: $d\bar x/d\bar\sigma = \hat\epsilon^\star(\sqrt{\bar\alpha}\bar x, \bar\alpha)$, eq. [eq:L36.3.9.3.pf_ode_bar]
    const double ab = 1.0 / (1.0 + sbar * sbar), sa = sqrt(ab);
    double x[8];
    for (int a = 0; a < data->d; a++) x[a] = sa * xbar[a];
    diff_oracle_eval(data, x, ab, out, NULL);
}

/* eq. [eq:L36.3.9.3.pf_ode_bar] as an OdeFn of common/ode.h: time sbar, state xbar, ctx the data law */
static void pf_rhs(double sbar, const double *xbar, double *dxbar, int n, void *ctx) {
    (void)n;
    pf_field(ctx, xbar, sbar, dxbar);
}

/* RK4 (common/ode.h) in sbar from x_T (time T) to sbar = 0; x (d) in/out. path (may be NULL)
   gets x at every grid node with its sbar in spath. Returns the number of nodes. */
static int rk4_flow(const Gmm *data, const DiffusionSchedule *sch, double *x, int n_rk4, double *path, double *spath) {
    const int d = data->d, n_geo = n_rk4 - n_rk4 / 10, n_lin = n_rk4 / 10, n = n_geo + n_lin;
    const double s_T = sbar_of(sch->alpha_bar[T]), s_mid = 1e-3;
    double xbar[8], *grid = xmalloc((size_t)(n + 1) * sizeof *grid);
    double *rows = path ? xmalloc((size_t)(n + 1) * d * sizeof *rows) : NULL;
    grid[0] = s_T;
    for (int k = 0; k < n; k++)
        grid[k + 1] = k < n_geo ? s_T * pow(s_mid / s_T, (double)(k + 1) / n_geo) : s_mid * (1.0 - (double)(k + 1 - n_geo) / n_lin);
    for (int a = 0; a < d; a++) xbar[a] = x[a] / sqrt(sch->alpha_bar[T]);
    //: RK4 on eq. [eq:L36.3.9.3.pf_ode_bar], [eq:common.ode.rk4]
    ode_solve_grid(ODE_RK4, pf_rhs, (void *)data, grid, n, xbar, d, rows);
    if (path) {
        path[0] = x[0], spath[0] = s_T;
        for (int k = 1; k <= n; k++) path[k] = rows[(size_t)k * d] / sqrt(1.0 + grid[k] * grid[k]), spath[k] = grid[k];
    }
    for (int a = 0; a < d; a++) x[a] = xbar[a]; /* sbar = 0: abar = 1, x = xbar */
    free(grid), free(rows);
    return n + 1;
}

static double scheme_rk4(const Gmm *data, const DiffusionSchedule *sch, double xT, int n_rk4) {
    double x = xT;
    rk4_flow(data, sch, &x, n_rk4, NULL, NULL);
    return x;
}

static double scheme_exact(const Gmm *data, const DiffusionSchedule *sch, double xT, int unused) {
    (void)unused;
    const double m = data->mean[0], s2 = data->var[0], sT = sbar_of(sch->alpha_bar[T]);
    //: eq. [eq:L36.3.9.3.exact_flow]
    return m + sqrt(s2) * (xT / sqrt(sch->alpha_bar[T]) - m) / sqrt(s2 + sT * sT);
}

/*: ## Two first-order schemes

*DDIM* ($\eta = 0$, step $t \to s$) is exactly the Euler step of eq. [eq:L36.3.9.3.pf_ode_bar]:
$\bar x_s = \bar x_t + (\bar\sigma_s - \bar\sigma_t)\,\hat\epsilon$. Multiplying by $\sqrt{\bar\alpha_s}$
gives back $x_s = \sqrt{\bar\alpha_s}\hat x_0 + \sqrt{1-\bar\alpha_s}\hat\epsilon$, because
$\sqrt{\bar\alpha_s}\bar\sigma_s = \sqrt{1-\bar\alpha_s}$ and $\bar x_t - \bar\sigma_t\hat\epsilon = \hat x_0$.

*Euler in index time* on eq. [eq:L36.3.9.3.pf_ode] with $\Delta t = 1$ and $\beta(t) = \beta_t$:

$$ x_{t-1} = x_t + \tfrac12\beta_t\big(x_t + \nabla\log p_t(x_t)\big) . $$ {#eq:L36.3.9.3.euler_index}

Both are consistent first-order schemes of the same flow, so both converge to it, but they are
different schemes: "DDIM is the Euler discretisation of the PF-ODE" holds only in the rescaled
variables (E31). To refine either one, cut each index interval $(t-1, t]$ into $M$ substeps along
which $\log\bar\alpha$ is linear (so $\beta(\tau) = -\log\alpha_t$ there, the rate whose integral
over the interval reproduces $\bar\alpha_{t-1}/\bar\alpha_t$ exactly).
*/
static DiffStep euler_index_step(const DiffusionSchedule *sch, int t) {
    const double beta = sch->beta[t], ab = sch->alpha_bar[t];
    //: eq. [eq:L36.3.9.3.euler_index] as $a(x - b\hat\epsilon)$: $a = 1 + \beta_t/2$, $b = \beta_t/(2a\sqrt{1-\bar\alpha_t})$
    DiffStep st = {.t = t, .s = t - 1, .a = 1.0 + 0.5 * beta, .c = 0.0, .sigma = 0.0};
    st.b = 0.5 * beta / (st.a * sqrt(1.0 - ab));
    st.c_x = st.a, st.c_eps = -st.a * st.b;
    return st;
}

static double abar_frac(const DiffusionSchedule *sch, int t, double frac) {
    /* log abar linear on (t-1, t]: abar(t - 1 + frac) */
    return sch->alpha_bar[t - 1] * pow(sch->alpha_bar[t] / sch->alpha_bar[t - 1], frac);
}

/* M substeps per index, Euler in (xbar, sbar) (M = 1: DDIM over every integer time). */
static double scheme_sbar_euler(const Gmm *data, const DiffusionSchedule *sch, double xT, int M) {
    double xbar = xT / sqrt(sch->alpha_bar[T]), e;
    for (int t = T; t >= 1; t--)
        for (int j = M; j >= 1; j--) {
            const double ab = abar_frac(sch, t, (double)j / M), ab_next = abar_frac(sch, t, (double)(j - 1) / M);
            const double x = sqrt(ab) * xbar;
            diff_oracle_eval(data, &x, ab, &e, NULL);
            //: $\bar x \leftarrow \bar x + (\bar\sigma_\text{next} - \bar\sigma)\hat\epsilon$, Euler on eq. [eq:L36.3.9.3.pf_ode_bar]
            xbar += (sbar_of(ab_next) - sbar_of(ab)) * e;
        }
    return xbar;
}

/* M substeps per index, Euler in index time with beta(tau) = -log alpha_t. */
static double scheme_index_euler(const Gmm *data, const DiffusionSchedule *sch, double xT, int M) {
    double x = xT, e;
    for (int t = T; t >= 1; t--) {
        const double beta_eff = -log(1.0 - sch->beta[t]);
        for (int j = M; j >= 1; j--) {
            const double ab = abar_frac(sch, t, (double)j / M);
            diff_oracle_eval(data, &x, ab, &e, NULL);
            //: $x \leftarrow x + \frac{h}{2}\beta(\tau)(x + \nabla\log p_\tau)$, eq. [eq:L36.3.9.3.pf_ode], $h = 1/M$
            x += 0.5 * beta_eff / M * (x - e / sqrt(1.0 - ab));
        }
    }
    return x;
}

static void gaussian_flow(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm g = gmm_new(1, 1);
    const double m = 1.0;
    gmm_set(&g, 0, 1.0, &m, NULL, 0.25);
    const int n_rk4 = (int)cli_scale(cli, 2000, 4000, 20000);
    const Affine exact = affine_of(scheme_exact, &g, sch, 0), rk4 = affine_of(scheme_rk4, &g, sch, n_rk4);
    check_close("L36.3.9.3.exact_flow_mean", exact.B, 0.99682354, 1e-8, "L36.3.9.3.exact_flow", "exact flow map: final mean (spec D12)");
    check_close("L36.3.9.3.exact_flow_std", fabs(exact.A), 0.50000757, 1e-8, "L36.3.9.3.exact_flow", "exact flow map: final std (spec D12)");
    check_le("L36.3.9.3.rk4_vs_exact", fmax(fabs(rk4.A - exact.A), fabs(rk4.B - exact.B)), 0, 1e-9, "L36.3.9.3.pf_ode_bar",
             "RK4 (%d steps) flow map vs the closed form: max |dA|, |dB|", n_rk4);

    /* DDIM over all 1000 steps, via the sampler's plan and its exact chain law */
    for (int k = 0; k < T; k++) tau[k] = k + 1;
    diff_plan_ddim(sch->alpha_bar, tau, T, 0.0, plan);
    double dm, dv;
    diff_gauss_chain_law(plan, T, sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &dm, &dv);
    check_close("L36.3.9.3.ddim1000_mean", dm, 0.99683315, 1e-8, NULL, "DDIM, 1000 steps: final mean (spec D13)");
    check_close("L36.3.9.3.ddim1000_std", sqrt(dv), 0.49849528, 1e-8, NULL, "DDIM, 1000 steps: final std (spec D13)");
    /* index-time Euler, the spec's form (beta_t) */
    for (int k = 0; k < T; k++) plan[k] = euler_index_step(sch, T - k);
    double em, ev;
    diff_gauss_chain_law(plan, T, sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &em, &ev);
    check_close("L36.3.9.3.euler_index_mean", em, 0.99357783, 1e-6, "L36.3.9.3.euler_index", "Euler in index time: final mean (spec D13)");
    check_close("L36.3.9.3.euler_index_std", sqrt(ev), 0.50185309, 1e-6, "L36.3.9.3.euler_index", "Euler in index time: final std (spec D13)");
    const double rel_ddim = fmax(fabs(dm / exact.B - 1), fabs(sqrt(dv) / fabs(exact.A) - 1));
    const double rel_euler = fmax(fabs(em / exact.B - 1), fabs(sqrt(ev) / fabs(exact.A) - 1));
    check_le("L36.3.9.3.ddim_within_half_percent", rel_ddim, 0, 0.005, NULL, "DDIM(1000): max relative error of mean, std vs the exact flow");
    check_le("L36.3.9.3.euler_within_half_percent", rel_euler, 0, 0.005, NULL, "index Euler: max relative error of mean, std vs the exact flow");
    printf("final law on N(1, 0.5^2) data, x_T ~ N(0, 1):\n  exact flow  %.8f  %.8f\n  RK4         %.8f  %.8f\n"
           "  DDIM 1000   %.8f  %.8f\n  index Euler %.8f  %.8f\n", exact.B, fabs(exact.A), rk4.B, fabs(rk4.A), dm, sqrt(dv), em, sqrt(ev));
    check_erratum("L36.3.9.3.ddim_is_euler", sqrt(ev), sqrt(dv),
                  "E31: Euler on the PF-ODE as written (index time) gives final std %.6f; DDIM gives %.6f (exact %.6f): "
                  "DDIM is Euler only in (xbar, sbar)", sqrt(ev), sqrt(dv), fabs(exact.A));

    /* DDIM = Euler in (xbar, sbar): one step at random points, and the whole chain */
    Rng r;
    rng_init(&r, cli->seed, 7);
    double worst = 0;
    const int ts[5] = {1000, 731, 500, 90, 3}, ss[5] = {500, 730, 1, 45, 0};
    for (int i = 0; i < 5; i++) {
        const double x = 2 * rng_normal(&r), e = rng_normal(&r), at = sch->alpha_bar[ts[i]], as = sch->alpha_bar[ss[i]];
        const DiffStep st = diff_ddim_step(sch->alpha_bar, ts[i], ss[i], 0.0);
        const double xbar_s = x / sqrt(at) + (sbar_of(as) - sbar_of(at)) * e;
        worst = fmax(worst, fabs(diff_step_mean(&st, x, e) - sqrt(as) * xbar_s) / (1.0 + fabs(x)));
    }
    check_le("L36.3.9.3.ddim_step_is_sbar_euler", worst, 0, 1e-12, "L36.3.9.3.pf_ode_bar",
             "one DDIM step = sqrt(abar_s) (xbar_t + (sbar_s - sbar_t) eps), 5 random (t, s, x, eps), relative to 1 + |x|");
    const Affine sb1 = affine_of(scheme_sbar_euler, &g, sch, 1);
    check_le("L36.3.9.3.ddim_chain_is_sbar_euler", fmax(fabs(sb1.A - sqrt(dv)), fabs(sb1.B - dm)), 0, 1e-12, NULL,
             "the whole DDIM(1000) chain law = Euler in sbar over the integer times (max |dA|, |dB|)");

    /* first-order convergence of both schemes */
    double err_sb[4], err_ix[4];
    const int Ms[4] = {1, 2, 4, 8};
    for (int i = 0; i < 4; i++) {
        const Affine a = affine_of(scheme_sbar_euler, &g, sch, Ms[i]), b = affine_of(scheme_index_euler, &g, sch, Ms[i]);
        err_sb[i] = fabs(fabs(a.A) - fabs(exact.A)) + fabs(a.B - exact.B);
        err_ix[i] = fabs(fabs(b.A) - fabs(exact.A)) + fabs(b.B - exact.B);
        printf("M = %d substeps/index: error of (std, mean): Euler in sbar %.3e, Euler in index time %.3e\n", Ms[i], err_sb[i], err_ix[i]);
    }
    check_in("L36.3.9.3.sbar_euler_first_order", err_sb[2] / err_sb[3], 1.6, 2.4, NULL, "Euler in sbar: error ratio M=4 / M=8 (first order: 2)");
    check_in("L36.3.9.3.index_euler_first_order", err_ix[2] / err_ix[3], 1.6, 2.4, NULL, "Euler in index time: error ratio M=4 / M=8 (first order: 2)");
    gmm_free(&g);
}

/*: ## A bimodal mixture: DDIM paths converge to the flow, sample by sample

For $\tfrac12\mathcal N(-2, 0.3^2) + \tfrac12\mathcal N(2, 0.3^2)$ there is no closed form; the RK4
solve is the reference. The same $x_T$ goes through DDIM with $S$ trailing steps and through
RK4: the largest difference over the samples must shrink like $1/S$ (the DDIM error is first
order), and at $S = 1000$ it is the discretisation error of DDIM alone.
*/
static void mixture_flow(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm mix = gmm_new(2, 1);
    const double ma = -2, mb = 2;
    gmm_set(&mix, 0, 1, &ma, NULL, 0.09), gmm_set(&mix, 1, 1, &mb, NULL, 0.09);
    gmm_normalise(&mix);
    DiffOracle oracle = {&mix};
    const size_t n = (size_t)cli_scale(cli, 16, 64, 256);
    const int n_rk4 = (int)cli_scale(cli, 2000, 4000, 20000);
    double *xT = xmalloc(sizeof(double) * n), *ref = xmalloc(sizeof(double) * n), *x = xmalloc(sizeof(double) * n);
    DiffSampler s;
    diff_sampler_init(&s, n, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 60);
    s.n_threads = cli->threads;
    diff_run(&s, plan, 0, xT); /* no steps: just the prior draws */
    double rk_self = 0;
    for (size_t c = 0; c < n; c++) {
        double fine = xT[c];
        ref[c] = xT[c];
        rk4_flow(&mix, sch, &ref[c], n_rk4, NULL, NULL);
        rk4_flow(&mix, sch, &fine, 2 * n_rk4, NULL, NULL);
        rk_self = fmax(rk_self, fabs(fine - ref[c]));
    }
    check_le("L36.3.9.3.mixture_rk4_converged", rk_self, 0, 1e-6, "L36.3.9.3.pf_ode_bar",
             "RK4 reference on the mixture: max |RK4(%d) - RK4(%d)| over the samples", n_rk4, 2 * n_rk4);
    const int Ss[4] = {125, 250, 500, 1000};
    double err[4];
    for (int i = 0; i < 4; i++) {
        diff_timesteps(T, Ss[i], DIFF_TAU_TRAILING, tau);
        diff_plan_ddim(sch->alpha_bar, tau, Ss[i], 0.0, plan);
        memcpy(x, xT, sizeof(double) * n);
        s.draw_prior = 0;
        diff_run(&s, plan, Ss[i], x);
        err[i] = stats_max_abs_diff(x, ref, n);
        printf("mixture, DDIM S = %4d (trailing): max |x_0 - RK4 flow| over %zu samples = %.3e\n", Ss[i], n, err[i]);
    }
    check_in("L36.3.9.3.mixture_ddim_first_order", err[2] / err[3], 1.6, 2.4, NULL,
             "max per-sample |DDIM - RK4 flow|, ratio S=500 / S=1000 (first order: 2)");
    check_le("L36.3.9.3.mixture_ddim1000_close", err[3], 0, 0.02, NULL,
             "DDIM(1000) within 0.02 of the RK4 flow for every sample (mode width 0.3)");
    free(xT), free(ref), free(x);
    gmm_free(&mix);
}

typedef struct {
    double *path, *tg;
    int nsteps, npath;
} PathRec;

static int record(const double *x, size_t n, size_t dim, int k, const DiffStep *st, void *ctx) {
    (void)dim;
    PathRec *r = ctx;
    for (size_t c = 0; c < n && (int)c < r->npath; c++) r->path[c * (r->nsteps + 1) + k + 1] = x[c];
    r->tg[k + 1] = st ? st->s : T;
    return 0;
}

/* Figure: RK4 flow paths (thin) and DDIM with 10 / 50 steps from the same x_T, against log10 sbar. */
static void figure(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm mix = gmm_new(2, 1);
    const double ma = -2, mb = 2;
    gmm_set(&mix, 0, 1, &ma, NULL, 0.09), gmm_set(&mix, 1, 1, &mb, NULL, 0.09);
    gmm_normalise(&mix);
    DiffOracle oracle = {&mix};
    enum { NP = 10, NRK = 2000 };
    Plot *p = plot_new(900, 560, "3.9.3: probability-flow ODE (RK4, grey) vs DDIM S = 10 (dashed) and 50 (solid)");
    double xT[NP];
    DiffSampler s;
    diff_sampler_init(&s, NP, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 70);
    diff_run(&s, plan, 0, xT);
    double *path = xmalloc(sizeof(double) * (NRK + 2)), *sp = xmalloc(sizeof(double) * (NRK + 2));
    for (int c = 0; c < NP; c++) {
        double x = xT[c];
        const int nn = rk4_flow(&mix, sch, &x, NRK, path, sp);
        for (int k = 0; k < nn; k++) sp[k] = log10(fmax(sp[k], 1e-3));
        PlotSeries *l = plot_line(p, sp, path, nn - NRK / 10, c == 0 ? "RK4 flow" : NULL);
        plot_series_color(l, PLOT_GRAY), plot_series_width(l, 3.0);
    }
    for (int which = 0; which < 2; which++) {
        const int S = which == 0 ? 10 : 50;
        diff_timesteps(T, S, DIFF_TAU_TRAILING, tau);
        diff_plan_ddim(sch->alpha_bar, tau, S, 0.0, plan);
        double *dp = xmalloc(sizeof(double) * NP * (S + 1)), *tg = xmalloc(sizeof(double) * (S + 1)), x[NP];
        PathRec rec = {dp, tg, S, NP};
        memcpy(x, xT, sizeof x);
        s.draw_prior = 0, s.observe = record, s.observe_ctx = &rec;
        diff_run(&s, plan, S, x);
        for (int k = 0; k <= S; k++) tg[k] = log10(fmax(sbar_of(sch->alpha_bar[(int)tg[k]]), 1e-3));
        for (int c = 0; c < NP; c++) {
            PlotSeries *l = plot_line(p, tg, dp + c * (S + 1), S, c == 0 ? (which == 0 ? "DDIM S = 10" : "DDIM S = 50") : NULL);
            plot_series_color(l, which == 0 ? PLOT_RED : PLOT_BLUE);
            if (which == 0) plot_series_dash(l, PLOT_DASHED);
        }
        free(dp), free(tg);
    }
    plot_xlabel(p, "log10 sbar (sampling runs right to left; the last step to sbar = 0 not drawn)");
    plot_ylabel(p, "x_t");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "pf_ode_vs_ddim.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(path), free(sp);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 3.9.3: DDIM vs the probability-flow ODE", 36, NULL);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    gaussian_flow(&cli, &sch);
    mixture_flow(&cli, &sch);
    figure(&cli, &sch);
    diffusion_schedule_free(&sch);
    return check_end();
}
