/* langevin — the batch ULA sampler of langevin.h (the CPU reference for the GPU twin). */
#include "common/langevin.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"
#include "common/vec_math.h"

enum { DEFAULT_BLOCK = 256 };
#define NO_CHAIN ((size_t)-1)

void langevin_params_init(LangevinParams *p, size_t n_chains, size_t dim, LangevinScoreFn score,
                          void *ctx) {
    *p = (LangevinParams){0};
    p->n_chains = n_chains;
    p->dim = dim;
    p->score = score;
    p->score_ctx = ctx;
    p->temperature = 1.0;
    p->step_rule = LANGEVIN_STEP_CONSTANT;
}

double langevin_level_step(const LangevinParams *p, size_t level) {
    if (p->sigmas == NULL || p->n_levels == 0) return p->step_size;
    const double sigma = p->sigmas[level], sigma_last = p->sigmas[p->n_levels - 1];
    switch (p->step_rule) {
    //: $\epsilon_i = \alpha\sigma_i^2$ or $\alpha\sigma_i^2/\sigma_L^2$, eq. [eq:common.langevin.annealed_step]
    case LANGEVIN_STEP_SIGMA2: return p->step_size * sigma * sigma;
    case LANGEVIN_STEP_NCSN: return p->step_size * (sigma * sigma) / (sigma_last * sigma_last);
    default: return p->step_size;
    }
}

static LangevinStatus fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return LANGEVIN_BAD_CONFIG;
}

LangevinStatus langevin_validate(const LangevinParams *p, char *err, size_t errlen) {
    if (p == NULL) return fail(err, errlen, "langevin: params is NULL");
    if (p->n_chains == 0 || p->dim == 0)
        return fail(err, errlen, "langevin: n_chains (%zu) and dim (%zu) must be >= 1",
                    p->n_chains, p->dim);
    if (p->n_chains > ((size_t)-1 / 2) / sizeof(double) / p->dim)
        return fail(err, errlen, "langevin: n_chains x dim overflows");
    if (p->score == NULL) return fail(err, errlen, "langevin: no score function");
    if (!(isfinite(p->step_size) && p->step_size > 0.0))
        return fail(err, errlen, "langevin: step_size must be finite and > 0 (got %g)",
                    p->step_size);
    if (p->n_steps == 0) return fail(err, errlen, "langevin: n_steps must be >= 1");
    if (!(isfinite(p->temperature) && p->temperature >= 0.0))
        return fail(err, errlen, "langevin: temperature must be finite and >= 0 (got %g)",
                    p->temperature);
    if ((p->sigmas == NULL) != (p->n_levels == 0))
        return fail(err, errlen, "langevin: sigmas and n_levels must be given together");
    if (p->step_rule != LANGEVIN_STEP_CONSTANT && p->step_rule != LANGEVIN_STEP_SIGMA2 &&
        p->step_rule != LANGEVIN_STEP_NCSN)
        return fail(err, errlen, "langevin: unknown step rule %d", (int)p->step_rule);
    if (p->sigmas == NULL && p->step_rule != LANGEVIN_STEP_CONSTANT)
        return fail(err, errlen, "langevin: a sigma-dependent step rule needs sigmas");
    for (size_t i = 0; i < p->n_levels; i++) {
        if (!(isfinite(p->sigmas[i]) && p->sigmas[i] > 0.0))
            return fail(err, errlen, "langevin: sigma[%zu] = %g must be finite and > 0", i,
                        p->sigmas[i]);
        if (i > 0 && !(p->sigmas[i] < p->sigmas[i - 1]))
            return fail(err, errlen,
                        "langevin: sigmas must decrease strictly (sigma[%zu] = %g >= sigma[%zu] = %g)",
                        i, p->sigmas[i], i - 1, p->sigmas[i - 1]);
        double eps_i = langevin_level_step(p, i);
        if (!(isfinite(eps_i) && eps_i > 0.0))
            return fail(err, errlen, "langevin: step of level %zu is %g (not finite > 0)", i, eps_i);
    }
    if (p->precond)
        for (size_t j = 0; j < p->dim; j++)
            if (!(isfinite(p->precond[j]) && p->precond[j] > 0.0))
                return fail(err, errlen,
                            "langevin: preconditioner g[%zu] = %g must be finite and > 0 "
                            "(G = M^{-1} must be positive definite)",
                            j, p->precond[j]);
    if (p->observe && p->observe_every == 0)
        return fail(err, errlen, "langevin: observe_every must be >= 1 with an observer");
    if (p->n_threads < 0) return fail(err, errlen, "langevin: n_threads must be >= 0");
    return LANGEVIN_OK;
}

static int chain_is_finite(const double *xc, size_t dim) {
    for (size_t j = 0; j < dim; j++)
        if (!isfinite(xc[j])) return 0;
    return 1;
}

static size_t count_nonfinite(const double *x, size_t n, size_t dim) {
    size_t bad = 0;
    for (size_t c = 0; c < n; c++) bad += !chain_is_finite(x + c * dim, dim);
    return bad;
}

static size_t count_nonfinite_f(const float *x, size_t n, size_t dim);

/* What one path (double or float) needs from the common driver below. */
typedef struct {
    const LangevinParams *p;
    /* the coefficients drift[j] = eps g_j, noise[j] = sqrt(2 eps g_j T) of a level */
    double *drift, *noise;
    int add_noise;
    /* double path */
    double *x, *score;
    Rng *rng;
    /* float path */
    float *xf, *scoref, *driftf, *noisef, *zf, *zp;
    LangevinScoreF32Fn score_f32;
    void *score_f32_ctx;
    size_t block;
    /* `seg` steps of block [c0, c0 + nb) at noise level sigma; step_total steps were taken before */
    void (*run_block)(const void *st, size_t c0, size_t nb, size_t seg, size_t step_total,
                      double sigma, size_t *bad_step, size_t *bad_chain);
} Path;

