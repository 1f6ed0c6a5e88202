/*: # N1 §2 (l.531–553) — the stationarity equation $\pi = \int T_\pi\,\pi$ as an eigenproblem

**Study note, §2 "Algorithm", the Markov diffusion kernel (l.531–553).** The note writes that
$\pi$ solves the Fredholm equation of the second kind $\pi(y) = \int T_\pi(y\mid y';\beta)\pi(y')dy'$.
It is the *homogeneous* equation with eigenvalue 1, and whether it has a probability solution
depends on the kernel (E34). For the Gaussian kernel of the paper,
$$ T(y\mid y';\beta) = \mathcal N\big(y;\ \sqrt{1-\beta}\,y',\ \beta\big), $$ {#eq:N1.2.gauss_kernel}
$\pi = \mathcal N(0,1)$, the kernel is reversible, and its spectrum is known (Mehler):
eigenvalues $(1-\beta)^{k/2}$ with eigenfunctions $\mathrm{He}_k(y)\pi(y)$.

What you will see: the discretised kernel $A_{ij} = T(y_i\mid y_j)h$ on 161 points fixing $\pi$;
detailed balance as the symmetry of $\Pi^{-1/2}A\Pi^{1/2}$; its eigenvalues (`eig_sym`) against
$(1-\beta)^{k/2}$ and its top eigenvector against $\sqrt\pi$; a periodic pure-diffusion kernel
whose eigenvalues come from one FFTW r2c of a column; the same pure diffusion on a growing
interval, whose top eigenvector spreads in proportion to the interval (no probability solution on
ℝ); the binomial kernel; and the note's reverse chain started from $\pi$ staying at $\pi$ (E36).
Figure: `eigenfunctions.png`.

Run: `build/release/bin/lectures/n1_sohl_dickstein/06_fredholm_kernel`.

| symbol | C name | shape |
|---|---|---|
| grid $y_i$, spacing $h$ | `y`, `h` | (M), M = 161 |
| $A_{ij} = T(y_i\mid y_j)h$ | `A` | (M, M) |
| $\pi(y_i)$ | `pi` | (M) |
| $B = \Pi^{-1/2}A\Pi^{1/2}$ | `B` | (M, M) |
| eigenvalues, eigenvectors | `w`, `V` | (M), (M, M) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/util.h"

enum { M = 161 };
static const double BETA = 0.1, LO = -8.0, H = 0.1;

static double npdf(double x, double mu, double var) { return exp(-0.5 * (x - mu) * (x - mu) / var) / sqrt(2 * M_PI * var); }

static void build_kernel(Mat *A, double *y, double *pi) {
    *A = mat_new(M, M);
    for (int i = 0; i < M; i++) y[i] = LO + H * i, pi[i] = npdf(y[i], 0, 1);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            //: $A_{ij} = T(y_i\mid y_j;\beta)\,h$, eq. [eq:N1.2.gauss_kernel]
            MAT(*A, i, j) = npdf(y[i], sqrt(1 - BETA) * y[j], BETA) * H;
}

/*: ## Stationarity and detailed balance on the grid

$$ \pi(y) = \int T(y\mid y')\pi(y')\,dy',\qquad \pi(y')T(y\mid y') = \pi(y)T(y'\mid y) . $$ {#eq:N1.2.fredholm}
The trapezoid rule on a Gaussian integrand with $h = 0.1$ is exact to far below double
precision, so $A\pi = \pi$ holds to round-off. Detailed balance says that
$B = \Pi^{-1/2}A\Pi^{1/2}$ is symmetric; then $B$ has real eigenvalues and orthogonal eigenvectors,
and $\sqrt\pi$ is the eigenvector of eigenvalue 1.
*/
static void stationarity(Mat A, const double *pi, Mat *B) {
    double Api[M], res = 0.0, asym = 0.0;
    //: eq. [eq:N1.2.fredholm]
    mat_vec(Api, A, pi);
    for (int i = 0; i < M; i++) res = fmax(res, fabs(Api[i] - pi[i]));
    check_close("N1.2.stationary_residual", res, 0.0, 1e-14, "N1.2.fredholm", "||A pi - pi||_inf on 161 points (h = 0.1, beta = 0.1)");
    *B = mat_new(M, M);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) MAT(*B, i, j) = MAT(A, i, j) * sqrt(pi[j] / pi[i]);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < i; j++)
            asym = fmax(asym, fabs(MAT(*B, i, j) - MAT(*B, j, i)) / fmax(fabs(MAT(*B, i, j)), 1e-300) * (MAT(*B, i, j) > 1e-200));
    check_close("N1.2.detailed_balance", asym, 0.0, 1e-12, "N1.2.fredholm",
                "max relative asymmetry of Pi^{-1/2} A Pi^{1/2} (entries > 1e-200)");
}

