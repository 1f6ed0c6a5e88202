/*: # gpu_langevin — Langevin and annealed Langevin on a 2-D Gaussian mixture (L35 4.4, 5.3)

Unadjusted Langevin dynamics with step $\epsilon$ draws approximately from $p$:
$$ x_{t+1} = x_t + \tfrac{\epsilon}{2}\nabla_x\log p(x_t) + \sqrt{\epsilon}\,z_t,\qquad z_t\sim\mathcal N(0,I). $$ {#eq:common.gpu.langevin_step}
Annealed Langevin (Song & Ermon 2019) runs $T$ such steps at each of the noise levels
$\sigma_1 > \dots > \sigma_L$ on the perturbed density $p_{\sigma_i} = p * \mathcal N(0,\sigma_i^2 I)$,
with step $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$. For a mixture, $p_{\sigma}$ is the mixture
with every variance increased by $\sigma^2$, so the exact score (gpu_shared.h) serves both.

A run is a list of *levels* (`extra_var` $=\sigma_i^2$, `eps` $=\alpha_i$, `steps`); plain
Langevin is one level with `extra_var` 0. Chain $i$ draws from Philox stream $i$; the run's
$t$-th step overall uses block $t$ (gpu_shared.h), on either device.

`gpu_langevin_gmm_cpu` is the C twin of the kernel `langevin_gmm` (float32, the same
expressions); `gpu_langevin_gmm_run` runs the kernel when it has a context and otherwise, or
after any GPU error (reported on stderr), the twin. Results: identical Philox words; positions
that differ only by the rounding of exp/log/sqrt/sin/cos (see the tests for the bounds).
*/
#ifndef GPU_GPU_LANGEVIN_H
#define GPU_GPU_LANGEVIN_H

#include <stdint.h>

#include "common/gauss.h"
#include "gpu/gpu.h"
#include "gpu/gpu_shared.h"

/* The float table of a 2-D mixture with at most GPU_GMM_MAX_K components (GPU_GMM_STRIDE floats
   per component). Returns 0, or -1 when the mixture is not 2-D or too large. */
int gpu_gmm_pack(const Gmm *g, float *table);

typedef struct {
    float extra_var; /* sigma_i^2 added to every variance (0: the mixture itself) */
    float eps;       /* step size alpha_i */
    int steps;
} GpuLangevinLevel;

/* L levels of annealed Langevin: alpha_i = eps sigma_i^2 / sigma_L^2, `steps` each. */
void gpu_annealed_levels(const double *sigma, int nlevels, double eps, int steps,
                         GpuLangevinLevel *out);

/* The C twin: `nsteps` steps of every chain x (n x 2, float, in place) starting at global step
   `step0`. OpenMP over chains; the result does not depend on the thread count. */
void gpu_langevin_gmm_cpu(const float *table, int k, float *x, long n, uint64_t seed,
                          uint32_t step0, int nsteps, float eps, float extra_var);

/* All levels on the GPU only: 0 when it ran them, else -1 with the reason (x may then hold
   anything; a caller that falls back keeps a copy). */
int gpu_langevin_gmm_try(GpuContext *g, const float *table, int k, float *x, long n,
                         uint64_t seed, const GpuLangevinLevel *levels, int nlevels,
                         double *gpu_seconds, char *why, size_t whylen);
/* All levels, on the GPU when g is non-NULL (one submission per about 2^30 chain-steps on a
   GPU, 2^25 on a CPU driver), else on the CPU. Returns 1 when the GPU ran it, 0 when the CPU
   did. gpu_seconds (may be NULL) gets the summed timestamp time (-1 on the CPU). */
int gpu_langevin_gmm_run(GpuContext *g, const float *table, int k, float *x, long n,
                         uint64_t seed, const GpuLangevinLevel *levels, int nlevels,
                         double *gpu_seconds);

#endif
