/*: # L36 1.1.4 — Training $\epsilon_\theta$ with $L_\text{simple}$ on a 2-D toy, then sampling with DDPM and DDIM

**Lecture 36, section 1.1.4** (the simplified loss, "Algorithm 1" of DDPM), carried through to a
trained model and its samples: the bridge to the implementation part of the lecture, at a
scale where every number can still be checked against an exact answer.

The data is a three-mode mixture in the plane,
$p = \tfrac13\sum_k\mathcal N(\mu_k, 0.3^2 I)$ with $\mu = (-2, 0), (2, 0), (0, 2.5)$: multimodal, so a
sampler that loses or unbalances a mode is caught, and a mixture, so the Bayes-optimal noise
predictor is known exactly (`common/diffusion_sampler.h`). That gives the trained network a
reference everywhere: the loss floor, the excess risk, and the sampler run with the exact
denoiser.

What you will see: the training curve; the held-out $L_\text{simple}$ split into the Bayes floor
and the network's excess $\mathbb E\lVert\hat\epsilon^\star - \epsilon_\theta\rVert^2$ (the split checked as an
identity, the excess against 10% of the floor); samples from DDPM (1000 steps) and DDIM
(50 steps) with the trained network: mode balance ($\chi^2$), mean (with standard errors) and an
MMD distance to fresh data whose bar comes from pairs of independent data samples.
Figures: `loss.png`, `samples.png` (data, DDPM, DDIM).

Run: `build/release/bin/lectures/36_ddpm/16_toy_lsimple_training [--quick | --full] [--threads N]`.
CPU only (the `--gpu` flag is accepted and ignored: the GPU DDPM kernels of `gpu/` would need
their own parity checks; see the lecture README).

| symbol | C name | shape |
|---|---|---|
| $x_0 \sim p$ | `data` (`Gmm`), `x0` | (B, 2) |
| $t \sim \mathcal U\{1..T\}$, $\epsilon$ | `t`, `eps` | (B), (B, 2) |
| $x_t$ | `xt` | (B, 2) |
| time features $\phi(t)$ | `time_features` | (B, 9) |
| $\epsilon_\theta(x_t, t)$ | `Net` (`NnMlp` 11-64-64-64-2, SiLU) | (B, 2) |
| $\hat\epsilon^\star$ | `DiffOracle` | (B, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/progress.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { T = 1000, D = 2, NF = 9, NIN = D + NF, BATCH = 256, K = 3 };
static const double MU[K][D] = {{-2.0, 0.0}, {2.0, 0.0}, {0.0, 2.5}};
static const double SD = 0.3;

typedef struct {
    NnMlp mlp;
} Net;

/* Time features of tau = t/T: tau, sin(k pi tau), cos(k pi tau) for k = 1..4 (smooth in t). */
static void time_features(int t, double *f) {
    const double tau = (double)t / T;
    f[0] = tau;
    for (int k = 1; k <= 4; k++) f[2 * k - 1] = sin(k * M_PI * tau), f[2 * k] = cos(k * M_PI * tau);
}

/* eps_theta on n rows x (n x 2) at times t (one per row, or all equal to t0 when t is NULL), in the
   arena (reset here). */
static void net_eval(const Net *net, AdArena *arena, const double *x, const int *t, int t0, size_t n, double *eps_out) {
    ad_arena_reset(arena);
    const int shape[2] = {(int)n, NIN};
    AdTensor *in = ad_input(arena, AD_F32, 2, shape);
    float *v = ad_f32(in);
    double f[NF];
    for (size_t i = 0; i < n; i++) {
        time_features(t ? t[i] : t0, f);
        v[i * NIN] = (float)x[i * D], v[i * NIN + 1] = (float)x[i * D + 1];
        for (int j = 0; j < NF; j++) v[i * NIN + D + j] = (float)f[j];
    }
    AdTensor *out = nn_mlp_forward(arena, &net->mlp, in);
    for (size_t i = 0; i < n * D; i++) eps_out[i] = ad_get(out, (long)i);
}

