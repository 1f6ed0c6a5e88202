/*: # N2 B7 — Quantum annealing of transverse-field Ising models by exact state vectors

**Study note, bridge lecture B-II, program B7** (spec N004 §3.2 B7). Quantum annealing (QA)
prepares the ground state of a classical cost $H_P$ by slowly turning off a transverse field:

$$ H(s) = -(1-s)\Gamma\sum_i\sigma^x_i + sH_P,\qquad H_P = -\sum_{i<j}J_{ij}\sigma^z_i\sigma^z_j - \sum_ih_i\sigma^z_i,\qquad s = t/\tau, $$ {#eq:N2.B7.h_of_s}

from $\lvert{+}\rangle^{\otimes N}$, the ground state of $H(0)$ (energy $-N\Gamma$). Here it
is simulated exactly: the state is the full vector of $2^N$ amplitudes, and each Strang step
(eq. [eq:common.spin_chain.strang]) is two diagonal phase multiplications around a pair of
Walsh–Hadamard transforms, computed by FFTW as a rank-$N$ DFT of shape $2\times\dots\times2$
— the same split-step Fourier method as program 04, with the group $\mathbb Z_2^N$ in place
of $\mathbb R$.

What you will see: the FFTW Walsh–Hadamard transform against explicit butterflies; Lanczos
ground energies of the periodic TFIM ring against the free-fermion formula; the state-vector
kink density against the per-mode (Bogoliubov–de Gennes) two-level dynamics; the
Kibble–Zurek law $n\propto\tau^{-1/2}$; a Landau–Zener test of the two-level integrator; the
integrator's order and unitarity; and the spectrum, minimum gap and success probability of a
random Sherrington–Kirkpatrick instance.
Figures: `spectrum_vs_s.png`, `fidelity_vs_tau.png`, `kz_kink_density.png`, `amplitudes_heatmap.png`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/07_tfim_quantum_annealing`.

| symbol | C name | shape |
|---|---|---|
| $\psi$ | `psi` | ($2^N$) complex |
| $E_P(b)$ | `ep` | ($2^N$) |
| $J, \Gamma$ | `J`, `G` | scalars |
| $E_0$ (free fermions) | `free_fermion_e0` | scalar |
| $p_k$ (mode excitation) | `mode_excitation` | scalar per mode |
| $n$ (kink density) | `kinks` | scalar |
*/
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/spin_chain.h"
#include "common/tridiag.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## 1. The Walsh–Hadamard transform is FFTW's 2×…×2 DFT

A DFT of length 2 is $\begin{pmatrix}1&1\\1&-1\end{pmatrix}$ for either sign convention, and
a multi-dimensional DFT is the tensor product of one-dimensional ones, so FFTW's rank-$N$
transform of shape $(2,\dots,2)$ is exactly $H_2^{\otimes N}$. It conjugates
$\sigma^z_i$ into $\sigma^x_i$, which makes the transverse-field factor diagonal.
*/
static void section_wht(void) {
    const int n = 12;
    const size_t dim = (size_t)1 << n;
    fft_cplx *a = xmalloc(sizeof(fft_cplx) * dim), *b = xmalloc(sizeof(fft_cplx) * dim);
    for (size_t i = 0; i < dim; i++) a[i] = b[i] = sin(0.37 * i) + I * cos(1.3 * i * i);
    SpinWht *w = spin_wht_new(n);
    spin_wht_apply(w, a);
    spin_wht_butterfly(n, b);
    double d = 0;
    for (size_t i = 0; i < dim; i++) d = fmax(d, cabs(a[i] - b[i]));
    check_close("N2.B7.wht_fftw_vs_butterfly", d, 0, 1e-13, "common.spin_chain.strang",
                "N = 12: FFTW rank-12 (2 x ... x 2) DFT / 2^6 equals the explicit butterfly");
    spin_wht_butterfly(n, a);
    d = 0;
    for (size_t i = 0; i < dim; i++) d = fmax(d, cabs(a[i] - (sin(0.37 * i) + I * cos(1.3 * i * i))));
    check_close("N2.B7.wht_square", d, 0, 1e-13, "common.spin_chain.strang", "W^2 = I (FFTW then butterfly)");
    spin_wht_free(w);
    free(a), free(b);
}

