/*: # gpu_train_ncsn — kernel 3 for the noise-conditional network of common/ncsn.h

The NCSN of `common/ncsn.h` feeds $(c\,\tilde x, \log\sigma)$ to an MLP that predicts the noise,
$\hat\epsilon_\theta$, and is trained on $\lVert\hat\epsilon_\theta - \epsilon\rVert^2$ with
$\tilde x = x + \sigma\epsilon$ (eq. [eq:common.ncsn.loss]). In the training kernel's form
$\lVert a\,f_\theta(c_x x + c_\varepsilon\varepsilon, c) + b\,\varepsilon\rVert^2$
(eq. [eq:common.gpu.train_loss]) that is, level by level,

$$ c_x = c,\quad c_\varepsilon = c\,\sigma_i,\quad \text{cond} = \log\sigma_i,\quad a = 1,\quad b = -1 $$ {#eq:common.gpu.ncsn_levels}

(the input scale $c$ goes into the table, so the kernel trains the very parameters of the
NcsnNet, and `gpu_mlp_to_nn` copies them back unchanged in meaning).

**The estimator.** `ncsn_loss` uses every batch of $B$ points at all $L$ levels ($BL$ rows,
each level weighted $1/L$); the kernel draws one level per example, uniformly. Both are unbiased
for the same expected loss $\frac1L\sum_i\mathbb E\lVert\hat\epsilon_\theta(\tilde x_i, \sigma_i) - \epsilon\rVert^2$:
the kernel's per-example term has expectation $\sum_i \frac1L\,\mathbb E[\,\cdot\mid\sigma_i]$.
They differ only in variance (the kernel's level counts are multinomial instead of exactly
$B$ per level).

**Chunked runs.** `gpu_train_run_checked` runs a trainer in chunks (the kernel's results do not
depend on how the steps are split), reads every step's batch loss back, reports progress on
stderr, and stops after the first chunk that holds a non-finite loss, naming the step.
*/
#ifndef GPU_GPU_TRAIN_NCSN_H
#define GPU_GPU_TRAIN_NCSN_H

#include <stddef.h>
#include <stdint.h>

#include "common/gauss.h"
#include "common/ncsn.h"
#include "gpu/gpu.h"
#include "gpu/gpu_train.h"

/* The levels eq. common.gpu.ncsn_levels of `net` (its input_scale) for sigma[0..L). */
void gpu_train_levels_ncsn(const NcsnNet *net, const double *sigma, int L, GpuTrainLevel *out);

/* A kernel-3 trainer for the float32 2-D NcsnNet `net` on the diagonal mixture `data`: `batch`
   examples per step, each at one uniformly drawn level, Adam(lr, 0.9, 0.999, 1e-8) as
   ncsn_train. Returns 0, or -1 with a message. */
int gpu_train_ncsn_init(GpuTrain *tr, const NcsnNet *net, const Gmm *data, const double *sigma,
                        int L, int batch, uint64_t seed, double lr, char *err, size_t errlen);

/* `steps` steps of `tr` via gpu_train_run (g may be NULL: the C twin) in chunks of `chunk`,
   losses[k] = the batch loss of the k-th of these steps (steps values). *on_gpu (may be NULL)
   is 1 when every chunk ran on the GPU. Returns the number of steps run: `steps`, or fewer
   when a loss is not finite (message with the global step number, 1-based, in err; the
   chunk holding it has run). `label` (may be NULL) names the progress line. */
long gpu_train_run_checked(GpuContext *g, GpuTrain *tr, long steps, int chunk, float *losses,
                           int *on_gpu, const char *label, char *err, size_t errlen);

/* The NcsnNet `net` packed for the MLP kernels (gpu_mlp.h), its input scale c folded into the
   rows of W1 that multiply x, and the phases of annealed Langevin with this eps-output network:
   level i runs `steps` steps of x <- x + alpha_i s + sqrt(2 alpha_i) z with
   s = -eps_hat / sigma_i, alpha_i = alpha_scale sigma_i^2, i.e. (eq. common.gpu.mlp_step)
   c_x = 1, c_f = -alpha_i / sigma_i, nu = sqrt(2 alpha_i), cond = ncsn_cond(sigma_i).
   Returns 0, or -1 with a message. */
int gpu_ncsn_sampler(const NcsnNet *net, const double *sigma, int L, double alpha_scale,
                     int steps, GpuMlp *out, GpuMlpPhase *phases, char *err, size_t errlen);

#endif
