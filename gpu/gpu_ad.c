/* gpu_ad — the device executor of common/ad graphs (gpu/gpu_ad.h); kernels gpu/shaders/ad_*.comp. */
#include "gpu/gpu_ad.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    GAD_LEAF,
    GAD_MATMUL,
    GAD_LINEAR,
    GAD_ADD,
    GAD_SUB,
    GAD_MUL,
    GAD_DIV,
    GAD_RELU,
    GAD_TANH,
    GAD_SIGMOID,
    GAD_SILU,
    GAD_EXP,
    GAD_LOG,
    GAD_SOFTPLUS,
    GAD_SQRT,
    GAD_SUM,
    GAD_MEAN,
    GAD_CONV2D,
    GAD_GROUP_NORM,
    GAD_CONV_T2D,
    GAD_CONCAT,
    GAD_SLICE,
    GAD_AVG_POOL,
    GAD_UPSAMPLE,
    GAD_SOFTMAX,
    GAD_LOG_SOFTMAX,
    GAD_EMBEDDING,
    GAD_RESHAPE,
    GAD_SWAP
} GadOp;

/* the reduction tree's fan-in (ad_reduce.comp) */
#define GAD_CHUNK 64u

struct GadGraph {
    GpuContext *g;
    GadTensor **pool; /* temporaries, reused by creation order across steps */
    int npool, used;
    GadTensor **tape; /* this step's op outputs that need a backward, in creation order */
    int ntape, captape;
    int failed;
    char err[256];
};

static void fail(GadGraph *gr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(GadGraph *gr, const char *fmt, ...) {
    if (gr->failed) return;
    gr->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(gr->err, sizeof gr->err, fmt, ap);
    va_end(ap);
}

static int gpu_ok(GadGraph *gr, int rc, const char *what) {
    if (rc) fail(gr, "%s: %s", what, gpu_error(gr->g));
    return rc == 0;
}

GadGraph *gad_graph_new(GpuContext *g) {
    if (!g) return NULL;
    GadGraph *gr = calloc(1, sizeof *gr);
    if (gr) gr->g = g;
    return gr;
}

static void free_buffers(GadTensor *t) {
    gpu_buffer_free(t->ema);
    gpu_buffer_free(t->val);
    gpu_buffer_free(t->grad);
    gpu_buffer_free(t->adam_m);
    gpu_buffer_free(t->adam_v);
}

void gad_graph_free(GadGraph *gr) {
    if (!gr) return;
    for (int i = 0; i < gr->npool; i++) {
        free_buffers(gr->pool[i]);
        free(gr->pool[i]);
    }
    free(gr->pool);
    free(gr->tape);
    free(gr);
}

void gad_graph_reset(GadGraph *gr) {
    gr->used = 0;
    gr->ntape = 0;
}

const char *gad_error(const GadGraph *gr) { return gr ? gr->err : "no graph"; }

static size_t bytes_of(long n) { return (size_t)(n > 0 ? n : 1) * sizeof(float); }

/* A buffer of at least n floats in *buf (capacity *cap); reuses what is there. */
static int ensure(GadGraph *gr, GpuBuffer **buf, size_t *cap, long n) {
    if (*buf && *cap >= (size_t)n) return 0;
    gpu_buffer_free(*buf);
    *buf = gpu_buffer_new(gr->g, bytes_of(n));
    if (!*buf) {
        fail(gr, "allocating %ld floats: %s", n, gpu_error(gr->g));
        *cap = 0;
        return -1;
    }
    *cap = (size_t)(n > 0 ? n : 1);
    return 0;
}

static void set_shape(GadTensor *t, int ndim, const int *shape) {
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < AD_MAX_DIM; i++) {
        t->shape[i] = i < ndim ? shape[i] : 1;
        if (i < ndim) t->size *= shape[i];
    }
}

/* The next temporary of this step, with a gradient buffer when `grad`. */
static GadTensor *temp(GadGraph *gr, int ndim, const int *shape, int grad) {
    if (gr->failed) return NULL;
    if (gr->used == gr->npool) {
        GadTensor **p = realloc(gr->pool, (size_t)(gr->npool + 1) * sizeof *p);
        if (!p) return fail(gr, "out of host memory"), NULL;
        gr->pool = p;
        if (!(p[gr->npool] = calloc(1, sizeof **p))) return fail(gr, "out of host memory"), NULL;
        gr->npool++;
    }
    GadTensor *t = gr->pool[gr->used++];
    set_shape(t, ndim, shape);
    t->requires_grad = grad;
    t->is_param = 0;
    t->op = GAD_LEAF;
    t->in[0] = t->in[1] = t->in[2] = NULL;
    t->bcast[0] = t->bcast[1] = 0;
    t->outer = t->mid = t->inner = 1;
    t->cols = NULL;
    t->stride = t->pad = 0;
    t->eps = 0;
    if (ensure(gr, &t->val, &t->cap_val, t->size)) return NULL;
    if (grad && ensure(gr, &t->grad, &t->cap_grad, t->size)) return NULL;
    return t;
}

static int push_tape(GadGraph *gr, GadTensor *t) {
    if (!t->requires_grad) return 0;
    if (gr->ntape == gr->captape) {
        int cap = gr->captape ? 2 * gr->captape : 64;
        GadTensor **p = realloc(gr->tape, (size_t)cap * sizeof *p);
        if (!p) return fail(gr, "out of host memory"), -1;
        gr->tape = p;
        gr->captape = cap;
    }
    gr->tape[gr->ntape++] = t;
    return 0;
}

GadTensor *gad_param_from_ad(GadGraph *gr, const AdTensor *p) {
    if (!gr || gr->failed) return NULL;
    GadTensor *t = calloc(1, sizeof *t);
    float *host = malloc(bytes_of(p->size));
    if (!t || !host) {
        free(t);
        free(host);
        return fail(gr, "out of host memory"), NULL;
    }
    set_shape(t, p->ndim, p->shape);
    t->requires_grad = t->is_param = 1;
    for (long i = 0; i < p->size; i++) host[i] = (float)ad_get(p, i);
    int ok = !ensure(gr, &t->val, &t->cap_val, t->size) &&
             !ensure(gr, &t->grad, &t->cap_grad, t->size) &&
             gpu_ok(gr, gpu_buffer_write(t->val, 0, host, bytes_of(t->size)), "upload");
    free(host);
    if (!ok) {
        gad_tensor_free(t);
        return NULL;
    }
    return t;
}

int gad_param_to_ad(GadTensor *t, AdTensor *p) {
    if (!t || p->size != t->size) return -1;
    float *host = malloc(bytes_of(t->size));
    if (!host) return -1;
    int rc = gad_read(t, host);
    if (!rc)
        for (long i = 0; i < t->size; i++) ad_set(p, i, host[i]);
    free(host);
    return rc;
}

void gad_tensor_free(GadTensor *param) {
    if (!param || !param->is_param) return;
    free_buffers(param);
    free(param);
}

GadTensor *gad_input(GadGraph *gr, int ndim, const int *shape, const float *src) {
    if (!gr) return NULL;
    GadTensor *t = temp(gr, ndim, shape, 0);
    if (!t) return NULL;
    static const float zero = 0.0f;
    if (src) {
        if (!gpu_ok(gr, gpu_buffer_write(t->val, 0, src, bytes_of(t->size)), "upload")) return NULL;
    } else if (t->size > 0) {
        /* a pooled buffer holds last step's values: zero it on the device */
        struct { uint32_t n, spread; float value, scale; } pc = {(uint32_t)t->size, 0, zero, 0};
        GpuBuffer *b[2] = {t->val, NULL};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_fill", b, 2, &pc, sizeof pc, (uint32_t)t->size),
                    "ad_fill"))
            return NULL;
    }
    return t;
}

/* ---------------------------------------------------------------------------------------- */
/* Dispatch helpers, one per kernel                                                           */

/* A CPU Vulkan driver silently ends a shader loop after GPU_CPU_DRIVER_LOOP_LIMIT iterations
   (gpu.h); work whose loops would run longer is refused there, so the caller falls back. */
static int loop_ok(GadGraph *gr, const char *kernel, uint64_t iterations) {
    if (!gpu_info(gr->g)->is_cpu_device || iterations <= GPU_CPU_DRIVER_LOOP_LIMIT) return 1;
    fail(gr, "%s: %llu loop iterations per work item exceed the CPU driver's limit %d", kernel,
         (unsigned long long)iterations, GPU_CPU_DRIVER_LOOP_LIMIT);
    return 0;
}