/*: ## The spectrum: Mehler's formula

$$ \int T(y\mid y')\,\mathrm{He}_k(y')\pi(y')\,dy' = (1-\beta)^{k/2}\,\mathrm{He}_k(y)\pi(y) . $$ {#eq:N1.2.mehler}
In the symmetrised basis the eigenvectors are $\mathrm{He}_k\sqrt\pi$. The second eigenvalue
$\sqrt{1-\beta}$ is the per-step contraction of the mean, the third $1-\beta$ that of the variance.
*/
static void spectrum(Mat A, Mat B, const double *pi, const double *y, const Cli *cli) {
    double w[M];
    Mat V = mat_new(M, M);
    if (eig_sym(B, w, &V, NULL) != 0) die("eig_sym failed");
    double err = 0.0;
    printf("grid eigenvalue - (1-beta)^{k/2}:");
    for (int k = 0; k < 8; k++) {
        //: eq. [eq:N1.2.mehler]
        double e = w[M - 1 - k] - pow(1 - BETA, 0.5 * k);
        if (k < 4) err = fmax(err, fabs(e));
        printf(" %.1e", e);
    }
    printf("  (k = 0..7: cutting the line at +-8 matters more as He_k sqrt(pi) reaches further out)\n");
    check_close("N1.2.mehler_eigenvalues", err, 0.0, 1e-10, "N1.2.mehler", "top 4 eigenvalues of B vs (1-beta)^{k/2}, k = 0..3");
    printf("eigenvalues: %.7f %.7f %.7f %.7f (expect 1, 0.9486833, 0.9, 0.8538150)\n", w[M - 1], w[M - 2], w[M - 3], w[M - 4]);
    double nrm = 0.0, top[M], sgn = MAT(V, M / 2, M - 1) > 0 ? 1 : -1, dev = 0.0;
    for (int i = 0; i < M; i++) nrm += pi[i];
    for (int i = 0; i < M; i++) top[i] = sgn * MAT(V, i, M - 1), dev = fmax(dev, fabs(top[i] - sqrt(pi[i] / nrm)));
    /* sqrt(pi) is an eigenvector of B up to the residual (A pi - pi)_i / sqrt(pi_i), which the
       tails amplify; an eigenvector moves by at most residual / spectral gap */
    double Api[M], bound = 0.0;
    mat_vec(Api, A, pi);
    for (int i = 0; i < M; i++) bound = fmax(bound, fabs(Api[i] - pi[i]) / sqrt(pi[i] * nrm));
    bound *= sqrt((double)M) / (1 - sqrt(1 - BETA));
    check_close("N1.2.top_eigenvector", dev, 0.0, bound, "N1.2.fredholm",
                "top eigenvector of B vs sqrt(pi) (unit norm); tol = sqrt(M) max residual / gap");
    /* figure: the first four eigenfunctions He_k(y) pi(y) recovered as sqrt(pi) * v_k */
    Plot *p = plot_new(800, 500, "eigenfunctions of the Gaussian kernel: sqrt(pi) v_k ~ He_k pi");
    for (int k = 0; k < 4; k++) {
        double f[M];
        double s = MAT(V, M / 2 + 5, M - 1 - k) > 0 ? 1 : -1;
        for (int i = 0; i < M; i++) f[i] = s * sqrt(pi[i]) * MAT(V, i, M - 1 - k);
        char lab[64];
        snprintf(lab, sizeof lab, "k = %d, lambda = %.4f", k, w[M - 1 - k]);
        plot_line(p, y, f, M, lab);
    }
    plot_xlim(p, -5, 5);
    plot_xlabel(p, "y");
    char errs[256];
    if (plot_save(p, cli_out_path(cli, "eigenfunctions.png"), errs, sizeof errs) != 0) die("%s", errs);
    plot_free(p);
    mat_free(&V);
}

