/*: # L36 3.5 — Three things a network can predict: $\epsilon$, $x_0$, $v$

**Lecture 36, §1.1.3** (the table of the three prediction types and their means) and
**§3.5.1–3.5.3** ($\epsilon$-, $x_0$- and $v$-prediction, their losses and conversions).

What you will see: the lecture's conversion test at $\bar\alpha = 0.5$ against the spec's
numbers and its round trips; the conversions over $\bar\alpha\in[10^{-4}, 0.9999]$ with the
error amplification each one has; the three forms of the reverse mean agreeing when fed the
true targets; the exact weights that turn $\lVert\tilde\mu - \mu_\theta\rVert^2$ into each
target's squared error, for arbitrary (wrong) predictions; $v$ as the derivative of $x_t$ along
the angle $\phi_t$, and the rotation that preserves norms; the variance of the $v$ target by
Monte Carlo (uniform in $t$ only for unit-variance data: ERRATUM, spec E17); and what happens
at a zero-terminal-SNR $t = T$, where $x_0$ from $\epsilon$ divides by zero and $x_0$ from $v$ does not.
Figure `target_scales.png`: the variance of each target and the amplification of each
conversion over $t$.

Run: `build/release/bin/lectures/36_ddpm/06_prediction_targets [--quick | --full] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| $\bar\alpha$ (one value) | `ab` | scalar |
| $x_0, \epsilon, v, x_t$ | `x0`, `eps`, `v`, `xt` | (2) |
| $\epsilon_\theta, x_\theta, v_\theta$ (predictions) | `eps_hat`, `x0_hat`, `v_hat` | (2) |
| $\phi_t = \arctan\sqrt{(1-\bar\alpha_t)/\bar\alpha_t}$ | `phi` | scalar |
| $\tilde\mu_t$, $\mu_\theta$ | `mu_tilde`, `mu_eps`, `mu_x0`, `mu_v` | (2) |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 2, T = 1000 };

static double max_abs(const double *a, const double *b) {
    return fmax(fabs(a[0] - b[0]), fabs(a[1] - b[1]));
}
static double sq_norm_diff(const double *a, const double *b) {
    return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]);
}

/*: ## 3.5.3 The targets and their conversions

$$ x_t = \sqrt{\bar\alpha}\,x_0 + \sqrt{1-\bar\alpha}\,\epsilon,\qquad v = \sqrt{\bar\alpha}\,\epsilon - \sqrt{1-\bar\alpha}\,x_0 \quad\text{(Salimans \& Ho 2022)}, $$ {#eq:L36.3.5.3.v}

$$ x_0 = \frac{x_t - \sqrt{1-\bar\alpha}\,\epsilon}{\sqrt{\bar\alpha}},\quad
   \epsilon = \frac{x_t - \sqrt{\bar\alpha}\,x_0}{\sqrt{1-\bar\alpha}},\quad
   x_0 = \sqrt{\bar\alpha}\,x_t - \sqrt{1-\bar\alpha}\,v,\quad
   \epsilon = \sqrt{1-\bar\alpha}\,x_t + \sqrt{\bar\alpha}\,v . $$ {#eq:L36.3.5.3.conversions}

The lecture gives the first two and the definition of $v$; the last two (from $v$) it leaves
out, though $v$-prediction needs them to form a mean (spec E7). ($v$-prediction comes from Salimans & Ho 2022,
Progressive Distillation; the lecture's footnote for it points to Lin et al. 2023, spec E18.) The lecture's test:
$x_0 = (1, 2)$, $\bar\alpha = 0.5$, and here $\epsilon = (0.3, -1.2)$ fixed (the lecture draws it).
A division by $\sqrt{\bar\alpha}$ amplifies rounding by $1/\sqrt{\bar\alpha}$; the pair
$(x_t, v)$ is a rotation of $(x_0, \epsilon)$ and amplifies nothing.
*/
static void section_3_5_3_conversions(void) {
    const double ab = 0.5, x0[D] = {1.0, 2.0}, eps[D] = {0.3, -1.2};
    const double ref_xt[D] = {0.9192388155, 0.5656854249}, ref_v[D] = {-0.4949747468, -2.2627416998};
    double xt[D], v[D], back_x0[D], back_eps[D], vx0[D], veps[D];
    for (int a = 0; a < D; a++) xt[a] = sqrt(ab) * x0[a] + sqrt(1.0 - ab) * eps[a];
    //: [eq:L36.3.5.3.v]
    diffusion_v_from_x0_eps(ab, x0, eps, v, D);
    //: [eq:L36.3.5.3.conversions]
    diffusion_x0_from_eps(ab, xt, eps, back_x0, D);
    diffusion_eps_from_x0(ab, xt, x0, back_eps, D);
    diffusion_x0_from_v(ab, xt, v, vx0, D);
    diffusion_eps_from_v(ab, xt, v, veps, D);
    check_close("L36.3.5.3.xt_reference", max_abs(xt, ref_xt), 0.0, 1e-10, "L36.3.5.3.v",
                "x_t at abar = 0.5, x0 = (1,2), eps = (0.3,-1.2) vs the spec's (0.9192388155, 0.5656854249)");
    check_close("L36.3.5.3.v_reference", max_abs(v, ref_v), 0.0, 1e-10, "L36.3.5.3.v",
                "v at the same point vs the spec's (-0.4949747468, -2.2627416998)");
    /* a handful of roundings on numbers of size ~2: 8 ulp(2) */
    const double tol = 8.0 * DBL_EPSILON * 2.0;
    check_close("L36.3.5.3.roundtrip_x0_from_eps", max_abs(back_x0, x0), 0.0, tol, "L36.3.5.3.conversions",
                "x0 recovered from (x_t, eps)");
    check_close("L36.3.5.3.roundtrip_eps_from_x0", max_abs(back_eps, eps), 0.0, tol, "L36.3.5.3.conversions",
                "eps recovered from (x_t, x0)");
    check_close("L36.3.5.3.roundtrip_v", fmax(max_abs(vx0, x0), max_abs(veps, eps)), 0.0, tol,
                "L36.3.5.3.conversions", "x0 and eps recovered from (x_t, v)");
    printf("phi(0.5) = atan(1) = %.10f = pi/4 (definition, shown)\n", atan(sqrt((1.0 - ab) / ab)));

    /* the sweep: error x sqrt(abar) stays at rounding level for x0-from-eps; v conversions at rounding level */
    const double abars[5] = {1e-4, 1e-2, 0.5, 0.99, 0.9999};
    double worst_eps = 0.0, worst_v = 0.0, worst_raw = 0.0;
    for (int k = 0; k < 5; k++) {
        double xtk[D], vk[D], b0[D], b1[D];
        diffusion_v_from_x0_eps(abars[k], x0, eps, vk, D);
        for (int a = 0; a < D; a++) xtk[a] = sqrt(abars[k]) * x0[a] + sqrt(1.0 - abars[k]) * eps[a];
        diffusion_x0_from_eps(abars[k], xtk, eps, b0, D);
        worst_raw = fmax(worst_raw, max_abs(b0, x0));
        worst_eps = fmax(worst_eps, max_abs(b0, x0) * sqrt(abars[k]));
        diffusion_x0_from_v(abars[k], xtk, vk, b1, D);
        worst_v = fmax(worst_v, max_abs(b1, x0));
    }
    check_close("L36.3.5.3.sweep_x0_from_eps", worst_eps, 0.0, tol, "L36.3.5.3.conversions",
                "max over abar in {1e-4,..,0.9999} of |x0 error| x sqrt(abar): amplification 1/sqrt(abar) only "
                "(raw error up to %.2g)", worst_raw);
    check_close("L36.3.5.3.sweep_x0_from_v", worst_v, 0.0, tol, "L36.3.5.3.conversions",
                "max over the same abar of |x0 error| through v: no amplification");
}

