/* Benchmark: one DDPM training step of the Tiny U-Net of L36 4.2.2 with the course's own ad, nn
   and optim modules, against the same step in PyTorch (tiny_unet_torch.py; checks/bench/run.sh
   prints the ratio). Issue #10's target: >= 10x PyTorch CPU, <= 1.2 s per batch of 128.

   Network (spec L36, 4.2.2; per image, NCHW here): time embedding (128, sinusoidal) -> Linear
   128-256, SiLU -> Linear 256-256; enc1 = conv 3x3 1-64 p1, SiLU, GroupNorm(8) plus the first 64
   time outputs as a per-channel bias (the lecture's intent, erratum A6); enc2 = conv 3x3 64-128
   stride 2 p1, SiLU, GN(8) -> 14x14; bottleneck = conv 3x3 128-128 p1, SiLU, GN(8); concat with
   enc2 -> 256 channels; dec1 = transposed conv 4x4 256-64 stride 2 p1, SiLU, GN(8) -> 28x28;
   out = conv 3x3 64-1 p1. 584,449 parameters; 95,733,760 multiply-adds per image forward.
   Loss: mean (eps_theta(x_t, t) - eps)^2 with x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, one t
   per image (linear beta 1e-4..0.02, T = 1000), Adam(lr 2e-4). The images x0 are synthetic
   (uniform in [-1, 1]): the cost of a step does not depend on them.

   Prints: RESULT peer=c batch=B threads=T steps=N s_per_step=S cpu_s_per_step=C images_per_s=I
   gflops=G (C: process CPU time, all threads; on a shared machine it is the steadier number)
   (gflops: 3 x 2 x 95,733,760 x B / S, forward plus the two backward products per layer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/util.h"

#define MACS_PER_IMAGE 95733760.0

typedef struct {
    NnLinear t1, t2;
    NnConv2d enc1, enc2, mid, out;
    NnGroupNorm gn1, gn2, gnm, gnd;
    AdTensor *dec_w, *dec_b; /* (256, 64, 4, 4), (64) */
} TinyUNet;

