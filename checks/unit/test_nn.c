/* Unit tests of common/nn.h: forward shapes, Linear and MLP against hand computations,
   initialisation statistics, the sinusoidal time embedding, whole-module gradient checks in
   double (MLP, Conv2d+GroupNorm, ResBlock, attention block), parameter files (round trip and
   every kind of damage), and a small regression trained with plain SGD. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/util.h"

/* ---- helpers ---- */

/* A fixed random weighting r of the output, so that L = sum(r * y) has a non-trivial gradient
   through every output coordinate (sum(y) alone would be blind to GroupNorm's centring). */
typedef struct {
    double *r;
    long n;
} Weighting;

static Weighting weighting_new(long n, uint64_t seed) {
    Weighting w = {xmalloc((size_t)n * sizeof(double)), n};
    Rng rng;
    rng_init(&rng, seed, 99);
    for (long i = 0; i < n; i++) w.r[i] = rng_normal(&rng);
    return w;
}

static AdTensor *weighted_sum(AdArena *arena, AdTensor *y, const Weighting *w) {
    if (y->size != w->n) die("weighted_sum: size %ld != %ld", y->size, w->n);
    AdTensor *r = ad_from_doubles(arena, y->dtype, y->ndim, y->shape, w->r);
    return ad_sum(arena, ad_mul(arena, y, r));
}

static AdTensor *random_param(AdDtype dt, int ndim, const int *shape, Rng *rng, double scale) {
    AdTensor *t = ad_param_new(dt, ndim, shape);
    for (long i = 0; i < t->size; i++) ad_set(t, i, scale * rng_normal(rng));
    return t;
}

static void perturb(AdTensor *t, Rng *rng, double scale) {
    for (long i = 0; i < t->size; i++) ad_set(t, i, ad_get(t, i) + scale * rng_normal(rng));
}

static int same_shape(const AdTensor *t, int ndim, const int *shape) {
    if (t->ndim != ndim) return 0;
    for (int d = 0; d < ndim; d++)
        if (t->shape[d] != shape[d]) return 0;
    return 1;
}

/* ---- gradient-check contexts ---- */

typedef struct {
    NnMlp *mlp;
    AdTensor *x;
    Weighting w;
} MlpCtx;

static AdTensor *mlp_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    MlpCtx *c = vctx;
    return weighted_sum(arena, nn_mlp_forward(arena, c->mlp, c->x), &c->w);
}

typedef struct {
    NnConv2d *conv;
    NnGroupNorm *norm;
    AdTensor *x;
    Weighting w;
} ConvNormCtx;

static AdTensor *conv_norm_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    ConvNormCtx *c = vctx;
    AdTensor *h = nn_conv2d_forward(arena, c->conv, c->x);
    h = ad_silu(arena, nn_group_norm_forward(arena, c->norm, h));
    return weighted_sum(arena, h, &c->w);
}

typedef struct {
    NnAttnBlock *attn;
    NnResBlock *res;
    AdTensor *x, *temb;
    Weighting w;
} BlockCtx;

static AdTensor *attn_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    BlockCtx *c = vctx;
    return weighted_sum(arena, nn_attn_block_forward(arena, c->attn, c->x), &c->w);
}

static AdTensor *res_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    BlockCtx *c = vctx;
    AdTensor *e = ad_silu(arena, c->temb);
    return weighted_sum(arena, nn_resblock_forward(arena, c->res, c->x, e), &c->w);
}

/* ---- sections ---- */

