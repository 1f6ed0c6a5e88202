/*: # ddpm_net — a trained DDPM noise predictor as one object

Introduced in L36 §4.2.3 and §5.2 (program `lectures/36_ddpm/20_tiny_ddpm_train.c`, which trains
it); every later program of L36 that needs $\hat\epsilon_\theta(x_t, t)$ on real digits loads it
with `ddpm_net_load_or_train`. A `DdpmNet` holds the Tiny U-Net of `tiny_unet.h` twice (the live
weights $\theta$ and their exponential moving average $\bar\theta$), the noise schedule
($\beta_t$, $\bar\alpha_t$ in double, `diffusion_schedule.h`), and how and at which scale it was
trained.

**Training** (`ddpm_net_train`, through the shared loop `gm_train` of `genmodel.h`): for a
minibatch $x_0^{(1..B)}$, per-sample times $t_i \sim U\{1..T\}$ (the lecture draws one $t$ for
the whole batch, erratum A11, kept as the option `lecture_single_t`) and noise
$\epsilon_i\sim\mathcal N(0, I)$,

$$ x_t^{(i)} = \sqrt{\bar\alpha_{t_i}}\,x_0^{(i)} + \sqrt{1-\bar\alpha_{t_i}}\,\epsilon_i,\qquad
   L = \frac{1}{B D}\sum_{i=1}^{B}\big\lVert \epsilon_i - \hat\epsilon_\theta(x_t^{(i)}, t_i)\big\rVert^2 , $$ {#eq:common.ddpm_net.loss}

a per-element *mean* (the lecture's code sums, erratum A8, which makes the gradient $BD$ times
larger and a clip at norm 1 always active). Adam, optional clipping by global norm, the EMA
$\bar\theta \leftarrow \delta\bar\theta + (1-\delta)\theta$ after every step (the lecture
updates it once per epoch, A24), and optionally the lecture's quarter-cosine learning rate
$\eta_s = \eta\cos\big(\tfrac{\pi}{2}\,s/S\big)$ over $S$ steps, which §5.5 only plots (A12).
For a class-conditional net, the label is replaced by the null label with probability
`label_dropout` (classifier-free guidance, §6.3).

**Min-SNR weights** (`min_snr_gamma`; off in the quick and full recipes, $\gamma = 5$ in the
default one). Since
$\lVert\epsilon-\hat\epsilon\rVert^2 = \mathrm{SNR}_t\,\lVert x_0-\hat x_0\rVert^2$ with
$\mathrm{SNR}_t = \bar\alpha_t/(1-\bar\alpha_t)$, the plain loss weighs the nearly clean steps
most in image terms. Min-SNR-$\gamma$ (Hang et al. 2023) caps the image-space weight at $\gamma$,
i.e. multiplies sample $i$'s term by $w_{t_i} = \min(\mathrm{SNR}_{t_i},\gamma)/\mathrm{SNR}_{t_i}$:

$$ L_\gamma = \frac{1}{BD}\sum_{i=1}^{B} w_{t_i}\,\big\lVert \epsilon_i - \hat\epsilon_\theta(x_t^{(i)}, t_i)\big\rVert^2 . $$ {#eq:common.ddpm_net.min_snr}

**v-prediction** (an option: `prediction = DDPM_PRED_V`; Salimans & Ho 2022). The network's
output is read as $\hat v$, an estimate of
$v = \sqrt{\bar\alpha_t}\,\epsilon - \sqrt{1-\bar\alpha_t}\,x_0$, and trained on
$\lVert v - \hat v\rVert^2$ (with the same per-element mean and the same $t_i$, $\epsilon_i$).
With $a = \sqrt{\bar\alpha_t}$, $b = \sqrt{1-\bar\alpha_t}$, $a^2 + b^2 = 1$ and
$x_t = a x_0 + b\epsilon$,

$$ a\,v + b\,x_t = a^2\epsilon - ab\,x_0 + ab\,x_0 + b^2\epsilon = \epsilon,\qquad
   a\,x_t - b\,v = x_0 , $$ {#eq:common.ddpm_net.v_to_eps}

so every consumer keeps receiving $\hat\epsilon = a\hat v + b\,x_t$: `ddpm_net_eps` and the
`DiffEpsFn` adaptor convert inside, and the samplers are unchanged. In image terms
$\hat x_0 = a x_t - b\hat v$ carries the error of $\hat v$ times $b \le 1$ instead of the
$\epsilon$ error times $b/a$, which is unbounded as $\bar\alpha_t \to 0$. The loss, written
with $\hat x_0$: $\lVert v-\hat v\rVert^2 = (\mathrm{SNR}_t + 1)\,\lVert x_0-\hat x_0\rVert^2
= \big(1 + \mathrm{SNR}_t^{-1}\big)\lVert\epsilon-\hat\epsilon\rVert^2$, against
$\mathrm{SNR}_t\lVert x_0-\hat x_0\rVert^2$ for the $\epsilon$ loss: the same weighting in the
clean steps, weight $\ge 1$ instead of $\to 0$ in the noisy ones. Min-SNR-$\gamma$ for $v$ caps
the image-space weight at $\gamma$ as well: $w_t = \min(\mathrm{SNR}_t, \gamma)/(\mathrm{SNR}_t + 1)$.

**Files.** `ddpm_net_save` writes the project's parameter format (`nn_params_save`: checksum,
atomic rename) with two extra tensors first: `meta.config` (the configuration, the schedule's
kind, the scale it was trained at and the training data's mean pixel value, as float64; entry
22 is the prediction target, 0 = $\epsilon$, which files written before it existed hold there)
and `meta.alpha_bar` ($\bar\alpha_0..\bar\alpha_T$, float64). `ddpm_net_load` rebuilds the network from `meta.config`, checks that the stored
$\bar\alpha$ equals the schedule rebuilt from the configuration, and loads the weights; any
damaged or mismatched file (an unknown prediction target included) is an error with a message,
never a crash.

**Threads.** `ddpm_net_eps` may be called from several threads at once on disjoint data: each
OpenMP thread uses its own arena (the ops inside then run serially); called from one thread,
the ops parallelise inside. Training runs each minibatch as chunks of 8 images, one per free
thread (`GmTrainConfig.chunk_rows` of `common/genmodel.h`; each row's loss is its own, so the
chunks' gradients add up to the batch's): at the default batch of 16 the two cores each take
one chunk, where op by op they met at the end of every op. Results
do not depend on the thread count.
*/
#ifndef COMMON_DDPM_NET_H
#define COMMON_DDPM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/tiny_unet.h"

