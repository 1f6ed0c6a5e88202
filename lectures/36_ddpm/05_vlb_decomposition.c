/*: # L36 3.4–3.5 — The variational bound of DDPM, term by term

**Lecture 36, §3.4** (the ELBO of the diffusion latent-variable model, its decomposition
$L_\text{VLB} = L_T + \sum_{t\ge2}L_{t-1} + L_0$) and the Gaussian KL of **§3.5**.

The bound is evaluated exactly where everything is Gaussian: one-dimensional data
$x_0\sim\mathcal N(m, s^2)$ with $m = 1$, $s^2 = 0.25$, the linear schedule ($T = 1000$) and the
Bayes-optimal noise predictor ("oracle") $\hat\epsilon(x_t, t) = \mathbb E[\epsilon\mid x_t]$, with the
two reverse variances $\sigma_t^2 = \beta_t$ and $\sigma_t^2 = \tilde\beta_t$.

What you will see: the KL formula against quadrature; $L_T$ for $x_0 = (1, 2)$; the analytic
terms and their sum against the spec's numbers; a Monte-Carlo estimate of the *whole* bound
$\mathbb E_q[\log q(x_{1:T}\mid x_0) - \log p_\theta(x_{0:T})]$ from simulated trajectories, which
uses no KL and no decomposition, agreeing with the analytic sum within 4 standard errors; one
term checked alone by Monte Carlo; the per-trajectory telescoping identity behind the
decomposition; and the chain $-\text{VLB} \ge$ cross-entropy $\ge$ entropy with the model's
exact marginal $p_\theta(x_0)$. ERRATUM lines: the sign convention (E15), the dropped variance
constant (E16), the first line of the final expression (E14).
Figure `vlb_terms.png`: $L_{t-1}$ over $t$ for both variances.

Run: `build/release/bin/lectures/36_ddpm/05_vlb_decomposition [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\beta_t, \alpha_t, \bar\alpha_t, \tilde\beta_t$ | `s->beta`, `s->alpha`, `s->alpha_bar`, `diffusion_beta_tilde` | (T+1) |
| $m, s^2$ | `DATA_M`, `DATA_VAR` | scalars |
| $v_t = \bar\alpha_t s^2 + 1-\bar\alpha_t$ | `marginal_var(s, t)` | scalar |
| $\hat\epsilon(x_t, t)$ | `eps_oracle` | scalar |
| $\mu_\theta(x_t, t)$, $\sigma_t^2$ | `mu_theta`, `model_var` | scalars |
| $L_T, L_{t-1}, L_0$ | `Terms.l_T`, `Terms.l_mid[t]`, `Terms.l_0` | scalar, (T+1), scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000 };
enum { VAR_BETA, VAR_BTILDE, NVAR };
static const char *VAR_NAME[NVAR] = {"sigma^2 = beta", "sigma^2 = beta~"};
static const double DATA_M = 1.0, DATA_VAR = 0.25;

/*: ## 3.5 The KL divergence of two Gaussians

$$ D_\text{KL}\big(\mathcal N(\mu_1,\Sigma_1)\,\Vert\,\mathcal N(\mu_2,\Sigma_2)\big) = \tfrac12\Big(\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2-\mu_1)^\top\Sigma_2^{-1}(\mu_2-\mu_1) - k + \log\frac{\lvert\Sigma_2\rvert}{\lvert\Sigma_1\rvert}\Big) $$ {#eq:L36.3.5.kl_gauss}

for diagonal covariances (all the bound needs). Checked against quadrature of
$\int p\log(p/q)$ (`common/divergence.h`) and, in $k = 2$ dimensions, against the sum of the
one-dimensional closed forms of `common/divergence.h`.
*/
static double kl_gauss(int k, const double *mu1, const double *var1, const double *mu2,
                       const double *var2) {
    double tr = 0.0, quad = 0.0, logdet = 0.0;
    for (int i = 0; i < k; i++) {
        //: trace, Mahalanobis and log-determinant terms of [eq:L36.3.5.kl_gauss]
        tr += var1[i] / var2[i];
        quad += (mu2[i] - mu1[i]) * (mu2[i] - mu1[i]) / var2[i];
        logdet += log(var2[i] / var1[i]);
    }
    return 0.5 * (tr + quad - k + logdet);
}

