/*: # L42 4.2 — VQ-VAE: a codebook that learns, and a prior over codes

**Lecture 42, Part 2, section 4.2** (VQ-VAE of the VAE family), with the checks of spec §3
item 7. A VQ-VAE encodes an image into a few vectors $z_e$, replaces each by its nearest entry of a
learned codebook $E$, and decodes the result. Two things in the lecture's version do not work:
its codebook loss is written on the straight-through tensor, so its gradient reaches the encoder
and never the codebook (B5: the codebook stays where it was initialised), and its `sample` and
negative log-likelihood need a prior over codes that is never described (B7).

What you will see: the nearest-code search by the expansion
$\lVert z-e\rVert^2 = \lVert z\rVert^2+\lVert e\rVert^2-2z\cdot e$ against brute force; the lecture's hand
example; the straight-through gradient; the codebook gradient of the correct loss against its
closed form and finite differences, and the lecture's, which is exactly zero; a VQ-VAE on the 8x8
digits trained through `common/genmodel`'s shared loop (codebook usage, reconstruction), the same
training with the lecture's loss (the codebook does not move); and an autoregressive prior over
the 4 codes of an image, fitted by the same loop, from which new digits are sampled.
Figures: `vq_recon.png` (test digits and reconstructions), `vq_samples.png` (prior samples).

Run: `build/release/bin/lectures/42_unified/04_vqvae [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | (n, 64) |
| $z_e$ (encoder output, 4 tokens) | `z_e` | (4n, 16) |
| $E$ (codebook) | `Vq.codebook` | (K, 16), K = 512 |
| $k^\star$ (nearest code) | `idx` | (4n) |
| $z_q = e_{k^\star}$ | `z_q` | (4n, 16) |
| $z_q^{\text{st}}$ | `z_st` | (4n, 16) |
| $p(c_t\mid c_{<t})$ (prior) | `Prior` | (n, K) per token |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/genmodel.h"
#include "common/image.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 4, CD = 16, KCODES = 512, HID = 128 };
static const double COMMIT = 0.25; /* the lecture's commitment weight */