/* The network as a DiffEpsFn for the sampler: one arena per thread (the calls of one thread
   never overlap), so the callback is thread safe. */
enum { MAX_THREADS = 256 };
typedef struct {
    const Net *net;
    AdArena *arena[MAX_THREADS];
} NetSampler;

static void net_eps(const double *x, size_t n, size_t dim, int t, double abar_t, double *eps_out, void *ctx) {
    (void)dim, (void)abar_t;
    NetSampler *ns = ctx;
    const int id = par_thread_id();
    if (id >= MAX_THREADS) die("net_eps: thread %d of at most %d", id, MAX_THREADS);
    if (!ns->arena[id]) ns->arena[id] = ad_arena_new(1 << 18);
    net_eval(ns->net, ns->arena[id], x, NULL, t, n, eps_out);
}

static void net_sampler_free(NetSampler *ns) {
    for (int i = 0; i < MAX_THREADS; i++) ad_arena_free(ns->arena[i]), ns->arena[i] = NULL;
}

/*: ## 1.1.4 The loss and its training loop (DDPM's Algorithm 1)

Each step draws a fresh batch: $x_0 \sim p$, $t \sim \mathcal U\{1,\dots,T\}$, $\epsilon \sim \mathcal N(0, I)$,
forms $x_t$ in one jump, and takes a gradient step on

$$ L_\text{simple}(\theta) = \mathbb E_{t, x_0, \epsilon}\big\lVert \epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon,\ t)\big\rVert^2 $$ {#eq:L36.1.1.4.lsimple_train}

(a sum over the two coordinates, as in the lecture's code, and a mean over the batch). The
network is an MLP with SiLU, 3 hidden layers of 64, whose input is $x_t$ and nine smooth
features of $t/T$; Adam with a cosine-decayed learning rate $3\cdot10^{-3} \to 10^{-4}$. The
lecture trains with a placeholder network only; these settings are this program's.
*/
static double g_ema = 0.995, g_lr = 3e-3;
static int g_batch = BATCH;

static void train(const Cli *cli, Net *net, const Gmm *data, const DiffusionSchedule *sch, double *losses, long steps) {
    NnParams params;
    nn_params_init(&params);
    nn_mlp_params(&net->mlp, "eps", &params);
    ParamBlock blocks[16];
    const int nb = nn_params_blocks(&params, blocks, 16);
    Optimizer *adam = optim_new(blocks, nb, optim_adam(g_lr, 0.9, 0.999, 1e-8, 0.0));
    Ema *ema = g_ema > 0 ? ema_new(blocks, nb, g_ema) : NULL;
    AdArena *arena = ad_arena_new(1 << 22);
    Rng r;
    rng_init(&r, cli->seed, 100);
    Progress prog;
    progress_start(&prog, "L_simple training", steps);
    for (long step = 0; step < steps; step++) {
        optim_set_lr(adam, lr_cosine_warmup(g_lr, 1e-4, 0, steps, step));
        ad_arena_reset(arena);
        const int B = g_batch;
        const int shape[2] = {B, NIN}, oshape[2] = {B, D};
        AdTensor *in = ad_input(arena, AD_F32, 2, shape), *target = ad_input(arena, AD_F32, 2, oshape);
        float *v = ad_f32(in), *tg = ad_f32(target);
        for (int i = 0; i < B; i++) {
            double x0[D], eps[D], xt[D], f[NF];
            gmm_sample(data, &r, x0);
            //: $t \sim \mathcal U\{1..T\}$, $\epsilon \sim \mathcal N(0, I)$, $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$
            const int t = 1 + (int)rng_below(&r, T);
            rng_normal_fill(&r, eps, D);
            diffusion_q_sample(sch, t, x0, eps, xt, D);
            time_features(t, f);
            for (int a = 0; a < D; a++) v[i * NIN + a] = (float)xt[a], tg[i * D + a] = (float)eps[a];
            for (int j = 0; j < NF; j++) v[i * NIN + D + j] = (float)f[j];
        }
        AdTensor *pred = nn_mlp_forward(arena, &net->mlp, in);
        //: $\frac1B\sum_i\lVert\epsilon_i - \epsilon_\theta(x_{t,i}, t_i)\rVert^2$, eq. [eq:L36.1.1.4.lsimple_train]
        AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, pred, target))), 1.0 / B);
        optim_zero_grad(adam);
        ad_backward(arena, loss);
        optim_step(adam);
        if (ema) ema_update(ema);
        losses[step] = ad_item(loss);
        if (!isfinite(losses[step])) die("L_simple is %g at step %ld", losses[step], step + 1);
        progress_update_value(&prog, step + 1, "loss", losses[step]);
    }
    progress_end(&prog);
    if (ema) ema_copy_to_params(ema); /* sample with the averaged weights */
    ema_free(ema);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&params);
}

