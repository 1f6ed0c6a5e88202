/*: # L42 6.9–6.13 — The course in one line: score ≡ diffusion ≡ flow ≡ EBM ≡ OT, on one Gaussian

**Lecture 42, Part 2, epilogue** (6.9 the table of lectures 33–42, 6.10 the unified world view,
6.13 the mind map, the closing "paradigm question") with spec §3 item 30. The lecture claims that
every paradigm of the course builds the *same* object — a map from noise to data. On the
smallest example where every route is exact, target $\mathcal N(m, s^2)$ with $m = 2$, $s = 0.5$
from $\mathcal N(0, 1)$, this program computes the map five ways and compares them:

1. optimal transport (monotone rearrangement of the two CDFs, solved numerically),
2. the flow-matching ODE with its exact velocity (RK4),
3. the probability-flow ODE of the standard VP diffusion, driven by the exact score (RK4),
4. the consistency function $f(\cdot, 1)$ of a linear-$\bar\alpha$ schedule, obtained by
   integrating its ODE, against its closed form,
5. Langevin dynamics on the energy $E = -\log p$ (common/langevin, one Philox stream per chain).

They agree where the mathematics says they must (1 = 2 to 1e-6), and differ by exactly what the
schedules' imperfect endpoints predict where they must not (3 and 4 start from a marginal that is
*almost* $\mathcal N(0,1)$). The course table and the concept graph are printed as text, and the
paradigm question gets numbers: for three interpolant schedules, how far one Euler step lands
from the target and how many steps reach a given accuracy (`schedule_euler.png`).

Run: `build/release/bin/lectures/42_unified/24_course_summary_equivalence [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $m, s$ (target mean, std) | `DATA_M`, `DATA_S` | scalar |
| $T(x)$ OT map | `ot_map` | scalar |
| $x_t = a(t)x_0 + b(t)z$ | `Schedule` (`a`, `b`, `da`, `db`) | functions |
| $v(t, x)$ exact velocity | `exact_velocity` | scalar |
| $\bar\alpha(t)$, $\beta(t)$ (VP) | `vp_abar`, `vp_beta` | scalar |
| $f(x, t)$ consistency function | `consistency_closed` | scalar |
| $E(x) = -\log p(x)$ | `energy_score` (its $-\nabla E$) | scalar |
| $\eta$ Langevin step | `ETA` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/langevin.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double DATA_M = 2.0, DATA_S = 0.5, ETA = 0.01;

/*: ## 6.9 Looking back: lectures 33–42

The lecture's retrospective table, printed as the program's first output (titles and one-line
insights paraphrased). Its last row is the claim this program tests: *every generative model is
a stochastic interpolant* — a path between data and noise plus a rule for travelling it.
*/
static void section_course_table(void) {
    static const char *rows[][3] = {
        {"33", "normalizing flows", "an invertible map and its Jacobian give the exact likelihood"},
        {"34", "energy-based models", "p(x) proportional to exp(-E(x)): any model read as an energy"},
        {"35", "score-based models", "learn grad log p directly; Langevin samples with it"},
        {"36", "DDPM", "denoising is score matching on a discrete noise ladder"},
        {"37", "score SDE", "the continuous-time limit: forward SDE, reverse SDE, PF-ODE"},
        {"38", "flow matching", "regress a velocity field: the deterministic side of diffusion"},
        {"39", "latent diffusion", "diffuse in an autoencoder's latent space to scale up"},
        {"40", "consistency models", "distil the ODE's solution map into one step"},
        {"41", "world models", "generation as prediction in space and time"},
        {"42", "unified theory", "all of the above as interpolants between data and noise"},
    };
    printf("Course IV, lectures 33-42 (6.9):\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("  L%s  %-20s %s\n", rows[i][0], rows[i][1], rows[i][2]);
}

/*: ## 6.10 and 6.13 The unified world view, as a graph

The lecture draws two figures: a three-level graph (data and noise; four paradigms connecting
them; three unifying principles — interpolants, energy minimisation, optimal transport) and a
mind map of the model families. Both are printed as edge lists. The rest of this program checks
the graph's central claim on an example where every edge can be computed exactly.
*/
static void section_world_view(void) {
    static const char *paradigms[] = {"likelihood (VAE, flow, AR)", "implicit (GAN)",
                                      "score (diffusion)", "flow (flow matching)"};
    printf("\nThe unified world view (6.10), edges of the lecture's graph:\n");
    for (int i = 0; i < 4; i++)
        printf("  data -> %-28s noise -> %-28s %s -> interpolants\n", paradigms[i], paradigms[i], paradigms[i]);
    printf("  interpolants I_t = a_t x0 + b_t x1 + g_t eps -> energy E = -log p\n");
    printf("  interpolants -> optimal transport W2(p_data, p_theta);  energy -> optimal transport\n");
    printf("Mind map (6.13): likelihood: VAE{standard, beta, VQ, FSQ} flow{discrete, CNF, FM, RF} "
           "AR{PixelCNN, transformer, VAR, MAR}; implicit: GAN{vanilla, WGAN, StyleGAN, R3GAN}; "
           "score: diffusion{DDPM, DDIM, SDE, LDM, CM}; unified{interpolants, energy matching, "
           "Wasserstein flow, DiffFlow}; world{JEPA, V-JEPA, Transfusion}\n\n");
}

/*: ## 6.10 (1) Optimal transport: the monotone rearrangement

In one dimension the $W_2$-optimal map between two laws is the increasing one that matches
quantiles, $T = F_p^{-1}\circ F_q$. For two Gaussians it is affine,

$$ T(x) = F_{\mathcal N(m,s^2)}^{-1}\big(\Phi(x)\big) = m + s\,x . $$ {#eq:L42.6.10.ot_map}

The program does not use the closed form: it evaluates $\Phi(x)$ with `erfc` and solves
$F_{\mathcal N(m,s^2)}(y) = \Phi(x)$ for $y$ by Newton's method, then compares with $m + sx$.
*/
static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

static double ot_map(double x) {
    const double target = normal_cdf(x);
    double y = DATA_M;
    for (int it = 0; it < 100; it++) {
        //: Newton on $F_p(y) - \Phi(x) = 0$, [eq:L42.6.10.ot_map]
        double r = normal_cdf((y - DATA_M) / DATA_S) - target;
        double dens = exp(-0.5 * (y - DATA_M) * (y - DATA_M) / (DATA_S * DATA_S)) / (DATA_S * sqrt(2 * M_PI));
        double step = r / dens;
        y -= step;
        if (fabs(step) < 1e-15 * (1 + fabs(y))) break;
    }
    return y;
}

static void section_ot(void) {
    double worst = 0;
    for (int i = 0; i <= 60; i++) {
        double x = -3.0 + 0.1 * i;
        worst = fmax(worst, fabs(ot_map(x) - (DATA_M + DATA_S * x)));
    }
    check_close("L42.6.10.ot_map", worst, 0.0, 1e-12, "L42.6.10.ot_map",
                "monotone rearrangement by CDF inversion (Newton) vs m + s x, max over x in [-3, 3] (61 points)");
}

/*: ## Interpolant schedules and their exact velocity

A (deterministic-endpoint) interpolant puts $x_t = a(t)\,x_0 + b(t)\,z$ with $x_0\sim\mathcal N(m, s^2)$
the data and $z\sim\mathcal N(0,1)$ the noise. The velocity whose ODE transports the marginals is
the conditional mean of $\dot x_t$; everything is jointly Gaussian, so it is affine:

$$ v(t, x) = \dot a\,m + \frac{a\dot a\,s^2 + b\dot b}{a^2 s^2 + b^2}\,\big(x - a\,m\big). $$ {#eq:L42.6.10.interp_velocity}

Flow matching is $a = 1 - t$, $b = t$; the trigonometric row of 6.1 is $a = \cos\frac{\pi t}{2}$,
$b = \sin\frac{\pi t}{2}$; the one-sided DDPM/VP row is $a = \sqrt{\bar\alpha(t)}$,
$b = \sqrt{1 - \bar\alpha(t)}$. Integrating $\dot x = v$ from the noise end to the data end with
RK4 in double precision gives each schedule's map.
*/
typedef struct {
    const char *name;
    double (*a)(double t), (*b)(double t), (*da)(double t), (*db)(double t);
    double t_noise, t_data; /* integrate from t_noise to t_data */
} Schedule;

static double fm_a(double t) { return 1 - t; }
static double fm_b(double t) { return t; }
static double fm_da(double t) { (void)t; return -1; }
static double fm_db(double t) { (void)t; return 1; }
static double trig_a(double t) { return cos(M_PI_2 * t); }
static double trig_b(double t) { return sin(M_PI_2 * t); }
static double trig_da(double t) { return -M_PI_2 * sin(M_PI_2 * t); }
static double trig_db(double t) { return M_PI_2 * cos(M_PI_2 * t); }

/* The standard VP diffusion (beta_min = 0.1, beta_max = 20), lecture 37's schedule. */
static double vp_beta(double t) { return 0.1 + 19.9 * t; }
static double vp_abar(double t) { return exp(-(0.1 * t + 9.95 * t * t)); }
static double vp_a(double t) { return sqrt(vp_abar(t)); }
static double vp_b(double t) { return sqrt(1 - vp_abar(t)); }
static double vp_da(double t) { return -0.5 * vp_beta(t) * vp_a(t); }
static double vp_db(double t) { return 0.5 * vp_beta(t) * vp_abar(t) / vp_b(t); }

static double exact_velocity(const Schedule *sc, double t, double x) {
    double a = sc->a(t), b = sc->b(t), da = sc->da(t), db = sc->db(t);
    //: [eq:L42.6.10.interp_velocity]
    return da * DATA_M + (a * da * DATA_S * DATA_S + b * db) / (a * a * DATA_S * DATA_S + b * b) * (x - a * DATA_M);
}

static void schedule_rhs(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)n;
    dydt[0] = exact_velocity(ctx, t, y[0]);
}