/*: ## 2. The TFIM ring: Lanczos against free fermions

For the periodic ring $H = -J\sum_i\sigma^z_i\sigma^z_{i+1} - \Gamma\sum_i\sigma^x_i$ the
Jordan–Wigner transformation gives free fermions; in the even-parity sector (which holds the
ground state) the momenta are antiperiodic, $k = \pm(2m-1)\pi/N$, and

$$ E_0 = -\tfrac12\sum_{k}\varepsilon_k,\qquad \varepsilon_k = 2\sqrt{J^2 + \Gamma^2 - 2J\Gamma\cos k} . $$ {#eq:N2.B7.free_fermion}

Lanczos (common/tridiag.h, full re-orthogonalisation, matrix–vector products by bit flips)
started from $\lvert{+}\rangle^{\otimes N}$ gives the ground energy of the sparse $2^N$ matrix,
for every even $N$ from 6 to 20 ($2^{20}$ amplitudes).
*/
static double free_fermion_e0(int N, double J, double G) {
    double e = 0;
    for (int m = 1; m <= N / 2; m++) {
        double k = (2 * m - 1) * PI / N;
        //: eq. [eq:N2.B7.free_fermion], $\pm k$ counted twice
        e -= 2 * sqrt(J * J + G * G - 2 * J * G * cos(k));
    }
    return e;
}

static void section_ring(const Cli *cli) {
    const int Nmax = cli->scale == SCALE_QUICK ? 10 : 20;
    for (int N = 6; N <= Nmax; N += 2) {
        const size_t dim = (size_t)1 << N;
        double *ep = xmalloc(sizeof(double) * dim), *start = xmalloc(sizeof(double) * dim), ev[1];
        spin_ring_table(N, 1.0, ep);
        for (size_t b = 0; b < dim; b++) start[b] = 1.0;
        SpinTfim t = {N, ep, 0.5, 1.4}; /* s = 1/2, field 1.4: H = 0.5 H_P - 0.7 sum sigma^x */
        /* 40 steps converge to 1e-11 from N = 14 to 20 (30 already do), and keep the Krylov basis
           at 41 x 2^20 doubles = 330 MB for N = 20 */
        lanczos_lowest(dim, spin_tfim_matvec, &t, start, N <= 14 ? 80 : 40, 1, ev);
        double ff = free_fermion_e0(N, 0.5, 0.7);
        char id[32];
        snprintf(id, sizeof id, "N2.B7.ring_e0_N%d", N);
        check_close(id, ev[0], ff, 1e-10, "N2.B7.free_fermion",
                    "ring N = %d, J_s = 0.5, Gamma_s = 0.7: Lanczos E0 vs free fermions %.12f", N, ff);
        free(ep), free(start);
    }
    check_close("N2.B7.ring_e0_ref", free_fermion_e0(6, 1.0, 0.7), -6.782816057509465, 1e-12, "N2.B7.free_fermion",
                "N = 6, J = 1, Gamma = 0.7: free-fermion E0 against the spec's reference value");
}

/*: ## 3. Per-mode dynamics (Bogoliubov–de Gennes) and the kink density

Translation invariance decouples the fermion pairs $(k,-k)$, $k>0$; each evolves as a
two-level system

$$ H_k(s) = 2\big[(\Gamma_s - J_s\cos k)\,\tau^z + J_s\sin k\,\tau^x\big],\qquad J_s = sJ,\ \Gamma_s = (1-s)\Gamma, $$ {#eq:N2.B7.bdg}

with eigenvalues $\pm\varepsilon_k(s)$, starting in its lower state at $s=0$. If $p_k$ is the
probability of the upper state at $s=1$, each excited pair carries two kinks, so the final
kink density is

$$ n = \frac1N\sum_i\Big\langle\frac{1-\sigma^z_i\sigma^z_{i+1}}2\Big\rangle = \frac2N\sum_{k>0}p_k . $$ {#eq:N2.B7.kinks}

The two-level integrator is the exact $2\times2$ exponential at each step's midpoint
(second order); it is tested on the Landau–Zener problem below.
*/
/* psi <- exp(-i dt (a tau^z + b tau^x)) psi */
static void su2_step(double a, double b, double dt, fft_cplx *u, fft_cplx *v) {
    double om = sqrt(a * a + b * b), c = cos(om * dt), s = om > 0 ? sin(om * dt) / om : dt;
    fft_cplx u2 = (c - I * s * a) * *u - I * s * b * *v;
    fft_cplx v2 = -I * s * b * *u + (c + I * s * a) * *v;
    *u = u2, *v = v2;
}

