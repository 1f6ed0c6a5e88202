/*: # genmodel — one interface for every generative model of the course

Lecture 42 (Z5, 4.1–4.9) closes the course by asking what all the models of lectures 33–42 have
in common. This module is the C answer. A generative model of data $x \in \mathbb R^D$ is
something we can **train** (move parameters $\theta$ down a loss estimated on a minibatch) and
**sample** from; some families can also give the **log-likelihood** $\log p_\theta(x)$ (exactly,
like a normalizing flow, or as a bound, like a VAE), and some have a latent space they can
**encode** into and **decode** from.

The lecture expresses this as a four-layer trait hierarchy (paradigm → family → model). Here the
hierarchy is data, not types: a model carries a paradigm tag, a family tag and a bitmask of
capabilities, and a small table of function pointers (`GenModelVT`). A function pointer that a
family does not have is `NULL`, and its capability bit is clear; `gm_check_caps` verifies that
rule.

| paradigm | what is learned | families |
|---|---|---|
| likelihood | $p_\theta(x)$ or a bound on it | VAE, autoregressive |
| flow | an invertible map or a velocity field | RealNVP, CNF, flow matching |
| implicit | a sampler $x = G_\theta(z)$ only | GAN |
| score | $\nabla_x \log p_t(x)$ | score SDE, DDPM |

**Training as players.** The lecture's single `loss(x) -> Tensor` cannot describe a GAN, which
has two losses minimised by two parameter sets in turn. So a model here declares $P \ge 1$
*players*; player $p$ owns a parameter list and an optimiser, and `train_step(m, p, …)` builds
player $p$'s loss on a minibatch as an autodiff graph. Every other part of a step is the same for
every family and lives once, in `gm_train`:

$$ g = \nabla_{\theta_p} L_p(\theta; x_{1:B}),\qquad
   g \leftarrow g\cdot\min\!\big(1, c/\lVert g\rVert\big),\qquad
   \theta_p \leftarrow \mathrm{Opt}(\theta_p, g),\qquad
   \bar\theta \leftarrow \delta\bar\theta + (1-\delta)\theta $$ {#eq:common.genmodel.train_step}

(zero the gradients, backward, clip by global norm, optimiser step, EMA). A one-player model
(VAE, flow, diffusion) runs one update per step; a GAN runs $n_\text{critic}$ updates of the
discriminator (player 0) and then one of the generator (player 1). A non-finite loss or gradient
stops the loop and is reported as a failed check naming the step — a diverged training run is a
result, not a crash.

**Evaluation on 2-D toys** (`gm_eval_*`): the squared maximum mean discrepancy with an RBF
kernel (unbiased U-statistic) between model samples and held-out data,

$$ \widehat{\mathrm{MMD}}^2_u = \frac{1}{n(n-1)}\sum_{i\ne j}k(x_i,x_j)
   + \frac{1}{m(m-1)}\sum_{i\ne j}k(y_i,y_j) - \frac{2}{nm}\sum_{i,j}k(x_i,y_j), $$ {#eq:common.genmodel.mmd_u}

whose scale is read off the same statistic between *two independent data samples* (its mean is
0 and its spread is the bar a perfect model would show); the KL divergence
$\mathrm{KL}(p\Vert q_\theta) = \mathbb E_p[\log p - \log q_\theta] \ge 0$ when the data density
is known exactly, estimated with a paired standard error; and sample moments with standard errors.
*/
#ifndef COMMON_GENMODEL_H
#define COMMON_GENMODEL_H

#include <stddef.h>

#include "common/ad.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/rng.h"

typedef enum { GM_PAR_LIKELIHOOD, GM_PAR_FLOW, GM_PAR_IMPLICIT, GM_PAR_SCORE, GM_PAR_NONE } GmParadigm;
typedef enum { GM_FAM_VAE, GM_FAM_FLOW, GM_FAM_GAN, GM_FAM_DIFFUSION, GM_FAM_AR, GM_FAM_WORLD } GmFamily;

enum {
    GM_CAP_SAMPLE = 1u << 0,         /* sample() */
    GM_CAP_LOGLIK = 1u << 1,         /* log_likelihood() (exact or a lower bound) */
    GM_CAP_EXACT_LOGLIK = 1u << 2,   /* ... and it is exact */
    GM_CAP_ENCODE = 1u << 3,         /* encode() */
    GM_CAP_DECODE = 1u << 4,         /* decode() */
};

