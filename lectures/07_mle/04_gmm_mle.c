/*: # L07 Z5.4 — Maximum likelihood for a two-component Gaussian mixture

**Lecture 7, Part 2, section Z5.4** (with the mixture part of Z5.15, the implementation
challenge Z5b.5 "gradient MLE vs EM", the identifiability remark of Z6.4 and the Z7
comprehension question "what if K is too large?").

A 1-D mixture $p_\theta(x) = \pi_1\mathcal N(x\mid\mu_1,\sigma_1^2) + \pi_2\mathcal N(x\mid\mu_2,\sigma_2^2)$
is fitted by minimising its negative log-likelihood with L-BFGS (`common/lbfgs.h`), in an
unconstrained parameterisation (a logit for $\pi_1$, $\log\sigma_k$ for the scales) and with a
log-sum-exp over the components so that no density ever underflows. The same fit is then done by
EM, and the two are compared iteration by iteration.

What you will see: the fitted weights, means and scales against the generating ones; the
gradient checked against finite differences; the naive $\log(\pi_1\mathcal N_1 + \pi_2\mathcal N_2)$
failing at $x = 50$; the number of iterations L-BFGS and EM need; EM's monotone ascent; label
switching and the symmetric saddle that traps a deterministic optimiser started at
$\mu_1 = \mu_2$ (an erratum of Z5b.5); the unbounded likelihood of a component collapsing onto
one data point; and BIC choosing $K = 2$ while the likelihood alone always prefers more
components. Figures: `gmm_fit.png` (histogram of the data with the fitted mixture and its
weighted components), `lbfgs_vs_em.png` ($\ell^* - \ell_t$ against the iteration, log scale).

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/04_gmm_mle [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_i$, $N$ | `x`, `n` | (N), scalar |
| $\theta = (a, \mu_1, \log\sigma_1, \mu_2, \log\sigma_2)$ | `theta` | (5) |
| $\pi_1 = \operatorname{sigmoid}(a)$, $\pi_2 = 1 - \pi_1$ | `log_pi1`, `log_pi2` (logs) | scalars |
| $r_{ki}$ (responsibilities) | `r1`, `r2` | scalars per point |
| $\mathrm{NLL}(\theta) = -\ell(\theta)$ | return value of `gmm_nll` | scalar |
| $w_k, \mu_k, \sigma_k$ (EM, $K$ components) | `Mix1d.w`, `.mu`, `.sd` | (K) |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/mix1d_em.h"
#include "common/cli.h"
#include "common/lbfgs.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { NP = 5, KMAX = MIX1D_KMAX, MAX_TRACE = 6000 };
enum { P_LOGIT, P_MU1, P_LOGSD1, P_MU2, P_LOGSD2 };
static const double HALF_LOG_2PI = 0.91893853320467274178;

/*: ## The objective: a log-sum-exp over components

$$ \mathrm{NLL}(\theta) = -\sum_{i=1}^N \operatorname{lse}_k\big[\log\pi_k + \log\mathcal N(x_i\mid\mu_k,\sigma_k^2)\big],\qquad
   \log\mathcal N(x\mid\mu,\sigma^2) = -\tfrac12 z^2 - \log\sigma - \tfrac12\log 2\pi,\ z = \frac{x-\mu}{\sigma} $$ {#eq:L07.Z5.4.nll}

The parameters are unconstrained: $\pi_1 = \operatorname{sigmoid}(a)$ (so
$\log\pi_1 = \log\operatorname{sigmoid}(a)$, $\log\pi_2 = \log\operatorname{sigmoid}(-a)$, both
computed without forming $\pi$), and $\sigma_k = e^{\log\sigma_k} > 0$ whatever the optimiser does.

**Gradient.** With the responsibilities $r_{ki} = \operatorname{softmax}_k(\log\pi_k + \log\mathcal N_{ki})$,

$$ \frac{\partial\,\mathrm{NLL}}{\partial a} = -\sum_i (r_{1i} - \pi_1),\quad
   \frac{\partial\,\mathrm{NLL}}{\partial \mu_k} = -\sum_i r_{ki}\frac{z_{ki}}{\sigma_k},\quad
   \frac{\partial\,\mathrm{NLL}}{\partial \log\sigma_k} = -\sum_i r_{ki}(z_{ki}^2 - 1) $$ {#eq:L07.Z5.4.grad}

(differentiate $\log\sum_k e^{\ell_k}$: each $\ell_k$ enters with weight $r_k$; then
$\partial\log\operatorname{sigmoid}(a)/\partial a = 1 - \pi_1$ and
$\partial\log\operatorname{sigmoid}(-a)/\partial a = -\pi_1$ combine to $r_1 - \pi_1$).
*/
typedef struct {
    const double *x;
    int n;
    double trace[MAX_TRACE]; /* NLL after each L-BFGS iteration (trace[0]: the start) */
    int trace_len;
} GmmData;

static double log_normal(double x, double mu, double log_sd) {
    const double z = (x - mu) * exp(-log_sd);
    //: $\log\mathcal N = -\frac12 z^2 - \log\sigma - \frac12\log 2\pi$, eq. [eq:L07.Z5.4.nll]
    return -0.5 * z * z - log_sd - HALF_LOG_2PI;
}

