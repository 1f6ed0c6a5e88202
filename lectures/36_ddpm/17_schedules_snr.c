/*: # L36 4.2.1, 5.8 — The schedule in the implementation: cosine code, log-SNR, zero terminal SNR

**Lecture 36, 4.2.1** (the noise-schedule code of the training program), **5.8** (the schedule
experiment's SNR plot), the self-check questions Q1, Q4, Q5 and the FAQ's Q2 and Q4. Spec
program 10; errata A2, A3, A4, A29, A31.

Part 1 already checks most schedule values (`03_noise_schedules`: the linear and cosine
$\bar\alpha$, $\beta_1$, $\beta_{999}$, the clip, both zero-terminal-SNR rescalings at $t = 1, 500$;
`07_lsimple_snr_weighting`: the VLB weights $\lambda_t$; `05_vlb_decomposition`: $L_T$ for
$x_0 = (1, 2)$). This program adds what the implementation half says on top: the three return
values of the 4.2.1 code (ERRATUM A4), its printed numbers and the unclipped $\alpha_T$, the
error gain at the first DDIM step (A3), the log-SNR table of 5.8 and its per-250-step slopes
(ERRATUM A31), the two zero-terminal-SNR rescalings near $t = T$ (ERRATUM A29), the forward
variance recursion on the cosine schedule and the Q1 Monte Carlo, $L_T$ per dimension (Q4,
computed without cancellation), the FAQ's weight ratio $\lambda_1/\lambda_T$ (Q2) and its claim
that cosine is "close to zero terminal SNR" (Q4).
Figure `snr.png` (the 5.8 plot: $\log\mathrm{SNR}$ against $t$) and `snr.csv`.

Run: `build/release/bin/lectures/36_ddpm/17_schedules_snr [--quick | --full]` (Q1 paths:
5000 / 50000 / 200000).

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t$ (4.2.1 code) | `beta`, `alpha`, `abar` | $T+1$ |
| schedules (linear, cosine, clipped cosine, ZT) | `DiffusionSchedule` | $T+1$ |
| $\log\mathrm{SNR}(t) = \log\frac{\bar\alpha_t}{1-\bar\alpha_t}$ | `diffusion_log_snr` | scalar |
| $v_t$ (forward variance) | `v` | scalar |
| $L_T$ per dimension | `l_T` | scalar |
| $\lambda_t$ (VLB weight, $\sigma_t^2 = \beta_t$) | `lambda_vlb` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/divergence.h"
#include "common/moments_se.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

enum { T = 1000 };
static const double COS_S = 0.008;

/*: ## 4.2.1 The cosine schedule as the training code computes it (ERRATA A2, A4)

The training program's schedule function computes, for $t = 0..T$,

$$ f(t) = \cos^2\!\Big(\frac{t/T + s}{1+s}\cdot\frac\pi2\Big),\quad \bar\alpha_t = \frac{f(t)}{f(0)},\quad \alpha_t = \frac{\bar\alpha_t}{\bar\alpha_{t-1}},\quad \beta_t = 1 - \alpha_t, $$ {#eq:L36.4.2.1.cosine_code}

in double precision, and returns **three** arrays $(\beta, \alpha, \bar\alpha)$, where the part-1
version (3.2.2) returned two, $(\beta, \bar\alpha)$ (A4): a caller written for the two-value
version receives $\alpha$ where it expects $\bar\alpha$. There is no clip (A2): $\beta_T$ rounds to
exactly 1, $\alpha_T = 1.5\cdot10^{-27}$ and $\bar\alpha_T = 3.75\cdot10^{-33}$ (the rounding residue of
$\cos(\pi/2)$). Improved DDPM clips $\beta_t \le 0.999$, which here changes $t = T$ only.

Why the clip matters (A3): a deterministic sampler's first step from $t = T$ to $t' = 980$ moves
$\hat x_0 = (x_T - \sqrt{1-\bar\alpha_T}\hat\epsilon)/\sqrt{\bar\alpha_T}$, so an error $\delta$ in
$\hat\epsilon$ reaches $x_{t'}$ multiplied by $\sqrt{\bar\alpha_{t'}/\bar\alpha_T}$.
*/
static void cosine_schedule_code(double *beta, double *alpha, double *abar) {
    const double f0 = cos(COS_S / (1 + COS_S) * M_PI / 2) * cos(COS_S / (1 + COS_S) * M_PI / 2);
    abar[0] = 1.0, alpha[0] = 1.0, beta[0] = 0.0;
    for (int t = 1; t <= T; t++) {
        const double c = cos(((double)t / T + COS_S) / (1 + COS_S) * M_PI / 2);
        //: $\bar\alpha_t = f(t)/f(0)$, eq. [eq:L36.4.2.1.cosine_code]
        abar[t] = c * c / f0;
        //: $\alpha_t = \bar\alpha_t/\bar\alpha_{t-1}$, $\beta_t = 1 - \alpha_t$
        alpha[t] = abar[t] / abar[t - 1];
        beta[t] = 1.0 - alpha[t];
    }
}

