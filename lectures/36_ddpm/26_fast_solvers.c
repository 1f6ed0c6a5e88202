/*: # L36 6.1 — Fast solvers of the probability-flow ODE: DPM-Solver++, UniPC, EDM

**Lecture 36, section 6.1** (6.1.1 DPM-Solver++, 6.1.2 UniPC, 6.1.3 EDM) and its link to 3.9.3
(DDIM is a first-order ODE solver). Spec program 20; errata A32, A33, A34, A44.

Every solver here is judged against the *exact* answer: for Gaussian data
$x_0 \sim \mathcal N(\mu_0, s_0^2)$ ($\mu_0 = s_0 = 0.5$) the Bayes-optimal noise prediction is
affine in $x$ and the probability-flow map is known in closed form (spec §2 option 5), so the
error of a sampler at a given number of network evaluations (NFE) is a number, not a picture.
The solvers themselves live in `common/diffusion_solvers.h`, where a trained network plugs into
the same callback.

What you will see: the spec's error tables (linear and clipped-cosine schedules, 11 to 161 grid
points) for DDIM, the lecture's `dpm_solver_step` and DPM-Solver++(2M), reproduced to 4 digits;
the lecture's step shown to be two DDIM steps (ERRATUM A33: first order, not second); the
lecture's 6.1.1 ODE integrated and missing the exact endpoint (ERRATUM A32); UniPC-1/2/3 with
observed orders 2/3/4; EDM's Heun sampler on the Karras grid (order 2) and the EDM constants
(ERRATUM A34). Figure `solver_errors.png`: error against NFE, log-log; the numbers in
`solver_errors.csv`.

Run: `build/release/bin/lectures/36_ddpm/26_fast_solvers [--quick | --full]` (all scales are
the same: a few milliseconds).

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha_t$ | `sch->alpha_bar` | $T+1$ |
| $\alpha_t = \sqrt{\bar\alpha_t}$, $\sigma_t = \sqrt{1-\bar\alpha_t}$ | `al`, `sg` | scalars |
| $\lambda = \log(\alpha/\sigma)$ | `lambda` (in `DiffNode` grids) | scalar |
| $\bar x = x/\alpha$, $\bar\sigma = \sigma/\alpha$ | `xbar`, `sbar` | scalars |
| $\hat\epsilon^\star(x, \bar\alpha)$ | `diff_oracle_eps` | $n \times d$ |
| grid nodes $(t_i, \bar\alpha_i)$ | `DiffNode nodes[]` | $N$ |
| $x_T$ | `X_T` = 1.3 | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/diffusion_solvers.h"
#include "common/gauss.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/util.h"

enum { T = 1000, NG = 5 };
static const double MU0 = 0.5, S0 = 0.5, X_T = 1.3;
static const int GRID_N[NG] = {11, 21, 41, 81, 161};

typedef struct {
    Gmm data;
    DiffOracle oracle;
} Oracle;

/*: ## The exact flow map on Gaussian data (spec §2, option 5)

For $x_0 \sim \mathcal N(\mu_0, s_0^2)$ the noised law is $\mathcal N(\alpha\mu_0, \alpha^2 s_0^2 + \sigma^2)$
and the probability-flow ODE keeps the standardised value fixed, so from $\bar\alpha_a$ to $\bar\alpha_b$

$$ x_b = \alpha_b\mu_0 + \sqrt{\bar\alpha_b s_0^2 + 1 - \bar\alpha_b}\;\frac{x_a - \alpha_a\mu_0}{\sqrt{\bar\alpha_a s_0^2 + 1 - \bar\alpha_a}} . $$ {#eq:L36.6.1.exact_map}

The errors below are $|x_1^{\text{solver}} - x_1|$ at $t = 1$ from $x_T = 1.3$. An independent route
to the same endpoint: adaptive Dormand–Prince (`common/ode.h`) on $d\bar x/d\bar\sigma = \hat\epsilon^\star$
at a tight tolerance.
*/
static double exact_map(double x, double ab_a, double ab_b) {
    //: eq. [eq:L36.6.1.exact_map]
    const double z = (x - sqrt(ab_a) * MU0) / sqrt(ab_a * S0 * S0 + 1 - ab_a);
    return sqrt(ab_b) * MU0 + z * sqrt(ab_b * S0 * S0 + 1 - ab_b);
}

