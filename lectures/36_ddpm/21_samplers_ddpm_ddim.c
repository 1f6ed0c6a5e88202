/*: # L36 4.2.4, 4.3.1, 4.4, 5.3 — DDPM and DDIM samplers, first on an exact denoiser, then on the network

**Lecture 36, sections 4.2.4** (the Julia samplers: DDPM with $\sigma_t^2 = \beta_t$ and DDIM on
the grid `round(range(1, T, steps))`), **4.3.1** (the Rust DDIM: a 0-based grid and a step
without noise), **4.4** (the three "math = code" rows), **5.3** (the 4×4 sample grids), the
self-check questions **Q2** ($\epsilon \leftrightarrow x_0$) and **Q3** (DDIM determinism) and
**FAQ Q3** (the meaning of $\eta$). Spec errata A3 (the unclipped cosine schedule), A13, A14
(the two grids), A15 (the Rust time label), A16 (the missing $\sigma_t z$).

The samplers are checked first where the answer is known: data $x_0 \sim \mathcal N(0.5, 0.5^2)$
in one dimension (spec §2, option 5) with the exact denoiser $\epsilon^\star$ of
`common/diffusion_sampler.h`. Every step of either sampler is then affine in $x$, so the law of
the final sample is a Gaussian whose mean and variance follow exactly
(`diff_gauss_chain_law`); Monte-Carlo chains check the same numbers again.

What you will see: both grids, the 4.4 rows as identities, the Q2 round trip, bitwise
determinism, $\sigma_t(\eta{=}1) = \sqrt{\tilde\beta_t}$, the table of final means and stds for
DDPM-1000 and DDIM-50 (spec values), the collapse of the noiseless $\eta = 1$ step (A16), the
signal leakage of the Rust grid, and the $5\cdot10^{14}$ error gain of the unclipped cosine
schedule with its two repairs. Then the trained Tiny U-Net: DDPM and DDIM from the same $x_T$.

Run: `build/release/bin/lectures/36_ddpm/21_samplers_ddpm_ddim [--quick | --full] [--threads N] [--no-clamp-x0]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \bar\alpha_t$ | `sch->beta`, `sch->alpha_bar` | $T+1$ |
| $\tau_1 < \dots < \tau_S$ | `tau` | $S$ |
| $\eta$, $\sigma_t$ | `eta`, `DiffStep.sigma` | scalars |
| one sampler run (list of steps) | `plan` (`DiffStep[]`) | $\le T$ |
| $\hat\epsilon$, $\hat x_0$ | `eps`, `x0_hat` | (n, d) |
| data law $\mathcal N(\mu_0, s_0^2)$ | `law` (`Gmm`) | 1-D |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ddpm_net.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/image.h"
#include "common/moments_se.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000, S50 = 50 };
static const double MU0 = 0.5, S0 = 0.5; /* the oracle's data law N(0.5, 0.5^2) */
static DiffStep plan[T];
static int tau[T];

typedef struct {
    DiffusionSchedule cos, lin, cos_raw; /* clipped cosine, linear, unclipped cosine */
    Gmm law;
    DiffOracle oracle;
} Setup;

static void setup_init(Setup *u) {
    u->cos = diffusion_schedule_cosine(T, 0.008, 0.999);
    u->lin = diffusion_schedule_linear(T, 1e-4, 0.02);
    u->cos_raw = diffusion_schedule_cosine(T, 0.008, 0.0);
    u->law = gmm_new(1, 1);
    gmm_set(&u->law, 0, 1.0, &MU0, NULL, S0 * S0);
    u->oracle.data = &u->law;
}

static void setup_free(Setup *u) {
    diffusion_schedule_free(&u->cos), diffusion_schedule_free(&u->lin), diffusion_schedule_free(&u->cos_raw);
    gmm_free(&u->law);
}

/* The option of spec A3: x0_hat clamped to [-1, 1]. Any sampler that uses eps only through
   x0_hat = (x - sqrt(1-abar) eps)/sqrt(abar) (DDPM's mean is the posterior mean at x0_hat, DDIM
   uses x0_hat and eps) gets the clamped sampler when eps is replaced by the eps consistent
   with the clamped x0_hat: eps' = (x - sqrt(abar) clamp(x0_hat)) / sqrt(1 - abar). */
typedef struct {
    DiffEpsFn inner;
    void *inner_ctx;
    double offset; /* a constant added to the inner eps (the perturbation of the A3 demo) */
    int clamp;
} EpsWrap;

static void eps_wrapped(const double *x, size_t n, size_t dim, int t, double abar, double *eps, void *ctx) {
    const EpsWrap *w = ctx;
    w->inner(x, n, dim, t, abar, eps, w->inner_ctx);
    const double sa = sqrt(abar), sb = sqrt(1.0 - abar);
    for (size_t i = 0; i < n * dim; i++) {
        eps[i] += w->offset;
        if (!w->clamp) continue;
        //: $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\hat\epsilon)/\sqrt{\bar\alpha_t}$, clamped to $[-1,1]$
        const double x0_hat = fmin(1.0, fmax(-1.0, (x[i] - sb * eps[i]) / sa));
        eps[i] = (x[i] - sa * x0_hat) / sb;
    }
}

/* The Rust grid of 4.3.1 / 6.7: 0-based indices min(i L / steps, L - 1), i = 0..steps-1. */
static void rust_grid(int L, int steps, int *idx) {
    for (int i = 0; i < steps; i++) idx[i] = (int)fmin((double)((long)i * L / steps), (double)(L - 1));
}

/* Exact final law (mean, std) of a plan on the oracle data from x_T ~ N(0, 1). */
static void chain_law(const DiffStep *steps, int n, const DiffusionSchedule *sch, double *mean, double *std) {
    double var;
    diff_gauss_chain_law(steps, n, sch->alpha_bar, MU0, S0 * S0, 0.0, 1.0, mean, &var);
    *std = sqrt(var);
}

