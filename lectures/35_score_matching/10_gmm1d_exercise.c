/*: # L35 7.7a — Hands-on project: DSM and Langevin sampling on a 1-D three-component mixture

**Lecture 35, Part 2, section 7.7 project (a)** (beginner): learn the score of
$p(x) = 0.33\,\mathcal N(-3, 1) + 0.33\,\mathcal N(0, 1) + 0.34\,\mathcal N(3, 1)$ by denoising
score matching, look at it, sample from it with Langevin dynamics and compare with the true
distribution. The lecture fixes neither network nor noise nor step size; this program uses the
lecture's 4.2 recipe in 1-D: MLP 1-64-64-1 with tanh, $\sigma = 0.5$, Adam, batch 128, but
3000 steps with a cosine learning-rate decay from $10^{-2}$ to $10^{-5}$ (three modes are harder
to fit than two: with the constant $10^{-3}$ of 4.2 and 2000 steps the weighted score error
stays near 0.08 and the learned score smooths the middle mode away); Langevin step $\epsilon = 0.01$, chains started uniformly on $[-6, 6]$.

What you will see: the data moments; the true, the perturbed and the learned score at a few
points; the loss ending at its floor $1/\sigma^2 - J(q_\sigma) = 3.705$; the learned score's
error, computed exactly by quadrature (1-D makes that possible); and Langevin samples whose
region probabilities match (i) the true mixture when the chains follow the true score, and
(ii) the density $p_\theta \propto e^{\int s_\theta}$ that the learned score defines — which is close
to the *smoothed* $q_\sigma$, not to $p$.
Figures: `score_1d.png` (learned vs true vs perturbed score), `langevin_hist.png` (histogram of
the Langevin samples vs the densities).

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/10_gmm1d_exercise [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $p$, $q_\sigma$ (mixtures) | `data`, `perturbed` (`Gmm`) | — |
| $s_\theta(x)$ | `mlp` (`NnMlp`); table `score_table` | (n) |
| $p_\theta \propto e^{\int s_\theta}$ | `p_theta` | (grid) |
| $\epsilon$ (Langevin step) | `step` | scalar |
| chains, steps | `n_chains`, `n_steps` | scalars |
| $J(p)$, $J(q_\sigma)$, $C(\sigma)$ | `j_p`, `j_q`, `floor_c` | scalars |
| region probabilities of $p$, $q_\sigma$, $p_\theta$ | `p_regions`, `q_regions`, `theta_regions` | (3) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/dsm_train.h"
#include "common/gauss.h"
#include "common/langevin.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/plot.h"
#include "common/progress.h"
#include "common/quadrature.h"
#include "common/stats.h"
#include "common/util.h"

enum { BATCH = 128, HIDDEN = 64 };
static const double SIGMA = 0.5;
static const double WEIGHTS[3] = {0.33, 0.33, 0.34}, MEANS[3] = {-3.0, 0.0, 3.0};

/* The lecture's sampler: r < 0.33 -> -3, r < 0.66 -> 0, else 3, plus N(0, 1). */
static double sample_data(Rng *r) {
    double u = rng_uniform(r);
    double mu = u < 0.33 ? -3.0 : (u < 0.66 ? 0.0 : 3.0);
    return mu + rng_normal(r);
}

static Gmm make_mixture(double var) {
    Gmm g = gmm_new(3, 1);
    for (int i = 0; i < 3; i++) gmm_set(&g, i, WEIGHTS[i], &MEANS[i], NULL, var);
    gmm_normalise(&g);
    return g;
}

static double gmm_score_1d(const Gmm *g, double x) {
    double s;
    gmm_score(g, &x, &s);
    return s;
}

/* Integrands for J(q) = E_q[s^2] and for the region probabilities. */
static double fisher_integrand(double x, void *ctx) {
    const Gmm *g = ctx;
    double s, lp = gmm_score(g, &x, &s);
    return exp(lp) * s * s;
}

/* P(a < X < b) for the mixture with component variance var, in closed form. */
static double mixture_prob(double var, double a, double b) {
    double p = 0;
    for (int i = 0; i < 3; i++) {
        double sd = sqrt(2.0 * var);
        p += WEIGHTS[i] * 0.5 * (erfc((a - MEANS[i]) / sd) - erfc((b - MEANS[i]) / sd));
    }
    return p;
}

