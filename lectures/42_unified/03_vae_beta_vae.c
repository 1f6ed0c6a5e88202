/*: # L42 4.2 — VAE and β-VAE: the ELBO with the right sign and every constant

**Lecture 42, Part 2, section 4.2** (VAE and β-VAE of the VAE family) and the ELBO terms of 5.4,
with the derivations of spec §3 items 4–6 and 29. A VAE maximises the evidence lower bound

$$ \log p_\theta(x) \ge \mathrm{ELBO}(x) = \mathbb E_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]
   - \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\,p(z)\big) . $$ {#eq:L42.4.2.elbo}

The lecture's code computes the KL term with the wrong sign (B1: its objective is unbounded
below), and its decoder likelihood is two different Gaussians in two places, both without their
normalising constant (B2).

What you will see: the diagonal-Gaussian KL in closed form against Monte Carlo, and the lecture's
sign; the reparameterised gradient against its closed form; a linear-Gaussian VAE whose
$\log p(x)$ is exact, where the ELBO, the importance-weighted bound (IWAE) and the exact posterior
are compared; then a VAE and a β-VAE ($\beta = 4$) on the 8x8 digits trained through
`common/genmodel`'s shared loop, with the bound order IWAE ≥ ELBO, the KL/reconstruction trade of
$\beta$, and the lecture's log-likelihood beside the normalised one.
Figures: `vae_recon.png` (test digits, VAE and β-VAE reconstructions), `vae_samples.png`
(decoded prior samples), `vae_latent.png` (posterior means, first two coordinates).

Run: `build/release/bin/lectures/42_unified/03_vae_beta_vae [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | (n, D), D = 64 |
| $\mu, \log\sigma^2$ (encoder) | `mu`, `logvar` | (n, d_z) |
| $\epsilon$ | `eps` | (n, d_z) |
| $z = \mu + \sigma\odot\epsilon$ | `z` | (n, d_z) |
| $\hat x = \mathrm{Dec}(z)$ | `xhat` | (n, D) |
| $\sigma_x$ (decoder std) | `Vae.sigma_x` | scalar |
| $\beta$ | `Vae.beta` | scalar |
| $W$ (linear-Gaussian decoder) | `W` | (4, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/genmodel.h"
#include "common/image.h"
#include "common/linalg.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double LOG_2PI = 1.8378770664093453;

/*: ## 4.2 The KL term of a diagonal Gaussian, and its sign (B1)

For $q = \mathcal N(\mu, \mathrm{diag}\,\sigma^2)$ and $p = \mathcal N(0, I)$,

$$ \mathrm{KL}(q\Vert p) = \tfrac12\sum_j\big(\sigma_j^2 + \mu_j^2 - \log\sigma_j^2 - 1\big) \ge 0 . $$ {#eq:L42.4.2.kl_diag}

Its independent route is the definition $\mathbb E_q[\log q(z) - \log p(z)]$ by Monte Carlo. The
lecture's code writes $-\tfrac12\sum(\sigma^2+\mu^2-\log\sigma^2-1)$, which is $-\mathrm{KL}$;
minimising it drives $\sigma^2\to\infty$ (at $\log\sigma^2 = 10$ its "KL" is already −11007.7).
*/
static double kl_diag(const double *mu, const double *logvar, int d) {
    double s = 0;
    //: $\frac12\sum_j(\sigma_j^2+\mu_j^2-\log\sigma_j^2-1)$, [eq:L42.4.2.kl_diag]
    for (int j = 0; j < d; j++) s += 0.5 * (exp(logvar[j]) + mu[j] * mu[j] - logvar[j] - 1.0);
    return s;
}

static void section_kl(const Cli *cli) {
    const double mu = 0.5, logvar = -1.0, sigma = exp(0.5 * logvar);
    const double kl = kl_diag(&mu, &logvar, 1);
    check_close("L42.4.2.kl_closed_form", kl, 0.3089397, 1e-7, "L42.4.2.kl_diag",
                "KL(N(0.5, e^-1) || N(0,1)) in closed form (spec reference)");
    const long n = cli_scale(cli, 100000, 1000000, 1000000);
    Rng r;
    rng_init(&r, cli->seed, 1);
    double *v = xmalloc((size_t)n * sizeof *v), se;
    for (long i = 0; i < n; i++) {
        const double eps = rng_normal(&r), z = mu + sigma * eps;
        //: $\log q(z) - \log p(z)$ (the $\log 2\pi$ constants cancel)
        v[i] = (-0.5 * eps * eps - 0.5 * logvar) - (-0.5 * z * z);
    }
    const double kl_mc = stats_mean_se(v, (size_t)n, &se);
    check_mc("L42.4.2.kl_mc", kl_mc, kl, se, 3.0, n, "L42.4.2.kl_diag", "E_q[log q - log p] by Monte Carlo vs the closed form");
    free(v);
    check_erratum("L42.4.2.kl_lecture_sign", -kl, kl, "B1: the lecture's code expression at mu=0.5, log sigma^2=-1 returns -KL");
    const double mu0 = 0.0, lv10 = 10.0;
    check_erratum("L42.4.2.kl_lecture_unbounded", -kl_diag(&mu0, &lv10, 1), kl_diag(&mu0, &lv10, 1),
                  "B1: at mu=0, log sigma^2=10 the lecture's 'KL' is hugely negative: its objective has no minimum");
}