/* d xbar / d sbar = eps(sqrt(abar) xbar, abar), abar = 1/(1 + sbar^2): the DDIM ODE of 3.9.3 */
static void ode_xbar(double sbar, const double *xbar, double *dydt, int n, void *ctx) {
    const Oracle *o = ctx;
    const double ab = 1.0 / (1.0 + sbar * sbar);
    for (int i = 0; i < n; i++) {
        const double x = sqrt(ab) * xbar[i];
        diff_oracle_eval(&o->data, &x, ab, &dydt[i], NULL);
    }
}

static double sbar_of(double ab) { return sqrt((1.0 - ab) / ab); }

static void exact_endpoints(const Oracle *o, const DiffusionSchedule *lin, const DiffusionSchedule *cos_c) {
    const double e_lin = exact_map(X_T, lin->alpha_bar[T], lin->alpha_bar[1]);
    const double e_cos = exact_map(X_T, cos_c->alpha_bar[T], cos_c->alpha_bar[1]);
    check_close("L36.6.1.exact_endpoint_linear", e_lin, 1.14849386, 1e-8, "L36.6.1.exact_map",
                "linear schedule: exact PF-ODE endpoint at t = 1 from x_T = 1.3 (spec program 20)");
    check_close("L36.6.1.exact_endpoint_cosine", e_cos, 1.15001761, 1e-8, "L36.6.1.exact_map",
                "clipped cosine schedule: exact endpoint (spec program 20)");
    double xbar = X_T / sqrt(lin->alpha_bar[T]);
    OdeDopriOpts opt = {1e-12, 1e-12, 0, 0};
    OdeStats st;
    ode_dopri5(ode_xbar, (void *)o, sbar_of(lin->alpha_bar[T]), sbar_of(lin->alpha_bar[1]), &xbar, 1, &opt, &st);
    check_close("L36.6.1.exact_vs_dopri", sqrt(lin->alpha_bar[1]) * xbar, e_lin, 1e-9, "L36.3.9.3.pf_ode_bar",
                "closed-form map = adaptive DOPRI5 (rtol = atol = 1e-12, %ld NFE) on d xbar/d sbar = eps", st.nfe);
}