/*: ## 4.2 Nearest code by the distance expansion

$$ \lVert z_e - e_k\rVert^2 = \lVert z_e\rVert^2 + \lVert e_k\rVert^2 - 2\,z_e\cdot e_k,\qquad
   k^\star = \arg\min_k \lVert z_e - e_k\rVert^2,\qquad z_q = e_{k^\star} . $$ {#eq:L42.4.2.vq_nearest}

The expansion turns the search into one matrix product ($B\times D$ by $D\times K$); in float it
loses digits when $\lVert z\rVert^2$ and $2z\cdot e$ nearly cancel, so it is compared with the direct
sum of squared differences in double.
*/
/* z (n x d), codebook (k x d), both read through ad_get; idx (n) and the distance (n, may be NULL). */
static void vq_nearest(const AdTensor *z, const AdTensor *E, int n, int d, int k, int *idx, double *dist) {
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

static void section_nearest(const Cli *cli) {
    enum { B = 256, D = 16 };
    Rng r;
    rng_init(&r, cli->seed, 1);
    AdArena *arena = ad_arena_new(1 << 20);
    int zs[2] = {B, D}, es[2] = {KCODES, D};
    AdTensor *z = ad_input(arena, AD_F32, 2, zs), *E = ad_input(arena, AD_F32, 2, es);
    rng_normal_fill_f(&r, ad_f32(z), B * D), rng_normal_fill_f(&r, ad_f32(E), (size_t)KCODES * D);
    int idx[B];
    double dist[B], worst = 0;
    vq_nearest(z, E, B, D, KCODES, idx, dist);
    int mism = 0;
    for (int i = 0; i < B; i++) {
        double best = INFINITY;
        int arg = 0;
        for (int c = 0; c < KCODES; c++) {
            double s = 0;
            for (int j = 0; j < D; j++) {
                const double t = (double)ad_f32(z)[i * D + j] - ad_f32(E)[c * D + j];
                s += t * t;
            }
            if (s < best) best = s, arg = c;
        }
        mism += arg != idx[i];
        worst = fmax(worst, fabs(best - dist[i]));
    }
    check_true("L42.4.2.vq_argmin_vs_brute", mism == 0, "argmin by the float expansion = brute-force double argmin for %d of %d (K=%d, D=%d)",
               B - mism, B, KCODES, D);
    check_le("L42.4.2.vq_dist_vs_brute", worst, 1e-4, 0, "L42.4.2.vq_nearest", "max |expanded float distance - direct double distance|");
    ad_arena_free(arena);
}

/*: ## The VQ loss, the straight-through estimator, and where the codebook gradient goes (B5)

The decoder sees $z_q^{\text{st}} = z_e + \operatorname{sg}[z_q - z_e]$: its value is $z_q$, its
gradient passes to $z_e$ unchanged. The loss of one image is

$$ \mathcal L_{\text{VQ}} = \lVert x - \mathrm{Dec}(z_q^{\text{st}})\rVert^2
   + \lVert \operatorname{sg}[z_e] - z_q\rVert^2 + 0.25\,\lVert z_e - \operatorname{sg}[z_q]\rVert^2 , $$ {#eq:L42.4.2.vq_loss}

the second term (codebook) moving the codes towards the encoder outputs assigned to them,
$\partial/\partial e_k = \sum_{i:k^\star_i = k} 2(e_k - z_{e,i})$, the third (commitment) the encoder
towards its codes. The lecture writes the codebook term with $z_q^{\text{st}}$ in place of $z_q$:
the value is the same, but $z_q^{\text{st}}$ depends on $E$ only inside $\operatorname{sg}$, so
$\partial/\partial E = 0$ and the codebook never learns.
*/
typedef struct {
    AdTensor *z_st, *codebook, *commit;
} VqTerms;

//: [eq:L42.4.2.vq_loss]: the quantiser terms, summed over tokens (divide by the batch outside)
static VqTerms vq_terms(AdArena *arena, AdTensor *z_e, AdTensor *E, const int *idx, int n, int lecture) {
    VqTerms t;
    //: $z_q = e_{k^\star}$ (a gather: the gradient reaches the selected rows of $E$)
    AdTensor *z_q = ad_embedding(arena, E, idx, n);
    //: $z_q^{\text{st}} = z_e + \mathrm{sg}[z_q - z_e]$
    t.z_st = ad_add(arena, z_e, ad_detach(arena, ad_sub(arena, z_q, z_e)));
    //: $\lVert\mathrm{sg}[z_e] - z_q\rVert^2$ (lecture: $z_q^{\text{st}}$ in place of $z_q$)
    t.codebook = ad_sum(arena, ad_square(arena, ad_sub(arena, ad_detach(arena, z_e), lecture ? t.z_st : z_q)));
    //: $0.25\lVert z_e - \mathrm{sg}[z_q]\rVert^2$
    t.commit = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, z_e, ad_detach(arena, z_q)))), COMMIT);
    return t;
}