static double gmm_nll(const double *theta, double *grad, void *ctx) {
    const GmmData *d = ctx;
    const double log_pi1 = log_sigmoid(theta[P_LOGIT]), log_pi2 = log_sigmoid(-theta[P_LOGIT]);
    const double pi1 = sigmoid(theta[P_LOGIT]);
    const double inv_sd1 = exp(-theta[P_LOGSD1]), inv_sd2 = exp(-theta[P_LOGSD2]);
    double nll = 0.0, g[NP] = {0};
    for (int i = 0; i < d->n; i++) {
        const double z1 = (d->x[i] - theta[P_MU1]) * inv_sd1;
        const double z2 = (d->x[i] - theta[P_MU2]) * inv_sd2;
        //: $\ell_{ki} = \log\pi_k + \log\mathcal N(x_i\mid\mu_k,\sigma_k^2)$, [eq:L07.Z5.4.nll]
        const double ell[2] = {log_pi1 + log_normal(d->x[i], theta[P_MU1], theta[P_LOGSD1]),
                               log_pi2 + log_normal(d->x[i], theta[P_MU2], theta[P_LOGSD2])};
        //: $-\log p_\theta(x_i) = -\operatorname{lse}(\ell_{1i}, \ell_{2i})$, eq. [eq:L07.Z5.4.nll]
        const double lse = logsumexp(ell, 2);
        nll -= lse;
        if (!grad) continue;
        //: $r_{ki} = \operatorname{softmax}_k(\ell_{ki})$
        const double r1 = exp(ell[0] - lse), r2 = exp(ell[1] - lse);
        //: $\partial/\partial a = -\sum_i (r_{1i} - \pi_1)$, [eq:L07.Z5.4.grad]
        g[P_LOGIT] -= r1 - pi1;
        //: $\partial/\partial\mu_k = -\sum_i r_{ki} z_{ki}/\sigma_k$, [eq:L07.Z5.4.grad]
        g[P_MU1] -= r1 * z1 * inv_sd1;
        g[P_MU2] -= r2 * z2 * inv_sd2;
        //: $\partial/\partial\log\sigma_k = -\sum_i r_{ki}(z_{ki}^2 - 1)$, [eq:L07.Z5.4.grad]
        g[P_LOGSD1] -= r1 * (z1 * z1 - 1.0);
        g[P_LOGSD2] -= r2 * (z2 * z2 - 1.0);
    }
    if (grad) memcpy(grad, g, sizeof g);
    return nll;
}

/* The same NLL "as the formula says": log of the sum of densities (no log-sum-exp). */
static double gmm_nll_naive(const double *theta, const double *x, int n) {
    const double pi1 = sigmoid(theta[P_LOGIT]);
    double nll = 0.0;
    for (int i = 0; i < n; i++)
        //: $-\log(\pi_1\mathcal N_1 + \pi_2\mathcal N_2)$ as written, without the log-sum-exp
        nll -= log(pi1 * exp(log_normal(x[i], theta[P_MU1], theta[P_LOGSD1])) +
                   (1.0 - pi1) * exp(log_normal(x[i], theta[P_MU2], theta[P_LOGSD2])));
    return nll;
}

static void record_progress(int iteration, const double *theta, double f, void *ctx) {
    (void)theta;
    GmmData *d = ctx;
    if (iteration < MAX_TRACE) {
        d->trace[iteration] = f;
        d->trace_len = iteration + 1;
    }
}

static LbfgsResult fit_lbfgs(GmmData *d, double *theta) {
    LbfgsConfig cfg = lbfgs_default_config();
    cfg.max_iter = 500;            /* the lecture's max_iter */
    cfg.grad_tol = 1e-7 * d->n;    /* on the summed NLL: 1e-7 per data point */
    cfg.f_rel_tol = 1e-13;         /* |dNLL| below ~1e-12 N (NLL/N is about 2) */
    cfg.progress = record_progress;
    d->trace[0] = gmm_nll(theta, NULL, d);
    d->trace_len = 1;
    return lbfgs_minimize(gmm_nll, d, theta, NP, &cfg);
}

/*: ## EM for a 1-D mixture of K Gaussians

The alternative the lecture leaves to Lecture 8. With $r_{ki}$ computed at the current
parameters (E-step, a softmax in log space as above), the M-step maximises the expected
complete-data log-likelihood in closed form:

$$ N_k = \sum_i r_{ki},\quad w_k = \frac{N_k}{N},\quad \mu_k = \frac{1}{N_k}\sum_i r_{ki}x_i,\quad
   \sigma_k^2 = \frac1{N_k}\sum_i r_{ki}(x_i - \mu_k)^2 $$ {#eq:L07.Z5b.5.em_update}

By Jensen's inequality each step can only increase $\ell$ (the ELBO argument of Z7.3):
$\ell(\theta_{t+1}) \ge \ell(\theta_t)$.
*/
/* The EM step and loop are mix1d_em_step and mix1d_em_fit of common/mix1d_em.c (13 uses them too). */
static void theta_to_mix(const double *theta, Mix1d *m) {
    m->k = 2;
    m->w[0] = sigmoid(theta[P_LOGIT]);
    m->w[1] = sigmoid(-theta[P_LOGIT]);
    m->mu[0] = theta[P_MU1];
    m->mu[1] = theta[P_MU2];
    m->sd[0] = exp(theta[P_LOGSD1]);
    m->sd[1] = exp(theta[P_LOGSD2]);
}

