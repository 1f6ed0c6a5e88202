/*: # L07 Z5.6 — Rejection sampling and importance sampling

**Lecture 7, Part 2, section Z5.6** (with the self-test answers Z5b.2 Q6, the acceptance rate,
and Q7, the importance-sampling identity).

Two ways to use a distribution $q$ that is easy to sample for a target $p$ that is not.
Rejection sampling draws *exact* samples of $p$ from an envelope $Mq \ge \tilde p$; importance
sampling reweights draws of $q$ to estimate expectations under $p$. The program runs the
lecture's Beta(2, 5) example with the right numbers (the lecture's mode, maximum and acceptance
rate are wrong), shows what an envelope that is too low does to the samples, and estimates
$\mathbb E_p[x]$ for $p = \mathcal N(2,1)$ from $\mathcal N(0,1)$ draws with self-normalised
weights computed in log space.

What you will see: the maximum of $\tilde p(x) = x(1-x)^4$, acceptance rates $1/3$ and
$0.4069$, the moments of the accepted samples, the bias from an invalid envelope, and the IS
estimate with its effective sample size. Figure: `rejection_beta.png`, the target, the
envelopes and the histograms of the accepted samples.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/06_rejection_importance [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\tilde p(x) = x(1-x)^4$ (unnormalised Beta(2,5)) | `ptilde` | scalar |
| $Z_p = \int\tilde p = B(2,5)$ | `z_p` | scalar |
| $q = \mathcal U(0,1)$, $M$ | `M` | scalar |
| $u \sim \mathcal U(0,1)$ | `u` | scalar |
| $x_i \sim q$, $\log w_i = \log p(x_i) - \log q(x_i)$ | `x_is`, `log_w` | (N) |
| $\bar w_i = w_i / \sum_j w_j$ | `w_norm` | (N) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/moments_se.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

//: $\tilde p(x) = x(1-x)^4$, the unnormalised Beta(2, 5) density
static double ptilde(double x) { return x * pow(1.0 - x, 4); }

/*: ## Rejection sampling

Draw $x \sim q$ and $u \sim \mathcal U(0,1)$ and keep $x$ when

$$ u \le \frac{\tilde p(x)}{M q(x)}, \qquad \Pr(\text{accept}) = \int \frac{\tilde p(x)}{Mq(x)}\,q(x)\,dx = \frac{Z_p}{M} $$ {#eq:L07.Z5.6.rejection}

provided $Mq(x) \ge \tilde p(x)$ everywhere; then the kept $x$ are exact draws of
$p = \tilde p / Z_p$. For a normalised target ($Z_p = 1$) the rate is $1/M$ (Z5b.2 Q6). With
$q = \mathcal U(0,1)$, $q(x) = 1$. `scale` multiplies $\tilde p$ (1 for the unnormalised target,
$1/B(2,5)$ for the normalised density). Stops after `max_accept` accepted samples or
`max_propose` proposals, whichever comes first; returns the number accepted.
*/
static long rejection_sample(Rng *r, double scale, double M, long max_accept, long max_propose,
                             double *out, long *n_proposed) {
    long accepted = 0, proposed = 0;
    while (accepted < max_accept && proposed < max_propose) {
        double x = rng_uniform(r), u = rng_uniform(r);
        proposed++;
        //: accept if $u \le \tilde p(x) / (M q(x))$, eq. [eq:L07.Z5.6.rejection]
        if (u <= scale * ptilde(x) / M) out[accepted++] = x;
    }
    *n_proposed = proposed;
    return accepted;
}

/* The density of min(ptilde, M) (what an undersized envelope produces) integrated against
   x^k, k = 0 or 1, piecewise between the crossing points (Gauss-Legendre on each smooth piece). */
