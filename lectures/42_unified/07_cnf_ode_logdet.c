/*: # L42 4.3 — Continuous normalizing flows: ODE solvers, the log-determinant, Hutchinson's trace

**Lecture 42, Part 2, section 4.3** (`CNF`, `ode_solver ∈ {euler, rk4, dopri5}`) with spec §3
items 10–11 and erratum B8. A CNF moves a point with an ODE $\dot x = v_\theta(x, t)$ from data
($t = 0$) to the prior ($t = 1$); its log-density changes by the *trace* of the Jacobian of $v$
(instantaneous change of variables), so the likelihood needs an ODE solver and a trace. The
lecture names the solvers and says `forward` returns the log-determinant, but never shows how it
is accumulated (B8), and its `reverse` concatenates $t$ along the batch axis.

What you will see: the observed orders of Euler, Heun and RK4 and the accuracy of adaptive
Dormand–Prince (common/ode); the augmented state $(x, \ell)$ whose $\ell$ is the log-determinant,
checked against the Jacobian of the flow map itself — exactly for a linear field, by finite
differences for a tanh-MLP field; Hutchinson's estimator with its mean and variance formula; the
forward/reverse round trip; and a CNF trained on 8 Gaussians through `gm_train` with a Hutchinson
trace, evaluated with the exact trace (KL against the known data law, MMD of its samples).
Figures: `cnf_samples.png` (data and CNF samples), `cnf_density.png` (the model's log-density).

Run: `build/release/bin/lectures/42_unified/07_cnf_ode_logdet [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $v_\theta(x, t) = W_2^\top\tanh(W_1^\top[x; t] + b_1) + b_2$ | `Cnf`, `cnf_field` | (2) |
| $\ell(t) = \int_0^t \mathrm{tr}\,\partial v/\partial x$ | state `y[2]` of `cnf_rhs` | scalar |
| $\varepsilon$ (Rademacher) | `eps` | (n, 2) |
| $\varepsilon^\top \frac{\partial v}{\partial x}\varepsilon$ | `hutchinson_graph` | (n) |
| $\Phi(x)$ flow map | `cnf_flow` | (2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/gauss.h"
#include "common/genmodel.h"
#include "common/linalg.h"
#include "common/ode.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/toy2d_plot.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

/*: ## 4.3 The solvers: observed orders

On $\dot x = -x$, $x(0) = 1$, the exact $x(1) = e^{-1}$ is known, so the global error $e_N$ of $N$
equal steps can be measured. A method of order $p$ has $e_N \approx C N^{-p}$:

$$ \frac{e_N}{e_{2N}} \to 2^p:\quad 2\ (\text{Euler}),\quad 4\ (\text{Heun}),\quad 16\ (\text{RK4}). $$ {#eq:L42.4.3.ode_order}

Dormand–Prince 5(4) chooses its own steps from an embedded error estimate; at
$\mathrm{rtol} = \mathrm{atol} = 10^{-10}$ its error must be far below $10^{-8}$.
*/
static void decay_rhs(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)t, (void)ctx;
    for (int i = 0; i < n; i++) dydt[i] = -y[i];
}

static double decay_error(OdeMethod m, int steps) {
    double y = 1.0;
    ode_solve_fixed(m, decay_rhs, NULL, 0.0, 1.0, steps, &y, 1);
    return fabs(y - exp(-1.0));
}

static void section_orders(void) {
    static const struct { OdeMethod m; int n; double ratio; const char *id; } rows[] = {
        {ODE_EULER, 64, 2, "L42.4.3.ode_order_euler"},
        {ODE_HEUN, 32, 4, "L42.4.3.ode_order_heun"},
        {ODE_RK4, 8, 16, "L42.4.3.ode_order_rk4"},
    };
    for (int i = 0; i < 3; i++) {
        //: [eq:L42.4.3.ode_order]
        double e1 = decay_error(rows[i].m, rows[i].n), e2 = decay_error(rows[i].m, 2 * rows[i].n);
        check_rel(rows[i].id, e1 / e2, rows[i].ratio, 0.10, "L42.4.3.ode_order",
                  "%s on dx/dt = -x: error ratio e_%d / e_%d (%.2e / %.2e) vs 2^p (spec +-10%%)",
                  ode_method_name(rows[i].m), rows[i].n, 2 * rows[i].n, e1, e2);
    }
    double y = 1.0;
    OdeDopriOpts opt = {.rtol = 1e-10, .atol = 1e-10};
    OdeStats st;
    int rc = ode_dopri5(decay_rhs, NULL, 0.0, 1.0, &y, 1, &opt, &st);
    check_le("L42.4.3.ode_dopri5", rc == 0 ? fabs(y - exp(-1.0)) : INFINITY, 1e-8, 0, NULL,
             "adaptive Dormand-Prince 5(4), rtol = atol = 1e-10: |x(1) - e^-1| (%ld evaluations, %ld steps)",
             st.nfe, st.accepted);
}