/* RK4 (rk4 = 1) or Euler (rk4 = 0) from sc->t_noise to sc->t_data in `steps` steps (common/ode). */
static double schedule_map(const Schedule *sc, double x, int steps, int rk4) {
    ode_solve_fixed(rk4 ? ODE_RK4 : ODE_EULER, schedule_rhs, (void *)sc, sc->t_noise, sc->t_data, steps, &x, 1);
    return x;
}

static const Schedule FM = {"flow matching (1-t, t)", fm_a, fm_b, fm_da, fm_db, 1.0, 0.0};
static const Schedule TRIG = {"trigonometric (cos, sin)", trig_a, trig_b, trig_da, trig_db, 1.0, 0.0};
static const Schedule VP = {"VP diffusion (sqrt abar, sqrt(1-abar))", vp_a, vp_b, vp_da, vp_db, 1.0, 1e-9};

/*: ## 6.10 (2) Flow matching: the same map as OT

With $a(1) = 0$, $b(1) = 1$ the flow-matching ODE starts exactly at $\mathcal N(0, 1)$ and, being
a monotone map in 1-D that pushes $\mathcal N(0,1)$ to $\mathcal N(m, s^2)$, it must *be* the OT map.
*/
static void section_fm(void) {
    double worst = 0;
    for (int i = 0; i <= 60; i++) {
        double x = -3.0 + 0.1 * i;
        worst = fmax(worst, fabs(schedule_map(&FM, x, 200, 1) - ot_map(x)));
    }
    check_close("L42.6.10.fm_vs_ot", worst, 0.0, 1e-6, "L42.6.10.interp_velocity",
                "flow-matching ODE map (exact velocity, RK4-200, t: 1 -> 0) vs the OT map, max over 61 points");
}

