/*: # L42 4.5 — Score SDE (VP and VE) done right, and DDPM / DDIM through one runner

**Lecture 42, Part 2, section 4.5** (`ScoreSDE`, the diffusion family) with 4.8's samplers in
context, spec §3 items 15–17 and erratum B11. The lecture's score SDE mixes two conventions: its
VP forward uses $\beta(t)$ as the *noise variance* $1-\bar\alpha$, its sampler uses the same
$\beta(t)$ as an SDE *rate*, the rate $0.1+0.9t$ never reaches noise, the reverse step has the
wrong sign, and the VE sampler starts from $\mathcal N(0,1)$ with $\sigma^2$ in place of
$g^2 = d\sigma^2/dt$. Here each piece is written out correctly and checked on Gaussian data,
where every marginal and every discrete chain has an exact law.

What you will see: schedule facts (checks and ERRATUM lines), the conditional score against
finite differences, Tweedie's formula against the exact posterior mean, the denoising-score
regression recovering the marginal score; the VP and VE reverse SDEs and the probability-flow
ODE with the exact score, each as a Monte-Carlo run checked against the exact law of its own
discrete chain, and that law against the data law; the lecture's two samplers as written
(ERRATUM); then DDPM-1000 and DDIM-50 on 8 Gaussians with the exact mixture denoiser and with an
ε-network trained through `common/genmodel`'s loop, both run by `common/diffusion_sampler`; and
the same ε-network family trained on the 8×8 digits, its samples judged by their distance to the
nearest training digit against a Gaussian fit's.
Figures: `diffusion_samples.png`, `digits_samples.png`.

Run: `build/release/bin/lectures/42_unified/10_score_sde_ddpm_ddim [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\beta(t)$, $\bar\alpha(t)$ (VP) | `vp_beta`, `vp_abar` | scalar |
| $\sigma(t)$, $g^2(t)$ (VE) | `ve_sigma`, `ve_g2` | scalar |
| data law $\mathcal N(m, s^2)$ | `DATA_M`, `DATA_S` | scalar |
| $\nabla\log p_t(x)$ | `vp_score`, `ve_score` | scalar |
| one affine step $x \leftarrow Ax + B + Cz$ | `Affine` | struct |
| $\hat\epsilon_\theta(x_t, t)$ | `gm_ddpm_eps`, `GmDdpm.net` (common/gm_diffusion.h) | (n, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/digits_split.h"
#include "common/gauss.h"
#include "common/genmodel.h"
#include "common/gm_diffusion.h"
#include "common/image.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/toy2d_plot.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

static const double DATA_M = 2.0, DATA_S = 0.5;
static const double VP_BMIN = 0.1, VP_BMAX = 20.0;       /* Song et al. 2021 */
static const double VE_SMIN = 0.01, VE_SMAX = 50.0;
enum { NSTEPS = 1000 };

/*: ## 4.5 (B11) Two SDE families and their schedules

The VP SDE $dx = -\tfrac12\beta(t)x\,dt + \sqrt{\beta(t)}\,dW$ has the marginal
$$ x_t\mid x_0 \sim \mathcal N\big(\sqrt{\bar\alpha(t)}\,x_0,\ (1-\bar\alpha(t))\big),\qquad
   \bar\alpha(t) = \exp\Big(-\int_0^t \beta(u)\,du\Big), $$ {#eq:L42.4.5.vp_marginal}
and with $\beta(t) = \beta_\text{min} + t(\beta_\text{max}-\beta_\text{min})$ the integral is
$\beta_\text{min}t + \tfrac12(\beta_\text{max}-\beta_\text{min})t^2$. The VE SDE $dx = g(t)\,dW$ with
$\sigma(t) = \sigma_\text{min}(\sigma_\text{max}/\sigma_\text{min})^t$ has
$$ x_t\mid x_0 \sim \mathcal N\big(x_0,\ \sigma(t)^2 - \sigma(0)^2\big)\approx\mathcal N(x_0, \sigma(t)^2),\qquad
   g(t)^2 = \frac{d\sigma^2}{dt} = 2\sigma(t)^2\log\frac{\sigma_\text{max}}{\sigma_\text{min}} . $$ {#eq:L42.4.5.ve_marginal}

The lecture's $\beta(t) = 0.1 + 0.9t$ read as a rate gives $\bar\alpha(1) = e^{-0.55}$: at $t = 1$
more than half the signal variance is left, so a sampler started from $\mathcal N(0, 1)$ starts
from the wrong law. Read as a variance (its forward) it leaves 10 % noise at $t = 0$. Its VE
$\sigma(t) = e^{20t}$ is 1 at $t = 0$ (data never clean) and $4.85\cdot10^8$ at $t = 1$.
The checks compute $\bar\alpha(1)$ by Simpson quadrature of $\beta$ and compare with the closed form.
*/
static double vp_beta(double t) { return VP_BMIN + t * (VP_BMAX - VP_BMIN); }
static double vp_abar(double t) { return exp(-(VP_BMIN * t + 0.5 * (VP_BMAX - VP_BMIN) * t * t)); }
static double ve_sigma(double t) { return VE_SMIN * pow(VE_SMAX / VE_SMIN, t); }
static double ve_g2(double t) { return 2.0 * ve_sigma(t) * ve_sigma(t) * log(VE_SMAX / VE_SMIN); }
static double lecture_beta(double t) { return 0.1 + 0.9 * t; }

