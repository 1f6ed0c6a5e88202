/*: # gpu_train — a full MLP training step on the GPU: batch, forward, backward, Adam

Denoising score matching (L35 4.2), its multi-level NCSN form (L35 5.2) and the DDPM
noise-prediction objective (L36) are one loss with per-level coefficients
(gpu_shared.h, eq. [eq:common.gpu.train_item_loss]):
$$ L(\theta) = \frac1B\sum_{i=1}^B \big\lVert a_i\,f_\theta(\tilde x_i, c_i) + b_i\,\varepsilon_i\big\rVert^2,
   \qquad \tilde x_i = c_{x,i}\,x_i + c_{\varepsilon,i}\,\varepsilon_i . $$ {#eq:common.gpu.train_loss}
- DSM at noise $\sigma$: $c_x = 1$, $c_\varepsilon = \sigma$, $a = 1$, $b = 1/\sigma$, the loss
  $\lVert s_\theta(\tilde x) + \varepsilon/\sigma\rVert^2$; with the NCSN weighting
  $\lambda(\sigma) = \sigma^2$: $a = \sigma$, $b = 1$, i.e. $\lVert\sigma s_\theta + \varepsilon\rVert^2$.
- DDPM at time $t$: $c_x = \sqrt{\bar\alpha_t}$, $c_\varepsilon = \sqrt{1-\bar\alpha_t}$, $c = t/T$,
  $a = 1$, $b = -1$: $\lVert\hat\varepsilon_\theta(x_t, t/T) - \varepsilon\rVert^2$.

**Backward.** With $z^{(l)} = h^{(l)}W^{(l)} + b^{(l)}$ and $h^{(l+1)} = \phi(z^{(l)})$ (no $\phi$
after the last layer), $\delta^{(l)} = \partial L/\partial z^{(l)}$ is
$$ \delta^{(L-1)}_i = \tfrac{2a_i}{B}\,r_i,\quad r_i = a_i f_i + b_i\varepsilon_i;\qquad
   \delta^{(l)} = \phi'(z^{(l)}) \odot \big(W^{(l+1)}\delta^{(l+1)}\big), $$ {#eq:common.gpu.train_backward}
and the gradients are sums over the batch,
$\partial L/\partial W^{(l)}_{jk} = \sum_i h^{(l)}_{ij}\,\delta^{(l)}_{ik}$,
$\partial L/\partial b^{(l)}_k = \sum_i \delta^{(l)}_{ik}$.

**Deterministic reduction.** One kernel (`train_grad`, one work item per example) draws the
example on the device (no upload per step), runs the forward pass keeping $h^{(l)}$ and
$\phi'(z^{(l)})$, and the backward pass, writing $h$, $\delta$ and the example's loss to buffers. A
second kernel (`train_adam`, one item per parameter) sums its gradient over the examples
*in the order $i = 0, 1, \dots, B-1$* and applies Adam; one extra item sums the losses in the
same order. So no sum depends on the workgroup size, the scheduling or the device: the kernels
differ from the C twin only by the rounding of exp, log, sqrt, sin and cos.

**Adam** exactly as common/optim.c (PyTorch semantics), in float32 with the bias corrections
computed on the host in double for each step $t$:
$m \leftarrow \beta_1 m + (1-\beta_1)g$, $v \leftarrow \beta_2 v + (1-\beta_2)g^2$,
$\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,m/(\sqrt v/\sqrt{1-\beta_2^t} + \epsilon)$.

**Runs.** `gpu_train_run` records many steps (two dispatches each) into one submission and reads
the parameters, the moments and the losses back only at the end. The loss is reported every
`loss_every` steps: slot $w$ holds the mean of the batch losses of steps
$wk, \dots, wk + k - 1$ (fewer in a last partial window). On any GPU error the state on the
host is untouched and the C twin runs the same steps, drawing the same examples.
*/
#ifndef GPU_GPU_TRAIN_H
#define GPU_GPU_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/gauss.h"
#include "common/nn.h"
#include "gpu/gpu.h"
#include "gpu/gpu_mlp.h"
#include "gpu/gpu_shared.h"

