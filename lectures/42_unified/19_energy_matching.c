/*: # L42 6.3 — Energy matching: which "energies" are energies, and does the sampler mix?

**Lecture 42, Part 2, section 6.3** (the energy-function view: $E_\theta(x) = -\log p_\theta(x)$, the
table of energies per family, the energy-matching loss and its 100-step Langevin sampler). The
lecture's table and loss mix true statements with three that fail (erratum B21): the diffusion
"energy" $\int_0^1\lVert s_\theta\rVert^2dt$ is not $-\log p$; the term $\lambda\lVert\nabla E\rVert^2$ is a
gradient penalty, not score matching, and it biases the fitted model; and 100 Langevin steps of
size $\eta = 0.01$ (total time 1) do not reach the model's distribution.

What you will see: the unadjusted Langevin algorithm (ULA, common/langevin.h) at the lecture's
settings against the exact variance and mean recursions (Monte Carlo over $10^5$ chains); a flow's
energy whose gradient is minus its score and whose density integrates to 1; the diffusion
"energy" beside $-\log p$; and, on a one-parameter Gaussian energy, the fixed point of the
lecture's loss (contrastive term + gradient penalty, $\lambda = 0.1$) at $\sigma^2 = 1.306$ instead
of the data's variance 1, while Hyvärinen score matching recovers it; finally the lecture's loss
and sampler trained on the 8-Gaussian toy with an energy linear in 81 bump features; and the
Hessian-vector product of a trained MLP energy by central differences against forward-over-reverse.
Figure: `energies.png` ($-\log p$ and the lecture's diffusion energy; ULA mean and variance
against the step; the trained energy as a heat map).

Run: `make run L=42`, or `build/release/bin/lectures/42_unified/19_energy_matching` (`--quick`:
$10^4$ chains).

| symbol | C name | shape |
|---|---|---|
| $\eta$ (Langevin step) | `ETA` | scalar |
| $v_k$, $\mu_k$ (chain variance, mean after $k$ steps) | `var_k`, `mean_k` | scalars |
| $E_\theta(x)$ | `flow_energy`, `energy_gauss` | scalar |
| $s(x) = \nabla_x\log p(x)$ | `flow_score` | (2) |
| coupling scale/shift $a(x_1), b(x_1)$ | `coupling_a`, `coupling_b` | scalars |
| $\theta = 1/\sigma^2$ | `theta` | scalar |
| $\lambda$ | `LAMBDA` | scalar |
| bump features $\varphi_k$, weights $\theta_k$ (trained energy) | `phi`, `theta` (`float`) | (81) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/optim.h"
#include "common/langevin.h"
#include "common/mathfn.h"
#include "common/nn.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static const double ETA = 0.01, LAMBDA = 0.1;
enum { LECTURE_STEPS = 100 };

/*: ## 6.3 The lecture's sampler: ULA with $\eta = 0.01$, 100 steps

$$ x \leftarrow x + \eta\,\nabla_x\log p_\theta(x) + \sqrt{2\eta}\,\xi,\qquad \xi\sim\mathcal N(0, 1) $$ {#eq:L42.6.3.ula}

For $E = (x-\mu)^2/2$ the update is affine, $x \leftarrow (1-\eta)x + \eta\mu + \sqrt{2\eta}\xi$, so
mean and variance follow exact recursions:

$$ \mu_{k+1} = (1-\eta)\mu_k + \eta\mu,\qquad v_{k+1} = (1-\eta)^2v_k + 2\eta,\qquad
   v_\infty = \frac{1}{1 - \eta/2} $$ {#eq:L42.6.3.ula_moments}

From $\mathcal N(0,1)$ toward $\mathcal N(3, 1)$: $\mu_{100} = 3(1 - 0.99^{100}) = 1.90$, far from 3 — the
chain has run for time $100\eta = 1$ while the relaxation time is 1. The sampler itself is
`langevin_run` of common/langevin.h (one Philox stream per chain); the recursions are the
independent route.
*/
typedef struct {
    double mu;
} ScoreCtx;

static void score_gauss(const double *x, size_t n, size_t dim, double sigma, double *out, void *ctx) {
    (void)sigma;
    const ScoreCtx *c = ctx;
    for (size_t i = 0; i < n * dim; i++) out[i] = -(x[i] - c->mu);
}

static void run_chains(double *x, size_t n, double mu, uint64_t seed, size_t steps) {
    ScoreCtx c = {mu};
    LangevinParams lp;
    langevin_params_init(&lp, n, 1, score_gauss, &c);
    lp.step_size = ETA, lp.n_steps = steps, lp.seed = seed;
    LangevinResult res;
    //: [eq:L42.6.3.ula]
    if (langevin_run(&lp, x, &res) != LANGEVIN_OK) die("langevin: %s", res.message);
}

