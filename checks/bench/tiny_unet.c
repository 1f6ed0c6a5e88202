/* Benchmark: one DDPM training step of the Tiny U-Net of L36 4.2.2 (common/tiny_unet.h, the
   lecture layout) with the course's own ad, nn and optim modules, against the same step in
   PyTorch (tiny_unet_torch.py; checks/bench/run.sh prints the ratio). Issue #10's target: >= 10x PyTorch CPU, <= 1.2 s per batch of 128.

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
#include "common/tiny_unet.h"
#include "common/util.h"


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
    TinyUNetConfig ucfg = tiny_unet_config_lecture();
    TinyUNet m;
    tiny_unet_init(&m, &ucfg, &init_rng);
    NnParams params;
    nn_params_init(&params);
    tiny_unet_params(&m, &params);
    ParamBlock blocks[32];
    int nblocks = nn_params_blocks(&params, blocks, 32);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(2e-4, 0.9, 0.999, 1e-8, 0.0));
    double abar[1000], prod = 1.0;
    for (int i = 0; i < 1000; i++) {
        prod *= 1.0 - (1e-4 + (0.02 - 1e-4) * i / 999.0);
        abar[i] = prod;
    }
    AdArena *arena = ad_arena_new(1 << 20);
    int *tv = xmalloc((size_t)n * sizeof(int));
    double t0 = 0, c0 = 0, loss = 0;
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
        AdTensor *pred = tiny_unet_forward(arena, &m, xt, tv, NULL, NULL);
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
           n / s, 6.0 * (double)tiny_unet_macs(&ucfg) * n / s / 1e9, loss);
    free(tv);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&params);
    tiny_unet_free(&m);
    return check_end();
}
