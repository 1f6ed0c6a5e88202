/* Unit tests of common/linalg.h: known answers (hand-computed or closed-form, and a numpy/scipy
   reference for the 64-dimensional FID), the defining identities (A = L L^T, A V = V Lambda,
   V^T V = I, sqrtm(A)^2 = A, solve residuals, log-determinants three ways), error paths
   (non-SPD Cholesky, singular LU, NaN input) and the properties of the Fréchet distance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/rng.h"

/* A random SPD matrix G G^T / n + shift I with G standard normal (n x n). */
static Mat random_spd(Rng *r, int n, double shift) {
    Mat G = mat_new(n, n);
    for (int i = 0; i < n * n; i++) G.a[i] = rng_normal(r);
    Mat A = mat_mul_new(G, false, G, true);
    mat_scale(&A, 1.0 / n);
    for (int i = 0; i < n; i++) MAT(A, i, i) += shift;
    mat_free(&G);
    return A;
}

/* A random orthogonal matrix: the eigenvectors of a random symmetric matrix. */
static Mat random_rotation(Rng *r, int n) {
    Mat S = random_spd(r, n, 0.0);
    Mat Q = mat_new(n, n);
    double *w = malloc((size_t)n * sizeof *w);
    if (eig_sym(S, w, &Q, NULL) != LINALG_OK) {
        fprintf(stderr, "random_rotation: eig_sym failed\n");
        exit(1);
    }
    free(w);
    mat_free(&S);
    return Q;
}

/* ||A B - C||_max for the caller's sizes. */
static double product_error(Mat A, bool ta, Mat B, bool tb, Mat C) {
    Mat P = mat_mul_new(A, ta, B, tb);
    double e = mat_max_abs_diff(P, C);
    mat_free(&P);
    return e;
}

static double log_of(double x, void *ctx) {
    (void)ctx;
    return log(x);
}
static double exp_of(double x, void *ctx) {
    (void)ctx;
    return exp(x);
}

/* The deterministic 64-dimensional FID case; python3 builds the same matrices with numpy. */
static void fid64_inputs(int d, double *mu1, double *S1, double *mu2, double *S2) {
    Mat B = mat_new(d, d), C = mat_new(d, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            MAT(B, i, j) = sin(0.37 * (i + 1) * (j + 2)) + 0.1 * cos(1.3 * i - 0.7 * j);
            MAT(C, i, j) = cos(0.29 * (i + 2) * (j + 1)) + 0.2 * sin(0.5 * i + 1.1 * j);
        }
    Mat P = mat_mul_new(B, false, B, true), Q = mat_mul_new(C, false, C, true);
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
            S1[i * d + j] = MAT(P, i, j) / d + (i == j ? 0.05 : 0.0);
            S2[i * d + j] = MAT(Q, i, j) / d + (i == j ? 0.01 : 0.0);
        }
        mu1[i] = sin((double)i);
        mu2[i] = 0.5 * cos((double)i);
    }
    mat_free(&B);
    mat_free(&C);
    mat_free(&P);
    mat_free(&Q);
}

