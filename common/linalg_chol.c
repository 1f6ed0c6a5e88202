/* linalg_chol — Cholesky factorisation, triangular solves, SPD solve / log-det / inverse
   (see linalg.h, eq:common.linalg.cholesky). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/util.h"

static void need_square(Mat A, const char *who) {
    if (A.rows != A.cols) die("%s: matrix is %d x %d, not square", who, A.rows, A.cols);
}

int cholesky(Mat *L, Mat A) {
    need_square(A, "cholesky");
    int n = A.rows;
    if (L->rows != n || L->cols != n) die("cholesky: output is not %d x %d", n, n);
    /* Column by column (Cholesky-Crout). Entry (i, j), i >= j, needs A_ij and the already
       finished columns k < j of rows i and j, so L may overwrite A in place. */
    for (int j = 0; j < n; j++) {
        double pivot = MAT(A, j, j);
        for (int k = 0; k < j; k++) pivot -= MAT(*L, j, k) * MAT(*L, j, k);
        if (!(pivot > 0.0)) return LINALG_ERR_NOT_SPD; /* also catches NaN */
        //: $L_{jj} = \sqrt{A_{jj} - \sum_{k<j} L_{jk}^2}$
        double ljj = sqrt(pivot);
        MAT(*L, j, j) = ljj;
        for (int i = j + 1; i < n; i++) {
            double s = MAT(A, i, j);
            for (int k = 0; k < j; k++) s -= MAT(*L, i, k) * MAT(*L, j, k);
            //: $L_{ij} = \big(A_{ij} - \sum_{k<j} L_{ik}L_{jk}\big) / L_{jj}$
            MAT(*L, i, j) = s / ljj;
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) MAT(*L, i, j) = 0.0; /* the strict upper triangle */
    return LINALG_OK;
}

void solve_lower(Mat L, const double *b, double *x) {
    int n = L.rows;
    for (int i = 0; i < n; i++) {
        //: $x_i = \big(b_i - \sum_{k<i} L_{ik} x_k\big) / L_{ii}$ (forward substitution)
        double s = b[i];
        for (int k = 0; k < i; k++) s -= MAT(L, i, k) * x[k];
        x[i] = s / MAT(L, i, i);
    }
}

void solve_lower_trans(Mat L, const double *b, double *x) {
    int n = L.rows;
    for (int i = n - 1; i >= 0; i--) {
        //: $x_i = \big(b_i - \sum_{k>i} L_{ki} x_k\big) / L_{ii}$ (backward, with $L^\top$)
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= MAT(L, k, i) * x[k];
        x[i] = s / MAT(L, i, i);
    }
}

void solve_upper(Mat U, const double *b, double *x) {
    int n = U.rows;
    for (int i = n - 1; i >= 0; i--) {
        //: $x_i = \big(b_i - \sum_{k>i} U_{ik} x_k\big) / U_{ii}$
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= MAT(U, i, k) * x[k];
        x[i] = s / MAT(U, i, i);
    }
}

void chol_solve(Mat L, const double *b, double *x) {
    solve_lower(L, b, x);       /* L y = b */
    solve_lower_trans(L, x, x); /* L^T x = y */
}

double chol_logdet(Mat L) {
    double s = 0;
    //: $\log\det A = 2\sum_j \log L_{jj}$
    for (int j = 0; j < L.rows; j++) s += log(MAT(L, j, j));
    return 2.0 * s;
}

int spd_solve(Mat A, const double *b, double *x) {
    Mat L = mat_new(A.rows, A.cols);
    int st = cholesky(&L, A);
    if (st == LINALG_OK) chol_solve(L, b, x);
    mat_free(&L);
    return st;
}

int spd_logdet(Mat A, double *logdet) {
    Mat L = mat_new(A.rows, A.cols);
    int st = cholesky(&L, A);
    *logdet = st == LINALG_OK ? chol_logdet(L) : NAN;
    mat_free(&L);
    return st;
}

int spd_inverse(Mat *Ainv, Mat A) {
    need_square(A, "spd_inverse");
    int n = A.rows;
    if (Ainv->rows != n || Ainv->cols != n) die("spd_inverse: output is not %d x %d", n, n);
    Mat L = mat_new(n, n);
    int st = cholesky(&L, A);
    if (st == LINALG_OK) {
        /* Column j of A^{-1} solves A x = e_j. */
        double *col = xmalloc((size_t)(n ? n : 1) * sizeof *col);
        for (int j = 0; j < n; j++) {
            memset(col, 0, (size_t)n * sizeof *col);
            col[j] = 1.0;
            chol_solve(L, col, col);
            for (int i = 0; i < n; i++) MAT(*Ainv, i, j) = col[i];
        }
        free(col);
        mat_symmetrize(Ainv); /* exact symmetry, removes rounding asymmetry */
    }
    mat_free(&L);
    return st;
}
