/* gpu_precision — see gpu_precision.h. The error model of the Vulkan/GLSL float32 operations
   and the running bounds of the kernels that the GPU unit tests compare with their C twins. */
#include "gpu/gpu_precision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/philox.h"
#include "common/util.h"

//: eq. [eq:common.gpu.box_muller] with the bounds: $r = \sqrt{-2\ln u_1}$, $\theta = 2\pi u_2 - \pi$ (precise, the same on both sides)
void gp_normal_pair(float u1, float u2, GpErr z[2]) {
    GpErr r = gp_sqrt(gp_mul(gp_exact(-2.0), gp_log(gp_exact(u1))));
    /* theta: the same float on every device (two correctly rounded, unfused operations) */
    const float theta = 6.28318530717958648f * u2 - 3.14159265358979324f;
    z[0] = gp_mul(r, gp_cos(gp_exact(theta)));
    z[1] = gp_mul(r, gp_sin(gp_exact(theta)));
}

void gp_step_noise(uint64_t seed, uint32_t chain, uint32_t step, GpErr z[2]) {
    philox_u4 w = philox_block((uint32_t)seed, (uint32_t)(seed >> 32), chain, 0u, step, 0u);
    gp_normal_pair(philox_uniform_f(w.x), philox_uniform_f(w.y), z);
}

/* gs_gmm_score in GpErr arithmetic; J from the exact score in double:
   J = sum_i r_i (m_i m_i^T - diag(1/v_i)) - s s^T, m_i = (mu_i - x) / v_i */
void gp_gmm_score(const float *table, int k, const float x[2], float extra_var, GpErr s[2],
                  double J[4]) {
    GpErr ell[GPU_GMM_MAX_K];
    int imax = 0;
    for (int i = 0; i < k; i++) {
        const float *t = table + i * GPU_GMM_STRIDE;
        GpErr v0 = gp_add(gp_exact(t[3]), gp_exact(extra_var));
        GpErr v1 = gp_add(gp_exact(t[4]), gp_exact(extra_var));
        GpErr d0 = gp_sub(gp_exact(x[0]), gp_exact(t[1])), d1 = gp_sub(gp_exact(x[1]), gp_exact(t[2]));
        GpErr q = gp_add(gp_add(gp_div(gp_mul(d0, d0), v0), gp_div(gp_mul(d1, d1), v1)),
                         gp_log(gp_mul(v0, v1)));
        ell[i] = gp_sub(gp_exact(t[0]), gp_mul(gp_exact(0.5), q));
        if (ell[i].v > ell[imax].v) imax = i;
    }
    /* the shift cancels in the exact ratio; a device may pick another near-maximal index, which
       changes only the roundings, bounded the same way */
    GpErr total = gp_exact(0.0), s0 = gp_exact(0.0), s1 = gp_exact(0.0);
    double r[GPU_GMM_MAX_K], m0[GPU_GMM_MAX_K], m1[GPU_GMM_MAX_K], rsum = 0.0;
    for (int i = 0; i < k; i++) {
        const float *t = table + i * GPU_GMM_STRIDE;
        GpErr w = gp_exp(gp_sub(ell[i], ell[imax]));
        GpErr v0 = gp_add(gp_exact(t[3]), gp_exact(extra_var));
        GpErr v1 = gp_add(gp_exact(t[4]), gp_exact(extra_var));
        total = gp_add(total, w);
        s0 = gp_add(s0, gp_div(gp_mul(w, gp_sub(gp_exact(t[1]), gp_exact(x[0]))), v0));
        s1 = gp_add(s1, gp_div(gp_mul(w, gp_sub(gp_exact(t[2]), gp_exact(x[1]))), v1));
        r[i] = w.v;
        rsum += w.v;
        m0[i] = (t[1] - (double)x[0]) / v0.v;
        m1[i] = (t[2] - (double)x[1]) / v1.v;
    }
    s[0] = gp_div(s0, total);
    s[1] = gp_div(s1, total);
    double S0 = 0, S1 = 0;
    J[0] = J[1] = J[2] = J[3] = 0.0;
    for (int i = 0; i < k; i++) {
        const float *t = table + i * GPU_GMM_STRIDE;
        const double ri = r[i] / rsum;
        S0 += ri * m0[i];
        S1 += ri * m1[i];
        J[0] += ri * (m0[i] * m0[i] - 1.0 / ((double)t[3] + extra_var));
        J[1] += ri * m0[i] * m1[i];
        J[3] += ri * (m1[i] * m1[i] - 1.0 / ((double)t[4] + extra_var));
    }
    J[0] -= S0 * S0;
    J[1] -= S0 * S1;
    J[2] = J[1];
    J[3] -= S1 * S1;
}