static void section_ste_and_grads(const Cli *cli) {
    AdArena *arena = ad_arena_new(1 << 20);
    /* the hand example */
    int s12[2] = {1, 2}, s22[2] = {2, 2};
    const double ze_v[2] = {0.9, 0}, E_v[4] = {0, 0, 2, 0};
    AdTensor *ze = ad_from_doubles(arena, AD_F64, 2, s12, ze_v), *Eh = ad_from_doubles(arena, AD_F64, 2, s22, E_v);
    int k;
    vq_nearest(ze, Eh, 1, 2, 2, &k, NULL);
    VqTerms h = vq_terms(arena, ze, Eh, &k, 1, 0);
    check_true("L42.4.2.vq_hand_argmin", k == 0, "z_e=(0.9,0), e0=(0,0), e1=(2,0): nearest code %d (expect 0)", k);
    check_close("L42.4.2.vq_hand_codebook", ad_item(h.codebook), 0.81, 1e-12, "L42.4.2.vq_loss", "codebook loss of the hand example");
    check_close("L42.4.2.vq_hand_commit", ad_item(h.commit), 0.2025, 1e-12, "L42.4.2.vq_loss", "commitment loss 0.25 * 0.81");

    /* random double example: B = 8 vectors of D = 4, K = 5 codes */
    enum { B = 8, D = 4, K = 5 };
    Rng r;
    rng_init(&r, cli->seed, 2);
    int zs[2] = {B, D}, es[2] = {K, D};
    AdTensor *z = ad_param_new(AD_F64, 2, zs), *E = ad_param_new(AD_F64, 2, es);
    double w[B * D], zv[B * D], ev[K * D];
    for (int i = 0; i < B * D; i++) ad_set(z, i, zv[i] = rng_normal(&r)), w[i] = rng_normal(&r);
    for (int i = 0; i < K * D; i++) ad_set(E, i, ev[i] = rng_normal(&r));
    int idx[B];
    vq_nearest(z, E, B, D, K, idx, NULL);
    AdTensor *ps[2] = {z, E};
    /* STE: d(w . z_st)/dz_e = w */
    ad_arena_reset(arena);
    VqTerms t = vq_terms(arena, z, E, idx, B, 0);
    ad_zero_grad(ps, 2);
    ad_backward(arena, ad_sum(arena, ad_mul(arena, t.z_st, ad_from_doubles(arena, AD_F64, 2, zs, w))));
    double err = 0;
    for (int i = 0; i < B * D; i++) err = fmax(err, fabs(ad_grad_get(z, i) - w[i]));
    check_close("L42.4.2.vq_ste_identity", err, 0.0, 1e-15, "L42.4.2.vq_loss", "straight-through: max |d(w.z_q^st)/dz_e - w|");
    /* codebook gradient: correct loss vs closed form vs FD; the lecture's is zero */
    double g_an[K * D] = {0}, err_an = 0, err_fd = 0, g_norm = 0, lec_norm = 0;
    for (int i = 0; i < B; i++)
        //: $\partial/\partial e_k = \sum_{i:k^\star_i=k} 2(e_k - z_{e,i})$
        for (int j = 0; j < D; j++) g_an[idx[i] * D + j] += 2.0 * (ev[idx[i] * D + j] - zv[i * D + j]);
    ad_arena_reset(arena);
    t = vq_terms(arena, z, E, idx, B, 0);
    ad_zero_grad(ps, 2);
    ad_backward(arena, t.codebook);
    const double hstep = 1e-6;
    for (int c = 0; c < K * D; c++) {
        /* central difference of the codebook loss, assignments held fixed */
        double lp = 0, lm = 0;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < D; j++) {
                const int cc = idx[i] * D + j;
                const double e = ev[cc] + (cc == c ? hstep : 0), em = ev[cc] - (cc == c ? hstep : 0);
                lp += (zv[i * D + j] - e) * (zv[i * D + j] - e), lm += (zv[i * D + j] - em) * (zv[i * D + j] - em);
            }
        err_an = fmax(err_an, fabs(ad_grad_get(E, c) - g_an[c]));
        err_fd = fmax(err_fd, fabs(ad_grad_get(E, c) - (lp - lm) / (2 * hstep)));
        g_norm += g_an[c] * g_an[c];
    }
    check_close("L42.4.2.vq_codebook_grad_closed_form", err_an, 0.0, 1e-12, "L42.4.2.vq_loss",
                "autodiff d(codebook loss)/dE vs sum over assigned inputs of 2(e_k - z_e): max difference");
    check_close("L42.4.2.vq_codebook_grad_fd", err_fd, 0.0, 1e-4, "L42.4.2.vq_loss",
                "autodiff d(codebook loss)/dE vs central differences (h=1e-6): max difference");
    ad_arena_reset(arena);
    t = vq_terms(arena, z, E, idx, B, 1);
    ad_zero_grad(ps, 2);
    ad_backward(arena, t.codebook);
    for (int c = 0; c < K * D; c++) lec_norm += ad_grad_get(E, c) * ad_grad_get(E, c);
    check_erratum("L42.4.2.vq_lecture_codebook_grad", sqrt(lec_norm), sqrt(g_norm),
                  "B5: |d/dE| of the lecture's codebook term (written on z_q^st) vs the correct term's, same inputs");
    ad_tensor_free(z), ad_tensor_free(E);
    ad_arena_free(arena);
}

