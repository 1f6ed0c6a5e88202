/* gemm — packed, cache-blocked float32 matrix product with a run-time chosen micro-kernel.
   The contract (summation order, thread independence, FMA vs portable bound) is in gemm.h.

   Loop nest (the classic Goto/BLIS layout), run by each thread on its share of C:
     for jc in steps of NC over n            B block  kc x nc   packed into NR-wide panels
       for pc in steps of KC over k          (the k order is fixed here, outside any split)
         for ic0 in steps of MBIG over m     A block  mb x kc   packed into MR-tall strips
           for each tile (MC rows of A) x (one NR panel of B):
             for each MR strip of the tile:  micro-kernel, C[MR x NR] += strip . panel
   The micro-kernel sums its kc products into registers from zero and adds the result to C once,
   so each C element sees the same sequence of roundings whichever thread computes it. */
#include "common/gemm.h"

#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GEMM_HAVE_X86 1
#else
#define GEMM_HAVE_X86 0
#endif

/* Tile sizes: the portable and AVX2 kernels compute 6x16 tiles (12 registers of 8 lanes), the
   AVX-512 kernel 8x32 (16 registers of 16 lanes). Packing follows the kernel's tile shape. */
enum { KC = GEMM_KC, MC = 120, NC = 3072, MBIG = 2400 }; /* MC, MBIG: multiples of 6 and 8 */
/* below this many multiply-adds a product runs on one thread (a team costs microseconds) */
#define GEMM_PAR_MIN (1L << 21)

typedef enum { K_PORTABLE, K_AVX2, K_AVX512 } KernelId;
static const char *const k_names[3] = {"portable", "avx2+fma", "avx512f"};
static int g_best = -1;     /* best kernel this processor runs: -1 not yet asked */
static int g_force = -1;    /* gemm_force_portable / gemm_force_kernel; -1 automatic */

static KernelId kernel_id(void) {
    if (g_best < 0) {
        g_best = K_PORTABLE;
#if GEMM_HAVE_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            g_best = K_AVX2;
            if (__builtin_cpu_supports("avx512f")) g_best = K_AVX512;
        }
#endif
        const char *e = getenv("GEMM_PORTABLE"), *k = getenv("GEMM_KERNEL");
        if (k && k[0]) (void)gemm_force_kernel(k);
        if (e && e[0] == '1') g_force = K_PORTABLE;
    }
    return g_force >= 0 && g_force <= g_best ? (KernelId)g_force : (KernelId)g_best;
}
void gemm_force_portable(int on) {
    (void)kernel_id();
    g_force = on ? K_PORTABLE : -1;
}
int gemm_force_kernel(const char *name) {
    (void)kernel_id();
    if (!name || strcmp(name, "auto") == 0) {
        g_force = -1;
        return 1;
    }
    for (int i = 0; i < 3; i++)
        if (strcmp(name, k_names[i]) == 0 || (i == K_AVX2 && strcmp(name, "avx2") == 0) ||
            (i == K_AVX512 && strcmp(name, "avx512") == 0)) {
            if (i > g_best) return 0;
            g_force = i;
            return 1;
        }
    return 0;
}
int gemm_uses_simd(void) { return kernel_id() != K_PORTABLE; }
int gemm_uses_avx512(void) { return kernel_id() == K_AVX512; }
const char *gemm_kernel_name(void) { return k_names[kernel_id()]; }

/* ---- micro-kernels: C (mr x nr, row stride ldc) += sum_p ap[p*MR + i] bp[p*NR + j] ---- */

typedef void (*KernelFn)(int kc, const float *ap, const float *bp, float *c, long ldc, int mr,
                         int nr);
typedef struct {
    KernelFn fn;
    int mr, nr;
} Kernel;

