/*: # L42 4.9 — The unified training loop, checked against closed forms

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
not move while its gradient grows linearly (ERRATUM).

Run: `build/release/bin/lectures/42_unified/13_unified_training_loop [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $w$ | `Quad.w` | (1, 3) |
| $x_i$, $\bar x$ | `data`, `xbar` | (n, 3), (3) |
| $\eta$, $r = 1 - \eta$ | `lr`, `r` | scalars |
| $c$ (clip norm), $\delta$ (EMA decay) | `clip`, `decay` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/genmodel.h"
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

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.9: the shared training loop checked on a quadratic with closed-form iterates", 4213, NULL);
    Rng r;
    rng_init(&r, cli.seed, 1);
    float *data = xmalloc(N * D * sizeof *data);
    for (int i = 0; i < N * D; i++) data[i] = (float)rng_normal(&r);
    section_sgd_and_averages(data);
    section_clip_and_ema(data);
    section_lecture_loop(data);
    free(data);
    return check_end();
}
