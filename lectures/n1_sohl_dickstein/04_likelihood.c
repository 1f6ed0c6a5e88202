/*: # N1 l.303–345 — likelihood, log-likelihood, and which one is concave

**Study note, parametric problems and likelihood (l.303–345).** The note defines
$L(\theta) = \prod_i p(x_i,\theta)$ and $L_{\log}(\theta) = \sum_i\log p(x_i,\theta)$ and says that for
coin tossing "the likelihood function is concave (上に凸), so finding an extremum suffices".
For the coin, $\log L$ is concave; $L$ is not (E24).

What you will see: $L = \theta^2$ (two heads in two tosses) is convex; for 3 heads in 10, $L''$
changes sign at the two roots of a quadratic while $\ell''<0$ everywhere; the maximiser $k/n$ by
bisection on $\ell'$ (which needs concavity), the boundary maximiser for $k\in\{0,n\}$; the exact
identity $-\ell/n = H(\hat p) + D(\hat p\Vert p_\theta)$ ("MLE = minimum KL"); and, over $10^5$
replicates of $n = 1000$ tosses, the variance of $\sqrt n(\hat\theta-\theta_0)$ and Wilks'
$2(\ell(\hat\theta)-\ell(\theta_0))\approx\chi^2_1$; and the memo's "likelihood = energy" (E46) on a
Gaussian energy model. Figure: `likelihood_vs_loglik.png`.

Run: `build/release/bin/lectures/n1_sohl_dickstein/04_likelihood [--quick|--full]`.

| symbol | C name | shape |
|---|---|---|
| $n, k$ (tosses, heads) | `n`, `k` | int |
| $L(\theta)$, $\ell(\theta) = \log L$ | `lik`, `loglik` | scalar |
| $\hat\theta$ | `theta_hat` | scalar |
| $\hat p$, $p_\theta$ (categorical) | `p_hat`, `p_theta` | (5) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/divergence.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

/*: ## Likelihood and log-likelihood of a coin

$$ L(\theta) = \theta^k(1-\theta)^{n-k},\qquad \ell(\theta) = k\ln\theta + (n-k)\ln(1-\theta),\qquad
   \ell''(\theta) = -\frac{k}{\theta^2} - \frac{n-k}{(1-\theta)^2} < 0 . $$ {#eq:N1.L.coin}
$L'' = L\,(\ell'' + \ell'^2)$ has the sign of
$k(k-1)(1-\theta)^2 - 2k(n-k)\theta(1-\theta) + (n-k)(n-k-1)\theta^2$, a quadratic in $\theta$ with
two roots in $(0,1)$ when $2\le k\le n-2$: $L$ is convex near both ends.
*/
static double lik(double th, int n, int k) { return pow(th, k) * pow(1 - th, n - k); }
//: eq. [eq:N1.L.coin]
static double loglik(double th, int n, int k) { return k * log(th) + (n - k) * log1p(-th); }
static double dloglik(double th, int n, int k) { return k / th - (n - k) / (1 - th); }

static void concavity(void) {
    /* n = k = 2: L = theta^2, L'' = 2 */
    const double h = 1e-4;
    double l2 = (lik(0.5 + h, 2, 2) - 2 * lik(0.5, 2, 2) + lik(0.5 - h, 2, 2)) / (h * h);
    check_close("N1.L.n2k2_convex", l2, 2.0, 1e-6, "N1.L.coin", "second difference of L = theta^2 at 0.5 (convex, not concave)");
    check_erratum("N1.L.likelihood_concave", 0.0, l2, "E24: 'the coin likelihood is concave' (L'' <= 0); L'' = 2 for n = k = 2");
    /* n = 10, k = 3: sign changes of the second difference of L on a grid vs the quadratic's roots */
    const int n = 10, k = 3, G = 10000;
    double changes[4], max_ell2 = -INFINITY, prev = 0.0;
    int nch = 0;
    for (int i = 1; i < G; i++) {
        double th = (double)i / G, hh = 0.5 / G;
        double d2 = (lik(th + hh, n, k) - 2 * lik(th, n, k) + lik(th - hh, n, k)) / (hh * hh);
        double e2 = (loglik(th + hh, n, k) - 2 * loglik(th, n, k) + loglik(th - hh, n, k)) / (hh * hh);
        max_ell2 = fmax(max_ell2, e2);
        if (i > 1 && (d2 > 0) != (prev > 0) && nch < 4) changes[nch++] = th - 0.5 / G;
        prev = d2;
    }
    double a = k * (k - 1) + 2.0 * k * (n - k) + (n - k) * (n - k - 1);
    double b = -2.0 * k * (k - 1) - 2.0 * k * (n - k), c = k * (k - 1);
    double r1 = (-b - sqrt(b * b - 4 * a * c)) / (2 * a), r2 = (-b + sqrt(b * b - 4 * a * c)) / (2 * a);
    check_close("N1.L.inflection_count", nch, 2, 0, "N1.L.coin", "sign changes of L'' on (0,1) for n = 10, k = 3");
    check_close("N1.L.inflection_points", fmax(fabs(changes[0] - r1), fabs(changes[1] - r2)), 0.0, 1.0 / G, "N1.L.coin",
                "grid sign changes vs the roots %.5f, %.5f of the quadratic", r1, r2);
    check_le("N1.L.loglik_concave", max_ell2, 0.0, 0.0, "N1.L.coin", "max over the grid of the second difference of log L < 0");
}

