/*: # N1 T1, T2 — Lebesgue decomposition and Radon–Nikodym on a mixed law

**Study note, "定理" T1 (Lebesgue decomposition, l.220–235), T2 (Radon–Nikodym, l.237–258),
D8/D9 (density and mass function, l.141–158), D12 (CDF, l.180–182).** The note splits a law on ℝ
as $P_X = P_{abs} + P_{sing} + P_{dis}$ and then works with the density of $P_{abs}$ only. This
program builds one law with all three parts,
$$ P = 0.2\,\delta_0 + 0.1\,\delta_1 + 0.5\,\mathcal N(0,1) + 0.2\,C_{[2,3]}, $$ {#eq:N1.T1.mixed_law}
($C_{[2,3]}$ the Cantor measure moved to $[2,3]$, common/cantor.h), and tests each part.

What you will see: a Kolmogorov–Smirnov test of samples against the exact CDF; the atoms found as
exact ties; the Cantor part living on covers of vanishing length; bin masses going to 0 while bin
densities blow up (continuous *and* singular); the Radon–Nikodym density as the derivative of the
CDF off the singular set, and with respect to $\lambda+\delta_0+\delta_1$; the Fourier transform
of the singular part not decaying. ERRATUM lines: the note's CDF "integral of the density" (E12)
and its density integrating to 1 (E11). Figures: `cdf.png` (the CDF with its jumps and staircase,
and the Cantor part's histogram), `cantor_power_spectrum.png` (the FFTW power spectrum of the
binned Cantor part, which does not decay).

Run: `build/release/bin/lectures/n1_sohl_dickstein/02_lebesgue_decomposition [--quick|--full]`.

| symbol | C name | shape |
|---|---|---|
| $F(x) = P((-\infty,x])$ | `cdf_mixed(x)` | scalar |
| $F_{dis}, F_{sing}, F_{abs}$ | `cdf_dis`, `cdf_sing`, `cdf_abs` | scalar |
| samples $X_i$, component labels | `xs`, `part` | (n) |
| $n$ | `n` | $10^5$ / $10^6$ / $10^7$ |
*/
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cantor.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double W_ATOM0 = 0.2, W_ATOM1 = 0.1, W_ABS = 0.5, W_SING = 0.2;
enum { PART_ATOM0, PART_ATOM1, PART_ABS, PART_SING };

static double phi(double x) { return exp(-0.5 * x * x) / sqrt(2.0 * M_PI); }
static double Phi(double x) { return 0.5 * erfc(-x / M_SQRT2); }

/*: ## T1 the three parts and the CDF

Discrete part $P_{dis} = \sum_i a_i\delta_{p_i}$ (weights $a_i\ge0$ at locations $p_i$; the note
writes the weights and the locations with the same letter, E15), absolutely continuous part with
sub-probability density $0.5\varphi$, singular part $0.2\,C_{[2,3]}$. The CDF is the sum of the
parts' CDFs:
$$ F(x) = 0.2\,\mathbf 1_{x\ge0} + 0.1\,\mathbf 1_{x\ge1} + 0.5\,\Phi(x) + 0.2\,F_C(x-2) . $$ {#eq:N1.T1.cdf}
*/
static double cdf_dis(double x) { return W_ATOM0 * (x >= 0.0) + W_ATOM1 * (x >= 1.0); }
static double cdf_abs(double x) { return W_ABS * Phi(x); }
static double cdf_sing(double x) { return W_SING * cantor_cdf(x - 2.0); }
//: eq. [eq:N1.T1.cdf]
static double cdf_mixed(double x) { return cdf_dis(x) + cdf_abs(x) + cdf_sing(x); }
static double atom_at(double x) { return W_ATOM0 * (x == 0.0) + W_ATOM1 * (x == 1.0); }

static double sample_mixed(Rng *r, int *part) {
    double u = rng_uniform(r);
    //: pick the part with probabilities (0.2, 0.1, 0.5, 0.2), eq. [eq:N1.T1.mixed_law]
    if (u < W_ATOM0) return *part = PART_ATOM0, 0.0;
    if (u < W_ATOM0 + W_ATOM1) return *part = PART_ATOM1, 1.0;
    if (u < W_ATOM0 + W_ATOM1 + W_ABS) return *part = PART_ABS, rng_normal(r);
    return *part = PART_SING, 2.0 + cantor_sample(r);
}

