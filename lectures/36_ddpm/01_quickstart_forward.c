/*: # L36 Zone 0, 1.1.1–1.1.2 — Adding noise: one step, and all the way to $x_T$

**Lecture 36, Zone 0 (the 30-second quick start) and Zone 1 §1.1.1 (one forward step),
§1.1.2 (the closed form).** The forward process of DDPM takes a data point $x_0$ and adds a
little Gaussian noise $T = 1000$ times under the linear schedule
$\beta_t$ from $10^{-4}$ to $0.02$. After all of it, $x_T$ is almost a standard normal
sample: the signal left is $\sqrt{\bar\alpha_T}\,x_0$ with $\bar\alpha_T = 4.04\cdot10^{-5}$.

What you will see: the schedule's end points; $\bar\alpha_T$ against an independent
evaluation, with the lecture's printed $\bar\alpha_T = 0.00018$ shown as an ERRATUM (that value
is $\bar\alpha_{924}$, not $\bar\alpha_{1000}$); the mean and standard deviation of $10^5$
draws of $x_T$, of $x_1$ and of $x_{500}$, each against its closed form within 4 standard
errors; and how rare the lecture's printed draw of $x_T$ is. No figure (program 02 draws the
trajectories).

Run: `build/release/bin/lectures/36_ddpm/01_quickstart_forward [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $T$ | `T` | scalar |
| $\beta_t, \alpha_t, \bar\alpha_t$ | `sched.beta`, `sched.alpha`, `sched.alpha_bar` | (T+1) |
| $x_0$ | `X0` | (2) |
| $x_t$ | `xt` | (n, 2) |
| $\epsilon$ | `eps` | (2) |
| $n$ | `n` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 2, T = 1000 };
static const double X0[D] = {1.0, 2.0};

/* Mean and standard deviation of component a of n samples (n x D), checked against (mean, sd)
   within k = 4 standard errors: se(mean) = s/sqrt(n), se(sd) = s/sqrt(2(n-1)) (Gaussian). */
static void check_sample_moments(const char *id_prefix, const double *x, long n, const double *mean,
                                 double sd, const char *eq, const char *what) {
    double *col = xmalloc((size_t)n * sizeof(double));
    for (int a = 0; a < D; a++) {
        for (long i = 0; i < n; i++) col[i] = x[i * D + a];
        double se, m = stats_mean_se(col, (size_t)n, &se);
        double s = sqrt(stats_var(col, (size_t)n));
        char id[96];
        snprintf(id, sizeof id, "%s_mean_%d", id_prefix, a + 1);
        check_mc(id, m, mean[a], se, 4.0, n, eq, "%s: sample mean of component %d vs %.10g", what,
                 a + 1, mean[a]);
        snprintf(id, sizeof id, "%s_std_%d", id_prefix, a + 1);
        check_mc(id, s, sd, s / sqrt(2.0 * (double)(n - 1)), 4.0, n, eq,
                 "%s: sample std of component %d vs %.10g", what, a + 1, sd);
    }
    free(col);
}

