/*: # ad_elementwise — add, sub, mul, div with numpy broadcasting

Shapes are aligned on the right; on each axis the lengths must be equal or one of them 1, and
the output takes the larger. An operand broadcast along an axis is read with stride 0 there.

The backward pass must undo the broadcast: if $a$ was repeated along an axis, each copy
contributed to $L$, so $\bar a$ is the *sum* of the upstream gradient over that axis,
$$ \bar a_{j} = \sum_{i \,:\, i \mapsto j} \frac{\partial y_i}{\partial a_j}\,\bar y_i . $$ {#eq:common.ad.broadcast_sum}
Both passes loop over the output's index $i$ and read/accumulate at the operands' mapped
indices, so the summation order is fixed (deterministic for any machine).

**Float32.** add, sub and mul of float32 tensors run on typed float loops. They give the same
bits as the generic path (which computes in double and rounds once): the exact sum, difference
or product of two floats fits in a double, so rounding it to float is the float operation.
Division keeps the generic path (its gradient $-a/b^2$ is a chain of operations).
*/
#include "common/ad_internal.h"
#include "common/parallel.h"
#include "common/util.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
static const char *const op_names[] = {"ad_add", "ad_sub", "ad_mul", "ad_div"};

/* Strides of t as read at the output's 4-D index (output right-aligned into 4 axes). */
static void broadcast_strides(const AdTensor *t, long stride[AD_MAX_DIM]) {
    int off = AD_MAX_DIM - t->ndim;
    long s = 1;
    for (int i = AD_MAX_DIM - 1; i >= 0; i--) {
        int len = i >= off ? t->shape[i - off] : 1;
        stride[i] = len == 1 ? 0 : s;
        s *= len;
    }
}

/* Output shape (4 axes, right-aligned) and its ndim; die on incompatible shapes. */
static int broadcast_shape(const char *op, const AdTensor *a, const AdTensor *b,
                           int out[AD_MAX_DIM]) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int la = ia >= 0 ? a->shape[ia] : 1, lb = ib >= 0 ? b->shape[ib] : 1;
        if (la != lb && la != 1 && lb != 1) {
            char sa[64], sb[64];
            die("%s: shapes %s and %s do not broadcast (axis %d: %d vs %d)", op,
                ad_shape_str(a, sa, sizeof sa), ad_shape_str(b, sb, sizeof sb), i, la, lb);
        }
        out[i] = la > lb ? la : lb;
    }
    return nd;
}

/* Visits every innermost row of the output: the body sees o_row, ia_row, ib_row (the flat
   indices of the row's start in y, a and b) and the row's length n_ (strides sa[3], sb[3] along
   it in a and b). */
#define FOR_BROADCAST_ROWS(y, sa, sb, ...)                                                 \
    do {                                                                                   \
        int d_[AD_MAX_DIM];                                                                \
        int off_ = AD_MAX_DIM - (y)->ndim;                                                 \
        for (int i_ = 0; i_ < AD_MAX_DIM; i_++) d_[i_] = i_ >= off_ ? (y)->shape[i_ - off_] : 1; \
        const int n_ = d_[3];                                                              \
        long o_row = 0;                                                                    \
        for (int i0 = 0; i0 < d_[0]; i0++)                                                 \
            for (int i1 = 0; i1 < d_[1]; i1++)                                             \
                for (int i2 = 0; i2 < d_[2]; i2++, o_row += n_) {                          \
                    const long ia_row = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];              \
                    const long ib_row = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];              \
                    __VA_ARGS__;                                                           \
                }                                                                          \
    } while (0)

/* Visits every output index o with the matching flat indices ia, ib of a and b. */
#define FOR_BROADCAST(y, sa, sb, ...)                                                      \
    FOR_BROADCAST_ROWS(y, sa, sb, {                                                        \
        long o = o_row, ia = ia_row, ib = ib_row;                                          \
        for (int i3 = 0; i3 < n_; i3++, o++, ia += sa[3], ib += sb[3]) {                   \
            __VA_ARGS__;                                                                   \
        }                                                                                  \
    })

