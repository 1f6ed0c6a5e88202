/*: # L35 7.7b — Hands-on project: NCSN and annealed Langevin on the swiss roll

**Lecture 35, Part 2, section 7.7 project (b)** (intermediate): generate the swiss roll, train a
noise-conditional score network with $\sigma \in \{5, 2.5, 1, 0.5, 0.1\}$, sample it with
annealed Langevin dynamics and look at the result.

The lecture's generator has no noise and no rescaling (it is not `common/data.h`'s
`toy2d_swissroll`, which divides by 5 and adds noise): $t = \tfrac32\pi(1 + 2u)$, $u\sim U(0,1)$,
point $c(t) = (t\cos t,\ t\sin t)$. The network is `common/ncsn.h`'s deep variant (input
$(x/s_x, \gamma(\sigma))$ with $s_x$ the data's standard deviation and $\gamma$ the log-noise mapped
onto $[-1, 1]$, four hidden SiLU layers of width $H$, $\hat\epsilon$ output, all levels per batch,
$\sigma^2$ weighting); ALD as in 5.3: $T = 100$ steps per level, $\alpha_i = 0.1\,\sigma_i^2$,
start $\mathcal N(0, 25 I)$, no final denoising step.

What you will see: the generator's moments against their integrals over $t$; the exact score
of each smoothed density $q_\sigma$, computed by quadrature along the curve and checked by finite
differences; the network's error against it, level by level (below 0.2 at every level, the
smallest $\sigma = 0.1$ included); and ALD samples that lie on the roll (median distance about
0.07, as close as the exact score gets) and cover its three turns. An ablation with the exact score shows what the small
$\sigma_\text{max}$ of the lecture costs.
Figure: `swissroll_ncsn.png` (ALD samples over the data; the learned score at $\sigma = 1$).

With `--gpu on|auto` and a device the ALD chains run on the GPU backend (`mlp_step`).
Default scale: $H = 64$, 4000 training steps of 32 points x 5 levels, 2000 chains (about 40 s
on one core); `--full`: 12,000 steps, 5000 chains. `--layers`, `--act`, `--hidden`,
`--steps`, `--batch`, `--lr` rerun the architecture comparison (in this lecture's README).

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/11_swissroll_ncsn [--out DIR] [--gpu on]`.

| symbol | C name | shape |
|---|---|---|
| $t$, $c(t) = (t\cos t, t\sin t)$ | `t`, `curve_point()` | scalar, (2) |
| $\sigma_1 > \dots > \sigma_5$ | `SIGMA` | (5) |
| $\nabla\log q_\sigma$ (quadrature, $K$ nodes) | `ref_score()`, `Curve` | (2) |
| $s_\theta(x,\sigma)$ | `net` (`NcsnNet`) | (n, 2) |
| ALD chain states | `x_ald` | (n, 2) |
| $s_x$ (data scale) | `data_sd` | scalar |
| $\hat\epsilon_\theta$ on noisy data | `xt`, `eh` | (n, 2) |
| $m^*$ (ULA median distance) | `m_star` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/langevin.h"
#include "common/ncsn.h"
#include "common/plot.h"
#include "common/quadrature.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_mlp.h"
#include "gpu/gpu_or_cpu.h"
#include "gpu/gpu_train_ncsn.h"

enum { D = 2, L = 5, T_LEVEL = 100 };
static const double SIGMA[L] = {5.0, 2.5, 1.0, 0.5, 0.1};
static const double T_LO = 1.5 * M_PI, T_HI = 4.5 * M_PI, ALPHA_SCALE = 0.1;

/*: ## 7.7b The lecture's generator and its moments

$$ t = \tfrac32\pi(1 + 2u),\quad u \sim U(0, 1),\qquad x = c(t) = (t\cos t,\ t\sin t) $$ {#eq:L35.7.7b.swissroll}

$t$ is uniform on $[\tfrac32\pi, \tfrac92\pi]$, so every moment is an integral over $t$ with
density $1/(3\pi)$: $\mathbb E x_1 = 2$, $\mathbb E x_2 = 2/(3\pi)$, $\mathbb E\lVert x\rVert^2 =
\mathbb E t^2 = 9.75\pi^2$ (computed below by Gauss–Legendre, checked against samples).
*/
static void curve_point(double t, double *c) {
    //: $c(t) = (t\cos t, t\sin t)$, eq. [eq:L35.7.7b.swissroll]
    c[0] = t * cos(t);
    c[1] = t * sin(t);
}

static void sample_swissroll(Rng *r, double *x, int n, void *ctx) {
    (void)ctx;
    //: $t = \tfrac32\pi(1 + 2u)$, $x = c(t)$, [eq:L35.7.7b.swissroll]
    for (int i = 0; i < n; i++) curve_point(1.5 * M_PI * (1.0 + 2.0 * rng_uniform(r)), x + 2 * i);
}

