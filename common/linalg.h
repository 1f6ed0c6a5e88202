/*: # linalg — small dense linear algebra in double precision

The course needs linear algebra in a few places only: Gaussian log-densities (a Cholesky
factor and its log-determinant), covariance matrices of features, and the Fréchet distance
(FID) between two Gaussians, which needs a symmetric matrix square root. The matrices are
small ($d$ up to a few hundred), so plain loops are fast enough and every algorithm here is
the textbook one, written to be read. No BLAS.

A `Mat` is a row-major block of `rows * cols` doubles; `MAT(m, i, j)` is the element
$m_{ij}$. Functions that can fail on their *input* (a matrix that is not positive definite,
a singular matrix, an eigen-iteration that does not converge) return a status
(`LINALG_OK` = 0 or a negative `LINALG_ERR_*`); a shape mismatch is a programmer error and
stops the program (`die`).

## Cholesky factorisation

A symmetric positive-definite (SPD) $A$ has a unique lower-triangular $L$ with positive
diagonal and $A = L L^\top$. Equating the entries of both sides column by column gives

$$ L_{jj} = \sqrt{A_{jj} - \sum_{k<j} L_{jk}^2},\qquad
   L_{ij} = \frac{1}{L_{jj}}\Big(A_{ij} - \sum_{k<j} L_{ik} L_{jk}\Big)\quad (i > j). $$ {#eq:common.linalg.cholesky}

The square root's argument is the pivot; it is positive for every $j$ exactly when $A$ is
positive definite, so a pivot $\le 0$ (or NaN) is how a non-SPD input is detected. With $L$,
$A x = b$ is two triangular solves ($L y = b$ forward, $L^\top x = y$ backward) and

$$ \log\det A = 2\sum_j \log L_{jj}. $$ {#eq:common.linalg.chol_logdet}

## LU with partial pivoting

A general square $A$ factors as $P A = L U$ ($L$ unit lower, $U$ upper, $P$ a row
permutation chosen so that each pivot is the largest remaining entry of its column). Then
$\log\lvert\det A\rvert = \sum_j \log\lvert U_{jj}\rvert$ and $\operatorname{sign}\det A
= \operatorname{sign}(P)\prod_j \operatorname{sign} U_{jj}$. A pivot with
$\lvert U_{jj}\rvert \le n\,\varepsilon_{\rm mach} \max_{ik}\lvert A_{ik}\rvert$ is treated as zero:
the matrix is reported singular (numerically singular, to working precision).

## Symmetric eigendecomposition: Householder, then implicit QR

Two stages, $O(n^3)$ with small constants (a 256 x 256 covariance of the FID takes a few
hundredths of a second with its eigenvectors).

*Tridiagonalisation.* For $k = 0, \dots, n-3$ a reflection $H = I - \beta v v^\top$,
$\beta = 2/v^\top v$, maps the part $x$ of column $k$ below the diagonal onto a multiple of
$e_1$, and is applied from both sides to the trailing block $A_{22}$:
$$ \alpha = -\operatorname{sign}(x_1)\lVert x\rVert,\quad v = x - \alpha e_1,\quad
   p = \beta A_{22} v,\quad q = p - \tfrac{\beta}{2}(v^\top p)\,v,\quad
   H A_{22} H = A_{22} - v q^\top - q v^\top $$ {#eq:common.linalg.householder}
(the sign of $\alpha$ avoids cancellation in $v_1$). The product of the reflections is $Q$,
orthogonal, with $A = Q T Q^\top$ and $T$ tridiagonal.

*Implicit QR.* On an unreduced block of $T$ one step of shifted QR, $T - \mu I = QR$,
$T \leftarrow RQ + \mu I$, is done without forming $Q$: a plane rotation $P$ on rows and
columns $(k, k+1)$ with $c = x/r$, $s = z/r$, $r = \sqrt{x^2 + z^2}$,
$$ \begin{pmatrix} t'_{kk} & t'_{k,k+1} \\ t'_{k,k+1} & t'_{k+1,k+1}\end{pmatrix} =
   \begin{pmatrix} c & s \\ -s & c\end{pmatrix}
   \begin{pmatrix} t_{kk} & t_{k,k+1} \\ t_{k,k+1} & t_{k+1,k+1}\end{pmatrix}
   \begin{pmatrix} c & -s \\ s & c\end{pmatrix}, $$ {#eq:common.linalg.givens}
starts from $(x, z) = (t_{ll} - \mu, t_{l,l+1})$, the first column of $T - \mu I$; it creates
one entry outside the band (the bulge), which the next rotation, chosen to zero it, moves one
row down, until it leaves the block. The shift is Wilkinson's, the eigenvalue of the trailing
$2\times 2$ block nearer to its last entry,
$$ \mu = t_{hh} - \frac{t_{h-1,h}^2}{\delta + \operatorname{sign}(\delta)\sqrt{\delta^2 + t_{h-1,h}^2}},
   \qquad \delta = \frac{t_{h-1,h-1} - t_{hh}}{2}, $$ {#eq:common.linalg.wilkinson_shift}
with which the last off-diagonal entry converges to 0 cubically: about two steps per
eigenvalue. An off-diagonal entry below $\varepsilon_{\rm mach}(\lvert t_{ii}\rvert +
\lvert t_{i+1,i+1}\rvert)$ is set to 0, splitting $T$; the eigenvalues are the diagonal when
nothing is left. A block of size 2 is finished in closed form, by the one rotation that zeroes
its off-diagonal pair $t_{pq}$ (Jacobi's):
$$ \zeta = \frac{t_{qq} - t_{pp}}{2 t_{pq}},\qquad
   t = \frac{\operatorname{sign}\zeta}{\lvert\zeta\rvert + \sqrt{\zeta^2 + 1}},\qquad
   c = \frac{1}{\sqrt{t^2+1}},\ s = t c,\qquad t'_{pp} = t_{pp} - t\,t_{pq},\ t'_{qq} = t_{qq} + t\,t_{pq}, $$ {#eq:common.linalg.jacobi_angle}
$t = \tan\theta$ the smaller root of $t^2 + 2\zeta t - 1 = 0$ (for $[[1,2],[2,1]]$: $\zeta = 0$,
$t = 1$, eigenvalues exactly $-1$ and $3$). The rotations, applied to $Q^\top$ as well, give the eigenvectors: $A = V
\Lambda V^\top$ with $V = Q\,P_1 P_2 \cdots$. Both stages are backward stable: the computed
eigenvalues are those of $A + E$ with $\lVert E\rVert$ a modest multiple of
$\varepsilon_{\rm mach}\lVert A\rVert$.

## Functions of a symmetric matrix

Through $A = V\Lambda V^\top$, any scalar $f$ lifts to $f(A) = V f(\Lambda) V^\top$. The
square root of a positive semi-definite (PSD) matrix is $A^{1/2} = V \Lambda^{1/2} V^\top$.
Rounding can push a zero eigenvalue slightly below zero; `sqrtm_sym` clips such eigenvalues
to zero **and reports** how many it clipped and the most negative one, so a caller can tell
rounding ($\lambda \approx -10^{-15}\lVert A\rVert$) from a real error (an indefinite input).

## Fréchet distance between Gaussians (FID)

For $\mathcal N(\mu_1,\Sigma_1)$ and $\mathcal N(\mu_2,\Sigma_2)$ the squared 2-Wasserstein
distance, which FID evaluates on feature statistics, is

$$ \mathrm{FID} = \lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}\Big(\Sigma_1 + \Sigma_2
   - 2\big(\Sigma_1^{1/2}\,\Sigma_2\,\Sigma_1^{1/2}\big)^{1/2}\Big). $$ {#eq:common.linalg.fid}

It is computed in exactly this symmetric form: $C = \Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}$
is symmetric PSD, so its square root's trace is $\sum_i \sqrt{\lambda_i(C)}$ from a
symmetric eigensolver (no complex arithmetic, unlike the common
$\operatorname{tr}\sqrt{\Sigma_1\Sigma_2}$ of a non-symmetric product). Both square roots
clip rounding negatives and the `FrechetReport` states them.
*/
#ifndef COMMON_LINALG_H
#define COMMON_LINALG_H

