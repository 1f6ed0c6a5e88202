/*: # ad_causal_attention — scaled dot-product attention with a causal mask

An autoregressive transformer (L42 4.6, `TransformerAR`) may let position $i$ look only at
positions $j \le i$: its prediction of token $i+1$ must not depend on tokens it is asked to
predict. The mask is added to the scores before the softmax,

$$ \mathrm{Attn}_\text{causal}(Q,K,V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt d} + M\Big)V,\qquad
   M_{ij} = \begin{cases} 0 & j \le i + (T_k - T_q)\\ -\infty & \text{otherwise,}\end{cases} $$ {#eq:common.ad.causal_attention}

(with $T_q = T_k$ the usual lower triangle; the offset lets a shorter block of queries attend to a
longer history). $e^{-\infty} = 0$ exactly, so a masked weight is exactly 0 in the forward pass and
its gradient, $p_{ij}(\bar p_{ij} - \langle\bar p_i, p_i\rangle) = 0$, is exactly 0 in the backward
pass: changing a future token leaves every earlier output bit-for-bit unchanged. Every query sees
at least its own key, so no row of the softmax is all $-\infty$.

Like `ad_attention` (common/ad_attention.c) the op is a composition of taped ops (axis swap,
batched matmul, scale, add of a constant mask, softmax, batched matmul); this file adds it
without touching the unmasked one.
*/
#ifndef COMMON_AD_CAUSAL_ATTENTION_H
#define COMMON_AD_CAUSAL_ATTENTION_H

#include "common/ad.h"

/* q (B,Tq,d), k (B,Tk,d), v (B,Tk,dv) with Tq <= Tk -> (B,Tq,dv); query i sees keys
   j <= i + Tk - Tq. [eq:common.ad.causal_attention] */
AdTensor *ad_causal_attention(AdArena *arena, AdTensor *q, AdTensor *k, AdTensor *v);

#endif