/* The batch of a training step: x~ = x + sigma eps and the target -eps/sigma. */
static void draw_batch(void *ctx, long step, int batch, float *x_noisy, float *target) {
    (void)step;
    Rng *data_rng = ctx;
    for (int i = 0; i < batch; i++) {
        double x = sample_data(data_rng), eps = rng_normal(data_rng);
        //: $\tilde x = x + \sigma\epsilon$, target $-\epsilon/\sigma$ (eq. [eq:L35.4.2.dsm_loss])
        x_noisy[i] = (float)(x + SIGMA * eps);
        target[i] = (float)(-eps / SIGMA);
    }
}

/*: ## 7.7a The learned score as a table

A Langevin chain calls the score at every step; $10^4$ chains x 2000 steps would be $2\cdot10^7$
forward passes of the MLP. Since $x$ is 1-D, the program evaluates $s_\theta$ once on a grid of
spacing $h = 0.005$ over $[-15, 15]$ and interpolates linearly; the interpolation error
$\le h^2\max\lvert s_\theta''\rvert/8$ is checked against the network at the midpoints.
*/
typedef struct {
    double lo, h;
    int n;
    const double *value;
} ScoreTable;

static double table_score(const ScoreTable *t, double x) {
    double u = (x - t->lo) / t->h;
    if (!(u >= 0.0 && u <= t->n - 1)) die("Langevin chain left the score table: x = %g", x);
    int i = (int)u;
    if (i == t->n - 1) i--;
    double f = u - i;
    return (1 - f) * t->value[i] + f * t->value[i + 1];
}

enum { N_GRID = 6001, NB = 80 };
static const double GRID_LO = -15.0, GRID_H = 0.005;

/* What the sections share. */
typedef struct {
    Gmm data, perturbed;
    double j_q, floor_c;
    DsmModel model;
    AdArena *arena;
    double *grid, *score_table; /* (N_GRID) */
    ScoreTable table;
    double *log_p_theta, *p_theta, lmax, z; /* eq. p_theta on the grid */
    double p_regions[3], theta_regions[3];
    long n_chains;
    double *x_learned; /* (n_chains) */
    double hist[NB], centers[NB], p_curve[NB], q_curve[NB], theta_curve[NB];
} Run;

/*: ## 7.7a Langevin dynamics (4.4), many independent chains

$$ x_{k+1} = x_k + \epsilon\, s(x_k) + \sqrt{2\epsilon}\, z_k,\qquad z_k \sim \mathcal N(0, 1) $$ {#eq:L35.7.7a.ula}

The chains run in `common/langevin.h` (unit temperature, no preconditioner, no annealing), which
hands the score callback a block of chains at a time. Chain $c$ starts at $x_0 \sim U(-6, 6)$
drawn from the Philox stream $(seed, c)$ and takes its Langevin noise from the stream
$(seed, 2^{32} + c)$, so results do not depend on the number of threads.
*/
/* The true score for the chains: eq. [eq:L35.4.2.gmm_score_stable] written out for three unit
   components (same log-space responsibilities as gmm_score, without its general bookkeeping;
   checked against gmm_score below). */
static double score_true_cb(const void *ctx, double x) {
    (void)ctx;
    double ell[3], m = -INFINITY, num = 0, den = 0;
    for (int k = 0; k < 3; k++) {
        ell[k] = log(WEIGHTS[k]) - 0.5 * (x - MEANS[k]) * (x - MEANS[k]);
        m = fmax(m, ell[k]);
    }
    for (int k = 0; k < 3; k++) {
        double w = exp(ell[k] - m);
        num += w * (MEANS[k] - x);
        den += w;
    }
    return num / den;
}
static double score_table_cb(const void *ctx, double x) { return table_score(ctx, x); }

