/* Unit tests of the Vulkan runtime (gpu/gpu.h): Philox words computed by a kernel equal the C
   generator bit for bit over millions of words, buffers, errors that must not crash (a buffer
   over the device limit, an unknown kernel, an access out of range, a fence timeout) and the
   CPU fallback after a lost context, timestamps, and a clean validation layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/unit/gpu_test_util.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_langevin.h"
#include "gpu/gpu_shared.h"

typedef struct {
    uint32_t n, seed_lo, seed_hi, stream0, block0, blocks_per_stream;
} WordsPush; /* = philox_words.comp's push constants */

static void test_philox(GpuContext *g, const Cli *cli, const char *why) {
    /* default: past 65535 workgroups of 64, so the grid-stride loop wraps */
    const uint32_t nblocks = (uint32_t)cli_scale(cli, 1u << 18, 4195240, 4195240);
    const uint32_t per_stream = 1000;
    const uint64_t seed = 0x0123456789abcdefULL;
    if (!g) {
        check_skip("common.gpu.philox_bit_exact", "no Vulkan device: %s", why);
        check_skip("common.gpu.normal_pairs", "no Vulkan device: %s", why);
        return;
    }
    GpuBuffer *words = gpu_buffer_new(g, 16 * (size_t)nblocks);
    GpuBuffer *normals = gpu_buffer_new(g, 8 * (size_t)nblocks);
    uint32_t *w = xmalloc(16 * (size_t)nblocks);
    float *z = xmalloc(8 * (size_t)nblocks);
    WordsPush pc = {nblocks, (uint32_t)seed, (uint32_t)(seed >> 32), 3, 7, per_stream};
    GpuBuffer *bufs[2] = {words, normals};
    double seconds = -1;
    int ok = words && normals && !gpu_dispatch(g, "philox_words", bufs, 2, &pc, sizeof pc, nblocks) &&
             !gpu_run_batch(g, &seconds) && !gpu_buffer_read(words, 0, w, 16 * (size_t)nblocks) &&
             !gpu_buffer_read(normals, 0, z, 8 * (size_t)nblocks);
    if (!ok) fprintf(stderr, "philox kernel: %s\n", gpu_error(g));
    long mismatched = ok ? 0 : (long)nblocks;
    double worst = ok ? 0.0 : INFINITY;
    for (uint32_t i = 0; ok && i < nblocks; i++) {
        philox_u4 c = philox_block(pc.seed_lo, pc.seed_hi, pc.stream0 + i / per_stream, 0,
                                   pc.block0 + i % per_stream, 0);
        mismatched += c.x != w[4 * i] || c.y != w[4 * i + 1] || c.z != w[4 * i + 2] ||
                      c.w != w[4 * i + 3];
        gs_v2 e = gs_normal_pair(philox_uniform_f(c.x), philox_uniform_f(c.y));
        double r = fmax(1.0, sqrt((double)e.x * e.x + (double)e.y * e.y));
        worst = fmax(worst, fmax(fabs(e.x - z[2 * i]), fabs(e.y - z[2 * i + 1])) / r);
    }
    check_close("common.gpu.philox_bit_exact", (double)mismatched, 0, 0, "common.rng.philox_round",
                "Philox4x32-10 blocks from the GPU kernel equal the C generator bit for bit "
                "(%u blocks = %u words, %u streams; %.3g s of GPU time)",
                nblocks, 4 * nblocks, (nblocks + per_stream - 1) / per_stream, seconds);
    /* The pair uses log, sqrt, cos, sin: GLSL for Vulkan allows 2^-11 absolute error for cos/sin
       on [-pi, pi] and a few ulp for log/sqrt, so |dz| <= r (2^-11 + 1e-6) with r the radius. */
    check_le("common.gpu.normal_pairs", worst, 4.9e-4 + 1e-6, 0, "common.gpu.box_muller",
             "Box-Muller pairs of the kernel vs the C twin: max |dz| / max(1, r) over %u pairs "
             "(bound 2^-11 from the GLSL precision of sin/cos)", nblocks);
    free(w);
    free(z);
    gpu_buffer_free(words);
    gpu_buffer_free(normals);
}

/* One sub-check of a compound check: remembers the first that failed, for the description. */
static int expect(int ok, const char *what, const char **first_failure) {
    if (!ok && !*first_failure) *first_failure = what;
    return ok;
}