/* Portable: a product rounded, then a sum rounded (the build has -ffp-contract=off). */
static void kernel_portable(int kc, const float *restrict ap, const float *restrict bp,
                            float *restrict c, long ldc, int mr, int nr) {
    enum { MR = 6, NR = 16 };
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (int p = 0; p < kc; p++) {
        const float *a = ap + (long)p * MR, *b = bp + (long)p * NR;
        for (int i = 0; i < MR; i++) {
            const float ai = a[i];
            for (int j = 0; j < NR; j++) acc[i][j] = acc[i][j] + ai * b[j];
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[(long)i * ldc + j] = c[(long)i * ldc + j] + acc[i][j];
}

#if GEMM_HAVE_X86
/* AVX2+FMA: 12 accumulators of 8 lanes (6 rows x 2 vectors), one fused multiply-add per
   product: s <- fl(a b + s). Same order as the portable kernel. */
__attribute__((target("avx2,fma"))) static void kernel_avx2(int kc, const float *restrict ap,
                                                             const float *restrict bp,
                                                             float *restrict c, long ldc, int mr,
                                                             int nr) {
    enum { MR = 6, NR = 16 };
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int p = 0; p < kc; p++) {
        const float *a = ap + (long)p * MR;
        const __m256 b0 = _mm256_load_ps(bp + (long)p * NR), b1 = _mm256_load_ps(bp + (long)p * NR + 8);
        __m256 s;
        s = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(s, b0, c00); c01 = _mm256_fmadd_ps(s, b1, c01);
        s = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(s, b0, c10); c11 = _mm256_fmadd_ps(s, b1, c11);
        s = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(s, b0, c20); c21 = _mm256_fmadd_ps(s, b1, c21);
        s = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(s, b0, c30); c31 = _mm256_fmadd_ps(s, b1, c31);
        s = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(s, b0, c40); c41 = _mm256_fmadd_ps(s, b1, c41);
        s = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(s, b0, c50); c51 = _mm256_fmadd_ps(s, b1, c51);
    }
    if (mr == MR && nr == NR) {
#define ROW(i, x0, x1)                                                                         \
    _mm256_storeu_ps(c + (long)(i) * ldc, _mm256_add_ps(_mm256_loadu_ps(c + (long)(i) * ldc), x0)); \
    _mm256_storeu_ps(c + (long)(i) * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + (long)(i) * ldc + 8), x1))
        ROW(0, c00, c01); ROW(1, c10, c11); ROW(2, c20, c21);
        ROW(3, c30, c31); ROW(4, c40, c41); ROW(5, c50, c51);
#undef ROW
        return;
    }
    float t[MR][NR] __attribute__((aligned(32)));
    _mm256_store_ps(t[0], c00); _mm256_store_ps(t[0] + 8, c01);
    _mm256_store_ps(t[1], c10); _mm256_store_ps(t[1] + 8, c11);
    _mm256_store_ps(t[2], c20); _mm256_store_ps(t[2] + 8, c21);
    _mm256_store_ps(t[3], c30); _mm256_store_ps(t[3] + 8, c31);
    _mm256_store_ps(t[4], c40); _mm256_store_ps(t[4] + 8, c41);
    _mm256_store_ps(t[5], c50); _mm256_store_ps(t[5] + 8, c51);
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[(long)i * ldc + j] = c[(long)i * ldc + j] + t[i][j];
}

/* AVX-512: 16 accumulators of 16 lanes (8 rows x 2 vectors), the same fused multiply-add per
   product in the same order as the AVX2 kernel, so the two give bit-identical results. */
__attribute__((target("avx512f"))) static void kernel_avx512(int kc, const float *restrict ap,
                                                              const float *restrict bp,
                                                              float *restrict c, long ldc,
                                                              int mr, int nr) {
    enum { MR = 8, NR = 32 };
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
           c61 = c00, c70 = c00, c71 = c00;
    for (int p = 0; p < kc; p++) {
        const float *a = ap + (long)p * MR;
        const __m512 b0 = _mm512_load_ps(bp + (long)p * NR), b1 = _mm512_load_ps(bp + (long)p * NR + 16);
        __m512 s;
#define FMA2(i, x0, x1) s = _mm512_set1_ps(a[i]); x0 = _mm512_fmadd_ps(s, b0, x0); x1 = _mm512_fmadd_ps(s, b1, x1)
        FMA2(0, c00, c01); FMA2(1, c10, c11); FMA2(2, c20, c21); FMA2(3, c30, c31);
        FMA2(4, c40, c41); FMA2(5, c50, c51); FMA2(6, c60, c61); FMA2(7, c70, c71);
#undef FMA2
    }
    const __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                               {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    if (mr == MR && nr == NR) {
        for (int i = 0; i < MR; i++) {
            float *ci = c + (long)i * ldc;
            _mm512_storeu_ps(ci, _mm512_add_ps(_mm512_loadu_ps(ci), acc[i][0]));
            _mm512_storeu_ps(ci + 16, _mm512_add_ps(_mm512_loadu_ps(ci + 16), acc[i][1]));
        }
        return;
    }
    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xFFFFu : (1u << nr) - 1u);
    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xFFFFu : nr <= 16 ? 0u : (1u << (nr - 16)) - 1u);
    for (int i = 0; i < mr; i++) {
        float *ci = c + (long)i * ldc;
        _mm512_mask_storeu_ps(ci, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), acc[i][0]));
        _mm512_mask_storeu_ps(ci + 16, m1,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), acc[i][1]));
    }
}
#endif

