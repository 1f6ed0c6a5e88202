/* optim_schedule — learning-rate schedules as pure functions of the step index
   (see optim.h, eq:common.optim.cosine). Step s = 0, 1, ... is the update about to be taken;
   i = s + 1 its 1-based number. */
#include <math.h>

#include "common/optim.h"
#include "common/util.h"

double lr_constant(double base_lr, long step) {
    (void)step;
    return base_lr;
}

double lr_linear_warmup(double base_lr, long warmup_steps, long step) {
    long i = step + 1;
    if (warmup_steps <= 0 || i >= warmup_steps) return base_lr;
    //: $\eta_s = \eta\, i / W$ for $i = s + 1 < W$
    return base_lr * (double)i / (double)warmup_steps;
}

double lr_cosine_warmup(double base_lr, double min_lr, long warmup_steps, long total_steps,
                        long step) {
    long i = step + 1;
    if (warmup_steps > 0 && i < warmup_steps) return lr_linear_warmup(base_lr, warmup_steps, step);
    long w = warmup_steps > 0 ? warmup_steps : 0;
    //: $p = (i - W) / (T - W)$ clamped to $[0, 1]$ ($\cos\pi = -1$ exactly in double, so $p = 1$ gives $\eta_{\min}$ exactly)
    double p = total_steps > w ? (double)(i - w) / (double)(total_steps - w) : 1.0;
    if (p > 1.0) p = 1.0;
    //: $\eta_s = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos\pi p)$
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + cos(M_PI * p));
}

double lr_at(const LrSchedule *s, long step) {
    switch (s->kind) {
    case LR_CONSTANT: return lr_constant(s->base_lr, step);
    case LR_LINEAR_WARMUP: return lr_linear_warmup(s->base_lr, s->warmup_steps, step);
    case LR_COSINE:
        return lr_cosine_warmup(s->base_lr, s->min_lr, s->warmup_steps, s->total_steps, step);
    }
    die("lr_at: unknown schedule kind %d", (int)s->kind);
}
