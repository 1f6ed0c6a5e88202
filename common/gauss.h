/*: # gauss — Gaussian log-densities, Gaussian mixtures and their score

The Gaussian is the course's reference density (MLE in L07, the score of L35, every DDPM
marginal of L36). In $d$ dimensions with mean $\mu$ and covariance $\Sigma$,

$$ \log \mathcal N(x; \mu, \Sigma) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
   - \tfrac12 \log\det\Sigma - \tfrac d2 \log 2\pi . $$ {#eq:common.gauss.logpdf}

For a diagonal $\Sigma = \mathrm{diag}(\sigma_1^2, \dots, \sigma_d^2)$ this is a sum of 1-D terms;
for a full $\Sigma$ we factor $\Sigma = LL^\top$ (Cholesky), solve $Lz = x - \mu$ by forward
substitution, and use $(x-\mu)^\top\Sigma^{-1}(x-\mu) = \lVert z\rVert^2$ and
$\log\det\Sigma = 2\sum_a \log L_{aa}$.

**Mixtures.** $p(x) = \sum_{i=1}^K \pi_i\, \mathcal N(x; \mu_i, \Sigma_i)$ with diagonal
$\Sigma_i$. Its log-density is a log-sum-exp (mathfn.h) of the per-component terms
$\ell_i(x) = \log\pi_i + \log\mathcal N(x; \mu_i, \Sigma_i)$:
$\log p(x) = \operatorname{lse}_i\, \ell_i(x)$, finite even where every $\mathcal N$ underflows.

**Score.** Differentiating,

$$ \nabla_x \log p(x) = \sum_i r_i(x)\, \Sigma_i^{-1}(\mu_i - x),\qquad
   r_i(x) = \frac{\pi_i \mathcal N(x;\mu_i,\Sigma_i)}{p(x)} = e^{\ell_i(x) - \log p(x)}. $$ {#eq:common.gauss.gmm_score}

The responsibilities $r_i$ are a softmax of the $\ell_i$, computed in log space. Far in the tails
(say $x = 10^3$ with unit variances) every density is $e^{-5\cdot10^5} = 0$ in double precision,
so the naive ratio is $0/0$ = NaN; in log space the $\ell_i$ are finite, the largest one gets
$r_i \approx 1$, and the score tends to that dominant component's score
$\Sigma_i^{-1}(\mu_i - x)$, as it should.

**Sampling** from the mixture: pick $i$ with probability $\pi_i$ (rng_categorical), then
$x = \mu_i + \sigma_i \odot z$, $z \sim \mathcal N(0, I)$.
*/
#ifndef COMMON_GAUSS_H
#define COMMON_GAUSS_H

#include "common/rng.h"

/* log N(x; mu, sigma^2), sigma > 0. */
double gauss_logpdf_1d(double x, double mu, double sigma);
/* d-dim, diagonal covariance diag(var). */
double gauss_logpdf_diag(const double *x, const double *mu, const double *var, int d);
/* d-dim, isotropic covariance var * I. */
double gauss_logpdf_iso(const double *x, const double *mu, double var, int d);

/* log N(x; mu, L L^T) from a Cholesky factor L (d x d row-major, lower triangular; see
   linalg.h's cholesky). */
double gauss_logpdf_chol(const double *x, const double *mu, const double *L, int d);
/* log N(x; mu, Sigma) with a full covariance (factors Sigma each call); NaN if not PD. */
double gauss_logpdf_full(const double *x, const double *mu, const double *sigma, int d);

/* A K-component, d-dim Gaussian mixture with diagonal covariances. Owns its arrays. */
typedef struct {
    int k, d;
    double *log_weight; /* K: log pi_i */
    double *mean;       /* K x d */
    double *var;        /* K x d: diagonal variances sigma_{i,a}^2 */
} Gmm;

/* Allocates a mixture with equal weights, zero means and unit variances. */
Gmm gmm_new(int k, int d);
void gmm_free(Gmm *g);
/* Sets component i: weight (unnormalised, > 0), mean (d), var (d) or, if var is NULL,
   the isotropic variance iso_var in every dimension. */
void gmm_set(Gmm *g, int i, double weight, const double *mean, const double *var,
             double iso_var);
/* Renormalises the weights to sum to 1 (call after the gmm_set's). */
void gmm_normalise(Gmm *g);

/* log p(x); optionally resp (K) gets the responsibilities r_i(x). */
double gmm_logpdf(const Gmm *g, const double *x, double *resp);
/* score (d) = grad_x log p(x), eq. gmm_score; returns log p(x). */
double gmm_score(const Gmm *g, const double *x, double *score);
/* One sample into x (d); returns the component drawn. */
int gmm_sample(const Gmm *g, Rng *r, double *x);

/* The symmetric pair 1/2 N(-m e_1, var I) + 1/2 N(m e_1, var I) in 2-D: L35's data (m = 2,
   var = 1, L35 4.2) and, with var = 1 + sigma^2, its sigma-smoothed version. */
Gmm gmm_pair(double m, double var);

/* The score of q_sigma = p * N(0, sigma^2 I) for the symmetric pair
   p = 1/2 N(-m e_1, I) + 1/2 N(m e_1, I) in d dimensions (L35 4.2, eq. L35.4.2.perturbed_score;
   used by L35 4.2, 5.2, 5.3): with v = 1 + sigma^2, in the stable tanh form,
   s_1 = (-x_1 + m tanh(m x_1 / v)) / v,  s_a = -x_a / v (a > 1). */
void gmm_pair_perturbed_score(const double *x, int d, double m, double sigma, double *score);

#endif
