/*: # L42 4.3 — Flow matching and rectified flow, integrated in the right direction

**Lecture 42, Part 2, section 4.3** (`FlowMatching`, `RectifiedFlow`), with spec §3 item 12 and
errata B9 (sampling direction) and B10 (`reflow` is an empty stub). Flow matching learns a
velocity field $v_\theta(x, t)$ whose ODE carries noise to data; the lecture puts data at $t = 0$
and noise at $t = 1$, so sampling must *start at $t = 1$ and integrate backwards* — the lecture's
sampler starts at $t = 0$ and goes forwards, which on Gaussian data turns $\mathcal N(2, 0.5^2)$
into $\mathcal N(-4, 2^2)$.

What you will see: the exact velocity of Gaussian data integrated both ways (the correct map
$x\mapsto 2 + 0.5x$, the lecture's $x\mapsto 2x - 4$), the same with 50 Euler steps; the
probability-flow likelihood $\log p_0$ of the exact field against the closed form; a velocity MLP
trained through `common/genmodel`'s loop on 8 Gaussians, checked by MMD against held-out data
(with the bar of two independent data samples and the best Gaussian), mode coverage, and its
PF-ODE likelihood (exact 2-D divergence by autodiff) through $\mathrm{KL}(p\Vert q)\ge 0$;
then one reflow (B10) and what it buys: straighter paths and better one-step samples.
Figures: `fm_samples.png` (data, 50-step FM, 1-step before/after reflow), `fm_trajectories.png`.

Run: `build/release/bin/lectures/42_unified/08_flow_matching_rectified [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_0$ (data), $x_1$ (noise) | `x0`, `x1` | (n, 2) |
| $t$ | `t` | (n) |
| $x_t = (1-t)x_0 + t x_1$ | `x_t` | (n, 2) |
| $u_t = x_1 - x_0$ | `u` | (n, 2) |
| $v_\theta(x, t)$ | `gm_fm_velocity`, `GmFm.net` (common/gm_fm.h) | (n, 2) |
| $b(t, x)$ exact (Gaussian data) | `exact_velocity` | scalar |
| straightness $S$ | `straightness` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/gauss.h"
#include "common/genmodel.h"
#include "common/gm_fm.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/toy2d_plot.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

static const double DATA_M = 2.0, DATA_S = 0.5, SIGMA_MIN = 0.001;

/*: ## 4.3 The conditional path and the exact velocity of Gaussian data

With $x_0$ from the data, $x_1\sim\mathcal N(0, 1)$ and $t\sim U(0,1)$ the lecture's path and
target are

$$ x_t = (1-t)\,x_0 + t\,x_1,\qquad u_t = \frac{d x_t}{dt} = x_1 - x_0,\qquad
   \mathcal L_\text{FM} = \mathbb E\,\lVert v_\theta(x_t, t) - u_t\rVert^2 . $$ {#eq:L42.4.3.fm_loss}

Its minimiser is the conditional mean $b(t, x) = \mathbb E[u_t\mid x_t = x]$. For $x_0\sim\mathcal N(m, s^2)$
all quantities are jointly Gaussian, so $b$ is affine:

$$ b(t, x) = -m + \frac{t - (1-t)s^2}{(1-t)^2 s^2 + t^2}\,\big(x - (1-t)m\big). $$ {#eq:L42.4.3.fm_exact_velocity}

The ODE $\dot x = b(t, x)$ transports the law of $x_t$ along $t$: from $t = 1$ (noise) to
$t = 0$ it produces data. The lecture's sampler runs $t: 0\to1$ from noise (B9), i.e. it treats
noise as if it were data and pushes it *towards* noise. ($\sigma_\text{min} = 0.001$ is declared
by the lecture and never used; it is unused here too.)
*/
static double exact_velocity(double t, double x) {
    //: [eq:L42.4.3.fm_exact_velocity]
    double var = (1 - t) * (1 - t) * DATA_S * DATA_S + t * t, cov = t - (1 - t) * DATA_S * DATA_S;
    return -DATA_M + cov / var * (x - (1 - t) * DATA_M);
}

