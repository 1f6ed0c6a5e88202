/*: # L07 Z5.10 — What an MLE fit costs: an honest C benchmark

**Lecture 7, Part 2, section Z5.10** (the speed section, with its scaling-law and GPT-3
arithmetic, and FAQ Q7 on the form of the scaling law).

The lecture times a SciPy `L-BFGS-B` fit of an $O(n)$ negative log-likelihood for
$n = 10^3 \dots 10^6$ and gives rough numbers without code, hardware or repetition count. Here
the workload is fixed and stated: $x_i \sim \mathcal N(1.5, 2^2)$, model $\mathcal N(\mu, \sigma^2)$
in the parameters $(\mu, \log\sigma)$, mean NLL minimised by Newton's method from $(0, 0)$. The
answer is known in closed form, so every variant is *checked*; how long each takes is
*measured and printed as information*, never as a pass criterion.

Three ways to evaluate the same NLL, gradient and Hessian:
1. **naive** — per element $\log(\mathrm{pdf}(x_i))$ with the density built from `exp` (two
   transcendental calls per element; the pattern Z5.15 warns against);
2. **fused** — per element only $z_i = (x_i - \mu)/\sigma$, accumulating $\sum z_i$ and
   $\sum z_i^2$, with $\log\sigma$ hoisted out of the loop (the C analogue of a vectorised
   NumPy expression);
3. **sufficient statistics** — $\bar x$ and $\sum(x_i - \bar x)^2$ once, $O(n)$; after that every
   evaluation is $O(1)$. The algorithmic change beats any constant factor.

What you will see on stdout (deterministic): the fitted $(\hat\mu, \hat\sigma)$ and the iteration
counts of every variant at every $n$, the checks, the lecture's claimed timings (labelled as
claims), and the back-of-the-envelope block (Kaplan exponents, GPT-3 FLOPs) with the lecture's
wrong numbers as ERRATUM lines. On **stderr**: the measured timings (median and minimum of
`--repeats` runs after one warm-up), ns per element per evaluation and the effective bandwidth.
The GPU comparison is not reproduced: there is no device code in this program.

Run: `build/release/bin/lectures/07_mle/09_benchmark_nll [--quick|--full] [--repeats R]`;
`--full` adds $n = 10^7$ (80 MB of doubles, out of cache) for the fused and sufficient-statistics
variants (naive stays capped at $10^6$).

| symbol | C name | shape |
|---|---|---|
| $x_i$ | `x` | (n) |
| $(\mu, s = \log\sigma)$ | `theta[0]`, `theta[1]` | (2) |
| $\bar z = \frac1n\sum z_i$, $\overline{z^2}$ | `mean_z`, `mean_z2` | scalars |
| $\nabla$, $H$ of the mean NLL | `Eval.grad`, `Eval.hess` | (2), (2, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/stats.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/util.h"

static const double LOG_2PI = 1.8378770664093454836;

/*: ## The objective and its derivatives

With $\sigma = e^s$ and $z_i = (x_i - \mu)/\sigma$,

$$ \mathrm{NLL}(\mu, s) = \frac1n\sum_i -\log\mathcal N(x_i; \mu, \sigma^2)
   = \tfrac12\log 2\pi + s + \tfrac12\,\overline{z^2} $$ {#eq:L07.Z5.10.nll}

$$ \nabla = \Big(-\frac{\bar z}{\sigma},\ 1 - \overline{z^2}\Big),\qquad
   H = \begin{pmatrix} 1/\sigma^2 & 2\bar z/\sigma \\ 2\bar z/\sigma & 2\,\overline{z^2} \end{pmatrix} $$ {#eq:L07.Z5.10.grad_hess}

So everything the optimiser needs is the pair $(\bar z, \overline{z^2})$, and the optimum is
$\hat\mu = \bar x$, $\hat\sigma^2 = \frac1n\sum(x_i-\bar x)^2$, with
$\mathrm{NLL}^* = \tfrac12\log(2\pi e\,\hat\sigma^2)$.
*/
typedef struct {
    double nll, grad[2], hess[3]; /* hess: (mu mu, mu s, s s) */
} Eval;