typedef struct {
    int which; /* 0: x, 1: y, 2: x^2, 3: y^2, 4: r^2 */
} MomentCtx;

static double moment_integrand(double t, void *ctx) {
    double c[2];
    curve_point(t, c);
    const double v[5] = {c[0], c[1], c[0] * c[0], c[1] * c[1], c[0] * c[0] + c[1] * c[1]};
    return v[((MomentCtx *)ctx)->which] / (T_HI - T_LO);
}

static double generator_moments(const Cli *cli) {
    const long n_mom = cli_scale(cli, 20000, 200000, 1000000);
    double ex[5], m1[5] = {0}, m2[5] = {0};
    for (int j = 0; j < 5; j++) {
        MomentCtx mc = {j};
        //: $\mathbb E f(c(t)) = \frac{1}{3\pi}\int f(c(t))\,dt$ by Gauss–Legendre
        ex[j] = quad_gauss_legendre_composite(moment_integrand, &mc, T_LO, T_HI, 20, 40);
    }
    Rng r;
    rng_init(&r, cli->seed, 30);
    for (long i = 0; i < n_mom; i++) {
        double p[2];
        sample_swissroll(&r, p, 1, NULL);
        const double v[5] = {p[0], p[1], p[0] * p[0], p[1] * p[1], p[0] * p[0] + p[1] * p[1]};
        for (int j = 0; j < 5; j++) m1[j] += v[j], m2[j] += v[j] * v[j];
    }
    const char *names[5] = {"x", "y", "x^2", "y^2", "r^2"};
    printf("moments (quadrature over t | %ld samples): ", n_mom);
    for (int j = 0; j < 5; j++) printf("E %s %.4f | %.4f; ", names[j], ex[j], m1[j] / n_mom);
    printf("\nVar x %.4f, Var y %.4f\n", ex[2] - ex[0] * ex[0], ex[3] - ex[1] * ex[1]);
    //: $s_x^2 = (\mathrm{Var}\,x_1 + \mathrm{Var}\,x_2)/2$
    const double data_sd = sqrt(0.5 * (ex[2] - ex[0] * ex[0] + ex[3] - ex[1] * ex[1]));
    /* spec L35 7.7b (independent): E x = 2, E y = 2/(3 pi), E r^2 = 9.75 pi^2, Var x 43.8643, Var y 48.3193 */
    check_close("L35.7.7b.moments_quadrature_exact", fabs(ex[0] - 2.0) + fabs(ex[1] - 2.0 / (3 * M_PI)) +
                fabs(ex[4] - 9.75 * M_PI * M_PI), 0.0, 1e-9, "L35.7.7b.swissroll",
                "quadrature E x, E y, E r^2 vs closed forms 2, 2/(3 pi), 9.75 pi^2 (sum of |differences|)");
    check_close("L35.7.7b.var_x", ex[2] - ex[0] * ex[0], 43.8643, 1e-4, "L35.7.7b.swissroll",
                "Var x by quadrature (spec 43.8643)");
    check_close("L35.7.7b.var_y", ex[3] - ex[1] * ex[1], 48.3193, 1e-4, "L35.7.7b.swissroll",
                "Var y by quadrature (spec 48.3193)");
    const char *ids[5] = {"L35.7.7b.sample_mean_x", "L35.7.7b.sample_mean_y", "L35.7.7b.sample_mean_x2",
                          "L35.7.7b.sample_mean_y2", "L35.7.7b.sample_mean_r2"};
    for (int j = 0; j < 5; j++) {
        double mean = m1[j] / n_mom, var = m2[j] / n_mom - mean * mean;
        check_mc(ids[j], mean, ex[j], sqrt(var / n_mom), 4, n_mom, "L35.7.7b.swissroll",
                 "sample mean of %s from the lecture's generator vs the integral over t (SE from samples)",
                 names[j]);
    }
    return data_sd;
}

/*: ## 7.7b The exact score of the smoothed roll, by quadrature along the curve

$q_\sigma(x) = \frac{1}{3\pi}\int \mathcal N(x;\, c(t), \sigma^2 I)\,dt$. With $K$ midpoint nodes
$t_k$ the integral becomes a mixture of $K$ equal Gaussians, whose log-density and score are

$$ \log q_\sigma(x) \approx \operatorname{lse}_k\Big(-\frac{\lVert x - c(t_k)\rVert^2}{2\sigma^2}\Big) - \log K - \log(2\pi\sigma^2),\qquad
   \nabla\log q_\sigma(x) \approx \sum_k r_k(x)\,\frac{c(t_k) - x}{\sigma^2} $$ {#eq:L35.7.7b.quadrature_score}

with responsibilities $r_k = \operatorname{softmax}_k(-\lVert x - c_k\rVert^2/2\sigma^2)$. The nodes
must be closer than $\sigma$ along the curve: the speed is $\lVert c'(t)\rVert = \sqrt{1+t^2} \le 14.2$,
so $K = 4000$ gives an arc spacing of at most 0.033 (below $\sigma_\text{min} = 0.1$).
*/
typedef struct {
    int K;
    double *cx, *cy;
} Curve;

