/*: # ad_matmul — matrix products and the fused linear layer

For $Y = AB$ with $A$ of shape $(m,k)$ and $B$ of shape $(k,n)$,
$$ \bar A = \bar Y B^\top, \qquad \bar B = A^\top \bar Y . $$ {#eq:common.ad.matmul_grad}
For the linear layer $Y = XW + \mathbf 1 b^\top$ (with $W$ of shape (in, out)) the same two
products give $\bar X$ and $\bar W$, and $\bar b = \sum_i \bar Y_{i,:}$ (the bias is broadcast
over the rows).

**Speed.** In float32 every product runs on the packed, cache-blocked GEMM of common/gemm.h
(AVX-512 or AVX2+FMA where the processor has it; its summation order and its bound against the portable
kernel are stated there), transposed operands included, so no transpose is copied. The double
path, which exists for the gradient checks, keeps the simple kernel below.

The double kernel is written in the "axpy" form $C_{i,:} \mathrel{+}= A_{ip} B_{p,:}$
(loop order i-p-j): the inner loop runs along contiguous rows, so the compiler vectorises it
without reassociating any sum: each $C_{ij}$ is still accumulated over $p$ in increasing order,
one multiply and one add at a time. The result is therefore bit-identical with or without
vector instructions (the build forbids fused multiply-add with -ffp-contract=off). The product
with a transposed operand, $\bar Y B^\top$, first copies $B^\top$ into arena scratch so that it
too runs in axpy form. The kernels are typed (float and double) through one small macro.
*/
#include <stdlib.h>
#include <string.h>

#include "common/ad_internal.h"
#include "common/gemm.h"
#include "common/util.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define AD_KERNEL __attribute__((optimize("O3"), target_clones("avx2", "default")))
#else
#define AD_KERNEL
#endif

/* The one kernel: C (rows,n) += S B with B (kdim,n) row-major and S (rows,kdim) read through
   strides, S[r][t] = a[r*rs + t*ts]. With (rs, ts) = (k, 1) S is A; with (1, k) it is A^T.
   Each output row is done in blocks of 4 vectors of 32 bytes (32 floats or 16 doubles) held in
   registers across the whole sum over t, so C is loaded and stored once per block instead of
   once per t. The vectors are GCC's portable vector types: every lane does the same scalar
   multiply-then-add as the tail loop, in increasing t, so the result does not depend on the
   vector width the machine has. */