/* ---------------------------------------------------------------------------------------- */
/*: ## A VQ-VAE on the digits

Encoder $64\to128\to4\times16$ (4 tokens of dimension 16), $K = 512$ codes (the lecture's value),
decoder $64\to128\to64$ with a sigmoid; the loss [eq:L42.4.2.vq_loss] per image, averaged over the
batch. The codebook starts at 512 encoder outputs of training digits (a common remedy for codes
that no input ever selects). Usage is measured by the perplexity
$\exp\big(-\sum_k \hat p_k\log\hat p_k\big)$ of the code frequencies over the training set (1 when
one code takes everything, $K$ when all are used equally).
*/
typedef struct {
    NnMlp enc, dec;
    AdTensor *codebook; /* (K, CD) */
    int lecture;        /* train with the lecture's codebook term (B5) */
    GenModel *prior;    /* for sample(): NULL until fitted */
} Vq;

static AdTensor *vq_encode_graph(AdArena *arena, const Vq *v, const float *x, int n, int D, int *idx) {
    int shape[2] = {n, D}, ts[2] = {n * T, CD};
    AdTensor *z_e = ad_reshape(arena, nn_mlp_forward(arena, &v->enc, ad_from_array(arena, AD_F32, 2, shape, x)), 2, ts);
    vq_nearest(z_e, v->codebook, n * T, CD, KCODES, idx, NULL);
    return z_e;
}

static AdTensor *vq_decode_graph(AdArena *arena, const Vq *v, AdTensor *z, int n) {
    int s[2] = {n, T * CD};
    return ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, ad_reshape(arena, z, 2, s)));
}

static AdTensor *vq_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng, GmLoss *terms) {
    (void)player, (void)rng;
    Vq *v = m->self;
    int *idx = ad_arena_alloc(arena, sizeof(int) * (size_t)n * T), shape[2] = {n, m->dim};
    AdTensor *z_e = vq_encode_graph(arena, v, x, n, m->dim, idx);
    VqTerms t = vq_terms(arena, z_e, v->codebook, idx, n * T, v->lecture);
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

/* codes (n x T ints as floats, the rows the prior is trained on) */
static void vq_encode(GenModel *m, const float *x, int n, float *codes) {
    Vq *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int *idx = xmalloc(sizeof(int) * (size_t)n * T);
    vq_encode_graph(arena, v, x, n, m->dim, idx);
    for (long i = 0; i < (long)n * T; i++) codes[i] = (float)idx[i];
    free(idx);
    ad_arena_free(arena);
}

static void vq_decode(GenModel *m, const float *codes, int n, float *x_out) {
    Vq *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int *idx = xmalloc(sizeof(int) * (size_t)n * T);
    for (long i = 0; i < (long)n * T; i++) idx[i] = (int)codes[i];
    AdTensor *x = vq_decode_graph(arena, v, ad_embedding(arena, v->codebook, idx, n * T), n);
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    free(idx);
    ad_arena_free(arena);
}

static void vq_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    Vq *v = m->self;
    if (!v->prior) die("vq_sample: no prior over codes fitted (B7)");
    float *codes = xmalloc((size_t)n * T * sizeof *codes);
    v->prior->vt->sample(v->prior, n, codes, rng);
    vq_decode(m, codes, n, x_out);
    free(codes);
}

static void vq_destroy(GenModel *m) {
    Vq *v = m->self;
    nn_mlp_free(&v->enc), nn_mlp_free(&v->dec);
    ad_tensor_free(v->codebook);
    free(v);
}

static const GenModelVT VQ_VT = {
    .name = "VQ-VAE", .family = GM_FAM_VAE, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = vq_train_step, .sample = vq_sample, .encode = vq_encode, .decode = vq_decode, .destroy = vq_destroy,
};