static Curve curve_new(int K) {
    Curve c = {K, xmalloc(sizeof(double) * K), xmalloc(sizeof(double) * K)};
    for (int k = 0; k < K; k++) {
        double p[2];
        curve_point(T_LO + (T_HI - T_LO) * (k + 0.5) / K, p);
        c.cx[k] = p[0], c.cy[k] = p[1];
    }
    return c;
}
static void curve_free(Curve *c) { free(c->cx), free(c->cy); }

static double ref_logq(const Curve *c, const double *x, double sigma, double *score) {
    double m = -INFINITY;
    for (int k = 0; k < c->K; k++) {
        double dx = c->cx[k] - x[0], dy = c->cy[k] - x[1];
        //: $\max_k -\lVert x - c_k\rVert^2/2\sigma^2$ (the shift of the lse)
        m = fmax(m, -(dx * dx + dy * dy) / (2 * sigma * sigma));
    }
    double z = 0, sx = 0, sy = 0;
    for (int k = 0; k < c->K; k++) {
        double dx = c->cx[k] - x[0], dy = c->cy[k] - x[1];
        //: unnormalised $r_k$, [eq:L35.7.7b.quadrature_score]
        double w = exp(-(dx * dx + dy * dy) / (2 * sigma * sigma) - m);
        z += w, sx += w * dx, sy += w * dy;
    }
    if (score) {
        //: $\sum_k r_k (c_k - x)/\sigma^2$, eq. [eq:L35.7.7b.quadrature_score]
        score[0] = sx / z / (sigma * sigma);
        score[1] = sy / z / (sigma * sigma);
    }
    //: $\log q_\sigma = \operatorname{lse} - \log K - \log(2\pi\sigma^2)$, [eq:L35.7.7b.quadrature_score]
    return m + log(z) - log((double)c->K) - log(2 * M_PI * sigma * sigma);
}

/* Score callback for langevin.h: ctx = array of L curves, one per level (chosen by sigma). */
typedef struct {
    const Curve *curves;
    const double *sigmas;
    int n_levels;
} RefCtx;

static void ref_langevin_score(const double *x, size_t n, size_t dim, double sigma, double *s, void *ctx) {
    (void)dim;
    const RefCtx *rc = ctx;
    int level = 0;
    while (level + 1 < rc->n_levels && rc->sigmas[level] != sigma) level++;
    for (size_t i = 0; i < n; i++) ref_logq(&rc->curves[level], x + 2 * i, sigma, s + 2 * i);
}

/* Distance to the curve and the nearest t, on a fine t grid. */
static double nearest_on_curve(const Curve *fine, const double *x, int *k_best) {
    double best = INFINITY;
    for (int k = 0; k < fine->K; k++) {
        double dx = fine->cx[k] - x[0], dy = fine->cy[k] - x[1], d2 = dx * dx + dy * dy;
        if (d2 < best) best = d2, *k_best = k;
    }
    return sqrt(best);
}

/* Median distance to the curve and the fractions of samples nearest to each third of t. */
static double curve_stats(const Curve *fine, const double *x, long n, double *thirds, long *n_bad) {
    double *dist = xmalloc(sizeof(double) * n);
    long m = 0;
    thirds[0] = thirds[1] = thirds[2] = 0;
    *n_bad = 0;
    for (long i = 0; i < n; i++) {
        if (!isfinite(x[2 * i]) || !isfinite(x[2 * i + 1])) {
            (*n_bad)++;
            continue;
        }
        int k = 0;
        dist[m++] = nearest_on_curve(fine, x + 2 * i, &k);
        thirds[3 * k / fine->K] += 1.0;
    }
    for (int j = 0; j < 3; j++) thirds[j] /= m > 0 ? m : 1;
    double med = m > 0 ? stats_quantile(dist, (size_t)m, 0.5) : NAN;
    free(dist);
    return med;
}

