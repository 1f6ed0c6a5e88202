/*: # diffusion_schedule — the DDPM noise schedule and its derived quantities

Introduced in lecture 36 (DDPM theory): §3.1 (forward process in closed form), §3.2 (schedule
design: linear, cosine, zero terminal SNR), §3.3 (the reverse posterior) and §3.5 (the three
prediction targets). Every DDPM/DDIM program of the course takes its numbers from here.

**Indexing.** A schedule of $T$ steps stores arrays of length $T+1$ indexed by $t = 0..T$,
with $t = 0$ the clean data: $\beta_0 = 0$, $\alpha_0 = 1$, $\bar\alpha_0 = 1$. Step $t \ge 1$
adds noise with
$$ q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I\big),\qquad \alpha_t = 1-\beta_t, $$ {#eq:common.diffusion.forward_step}
$$ \bar\alpha_t = \prod_{s=1}^{t}\alpha_s,\qquad q(x_t\mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big). $$ {#eq:common.diffusion.q_xt_x0}

**Constructors.**

- linear (DDPM, L36 §3.2.1): $\beta_t = \beta_\text{min} + \frac{t-1}{T-1}(\beta_\text{max}-\beta_\text{min})$;
- cosine (Improved DDPM, L36 §3.2.2): $\bar\alpha_t = f(t)/f(0)$, $f(t) = \cos^2\!\big(\frac{t/T+s}{1+s}\frac\pi2\big)$,
  $\beta_t = 1-\bar\alpha_t/\bar\alpha_{t-1}$. Without a clip, $\bar\alpha_t$ is stored as $f(t)/f(0)$
  (the lecture's code; $\bar\alpha_T = 3.75\cdot10^{-33}$, the rounding residue of $\cos(\pi/2)$,
  while $\beta_T$ rounds to exactly 1). With a clip $\beta_t \le \beta_\text{clip}$ (0.999 in
  Nichol & Dhariwal's code), $\bar\alpha$ is recomputed as the product of the clipped $1-\beta_t$;
- from explicit $\beta_1..\beta_T$, or from explicit $\bar\alpha_1..\bar\alpha_T$.

**Zero terminal SNR** (L36 §3.2.3), two rescalings of an existing schedule, in place; both make
$\bar\alpha_T = 0$ and hence $\beta_T = 1$:
$$ \text{affine (the lecture):}\quad \bar\alpha_t \leftarrow \frac{\bar\alpha_t-\bar\alpha_T}{1-\bar\alpha_T}, $$ {#eq:common.diffusion.zt_affine}
$$ \text{Lin et al. 2023:}\quad \sqrt{\bar\alpha_t} \leftarrow \big(\sqrt{\bar\alpha_t}-\sqrt{\bar\alpha_T}\big)\,
   \frac{\sqrt{\bar\alpha_1}}{\sqrt{\bar\alpha_1}-\sqrt{\bar\alpha_T}}\quad(\bar\alpha_1 \text{ kept}). $$ {#eq:common.diffusion.zt_sqrt}
After either, $\alpha_t = \bar\alpha_t/\bar\alpha_{t-1}$ and $\beta_t = 1-\alpha_t$ are recomputed.

**Signal-to-noise ratio:** $\mathrm{SNR}(t) = \bar\alpha_t/(1-\bar\alpha_t)$ ($+\infty$ at $t=0$, 0 at a
zero-terminal-SNR $T$), and $\log\mathrm{SNR}$.

**Posterior** (L36 §3.3): $q(x_{t-1}\mid x_t, x_0) = \mathcal N(\tilde\mu_t, \tilde\beta_t I)$ with
$$ \tilde\mu_t = \underbrace{\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}}_{c_0}x_0
   + \underbrace{\frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}}_{c_t}x_t,\qquad
   \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t, $$ {#eq:common.diffusion.posterior}
and, with $x_0$ written through the noise, the ε-form of the same mean
$$ \tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon\Big). $$ {#eq:common.diffusion.mean_eps}

**Prediction targets** (L36 §3.5), for one value $\bar\alpha$:
$$ x_t = \sqrt{\bar\alpha}\,x_0 + \sqrt{1-\bar\alpha}\,\epsilon,\qquad
   v = \sqrt{\bar\alpha}\,\epsilon - \sqrt{1-\bar\alpha}\,x_0, $$ {#eq:common.diffusion.v}
$$ x_0 = \frac{x_t - \sqrt{1-\bar\alpha}\,\epsilon}{\sqrt{\bar\alpha}},\quad
   \epsilon = \frac{x_t - \sqrt{\bar\alpha}\,x_0}{\sqrt{1-\bar\alpha}},\quad
   x_0 = \sqrt{\bar\alpha}\,x_t - \sqrt{1-\bar\alpha}\,v,\quad
   \epsilon = \sqrt{1-\bar\alpha}\,x_t + \sqrt{\bar\alpha}\,v . $$ {#eq:common.diffusion.conversions}
The two divisions are the ill-conditioned ones: $x_0$ from $\epsilon$ amplifies errors by
$1/\sqrt{\bar\alpha}$ (infinite at a zero-terminal-SNR $t = T$), $\epsilon$ from $x_0$ by
$1/\sqrt{1-\bar\alpha}$; the two $v$ conversions are rotations and never amplify.
*/
#ifndef COMMON_DIFFUSION_SCHEDULE_H
#define COMMON_DIFFUSION_SCHEDULE_H

