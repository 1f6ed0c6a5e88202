/*: # L42 4.3 — RealNVP: a normalizing flow behind the unified interface

**Lecture 42, Part 2, section 4.3** (the `NormalizingFlow` of the Flow family), with the
numerical derivations of spec §3 item 9. A normalizing flow is the family whose likelihood is
*exact*: an invertible map $f_\theta$ sends data to a standard normal latent, and the change of
variables pays for the volume change with a Jacobian log-determinant. RealNVP's affine coupling
makes that determinant a sum.

What you will see: the coupling's exact log-det against the log-determinant of a finite-difference
Jacobian (in $D = 2$ and $D = 8$); the inverse undoing the forward map to rounding; a flow trained
through `common/genmodel`'s shared loop on the 8-Gaussians toy, whose density is known exactly,
checked for normalisation on a grid, for $\mathrm{KL}(p\Vert q_\theta) \ge 0$ with a paired standard
error, and against the best Gaussian; and the lecture's log-likelihood, which drops the constant
$-\tfrac D2\log 2\pi$ (B2), integrating to $2\pi$ instead of 1.
Figures: `flow_samples.png` (samples vs data), `flow_density.png` (learned log-density).

Run: `build/release/bin/lectures/42_unified/06_realnvp_flow [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | (n, D) |
| $z = f_\theta(x)$ | `z` | (n, D) |
| $x_a, x_b$ (kept / transformed half) | `x_a`, `x_b` | (n, D/2) |
| $s(x_a), t(x_a)$ | `s`, `t` | (n, D/2) |
| $K$ couplings | `GmFlow.layers`, `GmFlow.nlayers` (common/gm_realnvp.h) | — |
| $\log\lvert\det J_f\rvert$ | `logdet` | (n) |
| $p$ (data law, 8 Gaussians) | `law` (`gm_gaussians8_law`) | — |
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
#include "common/gm_realnvp.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

/*: ## 4.3 Affine coupling and the change of variables

The flow — couplings [eq:L42.4.3.coupling], their inverse [eq:L42.4.3.coupling_inverse] and the
log-likelihood [eq:L42.4.3.flow_logp] with its constant $-\tfrac D2\log 2\pi$, which the lecture
drops (B2) — lives in `common/gm_realnvp.h`, shared with the benchmark of 5.3. This program checks it.
*/

/*: ## The exact log-determinant against a finite-difference Jacobian

In double precision, for a randomly initialised flow (whose couplings are far from the identity),
the Jacobian $J_{ij} = \partial z_i/\partial x_j$ by central differences
$(f(x + he_j) - f(x - he_j))/2h$ ($h = 10^{-5}$, error $O(h^2)$) and its $\log\lvert\det\rvert$ by LU
must equal $\sum_k\sum_j s_j$. The inverse [eq:L42.4.3.coupling_inverse] must return $x$ to
rounding ($10^{-12}$).
*/
static void flow_map_f64(const GmFlow *f, AdArena *arena, const double *x, int n, double *z, double *logdet) {
    int shape[2] = {n, f->D};
    ad_arena_reset(arena);
    AdTensor *zt, *lp = gm_flow_logp(arena, f, ad_from_doubles(arena, AD_F64, 2, shape, x), 1, &zt);
    memcpy(z, ad_f64(zt), (size_t)n * f->D * sizeof *z);
    if (logdet) /* lp = -|z|^2/2 + logdet (lecture form, no constant) */
        for (int i = 0; i < n; i++) {
            double r2 = 0;
            for (int j = 0; j < f->D; j++) r2 += z[i * f->D + j] * z[i * f->D + j];
            logdet[i] = ad_get(lp, i) + 0.5 * r2;
        }
}

