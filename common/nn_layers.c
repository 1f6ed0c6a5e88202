/* nn_layers — Linear, MLP, Conv2d, GroupNorm, and the sinusoidal time embedding (maths in nn.h).
   Each module: an _init that makes and initialises its parameters, a _forward that builds the
   output from ad ops (the ops carry the backward pass), a _params that lists them with names,
   and a _free. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/nn.h"
#include "common/util.h"

AdTensor *nn_activation(AdArena *arena, AdTensor *x, NnActivation act) {
    switch (act) {
    case NN_ACT_IDENTITY: return x;
    case NN_ACT_TANH: return ad_tanh(arena, x);
    case NN_ACT_RELU: return ad_relu(arena, x);
    case NN_ACT_SILU: return ad_silu(arena, x);
    }
    die("nn_activation: unknown activation %d", (int)act);
}

const char *nn_activation_name(NnActivation act) {
    switch (act) {
    case NN_ACT_IDENTITY: return "identity";
    case NN_ACT_TANH: return "tanh";
    case NN_ACT_RELU: return "relu";
    case NN_ACT_SILU: return "silu";
    }
    return "?";
}

/* ---- Linear ---- */

void nn_linear_init(NnLinear *m, int in, int out, int with_bias, AdDtype dtype, NnInit scheme,
                    Rng *rng) {
    if (in <= 0 || out <= 0) die("nn_linear_init: bad sizes %d -> %d", in, out);
    m->in = in;
    m->out = out;
    m->weight = ad_param_new(dtype, 2, (int[]){in, out});
    nn_init_apply(m->weight, scheme, in, out, rng);
    m->bias = with_bias ? ad_param_new(dtype, 1, (int[]){out}) : NULL; /* zeros */
}

//: $y = xW + b$, x (N,in) -> (N,out)
AdTensor *nn_linear_forward(AdArena *arena, const NnLinear *m, AdTensor *x) {
    return ad_linear(arena, x, m->weight, m->bias);
}

void nn_linear_params(const NnLinear *m, const char *prefix, NnParams *out) {
    nn_params_add(out, prefix, "weight", m->weight);
    if (m->bias) nn_params_add(out, prefix, "bias", m->bias);
}