/*: ## 4.2.4 and 4.3.1 The two time grids (A14, A15)

The Julia DDIM visits `τ = round.(range(1, T, length=steps))`,

$$ \tau_k = \operatorname{round}\Big(1 + \frac{(k-1)(T-1)}{S-1}\Big),\qquad k = 1..S, $$ {#eq:L36.4.2.4.julia_grid}

from $t = 1$ to $t = T$ inclusive (`diff_timesteps`, "linspace"). The Rust sampler of 4.3.1
instead takes 0-based indices

$$ j_i = \min\big(\lfloor iL/S \rfloor,\ L-1\big),\qquad i = 0..S-1,\ L = T, $$ {#eq:L36.4.3.1.rust_grid}

i.e. $t = j_i + 1 = 1, 21, \dots, 981$ for $S = 50$: the chain starts at $t = 981$, not $T$ (A14),
and when $T/S$ is not an integer nothing is added to reach the end. It also hands the network
the 0-based index $j_i = t - 1$ as its time input, one step off the 1-based training (A15); with
`alpha_bar[j]` read 0-based the coefficients themselves are those of $t = j+1$.

The Julia grid is recomputed here in integers: $\tau_k = 1 + \lfloor (2(k-1)(T-1) + S-1)/(2(S-1)) \rfloor$
(round half up; no ties occur for these $S$).
*/
static void grids(void) {
    static const int julia50[S50] = {1, 21, 42, 62, 83, 103, 123, 144, 164, 184, 205, 225, 246, 266, 286, 307, 327,
                                     348, 368, 388, 409, 429, 450, 470, 490, 511, 531, 551, 572, 592, 613, 633, 653, 674,
                                     694, 715, 735, 755, 776, 796, 817, 837, 857, 878, 898, 918, 939, 959, 980, 1000};
    //: $\tau_k$, [eq:L36.4.2.4.julia_grid]
    diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
    int diff = 0;
    for (int k = 0; k < S50; k++) diff += tau[k] != julia50[k];
    check_close("L36.4.2.4.julia_grid_50", diff, 0, 0, "L36.4.2.4.julia_grid", "entries of the 50-step grid that differ from the spec's list (1, 21, 42, ..., 980, 1000)");
    const int sizes[4] = {10, 20, 50, 100};
    int worst = 0;
    for (int m = 0; m < 4; m++) {
        const int S = sizes[m];
        diff_timesteps(T, S, DIFF_TAU_LINSPACE, tau);
        for (int k = 0; k < S; k++) {
            const long num = 2L * k * (T - 1) + (S - 1), den = 2L * (S - 1);
            worst += tau[k] != 1 + (int)(num / den);
        }
    }
    check_close("L36.4.2.4.julia_grid_integer", worst, 0, 0, "L36.4.2.4.julia_grid", "entries of the S = 10/20/50/100 grids that differ from the integer recomputation");
    diff_timesteps(T, 10, DIFF_TAU_LINSPACE, tau);
    printf("Julia grid S=10: %d %d %d %d %d %d ... %d %d %d\n", tau[0], tau[1], tau[2], tau[3], tau[4], tau[5], tau[7], tau[8], tau[9]);
    int idx[S50];
    //: $j_i = \min(\lfloor iL/S\rfloor, L-1)$, [eq:L36.4.3.1.rust_grid]
    rust_grid(T, S50, idx);
    int bad = 0;
    for (int i = 0; i < S50; i++) bad += idx[i] != 20 * i;
    check_close("L36.4.3.1.rust_grid_50", bad, 0, 0, "L36.4.3.1.rust_grid", "entries of the Rust grid (S = 50) that differ from 0, 20, ..., 980");
    check_erratum("L36.4.3.1.rust_first_time", 1000, idx[S50 - 1] + 1,
                  "A14: the Rust DDIM is meant to sample from t = T like the Julia one; its first time is j_49 + 1");
    check_erratum("L36.4.3.1.rust_time_label", idx[S50 - 1] + 1, idx[S50 - 1],
                  "A15: the time input for the state at t = 981 should be 981 (1-based training); Rust passes the index");
    int idx30[30];
    rust_grid(T, 30, idx30);
    printf("Rust grid S=30 (1000/30 not an integer): last index %d, i.e. t = %d\n", idx30[29], idx30[29] + 1);
}

/*: ## 4.4 The "math = code" rows

The lecture sets three formulas beside their Julia and Rust lines:

$$ x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, $$ {#eq:L36.4.4.forward}
$$ \mu_\theta = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon_\theta\Big), $$ {#eq:L36.4.4.mu}
$$ x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}}\,\epsilon_\theta . $$ {#eq:L36.4.4.ddim0}

The Julia row of $\mu_\theta$ multiplies by $1/\sqrt{\alpha_t}$, the Rust row divides by
$\sqrt{\alpha_t}$: the same number up to rounding. The third row is DDIM with $\sigma_t = 0$,
and must equal the general step of `diff_ddim_step` at $\eta = 0$; the second must equal the
mean of `diff_ddpm_step`. All three comparisons are over every $t$ of the clipped cosine
schedule at random $(x_t, \epsilon)$, with a bound of a few units of rounding.
*/
static void code_rows(const Cli *cli, const Setup *u) {
    const DiffusionSchedule *s = &u->cos;
    Rng r;
    rng_init(&r, cli->seed, 1);
    double w_mu = 0, w_mu_lib = 0, w_ddim = 0, w_fwd = 0;
    for (int t = 1; t <= T; t++) {
        const double x = 3.0 * rng_normal(&r), eps = rng_normal(&r), x0 = rng_normal(&r);
        //: Julia $\mu_\theta$, [eq:L36.4.4.mu]
        const double mu_julia = (1.0 / sqrt(s->alpha[t])) * (x - (s->beta[t] / sqrt(1.0 - s->alpha_bar[t])) * eps);
        //: Rust $\mu_\theta$, [eq:L36.4.4.mu]
        const double mu_rust = (x - (s->beta[t] / sqrt(1.0 - s->alpha_bar[t])) * eps) / sqrt(s->alpha[t]);
        const DiffStep st = diff_ddpm_step(s->beta, s->alpha_bar, t, DIFF_VAR_BETA);
        w_mu = fmax(w_mu, fabs(mu_julia - mu_rust) / fmax(1.0, fabs(mu_julia)));
        w_mu_lib = fmax(w_mu_lib, fabs(mu_julia - diff_step_mean(&st, x, eps)) / fmax(1.0, fabs(mu_julia)));
        //: $\hat x_0$ and the $\sigma = 0$ row, [eq:L36.4.4.ddim0]
        const int tp = t - 1 > 0 ? t - 1 - (t > 21 ? 19 : 0) : 0;
        const double x0_hat = (x - sqrt(1.0 - s->alpha_bar[t]) * eps) / sqrt(s->alpha_bar[t]);
        const double x_prev = sqrt(s->alpha_bar[tp]) * x0_hat + sqrt(1.0 - s->alpha_bar[tp]) * eps;
        const DiffStep sd = diff_ddim_step(s->alpha_bar, t, tp, 0.0);
        w_ddim = fmax(w_ddim, fabs(x_prev - diff_step_mean(&sd, x, eps)) / fmax(1.0, fabs(x_prev)));
        //: $x_t$ Julia and Rust rows, [eq:L36.4.4.forward]
        const double xt_row = sqrt(s->alpha_bar[t]) * x0 + sqrt(1.0 - s->alpha_bar[t]) * eps;
        double xt_lib;
        diffusion_q_sample(s, t, &x0, &eps, &xt_lib, 1);
        w_fwd = fmax(w_fwd, fabs(xt_row - xt_lib));
    }
    check_le("L36.4.4.forward_row", w_fwd, 0, 1e-15, "L36.4.4.forward", "max_t |x_t row - diffusion_q_sample| (the same expression)");
    check_le("L36.4.4.mu_julia_rust", w_mu, 0, 1e-12, "L36.4.4.mu", "max_t relative |mu Julia (times 1/sqrt a) - mu Rust (divide by sqrt a)|: rounding only");
    check_le("L36.4.4.mu_vs_sampler", w_mu_lib, 0, 1e-12, "L36.4.4.mu", "max_t relative |mu row - mean of the library's DDPM step| (grouped evaluation)");
    check_le("L36.4.4.ddim_sigma0_row", w_ddim, 0, 1e-12, "L36.4.4.ddim0", "max_t relative |sigma = 0 row - library DDIM step at eta = 0| (jumps of 1 and 20 steps)");
}

