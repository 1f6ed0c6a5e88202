/* Unit tests of common/cantor.h: CDF values at hand-computable points (1/4 = 0.0202..._3 has
   F = 1/3; the middle third is flat at 1/2), self-similarity F(x/3) = F(x)/2 and
   F(2/3 + x/3) = 1/2 + F(x)/2, sample moments against E X = 1/2 and Var X = 1/8, samples in the
   level-10 cover, and the characteristic function against its recursion phi(t) = cos(t/3) phi(t/3). */
#include <math.h>
#include <stdio.h>

#include "common/cantor.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/stats.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the Cantor measure", 41, NULL);
    check_close("common.cantor.cdf_quarter", cantor_cdf(0.25), 1.0 / 3.0, 1e-15, NULL,
                "F(1/4) = 1/3 (1/4 = 0.020202..._3 -> 0.010101..._2)");
    check_close("common.cantor.cdf_middle", cantor_cdf(0.4) - cantor_cdf(0.6), 0.0, 0.0, NULL,
                "F is flat on the removed middle third: F(0.4) = F(0.6) = 1/2");
    double self = 0.0;
    for (int i = 1; i < 100; i++) {
        double x = i / 100.0;
        self = fmax(self, fabs(cantor_cdf(x / 3.0) - 0.5 * cantor_cdf(x)));
        self = fmax(self, fabs(cantor_cdf(2.0 / 3.0 + x / 3.0) - 0.5 - 0.5 * cantor_cdf(x)));
    }
    /* x/3 is rounded (relative 2^-53), and F is Hoelder with exponent log 2/log 3: an input error
       delta moves F by up to 2 (3 delta)^{0.63}, i.e. 2 (3 * 2^-53)^0.63 = 5e-10 */
    const double holder_tol = 2.0 * pow(3.0 * ldexp(1.0, -53), log(2.0) / log(3.0));
    check_close("common.cantor.self_similar", self, 0.0, holder_tol, "common.cantor.series",
                "max |F(x/3) - F(x)/2|, |F(2/3 + x/3) - 1/2 - F(x)/2| on 99 points");
    Rng r;
    rng_init(&r, 41, 0);
    enum { N = 200000 };
    static double xs[N];
    long outside = 0;
    for (int i = 0; i < N; i++) {
        xs[i] = cantor_sample(&r);
        double y = xs[i];
        for (int k = 0; k < 10; k++) { /* level-10 cover: no ternary digit 1 in the first 10 */
            y *= 3.0;
            int d = (int)y;
            y -= d;
            if (d == 1) { outside++; break; }
        }
    }
    double se, mean = stats_mean_se(xs, N, &se);
    check_mc("common.cantor.sample_mean", mean, 0.5, se, 4.0, N, "common.cantor.series",
             "sample mean of the Cantor law is 1/2");
    double v = stats_var(xs, N);
    check_mc("common.cantor.sample_var", v, 0.125, 0.125 * sqrt(2.0 / N) * 1.5, 4.0, N,
             "common.cantor.series", "sample variance is 1/8 (se from the 4th moment bound)");
    check_close("common.cantor.samples_in_cover", (double)outside, 0.0, 0.0, NULL,
                "no sample has a ternary digit 1 among its first 10");
    double rec = 0.0;
    for (int i = 0; i < 50; i++) {
        double t = 0.37 * i * i;
        rec = fmax(rec, fabs(cantor_cf_centered(t) - cos(t / 3.0) * cantor_cf_centered(t / 3.0)));
    }
    check_close("common.cantor.cf_recursion", rec, 0.0, 1e-15, "common.cantor.cf",
                "phi(t) = cos(t/3) phi(t/3) on 50 values of t");
    return check_end();
}
