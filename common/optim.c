/* optim — parameter blocks, gradient clipping, and the SGD / Adam / AdamW updates
   (see optim.h). */
#include "common/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Elementwise loops run in parallel only when a block is large enough to pay for it; each
   element's update is independent, so the result does not depend on the thread count. */
#define OPTIM_PAR_MIN 65536

size_t params_count(const ParamBlock *blocks, int nblocks) {
    size_t total = 0;
    for (int b = 0; b < nblocks; b++) total += blocks[b].n;
    return total;
}

void params_zero_grad(const ParamBlock *blocks, int nblocks) {
    for (int b = 0; b < nblocks; b++) memset(blocks[b].grad, 0, blocks[b].n * sizeof(float));
}

double grad_global_norm(const ParamBlock *blocks, int nblocks) {
    /* A serial sum in a fixed order: the same bits for any thread count. */
    double ss = 0;
    for (int b = 0; b < nblocks; b++)
        for (size_t i = 0; i < blocks[b].n; i++) {
            double g = blocks[b].grad[i];
            ss += g * g;
        }
    //: $\lVert g\rVert = \big(\sum_{\text{blocks}}\sum_i g_i^2\big)^{1/2}$
    return sqrt(ss);
}

double clip_grad_norm(const ParamBlock *blocks, int nblocks, double max_norm) {
    double norm = grad_global_norm(blocks, nblocks);
    if (!isfinite(norm) || norm <= max_norm) return norm;
    //: $g \leftarrow g\cdot c/\lVert g\rVert$ when $\lVert g\rVert > c$
    double scale = max_norm / norm;
    for (int b = 0; b < nblocks; b++)
        for (size_t i = 0; i < blocks[b].n; i++)
            blocks[b].grad[i] = (float)(blocks[b].grad[i] * scale);
    return norm;
}

OptimConfig optim_sgd(double lr, double momentum, bool nesterov, double weight_decay) {
    OptimConfig c = {OPTIM_SGD, lr, momentum, nesterov, 0, 0, 0, weight_decay};
    return c;
}

OptimConfig optim_adam(double lr, double beta1, double beta2, double eps, double weight_decay) {
    OptimConfig c = {OPTIM_ADAM, lr, 0, false, beta1, beta2, eps, weight_decay};
    return c;
}

OptimConfig optim_adamw(double lr, double beta1, double beta2, double eps, double weight_decay) {
    OptimConfig c = {OPTIM_ADAMW, lr, 0, false, beta1, beta2, eps, weight_decay};
    return c;
}

Optimizer *optim_new(const ParamBlock *blocks, int nblocks, OptimConfig cfg) {
    if (nblocks < 0) die("optim_new: %d blocks", nblocks);
    if (cfg.kind == OPTIM_SGD && cfg.nesterov && cfg.momentum <= 0)
        die("optim_new: Nesterov momentum needs momentum > 0");
    if (cfg.kind != OPTIM_SGD && !(cfg.beta1 >= 0 && cfg.beta1 < 1 && cfg.beta2 >= 0 &&
                                   cfg.beta2 < 1 && cfg.eps >= 0))
        die("optim_new: Adam needs 0 <= beta1, beta2 < 1 and eps >= 0");
    Optimizer *o = xcalloc(1, sizeof *o);
    o->cfg = cfg;
    o->nblocks = nblocks;
    o->blocks = xmalloc((size_t)(nblocks ? nblocks : 1) * sizeof *o->blocks);
    if (nblocks) memcpy(o->blocks, blocks, (size_t)nblocks * sizeof *blocks);
    o->total = params_count(blocks, nblocks);
    size_t bytes = (o->total ? o->total : 1) * sizeof(float);
    /* All state is zero at t = 0 (PyTorch's first momentum buffer b_1 = g_1 is mu*0 + g_1). */
    if (cfg.kind != OPTIM_SGD || cfg.momentum != 0) o->m = xcalloc(1, bytes);
    if (cfg.kind != OPTIM_SGD) o->v = xcalloc(1, bytes);
    return o;
}

void optim_set_lr(Optimizer *opt, double lr) { opt->cfg.lr = lr; }

void optim_zero_grad(Optimizer *opt) { params_zero_grad(opt->blocks, opt->nblocks); }

void optim_free(Optimizer *opt) {
    if (!opt) return;
    free(opt->blocks);
    free(opt->m);
    free(opt->v);
    free(opt);
}

static void sgd_block(const OptimConfig *c, float *theta, const float *grad, float *buf,
                      size_t n) {
    const double lr = c->lr, mu = c->momentum, wd = c->weight_decay;
    const bool nesterov = c->nesterov;
#pragma omp parallel for if (n >= OPTIM_PAR_MIN) schedule(static)
    for (size_t i = 0; i < n; i++) {
        //: $g \leftarrow g + \lambda\theta$ (L2 weight decay)
        double g = (double)grad[i] + wd * theta[i];
        if (buf) {
            //: $b_t = \mu b_{t-1} + g_t$
            double b = mu * buf[i] + g;
            buf[i] = (float)b;
            //: Nesterov: $g \leftarrow g + \mu b_t$; plain momentum: $g \leftarrow b_t$
            g = nesterov ? g + mu * b : b;
        }
        //: $\theta_t = \theta_{t-1} - \eta\, g$
        theta[i] = (float)(theta[i] - lr * g);
    }
}

/* The Adam update of elements [0, n) of one block, in double, rounded to float on store. Every
   element is updated alone, so the block can be cut anywhere: large blocks run in fixed chunks
   over threads, small ones (an MLP's 4k parameters) in one call with no thread team. */
typedef struct {
    double lr, b1, b2, eps, wd, step_size, bias2_sqrt;
    int decoupled;
    int isa; /* 2: AVX-512F, 1: AVX2, 0: neither (or not x86-64) */
} AdamCoef;

