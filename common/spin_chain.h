/*: # spin_chain — exact state vectors of $n$ spins-½ under a transverse field

Introduced by lectures/n2_diffusion_annealing/07 (quantum annealing of transverse-field Ising
models) and reused by 08 (SA vs QA). A state of $n$ spins is a vector $\psi\in\mathbb C^{2^n}$
indexed by bit strings $b$; bit $i$ of $b$ is spin $i$, with $z_i(b) = 1 - 2b_i$ the eigenvalue
of $\sigma^z_i$. A classical (diagonal) problem Hamiltonian is a table $E_P(b)$.

**Walsh–Hadamard.** $W = H_2^{\otimes n}/2^{n/2}$ with $H_2 = \begin{pmatrix}1&1\\1&-1\end{pmatrix}$
maps $\sigma^z_i$ to $\sigma^x_i$: $W\sigma^z_iW = \sigma^x_i$, $W^2 = I$. Since a DFT of
length 2 *is* $H_2$, FFTW's rank-$n$ transform of shape $2\times\dots\times2$ computes
$H_2^{\otimes n}$ (fft.h `fft_plan_nd`); `spin_wht_butterfly` is the explicit in-place butterfly
used to cross-check it.

**Annealing step.** For $H(s) = -(1-s)\Gamma\sum_i\sigma^x_i + sH_P$ one Strang step of length
$\delta t$ at the midpoint $s_m$ is

$$ \psi \leftarrow D_P(\tfrac{\delta t}{2})\,W\,D_X(\delta t)\,W\,D_P(\tfrac{\delta t}{2})\,\psi,\quad
   D_P(\delta)_b = e^{-i\delta s_m E_P(b)},\quad D_X(\delta)_b = e^{+i\delta(1-s_m)\Gamma\sum_i z_i(b)} $$ {#eq:common.spin_chain.strang}

(second order in $\delta t$, exactly unitary).
*/
#ifndef COMMON_SPIN_CHAIN_H
#define COMMON_SPIN_CHAIN_H

#include <stddef.h>

#include "common/fft.h"

/* z_i(b) = 1 - 2 b_i */
static inline int spin_z(size_t b, int i) { return 1 - 2 * (int)((b >> i) & 1u); }

/* E_P(b) = -sum_{i<j} J[i*n+j] z_i z_j - sum_i h[i] z_i (h may be NULL), for all 2^n b. */
void spin_ising_table(int n, const double *J, const double *h, double *ep);
/* Periodic ring: E_P(b) = -J sum_i z_i z_{i+1 mod n}. */
void spin_ring_table(int n, double J, double *ep);

typedef struct SpinWht SpinWht;
SpinWht *spin_wht_new(int n);                       /* an FFTW rank-n plan of shape 2x...x2 */
void spin_wht_apply(SpinWht *w, fft_cplx *psi);     /* psi <- W psi (normalised) */
void spin_wht_free(SpinWht *w);
void spin_wht_butterfly(int n, fft_cplx *psi);      /* the same W by explicit butterflies */

/* One step of eq. strang from s_mid with field gamma. */
void spin_anneal_step(SpinWht *w, int n, const double *ep, double s_mid, double gamma, double dt,
                      fft_cplx *psi);

/* H(s) x for real x (H is real symmetric): the Lanczos matvec of tridiag.h. */
typedef struct {
    int n;
    const double *ep;
    double s, gamma;
} SpinTfim;
void spin_tfim_matvec(const double *x, double *y, void *ctx /* SpinTfim */);

#endif
