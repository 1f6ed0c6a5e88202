/*: # L42 6.5 — Consistency models: pairs on one probability-flow trajectory

**Lecture 42, Part 2, section 6.5** (consistency models and distillation). A consistency function
maps every point of a probability-flow (PF) ODE trajectory to the trajectory's end at $t = 0$, so
$f(x_t, t) = f(x_{t'}, t')$ along the trajectory and $f(x, 0) = x$. Distillation trains $f_\theta$ on
pairs of *adjacent points of one trajectory*, the nearer one obtained from the farther by one
teacher ODE step. The lecture's code instead noises the same $x_0$ twice with independent
$\epsilon_1, \epsilon_2$ (erratum B23): those two points lie on different trajectories, and no
function, not even the exact one, can make them agree.

On Gaussian data $x_0\sim\mathcal N(m, s^2)$ ($m = 2$, $s = 0.5$) with the lecture's schedule
$\bar\alpha(t) = \max(1-t, 10^{-4})$ the consistency function is a closed form, so every claim is
checked exactly: the boundary condition, constancy along an RK4 PF-ODE trajectory, the loss
floor $0.4016$ of the lecture's independent-noise pairs (closed form and Monte Carlo) against
$\approx 0$ for same-trajectory pairs, and the lecture's second ("teacher") term, which pulls
$f$ toward the posterior mean instead of the trajectory's end. Then a one-step student is
trained twice, on trajectory pairs and on the lecture's pairs: the first recovers $f$ and samples
$\mathcal N(m, s^2)$ in one step, the second collapses to a point. Last, an MLP student distilled from
the exact PF-ODE of the 8-Gaussian toy: its one-step samples' MMD² against the Gaussian fit's, and
its cost against a 50-step sampler on a network of the same size.
Figure: `consistency_pairs.png` (PF-ODE trajectories with their constant $f$; independent-noise
pairs against same-trajectory pairs; the two students' one-step maps against the exact $f$).

Run: `make run L=42`, or `build/release/bin/lectures/42_unified/21_consistency_distillation`
(`--quick`: $10^5$ Monte-Carlo pairs instead of $10^6$).

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha(t)$ | `abar(t)` | scalar |
| $\beta(t) = -\tfrac{d}{dt}\log\bar\alpha$ | `vp_rate(t)` | scalar |
| $v_t = \bar\alpha s^2 + 1 - \bar\alpha$ | `marg_var(t)` | scalar |
| $\nabla_x\log p_t(x)$ | `score(x, t)` | scalar |
| $f(x, t)$ | `consistency_exact(x, t)` | scalar |
| $c_\text{skip}(t), c_\text{out}(t)$ | `c_skip`, `c_out` | scalars |
| student parameters $(w_n, b_n)_{n=1..33}$ | `theta` (`float`) | (66) |
| EMA target $\theta^-$ | `ema->shadow` | (66) |
| $t_1, t_2$ | `t1`, `t2` | scalars |
| $m, s$ | `M`, `S` | scalars |
| MLP student $F_\theta$ (2-D), teacher field | `net`, `gmm8_velocity` | $2\to128\to128\to2$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/gauss.h"
#include "common/genmodel.h"
#include "common/mathfn.h"
#include "common/nn.h"
#include "common/ode.h"
#include "common/optim.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double M = 2.0, S = 0.5;
static const double ABAR_MIN = 1e-4;

/*: ## 6.5 The forward process and its probability-flow ODE

$$ x_t = \sqrt{\bar\alpha(t)}\,x_0 + \sqrt{1-\bar\alpha(t)}\,\epsilon,\qquad \bar\alpha(t) = \max(1-t, 10^{-4}) $$ {#eq:L42.6.5.forward}

is the marginal of the VP SDE with rate $\beta(t) = -\frac{d}{dt}\log\bar\alpha = 1/(1-t)$ (for
$t < 1 - 10^{-4}$). Its PF-ODE moves the points deterministically while keeping every marginal:

$$ \frac{dx}{dt} = -\tfrac12\beta(t)\big(x + \nabla_x\log p_t(x)\big),\qquad
   \nabla_x\log p_t(x) = -\frac{x - \sqrt{\bar\alpha}\,m}{v_t},\quad v_t = \bar\alpha s^2 + 1 - \bar\alpha $$ {#eq:L42.6.5.pf_ode}

The teacher of the distillation is this ODE (here with the exact score; in practice a trained
DDPM's). Integrated with RK4, it is the independent route against which the closed form below is
tested.
*/
static double abar(double t) { return fmax(1 - t, ABAR_MIN); }
static double vp_rate(double t) { return 1 - t > ABAR_MIN ? 1 / (1 - t) : 0.0; }
static double marg_var(double t) { return abar(t) * S * S + 1 - abar(t); }
static double score(double x, double t) { return -(x - sqrt(abar(t)) * M) / marg_var(t); }