static double exact_divergence(double t) {
    return (t - (1 - t) * DATA_S * DATA_S) / ((1 - t) * (1 - t) * DATA_S * DATA_S + t * t);
}

/* the augmented field (x, int div b) -> (b(t, x), div b(t)) for common/ode */
static void exact_field(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)n, (void)ctx;
    dydt[0] = exact_velocity(t, y[0]);
    dydt[1] = exact_divergence(t);
}

/* Integrate dx/dt = b from t0 to t1 in `steps` steps (RK4 or Euler) through common/ode; also the
   integral of the divergence along the way (for the likelihood). */
static double integrate_exact(double x, double t0, double t1, int steps, int rk4, double *div_int) {
    double y[2] = {x, 0.0};
    //: RK4 [eq:common.ode.rk4], or the lecture's step $x \leftarrow x + v\,\Delta t$, [eq:L42.4.8.flow_step]
    ode_solve_fixed(rk4 ? ODE_RK4 : ODE_EULER, exact_field, NULL, t0, t1, steps, y, 2);
    if (div_int) *div_int = y[1];
    return y[0];
}

static void section_direction(void) {
    /* the maps are affine: read them off two points */
    double a0 = integrate_exact(0, 1, 0, 100, 1, NULL), a1 = integrate_exact(1, 1, 0, 100, 1, NULL);
    check_close("L42.4.3.fm_exact_slope", a1 - a0, DATA_S, 1e-6, "L42.4.3.fm_exact_velocity",
                "RK4-100 from t=1 to 0 with the exact velocity: slope of x1 -> x0 (data std 0.5)");
    check_close("L42.4.3.fm_exact_intercept", a0, DATA_M, 1e-6, "L42.4.3.fm_exact_velocity",
                "... and intercept (data mean 2): noise N(0,1) lands on N(2, 0.25)");
    double l0 = integrate_exact(0, 0, 1, 100, 1, NULL), l1 = integrate_exact(1, 0, 1, 100, 1, NULL);
    check_erratum("L42.4.3.fm_lecture_direction_mean", l0, a0,
                  "B9: lecture samples from t=0 forwards: output mean (RK4-100), vs the correct t=1->0 map");
    check_erratum("L42.4.3.fm_lecture_direction_std", l1 - l0, a1 - a0,
                  "B9: output std of the lecture's direction vs correct (data std 0.5)");
    double e0 = integrate_exact(0, 0, 1, 50, 0, NULL), e1 = integrate_exact(1, 0, 1, 50, 0, NULL);
    check_close("L42.4.3.fm_lecture_euler50", e1 - e0, 1.9415870, 1e-6, NULL,
                "the lecture's sampler as written (Euler 50, t: 0->1): slope (spec 1.9415870), intercept %.7f (spec -3.8831739)", e0);
    double c0 = integrate_exact(0, 1, 0, 50, 0, NULL), c1 = integrate_exact(1, 1, 0, 50, 0, NULL);
    check_close("L42.4.3.fm_correct_euler50_slope", c1 - c0, 0.4853967, 1e-6, NULL,
                "corrected Euler 50 (t: 1->0): slope (spec 0.4853967)");
    check_close("L42.4.3.fm_correct_euler50_intercept", c0, 2.0, 1e-6, NULL,
                "corrected Euler 50: intercept (spec 2.0)");
    printf("sigma_min = %g (declared by the lecture, unused by its code and here)\n", SIGMA_MIN);
}

