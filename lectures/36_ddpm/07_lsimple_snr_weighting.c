/*: # L36 1.1.4, 3.6–3.7 — $L_\text{simple}$, the weights it drops, and the SNR view

**Lecture 36, §1.1.4** (the simplified loss, DDPM's Algorithm 1), **§3.6** ($L_\text{simple}$ vs
the variational bound) and **§3.7** (the SNR view of loss weighting, Min-SNR-γ).

What you will see: $L_\text{simple}$ estimated by Monte Carlo on 2-D data for four predictors
whose expected loss is known exactly (random, zero, the point-mass oracle, and the Bayes-optimal
predictor for Gaussian data); the weight $\lambda(t)$ that the bound puts on
$\lVert\epsilon-\epsilon_\theta\rVert^2$ for $\sigma_t^2 = \beta_t$ and $\tilde\beta_t$, against the spec's table
and against the KL it comes from; its SNR form; and Min-SNR-γ on the cosine schedule with the
weight each prediction target needs. ERRATUM lines: which steps the bound emphasises (E19),
"$\lambda\propto\mathrm{SNR}$" (E20), Min-SNR's weight applied to the $\epsilon$-loss (E21).
Figure `loss_weights.png`: $\lambda(t)$, SNR and $L_\text{simple}$'s constant weight; Min-SNR
weights per target on the cosine schedule.

Run: `build/release/bin/lectures/36_ddpm/07_lsimple_snr_weighting [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t$ | `s->beta`, `s->alpha`, `s->alpha_bar` | (T+1) |
| $\lambda(t)$ | `lambda_vlb(s, t, variant)` | scalar |
| $\mathrm{SNR}(t)$ | `diffusion_snr(s, t)` | scalar |
| $\gamma$ | `GAMMA` | scalar |
| $x_0, \epsilon, \epsilon_\theta, x_t$ | `x0`, `eps`, `eps_hat`, `xt` | (2) |
| $d$ | `D` | 2 |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 2, T = 1000 };
enum { VAR_BETA, VAR_BTILDE };
static const double X0[D] = {1.0, 2.0}, DATA_VAR = 0.25, GAMMA = 5.0;

/*: ## 1.1.4 The simplified loss (Algorithm 1)

$$ L_\text{simple} = \mathbb E_{t\sim U\{1..T\},\,x_0,\,\epsilon}\big\lVert\epsilon - \epsilon_\theta(x_t, t)\big\rVert^2,\qquad x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, $$ {#eq:L36.1.1.4.l_simple}

summed over the $d = 2$ coordinates (the lecture's `sum`). Four predictors with known expected
loss: an independent $\mathcal N(0, I)$ guess ($2d = 4$, the lecture's placeholder), zero ($d = 2$),
the oracle for a single data point $x_0 = (1, 2)$, which recovers $\epsilon$ exactly (0), and
for data $x_0\sim\mathcal N((1,2), 0.25 I)$ the Bayes predictor $\mathbb E[\epsilon\mid x_t]$, whose loss is
the irreducible $\frac dT\sum_t \bar\alpha_t s^2/v_t$ with $v_t = \bar\alpha_t s^2 + 1-\bar\alpha_t$
(the floor that program 16's trained network approaches).
*/
typedef enum { PRED_RANDOM, PRED_ZERO, PRED_POINT_ORACLE, PRED_BAYES, NPRED } Predictor;
static const char *PRED_NAME[NPRED] = {"independent N(0, I) guess", "zero", "point-mass oracle",
                                       "Bayes predictor, Gaussian data"};

static void predict(const DiffusionSchedule *s, Predictor k, int t, const double *xt, Rng *r,
                    double *eps_hat) {
    const double ab = s->alpha_bar[t];
    for (int a = 0; a < D; a++) {
        switch (k) {
        case PRED_RANDOM: eps_hat[a] = rng_normal(r); break;
        case PRED_ZERO: eps_hat[a] = 0.0; break;
        case PRED_POINT_ORACLE: eps_hat[a] = (xt[a] - sqrt(ab) * X0[a]) / sqrt(1.0 - ab); break;
        default: {
            const double vt = ab * DATA_VAR + 1.0 - ab;
            eps_hat[a] = sqrt(1.0 - ab) * (xt[a] - sqrt(ab) * X0[a]) / vt;
        }
        }
    }
}

