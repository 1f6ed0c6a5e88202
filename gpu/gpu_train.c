/* gpu_train — see gpu_train.h. Level tables, the trainer, the C twin of the kernels
   `train_grad` and `train_adam` (gpu/shaders/), and the runner that batches steps. */
#include "gpu/gpu_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void gpu_train_levels_dsm(const double *sigma, const double *cond, int n, int ncsn_weight,
                          GpuTrainLevel *out) {
    for (int i = 0; i < n; i++) {
        //: DSM: $\tilde x = x + \sigma\varepsilon$, loss $\lVert s + \varepsilon/\sigma\rVert^2$, or $\lVert\sigma s + \varepsilon\rVert^2$ with $\lambda = \sigma^2$
        out[i] = (GpuTrainLevel){1.0f, (float)sigma[i], (float)(cond ? cond[i] : sigma[i]),
                                 ncsn_weight ? (float)sigma[i] : 1.0f,
                                 ncsn_weight ? 1.0f : (float)(1.0 / sigma[i])};
    }
}

void gpu_train_levels_ddpm(const double *beta, int T, GpuTrainLevel *out) {
    double abar = 1.0;
    for (int t = 1; t <= T; t++) {
        abar *= 1.0 - beta[t];
        //: DDPM: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon$, loss $\lVert\hat\varepsilon - \varepsilon\rVert^2$
        out[t - 1] = (GpuTrainLevel){(float)sqrt(abar), (float)sqrt(1.0 - abar),
                                     (float)((double)t / T), 1.0f, -1.0f};
    }
}

int gpu_train_init(GpuTrain *tr, const GpuTrainConfig *cfg, char *err, size_t errlen) {
    const NnMlp *nn = cfg->nn;
    const Gmm *data = cfg->data;
    const GpuTrainLevel *levels = cfg->levels;
    const int nlevels = cfg->nlevels, batch = cfg->batch;
    const uint64_t seed = cfg->seed;
    const double lr = cfg->lr, beta1 = cfg->beta1, beta2 = cfg->beta2, eps = cfg->adam_eps;
    memset(tr, 0, sizeof *tr);
    if (data->d != 2 || data->k < 1 || data->k > GPU_GMM_MAX_K) {
        snprintf(err, errlen, "gpu_train: the data must be a 2-D mixture of 1..%d components",
                 GPU_GMM_MAX_K);
        return -1;
    }
    if (nlevels < 1 || batch < 1 || !(lr > 0) || !(beta1 >= 0 && beta1 < 1) ||
        !(beta2 >= 0 && beta2 < 1) || !(eps >= 0)) {
        snprintf(err, errlen, "gpu_train: %d levels, batch %d, lr %g, betas (%g, %g), eps %g",
                 nlevels, batch, lr, beta1, beta2, eps);
        return -1;
    }
    if (gpu_mlp_from_nn(&tr->net, nn, err, errlen)) return -1;
    const int nin = tr->net.widths[0], nout = tr->net.widths[tr->net.nlayers];
    if ((nin != 2 && nin != 3) || nout != 2) {
        snprintf(err, errlen, "gpu_train: the network maps %d inputs to %d outputs (want 2 or 3 "
                 "to 2)", nin, nout);
        gpu_mlp_free(&tr->net);
        return -1;
    }
    tr->adam_m = xcalloc((size_t)tr->net.nparams, sizeof(float));
    tr->adam_v = xcalloc((size_t)tr->net.nparams, sizeof(float));
    tr->batch = batch;
    tr->seed = seed;
    tr->lr = lr;
    tr->beta1 = beta1;
    tr->beta2 = beta2;
    tr->eps = eps;
    tr->ncomp = data->k;
    tr->nlevels = nlevels;
    tr->table = xmalloc(sizeof(float) * (size_t)(data->k * GPU_TRAIN_COMP_STRIDE +
                                                 nlevels * GPU_TRAIN_LEVEL_STRIDE));
    double total = 0.0, cum = 0.0;
    for (int j = 0; j < data->k; j++) total += exp(data->log_weight[j]);
    for (int j = 0; j < data->k; j++) {
        float *row = tr->table + j * GPU_TRAIN_COMP_STRIDE;
        cum += exp(data->log_weight[j]) / total;
        row[0] = j == data->k - 1 ? 1.0f : (float)cum;
        row[1] = (float)data->mean[2 * j];
        row[2] = (float)data->mean[2 * j + 1];
        row[3] = (float)sqrt(data->var[2 * j]);
        row[4] = (float)sqrt(data->var[2 * j + 1]);
    }
    for (int i = 0; i < nlevels; i++) {
        float *row = tr->table + data->k * GPU_TRAIN_COMP_STRIDE + i * GPU_TRAIN_LEVEL_STRIDE;
        row[0] = levels[i].cx;
        row[1] = levels[i].ce;
        row[2] = levels[i].cond;
        row[3] = levels[i].a;
        row[4] = levels[i].b;
    }
    return 0;
}