typedef struct { double M; int power; } CapCtx;
static double capped_integrand(double x, void *vctx) {
    const CapCtx *c = vctx;
    //: $x^k\min(\tilde p(x), M)$: the density an undersized envelope samples
    return pow(x, c->power) * fmin(ptilde(x), c->M);
}
static double bisect_crossing(double lo, double hi, double M) { /* ptilde - M changes sign */
    double flo = ptilde(lo) - M;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi), fm = ptilde(mid) - M;
        if ((fm > 0) == (flo > 0)) { lo = mid; flo = fm; } else hi = mid;
    }
    return 0.5 * (lo + hi);
}
static double capped_moment(double M, int power) {
    double a = bisect_crossing(0.0, 0.2, M), b = bisect_crossing(0.2, 1.0, M);
    CapCtx c = {M, power};
    return quad_gauss_legendre(capped_integrand, &c, 0.0, a, 40) +
           quad_gauss_legendre(capped_integrand, &c, a, b, 40) +
           quad_gauss_legendre(capped_integrand, &c, b, 1.0, 40);
}

/* Density histogram drawn as a step line: 2 points per bin. */
static void step_line(const double *counts, int nbins, double lo, double hi, double *sx, double *sy) {
    double w = (hi - lo) / nbins;
    for (int k = 0; k < nbins; k++) {
        sx[2 * k] = lo + k * w;
        sx[2 * k + 1] = lo + (k + 1) * w;
        sy[2 * k] = sy[2 * k + 1] = counts[k];
    }
}

/*: ## Self-normalised importance sampling in log space

$$ \mathbb E_p[f] = \mathbb E_q\Big[f\,\frac{p}{q}\Big] \approx \sum_i \bar w_i f(x_i),\qquad
   \bar w_i = \frac{e^{\log w_i - m}}{\sum_j e^{\log w_j - m}},\quad m = \max_j \log w_j $$ {#eq:L07.Z5.6.snis}

Subtracting the maximum keeps every exponent $\le 0$ (no overflow) and cancels in the ratio, as
does any unknown normalising constant of $p$. Returns the estimate of $\mathbb E_p[x]$.
*/
static double snis_mean(const double *x, const double *log_w, long n, double *w_norm) {
    double m = -INFINITY, total = 0.0, est = 0.0;
    for (long i = 0; i < n; i++) m = fmax(m, log_w[i]);
    for (long i = 0; i < n; i++) {
        //: $e^{\log w_i - m}$, eq. [eq:L07.Z5.6.snis]
        w_norm[i] = exp(log_w[i] - m);
        total += w_norm[i];
    }
    for (long i = 0; i < n; i++) {
        //: $\bar w_i = e^{\log w_i - m} / \sum_j e^{\log w_j - m}$, [eq:L07.Z5.6.snis]
        w_norm[i] /= total;
        //: $\sum_i \bar w_i f(x_i)$ with $f(x) = x$, [eq:L07.Z5.6.snis]
        est += w_norm[i] * x[i];
    }
    return est;
}

/* q(x) w(x)^2 with the importance weight of the IS section, for E_q[w^2] by quadrature. */
static double q_w2(double x, void *ctx) {
    (void)ctx;
    const double log_w = gauss_logpdf_1d(x, 2.0, 1.0) - gauss_logpdf_1d(x, 0.0, 1.0);
    return exp(gauss_logpdf_1d(x, 0.0, 1.0) + 2.0 * log_w);
}

/* What the rejection-sampling sections share. */
typedef struct {
    double z_p, p_max;    /* B(2,5) and max ptilde */
    long n_accept;        /* accepted samples per run */
    double *samples;      /* n_accept of them */
    double hist_valid[40], hist_bad[40]; /* histograms for the figure (M = 0.1 and M = 0.05) */
} Beta25;

/* What the importance-sampling sections share. */
typedef struct {
    long n;
    double *x, *log_w, *w_norm;
    double est_snis;
} Importance;