/*: ## Q2 $\epsilon \leftrightarrow x_0$, there and back

From a clean $x_0$ and noise $\epsilon$, form $x_t$, then recover $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$
and $\hat\epsilon = (x_t - \sqrt{\bar\alpha_t}\,x_0)/\sqrt{1-\bar\alpha_t}$ (`diffusion_x0_from_eps`,
`diffusion_eps_from_x0`). In exact arithmetic both are the identity; in double the error
grows like $u/\sqrt{\bar\alpha_t}$ for $\hat x_0$ (unit roundoff $u$), still below $10^{-12}$ at
$t = 999$ of the clipped cosine ($\bar\alpha_{999} \approx 2\cdot10^{-6}$).
*/
static void q2_roundtrip(const Cli *cli, const Setup *u) {
    const int ts[3] = {1, 500, 999};
    Rng r;
    rng_init(&r, cli->seed, 2);
    double w0 = 0, we = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 100; i++) {
            const double x0 = rng_uniform_range(&r, -1, 1), eps = rng_normal(&r), ab = u->cos.alpha_bar[ts[k]];
            double xt, x0_hat, eps_hat;
            diffusion_q_sample(&u->cos, ts[k], &x0, &eps, &xt, 1);
            diffusion_x0_from_eps(ab, &xt, &eps, &x0_hat, 1);
            diffusion_eps_from_x0(ab, &xt, &x0, &eps_hat, 1);
            w0 = fmax(w0, fabs(x0_hat - x0)), we = fmax(we, fabs(eps_hat - eps));
        }
    check_le("L36.Q2.x0_roundtrip", w0, 0, 1e-12, "common.diffusion.conversions", "max |x0_hat - x0| at t = 1, 500, 999 (100 draws each, clipped cosine)");
    check_le("L36.Q2.eps_roundtrip", we, 0, 1e-12, "common.diffusion.conversions", "max |eps_hat - eps| at t = 1, 500, 999");
}

/*: ## Q3 and FAQ Q3 What $\eta$ does

With $\eta = 0$ the DDIM chain draws no noise after $x_T$: run twice from the same $x_T$ it must
give the same bits, with one thread or two. With $\eta = 1$ two seeds give different samples.
On a consecutive grid ($s = t - 1$) the DDIM noise level at $\eta = 1$ is DDPM's posterior one,

$$ \sigma_t(\eta{=}1)^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\Big(1-\frac{\bar\alpha_t}{\bar\alpha_{t-1}}\Big) = \tilde\beta_t, $$ {#eq:L36.7.2.sigma_eta1}

and $\sigma_t(\eta) = \eta\,\sigma_t(1)$ interpolates between the deterministic and the DDPM-like
sampler.
*/
static void eta_meaning(const Cli *cli, const Setup *u) {
    const size_t n = 257;
    double *a = xmalloc(sizeof(double) * n), *b = xmalloc(sizeof(double) * n);
    diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
    int ns = diff_plan_ddim(u->cos.alpha_bar, tau, S50, 0.0, plan);
    DiffSampler smp;
    diff_sampler_init(&smp, n, 1, u->cos.alpha_bar, diff_oracle_eps, (void *)&u->oracle, cli->seed + 3);
    smp.block = 16, smp.n_threads = 1;
    diff_run(&smp, plan, ns, a);
    smp.n_threads = 2;
    diff_run(&smp, plan, ns, b);
    check_true("L36.Q3.eta0_bitwise", memcmp(a, b, sizeof(double) * n) == 0,
               "DDIM-50, eta = 0, same seed: %zu samples bitwise equal with 1 and 2 threads", n);
    ns = diff_plan_ddim(u->cos.alpha_bar, tau, S50, 1.0, plan);
    diff_run(&smp, plan, ns, a);
    smp.seed = cli->seed + 4;
    diff_run(&smp, plan, ns, b);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += a[i] != b[i];
    check_close("L36.Q3.eta1_seeds_differ", (double)differ, (double)n, 0, NULL, "DDIM-50, eta = 1: samples that differ between two seeds");
    double w = 0;
    for (int t = 2; t <= T; t++) {
        //: $\sigma_t(1)$ vs $\sqrt{\tilde\beta_t}$, [eq:L36.7.2.sigma_eta1]
        const DiffStep st = diff_ddim_step(u->cos.alpha_bar, t, t - 1, 1.0);
        w = fmax(w, fabs(st.sigma / sqrt(diffusion_beta_tilde(&u->cos, t)) - 1.0));
    }
    check_le("L36.7.2.sigma_eta1_is_sqrt_btilde", w, 0, 1e-12, "L36.7.2.sigma_eta1", "max_t |sigma_t(eta=1)/sqrt(beta_tilde_t) - 1|, consecutive grid, clipped cosine");
    const DiffStep h = diff_ddim_step(u->cos.alpha_bar, 500, 499, 0.5), o = diff_ddim_step(u->cos.alpha_bar, 500, 499, 1.0);
    printf("sigma_500(eta=0.5) / sigma_500(eta=1) = %.15f (the definition: eta scales sigma)\n", h.sigma / o.sigma);
    free(a), free(b);
}

