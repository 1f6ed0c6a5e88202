/* fft — FFTW3 wrapper: transforms on fftw_malloc'd copies, ESTIMATE plans under a mutex, and
   zero-padded FFT convolution. See fft.h for the conventions (normalised inverse). */
#include <complex.h> /* before fftw3.h: fftw_complex is then double _Complex */
#include <fftw3.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/fft.h"
#include "common/util.h"

/* FFTW's planner keeps global state (wisdom, twiddle caches); only fftw_execute is
   re-entrant. Every plan creation and destruction goes through this lock. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

static void planner_enter(void) { pthread_mutex_lock(&planner_lock); }
static void planner_leave(void) { pthread_mutex_unlock(&planner_lock); }

static void destroy_plan(fftw_plan p) {
    planner_enter();
    fftw_destroy_plan(p);
    planner_leave();
}

static int as_int(size_t n) {
    if (n < 1 || n > (size_t)INT_MAX) die("fft: length %zu out of range [1, INT_MAX]", n);
    return (int)n;
}

static void *fft_alloc(size_t bytes) {
    void *p = fftw_malloc(bytes > 0 ? bytes : 1);
    if (!p) die("fft: out of memory (%zu bytes)", bytes);
    return p;
}

size_t fft_good_size(size_t n) {
    if (n <= 1) return 1;
    for (size_t m = n;; m++) {
        size_t r = m;
        static const size_t primes[4] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (r % primes[i] == 0) r /= primes[i];
        if (r == 1) return m;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* complex <-> complex, 1-D and 2-D: one in-place plan on an aligned copy */

static void c2c(int rank, size_t n0, size_t n1, const fft_cplx *in, fft_cplx *out, int sign) {
    size_t n = n0 * n1;
    fftw_complex *buf = fft_alloc(sizeof(fftw_complex) * n);
    planner_enter();
    fftw_plan p = rank == 1 ? fftw_plan_dft_1d(as_int(n0), buf, buf, sign, FFTW_ESTIMATE)
                            : fftw_plan_dft_2d(as_int(n0), as_int(n1), buf, buf, sign,
                                               FFTW_ESTIMATE);
    planner_leave();
    memcpy(buf, in, sizeof(fftw_complex) * n);
    fftw_execute(p);
    destroy_plan(p);
    if (sign == FFTW_BACKWARD) {
        //: $x_j = \frac1N \sum_k X_k e^{+2\pi i jk/N}$: FFTW leaves out the $1/N$
        const double scale = 1.0 / (double)n;
        for (size_t i = 0; i < n; i++) out[i] = buf[i] * scale;
    } else {
        memcpy(out, buf, sizeof(fftw_complex) * n);
    }
    fftw_free(buf);
}

void fft_c2c_forward(size_t n, const fft_cplx *in, fft_cplx *out) {
    c2c(1, n, 1, in, out, FFTW_FORWARD);
}
void fft_c2c_inverse(size_t n, const fft_cplx *in, fft_cplx *out) {
    c2c(1, n, 1, in, out, FFTW_BACKWARD);
}
void fft_c2c_forward_2d(size_t n0, size_t n1, const fft_cplx *in, fft_cplx *out) {
    c2c(2, n0, n1, in, out, FFTW_FORWARD);
}
void fft_c2c_inverse_2d(size_t n0, size_t n1, const fft_cplx *in, fft_cplx *out) {
    c2c(2, n0, n1, in, out, FFTW_BACKWARD);
}

/* ------------------------------------------------------------------------------------------ */
/* real <-> half-complex. rank 1: n0 = n, n1 = 1 (half length n/2+1); rank 2: n0 x (n1/2+1). */

static size_t half_len(int rank, size_t n0, size_t n1) {
    return rank == 1 ? n0 / 2 + 1 : n0 * (n1 / 2 + 1);
}

static void r2c(int rank, size_t n0, size_t n1, const double *x, fft_cplx *X) {
    size_t n = n0 * n1, h = half_len(rank, n0, n1);
    double *rbuf = fft_alloc(sizeof(double) * n);
    fftw_complex *cbuf = fft_alloc(sizeof(fftw_complex) * h);
    planner_enter();
    fftw_plan p = rank == 1
                      ? fftw_plan_dft_r2c_1d(as_int(n0), rbuf, cbuf, FFTW_ESTIMATE)
                      : fftw_plan_dft_r2c_2d(as_int(n0), as_int(n1), rbuf, cbuf, FFTW_ESTIMATE);
    planner_leave();
    memcpy(rbuf, x, sizeof(double) * n);
    fftw_execute(p);
    destroy_plan(p);
    memcpy(X, cbuf, sizeof(fftw_complex) * h);
    fftw_free(cbuf);
    fftw_free(rbuf);
}