/*: ## Samples against the exact CDF (Kolmogorov–Smirnov)

$D_n = \sup_x |F_n(x) - F(x)|$, evaluated at every distinct sample value $v$ on both sides,
$F(v^-) = F(v) - P(\{v\})$. For a continuous $F$, $P(\sqrt n D_n > 1.95)\approx 0.001$; with atoms
$D_n$ is stochastically smaller, so the bound stays valid.
*/
static double ks_distance(double *xs, size_t n) {
    qsort(xs, n, sizeof *xs, stats_cmp_double);
    double d = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && xs[j] == xs[i]) j++;
        double f = cdf_mixed(xs[i]), f_left = f - atom_at(xs[i]);
        d = fmax(d, fmax(fabs((double)j / n - f), fabs((double)i / n - f_left)));
        i = j;
    }
    return d;
}

/*: ## The singular part: no atoms, no density

The level-$k$ cover of the Cantor set, $2^k$ intervals of length $3^{-k}$, has Lebesgue measure
$$ \lambda(\text{cover}_k) = (2/3)^k \to 0 $$ {#eq:N1.T1.cover_measure}
and carries all of $C$: in the limit $\lambda(A)=0$ and $P_{sing}(A^c)=0$ (T1's definition of
singular). On the triadic grid of width $3^{-k}$ the largest bin *mass* of $C$ is $2^{-k}$ (so no
atoms) and the largest bin *density* is $(3/2)^k$ (so no density): successive levels divide the
mass by 2 and multiply the density by 3/2.
*/
static void cover_measure(int k, double left, double len, double *measure, double *mass) {
    if (k == 0) {
        *measure += len;
        //: $C(I) = F_C(\text{right}) - F_C(\text{left})$ on each cover interval
        *mass += cantor_cdf(left + len) - cantor_cdf(left);
        return;
    }
    cover_measure(k - 1, left, len / 3.0, measure, mass);
    cover_measure(k - 1, left + 2.0 * len / 3.0, len / 3.0, measure, mass);
}

/* Distance from y in [0,1] to the level-k cover (0 inside). */
static double dist_to_cover(double y, int k) {
    double lo = 0.0, len = 1.0;
    for (int level = 0; level < k; level++) {
        double third = len / 3.0;
        if (y >= lo + 2.0 * third) lo += 2.0 * third;
        else if (y >= lo + third) return fmin(y - (lo + third), lo + 2.0 * third - y);
        len = third;
    }
    return 0.0;
}

static void max_bin(int k, double *max_mass, double *max_density) {
    long nb = lround(pow(3.0, k));
    double w = 1.0 / (double)nb;
    *max_mass = 0.0;
    for (long b = 0; b < nb; b++)
        *max_mass = fmax(*max_mass, cantor_cdf((b + 1) * w) - cantor_cdf(b * w));
    *max_density = *max_mass / w;
}

