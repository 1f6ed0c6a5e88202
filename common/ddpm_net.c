/* ddpm_net — a trained DDPM noise predictor: training through gm_train, files, inference
   (maths and contracts in ddpm_net.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ddpm_net.h"
#include "common/data.h"
#include "common/genmodel.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

const char *ddpm_sched_name(DdpmSchedKind k) {
    switch (k) {
    case DDPM_SCHED_COSINE: return "cosine";
    case DDPM_SCHED_LINEAR: return "linear";
    case DDPM_SCHED_COSINE_ZT: return "cosine-zt";
    }
    return "?";
}

const char *ddpm_pred_name(DdpmPrediction p) {
    switch (p) {
    case DDPM_PRED_EPS: return "eps";
    case DDPM_PRED_V: return "v";
    }
    return "?";
}

int ddpm_pred_parse(const char *s) {
    if (s && strcmp(s, "eps") == 0) return DDPM_PRED_EPS;
    if (s && strcmp(s, "v") == 0) return DDPM_PRED_V;
    return -1;
}

DiffusionSchedule ddpm_make_schedule(DdpmSchedKind k, int T, double beta_clip) {
    switch (k) {
    case DDPM_SCHED_COSINE: return diffusion_schedule_cosine(T, 0.008, beta_clip);
    case DDPM_SCHED_LINEAR: return diffusion_schedule_linear(T, 1e-4, 0.02);
    case DDPM_SCHED_COSINE_ZT: {
        DiffusionSchedule s = diffusion_schedule_cosine(T, 0.008, beta_clip);
        diffusion_schedule_rescale_zt_sqrt(&s);
        return s;
    }
    }
    die("ddpm_make_schedule: unknown kind %d", (int)k);
}

void ddpm_net_init(DdpmNet *net, const DdpmNetConfig *cfg, uint64_t seed) {
    memset(net, 0, sizeof *net);
    net->cfg = *cfg;
    Rng rng;
    rng_init(&rng, seed, 0);
    tiny_unet_init(&net->live, &cfg->net, &rng);
    rng_init(&rng, seed, 0);
    tiny_unet_init(&net->ema, &cfg->net, &rng);
    net->sched = ddpm_make_schedule(cfg->schedule, cfg->T, cfg->beta_clip);
    net->scale = SCALE_QUICK;
    snprintf(net->data, sizeof net->data, "none");
}

void ddpm_net_free(DdpmNet *net) {
    if (net->sched.alpha_bar) {
        tiny_unet_free(&net->live);
        tiny_unet_free(&net->ema);
        diffusion_schedule_free(&net->sched);
    }
    for (int i = 0; i < DDPM_NET_MAX_THREADS; i++) ad_arena_free(net->arena[i]);
    memset(net, 0, sizeof *net);
}

/* ---------------------------------------------------------------------------------------- */
/* Training through gm_train */

typedef struct {
    DdpmNet *net;
    const DdpmTrainConfig *cfg;
    int dim, with_labels;
    DdpmTrainResult *res;
    long cap;
} Trainer;

/* Rows per chunk of a data-parallel training step (GmTrainConfig.chunk_rows): the default batch
   of 16 is two chunks, one per core; at 8 images a convolution's product is still 6272 columns
   wide (8 x 28 x 28). */
enum { DDPM_CHUNK_ROWS = 8 };

