/* tridiag — Sturm bisection, birth–death gaps by exact cumulative-sum solves, Lanczos.
   See tridiag.h (introduced by lectures/n2_diffusion_annealing 04, 07, 08). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/tridiag.h"
#include "common/util.h"

int tridiag_count_below(int n, const double *d, const double *e, double x) {
    int count = 0;
    double q = 1.0;
    for (int i = 0; i < n; i++) {
        //: $q_i = d_i - x - e_{i-1}^2/q_{i-1}$: a negative pivot of $LDL^\top$ per eigenvalue below x
        double off = i > 0 ? e[i - 1] * e[i - 1] / q : 0.0;
        q = d[i] - x - off;
        if (q == 0.0) q = -DBL_MIN; /* a zero pivot counts as just below */
        if (q < 0) count++;
    }
    return count;
}

double tridiag_eigenvalue(int n, const double *d, const double *e, int k) {
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double r = (i > 0 ? fabs(e[i - 1]) : 0) + (i < n - 1 ? fabs(e[i]) : 0);
        lo = fmin(lo, d[i] - r), hi = fmax(hi, d[i] + r); /* Gershgorin discs */
    }
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (tridiag_count_below(n, d, e, mid) > k) hi = mid;
        else lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* f minus its pi-weighted mean (the projection orthogonal to the constant, eigenvalue 0). */
static void center(int n, const double *pi, double *f) {
    double s = 0, w = 0;
    for (int i = 0; i < n; i++) s += pi[i] * f[i], w += pi[i];
    for (int i = 0; i < n; i++) f[i] -= s / w;
}

static double rayleigh(int n, const double *pi, const double *c, const double *f) {
    double num = 0, den = 0;
    for (int i = 0; i < n - 1; i++) num += c[i] * (f[i] - f[i + 1]) * (f[i] - f[i + 1]);
    for (int i = 0; i < n; i++) den += pi[i] * f[i] * f[i];
    return num / den;
}

double birth_death_gap(int n, const double *pi, const double *c, double *f_out) {
    double *r = xmalloc(sizeof(double) * (size_t)n), *f = xmalloc(sizeof(double) * (size_t)n);
    double *mass_left = xmalloc(sizeof(double) * (size_t)n);
    double wsum = 0;
    for (int i = 0; i < n; i++) r[i] = (double)i - 0.5 * (n - 1), wsum += pi[i], mass_left[i] = wsum;
    center(n, pi, r);
    double lambda = rayleigh(n, pi, c, r), prev = INFINITY;
    for (int it = 0; it < 500 && fabs(lambda - prev) > 1e-15 * lambda; it++) {
        /* The flux J_i is the sum of pi_j r_j over j <= i, or minus the sum over j > i (the
           total is 0). Each is taken from the side of smaller mass, so its rounding error is
           relative to that mass: near an end where c_i is tiny, J_i / c_i stays accurate. */
        double *Jl = f; /* reuse f as scratch for the left sums */
        double acc = 0;
        for (int i = 0; i < n; i++) acc += pi[i] * r[i], Jl[i] = acc;
        double accr = 0;
        double *Jr = xmalloc(sizeof(double) * (size_t)n);
        for (int i = n - 1; i >= 0; i--) Jr[i] = -accr, accr += pi[i] * r[i];
        //: $J_i = \sum_{j\le i}\pi_j r_j$, $f_{i+1} = f_i - J_i/c_i$ solves $Bf = \Pi r$, eq. [eq:common.tridiag.birth_death]
        double fi = 0, fnext;
        for (int i = 0; i < n - 1; i++) {
            double J = mass_left[i] <= wsum - mass_left[i] ? Jl[i] : Jr[i];
            fnext = fi - J / c[i];
            Jl[i] = fi; /* f_i, stored where J_i was (no longer needed) */
            fi = fnext;
        }
        f[n - 1] = fi;
        free(Jr);
        center(n, pi, f);
        double norm = 0;
        for (int i = 0; i < n; i++) norm += pi[i] * f[i] * f[i];
        norm = sqrt(norm / wsum);
        for (int i = 0; i < n; i++) r[i] = f[i] / norm;
        prev = lambda;
        lambda = rayleigh(n, pi, c, r);
    }
    if (f_out) memcpy(f_out, r, sizeof(double) * (size_t)n);
    free(r);
    free(f);
    free(mass_left);
    return lambda;
}

int lanczos_lowest(size_t dim, lanczos_matvec matvec, void *ctx, const double *start, int m,
                   int k, double *evals) {
    if ((size_t)m > dim) m = (int)dim;
    double *V = xmalloc(sizeof(double) * dim * (size_t)(m + 1));
    double *w = xmalloc(sizeof(double) * dim);
    double *alpha = xcalloc((size_t)m + 1, sizeof(double)), *beta = xcalloc((size_t)m + 1, sizeof(double));
    double nrm = 0;
    for (size_t i = 0; i < dim; i++) nrm += start[i] * start[i];
    nrm = sqrt(nrm);
    for (size_t i = 0; i < dim; i++) V[i] = start[i] / nrm;
    int steps = 0;
    for (int j = 0; j < m; j++) {
        double *v = V + (size_t)j * dim;
        matvec(v, w, ctx);
        double a = 0;
        for (size_t i = 0; i < dim; i++) a += v[i] * w[i];
        alpha[j] = a;
        steps = j + 1;
        // full re-orthogonalisation (twice: "twice is enough") against every earlier vector
        for (int pass = 0; pass < 2; pass++)
            for (int l = 0; l <= j; l++) {
                const double *u = V + (size_t)l * dim;
                double dot = 0;
                for (size_t i = 0; i < dim; i++) dot += u[i] * w[i];
                for (size_t i = 0; i < dim; i++) w[i] -= dot * u[i];
            }
        double b = 0;
        for (size_t i = 0; i < dim; i++) b += w[i] * w[i];
        b = sqrt(b);
        if (j == m - 1 || b < 1e-13 * (fabs(a) + 1.0)) break; /* Krylov space exhausted */
        beta[j] = b;
        double *vn = V + (size_t)(j + 1) * dim;
        for (size_t i = 0; i < dim; i++) vn[i] = w[i] / b;
    }
    for (int q = 0; q < k; q++)
        evals[q] = q < steps ? tridiag_eigenvalue(steps, alpha, beta, q) : NAN;
    free(V);
    free(w);
    free(alpha);
    free(beta);
    return steps;
}
