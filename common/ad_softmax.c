/*: # ad_softmax — softmax, log-softmax and cross-entropy along the last axis

Each row $x$ (the last axis) is treated alone. With $p = \mathrm{softmax}(x)$,
$p_i = e^{x_i - \operatorname{lse}(x)}$ (computed with the max shift, see mathfn.h):
$$ \frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j) \;\Rightarrow\;
   \bar x = p \odot \big(\bar p - \langle \bar p, p\rangle\big), $$ {#eq:common.ad.softmax_grad}
$$ \frac{\partial \log p_i}{\partial x_j} = \delta_{ij} - p_j \;\Rightarrow\;
   \bar x = \bar y - p \textstyle\sum_i \bar y_i . $$ {#eq:common.ad.log_softmax_grad}
Cross-entropy with labels $t_n$ is $L = \frac1N\sum_n -\log p_{n,t_n}$, whose gradient is
$\bar x_n = \bar L\,(p_n - e_{t_n})/N$.
*/
#include <math.h>
#include <string.h>

#include "common/ad_internal.h"
#include "common/util.h"

/* log-sum-exp of row `r` (length n) of x, with the max shift. */
static double row_lse(const AdTensor *x, long r, long n) {
    double mx = -INFINITY, s = 0;
    for (long j = 0; j < n; j++) {
        double v = ad_ld(x->data, x->dtype, r * n + j);
        if (v > mx) mx = v;
    }
    for (long j = 0; j < n; j++) s += exp(ad_ld(x->data, x->dtype, r * n + j) - mx);
    return mx + log(s);
}

static void softmax_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    long n = y->shape[y->ndim - 1], rows = y->size / n;
    for (long r = 0; r < rows; r++) {
        double dot = 0;
        for (long j = 0; j < n; j++) dot += ad_ld(y->grad, dt, r * n + j) * ad_ld(y->data, dt, r * n + j);
        //: $\bar x_j \mathrel{+}= p_j(\bar p_j - \langle\bar p, p\rangle)$
        for (long j = 0; j < n; j++)
            ad_acc(x->grad, dt, r * n + j,
                   ad_ld(y->data, dt, r * n + j) * (ad_ld(y->grad, dt, r * n + j) - dot));
    }
}

static void log_softmax_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    long n = y->shape[y->ndim - 1], rows = y->size / n;
    for (long r = 0; r < rows; r++) {
        double sum = 0;
        for (long j = 0; j < n; j++) sum += ad_ld(y->grad, dt, r * n + j);
        //: $\bar x_j \mathrel{+}= \bar y_j - p_j \sum_i \bar y_i$, $p_j = e^{y_j}$
        for (long j = 0; j < n; j++)
            ad_acc(x->grad, dt, r * n + j,
                   ad_ld(y->grad, dt, r * n + j) - exp(ad_ld(y->data, dt, r * n + j)) * sum);
    }
}

static AdTensor *softmax_like(AdArena *arena, AdTensor *x, int log_form) {
    const char *op = log_form ? "ad_log_softmax" : "ad_softmax";
    if (x->ndim < 1) die("%s: needs at least one axis", op);
    AdTensor *y = ad_op_out(arena, op, x->ndim, x->shape,
                            log_form ? log_softmax_backward : softmax_backward, x, NULL, NULL);
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    AdDtype dt = y->dtype;
    long n = x->shape[x->ndim - 1], rows = x->size / n;
    for (long r = 0; r < rows; r++) {
        double lse = row_lse(x, r, n);
        //: $\log p_j = x_j - \operatorname{lse}(x)$
        for (long j = 0; j < n; j++) {
            double lp = ad_ld(x->data, dt, r * n + j) - lse;
            ad_st(y->data, dt, r * n + j, log_form ? lp : exp(lp));
        }
    }
    return y;
}

AdTensor *ad_softmax(AdArena *arena, AdTensor *a) { return softmax_like(arena, a, 0); }
AdTensor *ad_log_softmax(AdArena *arena, AdTensor *a) { return softmax_like(arena, a, 1); }

/* aux: labels (N ints). */
static void cross_entropy_backward(AdTensor *y) {
    AdTensor *x = y->in[0];
    AdDtype dt = y->dtype;
    const int *labels = y->aux;
    long rows = x->shape[0], n = x->shape[1];
    double g = ad_ld(y->grad, dt, 0) / (double)rows;
    for (long r = 0; r < rows; r++) {
        double lse = row_lse(x, r, n);
        //: $\bar x_{r,j} \mathrel{+}= \bar L\,(p_{r,j} - [j = t_r])/N$
        for (long j = 0; j < n; j++) {
            double p = exp(ad_ld(x->data, dt, r * n + j) - lse);
            ad_acc(x->grad, dt, r * n + j, g * (p - (j == labels[r] ? 1.0 : 0.0)));
        }
    }
}

AdTensor *ad_cross_entropy(AdArena *arena, AdTensor *logits, const int *labels) {
    char s[64];
    if (logits->ndim != 2)
        die("ad_cross_entropy: logits %s are not (N,C)", ad_shape_str(logits, s, sizeof s));
    long rows = logits->shape[0], n = logits->shape[1];
    for (long r = 0; r < rows; r++)
        if (labels[r] < 0 || labels[r] >= n)
            die("ad_cross_entropy: label %d of row %ld outside [0,%ld)", labels[r], r, n);
    AdTensor *y = ad_op_out(arena, "ad_cross_entropy", 0, NULL, cross_entropy_backward, logits,
                            NULL, NULL);
    int *saved = ad_arena_alloc(arena, sizeof(int) * (size_t)rows);
    memcpy(saved, labels, sizeof(int) * (size_t)rows);
    y->aux = saved;
    if (ad_defer(y)) return y; /* deferred mode: recorded, not computed */
    double loss = 0;
    //: $L = \frac1N \sum_r \big(\operatorname{lse}(x_r) - x_{r,t_r}\big)$
    for (long r = 0; r < rows; r++)
        loss += row_lse(logits, r, n) - ad_get(logits, r * n + labels[r]);
    ad_st(y->data, y->dtype, 0, loss / (double)rows);
    return y;
}