/* `n_steps` ULA steps of one block of chains [c0, c0 + nb), all at one level. Stops at the first
   step after which a chain of the block is non-finite (unless keep_going): *bad_step gets that
   step's index within the segment (1-based, 0: none) and *bad_chain the smallest such chain. */
static void run_block(const void *st, size_t c0, size_t nb, size_t n_steps, size_t step_total,
                      double sigma, size_t *bad_step, size_t *bad_chain) {
    const Path *P = st;
    const LangevinParams *p = P->p;
    const double *drift = P->drift, *noise = P->noise;
    const int add_noise = P->add_noise;
    Rng *rng = P->rng;
    (void)step_total;
    const size_t dim = p->dim;
    double *xb = P->x + c0 * dim, *sb = P->score + c0 * dim;
    *bad_step = 0;
    *bad_chain = NO_CHAIN;
    for (size_t k = 1; k <= n_steps; k++) {
        p->score(xb, nb, dim, sigma, sb, p->score_ctx);
        for (size_t c = 0; c < nb; c++) {
            double *xc = xb + c * dim;
            const double *sc = sb + c * dim;
            Rng *r = &rng[c0 + c];
            if (add_noise) {
                for (size_t j = 0; j < dim; j++) {
                    double z = rng_normal(r);
                    //: $x \leftarrow x + \epsilon g_j s_j + \sqrt{2\epsilon g_j T}\,z_j$, eq. [eq:common.langevin.ula]
                    xc[j] = xc[j] + drift[j] * sc[j] + noise[j] * z;
                }
            } else {
                for (size_t j = 0; j < dim; j++) xc[j] = xc[j] + drift[j] * sc[j];
            }
            if (*bad_step == 0 && !chain_is_finite(xc, dim)) {
                *bad_step = k;
                *bad_chain = c0 + c;
            }
        }
        if (*bad_step != 0 && !p->keep_going) return;
    }
}

/* The driver shared by both paths: levels, segments between observer calls, blocks in parallel,
   the first non-finite state. x is the double state (for the observer and the final count) or
   NULL on the float path (P->xf). */
static LangevinStatus drive(Path *P, double *x, LangevinResult *res) {
    const LangevinParams *p = P->p;

    const size_t n = p->n_chains, dim = p->dim;
    const size_t block = p->block_size ? p->block_size : DEFAULT_BLOCK;
    const size_t n_blocks = (n + block - 1) / block;
    const size_t n_levels = p->sigmas ? p->n_levels : 1;
    const int n_threads = p->n_threads > 0 ? p->n_threads : par_max_threads();

    double *drift = P->drift, *noise = P->noise;
    size_t *block_bad = xmalloc(sizeof(size_t) * n_blocks);
    size_t *block_bad_step = xmalloc(sizeof(size_t) * n_blocks);

    int stopped = 0, nonfinite_seen = 0;
    size_t step_total = 0;
    if (p->observe)
        stopped = p->observe(x, n, dim, 0, 0, p->sigmas ? p->sigmas[0] : 0.0, p->observe_ctx) ? 2 : 0;

    for (size_t level = 0; level < n_levels && !stopped; level++) {
        const double sigma = p->sigmas ? p->sigmas[level] : 0.0;
        const double eps = langevin_level_step(p, level);
        for (size_t j = 0; j < dim; j++) {
            const double g = p->precond ? p->precond[j] : 1.0;
            drift[j] = eps * g;
            noise[j] = sqrt(2.0 * eps * g * p->temperature);
            if (P->driftf) {
                P->driftf[j] = (float)drift[j];
                P->noisef[j] = (float)noise[j];
            }
        }
        /* Segments end where the observer looks (or at the end of the level); inside a segment
           every block runs on its own, so threads meet once per segment, not once per step. */
        size_t done = 0;
        while (done < p->n_steps && !stopped) {
            size_t seg = p->n_steps - done;
            if (p->observe) {
                size_t to_next = p->observe_every - step_total % p->observe_every;
                if (to_next < seg) seg = to_next;
            }
#pragma omp parallel for schedule(static) num_threads(n_threads)
            for (size_t b = 0; b < n_blocks; b++) {
                const size_t c0 = b * block, nb = c0 + block <= n ? block : n - c0;
                P->run_block(P, c0, nb, seg, step_total, sigma, &block_bad_step[b], &block_bad[b]);
            }
            /* the first failure: smallest step, then smallest chain (blocks are in chain order) */
            if (!nonfinite_seen)
                for (size_t b = 0; b < n_blocks; b++)
                    if (block_bad_step[b] != 0 &&
                        (!nonfinite_seen || step_total + block_bad_step[b] < res->bad_step)) {
                        nonfinite_seen = 1;
                        res->bad_step = step_total + block_bad_step[b];
                        res->bad_chain = block_bad[b];
                    }
            if (nonfinite_seen && !p->keep_going) {
                step_total = res->bad_step;
                stopped = 1;
                break;
            }
            done += seg;
            step_total += seg;
            if (p->observe && step_total % p->observe_every == 0 &&
                p->observe(x, n, dim, step_total, level, sigma, p->observe_ctx))
                stopped = 2;
        }
    }
    res->steps_done = step_total;
    if (nonfinite_seen) {
        res->n_nonfinite = x ? count_nonfinite(x, n, dim) : count_nonfinite_f(P->xf, n, dim);
        res->status = LANGEVIN_NONFINITE;
        snprintf(res->message, sizeof res->message,
                 "langevin: chain %zu became non-finite at step %zu (%zu of %zu chains "
                 "non-finite %s)",
                 res->bad_chain, res->bad_step, res->n_nonfinite, n,
                 p->keep_going ? "at the end" : "when stopped");
    } else if (stopped == 2) {
        res->status = LANGEVIN_STOPPED;
        snprintf(res->message, sizeof res->message, "langevin: stopped by the observer at step %zu",
                 step_total);
    }
    free(block_bad);
    free(block_bad_step);
    return res->status;
}