/*: ## 6.10 (3) Score ≡ diffusion: the VP probability-flow ODE

The standard VP SDE ($\beta(t) = 0.1 + 19.9t$, $\bar\alpha(t) = e^{-\int_0^t\beta}$) has marginals
$\mathcal N(\sqrt{\bar\alpha_t}\,m,\ \bar\alpha_t s^2 + 1 - \bar\alpha_t)$ and the deterministic
probability-flow ODE

$$ \frac{dx}{dt} = -\tfrac12\beta(t)\Big[x + \nabla_x\log p_t(x)\Big],\qquad
   \nabla_x\log p_t(x) = -\frac{x - \sqrt{\bar\alpha_t}\,m}{\bar\alpha_t s^2 + 1 - \bar\alpha_t}. $$ {#eq:L42.6.10.pf_ode}

This route uses the score, not the interpolant velocity. Run backwards from $t = 1$, the ODE maps
the $t = 1$ marginal $\mathcal N(\mu_1, \sigma_1^2)$ onto the data, so started from $x$ it returns
$m + s(x - \mu_1)/\sigma_1$ — *not quite* the OT map, because $\bar\alpha(1) = e^{-10.05}$ is not 0:
$\mu_1 = 0.0131432$, $\sigma_1^2 = 0.9999676$ (spec §3 item 30).
*/
static double vp_score(double t, double x) {
    double ab = vp_abar(t);
    return -(x - sqrt(ab) * DATA_M) / (ab * DATA_S * DATA_S + 1 - ab);
}