typedef enum {
    DDPM_SCHED_COSINE = 0, /* cosine, s = 0.008, beta clipped at beta_clip (0.999) */
    DDPM_SCHED_LINEAR = 1, /* linear beta 1e-4 .. 0.02 */
    DDPM_SCHED_COSINE_ZT = 2 /* the clipped cosine rescaled to zero terminal SNR (Lin et al.) */
} DdpmSchedKind;

typedef enum {
    DDPM_PRED_EPS = 0, /* the network predicts the noise eps (DDPM; the lecture) */
    DDPM_PRED_V = 1    /* it predicts v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans & Ho) */
} DdpmPrediction;

typedef struct {
    TinyUNetConfig net;
    DdpmPrediction prediction; /* what the output means; every eps function converts */
    DdpmSchedKind schedule;
    int T;            /* 1000 */
    double beta_clip; /* 0.999 (cosine only); <= 0: the lecture's unclipped cosine */
} DdpmNetConfig;

#define DDPM_NET_MAX_THREADS 64

typedef struct {
    DdpmNetConfig cfg;
    TinyUNet live, ema;        /* theta and its EMA */
    DiffusionSchedule sched;   /* beta[0..T], alpha_bar[0..T] */
    Scale scale;               /* the scale it was trained at */
    long steps_trained;
    int batch;                 /* minibatch of that training */
    char data[32];             /* dataset name ("mnist", "digits", ...) */
    double x0_mean;            /* mean pixel value of the training images (the prior guess of x0
                                  that DdpmEpsCtx.prior_below_abar falls back to) */
    AdArena *arena[DDPM_NET_MAX_THREADS]; /* inference arenas, one per thread, made on demand */
} DdpmNet;