/*: ## 4.3 The instantaneous change of variables

If $\dot x = v(x, t)$, the density along a trajectory obeys $\frac{d}{dt}\log p_t(x_t) = -\mathrm{tr}\,\frac{\partial v}{\partial x}(x_t, t)$.
Integrating the *augmented* state $(x, \ell)$,

$$ \frac{d}{dt}\begin{pmatrix} x \\ \ell \end{pmatrix} = \begin{pmatrix} v(x, t) \\ \mathrm{tr}\,\partial v/\partial x \end{pmatrix},\qquad
   \log p_0(x_0) = \log \mathcal N(x_1; 0, I) + \ell(1), $$ {#eq:L42.4.3.cnf_augmented}

gives the log-density of a data point in one ODE solve, and $\ell(1) = \log\lvert\det \partial\Phi/\partial x_0\rvert$
for the flow map $\Phi: x_0\mapsto x_1$. This is what the lecture's `forward` must return (B8),
and its `logprob` $= -\tfrac12\lVert z\rVert^2 + \ell$ also drops the prior's $-\tfrac D2\log 2\pi$ (B2).

**Linear field.** $v = Ax$ with $A = \begin{pmatrix} -0.5 & 1\\ -1 & -0.5\end{pmatrix}$ has constant
trace, so $\ell(1) = \mathrm{tr}A = -1$; the flow map is $e^{A}$ and $\log\det e^A = \mathrm{tr}A$. The
independent route: push the basis vectors through the same RK4 map and take the log-determinant
of the resulting $2\times2$ Jacobian.
*/
static const double LIN_A[4] = {-0.5, 1.0, -1.0, -0.5};

static void linear_rhs(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)t, (void)ctx, (void)n;
    //: [eq:L42.4.3.cnf_augmented] with $v = Ax$, $\mathrm{tr}\,\partial v/\partial x = \mathrm{tr}A$
    dydt[0] = LIN_A[0] * y[0] + LIN_A[1] * y[1];
    dydt[1] = LIN_A[2] * y[0] + LIN_A[3] * y[1];
    dydt[2] = LIN_A[0] + LIN_A[3];
}

static void section_linear(void) {
    double y[3] = {0.3, -0.7, 0.0};
    ode_solve_fixed(ODE_RK4, linear_rhs, NULL, 0.0, 1.0, 100, y, 3);
    check_close("L42.4.3.cnf_linear_trace", y[2], -1.0, 1e-10, "L42.4.3.cnf_augmented",
                "augmented log-det of v = Ax after RK4-100 on [0, 1] (spec -1 = tr A)");
    double J[4];
    for (int j = 0; j < 2; j++) {
        double e[3] = {j == 0, j == 1, 0};
        ode_solve_fixed(ODE_RK4, linear_rhs, NULL, 0.0, 1.0, 400, e, 3);
        J[0 * 2 + j] = e[0], J[1 * 2 + j] = e[1];
    }
    double logdet = log(fabs(J[0] * J[3] - J[1] * J[2]));
    check_close("L42.4.3.cnf_linear_jacobian", logdet, y[2], 1e-10, "L42.4.3.cnf_augmented",
                "log|det| of the RK4-400 flow map's Jacobian (basis vectors pushed through) vs the augmented log-det (RK4 is not volume-preserving: with 100 steps the gap is 2e-10)");
}

/* ---------------------------------------------------------------------------------------- */
/* The CNF's field: one hidden tanh layer, time as an input. The training graph and this double
   evaluator read the same float weights. */