/*: ## The reparameterisation gradient

Writing $z = \mu + \sigma\epsilon$ with $\epsilon\sim\mathcal N(0,1)$ moves the parameters out of
the sampling law, so a Monte Carlo average of pathwise derivatives estimates the gradient of an
expectation. For $f(z) = z^2$, $\mathbb E[z^2] = \mu^2+\sigma^2$, hence

$$ \partial_\mu\,\mathbb E[(\mu+\sigma\epsilon)^2] = 2\mu,\qquad \partial_\sigma\,\mathbb E[(\mu+\sigma\epsilon)^2] = 2\sigma . $$ {#eq:L42.4.2.reparam}
*/
static void section_reparam(const Cli *cli) {
    const int n = (int)cli_scale(cli, 20000, 100000, 1000000);
    const double mu0 = 0.7, sigma0 = 0.6;
    Rng r;
    rng_init(&r, cli->seed, 2);
    double *eps = xmalloc((size_t)n * sizeof *eps), *gmu = xmalloc((size_t)n * sizeof *gmu),
           *gsig = xmalloc((size_t)n * sizeof *gsig);
    rng_normal_fill(&r, eps, (size_t)n);
    AdArena *arena = ad_arena_new(1 << 22);
    int one[1] = {1}, shape[1] = {n};
    AdTensor *mu = ad_param_new(AD_F64, 1, one), *sigma = ad_param_new(AD_F64, 1, one);
    ad_set(mu, 0, mu0), ad_set(sigma, 0, sigma0);
    //: $z = \mu + \sigma\epsilon$, the loss $\frac1n\sum_i z_i^2$
    AdTensor *z = ad_add(arena, mu, ad_mul(arena, sigma, ad_from_doubles(arena, AD_F64, 1, shape, eps)));
    AdTensor *loss = ad_mean(arena, ad_square(arena, z));
    AdTensor *ps[2] = {mu, sigma};
    ad_zero_grad(ps, 2);
    ad_backward(arena, loss);
    /* per-sample pathwise derivatives, only for the standard error */
    for (int i = 0; i < n; i++) gmu[i] = 2 * (mu0 + sigma0 * eps[i]), gsig[i] = gmu[i] * eps[i];
    double se_mu, se_sig;
    stats_mean_se(gmu, (size_t)n, &se_mu), stats_mean_se(gsig, (size_t)n, &se_sig);
    check_mc("L42.4.2.reparam_grad_mu", ad_grad_get(mu, 0), 2 * mu0, se_mu, 3.0, n, "L42.4.2.reparam",
             "autodiff pathwise d/dmu E[(mu+sigma eps)^2] vs 2 mu (mu=0.7)");
    check_mc("L42.4.2.reparam_grad_sigma", ad_grad_get(sigma, 0), 2 * sigma0, se_sig, 3.0, n, "L42.4.2.reparam",
             "autodiff pathwise d/dsigma vs 2 sigma (sigma=0.6)");
    ad_tensor_free(mu), ad_tensor_free(sigma);
    ad_arena_free(arena);
    free(eps), free(gmu), free(gsig);
}

