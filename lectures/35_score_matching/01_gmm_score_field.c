/*: # L35 4.2–4.3 — The score of a Gaussian mixture, and why it needs log-sum-exp

**Lecture 35, Part 2, sections 4.2 (analytic score), 4.3 (visualising the score field) and 7.1
insight 1** (the normaliser $Z$ drops out of the score), with comprehension check 85 %-1
(numerical stability of the score).

The data of the whole lecture is the two-component mixture
$p(x) = \tfrac12\mathcal N(x; \mu_1, I) + \tfrac12\mathcal N(x; \mu_2, I)$ in $d = 2$ with
$\mu_1 = (-2, 0)$, $\mu_2 = (2, 0)$. Its score $\nabla_x\log p$ is what the network of program 02
learns and what the Langevin sampler follows. A denoising network trained at noise level
$\sigma$ learns instead the score of the *perturbed* density
$q_\sigma = p * \mathcal N(0, \sigma^2 I)$, the same mixture with covariance $(1+\sigma^2)I$.

What you will see: the clean and the $\sigma = 0.5$ perturbed score at the lecture's four test
points; the score checked against finite differences of $\log p$ on the lecture's 35 x 21 grid;
its curl (zero: a score is a gradient); the statement "the score is zero on $x_1 = 0$" corrected
(only its first component is); $Z$ cancelling out; and the lecture's naive formula returning
NaN = 0/0 far from the modes, in double at $(50, 0)$ and in float at $(12, 12)$, where the
log-space formula gives the right answer.
Figure: `score_field.png`, the clean field next to the $\sigma = 0.5$ perturbed one.

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/01_gmm_score_field [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | (2) |
| $\mu_1, \mu_2$ | `mu` | (2, 2) |
| $p$ (data mixture) | `data` (`Gmm`) | — |
| $q_\sigma$ (perturbed mixture) | `perturbed` (`Gmm`) | — |
| $\nabla_x\log p(x)$ | `score` | (2) |
| $w_i = e^{-\lVert x-\mu_i\rVert^2/2}$ | `w1`, `w2` | scalars |
| $\sigma$ | `sigma` | scalar |
*/
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/plot.h"
#include "common/util.h"

enum { D = 2, NX = 35, NY = 21 };
static const double MU[2][D] = {{-2.0, 0.0}, {2.0, 0.0}};

/*: ## 4.2 The analytic score, as the lecture writes it

$$ \nabla_x\log p(x) = \frac{\sum_i w_i(x)\,(\mu_i - x)}{\sum_j w_j(x)},\qquad
   w_i(x) = e^{-\frac12\lVert x - \mu_i\rVert^2} $$ {#eq:L35.4.2.gmm_score_naive}

Mathematically fine; numerically both $w_i$ underflow to 0 once
$\tfrac12\lVert x-\mu_i\rVert^2 > 745$ (double) or $> 103$ (float), and the ratio becomes
$0/0$ = NaN. The versions below keep the lecture's arithmetic, in double and in float.
*/
static void score_naive(const double *x, double *score) {
    double d1[D], d2[D];
    for (int a = 0; a < D; a++) d1[a] = x[a] - MU[0][a], d2[a] = x[a] - MU[1][a];
    //: $w_i = e^{-\lVert x-\mu_i\rVert^2/2}$, eq. [eq:L35.4.2.gmm_score_naive]
    double w1 = exp(-0.5 * (d1[0] * d1[0] + d1[1] * d1[1]));
    double w2 = exp(-0.5 * (d2[0] * d2[0] + d2[1] * d2[1]));
    //: $s = (w_1(\mu_1 - x) + w_2(\mu_2 - x)) / (w_1 + w_2)$
    for (int a = 0; a < D; a++) score[a] = (w1 * -d1[a] + w2 * -d2[a]) / (w1 + w2);
}

static void score_naive_f32(const float *x, float *score) {
    float d1[D], d2[D];
    for (int a = 0; a < D; a++) d1[a] = x[a] - (float)MU[0][a], d2[a] = x[a] - (float)MU[1][a];
    //: $w_i$ in float, [eq:L35.4.2.gmm_score_naive]
    float w1 = expf(-0.5f * (d1[0] * d1[0] + d1[1] * d1[1]));
    float w2 = expf(-0.5f * (d2[0] * d2[0] + d2[1] * d2[1]));
    //: $s = \sum_i w_i(\mu_i - x)/\sum_j w_j$ in float, [eq:L35.4.2.gmm_score_naive]
    for (int a = 0; a < D; a++) score[a] = (w1 * -d1[a] + w2 * -d2[a]) / (w1 + w2);
}

