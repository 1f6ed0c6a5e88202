/*: # ad_attention — scaled dot-product attention

$$ \mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt d}\Big) V $$ {#eq:common.ad.attention}
for each batch element, with $Q$ of shape $(T_q, d)$, $K$ of shape $(T_k, d)$ and $V$ of shape
$(T_k, d_v)$; the softmax runs over the keys (the last axis). The op is a composition of taped
ops (axis swap, batched matmul, scale, softmax, batched matmul), so its backward pass is the
chain of theirs:
$\bar V = P^\top \bar Y$, $\bar P = \bar Y V^\top$, $\bar S$ by the softmax rule,
$\bar Q = \bar S K/\sqrt d$, $\bar K = \bar S^\top Q/\sqrt d$.
*/
#include <math.h>

#include "common/ad_internal.h"
#include "common/util.h"

AdTensor *ad_attention(AdArena *arena, AdTensor *q, AdTensor *k, AdTensor *v) {
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3 || k->shape[0] != q->shape[0] ||
        v->shape[0] != q->shape[0] || k->shape[2] != q->shape[2] || v->shape[1] != k->shape[1]) {
        char sq[64], sk[64], sv[64];
        die("ad_attention: q %s, k %s, v %s do not fit (want (B,Tq,d), (B,Tk,d), (B,Tk,dv))",
            ad_shape_str(q, sq, sizeof sq), ad_shape_str(k, sk, sizeof sk),
            ad_shape_str(v, sv, sizeof sv));
    }
    int d = q->shape[2];
    AdTensor *kt = ad_swap_axes(arena, k, 1, 2);                     /* (B,d,Tk) */
    //: $S = QK^\top/\sqrt d$
    AdTensor *scores = ad_scale(arena, ad_matmul(arena, q, kt), 1.0 / sqrt((double)d));
    //: $P = \mathrm{softmax}(S)$ over keys
    AdTensor *p = ad_softmax(arena, scores);
    //: $Y = PV$
    return ad_matmul(arena, p, v);
}
