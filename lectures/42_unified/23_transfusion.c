/*: # L42 4.7 / 6.7 — Transfusion: one model, a text loss and a diffusion loss

**Lecture 42, Part 2, sections 4.7 (`Transfusion`) and 6.7**, with spec §3 item 26 and erratum
B15. Transfusion trains one network on two kinds of data at once: discrete tokens with the
autoregressive cross-entropy, continuous images with a diffusion loss conditioned on the text,

$$ \mathcal L = \mathcal L_\text{AR}(\text{text}) + \mathcal L_\text{diff}(\text{image}\mid\text{text}). $$ {#eq:L42.6.7.transfusion_loss}

The lecture's code noises images with $(1 - t^2)\,x + t\,\varepsilon$, gives the denoiser no $t$,
calls a concatenation "cross-attention" and applies the text encoder twice (B15).

What you will see: the lecture's schedule analysed (it is not variance preserving: the variance
of unit data dips to $0.75$ at $t = 1/\sqrt2$; its SNR does decrease), the corrected alternative
(the VP cosine schedule, variance exactly 1); then a small Transfusion on the 8×8 digits, trained
through `gm_train`: the "text" of an image is two tokens (BOS, its digit label), the text model
predicts the label token, the image model is a denoiser that sees $x_t$, $t$ and the text
model's embedding of the label. Checks: the text cross-entropy reaches the entropy of the labels,
and samples generated for a requested label are recognised as that digit by the course's digit
classifier (common/digit_classifier). Figure: `transfusion_samples.png` (one row per label).

Run: `build/release/bin/lectures/42_unified/23_transfusion [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $a(t) = 1 - t^2$, $b(t) = t$ (lecture) | `lecture_a`, `lecture_b` | scalar |
| $\bar\alpha_t$ (cosine, $T = 1000$) | `Tfu.sched` | T+1 |
| text tokens (BOS = 0, label $y$ → $y + 1$) | `TOK_BOS`, `label` | 2 per image |
| token embedding | `Tfu.emb` | (11, 16) |
| text head $p(y\mid\text{BOS})$ | `Tfu.text` | 16 → 32 → 10 |
| $\hat x_0(x_t, t, \text{emb}(y))$ | `Tfu.eps`, `x0_graph` | 96 → 128 → 128 → 64 |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/diffusion_sampler.h"
#include "common/diffusion_schedule.h"
#include "common/digit_classifier.h"
#include "common/genmodel.h"
#include "common/image.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

/*: ## 4.7 The lecture's noising schedule (B15)

The lecture writes $x_t = (1 - t^2)\,x + t\,\varepsilon$, $t\sim U(0,1)$. For data of unit variance
independent of the noise,

$$ \mathrm{Var}(x_t) = (1 - t^2)^2 + t^2,\qquad \frac{d}{dt}\mathrm{Var} = 2t\,(2t^2 - 1),\qquad
   \min_t \mathrm{Var} = \tfrac34 \ \text{at}\ t = \tfrac{1}{\sqrt2}, $$ {#eq:L42.4.7.tfu_variance}

so the marginal shrinks and grows again: not variance preserving, unlike the DDPM/VP family it
imitates (a denoiser then sees inputs whose scale depends on $t$, one more reason it needs $t$).
Its signal-to-noise ratio $\mathrm{SNR}(t) = (1 - t^2)^2/t^2$ is strictly decreasing on $(0, 1)$
(both factors move the right way), so as a noising path it is usable.

The checks do not use the closed form for the minimum: a golden-section search on the variance
function finds it, a Monte Carlo variance at $t = 1/\sqrt2$ confirms the formula, and the SNR is
tested for monotonicity on a fine grid.
*/
static double lecture_a(double t) { return 1 - t * t; }
static double lecture_b(double t) { return t; }

static double lecture_var(double t) {
    //: [eq:L42.4.7.tfu_variance]
    return lecture_a(t) * lecture_a(t) + lecture_b(t) * lecture_b(t);
}

