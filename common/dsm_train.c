/* dsm_train — see dsm_train.h. Introduced for L35 4.2. */
#include "common/dsm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/chunked_step.h"
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
    m->chunked = NULL;
}

void dsm_model_free(DsmModel *m) {
    chunked_step_free(m->chunked);
    optim_free(m->adam);
    nn_params_free(&m->params);
    nn_mlp_free(&m->mlp);
}

/* The loss of eq. [eq:common.dsm.loss] for rows [0, n) of a batch of `batch` rows, built on the
   tape of `arena` (the sum over these rows, divided by the whole batch). */
static AdTensor *batch_loss(AdArena *arena, const NnMlp *mlp, const float *in, const float *target,
                            int n, int batch, double skip_scale) {
    const int nin = mlp->layers[0].in, nout = mlp->layers[mlp->nlayers - 1].out;
    const int in_shape[2] = {n, nin}, out_shape[2] = {n, nout};
    AdTensor *x = ad_from_array(arena, AD_F32, 2, in_shape, in);
    AdTensor *t = ad_from_array(arena, AD_F32, 2, out_shape, target);
    AdTensor *out = nn_mlp_forward(arena, mlp, x);
    //: eq. [eq:common.dsm.loss]: $s = o$, or $s = \kappa(o - \tilde x)$ in the skip form
    AdTensor *score = skip_scale > 0 ? ad_scale(arena, ad_sub(arena, out, x), skip_scale) : out;
    //: $\mathcal L = \frac1B\sum_i\lVert s_i - t_i\rVert^2$
    return ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, score, t))), 1.0 / batch);
}

/* A batch of more than DSM_CHUNK_ROWS rows runs as chunks of that many rows, one per free thread
   (common/chunked_step.h): the same bits for every thread count, and a chunk's activations
   (256 rows of 64 floats: 64 KiB per layer) stay in its core's cache from the forward through
   the backward pass, so a batch of 4096 trains faster on one thread too. */
enum { DSM_CHUNK_ROWS = 256 };

typedef struct {
    const NnMlp *mlp;
    const float *in, *target;
    int batch;
    double skip_scale;
} ChunkCtx;

/* chunk k's share of eq. [eq:common.dsm.loss]: its rows' sum, divided by the whole batch */
static AdTensor *chunk_loss(void *ctx, AdArena *arena, int k, int row0, int nrows) {
    (void)k;
    const ChunkCtx *c = ctx;
    const int nin = c->mlp->layers[0].in, nout = c->mlp->layers[c->mlp->nlayers - 1].out;
    return batch_loss(arena, c->mlp, c->in + (long)row0 * nin, c->target + (long)row0 * nout, nrows,
                      c->batch, c->skip_scale);
}

double dsm_model_step(DsmModel *m, AdArena *arena, const float *in, const float *target,
                      int batch, double skip_scale) {
    double loss;
    if (batch > DSM_CHUNK_ROWS) {
        if (m->chunked && chunked_step_batch(m->chunked) != batch) {
            chunked_step_free(m->chunked);
            m->chunked = NULL;
        }
        if (!m->chunked) m->chunked = chunked_step_new(m->params.t, m->params.n, batch, DSM_CHUNK_ROWS);
        ChunkCtx c = {&m->mlp, in, target, batch, skip_scale};
        loss = chunked_step_run(m->chunked, chunk_loss, &c);
    } else {
        ad_arena_reset(arena);
        AdTensor *l = batch_loss(arena, &m->mlp, in, target, batch, batch, skip_scale);
        optim_zero_grad(m->adam);
        ad_backward(arena, l);
        loss = ad_item(l);
    }
    optim_step(m->adam);
    return loss;
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
