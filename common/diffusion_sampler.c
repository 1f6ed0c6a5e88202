/* diffusion_sampler — see diffusion_sampler.h. DDPM/DDIM step coefficients, plans, the batch
   runner, timestep sub-sequences and the exact mixture denoiser. */
#include "common/diffusion_sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

DiffStep diff_ddpm_step(const double *beta, const double *abar, int t, DiffVariance var) {
    DiffStep st = {.t = t, .s = t - 1};
    const double alpha = 1.0 - beta[t];
    //: $\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat\epsilon\big)$
    st.a = 1.0 / sqrt(alpha);
    st.b = beta[t] / sqrt(1.0 - abar[t]);
    st.c = 0.0;
    //: $\sigma_t^2 = \beta_t$ or $\tilde\beta_t = \beta_t(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)$; no noise at $t = 1$
    const double var_t = var == DIFF_VAR_BETA ? beta[t] : beta[t] * (1.0 - abar[t - 1]) / (1.0 - abar[t]);
    st.sigma = t > 1 ? sqrt(var_t) : 0.0;
    st.c_x = st.a;
    st.c_eps = st.c - st.a * st.b;
    return st;
}

DiffStep diff_ddim_step(const double *abar, int t, int s, double eta) {
    DiffStep st = {.t = t, .s = s};
    const double at = abar[t], as = abar[s];
    //: $\sigma = \eta\sqrt{(1-\bar\alpha_s)/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_s}$, eq. [eq:common.diffusion_sampler.ddim]
    st.sigma = eta > 0.0 ? eta * sqrt((1.0 - as) / (1.0 - at)) * sqrt(1.0 - at / as) : 0.0;
    double dir = 1.0 - as - st.sigma * st.sigma;
    if (dir < 0.0) dir = 0.0; /* rounding; spec E28 */
    //: $x_s = \sqrt{\bar\alpha_s}\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\hat\epsilon + \sigma z$ with $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\hat\epsilon)/\sqrt{\bar\alpha_t}$
    st.a = sqrt(as / at);
    st.b = sqrt(1.0 - at);
    st.c = sqrt(dir);
    st.c_x = st.a;
    st.c_eps = st.c - st.a * st.b;
    return st;
}

double diff_step_mean(const DiffStep *st, double x, double eps) {
    //: $a(x_t - b\hat\epsilon) + c\hat\epsilon$, eq. [eq:common.diffusion_sampler.step]
    return st->a * (x - st->b * eps) + st->c * eps;
}

static int step_finite(const DiffStep *st) {
    return isfinite(st->a) && isfinite(st->b) && isfinite(st->c) && isfinite(st->sigma) && isfinite(st->c_eps);
}

int diff_plan_ddpm(const double *beta, const double *abar, int T, DiffVariance var, DiffStep *steps) {
    for (int k = 0; k < T; k++) {
        steps[k] = diff_ddpm_step(beta, abar, T - k, var);
        if (!step_finite(&steps[k])) return -1;
    }
    return T;
}

int diff_plan_ddim(const double *abar, const int *tau, int S, double eta, DiffStep *steps) {
    for (int k = 0; k < S; k++) {
        const int t = tau[S - 1 - k], s = k + 1 < S ? tau[S - 2 - k] : 0;
        steps[k] = diff_ddim_step(abar, t, s, eta);
        if (!step_finite(&steps[k])) return -1;
    }
    return S;
}

int diff_plan_ddim_inverse(const double *abar, const int *tau, int S, DiffStep *steps) {
    for (int k = 0; k < S; k++) {
        const int from = k > 0 ? tau[k - 1] : 0, to = tau[k];
        /* the same deterministic map with the roles of the two times exchanged */
        steps[k] = diff_ddim_step(abar, from, to, 0.0);
        steps[k].t = k > 0 ? from : tau[0]; /* eps is evaluated at x_from, with the time label tau_1 at first */
        steps[k].s = to;
        if (!step_finite(&steps[k])) return -1;
    }
    return S;
}

