/* Benchmark: denoising score matching (L35 section 4.2) with the course's own autodiff, nn and
   optim modules, against the same loop in PyTorch (dsm_mlp_torch.py; checks/bench/run.sh prints
   the ratio).

   Data p(x) = 0.5 N((-2,0), I) + 0.5 N((2,0), I); noise sigma = 0.5; score network an MLP
   2-64-64-2 with tanh (Glorot-uniform weights, zero biases); Adam(lr 1e-3); each step a fresh
   batch of 128, loss (1/B) sum_i || s(x_i + sigma eps_i) + eps_i / sigma ||^2. The loss cannot go
   below the DSM floor d/sigma^2 - J(q_sigma) = 6.682 (spec L35, 4.2), so "same final loss" means
   both loops end near it.

   Prints one line: RESULT peer=c steps=N seconds=S us_per_step=U cpu_us_per_step=C final_loss=L
   (final_loss: mean of the last 100 batch losses; C: process CPU time, the steadier number on a
   shared machine). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/dsm_train.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/util.h"

enum { BATCH = 128, DIM = 2 };
static const double SIGMA = 0.5;

typedef struct {
    const Gmm *data;
    Rng *rng;
} Batch;

/* x ~ p, then per coordinate eps ~ N(0, 1): x~ = x + sigma eps, target grad log q(x~|x) = -eps/sigma */
static void draw_batch(void *ctx, long step, int batch, float *x_noisy, float *target) {
    (void)step;
    Batch *b = ctx;
    for (int i = 0; i < batch; i++) {
        double x[DIM];
        gmm_sample(b->data, b->rng, x);
        for (int a = 0; a < DIM; a++) {
            double eps = rng_normal(b->rng);
            x_noisy[i * DIM + a] = (float)(x[a] + SIGMA * eps);
            target[i * DIM + a] = (float)(-eps / SIGMA);
        }
    }
}

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
    DsmModel model;
    dsm_model_init(&model, 3, widths, NN_ACT_TANH, "score", 1e-3, &init_rng);

    Gmm data = gmm_new(2, DIM);
    const double left[DIM] = {-2, 0}, right[DIM] = {2, 0};
    gmm_set(&data, 0, 0.5, left, NULL, 1.0);
    gmm_set(&data, 1, 0.5, right, NULL, 1.0);
    gmm_normalise(&data);
    Batch batch = {&data, &data_rng};

    double *losses = xmalloc(sizeof(double) * (size_t)steps);
    const DsmTrainConfig tc = {steps, BATCH, draw_batch, &batch, 0.0, 0.0, "DSM benchmark"};
    char err[256];
    double t0 = now_seconds(), c0 = (double)clock() / CLOCKS_PER_SEC;
    if (dsm_train(&model, &tc, losses, err, sizeof err) < steps) die("%s", err);
    double tail = 0.0;
    for (long step = steps - 100; step < steps; step++) tail += losses[step];
    double seconds = now_seconds() - t0, cpu = (double)clock() / CLOCKS_PER_SEC - c0;
    printf("RESULT peer=c steps=%ld seconds=%.4f us_per_step=%.1f cpu_us_per_step=%.1f "
           "final_loss=%.4f\n", steps, seconds, 1e6 * seconds / steps, 1e6 * cpu / steps,
           tail / 100);

    free(losses);
    gmm_free(&data);
    dsm_model_free(&model);
    /* the benchmark verifies nothing itself; the run script compares it with its peer */
    return check_end();
}