/*: ## How good is the trained $\epsilon_\theta$? The floor and the excess

For any predictor $f$, because $\hat\epsilon^\star = \mathbb E[\epsilon\mid x_t]$ makes the cross term vanish,

$$ L_\text{simple}(f) = \underbrace{\mathbb E\lVert\epsilon - \hat\epsilon^\star(x_t)\rVert^2}_{\text{Bayes floor}}
   + \underbrace{\mathbb E\lVert\hat\epsilon^\star(x_t) - f(x_t, t)\rVert^2}_{\text{excess}} . $$ {#eq:L36.1.1.4.floor_excess}

On fresh held-out triples $(t, x_0, \epsilon)$ the program evaluates the network and the exact
denoiser on the same inputs: the floor and the excess by Monte Carlo, and the decomposition itself
as a paired difference whose mean must be 0 within its standard error. The spec asks for a
final loss within 10% of the floor.
*/
static void evaluate_loss(const Cli *cli, const Net *net, const Gmm *data, const DiffusionSchedule *sch) {
    const size_t n = (size_t)cli_scale(cli, 4000, 40000, 200000);
    double *xt = xmalloc(sizeof(double) * n * D), *eps = xmalloc(sizeof(double) * n * D), *pred = xmalloc(sizeof(double) * n * D);
    int *t = xmalloc(sizeof(int) * n);
    Rng r;
    rng_init(&r, cli->seed, 200);
    for (size_t i = 0; i < n; i++) {
        double x0[D];
        gmm_sample(data, &r, x0);
        t[i] = 1 + (int)rng_below(&r, T);
        rng_normal_fill(&r, eps + i * D, D);
        diffusion_q_sample(sch, t[i], x0, eps + i * D, xt + i * D, D);
    }
    AdArena *arena = ad_arena_new(1 << 20);
    net_eval(net, arena, xt, t, 0, n, pred);
    ad_arena_free(arena);
    double *lnet = xmalloc(sizeof(double) * n), *lfloor = xmalloc(sizeof(double) * n), *excess = xmalloc(sizeof(double) * n),
           *ident = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        double e_star[D];
        diff_oracle_eval(data, xt + i * D, sch->alpha_bar[t[i]], e_star, NULL);
        lnet[i] = lfloor[i] = excess[i] = 0;
        for (int a = 0; a < D; a++) {
            const double e = eps[i * D + a], f = pred[i * D + a];
            lnet[i] += (e - f) * (e - f);
            lfloor[i] += (e - e_star[a]) * (e - e_star[a]);
            excess[i] += (e_star[a] - f) * (e_star[a] - f);
        }
        //: eq. [eq:L36.1.1.4.floor_excess], per sample: $L(f) - \text{floor} - \text{excess}$ (mean 0)
        ident[i] = lnet[i] - lfloor[i] - excess[i];
    }
    double se_net, se_floor, se_ex, se_id;
    const double l_net = stats_mean_se(lnet, n, &se_net), l_floor = stats_mean_se(lfloor, n, &se_floor);
    const double l_ex = stats_mean_se(excess, n, &se_ex), l_id = stats_mean_se(ident, n, &se_id);
    printf("held-out L_simple (n = %zu): network %.4f (SE %.4f), Bayes floor %.4f (SE %.4f), excess %.4f (SE %.4f)\n", n,
           l_net, se_net, l_floor, se_floor, l_ex, se_ex);
    check_mc("L36.1.1.4.floor_excess_identity", l_id, 0.0, se_id, 4, (long)n, "L36.1.1.4.floor_excess",
             "mean of L(net) - floor - excess per held-out sample (the cross term vanishes in expectation)");
    check_le("L36.1.1.4.excess_within_10pct", l_ex, 0, 0.1 * l_floor, "L36.1.1.4.floor_excess",
             "network excess E||eps* - eps_theta||^2 <= 10%% of the Bayes floor %.4f (spec: final L_simple <= 1.1 floor)", l_floor);
    for (size_t i = 0; i < n; i++) ident[i] = lnet[i] - lfloor[i];
    double se_gap, gap = stats_mean_se(ident, n, &se_gap);
    check_ge("L36.1.1.4.net_above_floor", gap, 0, 4 * se_gap, "L36.1.1.4.floor_excess",
             "L(net) - floor >= 0, paired on the held-out samples (bar 4 SE of the paired difference, %.1e)", se_gap);
    free(xt), free(eps), free(pred), free(t), free(lnet), free(lfloor), free(excess), free(ident);
}