int diff_timesteps(int T, int S, DiffSpacing spacing, int *tau) {
    if (S < 1 || S > T) return -1;
    for (int k = 0; k < S; k++) {
        switch (spacing) {
        case DIFF_TAU_LINSPACE:
            tau[k] = S == 1 ? T : (int)lround(1.0 + (double)k * (T - 1) / (S - 1));
            break;
        case DIFF_TAU_LEADING:
            tau[k] = 1 + k * (T / S);
            break;
        case DIFF_TAU_TRAILING:
            tau[k] = (int)lround((double)(k + 1) * T / S);
            break;
        }
    }
    for (int k = 1; k < S; k++)
        if (tau[k] <= tau[k - 1]) return -1;
    return 0;
}

const char *diff_spacing_name(DiffSpacing spacing) {
    return spacing == DIFF_TAU_LINSPACE ? "linspace" : spacing == DIFF_TAU_LEADING ? "leading" : "trailing";
}

void diff_sampler_init(DiffSampler *s, size_t n, size_t dim, const double *abar, DiffEpsFn eps,
                       void *eps_ctx, uint64_t seed) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->dim = dim;
    s->abar = abar;
    s->eps = eps;
    s->eps_ctx = eps_ctx;
    s->seed = seed;
    s->draw_prior = 1;
}

/* One step on the chains c0 .. c0+m-1. */
static void step_block(const DiffSampler *s, const DiffStep *st, size_t c0, size_t m, double *x, double *eps, Rng *rng) {
    const size_t dim = s->dim;
    s->eps(x + c0 * dim, m, dim, st->t, s->abar[st->t], eps + c0 * dim, s->eps_ctx);
    for (size_t c = c0; c < c0 + m; c++)
        for (size_t j = 0; j < dim; j++) {
            const size_t i = c * dim + j;
            //: $x_s = a(x_t - b\hat\epsilon) + c\hat\epsilon + \sigma z$, eq. [eq:common.diffusion_sampler.step]
            double v = diff_step_mean(st, x[i], eps[i]);
            if (st->sigma > 0.0) v += st->sigma * rng_normal(&rng[c]);
            x[i] = v;
        }
}

size_t diff_run(const DiffSampler *s, const DiffStep *steps, int nsteps, double *x) {
    const size_t n = s->n, dim = s->dim, block = s->block ? s->block : 256;
    const long nblocks = (long)((n + block - 1) / block);
    const int n_threads = s->n_threads > 0 ? s->n_threads : par_max_threads();
    Rng *rng = xmalloc(sizeof(Rng) * (n ? n : 1));
    double *eps = xmalloc(sizeof(double) * (n ? n : 1) * dim);
    for (size_t c = 0; c < n; c++) {
        rng_init(&rng[c], s->seed, s->first_stream + c);
        if (s->draw_prior)
            for (size_t j = 0; j < dim; j++) x[c * dim + j] = rng_normal(&rng[c]);
    }
    if (!s->observe) {
        /* no observer: each block runs the whole plan on its own (no barrier per step) */
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
        for (long b = 0; b < nblocks; b++) {
            const size_t c0 = (size_t)b * block, m = c0 + block <= n ? block : n - c0;
            for (int k = 0; k < nsteps; k++) step_block(s, &steps[k], c0, m, x, eps, rng);
        }
    } else {
        int stop = s->observe(x, n, dim, -1, NULL, s->observe_ctx);
        for (int k = 0; k < nsteps && !stop; k++) {
#pragma omp parallel for schedule(static) num_threads(n_threads)
            for (long b = 0; b < nblocks; b++) {
                const size_t c0 = (size_t)b * block, m = c0 + block <= n ? block : n - c0;
                step_block(s, &steps[k], c0, m, x, eps, rng);
            }
            stop = s->observe(x, n, dim, k, &steps[k], s->observe_ctx);
        }
    }
    size_t bad = 0;
    for (size_t c = 0; c < n; c++) {
        int ok = 1;
        for (size_t j = 0; j < dim; j++) ok &= isfinite(x[c * dim + j]) != 0;
        bad += !ok;
    }
    free(eps);
    free(rng);
    return bad;
}