static double pf_velocity(double x, double t) {
    //: [eq:L42.6.5.pf_ode]
    return -0.5 * vp_rate(t) * (x + score(x, t));
}

/* One RK4 step of the PF-ODE from t to t + h (h < 0: toward the data). */
static double teacher_step(double x, double t, double h) {
    double k1 = pf_velocity(x, t), k2 = pf_velocity(x + h / 2 * k1, t + h / 2);
    double k3 = pf_velocity(x + h / 2 * k2, t + h / 2), k4 = pf_velocity(x + h * k3, t + h);
    return x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
}

/*: ## The consistency function in closed form

The PF-ODE is affine in $x$ and preserves the Gaussian marginals $\mathcal N(\sqrt{\bar\alpha}m, v_t)$,
so it maps each point to the same standardised position in the data distribution:

$$ f(x, t) = m + s\,\frac{x - \sqrt{\bar\alpha(t)}\,m}{\sqrt{v_t}} $$ {#eq:L42.6.5.consistency_exact}

At $t = 0$, $\bar\alpha = 1$ and $v_0 = s^2$: $f(x, 0) = x$, the boundary condition. A network
gets the same condition by construction with $f_\theta = c_\text{skip}(t)\,x + c_\text{out}(t)F_\theta(x, t)$,
$c_\text{skip} = \sigma_d^2/(\sigma_t^2 + \sigma_d^2)$, $c_\text{out} = \sigma_t\sigma_d/\sqrt{\sigma_t^2+\sigma_d^2}$ with the
noise-to-signal ratio $\sigma_t = \sqrt{(1-\bar\alpha)/\bar\alpha}$ (zero at $t = 0$) and data scale $\sigma_d$; the
lecture's network has neither the $t$ input nor this parameterisation.
*/
static double consistency_exact(double x, double t) {
    //: [eq:L42.6.5.consistency_exact]
    return M + S * (x - sqrt(abar(t)) * M) / sqrt(marg_var(t));
}

static void cm_coefficients(double t, double sigma_d, double *c_skip, double *c_out) {
    double sig = sqrt((1 - abar(t)) / abar(t));
    *c_skip = sigma_d * sigma_d / (sig * sig + sigma_d * sigma_d);
    *c_out = sig * sigma_d / sqrt(sig * sig + sigma_d * sigma_d);
}

static void section_boundary(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 5000000);
    double err = 0, err_param = 0;
    for (int i = 0; i < 1000; i++) {
        double x = 3 * rng_normal(&r), c_skip, c_out;
        err = fmax(err, fabs(consistency_exact(x, 0.0) - x));
        cm_coefficients(0.0, S, &c_skip, &c_out);
        double any_network_output = 10 * rng_normal(&r); /* F_theta(x, 0) is irrelevant at t = 0 */
        err_param = fmax(err_param, fabs(c_skip * x + c_out * any_network_output - x));
    }
    check_close("L42.6.5.cm_boundary_exact", err, 0.0, 1e-12, "L42.6.5.consistency_exact",
                "max |f(x, 0) - x| over 1000 points (exact Gaussian consistency function)");
    check_close("L42.6.5.cm_boundary_param", err_param, 0.0, 0.0, "L42.6.5.consistency_exact",
                "c_skip/c_out parameterisation: f(x, 0) = x whatever the network outputs");
    /* The spec's f(x, 1) with abar(1) = 1e-4: 2 + 0.5000188 x - 0.0100004. */
    double b0 = consistency_exact(0.0, 1.0), slope = consistency_exact(1.0, 1.0) - b0;
    check_close("L42.6.5.cm_f1_slope", slope, 0.5000188, 1e-7, "L42.6.5.consistency_exact",
                "slope of f(., 1) at abar(1) = 1e-4 (spec item 30: 0.5000188)");
    check_close("L42.6.5.cm_f1_intercept", b0, 2 - 0.0100004, 1e-7, "L42.6.5.consistency_exact",
                "intercept of f(., 1) (spec: 2 - 0.0100004): abar floor leaves it 0.01 off the OT map 2 + x/2");
}

/*: ## Self-consistency along one trajectory

Start at $t = 0.9$ from $x = \sqrt{\bar\alpha}\,m + \sqrt{v}\,z$, integrate the PF-ODE down to
$t = 0.1$ with RK4 ($h = 10^{-3}$), and evaluate $f(x_t, t)$ at every step: it must stay at its
initial value, to the accuracy of RK4 ($O(h^4)$, here below $10^{-8}$).
*/
static double trajectory_drift(double x, double t_from, double t_to, int steps, double *ts, double *xs, double *fs) {
    double h = (t_to - t_from) / steps, f0 = consistency_exact(x, t_from), drift = 0, t = t_from;
    for (int k = 0; k <= steps; k++) {
        double f = consistency_exact(x, t);
        drift = fmax(drift, fabs(f - f0));
        if (ts) ts[k] = t, xs[k] = x, fs[k] = f;
        if (k < steps) x = teacher_step(x, t, h), t = t_from + (k + 1) * h;
    }
    return drift;
}

