/* diffusion_solvers — see diffusion_solvers.h. DDIM, DPM-Solver++(2M), UniPC-p (bh2, data
   prediction) and EDM's Heun on a list of nodes, batched over chains. */
#include "common/diffusion_solvers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char *diff_solver_name(DiffSolverKind kind) {
    switch (kind) {
    case DIFF_SOLVER_DDIM: return "DDIM";
    case DIFF_SOLVER_DPMPP_2M: return "DPM-Solver++(2M)";
    case DIFF_SOLVER_UNIPC: return "UniPC";
    case DIFF_SOLVER_HEUN: return "Heun (EDM)";
    }
    return "?";
}

int diff_nodes_index(const double *abar, const int *tau, int S, int final_zero, DiffNode *nodes) {
    for (int k = 0; k < S; k++) nodes[k] = (DiffNode){tau[S - 1 - k], abar[tau[S - 1 - k]]};
    if (final_zero) nodes[S] = (DiffNode){0, 1.0};
    return S + (final_zero ? 1 : 0);
}

static double lambda_of(double ab) { return 0.5 * log(ab / (1.0 - ab)); }

/* the integer time t in 1..T whose lambda_t = log(alpha_t / sigma_t) is nearest to lam */
static int nearest_label(const double *abar, int T, double lam) {
    int best = 1;
    double bd = INFINITY;
    for (int t = 1; t <= T; t++) {
        const double d = fabs(lambda_of(abar[t]) - lam);
        if (d < bd) bd = d, best = t;
    }
    return best;
}

int diff_nodes_karras(const double *abar, int T, double sbar_min, double sbar_max, double rho, int N,
                      DiffNode *nodes) {
    if (N < 2 || !(sbar_min > 0) || !(sbar_max > sbar_min) || !(rho > 0)) return -1;
    const double a = pow(sbar_max, 1.0 / rho), b = pow(sbar_min, 1.0 / rho);
    for (int i = 0; i < N; i++) {
        //: $\bar\sigma_i = (\bar\sigma_{max}^{1/\rho} + \frac{i}{N-1}(\bar\sigma_{min}^{1/\rho} - \bar\sigma_{max}^{1/\rho}))^\rho$
        const double sb = i == N - 1 ? sbar_min : i == 0 ? sbar_max : pow(a + (double)i / (N - 1) * (b - a), rho);
        nodes[i].abar = 1.0 / (1.0 + sb * sb);
        nodes[i].t = nearest_label(abar, T, -log(sb));
    }
    return N;
}

int diff_nodes_logsnr(const double *abar, int T, int N, DiffNode *nodes) {
    if (N < 2 || T < 2) return -1;
    const double l0 = lambda_of(abar[T]), l1 = lambda_of(abar[1]);
    for (int i = 0; i < N; i++) {
        //: $\lambda_i = \lambda_T + \frac{i}{N-1}(\lambda_1 - \lambda_T)$, $\bar\alpha_i = 1/(1 + e^{-2\lambda_i})$
        const double l = i == 0 ? l0 : i == N - 1 ? l1 : l0 + (l1 - l0) * i / (N - 1);
        nodes[i].abar = i == 0 ? abar[T] : i == N - 1 ? abar[1] : 1.0 / (1.0 + exp(-2.0 * l));
        nodes[i].t = i == 0 ? T : i == N - 1 ? 1 : nearest_label(abar, T, l);
    }
    return N;
}

/* x0_hat = (x - sigma eps) / alpha, row-wise over n*dim values */
static void x0_from_eps(const double *x, const double *eps, double ab, double *x0, size_t m) {
    const double al = sqrt(ab), sg = sqrt(1.0 - ab);
    for (size_t i = 0; i < m; i++) x0[i] = (x[i] - sg * eps[i]) / al;
}

/* Solve the k x k system A r = b (k <= 3) by Gaussian elimination with partial pivoting. */
static void solve_small(int k, double A[3][3], double *b, double *r) {
    for (int c = 0; c < k; c++) {
        int p = c;
        for (int i = c + 1; i < k; i++)
            if (fabs(A[i][c]) > fabs(A[p][c])) p = i;
        for (int j = 0; j < k; j++) {
            const double tmp = A[c][j];
            A[c][j] = A[p][j];
            A[p][j] = tmp;
        }
        const double tb = b[c];
        b[c] = b[p];
        b[p] = tb;
        for (int i = c + 1; i < k; i++) {
            const double f = A[i][c] / A[c][c];
            for (int j = c; j < k; j++) A[i][j] -= f * A[c][j];
            b[i] -= f * b[c];
        }
    }
    for (int i = k - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < k; j++) s -= A[i][j] * r[j];
        r[i] = s / A[i][i];
    }
}