static void section_ula(const Cli *cli, double *mean_k, double *var_k) {
    const size_t n = (size_t)cli_scale(cli, 10000, 100000, 1000000);
    double v = 1.0, mu = 0.0, v_inf = 1.0;
    mean_k[0] = 0, var_k[0] = 1;
    for (int k = 0; k < LECTURE_STEPS; k++) {
        //: [eq:L42.6.3.ula_moments]
        v = (1 - ETA) * (1 - ETA) * v + 2 * ETA, mu = (1 - ETA) * mu + ETA * 3.0;
        mean_k[k + 1] = mu, var_k[k + 1] = v;
    }
    for (int k = 0; k < 100000; k++) v_inf = (1 - ETA) * (1 - ETA) * v_inf + 2 * ETA;
    check_close("L42.6.3.ula_stationary", v_inf, 1.0050251, 1e-7, "L42.6.3.ula_moments",
                "fixed point of the variance recursion, eta = 0.01 (spec 1/(1 - eta/2) = 1.0050251)");
    check_close("L42.6.3.ula_after100", v, 1.0043519, 1e-7, "L42.6.3.ula_moments",
                "variance after 100 steps from N(0,1), target N(0,1) (spec 1.0043519)");
    check_close("L42.6.3.ula_mixing", mu, 1.9019030, 1e-7, "L42.6.3.ula_moments",
                "mean after 100 steps from N(0,1) toward N(3,1): 3(1 - 0.99^100) (spec 1.9019030)");

    double *x = xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) { /* initial N(0,1): one stream per chain, apart from the sampler's */
        Rng r;
        rng_init(&r, cli->seed + 1, i);
        x[i] = rng_normal(&r);
    }
    double *x3 = xmalloc(n * sizeof *x3);
    for (size_t i = 0; i < n; i++) x3[i] = x[i];
    run_chains(x, n, 0.0, cli->seed, LECTURE_STEPS);
    run_chains(x3, n, 3.0, cli->seed + 2, LECTURE_STEPS);
    double se_m, se_v;
    double m3 = stats_mean_se(x3, n, &se_m);
    double *sq = xmalloc(n * sizeof *sq);
    double m0 = stats_mean(x, n);
    for (size_t i = 0; i < n; i++) sq[i] = (x[i] - m0) * (x[i] - m0);
    double v0 = stats_mean_se(sq, n, &se_v);
    check_mc("L42.6.3.ula_after100_mc", v0, v, se_v, 3.0, (long)n, "L42.6.3.ula_moments",
             "variance of %zu ULA chains (common/langevin) after 100 steps equals the recursion", n);
    check_mc("L42.6.3.ula_mixing_mc", m3, mu, se_m, 3.0, (long)n, "L42.6.3.ula_moments",
             "mean of %zu ULA chains toward N(3,1) after 100 steps equals the recursion", n);
    check_erratum("L42.6.3.ula_100_steps", mu, 3.0,
                  "B21: the lecture's sampler (100 steps, eta = 0.01) leaves the chains at mean %.4f (Monte Carlo "
                  "%.4f) for a target of mean 3; 688 steps are needed to come within 0.003", mu, m3);
    free(x), free(x3), free(sq);
}

/*: ## The flow row of the table: an energy with $Z = 1$

For an invertible $x = f(z)$ with $z\sim\mathcal N(0, I)$,
$E(x) = -\log p_Z(f^{-1}(x)) - \log\lvert\det J_{f^{-1}}(x)\rvert$ is exactly $-\log p(x)$, so
$\nabla_xE = -s(x)$. We take one affine coupling in 2-D, $x_1 = z_1$,
$x_2 = z_2e^{a(z_1)} + b(z_1)$ with $a = \frac12\tanh z_1$, $b = z_1^2/2$:

$$ E(x) = \tfrac12\big(x_1^2 + z_2^2\big) + \log 2\pi + a(x_1),\qquad z_2 = (x_2 - b(x_1))\,e^{-a(x_1)} $$ {#eq:L42.6.3.flow_energy}

and its score by the chain rule, $s_2 = -z_2e^{-a}$,
$s_1 = -x_1 + z_2(b'e^{-a} + z_2a') - a'$. Checked: the score against central differences of $E$,
and $\int e^{-E} = 1$ by Gauss–Legendre quadrature on $[-9, 9]\times[-12, 40]$.
*/
static double coupling_a(double x1) { return 0.5 * tanh(x1); }
static double coupling_b(double x1) { return 0.5 * x1 * x1; }

static double flow_energy(const double *x) {
    double z2 = (x[1] - coupling_b(x[0])) * exp(-coupling_a(x[0]));
    //: [eq:L42.6.3.flow_energy]
    return 0.5 * (x[0] * x[0] + z2 * z2) + log(2 * M_PI) + coupling_a(x[0]);
}

static void flow_score(const double *x, double *s) {
    double a = coupling_a(x[0]), da = 0.5 / (cosh(x[0]) * cosh(x[0])), db = x[0];
    double z2 = (x[1] - coupling_b(x[0])) * exp(-a);
    s[1] = -z2 * exp(-a);
    s[0] = -x[0] + z2 * (db * exp(-a) + z2 * da) - da;
}

