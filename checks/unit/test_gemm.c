/* Unit tests of common/gemm.h: the packed float32 product C += op(A) op(B) against a double
   reference on random shapes (odd sizes, k across several KC blocks, n across NC blocks, m across
   the A-block limit, every transpose combination, leading dimensions wider than the matrix); the
   portable and the AVX2+FMA kernels against the bound stated in gemm.h; the AVX-512 kernel
   (8x32 tiles) bit-identical to the AVX2 one (6x16 tiles: same sums in the same order, so the
   tile shape must not show); bit-identical results for 1 and 2 threads. Shapes with m = 1 take
   the unpacked one-row path; products below 2^19 multiply-adds take the unpacked AVX-512 path,
   which must give the bits of the packed AVX-512 kernel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gemm.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

typedef struct {
    int m, n, k, ta, tb;
} Shape;

static const Shape shapes[] = {
    {1, 1, 1, 0, 0},     {7, 13, 5, 0, 0},     {6, 16, 256, 0, 0},  {37, 29, 300, 0, 1},
    {31, 17, 513, 1, 0}, {19, 41, 77, 1, 1},   {3, 3100, 7, 0, 0},  {2405, 5, 3, 1, 0},
    {64, 784, 9, 0, 0},  {128, 196, 600, 0, 1}, {130, 47, 1000, 1, 1}, {2500, 64, 20, 0, 1},
    {1, 3136, 576, 0, 0}, {1, 577, 600, 1, 1},  {1, 45, 3, 0, 1},    {9, 70, 515, 1, 0},
    /* the products of a training step of the MLP 2-64-64-2 at batch 128 (L35 4.2) */
    {128, 64, 2, 0, 0},  {128, 64, 64, 0, 0},  {128, 2, 64, 0, 0},  {64, 2, 128, 1, 0},
    {128, 64, 2, 0, 1},  {64, 64, 128, 1, 0},  {128, 64, 64, 0, 1}, {2, 64, 128, 1, 0},
    {45, 7, 300, 1, 1},  {4096, 2, 64, 0, 0},  {64, 2, 4096, 1, 0}, {2, 64, 4096, 1, 0},
};

/* gamma_n = n u / (1 - n u), u = 2^-24 */
static double gamma_n(long n) {
    const double u = ldexp(1.0, -24);
    return n * u / (1.0 - n * u);
}

