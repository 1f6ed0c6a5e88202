/* Benchmark: GFLOP/s of the float32 GEMM (common/gemm.h) beside the machine's peak, two ways:
   - the formula, cores x 32 fp32 flop/cycle (two 8-lane FMA units, 2 flop each) x the
     clock of /proc/cpuinfo. On a virtual machine that clock is the nominal one (the cores may run
     faster), and a core with two 16-lane AVX-512 FMA units does 64 flop/cycle, so the formula can
     be exceeded;
   - measured: the same threads running nothing but independent fused multiply-adds on registers
     of the kernel's width (AVX-512: 16 lanes, AVX2: 8), the most the cores deliver in practice;
     its implied flop per cycle at the /proc/cpuinfo clock is printed too.
   Shapes: a square 1024^3 product and the largest product of the Tiny U-Net step (the bottleneck
   convolution of L36 4.2.2 over a chunk of 9 images: 128 x 1764 x 1152). Issue #10's target:
   >= 40 % of peak. Prints RESULT peak (both peaks), then per shape: RESULT kernel=K threads=T
   shape=MxNxK gflops=G peak=P percent=X percent_of_measured_peak=Y, and the rate per second of
   process CPU time per core (on a shared machine the steadier number; with spinning threads a
   lower bound). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

/* 12 independent FMA chains of `lanes`-wide vectors for `iters` rounds (unrolled, so that the
   accumulators stay in registers: enough chains to cover two pipes' latency); flop = 2 lanes 12
   iters. The result is returned so that the loop is not removed. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static float fma_chains_avx512(long iters) {
    __m512 acc[12], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long r = 0; r < iters; r++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    float s = 0;
    for (int i = 0; i < 12; i++) s += _mm512_reduce_add_ps(acc[i]);
    return s;
}
__attribute__((target("avx2,fma"))) static float fma_chains_avx2(long iters) {
    __m256 acc[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long r = 0; r < iters; r++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    float t[8], s = 0;
    for (int i = 0; i < 12; i++) {
        _mm256_storeu_ps(t, acc[i]);
        for (int j = 0; j < 8; j++) s += t[j];
    }
    return s;
}
#endif

/* GFLOP/s of FMA chains of the GEMM kernel's width on `threads` threads; 0 for the portable
   kernel (no vector FMA to measure). */
static double measured_peak(int threads) {
#if defined(__x86_64__) && defined(__GNUC__)
    const int wide = strcmp(gemm_kernel_name(), "avx512f") == 0;
    if (!wide && strcmp(gemm_kernel_name(), "avx2+fma") != 0) return 0;
    const long iters = 20000000;
    const double lanes = wide ? 16 : 8;
    volatile float sink = 0;
    double t0 = now_seconds();
#pragma omp parallel num_threads(threads)
    {
        float s = wide ? fma_chains_avx512(iters) : fma_chains_avx2(iters);
#pragma omp atomic
        sink += s;
    }
    (void)sink;
    return 2.0 * lanes * 12 * (double)iters * threads / (now_seconds() - t0) / 1e9;
#else
    (void)threads;
    return 0;
#endif
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: float32 GEMM GFLOP/s vs peak", 0, NULL);
    const int threads = par_max_threads();
    const double peak = threads * 32.0 * cpu_mhz() / 1e3;
    const double fma_peak = measured_peak(threads);
    printf("RESULT peak threads=%d formula_gflops=%.1f (32 flop/cycle at %.0f MHz) "
           "measured_fma_gflops=%.1f (%.0f flop/cycle per core at that clock)\n", threads, peak,
           cpu_mhz(), fma_peak, cpu_mhz() > 0 ? fma_peak * 1e3 / (threads * cpu_mhz()) : 0);
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
               "percent_of_measured_peak=%.0f gflops_per_cpu_core=%.1f percent_of_core_peak=%.0f\n",
               gemm_kernel_name(), threads, m, n, k, gflops, peak, peak > 0 ? 100 * gflops / peak : 0,
               fma_peak > 0 ? 100 * gflops / fma_peak : 0, per_core,
               peak > 0 ? 100 * per_core / (peak / threads) : 0);
        free(a);
        free(b);
        free(c);
    }
    return check_end();
}
