/* gemm — the float32 matrix product every network of the course runs on (issue #10).

   gemm_f32 accumulates C (m,n) += op(A) op(B), row-major, op(X) = X or X^T, with leading
   dimensions (the row strides of the stored arrays). It packs panels of A and B into contiguous
   buffers, blocks them for the caches (KC x NC of B, MC x KC of A) and runs a micro-kernel
   chosen once at run time: 8x32 tiles in AVX-512 where the processor has it, 6x16 in AVX2+FMA
   where it has both, a portable 6x16 C kernel otherwise. A product with one row (m = 1) skips
   the packing and reads B in place, in the same order; so does, with AVX-512, a product below
   2^19 multiply-adds (a small MLP's layers), on 8-row tiles and the same order again.

   Summation order. Element C_ij receives its k products in blocks of GEMM_KC consecutive p, in
   increasing p: within a block they are summed into a register starting from 0, and the block
   sum is then added to C_ij. That order depends only on k, never on the thread count or the tile
   a thread happens to own (threads split the output tiles; the k-loop stays outside the parallel
   split), so results are bit-identical for any --threads.

   Vector vs portable path. The two paths follow the same order; the only difference is that
   the AVX2 kernel forms a_ip b_pj + s with one rounding (fused multiply-add) while the portable
   kernel rounds the product and then the sum. Both are within gamma_{k+nb+1} (|C0| + sum_p
   |a_ip||b_pj|) of the exact value (nb = number of k-blocks, gamma_n = n u / (1 - n u),
   u = 2^-24), hence
       |C_fma - C_portable| <= 2 gamma_{k+nb+1} (|C0_ij| + sum_p |a_ip| |b_pj|),
   the bound checks/unit/test_gemm.c tests on random shapes. In practice the gap is a few ulps.
   The AVX-512 and AVX2 kernels do the same fused operations in the same order (only the tile
   shape differs, and no sum crosses a tile), so their results are bit-identical (tested). */
#ifndef COMMON_GEMM_H
#define COMMON_GEMM_H

#define GEMM_KC 256

/* C (m,n) += op(A) op(B): op(A) is (m,k), op(B) is (k,n). trans_a = 0: A stored (m,k) with row
   stride lda; trans_a = 1: A stored (k,m) with row stride lda. Likewise B ((k,n) or (n,k)).
   m, n or k of 0 is a no-op. Safe to call from inside an OpenMP parallel region (then it runs
   serially, on packing buffers kept per thread); not from several POSIX threads at once (the
   buffers are shared process-wide). */
void gemm_f32(int trans_a, int trans_b, int m, int n, int k, const float *a, long lda,
              const float *b, long ldb, float *c, long ldc);

/* 1: use the portable kernel even where AVX2+FMA exists (for tests); 0: back to automatic.
   The environment variable GEMM_PORTABLE=1 does the same at start-up. */
void gemm_force_portable(int on);
/* Choose a kernel by name: "portable", "avx2" (or "avx2+fma"), "avx512" (or "avx512f"), or
   "auto"/NULL for the best this processor runs. Returns 0 (and changes nothing) when the
   processor lacks it. The environment variable GEMM_KERNEL=<name> does the same at start-up. */
int gemm_force_kernel(const char *name);
/* 1: small products too go through the packed kernels (for tests: the direct AVX-512 path for
   products below 2^19 multiply-adds must give the same bits); 0: back to automatic. */
void gemm_force_packed(int on);
/* Whether the next gemm_f32 call will use a SIMD kernel (AVX2+FMA or AVX-512), and whether that
   is the AVX-512 one (common/conv_direct.h follows the same choice). */
int gemm_uses_simd(void);
int gemm_uses_avx512(void);
/* The name of the kernel in use ("avx512f", "avx2+fma" or "portable"). */
const char *gemm_kernel_name(void);

#endif
