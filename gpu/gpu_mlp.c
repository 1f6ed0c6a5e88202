/* gpu_mlp — see gpu_mlp.h. The packed MLP, the forward and step twins, the sampler schedules. */
#include "gpu/gpu_mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int gpu_mlp_from_nn(GpuMlp *m, const NnMlp *nn, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (nn->nlayers < 1 || nn->nlayers > GPU_MLP_MAX_LAYERS) {
        snprintf(err, errlen, "gpu_mlp: %d layers (1..%d)", nn->nlayers, GPU_MLP_MAX_LAYERS);
        return -1;
    }
    if (nn->act == NN_ACT_TANH) m->act = GPU_ACT_TANH;
    else if (nn->act == NN_ACT_SILU) m->act = GPU_ACT_SILU;
    else if (nn->act == NN_ACT_IDENTITY) m->act = GPU_ACT_IDENTITY;
    else {
        snprintf(err, errlen, "gpu_mlp: activation %s has no kernel", nn_activation_name(nn->act));
        return -1;
    }
    m->nlayers = nn->nlayers;
    m->widths[0] = nn->layers[0].in;
    for (int l = 0; l < nn->nlayers; l++) {
        const NnLinear *L = &nn->layers[l];
        if (L->weight->dtype != AD_F32 || !L->bias || L->in != m->widths[l]) {
            snprintf(err, errlen, "gpu_mlp: layer %d must be float32 with a bias", l);
            return -1;
        }
        m->widths[l + 1] = L->out;
        m->nparams += (long)L->in * L->out + L->out;
    }
    for (int l = 0; l <= nn->nlayers; l++)
        if (m->widths[l] < 1 || m->widths[l] > GPU_MLP_MAX_WIDTH) {
            snprintf(err, errlen, "gpu_mlp: width %d (1..%d)", m->widths[l], GPU_MLP_MAX_WIDTH);
            return -1;
        }
    m->params = xmalloc(sizeof(float) * (size_t)m->nparams);
    long off = 0;
    for (int l = 0; l < nn->nlayers; l++) {
        const NnLinear *L = &nn->layers[l];
        memcpy(m->params + off, L->weight->data, sizeof(float) * (size_t)L->in * L->out);
        off += (long)L->in * L->out;
        memcpy(m->params + off, L->bias->data, sizeof(float) * (size_t)L->out);
        off += L->out;
    }
    return 0;
}

void gpu_mlp_to_nn(const GpuMlp *m, NnMlp *nn) {
    long off = 0;
    for (int l = 0; l < nn->nlayers; l++) {
        NnLinear *L = &nn->layers[l];
        memcpy(L->weight->data, m->params + off, sizeof(float) * (size_t)L->in * L->out);
        off += (long)L->in * L->out;
        memcpy(L->bias->data, m->params + off, sizeof(float) * (size_t)L->out);
        off += L->out;
    }
}

void gpu_mlp_free(GpuMlp *m) {
    free(m->params);
    m->params = NULL;
}

/* One item's forward pass, a[] in and out (the order of mlp.glsl). */
static void forward_one(const GpuMlp *m, float *a, float *b) {
    long off = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const int nin = m->widths[l], nout = m->widths[l + 1];
        const float *W = m->params + off, *bias = W + (long)nin * nout;
        for (int j = 0; j < nout; j++) {
            //: $h'_j = b_j + \sum_i h_i W_{ij}$
            float acc = bias[j];
            for (int i = 0; i < nin; i++) acc = acc + a[i] * W[(long)i * nout + j];
            b[j] = acc;
        }
        off += (long)nin * nout + nout;
        const int last = l + 1 == m->nlayers;
        for (int j = 0; j < nout; j++) a[j] = last ? b[j] : gs_activation(m->act, b[j]);
    }
}

