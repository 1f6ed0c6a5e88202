/* linalg — the matrix type and the elementwise / product operations (see linalg.h). */
#include "common/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char *linalg_strerror(int status) {
    switch (status) {
    case LINALG_OK: return "ok";
    case LINALG_ERR_NOT_SPD: return "matrix is not symmetric positive definite";
    case LINALG_ERR_SINGULAR: return "matrix is singular to working precision";
    case LINALG_ERR_NO_CONVERGENCE: return "Jacobi eigenvalue iteration did not converge";
    case LINALG_ERR_NOT_FINITE: return "matrix holds a NaN or an infinity";
    default: return "unknown linalg status";
    }
}

Mat mat_new(int rows, int cols) {
    if (rows < 0 || cols < 0) die("mat_new: negative shape %d x %d", rows, cols);
    Mat m = {rows, cols, NULL};
    size_t n = (size_t)rows * (size_t)cols;
    m.a = xcalloc(n ? n : 1, sizeof *m.a);
    return m;
}

Mat mat_from(int rows, int cols, const double *data) {
    Mat m = mat_new(rows, cols);
    if (rows && cols) memcpy(m.a, data, (size_t)rows * (size_t)cols * sizeof *m.a);
    return m;
}

Mat mat_copy(Mat m) { return mat_from(m.rows, m.cols, m.a); }

Mat mat_identity(int n) {
    Mat m = mat_new(n, n);
    for (int i = 0; i < n; i++) MAT(m, i, i) = 1.0;
    return m;
}

void mat_free(Mat *m) {
    free(m->a);
    m->a = NULL;
    m->rows = m->cols = 0;
}

void mat_mul(Mat *C, Mat A, bool trans_a, Mat B, bool trans_b) {
    int n = trans_a ? A.cols : A.rows;  /* rows of op(A) */
    int k = trans_a ? A.rows : A.cols;  /* inner dimension */
    int kb = trans_b ? B.cols : B.rows;
    int m = trans_b ? B.rows : B.cols;  /* cols of op(B) */
    if (k != kb || C->rows != n || C->cols != m)
        die("mat_mul: shapes (%d x %d) * (%d x %d) -> (%d x %d)", n, k, kb, m, C->rows, C->cols);
    if (C->a == A.a || C->a == B.a) die("mat_mul: output aliases an input");
    /* op(A)_il = A_il or A_li; op(B)_lj = B_lj or B_jl. The loop order i, l, j walks C and
       (untransposed) B along rows, the cache-friendly order. */
    memset(C->a, 0, (size_t)n * (size_t)m * sizeof *C->a);
    for (int i = 0; i < n; i++) {
        double *c = &MAT(*C, i, 0);
        for (int l = 0; l < k; l++) {
            //: $C_{ij} = \sum_l \mathrm{op}(A)_{il}\,\mathrm{op}(B)_{lj}$
            double ail = trans_a ? MAT(A, l, i) : MAT(A, i, l);
            if (!trans_b) {
                const double *b = &MAT(B, l, 0);
                for (int j = 0; j < m; j++) c[j] += ail * b[j];
            } else {
                for (int j = 0; j < m; j++) c[j] += ail * MAT(B, j, l);
            }
        }
    }
}

Mat mat_mul_new(Mat A, bool trans_a, Mat B, bool trans_b) {
    Mat C = mat_new(trans_a ? A.cols : A.rows, trans_b ? B.rows : B.cols);
    mat_mul(&C, A, trans_a, B, trans_b);
    return C;
}

void mat_transpose(Mat *T, Mat A) {
    if (T->rows != A.cols || T->cols != A.rows) die("mat_transpose: bad output shape");
    if (T->a == A.a) die("mat_transpose: output aliases the input");
    for (int i = 0; i < A.rows; i++)
        for (int j = 0; j < A.cols; j++) MAT(*T, j, i) = MAT(A, i, j);
}

double mat_trace(Mat A) {
    if (A.rows != A.cols) die("mat_trace: matrix is %d x %d", A.rows, A.cols);
    double t = 0;
    for (int i = 0; i < A.rows; i++) t += MAT(A, i, i);
    return t;
}

double mat_frobenius(Mat A) {
    /* Scaled sum of squares, so that entries near 1e200 do not overflow. */
    size_t n = (size_t)A.rows * (size_t)A.cols;
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(A.a[i])) return NAN; /* (fmax would skip it) */
        scale = fmax(scale, fabs(A.a[i]));
    }
    if (scale == 0 || !isfinite(scale)) return scale;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double x = A.a[i] / scale;
        ss += x * x;
    }
    //: $\lVert A\rVert_F = \sqrt{\sum_{ij} a_{ij}^2}$
    return scale * sqrt(ss);
}

void mat_add(Mat *C, double alpha, Mat A, double beta, Mat B) {
    if (A.rows != B.rows || A.cols != B.cols || C->rows != A.rows || C->cols != A.cols)
        die("mat_add: shape mismatch");
    size_t n = (size_t)A.rows * (size_t)A.cols;
    for (size_t i = 0; i < n; i++) C->a[i] = alpha * A.a[i] + beta * B.a[i];
}

void mat_scale(Mat *A, double s) {
    size_t n = (size_t)A->rows * (size_t)A->cols;
    for (size_t i = 0; i < n; i++) A->a[i] *= s;
}

void mat_symmetrize(Mat *A) {
    if (A->rows != A->cols) die("mat_symmetrize: matrix is %d x %d", A->rows, A->cols);
    for (int i = 0; i < A->rows; i++)
        for (int j = 0; j < i; j++) {
            double m = 0.5 * (MAT(*A, i, j) + MAT(*A, j, i));
            MAT(*A, i, j) = MAT(*A, j, i) = m;
        }
}

double mat_max_abs_diff(Mat A, Mat B) {
    if (A.rows != B.rows || A.cols != B.cols) die("mat_max_abs_diff: shape mismatch");
    size_t n = (size_t)A.rows * (size_t)A.cols;
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(A.a[i] - B.a[i]);
        if (isnan(e)) return NAN; /* a NaN entry never looks close */
        if (e > d) d = e;
    }
    return d;
}

void mat_vec(double *y, Mat A, const double *x) {
    for (int i = 0; i < A.rows; i++) {
        double s = 0;
        for (int j = 0; j < A.cols; j++) s += MAT(A, i, j) * x[j];
        y[i] = s;
    }
}