/*: ## Samples against the data law

The trained network plugs into the same sampler as the exact denoiser (a callback). Its
samples are compared with the data law three ways:

- **mode balance**: each sample is assigned to its nearest mode; the counts $c_k$ against $n/3$
  give $\chi^2 = \sum_k (c_k - n/3)^2/(n/3)$, which for a sampler with the right weights is
  $\chi^2_2$-distributed: the check is $\chi^2 \le 13.8$ (its 99.9% point);
- **mean**: each coordinate's sample mean against the data mean $(0, 2.5/3)$, within 4 standard
  errors;
- **MMD** with a Gaussian kernel of width $h = 0.5$, the unbiased estimate
  $\widehat{\mathrm{MMD}}^2 = \overline{k(x,x')} + \overline{k(y,y')} - 2\,\overline{k(x,y)}$ between the
  samples and a reference set of the same size. Its bar is not chosen by hand: 20 pairs of
  independent reference sets give the null distribution, and the bar is its mean plus 4
  standard deviations. For DDPM the reference is fresh data. DDIM with 50 steps has a bias of its
  own even with the exact denoiser (it narrows the modes, as program 13 showed for a Gaussian),
  which an MMD at this sample size detects; so the DDIM samples of the network are compared with
  DDIM-50 samples of the *exact* denoiser (the question being whether the network is as good as
  the exact denoiser through that sampler), and the sampler's own distance to the data is
  printed.

The exact denoiser run with the same $x_T$ and noise gives the network's share of the error per
sample (printed).
*/
enum { NNULL = 20 };

static double mmd2(const double *x, const double *y, size_t n, double h) {
    double kxx = 0, kyy = 0, kxy = 0;
    const double c = -0.5 / (h * h);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const double dxy = (x[2 * i] - y[2 * j]) * (x[2 * i] - y[2 * j]) + (x[2 * i + 1] - y[2 * j + 1]) * (x[2 * i + 1] - y[2 * j + 1]);
            kxy += exp(c * dxy);
            if (i == j) continue;
            const double dxx = (x[2 * i] - x[2 * j]) * (x[2 * i] - x[2 * j]) + (x[2 * i + 1] - x[2 * j + 1]) * (x[2 * i + 1] - x[2 * j + 1]);
            const double dyy = (y[2 * i] - y[2 * j]) * (y[2 * i] - y[2 * j]) + (y[2 * i + 1] - y[2 * j + 1]) * (y[2 * i + 1] - y[2 * j + 1]);
            kxx += exp(c * dxx), kyy += exp(c * dyy);
        }
    //: $\widehat{\mathrm{MMD}}^2 = \frac{\sum_{i\ne j}k(x_i,x_j) + \sum_{i \ne j}k(y_i,y_j)}{n(n-1)} - \frac{2}{n^2}\sum_{i,j}k(x_i,y_j)$
    return (kxx + kyy) / ((double)n * (n - 1)) - 2.0 * kxy / ((double)n * n);
}

