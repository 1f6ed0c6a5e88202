/*: # ad_unary — elementwise functions of one tensor

Each function $y = f(x)$ comes as a pair: the value, and the derivative $f'(x)$ written in terms
of $x$ and of the already computed $y$ (cheaper for exp, tanh, sigmoid). The backward pass is
$\bar x_i \mathrel{+}= f'(x_i)\,\bar y_i$.

Kinks: relu is not differentiable at 0 (we use $f'(0) = 0$); sqrt at 0 has an infinite slope.
Gradient checks keep their inputs away from these points.
*/
#include <math.h>

#include "common/ad_internal.h"
#include "common/mathfn.h"
#include "common/parallel.h"
#include "common/util.h"
#include "common/vec_math.h"

typedef struct {
    const char *name;
    double (*f)(double x, double c);
    double (*df)(double x, double y, double c); /* dy/dx */
} UnaryFn;

static double exp_f(double x, double c) { (void)c; return exp(x); }
//: $\partial e^x/\partial x = e^x$
static double exp_df(double x, double y, double c) { (void)x; (void)c; return y; }

static double log_f(double x, double c) { (void)c; return log(x); }
//: $\partial \log x/\partial x = 1/x$
static double log_df(double x, double y, double c) { (void)y; (void)c; return 1.0 / x; }

static double tanh_f(double x, double c) { (void)c; return tanh(x); }
//: $\partial\tanh(x)/\partial x = 1 - \tanh^2(x)$
static double tanh_df(double x, double y, double c) { (void)x; (void)c; return 1.0 - y * y; }

static double sigmoid_f(double x, double c) { (void)c; return sigmoid(x); }
//: $\partial\sigma(x)/\partial x = \sigma(x)\,(1 - \sigma(x))$
static double sigmoid_df(double x, double y, double c) { (void)x; (void)c; return y * (1.0 - y); }

static double relu_f(double x, double c) { (void)c; return x < 0 ? 0.0 : x; } /* NaN passes */
//: $\partial\max(x,0)/\partial x = [x > 0]$ (0 at the kink $x = 0$)
static double relu_df(double x, double y, double c) { (void)y; (void)c; return x > 0 ? 1.0 : 0.0; }

static double silu_f(double x, double c) { (void)c; return x * sigmoid(x); }
//: $\partial\,x\sigma(x)/\partial x = \sigma(x)\,\big(1 + x\,(1 - \sigma(x))\big)$
static double silu_df(double x, double y, double c) {
    (void)y; (void)c;
    double s = sigmoid(x);
    return s * (1.0 + x * (1.0 - s));
}

static double softplus_f(double x, double c) { (void)c; return log1pexp(x); }
//: $\partial\log(1 + e^x)/\partial x = \sigma(x)$
static double softplus_df(double x, double y, double c) { (void)y; (void)c; return sigmoid(x); }

static double square_f(double x, double c) { (void)c; return x * x; }
//: $\partial x^2/\partial x = 2x$
static double square_df(double x, double y, double c) { (void)y; (void)c; return 2.0 * x; }

static double sqrt_f(double x, double c) { (void)c; return sqrt(x); }
//: $\partial\sqrt x/\partial x = 1/(2\sqrt x)$
static double sqrt_df(double x, double y, double c) { (void)x; (void)c; return 0.5 / y; }

static double sin_f(double x, double c) { (void)c; return sin(x); }
//: $\partial\sin x/\partial x = \cos x$
static double sin_df(double x, double y, double c) { (void)y; (void)c; return cos(x); }

static double cos_f(double x, double c) { (void)c; return cos(x); }
//: $\partial\cos x/\partial x = -\sin x$
static double cos_df(double x, double y, double c) { (void)y; (void)c; return -sin(x); }

static double scale_f(double x, double c) { return c * x; }
//: $\partial (c x)/\partial x = c$
static double scale_df(double x, double y, double c) { (void)x; (void)y; return c; }

static double add_const_f(double x, double c) { return x + c; }
//: $\partial (x + c)/\partial x = 1$
static double add_const_df(double x, double y, double c) { (void)x; (void)y; (void)c; return 1.0; }

/* tanh for float32 tensors, which the MLPs of the course evaluate most (libm's tanh costs
   several times a matrix product of the same size). With $t = |x|$ and $e = e^{-2t}$,
   $\tanh t = (1 - e)/(1 + e)$; $e$ comes from $e^{-2t} = (e^{-2t/32})^{32}$: a degree-14 Taylor
   polynomial on $[0, 0.57]$ (remainder below $2\cdot10^{-16}$) squared five times (relative
   error times 32). Below $t = 10^{-5}$, $t - t^3/3$ avoids the cancellation in $1 - e$; from
   $t = 9$ on, $\tanh t$ rounds to 1 in float. All in double, then rounded: accurate to float
   precision, branch-light, and vectorisable; the double path keeps libm's tanh as reference. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* no-trapping-math only lets the compiler evaluate both sides of a select (no effect on values) */
