/*: # L36 3.8.4 — The U-Net of DDPM, block by block

**Lecture 36, section 3.8.4** (overall U-Net structure) with the time injection of 3.8.1;
errata E24 and E26.

The lecture draws the network as a diagram (down blocks, bottleneck with attention, up blocks
with skip connections, output convolution) without sizes. This program takes the small U-Net
of `common/nn.h` (base 32 channels, multipliers (1, 2, 2), two ResBlocks per level, attention
at $16\times16$ and in the middle, 8 GroupNorm groups, as the spec proposes for a
$32\times32$ input) and checks its parts: the residual block with its time injection against a
plain composition of reference loops; down- and up-sampling; the bookkeeping of the skip
connections; the parameter count against a closed form; the DDPM zero initialisation; the
receptive field; and gradients against finite differences.
Figure: `receptive_field.png` — $\lvert\partial y_{p}/\partial x\rvert$ for one output pixel:
of the convolution/pooling skeleton (a finite square), and of a whole U-Net (every pixel, since
GroupNorm and attention see the whole map).

Run: `make run L=36`, or `build/release/bin/lectures/36_ddpm/12_unet_blocks [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | ($N$, $C_\text{in}$, $H$, $W$) |
| $e = \mathrm{SiLU}(\mathrm{temb})$ | `temb_act` | ($N$, $d_t$) |
| $W_t, b_t$ (time projection) | `temb_proj` | ($d_t$, $C_\text{out}$), ($C_\text{out}$) |
| $h$ | `h` | ($N$, $C_\text{out}$, $H$, $W$) |
| $c_l = \text{base}\cdot\text{mult}_l$ | `channels_at` | per level $l$ |
| $r_l$, $j_l$ (receptive field, jump) | `rf`, `jump` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/nn.h"
#include "common/nn_ref.h"
#include "common/plot.h"
#include "common/stats.h"
#include "common/util.h"

static void silu_inplace(double *x, long n) {
    for (long i = 0; i < n; i++) x[i] *= sigmoid(x[i]);
}

static void randomize(NnParams *ps, Rng *rng, double scale) {
    for (int i = 0; i < ps->n; i++)
        for (long e = 0; e < ps->t[i]->size; e++)
            ad_set(ps->t[i], e, ad_get(ps->t[i], e) + scale * rng_normal(rng));
}

/*: ## The residual block and the time injection (3.8.1, 3.8.4)

DDPM's ResBlock, with $e = \mathrm{SiLU}(\mathrm{temb}(t))$ the output of the time MLP:
$$ h = \mathrm{Conv}_{3\times3}\big(\mathrm{SiLU}(\mathrm{GN}(x))\big) + (e W_t + b_t)\,\mathbf 1_{H\times W},\qquad
   y = \mathrm{skip}(x) + \mathrm{Conv}_{3\times3}\big(\mathrm{SiLU}(\mathrm{GN}(h))\big) , $$ {#eq:L36.3.8.4.resblock}
with skip the identity, or a $1\times1$ convolution when the channel count changes. The time
term is one number per channel and sample, added at every position: a shift. The lecture
calls $h + \mathrm{MLP}(\mathrm{TimeEmb}(t))$ "FiLM", but FiLM (Perez et al. 2018) modulates
with a scale *and* a shift, $\gamma_c(t)\,h + \beta_c(t)$ (E24; the "scale-shift norm" of
Improved DDPM is the FiLM variant). With the second convolution initialised at zero (DDPM),
$y = \mathrm{skip}(x)$ exactly at the start.

The check composes the block from the reference loops of `common/nn_ref.h` (GroupNorm,
convolution) and plain loops for SiLU, the projection and the sums, in double, and compares.
*/
static void resblock_reference(const NnResBlock *m, const double *x, const double *temb_act,
                               int n, int h, int w, double *y) {
    const int ci = m->in_ch, co = m->out_ch, td = m->temb_dim;
    const long s = (long)h * w;
    double *a = xmalloc(sizeof(double) * (size_t)(ci > co ? ci : co) * s);
    double *hh = xmalloc(sizeof(double) * (size_t)co * s), *sk = xmalloc(sizeof(double) * (size_t)co * s);
    for (int b = 0; b < n; b++) {
        const double *xb = x + (long)b * ci * s;
        //: $h = \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(x)))$, [eq:L36.3.8.4.resblock]
        nn_ref_group_norm(xb, ci, s, m->norm1.groups, NN_REF_GROUPS_CONTIGUOUS, 0,
                          ad_f64(m->norm1.weight), ad_f64(m->norm1.bias), m->norm1.eps, a);
        silu_inplace(a, ci * s);
        nn_ref_conv2d(a, ci, h, w, ad_f64(m->conv1.weight), ad_f64(m->conv1.bias), co, 3, 1, 1, hh);
        //: $h_{c,\cdot} \mathrel{+}= \sum_k e_k W_{t,kc} + b_{t,c}$ at every position
        for (int c = 0; c < co; c++) {
            double shift = ad_f64(m->temb_proj.bias)[c];
            for (int k = 0; k < td; k++) shift += temb_act[b * td + k] * ad_f64(m->temb_proj.weight)[k * co + c];
            for (long p = 0; p < s; p++) hh[c * s + p] += shift;
        }
        //: $y = \mathrm{skip}(x) + \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(h)))$
        nn_ref_group_norm(hh, co, s, m->norm2.groups, NN_REF_GROUPS_CONTIGUOUS, 0,
                          ad_f64(m->norm2.weight), ad_f64(m->norm2.bias), m->norm2.eps, a);
        silu_inplace(a, co * s);
        nn_ref_conv2d(a, co, h, w, ad_f64(m->conv2.weight), ad_f64(m->conv2.bias), co, 3, 1, 1, hh);
        if (m->has_skip_conv)
            nn_ref_conv2d(xb, ci, h, w, ad_f64(m->skip.weight), ad_f64(m->skip.bias), co, 1, 1, 0, sk);
        else
            memcpy(sk, xb, sizeof(double) * (size_t)co * s);
        for (long i = 0; i < co * s; i++) y[(long)b * co * s + i] = sk[i] + hh[i];
    }
    free(a), free(hh), free(sk);
}