/*: ## 1.1.3 and 3.5.1–3.5.2 The mean in three forms, and the weights of the losses

The reverse model uses the posterior mean of program 04 with the unknown $x_0$ (or $\epsilon$)
replaced by a prediction:

$$ \mu^\epsilon_\theta = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta\Big),\qquad
   \mu^{x_0}_\theta = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_\theta + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t,\qquad
   \mu^{v}_\theta = \mu^{x_0}_\theta\big|_{x_\theta = \sqrt{\bar\alpha_t}x_t - \sqrt{1-\bar\alpha_t}v_\theta} . $$ {#eq:L36.3.5.means}

Fed the true targets, all three return $\tilde\mu_t$. Fed wrong ones, the error of the mean is
the target's error times a fixed factor, which is what makes the KL term $L_{t-1}$ a weighted
squared error of any of them:

$$ \lVert\tilde\mu_t - \mu^\epsilon_\theta\rVert^2 = \frac{\beta_t^2}{\alpha_t(1-\bar\alpha_t)}\lVert\epsilon - \epsilon_\theta\rVert^2,\quad
   \lVert\tilde\mu_t - \mu^{x_0}_\theta\rVert^2 = \frac{\bar\alpha_{t-1}\beta_t^2}{(1-\bar\alpha_t)^2}\lVert x_0 - x_\theta\rVert^2,\quad
   \lVert\tilde\mu_t - \mu^{v}_\theta\rVert^2 = \frac{\bar\alpha_{t-1}\beta_t^2}{1-\bar\alpha_t}\lVert v - v_\theta\rVert^2 . $$ {#eq:L36.3.5.weights}

(The lecture gives the $\epsilon$ weight; for $x_0$ it writes only "$\propto$"; the $v$ weight
follows from $x_0 - x_\theta = \sqrt{1-\bar\alpha_t}(v_\theta - v)$.) Here $\tilde\mu_t$ is computed
in the $x_0$-form from the true $x_0$ — an independent route for the $\epsilon$ and $v$ identities.
*/
static void section_means_and_weights(const Cli *cli, const DiffusionSchedule *s) {
    const int ts[4] = {2, 10, 500, 1000};
    const double x0[D] = {1.0, 2.0};
    double worst_agree = 0.0, worst_w[3] = {0, 0, 0};
    for (int k = 0; k < 4; k++) {
        const int t = ts[k];
        const double ab = s->alpha_bar[t], ab_prev = s->alpha_bar[t - 1], beta = s->beta[t];
        Rng r;
        rng_init(&r, cli->seed, (uint64_t)k);
        double eps[D], xt[D], v[D], mu_tilde[D], mu_eps[D], mu_v[D], x0_from_v[D];
        rng_normal_fill(&r, eps, D);
        diffusion_q_sample(s, t, x0, eps, xt, D);
        diffusion_v_from_x0_eps(ab, x0, eps, v, D);
        //: the three forms of [eq:L36.3.5.means] with the true targets
        diffusion_posterior_mean(s, t, x0, xt, mu_tilde, D);
        diffusion_mean_from_eps(s, t, xt, eps, mu_eps, D);
        diffusion_x0_from_v(ab, xt, v, x0_from_v, D);
        diffusion_posterior_mean(s, t, x0_from_v, xt, mu_v, D);
        worst_agree = fmax(worst_agree, fmax(max_abs(mu_tilde, mu_eps), max_abs(mu_tilde, mu_v)));

        /* arbitrary, wrong predictions */
        double eps_hat[D], x0_hat[D], v_hat[D], m_eps[D], m_x0[D], m_v[D], x0_of_vhat[D];
        rng_normal_fill(&r, eps_hat, D);
        rng_normal_fill(&r, x0_hat, D);
        rng_normal_fill(&r, v_hat, D);
        diffusion_mean_from_eps(s, t, xt, eps_hat, m_eps, D);
        diffusion_posterior_mean(s, t, x0_hat, xt, m_x0, D);
        diffusion_x0_from_v(ab, xt, v_hat, x0_of_vhat, D);
        diffusion_posterior_mean(s, t, x0_of_vhat, xt, m_v, D);
        //: [eq:L36.3.5.weights]
        const double w_eps = beta * beta / (s->alpha[t] * (1.0 - ab));
        const double w_x0 = ab_prev * beta * beta / ((1.0 - ab) * (1.0 - ab));
        const double w_v = ab_prev * beta * beta / (1.0 - ab);
        worst_w[0] = fmax(worst_w[0], fabs(sq_norm_diff(mu_tilde, m_eps) / (w_eps * sq_norm_diff(eps, eps_hat)) - 1));
        worst_w[1] = fmax(worst_w[1], fabs(sq_norm_diff(mu_tilde, m_x0) / (w_x0 * sq_norm_diff(x0, x0_hat)) - 1));
        worst_w[2] = fmax(worst_w[2], fabs(sq_norm_diff(mu_tilde, m_v) / (w_v * sq_norm_diff(v, v_hat)) - 1));
    }
    check_close("L36.3.5.three_means_agree", worst_agree, 0.0, 1e-13, "L36.3.5.means",
                "eps-, x0- and v-form means with the true targets = mu~ (x0-form), t = 2, 10, 500, 1000");
    /* 1 - abar_2 ~ 3e-4 carries a relative rounding error up to DBL_EPSILON/(1 - abar_2); the
       identities below are accurate to a small multiple of it */
    const double wtol = 16.0 * DBL_EPSILON / (1.0 - s->alpha_bar[2]);
    check_close("L36.3.5.1.eps_weight_identity", worst_w[0], 0.0, wtol, "L36.3.5.weights",
                "|mu~ - mu_eps|^2 / (beta^2/(alpha(1-abar)) |eps - eps_hat|^2) - 1, random eps_hat, 4 t's");
    check_close("L36.3.5.2.x0_weight_identity", worst_w[1], 0.0, wtol, "L36.3.5.weights",
                "|mu~ - mu_x0|^2 / (abar_{t-1} beta^2/(1-abar)^2 |x0 - x0_hat|^2) - 1, random x0_hat");
    check_close("L36.3.5.3.v_weight_identity", worst_w[2], 0.0, wtol, "L36.3.5.weights",
                "|mu~ - mu_v|^2 / (abar_{t-1} beta^2/(1-abar) |v - v_hat|^2) - 1, random v_hat");
}

