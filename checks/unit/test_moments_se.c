/* Unit tests of common/moments_se.h: exact values on a small data set, and the standard error of
   a sample variance of normal data against its theory sqrt(2/n) sigma^2 (Monte Carlo). */
#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/moments_se.h"
#include "common/rng.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the mean/variance standard errors",
              21, NULL);
    /* x = (0, 0, 0, 4): mean 1, unbiased variance (1 + 1 + 1 + 9)/3 = 4, m4 = (1 + 1 + 1 + 81)/4 = 21,
       se(mean) = sqrt(4/4) = 1, se(var) = sqrt((21 - 16)/4) = sqrt(5)/2 */
    const double small[4] = {0.0, 0.0, 0.0, 4.0};
    MomentsSe m = moments_se(small, 4);
    check_close("common.moments_se.mean", m.mean, 1.0, 1e-15, NULL, "mean of (0, 0, 0, 4)");
    check_close("common.moments_se.var", m.var, 4.0, 1e-15, NULL, "unbiased variance of (0, 0, 0, 4)");
    check_close("common.moments_se.se_mean", m.se_mean, 1.0, 1e-15, "common.moments_se.se",
                "sqrt(var / n) = 1");
    check_close("common.moments_se.se_var", m.se_var, sqrt(5.0) / 2.0, 1e-15, "common.moments_se.se",
                "sqrt((m4 - var^2) / n) = sqrt(5)/2 for (0, 0, 0, 4)");
    /* x = (0, 1): s^2 = 1/2 but m4 = 1/16 < s^4 = 1/4 (the unbiased s^2 exceeds the 1/n
       variance): the floor keeps se(var) at 0 instead of the square root of a negative number */
    const double pair[2] = {0.0, 1.0};
    m = moments_se(pair, 2);
    check_close("common.moments_se.floor", m.se_var, 0.0, 0.0, "common.moments_se.se",
                "x = (0, 1): m4 - s^4 = -3/16 < 0, se(var) floored at 0 (not NaN)");

    /* N(0, 4) data: se(var) sqrt(n) estimates sqrt(m4 - sigma^4) = sqrt(3 - 1) sigma^2 = 4 sqrt 2.
       Its own standard error, by the delta method on m4 alone (Var m4 ~ (E x^8 - m4^2)/n =
       96 sigma^8/n, d sqrt(u)/du = 1/(2 sqrt u)), is about 0.044 at n = 1e5 (the variability of
       s^4, positively correlated with m4, only lowers it); the check allows 5 of them. */
    const size_t n = 100000;
    double *x = xmalloc(n * sizeof *x);
    Rng r;
    rng_init(&r, cli.seed, 0);
    for (size_t i = 0; i < n; i++) x[i] = 2.0 * rng_normal(&r);
    m = moments_se(x, n);
    check_mc("common.moments_se.normal_se_var", m.se_var * sqrt((double)n), 4.0 * sqrt(2.0),
             sqrt(96.0 / (double)n) * 16.0 / (2.0 * 4.0 * sqrt(2.0)), 5.0, (long)n, "common.moments_se.se",
             "sqrt(n) se(var) for N(0, 4) data vs sqrt(2) sigma^2");
    free(x);
    return check_end();
}