/*: ## Z5.6 The target Beta(2, 5) and the tightest envelope

$\tilde p(x) = x(1-x)^4$, $Z_p = B(2,5) = \Gamma(2)\Gamma(5)/\Gamma(7) = 1/30$. Its mode is
$(\alpha-1)/(\alpha+\beta-2) = 1/5$ and $\max\tilde p = 0.2\cdot 0.8^4 = 0.08192$
(normalised density: $30\cdot 0.08192 = 2.4576$). The lecture puts the mode at $1/6$ and
writes $f^* = B(2,5)^{-1}(1/6)(5/6)^4 \approx 0.082$, which mixes the two scales (that formula
evaluates to 2.4113). The maximum is found here on a grid of $10^6$ intervals.
*/
static void target_and_envelope(Beta25 *B) {
    //: $Z_p = B(2,5) = \Gamma(2)\Gamma(5)/\Gamma(7)$
    B->z_p = exp(log_beta(2.0, 5.0));
    check_close("L07.Z5.6.beta_normaliser", B->z_p, 1.0 / 30.0, 1e-14, NULL,
                "B(2,5) = exp(lgamma(2) + lgamma(5) - lgamma(7)) = 1/30");
    const long n_grid = 1000000;
    double x_mode = 0.0;
    B->p_max = 0.0;
    for (long i = 0; i <= n_grid; i++) {
        double xx = (double)i / (double)n_grid;
        if (ptilde(xx) > B->p_max) { B->p_max = ptilde(xx); x_mode = xx; }
    }
    printf("Beta(2,5): mode %.6f, max ptilde %.8f, max density %.6f\n", x_mode, B->p_max, B->p_max / B->z_p);
    check_close("L07.Z5.6.mode", x_mode, 0.2, 1e-6, NULL,
                "argmax of x(1-x)^4 on the grid = (alpha-1)/(alpha+beta-2) = 1/5");
    check_close("L07.Z5.6.ptilde_max", B->p_max, 0.2 * pow(0.8, 4), 1e-10, NULL,
                "max of ptilde = 0.2 * 0.8^4 = 0.08192");
    check_close("L07.Z5.6.density_max", B->p_max / B->z_p, 2.4576, 1e-9, NULL,
                "max of the normalised Beta(2,5) density = 30 * 0.08192 = 2.4576");
    check_erratum("L07.Z5.6.mode_claim", 1.0 / 6.0, x_mode, "the lecture puts the mode of Beta(2,5) at 1/6");
    check_erratum("L07.Z5.6.fstar_formula", pow(1.0 / 6.0, 1) * pow(5.0 / 6.0, 4) / B->z_p, B->p_max / B->z_p,
                  "B(2,5)^-1 (1/6)(5/6)^4 (lecture's f*) vs the true maximum of the density");
}

/*: ## Z5.6 Acceptance rate with $M = 0.1$

$M = 0.1 \ge 0.08192$ is a valid envelope for $\tilde p$, and eq. [eq:L07.Z5.6.rejection]
gives $\Pr(\text{accept}) = (1/30)/0.1 = 1/3$: about 3000 proposals for 1000 samples. The
lecture writes "$Z_p/M = 1/M = 10$" (a probability above 1) and "10000 proposals". The number
of proposals needed for $r$ acceptances is negative binomial with mean $r/a$ and standard
deviation $\sqrt{r(1-a)}/a$ (theory; the check uses 4 of them).
*/
static void acceptance_rate(const Cli *cli, Beta25 *B) {
    Rng rng;
    const double M = 0.1;
    //: $\Pr(\text{accept}) = Z_p/M$, [eq:L07.Z5.6.rejection]
    double accept_rate = B->z_p / M;
    long r_target = 1000;
    long n_prop;
    rng_init(&rng, cli->seed, 0);
    rejection_sample(&rng, 1.0, M, r_target, 1L << 40, B->samples, &n_prop);
    printf("M = 0.1: %ld proposals for %ld samples (acceptance %.4f, theory %.4f)\n", n_prop,
           r_target, (double)r_target / (double)n_prop, accept_rate);
    check_mc("L07.Z5.6.proposals_for_1000", (double)n_prop, r_target / accept_rate,
             sqrt(r_target * (1.0 - accept_rate)) / accept_rate, 4.0, r_target, "L07.Z5.6.rejection",
             "proposals needed for 1000 accepted samples, mean r M / Z_p = 3000");
    check_erratum("L07.Z5.6.acceptance_rate", 1.0 / M, accept_rate,
                  "the lecture's acceptance rate 'Z_p/M = 1/M = 10' for M = 0.1; Z_p = B(2,5) = 1/30 gives 1/3");
    check_erratum("L07.Z5.6.proposals_needed", 10000.0, r_target / accept_rate,
                  "expected proposals for 1000 samples with M = 0.1");
}

