/* gpu_ad_train — the MLP training loop on the device executor or on common/ad (gpu_ad_train.h). */
#include "gpu/gpu_ad_train.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/ad.h"
#include "gpu/gpu_ad_replay.h"

AdTensor *gad_mlp_loss(AdArena *ar, const NnMlp *m, const float *x, const float *y, int batch) {
    const int in = m->layers[0].in, out = m->layers[m->nlayers - 1].out;
    AdTensor *ax = ad_from_array(ar, AD_F32, 2, (int[]){batch, in}, x);
    AdTensor *ay = ad_from_array(ar, AD_F32, 2, (int[]){batch, out}, y);
    AdTensor *d = ad_sub(ar, nn_mlp_forward(ar, m, ax), ay);
    //: $L = \frac{1}{Bd}\sum (f_\theta(x) - y)^2$
    return ad_mean(ar, ad_mul(ar, d, d));
}

int gad_mlp_param_list(const NnMlp *m, AdTensor **out) {
    for (int l = 0; l < m->nlayers; l++) {
        out[2 * l] = m->layers[l].weight;
        out[2 * l + 1] = m->layers[l].bias;
    }
    return 2 * m->nlayers;
}

/* The device path: 0 on success (weights written back), -1 on a device failure or a graph the
   device cannot run. */
static int train_gpu(GpuContext *g, const GadMlpTrain *job, float *x, float *y) {
    const NnMlp *m = job->mlp;
    for (int l = 0; l < m->nlayers; l++)
        if (!m->layers[l].bias) return -1; /* nn_mlp_init always makes biases */
    AdTensor **list = calloc((size_t)(2 * m->nlayers), sizeof *list);
    const int np = gad_mlp_param_list(m, list);
    GadGraph *gr = gad_graph_new(g);
    GadReplay *rp = gr ? gad_replay_new(gr, list, np) : NULL;
    AdArena *ar = ad_arena_new(1 << 20);
    ad_arena_set_deferred(ar, 1);
    int rc = rp ? 0 : -1;
    GadTensor **params = rp ? gad_replay_params(rp) : NULL;
    for (long s = 0; s < job->steps && !rc; s++) {
        gad_graph_reset(gr);
        ad_arena_reset(ar);
        job->batch_fn(job->ctx, s, job->batch, x, y);
        //: the loss recorded in common/ad, replayed on the device
        GadTensor *loss = gad_replay_record(rp, gad_mlp_loss(ar, m, x, y, job->batch));
        /* one submission: zero the gradients, backward, Adam */
        rc = !loss || ad_arena_not_deferrable(ar) || gad_zero_grad(gr, params, np) ||
             gad_backward(gr, loss) || gad_adam_step(gr, params, np, &job->opt, s + 1) ||
             gad_run(gr, NULL);
        if (!rc && job->losses) {
            float l;
            rc = gad_read(loss, &l);
            job->losses[s] = l;
        }
    }
    if (!rc) rc = gad_replay_download(rp);
    if (rc) gpu_run_batch(g, NULL); /* retire a half-recorded step before freeing its buffers */
    if (rc)
        fprintf(stderr, "gad_train_mlp: the device path stopped (%s); running on the CPU\n",
                rp && gad_replay_error(rp)[0] ? gad_replay_error(rp) : gad_error(gr));
    ad_arena_free(ar);
    gad_replay_free(rp);
    gad_graph_free(gr);
    free(list);
    return rc ? -1 : 0;
}

/* The CPU path: common/ad + nn + optim, the same loss. */
static void train_cpu(const GadMlpTrain *job, float *x, float *y) {
    const NnMlp *m = job->mlp;
    const int np = 2 * m->nlayers;
    ParamBlock *blocks = calloc((size_t)np, sizeof *blocks);
    for (int l = 0; l < m->nlayers; l++) {
        AdTensor *w = m->layers[l].weight, *b = m->layers[l].bias;
        blocks[2 * l] = (ParamBlock){ad_f32(w), ad_grad_f32(w), (size_t)w->size};
        blocks[2 * l + 1] = (ParamBlock){ad_f32(b), ad_grad_f32(b), (size_t)b->size};
    }
    Optimizer *opt = optim_new(blocks, np, job->opt);
    AdArena *ar = ad_arena_new(1 << 20);
    for (long s = 0; s < job->steps; s++) {
        ad_arena_reset(ar);
        job->batch_fn(job->ctx, s, job->batch, x, y);
        AdTensor *loss = gad_mlp_loss(ar, m, x, y, job->batch);
        optim_zero_grad(opt);
        ad_backward(ar, loss);
        optim_step(opt);
        if (job->losses) job->losses[s] = ad_item(loss);
    }
    ad_arena_free(ar);
    optim_free(opt);
    free(blocks);
}

int gad_train_mlp(GpuContext *g, const GadMlpTrain *job) {
    const NnMlp *m = job->mlp;
    const int in = m->layers[0].in, out = m->layers[m->nlayers - 1].out;
    float *x = malloc(sizeof(float) * (size_t)job->batch * (size_t)in);
    float *y = malloc(sizeof(float) * (size_t)job->batch * (size_t)out);
    int on_gpu = g && train_gpu(g, job, x, y) == 0;
    if (!on_gpu) train_cpu(job, x, y);
    free(x);
    free(y);
    return on_gpu;
}
