/* spin_chain — transverse-field Ising state vectors: diagonal tables, the Walsh-Hadamard
   transform through FFTW and by butterflies, the Strang annealing step, H(s) x. See spin_chain.h
   (introduced by lectures/n2_diffusion_annealing/07). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "common/spin_chain.h"
#include "common/util.h"

void spin_ising_table(int n, const double *J, const double *h, double *ep) {
    const size_t dim = (size_t)1 << n;
    for (size_t b = 0; b < dim; b++) {
        double e = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) e -= J[i * n + j] * spin_z(b, i) * spin_z(b, j);
            if (h) e -= h[i] * spin_z(b, i);
        }
        ep[b] = e;
    }
}

void spin_ring_table(int n, double J, double *ep) {
    const size_t dim = (size_t)1 << n;
    for (size_t b = 0; b < dim; b++) {
        double e = 0;
        for (int i = 0; i < n; i++) e -= J * spin_z(b, i) * spin_z(b, (i + 1) % n);
        ep[b] = e;
    }
}

struct SpinWht {
    FftPlanNd *plan;
    size_t dim;
    double scale;
};

SpinWht *spin_wht_new(int n) {
    SpinWht *w = xcalloc(1, sizeof *w);
    int dims[64];
    for (int i = 0; i < n; i++) dims[i] = 2;
    w->plan = fft_plan_nd(n, dims, -1);
    w->dim = (size_t)1 << n;
    w->scale = pow(2.0, -0.5 * n);
    return w;
}

void spin_wht_apply(SpinWht *w, fft_cplx *psi) {
    //: $W = H_2^{\otimes n}/2^{n/2}$: FFTW's 2x...x2 DFT, then the normalisation
    fft_plan_nd_execute(w->plan, psi);
    for (size_t b = 0; b < w->dim; b++) psi[b] *= w->scale;
}

void spin_wht_free(SpinWht *w) {
    if (!w) return;
    fft_plan_nd_free(w->plan);
    free(w);
}

void spin_wht_butterfly(int n, fft_cplx *psi) {
    const size_t dim = (size_t)1 << n;
    const double r = 1.0 / sqrt(2.0);
    for (int i = 0; i < n; i++) {
        const size_t bit = (size_t)1 << i;
        for (size_t b = 0; b < dim; b++)
            if (!(b & bit)) {
                //: $(u, v) \to ((u+v)/\sqrt2, (u-v)/\sqrt2)$ on spin i
                fft_cplx u = psi[b], v = psi[b | bit];
                psi[b] = (u + v) * r, psi[b | bit] = (u - v) * r;
            }
    }
}

void spin_anneal_step(SpinWht *w, int n, const double *ep, double s_mid, double gamma, double dt,
                      fft_cplx *psi) {
    const size_t dim = (size_t)1 << n;
    //: $D_P(\delta t/2)$, eq. [eq:common.spin_chain.strang]
    for (size_t b = 0; b < dim; b++) psi[b] *= cexp(-I * 0.5 * dt * s_mid * ep[b]);
    spin_wht_apply(w, psi);
    //: $D_X(\delta t)$ in the Hadamard basis: $\sum_i z_i(b) = n - 2\,\mathrm{popcount}(b)$
    for (size_t b = 0; b < dim; b++) {
        double sz = n - 2.0 * __builtin_popcountll((unsigned long long)b);
        psi[b] *= cexp(I * dt * (1.0 - s_mid) * gamma * sz);
    }
    spin_wht_apply(w, psi);
    for (size_t b = 0; b < dim; b++) psi[b] *= cexp(-I * 0.5 * dt * s_mid * ep[b]);
}

void spin_tfim_matvec(const double *x, double *y, void *ctx) {
    const SpinTfim *t = ctx;
    const size_t dim = (size_t)1 << t->n;
    for (size_t b = 0; b < dim; b++) {
        //: $(H x)_b = s E_P(b) x_b - (1-s)\Gamma\sum_i x_{b \oplus 2^i}$
        double acc = 0;
        for (int i = 0; i < t->n; i++) acc += x[b ^ ((size_t)1 << i)];
        y[b] = t->s * t->ep[b] * x[b] - (1.0 - t->s) * t->gamma * acc;
    }
}
