/* Unit tests of common/gmm1d_diffusion.h: log-derivatives against finite differences of the
   log-density, the forward marginal against numerical convolution, and the one-step posterior's
   moments against Tweedie's formulas (two independent routes to the same numbers). */
#include <math.h>
#include <stddef.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gmm1d_diffusion.h"
#include "common/quadrature.h"

typedef struct { const Mix1 *q0; double beta, x; int moment; } Ctx;

static double conv_integrand(double xp, void *c) {
    const Ctx *k = c;
    double d = k->x - sqrt(1 - k->beta) * xp;
    double t = exp(-0.5 * d * d / k->beta) / sqrt(2 * M_PI * k->beta);
    return t * exp(mix1_logpdf(k->q0, xp)) * pow(xp, k->moment);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the 1-D mixture diffusion helpers", 43, NULL);
    const Mix1 q0 = {2, {0.7, 0.3}, {-1, 1}, {0.25, 0.25}};
    double fd_err = 0.0;
    const double h = 1e-4;
    for (int i = 0; i < 41; i++) {
        double x = -3 + 0.15 * i, d[4], dp[4], dm[4];
        mix1_log_derivs(&q0, x, d);
        mix1_log_derivs(&q0, x + h, dp);
        mix1_log_derivs(&q0, x - h, dm);
        fd_err = fmax(fd_err, fabs((mix1_logpdf(&q0, x + h) - mix1_logpdf(&q0, x - h)) / (2 * h) - d[1]) / (1 + fabs(d[1])));
        fd_err = fmax(fd_err, fabs((dp[1] - dm[1]) / (2 * h) - d[2]) / (1 + fabs(d[2])));
        fd_err = fmax(fd_err, fabs((dp[2] - dm[2]) / (2 * h) - d[3]) / (1 + fabs(d[3])));
        fd_err = fmax(fd_err, fabs(d[0] - mix1_logpdf(&q0, x)));
    }
    check_close("common.gmm1d.derivs_fd", fd_err, 0.0, 1e-6, NULL, "log-derivatives 1..3 vs central differences (h = 1e-4), 41 points");
    const double beta = 0.2;
    Mix1 q1 = mix1_forward(&q0, 1 - beta);
    double conv_err = 0.0, tw_err = 0.0;
    for (int i = 0; i < 9; i++) {
        Ctx c = {&q0, beta, -2 + 0.5 * i, 0};
        double z = quad_gauss_legendre_composite(conv_integrand, &c, -6, 6, 20, 40);
        conv_err = fmax(conv_err, fabs(z - exp(mix1_logpdf(&q1, c.x))));
        c.moment = 1;
        double m1 = quad_gauss_legendre_composite(conv_integrand, &c, -6, 6, 20, 40) / z;
        c.moment = 2;
        double m2 = quad_gauss_legendre_composite(conv_integrand, &c, -6, 6, 20, 40) / z;
        double tm, tv, pm, pv;
        mix1_tweedie(&q1, beta, c.x, &tm, &tv);
        Mix1 post = mix1_step_posterior(&q0, beta, c.x);
        mix1_moments(&post, &pm, &pv);
        tw_err = fmax(tw_err, fmax(fabs(tm - m1) + fabs(tv - (m2 - m1 * m1)), fabs(pm - m1) + fabs(pv - (m2 - m1 * m1))));
    }
    check_close("common.gmm1d.forward_marginal", conv_err, 0.0, 1e-12, NULL, "q_1 = integral T(x|x') q_0(x') dx' by quadrature vs closed form");
    check_close("common.gmm1d.posterior_tweedie", tw_err, 0.0, 1e-11, "common.gmm1d.tweedie",
                "posterior mean/variance: quadrature vs Tweedie vs the closed-form posterior mixture");
    return check_end();
}
