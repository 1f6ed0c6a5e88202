/* tiny_unet — the Tiny U-Net of L36 §4.2.2 (maths, layout and switches in tiny_unet.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/tiny_unet.h"
#include "common/util.h"

TinyUNetConfig tiny_unet_config_lecture(void) {
    return (TinyUNetConfig){.d_model = 64, .t_emb = 128, .t_hidden = 256, .groups = 8, .image_size = 28,
                            .n_classes = 0, .time_per_level = 0, .enc1_skip = 0, .mid_attention = 0,
                            .deep = 0, .mult1 = 0, .mult2 = 0, .dtype = AD_F32};
}

long tiny_unet_hidden(const TinyUNetConfig *c) { return c->t_hidden > 0 ? c->t_hidden : 2L * c->t_emb; }

static void validate(const TinyUNetConfig *c) {
    if (c->t_hidden < 0) die("tiny_unet: t_hidden %d < 0", c->t_hidden);
    if (c->d_model < 1 || c->t_emb < 4 || c->t_emb % 2 != 0)
        die("tiny_unet: d_model %d must be >= 1 and t_emb %d even and >= 4", c->d_model, c->t_emb);
    if (c->groups < 1 || c->d_model % c->groups != 0)
        die("tiny_unet: groups %d must divide d_model %d", c->groups, c->d_model);
    if (c->image_size < 4 || c->image_size % 2 != 0)
        die("tiny_unet: image_size %d must be even and >= 4", c->image_size);
    if (c->n_classes < 0) die("tiny_unet: n_classes %d < 0", c->n_classes);
    if (c->deep && (!c->time_per_level || !c->enc1_skip || c->image_size % 4 != 0 || c->mult1 < 0 ||
                    c->mult2 < 0))
        die("tiny_unet: the deep layout needs time_per_level = enc1_skip = 1, image_size %d "
            "divisible by 4 and mult1, mult2 >= 0", c->image_size);
    if (!c->time_per_level && tiny_unet_hidden(c) < c->d_model)
        die("tiny_unet: the lecture's time bias needs t_hidden (%ld) >= d_model (%d)",
            tiny_unet_hidden(c), c->d_model);
}

/* Channels of the deep layout's three levels. */
static void deep_channels(const TinyUNetConfig *c, long ch[3]) {
    ch[0] = c->d_model;
    ch[1] = (long)(c->mult1 > 0 ? c->mult1 : 2) * c->d_model;
    ch[2] = (long)(c->mult2 > 0 ? c->mult2 : 2) * c->d_model;
}

/* The seven residual blocks of the deep layout: input and output channels, level (0..2). */
static const char *const RB_NAME[7] = {"down0", "down1", "down2", "mid", "up2", "up1", "up0"};
static void deep_blocks(const TinyUNetConfig *c, long in[7], long out[7], int level[7]) {
    long ch[3];
    deep_channels(c, ch);
    const long i_[7] = {ch[0], ch[0], ch[1], ch[2], 2 * ch[2], ch[2] + ch[1], ch[1] + ch[0]};
    const long o_[7] = {ch[0], ch[1], ch[2], ch[2], ch[2], ch[1], ch[0]};
    const int l_[7] = {0, 1, 2, 2, 2, 1, 0};
    for (int b = 0; b < 7; b++) in[b] = i_[b], out[b] = o_[b], level[b] = l_[b];
}

static void deep_init(TinyUNet *m, Rng *rng) {
    const TinyUNetConfig *c = &m->cfg;
    const int e2 = (int)tiny_unet_hidden(c), g = c->groups, d = c->d_model;
    long in[7], out[7], ch[3];
    int lev[7];
    deep_blocks(c, in, out, lev);
    deep_channels(c, ch);
    nn_conv2d_init(&m->enc1, 1, d, 3, 1, 1, 1, c->dtype, NN_INIT_HE_UNIFORM, rng);
    for (int b = 0; b < 7; b++)
        nn_resblock_init(&m->rb[b], (int)in[b], (int)out[b], e2, g, 1, c->dtype, rng);
    if (c->mid_attention) nn_attn_block_init(&m->attn, (int)ch[2], g, 0, c->dtype, rng);
    nn_group_norm_init(&m->gnd, g, d, c->dtype);
    nn_conv2d_init(&m->out, d, 1, 3, 1, 1, 1, c->dtype, NN_INIT_ZEROS, rng);
    nn_init_uniform(m->out.weight, sqrt(3.0 / (9.0 * d)), rng);
}