static void finish_eval(Eval *e, double sigma, double mean_z, double mean_z2) {
    //: $\nabla$ and $H$ from $(\bar z, \overline{z^2})$, eq. [eq:L07.Z5.10.grad_hess]
    e->grad[0] = -mean_z / sigma;
    e->grad[1] = 1.0 - mean_z2;
    e->hess[0] = 1.0 / (sigma * sigma);
    e->hess[1] = 2.0 * mean_z / sigma;
    e->hess[2] = 2.0 * mean_z2;
}

typedef struct {
    const double *x;
    long n;
    double mean, m2; /* sufficient statistics (filled by the suffstat variant's setup) */
} Data;

/* Variant 1: naive. The density itself, then its log, per element; the derivatives also per
   element (each term d/dmu log p_i = z_i / sigma, d/ds log p_i = z_i^2 - 1). */
static double gauss_pdf(double x, double mu, double sigma) {
    double z = (x - mu) / sigma;
    return exp(-0.5 * z * z) / (sigma * sqrt(2.0 * M_PI));
}

static void eval_naive(const Data *d, const double *theta, Eval *e) {
    double mu = theta[0], sigma = exp(theta[1]);
    double nll = 0.0, sum_z = 0.0, sum_z2 = 0.0;
    for (long i = 0; i < d->n; i++) {
        nll -= log(gauss_pdf(d->x[i], mu, sigma));
        double z = (d->x[i] - mu) / sigma;
        sum_z += z;
        sum_z2 += z * z;
    }
    e->nll = nll / d->n;
    finish_eval(e, sigma, sum_z / d->n, sum_z2 / d->n);
}

/* Variant 2: fused. One multiply-add chain per element; no transcendental call in the loop. */
static void eval_fused(const Data *d, const double *theta, Eval *e) {
    double mu = theta[0], sigma = exp(theta[1]), inv_sigma = 1.0 / sigma;
    double sum_z = 0.0, sum_z2 = 0.0;
    for (long i = 0; i < d->n; i++) {
        double z = (d->x[i] - mu) * inv_sigma;
        sum_z += z;
        sum_z2 += z * z;
    }
    double mean_z = sum_z / d->n, mean_z2 = sum_z2 / d->n;
    //: $\mathrm{NLL} = \tfrac12\log 2\pi + s + \tfrac12\overline{z^2}$, eq. [eq:L07.Z5.10.nll]
    e->nll = 0.5 * LOG_2PI + theta[1] + 0.5 * mean_z2;
    finish_eval(e, sigma, mean_z, mean_z2);
}

/*: ## Sufficient statistics

$$ \bar z = \frac{\bar x - \mu}{\sigma},\qquad
   \overline{z^2} = \frac{\frac1n\sum(x_i - \bar x)^2 + (\bar x - \mu)^2}{\sigma^2} $$ {#eq:L07.Z5.10.suffstat}

The centred form (rather than $\sum x_i^2$) avoids the cancellation of the textbook variance
formula. For a Gaussian *mixture* no finite statistic like this exists — each evaluation must
touch every point — which is one reason Lecture 8's EM matters.
*/
static void suffstat_setup(Data *d) {
    double s = 0.0, m2 = 0.0;
    for (long i = 0; i < d->n; i++) s += d->x[i];
    d->mean = s / d->n;
    for (long i = 0; i < d->n; i++) m2 += (d->x[i] - d->mean) * (d->x[i] - d->mean);
    d->m2 = m2;
}

static void eval_suffstat(const Data *d, const double *theta, Eval *e) {
    double sigma = exp(theta[1]), dm = d->mean - theta[0];
    //: $\bar z$, $\overline{z^2}$ from $(\bar x, \sum(x-\bar x)^2)$, eq. [eq:L07.Z5.10.suffstat]
    double mean_z = dm / sigma, mean_z2 = (d->m2 / d->n + dm * dm) / (sigma * sigma);
    e->nll = 0.5 * LOG_2PI + theta[1] + 0.5 * mean_z2;
    finish_eval(e, sigma, mean_z, mean_z2);
}

