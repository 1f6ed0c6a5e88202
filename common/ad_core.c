/*: # ad_core — arena, tensors, tape and the backward pass

The arena is a chain of blocks. `ad_arena_alloc` bumps a pointer in the current block, moving
to the next block (or mallocing a new one at the end of the chain) when the request does not
fit. `ad_arena_reset` rewinds to the first block without freeing anything, so a step that makes
the same requests as the previous one lands in the same places and never calls malloc.

The tape is a singly linked list threaded through the op outputs themselves (`tape_prev`), so
recording an op costs no allocation beyond the output tensor.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

#define AD_ALIGN 64

typedef struct AdBlock {
    struct AdBlock *next;
    size_t cap;   /* usable bytes after the header */
    size_t used;
    unsigned char *mem;
} AdBlock;

struct AdArena {
    AdBlock *first, *cur;
    size_t used_before_cur; /* bytes handed out in blocks before cur (this step) */
    size_t high_water;
    long nblocks;
    AdTensor *tape_tail;    /* last recorded op output */
    int deferred;           /* record-only mode (ad.h) */
    char refused[160];      /* why this step is not deferrable ("" while it is) */
    AdShadows *shadows;     /* gradient shadows of parameters (ad.h), or NULL */
};

static AdBlock *block_new(size_t cap) {
    AdBlock *b = xmalloc(sizeof *b);
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    if (posix_memalign((void **)&b->mem, AD_ALIGN, cap ? cap : AD_ALIGN) != 0)
        die("ad_arena: out of memory (%zu bytes)", cap);
    return b;
}

AdArena *ad_arena_new(size_t bytes) {
    AdArena *a = xcalloc(1, sizeof *a);
    if (bytes < 4096) bytes = 4096;
    a->first = a->cur = block_new(bytes);
    a->nblocks = 1;
    return a;
}

void ad_arena_reset(AdArena *a) {
    for (AdBlock *b = a->first; b; b = b->next) b->used = 0;
    a->cur = a->first;
    a->used_before_cur = 0;
    a->tape_tail = NULL;
    a->refused[0] = 0;
}

void ad_arena_set_deferred(AdArena *a, int on) { a->deferred = on != 0; }
void ad_arena_set_shadows(AdArena *a, AdShadows *s) { a->shadows = s; }
AdTensor *ad_arena_input(const AdArena *a, AdTensor *t) { return ad_shadow_lookup(a->shadows, t); }
int ad_arena_deferred(const AdArena *a) { return a->deferred; }
const char *ad_arena_not_deferrable(const AdArena *a) { return a->refused[0] ? a->refused : NULL; }
void ad_arena_refuse_deferred(AdArena *a, const char *what, const char *op) {
    if (!a->refused[0]) snprintf(a->refused, sizeof a->refused, "%s (%s)", what, op ? op : "?");
}
/* a deferred tensor's values are about to be read: the step cannot be deferred */
static void read_check(const AdTensor *t, const char *who) {
    if (t && t->deferred) ad_arena_refuse_deferred(t->deferred, who, t->op);
}

void ad_arena_free(AdArena *a) {
    if (!a) return;
    AdBlock *b = a->first;
    while (b) {
        AdBlock *n = b->next;
        free(b->mem);
        free(b);
        b = n;
    }
    free(a);
}

size_t ad_arena_capacity(const AdArena *a) {
    size_t c = 0;
    for (const AdBlock *b = a->first; b; b = b->next) c += b->cap;
    return c;
}
size_t ad_arena_used(const AdArena *a) { return a->used_before_cur + a->cur->used; }
size_t ad_arena_high_water(const AdArena *a) { return a->high_water; }
long ad_arena_block_count(const AdArena *a) { return a->nblocks; }

void *ad_arena_alloc(AdArena *a, size_t bytes) {
    size_t need = (bytes + AD_ALIGN - 1) / AD_ALIGN * AD_ALIGN;
    if (need == 0) need = AD_ALIGN;
    while (a->cur->used + need > a->cur->cap) {
        /* The rest of this block is skipped; the next step skips it the same way. */
        a->used_before_cur += a->cur->cap;
        if (!a->cur->next) {
            size_t cap = a->cur->cap * 2;
            if (cap < need) cap = need;
            a->cur->next = block_new(cap);
            a->nblocks++;
        }
        a->cur = a->cur->next;
    }
    void *p = a->cur->mem + a->cur->used;
    a->cur->used += need;
    size_t used = ad_arena_used(a);
    if (used > a->high_water) a->high_water = used;
    return p;
}

/* ---------------------------------------------------------------------------------------- */

size_t ad_dtype_size(AdDtype dtype) { return dtype == AD_F32 ? sizeof(float) : sizeof(double); }

static void set_shape(AdTensor *t, const char *who, int ndim, const int *shape) {
    if (ndim < 0 || ndim > AD_MAX_DIM) die("%s: ndim %d outside 0..%d", who, ndim, AD_MAX_DIM);
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < AD_MAX_DIM; i++) {
        t->shape[i] = i < ndim ? shape[i] : 1;
        if (t->shape[i] <= 0) die("%s: axis %d has length %d", who, i, t->shape[i]);
        if (i < ndim) t->size *= shape[i];
    }
}

