/*: # gpu_precision — how far a conformant GPU may be from the C twin, op by op

A kernel and its C twin (gpu_shared.h) run the same float32 operations in the same order. Their
results still differ, because the Vulkan environment of SPIR-V (the Vulkan specification,
"Precision and Operation of SPIR-V Instructions", which GLSL 4.50 for Vulkan inherits) lets a
device round its built-in functions far more loosely than a C library does. What a *conformant*
device guarantees, float32, is this table; everything here is derived from it.

| operation | guaranteed error of a conformant device |
|---|---|
| $+,\ -,\ \times$ | correctly rounded; $a\times b + c$ may be fused into one rounding (fma) |
| $x / y$ | 2.5 ulp ($2^{-126} \le \lvert y\rvert \le 2^{126}$) |
| $e^x$ | $3 + 2\lvert x\rvert$ ulp |
| $\ln x$ | 3 ulp outside $[0.5, 2]$, absolute $2^{-21}$ inside |
| $\sin x,\ \cos x$ | absolute $2^{-11}$ on $[-\pi, \pi]$ (nothing outside) |
| $\sqrt x$ | inherited from $1/\mathrm{inversesqrt}(x)$: 2 ulp, then a division: 4.5 ulp |
| $\tanh,\ $SiLU | inherited from the formulas of gpu_shared.h (exp, $\pm$, division) |

The C twin is itself conformant and much tighter (glibc's `expf`, `logf`, `sinf`, `cosf` are
within 1 ulp, `sqrtf` is correctly rounded). So if every conformant implementation lies within
$e$ of the exact value of a formula, **two implementations lie within $2e$ of each other**; that
is the bound a GPU-vs-twin check uses. Only integer work (the Philox words) is bit-exact.

**Running error bounds.** A `GpErr` carries a value $v$ (the exact real result of the formula's
operations on the exact float inputs, computed in double) and a bound $e$ on the distance from
$v$ of the float result of *any* conformant implementation. With $u = 2^{-24}$ (the rounding
error of round-to-nearest relative to the result) and one ulp at most $2^{-23}\lvert y\rvert$:
$$ e(a \pm b) = e_a + e_b + u\lvert a\pm b\rvert,\qquad e(ab) = \lvert a\rvert e_b + \lvert b\rvert e_a + e_a e_b + u\lvert ab\rvert, $$ {#eq:common.gpu.err_arith}
$$ e(a/b) = \frac{e_a + \lvert a/b\rvert e_b}{\lvert b\rvert - e_b} + 2.5\cdot 2^{-23}\lvert a/b\rvert,\qquad
   e(e^a) = e^a\,(e^{e_a} - 1) + (3 + 2(\lvert a\rvert + e_a))\,2^{-23}\,e^{a + e_a}, $$ {#eq:common.gpu.err_div_exp}
and for $\ln$, $\sqrt{\ }$, $\sin$, $\cos$ the same pattern: the function's change over
$[v - e, v + e]$ plus its guaranteed rounding. A fused $ab + c$ is rounded once, so it stays
inside the unfused bound; flushing a denormal result to zero adds $2^{-126}$ (in exp).

**Through many steps.** A chain's state feeds back into the next step. Propagating $e$ through
the state with the rules above would treat $x - c\,x$ as $\lvert x\rvert + \lvert c x\rvert$ and
grow like $(1 + c)^T$ even where the dynamics contract. So a chain's bound is carried
*componentwise through the exact Jacobian* $J$ of the step map at the twin's state: with $d_t$
the bound on $\lvert x^{gpu}_t - x^{twin}_t\rvert$ (per coordinate) and $\iota_t$ the bound of one
step taken by two implementations from the same state ($2e$ from the rules above),
$$ d_{t+1} = \lvert J(x^{twin}_t)\rvert\, d_t + \iota_t,\qquad d_0 = 0 . $$ {#eq:common.gpu.err_chain}
This is a first-order bound: the mean-value theorem puts $J$ at a point between the two states,
at most $d_t$ away, and over such distances ($d_t \lesssim 10^{-3}$ here) the change of $J$ is
a relative $O(d_t)$ correction. A check then asks $\lvert x^{gpu}_i - x^{twin}_i\rvert \le d_i$
for *every* coordinate of every chain, which a systematic kernel error of the size of a real
bug (a wrong constant, a missing term) cannot satisfy.
*/
#ifndef GPU_GPU_PRECISION_H
#define GPU_GPU_PRECISION_H