static void pf_rhs(double t, const double *x, double *dxdt, int n, void *ctx) {
    (void)n, (void)ctx;
    //: [eq:L42.6.10.pf_ode]
    dxdt[0] = -0.5 * vp_beta(t) * (x[0] + vp_score(t, x[0]));
}

static double pf_map(double x, int steps) {
    ode_solve_fixed(ODE_RK4, pf_rhs, NULL, 1.0, 0.0, steps, &x, 1);
    return x;
}

static void section_pf_ode(void) {
    const double ab1 = vp_abar(1.0), mu1 = sqrt(ab1) * DATA_M, sd1 = sqrt(ab1 * DATA_S * DATA_S + 1 - ab1);
    double worst = 0, worst_ot = 0;
    for (int i = 0; i <= 60; i++) {
        double x = -3.0 + 0.1 * i, y = pf_map(x, 1000);
        worst = fmax(worst, fabs(y - (DATA_M + DATA_S * (x - mu1) / sd1)));
        worst_ot = fmax(worst_ot, fabs(y - ot_map(x)));
    }
    printf("VP marginal at t = 1: mean %.7f, variance %.7f (spec 0.0131432, 0.9999676)\n", mu1, sd1 * sd1);
    check_close("L42.6.10.pf_vs_affine", worst, 0.0, 1e-5, "L42.6.10.pf_ode",
                "VP PF-ODE map (exact score, RK4-1000, t: 1 -> 0) vs m + s(x - mu_1)/sigma_1, max over 61 points");
    printf("VP PF-ODE map vs the OT map: max difference %.3e (the offset s mu_1 = %.3e from abar(1) > 0)\n",
           worst_ot, DATA_S * mu1);
}

/*: ## 6.10 (4) Consistency models: the solution map in closed form

Lecture 40's consistency function maps any point of a trajectory to its end. With
$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,z$ and Gaussian data it is the affine map
that standardises the marginal at $t$ and rescales to the data:

$$ f(x, t) = m + s\,\frac{x - \sqrt{\bar\alpha_t}\,m}{\sqrt{\bar\alpha_t s^2 + 1 - \bar\alpha_t}},\qquad
   \bar\alpha(t) = \max(1 - t,\ 10^{-4}). $$ {#eq:L42.6.10.consistency}

The independent route integrates the ODE of this path. Near $t = 1$ the linear $\bar\alpha$ makes
$d\sqrt{1 - \bar\alpha}/dt$ blow up, so the path is re-parametrised by the angle $\varphi$ with
$\sqrt{\bar\alpha} = \sin\varphi$, $\sqrt{1 - \bar\alpha} = \cos\varphi$ (same path, smooth
velocity [eq:L42.6.10.interp_velocity]), from $\varphi_1 = \arcsin 0.01$ to $\pi/2$ with RK4.
Because $\bar\alpha(1) = 10^{-4}$, $f(\cdot, 1)$ is $0.01$ away from the OT map.
*/
static double cm_a(double p) { return sin(p); }
static double cm_b(double p) { return cos(p); }
static double cm_da(double p) { return cos(p); }
static double cm_db(double p) { return -sin(p); }

static double consistency_closed(double x, double t) {
    double ab = fmax(1 - t, 1e-4);
    //: [eq:L42.6.10.consistency]
    return DATA_M + DATA_S * (x - sqrt(ab) * DATA_M) / sqrt(ab * DATA_S * DATA_S + 1 - ab);
}