void gpu_mlp_forward_cpu(const GpuMlp *m, const float *in, float *out, long n) {
    const int nin = m->widths[0], nout = m->widths[m->nlayers];
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float a[GPU_MLP_MAX_WIDTH], b[GPU_MLP_MAX_WIDTH];
        memcpy(a, in + i * nin, sizeof(float) * (size_t)nin);
        forward_one(m, a, b);
        memcpy(out + i * nout, a, sizeof(float) * (size_t)nout);
    }
}

typedef struct {
    uint32_t n, nlayers;
    int32_t act;
    uint32_t widths[GPU_MLP_MAX_LAYERS + 1];
} ForwardPush; /* = mlp_forward.comp's push constants */

typedef struct {
    uint32_t n, nlayers;
    int32_t act;
    uint32_t widths[GPU_MLP_MAX_LAYERS + 1];
    uint32_t seed_lo, seed_hi, step0, nsteps;
    float cond, cx, cf, noise;
} StepPush; /* = mlp_step.comp's push constants */

static GpuBuffer *upload(GpuContext *g, const void *src, size_t bytes) {
    GpuBuffer *b = gpu_buffer_new(g, bytes);
    if (b && src && gpu_buffer_write(b, 0, src, bytes)) {
        gpu_buffer_free(b);
        return NULL;
    }
    return b;
}

int gpu_mlp_forward_run(GpuContext *g, const GpuMlp *m, const float *in, float *out, long n) {
    const int nin = m->widths[0], nout = m->widths[m->nlayers];
    if (g && n > 0 && n <= 0xffffffffL) {
        GpuBuffer *bi = upload(g, in, sizeof(float) * (size_t)n * nin);
        GpuBuffer *bp = bi ? upload(g, m->params, sizeof(float) * (size_t)m->nparams) : NULL;
        GpuBuffer *bo = bp ? gpu_buffer_new(g, sizeof(float) * (size_t)n * nout) : NULL;
        ForwardPush pc = {(uint32_t)n, (uint32_t)m->nlayers, m->act, {0}};
        for (int l = 0; l <= m->nlayers; l++) pc.widths[l] = (uint32_t)m->widths[l];
        GpuBuffer *bufs[3] = {bi, bp, bo};
        int ok = bo && !gpu_dispatch(g, "mlp_forward", bufs, 3, &pc, sizeof pc, (uint32_t)n) &&
                 !gpu_run_batch(g, NULL) &&
                 !gpu_buffer_read(bo, 0, out, sizeof(float) * (size_t)n * nout);
        gpu_buffer_free(bi);
        gpu_buffer_free(bp);
        gpu_buffer_free(bo);
        if (ok) return 1;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", gpu_error(g));
    }
    gpu_mlp_forward_cpu(m, in, out, n);
    return 0;
}

void gpu_phases_langevin(const double *sigma, const double *cond, int nlevels, double eps,
                         int steps, GpuMlpPhase *out) {
    const double last = sigma[nlevels - 1];
    for (int i = 0; i < nlevels; i++) {
        //: $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$; $c_x = 1$, $c_f = \alpha_i/2$, $\nu = \sqrt{\alpha_i}$
        double alpha = eps * sigma[i] * sigma[i] / (last * last);
        out[i] = (GpuMlpPhase){(float)(cond ? cond[i] : 0.0), 1.0f, (float)(0.5 * alpha),
                               (float)sqrt(alpha), steps};
    }
}

/* abar[t] = prod_{s<=t} (1 - beta_s), abar[0] = 1 */
static double *alpha_bar_of(const double *beta, int T) {
    double *abar = xmalloc(sizeof(double) * (size_t)(T + 1));
    abar[0] = 1.0;
    for (int t = 1; t <= T; t++) abar[t] = abar[t - 1] * (1.0 - beta[t]);
    return abar;
}