typedef struct {
    double mu, sd;
} Gauss1;

static double logpdf_cb(double x, void *ctx) {
    const Gauss1 *g = ctx;
    return gauss_logpdf_1d(x, g->mu, g->sd);
}

static void section_3_5_kl(const DiffusionSchedule *s) {
    const double m1 = 0.3, v1 = 0.01, m2 = 0.5, v2 = 0.02;
    Gauss1 p = {m1, sqrt(v1)}, q = {m2, sqrt(v2)};
    const double kl = kl_gauss(1, &m1, &v1, &m2, &v2);
    const double quad = kl_quadrature_1d(logpdf_cb, &p, logpdf_cb, &q, m1 - 12 * p.sd, m1 + 12 * p.sd, 64);
    check_close("L36.3.5.kl_formula_vs_quad", kl, quad, 1e-8, "L36.3.5.kl_gauss",
                "KL(N(0.3, 0.01) || N(0.5, 0.02)): formula vs quadrature of p log(p/q)");
    check_rel("L36.3.5.kl_reference", kl, 1.0965735903, 1e-9, "L36.3.5.kl_gauss",
              "the same KL against the spec's 1.0965735903");
    const double mu1[2] = {0.3, -1.0}, va1[2] = {0.01, 2.0}, mu2[2] = {0.5, 0.4}, va2[2] = {0.02, 0.7};
    const double sum1d = kl_gauss_1d(mu1[0], sqrt(va1[0]), mu2[0], sqrt(va2[0])) +
                         kl_gauss_1d(mu1[1], sqrt(va1[1]), mu2[1], sqrt(va2[1]));
    check_close("L36.3.5.kl_diag_k2", kl_gauss(2, mu1, va1, mu2, va2), sum1d, 1e-14, "L36.3.5.kl_gauss",
                "k = 2 diagonal KL = sum of the two 1-D KLs (common/divergence.h)");
    /* L_T for x0 = (1, 2): KL(q(x_T | x0) || N(0, I)) */
    const double x0[2] = {1.0, 2.0};
    double mT[2], vT[2], zero[2] = {0, 0}, one[2] = {1, 1}, lt_quad = 0.0;
    for (int i = 0; i < 2; i++) {
        mT[i] = sqrt(s->alpha_bar[T]) * x0[i], vT[i] = 1.0 - s->alpha_bar[T];
        Gauss1 a = {mT[i], sqrt(vT[i])}, b = {0.0, 1.0};
        lt_quad += kl_quadrature_1d(logpdf_cb, &a, logpdf_cb, &b, mT[i] - 14, mT[i] + 14, 200);
    }
    const double l_T = kl_gauss(2, mT, vT, zero, one);
    check_rel("L36.3.4.L_T_x0_12", l_T, 1.008966e-4, 1e-6, "L36.3.5.kl_gauss",
              "L_T = KL(q(x_T | x0=(1,2)) || N(0, I)) in nats (spec 3.4)");
    check_close("L36.3.4.L_T_vs_quad", l_T, lt_quad, 1e-11, "L36.3.5.kl_gauss",
                "L_T for x0 = (1, 2): formula vs quadrature, dimension by dimension");
}

