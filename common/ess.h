/*: # ess — effective sample sizes

**Importance sampling.** With weights $w_i \ge 0$, the estimate $\sum_i w_i f(x_i)/\sum_i w_i$
has (to first order) the variance of a plain average over

$$ \mathrm{ESS} = \frac{(\sum_i w_i)^2}{\sum_i w_i^2} $$ {#eq:common.ess.importance}

independent samples: $n$ for equal weights, $1$ when one weight dominates. Weights usually come
as log-weights $\log w_i$ that would overflow if exponentiated, so we compute
$\log\mathrm{ESS} = 2\operatorname{lse}_i(\log w_i) - \operatorname{lse}_i(2\log w_i)$, which
is invariant to a common shift of the log-weights.

**MCMC.** For a stationary chain with autocorrelations $\rho_t$, the variance of the chain
average is that of $n/\tau$ independent draws, with the integrated autocorrelation time

$$ \tau = 1 + 2\sum_{t\ge1}\rho_t,\qquad \mathrm{ESS} = n/\tau . $$ {#eq:common.ess.mcmc}

For an AR(1) chain $x_{t+1} = \rho x_t + \sqrt{1-\rho^2}\,\varepsilon_t$, $\rho_t = \rho^t$ and
$\tau = (1+\rho)/(1-\rho)$. The empirical autocovariances
$\hat\gamma_t = \frac1n \sum_{i=0}^{n-1-t} (x_i - \bar x)(x_{i+t} - \bar x)$ are computed in
$O(n\log n)$ as a convolution of the centred chain with its reverse (fft.h). Summing all lags
would add mostly noise, so the sum is truncated by Geyer's *initial monotone sequence*: the
pair sums $\Gamma_m = \hat\rho_{2m} + \hat\rho_{2m+1}$ are positive and decreasing for a
reversible chain; we add them while they stay positive, replacing each by the minimum of itself
and the previous one, and set $\hat\tau = -1 + 2\sum_m \Gamma_m$ (the same as
$1 + 2\sum_t\hat\rho_t$ over the kept lags).
*/
#ifndef COMMON_ESS_H
#define COMMON_ESS_H

#include <stddef.h>

/* (sum w)^2 / sum w^2 from log w (n >= 1); in [1, n]. NaN when every weight is 0 (all log w
   = -inf) or some log w is +inf or NaN. */
double ess_log_weights(const double *log_w, size_t n);

/* Normalised autocorrelations rho[0..max_lag] (rho[0] = 1) of x (n >= 2), via FFT.
   max_lag <= n - 1. A constant chain gives NaN. */
void autocorrelation(const double *x, size_t n, double *rho, size_t max_lag);

/* n / tau_hat with Geyer's initial monotone sequence (see above). NaN for n < 4 or a constant
   chain; n when even the first pair sum is <= 0 (a strongly anticorrelated chain). */
double ess_mcmc(const double *x, size_t n);
/* tau_hat itself (eq. mcmc). */
double integrated_autocorr_time(const double *x, size_t n);

#endif
