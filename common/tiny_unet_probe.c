/* tiny_unet_probe — see tiny_unet_probe.h (L36 4.2.2: the scalar of the gradient checks). */
#include "common/tiny_unet_probe.h"

AdTensor *tiny_unet_probe_loss(AdArena *arena, AdTensor **params, int nparams, void *ctx) {
    (void)params, (void)nparams;
    const TinyUNetProbe *c = ctx;
    AdTensor *out = tiny_unet_forward(arena, c->m, c->x, c->t, c->y, NULL);
    AdTensor *r = ad_from_doubles(arena, out->dtype, out->ndim, out->shape, c->r);
    //: $L = \sum r \odot \hat\epsilon$, [eq:common.tiny_unet_probe.loss]
    return ad_sum(arena, ad_mul(arena, out, r));
}
