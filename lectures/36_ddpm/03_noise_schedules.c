/*: # L36 3.2 — Noise schedules: linear, cosine, and zero terminal SNR

**Lecture 36, §3.2** (three design rules), **§3.2.1** (linear, DDPM), **§3.2.2** (cosine,
Improved DDPM), **§3.2.3** (zero-terminal-SNR rescaling, Lin et al. 2023).

What you will see: five schedules with $T = 1000$ — linear; cosine exactly as the lecture
codes it (no clip); cosine with Nichol & Dhariwal's clip $\beta_t\le0.999$; the linear schedule
rescaled to zero terminal SNR by the lecture's affine formula and by Lin et al.'s formula on
$\sqrt{\bar\alpha}$. Each is checked against the spec's reference values; the SNR of each is
strictly decreasing; and a table shows what breaks at $t = T$: the unclipped cosine and both
zero-terminal-SNR schedules have $\beta_T = 1$, so the $\epsilon$-form reverse mean divides by
$\sqrt{\alpha_T} = 0$. ERRATUM lines: the missing clip (E10) and the affine rescaling that is
not Lin et al.'s (E11).
Figure `schedules.png` ($\bar\alpha_t$ and $\log\mathrm{SNR}(t)$ of all five) and
`schedules.csv` (the numbers behind it).

Run: `build/release/bin/lectures/36_ddpm/03_noise_schedules [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t$ | `s->beta`, `s->alpha`, `s->alpha_bar` | (T+1) |
| $s$ (cosine offset) | `COS_S` | scalar |
| $f(t)$ | `cosine_f` | function |
| $\mathrm{SNR}(t)$ | `diffusion_snr(s, t)` | scalar |
| the five schedules | `sched[LINEAR..ZT_SQRT]` | — |
*/
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/util.h"

enum { T = 1000 };
enum { LINEAR, COSINE, COSINE_CLIP, ZT_AFFINE, ZT_SQRT, NSCHED };
static const char *NAMES[NSCHED] = {"linear", "cosine (no clip)", "cosine (clip 0.999)",
                                    "linear + ZT affine (lecture)", "linear + ZT sqrt (Lin et al.)"};
static const double COS_S = 0.008;

/*: ## 3.2 Three design rules

(i) $\bar\alpha_T\approx0$, so that $x_T$ is nearly $\mathcal N(0, I)$; (ii) the signal-to-noise ratio

$$ \mathrm{SNR}(t) = \frac{\bar\alpha_t}{1-\bar\alpha_t} $$ {#eq:L36.3.2.snr}

decreases strictly in $t$; (iii) zero terminal SNR, $\bar\alpha_T = 0$, so that training sees
exactly the $x_T$ that sampling starts from. Rule (ii) is checked for every schedule here.
*/
static void section_3_2_rules(DiffusionSchedule *sched) {
    int violations = 0;
    for (int k = 0; k < NSCHED; k++)
        for (int t = 1; t <= T; t++)
            //: [eq:L36.3.2.snr] strictly decreasing
            if (!(diffusion_snr(&sched[k], t) < diffusion_snr(&sched[k], t - 1))) violations++;
    check_close("L36.3.2.snr_monotone", violations, 0, 0, "L36.3.2.snr",
                "number of t with SNR(t) >= SNR(t-1), summed over the five schedules");
}

