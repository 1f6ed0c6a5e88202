/* gm_vqvae — see gm_vqvae.h. */
#include "common/gm_vqvae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void gm_vq_nearest(const AdTensor *z, const AdTensor *E, int n, int d, int k, int *idx, double *dist) {
    float *zf = xmalloc((size_t)n * d * sizeof *zf), *ef = xmalloc((size_t)k * d * sizeof *ef), *e2 = xmalloc((size_t)k * sizeof *e2);
    for (long i = 0; i < (long)n * d; i++) zf[i] = (float)ad_get(z, i);
    for (long i = 0; i < (long)k * d; i++) ef[i] = (float)ad_get(E, i);
    for (int c = 0; c < k; c++) {
        float s = 0;
        for (int j = 0; j < d; j++) s += ef[c * d + j] * ef[c * d + j];
        e2[c] = s;
    }
    for (int i = 0; i < n; i++) {
        const float *zi = zf + (size_t)i * d;
        float z2 = 0, best = INFINITY;
        for (int j = 0; j < d; j++) z2 += zi[j] * zi[j];
        int arg = 0;
        for (int c = 0; c < k; c++) {
            float dot = 0;
            for (int j = 0; j < d; j++) dot += zi[j] * ef[c * d + j];
            //: $\lVert z\rVert^2 + \lVert e_k\rVert^2 - 2z\cdot e_k$, [eq:L42.4.2.vq_nearest]
            const float dd = z2 + e2[c] - 2.0f * dot;
            if (dd < best) best = dd, arg = c;
        }
        idx[i] = arg;
        if (dist) dist[i] = best;
    }
    free(zf), free(ef), free(e2);
}

GmVqTerms gm_vq_terms(AdArena *arena, AdTensor *z_e, AdTensor *E, const int *idx, int n, int lecture) {
    GmVqTerms t;
    //: $z_q = e_{k^\star}$ (a gather: the gradient reaches the selected rows of $E$)
    AdTensor *z_q = ad_embedding(arena, E, idx, n);
    //: $z_q^{\text{st}} = z_e + \mathrm{sg}[z_q - z_e]$
    t.z_st = ad_add(arena, z_e, ad_detach(arena, ad_sub(arena, z_q, z_e)));
    //: $\lVert\mathrm{sg}[z_e] - z_q\rVert^2$ (lecture: $z_q^{\text{st}}$ in place of $z_q$)
    t.codebook = ad_sum(arena, ad_square(arena, ad_sub(arena, ad_detach(arena, z_e), lecture ? t.z_st : z_q)));
    //: $0.25\lVert z_e - \mathrm{sg}[z_q]\rVert^2$
    t.commit = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, z_e, ad_detach(arena, z_q)))), GM_VQ_COMMIT);
    return t;
}

static AdTensor *vq_encode_graph(AdArena *arena, const GmVq *v, const float *x, int n, int D, int *idx) {
    int shape[2] = {n, D}, ts[2] = {n * GM_VQ_T, GM_VQ_CD};
    AdTensor *z_e = ad_reshape(arena, nn_mlp_forward(arena, &v->enc, ad_from_array(arena, AD_F32, 2, shape, x)), 2, ts);
    gm_vq_nearest(z_e, v->codebook, n * GM_VQ_T, GM_VQ_CD, GM_VQ_K, idx, NULL);
    return z_e;
}

static AdTensor *vq_decode_graph(AdArena *arena, const GmVq *v, AdTensor *z, int n) {
    int s[2] = {n, GM_VQ_T * GM_VQ_CD};
    return ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, ad_reshape(arena, z, 2, s)));
}

static AdTensor *vq_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng, GmLoss *terms) {
    (void)player, (void)rng;
    GmVq *v = m->self;
    int *idx = ad_arena_alloc(arena, sizeof(int) * (size_t)n * GM_VQ_T), shape[2] = {n, m->dim};
    AdTensor *z_e = vq_encode_graph(arena, v, x, n, m->dim, idx);
    GmVqTerms t = gm_vq_terms(arena, z_e, v->codebook, idx, n * GM_VQ_T, v->lecture);
    //: $\lVert x - \mathrm{Dec}(z_q^{\text{st}})\rVert^2$, [eq:L42.4.2.vq_loss]
    AdTensor *recon = ad_sum(arena, ad_square(arena, ad_sub(arena, vq_decode_graph(arena, v, t.z_st, n),
                                                            ad_from_array(arena, AD_F32, 2, shape, x))));
    if (terms) {
        terms->nterms = 3;
        terms->name[0] = "recon", terms->value[0] = ad_item(recon) / n;
        terms->name[1] = "codebook", terms->value[1] = ad_item(t.codebook) / n;
        terms->name[2] = "commit", terms->value[2] = ad_item(t.commit) / n;
    }
    return ad_scale(arena, ad_add(arena, recon, ad_add(arena, t.codebook, t.commit)), 1.0 / n);
}