static void section_self_consistency(void) {
    double drift = 0;
    for (int j = -3; j <= 3; j++) {
        double x = sqrt(abar(0.9)) * M + sqrt(marg_var(0.9)) * j;
        drift = fmax(drift, trajectory_drift(x, 0.9, 0.1, 800, NULL, NULL, NULL));
    }
    check_close("L42.6.5.cm_self_consistency", drift, 0.0, 1e-8, "L42.6.5.pf_ode",
                "max |f(x_t, t) - f(x_0.9, 0.9)| along 7 RK4 PF-ODE trajectories, t = 0.9 -> 0.1");
}

/*: ## The lecture's pairs versus pairs on one trajectory

The lecture draws $x_{t_i} = \sqrt{\bar\alpha_i}x_0 + \sqrt{1-\bar\alpha_i}\epsilon_i$ with independent
$\epsilon_1, \epsilon_2$ and penalises $\lVert f(x_{t_1}) - \mathrm{sg}[f(x_{t_2})]\rVert^2$. With the exact $f$,
$f(x_{t_i}) - m = \frac{s}{\sqrt{v_i}}(\sqrt{\bar\alpha_i}(x_0 - m) + \sqrt{1-\bar\alpha_i}\epsilon_i)$, so

$$ \mathbb E\big[(f(x_{t_1}) - f(x_{t_2}))^2\big] = s^2\Big[\Big(\frac{\sqrt{\bar\alpha_1}}{\sqrt{v_1}} - \frac{\sqrt{\bar\alpha_2}}{\sqrt{v_2}}\Big)^2 s^2
   + \frac{1-\bar\alpha_1}{v_1} + \frac{1-\bar\alpha_2}{v_2}\Big] $$ {#eq:L42.6.5.lecture_floor}

which is $0.4015937$ at $t_1 = 0.5$, $t_2 = 0.51$: the objective cannot reach zero, and the
minimiser it drives toward is not the consistency function. Consistency distillation takes
$x_{t_2}$ from the forward process and $x_{t_1}$ = one teacher ODE step from it; the exact $f$ then
has loss of the order of RK4's error squared. The lecture's second term compares $f(x_{t_2})$ with
a teacher's $x_0$ prediction, i.e. the posterior mean $\mathbb E[x_0\mid x_{t_2}] = m + \sqrt{\bar\alpha}s^2(x - \sqrt{\bar\alpha}m)/v$,
which differs from the trajectory's end: $\mathbb E[(f - \mathbb E[x_0\mid x])^2] = (s - \sqrt{\bar\alpha}s^2/\sqrt v)^2$.
*/
static double lecture_floor(double t1, double t2) {
    double a1 = abar(t1), a2 = abar(t2), v1 = marg_var(t1), v2 = marg_var(t2);
    double d = sqrt(a1) / sqrt(v1) - sqrt(a2) / sqrt(v2);
    //: [eq:L42.6.5.lecture_floor]
    return S * S * (d * d * S * S + (1 - a1) / v1 + (1 - a2) / v2);
}

