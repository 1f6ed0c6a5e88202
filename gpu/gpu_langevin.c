/* gpu_langevin — see gpu_langevin.h. Introduced for L35 sections 4.4 and 5.3. */
#include "gpu/gpu_langevin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int gpu_gmm_pack(const Gmm *g, float *table) {
    if (g->d != 2 || g->k < 1 || g->k > GPU_GMM_MAX_K) return -1;
    for (int i = 0; i < g->k; i++) {
        float *row = table + i * GPU_GMM_STRIDE;
        row[0] = (float)g->log_weight[i];
        row[1] = (float)g->mean[2 * i];
        row[2] = (float)g->mean[2 * i + 1];
        row[3] = (float)g->var[2 * i];
        row[4] = (float)g->var[2 * i + 1];
    }
    return 0;
}

void gpu_annealed_levels(const double *sigma, int nlevels, double eps, int steps,
                         GpuLangevinLevel *out) {
    const double last = sigma[nlevels - 1];
    for (int i = 0; i < nlevels; i++) {
        out[i].extra_var = (float)(sigma[i] * sigma[i]);
        //: $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$
        out[i].eps = (float)(eps * sigma[i] * sigma[i] / (last * last));
        out[i].steps = steps;
    }
}

void gpu_langevin_gmm_cpu(const float *table, int k, float *x, long n, uint64_t seed,
                          uint32_t step0, int nsteps, float eps, float extra_var) {
    const float half_eps = 0.5f * eps, noise_scale = sqrtf(eps);
    const uint32_t seed_lo = (uint32_t)seed, seed_hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        gs_v2 xi = {x[2 * i], x[2 * i + 1]};
        for (int t = 0; t < nsteps; t++) {
            gs_v2 s = gs_gmm_score(table, k, xi, extra_var);
            gs_v2 z = gs_step_noise(seed_lo, seed_hi, (uint32_t)i, step0 + (uint32_t)t);
            //: eq. [eq:common.gpu.langevin_step], in the kernel's order of operations
            xi.x = (xi.x + half_eps * s.x) + noise_scale * z.x;
            xi.y = (xi.y + half_eps * s.y) + noise_scale * z.y;
        }
        x[2 * i] = xi.x;
        x[2 * i + 1] = xi.y;
    }
}

typedef struct {
    uint32_t n, k, seed_lo, seed_hi, step0, nsteps;
    float half_eps, noise_scale, extra_var;
} LangevinPush; /* = the kernel's push-constant block */

static int run_on_gpu(GpuContext *g, const float *table, int k, float *x, long n, uint64_t seed,
                      const GpuLangevinLevel *levels, int nlevels, double *gpu_seconds) {
    GpuBuffer *bx = gpu_buffer_new(g, sizeof(float) * 2 * (size_t)n);
    GpuBuffer *bg = bx ? gpu_buffer_new(g, sizeof(float) * GPU_GMM_STRIDE * (size_t)k) : NULL;
    int rc = -1;
    if (!bg || gpu_buffer_write(bx, 0, x, sizeof(float) * 2 * (size_t)n) ||
        gpu_buffer_write(bg, 0, table, sizeof(float) * GPU_GMM_STRIDE * (size_t)k))
        goto done;
    /* chain-steps per submission: keep each well inside the fence timeout */
    const double per_submit = gpu_info(g)->is_cpu_device ? 33554432.0 : 1073741824.0;
    int steps_per_dispatch = (int)fmax(1.0, fmin(100.0, per_submit / (double)n));
    double pending = 0.0, total_seconds = 0.0;
    uint32_t step = 0;
    GpuBuffer *bufs[2] = {bx, bg};
    for (int l = 0; l < nlevels; l++) {
        for (int t = 0; t < levels[l].steps; t += steps_per_dispatch) {
            int m = levels[l].steps - t < steps_per_dispatch ? levels[l].steps - t
                                                             : steps_per_dispatch;
            LangevinPush pc = {(uint32_t)n, (uint32_t)k, (uint32_t)seed, (uint32_t)(seed >> 32),
                               step, (uint32_t)m, 0.5f * levels[l].eps, sqrtf(levels[l].eps),
                               levels[l].extra_var};
            if (gpu_dispatch(g, "langevin_gmm", bufs, 2, &pc, sizeof pc, (uint32_t)n)) goto done;
            step += (uint32_t)m;
            pending += (double)m * (double)n;
            if (pending >= per_submit) {
                double s;
                if (gpu_run_batch(g, &s)) goto done;
                total_seconds += s;
                pending = 0.0;
            }
        }
    }
    double s;
    if (gpu_run_batch(g, &s)) goto done;
    total_seconds += s > 0 ? s : 0;
    if (gpu_buffer_read(bx, 0, x, sizeof(float) * 2 * (size_t)n)) goto done;
    if (gpu_seconds) *gpu_seconds = gpu_info(g)->has_timestamps ? total_seconds : -1.0;
    rc = 0;
done:
    gpu_buffer_free(bx);
    gpu_buffer_free(bg);
    return rc;
}

int gpu_langevin_gmm_try(GpuContext *g, const float *table, int k, float *x, long n,
                         uint64_t seed, const GpuLangevinLevel *levels, int nlevels,
                         double *gpu_seconds, char *why, size_t whylen) {
    if (gpu_seconds) *gpu_seconds = -1.0;
    if (k < 1 || k > GPU_GMM_MAX_K) die("gpu_langevin_gmm_run: %d components (1..%d)", k,
                                         GPU_GMM_MAX_K);
    if (!g || n <= 0 || n > 0xffffffffL) {
        snprintf(why, whylen, g ? "%ld chains: not a kernel's range" : "no GPU context", n);
        return -1;
    }
    if (run_on_gpu(g, table, k, x, n, seed, levels, nlevels, gpu_seconds) == 0) return 0;
    snprintf(why, whylen, "%s", gpu_error(g));
    return -1;
}

int gpu_langevin_gmm_run(GpuContext *g, const float *table, int k, float *x, long n,
                         uint64_t seed, const GpuLangevinLevel *levels, int nlevels,
                         double *gpu_seconds) {
    char why[256];
    if (k < 1 || k > GPU_GMM_MAX_K) die("gpu_langevin_gmm_run: %d components (1..%d)", k,
                                         GPU_GMM_MAX_K);
    if (g && n > 0) {
        if (gpu_langevin_gmm_try(g, table, k, x, n, seed, levels, nlevels, gpu_seconds, why,
                                 sizeof why) == 0)
            return 1;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    if (gpu_seconds) *gpu_seconds = -1.0;
    uint32_t step = 0;
    for (int l = 0; l < nlevels; l++) {
        gpu_langevin_gmm_cpu(table, k, x, n, seed, step, levels[l].steps, levels[l].eps,
                             levels[l].extra_var);
        step += (uint32_t)levels[l].steps;
    }
    return 0;
}