/* exp(-int_0^1 beta) by composite Simpson with 2n intervals */
static double abar1_by_simpson(double (*beta)(double), int n) {
    double h = 1.0 / (2 * n), s = beta(0) + beta(1);
    for (int i = 1; i < 2 * n; i++) s += (i % 2 ? 4.0 : 2.0) * beta(i * h);
    return exp(-s * h / 3.0);
}

static void section_schedules(void) {
    //: $\bar\alpha(1) = \exp(-\int_0^1\beta)$, [eq:L42.4.5.vp_marginal]
    double a_std = abar1_by_simpson(vp_beta, 50), a_lec = abar1_by_simpson(lecture_beta, 50);
    check_close("L42.4.5.sched_vp_std", a_std, exp(-10.05), 1e-8, "L42.4.5.vp_marginal",
                "abar(1) of beta = 0.1 + 19.9t (Simpson) vs exp(-10.05) = 4.3186e-5");
    check_close("L42.4.5.sched_vp_closed", vp_abar(1.0), a_std, 1e-12, "L42.4.5.vp_marginal",
                "closed-form abar(1) used by the samplers vs the quadrature");
    check_close("L42.4.5.sched_lecture_vp", a_lec, 0.5769498, 1e-7, "L42.4.5.vp_marginal",
                "abar(1) of the lecture's beta = 0.1 + 0.9t read as a rate: exp(-0.55)");
    check_erratum("L42.4.5.lecture_vp_terminal", a_lec, a_std,
                  "B11(b): lecture's abar(1) (should be ~0: pure noise at t = 1) vs the standard VP's");
    check_erratum("L42.4.5.lecture_ve_sigma0", exp(20.0 * 0), VE_SMIN,
                  "B11(d): lecture's sigma(0) = e^0 (data never clean) vs sigma_min");
    check_rel("L42.4.5.sched_lecture_ve", exp(20.0), 4.8516520e8, 1e-6, NULL,
              "the lecture's sigma(1) = e^20 (B11(d): a sampler must start from N(0, sigma_max^2))");
    //: $g^2 = d\sigma^2/dt$, [eq:L42.4.5.ve_marginal]
    double h = 1e-5, fd = (pow(ve_sigma(0.5 + h), 2) - pow(ve_sigma(0.5 - h), 2)) / (2 * h);
    check_rel("L42.4.5.ve_g2", ve_g2(0.5), fd, 1e-7, "L42.4.5.ve_marginal",
              "g^2(0.5) = 2 sigma^2 log(sigma_max/sigma_min) vs central FD of sigma^2");
    check_erratum("L42.4.5.lecture_ve_g2", 1.0, 40.0,
                  "B11(d): the lecture's VE step uses sigma^2 where g^2 = d(e^{40t})/dt = 40 sigma^2: ratio g^2/sigma^2");
}

/*: ## 4.5 / §3 item 17: conditional score, Tweedie, denoising score matching

The score of the forward kernel and, for data $\mathcal N(m, s^2)$, of the VP marginal are
$$ \nabla_{x_t}\log q(x_t\mid x_0) = -\frac{x_t - \sqrt{\bar\alpha}\,x_0}{1-\bar\alpha},\qquad
   \nabla\log p_t(x) = -\frac{x - \sqrt{\bar\alpha}\,m}{\bar\alpha s^2 + 1 - \bar\alpha}. $$ {#eq:L42.4.5.scores}
The lecture's comment has the first form; its code divides by $\beta(t)$ instead (B11(f)).
Tweedie's formula gives the posterior mean through the marginal score,
$$ \mathbb E[x_0\mid x_t] = \frac{x_t + (1-\bar\alpha)\nabla\log p_t(x_t)}{\sqrt{\bar\alpha}}, $$ {#eq:L42.4.5.tweedie}
checked against `diff_oracle_eval`, which conditions the joint Gaussian directly. Denoising score
matching regresses the conditional score on $x_t$; its least-squares minimiser is
$\mathbb E[\nabla\log q(x_t|x_0)\mid x_t] = \nabla\log p_t(x_t)$, so a linear fit on Monte-Carlo
pairs must recover the marginal score's slope $-1/v$ and intercept $\sqrt{\bar\alpha}m/v$.
*/
static double vp_cond_score(double abar, double xt, double x0) {
    //: $-(x_t - \sqrt{\bar\alpha}x_0)/(1-\bar\alpha)$, [eq:L42.4.5.scores]
    return -(xt - sqrt(abar) * x0) / (1.0 - abar);
}
static double vp_cond_logq(double abar, double xt, double x0) {
    return gauss_logpdf_1d(xt, sqrt(abar) * x0, sqrt(1.0 - abar));
}
static double vp_score(double abar, double x) {
    //: $-(x - \sqrt{\bar\alpha}m)/(\bar\alpha s^2 + 1 - \bar\alpha)$, [eq:L42.4.5.scores]
    return -(x - sqrt(abar) * DATA_M) / (abar * DATA_S * DATA_S + 1.0 - abar);
}
static double ve_score(double t, double x) {
    //: $-(x - m)/(s^2 + \sigma(t)^2 - \sigma_\text{min}^2)$, [eq:L42.4.5.ve_marginal]
    return -(x - DATA_M) / (DATA_S * DATA_S + ve_sigma(t) * ve_sigma(t) - VE_SMIN * VE_SMIN);
}