#define AD_ELEMENTWISE                                                                         \
    __attribute__((optimize("O3", "no-trapping-math"), target_clones("arch=x86-64-v4", "avx2", "default")))
#define AD_ELEMENTWISE_INLINE __attribute__((optimize("O3", "no-trapping-math")))
#else
#define AD_ELEMENTWISE
#define AD_ELEMENTWISE_INLINE
#endif
AD_ELEMENTWISE_INLINE static inline double tanh_for_float(double x) {
    double a = fabs(x);
    double t = a > 9.0 ? 9.0 : a; /* written so that a NaN passes through (a NaN compares false) */
    double u = -2.0 * t / 32.0, p = 1.0;
    for (int k = 14; k >= 1; k--) p = 1.0 + p * (u * (1.0 / k)); /* Horner: sum u^k/k! */
    for (int k = 0; k < 5; k++) p *= p;                /* e^{-2t} */
    double small = t - t * t * t * (1.0 / 3.0), large = (1.0 - p) / (1.0 + p);
    double y = t < 1e-5 ? small : large;
    return copysign(y, x);
}
AD_ELEMENTWISE static void tanh_f32_range(float *restrict y, const float *restrict x, long n) {
    for (long i = 0; i < n; i++) y[i] = (float)tanh_for_float(x[i]);
}
AD_ELEMENTWISE static void tanh_backward_f32_range(float *restrict gx, const float *restrict y,
                                                   const float *restrict gy, long n) {
    //: $\bar x \mathrel{+}= (1 - y^2)\,\bar y$
    for (long i = 0; i < n; i++) gx[i] += (1.0f - y[i] * y[i]) * gy[i];
}

/* sigmoid and SiLU for float32 tensors (the U-Net's activation): e^{-x} by the vectorised
   vm_exp_f32 of common/vec_math.h (within a few ulps; checks/unit/test_ad_f32 states and tests
   the bound on SiLU and sigmoid against the double path), then one division, all in float. For
   x -> -inf, e^{-x} overflows to inf and both give (-)0; a NaN passes through. The elements are
   independent, so large tensors are split over threads in fixed chunks with no effect on any
   value. */
AD_ELEMENTWISE static void sigmoid_f32_range(float *restrict y, const float *restrict x, long n) {
    //: $\sigma(x) = 1/(1 + e^{-x})$
    for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + vm_exp_f32(-x[i]));
}
AD_ELEMENTWISE static void sigmoid_backward_f32_range(float *restrict gx, const float *restrict y,
                                                const float *restrict gy, long n) {
    //: $\bar x \mathrel{+}= \sigma(1 - \sigma)\,\bar y$
    for (long i = 0; i < n; i++) gx[i] += y[i] * (1.0f - y[i]) * gy[i];
}
AD_ELEMENTWISE static void silu_f32_range(float *restrict y, const float *restrict x, long n) {
    //: $x\sigma(x) = x/(1 + e^{-x})$
    for (long i = 0; i < n; i++) y[i] = x[i] / (1.0f + vm_exp_f32(-x[i]));
}
AD_ELEMENTWISE static void silu_backward_f32_range(float *restrict gx, const float *restrict x,
                                                   const float *restrict gy, long n) {
    for (long i = 0; i < n; i++) {
        const float sg = 1.0f / (1.0f + vm_exp_f32(-x[i]));
        //: $\bar x \mathrel{+}= \sigma(x)\,\big(1 + x(1 - \sigma(x))\big)\,\bar y$
        gx[i] += sg * (1.0f + x[i] * (1.0f - sg)) * gy[i];
    }
}
static void tanh_f32(float *y, const float *x, long n) {
    AD_PAR_CHUNKS(tanh_f32_range(y + i0_, x + i0_, m_), n);
}
static void tanh_backward_f32(float *gx, const float *y, const float *gy, long n) {
    AD_PAR_CHUNKS(tanh_backward_f32_range(gx + i0_, y + i0_, gy + i0_, m_), n);
}
static void sigmoid_backward_f32(float *gx, const float *y, const float *gy, long n) {
    AD_PAR_CHUNKS(sigmoid_backward_f32_range(gx + i0_, y + i0_, gy + i0_, m_), n);
}
static void sigmoid_f32(float *y, const float *x, long n) {
    AD_PAR_CHUNKS(sigmoid_f32_range(y + i0_, x + i0_, m_), n);
}
static void silu_f32(float *y, const float *x, long n) {
    AD_PAR_CHUNKS(silu_f32_range(y + i0_, x + i0_, m_), n);
}
static void silu_backward_f32(float *gx, const float *x, const float *gy, long n) {
    AD_PAR_CHUNKS(silu_backward_f32_range(gx + i0_, x + i0_, gy + i0_, m_), n);
}

