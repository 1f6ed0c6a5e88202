/* genmodel — the unified interface, training loop and toy evaluation of L42 Z5 (see genmodel.h). */
#include "common/genmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/chunked_step.h"
#include "common/progress.h"
#include "common/util.h"

#define GM_MAX_BLOCKS 128

void gm_init(GenModel *m, const GenModelVT *vt, void *self, int dim) {
    memset(m, 0, sizeof *m);
    m->vt = vt;
    m->self = self;
    m->dim = dim;
    m->nplayers = 1;
    for (int p = 0; p < GM_MAX_PLAYERS; p++) {
        m->player[p].name = "model";
        nn_params_init(&m->player[p].params);
        m->player[p].opt = optim_adam(1e-3, 0.9, 0.999, 1e-8, 0.0);
        m->player[p].updates_per_step = 1;
    }
}

void gm_free(GenModel *m) {
    if (m->vt && m->vt->destroy) m->vt->destroy(m);
    for (int p = 0; p < GM_MAX_PLAYERS; p++) nn_params_free(&m->player[p].params);
    m->self = NULL;
}

long gm_num_params(const GenModel *m) {
    long n = 0;
    for (int p = 0; p < m->nplayers; p++) n += nn_params_numel(&m->player[p].params);
    return n;
}

const char *gm_paradigm_name(GmParadigm p) {
    static const char *names[] = {"likelihood", "flow", "implicit", "score", "none"};
    return (p >= GM_PAR_LIKELIHOOD && p <= GM_PAR_NONE) ? names[p] : "?";
}

const char *gm_family_name(GmFamily f) {
    static const char *names[] = {"VAE", "Flow", "GAN", "Diffusion", "AR", "World"};
    return (f >= GM_FAM_VAE && f <= GM_FAM_WORLD) ? names[f] : "?";
}