/* UniPC's coefficient vector b_i = h phi_{i+1}(h) i! / B(h) (i = 1..k) and the matrix
   R[r][c] = rks[c]^r, with hh = -h (data prediction) and B(h) = e^{hh} - 1 (bh2). */
static void unipc_system(int k, const double *rks, double hh, double R[3][3], double *bvec) {
    double h_phi_k = expm1(hh) / hh - 1.0, fact = 1.0;
    const double B_h = expm1(hh);
    for (int i = 1; i <= k; i++) {
        for (int c = 0; c < k; c++) R[i - 1][c] = pow(rks[c], i - 1);
        bvec[i - 1] = h_phi_k * fact / B_h;
        fact *= i + 1;
        h_phi_k = h_phi_k / hh - 1.0 / fact;
    }
}

typedef struct {
    double *buf; /* ring of `len` arrays of m values: x0_hat at node j in slot j % len */
    int len;
    size_t m;
} Ring;
static double *ring_at(const Ring *r, int j) { return r->buf + (size_t)(j % r->len) * r->m; }

/* UniP-k from node i to i+1 (m0 = x0 at node i, older ones at i-1, ...); x in/out. */
static void unip_step(int k, const DiffNode *nodes, const double *lam, int i, const Ring *hist,
                      double *x, double *work, size_t m) {
    const double al_t = sqrt(nodes[i + 1].abar), sg_t = sqrt(1.0 - nodes[i + 1].abar),
                 sg_s = sqrt(1.0 - nodes[i].abar);
    const double h = lam[i + 1] - lam[i], hh = -h, h_phi_1 = expm1(hh), B_h = expm1(hh);
    const double *m0 = ring_at(hist, i);
    double rks[3], R[3][3], b[3], rho[3] = {0, 0, 0};
    for (int j = 1; j < k; j++) rks[j - 1] = (lam[i - j] - lam[i]) / h;
    rks[k - 1] = 1.0;
    unipc_system(k, rks, hh, R, b);
    if (k == 2) rho[0] = 0.5;
    else if (k > 2) solve_small(k - 1, R, b, rho);
    /* pred_res = sum_j rho_j D1_j, D1_j = (m_{i-j} - m0) / r_j */
    memset(work, 0, sizeof(double) * m);
    for (int j = 1; j < k; j++) {
        const double *mj = ring_at(hist, i - j);
        for (size_t q = 0; q < m; q++) work[q] += rho[j - 1] * (mj[q] - m0[q]) / rks[j - 1];
    }
    //: $x_t = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)\hat x_0 - \alpha_t B(h)\sum_j \rho_j D_j$
    for (size_t q = 0; q < m; q++) x[q] = sg_t / sg_s * x[q] - al_t * h_phi_1 * m0[q] - al_t * B_h * work[q];
}

/* UniC-k: corrects the step node i-1 -> i, from x_last (state at node i-1) with the model's x0 at
   the predicted point (model_t, node i) and the history before; x receives the corrected state. */
static void unic_step(int k, const DiffNode *nodes, const double *lam, int i, const Ring *hist,
                      const double *model_t, const double *x_last, double *x, double *work, size_t m) {
    const double al_t = sqrt(nodes[i].abar), sg_t = sqrt(1.0 - nodes[i].abar), sg_s = sqrt(1.0 - nodes[i - 1].abar);
    const double h = lam[i] - lam[i - 1], hh = -h, h_phi_1 = expm1(hh), B_h = expm1(hh);
    const double *m0 = ring_at(hist, i - 1);
    double rks[3], R[3][3], b[3], rho[3] = {0, 0, 0};
    for (int j = 1; j < k; j++) rks[j - 1] = (lam[i - 1 - j] - lam[i - 1]) / h;
    rks[k - 1] = 1.0;
    unipc_system(k, rks, hh, R, b);
    if (k == 1) rho[0] = 0.5;
    else solve_small(k, R, b, rho);
    memset(work, 0, sizeof(double) * m);
    for (int j = 1; j < k; j++) {
        const double *mj = ring_at(hist, i - 1 - j);
        for (size_t q = 0; q < m; q++) work[q] += rho[j - 1] * (mj[q] - m0[q]) / rks[j - 1];
    }
    //: $x_t^c = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)\hat x_0 - \alpha_t B(h)\big(\sum_j \rho_j D_j + \rho_k(\hat x_0(x_t) - \hat x_0)\big)$
    for (size_t q = 0; q < m; q++)
        x[q] = sg_t / sg_s * x_last[q] - al_t * h_phi_1 * m0[q] -
               al_t * B_h * (work[q] + rho[k - 1] * (model_t[q] - m0[q]));
}

