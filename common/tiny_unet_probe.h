/*: # tiny_unet_probe — a scalar probe of the Tiny U-Net for gradient checks

Introduced for L36 §4.2.2 (program `lectures/36_ddpm/18_tiny_unet_fwd_bwd.c`, and the unit test
`checks/unit/test_tiny_unet.c`). A gradient check needs a scalar function of the network; the
network's output $\hat\epsilon(x, t, y)$ is an image per input. Contracting it with a fixed random
image $r$ of the same shape,

$$ L(\theta, x) = \sum_{n,c,h,w} r_{nchw}\,\hat\epsilon_\theta(x, t, y)_{nchw}, $$ {#eq:common.tiny_unet_probe.loss}

gives a scalar whose gradient $\partial L/\partial\theta = J^\top r$ is the backward pass applied
to a generic output gradient: every element of every weight tensor, and of the input, gets a
generic (nonzero) derivative, and no weight is favoured. `tiny_unet_probe_loss` has the signature
of `AdLossFn` (common/ad.h), so `ad_gradcheck` and hand-written central differences use it alike;
the forward pass is taped, in the network's dtype.
*/
#ifndef COMMON_TINY_UNET_PROBE_H
#define COMMON_TINY_UNET_PROBE_H

#include "common/ad.h"
#include "common/tiny_unet.h"

typedef struct {
    const TinyUNet *m;
    AdTensor *x;    /* (n, 1, H, H) input, may be a parameter (then its gradient is checked too) */
    const int *t;   /* n time labels */
    const int *y;   /* n class labels, or NULL (the null label) */
    const double *r; /* n*H*H probe weights, the output's shape */
} TinyUNetProbe;

/* L = sum(r * eps_hat(x, t, y)) on the arena (eq. loss); ctx is a TinyUNetProbe. The params
   arguments are ignored (the weights are read from ctx->m), as AdLossFn allows. */
AdTensor *tiny_unet_probe_loss(AdArena *arena, AdTensor **params, int nparams, void *ctx);

#endif
