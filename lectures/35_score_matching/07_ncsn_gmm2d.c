/*: # L35 5.2 — NCSN: one network for ten noise levels

**Lecture 35, Part 2, section 5.2** (Challenge 1: multi-scale training), with the comprehension
check of 5.5 on the geometric schedule.

The lecture's `train_ncsn` only evaluates a network-free placeholder loss; here the network is
real. A noise-conditional MLP (`common/ncsn.h`) takes $(x_1, x_2, \log\sigma)$ through
3-64-64-2 with tanh and predicts the noise $\hat\epsilon$; its score is
$s_\theta(x, \sigma) = -\hat\epsilon/\sigma$ (eq. [eq:common.ncsn.eps_param]; the lecture leaves
the conditioning open). Training follows the lecture: Adam $10^{-3}$, 1000 steps, a fresh batch
of 128 samples of $p = \tfrac12\mathcal N((-2,0), I) + \tfrac12\mathcal N((2,0), I)$ per step,
used at all $L = 10$ levels of the geometric schedule from 5 to 0.01, loss weighted by
$\sigma^2$ (eq. [eq:common.ncsn.loss]).

What you will see: the schedule and its constant ratio; the loss of the zero network (2, the
lecture's placeholder) and the floor no network can beat, 1.5177, computed by quadrature level
by level; the training loss settling just above the floor; and, per level, the trained
network's $\sigma^2$-weighted error against the exact perturbed score $\nabla\log q_{\sigma_i}$.
Figure: `ncsn_loss.png` (loss curve with floor; per-level floor, loss and error against
$\sigma$). The trained weights go to `ncsn_gmm2d.bin` (common/nn.h parameter file).

With `--gpu on|auto` and a device the training runs on the GPU backend's training kernel
(kernel 3, `gpu/gpu_train.h`): the batches are drawn on the device, one random level per
example, and every batch loss is read back for the curve; the rest of the program is the same.
On a real GPU a step has $BL = 1280$ examples (the rows of a CPU step); on a CPU Vulkan driver
(llvmpipe, how `make check` runs `--gpu on`) it has 128, and the program says so and uses the
error bar derived for that scale (below).

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/07_ncsn_gmm2d [--out DIR] [--gpu on]`.

| symbol | C name | shape |
|---|---|---|
| $\sigma_1 > \dots > \sigma_L$ | `sigma` | (L) |
| $\hat\epsilon_\theta(x, \sigma)$, $s_\theta = -\hat\epsilon/\sigma$ | `net` (`NcsnNet`), `ncsn_eval` | (n, 2) |
| $\nabla\log q_\sigma$ | `gmm_pair_perturbed_score()` (common/gauss) | (2) |
| $\epsilon$, $\tilde x = x + \sigma_i\epsilon$ | `eps`, `xt` | (n, 2) |
| $\hat\epsilon_\theta(\tilde x, \sigma_i)$ | `eh` | (n, 2) |
| loss per step | `losses` | (steps) |
| $J(q_\sigma)$, $\sigma^2 C(\sigma)$ | `j_q[i]`, `level_floor[i]` | (L) |
| $\mathcal L_\text{NCSN}$ floor | `ncsn_floor` | scalar |
| per-level weighted error | `level_mse[i]` | (L) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/ncsn.h"
#include "common/nn.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_or_cpu.h"
#include "gpu/gpu_train_ncsn.h"

enum { D = 2, L = 10, BATCH = 128, HIDDEN = 64 };

/*: ## 5.2 The geometric schedule

$$ \sigma_i = \sigma_\text{max}\Big(\frac{\sigma_\text{min}}{\sigma_\text{max}}\Big)^{i/(L-1)},\quad i = 0, \dots, L-1 $$ {#eq:L35.5.2.geometric_schedule}

with $\sigma_\text{max} = 5$, $\sigma_\text{min} = 0.01$, $L = 10$: a constant ratio
$r = 0.002^{1/9} = 0.5013193$ between neighbours. Since the score of $q_\sigma$ scales like
$1/\sigma$, a constant ratio gives each pair of neighbouring levels the same overlap (5.5's
comprehension question 2).
*/