#include <math.h>
#include <stdint.h>

#include "gpu/gpu_langevin.h"
#include "gpu/gpu_mlp.h"
#include "gpu/gpu_train.h"

#define GP_U 0x1p-24       /* round to nearest: |fl(y) - y| <= GP_U |y| */
#define GP_ULP 0x1p-23     /* one ulp of y is at most GP_ULP |y| */
#define GP_SINCOS_ABS 0x1p-11
#define GP_LOG_ABS 0x1p-21
#define GP_DIV_ULP 2.5
#define GP_SQRT_ULP 4.5
#define GP_EXP_ULP(x) (3.0 + 2.0 * (x)) /* |x| the argument */

typedef struct {
    double v; /* the exact result of the operations on exact inputs */
    double e; /* bound on |conformant float32 result - v| */
} GpErr;

/* The primitives of eqs. [eq:common.gpu.err_arith] and [eq:common.gpu.err_div_exp] (inline:
   the bounds run them billions of times). gp_div needs |b.v| > b.e, gp_log a.v > a.e, gp_sin and
   gp_cos |a.v| + a.e <= pi (the specified range); outside, the bound is infinite. */
static inline GpErr gp_exact(double v) { return (GpErr){v, 0.0}; }

//: eq. [eq:common.gpu.err_arith]: $e(a\pm b) = e_a + e_b + u\lvert a\pm b\rvert$
static inline GpErr gp_add(GpErr a, GpErr b) {
    const double v = a.v + b.v;
    return (GpErr){v, a.e + b.e + GP_U * fabs(v)};
}

static inline GpErr gp_sub(GpErr a, GpErr b) {
    const double v = a.v - b.v;
    return (GpErr){v, a.e + b.e + GP_U * fabs(v)};
}

//: eq. [eq:common.gpu.err_arith]: $e(ab) = \lvert a\rvert e_b + \lvert b\rvert e_a + e_a e_b + u\lvert ab\rvert$
static inline GpErr gp_mul(GpErr a, GpErr b) {
    const double v = a.v * b.v;
    return (GpErr){v, fabs(a.v) * b.e + fabs(b.v) * a.e + a.e * b.e + GP_U * fabs(v)};
}

//: eq. [eq:common.gpu.err_div_exp]: $e(a/b) = (e_a + \lvert a/b\rvert e_b)/(\lvert b\rvert - e_b) + 2.5\,\mathrm{ulp}$
static inline GpErr gp_div(GpErr a, GpErr b) {
    const double v = a.v / b.v, room = fabs(b.v) - b.e;
    if (!(room > 0)) return (GpErr){v, INFINITY};
    const double prop = (a.e + fabs(v) * b.e) / room;
    return (GpErr){v, prop + GP_DIV_ULP * GP_ULP * (fabs(v) + prop)};
}

//: eq. [eq:common.gpu.err_div_exp]: $e(e^a) = e^a(e^{e_a}-1) + (3 + 2(\lvert a\rvert + e_a))\,\mathrm{ulp}(e^{a+e_a})$, plus a flushed denormal
static inline GpErr gp_exp(GpErr a) {
    const double v = exp(a.v), hi = exp(a.v + a.e);
    return (GpErr){v, v * expm1(a.e) + GP_EXP_ULP(fabs(a.v) + a.e) * GP_ULP * hi + 0x1p-126};
}

/* ln: the change over [v - e, v + e], then 3 ulp outside [0.5, 2] or 2^-21 absolute inside
   (both are added: the argument may straddle the interval's ends) */
static inline GpErr gp_log(GpErr a) {
    const double v = log(a.v);
    if (!(a.v > a.e)) return (GpErr){v, INFINITY};
    const double prop = -log1p(-a.e / a.v);
    return (GpErr){v, prop + GP_LOG_ABS + 3.0 * GP_ULP * (fabs(v) + prop)};
}