LangevinStatus langevin_run(const LangevinParams *p, double *x, LangevinResult *res) {
    LangevinResult local;
    if (res == NULL) res = &local;
    *res = (LangevinResult){.status = LANGEVIN_OK, .bad_step = 0, .bad_chain = NO_CHAIN};
    if (langevin_validate(p, res->message, sizeof res->message) != LANGEVIN_OK)
        return res->status = LANGEVIN_BAD_CONFIG;
    const size_t n = p->n_chains, dim = p->dim;
    Path P = {.p = p, .x = x, .add_noise = p->temperature > 0.0, .run_block = run_block};
    P.score = xmalloc(sizeof(double) * n * dim);
    P.drift = xmalloc(sizeof(double) * dim);
    P.noise = xmalloc(sizeof(double) * dim);
    P.rng = xmalloc(sizeof(Rng) * n);
    for (size_t c = 0; c < n; c++) rng_init(&P.rng[c], p->seed, p->first_stream + c);
    drive(&P, x, res);
    free(P.score);
    free(P.drift);
    free(P.noise);
    free(P.rng);
    return res->status;
}

/* ---- float32 block path ------------------------------------------------------------------------

   Error analysis of the float normals (langevin.h: |z_f32 - z_f64| <= 2e-6 (1 + |z_f64|)).
   A Philox block (a, b, c, d) gives the double path u1 = a 2^-32 + (b/2^11 + 1/2) 2^-53 and u2
   likewise from (c, d). The float path never rounds u1 itself near 1, where log u1 would lose
   its relative accuracy: for a < 2^31 it takes q = u1 = (a + f) 2^-32 and log q = e ln 2 +
   log1p(m - 1) (q = 2^e m, m in [0.707, 1.414)); for a >= 2^31 it takes v = 1 - u1 =
   (~a + 1 - f) 2^-32, exact up to one rounding, and log u1 = log1p(-v). log1p(y) =
   2 atanh(y / (2 + y)) by its odd series to s^15 (|s| <= 1/3: truncation < 2e-9 relative). So
   log u1 has a relative error of a few float ulps (~3e-7), the radius sqrt(-2 log u1) half of it.
   The angle: w = u2 - 1/2 is formed as (int32(c - 2^31) + f') 2^-32 (absolute error <= 3e-8),
   reduced by quarter turns to |2 pi r| <= pi/4 (exact), and sin, cos are Taylor polynomials to
   degree 9 and 10 (truncation < 2e-9). So |dz| <= |z| 4e-7 + radius 2 pi 3e-8 (1 + ...) and the
   radius is at most sqrt(2 * 53 ln 2) = 8.6: |dz| <= 4e-7 |z| + 1.7e-6 < 2e-6 (1 + |z|).
   The polynomial and Newton steps are fused multiply-adds (fmaf, one rounding where a product
   and a sum would round twice; every path calls fmaf, so the bits do not depend on the path). */

static const float F_LN2_HI = 0.693145751953125f, F_LN2_LO = 1.42860676533018e-06f;

static inline __attribute__((always_inline)) uint32_t f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline __attribute__((always_inline)) float u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

//: $\log(1+y) = 2\,\mathrm{atanh}\,s = 2(s + s^3/3 + \dots + s^{15}/15)$, $s = y/(2+y)$
static inline __attribute__((always_inline)) float log1p_series(float y) {
    const float s = y / (2.0f + y), s2 = s * s;
    float q = 1.0f / 15.0f;
    q = fmaf(q, s2, 1.0f / 13.0f);
    q = fmaf(q, s2, 1.0f / 11.0f);
    q = fmaf(q, s2, 1.0f / 9.0f);
    q = fmaf(q, s2, 1.0f / 7.0f);
    q = fmaf(q, s2, 1.0f / 5.0f);
    q = fmaf(q, s2, 1.0f / 3.0f);
    q = fmaf(q, s2, 1.0f);
    return 2.0f * s * q;
}

/* sqrt(a) for a normal positive float: the bit estimate of 1/sqrt(a) (within 4 %), four Newton
   steps y <- y (3/2 - a y^2 / 2) (each squares the relative error: 4e-2, 2e-3, 6e-6, 6e-11, then
   rounding), times a: within 2 ulp, and with only + and * the same bits in every path (libm's
   sqrtf would not vectorise: it may set errno). */
static inline __attribute__((always_inline)) float sqrt_pos(float a) {
    float y = u2f(0x5f3759dfu - (f2u(a) >> 1));
    const float h = 0.5f * a;
    y = y * fmaf(-h * y, y, 1.5f);
    y = y * fmaf(-h * y, y, 1.5f);
    y = y * fmaf(-h * y, y, 1.5f);
    y = y * fmaf(-h * y, y, 1.5f);
    return a * y;
}

/* Philox4x32-10 of philox.h written on plain words, so that a loop over chains vectorises. */
#define PHX_ROUND(x0, x1, x2, x3, k0, k1)                                  \
    do {                                                                   \
        const uint64_t p0_ = (uint64_t)PHILOX_M0 * (x0);                   \
        const uint64_t p1_ = (uint64_t)PHILOX_M1 * (x2);                   \
        const uint32_t n0_ = (uint32_t)(p1_ >> 32) ^ (x1) ^ (k0);          \
        const uint32_t n2_ = (uint32_t)(p0_ >> 32) ^ (x3) ^ (k1);          \
        (x1) = (uint32_t)p1_;                                              \
        (x3) = (uint32_t)p0_;                                              \
        (x0) = n0_;                                                        \
        (x2) = n2_;                                                        \
    } while (0)

