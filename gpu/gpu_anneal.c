/* gpu_anneal — see gpu_anneal.h. Introduced for the study note's B2 and B5
   (lectures/n2_diffusion_annealing). */
#include "gpu/gpu_anneal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "gpu/gpu_precision.h"

/* the longest loop a dispatch may run per work item (CPU drivers stop loops at
   GPU_CPU_DRIVER_LOOP_LIMIT; Philox's 9-round loop and the Horner and mixture loops run once per
   step or move) */
enum { STEPS_PER_DISPATCH = 1000 };

static int table_len(int model, int k) { return model == GPU_ANNEAL_POLY ? k + 1 : GPU_ANNEAL_MIX_STRIDE * k; }

void gpu_anneal_ula_cpu(int model, int k, const float *table, const float *sched, long nsteps,
                        uint32_t step0, uint64_t seed, float *x, long n) {
    const uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi = x[i];
        gs_v2 pair = {0.0f, 0.0f};
        for (long t = 0; t < nsteps; t++) {
            const uint32_t g = step0 + (uint32_t)t;
            if ((g & 1u) == 0u || t == 0) pair = ga_ula_pair(lo, hi, (uint32_t)i, g >> 1);
            const float z = (g & 1u) == 0u ? pair.x : pair.y;
            xi = ga_ula_step(table, model, k, xi, sched[3 * t], sched[3 * t + 1], sched[3 * t + 2], z);
        }
        x[i] = xi;
    }
}

void gpu_anneal_ais_cpu(int deg, const float *e1, const float *lam, int K, int m, float h,
                        uint64_t seed, float *x, float *logw, long n) {
    const uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi = x[i], lw = logw[i];
        for (int k = 1; k <= K; k++) {
            const float dl = ga_log_f(e1, deg, lam[k], xi) - ga_log_f(e1, deg, lam[k - 1], xi);
            lw = lw + dl;
            for (int r = 0; k < K && r < m; r++)
                xi = ga_metropolis(e1, deg, lam[k], h, xi,
                                   ga_move_uniforms(lo, hi, (uint32_t)i, (uint32_t)((k - 1) * m + r)));
        }
        x[i] = xi;
        logw[i] = lw;
    }
}

typedef struct {
    uint32_t n, model, k, seed_lo, seed_hi, step0, t0, nt;
} UlaPush; /* = anneal_ula's push constants */

typedef struct {
    uint32_t n, deg, m, K, k0, k1, seed_lo, seed_hi;
    float h;
} AisPush; /* = anneal_ais's push constants */

/* chain-steps per submission: well inside the fence timeout */
static double per_submit(GpuContext *g) { return gpu_info(g)->is_cpu_device ? 33554432.0 : 1073741824.0; }