/*: ## Z5.6 The accepted samples are Beta(2, 5)

Mean $\alpha/(\alpha+\beta) = 2/7$ and variance
$\alpha\beta/((\alpha+\beta)^2(\alpha+\beta+1)) = 10/392$; the acceptance rate of the same
run is checked against $1/3$ with the binomial standard error $\sqrt{a(1-a)/n}$.
*/
static void accepted_are_beta(const Cli *cli, Beta25 *B) {
    Rng rng;
    const double M = 0.1, accept_rate = B->z_p / M;
    long n_prop;
    rng_init(&rng, cli->seed, 1);
    rejection_sample(&rng, 1.0, M, B->n_accept, 1L << 40, B->samples, &n_prop);
    //: mean and variance of the accepted samples with their standard errors, [eq:common.moments_se.se]
    const MomentsSe mo = moments_se(B->samples, (size_t)B->n_accept);
    const double mean = mo.mean, var = mo.var, se_mean = mo.se_mean, se_var = mo.se_var;
    printf("M = 0.1, %ld samples: mean %.5f (2/7 = %.5f), variance %.5f (%.5f)\n", B->n_accept, mean,
           2.0 / 7.0, var, 10.0 / 392.0);
    check_mc("L07.Z5.6.sample_mean", mean, 2.0 / 7.0, se_mean, 5.0, B->n_accept, "L07.Z5.6.rejection",
             "mean of the accepted samples = alpha/(alpha+beta) = 2/7");
    check_mc("L07.Z5.6.sample_var", var, 10.0 / 392.0, se_var, 5.0, B->n_accept, "L07.Z5.6.rejection",
             "variance of the accepted samples = 10/392");
    double rate_obs = (double)B->n_accept / (double)n_prop;
    check_mc("L07.Z5.6.acceptance_observed", rate_obs, accept_rate,
             sqrt(accept_rate * (1 - accept_rate) / (double)n_prop), 5.0, n_prop, "L07.Z5.6.rejection",
             "observed acceptance rate = Z_p / M = 1/3");
    stats_hist1d(B->samples, (size_t)B->n_accept, 0.0, 1.0, 40, B->hist_valid, 1);
}

/*: ## Z5.6 Normalised target: acceptance $1/M$ (Z5b.2 Q6)

With the normalised density $p = \tilde p / Z_p$ the tightest envelope is
$M = \max p = 2.4576$ and the rate is $1/M = 0.406901$. (With the lecture's $M = 0.1$ this
envelope would be invalid: $0.1 < 2.4576$.)
*/
static void normalised_target(const Cli *cli, const Beta25 *B) {
    Rng rng;
    long n_prop;
    //: the tightest envelope of the normalised density, $M = \max_x p(x)$
    double M_norm = B->p_max / B->z_p;
    long n_prop_fixed = cli_scale(cli, 10000, 100000, 1000000);
    double *samples_norm = xmalloc((size_t)n_prop_fixed * sizeof *samples_norm);
    rng_init(&rng, cli->seed, 2);
    //: rejection sampling of the normalised density with $M = \max p$, [eq:L07.Z5.6.rejection]
    long acc_norm = rejection_sample(&rng, 1.0 / B->z_p, M_norm, n_prop_fixed, n_prop_fixed,
                                     samples_norm, &n_prop);
    double rate_norm = (double)acc_norm / (double)n_prop;
    printf("normalised target, M = %.4f: acceptance %.4f (1/M = %.6f)\n", M_norm, rate_norm, 1.0 / M_norm);
    check_mc("L07.Z5.6.acceptance_normalised", rate_norm, 1.0 / M_norm,
             sqrt((1.0 / M_norm) * (1 - 1.0 / M_norm) / (double)n_prop), 5.0, n_prop,
             "L07.Z5.6.rejection", "acceptance rate with the normalised density and M = max p: 1/M = 0.406901");
    free(samples_norm);
}