/*: ## 6.1.1 DPM-Solver++: an exponential integrator in $\lambda$ (ERRATUM A32)

The lecture writes the step as $x_{t-\Delta t} = x_t + \int_t^{t-\Delta t}\big(-\frac{\sigma'_s}{2\sigma_s}\epsilon_\theta(x_s, s)\big)ds$
and expands $\epsilon_\theta$ in $t$. That is not the ODE (its right-hand side lacks the
$x$-dependent part; integrated as an ODE it misses the endpoint, below) and not DPM-Solver++.
Lu et al. change variables to $\lambda = \log(\alpha_t/\sigma_t)$, solve the linear part exactly
and approximate only the data prediction $\hat x_0$ (eq. [eq:common.diffusion_solvers.exp_integrator]).
The multistep 2M variant reuses the previous $\hat x_0$:

$$ x_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}x_{t_{i-1}} - \alpha_{t_i}(e^{-h_i}-1)\Big[\big(1+\tfrac{1}{2r_i}\big)\hat x_0^{(i-1)} - \tfrac{1}{2r_i}\hat x_0^{(i-2)}\Big],
   \quad h_i = \lambda_{t_i} - \lambda_{t_{i-1}},\ r_i = h_{i-1}/h_i . $$ {#eq:L36.6.1.1.dpmpp_2m}

**The lecture's `dpm_solver_step`** (2 NFE) predicts $\hat x_0$ at $t$, moves to the integer
midpoint $t_m = \lfloor (t + t')/2\rfloor$ by DDIM, predicts again and moves from the *midpoint's*
prediction to $t'$:

$$ x_{t_m} = \alpha_{t_m}\hat x_0(x_t) + \sigma_{t_m}\hat\epsilon(x_t),\qquad x_{t'} = \alpha_{t'}\hat x_0(x_{t_m}) + \sigma_{t'}\hat\epsilon(x_{t_m}) . $$ {#eq:L36.6.1.1.lecture_dpm}

Both halves are DDIM steps, so the "second-order" step is DDIM on a grid twice as fine: first
order, and its error at $N$ points equals DDIM's at about $2N - 1$ (ERRATUM A33).

The tables use the spec's grid: $N$ integer times $\mathrm{round}(\mathrm{linspace}(1, T, N))$
from $T$ down to 1.
*/
static double lecture_dpm(const Oracle *o, const double *abar, const int *tau, int N) {
    double x = X_T, e;
    for (int k = N - 1; k >= 1; k--) {
        const int t = tau[k], tp = tau[k - 1], tm = (t + tp) / 2;
        diff_oracle_eval(&o->data, &x, abar[t], &e, NULL);
        //: $\hat x_0 = (x_t - \sigma_t\hat\epsilon)/\alpha_t$, $x_{t_m}$ of eq. [eq:L36.6.1.1.lecture_dpm]
        const double x0 = (x - sqrt(1 - abar[t]) * e) / sqrt(abar[t]);
        const double xm = sqrt(abar[tm]) * x0 + sqrt(1 - abar[tm]) * e;
        diff_oracle_eval(&o->data, &xm, abar[tm], &e, NULL);
        //: $x_{t'}$ of eq. [eq:L36.6.1.1.lecture_dpm] from the midpoint's prediction
        const double x0m = (xm - sqrt(1 - abar[tm]) * e) / sqrt(abar[tm]);
        x = sqrt(abar[tp]) * x0m + sqrt(1 - abar[tp]) * e;
    }
    return x;
}

static double run_solver(const Oracle *o, DiffSolverKind kind, int order, const DiffNode *nodes, int nn, long *nfe) {
    DiffSolver s = {kind, order, diff_oracle_eps, (void *)&o->oracle};
    double x = X_T;
    const long k = diff_solve(&s, nodes, nn, &x, 1, 1);
    if (nfe) *nfe = k;
    return x;
}

/* lecture's 6.1.1 ODE, dx/dsigma = -eps / (2 sigma) with sigma = sqrt(1 - abar) as the time */
static void ode_lecture(double sg, const double *x, double *dydt, int n, void *ctx) {
    const Oracle *o = ctx;
    const double ab = 1.0 - sg * sg;
    for (int i = 0; i < n; i++) {
        double e;
        diff_oracle_eval(&o->data, &x[i], ab, &e, NULL);
        dydt[i] = -e / (2.0 * sg);
    }
}