/*: ## 3.2.1 Linear schedule (DDPM)

$$ \beta_t = \beta_\text{min} + \frac{t-1}{T-1}(\beta_\text{max}-\beta_\text{min}),\qquad \beta_\text{min} = 10^{-4},\ \beta_\text{max} = 0.02 . $$ {#eq:L36.3.2.1.linear}

$\bar\alpha_T = 4.04\cdot10^{-5} > 0$: rule (iii) fails, $\mathrm{SNR}(T) = 4.04\cdot10^{-5}$.
Half the signal variance is gone at $t = 260$, 99.9 % at $t = 826$; the last 170 steps act on
almost pure noise.
*/
static void section_3_2_1_linear(const DiffusionSchedule *s) {
    check_rel("L36.3.2.1.abar_T", s->alpha_bar[T], 4.0358297654e-5, 1e-9, "L36.3.2.1.linear",
              "linear alpha_bar_T (spec 3.2.1)");
    check_rel("L36.3.2.1.abar_500", s->alpha_bar[500], 0.0785872429, 1e-9, "L36.3.2.1.linear",
              "linear alpha_bar_500");
    const double levels[4] = {0.5, 0.1, 0.01, 1e-3};
    const int spec_t[4] = {260, 476, 674, 826};
    const char *level_tag[4] = {"half", "1e-1", "1e-2", "1e-3"};
    for (int k = 0; k < 4; k++) {
        int t = 1;
        while (t <= T && s->alpha_bar[t] >= levels[k]) t++;
        char id[64];
        snprintf(id, sizeof id, "L36.3.2.1.first_t_below_%s", level_tag[k]);
        check_close(id, t, spec_t[k], 0, "L36.3.2.1.linear", "first t with alpha_bar_t < %g", levels[k]);
    }
    check_rel("L36.3.2.1.snr_1", diffusion_snr(s, 1), 9999.0, 1e-9, "L36.3.2.snr",
              "SNR(1) = 0.9999 / 0.0001");
    check_rel("L36.3.2.1.snr_T", diffusion_snr(s, T), 4.03599265e-5, 1e-8, "L36.3.2.snr",
              "SNR(T) > 0: rule (iii) fails for the linear schedule");
    printf("linear: log SNR from %.5f (t = 1) to %.5f (t = T)\n", diffusion_log_snr(s, 1),
           diffusion_log_snr(s, T));
}

/*: ## 3.2.2 Cosine schedule (Improved DDPM)

$$ \bar\alpha_t = \frac{f(t)}{f(0)},\qquad f(t) = \cos^2\!\Big(\frac{t/T + s}{1+s}\cdot\frac\pi2\Big),\quad s = 0.008,\qquad \beta_t = 1-\frac{\bar\alpha_t}{\bar\alpha_{t-1}} . $$ {#eq:L36.3.2.2.cosine}

Near the end, $\cos\big(\tfrac\pi2 - u\big)\approx u$, so $\bar\alpha_t\propto(T-t)^2$ and
$\beta_t \approx 1 - \big(\tfrac{T-t}{T-t+1}\big)^2$: $\beta_{998}\approx 5/9$, $\beta_{999}\approx 3/4$,
$\beta_T = 1$. Mathematically $\bar\alpha_T = 0$; in double precision $\cos(\pi/2)$ is
$6.1\cdot10^{-17}$ and $\bar\alpha_T$ comes out as $3.75\cdot10^{-33}$, a rounding residue.
With $\beta_T = 1$, $\alpha_T = 0$, and the reverse step's $1/\sqrt{\alpha_T}$ is infinite.
Improved DDPM therefore clips $\beta_t\le 0.999$ — the lecture's code does not (E10). With
the clip only $t = T$ changes, and $\bar\alpha_T = 0.001\,\bar\alpha_{999} = 2.43\cdot10^{-9}$.
The offset $s$ keeps $\beta_t$ from being too small near $t = 0$ ($\beta_1 = 4.1\cdot10^{-5}$).
*/
static double cosine_f(double t) {
    //: $f(t)$ of [eq:L36.3.2.2.cosine]
    const double c = cos((t / T + COS_S) / (1.0 + COS_S) * M_PI / 2.0);
    return c * c;
}

