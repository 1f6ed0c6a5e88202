/*: # N2 B6 — Algebraic probability: trace = expectation, Markov kernels as channels, Petz as reverse diffusion

**Study note, bridge lecture B-II, program B6** (spec N004 §3.2 B6; the note's Q1 and Q13). The
note hopes that "algebraic probability" is the language in which diffusion models and quantum
annealing meet. This program gives that hope concrete content. An *algebraic probability
space* is a unital *-algebra $\mathcal A$ with a state $\varphi$ (linear, $\varphi(a^*a)\ge0$,
$\varphi(1) = 1$). Diagonal matrices with $\varphi(f) = \sum_ip_if_i$ are classical probability;
$M_d(\mathbb C)$ with $\varphi(A) = \mathrm{Tr}(\rho A)$ is quantum probability — "the trace is
the expectation" once the trace carries the density matrix $\rho$. In this language a Markov
kernel becomes a quantum channel, the stationary law a fixed state, KL the relative entropy,
and Bayes' reverse kernel (the note's reverse diffusion) the Petz recovery map.

What you will see: positivity and normalisation of a state; the spectral measure of an
observable and its moments; Gibbs states with $\langle H\rangle = -\partial_\beta\log Z$ and
$-\log\rho_\beta = \beta H + \log Z$ (the operator form of "energy = −log-likelihood"); return
probabilities of a random walk from FFTW eigenvalues; a Markov kernel as a channel; the
depolarising channel as a quantum forward diffusion; the Petz map reducing to Bayes; and
free independence changing $\mathrm{tr}((A+B)^4)$ from 10 to 7, and the free OU process whose
fourth free cumulant decays as $-e^{-2t}$. Figures: `cycle_return_prob.png`, `free_ou_cumulants.png`.

Run: `make run L=n2`, or `build/release/bin/lectures/n2_diffusion_annealing/06_algebraic_probability`.

| symbol | C name | shape |
|---|---|---|
| $\rho$, $\sigma$ | `rho`, `sigma` | (d, d) |
| $\varphi(A^*A)$ | `val` | scalar |
| $K$ (column-stochastic) | `K` | (d, d) |
| $\Phi$, $\Phi^\dagger$ | `channel(c, X, false)`, `channel(c, X, true)` | maps |
| $R_{\sigma,\Phi}$ | `petz` | map |
*/
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/spin_chain.h"
#include "common/util.h"


static Mat random_density(Rng *r, int d) {
    Mat G = mat_new(d, d);
    for (int i = 0; i < d * d; i++) G.a[i] = rng_normal(r);
    Mat rho = mat_mul_new(G, false, G, true);
    mat_scale(&rho, 1.0 / mat_trace(rho));
    mat_free(&G);
    return rho;
}
static double f_sqrt(double l, void *c) { (void)c; return sqrt(fmax(l, 0)); }
static double f_isqrt(double l, void *c) { (void)c; return 1 / sqrt(l); }
static double f_log(double l, void *c) { (void)c; return log(l); }