/* C (m,n) (=|+=) op(A) op(B) (+ bias), `batch` times at the given strides, ad_matmul.comp */
static int rec_bmm(GadGraph *gr, GpuBuffer *a, GpuBuffer *b, GpuBuffer *c, GpuBuffer *bias,
                   unsigned m, unsigned n, unsigned k, int ta, int tb, int acc, unsigned batch,
                   unsigned sa, unsigned sb, unsigned sc) {
    unsigned wg = gpu_info(gr->g)->workgroup_size, tile = 1;
    while ((tile + 1) * (tile + 1) <= wg && tile < 16) tile++;
    struct { uint32_t m, n, k, tile, ta, tb, acc, has_bias, batch, sa, sb, sc; } pc = {
        m, n, k, tile, (uint32_t)ta, (uint32_t)tb, (uint32_t)acc, bias != NULL, batch, sa, sb, sc};
    uint64_t tiles = (uint64_t)batch * ((m + tile - 1) / tile) * ((n + tile - 1) / tile);
    uint64_t items = tiles * wg;
    if (items > 65535ull * wg) items = 65535ull * wg; /* the kernel loops over tiles */
    if (!loop_ok(gr, "ad_matmul", (uint64_t)k * ((tiles + 65534) / 65535))) return -1;
    GpuBuffer *bufs[4] = {a, b, c, bias};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_matmul", bufs, 4, &pc, sizeof pc, (uint32_t)items),
                  "ad_matmul") ? 0 : -1;
}

static int rec_matmul(GadGraph *gr, GpuBuffer *a, GpuBuffer *b, GpuBuffer *c, GpuBuffer *bias,
                      unsigned m, unsigned n, unsigned k, int ta, int tb, int acc) {
    return rec_bmm(gr, a, b, c, bias, m, n, k, ta, tb, acc, 1, 0, 0, 0);
}

static int rec_fill(GadGraph *gr, GpuBuffer *x, long n, float value) {
    struct { uint32_t n, spread; float value, scale; } pc = {(uint32_t)n, 0, value, 0};
    GpuBuffer *b[2] = {x, NULL};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_fill", b, 2, &pc, sizeof pc, (uint32_t)n),
                  "ad_fill") ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Ops                                                                                        */

static int live(const GadGraph *gr, const GadTensor *a) { return gr && !gr->failed && a; }

GadTensor *gad_linear(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b) {
    if (!gr || gr->failed || !x || !w) return NULL;
    if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != w->shape[0] ||
        (b && (b->size != w->shape[1]))) {
        fail(gr, "gad_linear: shapes (%d,%d) (%d,%d) bias %ld", x->shape[0], x->shape[1],
             w->shape[0], w->shape[1], b ? b->size : 0L);
        return NULL;
    }
    const int shape[2] = {x->shape[0], w->shape[1]};
    const int grad = x->requires_grad || w->requires_grad || (b && b->requires_grad);
    GadTensor *y = temp(gr, 2, shape, grad);
    if (!y) return NULL;
    y->op = b ? GAD_LINEAR : GAD_MATMUL;
    y->in[0] = x;
    y->in[1] = w;
    y->in[2] = b;
    if (rec_matmul(gr, x->val, w->val, y->val, b ? b->val : NULL, (unsigned)shape[0],
                   (unsigned)shape[1], (unsigned)x->shape[1], 0, 0, 0))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

/* a @ b (transb 0) or a @ b^T (transb 1), 2-D or batched 3-D; y->pad = transb, y->stride = B */
static GadTensor *matmul_any(GadGraph *gr, GadTensor *a, GadTensor *b, int transb, const char *name) {
    if (!gr || gr->failed || !a || !b) return NULL;
    const int nd = a->ndim, bt = nd == 3;
    const int ka = a->shape[nd - 1], kb = transb ? b->shape[nd - 1] : b->shape[nd - 2];
    if ((nd != 2 && nd != 3) || b->ndim != nd || ka != kb || (bt && a->shape[0] != b->shape[0])) {
        fail(gr, "%s: 2-D or batched 3-D operands with matching inner sizes (ndim %d, %d)", name,
             a->ndim, b->ndim);
        return NULL;
    }
    if (!transb && !bt) return gad_linear(gr, a, b, NULL);
    const int batch = bt ? a->shape[0] : 1, m = a->shape[nd - 2];
    const int n = transb ? b->shape[nd - 2] : b->shape[nd - 1];
    const int shape[3] = {batch, m, n};
    GadTensor *y = bt ? temp(gr, 3, shape, a->requires_grad || b->requires_grad)
                      : temp(gr, 2, shape + 1, a->requires_grad || b->requires_grad);
    if (!y) return NULL;
    y->op = GAD_MATMUL;
    y->in[0] = a;
    y->in[1] = b;
    y->pad = transb;
    y->stride = batch;
    if (rec_bmm(gr, a->val, b->val, y->val, NULL, (unsigned)m, (unsigned)n, (unsigned)ka, 0,
                transb, 0, (unsigned)batch, (unsigned)(m * ka), (unsigned)(ka * n),
                (unsigned)(m * n)))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_matmul(GadGraph *gr, GadTensor *a, GadTensor *b) {
    return matmul_any(gr, a, b, 0, "gad_matmul");
}
GadTensor *gad_matmul_t(GadGraph *gr, GadTensor *a, GadTensor *b) {
    return matmul_any(gr, a, b, 1, "gad_matmul_t");
}

/* How operand x broadcasts to `out` (a full operand's shape): full (0), or a vector along one
   contiguous block of axes [p, q) of out (1, with outer/mid/inner); -1 if neither. */
static int bcast_layout(const GadTensor *x, const GadTensor *out, unsigned *outer, unsigned *mid,
                        unsigned *inner) {
    if (x->size == out->size) {
        *outer = *inner = 1;
        *mid = (unsigned)out->size;
        return 0;
    }
    if (x->ndim > out->ndim) return -1;
    int xs[AD_MAX_DIM], off = out->ndim - x->ndim, p = -1, q = -1;
    for (int i = 0; i < out->ndim; i++) {
        xs[i] = i < off ? 1 : x->shape[i - off];
        if (xs[i] != 1) {
            if (p < 0) p = i;
            q = i + 1;
        }
    }
    if (p < 0) p = q = out->ndim; /* a scalar */
    long o = 1, m = 1, n = 1;
    for (int i = 0; i < out->ndim; i++) {
        if (i >= p && i < q) {
            if (xs[i] != out->shape[i]) return -1;
            m *= out->shape[i];
        } else if (i < p) {
            o *= out->shape[i];
        } else {
            n *= out->shape[i];
        }
        if (i < p || i >= q) {
            if (xs[i] != 1) return -1;
        }
    }
    *outer = (unsigned)o;
    *mid = (unsigned)m;
    *inner = (unsigned)n;
    return 1;
}

static GadTensor *binary(GadGraph *gr, int op, GadTensor *a, GadTensor *b, const char *name) {
    if (!gr || gr->failed || !a || !b) return NULL;
    GadTensor *full = a->size >= b->size ? a : b;
    unsigned o[2], m[2], n[2];
    int ba = bcast_layout(a, full, &o[0], &m[0], &n[0]);
    int bb = bcast_layout(b, full, &o[1], &m[1], &n[1]);
    if (ba < 0 || bb < 0) {
        fail(gr, "%s: sizes %ld and %ld: one operand must have the output's shape and the other "
                 "vary along one block of its axes (this slice)", name, a->size, b->size);
        return NULL;
    }
    GadTensor *y = temp(gr, full->ndim, full->shape, a->requires_grad || b->requires_grad);
    if (!y) return NULL;
    y->op = op;
    y->in[0] = a;
    y->in[1] = b;
    y->bcast[0] = ba;
    y->bcast[1] = bb;
    const int k = ba ? 0 : 1; /* the broadcast operand's layout (or either, both full) */
    y->outer = o[k];
    y->mid = m[k];
    y->inner = n[k];
    struct { uint32_t n, op, ab, bb, mid, inner; } pc = {
        (uint32_t)y->size, (uint32_t)(op - GAD_ADD), (uint32_t)ba, (uint32_t)bb, y->mid, y->inner};
    GpuBuffer *bufs[3] = {a->val, b->val, y->val};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary", bufs, 3, &pc, sizeof pc, (uint32_t)y->size),
                name))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_add(GadGraph *gr, GadTensor *a, GadTensor *b) { return binary(gr, GAD_ADD, a, b, "gad_add"); }
GadTensor *gad_sub(GadGraph *gr, GadTensor *a, GadTensor *b) { return binary(gr, GAD_SUB, a, b, "gad_sub"); }
GadTensor *gad_mul(GadGraph *gr, GadTensor *a, GadTensor *b) { return binary(gr, GAD_MUL, a, b, "gad_mul"); }
GadTensor *gad_div(GadGraph *gr, GadTensor *a, GadTensor *b) { return binary(gr, GAD_DIV, a, b, "gad_div"); }