const char *ddpm_sched_name(DdpmSchedKind k);
const char *ddpm_pred_name(DdpmPrediction p); /* "eps" / "v" */
/* The prediction target named s ("eps" or "v"); -1 when it is neither. */
int ddpm_pred_parse(const char *s);
DiffusionSchedule ddpm_make_schedule(DdpmSchedKind k, int T, double beta_clip);

/* A fresh (untrained) net: live and EMA weights equal, drawn from seed. */
void ddpm_net_init(DdpmNet *net, const DdpmNetConfig *cfg, uint64_t seed);
void ddpm_net_free(DdpmNet *net);

/* ---------------------------------------------------------------------------------------- */
/* Training */

typedef struct {
    long steps;
    int batch;
    double lr;               /* Adam, 1e-3 */
    double clip_norm;        /* <= 0: none */
    double ema_decay;        /* 0.999 (the lecture: 0.9999); 0: no EMA (ema = live at the end) */
    int lr_quarter_cosine;   /* 1: eta cos(pi s / (2 S)) */
    int lecture_single_t;    /* 1: one t per minibatch (the lecture, A11) */
    double label_dropout;    /* conditional nets: probability of the null label */
    double min_snr_gamma;    /* > 0: per-sample weights min(SNR_t, gamma) / SNR_t (Min-SNR) */
    uint64_t seed;           /* minibatches, t and noise: one Philox stream */
    const char *label;       /* progress line */
    const char *check_id;    /* the "stayed finite" check of gm_train (NULL: none) */
    TinyUNet *snapshot;      /* optional: receives the live weights after step snapshot_at */
    long snapshot_at;        /* 0-based step index */
    struct GpuContext *gpu;  /* the device for gm_train (NULL: the CPU); see genmodel.h */
} DdpmTrainConfig;

/* The loss weight of step t: min(SNR_t, gamma) / SNR_t with SNR_t = abar_t / (1 - abar_t)
   (Min-SNR-gamma, Hang et al. 2023, written for the eps loss), min(SNR_t, gamma) / (SNR_t + 1)
   for a v-predicting net; 1 when gamma <= 0. */
double ddpm_loss_weight(const DdpmNet *net, int t, double gamma);

/* The quarter-cosine learning rate eta cos(pi s / (2 S)) at step s of S (§5.5). */
double ddpm_lr_quarter_cosine(double lr, long step, long total);

typedef struct {
    long steps_done;
    int diverged;
    long bad_step;
    double first_loss;       /* step 0 */
    double first10_mean;     /* mean loss of the first min(10, steps) steps */
    double tail_mean;        /* mean loss of the last 10 % of steps */
    /* per step (steps_done values each; free with ddpm_train_result_free) */
    double *loss, *grad_norm, *lr;
} DdpmTrainResult;

/* Trains net->live on images (n x H x H floats in [-1, 1]) with labels (n ints, or NULL;
   required for a conditional net) and leaves the EMA in net->ema. Progress on stderr; a
   non-finite loss or gradient stops training and fails check_id naming the step. */
DdpmTrainResult ddpm_net_train(DdpmNet *net, const DdpmTrainConfig *cfg, const float *images,
                               const int *labels, int n);
void ddpm_train_result_free(DdpmTrainResult *r);
/* Writes step,loss,grad_norm,lr as CSV and the loss curve (log y) over the LR as a PNG;
   either path may be NULL. Returns 0, or -1 with a message on stderr. */
int ddpm_train_result_write(const DdpmTrainResult *r, const char *csv_path, const char *png_path);

/* The default recipe of a scale (quick / default / full): network, schedule and training.
   Program 20 and ddpm_net_load_or_train use the same recipe. */
void ddpm_recipe(Scale scale, DdpmNetConfig *net, DdpmTrainConfig *train);

/* ---------------------------------------------------------------------------------------- */
/* Data: a dataset of common/data.h as floats in [-1, 1], split into a training part and a
   held-out part (the last n_heldout images). */

