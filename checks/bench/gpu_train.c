/* Benchmark: MLP training steps per second (DSM, L35 4.2: 2-64-64-2 tanh, sigma 0.5, Adam,
   batches drawn on the device of the run), for
   - the course's reference path (common/ad + nn + optim, as checks/bench/dsm_mlp.c) with 1
     and 2 threads,
   - the C twin of the training kernels (gpu/gpu_train.h) with 1 and 2 threads,
   - the GPU path (gpu_train_run: many steps per submission, the loss read back every 100
     steps), from the wall clock and from timestamp queries.
   --gpu auto (default) uses a real GPU only; --gpu on also a CPU Vulkan driver (there the GPU
   path is not expected to be faster). Prints RESULT lines with the ratios. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_train.h"

/* Times of the reference path, in seconds: wall clock, process CPU (all threads), CPU of the
   calling thread (the one that runs every serial part: on two idle cores the step cannot be
   shorter than that), and the part of the calling thread's CPU spent drawing the batches
   (gpu_train_batch_cpu, one thread). */
typedef struct {
    double wall, cpu, main_cpu, draw_cpu;
} RefTimes;

/* The reference path: `steps` Adam steps on the twin's batches. */
static RefTimes reference_seconds(const GpuTrain *tr, NnMlp *nn, long steps, double *last_loss) {
    NnParams params;
    nn_params_init(&params);
    nn_mlp_params(nn, "score", &params);
    ParamBlock blocks[8];
    int nblocks = nn_params_blocks(&params, blocks, 8);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(tr->lr, tr->beta1, tr->beta2, tr->eps, 0.0));
    const int B = tr->batch;
    float *eps = xmalloc(sizeof(float) * (size_t)B * 2);
    float *b = xmalloc(sizeof(float) * (size_t)B);
    AdArena *arena = ad_arena_new(1 << 22);
    RefTimes rt = {0, 0, 0, 0};
    double t0 = now_seconds(), c0 = (double)clock() / CLOCKS_PER_SEC, m0 = thread_cpu_seconds();
    for (long s = 0; s < steps; s++) {
        ad_arena_reset(arena);
        const int shape[2] = {B, 2};
        AdTensor *x = ad_input(arena, AD_F32, 2, shape);
        AdTensor *target = ad_input(arena, AD_F32, 2, shape);
        const double d0 = thread_cpu_seconds();
        gpu_train_batch_cpu(tr, s, ad_f32(x), eps, NULL, b);
        float *tg = ad_f32(target);
        for (int i = 0; i < 2 * B; i++) tg[i] = -b[i / 2] * eps[i]; /* DSM: s ~ -eps / sigma */
        rt.draw_cpu += thread_cpu_seconds() - d0;
        AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena,
                                      nn_mlp_forward(arena, nn, x), target))), 1.0 / B);
        optim_zero_grad(adam);
        ad_backward(arena, loss);
        optim_step(adam);
        *last_loss = ad_item(loss);
    }
    rt.wall = now_seconds() - t0;
    rt.cpu = (double)clock() / CLOCKS_PER_SEC - c0;
    rt.main_cpu = thread_cpu_seconds() - m0;
    ad_arena_free(arena);
    free(eps);
    free(b);
    optim_free(adam);
    nn_params_free(&params);
    return rt;
}

