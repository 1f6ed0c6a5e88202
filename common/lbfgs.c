/* lbfgs — L-BFGS with a strong-Wolfe line search (lbfgs.h explains the method). */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/lbfgs.h"
#include "common/util.h"

LbfgsConfig lbfgs_default_config(void) {
    LbfgsConfig c;
    c.m = 10;
    c.max_iter = 500;
    c.max_eval = 2000;
    c.grad_tol = 1e-8;
    c.f_rel_tol = 1e-14;
    c.c1 = 1e-4;
    c.c2 = 0.9;
    c.max_linesearch = 40;
    c.progress = NULL;
    return c;
}

int lbfgs_converged(LbfgsStatus status) {
    return status == LBFGS_CONVERGED_GRAD || status == LBFGS_CONVERGED_F;
}

const char *lbfgs_status_name(LbfgsStatus status) {
    switch (status) {
    case LBFGS_CONVERGED_GRAD: return "converged (gradient)";
    case LBFGS_CONVERGED_F: return "converged (relative change of f)";
    case LBFGS_MAX_ITER: return "iteration limit";
    case LBFGS_MAX_EVAL: return "evaluation limit";
    case LBFGS_LINESEARCH_FAILED: return "line search failed";
    case LBFGS_NONFINITE: return "non-finite value";
    case LBFGS_BAD_INPUT: return "bad input";
    }
    return "unknown";
}