/* codes (n x GM_VQ_T ints as floats, the rows the prior is trained on) */
static void vq_encode(GenModel *m, const float *x, int n, float *codes) {
    GmVq *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int *idx = xmalloc(sizeof(int) * (size_t)n * GM_VQ_T);
    vq_encode_graph(arena, v, x, n, m->dim, idx);
    for (long i = 0; i < (long)n * GM_VQ_T; i++) codes[i] = (float)idx[i];
    free(idx);
    ad_arena_free(arena);
}

static void vq_decode(GenModel *m, const float *codes, int n, float *x_out) {
    GmVq *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int *idx = xmalloc(sizeof(int) * (size_t)n * GM_VQ_T);
    for (long i = 0; i < (long)n * GM_VQ_T; i++) idx[i] = (int)codes[i];
    AdTensor *x = vq_decode_graph(arena, v, ad_embedding(arena, v->codebook, idx, n * GM_VQ_T), n);
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    free(idx);
    ad_arena_free(arena);
}

static void vq_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    GmVq *v = m->self;
    if (!v->prior) die("vq_sample: no prior over codes fitted (B7)");
    float *codes = xmalloc((size_t)n * GM_VQ_T * sizeof *codes);
    v->prior->vt->sample(v->prior, n, codes, rng);
    vq_decode(m, codes, n, x_out);
    free(codes);
}

static void vq_destroy(GenModel *m) {
    GmVq *v = m->self;
    nn_mlp_free(&v->enc), nn_mlp_free(&v->dec);
    ad_tensor_free(v->codebook);
    free(v);
}

static const GenModelVT VQ_VT = {
    .name = "VQ-VAE", .family = GM_FAM_VAE, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = vq_train_step, .sample = vq_sample, .encode = vq_encode, .decode = vq_decode, .destroy = vq_destroy,
};

void gm_vqvae_init(GenModel *m, int D, const float *train, int n_train, int lecture, uint64_t seed, uint64_t stream) {
    GmVq *v = xcalloc(1, sizeof *v);
    v->lecture = lecture;
    Rng init;
    rng_init(&init, seed, stream);
    int we[3] = {D, GM_VQ_HID, GM_VQ_T * GM_VQ_CD}, wd[3] = {GM_VQ_T * GM_VQ_CD, GM_VQ_HID, D}, es[2] = {GM_VQ_K, GM_VQ_CD};
    nn_mlp_init(&v->enc, 2, we, NN_ACT_RELU, AD_F32, &init);
    nn_mlp_init(&v->dec, 2, wd, NN_ACT_RELU, AD_F32, &init);
    v->codebook = ad_param_new(AD_F32, 2, es);
    /* codebook <- encoder outputs of random training tokens */
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n_train, D};
    AdTensor *z = nn_mlp_forward(arena, &v->enc, ad_from_array(arena, AD_F32, 2, shape, train));
    for (int c = 0; c < GM_VQ_K; c++) {
        const long tok = (long)rng_below(&init, (uint32_t)(n_train * GM_VQ_T));
        for (int j = 0; j < GM_VQ_CD; j++) ad_set(v->codebook, (long)c * GM_VQ_CD + j, ad_get(z, tok * GM_VQ_CD + j));
    }
    ad_arena_free(arena);
    gm_init(m, &VQ_VT, v, D);
    nn_mlp_params(&v->enc, "enc", &m->player[0].params);
    nn_mlp_params(&v->dec, "dec", &m->player[0].params);
    nn_params_add(&m->player[0].params, "vq", "codebook", v->codebook);
}

AdTensor *gm_vq_prior_logits(AdArena *arena, const GmVqPrior *p, const int *codes, int n, int t) {
    if (t == 0) {
        int s[2] = {n, GM_VQ_K};
        return ad_add(arena, ad_input(arena, AD_F32, 2, s), p->first);
    }
    AdTensor *h = NULL;
    int *col = ad_arena_alloc(arena, sizeof(int) * (size_t)n);
    for (int s = 0; s < t; s++) {
        for (int i = 0; i < n; i++) col[i] = codes[i * GM_VQ_T + s];
        AdTensor *e = ad_embedding(arena, p->emb[t][s], col, n);
        h = h ? ad_add(arena, h, e) : e;
    }
    //: $W_t\,\mathrm{relu}(b_t + \sum_{s<t}A_{t,s}[c_s]) + a_t$, [eq:L42.4.2.vq_prior]
    return nn_linear_forward(arena, &p->out[t], ad_relu(arena, ad_add(arena, h, p->hbias[t])));
}