/*: ## 1. A state and the spectral measure of an observable

$\varphi(A) = \mathrm{Tr}(\rho A)$ with $\rho\ge0$, $\mathrm{Tr}\rho = 1$ is positive,
$\varphi(A^*A) = \mathrm{Tr}(\rho A^*A)\ge0$, and normalised. For a self-adjoint $X = \sum_\lambda\lambda P_\lambda$
the state defines a probability law on the spectrum,

$$ \mu_X = \sum_\lambda\mathrm{Tr}(\rho P_\lambda)\,\delta_\lambda,\qquad \varphi(X^m) = \int\lambda^m\,d\mu_X(\lambda) , $$ {#eq:N2.B6.spectral_measure}

so one observable at a time is an ordinary random variable. (Complex $A = U + iV$; for a real
symmetric $\rho$ the imaginary part of $\mathrm{Tr}(\rho A^*A)$ vanishes.)
*/
static void section_state(Rng *r) {
    const int d = 6;
    Mat rho = random_density(r, d);
    double worst = INFINITY;
    for (int t = 0; t < 10000; t++) {
        double U[36], V[36], val = 0;
        for (int i = 0; i < d * d; i++) U[i] = rng_normal(r), V[i] = rng_normal(r);
        // (A^*A)_{jk} = sum_i conj(A_ij) A_ik; real part U^T U + V^T V
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++) {
                double re = 0;
                for (int i = 0; i < d; i++) re += U[i * d + j] * U[i * d + k] + V[i * d + j] * V[i * d + k];
                //: $\varphi(A^*A) = \mathrm{Tr}(\rho A^*A)$
                val += MAT(rho, k, j) * re;
            }
        worst = fmin(worst, val);
    }
    check_ge("N2.B6.positivity", worst, 0, 1e-14, NULL, "min of phi(A*A) over 10^4 random complex 6x6 A");
    check_close("N2.B6.normalised", mat_trace(rho) - 1, 0, 1e-15, NULL, "phi(I) = Tr(rho I) = 1");
    // spectral measure of a random symmetric X
    Mat X = mat_new(d, d), Vv = mat_new(d, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) MAT(X, i, j) = MAT(X, j, i) = rng_normal(r);
    double lam[6], w[6];
    eig_sym(X, lam, &Vv, NULL);
    for (int k = 0; k < d; k++) {
        double s = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) s += MAT(Vv, i, k) * MAT(rho, i, j) * MAT(Vv, j, k);
        //: $\mu_X(\{\lambda_k\}) = \langle v_k, \rho\, v_k\rangle$, eq. [eq:N2.B6.spectral_measure]
        w[k] = s;
    }
    Mat P = mat_identity(d), tmp = mat_new(d, d);
    double worst_rel = 0;
    for (int m = 1; m <= 8; m++) {
        mat_mul(&tmp, P, false, X, false);
        memcpy(P.a, tmp.a, sizeof(double) * d * d);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) lhs += MAT(rho, i, j) * MAT(P, j, i);
        for (int k = 0; k < d; k++) rhs += w[k] * pow(lam[k], m);
        worst_rel = fmax(worst_rel, fabs(lhs - rhs) / fmax(fabs(lhs), 1e-300) * (fabs(lhs) > 1e-3 ? 1 : 0));
    }
    check_close("N2.B6.moments", worst_rel, 0, 1e-12, "N2.B6.spectral_measure",
                "phi(X^m) = int lambda^m dmu_X for m = 1..8 (relative, moments above 1e-3)");
    mat_free(&rho), mat_free(&X), mat_free(&Vv), mat_free(&P), mat_free(&tmp);
}

/*: ## 2. Gibbs states: energy is minus log-likelihood, as operators

$\rho_\beta = e^{-\beta H}/Z$, $Z = \mathrm{Tr}\,e^{-\beta H}$. Then

$$ \langle H\rangle_\beta = -\partial_\beta\log Z,\qquad -\log\rho_\beta = \beta H + (\log Z)\,I , $$ {#eq:N2.B6.gibbs}

the operator version of the memo's "energy = likelihood", with the sign and the normaliser
in place (program 01, E46). For diagonal $H$, $\mathrm{diag}(\rho_\beta)$ is the Boltzmann law;
the 6-spin transverse-field Ising model (TFIM) below is not diagonal.
*/
static void gibbs_checks(const char *name, Mat H, double beta) {
    const int d = H.rows;
    double *ev = xmalloc(sizeof(double) * d);
    eig_sym(H, ev, NULL, NULL);
    double emin = ev[0];
    for (int i = 0; i < d; i++) emin = fmin(emin, ev[i]);
    // log Z(beta) with the ground energy factored out
#define LOGZ(b) ({ double s_ = 0; for (int i_ = 0; i_ < d; i_++) s_ += exp(-(b) * (ev[i_] - emin)); log(s_) - (b) * emin; })
    double h = 1e-3;
    double dlogz = (-LOGZ(beta + 2 * h) + 8 * LOGZ(beta + h) - 8 * LOGZ(beta - h) + LOGZ(beta - 2 * h)) / (12 * h);
    double logz = LOGZ(beta);
#undef LOGZ
    double mean_e = 0, z = 0;
    for (int i = 0; i < d; i++) z += exp(-beta * (ev[i] - emin)), mean_e += ev[i] * exp(-beta * (ev[i] - emin));
    mean_e /= z;
    char id[64];
    snprintf(id, sizeof id, "N2.B6.mean_energy_%s", name);
    check_close(id, mean_e, -dlogz, 1e-8, "N2.B6.gibbs", "%s: <H> = -d log Z / d beta (5-point difference)", name);
    // rho = exp(-beta H)/Z by the eigen-decomposition, then -log rho
    Mat V = mat_new(d, d), rho = mat_new(d, d), L = mat_new(d, d);
    eig_sym(H, ev, &V, NULL);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += MAT(V, i, k) * exp(-beta * ev[k] - logz) * MAT(V, j, k);
            MAT(rho, i, j) = s;
        }
    sym_matfun(&L, rho, f_log, NULL, NULL);
    double worst = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            //: eq. [eq:N2.B6.gibbs]: $-\log\rho_\beta - \beta H - \log Z\,I$
            worst = fmax(worst, fabs(-MAT(L, i, j) - beta * MAT(H, i, j) - (i == j ? logz : 0)));
    snprintf(id, sizeof id, "N2.B6.minus_log_rho_%s", name);
    check_close(id, worst, 0, 1e-9, "N2.B6.gibbs", "%s: -log rho_beta = beta H + log Z I (max entry)", name);
    mat_free(&V), mat_free(&rho), mat_free(&L);
    free(ev);
}