/* sqrt: |sqrt(x') - sqrt(x)| <= e / (sqrt x + sqrt(max(x - e, 0))), then 4.5 ulp */
static inline GpErr gp_sqrt(GpErr a) {
    const double v = sqrt(fmax(a.v, 0.0));
    const double den = v + sqrt(fmax(a.v - a.e, 0.0));
    const double prop = a.e == 0.0 ? 0.0 : (den > 0 ? a.e / den : sqrt(a.e));
    return (GpErr){v, fmin(prop, sqrt(a.e)) + GP_SQRT_ULP * GP_ULP * (v + prop)};
}

/* sin, cos: |sin'| <= 1, then 2^-11 absolute; outside [-pi, pi] the specification promises
   nothing, and the bound says so */
static inline GpErr gp_trig_(double v, GpErr a) {
    if (fabs(a.v) + a.e > 3.14159265358979324 * (1 + GP_ULP)) return (GpErr){v, INFINITY};
    return (GpErr){v, a.e + GP_SINCOS_ABS};
}
static inline GpErr gp_sin(GpErr a) { return gp_trig_(sin(a.v), a); }
static inline GpErr gp_cos(GpErr a) { return gp_trig_(cos(a.v), a); }

/* gs_tanh and SiLU written with the primitives, in gpu_shared.h's order of operations */
static inline GpErr gp_activation(int act, GpErr x) {
    const GpErr one = gp_exact(1.0);
    if (act == GPU_ACT_TANH) {
        GpErr ax = {fabs(x.v), x.e};
        GpErr t = gp_exp(gp_mul(gp_exact(-2.0), ax));
        GpErr y = gp_div(gp_sub(one, t), gp_add(one, t));
        /* near 0 the sign test may go either way; tanh is odd and y(0) = 0, so the bound of
           |y| covers both signs */
        if (x.v < 0) y.v = -y.v;
        if (fabs(x.v) <= x.e) y.e += 2.0 * fabs(y.v);
        return y;
    }
    if (act == GPU_ACT_SILU) {
        GpErr mx = {-x.v, x.e};
        return gp_div(x, gp_add(one, gp_exp(mx)));
    }
    return x;
}


/* The Box-Muller pair of gs_normal_pair from two uniforms (eq. common.gpu.box_muller). */
void gp_normal_pair(float u1, float u2, GpErr z[2]);
/* The Langevin noise of chain `chain` at global step `step` (gs_step_noise). */
void gp_step_noise(uint64_t seed, uint32_t chain, uint32_t step, GpErr z[2]);

/* The mixture score of gs_gmm_score at x with its bound, and the exact Jacobian J (row-major
   2 x 2, dS_a/dx_b) of the exact score, in double. */
void gp_gmm_score(const float *table, int k, const float x[2], float extra_var, GpErr s[2],
                  double J[4]);

/* Langevin on a mixture, run as the C twin does (the same floats: `x` ends equal to
   gpu_langevin_gmm_run(NULL, ...)) while carrying the chain bound d of
   eq. [eq:common.gpu.err_chain] per coordinate: `bound` (n x 2) receives d_T, the bound on
   |x_gpu - x_twin| for any conformant device. */
void gp_langevin_gmm_bound(const float *table, int k, float *x, long n, uint64_t seed,
                           const GpuLangevinLevel *levels, int nlevels, double *bound);

/* The same for the MLP sampler steps of gpu_mlp.h (eq. common.gpu.mlp_step): `x` ends equal to
   gpu_mlp_steps_run(NULL, ...), `bound` (n x 2) the chain bound. */
void gp_mlp_steps_bound(const GpuMlp *m, float *x, long n, uint64_t seed,
                        const GpuMlpPhase *phases, int nphases, double *bound);

/* One training step's batch loss (eq. common.gpu.train_loss) at the trainer's current state:
   the exact value of the float formula and the bound on |loss_gpu - loss_twin| (2e). */
GpErr gp_train_loss_bound(const GpuTrain *tr);

/* max_i |a_i - b_i| / bound_i over n values (a zero bound demands equality): <= 1 is a pass. */
double gp_worst_ratio(const float *a, const float *b, const double *bound, long n);

#endif