static int out_in_channels(const TinyUNetConfig *c) {
    return c->enc1_skip ? 2 * c->d_model : c->d_model;
}

void tiny_unet_init(TinyUNet *m, const TinyUNetConfig *cfg, Rng *rng) {
    validate(cfg);
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const int d = cfg->d_model, e = cfg->t_emb, e2 = (int)tiny_unet_hidden(cfg), g = cfg->groups;
    const AdDtype dt = cfg->dtype;
    nn_linear_init(&m->time0, e, e2, 1, dt, NN_INIT_HE_UNIFORM, rng);
    nn_linear_init(&m->time1, e2, e2, 1, dt, NN_INIT_GLOROT_UNIFORM, rng);
    if (cfg->n_classes > 0) {
        m->label_table = ad_param_new(dt, 2, (int[]){cfg->n_classes + 1, e2});
        nn_init_normal(m->label_table, 1.0 / sqrt((double)e2), rng);
    }
    if (cfg->deep) {
        deep_init(m, rng);
        return;
    }
    nn_conv2d_init(&m->enc1, 1, d, 3, 1, 1, 1, dt, NN_INIT_HE_UNIFORM, rng);
    nn_conv2d_init(&m->enc2, d, 2 * d, 3, 2, 1, 1, dt, NN_INIT_HE_UNIFORM, rng);
    nn_conv2d_init(&m->mid, 2 * d, 2 * d, 3, 1, 1, 1, dt, NN_INIT_HE_UNIFORM, rng);
    /* transposed conv 4x4 stride 2: each output position receives 4d * (4/2)^2 inputs */
    m->dec_w = ad_param_new(dt, 4, (int[]){4 * d, d, 4, 4});
    m->dec_b = ad_param_new(dt, 1, (int[]){d});
    nn_init_uniform(m->dec_w, nn_he_bound(4 * d * 4), rng);
    /* out: Var w = 1/fan_in, so that eps_hat starts with variance ~1 (the inputs are normalised)
       and the initial loss is ~2 rather than Glorot's ~3 */
    nn_conv2d_init(&m->out, out_in_channels(cfg), 1, 3, 1, 1, 1, dt, NN_INIT_ZEROS, rng);
    nn_init_uniform(m->out.weight, sqrt(3.0 / (9.0 * out_in_channels(cfg))), rng);
    nn_group_norm_init(&m->gn1, g, d, dt);
    nn_group_norm_init(&m->gn2, g, 2 * d, dt);
    nn_group_norm_init(&m->gnm, g, 2 * d, dt);
    nn_group_norm_init(&m->gnd, g, d, dt);
    if (cfg->mid_attention) nn_attn_block_init(&m->attn, 2 * d, g, 0, dt, rng);
    if (cfg->time_per_level) {
        const int ch[4] = {d, 2 * d, 2 * d, d};
        for (int l = 0; l < 4; l++)
            nn_linear_init(&m->tproj[l], e2, ch[l], 1, dt, NN_INIT_GLOROT_UNIFORM, rng);
    }
}

void tiny_unet_free(TinyUNet *m) {
    nn_linear_free(&m->time0);
    nn_linear_free(&m->time1);
    ad_tensor_free(m->label_table);
    if (m->cfg.deep) {
        nn_conv2d_free(&m->enc1);
        for (int b = 0; b < 7; b++) nn_resblock_free(&m->rb[b]);
        if (m->cfg.mid_attention) nn_attn_block_free(&m->attn);
        nn_group_norm_free(&m->gnd);
        nn_conv2d_free(&m->out);
        memset(m, 0, sizeof *m);
        return;
    }
    nn_conv2d_free(&m->enc1);
    nn_conv2d_free(&m->enc2);
    nn_conv2d_free(&m->mid);
    nn_conv2d_free(&m->out);
    nn_group_norm_free(&m->gn1);
    nn_group_norm_free(&m->gn2);
    nn_group_norm_free(&m->gnm);
    nn_group_norm_free(&m->gnd);
    ad_tensor_free(m->dec_w);
    ad_tensor_free(m->dec_b);
    if (m->cfg.time_per_level)
        for (int l = 0; l < 4; l++) nn_linear_free(&m->tproj[l]);
    if (m->cfg.mid_attention) nn_attn_block_free(&m->attn);
    memset(m, 0, sizeof *m);
}

