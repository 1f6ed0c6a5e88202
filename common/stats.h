/*: # stats — sample moments, quantiles and histograms

The descriptive statistics every lecture prints. Sample $x_1, \dots, x_n$:

$$ \bar x = \frac1n \sum_i x_i,\qquad s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2 . $$

**Welford's update.** The textbook formula $\frac{1}{n-1}(\sum x_i^2 - n\bar x^2)$ subtracts two
nearly equal large numbers when $|\bar x| \gg s$ and can even turn negative. Welford's one-pass
recursion keeps the running mean $m_k$ and the running sum of squared deviations $M_k$:

$$ m_k = m_{k-1} + \frac{x_k - m_{k-1}}{k},\qquad
   M_k = M_{k-1} + (x_k - m_{k-1})(x_k - m_k),\qquad s^2 = \frac{M_n}{n-1}. $$ {#eq:common.stats.welford}

**Covariance** of $n$ samples in $d$ dimensions (rows $x_i \in \mathbb R^d$), two passes (mean
first, then centred products), unbiased:
$ \hat\Sigma = \frac{1}{n-1}\sum_i (x_i - \bar x)(x_i - \bar x)^\top $.

**Quantiles** use linear interpolation between order statistics (the rule numpy and R call
"type 7"): with $x_{(0)} \le \dots \le x_{(n-1)}$ and $h = q(n-1)$,
$ Q(q) = x_{(\lfloor h\rfloor)} + (h - \lfloor h\rfloor)(x_{(\lfloor h\rfloor+1)} - x_{(\lfloor h\rfloor)}) $.

**Histograms.** $n_b$ equal bins on $[lo, hi)$, bin $k$ holding
$lo + k\Delta \le x < lo + (k+1)\Delta$, $\Delta = (hi-lo)/n_b$; the value $x = hi$ goes into the
last bin, values outside $[lo, hi]$ are not counted. The density normalisation divides by the
number of counted values and the bin area, $\hat p_k = c_k / (n_\text{in}\Delta)$, so that
$\sum_k \hat p_k \Delta = 1$ (the convention of numpy's `density=True`).

This header also pulls in the rest of the statistics library: quadrature.h, gauss.h, kde.h,
divergence.h and ess.h.
*/
#ifndef COMMON_STATS_H
#define COMMON_STATS_H

#include <stddef.h>

#include "common/divergence.h"
#include "common/ess.h"
#include "common/gauss.h"
#include "common/kde.h"
#include "common/quadrature.h"

/* Welford's running mean and variance (eq. welford). Zero-initialise or use welford_init. */
typedef struct {
    long n;
    double mean, m2; /* m2: sum of squared deviations from the running mean */
} Welford;

void welford_init(Welford *w);
void welford_push(Welford *w, double x);
/* Combine two accumulators (Chan et al.'s pairwise formula); for parallel reductions. */
void welford_merge(Welford *into, const Welford *other);
double welford_var(const Welford *w);      /* unbiased, m2 / (n-1); NaN for n < 2 */
double welford_var_pop(const Welford *w);  /* m2 / n; NaN for n < 1 */

double stats_mean(const double *x, size_t n);
/* Mean and its standard error sqrt(s^2 / n) (the error bar of a Monte-Carlo average);
   se may be NULL. NaN for n < 2. */
double stats_mean_se(const double *x, size_t n, double *se);
/* max_i |a_i - b_i| (0 for n = 0; NaN if any difference is NaN). */
double stats_max_abs_diff(const double *a, const double *b, size_t n);
/* qsort comparator for doubles in increasing order (NaNs last). */
int stats_cmp_double(const void *a, const void *b);
/* Unbiased variance (n-1 denominator) by Welford; NaN for n < 2. */
double stats_var(const double *x, size_t n);
/* Mean and unbiased variance together; either output may be NULL. */
void stats_mean_var(const double *x, size_t n, double *mean, double *var);

/* x: n x d row-major samples. mean (d) may be NULL; cov (d x d) gets the unbiased covariance. */
void stats_covariance(const double *x, size_t n, size_t d, double *mean, double *cov);

/* Type-7 quantile(s), q in [0, 1]; x is not modified (a sorted copy is made). */
double stats_quantile(const double *x, size_t n, double q);
void stats_quantiles(const double *x, size_t n, const double *q, size_t nq, double *out);

/* 1-D histogram of n values into nbins bins on [lo, hi] (see above). counts (nbins) is
   overwritten. density != 0: counts become c_k / (n_in * width). Returns n_in, the number of
   values counted. */
long stats_hist1d(const double *x, size_t n, double lo, double hi, int nbins, double *counts,
                  int density);
/* 2-D histogram of n points xy (n x 2 row-major) into nx x ny bins; counts[ix * ny + iy].
   density != 0: c / (n_in * dx * dy). Returns n_in. */
long stats_hist2d(const double *xy, size_t n, double xlo, double xhi, int nx, double ylo,
                  double yhi, int ny, double *counts, int density);

#endif