/* The lecture's 4.2.4 loops written out for the Gaussian law (a second route beside the plans):
   with eps*(x) = k_t (x - sqrt(abar_t) mu0), k_t = sqrt(1-abar_t)/(abar_t s0^2 + 1 - abar_t), every
   update is x <- slope x + offset + sigma z; mean and variance follow. ddim = 0: DDPM, sigma^2 = beta,
   no noise at t = 1; ddim = 1: DDIM over tau (increasing, S entries), then x0_hat at tau_1. */
static void direct_law(const DiffusionSchedule *s, int ddim, const int *tg, int S, double eta, double *mean, double *std) {
    const double *ab = s->alpha_bar;
    double m = 0.0, v = 1.0;
    const int n = ddim ? S : T;
    for (int i = n - 1; i >= 0; i--) {
        const int t = ddim ? tg[i] : i + 1, tp = ddim ? (i > 0 ? tg[i - 1] : 0) : t - 1;
        const double k = sqrt(1.0 - ab[t]) / (ab[t] * S0 * S0 + 1.0 - ab[t]);
        double slope, offset, sig2;
        if (!ddim) {
            //: $\mu = (x_t - \beta_t\hat\epsilon/\sqrt{1-\bar\alpha_t})/\sqrt{\alpha_t}$, [eq:L36.4.4.mu]
            const double c = s->beta[t] / sqrt(1.0 - ab[t]);
            slope = (1.0 - c * k) / sqrt(s->alpha[t]), offset = c * k * sqrt(ab[t]) * MU0 / sqrt(s->alpha[t]);
            sig2 = t > 1 ? s->beta[t] : 0.0;
        } else {
            //: $\hat x_0$ slope/offset, then $x_{t'} = \sqrt{\bar\alpha_{t'}}\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma^2}\hat\epsilon + \sigma z$
            const double x0s = (1.0 - sqrt(1.0 - ab[t]) * k) / sqrt(ab[t]), x0o = sqrt(1.0 - ab[t]) * k * MU0;
            const double sg = tp == 0 ? 0.0 : eta * sqrt((1.0 - ab[tp]) / (1.0 - ab[t])) * sqrt(1.0 - ab[t] / ab[tp]);
            const double dir = sqrt(fmax(0.0, 1.0 - ab[tp] - sg * sg));
            slope = sqrt(ab[tp]) * x0s + dir * k, offset = sqrt(ab[tp]) * x0o - dir * k * sqrt(ab[t]) * MU0;
            sig2 = sg * sg;
        }
        m = slope * m + offset, v = slope * slope * v + sig2;
    }
    *mean = m, *std = sqrt(v);
}

/*: ## 4.2.4 and 5.3 Where the samplers land on Gaussian data

On $x_0 \sim \mathcal N(0.5, 0.5^2)$ the exact sampler output is Gaussian. The spec computed
its mean and std for the lecture's configurations: DDPM over all 1000 steps with
$\sigma_t^2 = \beta_t$, and DDIM-50 on the Julia grid with $\eta = 0$ and $\eta = 1$, each on the
clipped cosine and the linear schedule, all started from $x_T \sim \mathcal N(0, 1)$. None is
exactly the data law: the chain starts from $\mathcal N(0,1)$ instead of $q(x_T)$ and takes
finite steps (DDIM-50 $\eta = 0$ on the linear schedule, whose $\bar\alpha_T = 4\cdot10^{-5}$ is not
0, keeps a visible bias in the mean). The exact law comes from the affine recursion of the
chain ($\mu \leftarrow a\mu + b$, $V \leftarrow a^2V + \sigma^2$), twice: through the library's
plans (`diff_gauss_chain_law`) and through the lecture's loops written out for this law; Monte-Carlo
chains of the real sampler must agree within $k$ standard errors.

One spec value does not survive: for DDPM-1000 on the linear schedule the spec gives a final
std of 0.5006, both routes here give 0.50075 (a third, independent recomputation in Python
agrees to all digits). The check compares the two routes and prints the spec's number.
*/
static void gaussian_table(const Cli *cli, const Setup *u) {
    static const struct { const char *name; int ddim; double eta, mean_cos, std_cos, mean_lin, std_lin; } rows[3] = {
        {"ddpm1000", 0, 0.0, 0.5000, 0.5004, 0.5000, 0.5006},
        {"ddim50_eta0", 1, 0.0, 0.5000, 0.4845, 0.4985, 0.4719},
        {"ddim50_eta1", 1, 1.0, 0.5000, 0.4672, 0.5000, 0.4432},
    };
    const size_t n_mc = (size_t)cli_scale(cli, 4000, 100000, 400000);
    double *x = xmalloc(sizeof(double) * n_mc), worst_route = 0;
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 2; k++) {
            const DiffusionSchedule *s = k == 0 ? &u->cos : &u->lin;
            const char *sn = k == 0 ? "cos" : "lin";
            int ns;
            if (rows[r].ddim) {
                diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
                ns = diff_plan_ddim(s->alpha_bar, tau, S50, rows[r].eta, plan);
            } else {
                ns = diff_plan_ddpm(s->beta, s->alpha_bar, T, DIFF_VAR_BETA, plan);
            }
            double mean, std, dmean, dstd;
            chain_law(plan, ns, s, &mean, &std);
            direct_law(s, rows[r].ddim, tau, S50, rows[r].eta, &dmean, &dstd);
            worst_route = fmax(worst_route, fmax(fabs(mean - dmean), fabs(std - dstd)));
            char id[96];
            snprintf(id, sizeof id, "L36.4.2.4.%s_%s_mean", rows[r].name, sn);
            check_close(id, mean, k == 0 ? rows[r].mean_cos : rows[r].mean_lin, 1e-4, "common.diffusion_sampler.step",
                        "exact final mean, %s, %s schedule (spec value)", rows[r].name, k == 0 ? "clipped cosine" : "linear");
            snprintf(id, sizeof id, "L36.4.2.4.%s_%s_std", rows[r].name, sn);
            if (r == 0 && k == 1) {
                check_close(id, std, dstd, 1e-12, "common.diffusion_sampler.step",
                            "exact final std, ddpm1000, linear: library plan vs the lecture's loop (the spec's 0.5006 is off by 1.5e-4)");
                printf("  DDPM-1000 linear final std: %.6f here (two routes), spec 0.5006\n", std);
            } else {
                check_close(id, std, k == 0 ? rows[r].std_cos : rows[r].std_lin, 1e-4, "common.diffusion_sampler.step",
                            "exact final std, %s, %s schedule (spec value)", rows[r].name, k == 0 ? "clipped cosine" : "linear");
            }
            if (r == 1 && k == 1) continue; /* one MC per sampler on the cosine schedule, plus DDPM and eta 1 on linear */
            DiffSampler smp;
            diff_sampler_init(&smp, n_mc, 1, s->alpha_bar, diff_oracle_eps, (void *)&u->oracle, cli->seed + 10 + (uint64_t)(2 * r + k));
            smp.n_threads = cli->threads;
            const size_t n_run = rows[r].ddim ? n_mc : n_mc / 4; /* DDPM-1000 costs 20x a DDIM-50 chain */
            smp.n = n_run;
            diff_run(&smp, plan, ns, x);
            const MomentsSe m = moments_se(x, n_run);
            snprintf(id, sizeof id, "L36.4.2.4.%s_%s_mc_mean", rows[r].name, sn);
            check_mc(id, m.mean, mean, m.se_mean, 4, (long)n_run, "common.diffusion_sampler.step", "sampled chains: mean vs the exact law");
            snprintf(id, sizeof id, "L36.4.2.4.%s_%s_mc_var", rows[r].name, sn);
            check_mc(id, m.var, std * std, m.se_var, 4, (long)n_run, "common.diffusion_sampler.step", "sampled chains: variance vs the exact law");
        }
    check_le("L36.4.2.4.two_routes", worst_route, 0, 1e-12, "common.diffusion_sampler.step",
             "max over the six rows of |library chain law - the lecture's loops written out| (mean and std)");
    for (int k = 0; k < 2; k++) { /* A13: 6.5 uses beta_tilde where 4.2.4 uses beta */
        const DiffusionSchedule *s = k == 0 ? &u->cos : &u->lin;
        const int ns = diff_plan_ddpm(s->beta, s->alpha_bar, T, DIFF_VAR_BETA_TILDE, plan);
        double mean, std;
        chain_law(plan, ns, s, &mean, &std);
        printf("A13: DDPM-1000 with sigma^2 = beta_tilde (6.5's choice), %s: final mean %.4f, std %.4f\n", k == 0 ? "clipped cosine" : "linear", mean, std);
    }
    free(x);
}