void gpu_train_free(GpuTrain *tr) {
    gpu_mlp_free(&tr->net);
    free(tr->adam_m);
    free(tr->adam_v);
    free(tr->table);
    memset(tr, 0, sizeof *tr);
}

/* The push constants of both kernels (gpu/shaders/train_push.glsl), and the twin's coefficients:
   the twin reads the same floats, so both sides compute with identical constants. */
typedef struct {
    uint32_t batch, nlayers;
    int32_t act;
    uint32_t widths[GPU_MLP_MAX_LAYERS + 1];
    uint32_t seed_lo, seed_hi, step, ncomp;
    uint32_t nlevels, nparams, acts_stride, deltas_stride;
    uint32_t loss_slot;
    float loss_scale, inv_batch;
    float step_size, beta1, beta2, one_minus_b1, one_minus_b2, bias2_sqrt, eps;
} TrainPush;

static void push_init(const GpuTrain *tr, TrainPush *pc) {
    const GpuMlp *m = &tr->net;
    memset(pc, 0, sizeof *pc);
    pc->batch = (uint32_t)tr->batch;
    pc->nlayers = (uint32_t)m->nlayers;
    pc->act = m->act;
    for (int l = 0; l <= m->nlayers; l++) pc->widths[l] = (uint32_t)m->widths[l];
    pc->seed_lo = (uint32_t)tr->seed;
    pc->seed_hi = (uint32_t)(tr->seed >> 32);
    pc->ncomp = (uint32_t)tr->ncomp;
    pc->nlevels = (uint32_t)tr->nlevels;
    pc->nparams = (uint32_t)m->nparams;
    for (int l = 0; l < m->nlayers; l++) {
        pc->acts_stride += (uint32_t)m->widths[l];
        pc->deltas_stride += (uint32_t)m->widths[l + 1];
    }
    pc->inv_batch = (float)(1.0 / tr->batch);
    pc->beta1 = (float)tr->beta1;
    pc->beta2 = (float)tr->beta2;
    pc->one_minus_b1 = (float)(1.0 - tr->beta1);
    pc->one_minus_b2 = (float)(1.0 - tr->beta2);
    pc->eps = (float)tr->eps;
}

/* The coefficients of global step `step` (0-based; Adam's t = step + 1), loss slot `slot` of a
   window of `count` steps. */
static void push_step(const GpuTrain *tr, TrainPush *pc, long step, int slot, int count) {
    const double t = (double)(step + 1);
    pc->step = (uint32_t)step;
    //: $\eta/(1-\beta_1^t)$ and $\sqrt{1-\beta_2^t}$, in double, then rounded once
    pc->step_size = (float)(tr->lr / (1.0 - pow(tr->beta1, t)));
    pc->bias2_sqrt = (float)sqrt(1.0 - pow(tr->beta2, t));
    pc->loss_slot = (uint32_t)slot;
    pc->loss_scale = (float)(1.0 / count);
}

/* ---- the C twin of train_grad: one example's forward and backward pass ---------------- */

/* wt: the weights transposed (layer l's W^T at W's packed offset), for a backward loop that
   vectorises without changing any sum's order */
