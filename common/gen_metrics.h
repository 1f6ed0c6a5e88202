/*: # gen_metrics — FID from feature vectors, a Newton–Schulz cross-check, the Inception Score

The sample-quality numbers of L36 §5.6–5.8, on any feature extractor (the course uses
common/digit_classifier; see there why that is "FID with the project's own classifier features"
and not Inception-FID).

**FID from features.** Fit a Gaussian to each set of feature rows (mean, unbiased covariance)
and evaluate the Fréchet distance of common/linalg.h ([eq:common.linalg.fid]) in its symmetric
form, the route erratum A26 recommends. With $N \le d$ samples the $d\times d$ covariance has
rank at most $N-1 < d$: it is singular, and the distance is then dominated by that estimation
noise; `fid_from_features` reports the case (`singular`) so a caller can warn (A23: the lecture
computes a 256-d FID from 16 samples).

**Newton–Schulz.** An independent route to $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2}$ that
never forms a symmetric matrix: $A = \Sigma_1\Sigma_2$ is similar to the PSD matrix
$\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}$, so its principal square root has the same trace. With
$c = \lVert A\rVert_F$, $Y_0 = A/c$, $Z_0 = I$, the coupled iteration

$$ T_k = \tfrac12(3I - Z_kY_k),\qquad Y_{k+1} = Y_kT_k,\qquad Z_{k+1} = T_kZ_k $$ {#eq:common.gen_metrics.newton_schulz}

converges quadratically to $Y_\infty = (A/c)^{1/2}$, $Z_\infty = (A/c)^{-1/2}$ when the eigenvalues
of $A/c$ lie in $(0, 1]$ (well-conditioned covariances); $\operatorname{tr}A^{1/2} = \sqrt c
\operatorname{tr}Y_\infty$. Near-singular covariances slow it down, which is why the eigen route
is the main one.

**Inception Score** of $N$ class-probability vectors $p(y\mid x_i)$ over $K$ classes:

$$ p(y) = \frac1N\sum_i p(y\mid x_i),\qquad
   \mathrm{IS} = \exp\Big(\frac1N\sum_i\sum_y p(y\mid x_i)\big(\log(p(y\mid x_i)+\varepsilon)
   - \log(p(y)+\varepsilon)\big)\Big) $$ {#eq:common.gen_metrics.inception_score}

with a small $\varepsilon$ inside the logarithms (a class with probability exactly 0 would give
$0\cdot\log 0$). $1 \le \mathrm{IS} \le K$ (for $\varepsilon = 0$): 1 when every image gets the same
prediction, $K$ when the predictions are one-hot and the classes equally frequent.

**k-NN precision and recall** (Kynkäänniemi et al. 2019; introduced for L36 §5.7 in program
`lectures/36_ddpm/23_fid_inception_score.c`, also L42 5.3). With $r_k(a; A)$ the distance from
$a$ to its $k$-th nearest *other* point of $A$, the manifold of a set is the union of the balls
$B(a, r_k(a; A))$, and for real features $R$ and generated features $G$

$$ \mathrm{precision} = \frac1{\lvert G\rvert}\sum_{g\in G}\big[\exists\,a\in R:\ \lVert g - a\rVert\le r_k(a;R)\big],\qquad
   \mathrm{recall} = \frac1{\lvert R\rvert}\sum_{a\in R}\big[\exists\,g\in G:\ \lVert a - g\rVert\le r_k(g;G)\big] $$ {#eq:common.gen_metrics.precision_recall}

(the share of samples that look like some real point; the share of real points that some sample
looks like). Distances are compared squared. Two implementations: `knn_*_reference`, the plain
$O(n^2 d)$ loops with a full sort of each row, and the fast path (a bounded insertion list for the
$k$ smallest, partial sums that stop as soon as they exceed the current bound, OpenMP over rows).
The partial sums add the same terms in the same order, and a sum of non-negative terms only
grows, so an abandoned sum would have ended above the bound: the two paths return the same bits.
*/
#ifndef COMMON_GEN_METRICS_H
#define COMMON_GEN_METRICS_H

typedef struct {
    double fid;        /* the distance */
    double mean_term;  /* ||mu_a - mu_b||^2 */
    double trace_term; /* the covariance part */
    int singular;      /* 1 when na <= d or nb <= d: a covariance is singular by construction */
    int n_clipped;     /* eigenvalues clipped to 0 inside frechet_distance */
    int status;        /* LINALG_OK or the error that made fid NaN */
} FidReport;

/* Mean (d) and unbiased covariance (d x d) of n feature rows (n x d, row-major). */
void feature_stats(const double *feat, int n, int d, double *mean, double *cov);
/* FID between the Gaussians fitted to two feature sets (na x d and nb x d). rep may be NULL. */
double fid_from_features(const double *fa, int na, const double *fb, int nb, int d, FidReport *rep);

/* tr (S1 S2)^{1/2} by the Newton–Schulz iteration of eq. newton_schulz (S1, S2: d x d symmetric
   PSD). Stops when ||Z Y - I||_F < 1e-13 d or after max_iter steps; *iters (may be NULL) gets
   the number of steps, *residual (may be NULL) the last ||Z Y - I||_F. */
double trace_sqrt_newton_schulz(const double *S1, const double *S2, int d, int max_iter,
                                int *iters, double *residual);
/* tr (S1^{1/2} S2 S1^{1/2})^{1/2} by the symmetric eigensolver (the route of frechet_distance). */
double trace_sqrt_eig(const double *S1, const double *S2, int d);

/* IS of n probability rows (n x k) with eps inside the logarithms (eq. inception_score). */
double inception_score(const double *probs, int n, int k, double eps);

/* k-NN radii: r2[i] = squared distance of row i of A (n x d) to its k-th nearest other row
   (1 <= k < n). Fast path; knn_radii2_reference is the plain loop with a full sort. */
void knn_radii2(const double *A, int n, int d, int k, double *r2);
void knn_radii2_reference(const double *A, int n, int d, int k, double *r2);
/* Share of the np rows of P that lie in some ball (Q[j], r2[j]), j < nq (squared radii). */
double knn_coverage(const double *P, int np, const double *Q, const double *r2, int nq, int d);
double knn_coverage_reference(const double *P, int np, const double *Q, const double *r2, int nq, int d);

typedef struct {
    double precision, recall;
    int n_precise, n_recalled; /* the counts behind the two shares */
} KnnPr;
/* eq. precision_recall of generated rows G (ng x d) against real rows R (nr x d) with k
   neighbours; reference = 1 uses the plain loops. */
KnnPr knn_precision_recall(const double *R, int nr, const double *G, int ng, int d, int k, int reference);

#endif