static void section_lecture_schedule(const Cli *cli) {
    double lo = 0, hi = 1;
    const double g = (sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 200 && hi - lo > 1e-15; it++) {
        double c = hi - g * (hi - lo), d = lo + g * (hi - lo);
        if (lecture_var(c) < lecture_var(d)) hi = d; else lo = c;
    }
    const double t_min = 0.5 * (lo + hi);
    check_close("L42.4.7.tfu_var_min", lecture_var(t_min), 0.75, 1e-12, "L42.4.7.tfu_variance",
                "min over t of (1-t^2)^2 + t^2 by golden-section search (spec 0.75)");
    check_close("L42.4.7.tfu_var_argmin", t_min, 0.7071068, 1e-7, "L42.4.7.tfu_variance",
                "... attained at t (spec 1/sqrt 2 = 0.7071068)");
    check_erratum("L42.4.7.tfu_not_vp", 1.0, lecture_var(t_min),
                  "B15: a DDPM-style schedule keeps Var(x_t) = 1 for unit data; the lecture's dips to");
    const long n = cli_scale(cli, 100000, 1000000, 4000000);
    Rng r;
    rng_init(&r, cli->seed, 21);
    double *v = xmalloc((size_t)n * sizeof *v);
    const double t = 1 / sqrt(2.0);
    for (long i = 0; i < n; i++) {
        double x = rng_normal(&r), e = rng_normal(&r), xt = lecture_a(t) * x + lecture_b(t) * e;
        v[i] = xt * xt;
    }
    double se, var_mc = stats_mean_se(v, (size_t)n, &se);
    check_mc("L42.4.7.tfu_var_mc", var_mc, 0.75, se, 4.0, n, "L42.4.7.tfu_variance",
             "Monte Carlo Var((1-t^2) x + t eps) at t = 1/sqrt 2, x, eps ~ N(0,1)");
    free(v);
    int up = 0;
    double prev = INFINITY;
    for (int i = 1; i < 100000; i++) {
        double tt = i / 100000.0, snr = lecture_a(tt) * lecture_a(tt) / (tt * tt);
        up += !(snr < prev);
        prev = snr;
    }
    check_true("L42.4.7.tfu_snr_monotone", up == 0,
               "SNR (1-t^2)^2 / t^2 strictly decreasing on a grid of 99999 points in (0,1) (%d violations)", up);
}

/*: ## The corrected alternative: the VP cosine schedule

The variance-preserving form $x_t = \sqrt{\bar\alpha_t}\,x + \sqrt{1-\bar\alpha_t}\,\varepsilon$ with the
cosine $\bar\alpha_t = f(t)/f(0)$, $f(t) = \cos^2\big(\frac{t/T + s}{1+s}\frac\pi2\big)$, $s = 0.008$
(common/diffusion_schedule, lecture 36) keeps $\mathrm{Var}(x_t) = \bar\alpha_t + 1 - \bar\alpha_t = 1$
for unit data and has a decreasing SNR $\bar\alpha_t/(1 - \bar\alpha_t)$. The image model below is
trained on it, with $t$ given to the network.
*/
static void section_vp_schedule(const DiffusionSchedule *sch) {
    double worst = 0;
    int up = 0;
    for (int t = 1; t <= sch->T; t++) {
        double a = diffusion_sqrt_alpha_bar(sch, t), b = diffusion_sqrt_one_minus_alpha_bar(sch, t);
        worst = fmax(worst, fabs(a * a + b * b - 1));
        if (t > 1) up += !(diffusion_snr(sch, t) < diffusion_snr(sch, t - 1));
    }
    check_close("L42.4.7.tfu_vp_variance", worst, 0.0, 1e-12, "common.diffusion.q_xt_x0",
                "VP cosine schedule (T = %d): max_t |abar_t + (1 - abar_t) - 1|, the variance of unit data", sch->T);
    check_true("L42.4.7.tfu_vp_snr_monotone", up == 0, "VP cosine SNR strictly decreasing in t (%d violations)", up);
}

/* ---------------------------------------------------------------------------------------- */
/* The Transfusion model: rows are 64 pixels in [-1, 1] followed by the label (0..9). */

enum { TOK_BOS = 0, N_TOK = 11, EMB = 16, TFEAT = 16, DIM = 64, ROW = 65, HID = 128 };

