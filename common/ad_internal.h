/* ad_internal — what the ad_*.c files share and users of ad.h do not need: element access by
   dtype, making an op's output and putting it on the tape, broadcasting index maps. */
#ifndef COMMON_AD_INTERNAL_H
#define COMMON_AD_INTERNAL_H

#include "common/ad.h"

/* Element i of a float or double buffer, as double. Elementwise kernels compute in double and
   round on store: one kernel serves both dtypes, and an f32 result is the correctly rounded
   double result. (Only the matrix-product kernels, where speed matters, are typed.) */
static inline double ad_ld(const void *p, AdDtype dt, long i) {
    return dt == AD_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
static inline void ad_st(void *p, AdDtype dt, long i, double v) {
    if (dt == AD_F32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}
static inline void ad_acc(void *p, AdDtype dt, long i, double v) { /* p[i] += v */
    if (dt == AD_F32) ((float *)p)[i] += (float)v;
    else ((double *)p)[i] += v;
}

/* Output of an op: a fresh arena tensor of the given shape, the dtype of in[0]. All inputs must
   share that dtype. When an input requires a gradient, the output gets a zeroed gradient buffer,
   `backward` and the inputs, and is appended to the tape. */
AdTensor *ad_op_out(AdArena *arena, const char *op, int ndim, const int *shape,
                    void (*backward)(AdTensor *), AdTensor *a, AdTensor *b, AdTensor *c);

/* ad_op_out leaving the output values unset (not zeroed): for an op that writes every element
   (the gradient buffer is still zeroed). Saves a pass over memory per large activation. */
AdTensor *ad_op_out_nz(AdArena *arena, const char *op, int ndim, const int *shape,
                       void (*backward)(AdTensor *), AdTensor *a, AdTensor *b, AdTensor *c);

/* ad_op_out_nz for an op with `nin` inputs (ins[0] non-NULL; the first 4 go to `in`, keep the
   rest in `aux` yourself): the op writes every output value. */
AdTensor *ad_op_out_n(AdArena *arena, const char *op, int ndim, const int *shape,
                      void (*backward)(AdTensor *), AdTensor *const *ins, int nin);

/* The tensor an op built in `arena` records as its input t: t's shadow while the arena has a
   shadow set listing t (ad_arena_set_shadows), t itself otherwise. Ops that keep inputs in `aux`
   store what this returns. */
AdTensor *ad_arena_input(const AdArena *arena, AdTensor *t);
AdTensor *ad_shadow_lookup(const AdShadows *s, AdTensor *t); /* t's shadow in s, or t */

/* Deferred mode (ad_arena_set_deferred): 1 when y was recorded without values; an op returns
   right after setting y's iparam/dparam/aux when this holds. */
static inline int ad_defer(const AdTensor *y) { return y->deferred != NULL; }
/* Marks the arena's step as not deferrable (the first reason is kept). */
void ad_arena_refuse_deferred(AdArena *arena, const char *what, const char *op);

/* Whether gradients must flow into t. */
static inline int ad_wants_grad(const AdTensor *t) { return t && t->grad != NULL; }

/* die() unless t has exactly `ndim` dimensions (message names op and shape). */
void ad_expect_ndim(const char *op, const AdTensor *t, int ndim);
/* Normalise a possibly negative axis; die when out of range. */
int ad_norm_axis(const char *op, const AdTensor *t, int axis);

/* Matrix kernels of ad_matmul.c, row-major, pointers to elements of dtype dt (accumulate):
   ad_gemm_nn: C (m,n) += A (m,k) B (k,n);  ad_gemm_tn: C (k,n) += A^T B with A (m,k), B (m,n);
   ad_transpose_into: dst (cols,rows) = src (rows,cols)^T. */
void ad_gemm_nn(AdDtype dt, void *c, const void *a, const void *b, int m, int k, int n);
void ad_gemm_tn(AdDtype dt, void *c, const void *a, const void *b, int m, int k, int n);
void ad_transpose_into(AdDtype dt, void *dst, const void *src, int rows, int cols);
/* C (m,n) += op(A) op(B), row strides lda, ldb, ldc; ta/tb = 1: the stored array is the
   transpose (A stored (k,m), B stored (n,k)). Float32 runs on common/gemm.h. */
void ad_gemm(AdDtype dt, int ta, int tb, int m, int n, int k, const void *a, long lda,
             const void *b, long ldb, void *c, long ldc);
/* Pointer to element i of a buffer of dtype dt. */
static inline void *ad_elem_ptr(void *p, AdDtype dt, long i) {
    return (char *)p + i * (long)(dt == AD_F32 ? sizeof(float) : sizeof(double));
}

/* Elementwise loops over large tensors run in fixed chunks of AD_PAR_ELEMS elements, in parallel
   (every element is computed alone, so the values do not depend on the thread count). */
#define AD_PAR_ELEMS 32768
#define AD_PAR_CHUNKS(call, n)                                                                    \
    do {                                                                                       \
        const long nch_ = ((n) + AD_PAR_ELEMS - 1) / AD_PAR_ELEMS;                             \
        if (nch_ <= 1) { /* small: no thread team at all (entering one costs microseconds) */ \
            const long i0_ = 0, m_ = (n);                                                      \
            call;                                                                              \
        } else {                                                                               \
            _Pragma("omp parallel for schedule(static)")                                       \
            for (long c_ = 0; c_ < nch_; c_++) {                                               \
                const long i0_ = c_ * AD_PAR_ELEMS,                                            \
                           m_ = (n) - i0_ < AD_PAR_ELEMS ? (n) - i0_ : AD_PAR_ELEMS;           \
                call;                                                                          \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* Product of shape[from..to). */
static inline long ad_prod(const int *shape, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) p *= shape[i];
    return p;
}

#endif