/*: ## 3.4 The bound and its decomposition

With $p_\theta(x_{0:T}) = p(x_T)\prod_t p_\theta(x_{t-1}\mid x_t)$ and
$q(x_{1:T}\mid x_0) = \prod_t q(x_t\mid x_{t-1})$, Jensen's inequality gives

$$ -\log p_\theta(x_0) \le \mathbb E_q\Big[\log\frac{q(x_{1:T}\mid x_0)}{p_\theta(x_{0:T})}\Big] =: L_\text{VLB}. $$ {#eq:L36.3.4.vlb}

For $t\ge2$ Bayes' rule conditioned on $x_0$ (program 04) rewrites each forward factor,
$q(x_t\mid x_{t-1}) = q(x_{t-1}\mid x_t, x_0)\,q(x_t\mid x_0)/q(x_{t-1}\mid x_0)$, and the ratio
telescopes along the trajectory:

$$ q(x_{1:T}\mid x_0) = q(x_T\mid x_0)\prod_{t=2}^{T} q(x_{t-1}\mid x_t, x_0), $$ {#eq:L36.3.4.telescope}

so that

$$ L_\text{VLB} = \underbrace{D_\text{KL}(q(x_T|x_0)\Vert p(x_T))}_{L_T} + \sum_{t=2}^{T}\underbrace{D_\text{KL}(q(x_{t-1}|x_t,x_0)\Vert p_\theta(x_{t-1}|x_t))}_{L_{t-1}}\ \underbrace{-\log p_\theta(x_0|x_1)}_{L_0}. $$ {#eq:L36.3.4.decomposition}

$L_\text{VLB}$ is the *negative* ELBO, an upper bound on the negative log-likelihood; the lecture
calls it "VLB" (spec E15). Its first line of the final expression sums over $t = 1..T$ with no
$-\log q(x_T\mid x_0)$, which is wrong at both ends (the $t=1$ term is degenerate, $\tilde\beta_1 = 0$;
E14); the second line, the one above, is right.

**Gaussian data and the oracle.** $x_t\mid x_0$ and $x_0$ are jointly Gaussian, so
$q(x_t) = \mathcal N(\sqrt{\bar\alpha_t}m, v_t)$ with $v_t = \bar\alpha_t s^2 + 1-\bar\alpha_t$ and

$$ \hat\epsilon(x_t, t) = \mathbb E[\epsilon\mid x_t] = \frac{\sqrt{1-\bar\alpha_t}\,(x_t - \sqrt{\bar\alpha_t}m)}{v_t},\qquad
   \mu_\theta = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat\epsilon\Big). $$ {#eq:L36.3.4.oracle}

Averaged over $x_0$ and $x_t$, each term is then in closed form (with
$\mathbb E(\epsilon - \hat\epsilon)^2 = \mathrm{Var}(\epsilon\mid x_t) = \bar\alpha_t s^2/v_t$):

$$ L_T = \tfrac12\big[(1-\bar\alpha_T) + \bar\alpha_T(m^2+s^2) - 1 - \log(1-\bar\alpha_T)\big],\qquad
   L_0 = \tfrac12\log(2\pi\sigma_1^2) + \frac{s^2(1-\bar\alpha_1)/v_1}{2\sigma_1^2}, $$ {#eq:L36.3.4.terms_end}

$$ L_{t-1} = \tfrac12\Big[\frac{\tilde\beta_t}{\sigma_t^2} - 1 + \log\frac{\sigma_t^2}{\tilde\beta_t}\Big] + \frac{\beta_t^2}{2\sigma_t^2\alpha_t(1-\bar\alpha_t)}\cdot\frac{\bar\alpha_t s^2}{v_t}. $$ {#eq:L36.3.4.terms_mid}

For $\sigma_t^2 = \tilde\beta_t$ the variance bracket vanishes; the lecture's "$\Sigma_1 = \Sigma_2$"
assumes this, but with $\sigma_t^2 = \beta_t$ it is a θ-independent constant that does not
vanish (spec E16). At $t = 1$, $\tilde\beta_1 = 0$, so $\sigma_1^2 = \beta_1$ in both variants.
Both variances are carried through because the lecture itself is inconsistent about them: its
§1.1 table writes $\tilde\beta_t$, its reverse-step code uses $\beta_t$ (spec E5).
*/
static double marginal_var(const DiffusionSchedule *s, int t) {
    return s->alpha_bar[t] * DATA_VAR + 1.0 - s->alpha_bar[t];
}

static double eps_oracle(const DiffusionSchedule *s, int t, double xt) {
    //: $\hat\epsilon$ of [eq:L36.3.4.oracle]
    return sqrt(1.0 - s->alpha_bar[t]) * (xt - sqrt(s->alpha_bar[t]) * DATA_M) / marginal_var(s, t);
}