static void section_scores(const Cli *cli) {
    const double abars[3] = {0.9, 0.5, 0.05};
    double err_fd = 0, err_tw = 0;
    for (int k = 0; k < 3; k++) {
        double a = abars[k], xt = 0.7 - k, x0 = 1.3, h = 1e-5;
        double fd = (vp_cond_logq(a, xt + h, x0) - vp_cond_logq(a, xt - h, x0)) / (2 * h);
        err_fd = fmax(err_fd, fabs(fd - vp_cond_score(a, xt, x0)));
        //: [eq:L42.4.5.tweedie]
        double tweedie = (xt + (1.0 - a) * vp_score(a, xt)) / sqrt(a);
        Gmm law = gmm_new(1, 1);
        gmm_set(&law, 0, 1.0, &DATA_M, NULL, DATA_S * DATA_S);
        double x0_hat;
        diff_oracle_eval(&law, &xt, a, NULL, &x0_hat);
        gmm_free(&law);
        err_tw = fmax(err_tw, fabs(tweedie - x0_hat));
    }
    check_close("L42.4.5.dsm_score_fd", err_fd, 0.0, 1e-6, "L42.4.5.scores",
                "conditional score vs central FD of log q(x_t|x_0), max over abar in {0.9, 0.5, 0.05}");
    check_close("L42.4.5.tweedie", err_tw, 0.0, 1e-12, "L42.4.5.tweedie",
                "Tweedie's E[x0|x_t] vs the Gaussian posterior mean of diff_oracle_eval, max over 3 abar");

    /* DSM regression at abar = 0.5 on n pairs */
    const long n = cli_scale(cli, 20000, 200000, 1000000);
    const double a = 0.5;
    Rng r;
    rng_init(&r, cli->seed, 10);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (long i = 0; i < n; i++) {
        double x0 = DATA_M + DATA_S * rng_normal(&r);
        double xt = sqrt(a) * x0 + sqrt(1 - a) * rng_normal(&r), y = vp_cond_score(a, xt, x0);
        sx += xt, sy += y, sxx += xt * xt, sxy += xt * y;
    }
    double slope = (sxy - sx * sy / n) / (sxx - sx * sx / n), icpt = (sy - slope * sx) / n;
    double v = a * DATA_S * DATA_S + 1 - a;
    check_rel("L42.4.5.dsm_slope", slope, -1.0 / v, 0.01, "L42.4.5.scores",
              "least-squares DSM slope (n=%ld pairs) vs the marginal score's -1/v", n);
    check_rel("L42.4.5.dsm_intercept", icpt, sqrt(a) * DATA_M / v, 0.01, "L42.4.5.scores",
              "least-squares DSM intercept vs sqrt(abar) m / v");
}

/*: ## 4.5 (B11(c)) The reverse SDE and the probability-flow ODE

Anderson's reverse-time SDE for $dx = f\,dt + g\,dW$ is $dx = [f - g^2\nabla\log p_t]\,dt + g\,d\bar W$,
integrated from $t = 1$ down to $0$. One Euler–Maruyama step of size $\Delta t$ backwards reads,
for VP and for VE,
$$ x \leftarrow x + \big[\tfrac12\beta(t)x + \beta(t)\nabla\log p_t(x)\big]\Delta t + \sqrt{\beta(t)\Delta t}\,z,\qquad
   x \leftarrow x + g(t)^2\nabla\log p_t(x)\,\Delta t + g(t)\sqrt{\Delta t}\,z, $$ {#eq:L42.4.5.reverse_em}
and the probability-flow ODE drops the noise and halves the score term:
$$ x \leftarrow x + \big[\tfrac12\beta(t)x + \tfrac12\beta(t)\nabla\log p_t(x)\big]\Delta t . $$ {#eq:L42.4.5.pf_ode}
The VP chain starts at $\mathcal N(0, 1)$, the VE chain at $\mathcal N(0, \sigma_\text{max}^2)$.
The lecture's VP step is $x - \tfrac12\beta\Delta t(x + s) + \sqrt{\beta\Delta t}z$ with its own
$\beta$ and a score of its own forward ($\sqrt{1-\beta}$, variance $\beta$); its VE step
$x + \sigma^2\Delta t\,s + \sigma\sqrt{\Delta t}z$ from $\mathcal N(0,1)$.

With Gaussian data the exact score is affine, so each step is $x \leftarrow Ax + B + Cz$ and the
final law of the *discrete* chain follows exactly: $\mu \leftarrow A\mu + B$,
$V \leftarrow A^2V + C^2$. Two checks per sampler: the Monte-Carlo run (N chains, Philox
stream per chain) against its own chain's exact law within 4 standard errors (the sampling
code), and that law against the data law $\mathcal N(2, 0.5^2)$ within 0.02 (the mathematics and
the discretisation).
*/
typedef struct { double A, B, C; } Affine;
typedef enum { SDE_VP_EM, SDE_VP_ODE, SDE_VE_EM, SDE_LEC_VP, SDE_LEC_VE } SdeKind;