//: eq. [eq:common.gpu.err_chain]: $d_{t+1} = \lvert J\rvert d_t + \iota_t$ (componentwise)
static void chain_update(double d[2], const double A[4], double inj0, double inj1) {
    const double a = fabs(A[0]) * d[0] + fabs(A[1]) * d[1] + inj0;
    const double b = fabs(A[2]) * d[0] + fabs(A[3]) * d[1] + inj1;
    d[0] = a;
    d[1] = b;
}

void gp_langevin_gmm_bound(const float *table, int k, float *x, long n, uint64_t seed,
                           const GpuLangevinLevel *levels, int nlevels, double *bound) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi[2] = {x[2 * i], x[2 * i + 1]};
        double d[2] = {0.0, 0.0};
        uint32_t step = 0;
        for (int l = 0; l < nlevels; l++) {
            const float half_eps = 0.5f * levels[l].eps, noise_scale = sqrtf(levels[l].eps);
            for (int t = 0; t < levels[l].steps; t++, step++) {
                GpErr s[2], z[2];
                double J[4];
                gp_gmm_score(table, k, xi, levels[l].extra_var, s, J);
                gp_step_noise(seed, (uint32_t)i, step, z);
                /* the kernel's x <- (x + (eps/2) s) + sqrt(eps) z from an exact shared state */
                GpErr nx[2];
                for (int a = 0; a < 2; a++)
                    nx[a] = gp_add(gp_add(gp_exact(xi[a]), gp_mul(gp_exact(half_eps), s[a])),
                                   gp_mul(gp_exact(noise_scale), z[a]));
                const double A[4] = {1.0 + half_eps * J[0], half_eps * J[1], half_eps * J[2],
                                     1.0 + half_eps * J[3]};
                chain_update(d, A, 2.0 * nx[0].e, 2.0 * nx[1].e);
                /* the twin's float step (gpu_langevin_gmm_cpu, the same expressions) */
                gs_v2 sf = gs_gmm_score(table, k, (gs_v2){xi[0], xi[1]}, levels[l].extra_var);
                gs_v2 zf = gs_step_noise((uint32_t)seed, (uint32_t)(seed >> 32), (uint32_t)i, step);
                xi[0] = (xi[0] + half_eps * sf.x) + noise_scale * zf.x;
                xi[1] = (xi[1] + half_eps * sf.y) + noise_scale * zf.y;
            }
        }
        x[2 * i] = xi[0];
        x[2 * i + 1] = xi[1];
        bound[2 * i] = d[0];
        bound[2 * i + 1] = d[1];
    }
}

/* The MLP's forward pass (gpu_mlp.c's forward_one, mlp.glsl) in GpErr arithmetic, with the
   tangents dOut/dx_0 and dOut/dx_1 of the exact network in double (forward mode). in: the
   network input (floats, exact; `din` may replace it by double values); out[0..1] (the bound
   of the network's own operations at that input) and Jf (2 x 2, row-major dOut_a/dx_b). */
