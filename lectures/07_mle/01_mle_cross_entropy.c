/*: # L07 Z5.1 — Maximum likelihood is cross-entropy minimisation

**Lecture 7, Part 2, section Z5.1** (with the softmax cross-entropy identity of Z5.9, Quick
Check 2 and the self-test Z5b.1 Q4).

A categorical model $q_\theta = \operatorname{softmax}(\theta)$ over $K = 3$ symbols is fitted
to counts $(50, 30, 20)$. The program shows, with numbers, the lecture's "trinity": maximising
the log-likelihood, minimising the cross-entropy $H(\hat p, q_\theta)$ and minimising
$D_{\mathrm{KL}}(\hat p\,\|\,q_\theta)$ are the same problem, and it computes everything through
a softmax that cannot overflow.

What you will see: the empirical distribution, the model, the three quantities and the identity
that ties them, the gradient $q - \hat p$ checked against finite differences, a gradient-descent
fit that drives the KL to zero, and the log-sum-exp edge cases that break a naive softmax.
Figure: `kl_descent.png`, the KL and the gap $\lvert q-\hat p\rvert$ during the fit (log scale).

Run: `make run L=07`, or `build/release/bin/lectures/07_mle/01_mle_cross_entropy [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $n_x$ (counts) | `counts` | (K) |
| $N = \sum_x n_x$ | `n_total` | scalar |
| $\hat p$ | `p_hat` | (K) |
| $\theta$ (logits) | `theta` | (K) |
| $q_\theta = \operatorname{softmax}(\theta)$ | `q` | (K) |
| $H(\hat p, q)$, $H(\hat p)$, $D_{\mathrm{KL}}(\hat p\|q)$ | `h_pq`, `h_p`, `kl_pq` | scalars |
| $\eta$ (step size) | `lr` | scalar |
*/
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/mathfn.h"
#include "common/plot.h"
#include "common/stats.h"
#include "common/util.h"

enum { K = 3 };

/*: ## Cross-entropy, entropy and KL of discrete distributions

$$ H(p, q) = -\sum_x p(x)\log q(x), \qquad
   D_{\mathrm{KL}}(p\,\|\,q) = \sum_x p(x)\log\frac{p(x)}{q(x)} = H(p,q) - H(p) \ \ge 0 $$ {#eq:L07.Z5.1.cross_entropy_kl}

A term with $p(x) = 0$ contributes nothing ($0\log 0 = 0$). The lecture instead adds
$\varepsilon = 10^{-12}$ inside every logarithm; `eps` below selects that variant so that both
can be compared (the difference is of order $\varepsilon$).
*/
static double cross_entropy(const double *p, const double *q, double eps) {
    double h = 0.0;
    for (int x = 0; x < K; x++)
        //: $-\sum_x p(x)\log q(x)$, [eq:L07.Z5.1.cross_entropy_kl]
        if (p[x] > 0.0) h -= p[x] * log(q[x] + eps);
    return h;
}

static double kl_divergence(const double *p, const double *q, double eps) {
    double d = 0.0;
    for (int x = 0; x < K; x++)
        //: $\sum_x p(x)\log\frac{p(x)}{q(x)}$, [eq:L07.Z5.1.cross_entropy_kl]
        if (p[x] > 0.0) d += p[x] * (log(p[x] + eps) - log(q[x] + eps));
    return d;
}

/*: ## The model and its gradient

With $q_\theta = \operatorname{softmax}(\theta)$ the cross-entropy is
$H(\hat p, q_\theta) = \operatorname{lse}(\theta) - \sum_x \hat p(x)\,\theta_x$, whose gradient is

$$ \nabla_\theta H(\hat p, q_\theta) = q_\theta - \hat p $$ {#eq:L07.Z5.1.grad_ce}

so the only stationary point is $q_\theta = \hat p$: the maximum-likelihood model reproduces the
empirical frequencies.
*/
static double cross_entropy_of_logits(const double *p_hat, const double *theta) {
    double q[K];
    softmax(theta, q, K);
    //: $H(\hat p, q_\theta)$, [eq:L07.Z5.1.cross_entropy_kl]
    return cross_entropy(p_hat, q, 0.0);
}

static void grad_cross_entropy(const double *p_hat, const double *theta, double *grad) {
    double q[K];
    //: $q_\theta = \operatorname{softmax}(\theta)$
    softmax(theta, q, K);
    //: $\nabla_\theta H = q_\theta - \hat p$, eq. [eq:L07.Z5.1.grad_ce]
    for (int x = 0; x < K; x++) grad[x] = q[x] - p_hat[x];
}