enum { ORACLE_MAX_K = 64 };

void diff_oracle_eval(const Gmm *data, const double *x, double abar, double *eps_hat, double *x0_hat) {
    const int K = data->k, d = data->d;
    if (K > ORACLE_MAX_K) die("diff_oracle_eval: %d components (at most %d)", K, ORACLE_MAX_K);
    const double sa = sqrt(abar), sb = sqrt(1.0 - abar);
    double ell[ORACLE_MAX_K], mx = -INFINITY;
    if (K == 1) ell[0] = mx = 0.0; /* one component: responsibility 1, no densities needed */
    for (int k = 0; k < K && K > 1; k++) {
        double acc = data->log_weight[k];
        for (int a = 0; a < d; a++) {
            //: $v_k = \bar\alpha_t s_k^2 + 1 - \bar\alpha_t$
            const double v = abar * data->var[k * d + a] + (1.0 - abar);
            const double r = x[a] - sa * data->mean[k * d + a];
            acc -= 0.5 * (r * r / v + log(v));
        }
        ell[k] = acc;
        if (acc > mx) mx = acc;
    }
    double z = 0;
    for (int k = 0; k < K; k++) z += ell[k] = exp(ell[k] - mx);
    if (eps_hat)
        for (int a = 0; a < d; a++) eps_hat[a] = 0;
    if (x0_hat)
        for (int a = 0; a < d; a++) x0_hat[a] = 0;
    for (int k = 0; k < K; k++) {
        const double rk = ell[k] / z;
        for (int a = 0; a < d; a++) {
            const double s2 = data->var[k * d + a], m = data->mean[k * d + a];
            const double v = abar * s2 + (1.0 - abar), r = x[a] - sa * m;
            //: $\hat\epsilon^\star = \sqrt{1-\bar\alpha_t}\sum_k r_k (x_t - \sqrt{\bar\alpha_t}m_k)/v_k$, eq. [eq:common.diffusion_sampler.oracle_eps]
            if (eps_hat) eps_hat[a] += rk * sb * r / v;
            //: $\mathbb E[x_0|x_t] = \sum_k r_k (m_k + \sqrt{\bar\alpha_t}s_k^2 (x_t - \sqrt{\bar\alpha_t}m_k)/v_k)$, eq. [eq:common.diffusion_sampler.oracle_x0]
            if (x0_hat) x0_hat[a] += rk * (m + sa * s2 * r / v);
        }
    }
}

void diff_oracle_eps(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out,
                     void *ctx) {
    (void)t;
    const DiffOracle *o = ctx;
    if ((int)dim != o->data->d) die("diff_oracle_eps: dim %zu, data dim %d", dim, o->data->d);
    for (size_t c = 0; c < n; c++) diff_oracle_eval(o->data, x + c * dim, abar_t, eps_out + c * dim, NULL);
}

void diff_gauss_chain_law(const DiffStep *steps, int nsteps, const double *abar, double m, double s2,
                          double mean0, double var0, double *mean, double *var) {
    double mu = mean0, V = var0;
    for (int k = 0; k < nsteps; k++) {
        const DiffStep *st = &steps[k];
        const double ab = abar[st->t], v = ab * s2 + 1.0 - ab, g = sqrt(1.0 - ab) / v;
        /* eps_hat = g (x - sqrt(ab) m), so x_s = a x + b + sigma z */
        const double a = st->c_x + st->c_eps * g, b = -st->c_eps * g * sqrt(ab) * m;
        mu = a * mu + b;
        V = a * a * V + st->sigma * st->sigma;
    }
    *mean = mu;
    *var = V;
}