typedef struct {
    AdTensor *emb;       /* (11, 16): BOS and the 10 label tokens, shared by text and image */
    NnMlp text;          /* 16 -> 32 -> 10: logits of the next token after BOS */
    NnMlp eps;           /* 64 + 16 + 16 -> 256 -> 256 -> 64 */
    DiffusionSchedule sched;
    int label;           /* the condition while sampling (eps_net_fn) */
} Tfu;

/*: ## 6.7 The joint loss

Text: the sequence (BOS, $y$) is modelled autoregressively, so its loss is the cross-entropy of the
label token given BOS, $-\log p_\theta(y\mid\text{BOS})$; at its optimum it equals the entropy of the
label distribution $H(y) = -\sum_c \hat p_c\log\hat p_c$ (≈ $\ln 10 = 2.3026$ for balanced digits).
Image: with $t$ uniform on $1..T$ and the condition $c = \mathrm{emb}(y)$ (the text model's own
embedding of the token, concatenated to the input — honestly a concatenation, not cross-attention),

$$ \mathcal L_\text{diff} = \mathbb E\,\big\lVert \hat\varepsilon_\theta\big(\sqrt{\bar\alpha_t}x + \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t,\ c\big) - \varepsilon\big\rVert^2 $$ {#eq:L42.6.7.cond_eps_loss}

(mean over pixels). Here the network is parametrised to predict the clean image instead,

$$ \mathcal L_\text{diff} = \mathbb E\,\big\lVert \hat x_{0,\theta}(x_t, t, c) - x\big\rVert^2,\qquad
   \hat\varepsilon = \frac{x_t - \sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}}, $$ {#eq:L42.6.7.cond_x0_loss}

the same model written through [eq:common.diffusion.conversions] (its minimiser is the posterior
mean $\mathbb E[x\mid x_t, c]$, which gives the minimiser of [eq:L42.6.7.cond_eps_loss] through the
conversion); it is a weighting of the ε-loss by $\bar\alpha_t/(1-\bar\alpha_t)$. With an MLP at this budget
the ε-parametrisation left visible noise in the samples (classifier accuracy 0.43 where the
x₀ form gives the number below). $t$ enters through 16 sinusoidal features of $t/T$. The two losses
are added [eq:L42.6.7.transfusion_loss] and minimised together by one optimiser over all parameters.
*/
static AdTensor *time_features(AdArena *arena, const int *t, int n, int T) {
    int shape[2] = {n, TFEAT};
    AdTensor *f = ad_input(arena, AD_F32, 2, shape);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < TFEAT / 2; k++) {
            double w = M_PI * (double)(1 << k) * t[i] / T;
            ad_f32(f)[i * TFEAT + 2 * k] = (float)sin(w), ad_f32(f)[i * TFEAT + 2 * k + 1] = (float)cos(w);
        }
    return f;
}

static AdTensor *x0_graph(AdArena *arena, Tfu *m, AdTensor *x_t, const int *t, const int *tok, int n) {
    AdTensor *parts[3] = {x_t, time_features(arena, t, n, m->sched.T), ad_embedding(arena, m->emb, tok, n)};
    return nn_mlp_forward(arena, &m->eps, ad_concat(arena, parts, 3, 1));
}

static AdTensor *text_logits(AdArena *arena, Tfu *m, int n) {
    int *bos = ad_arena_alloc(arena, (size_t)n * sizeof *bos);
    for (int i = 0; i < n; i++) bos[i] = TOK_BOS;
    return nn_mlp_forward(arena, &m->text, ad_embedding(arena, m->emb, bos, n));
}

