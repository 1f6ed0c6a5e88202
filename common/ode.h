/*: # ode — initial-value problems $y' = f(t, y)$ on a vector state

The probability-flow ODE of a diffusion model (lecture 36, 3.9.3 and 6.4; lecture 42's flow
matching and stochastic interpolants) is an ordinary differential equation
$\dot y = f(t, y)$, $y \in \mathbb R^n$, integrated from $t_0$ to $t_1$ (forward or backward in
time). This module has the classical one-step schemes once, so that lectures compare
discretisations instead of re-typing them.

With step $h$ and $k_1 = f(t, y)$:

| scheme | update | order | NFE/step |
|---|---|---|---|
| Euler | $y + h k_1$ | 1 | 1 |
| Heun (explicit trapezoid) | $y + \tfrac h2 (k_1 + k_2)$, $k_2 = f(t+h, y + h k_1)$ | 2 | 2 |
| RK4 | $y + \tfrac h6(k_1 + 2k_2 + 2k_3 + k_4)$ | 4 | 4 |

$$ k_2 = f(t+\tfrac h2, y+\tfrac h2 k_1),\quad k_3 = f(t+\tfrac h2, y+\tfrac h2 k_2),\quad k_4 = f(t+h, y+h k_3) $$ {#eq:common.ode.rk4}

A scheme of order $p$ has global error $C h^p + O(h^{p+1})$: doubling the number of steps
divides the error by about $2^p$, so $\log_2(e_N / e_{2N})$ is the *observed order*.

**Dormand–Prince 5(4)** (Dormand & Prince 1980; the tableau of Hairer, Nørsett & Wanner,
*Solving ODEs I*, II.5) takes seven stages, the last evaluated at the new point and reused as the
first stage of the next step (FSAL: six new evaluations per step). It propagates the fifth-order
solution and estimates the local error by the difference to the embedded fourth-order one,
$\mathrm{err} = \big(\tfrac1n\sum_i (e_i / (\mathrm{atol} + \mathrm{rtol}\max(|y_i|, |y_i^{new}|)))^2\big)^{1/2}$;
a step is accepted when $\mathrm{err} \le 1$ and the next step is
$h \leftarrow h \cdot \min(5, \max(0.2, 0.9\,\mathrm{err}^{-1/5}))$. The initial step follows
Hairer's heuristic (II.4, two extra evaluations). Every call of $f$ is counted (NFE), the
currency in which diffusion samplers are compared.
*/
#ifndef COMMON_ODE_H
#define COMMON_ODE_H

/* The right-hand side: dydt = f(t, y), both of length n. */
typedef void (*OdeFn)(double t, const double *y, double *dydt, int n, void *ctx);

typedef enum { ODE_EULER, ODE_HEUN, ODE_RK4 } OdeMethod;

/* Evaluations of f per step of a fixed-step method (1, 2, 4). */
int ode_method_nfe(OdeMethod m);
/* Its name ("Euler", "Heun", "RK4"). */
const char *ode_method_name(OdeMethod m);

/* One step of size h (negative: backward in time) from (t, y); y (n) is updated in place.
   Returns the number of f evaluations. */
int ode_step(OdeMethod m, OdeFn f, void *ctx, double t, double h, double *y, int n);

/* `steps` equal steps from t0 to t1 (t1 < t0 allowed); y (n) in/out. Returns the NFE, or -1
   when steps < 1. */
long ode_solve_fixed(OdeMethod m, OdeFn f, void *ctx, double t0, double t1, int steps, double *y,
                     int n);

/* The same on a given time grid t[0..steps] (monotone), y in/out; path, if not NULL, receives y
   at every grid point (steps+1 rows of n). Returns the NFE. */
long ode_solve_grid(OdeMethod m, OdeFn f, void *ctx, const double *t, int steps, double *y, int n,
                    double *path);

typedef struct {
    double rtol, atol; /* tolerances of the error norm (both > 0 or one of them 0, not both) */
    double h0;         /* initial |step|; 0: Hairer's heuristic */
    long max_steps;    /* accepted + rejected steps before giving up; 0: 100000 */
} OdeDopriOpts;

typedef struct {
    long nfe, accepted, rejected;
} OdeStats;

/* Adaptive Dormand-Prince 5(4) from t0 to t1 (either direction); y (n) in/out. Returns 0 on
   success, -1 when the step budget ran out or the step size underflowed (y then holds the last
   accepted state). stats may be NULL. */
int ode_dopri5(OdeFn f, void *ctx, double t0, double t1, double *y, int n, const OdeDopriOpts *opt,
               OdeStats *stats);

#endif
