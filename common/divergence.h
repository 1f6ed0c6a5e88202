/*: # divergence — entropy, cross-entropy and Kullback–Leibler divergence

For distributions $p, q$ on $K$ outcomes (natural logarithms, nats):

$$ H(p) = -\sum_k p_k\log p_k,\qquad H(p, q) = -\sum_k p_k \log q_k,\qquad
   \mathrm{KL}(p\,\Vert\, q) = \sum_k p_k \log\frac{p_k}{q_k} = H(p,q) - H(p). $$ {#eq:common.divergence.kl_discrete}

Terms with $p_k = 0$ contribute $0$ (the limit $t\log t \to 0$), whatever $q_k$ is; a term with
$p_k > 0 = q_k$ makes $H(p,q)$ and the KL $+\infty$ ($q$ cannot explain an outcome of $p$).
Gibbs' inequality: $\mathrm{KL}(p\Vert q) \ge 0$, with equality iff $p = q$. The maximum
likelihood of L07 minimises $H(p_\text{data}, q_\theta)$, i.e. the KL, since $H(p_\text{data})$
does not depend on $\theta$.

**Gaussians** in closed form (1-D; the diagonal $d$-dim case sums over dimensions):

$$ \mathrm{KL}\big(\mathcal N(\mu_1,\sigma_1^2)\,\Vert\,\mathcal N(\mu_2,\sigma_2^2)\big)
   = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12 . $$ {#eq:common.divergence.kl_gauss}

**Continuous 1-D densities** given as log-density callbacks: the KL is the integral
$\int p(x)\,(\log p(x) - \log q(x))\,dx$, computed by composite Gauss–Legendre quadrature
(quadrature.h) on a finite interval $[a, b]$ that must hold essentially all of $p$'s mass.
Working with $\log p$ and $\log q$ keeps the integrand finite where both densities underflow.
*/
#ifndef COMMON_DIVERGENCE_H
#define COMMON_DIVERGENCE_H

#include <stddef.h>

/* Discrete, in nats, with 0 log 0 = 0. p, q: K probabilities (not renormalised). */
double entropy_discrete(const double *p, size_t k);
double cross_entropy_discrete(const double *p, const double *q, size_t k);
double kl_discrete(const double *p, const double *q, size_t k);

/* Closed forms (eq. kl_gauss); sigma are standard deviations, var variances. */
double kl_gauss_1d(double mu1, double sigma1, double mu2, double sigma2);
double kl_gauss_diag(const double *mu1, const double *var1, const double *mu2,
                     const double *var2, int d);

/* A 1-D log-density: log p(x; ctx). */
typedef double (*logpdf_fn)(double x, void *ctx);

/* KL(p || q) = int_a^b p (log p - log q) dx by 20-point Gauss-Legendre on `panels` panels. */
double kl_quadrature_1d(logpdf_fn logp, void *p_ctx, logpdf_fn logq, void *q_ctx, double a,
                        double b, int panels);

#endif