/*: ## Identifiability: label switching (Z6.4)

Exchanging the two components, $(a, \mu_1, \log\sigma_1, \mu_2, \log\sigma_2) \mapsto
(-a, \mu_2, \log\sigma_2, \mu_1, \log\sigma_1)$, gives the same density, so the likelihood has
(at least) two global maxima and its parameters are identifiable only up to a permutation:

$$ \mathrm{NLL}(a, \mu_1, s_1, \mu_2, s_2) = \mathrm{NLL}(-a, \mu_2, s_2, \mu_1, s_1) $$ {#eq:L07.Z6.4.label_switch}
*/
static void swap_labels(const double *theta, double *swapped) {
    //: eq. [eq:L07.Z6.4.label_switch]
    swapped[P_LOGIT] = -theta[P_LOGIT];
    swapped[P_MU1] = theta[P_MU2];
    swapped[P_LOGSD1] = theta[P_LOGSD2];
    swapped[P_MU2] = theta[P_MU1];
    swapped[P_LOGSD2] = theta[P_LOGSD1];
}

static double sample_sd_pop(const double *x, int n) { /* ddof 0 */
    double mean = 0.0, var;
    stats_mean_var(x, (size_t)n, &mean, &var);
    return sqrt(var * (n - 1) / n);
}

/* Natural parameters (pi1, mu1, sd1, mu2, sd2) of theta, for comparisons with EM. */
static void natural(const double *theta, double *out) {
    out[0] = sigmoid(theta[P_LOGIT]);
    out[1] = theta[P_MU1];
    out[2] = exp(theta[P_LOGSD1]);
    out[3] = theta[P_MU2];
    out[4] = exp(theta[P_LOGSD2]);
}

enum { NA = 500, NA1 = 300, NB = 500, NB1 = 250 };
static double xa[NA], xb[NB]; /* data A (Z5.4) and data B (Z5b.5) */
static GmmData da, db;        /* the same, with room for the L-BFGS trace */
/* the lecture's start and the generating parameters, in (a, mu1, log s1, mu2, log s2) */
static const double theta0[NP] = {0.0, -2.0, 0.0, 2.0, 0.0};

/* The L-BFGS and EM fits of data A, shared by the later sections and the figures. */
typedef struct {
    double theta[NP], nat[NP]; /* the L-BFGS MLE, and in (pi1, mu1, s1, mu2, s2) */
    LbfgsResult res;
    int em_iters;
    double em_loglik, l_star;
    double em_trace[MAX_TRACE];
} Fits;

/*: ## Z5.4 / Z5b.5 Data

Z5.4: 300 draws of $\mathcal N(-3, 1)$ followed by 200 of $\mathcal N(3, 1)$ (data A, $N = 500$;
the split is fixed, so $\hat\pi_1$ differs from 0.6 only through the overlap of the
components). Z5b.5: 250 + 250 draws (data B, "equal weights", the split fixed for
determinism). The lecture's PyTorch streams cannot be reproduced; ours are Philox streams
0 and 1 of the seed.
*/
static void make_data(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    for (int i = 0; i < NA; i++) xa[i] = rng_normal(&rng) + (i < NA1 ? -3.0 : 3.0);
    rng_init(&rng, cli->seed, 1);
    for (int i = 0; i < NB; i++) xb[i] = rng_normal(&rng) + (i < NB1 ? -3.0 : 3.0);
    da.x = xa;
    da.n = NA;
    db.x = xb;
    db.n = NB;
}

/*: ## Z5.4 The gradient, checked by central differences

At the lecture's start $\theta_0 = (0, -2, 0, 2, 0)$ (i.e. $\pi_1 = 0.5$, $\mu = \mp 2$,
$\sigma = 1$), each component of eq. [eq:L07.Z5.4.grad] against
$(\mathrm{NLL}(\theta + he_j) - \mathrm{NLL}(\theta - he_j))/2h$, $h = 10^{-5}$
(truncation $O(h^2)$, rounding about $10^{-16}\,\mathrm{NLL}/h \approx 10^{-8}$).
*/
static void gradient_check(void) {
    double grad[NP], fd_err = 0.0, grad_scale = 0.0;
    gmm_nll(theta0, grad, &da);
    for (int j = 0; j < NP; j++) {
        const double h = 1e-5;
        double tp[NP], tm[NP];
        memcpy(tp, theta0, sizeof tp);
        memcpy(tm, theta0, sizeof tm);
        tp[j] += h;
        tm[j] -= h;
        //: $(\mathrm{NLL}(\theta + he_j) - \mathrm{NLL}(\theta - he_j))/2h$
        const double fd = (gmm_nll(tp, NULL, &da) - gmm_nll(tm, NULL, &da)) / (2.0 * h);
        fd_err = fmax(fd_err, fabs(fd - grad[j]));
        grad_scale = fmax(grad_scale, fabs(grad[j]));
    }
    check_le("L07.Z5.4.grad_fd", fd_err / grad_scale, 1e-6, 0.0, "L07.Z5.4.grad",
             "max |analytic - central FD| / max |grad| at theta0 = (0, -2, 0, 2, 0)");
}

