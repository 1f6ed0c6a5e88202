/*: # gpu_anneal_shared — the float math of the 1-D annealing ensembles, for C and GLSL

The particle ensembles of the study note's bridge lectures (lectures/n2_diffusion_annealing:
simulated annealing and annealed Langevin in B2, annealed importance sampling in B5) are many
independent one-dimensional chains. This header holds what the kernels `anneal_ula` and
`anneal_ais` and their C twins (gpu_anneal.c) must compute alike, in float32 and in the same
order; the double-precision CPU path of the lectures is common/anneal1d.h, with the same
Philox layout.

**Forces.** Model 0 is a polynomial force $F(x) = \sum_{j=0}^{k} c_j x^j$ (Horner from the top,
`precise`: no fused multiply-add on either side); model 1 the score of a 1-D Gaussian mixture
of $k$ components ($\log\pi_i, \mu_i, v_i$) convolved with $\mathcal N(0, s)$:
$$ \ell_i = \log\pi_i - \tfrac12\Big(\frac{(x-\mu_i)^2}{v_i + s} + \log(v_i + s)\Big),\qquad
   F(x) = \frac{\sum_i e^{\ell_i - \max\ell}\,(\mu_i - x)/(v_i+s)}{\sum_i e^{\ell_i-\max\ell}} . $$ {#eq:common.gpu.anneal_mix_score}

**Noise layout (ULA).** Chain $c$ owns Philox stream $(c, 0)$ of the run's seed; step $t$ (global
index) uses the Box–Muller pair of block $\lfloor t/2\rfloor$ (gs_normal_pair), its first value
for even $t$, the second for odd $t$.

**Metropolis layout (AIS).** Move $j$ (global index) of chain $c$ uses block $j$ of stream
$(c, 1)$: word $x$ gives the proposal $y = x + h(2u-1)$, word $y$ the acceptance uniform $u'$,
accepted iff $\ln u' < \log f(y) - \log f(x)$. With a uniform proposal every operation of a
chain is $+,-,\times$ except this one logarithm, so a GPU chain and its twin agree bit for bit
unless $\ln u'$ falls within its rounding of the threshold.
*/
#ifndef GPU_GPU_ANNEAL_SHARED_H
#define GPU_GPU_ANNEAL_SHARED_H

#include "gpu/gpu_shared.h"

#define GPU_ANNEAL_POLY 0
#define GPU_ANNEAL_MIX 1
#define GPU_ANNEAL_MAX_K 8     /* polynomial degree or mixture components */
#define GPU_ANNEAL_MIX_STRIDE 3 /* log pi, mu, v */

#ifdef PHILOX_GLSL
#define GA_PARAM
#define GA_TABLE_ARG
#else
#define GA_PARAM const float *ga_table,
#define GA_TABLE_ARG ga_table,
#endif
#define GA_P(i) ga_table[i]

#if !defined(PHILOX_GLSL) || defined(GA_HAVE_TABLE)
/* the polynomial sum_{j<=k} c_j x^j, c_j = GA_P(off + j) */
GS_FN float ga_poly(GA_PARAM int off, int k, float x) {
    GS_PRECISE float f = GA_P(off + k);
    for (int j = k - 1; j >= 0; j--) f = f * x + GA_P(off + j);
    return f;
}

//: eq. [eq:common.gpu.anneal_mix_score] (model 1), or the polynomial force (model 0)
GS_FN float ga_force(GA_PARAM int model, int k, float x, float s) {
    if (model == GPU_ANNEAL_POLY) return ga_poly(GA_TABLE_ARG 0, k, x);
    float ell[GPU_ANNEAL_MAX_K];
    float ell_max = -3.0e38f;
    for (int i = 0; i < k; i++) {
        int o = i * GPU_ANNEAL_MIX_STRIDE;
        float v = GA_P(o + 2) + s, d = x - GA_P(o + 1);
        ell[i] = GA_P(o) - 0.5f * (d * d / v + GS_LOG(v));
        if (ell[i] > ell_max) ell_max = ell[i];
    }
    float total = 0.0f, num = 0.0f;
    for (int i = 0; i < k; i++) {
        int o = i * GPU_ANNEAL_MIX_STRIDE;
        float w = GS_EXP(ell[i] - ell_max);
        float v = GA_P(o + 2) + s;
        total += w;
        num += w * (GA_P(o + 1) - x) / v;
    }
    return num / total;
}

/* log f_lambda(x) = -(1 - lambda) x^2 / 2 - lambda E1(x), E1 the polynomial of the table */
GS_FN float ga_log_f(GA_PARAM int k, float lam, float x) {
    GS_PRECISE float e1 = ga_poly(GA_TABLE_ARG 0, k, x);
    GS_PRECISE float v = -((1.0f - lam) * (0.5f * (x * x))) - lam * e1;
    return v;
}

/* one ULA step x <- (x + a F(x)) + b z of the kernel and the twin */
GS_FN float ga_ula_step(GA_PARAM int model, int k, float x, float a, float b, float s, float z) {
    float f = ga_force(GA_TABLE_ARG model, k, x, s);
    GS_PRECISE float drift = a * f;
    GS_PRECISE float kick = b * z;
    GS_PRECISE float next = (x + drift) + kick;
    return next;
}

/* one Metropolis move of AIS at lam from the uniforms (u.x proposal, u.y acceptance) */
GS_FN float ga_metropolis(GA_PARAM int k, float lam, float h, float x, GS_V2 u) {
    GS_PRECISE float y = x + h * (2.0f * u.x - 1.0f);
    GS_PRECISE float delta = ga_log_f(GA_TABLE_ARG k, lam, y) - ga_log_f(GA_TABLE_ARG k, lam, x);
    return GS_LOG(u.y) < delta ? y : x;
}
#endif

/* the ULA noise pair of chain c for steps 2b and 2b + 1 */
GS_FN GS_V2 ga_ula_pair(philox_u32 seed_lo, philox_u32 seed_hi, philox_u32 chain,
                        philox_u32 pair_index) {
    return gs_step_noise(seed_lo, seed_hi, chain, pair_index);
}

/* the two uniforms (proposal, acceptance) of Metropolis move j of chain c */
GS_FN GS_V2 ga_move_uniforms(philox_u32 seed_lo, philox_u32 seed_hi, philox_u32 chain,
                             philox_u32 move) {
    philox_u4 w = philox_block(seed_lo, seed_hi, chain, 1u, move, 0u);
    return GS_MAKE_V2(philox_uniform_f(w.x), philox_uniform_f(w.y));
}

#endif