/*: ## 4.3.1 The Rust step: no noise (A16) and a late start

The Rust `ddim_step` computes $\sigma_t$ and shrinks the direction term to
$\sqrt{1-\bar\alpha_{t'}-\sigma_t^2}\,\hat\epsilon$, but never adds $\sigma_t z$. At $\eta = 0$ this
is harmless; at $\eta > 0$ the variance that the step removes is never put back, so the samples
collapse towards the mean. The exact law of that chain (the DDIM plan with $\sigma$ set to 0 after
the coefficients were computed) shows it.

The Rust grid also starts at $t = 981$ from $x_T \sim \mathcal N(0, 1)$. At $t = 981$ the true
marginal still carries a little signal, $\sqrt{\bar\alpha_{981}}\,\mu_0 \ne 0$, so starting from a
centred Gaussian loses it: the "signal leakage" that shifts the final mean.
*/
static void rust_sampler(const Setup *u) {
    for (int k = 0; k < 2; k++) {
        const DiffusionSchedule *s = k == 0 ? &u->cos : &u->lin;
        const char *sn = k == 0 ? "cos" : "lin";
        diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
        const int ns = diff_plan_ddim(s->alpha_bar, tau, S50, 1.0, plan);
        double mean_ok, std_ok, mean, std;
        chain_law(plan, ns, s, &mean_ok, &std_ok);
        for (int i = 0; i < ns; i++) plan[i].sigma = 0.0; /* the Rust step: sigma in c, no sigma z */
        chain_law(plan, ns, s, &mean, &std);
        char id[96];
        snprintf(id, sizeof id, "L36.4.3.1.no_noise_eta1_%s_std", sn);
        check_close(id, std, k == 0 ? 0.0000 : 0.0016, 1e-3, "common.diffusion_sampler.ddim",
                    "final std of DDIM-50 eta = 1 without sigma z, %s (spec: the collapse)", k == 0 ? "clipped cosine" : "linear");
        snprintf(id, sizeof id, "L36.4.3.1.no_noise_eta1_%s", sn);
        check_erratum(id, std, std_ok, "A16: final std of the Rust/CFG eta = 1 step (no sigma z) vs the real eta = 1 sampler, %s; the data std is 0.5",
                      k == 0 ? "clipped cosine" : "linear");
        int idx[S50];
        rust_grid(T, S50, idx);
        for (int i = 0; i < S50; i++) tau[i] = idx[i] + 1;
        const int nr = diff_plan_ddim(s->alpha_bar, tau, S50, 0.0, plan);
        chain_law(plan, nr, s, &mean, &std);
        snprintf(id, sizeof id, "L36.4.3.1.rust_grid_%s_mean", sn);
        check_close(id, mean, k == 0 ? 0.4928 : 0.4982, 1e-4, "L36.4.3.1.rust_grid", "Rust grid (t = 981..1), eta = 0, %s: exact final mean (spec)", sn);
        snprintf(id, sizeof id, "L36.4.3.1.rust_grid_%s_std", sn);
        check_close(id, std, k == 0 ? 0.4850 : 0.4724, 1e-4, "L36.4.3.1.rust_grid", "Rust grid, eta = 0, %s: exact final std (spec)", sn);
        printf("  %s: x_981 carries sqrt(abar_981) mu0 = %.4f of signal that x_T ~ N(0,1) lacks\n", sn, sqrt(s->alpha_bar[981]) * MU0);
    }
}

/* Exact law of a plan on the oracle data when every eps_hat is off by the constant delta: each
   step's mean gains c_eps delta (the step is affine in eps_hat), the variance is unchanged. */