/*: ## 4.2 The stable score: responsibilities in log space

Write $w_i = e^{\ell_i}$ with $\ell_i = \log\pi_i - \tfrac12\lVert x-\mu_i\rVert^2$. The
weights enter only through the responsibilities
$r_i = w_i/\sum_j w_j = \operatorname{softmax}(\ell)_i$, computed after subtracting
$\max_j \ell_j$, so the largest one is $e^0 = 1$ and nothing is $0/0$:

$$ \nabla_x\log p(x) = \sum_i r_i(x)\,(\mu_i - x),\qquad r = \operatorname{softmax}(\ell) $$ {#eq:L35.4.2.gmm_score_stable}

`gmm_score` of common/gauss.h does exactly this (for any diagonal covariances). For this
symmetric pair it reduces to a closed form that the checks below use as an independent
reference: $r_2 - r_1 = \tanh(2x_1)$, so

$$ \nabla_x\log p(x) = \big(-x_1 + 2\tanh(2x_1),\ -x_2\big), \qquad
   \nabla_x\log q_\sigma(x) = \Big(\frac{-x_1 + 2\tanh(2x_1/v)}{v},\ \frac{-x_2}{v}\Big),\ v = 1+\sigma^2 . $$ {#eq:L35.4.2.gmm_score_tanh}
*/
/* The tanh form lives once in common/gauss.h (gmm_pair_perturbed_score, mode distance 2; the
   perturbed score of program 02, eq. [eq:L35.4.2.perturbed_score]); sigma = 0 gives p. */
static void score_tanh(const double *x, double sigma, double *score) {
    //: eq. [eq:L35.4.2.gmm_score_tanh]
    gmm_pair_perturbed_score(x, D, 2.0, sigma, score);
}

static void score_stable_f32(const float *x, float *score) {
    float ell[2], r[2];
    for (int i = 0; i < 2; i++) {
        float dx = x[0] - (float)MU[i][0], dy = x[1] - (float)MU[i][1];
        ell[i] = -0.5f * (dx * dx + dy * dy);
    }
    //: $r = \operatorname{softmax}(\ell)$ after subtracting $\max\ell$, eq. [eq:L35.4.2.gmm_score_stable]
    float m = fmaxf(ell[0], ell[1]);
    float e0 = expf(ell[0] - m), e1 = expf(ell[1] - m);
    r[0] = e0 / (e0 + e1), r[1] = e1 / (e0 + e1);
    //: $\sum_i r_i(\mu_i - x)$, [eq:L35.4.2.gmm_score_stable]
    for (int a = 0; a < D; a++)
        score[a] = r[0] * ((float)MU[0][a] - x[a]) + r[1] * ((float)MU[1][a] - x[a]);
}

/*: ## 7.1 insight 1: the normaliser cancels

For $p = \tilde p/Z$ with $\tilde p = e^{-E}$,

$$ \nabla_x\log p(x) = \nabla_x\log\tilde p(x) - \underbrace{\nabla_x\log Z}_{0} = -\nabla_x E(x) $$ {#eq:L35.7.1.z_cancels}

Numerically: the central difference of $\log(c\,\tilde p)$ is the same for any constant $c$.
Here $E(x) = -\log(e^{-\lVert x-\mu_1\rVert^2/2} + e^{-\lVert x-\mu_2\rVert^2/2})$ (unnormalised).
*/
static double log_c_ptilde(const double *x, double c) {
    double d1 = 0, d2 = 0;
    for (int a = 0; a < D; a++)
        d1 += (x[a] - MU[0][a]) * (x[a] - MU[0][a]), d2 += (x[a] - MU[1][a]) * (x[a] - MU[1][a]);
    //: $\log(c\,\tilde p) = \log c - E(x)$
    return log(c * (exp(-0.5 * d1) + exp(-0.5 * d2)));
}

static void fd_grad_log_c_ptilde(const double *x, double c, double h, double *g) {
    for (int a = 0; a < D; a++) {
        double xp[D] = {x[0], x[1]}, xm[D] = {x[0], x[1]};
        xp[a] += h, xm[a] -= h;
        //: central difference of $\log(c\,\tilde p)$
        g[a] = (log_c_ptilde(xp, c) - log_c_ptilde(xm, c)) / (2 * h);
    }
}