static void section_pairs(const Cli *cli, double *fa, double *fb, double *fc, int nplot) {
    const double t1 = 0.5, t2 = 0.51;
    const long n = cli_scale(cli, 100000, 1000000, 4000000);
    double *indep = xmalloc((size_t)n * sizeof *indep), *traj = xmalloc((size_t)n * sizeof *traj);
    double *second = xmalloc((size_t)n * sizeof *second);
    for (long i = 0; i < n; i++) { /* one Philox stream per pair */
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)i);
        double x0 = M + S * rng_normal(&r), e1 = rng_normal(&r), e2 = rng_normal(&r);
        //: the lecture's pairs: [eq:L42.6.5.forward] twice, independent noise
        double x1 = sqrt(abar(t1)) * x0 + sqrt(1 - abar(t1)) * e1;
        double x2 = sqrt(abar(t2)) * x0 + sqrt(1 - abar(t2)) * e2;
        //: consistency distillation: x_{t1} is one teacher ODE step from x_{t2}
        double x1_traj = teacher_step(x2, t2, t1 - t2);
        double f1 = consistency_exact(x1, t1), f2 = consistency_exact(x2, t2), f1t = consistency_exact(x1_traj, t1);
        indep[i] = (f1 - f2) * (f1 - f2);
        traj[i] = (f1t - f2) * (f1t - f2);
        double post_mean = M + sqrt(abar(t2)) * S * S * (x2 - sqrt(abar(t2)) * M) / marg_var(t2);
        second[i] = (f2 - post_mean) * (f2 - post_mean);
        if (i < nplot) fa[i] = f2, fb[i] = f1, fc[i] = f1t;
    }
    double se_i, se_s;
    double mean_i = stats_mean_se(indep, (size_t)n, &se_i), mean_s = stats_mean_se(second, (size_t)n, &se_s);
    double max_traj = 0;
    for (long i = 0; i < n; i++) max_traj = fmax(max_traj, traj[i]);
    double floor_cf = lecture_floor(t1, t2);
    double a2 = abar(t2), second_cf = pow(S - sqrt(a2) * S * S / sqrt(marg_var(t2)), 2);
    check_close("L42.6.5.cm_lecture_floor_closed", floor_cf, 0.4015937, 1e-7, "L42.6.5.lecture_floor",
                "closed-form E|f(x_t1) - f(x_t2)|^2 for independent noise, t1 = 0.5, t2 = 0.51 (spec 0.4015937)");
    check_mc("L42.6.5.cm_lecture_floor_mc", mean_i, floor_cf, se_i, 3.0, n, "L42.6.5.lecture_floor",
             "Monte Carlo of the lecture's pair loss with the exact f equals the closed form");
    check_le("L42.6.5.cm_trajectory_pairs", max_traj, 0.0, 1e-12, "L42.6.5.pf_ode",
             "max over %ld same-trajectory pairs of |f(x_t1) - f(x_t2)|^2 (one RK4 step h = 0.01: error ~h^5)", n);
    check_mc("L42.6.5.cm_lecture_teacher_term", mean_s, second_cf, se_s, 3.0, n, "L42.6.5.consistency_exact",
             "the lecture's second term with the exact f: E|f - E[x0|x_t2]|^2 = (s - sqrt(abar) s^2/sqrt(v))^2");
    check_erratum("L42.6.5.cm_lecture_pairs", mean_i + mean_s, 0.0,
                  "B23: the lecture's loss at the exact consistency function (pair term %.4f + teacher term %.4f); "
                  "same-trajectory pairs give %.1e", mean_i, mean_s, max_traj);
    printf("lecture's speed-up claims: 45 s / 0.05 s = %.0f (the \"900x\"), 45 s / 2.3 s = %.1f (DDIM); "
           "network evaluations: 1000-step DDPM / 1-step model = 1000, 50-step DDIM / 1-step = 50\n",
           45 / 0.05, 45 / 2.3);
    free(indep), free(traj), free(second);
}


/*: ## A trained one-step student: distillation pairs against the lecture's pairs

A student $f_\theta(x, t_n) = c_\text{skip}(t_n)\,x + c_\text{out}(t_n)\big(w_n x + b_n\big)$ on the grid
$t_n = 0.99\,n/33$, $n = 0..33$ ($\sigma_d = s$; one weight and one bias per level, 66 parameters: the
exact $f$ is affine in $x$, so this family contains it, and distillation only ever evaluates
$f_\theta$ on the grid; $f_\theta(x, t_0) = x$ by the parameterisation) is trained by minimising

$$ \mathcal L(\theta) = \mathbb E\big[(f_\theta(x_{t_n}, t_n) - f_{\theta^-}(\hat x_{t_{n-1}}, t_{n-1}))^2\big] $$ {#eq:L42.6.5.cd_loss}

with $\theta^-$ the EMA of $\theta$ (decay 0.95), Adam (learning rate $10^{-2}$ with cosine decay to $10^{-4}$,
8000 steps, batches of 128). For
**consistency distillation** $\hat x_{t_{n-1}}$ is the teacher's PF-ODE solution from $x_{t_n}$ (20 RK4
sub-steps); for **the lecture's pairs** it is a fresh forward sample of the same $x_0$ with
independent noise (adapted from $t_2 = t_1 + 0.01$ to the grid). One-step sampling maps
$x_T\sim\mathcal N(\sqrt{\bar\alpha_T}m, v_T)$, $T = 0.99$, to $f_\theta(x_T, T)$. The lecture's pairs make each
level regress on the level below: the fixed point is a chain of posterior means, which shrinks
toward $m$ at every level, so one-step samples collapse (their spread is far below $s$). The
thresholds — the map within $0.02$ of the exact $f$ on the grid and the samples' mean and sd within
$0.02$ of $(m, s)$ for the distilled student, sd below $0.1$ for the lecture's — were set before
training.
*/
enum { NGRID = 33, NPARAM = 2 * NGRID };
static const double T_MAX = 0.99;

/* f_theta at grid level n (t = t_n); dw, db: derivatives with respect to w_n, b_n. */
static double student(const float *theta, double x, int n, double *dw, double *db) {
    double c_skip, c_out, t = T_MAX * n / NGRID;
    cm_coefficients(t, S, &c_skip, &c_out);
    double w = n > 0 ? theta[2 * (n - 1)] : 0.0, b = n > 0 ? theta[2 * (n - 1) + 1] : 0.0;
    if (dw) *dw = c_out * x, *db = c_out;
    return c_skip * x + c_out * (w * x + b);
}