/*: ## Z5.15 Why the log-sum-exp

On data A every density is moderate, so the naive $\log(\pi_1\mathcal N_1 + \pi_2\mathcal N_2)$
agrees with the log-sum-exp. Far in a tail it does not: at $x = 50$ with
$\pi = (0.6, 0.4)$, $\mu = \mp 3$, $\sigma = 1$ both densities are below $e^{-1100}$, which
is 0 in double precision, and the naive log is $-\infty$. The log-sum-exp gives
$\log 0.4 - 47^2/2 - \tfrac12\log 2\pi = -1106.3352292651$ (reference from spec L07 Z5.15,
check 04.3; the first component contributes $e^{-298}$ relative to the second).
*/
static void why_log_sum_exp(void) {
    const double nll0 = gmm_nll(theta0, NULL, &da);
    check_rel("L07.Z5.15.naive_equals_lse", gmm_nll_naive(theta0, xa, NA), nll0, 1e-12,
              "L07.Z5.4.nll", "naive log of the mixture density equals the log-sum-exp on data A");
    const double theta_true[NP] = {log(0.6 / 0.4), -3.0, 0.0, 3.0, 0.0};
    const double x_far = 50.0;
    GmmData far = {.x = &x_far, .n = 1};
    const double naive_far = -gmm_nll_naive(theta_true, &x_far, 1);
    const double lse_far = -gmm_nll(theta_true, NULL, &far);
    printf("log p(50): naive %g (both densities underflow), log-sum-exp %.10f\n", naive_far, lse_far);
    check_close("L07.Z5.15.lse_far_tail", lse_far, -1106.3352292651, 1e-9, "L07.Z5.4.nll",
                "log-sum-exp log p(50) = log 0.4 - 47^2/2 - log(2 pi)/2");
}

/*: ## Z5.4 Maximum likelihood by L-BFGS

The lecture calls `torch.optim.LBFGS(max_iter=500, line_search_fn="strong_wolfe")`; here
`lbfgs_minimize` with memory 10, the strong Wolfe line search, at most 500 iterations,
and stopping when $\lVert\nabla\mathrm{NLL}\rVert_\infty < 10^{-7}N$ or the relative change
of NLL is below $10^{-13}$ (about $10^{-12}N$ in absolute terms).
*/
static void lbfgs_fit(Fits *F) {
    const double nll0 = gmm_nll(theta0, NULL, &da);
    memcpy(F->theta, theta0, sizeof F->theta);
    F->res = fit_lbfgs(&da, F->theta);
    natural(F->theta, F->nat);
    printf("L-BFGS: %s after %d iterations (%d evaluations); NLL/N %.6f -> %.6f\n",
           lbfgs_status_name(F->res.status), F->res.iterations, F->res.evaluations, nll0 / NA, F->res.f / NA);
    printf("pi1=%.3f, mu1=%.3f, s1=%.3f / pi2=%.3f, mu2=%.3f, s2=%.3f\n", F->nat[0], F->nat[1], F->nat[2],
           1.0 - F->nat[0], F->nat[3], F->nat[4]);
    check_true("L07.Z5.4.lbfgs_converged", lbfgs_converged(F->res.status) && F->res.iterations <= 500,
               "L-BFGS from theta0 converged within 500 iterations (%s, %d iterations)",
               lbfgs_status_name(F->res.status), F->res.iterations);
    check_le("L07.Z5.4.nll_decreased", F->res.f, nll0, 0.0, "L07.Z5.4.nll",
             "NLL at the fit <= NLL at theta0 (%.4f)", nll0);
    const double theta_true[NP] = {log(0.6 / 0.4), -3.0, 0.0, 3.0, 0.0};
    const double nll_true = gmm_nll(theta_true, NULL, &da);
    check_le("L07.Z5.4.nll_below_truth", F->res.f, nll_true, 1e-9, "L07.Z5.4.nll",
             "NLL at the MLE <= NLL at the generating parameters (%.4f)", nll_true);
    /* the lecture's expected values with the spec's tolerances (04.6): about 4 standard errors
       for the means (1/sqrt(300)) and scales (1/sqrt(600)); pi1 moves only through the overlap */
    check_close("L07.Z5.4.pi1", F->nat[0], 0.6, 0.03, NULL, "pi1 near the lecture's 0.6");
    check_close("L07.Z5.4.mu1", F->nat[1], -3.0, 0.25, NULL, "mu1 near the lecture's -3");
    check_close("L07.Z5.4.sd1", F->nat[2], 1.0, 0.2, NULL, "s1 near the lecture's 1");
    check_close("L07.Z5.4.mu2", F->nat[3], 3.0, 0.3, NULL, "mu2 near the lecture's 3");
    check_close("L07.Z5.4.sd2", F->nat[4], 1.0, 0.25, NULL, "s2 near the lecture's 1");
    /* the MLE against each cluster's own sample mean and ddof-0 sd (the labels are known) */
    double m1, v1, m2, v2;
    stats_mean_var(xa, NA1, &m1, &v1);
    stats_mean_var(xa + NA1, NA - NA1, &m2, &v2);
    const double cluster_err = fmax(fmax(fabs(F->nat[1] - m1), fabs(F->nat[3] - m2)),
                                    fmax(fabs(F->nat[2] - sample_sd_pop(xa, NA1)),
                                         fabs(F->nat[4] - sample_sd_pop(xa + NA1, NA - NA1))));
    check_close("L07.Z5.4.cluster_stats", cluster_err, 0.0, 0.08, NULL,
                "max |MLE mean/sd - per-cluster sample mean/sd| (clusters overlap slightly)");
}

