/* gauss — Gaussian log-densities (1-D, diagonal, isotropic, full via Cholesky), diagonal
   Gaussian mixtures: log-density, responsibilities, score and sampler (gauss.h). */
#include <math.h>
#include <stdlib.h>

#include "common/gauss.h"
#include "common/linalg.h"
#include "common/mathfn.h"
#include "common/util.h"

static const double LOG_2PI = 1.83787706640934548356; /* log(2 pi) */

double gauss_logpdf_1d(double x, double mu, double sigma) {
    const double z = (x - mu) / sigma;
    //: $\log\mathcal N(x;\mu,\sigma^2) = -\frac12 z^2 - \log\sigma - \frac12\log 2\pi$, $z = (x-\mu)/\sigma$
    return -0.5 * z * z - log(sigma) - 0.5 * LOG_2PI;
}

double gauss_logpdf_diag(const double *x, const double *mu, const double *var, int d) {
    double quad = 0.0, logdet = 0.0;
    for (int a = 0; a < d; a++) {
        const double diff = x[a] - mu[a];
        //: $(x-\mu)^\top\Sigma^{-1}(x-\mu) = \sum_a (x_a - \mu_a)^2/\sigma_a^2$
        quad += diff * diff / var[a];
        logdet += log(var[a]);
    }
    return -0.5 * quad - 0.5 * logdet - 0.5 * d * LOG_2PI;
}

double gauss_logpdf_iso(const double *x, const double *mu, double var, int d) {
    double quad = 0.0;
    for (int a = 0; a < d; a++) quad += (x[a] - mu[a]) * (x[a] - mu[a]);
    return -0.5 * quad / var - 0.5 * d * log(var) - 0.5 * d * LOG_2PI;
}

double gauss_logpdf_chol(const double *x, const double *mu, const double *L, int d) {
    double quad = 0.0, logdet = 0.0;
    double zbuf[64], *z = d <= 64 ? zbuf : xmalloc(sizeof(double) * (size_t)d);
    for (int i = 0; i < d; i++) {
        double t = x[i] - mu[i];
        for (int k = 0; k < i; k++) t -= L[i * d + k] * z[k];
        //: forward substitution $L z = x - \mu$; then $(x-\mu)^\top\Sigma^{-1}(x-\mu) = \lVert z\rVert^2$
        z[i] = t / L[i * d + i];
        quad += z[i] * z[i];
        //: $\log\det\Sigma = 2\sum_a \log L_{aa}$
        logdet += 2.0 * log(L[i * d + i]);
    }
    if (z != zbuf) free(z);
    return -0.5 * quad - 0.5 * logdet - 0.5 * d * LOG_2PI;
}

double gauss_logpdf_full(const double *x, const double *mu, const double *sigma, int d) {
    Mat L = mat_from(d, d, sigma); /* factored in place by linalg's Cholesky */
    double v = cholesky(&L, L) == LINALG_OK ? gauss_logpdf_chol(x, mu, L.a, d) : NAN;
    mat_free(&L);
    return v;
}

/* ------------------------------------------------------------------------------------------ */
/* mixtures */

Gmm gmm_new(int k, int d) {
    if (k < 1 || d < 1) die("gmm_new: need k, d >= 1 (got %d, %d)", k, d);
    Gmm g = {k, d, xmalloc(sizeof(double) * (size_t)k),
             xcalloc((size_t)k * (size_t)d, sizeof(double)),
             xmalloc(sizeof(double) * (size_t)k * (size_t)d)};
    for (int i = 0; i < k; i++) g.log_weight[i] = -log((double)k);
    for (int i = 0; i < k * d; i++) g.var[i] = 1.0;
    return g;
}

void gmm_free(Gmm *g) {
    free(g->log_weight);
    free(g->mean);
    free(g->var);
    g->log_weight = g->mean = g->var = NULL;
}

