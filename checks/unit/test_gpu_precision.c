/* Unit tests of gpu/gpu_precision.h (the precision model of the GPU-vs-twin checks) and of
   gpu/gpu_or_cpu.h (one call with or without a GPU). The model's bounds must hold for every
   conformant implementation, so they are tested against one: the C library's float functions,
   at many arguments, against the exact values in double; a bound that some float result
   escapes would be a wrong model. They must also be tight enough to catch a real kernel error:
   a Langevin twin with a step size off by 0.1 % leaves the chain bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"
#include "gpu/gpu_precision.h"

/* |float op(x_f) - exact op(x_f)| / bound over many x: <= 1 */
static void test_primitives(void) {
    Rng r;
    rng_init(&r, 1, 0);
    double worst[6] = {0};
    for (int k = 0; k < 200000; k++) {
        const float x = (float)(rng_uniform(&r) * 40.0 - 20.0);
        const float xp = (float)(exp(rng_uniform(&r) * 40.0 - 20.0));
        const float xa = (float)((rng_uniform(&r) * 2.0 - 1.0) * 3.14159265358979);
        const GpErr e[6] = {gp_exp(gp_exact(x)), gp_log(gp_exact(xp)), gp_sqrt(gp_exact(xp)),
                            gp_sin(gp_exact(xa)), gp_cos(gp_exact(xa)),
                            gp_activation(GPU_ACT_TANH, gp_exact(x))};
        const double got[6] = {expf(x), logf(xp), sqrtf(xp), sinf(xa), cosf(xa), gs_tanh(x)};
        const double exact[6] = {exp((double)x), log((double)xp), sqrt((double)xp),
                                 sin((double)xa), cos((double)xa), tanh((double)x)};
        for (int j = 0; j < 6; j++) worst[j] = fmax(worst[j], fabs(got[j] - exact[j]) / e[j].e);

    }
    double all = 0;
    for (int j = 0; j < 6; j++) all = fmax(all, worst[j]);
    check_le("common.gpu.precision_covers_libm", all, 1.0, 0, "common.gpu.err_div_exp",
             "glibc's float exp/log/sqrt/sin/cos and gs_tanh at 200000 arguments each stay inside "
             "the model's bounds (worst |error|/bound: exp %.2g, log %.2g, sqrt %.2g, sin %.2g, "
             "cos %.2g, tanh %.2g)", worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]);
}

/* Box-Muller and the mixture score, float twin vs exact double, inside the bounds. */
static void test_composites(void) {
    Rng r;
    rng_init(&r, 2, 0);
    double worst_bm = 0, worst_s = 0;
    for (int k = 0; k < 100000; k++) {
        philox_u4 w = philox_block(7u, 0u, (uint32_t)k, 0u, 3u, 0u);
        const float u1 = philox_uniform_f(w.x), u2 = philox_uniform_f(w.y);
        GpErr z[2];
        gp_normal_pair(u1, u2, z);
        gs_v2 zf = gs_normal_pair(u1, u2);
        worst_bm = fmax(worst_bm, fmax(fabs(zf.x - z[0].v) / z[0].e, fabs(zf.y - z[1].v) / z[1].e));
    }
    Gmm g = gmm_new(3, 2);
    const double m0[2] = {-1, 0}, m1[2] = {1, 0.5}, m2[2] = {0, -1};
    const double v0[2] = {1, 0.5}, v1[2] = {0.6, 1.2}, v2[2] = {0.8, 0.8};
    gmm_set(&g, 0, 0.5, m0, v0, 0), gmm_set(&g, 1, 0.3, m1, v1, 0), gmm_set(&g, 2, 0.2, m2, v2, 0);
    gmm_normalise(&g);
    float table[3 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&g, table);
    for (int k = 0; k < 20000; k++) {
        const float x[2] = {(float)(4 * rng_normal(&r)), (float)(4 * rng_normal(&r))};
        GpErr s[2];
        double J[4];
        gp_gmm_score(table, 3, x, 0.25f, s, J);
        gs_v2 sf = gs_gmm_score(table, 3, (gs_v2){x[0], x[1]}, 0.25f);
        worst_s = fmax(worst_s, fmax(fabs(sf.x - s[0].v) / s[0].e, fabs(sf.y - s[1].v) / s[1].e));
    }
    check_le("common.gpu.precision_covers_box_muller", worst_bm, 1.0, 0, "common.gpu.box_muller",
             "the float Box-Muller pair of 100000 Philox words vs the exact pair in double: worst "
             "|error| / bound");
    check_le("common.gpu.precision_covers_gmm_score", worst_s, 1.0, 0, "common.gpu.gmm_score",
             "the float mixture score (s^2 = 0.25) at 20000 points vs the same formula in double: "
             "worst |error| / bound");
    gmm_free(&g);
}

/* Power: chains run with a wrong step size (a wrong constant in a kernel), from the same starts
   with the same noise, leave the bound. The bound is loose where the specification is (sin and
   cos may be off by 2^-11 absolute, which dominates it), so small errors pass: the check asks
   that a 10 % error in the step fails, and prints the ratios of 0.1 % and 1 %. */
