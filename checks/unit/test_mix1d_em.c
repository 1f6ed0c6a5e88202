/* Unit tests of common/mix1d_em.h: one component reproduces the closed-form Gaussian MLE, the
   log-likelihood never decreases, a well-separated mixture is recovered within its standard
   errors, and the fitted parameters are a fixed point of the update. */
#include <math.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/mix1d_em.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of EM for 1-D Gaussian mixtures", 23, NULL);
    /* 0.3 N(-4, 1) + 0.7 N(4, 0.5^2) with the counts fixed: 6000 + 14000 draws */
    enum { N = 20000, N0 = 6000 };
    double *x = xmalloc(N * sizeof *x);
    Rng r;
    rng_init(&r, cli.seed, 0);
    for (int i = 0; i < N; i++) x[i] = i < N0 ? -4.0 + rng_normal(&r) : 4.0 + 0.5 * rng_normal(&r);
    double loglik, min_inc;

    /* K = 1: one step gives the mean and the 1/N standard deviation */
    Mix1d one = {.k = 1, .w = {1.0}, .mu = {0.3}, .sd = {2.0}};
    mix1d_em_fit(&one, x, N, 1e-12, 50, NULL, 0, &loglik, &min_inc);
    double mean, var;
    stats_mean_var(x, N, &mean, &var);
    const double sd_pop = sqrt(var * (N - 1.0) / N);
    check_close("common.mix1d_em.k1_mean", one.mu[0], mean, 1e-12, "L07.Z5b.5.em_update",
                "K = 1: EM's mean is the sample mean");
    check_close("common.mix1d_em.k1_sd", one.sd[0], sd_pop, 1e-12, "L07.Z5b.5.em_update",
                "K = 1: EM's sd is the 1/N sample standard deviation");
    check_close("common.mix1d_em.k1_loglik", loglik, -0.5 * N * log(2.0 * M_PI * M_E * sd_pop * sd_pop),
                1e-8 * N, NULL, "K = 1: l = -N/2 log(2 pi e s^2), the Gaussian maximum");

    /* K = 2 from a poor start: monotone, and the truth recovered within 4 standard errors */
    Mix1d two = {.k = 2, .w = {0.5, 0.5}, .mu = {-1.0, 1.0}, .sd = {3.0, 3.0}};
    const int steps = mix1d_em_fit(&two, x, N, 1e-11, 2000, NULL, 0, &loglik, &min_inc);
    check_ge("common.mix1d_em.monotone", min_inc, 0.0, 1e-9, "L07.Z5b.5.em_update",
             "min over %d EM steps of l_{t+1} - l_t (never negative, to rounding)", steps);
    const double n0 = N0, n1 = N - N0;
    check_close("common.mix1d_em.w0", two.w[0], 0.3, 1e-3, NULL,
                "weight of the left component: the counts are fixed (6000 of 20000), only the overlap "
                "of the components (tail mass < 1e-3) moves it");
    check_mc("common.mix1d_em.mu0", two.mu[0], -4.0, 1.0 / sqrt(n0), 4, N0, NULL, "left mean");
    check_mc("common.mix1d_em.mu1", two.mu[1], 4.0, 0.5 / sqrt(n1), 4, N - N0, NULL, "right mean");
    check_mc("common.mix1d_em.sd0", two.sd[0], 1.0, 1.0 / sqrt(2.0 * n0), 4, N0, NULL, "left sd");
    check_mc("common.mix1d_em.sd1", two.sd[1], 0.5, 0.5 / sqrt(2.0 * n1), 4, N - N0, NULL, "right sd");

    /* the converged parameters are (to the tolerance) a fixed point of the update */
    Mix1d again = two;
    double *resp = xmalloc(sizeof(double) * N * MIX1D_KMAX);
    mix1d_em_step(&again, x, N, resp);
    double move = 0.0;
    for (int k = 0; k < 2; k++)
        move = fmax(move, fmax(fabs(again.w[k] - two.w[k]),
                               fmax(fabs(again.mu[k] - two.mu[k]), fabs(again.sd[k] - two.sd[k]))));
    check_le("common.mix1d_em.fixed_point", move, 1e-6, 0.0, "L07.Z5b.5.em_update",
             "one more EM step moves no parameter by more than 1e-6");
    free(resp);
    free(x);
    return check_end();
}