/* The reference score: central finite differences of log q_sigma, and convergence in K. */
static void quadrature_score_checks(const Curve *ref) {
    const double pts[3][2] = {{3.0, -4.0}, {-8.0, 2.5}, {10.0, 6.0}};
    double worst = 0, conv = 0;
    Curve ref2 = curve_new(8000);
    for (int i = 0; i < L; i++)
        for (int p = 0; p < 3; p++) {
            double s[2], s2[2];
            ref_logq(ref, pts[p], SIGMA[i], s);
            ref_logq(&ref2, pts[p], SIGMA[i], s2);
            const double h = 1e-5 * SIGMA[i];
            for (int a = 0; a < 2; a++) {
                double xp[2] = {pts[p][0], pts[p][1]}, xm[2] = {pts[p][0], pts[p][1]};
                xp[a] += h, xm[a] -= h;
                double fd = (ref_logq(ref, xp, SIGMA[i], NULL) - ref_logq(ref, xm, SIGMA[i], NULL)) / (2 * h);
                worst = fmax(worst, fabs(fd - s[a]) / fmax(1.0, fabs(s[a])));
                conv = fmax(conv, fabs(s2[a] - s[a]) * SIGMA[i]);
            }
        }
    curve_free(&ref2);
    check_le("L35.7.7b.quadrature_score_fd", worst, 1e-6, 0.0, "L35.7.7b.quadrature_score",
             "max |score - central FD of log q_sigma| (relative above 1) at 3 points x 5 levels");
    check_le("L35.7.7b.quadrature_converged", conv, 1e-4, 0.0, "L35.7.7b.quadrature_score",
             "max sigma |score(K = 4000) - score(K = 8000)| at the same points");
}

/* The CPU path of the learned-score ALD (gpu_or_cpu.h calls it): common/langevin in double. */
typedef struct {
    const NcsnNet *net;
    uint64_t seed;
} CpuSampler;

static void cpu_sample(void *ctx, double *x, long n) {
    const CpuSampler *c = ctx;
    LangevinParams lp;
    ncsn_ald_params(&lp, (size_t)n, D, ncsn_langevin_score, (void *)c->net, SIGMA, L, ALPHA_SCALE, T_LEVEL,
                    c->seed);
    langevin_run(&lp, x, NULL);
}

/*: ## 7.7b The lecture's noise list

$[5, 2.5, 1, 0.5, 0.1]$ is not geometric (ratios 2, 2.5, 2, 5), and $\sigma_\text{max} = 5$ is
far below the largest distance between data points (the roll spans about 28), against the
rule $\sigma_1 \approx$ max pairwise distance of Song & Ermon (2020) (spec E18). The ablation
at the end shows the consequence.
*/
static void noise_list(void) {
    double ratio_min = INFINITY, ratio_max = 0;
    for (int i = 0; i + 1 < L; i++) {
        ratio_min = fmin(ratio_min, SIGMA[i] / SIGMA[i + 1]);
        ratio_max = fmax(ratio_max, SIGMA[i] / SIGMA[i + 1]);
    }
    double c1[2], c2[2], diam = 0;
    Curve coarse = curve_new(600);
    for (int a = 0; a < coarse.K; a++)
        for (int b = a + 1; b < coarse.K; b++) {
            c1[0] = coarse.cx[a], c1[1] = coarse.cy[a], c2[0] = coarse.cx[b], c2[1] = coarse.cy[b];
            diam = fmax(diam, hypot(c1[0] - c2[0], c1[1] - c2[1]));
        }
    curve_free(&coarse);
    printf("noise list ratios between %.2f and %.2f; largest distance between roll points %.2f\n", ratio_min,
           ratio_max, diam);
    check_erratum("L35.7.7b.sigma_max_vs_diameter", SIGMA[0], diam,
                  "7.7b uses sigma_max = 5; the guideline sigma_1 ~ max pairwise distance of the data gives %.1f",
                  diam);
}

/*: ## 7.7b Training the NCSN

What the small levels ask of the network: at $\sigma = 0.1$ the optimal
$\hat\epsilon(x, \sigma) = (x - \mathbb E[c \mid x])/\sigma$ is, across the roll, the signed
distance to the curve divided by $\sigma$, so the weighted error below 0.2 needs the curve
located to $\sqrt{0.2}\,\sigma \approx 0.045$ along all 89 units of its length (0.2 % of the
data's range). The 3-layer tanh MLP of 5.2 does not get there in any budget tried; the
network used here (4 hidden layers of 64 SiLU units, noise input $\gamma(\sigma)\in[-1,1]$,
32 points x 5 levels per step, 4000 steps) came out of a measured comparison of
architectures and budgets, recorded in this lecture's README ("How the swiss-roll network
was chosen"; rerun any row with `--layers`, `--act`, `--hidden`, `--steps`, `--batch`,
`--lr`). The rate decays along a cosine from $6\cdot10^{-3}$ to $10^{-5}$.
The input scale is $1/s_x$ with $s_x^2 = (\mathrm{Var}\,x_1 + \mathrm{Var}\,x_2)/2$ from
the quadrature moments above.
*/
/* The architecture and budget flags of the README's comparison. */
typedef struct {
    int hidden, layers, batch, silu;
    long steps;
    double lr;
} Arch;

