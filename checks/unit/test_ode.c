/* Unit tests of common/ode.h on problems with exact solutions: y' = y cos t (y = exp(sin t)) and
   the harmonic oscillator (y = (cos t, -sin t)). Observed orders log2(e_N / e_2N) of Euler, Heun
   and RK4 (1, 2, 4), backward integration, the grid solver against the uniform one, and adaptive
   Dormand-Prince 5(4): global error tracking the tolerance, NFE growing like tol^(-1/5),
   rejected steps on a stiff-ish start, NFE bookkeeping. */
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/ode.h"

static long g_calls;

static void f_cos(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)ctx;
    for (int i = 0; i < n; i++) dydt[i] = y[i] * cos(t);
    g_calls++;
}

static void f_osc(double t, const double *y, double *dydt, int n, void *ctx) {
    (void)t, (void)n, (void)ctx;
    dydt[0] = y[1];
    dydt[1] = -y[0];
    g_calls++;
}

/* y' = -k (y - cos t): a fast relaxation onto a slow solution; exact for y(0) = y0:
   y = c e^{-kt} + k (k cos t + sin t)/(k^2 + 1), c = y0 - k^2/(k^2+1). */
static void f_relax(double t, const double *y, double *dydt, int n, void *ctx) {
    const double k = *(const double *)ctx;
    for (int i = 0; i < n; i++) dydt[i] = -k * (y[i] - cos(t));
    g_calls++;
}
static double relax_exact(double k, double y0, double t) {
    const double c = y0 - k * k / (k * k + 1);
    return c * exp(-k * t) + k * (k * cos(t) + sin(t)) / (k * k + 1);
}

