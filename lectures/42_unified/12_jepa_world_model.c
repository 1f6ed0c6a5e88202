/*: # L42 4.7 — A JEPA world model, and the collapse that the EMA target prevents

**Lecture 42, Part 2, section 4.7** (`JEPA`), with erratum B14. A joint-embedding predictive
architecture does not model pixels: it encodes a *context* view, predicts the embedding of a
*target* view, and is trained on the distance between the two embeddings. The lecture's code
has the three networks (context encoder, predictor, EMA target encoder) but never writes the
EMA update and does not fix its momentum; and its loss has a trivial minimiser, constant
encoders, which reach loss 0 while saying nothing about the data (B14).

What you will see: the EMA recurrence checked against its closed form; the constant-encoder
solution reaching loss exactly 0 through the program's own loss; then two JEPAs trained through
`common/genmodel`'s loop on the embedded 8×8 digits (context = rows 0–3, target = rows 4–7, the
lecture's split along the height): one with a stop-gradient EMA target ($m = 0.99$), one whose
target branch is the live encoder with the gradient flowing through it (no EMA, no
stop-gradient). Collapse is measured by the per-dimension standard deviation of the embedding
and its effective rank; a nearest-class-mean probe on the context embedding is printed.
Figure: `jepa_embeddings.png` (first two embedding coordinates of test digits, both runs).

Run: `build/release/bin/lectures/42_unified/12_jepa_world_model [--quick | --full] [--seed N] [--out DIR] [--data DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x_\text{ctx}$, $x_\text{tgt}$ | `ad_slice(x, 1, 0, 32)`, `ad_slice(x, 1, 32, 64)` | (n, 32) |
| $s_\theta$ (context encoder) | `Jepa.enc` | 32 → 64 → 16 |
| $f_\theta$ (predictor) | `Jepa.pred` | 16 → 64 → 16 |
| $\bar s_{\bar\theta}$ (target encoder) | `Jepa.tgt` | 32 → 64 → 16 |
| $m$ (EMA momentum) | `Jepa.momentum` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/genmodel.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

enum { D_IN = 64, D_HALF = 32, D_EMB = 16, D_HID = 64 };
static const double MOMENTUM = 0.99;

/*: ## 4.7 The JEPA objective and its EMA target

With $s_\text{ctx} = s_\theta(x_\text{ctx})$, $\hat s = f_\theta(s_\text{ctx})$ and the target
embedding from a second encoder whose parameters are not trained by gradient,
$$ \mathcal L = \mathrm{mean}\,\big\lVert \hat s - \mathrm{sg}\big[\bar s_{\bar\theta}(x_\text{tgt})\big]\big\rVert^2,\qquad
   \bar\theta \leftarrow m\,\bar\theta + (1-m)\,\theta\ \text{after every step}. $$ {#eq:L42.4.7.jepa_loss}
For a constant $\theta$ the recurrence has the closed form
$$ \bar\theta_k = \theta + m^k(\bar\theta_0 - \theta), $$ {#eq:L42.4.7.ema_closed}
so the target is a slowly moving average of the encoder. Why it matters (B14): if both branches
are the *same* trainable encoder and the gradient flows through both, the loss can be driven to
0 by mapping every input to one point — constant encoders with a predictor that outputs that
point give $\mathcal L = 0$ exactly. The stop-gradient and the slow EMA remove that shortcut from
the gradient's reach (BYOL, I-JEPA); nothing in the loss itself forbids it.
*/
typedef struct {
    NnMlp enc, tgt, pred;
    double momentum;
    double *bar; /* theta_bar in double, in the order of nn_mlp_params(tgt) */
    int shared; /* 1: target branch = the live encoder, gradient through it (no EMA, no sg) */
} Jepa;

/* theta_bar <- m theta_bar + (1 - m) theta, kept in double in `bar` (the float32 target
   parameters are written from it): theta is read from the float32 parameter list. */
