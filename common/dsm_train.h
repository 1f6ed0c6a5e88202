/*: # dsm_train — a score network, its optimiser, and the denoising-score-matching loop

Introduced for L35 4.2 (program 02) and used again by 7.7a (10), 7.7c (12) and the DSM
benchmark: each trained an MLP by hand with the same setup and a loop of its own.

**The model** (`DsmModel`): an `NnMlp` (float32), its parameter list and Adam
($\beta = (0.9, 0.999)$, $\epsilon = 10^{-8}$, no weight decay, PyTorch's defaults, as the
lecture's Optax/PyTorch code).

**The loss.** A batch is $B$ network inputs $\tilde x_i$ and targets $t_i$; with the network
output $o_i$ and an optional skip form the predicted score is
$$ s_i = o_i \ \text{(plain)},\qquad s_i = \kappa\,(o_i - \tilde x_i) \ \text{(skip, } \kappa > 0\text{)},
   \qquad \mathcal L = \frac1B\sum_{i=1}^B \lVert s_i - t_i\rVert^2 . $$ {#eq:common.dsm.loss}
DSM at noise $\sigma$ (eq. [eq:L35.4.2.dsm_loss]) takes $t_i = -\epsilon_i/\sigma$; the skip form
with $\kappa = 1/\sigma^2$ is the Tweedie parametrisation of 7.7c; a denoising autoencoder takes
$t_i = x_i$ and the plain form. The loss is divided by $B$, not by $B d$ (L35 E7: the lecture's
main code and its math-to-code snippet disagree; the expected minimum $C(\sigma)$ of 4.2 is for
the division by $B$).

**Large batches** (more than 256 rows) run as fixed chunks of 256 rows, one thread per chunk,
their gradients added in chunk order (`common/chunked_step.h`): the same bits for every thread
count.

**The loop** (`dsm_train`): a caller's sampler fills the batch of step $k$, then one Adam step;
the learning rate is constant or cosine-decayed to `lr_final`. **NaN policy**: a non-finite input
(float32 tanh maps NaN to 1, so a NaN batch could pass unseen) or loss stops the loop; the
function returns the number of steps run and a message naming the step ("... at step k of n"),
which the lecture reports as a failed check. It never exits.
*/
#ifndef COMMON_DSM_TRAIN_H
#define COMMON_DSM_TRAIN_H

#include <stddef.h>

#include "common/ad.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/rng.h"

typedef struct {
    NnMlp mlp;
    NnParams params;
    Optimizer *adam;
    double lr;                 /* Adam's base learning rate */
    struct ChunkedStep *chunked; /* large batches' data-parallel step, made when one comes */
} DsmModel;

/* An MLP with `nlayers` layers of widths[0..nlayers] and activation `act`, float32,
   initialised from `rng` (nn_mlp_init), parameters named "<name>.*", Adam(lr). */
void dsm_model_init(DsmModel *m, int nlayers, const int *widths, NnActivation act,
                    const char *name, double lr, Rng *rng);
void dsm_model_free(DsmModel *m);

/* One Adam step on a batch (eq. [eq:common.dsm.loss]): `in` (batch x widths[0]) and `target`
   (batch x widths[L]), floats; skip_scale > 0 selects the skip form with kappa = skip_scale.
   Returns the batch loss before the step. */
double dsm_model_step(DsmModel *m, AdArena *arena, const float *in, const float *target,
                      int batch, double skip_scale);

/* The float32 network at n points x (n x widths[0], double), forward only, in blocks of 4096
   rows: out (n x widths[L]). The arena is reset before and after. */
void dsm_eval(AdArena *arena, const NnMlp *mlp, const double *x, long n, double *out);

/* Fills the inputs and targets of step `step` (batch x in width, batch x out width). */
typedef void (*DsmBatchFn)(void *ctx, long step, int batch, float *in, float *target);

typedef struct {
    long steps;
    int batch;
    DsmBatchFn draw;
    void *ctx;
    double skip_scale;  /* 0: plain form */
    double lr_final;    /* > 0 and != the model's lr: cosine decay to it over the run */
    const char *label;  /* the progress line's label (NULL: "DSM training") */
} DsmTrainConfig;

/* cfg->steps steps; losses[k] (may be NULL) the batch loss of step k. Returns the number of
   steps run: cfg->steps, or fewer with a message in err (the NaN policy above). */
long dsm_train(DsmModel *m, const DsmTrainConfig *cfg, double *losses, char *err, size_t errlen);

#endif