/*: ## ELBO and IWAE where log p(x) is exact: a linear-Gaussian VAE

With $p(z) = \mathcal N(0, I_2)$ and $p(x\mid z) = \mathcal N(Wz, I_4)$ the evidence is Gaussian,
$\log p(x) = \log\mathcal N(x; 0, WW^\top + I)$, and so is the posterior,
$\mathcal N\big(\Sigma W^\top x, \Sigma\big)$ with $\Sigma = (I + W^\top W)^{-1}$. The importance-weighted bound

$$ \mathcal L_K(x) = \mathbb E\Big[\log\frac1K\sum_{k=1}^K w_k\Big],\qquad
   \log w_k = \log p(x\mid z_k) + \log p(z_k) - \log q(z_k),\quad z_k\sim q , $$ {#eq:L42.4.2.iwae}

equals the ELBO for $K = 1$, does not decrease with $K$ and tends to $\log p(x)$. When $q$ is the
exact posterior every weight equals $p(x)$. With $q = p(z)$ the ELBO is
$-\tfrac D2\log 2\pi - \tfrac12(\lVert x\rVert^2 + \operatorname{tr} W^\top W)$, below $\log p(x)$ by
$\mathrm{KL}(p(z)\Vert p(z\mid x))$. The lecture's estimator drops every $-\tfrac12\log 2\pi$: the
prior's and $q$'s cancel, the decoder's does not, so its value is too high by $\tfrac D2\log 2\pi$.
*/
static const double W_LG[4][2] = {{1, 0}, {0.5, 1}, {-0.3, 0.2}, {0.8, -0.6}};
static const double X_LG[4] = {1, -0.5, 0.3, 2};

/* log w for z drawn from q = N(m, diag(s^2)) (q given by m, s); lecture: no 2 pi constants. */
static double lg_logw(const double *z, const double *m, const double *s, int full_cov, const double *chol, int lecture) {
    double r2 = 0, z2 = z[0] * z[0] + z[1] * z[1], lq;
    for (int i = 0; i < 4; i++) {
        const double e = X_LG[i] - W_LG[i][0] * z[0] - W_LG[i][1] * z[1];
        r2 += e * e;
    }
    if (full_cov) { /* q = N(m, L L^T), L lower 2x2 = chol */
        const double u0 = (z[0] - m[0]) / chol[0], u1 = (z[1] - m[1] - chol[1] * u0) / chol[2];
        lq = -0.5 * (u0 * u0 + u1 * u1) - log(chol[0] * chol[2]);
    } else {
        const double u0 = (z[0] - m[0]) / s[0], u1 = (z[1] - m[1]) / s[1];
        lq = -0.5 * (u0 * u0 + u1 * u1) - log(s[0] * s[1]);
    }
    //: $\log w = \log p(x\mid z) + \log p(z) - \log q(z)$, [eq:L42.4.2.iwae]
    const double lw = -0.5 * r2 - 0.5 * z2 - lq;
    return lecture ? lw : lw - 0.5 * 4 * LOG_2PI; /* p(z) and q's -log 2pi cancel; the decoder's -2 log 2pi stays */
}