static void perturbed_law(const DiffStep *steps, int n, const DiffusionSchedule *sch, double delta, double *mean, double *std) {
    double m = 0.0, v = 1.0;
    for (int k = 0; k < n; k++) {
        diff_gauss_chain_law(&steps[k], 1, sch->alpha_bar, MU0, S0 * S0, m, v, &m, &v);
        m += steps[k].c_eps * delta;
    }
    *mean = m, *std = sqrt(v);
}

/*: ## 4.2.4 The first DDIM step on the unclipped cosine schedule (A3)

The Julia grid starts at $t = T$. Without the $\beta$ clip, $\bar\alpha_T = 3.75\cdot10^{-33}$ (the
rounding residue of $\cos(\pi/2)$), and the first step $T \to 980$ multiplies any error of
$\hat\epsilon$ by

$$ \Big|\frac{\partial x_{980}}{\partial\hat\epsilon}\Big| = \frac{\sqrt{\bar\alpha_{980}}\sqrt{1-\bar\alpha_T}}{\sqrt{\bar\alpha_T}} - \sqrt{1-\bar\alpha_{980}}
   \approx \sqrt{\bar\alpha_{980}/\bar\alpha_T}, $$ {#eq:L36.4.2.4.eps_gain}

the ratio being $5.1\cdot10^{14}$ unclipped against $632$ with the clip at 0.999 (spec A3; the
exact derivative is one less, 631.35, with the clip). A learned $\hat\epsilon$ is never exact.
With the oracle plus a constant error $\delta = 10^{-3}$ the chain stays affine, so its exact
law follows as before with $c_\epsilon\delta$ added to the mean at every step: unclipped, the
samples end near $10^{11}$; clipped, they end finite but shifted by about $-0.3$, because the
first step's error of $0.63$ in $x_{980}$ is a sizeable fraction of that state's unit spread and
the deterministic chain carries it to the end. Clamping $\hat x_0$ to $[-1, 1]$ (the option of
A3, on by default for the network below) keeps even the unclipped chain on the data's scale.
*/
static void unclipped_hazard(const Cli *cli, const Setup *u) {
    diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
    const DiffusionSchedule *sc[2] = {&u->cos_raw, &u->cos};
    const double spec_gain[2] = {5.089e14, 632.4};
    for (int k = 0; k < 2; k++) {
        const double *ab = sc[k]->alpha_bar;
        //: $\sqrt{\bar\alpha_{980}/\bar\alpha_T}$, [eq:L36.4.2.4.eps_gain]
        const double ratio = sqrt(ab[tau[S50 - 2]] / ab[T]);
        check_rel(k == 0 ? "L36.4.2.4.eps_gain_unclipped" : "L36.4.2.4.eps_gain_clipped", ratio, spec_gain[k], 1e-3,
                  "L36.4.2.4.eps_gain", "sqrt(abar_980 / abar_1000), the error gain of the first DDIM-50 step, %s cosine (spec)", k == 0 ? "unclipped" : "clipped");
        //: the step's $\hat\epsilon$ coefficient $c - ab$, [eq:L36.4.2.4.eps_gain]
        const DiffStep st = diff_ddim_step(ab, T, tau[S50 - 2], 0.0);
        printf("  %s cosine: exact |d x_980 / d eps_hat| = %.6g\n", k == 0 ? "unclipped" : "clipped", fabs(st.c_eps));
    }
    const size_t n = 512;
    const double delta = 1e-3;
    double *x = xmalloc(sizeof(double) * n);
    for (int k = 0; k < 3; k++) {
        const DiffusionSchedule *s = k == 1 ? &u->cos : &u->cos_raw;
        EpsWrap w = {diff_oracle_eps, (void *)&u->oracle, delta, k == 2};
        const int ns = diff_plan_ddim(s->alpha_bar, tau, S50, 0.0, plan);
        DiffSampler smp;
        diff_sampler_init(&smp, n, 1, s->alpha_bar, eps_wrapped, &w, cli->seed + 30);
        smp.n_threads = cli->threads;
        diff_run(&smp, plan, ns, x);
        const MomentsSe m = moments_se(x, n);
        double big = 0, law_mean, law_std;
        for (size_t i = 0; i < n; i++) big = isfinite(x[i]) ? fmax(big, fabs(x[i])) : INFINITY;
        if (k == 2) {
            printf("  unclipped cosine, eps* + 1e-3, x0_hat clamped: max |x_0| = %.4f, mean %.4f (the clamp bounds x0_hat by construction)\n", big, m.mean);
            continue;
        }
        perturbed_law(plan, ns, s, delta, &law_mean, &law_std);
        if (k == 0) {
            check_ge("L36.4.2.4.perturbed_unclipped_blows_up", big, 1e6, 0, "L36.4.2.4.eps_gain",
                     "unclipped cosine, eps* + 1e-3: max |x_0| over %zu chains (the data live in about [-1, 2])", n);
            check_rel("L36.4.2.4.perturbed_unclipped_law", m.mean, law_mean, 1e-6, "L36.4.2.4.eps_gain",
                      "unclipped cosine, eps* + 1e-3: sample mean vs the exact perturbed law (the spread %.2g is negligible)", law_std);
        } else {
            check_mc("L36.4.2.4.perturbed_clipped_mean", m.mean, law_mean, m.se_mean, 4, (long)n, "L36.4.2.4.eps_gain",
                     "clipped cosine, eps* + 1e-3: sample mean vs the exact perturbed law (finite, shifted from 0.5)");
            printf("  clipped cosine, perturbed: exact final mean %.4f, std %.4f (unperturbed 0.5000 / 0.4845)\n", law_mean, law_std);
        }
    }
    free(x);
}

/* Mean over the rows of a (n x dim) of the RMS distance to the nearest row of ref (m x dim). */
static double mean_nn_rms(const float *a, int n, const float *ref, int m, int dim) {
    double total = 0;
    for (int i = 0; i < n; i++) {
        double best = INFINITY;
        for (int j = 0; j < m; j++) {
            double d2 = 0;
            for (int k = 0; k < dim && d2 < best; k++) {
                const double dv = (double)a[(size_t)i * dim + k] - ref[(size_t)j * dim + k];
                d2 += dv * dv;
            }
            best = fmin(best, d2);
        }
        total += sqrt(best / dim);
    }
    return total / n;
}