static void section_gibbs(Rng *r) {
    // 8-spin Ising ring with fields: diagonal
    const int n8 = 8, d8 = 1 << n8;
    double *ep = xmalloc(sizeof(double) * d8), hf[8], J[64] = {0};
    for (int i = 0; i < n8; i++) hf[i] = rng_uniform_range(r, -0.5, 0.5), J[i * n8 + (i + 1) % n8] = 1.0;
    J[0 * n8 + 7] = 1.0;
    spin_ising_table(n8, J, hf, ep);
    Mat H = mat_new(d8, d8);
    for (int b = 0; b < d8; b++) MAT(H, b, b) = ep[b];
    gibbs_checks("ising8", H, 0.7);
    mat_free(&H);
    // 6-spin TFIM ring: H = -sum z z - 0.8 sum x
    const int n6 = 6, d6 = 1 << n6;
    spin_ring_table(n6, 1.0, ep);
    H = mat_new(d6, d6);
    for (int b = 0; b < d6; b++) {
        MAT(H, b, b) = ep[b];
        for (int i = 0; i < n6; i++) MAT(H, b, b ^ (1 << i)) = -0.8;
    }
    gibbs_checks("tfim6", H, 0.7);
    mat_free(&H);
    free(ep);
}

/*: ## 3. A Markov chain's return probability is a moment of its spectral measure

For the simple random walk on the cycle $C_M$ the transition operator $K$ is a circulant, so
FFTW's transform of its first row gives its eigenvalues $\cos(2\pi k/M)$, and with the vector
state $\varphi = \langle\delta_0,\cdot\,\delta_0\rangle$

$$ P^t(0,0) = \varphi(K^t) = \frac1M\sum_{k=0}^{M-1}\cos(2\pi k/M)^t . $$ {#eq:N2.B6.return_prob}

For the adjacency operator $A = 2K$ and $M > 2m$ no walk of length $2m$ wraps, so
$\varphi(A^{2m}) = \binom{2m}{m}$: the moments of the arcsine law (Hora–Obata). The $n$-step
return probability of a Markov chain is the $n$-th moment of the transition operator's
spectral measure — one concrete reading of "the diffusion's Markov process in algebraic
language".
*/
static void section_cycle(const Cli *cli) {
    const int M = 64, tmax = 40;
    double *row = xcalloc(M, sizeof(double));
    row[1] = row[M - 1] = 0.5;
    fft_cplx *spec = xmalloc(sizeof(fft_cplx) * (M / 2 + 1));
    fft_r2c_forward(M, row, spec);
    double lam[64];
    //: eigenvalues of the circulant $K$ from FFTW (Hermitian half spectrum)
    for (int k = 0; k < M; k++) lam[k] = creal(spec[k <= M / 2 ? k : M - k]);
    Mat K = mat_new(M, M), P = mat_identity(M), tmp = mat_new(M, M);
    for (int i = 0; i < M; i++) MAT(K, i, (i + 1) % M) = MAT(K, i, (i + M - 1) % M) = 0.5;
    double worst = 0, tt[40], pr[40];
    for (int t = 1; t <= tmax; t++) {
        mat_mul(&tmp, P, false, K, false);
        memcpy(P.a, tmp.a, sizeof(double) * M * M);
        double s = 0;
        //: eq. [eq:N2.B6.return_prob]
        for (int k = 0; k < M; k++) s += pow(lam[k], t) / M;
        worst = fmax(worst, fabs(s - MAT(P, 0, 0)));
        tt[t - 1] = t, pr[t - 1] = MAT(P, 0, 0);
        if (t % 2 == 0 && t <= 20) {
            double binom = exp(lgamma(t + 1.0) - 2 * lgamma(t / 2 + 1.0));
            char id[40];
            snprintf(id, sizeof id, "N2.B6.arcsine_moment_%d", t);
            check_rel(id, s * pow(2.0, t), binom, 1e-12, "N2.B6.return_prob",
                      "phi(A^%d) = C(%d, %d) (FFTW eigenvalues; arcsine-law moment)", t, t, t / 2);
        }
    }
    check_close("N2.B6.return_fftw_vs_powers", worst, 0, 1e-14, "N2.B6.return_prob",
                "return probability P^t(0,0), t = 1..40: FFTW eigenvalues vs matrix powers (M = 64)");
    Plot *p = plot_new(800, 480, "random walk on C_64: return probability = moment of the spectral measure");
    plot_ylog(p, 1);
    plot_series_marker(plot_scatter(p, tt, pr, tmax, "P^t(0,0) (even t; odd t are 0)"), 3);
    plot_xlabel(p, "t");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "cycle_return_prob.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    mat_free(&K), mat_free(&P), mat_free(&tmp);
    free(row), free(spec);
}