static AdTensor *tfu_train_step(GenModel *gm, int player, AdArena *arena, const float *rows, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player;
    Tfu *m = gm->self;
    int shape[2] = {n, DIM};
    AdTensor *x_t = ad_input(arena, AD_F32, 2, shape), *x0 = ad_input(arena, AD_F32, 2, shape);
    int *t = ad_arena_alloc(arena, (size_t)n * sizeof *t), *tok = ad_arena_alloc(arena, (size_t)n * sizeof *tok);
    int *label = ad_arena_alloc(arena, (size_t)n * sizeof *label);
    for (int i = 0; i < n; i++) {
        label[i] = (int)rows[(size_t)i * ROW + DIM], tok[i] = label[i] + 1;
        t[i] = 1 + (int)rng_below(rng, (uint32_t)m->sched.T);
        const double a = diffusion_sqrt_alpha_bar(&m->sched, t[i]), b = diffusion_sqrt_one_minus_alpha_bar(&m->sched, t[i]);
        for (int j = 0; j < DIM; j++) {
            double z = rng_normal(rng);
            //: $x_t = \sqrt{\bar\alpha_t}x + \sqrt{1-\bar\alpha_t}\varepsilon$, [eq:common.diffusion.q_xt_x0]
            ad_f32(x_t)[i * DIM + j] = (float)(a * rows[(size_t)i * ROW + j] + b * z);
            ad_f32(x0)[i * DIM + j] = rows[(size_t)i * ROW + j];
        }
    }
    //: text: $-\log p_\theta(y\mid\text{BOS})$
    AdTensor *l_text = ad_cross_entropy(arena, text_logits(arena, m, n), label);
    //: image: [eq:L42.6.7.cond_x0_loss]
    AdTensor *l_diff = ad_mean(arena, ad_square(arena, ad_sub(arena, x0_graph(arena, m, x_t, t, tok, n), x0)));
    if (terms) {
        terms->nterms = 2;
        terms->name[0] = "text", terms->value[0] = ad_get(l_text, 0);
        terms->name[1] = "diffusion", terms->value[1] = ad_get(l_diff, 0);
    }
    //: [eq:L42.6.7.transfusion_loss]
    return ad_add(arena, l_text, l_diff);
}

/* DiffEpsFn: the trained network with the label m->label, its x0 turned into eps. */
static void eps_net_fn(const double *x, size_t n, size_t dim, int t, double abar_t, double *out, void *ctx) {
    Tfu *m = ctx;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {(int)n, (int)dim};
    AdTensor *xt = ad_input(arena, AD_F32, 2, shape);
    int *tt = xmalloc(n * sizeof *tt), *tok = xmalloc(n * sizeof *tok);
    for (size_t i = 0; i < n; i++) tt[i] = t, tok[i] = m->label + 1;
    for (size_t i = 0; i < n * dim; i++) ad_f32(xt)[i] = (float)x[i];
    AdTensor *y = x0_graph(arena, m, xt, tt, tok, (int)n);
    const double sa = sqrt(abar_t), sb = sqrt(1 - abar_t);
    //: $\hat\varepsilon = (x_t - \sqrt{\bar\alpha_t}\,\hat x_0)/\sqrt{1-\bar\alpha_t}$, [eq:common.diffusion.conversions]
    for (size_t i = 0; i < n * dim; i++) out[i] = (x[i] - sa * ad_f32(y)[i]) / sb;
    free(tt), free(tok);
    ad_arena_free(arena);
}

/* n images of label `label` by DDIM-50 (trailing, eta = 0) into x_out (n x 64). */
static void tfu_sample_label(Tfu *m, int label, int n, float *x_out, uint64_t seed) {
    enum { S = 50 };
    int tau[S];
    DiffStep steps[S];
    diff_timesteps(m->sched.T, S, DIFF_TAU_LEADING, tau);
    int ns = diff_plan_ddim(m->sched.alpha_bar, tau, S, 0.0, steps);
    m->label = label;
    DiffSampler s;
    diff_sampler_init(&s, (size_t)n, DIM, m->sched.alpha_bar, eps_net_fn, m, seed);
    s.draw_prior = 1, s.n_threads = 1;
    double *x = xmalloc((size_t)n * DIM * sizeof *x);
    diff_run(&s, steps, ns, x);
    for (int i = 0; i < n * DIM; i++) x_out[i] = (float)fmax(-1.0, fmin(1.0, x[i]));
    free(x);
}

