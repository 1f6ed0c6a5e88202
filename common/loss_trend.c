/* loss_trend — see loss_trend.h (L36 5.8: did the training loss go down?). */
#include "common/loss_trend.h"

#include <math.h>

/* mean and standard error of v[from..to), eq. window */
static void window(const double *v, long from, long to, double *mean, double *se) {
    const long m = to - from;
    double s = 0, q = 0;
    //: $\bar\ell_W$, [eq:common.loss_trend.window]
    for (long i = from; i < to; i++) s += v[i];
    *mean = s / m;
    for (long i = from; i < to; i++) q += (v[i] - *mean) * (v[i] - *mean);
    //: $\mathrm{se}_W$, [eq:common.loss_trend.window]
    *se = m > 1 ? sqrt(q / ((double)m * (m - 1))) : 0.0;
}

LossTrend loss_trend(const double *loss, long n, long n_head, double tail_frac) {
    LossTrend t;
    t.n_head = n_head < n ? n_head : n;
    t.n_tail = (long)ceil(tail_frac * (double)n - 1e-9);
    if (t.n_tail < 1) t.n_tail = 1;
    if (t.n_tail > n) t.n_tail = n;
    window(loss, 0, t.n_head, &t.head_mean, &t.head_se);
    window(loss, n - t.n_tail, n, &t.tail_mean, &t.tail_se);
    return t;
}

double loss_trend_bound(const LossTrend *t, double c, double k) {
    //: $c\,\bar\ell_\text{head} - k\sqrt{\mathrm{se}_\text{head}^2 + \mathrm{se}_\text{tail}^2}$, [eq:common.loss_trend.fell]
    return c * t->head_mean - k * sqrt(t->head_se * t->head_se + t->tail_se * t->tail_se);
}
