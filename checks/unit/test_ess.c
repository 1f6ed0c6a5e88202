/* Unit tests of common/ess.h: importance ESS of equal and of one dominant log-weight (including
   log-weights that would overflow), the autocorrelation of a hand example, and the MCMC ESS of
   AR(1) chains against n (1 - rho)/(1 + rho). */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ess.h"
#include "common/rng.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of effective sample sizes", 29, NULL);

    /* importance ESS */
    {
        const size_t n = 1000;
        double *lw = xmalloc(sizeof(double) * n);
        for (size_t i = 0; i < n; i++) lw[i] = 800.0; /* e^800 overflows a double */
        check_rel("common.ess.equal_weights", ess_log_weights(lw, n), (double)n, 1e-12,
                  "common.ess.importance", "ESS of 1000 equal log-weights (= 800, e^800 = inf) is n");
        /* one weight e^30 above 999 others; with u = e^-30,
           ESS = (e^30 + 999)^2 / (e^60 + 999) = (1 + 999 u)^2 / (1 + 999 u^2) = 1 + 1.9e-10.
           Tolerance: adding n terms to a running sum errs by up to (n-1) u of the sum (unit
           roundoff u = DBL_EPSILON/2), and ESS squares the sum: 2 n u = n DBL_EPSILON = 2.2e-13
           (here 999 additions of 9.4e-14 to 1, each rounded by up to half an ulp) */
        for (size_t i = 0; i < n; i++) lw[i] = -500.0;
        lw[17] = -470.0;
        const double u = exp(-30.0), one = (1 + 999 * u) * (1 + 999 * u) / (1 + 999 * u * u);
        check_close("common.ess.dominant_weight", ess_log_weights(lw, n), one, n * DBL_EPSILON,
                    "common.ess.importance", "one weight e^30 times the 999 others: ESS = 1");
        /* two levels: k weights 1 and n-k weights 0 (log -inf): ESS = k */
        for (size_t i = 0; i < n; i++) lw[i] = i < 250 ? 0.0 : -INFINITY;
        check_rel("common.ess.zero_weights", ess_log_weights(lw, n), 250.0, 1e-12,
                  "common.ess.importance", "250 unit weights and 750 zero weights: ESS = 250");
        free(lw);
    }
    /* autocorrelation of x = (1, 2, 3, 4): centred (-1.5, -.5, .5, 1.5), gamma_0 = 5,
       sum_i c_i c_{i+1} = .75 - .25 + .75 = 1.25, lag 2: -.75 - .75 = -1.5, lag 3: -2.25 */
    {
        const double x[4] = {1, 2, 3, 4};
        double rho[4];
        autocorrelation(x, 4, rho, 3);
        double err = fabs(rho[0] - 1) + fabs(rho[1] - 0.25) + fabs(rho[2] + 0.3) +
                     fabs(rho[3] + 0.45);
        check_close("common.ess.autocorr_hand", err, 0, 1e-14, NULL,
                    "autocorrelation of (1,2,3,4) = (1, 1/4, -3/10, -9/20) worked by hand");
    }
    /* AR(1) x_{t+1} = rho x_t + sqrt(1 - rho^2) eps_t started in its stationary law N(0,1):
       tau = (1 + rho)/(1 - rho) = 19 for rho = 0.9, ESS/n = 1/19. R independent chains (one
       Philox stream each) give R estimates of tau; the check is Monte Carlo: their mean against
       19 within 5 standard errors of that mean (the spread across chains). */
    {
        const double rho = 0.9, tau = (1 + rho) / (1 - rho);
        const size_t n = (size_t)cli_scale(&cli, 10000, 20000, 100000);
        const int R = (int)cli_scale(&cli, 10, 40, 100);
        double *x = xmalloc(sizeof(double) * n), s = 0, s2 = 0, ess_first = 0;
        for (int c = 0; c < R; c++) {
            Rng r;
            rng_init(&r, cli.seed, (uint64_t)c);
            x[0] = rng_normal(&r);
            for (size_t t = 1; t < n; t++) x[t] = rho * x[t - 1] + sqrt(1 - rho * rho) * rng_normal(&r);
            double tau_hat = integrated_autocorr_time(x, n);
            if (c == 0) ess_first = ess_mcmc(x, n);
            s += tau_hat;
            s2 += tau_hat * tau_hat;
        }
        double mean = s / R, sd = sqrt((s2 / R - mean * mean) * R / (R - 1.0));
        check_mc("common.ess.ar1_tau", mean, tau, sd / sqrt((double)R), 5, R, "common.ess.mcmc",
                 "mean tau_hat over %d AR(1) chains (rho = 0.9, n = %zu) = (1+rho)/(1-rho) = 19 "
                 "(one-chain sd %.2f)", R, n, sd);
        /* a single chain: its ESS within 4 one-chain sds of n (1-rho)/(1+rho). tau_hat of one
           chain has relative sd sd/19, and ESS = n/tau_hat inherits it to first order */
        check_close("common.ess.ar1_ess_one_chain", ess_first, n / tau, 4 * (sd / tau) * n / tau,
                    "common.ess.mcmc", "ESS of one AR(1) chain vs n (1-rho)/(1+rho) = %.0f, "
                    "tolerance 4 x its relative sd (%.1f%%) from the %d chains",
                    n / tau, 100 * sd / tau, R);
        /* independent draws: rho = 0 gives ESS ~ n. Over seeds 1..6 at n = 2e4, ESS/n ranged
           0.94..1.01 (mean 0.98: the sum over the kept lags, stopped at the first non-positive
           pair, biases tau up by ~2%; spread ~3%), so we check [0.9, 1.1] */
        Rng r;
        rng_init(&r, cli.seed, 1000);
        rng_normal_fill(&r, x, n);
        check_in("common.ess.iid", ess_mcmc(x, n) / n, 0.9, 1.1, "common.ess.mcmc",
                 "ESS / n of %zu independent normals is ~1", n);
        free(x);
    }
    return check_end();
}