static void vq_model_init(GenModel *m, int D, const float *train, int n_train, int lecture, const Cli *cli) {
    Vq *v = xcalloc(1, sizeof *v);
    v->lecture = lecture;
    Rng init;
    rng_init(&init, cli->seed, 10);
    int we[3] = {D, HID, T * CD}, wd[3] = {T * CD, HID, D}, es[2] = {KCODES, CD};
    nn_mlp_init(&v->enc, 2, we, NN_ACT_RELU, AD_F32, &init);
    nn_mlp_init(&v->dec, 2, wd, NN_ACT_RELU, AD_F32, &init);
    v->codebook = ad_param_new(AD_F32, 2, es);
    /* codebook <- encoder outputs of random training tokens */
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n_train, D};
    AdTensor *z = nn_mlp_forward(arena, &v->enc, ad_from_array(arena, AD_F32, 2, shape, train));
    for (int c = 0; c < KCODES; c++) {
        const long tok = (long)rng_below(&init, (uint32_t)(n_train * T));
        for (int j = 0; j < CD; j++) ad_set(v->codebook, (long)c * CD + j, ad_get(z, tok * CD + j));
    }
    ad_arena_free(arena);
    gm_init(m, &VQ_VT, v, D);
    nn_mlp_params(&v->enc, "enc", &m->player[0].params);
    nn_mlp_params(&v->dec, "dec", &m->player[0].params);
    nn_params_add(&m->player[0].params, "vq", "codebook", v->codebook);
}

/*: ## A prior over codes (B7)

Sampling a VQ-VAE, and giving it a likelihood, needs a distribution over the code tuples
$c = (c_1,\dots,c_4)$ the encoder produces; the lecture uses one without defining it. Here it is
autoregressive,

$$ p(c) = \prod_{t=1}^{4} p(c_t\mid c_{<t}),\qquad
   p(\cdot\mid c_{<t}) = \operatorname{softmax}\Big(W_t\,\mathrm{relu}\big(b_t + \textstyle\sum_{s<t} A_{t,s}[c_s]\big) + a_t\Big), $$ {#eq:L42.4.2.vq_prior}

($A_{t,s}$ embedding tables; $p(c_1)$ a free softmax), a GenModel of its own fitted by `gm_train`
on the training set's codes by maximum likelihood, and sampled ancestrally. Its held-out negative
log-likelihood in nats per image is the code part of the VQ-VAE's NLL; the uniform prior's is
$4\log 512 = 24.95$.
*/
enum { PH = 32 };
typedef struct {
    AdTensor *first;          /* (1, K) logits of c_1 */
    AdTensor *emb[T][T];      /* emb[t][s] (K, PH), s < t */
    AdTensor *hbias[T];       /* (PH) */
    NnLinear out[T];          /* PH -> K */
} Prior;

/* logits of token t (n x K) given the previous tokens codes (n x T ints) */
static AdTensor *prior_logits(AdArena *arena, const Prior *p, const int *codes, int n, int t) {
    if (t == 0) {
        int s[2] = {n, KCODES};
        return ad_add(arena, ad_input(arena, AD_F32, 2, s), p->first);
    }
    AdTensor *h = NULL;
    int *col = ad_arena_alloc(arena, sizeof(int) * (size_t)n);
    for (int s = 0; s < t; s++) {
        for (int i = 0; i < n; i++) col[i] = codes[i * T + s];
        AdTensor *e = ad_embedding(arena, p->emb[t][s], col, n);
        h = h ? ad_add(arena, h, e) : e;
    }
    //: $W_t\,\mathrm{relu}(b_t + \sum_{s<t}A_{t,s}[c_s]) + a_t$, [eq:L42.4.2.vq_prior]
    return nn_linear_forward(arena, &p->out[t], ad_relu(arena, ad_add(arena, h, p->hbias[t])));
}