static GadTensor *unary(GadGraph *gr, int op, GadTensor *a) {
    if (!live(gr, a)) return NULL;
    GadTensor *y = temp(gr, a->ndim, a->shape, a->requires_grad);
    if (!y) return NULL;
    y->op = op;
    y->in[0] = a;
    struct { uint32_t n, op, backward; } pc = {(uint32_t)a->size, (uint32_t)(op - GAD_RELU), 0};
    GpuBuffer *bufs[4] = {a->val, y->val, NULL, NULL};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_unary", bufs, 4, &pc, sizeof pc, (uint32_t)a->size),
                "ad_unary"))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_relu(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_RELU, a); }
GadTensor *gad_tanh(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_TANH, a); }
GadTensor *gad_sigmoid(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_SIGMOID, a); }
GadTensor *gad_silu(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_SILU, a); }
GadTensor *gad_exp(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_EXP, a); }
GadTensor *gad_log(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_LOG, a); }
GadTensor *gad_softplus(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_SOFTPLUS, a); }
GadTensor *gad_sqrt(GadGraph *gr, GadTensor *a) { return unary(gr, GAD_SQRT, a); }

/* The fixed tree: levels of GAD_CHUNK-element sequential sums until one value is left; the
   scale (1/n for the mean, rounded to float once) multiplies the last level. */
static GadTensor *reduce(GadGraph *gr, int op, GadTensor *a) {
    if (!live(gr, a)) return NULL;
    const float scale = op == GAD_MEAN ? (float)(1.0 / (double)a->size) : 1.0f;
    GpuBuffer *src = a->val;
    unsigned n = (unsigned)a->size;
    GadTensor *y = NULL;
    do {
        unsigned nout = (n + GAD_CHUNK - 1) / GAD_CHUNK;
        if (nout == 0) nout = 1;
        GadTensor *lvl;
        if (nout == 1) {
            lvl = y = temp(gr, 0, NULL, a->requires_grad);
        } else {
            const int s[1] = {(int)nout};
            lvl = temp(gr, 1, s, 0);
        }
        if (!lvl) return NULL;
        struct { uint32_t n, chunk, nout; float scale; uint32_t square, out_off; } pc = {
            n, GAD_CHUNK, nout, nout == 1 ? scale : 1.0f, 0, 0};
        GpuBuffer *bufs[2] = {src, lvl->val};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_reduce", bufs, 2, &pc, sizeof pc, nout),
                    "ad_reduce"))
            return NULL;
        src = lvl->val;
        n = nout;
    } while (!y);
    y->op = op;
    y->in[0] = a;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_sum(GadGraph *gr, GadTensor *a) { return reduce(gr, GAD_SUM, a); }
GadTensor *gad_mean(GadGraph *gr, GadTensor *a) { return reduce(gr, GAD_MEAN, a); }

GadTensor *gad_mse(GadGraph *gr, GadTensor *a, GadTensor *b) {
    GadTensor *d = gad_sub(gr, a, b);
    return gad_mean(gr, gad_mul(gr, d, d));
}


/* ---------------------------------------------------------------------------------------- */
/* conv2d: im2col + matmul + a swap of the last two axes                                      */

typedef struct { uint32_t n, c, h, w, kh, kw, stride, pad, ho, wo; } ConvPush;

static ConvPush conv_push(const GadTensor *y) {
    const GadTensor *x = y->in[0], *w = y->in[1];
    return (ConvPush){(uint32_t)x->shape[0], (uint32_t)x->shape[1], (uint32_t)x->shape[2],
                      (uint32_t)x->shape[3], (uint32_t)w->shape[2], (uint32_t)w->shape[3],
                      (uint32_t)y->stride, (uint32_t)y->pad, (uint32_t)y->shape[2],
                      (uint32_t)y->shape[3]};
}

/* x viewed as (A, P, M, Q, K) -> y (A, Q, M, P, K) (ad_swap.comp) */
static int rec_swap5(GadGraph *gr, GpuBuffer *x, GpuBuffer *y, unsigned a, unsigned p, unsigned m,
                     unsigned q, unsigned k) {
    struct { uint32_t a, p, m, q, k; } pc = {a, p, m, q, k};
    GpuBuffer *bufs[2] = {x, y};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_swap", bufs, 2, &pc, sizeof pc, a * p * m * q * k),
                  "ad_swap") ? 0 : -1;
}

/* x (A, B, K) -> y (A, K, B) */
static int rec_swap(GadGraph *gr, GpuBuffer *x, GpuBuffer *y, unsigned a, unsigned b, unsigned k) {
    return rec_swap5(gr, x, y, a, b, 1, k, 1);
}

GadTensor *gad_conv2d(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b, int stride,
                      int pad) {
    if (!gr || gr->failed || !x || !w) return NULL;
    if (x->ndim != 4 || w->ndim != 4 || x->shape[1] != w->shape[1] || stride < 1 || pad < 0 ||
        (b && b->size != w->shape[0]) || x->shape[2] + 2 * pad < w->shape[2] ||
        x->shape[3] + 2 * pad < w->shape[3]) {
        fail(gr, "gad_conv2d: x (%d,%d,%d,%d), w (%d,%d,%d,%d), stride %d, pad %d do not fit",
             x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[1],
             w->shape[2], w->shape[3], stride, pad);
        return NULL;
    }
    const int n = x->shape[0], o = w->shape[0], kh = w->shape[2], kw = w->shape[3];
    const int ho = (x->shape[2] + 2 * pad - kh) / stride + 1;
    const int wo = (x->shape[3] + 2 * pad - kw) / stride + 1;
    const int rows = n * ho * wo, ckk = x->shape[1] * kh * kw;
    GadTensor *cols = temp(gr, 2, (int[]){rows, ckk}, 0);
    GadTensor *yt = temp(gr, 2, (int[]){rows, o}, 0);
    const int grad = x->requires_grad || w->requires_grad || (b && b->requires_grad);
    GadTensor *y = temp(gr, 4, (int[]){n, o, ho, wo}, grad);
    if (!cols || !yt || !y) return NULL;
    y->op = GAD_CONV2D;
    y->in[0] = x;
    y->in[1] = w;
    y->in[2] = b;
    y->cols = cols;
    y->stride = stride;
    y->pad = pad;
    const ConvPush pc = conv_push(y);
    GpuBuffer *bufs[2] = {x->val, cols->val};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_im2col", bufs, 2, &pc, sizeof pc,
                                 (uint32_t)cols->size), "ad_im2col"))
        return NULL;
    //: $Y' = \mathrm{cols}\, W^\top + b$, $W$ read as (O, C kh kw)
    if (rec_matmul(gr, cols->val, w->val, yt->val, b ? b->val : NULL, (unsigned)rows,
                   (unsigned)o, (unsigned)ckk, 0, 1, 0) ||
        rec_swap(gr, yt->val, y->val, (unsigned)n, (unsigned)(ho * wo), (unsigned)o))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

static int back_conv2d(GadGraph *gr, GadTensor *y) {
    GadTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    const int n = y->shape[0], o = y->shape[1], hw = y->shape[2] * y->shape[3];
    const unsigned rows = (unsigned)(n * hw), ckk = (unsigned)y->cols->shape[1];
    /* the gradient back in the (N Ho Wo, O) layout of the product */
    GadTensor *gyt = temp(gr, 2, (int[]){(int)rows, o}, 0);
    if (!gyt || rec_swap(gr, y->grad, gyt->val, (unsigned)n, (unsigned)o, (unsigned)hw)) return -1;
    //: $\bar W \mathrel{+}= \bar Y'^\top \mathrm{cols}$
    if (w->requires_grad &&
        rec_matmul(gr, gyt->val, y->cols->val, w->grad, NULL, (unsigned)o, ckk, rows, 1, 0, 1))
        return -1;
    if (b && b->requires_grad) {
        //: $\bar b_o \mathrel{+}= \sum_r \bar Y'_{ro}$
        struct { uint32_t n, mul, xb, ob, mid, inner, outer; float sign; } pc = {
            rows * (unsigned)o, 0, 1, 0, (uint32_t)o, 1, rows, 1.0f};
        GpuBuffer *bufs[3] = {gyt->val, NULL, b->grad};
        if (!loop_ok(gr, "ad_binary_back", rows) ||
            !gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary_back", bufs, 3, &pc, sizeof pc,
                                     (uint32_t)o), "ad_binary_back"))
            return -1;
    }
    if (x->requires_grad) {
        //: $\overline{\mathrm{cols}} = \bar Y' W$, then gathered back onto the pixels
        GadTensor *gcols = temp(gr, 2, (int[]){(int)rows, (int)ckk}, 0);
        if (!gcols ||
            rec_matmul(gr, gyt->val, w->val, gcols->val, NULL, rows, ckk, (unsigned)o, 0, 0, 0))
            return -1;
        const ConvPush pc = conv_push(y);
        GpuBuffer *bufs[2] = {gcols->val, x->grad};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_col2im", bufs, 2, &pc, sizeof pc,
                                     (uint32_t)x->size), "ad_col2im"))
            return -1;
    }
    return 0;
}