static const char *const TPROJ_NAME[4] = {"tproj.enc1", "tproj.enc2", "tproj.mid", "tproj.dec1"};

void tiny_unet_params(const TinyUNet *m, NnParams *p) {
    nn_linear_params(&m->time0, "time.0", p);
    nn_linear_params(&m->time1, "time.1", p);
    if (m->label_table) nn_params_add(p, "label", "table", m->label_table);
    if (m->cfg.deep) {
        nn_conv2d_params(&m->enc1, "conv_in", p);
        for (int b = 0; b < 7; b++) nn_resblock_params(&m->rb[b], RB_NAME[b], p);
        if (m->cfg.mid_attention) nn_attn_block_params(&m->attn, "mid.attn", p);
        nn_group_norm_params(&m->gnd, "out.gn", p);
        nn_conv2d_params(&m->out, "out", p);
        return;
    }
    nn_conv2d_params(&m->enc1, "enc1", p);
    nn_group_norm_params(&m->gn1, "enc1.gn", p);
    nn_conv2d_params(&m->enc2, "enc2", p);
    nn_group_norm_params(&m->gn2, "enc2.gn", p);
    nn_conv2d_params(&m->mid, "mid", p);
    nn_group_norm_params(&m->gnm, "mid.gn", p);
    nn_params_add(p, "dec1", "weight", m->dec_w);
    nn_params_add(p, "dec1", "bias", m->dec_b);
    nn_group_norm_params(&m->gnd, "dec1.gn", p);
    nn_conv2d_params(&m->out, "out", p);
    if (m->cfg.time_per_level)
        for (int l = 0; l < 4; l++) nn_linear_params(&m->tproj[l], TPROJ_NAME[l], p);
    if (m->cfg.mid_attention) nn_attn_block_params(&m->attn, "mid.attn", p);
}

void tiny_unet_copy(TinyUNet *dst, const TinyUNet *src) {
    NnParams a, b;
    nn_params_init(&a);
    nn_params_init(&b);
    tiny_unet_params(dst, &a);
    tiny_unet_params(src, &b);
    if (a.n != b.n) die("tiny_unet_copy: different layouts (%d vs %d tensors)", a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        if (a.t[i]->size != b.t[i]->size) die("tiny_unet_copy: %s differs in size", a.name[i]);
        ad_copy_values(a.t[i], b.t[i]);
    }
    nn_params_free(&a);
    nn_params_free(&b);
}

void tiny_unet_time_embedding(double t, int dim, double *out) {
    if (dim < 4 || dim % 2 != 0) die("tiny_unet_time_embedding: width %d must be even, >= 4", dim);
    const int h = dim / 2;
    const double c = log(10000.0) / (h - 1);
    for (int k = 0; k < h; k++) {
        //: $\omega_k = e^{-ck}$, $c = \ln 10000/(h-1)$, [eq:common.tiny_unet.time_embedding]
        double omega = exp(-c * k);
        out[k] = sin(t * omega);
        out[h + k] = cos(t * omega);
    }
}

/* Conv -> SiLU -> GroupNorm, the lecture's block order. */
static AdTensor *block(AdArena *a, AdTensor *conv_out, const NnGroupNorm *gn, AdTensor **pre) {
    AdTensor *s = ad_silu(a, conv_out);
    if (pre) *pre = s;
    return nn_group_norm_forward(a, gn, s);
}

/* A (N, C) tensor as a (N, C, 1, 1) per-channel bias. */
static AdTensor *as_channel_bias(AdArena *a, AdTensor *b) {
    return ad_reshape(a, b, 4, (int[]){b->shape[0], b->shape[1], 1, 1});
}

static AdTensor *cat2(AdArena *a, AdTensor *u, AdTensor *v) {
    AdTensor *uv[2] = {u, v};
    return ad_concat(a, uv, 2, 1);
}