static void section_linear_gaussian(const Cli *cli) {
    /* exact evidence by LU on the 4x4 covariance C = W W^T + I */
    Mat C = mat_identity(4);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) MAT(C, i, j) += W_LG[i][0] * W_LG[j][0] + W_LG[i][1] * W_LG[j][1];
    double logdet;
    int sign;
    mat_logabsdet(C, &logdet, &sign);
    /* posterior: Sigma = (I + W^T W)^-1 (2x2), mean Sigma W^T x; Mahalanobis by Woodbury */
    double A[2][2] = {{1, 0}, {0, 1}}, b[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        for (int a = 0; a < 2; a++) {
            b[a] += W_LG[i][a] * X_LG[i];
            for (int c = 0; c < 2; c++) A[a][c] += W_LG[i][a] * W_LG[i][c];
        }
    }
    const double det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
    const double S[2][2] = {{A[1][1] / det, -A[0][1] / det}, {-A[1][0] / det, A[0][0] / det}};
    const double pm[2] = {S[0][0] * b[0] + S[0][1] * b[1], S[1][0] * b[0] + S[1][1] * b[1]};
    double x2 = 0;
    for (int i = 0; i < 4; i++) x2 += X_LG[i] * X_LG[i];
    const double maha = x2 - (b[0] * pm[0] + b[1] * pm[1]);
    const double logpx = -0.5 * (4 * LOG_2PI + logdet + maha);
    mat_free(&C);
    check_close("L42.4.2.lg_logpx", logpx, -5.9324419, 1e-7, "L42.4.2.iwae",
                "exact log N(x; 0, W W^T + I) (LU log-det %.7f, Mahalanobis %.7f) vs the spec's value", logdet, maha);
    printf("exact posterior mean (%.7f, %.7f), cov [[%.7f, %.7f], [%.7f, %.7f]]\n", pm[0], pm[1], S[0][0], S[0][1],
           S[1][0], S[1][1]);

    Rng r;
    rng_init(&r, cli->seed, 3);
    /* q = exact posterior: every log-weight is log p(x) */
    const double l0 = sqrt(S[0][0]), l1 = S[1][0] / l0, chol[3] = {l0, l1, sqrt(S[1][1] - l1 * l1)};
    double worst = 0;
    for (int k = 0; k < 1000; k++) {
        const double e0 = rng_normal(&r), e1 = rng_normal(&r);
        const double z[2] = {pm[0] + chol[0] * e0, pm[1] + chol[1] * e0 + chol[2] * e1};
        worst = fmax(worst, fabs(lg_logw(z, pm, NULL, 1, chol, 0) - logpx));
    }
    check_close("L42.4.2.iwae_exact_posterior", worst, 0.0, 1e-10, "L42.4.2.iwae",
                "q = exact posterior: max |log w_k - log p(x)| over 1000 draws");

    /* q = prior: exact ELBO, then IWAE for K = 1, 10, 100, 1000 */
    double trWW = 0;
    for (int i = 0; i < 4; i++) trWW += W_LG[i][0] * W_LG[i][0] + W_LG[i][1] * W_LG[i][1];
    const double elbo_prior = -0.5 * 4 * LOG_2PI - 0.5 * (x2 + trWW);
    check_close("L42.4.2.iwae_elbo_prior_exact", elbo_prior, -8.0357541, 1e-7, "L42.4.2.elbo",
                "exact ELBO with q = prior (gap to log p(x): %.7f = KL(prior || posterior))", logpx - elbo_prior);
    const double zero[2] = {0, 0}, one[2] = {1, 1};
    const int reps = (int)cli_scale(cli, 200, 1000, 4000), Ks[4] = {1, 10, 100, 1000};
    double mean[4], se[4], *est = xmalloc((size_t)reps * sizeof *est), *lw = xmalloc(1000 * sizeof *lw), lecture_gap = 0;
    for (int a = 0; a < 4; a++) {
        for (int t = 0; t < reps; t++) {
            double lw_lecture[1000];
            for (int k = 0; k < Ks[a]; k++) {
                const double z[2] = {rng_normal(&r), rng_normal(&r)};
                lw[k] = lg_logw(z, zero, one, 0, NULL, 0);
                lw_lecture[k] = lg_logw(z, zero, one, 0, NULL, 1);
            }
            //: $\log\frac1K\sum_k w_k$ by logsumexp, [eq:L42.4.2.iwae]
            est[t] = logsumexp(lw, (size_t)Ks[a]) - log((double)Ks[a]);
            if (a == 3 && t == 0) lecture_gap = logsumexp(lw_lecture, 1000) - log(1000.0) - est[t];
        }
        mean[a] = stats_mean_se(est, (size_t)reps, &se[a]);
        printf("IWAE K=%4d (q = prior): %.4f +- %.4f (%d replicates)\n", Ks[a], mean[a], se[a], reps);
    }
    check_mc("L42.4.2.iwae_k1_is_elbo", mean[0], elbo_prior, se[0], 3.0, reps, "L42.4.2.elbo",
             "IWAE with K=1 is the ELBO: MC mean vs the exact ELBO");
    int mono = 1;
    for (int a = 1; a < 4; a++) mono &= mean[a] >= mean[a - 1] - 3.0 * sqrt(se[a] * se[a] + se[a - 1] * se[a - 1]);
    check_true("L42.4.2.iwae_monotone", mono, "mean IWAE nondecreasing over K = 1, 10, 100, 1000 (within 3 combined SE)");
    check_close("L42.4.2.iwae_k1000", mean[3], logpx, 0.02, "L42.4.2.iwae", "IWAE K=1000 within 0.02 of the exact log p(x)");
    check_erratum("L42.4.2.iwae_lecture_constant", lecture_gap, 0.0,
                  "B2: the lecture's estimator minus the correct one on the same draws (= (D/2) log 2pi = 3.6757541)");
    free(est), free(lw);
}

/* ---------------------------------------------------------------------------------------- */
/*: ## VAE and β-VAE on the digits (4.2, 5.4)

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
typedef struct {
    NnMlp enc, dec;
    int dz;
    double beta, sigma_x;
    int lecture;      /* log_likelihood in the lecture's convention (sigma_x^2 = 1, no constants) */
    int K;            /* importance samples of log_likelihood */
    Rng eval_rng;     /* noise of log_likelihood and sample */
} Vae;

static void vae_encode_graph(AdArena *arena, const Vae *v, AdTensor *x, AdTensor **mu, AdTensor **logvar) {
    AdTensor *h = nn_mlp_forward(arena, &v->enc, x);
    //: $(\mu, \log\sigma^2) = \mathrm{split}(\mathrm{Enc}(x))$
    *mu = ad_slice(arena, h, 1, 0, v->dz);
    *logvar = ad_slice(arena, h, 1, v->dz, 2 * v->dz);
}

