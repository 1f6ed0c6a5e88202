/* Unit tests of the U-Net of common/nn.h (nn_unet.c): shapes and parameter bookkeeping, the
   zero-initialised network, dependence on t, gradient checks of a tiny U-Net in double (every
   element of a selection of tensors, and a directional derivative through all parameters at
   once), a parameter-file round trip, a stable arena, and the forward+backward time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/util.h"

typedef struct {
    const NnUNet *net;
    AdTensor *x;
    const double *t;
    double *r; /* fixed random weighting of the output: L = sum(r * eps_hat) */
} UNetCtx;

static AdTensor *unet_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    UNetCtx *c = vctx;
    AdTensor *y = nn_unet_forward(arena, c->net, c->x, c->t);
    AdTensor *r = ad_from_doubles(arena, y->dtype, y->ndim, y->shape, c->r);
    return ad_sum(arena, ad_mul(arena, y, r));
}

static NnUNetConfig tiny_config(void) {
    NnUNetConfig c = nn_unet_config_default();
    c.in_channels = 1;
    c.out_channels = 1;
    c.base_channels = 8;
    c.num_levels = 2;
    c.channel_mult[0] = 1;
    c.channel_mult[1] = 2;
    c.num_res_blocks = 1;
    c.attn_levels[0] = 0;
    c.attn_levels[1] = 1;
    c.mid_attention = 1;
    c.time_embed_dim = 16;
    c.groups = 4;
    c.zero_init = 0; /* zero weights would hide the gradients behind them */
    c.dtype = AD_F64;
    return c;
}

static int find_param(const NnParams *ps, const char *name) {
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->name[i], name) == 0) return i;
    die("no parameter named %s", name);
}

static AdTensor *random_input(AdArena *arena, AdDtype dt, int n, int c, int h, int w, Rng *rng) {
    AdTensor *x = ad_input(arena, dt, 4, (int[]){n, c, h, w});
    for (long i = 0; i < x->size; i++) ad_set(x, i, rng_normal(rng));
    return x;
}