static void dpm_solver_pp(const Oracle *o, const DiffusionSchedule *lin, const DiffusionSchedule *cos_c, FILE *csv) {
    static const double spec_lin[3][NG] = {{1.632e-1, 8.585e-2, 4.425e-2, 2.248e-2, 1.139e-2},
                                           {8.584e-2, 4.425e-2, 2.248e-2, 1.136e-2, 5.752e-3},
                                           {2.478e-1, 1.474e-1, 5.208e-2, 1.394e-2, 3.391e-3}};
    static const double spec_cos_ddim[NG] = {9.300e-2, 4.807e-2, 2.448e-2, 1.237e-2, 6.239e-3};
    static const char *names[3] = {"ddim", "lecture_dpm", "dpmpp2m"};
    const double ex_lin = exact_map(X_T, lin->alpha_bar[T], lin->alpha_bar[1]);
    const double ex_cos = exact_map(X_T, cos_c->alpha_bar[T], cos_c->alpha_bar[1]);
    double err[3][NG], err_cos[2][NG], two_ddim_gap = 0;
    int tau[161], tau2[321];
    DiffNode nodes[322];
    printf("  linear schedule, error at t = 1 (spec A33 in brackets)\n     N      DDIM                 lecture DPM          DPM-Solver++(2M)\n");
    for (int g = 0; g < NG; g++) {
        const int N = GRID_N[g];
        diff_timesteps(T, N, DIFF_TAU_LINSPACE, tau);
        int nn = diff_nodes_index(lin->alpha_bar, tau, N, 0, nodes);
        err[0][g] = fabs(run_solver(o, DIFF_SOLVER_DDIM, 0, nodes, nn, NULL) - ex_lin);
        const double xl = lecture_dpm(o, lin->alpha_bar, tau, N);
        err[1][g] = fabs(xl - ex_lin);
        err[2][g] = fabs(run_solver(o, DIFF_SOLVER_DPMPP_2M, 0, nodes, nn, NULL) - ex_lin);
        /* the same grid with every integer midpoint inserted, run by DDIM */
        int m = 0;
        for (int k = 0; k < N; k++) {
            tau2[m++] = tau[k];
            if (k + 1 < N && (tau[k] + tau[k + 1]) / 2 != tau[k]) tau2[m++] = (tau[k] + tau[k + 1]) / 2;
        }
        nn = diff_nodes_index(lin->alpha_bar, tau2, m, 0, nodes);
        two_ddim_gap = fmax(two_ddim_gap, fabs(run_solver(o, DIFF_SOLVER_DDIM, 0, nodes, nn, NULL) - xl));
        printf("  %4d  %.4e [%.3e]  %.4e [%.3e]  %.4e [%.3e]\n", N, err[0][g], spec_lin[0][g], err[1][g],
               spec_lin[1][g], err[2][g], spec_lin[2][g]);
        for (int s = 0; s < 3; s++) fprintf(csv, "linear_index,%s,%d,%ld,%.10e\n", names[s], N, (long)(N - 1) * (s == 1 ? 2 : 1), err[s][g]);
        diff_timesteps(T, N, DIFF_TAU_LINSPACE, tau);
        nn = diff_nodes_index(cos_c->alpha_bar, tau, N, 0, nodes);
        err_cos[0][g] = fabs(run_solver(o, DIFF_SOLVER_DDIM, 0, nodes, nn, NULL) - ex_cos);
        err_cos[1][g] = fabs(run_solver(o, DIFF_SOLVER_DPMPP_2M, 0, nodes, nn, NULL) - ex_cos);
    }
    check_close("L36.6.1.1.lecture_dpm_is_two_ddim", two_ddim_gap, 0, 1e-12, "L36.6.1.1.lecture_dpm",
                "lecture's dpm_solver_step = DDIM on the grid with the integer midpoints inserted (max over the 5 grids)");
    char id[96];
    for (int s = 0; s < 3; s++)
        for (int g = 0; g < NG; g++) {
            snprintf(id, sizeof id, "L36.6.1.1.err_%s_N%d", names[s], GRID_N[g]);
            check_rel(id, err[s][g], spec_lin[s][g], 1e-3, s == 2 ? "L36.6.1.1.dpmpp_2m" : "L36.6.1.exact_map",
                      "linear schedule, %s with N = %d grid points: error at t = 1 (spec A33)", names[s], GRID_N[g]);
        }
    for (int g = 0; g < NG; g++) {
        snprintf(id, sizeof id, "L36.6.1.1.err_cos_ddim_N%d", GRID_N[g]);
        check_rel(id, err_cos[0][g], spec_cos_ddim[g], 1e-3, "L36.6.1.exact_map",
                  "clipped cosine, DDIM with N = %d: error at t = 1 (spec program 20)", GRID_N[g]);
    }
    check_rel("L36.6.1.1.err_cos_dpmpp2m_N81", err_cos[1][3], 3.993e-3, 1e-3, "L36.6.1.1.dpmpp_2m",
              "clipped cosine, DPM-Solver++(2M) with N = 81 (spec program 20)");
    check_rel("L36.6.1.1.err_cos_dpmpp2m_N161", err_cos[1][4], 9.695e-4, 1e-3, "L36.6.1.1.dpmpp_2m",
              "clipped cosine, DPM-Solver++(2M) with N = 161 (spec program 20)");
    const double ord[3] = {log2(err[0][3] / err[0][4]), log2(err[1][3] / err[1][4]), log2(err[2][3] / err[2][4])};
    check_in("L36.6.1.1.order_ddim", ord[0], 0.9, 1.1, NULL, "observed order log2(e_81/e_161), DDIM (linear)");
    check_in("L36.6.1.1.order_lecture_dpm", ord[1], 0.9, 1.1, "L36.6.1.1.lecture_dpm",
             "observed order, the lecture's dpm_solver_step: first order");
    check_in("L36.6.1.1.order_dpmpp2m", ord[2], 1.8, 2.3, "L36.6.1.1.dpmpp_2m", "observed order, DPM-Solver++(2M)");
    check_erratum("L36.6.1.1.lecture_dpm_order", 2.0, ord[1],
                  "A33: 6.1.1 labels dpm_solver_step '2nd order'; it is two DDIM steps, observed order log2(e81/e161)");

    /* the lecture's 6.1.1 integrand as an ODE in sigma, RK4 with 4000 steps */
    double x = X_T;
    ode_solve_fixed(ODE_RK4, ode_lecture, (void *)o, sqrt(1 - lin->alpha_bar[T]), sqrt(1 - lin->alpha_bar[1]), 4000, &x, 1);
    check_erratum("L36.6.1.1.lecture_ode_endpoint", x, ex_lin,
                  "A32: integrating 6.1.1's dx = -(sigma'/2 sigma) eps ds exactly (RK4, 4000 steps) from x_T = 1.3 "
                  "does not reach the PF-ODE endpoint");
}