/*: ## The maximiser

Because $\ell'$ is strictly decreasing, its unique zero is the global maximum, found by bisection:
$\hat\theta = k/n$. For $k = 0$ (or $n$) $\ell' < 0$ ($>0$) on all of $(0,1)$: no stationary point,
the maximum is at the boundary. An "extremum" (l.343) would also admit a minimum of $L$, which for
$2\le k\le n-2$ does not exist in the interior but does at the ends $L(0)=L(1)=0$.
*/
static double mle_bisect(int n, int k) {
    double lo = 1e-15, hi = 1 - 1e-15;
    for (int it = 0; it < 200 && hi - lo > 0; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        if (dloglik(mid, n, k) > 0) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void maximiser(void) {
    double err = 0.0;
    for (int k = 1; k < 10; k++) err = fmax(err, fabs(mle_bisect(10, k) - k / 10.0));
    check_close("N1.L.mle_is_k_over_n", err, 0.0, 1e-15, "N1.L.coin", "max_k |bisection root of l'(theta) - k/n|, n = 10");
    int neg = 1;
    for (int i = 1; i < 1000; i++) neg &= dloglik(i / 1000.0, 10, 0) < 0;
    check_true("N1.L.boundary_k0", neg, "k = 0: l'(theta) < 0 on the whole grid, the maximiser is theta = 0 (boundary)");
}

/*: ## MLE = minimum KL (exact identity)

For i.i.d. categorical data with empirical law $\hat p$,
$$ -\tfrac1n\ell(\theta) = H(\hat p) + D(\hat p\Vert p_\theta) , $$ {#eq:N1.L.mle_kl}
so maximising $\ell$ minimises $D(\hat p\Vert p_\theta)$; both sides are computed independently.
*/
static void mle_kl(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 1);
    double worst = 0.0;
    for (int rep = 0; rep < 20; rep++) {
        double p_true[5], p_theta[5], counts[5] = {0}, p_hat[5];
        for (int j = 0; j < 5; j++) p_true[j] = rng_uniform(&r), p_theta[j] = rng_uniform(&r);
        double st = 0, sm = 0;
        for (int j = 0; j < 5; j++) st += p_true[j], sm += p_theta[j];
        for (int j = 0; j < 5; j++) p_true[j] /= st, p_theta[j] /= sm;
        const int n = 200;
        double ell = 0.0;
        for (int i = 0; i < n; i++) {
            int x = rng_categorical(&r, p_true, 5);
            counts[x]++;
            //: $\ell = \sum_i \log p_\theta(x_i)$
            ell += log(p_theta[x]);
        }
        for (int j = 0; j < 5; j++) p_hat[j] = counts[j] / n;
        //: eq. [eq:N1.L.mle_kl]
        worst = fmax(worst, fabs(-ell / n - (entropy_discrete(p_hat, 5) + kl_discrete(p_hat, p_theta, 5))));
    }
    check_close("N1.L.mle_kl_identity", worst, 0.0, 1e-13, "N1.L.mle_kl", "max over 20 random data sets |-l/n - H(p_hat) - D(p_hat||p_theta)|");
}

/*: ## Consistency, Fisher information, Wilks

For the coin $\operatorname{Var}(\hat\theta) = \theta_0(1-\theta_0)/n$ exactly, i.e.
$n\operatorname{Var}(\hat\theta)/(\theta_0(1-\theta_0)) = 1 = I(\theta_0)^{-1}\cdot I(\theta_0)$; and Wilks:
$2(\ell(\hat\theta)-\ell(\theta_0))\to\chi^2_1$, mean 1 (up to $O(1/n)$).
$$ \sqrt n(\hat\theta-\theta_0)\Rightarrow\mathcal N(0, I(\theta_0)^{-1}),\quad I(\theta) = \frac{1}{\theta(1-\theta)} . $$ {#eq:N1.L.fisher}
Replicate $j$ uses Philox stream $j$.
*/
static void replicates(long reps, uint64_t seed) {
    const int n = 1000;
    const double th0 = 0.3;
    double *z2 = xmalloc(reps * sizeof *z2), *wilks = xmalloc(reps * sizeof *wilks);
    for (long j = 0; j < reps; j++) {
        Rng r;
        rng_init(&r, seed, 100 + (uint64_t)j);
        int k = 0;
        for (int i = 0; i < n; i++) k += rng_uniform(&r) < th0;
        double th = (double)k / n;
        //: $n(\hat\theta-\theta_0)^2 I(\theta_0)$, eq. [eq:N1.L.fisher]
        z2[j] = n * (th - th0) * (th - th0) / (th0 * (1 - th0));
        double lh = (k > 0 ? k * log(th) : 0) + (k < n ? (n - k) * log1p(-th) : 0);
        wilks[j] = 2 * (lh - loglik(th0, n, k));
    }
    double se1, m1 = stats_mean_se(z2, reps, &se1), se2, m2 = stats_mean_se(wilks, reps, &se2);
    check_mc("N1.L.fisher_variance", m1, 1.0, se1, 4.0, reps, "N1.L.fisher", "n Var(theta_hat) I(theta_0), n = 1000, theta_0 = 0.3 (exactly 1)");
    check_mc("N1.L.wilks_mean", m2, 1.0, se2, 4.0, reps, "N1.L.fisher", "mean of 2(l(theta_hat) - l(theta_0)) -> 1 (chi^2_1)");
    free(z2);
    free(wilks);
}

/*: ## The physics memo: "likelihood = energy" (l.698–699)

For a Boltzmann family $p_\theta(x) = e^{-E_\theta(x)}/Z_\theta$ (temperature 1),
$$ E_\theta(x) = -\log p_\theta(x) - \log Z_\theta, $$ {#eq:N1.M.energy}
so energy is the *negative* log-likelihood up to the constant $\log Z_\theta$, and maximum likelihood
minimises $\mathbb E_{data}E_\theta + \log Z_\theta$, not the energy at the data points alone (E46).
With $E_\theta(x) = \theta x^2/2$ ($Z_\theta = \sqrt{2\pi/\theta}$) and data of second moment $s^2$:
lowering the data's energy drives $\theta\to0$, where $\log Z\to\infty$ and the likelihood
$\to-\infty$; the MLE is $\theta = 1/s^2$ (found here by bisection on the derivative of the mean
log-likelihood).
*/
static double ebm_mean_loglik(double theta, double s2) { return -theta * s2 / 2 - 0.5 * log(2 * M_PI / theta); }

static void energy_memo(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 7);
    double s2 = 0.0;
    const int n = 500;
    for (int i = 0; i < n; i++) { double x = 1.7 * rng_normal(&r); s2 += x * x / n; }
    double lo = 1e-6, hi = 100.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi), h = 1e-7 * mid;
        //: $\frac{d}{d\theta}\big(-\mathbb E E_\theta - \log Z_\theta\big)$, eq. [eq:N1.M.energy]
        if (ebm_mean_loglik(mid + h, s2) - ebm_mean_loglik(mid - h, s2) > 0) lo = mid; else hi = mid;
    }
    check_rel("N1.M.ebm_mle", 0.5 * (lo + hi), 1.0 / s2, 1e-6, "N1.M.energy", "argmax of the mean log-likelihood = 1/s^2 (s^2 = %.4f)", s2);
    double th_small = 1e-6;
    check_erratum("N1.M.likelihood_is_energy", ebm_mean_loglik(th_small, s2), ebm_mean_loglik(1.0 / s2, s2),
                  "E46: minimising the data's energy (theta -> 0, here 1e-6: mean energy %.1e) gives mean log-likelihood "
                  "'lecture'; the MLE theta = 1/s^2 gives 'correct'", th_small * s2 / 2);
}

static void figure(const Cli *cli) {
    enum { G = 400 };
    double th[G], l[G], ll[G];
    for (int i = 0; i < G; i++) th[i] = (i + 0.5) / G, l[i] = lik(th[i], 10, 3) / lik(0.3, 10, 3), ll[i] = loglik(th[i], 10, 3);
    Plot *p = plot_new_grid(1, 2, 1200, 480, "n = 10 tosses, k = 3 heads");
    plot_panel(p, 0);
    plot_title(p, "L(theta)/L(0.3): convex near both ends");
    plot_line(p, th, l, G, "L");
    plot_xlabel(p, "theta");
    plot_panel(p, 1);
    plot_title(p, "log L(theta): concave");
    plot_line(p, th, ll, G, "log L");
    plot_ylim(p, -30, 0);
    plot_xlabel(p, "theta");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "likelihood_vs_loglik.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "N1 likelihood: L vs log L concavity, MLE = min KL, Fisher, Wilks", 404, NULL);
    concavity();
    maximiser();
    mle_kl(cli.seed);
    replicates(cli_scale(&cli, 2000, 100000, 400000), cli.seed);
    energy_memo(cli.seed);
    figure(&cli);
    return check_end();
}
