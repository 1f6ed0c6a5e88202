/* nn_attention — the spatial self-attention block of the DDPM U-Net (maths in nn.h).

   The feature map x (N,C,H,W) is read as N sequences of T = HW tokens of width C. A 1x1
   convolution is the same Linear map applied at every position, so q, k, v and the output
   projection are Linear layers on the (N*T, C) token matrix. */
#include "common/nn.h"

void nn_attn_block_init(NnAttnBlock *m, int channels, int groups, int zero_init_proj,
                        AdDtype dtype, Rng *rng) {
    m->channels = channels;
    nn_group_norm_init(&m->norm, groups, channels, dtype);
    nn_linear_init(&m->q, channels, channels, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    /* No key bias: q . (k_j + b) = q . k_j + q . b adds the same q . b to every logit of a
       query, and softmax ignores a common shift, so b would get a gradient of exactly zero. */
    nn_linear_init(&m->k, channels, channels, 0, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    nn_linear_init(&m->v, channels, channels, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    nn_linear_init(&m->proj, channels, channels, 1, dtype,
                   zero_init_proj ? NN_INIT_ZEROS : NN_INIT_GLOROT_UNIFORM, rng);
}

AdTensor *nn_attn_block_forward(AdArena *arena, const NnAttnBlock *m, AdTensor *x) {
    int n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3], t = h * w;
    AdTensor *hn = nn_group_norm_forward(arena, &m->norm, x);
    // (N,C,H,W) -> (N,C,T) -> (N,T,C) -> (N*T,C): one token per row
    AdTensor *tokens = ad_swap_axes(arena, ad_reshape(arena, hn, 3, (int[]){n, c, t}), 1, 2);
    tokens = ad_reshape(arena, tokens, 2, (int[]){n * t, c});
    //: $q = hW_q + b_q,\ k = hW_k,\ v = hW_v + b_v$, each (N,T,C)
    AdTensor *q = ad_reshape(arena, nn_linear_forward(arena, &m->q, tokens), 3, (int[]){n, t, c});
    AdTensor *k = ad_reshape(arena, nn_linear_forward(arena, &m->k, tokens), 3, (int[]){n, t, c});
    AdTensor *v = ad_reshape(arena, nn_linear_forward(arena, &m->v, tokens), 3, (int[]){n, t, c});
    //: $a = \mathrm{softmax}(q k^\top / \sqrt C)\, v$ (N,T,C)
    AdTensor *a = ad_attention(arena, q, k, v);
    AdTensor *o = nn_linear_forward(arena, &m->proj, ad_reshape(arena, a, 2, (int[]){n * t, c}));
    // (N*T,C) -> (N,T,C) -> (N,C,T) -> (N,C,H,W)
    o = ad_swap_axes(arena, ad_reshape(arena, o, 3, (int[]){n, t, c}), 1, 2);
    o = ad_reshape(arena, o, 4, (int[]){n, c, h, w});
    //: $y = x + a W_o + b_o$
    return ad_add(arena, x, o);
}

void nn_attn_block_params(const NnAttnBlock *m, const char *prefix, NnParams *out) {
    char buf[256];
    nn_group_norm_params(&m->norm, nn_join_name(buf, sizeof buf, prefix, "norm"), out);
    nn_linear_params(&m->q, nn_join_name(buf, sizeof buf, prefix, "q"), out);
    nn_linear_params(&m->k, nn_join_name(buf, sizeof buf, prefix, "k"), out);
    nn_linear_params(&m->v, nn_join_name(buf, sizeof buf, prefix, "v"), out);
    nn_linear_params(&m->proj, nn_join_name(buf, sizeof buf, prefix, "proj"), out);
}

void nn_attn_block_free(NnAttnBlock *m) {
    nn_group_norm_free(&m->norm);
    nn_linear_free(&m->q);
    nn_linear_free(&m->k);
    nn_linear_free(&m->v);
    nn_linear_free(&m->proj);
}