static void test_basic_ops(void) {
    /* Hand-computed: A (2x3), B (3x2). A B = [[4, 5], [10, 11]]; A^T A computed by hand. */
    double a[] = {1, 2, 3, 4, 5, 6};
    double b[] = {1, 0, 0, 1, 1, 1};
    Mat A = mat_from(2, 3, a), B = mat_from(3, 2, b);
    double ab[] = {4, 5, 10, 11};
    double ata[] = {17, 22, 27, 22, 29, 36, 27, 36, 45};
    Mat AB = mat_from(2, 2, ab), AtA = mat_from(3, 3, ata);
    check_close("common.linalg.matmul_known", product_error(A, false, B, false, AB), 0, 0, NULL,
                "A B of a 2x3 and a 3x2 integer matrix equals the hand result exactly");
    check_close("common.linalg.matmul_at_b", product_error(A, true, A, false, AtA), 0, 0, NULL,
                "A^T A through the transpose flag equals the hand result exactly");
    Mat At = mat_new(3, 2), Bt = mat_new(2, 3);
    mat_transpose(&At, A);
    mat_transpose(&Bt, B);
    /* (A B)^T = B^T A^T, through both flags at once. */
    Mat ABt = mat_new(2, 2);
    mat_transpose(&ABt, AB);
    check_close("common.linalg.matmul_both_trans", product_error(B, true, A, true, ABt), 0, 0,
                NULL, "B^T A^T through both transpose flags equals (A B)^T");
    check_close("common.linalg.trace", mat_trace(AtA), 91, 0, NULL,
                "tr(A^T A) = 17 + 29 + 45 = 91");
    check_rel("common.linalg.frobenius", mat_frobenius(A), sqrt(91.0), 1e-15, NULL,
              "||A||_F^2 = tr(A^T A) = 91");
    Mat S = mat_new(2, 3);
    mat_add(&S, 2.0, A, -1.0, A);
    mat_scale(&S, 3.0);
    Mat A3 = mat_copy(A);
    mat_scale(&A3, 3.0);
    check_close("common.linalg.add_scale", mat_max_abs_diff(S, A3), 0, 0, NULL,
                "3 (2A - A) = 3A");
    Mat I3 = mat_identity(3);
    check_close("common.linalg.identity", product_error(I3, false, At, false, At), 0, 0, NULL,
                "I A^T = A^T");
    mat_free(&A), mat_free(&B), mat_free(&AB), mat_free(&AtA), mat_free(&At), mat_free(&Bt);
    mat_free(&ABt), mat_free(&S), mat_free(&A3), mat_free(&I3);
}

static void test_cholesky(Rng *rng) {
    /* The classic example with an integer factor: A = L L^T, L = [[2,0,0],[6,1,0],[-8,5,3]]
       (multiply out by hand). */
    double a[] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
    double l[] = {2, 0, 0, 6, 1, 0, -8, 5, 3};
    Mat A = mat_from(3, 3, a), Lk = mat_from(3, 3, l), L = mat_new(3, 3);
    int st = cholesky(&L, A);
    check_true("common.linalg.chol_status", st == LINALG_OK, "Cholesky of an SPD 3x3 succeeds");
    check_close("common.linalg.chol_known", mat_max_abs_diff(L, Lk), 0, 1e-14,
                "common.linalg.cholesky", "Cholesky factor of the 3x3 example is [[2],[6,1],[-8,5,3]]");
    check_rel("common.linalg.chol_logdet_known", chol_logdet(L), 2 * log(6.0), 1e-14,
              "common.linalg.chol_logdet", "log det A = 2 log(2 * 1 * 3)");
    double x_true[] = {1, -2, 0.5}, b[3], x[3];
    mat_vec(b, A, x_true);
    check_true("common.linalg.spd_solve_status", spd_solve(A, b, x) == LINALG_OK,
               "spd_solve of the 3x3 example succeeds");
    double e = 0;
    for (int i = 0; i < 3; i++) e = fmax(e, fabs(x[i] - x_true[i]));
    check_close("common.linalg.spd_solve_known", e, 0, 1e-12, NULL,
                "A x = A (1, -2, 0.5) gives back x = (1, -2, 0.5)");
    Mat Lin = mat_copy(A);
    cholesky(&Lin, Lin);
    check_close("common.linalg.chol_in_place", mat_max_abs_diff(Lin, L), 0, 0, NULL,
                "Cholesky in place (L overwriting A) equals the out-of-place factor");
    mat_free(&A), mat_free(&Lk), mat_free(&L), mat_free(&Lin);

    /* Error paths: indefinite, semi-definite (singular), NaN. */
    double ind[] = {1, 2, 2, 1}; /* eigenvalues 3, -1 */
    double psd[] = {1, 1, 1, 1}; /* eigenvalues 2, 0: pivot 0 */
    double nan_m[] = {1, 0, 0, NAN};
    Mat M1 = mat_from(2, 2, ind), M2 = mat_from(2, 2, psd), M3 = mat_from(2, 2, nan_m);
    Mat W = mat_new(2, 2);
    check_true("common.linalg.chol_indefinite", cholesky(&W, M1) == LINALG_ERR_NOT_SPD,
               "Cholesky of [[1,2],[2,1]] (eigenvalue -1) returns LINALG_ERR_NOT_SPD");
    check_true("common.linalg.chol_semidefinite", cholesky(&W, M2) == LINALG_ERR_NOT_SPD,
               "Cholesky of the singular [[1,1],[1,1]] returns LINALG_ERR_NOT_SPD");
    check_true("common.linalg.chol_nan", cholesky(&W, M3) == LINALG_ERR_NOT_SPD,
               "Cholesky of a matrix with a NaN pivot returns LINALG_ERR_NOT_SPD");
    double ld = 0;
    check_true("common.linalg.spd_logdet_error",
               spd_logdet(M1, &ld) == LINALG_ERR_NOT_SPD && isnan(ld),
               "spd_logdet of an indefinite matrix returns the error and NaN");
    mat_free(&M1), mat_free(&M2), mat_free(&M3), mat_free(&W);

    /* A random 64x64 SPD matrix: A = L L^T, solve residual, inverse. */
    const int n = 64;
    Mat R = random_spd(rng, n, 0.1), LR = mat_new(n, n), Rinv = mat_new(n, n);
    check_true("common.linalg.chol64_status", cholesky(&LR, R) == LINALG_OK,
               "Cholesky of a random 64x64 SPD matrix succeeds");
    check_le("common.linalg.chol64_reconstruct",
             product_error(LR, false, LR, true, R) / mat_frobenius(R), 1e-14, 0,
             "common.linalg.cholesky", "max |L L^T - A| / ||A||_F for a random 64x64 SPD A");
    double br[64], xs[64], res[64];
    for (int i = 0; i < n; i++) br[i] = rng_normal(rng);
    spd_solve(R, br, xs);
    mat_vec(res, R, xs);
    double rmax = 0, bmax = 0;
    for (int i = 0; i < n; i++) rmax = fmax(rmax, fabs(res[i] - br[i])), bmax = fmax(bmax, fabs(br[i]));
    check_le("common.linalg.spd_solve_residual", rmax / bmax, 1e-12, 0, NULL,
             "relative residual |A x - b|_max / |b|_max of spd_solve, 64x64");
    check_true("common.linalg.spd_inverse_status", spd_inverse(&Rinv, R) == LINALG_OK,
               "spd_inverse of the 64x64 SPD matrix succeeds");
    Mat I = mat_identity(n);
    check_le("common.linalg.spd_inverse_identity", product_error(R, false, Rinv, false, I),
             1e-11, 0, NULL, "max |A A^{-1} - I| for the 64x64 SPD matrix");
    mat_free(&R), mat_free(&LR), mat_free(&Rinv), mat_free(&I);
}

