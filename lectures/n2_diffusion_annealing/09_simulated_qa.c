/*: # N2 B8.7 — Simulated quantum annealing: path-integral Monte Carlo on the spike instances

**Study note, bridge lecture B-II, program B8, item 7(c)** (spec N004 §3.2 B8.7). Program 08
showed that a stoquastic transverse-field Hamiltonian has a sign-free classical representation
(the Suzuki–Trotter identity, eq. [eq:N2.B8.trotter]). This program *samples* it: simulated
quantum annealing (SQA) is Metropolis Monte Carlo on $P$ coupled replicas ("Trotter slices")
of the $n$ spins while the transverse field is lowered. It runs on the *same* Hamming-weight
spike instances as SA and QA in 08 (common/spike.h) and asks how its success probability
compares with theirs.

What you will see:

* the Trotterised partition function of the spike Hamiltonian (transfer matrix on all $2^n$
  states, FFTW's Walsh–Hadamard transform) converging to the exact one (exact diagonalisation
  sector by sector of total spin, common/tridiag.h) at the rate $P^{-2}$;
* the path-integral sampler reproducing the transfer matrix's $\langle E\rangle_P$ at fixed
  $s$, within 4 Monte-Carlo standard errors over independent replicas;
* SQA's final success probability $P(w = 0)$ on the thin spike and the wide barrier at
  $n = 32$, next to SA's (exact chain, the same number of spin updates) and QA's (Dicke state
  vector). SQA wins clearly on the thin spike and loses to SA on the wide barrier, like QA;
* the same comparison at $n$ = 16, 32, 48: on the thin spike SQA's success decays with $n$ at a
  third of SA's rate per spin.
  Figures: `sqa_trotter.png`, `sqa_success.png`, `sqa_scaling.png`.

Run: `build/release/bin/lectures/n2_diffusion_annealing/09_simulated_qa [--quick | --full] [--threads N]`.
Every replica draws from its own Philox stream, so the output does not depend on `--threads`.

| symbol | C name | shape |
|---|---|---|
| $n$, $w$ | `n`, `w` | integers |
| $P$ (Trotter slices) | `P` | integer |
| $s$, $\Gamma = 1 - s$ | `s`, `gam` | scalars |
| $\beta$ | `beta` | scalar |
| $J_\perp$ | `jperp` | scalar |
| slice $k$ of a replica | `z[k]` (bit $i$ = 1: spin $i$ is a one) | $P$ words of 64 bits |
| $Z$, $Z_P$ | `z_exact`, `z_trot` | scalars |
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/spike.h"
#include "common/spin_chain.h"
#include "common/tridiag.h"
#include "common/util.h"

static void save(Plot *p, const Cli *cli, const char *name) {
    char err[256];
    if (plot_save(p, cli_out_path(cli, name), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

static double log_binom(int n, int k) { return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0); }

/*: ## 1. The exact and the Trotterised partition function of $H(s)$

$H(s) = -(1-s)\sum_i\sigma^x_i + s\,E(w)$ commutes with every permutation of the spins, so it
is block diagonal in the total spin $j$: the block of spin $j$ (weights $w = n/2-j,\dots,n/2+j$)
is tridiagonal with off-diagonal $-(1-s)\sqrt{j(j+1)-m(m+1)}$, $m = w - n/2$, and occurs
$d_j = \binom{n}{n/2-j} - \binom{n}{n/2-j-1}$ times. Hence

$$ Z = \mathrm{Tr}\,e^{-\beta H} = \sum_j d_j\sum_{\lambda\in\mathrm{spec}H_j}e^{-\beta\lambda} . $$ {#eq:N2.B87.sectors}

The Trotterised $Z_P = \mathrm{Tr}[(e^{-\beta sE/P}e^{\beta(1-s)\sum\sigma^x/P})^P]$ is computed
independently on all $2^n$ states, with $e^{a\sum\sigma^x}$ diagonal after the Walsh–Hadamard
transform. Under the trace the product is a symmetric splitting, so $Z_P - Z = O(P^{-2})$.
The same loop gives the Trotterised mean energy of one slice,
$\langle E\rangle_P = \sum_b E(b)\,[(e^{-\beta sE/P}e^{\beta(1-s)\sum\sigma^x/P})^P]_{bb}/Z_P$,
the reference for the sampler of section 2.
*/
static double z_sectors(SpikeKind inst, int n, double s, double beta) {
    double z = 0, *d = xmalloc(sizeof(double) * (n + 1)), *e = xmalloc(sizeof(double) * (n + 1));
    for (int j2 = n % 2; j2 <= n; j2 += 2) { /* j2 = 2j */
        int wlo = (n - j2) / 2, m = j2 + 1;
        double j = 0.5 * j2;
        for (int a = 0; a < m; a++) {
            double mm = wlo + a - 0.5 * n;
            d[a] = s * spike_cost(inst, n, wlo + a);
            //: $\langle m+1\rvert\sum_i\sigma^x_i\lvert m\rangle = \sqrt{j(j+1) - m(m+1)}$ in the block of spin $j$
            if (a < m - 1) e[a] = -(1 - s) * sqrt(j * (j + 1) - mm * (mm + 1));
        }
        double dj = exp(log_binom(n, wlo)) - (wlo > 0 ? exp(log_binom(n, wlo - 1)) : 0);
        for (int a = 0; a < m; a++)
            //: eq. [eq:N2.B87.sectors]
            z += dj * exp(-beta * tridiag_eigenvalue(m, d, e, a));
    }
    free(d), free(e);
    return z;
}