static void singular_part(const double *sing, size_t n_sing) {
    const int k_cover = 12;
    double measure = 0.0, mass = 0.0;
    cover_measure(k_cover, 0.0, 1.0, &measure, &mass);
    check_rel("N1.T1.cover_lebesgue", measure, pow(2.0 / 3.0, k_cover), 1e-12, "N1.T1.cover_measure",
              "Lebesgue measure of the level-12 cover = (2/3)^12 = 7.7e-3 (sum of 4096 lengths)");
    /* F_C is Hoelder-(log2/log3): a rounding of the endpoints by 2^-53 moves F_C by <= 3.4e-10 */
    const double holder = 2.0 * pow(3.0 * ldexp(1.0, -53), log(2.0) / log(3.0));
    check_close("N1.T1.cover_carries_all", mass, 1.0, 4096 * 2 * holder, "N1.T1.cover_measure",
                "Cantor mass of the level-12 cover from the exact CDF (rounding of 8192 endpoints)");
    double far = 0.0;
    for (size_t i = 0; i < n_sing; i++) far = fmax(far, dist_to_cover(sing[i] - 2.0, 20));
    /* a sample is a 34-digit sum rounded to a double, then shifted by 2: within ~4 ulp(2) = 1.8e-15 */
    check_close("N1.T1.samples_in_cover", far, 0.0, 4 * ldexp(1.0, -51), "N1.T1.cover_measure",
                "max distance of singular-part samples to the level-20 cover (measure (2/3)^20 = 3e-4)");
    double m11, d11, m12, d12;
    max_bin(11, &m11, &d11);
    max_bin(12, &m12, &d12);
    check_close("N1.T1.bin_mass_ratio", m12 / m11, 0.5, 4 * holder / m12, "N1.T1.cover_measure",
                "largest triadic bin mass, level 12 / level 11 (-> 0: no atom)");
    check_close("N1.T1.bin_density_ratio", d12 / d11, 1.5, 12 * holder / m12, "N1.T1.cover_measure",
                "largest triadic bin density, level 12 / level 11 (-> inf: no density)");
    printf("largest bin of C at level 12: mass %.3e (0.2 x this in P), density %.1f\n", m12, d12);
    /* chi-square of the samples over the 256 level-8 cover intervals, expected n 2^-8 each */
    enum { K8 = 8, NB = 1 << K8 };
    double counts[NB] = {0};
    for (size_t i = 0; i < n_sing; i++) {
        double y = sing[i] - 2.0;
        int idx = 0;
        for (int k = 0; k < K8; k++) {
            y *= 3.0;
            int d = (int)y;
            y -= d;
            idx = 2 * idx + (d == 2);
        }
        counts[idx]++;
    }
    double chi2 = 0.0, e = (double)n_sing / NB;
    for (int b = 0; b < NB; b++) chi2 += (counts[b] - e) * (counts[b] - e) / e;
    check_in("N1.T1.chi2_level8", chi2, (NB - 1) - 5.0 * sqrt(2.0 * (NB - 1)),
             (NB - 1) + 5.0 * sqrt(2.0 * (NB - 1)), "N1.T1.cover_measure",
             "chi-square of singular samples over the 256 level-8 intervals (df 255, +-5 sd)");
}

/*: ## T2 Radon–Nikodym: the density is the derivative of $F$ off the singular set

For $P_{abs}\ll\lambda$ there is $p_{abs} = dP_{abs}/d\lambda$ with
$$ P_{abs}((-\infty,x]) = \int_{-\infty}^x p_{abs}(t)\,dt,\qquad p_{abs} = 0.5\,\varphi . $$ {#eq:N1.T2.radon_nikodym}
Away from the atoms and the Cantor set, the central difference of $F$ itself recovers
$0.5\varphi$ with error $\tfrac{h^2}{6}\max|0.5\varphi'''| < 10^{-7}$ at $h=10^{-3}$; the centres
of the removed middle thirds in $[2,3]$ are such points too. At a point of the Cantor set (here
$2\tfrac14$, with $F_C(\tfrac29+\tfrac y9) = \tfrac14+\tfrac14F_C(y)$) the difference quotient
grows by $9/4$ for every two ternary levels: no density there. With respect to
$\nu = \lambda + \delta_0 + \delta_1$ one formula covers the "pdf" and the "pmf" of D8/D9:
$dP/d\nu = 0.2$ at 0, $0.1$ at 1, $0.5\varphi$ elsewhere.
*/
static void radon_nikodym(void) {
    const double h = 1e-3;
    double err = 0.0;
    for (int i = 0; i <= 800; i++) {
        double x = -4.0 + 0.01 * i;
        if (fabs(x) < 2 * h || fabs(x - 1.0) < 2 * h || (x > 2.0 - 2 * h && x < 3.0 + 2 * h)) continue;
        //: $p_{abs}(x) \approx (F(x+h) - F(x-h))/2h$, eq. [eq:N1.T2.radon_nikodym]
        err = fmax(err, fabs((cdf_mixed(x + h) - cdf_mixed(x - h)) / (2 * h) - W_ABS * phi(x)));
    }
    for (int k = 1; k <= 5; k++) { /* centres of removed middle thirds at level k: flat F_C */
        double third = pow(3.0, -k), x = 2.0 + 1.5 * third; /* the leftmost removed interval */
        double hk = 0.4 * third;
        err = fmax(err, fabs((cdf_mixed(x + hk) - cdf_mixed(x - hk)) / (2 * hk) - W_ABS * phi(x)) -
                            hk * hk / 6 * 1.5);
    }
    check_close("N1.T2.density_is_derivative", err, 0.0, 1e-7, "N1.T2.radon_nikodym",
                "max |central difference of F - 0.5 phi| off atoms/Cantor set (incl. 5 gaps in [2,3])");
    double dq[3];
    for (int j = 0; j < 3; j++) {
        double hk = pow(3.0, -(10 + 2 * j));
        dq[j] = (cdf_sing(2.25 + hk) - cdf_sing(2.25)) / hk;
    }
    check_close("N1.T2.cantor_quotient_growth", dq[2] / dq[1], 2.25, 1e-3, "N1.T2.radon_nikodym",
                "difference quotient of F_sing at 2.25: h = 3^-14 over h = 3^-12 (exactly 9/4)");
    printf("difference quotients of F_sing at 2.25: %.1f, %.1f, %.1f (h = 3^-10, 3^-12, 3^-14)\n",
           dq[0], dq[1], dq[2]);
    const double eps = 1e-9;
    //: $dP/d\nu(0) = \lim_{\varepsilon\to0} P((-\varepsilon,\varepsilon]) / \nu((-\varepsilon,\varepsilon])$
    double rn0 = (cdf_mixed(eps) - cdf_mixed(-eps)) / (1.0 + 2 * eps);
    double rn1 = (cdf_mixed(1 + eps) - cdf_mixed(1 - eps)) / (1.0 + 2 * eps);
    check_close("N1.T2.rn_wrt_nu_atom0", rn0, W_ATOM0, 1e-8, "N1.T2.radon_nikodym",
                "dP/dnu at 0 (nu = lambda + delta_0 + delta_1), from the CDF with eps = 1e-9");
    check_close("N1.T2.rn_wrt_nu_atom1", rn1, W_ATOM1, 1e-8, "N1.T2.radon_nikodym",
                "dP/dnu at 1, from the CDF with eps = 1e-9");
}