static void schedule(double *sigma) {
    //: $\sigma_i = \sigma_\text{max}(\sigma_\text{min}/\sigma_\text{max})^{i/(L-1)}$, [eq:L35.5.2.geometric_schedule]
    ncsn_geometric_schedule(5.0, 0.01, L, sigma);
    //: $r = (\sigma_\text{min}/\sigma_\text{max})^{1/(L-1)}$, [eq:L35.5.2.geometric_schedule]
    const double ratio = pow(0.01 / 5.0, 1.0 / (L - 1));
    double ratio_err = 0;
    for (int i = 0; i + 1 < L; i++) ratio_err = fmax(ratio_err, fabs(sigma[i + 1] / sigma[i] - ratio));
    printf("schedule sigma_i:");
    for (int i = 0; i < L; i++) printf(" %.7g", sigma[i]);
    printf("\n");
    /* spec L35 5.2 (independent computation) */
    const double sigma_ref[L] = {5, 2.506597, 1.256605, 0.6299605, 0.3158114,
                                 0.1583223, 0.07937005, 0.03978974, 0.01994737, 0.01};
    double sched_err = 0;
    for (int i = 0; i < L; i++) sched_err = fmax(sched_err, fabs(sigma[i] - sigma_ref[i]) / sigma_ref[i]);
    check_close("L35.5.2.schedule", sched_err, 0.0, 1e-6, "L35.5.2.geometric_schedule",
                "max relative difference of sigma_i from the spec's list 5, 2.5066, ..., 0.01");
    check_close("L35.5.2.schedule_ratio_constant", ratio_err, 0.0, 1e-12,
                "L35.5.2.geometric_schedule", "max |sigma_{i+1}/sigma_i - 0.002^(1/9)| over the 9 pairs");
    check_close("L35.5.2.schedule_ratio", ratio, 0.5013193, 1e-7, "L35.5.2.geometric_schedule",
                "the common ratio 0.002^(1/9) (spec 0.5013193)");
}

/*: ## 5.2 The target at each level

$q_\sigma$ is the data mixture with covariance $vI$, $v = 1 + \sigma^2$; its score is the one of
program 02, eq. [eq:L35.4.2.perturbed_score], with $v = 1 + \sigma_i^2$ at level $i$
(`gmm_pair_perturbed_score` in common/gauss.h, mode distance $m = 2$).
*/
static const double MODE = 2.0;

/*: ## 5.2 The floor of the NCSN loss

By Vincent's identity (eq. [eq:L35.A.2.vincent_constant]) each level's DSM loss is at least
$C(\sigma) = d/\sigma^2 - J(q_\sigma)$, so the $\sigma^2$-weighted level term is at least
$\sigma^2 C(\sigma) = d - \sigma^2 J(q_\sigma) \in (0, d]$, and

$$ \mathcal L_\text{NCSN} \ \ge\ \frac1L\sum_i \big(d - \sigma_i^2 J(q_{\sigma_i})\big) $$ {#eq:L35.5.2.ncsn_floor}

$J = J_x + J_y$ with $J_y = 1/v$ and $J_x = \int m_v\, s_1^2\,dx$ by composite Gauss–Legendre
on $[-40, 40]$ ($m_v$: the 1-D mixture with variance $v$; at $\sigma = 5$, $v = 26$ and the
tails beyond 40 are below $e^{-25}$).
*/
typedef struct {
    double sigma;
} LevelCtx;

static double jx_integrand(double x, void *ctx) {
    const double sigma = ((const LevelCtx *)ctx)->sigma, v = 1.0 + sigma * sigma;
    //: $m_v(x) = \tfrac12\mathcal N(x; -2, v) + \tfrac12\mathcal N(x; 2, v)$
    double m = 0.5 * exp(gauss_logpdf_1d(x, -2.0, sqrt(v))) + 0.5 * exp(gauss_logpdf_1d(x, 2.0, sqrt(v)));
    double xs[D] = {x, 0.0}, s[D];
    //: $s = \nabla\log q_\sigma$, [eq:L35.4.2.perturbed_score]
    gmm_pair_perturbed_score(xs, D, MODE, sigma, s);
    //: integrand $m_v s_1^2$ of $J_x$
    return m * s[0] * s[0];
}

