/*: # L36 6.4 — The probability-flow ODE and the reverse SDE: same marginals, different paths

**Lecture 36, section 6.4** ("DDPM ⇔ score-based", the probability-flow ODE, the SDE version and
the DifferentialEquations.jl solve). Spec program 22; errata A37 (the factor-2 "ODE"), A38 (the
$\sigma^2$-form and its code).

The continuous variance-preserving process of Song et al. with $\beta(t) = 0.1 + 19.9\,t$ on
$t \in [0, 1]$ acts on Gaussian data $\mathcal N(\mu_0, s_0^2)$, $\mu_0 = s_0 = 0.5$, so the score of
every marginal, the exact flow map and the joint law of the forward paths are closed forms, and
every solver's answer can be compared with the truth. The score enters the solvers through the
exact noise prediction $\hat\epsilon^\star$ of `common/diffusion_sampler.h`, as a trained
network would.

What you will see: RK4 on the PF-ODE with 10/100/1000 steps against the exact endpoint (spec
numbers), adaptive Dormand–Prince at the lecture's tolerances with its NFE, the affine map
$x_\epsilon = a + b\,x_1$, the lecture's factor-2 equation collapsing every sample onto the mean
(ERRATUM A37) and its $\sigma^2$-form (ERRATUM A38), the reverse SDE by Euler–Maruyama (Monte
Carlo, $k$ standard errors), DDIM with 1000 steps approaching the flow at first order, the
score identity, and the headline: ODE and SDE have the same marginals at $t = 0.5$ and at the
end, but an ODE path is a deterministic function of its start while an SDE path forgets it.
Figure `pf_ode_vs_sde_paths.png`. ODE solvers from `common/ode.h`.

Run: `build/release/bin/lectures/36_ddpm/28_pf_ode_sde [--quick | --full]` (paths: 2000 /
20000 / 100000).

| symbol | C name | shape |
|---|---|---|
| $\beta(t)$ | `beta_of(t)` | scalar |
| $\bar\alpha(t) = e^{-(0.1t + 9.95t^2)}$ | `abar_of(t)` | scalar |
| $v(t) = \bar\alpha s_0^2 + 1 - \bar\alpha$ | `var_of(t)` | scalar |
| $\nabla_x\log p_t(x)$ | `score_oracle`, `score_exact` | $n$ |
| $t_\epsilon = 10^{-3}$, $x_1$ | `T_EPS`, `X_1` = 1.3 | scalars |
| paths | `x_ode`, `x_sde` | $n$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_solvers.h"
#include "common/gauss.h"
#include "common/moments_se.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

static const double MU0 = 0.5, S0 = 0.5, T_EPS = 1e-3, X_1 = 1.3;

/*: ## 6.4 The continuous VP process and its probability-flow ODE

The forward SDE (the lecture writes it correctly) and its marginals:

$$ dx = -\tfrac12\beta(t)\,x\,dt + \sqrt{\beta(t)}\,dw,\qquad \bar\alpha(t) = e^{-\int_0^t\beta} = e^{-(0.1t + 9.95t^2)},\qquad
   p_t = \mathcal N\big(\sqrt{\bar\alpha}\,\mu_0,\ v(t)\big),\ v = \bar\alpha s_0^2 + 1 - \bar\alpha . $$ {#eq:L36.6.4.vp_sde}

Song et al.'s probability-flow ODE moves samples so that they keep exactly these marginals:

$$ \frac{dx}{dt} = -\tfrac12\beta(t)\big(x + \nabla_x\log p_t(x)\big),\qquad \nabla_x\log p_t(x) = -\frac{\hat\epsilon^\star(x, t)}{\sqrt{1-\bar\alpha(t)}} . $$ {#eq:L36.6.4.pf_ode}

On Gaussian data it is linear and keeps the standardised value $(x - \sqrt{\bar\alpha}\mu_0)/\sqrt{v}$
fixed, so the map from $t = 1$ to $t_\epsilon$ is affine: $x_{t_\epsilon} = a + b\,x_1$ with
$b = \sqrt{v(t_\epsilon)/v(1)}$, $a = \sqrt{\bar\alpha(t_\epsilon)}\mu_0 - b\sqrt{\bar\alpha(1)}\mu_0$.
*/
static double beta_of(double t) { return 0.1 + 19.9 * t; }
static double abar_of(double t) { return exp(-(0.1 * t + 9.95 * t * t)); }
static double var_of(double t) { return abar_of(t) * S0 * S0 + 1.0 - abar_of(t); }