static double teacher_solve(double x, double t_from, double t_to) {
    const int sub = 20;
    double h = (t_to - t_from) / sub;
    for (int k = 0; k < sub; k++) x = teacher_step(x, t_from + k * h, h);
    return x;
}

static void train_student(const Cli *cli, int lecture_pairs, float *theta) {
    const int steps = (int)cli_scale(cli, 8000, 8000, 20000), batch = 128;
    float grad[NPARAM];
    for (int k = 0; k < NPARAM; k++) theta[k] = 0.0f;
    ParamBlock blk = {theta, grad, NPARAM};
    Optimizer *opt = optim_new(&blk, 1, optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0));
    Ema *ema = ema_new(&blk, 1, 0.95);
    for (int it = 0; it < steps; it++) {
        double g[NPARAM] = {0};
        for (int bi = 0; bi < batch; bi++) { /* one Philox stream per training example */
            Rng r;
            rng_init(&r, cli->seed + 100 + (uint64_t)lecture_pairs, (uint64_t)it * batch + bi);
            int n = 1 + (int)rng_below(&r, NGRID);
            double tn = T_MAX * n / NGRID, tp = T_MAX * (n - 1) / NGRID;
            double x0 = M + S * rng_normal(&r), e1 = rng_normal(&r), e2 = rng_normal(&r);
            double xn = sqrt(abar(tn)) * x0 + sqrt(1 - abar(tn)) * e1;
            double xp = lecture_pairs ? sqrt(abar(tp)) * x0 + sqrt(1 - abar(tp)) * e2 : teacher_solve(xn, tn, tp);
            double dw, db;
            //: [eq:L42.6.5.cd_loss]: target from the EMA parameters, no gradient through it
            double target = student(ema->shadow, xp, n - 1, NULL, NULL);
            double resid = student(theta, xn, n, &dw, &db) - target;
            g[2 * (n - 1)] += 2 * resid * dw / batch, g[2 * (n - 1) + 1] += 2 * resid * db / batch;
        }
        for (int k = 0; k < NPARAM; k++) grad[k] = (float)g[k];
        optim_set_lr(opt, lr_cosine_warmup(1e-2, 1e-4, 0, steps, it));
        optim_step(opt);
        ema_update(ema);
    }
    optim_free(opt);
    ema_free(ema);
}

static void one_step_samples(const Cli *cli, const float *theta, double *mean, double *sd) {
    enum { NS = 20000 };
    double *y = xmalloc(NS * sizeof *y);
    for (int i = 0; i < NS; i++) {
        Rng r;
        rng_init(&r, cli->seed + 200, (uint64_t)i);
        double xt = sqrt(abar(T_MAX)) * M + sqrt(marg_var(T_MAX)) * rng_normal(&r);
        y[i] = student(theta, xt, NGRID, NULL, NULL);
    }
    double var;
    stats_mean_var(y, NS, mean, &var);
    *sd = sqrt(var);
    free(y);
}

static void section_student(const Cli *cli, float *theta_cd, float *theta_lec) {
    double m_cd, s_cd, m_lec, s_lec;
    train_student(cli, 0, theta_cd);
    train_student(cli, 1, theta_lec);
    one_step_samples(cli, theta_cd, &m_cd, &s_cd);
    one_step_samples(cli, theta_lec, &m_lec, &s_lec);
    double max_err = 0;
    for (int n = 1; n <= NGRID; n++)
        for (int j = -3; j <= 3; j++) {
            double t = T_MAX * n / NGRID, x = sqrt(abar(t)) * M + sqrt(marg_var(t)) * j;
            max_err = fmax(max_err, fabs(student(theta_cd, x, n, NULL, NULL) - consistency_exact(x, t)));
        }
    printf("one-step samples: distilled student mean %.4f sd %.4f; lecture-pairs student mean %.4f sd %.4f "
           "(data: %.1f, %.1f); max |f_theta - f| on the grid (|z| <= 3): %.4f\n",
           m_cd, s_cd, m_lec, s_lec, M, S, max_err);
    check_le("L42.6.5.cm_student_map", max_err, 0.02, 0.0, "L42.6.5.consistency_exact",
             "distilled student: max |f_theta(x, t_n) - f(x, t_n)| over the 33 levels, x = mean + z sd, |z| <= 3");
    check_close("L42.6.5.cm_student_mean", m_cd, M, 0.02, "L42.6.5.cd_loss",
                "distilled 1-step student: mean of 20000 samples f(x_T, T) vs the data mean");
    check_close("L42.6.5.cm_student_sd", s_cd, S, 0.02, "L42.6.5.cd_loss",
                "distilled 1-step student: sd of its samples vs the data sd");
    check_le("L42.6.5.cm_lecture_student_collapse", s_lec, 0.1, 0.0, "L42.6.5.lecture_floor",
             "student trained on the lecture's independent-noise pairs: sample sd collapses (data sd 0.5)");
    check_erratum("L42.6.5.cm_lecture_student_sd", s_lec, s_cd,
                  "B23: one-step sample sd of a student trained on the lecture's pairs vs on trajectory pairs");
}