/* Per-level floors sigma_i^2 C(sigma_i) by quadrature; returns the NCSN floor. */
static double floors(const double *sigma, double *level_floor) {
    double j_q[L], ncsn_floor = 0;
    for (int i = 0; i < L; i++) {
        LevelCtx lc = {sigma[i]};
        const double v = 1.0 + sigma[i] * sigma[i];
        //: $J(q_\sigma) = \int m_v s_1^2\,dx + 1/v$
        j_q[i] = quad_gauss_legendre_composite(jx_integrand, &lc, -40.0, 40.0, 40, 60) + 1.0 / v;
        //: $\sigma^2 C(\sigma) = d - \sigma^2 J(q_\sigma)$, [eq:L35.5.2.ncsn_floor]
        level_floor[i] = D - sigma[i] * sigma[i] * j_q[i];
        //: $\frac1L\sum_i \sigma_i^2 C(\sigma_i)$, [eq:L35.5.2.ncsn_floor]
        ncsn_floor += level_floor[i] / L;
    }
    /* spec L35 5.2 (independent computation): per-level sigma^2 C(sigma) */
    const double floor_ref[L] = {0.204937, 0.571031, 1.068968, 1.541659, 1.846630,
                                 1.958026, 1.989212, 1.997273, 1.999314, 1.999827};
    double floor_err = 0;
    for (int i = 0; i < L; i++) floor_err = fmax(floor_err, fabs(level_floor[i] - floor_ref[i]));
    printf("NCSN floor (1/L) sum_i (d - sigma_i^2 J(q_sigma_i)) = %.6f\n", ncsn_floor);
    check_close("L35.5.2.level_floors", floor_err, 0.0, 1e-6, "L35.5.2.ncsn_floor",
                "max |sigma_i^2 C(sigma_i) - spec value| over the 10 levels (quadrature)");
    check_close("L35.5.2.ncsn_floor", ncsn_floor, 1.517688, 1e-5, "L35.5.2.ncsn_floor",
                "NCSN loss floor by quadrature (spec 1.517688)");
    check_le("L35.5.2.level_floor_bounded", level_floor[L - 1], D, 0.0, "L35.5.2.ncsn_floor",
             "sigma^2 C(sigma) <= d at the smallest level (weighted terms stay bounded; "
             "unweighted C(0.01) = %.0f)", level_floor[L - 1] / (sigma[L - 1] * sigma[L - 1]));
    return ncsn_floor;
}

static void sample_mixture(Rng *r, double *x, int n, void *ctx) {
    const Gmm *data = ctx;
    for (int i = 0; i < n; i++) gmm_sample(data, r, x + (long)i * D);
}

/* The CPU path of the training: common/ncsn's ncsn_train (gpu_or_cpu.h calls it). */
typedef struct {
    NcsnNet *net;
    const double *sigma;
    const Gmm *data;
    NcsnTrainConfig cfg;
} NcsnCpu;

static long ncsn_cpu_train(void *ctx, double *losses, char *err, size_t errlen) {
    NcsnCpu *c = ctx;
    for (long k = 0; k < c->cfg.steps; k++) losses[k] = NAN;
    if (ncsn_train(c->net, c->sigma, L, sample_mixture, (void *)c->data, &c->cfg, losses, err, errlen) == 0)
        return c->cfg.steps;
    long done = 0; /* the failing step is named in err; count the finite losses before it */
    while (done < c->cfg.steps && isfinite(losses[done])) done++;
    return done;
}

