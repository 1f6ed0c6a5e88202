/*: # nn_unet — the noise-prediction U-Net of DDPM, small and configurable

The network $\varepsilon_\theta(x_t, t)$ of L36 maps a noisy image and its time step to an image
of the same size. It follows Ho et al. (2020):

1. **time**: $\mathrm{temb} = W_1\,\mathrm{SiLU}(W_0\,\mathrm{emb}(t) + b_0) + b_1$ with the
   sinusoidal $\mathrm{emb}$ of width `base_channels` (eq. common.nn.time_embedding);
   every ResBlock receives $\mathrm{SiLU}(\mathrm{temb})$.
2. **down path**: a 3x3 conv to `base_channels`, then for each level $l$ (resolution $H/2^l$)
   `num_res_blocks` ResBlocks to $c_l = \text{base}\cdot\text{mult}_l$ channels, each followed by
   attention where `attn_levels[l]`; between levels a 2x downsampling (2x2 average pool, or a
   stride-2 3x3 conv). Every intermediate map is pushed on a stack.
3. **middle**: ResBlock, attention (if `mid_attention`), ResBlock at the lowest resolution.
4. **up path**: levels in reverse, each with `num_res_blocks + 1` ResBlocks whose input is the
   current map **concatenated along channels** with the map popped from the stack (the skip
   connection), attention where `attn_levels[l]`, and between levels a nearest-neighbour 2x
   upsampling followed by a 3x3 conv.
5. **out**: GroupNorm, SiLU, 3x3 conv to `out_channels`.

The skip connections give the decoder the encoder's fine detail at each resolution; the
bottleneck sees the whole image. With `zero_init` the last conv of each ResBlock, the attention
projections and the output conv start at zero (DDPM's choice: each block starts as the
identity and the network as $\varepsilon_\theta \equiv 0$); the gradient checks use random
values everywhere instead, since zero weights would hide the gradients behind them.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nn.h"
#include "common/util.h"

NnUNetConfig nn_unet_config_default(void) {
    NnUNetConfig c;
    memset(&c, 0, sizeof c);
    c.in_channels = 1;
    c.out_channels = 1;
    c.base_channels = 32;
    c.num_levels = 3;
    c.channel_mult[0] = 1;
    c.channel_mult[1] = 2;
    c.channel_mult[2] = 2;
    c.num_res_blocks = 2;
    c.attn_levels[1] = 1;
    c.mid_attention = 1;
    c.time_embed_dim = 128;
    c.groups = 8;
    c.downsample_conv = 0;
    c.zero_init = 1;
    c.dtype = AD_F32;
    return c;
}

static void check_config(const NnUNetConfig *c) {
    if (c->in_channels <= 0 || c->out_channels <= 0)
        die("nn_unet: channels must be positive (in %d, out %d)", c->in_channels, c->out_channels);
    if (c->num_levels < 1 || c->num_levels > NN_UNET_MAX_LEVELS)
        die("nn_unet: num_levels %d not in [1,%d]", c->num_levels, NN_UNET_MAX_LEVELS);
    if (c->base_channels <= 0 || c->base_channels % 2 != 0)
        die("nn_unet: base_channels %d must be positive and even (sinusoid width)",
            c->base_channels);
    if (c->num_res_blocks < 1) die("nn_unet: num_res_blocks %d < 1", c->num_res_blocks);
    if (c->time_embed_dim <= 0) die("nn_unet: time_embed_dim %d <= 0", c->time_embed_dim);
    if (c->groups <= 0 || c->base_channels % c->groups != 0)
        die("nn_unet: base_channels %d not divisible by groups %d", c->base_channels, c->groups);
    for (int l = 0; l < c->num_levels; l++)
        if (c->channel_mult[l] <= 0)
            die("nn_unet: channel_mult[%d] = %d must be positive", l, c->channel_mult[l]);
}

void nn_unet_init(NnUNet *m, const NnUNetConfig *cfg, Rng *rng) {
    check_config(cfg);
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const int L = cfg->num_levels, R = cfg->num_res_blocks, G = cfg->groups;
    const int base = cfg->base_channels, tdim = cfg->time_embed_dim, z = cfg->zero_init;
    const AdDtype dt = cfg->dtype;

    nn_linear_init(&m->temb_dense0, base, tdim, 1, dt, NN_INIT_GLOROT_UNIFORM, rng);
    nn_linear_init(&m->temb_dense1, tdim, tdim, 1, dt, NN_INIT_GLOROT_UNIFORM, rng);
    nn_conv2d_init(&m->conv_in, cfg->in_channels, base, 3, 1, 1, 1, dt, NN_INIT_GLOROT_UNIFORM,
                   rng);

    /* the channel counts pushed on the skip stack, in order */
    int stack[1 + NN_UNET_MAX_LEVELS * 65], top = 0;
    if (R > 64) die("nn_unet: num_res_blocks %d > 64", R);
    int ch = base;
    stack[top++] = ch;
    m->n_down = L * R;
    m->down_res = xcalloc((size_t)m->n_down, sizeof *m->down_res);
    m->down_attn = xcalloc((size_t)m->n_down, sizeof *m->down_attn);
    m->downsample = xcalloc((size_t)(L > 1 ? L - 1 : 1), sizeof *m->downsample);
    for (int l = 0; l < L; l++) {
        int out = base * cfg->channel_mult[l];
        for (int r = 0; r < R; r++) {
            nn_resblock_init(&m->down_res[l * R + r], ch, out, tdim, G, z, dt, rng);
            ch = out;
            if (cfg->attn_levels[l]) nn_attn_block_init(&m->down_attn[l * R + r], ch, G, z, dt, rng);
            stack[top++] = ch;
        }
        if (l != L - 1) {
            if (cfg->downsample_conv)
                nn_conv2d_init(&m->downsample[l], ch, ch, 3, 2, 1, 1, dt, NN_INIT_GLOROT_UNIFORM,
                               rng);
            stack[top++] = ch;
        }
    }

    nn_resblock_init(&m->mid_res0, ch, ch, tdim, G, z, dt, rng);
    if (cfg->mid_attention) nn_attn_block_init(&m->mid_attn, ch, G, z, dt, rng);
    nn_resblock_init(&m->mid_res1, ch, ch, tdim, G, z, dt, rng);

    m->n_up = L * (R + 1);
    m->up_res = xcalloc((size_t)m->n_up, sizeof *m->up_res);
    m->up_attn = xcalloc((size_t)m->n_up, sizeof *m->up_attn);
    m->upsample_conv = xcalloc((size_t)(L > 1 ? L - 1 : 1), sizeof *m->upsample_conv);
    for (int l = L - 1; l >= 0; l--) {
        int out = base * cfg->channel_mult[l];
        for (int r = 0; r <= R; r++) {
            int skip_ch = stack[--top];
            nn_resblock_init(&m->up_res[l * (R + 1) + r], ch + skip_ch, out, tdim, G, z, dt, rng);
            ch = out;
            if (cfg->attn_levels[l])
                nn_attn_block_init(&m->up_attn[l * (R + 1) + r], ch, G, z, dt, rng);
        }
        if (l != 0)
            nn_conv2d_init(&m->upsample_conv[l - 1], ch, ch, 3, 1, 1, 1, dt,
                           NN_INIT_GLOROT_UNIFORM, rng);
    }
    if (top != 0) die("nn_unet_init: skip stack out of balance (%d left)", top);

    nn_group_norm_init(&m->norm_out, G, ch, dt);
    nn_conv2d_init(&m->conv_out, ch, cfg->out_channels, 3, 1, 1, 1, dt,
                   z ? NN_INIT_ZEROS : NN_INIT_GLOROT_UNIFORM, rng);
}