static void section_3_2_2_cosine(const DiffusionSchedule *c, const DiffusionSchedule *k) {
    check_rel("L36.3.2.2.f0", cosine_f(0), 0.9998445910, 1e-9, "L36.3.2.2.cosine", "f(0)");
    check_rel("L36.3.2.2.abar_1", c->alpha_bar[1], 0.9999587158, 1e-9, "L36.3.2.2.cosine", "cosine alpha_bar_1");
    check_rel("L36.3.2.2.beta_1", c->beta[1], 4.128422e-5, 1e-6, "L36.3.2.2.cosine", "cosine beta_1");
    check_rel("L36.3.2.2.abar_500", c->alpha_bar[500], 0.4938435904, 1e-9, "L36.3.2.2.cosine", "cosine alpha_bar_500");
    check_rel("L36.3.2.2.abar_999", c->alpha_bar[999], 2.428767e-6, 1e-6, "L36.3.2.2.cosine", "cosine alpha_bar_999");
    check_le("L36.3.2.2.abar_T", c->alpha_bar[T], 1e-30, 0.0, "L36.3.2.2.cosine",
             "unclipped cosine alpha_bar_T (= %.4g: cos(pi/2) in double, squared, over f(0))", c->alpha_bar[T]);
    check_close("L36.3.2.2.beta_T", c->beta[T], 1.0, 1e-15, "L36.3.2.2.cosine", "unclipped cosine beta_T");
    check_rel("L36.3.2.2.beta_999", c->beta[999], 0.7499994, 1e-6, "L36.3.2.2.cosine", "beta_999 (about 3/4)");
    check_rel("L36.3.2.2.beta_998", c->beta[998], 0.5555538, 1e-6, "L36.3.2.2.cosine", "beta_998 (about 5/9)");
    int n_big = 0;
    for (int t = 1; t <= T; t++) n_big += c->beta[t] > 0.999;
    check_close("L36.3.2.2.count_beta_gt_0999", n_big, 1, 0, "L36.3.2.2.cosine",
                "number of t with beta_t > 0.999 (only t = T)");
    check_rel("L36.3.2.2.snr_1", diffusion_snr(c, 1), 24221.327, 1e-7, "L36.3.2.snr", "cosine SNR(1)");
    check_rel("L36.3.2.2.snr_500", diffusion_snr(c, 500), 0.975674, 1e-6, "L36.3.2.snr", "cosine SNR(500)");
    check_rel("L36.3.2.2.clip_abar_T", k->alpha_bar[T], 2.428767e-9, 1e-6, "L36.3.2.2.cosine",
              "cosine with beta clipped at 0.999: alpha_bar_T");
    printf("cos(pi/2) in double = %.6g; its square over f(0) = %.6g = unclipped alpha_bar_T\n",
           cos(M_PI / 2), pow(cos(M_PI / 2), 2) / cosine_f(0));
    check_erratum("L36.3.2.2.cosine_beta_T", c->beta[T], k->beta[T],
                  "3.2.2 code omits Improved DDPM's clip (E10): beta_T = 1, alpha_T = 0, "
                  "1/sqrt(alpha_T) infinite; clipped beta_T = 0.999");
}

