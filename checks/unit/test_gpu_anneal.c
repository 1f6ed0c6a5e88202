/* Unit tests of the 1-D annealing ensembles (common/anneal1d.h, gpu/gpu_anneal.h; study note
   B2 and B5): the double CPU path against closed forms (ULA's discrete stationary variance,
   AIS's unbiased Z-ratio for a Gaussian target), the float twins against the double path on the
   same Philox words, thread independence, and each kernel against its twin on the same noise:
   ULA coordinates within the chain bound of the precision model (gpu_precision.h), AIS chains
   bit for bit wherever no acceptance test is within the rounding of ln u' of its threshold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/anneal1d.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_anneal.h"
#include "gpu/gpu_precision.h"

static void starts(double *x, long n, uint64_t seed, double scale) {
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)i);
        x[i] = scale * rng_normal(&r);
    }
}

/* ULA on E = x^2/2 (F = -x) at T = 1, eta = 0.1: the variance recursion v' = (1-eta)^2 v + 2 eta
   fixes v = 1/(1 - eta/2); 200 steps leave 0.9^400 of the start */
static void test_ula_variance(const Cli *cli) {
    const long n = cli_scale(cli, 20000, 100000, 400000);
    enum { S = 200 };
    const double eta = 0.1, F[2] = {0.0, -1.0};
    double *sched = xmalloc(sizeof(double) * 3 * S), *x = xmalloc(sizeof(double) * n);
    for (int t = 0; t < S; t++) sched[3 * t] = eta, sched[3 * t + 1] = sqrt(2 * eta), sched[3 * t + 2] = 0;
    starts(x, n, 5, 1.0);
    const Anneal1dUla job = {ANNEAL1D_POLY, 1, F, sched, S, 0, 11};
    anneal1d_ula(&job, x, n);
    double mean, var;
    stats_mean_var(x, (size_t)n, &mean, &var);
    check_mc("common.anneal1d.ula_variance", var, 1.0 / (1 - eta / 2), var * sqrt(2.0 / (n - 1)), 4, n,
             "common.anneal1d.ula", "double path: ULA on x^2/2, eta = 0.1, T = 1: variance 1/(1 - eta/2) (se of a Gaussian variance)");
    free(sched), free(x);
}

/* AIS from N(0,1) to E1 = 2 x^2 (N(0, 1/4)): Z1/Z0 = 1/2 exactly */
static void test_ais_unbiased(const Cli *cli) {
    const long n = cli_scale(cli, 20000, 100000, 400000);
    enum { K = 20 };
    const double e1[3] = {0, 0, 2.0};
    double lam[K + 1], *x = xmalloc(sizeof(double) * n), *lw = xmalloc(sizeof(double) * n);
    for (int k = 0; k <= K; k++) lam[k] = (double)k / K;
    starts(x, n, 6, 1.0);
    const Anneal1dAis job = {2, e1, lam, K, 2, 1.0, 12};
    anneal1d_ais(&job, x, lw, n);
    for (long i = 0; i < n; i++) lw[i] = exp(lw[i]);
    double se, m = stats_mean_se(lw, (size_t)n, &se);
    check_mc("common.anneal1d.ais_unbiased", m, 0.5, se, 4, n, "common.anneal1d.ula",
             "double path: AIS N(0,1) -> N(0,1/4), K = 20, 2 uniform-proposal Metropolis moves: E[w] = Z1/Z0 = 1/2");
    free(x), free(lw);
}

/* the float twins draw the same words as the double path: pure noise (a = 0, b = 1) for 1000
   steps gives x0 + sum z_t on both, equal up to float rounding (a wrong layout differs by ~30) */