static double mu_theta(const DiffusionSchedule *s, int t, double xt) {
    const double e = eps_oracle(s, t, xt);
    double mu;
    //: $\mu_\theta$ of [eq:L36.3.4.oracle]
    diffusion_mean_from_eps(s, t, &xt, &e, &mu, 1);
    return mu;
}

static double model_var(const DiffusionSchedule *s, int t, int variant) {
    return (variant == VAR_BETA || t == 1) ? s->beta[t] : diffusion_beta_tilde(s, t);
}

typedef struct {
    double l_T, l_0, sum_mid, total, var_const;
    double l_mid[T + 1];
} Terms;

static Terms analytic_terms(const DiffusionSchedule *s, int variant) {
    Terms r = {0};
    const double aT = s->alpha_bar[T];
    //: $L_T$, [eq:L36.3.4.terms_end]
    r.l_T = 0.5 * ((1.0 - aT) + aT * (DATA_M * DATA_M + DATA_VAR) - 1.0 - log(1.0 - aT));
    for (int t = 2; t <= T; t++) {
        const double bt = diffusion_beta_tilde(s, t), sig2 = model_var(s, t, variant);
        const double ab = s->alpha_bar[t];
        //: $L_{t-1}$: variance bracket plus weighted oracle error, [eq:L36.3.4.terms_mid]
        const double var_part = 0.5 * (bt / sig2 - 1.0 + log(sig2 / bt));
        const double mean_part = s->beta[t] * s->beta[t] / (2.0 * sig2 * s->alpha[t] * (1.0 - ab)) *
                                 ab * DATA_VAR / marginal_var(s, t);
        r.l_mid[t] = var_part + mean_part;
        r.sum_mid += r.l_mid[t];
        r.var_const += var_part;
    }
    const double sig1 = model_var(s, 1, variant);
    //: $L_0$, [eq:L36.3.4.terms_end]
    r.l_0 = 0.5 * log(2.0 * M_PI * sig1) + DATA_VAR * (1.0 - s->alpha_bar[1]) / marginal_var(s, 1) / (2.0 * sig1);
    //: [eq:L36.3.4.decomposition]
    r.total = r.l_T + r.sum_mid + r.l_0;
    return r;
}

static void section_3_4_analytic(const DiffusionSchedule *s, Terms *terms) {
    const double ref_mid[NVAR] = {3.913260, 4.368516}, ref_total[NVAR] = {0.726904, 1.182160};
    const char *tag[NVAR] = {"beta", "btilde"};
    for (int v = 0; v < NVAR; v++) {
        terms[v] = analytic_terms(s, v);
        printf("%-16s L_T = %.6g  sum L_{t-1} = %.6f  L_0 = %.6f  -VLB = %.6f\n", VAR_NAME[v],
               terms[v].l_T, terms[v].sum_mid, terms[v].l_0, terms[v].total);
        char id[64];
        snprintf(id, sizeof id, "L36.3.4.sum_Lt_%s", tag[v]);
        check_rel(id, terms[v].sum_mid, ref_mid[v], 1e-6, "L36.3.4.terms_mid",
                  "sum over t = 2..T of L_{t-1}, %s, Gaussian data with the oracle (spec D7)", VAR_NAME[v]);
        snprintf(id, sizeof id, "L36.3.4.negVLB_%s", tag[v]);
        check_rel(id, terms[v].total, ref_total[v], 1e-6, "L36.3.4.decomposition",
                  "L_VLB = L_T + sum L_{t-1} + L_0, %s (spec D7)", VAR_NAME[v]);
    }
    check_rel("L36.3.4.L_T_gauss", terms[0].l_T, 2.52243e-5, 1e-5, "L36.3.4.terms_end",
              "L_T averaged over x0 ~ N(1, 0.25)");
    check_rel("L36.3.4.L_0", terms[0].l_0, -3.186382, 1e-6, "L36.3.4.terms_end",
              "L_0 = -E log p(x0 | x1) (sigma_1^2 = beta_1 in both variants)");
    check_erratum("L36.3.4.vlb_sign", terms[0].total, -terms[0].total,
                  "3.4 calls L_VLB = L_T + sum L + L_0 the 'VLB'; it is the negative ELBO (E15): "
                  "the bound on log p is %.6f (sigma^2 = beta)", -terms[0].total);
    check_erratum("L36.3.5.variance_constant", 0.0, terms[VAR_BETA].var_const,
                  "3.5 takes Sigma_1 = Sigma_2 (E16): true only for sigma^2 = beta~; with sigma^2 = beta "
                  "the variance brackets add this theta-independent constant to sum L_{t-1}");
    const double entropy_qT = 0.5 * log(2.0 * M_PI * M_E * (1.0 - s->alpha_bar[T]));
    check_erratum("L36.3.4.first_line", terms[0].total + entropy_qT, terms[0].total,
                  "3.4's first line of the final VLB has no -log q(x_T | x0) (E14): read as "
                  "-E[log p(x_T) + sum log p/q], it exceeds L_VLB by the entropy of q(x_T | x0)");
}