static AdTensor *vae_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player;
    Vae *v = m->self;
    int shape[2] = {n, m->dim}, zshape[2] = {n, v->dz};
    AdTensor *xt = ad_from_array(arena, AD_F32, 2, shape, x), *mu, *logvar;
    vae_encode_graph(arena, v, xt, &mu, &logvar);
    AdTensor *eps = ad_input(arena, AD_F32, 2, zshape);
    rng_normal_fill_f(rng, ad_f32(eps), (size_t)n * v->dz);
    //: $z = \mu + e^{\frac12\log\sigma^2}\odot\epsilon$
    AdTensor *z = ad_add(arena, mu, ad_mul(arena, ad_exp(arena, ad_scale(arena, logvar, 0.5)), eps));
    AdTensor *xhat = ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, z));
    //: $\frac1B\sum_b\lVert x_b-\hat x_b\rVert^2/2\sigma_x^2 + \frac D2\log 2\pi\sigma_x^2$, [eq:L42.4.2.vae_loss]
    AdTensor *recon = ad_add_const(arena, ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, xhat, xt))),
                                                   1.0 / (2.0 * v->sigma_x * v->sigma_x * n)),
                                   0.5 * m->dim * log(2.0 * M_PI * v->sigma_x * v->sigma_x));
    //: $\frac1B\sum_b\frac12\sum_j(\sigma^2+\mu^2-\log\sigma^2-1)$, [eq:L42.4.2.kl_diag]
    AdTensor *kl = ad_scale(arena, ad_sum(arena, ad_sub(arena, ad_add(arena, ad_exp(arena, logvar), ad_square(arena, mu)),
                                                        ad_add_const(arena, logvar, 1.0))),
                            0.5 / n);
    if (terms) {
        terms->nterms = 2;
        terms->name[0] = "recon", terms->value[0] = ad_item(recon);
        terms->name[1] = "kl", terms->value[1] = ad_item(kl);
    }
    //: $\mathcal L_\beta = \text{recon} + \beta\,\mathrm{KL}$, [eq:L42.4.2.vae_loss]
    return ad_add(arena, recon, ad_scale(arena, kl, v->beta));
}

/* Posterior means and log-variances (n x dz each) in double. */
static void vae_posterior(const Vae *v, const float *x, int n, int D, double *mu, double *logvar) {
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, D};
    AdTensor *m, *lv;
    vae_encode_graph(arena, v, ad_from_array(arena, AD_F32, 2, shape, x), &m, &lv);
    for (long i = 0; i < (long)n * v->dz; i++) mu[i] = ad_get(m, i), logvar[i] = ad_get(lv, i);
    ad_arena_free(arena);
}

static void vae_decode(GenModel *m, const float *z, int n, float *x_out) {
    Vae *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, v->dz};
    AdTensor *x = ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, ad_from_array(arena, AD_F32, 2, shape, z)));
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    ad_arena_free(arena);
}

static void vae_encode(GenModel *m, const float *x, int n, float *z_out) {
    Vae *v = m->self;
    double *mu = xmalloc((size_t)n * v->dz * sizeof *mu), *lv = xmalloc((size_t)n * v->dz * sizeof *lv);
    vae_posterior(v, x, n, m->dim, mu, lv);
    for (long i = 0; i < (long)n * v->dz; i++) z_out[i] = (float)mu[i];
    free(mu), free(lv);
}

static void vae_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    Vae *v = m->self;
    float *z = xmalloc((size_t)n * v->dz * sizeof *z);
    //: $z\sim\mathcal N(0, I)$, $x = \mathrm{Dec}(z)$ (the decoder's mean)
    rng_normal_fill_f(rng, z, (size_t)n * v->dz);
    vae_decode(m, z, n, x_out);
    free(z);
}

/* IWAE log-weights of one image (K draws from q) and of its ELBO estimate: lw (K), and
   *elbo = mean_k log p(x|z_k) - KL (analytic). */
