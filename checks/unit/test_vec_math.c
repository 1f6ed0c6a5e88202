/* Unit tests of common/vec_math.h: vm_exp_f32 against e^x computed in double (libm's exp, then
   compared without rounding) on a regular sample of float bit patterns over [-110, 90] (every
   1021st float: a prime stride, so the sample walks through all mantissa patterns), in units in
   the last place of the float result (2^-149 for subnormal results); the edges (0 below -104,
   inf above 89, NaN and the infinities passed through); and the same bits from loops compiled
   for AVX2 and AVX-512 as from the plain loop (the header promises it: no contraction, the same
   roundings in every lane). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/util.h"
#include "common/vec_math.h"

/* ulp of a float result near the positive value e (e itself in double) */
static double ulp_of(double e) {
    if (e < ldexp(1.0, -126)) return ldexp(1.0, -149);
    int ex;
    frexp(e, &ex); /* e = f 2^ex, f in [0.5, 1) */
    return ldexp(1.0, ex - 24);
}

static void exp_loop(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = vm_exp_f32(x[i]);
}
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_X86 1
__attribute__((target("avx2"), optimize("O3", "no-trapping-math"))) static void
exp_loop_avx2(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = vm_exp_f32(x[i]);
}
__attribute__((target("avx512f"), optimize("O3", "no-trapping-math"))) static void
exp_loop_avx512(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = vm_exp_f32(x[i]);
}
#else
#define HAVE_X86 0
#endif

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the vectorised float e^x", 11, NULL);
    const uint32_t stride = (uint32_t)cli_scale(&cli, 8191, 1021, 127);
    /* the sample: negative floats from -110 up to -0, then +0 up to 90, by bit patterns */
    const uint32_t neg_hi = 0xC2DC0000u /* -110 */, pos_hi = 0x42B40000u /* 90 */;
    long n = (long)(neg_hi - 0x80000000u) / stride + (long)pos_hi / stride + 2 + 8;
    float *x = xmalloc(sizeof(float) * (size_t)n), *y = xmalloc(sizeof(float) * (size_t)n);
    long m = 0;
    for (uint32_t u = 0x80000000u; u <= neg_hi; u += stride) x[m++] = from_bits(u);
    for (uint32_t u = 0; u <= pos_hi; u += stride) x[m++] = from_bits(u);
    const float edges[8] = {-104.0f, 88.7f, -87.5f, -103.9f, 89.0f, NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 8; i++) x[m++] = edges[i];
    exp_loop(x, y, m);

    double worst = 0, worst_x = 0;
    int edges_ok = 1;
    for (long i = 0; i < m; i++) {
        const double xv = x[i];
        if (isnan(xv)) {
            edges_ok &= isnan(y[i]) != 0;
            continue;
        }
        if (xv < -104.0) {
            edges_ok &= y[i] == 0.0f;
            continue;
        }
        if (xv > 89.0) {
            edges_ok &= isinf(y[i]) && y[i] > 0;
            continue;
        }
        const double e = exp(xv);
        if (e > 3.4028234663852886e38) { /* rounds to inf in float */
            edges_ok &= isinf(y[i]) != 0 || y[i] == 3.4028234663852886e38f;
            continue;
        }
        const double err = fabs((double)y[i] - e) / ulp_of(e);
        if (err > worst) {
            worst = err;
            worst_x = xv;
        }
    }
    printf("%ld arguments; worst error %.3f ulp at x = %.9g\n", m, worst, worst_x);
    check_le("common.vec_math.exp_ulp", worst, 1.22, 0, NULL,
             "vm_exp_f32 vs e^x (double), every %u-th float in [-110, 90]: max error in ulp of "
             "the float result (the bound stated in vec_math.h)", stride);
    check_true("common.vec_math.exp_edges", edges_ok,
               "0 below -104, inf above 89 (and where e^x overflows float), NaN passed through");

#if HAVE_X86
    __builtin_cpu_init();
    float *y2 = xmalloc(sizeof(float) * (size_t)m);
    if (__builtin_cpu_supports("avx2")) {
        exp_loop_avx2(x, y2, m);
        check_true("common.vec_math.exp_avx2_bitwise", memcmp(y, y2, sizeof(float) * (size_t)m) == 0,
                   "AVX2 loop = plain loop, bit for bit (%ld arguments)", m);
    } else {
        check_skip("common.vec_math.exp_avx2_bitwise", "this processor has no AVX2");
    }
    if (__builtin_cpu_supports("avx512f")) {
        exp_loop_avx512(x, y2, m);
        check_true("common.vec_math.exp_avx512_bitwise",
                   memcmp(y, y2, sizeof(float) * (size_t)m) == 0,
                   "AVX-512 loop = plain loop, bit for bit (%ld arguments)", m);
    } else {
        check_skip("common.vec_math.exp_avx512_bitwise", "this processor has no AVX-512");
    }
    free(y2);
#else
    check_skip("common.vec_math.exp_avx2_bitwise", "not an x86-64 GCC build");
    check_skip("common.vec_math.exp_avx512_bitwise", "not an x86-64 GCC build");
#endif
    free(x);
    free(y);
    return check_end();
}