/* The four words of Philox block `blk` of stream `stream`. */
static inline __attribute__((always_inline)) void philox_words(uint32_t k0, uint32_t k1, uint64_t stream,
                                                               uint64_t blk, uint32_t *w) {
    uint32_t a = (uint32_t)blk, b = (uint32_t)(blk >> 32), c = (uint32_t)stream,
             d = (uint32_t)(stream >> 32);
    /* ten rounds, the key bumped between them (written out: a loop would stop the vectoriser) */
    PHX_ROUND(a, b, c, d, k0, k1);
    PHX_ROUND(a, b, c, d, k0 + 1 * PHILOX_W0, k1 + 1 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 2 * PHILOX_W0, k1 + 2 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 3 * PHILOX_W0, k1 + 3 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 4 * PHILOX_W0, k1 + 4 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 5 * PHILOX_W0, k1 + 5 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 6 * PHILOX_W0, k1 + 6 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 7 * PHILOX_W0, k1 + 7 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 8 * PHILOX_W0, k1 + 8 * PHILOX_W1);
    PHX_ROUND(a, b, c, d, k0 + 9 * PHILOX_W0, k1 + 9 * PHILOX_W1);
    w[0] = a, w[1] = b, w[2] = c, w[3] = d;
}

/* The Box-Muller pair of the Philox words (a, b, c, d) (see the analysis above). */
static inline __attribute__((always_inline)) void box_muller_f32(uint32_t a, uint32_t b, uint32_t c,
                                                                 uint32_t d, float *z0, float *z1) {
    /* u1 = a 2^-32 + f 2^-32, f = (b / 2^11 + 1/2) 2^-21 in (0, 1) */
    const float f = ((float)(b >> 11) + 0.5f) * (1.0f / 2097152.0f);
    /* selections written as arithmetic on 0/1 (exact), so that the loop has no branches */
    const uint32_t hi = a >> 31;
    const float hf = (float)hi;
    const float small = ((float)(int32_t)(a ^ (0u - hi)) + (hf * (1.0f - f) + (1.0f - hf) * f)) *
                        (1.0f / 4294967296.0f);
    /* q = 2^e m: exponent and mantissa by bits, m in [sqrt(1/2), sqrt(2)) */
    const uint32_t bits = f2u(small);
    float m = u2f((bits & 0x007FFFFFu) | 0x3F800000u);
    const int big = m > 1.41421356f;
    m = m * (1.0f - 0.5f * (float)big);
    const int e = (int)(bits >> 23) - 127 + big;
    //: $\log u_1$: $e\ln 2 + \log(1 + (m-1))$ for $u_1 < 1/2$, $\log(1 - v)$ above
    const float y = hf * -small + (1.0f - hf) * (m - 1.0f);
    const float ef = (1.0f - hf) * (float)e;
    const float log_u1 = fmaf(ef, F_LN2_LO, fmaf(ef, F_LN2_HI, log1p_series(y)));
    //: Box-Muller radius $\sqrt{-2\ln u_1}$
    const float radius = sqrt_pos(-2.0f * log_u1);
    /* w = u2 - 1/2 in [-1/2, 1/2); cos(2 pi u2) = -cos(2 pi w), sin likewise */
    const float f2 = ((float)(d >> 11) + 0.5f) * (1.0f / 2097152.0f);
    const float w = ((float)(int32_t)(c ^ 0x80000000u) + f2) * (1.0f / 4294967296.0f);
    const int quad = (int)(4.0f * w + 2.5f) - 2; /* nearest quarter turn, -2..2 */
    const float ph = (w - 0.25f * (float)quad) * 6.28318531f, p2 = ph * ph;
    float sn = 1.0f / 362880.0f;
    sn = fmaf(sn, p2, -1.0f / 5040.0f);
    sn = fmaf(sn, p2, 1.0f / 120.0f);
    sn = fmaf(sn, p2, -1.0f / 6.0f);
    sn = fmaf(sn, p2, 1.0f);
    sn = sn * ph;
    float cs = -1.0f / 3628800.0f;
    cs = fmaf(cs, p2, 1.0f / 40320.0f);
    cs = fmaf(cs, p2, -1.0f / 720.0f);
    cs = fmaf(cs, p2, 1.0f / 24.0f);
    cs = fmaf(cs, p2, -0.5f);
    cs = fmaf(cs, p2, 1.0f);
    const int qm = quad & 3; /* rotate (cos, sin) by qm quarter turns */
    const float ac = (float)((1 - (qm & 1)) * (1 - (qm & 2))), as = (float)((qm & 1) * ((qm & 2) - 1));
    const float cq = fmaf(ac, cs, as * sn), sq = fmaf(ac, sn, -(as * cs));
    //: $z_1 = r\cos 2\pi u_2$, $z_2 = r\sin 2\pi u_2$ (the half turn folded in)
    *z0 = -radius * cq;
    *z1 = -radius * sq;
}

float langevin_normal_f32(uint64_t seed, uint64_t stream, uint64_t k) {
    uint32_t w[4];
    float z0, z1;
    philox_words((uint32_t)seed, (uint32_t)(seed >> 32), stream, k / 2, w);
    box_muller_f32(w[0], w[1], w[2], w[3], &z0, &z1);
    return (k & 1) ? z1 : z0;
}

/* Philox words of block `blk` for the m <= LV_SUB consecutive streams s0, s0 + 1, ..., as four
   arrays. The generic loop below vectorises with 64-bit lanes (the compiler widens the 32x32-bit
   products); with AVX-512 the products are formed on 32-bit lanes instead, 16 streams per
   vector (AVX2: 8): even and odd lanes each by one 32x32 -> 64-bit multiply, high and low halves
   blended back. Integer arithmetic: the same words either way (test_langevin_f32 holds the paths to it). */
