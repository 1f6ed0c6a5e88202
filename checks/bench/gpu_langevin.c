/* Benchmark: Langevin on the 2-D mixture (L35 4.4) and Langevin with an MLP score 2-64-64-2
   (tanh; L35 5.3), CPU path (C twin, 1 and 2 threads) against the GPU path (gpu/), in
   chain-steps per second, from the wall clock and, for the GPU, from timestamp queries.

   --gpu auto (default) uses a real GPU only; --gpu on also a CPU Vulkan driver (there the GPU
   path is not expected to be faster). Prints RESULT lines and the ratios. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/parallel.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_langevin.h"
#include "gpu/gpu_mlp.h"

static void report(const char *what, long n, long steps, double cpu1, double cpu2, double gpu_wall,
                   double gpu_ts) {
    const double work = (double)n * steps;
    printf("RESULT bench=%s chains=%ld steps=%ld cpu1_per_s=%.3e cpu2_per_s=%.3e", what, n, steps,
           work / cpu1, work / cpu2);
    if (gpu_wall > 0)
        printf(" gpu_wall_per_s=%.3e gpu_kernel_per_s=%.3e gpu_vs_cpu1=%.2f gpu_vs_cpu2=%.2f\n",
               work / gpu_wall, gpu_ts > 0 ? work / gpu_ts : -1.0, cpu1 / gpu_wall,
               cpu2 / gpu_wall);
    else
        printf(" gpu=none\n");
}

int main(int argc, char **argv) {
    long chains = 10000, steps = 1000, mlp_chains = 10000, mlp_steps = 100;
    const CliExtra extras[] = {
        {"--chains", CLI_LONG, &chains, "mixture Langevin chains (default 1e4)"},
        {"--steps", CLI_LONG, &steps, "mixture Langevin steps (default 1000)"},
        {"--mlp-chains", CLI_LONG, &mlp_chains, "MLP-score chains (default 1e4)"},
        {"--mlp-steps", CLI_LONG, &mlp_steps, "MLP-score steps (default 100)"},
        {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: Langevin CPU vs GPU", 1, extras);
    GpuContext *g = gpu_open(cli.gpu, NULL, NULL, 0);

    Gmm mix = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&mix, 0, 0.5, a, NULL, 1.0);
    gmm_set(&mix, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&mix);
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    float *x = xcalloc((size_t)chains * 2, sizeof(float));
    GpuLangevinLevel level = {0.0f, 0.01f, (int)steps};
    double t[3], ts = -1;
    for (int threads = 1; threads <= 2; threads++) {
        par_set_threads(threads);
        memset(x, 0, sizeof(float) * (size_t)chains * 2);
        double t0 = now_seconds();
        gpu_langevin_gmm_run(NULL, table, 2, x, chains, 1, &level, 1, NULL);
        t[threads - 1] = now_seconds() - t0;
    }
    t[2] = -1;
    if (g) {
        memset(x, 0, sizeof(float) * (size_t)chains * 2);
        double t0 = now_seconds();
        if (gpu_langevin_gmm_run(g, table, 2, x, chains, 1, &level, 1, &ts)) t[2] = now_seconds() - t0;
    }
    report("langevin_gmm", chains, steps, t[0], t[1], t[2], ts);
    free(x);

    Rng r;
    rng_init(&r, 1, 0);
    const int widths[4] = {2, 64, 64, 2};
    NnMlp nn;
    nn_mlp_init(&nn, 3, widths, NN_ACT_TANH, AD_F32, &r);
    GpuMlp m;
    char err[256];
    if (gpu_mlp_from_nn(&m, &nn, err, sizeof err)) die("%s", err);
    GpuMlpPhase ph = {0.0f, 1.0f, 0.005f, 0.1f, (int)mlp_steps};
    x = xcalloc((size_t)mlp_chains * 2, sizeof(float));
    for (int threads = 1; threads <= 2; threads++) {
        par_set_threads(threads);
        memset(x, 0, sizeof(float) * (size_t)mlp_chains * 2);
        double t0 = now_seconds();
        gpu_mlp_steps_run(NULL, &m, x, mlp_chains, 1, &ph, 1, NULL);
        t[threads - 1] = now_seconds() - t0;
    }
    t[2] = -1;
    ts = -1;
    if (g) {
        memset(x, 0, sizeof(float) * (size_t)mlp_chains * 2);
        double t0 = now_seconds();
        if (gpu_mlp_steps_run(g, &m, x, mlp_chains, 1, &ph, 1, &ts)) t[2] = now_seconds() - t0;
    }
    report("langevin_mlp_2_64_64_2", mlp_chains, mlp_steps, t[0], t[1], t[2], ts);
    free(x);
    gpu_mlp_free(&m);
    nn_mlp_free(&nn);
    gmm_free(&mix);
    gpu_close(g);
    return check_end();
}