/*: ## Newton's method with backtracking

$$ \theta \leftarrow \theta - t\,H^{-1}\nabla,\qquad t \in \{1, \tfrac12, \tfrac14, \dots\}
   \text{ the first with } \mathrm{NLL}(\theta - tH^{-1}\nabla) \le \mathrm{NLL}(\theta) - \tfrac{t}{4}\nabla^\top H^{-1}\nabla $$ {#eq:L07.Z5.10.newton}

For two parameters the exact Hessian is cheap, and near the optimum Newton converges
quadratically; the line search only matters in the first steps from $(0, 0)$. Once the
predicted decrease $\nabla^\top H^{-1}\nabla$ is below $10^{-12}$ it is smaller than the rounding
of the $O(n)$ sums that make up the NLL, so the sufficient-decrease test is skipped and the full
step is taken (a line search that tests rounding noise stalls). (The lecture's
SciPy `L-BFGS-B` would need more evaluations for the same answer; the cost per evaluation is
what this benchmark is about.) Stop when $\lVert\nabla\rVert_\infty < 10^{-10}$.
*/
typedef void (*EvalFn)(const Data *, const double *, Eval *);

typedef struct {
    double theta[2], nll;
    int iterations, evaluations;
} Fit;

static Fit newton_fit(const Data *d, EvalFn eval) {
    Fit f = {{0.0, 0.0}, 0.0, 0, 0};
    Eval e, trial;
    eval(d, f.theta, &e);
    f.evaluations = 1;
    while (f.iterations < 100 && fmax(fabs(e.grad[0]), fabs(e.grad[1])) >= 1e-10) {
        double det = e.hess[0] * e.hess[2] - e.hess[1] * e.hess[1], step[2];
        if (det > 0 && e.hess[0] > 0) {
            step[0] = (e.hess[2] * e.grad[0] - e.hess[1] * e.grad[1]) / det;
            step[1] = (e.hess[0] * e.grad[1] - e.hess[1] * e.grad[0]) / det;
        } else { /* not positive definite: fall back to the gradient */
            step[0] = e.grad[0], step[1] = e.grad[1];
        }
        double decrease = e.grad[0] * step[0] + e.grad[1] * step[1], t = 1.0;
        double cand[2];
        int accepted = 0;
        for (int k = 0; k < 60; k++, t *= 0.5) {
            //: $\theta - t H^{-1}\nabla$, eq. [eq:L07.Z5.10.newton]
            cand[0] = f.theta[0] - t * step[0];
            cand[1] = f.theta[1] - t * step[1];
            eval(d, cand, &trial);
            f.evaluations++;
            /* Near the optimum the predicted decrease falls below the rounding of the NLL itself
               (~1e-16 |NLL|) and the test cannot be decided; there the full Newton step is safe. */
            if (trial.nll <= e.nll - 0.25 * t * decrease || decrease < 1e-12 * fmax(1.0, fabs(e.nll))) {
                accepted = 1;
                break;
            }
        }
        if (!accepted) break; /* no decrease found: stop (never reached on this problem) */
        f.theta[0] = cand[0], f.theta[1] = cand[1];
        e = trial;
        f.iterations++;
    }
    f.nll = e.nll;
    return f;
}

/* Times `repeats` fits after one warm-up; returns the median, *min_time the minimum. */
static double time_fits(const Data *d, EvalFn eval, int repeats, double *min_time, Fit *fit) {
    double t[64];
    if (repeats > 64) repeats = 64;
    *fit = newton_fit(d, eval); /* warm-up (and the result used by the checks) */
    for (int r = 0; r < repeats; r++) {
        double t0 = now_seconds();
        Fit again = newton_fit(d, eval);
        t[r] = now_seconds() - t0;
        if (again.theta[0] != fit->theta[0] || again.theta[1] != fit->theta[1])
            die("a repeated fit gave a different answer");
    }
    qsort(t, (size_t)repeats, sizeof t[0], stats_cmp_double);
    *min_time = t[0];
    return repeats % 2 ? t[repeats / 2] : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
}

