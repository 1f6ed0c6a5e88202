/*: # L07 Z5.15 — Log-likelihoods that do not underflow

**Lecture 7, Part 2, section Z5.15** (numerical stability of the log-likelihood; the spec's
errata §5 items 9 and 11).

A product of $N$ probabilities underflows long before its logarithm is in any danger. The
program multiplies $0.1$ by itself until the double becomes 0, then walks the lecture's
checklist of "dangerous" operations, each beside its safe counterpart.

What you will see: where $0.1^N$ leaves the normal range ($N = 308$), becomes subnormal and
finally 0 ($N = 324$, not "$N > 300$"), both found by the loop and predicted from the IEEE-754
limits; $\sum\log p$ staying exact; $\log\mathcal N(5; 0, 1)$ and $\log\mathcal N(40; 0, 1)$ by
`log(pdf)` and by `logpdf`; the naive softmax of $(1000, 1001, 1002)$ giving NaN; the KL with a
zero probability; the log-mixture at $x = 50$; a density above 1 (negative NLL). The naive
results (NaN, $-\infty$) are printed lines: they are facts of IEEE-754 arithmetic, not checks.
Two ERRATUM lines (Z5.15's "0 for $N > 300$", Z5b.3 Q1's "NLL $\ge 0$"). No figure.

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/14_loglik_stability`.

| symbol | C name | shape |
|---|---|---|
| $\prod_{i\le N} p_i$ | `product` | scalar |
| $\sum_{i\le N}\log p_i$ | `log_sum` | scalar |
| $\log\mathcal N(x;\mu,\sigma^2)$ | `gauss_logpdf_1d(x, mu, sigma)` | scalar |
| $a$ (logits), $a^*$, $\operatorname{softmax}(a)$ | `logits`, (inside `softmax`), `prob` | (3) |
| $p$, $q$, $D_{\mathrm{KL}}(p\|q)$ | `p`, `q`, `kl` | (3), (3), scalar |
| $\pi_k$, $\mu_k$, $\log p(x)$ | `pi`, `mu`, `log_mix` | (2), (2), scalar |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/mathfn.h"

/* The density computed the "dangerous" way, for log(pdf) against logpdf. */
static double normal_pdf(double x) { return exp(-0.5 * x * x) / sqrt(2.0 * M_PI); }