static void test_same_words(void) {
    enum { N = 2000, S = 1000 };
    double *sched = xmalloc(sizeof(double) * 3 * S), x[N];
    float fs[3 * S], xf[N];
    for (int t = 0; t < S; t++) sched[3 * t] = 0, sched[3 * t + 1] = 1, sched[3 * t + 2] = 0;
    for (int i = 0; i < 3 * S; i++) fs[i] = (float)sched[i];
    const double F[2] = {0, 0};
    const float Ff[2] = {0, 0};
    starts(x, N, 7, 1.0);
    for (int i = 0; i < N; i++) xf[i] = (float)x[i];
    const Anneal1dUla job = {ANNEAL1D_POLY, 1, F, sched, S, 3, 13};
    anneal1d_ula(&job, x, N);
    gpu_anneal_ula_cpu(GPU_ANNEAL_POLY, 1, Ff, fs, S, 3, 13, xf, N);
    double worst = 0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(x[i] - xf[i]));
    /* float sums of 1000 terms of size ~1 to ~30: 1000 * 2^-24 * 30 = 2e-3 at most */
    check_le("common.gpu.anneal_same_words_ula", worst, 2e-3, 0, "common.anneal1d.ula",
             "float twin vs double path, pure noise, 1000 steps from step 3 (odd start): max |x_float - x_double| (float summation bound)");
    // AIS: the decisions agree except near a threshold: chains end within 1e-4 of each other
    enum { K = 30 };
    const double e1[5] = {0, 0, -2 / 0.1, 0, 1 / 0.1}; /* (x^2 - 1)^2 / 0.1 less its constant */
    const float e1f[5] = {0, 0, -2 / 0.1f, 0, 1 / 0.1f};
    double lam[K + 1], lw[N];
    float lamf[K + 1], lwf[N];
    for (int k = 0; k <= K; k++) lam[k] = (double)k / K, lamf[k] = (float)lam[k];
    starts(x, N, 8, 1.0);
    for (int i = 0; i < N; i++) xf[i] = (float)x[i], lwf[i] = 0;
    const Anneal1dAis aj = {4, e1, lam, K, 2, 0.4, 14};
    anneal1d_ais(&aj, x, lw, N);
    gpu_anneal_ais_cpu(4, e1f, lamf, K, 2, 0.4f, 14, xf, lwf, N);
    int same = 0;
    for (int i = 0; i < N; i++) same += fabs(x[i] - xf[i]) < 1e-4;
    check_ge("common.gpu.anneal_same_words_ais", (double)same / N, 0.99, 0, "common.anneal1d.ula",
             "float twin vs double path, AIS on the double well (K = 30, 2 moves): fraction of chains ending within 1e-4 (%d of %d; different words would agree for ~none)", same, N);
    free(sched);
}

static void test_threads(void) {
    enum { N = 3000, S = 300 };
    const double F[4] = {0.25, 4, 0, -4};
    double sched[3 * S], a[N], b[N];
    for (int t = 0; t < S; t++) sched[3 * t] = 0.01, sched[3 * t + 1] = sqrt(0.02 * (1 - t / 400.0)), sched[3 * t + 2] = 0;
    starts(a, N, 9, 1.0);
    memcpy(b, a, sizeof a);
    const Anneal1dUla job = {ANNEAL1D_POLY, 3, F, sched, S, 0, 15};
    par_set_threads(1);
    anneal1d_ula(&job, a, N);
    par_set_threads(2);
    anneal1d_ula(&job, b, N);
    check_true("common.anneal1d.threads", !memcmp(a, b, sizeof a), "double path: identical chains with 1 and 2 threads");
}

/* a schedule of the two kinds the lectures run: SA on the tilted double well (T 1 -> 0.05) and
   annealed Langevin on the two-mode mixture of B2 (sigma 10 -> 0.01) */
static void make_sched(int mix, long S, float *s) {
    for (long t = 0; t < S; t++) {
        const double u = (t + 0.5) / S;
        if (!mix) {
            const double T = pow(0.05, u);
            s[3 * t] = 0.01f, s[3 * t + 1] = (float)sqrt(0.02 * T), s[3 * t + 2] = 0;
        } else {
            const double sig = 10 * pow(1e-3, floor(u * 10) / 9), alpha = 2e-5 * sig * sig / 1e-4;
            s[3 * t] = (float)(0.5 * alpha), s[3 * t + 1] = (float)sqrt(alpha), s[3 * t + 2] = (float)(sig * sig);
        }
    }
}