/*: ## 6.1.2 UniPC: a predictor–corrector pair of any order

The lecture gives no equations. UniPC (Zhao et al. 2023) keeps DPM-Solver++'s exponential
integrator and writes both steps with the differences $D_j = (\hat x_0^{(i-j)} - \hat x_0^{(i)})/r_j$,
$r_j = (\lambda_{i-j} - \lambda_i)/h$:

$$ \text{UniP-}p:\ \tilde x_t = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)\hat x_0^{(i)} - \alpha_t B(h)\sum_{j<p}\rho_j D_j,\qquad
   \text{UniC}:\ x_t = \tilde x_t\big|_{\rho^c} - \alpha_t B(h)\,\rho^c_p\,\big(\hat x_0(\tilde x_t) - \hat x_0^{(i)}\big), $$ {#eq:L36.6.1.2.unipc}

with $B(h) = e^{-h} - 1$ (the "bh2" variant) and the $\rho$ solving $\sum_j \rho_j r_j^{k-1} = k!\,\varphi_{k+1}(h)\,h/B(h)$
($\varphi$ the exponential-integrator functions). The corrector reuses the evaluation
$\hat x_0(\tilde x_t)$ that the next predictor needs anyway, so it costs no NFE and lifts the
order from $p$ to $p+1$. The lecture's "5–10 steps ≈ DDIM 50" is a citation (A44); here the
oracle gives the actual errors.

The orders are measured on a grid uniform in $\lambda$ (the rounded integer grid of the
tables above makes the ratios $h_{i-1}/h_i$ jump, which costs the multistep methods part of
their order there; DPM-Solver++(2M) on that grid is already shown above).
*/
static void unipc(const Oracle *o, const DiffusionSchedule *lin, FILE *csv, double err_out[5][NG], long nfe_out[5][NG]) {
    const double ex = exact_map(X_T, lin->alpha_bar[T], lin->alpha_bar[1]);
    DiffNode nodes[161];
    const struct {
        DiffSolverKind kind;
        int order;
        const char *name;
    } sv[5] = {{DIFF_SOLVER_DDIM, 0, "ddim"},
               {DIFF_SOLVER_DPMPP_2M, 0, "dpmpp2m"},
               {DIFF_SOLVER_UNIPC, 1, "unipc1"},
               {DIFF_SOLVER_UNIPC, 2, "unipc2"},
               {DIFF_SOLVER_UNIPC, 3, "unipc3"}};
    printf("  log-SNR grid, error at t = 1\n     N      DDIM        DPM++(2M)   UniPC-1     UniPC-2     UniPC-3\n");
    for (int g = 0; g < NG; g++) {
        const int nn = diff_nodes_logsnr(lin->alpha_bar, T, GRID_N[g], nodes);
        printf("  %4d", GRID_N[g]);
        for (int s = 0; s < 5; s++) {
            err_out[s][g] = fabs(run_solver(o, sv[s].kind, sv[s].order, nodes, nn, &nfe_out[s][g]) - ex);
            printf("  %.4e", err_out[s][g]);
            fprintf(csv, "linear_logsnr,%s,%d,%ld,%.10e\n", sv[s].name, GRID_N[g], nfe_out[s][g], err_out[s][g]);
        }
        printf("\n");
    }
    const double lo[5] = {0.9, 1.8, 1.8, 2.7, 3.5}, hi[5] = {1.1, 2.3, 2.3, 3.3, 4.5};
    char id[64];
    for (int s = 0; s < 5; s++) {
        snprintf(id, sizeof id, "L36.6.1.2.order_%s", sv[s].name);
        check_in(id, log2(err_out[s][3] / err_out[s][4]), lo[s], hi[s], s >= 2 ? "L36.6.1.2.unipc" : NULL,
                 "log-SNR grid: observed order log2(e_81/e_161) of %s (expected %d)", sv[s].name,
                 s == 0 ? 1 : s == 1 ? 2 : sv[s].order + 1);
    }
    int nfe_ok = 1;
    for (int s = 0; s < 5; s++) nfe_ok &= nfe_out[s][4] == 160;
    check_true("L36.6.1.2.nfe_one_per_step", nfe_ok, "DDIM, 2M and UniPC-p all spend exactly 1 NFE per step (160 at N = 161)");
    /* the lecture's claim: UniPC in 5-10 steps ~ DDIM in 50 (printed, A44) */
    DiffNode n11[11], n51[51];
    diff_nodes_logsnr(lin->alpha_bar, T, 11, n11);
    diff_nodes_logsnr(lin->alpha_bar, T, 51, n51);
    printf("  A44 (a citation, not asserted): UniPC-2 with 10 NFE error %.3e; DDIM with 50 NFE error %.3e\n",
           fabs(run_solver(o, DIFF_SOLVER_UNIPC, 2, n11, 11, NULL) - ex), fabs(run_solver(o, DIFF_SOLVER_DDIM, 0, n51, 51, NULL) - ex));
}