/* What the sections share: the data, the starting logits and the model at them. */
static const double counts[K] = {50.0, 30.0, 20.0};
static const double theta0[K] = {0.2, -0.1, 0.0};

/*: ## Z5.1 Data: the empirical distribution

$$ \hat p(x) = \frac{n_x}{N}, \qquad N = \sum_x n_x $$ {#eq:L07.Z5.1.p_hat}

With counts $(50, 30, 20)$ this is $(0.5, 0.3, 0.2)$, printed below: a definition, not a check.
*/
static void empirical_distribution(double *p_hat, double *n_total) {
    *n_total = 0.0;
    //: $N = \sum_x n_x$, [eq:L07.Z5.1.p_hat]
    for (int x = 0; x < K; x++) *n_total += counts[x];
    //: $\hat p(x) = n_x / N$, [eq:L07.Z5.1.p_hat]
    for (int x = 0; x < K; x++) p_hat[x] = counts[x] / *n_total;
    printf("p_hat = (%.12f, %.12f, %.12f), N = %g\n", p_hat[0], p_hat[1], p_hat[2], *n_total);
}

/*: ## Z5.1 The log-sum-exp that every softmax needs

$$ \operatorname{lse}(\theta) = \theta^* + \log\sum_x e^{\theta_x - \theta^*},\quad \theta^* = \max_x\theta_x $$ {#eq:L07.Z5.1.lse}

The lecture writes it as a GPU reduction kernel (one pass for the maximum, one for the sum
of shifted exponentials). `logsumexp` of `common/mathfn.c` is the same two-pass reduction in
C; `logsumexp_online` does it in a single pass, rescaling the running sum whenever a new
maximum appears. Reference: $\operatorname{lse}(0.2, -0.1, 0) = 1.139831060844$ (computed
independently in double precision, spec L07 Z5.1). That softmax sums to 1 is its definition
(it divides by the sum), so it is printed rather than checked.
*/
static double log_sum_exp(double *q) {
    //: $\operatorname{lse}(\theta)$ in two passes, [eq:L07.Z5.1.lse]
    const double lse_two_pass = logsumexp(theta0, K);
    //: the same in one pass with a running maximum, [eq:L07.Z5.1.lse]
    const double lse_one_pass = logsumexp_online(theta0, K);
    check_close("L07.Z5.1.lse_value", lse_two_pass, 1.139831060844, 1e-12, "L07.Z5.1.lse",
                "two-pass logsumexp of theta = (0.2, -0.1, 0)");
    check_close("L07.Z5.1.lse_one_pass", lse_one_pass - lse_two_pass, 0.0, 1e-14, "L07.Z5.1.lse",
                "one-pass (online) logsumexp equals the two-pass one");
    //: $q_\theta(x) = e^{\theta_x - \operatorname{lse}(\theta)}$
    softmax(theta0, q, K);
    const double q_expect[K] = {0.390693833270, 0.289433110394, 0.319873056336};
    printf("q     = (%.12f, %.12f, %.12f), sum - 1 = %.1e\n", q[0], q[1], q[2], q[0] + q[1] + q[2] - 1.0);
    check_close("L07.Z5.1.softmax_value", stats_max_abs_diff(q, q_expect, K), 0.0, 1e-12,
                "L07.Z5.1.lse", "max |softmax(theta) - reference (0.390694, 0.289433, 0.319873)|");
    return lse_two_pass;
}

