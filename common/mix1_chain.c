/* mix1_chain — see mix1_chain.h. Introduced for the study note's A8
   (lectures/n1_sohl_dickstein/08_model_probability), reused by B5.4. */
#include "common/mix1_chain.h"

#include <math.h>
#include <stdlib.h>

#include "common/util.h"

static double lognorm(double x, double m, double v) { return -0.5 * (x - m) * (x - m) / v - 0.5 * log(2 * M_PI * v); }

void mix1_chain_step(const Mix1 *q0, int model, int t, int T, double x, double *mean, double *var) {
    double beta = 1 - exp(-8.0 / T);
    if (model == MIX1_CHAIN_NOTE || (model == MIX1_CHAIN_EDGE && t == 1)) { *mean = sqrt(1 - beta) * x, *var = beta; return; }
    Mix1 qt = mix1_forward(q0, exp(-8.0 * t / T));
    mix1_tweedie(&qt, beta, x, mean, var);
}

void mix1_chain_grid_p0(const Mix1 *q0, int model, int T, double lo, double h, int ng, double *p) {
    double *np_ = xmalloc(ng * sizeof *np_), *mu = xmalloc(ng * sizeof *mu), *va = xmalloc(ng * sizeof *va);
    for (int i = 0; i < ng; i++) p[i] = exp(lognorm(lo + h * i, 0, 1));
    for (int t = T; t >= 1; t--) {
        for (int i = 0; i < ng; i++) mix1_chain_step(q0, model, t, T, lo + h * i, &mu[i], &va[i]);
        for (int k = 0; k < ng; k++) {
            double y = lo + h * k, s = 0.0;
            for (int i = 0; i < ng; i++) s += p[i] * exp(lognorm(y, mu[i], va[i]));
            np_[k] = s * h;
        }
        for (int k = 0; k < ng; k++) p[k] = np_[k];
    }
    free(np_), free(mu), free(va);
}

double mix1_chain_logw(const Mix1 *q0, int model, int T, double x0, Rng *r, double *xT) {
    double beta = 1 - exp(-8.0 / T), x = x0, lw = 0.0;
    for (int t = 1; t <= T; t++) {
        double xn = sqrt(1 - beta) * x + sqrt(beta) * rng_normal(r), m, v;
        mix1_chain_step(q0, model, t, T, xn, &m, &v);
        //: $\log\frac{p(x^{t-1}\mid x^t)}{q(x^t\mid x^{t-1})}$, eq. [eq:common.mix1_chain.logw]
        lw += lognorm(x, m, v) - lognorm(xn, sqrt(1 - beta) * x, beta);
        x = xn;
    }
    *xT = x;
    //: $+\log p(x^T) = \log\pi(x^T)$
    return lw + lognorm(x, 0, 1);
}