static double train_step_loss(const DiffusionSchedule *s, Predictor k, Rng *r) {
    const int t = 1 + (int)rng_below(r, T);
    double x0[D], eps[D], xt[D], eps_hat[D];
    for (int a = 0; a < D; a++) x0[a] = X0[a] + (k == PRED_BAYES ? sqrt(DATA_VAR) * rng_normal(r) : 0.0);
    rng_normal_fill(r, eps, D);
    diffusion_q_sample(s, t, x0, eps, xt, D);
    predict(s, k, t, xt, r, eps_hat);
    double loss = 0.0;
    //: $\lVert\epsilon - \epsilon_\theta\rVert^2$, [eq:L36.1.1.4.l_simple]
    for (int a = 0; a < D; a++) loss += (eps[a] - eps_hat[a]) * (eps[a] - eps_hat[a]);
    return loss;
}

static void section_1_1_4_l_simple(const Cli *cli, const DiffusionSchedule *s) {
    const long n = cli_scale(cli, 20000, 100000, 1000000);
    double floor_sum = 0.0;
    for (int t = 1; t <= T; t++)
        floor_sum += s->alpha_bar[t] * DATA_VAR / (s->alpha_bar[t] * DATA_VAR + 1.0 - s->alpha_bar[t]);
    const double bayes_floor = D * floor_sum / T;
    check_rel("L36.1.1.4.bayes_floor", bayes_floor, 0.346107, 2e-6, "L36.1.1.4.l_simple",
              "irreducible L_simple for data N((1,2), 0.25 I): (d/T) sum_t abar s^2 / v_t (spec: 2 x 0.1730534)");
    const double expect[NPRED] = {2.0 * D, (double)D, 0.0, bayes_floor};
    const char *tag[NPRED] = {"random_pred", "zero_pred", "point_oracle", "bayes_gauss"};
    double *loss = xmalloc((size_t)n * sizeof(double));
    for (int k = 0; k < NPRED; k++) {
        double worst = 0.0;
        for (long i = 0; i < n; i++) {
            Rng r;
            rng_init(&r, cli->seed + (uint64_t)k, (uint64_t)i);
            loss[i] = train_step_loss(s, (Predictor)k, &r);
            worst = fmax(worst, loss[i]);
        }
        double se, mean = stats_mean_se(loss, (size_t)n, &se);
        char id[64];
        snprintf(id, sizeof id, "L36.1.1.4.lsimple_%s", tag[k]);
        if (k == PRED_POINT_ORACLE)
            /* exact up to rounding amplified by 1/sqrt(1 - abar_1) = 100: (100 x 1e-15)^2 */
            check_close(id, worst, 0.0, 1e-20, "L36.1.1.4.l_simple",
                        "largest loss of the point-mass oracle over %ld draws (eps recovered exactly)", n);
        else
            check_mc(id, mean, expect[k], se, 4.0, n, "L36.1.1.4.l_simple", "L_simple of the %s (expected %g)",
                     PRED_NAME[k], expect[k]);
    }
    free(loss);
}