static double mode_excitation(double k, double J, double G, double tau, double dt) {
    int steps = (int)ceil(tau / dt);
    double h = tau / steps;
    fft_cplx u = 0, v = 1; /* lower state of 2 Gamma tau^z */
    for (int q = 0; q < steps; q++) {
        double s = (q + 0.5) / steps;
        //: eq. [eq:N2.B7.bdg] at the midpoint
        su2_step(2 * ((1 - s) * G - s * J * cos(k)), 2 * s * J * sin(k), h, &u, &v);
    }
    // upper eigenvector of H_k(1) = 2J(-cos k tau^z + sin k tau^x): angle theta with tan theta = sin k / -cos k
    double a = -cos(k), b = sin(k), th = atan2(b, a);
    fft_cplx eu = cos(0.5 * th), ev = sin(0.5 * th);
    fft_cplx ov = conj(eu) * u + conj(ev) * v;
    return creal(ov * conj(ov));
}

static double bdg_kinks(int N, double J, double G, double tau, double dt) {
    double sum = 0;
    for (int m = 1; m <= N / 2; m++) sum += mode_excitation((2 * m - 1) * PI / N, J, G, tau, dt);
    //: eq. [eq:N2.B7.kinks]
    return 2.0 * sum / N;
}

/* state-vector anneal of the ring; returns the kink density, norm deviation in *dnorm */
static double statevector_kinks(int N, double J, double G, double tau, int steps, double *dnorm, fft_cplx *out) {
    const size_t dim = (size_t)1 << N;
    double *ep = xmalloc(sizeof(double) * dim);
    spin_ring_table(N, J, ep);
    fft_cplx *psi = xmalloc(sizeof(fft_cplx) * dim);
    for (size_t b = 0; b < dim; b++) psi[b] = pow(2.0, -0.5 * N);
    SpinWht *w = spin_wht_new(N);
    for (int q = 0; q < steps; q++) spin_anneal_step(w, N, ep, (q + 0.5) / steps, G, tau / steps, psi);
    double kinks = 0, nrm = 0;
    for (size_t b = 0; b < dim; b++) {
        double pb = creal(psi[b] * conj(psi[b]));
        int nk = 0;
        for (int i = 0; i < N; i++) nk += spin_z(b, i) != spin_z(b, (i + 1) % N);
        kinks += pb * nk / N, nrm += pb;
    }
    if (dnorm) *dnorm = fabs(sqrt(nrm) - 1);
    if (out) memcpy(out, psi, sizeof(fft_cplx) * dim);
    spin_wht_free(w);
    free(ep), free(psi);
    return kinks;
}

static void section_bdg(const Cli *cli) {
    const double J = 1.0, G = 1.0, tau = 5.0;
    const int Nmax = cli->scale == SCALE_QUICK ? 8 : 12;
    for (int N = 6; N <= Nmax; N += 2) {
        // Richardson in dt for both integrators (both second order)
        double s1 = statevector_kinks(N, J, G, tau, 1000, NULL, NULL), s2 = statevector_kinks(N, J, G, tau, 2000, NULL, NULL);
        double sv = (4 * s2 - s1) / 3;
        double b1 = bdg_kinks(N, J, G, tau, 0.002), b2 = bdg_kinks(N, J, G, tau, 0.001), bd = (4 * b2 - b1) / 3;
        printf("N = %2d, tau = %g: kink density state vector %.12f, BdG %.12f\n", N, tau, sv, bd);
        char id[32];
        snprintf(id, sizeof id, "N2.B7.kinks_sv_vs_bdg_N%d", N);
        check_close(id, sv - bd, 0, 1e-8, "N2.B7.kinks",
                    "N = %d ring, tau = 5: kink density of the 2^N state vector equals the per-mode BdG sum", N);
    }
    // integrator: unitarity and order on N = 10
    const int N = 10;
    const size_t dim = (size_t)1 << N;
    fft_cplx *a = xmalloc(sizeof(fft_cplx) * dim), *b = xmalloc(sizeof(fft_cplx) * dim), *c = xmalloc(sizeof(fft_cplx) * dim);
    double dn;
    statevector_kinks(N, J, G, tau, 100, &dn, a);
    check_close("N2.B7.norm", dn, 0, 1e-12, "common.spin_chain.strang", "| ||psi|| - 1 | after 100 Strang steps (N = 10)");
    statevector_kinks(N, J, G, tau, 200, NULL, b);
    statevector_kinks(N, J, G, tau, 1600, NULL, c);
    double e1 = 0, e2 = 0;
    for (size_t i = 0; i < dim; i++) e1 = fmax(e1, cabs(a[i] - c[i])), e2 = fmax(e2, cabs(b[i] - c[i]));
    check_in("N2.B7.strang_order", e1 / e2, 3.7, 4.3, "common.spin_chain.strang",
             "error(100 steps)/error(200 steps) against 1600 steps: second order gives ~4 (4.27 with the reference's own error)");
    free(a), free(b), free(c);
}