int gpu_anneal_ula_try(GpuContext *g, int model, int k, const float *table, const float *sched,
                       long nsteps, uint32_t step0, uint64_t seed, float *x, long n, char *why,
                       size_t whylen) {
    if (k < 1 || k > GPU_ANNEAL_MAX_K) die("gpu_anneal_ula: k = %d (1..%d)", k, GPU_ANNEAL_MAX_K);
    if (!g || n <= 0 || n > 0xffffffffL || nsteps <= 0) {
        snprintf(why, whylen, g ? "%ld chains, %ld steps: not a kernel's range" : "no GPU context", n, nsteps);
        return -1;
    }
    const size_t tl = (size_t)table_len(model, k);
    GpuBuffer *bx = gpu_buffer_new(g, sizeof(float) * (size_t)n);
    GpuBuffer *bt = bx ? gpu_buffer_new(g, sizeof(float) * tl) : NULL;
    GpuBuffer *bs = bt ? gpu_buffer_new(g, sizeof(float) * 3 * (size_t)nsteps) : NULL;
    int rc = -1;
    if (!bs || gpu_buffer_write(bx, 0, x, sizeof(float) * (size_t)n) || gpu_buffer_write(bt, 0, table, sizeof(float) * tl) ||
        gpu_buffer_write(bs, 0, sched, sizeof(float) * 3 * (size_t)nsteps))
        goto done;
    GpuBuffer *bufs[3] = {bx, bt, bs};
    double pending = 0;
    for (long t = 0; t < nsteps; t += STEPS_PER_DISPATCH) {
        const long nt = nsteps - t < STEPS_PER_DISPATCH ? nsteps - t : STEPS_PER_DISPATCH;
        UlaPush pc = {(uint32_t)n, (uint32_t)model, (uint32_t)k, (uint32_t)seed, (uint32_t)(seed >> 32), step0,
                      (uint32_t)t, (uint32_t)nt};
        if (gpu_dispatch(g, "anneal_ula", bufs, 3, &pc, sizeof pc, (uint32_t)n)) goto done;
        pending += (double)nt * (double)n;
        if (pending >= per_submit(g)) {
            if (gpu_run_batch(g, NULL)) goto done;
            pending = 0;
        }
    }
    if (gpu_run_batch(g, NULL) || gpu_buffer_read(bx, 0, x, sizeof(float) * (size_t)n)) goto done;
    rc = 0;
done:
    if (rc) snprintf(why, whylen, "%s", gpu_error(g));
    gpu_buffer_free(bx);
    gpu_buffer_free(bt);
    gpu_buffer_free(bs);
    return rc;
}

int gpu_anneal_ais_try(GpuContext *g, int deg, const float *e1, const float *lam, int K, int m,
                       float h, uint64_t seed, float *x, float *logw, long n, char *why,
                       size_t whylen) {
    if (deg < 0 || deg > GPU_ANNEAL_MAX_K) die("gpu_anneal_ais: degree %d (0..%d)", deg, GPU_ANNEAL_MAX_K);
    if (!g || n <= 0 || n > 0xffffffffL || K < 1 || m < 0) {
        snprintf(why, whylen, g ? "%ld chains, K = %d: not a kernel's range" : "no GPU context", n, K);
        return -1;
    }
    GpuBuffer *bx = gpu_buffer_new(g, sizeof(float) * (size_t)n);
    GpuBuffer *bw = bx ? gpu_buffer_new(g, sizeof(float) * (size_t)n) : NULL;
    GpuBuffer *be = bw ? gpu_buffer_new(g, sizeof(float) * (size_t)(deg + 1)) : NULL;
    GpuBuffer *bl = be ? gpu_buffer_new(g, sizeof(float) * (size_t)(K + 1)) : NULL;
    int rc = -1;
    if (!bl || gpu_buffer_write(bx, 0, x, sizeof(float) * (size_t)n) || gpu_buffer_write(bw, 0, logw, sizeof(float) * (size_t)n) ||
        gpu_buffer_write(be, 0, e1, sizeof(float) * (size_t)(deg + 1)) ||
        gpu_buffer_write(bl, 0, lam, sizeof(float) * (size_t)(K + 1)))
        goto done;
    GpuBuffer *bufs[4] = {bx, bw, be, bl};
    const int per = m > 0 ? (STEPS_PER_DISPATCH / m > 0 ? STEPS_PER_DISPATCH / m : 1) : STEPS_PER_DISPATCH;
    double pending = 0;
    for (int k0 = 1; k0 <= K; k0 += per) {
        const int k1 = k0 + per <= K + 1 ? k0 + per : K + 1;
        AisPush pc = {(uint32_t)n, (uint32_t)deg, (uint32_t)m, (uint32_t)K, (uint32_t)k0, (uint32_t)k1,
                      (uint32_t)seed, (uint32_t)(seed >> 32), h};
        if (gpu_dispatch(g, "anneal_ais", bufs, 4, &pc, sizeof pc, (uint32_t)n)) goto done;
        pending += (double)(k1 - k0) * (m + 1) * (double)n;
        if (pending >= per_submit(g)) {
            if (gpu_run_batch(g, NULL)) goto done;
            pending = 0;
        }
    }
    if (gpu_run_batch(g, NULL) || gpu_buffer_read(bx, 0, x, sizeof(float) * (size_t)n) ||
        gpu_buffer_read(bw, 0, logw, sizeof(float) * (size_t)n))
        goto done;
    rc = 0;
done:
    if (rc) snprintf(why, whylen, "%s", gpu_error(g));
    gpu_buffer_free(bx);
    gpu_buffer_free(bw);
    gpu_buffer_free(be);
    gpu_buffer_free(bl);
    return rc;
}

