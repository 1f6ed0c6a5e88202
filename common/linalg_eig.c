/* linalg_eig — symmetric eigendecomposition by cyclic Jacobi rotations, and functions of a
   symmetric matrix through it: sym_matfun, sqrtm_sym (see linalg.h,
   eq:common.linalg.jacobi_angle). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/util.h"

/* Jacobi converges quadratically; 6-12 sweeps are typical for d in the hundreds. The limit
   is far above that and only stops a run on pathological input. */
#define JACOBI_MAX_SWEEPS 60
#define JACOBI_REL_TOL 1e-14

/* off(B) = sqrt(sum_{i != j} B_ij^2), scaled against overflow like mat_frobenius. */
static double off_diagonal_norm(Mat B) {
    int n = B.rows;
    double scale = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j) {
                if (isnan(MAT(B, i, j))) return NAN;
                scale = fmax(scale, fabs(MAT(B, i, j)));
            }
    if (scale == 0) return 0;
    double ss = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j) {
                double x = MAT(B, i, j) / scale;
                ss += x * x;
            }
    return scale * sqrt(ss);
}

/* One rotation B <- J^T B J zeroing B_pq (and V <- V J). */
static void jacobi_rotate(Mat B, Mat *V, int p, int q) {
    int n = B.rows;
    double apq = MAT(B, p, q);
    if (apq == 0.0) return;
    //: $\zeta = (a_{qq} - a_{pp}) / (2 a_{pq})$
    double zeta = (MAT(B, q, q) - MAT(B, p, p)) / (2.0 * apq);
    //: $t = \operatorname{sign}\zeta / (\lvert\zeta\rvert + \sqrt{\zeta^2+1})$ (for huge $\zeta$: $t \approx 1/(2\zeta)$)
    double t = fabs(zeta) < 1e150 ? copysign(1.0, zeta) / (fabs(zeta) + sqrt(zeta * zeta + 1.0))
                                  : 0.5 / zeta;
    //: $c = 1/\sqrt{t^2+1}$, $s = t c$
    double c = 1.0 / sqrt(t * t + 1.0);
    double s = t * c;
    /* Rows/columns k != p, q: (b_kp, b_kq) <- (c b_kp - s b_kq, s b_kp + c b_kq), written to
       both triangles so that B stays exactly symmetric. */
    for (int k = 0; k < n; k++) {
        if (k == p || k == q) continue;
        double bkp = MAT(B, k, p), bkq = MAT(B, k, q);
        double nkp = c * bkp - s * bkq;
        double nkq = s * bkp + c * bkq;
        MAT(B, k, p) = MAT(B, p, k) = nkp;
        MAT(B, k, q) = MAT(B, q, k) = nkq;
    }
    //: $a'_{pp} = a_{pp} - t a_{pq}$, $a'_{qq} = a_{qq} + t a_{pq}$, $a'_{pq} = 0$
    MAT(B, p, p) -= t * apq;
    MAT(B, q, q) += t * apq;
    MAT(B, p, q) = MAT(B, q, p) = 0.0;
    if (V) {
        //: $V \leftarrow V J$: $(v_{kp}, v_{kq}) \leftarrow (c v_{kp} - s v_{kq},\ s v_{kp} + c v_{kq})$
        for (int k = 0; k < n; k++) {
            double vkp = MAT(*V, k, p), vkq = MAT(*V, k, q);
            MAT(*V, k, p) = c * vkp - s * vkq;
            MAT(*V, k, q) = s * vkp + c * vkq;
        }
    }
}

int eig_sym(Mat A, double *w, Mat *V, int *sweeps) {
    if (A.rows != A.cols) die("eig_sym: matrix is %d x %d, not square", A.rows, A.cols);
    int n = A.rows;
    if (V && (V->rows != n || V->cols != n)) die("eig_sym: V is not %d x %d", n, n);
    if (sweeps) *sweeps = 0;
    double norm = mat_frobenius(A);
    if (!isfinite(norm)) return LINALG_ERR_NOT_FINITE;

    Mat B = mat_copy(A);
    mat_symmetrize(&B);
    if (V) {
        memset(V->a, 0, (size_t)n * (size_t)n * sizeof *V->a);
        for (int i = 0; i < n; i++) MAT(*V, i, i) = 1.0;
    }
    int sweep = 0, status = LINALG_ERR_NO_CONVERGENCE;
    for (;;) {
        //: stop when $\operatorname{off}(A) \le 10^{-14}\lVert A\rVert_F$
        if (off_diagonal_norm(B) <= JACOBI_REL_TOL * norm) {
            status = LINALG_OK;
            break;
        }
        if (sweep == JACOBI_MAX_SWEEPS) break;
        sweep++;
        /* One cyclic sweep: every pair p < q in row order. */
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++) jacobi_rotate(B, V, p, q);
    }
    if (sweeps) *sweeps = sweep;

    for (int i = 0; i < n; i++) w[i] = MAT(B, i, i);
    mat_free(&B);
    /* Sort ascending (selection sort: n swaps at most, each moving one eigenvector column). */
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
                double tv = MAT(*V, k, i);
                MAT(*V, k, i) = MAT(*V, k, m);
                MAT(*V, k, m) = tv;
            }
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

int sym_matfun(Mat *F, Mat A, double (*f)(double lambda, void *ctx), void *ctx, int *sweeps) {
    int n = A.rows;
    if (F->rows != n || F->cols != n) die("sym_matfun: output is not %d x %d", n, n);
    double *w = xmalloc((size_t)(n ? n : 1) * sizeof *w);
    Mat V = mat_new(n, n);
    int st = eig_sym(A, w, &V, sweeps);
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
    int st = eig_sym(A, w, &V, &r.sweeps);
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
