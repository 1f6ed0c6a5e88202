/*: # gpu_shared — the small math that the CPU and the GPU must compute alike

This header compiles as C11 and as GLSL (a shader defines `PHILOX_GLSL` first, as for
`common/philox.h`). Everything here is float32 and written as plain expressions, so the C twin
of a kernel and the kernel itself run the same operations in the same order. Results are
bit-identical where only $+,-,\times$ (and the exact Philox-to-uniform map) are used; where
`exp`, `log`, `sqrt`, `cos`, `sin` appear they differ by the libraries' rounding only (GLSL
for Vulkan allows 3 ulp for exp/log outside $[0.5,2]$, $2^{-21}$ absolute inside, and
$2^{-11}$ absolute for sin/cos on $[-\pi,\pi]$); the tests state tolerances from these bounds.

**Normal pairs** (Box–Muller from two open-interval uniforms of `philox_uniform_f`):
$$ z_1 = r\cos\theta,\quad z_2 = r\sin\theta,\qquad r = \sqrt{-2\ln u_1},\ \theta = 2\pi u_2 - \pi .$$ {#eq:common.gpu.box_muller}
The angle is shifted into $[-\pi,\pi]$, the range where the GLSL precision of sin and cos is
specified; $(\cos(\phi-\pi), \sin(\phi-\pi)) = -(\cos\phi, \sin\phi)$ is again uniform on the
circle, so the pair is still standard normal.

**Langevin noise layout.** Chain $i$ owns Philox stream $i$ of the run's seed; the step with
global index $t$ uses block $t$ of that stream, words $(x, y)$ for the Box–Muller pair (words
$z, w$ unused). So the noise of a chain does not depend on how the steps are split into
dispatches, nor on the device or the thread.

**Mixture score** of a 2-D Gaussian mixture with diagonal covariances, optionally convolved with
$\mathcal N(0, s^2 I)$ (the perturbed density $p_\sigma$ of annealed Langevin, L35 5.3: each
variance becomes $v_{ia} + s^2$):
$$ \ell_i = \log\pi_i - \tfrac12\sum_a \Big(\frac{(x_a-\mu_{ia})^2}{v_{ia}} + \log v_{ia}\Big),\quad
   r_i = \frac{e^{\ell_i - \max_j \ell_j}}{\sum_k e^{\ell_k - \max_j\ell_j}},\quad
   \nabla\log p = \sum_i r_i\,\frac{\mu_i - x}{v_i}. $$ {#eq:common.gpu.gmm_score}
(common/gauss.c computes the same in double; `gmm_pack_f` turns a `Gmm` into the float table.)
The table has `GPU_GMM_STRIDE` floats per component: $\log\pi_i, \mu_{i0}, \mu_{i1}, v_{i0}, v_{i1}$.

**Activations** of the MLP kernels: $\tanh x = \operatorname{sign}(x)\,\frac{1-e^{-2|x|}}{1+e^{-2|x|}}$
(never $\infty/\infty$ for large $|x|$, unlike the textbook $(e^x-e^{-x})/(e^x+e^{-x})$ that some
GPU libraries use) and $\mathrm{SiLU}(x) = x/(1+e^{-x})$, with their derivatives
$1-\tanh^2 x$ and $\sigma(x)\,(1 + x(1-\sigma(x)))$.

**Training examples** (the MLP training kernels, gpu_train.h). Every denoising objective of the
course draws a clean point $x$ from the data, a noise level uniformly from a table of $L$ levels
and $\varepsilon\sim\mathcal N(0, I)$, feeds the network $\tilde x = c_x x + c_\varepsilon\varepsilon$
(and the level's conditioning value $c$), and scores the output $f$ by
$$ \ell_i = \lVert a\,f_\theta(\tilde x_i, c_i) + b\,\varepsilon_i\rVert^2 $$ {#eq:common.gpu.train_item_loss}
with the level's $(c_x, c_\varepsilon, c, a, b)$. Item $i$ of step $s$ draws Philox blocks
$(s, 0)$ and $(s, 1)$ of stream $(i, 1)$ (stream word 1 keeps them apart from the chains' streams
under the same seed): block 0 gives the component word, the level word and the normal pair of the
data point, block 1 the normal pair of $\varepsilon$. The component is the first $j$ with
$u < C_j$ ($C$ the cumulative weights, rounded to float on the host, so both sides compare the
same floats); the level is $\lfloor wL / 2^{32}\rfloor$ for a word $w$ (exact integer
arithmetic). The data table has `GPU_TRAIN_COMP_STRIDE` floats per component ($C_j$,
$\mu_{j0}$, $\mu_{j1}$, $\mathrm{sd}_{j0}$, $\mathrm{sd}_{j1}$), then `GPU_TRAIN_LEVEL_STRIDE`
per level ($c_x, c_\varepsilon, c, a, b$).
*/
#ifndef GPU_GPU_SHARED_H
#define GPU_GPU_SHARED_H