/*: ## Likelihood by the probability-flow ODE

Along $\dot x = v(x, t)$ the log-density obeys $\frac{d}{dt}\log p_t(x_t) = -\nabla\cdot v(x_t, t)$
(instantaneous change of variables), so integrating from a data point at $t = 0$ to $t = 1$:

$$ \log p_0(x_0) = \log\mathcal N(x_1; 0, I) + \int_0^1 \nabla\cdot v(x_t, t)\,dt . $$ {#eq:L42.4.3.pf_loglik}

For the exact Gaussian field the divergence is the slope in [eq:L42.4.3.fm_exact_velocity], and
the result must be $\log\mathcal N(x_0; m, s^2)$.
*/
static void section_exact_likelihood(void) {
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        double x0 = 1.0 + 0.5 * i, div;
        double x1 = integrate_exact(x0, 0, 1, 200, 1, &div);
        //: [eq:L42.4.3.pf_loglik]
        double lp = gauss_logpdf_1d(x1, 0, 1) + div;
        worst = fmax(worst, fabs(lp - gauss_logpdf_1d(x0, DATA_M, DATA_S)));
    }
    check_le("L42.4.3.pf_loglik_exact", worst, 1e-8, 0, "L42.4.3.pf_loglik",
             "PF-ODE log-likelihood of the exact field (RK4-200) vs log N(x; 2, 0.25), max over 5 points");
}


/*: ## Training on 8 Gaussians, and what the samples are checked against

The velocity MLP $(x, t)\mapsto v$ ($3\to64\to64\to2$, SiLU; `common/gm_fm.h`) is trained by the shared loop on
[eq:L42.4.3.fm_loss]; samples come from Euler with 50 steps from $t = 1$ to $0$. Sample quality is
the unbiased $\mathrm{MMD}^2$ [eq:common.genmodel.mmd_u] (RBF, $\sigma = 0.5$) against held-out data. Its
yardsticks: the same statistic between two independent data samples of the same size (what a
perfect model would show), and the MMD² of the best Gaussian fit (what a model that learned
nothing but two moments shows). Checks: model MMD² below half the Gaussian's, sample means and
second moments within 4 standard errors of the law's exact $0$ and $2 + 0.1^2$, all 8 modes
covered, and the PF-ODE likelihood [eq:L42.4.3.pf_loglik] giving $\mathrm{KL}(p\Vert q_\theta)\ge 0$
within its standard error.

## Rectified flow: reflow (B10)

The lecture's `reflow` is empty. Done: draw $x_1\sim\mathcal N(0,I)$, run the trained ODE to get
$x_0 = \Phi(x_1)$, and retrain on the *coupled* pairs $(x_0, x_1)$ with the same loss. The
coupling is deterministic, so the optimal velocity along each straight segment is the
segment's own slope wherever segments do not cross: paths straighten. Measured by

$$ S = \mathbb E\int_0^1 \big\lVert v(x_t, t) - (x_1 - x_0)\big\rVert^2\,dt $$ {#eq:L42.4.3.straightness}

along the model's own Euler trajectories ($S = 0$ iff every path is a straight line, so one Euler
step is exact). Checks: $S$ at least halved, and one-step samples closer to the data in MMD.
*/
static double mmd_of(const float *x, int n, const float *y, int m) {
    return gm_mmd2_unbiased(x, n, y, m, 2, 0.5);
}