static void draw_data(const Gmm *data, uint64_t seed, uint64_t stream, size_t n, double *x) {
    Rng r;
    rng_init(&r, seed, stream);
    for (size_t i = 0; i < n; i++) gmm_sample(data, &r, x + i * D);
}

static void sample_checks(const char *name, const double *x, size_t n, double mmd_bar_value, const double *ref, const char *ref_name) {
    double counts[K] = {0}, *cx = xmalloc(sizeof(double) * n), *cy = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        double bd = INFINITY;
        for (int k = 0; k < K; k++) {
            const double d = (x[i * D] - MU[k][0]) * (x[i * D] - MU[k][0]) + (x[i * D + 1] - MU[k][1]) * (x[i * D + 1] - MU[k][1]);
            if (d < bd) bd = d, best = k;
        }
        counts[best] += 1;
        cx[i] = x[i * D], cy[i] = x[i * D + 1];
    }
    double chi2 = 0;
    for (int k = 0; k < K; k++) chi2 += (counts[k] - n / 3.0) * (counts[k] - n / 3.0) / (n / 3.0);
    char id[80];
    snprintf(id, sizeof id, "L36.1.1.4.%s_mode_balance", name);
    check_le(id, chi2, 13.8, 0, NULL, "%s samples: chi^2 of nearest-mode counts (%.0f, %.0f, %.0f) vs n/3 (chi^2_2 99.9%% point 13.8)", name,
             counts[0], counts[1], counts[2]);
    double se, m = stats_mean_se(cx, n, &se);
    snprintf(id, sizeof id, "L36.1.1.4.%s_mean_x", name);
    check_mc(id, m, 0.0, se, 4, (long)n, NULL, "%s samples: mean of x1 = data mean 0", name);
    m = stats_mean_se(cy, n, &se);
    snprintf(id, sizeof id, "L36.1.1.4.%s_mean_y", name);
    check_mc(id, m, 2.5 / 3.0, se, 4, (long)n, NULL, "%s samples: mean of x2 = data mean 2.5/3", name);
    const double d2 = mmd2(x, ref, n, 0.5);
    snprintf(id, sizeof id, "L36.1.1.4.%s_mmd", name);
    check_le(id, d2, mmd_bar_value, 0, NULL, "%s samples: MMD^2 to %s (h = 0.5, n = %zu) <= null mean + 4 sd of %d independent pairs",
             name, ref_name, n, NNULL);
    free(cx), free(cy);
}

/* MMD^2 null: mean + 4 sd over NNULL pairs of independent sample sets drawn by `draw` (index 2k, 2k+1). */
typedef void (*SetFn)(int index, double *x, size_t n, void *ctx);

static double mmd_bar(SetFn draw, void *ctx, size_t n, const char *what) {
    double null[NNULL];
    double *a = xmalloc(sizeof(double) * n * D), *b = xmalloc(sizeof(double) * n * D);
    for (int k = 0; k < NNULL; k++) {
        draw(2 * k, a, n, ctx);
        draw(2 * k + 1, b, n, ctx);
        null[k] = mmd2(a, b, n, 0.5);
    }
    double mean, var;
    stats_mean_var(null, NNULL, &mean, &var);
    printf("MMD^2 null (%s, n = %zu, %d pairs): mean %.2e, sd %.2e -> bar %.2e\n", what, n, NNULL, mean, sqrt(var), mean + 4 * sqrt(var));
    free(a), free(b);
    return mean + 4 * sqrt(var);
}

typedef struct {
    const Gmm *data;
    const DiffusionSchedule *sch;
    const DiffStep *plan;
    int ns;
    uint64_t seed;
} SetCtx;

static void data_set(int index, double *x, size_t n, void *ctx) {
    const SetCtx *c = ctx;
    draw_data(c->data, c->seed, 300 + (uint64_t)index, n, x);
}