int gm_check_caps(const GenModelVT *vt) {
    int ok = vt->train_step != NULL && vt->destroy != NULL;
    ok &= ((vt->caps & GM_CAP_SAMPLE) != 0) == (vt->sample != NULL);
    ok &= ((vt->caps & GM_CAP_LOGLIK) != 0) == (vt->log_likelihood != NULL);
    ok &= ((vt->caps & GM_CAP_ENCODE) != 0) == (vt->encode != NULL);
    ok &= ((vt->caps & GM_CAP_DECODE) != 0) == (vt->decode != NULL);
    ok &= !(vt->caps & GM_CAP_EXACT_LOGLIK) || (vt->caps & GM_CAP_LOGLIK);
    return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* The training loop, [eq:common.genmodel.train_step] */

/* The "training stayed finite" check, whichever path ran. */
static void finite_check(const GenModel *m, const GmTrainConfig *cfg, const GmTrainResult *res, int B) {
    if (!cfg->check_id) return;
    if (res->diverged)
        check_true(cfg->check_id, 0, "%s: training diverged (non-finite loss or gradient) at step %ld",
                   m->vt->name, res->bad_step);
    else
        check_true(cfg->check_id, 1, "%s: every loss and gradient finite over %ld steps (B=%d)",
                   m->vt->name, res->steps_done, B);
}

/* With a device: gm_train_device; on failure the parameters and the Rng go back to where they
   were and the CPU loop below runs. Returns 1 when the device did the whole run. */
static int train_on_device(GenModel *m, const float *data, int n, const GmTrainConfig *cfg,
                           Rng *rng, GmTrainResult *res) {
    ParamBlock blocks[GM_MAX_BLOCKS];
    int nb = 0;
    for (int p = 0; p < m->nplayers; p++)
        nb += nn_params_blocks(&m->player[p].params, blocks + nb, GM_MAX_BLOCKS - nb);
    size_t total = 0;
    for (int b = 0; b < nb; b++) total += blocks[b].n;
    float *start = xmalloc((total ? total : 1) * sizeof *start);
    for (int b = 0, off = 0; b < nb; off += (int)blocks[b].n, b++)
        memcpy(start + off, blocks[b].value, blocks[b].n * sizeof(float));
    const Rng rng0 = rng ? *rng : (Rng){0};
    char why[320] = "";
    int ok = gm_train_device(m, data, n, cfg, rng, res, why, sizeof why) == 0;
    if (!ok) {
        fprintf(stderr, "gm_train: %s: the device path stopped (%s); training on the CPU from the "
                        "unchanged start\n", m->vt->name, why);
        for (int b = 0, off = 0; b < nb; off += (int)blocks[b].n, b++)
            memcpy(blocks[b].value, start + off, blocks[b].n * sizeof(float));
        if (rng) *rng = rng0;
        *res = (GmTrainResult){.bad_step = -1};
    }
    free(start);
    return ok;
}

/* The data-parallel step of GmTrainConfig.chunk_rows (common/chunked_step.h): chunk k of the
   minibatch xb draws from stream k of a key the run's Rng gives every step, and its loss is the
   family's (a mean over its rows) weighted by its share of the rows. */
typedef struct {
    GenModel *m;
    const float *xb;
    int B, D;
    uint64_t key;
} ChunkCtx;

static AdTensor *chunk_loss(void *ctx, AdArena *arena, int k, int row0, int nrows) {
    const ChunkCtx *c = ctx;
    Rng rk;
    rng_init(&rk, c->key, (uint64_t)k);
    //: chunk $k$'s share of the loss, $\frac{n_k}{B}L_k$ ($L_k$ the mean over its $n_k$ rows)
    return ad_scale(arena, c->m->vt->train_step(c->m, 0, arena, c->xb + (size_t)row0 * c->D, nrows, &rk, NULL),
                    (double)nrows / c->B);
}

static struct GpuContext *default_gpu;

void gm_set_default_gpu(struct GpuContext *g) { default_gpu = g; }

GmTrainResult gm_train(GenModel *m, const float *data, int n, const GmTrainConfig *cfg_in, Rng *rng) {
    GmTrainResult res = {.bad_step = -1};
    if (!data || n <= 0) die("gm_train: %s: no training data", m->vt->name);
    if (cfg_in->batch > 0 && !rng) die("gm_train: %s: minibatches need an Rng", m->vt->name);
    GmTrainConfig with_gpu = *cfg_in;
    if (!with_gpu.gpu) with_gpu.gpu = default_gpu;
    const GmTrainConfig *cfg = &with_gpu;
    if (cfg->gpu && train_on_device(m, data, n, cfg, rng, &res)) {
        res.on_device = 1;
        finite_check(m, cfg, &res, cfg->batch <= 0 ? n : cfg->batch);
        return res;
    }
    const int D = cfg->row > 0 ? cfg->row : m->dim, P = m->nplayers;
    const int full = cfg->batch <= 0, B = full ? n : cfg->batch;
    ParamBlock blocks[GM_MAX_BLOCKS];
    int first[GM_MAX_PLAYERS + 1] = {0};
    Optimizer *opt[GM_MAX_PLAYERS] = {0};
    for (int p = 0; p < P; p++) {
        int nb = nn_params_blocks(&m->player[p].params, blocks + first[p], GM_MAX_BLOCKS - first[p]);
        first[p + 1] = first[p] + nb;
        opt[p] = optim_new(blocks + first[p], nb, m->player[p].opt);
    }
    Ema *ema = cfg->ema_decay > 0 ? ema_new(blocks, first[P], cfg->ema_decay) : NULL;
    AdArena *arena = ad_arena_new(1 << 20);
    float *xb = xmalloc((size_t)B * D * sizeof *xb);
    double tail_sum[GM_MAX_PLAYERS] = {0};
    long tail_count[GM_MAX_PLAYERS] = {0};
    const long tail_from = cfg->steps - (cfg->steps + 9) / 10;
    ChunkedStep *chunked = cfg->chunk_rows > 0 && P == 1 && !full && B > cfg->chunk_rows
                               ? chunked_step_new(m->player[0].params.t, m->player[0].params.n, B, cfg->chunk_rows)
                               : NULL;

    Progress prog;
    progress_start(&prog, cfg->label ? cfg->label : m->vt->name, cfg->steps);
    long s = 0;
    double last = NAN;
    for (; s < cfg->steps && !res.diverged; s++) {
        for (int p = 0; p < P && !res.diverged; p++) {
            for (int u = 0; u < m->player[p].updates_per_step; u++) {
                for (int i = 0; i < B && !full; i++)
                    memcpy(xb + (size_t)i * D, data + (size_t)rng_below(rng, (uint32_t)n) * D,
                           (size_t)D * sizeof *xb);
                double lv;
                if (chunked) {
                    ChunkCtx c = {m, xb, B, D, rng_u64(rng)};
                    lv = chunked_step_run(chunked, chunk_loss, &c);
                } else {
                    ad_arena_reset(arena);
                    AdTensor *loss = m->vt->train_step(m, p, arena, full ? data : xb, B, rng, NULL);
                    lv = ad_item(loss);
                    //: zero every player's gradients: another player's graph may reach them too
                    params_zero_grad(blocks, first[P]);
                    ad_backward(arena, loss);
                }
                double gnorm = grad_global_norm(blocks + first[p], first[p + 1] - first[p]);
                if (!isfinite(lv) || !isfinite(gnorm)) {
                    res.diverged = 1;
                    res.bad_step = s;
                    break;
                }
                //: $g \leftarrow g\min(1, c/\lVert g\rVert)$, [eq:common.genmodel.train_step]
                if (cfg->clip_norm > 0)
                    clip_grad_norm(blocks + first[p], first[p + 1] - first[p], cfg->clip_norm);
                if (cfg->lr_at) optim_set_lr(opt[p], cfg->lr_at(s, cfg->hook_ctx));
                optim_step(opt[p]);
                if (cfg->on_update) cfg->on_update(s, p, lv, gnorm, opt[p]->cfg.lr, cfg->hook_ctx);
                if (s == 0 && u == 0) res.first_loss[p] = lv;
                if (s >= tail_from) tail_sum[p] += lv, tail_count[p]++;
                last = lv;
            }
        }
        progress_update_value(&prog, s + 1, "loss", last);
        //: $\bar\theta \leftarrow \delta\bar\theta + (1-\delta)\theta$
        if (ema && !res.diverged) ema_update(ema);
    }
    progress_end(&prog);
    res.steps_done = s;
    for (int p = 0; p < P; p++)
        res.avg_loss[p] = tail_count[p] ? tail_sum[p] / (double)tail_count[p] : NAN;
    if (ema && cfg->ema_into) {
        ParamBlock into[GM_MAX_BLOCKS];
        int nb = nn_params_blocks(cfg->ema_into, into, GM_MAX_BLOCKS);
        if (nb != first[P]) die("gm_train: ema_into has %d blocks, the players %d", nb, first[P]);
        size_t off = 0; /* the shadow holds the blocks end to end, in order */
        for (int b = 0; b < nb; b++) {
            if (into[b].n != blocks[b].n) die("gm_train: ema_into block %d differs in size", b);
            memcpy(into[b].value, ema->shadow + off, blocks[b].n * sizeof(float));
            off += blocks[b].n;
        }
    } else if (ema) {
        ema_copy_to_params(ema);
    }
    finite_check(m, cfg, &res, B);
    chunked_step_free(chunked);
    free(xb);
    ad_arena_free(arena);
    ema_free(ema);
    for (int p = 0; p < P; p++) optim_free(opt[p]);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Evaluation */

static double rbf(const float *a, const float *b, int d, double inv2s2) {
    double r2 = 0;
    for (int j = 0; j < d; j++) {
        double t = (double)a[j] - (double)b[j];
        r2 += t * t;
    }
    return exp(-r2 * inv2s2);
}

double gm_mmd2_unbiased(const float *x, int n, const float *y, int m, int d, double sigma) {
    const double c = 1.0 / (2.0 * sigma * sigma);
    double kxx = 0, kyy = 0, kxy = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) kxx += rbf(x + (size_t)i * d, x + (size_t)j * d, d, c);
    for (int i = 0; i < m; i++)
        for (int j = i + 1; j < m; j++) kyy += rbf(y + (size_t)i * d, y + (size_t)j * d, d, c);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) kxy += rbf(x + (size_t)i * d, y + (size_t)j * d, d, c);
    //: [eq:common.genmodel.mmd_u]: the pair sums above count i<j once, hence the factor 2
    return 2.0 * kxx / ((double)n * (n - 1)) + 2.0 * kyy / ((double)m * (m - 1)) -
           2.0 * kxy / ((double)n * m);
}