static void ema_track(double *bar, const NnParams *theta, double m) {
    long off = 0;
    for (int k = 0; k < theta->n; k++) {
        const float *th = ad_f32(theta->t[k]);
        //: $\bar\theta \leftarrow m\bar\theta + (1-m)\theta$, [eq:L42.4.7.jepa_loss]
        for (long i = 0; i < theta->t[k]->size; i++, off++) bar[off] = m * bar[off] + (1 - m) * th[i];
    }
}

/* the double master copy into the target network's float32 parameters */
static void write_target(Jepa *j) {
    NnParams tp;
    nn_params_init(&tp);
    nn_mlp_params(&j->tgt, "tgt", &tp);
    long off = 0;
    for (int k = 0; k < tp.n; k++)
        for (long i = 0; i < tp.t[k]->size; i++) ad_f32(tp.t[k])[i] = (float)j->bar[off++];
    nn_params_free(&tp);
}

static void ema_step(Jepa *j) {
    NnParams theta;
    nn_params_init(&theta);
    nn_mlp_params(&j->enc, "enc", &theta);
    ema_track(j->bar, &theta, j->momentum);
    nn_params_free(&theta);
    write_target(j);
}

static AdTensor *jepa_loss_graph(AdArena *arena, Jepa *j, AdTensor *x) {
    //: $s_\text{ctx} = s_\theta(x_\text{ctx})$, $\hat s = f_\theta(s_\text{ctx})$
    AdTensor *s_hat = nn_mlp_forward(arena, &j->pred, nn_mlp_forward(arena, &j->enc, ad_slice(arena, x, 1, 0, D_HALF)));
    AdTensor *x_tgt = ad_slice(arena, x, 1, D_HALF, D_IN);
    //: $\mathrm{sg}[\bar s_{\bar\theta}(x_\text{tgt})]$, or the live encoder without sg (the collapsing variant)
    AdTensor *s_tgt = j->shared ? nn_mlp_forward(arena, &j->enc, x_tgt)
                                : ad_detach(arena, nn_mlp_forward(arena, &j->tgt, x_tgt));
    //: [eq:L42.4.7.jepa_loss]
    return ad_mean(arena, ad_square(arena, ad_sub(arena, s_hat, s_tgt)));
}

static AdTensor *rows_input(AdArena *arena, const float *rows, int n) {
    int shape[2] = {n, D_IN};
    AdTensor *x = ad_input(arena, AD_F32, 2, shape);
    for (long i = 0; i < (long)n * D_IN; i++) ad_f32(x)[i] = rows[i];
    return x;
}

static AdTensor *jepa_train_step(GenModel *m, int player, AdArena *arena, const float *rows, int n,
                                 Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    Jepa *j = m->self;
    /* the EMA of the previous step's update (theta is what the optimiser left) */
    if (!j->shared) ema_step(j);
    return jepa_loss_graph(arena, j, rows_input(arena, rows, n));
}

static void jepa_encode(GenModel *m, const float *x, int n, float *z_out) {
    Jepa *j = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    AdTensor *z = nn_mlp_forward(arena, &j->enc, ad_slice(arena, rows_input(arena, x, n), 1, 0, D_HALF));
    for (long i = 0; i < (long)n * D_EMB; i++) z_out[i] = ad_f32(z)[i];
    ad_arena_free(arena);
}

static void jepa_destroy(GenModel *m) {
    Jepa *j = m->self;
    nn_mlp_free(&j->enc), nn_mlp_free(&j->tgt), nn_mlp_free(&j->pred);
    free(j->bar), free(j);
}

static const GenModelVT JEPA_VT = {
    .name = "JEPA", .family = GM_FAM_WORLD, .paradigm = GM_PAR_NONE, .caps = GM_CAP_ENCODE,
    .train_step = jepa_train_step, .encode = jepa_encode, .destroy = jepa_destroy,
};