typedef struct {
    int hidden;
    NnLinear l1, l2; /* [x; t] (3) -> H, tanh; H -> 2 */
} Cnf;

/* v(x, t) and tr(dv/dx) in double: dv/dx = W2^T diag(1 - h^2) W1x^T. */
static void cnf_field(const Cnf *c, double t, const double *x, double *v, double *trace) {
    const float *w1 = ad_f32(c->l1.weight), *b1 = ad_f32(c->l1.bias), *w2 = ad_f32(c->l2.weight), *b2 = ad_f32(c->l2.bias);
    const int H = c->hidden;
    v[0] = b2[0], v[1] = b2[1];
    double tr = 0;
    for (int k = 0; k < H; k++) {
        double h = tanh(x[0] * w1[k] + x[1] * w1[H + k] + t * w1[2 * H + k] + b1[k]);
        v[0] += h * w2[2 * k], v[1] += h * w2[2 * k + 1];
        //: $\mathrm{tr}\,\partial v/\partial x = \sum_k (1 - h_k^2)\sum_i W_{1,ik} W_{2,ki}$
        tr += (1 - h * h) * (w1[k] * w2[2 * k] + w1[H + k] * w2[2 * k + 1]);
    }
    if (trace) *trace = tr;
}

/* The augmented right-hand side for a batch: y holds n/3 rows (x1, x2, l). */
static void cnf_rhs(double t, const double *y, double *dydt, int n, void *ctx) {
    for (int i = 0; i < n / 3; i++) {
        //: [eq:L42.4.3.cnf_augmented]
        cnf_field(ctx, t, y + 3 * i, dydt + 3 * i, dydt + 3 * i + 2);
    }
}

/* Flow of n points from t0 to t1 with RK4 (steps); xl (n x 3) in/out. */
static void cnf_flow(const Cnf *c, double *xl, int n, double t0, double t1, int steps) {
    ode_solve_fixed(ODE_RK4, cnf_rhs, (void *)c, t0, t1, steps, xl, 3 * n);
}

