/*: # diffusion_sampler — DDPM and DDIM reverse chains, timestep sub-sequences, exact denoisers

Introduced in L36 §1.1.3 (the DDPM reverse step) and §3.9 (DDIM); used by the L36 programs 08,
13–16 and by any later sampler that plugs a trained noise predictor into the same runner.

**One affine step for both samplers.** With the schedule $\bar\alpha_0 = 1 > \bar\alpha_1 > \dots
> \bar\alpha_T$ (arrays of size $T+1$), every step of either sampler maps $x_t$ to an earlier
time $s < t$ by

$$ x_s = a\,\big(x_t - b\,\hat\epsilon(x_t, t)\big) + c\,\hat\epsilon(x_t, t) + \sigma\,z,\qquad z \sim \mathcal N(0, I), $$ {#eq:common.diffusion_sampler.step}

affine in $x_t$ and $\hat\epsilon$ with $c_x = a$, $c_\epsilon = c - ab$.

- DDPM ancestral step, $s = t-1$ (L36 §1.1.3, §3.3): $a = 1/\sqrt{\alpha_t}$,
  $b = \beta_t/\sqrt{1-\bar\alpha_t}$, $c = 0$, and $\sigma^2 = \beta_t$ or
  $\sigma^2 = \tilde\beta_t = \beta_t(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)$; no noise at $t = 1$.
- DDIM step $t \to s$ with $\eta \ge 0$ (§3.9.2): $a(x_t - b\hat\epsilon) = \sqrt{\bar\alpha_s}\,\hat x_0$ with
  $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon)/\sqrt{\bar\alpha_t}$:
  $$ x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\,\hat\epsilon + \sigma z,\qquad
     \sigma = \eta\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_s}}, $$ {#eq:common.diffusion_sampler.ddim}
  i.e. $a = \sqrt{\bar\alpha_s/\bar\alpha_t}$, $b = \sqrt{1-\bar\alpha_t}$, $c = \sqrt{1-\bar\alpha_s-\sigma^2}$.
  The square-root argument is clamped at 0 (it can round to a tiny negative number; spec E28).

The step is evaluated in the grouped form $a(x_t - b\hat\epsilon) + c\hat\epsilon$, not as
$c_x x_t + c_\epsilon\hat\epsilon$: when $\bar\alpha_t$ is tiny, $a$ is huge and $c_\epsilon = c - ab$ would
round $c$ away (spec E28), while $x_t - b\hat\epsilon$ is small whenever $\hat\epsilon$ fits $x_t$.

A *plan* is the list of such steps (`DiffStep`); `diff_run` executes any plan. **Determinism.**
Chain $c$ draws from the Philox stream `(seed, first_stream + c)`: first $x_T$ if the runner is
asked to draw it, then `dim` normals at every step with $\sigma > 0$ (none at deterministic
steps), so its path depends on (seed, chain index) only, never on the thread count or the block
size. Without an observer each block of chains runs the whole plan on its own (no barrier per
step); with one, all chains advance step by step. The denoiser is a callback on a block of
chains (a network evaluates a mini-batch); it may be called from several threads at once on
disjoint blocks.

**Timestep sub-sequences** $\tau_1 < \dots < \tau_S$ for accelerated sampling (spec E27; the
lecture does not say which): *linspace* $\tau_k = \mathrm{round}(1 + (k-1)(T-1)/(S-1))$ (first 1,
last $T$); *leading* $\tau_k = 1 + (k-1)\lfloor T/S\rfloor$ (the old diffusers default: the
chain starts at $\tau_S < T$); *trailing* $\tau_k = \mathrm{round}(kT/S)$ (last $T$, Lin et al.
2023). After $\tau_1$ the plan takes a last step to $s = 0$ ($\bar\alpha_0 = 1$).

**Exact denoisers.** For data $x_0 \sim \sum_k \pi_k\,\mathcal N(m_k, \mathrm{diag}(s_k^2))$ (a
point mass is $s_k = 0$, a Gaussian is $K = 1$) the noised law is the mixture
$q_t = \sum_k \pi_k\,\mathcal N(\sqrt{\bar\alpha_t}m_k, \mathrm{diag}(v_k))$,
$v_k = \bar\alpha_t s_k^2 + 1 - \bar\alpha_t$, and the Bayes-optimal noise prediction is a
rescaled score (Tweedie, §3.10):

$$ \hat\epsilon^\star(x_t) = \mathbb E[\epsilon \mid x_t] = -\sqrt{1-\bar\alpha_t}\,\nabla\log q_t(x_t)
   = \sqrt{1-\bar\alpha_t}\sum_k r_k(x_t)\,\frac{x_t - \sqrt{\bar\alpha_t}m_k}{v_k}, $$ {#eq:common.diffusion_sampler.oracle_eps}
$$ \mathbb E[x_0 \mid x_t] = \sum_k r_k(x_t)\Big(m_k + \frac{\sqrt{\bar\alpha_t}s_k^2}{v_k}(x_t - \sqrt{\bar\alpha_t}m_k)\Big), $$ {#eq:common.diffusion_sampler.oracle_x0}

$r_k$ the responsibilities under $q_t$ (log space). The two are tied by
$x_t = \sqrt{\bar\alpha_t}\,\mathbb E[x_0|x_t] + \sqrt{1-\bar\alpha_t}\,\mathbb E[\epsilon|x_t]$.

**Exact law of a chain on Gaussian data.** For 1-D data $\mathcal N(m, s^2)$ the oracle is affine
in $x$, so every step maps a Gaussian to a Gaussian: $\mu \leftarrow a\mu + b$,
$V \leftarrow a^2 V + \sigma^2$ (`diff_gauss_chain_law`), the final law of the discrete chain
without sampling.
*/
#ifndef COMMON_DIFFUSION_SAMPLER_H
#define COMMON_DIFFUSION_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "common/gauss.h"