/*: ## Z5.15 The product underflows, the sum of logs does not

$$ \prod_{i=1}^N p_\theta(x_i) \;\to\; 0 \quad\text{while}\quad
   \sum_{i=1}^N \log p_\theta(x_i) = N\log 0.1 \ \ (p_\theta(x_i) = 0.1) $$ {#eq:L07.Z5.15.log_product}

IEEE-754 doubles have normal numbers down to `DBL_MIN` $= 2.225\cdot10^{-308}$ and subnormal
ones (fewer significant bits) down to `DBL_TRUE_MIN` $= 4.94\cdot10^{-324}$. So the first $N$
with $10^{-N}$ below `DBL_MIN` is $\lceil -\log_{10}\texttt{DBL\_MIN}\rceil = 308$, and the first
with $10^{-N}$ below half of `DBL_TRUE_MIN` (which rounds to 0) is
$\lfloor -\log_{10}\texttt{DBL\_TRUE\_MIN} + \log_{10}2\rfloor + 1 = 324$ (computed on logarithms,
since half of `DBL_TRUE_MIN` is itself 0). The loop, which rounds at every
multiplication, must land on the same two numbers; $0.1^{323}$ is two units of `DBL_TRUE_MIN`,
the subnormal nearest $10^{-323}$. The lecture says the product "becomes 0 for $N > 300$".
*/
static void product_underflow(void) {
    double product = 1.0, log_sum = 0.0, at300 = 0.0, at308 = 0.0, at323 = 0.0;
    int first_subnormal = 0, first_zero = 0;
    for (int n = 1; n <= 400 && !first_zero; n++) {
        //: $\prod_{i \le n} 0.1$, [eq:L07.Z5.15.log_product]
        product *= 0.1;
        //: $\sum_{i \le n}\log 0.1$, [eq:L07.Z5.15.log_product]
        log_sum += log(0.1);
        if (n == 300) at300 = product;
        if (n == 308) at308 = product;
        if (n == 323) at323 = product;
        if (n == 300) check_close("L07.Z5.15.log_sum_300", log_sum, -690.7755278982, 1e-9,
                                  "L07.Z5.15.log_product",
                                  "sum of 300 log 0.1 = 300 log 0.1 = -690.7755 (spec D40)");
        if (!first_subnormal && product < DBL_MIN) first_subnormal = n;
        if (product == 0.0) first_zero = n;
    }
    //: first $N$ with $10^{-N} <$ `DBL_MIN`, and with $10^{-N} <$ `DBL_TRUE_MIN`$/2$
    const int predicted_subnormal = (int)ceil(-log10(DBL_MIN));
    const int predicted_zero = (int)floor(-log10(DBL_TRUE_MIN) + log10(2.0)) + 1; /* the half is 0 */
    printf("0.1^300 = %.6e, 0.1^308 = %.6e (subnormal), 0.1^323 = %.6e; first subnormal at N = %d,"
           " first 0 at N = %d\n", at300, at308, at323, first_subnormal, first_zero);
    check_rel("L07.Z5.15.product_300", at300, 1e-300, 1e-12, "L07.Z5.15.log_product",
              "0.1^300 by repeated multiplication is 1e-300 (normal, not 0)");
    check_close("L07.Z5.15.product_308_subnormal", first_subnormal, predicted_subnormal, 0.0,
                "L07.Z5.15.log_product",
                "the product leaves the normal range at N = ceil(-log10 DBL_MIN) (0.1^308 = %.4e)",
                at308);
    check_rel("L07.Z5.15.product_323", at323, 1e-323, 0.05, "L07.Z5.15.log_product",
              "0.1^323 is the subnormal nearest 1e-323, 2 units of 4.94e-324 (the bar 0.05 x "
              "1e-323 rounds to 0: the comparison is exact)");
    check_close("L07.Z5.15.product_zero_324", first_zero, predicted_zero, 0.0,
                "L07.Z5.15.log_product",
                "the product is exactly 0 from N = floor(-log10(DBL_TRUE_MIN) + log10 2) + 1");
    check_erratum("L07.Z5.15.underflow_n", 301, first_zero,
                  "Z5.15: the product 'becomes 0 for N > 300'; it is subnormal from N = 308 and 0 "
                  "only from N = 324");
}

/*: ## Z5.15 `log(pdf)` against `logpdf`

$$ \log\mathcal N(x; 0, 1) = -\tfrac12 x^2 - \tfrac12\log 2\pi $$ {#eq:L07.Z5.15.logpdf}

At $x = 5$ both ways agree ($-13.4189385332$, and $\times 300 = -4025.68156$, the lecture's
check). At $x = 40$ the density $e^{-800}/\sqrt{2\pi}$ underflows to 0 and `log(pdf)` gives
$-\infty$; the log-density is $-800.9189385332$.
*/
static void log_of_pdf(void) {
    const double lp5 = gauss_logpdf_1d(5.0, 0.0, 1.0);
    check_close("L07.Z5.15.logpdf_5", lp5, -13.4189385332, 1e-9, "L07.Z5.15.logpdf",
                "logpdf N(5; 0, 1) against the spec's independently computed -13.4189385332 (D40)");
    check_close("L07.Z5.15.log_pdf_5", log(normal_pdf(5.0)), lp5, 1e-12, "L07.Z5.15.logpdf",
                "log(pdf(5)) still agrees: exp(-12.5) is far from underflow");
    double sum300 = 0.0;
    //: $\sum_{i\le 300}\log\mathcal N(5;0,1)$, [eq:L07.Z5.15.log_product]
    for (int i = 0; i < 300; i++) sum300 += gauss_logpdf_1d(5.0, 0.0, 1.0);
    check_close("L07.Z5.15.logpdf_5_times_300", sum300, -4025.6815599614, 1e-8, "L07.Z5.15.log_product",
                "300 points at x = 5: sum of logpdf = -4025.68156 (the lecture's check)");
    const double naive40 = log(normal_pdf(40.0));
    //: $\log\mathcal N(40;0,1)$ without forming the density, [eq:L07.Z5.15.logpdf]
    const double lp40 = gauss_logpdf_1d(40.0, 0.0, 1.0);
    printf("x = 40: log(pdf) = %g (exp(-800) underflows), logpdf = %.10f\n", naive40, lp40);
    check_close("L07.Z5.15.logpdf_40", lp40, -800.0 - 0.5 * log(2.0 * M_PI), 1e-9,
                "L07.Z5.15.logpdf", "logpdf(40) = -800.9189385332");
}

