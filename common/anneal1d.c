/* anneal1d — see anneal1d.h. Introduced for the study note's B2 and B5
   (lectures/n2_diffusion_annealing). */
#include "common/anneal1d.h"

#include <math.h>

#include "common/philox.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

double anneal1d_force(int model, int k, const double *table, double x, double s) {
    if (model == ANNEAL1D_POLY) {
        double f = table[k];
        for (int j = k - 1; j >= 0; j--) f = f * x + table[j];
        return f;
    }
    double ell[ANNEAL1D_MAX_K], m = -INFINITY;
    for (int i = 0; i < k; i++) {
        const double *c = table + 3 * i, v = c[2] + s, d = x - c[1];
        ell[i] = c[0] - 0.5 * (d * d / v + log(v));
        m = fmax(m, ell[i]);
    }
    double total = 0, num = 0;
    for (int i = 0; i < k; i++) {
        const double *c = table + 3 * i, w = exp(ell[i] - m);
        total += w;
        num += w * (c[1] - x) / (c[2] + s);
    }
    return num / total;
}

/* the Box-Muller pair of block b of stream (c, 0), in double from the kernels' uniforms */
static void normal_pair(uint64_t seed, uint32_t c, uint32_t b, double z[2]) {
    philox_u4 w = philox_block((uint32_t)seed, (uint32_t)(seed >> 32), c, 0u, b, 0u);
    const double u1 = philox_uniform_f(w.x), u2 = philox_uniform_f(w.y);
    const double r = sqrt(-2.0 * log(u1)), th = 2.0 * PI * u2 - PI;
    z[0] = r * cos(th), z[1] = r * sin(th);
}

void anneal1d_ula(const Anneal1dUla *job, double *x, long n) {
    if (job->k < 0 || job->k > ANNEAL1D_MAX_K || n > 0xffffffffL) die("anneal1d_ula: k = %d, n = %ld", job->k, n);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < n; c++) {
        double xc = x[c], z[2] = {0, 0};
        for (long t = 0; t < job->nsteps; t++) {
            const uint32_t g = job->step0 + (uint32_t)t;
            if ((g & 1u) == 0 || t == 0) normal_pair(job->seed, (uint32_t)c, g >> 1, z);
            const double *st = job->sched + 3 * t;
            //: eq. [eq:common.anneal1d.ula]
            xc = xc + st[0] * anneal1d_force(job->model, job->k, job->table, xc, st[2]) + st[1] * z[g & 1u];
        }
        x[c] = xc;
    }
}

double anneal1d_log_f(const Anneal1dAis *job, double lam, double x) {
    double e1 = job->e1[job->deg];
    for (int j = job->deg - 1; j >= 0; j--) e1 = e1 * x + job->e1[j];
    return -(1 - lam) * 0.5 * x * x - lam * e1;
}

void anneal1d_ais(const Anneal1dAis *job, double *x, double *logw, long n) {
    if (n > 0xffffffffL) die("anneal1d_ais: %ld chains", n);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < n; c++) {
        double xc = x[c], lw = 0;
        for (int k = 1; k <= job->K; k++) {
            //: the switch $\lambda_{k-1}\to\lambda_k$ at the current point
            lw += anneal1d_log_f(job, job->lam[k], xc) - anneal1d_log_f(job, job->lam[k - 1], xc);
            for (int r = 0; k < job->K && r < job->m; r++) {
                const uint32_t j = (uint32_t)((k - 1) * job->m + r);
                philox_u4 w = philox_block((uint32_t)job->seed, (uint32_t)(job->seed >> 32), (uint32_t)c, 1u, j, 0u);
                //: Metropolis at $\lambda_k$: $y = x + h(2u - 1)$, accept iff $\ln u' < \log f(y) - \log f(x)$
                const double y = xc + job->h * (2.0 * philox_uniform_f(w.x) - 1.0);
                if (log((double)philox_uniform_f(w.y)) < anneal1d_log_f(job, job->lam[k], y) - anneal1d_log_f(job, job->lam[k], xc))
                    xc = y;
            }
        }
        x[c] = xc, logw[c] = lw;
    }
}