static bool train(const Cli *cli, const Arch *arch, double data_sd, NcsnNet *net) {
    char err[256];
    Rng init_rng;
    rng_init(&init_rng, cli->seed, 0);
    ncsn_init_deep(net, D, arch->hidden, arch->layers, arch->silu ? NN_ACT_SILU : NN_ACT_TANH, AD_F32, &init_rng);
    //: input $x/s_x$
    net->input_scale = 1.0 / data_sd;
    //: $\gamma(\sigma)$, [eq:common.ncsn.cond]
    ncsn_set_sigma_range(net, SIGMA[L - 1], SIGMA[0]);
    const long steps = arch->steps;
    double *losses = xmalloc(sizeof(double) * steps);
    //: Adam with cosine decay on the $\sigma^2$-weighted NCSN loss, [eq:common.ncsn.loss]
    NcsnTrainConfig tc = {steps, arch->batch, arch->lr, 1e-5, cli->seed, "NCSN swiss roll"};
    if (ncsn_train(net, SIGMA, L, sample_swissroll, NULL, &tc, losses, err, sizeof err) != 0) {
        check_true("L35.7.7b.training_finite", false, "%s", err);
        free(losses);
        return false;
    }
    for (long s = steps / 5 - 1; s < steps; s += steps / 5) printf("step %5ld: NCSN loss %.4f\n", s + 1, losses[s]);
    free(losses);
    return true;
}

/*: ## 7.7b The learned score against the quadrature score, level by level

$\sigma^2\,\mathbb E_{q_\sigma}\lVert s_\theta - \nabla\log q_\sigma\rVert^2 = \mathbb E\lVert\hat\epsilon_\theta + \sigma\nabla\log q_\sigma\rVert^2$
(bar 0.2 at every level, spec L35 7.7b; the zero network's value is $\sigma^2 J(q_\sigma)$,
about 1 at the small levels, printed for scale). The `--quick` smoke run trains 300 steps
and is only held to beating the zero network at every level.
*/
static void level_errors(const Cli *cli, const NcsnNet *net, const Curve *ref) {
    const long n_eval = cli_scale(cli, 200, 1500, 4000); /* per level */
    double worst_mse = 0, worst_vs_zero = 0;
    Rng r;
    rng_init(&r, cli->seed, 31);
    double *xt = xmalloc(sizeof(double) * D * n_eval), *eh = xmalloc(sizeof(double) * D * n_eval);
    printf("level | sigma | weighted error | zero-net error sigma^2 J\n");
    for (int i = 0; i < L; i++) {
        for (long k = 0; k < n_eval; k++) {
            sample_swissroll(&r, xt + 2 * k, 1, NULL);
            //: $\tilde x = x + \sigma_i\epsilon$
            for (int a = 0; a < D; a++) xt[2 * k + a] += SIGMA[i] * rng_normal(&r);
        }
        ncsn_eval(net, xt, n_eval, SIGMA[i], eh, NULL);
        double mse = 0, j0 = 0;
        for (long k = 0; k < n_eval; k++) {
            double s[2];
            ref_logq(ref, xt + 2 * k, SIGMA[i], s);
            for (int a = 0; a < D; a++) {
                //: $\hat\epsilon_\theta + \sigma\nabla\log q_\sigma$
                double e = eh[2 * k + a] + SIGMA[i] * s[a];
                mse += e * e / n_eval;
                //: zero network: $\sigma^2\lVert\nabla\log q_\sigma\rVert^2$, mean $\sigma^2 J(q_\sigma)$
                j0 += SIGMA[i] * SIGMA[i] * s[a] * s[a] / n_eval;
            }
        }
        worst_mse = fmax(worst_mse, mse);
        worst_vs_zero = fmax(worst_vs_zero, mse / j0);
        printf("%5d | %5.2f | %.4f         | %.4f\n", i + 1, SIGMA[i], mse, j0);
    }
    free(xt), free(eh);
    if (cli->scale == SCALE_QUICK)
        check_le("L35.7.7b.every_level_beats_zero", worst_vs_zero, 1.0, 0.0, "common.ncsn.loss",
                 "quick smoke run: largest ratio (weighted error of s_theta) / (that of s = 0) over the 5 levels");
    else
        check_le("L35.7.7b.level_weighted_mse", worst_mse, 0.2, 0.0, "common.ncsn.loss",
                 "largest sigma^2 E_q|s_theta - grad log q_sigma|^2 over the 5 levels, sigma = 5 .. 0.1 "
                 "(quadrature reference; bar 0.2, spec L35 7.7b)");
}