static void write_grid(const Cli *cli, const char *name, const double *x, int n, int side) {
    float *f = xmalloc(sizeof(float) * (size_t)n * side * side);
    for (size_t i = 0; i < (size_t)n * side * side; i++) f[i] = (float)x[i];
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 4, opt.pad = 0, opt.upscale = 7, opt.lo = -1, opt.hi = 1;
    Image8 *g = image_grid(f, n, 1, side, side, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, name), g, err, sizeof err) != 0) die("%s", err);
    image8_free(g);
    free(f);
}

/*: ## 5.3 The samplers on the trained network

The same two samplers now run on the Tiny U-Net trained by program 20 (loaded from its output,
or trained here at the default scale when it is missing): DDPM over all 1000 steps with
$\sigma_t^2 = \beta_t$ and DDIM-50 with $\eta = 0$ on the Julia grid, both from the same seeded
$x_T$, on the clipped cosine schedule the network was trained with. DDPM costs 20 times as many
network evaluations as DDIM-50, so the default scale runs it on 4 of the 16 starting points
(all 1000 steps; `--full` runs all 16, `--quick` a respaced 100-step DDPM). The grids are written as
`ddpm_grid.png` and `ddim_grid.png` (clamped to $[-1, 1]$ for display, A21).

No closed form exists for a network, so the checks are necessary conditions and one honest
comparison: every value is finite; DDIM with $\eta = 0$ repeats bitwise; without the clamp
(below) at most 1 % of the pixels may leave $[-1.1, 1.1]$ (the data live in $[-1, 1]$); and the samples lie closer to held-out real
digits (mean RMS distance to the nearest of the held-out images, which the network never saw)
than images with the same pixel values in random places (real training digits with their pixels
shuffled: the same histogram, no strokes). The distance of real training digits to the same
held-out set is printed as the scale of "as good as data". Distance alone would let a blank
image pass (the thinnest held-out "1" is near it), so the samples must also carry ink like the
data: the mean fraction of pixels above 0 within a factor 2 of the data's. Both samplers clamp
$\hat x_0$ to $[-1, 1]$ at every step (A3: the first DDIM step from $t = T$ multiplies the
network's error by 632); `--no-clamp-x0` runs the lecture's unclamped samplers.
*/
static void network_samplers(const Cli *cli, const char *net_file, int clamp_x0) {
    DdpmNet net;
    ddpm_net_load_or_train(cli, net_file, &net);
    DdpmData d;
    ddpm_data_load(cli->data_dir, net.data[0] ? net.data : "mnist", &d);
    const int side = d.side, dim = side * side;
    const int n_img = (int)cli_scale(cli, 4, 16, 16), n_ddpm = (int)cli_scale(cli, 2, 4, 16), n_rep = 4;
    const int ddpm_steps = (int)cli_scale(cli, 100, T, T);
    printf("DDPM: %d images over %d steps; DDIM-50: %d images (the first %d share x_T with DDPM)\n", n_ddpm, ddpm_steps, n_img, n_ddpm);
    if (ddpm_steps < T) printf("quick scale: DDPM on a respaced grid of %d steps (sigma^2 = 1 - abar_tau_k / abar_tau_k-1)\n", ddpm_steps);
    DdpmEpsCtx ec = {&net, NULL, -1, clamp_x0, clamp_x0 ? DDPM_PRIOR_ABAR : 0};
    if (clamp_x0)
        printf("x0_hat clamped to [-1,1] at every step of both samplers (A3), and the data mean where abar_t < %g "
               "(common/ddpm_net.h: there x0_hat is the eps error amplified; --no-clamp-x0: the lecture's samplers)\n",
               DDPM_PRIOR_ABAR);
    else
        printf("--no-clamp-x0: the lecture's samplers, x0_hat not clamped\n");
    const double *ab = net.sched.alpha_bar;
    const size_t nd = (size_t)n_img * dim;
    double *xT = xmalloc(sizeof(double) * nd), *xa = xmalloc(sizeof(double) * nd), *xb = xmalloc(sizeof(double) * nd),
           *xc = xmalloc(sizeof(double) * nd);
    for (int i = 0; i < n_img; i++) {
        Rng r;
        rng_init(&r, cli->seed + 100, (uint64_t)i);
        rng_normal_fill(&r, xT + (size_t)i * dim, (size_t)dim);
    }
    DiffSampler smp;
    diff_sampler_init(&smp, (size_t)n_ddpm, (size_t)dim, ab, ddpm_net_diff_eps, &ec, cli->seed + 101);
    smp.draw_prior = 0, smp.n_threads = 1, smp.block = (size_t)n_img;
    int ns;
    if (ddpm_steps == T) {
        //: DDPM, $\sigma_t^2 = \beta_t$, [eq:L36.4.4.mu]
        ns = diff_plan_ddpm(net.sched.beta, ab, T, DIFF_VAR_BETA, plan);
    } else {
        diff_timesteps(T, ddpm_steps, DIFF_TAU_LINSPACE, tau);
        ns = diff_plan_ddim(ab, tau, ddpm_steps, 1.0, plan);
        for (int k = 0; k < ns; k++) plan[k].sigma = sqrt(1.0 - ab[plan[k].t] / ab[plan[k].s]) * (plan[k].s > 0);
    }
    memcpy(xa, xT, sizeof(double) * (size_t)n_ddpm * dim);
    const size_t bad_ddpm = diff_run(&smp, plan, ns, xa);
    diff_timesteps(T, S50, DIFF_TAU_LINSPACE, tau);
    //: DDIM-50, $\eta = 0$, [eq:L36.4.2.4.julia_grid]
    ns = diff_plan_ddim(ab, tau, S50, 0.0, plan);
    memcpy(xb, xT, sizeof(double) * nd);
    smp.n = (size_t)n_img;
    const size_t bad_ddim = diff_run(&smp, plan, ns, xb);
    memcpy(xc, xT, sizeof(double) * (size_t)n_rep * dim);
    smp.n = (size_t)n_rep, smp.block = (size_t)n_rep;
    diff_run(&smp, plan, ns, xc);
    write_grid(cli, "ddpm_grid.png", xa, n_ddpm, side);
    write_grid(cli, "ddim_grid.png", xb, n_img, side);
    check_true("L36.5.3.net_finite", bad_ddpm == 0 && bad_ddim == 0, "all %d DDPM and %d DDIM samples finite", n_ddpm, n_img);
    long out_a = 0, out_b = 0;
    for (size_t i = 0; i < (size_t)n_ddpm * dim; i++) out_a += fabs(xa[i]) > 1.1;
    for (size_t i = 0; i < nd; i++) out_b += fabs(xb[i]) > 1.1;
    const double fa_out = (double)out_a / ((double)n_ddpm * dim), fb_out = (double)out_b / (double)nd;
    const int trained = net.scale >= SCALE_DEFAULT;
    printf("fractions of sample pixels outside [-1.1, 1.1]: DDPM %.4f, DDIM %.4f\n", fa_out, fb_out);
    if (clamp_x0) {
        /* with the clamp both samplers end on the clamped x0_hat (DDIM's last step returns it; DDPM's
           t = 1 mean is c0 x0_hat + c1 x_1 with c0 = 1, c1 = 0): in range by construction */
        printf("(with the x0_hat clamp the samples lie in [-1, 1] by construction; the range check applies to --no-clamp-x0)\n");
    } else if (trained) {
        check_le("L36.5.3.ddpm_in_range", fa_out, 0.01, 0, NULL, "unclamped DDPM: fraction of sample pixels outside [-1.1, 1.1]");
        check_le("L36.5.3.ddim_in_range", fb_out, 0.01, 0, NULL, "unclamped DDIM: fraction of sample pixels outside [-1.1, 1.1]");
    } else {
        check_skip("L36.5.3.ddpm_in_range", "the net was trained at the quick scale (a few steps): range and quality are judged at the default scale");
        check_skip("L36.5.3.ddim_in_range", "the net was trained at the quick scale");
    }
    check_true("L36.Q3.net_ddim_bitwise", memcmp(xb, xc, sizeof(double) * (size_t)n_rep * dim) == 0,
               "DDIM-50 eta = 0 on the network, the first %d x_T run again: bitwise equal", n_rep);
    /* the quality comparison */
    const float *held = d.x + (size_t)d.n_train * dim;
    float *fa = xmalloc(sizeof(float) * nd), *fb = xmalloc(sizeof(float) * nd), *real = xmalloc(sizeof(float) * nd),
          *shuf = xmalloc(sizeof(float) * nd);
    int *perm = xmalloc(sizeof(int) * dim);
    Rng r;
    rng_init(&r, cli->seed + 102, 0);
    for (int i = 0; i < n_img; i++) {
        const int src = (int)rng_below(&r, (uint32_t)d.n_train);
        rng_permutation(&r, perm, dim);
        for (int k = 0; k < dim; k++) {
            real[(size_t)i * dim + k] = d.x[(size_t)src * dim + k];
            shuf[(size_t)i * dim + k] = d.x[(size_t)src * dim + perm[k]];
        }
    }
    for (size_t i = 0; i < nd; i++) fa[i] = i < (size_t)n_ddpm * dim ? (float)xa[i] : 0.0f, fb[i] = (float)xb[i];
    const double nn_a = mean_nn_rms(fa, n_ddpm, held, d.n_heldout, dim), nn_b = mean_nn_rms(fb, n_img, held, d.n_heldout, dim);
    const double nn_real = mean_nn_rms(real, n_img, held, d.n_heldout, dim), nn_shuf = mean_nn_rms(shuf, n_img, held, d.n_heldout, dim);
    printf("mean RMS distance to the nearest of %d held-out %s images: DDPM %.4f, DDIM %.4f, real training digits %.4f, pixel-shuffled digits %.4f\n",
           d.n_heldout, d.name, nn_a, nn_b, nn_real, nn_shuf);
    double ink_data = 0, ink_a = 0, ink_b = 0;
    for (size_t i = 0; i < (size_t)d.n_heldout * dim; i++) ink_data += held[i] > 0.0f;
    for (size_t i = 0; i < (size_t)n_ddpm * dim; i++) ink_a += xa[i] > 0.0;
    for (size_t i = 0; i < nd; i++) ink_b += xb[i] > 0.0;
    ink_data /= (double)d.n_heldout * dim, ink_a /= (double)n_ddpm * dim, ink_b /= (double)nd;
    printf("fraction of pixels above 0: held-out digits %.4f, DDPM %.4f, DDIM %.4f\n", ink_data, ink_a, ink_b);
    if (trained) {
        check_in("L36.5.3.ddpm_ink", ink_a, 0.5 * ink_data, 2.0 * ink_data, NULL, "DDPM samples: fraction of pixels above 0 within a factor 2 of the held-out digits'");
        check_in("L36.5.3.ddim_ink", ink_b, 0.5 * ink_data, 2.0 * ink_data, NULL, "DDIM samples: fraction of pixels above 0 within a factor 2 of the held-out digits'");
        check_le("L36.5.3.ddpm_closer_than_shuffled", nn_a, nn_shuf, 0, NULL, "DDPM samples: mean nearest-held-out RMS distance below that of pixel-shuffled digits");
        check_le("L36.5.3.ddim_closer_than_shuffled", nn_b, nn_shuf, 0, NULL, "DDIM samples: mean nearest-held-out RMS distance below that of pixel-shuffled digits");
    } else {
        check_skip("L36.5.3.ddpm_closer_than_shuffled", "the net was trained at the quick scale");
        check_skip("L36.5.3.ddim_closer_than_shuffled", "the net was trained at the quick scale");
        check_skip("L36.5.3.ddpm_ink", "the net was trained at the quick scale");
        check_skip("L36.5.3.ddim_ink", "the net was trained at the quick scale");
    }
    free(fa), free(fb), free(real), free(shuf), free(perm);
    free(xT), free(xa), free(xb), free(xc);
    ddpm_data_free(&d);
    ddpm_net_free(&net);
}

int main(int argc, char **argv) {
    Cli cli;
    int no_clamp = 0;
    const char *net_file = NULL;
    const CliExtra extras[] = {{"--no-clamp-x0", CLI_FLAG, &no_clamp, "the lecture's network samplers: no clamp of x0_hat (spec A3)"},
                               DDPM_NET_CLI_FLAG(net_file), {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 4.2.4/4.3.1/4.4/5.3: DDPM and DDIM samplers, oracle then network", 21, extras);
    Setup u;
    setup_init(&u);
    grids();
    code_rows(&cli, &u);
    q2_roundtrip(&cli, &u);
    eta_meaning(&cli, &u);
    gaussian_table(&cli, &u);
    rust_sampler(&u);
    unclipped_hazard(&cli, &u);
    setup_free(&u);
    network_samplers(&cli, net_file, !no_clamp);
    return check_end();
}