/* Stored operand of logical shape (rows, cols): transposed storage when t, row stride ld. */
static float *make_operand(Rng *r, int rows, int cols, int t, long *ld) {
    int srows = t ? cols : rows, scols = t ? rows : cols;
    *ld = scols + 3;
    float *x = xmalloc((size_t)srows * (size_t)*ld * sizeof(float));
    for (long i = 0; i < (long)srows * *ld; i++) x[i] = (float)rng_normal(r);
    return x;
}
static double at(const float *x, long ld, int t, int i, int j) {
    return t ? x[(long)j * ld + i] : x[(long)i * ld + j];
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the float32 GEMM: double reference, FMA vs portable bound, threads",
              5, NULL);
    int have_simd = gemm_uses_simd();
    printf("kernel on this machine: %s\n", gemm_kernel_name());
    int nshape = (int)(sizeof shapes / sizeof shapes[0]);
    for (int si = 0; si < nshape; si++) {
        const Shape *s = &shapes[si];
        Rng r;
        rng_init(&r, cli.seed, (uint64_t)si);
        long lda, ldb, ldc = s->n + 2;
        float *a = make_operand(&r, s->m, s->k, s->ta, &lda);
        float *b = make_operand(&r, s->k, s->n, s->tb, &ldb);
        size_t csize = (size_t)s->m * (size_t)ldc;
        float *c0 = xmalloc(csize * sizeof(float));
        for (size_t i = 0; i < csize; i++) c0[i] = (float)rng_normal(&r);
        float *cp = xmalloc(csize * sizeof(float)), *cv = xmalloc(csize * sizeof(float)),
              *c1 = xmalloc(csize * sizeof(float)), *c2 = xmalloc(csize * sizeof(float)),
              *c5 = xmalloc(csize * sizeof(float)), *c5p = xmalloc(csize * sizeof(float));
        memcpy(cp, c0, csize * sizeof(float));
        memcpy(c2, c0, csize * sizeof(float));
        memcpy(c5, c0, csize * sizeof(float));
        memcpy(c5p, c0, csize * sizeof(float));
        memcpy(cv, c0, csize * sizeof(float));
        memcpy(c1, c0, csize * sizeof(float));

        par_set_threads(2);
        gemm_force_portable(1);
        gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, cp, ldc);
        gemm_force_portable(0);
        gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, cv, ldc);
        const int have2 = gemm_force_kernel("avx2"), have5 = have2 && gemm_force_kernel("avx512");
        if (have5) {
            gemm_force_kernel("avx2");
            gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, c2, ldc);
            gemm_force_kernel("avx512");
            gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, c5, ldc);
            gemm_force_packed(1);
            gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, c5p, ldc);
            gemm_force_packed(0);
        }
        gemm_force_kernel("auto");
        par_set_threads(1);
        gemm_f32(s->ta, s->tb, s->m, s->n, s->k, a, lda, b, ldb, c1, ldc);
        par_set_threads(cli.threads > 0 ? cli.threads : 2);

        /* worst ratio of |error| to the stated bound, over all elements */
        long nb = (s->k + GEMM_KC - 1) / GEMM_KC;
        double g = gamma_n(s->k + nb + 1), worst_p = 0, worst_v = 0, worst_pv = 0;
        int padding_kept = 1;
        for (int i = 0; i < s->m; i++) {
            for (int j = 0; j < s->n; j++) {
                long ij = (long)i * ldc + j;
                double ref = c0[ij], mag = fabs(c0[ij]);
                for (int p = 0; p < s->k; p++) {
                    double prod = at(a, lda, s->ta, i, p) * at(b, ldb, s->tb, p, j);
                    ref += prod;
                    mag += fabs(prod);
                }
                worst_p = fmax(worst_p, fabs(cp[ij] - ref) / (g * mag));
                worst_v = fmax(worst_v, fabs(cv[ij] - ref) / (g * mag));
                worst_pv = fmax(worst_pv, fabs((double)cv[ij] - cp[ij]) / (2 * g * mag));
            }
            for (int j = s->n; j < ldc; j++)
                padding_kept &= cv[(long)i * ldc + j] == c0[(long)i * ldc + j];
        }
        char id[96], what[96];
        snprintf(what, sizeof what, "(%d,%d,%d) %s%s", s->m, s->n, s->k, s->ta ? "A^T" : "A",
                 s->tb ? " B^T" : " B");
        snprintf(id, sizeof id, "common.gemm.portable_vs_double_%d", si);
        check_le(id, worst_p, 1.0, 0, NULL,
                 "%s portable kernel: max |C - C_exact| / (gamma_{k+nb+1} (|C0| + sum|a||b|))",
                 what);
        snprintf(id, sizeof id, "common.gemm.fma_vs_portable_%d", si);
        if (have_simd) {
            check_le(id, worst_pv, 1.0, 0, NULL,
                     "%s AVX2+FMA vs portable: max |diff| / (2 gamma_{k+nb+1} (|C0| + sum|a||b|))",
                     what);
            printf("  %s: AVX2 kernel vs exact %.3g of gamma bound\n", what, worst_v);
        } else {
            check_skip(id, "%s: this processor has no AVX2+FMA (only the portable kernel runs)",
                       what);
        }
        snprintf(id, sizeof id, "common.gemm.avx512_vs_avx2_%d", si);
        if (have5)
            check_true(id, memcmp(c2, c5, csize * sizeof(float)) == 0,
                       "%s AVX-512 (8x32 tiles) vs AVX2 (6x16 tiles) bit-identical", what);
        else
            check_skip(id, "%s: this processor has no AVX-512 (nothing to compare)", what);
        snprintf(id, sizeof id, "common.gemm.direct_vs_packed_%d", si);
        if (have5)
            check_true(id, memcmp(c5p, c5, csize * sizeof(float)) == 0,
                       "%s AVX-512 %s vs packed AVX-512 kernel bit-identical", what,
                       (long)s->m * s->n * s->k <= (1L << 19) && s->m > 1 ? "unpacked small path"
                                                                         : "(same path)");
        else
            check_skip(id, "%s: this processor has no AVX-512 (nothing to compare)", what);
        snprintf(id, sizeof id, "common.gemm.threads_identical_%d", si);
        check_true(id, memcmp(c1, cv, csize * sizeof(float)) == 0 && padding_kept,
                   "%s 1 thread vs 2 threads bit-identical, columns past n untouched", what);
        free(a);
        free(b);
        free(c0);
        free(cp);
        free(cv);
        free(c1);
        free(c2);
        free(c5);
        free(c5p);
    }
    return check_end();
}