static void section_train(const Cli *cli) {
    const int n_train = 20000, n_eval = (int)cli_scale(cli, 500, 1500, 3000);
    Rng r;
    rng_init(&r, cli->seed, 1);
    float *train = xmalloc((size_t)n_train * 2 * sizeof *train);
    float *test = xmalloc((size_t)n_eval * 2 * sizeof *test), *test2 = xmalloc((size_t)n_eval * 2 * sizeof *test2);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, train, n_train);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test, n_eval);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test2, n_eval);

    GenModel fm, gauss, rf;
    Rng init, trng, srng;
    rng_init(&init, cli->seed, 2), rng_init(&trng, cli->seed, 3), rng_init(&srng, cli->seed, 4);
    gm_fm_init(&fm, 2, 64, 0, &init);
    check_true("L42.4.3.fm_caps", gm_check_caps(fm.vt), "flow-matching vtable obeys the capability rule");
    const long steps = cli_scale(cli, 1200, 3000, 10000);
    GmTrainConfig cfg = {.steps = steps, .batch = 128, .clip_norm = 10.0, .ema_decay = 0.995,
                         .label = "flow matching", .check_id = "L42.4.3.fm_train_finite"};
    GmTrainResult res = gm_train(&fm, train, n_train, &cfg, &trng);
    printf("flow matching: %ld parameters, loss %.4f -> %.4f\n", gm_num_params(&fm), res.first_loss[0], res.avg_loss[0]);
    gm_diag_gaussian_init(&gauss, 2);
    gauss.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig gcfg = {.steps = 1500, .batch = 512, .label = "gauss", .check_id = "L42.4.3.fm_gauss_finite"};
    gm_train(&gauss, train, n_train, &gcfg, &trng);

    float *xs = xmalloc((size_t)n_eval * 2 * sizeof *xs), *xg = xmalloc((size_t)n_eval * 2 * sizeof *xg);
    fm.vt->sample(&fm, n_eval, xs, &srng);
    gauss.vt->sample(&gauss, n_eval, xg, &srng);
    double mmd_null = mmd_of(test2, n_eval, test, n_eval), mmd_fm = mmd_of(xs, n_eval, test, n_eval),
           mmd_g = mmd_of(xg, n_eval, test, n_eval);
    printf("MMD^2 (sigma 0.5, n=%d): two data samples %.5f, flow matching %.5f, Gaussian fit %.5f\n",
           n_eval, mmd_null, mmd_fm, mmd_g);
    check_le("L42.4.3.fm_mmd", mmd_fm, 0.5 * mmd_g, 0, "common.genmodel.mmd_u",
             "MMD^2(FM 50-step samples, test) below half that of the Gaussian fit (%.4f); data-vs-data bar %.5f", mmd_g, mmd_null);
    /* moments against the data law's exact ones: E x = 0, E x_j^2 = 2 + 0.1^2 = 2.01 */
    double mean[2], mean_se[2], m2[2], m2_se[2];
    gm_moments(xs, n_eval, 2, mean, mean_se, m2, m2_se);
    for (int j = 0; j < 2; j++) {
        char id[64];
        snprintf(id, sizeof id, "L42.4.3.fm_mean_x%d", j + 1);
        check_mc(id, mean[j], 0.0, mean_se[j], 4.0, n_eval, NULL, "FM sample mean of x_%d vs the data law's 0", j + 1);
        snprintf(id, sizeof id, "L42.4.3.fm_m2_x%d", j + 1);
        check_mc(id, m2[j], 2.01, m2_se[j], 4.0, n_eval, NULL, "FM sample E x_%d^2 vs the data law's 2 + 0.1^2", j + 1);
    }
    double centres[16];
    Gmm law = gm_gaussians8_law(centres);
    int modes = gm_modes_covered(xs, n_eval, 2, centres, 8, 0.3, 0.02);
    check_true("L42.4.3.fm_modes", modes == 8, "FM samples cover %d of 8 modes (>= 2%% within 0.3)", modes);

    /* the autodiff divergence against central differences of the trained field (float32 net:
       h = 1e-2 balances rounding ~1e-7 |v| / h against the O(h^2) truncation) */
    {
        enum { NDIV = 8 };
        AdArena *arena = ad_arena_new(1 << 18);
        int shape[2] = {NDIV, 2};
        AdTensor *xp = ad_param_new(AD_F32, 2, shape);
        double tt[NDIV], div[NDIV], worst = 0;
        float v[2 * NDIV];
        for (int i = 0; i < NDIV; i++) tt[i] = 0.5, ad_f32(xp)[2 * i] = test[2 * i], ad_f32(xp)[2 * i + 1] = test[2 * i + 1];
        gm_fm_divergence(arena, fm.self, xp, tt, NDIV, v, div);
        const double h = 1e-2;
        for (int i = 0; i < NDIV; i++) {
            double fd = 0;
            for (int j = 0; j < 2; j++) {
                float pt[2] = {test[2 * i], test[2 * i + 1]}, vp[2], vm[2];
                pt[j] += (float)h;
                ad_arena_reset(arena);
                memcpy(vp, ad_f32(gm_fm_velocity(arena, fm.self, ad_from_array(arena, AD_F32, 2, (int[2]){1, 2}, pt), tt, 1)), sizeof vp);
                pt[j] -= (float)(2 * h);
                ad_arena_reset(arena);
                memcpy(vm, ad_f32(gm_fm_velocity(arena, fm.self, ad_from_array(arena, AD_F32, 2, (int[2]){1, 2}, pt), tt, 1)), sizeof vm);
                fd += (vp[j] - vm[j]) / (2 * h);
            }
            worst = fmax(worst, fabs(fd - div[i]));
        }
        check_le("L42.4.3.fm_divergence_fd", worst, 5e-3, 0, "L42.4.3.pf_loglik",
                 "autodiff divergence of the trained v at t=0.5 vs central differences (h=1e-2, float32), max over %d points", NDIV);
        ad_tensor_free(xp);
        ad_arena_free(arena);
    }

    /* PF-ODE likelihood of the trained field on test points */
    const int n_ll = (int)cli_scale(cli, 100, 400, 2000);
    double *logp = xmalloc((size_t)n_ll * sizeof *logp), *logq = xmalloc((size_t)n_ll * sizeof *logq), se;
    for (int i = 0; i < n_ll; i++) logp[i] = gmm_logpdf(&law, (double[2]){test[2 * i], test[2 * i + 1]}, NULL);
    fm.vt->log_likelihood(&fm, test, n_ll, logq);
    double kl = gm_kl_paired(logp, logq, n_ll, &se);
    printf("PF-ODE test NLL: data law %.4f, flow matching %.4f (n=%d, RK4 40 steps)\n", -stats_mean(logp, n_ll), -stats_mean(logq, n_ll), n_ll);
    check_ge("L42.4.3.fm_kl_nonneg", kl, 0.0, 4.0 * se, "L42.4.3.pf_loglik",
             "KL(p||q_FM) = %.4f by the PF-ODE likelihood >= 0 within 4 SE (se=%.2g, n=%d)", kl, se, n_ll);

    /* reflow: couple x1 with the ODE's x0, retrain */
    const int n_pairs = (int)cli_scale(cli, 2000, 10000, 40000);
    float *pairs = xmalloc((size_t)n_pairs * 4 * sizeof *pairs), *tmp = xmalloc((size_t)n_pairs * 2 * sizeof *tmp);
    rng_normal_fill_f(&srng, tmp, (size_t)n_pairs * 2);
    for (int i = 0; i < n_pairs; i++) pairs[4 * i + 2] = tmp[2 * i], pairs[4 * i + 3] = tmp[2 * i + 1];
    gm_fm_integrate(fm.self, tmp, n_pairs, 50, NULL);
    for (int i = 0; i < n_pairs; i++) pairs[4 * i] = tmp[2 * i], pairs[4 * i + 1] = tmp[2 * i + 1];
    gm_fm_init(&rf, 2, 64, 1, &init);
    GmTrainConfig rcfg = cfg;
    rcfg.row = 4, rcfg.label = "reflow", rcfg.check_id = "L42.4.3.rf_train_finite";
    gm_train(&rf, pairs, n_pairs, &rcfg, &trng);

    const int n_s = n_eval;
    float *z = xmalloc((size_t)n_s * 2 * sizeof *z), *a = xmalloc((size_t)n_s * 2 * sizeof *a), *b = xmalloc((size_t)n_s * 2 * sizeof *b);
    rng_normal_fill_f(&srng, z, (size_t)n_s * 2);
    memcpy(a, z, (size_t)n_s * 2 * sizeof *z), memcpy(b, z, (size_t)n_s * 2 * sizeof *z);
    //: [eq:L42.4.3.straightness] on the same noise for both models
    double S_fm = gm_fm_integrate(fm.self, a, n_s, 50, NULL), S_rf = gm_fm_integrate(rf.self, b, n_s, 50, NULL);
    check_le("L42.4.3.rf_straightness", S_rf, 0.5 * S_fm, 0, "L42.4.3.straightness",
             "straightness S after one reflow %.4f <= half of S before (%.4f)", S_rf, S_fm);
    memcpy(a, z, (size_t)n_s * 2 * sizeof *z), memcpy(b, z, (size_t)n_s * 2 * sizeof *z);
    gm_fm_integrate(fm.self, a, n_s, 1, NULL);
    gm_fm_integrate(rf.self, b, n_s, 1, NULL);
    double mmd1_fm = mmd_of(a, n_s, test, n_eval), mmd1_rf = mmd_of(b, n_s, test, n_eval);
    check_le("L42.4.3.rf_one_step", mmd1_rf, mmd1_fm, 0, "common.genmodel.mmd_u",
             "one-step Euler samples: MMD^2 after reflow %.4f below before (%.4f)", mmd1_rf, mmd1_fm);

    /* figures */
    Plot *p = plot_new_grid(1, 4, 1400, 380, "Flow matching on 8 Gaussians");
    toy2d_plot_panel(p, 0, test, n_eval, "data (test)", PLOT_BLUE);
    toy2d_plot_panel(p, 1, xs, n_eval, "FM, Euler 50 (t: 1 -> 0)", PLOT_RED);
    toy2d_plot_panel(p, 2, a, n_s, "FM, 1 step", PLOT_ORANGE);
    toy2d_plot_panel(p, 3, b, n_s, "after reflow, 1 step", PLOT_GREEN);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "fm_samples.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    enum { NT = 40, K = 50 };
    float *traj = xmalloc((size_t)(K + 1) * NT * 2 * sizeof *traj), *traj2 = xmalloc((size_t)(K + 1) * NT * 2 * sizeof *traj2);
    memcpy(a, z, NT * 2 * sizeof *z), memcpy(b, z, NT * 2 * sizeof *z);
    gm_fm_integrate(fm.self, a, NT, K, traj);
    gm_fm_integrate(rf.self, b, NT, K, traj2);
    p = plot_new_grid(1, 2, 1000, 500, "ODE trajectories from noise (t=1) to data (t=0)");
    for (int pan = 0; pan < 2; pan++) {
        plot_panel(p, pan);
        plot_title(p, pan ? "after one reflow" : "flow matching");
        const float *tr = pan ? traj2 : traj;
        for (int i = 0; i < NT; i++) {
            double px[K + 1], py[K + 1];
            for (int k = 0; k <= K; k++) px[k] = tr[((size_t)k * NT + i) * 2], py[k] = tr[((size_t)k * NT + i) * 2 + 1];
            PlotSeries *s = plot_line(p, px, py, K + 1, NULL);
            plot_series_width(s, 1.0);
        }
        plot_xlim(p, -3.5, 3.5), plot_ylim(p, -3.5, 3.5);
    }
    if (plot_save(p, cli_out_path(cli, "fm_trajectories.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);

    free(traj), free(traj2), free(z), free(a), free(b), free(pairs), free(tmp);
    free(logp), free(logq), free(xs), free(xg), free(train), free(test), free(test2);
    gmm_free(&law);
    gm_free(&fm), gm_free(&gauss), gm_free(&rf);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.3: flow matching (B9 direction), PF-ODE likelihood, rectified flow with a real reflow (B10)",
              4208, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_direction();
    section_exact_likelihood();
    section_train(&cli);
    return check_end();
}
