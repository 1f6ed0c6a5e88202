/*: # chunked_step — one data-parallel training step over fixed chunks of a minibatch

Introduced for L35 4.2's DSM loop at batch 4096 (`common/dsm_train.c`) and used by the shared
training loop of `common/genmodel.c` (L36 4.2.3's Tiny U-Net at batch 16): a minibatch of $B$
rows whose loss is a sum of per-row terms runs as chunks of `rows` rows (the last one shorter),
one per free thread. A thread builds its chunk's loss $L_k$ in the thread's own arena and runs
the backward pass there; the arena carries the chunk's gradient shadows (`ad.h`), so the pass
adds into the chunk's own buffers and never into a parameter's `grad`. Then every parameter's
gradient is set to the chunks' sum, in chunk order:
$$ \nabla_\theta L = \sum_{k} \nabla_\theta L_k , \qquad L = \sum_k L_k . $$ {#eq:common.chunked_step.sum}
The chunking depends on $B$ and `rows` alone and a chunk's numbers not on the thread that runs
it, so every thread count gives the same bits (not those of one unchunked pass: the sums over
the batch are grouped by chunk). One parallel region per step instead of one or two per op, and
a chunk's activations stay in its core's cache from the forward through the backward pass.
*/
#ifndef COMMON_CHUNKED_STEP_H
#define COMMON_CHUNKED_STEP_H

#include "common/ad.h"

typedef struct ChunkedStep ChunkedStep;

/* Chunk k's loss L_k (rows row0 .. row0 + nrows - 1 of the minibatch), built in `arena`: a
   one-element tensor. Called from several threads at once, each with its own arena. */
typedef AdTensor *(*ChunkLossFn)(void *ctx, AdArena *arena, int k, int row0, int nrows);

/* For minibatches of `batch` rows in chunks of `rows`, over the float32 parameters params[0..n)
   (the array must outlive the object). */
ChunkedStep *chunked_step_new(AdTensor *const *params, int n, int batch, int rows);
void chunked_step_free(ChunkedStep *c);
int chunked_step_batch(const ChunkedStep *c); /* the minibatch size it was made for */

/* One step: sets every parameter's grad to eq. [eq:common.chunked_step.sum] and returns L. */
double chunked_step_run(ChunkedStep *c, ChunkLossFn loss, void *ctx);

#endif
