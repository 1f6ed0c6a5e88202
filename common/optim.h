/*: # optim — first-order optimisers, gradient clipping, EMA, learning-rate schedules

Training a model in the course is: compute the gradient $g_t = \nabla_\theta L(\theta_{t-1})$
of a minibatch loss, then move $\theta$. This module does the moving. It knows nothing of
how gradients are computed: a parameter is a `ParamBlock`, a float32 array `value` of `n`
numbers beside its gradient `grad` (the autodiff module, or a hand-written backward pass,
fills `grad`). An optimiser works over an array of blocks; its state (momentum, moments) is
allocated once, at creation, as one array per quantity with the blocks laid end to end.

The update rules follow PyTorch's `torch.optim` semantics exactly (so that results can be
compared with a PyTorch reference); $t = 1, 2, \dots$ counts the steps taken, $\eta$ is the
learning rate, $\lambda$ the weight decay.

**SGD with momentum** $\mu$ (and optionally Nesterov's look-ahead), with L2 weight decay:
$$ g \leftarrow g + \lambda\theta,\quad b_t = \mu b_{t-1} + g,\quad
   \theta_t = \theta_{t-1} - \eta\,(\text{Nesterov: } g + \mu b_t;\ \text{else } b_t). $$ {#eq:common.optim.sgd_momentum}

**Adam** (Kingma & Ba), with bias-corrected moment estimates:
$$ m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, $$
$$ \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\;\frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}. $$ {#eq:common.optim.adam}
At $t = 1$ the corrected moments are $g_1$ and $g_1^2$, so every coordinate moves by
$\eta\, g/(\lvert g\rvert + \epsilon) \approx \eta\operatorname{sign}(g)$, whatever the gradient's
scale. Adam's `weight_decay` adds $\lambda\theta$ to $g_t$ (an L2 penalty, which then passes
through the adaptive scaling). **AdamW** (Loshchilov & Hutter) instead *decouples* it:
$$ \theta \leftarrow \theta\,(1 - \eta\lambda)\quad\text{before the Adam step on the raw } g_t. $$ {#eq:common.optim.adamw_decay}

**Gradient clipping by global norm**: with $\lVert g\rVert = \big(\sum_{\text{blocks}}\sum_i
g_i^2\big)^{1/2}$ (accumulated in double), if $\lVert g\rVert > c$ every gradient is scaled by
$c/\lVert g\rVert$: the direction is kept and the norm becomes exactly $c$. (PyTorch divides
by $\lVert g\rVert + 10^{-6}$; we do not, so that the clipped norm is $c$.)

**Exponential moving average** of the parameters (used to evaluate diffusion models):
$$ \bar\theta_k = \delta\,\bar\theta_{k-1} + (1-\delta)\,\theta_k,\qquad \bar\theta_0 = \theta_0, $$ {#eq:common.optim.ema}
so for a parameter that stays at $\theta$, $\bar\theta_k - \theta = \delta^k(\bar\theta_0 - \theta)$.

**Learning-rate schedules** are pure functions of the step index $s = 0, 1, \dots$ (the
update about to be taken; $i = s + 1$ is its 1-based number). Linear warm-up over $W$ steps
gives $\eta_s = \eta\, \min(1, i/W)$; cosine decay to $\eta_{\min}$ at step $T$ after it:
$$ \eta_s = \eta_{\min} + \tfrac12(\eta - \eta_{\min})\big(1 + \cos(\pi p)\big),\qquad
   p = \frac{i - W}{T - W}\ \text{clamped to } [0, 1], $$ {#eq:common.optim.cosine}
which is $\eta$ at the end of the warm-up ($i = W$) and exactly $\eta_{\min}$ on the last
step ($i = T$) and after.
*/
#ifndef COMMON_OPTIM_H
#define COMMON_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