/*: ## 7.7b Annealed Langevin with the learned score

5.3's sampler on the lecture's noise list. A sample is judged by its distance to the curve
and by which third of $t$ its nearest curve point lies in: under the data each third has
probability 1/3.

**Is the lecture's step sound here?** Across the roll $q_{\sigma}$ is locally
$\mathcal N(0, \sigma^2)$ in the normal coordinate (the turns are $2\pi$ apart and the radius of
curvature is at least $4.7 \gg \sigma_i$ for $i \ge 3$). ULA on that Gaussian contracts by
$1 - \alpha_i/\sigma_i^2 = 0.9$ per step, so 100 steps forget the start ($0.9^{100} \approx
3\cdot10^{-5}$), and its stationary variance is
$$ v = \frac{2\alpha}{1 - (1 - \alpha/\sigma^2)^2} = \frac{\sigma^2}{1 - \alpha/(2\sigma^2)} = \frac{\sigma^2}{0.95}, $$ {#eq:L35.7.7b.ula_variance}
only 2.6 % wider in standard deviation than $q_\sigma$. So with the exact score the final
level leaves samples at a median distance $m^* = 0.6745\,\sigma_L/\sqrt{0.95} = 0.069$ from the
curve (the ablation below confirms it). No final denoising (Tweedie) step is needed or used.
Bars: the spec's median $< 0.3$, and the tighter $\le 2m^*$ (samples at least as sharp as
$q_{2\sigma_L}$); the quick smoke run only has to beat the data blurred at $\sigma_1$.
*/
static double *ald_learned(const Cli *cli, GpuContext *g, const NcsnNet *net, const Curve *fine, long n_ald) {
    char err[256];
    const int quick = cli->scale == SCALE_QUICK;
    double *x_ald = xmalloc(sizeof(double) * D * n_ald);
    ncsn_init_wide(x_ald, n_ald, D, cli->seed ^ 0x51, SIGMA[0]);
    GpuMlp gm;
    GpuMlpPhase phases[L];
    if (gpu_ncsn_sampler(net, SIGMA, L, ALPHA_SCALE, T_LEVEL, &gm, phases, err, sizeof err)) die("%s", err);
    CpuSampler cpu = {net, cli->seed ^ 0x52};
    const GocSample job = {NULL, 0, NULL, &gm, phases, L, cli->seed ^ 0x52, cpu_sample, &cpu};
    //: ALD with $s_\theta(x, \sigma_i) = -\hat\epsilon_\theta/\sigma_i$, $\alpha_i = 0.1\sigma_i^2$, $T = 100$
    const int on_gpu = goc_sample(g, &job, x_ald, n_ald) == GOC_GPU;
    double thirds[3];
    long n_bad;
    double med = curve_stats(fine, x_ald, n_ald, thirds, &n_bad);
    printf("ALD with the learned NCSN (%s, %ld chains): median distance to the roll %.3f, thirds %.3f %.3f %.3f, "
           "non-finite %ld\n", on_gpu ? "GPU" : "CPU", n_ald, med, thirds[0], thirds[1], thirds[2], n_bad);
    check_true("L35.7.7b.ald_finite", n_bad == 0, "no ALD chain is non-finite");
    //: $m^* = 0.6745\,\sqrt{v}$ at $\sigma_L$, eq. [eq:L35.7.7b.ula_variance]
    //: $\alpha_L = 0.1\sigma_L^2$
    const double alpha_last = ALPHA_SCALE * SIGMA[L - 1] * SIGMA[L - 1];
    const double m_star = 0.6744897501960817 * SIGMA[L - 1] / sqrt(1.0 - alpha_last / (2.0 * SIGMA[L - 1] * SIGMA[L - 1]));
    printf("stationary median distance of exact-score ULA at sigma_L = %.1f: m* = %.4f\n", SIGMA[L - 1], m_star);
    if (quick) {
        /* Smoke reference: the median distance of data blurred at the first level, sigma = 5. */
        Rng r;
        rng_init(&r, cli->seed, 32);
        double *xb = xmalloc(sizeof(double) * D * n_ald), th[3];
        long nb;
        for (long k = 0; k < n_ald; k++) {
            sample_swissroll(&r, xb + 2 * k, 1, NULL);
            //: data blurred at $\sigma_1$
            for (int a = 0; a < D; a++) xb[2 * k + a] += SIGMA[0] * rng_normal(&r);
        }
        double med_ref = curve_stats(fine, xb, n_ald, th, &nb);
        free(xb);
        check_le("L35.7.7b.ald_median_dist_to_curve", med, med_ref, 0.0, "common.ncsn.eps_param",
                 "quick smoke run: median distance of the ALD samples to the roll <= that of data blurred "
                 "with sigma = 5 (%.2f)", med_ref);
    } else {
        check_le("L35.7.7b.ald_median_dist_to_curve", med, 0.3, 0.0, "common.ncsn.eps_param",
                 "median distance of the ALD samples (learned score) to the roll (bar 0.3, spec L35 7.7b)");
        check_le("L35.7.7b.ald_median_vs_exact_ula", med, 2.0 * m_star, 0.0, "L35.7.7b.ula_variance",
                 "the same median <= 2 m*, m* = %.4f the exact-score sampler's stationary median at sigma_L",
                 m_star);
    }
    for (int j = 0; j < 3; j++) {
        char id[64];
        snprintf(id, sizeof id, "L35.7.7b.coverage_third_%d", j + 1);
        check_close(id, thirds[j], 1.0 / 3.0, 0.07 + (quick ? 0.1 : 0.0), "L35.7.7b.swissroll",
                    "fraction of samples nearest to turn %d of the roll (data: 1/3; bar +-0.07, spec L35 7.7b%s)",
                    j + 1, quick ? "; +-0.17 in the quick smoke run" : "");
    }
    gpu_mlp_free(&gm);
    return x_ald;
}

