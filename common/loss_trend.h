/*: # loss_trend — did a training loss go down?

Introduced for L36 §5.8 (program `lectures/36_ddpm/25_schedule_training_comparison.c`: three
networks trained on three schedules, each must have learned something); any training run with a
per-step loss history can use it. A per-step loss is noisy (each step sees another minibatch and
other noise levels), so the verdict compares two *windows* of the history, not two steps: the
head, the first $n_h$ values, and the tail, the last $\lceil f\,n\rceil$ values, each with its mean
and the standard error of that mean from the window's own scatter,

$$ \bar\ell_W = \frac1{\lvert W\rvert}\sum_{s\in W}\ell_s,\qquad
   \mathrm{se}_W = \sqrt{\frac{1}{\lvert W\rvert(\lvert W\rvert-1)}\sum_{s\in W}(\ell_s-\bar\ell_W)^2}, $$ {#eq:common.loss_trend.window}

(se = 0 for a window of one value) and the loss *fell by a factor* $c$ when

$$ \bar\ell_\text{tail} \le c\,\bar\ell_\text{head} - k\sqrt{\mathrm{se}_\text{head}^2 + \mathrm{se}_\text{tail}^2} $$ {#eq:common.loss_trend.fell}

($c = 1$: it decreased; $c = 1/2$: it halved). The standard errors treat the steps of a window as
independent draws, which they nearly are at a fixed point of training (the minibatch noise
dominates); the $k$ margin keeps a tail that is lower by chance from passing as progress.
*/
#ifndef COMMON_LOSS_TREND_H
#define COMMON_LOSS_TREND_H

typedef struct {
    long n_head, n_tail;       /* window sizes */
    double head_mean, head_se; /* eq. window over the first n_head values */
    double tail_mean, tail_se; /* eq. window over the last n_tail values */
} LossTrend;

/* Windows of loss[0..n): head = the first min(n_head, n) values, tail = the last
   ceil(tail_frac * n) values (at least 1). n >= 1; a non-finite value makes its window's mean
   non-finite (so no verdict passes). */
LossTrend loss_trend(const double *loss, long n, long n_head, double tail_frac);

/* Bound of eq. fell for factor c and margin k: c head_mean - k sqrt(se_h^2 + se_t^2); the loss fell
   when tail_mean <= this bound (a caller passes both to check_le). */
double loss_trend_bound(const LossTrend *t, double c, double k);

#endif