static double z_trotter(SpikeKind inst, int n, double s, double beta, int P, SpinWht *wht, double *e_mean) {
    const size_t dim = (size_t)1 << n;
    fft_cplx *v = xmalloc(sizeof(fft_cplx) * dim);
    double z = 0, ez = 0;
    for (size_t b0 = 0; b0 < dim; b0++) {
        memset(v, 0, sizeof(fft_cplx) * dim);
        v[b0] = 1;
        for (int k = 0; k < P; k++) {
            //: $e^{\beta(1-s)\sum\sigma^x/P}$: diagonal $e^{(\beta(1-s)/P)\sum_iz_i}$ after the WHT
            spin_wht_apply(wht, v);
            for (size_t b = 0; b < dim; b++) v[b] *= exp(beta * (1 - s) / P * (n - 2.0 * __builtin_popcountll((unsigned long long)b)));
            spin_wht_apply(wht, v);
            //: $e^{-\beta sE/P}$
            for (size_t b = 0; b < dim; b++) v[b] *= exp(-beta * s / P * spike_cost(inst, n, __builtin_popcountll((unsigned long long)b)));
        }
        z += creal(v[b0]);
        ez += spike_cost(inst, n, __builtin_popcountll((unsigned long long)b0)) * creal(v[b0]);
    }
    free(v);
    *e_mean = ez / z;
    return z;
}

static void section_trotter(const Cli *cli) {
    const int n = cli->scale == SCALE_QUICK ? 6 : 8;
    const double s = 0.5, beta = 2.0;
    SpinWht *wht = spin_wht_new(n);
    double z_exact = z_sectors(SPIKE_THIN, n, s, beta), Ps[5] = {4, 8, 16, 32, 64}, err[5], em;
    for (int k = 0; k < 5; k++) {
        double z_trot = z_trotter(SPIKE_THIN, n, s, beta, (int)Ps[k], wht, &em);
        err[k] = fabs(z_trot - z_exact) / z_exact;
        printf("thin spike n = %d, s = %.1f, beta = %.1f, P = %2g: Z_P = %.10e, |Z_P - Z|/Z = %.3e\n", n, s, beta, Ps[k], z_trot, err[k]);
    }
    double slope = (log(err[4]) - log(err[2])) / (log(Ps[4]) - log(Ps[2]));
    check_close("N2.B87.trotter_order", slope, -2, 0.1, "N2.B87.sectors",
                "thin spike n = %d: log-log slope of |Z_P - Z|/Z between P = 16 and 64 (Z by spin sectors, Z_P on all 2^n states)", n);
    // the P -> infinity limit: Richardson extrapolation of Z_P in P^-2 equals the sector sum
    double z32 = z_trotter(SPIKE_THIN, n, s, beta, 32, wht, &em), z64 = z_trotter(SPIKE_THIN, n, s, beta, 64, wht, &em);
    check_rel("N2.B87.trotter_limit", (4 * z64 - z32) / 3, z_exact, 1e-5, "N2.B87.sectors",
              "Richardson (4 Z_64 - Z_32)/3 vs the exact Z = %.10e", z_exact);
    Plot *p = plot_new(700, 450, "spike Hamiltonian: Trotter error of Z_P");
    plot_ylog(p, 1);
    plot_line(p, Ps, err, 5, "|Z_P - Z| / Z");
    plot_xlabel(p, "Trotter slices P");
    save(p, cli, "sqa_trotter.png");
    spin_wht_free(wht);
}