static void test_shapes(void) {
    Rng rng;
    rng_init(&rng, 3, 0);
    AdArena *arena = ad_arena_new(1 << 20);
    NnUNetConfig cfg = nn_unet_config_default();
    cfg.in_channels = 3;
    cfg.out_channels = 2;
    NnUNet net;
    nn_unet_init(&net, &cfg, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_unet_params(&net, "unet", &ps);
    int unique = 1;
    for (int i = 0; i < ps.n; i++)
        for (int j = 0; j < i; j++) unique &= strcmp(ps.name[i], ps.name[j]) != 0;
    printf("# default U-Net (3->2 channels): %d tensors, %ld parameters\n", ps.n,
           nn_params_numel(&ps));
    check_true("common.nn.unet_param_names_unique", unique && ps.n > 0,
               "the %d parameter names of the default U-Net are unique", ps.n);
    AdTensor *x = random_input(arena, AD_F32, 2, 3, 16, 12, &rng);
    AdTensor *y = nn_unet_forward(arena, &net, x, (const double[]){0, 999});
    check_true("common.nn.unet_shape",
               y->ndim == 4 && y->shape[0] == 2 && y->shape[1] == 2 && y->shape[2] == 16 &&
                   y->shape[3] == 12,
               "default U-Net (3 levels) maps (2,3,16,12) to (2,2,16,12)");
    double maxabs = 0;
    for (long i = 0; i < y->size; i++) maxabs = fmax(maxabs, fabs(ad_get(y, i)));
    check_close("common.nn.unet_zero_init_output", maxabs, 0, 0, NULL,
                "with DDPM's zero init the network starts as eps_hat = 0 exactly");
    nn_params_free(&ps);
    nn_unet_free(&net);

    /* a random-init net depends on t; stride-2 conv downsampling gives the same shapes */
    cfg = tiny_config();
    cfg.dtype = AD_F32;
    cfg.downsample_conv = 1;
    nn_unet_init(&net, &cfg, &rng);
    x = random_input(arena, AD_F32, 2, 1, 8, 8, &rng);
    AdTensor *y0 = nn_unet_forward(arena, &net, x, (const double[]){5, 5});
    AdTensor *y1 = nn_unet_forward(arena, &net, x, (const double[]){5, 6});
    double d_same = 0, d_other = 0;
    for (long i = 0; i < 64; i++) d_same = fmax(d_same, fabs(ad_get(y0, i) - ad_get(y1, i)));
    for (long i = 64; i < 128; i++) d_other = fmax(d_other, fabs(ad_get(y0, i) - ad_get(y1, i)));
    check_true("common.nn.unet_time_dependence",
               y0->shape[2] == 8 && y0->shape[3] == 8 && d_same == 0 && d_other > 1e-4,
               "sample 0 (t=5 both times) is unchanged, sample 1 (t=5 vs 6) changes by %.2e",
               d_other);
    nn_unet_free(&net);
    ad_arena_free(arena);
}

/* Central difference of L along a unit direction v restricted to tensors [first, last) of ps:
   (L(theta + h v) - L(theta - h v)) / 2h. */
static double fd_along(AdArena *arena, UNetCtx *ctx, NnParams *ps, double **v, int first,
                       int last, double h) {
    double lpm[2];
    for (int s = 0; s < 2; s++) {
        double sign = s == 0 ? 1 : -1;
        for (int i = first; i < last; i++)
            for (long j = 0; j < ps->t[i]->size; j++)
                ad_set(ps->t[i], j, ad_get(ps->t[i], j) + sign * h * v[i][j]);
        ad_arena_reset(arena);
        lpm[s] = ad_item(unet_loss(arena, NULL, 0, ctx));
        for (int i = first; i < last; i++)
            for (long j = 0; j < ps->t[i]->size; j++)
                ad_set(ps->t[i], j, ad_get(ps->t[i], j) - sign * h * v[i][j]);
    }
    return (lpm[0] - lpm[1]) / (2 * h);
}

/* Directional-derivative checks of every tensor of ps (one random unit direction within each
   tensor, then one through all of them together). The error of a tensor is
   |g.v - fd| / |g|, where |g.v| <= |g| for a unit v. Returns the largest; *all_err gets the
   error of the joint direction. */
static double directional_checks(UNetCtx *ctx, NnParams *ps, Rng *rng, double *all_err) {
    AdArena *arena = ad_arena_new(1 << 20);
    nn_params_zero_grad(ps);
    ad_arena_reset(arena);
    ad_backward(arena, unet_loss(arena, NULL, 0, ctx));
    const double h = 1e-5;
    double **v = xmalloc((size_t)ps->n * sizeof *v), worst = 0, gv_all = 0, g2_all = 0;
    double v2_all = 0;
    for (int i = 0; i < ps->n; i++) {
        AdTensor *t = ps->t[i];
        v[i] = xmalloc((size_t)t->size * sizeof(double));
        double v2 = 0, gv = 0, g2 = 0;
        for (long j = 0; j < t->size; j++) {
            v[i][j] = rng_normal(rng);
            v2 += v[i][j] * v[i][j];
        }
        for (long j = 0; j < t->size; j++) {
            v[i][j] /= sqrt(v2);
            gv += ad_grad_get(t, j) * v[i][j];
            g2 += ad_grad_get(t, j) * ad_grad_get(t, j);
        }
        double fd = fd_along(arena, ctx, ps, v, i, i + 1, h);
        double err = fabs(gv - fd) / fmax(sqrt(g2), 1e-12);
        if (err > worst || isnan(err)) worst = err;
        gv_all += gv; /* sum of per-tensor unit directions: |v|^2 = number of tensors */
        g2_all += g2;
        v2_all += 1;
    }
    for (int i = 0; i < ps->n; i++)
        for (long j = 0; j < ps->t[i]->size; j++) v[i][j] /= sqrt(v2_all);
    double fd = fd_along(arena, ctx, ps, v, 0, ps->n, h);
    *all_err = fabs(gv_all / sqrt(v2_all) - fd) / fmax(sqrt(g2_all), 1e-12);
    for (int i = 0; i < ps->n; i++) free(v[i]);
    free(v);
    ad_arena_free(arena);
    return worst;
}

static void test_gradients(const Cli *cli) {
    Rng rng;
    rng_init(&rng, 7, 0);
    NnUNetConfig cfg = tiny_config();
    NnUNet net;
    nn_unet_init(&net, &cfg, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_unet_params(&net, "unet", &ps);
    /* GroupNorm affine maps and biases start at 1 and 0: move them off these special values */
    for (int i = 0; i < ps.n; i++)
        for (long j = 0; j < ps.t[i]->size; j++)
            ad_set(ps.t[i], j, ad_get(ps.t[i], j) + 0.1 * rng_normal(&rng));
    const int n = 2;
    AdTensor *x = ad_param_new(AD_F64, 4, (int[]){n, 1, 8, 8});
    for (long i = 0; i < x->size; i++) ad_set(x, i, rng_normal(&rng));
    const double t[2] = {3, 17};
    double *r = xmalloc(n * 64 * sizeof(double));
    for (int i = 0; i < n * 64; i++) r[i] = rng_normal(&rng);
    UNetCtx ctx = {&net, x, t, r};
    printf("# tiny U-Net: %d tensors, %ld parameters\n", ps.n, nn_params_numel(&ps));

    /* ad_gradcheck (every element) on a selection of small tensors, one in each kind of layer
       and at each place of the network; the attention keys' weight at default scale */
    const char *names[] = {"unet.temb.1.bias",
                           "unet.conv_in.bias",
                           "unet.down.0.res.0.norm1.weight",
                           "unet.down.0.res.0.temb_proj.bias",
                           "unet.down.1.res.0.skip.bias",
                           "unet.down.1.attn.0.norm.weight",
                           "unet.down.1.attn.0.q.bias",
                           "unet.down.1.attn.0.v.bias",
                           "unet.mid.attn.proj.bias",
                           "unet.mid.res.1.conv2.bias",
                           "unet.up.1.res.1.norm2.weight",
                           "unet.up.1.upsample.bias",
                           "unet.up.0.res.0.skip.bias",
                           "unet.up.0.res.1.conv1.bias",
                           "unet.norm_out.bias",
                           "unet.conv_out.weight",
                           "unet.conv_out.bias",
                           "unet.down.1.attn.0.k.weight"};
    int nsel = (int)(sizeof names / sizeof names[0]);
    if (cli->scale == SCALE_QUICK) nsel -= 1;
    AdTensor *sel[32];
    long nsel_elems = 0;
    for (int i = 0; i < nsel; i++) {
        sel[i] = ps.t[find_param(&ps, names[i])];
        nsel_elems += sel[i]->size;
    }
    double t0 = now_seconds();
    double rel = ad_gradcheck(unet_loss, sel, nsel, &ctx, 0);
    printf("# gradcheck of %ld elements: %.2f s\n", nsel_elems, now_seconds() - t0);
    check_le("common.nn.unet_gradcheck_selected", rel, 1e-6, 0, NULL,
             "tiny U-Net (8x8, base 8, 2 levels, attention at level 1): tape gradients of %d "
             "tensors (%ld elements, each layer kind) vs central differences, max relative error",
             nsel, nsel_elems);

    /* every tensor (and the input x) along a random direction */
    nn_params_add(&ps, NULL, "x", x);
    double all_err;
    t0 = now_seconds();
    double worst = directional_checks(&ctx, &ps, &rng, &all_err);
    printf("# directional checks of %d tensors: %.2f s\n", ps.n, now_seconds() - t0);
    check_le("common.nn.unet_directional_each_tensor", worst, 1e-6, 0, NULL,
             "tiny U-Net: for each of its %d tensors and the input, g.v along a random unit v "
             "equals the central difference (max |g.v - fd| / |g|)",
             ps.n - 1);
    check_le("common.nn.unet_directional_all", all_err, 1e-6, 0, NULL,
             "tiny U-Net: the same along one direction through all %ld parameters and the input",
             nn_params_numel(&ps));

    /* the variant with stride-2 conv downsampling and no middle attention */
    NnUNetConfig c2 = cfg;
    c2.downsample_conv = 1;
    c2.mid_attention = 0;
    NnUNet net2;
    nn_unet_init(&net2, &c2, &rng);
    NnParams p2;
    nn_params_init(&p2);
    nn_unet_params(&net2, "unet", &p2);
    UNetCtx ctx2 = {&net2, x, t, r};
    AdTensor *sel2[1] = {p2.t[find_param(&p2, "unet.down.0.downsample.bias")]};
    rel = ad_gradcheck(unet_loss, sel2, 1, &ctx2, 0);
    worst = directional_checks(&ctx2, &p2, &rng, &all_err);
    check_le("common.nn.unet_gradcheck_conv_downsample", fmax(rel, fmax(worst, all_err)), 1e-6, 0,
             NULL,
             "U-Net with stride-2 conv downsampling, no middle attention: the downsampling "
             "bias element by element and every tensor along a random direction");
    nn_params_free(&p2);
    nn_unet_free(&net2);
    free(r);
    ad_tensor_free(x);
    nn_params_free(&ps);
    nn_unet_free(&net);
}

/* Save a float32 U-Net, load into one made from another seed: identical outputs. */
static void test_file_roundtrip(const Cli *cli) {
    if (mkdir_p(cli->out_dir) != 0) die("cannot create %s", cli->out_dir);
    char path[1200], err[512];
    snprintf(path, sizeof path, "%s", cli_out_path(cli, "unet.params"));
    NnUNetConfig cfg = tiny_config();
    cfg.dtype = AD_F32;
    Rng r1, r2;
    rng_init(&r1, 1, 0);
    rng_init(&r2, 2, 0);
    NnUNet a, b;
    nn_unet_init(&a, &cfg, &r1);
    nn_unet_init(&b, &cfg, &r2);
    NnParams pa, pb;
    nn_params_init(&pa);
    nn_params_init(&pb);
    nn_unet_params(&a, "unet", &pa);
    nn_unet_params(&b, "unet", &pb);
    AdArena *arena = ad_arena_new(1 << 20);
    AdTensor *x = random_input(arena, AD_F32, 2, 1, 8, 8, &r1);
    const double t[2] = {10, 500};
    NnIoStatus s1 = nn_params_save(path, &pa, err, sizeof err);
    NnIoStatus s2 = s1 == NN_IO_OK ? nn_params_load(path, &pb, err, sizeof err) : s1;
    AdTensor *ya = nn_unet_forward(arena, &a, x, t), *yb = nn_unet_forward(arena, &b, x, t);
    double d = 0;
    for (long i = 0; i < ya->size; i++) d = fmax(d, fabs(ad_get(ya, i) - ad_get(yb, i)));
    check_true("common.nn.unet_file_roundtrip", s2 == NN_IO_OK && d == 0,
               "a U-Net saved and loaded into another instance gives identical outputs (%s)",
               s2 == NN_IO_OK ? "ok" : err);

    /* a U-Net of another width is refused with a shape mismatch */
    NnUNetConfig wide = cfg;
    wide.base_channels = 12;
    NnUNet c;
    nn_unet_init(&c, &wide, &r2);
    NnParams pc;
    nn_params_init(&pc);
    nn_unet_params(&c, "unet", &pc);
    NnIoStatus s3 = nn_params_load(path, &pc, err, sizeof err);
    check_true("common.nn.unet_file_mismatch", s3 == NN_IO_ERR_MISMATCH,
               "loading it into a U-Net with base 12 fails: %s", err);
    nn_params_free(&pa);
    nn_params_free(&pb);
    nn_params_free(&pc);
    nn_unet_free(&a);
    nn_unet_free(&b);
    nn_unet_free(&c);
    ad_arena_free(arena);
}

/* Forward + backward of a float32 U-Net: arena stable from step 2, time printed (not checked). */
static void test_timing(const Cli *cli) {
    NnUNetConfig cfg = nn_unet_config_default();
    cfg.zero_init = 0;
    int batch = (int)cli_scale(cli, 2, 4, 32), size = (int)cli_scale(cli, 8, 16, 32);
    if (cli->scale == SCALE_QUICK) cfg.base_channels = 16;
    Rng rng;
    rng_init(&rng, 9, 0);
    NnUNet net;
    nn_unet_init(&net, &cfg, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_unet_params(&net, "unet", &ps);
    AdArena *arena = ad_arena_new(1 << 20);
    double *xv = xmalloc((size_t)batch * size * size * sizeof(double));
    double *tv = xmalloc((size_t)batch * sizeof(double));
    for (int i = 0; i < batch * size * size; i++) xv[i] = rng_normal(&rng);
    for (int i = 0; i < batch; i++) tv[i] = rng_below(&rng, 1000);
    const int steps = 3;
    size_t cap2 = 0;
    double t_step = 0;
    for (int s = 0; s < steps; s++) {
        double t0 = now_seconds();
        ad_arena_reset(arena);
        nn_params_zero_grad(&ps);
        AdTensor *x = ad_from_doubles(arena, AD_F32, 4, (int[]){batch, 1, size, size}, xv);
        AdTensor *y = nn_unet_forward(arena, &net, x, tv);
        AdTensor *loss = ad_mean(arena, ad_square(arena, ad_sub(arena, y, x)));
        ad_backward(arena, loss);
        if (s == 1) cap2 = ad_arena_capacity(arena);
        if (s >= 1) t_step += now_seconds() - t0;
    }
    printf("# U-Net base %d, mult (1,2,2), 2 res blocks, attention at %dx%d: %ld parameters; "
           "forward+backward of a (%d,1,%d,%d) batch: %.3f s per step, arena %.1f MiB (high water %.1f MiB)\n",
           cfg.base_channels, size / 2, size / 2, nn_params_numel(&ps), batch, size, size,
           t_step / (steps - 1), ad_arena_capacity(arena) / 1048576.0,
           ad_arena_high_water(arena) / 1048576.0);
    check_true("common.nn.unet_arena_stable", ad_arena_capacity(arena) == cap2,
               "the arena holds the same bytes at step 3 as at step 2 (no growth per step)");
    free(xv);
    free(tv);
    nn_params_free(&ps);
    nn_unet_free(&net);
    ad_arena_free(arena);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the U-Net: shapes, gradients, parameter files, timing", 23, NULL);
    test_shapes();
    test_gradients(&cli);
    test_file_roundtrip(&cli);
    test_timing(&cli);
    return check_end();
}
