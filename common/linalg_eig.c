/* linalg_eig — symmetric eigendecomposition by Householder tridiagonalisation and implicit QR
   steps with Wilkinson's shift, and functions of a symmetric matrix through it: sym_matfun,
   sqrtm_sym (see linalg.h, eq:common.linalg.householder, eq:common.linalg.wilkinson_shift). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/util.h"

/* Householder reduction of the symmetric B (n x n) to the tridiagonal T = Q^T B Q, T's diagonal
   into d and its off-diagonal into e (e[i] = T_{i,i+1}); Qt (may be NULL) is multiplied from the
   left by each reflection, so it ends as Q^T times its start. B is destroyed. v, p, u: scratch of
   n each. */
static void tridiagonalize(Mat B, Mat *Qt, double *d, double *e, double *v, double *p, double *u) {
    const int n = B.rows;
    for (int k = 0; k + 2 < n; k++) {
        const int m = n - k - 1; /* x = B[k+1 .., k], m entries */
        double scale = 0, xx = 0, vv = 0;
        for (int i = 0; i < m; i++) scale = fmax(scale, fabs(MAT(B, k + 1 + i, k)));
        if (scale == 0) continue; /* already tridiagonal in this column */
        for (int i = 0; i < m; i++) {
            v[i] = MAT(B, k + 1 + i, k) / scale;
            xx += v[i] * v[i];
        }
        //: $\alpha = -\operatorname{sign}(x_1)\lVert x\rVert$, $v = x - \alpha e_1$, [eq:common.linalg.householder]
        const double alpha = -copysign(sqrt(xx), v[0]);
        v[0] -= alpha;
        for (int i = 0; i < m; i++) vv += v[i] * v[i];
        const double beta = 2.0 / vv;
        //: $p = \beta A_{22} v$, $q = p - \tfrac{\beta}{2}(v^\top p)\,v$, [eq:common.linalg.householder]
        double vp = 0;
        for (int i = 0; i < m; i++) {
            const double *row = &MAT(B, k + 1 + i, k + 1);
            double t = 0;
            for (int j = 0; j < m; j++) t += row[j] * v[j];
            p[i] = beta * t;
            vp += v[i] * p[i];
        }
        for (int i = 0; i < m; i++) p[i] -= 0.5 * beta * vp * v[i];
        //: $A_{22} \leftarrow A_{22} - v q^\top - q v^\top$, [eq:common.linalg.householder]
        for (int i = 0; i < m; i++) {
            double *row = &MAT(B, k + 1 + i, k + 1);
            for (int j = 0; j < m; j++) row[j] -= v[i] * p[j] + p[i] * v[j];
        }
        MAT(B, k + 1, k) = MAT(B, k, k + 1) = alpha * scale;
        for (int i = 1; i < m; i++) MAT(B, k + 1 + i, k) = MAT(B, k, k + 1 + i) = 0.0;
        if (Qt) { /* Q^T <- H Q^T on rows k+1 ..: u = v^T Q^T[k+1 .., :], then the rank-one update */
            const int nc = Qt->cols;
            for (int j = 0; j < nc; j++) u[j] = 0;
            for (int i = 0; i < m; i++) {
                const double *row = &MAT(*Qt, k + 1 + i, 0);
                for (int j = 0; j < nc; j++) u[j] += v[i] * row[j];
            }
            for (int i = 0; i < m; i++) {
                double *row = &MAT(*Qt, k + 1 + i, 0);
                const double f = beta * v[i];
                for (int j = 0; j < nc; j++) row[j] -= f * u[j];
            }
        }
    }
    for (int i = 0; i < n; i++) d[i] = MAT(B, i, i);
    for (int i = 0; i + 1 < n; i++) e[i] = MAT(B, i, i + 1);
}

/* Rows i and j of Y (ncol entries each) rotated: (y_i, y_j) <- (c y_i + s y_j, -s y_i + c y_j). */
static void rotate_rows(Mat *Y, int i, int j, double c, double s) {
    double *a = &MAT(*Y, i, 0), *b = &MAT(*Y, j, 0);
    for (int k = 0; k < Y->cols; k++) {
        const double ai = a[k], bj = b[k];
        a[k] = c * ai + s * bj;
        b[k] = -s * ai + c * bj;
    }
}

