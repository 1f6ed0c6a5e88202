/*: # L42 4.9, 5.4 — The unified training loop, checked against closed forms; one batch, six losses

**Lecture 42, Part 2, section 4.9.** The lecture's generic `train` loops over epochs and batches,
computes `loss`, calls `backward`, adds the loss to a running sum and hands the epoch average to
callbacks — and stops there: "the caller manages the optimizer". Inside the loop nobody can, so
its parameters never move and its gradients pile up (erratum B17). The course's loop is
`gm_train` in `common/genmodel.c`; this program checks each of its parts on a model whose whole
trajectory is known in closed form.

What you will see: SGD through the loop reproducing the exact geometric iterates of a quadratic
(which also proves the gradients are zeroed between steps); clipping by global norm moving the
first step by exactly $\eta c$; the EMA equal to its recurrence evaluated in double; the reported
loss averages equal to the recomputed ones; and the lecture's loop as written, whose parameters do
not move while its gradient grows linearly (ERRATUM). Then 5.4: the lecture's list of six losses
on one batch, computed on briefly trained models of `common/gm_*` both as its code defines them
and per dimension, beside its example output (C5, B12).

Run: `build/release/bin/lectures/42_unified/13_unified_training_loop [--quick | --full] [--seed N] [--out DIR] [--data DIR]`.

| symbol | C name | shape |
|---|---|---|
| $w$ | `Quad.w` | (1, 3) |
| $x_i$, $\bar x$ | `data`, `xbar` | (n, 3), (3) |
| $\eta$, $r = 1 - \eta$ | `lr`, `r` | scalars |
| $c$ (clip norm), $\delta$ (EMA decay) | `clip`, `decay` | scalars |
| a row of the 5.4 list | `LossRow` | — |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/diffusion_schedule.h"
#include "common/digits_split.h"
#include "common/genmodel.h"
#include "common/gm_ar.h"
#include "common/gm_diffusion.h"
#include "common/gm_fm.h"
#include "common/gm_vae.h"
#include "common/gm_vqvae.h"
#include "common/rng.h"
#include "common/util.h"

enum { D = 3, N = 64, MAX_LOG = 4096 };

/*: ## 4.9 A model with a known trajectory

The loss $L(w) = \frac{1}{n}\sum_i \tfrac12\lVert w - x_i\rVert^2$ has gradient $w - \bar x$. With
full batches and plain SGD at rate $\eta$ the iterates are geometric:

$$ w_k = \bar x + r^k\,(w_0 - \bar x),\qquad r = 1 - \eta . $$ {#eq:L42.4.9.sgd_iterates}

If the loop forgot to zero the gradients, step $k$ would use $\sum_{j\le k}(w_j - \bar x)$ and the
iterates would differ from the first step on. The model logs every loss it returns, so the loop's
reported averages can be recomputed.
*/
typedef struct {
    AdTensor *w;
    double log[MAX_LOG];
    int calls;
} Quad;

static AdTensor *quad_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                 GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    Quad *q = m->self;
    int shape[2] = {n, D};
    //: $L = \frac1n\sum_i\frac12\lVert w - x_i\rVert^2$
    AdTensor *diff = ad_sub(arena, q->w, ad_from_array(arena, AD_F32, 2, shape, x));
    AdTensor *loss = ad_scale(arena, ad_sum(arena, ad_square(arena, diff)), 0.5 / n);
    if (q->calls < MAX_LOG) q->log[q->calls] = ad_item(loss);
    q->calls++;
    return loss;
}

static void quad_destroy(GenModel *m) {
    Quad *q = m->self;
    ad_tensor_free(q->w);
    free(q);
}

static const GenModelVT QUAD_VT = {.name = "quadratic", .family = GM_FAM_FLOW, .paradigm = GM_PAR_NONE,
                                   .caps = 0, .train_step = quad_train_step, .destroy = quad_destroy};

static const double W0[D] = {3.0, -2.0, 0.5};

