/*: # causal_transformer — a small decoder-only transformer on common/ad

Lecture 42, 4.6 (`TransformerAR`, erratum B12: its sampler never appends the sampled token). A
sequence of tokens $x_0 = \text{BOS}, x_1, \dots, x_{T-1}$ is embedded, $h^{(0)}_i = E[x_i] + P[i]$,
and passes $L$ pre-norm blocks

$$ h \leftarrow h + W_O\,\mathrm{MHA}_\text{causal}\big(\mathrm{LN}(h)\big),\qquad
   h \leftarrow h + W_2\,\mathrm{ReLU}\big(W_1\,\mathrm{LN}(h)\big), $$ {#eq:common.ct.block}

then a final layer norm and a linear head give logits $z_i$ of $p(x_{i+1}\mid x_{\le i})$.
Multi-head attention splits $d_\text{model}$ into $H$ heads of $d_\text{model}/H$, each running
`ad_causal_attention` (common/ad_causal_attention.h), so position $i$ sees only positions $\le i$
and the model is autoregressive by construction. Layer norm is `ad_group_norm` with one group.

Sampling (`ct_sample`) is ancestral and *appends* each sampled token before predicting the next
(the correction of B12): at temperature $\tau$, $x_{i+1}\sim\mathrm{softmax}(z_i/\tau)$ over the tokens
$1..V-1$ (token 0 is BOS, an input only, never drawn), computed in double with the max shift, so as
$\tau\to0$ it becomes the argmax over those tokens. Sequence $b$ draws from its own
Philox stream, so samples do not depend on batching or threads.
*/
#ifndef COMMON_CAUSAL_TRANSFORMER_H
#define COMMON_CAUSAL_TRANSFORMER_H

#include "common/ad.h"
#include "common/nn.h"
#include "common/rng.h"

typedef struct {
    AdTensor *ln1_w, *ln1_b, *ln2_w, *ln2_b; /* (d) */
    NnLinear q, k, v, o;                     /* d -> d */
    NnLinear ff1, ff2;                       /* d -> d_ff -> d */
} CtBlock;

typedef struct {
    int vocab, context, d_model, heads, layers, d_ff;
    AdTensor *tok_emb; /* (vocab, d) */
    AdTensor *pos_emb; /* (context, d) */
    CtBlock *block;    /* layers */
    AdTensor *lnf_w, *lnf_b;
    NnLinear head;     /* d -> vocab */
} CausalTransformer;

/* d_model divisible by heads; d_ff = 4 d_model; float32; embeddings N(0, 0.02^2) (as GPT-2),
   linear layers Glorot uniform (He for the ReLU layer), layer-norm gains 1 and biases 0. */
void ct_init(CausalTransformer *m, int vocab, int context, int d_model, int heads, int layers, Rng *rng);
void ct_free(CausalTransformer *m);
/* All parameters, named "<prefix>.tok_emb", "<prefix>.b0.q.weight", ... */
void ct_params(const CausalTransformer *m, const char *prefix, NnParams *out);

/* tokens (B x T, row-major, T <= context) -> logits (B*T, vocab); row b*T + i predicts token i+1
   of sequence b. [eq:common.ct.block] */
AdTensor *ct_logits(AdArena *arena, const CausalTransformer *m, const int *tokens, int B, int T);

/* Mean next-token cross-entropy (nats) of B sequences of T tokens: the model reads tokens 0..T-2
   (so T - 1 <= context) and predicts tokens 1..T-1. */
AdTensor *ct_nll(AdArena *arena, const CausalTransformer *m, const int *tokens, int B, int T);

/* Ancestral sampling: tokens (B x T, T - 1 <= context) hold a prefix of length t0 >= 1 per row; positions t0..T-1
   are filled one at a time at temperature tau > 0 with tokens 1..vocab-1 (0 = BOS is never drawn).
   Row b draws from rng[b]. */
void ct_sample(const CausalTransformer *m, int *tokens, int B, int T, int t0, double tau, Rng *rng);

/* One draw from softmax(z / tau) of k logits (double, max-shifted). */
int ct_sample_logits(const float *z, int k, double tau, Rng *rng);

#endif