static void adam_scalar(const AdamCoef *k, float *restrict theta, const float *restrict grad,
                        float *restrict m, float *restrict v, size_t i0, size_t n) {
    const double lr = k->lr, b1 = k->b1, b2 = k->b2, eps = k->eps, wd = k->wd;
    for (size_t i = i0; i < n; i++) {
        double th = theta[i];
        double g = grad[i];
        //: AdamW: $\theta \leftarrow \theta(1 - \eta\lambda)$; Adam: $g_t \leftarrow g_t + \lambda\theta$
        if (k->decoupled) th *= 1.0 - lr * wd;
        else g += wd * th;
        //: $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$
        double mt = b1 * m[i] + (1.0 - b1) * g;
        //: $v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$
        double vt = b2 * v[i] + (1.0 - b2) * g * g;
        m[i] = (float)mt;
        v[i] = (float)vt;
        //: $\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, m_t / \big(\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon\big)$
        th -= k->step_size * mt / (sqrt(vt) / k->bias2_sqrt + eps);
        theta[i] = (float)th;
    }
}

/* The same loop on vectors of doubles (8 lanes in AVX-512, 4 in AVX2): the same IEEE operations
   in the same order in every lane (no fused multiply-add), so the same bits as adam_scalar. The
   compiler does not vectorise the scalar loop itself: sqrt may set errno there. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ADAM_VECTOR(NAME, TARGET, LANES, VD, VF, SQRT)                                         \
    __attribute__((target(TARGET))) static size_t NAME(const AdamCoef *k, float *theta,       \
                                                      const float *grad, float *m, float *v,  \
                                                      size_t n) {                             \
        typedef double VD __attribute__((vector_size(8 * LANES)));                            \
        typedef float VF __attribute__((vector_size(4 * LANES)));                             \
        const double lr = k->lr, b1 = k->b1, b2 = k->b2, eps = k->eps, wd = k->wd;            \
        const double c1 = 1.0 - b1, c2 = 1.0 - b2, shrink = 1.0 - lr * wd;                    \
        size_t i = 0;                                                                         \
        for (; i + LANES <= n; i += LANES) {                                                  \
            VF f;                                                                             \
            memcpy(&f, theta + i, sizeof f);                                                  \
            VD th = __builtin_convertvector(f, VD);                                           \
            memcpy(&f, grad + i, sizeof f);                                                   \
            VD g = __builtin_convertvector(f, VD);                                            \
            if (k->decoupled) th = th * shrink;                                               \
            else g = g + wd * th;                                                             \
            memcpy(&f, m + i, sizeof f);                                                      \
            const VD mt = b1 * __builtin_convertvector(f, VD) + c1 * g;                       \
            memcpy(&f, v + i, sizeof f);                                                      \
            const VD vt = b2 * __builtin_convertvector(f, VD) + c2 * g * g;                   \
            f = __builtin_convertvector(mt, VF);                                              \
            memcpy(m + i, &f, sizeof f);                                                      \
            f = __builtin_convertvector(vt, VF);                                              \
            memcpy(v + i, &f, sizeof f);                                                      \
            th = th - k->step_size * mt / ((VD)SQRT(vt) / k->bias2_sqrt + eps);               \
            f = __builtin_convertvector(th, VF);                                              \
            memcpy(theta + i, &f, sizeof f);                                                  \
        }                                                                                     \
        return i;                                                                             \
    }
ADAM_VECTOR(adam_avx512, "avx512f", 8, v8d, v8f, _mm512_sqrt_pd)
ADAM_VECTOR(adam_avx2, "avx2", 4, v4d, v4f, _mm256_sqrt_pd)
#undef ADAM_VECTOR
#endif

static void adam_range(const AdamCoef *k, float *theta, const float *grad, float *m, float *v,
                       size_t n) {
    size_t done = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (k->isa == 2) done = adam_avx512(k, theta, grad, m, v, n);
    else if (k->isa == 1) done = adam_avx2(k, theta, grad, m, v, n);
#endif
    adam_scalar(k, theta, grad, m, v, done, n);
}

static int adam_isa(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

static void adam_block(const OptimConfig *c, long t, float *theta, const float *grad, float *m,
                       float *v, size_t n) {
    AdamCoef k = {c->lr, c->beta1, c->beta2, c->eps, c->weight_decay, 0, 0,
                  c->kind == OPTIM_ADAMW, adam_isa()};
    //: $1-\beta_1^t$, $\sqrt{1-\beta_2^t}$ (bias corrections)
    const double bias1 = 1.0 - pow(k.b1, (double)t);
    k.bias2_sqrt = sqrt(1.0 - pow(k.b2, (double)t));
    k.step_size = k.lr / bias1;
    if (n < OPTIM_PAR_MIN) {
        adam_range(&k, theta, grad, m, v, n);
        return;
    }
    const size_t chunk = OPTIM_PAR_MIN / 4, nch = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (size_t q = 0; q < nch; q++) {
        const size_t i0 = q * chunk, len = n - i0 < chunk ? n - i0 : chunk;
        adam_range(&k, theta + i0, grad + i0, m + i0, v + i0, len);
    }
}

void optim_step(Optimizer *opt) {
    opt->t++;
    size_t off = 0;
    for (int b = 0; b < opt->nblocks; b++) {
        ParamBlock *p = &opt->blocks[b];
        if (opt->cfg.kind == OPTIM_SGD)
            sgd_block(&opt->cfg, p->value, p->grad, opt->m ? opt->m + off : NULL, p->n);
        else
            adam_block(&opt->cfg, opt->t, p->value, p->grad, opt->m + off, opt->v + off, p->n);
        off += p->n;
    }
}
