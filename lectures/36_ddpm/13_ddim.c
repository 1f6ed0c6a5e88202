/*: # L36 3.9.1–3.9.2 — DDIM: one family of samplers from $\eta = 1$ (DDPM) to $\eta = 0$ (deterministic)

**Lecture 36, sections 3.9.1** (the non-Markovian forward process and its $\sigma_t$) **and
3.9.2** (the DDIM update, deterministic sampling, acceleration on a sub-sequence $\tau$, the
lecture's demo), with spec errata E27 (which $\tau$?) and E28 (the demo divides by
$\sqrt{\bar\alpha_{1000}} \approx 6\cdot10^{-17}$).

Everything runs with the exact denoiser of `common/diffusion_sampler.h`, so every number
has a closed-form or exact-recursion counterpart.

What you will see: $\eta = 1$ reproduces the DDPM posterior ($\sigma_t^2 = \tilde\beta_t$ and
$\tilde\mu_t$) and, over all 1000 steps, DDPM's chain path by path; every $\eta$ keeps the
marginals $q(x_s\mid x_0)$; $\eta = 0$ is deterministic (bitwise, any thread count) and
invertible (encode, decode, the round trip shrinks like $1/S$); a point mass is recovered
with any $S$ and any sub-sequence; on $\mathcal N(1, 0.5^2)$ data the final std for
$S = 10 \dots 1000$ from the exact chain law (spec D12) and by sampling; the three
sub-sequence rules compared (E27); the demo's blow-up and its repairs (E28).
Figure: `ddim_vs_ddpm.png`, DDPM and DDIM paths from the same $x_T$, and the final std against $S$
for the three sub-sequences.

Run: `build/release/bin/lectures/36_ddpm/13_ddim [--quick | --full] [--threads N]`.

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha_t$ | `sch.alpha_bar` | $T+1$ |
| $\eta$, $\sigma_t$ | `eta`, `DiffStep.sigma` | scalars |
| $\tau_1 < \dots < \tau_S$ | `tau` | $S$ |
| $\hat x_0$, $\hat\epsilon$ | (inside `diff_ddim_step`) | (n, d) |
| one plan (list of steps) | `plan` (`DiffStep[]`) | $S$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };
static DiffStep plan[T], plan2[T];
static int tau[T];

/* A 1-D Gaussian data law N(m, s2) and its exact denoiser. */
typedef struct {
    Gmm data;
    DiffOracle oracle;
} Law;

static void law_init(Law *l, double m, double s2) {
    l->data = gmm_new(1, 1);
    gmm_set(&l->data, 0, 1.0, &m, NULL, s2);
    l->oracle.data = &l->data;
}

static void mc_mean_var(const double *x, size_t n, double centre, double *mean, double *se, double *msd, double *msd_se) {
    double *sq = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) sq[i] = (x[i] - centre) * (x[i] - centre);
    *mean = stats_mean_se(x, n, se);
    *msd = stats_mean_se(sq, n, msd_se);
    free(sq);
}

