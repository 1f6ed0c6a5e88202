/* gpu_ad_replay — a common/ad tape translated into gpu_ad ops (gpu_ad_replay.h), and gm_train's
   device executor. */
#include "gpu/gpu_ad_replay.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/genmodel.h"
#include "common/progress.h"
#include "common/util.h"

/* AdTensor* -> GadTensor*, open addressing on the pointer, cleared every step */
typedef struct {
    const AdTensor **key;
    GadTensor **val;
    int cap, n;
} Map;

struct GadReplay {
    GadGraph *gr;
    AdTensor **ad;       /* the parameters */
    GadTensor **dev;     /* their device copies */
    int np;
    Map map;
    const AdTensor **tape; /* this step's tape entries in creation order */
    int ntape, captape, nops;
    float *host;          /* staging for constants */
    long caphost;
    char err[256];
};

static unsigned slot(const Map *m, const AdTensor *t) {
    uint64_t h = (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 32) & (unsigned)(m->cap - 1);
}

static int map_put(Map *m, const AdTensor *t, GadTensor *v) {
    if (2 * (m->n + 1) > m->cap) {
        Map big = {0};
        big.cap = m->cap ? 2 * m->cap : 256;
        big.key = calloc((size_t)big.cap, sizeof *big.key);
        big.val = calloc((size_t)big.cap, sizeof *big.val);
        if (!big.key || !big.val) {
            free(big.key), free(big.val);
            return -1;
        }
        for (int i = 0; i < m->cap; i++)
            if (m->key[i]) map_put(&big, m->key[i], m->val[i]);
        free(m->key), free(m->val);
        *m = big;
    }
    unsigned i = slot(m, t);
    while (m->key[i] && m->key[i] != t) i = (i + 1) & (unsigned)(m->cap - 1);
    if (!m->key[i]) m->n++;
    m->key[i] = t;
    m->val[i] = v;
    return 0;
}

static GadTensor *map_get(const Map *m, const AdTensor *t) {
    if (!m->cap || !t) return NULL;
    unsigned i = slot(m, t);
    while (m->key[i]) {
        if (m->key[i] == t) return m->val[i];
        i = (i + 1) & (unsigned)(m->cap - 1);
    }
    return NULL;
}

static void map_clear(Map *m) {
    if (m->cap) memset(m->key, 0, (size_t)m->cap * sizeof *m->key);
    m->n = 0;
}