typedef struct {
    double x1;
} FlowCtx;

static double flow_density_x2(double x2, void *ctx) {
    const FlowCtx *c = ctx;
    double x[2] = {c->x1, x2};
    return exp(-flow_energy(x));
}

static double flow_density_x1(double x1, void *ctx) {
    (void)ctx;
    FlowCtx c = {x1};
    return quad_gauss_legendre_composite(flow_density_x2, &c, -12, 40, 40, 26);
}

static void section_flow_energy(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 7000000);
    double err = 0;
    const double h = 1e-5;
    for (int i = 0; i < 200; i++) {
        double x[2] = {2 * rng_normal(&r), 2 * rng_normal(&r)}, s[2];
        flow_score(x, s);
        for (int a = 0; a < 2; a++) {
            double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
            xp[a] += h, xm[a] -= h;
            double grad_e = (flow_energy(xp) - flow_energy(xm)) / (2 * h);
            err = fmax(err, fabs(grad_e + s[a]));
        }
    }
    check_close("L42.6.3.energy_flow_grad", err, 0.0, 1e-6, "L42.6.3.flow_energy",
                "coupling flow: max |central difference of E + score| over 200 points (grad E = -s)");
    double z = quad_gauss_legendre_composite(flow_density_x1, NULL, -9, 9, 40, 18);
    check_close("L42.6.3.energy_flow_normalised", z, 1.0, 1e-8, "L42.6.3.flow_energy",
                "integral of exp(-E) over the plane (quadrature): a flow's energy has Z = 1");
}

/*: ## The diffusion row: $\int_0^1\lVert s\rVert^2dt$ is not $-\log p$

Take data $\mathcal N(m, s_0^2)$, $m = 2$, $s_0 = 0.5$, and the VP marginals of the lecture's 4.5
($\bar\alpha(t) = e^{-(0.1t + 0.45t^2)}$), whose scores are exact:
$s(x, t) = -(x - \sqrt{\bar\alpha}m)/v_t$, $v_t = \bar\alpha s_0^2 + 1 - \bar\alpha$. The lecture's energy

$$ E_\text{lecture}(x) = \int_0^1 s(x, t)^2\,dt $$ {#eq:L42.6.3.diffusion_energy}

(Gauss–Legendre, 40 nodes) is compared with $-\log p(x)$ at $x = 2$ (the mode) and $x = 3$. Their
*differences* must agree for an energy (the constant is free): they do not.
*/
static double diffusion_energy_integrand(double t, void *ctx) {
    double x = *(const double *)ctx, abar = exp(-(0.1 * t + 0.45 * t * t));
    double v = abar * 0.25 + 1 - abar, s = -(x - sqrt(abar) * 2.0) / v;
    return s * s;
}

static double diffusion_energy(double x) {
    //: [eq:L42.6.3.diffusion_energy]
    return quad_gauss_legendre(diffusion_energy_integrand, &x, 0.0, 1.0, 40);
}

static double neg_log_p_data(double x) { return 0.5 * (x - 2) * (x - 2) / 0.25 + log(0.5 * sqrt(2 * M_PI)); }

static void section_diffusion_energy(void) {
    double lect = diffusion_energy(3.0) - diffusion_energy(2.0), right = neg_log_p_data(3.0) - neg_log_p_data(2.0);
    printf("E(3) - E(2): lecture's diffusion energy %.6f, -log p %.6f\n", lect, right);
    check_erratum("L42.6.3.diffusion_energy", lect, right,
                  "B21: E(3) - E(2) with the lecture's diffusion energy int_0^1 |s(x,t)|^2 dt vs with -log p");
}

/*: ## The loss: contrastive term plus $\lambda\lVert\nabla E\rVert^2$

$$ \mathcal L(\theta) = \mathbb E_\text{data}[E_\theta] - \mathbb E_{p_\theta}[E_\theta] + \lambda\,\mathbb E_\text{data}\lVert\nabla_xE_\theta\rVert^2 $$ {#eq:L42.6.3.em_loss}

On the one-parameter family $E_\theta(x) = \theta x^2/2$ ($p_\theta = \mathcal N(0, 1/\theta)$), with
the model expectation held fixed while differentiating (as contrastive divergence does) and
$m_2 = \mathbb E_\text{data}x^2$, the gradient is

$$ \partial_\theta\mathcal L = \tfrac12\big(m_2 - 1/\theta\big) + 2\lambda\theta m_2 $$ {#eq:L42.6.3.em_grad}

For $\lambda = 0$ its zero is the maximum-likelihood $\theta = 1/m_2$. The penalty moves it to the
positive root of $2\lambda m_2\theta^2 + \tfrac12 m_2\theta - \tfrac12 = 0$: for $m_2 = 1$ and
$\lambda = 0.1$, $\sigma^2 = 1/\theta = 1.306$. Hyvärinen score matching, $\mathbb E[\tfrac12\lVert\nabla E\rVert^2 - \Delta E]
= \tfrac12\theta^2m_2 - \theta$, is minimised at $\theta = 1/m_2$: it is the penalty *with* the
Laplacian term that makes it consistent. Below, gradient descent on $\theta$ with the data's
sample moment ($10^5$ draws from $\mathcal N(0,1)$) is compared with these roots.
*/
static double descend_theta(double m2, double lambda, int hyvarinen) {
    double theta = 0.5;
    for (int it = 0; it < 20000; it++) {
        //: [eq:L42.6.3.em_grad], or the Hyvarinen objective's gradient theta m2 - 1
        double grad = hyvarinen ? theta * m2 - 1 : 0.5 * (m2 - 1 / theta) + 2 * lambda * theta * m2;
        theta -= 0.05 * grad;
    }
    return theta;
}

