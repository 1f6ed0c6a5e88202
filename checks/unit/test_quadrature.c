/* Unit tests of common/quadrature.h: Gauss-Legendre known nodes, exactness for polynomials of
   degree 2n-1 (and not 2n), integrals of exp and the normal density to 1e-14, composite
   Simpson's h^4 error order. */
#include <math.h>
#include <stddef.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/quadrature.h"

static double monomial(double x, void *ctx) { return pow(x, *(int *)ctx); }
static double expo(double x, void *ctx) {
    (void)ctx;
    return exp(x);
}
static double normal_pdf(double x, void *ctx) {
    (void)ctx;
    return exp(-0.5 * x * x) / sqrt(2 * M_PI);
}
static double cubic(double x, void *ctx) {
    (void)ctx;
    return 4 * x * x * x - 3 * x * x + 2 * x - 1;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of Gauss-Legendre and Simpson", 17, NULL);

    /* textbook rules: n = 2 nodes +-1/sqrt3 weights 1; n = 3 nodes 0, +-sqrt(3/5),
       weights 8/9, 5/9 */
    double x[64], w[64];
    gauss_legendre(2, x, w);
    double e2 = fmax(fabs(x[1] - 1 / sqrt(3.0)), fabs(x[0] + 1 / sqrt(3.0)));
    e2 = fmax(e2, fmax(fabs(w[0] - 1), fabs(w[1] - 1)));
    gauss_legendre(3, x, w);
    double e3 = fmax(fabs(x[1]), fabs(x[2] - sqrt(0.6)));
    e3 = fmax(e3, fmax(fabs(w[1] - 8.0 / 9), fabs(w[0] - 5.0 / 9)));
    check_close("common.quadrature.gl_known_rules", fmax(e2, e3), 0, 1e-15, "common.quadrature.gl_weight",
                "2- and 3-point rules: nodes +-1/sqrt3, {0, +-sqrt(3/5)}, weights 1, {8/9, 5/9}");

    /* exact for x^k, k <= 2n-1, on [-1, 1]: int = (1 - (-1)^(k+1))/(k+1) */
    const int ns[7] = {1, 2, 5, 10, 20, 32, 64};
    double worst = 0, sym = 0, wsum_err = 0;
    for (int t = 0; t < 7; t++) {
        int n = ns[t];
        gauss_legendre(n, x, w);
        double ws = 0;
        for (int i = 0; i < n; i++) {
            ws += w[i];
            sym = fmax(sym, fabs(x[i] + x[n - 1 - i]) + fabs(w[i] - w[n - 1 - i]));
        }
        wsum_err = fmax(wsum_err, fabs(ws - 2));
        for (int k = 0; k <= 2 * n - 1; k++) {
            double exact = (k % 2) ? 0.0 : 2.0 / (k + 1);
            worst = fmax(worst, fabs(quad_gauss_legendre(monomial, &k, -1, 1, n) - exact));
        }
    }
    check_close("common.quadrature.gl_exact_degree", worst, 0, 1e-14, NULL,
                "n-point rule integrates x^k exactly for k <= 2n-1 (n = 1, 2, 5, 10, 20, 32, 64)");
    check_close("common.quadrature.gl_weights_sum", wsum_err, 0, 1e-13, NULL,
                "weights sum to 2 = int_{-1}^{1} 1 dx, for every n tested");
    check_close("common.quadrature.gl_symmetric", sym, 0, 0, NULL,
                "nodes and weights are exactly symmetric about 0");
    int k6 = 6;
    check_ge("common.quadrature.gl_not_exact_2n", fabs(quad_gauss_legendre(monomial, &k6, -1, 1, 3) - 2.0 / 7),
             1e-3, 0, NULL, "the 3-point rule is not exact for x^6 (degree 2n): error 8/175");

    check_close("common.quadrature.gl_exp", quad_gauss_legendre(expo, NULL, 0, 1, 20), M_E - 1, 1e-14,
                NULL, "int_0^1 e^x dx = e - 1 (20 points)");
    /* erf(sqrt 2) = 0.9544997361036416 from python3's math.erf */
    check_close("common.quadrature.gl_normal", quad_gauss_legendre(normal_pdf, NULL, -2, 2, 40),
                0.9544997361036416, 1e-14, NULL, "int_{-2}^{2} phi = erf(sqrt 2) (40 points)");
    check_close("common.quadrature.gl_composite_normal",
                quad_gauss_legendre_composite(normal_pdf, NULL, -12, 12, 20, 8), 1.0, 1e-14, NULL,
                "int_{-12}^{12} phi = 1 - 2e-33 (20 points x 8 panels)");

    /* Simpson: exact for cubics; error of e^x on [0,1] falls by 16 per halving of h */
    check_close("common.quadrature.simpson_cubic", quad_simpson(cubic, NULL, -1, 2, 2), 15 - 9 + 3 - 3,
                1e-13, "common.quadrature.simpson",
                "Simpson with 2 intervals is exact for a cubic: int_{-1}^{2} 4x^3-3x^2+2x-1 = 6");
    double e16 = fabs(quad_simpson(expo, NULL, 0, 1, 16) - (M_E - 1));
    double e32 = fabs(quad_simpson(expo, NULL, 0, 1, 32) - (M_E - 1));
    /* leading error (b-a) h^4 / 180 * mean f'''' -> ratio 2^4 = 16 up to O(h^2) corrections */
    check_in("common.quadrature.simpson_order", e16 / e32, 15.5, 16.5, "common.quadrature.simpson",
             "Simpson error ratio for h -> h/2 is 16 (fourth order), e^x on [0,1], m = 16, 32");
    check_rel("common.quadrature.simpson_error_const", e16, (M_E - 1) / 180 * pow(1.0 / 16, 4), 0.01,
              "common.quadrature.simpson", "Simpson error = (b-a) h^4/180 * mean f'''' (m = 16)");
    return check_end();
}