static void test_power(void) {
    Gmm g = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&g, 0, 0.5, a, NULL, 1.0), gmm_set(&g, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&g);
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&g, table);
    enum { N = 500 };
    float *x = xcalloc(2 * N, sizeof(float)), *y = xmalloc(sizeof(float) * 2 * N);
    double *bound = xmalloc(sizeof(double) * 2 * N);
    GpuLangevinLevel right = {0.0f, 0.02f, 300};
    gp_langevin_gmm_bound(table, 2, x, N, 3, &right, 1, bound);
    const double rel[3] = {1e-3, 1e-2, 1e-1};
    double ratio[3];
    for (int k = 0; k < 3; k++) {
        GpuLangevinLevel wrong = {0.0f, (float)(0.02 * (1 + rel[k])), 300};
        memset(y, 0, sizeof(float) * 2 * N);
        gpu_langevin_gmm_run(NULL, table, 2, y, N, 3, &wrong, 1, NULL);
        ratio[k] = gp_worst_ratio(y, x, bound, 2 * N);
    }
    check_ge("common.gpu.precision_bound_has_power", ratio[2], 1.0, 0, "common.gpu.err_chain",
             "Langevin chains (300 steps) with the step size 10%% too large, same starts and noise: "
             "worst |difference| / chain bound = %.2f > 1, so such a kernel error fails the parity "
             "checks (0.1%%: %.2f, 1%%: %.2f, inside the specification's slack)",
             ratio[2], ratio[0], ratio[1]);
    free(x), free(y), free(bound);
    gmm_free(&g);
}

typedef struct {
    const float *table;
    GpuLangevinLevel level;
    int calls;
} CpuCtx;

/* the CPU path of the test: the float twin in double storage */
static void cpu_sample(void *ctx, double *x, long n) {
    CpuCtx *c = ctx;
    c->calls++;
    float *xf = xmalloc(sizeof(float) * 2 * (size_t)n);
    for (long i = 0; i < 2 * n; i++) xf[i] = (float)x[i];
    gpu_langevin_gmm_cpu(c->table, 2, xf, n, 5, 0, c->level.steps, c->level.eps, 0.0f);
    for (long i = 0; i < 2 * n; i++) x[i] = xf[i];
    free(xf);
}

/* gpu_or_cpu: no context -> the CPU function; a device that fails (1 ns fence timeout) -> the
   CPU function from the unchanged start; a working device -> the kernel alone. */
static void test_gpu_or_cpu(const Cli *cli, int argc, char **argv, GpuContext *g, const char *why0) {
    Gmm mix = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&mix, 0, 0.5, a, NULL, 1.0), gmm_set(&mix, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&mix);
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    enum { N = 4000 };
    double *x0 = xmalloc(sizeof(double) * 2 * N), *xc = xmalloc(sizeof(double) * 2 * N);
    double *xt = xmalloc(sizeof(double) * 2 * N), *xg = xmalloc(sizeof(double) * 2 * N);
    Rng r;
    rng_init(&r, 4, 0);
    for (long i = 0; i < 2 * N; i++) x0[i] = rng_normal(&r);
    CpuCtx ctx = {table, {0.0f, 0.01f, 200}, 0};
    const GocSample job = {table, 2, &ctx.level, NULL, NULL, 1, 5, cpu_sample, &ctx};
    memcpy(xc, x0, sizeof(double) * 2 * N);
    GocWhere w0 = goc_sample(NULL, &job, xc, N);
    check_true("common.gpu.goc_cpu_without_context", w0 == GOC_CPU && ctx.calls == 1,
               "without a context the layer runs the caller's CPU path once (%s)", goc_where_name(w0));
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu") || !strncmp(argv[i], "--gpu=", 6)) mode = cli->gpu;
    /* three ways a device fails in the middle of a run: a batch that misses its fence, an
       allocation that fails (out of device memory), a device lost at its first batch (the last
       two injected through GpuOptions' test hooks) */
    const struct {
        const char *id, *what;
        GpuOptions opt;
    } faults[] = {
        {"common.gpu.goc_cpu_after_gpu_error", "1 ns fence timeout", {.timeout_s = 1e-9, .quiet = 1}},
        {"common.gpu.goc_cpu_after_alloc_failure", "the second buffer allocation fails",
         {.quiet = 1, .fail_alloc_after = 1}},
        {"common.gpu.goc_cpu_after_device_lost", "VK_ERROR_DEVICE_LOST at the first batch",
         {.quiet = 1, .lose_device_at = 1}},
    };
    int cpu_calls = ctx.calls;
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        char why[512];
        GpuContext *bad = gpu_open(mode, &faults[f].opt, why, sizeof why);
        if (!bad) {
            check_skip(faults[f].id, "no Vulkan device: %s", why0);
            continue;
        }
        memcpy(xt, x0, sizeof(double) * 2 * N);
        GocWhere w1 = goc_sample(bad, &job, xt, N);
        cpu_calls++;
        check_true(faults[f].id,
                   w1 == GOC_CPU_AFTER_GPU_ERROR && ctx.calls == cpu_calls && !memcmp(xt, xc, sizeof(double) * 2 * N),
                   "after a device error (%s: \"%s\") the layer runs the same CPU path from the unchanged "
                   "start: the same result as without a GPU", faults[f].what, gpu_error(bad));
        gpu_close(bad);
    }
    if (!g) {
        check_skip("common.gpu.goc_gpu_alone", "no Vulkan device: %s", why0);
    } else {
        memcpy(xg, x0, sizeof(double) * 2 * N);
        GocWhere w2 = goc_sample(g, &job, xg, N);
        double d = 0;
        for (long i = 0; i < 2 * N; i++) d = fmax(d, fabs(xg[i] - xc[i]));
        check_true("common.gpu.goc_gpu_alone", w2 == GOC_GPU && ctx.calls == cpu_calls,
                   "with a working device the kernel runs alone: the CPU path is not called (max "
                   "|difference| from the CPU's chains %.2g; the precision bounds are "
                   "test_gpu_langevin's)", d);
    }
    free(x0), free(xc), free(xt), free(xg);
    gmm_free(&mix);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the GPU precision model and gpu_or_cpu",
              17, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    test_primitives();
    test_composites();
    test_power();
    test_gpu_or_cpu(&cli, argc, argv, g, why);
    gpu_test_close(g, "common.gpu.precision_validation_clean");
    return check_end();
}