/*: ## Z5.15 Softmax: shift by the maximum

$$ \operatorname{softmax}(a)_k = \frac{e^{a_k - a^*}}{\sum_j e^{a_j - a^*}},\qquad a^* = \max_j a_j $$ {#eq:L07.Z5.15.softmax_shift}

Without the shift, $e^{1000}$ overflows and the ratio is $\infty/\infty$ = NaN. Reference
$(0.0900305732, 0.2447284711, 0.6652409558)$ = softmax$(0, 1, 2)$ (spec L07 Z5.15).
*/
static void softmax_shift(void) {
    const double logits[3] = {1000.0, 1001.0, 1002.0};
    double prob[3], naive[3], z = 0.0;
    for (int k = 0; k < 3; k++) z += exp(logits[k]);
    for (int k = 0; k < 3; k++) naive[k] = exp(logits[k]) / z;
    //: $\operatorname{softmax}(a)$ with the shift $a^*$, [eq:L07.Z5.15.softmax_shift]
    softmax(logits, prob, 3);
    const double expect[3] = {0.0900305732, 0.2447284711, 0.6652409558};
    double serr = 0.0;
    for (int k = 0; k < 3; k++) serr = fmax(serr, fabs(prob[k] - expect[k]));
    printf("softmax(1000, 1001, 1002): naive (%g, %g, %g) (inf/inf), shifted (%.10f, %.10f, %.10f)\n",
           naive[0], naive[1], naive[2], prob[0], prob[1], prob[2]);
    check_close("L07.Z5.15.softmax_stable", serr, 0.0, 1e-10, "L07.Z5.15.softmax_shift",
                "max |softmax(1000, 1001, 1002) - (0.0900306, 0.2447285, 0.6652410)|");
    const double pair_hi[2] = {1000.0, 1000.0}, pair_lo[2] = {-1000.0, -1000.0};
    check_close("L07.Z5.15.lse_pairs", fabs(logsumexp(pair_hi, 2) - 1000.6931471806) +
                fabs(logsumexp(pair_lo, 2) + 999.3068528194), 0.0, 1e-9, "L07.Z5.15.softmax_shift",
                "lse(1000, 1000) = 1000.693147, lse(-1000, -1000) = -999.306853");
}

