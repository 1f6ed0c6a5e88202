/*: # moments_se — a sample's mean and variance with their standard errors

Introduced by L07 Z5.6 (the accepted samples of rejection sampling) and Z5.7 (the MLE over
repetitions against its exact finite-$N$ variance); other programs that compare a sample variance
with an exact one use it too. For $n$ values with mean $\bar x$, unbiased variance $s^2$ and
fourth central moment $m_4 = \frac1n\sum_i (x_i - \bar x)^4$:

$$ \mathrm{se}(\bar x) = \sqrt{s^2/n},\qquad \mathrm{se}(s^2) \approx \sqrt{(m_4 - s^4)/n} $$ {#eq:common.moments_se.se}

(the second is the delta-method standard error of a sample variance; it is floored at 0 where
rounding makes $m_4 - s^4$ negative, which happens only for near-constant data).
*/
#ifndef COMMON_MOMENTS_SE_H
#define COMMON_MOMENTS_SE_H

#include <stddef.h>

typedef struct {
    double mean, var;       /* mean and unbiased variance */
    double se_mean, se_var; /* their standard errors, [eq:common.moments_se.se] */
} MomentsSe;

/* Two passes over x (n >= 2). */
MomentsSe moments_se(const double *x, size_t n);

#endif