static void section_loss(uint64_t seed) {
    enum { N = 100000 };
    double m2 = 0;
    for (int i = 0; i < N; i++) {
        Rng r;
        rng_init(&r, seed + 3, (uint64_t)i);
        double x = rng_normal(&r);
        m2 += x * x / N;
    }
    double th_cd = descend_theta(m2, 0.0, 0), th_pen = descend_theta(m2, LAMBDA, 0), th_h = descend_theta(m2, 0, 1);
    double root = (-0.5 * m2 + sqrt(0.25 * m2 * m2 + 4 * LAMBDA * m2)) / (4 * LAMBDA * m2);
    printf("data m2 = %.6f: sigma^2 from CD %.6f, CD + penalty %.6f, Hyvarinen SM %.6f\n", m2, 1 / th_cd, 1 / th_pen,
           1 / th_h);
    check_close("L42.6.3.em_cd_mle", 1 / th_cd, m2, 1e-9, "L42.6.3.em_grad",
                "lambda = 0: the contrastive gradient's zero is the MLE sigma^2 = m2");
    check_close("L42.6.3.em_penalty_root", th_pen, root, 1e-9, "L42.6.3.em_grad",
                "lambda = 0.1: gradient descent stops at the positive root of 2 lambda m2 th^2 + m2 th/2 - 1/2");
    check_close("L42.6.3.em_hyvarinen", 1 / th_h, m2, 1e-9, "L42.6.3.em_loss",
                "Hyvarinen score matching recovers sigma^2 = m2");
    check_erratum("L42.6.3.em_gradient_penalty", 1 / th_pen, m2,
                  "B21: fitted variance with the lecture's lambda |grad E|^2 term (lambda = 0.1) vs the data's");
}


/*: ## The lecture's loss, trained on the 8-Gaussian toy

An energy $E_\theta(x) = \lVert x\rVert^2/8 + \sum_k\theta_k\varphi_k(x)$ with 81 Gaussian bumps
$\varphi_k(x) = e^{-\lVert x - c_k\rVert^2/(2\cdot0.5^2)}$ on a $9\times9$ grid over $[-3, 3]^2$ (the fixed
quadratic keeps $e^{-E}$ normalisable) is trained with [eq:L42.6.3.em_loss], $\lambda = 0.1$, the model
term estimated by the lecture's sampler: 128 fresh chains from $\mathcal N(0, I)$, 100 ULA steps,
$\eta = 0.01$ (common/langevin.h). Because $E$ is linear in $\theta$, every gradient is explicit:
$\partial_{\theta_k}E = \varphi_k$, $\nabla_x\varphi_k = \varphi_k(c_k - x)/0.25$, and the penalty's
$\partial_{\theta_k}\lVert\nabla_xE\rVert^2 = 2\,\nabla_xE\cdot\nabla_x\varphi_k$. Adam, learning rate $0.05$, 200 steps (60 with `--quick`), data batches of 128.
The check is the spec's: held-out data must get lower energy than uniform noise on $[-3,3]^2$.
*/
enum { NC = 9, NF = NC * NC, EB = 128 };

static void rbf_centre(int k, double *c) { c[0] = -3 + 6.0 * (k % NC) / (NC - 1), c[1] = -3 + 6.0 * (k / NC) / (NC - 1); }

/* E_theta(x); grad (2) and phi (NF) when not NULL. */
static double ebm_energy(const float *theta, const double *x, double *grad, double *phi) {
    double e = 0.125 * (x[0] * x[0] + x[1] * x[1]);
    if (grad) grad[0] = 0.25 * x[0], grad[1] = 0.25 * x[1];
    for (int k = 0; k < NF; k++) {
        double c[2];
        rbf_centre(k, c);
        double d0 = x[0] - c[0], d1 = x[1] - c[1], f = exp(-(d0 * d0 + d1 * d1) / 0.5);
        if (phi) phi[k] = f;
        e += theta[k] * f;
        if (grad) grad[0] -= theta[k] * f * d0 / 0.25, grad[1] -= theta[k] * f * d1 / 0.25;
    }
    return e;
}