#define DEFINE_GEMM(T, SUF)                                                                \
    typedef T vec_##SUF __attribute__((vector_size(32)));                                  \
    AD_KERNEL static void axpy_gemm_##SUF(T *restrict c, const T *restrict a, long rs, long ts,   \
                                     const T *restrict b, int rows, int kdim, int n) {     \
        const int lanes = (int)(sizeof(vec_##SUF) / sizeof(T)), block = 4 * lanes;         \
        const int nfull = n - n % block;                                                   \
        for (int r = 0; r < rows; r++) {                                                   \
            T *restrict cr = c + (long)r * n;                                              \
            const T *restrict ar = a + (long)r * rs;                                       \
            for (int j0 = 0; j0 < nfull; j0 += block) {                                    \
                vec_##SUF c0, c1, c2, c3, b0, b1, b2, b3;                                  \
                memcpy(&c0, cr + j0, sizeof c0);                                           \
                memcpy(&c1, cr + j0 + lanes, sizeof c1);                                   \
                memcpy(&c2, cr + j0 + 2 * lanes, sizeof c2);                               \
                memcpy(&c3, cr + j0 + 3 * lanes, sizeof c3);                               \
                for (int t = 0; t < kdim; t++) {                                           \
                    const T s = ar[(long)t * ts];                                          \
                    const T *bt = b + (long)t * n + j0;                                    \
                    memcpy(&b0, bt, sizeof b0);                                            \
                    memcpy(&b1, bt + lanes, sizeof b1);                                    \
                    memcpy(&b2, bt + 2 * lanes, sizeof b2);                                \
                    memcpy(&b3, bt + 3 * lanes, sizeof b3);                                \
                    c0 += s * b0;                                                          \
                    c1 += s * b1;                                                          \
                    c2 += s * b2;                                                          \
                    c3 += s * b3;                                                          \
                }                                                                          \
                memcpy(cr + j0, &c0, sizeof c0);                                           \
                memcpy(cr + j0 + lanes, &c1, sizeof c1);                                   \
                memcpy(cr + j0 + 2 * lanes, &c2, sizeof c2);                               \
                memcpy(cr + j0 + 3 * lanes, &c3, sizeof c3);                               \
            }                                                                              \
            for (int t = 0; t < kdim && nfull < n; t++) {                                  \
                const T s = ar[(long)t * ts];                                              \
                const T *restrict bt = b + (long)t * n;                                    \
                for (int j = nfull; j < n; j++) cr[j] += s * bt[j];                        \
            }                                                                              \
        }                                                                                  \
    }
DEFINE_GEMM(double, f64)

/* Dispatch on dtype (declared in ad_internal.h). */
void ad_gemm_nn(AdDtype dt, void *c, const void *a, const void *b, int m, int k, int n) {
    //: $C_{ij} \mathrel{+}= \sum_p A_{ip} B_{pj}$
    if (dt == AD_F32) gemm_f32(0, 0, m, n, k, a, k, b, n, c, n);
    else axpy_gemm_f64(c, a, k, 1, b, m, k, n);
}
void ad_gemm_tn(AdDtype dt, void *c, const void *a, const void *b, int m, int k, int n) {
    //: $C_{pj} \mathrel{+}= \sum_i A_{ip} B_{ij}$
    if (dt == AD_F32) gemm_f32(1, 0, k, n, m, a, k, b, n, c, n);
    else axpy_gemm_f64(c, a, 1, k, b, k, m, n);
}
/* C (m,n) += op(A) op(B) with row strides (declared in ad_internal.h). Double: the axpy kernel
   when B is not transposed and the rows of C are packed, a plain loop otherwise. */
void ad_gemm(AdDtype dt, int ta, int tb, int m, int n, int k, const void *a, long lda,
             const void *b, long ldb, void *c, long ldc) {
    if (dt == AD_F32) {
        gemm_f32(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
    if (ldc == n && lda == (ta ? m : k) && ldb == (tb ? k : n)) {
        if (!tb) {
            axpy_gemm_f64(c, a, ta ? 1 : k, ta ? m : 1, b, m, k, n);
            return;
        }
        /* B stored (n,k): copy B^T (k,n) so the product runs in axpy form */
        double *bt = xmalloc((size_t)k * (size_t)n * sizeof(double));
        ad_transpose_into(AD_F64, bt, b, n, k);
        axpy_gemm_f64(c, a, ta ? 1 : k, ta ? m : 1, bt, m, k, n);
        free(bt);
        return;
    }
    const double *A = a, *B = b;
    double *C = c;
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) {
            const double s = ta ? A[(long)p * lda + i] : A[(long)i * lda + p];
            for (int j = 0; j < n; j++)
                C[(long)i * ldc + j] += s * (tb ? B[(long)j * ldb + p] : B[(long)p * ldb + j]);
        }
}
/* dst (cols,rows) = src (rows,cols)^T */
void ad_transpose_into(AdDtype dt, void *dst, const void *src, int rows, int cols) {
    if (dt == AD_F32) {
        const float *s = src;
        float *d = dst;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) d[(long)c * rows + r] = s[(long)r * cols + c];
    } else {
        const double *s = src;
        double *d = dst;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) d[(long)c * rows + r] = s[(long)r * cols + c];
    }
}
static void *offset(void *p, AdDtype dt, long i) { return (char *)p + i * (long)ad_dtype_size(dt); }

/* ---------------------------------------------------------------------------------------- */
/* matmul: 2-D (m,k)@(k,n), or batched 3-D (B,m,k)@(B,k,n). iparam: batch, m, k, n.          */

static void matmul_backward(AdTensor *y) {
    AdTensor *a = y->in[0], *b = y->in[1];
    AdDtype dt = y->dtype;
    int nb = y->iparam[0], m = y->iparam[1], k = y->iparam[2], n = y->iparam[3];
    for (int s = 0; s < nb; s++) {
        void *gy = offset(y->grad, dt, (long)s * m * n);
        if (ad_wants_grad(a)) {
            //: $\bar A \mathrel{+}= \bar Y B^\top$
            ad_gemm(dt, 0, 1, m, k, n, gy, n, offset(b->data, dt, (long)s * k * n), n,
                    offset(a->grad, dt, (long)s * m * k), k);
        }
        if (ad_wants_grad(b)) {
            //: $\bar B \mathrel{+}= A^\top \bar Y$
            ad_gemm_tn(dt, offset(b->grad, dt, (long)s * k * n), offset(a->data, dt, (long)s * m * k),
                    gy, m, k, n);
        }
    }
}

AdTensor *ad_matmul(AdArena *arena, AdTensor *a, AdTensor *b) {
    int ok = a->ndim == b->ndim && (a->ndim == 2 || a->ndim == 3);
    int batched = a->ndim == 3;
    if (ok) ok = a->shape[a->ndim - 1] == b->shape[b->ndim - 2] && (!batched || a->shape[0] == b->shape[0]);
    if (!ok) {
        char sa[64], sb[64];
        die("ad_matmul: shapes %s and %s do not multiply (want (m,k)@(k,n) or (B,m,k)@(B,k,n))",
            ad_shape_str(a, sa, sizeof sa), ad_shape_str(b, sb, sizeof sb));
    }
    int nb = batched ? a->shape[0] : 1;
    int m = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1], n = b->shape[b->ndim - 1];
    int shape[3] = {nb, m, n};
    AdTensor *y = ad_op_out(arena, "ad_matmul", a->ndim, batched ? shape : shape + 1,
                            matmul_backward, a, b, NULL);
    y->iparam[0] = nb;
    y->iparam[1] = m;
    y->iparam[2] = k;
    y->iparam[3] = n;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    //: $Y = AB$, $Y_{ij} = \sum_p A_{ip} B_{pj}$
    for (int s = 0; s < nb; s++)
        ad_gemm_nn(y->dtype, offset(y->data, y->dtype, (long)s * m * n),
                offset(a->data, a->dtype, (long)s * m * k), offset(b->data, b->dtype, (long)s * k * n),
                m, k, n);
    return y;
}