/* The per-point scores above as batched LangevinScoreFn callbacks (dim 1, no annealing: sigma unused). */
static void score_true_batch(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)dim, (void)sigma;
    for (size_t i = 0; i < n; i++) s[i] = score_true_cb(ctx, x[i]);
}
static void score_table_batch(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)dim, (void)sigma;
    for (size_t i = 0; i < n; i++) s[i] = score_table_cb(ctx, x[i]);
}

static void langevin_chains_1d(LangevinScoreFn score, void *ctx, uint64_t seed, long n_chains, long n_steps,
                               double step, double *out) {
    for (long c = 0; c < n_chains; c++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)c);
        out[c] = rng_uniform_range(&r, -6.0, 6.0);
    }
    LangevinParams lp;
    langevin_params_init(&lp, (size_t)n_chains, 1, score, ctx);
    //: $x \leftarrow x + \epsilon s(x) + \sqrt{2\epsilon}\,z$, eq. [eq:L35.7.7a.ula] (eq. [eq:common.langevin.ula], $G = 1$, $T = 1$)
    lp.step_size = step;
    lp.n_steps = (size_t)n_steps;
    lp.seed = seed;
    lp.first_stream = (uint64_t)1 << 32;
    LangevinResult res;
    if (langevin_run(&lp, out, &res) != LANGEVIN_OK) die("Langevin chains: %s", res.message);
}

static void regions(const double *x, long n, double *frac) {
    frac[0] = frac[1] = frac[2] = 0;
    for (long i = 0; i < n; i++) frac[x[i] < -1.5 ? 0 : (x[i] < 1.5 ? 1 : 2)] += 1.0 / n;
}

/*: ## 7.7a The data

$\mathbb E x = \sum_i \pi_i\mu_i = 0.03$, $\operatorname{Var}x = 1 + \sum_i\pi_i\mu_i^2 - 0.03^2 = 7.0291$.
Standard errors from the sample ($\operatorname{se}(\bar x) = s/\sqrt n$,
$\operatorname{se}(s^2) = \sqrt{(m_4 - s^4)/n}$).
*/
static void data_moments(const Cli *cli) {
    const long n_data = cli_scale(cli, 20000, 1000000, 1000000);
    Rng r;
    rng_init(&r, cli->seed, 0);
    double *xs = xmalloc(sizeof(double) * n_data), mean, var, m4 = 0;
    for (long i = 0; i < n_data; i++) xs[i] = sample_data(&r);
    stats_mean_var(xs, n_data, &mean, &var);
    for (long i = 0; i < n_data; i++) m4 += pow(xs[i] - mean, 4) / n_data;
    double mean_exact = 0, second = 0;
    for (int i = 0; i < 3; i++) mean_exact += WEIGHTS[i] * MEANS[i], second += WEIGHTS[i] * (1 + MEANS[i] * MEANS[i]);
    //: $\operatorname{Var}x = \sum_i\pi_i(1 + \mu_i^2) - (\sum_i\pi_i\mu_i)^2$
    double var_exact = second - mean_exact * mean_exact;
    printf("data: mean %.4f (exact %.4f), variance %.4f (exact %.4f)\n", mean, mean_exact, var, var_exact);
    check_mc("L35.7.7a.data_mean", mean, mean_exact, sqrt(var / n_data), 4, n_data, NULL,
             "sample mean of the lecture's sampler (exact 0.03)");
    check_mc("L35.7.7a.data_var", var, var_exact, sqrt((m4 - var * var) / n_data), 4, n_data, NULL,
             "sample variance (exact 7.0291)");
    free(xs);
}

