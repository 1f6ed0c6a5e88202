/* ncsn — see ncsn.h. The noise-conditional MLP, its multi-level DSM loss, training, sampling. */
#include "common/ncsn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/optim.h"
#include "common/progress.h"
#include "common/util.h"

void ncsn_geometric_schedule(double sigma_max, double sigma_min, int L, double *sigma) {
    if (L < 1) die("ncsn_geometric_schedule: L = %d", L);
    for (int i = 0; i < L; i++) {
        //: $\sigma_i = \sigma_\text{max}(\sigma_\text{min}/\sigma_\text{max})^{i/(L-1)}$
        sigma[i] = L == 1 ? sigma_max : sigma_max * pow(sigma_min / sigma_max, (double)i / (L - 1));
    }
}

void ncsn_init_deep(NcsnNet *net, int dim, int hidden, int nlayers, NnActivation act, AdDtype dtype,
                    Rng *rng) {
    if (dim < 1 || dim + 1 > NCSN_MAX_WIDTH || hidden < 1 || hidden > NCSN_MAX_WIDTH)
        die("ncsn_init: dim %d, hidden %d (each at most %d)", dim, hidden, NCSN_MAX_WIDTH);
    if (nlayers < 2 || nlayers > 6 || (act != NN_ACT_TANH && act != NN_ACT_SILU))
        die("ncsn_init_deep: %d layers (2..6), activation %s (tanh or silu)", nlayers, nn_activation_name(act));
    int widths[7];
    widths[0] = dim + 1;
    for (int l = 1; l < nlayers; l++) widths[l] = hidden;
    widths[nlayers] = dim;
    nn_mlp_init(&net->mlp, nlayers, widths, act, dtype, rng);
    net->dim = dim;
    net->hidden = hidden;
    net->input_scale = 1.0;
    net->cond_scale = 1.0;
    net->cond_shift = 0.0;
}

void ncsn_init(NcsnNet *net, int dim, int hidden, AdDtype dtype, Rng *rng) {
    ncsn_init_deep(net, dim, hidden, 3, NN_ACT_TANH, dtype, rng);
}

void ncsn_set_sigma_range(NcsnNet *net, double sigma_min, double sigma_max) {
    if (!(sigma_min > 0 && sigma_max > sigma_min))
        die("ncsn_set_sigma_range: sigma_min %g, sigma_max %g", sigma_min, sigma_max);
    //: $\gamma(\sigma) = 2(\log\sigma - \log\sigma_\text{min})/(\log\sigma_\text{max} - \log\sigma_\text{min}) - 1$, eq. [eq:common.ncsn.cond]
    net->cond_scale = 2.0 / (log(sigma_max) - log(sigma_min));
    net->cond_shift = -1.0 - net->cond_scale * log(sigma_min);
}

double ncsn_cond(const NcsnNet *net, double sigma) { return net->cond_scale * log(sigma) + net->cond_shift; }

void ncsn_free(NcsnNet *net) { nn_mlp_free(&net->mlp); }

void ncsn_params(const NcsnNet *net, NnParams *out) { nn_mlp_params(&net->mlp, "ncsn", out); }

void ncsn_noisy_batch(const NcsnNet *net, const double *x, int n, const double *sigma, int L,
                      Rng *r, double *rows, double *eps) {
    const int dim = net->dim;
    for (int i = 0; i < L; i++)
        for (int b = 0; b < n; b++) {
            double *row = rows + ((long)i * n + b) * (dim + 1), *e = eps + ((long)i * n + b) * dim;
            for (int a = 0; a < dim; a++) {
                e[a] = rng_normal(r);
                //: $\tilde x = x + \sigma_i\epsilon$
                row[a] = net->input_scale * (x[(long)b * dim + a] + sigma[i] * e[a]);
            }
            row[dim] = ncsn_cond(net, sigma[i]);
        }
}