/* One implicit QR step with Wilkinson's shift on the unreduced block [l, h] of the tridiagonal
   (d, e): the rotation that the shifted QR factorisation would start with, then the bulge it
   creates chased down the block. Y's rows (may be NULL) get every rotation. */
static void qr_step(double *d, double *e, int l, int h, Mat *Y) {
    //: $\mu = t_{hh} - \dfrac{t_{h-1,h}^2}{\delta + \operatorname{sign}(\delta)\sqrt{\delta^2 + t_{h-1,h}^2}}$, $\delta = (t_{h-1,h-1} - t_{hh})/2$, [eq:common.linalg.wilkinson_shift]
    const double delta = 0.5 * (d[h - 1] - d[h]), b = e[h - 1];
    const double den = delta + copysign(hypot(delta, b), delta);
    const double mu = den != 0 ? d[h] - b * b / den : d[h];
    double x = d[l] - mu, z = e[l];
    for (int k = l; k < h; k++) {
        const double r = hypot(x, z);
        const double c = r > 0 ? x / r : 1.0, s = r > 0 ? z / r : 0.0;
        if (k > l) e[k - 1] = r; /* the bulge of the step before, rotated away */
        //: $T \leftarrow P^\top T P$ on rows and columns $k, k+1$, [eq:common.linalg.givens]
        const double a = d[k], bb = e[k], cc = d[k + 1];
        d[k] = c * c * a + 2 * c * s * bb + s * s * cc;
        d[k + 1] = s * s * a - 2 * c * s * bb + c * c * cc;
        e[k] = c * s * (cc - a) + (c * c - s * s) * bb;
        if (k + 1 < h) { /* the new bulge T_{k, k+2}, and the next rotation's pair */
            z = s * e[k + 1];
            e[k + 1] *= c;
            x = e[k];
        }
        if (Y) rotate_rows(Y, k, k + 1, c, s);
    }
}

/* A 2 x 2 block [[d_p, e_p], [e_p, d_q]] (q = p + 1) diagonalised by the one rotation that
   zeroes e_p (exact eigenvalues where they are representable, e.g. [[1,2],[2,1]] -> -1, 3). */
static void rotate_2x2(double *d, double *e, int p, Mat *Y) {
    const int q = p + 1;
    const double apq = e[p];
    //: $\zeta = (t_{qq} - t_{pp}) / (2 t_{pq})$, $t = \operatorname{sign}\zeta / (\lvert\zeta\rvert + \sqrt{\zeta^2+1})$, [eq:common.linalg.jacobi_angle]
    const double zeta = (d[q] - d[p]) / (2.0 * apq);
    const double t = fabs(zeta) < 1e150 ? copysign(1.0, zeta) / (fabs(zeta) + sqrt(zeta * zeta + 1.0))
                                        : 0.5 / zeta;
    const double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
    //: $t'_{pp} = t_{pp} - t\,t_{pq}$, $t'_{qq} = t_{qq} + t\,t_{pq}$, $t'_{pq} = 0$
    d[p] -= t * apq;
    d[q] += t * apq;
    e[p] = 0.0;
    if (Y) rotate_rows(Y, p, q, c, -s); /* (v_p, v_q) <- (c v_p - s v_q, s v_p + c v_q) */
}