static float item_pass(const GpuTrain *tr, const TrainPush *pc, uint32_t item, const float *wt,
                       float *acts, float *deltas) {
    const GpuMlp *m = &tr->net;
    const int L = m->nlayers;
    const float *params = m->params;
    GsTrainItem it = gs_train_item(tr->table, tr->ncomp, tr->nlevels, pc->seed_lo, pc->seed_hi,
                                   item, pc->step);
    float h[GPU_MLP_MAX_WIDTH], z[GPU_MLP_MAX_WIDTH];
    long poff[GPU_MLP_MAX_LAYERS];
    int doff[GPU_MLP_MAX_LAYERS];
    h[0] = it.xt.x;
    h[1] = it.xt.y;
    if (m->widths[0] == 3) h[2] = it.cond;
    long p = 0;
    int a = 0, d = 0;
    for (int l = 0; l < L; l++) {
        const int nin = m->widths[l], nout = m->widths[l + 1];
        const float *W = params + p, *bias = W + (long)nin * nout;
        poff[l] = p;
        doff[l] = d;
        for (int i = 0; i < nin; i++) acts[a + i] = h[i];
        a += nin;
        /* loops interchanged for speed; every z_j still adds its terms in the order
           i = 0, 1, ... (the kernel's order) */
        for (int j = 0; j < nout; j++) z[j] = bias[j];
        for (int i = 0; i < nin; i++) {
            const float hi = h[i], *Wi = W + (long)i * nout;
            //: $z_j = b_j + \sum_i h_i W_{ij}$
#pragma omp simd
            for (int j = 0; j < nout; j++) z[j] = z[j] + hi * Wi[j];
        }
        p += (long)nin * nout + nout;
        if (l == L - 1) {
            for (int j = 0; j < nout; j++) h[j] = z[j];
        } else {
            for (int j = 0; j < nout; j++) {
                float y = gs_activation(m->act, z[j]);
                deltas[d + j] = gs_activation_grad(m->act, z[j], y); /* phi'(z), for the backward */
                h[j] = y;
            }
        }
        d += nout;
    }
    //: eq. [eq:common.gpu.train_item_loss]: $r = a f + b\varepsilon$, $\ell = \lVert r\rVert^2$
    float r0 = it.a * h[0] + it.b * it.eps.x;
    float r1 = it.a * h[1] + it.b * it.eps.y;
    float loss = r0 * r0 + r1 * r1;
    //: eq. [eq:common.gpu.train_backward]: $\delta^{(L-1)} = (2a/B)\,r$
    float c = 2.0f * it.a * pc->inv_batch;
    float dl[GPU_MLP_MAX_WIDTH], dn[GPU_MLP_MAX_WIDTH];
    dl[0] = c * r0;
    dl[1] = c * r1;
    deltas[doff[L - 1]] = dl[0];
    deltas[doff[L - 1] + 1] = dl[1];
    for (int l = L - 2; l >= 0; l--) {
        const int nout = m->widths[l + 1], nnext = m->widths[l + 2];
        const float *Wt = wt + poff[l + 1]; /* Wt[j nout + i] = W^{(l+1)}_{ij} */
        /* every sum over j in the order j = 0, 1, ... (the kernel's), the loop over i inside */
        for (int i = 0; i < nout; i++) dn[i] = 0.0f;
        for (int j = 0; j < nnext; j++) {
            const float dj = dl[j], *Wj = Wt + (long)j * nout;
            //: $\delta^{(l)}_i = \phi'(z^{(l)}_i)\sum_j W^{(l+1)}_{ij}\delta^{(l+1)}_j$
#pragma omp simd
            for (int i = 0; i < nout; i++) dn[i] = dn[i] + Wj[i] * dj;
        }
        for (int i = 0; i < nout; i++) dn[i] = deltas[doff[l] + i] * dn[i];
        for (int i = 0; i < nout; i++) {
            deltas[doff[l] + i] = dn[i];
            dl[i] = dn[i];
        }
    }
    return loss;
}

/* ---- the C twin of train_adam: gradients summed over the batch in order ------------- */

/* The parameter rows: row i < nin of layer l is W^{(l)}_{i,:}, row nin its bias. */
typedef struct {
    long poff; /* packed index of the row's first parameter */
    int aoff, doff, i, nin, nout;
} Row;

static int rows_of(const GpuMlp *m, Row *rows) {
    int nrows = 0, aoff = 0, doff = 0;
    long poff = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const int nin = m->widths[l], nout = m->widths[l + 1];
        for (int i = 0; i <= nin; i++)
            rows[nrows++] = (Row){poff + (long)i * nout, aoff, doff, i, nin, nout};
        poff += (long)nin * nout + nout;
        aoff += nin;
        doff += nout;
    }
    return nrows;
}

