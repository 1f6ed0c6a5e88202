/*: # gm_diffusion — the DDPM ε-network of lecture 42 (4.5, 4.8) as a GenModel

Introduced in L42 4.5 (`lectures/42_unified/10_score_sde_ddpm_ddim.c`, which trains it on the
8-Gaussians toy and checks its samples); shared with the benchmark of 5.3 (14), where one network
is sampled both ways. An MLP $(x, t/T)\mapsto\hat\epsilon_\theta$, $(D+1)\to H\to H\to D$ with
SiLU, trained on the noise-prediction loss [eq:L42.4.5.eps_loss] over a `DiffusionSchedule`
(lecture 36's discrete chain). Sampling runs a plan of `common/diffusion_sampler`: DDIM with
$\eta = 0$ on $S$ trailing steps (`ddim_steps = S`, 50 by default, the lecture's) or, with
`ddim_steps = 0`, DDPM's ancestral chain over all $T$ steps ($\sigma_t^2 = \beta_t$). The network
takes $t$ (the lecture's `score_net` does not, B11(e)). No log-likelihood: its probability-flow
ODE would need the divergence of a $D$-dimensional field at every step.
*/
#ifndef COMMON_GM_DIFFUSION_H
#define COMMON_GM_DIFFUSION_H

#include <stddef.h>

#include "common/diffusion_schedule.h"
#include "common/genmodel.h"

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

#endif