typedef struct {
    Gmm data;
    int form; /* 0: the PF-ODE, 1: the lecture's factor 2 (A37), 2: the lecture's sigma^2 form (A38) */
} Flow;

static double score_oracle(const Gmm *data, double x, double t) {
    const double ab = abar_of(t);
    double e;
    diff_oracle_eval(data, &x, ab, &e, NULL);
    //: $\nabla\log p_t = -\hat\epsilon^\star/\sqrt{1-\bar\alpha}$, eq. [eq:L36.6.4.pf_ode]
    return -e / sqrt(1.0 - ab);
}

static void flow_rhs(double t, const double *x, double *dxdt, int n, void *ctx) {
    const Flow *f = ctx;
    const double b = beta_of(t), ab = abar_of(t);
    for (int i = 0; i < n; i++) {
        const double s = score_oracle(&f->data, x[i], t);
        if (f->form == 0) {
            //: $-\frac12\beta(x + \nabla\log p_t)$, eq. [eq:L36.6.4.pf_ode]
            dxdt[i] = -0.5 * b * (x[i] + s);
        } else if (f->form == 1) {
            //: the lecture's $-\frac12\beta(x + 2\nabla\log p_t)$, eq. [eq:L36.6.4.lecture_factor2]
            dxdt[i] = -0.5 * b * (x[i] + 2.0 * s);
        } else {
            //: the lecture's $-\frac12\sigma^2\nabla\log p_t$ with $\sigma^2 = (1-\bar\alpha)/\bar\alpha$, eq. [eq:L36.6.4.lecture_sigma2]
            dxdt[i] = -0.5 * (1.0 - ab) / ab * s;
        }
    }
}

static double exact_endpoint(double x1) {
    const double b = sqrt(var_of(T_EPS) / var_of(1.0));
    return sqrt(abar_of(T_EPS)) * MU0 + b * (x1 - sqrt(abar_of(1.0)) * MU0);
}