/*: ## 4. Landau–Zener and Kibble–Zurek

*Landau–Zener:* $H = \tfrac{vt}2\tau^z + \tfrac\Delta2\tau^x$ swept through the avoided crossing
leaves the system in the diabatic state with probability $e^{-\pi\Delta^2/(2v)}$; with
$\Delta = v = 1$ on $t\in[-200, 200]$ that is $e^{-\pi/2} = 0.20788$ up to the finite window.

*Kibble–Zurek:* sweeping the ring through its critical point $\Gamma_s = J_s$ ($s = 1/2$ for
$\Gamma = J$) in time $\tau$ leaves a kink density

$$ n(\tau)\propto\tau^{-1/2} $$ {#eq:N2.B7.kibble_zurek}

(Dziarmaga 2005; Zurek, Dorner, Zoller 2005): only modes with $k\lesssim\tau^{-1/2}$ are
excited, each as a Landau–Zener problem. The BdG sum at $N = 2000$ makes this cheap (all
1000 modes: the high-$k$ modes are not exponentially quiet, because the linear ramp starts
and stops abruptly, which leaves a $\propto\tau^{-2}$ background). The check `kz_step`
verifies that halving the step leaves the density unchanged.
*/
static void section_lz_kz(const Cli *cli) {
    // Landau-Zener
    fft_cplx u = 1, v = 0; /* at t = -200 the ground state of -100 tau^z is |up> */
    const double T0 = 200, dt = 0.01;
    int steps = (int)(2 * T0 / dt);
    for (int q = 0; q < steps; q++) {
        double t = -T0 + (q + 0.5) * dt;
        su2_step(0.5 * t, 0.5, dt, &u, &v);
    }
    double p_dia = creal(u * conj(u));
    check_close("N2.B7.landau_zener", p_dia, exp(-PI / 2), 0.01, "N2.B7.kibble_zurek",
                "Landau-Zener, Delta = v = 1, t in [-200, 200]: diabatic probability vs e^(-pi/2)");
    // Kibble-Zurek with BdG, N = 2000
    const int N = 2000, nt = cli->scale == SCALE_QUICK ? 3 : 5;
    const double taus[5] = {40, 126.5, 400, 1265, 4000};
    double lt[5], ln_[5], kz[5], tt[5], worst_dt = 0;
    const double dt_kz = 0.1;
    for (int q = 0; q < nt; q++) {
        double tau = taus[q], sum = 0, sum_half = 0;
        for (int m = 1; m <= N / 2; m++) {
            double k = (2 * m - 1) * PI / N;
            sum += mode_excitation(k, 1, 1, tau, dt_kz);
            if (m % 50 == 0) sum_half += mode_excitation(k, 1, 1, tau, 0.5 * dt_kz) - mode_excitation(k, 1, 1, tau, dt_kz);
        }
        worst_dt = fmax(worst_dt, fabs(sum_half) * 50 / sum);
        kz[q] = 2 * sum / N, tt[q] = tau, lt[q] = log(tau), ln_[q] = log(kz[q]);
        printf("tau = %7.1f: kink density %.6e\n", tau, kz[q]);
    }
    check_le("N2.B7.kz_step", worst_dt, 1e-3, 0, "N2.B7.kibble_zurek",
             "relative change of the kink density when dt %g -> %g (every 50th mode, scaled; all tau)", dt_kz, 0.5 * dt_kz);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int q = 0; q < nt; q++) sx += lt[q], sy += ln_[q], sxx += lt[q] * lt[q], sxy += lt[q] * ln_[q];
    double slope = (nt * sxy - sx * sy) / (nt * sxx - sx * sx);
    check_close("N2.B7.kz_exponent", slope, -0.5, 0.03, "N2.B7.kibble_zurek",
                "N = 2000 BdG: log-log slope of the kink density for tau in [40, %g]", taus[nt - 1]);
    Plot *p = plot_new(800, 500, "Kibble-Zurek: kink density after a linear quench (N = 2000, BdG)");
    plot_ylog(p, 1);
    plot_series_marker(plot_scatter(p, tt, kz, nt, "kink density n(tau)"), 4);
    double ref[5];
    for (int q = 0; q < nt; q++) ref[q] = kz[0] * sqrt(taus[0] / tt[q]);
    plot_line(p, tt, ref, nt, "tau^(-1/2)");
    plot_xlabel(p, "tau (linear scale)");
    save(p, cli, "kz_kink_density.png");
}