/* The gradient of one row, g[0..nout). Each entry adds its terms in the order n = 0, 1, ...,
   as train_adam does for its one parameter (the loop over j is only vectorised). */
static void row_grad(const GpuTrain *tr, const TrainPush *pc, const Row *r, const float *acts,
                     const float *deltas, float *g) {
    const long as = pc->acts_stride, ds = pc->deltas_stride;
    for (int j = 0; j < r->nout; j++) g[j] = 0.0f;
    for (long n = 0; n < tr->batch; n++) {
        const float *d = deltas + n * ds + r->doff;
        if (r->i < r->nin) {
            const float h = acts[n * as + r->aoff + r->i];
            //: $\partial L/\partial W_{ij} = \sum_n h_{ni}\,\delta_{nj}$, $n = 0, 1, \dots$ in order
#pragma omp simd
            for (int j = 0; j < r->nout; j++) g[j] = g[j] + h * d[j];
        } else {
            //: $\partial L/\partial b_j = \sum_n \delta_{nj}$
#pragma omp simd
            for (int j = 0; j < r->nout; j++) g[j] = g[j] + d[j];
        }
    }
}

static void adam_update(const TrainPush *pc, float *theta, float *m, float *v, float g) {
    //: $m_t = \beta_1 m_{t-1} + (1-\beta_1) g$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2$
    float mt = pc->beta1 * *m + pc->one_minus_b1 * g;
    float vt = pc->beta2 * *v + pc->one_minus_b2 * g * g;
    *m = mt;
    *v = vt;
    //: $\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m_t/(\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon)$
    float denom = sqrtf(vt) / pc->bias2_sqrt + pc->eps;
    *theta = *theta - pc->step_size * mt / denom;
}

static float batch_loss(const TrainPush *pc, const float *sample_loss) {
    float sum = 0.0f;
    for (uint32_t n = 0; n < pc->batch; n++) sum = sum + sample_loss[n];
    return sum * pc->inv_batch;
}

typedef struct {
    float *acts, *deltas, *sample_loss, *wt;
} Scratch;

static Scratch scratch_new(const TrainPush *pc) {
    Scratch s;
    s.acts = xmalloc(sizeof(float) * (size_t)pc->batch * pc->acts_stride);
    s.deltas = xmalloc(sizeof(float) * (size_t)pc->batch * pc->deltas_stride);
    s.sample_loss = xmalloc(sizeof(float) * (size_t)pc->batch);
    s.wt = xmalloc(sizeof(float) * (size_t)pc->nparams);
    return s;
}

static void scratch_free(Scratch *s) {
    free(s->acts);
    free(s->deltas);
    free(s->sample_loss);
    free(s->wt);
}

static void batch_pass(const GpuTrain *tr, const TrainPush *pc, Scratch *s) {
    const GpuMlp *m = &tr->net;
    long poff = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const int nin = m->widths[l], nout = m->widths[l + 1];
        for (int i = 0; i < nin; i++)
            for (int j = 0; j < nout; j++)
                s->wt[poff + (long)j * nin + i] = m->params[poff + (long)i * nout + j];
        poff += (long)nin * nout + nout;
    }
#pragma omp parallel for schedule(static)
    for (long n = 0; n < tr->batch; n++)
        s->sample_loss[n] = item_pass(tr, pc, (uint32_t)n, s->wt,
                                      s->acts + n * (long)pc->acts_stride,
                                      s->deltas + n * (long)pc->deltas_stride);
}

void gpu_train_batch_cpu(const GpuTrain *tr, long step, float *in, float *eps, float *a,
                         float *b) {
    const int nin = tr->net.widths[0];
    /* every item has its own Philox counter (seed, n, step) and its own slots, so the threads
       split the items without changing a bit; small batches stay on one thread */
#pragma omp parallel for schedule(static) if (tr->batch >= 1024)
    for (long n = 0; n < tr->batch; n++) {
        GsTrainItem it = gs_train_item(tr->table, tr->ncomp, tr->nlevels, (uint32_t)tr->seed,
                                       (uint32_t)(tr->seed >> 32), (uint32_t)n, (uint32_t)step);
        if (in) {
            in[n * nin] = it.xt.x;
            in[n * nin + 1] = it.xt.y;
            if (nin == 3) in[n * nin + 2] = it.cond;
        }
        if (eps) {
            eps[2 * n] = it.eps.x;
            eps[2 * n + 1] = it.eps.y;
        }
        if (a) a[n] = it.a;
        if (b) b[n] = it.b;
    }
}