/*: ## A one-step MLP student on the 8-Gaussian mixture (spec §6, 21)

The 1-D student above can hold the exact $f$; a real teacher's map is not affine. Here the
teacher is the exact PF-ODE [eq:L42.6.5.pf_ode] of the 8-Gaussian toy (component std 0.1): its
marginal at $t$ is the mixture of $\mathcal N(\sqrt{\bar\alpha}\,c_k, v_tI)$, $v_t = 0.01\bar\alpha + 1 - \bar\alpha$, with score

$$ \nabla_x\log p_t(x) = \sum_k r_k(x)\,\frac{\sqrt{\bar\alpha}\,c_k - x}{v_t},\qquad r_k\propto e^{-\lVert x - \sqrt{\bar\alpha}c_k\rVert^2/2v_t} , $$ {#eq:L42.6.5.gmm_score}

integrated by RK4 (200 steps, `common/ode`) from $T = 0.99$ to 0. The student is the
consistency function at $T$ only, $f_\theta(x) = c_\text{skip}(T)x + c_\text{out}(T)F_\theta(x)$ with $F_\theta$ an MLP
$2\to128\to128\to2$ (SiLU, $\sigma_d = \sqrt{2.01}$, the data's per-coordinate std), fitted by
regression on teacher pairs $(x_T, \Phi_{T\to0}(x_T))$ — the endpoint of consistency distillation
(all pairs on one trajectory collapse to it), not the spec's multi-level training with an EMA
target, which this budget does not reach. Checks: the one-step samples' $\mathrm{MMD}^2$
[eq:common.genmodel.mmd_u] against held-out data below half the best Gaussian fit's
($\mathcal N(0, 2.01I)$, the law's own moments); network evaluations per sample counted, 50 for an
Euler-50 sampler on a network of identical size and 1 for the student. Their CPU times are
printed on stderr (about 50 : 1; stdout stays deterministic), not checked: a machine shared with
other jobs can stretch either run, and the count says the same thing exactly.
*/
typedef struct {
    double c[16];
    long nfe;
} Gmm8;

static void gmm8_velocity(double t, const double *y, double *dydt, int n, void *ctx) {
    Gmm8 *g = ctx;
    const double ab = abar(t), sa = sqrt(ab), v = 0.01 * ab + 1 - ab, beta = vp_rate(t);
    g->nfe++;
    for (int i = 0; i < n / 2; i++) {
        const double *x = y + 2 * i;
        double l[8], s0 = 0, s1 = 0;
        for (int k = 0; k < 8; k++) l[k] = -(pow(x[0] - sa * g->c[2 * k], 2) + pow(x[1] - sa * g->c[2 * k + 1], 2)) / (2 * v);
        const double lse = logsumexp(l, 8);
        for (int k = 0; k < 8; k++) {
            const double r = exp(l[k] - lse);
            //: [eq:L42.6.5.gmm_score]
            s0 += r * (sa * g->c[2 * k] - x[0]) / v, s1 += r * (sa * g->c[2 * k + 1] - x[1]) / v;
        }
        //: [eq:L42.6.5.pf_ode] in 2-D
        dydt[2 * i] = -0.5 * beta * (x[0] + s0), dydt[2 * i + 1] = -0.5 * beta * (x[1] + s1);
    }
}

static long student_rows; /* rows through the student's network (the evaluation counter) */

