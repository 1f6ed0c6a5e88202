/* Fixed-step Euler / Heun / RK4 and adaptive Dormand-Prince 5(4); see ode.h. */
#include "common/ode.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int ode_method_nfe(OdeMethod m) { return m == ODE_EULER ? 1 : m == ODE_HEUN ? 2 : 4; }

const char *ode_method_name(OdeMethod m) {
    return m == ODE_EULER ? "Euler" : m == ODE_HEUN ? "Heun" : "RK4";
}

/* One step with caller-provided scratch w (4n doubles). */
static int step_ws(OdeMethod m, OdeFn f, void *ctx, double t, double h, double *y, int n, double *w) {
    double *k1 = w, *k2 = w + n, *k3 = w + 2 * n, *tmp = w + 3 * n;
    f(t, y, k1, n, ctx);
    if (m == ODE_EULER) {
        for (int i = 0; i < n; i++) y[i] += h * k1[i];
        return 1;
    }
    if (m == ODE_HEUN) {
        for (int i = 0; i < n; i++) tmp[i] = y[i] + h * k1[i];
        f(t + h, tmp, k2, n, ctx);
        for (int i = 0; i < n; i++) y[i] += 0.5 * h * (k1[i] + k2[i]);
        return 2;
    }
    /* RK4, [eq:common.ode.rk4]; k4 reuses k2's slot after k2 has been accumulated into k1 */
    for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
    f(t + 0.5 * h, tmp, k2, n, ctx);
    for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
    f(t + 0.5 * h, tmp, k3, n, ctx);
    for (int i = 0; i < n; i++) {
        k1[i] += 2.0 * k2[i] + 2.0 * k3[i];
        tmp[i] = y[i] + h * k3[i];
    }
    f(t + h, tmp, k2, n, ctx);
    for (int i = 0; i < n; i++) y[i] += h / 6.0 * (k1[i] + k2[i]);
    return 4;
}

int ode_step(OdeMethod m, OdeFn f, void *ctx, double t, double h, double *y, int n) {
    double *w = xmalloc(sizeof(double) * 4 * (size_t)n);
    int nfe = step_ws(m, f, ctx, t, h, y, n, w);
    free(w);
    return nfe;
}

long ode_solve_grid(OdeMethod m, OdeFn f, void *ctx, const double *t, int steps, double *y, int n,
                    double *path) {
    if (steps < 1) return -1;
    double *w = xmalloc(sizeof(double) * 4 * (size_t)n);
    long nfe = 0;
    if (path) memcpy(path, y, sizeof(double) * (size_t)n);
    for (int k = 0; k < steps; k++) {
        nfe += step_ws(m, f, ctx, t[k], t[k + 1] - t[k], y, n, w);
        if (path) memcpy(path + (size_t)(k + 1) * n, y, sizeof(double) * (size_t)n);
    }
    free(w);
    return nfe;
}

long ode_solve_fixed(OdeMethod m, OdeFn f, void *ctx, double t0, double t1, int steps, double *y,
                     int n) {
    if (steps < 1) return -1;
    double *w = xmalloc(sizeof(double) * 4 * (size_t)n);
    const double h = (t1 - t0) / steps;
    long nfe = 0;
    /* t_k = t0 + k h computed from k (no accumulated rounding in t) */
    for (int k = 0; k < steps; k++) nfe += step_ws(m, f, ctx, t0 + k * h, h, y, n, w);
    free(w);
    return nfe;
}

/* Dormand-Prince 5(4) tableau (Hairer, Norsett & Wanner, Table II.5.2). */
static const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
static const double A21 = 1.0 / 5;
static const double A31 = 3.0 / 40, A32 = 9.0 / 40;
static const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
static const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561,
                    A54 = -212.0 / 729;
static const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176,
                    A65 = -5103.0 / 18656;
static const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784,
                    B6 = 11.0 / 84;
/* b - b_hat: the local error estimate */
static const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200,
                    E6 = 22.0 / 525, E7 = -1.0 / 40;

/* RMS of v_i / (atol + rtol max(|a_i|, |b_i|)) */
static double err_norm(const double *v, const double *a, const double *b, int n, double rtol,
                       double atol) {
    double s = 0;
    for (int i = 0; i < n; i++) {
        const double sc = atol + rtol * fmax(fabs(a[i]), fabs(b[i]));
        const double r = v[i] / sc;
        s += r * r;
    }
    return sqrt(s / n);
}