enum { LV_SUB = 64 };
static inline __attribute__((always_inline)) void philox_block_generic(uint32_t k0, uint32_t k1, uint64_t s0,
                                                                       uint64_t blk, size_t from, size_t m,
                                                                       uint32_t (*w)[LV_SUB]) {
#pragma omp simd
    for (size_t c = from; c < m; c++) {
        uint32_t v[4];
        philox_words(k0, k1, s0 + c, blk, v);
        w[0][c] = v[0], w[1][c] = v[1], w[2][c] = v[2], w[3][c] = v[3];
    }
}
#if defined(__x86_64__) && defined(__GNUC__)
#define LV_MULHILO(x, M, hi, lo)                                                                   \
    do {                                                                                           \
        const __m512i pe_ = _mm512_mul_epu32((x), (M));                    /* even lanes */        \
        const __m512i po_ = _mm512_mul_epu32(_mm512_srli_epi64((x), 32), (M)); /* odd lanes */     \
        (hi) = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe_, 32), po_);                   \
        (lo) = _mm512_mask_blend_epi32(0xAAAA, pe_, _mm512_slli_epi64(po_, 32));                   \
    } while (0)
__attribute__((target("avx512f"))) static void philox_block_avx512(uint32_t k0, uint32_t k1, uint64_t s0,
                                                                   uint64_t blk, size_t m,
                                                                   uint32_t (*w)[LV_SUB]) {
    const __m512i M0 = _mm512_set1_epi32((int)PHILOX_M0), M1 = _mm512_set1_epi32((int)PHILOX_M1);
    size_t c = 0;
    for (; c + 16 <= m; c += 16) {
        uint32_t lo32[16], hi32[16];
        for (int i = 0; i < 16; i++) {
            const uint64_t st = s0 + c + (uint64_t)i;
            lo32[i] = (uint32_t)st, hi32[i] = (uint32_t)(st >> 32);
        }
        __m512i a = _mm512_set1_epi32((int)(uint32_t)blk), b = _mm512_set1_epi32((int)(uint32_t)(blk >> 32));
        __m512i x2 = _mm512_loadu_si512(lo32), x3 = _mm512_loadu_si512(hi32);
        for (uint32_t r = 0; r < 10; r++) {
            const __m512i key0 = _mm512_set1_epi32((int)(k0 + r * PHILOX_W0));
            const __m512i key1 = _mm512_set1_epi32((int)(k1 + r * PHILOX_W1));
            __m512i h0, l0, h1, l1;
            LV_MULHILO(a, M0, h0, l0);
            LV_MULHILO(x2, M1, h1, l1);
            //: Philox round: $(x_0, x_1, x_2, x_3) \leftarrow (\mathrm{hi}(M_1 x_2) \oplus x_1 \oplus k_0,\ \mathrm{lo}(M_1 x_2),\ \mathrm{hi}(M_0 x_0) \oplus x_3 \oplus k_1,\ \mathrm{lo}(M_0 x_0))$
            const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(h1, b), key0);
            const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(h0, x3), key1);
            b = l1, x3 = l0, a = n0, x2 = n2;
        }
        _mm512_storeu_si512(w[0] + c, a);
        _mm512_storeu_si512(w[1] + c, b);
        _mm512_storeu_si512(w[2] + c, x2);
        _mm512_storeu_si512(w[3] + c, x3);
    }
    philox_block_generic(k0, k1, s0, blk, c, m, w);
}
#define LV_MULHILO8(x, M, hi, lo)                                                                  \
    do {                                                                                           \
        const __m256i pe_ = _mm256_mul_epu32((x), (M));                                            \
        const __m256i po_ = _mm256_mul_epu32(_mm256_srli_epi64((x), 32), (M));                     \
        (hi) = _mm256_blend_epi32(_mm256_srli_epi64(pe_, 32), po_, 0xAA);                          \
        (lo) = _mm256_blend_epi32(pe_, _mm256_slli_epi64(po_, 32), 0xAA);                          \
    } while (0)
/* the same with AVX2, 8 streams per vector */
__attribute__((target("avx2"))) static void philox_block_avx2(uint32_t k0, uint32_t k1, uint64_t s0,
                                                              uint64_t blk, size_t m,
                                                              uint32_t (*w)[LV_SUB]) {
    const __m256i M0 = _mm256_set1_epi32((int)PHILOX_M0), M1 = _mm256_set1_epi32((int)PHILOX_M1);
    size_t c = 0;
    for (; c + 8 <= m; c += 8) {
        uint32_t lo32[8], hi32[8];
        for (int i = 0; i < 8; i++) {
            const uint64_t st = s0 + c + (uint64_t)i;
            lo32[i] = (uint32_t)st, hi32[i] = (uint32_t)(st >> 32);
        }
        __m256i a = _mm256_set1_epi32((int)(uint32_t)blk), b = _mm256_set1_epi32((int)(uint32_t)(blk >> 32));
        __m256i x2 = _mm256_loadu_si256((const __m256i *)lo32), x3 = _mm256_loadu_si256((const __m256i *)hi32);
        for (uint32_t r = 0; r < 10; r++) {
            const __m256i key0 = _mm256_set1_epi32((int)(k0 + r * PHILOX_W0));
            const __m256i key1 = _mm256_set1_epi32((int)(k1 + r * PHILOX_W1));
            __m256i h0, l0, h1, l1;
            LV_MULHILO8(a, M0, h0, l0);
            LV_MULHILO8(x2, M1, h1, l1);
            const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(h1, b), key0);
            const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(h0, x3), key1);
            b = l1, x3 = l0, a = n0, x2 = n2;
        }
        _mm256_storeu_si256((__m256i *)(w[0] + c), a);
        _mm256_storeu_si256((__m256i *)(w[1] + c), b);
        _mm256_storeu_si256((__m256i *)(w[2] + c), x2);
        _mm256_storeu_si256((__m256i *)(w[3] + c), x3);
    }
    philox_block_generic(k0, k1, s0, blk, c, m, w);
}
#endif