void nn_linear_free(NnLinear *m) {
    ad_tensor_free(m->weight);
    ad_tensor_free(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- MLP ---- */

void nn_mlp_init(NnMlp *m, int nlayers, const int *widths, NnActivation act, AdDtype dtype,
                 Rng *rng) {
    if (nlayers < 1) die("nn_mlp_init: need at least one layer");
    m->nlayers = nlayers;
    m->act = act;
    m->layers = xcalloc((size_t)nlayers, sizeof *m->layers);
    /* Glorot suits tanh and linear maps; He makes up for the half that relu/silu discard */
    NnInit scheme = (act == NN_ACT_RELU || act == NN_ACT_SILU) ? NN_INIT_HE_UNIFORM
                                                               : NN_INIT_GLOROT_UNIFORM;
    for (int l = 0; l < nlayers; l++)
        nn_linear_init(&m->layers[l], widths[l], widths[l + 1], 1, dtype,
                       l == nlayers - 1 ? NN_INIT_GLOROT_UNIFORM : scheme, rng);
}

//: $h_0 = x$, $h_{l+1} = \sigma(h_l W_l + b_l)$, no $\sigma$ after the last layer
AdTensor *nn_mlp_forward(AdArena *arena, const NnMlp *m, AdTensor *x) {
    AdTensor *h = x;
    for (int l = 0; l < m->nlayers; l++) {
        h = nn_linear_forward(arena, &m->layers[l], h);
        if (l < m->nlayers - 1) h = nn_activation(arena, h, m->act);
    }
    return h;
}

void nn_mlp_params(const NnMlp *m, const char *prefix, NnParams *out) {
    char index[16], buf[256];
    for (int l = 0; l < m->nlayers; l++) {
        snprintf(index, sizeof index, "%d", l);
        nn_linear_params(&m->layers[l], nn_join_name(buf, sizeof buf, prefix, index), out);
    }
}

void nn_mlp_free(NnMlp *m) {
    for (int l = 0; l < m->nlayers; l++) nn_linear_free(&m->layers[l]);
    free(m->layers);
    m->layers = NULL;
    m->nlayers = 0;
}

/* ---- Conv2d ---- */

void nn_conv2d_init(NnConv2d *m, int in, int out, int k, int stride, int pad, int with_bias,
                    AdDtype dtype, NnInit scheme, Rng *rng) {
    if (in <= 0 || out <= 0 || k <= 0 || stride <= 0 || pad < 0)
        die("nn_conv2d_init: bad arguments in=%d out=%d k=%d stride=%d pad=%d", in, out, k,
            stride, pad);
    m->in = in;
    m->out = out;
    m->k = k;
    m->stride = stride;
    m->pad = pad;
    m->weight = ad_param_new(dtype, 4, (int[]){out, in, k, k});
    /* a k x k kernel sees in*k*k inputs and each input reaches out*k*k outputs */
    nn_init_apply(m->weight, scheme, in * k * k, out * k * k, rng);
    m->bias = with_bias ? ad_param_new(dtype, 1, (int[]){out}) : NULL;
}

AdTensor *nn_conv2d_forward(AdArena *arena, const NnConv2d *m, AdTensor *x) {
    return ad_conv2d(arena, x, m->weight, m->bias, m->stride, m->pad);
}

void nn_conv2d_params(const NnConv2d *m, const char *prefix, NnParams *out) {
    nn_params_add(out, prefix, "weight", m->weight);
    if (m->bias) nn_params_add(out, prefix, "bias", m->bias);
}

void nn_conv2d_free(NnConv2d *m) {
    ad_tensor_free(m->weight);
    ad_tensor_free(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- GroupNorm ---- */

void nn_group_norm_init(NnGroupNorm *m, int groups, int channels, AdDtype dtype) {
    if (groups <= 0 || channels % groups != 0)
        die("nn_group_norm_init: %d channels not divisible into %d groups", channels, groups);
    m->groups = groups;
    m->channels = channels;
    m->eps = 1e-5;
    m->weight = ad_param_new(dtype, 1, (int[]){channels});
    nn_init_constant(m->weight, 1.0); /* gamma = 1, beta = 0: the plain normalisation */
    m->bias = ad_param_new(dtype, 1, (int[]){channels});
}

//: $y = \gamma_c\,(x - \mu_g)/\sqrt{\sigma_g^2 + \epsilon} + \beta_c$
AdTensor *nn_group_norm_forward(AdArena *arena, const NnGroupNorm *m, AdTensor *x) {
    return ad_group_norm(arena, x, m->groups, m->weight, m->bias, m->eps);
}

void nn_group_norm_params(const NnGroupNorm *m, const char *prefix, NnParams *out) {
    nn_params_add(out, prefix, "weight", m->weight);
    nn_params_add(out, prefix, "bias", m->bias);
}

void nn_group_norm_free(NnGroupNorm *m) {
    ad_tensor_free(m->weight);
    ad_tensor_free(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- sinusoidal time embedding ---- */

void nn_time_embedding_values(double t, int dim, double *out) {
    if (dim <= 0 || dim % 2 != 0) die("nn_time_embedding: width %d must be even", dim);
    for (int i = 0; i < dim / 2; i++) {
        //: $\omega_i = 10000^{-2i/d}$; $\mathrm{emb}_{2i} = \sin\omega_i t$, $\mathrm{emb}_{2i+1} = \cos\omega_i t$
        double omega = pow(10000.0, -2.0 * i / dim);
        out[2 * i] = sin(omega * t);
        out[2 * i + 1] = cos(omega * t);
    }
}

AdTensor *nn_time_embedding(AdArena *arena, AdDtype dtype, const double *t, int n, int dim) {
    AdTensor *e = ad_input(arena, dtype, 2, (int[]){n, dim});
    double *row = xmalloc((size_t)dim * sizeof *row);
    for (int s = 0; s < n; s++) {
        nn_time_embedding_values(t[s], dim, row);
        for (int j = 0; j < dim; j++) ad_set(e, (long)s * dim + j, row[j]);
    }
    free(row);
    return e;
}