/*: ## 3.6 What $L_\text{simple}$ drops: the weight of the bound

With $\mu_\theta$ in $\epsilon$-form (program 06), the KL term of the bound (program 05) is a
constant plus a weighted noise error:

$$ L_{t-1} = \text{const} + \lambda(t)\,\lVert\epsilon - \epsilon_\theta\rVert^2,\qquad
   \lambda(t) = \frac{\beta_t^2}{2\sigma_t^2\,\alpha_t(1-\bar\alpha_t)}
   = \begin{cases}\dfrac{\beta_t}{2\alpha_t(1-\bar\alpha_t)} & \sigma_t^2 = \beta_t\\[2ex] \dfrac{\beta_t^2}{2\tilde\beta_t\,\alpha_t(1-\bar\alpha_t)} & \sigma_t^2 = \tilde\beta_t\end{cases} $$ {#eq:L36.3.6.lambda}

$L_\text{simple}$ sets $\lambda\equiv1$. On the linear schedule $\lambda$ is largest at small
$t$ (0.50 at $t = 1$, 0.0055 at $t = 500$, minimum 0.00497 at $t = 349$): the bound stresses the
*low*-noise steps, as the lecture's first reason says; its third reason (the bound
over-trains the high-noise region) contradicts it (spec E19). Checked against the spec's table
and against its definition: the pointwise Gaussian KL (`common/divergence.h`) minus the
variance constant, divided by $\lVert\epsilon - \epsilon_\theta\rVert^2$, for random predictions.
*/
static double lambda_vlb(const DiffusionSchedule *s, int t, int variant) {
    const double sig2 = variant == VAR_BETA ? s->beta[t] : diffusion_beta_tilde(s, t);
    //: [eq:L36.3.6.lambda]
    return s->beta[t] * s->beta[t] / (2.0 * sig2 * s->alpha[t] * (1.0 - s->alpha_bar[t]));
}

static void section_3_6_weights(const Cli *cli, const DiffusionSchedule *s) {
    const int ts[7] = {1, 2, 10, 100, 349, 500, 1000};
    const double ref_beta[7] = {0.5000500, 0.2726921, 0.0737170, 0.0100813, 0.0049679, 0.0055034, 0.0102045};
    const double ref_btilde[7] = {NAN, 0.5996715, 0.0864366, 0.0102670, NAN, 0.0055082, 0.0102045};
    for (int k = 0; k < 7; k++) {
        char id[64];
        snprintf(id, sizeof id, "L36.3.6.lambda_beta_t%d", ts[k]);
        check_close(id, lambda_vlb(s, ts[k], VAR_BETA), ref_beta[k], 5.1e-8, "L36.3.6.lambda",
                    "lambda(%d), sigma^2 = beta, vs the spec's table (7 decimals)", ts[k]);
        if (isnan(ref_btilde[k])) continue;
        snprintf(id, sizeof id, "L36.3.6.lambda_btilde_t%d", ts[k]);
        check_close(id, lambda_vlb(s, ts[k], VAR_BTILDE), ref_btilde[k], 5.1e-8, "L36.3.6.lambda",
                    "lambda(%d), sigma^2 = beta~, vs the spec's table", ts[k]);
    }
    int argmin = 1;
    for (int t = 2; t <= T; t++)
        if (lambda_vlb(s, t, VAR_BETA) < lambda_vlb(s, argmin, VAR_BETA)) argmin = t;
    check_close("L36.3.6.lambda_argmin", argmin, 349, 0, "L36.3.6.lambda", "t minimising lambda(t), sigma^2 = beta");

    /* the definition: KL(N(mu~, beta~) || N(mu_eps, sigma^2)) - variance constant = lambda |eps - eps_hat|^2 */
    double worst = 0.0;
    Rng r;
    rng_init(&r, cli->seed + 10, 0);
    for (int t = 2; t <= T; t += 7)
        for (int v = 0; v < 2; v++) {
            const double sig2 = v == VAR_BETA ? s->beta[t] : diffusion_beta_tilde(s, t), bt = diffusion_beta_tilde(s, t);
            const double x0 = rng_normal(&r), eps = rng_normal(&r), eps_hat = eps + rng_normal(&r);
            double xt, mu, mu_hat;
            diffusion_q_sample(s, t, &x0, &eps, &xt, 1);
            diffusion_posterior_mean(s, t, &x0, &xt, &mu, 1);
            diffusion_mean_from_eps(s, t, &xt, &eps_hat, &mu_hat, 1);
            const double kl = kl_gauss_1d(mu, sqrt(bt), mu_hat, sqrt(sig2));
            const double var_const = 0.5 * (bt / sig2 - 1.0 + log(sig2 / bt));
            const double implied = (kl - var_const) / ((eps - eps_hat) * (eps - eps_hat));
            worst = fmax(worst, fabs(implied / lambda_vlb(s, t, v) - 1.0));
        }
    check_close("L36.3.6.lambda_from_kl", worst, 0.0, 1e-8, "L36.3.6.lambda",
                "max relative gap between (KL - const)/|eps - eps_hat|^2 and lambda(t), t = 2, 9, ..., both variances");
    check_erratum("L36.3.6.vlb_emphasis", 1.0, lambda_vlb(s, T, VAR_BETA) / lambda_vlb(s, 1, VAR_BETA),
                  "3.6 point 3 says the bound over-weights high noise, i.e. lambda(T)/lambda(1) >= 1 (E19); "
                  "the ratio is this: the bound weights low noise (small t), as point 1 says");
}

