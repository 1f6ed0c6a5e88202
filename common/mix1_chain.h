/*: # mix1_chain — the 1-D diffusion model of the study note's A8, shared with B5

Introduced by lectures/n1_sohl_dickstein/08_model_probability (A8) and reused by
lectures/n2_diffusion_annealing/05_jarzynski_ais (B5.4), which runs the same model through the
AIS bookkeeping. Data $q_0$: a `Mix1` (common/gmm1d_diffusion.h). Forward kernel
$q(x^t\mid x^{t-1}) = \mathcal N(\sqrt{1-\beta}\,x^{t-1}, \beta)$ with constant $\beta = 1 - e^{-8/T}$
(so $\bar\alpha_t = e^{-8t/T}$), $p(x^T) = \pi = \mathcal N(0,1)$, and three reverse models:

* `MIX1_CHAIN_MATCHED`: at every step the Gaussian with the true posterior's moments
  (Tweedie, eq. [eq:common.gmm1d.tweedie], from $q_t$ = `mix1_forward`);
* `MIX1_CHAIN_EDGE`: the same, but $p(x^0\mid x^1) = T(x^0\mid x^1)$ (the paper's edge choice);
* `MIX1_CHAIN_NOTE`: the note's chain, $T(x^{t-1}\mid x^t)$ at every step (E36).

The path log-weight of a forward trajectory from $x^0$ (Philox stream of the caller's `Rng`) is
$$ \log w = \log\pi(x^T) + \sum_{t=1}^T\big[\log p(x^{t-1}\mid x^t) - \log q(x^t\mid x^{t-1})\big], $$ {#eq:common.mix1_chain.logw}
and $\mathbb E_q[w\mid x^0] = p_0(x^0)$, the model density, which `mix1_chain_grid_p0`
propagates from $\pi$ on a grid, $p_{t-1}(y) = \int p(y\mid x)\,p_t(x)\,dx$ (rectangle rule).
*/
#ifndef COMMON_MIX1_CHAIN_H
#define COMMON_MIX1_CHAIN_H

#include "common/gmm1d_diffusion.h"
#include "common/rng.h"

enum { MIX1_CHAIN_MATCHED = 0, MIX1_CHAIN_EDGE = 1, MIX1_CHAIN_NOTE = 2 };

/* mean and variance of the model's reverse kernel p(x^{t-1} | x^t = x) */
void mix1_chain_step(const Mix1 *q0, int model, int t, int T, double x, double *mean, double *var);
/* p_0 on the grid lo + h i, i < ng, propagated from pi */
void mix1_chain_grid_p0(const Mix1 *q0, int model, int T, double lo, double h, int ng, double *p);
/* eq. [eq:common.mix1_chain.logw] along one forward trajectory from x0 (x^T into *xT) */
double mix1_chain_logw(const Mix1 *q0, int model, int T, double x0, Rng *r, double *xT);

#endif
