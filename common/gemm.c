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

enum { MR = 6, NR = 16, KC = GEMM_KC, MC = 120, NC = 3072, MBIG = 2400 };
/* below this many multiply-adds a product runs on one thread (a team costs microseconds) */
#define GEMM_PAR_MIN (1L << 21)

static int g_simd = -1;     /* processor has AVX2+FMA: -1 not yet asked */
static int g_force = 0;     /* gemm_force_portable */

static int simd_on(void) {
    if (g_simd < 0) {
#if GEMM_HAVE_X86
        __builtin_cpu_init();
        g_simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        g_simd = 0;
#endif
        const char *e = getenv("GEMM_PORTABLE");
        if (e && e[0] == '1') g_force = 1;
    }
    return g_simd && !g_force;
}
void gemm_force_portable(int on) {
    (void)simd_on();
    g_force = on != 0;
}
int gemm_uses_simd(void) { return simd_on(); }
const char *gemm_kernel_name(void) { return simd_on() ? "avx2+fma" : "portable"; }

/* ---- micro-kernels: C (mr x nr, row stride ldc) += sum_p ap[p*MR + i] bp[p*NR + j] ---- */

typedef void (*Kernel)(int kc, const float *ap, const float *bp, float *c, long ldc, int mr,
                       int nr);

