/*: # gmm1d_diffusion — a 1-D Gaussian mixture pushed through the Gaussian diffusion kernel

Introduced in the study note's programs (lectures/n1_sohl_dickstein/07_small_beta_reverse,
08_model_probability), where every quantity of Sohl-Dickstein et al.'s §2 must be computed
*exactly* for a data law that is not Gaussian. With the kernel
$T(x\mid x';\beta) = \mathcal N(x;\sqrt{1-\beta}\,x',\beta)$ a mixture
$q = \sum_i w_i\mathcal N(m_i, v_i)$ stays a mixture:

* forward marginal after noise level $\bar\alpha$: components $\mathcal N(\sqrt{\bar\alpha}m_i,\ \bar\alpha v_i + 1-\bar\alpha)$;
* one-step posterior $q(x'\mid x)\propto T(x\mid x')q(x')$: component $i$ gets weight
  $\propto w_i\,\mathcal N(x;\sqrt{1-\beta}m_i,(1-\beta)v_i+\beta)$, precision
  $\frac{1-\beta}{\beta}+\frac1{v_i}$ and mean $\mathrm{var}\cdot\big(\frac{\sqrt{1-\beta}x}{\beta}+\frac{m_i}{v_i}\big)$;
* Tweedie's formulas (exact for any β), with $\ell = \log$ of the *noisy* marginal $q_t$:
$$ \mathbb E[x'\mid x] = \frac{x+\beta\ell'(x)}{\sqrt{1-\beta}},\qquad \mathrm{Var}[x'\mid x] = \frac{\beta+\beta^2\ell''(x)}{1-\beta} . $$ {#eq:common.gmm1d.tweedie}

Derivatives of $\log q$ up to the third come from those of the components,
$\varphi_i' = s_i\varphi_i$, $\varphi_i'' = (s_i^2 - 1/v_i)\varphi_i$, $\varphi_i''' = (s_i^3 - 3s_i/v_i)\varphi_i$
($s_i = -(x-m_i)/v_i$), combined with responsibilities in log space so that nothing underflows.
*/
#ifndef COMMON_GMM1D_DIFFUSION_H
#define COMMON_GMM1D_DIFFUSION_H

enum { MIX1_MAX = 8 };

typedef struct {
    int k;
    double w[MIX1_MAX], m[MIX1_MAX], v[MIX1_MAX]; /* weights (sum 1), means, variances */
} Mix1;

double mix1_logpdf(const Mix1 *q, double x);
/* d[0] = log q(x), d[1..3] = first to third derivatives of log q at x. */
void mix1_log_derivs(const Mix1 *q, double x, double d[4]);
/* The marginal after noise level abar: q_t = law of sqrt(abar) X + sqrt(1-abar) Z. */
Mix1 mix1_forward(const Mix1 *q0, double abar);
/* The posterior q(x' | x) of one kernel step of rate beta from the law q of x'. */
Mix1 mix1_step_posterior(const Mix1 *q, double beta, double x);
/* Mean and variance of a mixture. */
void mix1_moments(const Mix1 *q, double *mean, double *var);
/* Tweedie (eq. tweedie): posterior mean and variance of x' given x from the noisy law qt. */
void mix1_tweedie(const Mix1 *qt, double beta, double x, double *mean, double *var);

#endif