/* step at time t (going down by dt): the coefficients of x <- A x + B + C z */
static Affine sde_step(SdeKind kind, double t, double dt) {
    Affine st = {1, 0, 0};
    double sl, ic; /* score = sl x + ic */
    if (kind == SDE_VP_EM || kind == SDE_VP_ODE) {
        double b = vp_beta(t), a = vp_abar(t), v = a * DATA_S * DATA_S + 1 - a;
        sl = -1.0 / v, ic = sqrt(a) * DATA_M / v;
        double w = kind == SDE_VP_EM ? 1.0 : 0.5;
        //: [eq:L42.4.5.reverse_em] (VP) and [eq:L42.4.5.pf_ode]
        st.A = 1 + (0.5 * b + w * b * sl) * dt, st.B = w * b * ic * dt;
        st.C = kind == SDE_VP_EM ? sqrt(b * dt) : 0.0;
    } else if (kind == SDE_VE_EM) {
        double g2 = ve_g2(t);
        ic = ve_score(t, 0.0), sl = ve_score(t, 1.0) - ic;
        //: [eq:L42.4.5.reverse_em] (VE)
        st.A = 1 + g2 * sl * dt, st.B = g2 * ic * dt, st.C = sqrt(g2 * dt);
    } else if (kind == SDE_LEC_VP) {
        /* the lecture's forward: x_t = sqrt(1-beta) x0 + sqrt(beta) eps, beta = 0.1 + 0.9t */
        double b = lecture_beta(t), v = (1 - b) * DATA_S * DATA_S + b;
        sl = -1.0 / v, ic = sqrt(1 - b) * DATA_M / v;
        st.A = 1 - 0.5 * b * dt * (1 + sl), st.B = -0.5 * b * dt * ic, st.C = sqrt(b * dt);
    } else {
        /* the lecture's VE: x_t = x0 + e^{20t} eps, step with sigma^2 instead of g^2 */
        double s2 = exp(40.0 * t), v = DATA_S * DATA_S + s2;
        sl = -1.0 / v, ic = DATA_M / v;
        st.A = 1 + s2 * dt * sl, st.B = s2 * dt * ic, st.C = sqrt(s2 * dt);
    }
    return st;
}

/* time of step k (k = 0 first) for the correct samplers (t = 1 - k dt) and the lecture's
   (t = step/steps for step = steps-1 .. 0) */
static double step_time(SdeKind kind, int k) {
    return (kind == SDE_LEC_VP || kind == SDE_LEC_VE) ? (double)(NSTEPS - 1 - k) / NSTEPS
                                                      : 1.0 - (double)k / NSTEPS;
}

static double prior_std(SdeKind kind) { return kind == SDE_VE_EM ? VE_SMAX : 1.0; }

static void sde_exact_law(SdeKind kind, double *mean, double *var) {
    double mu = 0, V = prior_std(kind) * prior_std(kind), dt = 1.0 / NSTEPS;
    for (int k = 0; k < NSTEPS; k++) {
        Affine st = sde_step(kind, step_time(kind, k), dt);
        mu = st.A * mu + st.B, V = st.A * st.A * V + st.C * st.C;
    }
    *mean = mu, *var = V;
}

/* N chains, chain i on Philox stream (seed, 100 + i) */
static void sde_simulate(SdeKind kind, uint64_t seed, long n, double *x) {
    double dt = 1.0 / NSTEPS;
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, seed, 100 + (uint64_t)i);
        double xi = prior_std(kind) * rng_normal(&r);
        for (int k = 0; k < NSTEPS; k++) {
            Affine st = sde_step(kind, step_time(kind, k), dt);
            xi = st.A * xi + st.B + (st.C > 0 ? st.C * rng_normal(&r) : 0.0);
        }
        x[i] = xi;
    }
}

static void mc_vs_law(const char *id, const char *what, const double *x, long n, double mean, double var) {
    double *d2 = xmalloc((size_t)n * sizeof *d2), se_m, se_v;
    double m = stats_mean_se(x, (size_t)n, &se_m);
    for (long i = 0; i < n; i++) d2[i] = (x[i] - mean) * (x[i] - mean);
    double v = stats_mean_se(d2, (size_t)n, &se_v);
    char cid[96];
    snprintf(cid, sizeof cid, "%s_mc_mean", id);
    check_mc(cid, m, mean, se_m, 4.0, n, NULL, "%s: sample mean vs the discrete chain's exact mean", what);
    snprintf(cid, sizeof cid, "%s_mc_var", id);
    check_mc(cid, v, var, se_v, 4.0, n, NULL, "%s: E(x - mu)^2 vs the chain's exact variance", what);
    free(d2);
}