/*: ## Z5.1 The trinity, numerically

The lecture's own pass criteria are $D_{\mathrm{KL}}(\hat p\|q) \ge 0$ and
$H(\hat p, q) = H(\hat p) + D_{\mathrm{KL}}(\hat p\|q)$, eq. [eq:L07.Z5.1.cross_entropy_kl]. The
lecture's $\varepsilon = 10^{-12}$ inside the logarithms moves $H(\hat p)$ by
$-\sum_x \hat p(x)\log(1 + \varepsilon/\hat p(x)) \approx -K\varepsilon$: a first-order prediction
that the two code paths must reproduce.
*/
static void trinity(const double *p_hat, const double *q, double *h_p_out, double *kl_out) {
    const double h_pq = cross_entropy(p_hat, q, 0.0);
    const double h_p = cross_entropy(p_hat, p_hat, 0.0);
    const double kl_pq = kl_divergence(p_hat, q, 0.0);
    printf("H(p,q) = %.12f\nH(p)   = %.12f\nKL     = %.12f\n", h_pq, h_p, kl_pq);
    check_close("L07.Z5.1.cross_entropy", h_pq, 1.069831060844, 1e-12,
                "L07.Z5.1.cross_entropy_kl", "H(p_hat, q) (= lse(theta) - sum p_hat theta)");
    check_close("L07.Z5.1.entropy", h_p, 1.029653014065, 1e-11, "L07.Z5.1.cross_entropy_kl",
                "H(p_hat) with 0 log 0 = 0");
    //: $H_\varepsilon(\hat p) - H(\hat p)$ with $\log(p + \varepsilon)$
    const double eps_shift = cross_entropy(p_hat, p_hat, 1e-12) - h_p;
    check_close("L07.Z5.1.entropy_eps", eps_shift, -K * 1e-12, 1e-14, "L07.Z5.1.cross_entropy_kl",
                "H(p_hat) with the lecture's log(p + 1e-12) minus H(p_hat) = -K eps to first order");
    check_ge("L07.Z5.1.kl_nonneg", kl_pq, 0.0, 1e-12, "L07.Z5.1.cross_entropy_kl",
             "KL(p_hat || q) >= 0 (the lecture's first pass criterion)");
    check_close("L07.Z5.1.kl_value", kl_pq, 0.040178046780, 1e-12, "L07.Z5.1.cross_entropy_kl",
                "KL(p_hat || q) value");
    check_close("L07.Z5.1.decomposition", h_pq - (h_p + kl_pq), 0.0, 1e-10,
                "L07.Z5.1.cross_entropy_kl",
                "H(p,q) - (H(p) + KL(p||q)) (the lecture's second pass criterion)");
    const double kl_qp = kl_divergence(q, p_hat, 0.0);
    check_close("L07.Z5.1.kl_reverse", kl_qp, 0.043458141383, 1e-12, "L07.Z5.1.cross_entropy_kl",
                "KL(q || p_hat) = 0.043458 differs from KL(p_hat || q) = 0.040178: KL is not symmetric");
    *h_p_out = h_p;
    *kl_out = kl_pq;
}

/*: ## Quick Check 2: the sign of the entropy term

$$ D_{\mathrm{KL}}(\hat p\|q_\theta) = \sum_x \hat p\log\frac{\hat p}{q_\theta}
   = -H(\hat p) - \mathbb E_{\hat p}[\log q_\theta] $$ {#eq:L07.Z5.1.quick_check_2}

The lecture's answer writes $+H(\hat p)$; with the numbers above that form gives 2.0995
instead of the KL 0.0402.
*/
static void quick_check_2(const double *p_hat, const double *q, double h_p) {
    double expected_log_q = 0.0;
    //: $\mathbb E_{\hat p}[\log q_\theta]$
    for (int x = 0; x < K; x++) expected_log_q += p_hat[x] * log(q[x]);
    //: $-H(\hat p) - \mathbb E_{\hat p}[\log q_\theta]$, [eq:L07.Z5.1.quick_check_2]
    const double kl_by_quick_check = -h_p - expected_log_q;
    check_close("L07.Z5.1.quick_check_2", kl_by_quick_check, 0.040178046780, 1e-12,
                "L07.Z5.1.quick_check_2",
                "-H(p_hat) - E_p_hat[log q] reproduces the reference KL(p_hat || q) = 0.040178");
    check_erratum("L07.Z5.1.quick_check_2_sign", h_p - expected_log_q, kl_by_quick_check,
                  "Quick Check 2 writes +H(p_hat) - E[log q]; the correct sign is -H(p_hat)");
}