/*: ## 7.7a True and perturbed scores, Fisher information, DSM floor

Scores by the log-space formula [eq:L35.4.2.gmm_score_stable]; $q_\sigma$ is the same mixture
with variance $1 + \sigma^2$. In 1-D the DSM floor is $C(\sigma) = 1/\sigma^2 - J(q_\sigma)$
(eq. [eq:L35.A.2.vincent_constant] with $d = 1$).
*/
static void scores_and_floor(Run *r) {
    const double probe[5] = {-4, -3, 0, 3, 4};
    /* spec L35 program 10 (independent computation) */
    const double clean_ref[5] = {1.001658, 0.032961, 0.000988, -0.032002, -1.001610};
    const double pert_ref[5] = {0.805934, 0.063835, 0.001883, -0.062006, -0.805760};
    double clean_err = 0, pert_err = 0;
    for (int k = 0; k < 5; k++) {
        clean_err = fmax(clean_err, fabs(gmm_score_1d(&r->data, probe[k]) - clean_ref[k]));
        pert_err = fmax(pert_err, fabs(gmm_score_1d(&r->perturbed, probe[k]) - pert_ref[k]));
    }
    check_close("L35.7.7a.true_score_values", clean_err, 0.0, 1e-6, "L35.4.2.gmm_score_stable",
                "max |score - reference| at x = -4, -3, 0, 3, 4 (spec values)");
    check_close("L35.7.7a.perturbed_score_values", pert_err, 0.0, 1e-6, "L35.4.2.gmm_score_stable",
                "max |perturbed score (sigma=0.5) - reference| at the same points");
    //: $J = \int q\,s^2\,dx$ by composite Gauss–Legendre
    const double j_p = quad_gauss_legendre_composite(fisher_integrand, &r->data, -20, 20, 20, 80);
    r->j_q = quad_gauss_legendre_composite(fisher_integrand, &r->perturbed, -20, 20, 20, 80);
    //: $C(\sigma) = 1/\sigma^2 - J(q_\sigma)$, [eq:L35.A.2.vincent_constant] with $d = 1$
    r->floor_c = 1.0 / (SIGMA * SIGMA) - r->j_q;
    printf("J(p) = %.6f, J(q_0.5) = %.6f, DSM floor = %.6f\n", j_p, r->j_q, r->floor_c);
    check_close("L35.7.7a.clean_J", j_p, 0.409151, 1e-6, NULL, "Fisher information of p by quadrature (spec 0.409151)");
    check_close("L35.7.7a.J_q0.5", r->j_q, 0.294637, 1e-6, NULL, "Fisher information of q_0.5 (spec 0.294637)");
    check_close("L35.7.7a.dsm_floor", r->floor_c, 3.705363, 1e-6, "L35.A.2.vincent_constant",
                "DSM floor 1/sigma^2 - J(q_0.5) (spec 3.705363)");
}

/*: ## 7.7a DSM training (as in 4.2, in 1-D)

$\mathcal L = \frac1B\sum_i (s_\theta(x_i + \sigma\epsilon_i) + \epsilon_i/\sigma)^2$, eq. [eq:L35.4.2.dsm_loss];
learning rate $\eta_s$ by the cosine schedule [eq:common.optim.cosine].
*/
static bool train(const Cli *cli, Run *r) {
    char err[256];
    const long steps = cli_scale(cli, 3000, 3000, 4000);
    Rng init_rng, data_rng;
    rng_init(&init_rng, cli->seed, 1);
    rng_init(&data_rng, cli->seed, 2);
    const int widths[] = {1, HIDDEN, HIDDEN, 1};
        dsm_model_init(&r->model, 3, widths, NN_ACT_TANH, "score", 1e-2, &init_rng);
    r->arena = ad_arena_new(1 << 20);
    double *losses = xmalloc(sizeof(double) * steps);
    //: $\eta_s$ by the cosine schedule from $10^{-2}$ to $10^{-5}$, eq. [eq:common.optim.cosine]
    const DsmTrainConfig tc = {steps, BATCH, draw_batch, &data_rng, 0.0, 1e-5, "DSM training (1-D)"};
    const long trained = dsm_train(&r->model, &tc, losses, err, sizeof err);
    if (trained < steps) {
        check_true("L35.7.7a.training_finite", false, "%s", err);
        free(losses);
        return false;
    }
    double tail = 0, tail_var = 0;
    for (long s = steps - 100; s < steps; s++) tail += losses[s] / 100;
    for (long s = steps - 100; s < steps; s++) tail_var += (losses[s] - tail) * (losses[s] - tail) / 99;
    double tail_se = sqrt(tail_var / 100);
    printf("mean of the last 100 batch losses %.4f (SE %.4f), floor %.4f\n", tail, tail_se, r->floor_c);
    check_ge("L35.7.7a.train_last100_above_floor", tail, r->floor_c, 4 * tail_se, "L35.A.2.vincent_constant",
             "last-100 mean batch loss >= floor - 4 SE (SE from the 100 losses)");
    check_le("L35.7.7a.train_last100_near_floor", tail - r->floor_c, 0.05, 4 * tail_se, "L35.A.2.vincent_constant",
             "last-100 mean minus floor <= 0.05 + 4 SE (0.05: the score-error bar below)");
    free(losses);
    return true;
}