static void test_runtime(GpuContext *g, const char *why) {
    if (!g) {
        check_skip("common.gpu.buffer_round_trip", "no Vulkan device: %s", why);
        check_skip("common.gpu.errors_do_not_crash", "no Vulkan device: %s", why);
        check_skip("common.gpu.timestamps", "no Vulkan device: %s", why);
        return;
    }
    const GpuInfo *info = gpu_info(g);
    enum { N = 1000 };
    float src[N], back[N];
    for (int i = 0; i < N; i++) src[i] = (float)i * 0.25f - 7.0f;
    GpuBuffer *b = gpu_buffer_new(g, sizeof src);
    int ok = b && !gpu_buffer_write(b, 0, src, sizeof src) &&
             !gpu_buffer_read(b, 0, back, sizeof back) && !memcmp(src, back, sizeof src);
    /* partial write at an offset */
    float three[3] = {1, 2, 3}, got[3];
    ok = ok && !gpu_buffer_write(b, 40, three, sizeof three) &&
         !gpu_buffer_read(b, 40, got, sizeof got) && !memcmp(three, got, sizeof got);
    memcpy(src + 10, three, sizeof three); /* what the buffer now holds */
    check_true("common.gpu.buffer_round_trip", ok,
               "bytes written to a device buffer read back unchanged (whole and at an offset)");

    int errors_ok = 1;
    const char *failed = NULL;
    /* out-of-range access: an error, the buffer unchanged */
    errors_ok &= expect(gpu_buffer_read(b, sizeof src - 4, back, 8) != 0, "out-of-range read refused", &failed);
    errors_ok &= expect(strstr(gpu_error(g), "outside") != NULL, "out-of-range message", &failed);
    /* a buffer over the device limit: NULL and a message, and the context still works */
    size_t too_big = (size_t)info->max_buffer_bytes + 1;
    GpuBuffer *huge = gpu_buffer_new(g, too_big);
    errors_ok &= expect(huge == NULL && strstr(gpu_error(g), "exceeds the device limit") != NULL, "over-limit buffer refused with message", &failed);
    gpu_buffer_free(huge);
    /* an unknown kernel */
    errors_ok &= expect(gpu_dispatch(g, "no_such_kernel", &b, 1, NULL, 0, 1) != 0, "unknown kernel refused", &failed);
    errors_ok &= expect(strstr(gpu_error(g), "no kernel named") != NULL, "unknown kernel message", &failed);
    /* too many push-constant bytes */
    uint8_t push[GPU_MAX_PUSH_BYTES + 4] = {0};
    errors_ok &= expect(gpu_dispatch(g, "philox_words", &b, 1, push, sizeof push, 1) != 0, "oversized push constants refused", &failed);
    /* nothing recorded: a no-op */
    errors_ok &= expect(gpu_run_batch(g, NULL) == 0, "empty batch is a no-op", &failed);
    errors_ok &= expect(gpu_buffer_read(b, 0, back, sizeof back) == 0 && !memcmp(src, back, sizeof src), "buffer intact afterwards", &failed);
    check_true("common.gpu.errors_do_not_crash", errors_ok,
               "out-of-range access, a buffer over the device limit (%llu bytes), an unknown "
               "kernel and oversized push constants return errors with messages; the context "
               "keeps working; first failure: %s", (unsigned long long)too_big,
               failed ? failed : "none");
    gpu_buffer_free(b);

    /* timestamps: a batch of work takes a positive, finite device time */
    if (info->has_timestamps) {
        GpuBuffer *w = gpu_buffer_new(g, 16 * 4096), *z = gpu_buffer_new(g, 8 * 4096);
        WordsPush pc = {4096, 1, 2, 0, 0, 4096};
        GpuBuffer *bufs[2] = {w, z};
        double s = -1;
        int tok = w && z;
        for (int rep = 0; tok && rep < 10; rep++)
            tok = !gpu_dispatch(g, "philox_words", bufs, 2, &pc, sizeof pc, 4096);
        tok = tok && !gpu_run_batch(g, &s);
        check_true("common.gpu.timestamps", tok && s > 0 && s < 60,
                   "timestamp queries around a batch of 10 dispatches give %.3g s", s);
        gpu_buffer_free(w);
        gpu_buffer_free(z);
    } else {
        check_skip("common.gpu.timestamps", "the device's compute queue has no timestamps");
    }
}

/* A fence timeout of 1 ns on a long batch: the context is lost, the runner reports it and
   falls back to the CPU twin, whose result is exactly what the CPU alone computes. */
static void test_timeout_fallback(const Cli *cli, int argc, char **argv, const char *why0) {
    const char *id = "common.gpu.timeout_falls_back_to_cpu";
    char why[512];
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu")) mode = cli->gpu;
    GpuOptions opt = {.validation = 0, .timeout_s = 1e-9, .quiet = 1};
    GpuContext *g = gpu_open(mode, &opt, why, sizeof why);
    if (!g) {
        check_skip(id, "no Vulkan device: %s", why0);
        return;
    }
    Gmm mix = gmm_new(2, 2);
    const double a[2] = {-2, 0}, b[2] = {2, 0};
    gmm_set(&mix, 0, 0.5, a, NULL, 1.0);
    gmm_set(&mix, 1, 0.5, b, NULL, 1.0);
    gmm_normalise(&mix);
    float table[2 * GPU_GMM_STRIDE];
    gpu_gmm_pack(&mix, table);
    enum { N = 20000 };
    float *x = xcalloc(2 * N, sizeof(float)), *y = xcalloc(2 * N, sizeof(float));
    GpuLangevinLevel level = {0.0f, 0.01f, 200};
    int ran_gpu = gpu_langevin_gmm_run(g, table, 2, x, N, 5, &level, 1, NULL);
    gpu_langevin_gmm_cpu(table, 2, y, N, 5, 0, 200, 0.01f, 0.0f);
    int lost = strstr(gpu_error(g), "fence timeout") != NULL;
    GpuBuffer *after = gpu_buffer_new(g, 16);
    check_true(id, !ran_gpu && lost && after == NULL && !memcmp(x, y, sizeof(float) * 2 * N),
               "a 1 ns fence timeout marks the context lost (\"%s\"), later calls fail at once, "
               "and the Langevin runner returns the CPU twin's exact result", gpu_error(g));
    gpu_buffer_free(after);
    free(x);
    free(y);
    gmm_free(&mix);
    gpu_close(g);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the Vulkan runtime", 11, NULL);
    char why[512];
    GpuContext *g = gpu_test_open(&cli, argc, argv, why, sizeof why);
    check_true("common.gpu.off_never_opens",
               gpu_open(GPU_OFF, &(GpuOptions){.quiet = 1}, NULL, 0) == NULL,
               "--gpu off returns no context (the CPU path runs)");
    test_philox(g, &cli, why);
    test_runtime(g, why);
    test_timeout_fallback(&cli, argc, argv, why);
    gpu_test_close(g, "common.gpu.runtime_validation_clean");
    return check_end();
}
