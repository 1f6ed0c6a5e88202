/* Benchmark: denoising score matching (L35 section 4.2) with the course's own autodiff, nn and
   optim modules, against the same loop in PyTorch (dsm_mlp_torch.py; checks/bench/run.sh prints
   the ratio).

   Data p(x) = 0.5 N((-2,0), I) + 0.5 N((2,0), I); noise sigma = 0.5; score network an MLP
   2-64-64-2 with tanh (Glorot-uniform weights, zero biases); Adam(lr 1e-3); each step a fresh
   batch of 128, loss (1/B) sum_i || s(x_i + sigma eps_i) + eps_i / sigma ||^2. The loss cannot go
   below the DSM floor d/sigma^2 - J(q_sigma) = 6.682 (spec L35, 4.2), so "same final loss" means
   both loops end near it.

   Prints one line: RESULT peer=c steps=N seconds=S us_per_step=U final_loss=L
   (final_loss: mean of the last 100 batch losses). */
#include <math.h>
#include <stdio.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/util.h"

enum { BATCH = 128, DIM = 2 };

int main(int argc, char **argv) {
    long steps = 1000;
    const CliExtra extras[] = {{"--steps", CLI_LONG, &steps, "Adam steps (default 1000)"}, {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: DSM training of an MLP 2-64-64-2", 0,
              extras);
    if (steps < 100) die("--steps must be at least 100 (the final loss averages the last 100)");

    Rng init_rng, data_rng;
    rng_init(&init_rng, cli.seed, 0);
    rng_init(&data_rng, cli.seed, 1);
    const int widths[] = {DIM, 64, 64, DIM};
    NnMlp mlp;
    nn_mlp_init(&mlp, 3, widths, NN_ACT_TANH, AD_F32, &init_rng);
    NnParams params;
    nn_params_init(&params);
    nn_mlp_params(&mlp, "score", &params);
    ParamBlock blocks[8];
    int nblocks = nn_params_blocks(&params, blocks, 8);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(1e-3, 0.9, 0.999, 1e-8, 0.0));

    Gmm data = gmm_new(2, DIM);
    const double left[DIM] = {-2, 0}, right[DIM] = {2, 0};
    gmm_set(&data, 0, 0.5, left, NULL, 1.0);
    gmm_set(&data, 1, 0.5, right, NULL, 1.0);
    gmm_normalise(&data);
    const double sigma = 0.5;

    AdArena *arena = ad_arena_new(1 << 20);
    double tail = 0.0;
    double t0 = now_seconds();
    for (long step = 0; step < steps; step++) {
        ad_arena_reset(arena);
        const int shape[2] = {BATCH, DIM};
        AdTensor *x_noisy = ad_input(arena, AD_F32, 2, shape);
        AdTensor *target = ad_input(arena, AD_F32, 2, shape);
        float *xn = ad_f32(x_noisy), *tg = ad_f32(target);
        for (int i = 0; i < BATCH; i++) {
            double x[DIM];
            gmm_sample(&data, &data_rng, x);
            for (int a = 0; a < DIM; a++) {
                double eps = rng_normal(&data_rng);
                xn[i * DIM + a] = (float)(x[a] + sigma * eps); /* x~ = x + sigma eps */
                tg[i * DIM + a] = (float)(-eps / sigma);       /* grad log q(x~|x) = -eps/sigma */
            }
        }
        AdTensor *score = nn_mlp_forward(arena, &mlp, x_noisy);
        AdTensor *loss =
            ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, score, target))),
                     1.0 / BATCH);
        optim_zero_grad(adam);
        ad_backward(arena, loss);
        optim_step(adam);
        double l = ad_item(loss);
        if (!isfinite(l)) die("loss is %g at step %ld", l, step);
        if (step >= steps - 100) tail += l;
    }
    double seconds = now_seconds() - t0;
    printf("RESULT peer=c steps=%ld seconds=%.4f us_per_step=%.1f final_loss=%.4f\n", steps,
           seconds, 1e6 * seconds / steps, tail / 100);

    ad_arena_free(arena);
    gmm_free(&data);
    optim_free(adam);
    nn_params_free(&params);
    nn_mlp_free(&mlp);
    /* the benchmark verifies nothing itself; the run script compares it with its peer */
    return check_end();
}
