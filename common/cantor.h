/*: # cantor — the Cantor measure: exact CDF, sampler, characteristic function

Introduced in the study note's programs (lectures/n1_sohl_dickstein/02_lebesgue_decomposition,
03_kl_and_entropy) as the standard example of a *continuous singular* law: no atoms, yet all its
mass sits on a set of Lebesgue measure zero. On $[0,1]$ it is the law of
$$ X = \sum_{k\ge1} \frac{2 b_k}{3^k},\qquad b_k \text{ i.i.d. fair bits}, $$ {#eq:common.cantor.series}
whose CDF (the devil's staircase) is read off the ternary digits $d_k$ of $x$: while
$d_k\in\{0,2\}$ it adds $\tfrac{d_k}{2}2^{-k}$; at the first digit $1$ it adds $2^{-k}$ and stops.
Its characteristic function about the centre $\tfrac12$ is the infinite product
$$ \mathbb E\,e^{it(X-1/2)} = \prod_{k\ge1}\cos\!\big(t/3^k\big) . $$ {#eq:common.cantor.cf}
Doubles carry about 34 ternary digits, so the sampler draws 34 bits (the remaining tail
$3^{-34}\approx 6\times10^{-17}$ is below double resolution on $[0,1]$).
*/
#ifndef COMMON_CANTOR_H
#define COMMON_CANTOR_H

#include "common/rng.h"

enum { CANTOR_DIGITS = 34 };

/* The Cantor function F(x): 0 for x <= 0, 1 for x >= 1, exact from ternary digits (up to 60). */
double cantor_cdf(double x);
/* One draw of X (eq. series) with CANTOR_DIGITS fair bits from r. */
double cantor_sample(Rng *r);
/* prod_k cos(t / 3^k) (eq. cf), the product truncated once t/3^k < 1e-9 (error < 1e-18). */
double cantor_cf_centered(double t);

#endif