static void section_reverse(const Cli *cli) {
    const long n = cli_scale(cli, 2000, 20000, 20000);
    double *x = xmalloc((size_t)n * sizeof *x), mean, var;
    struct { SdeKind kind; const char *id, *what; } runs[3] = {
        {SDE_VP_EM, "L42.4.5.sde_vp_em", "VP reverse SDE, Euler-Maruyama 1000"},
        {SDE_VP_ODE, "L42.4.5.ode_pf_euler", "VP probability-flow ODE, Euler 1000"},
        {SDE_VE_EM, "L42.4.5.sde_ve_em", "VE reverse SDE, Euler-Maruyama 1000"},
    };
    for (int r = 0; r < 3; r++) {
        sde_exact_law(runs[r].kind, &mean, &var);
        sde_simulate(runs[r].kind, cli->seed, n, x);
        mc_vs_law(runs[r].id, runs[r].what, x, n, mean, var);
        char cid[96];
        snprintf(cid, sizeof cid, "%s_law_mean", runs[r].id);
        check_close(cid, mean, DATA_M, 0.02, "L42.4.5.reverse_em", "%s: exact chain mean vs data mean 2", runs[r].what);
        snprintf(cid, sizeof cid, "%s_law_std", runs[r].id);
        check_close(cid, sqrt(var), DATA_S, 0.02, "L42.4.5.reverse_em", "%s: exact chain std vs data std 0.5", runs[r].what);
    }
    /* the lecture's samplers as written (B11(a)-(d)) */
    sde_exact_law(SDE_LEC_VP, &mean, &var);
    sde_simulate(SDE_LEC_VP, cli->seed, n, x);
    mc_vs_law("L42.4.5.lecture_vp", "lecture's VP sampler as written", x, n, mean, var);
    check_erratum("L42.4.5.lecture_vp_mean", mean, DATA_M, "B11: lecture's VP sampler ends at this mean (spec: about -0.47)");
    check_erratum("L42.4.5.lecture_vp_std", sqrt(var), DATA_S, "B11: lecture's VP sampler ends at this std (spec: about 1.39)");
    sde_exact_law(SDE_LEC_VE, &mean, &var);
    check_erratum("L42.4.5.lecture_ve_mean", mean, DATA_M, "B11(d): lecture's VE sampler (N(0,1) start, sigma^2 for g^2), exact chain mean");
    check_erratum("L42.4.5.lecture_ve_std", sqrt(var), DATA_S, "B11(d): lecture's VE sampler, exact chain std");
    free(x);
}

/*: ## 4.5 with 4.8: DDPM and DDIM on 8 Gaussians through `common/diffusion_sampler`

The discrete DDPM chain (T = 1000, linear $\beta$ from $10^{-4}$ to $0.02$) is the VP SDE sampled on a
grid; `diff_plan_ddpm` (ancestral, $\sigma^2 = \beta_t$) and `diff_plan_ddim` ($\eta = 0$, 50
trailing steps) build the plans and `diff_run` executes them. The noise predictor is either the
exact mixture denoiser $\hat\epsilon^\star = -\sqrt{1-\bar\alpha_t}\nabla\log q_t$
[eq:common.diffusion_sampler.oracle_eps] for the law of the toy, or an MLP
$(x, t/T)\mapsto\hat\epsilon$ trained through `gm_train` on
$$ \mathcal L = \mathbb E_{t, x_0, \epsilon}\,\big\lVert \hat\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) - \epsilon\big\rVert^2 . $$ {#eq:L42.4.5.eps_loss}
The network does take $t$ (the lecture's `score_net` does not, B11(e): one field cannot be the
score of every noise level). Checks: $\mathrm{MMD}^2$ [eq:common.genmodel.mmd_u] of each sampler's
output against held-out data below half that of the best Gaussian fit, and mode coverage.
DDIM-50 calls the network 50 times, DDPM 1000 times: the lecture's 20× cost ratio is a count.
*/
/* run a plan on n chains with a denoiser, output as floats */
static void run_plan(const DiffusionSchedule *sch, const DiffStep *steps, int ns, DiffEpsFn fn, void *ctx,
                     uint64_t seed, int threads, int n, float *out) {
    DiffSampler s;
    diff_sampler_init(&s, (size_t)n, 2, sch->alpha_bar, fn, ctx, seed);
    s.draw_prior = 1, s.n_threads = threads;
    double *x = xmalloc((size_t)n * 2 * sizeof *x);
    size_t bad = diff_run(&s, steps, ns, x);
    if (bad) fprintf(stderr, "warning: %zu chains non-finite\n", bad);
    for (int i = 0; i < 2 * n; i++) out[i] = (float)x[i];
    free(x);
}