static void test_linear_mlp_values(void) {
    AdArena *arena = ad_arena_new(1 << 16);
    Rng rng;
    rng_init(&rng, 1, 0);
    /* Linear 2 -> 3 with W = [[1,2,3],[4,5,6]], b = [0.5,-0.5,1] at x = [1,2]:
       xW + b = [1+8+0.5, 2+10-0.5, 3+12+1] = [9.5, 11.5, 16] (by hand). */
    NnLinear lin;
    nn_linear_init(&lin, 2, 3, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, &rng);
    for (int i = 0; i < 6; i++) ad_set(lin.weight, i, i + 1);
    const double b[3] = {0.5, -0.5, 1}, x[2] = {1, 2}, want[3] = {9.5, 11.5, 16};
    for (int i = 0; i < 3; i++) ad_set(lin.bias, i, b[i]);
    AdTensor *y = nn_linear_forward(arena, &lin, ad_from_doubles(arena, AD_F32, 2, (int[]){1, 2}, x));
    double err = 0;
    for (int i = 0; i < 3; i++) err = fmax(err, fabs(ad_get(y, i) - want[i]));
    check_true("common.nn.linear_shape", same_shape(y, 2, (int[]){1, 3}),
               "Linear 2->3 maps (1,2) to (1,3)");
    check_close("common.nn.linear_value", err, 0, 0, NULL,
                "Linear xW+b equals the hand computation [9.5, 11.5, 16] exactly");
    nn_linear_free(&lin);

    /* MLP 2-2-1 tanh, W0 = [[0.1,0.2],[0.3,-0.4]], b0 = [0.05,-0.05], W1 = [[1.5],[-2]],
       b1 = 0.25 at x = [0.5,-1]: pre-activations [-0.2, 0.45], and
       y = 1.5 tanh(-0.2) - 2 tanh(0.45) + 0.25 = -0.8898609908373718 (python3 math.tanh). */
    NnMlp mlp;
    nn_mlp_init(&mlp, 2, (int[]){2, 2, 1}, NN_ACT_TANH, AD_F64, &rng);
    const double w0[4] = {0.1, 0.2, 0.3, -0.4}, b0[2] = {0.05, -0.05}, w1[2] = {1.5, -2};
    for (int i = 0; i < 4; i++) ad_set(mlp.layers[0].weight, i, w0[i]);
    for (int i = 0; i < 2; i++) ad_set(mlp.layers[0].bias, i, b0[i]);
    for (int i = 0; i < 2; i++) ad_set(mlp.layers[1].weight, i, w1[i]);
    ad_set(mlp.layers[1].bias, 0, 0.25);
    const double xm[2] = {0.5, -1};
    y = nn_mlp_forward(arena, &mlp, ad_from_doubles(arena, AD_F64, 2, (int[]){1, 2}, xm));
    check_close("common.nn.mlp_value", ad_item(y), -0.8898609908373718, 1e-14, NULL,
                "MLP 2-2-1 tanh equals 1.5 tanh(-0.2) - 2 tanh(0.45) + 0.25 (python3 math)");
    nn_mlp_free(&mlp);

    /* shapes and parameter bookkeeping of a deeper MLP */
    nn_mlp_init(&mlp, 3, (int[]){3, 16, 8, 2}, NN_ACT_SILU, AD_F32, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_mlp_params(&mlp, "mlp", &ps);
    y = nn_mlp_forward(arena, &mlp, ad_input(arena, AD_F32, 2, (int[]){5, 3}));
    check_true("common.nn.mlp_shape", same_shape(y, 2, (int[]){5, 2}),
               "MLP 3-16-8-2 maps (5,3) to (5,2)");
    check_close("common.nn.mlp_param_count", (double)nn_params_numel(&ps),
                3 * 16 + 16 + 16 * 8 + 8 + 8 * 2 + 2, 0, NULL,
                "MLP 3-16-8-2 has 3*16+16 + 16*8+8 + 8*2+2 = 218 parameters");
    check_true("common.nn.mlp_param_names",
               ps.n == 6 && strcmp(ps.name[0], "mlp.0.weight") == 0 &&
                   strcmp(ps.name[5], "mlp.2.bias") == 0,
               "parameters are listed as mlp.0.weight ... mlp.2.bias");
    nn_params_free(&ps);
    nn_mlp_free(&mlp);

    /* Conv2d, GroupNorm, attention and ResBlock shapes */
    NnConv2d conv;
    nn_conv2d_init(&conv, 3, 5, 3, 2, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, &rng);
    y = nn_conv2d_forward(arena, &conv, ad_input(arena, AD_F32, 4, (int[]){2, 3, 8, 6}));
    check_true("common.nn.conv_shape", same_shape(y, 4, (int[]){2, 5, 4, 3}),
               "Conv2d 3->5, 3x3, stride 2, pad 1 maps (2,3,8,6) to (2,5,4,3)");
    nn_conv2d_free(&conv);
    NnAttnBlock attn;
    nn_attn_block_init(&attn, 8, 4, 0, AD_F32, &rng);
    y = nn_attn_block_forward(arena, &attn, ad_input(arena, AD_F32, 4, (int[]){2, 8, 4, 3}));
    check_true("common.nn.attn_shape", same_shape(y, 4, (int[]){2, 8, 4, 3}),
               "attention block keeps the shape (2,8,4,3)");
    nn_attn_block_free(&attn);
    NnResBlock res;
    nn_resblock_init(&res, 4, 8, 6, 2, 0, AD_F32, &rng);
    y = nn_resblock_forward(arena, &res, ad_input(arena, AD_F32, 4, (int[]){3, 4, 5, 5}),
                            ad_input(arena, AD_F32, 2, (int[]){3, 6}));
    check_true("common.nn.resblock_shape", same_shape(y, 4, (int[]){3, 8, 5, 5}),
               "ResBlock 4->8 maps (3,4,5,5) to (3,8,5,5)");
    nn_resblock_free(&res);

    /* A zero-initialised projection makes the attention block the identity at the start. */
    nn_attn_block_init(&attn, 4, 2, 1, AD_F64, &rng);
    AdTensor *xa = ad_input(arena, AD_F64, 4, (int[]){1, 4, 3, 3});
    for (long i = 0; i < xa->size; i++) ad_set(xa, i, rng_normal(&rng));
    y = nn_attn_block_forward(arena, &attn, xa);
    err = 0;
    for (long i = 0; i < y->size; i++) err = fmax(err, fabs(ad_get(y, i) - ad_get(xa, i)));
    check_close("common.nn.attn_zero_init_identity", err, 0, 0, NULL,
                "attention block with zero output projection returns its input exactly");
    nn_attn_block_free(&attn);
    ad_arena_free(arena);
}

/* Mean of w^2 (the weights have mean zero by construction) against the scheme's variance, with
   the standard error of a mean of n squares: Var w^2 = E w^4 - (E w^2)^2, which is
   a^4 (1/5 - 1/9) = 4 a^4 / 45 for U(-a,a) and 2 sigma^4 for N(0, sigma^2). */
static void test_init_statistics(void) {
    const int fan_in = 256, fan_out = 384;
    const long n = (long)fan_in * fan_out;
    Rng rng;
    rng_init(&rng, 5, 0);
    NnLinear lin;
    nn_linear_init(&lin, fan_in, fan_out, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    double a = sqrt(6.0 / (fan_in + fan_out)), maxabs = 0, s2 = 0;
    for (long i = 0; i < n; i++) {
        double w = ad_get(lin.weight, i);
        maxabs = fmax(maxabs, fabs(w));
        s2 += w * w;
    }
    check_le("common.nn.glorot_uniform_bound", maxabs, a, 0, "common.nn.glorot",
             "Glorot uniform (256,384): max |w| <= sqrt(6/(fan_in+fan_out)) = %.5f", a);
    check_ge("common.nn.glorot_uniform_bound_reached", maxabs, 0.999 * a, 0, NULL,
             "and the largest |w| comes within 0.1%% of it (98304 draws)");
    check_mc("common.nn.glorot_uniform_var", s2 / n, a * a / 3, sqrt(4 * pow(a, 4) / 45 / n), 5, n,
             "common.nn.glorot", "Glorot uniform sample variance = a^2/3 = 2/(fan_in+fan_out)");
    double bias_abs = 0;
    for (int i = 0; i < fan_out; i++) bias_abs = fmax(bias_abs, fabs(ad_get(lin.bias, i)));
    check_close("common.nn.bias_zero", bias_abs, 0, 0, NULL, "biases start at zero");
    nn_linear_free(&lin);

    /* He normal on a conv weight: fan_in = in * k * k */
    NnConv2d conv;
    nn_conv2d_init(&conv, 32, 64, 3, 1, 1, 0, AD_F32, NN_INIT_HE_NORMAL, &rng);
    double sigma2 = 2.0 / (32 * 9);
    long m = conv.weight->size;
    s2 = 0;
    for (long i = 0; i < m; i++) s2 += ad_get(conv.weight, i) * ad_get(conv.weight, i);
    check_mc("common.nn.he_normal_var", s2 / m, sigma2, sqrt(2 * sigma2 * sigma2 / m), 5, m, NULL,
             "He normal conv (64,32,3,3): variance 2/(in*k*k)");
    nn_conv2d_free(&conv);

    /* Glorot normal: variance 2/(fan_in+fan_out) */
    AdTensor *w = ad_param_new(AD_F64, 2, (int[]){200, 300});
    nn_init_apply(w, NN_INIT_GLOROT_NORMAL, 200, 300, &rng);
    sigma2 = 2.0 / 500;
    s2 = 0;
    for (long i = 0; i < w->size; i++) s2 += ad_get(w, i) * ad_get(w, i);
    check_mc("common.nn.glorot_normal_var", s2 / w->size, sigma2,
             sqrt(2 * sigma2 * sigma2 / w->size), 5, w->size, NULL,
             "Glorot normal (200,300): variance 2/(fan_in+fan_out)");

    /* same seed, same weights */
    AdTensor *w2 = ad_param_new(AD_F64, 2, (int[]){200, 300});
    Rng r1, r2;
    rng_init(&r1, 11, 3);
    rng_init(&r2, 11, 3);
    nn_init_apply(w, NN_INIT_HE_UNIFORM, 200, 300, &r1);
    nn_init_apply(w2, NN_INIT_HE_UNIFORM, 200, 300, &r2);
    check_true("common.nn.init_deterministic",
               memcmp(w->data, w2->data, (size_t)w->size * sizeof(double)) == 0,
               "two initialisations from the same (seed, stream) are bitwise equal");
    ad_tensor_free(w);
    ad_tensor_free(w2);
}

static void test_time_embedding(void) {
    double e[8];
    nn_time_embedding_values(0.0, 8, e);
    double err = 0;
    for (int i = 0; i < 4; i++) err = fmax(err, fmax(fabs(e[2 * i]), fabs(e[2 * i + 1] - 1)));
    check_close("common.nn.time_embedding_t0", err, 0, 0, "common.nn.time_embedding",
                "emb(0) = (sin 0, cos 0, ...) = (0, 1, 0, 1, ...)");
    /* d = 8: omega_i = 10000^(-i/4) = 1, 0.1, 0.01, 0.001; sin and cos values of omega_i * t for
       t = 1 and t = 3 from python3 math.sin / math.cos. */
    const double want1[8] = {0.8414709848078965,    0.5403023058681398,  0.09983341664682815,
                             0.9950041652780258,    0.009999833334166664, 0.9999500004166653,
                             0.0009999998333333417, 0.9999995000000417};
    const double want3[8] = {0.1411200080598672,  -0.9899924966004454, 0.2955202066613396,
                             0.955336489125606,   0.02999550020249566, 0.9995500337489875,
                             0.002999995500002025, 0.999995500003375};
    AdArena *arena = ad_arena_new(1 << 12);
    AdTensor *emb = nn_time_embedding(arena, AD_F64, (const double[]){1.0, 3.0}, 2, 8);
    err = 0;
    for (int j = 0; j < 8; j++)
        err = fmax(err, fmax(fabs(ad_get(emb, j) - want1[j]), fabs(ad_get(emb, 8 + j) - want3[j])));
    check_close("common.nn.time_embedding_t1_t3", err, 0, 1e-15, "common.nn.time_embedding",
                "emb(1), emb(3) for d=8 (interleaved sin/cos, omega_i = 10000^(-2i/d)) match "
                "python3 math");
    check_true("common.nn.time_embedding_no_grad", emb->grad == NULL && !emb->requires_grad,
               "the time embedding is a constant input (no gradient)");
    ad_arena_free(arena);
}

static void test_gradchecks(void) {
    AdArena *arena = ad_arena_new(1 << 16);
    Rng rng;
    rng_init(&rng, 21, 0);
    NnParams ps;

    /* MLP 3-5-4-2 with each activation, N = 4 */
    const NnActivation acts[3] = {NN_ACT_TANH, NN_ACT_SILU, NN_ACT_RELU};
    for (int a = 0; a < 3; a++) {
        NnMlp mlp;
        nn_mlp_init(&mlp, 3, (int[]){3, 5, 4, 2}, acts[a], AD_F64, &rng);
        nn_params_init(&ps);
        nn_mlp_params(&mlp, "mlp", &ps);
        for (int i = 0; i < ps.n; i++) perturb(ps.t[i], &rng, 0.1); /* non-zero biases */
        MlpCtx c = {&mlp, ad_param_new(AD_F64, 2, (int[]){4, 3}), weighting_new(8, 1)};
        nn_init_uniform(c.x, 1.0, &rng);
        nn_params_add(&ps, NULL, "x", c.x); /* and the gradient w.r.t. the input */
        double rel = ad_gradcheck(mlp_loss, ps.t, ps.n, &c, 0);
        char id[64];
        snprintf(id, sizeof id, "common.nn.gradcheck_mlp_%s", nn_activation_name(acts[a]));
        check_le(id, rel, 1e-6, 0, NULL,
                 "MLP 3-5-4-2 %s: tape gradient of sum(r*y) w.r.t. all weights and the input vs "
                 "central differences (max relative error)",
                 nn_activation_name(acts[a]));
        ad_tensor_free(c.x);
        free(c.w.r);
        nn_params_free(&ps);
        nn_mlp_free(&mlp);
    }

    /* Conv2d 4->6 3x3 + GroupNorm(3 groups) + SiLU, x (2,4,5,5); affine values perturbed */
    {
        NnConv2d conv;
        NnGroupNorm norm;
        nn_conv2d_init(&conv, 4, 6, 3, 1, 1, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
        nn_group_norm_init(&norm, 3, 6, AD_F64);
        nn_params_init(&ps);
        nn_conv2d_params(&conv, "conv", &ps);
        nn_group_norm_params(&norm, "norm", &ps);
        for (int i = 0; i < ps.n; i++) perturb(ps.t[i], &rng, 0.2);
        ConvNormCtx c = {&conv, &norm, random_param(AD_F64, 4, (int[]){2, 4, 5, 5}, &rng, 1.0),
                         weighting_new(2 * 6 * 25, 2)};
        nn_params_add(&ps, NULL, "x", c.x);
        double rel = ad_gradcheck(conv_norm_loss, ps.t, ps.n, &c, 0);
        check_le("common.nn.gradcheck_conv_groupnorm", rel, 1e-6, 0, NULL,
                 "Conv2d(4->6,3x3)+GroupNorm(3)+SiLU: gradients w.r.t. kernel, bias, gamma, beta "
                 "and input vs central differences");
        ad_tensor_free(c.x);
        free(c.w.r);
        nn_params_free(&ps);
        nn_conv2d_free(&conv);
        nn_group_norm_free(&norm);
    }

    /* attention block, C = 4, 2 groups, x (2,4,3,3) */
    {
        NnAttnBlock attn;
        nn_attn_block_init(&attn, 4, 2, 0, AD_F64, &rng);
        nn_params_init(&ps);
        nn_attn_block_params(&attn, "attn", &ps);
        for (int i = 0; i < ps.n; i++) perturb(ps.t[i], &rng, 0.2);
        BlockCtx c = {&attn, NULL, random_param(AD_F64, 4, (int[]){2, 4, 3, 3}, &rng, 1.0), NULL,
                      weighting_new(2 * 4 * 9, 3)};
        nn_params_add(&ps, NULL, "x", c.x);
        double rel = ad_gradcheck(attn_loss, ps.t, ps.n, &c, 0);
        check_le("common.nn.gradcheck_attention_block", rel, 1e-6, 0, NULL,
                 "attention block (GN, q/k/v, softmax, projection, residual) on (2,4,3,3): all "
                 "gradients vs central differences");
        ad_tensor_free(c.x);
        free(c.w.r);
        nn_params_free(&ps);
        nn_attn_block_free(&attn);
    }

    /* ResBlock 4->6 (1x1 skip conv) with a time embedding of width 5, x (2,4,4,4) */
    {
        NnResBlock res;
        nn_resblock_init(&res, 4, 6, 5, 2, 0, AD_F64, &rng);
        nn_params_init(&ps);
        nn_resblock_params(&res, "res", &ps);
        for (int i = 0; i < ps.n; i++) perturb(ps.t[i], &rng, 0.2);
        BlockCtx c = {NULL, &res, random_param(AD_F64, 4, (int[]){2, 4, 4, 4}, &rng, 1.0),
                      random_param(AD_F64, 2, (int[]){2, 5}, &rng, 1.0),
                      weighting_new(2 * 6 * 16, 4)};
        nn_params_add(&ps, NULL, "x", c.x);
        nn_params_add(&ps, NULL, "temb", c.temb);
        double rel = ad_gradcheck(res_loss, ps.t, ps.n, &c, 0);
        check_le("common.nn.gradcheck_resblock", rel, 1e-6, 0, NULL,
                 "ResBlock 4->6 with time projection and skip conv: all gradients (and w.r.t. x, "
                 "temb) vs central differences");
        ad_tensor_free(c.x);
        ad_tensor_free(c.temb);
        free(c.w.r);
        nn_params_free(&ps);
        nn_resblock_free(&res);
    }
    ad_arena_free(arena);
}

/* ---- parameter files ---- */

static int write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = xmalloc((size_t)len);
    if (fread(b, 1, (size_t)len, f) != (size_t)len) die("short read of %s", path);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static double max_abs_diff(AdTensor *a, AdTensor *b) {
    double d = 0;
    for (long i = 0; i < a->size; i++) d = fmax(d, fabs(ad_get(a, i) - ad_get(b, i)));
    return d;
}

static void test_param_files(const Cli *cli) {
    if (mkdir_p(cli->out_dir) != 0) die("cannot create %s", cli->out_dir);
    char path[1200], broken[1200], tmp[1300], err[512];
    snprintf(path, sizeof path, "%s", cli_out_path(cli, "mlp.params"));
    snprintf(broken, sizeof broken, "%s", cli_out_path(cli, "broken.params"));
    AdArena *arena = ad_arena_new(1 << 16);
    Rng r1, r2;
    rng_init(&r1, 31, 0);
    rng_init(&r2, 32, 0);
    const int widths[4] = {3, 7, 5, 2};
    NnMlp a, b;
    nn_mlp_init(&a, 3, widths, NN_ACT_TANH, AD_F32, &r1);
    nn_mlp_init(&b, 3, widths, NN_ACT_TANH, AD_F32, &r2);
    NnParams pa, pb;
    nn_params_init(&pa);
    nn_params_init(&pb);
    nn_mlp_params(&a, "mlp", &pa);
    nn_mlp_params(&b, "mlp", &pb);
    for (int i = 0; i < pa.n; i++) perturb(pa.t[i], &r1, 0.3);

    AdTensor *x = ad_input(arena, AD_F32, 2, (int[]){4, 3});
    nn_init_uniform(x, 1.0, &r1);
    NnIoStatus st = nn_params_save(path, &pa, err, sizeof err);
    check_true("common.nn.save_ok", st == NN_IO_OK, "nn_params_save writes %s (%s)", path,
               st == NN_IO_OK ? "ok" : err);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    check_true("common.nn.save_no_temp_left", access(tmp, F_OK) != 0,
               "no temporary file is left after the rename");
    AdTensor *ya = nn_mlp_forward(arena, &a, x);
    AdTensor *yb0 = nn_mlp_forward(arena, &b, x);
    check_true("common.nn.load_models_differ_before", max_abs_diff(ya, yb0) > 1e-3,
               "the second model (other seed) differs before loading");
    st = nn_params_load(path, &pb, err, sizeof err);
    AdTensor *yb = nn_mlp_forward(arena, &b, x);
    check_true("common.nn.load_ok", st == NN_IO_OK, "nn_params_load reads it back (%s)",
               st == NN_IO_OK ? "ok" : err);
    check_close("common.nn.load_roundtrip_outputs", max_abs_diff(ya, yb), 0, 0, NULL,
                "outputs after reload are identical to the saved model's (float32 exact)");

    /* a float64 model loads the float32 file (values converted exactly) */
    NnMlp c;
    NnParams pc;
    nn_mlp_init(&c, 3, widths, NN_ACT_TANH, AD_F64, &r2);
    nn_params_init(&pc);
    nn_mlp_params(&c, "mlp", &pc);
    st = nn_params_load(path, &pc, err, sizeof err);
    double conv_err = 0;
    for (int i = 0; i < pc.n; i++) conv_err = fmax(conv_err, max_abs_diff(pc.t[i], pa.t[i]));
    check_true("common.nn.load_f32_into_f64", st == NN_IO_OK && conv_err == 0,
               "a float64 model loads a float32 file with identical values");

    size_t n;
    unsigned char *good = slurp(path, &n);
    /* keep a snapshot of model b to confirm failed loads leave it untouched */
    float *snapshot = xmalloc((size_t)pb.t[0]->size * sizeof(float));
    memcpy(snapshot, pb.t[0]->data, (size_t)pb.t[0]->size * sizeof(float));
    int untouched = 1;
#define EXPECT_LOAD(id, want, what)                                                              \
    do {                                                                                         \
        err[0] = '\0';                                                                           \
        NnIoStatus _s = nn_params_load(broken, &pb, err, sizeof err);                            \
        untouched &= memcmp(snapshot, pb.t[0]->data, (size_t)pb.t[0]->size * sizeof(float)) == 0; \
        check_true(id, _s == (want) && err[0] != '\0', "%s -> status %d (want %d): %s", what,    \
                   (int)_s, (int)(want), err);                                                   \
    } while (0)

    /* truncated at several points: empty, inside the magic, inside the header, inside the
       first name, inside the data, one byte short of the checksum */
    const size_t cuts[6] = {0, 5, 20, 30, n / 2, n - 1};
    for (int k = 0; k < 6; k++) {
        write_bytes(broken, good, cuts[k]);
        char id[64], what[96];
        snprintf(id, sizeof id, "common.nn.load_truncated_%zu", cuts[k]);
        snprintf(what, sizeof what, "file cut to %zu of %zu bytes", cuts[k], n);
        EXPECT_LOAD(id, NN_IO_ERR_TRUNCATED, what);
    }
    /* one flipped bit in a name, in the data, in the checksum */
    const size_t flips[3] = {30, n - 20, n - 3};
    const char *where[3] = {"a tensor name", "the tensor data", "the checksum"};
    for (int k = 0; k < 3; k++) {
        unsigned char *bad = xmalloc(n);
        memcpy(bad, good, n);
        bad[flips[k]] ^= 0x10;
        write_bytes(broken, bad, n);
        free(bad);
        char id[64], what[96];
        snprintf(id, sizeof id, "common.nn.load_flipped_%d", k);
        snprintf(what, sizeof what, "one bit flipped in %s (byte %zu)", where[k], flips[k]);
        EXPECT_LOAD(id, NN_IO_ERR_CHECKSUM, what);
    }
    {
        unsigned char *bad = xmalloc(n + 3);
        memcpy(bad, good, n);
        bad[0] = 'X';
        write_bytes(broken, bad, n);
        EXPECT_LOAD("common.nn.load_wrong_magic", NN_IO_ERR_MAGIC, "first magic byte changed");
        write_bytes(broken, (const unsigned char *)"\x89PNG\r\n\x1a\n", 8);
        EXPECT_LOAD("common.nn.load_png", NN_IO_ERR_MAGIC, "a PNG signature");
        memcpy(bad, good, n);
        bad[8] = 2; /* version 2 */
        write_bytes(broken, bad, n);
        EXPECT_LOAD("common.nn.load_bad_version", NN_IO_ERR_VERSION, "format version 2");
        memcpy(bad, good, n);
        memset(bad + n, 0, 3);
        write_bytes(broken, bad, n + 3);
        EXPECT_LOAD("common.nn.load_trailing", NN_IO_ERR_CORRUPT, "3 bytes appended");
        free(bad);
    }
    remove(broken);
    EXPECT_LOAD("common.nn.load_missing", NN_IO_ERR_OPEN, "missing file");

    /* valid files of other models: a wider hidden layer (shape), a deeper MLP (count) */
    NnMlp d;
    NnParams pd;
    nn_mlp_init(&d, 3, (int[]){3, 8, 5, 2}, NN_ACT_TANH, AD_F32, &r2);
    nn_params_init(&pd);
    nn_mlp_params(&d, "mlp", &pd);
    nn_params_save(broken, &pd, err, sizeof err);
    EXPECT_LOAD("common.nn.load_shape_mismatch", NN_IO_ERR_MISMATCH,
                "a 3-8-5-2 file into a 3-7-5-2 model");
    nn_params_free(&pd);
    nn_mlp_free(&d);
    nn_mlp_init(&d, 2, (int[]){3, 7, 2}, NN_ACT_TANH, AD_F32, &r2);
    nn_params_init(&pd);
    nn_mlp_params(&d, "mlp", &pd);
    nn_params_save(broken, &pd, err, sizeof err);
    EXPECT_LOAD("common.nn.load_count_mismatch", NN_IO_ERR_MISMATCH,
                "a 2-layer file into a 3-layer model");
    nn_params_free(&pd);
    nn_mlp_free(&d);
    check_true("common.nn.load_failure_leaves_model", untouched,
               "no failed load changed the model's parameters");
    remove(broken);
#undef EXPECT_LOAD

    /* save into a directory that does not exist */
    st = nn_params_save("/nonexistent-dir/x.params", &pa, err, sizeof err);
    check_true("common.nn.save_error", st == NN_IO_ERR_WRITE && err[0] != '\0',
               "saving into a missing directory returns an error: %s", err);

    /* FNV-1a 64 known answers (the published test vectors: "" and "a") */
    check_true("common.nn.fnv1a64_kat",
               nn_fnv1a64("", 0) == 0xcbf29ce484222325ull &&
                   nn_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull,
               "FNV-1a 64 of \"\" and \"a\" equal the reference values");
    free(snapshot);
    free(good);
    nn_params_free(&pa);
    nn_params_free(&pb);
    nn_params_free(&pc);
    nn_mlp_free(&a);
    nn_mlp_free(&b);
    nn_mlp_free(&c);
    ad_arena_free(arena);
}

/* An MLP 2-64-64-2 tanh fits y = (sin(2 x1) cos(x2), x1 x2) on 256 points of [-1,1]^2 with
   full-batch plain SGD (128 points with --quick), theta <- theta - lr * grad (the optimiser module is not used here). */
static void test_training(const Cli *cli) {
    const int npts = (int)cli_scale(cli, 128, 256, 256);
    const int steps = (int)cli_scale(cli, 500, 1000, 3000);
    const double lr = 0.2;
    Rng rng;
    rng_init(&rng, 41, 0);
    double *x = xmalloc(2 * npts * sizeof(double)), *y = xmalloc(2 * npts * sizeof(double));
    for (int i = 0; i < npts; i++) {
        x[2 * i] = rng_uniform_range(&rng, -1, 1);
        x[2 * i + 1] = rng_uniform_range(&rng, -1, 1);
        y[2 * i] = sin(2 * x[2 * i]) * cos(x[2 * i + 1]);
        y[2 * i + 1] = x[2 * i] * x[2 * i + 1];
    }
    NnMlp mlp;
    nn_mlp_init(&mlp, 3, (int[]){2, 64, 64, 2}, NN_ACT_TANH, AD_F32, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_mlp_params(&mlp, "mlp", &ps);
    AdArena *arena = ad_arena_new(1 << 20);
    double first = 0, last = 0;
    size_t cap2 = 0;
    double t0 = now_seconds();
    for (int s = 0; s < steps; s++) {
        ad_arena_reset(arena);
        nn_params_zero_grad(&ps);
        AdTensor *xt = ad_from_doubles(arena, AD_F32, 2, (int[]){npts, 2}, x);
        AdTensor *yt = ad_from_doubles(arena, AD_F32, 2, (int[]){npts, 2}, y);
        AdTensor *loss = ad_mean(arena, ad_square(arena, ad_sub(arena, nn_mlp_forward(arena, &mlp, xt), yt)));
        ad_backward(arena, loss);
        if (s == 0) first = ad_item(loss);
        last = ad_item(loss);
        if (s == 2) cap2 = ad_arena_capacity(arena);
        for (int i = 0; i < ps.n; i++) {
            float *w = ad_f32(ps.t[i]);
            const float *g = ad_grad_f32(ps.t[i]);
            //: $\theta \leftarrow \theta - \eta\,\nabla_\theta L$
            for (long j = 0; j < ps.t[i]->size; j++) w[j] -= (float)(lr * g[j]);
        }
    }
    printf("# training: MLP 2-64-64-2 tanh, %d SGD steps, loss %.4e -> %.4e (%.2f s)\n", steps,
           first, last, now_seconds() - t0);
    check_le("common.nn.train_mlp_sgd", last / first, 0.1, 0, NULL,
             "MLP 2-64-64-2 tanh with plain SGD (lr %.2g, %d steps): final/initial MSE < 1/10",
             lr, steps);
    check_true("common.nn.train_arena_stable", ad_arena_capacity(arena) == cap2,
               "the arena does not grow after step 2 of the training loop");
    ad_arena_free(arena);
    nn_params_free(&ps);
    nn_mlp_free(&mlp);
    free(x);
    free(y);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the nn modules: layers, init, time embedding, gradients, files, training",
              17, NULL);
    test_linear_mlp_values();
    test_init_statistics();
    test_time_embedding();
    test_gradchecks();
    test_param_files(&cli);
    test_training(&cli);
    return check_end();
}