/*: ## 2. The path-integral sampler

By eq. [eq:N2.B8.trotter] with $J_{ij}$ replaced by the weight-dependent cost, a configuration
$z = (z^1,\dots,z^P)$ of $P$ slices has the sign-free weight

$$ \pi_P(z) \propto \exp\Big(-\frac{\beta s}{P}\sum_kE(w(z^k)) + J_\perp\sum_k\sum_i\sigma_i^k\sigma_i^{k+1}\Big),\qquad
   J_\perp = -\tfrac12\ln\tanh\frac{\beta(1-s)}{P}, $$ {#eq:N2.B87.action}

periodic in $k$. A sweep is $nP$ single-spin Metropolis updates (a random slice and spin) and
$n$ world-line updates (spin $i$ flipped in every slice at once, which leaves the $J_\perp$ term
unchanged and lets a spin move when $J_\perp$ is large). The sampler is checked against the
transfer matrix at fixed $s$: $R$ independent replicas (one Philox stream each), each
equilibrated and then averaged over time; the standard error is over replicas, so the
autocorrelation inside a replica does not enter it.
*/
typedef struct {
    int n, P;
    uint64_t *z;
    int *w;
} Paths;

static void sweep(Paths *x, SpikeKind inst, double s, double beta, Rng *rng) {
    const int n = x->n, P = x->P;
    const double a = beta * s / P, jperp = -0.5 * log(tanh(beta * (1 - s) / P));
    for (int u = 0; u < n * P; u++) {
        int k = (int)rng_below(rng, (uint32_t)P), i = (int)rng_below(rng, (uint32_t)n);
        uint64_t bit = (uint64_t)1 << i;
        int one = (x->z[k] & bit) != 0, w2 = x->w[k] + (one ? -1 : 1);
        int same = ((x->z[(k + P - 1) % P] & bit) != 0) == one;
        same += ((x->z[(k + 1) % P] & bit) != 0) == one;
        //: eq. [eq:N2.B87.action]: flipping $\sigma^k_i$ changes $\sum\sigma^k_i\sigma^{k\pm1}_i$ by $-2(\text{same} - \text{different})$
        double dlog = -a * (spike_cost(inst, n, w2) - spike_cost(inst, n, x->w[k])) - 2 * jperp * (2 * same - 2);
        if (dlog >= 0 || rng_uniform(rng) < exp(dlog)) x->z[k] ^= bit, x->w[k] = w2;
    }
    for (int i = 0; i < n; i++) {
        uint64_t bit = (uint64_t)1 << i;
        double dlog = 0;
        //: world-line move: only the diagonal term of eq. [eq:N2.B87.action] changes
        for (int k = 0; k < P; k++)
            dlog -= a * (spike_cost(inst, n, x->w[k] + ((x->z[k] & bit) ? -1 : 1)) - spike_cost(inst, n, x->w[k]));
        if (dlog >= 0 || rng_uniform(rng) < exp(dlog))
            for (int k = 0; k < P; k++) x->w[k] += (x->z[k] & bit) ? -1 : 1, x->z[k] ^= bit;
    }
}

static void paths_init(Paths *x, int n, int P, Rng *rng) {
    x->n = n, x->P = P;
    x->z = xmalloc(sizeof(uint64_t) * P), x->w = xmalloc(sizeof(int) * P);
    for (int k = 0; k < P; k++) {
        x->z[k] = rng_u64(rng) & (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1));
        x->w[k] = __builtin_popcountll((unsigned long long)x->z[k]);
    }
}

static void paths_free(Paths *x) { free(x->z), free(x->w); }