/*: ## Without the drift: pure diffusion

Drop the $\sqrt{1-\beta}$: $T_0(y\mid y') = \mathcal N(y; y', \beta)$. On a circle of length $L$
(wrapped Gaussian) the kernel matrix is circulant, so its eigenvalues are the DFT of one column,
$$ \lambda_k = e^{-\beta(2\pi k/L)^2/2}, $$ {#eq:N1.2.circulant}
and the stationary law is uniform. On the line there is no probability solution: restricted to
$[-L, L]$ (mass leaving is lost) the top eigenfunction tends to $\cos(\pi y/2L)$, whose standard
deviation is $\tfrac{2L}{\pi}\sqrt{\pi^2/4-2} = 0.4352L$: it spreads with the box instead of
converging.
The $\sqrt{1-\beta}$ drift is what makes $\pi$ a probability density.
*/
static void pure_diffusion(void) {
    const int n = 256;
    const double L = 25.6, h = L / n;
    double *col = xmalloc(n * sizeof *col);
    fft_cplx *X = xmalloc((n / 2 + 1) * sizeof *X);
    for (int i = 0; i < n; i++) {
        col[i] = 0.0;
        for (int m = -3; m <= 3; m++) col[i] += npdf(i * h + m * L, 0, BETA) * h; /* wrapped Gaussian */
    }
    //: eigenvalues of a circulant matrix = DFT of its first column, eq. [eq:N1.2.circulant]
    fft_r2c_forward(n, col, X);
    double err = 0.0;
    for (int k = 0; k <= n / 2; k++) err = fmax(err, fabs(creal(X[k]) - exp(-0.5 * BETA * pow(2 * M_PI * k / L, 2))) + fabs(cimag(X[k])));
    check_close("N1.2.circulant_fft", err, 0.0, 1e-13, "N1.2.circulant", "FFTW r2c of one column vs exp(-beta (2 pi k/L)^2 / 2), n = 256");
    Mat C = mat_new(n, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) MAT(C, i, j) = col[(i - j + n) % n];
    double w[256];
    eig_sym(C, w, NULL, NULL);
    check_close("N1.2.circulant_jacobi", w[n - 1], 1.0, 1e-12, "N1.2.circulant", "largest eigenvalue (eig_sym) of the circulant matrix = 1 (uniform law)");
    mat_free(&C);
    free(col);
    free(X);
    double ratio[2];
    const double Ls[2] = {10.0, 20.0}, hk = 0.2;
    for (int a = 0; a < 2; a++) {
        int m = (int)lround(2 * Ls[a] / hk) + 1;
        double *v = xmalloc(m * sizeof *v), *nv = xmalloc(m * sizeof *nv), *g = xmalloc(m * sizeof *g);
        for (int d = 0; d < m; d++) g[d] = npdf(hk * d, 0, 1.0) * hk; /* killed kernel N(y; y', 1) */
        for (int i = 0; i < m; i++) v[i] = 1.0;
        for (int it = 0; it < 3000; it++) { /* power iteration; symmetric start, so mode 3 sets the rate */
            double s = 0.0;
            for (int i = 0; i < m; i++) {
                nv[i] = 0.0;
                for (int j = 0; j < m; j++) nv[i] += g[abs(i - j)] * v[j];
                s += nv[i];
            }
            for (int i = 0; i < m; i++) v[i] = nv[i] / s;
        }
        double var = 0;
        for (int i = 0; i < m; i++) var += v[i] * pow(-Ls[a] + hk * i, 2);
        ratio[a] = sqrt(var) / Ls[a];
        free(v), free(nv), free(g);
    }
    const double cos_sd = 2 / M_PI * sqrt(M_PI * M_PI / 4 - 2);
    printf("pure diffusion (variance 1 per step) on [-L, L]: sd/L = %.4f, %.4f for L = 10, 20 (limit %.4f)\n", ratio[0], ratio[1], cos_sd);
    //: Richardson: the boundary layer adds $O(1/L)$ to sd$/L$
    check_close("N1.2.no_stationary_on_line", 2 * ratio[1] - ratio[0], cos_sd, 0.005, NULL,
                "sd/L of the top eigenvector, extrapolated in 1/L from L = 10, 20, vs cos(pi y/2L): (2/pi) sqrt(pi^2/4 - 2)");
    check_erratum("N1.2.fredholm_solution_exists", 0.0, ratio[1] * 20,
                  "E34: the note assumes a probability solution pi; without the sqrt(1-beta) drift the "
                  "'solution' on [-20,20] has sd %.2f, growing with the box", ratio[1] * 20);
}