/* The deep layout (header table): three levels, residual blocks, skips at every level. */
static AdTensor *deep_forward(AdArena *a, const TinyUNet *m, AdTensor *x, AdTensor *tau,
                              TinyUNetTrace *tr) {
    //: $\mathrm{SiLU}(\tau)$, the time input of every residual block, [eq:common.tiny_unet.resblock]
    AdTensor *st = ad_silu(a, tau);
    AdTensor *h = nn_conv2d_forward(a, &m->enc1, x);
    //: $s_0 = \mathrm{Res}_{\text{down0}}(\mathrm{conv}(x))$ at $H$
    AdTensor *s0 = nn_resblock_forward(a, &m->rb[0], h, st);
    //: $s_1 = \mathrm{Res}_{\text{down1}}(\mathrm{pool}(s_0))$ at $H/2$
    AdTensor *s1 = nn_resblock_forward(a, &m->rb[1], ad_avg_pool2d(a, s0, 2), st);
    //: $s_2 = \mathrm{Res}_{\text{down2}}(\mathrm{pool}(s_1))$ at $H/4$
    AdTensor *s2 = nn_resblock_forward(a, &m->rb[2], ad_avg_pool2d(a, s1, 2), st);
    h = nn_resblock_forward(a, &m->rb[3], s2, st);
    //: self-attention over the $(H/4)^2$ positions
    if (m->cfg.mid_attention) h = nn_attn_block_forward(a, &m->attn, h);
    AdTensor *mid = h;
    //: up path: $\mathrm{Res}([h, s_\ell])$, nearest ×2 between levels
    h = nn_resblock_forward(a, &m->rb[4], cat2(a, h, s2), st);
    h = nn_resblock_forward(a, &m->rb[5], cat2(a, ad_upsample_nearest2d(a, h, 2), s1), st);
    h = nn_resblock_forward(a, &m->rb[6], cat2(a, ad_upsample_nearest2d(a, h, 2), s0), st);
    AdTensor *dec = h;
    //: $\hat\epsilon = \mathrm{conv}(\mathrm{SiLU}(\mathrm{GN}(h)))$
    AdTensor *out = nn_conv2d_forward(a, &m->out, ad_silu(a, nn_group_norm_forward(a, &m->gnd, h)));
    if (tr) *tr = (TinyUNetTrace){tau, s0, s1, mid, NULL, dec, out, NULL, NULL};
    return out;
}

static AdTensor *forward_impl(AdArena *a, const TinyUNet *m, AdTensor *x, const int *t,
                              const int *y, TinyUNetTrace *tr) {
    const TinyUNetConfig *c = &m->cfg;
    const int n = x->shape[0], H = c->image_size, d = c->d_model, e = c->t_emb;
    if (x->ndim != 4 || x->shape[1] != 1 || x->shape[2] != H || x->shape[3] != H)
        die("tiny_unet_forward: input must be (N,1,%d,%d)", H, H);
    if (x->dtype != c->dtype) die("tiny_unet_forward: input dtype differs from the network's");
    /* sinusoid of every sample's own t */
    double *emb = xmalloc((size_t)n * e * sizeof *emb);
    for (int i = 0; i < n; i++) tiny_unet_time_embedding((double)t[i], e, emb + (size_t)i * e);
    AdTensor *s = ad_from_doubles(a, c->dtype, 2, (int[]){n, e}, emb);
    free(emb);
    //: $\tau = \mathrm{Linear}_2(\mathrm{SiLU}(\mathrm{Linear}_1(\mathrm{emb}(t))))$
    AdTensor *tau = nn_linear_forward(a, &m->time1, ad_silu(a, nn_linear_forward(a, &m->time0, s)));
    if (m->label_table) {
        int *lab = xmalloc((size_t)n * sizeof *lab);
        for (int i = 0; i < n; i++) {
            lab[i] = y ? y[i] : c->n_classes;
            if (lab[i] < 0 || lab[i] > c->n_classes)
                die("tiny_unet_forward: label %d outside 0..%d", lab[i], c->n_classes);
        }
        //: $\tau \mathrel{+}= E_y$ (row $k$ = the null label)
        tau = ad_add(a, tau, ad_embedding(a, m->label_table, lab, n));
        free(lab);
    }
    if (c->deep) return deep_forward(a, m, x, tau, tr);
    AdTensor *bias[4] = {0};
    if (c->time_per_level) {
        AdTensor *st = ad_silu(a, tau);
        //: $b_\ell = \mathrm{SiLU}(\tau) W_\ell + c_\ell$, one per level
        for (int l = 0; l < 4; l++) bias[l] = as_channel_bias(a, nn_linear_forward(a, &m->tproj[l], st));
    } else {
        //: the lecture: $b_1 = \tau_{0:d}$ at enc1 only (erratum A6)
        bias[0] = as_channel_bias(a, ad_slice(a, tau, 1, 0, d));
    }
    AdTensor *pre = NULL;
    AdTensor *g1 = block(a, nn_conv2d_forward(a, &m->enc1, x), &m->gn1, &pre);
    //: $h_1 = \mathrm{GN}(\mathrm{SiLU}(\mathrm{conv}(x))) + b_1$
    AdTensor *h1 = ad_add(a, g1, bias[0]);
    AdTensor *h2 = block(a, nn_conv2d_forward(a, &m->enc2, h1), &m->gn2, NULL);
    if (bias[1]) h2 = ad_add(a, h2, bias[1]);
    AdTensor *h = block(a, nn_conv2d_forward(a, &m->mid, h2), &m->gnm, NULL);
    if (bias[2]) h = ad_add(a, h, bias[2]);
    //: self-attention over the $(H/2)^2$ positions (the details block's fix)
    if (c->mid_attention) h = nn_attn_block_forward(a, &m->attn, h);
    AdTensor *mid = h;
    AdTensor *cat2[2] = {h, h2};
    AdTensor *cat = ad_concat(a, cat2, 2, 1);
    h = block(a, ad_conv_transpose2d(a, cat, m->dec_w, m->dec_b, 2, 1), &m->gnd, NULL);
    if (bias[3]) h = ad_add(a, h, bias[3]);
    AdTensor *dec = h;
    if (c->enc1_skip) {
        AdTensor *sk[2] = {h, h1};
        h = ad_concat(a, sk, 2, 1);
    }
    AdTensor *out = nn_conv2d_forward(a, &m->out, h);
    if (tr) *tr = (TinyUNetTrace){tau, h1, h2, mid, cat, dec, out, pre, g1};
    return out;
}