int ode_dopri5(OdeFn f, void *ctx, double t0, double t1, double *y, int n, const OdeDopriOpts *opt,
               OdeStats *stats) {
    const double rtol = opt->rtol, atol = opt->atol;
    const long max_steps = opt->max_steps > 0 ? opt->max_steps : 100000;
    OdeStats st = {0, 0, 0};
    if (t1 == t0) {
        if (stats) *stats = st;
        return 0;
    }
    const double dir = t1 > t0 ? 1.0 : -1.0;
    double *w = xmalloc(sizeof(double) * 9 * (size_t)n);
    double *k1 = w, *k2 = w + n, *k3 = w + 2 * n, *k4 = w + 3 * n, *k5 = w + 4 * n, *k6 = w + 5 * n,
           *k7 = w + 6 * n, *ynew = w + 7 * n, *tmp = w + 8 * n;
    double t = t0;
    f(t, y, k1, n, ctx);
    st.nfe++;

    double h = fabs(opt->h0);
    if (h == 0) {
        /* Hairer's starting step (II.4): from the sizes of y, f and an estimate of f' */
        for (int i = 0; i < n; i++) tmp[i] = 0;
        const double d0 = err_norm(y, y, tmp, n, rtol, atol), d1 = err_norm(k1, y, tmp, n, rtol, atol);
        double hh = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
        hh = fmin(hh, fabs(t1 - t0));
        for (int i = 0; i < n; i++) ynew[i] = y[i] + dir * hh * k1[i];
        f(t + dir * hh, ynew, k2, n, ctx);
        st.nfe++;
        for (int i = 0; i < n; i++) tmp[i] = k2[i] - k1[i];
        for (int i = 0; i < n; i++) k3[i] = 0;
        const double d2 = err_norm(tmp, y, k3, n, rtol, atol) / hh;
        const double dm = fmax(d1, d2);
        const double h1 = dm <= 1e-15 ? fmax(1e-6, hh * 1e-3) : pow(0.01 / dm, 1.0 / 5);
        h = fmin(100 * hh, h1);
    }

    int status = 0;
    bool last_rejected = false;
    while (dir * (t1 - t) > 0) {
        if (st.accepted + st.rejected >= max_steps) {
            status = -1;
            break;
        }
        if (h < 1e-14 * fmax(1.0, fabs(t))) {
            status = -1;
            break;
        }
        bool final = false;
        if (h >= fabs(t1 - t)) {
            h = fabs(t1 - t);
            final = true;
        }
        const double hs = dir * h;
        for (int i = 0; i < n; i++) tmp[i] = y[i] + hs * A21 * k1[i];
        f(t + C2 * hs, tmp, k2, n, ctx);
        for (int i = 0; i < n; i++) tmp[i] = y[i] + hs * (A31 * k1[i] + A32 * k2[i]);
        f(t + C3 * hs, tmp, k3, n, ctx);
        for (int i = 0; i < n; i++) tmp[i] = y[i] + hs * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
        f(t + C4 * hs, tmp, k4, n, ctx);
        for (int i = 0; i < n; i++)
            tmp[i] = y[i] + hs * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
        f(t + C5 * hs, tmp, k5, n, ctx);
        for (int i = 0; i < n; i++)
            tmp[i] = y[i] + hs * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
        const double tnew = final ? t1 : t + hs;
        f(t + hs, tmp, k6, n, ctx);
        for (int i = 0; i < n; i++)
            ynew[i] = y[i] + hs * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i]);
        f(tnew, ynew, k7, n, ctx);
        st.nfe += 6;
        for (int i = 0; i < n; i++)
            tmp[i] = hs * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
        const double err = err_norm(tmp, y, ynew, n, rtol, atol);
        if (!isfinite(err)) {
            h *= 0.2;
            st.rejected++;
            last_rejected = true;
            continue;
        }
        double fac = err == 0 ? 5.0 : fmin(5.0, fmax(0.2, 0.9 * pow(err, -1.0 / 5)));
        if (err <= 1.0) {
            t = tnew;
            memcpy(y, ynew, sizeof(double) * (size_t)n);
            memcpy(k1, k7, sizeof(double) * (size_t)n); /* FSAL */
            st.accepted++;
            if (last_rejected) fac = fmin(fac, 1.0); /* no growth right after a rejection */
            last_rejected = false;
            if (final) break;
        } else {
            st.rejected++;
            last_rejected = true;
            fac = fmin(fac, 1.0);
        }
        h *= fac;
    }
    free(w);
    if (stats) *stats = st;
    return status;
}