/*: ## The Fourier signature of a singular measure

By eq. [eq:common.cantor.cf], at $t = 2\pi 3^m$ the factors with $k\le m$ are $\cos(2\pi\cdot\text{integer}) = 1$
and the rest are the same for every $m$: $|\hat C(2\pi3^m)| = \prod_{j\ge1}|\cos(2\pi/3^j)| = 0.3714374$.
A measure with a density has $\hat p(t)\to0$ (Riemann–Lebesgue); this one does not. The empirical
characteristic function of the singular samples is compared with the product.
*/
static void fourier(const double *sing, size_t n_sing) {
    check_close("N1.T1.cantor_cf_value", fabs(cantor_cf_centered(2 * M_PI)), 0.3714374, 5e-8, NULL,
                "|prod_j cos(2 pi / 3^j)| (spec value, 7 digits)");
    const int ms[3] = {0, 4, 8};
    for (int a = 0; a < 3; a++) {
        double t = 2 * M_PI * pow(3.0, ms[a]);
        Welford w;
        welford_init(&w);
        //: $\frac1n\sum_i\cos(t(X_i - 2.5))$, eq. [eq:common.cantor.cf]
        for (size_t i = 0; i < n_sing; i++) welford_push(&w, cos(t * (sing[i] - 2.5)));
        char id[64];
        snprintf(id, sizeof id, "N1.T1.empirical_cf_m%d", ms[a]);
        check_mc(id, w.mean, cantor_cf_centered(t), sqrt(welford_var(&w) / n_sing), 4.0, (long)n_sing,
                 "common.cantor.cf", "empirical CF of the singular part at t = 2 pi 3^%d", ms[a]);
    }
    printf("Gaussian part for comparison: phi_hat(2 pi 3^8) = exp(-t^2/2) = %.1e\n",
           exp(-0.5 * pow(2 * M_PI * 6561, 2)));
}