/* One step's noise and update of a block, nb chains from chain c0, the chain's normals
   base .. base + dim - 1 (base = steps taken x dim). */
static inline __attribute__((always_inline)) void step_f32_body(const Path *P, float *xb, const float *sb, size_t c0, size_t nb,
                                 uint64_t base, int wide /* 0 portable, 1 AVX2, 2 AVX-512 */) {
    const LangevinParams *p = P->p;
    const size_t dim = p->dim;
    const uint32_t k0 = (uint32_t)p->seed, k1 = (uint32_t)(p->seed >> 32);
    float *zb = P->zf + c0 * dim, *za = P->zp + 2 * c0, *zc = za + nb;
    const float *drift = P->driftf, *noise = P->noisef;
    if (P->add_noise) {
        const uint64_t first_pair = base / 2, last_pair = (base + dim - 1) / 2;
        for (uint64_t q = first_pair; q <= last_pair; q++) {
            const uint64_t s0 = p->first_stream + c0;
            for (size_t c1 = 0; c1 < nb; c1 += LV_SUB) {
                const size_t m = nb - c1 < LV_SUB ? nb - c1 : LV_SUB;
                uint32_t w[4][LV_SUB];
#if defined(__x86_64__) && defined(__GNUC__)
                if (wide == 2) philox_block_avx512(k0, k1, s0 + c1, q, m, w);
                else if (wide == 1) philox_block_avx2(k0, k1, s0 + c1, q, m, w);
                else
#endif
                    philox_block_generic(k0, k1, s0 + c1, q, 0, m, w);
#pragma omp simd
                for (size_t c = 0; c < m; c++)
                    box_muller_f32(w[0][c], w[1][c], w[2][c], w[3][c], &za[c1 + c], &zc[c1 + c]);
            }
            if (dim == 2 && base % 2 == 0) { /* one pair per chain and step: update at once */
                const float d0 = drift[0], d1 = drift[1], n0 = noise[0], n1 = noise[1];
#pragma omp simd
                for (size_t c = 0; c < nb; c++) {
                    //: $x \leftarrow x + \epsilon g_j s_j + \sqrt{2\epsilon g_j T}\,z_j$, eq. [eq:common.langevin.ula]
                    xb[2 * c] = xb[2 * c] + d0 * sb[2 * c] + n0 * za[c];
                    xb[2 * c + 1] = xb[2 * c + 1] + d1 * sb[2 * c + 1] + n1 * zc[c];
                }
                return;
            }
            const long j0 = (long)(2 * q) - (long)base; /* coordinate of the pair's first half */
            for (size_t c = 0; c < nb; c++) {
                if (j0 >= 0) zb[c * dim + (size_t)j0] = za[c];
                if (j0 + 1 < (long)dim) zb[c * dim + (size_t)(j0 + 1)] = zc[c];
            }
        }
    }
    for (size_t c = 0; c < nb; c++)
        for (size_t j = 0; j < dim; j++)
            xb[c * dim + j] = P->add_noise ? xb[c * dim + j] + drift[j] * sb[c * dim + j] + noise[j] * zb[c * dim + j]
                                           : xb[c * dim + j] + drift[j] * sb[c * dim + j];
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LV_HAVE_X86 1
__attribute__((target("avx2,fma"))) static void step_f32_avx2(const Path *P, float *xb, const float *sb,
                                                          size_t c0, size_t nb, uint64_t base) {
    step_f32_body(P, xb, sb, c0, nb, base, 1);
}
/* 16 chains per vector; the lanes do the same operations as in the other paths (same bits) */
__attribute__((target("avx512f,avx512dq,fma"))) static void step_f32_avx512(const Path *P, float *xb,
                                                                       const float *sb, size_t c0,
                                                                       size_t nb, uint64_t base) {
    step_f32_body(P, xb, sb, c0, nb, base, 2);
}
#else
#define LV_HAVE_X86 0
#endif
static void step_f32_portable(const Path *P, float *xb, const float *sb, size_t c0, size_t nb,
                              uint64_t base) {
    step_f32_body(P, xb, sb, c0, nb, base, 0);
}

/* 0 portable, 1 AVX2, 2 AVX-512 (F and DQ) */
static int g_lv_simd = -1, g_lv_force = -1; /* g_lv_force: the forced level, -1 automatic */
static int lv_simd_on(void) {
    if (g_lv_simd < 0) {
#if LV_HAVE_X86
        __builtin_cpu_init();
        g_lv_simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (g_lv_simd && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
            g_lv_simd = 2;
#else
        g_lv_simd = 0;
#endif
    }
    return g_lv_force >= 0 ? g_lv_force : g_lv_simd;
}
void langevin_f32_force_portable(int on) {
    (void)lv_simd_on();
    g_lv_force = on ? 0 : -1;
}
int langevin_f32_force_kernel(const char *name) {
    (void)lv_simd_on();
    const int level = !name || !strcmp(name, "auto") ? -1
                      : !strcmp(name, "portable")     ? 0
                      : !strcmp(name, "avx2")         ? 1
                      : !strcmp(name, "avx512")       ? 2
                                                      : 3;
    if (level > g_lv_simd) return 0;
    g_lv_force = level;
    return 1;
}
const char *langevin_f32_kernel_name(void) {
    const int s = lv_simd_on();
    return s == 2 ? "avx512" : s ? "avx2" : "portable";
}

/* One branch-free pass answers the common case "all finite": a float is inf or NaN exactly when
   its exponent bits are all ones. Compiled per instruction set like the step (as a plain loop
   in the caller it ran one float at a time: a tenth of the step). */
static inline __attribute__((always_inline)) uint32_t any_nonfinite_body(const float *x, size_t n) {
    uint32_t any = 0;
#pragma omp simd reduction(| : any)
    for (size_t i = 0; i < n; i++) any |= (f2u(x[i]) & 0x7F800000u) == 0x7F800000u;
    return any;
}
#if LV_HAVE_X86
__attribute__((target("avx2"))) static uint32_t any_nonfinite_avx2(const float *x, size_t n) {
    return any_nonfinite_body(x, n);
}
__attribute__((target("avx512f,avx512dq"))) static uint32_t any_nonfinite_avx512(const float *x,
                                                                                 size_t n) {
    return any_nonfinite_body(x, n);
}
#endif
static uint32_t any_nonfinite(const float *x, size_t n) {
#if LV_HAVE_X86
    const int simd = lv_simd_on();
    if (simd == 2) return any_nonfinite_avx512(x, n);
    if (simd) return any_nonfinite_avx2(x, n);
#endif
    return any_nonfinite_body(x, n);
}

static size_t first_nonfinite_f(const float *xb, size_t nb, size_t dim) {
    if (!any_nonfinite(xb, nb * dim)) return NO_CHAIN;
    for (size_t i = 0; i < nb * dim; i++)
        if (!isfinite(xb[i])) return i / dim;
    return NO_CHAIN;
}

static size_t count_nonfinite_f(const float *x, size_t n, size_t dim) {
    size_t bad = 0;
    for (size_t c = 0; c < n; c++) {
        int ok = 1;
        for (size_t j = 0; j < dim; j++) ok &= isfinite(x[c * dim + j]) != 0;
        bad += !ok;
    }
    return bad;
}

static void run_block_f32(const void *st, size_t c0, size_t nb, size_t n_steps, size_t step_total,
                          double sigma, size_t *bad_step, size_t *bad_chain) {
    const Path *P = st;
    const size_t dim = P->p->dim;
    float *xb = P->xf + c0 * dim, *sb = P->scoref + c0 * dim;
    const int simd = lv_simd_on();
    *bad_step = 0;
    *bad_chain = NO_CHAIN;
    for (size_t k = 1; k <= n_steps; k++) {
        P->score_f32(xb, nb, dim, (float)sigma, sb, P->score_f32_ctx);
        const uint64_t base = P->add_noise ? (uint64_t)(step_total + k - 1) * dim : 0;
#if LV_HAVE_X86
        if (simd == 2)
            step_f32_avx512(P, xb, sb, c0, nb, base);
        else if (simd)
            step_f32_avx2(P, xb, sb, c0, nb, base);
        else
#endif
            step_f32_portable(P, xb, sb, c0, nb, base);
        (void)simd;
        if (*bad_step == 0) {
            size_t c = first_nonfinite_f(xb, nb, dim);
            if (c != NO_CHAIN) {
                *bad_step = k;
                *bad_chain = c0 + c;
            }
        }
        if (*bad_step != 0 && !P->p->keep_going) return;
    }
}

static void unused_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)x, (void)n, (void)dim, (void)sigma, (void)s, (void)ctx;
}