static AdTensor *train_step(GenModel *m, int player, AdArena *a, const float *rows, int n, Rng *rng,
                            GmLoss *terms) {
    (void)player;
    (void)terms;
    Trainer *tr = m->self;
    const DdpmNet *net = tr->net;
    const int D = tr->dim, H = net->cfg.net.image_size, T = net->cfg.T;
    const int row = D + tr->with_labels, k = net->cfg.net.n_classes;
    AdTensor *xt = ad_input(a, AD_F32, 4, (int[]){n, 1, H, H});
    AdTensor *target = ad_input(a, AD_F32, 4, (int[]){n, 1, H, H});
    float *xp = ad_f32(xt), *ep = ad_f32(target);
    const int pred_v = net->cfg.prediction == DDPM_PRED_V;
    double *e = ad_arena_alloc(a, (size_t)D * sizeof *e), *x0d = ad_arena_alloc(a, (size_t)D * sizeof *x0d);
    int *t = ad_arena_alloc(a, (size_t)n * sizeof *t), *y = NULL;
    if (k > 0) y = ad_arena_alloc(a, (size_t)n * sizeof *y);
    int t_batch = 1 + (int)rng_below(rng, (uint32_t)T); /* drawn every step: same stream either way */
    for (int i = 0; i < n; i++) {
        //: $t_i \sim U\{1..T\}$ per sample (or one $t$ per batch, A11)
        t[i] = tr->cfg->lecture_single_t ? t_batch : 1 + (int)rng_below(rng, (uint32_t)T);
        const double sa = sqrt(net->sched.alpha_bar[t[i]]), sb = sqrt(1.0 - net->sched.alpha_bar[t[i]]);
        const float *x0 = rows + (size_t)i * row;
        for (int q = 0; q < D; q++) {
            e[q] = rng_normal(rng);
            x0d[q] = x0[q];
            //: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$, [eq:common.ddpm_net.loss]
            xp[(size_t)i * D + q] = (float)(sa * x0[q] + sb * e[q]);
        }
        //: the target: $v = \sqrt{\bar\alpha_t}\epsilon - \sqrt{1-\bar\alpha_t}x_0$ (v-prediction) or $\epsilon$
        if (pred_v) diffusion_v_from_x0_eps(net->sched.alpha_bar[t[i]], x0d, e, e, D);
        for (int q = 0; q < D; q++) ep[(size_t)i * D + q] = (float)e[q];
        if (k > 0) {
            double u = rng_uniform(rng);
            y[i] = u < tr->cfg->label_dropout ? k : (int)x0[D];
        }
    }
    AdTensor *pred = tiny_unet_forward(a, &net->live, xt, t, y, NULL);
    AdTensor *sq = ad_square(a, ad_sub(a, pred, target));
    if (tr->cfg->min_snr_gamma > 0) {
        AdTensor *w = ad_input(a, AD_F32, 4, (int[]){n, 1, 1, 1});
        for (int i = 0; i < n; i++)
            //: $w_t = \min(\mathrm{SNR}_t,\gamma)/\mathrm{SNR}_t$ ($/(\mathrm{SNR}_t+1)$ for $v$), [eq:common.ddpm_net.min_snr]
            ad_f32(w)[i] = (float)ddpm_loss_weight(net, t[i], tr->cfg->min_snr_gamma);
        sq = ad_mul(a, sq, w);
    }
    //: $L = \frac{1}{BD}\sum\lVert\epsilon - \hat\epsilon\rVert^2$ (or $\lVert v - \hat v\rVert^2$; a mean, A8), [eq:common.ddpm_net.loss]
    return ad_mean(a, sq);
}

static void trainer_destroy(GenModel *m) { (void)m; }

static const GenModelVT DDPM_VT = {.name = "tiny-ddpm", .family = GM_FAM_DIFFUSION,
                                   .paradigm = GM_PAR_SCORE, .caps = 0,
                                   .train_step = train_step, .destroy = trainer_destroy};

double ddpm_loss_weight(const DdpmNet *net, int t, double gamma) {
    if (gamma <= 0) return 1.0;
    const double ab = net->sched.alpha_bar[t], snr = ab / (1.0 - ab);
    //: $w_t = \min(\mathrm{SNR}_t,\gamma)/(\mathrm{SNR}_t + 1)$ for $v$: image-space weight $\min(\mathrm{SNR}_t,\gamma)$ either way
    if (net->cfg.prediction == DDPM_PRED_V) return fmin(snr, gamma) / (snr + 1.0);
    return fmin(snr, gamma) / snr;
}

double ddpm_lr_quarter_cosine(double lr, long step, long total) {
    //: $\eta_s = \eta\cos(\frac{\pi}{2} s/S)$ (§5.5's plotted schedule, A12)
    return lr * cos(0.5 * M_PI * (double)step / (double)total);
}

static double quarter_cosine_lr(long step, void *ctx) {
    const Trainer *tr = ctx;
    return ddpm_lr_quarter_cosine(tr->cfg->lr, step, tr->cfg->steps);
}

static void record(long step, int player, double loss, double gnorm, double lr, void *ctx) {
    (void)player;
    Trainer *tr = ctx;
    DdpmTrainResult *r = tr->res;
    if (step >= tr->cap) return;
    r->loss[step] = loss;
    r->grad_norm[step] = gnorm;
    r->lr[step] = lr;
    if (tr->cfg->snapshot && step == tr->cfg->snapshot_at) tiny_unet_copy(tr->cfg->snapshot, &tr->net->live);
}