/*: ## Zone 0 — the quick start: jump from $x_0$ to $x_T$

With $\alpha_t = 1-\beta_t$ and $\bar\alpha_t = \prod_{s\le t}\alpha_s$ the lecture states, and
§3.1 proves (program 02),

$$ x_T = \sqrt{\bar\alpha_T}\,x_0 + \sqrt{1-\bar\alpha_T}\,\epsilon,\qquad \epsilon\sim\mathcal N(0, I). $$ {#eq:L36.0.forward_process}

For the linear schedule $\beta_t = 10^{-4} + \frac{t-1}{999}(0.02 - 10^{-4})$ the product is
$\bar\alpha_{1000} = 4.0358\cdot10^{-5}$, so $x_T$ keeps $0.64\,\%$ of $x_0$ and has standard
deviation $0.99998$. The lecture prints $\bar\alpha_T = 0.00018$: the product first drops
below that value at $t = 924$, so the printed number belongs to a shorter or different
schedule (spec erratum E3). Its printed draw $x_T = (0.012, -0.031)$ is one unseeded random
draw, and an unlikely one: both components within $0.031$ of 0 has probability
$\prod_i P(\lvert x_{T,i}
vert\le 0.031) \approx 6\cdot10^{-4}$ (from the normal CDF, checked below
against the fraction of simulated draws that land in that box).

As an independent route to $\bar\alpha_T$ we sum logarithms, $\bar\alpha_T = \exp\sum_t
\log(1-\beta_t)$ with `log1p`, instead of multiplying.
*/
static void zone0_forward_process(const Cli *cli, const DiffusionSchedule *sched) {
    check_close("L36.0.beta_1", sched->beta[1], 1e-4, 0.0, NULL, "first beta of the linear schedule");
    check_close("L36.0.beta_T", sched->beta[T], 0.02, 1e-15, NULL, "last beta of the linear schedule");
    double log_sum = 0.0;
    for (int t = 1; t <= T; t++) log_sum += log1p(-sched->beta[t]);
    check_rel("L36.0.abar_T_vs_log_sum", sched->alpha_bar[T], exp(log_sum), 1e-12,
              "L36.0.forward_process", "alpha_bar_T by cumulative product vs exp(sum log1p(-beta_t))");
    check_rel("L36.0.abar_T_linear", sched->alpha_bar[T], 4.0358297654e-5, 1e-9,
              "L36.0.forward_process", "alpha_bar_T of the linear schedule, T = 1000 (spec 2.1)");
    int t_cross = 1;
    while (t_cross <= T && sched->alpha_bar[t_cross] >= 1.8e-4) t_cross++;
    printf("alpha_bar_t first drops below the lecture's 0.00018 at t = %d\n", t_cross);
    check_erratum("L36.0.alpha_bar_T", 0.00018, sched->alpha_bar[T],
                  "Zone 0 prints alpha_bar_T = 0.00018 for the linear schedule, T = 1000 (E3); "
                  "that is alpha_bar_%d", t_cross);

    const long n = cli_scale(cli, 20000, 100000, 1000000);
    double *xt = xmalloc((size_t)n * D * sizeof(double));
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i); /* one stream per sample */
        double eps[D];
        rng_normal_fill(&r, eps, D);
        //: $x_T = \sqrt{\bar\alpha_T}x_0 + \sqrt{1-\bar\alpha_T}\epsilon$, [eq:L36.0.forward_process]
        diffusion_q_sample(sched, T, X0, eps, xt + i * D, D);
    }
    const double m[D] = {sqrt(sched->alpha_bar[T]) * X0[0], sqrt(sched->alpha_bar[T]) * X0[1]};
    printf("x_T: theory mean [%.10f, %.10f], std %.10f\n", m[0], m[1], sqrt(1 - sched->alpha_bar[T]));
    check_sample_moments("L36.0.xT", xt, n, m, sqrt(1.0 - sched->alpha_bar[T]),
                         "L36.0.forward_process", "x_T from x0 = (1, 2)");
    /* how unusual the lecture's printed draw is: P(|x_T,1| <= 0.031, |x_T,2| <= 0.031) */
    const double box = 0.031, sd = sqrt(1.0 - sched->alpha_bar[T]);
    double p_box = 1.0;
    for (int a = 0; a < D; a++)
        p_box *= 0.5 * (erf((box - m[a]) / (sd * M_SQRT2)) - erf((-box - m[a]) / (sd * M_SQRT2)));
    long in_box = 0;
    for (long i = 0; i < n; i++) in_box += fabs(xt[i * D]) <= box && fabs(xt[i * D + 1]) <= box;
    check_mc("L36.0.xT_box_probability", (double)in_box / (double)n, p_box,
             sqrt(p_box * (1.0 - p_box) / (double)n), 4.0, n, "L36.0.forward_process",
             "fraction of x_T draws with both |components| <= 0.031 (the lecture's printed draw) vs the "
             "normal CDF, %.3g", p_box);
    free(xt);
}