/*: ## 3.5.3 $v$ is a velocity along a circle

With $\phi_t = \arctan\sqrt{(1-\bar\alpha_t)/\bar\alpha_t}$, $\cos\phi_t = \sqrt{\bar\alpha_t}$ and
$\sin\phi_t = \sqrt{1-\bar\alpha_t}$, so

$$ x_t = \cos\phi_t\,x_0 + \sin\phi_t\,\epsilon,\qquad v = \frac{dx_t}{d\phi} = \cos\phi_t\,\epsilon - \sin\phi_t\,x_0,\qquad
   \lVert x_t\rVert^2 + \lVert v\rVert^2 = \lVert x_0\rVert^2 + \lVert\epsilon\rVert^2 . $$ {#eq:L36.3.5.3.angle}

Checked with a central difference ($h = 10^{-5}$: truncation $\sim h^2/6 \approx 2\cdot10^{-11}$,
rounding $\sim 10^{-16}/h = 10^{-11}$) at four $t$.
*/
static void section_3_5_3_angle(const Cli *cli, const DiffusionSchedule *s) {
    const int ts[4] = {1, 200, 500, 999};
    const double x0[D] = {1.0, 2.0}, h = 1e-5;
    double worst_fd = 0.0, worst_norm = 0.0;
    Rng r;
    rng_init(&r, cli->seed + 1, 0);
    for (int k = 0; k < 4; k++) {
        const double ab = s->alpha_bar[ts[k]];
        double eps[D], v[D];
        rng_normal_fill(&r, eps, D);
        diffusion_v_from_x0_eps(ab, x0, eps, v, D);
        const double phi = atan(sqrt((1.0 - ab) / ab));
        double n_in = 0.0, n_out = 0.0;
        for (int a = 0; a < D; a++) {
            //: $dx_t/d\phi$ by a central difference, [eq:L36.3.5.3.angle]
            const double fd = ((cos(phi + h) * x0[a] + sin(phi + h) * eps[a]) -
                               (cos(phi - h) * x0[a] + sin(phi - h) * eps[a])) / (2.0 * h);
            worst_fd = fmax(worst_fd, fabs(fd - v[a]));
            const double xt = sqrt(ab) * x0[a] + sqrt(1.0 - ab) * eps[a];
            n_in += x0[a] * x0[a] + eps[a] * eps[a], n_out += xt * xt + v[a] * v[a];
        }
        worst_norm = fmax(worst_norm, fabs(n_out - n_in));
    }
    check_close("L36.3.5.3.v_is_dxdphi", worst_fd, 0.0, 1e-9, "L36.3.5.3.angle",
                "max |central difference of x_t(phi) - v| at t = 1, 200, 500, 999");
    check_close("L36.3.5.3.norm_preservation", worst_norm, 0.0, 1e-13, "L36.3.5.3.angle",
                "max | |x_t|^2 + |v|^2 - |x0|^2 - |eps|^2 | at the same t");
}