/*: ## 5.2 Two Monte-Carlo anchors

The lecture's placeholder loss is that of $\hat\epsilon \equiv 0$ (the zero network): each
level contributes $\mathbb E\lVert\epsilon\rVert^2 = d$, so the NCSN loss is $d = 2$. The
network here is built with its last layer set to zero and run through the same loss code
(SE from theory: $\operatorname{Var}\lVert\epsilon\rVert^2 = 2d$ per row). The oracle
$\hat\epsilon^\ast = -\sigma\nabla\log q_\sigma$ reaches the floor, not zero (SE from the
samples).
*/
static void mc_anchors(const Cli *cli, const Gmm *data, const double *sigma, double ncsn_floor, AdArena *arena) {
    const long n_mc = cli_scale(cli, 2000, 10000, 100000); /* batches x L rows */
    Rng init_rng, data_rng, noise_rng;
    rng_init(&init_rng, cli->seed, 10);
    rng_init(&data_rng, cli->seed, 11);
    rng_init(&noise_rng, cli->seed, 12);
    NcsnNet zero;
    ncsn_init(&zero, D, HIDDEN, AD_F64, &init_rng);
    //: $\hat\epsilon \equiv 0$: last layer zero
    nn_init_constant(zero.mlp.layers[2].weight, 0.0);
    nn_init_constant(zero.mlp.layers[2].bias, 0.0);
    double acc = 0;
    const long n_batches = n_mc / BATCH + 1;
    double x[BATCH * D];
    for (long b = 0; b < n_batches; b++) {
        ad_arena_reset(arena);
        sample_mixture(&data_rng, x, BATCH, (void *)data);
        //: the NCSN loss of the zero network, [eq:common.ncsn.loss]
        acc += ad_item(ncsn_loss(arena, &zero, x, BATCH, sigma, L, &noise_rng, NULL));
    }
    const long rows = n_batches * BATCH * L;
    check_mc("L35.5.2.zero_net_ncsn_loss", acc / n_batches, (double)D, sqrt(2.0 * D / rows), 4,
             rows, "L35.5.2.ncsn_floor",
             "NCSN loss of the zero network (the lecture's placeholder) is d = 2 (SE from theory)");
    ncsn_free(&zero);

    long n_or = n_mc * 4;
    double *v = xmalloc(sizeof(double) * n_or);
    for (long k = 0; k < n_or; k++) {
        double xo[D], e[D], xt[D], s[D];
        gmm_sample(data, &data_rng, xo);
        v[k] = 0;
        for (int i = 0; i < L; i++) {
            //: $\tilde x = x + \sigma_i\epsilon$
            for (int a = 0; a < D; a++) e[a] = rng_normal(&noise_rng), xt[a] = xo[a] + sigma[i] * e[a];
            //: $\nabla\log q_{\sigma_i}(\tilde x)$, [eq:L35.4.2.perturbed_score]
            gmm_pair_perturbed_score(xt, D, MODE, sigma[i], s);
            //: $\frac1L\lVert\hat\epsilon^\ast - \epsilon\rVert^2$ with $\hat\epsilon^\ast = -\sigma\nabla\log q_\sigma$
            for (int a = 0; a < D; a++) v[k] += (-sigma[i] * s[a] - e[a]) * (-sigma[i] * s[a] - e[a]) / L;
        }
    }
    double se, m = stats_mean_se(v, (size_t)n_or, &se);
    check_mc("L35.5.2.oracle_loss_equals_floor", m, ncsn_floor, se, 4, n_or, "L35.5.2.ncsn_floor",
             "NCSN loss of the exact perturbed scores equals the quadrature floor (SE from samples)");
    free(v);
}

/* What the training leaves for the later sections. */
typedef struct {
    NcsnNet net;
    double *losses; /* (steps) */
    long steps;
    int on_gpu, cpu_driver, gpu_batch;
    uint64_t gpu_seed;
    double mse_bar;
} Trained;