/*: ## Z5.1 The gradient, checked by central differences

Each component of eq. [eq:L07.Z5.1.grad_ce] against
$\big(H(\theta + h e_i) - H(\theta - h e_i)\big) / 2h$ with $h = 10^{-6}$: the truncation
error is $O(h^2) \approx 10^{-12}$ and the rounding error $O(\epsilon_{\text{mach}}/h)
\approx 10^{-10}$, so agreement to $10^{-8}$ is a strict test.
*/
static void gradient_check(const double *p_hat) {
    double grad[K], fd_err = 0.0;
    grad_cross_entropy(p_hat, theta0, grad);
    for (int i = 0; i < K; i++) {
        const double h = 1e-6;
        double tp[K] = {theta0[0], theta0[1], theta0[2]}, tm[K] = {theta0[0], theta0[1], theta0[2]};
        tp[i] += h;
        tm[i] -= h;
        //: $\big(H(\theta + h e_i) - H(\theta - h e_i)\big)/2h$
        const double fd = (cross_entropy_of_logits(p_hat, tp) - cross_entropy_of_logits(p_hat, tm)) / (2 * h);
        fd_err = fmax(fd_err, fabs(fd - grad[i]));
    }
    const double grad_expect[K] = {-0.109306166730, -0.010566889606, 0.119873056336};
    check_close("L07.Z5.1.grad_fd", fd_err, 0.0, 1e-8, "L07.Z5.1.grad_ce",
                "max |(q - p_hat) - central finite difference (h = 1e-6)|");
    check_close("L07.Z5.1.grad_value", stats_max_abs_diff(grad, grad_expect, K), 0.0, 1e-12,
                "L07.Z5.1.grad_ce", "q - p_hat = (-0.109306, -0.010567, 0.119873)");
}

/*: ## Z5.1 Maximum likelihood by gradient descent

$$ \theta \leftarrow \theta - \eta\,(q_\theta - \hat p), \qquad
   \ell(\theta) = \sum_x n_x \log q_\theta(x) = -N\,H(\hat p, q_\theta) $$ {#eq:L07.Z5.1.gd_loglik}

With $\eta = 1$ the iteration contracts: the KL falls by orders of magnitude every few
dozen steps, and the log-likelihood climbs to its maximum $-N H(\hat p)$, the value at
$q = \hat p$. Figure `kl_descent.png`: the KL and $\max\lvert q - \hat p\rvert$ per step.
*/
enum { STEPS = 200 };