static void z_cancels(const Gmm *data) {
    const double points[4][D] = {{-3, 0}, {3, 0}, {0, 0}, {0, 2}};
    double z_gap = 0.0, energy_gap = 0.0;
    const double cs[3] = {1e-10, 1.0, 1e10};
    for (int k = 0; k < 4; k++) {
        double g1[D], gc[D], s[D];
        fd_grad_log_c_ptilde(points[k], 1.0, 1e-4, g1);
        gmm_score(data, points[k], s);
        for (int a = 0; a < D; a++) energy_gap = fmax(energy_gap, fabs(g1[a] - s[a]));
        for (int c = 0; c < 3; c++) {
            //: $\nabla\log(c\tilde p) = \nabla\log\tilde p$, [eq:L35.7.1.z_cancels]
            fd_grad_log_c_ptilde(points[k], cs[c], 1e-4, gc);
            for (int a = 0; a < D; a++) z_gap = fmax(z_gap, fabs(gc[a] - g1[a]));
        }
    }
    check_close("L35.7.1.Z_invariance", z_gap, 0.0, 1e-9, "L35.7.1.z_cancels",
                "max |FD grad log(c p~) - FD grad log p~| for c = 1e-10, 1, 1e10 at the 4 test points");
    check_close("L35.7.1.score_is_minus_grad_energy", energy_gap, 0.0, 1e-7, "L35.7.1.z_cancels",
                "FD gradient of the unnormalised log p~ = -grad E equals the normalised score");
}

/* The two fields on the lecture's grid, for the figure, and the scores on the line x1 = 0. */
typedef struct {
    double u_clean[NX * NY], v_clean[NX * NY], u_pert[NX * NY], v_pert[NX * NY];
    double boundary_s1, boundary_s2;
} Fields;

/*: ## 4.3 The lecture's test points

Clean score at $(\mp3, 0)$: $\pm(1 + 4/(1 + e^{12}))$, not exactly $\pm1$: the far mode still
pulls a little. The $\sigma=0.5$ perturbed score is what a DSM network actually learns
(program 02): $(0.800217, 0)$ at $(-3, 0)$ and $(0, -1.6)$ at $(0, 2)$ (spec L35 4.3).
*/
static void test_points(const Gmm *data, const Gmm *perturbed, double sigma) {
    const double points[4][D] = {{-3, 0}, {3, 0}, {0, 0}, {0, 2}};
    const double clean_ref[4][D] = {{1 + 4 / (1 + exp(12.0)), 0}, {-(1 + 4 / (1 + exp(12.0))), 0},
                                    {0, 0}, {0, -2}};
    const double pert_ref[4][D] = {{0.800217, 0}, {-0.800217, 0}, {0, 0}, {0, -1.6}};
    const char *names[4] = {"m3_0", "p3_0", "0_0", "0_2"};
    const double clean_tol[4] = {1e-7, 1e-7, 1e-15, 1e-12};
    printf("point       | clean score           | perturbed score (sigma=0.5) | |clean - perturbed|\n");
    double tanh_gap = 0.0;
    for (int k = 0; k < 4; k++) {
        double s[D], sq[D], st[D], sqt[D];
        //: $\nabla\log p$ and $\nabla\log q_\sigma$ in log space, [eq:L35.4.2.gmm_score_stable]
        gmm_score(data, points[k], s);
        gmm_score(perturbed, points[k], sq);
        //: the same in tanh form, [eq:L35.4.2.gmm_score_tanh]
        score_tanh(points[k], 0.0, st);
        score_tanh(points[k], sigma, sqt);
        for (int a = 0; a < D; a++) tanh_gap = fmax(tanh_gap, fmax(fabs(s[a] - st[a]), fabs(sq[a] - sqt[a])));
        printf("[%4.1f, %3.1f] | [%9.6f, %9.6f] | [%9.6f, %9.6f]      | %.4f\n", points[k][0],
               points[k][1], s[0], s[1], sq[0], sq[1], hypot(s[0] - sq[0], s[1] - sq[1]));
        char id[64];
        snprintf(id, sizeof id, "L35.4.3.score_%s", names[k]);
        check_close(id, hypot(s[0] - clean_ref[k][0], s[1] - clean_ref[k][1]), 0.0, clean_tol[k],
                    "L35.4.2.gmm_score_stable", "|score(%g,%g) - (%.7f, %g)|", points[k][0],
                    points[k][1], clean_ref[k][0], clean_ref[k][1]);
        snprintf(id, sizeof id, "L35.4.3.perturbed_%s", names[k]);
        check_close(id, hypot(sq[0] - pert_ref[k][0], sq[1] - pert_ref[k][1]), 0.0, 1e-6,
                    "L35.4.2.gmm_score_tanh",
                    "|perturbed score(%g,%g) - (%.6f, %g)| (sigma = 0.5, spec L35 4.3)",
                    points[k][0], points[k][1], pert_ref[k][0], pert_ref[k][1]);
    }
    check_close("L35.4.2.tanh_form", tanh_gap, 0.0, 1e-14, "L35.4.2.gmm_score_tanh",
                "log-space score equals the closed tanh form (clean and perturbed, 4 points)");
}

