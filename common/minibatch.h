/*: # minibatch — shuffled mini-batches of an image set, scaled to $[-1, 1]$

Introduced by L36 §5.1 (dataset preparation: the lecture's `DataLoader(...; batchsize=128,
shuffle=true)` after `x .* 2 .- 1`), shown in `lectures/36_ddpm/19_mnist_data_png.c`; any
program that trains on images in batches uses it.

**Scaling.** A raw pixel $p \in \{0, \dots, p_{\max}\}$ becomes

$$ x = 2\,\frac{p}{p_{\max}} - 1 \in [-1, 1] $$ {#eq:common.minibatch.scale}

(exactly $-1$ for $p = 0$ and exactly $1$ for $p = p_{\max}$), in single precision: the lecture's
Float64 literal promotes the data to double (spec A20); the course keeps `float` images.

**Epochs and batches.** Epoch $e$ visits the $n$ items in the order of a uniform random
permutation drawn by Fisher-Yates from the Philox stream `(seed, e)`, so the order depends on
(seed, epoch) only and any epoch can be replayed without the ones before it. The permutation is
cut into $\lceil n/B\rceil$ batches of $B$ items; the last holds $n - (\lceil n/B\rceil - 1)B$
(the lecture's loader keeps a short last batch: 469 batches, the last of 96, for 60000/128).
*/
#ifndef COMMON_MINIBATCH_H
#define COMMON_MINIBATCH_H

#include <stdint.h>

#include "common/data.h"

/* ceil(n / batch) for n >= 0, batch >= 1. */
int minibatch_count(int n, int batch);
/* Size of batch k (0-based) of an epoch: batch, except the last. 0 for k out of range. */
int minibatch_size(int n, int batch, int k);
/* The order of epoch `epoch`: perm[0..n-1] a uniform permutation of 0..n-1 from the Philox
   stream (seed, epoch). */
void minibatch_epoch_order(uint64_t seed, int epoch, int n, int *perm);
/* Images idx[0..m-1] of s, scaled by eq. common.minibatch.scale, into out (m * height * width
   floats, image after image, row-major). */
void minibatch_gather(const ImageSet *s, const int *idx, int m, float *out);

#endif