/* ---------------------------------------------------------------------------------------- */
/* conv_transpose2d: x' W, then the col2im gather (conv2d's data backward)                    */

/* the conv2d geometry whose image is the output y (N,Cout,Ho,Wo) and whose result is x's H x W */
static ConvPush convt_push(const GadTensor *y, const GadTensor *x, const GadTensor *w) {
    return (ConvPush){(uint32_t)y->shape[0], (uint32_t)y->shape[1], (uint32_t)y->shape[2],
                      (uint32_t)y->shape[3], (uint32_t)w->shape[2], (uint32_t)w->shape[3],
                      (uint32_t)y->stride, (uint32_t)y->pad, (uint32_t)x->shape[2],
                      (uint32_t)x->shape[3]};
}

GadTensor *gad_conv_transpose2d(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b,
                                int stride, int pad) {
    if (!gr || gr->failed || !x || !w) return NULL;
    const int ok = x->ndim == 4 && w->ndim == 4 && x->shape[1] == w->shape[0] && stride >= 1 &&
                   pad >= 0 && (!b || b->size == w->shape[1]);
    const int ho = ok ? (x->shape[2] - 1) * stride - 2 * pad + w->shape[2] : 0;
    const int wo = ok ? (x->shape[3] - 1) * stride - 2 * pad + w->shape[3] : 0;
    if (!ok || ho < 1 || wo < 1) {
        fail(gr, "gad_conv_transpose2d: x (%d,%d,%d,%d), w (%d,%d,%d,%d), stride %d, pad %d "
                 "do not fit", x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0],
             w->shape[1], w->shape[2], w->shape[3], stride, pad);
        return NULL;
    }
    const int n = x->shape[0], cin = x->shape[1], cout = w->shape[1];
    const int hw = x->shape[2] * x->shape[3], ckk = cout * w->shape[2] * w->shape[3];
    GadTensor *xt = temp(gr, 2, (int[]){n * hw, cin}, 0);
    GadTensor *cols = temp(gr, 2, (int[]){n * hw, ckk}, 0);
    const int grad = x->requires_grad || w->requires_grad || (b && b->requires_grad);
    GadTensor *y = temp(gr, 4, (int[]){n, cout, ho, wo}, grad);
    if (!xt || !cols || !y) return NULL;
    y->op = GAD_CONV_T2D;
    y->in[0] = x;
    y->in[1] = w;
    y->in[2] = b;
    y->cols = xt;
    y->stride = stride;
    y->pad = pad;
    const ConvPush pc = convt_push(y, x, w);
    GpuBuffer *bufs[2] = {cols->val, y->val};
    //: $\mathrm{cols} = x' W$ with $x'$ the (N H W, Cin) layout of x, W read as (Cin, Cout kh kw)
    if (rec_swap(gr, x->val, xt->val, (unsigned)n, (unsigned)cin, (unsigned)hw) ||
        rec_matmul(gr, xt->val, w->val, cols->val, NULL, (unsigned)(n * hw), (unsigned)ckk,
                   (unsigned)cin, 0, 0, 0) ||
        rec_fill(gr, y->val, y->size, 0.0f) ||
        !gpu_ok(gr, gpu_dispatch(gr->g, "ad_col2im", bufs, 2, &pc, sizeof pc, (uint32_t)y->size),
                "ad_col2im"))
        return NULL;
    if (push_tape(gr, y)) return NULL;
    if (!b) return y;
    /* the bias per output channel: a broadcast add, (N, Cout, Ho Wo) + b (Cout) along axis 1,
       recorded as an ordinary add (its backward sums b's gradient over N and Ho Wo) */
    GadTensor *yb = temp(gr, 4, y->shape, grad);
    if (!yb) return NULL;
    yb->op = GAD_ADD;
    yb->in[0] = y;
    yb->in[1] = b;
    yb->bcast[1] = 1;
    yb->outer = (unsigned)n;
    yb->mid = (unsigned)cout;
    yb->inner = (unsigned)(ho * wo);
    struct { uint32_t n, op, ab, bb, mid, inner; } pb = {(uint32_t)yb->size, 0, 0, 1, yb->mid,
                                                        yb->inner};
    GpuBuffer *bb[3] = {y->val, b->val, yb->val};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary", bb, 3, &pb, sizeof pb, (uint32_t)yb->size),
                "ad_binary"))
        return NULL;
    return push_tape(gr, yb) ? NULL : yb;
}

static int back_conv_t2d(GadGraph *gr, GadTensor *y) {
    GadTensor *x = y->in[0], *w = y->in[1];
    const int n = x->shape[0], cin = x->shape[1], hw = x->shape[2] * x->shape[3];
    const unsigned rows = (unsigned)(n * hw), ckk = (unsigned)(w->size / cin);
    GadTensor *gcols = temp(gr, 2, (int[]){(int)rows, (int)ckk}, 0);
    if (!gcols) return -1;
    const ConvPush pc = convt_push(y, x, w);
    GpuBuffer *bufs[2] = {y->grad, gcols->val};
    //: $\overline{\mathrm{cols}}$ = im2col of $\bar y$ (the adjoint of the gather)
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_im2col", bufs, 2, &pc, sizeof pc,
                                 (uint32_t)gcols->size), "ad_im2col"))
        return -1;
    //: $\bar W \mathrel{+}= x'^\top\,\overline{\mathrm{cols}}$
    if (w->requires_grad &&
        rec_matmul(gr, y->cols->val, gcols->val, w->grad, NULL, (unsigned)cin, ckk, rows, 1, 0, 1))
        return -1;
    if (x->requires_grad) {
        //: $\bar x' = \overline{\mathrm{cols}}\,W^\top$, back to NCHW, added into $\bar x$
        GadTensor *gxt = temp(gr, 2, (int[]){(int)rows, cin}, 0);
        GadTensor *gx = temp(gr, 4, x->shape, 0);
        if (!gxt || !gx ||
            rec_matmul(gr, gcols->val, w->val, gxt->val, NULL, rows, (unsigned)cin, ckk, 0, 1, 0) ||
            rec_swap(gr, gxt->val, gx->val, (unsigned)n, (unsigned)hw, (unsigned)cin))
            return -1;
        struct { uint32_t n, mul, xb, ob, mid, inner, outer; float sign; } pa = {
            (uint32_t)x->size, 0, 0, 0, (uint32_t)x->size, 1, 1, 1.0f};
        GpuBuffer *ba[3] = {gx->val, NULL, x->grad};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary_back", ba, 3, &pa, sizeof pa,
                                     (uint32_t)x->size), "ad_binary_back"))
            return -1;
    }
    return 0;
}


/* ---------------------------------------------------------------------------------------- */
/* concat and slice: block copies (ad_slice_copy.comp); exact in both directions              */

typedef struct { uint32_t outer, inner, len, src_len, src_off, dst_len, dst_off, acc; } CopyPush;

static int rec_copy(GadGraph *gr, GpuBuffer *src, GpuBuffer *dst, CopyPush pc) {
    GpuBuffer *bufs[2] = {src, dst};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_slice_copy", bufs, 2, &pc, sizeof pc,
                                   pc.outer * pc.len * pc.inner), "ad_slice_copy") ? 0 : -1;
}

/* outer and inner extents around axis ax of t */
static void around(const GadTensor *t, int ax, uint32_t *outer, uint32_t *inner) {
    *outer = *inner = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (i < ax) *outer *= (uint32_t)t->shape[i];
        if (i > ax) *inner *= (uint32_t)t->shape[i];
    }
}