static void section_ddpm_ddim(const Cli *cli) {
    const int n_train = 20000, n_eval = (int)cli_scale(cli, 400, 1000, 3000), T = 1000;
    Rng r, init, trng, srng;
    rng_init(&r, cli->seed, 20), rng_init(&init, cli->seed, 21), rng_init(&trng, cli->seed, 22);
    rng_init(&srng, cli->seed, 23);
    float *train = xmalloc((size_t)n_train * 2 * sizeof *train);
    float *test = xmalloc((size_t)n_eval * 2 * sizeof *test), *test2 = xmalloc((size_t)n_eval * 2 * sizeof *test2);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, train, n_train);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test, n_eval);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test2, n_eval);
    double centres[16];
    Gmm law = gm_gaussians8_law(centres);
    DiffOracle oracle = {.data = &law};

    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    DiffStep *ddpm = xmalloc((size_t)T * sizeof *ddpm), ddim[50];
    int tau[50];
    int n_ddpm = diff_plan_ddpm(sch.beta, sch.alpha_bar, T, DIFF_VAR_BETA, ddpm);
    diff_timesteps(T, 50, DIFF_TAU_TRAILING, tau);
    int n_ddim = diff_plan_ddim(sch.alpha_bar, tau, 50, 0.0, ddim);
    printf("plans: DDPM %d denoiser calls, DDIM %d: cost ratio %.1f (the lecture's 45 s vs 2.3 s is 19.6)\n",
           n_ddpm, n_ddim, (double)n_ddpm / n_ddim);

    float *xo_ddpm = xmalloc((size_t)n_eval * 2 * sizeof(float)), *xo_ddim = xmalloc((size_t)n_eval * 2 * sizeof(float));
    run_plan(&sch, ddpm, n_ddpm, diff_oracle_eps, &oracle, cli->seed + 1, cli->threads, n_eval, xo_ddpm);
    run_plan(&sch, ddim, n_ddim, diff_oracle_eps, &oracle, cli->seed + 2, cli->threads, n_eval, xo_ddim);

    GenModel eps_model, gauss;
    gm_ddpm_init(&eps_model, 2, 64, &sch, &init);
    check_true("L42.4.5.ddpm_caps", gm_check_caps(eps_model.vt), "DDPM vtable obeys the capability rule");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 3000, 3000, 10000), .batch = 128, .clip_norm = 10.0,
                         .ema_decay = 0.995, .label = "DDPM eps-net", .check_id = "L42.4.5.ddpm_train_finite"};
    GmTrainResult res = gm_train(&eps_model, train, n_train, &cfg, &trng);
    printf("eps-net: %ld parameters, loss %.4f -> %.4f\n", gm_num_params(&eps_model), res.first_loss[0], res.avg_loss[0]);
    gm_diag_gaussian_init(&gauss, 2);
    gauss.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig gcfg = {.steps = 1500, .batch = 512, .label = "gauss", .check_id = "L42.4.5.gauss_finite"};
    gm_train(&gauss, train, n_train, &gcfg, &trng);
    float *xn = xmalloc((size_t)n_eval * 2 * sizeof(float)), *xg = xmalloc((size_t)n_eval * 2 * sizeof(float));
    eps_model.vt->sample(&eps_model, n_eval, xn, &srng);
    gauss.vt->sample(&gauss, n_eval, xg, &srng);

    double mmd_null = gm_mmd2_unbiased(test2, n_eval, test, n_eval, 2, 0.5);
    double mmd_g = gm_mmd2_unbiased(xg, n_eval, test, n_eval, 2, 0.5);
    printf("MMD^2 (sigma 0.5, n=%d): data vs data %.5f, Gaussian fit %.5f\n", n_eval, mmd_null, mmd_g);
    struct { const char *id, *what; const float *x; } rows[3] = {
        {"L42.4.5.ddpm_oracle", "DDPM-1000, exact denoiser", xo_ddpm},
        {"L42.4.5.ddim_oracle", "DDIM-50, exact denoiser", xo_ddim},
        {"L42.4.5.ddim_trained", "DDIM-50, trained eps-net", xn},
    };
    for (int k = 0; k < 3; k++) {
        char cid[96];
        double mmd = gm_mmd2_unbiased(rows[k].x, n_eval, test, n_eval, 2, 0.5);
        snprintf(cid, sizeof cid, "%s_mmd", rows[k].id);
        check_le(cid, mmd, 0.5 * mmd_g, 0, "common.genmodel.mmd_u",
                 "MMD^2 of %s samples %.5f below half the Gaussian fit's (%.5f)", rows[k].what, mmd, mmd_g);
        snprintf(cid, sizeof cid, "%s_modes", rows[k].id);
        int modes = gm_modes_covered(rows[k].x, n_eval, 2, centres, 8, 0.3, 0.02);
        check_ge(cid, modes, 8, 0, NULL, "%s: modes covered (>= 2%% of samples within 0.3)", rows[k].what);
    }

    Plot *p = plot_new_grid(1, 4, 1400, 380, "DDPM / DDIM on 8 Gaussians");
    toy2d_plot_panel(p, 0, test, n_eval, "data (test)", PLOT_BLUE);
    toy2d_plot_panel(p, 1, xo_ddpm, n_eval, "DDPM-1000, exact eps", PLOT_RED);
    toy2d_plot_panel(p, 2, xo_ddim, n_eval, "DDIM-50, exact eps", PLOT_ORANGE);
    toy2d_plot_panel(p, 3, xn, n_eval, "DDIM-50, trained eps-net", PLOT_GREEN);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "diffusion_samples.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);

    free(train), free(test), free(test2), free(ddpm), free(xo_ddpm), free(xo_ddim), free(xn), free(xg);
    gmm_free(&law);
    diffusion_schedule_free(&sch);
    gm_free(&eps_model), gm_free(&gauss);
}

