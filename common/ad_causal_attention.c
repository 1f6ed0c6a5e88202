/* ad_causal_attention — see ad_causal_attention.h ([eq:common.ad.causal_attention]). */
#include "common/ad_causal_attention.h"

#include <math.h>

#include "common/ad_internal.h"
#include "common/util.h"

AdTensor *ad_causal_attention(AdArena *arena, AdTensor *q, AdTensor *k, AdTensor *v) {
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3 || k->shape[0] != q->shape[0] ||
        v->shape[0] != q->shape[0] || k->shape[2] != q->shape[2] || v->shape[1] != k->shape[1] ||
        q->shape[1] > k->shape[1]) {
        char sq[64], sk[64], sv[64];
        die("ad_causal_attention: q %s, k %s, v %s do not fit (want (B,Tq,d), (B,Tk,d), (B,Tk,dv), Tq <= Tk)",
            ad_shape_str(q, sq, sizeof sq), ad_shape_str(k, sk, sizeof sk), ad_shape_str(v, sv, sizeof sv));
    }
    const int d = q->shape[2], tq = q->shape[1], tk = k->shape[1];
    AdTensor *kt = ad_swap_axes(arena, k, 1, 2); /* (B,d,Tk) */
    //: $S = QK^\top/\sqrt d$
    AdTensor *scores = ad_scale(arena, ad_matmul(arena, q, kt), 1.0 / sqrt((double)d));
    int mshape[3] = {1, tq, tk};
    AdTensor *mask = ad_input(arena, q->dtype, 3, mshape);
    for (int i = 0; i < tq; i++)
        for (int j = 0; j < tk; j++)
            //: $M_{ij} = -\infty$ for $j > i + T_k - T_q$, [eq:common.ad.causal_attention]
            ad_set(mask, (long)i * tk + j, j <= i + tk - tq ? 0.0 : -INFINITY);
    //: $P = \mathrm{softmax}(S + M)$ over keys
    AdTensor *p = ad_softmax(arena, ad_add(arena, scores, mask));
    //: $Y = PV$
    return ad_matmul(arena, p, v);
}