static AdTensor *prior_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    int *codes = ad_arena_alloc(arena, sizeof(int) * (size_t)n * T), *col = ad_arena_alloc(arena, sizeof(int) * (size_t)n);
    for (long i = 0; i < (long)n * T; i++) codes[i] = (int)x[i];
    AdTensor *nll = NULL;
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < n; i++) col[i] = codes[i * T + t];
        //: $-\frac1B\sum_b\log p(c_{b,t}\mid c_{b,<t})$, [eq:L42.4.2.vq_prior]
        AdTensor *ce = ad_cross_entropy(arena, prior_logits(arena, m->self, codes, n, t), col);
        nll = nll ? ad_add(arena, nll, ce) : ce;
    }
    return nll;
}

/* log p(c) in nats for n code tuples (as floats) */
static void prior_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 22);
    int *codes = xmalloc(sizeof(int) * (size_t)n * T);
    for (long i = 0; i < (long)n * T; i++) codes[i] = (int)x[i];
    for (int i = 0; i < n; i++) lp[i] = 0;
    for (int t = 0; t < T; t++) {
        AdTensor *ls = ad_log_softmax(arena, prior_logits(arena, m->self, codes, n, t));
        for (int i = 0; i < n; i++) lp[i] += ad_get(ls, (long)i * KCODES + codes[i * T + t]);
    }
    free(codes);
    ad_arena_free(arena);
}

static void prior_sample(GenModel *m, int n, float *out, Rng *rng) {
    AdArena *arena = ad_arena_new(1 << 22);
    int *codes = xcalloc((size_t)n * T, sizeof *codes);
    double *w = xmalloc(KCODES * sizeof *w);
    for (int t = 0; t < T; t++) {
        ad_arena_reset(arena);
        AdTensor *pr = ad_softmax(arena, prior_logits(arena, m->self, codes, n, t));
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < KCODES; c++) w[c] = ad_get(pr, (long)i * KCODES + c);
            //: $c_t\sim p(\cdot\mid c_{<t})$ (ancestral)
            codes[i * T + t] = rng_categorical(rng, w, KCODES);
        }
    }
    for (long i = 0; i < (long)n * T; i++) out[i] = (float)codes[i];
    free(codes), free(w);
    ad_arena_free(arena);
}