static Quad *quad_model(GenModel *m, double lr) {
    Quad *q = xcalloc(1, sizeof *q);
    int shape[2] = {1, D};
    q->w = ad_param_new(AD_F32, 2, shape);
    for (int j = 0; j < D; j++) ad_set(q->w, j, W0[j]);
    gm_init(m, &QUAD_VT, q, D);
    nn_params_add(&m->player[0].params, "quad", "w", q->w);
    m->player[0].opt = optim_sgd(lr, 0.0, false, 0.0);
    return q;
}

static void data_mean(const float *data, double *xbar) {
    for (int j = 0; j < D; j++) {
        xbar[j] = 0;
        for (int i = 0; i < N; i++) xbar[j] += data[i * D + j] / (double)N;
    }
}

static void section_sgd_and_averages(const float *data) {
    const double lr = 0.1, r = 1 - lr;
    const long K = 50;
    double xbar[D];
    data_mean(data, xbar);
    GenModel m;
    Quad *q = quad_model(&m, lr);
    GmTrainConfig cfg = {.steps = K, .batch = 0, .label = "sgd", .check_id = "L42.4.9.sgd_finite"};
    GmTrainResult res = gm_train(&m, data, N, &cfg, NULL);
    double err = 0;
    for (int j = 0; j < D; j++)
        //: [eq:L42.4.9.sgd_iterates]
        err = fmax(err, fabs(ad_get(q->w, j) - (xbar[j] + pow(r, (double)K) * (W0[j] - xbar[j]))));
    check_le("L42.4.9.sgd_iterates", err, 1e-5, 0, "L42.4.9.sgd_iterates",
             "w after %ld full-batch SGD steps (eta = %g) vs the geometric closed form (float32 parameters)", K, lr);
    /* the loop's reported averages against the model's own loss log */
    double tail = 0;
    const long from = K - (K + 9) / 10;
    for (long k = from; k < K; k++) tail += q->log[k] / (double)(K - from);
    check_close("L42.4.9.avg_loss", res.avg_loss[0], tail, 1e-12 * fabs(tail) + 1e-15, NULL,
                "reported average = mean of the losses of the last %ld steps, recomputed from the model's log", K - from);
    check_close("L42.4.9.first_loss", res.first_loss[0], q->log[0], 0, NULL, "reported first loss = the model's first");
    check_true("L42.4.9.calls", q->calls == K && res.steps_done == K, "one train_step per step: %d calls for %ld steps", q->calls, K);
    gm_free(&m);
}

/*: ## Clipping and the EMA

Clipping by global norm: when $\lVert g\rVert > c$ the gradient is rescaled to norm $c$, so one
SGD step moves $w$ by exactly $\eta c$ — here $\lVert w_0 - \bar x\rVert \approx 3.6 > c = 1$.
The EMA $\bar w_k = \delta\bar w_{k-1} + (1-\delta)w_k$ from $\bar w_0 = w_0$ is replayed in double
on the closed-form iterates and must equal the parameters the loop leaves behind (it copies the
average into them at the end).
*/
static void section_clip_and_ema(const float *data) {
    const double lr = 0.1, r = 1 - lr, clip = 1.0, decay = 0.9;
    double xbar[D];
    data_mean(data, xbar);
    GenModel m;
    Quad *q = quad_model(&m, lr);
    GmTrainConfig cfg = {.steps = 1, .batch = 0, .clip_norm = clip, .label = "clip", .check_id = NULL};
    gm_train(&m, data, N, &cfg, NULL);
    double moved = 0;
    for (int j = 0; j < D; j++) moved += (ad_get(q->w, j) - W0[j]) * (ad_get(q->w, j) - W0[j]);
    check_close("L42.4.9.clip_step", sqrt(moved), lr * clip, 1e-6, "common.optim.sgd_momentum",
                "one clipped SGD step moves w by eta * c = %g", lr * clip);
    gm_free(&m);

    const long K = 30;
    q = quad_model(&m, lr);
    GmTrainConfig ecfg = {.steps = K, .batch = 0, .ema_decay = decay, .label = "ema", .check_id = NULL};
    gm_train(&m, data, N, &ecfg, NULL);
    double err = 0;
    for (int j = 0; j < D; j++) {
        double avg = W0[j];
        for (long k = 1; k <= K; k++)
            //: $\bar w_k = \delta\bar w_{k-1} + (1-\delta) w_k$, [eq:common.optim.ema]
            avg = decay * avg + (1 - decay) * (xbar[j] + pow(r, (double)k) * (W0[j] - xbar[j]));
        err = fmax(err, fabs(ad_get(q->w, j) - avg));
    }
    check_le("L42.4.9.ema", err, 1e-5, 0, "common.optim.ema", "EMA of %ld SGD iterates vs its recurrence in double", K);
    gm_free(&m);
}

