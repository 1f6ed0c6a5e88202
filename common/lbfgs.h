/*: # lbfgs — limited-memory BFGS with a strong-Wolfe line search (double precision)

Minimises a smooth $f:\mathbb R^n \to \mathbb R$ from its value and gradient. Introduced for
the GMM maximum-likelihood fit of L07 Z5.4 (which the lecture runs with PyTorch's `LBFGS`,
`line_search_fn="strong_wolfe"`); any lecture with a few-parameter smooth objective can use it.

**Quasi-Newton direction.** With the last $m$ pairs $s_j = x_{j+1} - x_j$,
$y_j = \nabla f_{j+1} - \nabla f_j$ and $\rho_j = 1/(y_j^\top s_j)$, the inverse-Hessian
approximation is the BFGS update applied $m$ times to $H^0 = \gamma I$,

$$ H_{j+1} = (I - \rho_j s_j y_j^\top)\, H_j\, (I - \rho_j y_j s_j^\top) + \rho_j s_j s_j^\top,
   \qquad \gamma = \frac{s^\top y}{y^\top y}\ \text{(latest pair)}, $$ {#eq:common.lbfgs.bfgs_update}

and $d = -H\nabla f$ is computed without forming $H$ by the *two-loop recursion*: a backward pass
$\alpha_j = \rho_j s_j^\top q,\ q \leftarrow q - \alpha_j y_j$, the scaling $r = \gamma q$,
and a forward pass $\beta_j = \rho_j y_j^\top r,\ r \leftarrow r + (\alpha_j - \beta_j)s_j$:
$O(mn)$ work. A pair is stored only when $s^\top y > 0$ (the curvature condition below
guarantees it), so $H$ stays positive definite and $d$ is a descent direction.

**Line search.** Along $\phi(\alpha) = f(x + \alpha d)$ a step is accepted when it satisfies the
strong Wolfe conditions

$$ \phi(\alpha) \le \phi(0) + c_1\alpha\,\phi'(0), \qquad |\phi'(\alpha)| \le c_2\,|\phi'(0)|, $$ {#eq:common.lbfgs.strong_wolfe}

$0 < c_1 < c_2 < 1$ (defaults $10^{-4}$, $0.9$, as in PyTorch and SciPy). The loose $c_2 = 0.9$
lets most iterations take the unit step with a single evaluation; on a badly conditioned
problem those inexact steps spoil the near-conjugacy of the directions, and a tighter
$c_2 = 0.1$ can need far fewer iterations (test_lbfgs: 522 against 16 on a quadratic of
condition number $10^6$; with a near-exact search L-BFGS with $m \ge n$ on a quadratic is
conjugate gradients and stops within $n$ iterations). The search (Nocedal & Wright, Alg. 3.5–3.6)
tries $\alpha = 1$ (on the first iteration $\min(1, 1/\lVert\nabla f\rVert_2)$, since there
is no curvature information yet), doubles $\alpha$ while the function keeps decreasing with a
negative slope, and once an interval is known to contain an acceptable step, *zooms*: the
next trial is the minimiser of the cubic that matches $\phi$ and $\phi'$ at the interval's ends,
kept at least 10% of the interval away from either end (bisection when the cubic has no
minimiser there). **Non-finite values** (a trial that lands where $f$ is NaN or infinite, e.g.
a negative variance) are treated as "too far": the trial becomes the far end of the interval
and the search bisects back toward the last good point. If the trial budget runs out, a step
with sufficient decrease found on the way is taken (without updating the memory unless
$s^\top y > 0$); with none, the run stops with `LBFGS_LINESEARCH_FAILED` (or `LBFGS_NONFINITE`
when every failed trial was non-finite). The minimiser therefore never returns a point whose
$f$ is not finite, and never loops.

**Stopping.** After each iteration: $\lVert\nabla f\rVert_\infty \le$ `grad_tol`
(`LBFGS_CONVERGED_GRAD`), or $|f_{k} - f_{k+1}| \le$ `f_rel_tol` $\cdot\max(|f_k|, |f_{k+1}|, 1)$
(`LBFGS_CONVERGED_F`), or `max_iter` iterations / `max_eval` evaluations (`LBFGS_MAX_ITER`,
`LBFGS_MAX_EVAL`). A non-finite value or gradient at the starting point gives
`LBFGS_NONFINITE` at once.

Deterministic: no randomness, a fixed order of every sum.
*/
#ifndef COMMON_LBFGS_H
#define COMMON_LBFGS_H

/* The objective: returns f(x) and writes grad f(x) into grad (n). */
typedef double (*lbfgs_fn)(const double *x, double *grad, void *ctx);
/* Called after each iteration k = 1, 2, ... with the new point and value (may be NULL). */
typedef void (*lbfgs_progress_fn)(int iteration, const double *x, double f, void *ctx);

typedef struct {
    int m;              /* memory: number of (s, y) pairs kept (default 10) */
    int max_iter;       /* default 500 */
    int max_eval;       /* default 2000 */
    double grad_tol;    /* stop when ||grad||_inf <= grad_tol (default 1e-8) */
    double f_rel_tol;   /* stop when |df| <= f_rel_tol * max(|f|, 1) (default 1e-14; 0 disables) */
    double c1, c2;      /* strong Wolfe constants (default 1e-4, 0.9) */
    int max_linesearch; /* trials per line search (default 40) */
    lbfgs_progress_fn progress; /* default NULL; receives the objective's ctx */
} LbfgsConfig;

typedef enum {
    LBFGS_CONVERGED_GRAD,    /* ||grad||_inf <= grad_tol */
    LBFGS_CONVERGED_F,       /* relative change of f below f_rel_tol */
    LBFGS_MAX_ITER,
    LBFGS_MAX_EVAL,
    LBFGS_LINESEARCH_FAILED, /* no step with sufficient decrease along the direction */
    LBFGS_NONFINITE,         /* f or grad not finite at the start, or at every failed trial */
    LBFGS_BAD_INPUT          /* n < 1 or a config value out of range */
} LbfgsStatus;

typedef struct {
    LbfgsStatus status;
    int iterations;  /* accepted steps */
    int evaluations; /* calls of the objective */
    double f;        /* f at the returned x */
    double grad_inf; /* ||grad f||_inf at the returned x */
} LbfgsResult;

LbfgsConfig lbfgs_default_config(void);
/* Minimise from x (n), which is overwritten by the best point found (always one with finite f).
   cfg may be NULL (defaults). */
LbfgsResult lbfgs_minimize(lbfgs_fn fn, void *ctx, double *x, int n, const LbfgsConfig *cfg);
/* True for the two converged statuses. */
int lbfgs_converged(LbfgsStatus status);
const char *lbfgs_status_name(LbfgsStatus status);

#endif