/* Same shapes (no broadcast): flat loops, split over threads in fixed chunks (each element is
   written once, so the values do not depend on the thread count). */
static void same_shape_f32(int op, float *restrict y, const float *restrict a,
                           const float *restrict b, long n) {
    if (op == OP_ADD) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) y[i] = a[i] + b[i], n);
    else if (op == OP_SUB) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) y[i] = a[i] - b[i], n);
    else AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) y[i] = a[i] * b[i], n);
}
static void same_shape_backward_f32(int op, const float *restrict gy, const float *restrict va,
                                    const float *restrict vb, float *restrict ga,
                                    float *restrict gb, long n) {
    const float sgn = op == OP_SUB ? -1.0f : 1.0f;
    if (op != OP_MUL) {
        if (ga) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) ga[i] += gy[i], n);
        if (gb) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) gb[i] += sgn * gy[i], n);
    } else {
        if (ga) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) ga[i] += gy[i] * vb[i], n);
        if (gb) AD_PAR_CHUNKS(for (long i = i0_; i < i0_ + m_; i++) gb[i] += gy[i] * va[i], n);
    }
}

static void binary_backward_f32(AdTensor *y, const long *sa, const long *sb) {
    AdTensor *a = y->in[0], *b = y->in[1];
    const float *gy = y->grad, *va = a->data, *vb = b->data;
    float *ga = ad_wants_grad(a) ? a->grad : NULL, *gb = ad_wants_grad(b) ? b->grad : NULL;
    if (a->size == y->size && b->size == y->size && ga != gb) {
        same_shape_backward_f32(y->iparam[0], gy, va, vb, ga, gb, y->size);
        return;
    }
    if (gb && sb[3] == 0) {
        /* b constant along each innermost row (a bias over (N, C, H, W) as (N, C, 1, 1), ...):
           its gradient entry sums the row in a register, the same additions in the same order
           as element by element through memory */
        const int op = y->iparam[0];
        FOR_BROADCAST_ROWS(y, sa, sb, {
            float acc = gb[ib_row];
            if (op == OP_ADD) for (int q = 0; q < n_; q++) acc += gy[o_row + q];
            else if (op == OP_SUB) for (int q = 0; q < n_; q++) acc += -gy[o_row + q];
            else for (int q = 0; q < n_; q++) acc += gy[o_row + q] * va[ia_row + q * sa[3]];
            gb[ib_row] = acc;
        });
        gb = NULL; /* done */
    }
    switch (y->iparam[0]) {
    case OP_ADD:
        //: $\partial(a+b)/\partial a = 1,\quad \partial(a+b)/\partial b = 1$
        if (ga) FOR_BROADCAST(y, sa, sb, ga[ia] += gy[o]);
        if (gb) FOR_BROADCAST(y, sa, sb, gb[ib] += gy[o]);
        break;
    case OP_SUB:
        //: $\partial(a-b)/\partial a = 1,\quad \partial(a-b)/\partial b = -1$
        if (ga) FOR_BROADCAST(y, sa, sb, ga[ia] += gy[o]);
        if (gb) FOR_BROADCAST(y, sa, sb, gb[ib] += -gy[o]);
        break;
    default:
        //: $\partial(ab)/\partial a = b,\quad \partial(ab)/\partial b = a$
        if (ga) FOR_BROADCAST(y, sa, sb, ga[ia] += gy[o] * vb[ib]);
        if (gb) FOR_BROADCAST(y, sa, sb, gb[ib] += gy[o] * va[ia]);
        break;
    }
}