GadTensor *gad_concat(GadGraph *gr, GadTensor **xs, int n, int axis) {
    if (!gr || gr->failed) return NULL;
    for (int k = 0; k < n; k++)
        if (!xs[k]) return NULL;
    if (n < 1 || n > 3) {
        fail(gr, "gad_concat: %d inputs (1 to 3 in this slice)", n);
        return NULL;
    }
    const int nd = xs[0]->ndim, ax = axis < 0 ? axis + nd : axis;
    int shape[AD_MAX_DIM], grad = 0;
    if (ax < 0 || ax >= nd) {
        fail(gr, "gad_concat: axis %d of a %d-D tensor", axis, nd);
        return NULL;
    }
    for (int i = 0; i < nd; i++) shape[i] = xs[0]->shape[i];
    shape[ax] = 0;
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < nd; i++)
            if (xs[k]->ndim != nd || (i != ax && xs[k]->shape[i] != shape[i])) {
                fail(gr, "gad_concat: input %d does not match input 0 off axis %d", k, ax);
                return NULL;
            }
        shape[ax] += xs[k]->shape[ax];
        grad |= xs[k]->requires_grad;
    }
    GadTensor *y = temp(gr, nd, shape, grad);
    if (!y) return NULL;
    y->op = GAD_CONCAT;
    y->stride = ax;
    uint32_t outer, inner, off = 0;
    around(y, ax, &outer, &inner);
    for (int k = 0; k < n; k++) {
        y->in[k] = xs[k];
        const uint32_t len = (uint32_t)xs[k]->shape[ax];
        if (rec_copy(gr, xs[k]->val, y->val,
                     (CopyPush){outer, inner, len, len, 0, (uint32_t)shape[ax], off, 0}))
            return NULL;
        off += len;
    }
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_slice(GadGraph *gr, GadTensor *a, int axis, int start, int end) {
    if (!live(gr, a)) return NULL;
    const int ax = axis < 0 ? axis + a->ndim : axis;
    if (ax < 0 || ax >= a->ndim || start < 0 || end > a->shape[ax] || start >= end) {
        fail(gr, "gad_slice: [%d,%d) of axis %d", start, end, axis);
        return NULL;
    }
    int shape[AD_MAX_DIM];
    for (int i = 0; i < a->ndim; i++) shape[i] = a->shape[i];
    shape[ax] = end - start;
    GadTensor *y = temp(gr, a->ndim, shape, a->requires_grad);
    if (!y) return NULL;
    y->op = GAD_SLICE;
    y->in[0] = a;
    y->stride = ax;
    y->pad = start;
    uint32_t outer, inner;
    around(a, ax, &outer, &inner);
    if (rec_copy(gr, a->val, y->val,
                 (CopyPush){outer, inner, (uint32_t)shape[ax], (uint32_t)a->shape[ax],
                            (uint32_t)start, (uint32_t)shape[ax], 0, 0}))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

static int back_copy(GadGraph *gr, GadTensor *y) {
    const int ax = y->stride;
    uint32_t outer, inner;
    around(y, ax, &outer, &inner);
    const uint32_t ylen = (uint32_t)y->shape[ax];
    if (y->op == GAD_SLICE) {
        GadTensor *a = y->in[0];
        if (!a->requires_grad) return 0;
        return rec_copy(gr, y->grad, a->grad,
                        (CopyPush){outer, inner, ylen, ylen, 0, (uint32_t)a->shape[ax],
                                   (uint32_t)y->pad, 1});
    }
    uint32_t off = 0;
    for (int k = 0; k < 3 && y->in[k]; k++) {
        const uint32_t len = (uint32_t)y->in[k]->shape[ax];
        if (y->in[k]->requires_grad &&
            rec_copy(gr, y->grad, y->in[k]->grad, (CopyPush){outer, inner, len, ylen, off, len, 0, 1}))
            return -1;
        off += len;
    }
    return 0;
}


/* ---------------------------------------------------------------------------------------- */
/* avg_pool2d and upsample_nearest2d (ad_resample.comp)                                       */

typedef struct { uint32_t planes, h, w, k, mode; float inv; } ResPush;

static int rec_resample(GadGraph *gr, GpuBuffer *src, GpuBuffer *dst, ResPush pc) {
    const int small = pc.mode == 0 || pc.mode == 3;
    const uint32_t items = pc.planes * (small ? (pc.h / pc.k) * (pc.w / pc.k) : pc.h * pc.w);
    GpuBuffer *bufs[2] = {src, dst};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_resample", bufs, 2, &pc, sizeof pc, items),
                  "ad_resample") ? 0 : -1;
}

static GadTensor *resample(GadGraph *gr, GadTensor *x, int k, int op) {
    if (!live(gr, x)) return NULL;
    const int pool = op == GAD_AVG_POOL;
    if (x->ndim != 4 || k < 1 || (pool && (x->shape[2] % k || x->shape[3] % k))) {
        fail(gr, "%s: x of %d dimensions, factor %d", pool ? "gad_avg_pool2d" : "gad_upsample_nearest2d",
             x->ndim, k);
        return NULL;
    }
    const int shape[4] = {x->shape[0], x->shape[1], pool ? x->shape[2] / k : x->shape[2] * k,
                          pool ? x->shape[3] / k : x->shape[3] * k};
    GadTensor *y = temp(gr, 4, shape, x->requires_grad);
    if (!y) return NULL;
    y->op = op;
    y->in[0] = x;
    y->stride = k;
    const GadTensor *big = pool ? x : y;
    const ResPush pc = {(uint32_t)(x->shape[0] * x->shape[1]), (uint32_t)big->shape[2],
                        (uint32_t)big->shape[3], (uint32_t)k, pool ? 0u : 2u,
                        (float)(1.0 / ((double)k * k))};
    if (rec_resample(gr, x->val, y->val, pc)) return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_avg_pool2d(GadGraph *gr, GadTensor *x, int k) { return resample(gr, x, k, GAD_AVG_POOL); }
GadTensor *gad_upsample_nearest2d(GadGraph *gr, GadTensor *x, int factor) {
    return resample(gr, x, factor, GAD_UPSAMPLE);
}

static int back_resample(GadGraph *gr, GadTensor *y) {
    GadTensor *x = y->in[0];
    if (!x->requires_grad) return 0;
    const int pool = y->op == GAD_AVG_POOL, k = y->stride;
    const GadTensor *big = pool ? x : y;
    const ResPush pc = {(uint32_t)(x->shape[0] * x->shape[1]), (uint32_t)big->shape[2],
                        (uint32_t)big->shape[3], (uint32_t)k, pool ? 1u : 3u,
                        (float)(1.0 / ((double)k * k))};
    return rec_resample(gr, y->grad, x->grad, pc);
}


/* ---------------------------------------------------------------------------------------- */
/* softmax along the last axis (ad_softmax.comp): one row per work item                       */

static GadTensor *softmax_like(GadGraph *gr, GadTensor *a, int logf) {
    if (!live(gr, a)) return NULL;
    const int cols = a->ndim ? a->shape[a->ndim - 1] : 1;
    if (!loop_ok(gr, "ad_softmax", (uint64_t)cols)) return NULL;
    GadTensor *y = temp(gr, a->ndim, a->shape, a->requires_grad);
    if (!y) return NULL;
    y->op = logf ? GAD_LOG_SOFTMAX : GAD_SOFTMAX;
    y->in[0] = a;
    struct { uint32_t rows, cols, backward, logf; } pc = {(uint32_t)(a->size / cols), (uint32_t)cols, 0,
                                                          (uint32_t)logf};
    GpuBuffer *bufs[4] = {a->val, y->val, NULL, NULL};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_softmax", bufs, 4, &pc, sizeof pc, pc.rows),
                "ad_softmax"))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_softmax(GadGraph *gr, GadTensor *a) { return softmax_like(gr, a, 0); }
GadTensor *gad_log_softmax(GadGraph *gr, GadTensor *a) { return softmax_like(gr, a, 1); }

/* Cross-entropy L = -(1/N) sum_r log p_{r, t_r} (ad_cross_entropy) composed of tested ops: the
   log-softmax rows, the N chosen entries gathered by gad_embedding from the (N C, 1) view (index
   r C + t_r), their mean, times -1 (exact). The backward comes with the ops. */
GadTensor *gad_cross_entropy(GadGraph *gr, GadTensor *logits, const int *labels) {
    if (!live(gr, logits)) return NULL;
    if (logits->ndim != 2) {
        fail(gr, "gad_cross_entropy: logits of %d dimensions (want (N, C))", logits->ndim);
        return NULL;
    }
    const int n = logits->shape[0], c = logits->shape[1];
    int *idx = malloc(sizeof(int) * (size_t)n);
    if (!idx) return fail(gr, "out of host memory"), NULL;
    for (int r = 0; r < n; r++) idx[r] = labels[r] >= 0 && labels[r] < c ? r * c + labels[r] : -1;
    GadTensor *flat = gad_reshape(gr, gad_log_softmax(gr, logits), 2, (const int[]){n * c, 1});
    GadTensor *picked = gad_embedding(gr, flat, idx, n);
    free(idx);
    const float minus_one = -1.0f;
    return gad_mul(gr, gad_mean(gr, picked), gad_input(gr, 0, NULL, &minus_one));
}

static int back_softmax(GadGraph *gr, GadTensor *y) {
    GadTensor *a = y->in[0];
    if (!a->requires_grad) return 0;
    const int cols = a->ndim ? a->shape[a->ndim - 1] : 1;
    struct { uint32_t rows, cols, backward, logf; } pc = {(uint32_t)(a->size / cols), (uint32_t)cols, 1,
                                                          y->op == GAD_LOG_SOFTMAX};
    GpuBuffer *bufs[4] = {a->val, y->val, y->grad, a->grad};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_softmax", bufs, 4, &pc, sizeof pc, pc.rows),
                  "ad_softmax") ? 0 : -1;
}