/*: ## 7.7a The learned score, exactly weighted

$\mathbb E_{q_\sigma}(s_\theta - \nabla\log q_\sigma)^2 = \int q_\sigma(x)\,(s_\theta(x) - \nabla\log q_\sigma(x))^2\,dx$
by the trapezoid rule on the table grid (the integrand is smooth and negligible at $\pm15$).
$J(q_\sigma) = 0.295$ is the error of $s \equiv 0$.
*/
static void learned_score_error(Run *r) {
    const double lo = GRID_LO, h = GRID_H;
    const int n_grid = N_GRID;
    double *grid = r->grid = xmalloc(sizeof(double) * n_grid), *score_table = r->score_table = xmalloc(sizeof(double) * n_grid);
    double *mid = xmalloc(sizeof(double) * n_grid), *score_mid = xmalloc(sizeof(double) * n_grid);
    for (int i = 0; i < n_grid; i++) grid[i] = lo + h * i, mid[i] = lo + h * (i + 0.5);
    dsm_eval(r->arena, &r->model.mlp, grid, n_grid, score_table);
    dsm_eval(r->arena, &r->model.mlp, mid, n_grid - 1, score_mid);
    r->table = (ScoreTable){lo, h, n_grid, score_table};
    double interp_err = 0, wmse = 0;
    for (int i = 0; i < n_grid - 1; i++) interp_err = fmax(interp_err, fabs(table_score(&r->table, mid[i]) - score_mid[i]));
    for (int i = 0; i < n_grid; i++) {
        double sq, lq = gmm_score(&r->perturbed, &grid[i], &sq);
        double wt = (i == 0 || i == n_grid - 1) ? 0.5 : 1.0;
        //: trapezoid rule for $\int q_\sigma(s_\theta - \nabla\log q_\sigma)^2$
        wmse += wt * h * exp(lq) * (score_table[i] - sq) * (score_table[i] - sq);
    }
    printf("E_q (s_theta - grad log q)^2 = %.5f (J(q) = %.4f); table interpolation error %.2e\n", wmse, r->j_q, interp_err);
    check_le("L35.7.7a.table_interpolation", interp_err, 1e-4, 0.0, NULL,
             "max |linear interpolation of the score table - network| at the midpoints (h = 0.005)");
    check_le("L35.7.7a.weighted_score_mse", wmse, 0.05, 0.0, "L35.A.2.vincent_constant",
             "E_q(s_theta - grad log q_sigma)^2 by quadrature (bar 0.05; J(q) = 0.295 for s = 0)");
    free(mid), free(score_mid);
}