/* ---- one-row products (m = 1: a row vector times a matrix, e.g. a convolution with one output
   channel). Packing would copy B for one multiply-add per element, so these read B in place.
   Same order as the tile kernels: per element and per k-block, a sum from 0 in increasing p
   (fused in the SIMD modes, product-then-sum in the portable one), then added to C. ---- */

static void row_portable(int tb, int n, int k, const float *a, long inca, const float *b,
                         long ldb, float *c) {
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = k - pc < KC ? k - pc : KC;
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            if (tb)
                for (int p = 0; p < kc; p++) s = s + a[(long)(pc + p) * inca] * b[(long)j * ldb + pc + p];
            else
                for (int p = 0; p < kc; p++) s = s + a[(long)(pc + p) * inca] * b[(long)(pc + p) * ldb + j];
            c[j] = c[j] + s;
        }
    }
}

#if GEMM_HAVE_X86
__attribute__((target("avx2,fma"))) static void row_fma(int tb, int n, int k, const float *a,
                                                         long inca, const float *b, long ldb,
                                                         float *c) {
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = k - pc < KC ? k - pc : KC;
        if (!tb) { /* 8 columns at a time along the contiguous rows of B */
            int j = 0;
            for (; j + 32 <= n; j += 32) {
                __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < kc; p++) {
                    const __m256 ap = _mm256_broadcast_ss(a + (long)(pc + p) * inca);
                    const float *bp = b + (long)(pc + p) * ldb + j;
                    s0 = _mm256_fmadd_ps(ap, _mm256_loadu_ps(bp), s0);
                    s1 = _mm256_fmadd_ps(ap, _mm256_loadu_ps(bp + 8), s1);
                    s2 = _mm256_fmadd_ps(ap, _mm256_loadu_ps(bp + 16), s2);
                    s3 = _mm256_fmadd_ps(ap, _mm256_loadu_ps(bp + 24), s3);
                }
                _mm256_storeu_ps(c + j, _mm256_add_ps(_mm256_loadu_ps(c + j), s0));
                _mm256_storeu_ps(c + j + 8, _mm256_add_ps(_mm256_loadu_ps(c + j + 8), s1));
                _mm256_storeu_ps(c + j + 16, _mm256_add_ps(_mm256_loadu_ps(c + j + 16), s2));
                _mm256_storeu_ps(c + j + 24, _mm256_add_ps(_mm256_loadu_ps(c + j + 24), s3));
            }
            for (; j + 8 <= n; j += 8) {
                __m256 s0 = _mm256_setzero_ps();
                for (int p = 0; p < kc; p++)
                    s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (long)(pc + p) * inca),
                                         _mm256_loadu_ps(b + (long)(pc + p) * ldb + j), s0);
                _mm256_storeu_ps(c + j, _mm256_add_ps(_mm256_loadu_ps(c + j), s0));
            }
            for (; j < n; j++) {
                __m128 s0 = _mm_setzero_ps();
                for (int p = 0; p < kc; p++)
                    s0 = _mm_fmadd_ss(_mm_load_ss(a + (long)(pc + p) * inca),
                                      _mm_load_ss(b + (long)(pc + p) * ldb + j), s0);
                c[j] = c[j] + _mm_cvtss_f32(s0);
            }
        } else { /* dot products along the rows of the stored B, 4 independent chains */
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
                const float *b0 = b + (long)j * ldb + pc, *b1 = b0 + ldb, *b2 = b1 + ldb,
                            *b3 = b2 + ldb;
                for (int p = 0; p < kc; p++) {
                    const __m128 ap = _mm_load_ss(a + (long)(pc + p) * inca);
                    s0 = _mm_fmadd_ss(ap, _mm_load_ss(b0 + p), s0);
                    s1 = _mm_fmadd_ss(ap, _mm_load_ss(b1 + p), s1);
                    s2 = _mm_fmadd_ss(ap, _mm_load_ss(b2 + p), s2);
                    s3 = _mm_fmadd_ss(ap, _mm_load_ss(b3 + p), s3);
                }
                c[j] = c[j] + _mm_cvtss_f32(s0);
                c[j + 1] = c[j + 1] + _mm_cvtss_f32(s1);
                c[j + 2] = c[j + 2] + _mm_cvtss_f32(s2);
                c[j + 3] = c[j + 3] + _mm_cvtss_f32(s3);
            }
            for (; j < n; j++) {
                __m128 s0 = _mm_setzero_ps();
                for (int p = 0; p < kc; p++)
                    s0 = _mm_fmadd_ss(_mm_load_ss(a + (long)(pc + p) * inca),
                                      _mm_load_ss(b + (long)j * ldb + pc + p), s0);
                c[j] = c[j] + _mm_cvtss_f32(s0);
            }
        }
    }
}
#endif