AdTensor *tiny_unet_forward(AdArena *arena, const TinyUNet *m, AdTensor *x, const int *t,
                            const int *y, TinyUNetTrace *trace) {
    return forward_impl(arena, m, x, t, y, trace);
}

/* A shallow copy of the network whose parameter pointers are detached views (arena memory). */
static AdTensor *det(AdArena *a, AdTensor *p) { return p ? ad_detach(a, p) : NULL; }
static void det_linear(AdArena *a, NnLinear *l) { l->weight = det(a, l->weight), l->bias = det(a, l->bias); }
static void det_conv(AdArena *a, NnConv2d *l) { l->weight = det(a, l->weight), l->bias = det(a, l->bias); }
static void det_gn(AdArena *a, NnGroupNorm *l) { l->weight = det(a, l->weight), l->bias = det(a, l->bias); }

AdTensor *tiny_unet_forward_nograd(AdArena *arena, const TinyUNet *m, AdTensor *x, const int *t,
                                   const int *y) {
    TinyUNet v = *m;
    det_linear(arena, &v.time0);
    det_linear(arena, &v.time1);
    v.label_table = det(arena, v.label_table);
    det_conv(arena, &v.enc1);
    det_conv(arena, &v.enc2);
    det_conv(arena, &v.mid);
    det_conv(arena, &v.out);
    det_gn(arena, &v.gn1);
    det_gn(arena, &v.gn2);
    det_gn(arena, &v.gnm);
    det_gn(arena, &v.gnd);
    v.dec_w = det(arena, v.dec_w);
    v.dec_b = det(arena, v.dec_b);
    if (v.cfg.time_per_level)
        for (int l = 0; l < 4; l++) det_linear(arena, &v.tproj[l]);
    for (int b = 0; v.cfg.deep && b < 7; b++) {
        NnResBlock *r = &v.rb[b];
        det_gn(arena, &r->norm1);
        det_gn(arena, &r->norm2);
        det_conv(arena, &r->conv1);
        det_conv(arena, &r->conv2);
        det_linear(arena, &r->temb_proj);
        if (r->has_skip_conv) det_conv(arena, &r->skip);
    }
    if (v.cfg.mid_attention) {
        det_gn(arena, &v.attn.norm);
        det_linear(arena, &v.attn.q);
        det_linear(arena, &v.attn.k);
        det_linear(arena, &v.attn.v);
        det_linear(arena, &v.attn.proj);
    }
    return forward_impl(arena, &v, x, t, y, NULL);
}

/* A residual block's parameters R(i, o) and multiply-adds at P positions (header). */
static long rb_params(long i, long o, long m) {
    return 2 * i + 9 * i * o + o + m * o + o + 2 * o + 9 * o * o + o + (i != o ? i * o + o : 0);
}
static long rb_macs(long i, long o, long m, long P) {
    return 9 * i * o * P + 9 * o * o * P + (i != o ? i * o * P : 0) + m * o;
}