DdpmTrainResult ddpm_net_train(DdpmNet *net, const DdpmTrainConfig *cfg, const float *images,
                               const int *labels, int n) {
    const int H = net->cfg.net.image_size, D = H * H, k = net->cfg.net.n_classes;
    if (k > 0 && !labels) die("ddpm_net_train: a conditional net needs labels");
    if (cfg->steps < 1 || cfg->batch < 1 || n < 1) die("ddpm_net_train: bad steps/batch/n");
    DdpmTrainResult res = {.bad_step = -1};
    res.loss = xcalloc((size_t)cfg->steps, sizeof(double));
    res.grad_norm = xcalloc((size_t)cfg->steps, sizeof(double));
    res.lr = xcalloc((size_t)cfg->steps, sizeof(double));
    Trainer tr = {.net = net, .cfg = cfg, .dim = D, .with_labels = k > 0, .res = &res, .cap = cfg->steps};
    /* rows: the image, then (conditional) its label as a float, so gm_train's minibatch draw
       carries the label along */
    const int row = D + tr.with_labels;
    float *data = (float *)images;
    if (tr.with_labels) {
        data = xmalloc((size_t)n * row * sizeof *data);
        for (int i = 0; i < n; i++) {
            memcpy(data + (size_t)i * row, images + (size_t)i * D, (size_t)D * sizeof *data);
            if (labels[i] < 0 || labels[i] >= k) die("ddpm_net_train: label %d outside 0..%d", labels[i], k - 1);
            data[(size_t)i * row + D] = (float)labels[i];
        }
    }
    GenModel m;
    gm_init(&m, &DDPM_VT, &tr, D);
    m.player[0].opt = optim_adam(cfg->lr, 0.9, 0.999, 1e-8, 0.0);
    NnParams ema_list;
    nn_params_init(&ema_list);
    tiny_unet_params(&net->live, &m.player[0].params);
    tiny_unet_params(&net->ema, &ema_list);
    GmTrainConfig g = {.steps = cfg->steps, .batch = cfg->batch, .row = tr.with_labels ? row : 0,
                       .clip_norm = cfg->clip_norm, .ema_decay = cfg->ema_decay,
                       .label = cfg->label ? cfg->label : "tiny DDPM", .check_id = cfg->check_id,
                       .lr_at = cfg->lr_quarter_cosine ? quarter_cosine_lr : NULL,
                       .on_update = record, .hook_ctx = &tr,
                       .ema_into = cfg->ema_decay > 0 ? &ema_list : NULL, .gpu = cfg->gpu,
                       /* every row's loss is its own: chunks of DDPM_CHUNK_ROWS rows over the
                          threads (not with one t per batch, A11: that t is the whole batch's) */
                       .chunk_rows = cfg->lecture_single_t ? 0 : DDPM_CHUNK_ROWS};
    Rng rng;
    rng_init(&rng, cfg->seed, 7);
    GmTrainResult gr = gm_train(&m, data, n, &g, &rng);
    if (cfg->ema_decay <= 0) tiny_unet_copy(&net->ema, &net->live);
    res.steps_done = gr.steps_done;
    res.diverged = gr.diverged;
    res.bad_step = gr.bad_step;
    res.first_loss = gr.first_loss[0];
    long nf = res.steps_done < 10 ? res.steps_done : 10, ntail = (res.steps_done + 9) / 10;
    double a = 0, b = 0;
    for (long s = 0; s < nf; s++) a += res.loss[s];
    for (long s = res.steps_done - ntail; s < res.steps_done; s++) b += res.loss[s];
    res.first10_mean = nf ? a / nf : NAN;
    res.tail_mean = ntail ? b / ntail : NAN;
    net->steps_trained += res.steps_done;
    net->batch = cfg->batch;
    const size_t npix = (size_t)n * (size_t)net->cfg.net.image_size * (size_t)net->cfg.net.image_size;
    double sum = 0;
    for (size_t i = 0; i < npix; i++) sum += images[i];
    net->x0_mean = npix ? sum / (double)npix : 0;
    nn_params_free(&ema_list);
    nn_params_free(&m.player[0].params);
    nn_params_free(&m.player[1].params);
    if (data != images) free(data);
    return res;
}

void ddpm_train_result_free(DdpmTrainResult *r) {
    free(r->loss);
    free(r->grad_norm);
    free(r->lr);
    r->loss = r->grad_norm = r->lr = NULL;
}