static double rel_err(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-300); }

/* The sizes of the benchmark and the lecture's table of timings (Z5.10: Python/SciPy L-BFGS-B,
   unspecified hardware; a claim, never a target). */
static const long sizes_all[5] = {1000, 10000, 100000, 1000000, 10000000};
static const double claimed[5] = {0.001, 0.002, 0.01, 0.1, NAN};

/*: ## Z5.10 The benchmark: three evaluations of one NLL, one answer

For each $n$ the three variants are fitted by the same Newton iteration from $(0, 0)$; every fit
must reproduce the closed form $\hat\mu = \bar x$, $\hat\sigma = \sqrt{m_2/n}$ and the optimal
NLL $\tfrac12\log(2\pi e\hat\sigma^2)$ of eq. [eq:L07.Z5.10.nll], and the variants must agree with
each other and take the same number of iterations. The timings go to stderr and are never
checked; the naive variant stops at $n = 10^6$.
*/
static void benchmark(const Cli *cli, const double *x, int repeats) {
    const int n_sizes = (int)cli_scale(cli, 2, 4, 5);
    const long naive_cap = 1000000;
    const char *names[3] = {"naive", "fused", "suffstat"};
    const EvalFn evals[3] = {eval_naive, eval_fused, eval_suffstat};
    double worst_fit_err[3] = {0}, worst_nll_agree = 0.0, worst_nll_closed = 0.0;
    int worst_iter_gap = 0;

    printf("workload: x ~ N(1.5, 2^2), model N(mu, sigma^2) in (mu, log sigma), Newton from (0, 0), "
           "stop at |grad|_inf < 1e-10\n");
    printf("%9s %-9s %16s %16s %5s %6s\n", "n", "variant", "mu_hat", "sigma_hat", "iter", "evals");
    fprintf(stderr, "timings (information only; %d repeats after a warm-up, one thread, -O2):\n", repeats);
    fprintf(stderr, "%9s %-9s %12s %12s %14s %10s %16s\n", "n", "variant", "median s", "min s",
            "ns/elt/eval", "GB/s", "lecture claim s");
    for (int si = 0; si < n_sizes; si++) {
        Data d = {x, sizes_all[si], 0, 0};
        suffstat_setup(&d); /* the closed form; the suffstat variant also reuses it */
        //: $\hat\mu = \bar x$, $\hat\sigma = \sqrt{m_2/n}$
        double mu_closed = d.mean, sigma_closed = sqrt(d.m2 / d.n);
        //: $\mathrm{NLL}^* = \tfrac12\log(2\pi e\hat\sigma^2)$, [eq:L07.Z5.10.nll]
        double nll_closed = 0.5 * (LOG_2PI + 1.0 + log(sigma_closed * sigma_closed));
        Fit fits[3];
        int have[3] = {0, 0, 0};
        for (int v = 0; v < 3; v++) {
            if (v == 0 && d.n > naive_cap) continue;
            double t_min, t_med;
            if (v == 2) { /* include the O(n) setup in the suffstat timing */
                double t[64];
                fits[v] = newton_fit(&d, evals[v]);
                for (int r = 0; r < repeats; r++) {
                    double t0 = now_seconds();
                    Data dd = {x, d.n, 0, 0};
                    suffstat_setup(&dd);
                    Fit again = newton_fit(&dd, evals[v]);
                    t[r] = now_seconds() - t0;
                    if (again.theta[0] != fits[v].theta[0]) die("a repeated fit gave a different answer");
                }
                qsort(t, (size_t)repeats, sizeof t[0], stats_cmp_double);
                t_min = t[0];
                t_med = repeats % 2 ? t[repeats / 2] : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
            } else {
                t_med = time_fits(&d, evals[v], repeats, &t_min, &fits[v]);
            }
            have[v] = 1;
            const Fit *f = &fits[v];
            double sigma_hat = exp(f->theta[1]);
            printf("%9ld %-9s %16.12f %16.12f %5d %6d\n", d.n, names[v], f->theta[0], sigma_hat,
                   f->iterations, f->evaluations);
            long touched = v == 2 ? 2 * d.n : d.n * (long)f->evaluations; /* elements read */
            char claim[32] = "-";
            if (!isnan(claimed[si])) snprintf(claim, sizeof claim, "~%g", claimed[si]);
            fprintf(stderr, "%9ld %-9s %12.6f %12.6f %14.3f %10.2f %16s\n", d.n, names[v], t_med,
                    t_min, 1e9 * t_med / (double)touched, 8.0 * (double)touched / t_med / 1e9, claim);
            worst_fit_err[v] = fmax(worst_fit_err[v],
                                    fmax(rel_err(f->theta[0], mu_closed), rel_err(sigma_hat, sigma_closed)));
            worst_nll_closed = fmax(worst_nll_closed, rel_err(f->nll, nll_closed));
        }
        for (int v = 0; v < 3; v++)
            for (int w = v + 1; w < 3; w++)
                if (have[v] && have[w]) {
                    worst_nll_agree = fmax(worst_nll_agree, rel_err(fits[v].nll, fits[w].nll));
                    int gap = abs(fits[v].iterations - fits[w].iterations);
                    if (gap > worst_iter_gap) worst_iter_gap = gap;
                }
    }
    fprintf(stderr, "GPU comparison not reproduced (no device code in this C program).\n");

    for (int v = 0; v < 3; v++) {
        char id[64];
        snprintf(id, sizeof id, "L07.Z5.10.fit_closed_form_%s", names[v]);
        check_le(id, worst_fit_err[v], 1e-8, 0.0, "L07.Z5.10.newton",
                 "%s: max over n of the relative error of (mu_hat, sigma_hat) vs (xbar, sqrt(m2/n))",
                 names[v]);
    }
    check_le("L07.Z5.10.variants_agree", worst_nll_agree, 1e-12, 0.0, "L07.Z5.10.nll",
             "max relative difference of the optimal NLL between variants, over n");
    check_le("L07.Z5.10.nll_closed_form", worst_nll_closed, 1e-10, 0.0, "L07.Z5.10.nll",
             "optimal NLL = (1/2) log(2 pi e sigma_hat^2), max relative error over n and variants");
    check_le("L07.Z5.10.same_iterations", worst_iter_gap, 1, 0.0, "L07.Z5.10.newton",
             "all variants take the same number of Newton iterations (+-1): one arithmetic path");
}