/*: ## 3.4 Monte Carlo: the whole bound from trajectories

Each trajectory draws $x_0\sim\mathcal N(m, s^2)$ and runs the forward chain to $x_T$ (one
random stream per trajectory), then adds up
$\log q(x_{1:T}\mid x_0) - \log p_\theta(x_{0:T}) = \sum_t \log q(x_t\mid x_{t-1}) - \log p(x_T) - \sum_t\log p_\theta(x_{t-1}\mid x_t)$,
the integrand of [eq:L36.3.4.vlb] — no KL, no decomposition. Its mean must equal the analytic
sum within 4 standard errors. The same trajectories check the telescoping identity
[eq:L36.3.4.telescope] on their first 100 members, exactly up to rounding.
(The spec's D6 writes this identity with an extra $+\log q(x_1\mid x_0)$; the product above has
no such factor, and a direct evaluation confirms it — the extra term would leave a gap of
$|\log q(x_1\mid x_0)|\approx 3.7$.)
*/
static void section_3_4_monte_carlo(const Cli *cli, const DiffusionSchedule *s, const Terms *terms) {
    const long n = cli_scale(cli, 500, 20000, 100000);
    double *sample[NVAR];
    for (int v = 0; v < NVAR; v++) sample[v] = xmalloc((size_t)n * sizeof(double));
    static double x[T + 1];
    double tele_err = 0.0, d6_gap = 0.0;
    for (long i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        x[0] = DATA_M + sqrt(DATA_VAR) * rng_normal(&r);
        double log_q = 0.0;
        for (int t = 1; t <= T; t++) {
            x[t] = sqrt(s->alpha[t]) * x[t - 1] + sqrt(s->beta[t]) * rng_normal(&r);
            log_q += gauss_logpdf_1d(x[t], sqrt(s->alpha[t]) * x[t - 1], sqrt(s->beta[t]));
        }
        for (int v = 0; v < NVAR; v++) {
            double log_p = gauss_logpdf_1d(x[T], 0.0, 1.0);
            for (int t = 1; t <= T; t++)
                log_p += gauss_logpdf_1d(x[t - 1], mu_theta(s, t, x[t]), sqrt(model_var(s, t, v)));
            //: integrand of [eq:L36.3.4.vlb]
            sample[v][i] = log_q - log_p;
        }
        if (i < 100) {
            //: [eq:L36.3.4.telescope]
            double rhs = gauss_logpdf_1d(x[T], sqrt(s->alpha_bar[T]) * x[0], sqrt(1.0 - s->alpha_bar[T]));
            for (int t = 2; t <= T; t++) {
                double mu;
                diffusion_posterior_mean(s, t, &x[0], &x[t], &mu, 1);
                rhs += gauss_logpdf_1d(x[t - 1], mu, sqrt(diffusion_beta_tilde(s, t)));
            }
            tele_err = fmax(tele_err, fabs(log_q - rhs));
            const double lq1 = gauss_logpdf_1d(x[1], sqrt(s->alpha_bar[1]) * x[0], sqrt(1.0 - s->alpha_bar[1]));
            d6_gap = fmax(d6_gap, fabs(lq1));
        }
    }
    check_close("L36.3.4.telescoping_per_traj", tele_err, 0.0, 1e-8, "L36.3.4.telescope",
                "max over 100 trajectories |log q(x_1:T|x0) - log q(x_T|x0) - sum_t log q(x_{t-1}|x_t,x0)| "
                "(sums of 1000 terms)");
    printf("the spec's D6 form (with + log q(x_1 | x0)) would miss by up to %.3f on these trajectories\n", d6_gap);
    const char *tag[NVAR] = {"beta", "btilde"};
    for (int v = 0; v < NVAR; v++) {
        double se, mean = stats_mean_se(sample[v], (size_t)n, &se);
        char id[64];
        snprintf(id, sizeof id, "L36.3.4.mc_negVLB_%s", tag[v]);
        check_mc(id, mean, terms[v].total, se, 4.0, n, "L36.3.4.vlb",
                 "E_q[log q(x_1:T|x0) - log p(x_0:T)] from simulated trajectories vs the analytic sum, %s",
                 VAR_NAME[v]);
        free(sample[v]);
    }
}