typedef struct {
    int T;
    double *beta;      /* T+1: beta[0] = 0 */
    double *alpha;     /* T+1: alpha[t] = 1 - beta[t], alpha[0] = 1 */
    double *alpha_bar; /* T+1: alpha_bar[0] = 1 */
} DiffusionSchedule;

/* Linear betas beta_min..beta_max over t = 1..T (T >= 2); alpha_bar by cumulative product. */
DiffusionSchedule diffusion_schedule_linear(int T, double beta_min, double beta_max);
/* Cosine schedule with offset s. beta_clip <= 0: no clip (alpha_bar = f(t)/f(0) as stored);
   beta_clip in (0,1): beta_t = min(beta_t, beta_clip) and alpha_bar recomputed from the betas. */
DiffusionSchedule diffusion_schedule_cosine(int T, double s, double beta_clip);
/* From beta[1..T] (beta points to T+1 values, beta[0] ignored). */
DiffusionSchedule diffusion_schedule_from_betas(int T, const double *beta);
/* From alpha_bar[1..T] (T+1 values, alpha_bar[0] ignored and set to 1); beta_t = 1 - abar_t/abar_{t-1}. */
DiffusionSchedule diffusion_schedule_from_alpha_bar(int T, const double *alpha_bar);
DiffusionSchedule diffusion_schedule_copy(const DiffusionSchedule *s);
void diffusion_schedule_free(DiffusionSchedule *s);

/* Zero-terminal-SNR rescalings, in place (eq. zt_affine, eq. zt_sqrt). */
void diffusion_schedule_rescale_zt_affine(DiffusionSchedule *s);
void diffusion_schedule_rescale_zt_sqrt(DiffusionSchedule *s);

/* Derived per-step quantities, t in 0..T. */
double diffusion_sqrt_alpha_bar(const DiffusionSchedule *s, int t);
double diffusion_sqrt_one_minus_alpha_bar(const DiffusionSchedule *s, int t);
double diffusion_snr(const DiffusionSchedule *s, int t);     /* +inf at t = 0 */
double diffusion_log_snr(const DiffusionSchedule *s, int t); /* +inf at t = 0, -inf if abar = 0 */

/* Posterior q(x_{t-1} | x_t, x_0), t in 1..T (eq. posterior): coefficients of x_0 and x_t in the
   mean, and the variance beta_tilde. Any output pointer may be NULL. */
void diffusion_posterior_coefs(const DiffusionSchedule *s, int t, double *coef_x0,
                               double *coef_xt, double *beta_tilde);
double diffusion_beta_tilde(const DiffusionSchedule *s, int t);
/* mu[i] = coef_x0 x0[i] + coef_xt xt[i], n values. */
void diffusion_posterior_mean(const DiffusionSchedule *s, int t, const double *x0,
                              const double *xt, double *mu, int n);
/* The eps-form of the mean (eq. mean_eps): mu = (xt - beta_t/sqrt(1-abar_t) eps)/sqrt(alpha_t). */
void diffusion_mean_from_eps(const DiffusionSchedule *s, int t, const double *xt,
                             const double *eps, double *mu, int n);

/* x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, n values (eq. q_xt_x0). */
void diffusion_q_sample(const DiffusionSchedule *s, int t, const double *x0, const double *eps,
                        double *xt, int n);

/* Conversions between the prediction targets at one alpha_bar (eq. v, eq. conversions). */
void diffusion_x0_from_eps(double alpha_bar, const double *xt, const double *eps, double *x0,
                           int n);
void diffusion_eps_from_x0(double alpha_bar, const double *xt, const double *x0, double *eps,
                           int n);
void diffusion_v_from_x0_eps(double alpha_bar, const double *x0, const double *eps, double *v,
                             int n);
void diffusion_x0_from_v(double alpha_bar, const double *xt, const double *v, double *x0, int n);
void diffusion_eps_from_v(double alpha_bar, const double *xt, const double *v, double *eps, int n);

#endif