static void test_lu(Rng *rng) {
    /* a_00 = 0 forces a row exchange. det = -5 (cofactor expansion along row 0), and
       A^{-1} = adj(A) / det with adj computed by hand. */
    double a[] = {0, 2, 1, 1, 1, 0, 3, 0, 1};
    double inv[] = {-0.2, 0.4, 0.2, 0.2, 0.6, -0.2, 0.6, -1.2, 0.4};
    Mat A = mat_from(3, 3, a), Ik = mat_from(3, 3, inv), Ai = mat_new(3, 3);
    double lad;
    int sign;
    check_true("common.linalg.lu_status", mat_logabsdet(A, &lad, &sign) == LINALG_OK,
               "LU of a 3x3 matrix with a zero leading entry succeeds (pivoting)");
    check_rel("common.linalg.lu_logabsdet_known", lad, log(5.0), 1e-15, NULL,
              "log|det A| = log 5 for the 3x3 example");
    check_true("common.linalg.lu_sign_known", sign == -1, "sign det A = -1 for the 3x3 example");
    double x_true[] = {1, 2, 3}, b[] = {7, 3, 6}, x[3]; /* b = A (1,2,3) by hand */
    mat_solve(A, b, x);
    double e = 0;
    for (int i = 0; i < 3; i++) e = fmax(e, fabs(x[i] - x_true[i]));
    check_close("common.linalg.lu_solve_known", e, 0, 1e-14, NULL,
                "A x = (7, 3, 6) gives x = (1, 2, 3)");
    mat_inverse(&Ai, A);
    check_close("common.linalg.lu_inverse_known", mat_max_abs_diff(Ai, Ik), 0, 1e-15, NULL,
                "A^{-1} = adj(A) / det(A) of the 3x3 example");
    mat_free(&A), mat_free(&Ik), mat_free(&Ai);

    /* Singular inputs: an exact zero pivot, and a rank-2 matrix whose third row is the sum of
       the first two in non-representable decimals (the pivot is rounding-sized, not 0). */
    double s1[] = {1, 2, 2, 4};
    double s2[] = {0.1, 0.7, 0.3, 0.2, 0.9, 1.3, 0.3, 1.6, 1.6};
    Mat S1 = mat_from(2, 2, s1), S2 = mat_from(3, 3, s2), S2i = mat_new(3, 3);
    double xs[3];
    check_true("common.linalg.lu_singular_exact", mat_solve(S1, b, xs) == LINALG_ERR_SINGULAR,
               "mat_solve of [[1,2],[2,4]] returns LINALG_ERR_SINGULAR");
    check_true("common.linalg.lu_singular_rounding",
               mat_inverse(&S2i, S2) == LINALG_ERR_SINGULAR,
               "mat_inverse of a rank-2 3x3 (row3 = row1 + row2, decimal entries) is singular");
    int sg = 7;
    check_true("common.linalg.lu_singular_logdet",
               mat_logabsdet(S2, &lad, &sg) == LINALG_ERR_SINGULAR && sg == 0 && lad == -INFINITY,
               "mat_logabsdet of a singular matrix: error, sign 0, log|det| = -inf");
    mat_free(&S1), mat_free(&S2), mat_free(&S2i);

    /* A random general 64x64: solve residual and inverse. */
    const int n = 64;
    Mat G = mat_new(n, n), Gi = mat_new(n, n), I = mat_identity(n);
    for (int i = 0; i < n * n; i++) G.a[i] = rng_normal(rng);
    double bg[64], xg[64], rg[64];
    for (int i = 0; i < n; i++) bg[i] = rng_normal(rng);
    mat_solve(G, bg, xg);
    mat_vec(rg, G, xg);
    double rmax = 0;
    for (int i = 0; i < n; i++) rmax = fmax(rmax, fabs(rg[i] - bg[i]));
    check_le("common.linalg.lu_solve_residual", rmax, 1e-11, 0, NULL,
             "max |G x - b| of mat_solve for a random Gaussian 64x64 G");
    mat_inverse(&Gi, G);
    check_le("common.linalg.lu_inverse_identity", product_error(Gi, false, G, false, I), 1e-11,
             0, NULL, "max |G^{-1} G - I| for the random 64x64 G");
    mat_free(&G), mat_free(&Gi), mat_free(&I);
}