/* DDIM-50 samples with the exact denoiser, independent noise per index. */
static void exact_set(int index, double *x, size_t n, void *ctx) {
    const SetCtx *c = ctx;
    DiffOracle oracle = {c->data};
    DiffSampler s;
    diff_sampler_init(&s, n, D, c->sch->alpha_bar, diff_oracle_eps, &oracle, c->seed + 1000 + (uint64_t)index);
    diff_run(&s, c->plan, c->ns, x);
}

static void sampling(const Cli *cli, const Net *net, const Gmm *data, const DiffusionSchedule *sch, double *xs_ddpm, double *xs_ddim,
                     double *fresh, size_t n) {
    static DiffStep plan[T];
    int tau[50];
    DiffOracle oracle = {data};
    double *a = xmalloc(sizeof(double) * n * D);
    for (int which = 0; which < 2; which++) {
        int ns;
        if (which == 0) ns = diff_plan_ddpm(sch->beta, sch->alpha_bar, T, DIFF_VAR_BETA, plan);
        else {
            diff_timesteps(T, 50, DIFF_TAU_TRAILING, tau);
            ns = diff_plan_ddim(sch->alpha_bar, tau, 50, 0.0, plan);
        }
        SetCtx sc = {data, sch, plan, ns, cli->seed};
        /* DDPM is compared with the data law; DDIM-50, whose own discretisation narrows the modes,
           with the law of DDIM-50 run on the exact denoiser */
        const double bar = mmd_bar(which == 0 ? data_set : exact_set, &sc, n, which == 0 ? "data vs data" : "exact DDIM-50 vs exact DDIM-50");
        if (which == 0) draw_data(data, cli->seed, 400, n, fresh);
        else exact_set(2 * NNULL, a, n, &sc); /* a fresh reference set */
        double *x = which == 0 ? xs_ddpm : xs_ddim;
        DiffSampler s;
        NetSampler nsamp = {net, {0}};
        diff_sampler_init(&s, n, D, sch->alpha_bar, net_eps, &nsamp, cli->seed + 500);
        s.n_threads = cli->threads;
        s.block = 128;
        const size_t bad = diff_run(&s, plan, ns, x);
        net_sampler_free(&nsamp);
        if (bad) die("%zu samples ended non-finite", bad);
        sample_checks(which == 0 ? "ddpm" : "ddim50", x, n, bar, which == 0 ? fresh : a,
                      which == 0 ? "fresh data" : "exact-denoiser DDIM-50 samples");
        if (which == 1) printf("DDIM 50 with the exact denoiser: MMD^2 to fresh data %.2e (the sampler's own bias; data null bar above)\n", mmd2(a, fresh, n, 0.5));
        /* the same sampler with the exact denoiser, same x_T and noise: the network's share of the error */
        diff_sampler_init(&s, n, D, sch->alpha_bar, diff_oracle_eps, &oracle, cli->seed + 500);
        s.n_threads = cli->threads;
        diff_run(&s, plan, ns, a);
        double msd = 0;
        for (size_t i = 0; i < n * D; i++) msd += (x[i] - a[i]) * (x[i] - a[i]);
        printf("%s: rms distance between network and exact-denoiser samples (same x_T and noise) %.3f\n",
               which == 0 ? "DDPM 1000" : "DDIM 50", sqrt(msd / n));
    }
    free(a);
}