/*: ## The power spectrum of the binned Cantor part

Binned on the $N = 3^{12}$ intervals of level 12, the Cantor measure puts mass $2^{-12}$ on the
bins whose ternary digits are all 0 or 2 and nothing elsewhere. Its DFT (FFTW, a length FFTW
factors natively) is a finite product,

$$ \Big\lvert\sum_b m_b\,e^{-2\pi ikb/N}\Big\rvert = \prod_{j=1}^{12}\Big\lvert\cos\frac{2\pi k}{3^j}\Big\rvert , $$ {#eq:N1.T1.cantor_dft}

since the level-12 left end points are $\sum_j d_j3^{-j}$ with independent digits $d_j\in\{0,2\}$.
The power spectrum does not decay: at $k = 3^m$ it stays at $0.3714^2 = 0.138$ for $m \le 8$
(near $k = 3^{12}$ the binning truncates the product: 0.147 at $m = 10$) (figure `cantor_power_spectrum.png`, the largest $\lvert\hat m_k\rvert^2$ in log-spaced
bands of $k$), the discrete trace of the non-vanishing characteristic function above.
*/
static void power_spectrum(const Cli *cli) {
    enum { L = 12 };
    const size_t N = 531441; /* 3^12 */
    double *m = xmalloc(sizeof(double) * N), worst_cdf = 0, worst = 0;
    fft_cplx *X = xmalloc(sizeof(fft_cplx) * (N / 2 + 1));
    for (size_t b = 0; b < N; b++) {
        size_t q = b;
        int ok = 1;
        for (int j = 0; j < L; j++, q /= 3) ok &= q % 3 != 1;
        m[b] = ok ? 1.0 / 4096 : 0.0;
        worst_cdf = fmax(worst_cdf, fabs(m[b] - (cantor_cdf((b + 1.0) / N) - cantor_cdf((double)b / N))));
    }
    printf("level-12 bin masses by digits vs cantor_cdf differences: max |diff| = %.1e\n", worst_cdf);
    fft_r2c_forward(N, m, X);
    enum { NB = 120 };
    double kb[NB], pmax[NB];
    for (int i = 0; i < NB; i++) kb[i] = pow(10.0, 5.4 * (i + 1) / NB), pmax[i] = 0;
    for (size_t k = 1; k <= N / 2; k++) {
        double prod = 1;
        size_t p3 = 1;
        for (int j = 1; j <= L; j++) {
            p3 *= 3;
            //: eq. [eq:N1.T1.cantor_dft], the argument reduced exactly: $2\pi(k \bmod 3^j)/3^j$
            prod *= fabs(cos(2 * M_PI * (double)(k % p3) / (double)p3));
        }
        const double a = cabs(X[k]);
        worst = fmax(worst, fabs(a - prod));
        int i = (int)floor(log10((double)k) / 5.4 * NB);
        if (i >= NB) i = NB - 1;
        pmax[i] = fmax(pmax[i], a * a);
    }
    check_close("N1.T1.cantor_dft_product", worst, 0, 1e-12, "N1.T1.cantor_dft",
                "|DFT_k| of the level-12 binned Cantor masses (FFTW, N = 3^12) vs prod_j |cos(2 pi k / 3^j)|, all k <= N/2");
    printf("power spectrum at k = 3^m: ");
    for (int mm = 0; mm < L; mm += 2) printf("m = %d: %.4f  ", mm, pow(cabs(X[(size_t)pow(3, mm)]), 2));
    printf("(0.3714^2 = 0.1380)\n");
    int nb = 0;
    double xk[NB], yk[NB];
    for (int i = 0; i < NB; i++)
        if (pmax[i] > 0) xk[nb] = log10(kb[i]), yk[nb++] = pmax[i];
    Plot *p = plot_new(820, 500, "binned Cantor measure (3^12 bins): largest |DFT_k|^2 per band of k");
    plot_ylog(p, 1);
    plot_line(p, xk, yk, nb, "max |m_hat(k)|^2 in the band");
    plot_hline(p, 0.3714374 * 0.3714374, "|prod_j cos(2 pi / 3^j)|^2 = 0.138");
    plot_xlabel(p, "log10 k");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "cantor_power_spectrum.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(m), free(X);
}

static double half_phi(double x, void *ctx) { (void)ctx; return W_ABS * phi(x); }