static void jepa_init(GenModel *m, int shared, Rng *rng) {
    Jepa *j = xcalloc(1, sizeof *j);
    int we[3] = {D_HALF, D_HID, D_EMB}, wp[3] = {D_EMB, D_HID, D_EMB};
    nn_mlp_init(&j->enc, 2, we, NN_ACT_RELU, AD_F32, rng);
    nn_mlp_init(&j->tgt, 2, we, NN_ACT_RELU, AD_F32, rng);
    nn_mlp_init(&j->pred, 2, wp, NN_ACT_RELU, AD_F32, rng);
    j->momentum = MOMENTUM, j->shared = shared;
    gm_init(m, &JEPA_VT, j, D_IN);
    nn_mlp_params(&j->enc, "enc", &m->player[0].params);
    nn_mlp_params(&j->pred, "pred", &m->player[0].params);
    NnParams theta;
    nn_params_init(&theta);
    nn_mlp_params(&j->enc, "enc", &theta);
    j->bar = xcalloc((size_t)nn_params_numel(&theta), sizeof *j->bar);
    ema_track(j->bar, &theta, 0.0); /* theta_bar_0 = theta_0 */
    nn_params_free(&theta);
    write_target(j);
}

static void section_ema_and_collapse(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 1);
    GenModel m;
    jepa_init(&m, 0, &r);
    Jepa *j = m.self;
    NnParams theta;
    nn_params_init(&theta);
    nn_mlp_params(&j->enc, "enc", &theta);
    /* theta_bar_0: fresh random values; theta: fixed */
    long np = nn_params_numel(&theta);
    double *bar0 = xmalloc((size_t)np * sizeof *bar0);
    for (long i = 0; i < np; i++) j->bar[i] = bar0[i] = rng_normal(&r);
    const int K = 50;
    for (int k = 0; k < K; k++) ema_track(j->bar, &theta, MOMENTUM);
    double err = 0;
    long off = 0;
    for (int k = 0; k < theta.n; k++)
        for (long i = 0; i < theta.t[k]->size; i++, off++) {
            double th = ad_f32(theta.t[k])[i];
            //: [eq:L42.4.7.ema_closed]
            err = fmax(err, fabs(j->bar[off] - (th + pow(MOMENTUM, K) * (bar0[off] - th))));
        }
    check_close("L42.4.7.ema_formula", err, 0.0, 1e-12, "L42.4.7.ema_closed",
                "EMA after %d steps with constant theta vs theta + m^k (theta_bar_0 - theta), max over %ld parameters",
                K, np);
    free(bar0);
    nn_params_free(&theta);

    /* constant encoders: last layers' weights 0, biases c; predictor output c */
    NnMlp *nets[3] = {&j->enc, &j->tgt, &j->pred};
    for (int q = 0; q < 3; q++) {
        NnLinear *last = &nets[q]->layers[nets[q]->nlayers - 1];
        memset(last->weight->data, 0, (size_t)last->weight->size * sizeof(float));
        for (int i = 0; i < D_EMB; i++) ad_f32(last->bias)[i] = 0.1f * (float)(i + 1);
    }
    float *x = xmalloc((size_t)8 * D_IN * sizeof *x);
    for (int i = 0; i < 8 * D_IN; i++) x[i] = (float)rng_uniform(&r);
    AdArena *arena = ad_arena_new(1 << 18);
    double loss = ad_f32(jepa_loss_graph(arena, j, rows_input(arena, x, 8)))[0];
    check_close("L42.4.7.jepa_collapse_solution", loss, 0.0, 0.0, "L42.4.7.jepa_loss",
                "loss of constant encoders with a predictor that outputs the constant (B14: a trivial minimiser)");
    ad_arena_free(arena);
    free(x);
    gm_free(&m);
}

/*: ## Training both variants and measuring collapse

Both JEPAs (encoder $32\to64\to16$, predictor $16\to64\to16$, ReLU, Adam $10^{-3}$, batch 128)
start from the same initial parameters and see the same minibatches. Collapse is read off the
context embeddings $z$ of held-out digits: the mean per-dimension standard deviation
$\bar\sigma_z$ and the effective rank
$$ r_\text{eff} = \frac{(\operatorname{tr} C)^2}{\operatorname{tr}(C^2)} \in [1, 16],\qquad C = \operatorname{Cov}(z), $$ {#eq:L42.4.7.eff_rank}
both relative to the same quantities at initialisation. Checks: the EMA run's loss falls below
half its initial value, keeps $\bar\sigma_z$ above half its initial value; the shared,
gradient-through-both run collapses, $\bar\sigma_z$ below a quarter of the initial value (it is still shrinking when training stops; its loss is ~50x below the EMA run's). A
nearest-class-mean probe on $z$ (digit labels, never used in training) is printed.
*/
typedef struct {
    double std_mean, eff_rank, probe_acc;
} EmbStats;