static AdTensor *prior_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    int *codes = ad_arena_alloc(arena, sizeof(int) * (size_t)n * GM_VQ_T), *col = ad_arena_alloc(arena, sizeof(int) * (size_t)n);
    for (long i = 0; i < (long)n * GM_VQ_T; i++) codes[i] = (int)x[i];
    AdTensor *nll = NULL;
    for (int t = 0; t < GM_VQ_T; t++) {
        for (int i = 0; i < n; i++) col[i] = codes[i * GM_VQ_T + t];
        //: $-\frac1B\sum_b\log p(c_{b,t}\mid c_{b,<t})$, [eq:L42.4.2.vq_prior]
        AdTensor *ce = ad_cross_entropy(arena, gm_vq_prior_logits(arena, m->self, codes, n, t), col);
        nll = nll ? ad_add(arena, nll, ce) : ce;
    }
    return nll;
}

/* log p(c) in nats for n code tuples (as floats) */
static void prior_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 22);
    int *codes = xmalloc(sizeof(int) * (size_t)n * GM_VQ_T);
    for (long i = 0; i < (long)n * GM_VQ_T; i++) codes[i] = (int)x[i];
    for (int i = 0; i < n; i++) lp[i] = 0;
    for (int t = 0; t < GM_VQ_T; t++) {
        AdTensor *ls = ad_log_softmax(arena, gm_vq_prior_logits(arena, m->self, codes, n, t));
        for (int i = 0; i < n; i++) lp[i] += ad_get(ls, (long)i * GM_VQ_K + codes[i * GM_VQ_T + t]);
    }
    free(codes);
    ad_arena_free(arena);
}

static void prior_sample(GenModel *m, int n, float *out, Rng *rng) {
    AdArena *arena = ad_arena_new(1 << 22);
    int *codes = xcalloc((size_t)n * GM_VQ_T, sizeof *codes);
    double *w = xmalloc(GM_VQ_K * sizeof *w);
    for (int t = 0; t < GM_VQ_T; t++) {
        ad_arena_reset(arena);
        AdTensor *pr = ad_softmax(arena, gm_vq_prior_logits(arena, m->self, codes, n, t));
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < GM_VQ_K; c++) w[c] = ad_get(pr, (long)i * GM_VQ_K + c);
            //: $c_t\sim p(\cdot\mid c_{<t})$ (ancestral)
            codes[i * GM_VQ_T + t] = rng_categorical(rng, w, GM_VQ_K);
        }
    }
    for (long i = 0; i < (long)n * GM_VQ_T; i++) out[i] = (float)codes[i];
    free(codes), free(w);
    ad_arena_free(arena);
}

static void prior_destroy(GenModel *m) {
    GmVqPrior *p = m->self;
    ad_tensor_free(p->first);
    for (int t = 0; t < GM_VQ_T; t++) {
        for (int s = 0; s < t; s++) ad_tensor_free(p->emb[t][s]);
        if (t) ad_tensor_free(p->hbias[t]), nn_linear_free(&p->out[t]);
    }
    free(p);
}

static const GenModelVT PRIOR_VT = {
    .name = "VQ code prior (AR)", .family = GM_FAM_AR, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK,
    .train_step = prior_train_step, .sample = prior_sample, .log_likelihood = prior_log_likelihood,
    .destroy = prior_destroy,
};

void gm_vq_prior_init(GenModel *m, Rng *rng) {
    GmVqPrior *p = xcalloc(1, sizeof *p);
    int s1[2] = {1, GM_VQ_K}, se[2] = {GM_VQ_K, GM_VQ_PH}, sh[1] = {GM_VQ_PH};
    p->first = ad_param_new(AD_F32, 2, s1);
    gm_init(m, &PRIOR_VT, p, GM_VQ_T);
    nn_params_add(&m->player[0].params, "prior", "first", p->first);
    for (int t = 1; t < GM_VQ_T; t++) {
        char name[32];
        for (int s = 0; s < t; s++) {
            p->emb[t][s] = ad_param_new(AD_F32, 2, se);
            for (long i = 0; i < (long)GM_VQ_K * GM_VQ_PH; i++) ad_set(p->emb[t][s], i, 0.1 * rng_normal(rng));
            snprintf(name, sizeof name, "emb%d%d", t, s);
            nn_params_add(&m->player[0].params, "prior", name, p->emb[t][s]);
        }
        p->hbias[t] = ad_param_new(AD_F32, 1, sh);
        snprintf(name, sizeof name, "hbias%d", t);
        nn_params_add(&m->player[0].params, "prior", name, p->hbias[t]);
        nn_linear_init(&p->out[t], GM_VQ_PH, GM_VQ_K, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
        snprintf(name, sizeof name, "out%d", t);
        nn_linear_params(&p->out[t], name, &m->player[0].params);
    }
}