static long deep_param_count(const TinyUNetConfig *c) {
    const long e = c->t_emb, e2 = tiny_unet_hidden(c);
    long in[7], out[7], ch[3];
    int lev[7];
    deep_blocks(c, in, out, lev);
    deep_channels(c, ch);
    //: [eq:common.tiny_unet.params_deep]
    long p = (e * e2 + e2) + (e2 * e2 + e2) + 10 * ch[0] + 2 * ch[0] + 9 * ch[0] + 1;
    for (int b = 0; b < 7; b++) p += rb_params(in[b], out[b], e2);
    if (c->mid_attention) p += 4 * ch[2] * ch[2] + 5 * ch[2];
    if (c->n_classes > 0) p += (long)(c->n_classes + 1) * e2;
    return p;
}

static long deep_macs(const TinyUNetConfig *c) {
    const long e = c->t_emb, e2 = tiny_unet_hidden(c), H = c->image_size;
    long in[7], out[7], ch[3];
    int lev[7];
    deep_blocks(c, in, out, lev);
    deep_channels(c, ch);
    long macs = e * e2 + e2 * e2 + 2 * 9 * ch[0] * H * H; /* time MLP, conv_in, out */
    for (int b = 0; b < 7; b++) {
        const long side = H >> lev[b];
        macs += rb_macs(in[b], out[b], e2, side * side);
    }
    const long P = (H / 4) * (H / 4);
    if (c->mid_attention) macs += 4 * P * ch[2] * ch[2] + 2 * P * P * ch[2];
    return macs;
}

long tiny_unet_param_count(const TinyUNetConfig *c) {
    if (c->deep) return deep_param_count(c);
    const long d = c->d_model, e = c->t_emb, e2 = tiny_unet_hidden(c), dout = out_in_channels(c);
    //: [eq:common.tiny_unet.params]
    long p = (e * e2 + e2) + (e2 * e2 + e2) + (9 * d + d) + (18 * d * d + 2 * d) +
             (36 * d * d + 2 * d) + (64 * d * d + d) + (9 * dout + 1) + 2 * (d + 2 * d + 2 * d + d);
    if (c->time_per_level) p += e2 * 6 * d + 6 * d;
    if (c->mid_attention) p += 4 * (2 * d) * (2 * d) + 5 * (2 * d);
    if (c->n_classes > 0) p += (long)(c->n_classes + 1) * e2;
    return p;
}

long tiny_unet_macs(const TinyUNetConfig *c) {
    if (c->deep) return deep_macs(c);
    const long d = c->d_model, e = c->t_emb, e2 = tiny_unet_hidden(c), H = c->image_size, h = H / 2;
    const long dout = out_in_channels(c);
    long macs = 9 * d * H * H            /* enc1 */
                + 18 * d * d * h * h     /* enc2: 2d outputs at (H/2)^2, 9 d inputs each */
                + 36 * d * d * h * h     /* mid */
                + 64 * d * d * h * h     /* dec1: (H/2)^2 inputs x 4d x d x 16 */
                + 9 * dout * H * H       /* out */
                + e * e2 + e2 * e2;      /* time MLP */
    if (c->time_per_level) macs += e2 * 6 * d;
    if (c->mid_attention) macs += 4 * h * h * (2 * d) * (2 * d) + 2 * (h * h) * (h * h) * (2 * d);
    return macs;
}

long tiny_unet_dead_param_count(const TinyUNetConfig *c) {
    if (c->time_per_level) return 0;
    const long e2 = tiny_unet_hidden(c), d = c->d_model;
    long dead = (e2 - d) * (e2 + 1);
    if (c->n_classes > 0) dead += (long)(c->n_classes + 1) * (e2 - d);
    return dead;
}

int tiny_unet_param_is_dead(const TinyUNet *m, const AdTensor *p, long i) {
    if (m->cfg.time_per_level) return 0;
    const long e2 = tiny_unet_hidden(&m->cfg), d = m->cfg.d_model;
    /* time.1 weight (m, m) and bias (m), label table (k+1, m): output column >= d */
    if (p == m->time1.weight || p == m->time1.bias || (m->label_table && p == m->label_table))
        return i % e2 >= d;
    return 0;
}