/*: ## The lecture's loop as written (B17)

Without an optimiser step and without zero-grad, each `backward` adds the same gradient
$w_0 - \bar x$ to the accumulated one and $w$ never moves: after $E$ epochs of one batch the
gradient is $E(w_0 - \bar x)$ and the loss is still $L(w_0)$. This replays those semantics with the
same model and autodiff.
*/
static void section_lecture_loop(const float *data) {
    double xbar[D];
    data_mean(data, xbar);
    GenModel m;
    Quad *q = quad_model(&m, 0.1);
    AdArena *arena = ad_arena_new(1 << 16);
    const int E = 5;
    ad_zero_grad(&q->w, 1);
    for (int e = 0; e < E; e++) {
        ad_arena_reset(arena);
        //: the lecture's body: l = loss(batch); l.backward(); epoch_loss += l  -- no step, no zero-grad
        ad_backward(arena, quad_train_step(&m, 0, arena, data, N, NULL, NULL));
    }
    double g_norm = 0, g_ref = 0, moved = 0, moved_sgd = 0;
    for (int j = 0; j < D; j++) {
        //: what E steps of SGD (eta = 0.1) would have moved: $(1 - r^E)\lvert w_0 - \bar x\rvert$, [eq:L42.4.9.sgd_iterates]
        moved_sgd += (1 - pow(0.9, E)) * fabs(W0[j] - xbar[j]);
        g_norm += ad_grad_get(q->w, j) * ad_grad_get(q->w, j);
        g_ref += (W0[j] - xbar[j]) * (W0[j] - xbar[j]);
        moved += fabs(ad_get(q->w, j) - W0[j]);
    }
    check_erratum("L42.4.9.lecture_loop_moves", moved, moved_sgd,
                  "B17: sum |w - w0| after %d epochs of the lecture's loop (no optimiser step) vs %d SGD steps (eta = 0.1)", E, E);
    check_erratum("L42.4.9.lecture_loop_grad", sqrt(g_norm) / sqrt(g_ref), 1.0,
                  "B17: accumulated gradient / true gradient after %d epochs without zero-grad (correct: 1)", E);
    ad_arena_free(arena);
    gm_free(&m);
}

/* ---------------------------------------------------------------------------------------- */
/*: ## 5.4 One batch, six losses: what the lecture's list compares

The lecture's 5.4 takes the first training batch, evaluates `loss` of the VAE, β-VAE, VQ-VAE, DDPM
and flow matching and `-logprob` of PixelCNN, sorts them and prints values between 0.12 and 0.21.
As its code defines them the six numbers have different reductions and units (C5): the VAE's is
$\frac1B\sum_b\lVert x_b-\hat x_b\rVert^2$ plus its KL term (with the sign of B1, so $-\mathrm{KL}$),
summed over pixels and latents; the VQ-VAE's three terms are `sum_all` over the whole batch, so
they grow with $B$; DDPM's and flow matching's are means over pixels (the lecture does not define
DDPM's; the ε-MSE mean is used); and `-logprob` of PixelCNN is *minus* its mean cross-entropy
(B12: `logprob` returns the positive NLL), a negative number. Normalised per dimension — the
lecture's value divided by $D = 64$ where it is a sum over pixels and by $B$ where it is a sum over
the batch, with the KL's sign corrected — they are at least per-pixel quantities, though still not
of one kind (a Gaussian reconstruction error, a noise-prediction error, a velocity error, nats per
pixel). Each model (from `common/gm_*`) is first trained briefly by `gm_train` on the digits.

$$ \ell^{\text{VAE}}_{\text{lec}} = \tfrac1B\textstyle\sum_b\lVert x_b-\hat x_b\rVert^2 - \beta\,\tfrac1B\sum_b\mathrm{KL}_b,\qquad
   \ell^{\text{VQ}}_{\text{lec}} = \textstyle\sum_{b}\big(\lVert x_b - \hat x_b\rVert^2 + \lVert\mathrm{sg}[z_e]-z_q\rVert^2 + 0.25\lVert z_e-\mathrm{sg}[z_q]\rVert^2\big) $$ {#eq:L42.5.4.lecture_losses}
*/
typedef struct {
    const char *name;
    double lecture, per_dim;
} LossRow;

