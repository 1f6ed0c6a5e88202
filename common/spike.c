/* spike — see spike.h; the instances and dynamics of lectures/n2_diffusion_annealing/08_sa_vs_qa.c. */
#include "common/spike.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/fft.h"
#include "common/util.h"

double spike_cost(SpikeKind inst, int n, int w) {
    double e = w;
    //: $E = w + h_b\mathbf 1[\lvert w - n/4\rvert \le r]$
    if (inst == SPIKE_THIN && 4 * w == n) e += n;
    if (inst == SPIKE_WIDE && abs(4 * w - n) <= n / 4) e += n / 4.0;
    return e;
}

void spike_dicke_h(SpikeKind inst, int n, double s, double *diag, double *off) {
    for (int w = 0; w <= n; w++) {
        //: eq. [eq:N2.B8.dicke]
        diag[w] = s * spike_cost(inst, n, w);
        if (w < n) off[w] = -(1 - s) * sqrt((double)(n - w) * (w + 1));
    }
}

static void cn_solve(int m, const double *d, const double *e, double dt, fft_cplx *psi) {
    fft_cplx *rhs = xmalloc(sizeof(fft_cplx) * m), *cp = xmalloc(sizeof(fft_cplx) * m);
    for (int w = 0; w < m; w++) {
        fft_cplx hp = d[w] * psi[w] + (w > 0 ? e[w - 1] * psi[w - 1] : 0) + (w < m - 1 ? e[w] * psi[w + 1] : 0);
        //: right side $(I - \tfrac{i\delta t}{2}H)\psi$
        rhs[w] = psi[w] - 0.5 * I * dt * hp;
    }
    // Thomas algorithm for (I + i dt/2 H) x = rhs
    fft_cplx b0 = 1 + 0.5 * I * dt * d[0];
    cp[0] = (m > 1 ? 0.5 * I * dt * e[0] : 0) / b0;
    rhs[0] /= b0;
    for (int w = 1; w < m; w++) {
        fft_cplx a = 0.5 * I * dt * e[w - 1], b = 1 + 0.5 * I * dt * d[w] - a * cp[w - 1];
        cp[w] = (w < m - 1 ? 0.5 * I * dt * e[w] : 0) / b;
        rhs[w] = (rhs[w] - a * rhs[w - 1]) / b;
    }
    for (int w = m - 2; w >= 0; w--) rhs[w] -= cp[w] * rhs[w + 1];
    memcpy(psi, rhs, sizeof(fft_cplx) * m);
    free(rhs), free(cp);
}

double spike_qa_success(SpikeKind inst, int n, double tau) {
    const int m = n + 1;
    int steps = (int)fmax(400, 8 * tau * sqrt(n));
    double *d = xmalloc(sizeof(double) * m), *e = xmalloc(sizeof(double) * m);
    fft_cplx *psi = xmalloc(sizeof(fft_cplx) * m);
    for (int w = 0; w < m; w++) psi[w] = sqrt(exp(lgamma(n + 1.0) - lgamma(w + 1.0) - lgamma(n - w + 1.0)) / pow(2.0, n));
    for (int k = 0; k < steps; k++) {
        spike_dicke_h(inst, n, (k + 0.5) / steps, d, e);
        cn_solve(m, d, e, tau / steps, psi);
    }
    double p = creal(psi[0] * conj(psi[0])); /* ground state of H(1): w = 0 */
    free(d), free(e), free(psi);
    return p;
}

void spike_metropolis_rates(SpikeKind inst, int n, double T, double *up, double *down) {
    for (int w = 0; w <= n; w++) {
        //: eq. [eq:N2.B8.metropolis_w]
        up[w] = w < n ? (double)(n - w) / n * fmin(1.0, exp(-(spike_cost(inst, n, w + 1) - spike_cost(inst, n, w)) / T)) : 0;
        down[w] = w > 0 ? (double)w / n * fmin(1.0, exp(-(spike_cost(inst, n, w - 1) - spike_cost(inst, n, w)) / T)) : 0;
    }
}

double spike_sa_exact(SpikeKind inst, int n, int sweeps) {
    double *p = xmalloc(sizeof(double) * (n + 1)), *q = xmalloc(sizeof(double) * (n + 1)),
           *up = xmalloc(sizeof(double) * (n + 1)), *down = xmalloc(sizeof(double) * (n + 1));
    for (int w = 0; w <= n; w++) p[w] = exp(lgamma(n + 1.0) - lgamma(w + 1.0) - lgamma(n - w + 1.0) - n * log(2.0));
    const long steps = (long)sweeps * n;
    for (long k = 0; k < steps; k++) {
        double T = 3.0 * pow(0.05 / 3.0, (double)k / (steps - 1));
        spike_metropolis_rates(inst, n, T, up, down);
        for (int w = 0; w <= n; w++) {
            //: $p'_w = p_w(1 - u_w - d_w) + p_{w-1}u_{w-1} + p_{w+1}d_{w+1}$
            q[w] = p[w] * (1 - up[w] - down[w]) + (w > 0 ? p[w - 1] * up[w - 1] : 0) + (w < n ? p[w + 1] * down[w + 1] : 0);
        }
        memcpy(p, q, sizeof(double) * (n + 1));
    }
    double r = p[0];
    free(p), free(q), free(up), free(down);
    return r;
}