static void vae_logweights(GenModel *m, const float *x, const double *mu, const double *lv, int K, Rng *rng, double *lw,
                           double *elbo) {
    Vae *v = m->self;
    const int D = m->dim, dz = v->dz;
    float *z = xmalloc((size_t)K * dz * sizeof *z), *xh = xmalloc((size_t)K * D * sizeof *xh);
    double *lqz = xmalloc((size_t)K * sizeof *lqz);
    for (int k = 0; k < K; k++) {
        double lq = 0, lp = 0;
        for (int j = 0; j < dz; j++) {
            const double e = rng_normal(rng), zz = mu[j] + exp(0.5 * lv[j]) * e;
            z[(size_t)k * dz + j] = (float)zz;
            //: $\log q(z\mid x) - \log p(z)$ per coordinate, constants cancel
            lq += -0.5 * e * e - 0.5 * lv[j], lp += -0.5 * zz * zz;
        }
        lqz[k] = lp - lq;
    }
    vae_decode(m, z, K, xh);
    const double s2 = v->lecture ? 1.0 : v->sigma_x * v->sigma_x;
    const double cst = v->lecture ? 0.0 : -0.5 * D * log(2.0 * M_PI * s2);
    double rec = 0;
    for (int k = 0; k < K; k++) {
        double r2 = 0;
        for (int i = 0; i < D; i++) r2 += ((double)x[i] - xh[(size_t)k * D + i]) * ((double)x[i] - xh[(size_t)k * D + i]);
        //: $\log p(x\mid z_k) = -\lVert x-\hat x_k\rVert^2/2\sigma_x^2 - \frac D2\log 2\pi\sigma_x^2$
        const double lpx = -0.5 * r2 / s2 + cst;
        lw[k] = lpx + lqz[k], rec += lpx / K;
    }
    if (elbo) *elbo = rec - kl_diag(mu, lv, dz);
    free(z), free(xh), free(lqz);
}

static void vae_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    Vae *v = m->self;
    double *mu = xmalloc((size_t)n * v->dz * sizeof *mu), *lv = xmalloc((size_t)n * v->dz * sizeof *lv),
           *lw = xmalloc((size_t)v->K * sizeof *lw);
    vae_posterior(v, x, n, m->dim, mu, lv);
    for (int i = 0; i < n; i++) {
        vae_logweights(m, x + (size_t)i * m->dim, mu + (size_t)i * v->dz, lv + (size_t)i * v->dz, v->K, &v->eval_rng, lw, NULL);
        //: [eq:L42.4.2.iwae]
        lp[i] = logsumexp(lw, (size_t)v->K) - log((double)v->K);
    }
    free(mu), free(lv), free(lw);
}

static void vae_destroy(GenModel *m) {
    Vae *v = m->self;
    nn_mlp_free(&v->enc), nn_mlp_free(&v->dec);
    free(v);
}

static const GenModelVT VAE_VT = {
    .name = "VAE", .family = GM_FAM_VAE, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = vae_train_step, .sample = vae_sample, .log_likelihood = vae_log_likelihood,
    .encode = vae_encode, .decode = vae_decode, .destroy = vae_destroy,
};

static void vae_model_init(GenModel *m, int D, int dz, double beta, const Cli *cli, uint64_t stream) {
    Vae *v = xcalloc(1, sizeof *v);
    v->dz = dz, v->beta = beta, v->sigma_x = 0.15, v->K = (int)cli_scale(cli, 20, 200, 1000);
    Rng init;
    rng_init(&init, cli->seed, stream);
    rng_init(&v->eval_rng, cli->seed, stream + 1);
    int we[3] = {D, 128, 2 * dz}, wd[3] = {dz, 128, D};
    nn_mlp_init(&v->enc, 2, we, NN_ACT_RELU, AD_F32, &init);
    nn_mlp_init(&v->dec, 2, wd, NN_ACT_RELU, AD_F32, &init);
    gm_init(m, &VAE_VT, v, D);
    nn_mlp_params(&v->enc, "enc", &m->player[0].params);
    nn_mlp_params(&v->dec, "dec", &m->player[0].params);
}

typedef struct {
    double elbo, elbo_se, iwae, iwae_se, gap, gap_se, kl, recon_mse;
} VaeEval;