void gpu_phases_ddpm(const double *beta, int T, GpuMlpPhase *out) {
    double *abar = alpha_bar_of(beta, T);
    for (int t = T; t >= 1; t--) {
        const double alpha = 1.0 - beta[t];
        //: eq. [eq:common.gpu.ddpm_step]: $c_x = 1/\sqrt{\alpha_t}$, $c_f = -\beta_t/(\sqrt{\alpha_t}\sqrt{1-\bar\alpha_t})$, $\nu = \sqrt{\beta_t}$ for $t > 1$
        out[T - t] = (GpuMlpPhase){(float)((double)t / T), (float)(1.0 / sqrt(alpha)),
                                   (float)(-beta[t] / (sqrt(alpha) * sqrt(1.0 - abar[t]))),
                                   t > 1 ? (float)sqrt(beta[t]) : 0.0f, 1};
    }
    free(abar);
}

void gpu_phases_ddim(const double *beta, int T, int S, GpuMlpPhase *out) {
    double *abar = alpha_bar_of(beta, T);
    for (int k = S; k >= 1; k--) {
        const int t = (int)lround((double)k * T / S), s = (int)lround((double)(k - 1) * T / S);
        const double r = sqrt(abar[s] / abar[t]);
        //: eq. [eq:common.gpu.ddim_step]: $c_x = \sqrt{\bar\alpha_s/\bar\alpha_t}$, $c_f = \sqrt{1-\bar\alpha_s} - \sqrt{\bar\alpha_s/\bar\alpha_t}\sqrt{1-\bar\alpha_t}$
        out[S - k] = (GpuMlpPhase){(float)((double)t / T), (float)r,
                                   (float)(sqrt(1.0 - abar[s]) - r * sqrt(1.0 - abar[t])), 0.0f,
                                   1};
    }
    free(abar);
}

void gpu_mlp_steps_cpu(const GpuMlp *m, float *x, long n, uint64_t seed, uint32_t step0,
                       const GpuMlpPhase *ph) {
    const uint32_t seed_lo = (uint32_t)seed, seed_hi = (uint32_t)(seed >> 32);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float a[GPU_MLP_MAX_WIDTH], b[GPU_MLP_MAX_WIDTH];
        float x0 = x[2 * i], x1 = x[2 * i + 1];
        for (int t = 0; t < ph->steps; t++) {
            a[0] = x0;
            a[1] = x1;
            if (m->widths[0] == 3) a[2] = ph->cond;
            forward_one(m, a, b);
            //: eq. [eq:common.gpu.mlp_step]: $x \leftarrow c_x x + c_f f + \nu z$
            float n0 = ph->cx * x0 + ph->cf * a[0], n1 = ph->cx * x1 + ph->cf * a[1];
            if (ph->noise != 0.0f) {
                gs_v2 z = gs_step_noise(seed_lo, seed_hi, (uint32_t)i, step0 + (uint32_t)t);
                n0 = n0 + ph->noise * z.x;
                n1 = n1 + ph->noise * z.y;
            }
            x0 = n0;
            x1 = n1;
        }
        x[2 * i] = x0;
        x[2 * i + 1] = x1;
    }
}

