/* mathfn — see mathfn.h. Introduced in L07 Z5.1 (stable softmax / logsumexp) and Z5.15. */
#include "common/mathfn.h"

#include <math.h>

//: $\operatorname{lse}(a) = a^* + \log\sum_k e^{a_k - a^*}$, eq. [eq:common.math.lse_shift]
double logsumexp(const double *a, size_t n) {
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i])) return NAN;
        if (a[i] > m) m = a[i];
    }
    if (isinf(m)) return m; /* all -inf -> -inf; any +inf -> +inf */
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += exp(a[i] - m);
    return m + log(s);
}

float logsumexp_f(const float *a, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i])) return NAN;
        if (a[i] > m) m = a[i];
    }
    if (isinf(m)) return m;
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += expf(a[i] - m);
    return m + logf(s);
}

/* One pass: keep (m, s) with s = sum_{seen} e^{a_i - m}; a new maximum rescales s by e^{m_old - m_new}. */
double logsumexp_online(const double *a, size_t n) {
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        if (isnan(x)) return NAN;
        if (x == INFINITY) return INFINITY;
        if (x == -INFINITY) continue;
        if (x <= m) {
            s += exp(x - m);
        } else {
            s = s * exp(m - x) + 1.0;
            m = x;
        }
    }
    return s > 0.0 ? m + log(s) : -INFINITY;
}

double logaddexp(double a, double b) {
    if (isnan(a) || isnan(b)) return NAN;
    double m = a > b ? a : b;
    if (isinf(m)) return m;
    return m + log1p(exp(-fabs(a - b)));
}

//: $\operatorname{softmax}(a)_k = e^{a_k - \operatorname{lse}(a)}$
void softmax(const double *a, double *out, size_t n) {
    double l = logsumexp(a, n);
    for (size_t i = 0; i < n; i++) out[i] = exp(a[i] - l);
}

void log_softmax(const double *a, double *out, size_t n) {
    double l = logsumexp(a, n);
    for (size_t i = 0; i < n; i++) out[i] = a[i] - l;
}

//: $\log(1+e^x) = \max(x,0) + \log(1 + e^{-|x|})$
double log1pexp(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

double log_sigmoid(double x) { return -log1pexp(-x); }

double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double log_factorial(double n) { return lgamma(n + 1.0); }

double log_choose(double n, double k) {
    if (k < 0 || k > n) return -INFINITY;
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

double log_beta(double a, double b) { return lgamma(a) + lgamma(b) - lgamma(a + b); }

double log_multinomial(const double *counts, size_t k) {
    double total = 0.0, r = 0.0;
    for (size_t i = 0; i < k; i++) {
        total += counts[i];
        r -= lgamma(counts[i] + 1.0);
    }
    return r + lgamma(total + 1.0);
}

double xlogx(double x) { return x > 0.0 ? x * log(x) : 0.0; }

double xlogy_ratio(double x, double y) {
    if (x == 0.0) return 0.0;
    if (y == 0.0) return INFINITY;
    return x * log(x / y);
}