/*: ## 3.9.1 The non-Markovian forward process and its $\sigma_t$

DDIM keeps the marginals $q(x_t\mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)$ but
replaces the Markov chain by a family of reverse kernels, one for each $\sigma_t$:

$$ q_\sigma(x_s\mid x_t, x_0) = \mathcal N\Big(\sqrt{\bar\alpha_s}\,x_0 + \sqrt{1-\bar\alpha_s-\sigma_t^2}\;
   \frac{x_t - \sqrt{\bar\alpha_t}x_0}{\sqrt{1-\bar\alpha_t}},\ \sigma_t^2 I\Big). $$ {#eq:L36.3.9.1.q_sigma}

If $x_t \sim q(x_t\mid x_0)$, the fraction is a standard normal $\epsilon$, so $x_s$ has mean
$\sqrt{\bar\alpha_s}x_0$ and variance $(1-\bar\alpha_s-\sigma_t^2) + \sigma_t^2 = 1-\bar\alpha_s$:
the marginal is kept for *every* $\sigma_t$ and every jump $t \to s$. With
$\sigma_t = \eta\sqrt{(1-\bar\alpha_s)/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_s}$ and $s = t-1$,
$\eta = 1$ gives $\sigma_t^2 = \tilde\beta_t$ and the mean becomes the DDPM posterior mean
$\tilde\mu_t$ (the algebra: $(1-\bar\alpha_{t-1}-\tilde\beta_t)/(1-\bar\alpha_t) = \alpha_t(1-\bar\alpha_{t-1})^2/(1-\bar\alpha_t)^2$).

$$ \sigma_t(\eta) = \eta\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_s}} $$ {#eq:L36.3.9.1.sigma_eta}

The kernel with a point-mass denoiser is exactly $q_\sigma$, so the exact chain law
(`diff_gauss_chain_law` with $s^2 = 0$, started from $q(x_t\mid x_0)$) tests the marginal claim
without sampling; sampled chains test it again.
*/
static void sigma_family(const Cli *cli, const DiffusionSchedule *sch) {
    const double *ab = sch->alpha_bar;
    double worst = 0;
    for (int t = 2; t <= T; t++) {
        //: $\sigma_t(1)^2$ vs $\tilde\beta_t$, eq. [eq:L36.3.9.1.sigma_eta]
        const DiffStep st = diff_ddim_step(ab, t, t - 1, 1.0);
        worst = fmax(worst, fabs(st.sigma * st.sigma / diffusion_beta_tilde(sch, t) - 1.0));
    }
    check_le("L36.3.9.1.eta1_sigma2_is_btilde", worst, 0, 1e-11, "L36.3.9.1.sigma_eta",
             "max_t |sigma_t(eta=1)^2 / beta_tilde_t - 1| (bar: rounding of 1 - abar_t/abar_{t-1}, ~eps/beta_1 = 2e-12)");

    const int pt[3] = {500, 2, 1000};
    const double px0[3] = {1.0, 1.0, 2.0}, pxt[3] = {0.3, 0.99, -0.5};
    double worst_mu = 0;
    for (int i = 0; i < 3; i++) {
        const int t = pt[i];
        const double eps = (pxt[i] - sqrt(ab[t]) * px0[i]) / sqrt(1.0 - ab[t]);
        const double s2 = diffusion_beta_tilde(sch, t);
        //: DDIM mean $\sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\epsilon$, eq. [eq:L36.3.9.1.q_sigma]
        const double mu_ddim = sqrt(ab[t - 1]) * px0[i] + sqrt(1.0 - ab[t - 1] - s2) * eps;
        double mu_tilde;
        diffusion_posterior_mean(sch, t, &px0[i], &pxt[i], &mu_tilde, 1);
        worst_mu = fmax(worst_mu, fabs(mu_ddim - mu_tilde));
    }
    check_le("L36.3.9.1.eta1_mean_is_mu_tilde", worst_mu, 0, 1e-13, "L36.3.9.1.q_sigma",
             "max |DDIM(eta=1) mean - mu_tilde| at the three 3.3 points (t, x0, x_t) = (500,1,.3), (2,1,.99), (1000,2,-.5)");

    /* marginals: exact law of one step from q(x_t | x0), point-mass denoiser */
    Law pm;
    law_init(&pm, 1.0, 0.0);
    const int jt[2] = {1000, 500}, js[2] = {500, 499};
    const double etas[3] = {0.0, 0.5, 1.0};
    double worst_law = 0;
    for (int j = 0; j < 2; j++)
        for (int e = 0; e < 3; e++) {
            const DiffStep st = diff_ddim_step(ab, jt[j], js[j], etas[e]);
            double mean, var;
            diff_gauss_chain_law(&st, 1, ab, 1.0, 0.0, sqrt(ab[jt[j]]), 1.0 - ab[jt[j]], &mean, &var);
            worst_law = fmax(worst_law, fmax(fabs(mean - sqrt(ab[js[j]])), fabs(var - (1.0 - ab[js[j]]))));
        }
    check_le("L36.3.9.1.marginal_exact", worst_law, 0, 1e-13, "L36.3.9.1.q_sigma",
             "one DDIM step from q(x_t|x0=1) lands on q(x_s|x0): max error of mean and variance, eta 0/0.5/1, 1000->500, 500->499");

    const size_t n = (size_t)cli_scale(cli, 20000, 100000, 1000000);
    double *x = xmalloc(sizeof(double) * n);
    for (int j = 0; j < 2; j++) {
        const double eta = j == 0 ? 0.5 : 1.0;
        Rng r;
        rng_init(&r, cli->seed, 1000 + (uint64_t)j);
        for (size_t c = 0; c < n; c++) x[c] = sqrt(ab[jt[j]]) + sqrt(1.0 - ab[jt[j]]) * rng_normal(&r);
        const DiffStep st = diff_ddim_step(ab, jt[j], js[j], eta);
        DiffSampler s;
        diff_sampler_init(&s, n, 1, ab, diff_oracle_eps, &pm.oracle, cli->seed + 10 + (uint64_t)j);
        s.draw_prior = 0;
        s.n_threads = cli->threads;
        diff_run(&s, &st, 1, x);
        double m, se, msd, msd_se;
        mc_mean_var(x, n, sqrt(ab[js[j]]), &m, &se, &msd, &msd_se);
        char id[64];
        snprintf(id, sizeof id, "L36.3.9.1.marginal_mc_mean_%d_%d", jt[j], js[j]);
        check_mc(id, m, sqrt(ab[js[j]]), se, 4, (long)n, "L36.3.9.1.q_sigma", "sampled x_s mean = sqrt(abar_s), eta %.1f, %d -> %d", eta, jt[j], js[j]);
        snprintf(id, sizeof id, "L36.3.9.1.marginal_mc_var_%d_%d", jt[j], js[j]);
        check_mc(id, msd, 1.0 - ab[js[j]], msd_se, 4, (long)n, "L36.3.9.1.q_sigma", "sampled x_s variance = 1 - abar_s, eta %.1f, %d -> %d", eta, jt[j], js[j]);
    }
    free(x);
    gmm_free(&pm.data);
}