/*: ## 3.5.3 "The variance of $v$ is the same at every $t$"

$\epsilon$ is independent of $x_0$, so $\mathrm{Var}(v) = \bar\alpha + (1-\bar\alpha)\,\mathrm{Var}(x_0)$:

$$ \mathrm{Var}(v) = \bar\alpha_t + (1-\bar\alpha_t)\,\mathrm{Var}(x_0). $$ {#eq:L36.3.5.3.var_v}

It is 1 at every $t$ only when the data have unit variance (spec E17). Checked by Monte Carlo
for $x_0\sim\mathcal N(1, 1)$ and $x_0\sim\mathcal N(1, 0.25)$ at three values of $\bar\alpha$
(standard error of a sample variance $\approx\mathrm{var}\sqrt{2/(n-1)}$, Gaussian samples).
*/
static void section_3_5_3_var_v(const Cli *cli) {
    const long n = cli_scale(cli, 20000, 100000, 1000000);
    const double abars[3] = {0.01, 0.5, 0.99}, data_var[2] = {1.0, 0.25};
    double *v = xmalloc((size_t)n * sizeof(double));
    double var_half_quarter = NAN;
    for (int dv = 0; dv < 2; dv++)
        for (int k = 0; k < 3; k++) {
            for (long i = 0; i < n; i++) {
                Rng r;
                rng_init(&r, cli->seed + 2, (uint64_t)i);
                const double x0 = 1.0 + sqrt(data_var[dv]) * rng_normal(&r), eps = rng_normal(&r);
                diffusion_v_from_x0_eps(abars[k], &x0, &eps, &v[i], 1);
            }
            const double var = stats_var(v, (size_t)n);
            //: [eq:L36.3.5.3.var_v]
            const double expect = abars[k] + (1.0 - abars[k]) * data_var[dv];
            char id[64];
            snprintf(id, sizeof id, "L36.3.5.3.var_v_%s_abar_%s", dv == 0 ? "unitvar" : "var025",
                     k == 0 ? "001" : k == 1 ? "050" : "099");
            check_mc(id, var, expect, var * sqrt(2.0 / (double)(n - 1)), 4.0, n, "L36.3.5.3.var_v",
                     "sample Var(v), Var(x0) = %g, abar = %g", data_var[dv], abars[k]);
            if (dv == 1 && k == 1) var_half_quarter = expect;
        }
    check_erratum("L36.3.5.3.v_uniform_variance", 1.0, var_half_quarter,
                  "3.5.3 says v has the same variance at every t (E17); with Var(x0) = 0.25 at abar = 0.5 "
                  "Var(v) = abar + (1-abar) 0.25 (the sample variance above agrees)");
    free(v);
}