/*: ## 3.2.3 Zero terminal SNR

The lecture rescales $\bar\alpha$ affinely,

$$ \bar\alpha_t' = \frac{\bar\alpha_t - \bar\alpha_T}{1-\bar\alpha_T}, $$ {#eq:L36.3.2.3.zt_affine}

which makes $\bar\alpha_T' = 0$ but also moves $\bar\alpha_1$ from 0.9999 to 0.99989999596.
Lin et al. (2023) rescale $\sqrt{\bar\alpha}$ instead, shifting it to 0 at $T$ and scaling so
that $\sqrt{\bar\alpha_1}$ stays put:

$$ \sqrt{\bar\alpha_t'} = \big(\sqrt{\bar\alpha_t} - \sqrt{\bar\alpha_T}\big)\frac{\sqrt{\bar\alpha_1}}{\sqrt{\bar\alpha_1} - \sqrt{\bar\alpha_T}} . $$ {#eq:L36.3.2.3.zt_sqrt}

The two differ in the middle ($\bar\alpha_{500}'$ = 0.078550 vs 0.076029; spec erratum E11).
Both end with $\beta_T = 1$: at $t = T$, $x_T$ carries no signal and $x_0$ cannot be recovered
from an $\epsilon$ prediction ($x_0 = (x_T - \epsilon)/0$). Lin et al. pair the rescaling with
$v$-prediction, whose $x_0 = \sqrt{\bar\alpha}\,x_t - \sqrt{1-\bar\alpha}\,v = -v$ stays finite
(program 06).
*/
static void section_3_2_3_zero_terminal(const DiffusionSchedule *lin, const DiffusionSchedule *aff,
                                        const DiffusionSchedule *sq) {
    const double aT = lin->alpha_bar[T];
    //: [eq:L36.3.2.3.zt_affine] at t = 500, from the linear schedule directly
    const double aff500 = (lin->alpha_bar[500] - aT) / (1.0 - aT);
    check_close("L36.3.2.3.affine_formula_500", aff->alpha_bar[500], aff500, 1e-16,
                "L36.3.2.3.zt_affine", "module's affine rescaling = the formula at t = 500");
    check_true("L36.3.2.3.terminal_zero",
               aff->alpha_bar[T] == 0.0 && sq->alpha_bar[T] == 0.0 && diffusion_snr(aff, T) == 0.0,
               "both rescalings: alpha_bar_T = 0 and SNR(T) = 0");
    check_close("L36.3.2.3.affine_beta_T", aff->beta[T], 1.0, 0.0, "L36.3.2.3.zt_affine", "affine: beta_T");
    check_rel("L36.3.2.3.affine_abar_1", aff->alpha_bar[1], 0.99989999596, 1e-10, "L36.3.2.3.zt_affine",
              "affine: alpha_bar_1 (moved from 0.9999)");
    check_rel("L36.3.2.3.affine_abar_500", aff->alpha_bar[500], 0.0785500547, 1e-8,
              "L36.3.2.3.zt_affine", "affine: alpha_bar_500");
    check_rel("L36.3.2.3.affine_beta_1", aff->beta[1], 1.00004036e-4, 1e-7, "L36.3.2.3.zt_affine",
              "affine: implied beta_1");
    check_rel("L36.3.2.3.affine_beta_999", aff->beta[999], 0.5047963, 1e-6, "L36.3.2.3.zt_affine",
              "affine: implied beta_999");
    check_close("L36.3.2.3.sqrt_abar_1", sq->alpha_bar[1], 0.9999, 1e-15, "L36.3.2.3.zt_sqrt",
                "Lin et al.: alpha_bar_1 kept");
    check_rel("L36.3.2.3.sqrt_abar_500", sq->alpha_bar[500], 0.0760287505, 1e-8, "L36.3.2.3.zt_sqrt",
              "Lin et al.: alpha_bar_500");
    check_erratum("L36.3.2.3.zt_rescaling", aff->alpha_bar[500], sq->alpha_bar[500],
                  "3.2.3 rescales alpha_bar affinely; Lin et al. 2023 rescale sqrt(alpha_bar) "
                  "keeping alpha_bar_1 (E11): alpha_bar_500 differs");
}

/*: ## What breaks at $t = T$

For each schedule: $\beta_T$, the factor $1/\sqrt{\alpha_T}$ of the $\epsilon$-form reverse mean
$\frac{1}{\sqrt{\alpha_T}}\big(x_T - \frac{\beta_T}{\sqrt{1-\bar\alpha_T}}\epsilon\big)$, and the
amplification $1/\sqrt{\bar\alpha_T}$ of an error in $\epsilon$ when $x_0$ is recovered from it.
The reverse mean is evaluated through the module at $x_T = (0.3, -0.7)$, $\epsilon = (0.1, 0.2)$.
*/
static void section_terminal_step(const DiffusionSchedule *sched) {
    printf("schedule                        beta_T        1/sqrt(alpha_T)  1/sqrt(abar_T)   mean_T finite\n");
    const double xT[2] = {0.3, -0.7}, eps[2] = {0.1, 0.2};
    int as_expected = 1;
    for (int k = 0; k < NSCHED; k++) {
        const DiffusionSchedule *s = &sched[k];
        double mu[2];
        diffusion_mean_from_eps(s, T, xT, eps, mu, 2);
        const int finite = isfinite(mu[0]) && isfinite(mu[1]);
        const int beta_one = s->beta[T] == 1.0;
        as_expected &= finite == !beta_one;
        printf("%-31s %-13.6g %-16.6g %-16.6g %s\n", NAMES[k], s->beta[T], 1.0 / sqrt(s->alpha[T]),
               1.0 / sqrt(s->alpha_bar[T]), finite ? "yes" : "no");
    }
    check_true("L36.3.2.terminal_mean_breaks", as_expected,
               "eps-form reverse mean at t = T is non-finite exactly for the schedules with beta_T = 1 "
               "(unclipped cosine, both ZT rescalings), finite for linear and clipped cosine");
}