static void section_sampler(const Cli *cli) {
    const int n = 8, P = 8, R = (int)cli_scale(cli, 64, 256, 1024), burn = 200, meas = (int)cli_scale(cli, 100, 400, 1000);
    const double s = 0.5, beta = 2.0;
    SpinWht *wht = spin_wht_new(n);
    double e_ref;
    z_trotter(SPIKE_THIN, n, s, beta, P, wht, &e_ref);
    spin_wht_free(wht);
    double *rep = xmalloc(sizeof(double) * R);
#pragma omp parallel for schedule(dynamic)
    for (int r = 0; r < R; r++) {
        Rng rng;
        rng_init(&rng, cli->seed, 1000 + (uint64_t)r);
        Paths x;
        paths_init(&x, n, P, &rng);
        for (int t = 0; t < burn; t++) sweep(&x, SPIKE_THIN, s, beta, &rng);
        double acc = 0;
        for (int t = 0; t < meas; t++) {
            sweep(&x, SPIKE_THIN, s, beta, &rng);
            for (int k = 0; k < P; k++) acc += spike_cost(SPIKE_THIN, n, x.w[k]);
        }
        rep[r] = acc / ((double)meas * P);
        paths_free(&x);
    }
    double mean = 0, var = 0;
    for (int r = 0; r < R; r++) mean += rep[r] / R;
    for (int r = 0; r < R; r++) var += (rep[r] - mean) * (rep[r] - mean) / (R - 1);
    check_mc("N2.B87.pimc_energy", mean, e_ref, sqrt(var / R), 4, R, "N2.B87.action",
             "thin spike n = %d, P = %d, s = %.1f, beta = %.1f: PIMC <E> (replica means, %d sweeps each) vs the transfer matrix", n, P, s, beta, meas);
    free(rep);
}

/*: ## 3. Annealing: SQA against SA and QA on the same instances

SQA lowers the transverse field along $s_t = s_0 + (s_1 - s_0)t/S$ over $S$ sweeps at fixed
$\beta$ and $P$, from independent random slices. The read-out takes slice 1 at the end and
descends greedily in $E$ (flip a spin while that lowers the cost): at $\beta = 8$ the final
slice still carries a few thermal excitations, and what matters is on which side of the
barrier it ended. Success is $w = 0$ after the descent.
SA (08, section 3), which ends at $T = 0.05$ and so needs no read-out, is given the same number of single-spin updates, $SP$ sweeps of $n$, and
its success probability is exact (the birth–death chain on $w$, no sampling noise). QA's is
the Dicke state vector's $P(w = 0)$ after time $\tau$. The time units of the three are not
commensurable; what is compared is how each fares on a thin barrier and a wide one.
*/
static double sqa_run(SpikeKind inst, int n, int P, double beta, int S, double s0, double s1, int R, uint64_t seed,
                      uint64_t stream0) {
    int *hit = xcalloc((size_t)R, sizeof(int));
#pragma omp parallel for schedule(dynamic)
    for (int r = 0; r < R; r++) {
        Rng rng;
        rng_init(&rng, seed, stream0 + (uint64_t)r);
        Paths x;
        paths_init(&x, n, P, &rng);
        for (int t = 0; t < S; t++) sweep(&x, inst, s0 + (s1 - s0) * (t + 0.5) / S, beta, &rng);
        int w = x.w[0];
        //: read-out: greedy single-flip descent of slice 1's cost
        while (w > 0 && spike_cost(inst, n, w - 1) < spike_cost(inst, n, w)) w--;
        hit[r] = w == 0;
        paths_free(&x);
    }
    int h = 0;
    for (int r = 0; r < R; r++) h += hit[r];
    free(hit);
    return (double)h / R;
}

