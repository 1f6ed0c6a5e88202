/*: # gm_vqvae — the VQ-VAE of lecture 42 (4.2) and its code prior (B7) as GenModels

Introduced in L42 4.2 (`lectures/42_unified/04_vqvae.c`, which derives the nearest-code search
[eq:L42.4.2.vq_nearest] and the loss [eq:L42.4.2.vq_loss] with the codebook gradient the lecture
loses (B5), and checks them); shared with the benchmark of 5.3 (14) and the latent analysis of
5.6 (15).

## A VQ-VAE on the digits

Encoder $64\to128\to4\times16$ (4 tokens of dimension 16), $K = 512$ codes (the lecture's value),
decoder $64\to128\to64$ with a sigmoid; the loss [eq:L42.4.2.vq_loss] per image, averaged over the
batch. The codebook starts at 512 encoder outputs of training digits (a common remedy for codes
that no input ever selects). Usage is measured by the perplexity
$\exp\big(-\sum_k \hat p_k\log\hat p_k\big)$ of the code frequencies over the training set (1 when
one code takes everything, $K$ when all are used equally).

## A prior over codes (B7)

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
#ifndef COMMON_GM_VQVAE_H
#define COMMON_GM_VQVAE_H

#include <stdint.h>

#include "common/genmodel.h"

/* 4 tokens of dimension 16 per image, K = 512 codes (the lecture's), hidden width 128; the
   prior's hidden width 32. */
enum { GM_VQ_T = 4, GM_VQ_CD = 16, GM_VQ_K = 512, GM_VQ_HID = 128, GM_VQ_PH = 32 };
#define GM_VQ_COMMIT 0.25 /* the lecture's commitment weight */

/* Nearest codes by the distance expansion [eq:L42.4.2.vq_nearest]: z (n x d), codebook E (k x d),
   both read through ad_get; idx (n) and the float distance (n, may be NULL). */
void gm_vq_nearest(const AdTensor *z, const AdTensor *E, int n, int d, int k, int *idx, double *dist);

typedef struct {
    AdTensor *z_st, *codebook, *commit;
} GmVqTerms;

/* [eq:L42.4.2.vq_loss]: z_q^st and the quantiser terms summed over the n tokens (divide by the
   batch outside); `lecture`: the lecture's codebook term with z_q^st (B5). */
GmVqTerms gm_vq_terms(AdArena *arena, AdTensor *z_e, AdTensor *E, const int *idx, int n, int lecture);

typedef struct {
    NnMlp enc, dec;
    AdTensor *codebook; /* (K, CD) */
    int lecture;        /* train with the lecture's codebook term (B5) */
    GenModel *prior;    /* for sample(): NULL until fitted (not owned) */
} GmVq;

/* The VQ-VAE on data of dimension D; the codebook starts at encoder outputs of random training
   tokens. Weights from Philox (seed, stream). encode() gives the T code indices as floats. */
void gm_vqvae_init(GenModel *m, int D, const float *train, int n_train, int lecture, uint64_t seed, uint64_t stream);

typedef struct {
    AdTensor *first;                   /* (1, K) logits of c_1 */
    AdTensor *emb[GM_VQ_T][GM_VQ_T];   /* emb[t][s] (K, PH), s < t */
    AdTensor *hbias[GM_VQ_T];          /* (PH) */
    NnLinear out[GM_VQ_T];             /* PH -> K */
} GmVqPrior;

/* The code prior: rows are T code indices as floats; exact log-likelihood in nats. */
void gm_vq_prior_init(GenModel *m, Rng *rng);
/* logits of token t (n x K) given the previous tokens codes (n x T ints; NULL for t = 0) */
AdTensor *gm_vq_prior_logits(AdArena *arena, const GmVqPrior *p, const int *codes, int n, int t);

#endif