static void pf_ode(Flow *f) {
    const double ex = exact_endpoint(X_1);
    check_close("L36.6.4.exact_endpoint", ex, 1.148447034140259, 1e-12, "L36.6.4.pf_ode",
                "exact PF-ODE endpoint at t = 1e-3 from x_1 = 1.3 (spec program 22)");
    const int ns[3] = {10, 100, 1000};
    const double spec[3] = {2.378e-4, 1.536e-8, 1.489e-12};
    double err[3];
    for (int k = 0; k < 3; k++) {
        double x = X_1;
        ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, T_EPS, ns[k], &x, 1);
        err[k] = fabs(x - ex);
        printf("  RK4, %4d steps: x = %.15f, error %.4e\n", ns[k], x, err[k]);
    }
    check_rel("L36.6.4.rk4_err_10", err[0], spec[0], 5e-2, "L36.6.4.pf_ode", "RK4 with 10 steps: error at t = 1e-3 (spec)");
    check_rel("L36.6.4.rk4_err_100", err[1], spec[1], 5e-2, "L36.6.4.pf_ode", "RK4 with 100 steps: error (spec)");
    check_le("L36.6.4.rk4_err_1000", err[2], 1e-11, 0, "L36.6.4.pf_ode",
             "RK4 with 1000 steps: error below 1e-11 (spec 1.489e-12; at this level rounding dominates)");
    check_in("L36.6.4.rk4_order", log10(err[0] / err[1]), 3.8, 4.3, "L36.6.4.pf_ode",
             "RK4: error ratio 10 -> 100 steps is about 10^4 (order 4)");
    const double tols[3] = {1e-3, 1e-6, 1e-9};
    double derr[3];
    long dnfe[3];
    for (int k = 0; k < 3; k++) {
        double x = X_1;
        OdeDopriOpts opt = {tols[k], tols[k], 0, 0};
        OdeStats st;
        //: eq. [eq:L36.6.4.pf_ode], adaptive Dormand-Prince 5(4) (the stand-in of the lecture's Tsit5)
        ode_dopri5(flow_rhs, f, 1.0, T_EPS, &x, 1, &opt, &st);
        derr[k] = fabs(x - ex);
        dnfe[k] = st.nfe;
        printf("  DOPRI5 rtol = atol = %.0e: error %.4e, NFE %ld (%ld accepted, %ld rejected steps)\n", tols[k], derr[k],
               st.nfe, st.accepted, st.rejected);
    }
    /* a local error controller bounds the error per step, not the global error: the bar is 10 tol */
    check_le("L36.6.4.dopri_err_1e-3", derr[0], 10 * tols[0], 0, "L36.6.4.pf_ode",
             "DOPRI5 at the lecture's rtol = atol = 1e-3: global error %.2e (NFE %ld) within 10 x tol", derr[0], dnfe[0]);
    check_le("L36.6.4.dopri_err_1e-6", derr[1], 10 * tols[1], 0, "L36.6.4.pf_ode",
             "DOPRI5 at rtol = atol = 1e-6: global error within 10 x tol (NFE %ld)", dnfe[1]);
    check_le("L36.6.4.dopri_err_1e-9", derr[2], 10 * tols[2], 0, "L36.6.4.pf_ode",
             "DOPRI5 at rtol = atol = 1e-9: global error within 10 x tol (NFE %ld)", dnfe[2]);
    double y0 = 0.0, y1 = 1.0;
    ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, T_EPS, 1000, &y0, 1);
    ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, T_EPS, 1000, &y1, 1);
    check_close("L36.6.4.map_intercept", y0, 0.498329, 1e-5, "L36.6.4.pf_ode", "PF-ODE map x_eps = a + b x_1: intercept a (spec)");
    check_close("L36.6.4.map_slope", y1 - y0, 0.500091, 1e-5, "L36.6.4.pf_ode", "PF-ODE map: slope b (spec)");
    check_close("L36.6.4.map_slope_exact", y1 - y0, sqrt(var_of(T_EPS) / var_of(1.0)), 1e-10, "L36.6.4.pf_ode",
                "slope b = sqrt(v(1e-3)/v(1)), the standardised value is invariant");
}

/*: ## 6.4 What the lecture wrote instead (ERRATA A37, A38)

The lecture's first equation,

$$ \frac{dx}{dt} = -\tfrac12\beta(t)\big(x + 2\nabla_x\log p_t(x)\big), $$ {#eq:L36.6.4.lecture_factor2}

is the drift of the *reverse-time SDE* $dx = [-\frac12\beta x - \beta\nabla\log p_t]dt + \sqrt\beta\,d\bar w$.
Without its noise it is not a sampler: integrated as an ODE it contracts every sample towards the
mode (on Gaussian data the map's slope is $\exp\int_{t_\epsilon}^{1}\frac12\beta(1 - 2/v)\,dt$ instead
of $\sqrt{v(t_\epsilon)/v(1)}$; the quadrature of that integral is an independent check of the
integration). Its "probability-flow ODE"

$$ \frac{dx}{dt} = -\tfrac12\sigma(t)^2\,\nabla_x\log p_t(x),\qquad \sigma^2 = \frac{1-\bar\alpha}{\bar\alpha}, $$ {#eq:L36.6.4.lecture_sigma2}

mixes the variance-exploding variable $\sigma^2$ (without its time derivative: the VE form is
$-\frac12\frac{d\sigma^2}{dt}\nabla\log p$) with the variance-preserving state and score; its code
also indexes $\bar\alpha$ at non-integer $t$ and at $t = 0$. Integrated (adaptively, at the
lecture's tolerances) it ends far from the flow's endpoint.
*/
static double slope_integrand(double t) { return 0.5 * beta_of(t) * (1.0 - 2.0 / var_of(t)); }

