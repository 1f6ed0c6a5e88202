/* Benchmark: denoising score matching (L35 section 4.2) with the course's own autodiff, nn and
   optim modules, against the same loop in PyTorch (dsm_mlp_torch.py; checks/bench/run.sh prints
   the ratio).

   Data p(x) = 0.5 N((-2,0), I) + 0.5 N((2,0), I); noise sigma = 0.5; score network an MLP
   2-64-64-2 with tanh (Glorot-uniform weights, zero biases); Adam(lr 1e-3); each step a fresh
   batch of 128 (--batch), loss (1/B) sum_i || s(x_i + sigma eps_i) + eps_i / sigma ||^2. The loss cannot go
   below the DSM floor d/sigma^2 - J(q_sigma) = 6.682 (spec L35, 4.2), so "same final loss" means
   both loops end near it.

   Prints one line: RESULT peer=c batch=B threads=T steps=N seconds=S us_per_step=U
   cpu_us_per_step=C main_thread_cpu_us_per_step=M final_loss=L (final_loss: mean of the last 100
   batch losses; C: process CPU time, the steadier number on a shared machine; M: the calling
   thread's CPU time, which runs every serial part, so on idle cores a step cannot be shorter). */
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
#include "common/parallel.h"
#include "common/util.h"

enum { DIM = 2 };
static const double SIGMA = 0.5;

typedef struct {
    const Gmm *data;
    uint64_t seed;
} Batch;

/* The batch is drawn in fixed chunks of DRAW_CHUNK examples, chunk c of step s from its own
   Philox stream (s * chunks + c): the same numbers for any thread count, and the draw (a fifth
   of a step's time at batch 4096 when serial) runs on every thread, each chunk on whichever
   thread is free. Per example: x ~ p, then per coordinate eps ~ N(0, 1): x~ = x + sigma eps,
   target grad log q(x~|x) = -eps/sigma. */
enum { DRAW_CHUNK = 256 };
static void draw_batch(void *ctx, long step, int batch, float *x_noisy, float *target) {
    const Batch *b = ctx;
    const int chunks = (batch + DRAW_CHUNK - 1) / DRAW_CHUNK;
#pragma omp parallel for schedule(dynamic) if (chunks > 1)
    for (int c = 0; c < chunks; c++) {
        Rng rng;
        rng_init(&rng, b->seed, (uint64_t)step * (uint64_t)chunks + (uint64_t)c);
        const int end = (c + 1) * DRAW_CHUNK < batch ? (c + 1) * DRAW_CHUNK : batch;
        for (int i = c * DRAW_CHUNK; i < end; i++) {
            double x[DIM];
            gmm_sample(b->data, &rng, x);
            for (int a = 0; a < DIM; a++) {
                double eps = rng_normal(&rng);
                x_noisy[i * DIM + a] = (float)(x[a] + SIGMA * eps);
                target[i * DIM + a] = (float)(-eps / SIGMA);
            }
        }
    }
}

int main(int argc, char **argv) {
    long steps = 1000, batch_size = 128;
    const CliExtra extras[] = {{"--steps", CLI_LONG, &steps, "Adam steps (default 1000)"},
                               {"--batch", CLI_LONG, &batch_size, "examples per step (default 128)"},
                               {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: DSM training of an MLP 2-64-64-2", 0,
              extras);
    if (steps < 100) die("--steps must be at least 100 (the final loss averages the last 100)");
    if (batch_size < 1 || batch_size > 1 << 20) die("--batch must be in [1, 2^20]");

    Rng init_rng;
    rng_init(&init_rng, cli.seed, 0);
    const int widths[] = {DIM, 64, 64, DIM};
    DsmModel model;
    dsm_model_init(&model, 3, widths, NN_ACT_TANH, "score", 1e-3, &init_rng);

    Gmm data = gmm_new(2, DIM);
    const double left[DIM] = {-2, 0}, right[DIM] = {2, 0};
    gmm_set(&data, 0, 0.5, left, NULL, 1.0);
    gmm_set(&data, 1, 0.5, right, NULL, 1.0);
    gmm_normalise(&data);
    Batch batch = {&data, cli.seed + 1};

    double *losses = xmalloc(sizeof(double) * (size_t)steps);
    const DsmTrainConfig tc = {steps, (int)batch_size, draw_batch, &batch, 0.0, 0.0, "DSM benchmark"};
    char err[256];
    double t0 = now_seconds(), c0 = (double)clock() / CLOCKS_PER_SEC, m0 = thread_cpu_seconds();
    if (dsm_train(&model, &tc, losses, err, sizeof err) < steps) die("%s", err);
    double tail = 0.0;
    for (long step = steps - 100; step < steps; step++) tail += losses[step];
    double seconds = now_seconds() - t0, cpu = (double)clock() / CLOCKS_PER_SEC - c0;
    double main_cpu = thread_cpu_seconds() - m0;
    printf("RESULT peer=c batch=%ld threads=%d steps=%ld seconds=%.4f us_per_step=%.1f "
           "cpu_us_per_step=%.1f main_thread_cpu_us_per_step=%.1f final_loss=%.4f\n", batch_size, par_max_threads(), steps,
           seconds, 1e6 * seconds / steps, 1e6 * cpu / steps, 1e6 * main_cpu / steps,
           tail / 100);

    free(losses);
    gmm_free(&data);
    dsm_model_free(&model);
    /* the benchmark verifies nothing itself; the run script compares it with its peer */
    return check_end();
}