/*: ## 3.4 One term alone, by Monte Carlo

At $t = 500$ the expectation of the pointwise KL between $q(x_{t-1}\mid x_t, x_0)$ and
$p_\theta(x_{t-1}\mid x_t)$, over $x_0\sim\mathcal N(m, s^2)$ and $x_t\sim q(x_t\mid x_0)$, computed with
[eq:L36.3.5.kl_gauss], must equal the closed form [eq:L36.3.4.terms_mid].
*/
static void section_3_4_single_term(const Cli *cli, const DiffusionSchedule *s, const Terms *terms) {
    const int t = 500;
    const long n = cli_scale(cli, 20000, 200000, 2000000);
    double *kl = xmalloc((size_t)n * sizeof(double));
    const char *tag[NVAR] = {"beta", "btilde"};
    for (int v = 0; v < NVAR; v++) {
        for (long i = 0; i < n; i++) {
            Rng r;
            rng_init(&r, cli->seed + 1, (uint64_t)i);
            const double x0 = DATA_M + sqrt(DATA_VAR) * rng_normal(&r);
            const double eps = rng_normal(&r);
            double xt, mu;
            diffusion_q_sample(s, t, &x0, &eps, &xt, 1);
            diffusion_posterior_mean(s, t, &x0, &xt, &mu, 1);
            const double bt = diffusion_beta_tilde(s, t), mt = mu_theta(s, t, xt), sig2 = model_var(s, t, v);
            kl[i] = kl_gauss(1, &mu, &bt, &mt, &sig2);
        }
        double se, mean = stats_mean_se(kl, (size_t)n, &se);
        char id[64];
        snprintf(id, sizeof id, "L36.3.4.mc_term_t500_%s", tag[v]);
        check_mc(id, mean, terms[v].l_mid[t], se, 4.0, n, "L36.3.4.terms_mid",
                 "mean pointwise KL at t = 500 over (x0, x_t) vs closed-form L_499, %s", VAR_NAME[v]);
    }
    free(kl);
}