/*: ## The binomial kernel (binary data in the paper)

$T(y\mid y') = \mathcal B(y;\ y'(1-\beta)+\beta/2)$ on $\{0,1\}$: the $2\times2$ matrix
$\begin{pmatrix}1-\beta/2 & \beta/2\\ \beta/2 & 1-\beta/2\end{pmatrix}$ with stationary law
$(\tfrac12,\tfrac12)$ and second eigenvalue $1-\beta$.
$$ T(1\mid y') = y'(1-\beta) + \beta/2 $$ {#eq:N1.2.binomial}
*/
static void binomial_kernel(void) {
    Mat K = mat_new(2, 2);
    for (int y = 0; y < 2; y++)
        for (int yp = 0; yp < 2; yp++) {
            //: eq. [eq:N1.2.binomial]
            double p1 = yp * (1 - BETA) + BETA / 2;
            MAT(K, y, yp) = y == 1 ? p1 : 1 - p1;
        }
    double w[2];
    eig_sym(K, w, NULL, NULL);
    check_close("N1.2.binomial_eigen", fabs(w[0] - (1 - BETA)) + fabs(w[1] - 1), 0.0, 1e-15, "N1.2.binomial", "eigenvalues of the binomial kernel: 1 and 1 - beta");
    double half[2] = {0.5, 0.5}, out[2];
    mat_vec(out, K, half);
    check_close("N1.2.binomial_stationary", fabs(out[0] - 0.5) + fabs(out[1] - 0.5), 0.0, 1e-16, "N1.2.binomial", "(1/2, 1/2) is stationary");
    mat_free(&K);
}

/*: ## Forward marginals, and the note's reverse chain

Forward from $q_0 = 0.7\mathcal N(-1, 0.25) + 0.3\mathcal N(1, 0.25)$, the grid marginal
$q_t = A^t q_0$ converges to $\pi$ and its mean is exactly $(1-\beta)^{t/2}\,\mathbb E q_0$:
$$ \mathbb E_{q_t}[y] = (1-\beta)^{t/2}\,\mathbb E_{q_0}[y] . $$ {#eq:N1.2.mean_decay}
The note's reverse chain (l.581) applies the same kernel in the reverse direction,
$p^{(t-1)}(y) = \int T(y\mid y')p^{(t)}(y')dy'$ from $p^{(T)} = \pi$, so by stationarity every
$p^{(t)}$, and the "model" $p^{(0)}$, is $\pi$, whatever the data (E36).
*/
static void chains(Mat A, const double *y, const double *pi) {
    double q[M], nq[M], m0 = 0.0, err = 0.0;
    for (int i = 0; i < M; i++) q[i] = (0.7 * npdf(y[i], -1, 0.25) + 0.3 * npdf(y[i], 1, 0.25)) * H;
    for (int i = 0; i < M; i++) m0 += q[i] * y[i];
    for (int t = 1; t <= 40; t++) {
        mat_vec(nq, A, q);
        double m = 0.0;
        for (int i = 0; i < M; i++) q[i] = nq[i], m += q[i] * y[i];
        //: eq. [eq:N1.2.mean_decay]
        err = fmax(err, fabs(m - pow(1 - BETA, 0.5 * t) * m0));
    }
    check_close("N1.2.mean_decay", err, 0.0, 1e-13, "N1.2.mean_decay", "max over t <= 40 |E_{q_t} y - (1-beta)^{t/2} E_{q_0} y| (grid, m0 = -0.4)");
    double tv = 0.0;
    for (int i = 0; i < M; i++) tv += 0.5 * fabs(q[i] - pi[i] * H);
    printf("TV(q_40, pi) = %.3e\n", tv);
    double p[M], np_[M], dev = 0.0;
    for (int i = 0; i < M; i++) p[i] = pi[i] * H;
    for (int t = 0; t < 100; t++) {
        mat_vec(np_, A, p);
        for (int i = 0; i < M; i++) dev = fmax(dev, fabs(np_[i] - pi[i] * H)), p[i] = np_[i];
    }
    check_close("N1.2.note_reverse_stays_pi", dev, 0.0, 1e-14, "N1.2.fredholm", "the note's reverse chain from pi: max_t ||p^(t) - pi h||_inf over 100 steps");
    double tv0 = 0.0;
    for (int i = 0; i < M; i++) tv0 += 0.5 * fabs(p[i] - (0.7 * npdf(y[i], -1, 0.25) + 0.3 * npdf(y[i], 1, 0.25)) * H);
    check_erratum("N1.2.note_reverse_model", 0.0, tv0, "E36: the note's p^(0) should approximate q_0; it is pi, TV(p^(0), q_0) = %.3f", tv0);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N1 2: stationarity of the Gaussian kernel as a Fredholm eigenproblem", 406, NULL);
    Mat A, B;
    double y[M], pi[M];
    build_kernel(&A, y, pi);
    stationarity(A, pi, &B);
    spectrum(A, B, pi, y, &cli);
    pure_diffusion();
    binomial_kernel();
    chains(A, y, pi);
    mat_free(&A);
    mat_free(&B);
    return check_end();
}
