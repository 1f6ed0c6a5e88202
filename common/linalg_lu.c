/* linalg_lu — LU factorisation with partial pivoting, general solve / inverse / log|det|
   (see linalg.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/util.h"

int lu_factor(LUFactor *f, Mat A) {
    if (A.rows != A.cols) die("lu_factor: matrix is %d x %d, not square", A.rows, A.cols);
    int n = A.rows;
    f->lu = mat_copy(A);
    f->perm = xmalloc((size_t)(n ? n : 1) * sizeof *f->perm);
    f->sign = 1;
    for (int i = 0; i < n; i++) f->perm[i] = i;
    double amax = 0;
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) amax = fmax(amax, fabs(A.a[i]));
    /* A pivot at or below this is zero to working precision: a singular matrix. */
    double tiny = (double)n * DBL_EPSILON * amax;
    Mat M = f->lu;
    for (int k = 0; k < n; k++) {
        /* Partial pivoting: bring the largest |entry| of column k (rows k..n-1) to row k. */
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(MAT(M, i, k)) > fabs(MAT(M, p, k))) p = i;
        double pivot = MAT(M, p, k);
        if (!(fabs(pivot) > tiny)) return LINALG_ERR_SINGULAR; /* also NaN */
        if (p != k) {
            for (int j = 0; j < n; j++) {
                double t = MAT(M, k, j);
                MAT(M, k, j) = MAT(M, p, j);
                MAT(M, p, j) = t;
            }
            int t = f->perm[k];
            f->perm[k] = f->perm[p];
            f->perm[p] = t;
            f->sign = -f->sign;
        }
        for (int i = k + 1; i < n; i++) {
            //: $L_{ik} = U^{(k)}_{ik} / U^{(k)}_{kk}$, then row $i$ $\mathrel{-}= L_{ik}\,\cdot$ row $k$
            double lik = MAT(M, i, k) / pivot;
            MAT(M, i, k) = lik;
            for (int j = k + 1; j < n; j++) MAT(M, i, j) -= lik * MAT(M, k, j);
        }
    }
    return LINALG_OK;
}

void lu_solve(const LUFactor *f, const double *b, double *x) {
    int n = f->lu.rows;
    double *y = xmalloc((size_t)(n ? n : 1) * sizeof *y);
    /* P A x = P b: L y = P b (unit diagonal), then U x = y. */
    for (int i = 0; i < n; i++) {
        double s = b[f->perm[i]];
        for (int k = 0; k < i; k++) s -= MAT(f->lu, i, k) * y[k];
        y[i] = s;
    }
    solve_upper(f->lu, y, y);
    memcpy(x, y, (size_t)n * sizeof *x);
    free(y);
}

void lu_free(LUFactor *f) {
    mat_free(&f->lu);
    free(f->perm);
    f->perm = NULL;
}

int mat_solve(Mat A, const double *b, double *x) {
    LUFactor f;
    int st = lu_factor(&f, A);
    if (st == LINALG_OK) lu_solve(&f, b, x);
    lu_free(&f);
    return st;
}

int mat_inverse(Mat *Ainv, Mat A) {
    int n = A.rows;
    if (Ainv->rows != n || Ainv->cols != n) die("mat_inverse: output is not %d x %d", n, n);
    LUFactor f;
    int st = lu_factor(&f, A);
    if (st == LINALG_OK) {
        double *col = xmalloc((size_t)(n ? n : 1) * sizeof *col);
        for (int j = 0; j < n; j++) {
            memset(col, 0, (size_t)n * sizeof *col);
            col[j] = 1.0;
            lu_solve(&f, col, col);
            for (int i = 0; i < n; i++) MAT(*Ainv, i, j) = col[i];
        }
        free(col);
    }
    lu_free(&f);
    return st;
}

int mat_logabsdet(Mat A, double *logabsdet, int *sign) {
    LUFactor f;
    int st = lu_factor(&f, A);
    if (st == LINALG_OK) {
        //: $\log\lvert\det A\rvert = \sum_j \log\lvert U_{jj}\rvert$, $\operatorname{sign} = \operatorname{sign}(P)\prod_j \operatorname{sign} U_{jj}$
        double s = 0;
        int sg = f.sign;
        for (int j = 0; j < A.rows; j++) {
            double u = MAT(f.lu, j, j);
            s += log(fabs(u));
            if (u < 0) sg = -sg;
        }
        *logabsdet = s;
        *sign = sg;
    } else {
        *logabsdet = -INFINITY;
        *sign = 0;
    }
    lu_free(&f);
    return st;
}