/* ---------------------------------------------------------------------------------------- */
/* embedding (ad_embedding.comp): the indices travel as a uint32 buffer                       */

GadTensor *gad_embedding(GadGraph *gr, GadTensor *table, const int *idx, int n) {
    if (!live(gr, table)) return NULL;
    if (table->ndim != 2 || n < 1) {
        fail(gr, "gad_embedding: table of %d dimensions, %d indices", table->ndim, n);
        return NULL;
    }
    const int v = table->shape[0], d = table->shape[1];
    uint32_t *u = malloc(sizeof(uint32_t) * (size_t)n);
    if (!u) return fail(gr, "out of host memory"), NULL;
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= v) {
            fail(gr, "gad_embedding: index %d at position %d outside [0, %d)", idx[i], i, v);
            free(u);
            return NULL;
        }
        u[i] = (uint32_t)idx[i];
    }
    GadTensor *it = temp(gr, 1, (int[]){n}, 0); /* float-sized slots hold the uint32 indices */
    int rc = !it || !gpu_ok(gr, gpu_buffer_write(it->val, 0, u, sizeof(uint32_t) * (size_t)n),
                            "upload");
    free(u);
    if (rc || (table->requires_grad && !loop_ok(gr, "ad_embedding", (uint64_t)n))) return NULL;
    GadTensor *y = temp(gr, 2, (int[]){n, d}, table->requires_grad);
    if (!y) return NULL;
    y->op = GAD_EMBEDDING;
    y->in[0] = table;
    y->cols = it;
    struct { uint32_t n, d, v, backward; } pc = {(uint32_t)n, (uint32_t)d, (uint32_t)v, 0};
    GpuBuffer *bufs[3] = {it->val, table->val, y->val};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_embedding", bufs, 3, &pc, sizeof pc,
                                 (uint32_t)y->size), "ad_embedding"))
        return NULL;
    return push_tape(gr, y) ? NULL : y;
}

static int back_embedding(GadGraph *gr, GadTensor *y) {
    GadTensor *t = y->in[0];
    if (!t->requires_grad) return 0;
    struct { uint32_t n, d, v, backward; } pc = {(uint32_t)y->shape[0], (uint32_t)y->shape[1],
                                                 (uint32_t)t->shape[0], 1};
    GpuBuffer *bufs[3] = {y->cols->val, y->grad, t->grad};
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_embedding", bufs, 3, &pc, sizeof pc,
                                   (uint32_t)t->size), "ad_embedding") ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* GroupNorm (ad_groupnorm.comp, phases 0..5)                                                 */

typedef struct { uint32_t n, c, groups, s, phase; float eps, inv_m; } GnPush;

static GnPush gn_push(const GadTensor *x, int groups, float eps, uint32_t phase) {
    long s = 1;
    for (int i = 2; i < x->ndim; i++) s *= x->shape[i];
    const long m = (long)(x->shape[1] / groups) * s;
    return (GnPush){(uint32_t)x->shape[0], (uint32_t)x->shape[1], (uint32_t)groups, (uint32_t)s,
                    phase, eps, (float)(1.0 / (double)m)};
}

static int rec_gn(GadGraph *gr, const GnPush *pc, GpuBuffer *const bufs[8]) {
    uint32_t items = pc->phase == 0 || pc->phase == 2 ? pc->n * pc->groups
                   : pc->phase >= 4                   ? pc->c
                                                      : pc->n * pc->c * pc->s;
    const uint64_t loop = pc->phase >= 4 ? (uint64_t)pc->n * pc->s
                                         : (uint64_t)(pc->c / pc->groups) * pc->s;
    if ((pc->phase == 0 || pc->phase == 2 || pc->phase >= 4) && !loop_ok(gr, "ad_groupnorm", loop))
        return -1;
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_groupnorm", bufs, 8, pc, sizeof *pc, items),
                  "ad_groupnorm") ? 0 : -1;
}

GadTensor *gad_group_norm(GadGraph *gr, GadTensor *x, int groups, GadTensor *weight,
                          GadTensor *bias, double eps) {
    if (!gr || gr->failed || !x || !weight || !bias) {
        if (gr && !gr->failed && x && (!weight || !bias))
            fail(gr, "gad_group_norm: weight and bias are required in this slice");
        return NULL;
    }
    if (x->ndim < 2 || groups < 1 || x->shape[1] % groups || weight->size != x->shape[1] ||
        bias->size != x->shape[1]) {
        fail(gr, "gad_group_norm: %d channels, %d groups, weight %ld, bias %ld", x->shape[1],
             groups, weight->size, bias->size);
        return NULL;
    }
    const int nb = x->shape[0] * groups;
    GadTensor *stats = temp(gr, 1, (int[]){4 * nb}, 0);
    const int grad = x->requires_grad || weight->requires_grad || bias->requires_grad;
    GadTensor *y = temp(gr, x->ndim, x->shape, grad);
    if (!stats || !y) return NULL;
    y->op = GAD_GROUP_NORM;
    y->in[0] = x;
    y->in[1] = weight;
    y->in[2] = bias;
    y->cols = stats;
    y->stride = groups;
    y->eps = (float)eps;
    GpuBuffer *bufs[8] = {x->val, y->val, weight->val, bias->val, stats->val, NULL, NULL, NULL};
    GnPush pc = gn_push(x, groups, y->eps, 0);
    if (rec_gn(gr, &pc, bufs)) return NULL;
    pc.phase = 1;
    if (rec_gn(gr, &pc, bufs)) return NULL;
    return push_tape(gr, y) ? NULL : y;
}