/*: ## 7.7b Ablation: how large should $\sigma_\text{max}$ be?

ALD with the *exact* quadrature scores (so the network plays no part), started from
$\mathcal N(0, \sigma_1^2 I)$, for the lecture's list and for the same list with
$\sigma = 15$ prepended (nodes per level $K \approx 400/\sigma$, at least 40).
*/
static void ablation(const Cli *cli, const Curve *fine) {
    const long n_abl = cli_scale(cli, 50, 300, 1000);
    const double with15[L + 1] = {15.0, 5.0, 2.5, 1.0, 0.5, 0.1};
    const double *lists[2] = {SIGMA, with15};
    const int nlev[2] = {L, L + 1};
    for (int v = 0; v < 2; v++) {
        Curve curves[L + 1];
        for (int i = 0; i < nlev[v]; i++) {
            int K = (int)ceil(400.0 / lists[v][i]);
            curves[i] = curve_new(K < 40 ? 40 : K);
        }
        RefCtx rc = {curves, lists[v], nlev[v]};
        double *xa = xmalloc(sizeof(double) * D * n_abl);
        ncsn_init_wide(xa, n_abl, D, cli->seed ^ (0x61 + v), lists[v][0]);
        LangevinParams lp;
        //: ALD with the quadrature scores, [eq:L35.7.7b.quadrature_score]
        ncsn_ald_params(&lp, (size_t)n_abl, D, ref_langevin_score, &rc, lists[v], nlev[v], ALPHA_SCALE, T_LEVEL,
                        cli->seed ^ (0x63 + v));
        langevin_run(&lp, xa, NULL);
        double th[3];
        long nb;
        double md = curve_stats(fine, xa, n_abl, th, &nb);
        printf("exact-score ALD, sigma_max = %4.1f (%ld chains): median distance %.3f, thirds %.3f %.3f %.3f\n",
               lists[v][0], n_abl, md, th[0], th[1], th[2]);
        if (v == 1)
            check_mc("L35.7.7b.ablation_sigma15_outer_third", th[2], 1.0 / 3.0, sqrt(2.0 / 9.0 / n_abl), 4,
                     n_abl, "L35.7.7b.quadrature_score",
                     "exact-score ALD from sigma_max = 15: outer-turn fraction is 1/3 (binomial SE)");
        for (int i = 0; i < nlev[v]; i++) curve_free(&curves[i]);
        free(xa);
    }
}