typedef struct {
    float cx, ce;   /* x~ = cx x + ce eps */
    float cond;     /* the network's extra input (a 3-input network), else unused */
    float a, b;     /* per-example loss || a f + b eps ||^2 */
} GpuTrainLevel;

typedef struct {
    GpuMlp net;         /* the parameters, packed (gpu_mlp.h); owned */
    float *adam_m, *adam_v; /* Adam's moments, net.nparams each; owned */
    long step;          /* Adam steps taken so far (t of the bias corrections) */
    int batch;
    uint64_t seed;
    double lr, beta1, beta2, eps;
    int ncomp, nlevels;
    float *table;       /* data components then levels (gpu_shared.h layout); owned */
} GpuTrain;

/* Level tables. DSM: one level per sigma[i], cond[i] its network input (NULL: sigma[i]);
   ncsn_weight 1 gives lambda(sigma) = sigma^2. DDPM: T levels t = 1..T, cond = t / T
   (beta[1..T], beta[0] unused). */
void gpu_train_levels_dsm(const double *sigma, const double *cond, int n, int ncsn_weight,
                          GpuTrainLevel *out);
void gpu_train_levels_ddpm(const double *beta, int T, GpuTrainLevel *out);

/* What a trainer is made of: the float32 MLP `nn` (input width 2, or 3 with the level's cond;
   output width 2), data from the 2-D diagonal mixture `data`, `nlevels` levels, `batch`
   examples a step drawn from Philox streams of `seed`, and Adam(lr, beta1, beta2, adam_eps) from
   zero moments (PyTorch's defaults are 0.9, 0.999, 1e-8). */
typedef struct {
    const NnMlp *nn;
    const Gmm *data;
    const GpuTrainLevel *levels;
    int nlevels;
    int batch;
    uint64_t seed;
    double lr, beta1, beta2, adam_eps;
} GpuTrainConfig;

/* A trainer for cfg (everything it needs is copied). Returns 0, or -1 with a message. */
int gpu_train_init(GpuTrain *tr, const GpuTrainConfig *cfg, char *err, size_t errlen);
void gpu_train_free(GpuTrain *tr);

/* The examples of step `step` (0-based): in (batch x widths[0]: x~ and, for 3 inputs, cond),
   eps (batch x 2), a and b (batch). Any output may be NULL. */
void gpu_train_batch_cpu(const GpuTrain *tr, long step, float *in, float *eps, float *a,
                         float *b);
/* The C twin's loss (eq. common.gpu.train_loss) and gradient (packed order, net.nparams) on
   the batch of step tr->step at the current parameters; nothing is updated. */
double gpu_train_grad_cpu(const GpuTrain *tr, float *grad);
/* The C twin: `steps` training steps. losses (may be NULL) gets ceil(steps / loss_every)
   window means. OpenMP over examples and parameters; the same result for any thread count. */
void gpu_train_steps_cpu(GpuTrain *tr, int steps, int loss_every, float *losses);

/* The same steps on the GPU only: 0 when the GPU ran them, else -1 with the reason in `why`
   and the trainer untouched (no context, a CPU driver's loop limit, any device error). */
int gpu_train_try(GpuContext *g, GpuTrain *tr, int steps, int loss_every, float *losses,
                  double *gpu_seconds, char *why, size_t whylen);
/* The same steps on the GPU when g is non-NULL (falls back to the twin on any error, with a
   message on stderr). Returns 1 when the GPU ran them. gpu_seconds: summed timestamp time
   (-1 on the CPU or without timestamps). */
int gpu_train_run(GpuContext *g, GpuTrain *tr, int steps, int loss_every, float *losses,
                  double *gpu_seconds);

#endif