LangevinStatus langevin_run_f32(const LangevinParams *p, LangevinScoreF32Fn score, void *ctx,
                                float *x, LangevinResult *res) {
    LangevinResult local;
    if (res == NULL) res = &local;
    *res = (LangevinResult){.status = LANGEVIN_OK, .bad_step = 0, .bad_chain = NO_CHAIN};
    if (p == NULL || score == NULL || x == NULL) {
        snprintf(res->message, sizeof res->message, "langevin_run_f32: params, score and x are required");
        return res->status = LANGEVIN_BAD_CONFIG;
    }
    LangevinParams q = *p;
    q.score = unused_score; /* the double score is not used here; validate the rest */
    if (langevin_validate(&q, res->message, sizeof res->message) != LANGEVIN_OK)
        return res->status = LANGEVIN_BAD_CONFIG;
    if (q.observe) {
        snprintf(res->message, sizeof res->message, "langevin_run_f32: no observer on the float path");
        return res->status = LANGEVIN_BAD_CONFIG;
    }
    const size_t n = q.n_chains, dim = q.dim;
    Path P = {.p = &q, .add_noise = q.temperature > 0.0, .run_block = run_block_f32, .xf = x,
              .score_f32 = score, .score_f32_ctx = ctx};
    P.scoref = xmalloc(sizeof(float) * n * dim);
    P.zf = xcalloc(n * dim, sizeof(float));
    P.zp = xcalloc(2 * n, sizeof(float));
    P.drift = xmalloc(sizeof(double) * dim);
    P.noise = xmalloc(sizeof(double) * dim);
    P.driftf = xmalloc(sizeof(float) * dim);
    P.noisef = xmalloc(sizeof(float) * dim);
    drive(&P, NULL, res);
    free(P.scoref);
    free(P.zf);
    free(P.zp);
    free(P.drift);
    free(P.noise);
    free(P.driftf);
    free(P.noisef);
    return res->status;
}

/* The mixture score, vectorised over chains in chunks of 64 (logits on the stack). The loops
   over coordinates are written out for d = 2 (the toy of L35 4.4) so that the chain loops
   vectorise; any other d takes the general loops. */
