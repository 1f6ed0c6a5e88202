/* divergence — discrete entropy / cross-entropy / KL, Gaussian KL in closed form, and KL of
   two 1-D densities by quadrature (divergence.h). */
#include <math.h>

#include "common/divergence.h"
#include "common/mathfn.h"
#include "common/quadrature.h"

double entropy_discrete(const double *p, size_t k) {
    double h = 0.0;
    //: $H(p) = -\sum_k p_k \log p_k$, $0\log 0 = 0$
    for (size_t i = 0; i < k; i++) h -= xlogx(p[i]);
    return h;
}

double cross_entropy_discrete(const double *p, const double *q, size_t k) {
    double h = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (p[i] == 0.0) continue; /* 0 log q = 0, even for q = 0 */
        //: $H(p,q) = -\sum_k p_k \log q_k$
        h -= p[i] * log(q[i]);
    }
    return h;
}

double kl_discrete(const double *p, const double *q, size_t k) {
    double kl = 0.0;
    //: $\mathrm{KL}(p\Vert q) = \sum_k p_k\log(p_k/q_k)$
    for (size_t i = 0; i < k; i++) kl += xlogy_ratio(p[i], q[i]);
    return kl;
}

double kl_gauss_1d(double mu1, double sigma1, double mu2, double sigma2) {
    const double dm = mu1 - mu2;
    //: $\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12$
    return log(sigma2 / sigma1) + (sigma1 * sigma1 + dm * dm) / (2.0 * sigma2 * sigma2) - 0.5;
}

double kl_gauss_diag(const double *mu1, const double *var1, const double *mu2,
                     const double *var2, int d) {
    double kl = 0.0;
    for (int a = 0; a < d; a++) {
        const double dm = mu1[a] - mu2[a];
        //: $\sum_a \big[\frac12\log\frac{\sigma_{2a}^2}{\sigma_{1a}^2} + \frac{\sigma_{1a}^2 + (\mu_{1a}-\mu_{2a})^2}{2\sigma_{2a}^2} - \frac12\big]$
        kl += 0.5 * log(var2[a] / var1[a]) + (var1[a] + dm * dm) / (2.0 * var2[a]) - 0.5;
    }
    return kl;
}

typedef struct {
    logpdf_fn logp, logq;
    void *p_ctx, *q_ctx;
} KlIntegrand;

static double kl_integrand(double x, void *ctx) {
    const KlIntegrand *k = ctx;
    const double lp = k->logp(x, k->p_ctx);
    if (lp == -INFINITY) return 0.0; /* p(x) = 0: the 0 log 0 convention */
    //: $p(x)\,(\log p(x) - \log q(x))$
    return exp(lp) * (lp - k->logq(x, k->q_ctx));
}

double kl_quadrature_1d(logpdf_fn logp, void *p_ctx, logpdf_fn logq, void *q_ctx, double a,
                        double b, int panels) {
    KlIntegrand k = {logp, logq, p_ctx, q_ctx};
    return quad_gauss_legendre_composite(kl_integrand, &k, a, b, 20, panels);
}