#include <stdbool.h>
#include <stddef.h>

/* ---------------------------------------------------------------------------------------- */
/* The matrix type */

typedef struct {
    int rows, cols;
    double *a; /* rows * cols, row-major: element (i, j) at a[i * cols + j] */
} Mat;

/* Element (i, j) of a Mat value (an lvalue). */
#define MAT(m, i, j) ((m).a[(size_t)(i) * (size_t)(m).cols + (size_t)(j)])

enum {
    LINALG_OK = 0,
    LINALG_ERR_NOT_SPD = -1,       /* Cholesky met a pivot <= 0 (or NaN) */
    LINALG_ERR_SINGULAR = -2,      /* LU met a (numerically) zero pivot */
    LINALG_ERR_NO_CONVERGENCE = -3, /* the eigen-iteration did not converge within its limit */
    LINALG_ERR_NOT_FINITE = -4      /* the input holds a NaN or an infinity */
};
const char *linalg_strerror(int status);

Mat mat_new(int rows, int cols);                          /* zero-filled */
Mat mat_from(int rows, int cols, const double *data);     /* copy of row-major data */
Mat mat_copy(Mat m);
Mat mat_identity(int n);
void mat_free(Mat *m);                                    /* frees and zeroes; NULL-safe a */

/* C = op(A) op(B), op(X) = X or X^T by the flags; C must be allocated with the right shape
   and must not alias A or B. */