static inline __attribute__((always_inline)) void gmm_score_body(const LangevinGmmF32 *g,
                                                                 const float *x, size_t n,
                                                                 const size_t dim, float sigma,
                                                                 float *s) {
    enum { CH = 64 };
    const size_t K = g->k;
    float inv_v[LANGEVIN_GMM_F32_MAX_K], lw[LANGEVIN_GMM_F32_MAX_K];
    for (size_t i = 0; i < K; i++) {
        const double v = (double)g->var[i] + (double)sigma * (double)sigma;
        inv_v[i] = (float)(1.0 / v);
        lw[i] = (float)(log((double)g->weight[i]) - 0.5 * (double)dim * log(v));
    }
    float lg[LANGEVIN_GMM_F32_MAX_K][CH], mx[CH], tot[CH], a0[CH], a1[CH];
    for (size_t c0 = 0; c0 < n; c0 += CH) {
        const size_t m = n - c0 < CH ? n - c0 : CH;
        const float *xc = x + c0 * dim;
        float *sc = s + c0 * dim;
        for (size_t i = 0; i < K; i++) {
            const float *mu = g->mean + i * dim;
            const float li = lw[i], hv = 0.5f * inv_v[i];
            if (dim == 2) {
                const float m0 = mu[0], m1 = mu[1];
#pragma omp simd
                for (size_t c = 0; c < m; c++) {
                    const float d0 = xc[2 * c] - m0, d1 = xc[2 * c + 1] - m1;
                    //: logit $\log w_i - \tfrac d2\log v_i - |x-\mu_i|^2/2v_i$
                    lg[i][c] = li - (d0 * d0 + d1 * d1) * hv;
                    mx[c] = i == 0 || lg[i][c] > mx[c] ? lg[i][c] : mx[c];
                }
            } else {
                for (size_t c = 0; c < m; c++) {
                    float d2 = 0.0f;
                    for (size_t j = 0; j < dim; j++) {
                        const float d = xc[c * dim + j] - mu[j];
                        d2 = d2 + d * d;
                    }
                    lg[i][c] = li - d2 * hv;
                    mx[c] = i == 0 || lg[i][c] > mx[c] ? lg[i][c] : mx[c];
                }
            }
        }
        if (dim == 2) {
            /* the sums start at the first component's terms (no zeroing pass: a memset of
               the three arrays was a tenth of this function) */
            {
                const float m0 = g->mean[0], m1 = g->mean[1], iv = inv_v[0];
#pragma omp simd
                for (size_t c = 0; c < m; c++) {
                    const float e = vm_exp_f32(lg[0][c] - mx[c]);
                    tot[c] = e;
                    a0[c] = e * ((m0 - xc[2 * c]) * iv);
                    a1[c] = e * ((m1 - xc[2 * c + 1]) * iv);
                }
            }
            for (size_t i = 1; i < K; i++) {
                const float m0 = g->mean[2 * i], m1 = g->mean[2 * i + 1], iv = inv_v[i];
#pragma omp simd
                for (size_t c = 0; c < m; c++) {
                    const float e = vm_exp_f32(lg[i][c] - mx[c]);
                    tot[c] = tot[c] + e;
                    a0[c] = a0[c] + e * ((m0 - xc[2 * c]) * iv);
                    a1[c] = a1[c] + e * ((m1 - xc[2 * c + 1]) * iv);
                }
            }
            //: $s = \sum_i r_i (\mu_i - x)/v_i$, $r_i = e_i / \sum_k e_k$
#pragma omp simd
            for (size_t c = 0; c < m; c++) {
                sc[2 * c] = a0[c] / tot[c];
                sc[2 * c + 1] = a1[c] / tot[c];
            }
            continue;
        }
        for (size_t c = 0; c < m * dim; c++) sc[c] = 0.0f;
        for (size_t c = 0; c < m; c++) tot[c] = 0.0f;
        for (size_t i = 0; i < K; i++) {
            const float *mu = g->mean + i * dim;
            for (size_t c = 0; c < m; c++) {
                const float e = vm_exp_f32(lg[i][c] - mx[c]);
                tot[c] = tot[c] + e;
                for (size_t j = 0; j < dim; j++)
                    sc[c * dim + j] = sc[c * dim + j] + e * ((mu[j] - xc[c * dim + j]) * inv_v[i]);
            }
        }
        for (size_t c = 0; c < m; c++)
            for (size_t j = 0; j < dim; j++) sc[c * dim + j] = sc[c * dim + j] / tot[c];
    }
}

#if LV_HAVE_X86
/* no-trapping-math (GCC's per-function option; clang lacks it and vectorises less here) lets the
   selects of vm_exp_f32 vectorise (see common/vec_math.h) */
#ifdef __clang__
#define LV_NO_TRAP
#else
#define LV_NO_TRAP optimize("no-trapping-math")
#endif
__attribute__((target("avx2"), LV_NO_TRAP)) static void gmm_score_avx2(const LangevinGmmF32 *g,
                                                                      const float *x, size_t n,
                                                                      size_t dim, float sigma,
                                                                      float *s) {
    gmm_score_body(g, x, n, dim, sigma, s);
}
__attribute__((target("avx512f,avx512dq"), LV_NO_TRAP)) static void
gmm_score_avx512(const LangevinGmmF32 *g, const float *x, size_t n, size_t dim, float sigma,
                 float *s) {
    gmm_score_body(g, x, n, dim, sigma, s);
}
#endif
static void gmm_score_portable(const LangevinGmmF32 *g, const float *x, size_t n, size_t dim,
                               float sigma, float *s) {
    gmm_score_body(g, x, n, dim, sigma, s);
}

void langevin_gmm_score_f32(const float *x, size_t n, size_t dim, float sigma, float *score_out,
                            void *ctx) {
    const LangevinGmmF32 *g = ctx;
    if (g->dim != dim || g->k < 1 || g->k > LANGEVIN_GMM_F32_MAX_K)
        die("langevin_gmm_score_f32: dim %zu vs %zu, k = %zu (1..%d)", g->dim, dim, g->k,
            LANGEVIN_GMM_F32_MAX_K);
#if LV_HAVE_X86
    if (lv_simd_on() == 2) {
        gmm_score_avx512(g, x, n, dim, sigma, score_out);
        return;
    }
    if (lv_simd_on()) {
        gmm_score_avx2(g, x, n, dim, sigma, score_out);
        return;
    }
#endif
    gmm_score_portable(g, x, n, dim, sigma, score_out);
}

int langevin_store_path(const double *x, size_t n_chains, size_t dim, size_t step, size_t level,
                        double sigma, void *ctx) {
    (void)n_chains, (void)level, (void)sigma;
    memcpy((double *)ctx + step * dim, x, dim * sizeof(double));
    return 0;
}