/* Test-set ELBO (analytic KL + MC reconstruction), IWAE (K draws), their paired gap, KL, MSE. */
static VaeEval vae_evaluate(GenModel *m, const float *x, int n) {
    Vae *v = m->self;
    const int D = m->dim, dz = v->dz;
    double *mu = xmalloc((size_t)n * dz * sizeof *mu), *lv = xmalloc((size_t)n * dz * sizeof *lv),
           *lw = xmalloc((size_t)v->K * sizeof *lw), *el = xmalloc((size_t)n * sizeof *el),
           *iw = xmalloc((size_t)n * sizeof *iw), *gap = xmalloc((size_t)n * sizeof *gap);
    vae_posterior(v, x, n, D, mu, lv);
    VaeEval e = {0};
    float *z = xmalloc((size_t)n * dz * sizeof *z), *xh = xmalloc((size_t)n * D * sizeof *xh);
    for (long i = 0; i < (long)n * dz; i++) z[i] = (float)mu[i];
    vae_decode(m, z, n, xh);
    for (int i = 0; i < n; i++) {
        double elbo_other;
        /* the ELBO from K fresh draws, the IWAE from K other draws: independent estimates */
        vae_logweights(m, x + (size_t)i * D, mu + (size_t)i * dz, lv + (size_t)i * dz, v->K, &v->eval_rng, lw, &elbo_other);
        el[i] = elbo_other;
        vae_logweights(m, x + (size_t)i * D, mu + (size_t)i * dz, lv + (size_t)i * dz, v->K, &v->eval_rng, lw, NULL);
        iw[i] = logsumexp(lw, (size_t)v->K) - log((double)v->K);
        gap[i] = iw[i] - el[i];
        e.kl += kl_diag(mu + (size_t)i * dz, lv + (size_t)i * dz, dz) / n;
        for (int j = 0; j < D; j++)
            e.recon_mse += ((double)x[(size_t)i * D + j] - xh[(size_t)i * D + j]) * ((double)x[(size_t)i * D + j] - xh[(size_t)i * D + j]) / n;
    }
    e.elbo = stats_mean_se(el, (size_t)n, &e.elbo_se);
    e.iwae = stats_mean_se(iw, (size_t)n, &e.iwae_se);
    e.gap = stats_mean_se(gap, (size_t)n, &e.gap_se);
    free(mu), free(lv), free(lw), free(el), free(iw), free(gap), free(z), free(xh);
    return e;
}