/* ---- small products without packing (AVX-512). A training step of a small MLP (L35 4.2: 128 x
   64 x 64 and thinner) spends more time packing than multiplying, and an output 2 columns wide
   would run in 32-wide panels of mostly zeros. Below GEMM_DIRECT_MAX multiply-adds the AVX-512
   path reads A in place (a broadcast per element, any stride) and the rows of op(B) in place
   (copied once into a (k, n) buffer when B is stored transposed), on 8-row tiles 32 or 16
   columns wide with masked edges; a product at most 8 columns wide with A stored transposed
   runs down the rows instead (vectors along i), and one with >= 1024 rows is split over threads
   by rows. Every C element still receives, per k-block of KC, a sum from 0 of fused products in
   increasing p, then one add to C: the same operations as the packed kernel, so the same bits
   (tested in checks/unit/test_gemm.c). ---- */
#define GEMM_DIRECT_MAX (1L << 19)
/* split over threads by rows only from this many rows and multiply-adds on (a team costs
   microseconds: the 128-row products of a small batch stay on one thread) */
#define GEMM_DIRECT_PAR_ROWS 1024
#define GEMM_DIRECT_PAR_MIN (1L << 18)
static int g_no_direct = 0; /* gemm_force_packed */
void gemm_force_packed(int on) { g_no_direct = on; }

#if GEMM_HAVE_X86
/* C rows [0, R) (row stride ldc), all n columns, += sum_{p < kc} op(A)[r][p] op(B)[p][:], with
   op(A)[r][p] = a[r*ars + p*acs] and op(B)[p][j] = b[p*ldb + j]. R is a constant where inlined. */
__attribute__((target("avx512f"), always_inline)) static inline void
direct_rows_avx512(const int R, int kc, const float *a, long ars, long acs, const float *b,
                   long ldb, float *c, long ldc, int n) {
    for (int j = 0; j < n; j += 32) {
        const int nr = n - j < 32 ? n - j : 32;
        const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xFFFFu : (1u << nr) - 1u);
        __m512 acc0[8], acc1[8];
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
        if (nr > 16) {
            const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xFFFFu : (1u << (nr - 16)) - 1u);
            for (int p = 0; p < kc; p++) {
                const float *bp = b + (long)p * ldb + j;
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    const __m512 s = _mm512_set1_ps(a[r * ars + p * acs]);
                    acc0[r] = _mm512_fmadd_ps(s, b0, acc0[r]);
                    acc1[r] = _mm512_fmadd_ps(s, b1, acc1[r]);
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                float *cr = c + (long)r * ldc + j;
                _mm512_mask_storeu_ps(cr, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), acc0[r]));
                _mm512_mask_storeu_ps(cr + 16, m1,
                                      _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), acc1[r]));
            }
        } else {
            for (int p = 0; p < kc; p++) {
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, b + (long)p * ldb + j);
#pragma GCC unroll 8
                for (int r = 0; r < R; r++)
                    acc0[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * ars + p * acs]), b0, acc0[r]);
            }
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                float *cr = c + (long)r * ldc + j;
                _mm512_mask_storeu_ps(cr, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), acc0[r]));
            }
        }
    }
}

