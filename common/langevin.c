/* langevin — the batch ULA sampler of langevin.h (the CPU reference for the GPU twin). */
#include "common/langevin.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

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

/* `n_steps` ULA steps of one block of chains [c0, c0 + nb), all at one level. Stops at the first
   step after which a chain of the block is non-finite (unless keep_going): *bad_step gets that
   step's index within the segment (1-based, 0: none) and *bad_chain the smallest such chain. */
static void run_block(const LangevinParams *p, double *x, double *score, Rng *rng, size_t c0, size_t nb,
                      size_t n_steps, double sigma, const double *drift, const double *noise, int add_noise,
                      size_t *bad_step, size_t *bad_chain) {
    const size_t dim = p->dim;
    double *xb = x + c0 * dim, *sb = score + c0 * dim;
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

LangevinStatus langevin_run(const LangevinParams *p, double *x, LangevinResult *res) {
    LangevinResult local;
    if (res == NULL) res = &local;
    *res = (LangevinResult){.status = LANGEVIN_OK, .bad_step = 0, .bad_chain = NO_CHAIN};
    if (langevin_validate(p, res->message, sizeof res->message) != LANGEVIN_OK)
        return res->status = LANGEVIN_BAD_CONFIG;

    const size_t n = p->n_chains, dim = p->dim;
    const size_t block = p->block_size ? p->block_size : DEFAULT_BLOCK;
    const size_t n_blocks = (n + block - 1) / block;
    const size_t n_levels = p->sigmas ? p->n_levels : 1;
    const int n_threads = p->n_threads > 0 ? p->n_threads : par_max_threads();
    const int add_noise = p->temperature > 0.0;

    double *score = xmalloc(sizeof(double) * n * dim);
    double *drift = xmalloc(sizeof(double) * dim), *noise = xmalloc(sizeof(double) * dim);
    size_t *block_bad = xmalloc(sizeof(size_t) * n_blocks);
    size_t *block_bad_step = xmalloc(sizeof(size_t) * n_blocks);
    Rng *rng = xmalloc(sizeof(Rng) * n);
    for (size_t c = 0; c < n; c++) rng_init(&rng[c], p->seed, p->first_stream + c);

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
                run_block(p, x, score, rng, c0, nb, seg, sigma, drift, noise, add_noise, &block_bad_step[b],
                          &block_bad[b]);
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
        res->n_nonfinite = count_nonfinite(x, n, dim);
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
    free(score);
    free(drift);
    free(noise);
    free(block_bad);
    free(block_bad_step);
    free(rng);
    return res->status;
}

int langevin_store_path(const double *x, size_t n_chains, size_t dim, size_t step, size_t level,
                        double sigma, void *ctx) {
    (void)n_chains, (void)level, (void)sigma;
    memcpy((double *)ctx + step * dim, x, dim * sizeof(double));
    return 0;
}