/*: ## Z5b.5 The same fit by EM, and EM's monotone ascent

EM from the same start, iterated until $|\ell_{t+1} - \ell_t| < 10^{-10}$; every step must
satisfy $\ell_{t+1} - \ell_t \ge 0$ (to rounding, $-10^{-9}$), and the optimum must be the
one L-BFGS found. EM converges linearly, at a rate set by the fraction of information that
the unobserved labels carry; the two clusters here barely overlap, the labels are almost
known, and EM needs only a handful of steps (`lbfgs_vs_em.png`). With overlapping
components, or superfluous ones (the BIC section), EM slows to hundreds of steps.
*/
static void em_fit_section(Fits *F) {
    Mix1d em;
    theta_to_mix(theta0, &em);
    double em_min_increase;
    F->em_iters = mix1d_em_fit(&em, xa, NA, 1e-10, MAX_TRACE - 1, F->em_trace, MAX_TRACE, &F->em_loglik,
                                &em_min_increase);
    const double em_nat[NP] = {em.w[0], em.mu[0], em.sd[0], em.mu[1], em.sd[1]};
    printf("EM: %d iterations to |dl| < 1e-10; l = %.8f (L-BFGS: %.8f)\n", F->em_iters, F->em_loglik,
           -F->res.f);
    check_ge("L07.Z5b.5.em_monotone", em_min_increase, 0.0, 1e-9, "L07.Z5b.5.em_update",
             "min over EM steps of l_{t+1} - l_t (Jensen: never negative)");
    check_close("L07.Z5b.5.em_same_optimum", stats_max_abs_diff(em_nat, F->nat, NP), 0.0, 1e-5,
                "L07.Z5b.5.em_update", "max |EM - L-BFGS| over (pi1, mu1, s1, mu2, s2)");

    /* Iterations to reach l* - l_t < 1e-6 (the lecture's "res.nit" question). */
    F->l_star = fmax(-F->res.f, F->em_loglik);
    int lb_hit = -1, em_hit = -1;
    for (int t = 0; t < da.trace_len && lb_hit < 0; t++)
        if (F->l_star + da.trace[t] < 1e-6) lb_hit = t;
    for (int t = 0; t <= F->em_iters && t < MAX_TRACE && em_hit < 0; t++)
        if (F->l_star - F->em_trace[t] < 1e-6) em_hit = t;
    /* l* is the better of the two results, so "both reach it" cannot fail: printed, not checked
       (em_same_optimum above is the check that they agree) */
    printf("iterations to l* - l_t < 1e-6: L-BFGS %d (%d evaluations in total), EM %d\n", lb_hit,
           F->res.evaluations, em_hit);
}

/*: ## Z6.4 Label switching

eq. [eq:L07.Z6.4.label_switch] at the start and at the MLE. The swapped MLE is a second
global maximum: the parameters of a mixture are identifiable only up to a permutation.
*/
static void label_switching(const Fits *F) {
    const double nll0 = gmm_nll(theta0, NULL, &da);
    double swapped[NP];
    swap_labels(theta0, swapped);
    check_rel("L07.Z6.4.label_switch_init", gmm_nll(swapped, NULL, &da), nll0, 1e-12,
              "L07.Z6.4.label_switch", "NLL(swap(theta0)) = NLL(theta0)");
    swap_labels(F->theta, swapped);
    check_rel("L07.Z6.4.label_switch_mle", gmm_nll(swapped, NULL, &da), F->res.f, 1e-12,
              "L07.Z6.4.label_switch", "NLL(swap(theta_MLE)) = NLL(theta_MLE): a second maximum");
}