/*: ## Z5.6 An envelope that is too low

With $M = 0.05 < \max\tilde p$ the test accepts with probability $\min(1, \tilde p/M)$, so
the kept samples follow $\min(\tilde p, M)$ (normalised), not $p$: the peak is cut off and
the mean moves from $0.2857$ to $0.302976$ (quadrature below; spec L07 D21), acceptance
$\int\min(\tilde p, M)/M = 0.525805$. The program detects the violation from
$\max_x \tilde p(x)/(Mq(x)) > 1$. Less undersized envelopes distort less: $M = 0.06$ gives
acceptance 0.489825 and mean 0.295342, $M = 0.07$ gives 0.453927 and 0.289560 (quadrature,
against the spec's independently computed values).
*/
static void envelope_too_low(const Cli *cli, Beta25 *B) {
    Rng rng;
    long n_prop;
    const double M_bad = 0.05;
    check_ge("L07.Z5.6.envelope_violation", B->p_max / M_bad, 1.0, 0.0, "L07.Z5.6.rejection",
             "max ptilde/(M q) = %.4f > 1 for M = 0.05: the envelope is invalid", B->p_max / M_bad);
    double mass_cap = capped_moment(M_bad, 0), mean_cap = capped_moment(M_bad, 1) / mass_cap;
    check_close("L07.Z5.6.capped_mean_quadrature", mean_cap, 0.302976, 1e-6, NULL,
                "mean of min(ptilde, 0.05) (normalised), by quadrature (spec L07 D21: 0.302976)");
    rng_init(&rng, cli->seed, 3);
    rejection_sample(&rng, 1.0, M_bad, B->n_accept, 1L << 40, B->samples, &n_prop);
    const MomentsSe mo = moments_se(B->samples, (size_t)B->n_accept);
    const double mean = mo.mean, se_mean = mo.se_mean;
    printf("M = 0.05 (invalid): acceptance %.4f, mean %.5f (biased; Beta mean %.5f)\n",
           (double)B->n_accept / (double)n_prop, mean, 2.0 / 7.0);
    check_mc("L07.Z5.6.invalid_envelope_mean", mean, mean_cap, se_mean, 5.0, B->n_accept,
             "L07.Z5.6.rejection", "samples with M = 0.05 have the mean of min(ptilde, M), 0.302976");
    //: acceptance $\int\min(\tilde p, M)\,dx / M$ of an undersized envelope
    double a_cap = mass_cap / M_bad;
    check_mc("L07.Z5.6.invalid_envelope_rate", (double)B->n_accept / (double)n_prop, a_cap,
             sqrt(a_cap * (1 - a_cap) / (double)n_prop), 5.0, n_prop, "L07.Z5.6.rejection",
             "acceptance with M = 0.05 is int min(ptilde, M) / M = %.6f, not Z_p/M", a_cap);
    check_ge("L07.Z5.6.invalid_envelope_bias", fabs(mean - 2.0 / 7.0), 0.01, 0.0, NULL,
             "|mean - 2/7| > 0.01: the invalid envelope biases the samples");
    check_close("L07.Z5.6.capped_rate_quadrature", a_cap, 0.525805, 1e-6, NULL,
                "acceptance int min(ptilde, 0.05) / 0.05 by quadrature (spec L07 D21: 0.525805)");
    /* less undersized envelopes: the bias shrinks as M approaches max ptilde = 0.08192 */
    const double M_low[2] = {0.06, 0.07};
    const double spec_rate[2] = {0.489825, 0.453927}, spec_mean[2] = {0.295342, 0.289560};
    for (int j = 0; j < 2; j++) {
        const double mass = capped_moment(M_low[j], 0);
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.6.capped_rate_M%g", M_low[j]);
        check_close(id, mass / M_low[j], spec_rate[j], 1e-6, NULL,
                    "acceptance with M = %g: int min(ptilde, M) / M (quadrature; spec %.6f)", M_low[j],
                    spec_rate[j]);
        snprintf(id, sizeof id, "L07.Z5.6.capped_mean_M%g", M_low[j]);
        check_close(id, capped_moment(M_low[j], 1) / mass, spec_mean[j], 1e-6, NULL,
                    "mean of the samples with M = %g (quadrature; spec %.6f, Beta mean 0.285714)",
                    M_low[j], spec_mean[j]);
    }
    stats_hist1d(B->samples, (size_t)B->n_accept, 0.0, 1.0, 40, B->hist_bad, 1);
}