static void test_ula_parity(GpuContext *g, const Cli *cli, const char *why) {
    const char *names[2] = {"poly", "mix"};
    const float poly[4] = {0.25f, 4, 0, -4};
    const float mix[6] = {(float)log(0.8), -4, 0.01f, (float)log(0.2), 4, 1};
    const long n = cli_scale(cli, 2000, 4000, 20000), S = cli->scale == SCALE_QUICK ? 1000 : 3000;
    for (int q = 0; q < 2; q++) {
        char id[64];
        snprintf(id, sizeof id, "common.gpu.anneal_ula_parity_%s", names[q]);
        if (!g) {
            check_skip(id, "no Vulkan device: %s", why);
            continue;
        }
        float *s = xmalloc(sizeof(float) * 3 * (size_t)S), *x = xmalloc(sizeof(float) * (size_t)n),
              *y = xmalloc(sizeof(float) * (size_t)n);
        double *bound = xmalloc(sizeof(double) * (size_t)n), *xd = xmalloc(sizeof(double) * (size_t)n);
        make_sched(q, S, s);
        starts(xd, n, 20 + q, q ? 8.0 : 0.7);
        for (long i = 0; i < n; i++) x[i] = y[i] = (float)xd[i];
        const float *tab = q ? mix : poly;
        const int k = q ? 2 : 3, model = q ? GPU_ANNEAL_MIX : GPU_ANNEAL_POLY;
        char w2[256];
        const int rc = gpu_anneal_ula_try(g, model, k, tab, s, S, 1, 31 + q, x, n, w2, sizeof w2);
        gp_anneal_ula_bound(model, k, tab, s, S, 1, 31 + q, y, n, bound);
        double maxd = 0, bmax = 0, bmean = 0;
        for (long i = 0; i < n; i++) maxd = fmax(maxd, fabs(x[i] - y[i])), bmax = fmax(bmax, bound[i]), bmean += bound[i] / n;
        check_le(id, rc == 0 ? gp_worst_ratio(x, y, bound, n) : INFINITY, 1.0, 0, "common.gpu.err_chain",
                 "%s: %ld chains x %ld steps, kernel vs twin on the same noise: max over chains of |difference| / bound "
                 "(precision model; max |difference| %.2g, bound mean %.2g, max %.2g)%s%s",
                 q ? "annealed Langevin on the two-mode mixture" : "SA on the tilted double well", n, S, maxd, bmean, bmax,
                 rc ? "; kernel failed: " : "", rc ? w2 : "");
        free(s), free(x), free(y), free(bound), free(xd);
    }
}

static void test_ais_parity(GpuContext *g, const Cli *cli, const char *why) {
    if (!g) {
        check_skip("common.gpu.anneal_ais_parity", "no Vulkan device: %s", why);
        check_skip("common.gpu.anneal_ais_decided", "no Vulkan device: %s", why);
        return;
    }
    const long n = cli_scale(cli, 4000, 20000, 100000);
    enum { K = 100, M = 2 };
    const float e1[5] = {0, 0, -2 / 0.1f, 0, 1 / 0.1f};
    float lam[K + 1];
    for (int k = 0; k <= K; k++) lam[k] = (float)k / K;
    double *xd = xmalloc(sizeof(double) * (size_t)n);
    float *x = xmalloc(sizeof(float) * (size_t)n), *y = xmalloc(sizeof(float) * (size_t)n),
          *wx = xcalloc((size_t)n, sizeof(float)), *wy = xcalloc((size_t)n, sizeof(float));
    unsigned char *dec = xmalloc((size_t)n);
    starts(xd, n, 40, 1.0);
    for (long i = 0; i < n; i++) x[i] = y[i] = (float)xd[i];
    char w2[256];
    const int rc = gpu_anneal_ais_try(g, 4, e1, lam, K, M, 0.43f, 41, x, wx, n, w2, sizeof w2);
    gp_anneal_ais_decided(4, e1, lam, K, M, 0.43f, 41, y, wy, n, dec);
    long nd = 0, bad = 0;
    for (long i = 0; i < n; i++) {
        if (!dec[i]) continue;
        nd++;
        bad += memcmp(&x[i], &y[i], sizeof(float)) || memcmp(&wx[i], &wy[i], sizeof(float));
    }
    check_true("common.gpu.anneal_ais_parity", rc == 0 && bad == 0,
               "AIS on the double well (K = %d, %d moves): kernel vs twin bit for bit on every decided chain (%ld of %ld decided, %ld differ)%s%s",
               K, M, nd, n, bad, rc ? "; kernel failed: " : "", rc ? w2 : "");
    /* a test within 2e of its threshold: probability ~ 2 * 2e * density(ln u') per move, e ~ 2^-21 */
    check_le("common.gpu.anneal_ais_decided", (double)(n - nd) / n, 1e-2, 0, "common.gpu.err_chain",
             "fraction of chains with an acceptance test within the ln u' rounding bound of its threshold (%ld of %ld): excluded above, and rare", n - nd, n);
    free(xd), free(x), free(y), free(wx), free(wy), free(dec);
}