static void cosine_code(void) {
    double beta[T + 1], alpha[T + 1], abar[T + 1];
    cosine_schedule_code(beta, alpha, abar);
    double bmin = INFINITY, bmax = -INFINITY, bsum = 0;
    for (int t = 1; t <= T; t++) bmin = fmin(bmin, beta[t]), bmax = fmax(bmax, beta[t]), bsum += beta[t];
    printf("  the code's printout: beta range: [%.16g, %.16g], abar_T = %.16g\n", bmin, bmax, abar[T]);
    check_rel("L36.4.2.1.beta_min", bmin, 4.128422482196914e-05, 1e-9, "L36.4.2.1.cosine_code", "printed beta range: minimum (t = 1)");
    check_close("L36.4.2.1.beta_max", bmax, 1.0, 1e-15, "L36.4.2.1.cosine_code", "printed beta range: maximum, beta_T rounds to 1");
    check_rel("L36.4.2.1.alpha_T", alpha[T], 1.5439860559615544e-27, 1e-6, "L36.4.2.1.cosine_code",
              "alpha_T = abar_T / abar_999: not 0, although beta_T rounds to 1 (spec)");
    check_rel("L36.4.2.1.abar_T", abar[T], 3.749982237642683e-33, 1e-6, "L36.4.2.1.cosine_code", "printed abar_T (spec)");
    check_close("L36.4.2.1.abar_250", abar[250], 0.847012, 1e-6, "L36.4.2.1.cosine_code", "abar_250 (spec)");
    check_close("L36.4.2.1.abar_750", abar[750], 0.144272, 1e-6, "L36.4.2.1.cosine_code", "abar_750 (spec)");
    check_rel("L36.4.2.1.abar_980", abar[980], 9.711930e-04, 1e-5, "L36.4.2.1.cosine_code", "abar_980 (spec)");
    check_rel("L36.4.2.1.sum_beta", bsum, 12.442496, 1e-6, "L36.4.2.1.cosine_code", "sum of beta_t over t = 1..T (spec)");
    DiffusionSchedule lib = diffusion_schedule_cosine(T, COS_S, 0.0);
    double gap = 0;
    for (int t = 1; t < T; t++) gap = fmax(gap, fabs(abar[t] - lib.alpha_bar[t]) / abar[t] + fabs(beta[t] - lib.beta[t]));
    check_close("L36.4.2.1.code_vs_library", gap, 0, 1e-12, "common.diffusion.q_xt_x0",
                "the 4.2.1 code's (beta, abar) = common/diffusion_schedule's unclipped cosine, t < T (relative in abar)");
    check_erratum("L36.4.2.1.two_output_caller", alpha[500], abar[500],
                  "A4: a caller of the two-value 3.2.2 signature (beta, abar) receives alpha as 'abar': abar_500 read as %.6f",
                  alpha[500]);
    DiffusionSchedule clip = diffusion_schedule_cosine(T, COS_S, 0.999);
    check_close("L36.4.2.1.clip_alpha_T", clip.alpha[T], 1e-3, 1e-15, "L36.4.2.1.cosine_code",
                "with the clip beta <= 0.999: alpha_T = 0.001 (spec A2)");
    //: error gain of the first DDIM step $T \to 980$: $\sqrt{\bar\alpha_{980}/\bar\alpha_T}$
    const double gain_raw = sqrt(abar[980] / abar[T]), gain_clip = sqrt(clip.alpha_bar[980] / clip.alpha_bar[T]);
    check_rel("L36.4.2.1.gain_unclipped", gain_raw, 5.1e14, 1e-2, "L36.4.2.1.cosine_code",
              "A3: eps-error gain sqrt(abar_980/abar_T) unclipped (spec 5.1e14, 2 digits)");
    check_rel("L36.4.2.1.gain_clipped", gain_clip, 632, 1e-3, "L36.4.2.1.cosine_code",
              "A3: the same gain with the clip (spec 632)");
    check_erratum("L36.4.2.1.no_clip", 1.0, clip.beta[T], "A2: the 4.2.1 code has no clip: beta_T = 1; Improved DDPM's clip gives 0.999");
    diffusion_schedule_free(&lib);
    diffusion_schedule_free(&clip);
}