/*: ## Z5.10 The derivatives, checked

The analytic gradient and Hessian of eq. [eq:L07.Z5.10.grad_hess] (the fused variant) against
central differences of the naive NLL and of its gradient, at $(\mu, \log\sigma) = (0.7, 0.3)$ on
the first 1000 points.
*/
static void derivative_check(const double *x) {
    Data d = {x, 1000, 0, 0};
    const double theta[2] = {0.7, 0.3}, h = 1e-6;
    Eval e, ep, em;
    eval_fused(&d, theta, &e);
    double worst = 0.0;
    for (int k = 0; k < 2; k++) {
        double tp[2] = {theta[0], theta[1]}, tm[2] = {theta[0], theta[1]};
        tp[k] += h, tm[k] -= h;
        eval_naive(&d, tp, &ep);
        eval_naive(&d, tm, &em);
        worst = fmax(worst, fabs((ep.nll - em.nll) / (2 * h) - e.grad[k]));
        /* Hessian column k by differences of the gradient */
        double hk0 = (ep.grad[0] - em.grad[0]) / (2 * h), hk1 = (ep.grad[1] - em.grad[1]) / (2 * h);
        worst = fmax(worst, fabs(hk0 - e.hess[k == 0 ? 0 : 1]));
        worst = fmax(worst, fabs(hk1 - e.hess[k == 0 ? 1 : 2]));
    }
    check_close("L07.Z5.10.grad_hess_fd", worst, 0.0, 1e-7, "L07.Z5.10.grad_hess",
                "analytic gradient and Hessian vs central differences (h = 1e-6) at (0.7, 0.3)");
}