double gpu_train_grad_cpu(const GpuTrain *tr, float *grad) {
    TrainPush pc;
    push_init(tr, &pc);
    push_step(tr, &pc, tr->step, 0, 1);
    Scratch s = scratch_new(&pc);
    batch_pass(tr, &pc, &s);
    Row rows[GPU_MLP_MAX_LAYERS * (GPU_MLP_MAX_WIDTH + 1)];
    const int nrows = rows_of(&tr->net, rows);
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nrows; k++) row_grad(tr, &pc, &rows[k], s.acts, s.deltas, grad + rows[k].poff);
    double loss = batch_loss(&pc, s.sample_loss);
    scratch_free(&s);
    return loss;
}

static int window_count(int steps, int k, int slot) {
    int rest = steps - slot * k;
    return rest < k ? rest : k;
}

void gpu_train_steps_cpu(GpuTrain *tr, int steps, int loss_every, float *losses) {
    if (steps <= 0) return;
    if (loss_every < 1) die("gpu_train_steps_cpu: loss_every must be >= 1");
    TrainPush pc;
    push_init(tr, &pc);
    Scratch s = scratch_new(&pc);
    const int nslots = (steps + loss_every - 1) / loss_every;
    float *window = xcalloc((size_t)nslots, sizeof(float));
    Row rows[GPU_MLP_MAX_LAYERS * (GPU_MLP_MAX_WIDTH + 1)];
    const int nrows = rows_of(&tr->net, rows);
    for (int k = 0; k < steps; k++) {
        const int slot = k / loss_every;
        push_step(tr, &pc, tr->step + k, slot, window_count(steps, loss_every, slot));
        batch_pass(tr, &pc, &s);
        float *theta = tr->net.params, *am = tr->adam_m, *av = tr->adam_v;
#pragma omp parallel for schedule(static)
        for (int r = 0; r < nrows; r++) {
            float g[GPU_MLP_MAX_WIDTH];
            row_grad(tr, &pc, &rows[r], s.acts, s.deltas, g);
            for (int j = 0; j < rows[r].nout; j++) {
                const long p = rows[r].poff + j;
                adam_update(&pc, &theta[p], &am[p], &av[p], g[j]);
            }
        }
        //: the loss window: $\bar L_w \mathrel{+}= L_s / (\text{steps in window } w)$
        window[slot] = window[slot] + batch_loss(&pc, s.sample_loss) * pc.loss_scale;
    }
    tr->step += steps;
    if (losses) memcpy(losses, window, sizeof(float) * (size_t)nslots);
    free(window);
    scratch_free(&s);
}

/* ---- the GPU runner ------------------------------------------------------------------- */

static GpuBuffer *upload(GpuContext *g, const void *src, size_t bytes) {
    GpuBuffer *b = gpu_buffer_new(g, bytes);
    if (b && src && gpu_buffer_write(b, 0, src, bytes)) {
        gpu_buffer_free(b);
        return NULL;
    }
    return b;
}

enum { BUF_PARAMS, BUF_TABLE, BUF_ACTS, BUF_DELTAS, BUF_SAMPLE_LOSS, BUF_M, BUF_V, BUF_LOSS, NBUF };