/*: ## 7.7b Figure

`swissroll_ncsn.png`: the ALD samples over the data, and the learned score at $\sigma = 1$.
*/
static void figure(const Cli *cli, const NcsnNet *net, const double *x_ald, long n_ald) {
    char err[256];
    Plot *plot = plot_new_grid(1, 2, 1300, 620, "7.7b: NCSN on the swiss roll");
    plot_panel(plot, 0);
    plot_title(plot, "ALD samples (learned score) over the data");
    long nd = 3000;
    double *dx = xmalloc(sizeof(double) * nd), *dy = xmalloc(sizeof(double) * nd);
    Rng r;
    rng_init(&r, cli->seed, 40);
    for (long i = 0; i < nd; i++) {
        double p[2];
        sample_swissroll(&r, p, 1, NULL);
        dx[i] = p[0], dy[i] = p[1];
    }
    PlotSeries *sd = plot_scatter(plot, dx, dy, (int)nd, "data");
    plot_series_color(sd, PLOT_GRAY);
    plot_series_marker(sd, 1.5);
    long ns = n_ald < 3000 ? n_ald : 3000;
    double *sx = xmalloc(sizeof(double) * ns), *sy = xmalloc(sizeof(double) * ns);
    for (long i = 0; i < ns; i++) sx[i] = x_ald[2 * i], sy[i] = x_ald[2 * i + 1];
    PlotSeries *ss = plot_scatter(plot, sx, sy, (int)ns, "ALD samples");
    plot_series_color(ss, PLOT_RED);
    plot_series_marker(ss, 1.8);
    plot_series_alpha(ss, 0.6);
    plot_xlim(plot, -15, 16);
    plot_ylim(plot, -15, 15.5);
    plot_xlabel(plot, "x1");
    plot_ylabel(plot, "x2");
    plot_panel(plot, 1);
    plot_title(plot, "learned score s_theta(x, sigma = 1)");
    enum { NX = 32, NY = 31 };
    static double grid[NX * NY * 2], sc[NX * NY * 2], u[NX * NY], w[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++)
            grid[2 * (j * NX + i)] = -15 + 31.0 * i / (NX - 1), grid[2 * (j * NX + i) + 1] = -15 + 30.0 * j / (NY - 1);
    ncsn_eval(net, grid, NX * NY, 1.0, NULL, sc);
    for (int k = 0; k < NX * NY; k++) u[k] = sc[2 * k], w[k] = sc[2 * k + 1];
    PlotSeries *f = plot_vector_field(plot, u, w, NX, NY, -15, 16, -15, 15, NULL);
    plot_series_color_by_magnitude(f, 1);
    PlotSeries *sd2 = plot_scatter(plot, dx, dy, (int)nd, "data");
    plot_series_color(sd2, PLOT_GRAY);
    plot_series_marker(sd2, 1.0);
    plot_xlabel(plot, "x1");
    plot_ylabel(plot, "x2");
    if (plot_save(plot, cli_out_path(cli, "swissroll_ncsn.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
    free(dx), free(dy), free(sx), free(sy);
}

int main(int argc, char **argv) {
    Cli cli;
    int hidden_flag = 0;
    Arch arch = {0, 5, 32, 1, 0, 6e-3};
    const char *act_flag = "silu";
    const CliExtra extras[] = {{"--hidden", CLI_INT, &hidden_flag, "hidden width (default by scale)"},
                               {"--layers", CLI_INT, &arch.layers, "linear layers, 2..6 (5: four hidden layers)"},
                               {"--act", CLI_STRING, &act_flag, "activation: silu (default) or tanh"},
                               {"--steps", CLI_LONG, &arch.steps, "training steps (default by scale)"},
                               {"--batch", CLI_INT, &arch.batch, "data points per step, each at all 5 levels (32)"},
                               {"--lr", CLI_DOUBLE, &arch.lr, "initial Adam learning rate, cosine decay to 1e-5 (6e-3)"},
                               {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 7.7b: NCSN on the swiss roll, exact scores by quadrature, annealed Langevin", 35077,
              extras);
    arch.hidden = hidden_flag > 0 ? hidden_flag : (int)cli_scale(&cli, 32, 64, 64);
    arch.steps = arch.steps > 0 ? arch.steps : cli_scale(&cli, 300, 4000, 12000);
    arch.silu = strcmp(act_flag, "tanh") != 0;
    if ((arch.silu && strcmp(act_flag, "silu") != 0) || arch.layers < 2 || arch.layers > 6 || arch.batch < 1) {
        fprintf(stderr, "--act must be silu or tanh, --layers 2..6, --batch >= 1\n");
        return 2;
    }
    char why[256] = "";
    GpuContext *g = gpu_open(cli.gpu, NULL, why, sizeof why);
    const double data_sd = generator_moments(&cli);
    noise_list();
    Curve ref = curve_new(4000);
    quadrature_score_checks(&ref);
    NcsnNet net;
    if (train(&cli, &arch, data_sd, &net)) {
        level_errors(&cli, &net, &ref);
        Curve fine = curve_new(20000);
        const long n_ald = cli_scale(&cli, 200, 2000, 5000);
        double *x_ald = ald_learned(&cli, g, &net, &fine, n_ald);
        ablation(&cli, &fine);
        figure(&cli, &net, x_ald, n_ald);
        curve_free(&fine);
        free(x_ald);
    }
    ncsn_free(&net);
    curve_free(&ref);
    gpu_close(g);
    return check_end();
}
