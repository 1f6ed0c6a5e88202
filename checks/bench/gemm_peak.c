/* Benchmark: GFLOP/s of the float32 GEMM (common/gemm.h) beside the machine's peak,
   cores x 32 fp32 flop/cycle (two 8-lane FMA units, 2 flop each) x the clock of /proc/cpuinfo.
   Shapes: a square 1024^3 product and the largest product of the Tiny U-Net step (the bottleneck
   convolution of L36 4.2.2 over a chunk of 9 images: 128 x 1764 x 1152). Issue #10's target:
   >= 40 % of peak. Prints: RESULT kernel=K threads=T shape=MxNxK gflops=G peak=P percent=X, and the rate per second of
   process CPU time per core (on a shared machine the steadier number; with spinning threads a
   lower bound). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gemm.h"
#include "common/parallel.h"
#include "common/util.h"

static double cpu_mhz(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    char line[512];
    double mhz = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "cpu MHz", 7) == 0) {
            const char *c = strchr(line, ':');
            if (c) mhz = atof(c + 1);
            break;
        }
    fclose(f);
    return mhz;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: float32 GEMM GFLOP/s vs peak", 0, NULL);
    const int threads = par_max_threads();
    const double peak = threads * 32.0 * cpu_mhz() / 1e3;
    const int shapes[2][3] = {{1024, 1024, 1024}, {128, 1764, 1152}};
    for (int si = 0; si < 2; si++) {
        const int m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
        float *a = xmalloc((size_t)m * k * sizeof(float)), *b = xmalloc((size_t)k * n * sizeof(float)),
              *c = xmalloc((size_t)m * n * sizeof(float));
        for (long i = 0; i < (long)m * k; i++) a[i] = (float)((i % 7) - 3) * 0.25f;
        for (long i = 0; i < (long)k * n; i++) b[i] = (float)((i % 5) - 2) * 0.5f;
        memset(c, 0, (size_t)m * n * sizeof(float));
        gemm_f32(0, 0, m, n, k, a, k, b, n, c, n); /* warm-up */
        int reps = 0;
        double t0 = now_seconds(), c0 = (double)clock() / CLOCKS_PER_SEC, t;
        do {
            gemm_f32(0, 0, m, n, k, a, k, b, n, c, n);
            reps++;
            t = now_seconds() - t0;
        } while (t < 1.0 || reps < 3);
        double cpu = (double)clock() / CLOCKS_PER_SEC - c0;
        double gflops = 2.0 * m * n * k * reps / t / 1e9, per_core = 2.0 * m * n * k * reps / cpu / 1e9;
        printf("RESULT kernel=%s threads=%d shape=%dx%dx%d gflops=%.1f peak=%.1f percent=%.0f "
               "gflops_per_cpu_core=%.1f percent_of_core_peak=%.0f\n", gemm_kernel_name(), threads,
               m, n, k, gflops, peak, peak > 0 ? 100 * gflops / peak : 0, per_core,
               peak > 0 ? 100 * per_core / (peak / threads) : 0);
        free(a);
        free(b);
        free(c);
    }
    return check_end();
}