enum { U_EXP, U_LOG, U_TANH, U_SIGMOID, U_RELU, U_SILU, U_SOFTPLUS, U_SQUARE, U_SQRT, U_SIN,
       U_COS, U_SCALE, U_ADD_CONST };
static const UnaryFn unary_fns[] = {
    {"ad_exp", exp_f, exp_df},           {"ad_log", log_f, log_df},
    {"ad_tanh", tanh_f, tanh_df},        {"ad_sigmoid", sigmoid_f, sigmoid_df},
    {"ad_relu", relu_f, relu_df},        {"ad_silu", silu_f, silu_df},
    {"ad_softplus", softplus_f, softplus_df}, {"ad_square", square_f, square_df},
    {"ad_sqrt", sqrt_f, sqrt_df},        {"ad_sin", sin_f, sin_df},
    {"ad_cos", cos_f, cos_df},           {"ad_scale", scale_f, scale_df},
    {"ad_add_const", add_const_f, add_const_df},
};

static void unary_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    const UnaryFn *fn = &unary_fns[y->iparam[0]];
    double c = y->dparam[0];
    AdDtype dt = y->dtype;
    if (dt == AD_F32 && y->iparam[0] == U_TANH) {
        tanh_backward_f32(x->grad, y->data, y->grad, y->size);
        return;
    }
    if (dt == AD_F32 && y->iparam[0] == U_SIGMOID) {
        sigmoid_backward_f32(x->grad, y->data, y->grad, y->size);
        return;
    }
    if (dt == AD_F32 && y->iparam[0] == U_SILU) {
        silu_backward_f32(x->grad, x->data, y->grad, y->size);
        return;
    }
    //: $\bar x_i \mathrel{+}= f'(x_i)\,\bar y_i$
    for (long i = 0; i < y->size; i++)
        ad_acc(x->grad, dt, i,
               fn->df(ad_ld(x->data, dt, i), ad_ld(y->data, dt, i), c) * ad_ld(y->grad, dt, i));
}

static AdTensor *unary(AdArena *arena, int which, AdTensor *x, double c) {
    const UnaryFn *fn = &unary_fns[which];
    AdTensor *y = ad_op_out_nz(arena, fn->name, x->ndim, x->shape, unary_backward, x, NULL, NULL);
    y->iparam[0] = which;
    y->dparam[0] = c;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    if (dt == AD_F32 && which == U_TANH) {
        tanh_f32(y->data, x->data, y->size);
        return y;
    }
    if (dt == AD_F32 && which == U_SIGMOID) {
        sigmoid_f32(y->data, x->data, y->size);
        return y;
    }
    if (dt == AD_F32 && which == U_SILU) {
        silu_f32(y->data, x->data, y->size);
        return y;
    }
    for (long i = 0; i < y->size; i++) ad_st(y->data, dt, i, fn->f(ad_ld(x->data, dt, i), c));
    return y;
}

AdTensor *ad_exp(AdArena *arena, AdTensor *a) { return unary(arena, U_EXP, a, 0); }
AdTensor *ad_log(AdArena *arena, AdTensor *a) { return unary(arena, U_LOG, a, 0); }
AdTensor *ad_tanh(AdArena *arena, AdTensor *a) { return unary(arena, U_TANH, a, 0); }
AdTensor *ad_sigmoid(AdArena *arena, AdTensor *a) { return unary(arena, U_SIGMOID, a, 0); }
AdTensor *ad_relu(AdArena *arena, AdTensor *a) { return unary(arena, U_RELU, a, 0); }
AdTensor *ad_silu(AdArena *arena, AdTensor *a) { return unary(arena, U_SILU, a, 0); }
AdTensor *ad_softplus(AdArena *arena, AdTensor *a) { return unary(arena, U_SOFTPLUS, a, 0); }
AdTensor *ad_square(AdArena *arena, AdTensor *a) { return unary(arena, U_SQUARE, a, 0); }
AdTensor *ad_sqrt(AdArena *arena, AdTensor *a) { return unary(arena, U_SQRT, a, 0); }
AdTensor *ad_sin(AdArena *arena, AdTensor *a) { return unary(arena, U_SIN, a, 0); }
AdTensor *ad_cos(AdArena *arena, AdTensor *a) { return unary(arena, U_COS, a, 0); }
AdTensor *ad_scale(AdArena *arena, AdTensor *a, double c) { return unary(arena, U_SCALE, a, c); }
AdTensor *ad_add_const(AdArena *arena, AdTensor *a, double c) {
    return unary(arena, U_ADD_CONST, a, c);
}