AdTensor *nn_unet_forward(AdArena *arena, const NnUNet *m, AdTensor *x, const double *t) {
    const NnUNetConfig *cfg = &m->cfg;
    const int L = cfg->num_levels, R = cfg->num_res_blocks;
    const int factor = 1 << (L - 1);
    if (x->ndim != 4 || x->shape[1] != cfg->in_channels || x->shape[2] % factor != 0 ||
        x->shape[3] % factor != 0) {
        char s[64];
        die("nn_unet_forward: input %s, expected (N,%d,H,W) with H, W divisible by %d",
            ad_shape_str(x, s, sizeof s), cfg->in_channels, factor);
    }
    if (x->dtype != cfg->dtype) die("nn_unet_forward: input dtype differs from the model's");
    const int n = x->shape[0];

    //: $\mathrm{temb} = W_1\,\mathrm{SiLU}(W_0\,\mathrm{emb}(t) + b_0) + b_1$; blocks get $e = \mathrm{SiLU}(\mathrm{temb})$
    AdTensor *temb = nn_time_embedding(arena, cfg->dtype, t, n, cfg->base_channels);
    temb = nn_linear_forward(arena, &m->temb_dense0, temb);
    temb = nn_linear_forward(arena, &m->temb_dense1, ad_silu(arena, temb));
    AdTensor *e = ad_silu(arena, temb);

    AdTensor *stack[1 + NN_UNET_MAX_LEVELS * 65];
    int top = 0;
    AdTensor *h = nn_conv2d_forward(arena, &m->conv_in, x);
    stack[top++] = h;
    for (int l = 0; l < L; l++) {
        for (int r = 0; r < R; r++) {
            h = nn_resblock_forward(arena, &m->down_res[l * R + r], h, e);
            if (cfg->attn_levels[l]) h = nn_attn_block_forward(arena, &m->down_attn[l * R + r], h);
            stack[top++] = h;
        }
        if (l != L - 1) {
            h = cfg->downsample_conv ? nn_conv2d_forward(arena, &m->downsample[l], h)
                                     : ad_avg_pool2d(arena, h, 2);
            stack[top++] = h;
        }
    }

    h = nn_resblock_forward(arena, &m->mid_res0, h, e);
    if (cfg->mid_attention) h = nn_attn_block_forward(arena, &m->mid_attn, h);
    h = nn_resblock_forward(arena, &m->mid_res1, h, e);

    for (int l = L - 1; l >= 0; l--) {
        for (int r = 0; r <= R; r++) {
            //: skip connection: $h \leftarrow [h, s]$ along channels
            AdTensor *pair[2] = {h, stack[--top]};
            h = ad_concat(arena, pair, 2, 1);
            h = nn_resblock_forward(arena, &m->up_res[l * (R + 1) + r], h, e);
            if (cfg->attn_levels[l])
                h = nn_attn_block_forward(arena, &m->up_attn[l * (R + 1) + r], h);
        }
        if (l != 0) {
            h = ad_upsample_nearest2d(arena, h, 2);
            h = nn_conv2d_forward(arena, &m->upsample_conv[l - 1], h);
        }
    }

    h = ad_silu(arena, nn_group_norm_forward(arena, &m->norm_out, h));
    return nn_conv2d_forward(arena, &m->conv_out, h);
}