static void rfail(GadReplay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rfail(GadReplay *r, const char *fmt, ...) {
    if (r->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

GadReplay *gad_replay_new(GadGraph *gr, AdTensor *const *params, int n) {
    if (!gr) return NULL;
    GadReplay *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->gr = gr;
    r->np = n;
    r->ad = calloc((size_t)(n > 0 ? n : 1), sizeof *r->ad);
    r->dev = calloc((size_t)(n > 0 ? n : 1), sizeof *r->dev);
    if (!r->ad || !r->dev) {
        gad_replay_free(r);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        r->ad[i] = params[i];
        if (!(r->dev[i] = gad_param_from_ad(gr, params[i]))) {
            gad_replay_free(r);
            return NULL;
        }
    }
    return r;
}

void gad_replay_free(GadReplay *r) {
    if (!r) return;
    for (int i = 0; i < r->np; i++)
        if (r->dev) gad_tensor_free(r->dev[i]);
    free(r->ad), free(r->dev);
    free(r->map.key), free(r->map.val);
    free(r->tape);
    free(r->host);
    free(r);
}

GadTensor **gad_replay_params(GadReplay *r) { return r->dev; }
int gad_replay_nparams(const GadReplay *r) { return r->np; }
const char *gad_replay_error(const GadReplay *r) { return r ? r->err : "no replayer"; }
int gad_replay_ops(const GadReplay *r) { return r->nops; }
GadTensor *gad_replay_lookup(GadReplay *r, const AdTensor *t) { return map_get(&r->map, t); }

int gad_replay_download(GadReplay *r) {
    for (int i = 0; i < r->np; i++)
        if (gad_param_to_ad(r->dev[i], r->ad[i])) return -1;
    return 0;
}

/* A constant of the step: t's values (computed on the CPU) uploaded as a device input. */
static GadTensor *constant(GadReplay *r, const AdTensor *t) {
    if (t->deferred) {
        rfail(r, "%s: a deferred value outside the tape", t->op);
        return NULL;
    }
    if (t->size > r->caphost) {
        float *h = realloc(r->host, (size_t)t->size * sizeof *h);
        if (!h) return rfail(r, "out of host memory"), NULL;
        r->host = h;
        r->caphost = t->size;
    }
    for (long i = 0; i < t->size; i++)
        r->host[i] = t->dtype == AD_F32 ? ((const float *)t->data)[i]
                                        : (float)((const double *)t->data)[i];
    GadTensor *g = gad_input(r->gr, t->ndim, t->shape, r->host);
    if (g && map_put(&r->map, t, g)) return rfail(r, "out of host memory"), NULL;
    return g;
}

static GadTensor *translate(GadReplay *r, const AdTensor *t);

/* The device tensor of op input t: a parameter, an earlier tape entry, a deferred op off the
   tape, or a constant. */
static GadTensor *input(GadReplay *r, const AdTensor *t) {
    if (!t) return NULL;
    GadTensor *g = map_get(&r->map, t);
    if (g) return g;
    //: ad_detach of a recorded value: the same values, no gradient (gad_detach)
    if (t->deferred && !strcmp(t->op, "detach") && t->in[0]) {
        GadTensor *src = input(r, t->in[0]);
        g = src ? gad_detach(r->gr, src) : NULL;
        if (g && map_put(&r->map, t, g)) return rfail(r, "out of host memory"), NULL;
        return g;
    }
    //: an op off the tape computed from a detached recorded value (common/ad defers it): its
    //: device op, translated where it is first used
    if (t->deferred && !t->backward && t->in[0]) {
        g = translate(r, t);
        if (g && map_put(&r->map, t, g)) return rfail(r, "out of host memory"), NULL;
        return g;
    }
    return constant(r, t);
}

static GadTensor *scalar(GadReplay *r, double c) {
    const float v = (float)c;
    return gad_input(r->gr, 0, NULL, &v);
}

/* One tape entry t -> its device op; NULL with r->err set when there is none. */
static GadTensor *translate(GadReplay *r, const AdTensor *t) {
    GadGraph *gr = r->gr;
    const char *op = t->op;
    GadTensor *a = input(r, t->in[0]), *b = t->in[1] ? input(r, t->in[1]) : NULL;
    GadTensor *c = t->in[2] ? input(r, t->in[2]) : NULL;
    if (r->err[0] || !a) return NULL;
    if (!strcmp(op, "ad_linear")) return gad_linear(gr, a, b, c);
    if (!strcmp(op, "ad_matmul")) return gad_matmul(gr, a, b);
    if (!strcmp(op, "ad_add")) return gad_add(gr, a, b);
    if (!strcmp(op, "ad_sub")) return gad_sub(gr, a, b);
    if (!strcmp(op, "ad_mul")) return gad_mul(gr, a, b);
    if (!strcmp(op, "ad_div")) return gad_div(gr, a, b);
    if (!strcmp(op, "ad_relu")) return gad_relu(gr, a);
    if (!strcmp(op, "ad_tanh")) return gad_tanh(gr, a);
    if (!strcmp(op, "ad_sigmoid")) return gad_sigmoid(gr, a);
    if (!strcmp(op, "ad_silu")) return gad_silu(gr, a);
    //: $x^2 = x \cdot x$ (one rounding, as the CPU's)
    if (!strcmp(op, "ad_square")) return gad_mul(gr, a, a);
    //: $c\,x$ and $x + c$ with $c$ rounded to float32 once
    if (!strcmp(op, "ad_scale")) return gad_mul(gr, a, scalar(r, t->dparam[0]));
    if (!strcmp(op, "ad_add_const")) return gad_add(gr, a, scalar(r, t->dparam[0]));
    if (!strcmp(op, "ad_exp")) return gad_exp(gr, a);
    if (!strcmp(op, "ad_log")) return gad_log(gr, a);
    if (!strcmp(op, "ad_softplus")) return gad_softplus(gr, a);
    if (!strcmp(op, "ad_sqrt")) return gad_sqrt(gr, a);
    //: a sum (mean) over one axis, x viewed as (outer, n, inner): ones @ x (times 1/n)
    if (!strcmp(op, "ad_sum_axis") || !strcmp(op, "ad_mean_axis"))
        return gad_sum_axis(gr, a, t->iparam[0], t->iparam[1], t->iparam[2], t->dparam[0], t->ndim,
                            t->shape);
    if (!strcmp(op, "ad_sum")) return gad_sum(gr, a);
    if (!strcmp(op, "ad_mean")) return gad_mean(gr, a);
    if (!strcmp(op, "ad_reshape")) return gad_reshape(gr, a, t->ndim, t->shape);
    if (!strcmp(op, "ad_swap_axes")) return gad_swap_axes(gr, a, t->iparam[0], t->iparam[1]);
    if (!strcmp(op, "ad_concat")) {
        const int n = t->iparam[0];
        if (n > 3) {
            rfail(r, "ad_concat: %d inputs (the device takes 3)", n);
            return NULL;
        }
        GadTensor *xs[3] = {a, b, c};
        return gad_concat(gr, xs, n, t->iparam[1]);
    }
    if (!strcmp(op, "ad_slice")) {
        const int ax = t->iparam[0], s = t->iparam[1];
        return gad_slice(gr, a, ax, s, s + t->shape[ax]);
    }
    if (!strcmp(op, "ad_conv2d")) return gad_conv2d(gr, a, b, c, t->iparam[0], t->iparam[1]);
    if (!strcmp(op, "ad_conv_transpose2d"))
        return gad_conv_transpose2d(gr, a, b, c, t->iparam[0], t->iparam[1]);
    if (!strcmp(op, "ad_group_norm")) return gad_group_norm(gr, a, t->iparam[0], b, c, t->dparam[0]);
    if (!strcmp(op, "ad_avg_pool2d")) return gad_avg_pool2d(gr, a, t->iparam[0]);
    if (!strcmp(op, "ad_upsample_nearest2d")) return gad_upsample_nearest2d(gr, a, t->iparam[0]);
    if (!strcmp(op, "ad_softmax")) return gad_softmax(gr, a);
    if (!strcmp(op, "ad_log_softmax")) return gad_log_softmax(gr, a);
    if (!strcmp(op, "ad_cross_entropy")) return gad_cross_entropy(gr, a, (const int *)t->aux);
    if (!strcmp(op, "ad_embedding")) return gad_embedding(gr, a, (const int *)t->aux, t->shape[0]);
    rfail(r, "%s: no device kernel", op);
    return NULL;
}

GadTensor *gad_replay_record(GadReplay *r, AdTensor *loss) {
    if (!r) return NULL;
    r->err[0] = 0;
    r->nops = 0;
    map_clear(&r->map);
    for (int i = 0; i < r->np; i++)
        if (map_put(&r->map, r->ad[i], r->dev[i])) return rfail(r, "out of host memory"), NULL;
    if (!loss || loss->size != 1 || !loss->backward) {
        rfail(r, "the loss must be one element on the tape");
        return NULL;
    }
    /* the tape up to the loss, in creation order (tape_prev runs backwards) */
    int n = 0;
    for (const AdTensor *t = loss; t; t = t->tape_prev) n++;
    if (n > r->captape) {
        const AdTensor **p = realloc(r->tape, (size_t)n * sizeof *p);
        if (!p) return rfail(r, "out of host memory"), NULL;
        r->tape = p;
        r->captape = n;
    }
    r->ntape = n;
    for (const AdTensor *t = loss; t; t = t->tape_prev) r->tape[--n] = t;
    GadTensor *y = NULL;
    for (int i = 0; i < r->ntape; i++) {
        const AdTensor *t = r->tape[i];
        y = translate(r, t);
        if (!y) {
            if (!r->err[0]) rfail(r, "%s: %s", t->op, gad_error(r->gr));
            return NULL;
        }
        int same = y->ndim == t->ndim && y->size == t->size;
        for (int d = 0; d < t->ndim && same; d++) same = y->shape[d] == t->shape[d];
        if (!same) {
            rfail(r, "%s: the device op's output shape differs from common/ad's (%d-D, %ld elements "
                     "vs %d-D, %ld)", t->op, y->ndim, y->size, t->ndim, t->size);
            return NULL;
        }
        if (map_put(&r->map, t, y)) return rfail(r, "out of host memory"), NULL;
        r->nops++;
    }
    return y;
}

/* ---------------------------------------------------------------------------------------- */
/* gm_train on the device ([eq:common.genmodel.train_step], common/genmodel.h)               */

#define GMD_MAX 256

int gm_train_device(GenModel *m, const float *data, int n, const GmTrainConfig *cfg, Rng *rng,
                    GmTrainResult *res, char *why, size_t whylen) {
    GpuContext *g = (GpuContext *)cfg->gpu;
    const int D = cfg->row > 0 ? cfg->row : m->dim, P = m->nplayers;
    const int full = cfg->batch <= 0, B = full ? n : cfg->batch;
    AdTensor *all[GMD_MAX];
    int first[GM_MAX_PLAYERS + 1] = {0};
    for (int p = 0; p < P; p++) {
        const NnParams *ps = &m->player[p].params;
        if (first[p] + ps->n > GMD_MAX) {
            snprintf(why, whylen, "more than %d parameter tensors", GMD_MAX);
            return -1;
        }
        for (int i = 0; i < ps->n; i++) all[first[p] + i] = ps->t[i];
        first[p + 1] = first[p] + ps->n;
        if (m->player[p].opt.kind == OPTIM_SGD) {
            snprintf(why, whylen, "player %d uses SGD (the device has Adam and AdamW)", p);
            return -1;
        }
    }
    GadGraph *gr = gad_graph_new(g);
    GadReplay *rp = gr ? gad_replay_new(gr, all, first[P]) : NULL;
    AdArena *arena = ad_arena_new(1 << 20);
    ad_arena_set_deferred(arena, 1);
    float *xb = xmalloc((size_t)B * D * sizeof *xb);
    float *shadow = NULL;
    GadTensor **dev = rp ? gad_replay_params(rp) : NULL;
    long t_adam[GM_MAX_PLAYERS] = {0};
    double tail_sum[GM_MAX_PLAYERS] = {0};
    long tail_count[GM_MAX_PLAYERS] = {0};
    const long tail_from = cfg->steps - (cfg->steps + 9) / 10;
    int rc = rp ? 0 : -1;
    if (!rp) snprintf(why, whylen, "%s", gr ? gad_error(gr) : "no device graph");
    if (!rc && cfg->ema_decay > 0 && gad_ema_init(gr, dev, first[P])) {
        snprintf(why, whylen, "%s", gad_error(gr));
        rc = -1;
    }
    Progress prog;
    progress_start(&prog, cfg->label ? cfg->label : m->vt->name, cfg->steps);
    long s = 0;
    double last = NAN;
    for (; s < cfg->steps && !rc && !res->diverged; s++) {
        for (int p = 0; p < P && !rc && !res->diverged; p++) {
            const int np = first[p + 1] - first[p];
            for (int u = 0; u < m->player[p].updates_per_step && !rc; u++) {
                for (int i = 0; i < B && !full; i++)
                    memcpy(xb + (size_t)i * D, data + (size_t)rng_below(rng, (uint32_t)n) * D,
                           (size_t)D * sizeof *xb);
                ad_arena_reset(arena);
                gad_graph_reset(gr);
                //: the family's loss, recorded (not computed) in common/ad, then replayed
                AdTensor *loss = m->vt->train_step(m, p, arena, full ? data : xb, B, rng, NULL);
                const char *refused = ad_arena_not_deferrable(arena);
                if (refused) {
                    snprintf(why, whylen, "step %ld: not deferrable: %s", s, refused);
                    rc = -1;
                    break;
                }
                GadTensor *gl = gad_replay_record(rp, loss);
                if (!gl) {
                    snprintf(why, whylen, "step %ld: %s", s, gad_replay_error(rp));
                    rc = -1;
                    break;
                }
                OptimConfig oc = m->player[p].opt;
                if (cfg->lr_at) oc.lr = cfg->lr_at(s, cfg->hook_ctx);
                const int ema_now = cfg->ema_decay > 0 && p == P - 1 &&
                                    u == m->player[p].updates_per_step - 1;
                //: zero every player's gradients, backward, clip, Adam, EMA: one submission
                GadTensor *nrm = NULL;
                rc = gad_zero_grad(gr, dev, first[P]) || gad_backward(gr, gl) ||
                     !(nrm = gad_clip_grad_norm(gr, dev + first[p], np,
                                                cfg->clip_norm > 0 ? cfg->clip_norm : INFINITY)) ||
                     gad_adam_step(gr, dev + first[p], np, &oc, ++t_adam[p]) ||
                     (ema_now && gad_ema_update(gr, dev, first[P], cfg->ema_decay)) ||
                     gad_run(gr, NULL);
                float lf = NAN, nf[2] = {NAN, NAN};
                rc = rc || gad_read(gl, &lf) || gad_read(nrm, nf);
                if (rc) {
                    snprintf(why, whylen, "step %ld: %s", s, gad_error(gr));
                    break;
                }
                const double lv = lf, gnorm = nf[0];
                if (!isfinite(lv) || !isfinite(gnorm)) {
                    res->diverged = 1;
                    res->bad_step = s;
                    break;
                }
                if (cfg->on_update) {
                    /* the hook may look at the live parameters */
                    if (gad_replay_download(rp)) {
                        snprintf(why, whylen, "step %ld: download failed", s);
                        rc = -1;
                        break;
                    }
                    cfg->on_update(s, p, lv, gnorm, oc.lr, cfg->hook_ctx);
                }
                if (s == 0 && u == 0) res->first_loss[p] = lv;
                if (s >= tail_from) tail_sum[p] += lv, tail_count[p]++;
                last = lv;
            }
        }
        if (!rc) progress_update_value(&prog, s + 1, "loss", last);
    }
    progress_end(&prog);
    if (!rc && gad_replay_download(rp)) {
        snprintf(why, whylen, "downloading the parameters failed");
        rc = -1;
    }
    if (!rc && cfg->ema_decay > 0) {
        /* the shadow into ema_into (same layout) or into the live parameters */
        const NnParams *into = cfg->ema_into;
        if (into && into->n != first[P]) die("gm_train: ema_into has %d tensors, the players %d", into->n, first[P]);
        for (int i = 0; i < first[P] && !rc; i++) {
            AdTensor *dst = into ? into->t[i] : all[i];
            if (dst->size != all[i]->size) die("gm_train: ema_into tensor %d differs in size", i);
            shadow = realloc(shadow, (size_t)dst->size * sizeof *shadow);
            rc = !shadow || gad_ema_read(dev[i], shadow);
            for (long k = 0; k < dst->size && !rc; k++) ad_set(dst, k, shadow[k]);
        }
        if (rc) snprintf(why, whylen, "reading the EMA failed");
    }
    res->steps_done = s;
    for (int p = 0; p < P; p++)
        res->avg_loss[p] = tail_count[p] ? tail_sum[p] / (double)tail_count[p] : NAN;
    /* a step stopped half-recorded: retire its commands before its buffers are freed (they
       write only this step's temporaries) */
    if (rc) gpu_run_batch(g, NULL);
    free(shadow);
    free(xb);
    ad_arena_free(arena);
    gad_replay_free(rp);
    gad_graph_free(gr);
    return rc ? -1 : 0;
}