static void section_consistency(void) {
    const Schedule cm = {"consistency path (angle)", cm_a, cm_b, cm_da, cm_db, asin(0.01), M_PI_2};
    double worst = 0;
    for (int i = 0; i <= 60; i++) {
        double x = -3.0 + 0.1 * i;
        worst = fmax(worst, fabs(schedule_map(&cm, x, 2000, 1) - consistency_closed(x, 1.0)));
    }
    check_close("L42.6.10.cm_affine", worst, 0.0, 1e-12, "L42.6.10.consistency",
                "consistency f(x, 1) by its ODE (angle form, RK4-2000) vs the closed form, max over 61 points");
    double f0 = schedule_map(&cm, 0.0, 2000, 1), f1 = schedule_map(&cm, 1.0, 2000, 1);
    check_close("L42.6.10.cm_offset", f0 - ot_map(0.0), -0.0100004, 1e-7, "L42.6.10.consistency",
                "f(0, 1) - T(0): the offset from abar(1) = 1e-4 (spec -0.0100004)");
    check_close("L42.6.10.cm_slope", f1 - f0, 0.5000188, 1e-7, "L42.6.10.consistency",
                "slope of f(., 1) (spec 0.5000188; the OT map's is 0.5)");
}

/*: ## 6.10 (5) Energy ≡ score: Langevin dynamics on $E = -\log p$

An energy-based reading of the same target is $E(x) = (x - m)^2/(2s^2)$, whose negative gradient
is the score. The unadjusted Langevin algorithm (common/langevin)

$$ x_{k+1} = x_k - \eta\,\nabla E(x_k) + \sqrt{2\eta}\,z_k = x_k + \eta\,\frac{m - x_k}{s^2} + \sqrt{2\eta}\,z_k $$ {#eq:L42.6.10.ula}

is a Gaussian AR(1) chain, so its law after $K$ steps from $\mathcal N(0,1)$ is known exactly:
with $\rho = 1 - \eta/s^2$, mean $m + \rho^K(0 - m)$ and variance $v_{k+1} = \rho^2 v_k + 2\eta$. The
checks: the Monte Carlo chains against that law ($4$ standard errors), and the law against the
target within $0.02$ (spec). The stationary std $\sqrt{2\eta/(1-\rho^2)} = 0.50508$ is the
$O(\eta)$ bias of an unadjusted sampler.
*/
static void energy_score(const double *x, size_t n, size_t dim, double sigma, double *out, void *ctx) {
    (void)sigma, (void)ctx;
    //: $-\nabla E(x) = (m - x)/s^2$, [eq:L42.6.10.ula]
    for (size_t i = 0; i < n * dim; i++) out[i] = (DATA_M - x[i]) / (DATA_S * DATA_S);
}

static void section_langevin(const Cli *cli) {
    const size_t n = (size_t)cli_scale(cli, 4000, 20000, 100000), steps = (size_t)cli_scale(cli, 1000, 1000, 5000);
    double *x = xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 1, i);
        x[i] = rng_normal(&r);
    }
    LangevinParams lp;
    langevin_params_init(&lp, n, 1, energy_score, NULL);
    lp.step_size = ETA, lp.n_steps = steps, lp.seed = cli->seed, lp.n_threads = cli->threads;
    LangevinResult res;
    if (langevin_run(&lp, x, &res) != LANGEVIN_OK) die("langevin: %s", res.message);
    const double rho = 1 - ETA / (DATA_S * DATA_S);
    double mean = 0, var = 1;
    for (size_t k = 0; k < steps; k++) {
        //: the chain's exact law, [eq:L42.6.10.ula]
        mean = DATA_M + rho * (mean - DATA_M), var = rho * rho * var + 2 * ETA;
    }
    double se_m, se_v, *sq = xmalloc(n * sizeof *sq);
    double m_hat = stats_mean_se(x, n, &se_m);
    for (size_t i = 0; i < n; i++) sq[i] = (x[i] - mean) * (x[i] - mean);
    double v_hat = stats_mean_se(sq, n, &se_v);
    check_mc("L42.6.10.langevin_mean_mc", m_hat, mean, se_m, 4.0, (long)n, "L42.6.10.ula",
             "mean of %zu ULA chains after %zu steps (eta = 0.01) vs the chain's exact law", n, steps);
    check_mc("L42.6.10.langevin_var_mc", v_hat, var, se_v, 4.0, (long)n, "L42.6.10.ula",
             "variance of the chains about the exact mean vs the chain's exact law");
    check_close("L42.6.10.langevin_mean", mean, DATA_M, 0.02, "L42.6.10.ula",
                "Langevin on E = -log p: mean of the chain law after %zu steps vs the target 2 (spec tol 0.02)", steps);
    check_close("L42.6.10.langevin_std", sqrt(var), DATA_S, 0.02, "L42.6.10.ula",
                "... and its std vs 0.5 (ULA's stationary std %.5f: the O(eta) bias)", sqrt(2 * ETA / (1 - rho * rho)));
    printf("Langevin Monte Carlo: mean %.4f +- %.4f, std %.4f (n = %zu)\n", m_hat, se_m, sqrt(v_hat), n);
    free(x), free(sq);
}