static void save_grid(const Cli *cli, const char *name, const char *title, const float *tiles, int rows, int cols,
                      const char *const *labels) {
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = cols, opt.upscale = 6;
    char err[256];
    Image8 *img = image_grid(tiles, rows * cols, 1, 8, 8, &opt);
    Plot *fig = plot_new(img->width + 140, img->height + 60, title);
    plot_image(fig, img, labels, rows);
    if (plot_save(fig, cli_out_path(cli, name), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(fig), image8_free(img);
}

static void section_digits(const Cli *cli) {
    ImageSet set;
    char note[512];
    if (dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note) < 0) {
        fprintf(stderr, "%s\n", note);
        exit(2);
    }
    const int D = (int)imageset_dim(&set), n_test = 297, n_train = set.n - n_test, dz = 8;
    float *all = imageset_to_float(&set), *train = all, *test = all + (size_t)n_train * D;
    GenModel vae, bvae;
    vae_model_init(&vae, D, dz, 1.0, cli, 10);
    vae_model_init(&bvae, D, dz, 4.0, cli, 20);
    check_true("L42.4.2.vae_caps", gm_check_caps(vae.vt), "VAE's vtable obeys the capability rule (log-likelihood a bound, not exact)");
    const VaeEval e0 = vae_evaluate(&vae, test, n_test);
    const long steps = cli_scale(cli, 300, 3000, 12000);
    GmTrainConfig cfg = {.steps = steps, .batch = 128, .clip_norm = 1000.0, .label = "vae", .check_id = "L42.4.2.vae_train_finite"};
    Rng tr;
    rng_init(&tr, cli->seed, 30);
    GmTrainResult res = gm_train(&vae, train, n_train, &cfg, &tr);
    cfg.label = "beta-vae", cfg.check_id = "L42.4.2.bvae_train_finite";
    GmTrainResult bres = gm_train(&bvae, train, n_train, &cfg, &tr);
    printf("VAE: %ld parameters, loss %.2f -> %.2f; beta-VAE (beta=4): %.2f -> %.2f\n", gm_num_params(&vae),
           res.first_loss[0], res.avg_loss[0], bres.first_loss[0], bres.avg_loss[0]);
    const VaeEval e = vae_evaluate(&vae, test, n_test), eb = vae_evaluate(&bvae, test, n_test);
    const int K = ((Vae *)vae.self)->K;
    printf("test (nats/image): initial ELBO %.2f; VAE ELBO %.2f +- %.2f, IWAE(K=%d) %.2f; beta-VAE ELBO %.2f, IWAE %.2f\n",
           e0.elbo, e.elbo, e.elbo_se, K, e.iwae, eb.elbo, eb.iwae);
    check_ge("L42.4.2.vae_elbo_improves", e.elbo - e0.elbo, 100.0, 0, "L42.4.2.elbo",
             "test ELBO rises by >= 100 nats per image through training (%.2f -> %.2f)", e0.elbo, e.elbo);
    check_ge("L42.4.2.vae_bound_order", e.gap, 0.0, 3.0 * e.gap_se, "L42.4.2.iwae",
             "test IWAE(K=%d) - ELBO = %.3f >= 0 within 3 SE (se=%.2g, independent draws, n=%d)", K, e.gap, e.gap_se, n_test);
    check_ge("L42.4.2.bvae_bound_order", eb.gap, 0.0, 3.0 * eb.gap_se, "L42.4.2.iwae",
             "beta-VAE: test IWAE - ELBO = %.3f >= 0 within 3 SE", eb.gap);
    printf("KL per image: VAE %.3f, beta-VAE %.3f; reconstruction MSE per image: VAE %.3f, beta-VAE %.3f\n", e.kl, eb.kl,
           e.recon_mse, eb.recon_mse);
    check_true("L42.4.2.beta_trade", eb.kl < e.kl && eb.recon_mse > e.recon_mse,
               "beta = 4 buys a smaller KL (%.3f < %.3f) with a worse reconstruction (%.3f > %.3f)", eb.kl, e.kl,
               eb.recon_mse, e.recon_mse);
    //: bits/dim of a continuous density on $[0,1]^{64}$: $-\log p(x)/(D\ln 2)$
    printf("bits/dim (continuous density of x = k/16, IWAE): VAE %.4f, beta-VAE %.4f (lecture's Table 5.1 on MNIST: 0.95 / 1.12)\n",
           -e.iwae / (D * M_LN2), -eb.iwae / (D * M_LN2));
    /* B2: the lecture's logprob on the same model and test digits */
    Vae *v = vae.self;
    v->lecture = 1;
    double *lp_lecture = xmalloc((size_t)n_test * sizeof *lp_lecture);
    vae.vt->log_likelihood(&vae, test, n_test, lp_lecture);
    v->lecture = 0;
    check_erratum("L42.4.2.vae_lecture_logprob_bpd", -stats_mean(lp_lecture, (size_t)n_test) / (D * M_LN2), -e.iwae / (D * M_LN2),
                  "B2: bits/dim from the lecture's logprob (sigma_x^2 = 1, no constants) vs the normalised IWAE, same model");
    free(lp_lecture);

    /* figures */
    enum { COLS = 12 };
    float *tiles = xmalloc((size_t)3 * COLS * D * sizeof *tiles), *z = xmalloc((size_t)n_test * dz * sizeof *z);
    memcpy(tiles, test, (size_t)COLS * D * sizeof *tiles);
    vae.vt->encode(&vae, test, COLS, z), vae.vt->decode(&vae, z, COLS, tiles + (size_t)COLS * D);
    bvae.vt->encode(&bvae, test, COLS, z), bvae.vt->decode(&bvae, z, COLS, tiles + (size_t)2 * COLS * D);
    static const char *const rl[3] = {"test", "VAE", "beta-VAE"};
    save_grid(cli, "vae_recon.png", "reconstructions from the posterior mean", tiles, 3, COLS, rl);
    Rng sr;
    rng_init(&sr, cli->seed, 40);
    vae.vt->sample(&vae, COLS, tiles, &sr), bvae.vt->sample(&bvae, COLS, tiles + (size_t)COLS * D, &sr);
    static const char *const sl[2] = {"VAE", "beta-VAE"};
    save_grid(cli, "vae_samples.png", "decoded prior samples z ~ N(0, I)", tiles, 2, COLS, sl);
    double *ax = xmalloc((size_t)n_test * sizeof *ax), *ay = xmalloc((size_t)n_test * sizeof *ay);
    Plot *p = plot_new(560, 560, "posterior means, coordinates 1-2 (test digits)");
    GenModel *ms[2] = {&vae, &bvae};
    for (int a = 0; a < 2; a++) {
        ms[a]->vt->encode(ms[a], test, n_test, z);
        for (int i = 0; i < n_test; i++) ax[i] = z[(size_t)i * dz], ay[i] = z[(size_t)i * dz + 1];
        PlotSeries *s = plot_scatter(p, ax, ay, n_test, a ? "beta-VAE" : "VAE");
        plot_series_marker(s, 2.0);
        if (a) plot_series_color(s, PLOT_RED);
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "vae_latent.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    free(ax), free(ay), free(tiles), free(z), free(all);
    imageset_free(&set);
    gm_free(&vae), gm_free(&bvae);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.2: VAE / beta-VAE: KL sign, reparameterisation, exact linear-Gaussian ELBO/IWAE, digits", 4203, NULL);
    section_kl(&cli);
    section_reparam(&cli);
    section_linear_gaussian(&cli);
    section_digits(&cli);
    return check_end();
}
