/*: # gpu_ad_train — one MLP training loop, on the device executor or on common/ad

A lecture that trains an `NnMlp` by minimising the mean squared error between the network's
output and a target, with Adam, on batches it draws itself (the DSM MLP of L35 4.2: input
$\tilde x = x + \sigma\varepsilon$, target $-\varepsilon/\sigma$), calls `gad_train_mlp` with
its context: with a `GpuContext` every step runs on the device (forward, backward, Adam: one
submission per step), with NULL on the CPU through `common/ad` + `nn` + `optim`. The network and
the loss are written once, in `common/ad` (`gad_mlp_loss`): the device path records them in
record-only mode and replays the tape on the device (`gpu/gpu_ad_replay.h`). Both paths start from the same weights (the `NnMlp` given) and see the same batches
(the callback is asked for batch `step`, whatever the path), so they differ only by the float
rounding of their arithmetic. If the device fails mid-run, the CPU path runs from the unchanged
start and the function says so on stderr; the `NnMlp` is written only at the end.

Loss: $L = \frac{1}{B\,d}\sum_{b,j} (f_\theta(x_b)_j - y_{bj})^2$ (`ad_mean` of the squares).
*/
#ifndef GPU_GPU_AD_TRAIN_H
#define GPU_GPU_AD_TRAIN_H

#include "common/nn.h"
#include "common/optim.h"
#include "gpu/gpu.h"
#include "gpu/gpu_ad.h"

/* Fills x (batch x in) and y (batch x out) with the batch of step `step` (0-based). */
typedef void (*GadBatchFn)(void *ctx, long step, int batch, float *x, float *y);

typedef struct {
    NnMlp *mlp;          /* AD_F32; initial weights in, trained weights out */
    int batch;
    long steps;
    OptimConfig opt;     /* OPTIM_ADAM or OPTIM_ADAMW */
    GadBatchFn batch_fn;
    void *ctx;
    double *losses;      /* steps entries (the loss of each step before its update), or NULL */
} GadMlpTrain;

/* Trains; returns 1 when the device ran every step, 0 when the CPU path ran. */
int gad_train_mlp(GpuContext *g, const GadMlpTrain *job);

/* The loss of both paths, in common/ad: mean((f(x) - y)^2) on the batch x (batch x in), y
   (batch x out), in `ar` (record-only or not). */
AdTensor *gad_mlp_loss(AdArena *ar, const NnMlp *m, const float *x, const float *y, int batch);
/* The MLP's parameters in the order W0, b0, W1, b1, ... into out[2 nlayers]; returns the count. */
int gad_mlp_param_list(const NnMlp *m, AdTensor **out);

#endif