#define GM_MAX_PLAYERS 2
#define GM_MAX_TERMS 6

/* The named terms of a loss (e.g. "recon", "kl"), for printing; total is what is minimised. */
typedef struct {
    double total;
    int nterms;
    const char *name[GM_MAX_TERMS];
    double value[GM_MAX_TERMS];
} GmLoss;

typedef struct GenModel GenModel;

typedef struct {
    const char *name;
    GmFamily family;
    GmParadigm paradigm;
    unsigned caps;
    /* Player p's loss on the minibatch x (n x dim, float32) as a scalar tensor in `arena`;
       `terms` (may be NULL) receives its named parts. rng: the step's noise. */
    AdTensor *(*train_step)(GenModel *m, int player, AdArena *arena, const float *x, int n,
                            Rng *rng, GmLoss *terms);
    /* n samples into x_out (n x dim). */
    void (*sample)(GenModel *m, int n, float *x_out, Rng *rng);
    /* log p(x_i) in nats, with every normalising constant, into lp (n). */
    void (*log_likelihood)(GenModel *m, const float *x, int n, double *lp);
    void (*encode)(GenModel *m, const float *x, int n, float *z_out);
    void (*decode)(GenModel *m, const float *z, int n, float *x_out);
    void (*destroy)(GenModel *m); /* frees `self` and what it owns */
} GenModelVT;

/* One player: the parameters it moves and how. */
typedef struct {
    const char *name;      /* "discriminator", "generator", "model" */
    NnParams params;       /* filled by the model's constructor (gm_init sets it up empty) */
    OptimConfig opt;
    int updates_per_step;  /* e.g. n_critic for a WGAN critic; 1 otherwise */
} GmPlayer;

struct GenModel {
    const GenModelVT *vt;
    void *self;            /* the family's own state */
    int dim;               /* data dimension D */
    int nplayers;
    GmPlayer player[GM_MAX_PLAYERS];
};

/* Sets the tags and players' defaults (one player "model", Adam 1e-3, one update per step). */
void gm_init(GenModel *m, const GenModelVT *vt, void *self, int dim);
void gm_free(GenModel *m);                 /* vt->destroy, then the parameter lists */
long gm_num_params(const GenModel *m);
const char *gm_paradigm_name(GmParadigm p);
const char *gm_family_name(GmFamily f);
/* The capability rule: each optional function pointer is non-NULL iff its bit is set, and
   EXACT_LOGLIK implies LOGLIK. Returns 1 when it holds. */
int gm_check_caps(const GenModelVT *vt);

/* ---------------------------------------------------------------------------------------- */
/* The shared training loop (4.9) */

typedef struct {
    long steps;            /* outer steps */
    int batch;             /* minibatch size B, drawn with replacement from the data;
                              <= 0: full batch, the whole data every step (deterministic gradient) */
    int row;               /* floats per data row; 0: m->dim. Rectified flow's reflow trains on
                              coupled pairs (x0, x1), rows of 2 dim. */
    double clip_norm;      /* c; <= 0: no clipping */
    double ema_decay;      /* delta; 0: no EMA (the EMA, if any, is copied into the live
                              parameters at the end) */
    const char *label;     /* progress line */
    const char *check_id;  /* id of the "training stayed finite" check */
    /* Optional hooks (added for L36's Tiny DDPM, program 20; NULL/0: none):
       lr_at(step, ctx): the learning rate of every player's optimiser for this step;
       on_update(step, player, loss, grad_norm before clipping, lr, ctx): after each update;
       ema_into: a parameter list of the same layout as the players' lists laid end to end that
       receives the EMA at the end, leaving the live parameters as trained (NULL: the EMA is
       copied into the live parameters, as described above). */
    double (*lr_at)(long step, void *ctx);
    void (*on_update)(long step, int player, double loss, double grad_norm, double lr, void *ctx);
    void *hook_ctx;
    const NnParams *ema_into;
    /* The device (gpu/gpu.h's GpuContext, opened by the program's --gpu; NULL: the CPU). With a
       context every step records the family's loss in common/ad's record-only mode and runs it,
       with the backward pass, clipping, Adam/AdamW and the EMA, on the device (gm_train_device,
       gpu/gpu_ad_replay.c); when the graph has an op without a device kernel, or the device
       fails, the CPU loop runs from the unchanged start (a line on stderr says why). The hooks
       see the live parameters on both paths. */
    struct GpuContext *gpu;
    /* Data parallelism on the CPU (0: off). A family whose loss is the mean over the rows of a
       minibatch of per-row terms (the rows independent given the parameters) may set it: a
       single-player model's minibatch of B > chunk_rows rows then runs as chunks of chunk_rows
       rows, one per free thread (common/chunked_step.h), chunk k drawing from stream k of a key
       the run's Rng gives every step; the step's loss and gradient are the chunks', weighted by
       rows / B and added in chunk order. Same bits for every thread count; other numbers than
       the unchunked step (the per-row draws come from the chunks' streams). */
    int chunk_rows;
} GmTrainConfig;