static void lecture_forms(Flow *f) {
    f->form = 1;
    double y0 = 0.0, y1 = 1.0;
    ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, T_EPS, 1000, &y0, 1);
    ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, T_EPS, 1000, &y1, 1);
    /* Simpson quadrature of the slope's exponent, 20000 intervals */
    const int m = 20000;
    double s = slope_integrand(T_EPS) + slope_integrand(1.0);
    for (int i = 1; i < m; i++) s += (i % 2 ? 4.0 : 2.0) * slope_integrand(T_EPS + i * (1.0 - T_EPS) / m);
    const double slope_quad = exp(s * (1.0 - T_EPS) / (3.0 * m));
    check_close("L36.6.4.factor2_slope_quad", y1 - y0, slope_quad, 1e-8, "L36.6.4.lecture_factor2",
                "factor-2 equation as an ODE: slope of the map (RK4) = exp of the quadrature of beta(1 - 2/v)/2");
    check_close("L36.6.4.factor2_intercept", y0, 0.499967, 1e-5, "L36.6.4.lecture_factor2",
                "factor-2 equation as an ODE: intercept (spec A37)");
    check_close("L36.6.4.factor2_slope", y1 - y0, 0.001644, 1e-5, "L36.6.4.lecture_factor2",
                "factor-2 equation as an ODE: slope (spec A37): the samples collapse onto the mean");
    check_erratum("L36.6.4.factor2_slope_map", y1 - y0, sqrt(var_of(T_EPS) / var_of(1.0)),
                  "A37: slope of the t = 1 -> 1e-3 map; the lecture's factor 2 collapses the spread (std 0.5 -> %.5f)",
                  y1 - y0);
    f->form = 2;
    double x = X_1;
    OdeDopriOpts opt = {1e-3, 1e-3, 0, 0};
    OdeStats st;
    const int rc = ode_dopri5(flow_rhs, f, 1.0, T_EPS, &x, 1, &opt, &st);
    printf("  lecture sigma^2-form, DOPRI5 rtol = atol = 1e-3: x_eps = %.6f (%s, NFE %ld, %ld rejected)\n", x,
           rc == 0 ? "reached t = 1e-3" : "gave up", st.nfe, st.rejected);
    check_ge("L36.6.4.sigma2_form_off", fabs(x - exact_endpoint(X_1)), 0.1, 0, "L36.6.4.lecture_sigma2",
             "the lecture's sigma^2-form ODE ends more than 0.1 from the exact endpoint (spec)");
    check_erratum("L36.6.4.sigma2_form_endpoint", x, exact_endpoint(X_1),
                  "A38: endpoint from x_1 = 1.3 of -sigma^2/2 grad log p with sigma^2 = (1-abar)/abar vs the PF-ODE");
    f->form = 0;
}