/* ---------------------------------------------------------------------------------------- */
/* linear: x (N,in) W (in,out) + b (out). iparam: N, in, out.                                  */

/* gb[j] += sum_i gy[i][j] for columns [j0, j1): each column summed over its rows in order (the
   vector lanes run across columns, so vectorising changes no sum). */
AD_KERNEL static void bias_grad_f32(float *restrict gb, const float *restrict gy, int nrow,
                                    int nout, int j0, int j1) {
    for (int i = 0; i < nrow; i++)
        for (int j = j0; j < j1; j++) gb[j] += gy[(long)i * nout + j];
}

static void linear_backward(AdTensor *y) {
    AdTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    AdDtype dt = y->dtype;
    int nrow = y->iparam[0], nin = y->iparam[1], nout = y->iparam[2];
    if (ad_wants_grad(b)) {
        //: $\bar b_j \mathrel{+}= \sum_i \bar Y_{ij}$
        if (dt == AD_F32) {
            /* blocks of 16 columns over threads; each column sums its rows in order */
            float *gb = b->grad;
            const float *gy = y->grad;
            const int nblk = (nout + 15) / 16, par = (long)nrow * nout >= 65536 && nblk > 1;
            if (!par) {
                bias_grad_f32(gb, gy, nrow, nout, 0, nout);
            } else {
#pragma omp parallel for schedule(static)
                for (int jb = 0; jb < nblk; jb++) {
                    const int j0 = jb * 16, j1 = j0 + 16 < nout ? j0 + 16 : nout;
                    bias_grad_f32(gb, gy, nrow, nout, j0, j1);
                }
            }
        } else {
            double *gb = b->grad;
            const double *gy = y->grad;
            for (int i = 0; i < nrow; i++)
                for (int j = 0; j < nout; j++) gb[j] += gy[(long)i * nout + j];
        }
    }
    if (ad_wants_grad(w)) {
        //: $\bar W \mathrel{+}= X^\top \bar Y$
        ad_gemm_tn(dt, w->grad, x->data, y->grad, nrow, nin, nout);
    }
    if (ad_wants_grad(x)) {
        //: $\bar X \mathrel{+}= \bar Y W^\top$
        ad_gemm(dt, 0, 1, nrow, nin, nout, y->grad, nout, w->data, nout, x->grad, nin);
    }
}

AdTensor *ad_linear(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b) {
    if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != w->shape[0] ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[1]))) {
        char sx[64], sw[64], sb[64] = "none";
        if (b) ad_shape_str(b, sb, sizeof sb);
        die("ad_linear: x %s, W %s, b %s do not fit (want x (N,in), W (in,out), b (out))",
            ad_shape_str(x, sx, sizeof sx), ad_shape_str(w, sw, sizeof sw), sb);
    }
    int nrow = x->shape[0], nin = x->shape[1], nout = w->shape[1];
    int shape[2] = {nrow, nout};
    /* with a bias every row is written before the product adds to it: no zeroing needed */
    AdTensor *y = (b ? ad_op_out_nz : ad_op_out)(arena, "ad_linear", 2, shape, linear_backward, x,
                                                 w, b);
    y->iparam[0] = nrow;
    y->iparam[1] = nin;
    y->iparam[2] = nout;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    size_t row_bytes = (size_t)nout * ad_dtype_size(dt);
    //: $Y = XW + \mathbf 1 b^\top$ (start each row at $b$, then add $XW$)
    if (b && (long)nrow * nout < 65536)
        for (int i = 0; i < nrow; i++) memcpy(offset(y->data, dt, (long)i * nout), b->data, row_bytes);
    else if (b)
#pragma omp parallel for schedule(static)
        for (int i = 0; i < nrow; i++) memcpy(offset(y->data, dt, (long)i * nout), b->data, row_bytes);
    ad_gemm_nn(dt, y->data, x->data, w->data, nrow, nin, nout);
    return y;
}