int ddpm_train_result_write(const DdpmTrainResult *r, const char *csv_path, const char *png_path) {
    const long n = r->steps_done;
    if (csv_path) {
        FILE *f = fopen(csv_path, "w");
        if (!f) {
            fprintf(stderr, "ddpm: cannot write %s\n", csv_path);
            return -1;
        }
        fprintf(f, "step,loss,grad_norm,lr\n");
        for (long s = 0; s < n; s++)
            fprintf(f, "%ld,%.9g,%.9g,%.9g\n", s + 1, r->loss[s], r->grad_norm[s], r->lr[s]);
        if (fclose(f) != 0) return -1;
    }
    if (png_path && n > 0) {
        double *x = xmalloc((size_t)n * sizeof *x), *sm = xmalloc((size_t)n * sizeof *sm);
        const long w = n / 50 > 1 ? n / 50 : 1; /* trailing moving average over ~2% of the run */
        double acc = 0;
        for (long s = 0; s < n; s++) {
            x[s] = (double)(s + 1);
            acc += r->loss[s];
            if (s >= w) acc -= r->loss[s - w];
            sm[s] = acc / (double)(s + 1 < w ? s + 1 : w);
        }
        Plot *p = plot_new_grid(2, 1, 800, 600, "Tiny DDPM training");
        plot_panel(p, 0);
        plot_ylog(p, 1);
        PlotSeries *raw = plot_line(p, x, r->loss, (int)n, "loss (per step)");
        plot_series_alpha(raw, 0.35);
        plot_series_color(plot_line(p, x, sm, (int)n, "moving average"), PLOT_RED);
        plot_xlabel(p, "step");
        plot_ylabel(p, "eps-MSE");
        plot_panel(p, 1);
        plot_series_color(plot_line(p, x, r->lr, (int)n, "learning rate"), PLOT_ORANGE);
        plot_xlabel(p, "step");
        plot_ylabel(p, "lr");
        char err[256];
        int rc = plot_save(p, png_path, err, sizeof err);
        if (rc != 0) fprintf(stderr, "ddpm: %s\n", err);
        plot_free(p);
        free(x);
        free(sm);
        if (rc != 0) return -1;
    }
    return 0;
}