static void prior_destroy(GenModel *m) {
    Prior *p = m->self;
    ad_tensor_free(p->first);
    for (int t = 0; t < T; t++) {
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

static void prior_init(GenModel *m, Rng *rng) {
    Prior *p = xcalloc(1, sizeof *p);
    int s1[2] = {1, KCODES}, se[2] = {KCODES, PH}, sh[1] = {PH};
    p->first = ad_param_new(AD_F32, 2, s1);
    gm_init(m, &PRIOR_VT, p, T);
    nn_params_add(&m->player[0].params, "prior", "first", p->first);
    for (int t = 1; t < T; t++) {
        char name[32];
        for (int s = 0; s < t; s++) {
            p->emb[t][s] = ad_param_new(AD_F32, 2, se);
            for (long i = 0; i < (long)KCODES * PH; i++) ad_set(p->emb[t][s], i, 0.1 * rng_normal(rng));
            snprintf(name, sizeof name, "emb%d%d", t, s);
            nn_params_add(&m->player[0].params, "prior", name, p->emb[t][s]);
        }
        p->hbias[t] = ad_param_new(AD_F32, 1, sh);
        snprintf(name, sizeof name, "hbias%d", t);
        nn_params_add(&m->player[0].params, "prior", name, p->hbias[t]);
        nn_linear_init(&p->out[t], PH, KCODES, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
        snprintf(name, sizeof name, "out%d", t);
        nn_linear_params(&p->out[t], name, &m->player[0].params);
    }
}

static double mse_per_image(const float *a, const float *b, int n, int d) {
    double s = 0;
    for (long i = 0; i < (long)n * d; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / n;
}

static void save_grid(const Cli *cli, const char *name, const char *title, const float *tiles, int rows, int cols,
                      const char *const *labels) {
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = cols, opt.upscale = 6;
    char err[256];
    Image8 *img = image_grid(tiles, rows * cols, 1, 8, 8, &opt);
    Plot *fig = plot_new(img->width + 140, img->height + 60, title);
    plot_image(fig, img, labels, rows);
    if (plot_save(fig, cli_out_path(cli, name), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(fig), image8_free(img);
}

static void section_digits(const Cli *cli) {
    ImageSet set;
    char note[512];
    if (dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note) < 0) {
        fprintf(stderr, "%s\n", note);
        exit(2);
    }
    const int D = (int)imageset_dim(&set), n_test = 297, n_train = set.n - n_test;
    float *all = imageset_to_float(&set), *train = all, *test = all + (size_t)n_train * D;
    GenModel vq, vq_lec;
    vq_model_init(&vq, D, train, n_train, 0, cli);
    vq_model_init(&vq_lec, D, train, n_train, 1, cli);
    check_true("L42.4.2.vq_caps", gm_check_caps(vq.vt), "VQ-VAE's vtable obeys the capability rule");
    float *cb0 = xmalloc((size_t)KCODES * CD * sizeof *cb0);
    memcpy(cb0, ad_f32(((Vq *)vq.self)->codebook), (size_t)KCODES * CD * sizeof *cb0);
    GmTrainConfig cfg = {.steps = cli_scale(cli, 200, 2000, 8000), .batch = 128, .clip_norm = 1000.0,
                         .label = "vq-vae", .check_id = "L42.4.2.vq_train_finite"};
    Rng tr;
    rng_init(&tr, cli->seed, 20);
    GmTrainResult res = gm_train(&vq, train, n_train, &cfg, &tr);
    GmTrainConfig lcfg = cfg;
    lcfg.steps = cli_scale(cli, 50, 300, 300), lcfg.label = "vq-vae (lecture loss)", lcfg.check_id = "L42.4.2.vq_lecture_train_finite";
    gm_train(&vq_lec, train, n_train, &lcfg, &tr);
    double moved = 0, moved_lec = 0;
    for (long i = 0; i < (long)KCODES * CD; i++) {
        moved = fmax(moved, fabs(ad_f32(((Vq *)vq.self)->codebook)[i] - cb0[i]));
        moved_lec = fmax(moved_lec, fabs(ad_f32(((Vq *)vq_lec.self)->codebook)[i] - cb0[i]));
    }
    printf("VQ-VAE: %ld parameters, loss %.3f -> %.3f; max |codebook change|: correct loss %.4f, lecture loss %.4g (%ld steps)\n",
           gm_num_params(&vq), res.first_loss[0], res.avg_loss[0], moved, moved_lec, lcfg.steps);
    check_erratum("L42.4.2.vq_lecture_codebook_frozen", moved_lec, moved,
                  "B5: max |E - E_init| after training with the lecture's codebook term (%ld steps) vs the correct loss", lcfg.steps);

    /* usage and reconstruction */
    float *codes_tr = xmalloc((size_t)n_train * T * sizeof *codes_tr), *codes_te = xmalloc((size_t)n_test * T * sizeof *codes_te);
    vq.vt->encode(&vq, train, n_train, codes_tr);
    vq.vt->encode(&vq, test, n_test, codes_te);
    double *freq = xcalloc(KCODES, sizeof *freq), H = 0;
    int used = 0;
    for (long i = 0; i < (long)n_train * T; i++) freq[(int)codes_tr[i]] += 1.0 / (n_train * T);
    for (int c = 0; c < KCODES; c++)
        if (freq[c] > 0) H -= freq[c] * log(freq[c]), used++;
    check_ge("L42.4.2.vq_usage", exp(H), 8.0, 0, NULL, "codebook perplexity exp(H) on the training set (%d of %d codes used)", used, KCODES);
    float *rec = xmalloc((size_t)n_test * D * sizeof *rec), *mean = xcalloc((size_t)D, sizeof *mean),
          *base = xmalloc((size_t)n_test * D * sizeof *base);
    vq.vt->decode(&vq, codes_te, n_test, rec);
    for (int i = 0; i < n_train; i++)
        for (int j = 0; j < D; j++) mean[j] += train[(size_t)i * D + j] / n_train;
    for (int i = 0; i < n_test; i++) memcpy(base + (size_t)i * D, mean, (size_t)D * sizeof *mean);
    const double mse = mse_per_image(rec, test, n_test, D), mse0 = mse_per_image(base, test, n_test, D);
    check_le("L42.4.2.vq_recon", mse / mse0, 0.5, 0, "L42.4.2.vq_loss", "test MSE %.3f / mean-image MSE %.3f (per image)", mse, mse0);

    /* the prior */
    GenModel prior;
    Rng pr;
    rng_init(&pr, cli->seed, 30);
    prior_init(&prior, &pr);
    check_true("L42.4.2.vq_prior_caps", gm_check_caps(prior.vt), "the code prior's vtable obeys the capability rule (exact log-likelihood)");
    GmTrainConfig pcfg = {.steps = cli_scale(cli, 100, 600, 3000), .batch = 128, .clip_norm = 100.0,
                          .label = "code prior", .check_id = "L42.4.2.vq_prior_train_finite"};
    prior.player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
    gm_train(&prior, codes_tr, n_train, &pcfg, &pr);
    double *lp = xmalloc((size_t)n_test * sizeof *lp), se;
    prior.vt->log_likelihood(&prior, codes_te, n_test, lp);
    for (int i = 0; i < n_test; i++) lp[i] = -lp[i];
    const double nll = stats_mean_se(lp, (size_t)n_test, &se), uni = T * log((double)KCODES);
    check_le("L42.4.2.vq_prior_beats_uniform", nll, uni, 0, "L42.4.2.vq_prior",
             "held-out code NLL %.3f +- %.3f nats per image below the uniform prior's 4 log 512 = %.3f", nll, se, uni);
    /* the ancestral sampler against the prior's own p(c_1) */
    const int ns = (int)cli_scale(cli, 1000, 4000, 20000);
    float *sc = xmalloc((size_t)ns * T * sizeof *sc);
    prior.vt->sample(&prior, ns, sc, &pr);
    double p1[KCODES], best = -1;
    int arg = 0;
    {
        AdArena *a = ad_arena_new(1 << 16);
        AdTensor *s = ad_softmax(a, prior_logits(a, prior.self, NULL, 1, 0));
        for (int c = 0; c < KCODES; c++) {
            p1[c] = ad_get(s, c);
            if (p1[c] > best) best = p1[c], arg = c;
        }
        ad_arena_free(a);
    }
    int hits = 0;
    for (int i = 0; i < ns; i++) hits += (int)sc[i * T] == arg;
    check_mc("L42.4.2.vq_prior_sampler", (double)hits / ns, p1[arg], sqrt(p1[arg] * (1 - p1[arg]) / ns), 4.0, ns,
             "L42.4.2.vq_prior", "frequency of the likeliest first code %d in ancestral samples vs p(c_1)", arg);
    ((Vq *)vq.self)->prior = &prior;

    enum { COLS = 12 };
    float *tiles = xmalloc((size_t)2 * COLS * D * sizeof *tiles);
    memcpy(tiles, test, (size_t)COLS * D * sizeof *tiles);
    memcpy(tiles + (size_t)COLS * D, rec, (size_t)COLS * D * sizeof *tiles);
    static const char *const rl[2] = {"test", "VQ-VAE"};
    save_grid(cli, "vq_recon.png", "VQ-VAE reconstructions (4 codes of 512 per digit)", tiles, 2, COLS, rl);
    vq.vt->sample(&vq, 2 * COLS, tiles, &pr);
    static const char *const sl[2] = {"samples", "samples"};
    save_grid(cli, "vq_samples.png", "VQ-VAE samples: codes from the AR prior, decoded", tiles, 2, COLS, sl);

    free(tiles), free(sc), free(lp), free(rec), free(mean), free(base), free(freq), free(codes_tr), free(codes_te), free(cb0), free(all);
    imageset_free(&set);
    gm_free(&prior), gm_free(&vq), gm_free(&vq_lec);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.2: VQ-VAE nearest code, STE, codebook gradient (B5), digits VQ-VAE and an AR code prior (B7)", 4204, NULL);
    section_nearest(&cli);
    section_ste_and_grads(&cli);
    section_digits(&cli);
    return check_end();
}