static int cmp_lecture(const void *a, const void *b) {
    const LossRow *x = a, *y = b;
    return (x->lecture > y->lecture) - (x->lecture < y->lecture);
}

/* the lecture's VAE loss on batch x (n x 64) [eq:L42.5.4.lecture_losses]; *per_dim the corrected one / 64 */
static double lecture_vae_loss(GenModel *m, const float *x, int n, double beta, Rng *rng, double *per_dim) {
    GmVae *v = m->self;
    const int dz = v->dz, Dx = m->dim;
    double *mu = xmalloc((size_t)n * dz * sizeof *mu), *lv = xmalloc((size_t)n * dz * sizeof *lv), rec = 0, kl = 0;
    float *z = xmalloc((size_t)n * dz * sizeof *z), *xh = xmalloc((size_t)n * Dx * sizeof *xh);
    gm_vae_posterior(v, x, n, Dx, mu, lv);
    //: $z = \mu + \sigma\odot\epsilon$, $\hat x = \mathrm{Dec}(z)$
    for (long i = 0; i < (long)n * dz; i++) z[i] = (float)(mu[i] + exp(0.5 * lv[i]) * rng_normal(rng));
    m->vt->decode(m, z, n, xh);
    for (long i = 0; i < (long)n * Dx; i++) rec += ((double)x[i] - xh[i]) * ((double)x[i] - xh[i]) / n;
    for (int i = 0; i < n; i++) kl += gm_vae_kl_diag(mu + (size_t)i * dz, lv + (size_t)i * dz, dz) / n;
    *per_dim = (rec + beta * kl) / Dx;
    free(mu), free(lv), free(z), free(xh);
    //: [eq:L42.5.4.lecture_losses], with the lecture's KL sign (B1)
    return rec - beta * kl;
}

/* one loss evaluation through the model's own train_step on batch x; terms optional */
static double step_loss(GenModel *m, const float *x, int n, uint64_t seed, GmLoss *terms) {
    AdArena *arena = ad_arena_new(1 << 22);
    Rng r;
    rng_init(&r, seed, 77);
    const double l = ad_item(m->vt->train_step(m, 0, arena, x, n, &r, terms));
    ad_arena_free(arena);
    return l;
}