AdTensor *ad_param_new(AdDtype dtype, int ndim, const int *shape) {
    AdTensor *t = xcalloc(1, sizeof *t);
    t->dtype = dtype;
    set_shape(t, "ad_param_new", ndim, shape);
    t->data = xcalloc((size_t)t->size, ad_dtype_size(dtype));
    t->grad = xcalloc((size_t)t->size, ad_dtype_size(dtype));
    t->requires_grad = 1;
    t->is_param = 1;
    t->op = "param";
    return t;
}

void ad_tensor_free(AdTensor *t) {
    if (!t) return;
    if (!t->is_param) die("ad_tensor_free: only parameters are freed (arena tensors die with reset)");
    free(t->data);
    free(t->grad);
    free(t);
}

/* memset(p, 0, bytes), split over threads for large buffers (a gradient of a U-Net activation
   is tens of megabytes; one core does not reach the memory bandwidth). From 512 KiB on: the
   megabyte gradient of a (4096, 64) activation would otherwise be a serial part of a step. */
static void zero_bytes(void *p, size_t bytes) {
    enum { CHUNK = 1 << 18 };
    const long nch = (long)((bytes + CHUNK - 1) / CHUNK);
    if (nch <= 2) {
        memset(p, 0, bytes);
        return;
    }
#pragma omp parallel for schedule(static)
    for (long c = 0; c < nch; c++) {
        const size_t off = (size_t)c * CHUNK;
        memset((char *)p + off, 0, bytes - off < CHUNK ? bytes - off : CHUNK);
    }
}

static AdTensor *arena_tensor(AdArena *arena, AdDtype dtype, int ndim, const int *shape,
                              const char *who, int with_grad, int zero_data) {
    AdTensor *t = ad_arena_alloc(arena, sizeof *t);
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    set_shape(t, who, ndim, shape);
    size_t bytes = (size_t)t->size * ad_dtype_size(dtype);
    t->data = ad_arena_alloc(arena, bytes);
    if (zero_data) zero_bytes(t->data, bytes);
    if (with_grad) {
        t->grad = ad_arena_alloc(arena, bytes);
        zero_bytes(t->grad, bytes);
        t->requires_grad = 1;
    }
    t->op = who;
    return t;
}

AdTensor *ad_input(AdArena *arena, AdDtype dtype, int ndim, const int *shape) {
    return arena_tensor(arena, dtype, ndim, shape, "input", 0, 1);
}

AdTensor *ad_from_array(AdArena *arena, AdDtype dtype, int ndim, const int *shape,
                        const void *src) {
    AdTensor *t = arena_tensor(arena, dtype, ndim, shape, "input", 0, 1);
    memcpy(t->data, src, (size_t)t->size * ad_dtype_size(dtype));
    return t;
}

AdTensor *ad_from_doubles(AdArena *arena, AdDtype dtype, int ndim, const int *shape,
                          const double *src) {
    AdTensor *t = arena_tensor(arena, dtype, ndim, shape, "input", 0, 1);
    for (long i = 0; i < t->size; i++) ad_st(t->data, dtype, i, src[i]);
    return t;
}

AdTensor *ad_detach(AdArena *arena, AdTensor *t) {
    AdTensor *d = ad_arena_alloc(arena, sizeof *d);
    memset(d, 0, sizeof *d);
    d->dtype = t->dtype;
    set_shape(d, "ad_detach", t->ndim, t->shape);
    d->data = t->data;
    d->op = "detach";
    /* deferred: still no value and off the tape; in[0] names the source for a replay */
    if (t->deferred) d->deferred = t->deferred, d->in[0] = t;
    return d;
}

static AdTensor *op_out(AdArena *arena, const char *op, int ndim, const int *shape,
                        void (*backward)(AdTensor *), AdTensor *const *ins, int nin,
                        int zero_data) {
    int wants = 0, from_deferred = 0;
    for (int i = 0; i < nin; i++) {
        if (!ins[i]) continue;
        if (ins[i]->dtype != ins[0]->dtype)
            die("%s: inputs have different dtypes (%s and %s)", op,
                ins[0]->dtype == AD_F32 ? "f32" : "f64", ins[i]->dtype == AD_F32 ? "f32" : "f64");
        if (ins[i]->grad) wants = 1;
        if (ins[i]->deferred) from_deferred = 1;
    }
    /* deferred mode: an op needing no gradient whose input is deferred (a detached recorded
       value) is deferred too, off the tape, its inputs kept for the replay (which translates it
       where it is used); computing it would read uncomputed values */
    const int defer = (wants || from_deferred) && arena->deferred;
    AdTensor *t = arena_tensor(arena, ins[0]->dtype, ndim, shape, op, wants, zero_data && !defer);
    if (defer) t->deferred = arena;
    if (defer && !wants)
        for (int i = 0; i < nin && i < 4; i++) t->in[i] = ins[i];
    if (wants) {
        t->backward = backward;
        for (int i = 0; i < nin && i < 4; i++) t->in[i] = ad_arena_input(arena, ins[i]);
        /* The tape is kept in creation order. An op's inputs exist before the op is called, so
           every tensor comes after all the tensors it was computed from: creation order is a
           topological order of the graph, and its reverse visits each tensor only after every
           op that used it has added its share into its gradient. That is exactly what the
           backward pass needs, with no graph search (micrograd sorts; we never have to). */
        t->tape_prev = arena->tape_tail;
        arena->tape_tail = t;
    }
    return t;
}