/*: ## 7.7a The density the learned score defines

A 1-D score field is always a gradient: $p_\theta(x) \propto \exp\int_0^x s_\theta(u)\,du$ is the
stationary density of Langevin dynamics driven by $s_\theta$. Integrated by the trapezoid rule
on the table and normalised:

$$ \log p_\theta(x) = \int_0^x s_\theta(u)\,du - \log Z_\theta $$ {#eq:L35.7.7a.p_theta}
*/
static void p_theta_density(Run *r) {
    const double h = GRID_H;
    const int n_grid = N_GRID;
    const double *grid = r->grid, *score_table = r->score_table;
    double *theta_regions = r->theta_regions, *p_regions = r->p_regions;
    double *log_p_theta = r->log_p_theta = xmalloc(sizeof(double) * n_grid), *p_theta = r->p_theta = xmalloc(sizeof(double) * n_grid);
    log_p_theta[0] = 0;
    for (int i = 1; i < n_grid; i++)
        //: $\int s_\theta$ by the trapezoid rule, eq. [eq:L35.7.7a.p_theta]
        log_p_theta[i] = log_p_theta[i - 1] + 0.5 * h * (score_table[i - 1] + score_table[i]);
    double lmax = log_p_theta[0], z = 0;
    for (int i = 0; i < n_grid; i++) lmax = fmax(lmax, log_p_theta[i]);
    //: $Z_\theta = \int e^{\int s_\theta}$ (trapezoid, shifted by the maximum), [eq:L35.7.7a.p_theta]
    for (int i = 0; i < n_grid; i++) z += ((i == 0 || i == n_grid - 1) ? 0.5 : 1.0) * h * exp(log_p_theta[i] - lmax);
    theta_regions[0] = theta_regions[1] = theta_regions[2] = 0;
    for (int i = 0; i < n_grid; i++) {
        //: $p_\theta = e^{\log p_\theta}$, [eq:L35.7.7a.p_theta]
        p_theta[i] = exp(log_p_theta[i] - lmax) / z;
        int reg = grid[i] < -1.5 ? 0 : (grid[i] < 1.5 ? 1 : 2);
        theta_regions[reg] += h * p_theta[i]; /* (grid points on the cuts split evenly below) */
        if (fabs(grid[i] + 1.5) < 1e-9 || fabs(grid[i] - 1.5) < 1e-9) {
            theta_regions[reg] -= 0.5 * h * p_theta[i];
            theta_regions[reg - 1] += 0.5 * h * p_theta[i];
        }
    }
    double q_regions[3];
    const double cuts[4] = {-INFINITY, -1.5, 1.5, INFINITY};
    for (int k = 0; k < 3; k++) {
        //: $P(a < X < b) = \sum_i\pi_i[\Phi((b-\mu_i)/\sqrt v) - \Phi((a-\mu_i)/\sqrt v)]$
        p_regions[k] = mixture_prob(1.0, cuts[k], cuts[k + 1]);
        q_regions[k] = mixture_prob(1.0 + SIGMA * SIGMA, cuts[k], cuts[k + 1]);
    }
    /* spec L35 7.7a (independent computation): p 0.330001/0.330666/0.339333, q 0.330010/0.330879/0.339111 */
    check_close("L35.7.7a.region_probs_exact",
                fabs(p_regions[0] - 0.330001) + fabs(p_regions[1] - 0.330666) + fabs(q_regions[0] - 0.330010) +
                    fabs(q_regions[1] - 0.330879),
                0.0, 4e-6, NULL, "P(x<-1.5), P(-1.5<x<1.5) for p and q_0.5 in closed form (spec values)");
    printf("regions (x<-1.5, |x|<1.5, x>1.5): p %.4f %.4f %.4f | q_0.5 %.4f %.4f %.4f | p_theta %.4f %.4f %.4f\n",
           p_regions[0], p_regions[1], p_regions[2], q_regions[0], q_regions[1], q_regions[2], theta_regions[0],
           theta_regions[1], theta_regions[2]);
    double theta_vs_q = 0;
    for (int k = 0; k < 3; k++) theta_vs_q = fmax(theta_vs_q, fabs(theta_regions[k] - q_regions[k]));
    check_le("L35.7.7a.p_theta_regions_vs_q", theta_vs_q, 0.03, 0.0, "L35.7.7a.p_theta",
             "max region-probability gap between p_theta (from the learned score) and q_0.5 (bar 0.03)");
    r->lmax = lmax, r->z = z;
}