static void binary_backward(AdTensor *y) {
    AdTensor *a = y->in[0], *b = y->in[1];
    AdDtype dt = y->dtype;
    long sa[AD_MAX_DIM], sb[AD_MAX_DIM];
    broadcast_strides(a, sa);
    broadcast_strides(b, sb);
    if (dt == AD_F32 && y->iparam[0] != OP_DIV) {
        binary_backward_f32(y, sa, sb);
        return;
    }
    int ga = ad_wants_grad(a), gb = ad_wants_grad(b);
    switch (y->iparam[0]) {
    case OP_ADD:
        //: $\partial(a+b)/\partial a = 1,\quad \partial(a+b)/\partial b = 1$
        FOR_BROADCAST(y, sa, sb, {
            double g = ad_ld(y->grad, dt, o);
            if (ga) ad_acc(a->grad, dt, ia, g);
            if (gb) ad_acc(b->grad, dt, ib, g);
        });
        break;
    case OP_SUB:
        //: $\partial(a-b)/\partial a = 1,\quad \partial(a-b)/\partial b = -1$
        FOR_BROADCAST(y, sa, sb, {
            double g = ad_ld(y->grad, dt, o);
            if (ga) ad_acc(a->grad, dt, ia, g);
            if (gb) ad_acc(b->grad, dt, ib, -g);
        });
        break;
    case OP_MUL:
        //: $\partial(ab)/\partial a = b,\quad \partial(ab)/\partial b = a$
        FOR_BROADCAST(y, sa, sb, {
            double g = ad_ld(y->grad, dt, o);
            if (ga) ad_acc(a->grad, dt, ia, g * ad_ld(b->data, dt, ib));
            if (gb) ad_acc(b->grad, dt, ib, g * ad_ld(a->data, dt, ia));
        });
        break;
    default:
        //: $\partial(a/b)/\partial a = 1/b,\quad \partial(a/b)/\partial b = -a/b^2$
        FOR_BROADCAST(y, sa, sb, {
            double g = ad_ld(y->grad, dt, o);
            double bv = ad_ld(b->data, dt, ib);
            if (ga) ad_acc(a->grad, dt, ia, g / bv);
            if (gb) ad_acc(b->grad, dt, ib, -g * ad_ld(a->data, dt, ia) / (bv * bv));
        });
        break;
    }
}

static AdTensor *binary(AdArena *arena, int op, AdTensor *a, AdTensor *b) {
    int shape[AD_MAX_DIM];
    int nd = broadcast_shape(op_names[op], a, b, shape);
    AdTensor *y = ad_op_out_nz(arena, op_names[op], nd, shape, binary_backward, a, b, NULL);
    y->iparam[0] = op;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long sa[AD_MAX_DIM], sb[AD_MAX_DIM];
    broadcast_strides(a, sa);
    broadcast_strides(b, sb);
    if (dt == AD_F32 && op != OP_DIV) {
        const float *pa = a->data, *pb = b->data;
        float *py = y->data;
        if (a->size == y->size && b->size == y->size) {
            same_shape_f32(op, py, pa, pb, y->size);
            return y;
        }
        if (op == OP_ADD) FOR_BROADCAST(y, sa, sb, py[o] = pa[ia] + pb[ib]);
        else if (op == OP_SUB) FOR_BROADCAST(y, sa, sb, py[o] = pa[ia] - pb[ib]);
        else FOR_BROADCAST(y, sa, sb, py[o] = pa[ia] * pb[ib]);
        return y;
    }
    FOR_BROADCAST(y, sa, sb, {
        double u = ad_ld(a->data, dt, ia), v = ad_ld(b->data, dt, ib);
        double r = op == OP_ADD ? u + v : op == OP_SUB ? u - v : op == OP_MUL ? u * v : u / v;
        ad_st(y->data, dt, o, r);
    });
    return y;
}

AdTensor *ad_add(AdArena *arena, AdTensor *a, AdTensor *b) { return binary(arena, OP_ADD, a, b); }
AdTensor *ad_sub(AdArena *arena, AdTensor *a, AdTensor *b) { return binary(arena, OP_SUB, a, b); }
AdTensor *ad_mul(AdArena *arena, AdTensor *a, AdTensor *b) { return binary(arena, OP_MUL, a, b); }
AdTensor *ad_div(AdArena *arena, AdTensor *a, AdTensor *b) { return binary(arena, OP_DIV, a, b); }