/* eps_hat (n x dim) at the rows x (n x dim) at the integer time t (1..T); abar_t is passed too
   (a network may use either). Called from several threads on disjoint blocks. */
typedef void (*DiffEpsFn)(const double *x, size_t n, size_t dim, int t, double abar_t,
                          double *eps_out, void *ctx);

typedef enum { DIFF_VAR_BETA, DIFF_VAR_BETA_TILDE } DiffVariance;
typedef enum { DIFF_TAU_LINSPACE, DIFF_TAU_LEADING, DIFF_TAU_TRAILING } DiffSpacing;

/* One step x_s = a (x_t - b eps_hat(x_t, t)) + c eps_hat + sigma z (eq. common.diffusion_sampler.step);
   c_x = a and c_eps = c - a b are the same map written as c_x x_t + c_eps eps_hat. */
typedef struct {
    int t, s;
    double a, b, c, sigma;
    double c_x, c_eps;
} DiffStep;

/* The step's mean a (x - b eps) + c eps for one coordinate (no noise). */
double diff_step_mean(const DiffStep *st, double x, double eps);

/* DDPM step t -> t-1 (beta[1..T], abar[0..T]); sigma = 0 at t = 1. */
DiffStep diff_ddpm_step(const double *beta, const double *abar, int t, DiffVariance var);
/* DDIM step t -> s with eta >= 0 (abar[0] = 1): s < t samples; s > t with eta = 0 is the inversion step. */
DiffStep diff_ddim_step(const double *abar, int t, int s, double eta);

/* Plans: DDPM, T steps t = T..1 (steps has room for T). DDIM over tau[0..S-1] (increasing, in
   1..T): S steps tau_S -> tau_{S-1} -> ... -> tau_1 -> 0. Return the number of steps, or -1 when
   a coefficient is not finite (e.g. abar_t = 0 at a step's start). */
int diff_plan_ddpm(const double *beta, const double *abar, int T, DiffVariance var, DiffStep *steps);
int diff_plan_ddim(const double *abar, const int *tau, int S, double eta, DiffStep *steps);

/* DDIM inversion (eta = 0) over tau: S steps 0 -> tau_1 -> ... -> tau_S, each the deterministic map
   of eq. ddim with the two times exchanged, eps evaluated at the current state (at the first step,
   from x_0, with the time label tau_1: a denoiser is never asked about t = 0). steps[k].t is the
   time label of the eps call, steps[k].s the time reached. Returns S or -1. */
int diff_plan_ddim_inverse(const double *abar, const int *tau, int S, DiffStep *steps);

/* tau[0..S-1] (increasing) for 1 <= S <= T. Returns 0, or -1 for a bad S. */
int diff_timesteps(int T, int S, DiffSpacing spacing, int *tau);
const char *diff_spacing_name(DiffSpacing spacing);

/* Called from one thread with all chains: once before the first step (k = -1, step NULL), then
   after each step k (0-based). Return nonzero to stop. */
typedef int (*DiffObserveFn)(const double *x, size_t n, size_t dim, int k, const DiffStep *step,
                             void *ctx);

typedef struct {
    size_t n, dim;
    const double *abar;     /* abar[0..T] */
    DiffEpsFn eps;
    void *eps_ctx;
    uint64_t seed, first_stream; /* chain c: Philox stream (seed, first_stream + c) */
    int draw_prior;         /* nonzero: x_T ~ N(0, I) drawn first from each chain's stream */
    size_t block;           /* chains per denoiser call; 0: 256 */
    int n_threads;          /* 0: the OpenMP default */
    DiffObserveFn observe;  /* NULL: none */
    void *observe_ctx;
} DiffSampler;

void diff_sampler_init(DiffSampler *s, size_t n, size_t dim, const double *abar, DiffEpsFn eps,
                       void *eps_ctx, uint64_t seed);
/* Runs the plan on x (n x dim, in: x_T unless draw_prior, out: x_0). Returns the number of chains
   that end non-finite (0 on success). */
size_t diff_run(const DiffSampler *s, const DiffStep *steps, int nsteps, double *x);

/* The exact denoiser of mixture data (eq. oracle_eps); data may have zero variances (point
   masses). ctx of the DiffEpsFn is a const DiffOracle *. */
typedef struct {
    const Gmm *data;
} DiffOracle;
void diff_oracle_eps(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out,
                     void *ctx);
/* One point at any abar in (0, 1): eps_hat (dim) and E[x0 | x_t] (dim); either may be NULL. */
void diff_oracle_eval(const Gmm *data, const double *x, double abar, double *eps_hat, double *x0_hat);

/* Final law N(mean, var) of a plan run on 1-D data N(m, s2) with the exact denoiser, from
   x_T ~ N(mean0, var0) (eq. of the header's last paragraph). */
void diff_gauss_chain_law(const DiffStep *steps, int nsteps, const double *abar, double m, double s2,
                          double mean0, double var0, double *mean, double *var);

#endif
