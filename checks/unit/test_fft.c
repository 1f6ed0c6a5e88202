/* Unit tests of common/fft.h: transforms against a naive O(n^2) DFT, round trips, Parseval,
   FFT convolution against the direct sum (1-D and 2-D), bit-reproducibility and concurrent use. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/fft.h"
#include "common/rng.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

/* Naive DFT straight from the definition (fft.h eq. dft), sign -1 forward. */
static void dft_naive(size_t n, const fft_cplx *x, fft_cplx *X) {
    for (size_t k = 0; k < n; k++) {
        fft_cplx s = 0;
        for (size_t j = 0; j < n; j++) {
            double ang = -2.0 * PI * (double)((j * k) % n) / (double)n;
            s += x[j] * (cos(ang) + I * sin(ang));
        }
        X[k] = s;
    }
}

static double max_abs_diff_c(const fft_cplx *a, const fft_cplx *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, cabs(a[i] - b[i]));
    return m;
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the FFTW wrapper and FFT convolution",
              11, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    /* good sizes: values checked with a 6-line python loop dividing out 2, 3, 5, 7 */
    check_true("common.fft.good_size",
               fft_good_size(1031) == 1050 && fft_good_size(1025) == 1029 &&
                   fft_good_size(97) == 98 && fft_good_size(1024) == 1024 && fft_good_size(1) == 1,
               "next 7-smooth size: 1031->1050, 1025->1029, 97->98, 1024->1024, 1->1");

    /* 1-D complex forward vs the definition, n = 60 (not a power of two). Rounding of both
       sums is ~ n * eps * max|x| ~ 1e-14. */
    const size_t n = 60;
    fft_cplx *x = xmalloc(sizeof(fft_cplx) * n), *X = xmalloc(sizeof(fft_cplx) * n),
             *Xn = xmalloc(sizeof(fft_cplx) * n), *xb = xmalloc(sizeof(fft_cplx) * n);
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(&r) + I * rng_normal(&r);
    fft_c2c_forward(n, x, X);
    dft_naive(n, x, Xn);
    check_close("common.fft.c2c_vs_naive", max_abs_diff_c(X, Xn, n), 0, 1e-11,
                "common.fft.dft", "max |FFT - naive DFT| over 60 complex normals");
    fft_c2c_inverse(n, X, xb);
    check_close("common.fft.c2c_roundtrip", max_abs_diff_c(x, xb, n), 0, 1e-13,
                "common.fft.dft", "inverse(forward(x)) = x: the inverse is normalised by 1/n");
    double ex = 0, eX = 0;
    for (size_t i = 0; i < n; i++) {
        ex += creal(x[i] * conj(x[i]));
        eX += creal(X[i] * conj(X[i]));
    }
    check_rel("common.fft.parseval_1d", eX / (double)n, ex, 1e-13, "common.fft.dft",
              "Parseval: sum|x|^2 = (1/n) sum|X|^2");
    /* in place is allowed */
    memcpy(xb, x, sizeof(fft_cplx) * n);
    fft_c2c_forward(n, xb, xb);
    check_true("common.fft.c2c_in_place", memcmp(xb, X, sizeof(fft_cplx) * n) == 0,
               "in-place forward gives the same bits as out-of-place");

    /* real transforms, odd and even n: r2c equals the first n/2+1 of c2c of the real data */
    const size_t sizes[2] = {97, 128};
    for (int s = 0; s < 2; s++) {
        size_t m = sizes[s], h = m / 2 + 1;
        double *xr = xmalloc(sizeof(double) * m), *yr = xmalloc(sizeof(double) * m);
        fft_cplx *xc = xmalloc(sizeof(fft_cplx) * m), *Xc = xmalloc(sizeof(fft_cplx) * m),
                 *Xh = xmalloc(sizeof(fft_cplx) * h);
        for (size_t i = 0; i < m; i++) xc[i] = xr[i] = rng_normal(&r);
        fft_c2c_forward(m, xc, Xc);
        fft_r2c_forward(m, xr, Xh);
        check_close(s ? "common.fft.r2c_vs_c2c_even" : "common.fft.r2c_vs_c2c_odd",
                    max_abs_diff_c(Xh, Xc, h), 0, 1e-12, NULL,
                    "r2c half spectrum = first n/2+1 values of the complex FFT (n=%zu)", m);
        fft_c2r_inverse(m, Xh, yr);
        check_close(s ? "common.fft.r2c_roundtrip_even" : "common.fft.r2c_roundtrip_odd",
                    max_abs_diff(xr, yr, m), 0, 1e-13, NULL, "c2r(r2c(x)) = x (n=%zu)", m);
        free(xr);
        free(yr);
        free(xc);
        free(Xc);
        free(Xh);
    }

    /* 2-D complex 6 x 10 vs the separable naive DFT (rows, then columns) */
    {
        const size_t n0 = 6, n1 = 10, nn = n0 * n1;
        fft_cplx *a = xmalloc(sizeof(fft_cplx) * nn), *A = xmalloc(sizeof(fft_cplx) * nn),
                 *An = xmalloc(sizeof(fft_cplx) * nn), *b = xmalloc(sizeof(fft_cplx) * nn);
        fft_cplx row[10], row_out[10], col[6], col_out[6];
        for (size_t i = 0; i < nn; i++) a[i] = rng_normal(&r) + I * rng_normal(&r);
        for (size_t i = 0; i < n0; i++) {
            memcpy(row, a + i * n1, sizeof row);
            dft_naive(n1, row, row_out);
            memcpy(An + i * n1, row_out, sizeof row);
        }
        for (size_t j = 0; j < n1; j++) {
            for (size_t i = 0; i < n0; i++) col[i] = An[i * n1 + j];
            dft_naive(n0, col, col_out);
            for (size_t i = 0; i < n0; i++) An[i * n1 + j] = col_out[i];
        }
        fft_c2c_forward_2d(n0, n1, a, A);
        check_close("common.fft.c2c_2d_vs_naive", max_abs_diff_c(A, An, nn), 0, 1e-12, NULL,
                    "2-D FFT (6x10) = naive DFT along rows then columns");
        fft_c2c_inverse_2d(n0, n1, A, b);
        check_close("common.fft.c2c_2d_roundtrip", max_abs_diff_c(a, b, nn), 0, 1e-13, NULL,
                    "2-D inverse(forward(x)) = x");
        free(a);
        free(A);
        free(An);
        free(b);
    }
    /* 2-D real 9 x 16: round trip, Parseval over the half spectrum (columns 1..n1/2-1 count
       twice: they stand for themselves and their conjugate mirror) */
    {
        const size_t n0 = 9, n1 = 16, nn = n0 * n1, hc = n1 / 2 + 1;
        double *a = xmalloc(sizeof(double) * nn), *b = xmalloc(sizeof(double) * nn);
        fft_cplx *A = xmalloc(sizeof(fft_cplx) * n0 * hc);
        for (size_t i = 0; i < nn; i++) a[i] = rng_normal(&r);
        fft_r2c_forward_2d(n0, n1, a, A);
        double ea = 0, eA = 0;
        for (size_t i = 0; i < nn; i++) ea += a[i] * a[i];
        for (size_t i = 0; i < n0; i++)
            for (size_t j = 0; j < hc; j++) {
                double w = (j == 0 || j == n1 / 2) ? 1.0 : 2.0;
                eA += w * creal(A[i * hc + j] * conj(A[i * hc + j]));
            }
        check_rel("common.fft.parseval_2d", eA / (double)nn, ea, 1e-13, NULL,
                  "2-D Parseval from the r2c half spectrum (9x16)");
        fft_c2r_inverse_2d(n0, n1, A, b);
        check_close("common.fft.r2c_2d_roundtrip", max_abs_diff(a, b, nn), 0, 1e-13, NULL,
                    "2-D c2r(r2c(x)) = x (9x16)");
        free(a);
        free(b);
        free(A);
    }

    /* 1-D convolution vs the direct double sum. Both are sums of ~37 products of normals; the
       FFT's rounding is ~ eps * log N * sum|a||b| ~ 1e-13. */
    {
        const size_t na = 37, nb = 101, nc = na + nb - 1;
        double *a = xmalloc(sizeof(double) * na), *b = xmalloc(sizeof(double) * nb);
        double *c1 = xmalloc(sizeof(double) * nc), *c2 = xmalloc(sizeof(double) * nc),
               *c3 = xmalloc(sizeof(double) * nc);
        for (size_t i = 0; i < na; i++) a[i] = rng_normal(&r);
        for (size_t i = 0; i < nb; i++) b[i] = rng_normal(&r);
        fft_convolve(a, na, b, nb, c1);
        convolve_direct(a, na, b, nb, c2);
        check_close("common.fft.conv_vs_direct", max_abs_diff(c1, c2, nc), 0, 1e-12,
                    "common.fft.linear_conv", "FFT convolution (37 * 101) = direct O(n^2) sum");
        fft_convolve(a, na, b, nb, c3);
        check_true("common.fft.conv_reproducible", memcmp(c1, c3, sizeof(double) * nc) == 0,
                   "the same convolution twice gives identical bits (FFTW_ESTIMATE plans)");
        /* hand example: (1,2,3) * (0,1,0.5) = (0,1,2.5,4,1.5) */
        const double u[3] = {1, 2, 3}, v[3] = {0, 1, 0.5}, want[5] = {0, 1, 2.5, 4, 1.5};
        double got[5];
        fft_convolve(u, 3, v, 3, got);
        check_close("common.fft.conv_hand", max_abs_diff(got, want, 5), 0, 1e-15, NULL,
                    "(1,2,3) * (0,1,1/2) = (0,1,5/2,4,3/2) worked by hand");

        /* concurrent use from several threads equals the serial result */
        int ok = 1;
#pragma omp parallel for reduction(& : ok)
        for (int t = 0; t < 16; t++) {
            double *ct = xmalloc(sizeof(double) * nc);
            fft_convolve(a, na, b, nb, ct);
            ok &= memcmp(ct, c1, sizeof(double) * nc) == 0;
            free(ct);
        }
        check_true("common.fft.threads", ok,
                   "16 convolutions from an OpenMP loop (planner serialised) equal the serial bits");
        free(a);
        free(b);
        free(c1);
        free(c2);
        free(c3);
    }

    /* 2-D full convolution (7 x 5) * (4 x 6) vs the direct quadruple sum */
    {
        const size_t a0 = 7, a1 = 5, b0 = 4, b1 = 6, c0 = a0 + b0 - 1, c1 = a1 + b1 - 1;
        double a[35], b[24], cf[10 * 10], cd[10 * 10] = {0};
        for (size_t i = 0; i < a0 * a1; i++) a[i] = rng_normal(&r);
        for (size_t i = 0; i < b0 * b1; i++) b[i] = rng_normal(&r);
        for (size_t i = 0; i < a0; i++)
            for (size_t j = 0; j < a1; j++)
                for (size_t k = 0; k < b0; k++)
                    for (size_t l = 0; l < b1; l++)
                        cd[(i + k) * c1 + (j + l)] += a[i * a1 + j] * b[k * b1 + l];
        fft_convolve_2d(a, a0, a1, b, b0, b1, cf);
        check_close("common.fft.conv_2d_vs_direct", max_abs_diff(cf, cd, c0 * c1), 0, 1e-12,
                    NULL, "2-D FFT convolution (7x5 * 4x6) = direct sum");
    }

    free(x);
    free(X);
    free(Xn);
    free(xb);
    return check_end();
}