int eig_sym(Mat A, double *w, Mat *V, int *qr_steps) {
    if (A.rows != A.cols) die("eig_sym: matrix is %d x %d, not square", A.rows, A.cols);
    int n = A.rows;
    if (V && (V->rows != n || V->cols != n)) die("eig_sym: V is not %d x %d", n, n);
    if (qr_steps) *qr_steps = 0;
    double norm = mat_frobenius(A);
    if (!isfinite(norm)) return LINALG_ERR_NOT_FINITE;
    if (n == 0) return LINALG_OK;

    Mat B = mat_copy(A);
    mat_symmetrize(&B);
    double *e = xmalloc(sizeof(double) * (size_t)(4 * n + n));
    double *v = e + n, *p = v + n, *u = p + n, *d = w;
    /* Y collects V^T: its rows are the eigenvectors, so every rotation touches two contiguous
       rows; V = Y^T at the end. */
    Mat Y = V ? mat_identity(n) : (Mat){0};
    tridiagonalize(B, V ? &Y : NULL, d, e, v, p, u);
    mat_free(&B);

    /* Deflate from the bottom: an off-diagonal entry below eps (|d_i| + |d_{i+1}|) is set to 0,
       which splits T; the trailing unreduced block gets QR steps until its last entry splits. */
    int steps = 0, status = LINALG_OK;
    const int max_steps = 30 * n;
    for (int h = n - 1; h > 0;) {
        if (fabs(e[h - 1]) <= DBL_EPSILON * (fabs(d[h - 1]) + fabs(d[h]))) {
            e[h - 1] = 0;
            h--;
            continue;
        }
        int l = h - 1;
        while (l > 0 && fabs(e[l - 1]) > DBL_EPSILON * (fabs(d[l - 1]) + fabs(d[l]))) l--;
        if (l > 0) e[l - 1] = 0;
        if (l == h - 1) { /* a 2 x 2 block: in closed form */
            rotate_2x2(d, e, l, V ? &Y : NULL);
            continue;
        }
        if (steps == max_steps) {
            status = LINALG_ERR_NO_CONVERGENCE;
            break;
        }
        qr_step(d, e, l, h, V ? &Y : NULL);
        steps++;
    }
    if (qr_steps) *qr_steps = steps;
    free(e);

    /* Sort ascending (selection sort: n swaps at most, each moving one eigenvector row). */
    for (int i = 0; i < n - 1; i++) {
        int m = i;
        for (int j = i + 1; j < n; j++)
            if (w[j] < w[m]) m = j;
        if (m == i) continue;
        double tw = w[i];
        w[i] = w[m];
        w[m] = tw;
        if (V)
            for (int k = 0; k < n; k++) {
                double tv = MAT(Y, i, k);
                MAT(Y, i, k) = MAT(Y, m, k);
                MAT(Y, m, k) = tv;
            }
    }
    if (V) {
        mat_transpose(V, Y);
        mat_free(&Y);
    }
    return status;
}

/* F = V diag(fw) V^T. */
static void reassemble(Mat *F, Mat V, const double *fw) {
    int n = V.rows;
    Mat W = mat_copy(V); /* W = V diag(fw): column j scaled by fw_j */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) MAT(W, i, j) *= fw[j];
    //: $f(A) = V f(\Lambda) V^\top$
    mat_mul(F, W, false, V, true);
    mat_symmetrize(F);
    mat_free(&W);
}

int sym_matfun(Mat *F, Mat A, double (*f)(double lambda, void *ctx), void *ctx, int *qr_steps) {
    int n = A.rows;
    if (F->rows != n || F->cols != n) die("sym_matfun: output is not %d x %d", n, n);
    double *w = xmalloc((size_t)(n ? n : 1) * sizeof *w);
    Mat V = mat_new(n, n);
    int st = eig_sym(A, w, &V, qr_steps);
    if (st == LINALG_OK) {
        for (int i = 0; i < n; i++) w[i] = f(w[i], ctx);
        reassemble(F, V, w);
    }
    mat_free(&V);
    free(w);
    return st;
}

int sqrtm_sym(Mat *S, Mat A, ClipReport *rep) {
    int n = A.rows;
    if (S->rows != n || S->cols != n) die("sqrtm_sym: output is not %d x %d", n, n);
    double *w = xmalloc((size_t)(n ? n : 1) * sizeof *w);
    Mat V = mat_new(n, n);
    ClipReport r = {0, 0.0, 0.0, 0.0, 0};
    int st = eig_sym(A, w, &V, &r.qr_steps);
    if (st == LINALG_OK) {
        if (n > 0) {
            r.min_eig = w[0];
            r.max_eig = w[n - 1];
        }
        for (int i = 0; i < n; i++) {
            if (w[i] < 0) {
                r.n_clipped++;
                r.most_negative = fmin(r.most_negative, w[i]);
            }
            //: $\lambda_i^{1/2}$ with $\lambda_i < 0$ (rounding) clipped to $0$
            w[i] = sqrt(fmax(w[i], 0.0));
        }
        reassemble(S, V, w);
    }
    mat_free(&V);
    free(w);
    if (rep) *rep = r;
    return st == LINALG_OK ? r.n_clipped : st;
}