/*: ## 4.3 The score is the gradient of log p: finite differences and curl on the lecture's grid

Grid $x_1 = -5 + 0.3i$ ($i = 0..34$, so up to 5.2), $x_2 = -3 + 0.3j$ ($j = 0..20$): 735
points. Central differences of $\log p$ with $h = 10^{-5}$ have truncation error
$O(h^2)\approx10^{-10}$ and rounding error $O(10^{-16}/h) \approx 10^{-11}$. A gradient field
has a symmetric Jacobian: $\partial s_2/\partial x_1 = \partial s_1/\partial x_2$ (zero curl).
*/
static void gradient_and_curl(const Gmm *data, const Gmm *perturbed, Fields *f) {
    double fd_err = 0.0, curl = 0.0;
    const double h = 1e-5;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            const double x[D] = {-5.0 + 0.3 * i, -3.0 + 0.3 * j};
            double s[D], sq[D];
            gmm_score(data, x, s);
            gmm_score(perturbed, x, sq);
            f->u_clean[j * NX + i] = s[0], f->v_clean[j * NX + i] = s[1];
            f->u_pert[j * NX + i] = sq[0], f->v_pert[j * NX + i] = sq[1];
            double jac[D][D]; /* jac[a][b] = d s_a / d x_b */
            for (int b = 0; b < D; b++) {
                double xp[D] = {x[0], x[1]}, xm[D] = {x[0], x[1]}, sp[D], sm[D];
                xp[b] += h, xm[b] -= h;
                //: $\partial_b\log p$ by a central difference
                double fd = (gmm_logpdf(data, xp, NULL) - gmm_logpdf(data, xm, NULL)) / (2 * h);
                fd_err = fmax(fd_err, fabs(fd - s[b]));
                gmm_score(data, xp, sp);
                gmm_score(data, xm, sm);
                //: $\partial s_a/\partial x_b$ by a central difference
                for (int a = 0; a < D; a++) jac[a][b] = (sp[a] - sm[a]) / (2 * h);
            }
            //: curl $\partial s_2/\partial x_1 - \partial s_1/\partial x_2$
            curl = fmax(curl, fabs(jac[1][0] - jac[0][1]));
            if (i == 0) { /* the column x1 = 0 is not on this grid; evaluate it separately */
                const double xb[D] = {0.0, x[1]};
                double sb[D];
                gmm_score(data, xb, sb);
                f->boundary_s1 = fmax(f->boundary_s1, fabs(sb[0]));
                f->boundary_s2 = fmax(f->boundary_s2, fabs(sb[1] + xb[1]));
            }
        }
    check_close("L35.4.3.fd_gradient_of_logp", fd_err, 0.0, 1e-6, "L35.4.2.gmm_score_stable",
                "max over 735 grid points |central difference of log p (h=1e-5) - score|");
    check_close("L35.4.3.curl_true_score", curl, 0.0, 1e-6, "L35.4.2.gmm_score_stable",
                "max over the grid |d s2/d x1 - d s1/d x2| (a score field has no curl)");
}

/*: ## 4.3 "The score is zero on the boundary $x_1 = 0$" (4.3)

By symmetry $r_1 = r_2 = \tfrac12$ on $x_1 = 0$, so $s(0, x_2) = (0, -x_2)$: only the first
component vanishes; the field still points back to the axis $x_2 = 0$.
*/
static void boundary(const Gmm *data, const Fields *f) {
    const double boundary_s1 = f->boundary_s1, boundary_s2 = f->boundary_s2;
    const double point[D] = {0, 2};
    check_close("L35.4.3.x1_component_on_boundary", boundary_s1, 0.0, 0.0, "L35.4.2.gmm_score_stable",
            "max |s_1(0, y)| over the 21 grid values of y (exactly 0 by symmetry)");
check_close("L35.4.3.x2_component_on_boundary", boundary_s2, 0.0, 1e-14, "L35.4.2.gmm_score_stable",
            "max |s_2(0, y) + y| over the 21 grid values of y");
{
    double s[D];
    gmm_score(data, point, s);
    check_erratum("L35.4.3.boundary_score_zero", 0.0, hypot(s[0], s[1]),
                  "4.3 says the score is zero on x1 = 0; |s(0, 2)| = 2 (only s_1 vanishes)");
}

}