/* Joint generation: the label from the text model, then the image given it. Rows of 65. */
static void tfu_sample(GenModel *gm, int n, float *x_out, Rng *rng) {
    Tfu *m = gm->self;
    AdArena *arena = ad_arena_new(1 << 16);
    double p[10];
    AdTensor *lg = text_logits(arena, m, 1);
    for (int c = 0; c < 10; c++) p[c] = exp(ad_f32(lg)[c]);
    ad_arena_free(arena);
    float *img = xmalloc(DIM * sizeof *img);
    for (int i = 0; i < n; i++) {
        int y = rng_categorical(rng, p, 10);
        tfu_sample_label(m, y, 1, img, rng_u64(rng));
        memcpy(x_out + (size_t)i * ROW, img, DIM * sizeof *img);
        x_out[(size_t)i * ROW + DIM] = (float)y;
    }
    free(img);
}

static void tfu_destroy(GenModel *gm) {
    Tfu *m = gm->self;
    ad_tensor_free(m->emb);
    nn_mlp_free(&m->text), nn_mlp_free(&m->eps);
    diffusion_schedule_free(&m->sched);
    free(m);
}

static const GenModelVT TFU_VT = {
    .name = "Transfusion", .family = GM_FAM_WORLD, .paradigm = GM_PAR_NONE, .caps = GM_CAP_SAMPLE,
    .train_step = tfu_train_step, .sample = tfu_sample, .destroy = tfu_destroy,
};

static Tfu *tfu_new(GenModel *gm, Rng *rng) {
    Tfu *m = xcalloc(1, sizeof *m);
    int eshape[2] = {N_TOK, EMB};
    m->emb = ad_param_new(AD_F32, 2, eshape);
    for (int i = 0; i < N_TOK * EMB; i++) ad_f32(m->emb)[i] = (float)rng_normal(rng);
    int tw[3] = {EMB, 32, 10}, ew[4] = {DIM + TFEAT + EMB, HID, HID, DIM};
    nn_mlp_init(&m->text, 2, tw, NN_ACT_SILU, AD_F32, rng);
    nn_mlp_init(&m->eps, 3, ew, NN_ACT_SILU, AD_F32, rng);
    m->sched = diffusion_schedule_cosine(1000, 0.008, 0.999);
    gm_init(gm, &TFU_VT, m, ROW);
    nn_params_add(&gm->player[0].params, "tok", "emb", m->emb);
    nn_mlp_params(&m->text, "text", &gm->player[0].params);
    nn_mlp_params(&m->eps, "eps", &gm->player[0].params);
    return m;
}