typedef struct {
    const NnResBlock *blk;
    AdTensor *x, *temb;
    const double *r;
} ResCtx;

static AdTensor *res_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    const ResCtx *c = vctx;
    AdTensor *y = nn_resblock_forward(arena, c->blk, c->x, c->temb);
    return ad_sum(arena, ad_mul(arena, y, ad_from_doubles(arena, AD_F64, y->ndim, y->shape, c->r)));
}

static void section_resblock(const Cli *cli) {
    enum { NB = 2, CI = 4, CO = 8, TD = 6, H = 5, W = 4, G = 2 };
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    AdArena *arena = ad_arena_new(1 << 20);
    NnResBlock blk;
    nn_resblock_init(&blk, CI, CO, TD, G, 0, AD_F64, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_resblock_params(&blk, "res", &ps);
    randomize(&ps, &rng, 0.2); /* non-trivial gamma, beta and biases */
    double x[NB * CI * H * W], e[NB * TD], ref[NB * CO * H * W];
    rng_normal_fill(&rng, x, NB * CI * H * W);
    rng_normal_fill(&rng, e, NB * TD);
    AdTensor *tx = ad_from_doubles(arena, AD_F64, 4, (int[]){NB, CI, H, W}, x);
    AdTensor *te = ad_from_doubles(arena, AD_F64, 2, (int[]){NB, TD}, e);
    AdTensor *y = nn_resblock_forward(arena, &blk, tx, te);
    resblock_reference(&blk, x, e, NB, H, W, ref);
    check_le("L36.3.8.4.resblock_vs_reference", stats_max_abs_diff(ad_f64(y), ref, NB * CO * H * W),
             1e-12, 0, "L36.3.8.4.resblock",
             "ResBlock 4 -> 8 ch (1x1 skip), 2 samples with their own time vectors, vs reference loops");

    double r[NB * CO * H * W];
    rng_normal_fill(&rng, r, NB * CO * H * W);
    ResCtx ctx = {&blk, tx, te, r};
    check_le("L36.3.8.4.resblock_gradcheck", ad_gradcheck(res_loss, ps.t, ps.n, &ctx, 1e-5), 1e-6, 0,
             "L36.3.8.4.resblock", "ResBlock backward, all %ld parameters vs central differences",
             nn_params_numel(&ps));
    check_erratum("L36.3.8.4.E24_film", (double)blk.temb_proj.out / CO, 2.0,
                  "E24: modulation numbers per channel: h + MLP(t) is a shift only (1, this block's "
                  "temb_proj has %d outputs for %d channels); FiLM is gamma(t) h + beta(t) (2)",
                  blk.temb_proj.out, CO);

    /* DDPM initialisation: conv2 = 0, so the block is its skip path */
    NnResBlock blk0;
    nn_resblock_init(&blk0, CI, CO, TD, G, 1, AD_F64, &rng);
    AdTensor *y0 = nn_resblock_forward(arena, &blk0, tx, te);
    AdTensor *sk = nn_conv2d_forward(arena, &blk0.skip, tx);
    check_close("L36.3.8.4.zero_init_is_skip", stats_max_abs_diff(ad_f64(y0), ad_f64(sk), (size_t)sk->size),
                0.0, 0, "L36.3.8.4.resblock", "zero-initialised conv2: ResBlock(x, t) = skip(x) exactly");
    nn_resblock_free(&blk0);
    nn_params_free(&ps);
    nn_resblock_free(&blk);
    ad_arena_free(arena);
}

/*: ## Down, up, and the skip concatenation

Between levels the map halves: a $2\times2$ average pool (this U-Net's default) or a
stride-2 $3\times3$ convolution (DDPM's). On the way up, nearest-neighbour upsampling copies
every value into a $2\times2$ block, followed by a $3\times3$ convolution. Pooling an
upsampled map gives it back exactly:
$$ \mathrm{Pool}_2(\mathrm{Up}_2(x)) = x,\qquad \mathrm{Pool}_2(x)_{ij} = \tfrac14\textstyle\sum_{a,b\in\{0,1\}} x_{2i+a,\,2j+b} . $$ {#eq:L36.3.8.4.pool_up}
A skip connection concatenates the decoder's map with the encoder's along channels:
$(N, C_1, H, W)$ and $(N, C_2, H, W)$ give $(N, C_1 + C_2, H, W)$, and the next ResBlock maps
$C_1 + C_2$ channels down to its own width.
*/
typedef struct {
    const NnConv2d *down, *up, *fuse;
    AdTensor *x;
    const double *r;
} DownUpCtx;

static AdTensor *down_up(AdArena *arena, const DownUpCtx *c) {
    AdTensor *d = nn_conv2d_forward(arena, c->down, c->x);                        /* (N,C,H/2,W/2) */
    AdTensor *u = nn_conv2d_forward(arena, c->up, ad_upsample_nearest2d(arena, d, 2)); /* (N,C,H,W) */
    AdTensor *pair[2] = {u, c->x};
    //: skip: $[u, x]$ along channels, then a conv back to $C$
    return nn_conv2d_forward(arena, c->fuse, ad_concat(arena, pair, 2, 1));
}

static AdTensor *down_up_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    const DownUpCtx *c = vctx;
    AdTensor *y = down_up(arena, c);
    return ad_sum(arena, ad_mul(arena, y, ad_from_doubles(arena, AD_F64, y->ndim, y->shape, c->r)));
}