static void ebm_score(const double *x, size_t n, size_t dim, double sigma, double *out, void *ctx) {
    (void)sigma, (void)dim;
    for (size_t i = 0; i < n; i++) {
        double g[2];
        ebm_energy(ctx, x + 2 * i, g, NULL);
        out[2 * i] = -g[0], out[2 * i + 1] = -g[1];
    }
}

static void section_ebm(const Cli *cli, float *theta) {
    const int steps = (int)cli_scale(cli, 60, 200, 600);
    float grad[NF];
    for (int k = 0; k < NF; k++) theta[k] = 0.0f;
    ParamBlock blk = {theta, grad, NF};
    Optimizer *adam = optim_new(&blk, 1, optim_adam(0.05, 0.9, 0.999, 1e-8, 0.0));
    static double chains[2 * EB];
    float xy[2 * EB];
    for (int it = 0; it < steps; it++) {
        Rng r;
        rng_init(&r, cli->seed + 400, (uint64_t)it);
        toy2d_sample(TOY2D_GAUSSIANS8, &r, xy, EB);
        for (int i = 0; i < 2 * EB; i++) chains[i] = rng_normal(&r);
        LangevinParams lp;
        langevin_params_init(&lp, EB, 2, ebm_score, theta);
        lp.step_size = ETA, lp.n_steps = LECTURE_STEPS, lp.seed = cli->seed + 401, lp.first_stream = (uint64_t)it * EB;
        lp.n_threads = 1; /* 128 chains are one block: waking a thread team 200 times costs more than it gives */
        LangevinResult res;
        if (langevin_run(&lp, chains, &res) != LANGEVIN_OK) die("langevin: %s", res.message);
        double g[NF] = {0}, phi[NF], ge[2];
        for (int i = 0; i < EB; i++) {
            double xd[2] = {xy[2 * i], xy[2 * i + 1]};
            ebm_energy(theta, xd, ge, phi);
            for (int k = 0; k < NF; k++) {
                double c[2];
                rbf_centre(k, c);
                double gphi0 = phi[k] * (c[0] - xd[0]) / 0.25, gphi1 = phi[k] * (c[1] - xd[1]) / 0.25;
                //: gradient of [eq:L42.6.3.em_loss]: data term and penalty
                g[k] += (phi[k] + LAMBDA * 2 * (ge[0] * gphi0 + ge[1] * gphi1)) / EB;
            }
            ebm_energy(theta, chains + 2 * i, NULL, phi);
            for (int k = 0; k < NF; k++) g[k] -= phi[k] / EB; /* model term */
        }
        for (int k = 0; k < NF; k++) grad[k] = (float)g[k];
        optim_step(adam);
    }
    optim_free(adam);
    enum { NT = 2000 };
    static float held[2 * NT];
    Rng r;
    rng_init(&r, cli->seed + 402, 0);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, held, NT);
    double e_data = 0, e_noise = 0;
    for (int i = 0; i < NT; i++) {
        double xd[2] = {held[2 * i], held[2 * i + 1]}, xn[2] = {rng_uniform_range(&r, -3, 3), rng_uniform_range(&r, -3, 3)};
        e_data += ebm_energy(theta, xd, NULL, NULL) / NT, e_noise += ebm_energy(theta, xn, NULL, NULL) / NT;
    }
    printf("trained energy (lecture's loss and sampler): mean E on held-out data %.4f, on uniform noise %.4f\n", e_data,
           e_noise);
    check_le("L42.6.3.ebm_separation", e_data - e_noise, 0.0, 0.0, "L42.6.3.em_loss",
             "mean E(held-out data) - mean E(uniform noise on [-3,3]^2) after %d training steps", steps);
}