/*: ## 5.2 Training

**CPU path** (`ncsn_train`, common/ncsn.h): each step draws 128 points, forms
$\tilde x = x + \sigma_i\epsilon$ for all 10 levels (1280 rows with $\log\sigma_i$ appended),
evaluates eq. [eq:common.ncsn.loss] and takes one Adam step. This is the lecture's 1000
"epochs" (spec E16: they are steps).

**GPU path** (kernel 3, `gpu/gpu_train.h`). The kernel minimises
$\frac1B\sum_b\lVert a\,f_\theta(c_x x_b + c_\varepsilon\varepsilon_b,\ \text{cond}) + b\,\varepsilon_b\rVert^2$
(eq. [eq:common.gpu.train_loss]). With $f_\theta = \hat\epsilon_\theta$ (the same MLP, the same
float32 parameters) and, for level $i$, $c_x = c$, $c_\varepsilon = c\,\sigma_i$,
$\text{cond} = \log\sigma_i$, $a = 1$, $b = -1$ (eq. [eq:common.gpu.ncsn_levels]; $c = 1$ here),
the network sees exactly the rows $(c(x + \sigma_i\epsilon), \log\sigma_i)$ of the CPU path
and each term is $\lVert\hat\epsilon_\theta - \epsilon\rVert^2$. (The kernel's own NCSN
weighting, $a = \sigma$, $b = 1$ on a score network, is the same loss for the parametrisation
$s = -\hat\epsilon/\sigma$; here the network predicts $\hat\epsilon$ directly, so $a = 1$.)

*Where the estimators differ:* the CPU path uses every point at all $L$ levels; the kernel
draws one level per example, uniformly. Since
$\mathbb E_i\,\mathbb E\lVert\hat\epsilon_\theta - \epsilon\rVert^2 = \frac1L\sum_i \mathbb E[\,\cdot\mid\sigma_i]$,
both are unbiased for the same loss eq. [eq:common.ncsn.loss] and its gradient; the kernel's
batch loss is only noisier (multinomial level counts, and 1280 independent points where the
CPU path has 128 points used ten times). On a real GPU a step has $B = 1280$ examples; on a
CPU Vulkan driver (llvmpipe, 40 steps/s at $B = 128$) $B = 128$ keeps the run near half a
minute. The last Adam iterate is then noisier: over 27 seeds of the kernel's C twin at
$B = 128$ (the kernel's arithmetic, 1000 steps) the largest per-level weighted error ranged
over 0.05–0.12 (0.02–0.03 at $B = 1280$ over 4 seeds, as on the CPU path), so that scale
gets the bar 0.20 in place of 0.05 (still a tenth of the zero network's 1.8). The batches are drawn on the device from Philox streams (no upload);
every step's batch loss is read back (loss window $k = 1$, in runs of 100 steps), and a
non-finite loss stops the run with its step number.
*/
static bool train(const Cli *cli, GpuContext *g, const Gmm *data, const double *sigma, double ncsn_floor,
                  Trained *t) {
    char err[256];
    const long steps = t->steps = cli_scale(cli, 150, 1000, 1000);
    Rng init_rng;
    rng_init(&init_rng, cli->seed, 0);
    ncsn_init(&t->net, D, HIDDEN, AD_F32, &init_rng);
    double *losses = t->losses = xmalloc(sizeof(double) * steps);
    t->cpu_driver = g && gpu_info(g)->is_cpu_device;
    t->gpu_batch = t->cpu_driver ? BATCH : BATCH * L;
    t->gpu_seed = cli->seed ^ 0x35052ULL;
    GpuTrainLevel levels[L];
    //: [eq:common.gpu.ncsn_levels]: $c_x = c$, $c_\varepsilon = c\sigma_i$, cond $\log\sigma_i$, $a = 1$, $b = -1$
    gpu_train_levels_ncsn(&t->net, sigma, L, levels);
    //: each step: Adam on the NCSN loss of a fresh batch, [eq:common.ncsn.loss]
    NcsnCpu cpu = {&t->net, sigma, data, {steps, BATCH, 1e-3, 0.0, cli->seed, "NCSN training"}};
    const GocTrain job = {&t->net.mlp, steps, 1e-3, data, levels, L, t->gpu_batch, t->gpu_seed, ncsn_cpu_train, &cpu,
                          "NCSN training"};
    GocWhere where;
    const long trained = goc_train(g, &job, losses, &where, err, sizeof err);
    if (where == GOC_GPU)
        printf("trained on the GPU (kernel 3) at %s scale: %d examples per step, one random level each, %ld "
               "steps\n", t->cpu_driver ? "the CPU driver's reduced" : "the full", t->gpu_batch, trained);
    else
        printf("trained on the %s (common/ncsn): %d points per step at all %d levels, %ld steps\n",
               goc_where_name(where), BATCH, L, trained);
    if (trained < steps) {
        check_true("L35.5.2.training_finite", false, "%s", err);
        return false;
    }
    t->on_gpu = where == GOC_GPU;
    t->mse_bar = cli->scale == SCALE_QUICK ? 0.5 : t->on_gpu && t->cpu_driver ? 0.20 : 0.05;
    for (long s = 99; s < steps; s += 100) printf("step %4ld: NCSN loss %.4f\n", s + 1, losses[s]);
    const long tail_n = steps < 100 ? steps : 100;
    double tail_se, tail = stats_mean_se(losses + steps - tail_n, (size_t)tail_n, &tail_se);
    printf("mean of the last %ld batch losses: %.4f (SE %.4f); floor %.4f\n", tail_n, tail, tail_se,
           ncsn_floor);
    check_ge("L35.5.2.train_last100_above_floor", tail, ncsn_floor, 4 * tail_se, "L35.5.2.ncsn_floor",
             "mean of the last %ld batch losses >= the floor - 4 SE (SE from those losses)", tail_n);
    check_le("L35.5.2.train_last100_near_floor", tail - ncsn_floor, t->mse_bar, 4 * tail_se,
             "L35.5.2.ncsn_floor",
             "last-%ld mean minus the floor <= %.2f + 4 SE (the mean per-level error bar below)",
             tail_n, t->mse_bar);
    return true;
}

