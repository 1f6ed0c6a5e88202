/* Unit tests of common/spin_chain.h and fft.h's fft_plan_nd: FFTW's 2x...x2 DFT equals the
   explicit Walsh-Hadamard butterfly and W^2 = I; W sigma^z W = sigma^x; the Strang step is
   unitary, second order, and matches exp(-iH dt) for a single spin. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/spin_chain.h"
#include "common/util.h"

static double max_diff(const fft_cplx *a, const fft_cplx *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, cabs(a[i] - b[i]));
    return m;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of spin_chain", 19, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);
    const int n = 10;
    const size_t dim = (size_t)1 << n;
    fft_cplx *a = xmalloc(sizeof(fft_cplx) * dim), *b = xmalloc(sizeof(fft_cplx) * dim),
             *c = xmalloc(sizeof(fft_cplx) * dim);
    for (size_t i = 0; i < dim; i++) a[i] = rng_normal(&r) + I * rng_normal(&r);
    memcpy(b, a, sizeof(fft_cplx) * dim);
    memcpy(c, a, sizeof(fft_cplx) * dim);
    SpinWht *w = spin_wht_new(n);
    spin_wht_apply(w, b);
    spin_wht_butterfly(n, c);
    check_close("common.spin_chain.wht_fftw_vs_butterfly", max_diff(b, c, dim), 0, 1e-13, NULL,
                "FFTW rank-10 2x..x2 DFT / 2^5 vs explicit butterflies");
    spin_wht_apply(w, b);
    check_close("common.spin_chain.wht_involution", max_diff(a, b, dim), 0, 1e-13, NULL, "W^2 = I");

    /* W sigma^z_3 W = sigma^x_3 on a random vector */
    memcpy(b, a, sizeof(fft_cplx) * dim);
    spin_wht_apply(w, b);
    for (size_t i = 0; i < dim; i++) b[i] *= spin_z(i, 3);
    spin_wht_apply(w, b);
    for (size_t i = 0; i < dim; i++) c[i] = a[i ^ 8u];
    check_close("common.spin_chain.wht_conjugates", max_diff(b, c, dim), 0, 1e-13, NULL,
                "W sigma^z_i W = sigma^x_i (the bit flip), i = 3");
    spin_wht_free(w);

    /* one spin, E_P = (-h, +h): H = -(1-s) G X - s h Z; exact exp(-iH dt) vs Strang steps */
    SpinWht *w1 = spin_wht_new(1);
    const double ep[2] = {-0.7, 0.7}, s = 0.3, G = 1.1, T = 2.0;
    double errs[2];
    for (int q = 0; q < 2; q++) {
        int steps = 100 << q;
        fft_cplx psi[2] = {1.0, 0.0};
        for (int k = 0; k < steps; k++) spin_anneal_step(w1, 1, ep, s, G, T / steps, psi);
        double hx = -(1 - s) * G, hz = s * ep[0], om = sqrt(hx * hx + hz * hz);
        // exp(-i T (hz Z + hx X)) |0> = cos(om T)|0> - i sin(om T)(hz|0> + hx|1>)/om
        fft_cplx ex[2] = {cos(om * T) - I * sin(om * T) * hz / om, -I * sin(om * T) * hx / om};
        errs[q] = max_diff(psi, ex, 2);
        if (q == 1)
            check_close("common.spin_chain.strang_norm", cabs(psi[0]) * cabs(psi[0]) + cabs(psi[1]) * cabs(psi[1]) - 1, 0, 1e-13,
                        "common.spin_chain.strang", "norm after 200 steps");
    }
    check_in("common.spin_chain.strang_order", errs[0] / errs[1], 3.7, 4.3,
             "common.spin_chain.strang", "error ratio for dt -> dt/2 (second order: 4); err(dt)=%.2e", errs[0]);
    spin_wht_free(w1);
    free(a);
    free(b);
    free(c);
    return check_end();
}