static int steps_on_gpu(GpuContext *g, const GpuMlp *m, float *x, long n, uint64_t seed,
                        const GpuMlpPhase *phases, int nphases, double *gpu_seconds) {
    GpuBuffer *bx = upload(g, x, sizeof(float) * 2 * (size_t)n);
    GpuBuffer *bp = bx ? upload(g, m->params, sizeof(float) * (size_t)m->nparams) : NULL;
    int rc = -1;
    if (!bp) goto done;
    /* network evaluations per submission, to stay well inside the fence timeout */
    const double per_submit = (gpu_info(g)->is_cpu_device ? 2e8 : 2e10) / (double)m->nparams;
    GpuBuffer *bufs[2] = {bx, bp};
    StepPush pc = {(uint32_t)n, (uint32_t)m->nlayers, m->act, {0}, (uint32_t)seed,
                   (uint32_t)(seed >> 32), 0, 0, 0, 0, 0, 0};
    for (int l = 0; l <= m->nlayers; l++) pc.widths[l] = (uint32_t)m->widths[l];
    int max_steps = (int)fmax(1.0, fmin(100.0, per_submit / (double)n));
    if (gpu_info(g)->is_cpu_device) {
        /* the inner-product loop runs sum_l in_l out_l times a step: stay below the CPU
           driver's loop limit (gpu.h), with room for the other loops */
        long inner = 0;
        for (int l = 0; l < m->nlayers; l++) inner += (long)m->widths[l] * m->widths[l + 1];
        int cap = (int)((GPU_CPU_DRIVER_LOOP_LIMIT / 2) / inner);
        if (cap < 1) cap = 1;
        if (max_steps > cap) max_steps = cap;
    }
    double pending = 0.0, total = 0.0, s = 0.0;
    uint32_t step = 0;
    for (int p = 0; p < nphases; p++)
        for (int t = 0; t < phases[p].steps; t += max_steps) {
            int k = phases[p].steps - t < max_steps ? phases[p].steps - t : max_steps;
            pc.step0 = step;
            pc.nsteps = (uint32_t)k;
            pc.cond = phases[p].cond;
            pc.cx = phases[p].cx;
            pc.cf = phases[p].cf;
            pc.noise = phases[p].noise;
            if (gpu_dispatch(g, "mlp_step", bufs, 2, &pc, sizeof pc, (uint32_t)n)) goto done;
            step += (uint32_t)k;
            pending += (double)k * n;
            if (pending >= per_submit) {
                if (gpu_run_batch(g, &s)) goto done;
                total += s > 0 ? s : 0;
                pending = 0;
            }
        }
    if (gpu_run_batch(g, &s)) goto done;
    total += s > 0 ? s : 0;
    if (gpu_buffer_read(bx, 0, x, sizeof(float) * 2 * (size_t)n)) goto done;
    if (gpu_seconds) *gpu_seconds = gpu_info(g)->has_timestamps ? total : -1.0;
    rc = 0;
done:
    gpu_buffer_free(bx);
    gpu_buffer_free(bp);
    return rc;
}

int gpu_mlp_steps_try(GpuContext *g, const GpuMlp *m, float *x, long n, uint64_t seed,
                      const GpuMlpPhase *phases, int nphases, double *gpu_seconds, char *why,
                      size_t whylen) {
    if (gpu_seconds) *gpu_seconds = -1.0;
    if (m->widths[0] != 2 && m->widths[0] != 3) die("gpu_mlp_steps_run: input width must be 2 or 3");
    if (m->widths[m->nlayers] != 2) die("gpu_mlp_steps_run: output width must be 2");
    if (!g || n <= 0 || n > 0xffffffffL) {
        snprintf(why, whylen, g ? "%ld chains: not a kernel's range" : "no GPU context", n);
        return -1;
    }
    if (steps_on_gpu(g, m, x, n, seed, phases, nphases, gpu_seconds) == 0) return 0;
    snprintf(why, whylen, "%s", gpu_error(g));
    return -1;
}

int gpu_mlp_steps_run(GpuContext *g, const GpuMlp *m, float *x, long n, uint64_t seed,
                      const GpuMlpPhase *phases, int nphases, double *gpu_seconds) {
    char why[256];
    if (m->widths[0] != 2 && m->widths[0] != 3) die("gpu_mlp_steps_run: input width must be 2 or 3");
    if (m->widths[m->nlayers] != 2) die("gpu_mlp_steps_run: output width must be 2");
    if (g && n > 0) {
        if (gpu_mlp_steps_try(g, m, x, n, seed, phases, nphases, gpu_seconds, why, sizeof why) == 0)
            return 1;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    if (gpu_seconds) *gpu_seconds = -1.0;
    uint32_t step = 0;
    for (int p = 0; p < nphases; p++) {
        gpu_mlp_steps_cpu(m, x, n, seed, step, &phases[p]);
        step += (uint32_t)phases[p].steps;
    }
    return 0;
}