/*: ## 6.4 Score identity and DDIM as the discretised flow

Noise prediction is a rescaled score (FAQ Q1, 3.10): $\nabla\log p_t = -\hat\epsilon^\star/\sqrt{1-\bar\alpha}$.
Checked on a two-component mixture against the score of the noised mixture computed directly
(`gmm_score`, a different code). DDIM ($\eta = 0$) on the grid $t_k$ of $S$ equal steps in
$[t_\epsilon, 1]$ is the Euler method of the flow in $(\bar x, \bar\sigma)$ (program 26), so with
$S = 1000$ it lands within its $O(1/S)$ error of the exact endpoint.
*/
static void score_and_ddim(Flow *f) {
    Gmm mix = gmm_new(2, 1), noised = gmm_new(2, 1);
    const double ma = -0.7, mb = 1.1;
    gmm_set(&mix, 0, 0.3, &ma, NULL, 0.04);
    gmm_set(&mix, 1, 0.7, &mb, NULL, 0.09);
    gmm_normalise(&mix);
    double worst = 0;
    const double ts[3] = {0.05, 0.3, 0.8}, xs[4] = {-1.2, 0.0, 0.4, 2.0};
    for (int i = 0; i < 3; i++) {
        const double ab = abar_of(ts[i]), al = sqrt(ab);
        for (int k = 0; k < 2; k++) {
            const double m = al * mix.mean[k];
            gmm_set(&noised, k, exp(mix.log_weight[k]), &m, NULL, ab * mix.var[k] + 1.0 - ab);
        }
        for (int j = 0; j < 4; j++) {
            double e, g;
            diff_oracle_eval(&mix, &xs[j], ab, &e, NULL);
            gmm_score(&noised, &xs[j], &g);
            worst = fmax(worst, fabs(-e / sqrt(1.0 - ab) - g) / fmax(1.0, fabs(g)));
        }
    }
    check_close("L36.6.4.score_identity", worst, 0, 1e-12, "L36.6.4.pf_ode",
                "-eps*/sqrt(1-abar) = grad log p_t of the noised mixture (gmm_score), 3 times x 4 points");
    gmm_free(&mix);
    gmm_free(&noised);

    DiffOracle orc = {&f->data};
    DiffSolver ddim = {DIFF_SOLVER_DDIM, 0, diff_oracle_eps, &orc};
    const int Ss[2] = {500, 1000};
    double err[2], xs_end[2];
    DiffNode *nodes = xmalloc(sizeof(DiffNode) * 1001);
    for (int k = 0; k < 2; k++) {
        const int S = Ss[k];
        for (int i = 0; i <= S; i++) {
            const double t = 1.0 - (1.0 - T_EPS) * i / S;
            nodes[i] = (DiffNode){S - i + 1, abar_of(t)};
        }
        double x = X_1;
        diff_solve(&ddim, nodes, S + 1, &x, 1, 1);
        xs_end[k] = x;
        err[k] = fabs(x - exact_endpoint(X_1));
    }
    /* Richardson: a first-order error C/S cancels in 2 x_1000 - x_500, leaving O(1/S^2) */
    const double rich = 2.0 * xs_end[1] - xs_end[0];
    free(nodes);
    printf("  DDIM on the continuous schedule: S = 500 error %.4e, S = 1000 error %.4e\n", err[0], err[1]);
    check_le("L36.6.4.ddim_richardson", fabs(rich - exact_endpoint(X_1)), 0.05 * err[1], 0, "L36.3.9.3.pf_ode_bar",
             "DDIM converges to the PF-ODE endpoint: Richardson 2 x(S=1000) - x(S=500) is %.2e from it, "
             "< 5%% of DDIM's own error", fabs(rich - exact_endpoint(X_1)));
    check_in("L36.6.4.ddim_order", log2(err[0] / err[1]), 0.9, 1.1, "L36.3.9.3.pf_ode_bar",
             "DDIM error halves from S = 500 to 1000 (first order): log2 ratio");
}