AdTensor *ncsn_loss(AdArena *arena, const NcsnNet *net, const double *x, int n,
                    const double *sigma, int L, Rng *r, double *level_loss) {
    const int dim = net->dim;
    const AdDtype dt = net->mlp.layers[0].weight->dtype;
    const long rows_n = (long)n * L;
    double *rows = xmalloc(sizeof(double) * rows_n * (dim + 1));
    double *eps = xmalloc(sizeof(double) * rows_n * dim);
    ncsn_noisy_batch(net, x, n, sigma, L, r, rows, eps);
    const int in_shape[2] = {(int)rows_n, dim + 1}, out_shape[2] = {(int)rows_n, dim};
    AdTensor *in = ad_from_doubles(arena, dt, 2, in_shape, rows);
    AdTensor *target = ad_from_doubles(arena, dt, 2, out_shape, eps);
    AdTensor *eps_hat = nn_mlp_forward(arena, &net->mlp, in);
    AdTensor *sq = ad_square(arena, ad_sub(arena, eps_hat, target));
    if (level_loss)
        for (int i = 0; i < L; i++) {
            double acc = 0;
            for (long k = (long)i * n * dim; k < (long)(i + 1) * n * dim; k++) acc += ad_get(sq, k);
            level_loss[i] = acc / n;
        }
    free(rows);
    free(eps);
    //: $\frac1L\sum_i \frac1B\sum_b \lVert\hat\epsilon_\theta(\tilde x_{ib}, \sigma_i) - \epsilon_{ib}\rVert^2$, eq. [eq:common.ncsn.loss]
    return ad_scale(arena, ad_sum(arena, sq), 1.0 / (double)rows_n);
}

int ncsn_train(NcsnNet *net, const double *sigma, int L, NcsnDataFn data, void *ctx,
               const NcsnTrainConfig *cfg, double *losses, char *err, size_t errlen) {
    NnParams params;
    nn_params_init(&params);
    ncsn_params(net, &params);
    ParamBlock blocks[16];
    int nblocks = nn_params_blocks(&params, blocks, 16);
    Optimizer *adam = optim_new(blocks, nblocks, optim_adam(cfg->lr, 0.9, 0.999, 1e-8, 0.0));
    AdArena *arena = ad_arena_new(1 << 20);
    Rng data_rng, noise_rng;
    rng_init(&data_rng, cfg->seed, 1);
    rng_init(&noise_rng, cfg->seed, 2);
    double *x = xmalloc(sizeof(double) * (size_t)cfg->batch * net->dim);
    const int decay = cfg->lr_final > 0 && cfg->lr_final != cfg->lr;
    Progress progress;
    progress_start(&progress, cfg->label ? cfg->label : "NCSN training", cfg->steps);
    int status = 0;
    for (long step = 0; step < cfg->steps; step++) {
        if (decay) optim_set_lr(adam, lr_cosine_warmup(cfg->lr, cfg->lr_final, 0, cfg->steps, step));
        ad_arena_reset(arena);
        data(&data_rng, x, cfg->batch, ctx);
        /* Non-finite inputs are caught here: the float32 tanh of common/ad maps NaN to 1, so a NaN
           batch could otherwise pass through the network unseen. */
        long bad = -1;
        for (long i = 0; i < (long)cfg->batch * net->dim && bad < 0; i++)
            if (!isfinite(x[i])) bad = i;
        if (bad >= 0) {
            snprintf(err, errlen, "NCSN training data not finite (%g) at step %ld of %ld", x[bad], step + 1,
                     cfg->steps);
            status = -1;
            break;
        }
        AdTensor *loss = ncsn_loss(arena, net, x, cfg->batch, sigma, L, &noise_rng, NULL);
        double value = ad_item(loss);
        if (losses) losses[step] = value;
        if (!isfinite(value)) {
            snprintf(err, errlen, "NCSN loss is %g at step %ld of %ld", value, step + 1, cfg->steps);
            status = -1;
            break;
        }
        optim_zero_grad(adam);
        ad_backward(arena, loss);
        optim_step(adam);
        progress_update_value(&progress, step + 1, "loss", value);
    }
    progress_end(&progress);
    free(x);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&params);
    return status;
}

/* One layer on a block of m rows: out (m x nout) = in (m x nin) W + b, W row-major (nin x nout).
   float32 like the weights (and the GPU twin); the inner loop runs along a row of W. */