static void section_logdet_fd(const Cli *cli, int D) {
    Rng r;
    rng_init(&r, cli->seed, 100 + (uint64_t)D);
    GmFlow f;
    gm_flow_init(&f, D, 4, 16, AD_F64, &r);
    AdArena *arena = ad_arena_new(1 << 20);
    double x[8], z[8], ld, xp[8], zp[8], zm[8];
    for (int j = 0; j < D; j++) x[j] = rng_normal(&r);
    flow_map_f64(&f, arena, x, 1, z, &ld);
    Mat J = mat_new(D, D);
    const double h = 1e-5;
    for (int j = 0; j < D; j++) {
        memcpy(xp, x, sizeof xp);
        xp[j] = x[j] + h;
        flow_map_f64(&f, arena, xp, 1, zp, NULL);
        xp[j] = x[j] - h;
        flow_map_f64(&f, arena, xp, 1, zm, NULL);
        //: $J_{ij} \approx (f_i(x+he_j) - f_i(x-he_j))/2h$
        for (int i = 0; i < D; i++) MAT(J, i, j) = (zp[i] - zm[i]) / (2 * h);
    }
    double fd_logdet;
    int sign;
    mat_logabsdet(J, &fd_logdet, &sign);
    char id[64];
    snprintf(id, sizeof id, "L42.4.3.logdet_fd_%dd", D);
    check_close(id, ld, fd_logdet, 1e-6, "L42.4.3.coupling",
                "sum of coupling log-scales vs log|det| of the central-difference Jacobian (D=%d, 4 couplings)", D);
    /* inverse round trip on 64 random points */
    enum { NP = 64 };
    double *xs = xmalloc(sizeof(double) * NP * D), *zs = xmalloc(sizeof(double) * NP * D);
    for (int i = 0; i < NP * D; i++) xs[i] = 2.0 * rng_normal(&r);
    flow_map_f64(&f, arena, xs, NP, zs, NULL);
    int shape[2] = {NP, D};
    ad_arena_reset(arena);
    AdTensor *back = gm_flow_inverse(arena, &f, ad_from_doubles(arena, AD_F64, 2, shape, zs));
    double err = 0;
    for (int i = 0; i < NP * D; i++) err = fmax(err, fabs(ad_f64(back)[i] - xs[i]));
    snprintf(id, sizeof id, "L42.4.3.invert_%dd", D);
    check_le(id, err, 1e-12, 0, "L42.4.3.coupling_inverse", "max |f^-1(f(x)) - x| over %d points (double, D=%d)", NP, D);
    free(xs), free(zs);
    mat_free(&J);
    ad_arena_free(arena);
    gm_flow_free(&f);
}

/*: ## Training on a toy with an exact density

The data law is the 8-Gaussians mixture (centres on the circle of radius 2, std 0.1;
`common/data.h`), so $\log p$ is known at every point. The flow (8 couplings, conditioners
$1\to32\to32\to2$) is trained by the shared loop of `common/genmodel` on the mean negative
log-likelihood [eq:L42.4.3.flow_logp]; a diagonal Gaussian goes through the same loop as the
baseline. On fresh test points $x_i\sim p$:

$$ \widehat{\mathrm{KL}}(p\Vert q_\theta) = \frac1n\sum_i\big[\log p(x_i) - \log q_\theta(x_i)\big] \ge 0 $$ {#eq:L42.4.3.kl_test}

up to its standard error — a flow whose log-likelihood were not normalised (B2, or a wrong
log-det) could beat the true density and fail this. The mass $\int q_\theta$ on the box
$[-7,7]^2$ by the midpoint rule must be 1.
*/
static double grid_mass(GenModel *m, int G, double lo, double hi, int lecture, double *logq_grid) {
    const double hstep = (hi - lo) / G;
    float *pts = xmalloc((size_t)G * G * 2 * sizeof *pts);
    for (int iy = 0; iy < G; iy++)
        for (int ix = 0; ix < G; ix++) {
            pts[2 * ((size_t)iy * G + ix)] = (float)(lo + (ix + 0.5) * hstep);
            pts[2 * ((size_t)iy * G + ix) + 1] = (float)(lo + (iy + 0.5) * hstep);
        }
    double *lp = xmalloc((size_t)G * G * sizeof *lp), mass = 0;
    m->vt->log_likelihood(m, pts, G * G, lp);
    //: the lecture's $\log p$ lacks $-\frac D2\log 2\pi$: add it back as $+\log 2\pi$ for $D = 2$
    for (long i = 0; i < (long)G * G; i++) mass += exp(lp[i] + (lecture ? log(2.0 * M_PI) : 0.0)) * hstep * hstep;
    if (logq_grid) memcpy(logq_grid, lp, (size_t)G * G * sizeof *lp);
    free(pts), free(lp);
    return mass;
}