AdTensor *ad_op_out_n(AdArena *arena, const char *op, int ndim, const int *shape,
                      void (*backward)(AdTensor *), AdTensor *const *ins, int nin) {
    return op_out(arena, op, ndim, shape, backward, ins, nin, 0);
}
AdTensor *ad_op_out(AdArena *arena, const char *op, int ndim, const int *shape,
                    void (*backward)(AdTensor *), AdTensor *a, AdTensor *b, AdTensor *c) {
    AdTensor *ins[3] = {a, b, c};
    return op_out(arena, op, ndim, shape, backward, ins, 3, 1);
}
AdTensor *ad_op_out_nz(AdArena *arena, const char *op, int ndim, const int *shape,
                       void (*backward)(AdTensor *), AdTensor *a, AdTensor *b, AdTensor *c) {
    AdTensor *ins[3] = {a, b, c};
    return op_out(arena, op, ndim, shape, backward, ins, 3, 0);
}

void ad_backward(AdArena *arena, AdTensor *loss) {
    if (loss->size != 1) {
        char s[64];
        die("ad_backward: the loss must have one element, got shape %s",
            ad_shape_str(loss, s, sizeof s));
    }
    if (!loss->grad) die("ad_backward: the loss does not depend on any parameter");
    //: $\bar L = \partial L / \partial L = 1$
    ad_st(loss->grad, loss->dtype, 0, 1.0);
    for (AdTensor *t = arena->tape_tail; t; t = t->tape_prev)
        if (t->backward) t->backward(t);
}

void ad_zero_grad(AdTensor **params, int n) {
    for (int i = 0; i < n; i++)
        if (params[i]->grad)
            memset(params[i]->grad, 0, (size_t)params[i]->size * ad_dtype_size(params[i]->dtype));
}

/* ---------------------------------------------------------------------------------------- */

float *ad_f32(AdTensor *t) {
    if (t->dtype != AD_F32) die("ad_f32: tensor (%s) holds doubles", t->op);
    read_check(t, "ad_f32 of a deferred value");
    return t->data;
}
double *ad_f64(AdTensor *t) {
    if (t->dtype != AD_F64) die("ad_f64: tensor (%s) holds floats", t->op);
    read_check(t, "ad_f64 of a deferred value");
    return t->data;
}
float *ad_grad_f32(AdTensor *t) {
    if (t->dtype != AD_F32) die("ad_grad_f32: tensor (%s) holds doubles", t->op);
    return t->grad;
}
double *ad_grad_f64(AdTensor *t) {
    if (t->dtype != AD_F64) die("ad_grad_f64: tensor (%s) holds floats", t->op);
    return t->grad;
}
double ad_get(const AdTensor *t, long i) {
    read_check(t, "ad_get of a deferred value");
    return ad_ld(t->data, t->dtype, i);
}
void ad_set(AdTensor *t, long i, double v) { ad_st(t->data, t->dtype, i, v); }
double ad_grad_get(const AdTensor *t, long i) {
    return t->grad ? ad_ld(t->grad, t->dtype, i) : 0.0;
}
double ad_item(const AdTensor *t) {
    if (t->size != 1) die("ad_item: tensor (%s) has %ld elements", t->op, t->size);
    return ad_get(t, 0);
}
void ad_copy_values(AdTensor *dst, const AdTensor *src) {
    if (dst->size != src->size)
        die("ad_copy_values: sizes differ (%ld and %ld)", dst->size, src->size);
    read_check(src, "ad_copy_values from a deferred value");
    for (long i = 0; i < src->size; i++) ad_st(dst->data, dst->dtype, i, ad_get(src, i));
}

const char *ad_shape_str(const AdTensor *t, char *buf, size_t len) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "(");
    for (int i = 0; i < t->ndim && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, i ? ",%d" : "%d", t->shape[i]);
    if (o < len) snprintf(buf + o, len - o, ")");
    return buf;
}

void ad_expect_ndim(const char *op, const AdTensor *t, int ndim) {
    if (t->ndim != ndim) {
        char s[64];
        die("%s: expected a %d-D tensor, got shape %s", op, ndim, ad_shape_str(t, s, sizeof s));
    }
}

int ad_norm_axis(const char *op, const AdTensor *t, int axis) {
    int ax = axis < 0 ? axis + t->ndim : axis;
    if (ax < 0 || ax >= t->ndim) {
        char s[64];
        die("%s: axis %d out of range for shape %s", op, axis, ad_shape_str(t, s, sizeof s));
    }
    return ax;
}