/*: ## Z5b.5 The symmetric start is a trap

The lecture's table says that from $\mu_1 = \mu_2 = 0$ (all five parameters 0) the fit
ends at $(-3, 3)$ or $(3, -3)$. It cannot: at a point with identical components the two
responsibilities are exactly $\tfrac12$, the gradients of the two components are identical
and $\partial/\partial a = 0$, so every step of a deterministic optimiser keeps the
components identical. The fit converges to the symmetric *saddle* where both components
equal the single-Gaussian MLE:

$$ \mu_1 = \mu_2 = \bar x,\quad \sigma_1 = \sigma_2 = s,\quad
   \frac{\mathrm{NLL}}{N} = \tfrac12\log(2\pi e\, s^2),\quad s^2 = \frac1N\sum_i (x_i - \bar x)^2 $$ {#eq:L07.Z5b.5.symmetric_saddle}

Asymmetric starts converge to the two label-switched maxima, with equal NLL.
*/
static void symmetric_start(void) {
    double theta_sym[NP] = {0, 0, 0, 0, 0};
    const LbfgsResult res_sym = fit_lbfgs(&db, theta_sym);
    const double s_b = sample_sd_pop(xb, NB);
    const double saddle = 0.5 * log(2.0 * M_PI * M_E * s_b * s_b);
    printf("data B from theta = 0: mu1 = %.6f, mu2 = %.6f, s1 = %.6f, NLL/N = %.8f "
           "(single Gaussian: %.8f)\n", theta_sym[P_MU1], theta_sym[P_MU2],
           exp(theta_sym[P_LOGSD1]), res_sym.f / NB, saddle);
    check_close("L07.Z5b.5.symmetric_stays_symmetric", theta_sym[P_MU1] - theta_sym[P_MU2], 0.0,
                1e-12, "L07.Z5b.5.symmetric_saddle", "from theta = 0: mu1 - mu2 stays 0");
    check_close("L07.Z5b.5.symmetric_saddle_nll", res_sym.f / NB, saddle, 1e-8,
                "L07.Z5b.5.symmetric_saddle", "NLL/N at the end = 1/2 log(2 pi e s^2)");
    check_erratum("L07.Z5b.5.symmetric_init", 6.0, fabs(theta_sym[P_MU1] - theta_sym[P_MU2]),
                  "Z5b.5 table: from (0, 0) the fit reaches |mu1 - mu2| = 6 ((-3,3) or (3,-3)); "
                  "a deterministic gradient method stays at mu1 = mu2 (a saddle)");

    const double inits[3][2] = {{-1.0, 1.0}, {-4.0, 4.0}, {1.0, -1.0}};
    double nll_init[3];
    for (int c = 0; c < 3; c++) {
        double th[NP] = {0.0, inits[c][0], 0.0, inits[c][1], 0.0};
        const LbfgsResult rc = fit_lbfgs(&db, th);
        nll_init[c] = rc.f;
        printf("data B from (mu1, mu2) = (%g, %g): (%.4f, %.4f), NLL/N = %.8f, %d iterations\n",
               inits[c][0], inits[c][1], th[P_MU1], th[P_MU2], rc.f / NB, rc.iterations);
        const double sign = inits[c][0] < 0 ? 1.0 : -1.0; /* expected: mu1 = -3 sign, mu2 = 3 sign */
        const double dev = fmax(fabs(th[P_MU1] + 3.0 * sign), fabs(th[P_MU2] - 3.0 * sign));
        char id[64];
        snprintf(id, sizeof id, "L07.Z5b.5.init_%d", c + 1);
        check_close(id, dev, 0.0, 0.3, NULL,
                    "start (%g, %g) ends at (%s3, %s3): max |mu_k -+ 3|", inits[c][0],
                    inits[c][1], sign > 0 ? "-" : "+", sign > 0 ? "+" : "-");
    }
    check_close("L07.Z5b.5.label_switched_equal", nll_init[0] - nll_init[2], 0.0, 1e-8,
                "L07.Z6.4.label_switch", "NLL from (-1, 1) equals NLL from (1, -1)");
    check_le("L07.Z5b.5.saddle_worse", nll_init[0], res_sym.f, 0.0, "L07.Z5b.5.symmetric_saddle",
             "the saddle's NLL (%.4f) is above the maximum's", res_sym.f);
}

/*: ## Z5b.5 The likelihood is unbounded

Put component 1 on a data point, $\mu_1 = x_1$, with weight $\pi_1 = 0.01$, and let
component 2 be the single-Gaussian fit. Then $\log p(x_1) \approx \log\pi_1 - \log\sigma_1 -
\tfrac12\log 2\pi$ grows without bound as $\sigma_1 \to 0$, while every other point keeps
the density of component 2: once $\sigma_1$ is tiny,

$$ \mathrm{NLL}(\sigma_1) - \mathrm{NLL}(\sigma_1/10) = \log 10 $$ {#eq:L07.Z5b.5.degenerate}

per decade, and for $\sigma_1$ small enough the NLL falls below the MLE's. (In double
precision $(x_i - \mu_1)/\sigma_1$ overflows to $\infty$ for the other points, their component
1 log-density is $-\infty$, and the log-sum-exp must accept it.) This is why the MLE of a
mixture is a *local* maximum; and EM can collapse in the same way (spec §5 item 28).
*/
static void unbounded_likelihood(const Fits *F) {
    double mean_a, var_a;
    stats_mean_var(xa, NA, &mean_a, &var_a);
    const double sd_a = sample_sd_pop(xa, NA);
    double degenerate[NP] = {log(0.01 / 0.99), xa[0], 0.0, mean_a, log(sd_a)};
    double nll_dec[3];
    const double decades[3] = {-8, -9, -100};
    for (int j = 0; j < 3; j++) {
        degenerate[P_LOGSD1] = decades[j] * M_LN10;
        nll_dec[j] = gmm_nll(degenerate, NULL, &da);
    }
    degenerate[P_LOGSD1] = -101 * M_LN10;
    const double nll_101 = gmm_nll(degenerate, NULL, &da);
    degenerate[P_LOGSD1] = -300 * M_LN10;
    const double nll_300 = gmm_nll(degenerate, NULL, &da);
    int crossing = 0;
    for (int k = 1; k <= 300 && !crossing; k++) {
        degenerate[P_LOGSD1] = -k * M_LN10;
        if (gmm_nll(degenerate, NULL, &da) < F->res.f) crossing = k;
    }
    printf("spike at x_1 = %.4f: NLL %.2f (sigma1 = 1e-8), %.2f (1e-100), %.2f (1e-300); MLE %.2f;"
           " below the MLE from sigma1 = 1e-%d\n", xa[0], nll_dec[0], nll_dec[2], nll_300, F->res.f,
           crossing);
    check_close("L07.Z5b.5.degenerate_per_decade", nll_dec[0] - nll_dec[1], M_LN10, 1e-6,
                "L07.Z5b.5.degenerate", "NLL(1e-8) - NLL(1e-9) = ln 10");
    check_close("L07.Z5b.5.degenerate_per_decade_100", nll_dec[2] - nll_101, M_LN10, 1e-6,
                "L07.Z5b.5.degenerate", "NLL(1e-100) - NLL(1e-101) = ln 10 (other points at -inf)");
    check_le("L07.Z5b.5.degenerate_beats_mle", nll_300, F->res.f, 0.0, "L07.Z5b.5.degenerate",
             "a component of width 1e-300 on one point beats the MLE's NLL");

    /* EM collapses too (spec erratum 28): the lecture argues that the M-step keeps at least one
       point in each component, so sigma -> 0 cannot happen; but one point is exactly what a
       collapsing component keeps. Start component 1 on x_1 with sd 1e-3 and weight 0.01. */
    Mix1d spike = {.k = 2, .w = {0.01, 0.99}, .mu = {xa[0], mean_a}, .sd = {1e-3, sd_a}};
    double *resp = xmalloc(sizeof(double) * (size_t)NA * KMAX);
    const double ell_before = mix1d_em_step(&spike, xa, NA, resp); /* l before the first update */
    double n1 = 0.0;
    for (int i = 0; i < NA; i++) n1 += resp[(size_t)i * KMAX];
    free(resp);
    const double theta_spike[NP] = {log(spike.w[0] / spike.w[1]), spike.mu[0], log(spike.sd[0]),
                                    spike.mu[1], log(spike.sd[1])};
    const double ell_after = -gmm_nll(theta_spike, NULL, &da);
    const int steps = 1;
    printf("EM from a spike on x_1 (sd 1e-3, weight 0.01): after %d step sd1 = %.3e, N_1 = %.6f "
           "(one point); log-likelihood %.4f -> %.4f\n", steps, spike.sd[0], n1, ell_before, ell_after);
    check_ge("L07.Z5b.5.em_collapse_ascends", ell_after - ell_before, log(1e-3 / spike.sd[0]) - 1.0, 0.0,
             "L07.Z5b.5.degenerate",
             "the collapsing EM step raises l by about log(sd_before/sd_after) = %.2f (the spike's point "
             "alone; the other points lose less than 1)", log(1e-3 / spike.sd[0]));
    check_erratum("L07.Z5b.5.em_cannot_collapse", 1e-3, spike.sd[0],
                  "Z5b.5: 'the M-step keeps >= 1 point per component, so sigma -> 0 cannot happen'; "
                  "from sd 1e-3 EM keeps N_1 = %.3f points and reaches sd %.1e in %d steps",
                  n1, spike.sd[0], steps);
}