/*: ## 6.4 SDE version: the reverse-time SDE, and same marginals with different paths

Reversing the forward SDE in time (Anderson 1982) gives

$$ dx = \big[-\tfrac12\beta(t)x - \beta(t)\nabla_x\log p_t(x)\big]dt + \sqrt{\beta(t)}\,d\bar w, $$ {#eq:L36.6.4.reverse_sde}

run from $t = 1$ down to $t_\epsilon$; Euler–Maruyama with step $\Delta$:
$x \leftarrow x + \Delta\big(\frac12\beta x + \beta\nabla\log p_t\big) + \sqrt{\beta\Delta}\,z$.
Started from $p_1$, both the SDE and the PF-ODE have the marginals $p_t$ at every $t$, but the
SDE reproduces the *joint* law of the forward paths, in which $x_1$ and $x_{t_\epsilon}$ are
almost independent (correlation $\sqrt{\bar\alpha(1)/\bar\alpha(t_\epsilon)}\sqrt{v(t_\epsilon)/v(1)}$),
while the ODE's endpoint is an increasing affine function of its start (correlation 1).
Each path draws from its own Philox stream (seed, path index).
*/
static void sde_vs_ode(const Cli *cli, Flow *f) {
    const long n = cli_scale(cli, 2000, 20000, 100000);
    const int S = 1000, K_MID = 500;
    const double dt = (1.0 - T_EPS) / S, t_mid = 1.0 - K_MID * dt;
    double *x1 = xmalloc(sizeof(double) * n), *x_sde = xmalloc(sizeof(double) * n), *x_ode = xmalloc(sizeof(double) * n);
    double *mid_sde = xmalloc(sizeof(double) * n), *mid_ode = xmalloc(sizeof(double) * n);
    enum { NP = 12 };
    static double path_sde[NP][1001], path_ode[NP][1001], tgrid[1001];
    for (int k = 0; k <= S; k++) tgrid[k] = 1.0 - k * dt;
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        //: $x_1 \sim p_1 = \mathcal N(\sqrt{\bar\alpha(1)}\mu_0, v(1))$, eq. [eq:L36.6.4.vp_sde]
        double x = sqrt(abar_of(1.0)) * MU0 + sqrt(var_of(1.0)) * rng_normal(&r);
        x1[i] = x;
        if (i < NP) path_sde[i][0] = x;
        for (int k = 0; k < S; k++) {
            const double t = tgrid[k], b = beta_of(t);
            //: Euler-Maruyama on eq. [eq:L36.6.4.reverse_sde], backwards in time
            x += dt * (0.5 * b * x + b * score_oracle(&f->data, x, t)) + sqrt(b * dt) * rng_normal(&r);
            if (k + 1 == K_MID) mid_sde[i] = x;
            if (i < NP) path_sde[i][k + 1] = x;
        }
        x_sde[i] = x;
    }
    /* the PF-ODE from the same starts: RK4, 50 steps to t_mid then 50 to t_eps, all paths at once */
    memcpy(x_ode, x1, sizeof(double) * n);
    //: eq. [eq:L36.6.4.pf_ode] by RK4, vectorised over the n paths
    ode_solve_fixed(ODE_RK4, flow_rhs, f, 1.0, t_mid, 50, x_ode, (int)n);
    memcpy(mid_ode, x_ode, sizeof(double) * n);
    ode_solve_fixed(ODE_RK4, flow_rhs, f, t_mid, T_EPS, 50, x_ode, (int)n);
    double path_x[NP];
    for (int i = 0; i < NP; i++) path_x[i] = x1[i], path_ode[i][0] = x1[i];
    for (int k = 0; k < S; k++) {
        ode_solve_fixed(ODE_RK4, flow_rhs, f, tgrid[k], tgrid[k + 1], 1, path_x, NP);
        for (int i = 0; i < NP; i++) path_ode[i][k + 1] = path_x[i];
    }

    const double m_end = sqrt(abar_of(T_EPS)) * MU0, sd_end = sqrt(var_of(T_EPS));
    const double m_mid = sqrt(abar_of(t_mid)) * MU0, v_mid = var_of(t_mid);
    MomentsSe se = moments_se(x_sde, (size_t)n), so = moments_se(x_ode, (size_t)n);
    MomentsSe sm = moments_se(mid_sde, (size_t)n), om = moments_se(mid_ode, (size_t)n);
    check_mc("L36.6.4.sde_mean", se.mean, m_end, se.se_mean, 4, n, "L36.6.4.reverse_sde",
             "reverse SDE (Euler-Maruyama, 1000 steps): mean at t = 1e-3 vs sqrt(abar) mu0 (spec: 0.5005)");
    check_mc("L36.6.4.sde_std", sqrt(se.var), sd_end, se.se_var / (2 * sqrt(se.var)), 4, n, "L36.6.4.reverse_sde",
             "reverse SDE: std at t = 1e-3 vs sqrt(v) (spec: 0.5023)");
    check_mc("L36.6.4.mid_mean_sde", sm.mean, m_mid, sm.se_mean, 4, n, "L36.6.4.vp_sde",
             "SDE paths at t = %.4f: mean vs the marginal p_t", t_mid);
    check_mc("L36.6.4.mid_var_sde", sm.var, v_mid, sm.se_var, 4, n, "L36.6.4.vp_sde", "SDE paths at t = %.4f: variance vs v(t)", t_mid);
    check_mc("L36.6.4.mid_mean_ode", om.mean, m_mid, om.se_mean, 4, n, "L36.6.4.vp_sde",
             "PF-ODE paths at t = %.4f: mean vs the marginal p_t", t_mid);
    check_mc("L36.6.4.mid_var_ode", om.var, v_mid, om.se_var, 4, n, "L36.6.4.vp_sde", "PF-ODE paths at t = %.4f: variance vs v(t)", t_mid);
    check_mc("L36.6.4.end_var_ode", so.var, sd_end * sd_end, so.se_var, 4, n, "L36.6.4.pf_ode", "PF-ODE paths at t = 1e-3: variance vs v(t)");
    /* path correlations between the start x_1 and the end */
    double c_sde = 0, c_ode = 0, v1 = 0, vs = 0, vo = 0, m1 = 0, ms = 0, mo = 0;
    for (long i = 0; i < n; i++) m1 += x1[i], ms += x_sde[i], mo += x_ode[i];
    m1 /= n, ms /= n, mo /= n;
    for (long i = 0; i < n; i++) {
        c_sde += (x1[i] - m1) * (x_sde[i] - ms), c_ode += (x1[i] - m1) * (x_ode[i] - mo);
        v1 += (x1[i] - m1) * (x1[i] - m1), vs += (x_sde[i] - ms) * (x_sde[i] - ms), vo += (x_ode[i] - mo) * (x_ode[i] - mo);
    }
    const double r_sde = c_sde / sqrt(v1 * vs), r_ode = c_ode / sqrt(v1 * vo);
    const double r_exact = sqrt(abar_of(1.0) / abar_of(T_EPS)) * sqrt(var_of(T_EPS) / var_of(1.0));
    check_mc("L36.6.4.sde_path_corr", r_sde, r_exact, (1 - r_exact * r_exact) / sqrt((double)n), 4, n, "L36.6.4.reverse_sde",
             "SDE: correlation of x_1 and x_eps vs the forward process's %.5f: the end forgets the start", r_exact);
    check_close("L36.6.4.ode_path_corr", r_ode, 1.0, 1e-9, "L36.6.4.pf_ode",
                "PF-ODE: correlation of x_1 and x_eps is 1 (the flow map is affine and increasing)");

    Plot *p = plot_new_grid(1, 2, 1100, 440, "Same marginals, different paths (Gaussian data, VP beta 0.1 -> 20)");
    const char *titles[2] = {"probability-flow ODE (RK4)", "reverse SDE (Euler-Maruyama)"};
    for (int panel = 0; panel < 2; panel++) {
        plot_panel(p, panel);
        plot_title(p, titles[panel]);
        for (int i = 0; i < NP; i++) {
            PlotSeries *s = plot_line(p, tgrid, panel ? path_sde[i] : path_ode[i], S + 1, NULL);
            plot_series_width(s, 1.2);
        }
        plot_xlim(p, 0.0, 1.0);
        plot_ylim(p, -3.2, 3.2);
        plot_xlabel(p, "t (paths run from t = 1 down to 0)");
        plot_ylabel(p, "x_t");
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "pf_ode_vs_sde_paths.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(x1), free(x_sde), free(x_ode), free(mid_sde), free(mid_ode);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 6.4: probability-flow ODE vs reverse SDE on a continuous VP process", 28, NULL);
    Flow f = {gmm_new(1, 1), 0};
    gmm_set(&f.data, 0, 1.0, &MU0, NULL, S0 * S0);
    pf_ode(&f);
    lecture_forms(&f);
    score_and_ddim(&f);
    sde_vs_ode(&cli, &f);
    gmm_free(&f.data);
    return check_end();
}