/* The lecture's claimed timings, printed beside the measured ones (stderr). */
static void lecture_claims(void) {
    printf("lecture's claimed timings (Python/SciPy L-BFGS-B, unspecified hardware; a claim, not a target):\n");
    for (int si = 0; si < 4; si++) printf("  n = %8ld: ~%g s\n", sizes_all[si], claimed[si]);
    printf("measured C timings are printed on stderr (they vary run to run and are never checked)\n");
    printf("GPU comparison not reproduced (no device code in this C program)\n");
}

/*: ## Z5.10 FAQ Q7 Back-of-the-envelope: scaling laws and GPT-3

Kaplan et al.: $L(N) \approx (N_c/N)^{\alpha_N}$, $\alpha_N \approx 0.076$, so halving the loss
needs $2^{1/\alpha_N}$ times more parameters:

$$ 2^{1/0.076} = 9139.5,\qquad 2^{1/0.095} = 1474.8 $$ {#eq:L07.Z5.10.halving}

Training compute $C \approx 6ND$ (forward $2N$ and backward $4N$ FLOPs per token). For GPT-3,
$N = 175\cdot10^9$, $D = 300\cdot10^9$ tokens:

$$ C = 6ND = 3.15\cdot10^{23}\ \text{FLOP},\qquad C / 312\ \text{TFLOP/s} = 1.0096\cdot10^9\ \text{s} = 32.0\ \text{years} $$ {#eq:L07.Z5.10.gpt3_flops}

and 1000 GPUs at full utilisation would need 11.7 days. FAQ Q7's
$L(N,D) \approx (N_c/N)^{\alpha_N} + (D_c/D)^{\alpha_D} + L_\infty$ is the additive
(Chinchilla-style) form; Kaplan's joint law is

$$ L(N, D) = \Big[\Big(\frac{N_c}{N}\Big)^{\alpha_N/\alpha_D} + \frac{D_c}{D}\Big]^{\alpha_D} $$ {#eq:L07.Z5.10.kaplan_joint}

which reduces to $(N_c/N)^{\alpha_N}$ as $D \to \infty$ (checked below with Kaplan's
$N_c = 8.8\cdot10^{13}$, $D_c = 5.4\cdot10^{13}$).
*/
static void back_of_the_envelope(void) {
    const double alpha_n = 0.076, alpha_d = 0.095, n_params = 175e9, n_tokens = 300e9;
    const double a100 = 312e12, year = 365.25 * 86400.0;
    //: $2^{1/\alpha}$, eq. [eq:L07.Z5.10.halving]
    double halve_n = pow(2.0, 1.0 / alpha_n), halve_d = pow(2.0, 1.0 / alpha_d);
    //: $C = 6ND$, eq. [eq:L07.Z5.10.gpt3_flops]
    double flops = 6.0 * n_params * n_tokens, per_token = 6.0 * n_params;
    double seconds = flops / a100, days_1000 = seconds / 1000.0 / 86400.0;
    printf("2^(1/0.076) = %.2f, 2^(1/0.095) = %.2f\n", halve_n, halve_d);
    printf("GPT-3: 6ND = %.4g FLOP, per token 6N = %.4g, one A100 %.4g s = %.2f years, 1000 A100s %.2f days\n",
           flops, per_token, seconds, seconds / year, days_1000);
    check_rel("L07.Z5.10.halving_params", halve_n, 9139.47, 1e-6, "L07.Z5.10.halving",
              "2^(1/0.076): parameters needed to halve the loss (spec L07 D45)");
    check_rel("L07.Z5.10.halving_data", halve_d, 1474.81, 1e-5, "L07.Z5.10.halving",
              "2^(1/0.095): data needed to halve the loss (spec L07 D45)");
    check_rel("L07.Z5.10.gpt3_total_flops", flops, 3.15e23, 1e-12, "L07.Z5.10.gpt3_flops",
              "6 N D for N = 175e9, D = 300e9 (the lecture's ~3e23 is this, rounded)");
    check_rel("L07.Z5.10.gpt3_years", seconds / year, 32.0, 2e-3, "L07.Z5.10.gpt3_flops",
              "one A100 at 312 TFLOP/s: 1.0096e9 s = 32.0 years (the lecture: about 30 years)");
    check_rel("L07.Z5.10.gpt3_1000_gpus_days", days_1000, 11.685, 1e-3, "L07.Z5.10.gpt3_flops",
              "1000 GPUs at 100%% utilisation: 11.7 days");
    check_erratum("L07.Z5.10.halving_8000", 8000.0, halve_n,
                  "the lecture: halving the loss needs 2^(1/0.076) ~ 8000x the parameters");
    check_erratum("L07.Z5.10.flops_per_step", 7e11, per_token,
                  "the lecture: 2 x 175e9 x 2 = 7e11 FLOP 'per step (fwd+bwd)'; it is 4N per token, "
                  "the standard count is 6N per token (and a step has batch-size many tokens)");
    check_erratum("L07.Z5.10.hundreds_of_days", 100.0, days_1000,
                  "the lecture: 'a few hundred days on ~1000 GPUs' (>= 100 days); ideal 11.7 days, "
                  "so it implies <= ~10%% utilisation");
    {
        const double n_c = 8.8e13, d_c = 5.4e13;
        //: Kaplan's joint law, eq. [eq:L07.Z5.10.kaplan_joint]
        double joint_inf = pow(pow(n_c / n_params, alpha_n / alpha_d) + d_c / 1e40, alpha_d);
        double joint_gpt3 = pow(pow(n_c / n_params, alpha_n / alpha_d) + d_c / n_tokens, alpha_d);
        printf("Kaplan joint law at GPT-3's (N, D): L = %.4f nats/token; D -> infinity: %.4f = (Nc/N)^aN\n",
               joint_gpt3, joint_inf);
        check_rel("L07.Z5.10.kaplan_joint_limit", joint_inf, pow(n_c / n_params, alpha_n), 1e-12,
                  "L07.Z5.10.kaplan_joint", "joint law as D -> infinity equals (Nc/N)^alpha_N (FAQ Q7)");
        //: FAQ Q7's additive form (with $L_\infty = 0$, which Kaplan's law does not have)
        const double additive_gpt3 = pow(n_c / n_params, alpha_n) + pow(d_c / n_tokens, alpha_d);
        check_erratum("L07.Z5.10.kaplan_additive_form", additive_gpt3, joint_gpt3,
                      "FAQ Q7 attributes the additive L = (Nc/N)^aN + (Dc/D)^aD + L_inf to Kaplan et al. "
                      "(Chinchilla's form); with Kaplan's constants at GPT-3's (N, D) it gives %.4f, "
                      "Kaplan's joint law [(Nc/N)^(aN/aD) + Dc/D]^aD gives %.4f", additive_gpt3, joint_gpt3);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    int repeats = 0;
    const CliExtra extras[] = {
        {"--repeats", CLI_INT, &repeats, "timed repeats per fit (default 5; quick 3)"}, {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.10: cost of an MLE fit (naive / fused / sufficient statistics), checked; "
              "timings on stderr",
              10, extras);
    if (repeats <= 0) repeats = (int)cli_scale(&cli, 3, 5, 7);
    const long n_max = sizes_all[cli_scale(&cli, 2, 4, 5) - 1];
    double *x = xmalloc((size_t)n_max * sizeof *x);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    //: the workload $x_i \sim \mathcal N(1.5, 2^2)$
    for (long i = 0; i < n_max; i++) x[i] = 1.5 + 2.0 * rng_normal(&rng);
    benchmark(&cli, x, repeats);
    derivative_check(x);
    lecture_claims();
    back_of_the_envelope();
    free(x);
    return check_end();
}