static float *to_float(const double *a, long n) {
    float *f = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++) f[i] = (float)a[i];
    return f;
}

GocWhere goc_anneal_ula(GpuContext *g, const Anneal1dUla *job, double *x, long n) {
    if (g) {
        float *t = to_float(job->table, table_len(job->model, job->k)), *s = to_float(job->sched, 3 * job->nsteps),
              *xf = to_float(x, n);
        char why[256];
        const int rc = gpu_anneal_ula_try(g, job->model, job->k, t, s, job->nsteps, job->step0, job->seed, xf, n, why,
                                          sizeof why);
        if (rc == 0)
            for (long i = 0; i < n; i++) x[i] = xf[i];
        free(t), free(s), free(xf);
        if (rc == 0) return GOC_GPU;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    anneal1d_ula(job, x, n);
    return g ? GOC_CPU_AFTER_GPU_ERROR : GOC_CPU;
}

GocWhere goc_anneal_ais(GpuContext *g, const Anneal1dAis *job, double *x, double *logw, long n) {
    if (g) {
        float *e = to_float(job->e1, job->deg + 1), *l = to_float(job->lam, job->K + 1), *xf = to_float(x, n),
              *wf = xcalloc((size_t)(n > 0 ? n : 1), sizeof(float));
        char why[256];
        const int rc = gpu_anneal_ais_try(g, job->deg, e, l, job->K, job->m, (float)job->h, job->seed, xf, wf, n, why,
                                          sizeof why);
        if (rc == 0)
            for (long i = 0; i < n; i++) x[i] = xf[i], logw[i] = wf[i];
        free(e), free(l), free(xf), free(wf);
        if (rc == 0) return GOC_GPU;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    anneal1d_ais(job, x, logw, n);
    return g ? GOC_CPU_AFTER_GPU_ERROR : GOC_CPU;
}

/* F(x) in GpErr arithmetic, in ga_force's order of operations; dF the exact derivative */
static GpErr gp_force(int model, int k, const float *table, float xf, float sf, double *dF) {
    const GpErr x = gp_exact(xf), s = gp_exact(sf);
    if (model == GPU_ANNEAL_POLY) {
        GpErr f = gp_exact(table[k]);
        double d = 0;
        for (int j = k - 1; j >= 0; j--) {
            d = d * xf + f.v;
            f = gp_add(gp_mul(f, x), gp_exact(table[j]));
        }
        *dF = d;
        return f;
    }
    GpErr ell[GPU_ANNEAL_MAX_K];
    int imax = 0;
    for (int i = 0; i < k; i++) {
        const float *c = table + GPU_ANNEAL_MIX_STRIDE * i;
        const GpErr v = gp_add(gp_exact(c[2]), s), d = gp_sub(x, gp_exact(c[1]));
        ell[i] = gp_sub(gp_exact(c[0]), gp_mul(gp_exact(0.5), gp_add(gp_div(gp_mul(d, d), v), gp_log(v))));
        if (ell[i].v > ell[imax].v) imax = i;
    }
    GpErr total = gp_exact(0), num = gp_exact(0);
    double r[GPU_ANNEAL_MAX_K], gi[GPU_ANNEAL_MAX_K], rs = 0;
    for (int i = 0; i < k; i++) {
        const float *c = table + GPU_ANNEAL_MIX_STRIDE * i;
        const GpErr w = gp_exp(gp_sub(ell[i], ell[imax])), v = gp_add(gp_exact(c[2]), s);
        total = gp_add(total, w);
        num = gp_add(num, gp_div(gp_mul(w, gp_sub(gp_exact(c[1]), x)), v));
        r[i] = w.v, gi[i] = ((double)c[1] - xf) / v.v, rs += w.v;
    }
    /* exact dF/dx = sum_i r_i (g_i^2 - 1/v_i) - F^2, g_i = (mu_i - x)/v_i, since d ell_i/dx = g_i */
    double S = 0, S2 = 0;
    for (int i = 0; i < k; i++) {
        const double vi = (double)table[GPU_ANNEAL_MIX_STRIDE * i + 2] + sf;
        S += r[i] / rs * gi[i], S2 += r[i] / rs * (gi[i] * gi[i] - 1.0 / vi);
    }
    *dF = S2 - S * S;
    return gp_div(num, total);
}

void gp_anneal_ula_bound(int model, int k, const float *table, const float *sched, long nsteps,
                         uint32_t step0, uint64_t seed, float *x, long n, double *bound) {
    const uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi = x[i];
        double d = 0;
        for (long t = 0; t < nsteps; t++) {
            const uint32_t g = step0 + (uint32_t)t;
            const float a = sched[3 * t], b = sched[3 * t + 1], s = sched[3 * t + 2];
            GpErr z[2];
            gp_step_noise(seed, (uint32_t)i, g >> 1, z);
            double dF;
            const GpErr f = gp_force(model, k, table, xi, s, &dF);
            //: one step from a shared state, in ga_ula_step's order: $(x + aF) + bz$
            const GpErr nx = gp_add(gp_add(gp_exact(xi), gp_mul(gp_exact(a), f)), gp_mul(gp_exact(b), z[g & 1u]));
            //: eq. [eq:common.gpu.err_chain]: $d_{t+1} = \lvert 1 + aF'(x_t)\rvert d_t + 2e$
            d = fabs(1.0 + (double)a * dF) * d + 2.0 * nx.e;
            const gs_v2 pair = ga_ula_pair(lo, hi, (uint32_t)i, g >> 1);
            xi = ga_ula_step(table, model, k, xi, a, b, s, (g & 1u) == 0u ? pair.x : pair.y);
        }
        x[i] = xi;
        bound[i] = d;
    }
}

void gp_anneal_ais_decided(int deg, const float *e1, const float *lam, int K, int m, float h,
                           uint64_t seed, float *x, float *logw, long n, unsigned char *decided) {
    const uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi = x[i], lw = logw[i];
        int ok = 1;
        for (int k = 1; k <= K; k++) {
            const float dl = ga_log_f(e1, deg, lam[k], xi) - ga_log_f(e1, deg, lam[k - 1], xi);
            lw = lw + dl;
            for (int r = 0; k < K && r < m; r++) {
                const gs_v2 u = ga_move_uniforms(lo, hi, (uint32_t)i, (uint32_t)((k - 1) * m + r));
                const float y = xi + h * (2.0f * u.x - 1.0f);
                const float delta = ga_log_f(e1, deg, lam[k], y) - ga_log_f(e1, deg, lam[k], xi);
                /* a conformant ln u' lies within e of the exact value: the decision is the same
                   on every conformant device unless the threshold is that close */
                const GpErr lu = gp_log(gp_exact(u.y));
                if (fabs(lu.v - (double)delta) <= 2.0 * lu.e) ok = 0;
                xi = ga_metropolis(e1, deg, lam[k], h, xi, u);
            }
        }
        x[i] = xi;
        logw[i] = lw;
        decided[i] = (unsigned char)ok;
    }
}