static void figure_and_csv(const Cli *cli, const DiffusionSchedule *sched) {
    static double tt[T + 1], ab[NSCHED][T + 1], ls[NSCHED][T + 1];
    for (int t = 0; t <= T; t++) {
        tt[t] = t;
        for (int k = 0; k < NSCHED; k++)
            ab[k][t] = sched[k].alpha_bar[t], ls[k][t] = diffusion_log_snr(&sched[k], t);
    }
    Plot *p = plot_new_grid(1, 2, 1300, 500, "3.2: noise schedules, T = 1000");
    plot_panel(p, 0);
    plot_title(p, "alpha_bar_t");
    for (int k = 0; k < NSCHED; k++) {
        PlotSeries *l = plot_line(p, tt, ab[k], T + 1, NAMES[k]);
        if (k == COSINE_CLIP) plot_series_dash(l, PLOT_DASHED); /* equal to the unclipped one for t < T */
    }
    plot_xlabel(p, "t"), plot_ylabel(p, "alpha_bar_t");
    plot_panel(p, 1);
    plot_title(p, "log SNR(t), t = 1..T-1 (at T: -10.1 linear, -74.7 cosine, -inf ZT)");
    for (int k = 0; k < NSCHED; k++) {
        PlotSeries *l = plot_line(p, tt + 1, ls[k] + 1, T - 1, NAMES[k]);
        if (k == COSINE_CLIP) plot_series_dash(l, PLOT_DASHED);
    }
    plot_xlabel(p, "t"), plot_ylabel(p, "log SNR");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "schedules.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);

    FILE *f = fopen(cli_out_path(cli, "schedules.csv"), "w");
    if (!f) die("cannot write %s", cli_out_path(cli, "schedules.csv"));
    fprintf(f, "t");
    const char *tags[NSCHED] = {"linear", "cosine", "cosine_clip", "zt_affine", "zt_sqrt"};
    for (int k = 0; k < NSCHED; k++) fprintf(f, ",beta_%s,abar_%s,logsnr_%s", tags[k], tags[k], tags[k]);
    fprintf(f, "\n");
    for (int t = 0; t <= T; t++) {
        fprintf(f, "%d", t);
        for (int k = 0; k < NSCHED; k++)
            fprintf(f, ",%.17g,%.17g,%.17g", sched[k].beta[t], ab[k][t], ls[k][t]);
        fprintf(f, "\n");
    }
    fclose(f);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.2: linear, cosine (clip or not), zero-terminal-SNR schedules", 36, NULL);
    DiffusionSchedule sched[NSCHED];
    sched[LINEAR] = diffusion_schedule_linear(T, 1e-4, 0.02);
    sched[COSINE] = diffusion_schedule_cosine(T, COS_S, 0.0);
    sched[COSINE_CLIP] = diffusion_schedule_cosine(T, COS_S, 0.999);
    sched[ZT_AFFINE] = diffusion_schedule_copy(&sched[LINEAR]);
    diffusion_schedule_rescale_zt_affine(&sched[ZT_AFFINE]);
    sched[ZT_SQRT] = diffusion_schedule_copy(&sched[LINEAR]);
    diffusion_schedule_rescale_zt_sqrt(&sched[ZT_SQRT]);

    section_3_2_rules(sched);
    section_3_2_1_linear(&sched[LINEAR]);
    section_3_2_2_cosine(&sched[COSINE], &sched[COSINE_CLIP]);
    section_3_2_3_zero_terminal(&sched[LINEAR], &sched[ZT_AFFINE], &sched[ZT_SQRT]);
    section_terminal_step(sched);
    figure_and_csv(&cli, sched);
    for (int k = 0; k < NSCHED; k++) diffusion_schedule_free(&sched[k]);
    return check_end();
}