#define GPU_GMM_STRIDE 5
#define GPU_GMM_MAX_K 16
#define GPU_MLP_MAX_LAYERS 6
#define GPU_MLP_MAX_WIDTH 128
#define GPU_ACT_IDENTITY 0
#define GPU_ACT_TANH 1
#define GPU_ACT_SILU 2
#define GPU_TRAIN_COMP_STRIDE 5
#define GPU_TRAIN_LEVEL_STRIDE 5

#ifdef PHILOX_GLSL
#define GS_FN
#define GS_EXP(x) exp(x)
#define GS_LOG(x) log(x)
#define GS_SQRT(x) sqrt(x)
#define GS_COS(x) cos(x)
#define GS_SIN(x) sin(x)
#define GS_ABS(x) abs(x)
#define GS_V2 vec2
#define GS_MAKE_V2(a, b) vec2(a, b)
/* a shader declares `gmm_table` (a float buffer) before including this header */
#define GS_GMM_PARAM
#define GS_GMM(i) gmm_table[i]
#define GS_PRECISE precise
#define GS_TRAIN(i) train_table[i]
#define GS_TRAIN_PARAM
#define GS_INT(x) int(x)
#define GS_U32(x) uint(x)
struct GsTrainItem {
    vec2 xt;  /* the network input x~ = c_x x + c_eps eps */
    vec2 eps; /* the noise */
    float cond, a, b;
};
#else
#include <math.h>
#include "common/philox.h"
#define GS_FN static inline
#define GS_EXP(x) expf(x)
#define GS_LOG(x) logf(x)
#define GS_SQRT(x) sqrtf(x)
#define GS_COS(x) cosf(x)
#define GS_SIN(x) sinf(x)
#define GS_ABS(x) fabsf(x)
typedef struct { float x, y; } gs_v2;
#define GS_V2 gs_v2
#define GS_MAKE_V2(a, b) ((gs_v2){(a), (b)})
#define GS_GMM_PARAM const float *gmm_table,
#define GS_GMM(i) gmm_table[i]
#define GS_PRECISE
#define GS_TRAIN(i) train_table[i]
#define GS_TRAIN_PARAM const float *train_table,
#define GS_INT(x) ((int)(x))
#define GS_U32(x) ((philox_u32)(x))
typedef struct {
    gs_v2 xt;  /* the network input x~ = c_x x + c_eps eps */
    gs_v2 eps; /* the noise */
    float cond, a, b;
} GsTrainItem;
#endif

//: eq. [eq:common.gpu.box_muller]
GS_FN GS_V2 gs_normal_pair(float u1, float u2) {
    float r = GS_SQRT(-2.0f * GS_LOG(u1));
    GS_PRECISE float theta = 6.28318530717958648f * u2 - 3.14159265358979324f;
    return GS_MAKE_V2(r * GS_COS(theta), r * GS_SIN(theta));
}

/* The Langevin noise of chain `chain` at global step `step` (layout above). */
GS_FN GS_V2 gs_step_noise(philox_u32 seed_lo, philox_u32 seed_hi, philox_u32 chain,
                          philox_u32 step) {
    philox_u4 w = philox_block(seed_lo, seed_hi, chain, 0u, step, 0u);
    return gs_normal_pair(philox_uniform_f(w.x), philox_uniform_f(w.y));
}

#if !defined(PHILOX_GLSL) || defined(GS_HAVE_GMM_TABLE)
//: eq. [eq:common.gpu.gmm_score]; extra_var = s^2 of the perturbation (0 for p itself)
GS_FN GS_V2 gs_gmm_score(GS_GMM_PARAM int k, GS_V2 x, float extra_var) {
    float ell[GPU_GMM_MAX_K];
    float ell_max = -3.0e38f;
    for (int i = 0; i < k; i++) {
        int o = i * GPU_GMM_STRIDE;
        float v0 = GS_GMM(o + 3) + extra_var, v1 = GS_GMM(o + 4) + extra_var;
        float d0 = x.x - GS_GMM(o + 1), d1 = x.y - GS_GMM(o + 2);
        ell[i] = GS_GMM(o) - 0.5f * (d0 * d0 / v0 + d1 * d1 / v1 + GS_LOG(v0 * v1));
        if (ell[i] > ell_max) ell_max = ell[i];
    }
    float total = 0.0f, s0 = 0.0f, s1 = 0.0f;
    for (int i = 0; i < k; i++) {
        int o = i * GPU_GMM_STRIDE;
        float w = GS_EXP(ell[i] - ell_max);
        float v0 = GS_GMM(o + 3) + extra_var, v1 = GS_GMM(o + 4) + extra_var;
        total += w;
        s0 += w * (GS_GMM(o + 1) - x.x) / v0;
        s1 += w * (GS_GMM(o + 2) - x.y) / v1;
    }
    return GS_MAKE_V2(s0 / total, s1 / total);
}
#endif