static void mlp_forward_bound(const GpuMlp *m, const float *in, const double *din, GpErr out[2],
                              double Jf[4], float fout[2]) {
    GpErr a[GPU_MLP_MAX_WIDTH], b[GPU_MLP_MAX_WIDTH];
    double ta[2][GPU_MLP_MAX_WIDTH], tb[2][GPU_MLP_MAX_WIDTH];
    float fa[GPU_MLP_MAX_WIDTH], fb[GPU_MLP_MAX_WIDTH]; /* the twin's floats, its order */
    for (int i = 0; i < m->widths[0]; i++) {
        fa[i] = in[i];
        a[i] = gp_exact(din ? din[i] : in[i]);
        ta[0][i] = i == 0;
        ta[1][i] = i == 1;
    }
    long off = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const int nin = m->widths[l], nout = m->widths[l + 1];
        const float *W = m->params + off, *bias = W + (long)nin * nout;
        for (int j = 0; j < nout; j++) {
            GpErr acc = gp_exact(bias[j]);
            float facc = bias[j];
            double t0 = 0.0, t1 = 0.0;
            for (int i = 0; i < nin; i++) {
                const float w = W[(long)i * nout + j];
                facc = facc + fa[i] * w;
                acc = gp_add(acc, gp_mul(a[i], gp_exact(w)));
                t0 += ta[0][i] * w;
                t1 += ta[1][i] * w;
            }
            b[j] = acc;
            fb[j] = facc;
            tb[0][j] = t0;
            tb[1][j] = t1;
        }
        off += (long)nin * nout + nout;
        const int last = l + 1 == m->nlayers;
        for (int j = 0; j < nout; j++) {
            fa[j] = last ? fb[j] : gs_activation(m->act, fb[j]);
            if (last) {
                a[j] = b[j];
                ta[0][j] = tb[0][j];
                ta[1][j] = tb[1][j];
                continue;
            }
            const double z = b[j].v;
            double dphi = 1.0;
            if (m->act == GPU_ACT_TANH) dphi = 1.0 - tanh(z) * tanh(z);
            if (m->act == GPU_ACT_SILU) {
                const double sg = 1.0 / (1.0 + exp(-z));
                dphi = sg * (1.0 + z * (1.0 - sg));
            }
            a[j] = gp_activation(m->act, b[j]);
            ta[0][j] = dphi * tb[0][j];
            ta[1][j] = dphi * tb[1][j];
        }
    }
    out[0] = a[0];
    out[1] = a[1];
    fout[0] = fa[0];
    fout[1] = fa[1];
    Jf[0] = ta[0][0];
    Jf[1] = ta[1][0];
    Jf[2] = ta[0][1];
    Jf[3] = ta[1][1];
}

void gp_mlp_steps_bound(const GpuMlp *m, float *x, long n, uint64_t seed,
                        const GpuMlpPhase *phases, int nphases, double *bound) {
    /* the runner's global step counter: phase p starts where the previous one ended */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float xi[2] = {x[2 * i], x[2 * i + 1]};
        double d[2] = {0.0, 0.0};
        uint32_t step = 0;
        float in[3];
        for (int p = 0; p < nphases; p++) {
            const GpuMlpPhase *ph = &phases[p];
            for (int t = 0; t < ph->steps; t++, step++) {
                in[0] = xi[0];
                in[1] = xi[1];
                in[2] = ph->cond;
                GpErr f[2], z[2] = {gp_exact(0.0), gp_exact(0.0)};
                double Jf[4];
                float ff[2];
                mlp_forward_bound(m, in, NULL, f, Jf, ff);
                if (ph->noise != 0.0f) gp_step_noise(seed, (uint32_t)i, step, z);
                GpErr nx[2];
                for (int a = 0; a < 2; a++) {
                    //: eq. [eq:common.gpu.mlp_step]: $c_x x + c_f f + \nu z$ from an exact shared state
                    nx[a] = gp_add(gp_mul(gp_exact(ph->cx), gp_exact(xi[a])),
                                   gp_mul(gp_exact(ph->cf), f[a]));
                    if (ph->noise != 0.0f) nx[a] = gp_add(nx[a], gp_mul(gp_exact(ph->noise), z[a]));
                }
                const double A[4] = {ph->cx + (double)ph->cf * Jf[0], (double)ph->cf * Jf[1],
                                     (double)ph->cf * Jf[2], ph->cx + (double)ph->cf * Jf[3]};
                chain_update(d, A, 2.0 * nx[0].e, 2.0 * nx[1].e);
                /* the twin's float step (gpu_mlp_steps_cpu, the same expressions) */
                float n0 = ph->cx * xi[0] + ph->cf * ff[0], n1 = ph->cx * xi[1] + ph->cf * ff[1];
                if (ph->noise != 0.0f) {
                    gs_v2 zf = gs_step_noise((uint32_t)seed, (uint32_t)(seed >> 32), (uint32_t)i, step);
                    n0 = n0 + ph->noise * zf.x;
                    n1 = n1 + ph->noise * zf.y;
                }
                xi[0] = n0;
                xi[1] = n1;
            }
        }
        x[2 * i] = xi[0];
        x[2 * i + 1] = xi[1];
        bound[2 * i] = d[0];
        bound[2 * i + 1] = d[1];
    }
}