static void test_eig(Rng *rng, int n_big) {
    /* Closed form: the n x n tridiagonal (-1, 2, -1) has eigenvalues 2 - 2 cos(k pi / (n+1)). */
    const int nt = 20;
    Mat T = mat_new(nt, nt);
    for (int i = 0; i < nt; i++) {
        MAT(T, i, i) = 2;
        if (i + 1 < nt) MAT(T, i, i + 1) = MAT(T, i + 1, i) = -1;
    }
    double wt[20];
    int steps = -1;
    int st_t = eig_sym(T, wt, NULL, &steps);
    check_true("common.linalg.eig_tridiag_status", st_t == LINALG_OK,
               "QR on the 20x20 (-1,2,-1) matrix converges (%d steps)", steps);
    double e = 0;
    for (int k = 1; k <= nt; k++) e = fmax(e, fabs(wt[k - 1] - (2 - 2 * cos(k * M_PI / (nt + 1)))));
    check_close("common.linalg.eig_tridiag_known", e, 0, 1e-13, "common.linalg.wilkinson_shift",
                "eigenvalues of the 20x20 (-1,2,-1) matrix equal 2 - 2 cos(k pi/21), ascending");
    mat_free(&T);

    /* The identity is already diagonal (and tridiagonal): no QR step. */
    Mat I4 = mat_identity(4), V4 = mat_new(4, 4);
    double w4[4];
    eig_sym(I4, w4, &V4, &steps);
    check_close("common.linalg.eig_identity_steps", steps, 0, 0, NULL,
                "a diagonal matrix needs no QR step");

    /* Random symmetric n x n (indefinite: G + G^T): A V = V Lambda, V^T V = I, ascending. */
    const int n = n_big;
    Mat G = mat_new(n, n);
    for (int i = 0; i < n * n; i++) G.a[i] = rng_normal(rng);
    Mat Gt = mat_new(n, n), A = mat_new(n, n), V = mat_new(n, n), I = mat_identity(n);
    mat_transpose(&Gt, G);
    mat_add(&A, 1, G, 1, Gt);
    double *w = malloc((size_t)n * sizeof *w);
    int st = eig_sym(A, w, &V, &steps);
    check_true("common.linalg.eig_random_status", st == LINALG_OK,
               "QR on a random symmetric %dx%d converges", n, n);
    check_le("common.linalg.eig_random_steps", steps, 3 * n, 0, "common.linalg.wilkinson_shift",
             "implicit QR steps for a random symmetric %dx%d: at most 3 per eigenvalue (Wilkinson's "
             "shift converges cubically; about 2 are typical)", n, n);
    int sorted = 1;
    for (int i = 1; i < n; i++) sorted &= w[i - 1] <= w[i];
    check_true("common.linalg.eig_sorted", sorted, "eigenvalues come out in ascending order");
    Mat AV = mat_mul_new(A, false, V, false), VL = mat_copy(V);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) MAT(VL, i, j) *= w[j];
    double anorm = mat_frobenius(A);
    check_le("common.linalg.eig_residual", mat_max_abs_diff(AV, VL) / anorm, 1e-14, 0, NULL,
             "max |A V - V Lambda| / ||A||_F for a random symmetric %dx%d", n, n);
    /* Rounding in the accumulated rotations grows like n eps (the usual backward-error shape). */
    check_le("common.linalg.eig_orthonormal", product_error(V, true, V, false, I),
             4.0 * n * 2.220446049250313e-16, 0, NULL,
             "max |V^T V - I| <= 4 n eps for the eigenvectors of a random %dx%d", n, n);
    double tr = 0, sumw = 0, sum2 = 0;
    for (int i = 0; i < n; i++) tr += MAT(A, i, i), sumw += w[i], sum2 += w[i] * w[i];
    check_close("common.linalg.eig_trace", sumw - tr, 0, 1e-12 * anorm, NULL,
                "sum of eigenvalues equals the trace");
    check_rel("common.linalg.eig_frobenius", sqrt(sum2), anorm, 1e-13, NULL,
              "sqrt(sum lambda^2) equals ||A||_F (orthogonal invariance)");
    mat_free(&AV), mat_free(&VL);

    /* Repeated eigenvalues: Q diag(1, 1, 1, 3, 3) Q^T. */
    Mat Q = random_rotation(rng, 5), D = mat_new(5, 5), V5 = mat_new(5, 5);
    double dv[] = {3, 1, 3, 1, 1};
    for (int i = 0; i < 5; i++) MAT(D, i, i) = dv[i];
    Mat QD = mat_mul_new(Q, false, D, false), R = mat_mul_new(QD, false, Q, true);
    double w5[5];
    eig_sym(R, w5, &V5, NULL);
    double want5[] = {1, 1, 1, 3, 3};
    e = 0;
    for (int i = 0; i < 5; i++) e = fmax(e, fabs(w5[i] - want5[i]));
    Mat I5 = mat_identity(5);
    check_close("common.linalg.eig_repeated", e, 0, 1e-14, NULL,
                "eigenvalues of Q diag(3,1,3,1,1) Q^T are 1,1,1,3,3 (repeated)");
    check_le("common.linalg.eig_repeated_orthonormal", product_error(V5, true, V5, false, I5),
             1e-14, 0, NULL, "eigenvectors stay orthonormal inside repeated eigenspaces");

    /* Splits and zero columns: blockdiag(R, 0_2, R) (the reflections skip the zero columns, the
       QR steps meet off-diagonal zeros inside T): eigenvalues {0, 0, 1,1,1,1,1,1, 3,3,3,3}. */
    {
        const int nb = 12;
        Mat Bd = mat_new(nb, nb), Vb = mat_new(nb, nb), Ib = mat_identity(nb);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) MAT(Bd, i, j) = MAT(Bd, 7 + i, 7 + j) = MAT(R, i, j);
        double wbd[12], eb = 0;
        const int stb = eig_sym(Bd, wbd, &Vb, NULL);
        const double wantb[12] = {0, 0, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3};
        for (int i = 0; i < nb; i++) eb = fmax(eb, fabs(wbd[i] - wantb[i]));
        check_close("common.linalg.eig_blocks", stb == LINALG_OK ? eb : INFINITY, 0, 1e-14, NULL,
                    "eigenvalues of blockdiag(R, 0_2, R), R = Q diag(3,1,3,1,1) Q^T");
        check_le("common.linalg.eig_blocks_orthonormal", product_error(Vb, true, Vb, false, Ib), 1e-14,
                 0, NULL, "its eigenvectors are orthonormal");
        mat_free(&Bd), mat_free(&Vb), mat_free(&Ib);
    }

    double nan_frob[] = {NAN, NAN, NAN, NAN};
    Mat NF = mat_from(2, 2, nan_frob);
    check_true("common.linalg.frobenius_nan", isnan(mat_frobenius(NF)),
               "||A||_F of an all-NaN matrix is NaN (not 0)");
    mat_free(&NF);
    double bad[] = {1, NAN, NAN, 1};
    Mat B = mat_from(2, 2, bad);
    double wb[2];
    check_true("common.linalg.eig_nan", eig_sym(B, wb, NULL, NULL) == LINALG_ERR_NOT_FINITE,
               "eig_sym of a matrix with NaN returns LINALG_ERR_NOT_FINITE");

    mat_free(&I4), mat_free(&V4), mat_free(&G), mat_free(&Gt), mat_free(&A), mat_free(&V);
    mat_free(&I), mat_free(&Q), mat_free(&D), mat_free(&V5), mat_free(&QD), mat_free(&R);
    mat_free(&I5), mat_free(&B);
    free(w);
}