/* the student (or, for the timing, any pass) on n points: f = c_skip x + c_out F(x) */
static void mlp_student(AdArena *arena, const NnMlp *net, const float *x, int n, float *out) {
    double c_skip, c_out;
    student_rows += n;
    cm_coefficients(T_MAX, sqrt(2.01), &c_skip, &c_out);
    ad_arena_reset(arena);
    int shape[2] = {n, 2};
    AdTensor *xt = ad_input(arena, AD_F32, 2, shape);
    memcpy(ad_f32(xt), x, (size_t)2 * n * sizeof(float));
    const float *F = ad_f32(nn_mlp_forward(arena, net, xt));
    for (int i = 0; i < 2 * n; i++) out[i] = (float)(c_skip * x[i] + c_out * F[i]);
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void section_mlp_student(const Cli *cli) {
    const int np = (int)cli_scale(cli, 4000, 16000, 64000), ne = (int)cli_scale(cli, 500, 1000, 3000), B = 256;
    const int steps = (int)cli_scale(cli, 300, 3000, 10000);
    Gmm8 g = {.nfe = 0};
    Gmm law = gm_gaussians8_law(g.c);
    gmm_free(&law);
    /* teacher pairs (x_T, Phi(x_T)), x_T from the exact marginal at T, and held-out starts */
    float *xT = xmalloc((size_t)2 * (np + ne) * sizeof *xT), *x0 = xmalloc((size_t)2 * np * sizeof *x0);
    double *y = xmalloc((size_t)2 * (np + ne) * sizeof *y);
    Rng r;
    rng_init(&r, cli->seed, 700);
    const double ab = abar(T_MAX), vT = 0.01 * ab + 1 - ab;
    for (int i = 0; i < np + ne; i++) {
        const int k = (int)rng_below(&r, 8);
        for (int c = 0; c < 2; c++) y[2 * i + c] = sqrt(ab) * g.c[2 * k + c] + sqrt(vT) * rng_normal(&r), xT[2 * i + c] = (float)y[2 * i + c];
    }
    //: the teacher: RK4 of [eq:L42.6.5.pf_ode] from $T$ to 0
    ode_solve_fixed(ODE_RK4, gmm8_velocity, &g, T_MAX, 0.0, 200, y, 2 * np);
    for (int i = 0; i < 2 * np; i++) x0[i] = (float)y[i];
    NnMlp net;
    const int widths[4] = {2, 128, 128, 2};
    nn_mlp_init(&net, 3, widths, NN_ACT_SILU, AD_F32, &r);
    NnParams prm;
    nn_params_init(&prm);
    nn_mlp_params(&net, "student", &prm);
    ParamBlock blk[8];
    const int nb = nn_params_blocks(&prm, blk, 8);
    Optimizer *adam = optim_new(blk, nb, optim_adam(2e-3, 0.9, 0.999, 1e-8, 0.0));
    AdArena *arena = ad_arena_new(1 << 22);
    double c_skip, c_out;
    cm_coefficients(T_MAX, sqrt(2.01), &c_skip, &c_out);
    int shape[2] = {B, 2};
    for (int it = 0; it < steps; it++) {
        ad_arena_reset(arena);
        AdTensor *xb = ad_input(arena, AD_F32, 2, shape), *tb = ad_input(arena, AD_F32, 2, shape);
        for (int i = 0; i < B; i++) {
            const int j = (int)rng_below(&r, (uint32_t)np);
            for (int c = 0; c < 2; c++)
                //: target of $F$: $(\Phi(x_T) - c_\text{skip}x_T)/c_\text{out}$
                ad_f32(xb)[2 * i + c] = xT[2 * j + c], ad_f32(tb)[2 * i + c] = (float)((x0[2 * j + c] - c_skip * xT[2 * j + c]) / c_out);
        }
        nn_params_zero_grad(&prm);
        ad_backward(arena, ad_mean(arena, ad_square(arena, ad_sub(arena, nn_mlp_forward(arena, &net, xb), tb))));
        optim_set_lr(adam, lr_cosine_warmup(2e-3, 1e-5, 0, steps, it));
        optim_step(adam);
    }
    /* one-step samples from held-out x_T; data and the Gaussian fit */
    float *s = xmalloc((size_t)2 * ne * sizeof *s), *data = xmalloc((size_t)2 * ne * sizeof *data), *gs = xmalloc((size_t)2 * ne * sizeof *gs);
    float *tch = xmalloc((size_t)2 * ne * sizeof *tch);
    mlp_student(arena, &net, xT + (size_t)2 * np, ne, s);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, data, ne);
    for (int i = 0; i < 2 * ne; i++) gs[i] = (float)(sqrt(2.01) * rng_normal(&r));
    ode_solve_fixed(ODE_RK4, gmm8_velocity, &g, T_MAX, 0.0, 200, y + (size_t)2 * np, 2 * ne);
    for (int i = 0; i < 2 * ne; i++) tch[i] = (float)y[(size_t)2 * np + i];
    const double m_s = gm_mmd2_unbiased(s, ne, data, ne, 2, 0.5), m_g = gm_mmd2_unbiased(gs, ne, data, ne, 2, 0.5),
                 m_t = gm_mmd2_unbiased(tch, ne, data, ne, 2, 0.5);
    printf("8 Gaussians, MMD^2 (sigma 0.5, n = %d): one-step MLP student %.5f, teacher RK4-200 %.5f, Gaussian fit %.5f "
           "(%d regression steps on %d teacher pairs)\n", ne, m_s, m_t, m_g, steps, np);
    check_le("L42.6.5.mlp_student_mmd", m_s, 0.5 * m_g, 0, "common.genmodel.mmd_u",
             "one-step MLP student: MMD^2 %.5f below half the Gaussian fit's (%.5f)", m_s, m_g);
    /* cost: an Euler-50 pass through a network of the same size vs the one-step student */
    float *tmp = xmalloc((size_t)2 * ne * sizeof *tmp);
    student_rows = 0;
    double t0 = cpu_now();
    memcpy(tmp, xT + (size_t)2 * np, (size_t)2 * ne * sizeof *tmp);
    for (int k = 0; k < 50; k++) {
        mlp_student(arena, &net, tmp, ne, s);
        //: an Euler step $x \leftarrow x + h\,F(x)$ on a field of the student's size (cost only)
        for (int i = 0; i < 2 * ne; i++) tmp[i] += (float)(-T_MAX / 50) * s[i];
    }
    const double t50 = cpu_now() - t0, nfe50 = (double)student_rows / ne;
    double t1 = INFINITY;
    student_rows = 0;
    for (int rep = 0; rep < 5; rep++) {
        t0 = cpu_now();
        mlp_student(arena, &net, xT + (size_t)2 * np, ne, s);
        t1 = fmin(t1, cpu_now() - t0);
    }
    const double nfe1 = (double)student_rows / (5.0 * ne);
    check_close("L42.6.5.mlp_student_nfe", nfe50 / nfe1, 50, 0, NULL,
                "network evaluations per sample (rows counted): 50-step sampler %g / one-step student %g", nfe50, nfe1);
    printf("teacher: %ld calls of the batched exact field (two RK4-200 solves, training pairs and held-out: 800 per sample)\n", g.nfe);
    /* the times themselves are a demonstration on stderr, not a check: a machine shared with
       other jobs can stretch either run (the cost claim is checked by the count above) */
    fprintf(stderr, "CPU time of %d samples: 50-step %.4f s, one-step %.5f s (ratio %.1f)\n", ne, t50, t1, t50 / t1);
    free(tmp), free(s), free(data), free(gs), free(tch), free(xT), free(x0), free(y);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&prm);
    nn_mlp_free(&net);
}

