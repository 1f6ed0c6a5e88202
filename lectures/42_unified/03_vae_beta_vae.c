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
| $\sigma_x$ (decoder std) | `GmVae.sigma_x` (common/gm_vae.h) | scalar |
| $\beta$ | `GmVae.beta` | scalar |
| $W$ (linear-Gaussian decoder) | `W` | (4, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/digits_split.h"
#include "common/genmodel.h"
#include "common/gm_vae.h"
#include "common/image.h"
#include "common/linalg.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

static const double LOG_2PI = 1.8378770664093453;

/*: ## 4.2 The KL term of a diagonal Gaussian, and its sign (B1)

For $q = \mathcal N(\mu, \mathrm{diag}\,\sigma^2)$ and $p = \mathcal N(0, I)$,

$$ \mathrm{KL}(q\Vert p) = \tfrac12\sum_j\big(\sigma_j^2 + \mu_j^2 - \log\sigma_j^2 - 1\big) \ge 0 . $$ {#eq:L42.4.2.kl_diag}

Its independent route is the definition $\mathbb E_q[\log q(z) - \log p(z)]$ by Monte Carlo. The
lecture's code writes $-\tfrac12\sum(\sigma^2+\mu^2-\log\sigma^2-1)$, which is $-\mathrm{KL}$;
minimising it drives $\sigma^2\to\infty$ (at $\log\sigma^2 = 10$ its "KL" is already −11007.7).
*/
static void section_kl(const Cli *cli) {
    const double mu = 0.5, logvar = -1.0, sigma = exp(0.5 * logvar);
    const double kl = gm_vae_kl_diag(&mu, &logvar, 1);
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
    check_erratum("L42.4.2.kl_lecture_unbounded", -gm_vae_kl_diag(&mu0, &lv10, 1), gm_vae_kl_diag(&mu0, &lv10, 1),
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
/* a labelled grid of 8x8 tiles, upscaled 6x, into the output directory (common/image) */
static void save_grid(const Cli *cli, const char *name, const char *title, const float *tiles, int rows, int cols,
                      const char *const *labels) {
    char err[256];
    if (image_save_labelled_grid(cli_out_path(cli, name), title, tiles, rows, cols, 8, 8, 6, labels, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
}

/*: ## VAE and β-VAE on the digits (4.2, 5.4)

The model — encoder, Gaussian decoder with $\sigma_x = 0.15$ and its constant, the loss
[eq:L42.4.2.vae_loss] and the IWAE log-likelihood — lives in `common/gm_vae.h`, shared with the
benchmark of 5.3 and the latent analysis of 5.6. Here a VAE and a β-VAE ($\beta = 4$, $d_z = 8$)
are trained by `gm_train` and compared on the test digits.
*/
static void section_digits(const Cli *cli) {
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int D = ds.dim, n_test = ds.n_test, n_train = ds.n_train, dz = 8;
    const float *train = ds.train, *test = ds.test;
    GenModel vae, bvae;
    const int K = (int)cli_scale(cli, 20, 200, 1000);
    gm_vae_init(&vae, D, dz, 1.0, K, cli->seed, 10);
    gm_vae_init(&bvae, D, dz, 4.0, K, cli->seed, 20);
    check_true("L42.4.2.vae_caps", gm_check_caps(vae.vt), "VAE's vtable obeys the capability rule (log-likelihood a bound, not exact)");
    const GmVaeEval e0 = gm_vae_evaluate(&vae, test, n_test);
    const long steps = cli_scale(cli, 300, 3000, 12000);
    GmTrainConfig cfg = {.steps = steps, .batch = 128, .clip_norm = 1000.0, .label = "vae", .check_id = "L42.4.2.vae_train_finite"};
    Rng tr;
    rng_init(&tr, cli->seed, 30);
    GmTrainResult res = gm_train(&vae, train, n_train, &cfg, &tr);
    cfg.label = "beta-vae", cfg.check_id = "L42.4.2.bvae_train_finite";
    GmTrainResult bres = gm_train(&bvae, train, n_train, &cfg, &tr);
    printf("VAE: %ld parameters, loss %.2f -> %.2f; beta-VAE (beta=4): %.2f -> %.2f\n", gm_num_params(&vae),
           res.first_loss[0], res.avg_loss[0], bres.first_loss[0], bres.avg_loss[0]);
    const GmVaeEval e = gm_vae_evaluate(&vae, test, n_test), eb = gm_vae_evaluate(&bvae, test, n_test);
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
    GmVae *v = vae.self;
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
    free(ax), free(ay), free(tiles), free(z);
    digits_split_free(&ds);
    gm_free(&vae), gm_free(&bvae);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.2: VAE / beta-VAE: KL sign, reparameterisation, exact linear-Gaussian ELBO/IWAE, digits", 4203, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_kl(&cli);
    section_reparam(&cli);
    section_linear_gaussian(&cli);
    section_digits(&cli);
    return check_end();
}