/*: ## 5.2 The learned score, level by level

At each level, on fresh pairs $(x, \epsilon)$ with $\tilde x = x + \sigma_i\epsilon$:
the weighted error

$$ \sigma_i^2\,\mathbb E_{q_{\sigma_i}}\big\lVert s_\theta(\tilde x, \sigma_i) - \nabla\log q_{\sigma_i}(\tilde x)\big\rVert^2
   = \mathbb E\,\big\lVert\hat\epsilon_\theta(\tilde x, \sigma_i) + \sigma_i\nabla\log q_{\sigma_i}(\tilde x)\big\rVert^2 $$ {#eq:L35.5.2.level_mse}

(bar 0.05 at every level, 0.20 at the CPU driver's scale; for scale, the zero network's error is $\sigma^2 J(q_\sigma)$,
up to 1.8), and the identity level loss = floor + error, by Vincent, checked on the
trained network over all levels together. Returns the trained net's NCSN loss over all
levels (and its SE) for the GPU parity check.
*/
static double level_errors(const Cli *cli, const Gmm *data, const double *sigma, const double *level_floor,
                           Trained *t, double *level_mse, double *level_loss, double *lk_se) {
    const long n_eval = cli_scale(cli, 4000, 40000, 200000); /* per level */
    double level_sd[L];
    double *gap = xmalloc(sizeof(double) * n_eval * L), *loss_k = xcalloc((size_t)n_eval, sizeof(double));
    double *xt = xmalloc(sizeof(double) * n_eval * D), *eps = xmalloc(sizeof(double) * n_eval * D);
    double *eh = xmalloc(sizeof(double) * n_eval * D), *mse = xmalloc(sizeof(double) * n_eval);
    Rng eval_rng;
    rng_init(&eval_rng, cli->seed, 20);
    double worst = 0;
    printf("level | sigma     | floor s^2C | loss      | weighted error (SE)\n");
    for (int i = 0; i < L; i++) {
        for (long k = 0; k < n_eval; k++) {
            double xo[D];
            gmm_sample(data, &eval_rng, xo);
            //: $\tilde x = x + \sigma_i\epsilon$
            for (int a = 0; a < D; a++)
                eps[k * D + a] = rng_normal(&eval_rng), xt[k * D + a] = xo[a] + sigma[i] * eps[k * D + a];
        }
        //: $\hat\epsilon_\theta(\tilde x, \sigma_i)$
        ncsn_eval(&t->net, xt, n_eval, sigma[i], eh, NULL);
        double loss_acc = 0;
        for (long k = 0; k < n_eval; k++) {
            double s[D], l2 = 0, e2 = 0;
            //: $\nabla\log q_{\sigma_i}(\tilde x)$, [eq:L35.4.2.perturbed_score]
            gmm_pair_perturbed_score(xt + k * D, D, MODE, sigma[i], s);
            for (int a = 0; a < D; a++) {
                //: $\lVert\hat\epsilon_\theta + \sigma\nabla\log q_\sigma\rVert^2$, [eq:L35.5.2.level_mse]
                e2 += (eh[k * D + a] + sigma[i] * s[a]) * (eh[k * D + a] + sigma[i] * s[a]);
                //: $\lVert\hat\epsilon_\theta - \epsilon\rVert^2$, the level term of [eq:common.ncsn.loss]
                l2 += (eh[k * D + a] - eps[k * D + a]) * (eh[k * D + a] - eps[k * D + a]);
            }
            mse[k] = e2;
            loss_acc += l2;
            //: level loss $-$ floor $-$ error, mean 0 by [eq:L35.A.2.vincent_constant]
            gap[(long)i * n_eval + k] = (l2 - level_floor[i] - e2) / L;
            loss_k[k] += l2 / L; /* the NCSN loss of sample index k, all levels */
        }
        level_mse[i] = stats_mean_se(mse, (size_t)n_eval, &level_sd[i]);
        level_loss[i] = loss_acc / n_eval;
        worst = fmax(worst, level_mse[i]);
        printf("%5d | %.7f | %.6f   | %.6f  | %.4f (%.4f)\n", i + 1, sigma[i], level_floor[i],
               level_loss[i], level_mse[i], level_sd[i]);
    }
    /* The gap summed over levels per sample index k is an average of independent terms. */
    double *gap_k = xmalloc(sizeof(double) * n_eval);
    for (long k = 0; k < n_eval; k++) {
        gap_k[k] = 0;
        for (int i = 0; i < L; i++) gap_k[k] += gap[(long)i * n_eval + k];
    }
    double gap_se, gap_mean = stats_mean_se(gap_k, (size_t)n_eval, &gap_se);
    check_mc("L35.5.2.vincent_identity_trained", gap_mean, 0.0, gap_se, 4, n_eval,
             "L35.5.2.ncsn_floor",
             "NCSN loss of the trained net - floor - mean weighted error = 0 on fresh samples (SE from samples)");
    check_le("L35.5.2.per_level_weighted_mse", worst, t->mse_bar, 0.0, "L35.5.2.level_mse",
             "largest per-level sigma^2 E_q|s_theta - grad log q_sigma|^2 over the 10 levels (bar %.2f)",
             t->mse_bar);
    const double lk_mean = stats_mean_se(loss_k, (size_t)n_eval, lk_se);
    free(gap), free(gap_k), free(loss_k), free(xt), free(eps), free(eh), free(mse);
    return lk_mean;
}

