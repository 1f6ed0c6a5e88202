/* dsm_train — see dsm_train.h. Introduced for L35 4.2. */
#include "common/dsm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/progress.h"
#include "common/util.h"

static void chunks_free(DsmChunks *c); /* below, with the data-parallel step */

void dsm_model_init(DsmModel *m, int nlayers, const int *widths, NnActivation act,
                    const char *name, double lr, Rng *rng) {
    nn_mlp_init(&m->mlp, nlayers, widths, act, AD_F32, rng);
    nn_params_init(&m->params);
    nn_mlp_params(&m->mlp, name, &m->params);
    ParamBlock blocks[16];
    const int nblocks = nn_params_blocks(&m->params, blocks, 16);
    m->adam = optim_new(blocks, nblocks, optim_adam(lr, 0.9, 0.999, 1e-8, 0.0));
    m->lr = lr;
    m->chunks = NULL;
}

void dsm_model_free(DsmModel *m) {
    chunks_free(m->chunks);
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

/* Data parallelism for large batches. A batch of more than DSM_CHUNK_ROWS rows runs as chunks
   of DSM_CHUNK_ROWS rows (the last one shorter) in one parallel region: a thread takes the next
   chunk, builds its forward and backward pass in the thread's own arena on a shadow of the
   network (tensors sharing the weights' values, with the chunk's own gradient buffers), and
   afterwards every parameter's gradient is the sum of the chunks' gradients in chunk order. The
   chunking depends on the batch size alone and a chunk's numbers not on the thread that runs it,
   so every thread count gives the same bits (not the bits of one unchunked pass: the sums over
   the batch are grouped by chunk). One parallel region per step instead of one or two per op,
   chunks handed out as threads come free (a core that runs slower takes fewer), and a chunk's
   activations (256 rows of 64 floats: 64 KiB each) stay in the core's cache from its forward
   pass through its backward pass: a batch of 4096 trains faster on one thread too. */
enum { DSM_CHUNK_ROWS = 256 };

struct DsmChunks {
    int nchunks, nthreads, ntensors;
    long nparam;      /* scalars in the network */
    AdTensor **real;  /* the network's parameter tensors (weight, bias of each layer) */
    AdTensor *shadow; /* nchunks x ntensors: the same, with the chunk's gradient buffers */
    NnLinear *layers; /* nchunks x nlayers, made of the shadows */
    float *grad;      /* nchunks x nparam */
    double *loss;     /* nchunks */
    AdArena **arena;  /* one per thread */
};

static void chunks_free(DsmChunks *c) {
    if (!c) return;
    for (int t = 0; t < c->nthreads; t++) ad_arena_free(c->arena[t]);
    free(c->arena);
    free(c->real);
    free(c->shadow);
    free(c->layers);
    free(c->grad);
    free(c->loss);
    free(c);
}

/* the shadows of m's network for `nchunks` chunks and `nthreads` threads, made once and kept
   (a model's parameter tensors live as long as the model; their values are read in place) */
static DsmChunks *chunks_for(DsmModel *m, int nchunks, int nthreads) {
    DsmChunks *c = m->chunks;
    if (c && c->nchunks >= nchunks && c->nthreads >= nthreads) return c;
    chunks_free(c);
    const int nl = m->mlp.nlayers;
    c = xcalloc(1, sizeof *c);
    c->nchunks = nchunks, c->nthreads = nthreads;
    c->real = xcalloc((size_t)2 * nl, sizeof *c->real);
    for (int l = 0; l < nl; l++) {
        c->real[c->ntensors++] = m->mlp.layers[l].weight;
        if (m->mlp.layers[l].bias) c->real[c->ntensors++] = m->mlp.layers[l].bias;
    }
    for (int j = 0; j < c->ntensors; j++) c->nparam += c->real[j]->size;
    c->shadow = xcalloc((size_t)nchunks * c->ntensors, sizeof *c->shadow);
    c->layers = xcalloc((size_t)nchunks * nl, sizeof *c->layers);
    c->grad = xmalloc(sizeof(float) * (size_t)nchunks * c->nparam);
    c->loss = xcalloc((size_t)nchunks, sizeof *c->loss);
    for (int k = 0; k < nchunks; k++) {
        AdTensor *sh = c->shadow + (size_t)k * c->ntensors;
        float *g = c->grad + (size_t)k * c->nparam;
        for (int j = 0; j < c->ntensors; j++) {
            sh[j] = *c->real[j];
            sh[j].grad = g;
            g += sh[j].size;
        }
        for (int l = 0, j = 0; l < nl; l++) {
            NnLinear *dst = &c->layers[(size_t)k * nl + l];
            *dst = m->mlp.layers[l];
            dst->weight = &sh[j++];
            if (dst->bias) dst->bias = &sh[j++];
        }
    }
    c->arena = xmalloc(sizeof *c->arena * (size_t)nthreads);
    for (int t = 0; t < nthreads; t++) c->arena[t] = ad_arena_new(1 << 20);
    m->chunks = c;
    return c;
}

static double chunked_step(DsmModel *m, const float *in, const float *target, int batch,
                           double skip_scale) {
    const int nl = m->mlp.nlayers, nchunks = (batch + DSM_CHUNK_ROWS - 1) / DSM_CHUNK_ROWS;
    const int nin = m->mlp.layers[0].in, nout = m->mlp.layers[nl - 1].out;
    int nthreads = par_max_threads();
    if (nthreads > nchunks) nthreads = nchunks;
    DsmChunks *c = chunks_for(m, nchunks, nthreads);
#pragma omp parallel for schedule(dynamic) num_threads(nthreads)
    for (int k = 0; k < nchunks; k++) {
        AdArena *arena = c->arena[par_thread_id()];
        const int r0 = k * DSM_CHUNK_ROWS, n = batch - r0 < DSM_CHUNK_ROWS ? batch - r0 : DSM_CHUNK_ROWS;
        const NnMlp shadow = {nl, &c->layers[(size_t)k * nl], m->mlp.act};
        memset(c->grad + (size_t)k * c->nparam, 0, sizeof(float) * (size_t)c->nparam);
        ad_arena_reset(arena);
        AdTensor *l = batch_loss(arena, &shadow, in + (long)r0 * nin, target + (long)r0 * nout, n,
                                 batch, skip_scale);
        ad_backward(arena, l);
        c->loss[k] = ad_item(l);
        ad_arena_reset(arena);
    }
    //: $\nabla_\theta\mathcal L = \sum_k \nabla_\theta \mathcal L_k$ over the chunks $k$, in order
    long off = 0;
    for (int j = 0; j < c->ntensors; off += c->real[j]->size, j++) {
        float *g = c->real[j]->grad;
        for (long i = 0; i < c->real[j]->size; i++) {
            float s = c->grad[off + i];
            for (int k = 1; k < nchunks; k++) s += c->grad[(size_t)k * c->nparam + off + i];
            g[i] = s;
        }
    }
    double total = 0;
    for (int k = 0; k < nchunks; k++) total += c->loss[k];
    return total;
}

double dsm_model_step(DsmModel *m, AdArena *arena, const float *in, const float *target,
                      int batch, double skip_scale) {
    double loss;
    if (batch > DSM_CHUNK_ROWS) {
        loss = chunked_step(m, in, target, batch, skip_scale);
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