/* The same for a product a few columns wide (n <= 8) with A stored transposed (the weight
   gradient X^T dY of a layer with 2 outputs): here the vectors run down the contiguous rows of
   the stored A, 32 rows of C at a time, one accumulator pair per column. fma(a, b, s) is
   fma(b, a, s), so each element still gets the same operations. N is constant where inlined. */
__attribute__((target("avx512f"), always_inline)) static inline void
direct_cols_avx512(const int N, int kc, const float *a, long lda, const float *b, long ldb,
                   float *c, long ldc, int m) {
    for (int i = 0; i < m; i += 32) {
        const int mr = m - i < 32 ? m - i : 32;
        const __mmask16 m0 = (__mmask16)(mr >= 16 ? 0xFFFFu : (1u << mr) - 1u);
        const __mmask16 m1 = (__mmask16)(mr >= 32 ? 0xFFFFu : mr <= 16 ? 0u : (1u << (mr - 16)) - 1u);
        __m512 acc0[8], acc1[8];
#pragma GCC unroll 8
        for (int j = 0; j < N; j++) acc0[j] = acc1[j] = _mm512_setzero_ps();
        for (int p = 0; p < kc; p++) {
            const float *ap = a + (long)p * lda + i;
            const __m512 a0 = _mm512_maskz_loadu_ps(m0, ap), a1 = _mm512_maskz_loadu_ps(m1, ap + 16);
#pragma GCC unroll 8
            for (int j = 0; j < N; j++) {
                const __m512 s = _mm512_set1_ps(b[(long)p * ldb + j]);
                acc0[j] = _mm512_fmadd_ps(a0, s, acc0[j]);
                acc1[j] = _mm512_fmadd_ps(a1, s, acc1[j]);
            }
        }
        float t[32] __attribute__((aligned(64)));
        for (int j = 0; j < N; j++) {
            _mm512_store_ps(t, acc0[j]);
            _mm512_store_ps(t + 16, acc1[j]);
            for (int r = 0; r < mr; r++) c[(long)(i + r) * ldc + j] = c[(long)(i + r) * ldc + j] + t[r];
        }
    }
}

/* All of C (m, n <= 8), A stored transposed, op(B) read in place with row stride ldb. */
__attribute__((target("avx512f"))) static void gemm_direct_cols_avx512(int m, int n, int k,
                                                                        const float *a, long lda,
                                                                        const float *b, long ldb,
                                                                        float *c, long ldc) {
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = k - pc < KC ? k - pc : KC;
        const float *ap = a + (long)pc * lda, *bp = b + (long)pc * ldb;
        switch (n) {
#define COLS(N) case N: direct_cols_avx512(N, kc, ap, lda, bp, ldb, c, ldc, m); break
            COLS(1); COLS(2); COLS(3); COLS(4); COLS(5); COLS(6); COLS(7); COLS(8);
#undef COLS
        }
    }
}

/* Rows [i0, i1) of C, op(B) read in place with row stride ldb. */
__attribute__((target("avx512f"))) static void gemm_direct_avx512(int trans_a, int i0, int i1,
                                                                   int n, int k, const float *a,
                                                                   long lda, const float *b,
                                                                   long ldb, float *c, long ldc) {
    const long ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
    for (int pc = 0; pc < k; pc += KC) {
        const int kc = k - pc < KC ? k - pc : KC;
        const float *ap = a + pc * acs, *bp = b + (long)pc * ldb;
        for (int i = i0; i < i1; i += 8) {
            const float *ai = ap + i * ars;
            float *ci = c + (long)i * ldc;
            switch (i1 - i < 8 ? i1 - i : 8) {
#define ROWS(R) case R: direct_rows_avx512(R, kc, ai, ars, acs, bp, ldb, ci, ldc, n); break
                ROWS(1); ROWS(2); ROWS(3); ROWS(4); ROWS(5); ROWS(6); ROWS(7); ROWS(8);
#undef ROWS
            }
        }
    }
}
#endif

/* ---- packing (zero padding past the edges, so the kernels never branch on it) ---- */