static void section_loss_list(const Cli *cli) {
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int Dx = ds.dim, n_train = ds.n_train, B = 128;
    const float *all = ds.train;
    Rng init, rr;
    rng_init(&init, cli->seed, 50), rng_init(&rr, cli->seed, 51);
    enum { NL = 6 };
    GenModel m[NL];
    gm_vae_init(&m[0], Dx, 8, 1.0, 10, cli->seed, 60);
    gm_vae_init(&m[1], Dx, 8, 4.0, 10, cli->seed, 62);
    gm_vqvae_init(&m[2], Dx, all, n_train, 0, cli->seed, 64);
    DiffusionSchedule sch = diffusion_schedule_linear(1000, 1e-4, 0.02);
    gm_ddpm_init(&m[3], Dx, 128, &sch, &init);
    diffusion_schedule_free(&sch);
    gm_fm_init(&m[4], Dx, 128, 0, &init);
    gm_made_model_init(&m[5], Dx, 17, 64, &init);
    static const char *const names[NL] = {"VAE ELBO", "beta-VAE ELBO", "VQ-VAE", "DDPM", "Flow Matching", "PixelCNN NLL"};
    static const char *const ids[NL] = {"L42.5.4.vae_finite", "L42.5.4.bvae_finite", "L42.5.4.vq_finite",
                                        "L42.5.4.ddpm_finite", "L42.5.4.fm_finite", "L42.5.4.ar_finite"};
    for (int k = 0; k < NL; k++) {
        GmTrainConfig cfg = {.steps = cli_scale(cli, 50, 300, 2000), .batch = 64, .clip_norm = k < 2 ? 1000.0 : 100.0,
                             .label = names[k], .check_id = ids[k]};
        Rng tr;
        rng_init(&tr, cli->seed, 70 + (uint64_t)k);
        gm_train(&m[k], all, n_train, &cfg, &tr);
    }
    /* the first batch: B training digits */
    LossRow row[NL];
    double pd;
    row[0] = (LossRow){names[0], lecture_vae_loss(&m[0], all, B, 1.0, &rr, &pd), pd};
    row[1] = (LossRow){names[1], lecture_vae_loss(&m[1], all, B, 4.0, &rr, &pd), pd};
    GmLoss t;
    step_loss(&m[2], all, B, cli->seed, &t);
    //: VQ: the model's per-image terms times B = the lecture's `sum_all`, [eq:L42.5.4.lecture_losses]
    row[2] = (LossRow){names[2], B * (t.value[0] + t.value[1] + t.value[2]), (t.value[0] + t.value[1] + t.value[2]) / Dx};
    const double l_ddpm = step_loss(&m[3], all, B, cli->seed, NULL), l_fm = step_loss(&m[4], all, B, cli->seed, NULL);
    row[3] = (LossRow){names[3], l_ddpm, l_ddpm};
    row[4] = (LossRow){names[4], l_fm, l_fm};
    const double ce = step_loss(&m[5], all, B, cli->seed, NULL);
    //: 5.4's `-logprob` of a `logprob` that returns the positive mean NLL (B12)
    row[5] = (LossRow){names[5], -ce, ce};
    /* the AR model's mean cross-entropy in the training graph vs its exact log-likelihood */
    double *lp = xmalloc((size_t)B * sizeof *lp), nll = 0;
    m[5].vt->log_likelihood(&m[5], all, B, lp);
    for (int i = 0; i < B; i++) nll += -lp[i] / ((double)B * Dx);
    check_close("L42.5.4.ar_loss_is_nll", ce, nll, 1e-5 * nll, "L42.4.6.nll",
                "masked AR: the training loss on the batch (float graph) = the exact NLL per dimension (double), nats");
    free(lp);
    qsort(row, NL, sizeof *row, cmp_lecture);
    printf("5.4 on one batch of %d training digits (D = %d), sorted by the lecture's value:\n", B, Dx);
    printf("| model | as the lecture's code defines it | per dimension (KL sign corrected) |\n|---|---|---|\n");
    for (int k = 0; k < NL; k++) printf("| %s | %.4f | %.4f |\n", row[k].name, row[k].lecture, row[k].per_dim);
    printf("the lecture's example output (MNIST): VQ-VAE 0.1245, DDPM 0.1389, Flow Matching 0.1402, VAE ELBO 0.1567, "
           "beta-VAE ELBO 0.1823, PixelCNN NLL 0.2145\n");
    for (int k = 0; k < NL; k++)
        if (!strcmp(row[k].name, "PixelCNN NLL"))
            check_erratum("L42.5.4.pixelcnn_sign", row[k].lecture, row[k].per_dim,
                          "B12: 5.4's -logprob of PixelCNN (negative) vs its NLL in nats per pixel");
        else if (!strcmp(row[k].name, "VQ-VAE"))
            check_erratum("L42.5.4.vq_sum_reduction", row[k].lecture, row[k].per_dim,
                          "C5: the lecture's VQ-VAE loss (sum over the batch of %d) vs per image and pixel", B);
    for (int k = 0; k < NL; k++) gm_free(&m[k]);
    digits_split_free(&ds);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.9, 5.4: the shared training loop on a quadratic with closed-form iterates; the 5.4 loss list", 4213, NULL);
    Rng r;
    rng_init(&r, cli.seed, 1);
    float *data = xmalloc(N * D * sizeof *data);
    for (int i = 0; i < N * D; i++) data[i] = (float)rng_normal(&r);
    section_sgd_and_averages(data);
    section_clip_and_ema(data);
    section_lecture_loop(data);
    free(data);
    section_loss_list(&cli);
    return check_end();
}