/*: ## 3.9.2 The DDIM update, $\eta = 1$ against DDPM

With the predicted clean point $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon)/\sqrt{\bar\alpha_t}$,

$$ x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma_t^2}\;\hat\epsilon + \sigma_t z . $$ {#eq:L36.3.9.2.ddim_update}

Over the full sequence $\tau = (1, \dots, T)$ with $\eta = 1$ this is DDPM with $\sigma_t^2 = \tilde\beta_t$,
step for step. Run both with the same seed (the same normal numbers reach both, since each chain
draws from its own stream in the same order) and their paths can differ only by rounding: the
coupled difference is compared with a bound from the arithmetic, not with a Monte-Carlo bar.
The exact chain law of DDIM($\eta = 1$) must also give the DDPM/$\tilde\beta$ final std 0.49611008.
*/
static void eta_one_is_ddpm(const Cli *cli, const DiffusionSchedule *sch) {
    Law g;
    law_init(&g, 1.0, 0.25);
    for (int k = 0; k < T; k++) tau[k] = k + 1;
    //: DDIM($\eta = 1$) over all steps, eq. [eq:L36.3.9.2.ddim_update]
    diff_plan_ddim(sch->alpha_bar, tau, T, 1.0, plan);
    diff_plan_ddpm(sch->beta, sch->alpha_bar, T, DIFF_VAR_BETA_TILDE, plan2);
    double mean, var;
    diff_gauss_chain_law(plan, T, sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
    check_close("L36.3.9.2.eta1_law_std", sqrt(var), 0.49611008, 1e-8, "L36.3.9.2.ddim_update",
                "exact final std of DDIM eta = 1 over all 1000 steps = DDPM with beta_tilde (spec D12)");
    const size_t n = (size_t)cli_scale(cli, 500, 2000, 20000);
    double *x1 = xmalloc(sizeof(double) * n), *x2 = xmalloc(sizeof(double) * n);
    DiffSampler s;
    diff_sampler_init(&s, n, 1, sch->alpha_bar, diff_oracle_eps, &g.oracle, cli->seed + 20);
    s.n_threads = cli->threads;
    diff_run(&s, plan, T, x1);
    diff_run(&s, plan2, T, x2);
    check_le("L36.3.9.2.eta1_coupled_ddpm", stats_max_abs_diff(x1, x2, n), 0, 1e-10, "L36.3.9.2.ddim_update",
             "same seed: max |DDIM(eta=1) - DDPM(beta_tilde)| over %zu chains after 1000 steps (rounding only)", n);
    free(x1), free(x2);
    gmm_free(&g.data);
}

/*: ## 3.9.2 Deterministic sampling: repeatable and invertible

With $\eta = 0$ the chain has no noise: the same $x_T$ always gives the same $x_0$, whatever the
thread count. Run backwards (each step's map with the two times exchanged, the predicted noise
taken at the current state) the same update *encodes* data into $x_T$; decoding that $x_T$
returns the data up to the discretisation error of the two passes, which is (at least) first
order in the step: the round trip error must shrink at least fivefold from $S = 100$ to
$S = 1000$ (first order would be tenfold; the run shows more).

Determinism is also what makes interpolation in $x_T$ meaningful (the lecture's third claimed
advantage). The lecture calls it "Latent Consistency", a name that belongs to a different
family (latent consistency models); the DDIM paper interpolates $x_T$ by slerp (spec E29).
*/
static void deterministic(const Cli *cli, const DiffusionSchedule *sch) {
    Gmm mix = gmm_new(3, 2);
    const double m0[2] = {-2, 0}, m1[2] = {2, 0}, m2[2] = {0, 2.5};
    gmm_set(&mix, 0, 1, m0, NULL, 0.1), gmm_set(&mix, 1, 1, m1, NULL, 0.1), gmm_set(&mix, 2, 1, m2, NULL, 0.1);
    gmm_normalise(&mix);
    DiffOracle oracle = {&mix};
    const size_t n = 512;
    double *a = xmalloc(sizeof(double) * n * 2), *b = xmalloc(sizeof(double) * n * 2), *c = xmalloc(sizeof(double) * n * 2);
    diff_timesteps(T, 50, DIFF_TAU_TRAILING, tau);
    diff_plan_ddim(sch->alpha_bar, tau, 50, 0.0, plan);
    DiffSampler s;
    diff_sampler_init(&s, n, 2, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 30);
    s.n_threads = 1, s.block = 7;
    diff_run(&s, plan, 50, a);
    s.n_threads = 2, s.block = 64;
    diff_run(&s, plan, 50, b);
    s.n_threads = cli->threads, s.block = 0;
    diff_run(&s, plan, 50, c);
    check_true("L36.3.9.2.deterministic_bitwise", !memcmp(a, b, sizeof(double) * n * 2) && !memcmp(a, c, sizeof(double) * n * 2),
               "eta = 0, S = 50, 3-mode 2-D mixture: three runs (1 thread/block 7, 2 threads/block 64, default) agree bit for bit");

    /* invertibility: data -> x_T -> data */
    Rng r;
    rng_init(&r, cli->seed, 2000);
    double *x0 = xmalloc(sizeof(double) * n * 2);
    for (size_t i = 0; i < n; i++) gmm_sample(&mix, &r, x0 + 2 * i);
    const int Ss[3] = {10, 100, 1000};
    double err[3];
    for (int i = 0; i < 3; i++) {
        diff_timesteps(T, Ss[i], DIFF_TAU_LINSPACE, tau);
        diff_plan_ddim_inverse(sch->alpha_bar, tau, Ss[i], plan2);
        diff_plan_ddim(sch->alpha_bar, tau, Ss[i], 0.0, plan);
        memcpy(a, x0, sizeof(double) * n * 2);
        s.draw_prior = 0;
        diff_run(&s, plan2, Ss[i], a); /* encode */
        diff_run(&s, plan, Ss[i], a);  /* decode */
        double acc = 0;
        for (size_t j = 0; j < n * 2; j++) acc += (a[j] - x0[j]) * (a[j] - x0[j]);
        err[i] = sqrt(acc / (double)n);
        printf("DDIM encode+decode, S = %4d: rms round-trip error %.3e\n", Ss[i], err[i]);
    }
    check_ge("L36.3.9.2.roundtrip_first_order", err[1] / err[2], 5.0, 0, NULL,
             "round-trip error ratio S=100 / S=1000 (at least first order: about 10 or more)");
    check_le("L36.3.9.2.roundtrip_small", err[2], 0, 0.05 * err[0], NULL,
             "rms round trip at S = 1000 below 5%% of that at S = 10 (%.3e)", err[0]);
    free(a), free(b), free(c), free(x0);
    gmm_free(&mix);
}

/*: ## 3.9.2 Acceleration: $S$ steps on a sub-sequence $\tau$

The lecture skips from $T$ to $S$ steps without saying how $\tau$ is chosen (spec E27). Three
rules are in use (`diff_timesteps`): *linspace* (from 1 to $T$), *leading* (multiples of
$\lfloor T/S\rfloor$ from 1: the chain starts at $\tau_S = T - \lfloor T/S\rfloor + 1$, where the
forward marginal is not yet $\mathcal N(0, I)$) and *trailing* (from $T$ down in steps $T/S$).
A point mass is recovered exactly by every rule and every $S$ (the last step from $\tau_1$ to 0
returns $\hat x_0 = x_0^\star$). On $\mathcal N(1, 0.5^2)$ data the exact chain law gives the final
std; for linspace the spec lists 0.36161172, 0.43045168, 0.47191511, 0.48584759, 0.49849528 at
$S = 10, 20, 50, 100, 1000$, rising toward the exact flow's 0.50000757 (program 14).
*/
static void acceleration(const Cli *cli, const DiffusionSchedule *sch, double *std_by_rule, const int *Ss, int nS) {
    Law pm, g;
    law_init(&pm, 1.0, 0.0);
    law_init(&g, 1.0, 0.25);
    const size_t n = 256;
    double *x = xmalloc(sizeof(double) * n), worst = 0;
    for (int sp = 0; sp < 3; sp++)
        for (int i = 0; i < nS; i++) {
            diff_timesteps(T, Ss[i], (DiffSpacing)sp, tau);
            diff_plan_ddim(sch->alpha_bar, tau, Ss[i], 0.0, plan);
            DiffSampler s;
            diff_sampler_init(&s, n, 1, sch->alpha_bar, diff_oracle_eps, &pm.oracle, cli->seed + 40);
            s.n_threads = cli->threads;
            diff_run(&s, plan, Ss[i], x);
            for (size_t c = 0; c < n; c++) worst = fmax(worst, fabs(x[c] - 1.0));
            double mean, var;
            diff_gauss_chain_law(plan, Ss[i], sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
            std_by_rule[sp * nS + i] = sqrt(var);
        }
    check_le("L36.3.9.2.pointmass_any_S", worst, 0, 1e-9, "L36.3.9.2.ddim_update",
             "point mass x0 = 1 recovered: max |x_0 - 1| over S = 10..1000 and the three tau rules");

    const double ref[5] = {0.36161172, 0.43045168, 0.47191511, 0.48584759, 0.49849528};
    int monotone = 1;
    for (int i = 0; i < nS; i++) {
        char id[64];
        snprintf(id, sizeof id, "L36.3.9.2.gauss_std_S%d", Ss[i]);
        check_close(id, std_by_rule[i], ref[i], 1e-8, "L36.3.9.2.ddim_update",
                    "exact final std, DDIM eta = 0, S = %d, linspace tau, N(1, 0.25) data (spec D12)", Ss[i]);
        if (i > 0) monotone &= std_by_rule[i] > std_by_rule[i - 1];
    }
    check_true("L36.3.9.2.gauss_std_monotone", monotone, "final std increases with S (linspace)");
    double mean, var;
    diff_timesteps(T, T, DIFF_TAU_LINSPACE, tau);
    diff_plan_ddim(sch->alpha_bar, tau, T, 0.0, plan);
    diff_gauss_chain_law(plan, T, sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
    check_close("L36.3.9.2.gauss_mean_S1000", mean, 0.99683315, 1e-8, "L36.3.9.2.ddim_update", "exact final mean at S = 1000 (spec D12)");
    check_le("L36.3.9.2.gauss_std_S1000_near_data", fabs(sqrt(var) - 0.5), 0, 0.002, NULL, "|std(S=1000) - 0.5| (spec: < 0.002)");

    /* sampled chains at S = 50 against the exact law */
    diff_timesteps(T, 50, DIFF_TAU_LINSPACE, tau);
    diff_plan_ddim(sch->alpha_bar, tau, 50, 0.0, plan);
    diff_gauss_chain_law(plan, 50, sch->alpha_bar, 1.0, 0.25, 0.0, 1.0, &mean, &var);
    const size_t nm = (size_t)cli_scale(cli, 20000, 100000, 1000000);
    double *y = xmalloc(sizeof(double) * nm);
    DiffSampler s;
    diff_sampler_init(&s, nm, 1, sch->alpha_bar, diff_oracle_eps, &g.oracle, cli->seed + 41);
    s.n_threads = cli->threads;
    diff_run(&s, plan, 50, y);
    double m, se, msd, msd_se;
    mc_mean_var(y, nm, mean, &m, &se, &msd, &msd_se);
    check_mc("L36.3.9.2.mc_S50_mean", m, mean, se, 4, (long)nm, "L36.3.9.2.ddim_update", "DDIM S = 50: sampled mean vs exact law");
    check_mc("L36.3.9.2.mc_S50_var", msd, var, msd_se, 4, (long)nm, "L36.3.9.2.ddim_update", "DDIM S = 50: sampled variance vs exact law");

    printf("final std on N(1, 0.5^2) data, DDIM eta = 0 (exact chain law):\n    S   linspace    leading   trailing\n");
    for (int i = 0; i < nS; i++)
        printf("%5d %10.6f %10.6f %10.6f\n", Ss[i], std_by_rule[i], std_by_rule[nS + i], std_by_rule[2 * nS + i]);
    double lo = std_by_rule[0], hi = std_by_rule[0];
    for (int sp = 1; sp < 3; sp++) lo = fmin(lo, std_by_rule[sp * nS]), hi = fmax(hi, std_by_rule[sp * nS]);
    check_erratum("L36.3.9.2.tau_unspecified", NAN, hi - lo,
                  "E27: the lecture does not say which tau; at S = 10 the rules give final std %.4f (linspace), %.4f "
                  "(leading), %.4f (trailing): a spread of %.4f (exact flow 0.50001)",
                  std_by_rule[0], std_by_rule[nS], std_by_rule[2 * nS], hi - lo);
    printf("the lecture's 'S = 50 matches 1000-step quality': final std %.5f at S = 50 vs %.5f at S = 1000 (DDPM: 0.50075)\n",
           std_by_rule[2], std_by_rule[4]);
    free(x), free(y);
    gmm_free(&pm.data), gmm_free(&g.data);
}

/*: ## 3.9.2 The lecture's demo, and why it prints $10^{16}$ (spec E28)

The demo calls `ddim_step(x_t, eps, t = 1000, t_prev = 500)` on the cosine schedule *without* the
clip $\beta_t \le 0.999$. There $\bar\alpha_{1000} = f(T)/f(0)$ is only the rounding residue
of $\cos^2(\pi/2)$, about $3.75\cdot10^{-33}$, so $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\hat\epsilon)/\sqrt{\bar\alpha_t}$
multiplies $x_t - \hat\epsilon$ by $1.6\cdot10^{16}$ and both printed results (for $\eta = 0$ and
$\eta = 1$) are of that size. With $\eta = 1$ the root $\sqrt{1-\bar\alpha_{500}-\sigma^2}$ has
argument $0$ up to rounding; the sampler clamps it at 0 rather than risk a NaN. The blow-up
needs two things at once: $\bar\alpha_T \approx 0$ *and* a placeholder $\hat\epsilon$ that has
nothing to do with $x_t$. A real denoiser at $\bar\alpha_t \approx 0$ predicts
$\hat\epsilon \approx x_t$, so $x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon = O(\bar\alpha_t)$ and $\hat x_0$ stays
finite: with the exact denoiser the same step is of order one (the sampler evaluates the
grouped form $a(x_t - b\hat\epsilon) + c\hat\epsilon$ for this reason). But $\hat x_0$ itself is then
lost: $x_t - \sqrt{1-\bar\alpha_T}\,\hat\epsilon = \sqrt{\bar\alpha_T}\,m \approx 6\cdot10^{-17}$ is below
the rounding unit of $x_t$, so $\hat x_0$ becomes a rounding error divided by $6\cdot10^{-17}$: a
number of order one that rounding alone decides, instead of $m$. The exact answer is
$x_{500} = \sqrt{\bar\alpha_{500}}\,m + \sqrt{1-\bar\alpha_{500}}\,x_t$ (in the limit $\bar\alpha_T \to 0$). Predicting $x_0$ (or $v$) keeps it,
the usual companion of a (near-)zero terminal SNR (Lin et al.). The clipped schedule
($\bar\alpha_{1000} = 2.4\cdot10^{-9}$) only shrinks the factor to $2\cdot10^4$.
*/
static void lecture_demo(const Cli *cli) {
    DiffusionSchedule raw = diffusion_schedule_cosine(T, 0.008, 0.0), clipped = diffusion_schedule_cosine(T, 0.008, 0.999);
    check_rel("L36.3.9.2.cosine_abar_T", raw.alpha_bar[T], 3.75e-33, 1e-3, NULL,
              "unclipped cosine abar_1000: the rounding residue of cos^2(pi/2)/f(0) (spec 3.2.2)");
    Rng r;
    rng_init(&r, cli->seed, 3000);
    double xt[2], eps[2];
    for (int a = 0; a < 2; a++) xt[a] = rng_normal(&r), eps[a] = rng_normal(&r);
    const DiffStep raw0 = diff_ddim_step(raw.alpha_bar, T, 500, 0.0), raw1 = diff_ddim_step(raw.alpha_bar, T, 500, 1.0);
    const DiffStep cl0 = diff_ddim_step(clipped.alpha_bar, T, 500, 0.0);
    /* a denoiser consistent with x_t: the exact one for N(1, 0.25) data, on the unclipped schedule */
    Law g;
    law_init(&g, 1.0, 0.25);
    double eps_exact[2];
    for (int a = 0; a < 2; a++) diff_oracle_eval(&g.data, &xt[a], raw.alpha_bar[T], &eps_exact[a], NULL);
    double big = 0, clip = 0, fine = 0, x0_route = 0, worst_ref = 0;
    const double as = raw.alpha_bar[500], at = raw.alpha_bar[T];
    for (int a = 0; a < 2; a++) {
        //: eq. [eq:L36.3.9.2.ddim_update] at $t = 1000 \to 500$, $\eta = 0$, three ways
        big = fmax(big, fabs(diff_step_mean(&raw0, xt[a], eps[a])));
        clip = fmax(clip, fabs(diff_step_mean(&cl0, xt[a], eps[a])));
        fine = fmax(fine, fabs(diff_step_mean(&raw0, xt[a], eps_exact[a])));
        /* predicting x0 instead: x0_hat = E[x0 | x_t], eps from it */
        double x0_hat;
        diff_oracle_eval(&g.data, &xt[a], at, NULL, &x0_hat);
        const double e = (xt[a] - sqrt(at) * x0_hat) / sqrt(1.0 - at);
        const double xs = sqrt(as) * x0_hat + sqrt(1.0 - as) * e;
        x0_route = fmax(x0_route, fabs(xs));
        /* abar_T -> 0 limit: x0_hat = m = 1, eps = x_t */
        worst_ref = fmax(worst_ref, fabs(xs - (sqrt(as) * 1.0 + sqrt(1.0 - as) * xt[a])));
    }
    const double arg = 1.0 - raw.alpha_bar[500] - raw1.sigma * raw1.sigma;
    printf("demo: x_t = (%.4f, %.4f), eps = (%.4f, %.4f); sigma(eta=1) = %.7f, 1 - abar_500 - sigma^2 = %.3e\n", xt[0], xt[1],
           eps[0], eps[1], raw1.sigma, arg);
    printf("max |x_500|: unclipped + random eps %.3e; clipped + random eps %.3e; unclipped + exact eps %.4f; "
           "unclipped + exact x0 %.4f\n", big, clip, fine, x0_route);
    check_rel("L36.3.9.2.demo_sigma_eta1", raw1.sigma, 0.7114467, 1e-6, "L36.3.9.1.sigma_eta", "sigma at 1000 -> 500, eta = 1 (spec 3.9.2)");
    check_true("L36.3.9.2.sqrt_arg_clamped", isfinite(raw1.c) && isfinite(raw1.a) && raw1.c >= 0,
               "eta = 1 step 1000 -> 500 has finite coefficients (the root's argument %.1e is clamped at 0)", arg);
    check_le("L36.3.9.2.consistent_eps_finite", fine, 0, 10.0, NULL,
             "unclipped schedule, eps from the exact denoiser at x_t: |x_500| <= 10 (x_t - sqrt(1-abar) eps is small)");
    check_le("L36.3.9.2.x0_route_exact", worst_ref, 0, 1e-12, NULL,
             "predicting x0 = E[x0|x_t] instead: x_500 = sqrt(abar_500) m + sqrt(1-abar_500) x_t, its abar_T -> 0 limit");
    check_erratum("L36.3.9.2.demo_blowup", big, x0_route,
                  "E28: the demo's DDIM step 1000 -> 500 (unclipped cosine, random eps) gives |x_500| ~ 1e16; with x0 "
                  "predicted it is O(1) (clipped schedule + random eps: %.1e; exact eps: %.3f, x0 lost in rounding)", clip, fine);
    gmm_free(&g.data);
    diffusion_schedule_free(&raw);
    diffusion_schedule_free(&clipped);
}

/* DDPM and DDIM (eta = 0, S = 50) paths from the same x_T on a bimodal mixture; final std vs S. */
typedef struct {
    double *path; /* [chain][step+1] */
    int nsteps, npath;
    double *tgrid;
} PathRec;

static int record(const double *x, size_t n, size_t dim, int k, const DiffStep *st, void *ctx) {
    (void)dim;
    PathRec *r = ctx;
    for (size_t c = 0; c < n && (int)c < r->npath; c++) r->path[c * (r->nsteps + 1) + k + 1] = x[c];
    r->tgrid[k + 1] = st ? st->s : T;
    return 0;
}

static void figure(const Cli *cli, const DiffusionSchedule *sch, const double *std_by_rule, const int *Ss, int nS) {
    Gmm mix = gmm_new(2, 1);
    const double ma = -2, mb = 2;
    gmm_set(&mix, 0, 1, &ma, NULL, 0.09), gmm_set(&mix, 1, 1, &mb, NULL, 0.09);
    gmm_normalise(&mix);
    DiffOracle oracle = {&mix};
    enum { NP = 12 };
    Plot *p = plot_new_grid(1, 2, 1300, 520, "3.9: DDPM vs DDIM with the exact denoiser");
    plot_panel(p, 0);
    plot_title(p, "same x_T: DDPM (grey, 1000 steps) vs DDIM eta=0 (colour, 50 steps)");
    for (int which = 0; which < 2; which++) {
        int ns;
        if (which == 0) ns = diff_plan_ddpm(sch->beta, sch->alpha_bar, T, DIFF_VAR_BETA, plan);
        else {
            diff_timesteps(T, 50, DIFF_TAU_TRAILING, tau);
            ns = diff_plan_ddim(sch->alpha_bar, tau, 50, 0.0, plan);
        }
        double *path = xmalloc(sizeof(double) * NP * (ns + 1)), *tg = xmalloc(sizeof(double) * (ns + 1));
        PathRec rec = {path, ns, NP, tg};
        double x[NP];
        DiffSampler s;
        diff_sampler_init(&s, NP, 1, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 50);
        s.observe = record, s.observe_ctx = &rec;
        diff_run(&s, plan, ns, x);
        for (int c = 0; c < NP; c++) {
            PlotSeries *l = plot_line(p, tg, path + c * (ns + 1), ns + 1, NULL);
            if (which == 0) plot_series_color(l, PLOT_GRAY), plot_series_width(l, 0.8);
            else plot_series_color(l, (PlotColor)(c % 10)), plot_series_width(l, 2.0);
        }
        free(path), free(tg);
    }
    plot_xlabel(p, "t (sampling runs from t = 1000 to 0)");
    plot_ylabel(p, "x_t");
    plot_panel(p, 1);
    plot_title(p, "final std on N(1, 0.5^2) data vs S (exact chain law)");
    double xs[8];
    for (int i = 0; i < nS; i++) xs[i] = log10(Ss[i]);
    for (int sp = 0; sp < 3; sp++) plot_line(p, xs, std_by_rule + sp * nS, nS, diff_spacing_name((DiffSpacing)sp));
    plot_hline(p, 0.5, "data std 0.5");
    plot_xlabel(p, "log10 S (S = 10, 20, 50, 100, 1000)");
    plot_ylabel(p, "std of x_0");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "ddim_vs_ddpm.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 3.9.1-3.9.2: DDIM with the exact denoiser", 36, NULL);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    const int Ss[5] = {10, 20, 50, 100, 1000};
    double std_by_rule[15];
    sigma_family(&cli, &sch);
    eta_one_is_ddpm(&cli, &sch);
    deterministic(&cli, &sch);
    acceleration(&cli, &sch, std_by_rule, Ss, 5);
    lecture_demo(&cli);
    figure(&cli, &sch, std_by_rule, Ss, 5);
    diffusion_schedule_free(&sch);
    return check_end();
}
