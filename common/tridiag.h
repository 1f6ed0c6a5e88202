/*: # tridiag — symmetric tridiagonal spectra, reversible birth–death gaps, Lanczos

Introduced by the bridge lectures of the study note (lectures/n2_diffusion_annealing: 04 for
the Fokker–Planck ↔ Schrödinger gaps, 07 and 08 for transverse-field Ising spectra). Three
tools for the same object, a symmetric tridiagonal matrix $T$ with diagonal $d$ and
off-diagonal $e$:

**Sturm bisection.** The number of eigenvalues of $T$ below $x$ equals the number of negative
pivots of $T - xI = LDL^\top$, with $q_0 = d_0 - x$, $q_i = d_i - x - e_{i-1}^2/q_{i-1}$;
bisecting on that count isolates the $k$-th eigenvalue to an absolute accuracy of a few ulps
of $\lVert T\rVert$.

**Reversible birth–death chains.** An absolute accuracy of $10^{-16}\lVert T\rVert$ is useless
for an exponentially small gap. For a reversible chain with stationary weights $\pi_i$ and
edge conductances $c_i = \pi_i P_{i\to i+1} = \pi_{i+1}P_{i+1\to i}$ the gap is the smallest
non-zero $\lambda$ of

$$ (Bf)_i = c_i (f_i - f_{i+1}) + c_{i-1}(f_i - f_{i-1}) = \lambda\,\pi_i f_i . $$ {#eq:common.tridiag.birth_death}

$Bf = \Pi r$ is solved exactly by a cumulative sum (the flux $J_i = c_i(f_i - f_{i+1}) =
\sum_{j\le i}\pi_j r_j$), with no cancellation, so inverse iteration on it and the Rayleigh
quotient $\lambda = \sum_i c_i(f_i - f_{i+1})^2/\sum_i\pi_i f_i^2$ (a sum of positive terms)
give the gap to full *relative* precision, however small it is.

**Lanczos** with full re-orthogonalisation builds the tridiagonal matrix of a large symmetric
operator (given as a matrix–vector product) on a Krylov space; its lowest Ritz values
converge to the operator's lowest eigenvalues in the sectors the start vector touches.
*/
#ifndef COMMON_TRIDIAG_H
#define COMMON_TRIDIAG_H

#include <stddef.h>

/* Number of eigenvalues of the n x n tridiagonal (d, e[n-1]) strictly below x. */
int tridiag_count_below(int n, const double *d, const double *e, double x);
/* The k-th smallest eigenvalue (k = 0, 1, ...) by bisection to machine precision. */
double tridiag_eigenvalue(int n, const double *d, const double *e, int k);

/* Smallest non-zero eigenvalue of eq. birth_death: pi[n] > 0 (any normalisation), c[n-1] > 0.
   f (may be NULL) receives the eigenvector, normalised sum pi f^2 = sum pi. */
double birth_death_gap(int n, const double *pi, const double *c, double *f);

/* y = A x for a symmetric operator of dimension dim. */
typedef void (*lanczos_matvec)(const double *x, double *y, void *ctx);
/* Lowest k eigenvalues (ascending, into evals) of the operator restricted to the Krylov space
   of `start` (dim values, need not be normalised), with at most m steps and full
   re-orthogonalisation. Returns the number of steps done. */
int lanczos_lowest(size_t dim, lanczos_matvec matvec, void *ctx, const double *start, int m,
                   int k, double *evals);

#endif