static int back_group_norm(GadGraph *gr, GadTensor *y) {
    GadTensor *x = y->in[0], *w = y->in[1], *b = y->in[2];
    GpuBuffer *bufs[8] = {x->val, NULL, w->val, b->val, y->cols->val, y->grad, x->grad, NULL};
    GnPush pc = gn_push(x, y->stride, y->eps, 2);
    if (x->requires_grad) {
        if (rec_gn(gr, &pc, bufs)) return -1;
        pc.phase = 3;
        if (rec_gn(gr, &pc, bufs)) return -1;
    }
    bufs[6] = NULL;
    if (w->requires_grad) {
        pc.phase = 4;
        bufs[7] = w->grad;
        if (rec_gn(gr, &pc, bufs)) return -1;
    }
    if (b->requires_grad) {
        pc.phase = 5;
        bufs[7] = b->grad;
        if (rec_gn(gr, &pc, bufs)) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* reshape (a copy under the new shape) and the swap of the last two axes (ad_swap.comp)      */

GadTensor *gad_reshape(GadGraph *gr, GadTensor *a, int ndim, const int *shape) {
    if (!live(gr, a)) return NULL;
    long n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (ndim < 0 || ndim > AD_MAX_DIM || n != a->size) {
        fail(gr, "gad_reshape: %ld elements into a %d-D shape of %ld", a->size, ndim, n);
        return NULL;
    }
    GadTensor *y = temp(gr, ndim, shape, a->requires_grad);
    if (!y) return NULL;
    y->op = GAD_RESHAPE;
    y->in[0] = a;
    const uint32_t s = (uint32_t)a->size;
    if (rec_copy(gr, a->val, y->val, (CopyPush){1, 1, s, s, 0, s, 0, 0})) return NULL;
    return push_tape(gr, y) ? NULL : y;
}

/* A no-gradient copy (common/ad's ad_detach): same values, no tape entry, so no gradient flows
   back into a (the GAN's generated batch seen by the discriminator). */
GadTensor *gad_detach(GadGraph *gr, GadTensor *a) {
    if (!live(gr, a)) return NULL;
    GadTensor *y = temp(gr, a->ndim, a->shape, 0);
    if (!y) return NULL;
    y->op = GAD_RESHAPE;
    y->in[0] = a;
    const uint32_t s = (uint32_t)a->size;
    return rec_copy(gr, a->val, y->val, (CopyPush){1, 1, s, s, 0, s, 0, 0}) ? NULL : y;
}

/* The sum (scale 1) or mean (scale 1/n, rounded to float once) over the middle axis of a viewed
   as (outer, n, inner): the batched product ones(outer, 1, n) @ a(outer, n, inner), i.e. the
   tiled matmul kernel (a sum of n terms in one fixed order, bound gamma_n sum|x|), then the
   scale, then the requested shape. Composed of tested ops, so the backward comes with them. */
GadTensor *gad_sum_axis(GadGraph *gr, GadTensor *a, int outer, int n, int inner, double scale,
                        int ndim, const int *shape) {
    if (!live(gr, a)) return NULL;
    if (outer < 1 || n < 1 || inner < 1 || (long)outer * n * inner != a->size) {
        fail(gr, "gad_sum_axis: (%d, %d, %d) does not view %ld elements", outer, n, inner, a->size);
        return NULL;
    }
    float *ones = malloc((size_t)outer * (size_t)n * sizeof *ones);
    if (!ones) return fail(gr, "out of host memory"), NULL;
    for (long i = 0; i < (long)outer * n; i++) ones[i] = 1.0f;
    GadTensor *o = gad_input(gr, 3, (const int[]){outer, 1, n}, ones);
    free(ones);
    GadTensor *y = gad_matmul(gr, o, gad_reshape(gr, a, 3, (const int[]){outer, n, inner}));
    if (scale != 1.0) {
        const float c = (float)scale;
        y = gad_mul(gr, y, gad_input(gr, 0, NULL, &c));
    }
    return gad_reshape(gr, y, ndim, shape);
}

/* The (A, P, M, Q, K) view of a shape for the swap of axes p < q */
static void swap_view(const int *shape, int ndim, int p, int q, unsigned v[5]) {
    v[0] = v[2] = v[4] = 1;
    for (int i = 0; i < ndim; i++) {
        if (i < p) v[0] *= (unsigned)shape[i];
        else if (i > p && i < q) v[2] *= (unsigned)shape[i];
        else if (i > q) v[4] *= (unsigned)shape[i];
    }
    v[1] = (unsigned)shape[p];
    v[3] = (unsigned)shape[q];
}

GadTensor *gad_swap_axes(GadGraph *gr, GadTensor *a, int ax1, int ax2) {
    if (!live(gr, a)) return NULL;
    const int nd = a->ndim;
    if (ax1 < 0) ax1 += nd;
    if (ax2 < 0) ax2 += nd;
    if (nd < 1 || ax1 < 0 || ax1 >= nd || ax2 < 0 || ax2 >= nd) {
        fail(gr, "gad_swap_axes: axes %d and %d of a %d-D tensor", ax1, ax2, nd);
        return NULL;
    }
    //: the same axis twice: the identity (a copy, as ad_swap_axes computes it)
    if (ax1 == ax2) return gad_reshape(gr, a, nd, a->shape);
    const int p = ax1 < ax2 ? ax1 : ax2, q = ax1 < ax2 ? ax2 : ax1;
    int shape[AD_MAX_DIM];
    for (int i = 0; i < nd; i++) shape[i] = a->shape[i];
    shape[p] = a->shape[q];
    shape[q] = a->shape[p];
    GadTensor *y = temp(gr, nd, shape, a->requires_grad);
    if (!y) return NULL;
    y->op = GAD_SWAP;
    y->in[0] = a;
    y->stride = p; /* the swapped axes, for the backward pass */
    y->pad = q;
    unsigned v[5];
    swap_view(a->shape, nd, p, q, v);
    //: $y_{a,q,m,p,k} = x_{a,p,m,q,k}$
    if (rec_swap5(gr, a->val, y->val, v[0], v[1], v[2], v[3], v[4])) return NULL;
    return push_tape(gr, y) ? NULL : y;
}

GadTensor *gad_swap_last2(GadGraph *gr, GadTensor *a) {
    if (live(gr, a) && a->ndim < 2) {
        fail(gr, "gad_swap_last2: a %d-D tensor", a->ndim);
        return NULL;
    }
    return a ? gad_swap_axes(gr, a, a->ndim - 2, a->ndim - 1) : NULL;
}

static int back_reshape_swap(GadGraph *gr, GadTensor *y) {
    GadTensor *a = y->in[0];
    if (!a->requires_grad) return 0;
    const uint32_t s = (uint32_t)a->size;
    if (y->op == GAD_RESHAPE) return rec_copy(gr, y->grad, a->grad, (CopyPush){1, 1, s, s, 0, s, 0, 1});
    //: $\bar a \mathrel{+}= \mathrm{swap}(\bar y)$: the same two axes swapped back into a temporary, then added
    unsigned v[5];
    swap_view(y->shape, y->ndim, y->stride, y->pad, v);
    GadTensor *gt = temp(gr, a->ndim, a->shape, 0);
    if (!gt || rec_swap5(gr, y->grad, gt->val, v[0], v[1], v[2], v[3], v[4])) return -1;
    return rec_copy(gr, gt->val, a->grad, (CopyPush){1, 1, s, s, 0, s, 0, 1});
}

/* ---------------------------------------------------------------------------------------- */
/* Backward                                                                                   */

/* gx += sign * g (* other) for input i of binary op y (ad_binary_back.comp); for a / b:
   gx += g / b into a, gx += -(g a) / (b b) into b */
static int back_binary(GadGraph *gr, GadTensor *y, int i) {
    GadTensor *x = y->in[i], *other = y->in[1 - i];
    if (!x->requires_grad) return 0;
    const uint32_t kind = y->op == GAD_MUL ? 1u : y->op == GAD_DIV ? 2u + (uint32_t)i : 0u;
    struct { uint32_t n, kind, xb, ob, mid, inner, outer; float sign; } pc = {
        (uint32_t)y->size, kind, (uint32_t)y->bcast[i], (uint32_t)y->bcast[1 - i],
        y->mid, y->inner, y->outer, (y->op == GAD_SUB && i == 1) ? -1.0f : 1.0f};
    GpuBuffer *bufs[4] = {y->grad, other->val, x->grad, x->val};
    const uint32_t items = y->bcast[i] ? y->mid : (uint32_t)y->size;
    if (y->bcast[i] && !loop_ok(gr, "ad_binary_back", (uint64_t)y->outer * y->inner)) return -1;
    return gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary_back", bufs, 4, &pc, sizeof pc, items),
                  "ad_binary_back") ? 0 : -1;
}

static int back_one(GadGraph *gr, GadTensor *y) {
    GadTensor *a = y->in[0], *b = y->in[1];
    switch (y->op) {
    case GAD_MATMUL:
    case GAD_LINEAR: {
        const int nd = a->ndim, tb = y->pad;
        const unsigned bt = y->stride > 1 ? (unsigned)y->stride : 1, m = (unsigned)a->shape[nd - 2],
                       k = (unsigned)a->shape[nd - 1], n = (unsigned)y->shape[nd - 1];
        if (tb) {
            //: $y = a b^\top$: $\bar a \mathrel{+}= \bar y\, b$, $\bar b \mathrel{+}= \bar y^\top a$ (per batch)
            if (a->requires_grad && rec_bmm(gr, y->grad, b->val, a->grad, NULL, m, k, n, 0, 0, 1,
                                            bt, m * n, n * k, m * k))
                return -1;
            if (b->requires_grad && rec_bmm(gr, y->grad, a->val, b->grad, NULL, n, k, m, 1, 0, 1,
                                            bt, m * n, m * k, n * k))
                return -1;
            return 0;
        }
        //: $\bar X \mathrel{+}= \bar Y W^\top$, $\bar W \mathrel{+}= X^\top \bar Y$ (per batch)
        if (a->requires_grad && rec_bmm(gr, y->grad, b->val, a->grad, NULL, m, k, n, 0, 1, 1, bt,
                                        m * n, k * n, m * k))
            return -1;
        if (b->requires_grad && rec_bmm(gr, a->val, y->grad, b->grad, NULL, k, n, m, 1, 0, 1, bt,
                                        m * k, m * n, k * n))
            return -1;
        GadTensor *bias = y->in[2];
        if (bias && bias->requires_grad) {
            //: $\bar b_j \mathrel{+}= \sum_i \bar Y_{ij}$ (rows in order)
            struct { uint32_t n, mul, xb, ob, mid, inner, outer; float sign; } pc = {
                (uint32_t)y->size, 0, 1, 0, n, 1, m, 1.0f};
            if (!loop_ok(gr, "ad_binary_back", m)) return -1;
            GpuBuffer *bufs[3] = {y->grad, NULL, bias->grad};
            if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_binary_back", bufs, 3, &pc, sizeof pc, n),
                        "ad_binary_back"))
                return -1;
        }
        return 0;
    }
    case GAD_ADD:
    case GAD_SUB:
    case GAD_MUL:
    case GAD_DIV:
        return back_binary(gr, y, 0) || back_binary(gr, y, 1) ? -1 : 0;
    case GAD_RELU:
    case GAD_TANH:
    case GAD_SIGMOID:
    case GAD_SILU:
    case GAD_EXP:
    case GAD_LOG:
    case GAD_SOFTPLUS:
    case GAD_SQRT: {
        if (!a->requires_grad) return 0;
        struct { uint32_t n, op, backward; } pc = {(uint32_t)a->size, (uint32_t)(y->op - GAD_RELU), 1};
        GpuBuffer *bufs[4] = {a->val, y->val, y->grad, a->grad};
        return gpu_ok(gr, gpu_dispatch(gr->g, "ad_unary", bufs, 4, &pc, sizeof pc,
                                       (uint32_t)a->size), "ad_unary") ? 0 : -1;
    }
    case GAD_SUM:
    case GAD_MEAN: {
        if (!a->requires_grad) return 0;
        const float scale = y->op == GAD_MEAN ? (float)(1.0 / (double)a->size) : 1.0f;
        struct { uint32_t n, spread; float value, scale; } pc = {(uint32_t)a->size, 1, 0, scale};
        GpuBuffer *bufs[2] = {a->grad, y->grad};
        return gpu_ok(gr, gpu_dispatch(gr->g, "ad_fill", bufs, 2, &pc, sizeof pc,
                                       (uint32_t)a->size), "ad_fill") ? 0 : -1;
    }
    case GAD_CONV2D:
        return back_conv2d(gr, y);
    case GAD_GROUP_NORM:
        return back_group_norm(gr, y);
    case GAD_CONV_T2D:
        return back_conv_t2d(gr, y);
    case GAD_CONCAT:
    case GAD_SLICE:
        return back_copy(gr, y);
    case GAD_AVG_POOL:
    case GAD_UPSAMPLE:
        return back_resample(gr, y);
    case GAD_SOFTMAX:
    case GAD_LOG_SOFTMAX:
        return back_softmax(gr, y);
    case GAD_EMBEDDING:
        return back_embedding(gr, y);
    case GAD_RESHAPE:
    case GAD_SWAP:
        return back_reshape_swap(gr, y);
    default:
        fail(gr, "gad_backward: unknown op %d", y->op);
        return -1;
    }
}