/*: ## Z5.15 KL with a zero probability

$$ D_{\mathrm{KL}}(p\|q) = \sum_{x:\,p(x) > 0} p(x)\big(\log p(x) - \log q(x)\big) $$ {#eq:L07.Z5.15.kl_zero}

With $p = (0.5, 0.5, 0)$, $q = (0.4, 0.4, 0.2)$ the naive $\sum p\log(p/q)$ evaluates
$0\cdot\log 0 = 0\cdot(-\infty)$ = NaN; the convention $0\log 0 = 0$ (`xlogy_ratio`) gives
$\log(0.5/0.4) = 0.2231435513$.
*/
static void kl_with_zero(void) {
    const double p[3] = {0.5, 0.5, 0.0}, q[3] = {0.4, 0.4, 0.2};
    double kl_naive = 0.0, kl = 0.0;
    for (int k = 0; k < 3; k++) {
        kl_naive += p[k] * log(p[k] / q[k]);
        //: $p\log(p/q)$ with $0\log 0 = 0$, [eq:L07.Z5.15.kl_zero]
        kl += xlogy_ratio(p[k], q[k]);
    }
    printf("KL with p(x) = 0: naive sum p log(p/q) = %g (0 * -inf)\n", kl_naive);
    check_close("L07.Z5.15.kl_zero_convention", kl, log(1.25), 1e-12, "L07.Z5.15.kl_zero",
                "KL((0.5, 0.5, 0) || (0.4, 0.4, 0.2)) = log 1.25 = 0.2231435513");
}

/*: ## Z5.15 The log of a mixture density

$$ \log p(x) = \operatorname{lse}_k\big[\log\pi_k + \log\mathcal N(x\mid\mu_k,\sigma_k^2)\big] $$ {#eq:L07.Z5.15.log_mixture}

At $x = 50$ with $\pi = (0.6, 0.4)$, $\mu = \mp3$, $\sigma = 1$ the naive
$\log(\pi_1\mathcal N_1 + \pi_2\mathcal N_2) = \log 0 = -\infty$ (as in `04_gmm_mle`).
*/
static void log_mixture(void) {
    const double x = 50.0, pi[2] = {0.6, 0.4}, mu[2] = {-3.0, 3.0};
    const double naive_mix = log(pi[0] * normal_pdf(x - mu[0]) + pi[1] * normal_pdf(x - mu[1]));
    double terms[2];
    //: $\log\pi_k + \log\mathcal N(x\mid\mu_k, 1)$, [eq:L07.Z5.15.log_mixture]
    for (int k = 0; k < 2; k++) terms[k] = log(pi[k]) + gauss_logpdf_1d(x, mu[k], 1.0);
    //: $\operatorname{lse}_k$, [eq:L07.Z5.15.log_mixture]
    const double log_mix = logsumexp(terms, 2);
    printf("log mixture density at x = 50: naive %g (both densities underflow), lse %.10f\n",
           naive_mix, log_mix);
    check_close("L07.Z5.15.mixture_lse", log_mix, -1106.3352292651, 1e-9,
                "L07.Z5.15.log_mixture", "log-sum-exp log mixture density at x = 50 (spec 04.3)");
}

/*: ## Z5b.3 Q1 A density above 1: negative NLL

Densities are not probabilities: $\mathcal N(0; 0, 0.1^2) = 1/(0.1\sqrt{2\pi}) = 3.99$, so
$\log p = 1.3836465598$ and the NLL of that point is negative. Z5b.3 Q1's "NLL $\ge 0$"
holds only for discrete models.
*/
static void density_above_one(void) {
    //: $\log\mathcal N(0;0,0.1^2)$, [eq:L07.Z5.15.logpdf]
    const double lp_narrow = gauss_logpdf_1d(0.0, 0.0, 0.1);
    check_close("L07.Z5.15.density_above_one", lp_narrow, 1.3836465598, 1e-10, "L07.Z5.15.logpdf",
                "log N(0; 0, 0.1^2) = 1.3836465598 > 0 (spec 14.8)");
    check_erratum("L07.Z5b.3.nll_nonneg", 0.0, -lp_narrow,
                  "Z5b.3 Q1: 'NLL >= 0'; for a density the NLL of a point can be negative "
                  "(N(0, 0.1^2) at 0: -1.3836)");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.15: underflow of likelihood products and the log-sum-exp trick", 0, NULL);
    product_underflow();
    log_of_pdf();
    softmax_shift();
    kl_with_zero();
    log_mixture();
    density_above_one();
    return check_end();
}