static void cnf_init(Cnf *c, int hidden, Rng *rng) {
    c->hidden = hidden;
    nn_linear_init(&c->l1, 3, hidden, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
    nn_linear_init(&c->l2, hidden, 2, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, rng);
}

/*: ## A nonlinear field: the trace integral against the flow map's Jacobian

For the tanh field $v_\theta$ above (random weights, scaled so the flow bends), the trace is
$\mathrm{tr}\,\partial v/\partial x = \sum_k (1 - h_k^2)\,\sum_i W_{1,ik}W_{2,ki}$. The check compares
$\ell(1)$ from [eq:L42.4.3.cnf_augmented] with $\log\lvert\det\rvert$ of the central-difference
Jacobian of the RK4 flow map ($h = 10^{-5}$, LU), and then runs the flow backwards from $x_1$ to
$t = 0$ — the lecture's reverse ODE $\dot x = -v(x, 1 - s)$ is the same as integrating
$\dot x = v(x,t)$ from $t = 1$ down to $0$, which is what `ode_solve_fixed` does with $t_1 < t_0$.
*/
static void section_nonlinear(Rng *rng) {
    Cnf c;
    cnf_init(&c, 16, rng);
    float *w1 = ad_f32(c.l1.weight), *b1 = ad_f32(c.l1.bias);
    for (int i = 0; i < 3 * 16; i++) w1[i] *= 2.0f;
    for (int i = 0; i < 16; i++) b1[i] = (float)(0.5 * rng_normal(rng));
    const double x0[2] = {0.4, -0.8}, h = 1e-5;
    double y[3] = {x0[0], x0[1], 0};
    cnf_flow(&c, y, 1, 0, 1, 200);
    Mat J = mat_new(2, 2);
    for (int j = 0; j < 2; j++) {
        double yp[3] = {x0[0], x0[1], 0}, ym[3] = {x0[0], x0[1], 0};
        yp[j] += h, ym[j] -= h;
        cnf_flow(&c, yp, 1, 0, 1, 200), cnf_flow(&c, ym, 1, 0, 1, 200);
        for (int i = 0; i < 2; i++) MAT(J, i, j) = (yp[i] - ym[i]) / (2 * h);
    }
    LUFactor f;
    if (lu_factor(&f, J) != 0) die("07: singular FD Jacobian");
    double logdet = 0;
    for (int i = 0; i < 2; i++) logdet += log(fabs(MAT(f.lu, i, i)));
    check_close("L42.4.3.cnf_nonlinear_vs_fd", y[2], logdet, 1e-6, "L42.4.3.cnf_augmented",
                "tanh-MLP field: integral of the exact trace (RK4-200) vs log|det| of the FD Jacobian of the flow map (h=1e-5, LU); l(1) = %.6f", y[2]);
    double back[3] = {y[0], y[1], y[2]};
    cnf_flow(&c, back, 1, 1, 0, 200);
    check_le("L42.4.3.cnf_reverse", fmax(fabs(back[0] - x0[0]), fabs(back[1] - x0[1])), 1e-8, 0, NULL,
             "forward (t: 0 -> 1) then reverse (t: 1 -> 0) RK4-200 returns x0, max |error|; l back to %.1e", back[2]);
    lu_free(&f), mat_free(&J);
    nn_linear_free(&c.l1), nn_linear_free(&c.l2);
}

/*: ## Hutchinson's trace estimator

In $D$ dimensions the exact trace costs $D$ backward passes. Hutchinson's estimator uses one:
with $\varepsilon$ of independent Rademacher entries ($\pm1$),

$$ \mathbb E\big[\varepsilon^\top A\varepsilon\big] = \mathrm{tr}A,\qquad
   \mathrm{Var}\big[\varepsilon^\top A\varepsilon\big] = \tfrac12\sum_{i\ne j}(A_{ij} + A_{ji})^2 , $$ {#eq:L42.4.3.hutchinson}

(the diagonal contributes exactly $\sum_i A_{ii}$ because $\varepsilon_i^2 = 1$; only the
off-diagonal pairs fluctuate). Checked by Monte Carlo on a fixed $4\times4$ matrix: the mean
within 4 standard errors of $\mathrm{tr}A$ and the sample variance within 4 of its standard errors
of the formula.
*/
static void section_hutchinson(const Cli *cli) {
    static const double A[16] = {1.0, 0.5, -0.3, 0.2, 0.1, -2.0, 0.7, 0.0, 0.4, -0.6, 0.5, 1.1, -0.2, 0.3, 0.9, 0.8};
    const long n = cli_scale(cli, 20000, 200000, 1000000);
    double tr = 0, var_formula = 0;
    for (int i = 0; i < 4; i++) {
        tr += A[5 * i];
        for (int j = 0; j < 4; j++)
            //: [eq:L42.4.3.hutchinson]
            if (i != j) var_formula += 0.5 * (A[4 * i + j] + A[4 * j + i]) * (A[4 * i + j] + A[4 * j + i]);
    }
    double *q = xmalloc((size_t)n * sizeof *q), *dev = xmalloc((size_t)n * sizeof *dev);
    Rng r;
    rng_init(&r, cli->seed, 11);
    for (long s = 0; s < n; s++) {
        double e[4], acc = 0;
        for (int i = 0; i < 4; i++) e[i] = (rng_u32(&r) & 1u) ? 1.0 : -1.0;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc += e[i] * A[4 * i + j] * e[j];
        q[s] = acc;
    }
    double se, mean = stats_mean_se(q, (size_t)n, &se), se_v;
    for (long s = 0; s < n; s++) dev[s] = (q[s] - tr) * (q[s] - tr);
    double var = stats_mean_se(dev, (size_t)n, &se_v);
    check_mc("L42.4.3.cnf_hutchinson_mean", mean, tr, se, 4.0, n, "L42.4.3.hutchinson",
             "Rademacher Hutchinson estimate of tr A (4x4, tr A = %.1f)", tr);
    check_mc("L42.4.3.cnf_hutchinson_var", var, var_formula, se_v, 4.0, n, "L42.4.3.hutchinson",
             "E (e'Ae - tr A)^2 vs 1/2 sum_{i!=j} (A_ij + A_ji)^2 = %.4f", var_formula);
    free(q), free(dev);
}

/*: ## A CNF trained on 8 Gaussians through the shared loop

The model is the tanh field above with $H = 64$ hidden units, a `GenModel` of the flow family.
Its training loss is the negative log-likelihood [eq:L42.4.3.cnf_augmented] with the trace
replaced by Hutchinson's estimate, one Rademacher $\varepsilon$ per data point held fixed along
its trajectory (so the integral is an unbiased estimate of $\ell(1)$); the ODE is unrolled in the
autodiff graph as $K$ RK4 steps (discretise-then-optimise). For this field the estimator needs
no second backward pass:

$$ \varepsilon^\top\frac{\partial v}{\partial x}\varepsilon = \sum_k \big(\varepsilon^\top W_{1,x}\big)_k\,(1 - h_k^2)\,\big(W_2\,\varepsilon\big)_k . $$ {#eq:L42.4.3.cnf_hutchinson_mlp}

Evaluation uses the exact trace and RK4 with more steps, in double precision: the log-density of
held-out points gives $\mathrm{KL}(p\Vert q_\theta) = \mathbb E_p[\log p - \log q_\theta]$ against the
exact law of the toy (it must be $\ge 0$ up to its standard error, and below the best Gaussian's);
the Hutchinson log-density averaged over many $\varepsilon$ must agree with the exact one; samples
come from integrating $z\sim\mathcal N(0, I)$ from $t = 1$ down to $0$, and are compared with held-out
data by MMD.
*/
enum { CNF_TRAIN_STEPS_K = 6 };

static AdTensor *field_graph(AdArena *arena, Cnf *c, AdTensor *x, double t, AdTensor *eps, AdTensor **hut) {
    const int n = x->shape[0];
    int tshape[2] = {n, 1};
    AdTensor *tt = ad_input(arena, AD_F32, 2, tshape);
    for (int i = 0; i < n; i++) ad_f32(tt)[i] = (float)t;
    AdTensor *parts[2] = {x, tt};
    AdTensor *h = ad_tanh(arena, nn_linear_forward(arena, &c->l1, ad_concat(arena, parts, 2, 1)));
    //: [eq:L42.4.3.cnf_hutchinson_mlp]
    AdTensor *u = ad_matmul(arena, eps, ad_slice(arena, c->l1.weight, 0, 0, 2));
    AdTensor *w = ad_matmul(arena, eps, ad_transpose(arena, c->l2.weight));
    AdTensor *dh = ad_add_const(arena, ad_scale(arena, ad_square(arena, h), -1.0), 1.0);
    *hut = ad_sum_axis(arena, ad_mul(arena, ad_mul(arena, u, w), dh), 1, 0);
    return nn_linear_forward(arena, &c->l2, h);
}

static AdTensor *cnf_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player, (void)terms;
    Cnf *c = m->self;
    int shape[2] = {n, 2}, lshape[1] = {n};
    AdTensor *xs = ad_from_array(arena, AD_F32, 2, shape, x), *eps = ad_input(arena, AD_F32, 2, shape);
    for (int i = 0; i < 2 * n; i++) ad_f32(eps)[i] = (rng_u32(rng) & 1u) ? 1.0f : -1.0f;
    AdTensor *ell = ad_input(arena, AD_F32, 1, lshape);
    const double h = 1.0 / CNF_TRAIN_STEPS_K;
    for (int k = 0; k < CNF_TRAIN_STEPS_K; k++) {
        double t = k * h;
        AdTensor *q1, *q2, *q3, *q4;
        AdTensor *k1 = field_graph(arena, c, xs, t, eps, &q1);
        AdTensor *k2 = field_graph(arena, c, ad_add(arena, xs, ad_scale(arena, k1, h / 2)), t + h / 2, eps, &q2);
        AdTensor *k3 = field_graph(arena, c, ad_add(arena, xs, ad_scale(arena, k2, h / 2)), t + h / 2, eps, &q3);
        AdTensor *k4 = field_graph(arena, c, ad_add(arena, xs, ad_scale(arena, k3, h)), t + h, eps, &q4);
        //: RK4 on the augmented state, [eq:L42.4.3.cnf_augmented]
        AdTensor *dx = ad_add(arena, ad_add(arena, k1, k4), ad_scale(arena, ad_add(arena, k2, k3), 2.0));
        AdTensor *dl = ad_add(arena, ad_add(arena, q1, q4), ad_scale(arena, ad_add(arena, q2, q3), 2.0));
        xs = ad_add(arena, xs, ad_scale(arena, dx, h / 6));
        ell = ad_add(arena, ell, ad_scale(arena, dl, h / 6));
    }
    //: $-\log p = \tfrac12\lVert z\rVert^2 + \log 2\pi - \ell(1)$ (D = 2, with the constant)
    AdTensor *nll = ad_sub(arena, ad_add_const(arena, ad_scale(arena, ad_sum_axis(arena, ad_square(arena, xs), 1, 0), 0.5),
                                                log(2 * M_PI)), ell);
    return ad_mean(arena, nll);
}

