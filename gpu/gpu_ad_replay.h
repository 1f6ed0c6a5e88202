/*: # gpu_ad_replay — a common/ad tape, executed on the device

The network code of the course is written once, in `common/ad` (the MLPs of L35 and L42, the
Tiny U-Net of L36). This module runs that same code on the device: the caller builds its loss as
usual in an `AdArena` put in **record-only mode** (`ad_arena_set_deferred`), so every op on the
tape creates its output and tape entry without computing values, and `gad_replay_record`
translates the tape, from its first entry to the loss, into the ops of `gpu/gpu_ad.h`:

- a **parameter** becomes its persistent device copy (uploaded once by `gad_replay_new`);
- a **tape entry** becomes the device op of the same name, with the same inputs, `iparam` and
  `dparam` (`ad_linear` → `gad_linear`, `ad_conv2d` → `gad_conv2d` with its stride and pad, ...);
- any other tensor an op reads is a **constant of the step** (the minibatch, the noise, $x_t$,
  the sinusoidal time embedding, computed on the CPU because no gradient flows through them):
  its values are uploaded with `gad_input`.

Composites without a kernel of their own: `ad_square(x)` is `x * x`, `ad_scale(x, c)` is
`x * c` and `ad_add_const(x, c)` is `x + c` with `c` a device scalar (float32), `ad_attention`
is already recorded by common/ad as swap, matmul, scale, softmax and matmul. An op without a
device kernel (`ad_exp`, `ad_div`, `ad_log_softmax`, ...) or with a layout the device ops do not
take (a broadcast along two separate blocks of axes, a swap of non-trailing axes) makes
`gad_replay_record` return NULL with a message naming the op: the caller then runs the CPU path.

`gm_train_device` (declared in common/genmodel.h, defined here) is the shared training loop of
`gm_train` on this executor; `gad_train_mlp` (gpu_ad_train.h) uses the same replay.
*/
#ifndef GPU_GPU_AD_REPLAY_H
#define GPU_GPU_AD_REPLAY_H

#include "common/ad.h"
#include "gpu/gpu_ad.h"

typedef struct GadReplay GadReplay;

/* A replayer on graph gr (not owned) for the parameters params[0..n): each is uploaded now and
   stays on the device until gad_replay_free. NULL on failure (gad_error(gr) says why). */
GadReplay *gad_replay_new(GadGraph *gr, AdTensor *const *params, int n);
void gad_replay_free(GadReplay *r); /* NULL-safe; frees the device parameters */

/* The device copies of the parameters, in the order given (n entries). */
GadTensor **gad_replay_params(GadReplay *r);
int gad_replay_nparams(const GadReplay *r);

/* Translates the tape that ends at `loss` (recorded in deferred mode or normally) into device
   ops of the current step (call gad_graph_reset first). Returns the device loss, or NULL with the
   reason in gad_replay_error (e.g. "ad_exp: no device kernel"). */
GadTensor *gad_replay_record(GadReplay *r, AdTensor *loss);
/* The device tensor of an AdTensor of the last translated step (parameters too), or NULL. */
GadTensor *gad_replay_lookup(GadReplay *r, const AdTensor *t);
const char *gad_replay_error(const GadReplay *r);
/* Number of tape entries translated by the last gad_replay_record. */
int gad_replay_ops(const GadReplay *r);

/* Downloads every device parameter into its AdTensor (after gad_run). 0 or -1. */
int gad_replay_download(GadReplay *r);

#endif
