/* gpu_ad_train — the MLP training loop on the device executor or on common/ad (gpu_ad_train.h). */
#include "gpu/gpu_ad_train.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/ad.h"

static GadTensor *activation(GadGraph *gr, GadTensor *h, NnActivation act) {
    switch (act) {
    case NN_ACT_TANH: return gad_tanh(gr, h);
    case NN_ACT_RELU: return gad_relu(gr, h);
    case NN_ACT_SILU: return gad_silu(gr, h);
    default: return h;
    }
}

GadTensor *gad_mlp_forward(GadGraph *gr, const NnMlp *m, GadTensor **params, GadTensor *x) {
    GadTensor *h = x;
    for (int l = 0; l < m->nlayers; l++) {
        h = gad_linear(gr, h, params[2 * l], params[2 * l + 1]);
        if (l < m->nlayers - 1) h = activation(gr, h, m->act);
    }
    return h;
}

int gad_mlp_upload(GadGraph *gr, const NnMlp *m, GadTensor **params) {
    for (int l = 0; l < m->nlayers; l++) {
        if (!m->layers[l].bias) return -1; /* nn_mlp_init always makes biases */
        params[2 * l] = gad_param_from_ad(gr, m->layers[l].weight);
        params[2 * l + 1] = gad_param_from_ad(gr, m->layers[l].bias);
        if (!params[2 * l] || !params[2 * l + 1]) return -1;
    }
    return 0;
}

/* The device path: 0 on success (weights written back), -1 on a device failure. */
static int train_gpu(GpuContext *g, const GadMlpTrain *job, float *x, float *y) {
    const NnMlp *m = job->mlp;
    const int np = 2 * m->nlayers, in = m->layers[0].in, out = m->layers[m->nlayers - 1].out;
    GadGraph *gr = gad_graph_new(g);
    GadTensor **params = calloc((size_t)np, sizeof *params);
    if (!gr || !params) {
        gad_graph_free(gr);
        free(params);
        return -1;
    }
    int rc = gad_mlp_upload(gr, m, params);
    for (long s = 0; s < job->steps && !rc; s++) {
        gad_graph_reset(gr);
        job->batch_fn(job->ctx, s, job->batch, x, y);
        GadTensor *gx = gad_input(gr, 2, (int[]){job->batch, in}, x);
        GadTensor *gy = gad_input(gr, 2, (int[]){job->batch, out}, y);
        GadTensor *loss = gad_mse(gr, gad_mlp_forward(gr, m, params, gx), gy);
        /* one submission: zero the gradients, backward, Adam */
        rc = gad_zero_grad(gr, params, np) || gad_backward(gr, loss) ||
             gad_adam_step(gr, params, np, &job->opt, s + 1) || gad_run(gr, NULL);
        if (!rc && job->losses) {
            float l;
            rc = gad_read(loss, &l);
            job->losses[s] = l;
        }
    }
    if (!rc)
        for (int l = 0; l < m->nlayers && !rc; l++)
            rc = gad_param_to_ad(params[2 * l], m->layers[l].weight) ||
                 gad_param_to_ad(params[2 * l + 1], m->layers[l].bias);
    if (rc) fprintf(stderr, "gad_train_mlp: the device failed (%s); running on the CPU\n",
                    gad_error(gr));
    for (int i = 0; i < np; i++) gad_tensor_free(params[i]);
    free(params);
    gad_graph_free(gr);
    return rc ? -1 : 0;
}

/* The CPU path: common/ad + nn + optim, the same loss. */
static void train_cpu(const GadMlpTrain *job, float *x, float *y) {
    const NnMlp *m = job->mlp;
    const int np = 2 * m->nlayers, in = m->layers[0].in, out = m->layers[m->nlayers - 1].out;
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
        AdTensor *ax = ad_from_array(ar, AD_F32, 2, (int[]){job->batch, in}, x);
        AdTensor *ay = ad_from_array(ar, AD_F32, 2, (int[]){job->batch, out}, y);
        AdTensor *d = ad_sub(ar, nn_mlp_forward(ar, m, ax), ay);
        AdTensor *loss = ad_mean(ar, ad_mul(ar, d, d));
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