void nn_unet_params(const NnUNet *m, const char *prefix, NnParams *out) {
    const NnUNetConfig *cfg = &m->cfg;
    const int L = cfg->num_levels, R = cfg->num_res_blocks;
    char buf[256], sub[64];
#define NAME(...) (snprintf(sub, sizeof sub, __VA_ARGS__), nn_join_name(buf, sizeof buf, prefix, sub))
    nn_linear_params(&m->temb_dense0, NAME("temb.0"), out);
    nn_linear_params(&m->temb_dense1, NAME("temb.1"), out);
    nn_conv2d_params(&m->conv_in, NAME("conv_in"), out);
    for (int l = 0; l < L; l++) {
        for (int r = 0; r < R; r++) {
            nn_resblock_params(&m->down_res[l * R + r], NAME("down.%d.res.%d", l, r), out);
            if (cfg->attn_levels[l])
                nn_attn_block_params(&m->down_attn[l * R + r], NAME("down.%d.attn.%d", l, r), out);
        }
        if (l != L - 1 && cfg->downsample_conv)
            nn_conv2d_params(&m->downsample[l], NAME("down.%d.downsample", l), out);
    }
    nn_resblock_params(&m->mid_res0, NAME("mid.res.0"), out);
    if (cfg->mid_attention) nn_attn_block_params(&m->mid_attn, NAME("mid.attn"), out);
    nn_resblock_params(&m->mid_res1, NAME("mid.res.1"), out);
    for (int l = L - 1; l >= 0; l--) {
        for (int r = 0; r <= R; r++) {
            nn_resblock_params(&m->up_res[l * (R + 1) + r], NAME("up.%d.res.%d", l, r), out);
            if (cfg->attn_levels[l])
                nn_attn_block_params(&m->up_attn[l * (R + 1) + r], NAME("up.%d.attn.%d", l, r), out);
        }
        if (l != 0) nn_conv2d_params(&m->upsample_conv[l - 1], NAME("up.%d.upsample", l), out);
    }
    nn_group_norm_params(&m->norm_out, NAME("norm_out"), out);
    nn_conv2d_params(&m->conv_out, NAME("conv_out"), out);
#undef NAME
}

void nn_unet_free(NnUNet *m) {
    const NnUNetConfig *cfg = &m->cfg;
    const int L = cfg->num_levels, R = cfg->num_res_blocks;
    nn_linear_free(&m->temb_dense0);
    nn_linear_free(&m->temb_dense1);
    nn_conv2d_free(&m->conv_in);
    for (int l = 0; l < L; l++) {
        for (int r = 0; r < R; r++) {
            nn_resblock_free(&m->down_res[l * R + r]);
            if (cfg->attn_levels[l]) nn_attn_block_free(&m->down_attn[l * R + r]);
        }
        if (l != L - 1 && cfg->downsample_conv) nn_conv2d_free(&m->downsample[l]);
    }
    nn_resblock_free(&m->mid_res0);
    if (cfg->mid_attention) nn_attn_block_free(&m->mid_attn);
    nn_resblock_free(&m->mid_res1);
    for (int l = L - 1; l >= 0; l--) {
        for (int r = 0; r <= R; r++) {
            nn_resblock_free(&m->up_res[l * (R + 1) + r]);
            if (cfg->attn_levels[l]) nn_attn_block_free(&m->up_attn[l * (R + 1) + r]);
        }
        if (l != 0) nn_conv2d_free(&m->upsample_conv[l - 1]);
    }
    nn_group_norm_free(&m->norm_out);
    nn_conv2d_free(&m->conv_out);
    free(m->down_res);
    free(m->down_attn);
    free(m->downsample);
    free(m->up_res);
    free(m->up_attn);
    free(m->upsample_conv);
    memset(m, 0, sizeof *m);
}