static double dot(const double *a, const double *b, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double norm_inf(const double *a, int n) {
    double m = 0.0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

static int all_finite(const double *a, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(a[i])) return 0;
    return 1;
}

/* ---- line search ---------------------------------------------------------------------------- */

typedef struct {
    lbfgs_fn fn;
    void *ctx;
    int n;
    const double *x, *d; /* start point and direction */
    double f0, dg0;      /* phi(0), phi'(0) < 0 */
    double *xt, *gt;     /* trial point and its gradient */
    double *x_lo, *g_lo; /* the best point with sufficient decrease so far (alpha_lo > 0) */
    int *evals;
} Search;

enum { LS_WOLFE, LS_ARMIJO_ONLY, LS_FAILED, LS_NONFINITE, LS_BUDGET };

/* phi(alpha) at xt = x + alpha d; gradient into gt, phi'(alpha) into *dg. Returns 0 when the
   value and gradient are finite. */
static int search_eval(Search *s, double alpha, double *f, double *dg) {
    for (int i = 0; i < s->n; i++) s->xt[i] = s->x[i] + alpha * s->d[i];
    *f = s->fn(s->xt, s->gt, s->ctx);
    (*s->evals)++;
    if (!isfinite(*f) || !all_finite(s->gt, s->n)) return -1;
    *dg = dot(s->gt, s->d, s->n);
    return 0;
}

/* Minimiser of the cubic through (a, fa, da) and (b, fb, db) (Nocedal & Wright eq. 3.59),
   or NaN when it has none. */
static double cubic_min(double a, double fa, double da, double b, double fb, double db) {
    const double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    const double disc = d1 * d1 - da * db;
    if (!(disc >= 0.0)) return NAN;
    const double d2 = (b > a ? 1.0 : -1.0) * sqrt(disc);
    const double den = db - da + 2.0 * d2;
    if (den == 0.0) return NAN;
    return b - (b - a) * (db + d2 - d1) / den;
}

/* Finds alpha satisfying eq. strong_wolfe (or, failing that, sufficient decrease). On success
   the accepted point is in xt/gt with value *f_out and step *alpha_out. */
static int line_search(Search *s, double alpha_init, int max_eval, int max_trials, double c1,
                       double c2, double *alpha_out, double *f_out) {
    double a_lo = 0.0, f_lo = s->f0, dg_lo = s->dg0;
    double a_hi = 0.0, f_hi = 0.0, dg_hi = 0.0;
    int hi_finite = 0, bracketed = 0, lo_saved = 0, saw_finite = 0;
    const double d_inf = norm_inf(s->d, s->n), x_inf = norm_inf(s->x, s->n);
    double alpha = alpha_init;
    int budget = 0;
    for (int trial = 0; trial < max_trials; trial++) {
        if (bracketed) {
            /* an interval too short to change x any more: give up */
            if (fabs(a_hi - a_lo) * d_inf <= DBL_EPSILON * (1.0 + x_inf)) break;
            const double lo = fmin(a_lo, a_hi), hi = fmax(a_lo, a_hi), w = hi - lo;
            alpha = 0.5 * (a_lo + a_hi);
            if (hi_finite) {
                const double c = cubic_min(a_lo, f_lo, dg_lo, a_hi, f_hi, dg_hi);
                if (isfinite(c) && c >= lo + 0.1 * w && c <= hi - 0.1 * w) alpha = c;
            }
        }
        if (*s->evals >= max_eval) {
            budget = 1;
            break;
        }
        double f, dg = 0.0;
        if (search_eval(s, alpha, &f, &dg) != 0) {
            /* non-finite: too far; bisect back toward the last good point */
            bracketed = 1;
            a_hi = alpha;
            hi_finite = 0;
            continue;
        }
        saw_finite = 1;
        //: $\phi(\alpha) \le \phi(0) + c_1\alpha\phi'(0)$ fails, or no decrease over $\alpha_{lo}$: eq. [eq:common.lbfgs.strong_wolfe]
        if (f > s->f0 + c1 * alpha * s->dg0 || f >= f_lo) {
            bracketed = 1;
            a_hi = alpha;
            f_hi = f;
            dg_hi = dg;
            hi_finite = 1;
            continue;
        }
        //: $|\phi'(\alpha)| \le c_2|\phi'(0)|$: accept, eq. [eq:common.lbfgs.strong_wolfe]
        if (fabs(dg) <= -c2 * s->dg0) {
            *alpha_out = alpha;
            *f_out = f;
            return LS_WOLFE;
        }
        if (bracketed ? dg * (a_hi - a_lo) >= 0.0 : dg >= 0.0) {
            /* the minimum lies between alpha and the old lo end */
            bracketed = 1;
            a_hi = a_lo;
            f_hi = f_lo;
            dg_hi = dg_lo;
            hi_finite = 1;
        }
        a_lo = alpha;
        f_lo = f;
        dg_lo = dg;
        memcpy(s->x_lo, s->xt, (size_t)s->n * sizeof(double));
        memcpy(s->g_lo, s->gt, (size_t)s->n * sizeof(double));
        lo_saved = 1;
        if (!bracketed) alpha *= 2.0; /* still descending steeply: expand */
    }
    if (lo_saved) { /* sufficient decrease without the curvature condition */
        memcpy(s->xt, s->x_lo, (size_t)s->n * sizeof(double));
        memcpy(s->gt, s->g_lo, (size_t)s->n * sizeof(double));
        *alpha_out = a_lo;
        *f_out = f_lo;
        return LS_ARMIJO_ONLY;
    }
    if (budget) return LS_BUDGET;
    return saw_finite ? LS_FAILED : LS_NONFINITE;
}

/* ---- the minimiser -------------------------------------------------------------------------- */

LbfgsResult lbfgs_minimize(lbfgs_fn fn, void *ctx, double *x, int n, const LbfgsConfig *cfg_in) {
    const LbfgsConfig cfg = cfg_in ? *cfg_in : lbfgs_default_config();
    LbfgsResult res = {LBFGS_BAD_INPUT, 0, 0, NAN, NAN};
    if (n < 1 || cfg.m < 1 || cfg.max_iter < 0 || cfg.max_eval < 1 || cfg.max_linesearch < 1 ||
        !(cfg.c1 > 0.0 && cfg.c1 < cfg.c2 && cfg.c2 < 1.0) || !(cfg.grad_tol >= 0.0) ||
        !(cfg.f_rel_tol >= 0.0))
        return res;

    const size_t nn = (size_t)n, mm = (size_t)cfg.m;
    double *g = xcalloc(nn, sizeof(double)), *d = xcalloc(nn, sizeof(double));
    double *xt = xcalloc(nn, sizeof(double)), *gt = xcalloc(nn, sizeof(double));
    double *x_lo = xcalloc(nn, sizeof(double)), *g_lo = xcalloc(nn, sizeof(double));
    double *S = xcalloc(mm * nn, sizeof(double)), *Y = xcalloc(mm * nn, sizeof(double));
    double *rho = xcalloc(mm, sizeof(double)), *alpha_j = xcalloc(mm, sizeof(double));

    double f = fn(x, g, ctx);
    res.evaluations = 1;
    res.f = f;
    if (!isfinite(f) || !all_finite(g, n)) {
        res.status = LBFGS_NONFINITE;
        goto done;
    }
    res.grad_inf = norm_inf(g, n);
    if (res.grad_inf <= cfg.grad_tol) {
        res.status = LBFGS_CONVERGED_GRAD;
        goto done;
    }

    int stored = 0, newest = -1; /* pairs in the ring buffer; index of the latest */
    res.status = LBFGS_MAX_ITER;
    for (int iter = 0; iter < cfg.max_iter; iter++) {
        /* two-loop recursion: d = -H g, eq. [eq:common.lbfgs.bfgs_update] */
        for (int i = 0; i < n; i++) d[i] = -g[i];
        for (int k = 0; k < stored; k++) { /* newest to oldest */
            const int j = (newest - k + cfg.m) % cfg.m;
            //: $\alpha_j = \rho_j s_j^\top q,\ q \leftarrow q - \alpha_j y_j$
            alpha_j[j] = rho[j] * dot(S + (size_t)j * nn, d, n);
            for (int i = 0; i < n; i++) d[i] -= alpha_j[j] * Y[(size_t)j * nn + i];
        }
        if (stored > 0) {
            const double *s_new = S + (size_t)newest * nn, *y_new = Y + (size_t)newest * nn;
            //: $H^0 = \gamma I,\ \gamma = s^\top y / y^\top y$
            const double gamma = dot(s_new, y_new, n) / dot(y_new, y_new, n);
            for (int i = 0; i < n; i++) d[i] *= gamma;
        }
        for (int k = stored - 1; k >= 0; k--) { /* oldest to newest */
            const int j = (newest - k + cfg.m) % cfg.m;
            //: $\beta_j = \rho_j y_j^\top r,\ r \leftarrow r + (\alpha_j - \beta_j) s_j$
            const double beta = rho[j] * dot(Y + (size_t)j * nn, d, n);
            for (int i = 0; i < n; i++) d[i] += (alpha_j[j] - beta) * S[(size_t)j * nn + i];
        }
        double dg0 = dot(g, d, n);
        if (!(dg0 < 0.0)) { /* lost descent through rounding: restart from steepest descent */
            stored = 0;
            for (int i = 0; i < n; i++) d[i] = -g[i];
            dg0 = -dot(g, g, n);
        }
        const double alpha_init = stored == 0 ? fmin(1.0, 1.0 / sqrt(dot(g, g, n))) : 1.0;

        Search s = {fn, ctx, n, x, d, f, dg0, xt, gt, x_lo, g_lo, &res.evaluations};
        double step = 0.0, f_new = f;
        const int ls = line_search(&s, alpha_init, cfg.max_eval, cfg.max_linesearch, cfg.c1,
                                   cfg.c2, &step, &f_new);
        if (ls == LS_FAILED || ls == LS_NONFINITE || ls == LS_BUDGET) {
            res.status = ls == LS_FAILED     ? LBFGS_LINESEARCH_FAILED
                         : ls == LS_NONFINITE ? LBFGS_NONFINITE
                                              : LBFGS_MAX_EVAL;
            break;
        }
        /* new pair s = x_new - x, y = g_new - g; kept only with positive curvature (written
           into the ring only then, so a rejected pair never overwrites the oldest kept one) */
        double sy = 0.0, yy = 0.0;
        for (int i = 0; i < n; i++) {
            const double si = xt[i] - x[i], yi = gt[i] - g[i];
            sy += si * yi;
            yy += yi * yi;
        }
        if (sy > DBL_EPSILON * yy && yy > 0.0) {
            const int slot = (newest + 1) % cfg.m;
            double *s_k = S + (size_t)slot * nn, *y_k = Y + (size_t)slot * nn;
            for (int i = 0; i < n; i++) {
                s_k[i] = xt[i] - x[i];
                y_k[i] = gt[i] - g[i];
            }
            //: $\rho_k = 1 / y_k^\top s_k$, eq. [eq:common.lbfgs.bfgs_update]
            rho[slot] = 1.0 / sy;
            newest = slot;
            if (stored < cfg.m) stored++;
        }
        memcpy(x, xt, nn * sizeof(double));
        memcpy(g, gt, nn * sizeof(double));
        const double f_old = f;
        f = f_new;
        res.iterations++;
        res.f = f;
        res.grad_inf = norm_inf(g, n);
        if (cfg.progress) cfg.progress(res.iterations, x, f, ctx);
        if (res.grad_inf <= cfg.grad_tol) {
            res.status = LBFGS_CONVERGED_GRAD;
            break;
        }
        if (fabs(f_old - f) <= cfg.f_rel_tol * fmax(fmax(fabs(f_old), fabs(f)), 1.0)) {
            res.status = LBFGS_CONVERGED_F;
            break;
        }
        if (res.evaluations >= cfg.max_eval) {
            res.status = LBFGS_MAX_EVAL;
            break;
        }
    }
done:
    free(g);
    free(d);
    free(xt);
    free(gt);
    free(x_lo);
    free(g_lo);
    free(S);
    free(Y);
    free(rho);
    free(alpha_j);
    return res;
}