/*: ## 5. A random SK instance: spectrum, minimum gap, success probability

$J_{ij} = \pm1/\sqrt N$, $h_i\sim U[-0.1, 0.1]$ (the fields break the $\mathbb Z_2$ symmetry),
$\Gamma = 1$, $N = 10$. Full enumeration finds the ground state of $H_P$ and checks that it is
unique; Lanczos gives the two lowest levels of $H(s)$ along $s$ (the start vector
$\lvert{+}\rangle^{\otimes N}$ overlaps every eigenvector of a generic instance). The final
ground-state probability $P_{gs}(\tau)$ rises to 1 once $\tau$ is large against
$1/\Delta_{min}^2$ — the adiabatic theorem. The figure `amplitudes_heatmap.png` shows the
run at that $\tau$ from the inside: $\lvert\psi_b(s)\rvert^2$ for all 1024 basis states,
sorted by their classical energy $E_P(b)$ (row 0 = the ground state), as $s$ goes from 0 to 1.
The uniform start spreads over every row; the weight then drains into the low-energy rows and
finally into row 0.
*/
static void section_sk(const Cli *cli) {
    const int N = 10;
    const size_t dim = (size_t)1 << N;
    Rng r;
    rng_init(&r, cli->seed, 7);
    double *J = xcalloc((size_t)N * N, sizeof(double)), h[16], *ep = xmalloc(sizeof(double) * dim);
    for (int i = 0; i < N; i++) {
        h[i] = rng_uniform_range(&r, -0.1, 0.1);
        for (int j = i + 1; j < N; j++) J[i * N + j] = (rng_u32(&r) & 1u) ? 1 / sqrt(N) : -1 / sqrt(N);
    }
    spin_ising_table(N, J, h, ep);
    size_t gs = 0;
    double e1 = INFINITY;
    for (size_t b = 1; b < dim; b++)
        if (ep[b] < ep[gs]) e1 = ep[gs], gs = b;
        else if (ep[b] < e1) e1 = ep[b];
    check_ge("N2.B7.sk_unique_gs", e1 - ep[gs], 1e-6, 0, NULL,
             "SK N = 10: classical gap above the unique ground state (enumeration of 1024 states)");
    enum { NS = 41 };
    double ss[NS], l0[NS], l1[NS], gap[NS], gmin = INFINITY, smin = 0;
    double *start = xmalloc(sizeof(double) * dim);
    for (size_t b = 0; b < dim; b++) start[b] = 1.0;
    for (int q = 0; q < NS; q++) {
        double s = 0.0125 + 0.975 * q / (NS - 1), ev[2];
        SpinTfim t = {N, ep, s, 1.0};
        lanczos_lowest(dim, spin_tfim_matvec, &t, start, 120, 2, ev);
        ss[q] = s, l0[q] = ev[0], l1[q] = ev[1], gap[q] = ev[1] - ev[0];
        if (gap[q] < gmin) gmin = gap[q], smin = s;
    }
    printf("SK N = 10: min gap %.4f at s = %.3f (41-point scan)\n", gmin, smin);
    Plot *p = plot_new_grid(1, 2, 1200, 480, "SK instance N = 10: the two lowest levels of H(s)");
    plot_panel(p, 0);
    plot_line(p, ss, l0, NS, "E0(s)");
    plot_line(p, ss, l1, NS, "E1(s)");
    plot_xlabel(p, "s");
    plot_panel(p, 1);
    plot_line(p, ss, gap, NS, "gap E1 - E0");
    plot_xlabel(p, "s");
    save(p, cli, "spectrum_vs_s.png");
    const double taus[7] = {1, 3, 10, 30, 100, 300, 1000};
    double pg[7];
    int ntau = cli->scale == SCALE_QUICK ? 5 : 7;
    fft_cplx *psi = xmalloc(sizeof(fft_cplx) * dim);
    SpinWht *w = spin_wht_new(N);
    for (int q = 0; q < ntau; q++) {
        for (size_t b = 0; b < dim; b++) psi[b] = pow(2.0, -0.5 * N);
        int steps = (int)fmax(200, 20 * taus[q]);
        for (int k = 0; k < steps; k++) spin_anneal_step(w, N, ep, (k + 0.5) / steps, 1.0, taus[q] / steps, psi);
        pg[q] = creal(psi[gs] * conj(psi[gs]));
        printf("tau = %6g: P_gs = %.6f\n", taus[q], pg[q]);
    }
    double tau_ad = 10.0 / (gmin * gmin);
    int qa = 0;
    while (qa < ntau - 1 && taus[qa] < tau_ad) qa++;
    printf("adiabatic scale 10/gap_min^2 = %.1f\n", tau_ad);
    // the amplitudes along the run at taus[qa], basis states sorted by E_P
    enum { NSNAP = 100 };
    size_t *order = xmalloc(sizeof(size_t) * dim);
    for (size_t b = 0; b < dim; b++) order[b] = b;
    for (size_t a = 1; a < dim; a++) /* insertion sort by E_P (1024 states) */
        for (size_t b = a; b > 0 && ep[order[b]] < ep[order[b - 1]]; b--) {
            size_t tmp = order[b];
            order[b] = order[b - 1], order[b - 1] = tmp;
        }
    double *heat = xmalloc(sizeof(double) * dim * NSNAP);
    for (size_t b = 0; b < dim; b++) psi[b] = pow(2.0, -0.5 * N);
    const int steps = (int)fmax(200, 20 * taus[qa]) / NSNAP * NSNAP;
    for (int k = 0; k < steps; k++) {
        spin_anneal_step(w, N, ep, (k + 0.5) / steps, 1.0, taus[qa] / steps, psi);
        if ((k + 1) % (steps / NSNAP) == 0)
            for (size_t j = 0; j < dim; j++) {
                const fft_cplx a = psi[order[j]];
                //: $\log_{10}\lvert\psi_b(s)\rvert^2$, row $j$ = the $j$-th lowest $E_P$
                heat[j * NSNAP + (size_t)((k + 1) / (steps / NSNAP) - 1)] = log10(creal(a * conj(a)) + 1e-12);
            }
    }
    printf("amplitude map: tau = %g, %d steps; final P(row 0) = %.6f\n", taus[qa], steps, pow(10, heat[NSNAP - 1]));
    char title[128];
    snprintf(title, sizeof title, "SK N = 10, tau = %g: log10 |psi_b(s)|^2, basis states sorted by E_P", taus[qa]);
    p = plot_new(900, 600, title);
    plot_heatmap(p, heat, NSNAP, (int)dim, 0.01, 1.0, 0, (double)dim - 1, "log10 probability");
    plot_xlabel(p, "s = t / tau");
    plot_ylabel(p, "rank of E_P(b) (0 = classical ground state)");
    save(p, cli, "amplitudes_heatmap.png");
    free(order), free(heat);
    check_ge("N2.B7.sk_adiabatic", pg[qa], 0.9, 0, NULL,
             "P_gs at tau = %g >= 10/gap_min^2 = %.1f exceeds 0.9 (adiabatic theorem)", taus[qa], tau_ad);
    p = plot_new(800, 500, "SK N = 10: final ground-state probability vs anneal time");
    plot_series_marker(plot_scatter(p, taus, pg, ntau, "P_gs(tau), state vector"), 4);
    plot_vline(p, tau_ad, "10 / gap_min^2");
    plot_xlabel(p, "tau");
    plot_ylabel(p, "P_gs");
    save(p, cli, "fidelity_vs_tau.png");
    spin_wht_free(w);
    free(J), free(ep), free(start), free(psi);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B7: exact state-vector quantum annealing of transverse-field Ising models (FFTW WHT)", 207, NULL);
    section_wht();
    section_ring(&cli);
    section_bdg(&cli);
    section_lz_kz(&cli);
    section_sk(&cli);
    return check_end();
}