/*: ## Z7 What if K is too large? BIC

More components never lower the maximised likelihood (a $K$-mixture contains every
$(K-1)$-mixture), so $\hat\ell_K$ alone always prefers the largest $K$. The Bayesian
information criterion charges $\log N$ per free parameter ($3K - 1$: $K-1$ weights, $K$
means, $K$ scales):

$$ \mathrm{BIC}(K) = -2\hat\ell_K + (3K - 1)\log N $$ {#eq:L07.Z7.bic}

Each $K$ is fitted by EM from 10 starts (means at $K$ random data points, scales the
sample sd, equal weights), run until $|\Delta\ell| < 10^{-8}$ (at most 800 steps; BIC
differences here are of order 10), keeping the best non-degenerate run. $K = 1$ has the closed form
$\hat\ell_1 = -\tfrac N2\log(2\pi e s^2)$.
*/
static void bic(const Cli *cli) {
    const double sd_a = sample_sd_pop(xa, NA);
    double best_ll[KMAX + 1], bic[KMAX + 1];
    int best_k = 0;
    for (int k = 1; k <= KMAX; k++) {
        best_ll[k] = -INFINITY;
        for (int start = 0; start < 10; start++) {
            Mix1d m = {.k = k};
            Rng r;
            rng_init(&r, cli->seed, 100 + 16 * (uint64_t)k + (uint64_t)start);
            int picks[KMAX];
            for (int j = 0; j < k; j++) {
                int again;
                do { /* distinct data points */
                    picks[j] = (int)rng_below(&r, NA);
                    again = 0;
                    for (int l = 0; l < j; l++) again |= picks[l] == picks[j];
                } while (again);
                m.w[j] = 1.0 / k;
                m.mu[j] = xa[picks[j]];
                m.sd[j] = sd_a;
            }
            double ll, min_inc;
            mix1d_em_fit(&m, xa, NA, 1e-8, (int)cli_scale(cli, 200, 800, 5000), NULL, 0, &ll, &min_inc);
            int degenerate_run = 0;
            for (int j = 0; j < k; j++) degenerate_run |= m.sd[j] < 1e-3 * sd_a || m.w[j] * NA < 2;
            if (!degenerate_run && ll > best_ll[k]) best_ll[k] = ll;
        }
        //: $\mathrm{BIC}(K) = -2\hat\ell_K + (3K-1)\log N$, eq. [eq:L07.Z7.bic]
        bic[k] = -2.0 * best_ll[k] + (3.0 * k - 1.0) * log((double)NA);
        printf("K = %d: max log-likelihood %.4f, BIC %.4f, AIC %.4f\n", k, best_ll[k], bic[k],
               -2.0 * best_ll[k] + 2.0 * (3.0 * k - 1.0));
        if (best_k == 0 || bic[k] < bic[best_k]) best_k = k;
    }
    check_close("L07.Z7.loglik_k1", best_ll[1], -0.5 * NA * log(2.0 * M_PI * M_E * sd_a * sd_a),
                1e-8, "L07.Z7.bic", "EM with K = 1 reaches the closed-form single-Gaussian MLE");
    check_true("L07.Z7.bic_picks_2", best_k == 2, "argmin_K BIC(K) over K = 1..4 is 2 (got %d)",
               best_k);
    /* The likelihood gain of one more component against BIC's price (3/2) log N for its three
       parameters: large from K = 1 to 2, small from 2 to 3 (the extra component only fits
       noise; with more components EM also converges ever more slowly). */
    const double price = 1.5 * log((double)NA);
    check_ge("L07.Z7.gain_k2", best_ll[2] - best_ll[1], price, 0.0, "L07.Z7.bic",
             "l_2 - l_1 exceeds the BIC price (3/2) log N of the second component");
    check_le("L07.Z7.gain_k3", best_ll[3] - best_ll[2], price, 0.0, "L07.Z7.bic",
             "l_3 - l_2 is below the BIC price (3/2) log N of a third component");
}