typedef struct {
    int n, n_train, n_heldout, side; /* images are side x side */
    float *x;                        /* n x side^2, in [-1, 1] */
    int *y;                          /* n labels */
    int n_classes;
    char name[32];
    int fell_back;                   /* 1: the requested set was missing, the 8x8 digits used */
} DdpmData;

/* Loads `name` ("mnist" by default) from data_dir, falling back to the 8x8 digits as data.h
   does (saying so on stderr). held-out: min(1000, n/10) images. Exits 2 when nothing loads. */
void ddpm_data_load(const char *data_dir, const char *name, DdpmData *d);
void ddpm_data_free(DdpmData *d);

/* ---------------------------------------------------------------------------------------- */
/* Files */

/* Saves the given weights (net->ema or net->live) with the config, schedule and scale. */
int ddpm_net_save(const DdpmNet *net, const TinyUNet *weights, const char *path, char *err,
                  size_t errlen);
/* Loads a file written by ddpm_net_save into a new net (live = EMA = the file's weights).
   Returns 0, or -1 with a message (net left zeroed, safe to ddpm_net_free). */
int ddpm_net_load(DdpmNet *net, const char *path, char *err, size_t errlen);

/* The --net FILE flag for a program's CliExtra table (target: a const char *). */
#define DDPM_NET_CLI_FLAG(target) \
    {"--net", CLI_STRING, &(target), "trained DDPM weights (default: program 20's weights_ema.bin)"}

/* Loads the trained net for a program of L36: net_file if given (an error there exits 2), else
   program 20's weights_ema.bin beside the caller's default out dir, else the caller's own out
   dir; a file is used when it was trained at a scale >= cli->scale. Otherwise trains one with
   ddpm_recipe(cli->scale) on the default data (same code path as program 20) and saves it into
   the caller's out dir, saying so. Returns 1 when loaded, 0 when trained here. */
int ddpm_net_load_or_train(const Cli *cli, const char *net_file, DdpmNet *net);

/* ---------------------------------------------------------------------------------------- */
/* Inference (no tape) */

/* eps_hat for n images x (n x H x H) at times t[n] (1..T) with labels y (NULL: null label),
   with the EMA weights (ddpm_net_eps) or the given ones (ddpm_net_eps_with), in batches. A
   v-predicting net's output is converted: eps_hat = sqrt(abar_t) v_hat + sqrt(1 - abar_t) x_t
   (eq. v_to_eps, in double). */
void ddpm_net_eps(DdpmNet *net, const float *x, const int *t, const int *y, int n, float *eps_out);
void ddpm_net_eps_with(DdpmNet *net, const TinyUNet *w, const float *x, const int *t, const int *y,
                       int n, float *eps_out);

/* The DiffEpsFn of diffusion_sampler.h: ctx is a DdpmEpsCtx. */
typedef struct {
    DdpmNet *net;
    const TinyUNet *weights; /* NULL: net->ema */
    int label;               /* < 0: the null label (unconditional) */
    int clamp_x0;            /* 1: clamp x0_hat = (x - sqrt(1-abar) eps)/sqrt(abar) to [-1, 1]
                                and return the eps consistent with it (spec A3) */
    double prior_below_abar; /* > 0 (with clamp_x0): where abar_t is below it, x0_hat is the
                                training data's mean net->x0_mean (see below); 0: off */
} DdpmEpsCtx;
/* Why a prior below a small abar: the network's x0_hat = (x - sqrt(1-abar) eps_hat)/sqrt(abar)
   carries its eps error e amplified by 1/sqrt(abar) (x 32 at t = 980 of the clipped cosine,
   x 20,000 at t = T), so where abar is tiny x0_hat is that error, and the clamp turns it into a
   saturated +-1 pattern with about half of the pixels inked (measured on held-out digits by
   program 20; real digits ink 13 %). Each DDIM step then adds sqrt(abar_s) times this pattern:
   over-inked blobs. As abar -> 0 the posterior mean E[x0 | x_t] tends to the data mean, which is
   what the prior uses. DDPM_PRIOR_ABAR is the threshold the L36 programs use. */
#define DDPM_PRIOR_ABAR 0.01
void ddpm_net_diff_eps(const double *x, size_t n, size_t dim, int t, double abar_t,
                       double *eps_out, void *ctx);

#endif