/*: ## 3.9.3 link: DDIM is Euler's method on $d\bar x/d\bar\sigma = \hat\epsilon$

With $\bar x = x/\alpha$ and $\bar\sigma = \sigma/\alpha$ the PF-ODE is
$d\bar x/d\bar\sigma = \hat\epsilon(\alpha\bar x)$ (eq. [eq:L36.3.9.3.pf_ode_bar]); one Euler step from
$\bar\sigma_s$ to $\bar\sigma_t$ is exactly the DDIM step. Checked here between two independent
codes: `common/ode.h`'s generic Euler on the $\bar\sigma$ grid, and the DDIM solver of
`common/diffusion_solvers.h` (program 14 makes the same point with its own loops).
*/
static void ddim_is_euler(const Oracle *o, const DiffusionSchedule *lin) {
    int tau[41];
    DiffNode nodes[41];
    double sgrid[41];
    diff_timesteps(T, 41, DIFF_TAU_LINSPACE, tau);
    const int nn = diff_nodes_index(lin->alpha_bar, tau, 41, 0, nodes);
    for (int i = 0; i < nn; i++) sgrid[i] = sbar_of(nodes[i].abar);
    double xbar = X_T / sqrt(lin->alpha_bar[T]);
    //: Euler on eq. [eq:L36.3.9.3.pf_ode_bar] over the $\bar\sigma$ grid
    ode_solve_grid(ODE_EULER, ode_xbar, (void *)o, sgrid, nn - 1, &xbar, 1, NULL);
    const double x_ddim = run_solver(o, DIFF_SOLVER_DDIM, 0, nodes, nn, NULL);
    check_close("L36.6.1.ddim_is_euler", sqrt(lin->alpha_bar[1]) * xbar, x_ddim, 1e-12, "L36.3.9.3.pf_ode_bar",
                "41-point grid: Euler on d xbar/d sbar = eps (common/ode) = DDIM eta = 0 (common/diffusion_solvers)");
}

