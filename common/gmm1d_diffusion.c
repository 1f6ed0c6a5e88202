/* A 1-D Gaussian mixture under the Gaussian diffusion kernel (see gmm1d_diffusion.h). */
#include "common/gmm1d_diffusion.h"

#include <math.h>

static double comp_log(const Mix1 *q, int i, double x) {
    double d = x - q->m[i];
    return log(q->w[i]) - 0.5 * d * d / q->v[i] - 0.5 * log(2 * M_PI * q->v[i]);
}

double mix1_logpdf(const Mix1 *q, double x) {
    double l[MIX1_MAX], mx = -INFINITY, s = 0.0;
    for (int i = 0; i < q->k; i++) l[i] = comp_log(q, i, x), mx = fmax(mx, l[i]);
    for (int i = 0; i < q->k; i++) s += exp(l[i] - mx);
    return mx + log(s);
}

void mix1_log_derivs(const Mix1 *q, double x, double d[4]) {
    double l[MIX1_MAX], mx = -INFINITY, f0 = 0, f1 = 0, f2 = 0, f3 = 0;
    for (int i = 0; i < q->k; i++) l[i] = comp_log(q, i, x), mx = fmax(mx, l[i]);
    for (int i = 0; i < q->k; i++) {
        double r = exp(l[i] - mx), s = -(x - q->m[i]) / q->v[i], iv = 1.0 / q->v[i];
        f0 += r, f1 += r * s, f2 += r * (s * s - iv), f3 += r * (s * s * s - 3 * s * iv);
    }
    double g1 = f1 / f0, g2 = f2 / f0, g3 = f3 / f0; /* f^(j) / f */
    d[0] = mx + log(f0);
    d[1] = g1;
    d[2] = g2 - g1 * g1;
    d[3] = g3 - 3 * g1 * g2 + 2 * g1 * g1 * g1;
}

Mix1 mix1_forward(const Mix1 *q0, double abar) {
    Mix1 q = *q0;
    for (int i = 0; i < q.k; i++) q.m[i] = sqrt(abar) * q0->m[i], q.v[i] = abar * q0->v[i] + 1 - abar;
    return q;
}

Mix1 mix1_step_posterior(const Mix1 *q, double beta, double x) {
    Mix1 p = {.k = q->k};
    double lw[MIX1_MAX], mx = -INFINITY, s = 0.0, a = sqrt(1 - beta);
    for (int i = 0; i < q->k; i++) {
        double var = (1 - beta) * q->v[i] + beta, d = x - a * q->m[i];
        lw[i] = log(q->w[i]) - 0.5 * d * d / var - 0.5 * log(var);
        mx = fmax(mx, lw[i]);
        p.v[i] = 1.0 / ((1 - beta) / beta + 1.0 / q->v[i]);
        p.m[i] = p.v[i] * (a * x / beta + q->m[i] / q->v[i]);
    }
    for (int i = 0; i < q->k; i++) s += exp(lw[i] - mx);
    for (int i = 0; i < q->k; i++) p.w[i] = exp(lw[i] - mx) / s;
    return p;
}

void mix1_moments(const Mix1 *q, double *mean, double *var) {
    double m = 0, s2 = 0;
    for (int i = 0; i < q->k; i++) m += q->w[i] * q->m[i], s2 += q->w[i] * (q->v[i] + q->m[i] * q->m[i]);
    *mean = m;
    *var = s2 - m * m;
}

void mix1_tweedie(const Mix1 *qt, double beta, double x, double *mean, double *var) {
    double d[4];
    mix1_log_derivs(qt, x, d);
    *mean = (x + beta * d[1]) / sqrt(1 - beta);
    *var = (beta + beta * beta * d[2]) / (1 - beta);
}