/* Strip of A rows [i0, i0 + rows), columns [p0, p0 + kc), mr tall: dst[p*mr + i] = op(A)[i][p]. */
static void pack_a_strip(const float *a, long lda, int ta, int i0, int rows, int p0, int kc,
                         int mr, float *dst) {
    if (!ta) {
        for (int i = 0; i < mr; i++) {
            if (i >= rows) {
                for (int p = 0; p < kc; p++) dst[(long)p * mr + i] = 0.0f;
                continue;
            }
            const float *src = a + (long)(i0 + i) * lda + p0;
            for (int p = 0; p < kc; p++) dst[(long)p * mr + i] = src[p];
        }
    } else { /* op(A)[i][p] = a[p][i]: rows of the stored A are contiguous in i */
        for (int p = 0; p < kc; p++) {
            const float *src = a + (long)(p0 + p) * lda + i0;
            float *d = dst + (long)p * mr;
            memcpy(d, src, (size_t)rows * sizeof(float));
            for (int i = rows; i < mr; i++) d[i] = 0.0f;
        }
    }
}

#if GEMM_HAVE_X86
/* The transposed panel's full 8 x 8 tiles (8 columns j of dst from 8 stored rows of B, 8 p at a
   time) by the usual unpack / shuffle / lane-permute transpose; returns how many of the first
   columns it packed for all p < kc8 (a multiple of 8). Only moves floats. */
