/* Unit tests of common/tridiag.h: Sturm bisection against the closed-form spectrum of the
   discrete Laplacian, the birth-death gap against the Ehrenfest chain's exact gap (and against
   bisection where that is accurate), Lanczos against bisection on the full matrix. */
#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/tridiag.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

typedef struct {
    int n;
    const double *d, *e;
} Tri;

static void tri_matvec(const double *x, double *y, void *ctx) {
    const Tri *t = ctx;
    for (int i = 0; i < t->n; i++) {
        y[i] = t->d[i] * x[i];
        if (i > 0) y[i] += t->e[i - 1] * x[i - 1];
        if (i < t->n - 1) y[i] += t->e[i] * x[i + 1];
    }
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of tridiagonal spectra", 17, NULL);

    /* Dirichlet Laplacian d = 2, e = -1: lambda_k = 2 - 2 cos(pi (k+1)/(n+1)) */
    enum { N = 200 };
    double d[N], e[N];
    for (int i = 0; i < N; i++) d[i] = 2.0, e[i] = -1.0;
    double err = 0;
    for (int k = 0; k < N; k += 13)
        err = fmax(err, fabs(tridiag_eigenvalue(N, d, e, k) - (2 - 2 * cos(PI * (k + 1) / (N + 1)))));
    check_close("common.tridiag.laplacian", err, 0, 1e-14, NULL,
                "Sturm bisection vs 2 - 2cos(pi k/(n+1)), n = 200");
    check_true("common.tridiag.count", tridiag_count_below(N, d, e, 2.0) == N / 2,
               "half the Laplacian's eigenvalues lie below 2");

    /* Ehrenfest chain on {0..M}: pi_w = C(M,w), P(w->w+1) = (M-w)/M; the gap of I - P is 2/M
       (its eigenvalues are 2k/M, k = 0..M). */
    enum { M = 40 };
    double pi[M + 1], c[M];
    for (int w = 0; w <= M; w++) pi[w] = exp(lgamma(M + 1.0) - lgamma(w + 1.0) - lgamma(M - w + 1.0));
    for (int w = 0; w < M; w++) c[w] = pi[w] * (double)(M - w) / M;
    check_rel("common.tridiag.ehrenfest_gap", birth_death_gap(M + 1, pi, c, NULL), 2.0 / M, 1e-12,
              "common.tridiag.birth_death", "Ehrenfest chain M = 40: gap 2/M");

    /* A chain with an exponentially small gap: the birth-death solver against bisection on the
       symmetrised matrix (which is accurate here only to ~1e-16 absolute) */
    enum { K = 61 };
    double pk[K], ck[K], dk[K], ek[K];
    for (int i = 0; i < K; i++) {
        double x = -3.0 + 6.0 * i / (K - 1);
        pk[i] = exp(-((x * x - 4) * (x * x - 4)) / 2.0);
    }
    for (int i = 0; i < K - 1; i++) ck[i] = sqrt(pk[i] * pk[i + 1]);
    for (int i = 0; i < K; i++) {
        dk[i] = ((i > 0 ? ck[i - 1] : 0) + (i < K - 1 ? ck[i] : 0)) / pk[i];
        if (i < K - 1) ek[i] = -ck[i] / sqrt(pk[i] * pk[i + 1]);
    }
    double g_bd = birth_death_gap(K, pk, ck, NULL), g_bis = tridiag_eigenvalue(K, dk, ek, 1);
    check_close("common.tridiag.bd_vs_bisection", g_bd - g_bis, 0, 1e-13,
                "common.tridiag.birth_death", "birth-death gap %.6e vs bisection on Pi^-1/2 B Pi^-1/2",
                g_bd);
    check_close("common.tridiag.bd_ground", tridiag_eigenvalue(K, dk, ek, 0), 0, 1e-13, NULL,
                "the symmetrised generator has eigenvalue 0 (ground state sqrt(pi))");

    /* Lanczos on the Laplacian from a generic start: lowest 3 eigenvalues */
    double *start = xmalloc(sizeof(double) * N), ev[3];
    for (int i = 0; i < N; i++) start[i] = 1.0 + 0.1 * sin(1.7 * i);
    Tri t = {N, d, e};
    lanczos_lowest(N, tri_matvec, &t, start, N, 3, ev);
    double lerr = 0;
    for (int k = 0; k < 3; k++) lerr = fmax(lerr, fabs(ev[k] - tridiag_eigenvalue(N, d, e, k)));
    check_close("common.tridiag.lanczos", lerr, 0, 1e-12, NULL,
                "Lanczos (full re-orthogonalisation, 200 steps) lowest 3 vs bisection");
    free(start);
    return check_end();
}