static int section_anneal(const Cli *cli, double sqa[2]) {
    const int n = 32, P = 32, S = (int)cli_scale(cli, 150, 300, 1000), R = (int)cli_scale(cli, 128, 256, 2000);
    const double beta = 8.0, s0 = 0.05, s1 = 0.95;
    const SpikeKind kinds[2] = {SPIKE_THIN, SPIKE_WIDE};
    double sa[2], qa[2];
    for (int q = 0; q < 2; q++) {
        sqa[q] = sqa_run(kinds[q], n, P, beta, S, s0, s1, R, cli->seed, 100000 * (uint64_t)(q + 1));
        sa[q] = spike_sa_exact(kinds[q], n, S * P);
        qa[q] = spike_qa_success(kinds[q], n, 100.0);
        printf("%s n = %d: SQA (P = %d, beta = %g, %d sweeps, %d replicas) P(w=0) = %.4f;  SA exact (%d sweeps) %.3e;  QA (tau = 100) %.4f\n",
               q ? "wide " : "thin ", n, P, beta, S, R, sqa[q], S * P, sa[q], qa[q]);
    }
    // thin: is SQA's rate above SA's? SE under the null hypothesis "SQA's rate = SA's"
    double se0 = sqrt(sa[0] * (1 - sa[0]) / R);
    check_ge("N2.B87.sqa_beats_sa_thin", sqa[0], sa[0] + 4 * se0, 0, "N2.B87.action",
             "thin spike n = 32: SQA success %.4f (%d replicas) vs SA's exact %.2e + 4 SE (SE %.4f under SQA = SA); ratio %.0f",
             sqa[0], R, sa[0], se0, sqa[0] / sa[0]);
    // wide: SA's exact rate above SQA's, by 4 SE of the SQA estimate
    double se1 = sqrt(fmax(sqa[1] * (1 - sqa[1]), 1.0 / R) / R);
    if (cli->scale != SCALE_QUICK)
        check_ge("N2.B87.sa_beats_sqa_wide", sa[1] - sqa[1], 4 * se1, 0, "N2.B87.action",
                 "wide barrier n = 32: SA's exact success %.4f exceeds SQA's %.4f by 4 SE (SE %.4f, %d replicas)", sa[1], sqa[1], se1, R);
    printf("TIME UNITS: SQA sweeps (n P updates), SA sweeps (n updates) and QA's tau are not commensurable; SA gets SQA's spin-update count.\n");
    double xs[2] = {0, 1};
    Plot *p = plot_new(700, 450, "n = 32: success P(w = 0) at x = 0: thin spike, x = 1: wide barrier");
    plot_ylog(p, 1);
    plot_series_marker(plot_scatter(p, xs, sqa, 2, "SQA (P = 32, beta = 8)"), 7);
    plot_series_marker(plot_scatter(p, xs, sa, 2, "SA (exact chain, same spin updates)"), 7);
    plot_series_marker(plot_scatter(p, xs, qa, 2, "QA (Dicke, tau = 100)"), 7);
    save(p, cli, "sqa_success.png");
    return R;
}