/*: ## What the note gets wrong here

D12 (l.180–182) defines the CDF as the integral of the density. For this law that gives
$0.5\Phi(x)$, which misses the jumps and the staircase: $\sup_x|F - 0.5\Phi|$ is printed (E12;
the correct CDF is $P((-\infty,x])$, right-continuous). D8 calls $p_{abs}$ a probability density,
but it integrates to $P_{abs}(\mathbb R) = 0.5$: a sub-probability density (E11).
*/
static void note_errata(void) {
    double sup = 0.0;
    for (int i = 0; i <= 80000; i++) {
        double x = -4.0 + 1e-4 * i;
        sup = fmax(sup, fabs(cdf_mixed(x) - cdf_abs(x)));
    }
    check_erratum("N1.D12.cdf_as_integral", 0.0, sup,
                  "E12: sup_x |F(x) - integral of the density| (note: 0, they coincide)");
    double mass = quad_gauss_legendre_composite(half_phi, NULL, -12.0, 12.0, 20, 48);
    check_close("N1.D8.abs_mass", mass, W_ABS, 1e-12, "N1.T2.radon_nikodym",
                "integral of p_abs over R = P_abs(R) = 0.5 (Gauss-Legendre, 48 panels)");
    check_erratum("N1.D8.density_integrates_to_one", 1.0, mass,
                  "E11: the note's p_{X_abs} is called a probability density; it integrates to 0.5");
}

static void figure(const Cli *cli, const double *sing, size_t n_sing) {
    enum { NX = 3501, K6 = 729 };
    static double x[NX], f[NX], hx[K6], hy[K6];
    for (int i = 0; i < NX; i++) x[i] = -3.0 + 7.0 * i / (NX - 1), f[i] = cdf_mixed(x[i]);
    double *counts = xcalloc(K6, sizeof(double));
    stats_hist1d(sing, n_sing, 2.0, 3.0, K6, counts, 1);
    for (int b = 0; b < K6; b++) hx[b] = 2.0 + (b + 0.5) / K6, hy[b] = counts[b];
    free(counts);
    Plot *p = plot_new_grid(1, 2, 1300, 520, "T1: P = 0.2 d0 + 0.1 d1 + 0.5 N(0,1) + 0.2 Cantor[2,3]");
    plot_panel(p, 0);
    plot_title(p, "CDF F(x): jumps, Gaussian part, devil's staircase");
    plot_line(p, x, f, NX, "F(x)");
    plot_xlabel(p, "x");
    plot_panel(p, 1);
    plot_title(p, "singular part: histogram density, 3^6 bins (log scale)");
    plot_ylog(p, 1);
    plot_scatter(p, hx, hy, K6, "bin density");
    plot_xlabel(p, "x");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "cdf.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/* The atoms, found as exact ties among the samples. */
static void atoms(const double *xs, size_t n) {
    for (int a = 0; a < 2; a++) {
        double mass = a == 0 ? W_ATOM0 : W_ATOM1, at = a;
        size_t ties = 0;
        for (size_t i = 0; i < n; i++) ties += xs[i] == at;
        double frac = (double)ties / n;
        check_mc(a == 0 ? "N1.T1.atom_at_0" : "N1.T1.atom_at_1", frac, mass, sqrt(mass * (1 - mass) / n),
                 4.0, (long)n, "N1.T1.mixed_law", "fraction of samples exactly equal to %g", at);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N1 T1/T2: Lebesgue decomposition and Radon-Nikodym on a mixed law", 402, NULL);
    const size_t n = (size_t)cli_scale(&cli, 100000, 1000000, 10000000);
    double *xs = xmalloc(n * sizeof *xs), *sing = xmalloc(n * sizeof *sing);
    size_t n_part[4] = {0};
    Rng r;
    rng_init(&r, cli.seed, 0);
    for (size_t i = 0; i < n; i++) {
        int part;
        xs[i] = sample_mixed(&r, &part);
        if (part == PART_SING) sing[n_part[PART_SING]] = xs[i];
        n_part[part]++;
    }
    atoms(xs, n);
    double d = ks_distance(xs, n);
    check_le("N1.T1.ks_distance", d, 1.95 / sqrt((double)n), 0.0, "N1.T1.cdf",
             "Kolmogorov-Smirnov sup|F_n - F| <= 1.95/sqrt(n) (0.1%% level)");
    singular_part(sing, n_part[PART_SING]);
    radon_nikodym();
    fourier(sing, n_part[PART_SING]);
    power_spectrum(&cli);
    note_errata();
    figure(&cli, sing, n_part[PART_SING]);
    free(xs);
    free(sing);
    return check_end();
}
