/* Unit tests of common/lbfgs.h: Rosenbrock's valley, quadratics (finite termination with a
   near-exact line search, iteration counts with the default one, a badly scaled one), and
   functions with NaN regions (a non-finite start, a point isolated in NaN, a log barrier whose
   trial steps land where f is NaN). */
#include <math.h>
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/lbfgs.h"

/* Rosenbrock f = 100 (y - x^2)^2 + (1 - x)^2, minimum 0 at (1, 1). */
static double rosenbrock(const double *x, double *g, void *ctx) {
    (void)ctx;
    const double a = x[1] - x[0] * x[0], b = 1.0 - x[0];
    g[0] = -400.0 * a * x[0] - 2.0 * b; /* d/dx */
    g[1] = 200.0 * a;                   /* d/dy */
    return 100.0 * a * a + b * b;
}

/* f = 1/2 x^T A x - 1^T x with A = tridiag(-1, 2, -1) (n x n). Its minimiser solves A x = 1:
   x_i = i (n + 1 - i) / 2 for i = 1..n (the discrete Poisson problem; check: row i gives
   -x_{i-1} + 2 x_i - x_{i+1} = 1 for this parabola). */
typedef struct {
    int n;
    int progress_calls;
} Quad;

static double tridiag_quadratic(const double *x, double *g, void *ctx) {
    const int n = ((const Quad *)ctx)->n;
    double f = 0.0;
    for (int i = 0; i < n; i++) {
        double ax = 2.0 * x[i];
        if (i > 0) ax -= x[i - 1];
        if (i < n - 1) ax -= x[i + 1];
        g[i] = ax - 1.0;
        f += 0.5 * x[i] * ax - x[i];
    }
    return f;
}

static void count_progress(int iteration, const double *x, double f, void *ctx) {
    (void)iteration;
    (void)x;
    (void)f;
    ((Quad *)ctx)->progress_calls++;
}

/* f = 1/2 sum_i lambda_i (x_i - 1)^2, lambda_i = 10^(6 i / (n-1)): condition number 1e6. */
static double scaled_quadratic(const double *x, double *g, void *ctx) {
    const int n = *(const int *)ctx;
    double f = 0.0;
    for (int i = 0; i < n; i++) {
        const double lambda = pow(10.0, 6.0 * i / (n - 1));
        g[i] = lambda * (x[i] - 1.0);
        f += 0.5 * lambda * (x[i] - 1.0) * (x[i] - 1.0);
    }
    return f;
}

/* NaN everywhere except at x = 0 exactly, where f = (x - 3)^2 has a slope of -6. */
static double isolated_point(const double *x, double *g, void *ctx) {
    (void)ctx;
    g[0] = 2.0 * (x[0] - 3.0);
    return x[0] == 0.0 ? (x[0] - 3.0) * (x[0] - 3.0) : NAN;
}

/* f = x - 2 log x: minimum at x = 2; NaN for x < 0 (log of a negative number). */
static double log_barrier(const double *x, double *g, void *ctx) {
    (void)ctx;
    g[0] = 1.0 - 2.0 / x[0];
    return x[0] - 2.0 * log(x[0]);
}