/*: ## 4.2 Comprehension check 85 %-1: where the naive formula breaks

At $x = (50, 0)$: $\tfrac12\lVert x-\mu_2\rVert^2 = 1152 > 745$, both weights are 0 in double.
At $x = (12, 12)$: $\tfrac12\lVert x - \mu_2\rVert^2 = 122 > 103$, both are 0 in float. The
log-space score tends to the nearest component's $\mu_2 - x$: $(-48, 0)$ and $(-10, -12)$.
*/
static void naive_breaks(const Gmm *data) {
    const double far[D] = {50.0, 0.0};
    double s_naive[D], s_stable[D];
    //: [eq:L35.4.2.gmm_score_naive] at (50, 0)
    score_naive(far, s_naive);
    gmm_score(data, far, s_stable);
    check_true("L35.4.2.naive_underflow_double", isnan(s_naive[0]) && isnan(s_naive[1]),
               "the lecture's naive score at (50, 0) in double is NaN = 0/0 (both weights underflow)");
    check_close("L35.4.2.stable_far_double", hypot(s_stable[0] + 48.0, s_stable[1]), 0.0, 1e-12,
                "L35.4.2.gmm_score_stable", "log-space score at (50, 0) equals (-48, 0)");
    const float far_f[D] = {12.0f, 12.0f};
    float sf_naive[D], sf_stable[D];
    score_naive_f32(far_f, sf_naive);
    //: [eq:L35.4.2.gmm_score_stable] in float at (12, 12)
    score_stable_f32(far_f, sf_stable);
    check_true("L35.4.2.naive_underflow_float32", isnan(sf_naive[0]) && isnan(sf_naive[1]),
               "the naive score at (12, 12) in float is NaN = 0/0 (both weights underflow)");
    check_close("L35.4.2.stable_far_float32",
                hypot((double)sf_stable[0] + 10.0, (double)sf_stable[1] + 12.0), 0.0, 1e-5,
                "L35.4.2.gmm_score_stable", "float log-space score at (12, 12) equals (-10, -12)");
    {
        const double near[D] = {1.0, 0.5};
        double a[D], b[D];
        score_naive(near, a);
        gmm_score(data, near, b);
        check_close("L35.4.2.naive_equals_stable_near", hypot(a[0] - b[0], a[1] - b[1]), 0.0,
                    1e-14, "L35.4.2.gmm_score_naive",
                    "near the data (1, 0.5) the naive and log-space scores agree");
    }
    check_erratum("L35.4.2.naive_score_far", isnan(s_naive[0]) ? NAN : s_naive[0], s_stable[0],
                  "the lecture's true_score_gmm (no log-sum-exp) returns NaN at (50, 0); s_1 = -48");
}

/*: ## 4.3 Figure

`score_field.png`: the clean and the perturbed fields side by side, modes marked.
*/
static void figure(const Cli *cli, const Fields *fields) {
    Plot *plot = plot_new_grid(1, 2, 1300, 520, "4.3: score fields of the two-Gaussian mixture");
    const double mx[2] = {-2, 2}, my[2] = {0, 0};
    for (int panel = 0; panel < 2; panel++) {
        plot_panel(plot, panel);
        plot_title(plot, panel == 0 ? "clean score grad log p(x)"
                                    : "perturbed score grad log q_sigma(x), sigma = 0.5");
        PlotSeries *f = plot_vector_field(plot, panel == 0 ? fields->u_clean : fields->u_pert,
                                          panel == 0 ? fields->v_clean : fields->v_pert, NX, NY, -5.0, 5.2, -3.0,
                                          3.0, NULL);
        plot_series_color_by_magnitude(f, 1);
        plot_series_range(f, 0.0, 6.0);
        PlotSeries *m = plot_scatter(plot, mx, my, 2, "modes (-2,0), (2,0)");
        plot_series_color(m, PLOT_RED);
        plot_series_marker(m, 6);
        plot_xlabel(plot, "x1");
        plot_ylabel(plot, "x2");
    }
    char err[256];
    if (plot_save(plot, cli_out_path(cli, "score_field.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L35 4.2-4.3: analytic GMM score (naive vs log-space), score field, Z cancels", 35,
              NULL);
    const double sigma = 0.5;
    Gmm data = gmm_pair(2.0, 1.0), perturbed = gmm_pair(2.0, 1.0 + sigma * sigma);
    static Fields fields;
    test_points(&data, &perturbed, sigma);
    gradient_and_curl(&data, &perturbed, &fields);
    boundary(&data, &fields);
    z_cancels(&data);
    naive_breaks(&data);
    figure(&cli, &fields);
    gmm_free(&data);
    gmm_free(&perturbed);
    return check_end();
}