static EmbStats embedding_stats(GenModel *m, const float *x, const uint8_t *lab, int n_fit, int n_test) {
    int n = n_fit + n_test;
    float *z = xmalloc((size_t)n * D_EMB * sizeof *z);
    m->vt->encode(m, x, n, z);
    double mean[D_EMB] = {0}, C[D_EMB][D_EMB] = {{0}};
    for (int i = n_fit; i < n; i++)
        for (int a = 0; a < D_EMB; a++) mean[a] += z[(size_t)i * D_EMB + a] / n_test;
    for (int i = n_fit; i < n; i++)
        for (int a = 0; a < D_EMB; a++)
            for (int b = 0; b < D_EMB; b++)
                C[a][b] += (z[(size_t)i * D_EMB + a] - mean[a]) * (z[(size_t)i * D_EMB + b] - mean[b]) / (n_test - 1);
    EmbStats st = {0};
    double tr = 0, tr2 = 0;
    for (int a = 0; a < D_EMB; a++) {
        st.std_mean += sqrt(C[a][a]) / D_EMB, tr += C[a][a];
        for (int b = 0; b < D_EMB; b++) tr2 += C[a][b] * C[a][b];
    }
    //: [eq:L42.4.7.eff_rank]
    st.eff_rank = tr2 > 0 ? tr * tr / tr2 : 0;
    /* nearest class mean: class means on the first n_fit, accuracy on the rest */
    double cm[10][D_EMB] = {{0}};
    int cnt[10] = {0};
    for (int i = 0; i < n_fit; i++) {
        cnt[lab[i]]++;
        for (int a = 0; a < D_EMB; a++) cm[lab[i]][a] += z[(size_t)i * D_EMB + a];
    }
    int ok = 0;
    for (int i = n_fit; i < n; i++) {
        int best = -1;
        double bd = INFINITY;
        for (int c = 0; c < 10; c++) {
            if (!cnt[c]) continue;
            double d = 0;
            for (int a = 0; a < D_EMB; a++) {
                double u = z[(size_t)i * D_EMB + a] - cm[c][a] / cnt[c];
                d += u * u;
            }
            if (d < bd) bd = d, best = c;
        }
        ok += best == lab[i];
    }
    st.probe_acc = (double)ok / n_test;
    free(z);
    return st;
}

static void scatter_panel(Plot *p, int panel, GenModel *m, const float *x, const uint8_t *lab, int n, const char *title) {
    float *z = xmalloc((size_t)n * D_EMB * sizeof *z);
    m->vt->encode(m, x, n, z);
    plot_panel(p, panel);
    plot_title(p, title);
    static const PlotColor col[4] = {PLOT_BLUE, PLOT_RED, PLOT_GREEN, PLOT_ORANGE};
    for (int c = 0; c < 4; c++) {
        double px[2000], py[2000];
        int k = 0;
        for (int i = 0; i < n && k < 2000; i++)
            if (lab[i] == c) px[k] = z[(size_t)i * D_EMB], py[k] = z[(size_t)i * D_EMB + 1], k++;
        PlotSeries *s = plot_scatter(p, px, py, k, NULL);
        plot_series_color(s, col[c]);
        plot_series_marker(s, 2.0);
    }
    free(z);
}

