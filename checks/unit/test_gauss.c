/* Unit tests of common/gauss.h: Gaussian log-densities against closed forms and each other,
   the refusal of an indefinite covariance, mixture log-density against the naive sum, the mixture score against central finite
   differences, the far-tail score (finite, equal to the dominant component's), and the sampler's
   moments (Monte Carlo, 5 standard errors). */
#include <math.h>
#include <stddef.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gauss.h"
#include "common/rng.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of Gaussian densities and mixtures", 19,
              NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    /* 1-D: log of the density written as a product, 1/(sigma sqrt(2 pi)) exp(-z^2/2) */
    const double direct = log(1.0 / (2.0 * sqrt(2 * M_PI)) * exp(-0.125));
    check_close("common.gauss.logpdf_1d", gauss_logpdf_1d(1.5, 0.5, 2.0), direct, 1e-15,
                "common.gauss.logpdf", "log N(1.5; 0.5, 2^2) = log(exp(-1/8)/(2 sqrt(2 pi)))");

    const double x3[3] = {0.3, -1.2, 2.0}, m3[3] = {0.0, 1.0, -0.5}, v3[3] = {0.5, 2.0, 1.5};
    double sum1d = 0;
    for (int a = 0; a < 3; a++) sum1d += gauss_logpdf_1d(x3[a], m3[a], sqrt(v3[a]));
    check_close("common.gauss.diag_is_product", gauss_logpdf_diag(x3, m3, v3, 3), sum1d, 1e-14,
                "common.gauss.logpdf", "diagonal 3-D log-density = sum of 1-D log-densities");
    const double viso[3] = {0.7, 0.7, 0.7};
    check_close("common.gauss.iso_is_diag", gauss_logpdf_iso(x3, m3, 0.7, 3),
                gauss_logpdf_diag(x3, m3, viso, 3), 1e-14, NULL,
                "isotropic = diagonal with equal variances");
    const double S3[9] = {0.5, 0, 0, 0, 2.0, 0, 0, 0, 1.5};
    check_close("common.gauss.full_diag", gauss_logpdf_full(x3, m3, S3, 3),
                gauss_logpdf_diag(x3, m3, v3, 3), 1e-14, NULL,
                "full covariance with a diagonal Sigma = the diagonal formula");

    /* correlated 2x2: Sigma = [[2, .6], [.6, 1]], det = 1.64, inverse = [[1, -.6], [-.6, 2]]/1.64 */
    {
        const double S[4] = {2.0, 0.6, 0.6, 1.0}, x[2] = {1.0, -0.5}, mu[2] = {0.2, 0.1};
        const double d0 = x[0] - mu[0], d1 = x[1] - mu[1], det = 2.0 - 0.36;
        const double quad = (1.0 * d0 * d0 - 2 * 0.6 * d0 * d1 + 2.0 * d1 * d1) / det;
        const double want = -0.5 * quad - 0.5 * log(det) - log(2 * M_PI);
        check_close("common.gauss.full_2x2", gauss_logpdf_full(x, mu, S, 2), want, 1e-14,
                    "common.gauss.logpdf", "2-D correlated Gaussian vs explicit 2x2 inverse and det");
    }
    /* an indefinite "covariance" is refused (the factorisation itself is tested in test_linalg) */
    {
        const double bad[4] = {1, 2, 2, 1}, xx[2] = {0, 0};
        check_true("common.gauss.full_rejects_indefinite", isnan(gauss_logpdf_full(xx, xx, bad, 2)),
                   "[[1,2],[2,1]] (eigenvalue -1) is not a covariance: log-density NaN");
    }

    /* mixture, 2-D, three components of different shapes */
    Gmm g = gmm_new(3, 2);
    const double mA[2] = {-2, 0}, mB[2] = {2, 1}, mC[2] = {0, 3}, vA[2] = {1.0, 0.5},
                 vC[2] = {2.0, 0.3};
    gmm_set(&g, 0, 1.0, mA, vA, 0);
    gmm_set(&g, 1, 2.0, mB, NULL, 0.8);
    gmm_set(&g, 2, 1.0, mC, vC, 0);
    gmm_normalise(&g);
    const double pis[3] = {0.25, 0.5, 0.25};
    const double *means[3] = {mA, mB, mC}, vB[2] = {0.8, 0.8}, *vars[3] = {vA, vB, vC};
    {
        const double pts[4][2] = {{0, 0}, {-2.5, 0.3}, {1, 2}, {4, -3}};
        double worst = 0, fd_worst = 0, rsum = 0;
        for (int t = 0; t < 4; t++) {
            double naive = 0, resp[3];
            for (int i = 0; i < 3; i++)
                naive += pis[i] * exp(gauss_logpdf_diag(pts[t], means[i], vars[i], 2));
            double lp = gmm_logpdf(&g, pts[t], resp);
            worst = fmax(worst, fabs(lp - log(naive)));
            rsum = fmax(rsum, fabs(resp[0] + resp[1] + resp[2] - 1));
            /* central differences, step 1e-5: truncation ~ h^2 f'''/6 ~ 1e-10, rounding
               ~ eps |log p| / h ~ 1e-11 */
            double score[2];
            gmm_score(&g, pts[t], score);
            for (int a = 0; a < 2; a++) {
                double xp[2] = {pts[t][0], pts[t][1]}, xm[2] = {pts[t][0], pts[t][1]};
                xp[a] += 1e-5;
                xm[a] -= 1e-5;
                double fd = (gmm_logpdf(&g, xp, NULL) - gmm_logpdf(&g, xm, NULL)) / 2e-5;
                fd_worst = fmax(fd_worst, fabs(fd - score[a]));
            }
        }
        check_close("common.gauss.gmm_vs_naive", worst, 0, 1e-13, "common.gauss.gmm_logpdf",
                    "mixture log-density = log sum pi_i N_i (naive, safe here) at 4 points");
        check_close("common.gauss.gmm_resp_sum", rsum, 0, 1e-15, NULL,
                    "responsibilities sum to 1");
        check_close("common.gauss.gmm_score_fd", fd_worst, 0, 1e-7, "common.gauss.gmm_score",
                    "score = central finite differences of log p (h = 1e-5), 4 points x 2 dims");
    }
    /* far tail: every component density underflows to 0, so the naive ratio is 0/0; the
       log-space score must be finite and equal to the dominant component's score
       Sigma_i^{-1}(mu_i - x), i = argmax_i ell_i(x) (component B here: its
       isotropic variance 0.8 costs least over both coordinates) */
    {
        const double far[2] = {1e3, -1e3};
        double score[2], resp[3], ell[3];
        int best = 0;
        for (int i = 0; i < 3; i++) {
            ell[i] = log(pis[i]) + gauss_logpdf_diag(far, means[i], vars[i], 2);
            if (ell[i] > ell[best]) best = i;
        }
        double lp = gmm_score(&g, far, score);
        gmm_logpdf(&g, far, resp);
        double e0 = (means[best][0] - far[0]) / vars[best][0];
        double e1 = (means[best][1] - far[1]) / vars[best][1];
        check_true("common.gauss.gmm_far_finite",
                   isfinite(score[0]) && isfinite(score[1]) && isfinite(lp) && exp(lp) == 0.0,
                   "at x = (1e3, -1e3): p(x) underflows to 0, yet log p and the score are finite");
        check_close("common.gauss.gmm_far_score", hypot(score[0] - e0, score[1] - e1), 0,
                    1e-12 * hypot(e0, e1), "common.gauss.gmm_score",
                    "far-tail score = the dominant component's Sigma^-1 (mu - x), |score| ~ 1.6e3 "
                    "(value = distance)");
        check_true("common.gauss.gmm_far_resp", resp[best] == 1.0,
                   "the dominant component's responsibility is 1 (component %d)", best);
    }
    /* 1-D: N(0,1), N(2,1), equal weights, x = 1e3: ell_2 - ell_1 = (1000^2 - 998^2)/2 = 1996,
       so r_2 = 1 - e^{-1996} = 1 and the score is mu_2 - x = -998 */
    {
        Gmm h = gmm_new(2, 1);
        const double z = 0, two = 2, x = 1e3;
        gmm_set(&h, 0, 1, &z, NULL, 1);
        gmm_set(&h, 1, 1, &two, NULL, 1);
        gmm_normalise(&h);
        double s;
        gmm_score(&h, &x, &s);
        check_close("common.gauss.gmm_far_1d", s, -998.0, 1e-12, "common.gauss.gmm_score",
                    "1-D mixture of N(0,1), N(2,1): score at x = 1000 is 2 - 1000 = -998");
        gmm_free(&h);
    }
    /* sampler: 1-D 0.3 N(-2, 1) + 0.7 N(3, 0.25): mean 1.5, variance
       0.3 (1 + 4) + 0.7 (0.25 + 9) - 1.5^2 = 5.725 */
    {
        Gmm h = gmm_new(2, 1);
        const double ma = -2, mb = 3;
        gmm_set(&h, 0, 0.3, &ma, NULL, 1.0);
        gmm_set(&h, 1, 0.7, &mb, NULL, 0.25);
        gmm_normalise(&h);
        const long n = cli_scale(&cli, 20000, 200000, 1000000);
        double s = 0, s2 = 0;
        long first = 0;
        for (long t = 0; t < n; t++) {
            double v;
            first += gmm_sample(&h, &r, &v) == 0;
            s += v;
            s2 += v * v;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        check_mc("common.gauss.gmm_sample_mean", mean, 1.5, sqrt(5.725 / n), 5, n, NULL,
                 "mixture sample mean = sum pi_i mu_i = 1.5");
        /* Var of (x - m)^2 needs the 4th central moment; bound it by E(x-m)^4 computed in the
           test from the samples */
        double m4 = 0;
        Rng r2;
        rng_init(&r2, cli.seed, 1);
        for (long t = 0; t < n; t++) {
            double v;
            gmm_sample(&h, &r2, &v);
            m4 += pow(v - 1.5, 4);
        }
        m4 /= n;
        check_mc("common.gauss.gmm_sample_var", var, 5.725, sqrt((m4 - 5.725 * 5.725) / n), 5, n,
                 NULL, "mixture sample variance = sum pi_i (s_i^2 + mu_i^2) - mean^2 = 5.725");
        check_mc("common.gauss.gmm_sample_weight", (double)first / n, 0.3, sqrt(0.21 / n), 5, n,
                 NULL, "component 0 is drawn with probability 0.3");
        gmm_free(&h);
    }
    {
        /* the symmetric pair's perturbed score (L35 4.2) against gmm_score of the mixture
           1/2 N(-m e1, v I) + 1/2 N(m e1, v I), v = 1 + sigma^2, written out as a Gmm */
        const int d = 3;
        const double m = 2.0, sigma = 0.7, v = 1.0 + sigma * sigma;
        Gmm q = gmm_new(2, d);
        const double lo[3] = {-m, 0, 0}, hi[3] = {m, 0, 0};
        gmm_set(&q, 0, 0.5, lo, NULL, v);
        gmm_set(&q, 1, 0.5, hi, NULL, v);
        gmm_normalise(&q);
        double worst = 0.0;
        for (int t = 0; t < 200; t++) {
            double x[3], a[3], b[3];
            for (int k = 0; k < d; k++) x[k] = 4.0 * rng_normal(&r);
            gmm_pair_perturbed_score(x, d, m, sigma, a);
            gmm_score(&q, x, b);
            for (int k = 0; k < d; k++) worst = fmax(worst, fabs(a[k] - b[k]) / fmax(1.0, fabs(b[k])));
        }
        check_close("common.gauss.pair_perturbed_score", worst, 0.0, 1e-12, "L35.4.2.perturbed_score",
                    "tanh form of the pair's perturbed score vs gmm_score of N(+-m e1, vI) at 200 points "
                    "(max relative difference)");
        gmm_free(&q);
    }
    gmm_free(&g);
    return check_end();
}
