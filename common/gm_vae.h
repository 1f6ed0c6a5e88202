/*: # gm_vae — the VAE and β-VAE of lecture 42 (4.2) as a GenModel

Introduced in L42 4.2 (`lectures/42_unified/03_vae_beta_vae.c`, which checks it) and shared with
the benchmark (14) and the latent-space analysis (15) of 5.3–5.6.
## The model (4.2, 5.4)

Encoder $64\to128\to2d_z$ giving $(\mu, \log\sigma^2)$, decoder $d_z\to128\to64$ with a sigmoid,
$d_z = 8$. The decoder is a Gaussian $p(x\mid z) = \mathcal N(\hat x, \sigma_x^2 I)$ with a fixed
$\sigma_x = 0.15$ and its full constant,

$$ -\log p(x\mid z) = \frac{\lVert x-\hat x\rVert^2}{2\sigma_x^2} + \frac D2\log(2\pi\sigma_x^2),\qquad
   \mathcal L_\beta = \frac1B\sum_b\Big[-\log p(x_b\mid z_b) + \beta\,\mathrm{KL}_b\Big] , $$ {#eq:L42.4.2.vae_loss}

$\beta = 1$ for the VAE (then $\mathcal L_1$ is the negative ELBO, averaged over the batch) and
$\beta = 4$ for the β-VAE. The lecture's training loss $\lVert x - \hat x\rVert^2$ is this Gaussian with
$\sigma_x^2 = \tfrac12$, while its `logprob` uses $-\tfrac12\lVert x-\hat x\rVert^2$, i.e. $\sigma_x^2 = 1$,
and neither keeps $\frac D2\log 2\pi\sigma_x^2$ (B2): their bits/dim are not a likelihood's. Both
models are trained by `gm_train`; their `log_likelihood` is the IWAE estimate [eq:L42.4.2.iwae].
*/
#ifndef COMMON_GM_VAE_H
#define COMMON_GM_VAE_H

#include <stdint.h>

#include "common/genmodel.h"

typedef struct {
    NnMlp enc, dec;
    int dz;
    double beta, sigma_x;
    int lecture;      /* log_likelihood in the lecture's convention (sigma_x^2 = 1, no constants) */
    int K;            /* importance samples of log_likelihood */
    Rng eval_rng;     /* noise of log_likelihood and sample */
} GmVae;

/* KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form [eq:L42.4.2.kl_diag]. */
double gm_vae_kl_diag(const double *mu, const double *logvar, int d);

/* A VAE (beta = 1) or beta-VAE on data of dimension D: encoder D -> 128 -> 2 dz, decoder
   dz -> 128 -> D (sigmoid), sigma_x = 0.15, K importance samples in log_likelihood; weights from
   Philox (seed, stream), the evaluation noise from (seed, stream + 1). */
void gm_vae_init(GenModel *m, int D, int dz, double beta, int K, uint64_t seed, uint64_t stream);

/* Posterior means and log-variances (n x dz each) in double. */
void gm_vae_posterior(const GmVae *v, const float *x, int n, int D, double *mu, double *logvar);

/* IWAE log-weights of one image (K draws from q) and its ELBO estimate: lw (K), and
   *elbo = mean_k log p(x|z_k) - KL (analytic), may be NULL. */
void gm_vae_logweights(GenModel *m, const float *x, const double *mu, const double *lv, int K, Rng *rng, double *lw,
                       double *elbo);

typedef struct {
    double elbo, elbo_se, iwae, iwae_se, gap, gap_se, kl, recon_mse;
} GmVaeEval;

/* Test-set ELBO (analytic KL + MC reconstruction), IWAE (K draws), their paired gap, KL, MSE. */
GmVaeEval gm_vae_evaluate(GenModel *m, const float *x, int n);

#endif