/*: ## 3.7 The SNR view

With $\mathrm{SNR}(t) = \bar\alpha_t/(1-\bar\alpha_t)$ the weight for $\sigma_t^2 = \tilde\beta_t$
is a ratio of neighbouring SNRs, and the weight of the equivalent $x_0$-loss a difference
(Kingma et al. 2021, not "Ho et al. 2020, appendix"):

$$ \lambda(t) = \tfrac12\Big(\frac{\mathrm{SNR}(t-1)}{\mathrm{SNR}(t)} - 1\Big),\qquad
   \lambda(t)\,\mathrm{SNR}(t) = \tfrac12\big(\mathrm{SNR}(t-1) - \mathrm{SNR}(t)\big). $$ {#eq:L36.3.7.lambda_snr}

So $\lambda$ is *not* proportional to $\mathrm{SNR}$: SNR falls by a factor $1.2\cdot10^5$ from
$t = 1$ to $t = 500$, $\lambda$ by 91; and a weight $\propto\mathrm{SNR}$ would favour high-SNR
(low-noise) steps, not low-SNR ones (spec E20).

**Min-SNR-γ** (Hang et al. 2023) caps the $x_0$-space weight at $\gamma = 5$:
$w_{x_0} = \min(\mathrm{SNR}, \gamma)$. Because $\lVert\epsilon - \epsilon_\theta\rVert^2 = \mathrm{SNR}\,\lVert x_0 - x_\theta\rVert^2$
and $\lVert v - v_\theta\rVert^2 = (\mathrm{SNR}+1)\lVert x_0 - x_\theta\rVert^2$ for predictions linked
through the same $x_t$, the same weighting applied to the other targets is

$$ w_\epsilon = \frac{\min(\mathrm{SNR}, \gamma)}{\mathrm{SNR}},\qquad w_v = \frac{\min(\mathrm{SNR}, \gamma)}{\mathrm{SNR} + 1} . $$ {#eq:L36.3.7.min_snr}

The lecture does not say which loss its $\min(\mathrm{SNR},\gamma)$ multiplies; put on the
$\epsilon$-loss it falls to $3.75\cdot10^{-33}$ at $t = T$ of the cosine schedule (spec E21).
*/
static void section_3_7_snr(const Cli *cli, const DiffusionSchedule *lin, const DiffusionSchedule *cos_s) {
    const double tol = 16.0 * DBL_EPSILON / (1.0 - lin->alpha_bar[1]); /* rounding of 1 - abar_1 */
    double worst_ratio = 0.0, worst_diff = 0.0, lo = INFINITY, hi = 0.0;
    for (int t = 2; t <= T; t++) {
        const double lam = lambda_vlb(lin, t, VAR_BTILDE), snr = diffusion_snr(lin, t), snr_prev = diffusion_snr(lin, t - 1);
        //: [eq:L36.3.7.lambda_snr]
        worst_ratio = fmax(worst_ratio, fabs(0.5 * (snr_prev / snr - 1.0) / lam - 1.0));
        worst_diff = fmax(worst_diff, fabs(0.5 * (snr_prev - snr) / (lam * snr) - 1.0));
        lo = fmin(lo, lam / snr), hi = fmax(hi, lam / snr);
    }
    check_close("L36.3.7.lambda_snr_ratio", worst_ratio, 0.0, tol, "L36.3.7.lambda_snr",
                "max_t relative gap of lambda(t) (beta~) and (SNR(t-1)/SNR(t) - 1)/2, t = 2..T");
    check_close("L36.3.7.x0_weight_snr_diff", worst_diff, 0.0, tol, "L36.3.7.lambda_snr",
                "max_t relative gap of lambda(t) SNR(t) and (SNR(t-1) - SNR(t))/2");
    check_ge("L36.3.7.lambda_not_prop_snr", hi / lo, 1e5, 0.0, "L36.3.7.lambda_snr",
             "max_t / min_t of lambda(t)/SNR(t): far from constant");
    check_erratum("L36.3.7.lambda_prop_snr", diffusion_snr(lin, 1) / diffusion_snr(lin, 500),
                  lambda_vlb(lin, 1, VAR_BETA) / lambda_vlb(lin, 500, VAR_BETA),
                  "3.7 says lambda(t) is proportional to SNR(t) (E20): lambda(1)/lambda(500) would be "
                  "SNR(1)/SNR(500); it is this (sigma^2 = beta)");

    /* Min-SNR on the cosine schedule (unclipped, as the lecture codes it) */
    double smin = INFINITY, smax = 0.0, wmin = INFINITY, wmax = 0.0;
    int n_clipped = 0;
    for (int t = 1; t <= T; t++) {
        const double snr = diffusion_snr(cos_s, t), w = fmin(snr, GAMMA);
        smin = fmin(smin, snr), smax = fmax(smax, snr), wmin = fmin(wmin, w), wmax = fmax(wmax, w);
        n_clipped += snr > GAMMA;
    }
    check_rel("L36.3.7.cosine_snr_min", smin, 3.75e-33, 1e-3, "L36.3.2.snr", "cosine SNR range: minimum (t = T)");
    check_rel("L36.3.7.cosine_snr_max", smax, 24221.327, 1e-7, "L36.3.2.snr", "cosine SNR range: maximum (t = 1)");
    check_close("L36.3.7.min_snr_max", wmax, GAMMA, 0.0, "L36.3.7.min_snr", "Min-SNR weight range: maximum = gamma");
    check_close("L36.3.7.min_snr_min", wmin, smin, 0.0, "L36.3.7.min_snr", "Min-SNR weight range: minimum = min SNR");
    check_close("L36.3.7.n_clipped", n_clipped, 261, 0, "L36.3.7.min_snr",
                "number of t with SNR(t) > gamma = 5 (SNR(261) = %.5f, SNR(262) = %.5f)",
                diffusion_snr(cos_s, 261), diffusion_snr(cos_s, 262));
    const int th[3] = {1, 100, 500};
    const double ref_h[3] = {2.0643e-4, 0.143542, 1.0};
    for (int k = 0; k < 3; k++) {
        const double snr = diffusion_snr(cos_s, th[k]);
        char id[64];
        snprintf(id, sizeof id, "L36.3.7.hang_eps_weight_t%d", th[k]);
        //: $w_\epsilon$ of [eq:L36.3.7.min_snr]
        check_rel(id, fmin(snr, GAMMA) / snr, ref_h[k], 5e-5, "L36.3.7.min_snr",
                  "Min-SNR weight for the eps-loss, min(SNR,5)/SNR, cosine, t = %d", th[k]);
    }
    /* the target-space identities behind w_eps and w_v, with predictions linked through x_t */
    double worst_e = 0.0, worst_v = 0.0;
    Rng r;
    rng_init(&r, cli->seed + 11, 0);
    for (int t = 1; t < T; t += 37) {
        const double ab = cos_s->alpha_bar[t], snr = diffusion_snr(cos_s, t);
        double x0[D], eps[D], xt[D], x0_hat[D], eps_hat[D], v[D], v_hat[D];
        rng_normal_fill(&r, x0, D), rng_normal_fill(&r, eps, D), rng_normal_fill(&r, x0_hat, D);
        diffusion_q_sample(cos_s, t, x0, eps, xt, D);
        diffusion_eps_from_x0(ab, xt, x0_hat, eps_hat, D);
        diffusion_v_from_x0_eps(ab, x0, eps, v, D);
        diffusion_v_from_x0_eps(ab, x0_hat, eps_hat, v_hat, D);
        double e_x0 = 0, e_eps = 0, e_v = 0;
        for (int a = 0; a < D; a++)
            e_x0 += (x0[a] - x0_hat[a]) * (x0[a] - x0_hat[a]), e_eps += (eps[a] - eps_hat[a]) * (eps[a] - eps_hat[a]),
                e_v += (v[a] - v_hat[a]) * (v[a] - v_hat[a]);
        worst_e = fmax(worst_e, fabs(e_eps / (snr * e_x0) - 1.0));
        worst_v = fmax(worst_v, fabs(e_v / ((snr + 1.0) * e_x0) - 1.0));
    }
    check_close("L36.3.7.eps_error_is_snr_x0_error", worst_e, 0.0, 1e-12, "L36.3.7.min_snr",
                "|eps - eps_hat|^2 = SNR |x0 - x0_hat|^2 (cosine, 27 t's; relative)");
    check_close("L36.3.7.v_error_is_snr1_x0_error", worst_v, 0.0, 1e-12, "L36.3.7.min_snr",
                "|v - v_hat|^2 = (SNR + 1) |x0 - x0_hat|^2 (relative)");
    const double snr_T = diffusion_snr(cos_s, T);
    check_erratum("L36.3.7.min_snr_on_eps_loss", fmin(snr_T, GAMMA), fmin(snr_T, GAMMA) / snr_T,
                  "3.7's min(SNR, gamma) applied to the eps-loss at t = T of the cosine schedule (E21); "
                  "Hang et al.'s eps-loss weight min(SNR, gamma)/SNR is 1 there");
}

