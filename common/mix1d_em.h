/*: # mix1d_em — a 1-D Gaussian mixture fitted by EM

Introduced by L07 Z5b.5 (`lectures/07_mle/04_gmm_mle.c`: EM against L-BFGS, the collapse onto
one point, BIC over $K$) and used again by Z5.14 (`13_generative_1d_compare.c`). One step computes
the responsibilities $r_{ki}$ at the current parameters (a softmax in log space) and applies the
closed-form M-step of eq. [eq:L07.Z5b.5.em_update]; each step can only increase the
log-likelihood $\ell$ (Jensen's inequality).
*/
#ifndef COMMON_MIX1D_EM_H
#define COMMON_MIX1D_EM_H

enum { MIX1D_KMAX = 4 };

typedef struct {
    int k; /* number of components, 1..MIX1D_KMAX */
    double w[MIX1D_KMAX], mu[MIX1D_KMAX], sd[MIX1D_KMAX];
} Mix1d;

/* One EM step; returns the log-likelihood at the parameters *before* the update. `resp` is
   scratch space for n x MIX1D_KMAX responsibilities (row i: r_{0i}, ..., r_{k-1,i}). */
double mix1d_em_step(Mix1d *m, const double *x, int n, double *resp);

/* EM until |l_{t+1} - l_t| < tol (or max_iter steps). trace (may be NULL) receives l_t for
   t = 0, 1, ... below trace_cap; returns the number of steps; *loglik gets the final l and
   *min_increase the smallest l_{t+1} - l_t seen (the monotonicity check). */
int mix1d_em_fit(Mix1d *m, const double *x, int n, double tol, int max_iter, double *trace,
                 int trace_cap, double *loglik, double *min_increase);

#endif