GS_FN float gs_tanh(float x) {
    float t = GS_EXP(-2.0f * GS_ABS(x));
    float y = (1.0f - t) / (1.0f + t);
    return x < 0.0f ? -y : y;
}

GS_FN float gs_activation(int act, float x) {
    if (act == GPU_ACT_TANH) return gs_tanh(x);
    if (act == GPU_ACT_SILU) return x / (1.0f + GS_EXP(-x));
    return x;
}

/* d act / d pre, given the pre-activation x and the activation y = act(x). */
GS_FN float gs_activation_grad(int act, float x, float y) {
    /* precise: no fused multiply-add on the GPU, as in C with -ffp-contract=off */
    GS_PRECISE float g = 1.0f;
    if (act == GPU_ACT_TANH) g = 1.0f - y * y;
    if (act == GPU_ACT_SILU) {
        float s = 1.0f / (1.0f + GS_EXP(-x));
        g = s * (1.0f + x * (1.0f - s));
    }
    return g;
}

#if !defined(PHILOX_GLSL) || defined(GS_HAVE_TRAIN_TABLE)
/* floor(w n / 2^32): a uniform index in [0, n) from a 32-bit word, exact on both sides */
GS_FN philox_u32 gs_word_below(philox_u32 w, philox_u32 n) {
#ifdef PHILOX_GLSL
    uint hi, lo;
    umulExtended(w, n, hi, lo);
    return hi;
#else
    return (philox_u32)(((uint64_t)w * n) >> 32);
#endif
}

//: eq. [eq:common.gpu.train_item_loss]: the example $(\tilde x, \varepsilon, c, a, b)$ of item `item` at step `step`
GS_FN GsTrainItem gs_train_item(GS_TRAIN_PARAM int ncomp, int nlevels, philox_u32 seed_lo,
                                philox_u32 seed_hi, philox_u32 item, philox_u32 step) {
    philox_u4 w0 = philox_block(seed_lo, seed_hi, item, 1u, step, 0u);
    philox_u4 w1 = philox_block(seed_lo, seed_hi, item, 1u, step, 1u);
    float u = philox_uniform_f(w0.x);
    int j = 0;
    while (j < ncomp - 1 && u >= GS_TRAIN(j * GPU_TRAIN_COMP_STRIDE)) j++;
    int cj = j * GPU_TRAIN_COMP_STRIDE;
    int lv = ncomp * GPU_TRAIN_COMP_STRIDE +
             GS_INT(gs_word_below(w0.y, GS_U32(nlevels))) * GPU_TRAIN_LEVEL_STRIDE;
    GS_V2 z = gs_normal_pair(philox_uniform_f(w0.z), philox_uniform_f(w0.w));
    GS_V2 e = gs_normal_pair(philox_uniform_f(w1.x), philox_uniform_f(w1.y));
    //: $x = \mu_j + \mathrm{sd}_j z$, $\tilde x = c_x x + c_\varepsilon \varepsilon$
    GS_PRECISE float x0 = GS_TRAIN(cj + 1) + GS_TRAIN(cj + 3) * z.x;
    GS_PRECISE float x1 = GS_TRAIN(cj + 2) + GS_TRAIN(cj + 4) * z.y;
    GS_PRECISE float t0 = GS_TRAIN(lv) * x0 + GS_TRAIN(lv + 1) * e.x;
    GS_PRECISE float t1 = GS_TRAIN(lv) * x1 + GS_TRAIN(lv + 1) * e.y;
    GsTrainItem it;
    it.xt = GS_MAKE_V2(t0, t1);
    it.eps = e;
    it.cond = GS_TRAIN(lv + 2);
    it.a = GS_TRAIN(lv + 3);
    it.b = GS_TRAIN(lv + 4);
    return it;
}
#endif

#endif