/* Portable: a product rounded, then a sum rounded (the build has -ffp-contract=off). */
static void kernel_portable(int kc, const float *restrict ap, const float *restrict bp,
                            float *restrict c, long ldc, int mr, int nr) {
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
#endif

/* ---- packing (zero padding past the edges, so the kernels never branch on it) ---- */

/* Strip s of A rows [i0 + s MR, +MR), columns [p0, p0 + kc): dst[p*MR + i] = op(A)[i][p]. */
static void pack_a_strip(const float *a, long lda, int ta, int i0, int rows, int p0, int kc,
                         float *dst) {
    for (int i = 0; i < MR; i++) {
        if (i >= rows) {
            for (int p = 0; p < kc; p++) dst[(long)p * MR + i] = 0.0f;
        } else if (ta) {
            const float *src = a + (long)p0 * lda + i0 + i;
            for (int p = 0; p < kc; p++) dst[(long)p * MR + i] = src[(long)p * lda];
        } else {
            const float *src = a + (long)(i0 + i) * lda + p0;
            for (int p = 0; p < kc; p++) dst[(long)p * MR + i] = src[p];
        }
    }
}

/* Panel of B rows [p0, p0 + kc), columns [j0, j0 + cols): dst[p*NR + j] = op(B)[p][j]. */
static void pack_b_panel(const float *b, long ldb, int tb, int p0, int kc, int j0, int cols,
                         float *dst) {
    if (!tb) {
        for (int p = 0; p < kc; p++) {
            const float *src = b + (long)(p0 + p) * ldb + j0;
            float *d = dst + (long)p * NR;
            int j = 0;
            for (; j < cols; j++) d[j] = src[j];
            for (; j < NR; j++) d[j] = 0.0f;
        }
    } else {
        for (int j = 0; j < NR; j++) {
            if (j >= cols) {
                for (int p = 0; p < kc; p++) dst[(long)p * NR + j] = 0.0f;
                continue;
            }
            const float *src = b + (long)(j0 + j) * ldb + p0;
            for (int p = 0; p < kc; p++) dst[(long)p * NR + j] = src[p];
        }
    }
}

static int imin(int x, int y) { return x < y ? x : y; }

/* Packing buffers. A call from outside any parallel region reuses one cached pair (grown as
   needed, freed at exit), so a training loop does not map fresh pages for every product; a call
   from inside a parallel region (which then runs serially) allocates its own. */
static float *g_cache[2];
static size_t g_cache_bytes[2];
static void cache_free(void) {
    for (int i = 0; i < 2; i++) free(g_cache[i]);
}
static float *buffer(int which, size_t bytes, int cached) {
    if (!cached) {
        float *p = aligned_alloc(64, bytes);
        if (!p) die("gemm_f32: out of memory (%zu bytes)", bytes);
        return p;
    }
    if (g_cache_bytes[which] < bytes) {
        static int registered = 0;
        if (!registered) atexit(cache_free);
        registered = 1;
        free(g_cache[which]);
        g_cache[which] = aligned_alloc(64, bytes);
        if (!g_cache[which]) die("gemm_f32: out of memory (%zu bytes)", bytes);
        g_cache_bytes[which] = bytes;
    }
    return g_cache[which];
}

/* The serial loop nest over one block of C (all of it, or one thread's share). */
static void gemm_nest(Kernel kern, int trans_a, int trans_b, int m, int n, int k, const float *a,
                      long lda, const float *b, long ldb, float *c, long ldc, float *bpack,
                      float *apack) {
    for (int jc = 0; jc < n; jc += NC) {
        const int nc = imin(NC, n - jc), npan = (nc + NR - 1) / NR;
        for (int pc = 0; pc < k; pc += KC) {
            const int kc = imin(KC, k - pc);
            for (int q = 0; q < npan; q++)
                pack_b_panel(b, ldb, trans_b, pc, kc, jc + q * NR, imin(NR, nc - q * NR),
                             bpack + (long)q * NR * kc);
            for (int ic0 = 0; ic0 < m; ic0 += MBIG) {
                const int mb = imin(MBIG, m - ic0), nstrip = (mb + MR - 1) / MR;
                for (int s = 0; s < nstrip; s++)
                    pack_a_strip(a, lda, trans_a, ic0 + s * MR, imin(MR, mb - s * MR), pc, kc,
                                 apack + (long)s * MR * kc);
                const int nblk = (mb + MC - 1) / MC;
                for (int t = 0; t < nblk * npan; t++) {
                    const int ib = t / npan, q = t % npan;
                    const int j = jc + q * NR, nr = imin(NR, nc - q * NR);
                    const float *bp = bpack + (long)q * NR * kc;
                    for (int i = ib * MC; i < imin(mb, (ib + 1) * MC); i += MR)
                        kern(kc, apack + (long)(i / MR) * MR * kc, bp,
                             c + (long)(ic0 + i) * ldc + j, ldc, imin(MR, mb - i), nr);
                }
            }
        }
    }
}

void gemm_f32(int trans_a, int trans_b, int m, int n, int k, const float *a, long lda,
              const float *b, long ldb, float *c, long ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    Kernel kern = kernel_portable;
#if GEMM_HAVE_X86
    if (simd_on()) kern = kernel_avx2;
#endif
#ifdef _OPENMP
    const int nested = omp_in_parallel();
#else
    const int nested = 1;
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
    float *bpack = buffer(0, bbytes * nt, !nested), *apack = buffer(1, abytes * nt, !nested);
    if (nt == 1) {
        gemm_nest(kern, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, bpack, apack);
    } else {
#pragma omp parallel num_threads(nt)
        {
            const int t = par_thread_id(), team = par_num_threads();
            const int u0 = (int)((long)units * t / team), u1 = (int)((long)units * (t + 1) / team);
            float *bp = bpack + bbytes / sizeof(float) * t, *ap = apack + abytes / sizeof(float) * t;
            if (u1 > u0 && team <= nt) {
                if (split_n) {
                    const int j0 = u0 * NR, j1 = imin(n, u1 * NR);
                    gemm_nest(kern, trans_a, trans_b, m, j1 - j0, k, a, lda,
                              trans_b ? b + (long)j0 * ldb : b + j0, ldb, c + j0, ldc, bp, ap);
                } else {
                    const int i0 = u0 * MR, i1 = imin(m, u1 * MR);
                    gemm_nest(kern, trans_a, trans_b, i1 - i0, n, k,
                              trans_a ? a + i0 : a + (long)i0 * lda, lda, b, ldb,
                              c + (long)i0 * ldc, ldc, bp, ap);
                }
            }
        }
    }
    if (nested) {
        free(apack);
        free(bpack);
    }
}