/*: ## Figure */
static void section_figure(const Cli *cli, const double *mean_k, const double *var_k, const float *theta) {
    enum { NX = 121 };
    double xs[NX], el[NX], en[NX], kk[LECTURE_STEPS + 1];
    for (int i = 0; i < NX; i++) {
        xs[i] = -1 + 6.0 * i / (NX - 1);
        el[i] = diffusion_energy(xs[i]) - diffusion_energy(2.0), en[i] = neg_log_p_data(xs[i]) - neg_log_p_data(2.0);
    }
    for (int k = 0; k <= LECTURE_STEPS; k++) kk[k] = k;
    Plot *p = plot_new_grid(1, 3, 1900, 520, "6.3: energies, the lecture's Langevin chain, a trained energy");
    plot_panel(p, 0);
    plot_title(p, "data N(2, 0.25): -log p vs int |s(x,t)|^2 dt (both 0 at x = 2)");
    plot_line(p, xs, en, NX, "-log p(x) + const");
    plot_line(p, xs, el, NX, "lecture's diffusion energy");
    plot_ylim(p, -1, 20);
    plot_xlabel(p, "x");
    plot_panel(p, 1);
    plot_title(p, "ULA eta = 0.01 from N(0,1) toward N(3,1)");
    plot_line(p, kk, mean_k, LECTURE_STEPS + 1, "chain mean");
    plot_line(p, kk, var_k, LECTURE_STEPS + 1, "chain variance (target N(0,1))");
    plot_hline(p, 3.0, "target mean 3");
    plot_xlabel(p, "Langevin step");
    plot_panel(p, 2);
    plot_title(p, "E_theta trained with the lecture's loss, 8-Gaussian data");
    {
        enum { NH = 80 };
        static double ev[NH * NH];
        for (int j = 0; j < NH; j++)
            for (int i = 0; i < NH; i++) {
                double x[2] = {-3 + 6 * (i + 0.5) / NH, -3 + 6 * (j + 0.5) / NH};
                ev[j * NH + i] = ebm_energy(theta, x, NULL, NULL);
            }
        plot_heatmap(p, ev, NH, NH, -3, 3, -3, 3, "E");
    }
    char err[256];
    if (plot_save(p, cli_out_path(cli, "energies.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(p);
}

/*: ## The penalty's second derivatives: a Hessian-vector product of a trained MLP energy

The gradient penalty's θ-gradient needs second derivatives of $E$; 09 and §3 use the
finite-difference trick $H v\approx(\nabla E(x + hv) - \nabla E(x - hv))/2h$. Here it is checked on
the spec's network, an MLP energy $E_\theta:\mathbb R^2\to\mathbb R$, $2\to64\to64\to1$ with SiLU, trained
(Adam, float32, `common/ad`) to regress the energy $-\log p$ of the 8-Gaussian toy smoothed to
component variance $0.25$ (divided by 10) on uniform points of $[-3, 3]^2$. `common/ad` has no
double backward, so the exact route is **forward-over-reverse written out for this network**: with
$a_1 = xW_1 + b_1$, $h_1 = \mathrm{silu}(a_1)$, $a_2 = h_1W_2 + b_2$, the backward pass
$g_{a_2} = w_3\odot\mathrm{silu}'(a_2)$, $g_{a_1} = (g_{a_2}W_2^\top)\odot\mathrm{silu}'(a_1)$,
$\nabla E = g_{a_1}W_1^\top$ is differentiated in the direction $v$ (tangents $\dot a_1 = vW_1$,
$\dot a_2 = (\mathrm{silu}'(a_1)\odot\dot a_1)W_2$):

$$ \dot g_{a_2} = w_3\odot\mathrm{silu}''(a_2)\odot\dot a_2,\qquad
   \dot g_{a_1} = (\dot g_{a_2}W_2^\top)\odot\mathrm{silu}'(a_1) + (g_{a_2}W_2^\top)\odot\mathrm{silu}''(a_1)\odot\dot a_1,\qquad
   Hv = \dot g_{a_1}W_1^\top , $$ {#eq:L42.6.3.hvp_for}

in double, from the trained float32 weights. Checks: the hand-written gradient equals
`common/ad`'s input gradient (float32 rounding), the central-difference HVP equals
[eq:L42.6.3.hvp_for] to its $O(h^2)$, and $u^\top(Hv) = v^\top(Hu)$ (a wrong tangent breaks the
symmetry). The trick as a float32 program would run it (ad's gradients at $x\pm hv$, $h = 10^{-2}$)
is printed with its error: float32 rounding over $h$.
*/
enum { EH = 64 };

/* silu and its first two derivatives */
static void silu3(double a, double *f, double *d1, double *d2) {
    const double s = 1.0 / (1.0 + exp(-a));
    *f = a * s, *d1 = s + a * s * (1 - s), *d2 = s * (1 - s) * (2 + a * (1 - 2 * s));
}

/* grad E(x) (2) and, when v != NULL, H v (2) of the trained MLP, in double ([eq:L42.6.3.hvp_for]) */
static void mlp_grad_hvp(const NnMlp *m, const double *x, const double *v, double *g, double *hv) {
    const float *W1 = ad_f32(m->layers[0].weight), *b1 = ad_f32(m->layers[0].bias);
    const float *W2 = ad_f32(m->layers[1].weight), *b2 = ad_f32(m->layers[1].bias), *w3 = ad_f32(m->layers[2].weight);
    double h1[EH], d1a[EH], d2a[EH], ad1[EH], a2[EH], d1b[EH], d2b[EH], ad2[EH], ga2[EH], gh1[EH], dgh1[EH], f;
    for (int j = 0; j < EH; j++) {
        //: $a_1 = xW_1 + b_1$, $\dot a_1 = vW_1$
        const double a1 = b1[j] + x[0] * W1[j] + x[1] * W1[EH + j];
        ad1[j] = v ? v[0] * W1[j] + v[1] * W1[EH + j] : 0;
        silu3(a1, &h1[j], &d1a[j], &d2a[j]);
    }
    for (int k = 0; k < EH; k++) {
        a2[k] = b2[k], ad2[k] = 0;
        //: $a_2 = h_1W_2 + b_2$, $\dot a_2 = (\mathrm{silu}'(a_1)\odot\dot a_1)W_2$
        for (int j = 0; j < EH; j++) a2[k] += h1[j] * W2[j * EH + k], ad2[k] += d1a[j] * ad1[j] * W2[j * EH + k];
        silu3(a2[k], &f, &d1b[k], &d2b[k]);
        //: $g_{a_2} = w_3\odot\mathrm{silu}'(a_2)$
        ga2[k] = w3[k] * d1b[k];
    }
    for (int j = 0; j < EH; j++) {
        gh1[j] = dgh1[j] = 0;
        //: $g_{a_2}W_2^\top$ and $\dot g_{a_2}W_2^\top$ with $\dot g_{a_2} = w_3\odot\mathrm{silu}''(a_2)\odot\dot a_2$
        for (int k = 0; k < EH; k++) gh1[j] += ga2[k] * W2[j * EH + k], dgh1[j] += w3[k] * d2b[k] * ad2[k] * W2[j * EH + k];
    }
    g[0] = g[1] = 0;
    if (hv) hv[0] = hv[1] = 0;
    for (int j = 0; j < EH; j++) {
        const double ga1 = gh1[j] * d1a[j];
        //: $\dot g_{a_1} = (\dot g_{a_2}W_2^\top)\odot\mathrm{silu}'(a_1) + (g_{a_2}W_2^\top)\odot\mathrm{silu}''(a_1)\odot\dot a_1$, [eq:L42.6.3.hvp_for]
        const double dga1 = dgh1[j] * d1a[j] + gh1[j] * d2a[j] * ad1[j];
        for (int i = 0; i < 2; i++) {
            //: $\nabla E = g_{a_1}W_1^\top$, $Hv = \dot g_{a_1}W_1^\top$
            g[i] += ga1 * W1[i * EH + j];
            if (hv) hv[i] += dga1 * W1[i * EH + j];
        }
    }
}

/* the regression target: -log of the 8-Gaussian toy with component variance 0.25 */
static double smoothed_energy(const double *x) {
    double l[8];
    for (int k = 0; k < 8; k++) {
        const double c0 = 2 * cos(2 * M_PI * k / 8), c1 = 2 * sin(2 * M_PI * k / 8);
        l[k] = log(1.0 / 8) - ((x[0] - c0) * (x[0] - c0) + (x[1] - c1) * (x[1] - c1)) / (2 * 0.25) - log(2 * M_PI * 0.25);
    }
    return -logsumexp(l, 8);
}

static void section_hvp(const Cli *cli) {
    NnMlp m;
    Rng r;
    rng_init(&r, cli->seed, 600);
    const int widths[4] = {2, EH, EH, 1}, steps = (int)cli_scale(cli, 200, 1000, 4000), B = 256;
    nn_mlp_init(&m, 3, widths, NN_ACT_SILU, AD_F32, &r);
    NnParams prm;
    nn_params_init(&prm);
    nn_mlp_params(&m, "energy", &prm);
    ParamBlock blk[8];
    const int nb = nn_params_blocks(&prm, blk, 8);
    Optimizer *adam = optim_new(blk, nb, optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0));
    AdArena *arena = ad_arena_new(1 << 22);
    int shape[2] = {B, 2}, tshape[2] = {B, 1};
    double loss = 0;
    for (int it = 0; it < steps; it++) {
        ad_arena_reset(arena);
        AdTensor *x = ad_input(arena, AD_F32, 2, shape), *y = ad_input(arena, AD_F32, 2, tshape);
        for (int i = 0; i < B; i++) {
            double p[2] = {rng_uniform_range(&r, -3, 3), rng_uniform_range(&r, -3, 3)};
            ad_f32(x)[2 * i] = (float)p[0], ad_f32(x)[2 * i + 1] = (float)p[1], ad_f32(y)[i] = (float)(smoothed_energy(p) / 10);
        }
        nn_params_zero_grad(&prm);
        AdTensor *l = ad_mean(arena, ad_square(arena, ad_sub(arena, nn_mlp_forward(arena, &m, x), y)));
        ad_backward(arena, l);
        optim_step(adam);
        loss = ad_f32(l)[0];
    }
    printf("MLP energy 2-64-64-1 (SiLU): %d Adam steps regressing (-log p)/10 of the smoothed toy, last batch MSE %.5f\n", steps, loss);
    enum { NP = 8 };
    int pshape[2] = {NP, 2}, qshape[2] = {2, 2};
    AdTensor *xp = ad_param_new(AD_F32, 2, pshape), *x2 = ad_param_new(AD_F32, 2, qshape);
    double pts[NP][2], v[NP][2], u[NP][2], worst_g = 0, scale_g = 0, worst_h = 0, scale_h = 0, worst_s = 0, worst_f32 = 0;
    for (int i = 0; i < NP; i++)
        for (int c = 0; c < 2; c++) {
            pts[i][c] = rng_uniform_range(&r, -2.5, 2.5), v[i][c] = rng_normal(&r), u[i][c] = rng_normal(&r);
            ad_f32(xp)[2 * i + c] = (float)pts[i][c];
        }
    /* common/ad's input gradient at the points (float32; the point rounded to float) */
    ad_arena_reset(arena);
    memset(xp->grad, 0, sizeof(float) * 2 * NP);
    ad_backward(arena, ad_sum(arena, nn_mlp_forward(arena, &m, xp)));
    const double h = 1e-4, hf = 1e-2;
    for (int i = 0; i < NP; i++) {
        double g[2], hv[2], hu[2], gp[2], gm[2], xpl[2], xmi[2], xf[2] = {ad_f32(xp)[2 * i], ad_f32(xp)[2 * i + 1]};
        mlp_grad_hvp(&m, xf, NULL, g, NULL);
        for (int c = 0; c < 2; c++) worst_g = fmax(worst_g, fabs(g[c] - ad_grad_f32(xp)[2 * i + c])), scale_g = fmax(scale_g, fabs(g[c]));
        mlp_grad_hvp(&m, pts[i], v[i], g, hv);
        mlp_grad_hvp(&m, pts[i], u[i], g, hu);
        for (int c = 0; c < 2; c++) xpl[c] = pts[i][c] + h * v[i][c], xmi[c] = pts[i][c] - h * v[i][c];
        mlp_grad_hvp(&m, xpl, NULL, gp, NULL), mlp_grad_hvp(&m, xmi, NULL, gm, NULL);
        for (int c = 0; c < 2; c++) {
            //: $Hv \approx (\nabla E(x + hv) - \nabla E(x - hv))/2h$
            const double fd = (gp[c] - gm[c]) / (2 * h);
            worst_h = fmax(worst_h, fabs(fd - hv[c])), scale_h = fmax(scale_h, fabs(hv[c]));
        }
        //: $u^\top(Hv) = v^\top(Hu)$
        worst_s = fmax(worst_s, fabs(u[i][0] * hv[0] + u[i][1] * hv[1] - v[i][0] * hu[0] - v[i][1] * hu[1]));
        /* the trick as a float32 program runs it: ad's gradients at x +- hf v */
        for (int c = 0; c < 2; c++) ad_f32(x2)[c] = (float)(pts[i][c] + hf * v[i][c]), ad_f32(x2)[2 + c] = (float)(pts[i][c] - hf * v[i][c]);
        ad_arena_reset(arena);
        memset(x2->grad, 0, sizeof(float) * 4);
        ad_backward(arena, ad_sum(arena, nn_mlp_forward(arena, &m, x2)));
        for (int c = 0; c < 2; c++) worst_f32 = fmax(worst_f32, fabs((ad_grad_f32(x2)[c] - ad_grad_f32(x2)[2 + c]) / (2 * hf) - hv[c]));
    }
    nn_params_zero_grad(&prm);
    /* float32 forward and backward: ~1e-6 relative rounding of sums of 64 products */
    check_close("L42.6.3.mlp_grad_ad", worst_g, 0.0, 1e-4 * scale_g, NULL,
                "hand-written double backward pass = common/ad's float32 input gradient (max over %d points; max |grad| %.3f)", NP,
                scale_g);
    /* central differences in double: truncation h^2 |E'''| / 6 ~ 1e-8, rounding 1e-16 / h ~ 1e-12 */
    check_close("L42.6.3.hvp_fd", worst_h, 0.0, 1e-6 * scale_h, "L42.6.3.hvp_for",
                "central-difference HVP (h = %g, double) vs forward-over-reverse, %d points, random v (max |Hv| %.3f)", h, NP, scale_h);
    check_close("L42.6.3.hvp_symmetric", worst_s, 0.0, 1e-12 * scale_h, "L42.6.3.hvp_for",
                "u^T (H v) = v^T (H u) for the forward-over-reverse HVP (max over %d pairs of random u, v)", NP);
    printf("the FD trick in float32 through common/ad (h = %g): max |HVP_FD - HVP| = %.3e (max |Hv| %.3f)\n", hf, worst_f32, scale_h);
    ad_tensor_free(xp), ad_tensor_free(x2);
    ad_arena_free(arena);
    optim_free(adam);
    nn_params_free(&prm);
    nn_mlp_free(&m);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.3: energy view - ULA at the lecture's settings, flow energy, diffusion energy, loss bias", 4219,
              NULL);
    double mean_k[LECTURE_STEPS + 1], var_k[LECTURE_STEPS + 1];
    section_ula(&cli, mean_k, var_k);
    section_flow_energy(cli.seed);
    section_diffusion_energy();
    section_loss(cli.seed);
    float theta[NF];
    section_ebm(&cli, theta);
    section_hvp(&cli);
    section_figure(&cli, mean_k, var_k, theta);
    return check_end();
}