/*: ## Z5.6 Importance sampling: $\mathbb E_p[x]$ for $p = \mathcal N(2,1)$ from $q = \mathcal N(0,1)$

Here $w(x) = p(x)/q(x) = e^{2x - 2}$, $\mathbb E_q[w] = 1$, $\mathbb E_q[w^2] = e^4$: the
effective sample size is only $N e^{-4} \approx 0.018 N$ (Z5.16). The self-normalised
estimator has asymptotic variance $\mathbb E_q[w^2 (x-2)^2]/N = 5e^4/N$ (the integrand
$q\,w^2 = e^4\,\mathcal N(4,1)$; theory, used as the SE).
*/
static void importance_sampling(const Cli *cli, Importance *I) {
    Rng rng;
    rng_init(&rng, cli->seed, 4);
    Welford w_plain, wx_plain;
    welford_init(&w_plain);
    welford_init(&wx_plain);
    for (long i = 0; i < I->n; i++) {
        I->x[i] = rng_normal(&rng);
        //: $\log w_i = \log p(x_i) - \log q(x_i)$
        I->log_w[i] = gauss_logpdf_1d(I->x[i], 2.0, 1.0) - gauss_logpdf_1d(I->x[i], 0.0, 1.0);
        welford_push(&w_plain, exp(I->log_w[i]));
        welford_push(&wx_plain, exp(I->log_w[i]) * I->x[i]);
    }
    //: the self-normalised estimate of $\mathbb E_p[x]$, [eq:L07.Z5.6.snis]
    I->est_snis = snis_mean(I->x, I->log_w, I->n, I->w_norm);
    double ess = ess_log_weights(I->log_w, (size_t)I->n);
    double sum_w2 = 0.0;
    for (long i = 0; i < I->n; i++) sum_w2 += I->w_norm[i] * I->w_norm[i];
    printf("IS, N = %ld: plain (1/N) sum w x = %.4f, SNIS = %.4f, mean w = %.4f, ESS/N = %.4f (theory e^-4 = %.4f)\n",
           I->n, wx_plain.mean, I->est_snis, w_plain.mean, ess / I->n, exp(-4.0));
    check_mc("L07.Z5.6.snis_mean", I->est_snis, 2.0, sqrt(5.0 * exp(4.0) / (double)I->n), 4.0, I->n,
             "L07.Z5.6.snis", "self-normalised IS estimate of E_p[x] = 2 (SE sqrt(5 e^4 / N), theory)");
    check_mc("L07.Z5.6.is_plain_mean", wx_plain.mean, 2.0, sqrt(welford_var(&wx_plain) / (double)I->n),
             4.0, I->n, "L07.Z5.6.snis", "plain IS (1/N) sum w_i x_i = E_q[w x] = E_p[x] = 2 (SE from the samples)");
    check_mc("L07.Z5.6.mean_weight", w_plain.mean, 1.0, sqrt((exp(4.0) - 1.0) / (double)I->n), 4.0,
             I->n, NULL, "E_q[w] = 1 (SE sqrt((e^4 - 1)/N), theory)");
    check_in("L07.Z5.6.ess_fraction", ess / I->n, 0.008, 0.06, "common.ess.importance",
             "ESS/N near its theoretical e^-4 = 0.0183 (a noisy estimate: w^2 is heavy-tailed; spec L07 6.6)");
    check_close("L07.Z5.6.ess_normalised_form", 1.0 / sum_w2, ess, 1e-9 * ess, "common.ess.importance",
                "1 / sum of squared normalised weights equals (sum w)^2 / sum w^2 (common/ess)");
    //: $\mathbb E_q[w^2] = \int q(x)\,e^{2\log w(x)}\,dx$, by quadrature of the program's $\log w$
    const double ew2 = quad_gauss_legendre_composite(q_w2, NULL, -20.0, 24.0, 40, 32);
    check_rel("L07.Z5.6.ew2_quadrature", ew2, exp(4.0), 1e-9, NULL,
              "E_q[w^2] by quadrature of q w^2 equals e^4 = 54.59815 (so ESS/N -> e^-4)");
}

