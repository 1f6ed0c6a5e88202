/* causal_transformer — see causal_transformer.h (L42 4.6, [eq:common.ct.block]). */
#include "common/causal_transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ad_causal_attention.h"
#include "common/util.h"

static AdTensor *vec_param(int n, double value) {
    AdTensor *t = ad_param_new(AD_F32, 1, (int[1]){n});
    for (int i = 0; i < n; i++) ad_f32(t)[i] = (float)value;
    return t;
}

void ct_init(CausalTransformer *m, int vocab, int context, int d_model, int heads, int layers, Rng *rng) {
    if (d_model % heads) die("ct_init: d_model %d not divisible by %d heads", d_model, heads);
    m->vocab = vocab, m->context = context, m->d_model = d_model, m->heads = heads, m->layers = layers;
    m->d_ff = 4 * d_model;
    m->tok_emb = ad_param_new(AD_F32, 2, (int[2]){vocab, d_model});
    m->pos_emb = ad_param_new(AD_F32, 2, (int[2]){context, d_model});
    for (long i = 0; i < m->tok_emb->size; i++) ad_f32(m->tok_emb)[i] = (float)(0.02 * rng_normal(rng));
    for (long i = 0; i < m->pos_emb->size; i++) ad_f32(m->pos_emb)[i] = (float)(0.02 * rng_normal(rng));
    m->block = xcalloc((size_t)layers, sizeof *m->block);
    for (int l = 0; l < layers; l++) {
        CtBlock *b = &m->block[l];
        b->ln1_w = vec_param(d_model, 1), b->ln1_b = vec_param(d_model, 0);
        b->ln2_w = vec_param(d_model, 1), b->ln2_b = vec_param(d_model, 0);
        NnLinear *lin[4] = {&b->q, &b->k, &b->v, &b->o};
        for (int j = 0; j < 4; j++) nn_linear_init(lin[j], d_model, d_model, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
        nn_linear_init(&b->ff1, d_model, m->d_ff, 1, AD_F32, NN_INIT_HE_UNIFORM, rng);
        nn_linear_init(&b->ff2, m->d_ff, d_model, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
    }
    m->lnf_w = vec_param(d_model, 1), m->lnf_b = vec_param(d_model, 0);
    nn_linear_init(&m->head, d_model, vocab, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
}

void ct_free(CausalTransformer *m) {
    ad_tensor_free(m->tok_emb), ad_tensor_free(m->pos_emb);
    for (int l = 0; l < m->layers; l++) {
        CtBlock *b = &m->block[l];
        ad_tensor_free(b->ln1_w), ad_tensor_free(b->ln1_b), ad_tensor_free(b->ln2_w), ad_tensor_free(b->ln2_b);
        nn_linear_free(&b->q), nn_linear_free(&b->k), nn_linear_free(&b->v), nn_linear_free(&b->o);
        nn_linear_free(&b->ff1), nn_linear_free(&b->ff2);
    }
    free(m->block);
    ad_tensor_free(m->lnf_w), ad_tensor_free(m->lnf_b);
    nn_linear_free(&m->head);
}

void ct_params(const CausalTransformer *m, const char *prefix, NnParams *out) {
    char name[128];
    nn_params_add(out, prefix, "tok_emb", m->tok_emb);
    nn_params_add(out, prefix, "pos_emb", m->pos_emb);
    for (int l = 0; l < m->layers; l++) {
        const CtBlock *b = &m->block[l];
        snprintf(name, sizeof name, "b%d.ln1.weight", l), nn_params_add(out, prefix, name, b->ln1_w);
        snprintf(name, sizeof name, "b%d.ln1.bias", l), nn_params_add(out, prefix, name, b->ln1_b);
        snprintf(name, sizeof name, "b%d.ln2.weight", l), nn_params_add(out, prefix, name, b->ln2_w);
        snprintf(name, sizeof name, "b%d.ln2.bias", l), nn_params_add(out, prefix, name, b->ln2_b);
        const NnLinear *lin[6] = {&b->q, &b->k, &b->v, &b->o, &b->ff1, &b->ff2};
        static const char *lname[6] = {"q", "k", "v", "o", "ff1", "ff2"};
        for (int j = 0; j < 6; j++) {
            char p2[160];
            snprintf(p2, sizeof p2, "%s.b%d.%s", prefix, l, lname[j]);
            nn_linear_params(lin[j], p2, out);
        }
    }
    nn_params_add(out, prefix, "lnf.weight", m->lnf_w);
    nn_params_add(out, prefix, "lnf.bias", m->lnf_b);
    char p2[160];
    snprintf(p2, sizeof p2, "%s.head", prefix);
    nn_linear_params(&m->head, p2, out);
}

/* (B*T, d) -> (B*H, T, dh) */
static AdTensor *split_heads(AdArena *arena, AdTensor *x, int B, int T, int H, int dh) {
    AdTensor *y = ad_reshape(arena, x, 4, (int[4]){B, T, H, dh});
    y = ad_swap_axes(arena, y, 1, 2);
    return ad_reshape(arena, y, 3, (int[3]){B * H, T, dh});
}

/* (B*H, T, dh) -> (B*T, d) */
static AdTensor *merge_heads(AdArena *arena, AdTensor *x, int B, int T, int H, int dh) {
    AdTensor *y = ad_reshape(arena, x, 4, (int[4]){B, H, T, dh});
    y = ad_swap_axes(arena, y, 1, 2);
    return ad_reshape(arena, y, 2, (int[2]){B * T, H * dh});
}

AdTensor *ct_logits(AdArena *arena, const CausalTransformer *m, const int *tokens, int B, int T) {
    if (T < 1 || T > m->context) die("ct_logits: length %d outside 1..%d", T, m->context);
    const int n = B * T, d = m->d_model, H = m->heads, dh = d / H;
    int *pos = ad_arena_alloc(arena, (size_t)n * sizeof *pos);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            if (tokens[b * T + i] < 0 || tokens[b * T + i] >= m->vocab) die("ct_logits: token %d outside the vocabulary", tokens[b * T + i]);
            pos[b * T + i] = i;
        }
    //: $h^{(0)}_i = E[x_i] + P[i]$
    AdTensor *h = ad_add(arena, ad_embedding(arena, m->tok_emb, tokens, n), ad_embedding(arena, m->pos_emb, pos, n));
    for (int l = 0; l < m->layers; l++) {
        const CtBlock *bk = &m->block[l];
        AdTensor *a = ad_group_norm(arena, h, 1, bk->ln1_w, bk->ln1_b, 1e-5);
        AdTensor *q = split_heads(arena, nn_linear_forward(arena, &bk->q, a), B, T, H, dh);
        AdTensor *k = split_heads(arena, nn_linear_forward(arena, &bk->k, a), B, T, H, dh);
        AdTensor *v = split_heads(arena, nn_linear_forward(arena, &bk->v, a), B, T, H, dh);
        //: $h \leftarrow h + W_O\,\mathrm{MHA}_\text{causal}(\mathrm{LN}(h))$, [eq:common.ct.block]
        AdTensor *att = merge_heads(arena, ad_causal_attention(arena, q, k, v), B, T, H, dh);
        h = ad_add(arena, h, nn_linear_forward(arena, &bk->o, att));
        AdTensor *f = ad_group_norm(arena, h, 1, bk->ln2_w, bk->ln2_b, 1e-5);
        //: $h \leftarrow h + W_2\,\mathrm{ReLU}(W_1\,\mathrm{LN}(h))$
        f = nn_linear_forward(arena, &bk->ff2, ad_relu(arena, nn_linear_forward(arena, &bk->ff1, f)));
        h = ad_add(arena, h, f);
    }
    h = ad_group_norm(arena, h, 1, m->lnf_w, m->lnf_b, 1e-5);
    return nn_linear_forward(arena, &m->head, h);
}

AdTensor *ct_nll(AdArena *arena, const CausalTransformer *m, const int *tokens, int B, int T) {
    /* inputs: tokens 0..T-2 of each row; targets: tokens 1..T-1 */
    int *in = ad_arena_alloc(arena, (size_t)B * (T - 1) * sizeof *in), *target = ad_arena_alloc(arena, (size_t)B * (T - 1) * sizeof *target);
    for (int b = 0; b < B; b++)
        for (int i = 0; i + 1 < T; i++) in[b * (T - 1) + i] = tokens[b * T + i], target[b * (T - 1) + i] = tokens[b * T + i + 1];
    //: $-\frac{1}{B(T-1)}\sum_{b,i}\log p(x_{i+1}\mid x_{\le i})$
    return ad_cross_entropy(arena, ct_logits(arena, m, in, B, T - 1), target);
}

int ct_sample_logits(const float *z, int k, double tau, Rng *rng) {
    double w[256], mx = -INFINITY;
    if (k > 256) die("ct_sample_logits: vocabulary %d > 256", k);
    for (int j = 0; j < k; j++) mx = fmax(mx, z[j] / tau);
    //: $p_j \propto e^{z_j/\tau - \max_l z_l/\tau}$
    for (int j = 0; j < k; j++) w[j] = exp(z[j] / tau - mx);
    return rng_categorical(rng, w, k);
}

void ct_sample(const CausalTransformer *m, int *tokens, int B, int T, int t0, double tau, Rng *rng) {
    if (t0 < 1 || T - 1 > m->context || tau <= 0) die("ct_sample: bad prefix %d, length %d or temperature %g", t0, T, tau);
    AdArena *arena = ad_arena_new(1 << 22);
    int *prefix = xmalloc((size_t)B * T * sizeof *prefix);
    for (int t = t0; t < T; t++) {
        ad_arena_reset(arena);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < t; i++) prefix[b * t + i] = tokens[b * T + i];
        AdTensor *z = ct_logits(arena, m, prefix, B, t);
        for (int b = 0; b < B; b++)
            //: append the sampled token (B12: the lecture's sampler never does); BOS = 0 is never drawn
            tokens[b * T + t] = 1 + ct_sample_logits(ad_f32(z) + ((size_t)b * t + t - 1) * m->vocab + 1, m->vocab - 1, tau, &rng[b]);
    }
    free(prefix);
    ad_arena_free(arena);
}