/*: ## 4.5 on the digits: the same ε-network machinery on 8×8 images (spec Part C)

The family of `common/gm_diffusion` is not specific to two dimensions: the same constructor, the
same loss [eq:L42.4.5.eps_loss] through `gm_train`, and the same DDIM-50 plan of
`common/diffusion_sampler` run on the 8×8 digits (levels $k/16$ mapped to $x = 2k/16 - 1$, 1500
training and 297 held-out images, an MLP $65\to256\to256\to64$). Sample quality is judged by the
distance of a sample to its nearest training digit,

$$ d(s) = \min_i \lVert s - x_i\rVert_2 , $$ {#eq:L42.4.5.nn_distance}

beside two references: the held-out digits (what real, unseen digits score) and samples of the
best Gaussian fit (mean and full covariance of the training digits, a blurry superposition of
digits). Check: the samples of DDPM's ancestral chain (all 1000 steps, $\sigma_t^2 = \beta_t$) are
nearer to the data than the Gaussian's, by at least four standard errors of the difference of the
two means (independent samples). DDIM-50 on the same network is printed beside it: at this budget
(3000 Adam steps of 128 images; the spec's 4000) its deterministic path keeps the network's
errors as visible pixel noise — its distance is *above* the Gaussian's — while the ancestral
chain's fresh noise at every step washes them out (the figure shows both). Samples are clipped to
$[-1, 1]$ — the data's range — in every row alike. At `--quick` (200 steps) no digits form; the
smoke run checks that the loss fell. Figure: `digits_samples.png` (rows: training digits,
DDPM-1000, DDIM-50, Gaussian fit).
*/
/* mean and SE of the nearest-training-digit distance of n images (D pixels) */
static double nn_distance(const float *x, int n, const float *train, int n_train, int D, double *se) {
    double *d = xmalloc((size_t)n * sizeof *d);
    for (int i = 0; i < n; i++) {
        double best = INFINITY;
        for (int j = 0; j < n_train; j++) {
            double s2 = 0;
            for (int k = 0; k < D; k++) {
                const double e = (double)x[(size_t)D * i + k] - train[(size_t)D * j + k];
                s2 += e * e;
            }
            best = fmin(best, s2);
        }
        //: $d(s) = \min_i\lVert s - x_i\rVert$, [eq:L42.4.5.nn_distance]
        d[i] = sqrt(best);
    }
    const double m = stats_mean_se(d, (size_t)n, se);
    free(d);
    return m;
}

/* n samples of the full-covariance Gaussian fit of the rows of x (n_x x D), clipped to [-1, 1] */
static void gaussian_fit_samples(const float *x, int n_x, int D, int n, Rng *r, float *out) {
    Mat C = mat_new(D, D), L = mat_new(D, D);
    double *mu = xcalloc((size_t)D, sizeof *mu), *z = xmalloc((size_t)D * sizeof *z);
    for (int i = 0; i < n_x; i++)
        for (int a = 0; a < D; a++) mu[a] += x[(size_t)D * i + a] / (double)n_x;
    for (int i = 0; i < n_x; i++)
        for (int a = 0; a < D; a++)
            for (int c = 0; c < D; c++)
                MAT(C, a, c) += (x[(size_t)D * i + a] - mu[a]) * (x[(size_t)D * i + c] - mu[c]) / (n_x - 1);
    /* pixels that are 0 in every training digit have variance 0: a 1e-6 ridge keeps C positive definite */
    for (int a = 0; a < D; a++) MAT(C, a, a) += 1e-6;
    if (cholesky(&L, C) != LINALG_OK) die("gaussian_fit_samples: covariance not positive definite");
    for (int i = 0; i < n; i++) {
        for (int a = 0; a < D; a++) z[a] = rng_normal(r);
        for (int a = 0; a < D; a++) {
            double v = mu[a];
            for (int c = 0; c <= a; c++) v += MAT(L, a, c) * z[c];
            out[(size_t)D * i + a] = (float)fmax(-1.0, fmin(1.0, v));
        }
    }
    mat_free(&C), mat_free(&L), free(mu), free(z);
}

