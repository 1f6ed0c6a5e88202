/*: # fft — discrete Fourier transforms and FFT convolution (a thin FFTW3 wrapper)

Kernel density estimates on a grid (kde.h), autocorrelations of Markov chains (ess.h) and
blurs of images all reduce to one operation, the linear convolution

$$ (a * b)_k = \sum_{j} a_j\, b_{k-j},\qquad k = 0, \dots, n_a + n_b - 2, $$ {#eq:common.fft.linear_conv}

which costs $O(n_a n_b)$ as a direct sum and $O(N \log N)$ through the discrete Fourier
transform (DFT). The DFT of length $N$ and its inverse are

$$ X_k = \sum_{j=0}^{N-1} x_j\, e^{-2\pi i jk/N},\qquad
   x_j = \frac{1}{N}\sum_{k=0}^{N-1} X_k\, e^{+2\pi i jk/N}. $$ {#eq:common.fft.dft}

The DFT turns *circular* convolution into a pointwise product. Zero-padding both sequences to
$N \ge n_a + n_b - 1$ makes the circular convolution equal to the linear one (no term wraps
around), so $a * b = \mathrm{IDFT}(\mathrm{DFT}(\bar a)\cdot\mathrm{DFT}(\bar b))$ with
$\bar a, \bar b$ the padded sequences. The 2-D case is the same along each axis.

**Normalisation.** FFTW computes both directions without the $1/N$ factor, so a forward then
backward FFTW transform multiplies by $N$. This wrapper returns the forward transform
unnormalised (the left formula above) and the inverse **normalised** (the right formula), so
`fft_*_inverse(fft_*_forward(x)) == x` up to rounding. Parseval then reads
$\sum_j |x_j|^2 = \frac1N \sum_k |X_k|^2$.

**Real data.** For real $x$ the spectrum is Hermitian, $X_{N-k} = \overline{X_k}$, so the
real-to-complex (r2c) transforms store only $X_0, \dots, X_{\lfloor N/2\rfloor}$
($N/2+1$ values); in 2-D an $n_0\times n_1$ real array has an $n_0 \times (n_1/2+1)$ half
spectrum, row-major. The complex-to-real (c2r) inverse assumes that symmetry.

**Determinism.** Plans are made with `FFTW_ESTIMATE`: FFTW picks the algorithm from a fixed
heuristic of the size alone. With `FFTW_MEASURE` it would time candidate algorithms on this
machine at this moment and keep the fastest, so two runs could choose different algorithms
and get results that differ in the last bits. All transforms run on buffers from
`fftw_malloc` (copied in and out), so the plan does not depend on the caller's array
alignment either: the same input gives the same bits, run to run and thread to thread.

**Threads.** FFTW's planner (plan creation and destruction) is not thread-safe; executing a
plan is. The wrapper serialises its planner calls with one process-wide mutex, so all functions
here may be called from several threads (e.g. inside an OpenMP loop) at once.

All arrays are row-major doubles; `double _Complex` has the memory layout of FFTW's
`fftw_complex` (re, im). Lengths must be $\ge 1$.
*/
#ifndef COMMON_FFT_H
#define COMMON_FFT_H

#include <complex.h>
#include <stddef.h>

typedef double _Complex fft_cplx;

/* Smallest n' >= n of the form 2^a 3^b 5^c 7^d (sizes FFTW transforms fastest). */
size_t fft_good_size(size_t n);

/* 1-D complex: out[k] = sum_j in[j] e^{-2 pi i jk/n} (forward), or the normalised inverse.
   in and out may be the same array. */
void fft_c2c_forward(size_t n, const fft_cplx *in, fft_cplx *out);
void fft_c2c_inverse(size_t n, const fft_cplx *in, fft_cplx *out);

/* 1-D real: x (n) -> X (n/2 + 1); inverse X (n/2 + 1) -> x (n), normalised, X untouched. */
void fft_r2c_forward(size_t n, const double *x, fft_cplx *X);
void fft_c2r_inverse(size_t n, const fft_cplx *X, double *x);

/* 2-D, n0 rows by n1 columns. c2c: in/out n0*n1. r2c: x n0*n1 -> X n0*(n1/2+1). */
void fft_c2c_forward_2d(size_t n0, size_t n1, const fft_cplx *in, fft_cplx *out);
void fft_c2c_inverse_2d(size_t n0, size_t n1, const fft_cplx *in, fft_cplx *out);
void fft_r2c_forward_2d(size_t n0, size_t n1, const double *x, fft_cplx *X);
void fft_c2r_inverse_2d(size_t n0, size_t n1, const fft_cplx *X, double *x);

/* Linear convolution of real sequences: out has na + nb - 1 values (eq. linear_conv). */
void fft_convolve(const double *a, size_t na, const double *b, size_t nb, double *out);
/* 2-D linear ("full") convolution: a is a0 x a1, b is b0 x b1, out is
   (a0 + b0 - 1) x (a1 + b1 - 1), all row-major. */
void fft_convolve_2d(const double *a, size_t a0, size_t a1, const double *b, size_t b0,
                     size_t b1, double *out);

/* Reference O(na nb) direct sum of the same convolution (for tests and tiny inputs). */
void convolve_direct(const double *a, size_t na, const double *b, size_t nb, double *out);

/* A reusable in-place complex plan of any rank (dims[0] slowest), for loops that transform
   the same shape many times (split-step integrators). sign -1: forward; +1: the *unnormalised*
   backward sum (FFTW's convention; the caller scales). Rank n with dims {2, ..., 2} is the
   Walsh-Hadamard transform H_2^{(x)n} (a size-2 DFT is [[1,1],[1,-1]] for either sign); the
   n2 lectures use it that way (common/spin_chain.h). */
typedef struct FftPlanNd FftPlanNd;
FftPlanNd *fft_plan_nd(int rank, const int *dims, int sign);
void fft_plan_nd_execute(FftPlanNd *plan, fft_cplx *data); /* in place, data any alignment */
void fft_plan_nd_free(FftPlanNd *plan);                     /* NULL-safe */

#endif