static void cnf_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    double *xl = xmalloc((size_t)n * 3 * sizeof *xl);
    for (int i = 0; i < n; i++) xl[3 * i] = x[2 * i], xl[3 * i + 1] = x[2 * i + 1], xl[3 * i + 2] = 0;
    cnf_flow(m->self, xl, n, 0, 1, 40);
    for (int i = 0; i < n; i++) {
        //: [eq:L42.4.3.cnf_augmented], exact trace, with the prior's constant
        lp[i] = gauss_logpdf_iso(xl + 3 * i, (double[2]){0, 0}, 1.0, 2) + xl[3 * i + 2];
    }
    free(xl);
}

static void cnf_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    double *xl = xmalloc((size_t)n * 3 * sizeof *xl);
    for (int i = 0; i < n; i++) xl[3 * i] = rng_normal(rng), xl[3 * i + 1] = rng_normal(rng), xl[3 * i + 2] = 0;
    cnf_flow(m->self, xl, n, 1, 0, 40);
    for (int i = 0; i < n; i++) x_out[2 * i] = (float)xl[3 * i], x_out[2 * i + 1] = (float)xl[3 * i + 1];
    free(xl);
}

static void cnf_destroy(GenModel *m) {
    Cnf *c = m->self;
    nn_linear_free(&c->l1), nn_linear_free(&c->l2);
    free(c);
}