static void section_resampling(const Cli *cli) {
    enum { NB = 2, C = 3, H = 8, W = 6 };
    Rng rng;
    rng_init(&rng, cli->seed, 1);
    AdArena *arena = ad_arena_new(1 << 20);
    double x[NB * C * H * W];
    rng_normal_fill(&rng, x, NB * C * H * W);
    AdTensor *tx = ad_from_doubles(arena, AD_F64, 4, (int[]){NB, C, H, W}, x);
    AdTensor *pooled = ad_avg_pool2d(arena, tx, 2);
    double err = 0;
    for (int b = 0; b < NB * C; b++)
        for (int i = 0; i < H / 2; i++)
            for (int j = 0; j < W / 2; j++) {
                const double *xb = x + (long)b * H * W;
                //: $\tfrac14\sum x_{2i+a,2j+b}$, [eq:L36.3.8.4.pool_up]
                double hand = 0.25 * (xb[2 * i * W + 2 * j] + xb[2 * i * W + 2 * j + 1] +
                                      xb[(2 * i + 1) * W + 2 * j] + xb[(2 * i + 1) * W + 2 * j + 1]);
                err = fmax(err, fabs(ad_f64(pooled)[(b * (H / 2) + i) * (W / 2) + j] - hand));
            }
    check_le("L36.3.8.4.avg_pool_hand", err, 1e-15, 0, "L36.3.8.4.pool_up",
             "2x2 average pool vs the mean of each 2x2 block, (2,3,8,6) -> (2,3,4,3)");
    AdTensor *back = ad_avg_pool2d(arena, ad_upsample_nearest2d(arena, pooled, 2), 2);
    check_close("L36.3.8.4.pool_of_upsample", stats_max_abs_diff(ad_f64(back), ad_f64(pooled), (size_t)pooled->size),
                0.0, 0, "L36.3.8.4.pool_up", "Pool2(Up2(z)) = z exactly (four equal values average to themselves)");

    NnConv2d down, up, fuse;
    nn_conv2d_init(&down, C, C, 3, 2, 1, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_conv2d_init(&up, C, C, 3, 1, 1, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_conv2d_init(&fuse, 2 * C, C, 3, 1, 1, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    AdTensor *xp = ad_param_new(AD_F64, 4, (int[]){NB, C, H, W});
    memcpy(ad_f64(xp), x, sizeof x);
    double r[NB * C * H * W];
    rng_normal_fill(&rng, r, NB * C * H * W);
    DownUpCtx ctx = {&down, &up, &fuse, xp, r};
    AdTensor *d = nn_conv2d_forward(arena, &down, tx);
    AdTensor *y = down_up(arena, &ctx);
    char sd[64], sy[64];
    printf("# stride-2 conv: (2,3,8,6) -> %s; up + concat + conv: %s\n", ad_shape_str(d, sd, sizeof sd),
           ad_shape_str(y, sy, sizeof sy));
    check_true("L36.3.8.4.down_up_shapes", d->shape[2] == H / 2 && d->shape[3] == W / 2 &&
                                               y->shape[1] == C && y->shape[2] == H && y->shape[3] == W,
               "stride-2 3x3 conv (pad 1) halves H, W; upsample + [u, x] + conv restores (N,C,H,W)");
    AdTensor *params[7] = {xp, down.weight, down.bias, up.weight, up.bias, fuse.weight, fuse.bias};
    check_le("L36.3.8.4.down_up_gradcheck", ad_gradcheck(down_up_loss, params, 7, &ctx, 1e-5), 1e-7, 0,
             "L36.3.8.4.pool_up", "backward through stride-2 conv, upsample, concat, conv (input and "
             "weights) vs central differences");
    ad_tensor_free(xp);
    nn_conv2d_free(&down), nn_conv2d_free(&up), nn_conv2d_free(&fuse);
    ad_arena_free(arena);
}

/*: ## The whole U-Net: skips, size, initialisation

Channel bookkeeping. With $c_l = \text{base}\cdot\text{mult}_l$ and $R$ ResBlocks per level,
the encoder pushes one map per stage onto a stack: the stem ($\text{base}$ channels), each of
its $R$ ResBlocks per level ($c_l$), and each downsampled map ($c_l$, all levels but the
last). The decoder runs $R + 1$ ResBlocks per level and pops one map for each: its input has
$c_\text{current} + c_\text{popped}$ channels. Written out for the default
(base 32, mult (1, 2, 2), $R = 2$): pushed $32;\,32, 32, 32;\,64, 64, 64;\,64, 64$, popped in
reverse.

Size. With $n_\text{conv}(k, a, b) = b\,a\,k^2 + b$, $n_\text{lin}(a, b) = ab + b$,
$n_\text{GN}(c) = 2c$:
$$ n_\text{res}(a, b) = n_\text{GN}(a) + n_\text{conv}(3,a,b) + n_\text{lin}(d_t, b) + n_\text{GN}(b)
   + n_\text{conv}(3,b,b) + [a \ne b]\,n_\text{conv}(1,a,b) $$ {#eq:L36.3.8.4.n_res}
$$ n_\text{attn}(c) = n_\text{GN}(c) + 4c^2 + 3c $$ {#eq:L36.3.8.4.n_attn}
(the key projection has no bias), and the network adds the time MLP, the stem, the upsampling
convolutions, the output norm and convolution. The count below follows this formula, written
independently of `nn_unet_init`.

Time enters every ResBlock (E26: the lecture's diagram adds it once, at the input). DDPM
initialises the last convolution of every block and of the output at zero, so the untrained
network predicts $\varepsilon_\theta \equiv 0$.
*/
static long n_conv(int k, int a, int b) { return (long)b * a * k * k + b; }
static long n_lin(int a, int b, int bias) { return (long)a * b + (bias ? b : 0); }
static long n_gn(int c) { return 2L * c; }

static long n_res(int a, int b, int td) {
    //: [eq:L36.3.8.4.n_res]
    return n_gn(a) + n_conv(3, a, b) + n_lin(td, b, 1) + n_gn(b) + n_conv(3, b, b) + (a != b ? n_conv(1, a, b) : 0);
}

//: [eq:L36.3.8.4.n_attn]
static long n_attn(int c) { return n_gn(c) + 3 * n_lin(c, c, 1) + n_lin(c, c, 0); }

/* The closed-form count, and the input width of every decoder ResBlock (in the order built). */
static long unet_count(const NnUNetConfig *c, int *up_in) {
    const int L = c->num_levels, R = c->num_res_blocks, base = c->base_channels, td = c->time_embed_dim;
    int skips[1 + NN_UNET_MAX_LEVELS * 65], ns = 0, nu = 0;
    long total = n_lin(base, td, 1) + n_lin(td, td, 1) + n_conv(3, c->in_channels, base);
    int ch = base;
    skips[ns++] = ch;
    for (int l = 0; l < L; l++) {
        int cl = base * c->channel_mult[l];
        for (int r = 0; r < R; r++) {
            total += n_res(ch, cl, td) + (c->attn_levels[l] ? n_attn(cl) : 0);
            skips[ns++] = ch = cl;
        }
        if (l < L - 1) {
            total += c->downsample_conv ? n_conv(3, ch, ch) : 0;
            skips[ns++] = ch;
        }
    }
    total += 2 * n_res(ch, ch, td) + (c->mid_attention ? n_attn(ch) : 0);
    for (int l = L - 1; l >= 0; l--) {
        int cl = base * c->channel_mult[l];
        for (int r = 0; r <= R; r++) {
            int in = ch + skips[--ns];
            up_in[nu++] = in;
            total += n_res(in, cl, td) + (c->attn_levels[l] ? n_attn(cl) : 0);
            ch = cl;
        }
        if (l > 0) total += n_conv(3, ch, ch);
    }
    return total + n_gn(ch) + n_conv(3, ch, c->out_channels);
}

static void section_unet(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 2);
    NnUNetConfig cfg = nn_unet_config_default();
    NnUNet net;
    nn_unet_init(&net, &cfg, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_unet_params(&net, "unet", &ps);
    int up_in[NN_UNET_MAX_LEVELS * 65];
    long closed = unet_count(&cfg, up_in);
    printf("# default U-Net: %d tensors, %ld parameters; decoder ResBlock inputs:", ps.n, nn_params_numel(&ps));
    int skip_ok = 1;
    for (int i = 0; i < net.n_up; i++) {
        /* net.up_res is indexed [level * (R+1) + r], built from the deepest level up */
        int l = cfg.num_levels - 1 - i / (cfg.num_res_blocks + 1), r = i % (cfg.num_res_blocks + 1);
        int got = net.up_res[l * (cfg.num_res_blocks + 1) + r].in_ch;
        printf(" %d", got);
        skip_ok &= got == up_in[i];
    }
    printf("\n");
    check_true("L36.3.8.4.skip_channels", skip_ok,
               "each decoder ResBlock's input width = current + popped skip width, as counted by hand");
    check_close("L36.3.8.4.param_count", (double)nn_params_numel(&ps), (double)closed, 0,
                "L36.3.8.4.n_res", "default U-Net parameter count vs the closed form");

    AdArena *arena = ad_arena_new(1 << 22);
    int nb = 2, hw = (int)cli_scale(cli, 16, 32, 32);
    AdTensor *x = ad_input(arena, AD_F32, 4, (int[]){nb, 1, hw, hw});
    for (long i = 0; i < x->size; i++) ad_set(x, i, rng_normal(&rng));
    double t[2] = {10, 900};
    AdTensor *y = nn_unet_forward(arena, &net, x, t);
    double maxabs = 0;
    for (long i = 0; i < y->size; i++) maxabs = fmax(maxabs, fabs(ad_get(y, i)));
    char sx[64], sy[64];
    printf("# forward: x %s -> eps_hat %s\n", ad_shape_str(x, sx, sizeof sx), ad_shape_str(y, sy, sizeof sy));
    check_true("L36.3.8.4.out_shape", y->ndim == 4 && y->shape[0] == nb && y->shape[1] == 1 &&
                                          y->shape[2] == hw && y->shape[3] == hw,
               "eps_theta(x_t, t) has the shape of x_t");
    check_close("L36.3.8.4.zero_init_output", maxabs, 0.0, 0, NULL,
                "DDPM zero initialisation: the untrained U-Net outputs exactly 0");

    int injections = 0;
    for (int i = 0; i < net.n_down; i++) injections += net.down_res[i].temb_dim > 0;
    for (int i = 0; i < net.n_up; i++) injections += net.up_res[i].temb_dim > 0;
    injections += (net.mid_res0.temb_dim > 0) + (net.mid_res1.temb_dim > 0);
    check_erratum("L36.3.8.4.E26_time_injections", 1.0, injections,
                  "E26: places where the time embedding enters: the diagram's input 'x_t + TimeEmb(t)' "
                  "vs every ResBlock of the default U-Net");
    for (int l = 0; l < cfg.num_levels; l++)
        if (cfg.attn_levels[l])
            printf("# attention at level %d (32x32 input): %dx%d = %d tokens, %d^2 = %d logits per sample and block\n",
                   l, 32 >> l, 32 >> l, (32 >> l) * (32 >> l), (32 >> l) * (32 >> l),
                   (32 >> l) * (32 >> l) * (32 >> l) * (32 >> l));
    printf("# (for a 32x32 input; attention at 32x32 would need %d logits: 16 times more, hence attention only at <= 16x16)\n",
           1024 * 1024);
    ad_arena_free(arena);
    nn_params_free(&ps);
    nn_unet_free(&net);

    /* with random (non-zero) weights everywhere, the output depends on t */
    NnUNetConfig c2 = cfg;
    c2.zero_init = 0;
    c2.base_channels = 16;
    c2.time_embed_dim = 64;
    NnUNet net2;
    nn_unet_init(&net2, &c2, &rng);
    arena = ad_arena_new(1 << 22);
    AdTensor *x2 = ad_input(arena, AD_F32, 4, (int[]){2, 1, 16, 16});
    for (long i = 0; i < 256; i++) {
        double v = rng_normal(&rng);
        ad_set(x2, i, v), ad_set(x2, 256 + i, v); /* the same image twice */
    }
    AdTensor *y2 = nn_unet_forward(arena, &net2, x2, t);
    double dn = 0, nn = 0;
    for (long i = 0; i < 256; i++) {
        double a = ad_get(y2, i), b = ad_get(y2, 256 + i);
        dn += (a - b) * (a - b), nn += a * a;
    }
    check_ge("L36.3.8.4.time_sensitivity", sqrt(dn / nn), 1e-3, 0, "L36.3.8.4.resblock",
             "random-weight U-Net: ||eps(x,10) - eps(x,900)|| / ||eps(x,10)|| on one image");
    ad_arena_free(arena);
    nn_unet_free(&net2);
}

/*: ## Receptive field

For a chain of layers with kernel $k_i$ and stride $s_i$, the span of input pixels that one
output unit sees grows as
$$ r \leftarrow r + (k_i - 1)\,j,\qquad j \leftarrow j\,s_i,\qquad (r, j) = (1, 1) \text{ at the input} . $$ {#eq:L36.3.8.4.receptive_field}
For the default U-Net's convolutions (stem; $2R = 4$ convolutions per level; $2\times2$ pools;
4 convolutions in the middle) a bottleneck unit spans
$1 + 2 + 4\cdot2 + 1 + 4\cdot4 + 2 + 4\cdot8 + 4\cdot8 = 94$ input pixels. The check builds
that skeleton (one channel, positive weights, no normalisation) and measures the support of
$\partial y_p/\partial x$ for the centre unit.

The U-Net itself has no finite receptive field: GroupNorm's mean and variance run over the
whole map, and attention connects all positions, so every output pixel depends on every
input pixel. The second check takes a one-level U-Net without attention, whose twelve
$3\times3$ convolutions reach only $25\times25$ pixels, on a $48\times48$ input, and finds
the gradient of the centre output non-zero at all 2304 pixels: GroupNorm alone does it.
*/
static int rf_closed(const NnUNetConfig *c) {
    int rf = 1, jump = 1;
    //: $r \mathrel{+}= (k-1)j$, [eq:L36.3.8.4.receptive_field]: stem
    rf += 2 * jump;
    for (int l = 0; l < c->num_levels; l++) {
        rf += 2 * c->num_res_blocks * 2 * jump;
        if (l < c->num_levels - 1) rf += 1 * jump, jump *= 2;
    }
    return rf + 4 * 2 * jump; /* the two middle ResBlocks */
}

static void section_receptive_field(const Cli *cli, double *grad_skel, double *grad_net) {
    NnUNetConfig cfg = nn_unet_config_default();
    enum { HS = 128 };
    AdArena *arena = ad_arena_new(1 << 22);
    AdTensor *x = ad_param_new(AD_F64, 4, (int[]){1, 1, HS, HS});
    AdTensor *w = ad_input(arena, AD_F64, 4, (int[]){1, 1, 3, 3});
    for (int i = 0; i < 9; i++) ad_set(w, i, 1.0 / 9);
    AdTensor *h = ad_conv2d(arena, x, w, NULL, 1, 1);
    for (int l = 0; l < cfg.num_levels; l++) {
        for (int k = 0; k < 2 * cfg.num_res_blocks; k++) h = ad_conv2d(arena, h, w, NULL, 1, 1);
        if (l < cfg.num_levels - 1) h = ad_avg_pool2d(arena, h, 2);
    }
    for (int k = 0; k < 4; k++) h = ad_conv2d(arena, h, w, NULL, 1, 1);
    int hb = h->shape[2], centre = hb / 2;
    AdTensor *sel = ad_slice(arena, ad_slice(arena, h, 2, centre, centre + 1), 3, centre, centre + 1);
    ad_backward(arena, ad_sum(arena, sel));
    int lo = HS, hi = -1;
    for (int i = 0; i < HS; i++)
        for (int j = 0; j < HS; j++) {
            double g = ad_grad_f64(x)[i * HS + j];
            grad_skel[i * HS + j] = g;
            if (g != 0) lo = i < lo ? i : lo, hi = i > hi ? i : hi;
        }
    check_close("L36.3.8.4.receptive_field", hi - lo + 1, rf_closed(&cfg), 0,
                "L36.3.8.4.receptive_field",
                "rows where d(bottleneck centre)/dx != 0 in the conv/pool skeleton vs the recurrence");
    ad_tensor_free(x);
    ad_arena_reset(arena);

    Rng rng;
    rng_init(&rng, cli->seed, 3);
    NnUNetConfig c2 = cfg;
    c2.zero_init = 0;
    c2.base_channels = 8;
    c2.num_levels = 1; /* one resolution: every 3x3 conv has jump 1 */
    c2.num_res_blocks = 1;
    c2.attn_levels[1] = 0;
    c2.mid_attention = 0; /* GroupNorm alone already makes the dependence global */
    c2.time_embed_dim = 16;
    c2.groups = 4;
    c2.dtype = AD_F64;
    NnUNet net;
    nn_unet_init(&net, &c2, &rng);
    enum { HN = 48 };
    AdTensor *xn = ad_param_new(AD_F64, 4, (int[]){1, 1, HN, HN});
    rng_normal_fill(&rng, ad_f64(xn), HN * HN);
    double t = 300;
    AdTensor *y = nn_unet_forward(arena, &net, xn, &t);
    AdTensor *yp = ad_slice(arena, ad_slice(arena, y, 2, HN / 2, HN / 2 + 1), 3, HN / 2, HN / 2 + 1);
    ad_backward(arena, ad_sum(arena, yp));
    int nonzero = 0;
    for (int i = 0; i < HN * HN; i++) {
        grad_net[i] = ad_grad_f64(xn)[i];
        nonzero += grad_net[i] != 0;
    }
    /* 3x3 convs on the way: stem, 2R down, 4 middle, 2(R+1) up, output */
    int n3 = 1 + 2 * c2.num_res_blocks + 4 + 2 * (c2.num_res_blocks + 1) + 1, rf = 1 + 2 * n3;
    printf("# small U-Net (one level, GroupNorm, no attention), 48x48: its %d convs reach %dx%d pixels, "
           "but d y_centre/dx is non-zero at %d of %d\n", n3, rf, rf, nonzero, HN * HN);
    check_close("L36.3.8.4.global_dependence", nonzero, HN * HN, 0, NULL,
                "GroupNorm statistics make every output pixel depend on every input pixel");
    ad_tensor_free(xn);
    nn_unet_free(&net);
    ad_arena_free(arena);
}

static void figure(const Cli *cli, const double *grad_skel, const double *grad_net) {
    enum { HS = 128, HN = 48 };
    double *a = xmalloc(sizeof(double) * HS * HS), b[HN * HN];
    for (int i = 0; i < HS * HS; i++) a[i] = grad_skel[i] > 0 ? log10(grad_skel[i]) : NAN;
    for (int i = 0; i < HN * HN; i++) b[i] = log10(fmax(fabs(grad_net[i]), 1e-300));
    Plot *p = plot_new_grid(1, 2, 1200, 560, "L36 3.8.4: log10 |d y_centre / d x|");
    plot_panel(p, 0);
    plot_title(p, "conv + pool skeleton of the default U-Net (128x128)");
    plot_heatmap(p, a, HS, HS, 0, HS, 0, HS, "log10 gradient");
    plot_xlabel(p, "x");
    plot_ylabel(p, "y");
    plot_panel(p, 1);
    plot_title(p, "one-level U-Net with GroupNorm, convs reach 25x25 (48x48)");
    plot_heatmap(p, b, HN, HN, 0, HN, 0, HN, "log10 |gradient|");
    plot_xlabel(p, "x");
    plot_ylabel(p, "y");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "receptive_field.png"), err, sizeof err))
        fprintf(stderr, "warning: %s\n", err);
    plot_free(p);
    free(a);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.8.4: U-Net blocks: ResBlock + time, resampling, skips, size, receptive field",
              36, NULL);
    double *grad_skel = xmalloc(sizeof(double) * 128 * 128), grad_net[48 * 48];
    section_resblock(&cli);
    section_resampling(&cli);
    section_unet(&cli);
    section_receptive_field(&cli, grad_skel, grad_net);
    figure(&cli, grad_skel, grad_net);
    free(grad_skel);
    return check_end();
}