void mat_mul(Mat *C, Mat A, bool trans_a, Mat B, bool trans_b);
Mat mat_mul_new(Mat A, bool trans_a, Mat B, bool trans_b); /* allocating version */
void mat_transpose(Mat *T, Mat A);                         /* T = A^T, T allocated cols x rows */
double mat_trace(Mat A);
double mat_frobenius(Mat A);                               /* ||A||_F */
void mat_add(Mat *C, double alpha, Mat A, double beta, Mat B); /* C = alpha A + beta B (C may alias) */
void mat_scale(Mat *A, double s);
void mat_symmetrize(Mat *A);                               /* A = (A + A^T) / 2 */
double mat_max_abs_diff(Mat A, Mat B);                     /* max_ij |A_ij - B_ij| */
void mat_vec(double *y, Mat A, const double *x);           /* y = A x (y must not alias x) */

/* ---------------------------------------------------------------------------------------- */
/* Cholesky and triangular solves */

/* L = lower Cholesky factor of the symmetric A (only A's lower triangle is read); L must be
   allocated n x n (it may be A itself: in-place). LINALG_ERR_NOT_SPD when a pivot is <= 0. */
int cholesky(Mat *L, Mat A);
void solve_lower(Mat L, const double *b, double *x);       /* L x = b   (x may alias b) */
void solve_lower_trans(Mat L, const double *b, double *x); /* L^T x = b (x may alias b) */
void solve_upper(Mat U, const double *b, double *x);       /* U x = b   (x may alias b) */
void chol_solve(Mat L, const double *b, double *x);        /* (L L^T) x = b */
double chol_logdet(Mat L);                                 /* 2 sum log L_jj */
int spd_solve(Mat A, const double *b, double *x);          /* via Cholesky */
int spd_logdet(Mat A, double *logdet);
int spd_inverse(Mat *Ainv, Mat A);

/* ---------------------------------------------------------------------------------------- */
/* LU with partial pivoting */

typedef struct {
    Mat lu;     /* L below the diagonal (unit diagonal implied), U on and above */
    int *perm;  /* row i of P A is row perm[i] of A */
    int sign;   /* sign of the permutation, +1 or -1 */
} LUFactor;

int lu_factor(LUFactor *f, Mat A);          /* LINALG_ERR_SINGULAR on a zero pivot */
void lu_solve(const LUFactor *f, const double *b, double *x); /* x may alias b */
void lu_free(LUFactor *f);
int mat_solve(Mat A, const double *b, double *x);
int mat_inverse(Mat *Ainv, Mat A);
/* log|det A| and the sign of det A (LINALG_ERR_SINGULAR when singular). */
int mat_logabsdet(Mat A, double *logabsdet, int *sign);

/* ---------------------------------------------------------------------------------------- */
/* Symmetric eigendecomposition and matrix functions */

/* A = V diag(w) V^T for symmetric A. The method works on (A + A^T)/2, so rounding asymmetry
   of the input is harmless (but pass a symmetric matrix). w: n eigenvalues ascending; V (n x n, allocated by the
   caller) gets the orthonormal eigenvectors as columns, or pass NULL for eigenvalues only.
   *qr_steps (may be NULL) receives the number of implicit QR steps (0 for a tridiagonal matrix
   that is already diagonal; LINALG_ERR_NO_CONVERGENCE after 30 n). */
int eig_sym(Mat A, double *w, Mat *V, int *qr_steps);

typedef struct {
    int n_clipped;        /* eigenvalues < 0 set to 0 */
    double most_negative; /* the most negative eigenvalue (0 when none was negative) */
    double min_eig;       /* smallest eigenvalue before clipping */
    double max_eig;       /* largest eigenvalue */
    int qr_steps;         /* implicit QR steps used (eig_sym) */
} ClipReport;

/* F = V f(Lambda) V^T for symmetric A. */
int sym_matfun(Mat *F, Mat A, double (*f)(double lambda, void *ctx), void *ctx, int *qr_steps);
/* S = A^{1/2} for symmetric PSD A, negative eigenvalues clipped to 0. Returns the number
   clipped (>= 0), or a negative LINALG_ERR_*; rep (may be NULL) gets the details. */
int sqrtm_sym(Mat *S, Mat A, ClipReport *rep);

typedef struct {
    double mean_term;  /* ||mu1 - mu2||^2 */
    double trace_term; /* tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}) */
    ClipReport sqrt_s1;    /* the square root of Sigma_1 */
    ClipReport sqrt_inner; /* the square root of Sigma_1^{1/2} Sigma_2 Sigma_1^{1/2} */
    int n_clipped;         /* sqrt_s1.n_clipped + sqrt_inner.n_clipped */
    double most_negative;  /* the more negative of the two */
    int status;            /* LINALG_OK, or the error that made the result NaN */
} FrechetReport;

/* FID between N(mu1, S1) and N(mu2, S2); S1, S2 are d x d row-major symmetric PSD arrays.
   Returns NaN when an eigendecomposition fails (rep->status says why). rep may be NULL. */
double frechet_distance(const double *mu1, const double *S1, const double *mu2,
                        const double *S2, int d, FrechetReport *rep);

#endif