double gm_kl_paired(const double *logp, const double *logq, int n, double *se) {
    double mean = 0, m2 = 0;
    for (int i = 0; i < n; i++) {
        double dlt = logp[i] - logq[i], prev = mean;
        mean += (dlt - mean) / (i + 1);
        m2 += (dlt - prev) * (dlt - mean);
    }
    if (se) *se = n > 1 ? sqrt(m2 / (n - 1) / n) : NAN;
    return mean;
}

void gm_moments(const float *x, int n, int d, double *mean, double *mean_se, double *m2,
                double *m2_se) {
    for (int j = 0; j < d; j++) {
        double a = 0, a2 = 0, b = 0, b2 = 0;
        for (int i = 0; i < n; i++) {
            double v = x[(size_t)i * d + j], v2 = v * v;
            a += v, a2 += v * v, b += v2, b2 += v2 * v2;
        }
        double ma = a / n, mb = b / n;
        if (mean) mean[j] = ma;
        if (m2) m2[j] = mb;
        if (mean_se) mean_se[j] = sqrt(fmax(a2 / n - ma * ma, 0) * n / (n - 1.0) / n);
        if (m2_se) m2_se[j] = sqrt(fmax(b2 / n - mb * mb, 0) * n / (n - 1.0) / n);
    }
}