/*: ## 6.1.3 EDM (Karras et al. 2022): the grid, Heun, and what EDM actually is (ERRATUM A34)

The lecture credits EDM with "uniform sampling in log-SNR", the loss weight
$\mathrm{SNR}/(1+\mathrm{SNR})$ and unnamed preconditioning. The weight it writes is just
$\bar\alpha_t$ (since $\mathrm{SNR}/(1+\mathrm{SNR}) = \bar\alpha_t$). EDM's actual choices, for
reference: training noise $\ln\sigma \sim \mathcal N(-1.2, 1.2^2)$; loss weight
$\lambda(\sigma) = (\sigma^2 + \sigma_\text{data}^2)/(\sigma\sigma_\text{data})^2$ with
$\sigma_\text{data} = 0.5$; preconditioning $c_\text{skip} = \sigma_\text{data}^2/(\sigma^2+\sigma_\text{data}^2)$,
$c_\text{out} = \sigma\sigma_\text{data}/\sqrt{\sigma^2+\sigma_\text{data}^2}$, $c_\text{in} = 1/\sqrt{\sigma^2+\sigma_\text{data}^2}$,
$c_\text{noise} = \tfrac14\ln\sigma$; and at sampling time the grid

$$ \bar\sigma_i = \Big(\bar\sigma_\text{max}^{1/\rho} + \tfrac{i}{N-1}\big(\bar\sigma_\text{min}^{1/\rho} - \bar\sigma_\text{max}^{1/\rho}\big)\Big)^{\rho},\qquad \rho = 7, $$ {#eq:L36.6.1.3.karras_grid}

($\sigma_\text{min} = 0.002$, $\sigma_\text{max} = 80$ for images; here the schedule's own range
$\bar\sigma_1 \dots \bar\sigma_T$) with Heun's second-order method on $d\bar x/d\bar\sigma = \hat\epsilon$,
2 NFE per step. EDM's $\sigma$ is exactly this $\bar\sigma$: a VP state $x$ is $\alpha\bar x$.
*/
static void edm(const Oracle *o, const DiffusionSchedule *lin, FILE *csv, double *err_heun, long *nfe_heun) {
    const double ex = exact_map(X_T, lin->alpha_bar[T], lin->alpha_bar[1]);
    const double smin = sbar_of(lin->alpha_bar[1]), smax = sbar_of(lin->alpha_bar[T]);
    DiffNode nodes[161];
    printf("  EDM: Karras grid rho = 7 on sbar in [%.5f, %.3f], Heun\n", smin, smax);
    for (int g = 0; g < NG; g++) {
        const int N = (GRID_N[g] + 1) / 2 + 1; /* comparable NFE: 2 (N - 1) */
        //: the grid of eq. [eq:L36.6.1.3.karras_grid]
        diff_nodes_karras(lin->alpha_bar, T, smin, smax, 7.0, N, nodes);
        err_heun[g] = fabs(run_solver(o, DIFF_SOLVER_HEUN, 0, nodes, N, &nfe_heun[g]) - ex);
        printf("  N = %3d nodes, NFE %3ld: error %.4e\n", N, nfe_heun[g], err_heun[g]);
        fprintf(csv, "linear_karras,heun,%d,%ld,%.10e\n", N, nfe_heun[g], err_heun[g]);
    }
    DiffNode a[81], b[161];
    diff_nodes_karras(lin->alpha_bar, T, smin, smax, 7.0, 81, a);
    diff_nodes_karras(lin->alpha_bar, T, smin, smax, 7.0, 161, b);
    const double e81 = fabs(run_solver(o, DIFF_SOLVER_HEUN, 0, a, 81, NULL) - ex), e161 = fabs(run_solver(o, DIFF_SOLVER_HEUN, 0, b, 161, NULL) - ex);
    check_in("L36.6.1.3.order_heun", log2(e81 / e161), 1.8, 2.3, "L36.6.1.3.karras_grid",
             "EDM sampler (Heun, Karras grid rho = 7): observed order log2(e_81/e_161) = %.3f", log2(e81 / e161));
    check_true("L36.6.1.3.nfe_heun", nfe_heun[4] == 2 * ((GRID_N[4] + 1) / 2), "Heun spends 2 NFE per step (%ld)", nfe_heun[4]);
    const double sigma_data = 0.5, s1 = sbar_of(lin->alpha_bar[1]), s500 = sbar_of(lin->alpha_bar[500]);
    const double lam1 = (s1 * s1 + sigma_data * sigma_data) / (s1 * s1 * sigma_data * sigma_data);
    const double lam500 = (s500 * s500 + sigma_data * sigma_data) / (s500 * s500 * sigma_data * sigma_data);
    printf("  EDM constants (A34, printed for reference): sigma_min 0.002, sigma_max 80, rho 7, sigma_data 0.5, "
           "ln sigma ~ N(-1.2, 1.2^2)\n");
    printf("  SNR/(1+SNR) at t = 500: %.10f = alpha_bar_500 = %.10f (a definition, not EDM's weight)\n",
           diffusion_snr(lin, 500) / (1 + diffusion_snr(lin, 500)), lin->alpha_bar[500]);
    check_erratum("L36.6.1.3.edm_weighting", lin->alpha_bar[1] / lin->alpha_bar[500], lam1 / lam500,
                  "A34: relative loss weight of t = 1 vs t = 500: the lecture's SNR/(1+SNR) (= alpha_bar) gives the first "
                  "number, EDM's lambda(sigma) = (sigma^2 + 0.25)/(0.25 sigma^2) the second");
}