static void test_logdet_three_ways(Rng *rng) {
    const int n = 64;
    Mat A = random_spd(rng, n, 0.1);
    double ld_chol, ld_lu, w[64];
    int sign;
    spd_logdet(A, &ld_chol);
    mat_logabsdet(A, &ld_lu, &sign);
    eig_sym(A, w, NULL, NULL);
    double ld_eig = 0;
    for (int i = 0; i < n; i++) ld_eig += log(w[i]);
    check_close("common.linalg.logdet_chol_vs_eig", ld_chol - ld_eig, 0, 1e-10,
                "common.linalg.chol_logdet", "log det A: 2 sum log L_jj = sum log lambda_i (64x64)");
    check_close("common.linalg.logdet_lu_vs_eig", ld_lu - ld_eig, 0, 1e-10, NULL,
                "log|det A| from LU = sum log lambda_i (64x64)");
    check_true("common.linalg.logdet_lu_sign", sign == 1, "det of an SPD matrix is positive");
    mat_free(&A);
}

static void test_sqrtm(Rng *rng) {
    /* [[2,1],[1,2]]^2 = [[5,4],[4,5]] by hand, and [[2,1],[1,2]] is PSD: the principal root. */
    double a[] = {5, 4, 4, 5}, s[] = {2, 1, 1, 2};
    Mat A = mat_from(2, 2, a), Sk = mat_from(2, 2, s), S = mat_new(2, 2);
    ClipReport rep;
    int nc = sqrtm_sym(&S, A, &rep);
    check_close("common.linalg.sqrtm_known", mat_max_abs_diff(S, Sk), 0, 1e-14, NULL,
                "sqrtm([[5,4],[4,5]]) = [[2,1],[1,2]]");
    check_true("common.linalg.sqrtm_no_clip", nc == 0 && rep.n_clipped == 0 &&
               rep.most_negative == 0, "an SPD matrix has no clipped eigenvalue");
    mat_free(&A), mat_free(&Sk), mat_free(&S);

    /* Random SPD 64x64: S^2 = A. */
    const int n = 64;
    Mat R = random_spd(rng, n, 0.05), SR = mat_new(n, n);
    sqrtm_sym(&SR, R, &rep);
    check_le("common.linalg.sqrtm_square", product_error(SR, false, SR, false, R) / mat_frobenius(R),
             1e-14, 0, NULL, "max |S S - A| / ||A||_F for S = sqrtm(A), random 64x64 SPD");
    mat_free(&SR);

    /* Rank-deficient PSD: A = G G^T, G is 8 x 3, so five eigenvalues are 0 up to rounding; some
       come out negative. They are clipped and reported, and S^2 still equals A. */
    Mat G = mat_new(8, 3);
    for (int i = 0; i < 24; i++) G.a[i] = rng_normal(rng);
    Mat P = mat_mul_new(G, false, G, true), SP = mat_new(8, 8);
    nc = sqrtm_sym(&SP, P, &rep);
    double pn = mat_frobenius(P);
    check_true("common.linalg.sqrtm_clip_count", nc == rep.n_clipped && nc >= 0 && nc <= 5,
               "rank-3 8x8 PSD: %d of the 5 zero eigenvalues came out negative and were clipped",
               nc);
    check_in("common.linalg.sqrtm_clip_size", rep.most_negative, -1e-14 * pn, 0, NULL,
             "the most negative clipped eigenvalue (%.3e) is rounding-sized (>= -1e-14 ||A||_F)",
             rep.most_negative);
    check_le("common.linalg.sqrtm_psd_square", product_error(SP, false, SP, false, P) / pn, 1e-14,
             0, NULL, "max |S S - A| / ||A||_F for a rank-3 PSD 8x8 after clipping");
    mat_free(&G), mat_free(&P), mat_free(&SP);

    /* Indefinite input: the clip is reported with the exact eigenvalue. */
    double ind[] = {4, 0, 0, -1e-3};
    Mat M = mat_from(2, 2, ind), SM = mat_new(2, 2);
    nc = sqrtm_sym(&SM, M, &rep);
    check_true("common.linalg.sqrtm_indefinite_count", nc == 1,
               "diag(4, -1e-3): one eigenvalue clipped");
    check_close("common.linalg.sqrtm_indefinite_value", rep.most_negative, -1e-3, 0, NULL,
                "diag(4, -1e-3): the reported most negative eigenvalue is -1e-3");
    check_close("common.linalg.sqrtm_indefinite_root", MAT(SM, 0, 0) + fabs(MAT(SM, 1, 1)), 2, 0,
                NULL, "diag(4, -1e-3): the root is diag(2, 0)");
    mat_free(&M), mat_free(&SM);

    /* A general function: exp(log A) = A. */
    Mat L = mat_new(n, n), E = mat_new(n, n);
    sym_matfun(&L, R, log_of, NULL, NULL);
    sym_matfun(&E, L, exp_of, NULL, NULL);
    check_le("common.linalg.matfun_exp_log", mat_max_abs_diff(E, R) / mat_frobenius(R), 1e-13,
             0, NULL, "exp(log A) = A through sym_matfun, random 64x64 SPD");
    mat_free(&L), mat_free(&E), mat_free(&R);
}