static void gradient_descent(const Cli *cli, const double *p_hat, double n_total) {
    double theta[K] = {theta0[0], theta0[1], theta0[2]}, q[K], grad[K];
    //: $\ell(\theta_0) = -N H(\hat p, q_{\theta_0})$, [eq:L07.Z5.1.gd_loglik]
    const double loglik0 = -n_total * cross_entropy_of_logits(p_hat, theta);
    check_close("L07.Z5.1.loglik_start", loglik0, -106.983106084, 1e-8, "L07.Z5.1.gd_loglik",
                "log-likelihood of the counts at theta0 = -N H(p_hat, q)");
    const double lr = 1.0;
    double kl_trace[STEPS + 1], gap_trace[STEPS + 1], iters[STEPS + 1];
    for (int step = 0; step <= STEPS; step++) {
        softmax(theta, q, K);
        iters[step] = step;
        kl_trace[step] = kl_divergence(p_hat, q, 0.0);
        gap_trace[step] = stats_max_abs_diff(q, p_hat, K);
        if (step == STEPS) break;
        grad_cross_entropy(p_hat, theta, grad);
        //: $\theta \leftarrow \theta - \eta (q_\theta - \hat p)$, [eq:L07.Z5.1.gd_loglik]
        for (int x = 0; x < K; x++) theta[x] -= lr * grad[x];
    }
    printf("gradient descent: KL after 10 steps %.3e, after 50 %.3e, after %d %.3e\n",
           kl_trace[10], kl_trace[50], STEPS, kl_trace[STEPS]);
    check_le("L07.Z5.1.gd_kl", kl_trace[STEPS], 1e-14, 0.0, "L07.Z5.1.gd_loglik",
             "KL(p_hat || q) after 200 gradient steps");
    check_le("L07.Z5.1.gd_q_equals_p_hat", gap_trace[STEPS], 1e-10, 0.0, "L07.Z5.1.grad_ce",
             "max |q - p_hat| after 200 steps: the MLE reproduces the frequencies");
    //: $\ell(\hat\theta) = -N H(\hat p)$, [eq:L07.Z5.1.gd_loglik]
    const double loglik_opt = -n_total * cross_entropy_of_logits(p_hat, theta);
    check_close("L07.Z5.1.loglik_max", loglik_opt, -102.965301406, 1e-8, "L07.Z5.1.gd_loglik",
                "maximum log-likelihood -N H(p_hat)");

    Plot *plot = plot_new(720, 440, "Z5.1: maximum likelihood by gradient descent (eta = 1)");
    plot_xlabel(plot, "iteration");
    plot_ylabel(plot, "value (log scale)");
    plot_ylog(plot, 1);
    double kl_pos[STEPS + 1], gap_pos[STEPS + 1];
    for (int i = 0; i <= STEPS; i++) { /* a log axis cannot show exact zeros: floor at 1e-17 */
        kl_pos[i] = fmax(kl_trace[i], 1e-17);
        gap_pos[i] = fmax(gap_trace[i], 1e-17);
    }
    plot_line(plot, iters, kl_pos, STEPS + 1, "KL(p_hat || q_theta)");
    plot_line(plot, iters, gap_pos, STEPS + 1, "max |q_theta - p_hat|");
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "kl_descent.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

/*: ## Z5.9 Per-token cross-entropy is log-sum-exp minus the target logit

$$ -\log \operatorname{softmax}(\theta)_c = \operatorname{lse}(\theta) - \theta_c $$ {#eq:L07.Z5.1.token_ce}

This is what a language model's cross-entropy loss computes for each next token.
*/
static void token_cross_entropy(void) {
    double log_q[K], token_err = 0.0;
    log_softmax(theta0, log_q, K);
    const double token_expect[K] = {0.939831060844, 1.239831060844, 1.139831060844};
    for (int c = 0; c < K; c++) {
        //: $\mathrm{CE}(c) = \operatorname{lse}(\theta) - \theta_c$, [eq:L07.Z5.1.token_ce]
        const double ce = logsumexp(theta0, K) - theta0[c];
        token_err = fmax(token_err, fabs(ce - token_expect[c]) + fabs(ce + log_q[c]));
    }
    check_close("L07.Z5.1.token_ce", token_err, 0.0, 1e-12, "L07.Z5.1.token_ce",
                "lse(theta) - theta_c equals -log_softmax(theta)_c and the reference (0.94, 1.24, 1.14)");
}

/*: ## Z5.1 Where a naive softmax breaks

$e^{1000}$ overflows a double, $e^{-1000}$ underflows to zero; the shifted form of
eq. [eq:L07.Z5.1.lse] gives $\operatorname{lse}(1000, 1000) = 1000 + \log 2$ and
$\operatorname{lse}(-1000,-1000) = -1000 + \log 2$. All $-\infty$ (every symbol impossible)
must give $-\infty$, not NaN (a naive shift computes $-\infty - (-\infty)$); and
$\operatorname{lse}(\theta + c) = \operatorname{lse}(\theta) + c$.
*/
static void lse_edge_cases(double lse_theta0) {
    const double big[2] = {1000.0, 1000.0}, small[2] = {-1000.0, -1000.0};
    const double minus_inf[2] = {-INFINITY, -INFINITY};
    const double naive_big = log(exp(big[0]) + exp(big[1]));
    check_close("L07.Z5.1.lse_large", logsumexp(big, 2), 1000.0 + log(2.0), 1e-9, "L07.Z5.1.lse",
                "lse(1000, 1000) = 1000 + log 2 (the naive formula gives %g)", naive_big);
    check_close("L07.Z5.1.lse_small", logsumexp(small, 2), -1000.0 + log(2.0), 1e-9,
                "L07.Z5.1.lse", "lse(-1000, -1000) = -1000 + log 2 (naive: log 0 = -inf)");
    const double lse_inf = logsumexp(minus_inf, 2);
    check_true("L07.Z5.1.lse_all_minus_inf", isinf(lse_inf) && lse_inf < 0,
               "logsumexp(-inf, -inf) is -inf, not NaN");
    double shifted[K];
    for (int x = 0; x < K; x++) shifted[x] = theta0[x] + 500.0;
    check_close("L07.Z5.1.lse_shift", logsumexp(shifted, K) - 500.0, lse_theta0, 1e-12,
                "L07.Z5.1.lse", "lse(theta + 500) - 500 = lse(theta)");
    check_in("L07.Z5.1.lse_bounds", lse_theta0, 0.2, 0.2 + log((double)K), "L07.Z5.1.lse",
             "max theta <= lse(theta) <= max theta + log K");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.1: maximum likelihood = cross-entropy minimisation, with a stable softmax",
              0, NULL);
    double p_hat[K], n_total, q[K], h_p, kl_pq;
    empirical_distribution(p_hat, &n_total);
    const double lse_theta0 = log_sum_exp(q);
    trinity(p_hat, q, &h_p, &kl_pq);
    quick_check_2(p_hat, q, h_p);
    gradient_check(p_hat);
    gradient_descent(&cli, p_hat, n_total);
    token_cross_entropy();
    lse_edge_cases(lse_theta0);
    return check_end();
}
