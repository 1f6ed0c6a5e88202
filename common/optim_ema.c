/* optim_ema — exponential moving average of the parameters (see optim.h, eq:common.optim.ema). */
#include <stdlib.h>
#include <string.h>

#include "common/optim.h"
#include "common/util.h"

Ema *ema_new(const ParamBlock *blocks, int nblocks, double decay) {
    if (!(decay >= 0 && decay <= 1)) die("ema_new: decay %g outside [0, 1]", decay);
    Ema *e = xcalloc(1, sizeof *e);
    e->nblocks = nblocks;
    e->blocks = xmalloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof *e->blocks);
    if (nblocks > 0) memcpy(e->blocks, blocks, (size_t)nblocks * sizeof *blocks);
    e->total = params_count(blocks, nblocks);
    e->decay = decay;
    e->shadow = xmalloc((e->total ? e->total : 1) * sizeof(float));
    float *s = e->shadow;
    for (int b = 0; b < nblocks; b++) {
        //: $\bar\theta_0 = \theta_0$
        memcpy(s, blocks[b].value, blocks[b].n * sizeof(float));
        s += blocks[b].n;
    }
    return e;
}

void ema_update(Ema *e) {
    if (e->swapped) die("ema_update: the parameters hold the EMA (call ema_swap back first)");
    const double d = e->decay;
    float *s = e->shadow;
    for (int b = 0; b < e->nblocks; b++) {
        const float *theta = e->blocks[b].value;
        for (size_t i = 0; i < e->blocks[b].n; i++) {
            //: $\bar\theta_k = \delta\,\bar\theta_{k-1} + (1-\delta)\,\theta_k$
            s[i] = (float)(d * s[i] + (1.0 - d) * theta[i]);
        }
        s += e->blocks[b].n;
    }
    e->updates++;
}

void ema_swap(Ema *e) {
    float *s = e->shadow;
    for (int b = 0; b < e->nblocks; b++) {
        float *theta = e->blocks[b].value;
        for (size_t i = 0; i < e->blocks[b].n; i++) {
            float tmp = theta[i];
            theta[i] = s[i];
            s[i] = tmp;
        }
        s += e->blocks[b].n;
    }
    e->swapped = !e->swapped;
}

void ema_copy_to_params(const Ema *e) {
    const float *s = e->shadow;
    for (int b = 0; b < e->nblocks; b++) {
        memcpy(e->blocks[b].value, s, e->blocks[b].n * sizeof(float));
        s += e->blocks[b].n;
    }
}

void ema_free(Ema *e) {
    if (!e) return;
    free(e->blocks);
    free(e->shadow);
    free(e);
}
