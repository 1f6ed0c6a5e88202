/* ess — importance-sampling ESS from log-weights, MCMC ESS by Geyer's initial monotone
   sequence over FFT autocorrelations (ess.h). */
#include <math.h>
#include <stdlib.h>

#include "common/ess.h"
#include "common/fft.h"
#include "common/mathfn.h"
#include "common/util.h"

double ess_log_weights(const double *log_w, size_t n) {
    /* Shift by the largest log-weight first: ESS is invariant to it, and the two log-sum-exps
       are then O(log n) instead of O(|log w|), so their difference keeps its digits
       (unshifted, log-weights near -500 would cost ~1e-13 of relative accuracy). */
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) top = log_w[i] > top ? log_w[i] : top;
    if (!isfinite(top)) return NAN; /* all weights zero, or an infinite/NaN weight */
    double *shifted = xmalloc(sizeof(double) * n), *twice = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        shifted[i] = log_w[i] - top;
        twice[i] = 2.0 * shifted[i];
    }
    //: $\log\mathrm{ESS} = 2\operatorname{lse}(\log w) - \operatorname{lse}(2\log w)$
    const double log_ess = 2.0 * logsumexp(shifted, n) - logsumexp(twice, n);
    free(twice);
    free(shifted);
    return exp(log_ess);
}

void autocorrelation(const double *x, size_t n, double *rho, size_t max_lag) {
    if (n < 2 || max_lag > n - 1) die("autocorrelation: need n >= 2 and max_lag <= n - 1");
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    double *c = xmalloc(sizeof(double) * n), *rev = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        c[i] = x[i] - mean;
        rev[n - 1 - i] = c[i];
    }
    double *conv = xmalloc(sizeof(double) * (2 * n - 1));
    //: $\sum_i c_{i+t} c_i = (c * \mathrm{rev}(c))_{n-1+t}$
    fft_convolve(c, n, rev, n, conv);
    const double gamma0 = conv[n - 1];
    //: $\hat\rho_t = \hat\gamma_t/\hat\gamma_0$ (the $1/n$ cancels)
    for (size_t t = 0; t <= max_lag; t++) rho[t] = gamma0 > 0.0 ? conv[n - 1 + t] / gamma0 : NAN;
    free(conv);
    free(rev);
    free(c);
}

double integrated_autocorr_time(const double *x, size_t n) {
    if (n < 4) return NAN;
    double *rho = xmalloc(sizeof(double) * n);
    autocorrelation(x, n, rho, n - 1);
    if (isnan(rho[0])) {
        free(rho);
        return NAN;
    }
    double sum = 0.0, prev = INFINITY;
    for (size_t m = 0; 2 * m + 1 < n; m++) {
        //: $\Gamma_m = \hat\rho_{2m} + \hat\rho_{2m+1}$, kept while positive, made monotone
        double pair = rho[2 * m] + rho[2 * m + 1];
        if (!(pair > 0.0)) break;
        if (pair > prev) pair = prev;
        sum += pair;
        prev = pair;
    }
    free(rho);
    if (sum == 0.0) return 1.0; /* first pair <= 0: report tau = 1 (ESS = n) */
    //: $\hat\tau = -1 + 2\sum_m \Gamma_m$
    return -1.0 + 2.0 * sum;
}

double ess_mcmc(const double *x, size_t n) {
    //: $\mathrm{ESS} = n/\hat\tau$
    return (double)n / integrated_autocorr_time(x, n);
}