/*: ## 1.1.1 One forward step

$$ q(x_t\mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big),\qquad
   x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon . $$ {#eq:L36.1.1.1.forward_step}

The step shrinks the signal by $\sqrt{1-\beta_t}$ and adds noise of variance $\beta_t$; nothing
in it is learned. The lecture's test: $x_0 = (1, 2)$, $\beta_1 = 10^{-4}$, so
$\mathbb E[x_1] = \sqrt{0.9999}\,x_0 = (0.99995, 1.99990)$ and the standard deviation is 0.01.
*/
static void forward_step(const double *x_prev, double beta, const double *eps, double *x) {
    //: $x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon$, [eq:L36.1.1.1.forward_step]
    for (int a = 0; a < D; a++) x[a] = sqrt(1.0 - beta) * x_prev[a] + sqrt(beta) * eps[a];
}

static void section_1_1_1_forward_step(const Cli *cli, const DiffusionSchedule *sched) {
    const long n = cli_scale(cli, 20000, 100000, 1000000);
    double *x1 = xmalloc((size_t)n * D * sizeof(double));
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 1, (uint64_t)i);
        double eps[D];
        rng_normal_fill(&r, eps, D);
        forward_step(X0, sched->beta[1], eps, x1 + i * D);
    }
    const double m[D] = {sqrt(0.9999) * X0[0], sqrt(0.9999) * X0[1]};
    check_sample_moments("L36.1.1.1.x1", x1, n, m, 0.01, "L36.1.1.1.forward_step",
                         "x_1 after one step with beta_1 = 1e-4");
    free(x1);
}

/*: ## 1.1.2 The closed form: jump to any $t$ in one shot

$$ q(x_t\mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t)I\big),\qquad
   x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\bar\epsilon . $$ {#eq:L36.1.1.2.sample_xt}

Training draws a random $t$ per example and needs $x_t$ without running $t$ steps; this is
what makes that possible. At the lecture's $t = 500$: $\bar\alpha_{500} = 0.0785872$,
$\sqrt{\bar\alpha_{500}} = 0.2803342$, $\sqrt{1-\bar\alpha_{500}} = 0.9599025$.
*/
static void section_1_1_2_closed_form(const Cli *cli, const DiffusionSchedule *sched) {
    const int t = 500;
    check_close("L36.1.1.2.sqrt_abar_500", diffusion_sqrt_alpha_bar(sched, t), 0.2803341629, 1e-10,
                "L36.1.1.2.sample_xt", "sqrt(alpha_bar_500), linear schedule (spec 2.2)");
    const long n = cli_scale(cli, 20000, 100000, 1000000);
    double *xt = xmalloc((size_t)n * D * sizeof(double));
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed + 2, (uint64_t)i);
        double eps[D];
        rng_normal_fill(&r, eps, D);
        //: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\bar\epsilon$, [eq:L36.1.1.2.sample_xt]
        diffusion_q_sample(sched, t, X0, eps, xt + i * D, D);
    }
    const double sa = diffusion_sqrt_alpha_bar(sched, t);
    const double m[D] = {sa * X0[0], sa * X0[1]};
    check_sample_moments("L36.1.1.2.x500", xt, n, m, diffusion_sqrt_one_minus_alpha_bar(sched, t),
                         "L36.1.1.2.sample_xt", "x_500 from x0 = (1, 2) in one shot");
    free(xt);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 Zone 0, 1.1.1-1.1.2: forward noising, one step and closed form", 36, NULL);
    DiffusionSchedule sched = diffusion_schedule_linear(T, 1e-4, 0.02);
    zone0_forward_process(&cli, &sched);
    section_1_1_1_forward_step(&cli, &sched);
    section_1_1_2_closed_form(&cli, &sched);
    diffusion_schedule_free(&sched);
    return check_end();
}