/* Figure `gmm_fit.png`: histogram of data A with the fitted mixture and its weighted components. */
static void figure_fit(const Cli *cli, const Fits *F) {
    char err[256];
    enum { NBINS = 40, NGRID = 400 };
    const double lo = -7.0, hi = 7.0;
    double hist[NBINS], hx[2 * NBINS + 2], hy[2 * NBINS + 2];
    stats_hist1d(xa, NA, lo, hi, NBINS, hist, 1);
    const double bw = (hi - lo) / NBINS;
    hx[0] = lo;
    hy[0] = 0.0;
    for (int b = 0; b < NBINS; b++) { /* a step outline of the bars */
        hx[2 * b + 1] = lo + b * bw;
        hy[2 * b + 1] = hist[b];
        hx[2 * b + 2] = lo + (b + 1) * bw;
        hy[2 * b + 2] = hist[b];
    }
    hx[2 * NBINS + 1] = hi;
    hy[2 * NBINS + 1] = 0.0;
    double gx[NGRID], gp[NGRID], c1[NGRID], c2[NGRID];
    for (int j = 0; j < NGRID; j++) {
        gx[j] = lo + (hi - lo) * j / (NGRID - 1);
        GmmData one = {.x = &gx[j], .n = 1};
        gp[j] = exp(-gmm_nll(F->theta, NULL, &one));
        c1[j] = F->nat[0] * exp(log_normal(gx[j], F->theta[P_MU1], F->theta[P_LOGSD1]));
        c2[j] = (1.0 - F->nat[0]) * exp(log_normal(gx[j], F->theta[P_MU2], F->theta[P_LOGSD2]));
    }
    Plot *plot = plot_new(760, 460, "Z5.4: data (N = 500) and the L-BFGS maximum-likelihood mixture");
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "density");
    PlotSeries *s = plot_line(plot, hx, hy, 2 * NBINS + 2, "histogram of the data");
    plot_series_color(s, PLOT_GRAY);
    s = plot_line(plot, gx, gp, NGRID, "fitted p(x)");
    plot_series_color(s, PLOT_BLUE);
    plot_series_width(s, 2.5);
    s = plot_line(plot, gx, c1, NGRID, "pi1 N(mu1, s1^2)");
    plot_series_color(s, PLOT_ORANGE);
    plot_series_dash(s, PLOT_DASHED);
    s = plot_line(plot, gx, c2, NGRID, "pi2 N(mu2, s2^2)");
    plot_series_color(s, PLOT_GREEN);
    plot_series_dash(s, PLOT_DASHED);
    if (plot_save(plot, cli_out_path(cli, "gmm_fit.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

/* Figure `lbfgs_vs_em.png`: l* - l_t for L-BFGS and EM (log scale; floored at 1e-13 for the axis). */
static void figure_convergence(const Cli *cli, const Fits *F) {
    char err[256];
    const int em_len = F->em_iters + 1 < MAX_TRACE ? F->em_iters + 1 : MAX_TRACE;
    static double ti[MAX_TRACE], lb_gap[MAX_TRACE], em_gap[MAX_TRACE];
    for (int t = 0; t < MAX_TRACE; t++) ti[t] = t;
    for (int t = 0; t < da.trace_len; t++) lb_gap[t] = fmax(F->l_star + da.trace[t], 1e-13);
    for (int t = 0; t < em_len; t++) em_gap[t] = fmax(F->l_star - F->em_trace[t], 1e-13);
    Plot *plot = plot_new(760, 460, "Z5b.5: convergence of L-BFGS and EM on data A");
    plot_xlabel(plot, "iteration t");
    plot_ylabel(plot, "l* - l(theta_t)  (log scale)");
    plot_ylog(plot, 1);
    PlotSeries *s = plot_line(plot, ti, lb_gap, da.trace_len, "L-BFGS (strong Wolfe, m = 10)");
    plot_series_color(s, PLOT_BLUE);
    s = plot_line(plot, ti, em_gap, em_len, "EM (monotone)");
    plot_series_color(s, PLOT_ORANGE);
    if (plot_save(plot, cli_out_path(cli, "lbfgs_vs_em.png"), err, sizeof err) != 0)
        die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.4/Z5b.5: 2-component GMM MLE by L-BFGS and by EM, label switching, BIC",
              42, NULL);
    static Fits fits;
    make_data(&cli);
    gradient_check();
    why_log_sum_exp();
    lbfgs_fit(&fits);
    em_fit_section(&fits);
    label_switching(&fits);
    symmetric_start();
    unbounded_likelihood(&fits);
    bic(&cli);
    figure_fit(&cli, &fits);
    figure_convergence(&cli, &fits);
    return check_end();
}