/*: ## The paradigm question: which schedule $(a_t, b_t)$?

The lecture ends by asking for the optimal schedule. For Gaussian data one measurable answer is
how straight the paths are: with a perfectly straight field one Euler step is exact. The program
integrates each schedule's exact ODE with $K$ Euler steps from the noise end and reports the
$W_2$ distance of the resulting Gaussian from the target (the map is affine $x\mapsto\alpha+\gamma x$,
so $W_2^2 = (\alpha - m)^2 + (\gamma - s)^2$), for $K = 1, 2, 4, \dots, 256$. These are printed
numbers, not checks: which schedule is "optimal" depends on the criterion, and that is the question.
Two things they show: the straight flow-matching path has the smallest one-step error (0.5, only
the variance is wrong), but the VP path, whose velocity varies fastest where the noise is large,
catches up at moderate $K$; and the VP column cannot go to 0, because its $t = 1$ marginal is not
exactly $\mathcal N(0,1)$ (the $6.6\cdot10^{-3}$ offset of the PF-ODE section), so its error stops
falling and even rises once the discretisation error has cancelled part of that offset.
*/
static double euler_w2(const Schedule *sc, int steps) {
    double a0 = schedule_map(sc, 0.0, steps, 0), a1 = schedule_map(sc, 1.0, steps, 0);
    return sqrt((a0 - DATA_M) * (a0 - DATA_M) + (a1 - a0 - DATA_S) * (a1 - a0 - DATA_S));
}

static void section_paradigm_question(const Cli *cli) {
    const Schedule *sc[3] = {&FM, &TRIG, &VP};
    enum { NK = 9 };
    double ks[NK], w2[3][NK];
    printf("\nParadigm question: W2(Euler-K map output, target) for Gaussian data\n  K   ");
    for (int s = 0; s < 3; s++) printf("%-40s", sc[s]->name);
    printf("\n");
    for (int i = 0; i < NK; i++) {
        ks[i] = (double)(1 << i);
        printf("  %-4d", 1 << i);
        for (int s = 0; s < 3; s++) {
            w2[s][i] = euler_w2(sc[s], 1 << i);
            printf("%-40.3e", w2[s][i]);
        }
        printf("\n");
    }
    Plot *p = plot_new(720, 480, "Euler steps needed per schedule (Gaussian data)");
    const PlotColor col[3] = {PLOT_BLUE, PLOT_RED, PLOT_GREEN};
    for (int s = 0; s < 3; s++) {
        PlotSeries *ser = plot_line(p, ks, w2[s], NK, sc[s]->name);
        plot_series_color(ser, col[s]);
    }
    plot_ylog(p, 1);
    plot_xlabel(p, "Euler steps K (1 ... 256)");
    plot_ylabel(p, "W2 to N(2, 0.5^2)");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "schedule_euler.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.9-6.13: course summary; OT = FM = PF-ODE = consistency = Langevin on one Gaussian", 4224, NULL);
    section_course_table();
    section_world_view();
    section_ot();
    section_fm();
    section_pf_ode();
    section_consistency();
    section_langevin(&cli);
    section_paradigm_question(&cli);
    return check_end();
}