typedef struct {
    long steps_done;
    int diverged;          /* 1 when a loss or gradient was not finite */
    long bad_step;         /* the step where it happened (-1 when none) */
    double avg_loss[GM_MAX_PLAYERS];   /* mean loss over the last 10 % of steps, per player */
    double first_loss[GM_MAX_PLAYERS]; /* loss at step 0, per player */
    int on_device;         /* 1 when every step ran on cfg->gpu */
} GmTrainResult;

/* The device gm_train uses when cfg->gpu is NULL: a program sets it once from its --gpu flag
   (gpu/gpu_or_cpu.h's goc_training_device); NULL, the start: the CPU. */
void gm_set_default_gpu(struct GpuContext *g);

/* Trains m on data (n x m->dim), one Philox stream `rng` for minibatches and noise. Emits one
   check (`cfg->check_id`): passes when every loss and gradient stayed finite. */
GmTrainResult gm_train(GenModel *m, const float *data, int n, const GmTrainConfig *cfg, Rng *rng);
/* The device executor of gm_train (defined in gpu/gpu_ad_replay.c, part of the same library;
   a build without Vulkan links the stub backend, where it fails at once). Trains on cfg->gpu
   and returns 0, or -1 with the reason in why: the caller then restores the parameters and the
   Rng and runs the CPU loop. On a diverged step the device has already applied that step's
   update (the CPU loop stops before it); a diverged run's parameters are not used either way. */
int gm_train_device(GenModel *m, const float *data, int n, const GmTrainConfig *cfg, Rng *rng,
                    GmTrainResult *res, char *why, size_t whylen);

/* ---------------------------------------------------------------------------------------- */
/* The smallest family: a diagonal Gaussian fitted by maximum likelihood (L07). It is the
   baseline every toy model must beat, and the example of adding a model without touching the
   loop. Parameters mu (d) and log sigma (d), both starting at 0; exact log-likelihood. */
void gm_diag_gaussian_init(GenModel *m, int dim);
/* Its current mu and sigma (arrays of dim). */
void gm_diag_gaussian_get(const GenModel *m, double *mu, double *sigma);

/* ---------------------------------------------------------------------------------------- */
/* Shared evaluation on low-dimensional data (2-D toys) */

/* Unbiased MMD^2 between x (n x d) and y (m x d), RBF kernel exp(-|a-b|^2 / (2 sigma^2)).
   [eq:common.genmodel.mmd_u] */
double gm_mmd2_unbiased(const float *x, int n, const float *y, int m, int d, double sigma);

/* KL(p || q) = E_p[log p - log q] from paired log-densities of points drawn from p:
   returns the mean, *se its standard error. */
double gm_kl_paired(const double *logp, const double *logq, int n, double *se);

/* Per-coordinate mean and second moment E[x_j^2] with standard errors (arrays of d). */
void gm_moments(const float *x, int n, int d, double *mean, double *mean_se, double *m2,
                double *m2_se);

/* The law of the toy every family of L42 is trained on, TOY2D_GAUSSIANS8 of common/data.h
   (8 equal components at 2(cos 2 pi k/8, sin 2 pi k/8), std 0.1), as a mixture whose log-density
   is exact; centres (16 doubles, may be NULL) receives the means for mode counting. */
Gmm gm_gaussians8_law(double *centres);

/* Number of centres (k x d) that hold at least frac of the n samples within radius r. */
int gm_modes_covered(const float *x, int n, int d, const double *centres, int k, double r,
                     double frac);

#endif
