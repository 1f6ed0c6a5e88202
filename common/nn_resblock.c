/* nn_resblock — the residual block of the DDPM U-Net (maths in nn.h):
   GroupNorm-SiLU-Conv3x3, plus a projection of the time embedding added at every position,
   GroupNorm-SiLU-Conv3x3, plus the skip path (1x1 conv when the channel count changes). */
#include "common/nn.h"
#include "common/util.h"

void nn_resblock_init(NnResBlock *m, int in_ch, int out_ch, int temb_dim, int groups,
                      int zero_init_conv2, AdDtype dtype, Rng *rng) {
    m->in_ch = in_ch;
    m->out_ch = out_ch;
    m->temb_dim = temb_dim;
    nn_group_norm_init(&m->norm1, groups, in_ch, dtype);
    nn_conv2d_init(&m->conv1, in_ch, out_ch, 3, 1, 1, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    if (temb_dim > 0)
        nn_linear_init(&m->temb_proj, temb_dim, out_ch, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
    nn_group_norm_init(&m->norm2, groups, out_ch, dtype);
    nn_conv2d_init(&m->conv2, out_ch, out_ch, 3, 1, 1, 1, dtype,
                   zero_init_conv2 ? NN_INIT_ZEROS : NN_INIT_GLOROT_UNIFORM, rng);
    m->has_skip_conv = in_ch != out_ch;
    if (m->has_skip_conv)
        nn_conv2d_init(&m->skip, in_ch, out_ch, 1, 1, 0, 1, dtype, NN_INIT_GLOROT_UNIFORM, rng);
}

AdTensor *nn_resblock_forward(AdArena *arena, const NnResBlock *m, AdTensor *x,
                              AdTensor *temb_act) {
    if (x->ndim != 4 || x->shape[1] != m->in_ch) {
        char s[64];
        die("nn_resblock_forward: input %s, expected (N,%d,H,W)", ad_shape_str(x, s, sizeof s),
            m->in_ch);
    }
    //: $h = \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(x)))$
    AdTensor *h = nn_group_norm_forward(arena, &m->norm1, x);
    h = nn_conv2d_forward(arena, &m->conv1, ad_silu(arena, h));
    if (m->temb_dim > 0) {
        if (!temb_act) die("nn_resblock_forward: this block needs a time embedding");
        //: $h \mathrel{+}= e W_t + b_t$, (N,out) broadcast over (H,W)
        AdTensor *tp = nn_linear_forward(arena, &m->temb_proj, temb_act);
        tp = ad_reshape(arena, tp, 4, (int[]){tp->shape[0], m->out_ch, 1, 1});
        h = ad_add(arena, h, tp);
    }
    //: $h = \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(h)))$
    h = nn_group_norm_forward(arena, &m->norm2, h);
    h = nn_conv2d_forward(arena, &m->conv2, ad_silu(arena, h));
    //: $y = \mathrm{skip}(x) + h$
    AdTensor *skip = m->has_skip_conv ? nn_conv2d_forward(arena, &m->skip, x) : x;
    return ad_add(arena, skip, h);
}

void nn_resblock_params(const NnResBlock *m, const char *prefix, NnParams *out) {
    char buf[256];
    nn_group_norm_params(&m->norm1, nn_join_name(buf, sizeof buf, prefix, "norm1"), out);
    nn_conv2d_params(&m->conv1, nn_join_name(buf, sizeof buf, prefix, "conv1"), out);
    if (m->temb_dim > 0)
        nn_linear_params(&m->temb_proj, nn_join_name(buf, sizeof buf, prefix, "temb_proj"), out);
    nn_group_norm_params(&m->norm2, nn_join_name(buf, sizeof buf, prefix, "norm2"), out);
    nn_conv2d_params(&m->conv2, nn_join_name(buf, sizeof buf, prefix, "conv2"), out);
    if (m->has_skip_conv)
        nn_conv2d_params(&m->skip, nn_join_name(buf, sizeof buf, prefix, "skip"), out);
}

void nn_resblock_free(NnResBlock *m) {
    nn_group_norm_free(&m->norm1);
    nn_conv2d_free(&m->conv1);
    if (m->temb_dim > 0) nn_linear_free(&m->temb_proj);
    nn_group_norm_free(&m->norm2);
    nn_conv2d_free(&m->conv2);
    if (m->has_skip_conv) nn_conv2d_free(&m->skip);
}