/*: ## 3b. SQA's scaling in $n$

The comparison of section 3 at one size says nothing about how the advantage grows. Here the
same SQA run ($P = 32$, $\beta = 8$, $S$ sweeps from $s = 0.05$ to 0.95, greedy read-out) is
repeated on both instances at $n$ = 16 and 48 (the wide barrier needs $16 \mid n$; $n = 32$ is
section 3's run), beside SA's exact success at the same number of spin updates and QA's at
$\tau = 100$. For each instance the program measures the decay rate of $\ln P(w=0)$ per spin
between $n_1 = 16$ and $n_2 = 48$,

$$ \gamma = -\frac{\ln P_{n_2} - \ln P_{n_1}}{n_2 - n_1}, $$ {#eq:N2.B87.decay_rate}

for SQA (its binomial standard error carried through the logarithm, $\mathrm{se}(\ln\hat P) =
\sqrt{(1-\hat P)/(R\hat P)}$) and for SA (exact). At these fixed budgets nothing stays
constant: SQA's success falls with $n$ too, but more slowly than SA's on the thin spike; on
the wide barrier SQA (like QA at fixed $\tau$) loses ground against SA as $n$ grows (figure
`sqa_scaling.png`).
*/
static void section_scaling(const Cli *cli, const double sqa32[2], int R32) {
    enum { NN = 3 };
    const int ns[NN] = {16, 32, 48}, P = 32, S = (int)cli_scale(cli, 150, 300, 1000);
    const int R = (int)cli_scale(cli, 64, 128, 1000), n2 = cli->scale == SCALE_QUICK ? 1 : 2; /* quick: 16 -> 32 */
    const double beta = 8.0;
    const SpikeKind kinds[2] = {SPIKE_THIN, SPIKE_WIDE};
    double sqa[2][NN], sa[2][NN], qa[2][NN], nx[NN], reps[NN] = {R, R32, R};
    for (int q = 0; q < 2; q++)
        for (int j = 0; j <= n2; j++) {
            nx[j] = ns[j];
            sqa[q][j] = j == 1 ? sqa32[q] : sqa_run(kinds[q], ns[j], P, beta, S, 0.05, 0.95, R, cli->seed, 300000 + 100000 * (uint64_t)(2 * j + q));
            sa[q][j] = spike_sa_exact(kinds[q], ns[j], S * P);
            qa[q][j] = spike_qa_success(kinds[q], ns[j], 100.0);
            printf("%s n = %2d: SQA P(w=0) = %.4f (%g replicas);  SA exact %.3e;  QA (tau = 100) %.4f\n", q ? "wide" : "thin", ns[j],
                   sqa[q][j], reps[j], sa[q][j], qa[q][j]);
        }
    const double dn = ns[n2] - ns[0];
    //: eq. [eq:N2.B87.decay_rate] for SQA (with its standard error) and SA, thin spike
    double g_sqa = -(log(sqa[0][n2]) - log(sqa[0][0])) / dn, g_sa = -(log(sa[0][n2]) - log(sa[0][0])) / dn;
    double se_g = sqrt((1 - sqa[0][0]) / (reps[0] * sqa[0][0]) + (1 - sqa[0][n2]) / (reps[n2] * sqa[0][n2])) / dn;
    printf("thin spike, n = %d -> %d: decay rate of ln P(w=0) per spin: SQA %.4f (se %.4f), SA %.4f, QA (tau = 100) %.4f\n", ns[0], ns[n2],
           g_sqa, se_g, g_sa, -(log(qa[0][n2]) - log(qa[0][0])) / dn);
    check_ge("N2.B87.sqa_scaling_thin", g_sa - g_sqa, 4 * se_g, 0, "N2.B87.decay_rate",
             "thin spike, n = %d -> %d: SA's exact decay rate %.4f exceeds SQA's %.4f by 4 SE of SQA's (%.4f): SQA's advantage grows with n",
             ns[0], ns[n2], g_sa, g_sqa, se_g);
    const double se_big = sqrt(sa[0][n2] * (1 - sa[0][n2]) / reps[n2]);
    check_ge("N2.B87.sqa_beats_sa_thin_large_n", sqa[0][n2], sa[0][n2] + 4 * se_big, 0, "N2.B87.action",
             "thin spike n = %d: SQA success %.4f vs SA's exact %.2e + 4 SE under SQA = SA (%.4f)", ns[n2], sqa[0][n2], sa[0][n2], se_big);
    if (sqa[1][n2] > 0)
        printf("wide barrier, n = %d -> %d: decay rate per spin: SQA %.4f, SA %.4f\n", ns[0], ns[n2], -(log(sqa[1][n2]) - log(sqa[1][0])) / dn,
               -(log(sa[1][n2]) - log(sa[1][0])) / dn);
    else
        printf("wide barrier, n = %d: SQA had no success in %g replicas (SA exact %.3e): P(w=0) < 3/%g (95 %%), so its decay rate is at "
               "least %.4f per spin; SA's is %.4f\n",
               ns[n2], reps[n2], sa[1][n2], reps[n2], -(log(3.0 / reps[n2]) - log(sqa[1][0])) / dn, -(log(sa[1][n2]) - log(sa[1][0])) / dn);
    Plot *p = plot_new(800, 500, "success P(w = 0) vs n at fixed budgets (SQA: P = 32, beta = 8; SA: same spin updates; QA: tau = 100)");
    plot_ylog(p, 1);
    plot_ylim(p, 1e-6, 1.5);
    const char *lab[2][3] = {{"SQA thin", "SA thin (exact)", "QA thin"}, {"SQA wide", "SA wide (exact)", "QA wide"}};
    for (int q = 0; q < 2; q++) {
        double y[NN], xs[NN];
        int m = 0;
        for (int j = 0; j <= n2; j++)
            if (sqa[q][j] > 0) xs[m] = nx[j], y[m++] = sqa[q][j]; /* a zero count has no place on a log axis */
        plot_series_marker(plot_line(p, xs, y, m, lab[q][0]), 5);
        plot_series_marker(plot_line(p, nx, sa[q], n2 + 1, lab[q][1]), 4);
        plot_line(p, nx, qa[q], n2 + 1, lab[q][2]);
    }
    plot_xlabel(p, "n");
    save(p, cli, "sqa_scaling.png");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N2 B8.7: simulated quantum annealing by path-integral Monte Carlo", 209, NULL);
    section_trotter(&cli);
    section_sampler(&cli);
    double sqa32[2];
    const int R32 = section_anneal(&cli, sqa32);
    section_scaling(&cli, sqa32, R32);
    return check_end();
}