static void c2r(int rank, size_t n0, size_t n1, const fft_cplx *X, double *x) {
    size_t n = n0 * n1, h = half_len(rank, n0, n1);
    double *rbuf = fft_alloc(sizeof(double) * n);
    fftw_complex *cbuf = fft_alloc(sizeof(fftw_complex) * h);
    planner_enter();
    fftw_plan p = rank == 1
                      ? fftw_plan_dft_c2r_1d(as_int(n0), cbuf, rbuf, FFTW_ESTIMATE)
                      : fftw_plan_dft_c2r_2d(as_int(n0), as_int(n1), cbuf, rbuf, FFTW_ESTIMATE);
    planner_leave();
    memcpy(cbuf, X, sizeof(fftw_complex) * h); /* c2r overwrites its input: work on a copy */
    fftw_execute(p);
    destroy_plan(p);
    //: $x_j = \frac1N \sum_k X_k e^{+2\pi i jk/N}$ {#eq:common.fft.inverse_scale}
    const double scale = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++) x[i] = rbuf[i] * scale;
    fftw_free(cbuf);
    fftw_free(rbuf);
}

void fft_r2c_forward(size_t n, const double *x, fft_cplx *X) { r2c(1, n, 1, x, X); }
void fft_c2r_inverse(size_t n, const fft_cplx *X, double *x) { c2r(1, n, 1, X, x); }
void fft_r2c_forward_2d(size_t n0, size_t n1, const double *x, fft_cplx *X) {
    r2c(2, n0, n1, x, X);
}
void fft_c2r_inverse_2d(size_t n0, size_t n1, const fft_cplx *X, double *x) {
    c2r(2, n0, n1, X, x);
}

/* ------------------------------------------------------------------------------------------ */
/* convolution */

void convolve_direct(const double *a, size_t na, const double *b, size_t nb, double *out) {
    for (size_t k = 0; k < na + nb - 1; k++) out[k] = 0.0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            //: $(a*b)_{i+j} \mathrel{+}= a_i b_j$
            out[i + j] += a[i] * b[j];
}

/* Both inputs zero-padded into N0 x N1 arrays (rank 1: N1 = 1), transformed, multiplied and
   transformed back; the first (a0+b0-1) x (a1+b1-1) values are the linear convolution. */
static void convolve_padded(int rank, const double *a, size_t a0, size_t a1, const double *b,
                            size_t b0, size_t b1, double *out) {
    const size_t c0 = a0 + b0 - 1, c1 = a1 + b1 - 1;
    //: $N \ge n_a + n_b - 1$: no term of the circular convolution wraps around
    const size_t N0 = fft_good_size(c0), N1 = rank == 1 ? 1 : fft_good_size(c1);
    const size_t h = half_len(rank, N0, N1);
    double *pa = xcalloc(N0 * N1, sizeof(double)), *pb = xcalloc(N0 * N1, sizeof(double));
    for (size_t i = 0; i < a0; i++) memcpy(pa + i * N1, a + i * a1, sizeof(double) * a1);
    for (size_t i = 0; i < b0; i++) memcpy(pb + i * N1, b + i * b1, sizeof(double) * b1);
    fft_cplx *A = xmalloc(sizeof(fft_cplx) * h), *B = xmalloc(sizeof(fft_cplx) * h);
    r2c(rank, N0, N1, pa, A);
    r2c(rank, N0, N1, pb, B);
    //: $\mathrm{DFT}(\bar a * \bar b) = \mathrm{DFT}(\bar a)\,\mathrm{DFT}(\bar b)$
    for (size_t k = 0; k < h; k++) A[k] *= B[k];
    c2r(rank, N0, N1, A, pa);
    for (size_t i = 0; i < c0; i++) memcpy(out + i * c1, pa + i * N1, sizeof(double) * c1);
    free(A);
    free(B);
    free(pa);
    free(pb);
}

void fft_convolve(const double *a, size_t na, const double *b, size_t nb, double *out) {
    convolve_padded(1, a, na, 1, b, nb, 1, out);
}

void fft_convolve_2d(const double *a, size_t a0, size_t a1, const double *b, size_t b0,
                     size_t b1, double *out) {
    convolve_padded(2, a, a0, a1, b, b0, b1, out);
}

/* ------------------------------------------------------------------------------------------ */
/* reusable rank-n plans (fft_plan_nd): one aligned buffer, copied in and out */

struct FftPlanNd {
    fftw_plan plan;
    fftw_complex *buf;
    size_t n;
};

FftPlanNd *fft_plan_nd(int rank, const int *dims, int sign) {
    FftPlanNd *p = xcalloc(1, sizeof *p);
    p->n = 1;
    for (int r = 0; r < rank; r++) p->n *= (size_t)dims[r];
    p->buf = fft_alloc(sizeof(fftw_complex) * p->n);
    planner_enter();
    p->plan = fftw_plan_dft(rank, dims, p->buf, p->buf, sign < 0 ? FFTW_FORWARD : FFTW_BACKWARD,
                            FFTW_ESTIMATE);
    planner_leave();
    return p;
}

void fft_plan_nd_execute(FftPlanNd *p, fft_cplx *data) {
    memcpy(p->buf, data, sizeof(fftw_complex) * p->n);
    fftw_execute(p->plan);
    memcpy(data, p->buf, sizeof(fftw_complex) * p->n);
}

void fft_plan_nd_free(FftPlanNd *p) {
    if (!p) return;
    destroy_plan(p->plan);
    fftw_free(p->buf);
    free(p);
}