static const GenModelVT CNF_VT = {
    .name = "CNF", .family = GM_FAM_FLOW, .paradigm = GM_PAR_FLOW,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK, /* exact up to the ODE solver */
    .train_step = cnf_train_step, .sample = cnf_sample, .log_likelihood = cnf_log_likelihood,
    .destroy = cnf_destroy,
};

/* The Hutchinson log-density of one point, averaged over `reps` Rademacher vectors (RK4 40). */
static double hutchinson_loglik(const Cnf *c, const float *x, int reps, Rng *rng, double *se) {
    double *vals = xmalloc((size_t)reps * sizeof *vals);
    const int steps = 40;
    const double h = 1.0 / steps;
    for (int r = 0; r < reps; r++) {
        double e[2] = {(rng_u32(rng) & 1u) ? 1.0 : -1.0, (rng_u32(rng) & 1u) ? 1.0 : -1.0};
        double y[3] = {x[0], x[1], 0};
        /* the same RK4 as cnf_flow, with eps' J eps for the trace (J from the weights) */
        for (int k = 0; k < steps; k++) {
            double kk[4][3], yy[3];
            for (int s = 0; s < 4; s++) {
                double cs = s == 0 ? 0 : (s == 3 ? 1 : 0.5);
                for (int j = 0; j < 2; j++) yy[j] = y[j] + (s ? cs * h * kk[s - 1][j] : 0);
                const float *w1 = ad_f32(c->l1.weight), *b1 = ad_f32(c->l1.bias), *w2 = ad_f32(c->l2.weight);
                const int H = c->hidden;
                double q = 0, t = k * h + cs * h;
                for (int u = 0; u < H; u++) {
                    double hh = tanh(yy[0] * w1[u] + yy[1] * w1[H + u] + t * w1[2 * H + u] + b1[u]);
                    //: [eq:L42.4.3.cnf_hutchinson_mlp]
                    q += (e[0] * w1[u] + e[1] * w1[H + u]) * (1 - hh * hh) * (w2[2 * u] * e[0] + w2[2 * u + 1] * e[1]);
                }
                cnf_field(c, t, yy, kk[s], NULL);
                kk[s][2] = q;
            }
            for (int j = 0; j < 3; j++) y[j] += h / 6 * (kk[0][j] + 2 * kk[1][j] + 2 * kk[2][j] + kk[3][j]);
        }
        vals[r] = gauss_logpdf_iso(y, (double[2]){0, 0}, 1.0, 2) + y[2];
    }
    double m = stats_mean_se(vals, (size_t)reps, se);
    free(vals);
    return m;
}

