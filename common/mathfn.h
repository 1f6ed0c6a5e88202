/*: # mathfn — numerically stable elementary functions

The functions every likelihood computation leans on (L07 Z5.1, Z5.15). The key identity is the
max shift of the log-sum-exp,

$$ \operatorname{lse}(a) = \log\sum_k e^{a_k} = a^* + \log\sum_k e^{a_k - a^*},\qquad a^* = \max_k a_k $$ {#eq:common.math.lse_shift}

which never overflows (every exponent is $\le 0$) and keeps the largest term exact. Its
consequences: $\max_k a_k \le \operatorname{lse}(a) \le \max_k a_k + \log K$, and
$\operatorname{softmax}(a)_k = e^{a_k - \operatorname{lse}(a)}$.

Edge cases are part of the contract: all $-\infty$ gives $-\infty$ (not NaN), any $+\infty$
gives $+\infty$, any NaN gives NaN.
*/
#ifndef COMMON_MATHFN_H
#define COMMON_MATHFN_H

#include <stddef.h>

double logsumexp(const double *a, size_t n);        /* two passes: max, then sum */
double logsumexp_online(const double *a, size_t n); /* one pass with a running max */
double logaddexp(double a, double b);               /* log(e^a + e^b) */
void softmax(const double *a, double *out, size_t n);
void log_softmax(const double *a, double *out, size_t n);
double log1pexp(double x);   /* softplus: log(1 + e^x) */
double log_sigmoid(double x);/* log(1 / (1 + e^-x)) = -log1pexp(-x) */
double sigmoid(double x);
float logsumexp_f(const float *a, size_t n);

/* Combinatorics through lgamma. */
double log_factorial(double n);             /* log n! */
double log_choose(double n, double k);      /* log C(n, k) */
double log_beta(double a, double b);        /* log B(a, b) */
double log_multinomial(const double *counts, size_t k); /* log (sum c)! / prod c_i! */

/* Safe x log x with the convention 0 log 0 = 0. */
double xlogx(double x);
/* x log(x / y) with 0 log(0/y) = 0 and x log(x/0) = +inf for x > 0. */
double xlogy_ratio(double x, double y);

#endif