static double err_cos(OdeMethod m, int steps) {
    double y[1] = {1.0};
    ode_solve_fixed(m, f_cos, NULL, 0.0, 2.0, steps, y, 1);
    return fabs(y[0] - exp(sin(2.0)));
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the ODE solvers (Euler, Heun, RK4, DOPRI5)",
              23, NULL);

    /* observed orders on y' = y cos t, t in [0, 2] */
    const OdeMethod ms[3] = {ODE_EULER, ODE_HEUN, ODE_RK4};
    const int orders[3] = {1, 2, 4};
    const char *ids[3] = {"common.ode.order_euler", "common.ode.order_heun", "common.ode.order_rk4"};
    for (int k = 0; k < 3; k++) {
        const int p = orders[k];
        const double e1 = err_cos(ms[k], 100), e2 = err_cos(ms[k], 200);
        printf("  %-5s  e(100) = %.3e  e(200) = %.3e\n", ode_method_name(ms[k]), e1, e2);
        check_close(ids[k], log2(e1 / e2), p, 0.1, "common.ode.rk4",
                    "%s on y' = y cos t, y(2) = exp(sin 2): log2(e_100 / e_200) is the order %d",
                    ode_method_name(ms[k]), p);
    }

    /* NFE of a fixed-step solve */
    g_calls = 0;
    double y1[1] = {1.0};
    long nfe = ode_solve_fixed(ODE_RK4, f_cos, NULL, 0.0, 2.0, 37, y1, 1);
    check_true("common.ode.fixed_nfe", nfe == 148 && g_calls == 148,
               "RK4 with 37 steps reports and makes 4 * 37 = 148 calls (reported %ld, made %ld)", nfe,
               g_calls);

    /* backward: oscillator from t = 2 pi (state (1, 0)) back to t = 0 must give (1, 0) */
    double yo[2] = {1.0, 0.0};
    ode_solve_fixed(ODE_RK4, f_osc, NULL, 2 * M_PI, 0.0, 400, yo, 2);
    check_close("common.ode.backward_rk4", fmax(fabs(yo[0] - 1), fabs(yo[1])), 0, 1e-8, NULL,
                "RK4 backward over one period of the oscillator (400 steps) returns to (1, 0)");

    /* the grid solver on a uniform grid is the fixed solver, bit for bit; the path ends at y */
    double tg[51], path[51 * 2], ya[2] = {0.3, -0.7}, yb[2] = {0.3, -0.7};
    for (int k = 0; k <= 50; k++) tg[k] = 0.0 + k * (3.0 / 50);
    ode_solve_grid(ODE_HEUN, f_osc, NULL, tg, 50, ya, 2, path);
    ode_solve_fixed(ODE_HEUN, f_osc, NULL, 0.0, 3.0, 50, yb, 2);
    check_close("common.ode.grid_equals_fixed", fmax(fabs(ya[0] - yb[0]), fabs(ya[1] - yb[1])), 0, 1e-14,
                NULL, "Heun on a uniform 50-step grid equals the fixed-step solve (step sizes differ "
                "only by rounding)");
    check_true("common.ode.grid_path", path[100] == ya[0] && path[101] == ya[1] && path[0] == 0.3 &&
                   path[1] == -0.7, "the recorded path starts at y(0) and ends at the returned y");

    /* DOPRI5 on the oscillator over [0, 20]: global error vs tolerance */
    const double tols[4] = {1e-4, 1e-6, 1e-8, 1e-10};
    double errs[4];
    long nfes[4];
    int ok_all = 1, book_ok = 1;
    for (int k = 0; k < 4; k++) {
        double y[2] = {1.0, 0.0};
        OdeStats st;
        OdeDopriOpts o = {tols[k], tols[k], 0, 0};
        g_calls = 0;
        ok_all &= ode_dopri5(f_osc, NULL, 0.0, 20.0, y, 2, &o, &st) == 0;
        errs[k] = fmax(fabs(y[0] - cos(20.0)), fabs(y[1] + sin(20.0)));
        nfes[k] = st.nfe;
        /* 1 first evaluation + 1 of the starting-step heuristic + 6 per attempted step */
        book_ok &= st.nfe == g_calls && st.nfe == 2 + 6 * (st.accepted + st.rejected);
        printf("  DOPRI5 tol %.0e: error %.3e  NFE %ld  (accepted %ld, rejected %ld)\n", tols[k],
               errs[k], st.nfe, st.accepted, st.rejected);
    }
    check_true("common.ode.dopri_ok", ok_all, "DOPRI5 reached t = 20 at every tolerance");
    check_true("common.ode.dopri_nfe_count", book_ok,
               "NFE reported = calls made = 2 + 6 (accepted + rejected) steps");
    for (int k = 0; k < 4; k++) {
        char id[64];
        snprintf(id, sizeof id, "common.ode.dopri_err_tol%d", k);
        /* global error over ~3 periods: a few times the local tolerance per unit time */
        check_le(id, errs[k], 20 * tols[k], 0, NULL,
                 "DOPRI5 (rtol = atol = %.0e) global error on the oscillator at t = 20 <= 20 tol",
                 tols[k]);
    }
    /* a 5th-order method: error ~ NFE^-5, so log(e) / log(NFE) between tol 1e-6 and 1e-10 ~ -5 */
    const double slope = log(errs[3] / errs[1]) / log((double)nfes[3] / nfes[1]);
    check_in("common.ode.dopri_order", -slope, 4.0, 6.0, NULL,
             "DOPRI5 error vs NFE between tol 1e-6 and 1e-10: observed order %.2f in [4, 6]", -slope);

    /* rejections: a fast transient (k = 200) from a bad start forces rejected steps; result
       still within tolerance */
    double kr = 200, yr[1] = {3.0};
    OdeStats sr;
    OdeDopriOpts orr = {1e-7, 1e-7, 0.5, 0};
    int rc = ode_dopri5(f_relax, &kr, 0.0, 1.0, yr, 1, &orr, &sr);
    printf("  relaxation k=200, h0 = 0.5: NFE %ld, accepted %ld, rejected %ld\n", sr.nfe, sr.accepted,
           sr.rejected);
    check_true("common.ode.dopri_rejects", rc == 0 && sr.rejected > 0,
               "a too-large first step (0.5 for a transient of rate 200) is rejected and recovered");
    check_close("common.ode.dopri_relax", yr[0], relax_exact(kr, 3.0, 1.0), 1e-5, NULL,
                "y' = -200 (y - cos t) at t = 1 against the closed form");

    /* backward DOPRI: exp(sin t) from t = 2 back to t = 0 */
    double yc[1] = {exp(sin(2.0))};
    OdeDopriOpts oc = {1e-9, 1e-9, 0, 0};
    ode_dopri5(f_cos, NULL, 2.0, 0.0, yc, 1, &oc, NULL);
    check_close("common.ode.dopri_backward", yc[0], 1.0, 1e-7, NULL,
                "DOPRI5 backward from t = 2 to 0 on y' = y cos t returns y(0) = 1");

    /* budget exhausted: max_steps = 3 on the oscillator over [0, 20] must report failure */
    double yf[2] = {1.0, 0.0};
    OdeDopriOpts of = {1e-8, 1e-8, 0, 3};
    check_true("common.ode.dopri_budget", ode_dopri5(f_osc, NULL, 0.0, 20.0, yf, 2, &of, NULL) == -1,
               "with a budget of 3 steps DOPRI5 returns -1 instead of a wrong answer");
    return check_end();
}