static void layer_block(const NnLinear *layer, const float *in, float *out, int m) {
    const int nin = layer->in, nout = layer->out;
    const float *w = ad_f32(layer->weight), *bias = ad_f32(layer->bias);
    for (int r = 0; r < m; r++)
        for (int j = 0; j < nout; j++) out[r * nout + j] = bias[j];
    for (int r = 0; r < m; r++)
        for (int i = 0; i < nin; i++) {
            const float a = in[r * nin + i];
            const float *wi = w + (long)i * nout;
            float *o = out + r * nout;
            //: $h'_j \mathrel{+}= h_i W_{ij}$ ($h' = hW + b$)
#pragma omp simd
            for (int j = 0; j < nout; j++) o[j] += a * wi[j];
        }
}

enum { EVAL_BLOCK = 32 };

/* tanh in the overflow-free form sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}) (as gpu_shared.h):
   glibc's tanhf is several times slower than one expf, and the sampler calls it 128 times per
   chain step. */
static inline float tanh_fast(float x) {
    const float e = expf(-2.0f * fabsf(x)), t = (1.0f - e) / (1.0f + e);
    return x < 0 ? -t : t;
}

/* SiLU x sigmoid(x) = x / (1 + e^{-x}) (the form of gpu_shared.h). */
static inline float silu_f(float x) { return x / (1.0f + expf(-x)); }

void ncsn_eval(const NcsnNet *net, const double *x, long n, double sigma, double *eps_hat,
               double *score) {
    const int dim = net->dim;
    const float cond = (float)ncsn_cond(net, sigma), c = (float)net->input_scale;
    const int silu = net->mlp.act == NN_ACT_SILU;
    if (net->mlp.layers[0].weight->dtype != AD_F32) die("ncsn_eval: the network must be float32");
    float a[EVAL_BLOCK * NCSN_MAX_WIDTH], b[EVAL_BLOCK * NCSN_MAX_WIDTH];
    for (long p0 = 0; p0 < n; p0 += EVAL_BLOCK) {
        const int m = (int)(n - p0 < EVAL_BLOCK ? n - p0 : EVAL_BLOCK);
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < dim; k++) a[r * (dim + 1) + k] = c * (float)x[(p0 + r) * dim + k];
            a[r * (dim + 1) + dim] = cond;
        }
        for (int l = 0; l < net->mlp.nlayers; l++) {
            const NnLinear *layer = &net->mlp.layers[l];
            layer_block(layer, a, b, m);
            const int last = l + 1 == net->mlp.nlayers;
            for (int k = 0; k < m * layer->out; k++) a[k] = last ? b[k] : silu ? silu_f(b[k]) : tanh_fast(b[k]);
        }
        for (int r = 0; r < m; r++)
            for (int k = 0; k < dim; k++) {
                const double e = a[r * dim + k];
                if (eps_hat) eps_hat[(p0 + r) * dim + k] = e;
                //: $s_\theta(x, \sigma) = -\hat\epsilon_\theta(x, \sigma)/\sigma$, eq. [eq:common.ncsn.eps_param]
                if (score) score[(p0 + r) * dim + k] = -e / sigma;
            }
    }
}

void ncsn_langevin_score(const double *x, size_t n, size_t dim, double sigma, double *score_out,
                         void *ctx) {
    const NcsnNet *net = ctx;
    if ((int)dim != net->dim) die("ncsn_langevin_score: dim %zu, network dim %d", dim, net->dim);
    ncsn_eval(net, x, (long)n, sigma, NULL, score_out);
}

void ncsn_ald_params(LangevinParams *lp, size_t n, size_t dim, LangevinScoreFn score, void *ctx,
                     const double *sigma, int L, double alpha_scale, int steps, uint64_t seed) {
    langevin_params_init(lp, n, dim, score, ctx);
    lp->sigmas = sigma;
    lp->n_levels = (size_t)L;
    //: $\alpha_i = \alpha_\text{scale}\,\sigma_i^2$ (eq. [eq:common.langevin.annealed_step], SIGMA2 rule)
    lp->step_rule = LANGEVIN_STEP_SIGMA2;
    lp->step_size = alpha_scale;
    lp->n_steps = (size_t)steps;
    lp->seed = seed;
    lp->keep_going = 1;
}

void ncsn_init_wide(double *x, long n, int dim, uint64_t seed, double sd) {
    for (long c = 0; c < n; c++) {
        Rng r;
        rng_init(&r, seed, (uint64_t)c);
        for (int a = 0; a < dim; a++) x[c * dim + a] = sd * rng_normal(&r);
    }
}