/*: ## 7.7a Langevin sampling with the true and the learned score

Each region count of $n$ independent chains has standard error $\sqrt{P(1-P)/n}$ (theory).
The step $\epsilon = 0.01$ adds an $O(\epsilon)$ bias (program 03: the variance of a unit
Gaussian becomes $1/(1-\epsilon/2)$), a few $10^{-3}$ here, inside the tolerance.
*/
static void langevin_sampling(const Cli *cli, Run *r) {
    const long n_chains = r->n_chains = cli_scale(cli, 2000, 10000, 10000);
    const long n_steps = cli_scale(cli, 500, 2000, 5000);
    const double step = 0.01;
    const int n_grid = N_GRID;
    const double *grid = r->grid, *p_regions = r->p_regions, *theta_regions = r->theta_regions;
    double fast_gap = 0;
    for (int i = 0; i < n_grid; i += 3) fast_gap = fmax(fast_gap, fabs(score_true_cb(NULL, grid[i]) - gmm_score_1d(&r->data, grid[i])));
    check_close("L35.7.7a.chain_score_equals_gmm_score", fast_gap, 0.0, 1e-12, "L35.4.2.gmm_score_stable",
                "the chains' written-out true score equals gmm_score on [-15, 15]");
    double *x_true = xmalloc(sizeof(double) * n_chains), *x_learned = r->x_learned = xmalloc(sizeof(double) * n_chains);
    //: chains by [eq:L35.7.7a.ula] with $s = \nabla\log p$ and with $s = s_\theta$ (table)
    langevin_chains_1d(score_true_batch, &r->data, cli->seed ^ 0x1111, n_chains, n_steps, step, x_true);
    langevin_chains_1d(score_table_batch, &r->table, cli->seed ^ 0x2222, n_chains, n_steps, step, x_learned);
    double fr_true[3], fr_learned[3];
    regions(x_true, n_chains, fr_true);
    regions(x_learned, n_chains, fr_learned);
    printf("Langevin (%ld chains x %ld steps, eps %.2f): true score %.4f %.4f %.4f | learned %.4f %.4f %.4f\n",
           n_chains, n_steps, step, fr_true[0], fr_true[1], fr_true[2], fr_learned[0], fr_learned[1], fr_learned[2]);
    const char *rname[3] = {"left", "middle", "right"};
    for (int k = 0; k < 3; k++) {
        char id[64];
        snprintf(id, sizeof id, "L35.7.7a.langevin_true_%s", rname[k]);
        check_mc(id, fr_true[k], p_regions[k], sqrt(p_regions[k] * (1 - p_regions[k]) / n_chains), 4, n_chains,
                 "L35.7.7a.ula", "fraction of true-score Langevin chains in region %s vs p (SE from theory)", rname[k]);
        snprintf(id, sizeof id, "L35.7.7a.langevin_learned_%s", rname[k]);
        check_mc(id, fr_learned[k], theta_regions[k],
                 sqrt(theta_regions[k] * (1 - theta_regions[k]) / n_chains), 4, n_chains, "L35.7.7a.p_theta",
                 "fraction of learned-score chains in region %s vs p_theta (SE from theory)", rname[k]);
    }
    free(x_true);
}

/*: ## 7.7a Histogram against the density

Total variation between the histogram of the learned-score chains (bins of 0.2 on $[-8, 8]$)
and the binned $p_\theta$. Sampling noise alone gives
$\mathbb E\,\mathrm{TV} \approx \tfrac12\sum_k\sqrt{2P_k(1-P_k)/(\pi n)}$ with standard deviation
$\approx \tfrac12\sqrt{(1 - 2/\pi)\sum_k P_k(1-P_k)/n}$; the check allows 4 of those above it.
*/
static void histogram_tv(Run *r) {
    const double lo = GRID_LO, h = GRID_H;
    const int n_grid = N_GRID;
    const long n_chains = r->n_chains;
    const double *grid = r->grid, *p_theta = r->p_theta, *log_p_theta = r->log_p_theta, lmax = r->lmax, z = r->z;
    double *hist = r->hist, *centers = r->centers, *p_curve = r->p_curve, *q_curve = r->q_curve,
           *theta_curve = r->theta_curve, pbin[NB];
    stats_hist1d(r->x_learned, n_chains, -8.0, 8.0, NB, hist, 1);
    double tv = 0, tv_mean = 0, tv_var = 0;
    for (int b = 0; b < NB; b++) {
        centers[b] = -8.0 + 0.2 * (b + 0.5);
        pbin[b] = 0;
        for (int i = 0; i < n_grid; i++)
            if (grid[i] >= centers[b] - 0.1 - 1e-9 && grid[i] < centers[b] + 0.1 - 1e-9) pbin[b] += h * p_theta[i];
        //: $\mathrm{TV} = \tfrac12\sum_b\lvert\hat P_b - P_b\rvert$
        tv += 0.5 * fabs(hist[b] * 0.2 - pbin[b]);
        tv_mean += 0.5 * sqrt(2 * pbin[b] * (1 - pbin[b]) / (M_PI * n_chains));
        tv_var += 0.25 * (1 - 2 / M_PI) * pbin[b] * (1 - pbin[b]) / n_chains;
        double xc = centers[b];
        p_curve[b] = exp(gmm_logpdf(&r->data, &xc, NULL));
        q_curve[b] = exp(gmm_logpdf(&r->perturbed, &xc, NULL));
        theta_curve[b] = exp(log_p_theta[(int)lround((xc - lo) / h)] - lmax) / z;
    }
    printf("histogram TV vs p_theta %.4f (sampling noise alone: %.4f +- %.4f)\n", tv, tv_mean, sqrt(tv_var));
    check_le("L35.7.7a.histogram_TV", tv, tv_mean, 4 * sqrt(tv_var), "L35.7.7a.p_theta",
             "TV(histogram of learned-score Langevin samples, binned p_theta), bins 0.2");
}