/*: ## At a zero-terminal-SNR $t = T$

With Lin et al.'s rescaled linear schedule, $\bar\alpha_T = 0$ and $x_T = \epsilon$ carries no
information about $x_0$. Recovering $x_0$ from an $\epsilon$ prediction divides by
$\sqrt{\bar\alpha_T} = 0$: a prediction off by $10^{-3}$ gives an infinite $x_0$. From a $v$
prediction, $x_0 = \sqrt{\bar\alpha_T}\,x_T - \sqrt{1-\bar\alpha_T}\,v = -v$: the same error stays $10^{-3}$.
This is why zero terminal SNR comes with $v$-prediction (a point the lecture's §3.2.3 omits; E11).
*/
static void section_zero_terminal_edge(const DiffusionSchedule *s) {
    DiffusionSchedule zt = diffusion_schedule_copy(s);
    diffusion_schedule_rescale_zt_sqrt(&zt);
    const double ab = zt.alpha_bar[T], x0[D] = {1.0, 2.0}, eps[D] = {0.3, -1.2};
    double xt[D], v[D], eps_hat[D], v_hat[D], from_eps[D], from_v[D];
    diffusion_q_sample(&zt, T, x0, eps, xt, D);
    diffusion_v_from_x0_eps(ab, x0, eps, v, D);
    for (int a = 0; a < D; a++) eps_hat[a] = eps[a] + 1e-3, v_hat[a] = v[a] + 1e-3;
    diffusion_x0_from_eps(ab, xt, eps_hat, from_eps, D);
    diffusion_x0_from_v(ab, xt, v_hat, from_v, D);
    printf("ZT-SNR t = T: x0 from eps_hat = (%g, %g); x0 from v_hat = (%g, %g) = -v_hat\n", from_eps[0],
           from_eps[1], from_v[0], from_v[1]);
    check_true("L36.3.5.3.zt_x0_from_eps_nonfinite", !isfinite(from_eps[0]) && !isfinite(from_eps[1]),
               "ZT-SNR, t = T: x0 from an eps prediction off by 1e-3 is not finite (division by sqrt(abar_T) = 0)");
    check_close("L36.3.5.3.zt_x0_from_v", max_abs(from_v, (double[D]){-v_hat[0], -v_hat[1]}), 0.0, 0.0,
                "L36.3.5.3.conversions", "ZT-SNR, t = T: x0 from a v prediction is exactly -v_hat (finite)");
    diffusion_schedule_free(&zt);
}

