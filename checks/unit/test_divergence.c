/* Unit tests of common/divergence.h: KL(p||p) = 0, Gibbs' inequality, H(p,q) = H(p) + KL,
   the 0 log 0 conventions, Gaussian KL closed form against a hand value and against quadrature. */
#include <math.h>
#include <stddef.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/divergence.h"
#include "common/gauss.h"
#include "common/rng.h"

typedef struct {
    double mu, sigma;
} Normal1;

static double normal_logpdf(double x, void *ctx) {
    const Normal1 *n = ctx;
    return gauss_logpdf_1d(x, n->mu, n->sigma);
}

static void random_simplex(Rng *r, double *p, int k) {
    double s = 0;
    for (int i = 0; i < k; i++) s += p[i] = -log(rng_uniform(r)); /* Dirichlet(1,...,1) */
    for (int i = 0; i < k; i++) p[i] /= s;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of entropy and KL divergences", 31, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    double p[10], q[10];
    random_simplex(&r, p, 10);
    check_close("common.divergence.kl_self", kl_discrete(p, p, 10), 0, 0, "common.divergence.kl_discrete",
                "KL(p||p) = 0 for a random p on 10 outcomes");
    double min_kl = INFINITY, worst_id = 0;
    for (int t = 0; t < 200; t++) {
        random_simplex(&r, p, 10);
        random_simplex(&r, q, 10);
        double kl = kl_discrete(p, q, 10);
        min_kl = fmin(min_kl, kl);
        worst_id = fmax(worst_id, fabs(cross_entropy_discrete(p, q, 10) -
                                       (entropy_discrete(p, 10) + kl)));
    }
    check_ge("common.divergence.kl_nonneg", min_kl, 0, 0, "common.divergence.kl_discrete",
             "Gibbs: min KL(p||q) over 200 random pairs on 10 outcomes is >= 0");
    check_close("common.divergence.cross_entropy_identity", worst_id, 0, 1e-14,
                "common.divergence.kl_discrete", "H(p,q) = H(p) + KL(p||q), worst of 200 random pairs");
    const double uni[4] = {0.25, 0.25, 0.25, 0.25};
    check_close("common.divergence.entropy_uniform", entropy_discrete(uni, 4), log(4.0), 1e-15, NULL,
                "entropy of the uniform law on 4 outcomes is log 4");
    /* conventions: p = (1/2, 1/2, 0), q = (1/4, 1/4, 1/2): KL = log 2; a zero of p where q is 0
       costs nothing; p > 0 where q = 0 is +inf */
    const double p3[3] = {0.5, 0.5, 0}, q3[3] = {0.25, 0.25, 0.5};
    const double pz[2] = {1, 0}, qz[2] = {1, 0}, ph[2] = {0.5, 0.5};
    check_close("common.divergence.kl_zero_p", kl_discrete(p3, q3, 3), log(2.0), 1e-15,
                "common.divergence.kl_discrete", "KL((1/2,1/2,0) || (1/4,1/4,1/2)) = log 2 (0 log 0 = 0)");
    check_true("common.divergence.zero_conventions",
               kl_discrete(pz, qz, 2) == 0 && cross_entropy_discrete(pz, qz, 2) == 0 &&
                   entropy_discrete(pz, 2) == 0 && isinf(kl_discrete(ph, qz, 2)) &&
                   isinf(cross_entropy_discrete(ph, qz, 2)),
               "(1,0) vs (1,0): KL = H = H(p,q) = 0; (1/2,1/2) vs (1,0): KL = H(p,q) = +inf");

    /* Gaussians. KL(N(0,1) || N(1,2^2)) = log 2 + (1 + 1)/8 - 1/2 = log 2 - 1/4 by hand */
    check_close("common.divergence.kl_gauss_hand", kl_gauss_1d(0, 1, 1, 2), log(2.0) - 0.25, 1e-15,
                "common.divergence.kl_gauss", "KL(N(0,1) || N(1,4)) = log 2 - 1/4");
    check_close("common.divergence.kl_gauss_self", kl_gauss_1d(0.3, 1.7, 0.3, 1.7), 0, 1e-15,
                "common.divergence.kl_gauss", "KL of a Gaussian with itself is 0");
    /* closed form vs quadrature: p = N(0.5, 1.5^2), q = N(-1, 0.8^2), on p's mean +- 15 sd
       (mass outside ~ 1e-50), 60 panels of 20 Gauss-Legendre points: rounding-level agreement */
    Normal1 np = {0.5, 1.5}, nq = {-1.0, 0.8};
    double quad = kl_quadrature_1d(normal_logpdf, &np, normal_logpdf, &nq, 0.5 - 22.5, 0.5 + 22.5,
                                   60);
    check_close("common.divergence.kl_gauss_quadrature", quad, kl_gauss_1d(0.5, 1.5, -1.0, 0.8), 1e-12,
                "common.divergence.kl_gauss", "closed-form Gaussian KL = quadrature of p log(p/q)");
    check_close("common.divergence.kl_quadrature_self",
                kl_quadrature_1d(normal_logpdf, &np, normal_logpdf, &np, -22, 23, 60), 0, 0, NULL,
                "quadrature KL(p||p) = 0 exactly (every integrand value is 0)");
    /* diagonal d-dim = sum of 1-D terms */
    const double m1[3] = {0, 1, -2}, v1[3] = {1, 0.25, 4}, m2[3] = {0.5, 0, -2},
                 v2[3] = {2, 1, 1};
    double sum1d = 0;
    for (int a = 0; a < 3; a++) sum1d += kl_gauss_1d(m1[a], sqrt(v1[a]), m2[a], sqrt(v2[a]));
    check_close("common.divergence.kl_gauss_diag", kl_gauss_diag(m1, v1, m2, v2, 3), sum1d, 1e-14,
                "common.divergence.kl_gauss", "diagonal 3-D Gaussian KL = sum of the 1-D KLs");
    return check_end();
}