__attribute__((target("avx2"))) static void pack_b_trans_tiles_avx2(const float *b, long ldb, int p0,
                                                                    int kc8, int j0, int cols8,
                                                                    int nr, float *dst) {
    for (int jb = 0; jb < cols8; jb += 8)
        for (int pb = 0; pb < kc8; pb += 8) {
            __m256 r[8], t[8], u[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(b + (long)(j0 + jb + i) * ldb + p0 + pb);
            for (int i = 0; i < 8; i += 2) {
                t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
            }
            for (int i = 0; i < 8; i += 4) {
                u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
                u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
                u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
                u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
            }
            for (int i = 0; i < 4; i++) {
                _mm256_storeu_ps(dst + (long)(pb + i) * nr + jb, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
                _mm256_storeu_ps(dst + (long)(pb + i + 4) * nr + jb, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
            }
        }
}
#endif

/* Panel of B rows [p0, p0 + kc), columns [j0, j0 + cols), nr wide: dst[p*nr + j] = op(B)[p][j].
   simd: the processor has AVX2 (the transposed case then moves 8 x 8 tiles in registers). */
static void pack_b_panel(const float *b, long ldb, int tb, int p0, int kc, int j0, int cols,
                         int nr, float *dst, int simd) {
    if (!tb) {
        for (int p = 0; p < kc; p++) {
            const float *src = b + (long)(p0 + p) * ldb + j0;
            float *d = dst + (long)p * nr;
            memcpy(d, src, (size_t)cols * sizeof(float));
            for (int j = cols; j < nr; j++) d[j] = 0.0f;
        }
    } else { /* op(B)[p][j] = b[j][p]: a transpose */
        int kc8 = 0, cols8 = 0;
#if GEMM_HAVE_X86
        if (simd) {
            kc8 = kc / 8 * 8, cols8 = cols / 8 * 8;
            pack_b_trans_tiles_avx2(b, ldb, p0, kc8, j0, cols8, nr, dst);
        }
#else
        (void)simd;
#endif
        for (int j = 0; j < nr; j++) {
            if (j >= cols) {
                for (int p = 0; p < kc; p++) dst[(long)p * nr + j] = 0.0f;
                continue;
            }
            const float *src = b + (long)(j0 + j) * ldb + p0;
            for (int p = j < cols8 ? kc8 : 0; p < kc; p++) dst[(long)p * nr + j] = src[p];
        }
    }
}

static int imin(int x, int y) { return x < y ? x : y; }

/* Packing buffers, kept between calls (grown as needed, freed at exit) so that a training loop
   does not map fresh pages for every product. Slot 0 serves calls from outside any parallel
   region (a threaded call carves it into one share per thread); slot 1 + t serves a call from
   thread t of a first-level parallel region (e.g. a convolution running one image per thread),
   which then runs serially. Deeper nesting allocates per call. */
enum { SLOTS = 65 };
static float *g_cache[SLOTS][2];
static size_t g_cache_bytes[SLOTS][2];
static void cache_free(void) {
    for (int s = 0; s < SLOTS; s++)
        for (int i = 0; i < 2; i++) free(g_cache[s][i]);
}
static int cache_slot(int nested) {
#ifdef _OPENMP
    if (nested) return omp_get_level() == 1 && omp_get_thread_num() + 1 < SLOTS ? omp_get_thread_num() + 1 : -1;
#else
    (void)nested;
#endif
    return 0;
}
static float *buffer(int which, size_t bytes, int slot) {
    if (slot < 0) {
        float *p = aligned_alloc(64, bytes);
        if (!p) die("gemm_f32: out of memory (%zu bytes)", bytes);
        return p;
    }
    if (g_cache_bytes[slot][which] < bytes) {
        static int registered = 0; /* only when a buffer grows, so the lock costs nothing */
#pragma omp critical(gemm_atexit)
        {
            if (!registered) atexit(cache_free);
            registered = 1;
        }
        free(g_cache[slot][which]);
        g_cache[slot][which] = aligned_alloc(64, bytes);
        if (!g_cache[slot][which]) die("gemm_f32: out of memory (%zu bytes)", bytes);
        g_cache_bytes[slot][which] = bytes;
    }
    return g_cache[slot][which];
}

/* The serial loop nest over one block of C (all of it, or one thread's share). */
static void gemm_nest(const Kernel *K, int trans_a, int trans_b, int m, int n, int k,
                      const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                      float *bpack, float *apack) {
    const int MR = K->mr, NR = K->nr;
    for (int jc = 0; jc < n; jc += NC) {
        const int nc = imin(NC, n - jc), npan = (nc + NR - 1) / NR;
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = imin(KC, k - pc);
            for (int q = 0; q < npan; q++)
                pack_b_panel(b, ldb, trans_b, pc, kc, jc + q * NR, imin(NR, nc - q * NR), NR,
                             bpack + (long)q * NR * kc, K->fn != kernel_portable);
            for (int ic0 = 0; ic0 < m; ic0 += MBIG) {
                const int mb = imin(MBIG, m - ic0), nstrip = (mb + MR - 1) / MR;
                for (int s = 0; s < nstrip; s++)
                    pack_a_strip(a, lda, trans_a, ic0 + s * MR, imin(MR, mb - s * MR), pc, kc, MR,
                                 apack + (long)s * MR * kc);
                const int nblk = (mb + MC - 1) / MC;
                for (int t = 0; t < nblk * npan; t++) {
                    const int ib = t / npan, q = t % npan;
                    const int j = jc + q * NR, nr = imin(NR, nc - q * NR);
                    const float *bp = bpack + (long)q * NR * kc;
                    for (int i = ib * MC; i < imin(mb, (ib + 1) * MC); i += MR)
                        K->fn(kc, apack + (long)(i / MR) * MR * kc, bp,
                              c + (long)(ic0 + i) * ldc + j, ldc, imin(MR, mb - i), nr);
                }
            }
        }
    }
}

void gemm_f32(int trans_a, int trans_b, int m, int n, int k, const float *a, long lda,
              const float *b, long ldb, float *c, long ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    const KernelId id = kernel_id();
    (void)id; /* unused where the build has no x86 kernels */
    Kernel K = {kernel_portable, 6, 16};
#if GEMM_HAVE_X86
    if (id == K_AVX2) K = (Kernel){kernel_avx2, 6, 16};
    if (id == K_AVX512) K = (Kernel){kernel_avx512, 8, 32};
#endif
    const int MR = K.mr, NR = K.nr;
#ifdef _OPENMP
    const int nested = omp_in_parallel();
#else
    const int nested = 1;
#endif
    if (m == 1) { /* one row: no packing; serial (the cost is reading B once) */
        const long inca = trans_a ? lda : 1;
#if GEMM_HAVE_X86
        if (id != K_PORTABLE) {
            row_fma(trans_b, n, k, a, inca, b, ldb, c);
            return;
        }
#endif
        row_portable(trans_b, n, k, a, inca, b, ldb, c);
        return;
    }
#if GEMM_HAVE_X86
    if (id == K_AVX512 && !g_no_direct && (long)m * n * k <= GEMM_DIRECT_MAX) {
        const int slot = cache_slot(nested);
        float *bt = NULL;
        if (trans_b) { /* op(B) (k, n) copied once, row stride n */
            bt = buffer(0, ((size_t)k * n * sizeof(float) + 63) / 64 * 64, slot);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) bt[(long)p * n + j] = b[(long)j * ldb + p];
        }
        const float *bb = trans_b ? bt : b;
        const long bld = trans_b ? n : ldb;
        /* a tall thin product (a batch of 4096 through a layer 2 wide) is split over threads in
           shares of whole 8-row tiles; rows are independent, so the bits stay the same */
        const int tiles = (m + 7) / 8;
        int nt = (!nested && m >= GEMM_DIRECT_PAR_ROWS && (long)m * n * k >= GEMM_DIRECT_PAR_MIN)
                     ? par_max_threads()
                     : 1;
        if (nt > tiles) nt = tiles;
        if (trans_a && n <= 8) {
            gemm_direct_cols_avx512(m, n, k, a, lda, bb, bld, c, ldc);
        } else if (nt <= 1) {
            gemm_direct_avx512(trans_a, 0, m, n, k, a, lda, bb, bld, c, ldc);
        } else {
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int t = 0; t < nt; t++) {
                const int i0 = (int)((long)tiles * t / nt) * 8;
                const int i1 = imin(m, (int)((long)tiles * (t + 1) / nt) * 8);
                if (i1 > i0) gemm_direct_avx512(trans_a, i0, i1, n, k, a, lda, bb, bld, c, ldc);
            }
        }
        if (slot < 0) free(bt);
        return;
    }
#endif
    /* Threads take contiguous shares of whole NR-column panels (or MR-row strips when C is
       taller than wide) and each runs the serial nest on its share with its own buffers: one
       parallel region and no barrier inside, and every element keeps the k order above. */
    const int split_n = n >= m;
    const int units = split_n ? (n + NR - 1) / NR : (m + MR - 1) / MR;
    int nt = (!nested && (long)m * n * k >= GEMM_PAR_MIN) ? par_max_threads() : 1;
    if (nt > units) nt = units;
    if (nt < 1) nt = 1;
    const int umax = (units + nt - 1) / nt;
    const int nsub = split_n ? imin(n, umax * NR) : n, msub = split_n ? m : imin(m, umax * MR);
    const int ncmax = imin(NC, (nsub + NR - 1) / NR * NR), kcmax = imin(KC, k);
    const int mbmax = imin(MBIG, (msub + MR - 1) / MR * MR);
    size_t bbytes = ((size_t)ncmax * kcmax * sizeof(float) + 63) / 64 * 64;
    size_t abytes = ((size_t)mbmax * kcmax * sizeof(float) + 63) / 64 * 64;
    const int slot = cache_slot(nested);
    float *bpack = buffer(0, bbytes * nt, slot), *apack = buffer(1, abytes * nt, slot);
    if (nt == 1) {
        gemm_nest(&K, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bpack, apack);
    } else {
#pragma omp parallel num_threads(nt)
        {
            const int t = par_thread_id(), team = par_num_threads();
            const int u0 = (int)((long)units * t / team), u1 = (int)((long)units * (t + 1) / team);
            float *bp = bpack + bbytes / sizeof(float) * t, *ap = apack + abytes / sizeof(float) * t;
            if (u1 > u0 && team <= nt) {
                if (split_n) {
                    const int j0 = u0 * NR, j1 = imin(n, u1 * NR);
                    gemm_nest(&K, trans_a, trans_b, m, j1 - j0, k, a, lda,
                              trans_b ? b + (long)j0 * ldb : b + j0, ldb, c + j0, ldc, bp, ap);
                } else {
                    const int i0 = u0 * MR, i1 = imin(m, u1 * MR);
                    gemm_nest(&K, trans_a, trans_b, i1 - i0, n, k,
                              trans_a ? a + i0 : a + (long)i0 * lda, lda, b, ldb,
                              c + (long)i0 * ldc, ldc, bp, ap);
                }
            }
        }
    }
    if (slot < 0) {
        free(apack);
        free(bpack);
    }
}
