/* Unit tests of common/kde.h: bandwidth rules on hand-computable data, a one-point KDE is a
   normal density, finite log-density far from the data, direct vs FFT-binned agreement within
   the proven O(delta^2) bound, the error order itself, unit mass (quadrature), and the speed of
   the binned path. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/kde.h"
#include "common/quadrature.h"
#include "common/rng.h"
#include "common/util.h"

typedef struct {
    const double *data;
    size_t n;
    double h;
} KdeCtx;

static double kde_at(double y, void *ctx) {
    const KdeCtx *k = ctx;
    double p;
    kde_pdf_direct(k->data, k->n, k->h, &y, 1, &p);
    return p;
}

/* max |binned - direct| over the queries */
static double binned_error(const double *data, size_t n, double h, const double *y, size_t m,
                           const double *exact, size_t g, double *delta_out) {
    KdeGrid grid;
    kde_grid_build(data, n, h, g, &grid);
    double err = 0;
    for (size_t j = 0; j < m; j++) err = fmax(err, fabs(kde_grid_eval(&grid, y[j]) - exact[j]));
    *delta_out = grid.delta;
    kde_grid_free(&grid);
    return err;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the 1-D Gaussian KDE", 23, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    /* bandwidths. 1..10: sd = sqrt(55/6), IQR = 7.75 - 3.25 = 4.5 (type 7), 4.5/1.34 > sd so
       Silverman uses sd. {1..9, 1000}: same quartiles, huge sd, Silverman uses IQR/1.34. */
    double d10[10];
    for (int i = 0; i < 10; i++) d10[i] = i + 1;
    const double sd10 = sqrt(55.0 / 6.0), n5 = pow(10.0, -0.2);
    check_rel("common.kde.scott", kde_bandwidth_scott(d10, 10), pow(4.0 / 3.0, 0.2) * sd10 * n5,
              1e-14, NULL, "Scott's rule on 1..10: (4/3)^(1/5) sqrt(55/6) 10^(-1/5)");
    check_rel("common.kde.silverman_sd", kde_bandwidth_silverman(d10, 10), 0.9 * sd10 * n5, 1e-14,
              NULL, "Silverman on 1..10 uses the sd (< IQR/1.34 = 3.36)");
    d10[9] = 1000;
    check_rel("common.kde.silverman_iqr", kde_bandwidth_silverman(d10, 10), 0.9 * 4.5 / 1.34 * n5,
              1e-14, NULL, "Silverman on {1..9, 1000} uses IQR/1.34 = 4.5/1.34 (outlier ignored)");

    /* a one-point KDE is N(x_1, h^2); far away the log-density stays finite and exact */
    {
        const double zero = 0, ys[2] = {0.3, 1e3};
        double lp[2];
        kde_logpdf_direct(&zero, 1, 0.5, ys, 2, lp);
        check_close("common.kde.one_point", lp[0], gauss_logpdf_1d(0.3, 0, 0.5), 1e-14,
                    "common.kde.kde", "KDE of the single point 0 with h = 0.5 is log N(y; 0, 0.25)");
        check_rel("common.kde.far_logpdf", lp[1], gauss_logpdf_1d(1e3, 0, 0.5), 1e-14, NULL,
                  "log-density at y = 1000 (density underflows) is finite: -2e6 - log(0.5 sqrt 2pi)");
    }

    /* n draws from 0.5 N(-2, 1) + 0.5 N(2, 0.5^2), m queries on [-6, 6] */
    const size_t n = (size_t)cli_scale(&cli, 2000, 10000, 100000), m = 1000;
    double *data = xmalloc(sizeof(double) * n), *y = xmalloc(sizeof(double) * m);
    double *direct = xmalloc(sizeof(double) * m), *binned = xmalloc(sizeof(double) * m);
    for (size_t i = 0; i < n; i++)
        data[i] = rng_uniform(&r) < 0.5 ? -2 + rng_normal(&r) : 2 + 0.5 * rng_normal(&r);
    for (size_t j = 0; j < m; j++) y[j] = -6 + 12.0 * (double)j / (double)(m - 1);
    const double h = kde_bandwidth_silverman(data, n);
    double t0 = now_seconds();
    kde_pdf_direct(data, n, h, y, m, direct);
    double t_direct = now_seconds() - t0;
    t0 = now_seconds();
    kde_pdf_binned(data, n, h, y, m, binned, 0);
    double t_binned = now_seconds() - t0;
    double fmax_direct = 0;
    for (size_t j = 0; j < m; j++) fmax_direct = fmax(fmax_direct, direct[j]);

    /* Agreement: linear binning and linear interpolation each err by at most
       delta^2/8 * max|f''| <= delta^2/8 * phi(0)/h^3 (kde.h, eq. binning_error); the FFT adds
       rounding ~1e-16 * max f. So |binned - direct| <= delta^2/4 * phi(0)/h^3. */
    {
        double delta, err = binned_error(data, n, h, y, m, direct, 0, &delta);
        double bound = delta * delta / 4 * (1 / sqrt(2 * M_PI)) / (h * h * h);
        check_le("common.kde.binned_vs_direct", err, bound, 1e-14, "common.kde.binning_error",
                 "max |FFT-binned - direct| over 1000 queries <= delta^2 phi(0)/(4 h^3) = %.2e "
                 "(n=%zu, h=%.4f, delta=%.2e)", bound, n, h, delta);
        check_le("common.kde.binned_rel", err / fmax_direct, 2e-3, 0, "common.kde.binning_error",
                 "default grid (delta ~ h/16): error / max density below 2e-3");
        /* halving delta (g -> 2g - 1 keeps the same end points) divides the error by ~4 */
        KdeGrid probe;
        kde_grid_build(data, n, h, 0, &probe);
        size_t g1 = probe.g / 4;
        kde_grid_free(&probe);
        double d1, d2;
        double e1 = binned_error(data, n, h, y, m, direct, g1, &d1);
        double e2 = binned_error(data, n, h, y, m, direct, 2 * g1 - 1, &d2);
        check_in("common.kde.binned_order", e1 / e2, 3.0, 5.0, "common.kde.binning_error",
                 "error ratio when the grid step halves (%.2e -> %.2e): ~4, second order", d1, d2);
    }
    /* unit mass. Binned: the estimate is piecewise linear, so the trapezoid sum of the grid is
       its exact integral; binning keeps mass and the sampled kernel sums to 1/delta to rounding
       (Riemann sums of a Gaussian with step h/16 are exact to ~e^{-2 pi^2 256}). Direct:
       composite Gauss-Legendre on [min - 9h, max + 9h] (mass outside < 2 Phi(-9) ~ 2e-19) on
       the first 1000 points; panels of width <= h make the rule exact to rounding. */
    {
        KdeGrid grid;
        kde_grid_build(data, n, h, 0, &grid);
        double mass = 0;
        for (size_t k = 0; k < grid.g; k++)
            mass += grid.density[k] * (k == 0 || k == grid.g - 1 ? 0.5 : 1.0);
        mass *= grid.delta;
        check_close("common.kde.binned_mass", mass, 1.0, 1e-12, "common.kde.kde",
                    "the binned KDE integrates to 1 (trapezoid on its grid is exact)");
        kde_grid_free(&grid);
        const size_t nq = n < 1000 ? n : 1000;
        KdeCtx ctx = {data, nq, kde_bandwidth_silverman(data, nq)};
        double lo = data[0], hi = data[0];
        for (size_t i = 0; i < nq; i++) {
            lo = fmin(lo, data[i]);
            hi = fmax(hi, data[i]);
        }
        lo -= 9 * ctx.h;
        hi += 9 * ctx.h;
        int panels = (int)ceil((hi - lo) / ctx.h);
        check_close("common.kde.direct_mass",
                    quad_gauss_legendre_composite(kde_at, &ctx, lo, hi, 20, panels), 1.0, 1e-12,
                    "common.kde.kde", "the direct KDE of 1000 points integrates to 1 (Gauss-Legendre)");
    }
    /* cost, printed as information (speed is measured in benchmarks, never asserted in a test) */
    printf("KDE cost: %zu points x %zu queries: FFT-binned %.2f ms, direct %.1f ms\n", n, m,
           1e3 * t_binned, 1e3 * t_direct);
    free(data);
    free(y);
    free(direct);
    free(binned);
    return check_end();
}