static void figures(const Cli *cli, const double *losses, long steps, const double *fresh, const double *xs_ddpm,
                    const double *xs_ddim, size_t n) {
    char err[256];
    double *it = xmalloc(sizeof(double) * steps), *avg = xmalloc(sizeof(double) * steps);
    for (long s = 0; s < steps; s++) {
        it[s] = s + 1;
        const long lo = s >= 49 ? s - 49 : 0;
        double acc = 0;
        for (long j = lo; j <= s; j++) acc += losses[j];
        avg[s] = acc / (double)(s - lo + 1);
    }
    Plot *p = plot_new(820, 480, "1.1.4: L_simple during training (batch 256)");
    PlotSeries *raw = plot_line(p, it, losses, (int)steps, "batch loss");
    plot_series_alpha(raw, 0.3);
    plot_line(p, it, avg, (int)steps, "mean of the last 50");
    plot_xlabel(p, "step");
    plot_ylabel(p, "L_simple");
    if (plot_save(p, cli_out_path(cli, "loss.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
    free(it), free(avg);

    Plot *q = plot_new_grid(1, 3, 1500, 520, "1.1.4: data vs samples of the trained eps_theta");
    const double *sets[3] = {fresh, xs_ddpm, xs_ddim};
    const char *titles[3] = {"data", "DDPM, 1000 steps", "DDIM, 50 steps (eta = 0)"};
    double *xx = xmalloc(sizeof(double) * n), *yy = xmalloc(sizeof(double) * n);
    for (int k = 0; k < 3; k++) {
        plot_panel(q, k);
        plot_title(q, titles[k]);
        for (size_t i = 0; i < n; i++) xx[i] = sets[k][2 * i], yy[i] = sets[k][2 * i + 1];
        PlotSeries *sc = plot_scatter(q, xx, yy, (int)n, NULL);
        plot_series_marker(sc, 1.5);
        plot_xlim(q, -3.5, 3.5), plot_ylim(q, -1.5, 4.0);
        plot_xlabel(q, "x1"), plot_ylabel(q, "x2");
    }
    if (plot_save(q, cli_out_path(cli, "samples.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(q);
    free(xx), free(yy);
}

int main(int argc, char **argv) {
    Cli cli;
    long steps_flag = 0;
    const CliExtra extras[] = {{"--steps", CLI_LONG, &steps_flag, "training steps (default by scale)"},
                               {"--ema", CLI_DOUBLE, &g_ema, "EMA decay of the weights, 0: none (default 0.995)"},
                               {"--lr", CLI_DOUBLE, &g_lr, "initial Adam learning rate (default 3e-3)"},
                               {"--batch", CLI_INT, &g_batch, "batch size (default 256)"},
                               {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 1.1.4: L_simple training of a 2-D toy, DDPM and DDIM sampling", 36, extras);
    if (steps_flag < 0 || !(g_ema >= 0 && g_ema < 1) || !(g_lr > 0 && g_lr < 1) || g_batch < 1 || g_batch > 65536)
        die("bad training flags: --steps %ld (>= 0), --ema %g (in [0, 1)), --lr %g (in (0, 1)), --batch %d (1..65536)", steps_flag,
            g_ema, g_lr, g_batch);
    DiffusionSchedule sch = diffusion_schedule_linear(T, 1e-4, 0.02);
    Gmm data = gmm_new(K, D);
    for (int k = 0; k < K; k++) gmm_set(&data, k, 1.0, MU[k], NULL, SD * SD);
    gmm_normalise(&data);
    Net net;
    Rng init;
    rng_init(&init, cli.seed, 0);
    const int widths[5] = {NIN, 64, 64, 64, D};
    nn_mlp_init(&net.mlp, 4, widths, NN_ACT_SILU, AD_F32, &init);
    const long steps = steps_flag > 0 ? steps_flag : cli_scale(&cli, 1000, 4000, 20000);
    const size_t n = (size_t)cli_scale(&cli, 400, 1500, 4000);
    double *losses = xmalloc(sizeof(double) * steps);
    double *xs_ddpm = xmalloc(sizeof(double) * n * D), *xs_ddim = xmalloc(sizeof(double) * n * D), *fresh = xmalloc(sizeof(double) * n * D);
    train(&cli, &net, &data, &sch, losses, steps);
    evaluate_loss(&cli, &net, &data, &sch);
    sampling(&cli, &net, &data, &sch, xs_ddpm, xs_ddim, fresh, n);
    figures(&cli, losses, steps, fresh, xs_ddpm, xs_ddim, n);
    free(losses), free(xs_ddpm), free(xs_ddim), free(fresh);
    nn_mlp_free(&net.mlp);
    gmm_free(&data);
    diffusion_schedule_free(&sch);
    return check_end();
}