static void figure(const Cli *cli, const DiffusionSchedule *lin, const DiffusionSchedule *cos_s) {
    static double tt[T], lb[T], lbt[T], snr[T], one[T], wx0[T], weps[T], wv[T];
    int nbt = 0;
    for (int t = 1; t <= T; t++) {
        tt[t - 1] = t, one[t - 1] = 1.0;
        lb[t - 1] = lambda_vlb(lin, t, VAR_BETA), snr[t - 1] = diffusion_snr(lin, t);
        if (t >= 2) lbt[nbt++] = lambda_vlb(lin, t, VAR_BTILDE);
        const double sc = diffusion_snr(cos_s, t), m = fmin(sc, GAMMA);
        wx0[t - 1] = m, weps[t - 1] = m / sc, wv[t - 1] = m / (sc + 1.0);
    }
    Plot *p = plot_new_grid(1, 2, 1300, 500, "3.6-3.7: loss weights over t");
    plot_panel(p, 0);
    plot_title(p, "linear schedule: weight on |eps - eps_theta|^2");
    plot_line(p, tt, lb, T, "VLB lambda(t), sigma^2 = beta");
    plot_line(p, tt + 1, lbt, nbt, "VLB lambda(t), sigma^2 = beta~");
    plot_line(p, tt, one, T, "L_simple (1)");
    PlotSeries *sl = plot_line(p, tt, snr, T, "SNR(t) (not proportional, E20)");
    plot_series_dash(sl, PLOT_DASHED);
    plot_ylog(p, 1);
    plot_xlabel(p, "t"), plot_ylabel(p, "weight");
    plot_panel(p, 1);
    plot_title(p, "cosine schedule: Min-SNR-5 per target (t < T)");
    plot_line(p, tt, wx0, T - 1, "x0-loss: min(SNR, 5)");
    plot_line(p, tt, weps, T - 1, "eps-loss: min(SNR, 5)/SNR");
    plot_line(p, tt, wv, T - 1, "v-loss: min(SNR, 5)/(SNR + 1)");
    plot_ylog(p, 1);
    plot_xlabel(p, "t"), plot_ylabel(p, "weight");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "loss_weights.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 1.1.4, 3.6-3.7: L_simple by Monte Carlo, VLB weights, SNR view, Min-SNR", 36, NULL);
    DiffusionSchedule lin = diffusion_schedule_linear(T, 1e-4, 0.02);
    DiffusionSchedule cos_s = diffusion_schedule_cosine(T, 0.008, 0.0);
    section_1_1_4_l_simple(&cli, &lin);
    section_3_6_weights(&cli, &lin);
    section_3_7_snr(&cli, &lin, &cos_s);
    figure(&cli, &lin, &cos_s);
    diffusion_schedule_free(&lin);
    diffusion_schedule_free(&cos_s);
    return check_end();
}