/*: ## 4. Markov kernels are channels; the depolarising channel is a quantum forward diffusion

A column-stochastic $K$ ($K_{ij} = P(j\to i)$) has the Kraus operators
$E_{ij} = \sqrt{K_{ij}}\,\lvert i\rangle\langle j\rvert$:

$$ \Phi(\rho) = \sum_{ij}E_{ij}\rho E_{ij}^\dagger,\qquad \sum_{ij}E_{ij}^\dagger E_{ij} = I,\qquad \Phi(\mathrm{diag}\,p) = \mathrm{diag}(Kp) , $$ {#eq:N2.B6.kraus}

and $\Phi$ erases every off-diagonal entry: the classical chain is a channel that decoheres.
The depolarising channel $\Phi_\beta(\rho) = (1-\beta)\rho + \beta I/d$ is the quantum analogue
of the forward noising step: $\Phi^t(\rho) = (1-\beta)^t\rho + (1-(1-\beta)^t)I/d$, fixed point
$I/d$ (the analogue of $\pi$), and the relative entropy $S(\Phi^t\rho\,\|\,I/d) = \log d - S(\Phi^t\rho)$
decreases (data processing), the analogue of KL decay.
*/
static void section_channels(Rng *r) {
    const int d = 4;
    double K[16], worst_id = 0, worst_diag = 0, worst_off = 0;
    for (int j = 0; j < d; j++) {
        double s = 0;
        for (int i = 0; i < d; i++) K[i * d + j] = rng_uniform(r), s += K[i * d + j];
        for (int i = 0; i < d; i++) K[i * d + j] /= s;
    }
    // sum E^dagger E = sum_ij K_ij |j><j|
    for (int j = 0; j < d; j++) {
        double s = 0;
        for (int i = 0; i < d; i++) s += K[i * d + j];
        worst_id = fmax(worst_id, fabs(s - 1));
    }
    check_close("N2.B6.kraus_complete", worst_id, 0, 1e-15, "N2.B6.kraus", "sum E_ij^dagger E_ij = I");
    Mat rho = random_density(r, d), out = mat_new(d, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            //: $E_{ij}\rho E_{ij}^\dagger = K_{ij}\rho_{jj}\lvert i\rangle\langle i\rvert$
            MAT(out, i, i) += K[i * d + j] * MAT(rho, j, j);
    for (int i = 0; i < d; i++) {
        double kp = 0;
        for (int j = 0; j < d; j++) kp += K[i * d + j] * MAT(rho, j, j);
        worst_diag = fmax(worst_diag, fabs(MAT(out, i, i) - kp));
        for (int j = 0; j < d; j++)
            if (i != j) worst_off = fmax(worst_off, fabs(MAT(out, i, j)));
    }
    check_close("N2.B6.channel_classical", worst_diag, 0, 1e-15, "N2.B6.kraus", "Phi(rho) has diagonal K diag(rho)");
    check_close("N2.B6.channel_decoheres", worst_off, 0, 0, "N2.B6.kraus", "Phi erases the off-diagonal entries");
    // depolarising channel: closed form of the iterate and monotone relative entropy, 100 random rho
    const double beta = 0.1;
    double worst_cf = 0, worst_rise = -INFINITY;
    Mat cur = mat_new(d, d);
    double ev[4];
    for (int q = 0; q < 100; q++) {
        Mat r0 = random_density(r, d);
        memcpy(cur.a, r0.a, sizeof(double) * d * d);
        double prev = INFINITY;
        for (int t = 1; t <= 30; t++) {
            for (int i = 0; i < d * d; i++) cur.a[i] = (1 - beta) * cur.a[i] + (i % (d + 1) == 0 ? beta / d : 0);
            double c = pow(1 - beta, t);
            for (int i = 0; i < d * d; i++) worst_cf = fmax(worst_cf, fabs(cur.a[i] - (c * r0.a[i] + (i % (d + 1) == 0 ? (1 - c) / d : 0))));
            eig_sym(cur, ev, NULL, NULL);
            double S = 0;
            for (int k = 0; k < d; k++) S -= ev[k] > 0 ? ev[k] * log(ev[k]) : 0;
            double rel = log(d) - S;
            worst_rise = fmax(worst_rise, rel - prev);
            prev = rel;
        }
        mat_free(&r0);
    }
    check_close("N2.B6.depolarising_closed_form", worst_cf, 0, 1e-15, NULL,
                "Phi^t(rho) = (1-b)^t rho + (1-(1-b)^t) I/d, t <= 30, 100 random rho");
    check_le("N2.B6.relative_entropy_decreases", worst_rise, 0, 1e-14, NULL,
             "S(Phi^t rho || I/d) nonincreasing in t (data processing), 100 random rho");
    mat_free(&rho), mat_free(&out), mat_free(&cur);
}

/*: ## 5. The Petz recovery map is the reverse kernel

For a channel $\Phi$ with Kraus operators $E_a$, adjoint $\Phi^\dagger(X) = \sum_aE_a^\dagger XE_a$,
and a reference state $\sigma$,

$$ R_{\sigma,\Phi}(\omega) = \sigma^{1/2}\,\Phi^\dagger\big(\Phi(\sigma)^{-1/2}\,\omega\,\Phi(\sigma)^{-1/2}\big)\,\sigma^{1/2} . $$ {#eq:N2.B6.petz}

For diagonal $\sigma$ and a classical kernel it is Bayes' rule, $R(\lvert y\rangle\langle y\rvert) =
\mathrm{diag}_x\big(K(y\mid x)\sigma(x)/(K\sigma)(y)\big)$ — the reverse kernel of the note's §2.2,
built from the forward kernel and the marginal. $R(\Phi(\sigma)) = \sigma$ always; for other
inputs $R\circ\Phi\ne\mathrm{id}$: like a diffusion model's reverse process, it undoes the noise
exactly only for the reference law it was built from. Test channel for the non-commuting case:
qubit amplitude damping, $E_0 = \mathrm{diag}(1, \sqrt{1-\gamma})$, $E_1 = \sqrt\gamma\lvert0\rangle\langle1\rvert$.
*/
typedef struct {
    int d, nk;
    Mat *E;
} Channel;

static Mat channel(const Channel *c, Mat X, bool adjoint) {
    Mat out = mat_new(c->d, c->d);
    for (int a = 0; a < c->nk; a++) {
        Mat t1 = adjoint ? mat_mul_new(c->E[a], true, X, false) : mat_mul_new(c->E[a], false, X, false);
        Mat t2 = adjoint ? mat_mul_new(t1, false, c->E[a], false) : mat_mul_new(t1, false, c->E[a], true);
        mat_add(&out, 1, out, 1, t2);
        mat_free(&t1), mat_free(&t2);
    }
    return out;
}

static Mat petz(const Channel *c, Mat sigma, Mat omega) {
    Mat ps = channel(c, sigma, false), pis = mat_new(c->d, c->d), ss = mat_new(c->d, c->d);
    sym_matfun(&pis, ps, f_isqrt, NULL, NULL);
    sym_matfun(&ss, sigma, f_sqrt, NULL, NULL);
    Mat a = mat_mul_new(pis, false, omega, false), b = mat_mul_new(a, false, pis, false);
    //: eq. [eq:N2.B6.petz]
    Mat adj = channel(c, b, true), e = mat_mul_new(ss, false, adj, false), out = mat_mul_new(e, false, ss, false);
    mat_free(&ps), mat_free(&pis), mat_free(&ss), mat_free(&a), mat_free(&b), mat_free(&adj), mat_free(&e);
    return out;
}

static void section_petz(Rng *r) {
    // classical: d = 3, column-stochastic K, Kraus E_ij
    const int d = 3;
    double K[9], sig[3] = {0.5, 0.3, 0.2};
    for (int j = 0; j < d; j++) {
        double s = 0;
        for (int i = 0; i < d; i++) K[i * d + j] = 0.2 + rng_uniform(r), s += K[i * d + j];
        for (int i = 0; i < d; i++) K[i * d + j] /= s;
    }
    Channel c = {d, d * d, xmalloc(sizeof(Mat) * d * d)};
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) c.E[i * d + j] = mat_new(d, d), MAT(c.E[i * d + j], i, j) = sqrt(K[i * d + j]);
    Mat sigma = mat_new(d, d);
    for (int i = 0; i < d; i++) MAT(sigma, i, i) = sig[i];
    double worst = 0;
    for (int y = 0; y < d; y++) {
        Mat om = mat_new(d, d);
        MAT(om, y, y) = 1;
        Mat rec = petz(&c, sigma, om);
        double ks = 0;
        for (int x = 0; x < d; x++) ks += K[y * d + x] * sig[x];
        for (int x = 0; x < d; x++)
            //: Bayes: $q(x\mid y) = K(y\mid x)\sigma(x)/(K\sigma)(y)$
            worst = fmax(worst, fabs(MAT(rec, x, x) - K[y * d + x] * sig[x] / ks));
        mat_free(&om), mat_free(&rec);
    }
    check_close("N2.B6.petz_is_bayes", worst, 0, 1e-13, "N2.B6.petz",
                "classical kernel, diagonal sigma: Petz map of |y><y| equals Bayes' reverse kernel q(x|y)");
    for (int a = 0; a < d * d; a++) mat_free(&c.E[a]);
    free(c.E), mat_free(&sigma);
    // quantum: amplitude damping, non-diagonal sigma
    const double g = 0.3;
    Channel q = {2, 2, xmalloc(sizeof(Mat) * 2)};
    q.E[0] = mat_new(2, 2), q.E[1] = mat_new(2, 2);
    MAT(q.E[0], 0, 0) = 1, MAT(q.E[0], 1, 1) = sqrt(1 - g), MAT(q.E[1], 0, 1) = sqrt(g);
    Mat s2 = mat_new(2, 2), w2 = mat_new(2, 2);
    MAT(s2, 0, 0) = 0.6, MAT(s2, 1, 1) = 0.4, MAT(s2, 0, 1) = MAT(s2, 1, 0) = 0.3;
    MAT(w2, 0, 0) = 0.2, MAT(w2, 1, 1) = 0.8, MAT(w2, 0, 1) = MAT(w2, 1, 0) = -0.25;
    Mat ps = channel(&q, s2, false), rs = petz(&q, s2, ps);
    check_close("N2.B6.petz_recovers_sigma", mat_max_abs_diff(rs, s2), 0, 1e-13, "N2.B6.petz",
                "amplitude damping (gamma = 0.3), non-diagonal sigma: R(Phi(sigma)) = sigma");
    Mat pw = channel(&q, w2, false), rw = petz(&q, s2, pw);
    printf("Petz map built on sigma applied to Phi(omega), omega != sigma: max |R(Phi(omega)) - omega| = %.4f (not 0)\n",
           mat_max_abs_diff(rw, w2));
    mat_free(&q.E[0]), mat_free(&q.E[1]), free(q.E);
    mat_free(&s2), mat_free(&w2), mat_free(&ps), mat_free(&rs), mat_free(&pw), mat_free(&rw);
    // no joint law for non-commuting observables: phi(sigma_x sigma_z) in |+y> is -i
    double _Complex psi[2] = {1 / sqrt(2.0), I / sqrt(2.0)};
    // sigma_x sigma_z = [[0, -1], [1, 0]]
    double _Complex v0 = -psi[1], v1 = psi[0], val = conj(psi[0]) * v0 + conj(psi[1]) * v1;
    printf("state |+y>: phi(sigma_x sigma_z) = %.3f %+.3fi (not real: no joint classical law of sigma_x, sigma_z)\n",
           creal(val), cimag(val));
}