static void figure(const Cli *cli, const double err[5][NG], const long nfe[5][NG], const double *err_heun, const long *nfe_heun) {
    Plot *p = plot_new(760, 520, "PF-ODE solvers on Gaussian data: error at t = 1 vs NFE (log-SNR grid)");
    const char *labels[5] = {"DDIM", "DPM-Solver++(2M)", "UniPC-1", "UniPC-2", "UniPC-3"};
    double xs[NG], ys[NG];
    for (int s = 0; s < 5; s++) {
        for (int g = 0; g < NG; g++) xs[g] = log2((double)nfe[s][g]), ys[g] = err[s][g];
        plot_line(p, xs, ys, NG, labels[s]);
    }
    for (int g = 0; g < NG; g++) xs[g] = log2((double)nfe_heun[g]), ys[g] = err_heun[g];
    plot_series_dash(plot_line(p, xs, ys, NG, "Heun / EDM (Karras grid)"), PLOT_DASHED);
    plot_ylog(p, 1);
    plot_xlabel(p, "log2 NFE");
    plot_ylabel(p, "|x_1 - exact|");
    char err_msg[256];
    if (plot_save(p, cli_out_path(cli, "solver_errors.png"), err_msg, sizeof err_msg) != 0) die("%s", err_msg);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 6.1: DPM-Solver++, UniPC and EDM against the exact PF-ODE map", 26, NULL);
    Oracle o = {gmm_new(1, 1), {NULL}};
    gmm_set(&o.data, 0, 1.0, &MU0, NULL, S0 * S0);
    o.oracle.data = &o.data;
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02), cos_c = diffusion_schedule_cosine(T, 0.008, 0.999);
    FILE *csv = fopen(cli_out_path(&cli, "solver_errors.csv"), "w");
    if (!csv) die("cannot write %s", cli_out_path(&cli, "solver_errors.csv"));
    fprintf(csv, "grid,solver,n_points,nfe,error\n");
    double err[5][NG], err_heun[NG];
    long nfe[5][NG], nfe_heun[NG];
    exact_endpoints(&o, &lin, &cos_c);
    dpm_solver_pp(&o, &lin, &cos_c, csv);
    unipc(&o, &lin, csv, err, nfe);
    ddim_is_euler(&o, &lin);
    edm(&o, &lin, csv, err_heun, nfe_heun);
    fclose(csv);
    figure(&cli, err, nfe, err_heun, nfe_heun);
    diffusion_schedule_free(&lin);
    diffusion_schedule_free(&cos_c);
    gmm_free(&o.data);
    return check_end();
}