static void figure(const Cli *cli, const DiffusionSchedule *s) {
    static double tt[T], var_v025[T], one[T], quarter[T], amp_eps[T], amp_x0[T];
    for (int t = 1; t <= T; t++) {
        const double ab = s->alpha_bar[t];
        tt[t - 1] = t, one[t - 1] = 1.0, quarter[t - 1] = 0.25;
        var_v025[t - 1] = ab + (1 - ab) * 0.25;
        amp_eps[t - 1] = 1.0 / sqrt(ab), amp_x0[t - 1] = 1.0 / sqrt(1 - ab);
    }
    Plot *p = plot_new_grid(1, 2, 1300, 500, "3.5: prediction targets, linear schedule T = 1000");
    plot_panel(p, 0);
    plot_title(p, "variance of each target");
    plot_line(p, tt, one, T, "eps (and v when Var(x0) = 1)");
    plot_line(p, tt, quarter, T, "x0, Var(x0) = 0.25");
    plot_line(p, tt, var_v025, T, "v, Var(x0) = 0.25 (E17)");
    plot_xlabel(p, "t"), plot_ylabel(p, "variance");
    plot_ylim(p, 0.0, 1.1);
    plot_panel(p, 1);
    plot_title(p, "error amplification of a conversion");
    plot_line(p, tt, amp_eps, T, "x0 from eps: 1/sqrt(abar)");
    plot_line(p, tt, amp_x0, T, "eps from x0: 1/sqrt(1-abar)");
    plot_line(p, tt, one, T, "from v: 1");
    plot_ylog(p, 1);
    plot_xlabel(p, "t"), plot_ylabel(p, "factor");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "target_scales.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 1.1.3, 3.5: eps / x0 / v prediction, conversions, means, weights", 36, NULL);
    DiffusionSchedule sched = diffusion_schedule_linear(T, 1e-4, 0.02);
    section_3_5_3_conversions();
    section_means_and_weights(&cli, &sched);
    section_3_5_3_angle(&cli, &sched);
    section_3_5_3_var_v(&cli);
    section_zero_terminal_edge(&sched);
    figure(&cli, &sched);
    diffusion_schedule_free(&sched);
    return check_end();
}