/* The lecture's one call (goc_anneal_ula / goc_anneal_ais): the CPU path without a context; the
   same CPU path, from the unchanged start, after a device fails mid-run (an allocation failure,
   a lost device: GpuOptions' test hooks); the kernel alone with a working device. */
static void test_goc(GpuContext *g, const Cli *cli, int argc, char **argv, const char *why) {
    enum { N = 500, S = 200, K = 20 };
    const double F[4] = {0.25, 4, 0, -4}, e1[5] = {10, 0, -20, 0, 10};
    double sched[3 * S], lam[K + 1], x0[N], xc[N], xt[N], wc[N], wt[N];
    for (int t = 0; t < S; t++) sched[3 * t] = 0.01, sched[3 * t + 1] = sqrt(0.02 * pow(0.05, (t + 0.5) / S)), sched[3 * t + 2] = 0;
    for (int k = 0; k <= K; k++) lam[k] = (double)k / K;
    starts(x0, N, 50, 1.0);
    const Anneal1dUla ula = {ANNEAL1D_POLY, 3, F, sched, S, 0, 51};
    const Anneal1dAis ais = {4, e1, lam, K, 2, 0.43, 52};
    memcpy(xc, x0, sizeof x0);
    GocWhere w0 = goc_anneal_ula(NULL, &ula, xc, N);
    double xa[N];
    memcpy(xa, x0, sizeof x0);
    GocWhere w0a = goc_anneal_ais(NULL, &ais, xa, wc, N);
    check_true("common.gpu.anneal_goc_cpu", w0 == GOC_CPU && w0a == GOC_CPU, "without a context both calls run common/anneal1d (%s)",
               goc_where_name(w0));
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu") || !strncmp(argv[i], "--gpu=", 6)) mode = cli->gpu;
    const struct {
        const char *id, *what;
        GpuOptions opt;
    } faults[] = {
        {"common.gpu.anneal_goc_after_alloc_failure", "the second buffer allocation fails", {.quiet = 1, .fail_alloc_after = 1}},
        {"common.gpu.anneal_goc_after_device_lost", "VK_ERROR_DEVICE_LOST at the first batch", {.quiet = 1, .lose_device_at = 1}},
    };
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        char w2[512];
        GpuContext *bad = gpu_open(mode, &faults[f].opt, w2, sizeof w2);
        if (!bad) {
            check_skip(faults[f].id, "no Vulkan device: %s", why);
            continue;
        }
        memcpy(xt, x0, sizeof x0);
        GocWhere w1 = goc_anneal_ula(bad, &ula, xt, N);
        int same = w1 == GOC_CPU_AFTER_GPU_ERROR && !memcmp(xt, xc, sizeof xt);
        gpu_close(bad);
        bad = gpu_open(mode, &faults[f].opt, w2, sizeof w2);
        memcpy(xt, x0, sizeof x0);
        GocWhere w1a = bad ? goc_anneal_ais(bad, &ais, xt, wt, N) : GOC_CPU;
        same &= w1a == GOC_CPU_AFTER_GPU_ERROR && !memcmp(xt, xa, sizeof xt) && !memcmp(wt, wc, sizeof wt);
        check_true(faults[f].id, same,
                   "after a device error (%s) both calls run the CPU path from the unchanged start: the same chains and weights as without a GPU",
                   faults[f].what);
        gpu_close(bad);
    }
    if (!g) {
        check_skip("common.gpu.anneal_goc_gpu_alone", "no Vulkan device: %s", why);
        return;
    }
    memcpy(xt, x0, sizeof x0);
    GocWhere w2 = goc_anneal_ula(g, &ula, xt, N);
    double d = 0;
    for (int i = 0; i < N; i++) d = fmax(d, fabs(xt[i] - xc[i]));
    check_true("common.gpu.anneal_goc_gpu_alone", w2 == GOC_GPU,
               "with a working device the kernel runs (%s; max |difference| from the double CPU path on the same words %.2g, "
               "float32 vs double: not bounded here)", goc_where_name(w2), d);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the 1-D annealing ensembles (CPU path, twins, kernels)", 41, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_ula_variance(&cli);
    test_ais_unbiased(&cli);
    test_same_words();
    test_threads();
    test_ula_parity(g, &cli, why);
    test_ais_parity(g, &cli, why);
    test_goc(g, &cli, argc, argv, why);
    gpu_test_close(g, "common.gpu.anneal_validation_clean");
    return check_end();
}
