/* stats_moments — Welford mean/variance, covariance matrix, quantiles (stats.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats.h"
#include "common/util.h"

void welford_init(Welford *w) {
    w->n = 0;
    w->mean = 0.0;
    w->m2 = 0.0;
}

void welford_push(Welford *w, double x) {
    w->n++;
    const double delta_old = x - w->mean;
    //: $m_k = m_{k-1} + (x_k - m_{k-1})/k$
    w->mean += delta_old / (double)w->n;
    //: $M_k = M_{k-1} + (x_k - m_{k-1})(x_k - m_k)$ {#eq:common.stats.welford_m2}
    w->m2 += delta_old * (x - w->mean);
}

void welford_merge(Welford *into, const Welford *other) {
    if (other->n == 0) return;
    if (into->n == 0) {
        *into = *other;
        return;
    }
    const double na = (double)into->n, nb = (double)other->n, n = na + nb;
    const double delta = other->mean - into->mean;
    //: $m = m_a + \delta\, n_b / n$, $M = M_a + M_b + \delta^2 n_a n_b / n$
    into->mean += delta * nb / n;
    into->m2 += other->m2 + delta * delta * na * nb / n;
    into->n += other->n;
}

double welford_var(const Welford *w) { return w->n < 2 ? NAN : w->m2 / (double)(w->n - 1); }
double welford_var_pop(const Welford *w) { return w->n < 1 ? NAN : w->m2 / (double)w->n; }

double stats_mean(const double *x, size_t n) {
    Welford w;
    welford_init(&w);
    for (size_t i = 0; i < n; i++) welford_push(&w, x[i]);
    return n ? w.mean : NAN;
}

void stats_mean_var(const double *x, size_t n, double *mean, double *var) {
    Welford w;
    welford_init(&w);
    for (size_t i = 0; i < n; i++) welford_push(&w, x[i]);
    if (mean) *mean = n ? w.mean : NAN;
    if (var) *var = welford_var(&w);
}

double stats_mean_se(const double *x, size_t n, double *se) {
    double mean, var;
    stats_mean_var(x, n, &mean, &var);
    if (se) *se = n >= 2 ? sqrt(var / (double)n) : NAN;
    return n >= 2 ? mean : NAN;
}

double stats_max_abs_diff(const double *a, const double *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (isnan(d)) return NAN;
        if (d > m) m = d;
    }
    return m;
}

int stats_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

double stats_var(const double *x, size_t n) {
    double v;
    stats_mean_var(x, n, NULL, &v);
    return v;
}

void stats_covariance(const double *x, size_t n, size_t d, double *mean, double *cov) {
    double *m = xcalloc(d, sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++) m[a] += x[i * d + a];
    for (size_t a = 0; a < d; a++) m[a] /= (double)n;
    memset(cov, 0, sizeof(double) * d * d);
    double *c = xmalloc(sizeof(double) * d);
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < d; a++) c[a] = x[i * d + a] - m[a];
        //: $\hat\Sigma \mathrel{+}= (x_i - \bar x)(x_i - \bar x)^\top$ (upper triangle)
        for (size_t a = 0; a < d; a++)
            for (size_t b = a; b < d; b++) cov[a * d + b] += c[a] * c[b];
    }
    //: $\hat\Sigma = \frac{1}{n-1}\sum_i (x_i - \bar x)(x_i - \bar x)^\top$ {#eq:common.stats.cov}
    const double inv = n > 1 ? 1.0 / (double)(n - 1) : NAN;
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] = cov[a * d + b] * inv;
    if (mean) memcpy(mean, m, sizeof(double) * d);
    free(c);
    free(m);
}

/* Type-7 quantile of an already sorted array. */
static double quantile_sorted(const double *s, size_t n, double q) {
    if (n == 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
    //: $h = q(n-1)$, $Q = x_{(\lfloor h\rfloor)} + (h - \lfloor h\rfloor)(x_{(\lfloor h\rfloor+1)} - x_{(\lfloor h\rfloor)})$
    const double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return s[n - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

void stats_quantiles(const double *x, size_t n, const double *q, size_t nq, double *out) {
    double *s = xmalloc(sizeof(double) * (n ? n : 1));
    memcpy(s, x, sizeof(double) * n);
    qsort(s, n, sizeof(double), stats_cmp_double);
    for (size_t j = 0; j < nq; j++) out[j] = quantile_sorted(s, n, q[j]);
    free(s);
}

double stats_quantile(const double *x, size_t n, double q) {
    double out;
    stats_quantiles(x, n, &q, 1, &out);
    return out;
}