/*: ## 7.7a Figures

`score_1d.png`: the learned score beside the true and the perturbed one; `langevin_hist.png`:
the histogram of the learned-score chains against $p$, $q_\sigma$ and $p_\theta$.
*/
static void figures(const Cli *cli, Run *r) {
    char err[256];
    enum { NS = 241 };
    double xs_plot[NS], s_true[NS], s_pert[NS], s_learned[NS];
    for (int i = 0; i < NS; i++) {
        xs_plot[i] = -6.0 + 0.05 * i;
        s_true[i] = gmm_score_1d(&r->data, xs_plot[i]);
        s_pert[i] = gmm_score_1d(&r->perturbed, xs_plot[i]);
    }
    dsm_eval(r->arena, &r->model.mlp, xs_plot, NS, s_learned);
    Plot *plot = plot_new(760, 460, "7.7a: score of the 1-D three-component mixture");
    plot_line(plot, xs_plot, s_true, NS, "true score grad log p");
    PlotSeries *sp = plot_line(plot, xs_plot, s_pert, NS, "perturbed grad log q_sigma (sigma = 0.5)");
    plot_series_dash(sp, PLOT_DASHED);
    plot_line(plot, xs_plot, s_learned, NS, "learned s_theta (DSM)");
    plot_hline(plot, 0.0, NULL);
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "score");
    if (plot_save(plot, cli_out_path(cli, "score_1d.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);

    /* Figure 2: histogram vs densities. */
    plot = plot_new(760, 460, "7.7a: Langevin samples with the learned score");
    PlotSeries *hs = plot_scatter(plot, r->centers, r->hist, NB, "histogram of Langevin samples");
    plot_series_marker(hs, 3.5);
    plot_line(plot, r->centers, r->p_curve, NB, "data density p");
    PlotSeries *qs = plot_line(plot, r->centers, r->q_curve, NB, "smoothed q_sigma");
    plot_series_dash(qs, PLOT_DASHED);
    PlotSeries *ts = plot_line(plot, r->centers, r->theta_curve, NB, "p_theta from the learned score");
    plot_series_dash(ts, PLOT_DOTTED);
    plot_xlabel(plot, "x");
    plot_ylabel(plot, "density");
    if (plot_save(plot, cli_out_path(cli, "langevin_hist.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 7.7a: DSM on a 1-D three-component mixture, Langevin with the learned score",
              3577, NULL);
    static Run r;
    r.data = make_mixture(1.0), r.perturbed = make_mixture(1.0 + SIGMA * SIGMA);
    data_moments(&cli);
    scores_and_floor(&r);
    if (train(&cli, &r)) {
        learned_score_error(&r);
        p_theta_density(&r);
        langevin_sampling(&cli, &r);
        histogram_tv(&r);
        figures(&cli, &r);
    }
    free(r.grid), free(r.score_table), free(r.log_p_theta), free(r.p_theta), free(r.x_learned);
    ad_arena_free(r.arena);
    dsm_model_free(&r.model);
    gmm_free(&r.data), gmm_free(&r.perturbed);
    return check_end();
}