/*: ## 5.2 GPU parity: the same loss, estimated both ways

On the GPU path, the trained network's NCSN loss is estimated by the kernel's own estimator
(one random level per example, batches drawn on the device) and compared with the CPU
evaluation above (every level on fresh samples, $\frac1L\sum_i$ of the loss column). For the
kernel to measure at fixed $\theta$ its Adam runs with learning rate $10^{-30}$: updates of
order $10^{-29}$ leave every float32 parameter unchanged (checked bit for bit). A wrong
level table (input scale, $\log\sigma$ column, sign of $b$) would shift this loss by many
standard errors (checks/unit/test_gpu_train_ncsn.c shows one such shift).
*/
static void gpu_parity(const Cli *cli, GpuContext *g, const char *why, const Gmm *data, const double *sigma,
                       Trained *t, double lk_mean, double lk_se) {
    char err[256];
    if (!g) {
        check_skip("L35.5.2.gpu_estimator_parity", "no GPU device (%s); run with --gpu on", why);
        return;
    }
    const long n_fix = cli_scale(cli, 20, 100, 400);
    GpuTrain fixed;
    if (gpu_train_ncsn_init(&fixed, &t->net, data, sigma, L, t->gpu_batch, t->gpu_seed ^ 0xF1ULL, 1e-30, err,
                            sizeof err))
        die("%s", err);
    const size_t np = (size_t)fixed.net.nparams;
    float *before = xmalloc(sizeof(float) * np), *lf = xmalloc(sizeof(float) * n_fix);
    memcpy(before, fixed.net.params, sizeof(float) * np);
    int ran = 0;
    //: the kernel's one-level-per-example estimate of [eq:common.ncsn.loss] at fixed $\theta$
    const long done = gpu_train_run_checked(g, &fixed, n_fix, (int)n_fix, lf, &ran, "NCSN loss (GPU)", err,
                                            sizeof err);
    const int unchanged = !memcmp(before, fixed.net.params, sizeof(float) * np);
    double mk = 0, vk = 0;
    for (long s = 0; s < n_fix; s++) mk += lf[s] / n_fix;
    for (long s = 0; s < n_fix; s++) vk += (lf[s] - mk) * (lf[s] - mk);
    const double se = sqrt(vk / (n_fix - 1) / n_fix + lk_se * lk_se);
    printf("trained net's NCSN loss: kernel estimator %.4f (%ld batches of %d), CPU all-level "
           "evaluation %.4f\n", mk, n_fix, t->gpu_batch, lk_mean);
    if (ran)
        check_mc("L35.5.2.gpu_estimator_parity", done == n_fix && unchanged ? mk - lk_mean : INFINITY, 0.0,
                 se, 4, n_fix, "common.gpu.ncsn_levels",
                 "trained net's NCSN loss: GPU kernel estimator minus CPU evaluation over all levels "
                 "(parameters unchanged: %s; SE of both means, from the samples)", unchanged ? "yes" : "NO");
    else
        check_skip("L35.5.2.gpu_estimator_parity", "the GPU run failed and fell back to the C twin (stderr)");
    free(before), free(lf);
    gpu_train_free(&fixed);
}