long diff_solve(const DiffSolver *s, const DiffNode *nodes, int n_nodes, double *x, size_t n, size_t dim) {
    if (n_nodes < 2) return -1;
    for (int i = 0; i < n_nodes; i++) {
        if (!(nodes[i].abar > 0 && nodes[i].abar <= 1)) return -1;
        if (i > 0 && !(nodes[i].abar > nodes[i - 1].abar)) return -1;
        if (i < n_nodes - 1 && nodes[i].abar >= 1) return -1;
    }
    const int p = s->kind == DIFF_SOLVER_UNIPC ? s->order : 2;
    if (s->kind == DIFF_SOLVER_UNIPC && (p < 1 || p > 3)) return -1;
    const size_t m = n * dim;
    Ring hist = {xmalloc(sizeof(double) * m * (size_t)(p + 1)), p + 1, m};
    double *eps = xmalloc(sizeof(double) * m), *work = xmalloc(sizeof(double) * m),
           *x_last = xmalloc(sizeof(double) * m), *xp = xmalloc(sizeof(double) * m);
    double *lam = xmalloc(sizeof(double) * (size_t)n_nodes);
    for (int i = 0; i < n_nodes; i++) lam[i] = nodes[i].abar < 1 ? lambda_of(nodes[i].abar) : INFINITY;
    long nfe = 0;
    int this_order = 0;
    for (int i = 0; i + 1 < n_nodes; i++) {
        const DiffNode *a = &nodes[i], *b = &nodes[i + 1];
        s->eps(x, n, dim, a->t, a->abar, eps, s->eps_ctx);
        nfe++;
        double *x0 = ring_at(&hist, i);
        x0_from_eps(x, eps, a->abar, x0, m);
        if (s->kind == DIFF_SOLVER_UNIPC && i > 0) {
            /* UniC on the step just taken, with the evaluation made at its prediction */
            unic_step(this_order, nodes, lam, i, &hist, x0, x_last, x, work, m);
        }
        if (b->abar >= 1) {
            //: the last step to the data: $x_0 = \hat x_0(x)$
            memcpy(x, x0, sizeof(double) * m);
            break;
        }
        const double al_t = sqrt(b->abar), sg_t = sqrt(1.0 - b->abar);
        const double h = lam[i + 1] - lam[i];
        switch (s->kind) {
        case DIFF_SOLVER_DDIM:
            //: $x_t = \alpha_t\hat x_0 + \sigma_t\hat\epsilon$ (DDIM, $\eta = 0$)
            for (size_t q = 0; q < m; q++) x[q] = al_t * x0[q] + sg_t * eps[q];
            break;
        case DIFF_SOLVER_DPMPP_2M: {
            const double sg_s = sqrt(1.0 - a->abar), em1 = expm1(-h);
            if (i == 0) {
                //: first step $D = \hat x_0$: $x_t = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)D$
                for (size_t q = 0; q < m; q++) x[q] = sg_t / sg_s * x[q] - al_t * em1 * x0[q];
            } else {
                const double r = (lam[i] - lam[i - 1]) / h, c = 1.0 / (2.0 * r);
                const double *x0p = ring_at(&hist, i - 1);
                //: $D = (1 + \frac1{2r})\hat x_0^{(i)} - \frac1{2r}\hat x_0^{(i-1)}$, $x_t = \frac{\sigma_t}{\sigma_s}x_s - \alpha_t(e^{-h}-1)D$
                for (size_t q = 0; q < m; q++)
                    x[q] = sg_t / sg_s * x[q] - al_t * em1 * ((1.0 + c) * x0[q] - c * x0p[q]);
            }
            break;
        }
        case DIFF_SOLVER_UNIPC:
            /* warm-up: order grows by one per step up to p */
            this_order = i + 1 < p ? i + 1 : p;
            memcpy(x_last, x, sizeof(double) * m);
            unip_step(this_order, nodes, lam, i, &hist, x, work, m);
            break;
        case DIFF_SOLVER_HEUN: {
            const double al_s = sqrt(a->abar), sb_s = sqrt((1.0 - a->abar) / a->abar),
                         sb_t = sqrt((1.0 - b->abar) / b->abar), ds = sb_t - sb_s;
            //: Euler predictor in $(\bar x, \bar\sigma)$: $\bar x' = \bar x + (\bar\sigma_t - \bar\sigma_s)\hat\epsilon(x_s)$
            for (size_t q = 0; q < m; q++) xp[q] = al_t * (x[q] / al_s + ds * eps[q]);
            s->eps(xp, n, dim, b->t, b->abar, work, s->eps_ctx);
            nfe++;
            //: trapezoid: $\bar x_t = \bar x_s + \frac{\bar\sigma_t - \bar\sigma_s}{2}(\hat\epsilon(x_s) + \hat\epsilon(x'))$
            for (size_t q = 0; q < m; q++) x[q] = al_t * (x[q] / al_s + 0.5 * ds * (eps[q] + work[q]));
            break;
        }
        }
    }
    free(hist.buf);
    free(eps);
    free(work);
    free(x_last);
    free(xp);
    free(lam);
    return nfe;
}