/*: ## 5.8 The SNR plot, and how log SNR really decays (ERRATUM A31)

The experiment compares three schedules and plots $\log\mathrm{SNR}(t)$,
$\mathrm{SNR}(t) = \bar\alpha_t/(1-\bar\alpha_t)$. The lecture's reading of the plot — "linear:
log SNR decays linearly" — is not what the numbers say. Over the four quarters of $[1, T]$ the
drops

$$ \Delta_k = \log\mathrm{SNR}(250k) - \log\mathrm{SNR}(\max(1, 250(k-1))),\qquad k = 1..4, $$ {#eq:L36.5.8.quarter_drops}

are $-9.11, -2.56, -3.23, -4.42$ for the linear schedule (steep at first, then slow, then
faster again), while the *cosine* schedule is the nearly linear one in mid-range ($-1.74$,
$-1.76$): that was its design goal. Log SNR is computed as $\log\bar\alpha - \mathrm{log1p}(-\bar\alpha)$.
*/
static void snr_table(const Cli *cli) {
    DiffusionSchedule s[3] = {diffusion_schedule_linear(T, 1e-4, 0.02), diffusion_schedule_cosine(T, COS_S, 0.0),
                              diffusion_schedule_cosine(T, COS_S, 0.999)};
    const char *names[3] = {"linear", "cosine", "cosine_clip"};
    const int ts[5] = {1, 250, 500, 750, 1000};
    static const double spec[3][5] = {{9.210, 0.096, -2.462, -5.695, -10.118},
                                      {10.095, 1.711, -0.025, -1.780, -74.664},
                                      {10.095, 1.711, -0.025, -1.780, -19.836}};
    char id[80];
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 5; j++) {
            snprintf(id, sizeof id, "L36.5.8.log_snr_%s_%d", names[k], ts[j]);
            check_close(id, diffusion_log_snr(&s[k], ts[j]), spec[k][j], 1e-3, "L36.5.8.quarter_drops",
                        "log SNR(%d), %s schedule (spec 5.8 table)", ts[j], names[k]);
        }
    double drop[2][4];
    for (int k = 0; k < 2; k++)
        for (int q = 0; q < 4; q++)
            //: $\Delta_k$, eq. [eq:L36.5.8.quarter_drops]
            drop[k][q] = diffusion_log_snr(&s[k], 250 * (q + 1)) - diffusion_log_snr(&s[k], q == 0 ? 1 : 250 * q);
    printf("  log SNR drop per quarter: linear %.3f %.3f %.3f %.3f | cosine %.3f %.3f %.3f %.3f\n", drop[0][0], drop[0][1],
           drop[0][2], drop[0][3], drop[1][0], drop[1][1], drop[1][2], drop[1][3]);
    const double spec_lin[4] = {-9.11, -2.56, -3.23, -4.42};
    for (int q = 0; q < 4; q++) {
        snprintf(id, sizeof id, "L36.5.8.linear_drop_q%d", q + 1);
        check_close(id, drop[0][q], spec_lin[q], 5e-3, "L36.5.8.quarter_drops", "linear: log SNR drop over quarter %d (spec A31, 2 decimals)", q + 1);
    }
    check_close("L36.5.8.cosine_drop_q2", drop[1][1], -1.74, 5e-3, "L36.5.8.quarter_drops", "cosine: drop over t = 250..500 (spec A31)");
    check_close("L36.5.8.cosine_drop_q3", drop[1][2], -1.76, 5e-3, "L36.5.8.quarter_drops", "cosine: drop over t = 500..750 (spec A31)");
    check_erratum("L36.5.8.linear_not_linear", (drop[0][0] + drop[0][1] + drop[0][2] + drop[0][3]) / 4, drop[0][0],
                  "A31: 'linear: log SNR decays linearly' would make every quarter drop the average; the first quarter drops this much");

    DiffusionSchedule zl = diffusion_schedule_copy(&s[0]), zs = diffusion_schedule_copy(&s[0]);
    diffusion_schedule_rescale_zt_affine(&zl);
    diffusion_schedule_rescale_zt_sqrt(&zs);
    FILE *csv = fopen(cli_out_path(cli, "snr.csv"), "w");
    if (!csv) die("cannot write %s", cli_out_path(cli, "snr.csv"));
    fprintf(csv, "t,log_snr_linear,log_snr_cosine,log_snr_cosine_clip,log_snr_zt_affine,log_snr_zt_lin\n");
    double tt[T], y[5][T];
    for (int t = 1; t <= T; t++) {
        tt[t - 1] = t;
        y[0][t - 1] = diffusion_log_snr(&s[0], t), y[1][t - 1] = diffusion_log_snr(&s[1], t);
        y[2][t - 1] = diffusion_log_snr(&s[2], t), y[3][t - 1] = diffusion_log_snr(&zl, t), y[4][t - 1] = diffusion_log_snr(&zs, t);
        fprintf(csv, "%d,%.10g,%.10g,%.10g,%.10g,%.10g\n", t, y[0][t - 1], y[1][t - 1], y[2][t - 1], y[3][t - 1], y[4][t - 1]);
    }
    fclose(csv);
    Plot *p = plot_new(820, 520, "5.8: log SNR(t) = log(abar / (1 - abar)); ZT ends at -inf (not drawn)");
    const char *labels[5] = {"linear", "cosine (no clip)", "cosine (clip 0.999)", "ZT of linear, lecture (affine)", "ZT of linear, Lin et al."};
    for (int k = 0; k < 5; k++) {
        PlotSeries *ps = plot_line(p, tt, y[k], k >= 3 ? T - 1 : T, labels[k]);
        if (k == 1) plot_series_dash(ps, PLOT_DOTTED);
        if (k >= 3) plot_series_dash(ps, PLOT_DASHED);
    }
    plot_ylim(p, -25, 12);
    plot_xlabel(p, "timestep t");
    plot_ylabel(p, "log SNR");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "snr.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    diffusion_schedule_free(&zl), diffusion_schedule_free(&zs);
    for (int k = 0; k < 3; k++) diffusion_schedule_free(&s[k]);
}