/*: ## 6. Free independence: the non-commutative central limit

For $A = \mathrm{diag}(\pm1)$ and an independent GOE matrix $B$ (semicircle law, variance 1),
$A$ and $B$ are asymptotically *free*, and the fourth moment of the sum is

$$ \mathrm{tr}\,(A+B)^4 \to m_4(a) + m_4(b) + 4m_2(a)m_2(b) = 1 + 2 + 4 = 7 , $$ {#eq:N2.B6.free_moment}

not the value 10 of commuting independent variables ($1 + 3 + 6$ with a Gaussian). The
semicircle plays the role of the Gaussian $\pi$ in this non-commutative world.

**The free OU process** (spec B6.9). $X_t = e^{-t/2}A + \sqrt{1-e^{-t}}\,B$ is the free analogue
of the forward diffusion $x_t = e^{-t/2}x_0 + \sqrt{1-e^{-t}}\,z$. Free cumulants play the role
of classical cumulants: they add for free summands and scale as $\kappa_n(cX) = c^n\kappa_n(X)$.
From the moments $m_k = \mathrm{tr}\,X^k$,

$$ \kappa_2 = m_2 - m_1^2,\qquad \kappa_4 = m_4 - 4m_3m_1 - 2m_2^2 + 10m_2m_1^2 - 5m_1^4 , $$ {#eq:N2.B6.free_cumulants}

and since $\kappa_4(a) = 1 - 2 = -1$ for $a = \pm1$ while the semicircle has $\kappa_4 = 0$
(its only nonzero free cumulant is $\kappa_2$, like the Gaussian's),

$$ \kappa_2(X_t) = e^{-t} + (1 - e^{-t}) = 1,\qquad \kappa_4(X_t) = -e^{-2t} \to 0 , $$ {#eq:N2.B6.free_ou}

so the law of $X_t$ tends to the semicircle, the "free $\pi$", exactly as the classical forward
process forgets the data's cumulants. The program measures $\kappa_2, \kappa_4$ of $X_t$ at
$N$ = 400 for six times, with the moments averaged over four independent GOE matrices (one
matrix leaves fluctuations of order $1/N$ that reach 0.015 in $\kappa_4$; figure
`free_ou_cumulants.png`).
*/
static void section_free(const Cli *cli, Rng *r) {
    const int N = (int)cli_scale(cli, 150, 400, 1000);
    Mat M = mat_new(N, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++) {
            double v = rng_normal(r) * (i == j ? sqrt(2.0 / N) : sqrt(1.0 / N));
            MAT(M, i, j) = MAT(M, j, i) = v;
        }
    for (int i = 0; i < N; i++) MAT(M, i, i) += i % 2 ? 1.0 : -1.0;
    Mat M2 = mat_mul_new(M, false, M, false);
    //: $\mathrm{tr}\,(A+B)^4 = \lVert (A+B)^2\rVert_F^2/N$
    double m4 = mat_frobenius(M2) * mat_frobenius(M2) / N;
    check_close("N2.B6.free_fourth_moment", m4, 7.0, N >= 400 ? 0.1 : 0.3, "N2.B6.free_moment",
                "tr((A+B)^4), A = diag(+-1), B GOE, N = %d: free value 7 (commuting would give 10)", N);
    // the free OU process, moments averaged over S independent GOE matrices B (sample 0: M - A)
    enum { NT = 6, S = 4 };
    const double ts[NT] = {0, 0.25, 0.5, 1, 1.5, 2};
    double k2[NT], k4[NT], k4x[NT], worst2 = 0, worst4 = 0;
    Mat X = mat_new(N, N), X2 = mat_new(N, N);
    double mom[NT][4] = {{0}};
    for (int smp = 0; smp < S; smp++) {
        if (smp > 0) /* a fresh GOE matrix, plus A */
            for (int i = 0; i < N; i++)
                for (int j = 0; j <= i; j++) {
                    double v = rng_normal(r) * (i == j ? sqrt(2.0 / N) : sqrt(1.0 / N));
                    MAT(M, i, j) = MAT(M, j, i) = v + (i == j ? (i % 2 ? 1.0 : -1.0) : 0.0);
                }
        for (int q = 0; q < NT; q++) {
            const double ca = exp(-ts[q] / 2), cb = sqrt(1 - exp(-ts[q]));
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) {
                    const double a = i == j ? (i % 2 ? 1.0 : -1.0) : 0.0;
                    //: $X_t = e^{-t/2}A + \sqrt{1-e^{-t}}\,B$
                    MAT(X, i, j) = ca * a + cb * (MAT(M, i, j) - a);
                }
            mat_mul(&X2, X, false, X, false);
            //: $m_k = \mathrm{tr}\,X^k$: $m_3 = \sum_{ij}(X^2)_{ij}X_{ji}$, $m_4 = \lVert X^2\rVert_F^2/N$
            double m3 = 0;
            for (int i = 0; i < N; i++)
                for (int j = 0; j < N; j++) m3 += MAT(X2, i, j) * MAT(X, j, i);
            mom[q][0] += mat_trace(X) / N / S, mom[q][1] += mat_trace(X2) / N / S, mom[q][2] += m3 / N / S;
            mom[q][3] += mat_frobenius(X2) * mat_frobenius(X2) / N / S;
        }
    }
    for (int q = 0; q < NT; q++) {
        const double m1 = mom[q][0], m2 = mom[q][1], m3 = mom[q][2], m4t = mom[q][3];
        //: eq. [eq:N2.B6.free_cumulants]
        k2[q] = m2 - m1 * m1, k4[q] = m4t - 4 * m3 * m1 - 2 * m2 * m2 + 10 * m2 * m1 * m1 - 5 * m1 * m1 * m1 * m1;
        //: eq. [eq:N2.B6.free_ou]
        k4x[q] = -exp(-2 * ts[q]);
        worst2 = fmax(worst2, fabs(k2[q] - 1)), worst4 = fmax(worst4, fabs(k4[q] - k4x[q]));
        printf("free OU t = %4.2f: kappa_2 = %.4f (1), kappa_4 = %+.4f (-e^{-2t} = %+.4f)\n", ts[q], k2[q], k4[q], k4x[q]);
    }
    /* the tolerance 0.02 is the spec's; at N = 400 the GOE's O(1/N) corrections are ~0.01 */
    check_close("N2.B6.free_ou_kappa2", worst2, 0, N >= 400 ? 0.02 : 0.06, "N2.B6.free_ou",
                "free OU X_t, t = 0..2, N = %d, moments averaged over %d matrices: max |kappa_2 - 1|", N, S);
    check_close("N2.B6.free_ou_kappa4", worst4, 0, N >= 400 ? 0.02 : 0.06, "N2.B6.free_ou",
                "free OU X_t, t = 0..2, N = %d, %d matrices: max |kappa_4(t) + e^{-2t}| (the law tends to the semicircle, kappa_4 = 0)", N, S);
    Plot *p = plot_new(800, 500, "free OU process: free cumulants of X_t = e^{-t/2} A + sqrt(1 - e^{-t}) B");
    plot_series_marker(plot_scatter(p, ts, k4, NT, "kappa_4(X_t), N x N matrices"), 5);
    plot_line(p, ts, k4x, NT, "-e^{-2t} (free cumulants add)");
    plot_series_marker(plot_scatter(p, ts, k2, NT, "kappa_2(X_t)"), 4);
    plot_hline(p, 0, "semicircle: kappa_4 = 0");
    plot_xlabel(p, "t");
    plot_ylabel(p, "free cumulant");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "free_ou_cumulants.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    mat_free(&M), mat_free(&M2), mat_free(&X), mat_free(&X2);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "N2 B6: algebraic probability, Gibbs states, spectral measures, channels, Petz map, free moments", 206, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);
    section_state(&r);
    section_gibbs(&r);
    section_cycle(&cli);
    section_channels(&r);
    section_petz(&r);
    section_free(&cli, &r);
    return check_end();
}