int main(int argc, char **argv) {
    long steps = 1000, batch = 128;
    const CliExtra extras[] = {
        {"--steps", CLI_LONG, &steps, "Adam steps per measurement (default 1000)"},
        {"--batch", CLI_LONG, &batch, "examples per step (default 128)"},
        {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: MLP training steps, CPU vs GPU", 1,
              extras);
    if (steps < 1 || batch < 1 || batch > 1 << 24) die("--steps >= 1 and 1 <= --batch <= 2^24");
    GpuContext *g = gpu_open(cli.gpu, NULL, NULL, 0);

    Gmm data = gmm_new(2, 2);
    const double left[2] = {-2, 0}, right[2] = {2, 0};
    gmm_set(&data, 0, 0.5, left, NULL, 1.0);
    gmm_set(&data, 1, 0.5, right, NULL, 1.0);
    gmm_normalise(&data);
    const double sigma = 0.5;
    GpuTrainLevel level;
    gpu_train_levels_dsm(&sigma, NULL, 1, 0, &level);
    const int widths[4] = {2, 64, 64, 2};
    Rng r;
    rng_init(&r, cli.seed, 0);
    NnMlp nn;
    nn_mlp_init(&nn, 3, widths, NN_ACT_TANH, AD_F32, &r);
    char err[256];
    GpuTrain fresh;
    if (gpu_train_init(&fresh, &(GpuTrainConfig){&nn, &data, &level, 1, (int)batch, cli.seed, 1e-3, 0.9, 0.999, 1e-8}, err, sizeof err))
        die("%s", err);
    const int every = 100;
    const int nslots = (int)((steps + every - 1) / every);
    float *losses = xmalloc(sizeof(float) * (size_t)nslots);

    double ref[2], twin[2], ref_loss = 0, twin_loss = 0;
    RefTimes rt[2];
    for (int threads = 1; threads <= 2; threads++) {
        par_set_threads(threads);
        NnMlp copy;
        nn_mlp_init(&copy, 3, widths, NN_ACT_TANH, AD_F32, &r);
        gpu_mlp_to_nn(&fresh.net, &copy); /* the same start for every path */
        rt[threads - 1] = reference_seconds(&fresh, &copy, steps, &ref_loss);
        ref[threads - 1] = rt[threads - 1].wall;
        nn_mlp_free(&copy);
        GpuTrain tr;
        if (gpu_train_init(&tr, &(GpuTrainConfig){&nn, &data, &level, 1, (int)batch, cli.seed, 1e-3, 0.9, 0.999, 1e-8}, err, sizeof err))
            die("%s", err);
        double t0 = now_seconds();
        gpu_train_steps_cpu(&tr, (int)steps, every, losses);
        twin[threads - 1] = now_seconds() - t0;
        twin_loss = losses[nslots - 1];
        gpu_train_free(&tr);
    }
    double gpu_wall = -1, gpu_ts = -1, gpu_loss = NAN;
    if (g) {
        GpuTrain tr;
        if (gpu_train_init(&tr, &(GpuTrainConfig){&nn, &data, &level, 1, (int)batch, cli.seed, 1e-3, 0.9, 0.999, 1e-8}, err, sizeof err))
            die("%s", err);
        float warm[2];
        gpu_train_run(g, &tr, 2, 1, warm, NULL); /* pipelines, first-use costs */
        gpu_train_free(&tr);
        gpu_train_init(&tr, &(GpuTrainConfig){&nn, &data, &level, 1, (int)batch, cli.seed, 1e-3, 0.9, 0.999, 1e-8}, err, sizeof err);
        double t0 = now_seconds();
        if (gpu_train_run(g, &tr, (int)steps, every, losses, &gpu_ts)) {
            gpu_wall = now_seconds() - t0;
            gpu_loss = losses[nslots - 1];
        }
        gpu_train_free(&tr);
    }
    const double n = (double)steps;
    printf("RESULT bench=train_dsm_2_64_64_2 batch=%ld steps=%ld ref1_steps_per_s=%.1f "
           "ref2_steps_per_s=%.1f twin1_steps_per_s=%.1f twin2_steps_per_s=%.1f", batch, steps,
           n / ref[0], n / ref[1], n / twin[0], n / twin[1]);
    if (gpu_wall > 0)
        printf(" gpu_wall_steps_per_s=%.1f gpu_kernel_steps_per_s=%.1f gpu_vs_ref1=%.2f "
               "gpu_vs_ref2=%.2f gpu_vs_twin1=%.2f gpu_vs_twin2=%.2f",
               n / gpu_wall, gpu_ts > 0 ? n / gpu_ts : -1.0, ref[0] / gpu_wall, ref[1] / gpu_wall,
               twin[0] / gpu_wall, twin[1] / gpu_wall);
    else
        printf(" gpu=none");
    printf(" twin_vs_ref1=%.2f\n", ref[0] / twin[0]);
    /* On a shared machine the wall clock of the 2-thread run measures the other tenants. The
       calling thread's CPU time bounds the 2-thread step on two idle cores from below (it runs
       every serial part and its share of every parallel one; with passive waiting it is not
       charged while it sleeps at a barrier), so cpu1 / main2 is the speed-up two idle cores
       would give if the shares are even (the two threads' CPU times are then equal). */
    printf("RESULT bench=train_dsm_threads batch=%ld ref1_cpu_us_per_step=%.1f "
           "ref2_cpu_us_per_step=%.1f ref2_main_thread_cpu_us_per_step=%.1f "
           "draw_cpu_us_per_step=%.1f wall_speedup=%.2f cpu_speedup=%.2f "
           "cpu_speedup_without_draw=%.2f\n",
           batch, 1e6 * rt[0].cpu / n, 1e6 * rt[1].cpu / n, 1e6 * rt[1].main_cpu / n,
           1e6 * rt[1].draw_cpu / n, rt[0].wall / rt[1].wall, rt[0].cpu / rt[1].main_cpu,
           (rt[0].cpu - rt[0].draw_cpu) / (rt[1].main_cpu - rt[1].draw_cpu));
    printf("RESULT bench=train_dsm_losses last_loss_ref=%.3f last_window_twin=%.3f "
           "last_window_gpu=%.3f (DSM floor 6.682)\n", ref_loss, twin_loss, gpu_loss);
    free(losses);
    gpu_train_free(&fresh);
    nn_mlp_free(&nn);
    gmm_free(&data);
    gpu_close(g);
    return check_end();
}