/*: ## 5.8 Zero terminal SNR: the lecture's rescaling vs Lin et al.'s (ERRATUM A29)

The experiment's third schedule is undefined in 5.8; part 1 (3.2.3) defines the rescaling
$\bar\alpha' = (\bar\alpha - \bar\alpha_T)/(1-\bar\alpha_T)$ (eq. [eq:common.diffusion.zt_affine]),
linear in $\bar\alpha$, while Lin et al. rescale $\sqrt{\bar\alpha}$ linearly and keep
$\bar\alpha_1$ (eq. [eq:common.diffusion.zt_sqrt]). Both end at $\bar\alpha'_T = 0$, but near the
end they differ by orders of magnitude on the linear schedule; on the unclipped cosine schedule,
whose $\bar\alpha_T$ is already $10^{-33}$, both are the identity to rounding. With
$\bar\alpha'_T = 0$ an $\epsilon$-predicting sampler cannot start at $t = T$ (part 1 checks this:
`L36.3.2.terminal_mean_breaks`), which is why Lin et al. train with $v$-prediction.
*/
static void zero_terminal(void) {
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02);
    DiffusionSchedule a = diffusion_schedule_copy(&lin), b = diffusion_schedule_copy(&lin);
    diffusion_schedule_rescale_zt_affine(&a);
    diffusion_schedule_rescale_zt_sqrt(&b);
    check_rel("L36.5.8.zt_affine_abar_999", a.alpha_bar[999], 8.236720e-07, 1e-4, "common.diffusion.zt_affine", "lecture's ZT on linear: abar'_999 (spec A29)");
    check_rel("L36.5.8.zt_lin_abar_999", b.alpha_bar[999], 4.213262e-09, 1e-4, "common.diffusion.zt_sqrt", "Lin et al.'s ZT on linear: abar'_999 (spec A29)");
    check_close("L36.5.8.zt_affine_log_snr_999", diffusion_log_snr(&a, 999), -14.009, 1e-3, "common.diffusion.zt_affine", "lecture's ZT: log SNR(999) (spec)");
    check_close("L36.5.8.zt_lin_log_snr_999", diffusion_log_snr(&b, 999), -19.285, 1e-3, "common.diffusion.zt_sqrt", "Lin et al.'s ZT: log SNR(999) (spec)");
    check_erratum("L36.5.8.zt_rescale_999", diffusion_log_snr(&a, 999), diffusion_log_snr(&b, 999),
                  "A29: log SNR(999) after the lecture's affine ZT rescaling vs Lin et al.'s (linear schedule)");
    DiffusionSchedule c = diffusion_schedule_cosine(T, COS_S, 0.0);
    DiffusionSchedule ca = diffusion_schedule_copy(&c), cb = diffusion_schedule_copy(&c);
    diffusion_schedule_rescale_zt_affine(&ca);
    diffusion_schedule_rescale_zt_sqrt(&cb);
    double d = 0;
    for (int t = 1; t < T; t++) d = fmax(d, fabs(ca.alpha_bar[t] - cb.alpha_bar[t]));
    check_close("L36.5.8.zt_cosine_agree", d, 0, 1e-7, "common.diffusion.zt_sqrt",
                "unclipped cosine: the two rescalings agree to 7 digits (max |abar' difference| over t < T)");
    diffusion_schedule_free(&lin), diffusion_schedule_free(&a), diffusion_schedule_free(&b);
    diffusion_schedule_free(&c), diffusion_schedule_free(&ca), diffusion_schedule_free(&cb);
}