/*: ## Z5.6 Why the maximum shift matters

An unnormalised target $\log\tilde p = \log\mathcal N(x; 2, 1) + 800$ (a huge unknown
constant, as in an energy-based model): $e^{\log w}$ is `inf` for every sample, while the
shifted weights of eq. [eq:L07.Z5.6.snis] are unchanged and give the same estimate.
*/
static void max_shift(Importance *I) {
    long n_overflow = 0;
    for (long i = 0; i < I->n; i++) {
        I->log_w[i] += 800.0;
        n_overflow += isinf(exp(I->log_w[i])); /* the naive weight */
    }
    double est_shifted = snis_mean(I->x, I->log_w, I->n, I->w_norm);
    printf("exp(log w + 800) is inf for %ld of %ld samples (the naive weights overflow)\n", n_overflow, I->n);
    check_close("L07.Z5.6.shift_invariance", est_shifted - I->est_snis, 0.0, 1e-12, "L07.Z5.6.snis",
                "the max-shifted SNIS estimate is unchanged by the constant 800 in log p");
}

/* Figure `rejection_beta.png`: target, envelopes and histograms of the accepted samples
   (normalised scale). */
static void figure(const Cli *cli, const Beta25 *B) {
    const double M = 0.1, M_bad = 0.05, M_norm = B->p_max / B->z_p;
    char err[256];
    /* Figure: target, envelopes and histograms of the accepted B->samples (normalised scale). */
    enum { NG = 201, NB = 40 };
    double gx[NG], gp[NG], sx[2 * NB], sy[2 * NB], sy_bad[2 * NB];
    for (int i = 0; i < NG; i++) {
        gx[i] = i / (NG - 1.0);
        gp[i] = ptilde(gx[i]) / B->z_p;
    }
    step_line(B->hist_valid, NB, 0.0, 1.0, sx, sy);
    step_line(B->hist_bad, NB, 0.0, 1.0, sx, sy_bad);
    Plot *plot = plot_new(760, 460, "Z5.6: rejection sampling of Beta(2,5) from U(0,1)");
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "density");
    plot_ylim(plot, 0.0, 4.4);
    PlotSeries *s = plot_line(plot, gx, gp, NG, "target p(x) = 30 x (1-x)^4");
    plot_series_color(s, PLOT_BLACK);
    plot_series_width(s, 2.5);
    s = plot_hline(plot, M / B->z_p, "envelope M q, M = 0.1 (x30 = 3.0)");
    plot_series_color(s, PLOT_GREEN);
    plot_series_dash(s, PLOT_DASHED);
    s = plot_hline(plot, M_norm, "tightest envelope 2.4576");
    plot_series_color(s, PLOT_BLUE);
    plot_series_dash(s, PLOT_DOTTED);
    s = plot_hline(plot, M_bad / B->z_p, "invalid envelope M = 0.05 (x30 = 1.5)");
    plot_series_color(s, PLOT_RED);
    plot_series_dash(s, PLOT_DASHED);
    s = plot_line(plot, sx, sy, 2 * NB, "histogram, accepted with M = 0.1");
    plot_series_color(s, PLOT_ORANGE);
    s = plot_line(plot, sx, sy_bad, 2 * NB, "histogram, accepted with M = 0.05 (clipped peak)");
    plot_series_color(s, PLOT_PURPLE);
    if (plot_save(plot, cli_out_path(cli, "rejection_beta.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.6: rejection sampling of Beta(2,5) and self-normalised importance sampling",
              6, NULL);
    Beta25 B = {.n_accept = cli_scale(&cli, 5000, 100000, 1000000)};
    B.samples = xmalloc((size_t)(B.n_accept > 1000 ? B.n_accept : 1000) * sizeof *B.samples);
    Importance I = {.n = cli_scale(&cli, 20000, 1000000, 4000000)};
    I.x = xmalloc((size_t)I.n * sizeof *I.x);
    I.log_w = xmalloc((size_t)I.n * sizeof *I.log_w);
    I.w_norm = xmalloc((size_t)I.n * sizeof *I.w_norm);
    target_and_envelope(&B);
    acceptance_rate(&cli, &B);
    accepted_are_beta(&cli, &B);
    normalised_target(&cli, &B);
    envelope_too_low(&cli, &B);
    importance_sampling(&cli, &I);
    max_shift(&I);
    figure(&cli, &B);
    free(B.samples);
    free(I.x);
    free(I.log_w);
    free(I.w_norm);
    return check_end();
}