static double always_nan(const double *x, double *g, void *ctx) {
    (void)ctx;
    g[0] = 0.0;
    return x[0] * NAN;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the L-BFGS minimiser", 0, NULL);
    LbfgsConfig cfg = lbfgs_default_config();

    /* Rosenbrock from the classic start (-1.2, 1). */
    double xr[2] = {-1.2, 1.0};
    LbfgsResult r = lbfgs_minimize(rosenbrock, NULL, xr, 2, &cfg);
    printf("rosenbrock: %s after %d iterations, %d evaluations, x = (%.12f, %.12f)\n",
           lbfgs_status_name(r.status), r.iterations, r.evaluations, xr[0], xr[1]);
    check_true("common.lbfgs.rosenbrock_status", lbfgs_converged(r.status),
               "Rosenbrock from (-1.2, 1) ends with a converged status (%s)",
               lbfgs_status_name(r.status));
    check_close("common.lbfgs.rosenbrock_x", fmax(fabs(xr[0] - 1.0), fabs(xr[1] - 1.0)), 0.0, 1e-6,
                NULL, "max |x - (1, 1)| at the end");
    check_le("common.lbfgs.rosenbrock_f", r.f, 1e-14, 0.0, NULL, "f at the end (minimum 0)");
    check_le("common.lbfgs.rosenbrock_iterations", r.iterations, 100, 0, NULL,
             "iterations <= 100 (published L-BFGS runs need 30-40)");
    check_true("common.lbfgs.rosenbrock_counts", r.evaluations >= r.iterations + 1,
               "evaluations (%d) >= iterations + 1 (%d)", r.evaluations, r.iterations + 1);

    /* Quadratic, n = 10, memory m = 10 >= n, near-exact line search (c2 = 1e-8): L-BFGS then
       generates the conjugate-gradient directions and must stop in at most n iterations in exact
       arithmetic (c1 = 1e-10 < c2 keeps the Wolfe constants ordered); the cubic interpolation of the zoom is exact on a quadratic, so each line
       search costs 2-3 evaluations. We allow n + 1 for rounding. */
    enum { NQ = 10 };
    Quad q = {NQ, 0};
    double xq[NQ] = {0};
    LbfgsConfig exact = cfg;
    exact.c1 = 1e-10;
    exact.c2 = 1e-8;
    exact.grad_tol = 1e-9;
    exact.f_rel_tol = 0.0;
    exact.max_linesearch = 60;
    exact.progress = count_progress;
    r = lbfgs_minimize(tridiag_quadratic, &q, xq, NQ, &exact);
    double err = 0.0;
    for (int i = 0; i < NQ; i++) err = fmax(err, fabs(xq[i] - 0.5 * (i + 1) * (NQ - i)));
    printf("quadratic, exact line search: %s after %d iterations, %d evaluations, error %.2e\n",
           lbfgs_status_name(r.status), r.iterations, r.evaluations, err);
    check_true("common.lbfgs.quadratic_exact_status", r.status == LBFGS_CONVERGED_GRAD,
               "tridiagonal quadratic (n = 10): ||grad||_inf <= 1e-9 reached (%s)",
               lbfgs_status_name(r.status));
    check_le("common.lbfgs.quadratic_exact_iterations", r.iterations, NQ + 1, 0, NULL,
             "at most n + 1 iterations with a near-exact line search (CG equivalence)");
    check_close("common.lbfgs.quadratic_exact_x", err, 0.0, 1e-8, NULL,
                "max |x - x*|, x*_i = i (n + 1 - i) / 2");
    check_true("common.lbfgs.progress_calls", q.progress_calls == r.iterations,
               "progress callback called once per iteration (%d calls, %d iterations)",
               q.progress_calls, r.iterations);

    /* The same quadratic with the default (inexact, c2 = 0.9) line search. */
    for (int i = 0; i < NQ; i++) xq[i] = 0.0;
    cfg.grad_tol = 1e-9;
    cfg.f_rel_tol = 0.0;
    r = lbfgs_minimize(tridiag_quadratic, &q, xq, NQ, &cfg);
    err = 0.0;
    for (int i = 0; i < NQ; i++) err = fmax(err, fabs(xq[i] - 0.5 * (i + 1) * (NQ - i)));
    printf("quadratic, default line search: %s after %d iterations, %d evaluations\n",
           lbfgs_status_name(r.status), r.iterations, r.evaluations);
    check_close("common.lbfgs.quadratic_x", err, 0.0, 1e-8, NULL,
                "default line search: max |x - x*| with ||grad||_inf <= 1e-9");
    check_le("common.lbfgs.quadratic_iterations", r.iterations, 3 * NQ, 0, NULL,
             "default line search: at most 3n iterations on the n = 10 quadratic");

    /* Badly scaled quadratic: condition number 1e6. The gradient tolerance is 1e-6 (relative to
       the largest curvature 1e6 that is 1e-12, near the rounding floor of x ~ 1). With the
       default loose line search (c2 = 0.9) unit steps are accepted and L-BFGS creeps along the
       flat directions (measured: 522 iterations); a tighter line search (c2 = 0.1) restores
       the near-conjugate directions (measured: 16 iterations). Both must reach the minimiser. */
    int ns = 10;
    double xs[10];
    const double c2s[2] = {0.9, 0.1};
    const int max_its[2] = {1000, 3 * 10};
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < ns; i++) xs[i] = 0.0;
        LbfgsConfig sc = lbfgs_default_config();
        sc.grad_tol = 1e-6;
        sc.f_rel_tol = 0.0;
        sc.max_iter = 2000;
        sc.max_eval = 10000;
        sc.c2 = c2s[t];
        r = lbfgs_minimize(scaled_quadratic, &ns, xs, ns, &sc);
        err = 0.0;
        for (int i = 0; i < ns; i++) err = fmax(err, fabs(xs[i] - 1.0));
        printf("scaled quadratic (cond 1e6, c2 = %.1f): %s after %d iterations, %d evaluations, "
               "error %.2e\n", c2s[t], lbfgs_status_name(r.status), r.iterations, r.evaluations,
               err);
        char id[64];
        snprintf(id, sizeof id, "common.lbfgs.scaled_status_c2_%d", t);
        check_true(id, r.status == LBFGS_CONVERGED_GRAD,
                   "badly scaled quadratic, c2 = %.1f: gradient tolerance reached (%s)", c2s[t],
                   lbfgs_status_name(r.status));
        /* ||grad||_inf <= 1e-6 with the smallest curvature 1 bounds every |x_i - 1| by 1e-6 */
        snprintf(id, sizeof id, "common.lbfgs.scaled_x_c2_%d", t);
        check_close(id, err, 0.0, 1e-6, NULL, "badly scaled quadratic, c2 = %.1f: max |x - 1|",
                    c2s[t]);
        snprintf(id, sizeof id, "common.lbfgs.scaled_iterations_c2_%d", t);
        check_le(id, r.iterations, max_its[t], 0, NULL,
                 "badly scaled quadratic, c2 = %.1f: at most %d iterations", c2s[t], max_its[t]);
    }

    /* NaN at the start: an error at once. */
    double xn[1] = {1.0};
    r = lbfgs_minimize(always_nan, NULL, xn, 1, NULL);
    check_true("common.lbfgs.nan_start", r.status == LBFGS_NONFINITE && r.evaluations == 1,
               "NaN at the start: status non-finite after 1 evaluation (%s, %d)",
               lbfgs_status_name(r.status), r.evaluations);

    /* Finite only at the start point: every trial step is NaN; must stop with an error. */
    double xi[1] = {0.0};
    r = lbfgs_minimize(isolated_point, NULL, xi, 1, NULL);
    check_true("common.lbfgs.nan_everywhere_else", r.status == LBFGS_NONFINITE,
               "every trial NaN: status non-finite (%s)", lbfgs_status_name(r.status));
    check_le("common.lbfgs.nan_bounded_evals", r.evaluations, 1 + cfg.max_linesearch, 0, NULL,
             "every trial NaN: stops within one line search's trials");
    check_true("common.lbfgs.nan_keeps_x", xi[0] == 0.0 && r.f == 9.0,
               "every trial NaN: x and f stay at the finite start");

    /* A log barrier: trial steps land in the NaN region x < 0 and are pulled back. */
    double xb[1] = {20.0};
    cfg = lbfgs_default_config();
    r = lbfgs_minimize(log_barrier, NULL, xb, 1, &cfg);
    printf("log barrier from 20: %s after %d iterations, %d evaluations, x = %.12f\n",
           lbfgs_status_name(r.status), r.iterations, r.evaluations, xb[0]);
    check_true("common.lbfgs.barrier_status", lbfgs_converged(r.status),
               "x - 2 log x from 20 converges despite NaN trials (%s)",
               lbfgs_status_name(r.status));
    check_close("common.lbfgs.barrier_x", xb[0], 2.0, 1e-6, NULL, "argmin of x - 2 log x is 2");

    double x0[1] = {0.0};
    r = lbfgs_minimize(log_barrier, NULL, x0, 0, NULL);
    check_true("common.lbfgs.bad_input", r.status == LBFGS_BAD_INPUT && r.evaluations == 0,
               "n = 0 is rejected without evaluating f");
    return check_end();
}
