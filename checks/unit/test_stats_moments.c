/* Unit tests of common/stats.h: Welford moments against closed forms (including the
   cancellation-prone case of a large offset), the covariance of a known linear transform of
   normals (Monte Carlo, k standard errors), type-7 quantiles, 1-D and 2-D histograms. */
#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of moments, quantiles and histograms",
              13, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    /* x_i = 1e9 + i, i = 1..n: mean 1e9 + (n+1)/2, variance n(n+1)/12 (sum of squares of
       deviations of 1..n). The one-pass sum-of-squares formula loses all digits here. */
    const size_t n = 1000;
    double *x = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) x[i] = 1e9 + (double)(i + 1);
    double mean, var;
    stats_mean_var(x, n, &mean, &var);
    check_rel("common.stats.welford_mean", mean, 1e9 + (n + 1) / 2.0, 1e-15,
              "common.stats.welford", "mean of 1e9 + (1..1000) = 1e9 + 500.5");
    check_rel("common.stats.welford_var", var, n * (n + 1) / 12.0, 1e-9, "common.stats.welford",
              "variance of 1e9 + (1..1000) = n(n+1)/12 despite the 1e9 offset");
    Welford a, b;
    welford_init(&a);
    welford_init(&b);
    for (size_t i = 0; i < n; i++) welford_push(i < 300 ? &a : &b, x[i]);
    welford_merge(&a, &b);
    check_rel("common.stats.welford_merge", welford_var(&a), n * (n + 1) / 12.0, 1e-9, NULL,
              "merging accumulators of 300 and 700 values gives the variance of all 1000");
    check_true("common.stats.var_small_n", isnan(stats_var(x, 1)),
               "the unbiased variance of one value is NaN (undefined), not 0");
    free(x);

    /* Covariance of x = A z + b, z ~ N(0, I_3): Sigma = A A^T. For Gaussian x,
       Var(x_a x_b) = S_aa S_bb + S_ab^2, so the standard error of the sample covariance entry
       is sqrt((S_aa S_bb + S_ab^2)/n); 5 standard errors, n = 2e5. */
    {
        const double A[9] = {1, 0, 0, 0.5, 2, 0, -1, 0.3, 0.5}, shift[3] = {3, -2, 10};
        const size_t m = (size_t)cli_scale(&cli, 20000, 200000, 1000000), d = 3;
        double *s = xmalloc(sizeof(double) * m * d), S[9], cov[9], mu[3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                S[i * 3 + j] = 0;
                for (int k = 0; k < 3; k++) S[i * 3 + j] += A[i * 3 + k] * A[j * 3 + k];
            }
        for (size_t t = 0; t < m; t++) {
            double z[3] = {rng_normal(&r), rng_normal(&r), rng_normal(&r)};
            for (int i = 0; i < 3; i++) {
                s[t * d + i] = shift[i];
                for (int k = 0; k < 3; k++) s[t * d + i] += A[i * 3 + k] * z[k];
            }
        }
        stats_covariance(s, m, d, mu, cov);
        static const char *ids[3][3] = {
            {"common.stats.cov_00", "common.stats.cov_01", "common.stats.cov_02"},
            {NULL, "common.stats.cov_11", "common.stats.cov_12"},
            {NULL, NULL, "common.stats.cov_22"}};
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                check_mc(ids[i][j], cov[i * 3 + j], S[i * 3 + j],
                         sqrt((S[i * 3 + i] * S[j * 3 + j] + S[i * 3 + j] * S[i * 3 + j]) / m), 5,
                         (long)m, "common.stats.cov", "sample covariance entry (%d,%d) = (A A^T)", i,
                         j);
        check_mc("common.stats.cov_mean", mu[2], shift[2], sqrt(S[8] / m), 5, (long)m, NULL,
                 "sample mean of x_2 = b_2");
        check_true("common.stats.cov_symmetric",
                   cov[1] == cov[3] && cov[2] == cov[6] && cov[5] == cov[7],
                   "the covariance matrix is exactly symmetric");
        free(s);
    }

    /* Quantiles (type 7) of 0..10 shuffled: Q(q) = 10 q. {1, 3}: median 2. */
    {
        double v[11];
        int perm[11];
        rng_permutation(&r, perm, 11);
        for (int i = 0; i < 11; i++) v[i] = perm[i];
        const double q[4] = {0.0, 0.1, 0.25, 0.97};
        double out[4];
        stats_quantiles(v, 11, q, 4, out);
        double err = 0;
        for (int i = 0; i < 4; i++) err = fmax(err, fabs(out[i] - 10 * q[i]));
        check_close("common.stats.quantile_grid", err, 0, 1e-12, NULL,
                    "type-7 quantiles of a shuffled 0..10 are 10 q (q = 0, .1, .25, .97)");
        const double two[2] = {3, 1};
        check_close("common.stats.quantile_interp", stats_quantile(two, 2, 0.5), 2.0, 0, NULL,
                    "median of {3, 1} interpolates to 2");
        /* the 0.975 quantile of N(0,1) samples: 1.959963984540054 (bisection on
           python3's math.erfc, 200 halvings); se = sqrt(p(1-p)/n) / phi(z) */
        const size_t m = (size_t)cli_scale(&cli, 20000, 200000, 1000000);
        double *z = xmalloc(sizeof(double) * m);
        rng_normal_fill(&r, z, m);
        const double zq = 1.959963984540054, phi = exp(-0.5 * zq * zq) / sqrt(2 * M_PI);
        check_mc("common.stats.quantile_normal", stats_quantile(z, m, 0.975), zq,
                 sqrt(0.975 * 0.025 / m) / phi, 5, (long)m, NULL,
                 "0.975 sample quantile of N(0,1) draws = 1.95996");

        /* 1-D histogram of normals on [-4, 4], 40 bins: chi-square against the bin
           probabilities (Phi(b) - Phi(a)) / (Phi(4) - Phi(-4)) over the counted values;
           mean 39 (40 cells, one constraint), sd sqrt(78); pass below mean + 5 sd. */
        double counts[40], dens[40];
        long n_in = stats_hist1d(z, m, -4, 4, 40, counts, 0);
        stats_hist1d(z, m, -4, 4, 40, dens, 1);
        double chi2 = 0, mass = 0, inside = normal_cdf(4) - normal_cdf(-4);
        for (int k = 0; k < 40; k++) {
            double lo = -4 + 0.2 * k, pk = (normal_cdf(lo + 0.2) - normal_cdf(lo)) / inside;
            chi2 += pow(counts[k] - n_in * pk, 2) / (n_in * pk);
            mass += dens[k] * 0.2;
        }
        check_le("common.stats.hist_chi2", chi2, 39 + 5 * sqrt(78.0), 0, NULL,
                 "chi-square of a 40-bin histogram of N(0,1) draws (mean 39 + 5 sd)");
        check_close("common.stats.hist_density_mass", mass, 1.0, 1e-12,
                    "common.stats.hist_density", "density histogram: sum_k p_k * width = 1");
        free(z);
    }

    /* hand-worked histograms: values on bin edges, x = hi, and values outside/NaN */
    {
        const double v[9] = {0, 0.5, 1, 1.5, 2, 2, -1, 3, NAN};
        double c[2], dn[2];
        long in = stats_hist1d(v, 9, 0, 2, 2, c, 0);
        stats_hist1d(v, 9, 0, 2, 2, dn, 1);
        check_true("common.stats.hist_edges",
                   in == 6 && c[0] == 2 && c[1] == 4 && fabs(dn[0] - 1.0 / 3) < 1e-15 &&
                       fabs(dn[1] - 2.0 / 3) < 1e-15,
                   "bins [0,1), [1,2]: counts (2, 4), x = hi in the last bin, -1, 3, NaN left out, "
                   "densities (1/3, 2/3)");
        const double pts[10] = {0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.6, 0.2, 1.5, 0.5};
        double c2[4], d2[4];
        long in2 = stats_hist2d(pts, 5, 0, 1, 2, 0, 1, 2, c2, 0);
        stats_hist2d(pts, 5, 0, 1, 2, 0, 1, 2, d2, 1);
        check_true("common.stats.hist2d_hand",
                   in2 == 4 && c2[0] == 1 && c2[1] == 0 && c2[2] == 2 && c2[3] == 1 &&
                       fabs(d2[2] - 2.0) < 1e-15,
                   "2x2 histogram of (.1,.1) (.9,.1) (.9,.9) (.6,.2) [(1.5,.5) outside]: "
                   "counts (1,0,2,1), density of cell (1,0) = 2/(4 * 1/4) = 2");
    }
    return check_end();
}