static void section_train(const Cli *cli) {
    const int n_train = 20000, n_eval = (int)cli_scale(cli, 300, 1000, 3000);
    Rng r, init, trng, srng;
    rng_init(&r, cli->seed, 1), rng_init(&init, cli->seed, 2), rng_init(&trng, cli->seed, 3), rng_init(&srng, cli->seed, 4);
    float *train = xmalloc((size_t)n_train * 2 * sizeof *train), *test = xmalloc((size_t)n_eval * 2 * sizeof *test);
    float *test2 = xmalloc((size_t)n_eval * 2 * sizeof *test2);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, train, n_train);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test, n_eval);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test2, n_eval);

    GenModel cnf, gauss;
    Cnf *c = xcalloc(1, sizeof *c);
    cnf_init(c, 64, &init);
    gm_init(&cnf, &CNF_VT, c, 2);
    nn_linear_params(&c->l1, "l1", &cnf.player[0].params);
    nn_linear_params(&c->l2, "l2", &cnf.player[0].params);
    cnf.player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
    check_true("L42.4.3.cnf_caps", gm_check_caps(cnf.vt), "CNF vtable obeys the capability rule");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 300, 800, 6000), .batch = 128, .clip_norm = 10.0,
                         .label = "CNF (Hutchinson)", .check_id = "L42.4.3.cnf_train_finite"};
    GmTrainResult res = gm_train(&cnf, train, n_train, &cfg, &trng);
    printf("CNF: %ld parameters, Hutchinson NLL %.4f -> %.4f\n", gm_num_params(&cnf), res.first_loss[0], res.avg_loss[0]);
    gm_diag_gaussian_init(&gauss, 2);
    gauss.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig gcfg = {.steps = 1500, .batch = 512, .label = "gauss", .check_id = "L42.4.3.cnf_gauss_finite"};
    gm_train(&gauss, train, n_train, &gcfg, &trng);

    /* exact-trace likelihood: KL(p || q) against the toy's exact law */
    const int n_ll = n_eval;
    double *logp = xmalloc((size_t)n_ll * sizeof *logp), *logq = xmalloc((size_t)n_ll * sizeof *logq);
    double *logg = xmalloc((size_t)n_ll * sizeof *logg), se_q, se_g;
    Gmm law = gm_gaussians8_law(NULL);
    for (int i = 0; i < n_ll; i++) logp[i] = gmm_logpdf(&law, (double[2]){test[2 * i], test[2 * i + 1]}, NULL);
    cnf.vt->log_likelihood(&cnf, test, n_ll, logq);
    gauss.vt->log_likelihood(&gauss, test, n_ll, logg);
    double kl_q = gm_kl_paired(logp, logq, n_ll, &se_q), kl_g = gm_kl_paired(logp, logg, n_ll, &se_g);
    printf("test NLL (nats): data law %.4f, CNF %.4f, Gaussian %.4f (n=%d)\n", -stats_mean(logp, n_ll),
           -stats_mean(logq, n_ll), -stats_mean(logg, n_ll), n_ll);
    check_ge("L42.4.3.cnf_kl_nonneg", kl_q, 0.0, 4.0 * se_q, "L42.4.3.cnf_augmented",
             "KL(p||q_CNF) = %.4f by the exact-trace ODE likelihood >= 0 within 4 SE (se=%.2g, n=%d)", kl_q, se_q, n_ll);
    check_le("L42.4.3.cnf_beats_gauss", kl_q, kl_g - 0.3, 0, "L42.4.3.cnf_augmented",
             "KL(p||q_CNF) %.4f at least 0.3 nats below the Gaussian fit's %.4f", kl_q, kl_g);
    /* Hutchinson's estimate of the same log-density: unbiased for the exact one */
    {
        const int npts = 5, reps = (int)cli_scale(cli, 200, 500, 4000);
        double worst_z = 0;
        for (int i = 0; i < npts; i++) {
            double se, hq = hutchinson_loglik(c, test + 2 * i, reps, &srng, &se);
            char id[64];
            snprintf(id, sizeof id, "L42.4.3.cnf_hutchinson_loglik_%d", i);
            check_mc(id, hq, logq[i], se, 4.0, reps, "L42.4.3.hutchinson",
                     "trained CNF: log q by Hutchinson (mean over eps) vs the exact trace at test point %d", i);
            worst_z = fmax(worst_z, fabs(hq - logq[i]) / se);
        }
        printf("Hutchinson vs exact trace: worst |difference| / SE over %d points %.2f\n", npts, worst_z);
    }
    check_erratum("L42.4.3.cnf_lecture_logprob_constant", stats_mean(logq, n_ll) + log(2 * M_PI), stats_mean(logq, n_ll),
                  "B2/B8: the lecture's CNF logprob -|z|^2/2 + log_det (no -(D/2) log 2 pi) vs the normalised log q, mean over test");

    /* samples */
    float *xs = xmalloc((size_t)n_eval * 2 * sizeof *xs), *xg = xmalloc((size_t)n_eval * 2 * sizeof *xg);
    cnf.vt->sample(&cnf, n_eval, xs, &srng);
    gauss.vt->sample(&gauss, n_eval, xg, &srng);
    double mmd_null = gm_mmd2_unbiased(test2, n_eval, test, n_eval, 2, 0.5);
    double mmd_c = gm_mmd2_unbiased(xs, n_eval, test, n_eval, 2, 0.5), mmd_g = gm_mmd2_unbiased(xg, n_eval, test, n_eval, 2, 0.5);
    printf("MMD^2 (sigma 0.5, n=%d): two data samples %.5f, CNF %.5f, Gaussian fit %.5f\n", n_eval, mmd_null, mmd_c, mmd_g);
    check_le("L42.4.3.cnf_mmd", mmd_c, 0.5 * mmd_g, 0, "common.genmodel.mmd_u",
             "MMD^2(CNF samples, test) below half that of the Gaussian fit (%.4f); data-vs-data bar %.5f", mmd_g, mmd_null);

    Plot *p = plot_new_grid(1, 2, 900, 440, "CNF on 8 Gaussians (exact-trace ODE, RK4 40)");
    toy2d_plot_panel(p, 0, test, n_eval, "data (test)", PLOT_BLUE);
    toy2d_plot_panel(p, 1, xs, n_eval, "CNF samples (t: 1 -> 0)", PLOT_RED);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "cnf_samples.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    enum { G = 80 };
    float *grid = xmalloc((size_t)G * G * 2 * sizeof *grid);
    double *lg = xmalloc((size_t)G * G * sizeof *lg);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) {
            grid[2 * (iy * G + ix)] = (float)(-3 + 6.0 * (ix + 0.5) / G);
            grid[2 * (iy * G + ix) + 1] = (float)(-3 + 6.0 * (iy + 0.5) / G);
        }
    cnf.vt->log_likelihood(&cnf, grid, G * G, lg);
    for (int i = 0; i < G * G; i++) lg[i] = fmax(lg[i], -8.0);
    p = plot_new(520, 480, "CNF log-density (exact trace)");
    plot_heatmap(p, lg, G, G, -3, 3, -3, 3, "log q (clipped at -8)");
    if (plot_save(p, cli_out_path(cli, "cnf_density.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);

    free(grid), free(lg), free(xs), free(xg), free(logp), free(logq), free(logg);
    free(train), free(test), free(test2);
    gmm_free(&law);
    gm_free(&cnf), gm_free(&gauss);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.3: CNF - ODE solver orders, augmented log-det (B8), Hutchinson trace, a trained CNF", 4207, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    section_orders();
    section_linear();
    section_nonlinear(&rng);
    section_hutchinson(&cli);
    section_train(&cli);
    return check_end();
}