static void tiny_init(TinyUNet *m, Rng *rng) {
    nn_linear_init(&m->t1, 128, 256, 1, AD_F32, NN_INIT_HE_UNIFORM, rng);
    nn_linear_init(&m->t2, 256, 256, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
    nn_conv2d_init(&m->enc1, 1, 64, 3, 1, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, rng);
    nn_conv2d_init(&m->enc2, 64, 128, 3, 2, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, rng);
    nn_conv2d_init(&m->mid, 128, 128, 3, 1, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, rng);
    nn_conv2d_init(&m->out, 64, 1, 3, 1, 1, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
    nn_group_norm_init(&m->gn1, 8, 64, AD_F32);
    nn_group_norm_init(&m->gn2, 8, 128, AD_F32);
    nn_group_norm_init(&m->gnm, 8, 128, AD_F32);
    nn_group_norm_init(&m->gnd, 8, 64, AD_F32);
    const int ws[4] = {256, 64, 4, 4}, bs[1] = {64};
    m->dec_w = ad_param_new(AD_F32, 4, ws);
    m->dec_b = ad_param_new(AD_F32, 1, bs);
    nn_init_uniform(m->dec_w, nn_he_bound(256 * 16), rng);
}

static void tiny_params(TinyUNet *m, NnParams *p) {
    nn_linear_params(&m->t1, "time.0", p);
    nn_linear_params(&m->t2, "time.1", p);
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
}

static void tiny_free(TinyUNet *m) {
    nn_linear_free(&m->t1);
    nn_linear_free(&m->t2);
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
}

static AdTensor *block(AdArena *a, AdTensor *h, const NnGroupNorm *gn) {
    return nn_group_norm_forward(a, gn, ad_silu(a, h));
}

static AdTensor *tiny_forward(AdArena *a, const TinyUNet *m, AdTensor *x, const double *t, int n) {
    AdTensor *temb = nn_time_embedding(a, AD_F32, t, n, 128);
    temb = nn_linear_forward(a, &m->t2, ad_silu(a, nn_linear_forward(a, &m->t1, temb)));
    const int bshape[4] = {n, 64, 1, 1};
    AdTensor *tbias = ad_reshape(a, ad_slice(a, temb, 1, 0, 64), 4, bshape);
    AdTensor *h1 = ad_add(a, block(a, nn_conv2d_forward(a, &m->enc1, x), &m->gn1), tbias);
    AdTensor *h2 = block(a, nn_conv2d_forward(a, &m->enc2, h1), &m->gn2);
    AdTensor *h = block(a, nn_conv2d_forward(a, &m->mid, h2), &m->gnm);
    AdTensor *cat[2] = {h, h2};
    h = ad_concat(a, cat, 2, 1);
    h = block(a, ad_conv_transpose2d(a, h, m->dec_w, m->dec_b, 2, 1), &m->gnd);
    return nn_conv2d_forward(a, &m->out, h);
}

int main(int argc, char **argv) {
    long steps = 3, batch = 128;
    const CliExtra extras[] = {{"--steps", CLI_LONG, &steps, "timed steps (default 3)"},
                               {"--batch", CLI_LONG, &batch, "images per step (default 128)"},
                               {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: Tiny U-Net DDPM training step (L36 4.2.2)",
              0, extras);
    if (steps < 1 || batch < 1) die("--steps and --batch must be at least 1");
    const int n = (int)batch;
    Rng init_rng, data_rng;
    rng_init(&init_rng, cli.seed, 0);
    rng_init(&data_rng, cli.seed, 1);
    TinyUNet m;
    tiny_init(&m, &init_rng);
    NnParams params;
    nn_params_init(&params);
    tiny_params(&m, &params);
    ParamBlock blocks[32];
    int nblocks = nn_params_blocks(&params, blocks, 32);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(2e-4, 0.9, 0.999, 1e-8, 0.0));
    double abar[1000], prod = 1.0;
    for (int i = 0; i < 1000; i++) {
        prod *= 1.0 - (1e-4 + (0.02 - 1e-4) * i / 999.0);
        abar[i] = prod;
    }
    AdArena *arena = ad_arena_new(1 << 20);
    double *tv = xmalloc((size_t)n * sizeof(double)), t0 = 0, c0 = 0, loss = 0;
    for (long step = 0; step <= steps; step++) {
        if (step == 1) { /* step 0 warms up (arena growth, page faults) */
            t0 = now_seconds();
            c0 = (double)clock() / CLOCKS_PER_SEC;
        }
        ad_arena_reset(arena);
        const int shape[4] = {n, 1, 28, 28};
        AdTensor *xt = ad_input(arena, AD_F32, 4, shape), *eps = ad_input(arena, AD_F32, 4, shape);
        float *xp = ad_f32(xt), *ep = ad_f32(eps);
        for (int i = 0; i < n; i++) {
            int t = (int)rng_below(&data_rng, 1000);
            tv[i] = t + 1;
            double sa = sqrt(abar[t]), sb = sqrt(1.0 - abar[t]);
            for (int q = 0; q < 784; q++) {
                double e = rng_normal(&data_rng), x0 = rng_uniform_range(&data_rng, -1, 1);
                ep[i * 784 + q] = (float)e;
                xp[i * 784 + q] = (float)(sa * x0 + sb * e); /* x_t = sqrt(abar) x0 + sqrt(1-abar) eps */
            }
        }
        AdTensor *pred = tiny_forward(arena, &m, xt, tv, n);
        AdTensor *l = ad_mean(arena, ad_square(arena, ad_sub(arena, pred, eps)));
        optim_zero_grad(adam);
        ad_backward(arena, l);
        optim_step(adam);
        loss = ad_item(l);
        if (!isfinite(loss)) die("loss is %g at step %ld", loss, step);
    }
    double s = (now_seconds() - t0) / steps;
    double cpu = ((double)clock() / CLOCKS_PER_SEC - c0) / steps;
    printf("params %ld (spec: 584,449)\n", nn_params_numel(&params));
    printf("RESULT peer=c batch=%d threads=%d steps=%ld s_per_step=%.4f cpu_s_per_step=%.4f "
           "images_per_s=%.1f gflops=%.1f last_loss=%.4f\n", n, par_max_threads(), steps, s, cpu,
           n / s, 6.0 * MACS_PER_IMAGE * n / s / 1e9, loss);
    free(tv);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&params);
    tiny_free(&m);
    return check_end();
}