GpErr gp_train_loss_bound(const GpuTrain *tr) {
    const uint32_t seed_lo = (uint32_t)tr->seed, seed_hi = (uint32_t)(tr->seed >> 32);
    const uint32_t step = (uint32_t)tr->step;
    const GpuMlp *m = &tr->net;
    GpErr sum = gp_exact(0.0);
    for (long n = 0; n < tr->batch; n++) {
        /* gs_train_item: the component and the level are integer work (exact on both sides) */
        philox_u4 w0 = philox_block(seed_lo, seed_hi, (uint32_t)n, 1u, step, 0u);
        philox_u4 w1 = philox_block(seed_lo, seed_hi, (uint32_t)n, 1u, step, 1u);
        const float u = philox_uniform_f(w0.x);
        int j = 0;
        while (j < tr->ncomp - 1 && u >= tr->table[j * GPU_TRAIN_COMP_STRIDE]) j++;
        const float *c = tr->table + j * GPU_TRAIN_COMP_STRIDE;
        const float *lv = tr->table + tr->ncomp * GPU_TRAIN_COMP_STRIDE +
                          (long)(((uint64_t)w0.y * (uint32_t)tr->nlevels) >> 32) * GPU_TRAIN_LEVEL_STRIDE;
        GpErr z[2], e[2];
        gp_normal_pair(philox_uniform_f(w0.z), philox_uniform_f(w0.w), z);
        gp_normal_pair(philox_uniform_f(w1.x), philox_uniform_f(w1.y), e);
        GpErr h[2];
        for (int a = 0; a < 2; a++) {
            GpErr xa = gp_add(gp_exact(c[1 + a]), gp_mul(gp_exact(c[3 + a]), z[a]));
            h[a] = gp_add(gp_mul(gp_exact(lv[0]), xa), gp_mul(gp_exact(lv[1]), e[a]));
        }
        /* the network at the exact input, its own rounding bounded op by op; the input's
           error (Box-Muller's sin/cos) carried through the exact Jacobian, |J| e_in (first
           order; absolute values through 64-wide layers would overstate it ~40-fold) */
        double din[3] = {h[0].v, h[1].v, lv[2]};
        float fin[3] = {(float)h[0].v, (float)h[1].v, lv[2]};
        GpErr f[2];
        double Jf[4];
        float ff[2];
        mlp_forward_bound(m, fin, din, f, Jf, ff);
        const double e0 = h[0].e, e1 = h[1].e;
        h[0] = (GpErr){f[0].v, f[0].e + fabs(Jf[0]) * e0 + fabs(Jf[1]) * e1};
        h[1] = (GpErr){f[1].v, f[1].e + fabs(Jf[2]) * e0 + fabs(Jf[3]) * e1};
        //: eq. [eq:common.gpu.train_item_loss]: $r = a f + b\varepsilon$, $\ell = \lVert r\rVert^2$
        GpErr r0 = gp_add(gp_mul(gp_exact(lv[3]), h[0]), gp_mul(gp_exact(lv[4]), e[0]));
        GpErr r1 = gp_add(gp_mul(gp_exact(lv[3]), h[1]), gp_mul(gp_exact(lv[4]), e[1]));
        sum = gp_add(sum, gp_add(gp_mul(r0, r0), gp_mul(r1, r1)));
    }
    GpErr mean = gp_mul(sum, gp_exact((float)(1.0 / tr->batch)));
    mean.e *= 2.0; /* two implementations */
    return mean;
}

double gp_worst_ratio(const float *a, const float *b, const double *bound, long n) {
    double worst = 0.0;
    for (long i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]);
        if (d == 0.0) continue;
        worst = fmax(worst, bound[i] > 0 ? d / bound[i] : INFINITY);
    }
    return worst;
}