Gmm gm_gaussians8_law(double *centres) {
    Gmm g = gmm_new(8, 2);
    for (int k = 0; k < 8; k++) {
        double mu[2] = {2.0 * cos(2.0 * M_PI * k / 8.0), 2.0 * sin(2.0 * M_PI * k / 8.0)};
        gmm_set(&g, k, 1.0, mu, NULL, 0.01);
        if (centres) centres[2 * k] = mu[0], centres[2 * k + 1] = mu[1];
    }
    gmm_normalise(&g);
    return g;
}

int gm_modes_covered(const float *x, int n, int d, const double *centres, int k, double r,
                     double frac) {
    int covered = 0;
    for (int c = 0; c < k; c++) {
        long hits = 0;
        for (int i = 0; i < n; i++) {
            double r2 = 0;
            for (int j = 0; j < d; j++) {
                double t = x[(size_t)i * d + j] - centres[(size_t)c * d + j];
                r2 += t * t;
            }
            hits += r2 <= r * r;
        }
        covered += hits >= frac * n;
    }
    return covered;
}

/* ---------------------------------------------------------------------------------------- */
/* The diagonal Gaussian: log p(x) = sum_j [-(x_j - mu_j)^2 / (2 sigma_j^2) - log sigma_j
   - log(2 pi)/2] */

typedef struct {
    AdTensor *mu, *log_sigma; /* (1, d) each */
} DiagGauss;

static AdTensor *dg_logpdf_graph(GenModel *m, AdArena *arena, const float *x, int n) {
    DiagGauss *g = m->self;
    int shape[2] = {n, m->dim};
    AdTensor *xt = ad_from_array(arena, AD_F32, 2, shape, x);
    AdTensor *z = ad_div(arena, ad_sub(arena, xt, g->mu), ad_exp(arena, g->log_sigma));
    AdTensor *lp = ad_scale(arena, ad_square(arena, z), -0.5);
    lp = ad_sub(arena, lp, g->log_sigma);
    lp = ad_add_const(arena, lp, -0.5 * log(2.0 * M_PI));
    return ad_sum_axis(arena, lp, 1, 0); /* (n) */
}

static AdTensor *dg_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n,
                               Rng *rng, GmLoss *terms) {
    (void)player, (void)rng;
    AdTensor *nll = ad_scale(arena, ad_mean(arena, dg_logpdf_graph(m, arena, x, n)), -1.0);
    if (terms) *terms = (GmLoss){.total = ad_item(nll), .nterms = 1, .name = {"nll"}, .value = {ad_item(nll)}};
    return nll;
}

static void dg_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    DiagGauss *g = m->self;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m->dim; j++)
            x_out[(size_t)i * m->dim + j] =
                (float)(ad_get(g->mu, j) + exp(ad_get(g->log_sigma, j)) * rng_normal(rng));
}

static void dg_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 16);
    AdTensor *t = dg_logpdf_graph(m, arena, x, n);
    for (int i = 0; i < n; i++) lp[i] = ad_get(t, i);
    ad_arena_free(arena);
}

static void dg_destroy(GenModel *m) {
    DiagGauss *g = m->self;
    ad_tensor_free(g->mu);
    ad_tensor_free(g->log_sigma);
    free(g);
}

static const GenModelVT DIAG_GAUSS_VT = {
    .name = "diag-Gaussian",
    .family = GM_FAM_FLOW, /* an affine bijection of N(0, I): the one-layer flow */
    .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK,
    .train_step = dg_train_step,
    .sample = dg_sample,
    .log_likelihood = dg_log_likelihood,
    .destroy = dg_destroy,
};

void gm_diag_gaussian_init(GenModel *m, int dim) {
    DiagGauss *g = xcalloc(1, sizeof *g);
    int shape[2] = {1, dim};
    g->mu = ad_param_new(AD_F32, 2, shape);
    g->log_sigma = ad_param_new(AD_F32, 2, shape);
    gm_init(m, &DIAG_GAUSS_VT, g, dim);
    nn_params_add(&m->player[0].params, "gauss", "mu", g->mu);
    nn_params_add(&m->player[0].params, "gauss", "log_sigma", g->log_sigma);
}

void gm_diag_gaussian_get(const GenModel *m, double *mu, double *sigma) {
    const DiagGauss *g = m->self;
    for (int j = 0; j < m->dim; j++) {
        if (mu) mu[j] = ad_get(g->mu, j);
        if (sigma) sigma[j] = exp(ad_get(g->log_sigma, j));
    }
}