static int section_train(const Cli *cli) {
    char note[512];
    ImageSet set;
    int got = dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note);
    if (got < 0) {
        fprintf(stderr, "%s\n", note);
        return 2;
    }
    if ((int)imageset_dim(&set) != D_IN || !set.labels) {
        fprintf(stderr, "JEPA needs 8x8 labelled digits, got %s %dx%d\n", set.name, set.height, set.width);
        imageset_free(&set);
        return 2;
    }
    float *all = imageset_to_float(&set);
    const int n_test = 400, n_fit = set.n - n_test;
    printf("dataset %s: %d images (%d for training, %d held out)\n", set.name, set.n, n_fit, n_test);

    GenModel ema, shared;
    Rng i1, i2, t1, t2;
    rng_init(&i1, cli->seed, 2), rng_init(&i2, cli->seed, 2);
    rng_init(&t1, cli->seed, 3), rng_init(&t2, cli->seed, 3);
    jepa_init(&ema, 0, &i1);
    jepa_init(&shared, 1, &i2);
    check_true("L42.4.7.jepa_caps", gm_check_caps(ema.vt), "JEPA vtable obeys the capability rule (encode only)");
    EmbStats s0 = embedding_stats(&ema, all, set.labels, n_fit, n_test);
    const long steps = cli_scale(cli, 1500, 2000, 8000);
    GmTrainConfig cfg = {.steps = steps, .batch = 128, .clip_norm = 10.0, .label = "JEPA (EMA target)",
                         .check_id = "L42.4.7.jepa_no_nan"};
    GmTrainResult re = gm_train(&ema, all, n_fit, &cfg, &t1);
    cfg.label = "JEPA (shared encoder, no sg)", cfg.check_id = "L42.4.7.jepa_shared_finite";
    GmTrainResult rs = gm_train(&shared, all, n_fit, &cfg, &t2);
    EmbStats se = embedding_stats(&ema, all, set.labels, n_fit, n_test);
    EmbStats ss = embedding_stats(&shared, all, set.labels, n_fit, n_test);
    printf("                      loss first -> last   mean std(z)   eff. rank   probe acc.\n");
    printf("initial               %8s              %.4f        %5.2f       %.3f\n", "", s0.std_mean, s0.eff_rank, s0.probe_acc);
    printf("EMA target (m=0.99)   %.5f -> %.5f   %.4f        %5.2f       %.3f\n", re.first_loss[0], re.avg_loss[0], se.std_mean, se.eff_rank, se.probe_acc);
    printf("shared, no sg         %.5f -> %.5f   %.6f      %5.2f       %.3f\n", rs.first_loss[0], rs.avg_loss[0], ss.std_mean, ss.eff_rank, ss.probe_acc);
    check_le("L42.4.7.jepa_loss_decreases", re.avg_loss[0] / re.first_loss[0], 0.5, 0, "L42.4.7.jepa_loss",
             "EMA JEPA: final / initial loss");
    check_ge("L42.4.7.jepa_ema_no_collapse", se.std_mean / s0.std_mean, 0.5, 0, NULL,
             "EMA JEPA: mean per-dimension std of z relative to initialisation (eff. rank %.2f)", se.eff_rank);
    check_le("L42.4.7.jepa_shared_collapses", ss.std_mean / s0.std_mean, 0.25, 0, NULL,
             "shared encoder with gradient through the target: std of z relative to initialisation (collapse)");
    check_erratum("L42.4.7.lecture_ema_missing", ss.std_mean / s0.std_mean, se.std_mean / s0.std_mean,
                  "B14: without the EMA/stop-gradient the embedding collapses: relative std without vs with");

    Plot *p = plot_new_grid(1, 2, 1000, 480, "JEPA context embeddings (z_1, z_2), digits 0-3");
    scatter_panel(p, 0, &ema, all + (size_t)n_fit * D_IN, set.labels + n_fit, n_test, "EMA target, stop-gradient");
    scatter_panel(p, 1, &shared, all + (size_t)n_fit * D_IN, set.labels + n_fit, n_test, "shared encoder, no sg (collapse)");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "jepa_embeddings.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    free(all);
    imageset_free(&set);
    gm_free(&ema), gm_free(&shared);
    return 0;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.7: JEPA on 8x8 digits, EMA target vs collapse (B14)", 4212, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_ema_and_collapse(&cli);
    if (section_train(&cli) != 0) return 2;
    return check_end();
}