/*: ## Training on the digits, and what the samples are checked against

Pixels $k/16$ are mapped to $2k/16 - 1\in[-1, 1]$; the first four fifths of the 1797 digits
train (the split of common/digit_classifier), the rest are held out. After training: the text
cross-entropy on the held-out labels against the empirical entropy of the training labels
(spec tolerance 0.05), and for each digit $c$ a batch of images generated with the condition
$c$ (DDIM, 50 steps), classified by the course's digit classifier; the fraction recognised as
$c$ must exceed 0.6 (spec). The classifier's own held-out accuracy is printed as the ceiling.
The lecture's schedule is not trained here (B15: its inputs' scale drifts with $t$ and its
denoiser has no $t$); its analysis above is the demonstration.
*/
static int section_train(const Cli *cli) {
    char note[512];
    ImageSet set;
    if (dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note) < 0) {
        fprintf(stderr, "%s\n", note);
        return 2;
    }
    if ((int)imageset_dim(&set) != DIM || !set.labels) {
        fprintf(stderr, "this program needs the labelled 8x8 digits, got %s %dx%d\n", set.name, set.height, set.width);
        imageset_free(&set);
        return 2;
    }
    const int n_test = digit_test_count(set.n), n_fit = set.n - n_test;
    float *pm1 = digit_images_pm1(&set, 0, set.n);
    float *rows = xmalloc((size_t)n_fit * ROW * sizeof *rows);
    for (int i = 0; i < n_fit; i++) {
        memcpy(rows + (size_t)i * ROW, pm1 + (size_t)i * DIM, DIM * sizeof *rows);
        rows[(size_t)i * ROW + DIM] = set.labels[i];
    }
    DigitClassifier clf;
    digit_classifier_load_or_train(cli, &set, DIGIT_CLASSIFIER_SEED, &clf);
    double clf_acc = digit_classifier_accuracy(&clf, pm1 + (size_t)n_fit * DIM, set.labels + n_fit, n_test);
    printf("digit classifier: held-out accuracy %.4f (%d images)\n", clf_acc, n_test);

    GenModel gm;
    Rng init, trng;
    rng_init(&init, cli->seed, 2), rng_init(&trng, cli->seed, 3);
    Tfu *m = tfu_new(&gm, &init);
    gm.player[0].opt = optim_adam(2e-3, 0.9, 0.999, 1e-8, 0.0);
    section_vp_schedule(&m->sched);
    check_true("L42.6.7.tfu_caps", gm_check_caps(gm.vt), "Transfusion vtable obeys the capability rule");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 400, 4000, 20000), .batch = 64, .clip_norm = 1.0, .ema_decay = 0.995,
                         .label = "Transfusion", .check_id = "L42.6.7.tfu_train_finite"};
    GmTrainResult res = gm_train(&gm, rows, n_fit, &cfg, &trng);
    printf("Transfusion: %ld parameters, joint loss %.4f -> %.4f\n", gm_num_params(&gm), res.first_loss[0], res.avg_loss[0]);

    /* text: CE of the held-out label tokens vs the entropy of the training labels */
    double cnt[10] = {0}, H = 0, ce = 0;
    for (int i = 0; i < n_fit; i++) cnt[set.labels[i]] += 1;
    for (int c = 0; c < 10; c++) H -= cnt[c] / n_fit * log(cnt[c] / n_fit);
    AdArena *arena = ad_arena_new(1 << 16);
    AdTensor *lg = ad_log_softmax(arena, text_logits(arena, m, 1));
    for (int i = n_fit; i < set.n; i++) ce -= ad_f32(lg)[set.labels[i]] / n_test;
    ad_arena_free(arena);
    check_close("L42.6.7.tfu_text_ce", ce, H, 0.05, "L42.6.7.transfusion_loss",
                "text cross-entropy of the held-out label tokens vs the entropy of the training labels (ln 10 = 2.3026)");

    /* conditional generation, classified */
    const int per = (int)cli_scale(cli, 10, 30, 100);
    float *xs = xmalloc((size_t)10 * per * DIM * sizeof *xs);
    uint8_t *want = xmalloc((size_t)10 * per);
    for (int c = 0; c < 10; c++) {
        tfu_sample_label(m, c, per, xs + (size_t)c * per * DIM, cli->seed * 100 + (uint64_t)c);
        memset(want + c * per, c, (size_t)per);
    }
    double acc = digit_classifier_accuracy(&clf, xs, want, 10 * per);
    check_ge("L42.6.7.tfu_cond_accuracy", acc, 0.6, 0, "L42.6.7.cond_x0_loss",
             "classifier accuracy on %d label-conditioned DDIM-50 samples (%d per digit; spec > 0.6; the classifier's own: %.3f)",
             10 * per, per, clf_acc);

    const int show = per < 10 ? per : 10;
    float *grid = xmalloc((size_t)10 * show * DIM * sizeof *grid);
    for (int c = 0; c < 10; c++)
        for (int k = 0; k < show; k++)
            for (int d = 0; d < DIM; d++) grid[((size_t)c * show + k) * DIM + d] = 0.5f * (xs[((size_t)c * per + k) * DIM + d] + 1);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = show, opt.upscale = 4;
    Image8 *img = image_grid(grid, 10 * show, 1, 8, 8, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "transfusion_samples.png"), img, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    image8_free(img);

    free(grid), free(xs), free(want), free(rows), free(pm1);
    digit_classifier_free(&clf);
    gm_free(&gm);
    imageset_free(&set);
    return 0;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.7/6.7: Transfusion - the (1-t^2)x + t eps schedule (B15), text AR + conditional diffusion on digits", 4223, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_lecture_schedule(&cli);
    if (section_train(&cli) != 0) return 2;
    return check_end();
}