int gad_backward(GadGraph *gr, GadTensor *loss) {
    if (!gr || gr->failed) return -1;
    if (!loss || loss->size != 1 || !loss->requires_grad) {
        fail(gr, "gad_backward: the loss must be one element that depends on a parameter");
        return -1;
    }
    /* the temporaries' gradients start at 0 (pooled buffers hold last step's), the loss's at 1 */
    for (int i = 0; i < gr->ntape; i++)
        if (rec_fill(gr, gr->tape[i]->grad, gr->tape[i]->size, gr->tape[i] == loss ? 1.0f : 0.0f))
            return -1;
    for (int i = gr->ntape - 1; i >= 0; i--)
        if (back_one(gr, gr->tape[i])) return -1;
    return 0;
}

int gad_zero_grad(GadGraph *gr, GadTensor **params, int n) {
    if (!gr || gr->failed) return -1;
    for (int i = 0; i < n; i++)
        if (rec_fill(gr, params[i]->grad, params[i]->size, 0.0f)) return -1;
    return 0;
}

int gad_adam_step(GadGraph *gr, GadTensor **params, int n, const OptimConfig *cfg, long t) {
    if (!gr || gr->failed) return -1;
    if (cfg->kind == OPTIM_SGD || t < 1) {
        fail(gr, "gad_adam_step: Adam or AdamW at t >= 1 only");
        return -1;
    }
    //: the bias corrections of [eq:common.optim.adam], folded in on the host as optim_step does
    const double bias1 = 1.0 - pow(cfg->beta1, (double)t);
    const double bias2_sqrt = sqrt(1.0 - pow(cfg->beta2, (double)t));
    struct {
        uint32_t n, decoupled;
        float b1, b2, omb1, omb2, eps, step_size, bias2_sqrt, wd, shrink;
    } pc = {0, cfg->kind == OPTIM_ADAMW, (float)cfg->beta1, (float)cfg->beta2,
            (float)(1.0 - cfg->beta1), (float)(1.0 - cfg->beta2), (float)cfg->eps,
            (float)(cfg->lr / bias1), (float)bias2_sqrt, (float)cfg->weight_decay,
            (float)(1.0 - cfg->lr * cfg->weight_decay)};
    for (int i = 0; i < n; i++) {
        GadTensor *p = params[i];
        size_t cm = p->adam_m ? (size_t)p->size : 0, cv = cm;
        if (!p->adam_m && (ensure(gr, &p->adam_m, &cm, p->size) ||
                           ensure(gr, &p->adam_v, &cv, p->size)))
            return -1;
        pc.n = (uint32_t)p->size;
        GpuBuffer *bufs[4] = {p->val, p->grad, p->adam_m, p->adam_v};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_adam", bufs, 4, &pc, sizeof pc, pc.n), "ad_adam"))
            return -1;
    }
    return 0;
}

GadTensor *gad_clip_grad_norm(GadGraph *gr, GadTensor **params, int n, double max_norm) {
    if (!gr || gr->failed) return NULL;
    GadTensor *norms = temp(gr, 1, (int[]){n > 0 ? n : 1}, 0);
    GadTensor *out = temp(gr, 1, (int[]){2}, 0);
    if (!norms || !out) return NULL;
    for (int p = 0; p < n; p++) {
        /* the fixed tree of gad_sum over g^2; the last level writes norms[p] */
        GpuBuffer *src = params[p]->grad;
        uint32_t len = (uint32_t)params[p]->size, square = 1;
        for (;;) {
            uint32_t nout = (len + GAD_CHUNK - 1) / GAD_CHUNK;
            if (nout == 0) nout = 1;
            GadTensor *lvl = nout == 1 ? norms : temp(gr, 1, (int[]){(int)nout}, 0);
            if (!lvl) return NULL;
            struct { uint32_t n, chunk, nout; float scale; uint32_t square, out_off; } pc = {
                len, GAD_CHUNK, nout, 1.0f, square, nout == 1 ? (uint32_t)p : 0};
            GpuBuffer *bufs[2] = {src, lvl->val};
            if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_reduce", bufs, 2, &pc, sizeof pc, nout),
                        "ad_reduce"))
                return NULL;
            if (nout == 1) break;
            src = lvl->val;
            len = nout;
            square = 0;
        }
    }
    struct { uint32_t n, phase; float max_norm; } pc = {(uint32_t)n, 0, (float)max_norm};
    GpuBuffer *bufs[3] = {norms->val, out->val, NULL};
    if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_clip", bufs, 3, &pc, sizeof pc, 1), "ad_clip"))
        return NULL;
    pc.phase = 1;
    for (int p = 0; p < n; p++) {
        pc.n = (uint32_t)params[p]->size;
        bufs[2] = params[p]->grad;
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_clip", bufs, 3, &pc, sizeof pc, pc.n), "ad_clip"))
            return NULL;
    }
    return out;
}

int gad_ema_init(GadGraph *gr, GadTensor **params, int n) {
    if (!gr || gr->failed) return -1;
    for (int i = 0; i < n; i++) {
        GadTensor *p = params[i];
        size_t cap = p->ema ? (size_t)p->size : 0;
        if (ensure(gr, &p->ema, &cap, p->size) ||
            rec_copy(gr, p->val, p->ema,
                     (CopyPush){1, 1, (uint32_t)p->size, (uint32_t)p->size, 0, (uint32_t)p->size, 0, 0}))
            return -1;
    }
    return 0;
}

int gad_ema_update(GadGraph *gr, GadTensor **params, int n, double decay) {
    if (!gr || gr->failed) return -1;
    struct { uint32_t n; float d, omd; } pc = {0, (float)decay, (float)(1.0 - decay)};
    for (int i = 0; i < n; i++) {
        if (!params[i]->ema) {
            fail(gr, "gad_ema_update: gad_ema_init was not called for parameter %d", i);
            return -1;
        }
        pc.n = (uint32_t)params[i]->size;
        GpuBuffer *bufs[2] = {params[i]->val, params[i]->ema};
        if (!gpu_ok(gr, gpu_dispatch(gr->g, "ad_ema", bufs, 2, &pc, sizeof pc, pc.n), "ad_ema"))
            return -1;
    }
    return 0;
}

int gad_ema_read(GadTensor *param, float *dst) {
    if (!param || !param->ema) return -1;
    return gpu_buffer_read(param->ema, 0, dst, (size_t)param->size * sizeof(float));
}

int gad_param_write(GadTensor *t, const AdTensor *p) {
    if (!t || !p || p->size != t->size) return -1;
    float *host = malloc(bytes_of(t->size));
    if (!host) return -1;
    for (long i = 0; i < p->size; i++) host[i] = (float)ad_get(p, i);
    const int rc = gpu_buffer_write(t->val, 0, host, bytes_of(t->size));
    free(host);
    return rc;
}

int gad_run(GadGraph *gr, double *gpu_seconds) {
    if (!gr || gr->failed) return -1;
    return gpu_ok(gr, gpu_run_batch(gr->g, gpu_seconds), "gpu_run_batch") ? 0 : -1;
}

int gad_read(GadTensor *t, float *dst) {
    if (!t) return -1;
    return gpu_buffer_read(t->val, 0, dst, (size_t)t->size * sizeof(float));
}

int gad_read_grad(GadTensor *t, float *dst) {
    if (!t || !t->grad) return -1;
    return gpu_buffer_read(t->grad, 0, dst, (size_t)t->size * sizeof(float));
}