/*: ## Self-check Q1: the forward chain reaches the closed form

Iterating $x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}z_t$ from a fixed $x_0$ gives mean
$\sqrt{\bar\alpha_t}x_0$ and variance $v_t$ with

$$ v_t = \alpha_t v_{t-1} + \beta_t,\quad v_0 = 0 \qquad\Longrightarrow\qquad v_t = 1 - \bar\alpha_t . $$ {#eq:L36.Q1.var_recursion}

Checked exactly on the clipped cosine schedule (part 1 does the linear one) and by simulation:
cosine, $x_0 = 0.7$, $t = 500$ (spec: mean 0.491919, variance 0.506156). Each path draws from its
own Philox stream.
*/
static void quiz_q1(const Cli *cli) {
    DiffusionSchedule c = diffusion_schedule_cosine(T, COS_S, 0.999);
    double v = 0, worst = 0;
    for (int t = 1; t <= T; t++) {
        //: eq. [eq:L36.Q1.var_recursion]
        v = c.alpha[t] * v + c.beta[t];
        worst = fmax(worst, fabs(v - (1.0 - c.alpha_bar[t])));
    }
    check_close("L36.Q1.var_recursion_cosine", worst, 0, 1e-12, "L36.Q1.var_recursion",
                "max_t |v_t - (1 - abar_t)|, clipped cosine, t = 1..T");
    const long n = cli_scale(cli, 5000, 50000, 200000);
    double *x = xmalloc(sizeof(double) * (size_t)n);
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        double xi = 0.7;
        //: $x_t = \sqrt{\alpha_t}x_{t-1} + \sqrt{\beta_t}z$, $t = 1..500$
        for (int t = 1; t <= 500; t++) xi = sqrt(c.alpha[t]) * xi + sqrt(c.beta[t]) * rng_normal(&r);
        x[i] = xi;
    }
    MomentsSe m = moments_se(x, (size_t)n);
    check_mc("L36.Q1.mc_mean", m.mean, 0.491919, m.se_mean, 4, n, "L36.Q1.var_recursion",
             "Q1: iterated chain, cosine, x0 = 0.7, t = 500: mean vs sqrt(abar_500) x0 (spec 0.491919)");
    check_mc("L36.Q1.mc_var", m.var, 0.506156, m.se_var, 4, n, "L36.Q1.var_recursion",
             "Q1: the same paths: variance vs 1 - abar_500 (spec 0.506156)");
    free(x);
    diffusion_schedule_free(&c);
}

/*: ## Self-checks Q4 and Q5: the prior term $L_T$, and the linear schedule's terminal SNR

The prior-matching term per dimension is $L_T = \mathrm{KL}\big(\mathcal N(\sqrt{\bar\alpha_T}x_0, 1-\bar\alpha_T)\,\|\,\mathcal N(0,1)\big)$:

$$ L_T = \tfrac12\big(\bar\alpha_T x_0^2 - \bar\alpha_T - \log(1-\bar\alpha_T)\big), $$ {#eq:L36.Q4.l_T}

written with $(1-\bar\alpha_T) - 1 = -\bar\alpha_T$ and `log1p`, because the textbook form
$\frac12(\bar\alpha x_0^2 + (1-\bar\alpha) - 1 - \log(1-\bar\alpha))$ cancels catastrophically when
$\bar\alpha_T$ is tiny (on the unclipped cosine schedule it returns exactly 0). The independent
routes: the general Gaussian KL of `common/divergence.h` on the linear schedule, the series
$\frac12\bar\alpha x_0^2 + \frac14\bar\alpha^2 + \dots$ on the cosine one. Q5 (linear $\bar\alpha_T$,
log SNR(T) = −10.118 > −∞, $\bar\alpha_T = 0$ after ZT) is checked in part 1 and in the 5.8 table
above.
*/
static double l_T(double abar, double x0) {
    //: eq. [eq:L36.Q4.l_T]
    return 0.5 * (abar * x0 * x0 - abar - log1p(-abar));
}