static int train_on_gpu(GpuContext *g, GpuTrain *tr, int steps, int loss_every, float *losses,
                        double *gpu_seconds) {
    TrainPush pc;
    push_init(tr, &pc);
    const size_t np = (size_t)tr->net.nparams, B = (size_t)tr->batch;
    const int nslots = (steps + loss_every - 1) / loss_every;
    const size_t table_floats = (size_t)(tr->ncomp * GPU_TRAIN_COMP_STRIDE +
                                         tr->nlevels * GPU_TRAIN_LEVEL_STRIDE);
    const size_t bytes[NBUF] = {np * 4, table_floats * 4, B * pc.acts_stride * 4,
                                B * pc.deltas_stride * 4, B * 4, np * 4, np * 4,
                                (size_t)nslots * 4};
    const void *init[NBUF] = {tr->net.params, tr->table, NULL, NULL, NULL,
                              tr->adam_m, tr->adam_v, NULL};
    GpuBuffer *bufs[NBUF] = {0};
    float *theta = xmalloc(sizeof(float) * np), *m = xmalloc(sizeof(float) * np);
    float *v = xmalloc(sizeof(float) * np), *window = xmalloc(sizeof(float) * (size_t)nslots);
    int rc = -1;
    for (int i = 0; i < NBUF; i++)
        if (!(bufs[i] = upload(g, init[i], bytes[i]))) goto done;
    /* multiply-adds per submission (about 3 B nparams per step), to stay well inside the fence
       timeout; one submission holds many steps */
    const double budget = gpu_info(g)->is_cpu_device ? 2e8 : 2e10;
    const int per_submit = (int)fmax(1.0, fmin(1000.0, budget / (3.0 * (double)B * np)));
    double total = 0.0, s = 0.0;
    for (int k = 0; k < steps; k++) {
        const int slot = k / loss_every;
        push_step(tr, &pc, tr->step + k, slot, window_count(steps, loss_every, slot));
        if (gpu_dispatch(g, "train_grad", bufs, NBUF, &pc, sizeof pc, (uint32_t)B) ||
            gpu_dispatch(g, "train_adam", bufs, NBUF, &pc, sizeof pc, (uint32_t)np + 1u))
            goto done;
        if ((k + 1) % per_submit == 0) {
            if (gpu_run_batch(g, &s)) goto done;
            total += s > 0 ? s : 0;
        }
    }
    if (gpu_run_batch(g, &s)) goto done;
    total += s > 0 ? s : 0;
    if (gpu_buffer_read(bufs[BUF_PARAMS], 0, theta, np * 4) ||
        gpu_buffer_read(bufs[BUF_M], 0, m, np * 4) || gpu_buffer_read(bufs[BUF_V], 0, v, np * 4) ||
        gpu_buffer_read(bufs[BUF_LOSS], 0, window, (size_t)nslots * 4))
        goto done;
    /* only now, with everything back, does the host state change */
    memcpy(tr->net.params, theta, sizeof(float) * np);
    memcpy(tr->adam_m, m, sizeof(float) * np);
    memcpy(tr->adam_v, v, sizeof(float) * np);
    if (losses) memcpy(losses, window, sizeof(float) * (size_t)nslots);
    tr->step += steps;
    if (gpu_seconds) *gpu_seconds = gpu_info(g)->has_timestamps ? total : -1.0;
    rc = 0;
done:
    for (int i = 0; i < NBUF; i++) gpu_buffer_free(bufs[i]);
    free(theta);
    free(m);
    free(v);
    free(window);
    return rc;
}

int gpu_train_try(GpuContext *g, GpuTrain *tr, int steps, int loss_every, float *losses,
                  double *gpu_seconds, char *why, size_t whylen) {
    if (gpu_seconds) *gpu_seconds = -1.0;
    if (loss_every < 1) die("gpu_train_run: loss_every must be >= 1");
    if (!g) {
        snprintf(why, whylen, "no GPU context");
        return -1;
    }
    if (steps <= 0) return 0;
    if (gpu_info(g)->is_cpu_device && tr->batch > GPU_CPU_DRIVER_LOOP_LIMIT / 2) {
        /* train_adam sums each gradient over the batch in one loop (gpu.h: loop limit) */
        snprintf(why, whylen, "batch %d is too large for a CPU Vulkan driver's loop limit",
                 tr->batch);
        return -1;
    }
    if (tr->batch > 0x7fffffff || tr->net.nparams >= 0x7fffffffL) {
        snprintf(why, whylen, "batch %d or %ld parameters too large for the kernels", tr->batch,
                 tr->net.nparams);
        return -1;
    }
    if (train_on_gpu(g, tr, steps, loss_every, losses, gpu_seconds) == 0) return 0;
    snprintf(why, whylen, "%s", gpu_error(g));
    return -1;
}

int gpu_train_run(GpuContext *g, GpuTrain *tr, int steps, int loss_every, float *losses,
                  double *gpu_seconds) {
    char why[256];
    if (g) {
        if (gpu_train_try(g, tr, steps, loss_every, losses, gpu_seconds, why, sizeof why) == 0)
            return 1;
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    if (steps > 0) gpu_train_steps_cpu(tr, steps, loss_every, losses);
    return 0;
}
