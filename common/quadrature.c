/* quadrature — Gauss-Legendre by Newton on Legendre polynomials, composite Simpson. */
#include <math.h>

#include "common/quadrature.h"
#include "common/util.h"

/* P_n(x) and P_{n-1}(x) by Bonnet's recurrence. */
static void legendre(int n, double x, double *pn, double *pn_minus_1) {
    double p_prev = 1.0, p = x; /* P_0, P_1 */
    if (n == 0) {
        *pn = 1.0;
        *pn_minus_1 = 0.0;
        return;
    }
    for (int k = 1; k < n; k++) {
        //: $(k+1)P_{k+1} = (2k+1)\,x P_k - k P_{k-1}$
        double p_next = ((2.0 * k + 1.0) * x * p - k * p_prev) / (k + 1.0);
        p_prev = p;
        p = p_next;
    }
    *pn = p;
    *pn_minus_1 = p_prev;
}

void gauss_legendre(int n, double *nodes, double *weights) {
    if (n < 1) die("gauss_legendre: n = %d < 1", n);
    const double pi = 3.14159265358979323846;
    for (int i = 1; i <= (n + 1) / 2; i++) {
        //: $x^{(0)} = \cos(\pi(i - 1/4)/(n + 1/2))$: close to the i-th largest root
        double x = cos(pi * (i - 0.25) / (n + 0.5));
        double pn, pm, dp = 1.0;
        for (int it = 0; it < 100; it++) {
            legendre(n, x, &pn, &pm);
            //: $P_n'(x) = n\,(x P_n - P_{n-1})/(x^2 - 1)$
            dp = n * (x * pn - pm) / (x * x - 1.0);
            double step = pn / dp;
            x -= step;
            if (fabs(step) <= 1e-16 * fmax(1.0, fabs(x))) break;
        }
        legendre(n, x, &pn, &pm); /* derivative at the converged root */
        dp = n * (x * pn - pm) / (x * x - 1.0);
        if (2 * i - 1 == n) x = 0.0; /* the middle root of odd n is exactly 0 */
        //: $w_i = 2 / ((1 - x_i^2) P_n'(x_i)^2)$
        double w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[n - i] = x;
        nodes[i - 1] = -x;
        weights[n - i] = weights[i - 1] = w;
    }
}

#define GL_MAX 256

double quad_gauss_legendre_composite(quad_fn f, void *ctx, double a, double b, int n,
                                     int panels) {
    if (n < 1 || n > GL_MAX || panels < 1)
        die("quad_gauss_legendre: need 1 <= n <= %d and panels >= 1", GL_MAX);
    double x[GL_MAX], w[GL_MAX];
    gauss_legendre(n, x, w);
    const double width = (b - a) / panels;
    double total = 0.0;
    for (int p = 0; p < panels; p++) {
        const double lo = a + p * width, half = 0.5 * width, mid = lo + half;
        double s = 0.0;
        //: $\int_{lo}^{lo+2h} f \approx h \sum_i w_i f(m + h x_i)$
        for (int i = 0; i < n; i++) s += w[i] * f(mid + half * x[i], ctx);
        total += half * s;
    }
    return total;
}

double quad_gauss_legendre(quad_fn f, void *ctx, double a, double b, int n) {
    return quad_gauss_legendre_composite(f, ctx, a, b, n, 1);
}

double quad_simpson(quad_fn f, void *ctx, double a, double b, int m) {
    if (m < 2 || m % 2) die("quad_simpson: m = %d must be even and >= 2", m);
    const double h = (b - a) / m;
    double s = f(a, ctx) + f(b, ctx);
    //: $\frac h3 (f_0 + 4 f_1 + 2 f_2 + \dots + 4 f_{m-1} + f_m)$ {#eq:common.quadrature.simpson}
    for (int i = 1; i < m; i++) s += (i % 2 ? 4.0 : 2.0) * f(a + i * h, ctx);
    return s * h / 3.0;
}
