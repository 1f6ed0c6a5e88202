/* dsm_train — see dsm_train.h. Introduced for L35 4.2. */
#include "common/dsm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/progress.h"
#include "common/util.h"

void dsm_model_init(DsmModel *m, int nlayers, const int *widths, NnActivation act,
                    const char *name, double lr, Rng *rng) {
    nn_mlp_init(&m->mlp, nlayers, widths, act, AD_F32, rng);
    nn_params_init(&m->params);
    nn_mlp_params(&m->mlp, name, &m->params);
    ParamBlock blocks[16];
    const int nblocks = nn_params_blocks(&m->params, blocks, 16);
    m->adam = optim_new(blocks, nblocks, optim_adam(lr, 0.9, 0.999, 1e-8, 0.0));
    m->lr = lr;
}

void dsm_model_free(DsmModel *m) {
    optim_free(m->adam);
    nn_params_free(&m->params);
    nn_mlp_free(&m->mlp);
}

double dsm_model_step(DsmModel *m, AdArena *arena, const float *in, const float *target,
                      int batch, double skip_scale) {
    ad_arena_reset(arena);
    const int nin = m->mlp.layers[0].in, nout = m->mlp.layers[m->mlp.nlayers - 1].out;
    const int in_shape[2] = {batch, nin}, out_shape[2] = {batch, nout};
    AdTensor *x = ad_from_array(arena, AD_F32, 2, in_shape, in);
    AdTensor *t = ad_from_array(arena, AD_F32, 2, out_shape, target);
    AdTensor *out = nn_mlp_forward(arena, &m->mlp, x);
    //: eq. [eq:common.dsm.loss]: $s = o$, or $s = \kappa(o - \tilde x)$ in the skip form
    AdTensor *score = skip_scale > 0 ? ad_scale(arena, ad_sub(arena, out, x), skip_scale) : out;
    //: $\mathcal L = \frac1B\sum_i\lVert s_i - t_i\rVert^2$
    AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, score, t))),
                              1.0 / batch);
    optim_zero_grad(m->adam);
    ad_backward(arena, loss);
    optim_step(m->adam);
    return ad_item(loss);
}

void dsm_eval(AdArena *arena, const NnMlp *mlp, const double *x, long n, double *out) {
    enum { BLOCK = 4096 };
    const int nin = mlp->layers[0].in, nout = mlp->layers[mlp->nlayers - 1].out;
    for (long start = 0; start < n; start += BLOCK) {
        const int m = (int)(n - start < BLOCK ? n - start : BLOCK);
        ad_arena_reset(arena);
        const int shape[2] = {m, nin};
        AdTensor *s = nn_mlp_forward(arena, mlp, ad_from_doubles(arena, AD_F32, 2, shape, x + start * nin));
        for (long i = 0; i < (long)m * nout; i++) out[start * nout + i] = ad_get(s, i);
    }
    ad_arena_reset(arena);
}

long dsm_train(DsmModel *m, const DsmTrainConfig *cfg, double *losses, char *err, size_t errlen) {
    const int nin = m->mlp.layers[0].in, nout = m->mlp.layers[m->mlp.nlayers - 1].out;
    float *in = xmalloc(sizeof(float) * (size_t)cfg->batch * nin);
    float *target = xmalloc(sizeof(float) * (size_t)cfg->batch * nout);
    AdArena *arena = ad_arena_new(1 << 20);
    const double lr0 = m->lr;
    const int decay = cfg->lr_final > 0 && cfg->lr_final != lr0;
    Progress progress;
    progress_start(&progress, cfg->label ? cfg->label : "DSM training", cfg->steps);
    long done = 0;
    for (long step = 0; step < cfg->steps; step++) {
        cfg->draw(cfg->ctx, step, cfg->batch, in, target);
        long bad = -1;
        for (long i = 0; i < (long)cfg->batch * nin && bad < 0; i++)
            if (!isfinite(in[i])) bad = i;
        if (bad >= 0) {
            snprintf(err, errlen, "%s: input not finite (%g) at step %ld of %ld",
                     cfg->label ? cfg->label : "DSM training", in[bad], step + 1, cfg->steps);
            break;
        }
        if (decay) optim_set_lr(m->adam, lr_cosine_warmup(lr0, cfg->lr_final, 0, cfg->steps, step));
        const double loss = dsm_model_step(m, arena, in, target, cfg->batch, cfg->skip_scale);
        if (losses) losses[step] = loss;
        done = step + 1;
        if (!isfinite(loss)) {
            snprintf(err, errlen, "%s: loss is %g at step %ld of %ld",
                     cfg->label ? cfg->label : "DSM training", loss, step + 1, cfg->steps);
            break;
        }
        progress_update_value(&progress, step + 1, "loss", loss);
    }
    progress_end(&progress);
    ad_arena_free(arena);
    free(in);
    free(target);
    return done;
}