void ddpm_recipe(Scale scale, DdpmNetConfig *net, DdpmTrainConfig *train) {
    TinyUNetConfig u = tiny_unet_config_lecture();
    u.time_per_level = 1;
    u.enc1_skip = 1;
    /* quick: a tiny two-level net (seconds); default: the deep layout of tiny_unet.h (three
       resolutions, residual blocks, attention at 7x7) with Min-SNR-5 loss weights, the best of
       the configurations tried, on two seeds, for the 5500 steps that fit about two minutes on
       two cores (README of lecture 36, part 2, issue 12); full: the lecture's own layout and
       plain eps loss */
    *net = (DdpmNetConfig){.net = u, .schedule = DDPM_SCHED_COSINE, .T = 1000, .beta_clip = 0.999};
    *train = (DdpmTrainConfig){.lr = 1e-3, .clip_norm = 1.0, .ema_decay = 0.999, .seed = 20,
                               .label = "tiny DDPM", .check_id = NULL};
    switch (scale) {
    case SCALE_QUICK:
        net->net.d_model = 8;
        net->net.t_emb = 16;
        net->net.t_hidden = 32;
        train->steps = 30;
        train->batch = 8;
        train->ema_decay = 0.9;
        break;
    case SCALE_DEFAULT:
        net->net.d_model = 16;
        net->net.t_emb = 64;
        net->net.t_hidden = 128;
        net->net.deep = 1;
        net->net.mult1 = 2;
        net->net.mult2 = 2;
        net->net.mid_attention = 1;
        train->min_snr_gamma = 5;
        train->steps = 5500;
        train->batch = 16;
        train->lr = 2e-3;
        train->lr_quarter_cosine = 1;
        train->ema_decay = 0.997;
        break;
    case SCALE_FULL:
        /* the lecture: d 64 in its own layout, batch 128, lr 1e-3, no clipping, constant lr, for
           its 10 epochs x 469 batches = 4690 updates of 60k MNIST; EMA 0.999 per batch (A24) */
        net->net = tiny_unet_config_lecture();
        train->steps = 4690;
        train->batch = 128;
        train->clip_norm = 0;
        break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Data */

void ddpm_data_load(const char *data_dir, const char *name, DdpmData *d) {
    memset(d, 0, sizeof *d);
    ImageSet s = {0};
    char note[512] = "";
    int rc = dataset_load_or_digits(data_dir ? data_dir : "data", name ? name : "mnist", &s, note,
                                    sizeof note);
    if (rc < 0) {
        fprintf(stderr, "ddpm: no data: %s\n", note);
        exit(2);
    }
    if (rc == 1) {
        fprintf(stderr, "ddpm: %s\n", note);
        d->fell_back = 1;
    }
    if (s.height != s.width || !s.labels) {
        fprintf(stderr, "ddpm: dataset %s must be square with labels\n", s.name);
        exit(2);
    }
    d->n = s.n;
    d->side = s.height;
    d->n_heldout = s.n / 10 < 1000 ? s.n / 10 : 1000;
    d->n_train = s.n - d->n_heldout;
    d->n_classes = s.n_classes;
    snprintf(d->name, sizeof d->name, "%s", s.name);
    const size_t D = (size_t)d->side * d->side;
    d->x = xmalloc((size_t)s.n * D * sizeof *d->x);
    d->y = xmalloc((size_t)s.n * sizeof *d->y);
    for (int i = 0; i < s.n; i++) {
        for (size_t q = 0; q < D; q++)
            //: $x \mapsto 2x - 1$: pixels in $[-1, 1]$ (§5.1, in float32: A20)
            d->x[(size_t)i * D + q] = (float)(2.0 * s.pixels[(size_t)i * D + q] / s.max_value - 1.0);
        d->y[i] = s.labels[i];
    }
    imageset_free(&s);
}

void ddpm_data_free(DdpmData *d) {
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------------------------------- */
/* Files */

#define META_LEN 24
#define META_VERSION 2 /* 2: + the deep layout's switches (m[18..20]) and the data mean (m[21]);
                          1 (20 entries) is refused */
#define META_LEN_V1 20

static void meta_pack(const DdpmNet *net, double *m) {
    const TinyUNetConfig *u = &net->cfg.net;
    memset(m, 0, META_LEN * sizeof *m);
    m[0] = META_VERSION;
    m[1] = u->d_model, m[2] = u->t_emb, m[3] = u->groups, m[4] = u->image_size;
    m[5] = u->n_classes, m[6] = u->time_per_level, m[7] = u->enc1_skip;
    m[8] = net->cfg.schedule, m[9] = net->cfg.T, m[10] = net->cfg.beta_clip;
    m[11] = net->scale, m[12] = (double)net->steps_trained, m[13] = net->batch;
    m[14] = (double)tiny_unet_hidden(u);
    m[15] = u->mid_attention;
    /* the dataset's name, up to 16 bytes, in m[16..17] */
    char name[16] = {0};
    size_t len = strlen(net->data);
    memcpy(name, net->data, len < sizeof name - 1 ? len : sizeof name - 1);
    memcpy(&m[16], name, 16);
    m[18] = u->deep, m[19] = u->mult1, m[20] = u->mult2;
    m[21] = net->x0_mean;
    m[22] = net->cfg.prediction; /* 0 (eps) in files written before the option existed */
}

static int meta_unpack(const double *m, DdpmNet *out, char *err, size_t errlen) {
    if (m[0] != META_VERSION) {
        snprintf(err, errlen, "meta.config version %g, this code reads %d", m[0], META_VERSION);
        return -1;
    }
    for (int i = 1; i <= 20; i++)
        if (i != 10 && i != 16 && i != 17 && !(m[i] >= 0 && m[i] <= 1e9 && m[i] == floor(m[i]))) {
            snprintf(err, errlen, "meta.config entry %d is %g, not a small integer", i, m[i]);
            return -1;
        }
    if (m[22] != DDPM_PRED_EPS && m[22] != DDPM_PRED_V) {
        snprintf(err, errlen, "meta.config names prediction target %g, this code knows 0 (eps) and "
                 "1 (v)", m[22]);
        return -1;
    }
    TinyUNetConfig u = {.d_model = (int)m[1], .t_emb = (int)m[2], .t_hidden = (int)m[14], .groups = (int)m[3],
                        .image_size = (int)m[4], .n_classes = (int)m[5],
                        .time_per_level = (int)m[6], .enc1_skip = (int)m[7],
                        .mid_attention = (int)m[15], .deep = (int)m[18], .mult1 = (int)m[19],
                        .mult2 = (int)m[20], .dtype = AD_F32};
    int ok = u.d_model >= 1 && u.d_model <= 1024 && u.t_emb >= 4 && u.t_emb % 2 == 0 &&
             u.t_emb <= 4096 && u.groups >= 1 && u.d_model % u.groups == 0 &&
             u.image_size >= 4 && u.image_size <= 1024 && u.image_size % 2 == 0 &&
             u.n_classes <= 100000 && (m[6] == 0 || m[6] == 1) && (m[7] == 0 || m[7] == 1) &&
             u.t_hidden >= 1 && u.t_hidden <= 8192 && (m[15] == 0 || m[15] == 1) &&
             (u.time_per_level || u.t_hidden >= u.d_model) && m[8] <= 2 && m[9] >= 2 &&
             m[9] <= 100000 && m[10] < 1 && m[11] >= 0 && m[11] <= 2 && m[13] >= 0 &&
             (m[18] == 0 || m[18] == 1) && m[19] <= 64 && m[20] <= 64 &&
             (!u.deep || (u.time_per_level && u.enc1_skip && u.image_size % 4 == 0)) &&
             m[21] >= -1 && m[21] <= 1;
    if (!ok) {
        snprintf(err, errlen, "meta.config holds an invalid configuration");
        return -1;
    }
    out->cfg = (DdpmNetConfig){.net = u, .prediction = (DdpmPrediction)(int)m[22],
                               .schedule = (DdpmSchedKind)(int)m[8], .T = (int)m[9], .beta_clip = m[10]};
    out->scale = (Scale)(int)m[11];
    out->steps_trained = (long)m[12];
    out->batch = (int)m[13];
    out->x0_mean = m[21];
    char name[17] = {0};
    memcpy(name, &m[16], 16);
    snprintf(out->data, sizeof out->data, "%s", name);
    return 0;
}

/* The list written to and read from a file: meta.config, meta.alpha_bar, then the weights. */
static void file_list(NnParams *p, AdTensor *meta, AdTensor *abar, const TinyUNet *w) {
    nn_params_init(p);
    nn_params_add(p, "meta", "config", meta);
    nn_params_add(p, "meta", "alpha_bar", abar);
    tiny_unet_params(w, p);
}

int ddpm_net_save(const DdpmNet *net, const TinyUNet *weights, const char *path, char *err,
                  size_t errlen) {
    const int T = net->cfg.T;
    AdTensor *meta = ad_param_new(AD_F64, 1, (int[]){META_LEN});
    AdTensor *abar = ad_param_new(AD_F64, 1, (int[]){T + 1});
    meta_pack(net, ad_f64(meta));
    memcpy(ad_f64(abar), net->sched.alpha_bar, (size_t)(T + 1) * sizeof(double));
    NnParams p;
    file_list(&p, meta, abar, weights);
    NnIoStatus st = nn_params_save(path, &p, err, errlen);
    nn_params_free(&p);
    ad_tensor_free(meta);
    ad_tensor_free(abar);
    return st == NN_IO_OK ? 0 : -1;
}

/* The first tensor of a verified file: must be meta.config, float64, shape (META_LEN). */
static int read_meta(const char *path, double *m, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    unsigned char hdr[24 + 4 + 11 + 4 + 4 + 4];
    int ok = fread(hdr, 1, sizeof hdr, f) == sizeof hdr;
    const char want[] = "meta.config";
    uint32_t u[4];
    if (ok) {
        for (int i = 0; i < 4; i++) {
            const unsigned char *b = hdr + (i == 0 ? 24 : 24 + 4 + 11 + 4 * (i - 1));
            u[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        }
        ok = u[0] == 11 && memcmp(hdr + 28, want, 11) == 0 && u[1] == 1 && u[2] == 1;
        if (ok && u[3] == META_LEN_V1) {
            fclose(f);
            snprintf(err, errlen, "%s: a DDPM net of the old format (meta.config version 1, before "
                     "the deep layout); this code reads version %d: retrain it with program 20",
                     path, META_VERSION);
            return -1;
        }
        ok = ok && u[3] == META_LEN;
    }
    unsigned char vals[META_LEN * 8];
    ok = ok && fread(vals, 1, sizeof vals, f) == sizeof vals;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s: a parameter file, but not a DDPM net (no meta.config first)", path);
        return -1;
    }
    for (int i = 0; i < META_LEN; i++) {
        uint64_t b = 0;
        for (int j = 7; j >= 0; j--) b = b << 8 | vals[8 * i + j];
        memcpy(&m[i], &b, 8);
    }
    return 0;
}

int ddpm_net_load(DdpmNet *net, const char *path, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    char e2[512];
    if (nn_params_verify(path, e2, sizeof e2) != NN_IO_OK) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    double m[META_LEN];
    DdpmNet tmp;
    memset(&tmp, 0, sizeof tmp);
    if (read_meta(path, m, err, errlen) != 0) return -1;
    if (meta_unpack(m, &tmp, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "%s: %s", path, e2);
        return -1;
    }
    ddpm_net_init(net, &tmp.cfg, 0);
    net->scale = tmp.scale;
    net->steps_trained = tmp.steps_trained;
    net->batch = tmp.batch;
    net->x0_mean = tmp.x0_mean;
    memcpy(net->data, tmp.data, sizeof net->data);
    const int T = net->cfg.T;
    AdTensor *meta = ad_param_new(AD_F64, 1, (int[]){META_LEN});
    AdTensor *abar = ad_param_new(AD_F64, 1, (int[]){T + 1});
    NnParams p;
    file_list(&p, meta, abar, &net->ema);
    NnIoStatus st = nn_params_load(path, &p, e2, sizeof e2);
    int rc = 0;
    if (st != NN_IO_OK) {
        snprintf(err, errlen, "%s", e2);
        rc = -1;
    } else {
        double worst = 0;
        for (int t = 0; t <= T; t++)
            worst = fmax(worst, fabs(ad_f64(abar)[t] - net->sched.alpha_bar[t]));
        if (!(worst == 0)) {
            snprintf(err, errlen, "%s: its alpha_bar table differs from the %s schedule it names "
                     "(max |diff| %.3g)", path, ddpm_sched_name(net->cfg.schedule), worst);
            rc = -1;
        }
    }
    nn_params_free(&p);
    ad_tensor_free(meta);
    ad_tensor_free(abar);
    if (rc != 0) {
        ddpm_net_free(net);
        return -1;
    }
    tiny_unet_copy(&net->live, &net->ema);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Load or train */

static const char *scale_name(Scale s) {
    return s == SCALE_QUICK ? "quick" : s == SCALE_FULL ? "full" : "default";
}

/* "<out root>/36_ddpm/20_tiny_ddpm_train/weights_ema.bin" when out_dir is the default
   out/<lecture>/<prog> of the calling program; "" otherwise (an explicit --out). */
static void sibling_path(const Cli *cli, char *buf, size_t len) {
    buf[0] = 0;
    char def[1100];
    snprintf(def, sizeof def, "out/%s", cli->program + (strncmp(cli->program, "lectures/", 9) == 0 ? 9 : 0));
    if (strcmp(def, cli->out_dir) != 0) return;
    snprintf(buf, len, "out/36_ddpm/20_tiny_ddpm_train/weights_ema.bin");
}

static int try_load(const char *path, Scale need, DdpmNet *net, int must) {
    char err[512];
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (must) {
            fprintf(stderr, "--net %s: cannot open\n", path);
            exit(2);
        }
        return 0;
    }
    fclose(f);
    if (ddpm_net_load(net, path, err, sizeof err) != 0) {
        if (must) {
            fprintf(stderr, "--net: %s\n", err);
            exit(2);
        }
        fprintf(stderr, "ddpm: ignoring %s: %s\n", path, err);
        return 0;
    }
    if (!must && net->scale < need) {
        fprintf(stderr, "ddpm: %s was trained at the %s scale, below this run's %s scale\n", path,
                scale_name(net->scale), scale_name(need));
        ddpm_net_free(net);
        return 0;
    }
    fprintf(stderr, "ddpm: loaded %s (%s scale, %ld steps, d_model %d, %s-prediction, %s)\n", path,
            scale_name(net->scale), net->steps_trained, net->cfg.net.d_model,
            ddpm_pred_name(net->cfg.prediction), net->data);
    return 1;
}

int ddpm_net_load_or_train(const Cli *cli, const char *net_file, DdpmNet *net) {
    if (net_file) return try_load(net_file, cli->scale, net, 1);
    char path[1200];
    sibling_path(cli, path, sizeof path);
    if (path[0] && try_load(path, cli->scale, net, 0)) return 1;
    const char *own = cli_out_path(cli, "weights_ema.bin");
    snprintf(path, sizeof path, "%s", own);
    if (try_load(path, cli->scale, net, 0)) return 1;
    DdpmNetConfig nc;
    DdpmTrainConfig tc;
    ddpm_recipe(cli->scale, &nc, &tc);
    DdpmData d;
    ddpm_data_load(cli->data_dir, "mnist", &d);
    nc.net.image_size = d.side;
    if (tc.steps <= 0) tc.steps = 10L * (d.n_train + tc.batch - 1) / tc.batch;
    fprintf(stderr, "ddpm: no trained net found; training one at the %s scale (%ld steps), "
            "saving it to %s\n", scale_name(cli->scale), tc.steps, path);
    ddpm_net_init(net, &nc, cli->seed + 20);
    net->scale = cli->scale;
    snprintf(net->data, sizeof net->data, "%s", d.name);
    DdpmTrainResult r = ddpm_net_train(net, &tc, d.x, d.y, d.n_train);
    if (r.diverged) {
        fprintf(stderr, "ddpm: training diverged at step %ld\n", r.bad_step);
        exit(1);
    }
    char err[512];
    mkdir_p(cli->out_dir);
    if (ddpm_net_save(net, &net->ema, path, err, sizeof err) != 0)
        fprintf(stderr, "ddpm: could not save %s: %s\n", path, err);
    ddpm_train_result_free(&r);
    ddpm_data_free(&d);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Inference */

#define EPS_BATCH 64

/* The network's raw output (eps_hat or v_hat, by net->cfg.prediction) for n images. */
static void net_output(DdpmNet *net, const TinyUNet *w, const float *x, const int *t, const int *y,
                       int n, float *out_buf) {
    const int H = net->cfg.net.image_size;
    const size_t D = (size_t)H * H;
    int slot = par_thread_id();
    if (slot >= DDPM_NET_MAX_THREADS) die("ddpm_net_eps: thread %d beyond %d", slot, DDPM_NET_MAX_THREADS);
    if (!net->arena[slot]) net->arena[slot] = ad_arena_new(1 << 20);
    AdArena *a = net->arena[slot];
    for (int i0 = 0; i0 < n; i0 += EPS_BATCH) {
        const int b = n - i0 < EPS_BATCH ? n - i0 : EPS_BATCH;
        ad_arena_reset(a);
        AdTensor *xt = ad_from_array(a, AD_F32, 4, (int[]){b, 1, H, H}, x + (size_t)i0 * D);
        AdTensor *out = tiny_unet_forward_nograd(a, w, xt, t + i0, y ? y + i0 : NULL);
        memcpy(out_buf + (size_t)i0 * D, out->data, (size_t)b * D * sizeof(float));
    }
}

void ddpm_net_eps_with(DdpmNet *net, const TinyUNet *w, const float *x, const int *t, const int *y,
                       int n, float *eps_out) {
    net_output(net, w, x, t, y, n, eps_out);
    if (net->cfg.prediction != DDPM_PRED_V) return;
    const size_t D = (size_t)net->cfg.net.image_size * net->cfg.net.image_size;
    double *xd = xmalloc(D * sizeof *xd), *vd = xmalloc(D * sizeof *vd);
    for (int i = 0; i < n; i++) {
        for (size_t q = 0; q < D; q++) xd[q] = x[(size_t)i * D + q], vd[q] = eps_out[(size_t)i * D + q];
        //: $\hat\epsilon = \sqrt{\bar\alpha_t}\hat v + \sqrt{1-\bar\alpha_t}x_t$, [eq:common.ddpm_net.v_to_eps]
        diffusion_eps_from_v(net->sched.alpha_bar[t[i]], xd, vd, vd, (int)D);
        for (size_t q = 0; q < D; q++) eps_out[(size_t)i * D + q] = (float)vd[q];
    }
    free(xd);
    free(vd);
}

void ddpm_net_eps(DdpmNet *net, const float *x, const int *t, const int *y, int n, float *eps_out) {
    ddpm_net_eps_with(net, &net->ema, x, t, y, n, eps_out);
}

void ddpm_net_diff_eps(const double *x, size_t n, size_t dim, int t, double abar_t,
                       double *eps_out, void *ctx) {
    DdpmEpsCtx *c = ctx;
    DdpmNet *net = c->net;
    const size_t D = (size_t)net->cfg.net.image_size * net->cfg.net.image_size;
    if (dim != D) die("ddpm_net_diff_eps: dim %zu, the net takes %zu", dim, D);
    float *xf = xmalloc(n * D * sizeof *xf), *ef = xmalloc(n * D * sizeof *ef);
    int *tv = xmalloc(n * sizeof *tv), *yv = NULL;
    for (size_t i = 0; i < n * D; i++) xf[i] = (float)x[i];
    for (size_t i = 0; i < n; i++) tv[i] = t;
    if (c->label >= 0) {
        yv = xmalloc(n * sizeof *yv);
        for (size_t i = 0; i < n; i++) yv[i] = c->label;
    }
    net_output(net, c->weights ? c->weights : &net->ema, xf, tv, yv, (int)n, ef);
    const double sa = sqrt(abar_t), sb = sqrt(1.0 - abar_t);
    for (size_t i = 0; i < n * D; i++) eps_out[i] = ef[i];
    if (net->cfg.prediction == DDPM_PRED_V)
        //: $\hat\epsilon = \sqrt{\bar\alpha_t}\hat v + \sqrt{1-\bar\alpha_t}x_t$ (in double, the net's own $\bar\alpha_t$), [eq:common.ddpm_net.v_to_eps]
        diffusion_eps_from_v(net->sched.alpha_bar[t], x, eps_out, eps_out, (int)(n * D));
    for (size_t i = 0; i < n * D; i++) {
        if (c->clamp_x0 && sa > 0 && sb > 0) {
            //: $\hat x_0 = (x - \sqrt{1-\bar\alpha}\hat\epsilon)/\sqrt{\bar\alpha}$ clamped to $[-1,1]$; $\hat\epsilon = (x - \sqrt{\bar\alpha}\hat x_0)/\sqrt{1-\bar\alpha}$
            double x0 = (x[i] - sb * eps_out[i]) / sa;
            x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
            //: $\hat x_0 = \bar x_0$ (the data mean) where $\bar\alpha_t$ is below the prior's threshold
            if (abar_t < c->prior_below_abar) x0 = net->x0_mean;
            eps_out[i] = (x[i] - sa * x0) / sb;
        }
    }
    free(xf);
    free(ef);
    free(tv);
    free(yv);
}