/*: ## 3.4 The bound chain: $L_\text{VLB} \ge$ cross-entropy $\ge$ entropy

With the oracle, $\mu_\theta$ is affine in $x_t$, so ancestral sampling from $x_T\sim\mathcal N(0,1)$
keeps a Gaussian: mean $\leftarrow A_t\,\text{mean} + B_t$, variance $\leftarrow A_t^2\,\text{var} + \sigma_t^2$,
with $A_t, B_t$ read off $\mu_\theta$ itself. The model's marginal $p_\theta(x_0) = \mathcal N(M, V)$
gives the cross-entropy $H(q, p_\theta) = \tfrac12\log 2\pi V + \frac{(m-M)^2 + s^2}{2V}$, which must lie
between $L_\text{VLB}$ (a bound on it) and the data entropy $H(q) = \tfrac12\log 2\pi e s^2$.
*/
static void section_3_4_bound_chain(const DiffusionSchedule *s, const Terms *terms) {
    const double ref_M = 0.99998991, ref_V[NVAR] = {0.25085208, 0.24622521}, ref_ce[NVAR] = {0.725794, 0.725850};
    const double entropy = 0.5 * log(2.0 * M_PI * M_E * DATA_VAR);
    check_rel("L36.3.4.data_entropy", entropy, 0.725791, 1e-6, NULL, "H(N(1, 0.25)) = 0.5 log(2 pi e / 4)");
    const char *tag[NVAR] = {"beta", "btilde"};
    for (int v = 0; v < NVAR; v++) {
        double mean = 0.0, var = 1.0;
        for (int t = T; t >= 1; t--) {
            const double B = mu_theta(s, t, 0.0), A = mu_theta(s, t, 1.0) - B;
            mean = A * mean + B;
            var = A * A * var + model_var(s, t, v);
        }
        const double ce = 0.5 * log(2.0 * M_PI * var) + ((DATA_M - mean) * (DATA_M - mean) + DATA_VAR) / (2.0 * var);
        printf("%-16s p_theta(x0) = N(%.8f, %.8f), cross-entropy %.6f\n", VAR_NAME[v], mean, var, ce);
        char id[64];
        snprintf(id, sizeof id, "L36.3.4.model_mean_%s", tag[v]);
        check_rel(id, mean, ref_M, 1e-7, NULL, "mean of the model marginal p_theta(x0), %s", VAR_NAME[v]);
        snprintf(id, sizeof id, "L36.3.4.model_var_%s", tag[v]);
        check_rel(id, var, ref_V[v], 1e-7, NULL, "variance of p_theta(x0), %s", VAR_NAME[v]);
        snprintf(id, sizeof id, "L36.3.4.cross_entropy_%s", tag[v]);
        check_rel(id, ce, ref_ce[v], 1e-6, NULL, "cross-entropy H(q, p_theta), %s", VAR_NAME[v]);
        snprintf(id, sizeof id, "L36.3.4.vlb_ge_ce_%s", tag[v]);
        check_ge(id, terms[v].total - ce, 0.0, 0.0, "L36.3.4.vlb", "L_VLB - H(q, p_theta) >= 0, %s", VAR_NAME[v]);
        snprintf(id, sizeof id, "L36.3.4.ce_ge_entropy_%s", tag[v]);
        check_ge(id, ce - entropy, 0.0, 0.0, NULL, "H(q, p_theta) - H(q) = KL(q || p_theta) >= 0, %s", VAR_NAME[v]);
    }
}

static void figure(const Cli *cli, const Terms *terms) {
    static double tt[T - 1], y[NVAR][T - 1];
    for (int t = 2; t <= T; t++) {
        tt[t - 2] = t;
        for (int v = 0; v < NVAR; v++) y[v][t - 2] = terms[v].l_mid[t];
    }
    Plot *p = plot_new(900, 520, "3.4: L_{t-1} per step, Gaussian data N(1, 0.25), oracle eps");
    for (int v = 0; v < NVAR; v++) plot_line(p, tt, y[v], T - 1, VAR_NAME[v]);
    plot_ylog(p, 1);
    plot_xlabel(p, "t"), plot_ylabel(p, "L_{t-1} (nats)");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "vlb_terms.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.4-3.5: the DDPM bound, analytic terms vs Monte Carlo, bound chain", 36, NULL);
    DiffusionSchedule sched = diffusion_schedule_linear(T, 1e-4, 0.02);
    static Terms terms[NVAR];
    section_3_5_kl(&sched);
    section_3_4_analytic(&sched, terms);
    section_3_4_monte_carlo(&cli, &sched, terms);
    section_3_4_single_term(&cli, &sched, terms);
    section_3_4_bound_chain(&sched, terms);
    figure(&cli, terms);
    diffusion_schedule_free(&sched);
    return check_end();
}
