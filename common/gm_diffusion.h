/*: # gm_diffusion — the DDPM ε-network of lecture 42 (4.5, 4.8) as a GenModel

Introduced in L42 4.5 (`lectures/42_unified/10_score_sde_ddpm_ddim.c`, which trains it on the
8-Gaussians toy and checks its samples); shared with the benchmark of 5.3 (14), where one network
is sampled both ways. An MLP $(x, t/T)\mapsto\hat\epsilon_\theta$, $(D+1)\to H\to H\to D$ with
SiLU, trained on the noise-prediction loss [eq:L42.4.5.eps_loss] over a `DiffusionSchedule`
(lecture 36's discrete chain). Sampling runs a plan of `common/diffusion_sampler`: DDIM with
$\eta = 0$ on $S$ trailing steps (`ddim_steps = S`, 50 by default, the lecture's) or, with
`ddim_steps = 0`, DDPM's ancestral chain over all $T$ steps ($\sigma_t^2 = \beta_t$). The network
takes $t$ (the lecture's `score_net` does not, B11(e)). Its log-likelihood is not in the vtable:
the probability-flow ODE needs the divergence of a $D$-dimensional field at every step, so it is
a function of its own (and the capability flags seen by 01 and 13 stay those of a sampler):

**The continuous-time view (L42 5.3, the benchmark's likelihood column).** The discrete linear
schedule $\beta_t = \beta_{\min} + \frac{t-1}{T-1}(\beta_{\max} - \beta_{\min})$ is the grid $u = t/T$ of a
VP-SDE $dx = -\tfrac12\beta(u)x\,du + \sqrt{\beta(u)}\,dW$ whose $\bar\alpha(u) = e^{-\int_0^u\beta}$
meets the table: with $b(\tau)$ the linear formula continued to real $\tau$,

$$ \beta(u) = -T\log\big(1 - b(uT + \tfrac12)\big),\qquad
   \log\bar\alpha(u) = \int_0^{uT}\log\big(1 - b(\tau+\tfrac12)\big)\,d\tau , $$ {#eq:common.gm_diffusion.vp_continuous}

a midpoint rule for $\log\bar\alpha_t = \sum_{i\le t}\log(1-\beta_i)$, exact up to its $O(b'^2)$ remainder
($\approx 10^{-8}$ at $t = T$; printed by 14). With $\sigma(u) = \sqrt{1-\bar\alpha(u)}$ and the score
$-\hat\epsilon/\sigma$, the probability-flow ODE and its log-density are

$$ \dot x = v(x, u) = -\tfrac12\beta(u)\Big(x - \frac{\hat\epsilon(x, u)}{\sigma(u)}\Big),\qquad
   \nabla\!\cdot v = -\tfrac12\beta(u)\Big(D - \frac{\operatorname{tr}\partial_x\hat\epsilon}{\sigma(u)}\Big),\qquad
   \log p_{u_0}(x_{u_0}) = \log p_1(x_1) + \int_{u_0}^1 \nabla\!\cdot v\,du . $$ {#eq:common.gm_diffusion.pf_loglik}

It is integrated by a fixed-step scheme of `common/ode` on a geometric grid
$u_k = u_0^{1 - k/K}$ (the field's stiffness near the data end scales like $1/u$, so equal steps
in $\log u$ see a constant one), for a whole batch as one augmented state $(x, \int\nabla\cdot v)$.
The trace comes from a callback: for the network, $D$ vector-Jacobian products (exact), for a
Gaussian the closed form — the same integrator either way, so the Gaussian case checks it.
*/
#ifndef COMMON_GM_DIFFUSION_H
#define COMMON_GM_DIFFUSION_H

#include <stddef.h>

#include "common/diffusion_schedule.h"
#include "common/genmodel.h"
#include "common/ode.h"

typedef struct {
    NnMlp net;               /* (x, t/T) D+1 -> H -> H -> D, SiLU */
    DiffusionSchedule sched; /* a copy, owned */
    int ddim_steps;          /* sample(): DDIM eta = 0 with this many steps; 0: DDPM ancestral */
    long net_rows;           /* rows evaluated by gm_ddpm_eps_fn (a counter for 5.3) */
} GmDdpm;

void gm_ddpm_init(GenModel *m, int dim, int hidden, const DiffusionSchedule *sched, Rng *rng);
/* eps_theta(x, t) for a batch: x (n, D) tensor, integer steps t (n). */
AdTensor *gm_ddpm_eps(AdArena *arena, GmDdpm *e, AdTensor *x, const int *t, int n);
/* DiffEpsFn (common/diffusion_sampler.h) of the network; ctx = the GmDdpm. */
void gm_ddpm_eps_fn(const double *x, size_t n, size_t dim, int t, double abar_t, double *out, void *ctx);
/* The same network at continuous times u[i] in [0, 1] (the input t/T of gm_ddpm_eps). */
AdTensor *gm_ddpm_eps_u(AdArena *arena, GmDdpm *e, AdTensor *x, const double *u, int n);

/* The continuous-time view of a linear schedule (eq. vp_continuous): beta_min, beta_max, T. */
typedef struct {
    int T;
    double beta_min, beta_max;
} GmVpLinear;

/* From a schedule made by diffusion_schedule_linear (beta[1], beta[T]). */
GmVpLinear gm_vp_linear_of(const DiffusionSchedule *s);
double gm_vp_beta(const GmVpLinear *v, double u);
double gm_vp_log_abar(const GmVpLinear *v, double u);

/* eps(x, u) (n x dim) and tr(d eps/dx) (n) at one continuous time u. */
typedef void (*GmEpsTraceFn)(double u, const double *x, int n, int dim, double *eps, double *trace, void *ctx);

/* The PF-ODE of eq. pf_loglik from u0 to 1 for n points x (n x dim), `steps` steps of `method` on
   the geometric grid u_k = u0^(1 - k/steps). Out: x1 (n x dim, may be NULL) and delta[i] =
   int div v du, so that log p_{u0}(x_i) = log p_1(x1_i) + delta[i]. Returns the number of
   callback calls. */
long gm_vp_pf_flow(const GmVpLinear *v, GmEpsTraceFn f, void *ctx, const double *x, int n, int dim, double u0,
                   int steps, OdeMethod method, double *x1, double *delta);

/* GmEpsTraceFn of the network (ctx = the GmDdpm): exact trace by dim vector-Jacobian products. */
void gm_ddpm_eps_trace(double u, const double *x, int n, int dim, double *eps, double *trace, void *ctx);

/* log p_{u0}(x) of the network's PF-ODE with the prior N(0, I) at u = 1 (n values into lp);
   u0 = 1/T is the smallest noise level the network was trained at. Returns the callback calls. */
long gm_ddpm_pf_log_likelihood(GenModel *m, const float *x, int n, double u0, int steps, OdeMethod method,
                               double *lp);

#endif