static void quiz_q4(void) {
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02), cos0 = diffusion_schedule_cosine(T, COS_S, 0.0);
    const double ab = lin.alpha_bar[T];
    check_rel("L36.Q4.l_T_linear_x1", l_T(ab, 1.0), 2.017956e-05, 1e-5, "L36.Q4.l_T", "L_T per dimension, linear, x0 = +-1 (spec)");
    check_rel("L36.Q4.l_T_linear_x0", l_T(ab, 0.0), 4.07e-10, 1e-2, "L36.Q4.l_T", "L_T per dimension, linear, x0 = 0 (spec, 3 digits)");
    check_rel("L36.Q4.l_T_vs_kl", l_T(ab, 1.0), kl_gauss_1d(sqrt(ab), sqrt(1 - ab), 0.0, 1.0), 1e-9, "L36.Q4.l_T",
              "the same L_T by the general Gaussian KL (common/divergence.h)");
    const double abc = cos0.alpha_bar[T];
    const double naive = 0.5 * (abc + (1.0 - abc) - 1.0 - log(1.0 - abc));
    printf("  cosine (no clip), x0 = 1: textbook form of L_T evaluates to %.3g (cancellation)\n", naive);
    check_rel("L36.Q4.l_T_cosine", l_T(abc, 1.0), 0.5 * abc + 0.25 * abc * abc, 1e-12, "L36.Q4.l_T",
              "L_T, unclipped cosine, x0 = 1: %.4g, against the series abar/2 + abar^2/4 (spec: about 1e-33)", l_T(abc, 1.0));
    diffusion_schedule_free(&lin), diffusion_schedule_free(&cos0);
}

/*: ## FAQ Q2 and Q4: why $L_\text{simple}$, why cosine

FAQ Q2 says the bound's weight $\lambda_t = \beta_t^2/(2\sigma_t^2\alpha_t(1-\bar\alpha_t))$ over-weights
low noise. With $\sigma_t^2 = \beta_t$ on the linear schedule,

$$ \lambda_t = \frac{\beta_t}{2\alpha_t(1-\bar\alpha_t)},\qquad \frac{\lambda_1}{\lambda_T} = 49.0029, $$ {#eq:L36.7.2.lambda_ratio}

(the values $\lambda_1, \lambda_{500}, \lambda_{1000}$ are checked by part 1, `L36.3.6.lambda_*`);
$L_\text{simple}$ replaces all of them by 1. FAQ Q4 calls cosine "close to zero terminal SNR":
in numbers, its clipped terminal SNR is $2.4\cdot10^{-9}$ against the linear schedule's
$4.0\cdot10^{-5}$.
*/
static double lambda_vlb(const DiffusionSchedule *s, int t) {
    //: eq. [eq:L36.7.2.lambda_ratio]
    return s->beta[t] / (2.0 * s->alpha[t] * (1.0 - s->alpha_bar[t]));
}

static void faq(void) {
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02), cc = diffusion_schedule_cosine(T, COS_S, 0.999);
    check_rel("L36.7.2.lambda_ratio", lambda_vlb(&lin, 1) / lambda_vlb(&lin, T), 49.0029, 1e-5, "L36.7.2.lambda_ratio",
              "FAQ Q2: lambda_1 / lambda_T, linear schedule, sigma^2 = beta (spec)");
    check_le("L36.7.2.cosine_nearer_zt", diffusion_snr(&cc, T), 1e-3 * diffusion_snr(&lin, T), 0, NULL,
             "FAQ Q4: terminal SNR of the clipped cosine (%.3g) is < 1e-3 x the linear one (%.3g)", diffusion_snr(&cc, T),
             diffusion_snr(&lin, T));
    diffusion_schedule_free(&lin), diffusion_schedule_free(&cc);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 4.2.1, 5.8: the cosine code, log SNR, zero terminal SNR, Q1/Q4/Q5, FAQ", 17, NULL);
    cosine_code();
    snr_table(&cli);
    zero_terminal();
    quiz_q1(&cli);
    quiz_q4();
    faq();
    return check_end();
}