/* One parameter tensor, flattened: value[0..n) and its gradient grad[0..n). */
typedef struct {
    float *value;
    float *grad;
    size_t n;
} ParamBlock;

size_t params_count(const ParamBlock *blocks, int nblocks);  /* sum of n */
void params_zero_grad(const ParamBlock *blocks, int nblocks);
double grad_global_norm(const ParamBlock *blocks, int nblocks); /* in double, fixed order */
/* Scale all gradients so that their global norm is at most max_norm. Returns the norm
   before clipping. A non-finite norm leaves the gradients untouched (and is returned, so
   the caller can skip the step). */
double clip_grad_norm(const ParamBlock *blocks, int nblocks, double max_norm);

/* ---------------------------------------------------------------------------------------- */
/* Optimisers */

typedef enum { OPTIM_SGD, OPTIM_ADAM, OPTIM_ADAMW } OptimKind;

typedef struct {
    OptimKind kind;
    double lr;           /* eta */
    double momentum;     /* SGD: mu (0 = plain SGD) */
    bool nesterov;       /* SGD: Nesterov momentum (needs momentum > 0) */
    double beta1, beta2; /* Adam / AdamW */
    double eps;          /* Adam / AdamW */
    double weight_decay; /* SGD, Adam: L2 added to g; AdamW: decoupled shrink */
} OptimConfig;

OptimConfig optim_sgd(double lr, double momentum, bool nesterov, double weight_decay);
OptimConfig optim_adam(double lr, double beta1, double beta2, double eps, double weight_decay);
OptimConfig optim_adamw(double lr, double beta1, double beta2, double eps, double weight_decay);

typedef struct {
    OptimConfig cfg;
    ParamBlock *blocks; /* a copy of the caller's array (the arrays it points to are not copied) */
    int nblocks;
    size_t total;       /* number of parameters */
    float *m;           /* SGD: momentum buffer b; Adam: first moment m (NULL for plain SGD) */
    float *v;           /* Adam: second moment v (NULL for SGD) */
    long t;             /* steps taken */
} Optimizer;

Optimizer *optim_new(const ParamBlock *blocks, int nblocks, OptimConfig cfg);
void optim_set_lr(Optimizer *opt, double lr); /* e.g. from a schedule, before optim_step */
void optim_step(Optimizer *opt);              /* one update from the current gradients */
void optim_zero_grad(Optimizer *opt);
void optim_free(Optimizer *opt);              /* NULL-safe */

/* ---------------------------------------------------------------------------------------- */
/* Exponential moving average of the parameters */

typedef struct {
    ParamBlock *blocks;
    int nblocks;
    size_t total;
    float *shadow; /* bar theta, the blocks laid end to end */
    double decay;  /* delta */
    long updates;
    bool swapped;  /* true while the live arrays hold the EMA (between two ema_swap) */
} Ema;

Ema *ema_new(const ParamBlock *blocks, int nblocks, double decay); /* shadow = current values */
void ema_update(Ema *ema);       /* shadow = decay * shadow + (1 - decay) * value */
void ema_swap(Ema *ema);         /* exchange live values and shadow (call again to undo) */
void ema_copy_to_params(const Ema *ema); /* value = shadow (e.g. for the final export) */
void ema_free(Ema *ema);         /* NULL-safe */

/* ---------------------------------------------------------------------------------------- */
/* Learning-rate schedules: pure functions of the step index s = 0, 1, ... */

double lr_constant(double base_lr, long step);
double lr_linear_warmup(double base_lr, long warmup_steps, long step);
double lr_cosine_warmup(double base_lr, double min_lr, long warmup_steps, long total_steps,
                        long step);

typedef enum { LR_CONSTANT, LR_LINEAR_WARMUP, LR_COSINE } LrKind;
typedef struct {
    LrKind kind;
    double base_lr, min_lr;
    long warmup_steps, total_steps;
} LrSchedule;
double lr_at(const LrSchedule *schedule, long step);

#endif