static void test_fid(Rng *rng) {
    const int d = 64;
    double mu1[64], mu2[64];
    double *S1 = malloc((size_t)d * d * sizeof *S1), *S2 = malloc((size_t)d * d * sizeof *S2);
    FrechetReport rep;

    /* Known answer. Reference: python3 with numpy 1.24 / scipy 1.10 on the same matrices
       (fid64_inputs), FID = 68.865169368643507 with eigh (symmetric form) and
       68.865169368643421 with scipy.linalg.sqrtm(S1 @ S2). */
    fid64_inputs(d, mu1, S1, mu2, S2);
    double f = frechet_distance(mu1, S1, mu2, S2, d, &rep);
    check_rel("common.linalg.fid64_known", f, 68.865169368643507, 1e-11, "common.linalg.fid",
              "FID of the deterministic 64-d pair against numpy/scipy (clipped %d)",
              rep.n_clipped);
    check_true("common.linalg.fid64_report", rep.status == LINALG_OK &&
               rep.n_clipped == rep.sqrt_s1.n_clipped + rep.sqrt_inner.n_clipped &&
               rep.most_negative <= 0 && fabs(rep.mean_term + rep.trace_term - f) <= 1e-12 * f,
               "the report's terms add up to the FID; status ok");

    /* A Gaussian with itself: 0 (up to rounding of the square roots). */
    f = frechet_distance(mu1, S1, mu1, S1, d, &rep);
    double tr1 = 0;
    for (int i = 0; i < d; i++) tr1 += S1[i * d + i];
    check_close("common.linalg.fid_self", f, 0, 1e-12 * tr1, "common.linalg.fid",
                "FID of N(mu, Sigma) with itself is 0 (64-d, tol 1e-12 tr Sigma)");

    /* Commuting (diagonal) covariances: FID = |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2. */
    double *D1 = calloc((size_t)d * d, sizeof *D1), *D2 = calloc((size_t)d * d, sizeof *D2);
    double closed = 0;
    for (int i = 0; i < d; i++) {
        double ai = 0.1 + rng_uniform(rng) * 3, bi = 0.1 + rng_uniform(rng) * 3;
        D1[i * d + i] = ai;
        D2[i * d + i] = bi;
        closed += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sqrt(ai) - sqrt(bi)) * (sqrt(ai) - sqrt(bi));
    }
    f = frechet_distance(mu1, D1, mu2, D2, d, &rep);
    check_rel("common.linalg.fid_diagonal", f, closed, 1e-12, "common.linalg.fid",
              "diagonal covariances: FID = |dmu|^2 + sum_i (sqrt a_i - sqrt b_i)^2");

    /* 2x2 non-commuting closed form: for 2x2 PSD C, tr C^{1/2} = sqrt(tr C + 2 sqrt(det C));
       with S1 = [[2,1],[1,2]], S2 = diag(1,3): tr C = tr(S1 S2) = 8, det C = 3 * 3 = 9, so
       FID = |(1,2)|^2 + 4 + 4 - 2 sqrt(14) = 13 - 2 sqrt(14). */
    double m0[] = {0, 0}, m12[] = {1, 2}, a2[] = {2, 1, 1, 2}, b2[] = {1, 0, 0, 3};
    f = frechet_distance(m0, a2, m12, b2, 2, &rep);
    check_rel("common.linalg.fid_2x2_closed_form", f, 13 - 2 * sqrt(14.0), 1e-14,
              "common.linalg.fid", "FID of a non-commuting 2x2 pair equals 13 - 2 sqrt(14)");

    /* Invariance under a common rotation: (Q mu, Q S Q^T) for both. */
    Mat Q = random_rotation(rng, d);
    Mat A1 = mat_from(d, d, S1), A2 = mat_from(d, d, S2);
    Mat T1 = mat_mul_new(Q, false, A1, false), T2 = mat_mul_new(Q, false, A2, false);
    Mat R1 = mat_mul_new(T1, false, Q, true), R2 = mat_mul_new(T2, false, Q, true);
    double qm1[64], qm2[64];
    mat_vec(qm1, Q, mu1);
    mat_vec(qm2, Q, mu2);
    double f0 = frechet_distance(mu1, S1, mu2, S2, d, NULL);
    double fr = frechet_distance(qm1, R1.a, qm2, R2.a, d, &rep);
    check_rel("common.linalg.fid_rotation", fr, f0, 1e-11, "common.linalg.fid",
              "FID(Q mu1, Q S1 Q^T; Q mu2, Q S2 Q^T) = FID(mu1, S1; mu2, S2), random Q, 64-d");

    /* Random 64x64 SPD pair: symmetric in its arguments and >= 0. */
    Mat P1 = random_spd(rng, d, 0.0), P2 = random_spd(rng, d, 0.0);
    double fa = frechet_distance(mu1, P1.a, mu2, P2.a, d, &rep);
    double fb = frechet_distance(mu2, P2.a, mu1, P1.a, d, NULL);
    check_rel("common.linalg.fid_symmetric", fa, fb, 1e-11, "common.linalg.fid",
              "FID(P1, P2) = FID(P2, P1) for a random 64x64 SPD pair (W2 is a metric)");
    check_ge("common.linalg.fid_nonneg", fa, 0, 0, NULL,
             "FID of the random 64x64 pair is >= 0 (clipped %d, most negative %.2e)",
             rep.n_clipped, rep.most_negative);

    /* Broken input: NaN in a covariance gives NaN and an error status, not a crash. */
    S2[5] = NAN;
    f = frechet_distance(mu1, S1, mu2, S2, d, &rep);
    check_true("common.linalg.fid_nan_input", isnan(f) && rep.status == LINALG_ERR_NOT_FINITE,
               "FID with a NaN in Sigma_2 returns NaN and status LINALG_ERR_NOT_FINITE");

    mat_free(&Q), mat_free(&A1), mat_free(&A2), mat_free(&T1), mat_free(&T2);
    mat_free(&R1), mat_free(&R2), mat_free(&P1), mat_free(&P2);
    free(S1), free(S2), free(D1), free(D2);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the dense linear algebra: Cholesky, LU, symmetric eigen, sqrtm, FID", 11, NULL);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    test_basic_ops();
    test_cholesky(&rng);
    test_lu(&rng);
    test_eig(&rng, (int)cli_scale(&cli, 64, 200, 300));
    test_logdet_three_ways(&rng);
    test_sqrtm(&rng);
    test_fid(&rng);
    return check_end();
}