void gmm_set(Gmm *g, int i, double weight, const double *mean, const double *var,
             double iso_var) {
    if (i < 0 || i >= g->k || !(weight > 0.0)) die("gmm_set: bad component %d or weight", i);
    g->log_weight[i] = log(weight);
    for (int a = 0; a < g->d; a++) {
        g->mean[i * g->d + a] = mean[a];
        g->var[i * g->d + a] = var ? var[a] : iso_var;
    }
}

void gmm_normalise(Gmm *g) {
    const double lse = logsumexp(g->log_weight, (size_t)g->k);
    for (int i = 0; i < g->k; i++) g->log_weight[i] -= lse;
}

/* ell[i] = log pi_i + log N(x; mu_i, Sigma_i); returns lse(ell) = log p(x). */
static double component_terms(const Gmm *g, const double *x, double *ell) {
    for (int i = 0; i < g->k; i++)
        //: $\ell_i(x) = \log\pi_i + \log\mathcal N(x;\mu_i,\Sigma_i)$
        ell[i] = g->log_weight[i] +
                 gauss_logpdf_diag(x, g->mean + (size_t)i * g->d, g->var + (size_t)i * g->d, g->d);
    //: $\log p(x) = \operatorname{lse}_i \ell_i(x)$ {#eq:common.gauss.gmm_logpdf}
    return logsumexp(ell, (size_t)g->k);
}

double gmm_logpdf(const Gmm *g, const double *x, double *resp) {
    double buf[64], *ell = g->k <= 64 ? buf : xmalloc(sizeof(double) * (size_t)g->k);
    const double lp = component_terms(g, x, ell);
    if (resp)
        //: $r_i = e^{\ell_i - \log p}$: a softmax in log space, never $0/0$
        for (int i = 0; i < g->k; i++) resp[i] = exp(ell[i] - lp);
    if (ell != buf) free(ell);
    return lp;
}

double gmm_score(const Gmm *g, const double *x, double *score) {
    double buf[64], *r = g->k <= 64 ? buf : xmalloc(sizeof(double) * (size_t)g->k);
    const double lp = gmm_logpdf(g, x, r);
    for (int a = 0; a < g->d; a++) score[a] = 0.0;
    for (int i = 0; i < g->k; i++) {
        if (r[i] == 0.0) continue; /* underflowed responsibility contributes exactly 0 */
        const double *mu = g->mean + (size_t)i * g->d, *var = g->var + (size_t)i * g->d;
        //: $\nabla_x \log p = \sum_i r_i\, \Sigma_i^{-1}(\mu_i - x)$
        for (int a = 0; a < g->d; a++) score[a] += r[i] * (mu[a] - x[a]) / var[a];
    }
    if (r != buf) free(r);
    return lp;
}

int gmm_sample(const Gmm *g, Rng *r, double *x) {
    double buf[64] = {0}, *w = g->k <= 64 ? buf : xmalloc(sizeof(double) * (size_t)g->k);
    for (int i = 0; i < g->k; i++) w[i] = exp(g->log_weight[i]);
    //: $i \sim \mathrm{Cat}(\pi)$
    const int i = rng_categorical(r, w, g->k);
    if (w != buf) free(w);
    const double *mu = g->mean + (size_t)i * g->d, *var = g->var + (size_t)i * g->d;
    //: $x = \mu_i + \sigma_i \odot z$, $z \sim \mathcal N(0, I)$
    for (int a = 0; a < g->d; a++) x[a] = mu[a] + sqrt(var[a]) * rng_normal(r);
    return i;
}

Gmm gmm_pair(double m, double var) {
    Gmm g = gmm_new(2, 2);
    const double left[2] = {-m, 0.0}, right[2] = {m, 0.0};
    gmm_set(&g, 0, 0.5, left, NULL, var);
    gmm_set(&g, 1, 0.5, right, NULL, var);
    gmm_normalise(&g);
    return g;
}

void gmm_pair_perturbed_score(const double *x, int d, double m, double sigma, double *score) {
    const double v = 1.0 + sigma * sigma;
    score[0] = (-x[0] + m * tanh(m * x[0] / v)) / v;
    for (int a = 1; a < d; a++) score[a] = -x[a] / v;
}