static void section_digits(const Cli *cli) {
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int D = ds.dim, n_test = ds.n_test, n_train = ds.n_train, n = (int)cli_scale(cli, 32, 100, 500);
    //: $x = 2k/16 - 1$
    for (size_t i = 0; i < (size_t)ds.set.n * D; i++) ds.all[i] = 2.0f * ds.all[i] - 1.0f;
    const float *train = ds.train, *test = ds.test;
    Rng init, trng, srng;
    rng_init(&init, cli->seed, 30), rng_init(&trng, cli->seed, 31), rng_init(&srng, cli->seed, 32);
    DiffusionSchedule sch = diffusion_schedule_linear(1000, 1e-4, 0.02);
    GenModel eps_model;
    gm_ddpm_init(&eps_model, D, 256, &sch, &init);
    GmTrainConfig cfg = {.steps = cli_scale(cli, 200, 3000, 20000), .batch = 128, .clip_norm = 10.0, .ema_decay = 0.995,
                         .label = "DDPM digits", .check_id = "L42.4.5.digits_train_finite"};
    GmTrainResult res = gm_train(&eps_model, train, n_train, &cfg, &trng);
    printf("digits eps-net: %ld parameters, %ld steps of batch %ld, loss %.4f -> %.4f\n", gm_num_params(&eps_model),
           res.steps_done, (long)cfg.batch, res.first_loss[0], res.avg_loss[0]);
    float *xs = xmalloc((size_t)n * D * sizeof *xs), *xd = xmalloc((size_t)n * D * sizeof *xd), *xg = xmalloc((size_t)n * D * sizeof *xg);
    GmDdpm *e = eps_model.self;
    e->ddim_steps = 0; /* DDPM ancestral, all T steps */
    eps_model.vt->sample(&eps_model, n, xs, &srng);
    e->ddim_steps = 50;
    eps_model.vt->sample(&eps_model, n, xd, &srng);
    for (size_t i = 0; i < (size_t)n * D; i++) xs[i] = fmaxf(-1.0f, fminf(1.0f, xs[i])), xd[i] = fmaxf(-1.0f, fminf(1.0f, xd[i]));
    gaussian_fit_samples(train, n_train, D, n, &srng, xg);
    double se_t, se_s, se_d, se_g;
    const int nt = n < n_test ? n : n_test;
    const double d_t = nn_distance(test, nt, train, n_train, D, &se_t), d_s = nn_distance(xs, n, train, n_train, D, &se_s),
                 d_d = nn_distance(xd, n, train, n_train, D, &se_d), d_g = nn_distance(xg, n, train, n_train, D, &se_g);
    printf("nearest-training-digit distance (mean +- SE, n = %d): held-out digits %.3f +- %.3f, DDPM-1000 samples %.3f +- %.3f, "
           "DDIM-50 samples %.3f +- %.3f, Gaussian fit %.3f +- %.3f\n", n, d_t, se_t, d_s, se_s, d_d, se_d, d_g, se_g);
    if (cli->scale == SCALE_QUICK) {
        /* 200 steps make no digits: the smoke run checks that the loss fell */
        check_le("L42.4.5.digits_loss_falls", res.avg_loss[0], 0.5 * res.first_loss[0], 0, "L42.4.5.eps_loss",
                 "--quick: eps-loss of the last 10%% of steps below half the first (the sample check runs at the default scale)");
    } else {
        const double se_diff = sqrt(se_s * se_s + se_g * se_g);
        check_le("L42.4.5.digits_nn_distance", d_s, d_g - 4.0 * se_diff, 0, "L42.4.5.nn_distance",
                 "DDPM-1000 samples of the digits eps-net nearer the training digits than the Gaussian fit's, by >= 4 SE "
                 "of the difference (SE %.4f, n = %d each)", se_diff, n);
    }

    enum { COLS = 12 };
    float *tiles = xmalloc((size_t)4 * COLS * D * sizeof *tiles);
    for (size_t i = 0; i < (size_t)COLS * D; i++)
        tiles[i] = 0.5f * (train[i] + 1), tiles[(size_t)COLS * D + i] = 0.5f * (xs[i] + 1),
        tiles[(size_t)2 * COLS * D + i] = 0.5f * (xd[i] + 1), tiles[(size_t)3 * COLS * D + i] = 0.5f * (xg[i] + 1);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = COLS, opt.upscale = 4;
    Image8 *img = image_grid(tiles, 4 * COLS, 1, 8, 8, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "digits_samples.png"), img, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    image8_free(img);
    free(tiles), free(xs), free(xd), free(xg);
    digits_split_free(&ds);
    diffusion_schedule_free(&sch);
    gm_free(&eps_model);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.5: score SDE (VP, VE) done right (B11), PF-ODE, Tweedie/DSM, DDPM/DDIM on 8 Gaussians",
              4210, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_schedules();
    section_scores(&cli);
    section_reverse(&cli);
    section_ddpm_ddim(&cli);
    section_digits(&cli);
    return check_end();
}