/*: ## 5.2 Weights and figure

The trained weights go to `ncsn_gmm2d.bin`; `ncsn_loss.png` shows the loss curve with its
floor, and the per-level floor, loss and weighted error against $\log_{10}\sigma$.
*/
static void save_and_plot(const Cli *cli, const double *sigma, const double *level_floor, const double *level_loss,
                          const double *level_mse, double ncsn_floor, Trained *t) {
    char err[256];
    NnParams params;
    nn_params_init(&params);
    ncsn_params(&t->net, &params);
    if (nn_params_save(cli_out_path(cli, "ncsn_gmm2d.bin"), &params, err, sizeof err) != NN_IO_OK)
        die("%s", err);
    nn_params_free(&params);

    const long steps = t->steps;
    double *running = xmalloc(sizeof(double) * steps), *iters = xmalloc(sizeof(double) * steps);
    for (long s = 0; s < steps; s++) {
        iters[s] = s + 1;
        long lo = s >= 49 ? s - 49 : 0;
        double acc = 0;
        for (long k = lo; k <= s; k++) acc += t->losses[k];
        running[s] = acc / (s - lo + 1);
    }
    Plot *plot = plot_new_grid(1, 2, 1300, 500, "5.2: NCSN training (10 levels, sigma 5 -> 0.01, sigma^2 weighting)");
    plot_panel(plot, 0);
    plot_title(plot, "loss per step");
    char curve_label[64];
    if (t->on_gpu) snprintf(curve_label, sizeof curve_label, "batch loss (GPU kernel, B = %d)", t->gpu_batch);
    else snprintf(curve_label, sizeof curve_label, "batch loss (CPU, 128 x 10 rows)");
    PlotSeries *sl = plot_line(plot, iters, t->losses, (int)steps, curve_label);
    plot_series_alpha(sl, 0.35);
    plot_series_width(sl, 1.0);
    plot_line(plot, iters, running, (int)steps, "running mean (50 steps)");
    PlotSeries *fl = plot_hline(plot, ncsn_floor, "floor 1.5177");
    plot_series_color(fl, PLOT_RED);
    plot_series_dash(fl, PLOT_DASHED);
    PlotSeries *zl = plot_hline(plot, (double)D, "zero network: d = 2");
    plot_series_color(zl, PLOT_GRAY);
    plot_series_dash(zl, PLOT_DOTTED);
    plot_ylim(plot, 1.3, 2.3);
    plot_xlabel(plot, "step");
    plot_ylabel(plot, "NCSN loss");
    plot_panel(plot, 1);
    plot_title(plot, "per level, after training");
    double log_sigma[L];
    for (int i = 0; i < L; i++) log_sigma[i] = log10(sigma[i]);
    PlotSeries *a = plot_line(plot, log_sigma, level_floor, L, "floor sigma^2 C(sigma)");
    plot_series_color(a, PLOT_RED);
    plot_series_dash(a, PLOT_DASHED);
    PlotSeries *b = plot_scatter(plot, log_sigma, level_loss, L, "loss of the trained net");
    plot_series_marker(b, 5);
    PlotSeries *c = plot_line(plot, log_sigma, level_mse, L, "weighted error vs grad log q");
    plot_series_marker(c, 4);
    plot_xlabel(plot, "log10 sigma");
    plot_ylabel(plot, "sigma^2-weighted value");
    if (plot_save(plot, cli_out_path(cli, "ncsn_loss.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
    free(running), free(iters);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 5.2: NCSN multi-scale DSM training on the two-Gaussian mixture", 352052, NULL);
    char why[256];
    GpuContext *g = gpu_open(cli.gpu, NULL, why, sizeof why);
    Gmm data = gmm_pair(2.0, 1.0);
    double sigma[L], level_floor[L], level_mse[L], level_loss[L];
    schedule(sigma);
    const double ncsn_floor = floors(sigma, level_floor);
    AdArena *arena = ad_arena_new(1 << 20);
    mc_anchors(&cli, &data, sigma, ncsn_floor, arena);
    Trained t = {0};
    if (train(&cli, g, &data, sigma, ncsn_floor, &t)) {
        double lk_se;
        const double lk_mean = level_errors(&cli, &data, sigma, level_floor, &t, level_mse, level_loss, &lk_se);
        gpu_parity(&cli, g, why, &data, sigma, &t, lk_mean, lk_se);
        save_and_plot(&cli, sigma, level_floor, level_loss, level_mse, ncsn_floor, &t);
    }
    free(t.losses);
    ad_arena_free(arena);
    ncsn_free(&t.net);
    gmm_free(&data);
    gpu_close(g);
    return check_end();
}