static void section_train(const Cli *cli) {
    const int n_train = 20000, n_test = (int)cli_scale(cli, 2000, 5000, 20000);
    Rng r;
    rng_init(&r, cli->seed, 1);
    float *train = xmalloc((size_t)n_train * 2 * sizeof *train), *test = xmalloc((size_t)n_test * 2 * sizeof *test);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, train, n_train);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, test, n_test);

    GenModel flow, gauss;
    Rng init;
    rng_init(&init, cli->seed, 2);
    gm_realnvp_init(&flow, 2, 8, 32, &init);
    check_true("L42.4.3.caps", gm_check_caps(flow.vt), "RealNVP's vtable obeys the capability rule (exact log-likelihood, encode, decode)");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 300, 2500, 10000), .batch = 128, .clip_norm = 50.0,
                         .label = "realnvp", .check_id = "L42.4.3.train_finite"};
    Rng train_rng;
    rng_init(&train_rng, cli->seed, 3);
    GmTrainResult res = gm_train(&flow, train, n_train, &cfg, &train_rng);
    gm_diag_gaussian_init(&gauss, 2);
    gauss.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig gcfg = {.steps = 1500, .batch = 512, .label = "gauss", .check_id = "L42.4.3.gauss_finite"};
    gm_train(&gauss, train, n_train, &gcfg, &train_rng);
    printf("RealNVP: %ld parameters, %ld steps, NLL %.4f -> %.4f (last 10%% mean)\n",
           gm_num_params(&flow), res.steps_done, res.first_loss[0], res.avg_loss[0]);

    double centres[16];
    Gmm law = gm_gaussians8_law(centres);
    double *logp = xmalloc((size_t)n_test * sizeof *logp), *logq = xmalloc((size_t)n_test * sizeof *logq),
           *logg = xmalloc((size_t)n_test * sizeof *logg), se, se_g;
    for (int i = 0; i < n_test; i++) {
        double x[2] = {test[2 * i], test[2 * i + 1]};
        logp[i] = gmm_logpdf(&law, x, NULL);
    }
    flow.vt->log_likelihood(&flow, test, n_test, logq);
    gauss.vt->log_likelihood(&gauss, test, n_test, logg);
    //: [eq:L42.4.3.kl_test]
    double kl = gm_kl_paired(logp, logq, n_test, &se);
    double kl_g = gm_kl_paired(logp, logg, n_test, &se_g);
    printf("test NLL: data law %.4f, RealNVP %.4f, Gaussian %.4f (nats, n=%d)\n",
           -stats_mean(logp, n_test), -stats_mean(logq, n_test), -stats_mean(logg, n_test), n_test);
    check_ge("L42.4.3.kl_nonneg", kl, 0.0, 4.0 * se, "L42.4.3.kl_test",
             "KL(p||q_flow) = %.4f on test points >= 0 within 4 SE (se=%.2g, n=%d)", kl, se, n_test);
    check_le("L42.4.3.beats_gaussian", kl, kl_g - 0.3, 0, "L42.4.3.kl_test",
             "flow's KL at least 0.3 nats below the best Gaussian's %.4f", kl_g);

    const int G = (int)cli_scale(cli, 140, 420, 700);
    double *grid = xmalloc((size_t)G * G * sizeof *grid);
    double mass = grid_mass(&flow, G, -7, 7, 0, grid);
    check_close("L42.4.3.normalization", mass, 1.0, 2e-3, "L42.4.3.flow_logp",
                "integral of q_flow over [-7,7]^2, midpoint rule %dx%d", G, G);
    double mass_lecture = grid_mass(&flow, G, -7, 7, 1, NULL);
    check_erratum("L42.4.3.lecture_mass", mass_lecture, mass,
                  "B2: the lecture's log p(z) = -|z|^2/2 (no -D/2 log 2pi) integrates to 2pi, not 1");
    check_erratum("L42.4.3.lecture_constant", logq[0] + log(2.0 * M_PI), logq[0],
                  "B2: lecture log-likelihood of the first test point vs the normalised one (+1.8378771 for D=2)");

    /* figures */
    enum { NS = 2000 };
    float *xs = xmalloc(NS * 2 * sizeof *xs);
    Rng srng;
    rng_init(&srng, cli->seed, 4);
    flow.vt->sample(&flow, NS, xs, &srng);
    double *ax = xmalloc(NS * sizeof *ax), *ay = xmalloc(NS * sizeof *ay), *bx = xmalloc(NS * sizeof *bx), *by = xmalloc(NS * sizeof *by);
    for (int i = 0; i < NS; i++) ax[i] = test[2 * i], ay[i] = test[2 * i + 1], bx[i] = xs[2 * i], by[i] = xs[2 * i + 1];
    int modes = gm_modes_covered(xs, NS, 2, centres, 8, 0.3, 0.02);
    check_true("L42.4.3.modes", modes == 8, "RealNVP samples cover %d of 8 modes (>= 2%% within 0.3)", modes);
    Plot *p = plot_new(560, 560, "RealNVP samples (red) vs data (blue), 8 Gaussians");
    PlotSeries *sd = plot_scatter(p, ax, ay, NS, "data");
    plot_series_marker(sd, 1.5);
    PlotSeries *sm = plot_scatter(p, bx, by, NS, "RealNVP");
    plot_series_color(sm, PLOT_RED);
    plot_series_marker(sm, 1.5);
    plot_xlim(p, -3.5, 3.5), plot_ylim(p, -3.5, 3.5);
    char err[256];
    if (plot_save(p, cli_out_path(cli, "flow_samples.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    for (long i = 0; i < (long)G * G; i++) grid[i] = fmax(grid[i], -12.0);
    p = plot_new(560, 520, "RealNVP log-density log q(x)");
    plot_heatmap(p, grid, G, G, -7, 7, -7, 7, "log q");
    if (plot_save(p, cli_out_path(cli, "flow_density.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);

    free(ax), free(ay), free(bx), free(by), free(xs), free(grid);
    free(logp), free(logq), free(logg), free(train), free(test);
    gmm_free(&law);
    gm_free(&flow), gm_free(&gauss);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.3: RealNVP flow, exact log-det vs FD Jacobian, trained on 8 Gaussians with exact density",
              4206, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_logdet_fd(&cli, 2);
    section_logdet_fd(&cli, 8);
    section_train(&cli);
    return check_end();
}