/*: ## Figure */
static void section_figure(const Cli *cli, const double *fa, const double *fb, const double *fc, int nplot,
                           const float *theta_cd, const float *theta_lec) {
    enum { STEPS = 900 };
    static double ts[STEPS + 1], xs[STEPS + 1], fs[STEPS + 1];
    Plot *p = plot_new_grid(1, 3, 1900, 540, "6.5: consistency along PF-ODE trajectories, and the two kinds of pairs");
    plot_panel(p, 0);
    plot_title(p, "PF-ODE paths x_t (solid) and f(x_t, t) (dashed), t: 0.9 -> 0");
    for (int j = -2; j <= 2; j++) {
        double x = sqrt(abar(0.9)) * M + sqrt(marg_var(0.9)) * j;
        trajectory_drift(x, 0.9, 0.0, STEPS, ts, xs, fs);
        PlotSeries *a = plot_line(p, ts, xs, STEPS + 1, NULL);
        PlotSeries *b = plot_line(p, ts, fs, STEPS + 1, NULL);
        plot_series_dash(b, PLOT_DASHED);
        plot_series_color(a, (PlotColor)(j + 2)), plot_series_color(b, (PlotColor)(j + 2));
    }
    plot_xlabel(p, "t");
    plot_panel(p, 1);
    plot_title(p, "f(x_t1, 0.5) against f(x_t2, 0.51)");
    plot_scatter(p, fa, fb, nplot, "lecture: independent noise");
    plot_series_color(plot_scatter(p, fa, fc, nplot, "one teacher ODE step"), PLOT_RED);
    plot_xlabel(p, "f(x_t2, t2)");
    plot_ylabel(p, "f(x_t1, t1)");
    plot_panel(p, 2);
    plot_title(p, "one-step maps x_T -> f(x_T, T), T = 0.99");
    {
        enum { NM = 81 };
        double xm[NM], fe[NM], fcd[NM], fl[NM];
        for (int i = 0; i < NM; i++) {
            xm[i] = -3 + 6.0 * i / (NM - 1);
            fe[i] = consistency_exact(xm[i], T_MAX);
            fcd[i] = student(theta_cd, xm[i], NGRID, NULL, NULL), fl[i] = student(theta_lec, xm[i], NGRID, NULL, NULL);
        }
        plot_series_width(plot_line(p, xm, fe, NM, "exact f"), 4);
        plot_series_dash(plot_line(p, xm, fcd, NM, "student, trajectory pairs"), PLOT_DASHED);
        plot_line(p, xm, fl, NM, "student, lecture's pairs");
    }
    plot_xlabel(p, "x_T");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "consistency_pairs.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.5: consistency function, PF-ODE trajectories, the lecture's independent-noise pairs", 4221, NULL);
    enum { NPLOT = 400 };
    double fa[NPLOT], fb[NPLOT], fc[NPLOT];
    section_boundary(cli.seed);
    section_self_consistency();
    section_pairs(&cli, fa, fb, fc, NPLOT);
    float theta_cd[NPARAM], theta_lec[NPARAM];
    section_student(&cli, theta_cd, theta_lec);
    section_mlp_student(&cli);
    section_figure(&cli, fa, fb, fc, NPLOT, theta_cd, theta_lec);
    return check_end();
}
