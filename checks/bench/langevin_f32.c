/* Benchmark: the float32 block path of common/langevin.h (issue #10 item 3) on the 2-D mixture of
   L35 4.4, p = 0.5 N((-2,0), I) + 0.5 N((2,0), I), eps = 0.01, T = 1, chains started at 0;
   against the same loop in numpy (langevin_numpy.py; checks/bench/run.sh prints the ratio).
   Also times the double path (langevin_run with the same mixture score) for reference.

   Prints RESULT lines: RESULT peer=c path=f32|f64 threads=T chains=N steps=S chain_steps_per_s=R
   mean_x1_sq=M (M: the mean of x_1^2 over the chains at the end; the mixture has E x_1^2 = 5,
   ULA's O(eps) bias aside, so C and numpy should both print about 5.0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/langevin.h"
#include "common/parallel.h"
#include "common/util.h"

/* the double score of the same mixture: s = (-x1 + 2 tanh 2 x1, -x2) */
static void mix_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)dim, (void)sigma, (void)ctx;
    for (size_t c = 0; c < n; c++) {
        s[2 * c] = -x[2 * c] + 2.0 * tanh(2.0 * x[2 * c]);
        s[2 * c + 1] = -x[2 * c + 1];
    }
}

/* cpu: process CPU seconds (all threads); chain_steps_per_cpu_s is the rate per busy core, the
   steadier number on a shared machine; busy_cores = cpu / wall, how many cores the run actually
   had on average (the one parallel region has no serial part to speak of, so with 2 threads a
   value well below 2 means the other tenants of the machine held a core) */
static void result(const char *path, int threads, long n, long steps, double t, double cpu,
                   double mean_sq) {
    printf("RESULT peer=c path=%s kernel=%s threads=%d chains=%ld steps=%ld seconds=%.3f "
           "chain_steps_per_s=%.4e cpu_seconds=%.3f chain_steps_per_cpu_s=%.4e busy_cores=%.2f "
           "mean_x1_sq=%.3f\n",
           path, langevin_f32_kernel_name(), threads, n, steps, t, (double)n * steps / t, cpu,
           (double)n * steps / cpu, cpu / t, mean_sq);
}
static double cpu_now(void) { return (double)clock() / CLOCKS_PER_SEC; }

int main(int argc, char **argv) {
    long chains = 100000, steps = 1000, max_threads = 2, f64 = 1;
    const CliExtra extras[] = {{"--chains", CLI_LONG, &chains, "chains (default 1e5)"},
                               {"--steps", CLI_LONG, &steps, "steps (default 1000)"},
                               {"--max-threads", CLI_LONG, &max_threads, "time 1..T threads (default 2)"},
                               {"--f64", CLI_LONG, &f64, "also time the double path (default 1)"},
                               {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "benchmark: float32 block Langevin vs numpy", 35, extras);
    if (chains < 1 || steps < 1 || max_threads < 1) die("--chains, --steps, --max-threads must be >= 1");
    const float w[2] = {0.5f, 0.5f}, mu[4] = {-2, 0, 2, 0}, var[2] = {1, 1};
    LangevinGmmF32 g = {.k = 2, .dim = 2, .weight = w, .mean = mu, .var = var};
    float *x = xmalloc(sizeof(float) * (size_t)chains * 2);
    double *xd = xmalloc(sizeof(double) * (size_t)chains * 2);
    LangevinParams lp;
    langevin_params_init(&lp, (size_t)chains, 2, mix_score, NULL);
    lp.step_size = 0.01;
    lp.n_steps = (size_t)steps;
    lp.seed = 1;
    for (int th = 1; th <= max_threads; th++) {
        lp.n_threads = th;
        memset(x, 0, sizeof(float) * (size_t)chains * 2);
        double t0 = now_seconds(), c0 = cpu_now();
        LangevinResult res;
        if (langevin_run_f32(&lp, langevin_gmm_score_f32, &g, x, &res) != LANGEVIN_OK) die("%s", res.message);
        double t = now_seconds() - t0, cpu = cpu_now() - c0, m = 0;
        for (long c = 0; c < chains; c++) m += (double)x[2 * c] * x[2 * c];
        result("f32", th, chains, steps, t, cpu, m / chains);
    }
    if (f64) {
        lp.n_threads = (int)max_threads;
        memset(xd, 0, sizeof(double) * (size_t)chains * 2);
        double t0 = now_seconds(), c0 = cpu_now();
        LangevinResult res;
        if (langevin_run(&lp, xd, &res) != LANGEVIN_OK) die("%s", res.message);
        double t = now_seconds() - t0, cpu = cpu_now() - c0, m = 0;
        for (long c = 0; c < chains; c++) m += xd[2 * c] * xd[2 * c];
        result("f64", (int)max_threads, chains, steps, t, cpu, m / chains);
    }
    free(x);
    free(xd);
    return 0;
}
