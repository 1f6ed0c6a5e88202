/*: # gpu_mlp — batched MLP kernels: forward, learned-score Langevin, DDPM and DDIM steps

A `GpuMlp` is an `NnMlp` (nn.h) flattened for the kernels: per layer $W$ (in x out,
row-major) then $b$ (out), float32, activation tanh, SiLU or identity between layers.

**One step rule for three samplers.** Each sampler step of a 2-D chain is affine in $x$ and in
the network output $f = f_\theta(x, c)$ (input $(x, c)$ when the first width is 3):
$$ x \leftarrow c_x\,x + c_f\,f_\theta(x, c) + \nu\,z,\qquad z\sim\mathcal N(0, I). $$ {#eq:common.gpu.mlp_step}
- Langevin with a learned score $s_\theta(x, \sigma_i)$ (L35 5.3): $c_x = 1$, $c_f = \alpha_i/2$,
  $\nu = \sqrt{\alpha_i}$, $c = \sigma_i$ (or whatever conditioning value the network was
  trained with), $\alpha_i = \epsilon\sigma_i^2/\sigma_L^2$.
- DDPM ancestral step $t \to t-1$ with a noise predictor $\hat\varepsilon_\theta(x_t, t/T)$ (L36):
  $$ x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\hat\varepsilon\Big) + \sigma_t z,\quad \sigma_t^2 = \beta_t,\ z = 0 \text{ at } t = 1. $$ {#eq:common.gpu.ddpm_step}
- DDIM step $t \to s < t$ ($\eta = 0$, $\bar\alpha_0 := 1$):
  $$ x_s = \sqrt{\bar\alpha_s}\,\underbrace{\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}}}_{\hat x_0} + \sqrt{1-\bar\alpha_s}\,\hat\varepsilon . $$ {#eq:common.gpu.ddim_step}
The coefficients are computed here in double and handed to both twins as the same floats
(a *phase*: `steps` steps with fixed coefficients). The $t$-th step of a run uses Philox block
$t$ of the chain's stream, as in gpu_langevin.h.
*/
#ifndef GPU_GPU_MLP_H
#define GPU_GPU_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "common/nn.h"
#include "gpu/gpu.h"
#include "gpu/gpu_shared.h"

typedef struct {
    int nlayers;
    int widths[GPU_MLP_MAX_LAYERS + 1];
    int act;       /* GPU_ACT_IDENTITY, GPU_ACT_TANH, GPU_ACT_SILU */
    long nparams;
    float *params; /* packed, owned */
} GpuMlp;

/* Packs a float32 NnMlp (at most GPU_MLP_MAX_LAYERS layers of width <= GPU_MLP_MAX_WIDTH, tanh,
   SiLU or identity). Returns 0, or -1 with a message. */
int gpu_mlp_from_nn(GpuMlp *m, const NnMlp *nn, char *err, size_t errlen);
void gpu_mlp_to_nn(const GpuMlp *m, NnMlp *nn); /* copies the packed values back */
void gpu_mlp_free(GpuMlp *m);

/* out (n x widths[L]) = MLP(in (n x widths[0])): the C twin and the runner (1: GPU ran). */
void gpu_mlp_forward_cpu(const GpuMlp *m, const float *in, float *out, long n);
int gpu_mlp_forward_run(GpuContext *g, const GpuMlp *m, const float *in, float *out, long n);

typedef struct {
    float cond, cx, cf, noise; /* eq. common.gpu.mlp_step */
    int steps;
} GpuMlpPhase;

/* Phase builders. Langevin: one phase per level, alpha_i = eps sigma_i^2 / sigma_L^2, with
   cond[i] the network's conditioning input (ignored by a 2-input network). */
void gpu_phases_langevin(const double *sigma, const double *cond, int nlevels, double eps,
                         int steps, GpuMlpPhase *out);
/* DDPM: T phases (t = T .. 1), cond = t / T; beta[1..T] (beta[0] unused). */
void gpu_phases_ddpm(const double *beta, int T, GpuMlpPhase *out);
/* DDIM: S phases over the times t_k = round(k T / S), k = S .. 1, cond = t_k / T. */
void gpu_phases_ddim(const double *beta, int T, int S, GpuMlpPhase *out);

/* The C twin of `mlp_step`: one phase over the chains x (n x 2), from global step step0. */
void gpu_mlp_steps_cpu(const GpuMlp *m, float *x, long n, uint64_t seed, uint32_t step0,
                       const GpuMlpPhase *phase);
/* All phases on the GPU only: 0 when it ran them, else -1 with the reason (x may then hold
   anything; a caller that falls back keeps a copy). */
int gpu_mlp_steps_try(GpuContext *g, const GpuMlp *m, float *x, long n, uint64_t seed,
                      const GpuMlpPhase *phases, int nphases, double *gpu_seconds, char *why,
                      size_t whylen);
/* All phases in order, on the GPU when g is non-NULL (falls back to the twin on any error).
   Returns 1 when the GPU ran it. gpu_seconds: summed timestamp time, -1 on the CPU. */
int gpu_mlp_steps_run(GpuContext *g, const GpuMlp *m, float *x, long n, uint64_t seed,
                      const GpuMlpPhase *phases, int nphases, double *gpu_seconds);

#endif
