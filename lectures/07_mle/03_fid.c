/*: # L07 Z5.3 — FID "as the formula says", with the numerical care

**Lecture 7, Part 2, section Z5.3**, with FAQ Q3 (why a matrix square root), FAQ Q6 (FID is
biased, $\propto 1/n$) and Z6.6 (FD-DINOv2: the same formula on other features).

The Fréchet inception distance fits a Gaussian to the features of real and of generated
samples and measures the distance between the two Gaussians:

$$ \mathrm{FID}(r, g) = \lVert\mu_r - \mu_g\rVert_2^2 + \operatorname{Tr}\Big(\Sigma_r + \Sigma_g
   - 2\big(\Sigma_r\Sigma_g\big)^{1/2}\Big). $$ {#eq:L07.Z5.3.fid}

"The enemy is the matrix square root." $\Sigma_r\Sigma_g$ is not symmetric, so a general
`sqrtm` of it works with complex numbers and returns rounding-level imaginary parts. We never
form it: since $\Sigma_r\Sigma_g = \Sigma_r^{1/2}\,(\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2})\,\Sigma_r^{-1/2}$
is similar to the symmetric PSD matrix $C = \Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}$, the trace of its
square root is $\sum_i\sqrt{\lambda_i(C)}$, from a symmetric eigensolver (Householder and QR, in
`common/linalg`: `sqrtm_sym`, `frechet_distance`). Real by construction; the only care left is
clipping rounding negatives ($\lambda \approx -10^{-16}$), which the library reports.

What you will see: the square-root building block tested, a 2×2 case in closed form, the
wrong "product of square roots" of FAQ Q3, the non-symmetric product's eigenvalues going
complex at a double eigenvalue, the isotropic closed form, the lecture's synthetic features
($N = 800$, $d = 16$), and the bias of the estimator with the sample size. Figure
`fid_bias.png`: mean FID (± one standard error over seeds) against $N$, with the population
value and the fitted $a + C/N$ curve. CSV `fid_bias.csv`.

Run: `build/release/bin/lectures/07_mle/03_fid [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\mu_r, \mu_g$ | `mu_r`, `mu_g` | (d) |
| $\Sigma_r, \Sigma_g$ | `cov_r`, `cov_g` | (d, d) row-major |
| $X_r, X_g$ (features) | `x_r`, `x_g` | (N, d) |
| $C = \Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}$ | inside `frechet_distance` | (d, d) |
| $\epsilon I$ (lecture's regulariser) | `reg` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/linalg.h"
#include "common/parallel.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { D = 16 };

/*: ## The lecture's `fid_gaussian`

The lecture symmetrises each covariance and adds $\epsilon I$ with $\epsilon = 10^{-6}$ before
the square roots:

$$ \Sigma \leftarrow \tfrac12(\Sigma + \Sigma^\top) + \epsilon I $$ {#eq:L07.Z5.3.regularise}

The regulariser shifts FID by $O(\epsilon)$ (for the 2×2 example below by $-2.8\times10^{-7}$);
`reg = 0` gives the exact formula.
*/
static double fid_gaussian(const double *mu_r, const double *cov_r, const double *mu_g,
                           const double *cov_g, int d, double reg, FrechetReport *rep) {
    Mat sr = mat_from(d, d, cov_r), sg = mat_from(d, d, cov_g);
    mat_symmetrize(&sr);
    mat_symmetrize(&sg);
    for (int i = 0; i < d; i++) {
        //: $\Sigma + \epsilon I$, eq. [eq:L07.Z5.3.regularise]
        MAT(sr, i, i) += reg;
        MAT(sg, i, i) += reg;
    }
    //: eq. [eq:L07.Z5.3.fid] in the symmetric form (common/linalg frechet_distance)
    double fid = frechet_distance(mu_r, sr.a, mu_g, sg.a, d, rep);
    mat_free(&sr);
    mat_free(&sg);
    return fid;
}

/*: ## FAQ Q3: why not $\sqrt{\Sigma_r}\,\sqrt{\Sigma_g}$?

$$ \operatorname{Tr}\big(\Sigma_r^{1/2}\Sigma_g^{1/2}\big) \ne \operatorname{Tr}\big((\Sigma_r\Sigma_g)^{1/2}\big)
   \quad\text{unless } \Sigma_r\Sigma_g = \Sigma_g\Sigma_r $$ {#eq:L07.Z5.3.naive_roots}

$(AB)^{1/2} = A^{1/2}B^{1/2}$ needs $A$ and $B$ to commute. The naive form gives a different
(wrong) number whenever the covariances have different eigenvectors.
*/
static double fid_product_of_roots(const double *mu_r, const double *cov_r, const double *mu_g,
                                   const double *cov_g, int d) {
    Mat sr = mat_from(d, d, cov_r), sg = mat_from(d, d, cov_g);
    Mat root_r = mat_new(d, d), root_g = mat_new(d, d);
    sqrtm_sym(&root_r, sr, NULL);
    sqrtm_sym(&root_g, sg, NULL);
    //: the wrong $\Sigma_r^{1/2}\Sigma_g^{1/2}$ of eq. [eq:L07.Z5.3.naive_roots]
    Mat prod = mat_mul_new(root_r, false, root_g, false);
    double mean_term = 0.0;
    //: $\lVert\mu_r - \mu_g\rVert^2$
    for (int i = 0; i < d; i++) mean_term += (mu_r[i] - mu_g[i]) * (mu_r[i] - mu_g[i]);
    //: $\lVert\mu_r-\mu_g\rVert^2 + \operatorname{Tr}(\Sigma_r + \Sigma_g - 2\Sigma_r^{1/2}\Sigma_g^{1/2})$: eq. [eq:L07.Z5.3.fid] with the wrong trace term
    double fid = mean_term + mat_trace(sr) + mat_trace(sg) - 2.0 * mat_trace(prod);
    mat_free(&sr);
    mat_free(&sg);
    mat_free(&root_r);
    mat_free(&root_g);
    mat_free(&prod);
    return fid;
}

/* Eigenvalues of a (non-symmetric) 2x2 matrix from its characteristic polynomial
   lambda^2 - t lambda + det = 0: re[2], im[2]. */
static void eig_2x2(const double *m, double *re, double *im) {
    //: $\lambda = \tfrac12\big(t \pm \sqrt{t^2 - 4\det}\big)$; complex when the discriminant is negative
    double t = m[0] + m[3], det = m[0] * m[3] - m[1] * m[2], disc = t * t - 4.0 * det;
    if (disc >= 0) {
        re[0] = 0.5 * (t + sqrt(disc));
        re[1] = 0.5 * (t - sqrt(disc));
        im[0] = im[1] = 0.0;
    } else {
        re[0] = re[1] = 0.5 * t;
        im[0] = 0.5 * sqrt(-disc);
        im[1] = -im[0];
    }
}

/*: ## Synthetic features, as in the lecture

$X_r \sim \mathcal N(0, I_d)$ and $X_g = 1.1\,Z + 0.2$, $Z\sim\mathcal N(0, I_d)$, $d = 16$;
the means are column means and the covariances the unbiased $\frac1{N-1}\sum(x-\bar x)(x-\bar x)^\top$
(`stats_covariance`). Replication `rep` draws from its own Philox stream, so the result does not
depend on the thread that runs it.
*/
static double synthetic_fid(uint64_t seed, uint64_t stream, int n, double reg,
                            FrechetReport *rep, double *fid_same) {
    double *x_r = xmalloc((size_t)n * D * sizeof *x_r), *x_g = xmalloc((size_t)n * D * sizeof *x_g);
    Rng rng;
    rng_init(&rng, seed, stream);
    rng_normal_fill(&rng, x_r, (size_t)n * D);
    rng_normal_fill(&rng, x_g, (size_t)n * D);
    for (size_t i = 0; i < (size_t)n * D; i++) x_g[i] = 1.1 * x_g[i] + 0.2;
    double mu_r[D], mu_g[D], cov_r[D * D], cov_g[D * D];
    stats_covariance(x_r, (size_t)n, D, mu_r, cov_r);
    stats_covariance(x_g, (size_t)n, D, mu_g, cov_g);
    double fid = fid_gaussian(mu_r, cov_r, mu_g, cov_g, D, reg, rep);
    if (fid_same) *fid_same = fid_gaussian(mu_r, cov_r, mu_r, cov_r, D, reg, NULL);
    free(x_r);
    free(x_g);
    return fid;
}

/*: ## Z5.3 The square root itself

A random SPD $A = BB^\top/d + 0.1 I$ ($16\times16$): $S = A^{1/2}$ from the symmetric
eigendecomposition must square back to $A$. And an indefinite input,
$A = \begin{pmatrix}1&2\\2&1\end{pmatrix}$ (eigenvalues $3, -1$): the $-1$ is clipped
(and reported), so $S^2$ is the PSD part $\tfrac32\begin{pmatrix}1&1\\1&1\end{pmatrix}$.
*/
/* rng continues into imaginary_part (stream 1000 of the seed). */
static void square_root(Rng *rng) {
    Mat b = mat_new(D, D), a = mat_new(D, D), s = mat_new(D, D), ss = mat_new(D, D);
    rng_normal_fill(rng, b.a, D * D);
    mat_mul(&a, b, false, b, true);
    mat_scale(&a, 1.0 / D);
    for (int i = 0; i < D; i++) MAT(a, i, i) += 0.1;
    ClipReport clip;
    sqrtm_sym(&s, a, &clip);
    mat_mul(&ss, s, false, s, false);
    Mat diff = mat_new(D, D);
    mat_add(&diff, 1.0, ss, -1.0, a);
    check_close("L07.Z5.3.sqrtm_square", mat_frobenius(diff) / mat_frobenius(a), 0.0, 1e-12, NULL,
                "random 16x16 SPD: ||S S - A||_F / ||A||_F (QR steps: %d)", clip.qr_steps);
    const double indef[4] = {1, 2, 2, 1};
    Mat ai = mat_from(2, 2, indef), si = mat_new(2, 2), ssi = mat_new(2, 2);
    int n_clipped = sqrtm_sym(&si, ai, &clip);
    mat_mul(&ssi, si, false, si, false);
    const double psd_part[4] = {1.5, 1.5, 1.5, 1.5};
    Mat expect_psd = mat_from(2, 2, psd_part);
    printf("indefinite [[1,2],[2,1]]: %d eigenvalue clipped, the most negative was %.3g\n",
           n_clipped, clip.most_negative);
    check_true("L07.Z5.3.sqrtm_clip_report", n_clipped == 1 && clip.most_negative == -1.0,
               "sqrtm_sym reports one clipped eigenvalue, -1, for [[1,2],[2,1]]");
    check_close("L07.Z5.3.sqrtm_clipped", mat_max_abs_diff(ssi, expect_psd), 0.0, 1e-9, NULL,
                "S S = PSD part [[1.5,1.5],[1.5,1.5]] after clipping");
    mat_free(&b); mat_free(&a); mat_free(&s); mat_free(&ss); mat_free(&diff);
    mat_free(&ai); mat_free(&si); mat_free(&ssi); mat_free(&expect_psd);
}

/*: ## Z5.3 A 2×2 example in closed form (FAQ Q3)

$\Sigma_r = \begin{pmatrix}2&1\\1&2\end{pmatrix}$, $\Sigma_g = \begin{pmatrix}1&0\\0&3\end{pmatrix}$,
$\mu_r = 0$, $\mu_g = (1, -1)$. For $2\times2$ matrices the trace of the square root has a
closed form (for $M$ with eigenvalues $\lambda_{1,2} \ge 0$,
$(\sqrt{\lambda_1}+\sqrt{\lambda_2})^2 = \operatorname{tr}M + 2\sqrt{\det M}$):

$$ \operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2} = \sqrt{\operatorname{tr}(\Sigma_r\Sigma_g) + 2\sqrt{\det\Sigma_r\det\Sigma_g}} = \sqrt{8 + 2\cdot 3} = \sqrt{14} $$ {#eq:L07.Z5.3.trace_2x2}

so $\mathrm{FID} = 2 + 7 - 2\sqrt{14} = 2.5166852265$.
*/
static void two_by_two(void) {
    const double cr2[4] = {2, 1, 1, 2}, cg2[4] = {1, 0, 0, 3}, mr2[2] = {0, 0}, mg2[2] = {1, -1};
    double prod2[4] = {cr2[0] * cg2[0] + cr2[1] * cg2[2], cr2[0] * cg2[1] + cr2[1] * cg2[3],
                       cr2[2] * cg2[0] + cr2[3] * cg2[2], cr2[2] * cg2[1] + cr2[3] * cg2[3]};
    double det_r = cr2[0] * cr2[3] - cr2[1] * cr2[2], det_g = cg2[0] * cg2[3] - cg2[1] * cg2[2];
    //: eq. [eq:L07.Z5.3.trace_2x2]
    double trace_sqrt_closed = sqrt(prod2[0] + prod2[3] + 2.0 * sqrt(det_r * det_g));
    //: $\mathrm{FID} = \lVert\mu_r - \mu_g\rVert^2 + \operatorname{tr}\Sigma_r + \operatorname{tr}\Sigma_g - 2\operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2}$, [eq:L07.Z5.3.fid]
    double fid_closed = 2.0 + (cr2[0] + cr2[3]) + (cg2[0] + cg2[3]) - 2.0 * trace_sqrt_closed;
    FrechetReport rep;
    //: eq. [eq:L07.Z5.3.fid] by the symmetric route, without and with the regulariser
    double fid2 = fid_gaussian(mr2, cr2, mg2, cg2, 2, 0.0, &rep);
    double fid2_reg = fid_gaussian(mr2, cr2, mg2, cg2, 2, 1e-6, NULL);
    /* tr C^{1/2} from the report: trace_term = tr Sigma_r + tr Sigma_g - 2 tr C^{1/2} */
    //: $\operatorname{tr}C^{1/2}$ recovered from the report's trace term
    double trace_sqrt_sym = 0.5 * ((cr2[0] + cr2[3]) + (cg2[0] + cg2[3]) - rep.trace_term);
    double re[2], im[2];
    eig_2x2(prod2, re, im);
    printf("2x2: FID = %.10f (with 1e-6 I: %.10f), closed form %.10f\n", fid2, fid2_reg,
           fid_closed);
    check_close("L07.Z5.3.fid_2x2", fid2, 2.5166852265, 1e-10, "L07.Z5.3.fid",
                "2x2 FID without regulariser (spec: 2 + 7 - 2 sqrt 14)");
    check_close("L07.Z5.3.fid_2x2_closed", fid_closed, 2.5166852265, 1e-10, "L07.Z5.3.trace_2x2",
                "the 2x2 closed form (a route without eigenvalues) gives the same 2.5166852265");
    check_close("L07.Z5.3.fid_2x2_reg", fid2_reg, 2.5166849503, 1e-8, "L07.Z5.3.regularise",
                "2x2 FID with the lecture's +1e-6 I (spec 2.5166849503)");
    check_close("L07.Z5.3.trace_sqrt_similar", sqrt(re[0]) + sqrt(re[1]), 3.7416573868, 1e-10,
                "L07.Z5.3.fid",
                "sum sqrt(eig(Sigma_r Sigma_g)) (non-symmetric route) = sqrt 14, as tr sqrt(C) of the "
                "symmetric C: similar matrices");
    check_close("L07.Z5.3.trace_sqrt_value", trace_sqrt_sym, 3.7416573868, 1e-10, "L07.Z5.3.fid",
                "tr sqrt(Sigma_r^1/2 Sigma_g Sigma_r^1/2) = sqrt 14 = 3.7416573868");
    double fid2_naive = fid_product_of_roots(mr2, cr2, mg2, cg2, 2);
    printf("FAQ Q3: product of roots gives FID = %.10f, wrong by %.4f\n", fid2_naive,
           fid2_naive - fid2);
    check_close("L07.Z5.3.faq_q3_naive", fid2_naive, 2.5358983849, 1e-10,
                "L07.Z5.3.naive_roots",
                "FAQ Q3: tr(sqrt(Sigma_r) sqrt(Sigma_g)) gives the wrong FID 2.5359 (spec)");
    check_ge("L07.Z5.3.faq_q3_differs", fabs(fid2_naive - fid2), 0.019, 0.0,
             "L07.Z5.3.naive_roots", "the naive FID differs from the correct one by > 0.019");
}

/*: ## Z5.3 Where the imaginary part comes from

Take $\Sigma_g = \Sigma_r^{-1}$ (200 random $2\times2$ SPD $\Sigma_r$): then $\Sigma_r\Sigma_g = I$, a double eigenvalue. Computed
in floating point the product is $I + O(10^{-16})$, non-symmetric, and a double eigenvalue of a
non-symmetric matrix is ill-conditioned: a perturbation $\delta$ moves it by $O(\sqrt\delta)$,
here $\approx 10^{-8}$, and when the discriminant of the characteristic polynomial comes out
negative the eigenvalues become a complex pair. That is the "imaginary component" a general
`sqrtm(Sigma_r @ Sigma_g)` reports and code then discards. The symmetric
$C = \Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}$ has real eigenvalues by construction, accurate to
$O(10^{-16})$: there is no imaginary part to handle.
*/
static void imaginary_part(Rng *rng) {
    double re[2], im[2];
    enum { N_INV = 200 };
    double naive_dev = 0.0, sym_dev = 0.0;
    int n_complex = 0;
    for (int k = 0; k < N_INV; k++) {
        /* a random SPD 2x2 Sigma_r = B B^T + 0.5 I and Sigma_g = its computed inverse */
        double bb[4], crk[4];
        for (int i = 0; i < 4; i++) bb[i] = rng_normal(rng);
        crk[0] = bb[0] * bb[0] + bb[1] * bb[1] + 0.5;
        crk[1] = crk[2] = bb[0] * bb[2] + bb[1] * bb[3];
        crk[3] = bb[2] * bb[2] + bb[3] * bb[3] + 0.5;
        Mat m_r = mat_from(2, 2, crk), m_g = mat_new(2, 2), half = mat_new(2, 2);
        mat_inverse(&m_g, m_r);
        mat_symmetrize(&m_g);
        Mat prod = mat_mul_new(m_r, false, m_g, false); /* the non-symmetric Sigma_r Sigma_g */
        eig_2x2(prod.a, re, im);
        if (im[0] != 0.0) n_complex++;
        naive_dev = fmax(naive_dev, fmax(fmax(fabs(re[0] - 1.0), fabs(re[1] - 1.0)), fabs(im[0])));
        sqrtm_sym(&half, m_r, NULL);
        Mat half_g = mat_mul_new(half, false, m_g, false);
        //: $C = \Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}$, symmetric: real eigenvalues
        Mat c_sym = mat_mul_new(half_g, false, half, false);
        mat_symmetrize(&c_sym);
        double w_sym[2];
        eig_sym(c_sym, w_sym, NULL, NULL);
        sym_dev = fmax(sym_dev, fmax(fabs(w_sym[0] - 1.0), fabs(w_sym[1] - 1.0)));
        mat_free(&m_r); mat_free(&m_g); mat_free(&half); mat_free(&prod);
        mat_free(&half_g); mat_free(&c_sym);
    }
    printf("Sigma_g = Sigma_r^-1 (%d random 2x2): eig(Sigma_r Sigma_g) from the characteristic "
           "polynomial: complex in %d cases, max |lambda - 1| = %.2e\n", N_INV, n_complex, naive_dev);
    printf("  symmetric C = Sigma_r^1/2 Sigma_g Sigma_r^1/2: real eigenvalues, max |lambda - 1| = %.2e\n",
           sym_dev);
    check_le("L07.Z5.3.symmetric_form_exact", sym_dev, 1e-12, 0.0, "L07.Z5.3.fid",
             "Sigma_g = Sigma_r^-1: eigenvalues of the symmetric C are 1 to rounding (%d cases)", N_INV);
    check_in("L07.Z5.3.nonsymmetric_sqrt_eps", naive_dev, 1e-10, 1e-6, "L07.Z5.3.fid",
             "the non-symmetric product's double eigenvalue moves by ~sqrt(eps) (complex in %d of %d)",
             n_complex, N_INV);
}

/*: ## Z5.3 Isotropic covariances: FID in closed form

When $\Sigma_r$ and $\Sigma_g$ commute (same eigenvectors, eigenvalues $a_i$, $b_i$),

$$ \mathrm{FID} = \lVert\mu_r-\mu_g\rVert^2 + \sum_i\big(\sqrt{a_i} - \sqrt{b_i}\big)^2 $$ {#eq:L07.Z5.3.commuting}

The lecture's population: $\Sigma_r = I_{16}$, $\Sigma_g = 1.21\,I_{16}$, $\delta = 0.2\cdot\mathbf 1$:
$16\cdot0.04 + 16\cdot0.01 = 0.80$. This is what the sample FID estimates.
*/
/* Returns the population FID 0.80 that the sample FID estimates. */
static double isotropic(void) {
    double mu0[D] = {0}, mu02[D], cov_i[D * D] = {0}, cov_g121[D * D] = {0};
    double fid_pop_closed = 0.0;
    for (int i = 0; i < D; i++) {
        mu02[i] = 0.2;
        cov_i[i * D + i] = 1.0;
        cov_g121[i * D + i] = 1.21;
        //: eq. [eq:L07.Z5.3.commuting]
        fid_pop_closed += 0.04 + (1.0 - 1.1) * (1.0 - 1.1);
    }
    double fid_pop = fid_gaussian(mu0, cov_i, mu02, cov_g121, D, 0.0, NULL);
    double fid_pop_reg = fid_gaussian(mu0, cov_i, mu02, cov_g121, D, 1e-6, NULL);
    printf("population FID (Sigma_r = I, Sigma_g = 1.21 I, delta = 0.2): %.12f (with 1e-6 I: %.10f)\n",
           fid_pop, fid_pop_reg);
    check_close("L07.Z5.3.fid_isotropic", fid_pop, fid_pop_closed, 1e-12, "L07.Z5.3.commuting",
                "population FID equals the commuting closed form 0.80");
    check_close("L07.Z5.3.fid_isotropic_reg", fid_pop_reg, 0.80, 1e-6, "L07.Z5.3.regularise",
                "with the lecture's 1e-6 I the population FID is 0.80 - 1.45e-7");
    return fid_pop;
}

/*: ## Z5.3 The lecture's synthetic run ($N = 800$, $d = 16$)

The lecture asserts $\mathrm{FID} \ge -10^{-6}$ and $\lvert\mathrm{FID}(r,r)\rvert < 10^{-6}$.
In double precision $\mathrm{FID}(r,r)$ is $\approx 10^{-13}$; the estimate itself is biased
upwards from 0.80 (next section). The clip report shows what rounding did to the
eigenvalues.
*/
static void synthetic_run(const Cli *cli) {
    Rng rng;
    double fid_same;
    FrechetReport rep800;
    double fid800 = synthetic_fid(cli->seed, 0, 800, 1e-6, &rep800, &fid_same);
    printf("synthetic N = 800: FID = %.6f, FID(r, r) = %.2e; clipped eigenvalues: %d "
           "(min eig of C = %.4f)\n", fid800, fid_same, rep800.n_clipped,
           rep800.sqrt_inner.min_eig);
    check_ge("L07.Z5.3.fid_nonneg", fid800, -1e-6, 0.0, "L07.Z5.3.fid",
             "the lecture's assert FID >= -1e-6");
    check_in("L07.Z5.3.fid_synthetic_range", fid800, 0.75, 1.30, "L07.Z5.3.fid",
             "one synthetic run (population 0.80, mean of the estimator 1.032, sd 0.093)");
    check_close("L07.Z5.3.fid_same", fid_same, 0.0, 1e-10, "L07.Z5.3.fid",
                "FID(r, r) = 0 (lecture: |fid0| < 1e-6)");
    {
        /* FID(g, r) from the same features: swap the roles. */
        double *x_r = xmalloc(800 * D * sizeof *x_r), *x_g = xmalloc(800 * D * sizeof *x_g);
        rng_init(&rng, cli->seed, 0);
        rng_normal_fill(&rng, x_r, 800 * D);
        rng_normal_fill(&rng, x_g, 800 * D);
        for (int i = 0; i < 800 * D; i++) x_g[i] = 1.1 * x_g[i] + 0.2;
        double mr[D], mg[D], cr[D * D], cg[D * D];
        stats_covariance(x_r, 800, D, mr, cr);
        stats_covariance(x_g, 800, D, mg, cg);
        double fid_gr = fid_gaussian(mg, cg, mr, cr, D, 1e-6, NULL);
        check_close("L07.Z5.3.fid_symmetric", fid_gr - fid800, 0.0, 1e-10, "L07.Z5.3.fid",
                    "FID(g, r) = FID(r, g)");

        /*: ### Z6.6: the same formula on other features

        FD-DINOv2 is eq. [eq:L07.Z5.3.fid] applied to DINOv2 features instead of Inception
        features. The distance is a property of the feature map: it is unchanged by a rotation
        $x \mapsto Qx$ ($\mu \mapsto Q\mu$, $\Sigma\mapsto Q\Sigma Q^\top$) but changes under any
        other linear map, e.g. a rescaling of the coordinates — which is why FID and FD-DINOv2
        numbers are not comparable.
        */
        Mat sym = mat_new(D, D), q = mat_new(D, D);
        rng_normal_fill(&rng, sym.a, D * D);
        mat_symmetrize(&sym);
        double wq[D];
        eig_sym(sym, wq, &q, NULL); /* the eigenvectors of a random symmetric matrix: orthogonal Q */
        Mat crm = mat_from(D, D, cr), cgm = mat_from(D, D, cg);
        Mat tmp = mat_new(D, D), cr_rot = mat_new(D, D), cg_rot = mat_new(D, D);
        mat_mul(&tmp, q, false, crm, false);
        mat_mul(&cr_rot, tmp, false, q, true);
        mat_mul(&tmp, q, false, cgm, false);
        mat_mul(&cg_rot, tmp, false, q, true);
        double mr_rot[D], mg_rot[D];
        mat_vec(mr_rot, q, mr);
        mat_vec(mg_rot, q, mg);
        double fid_rot = fid_gaussian(mr_rot, cr_rot.a, mg_rot, cg_rot.a, D, 1e-6, NULL);
        double mr_s[D], mg_s[D], cr_s[D * D], cg_s[D * D];
        for (int i = 0; i < D; i++) {
            double si_ = 1.0 + i / (double)D; /* feature i scaled by 1 + i/16 */
            mr_s[i] = si_ * mr[i];
            mg_s[i] = si_ * mg[i];
            for (int j = 0; j < D; j++) {
                double sj_ = 1.0 + j / (double)D;
                cr_s[i * D + j] = si_ * sj_ * cr[i * D + j];
                cg_s[i * D + j] = si_ * sj_ * cg[i * D + j];
            }
        }
        double fid_scaled = fid_gaussian(mr_s, cr_s, mg_s, cg_s, D, 1e-6, NULL);
        printf("Z6.6: FD of rotated features %.10f (unrotated %.10f); of rescaled features %.6f\n",
               fid_rot, fid800, fid_scaled);
        check_close("L07.Z5.3.z66_rotation_invariant", fid_rot - fid800, 0.0, 1e-10,
                    "L07.Z5.3.fid", "Z6.6: the Frechet distance is invariant to rotating the features");
        check_ge("L07.Z5.3.z66_feature_dependent", fabs(fid_scaled - fid800), 0.1, 0.0,
                 "L07.Z5.3.fid",
                 "Z6.6: rescaling the features (x_i -> (1 + i/16) x_i) changes the distance");
        mat_free(&sym); mat_free(&q); mat_free(&crm); mat_free(&cgm);
        mat_free(&tmp); mat_free(&cr_rot); mat_free(&cg_rot);
        free(x_r);
        free(x_g);
    }
}

/*: ## Z5.3 Fewer samples than dimensions

Without the regulariser ($\epsilon = 0$), with $N = 10 < d = 16$ the sample covariances have rank 9: seven eigenvalues are exactly
zero in exact arithmetic and come out as $\pm10^{-16}$. Those below zero are clipped; the
report tells us they are rounding (relative size $\sim10^{-15}$), not an indefinite input.
*/
static void fewer_samples_than_dims(const Cli *cli) {
    FrechetReport rep10;
    double fid10 = synthetic_fid(cli->seed, 1, 10, 0.0, &rep10, NULL);
    double rel_min = fmax(fabs(rep10.sqrt_s1.min_eig) / rep10.sqrt_s1.max_eig,
                          fabs(rep10.sqrt_inner.min_eig) / rep10.sqrt_inner.max_eig);
    printf("N = 10 < d: FID = %.4f; smallest eigenvalue of Sigma_r %.2e, of C %.2e; clipped: %d in "
           "sqrt(Sigma_r), %d in sqrt(C), most negative %.2e\n", fid10, rep10.sqrt_s1.min_eig,
           rep10.sqrt_inner.min_eig, rep10.sqrt_s1.n_clipped, rep10.sqrt_inner.n_clipped,
           rep10.most_negative);
    check_le("L07.Z5.3.rank_deficient_rounding", rel_min, 1e-12, 0.0, NULL,
             "N = 10 < d = 16: the zero eigenvalues come out at rounding size (|min| / max eig); "
             "%d clipped", rep10.n_clipped);
}

static const int n_grid[] = {100, 200, 400, 800, 1600, 3200, 8000};
enum { NG = sizeof n_grid / sizeof n_grid[0] };

/* The bias study's results, for the figure. */
typedef struct {
    double mean[NG], se[NG]; /* mean FID over the seeds and its standard error, per N */
    double fit_a, fit_c;     /* a + C/N */
} BiasFit;

/*: ## FAQ Q6 The estimator is biased, $\mathbb E[\mathrm{FID}_N] \approx \mathrm{FID} + C/N$

The mean term alone has $\mathbb E\lVert\bar x_r - \bar x_g\rVert^2 = \lVert\delta\rVert^2
+ d(1 + 1.21)/N$; the square-root term adds more (a concave function of a noisy matrix).
$R$ seeds per $N$; mean and standard error over the seeds. A weighted least-squares fit

$$ \overline{\mathrm{FID}}_N = a + \frac{C}{N} $$ {#eq:L07.Z5.3.bias_fit}

extrapolates to $a = \mathrm{FID}_\infty$, which must be the population 0.80. Reference
means (spec L07 §6.3, corrected values from 4000 and 600 replications): 1.032 at
$N = 800$ and 0.823 at $N = 8000$ (the spec's earlier 0.996 / 0.836 came from 30 / 8
replications).
*/
static void bias_with_n(const Cli *cli, double fid_pop, BiasFit *B) {
    const int reps = (int)cli_scale(cli, 6, 20, 100);
    double *fids = xmalloc((size_t)NG * reps * sizeof *fids);
#pragma omp parallel for schedule(dynamic)
    for (int job = 0; job < NG * reps; job++) {
        int g = job / reps, r = job % reps;
        fids[job] = synthetic_fid(cli->seed, 100 + (uint64_t)job, n_grid[g], 1e-6, NULL, NULL);
        (void)r;
    }
    double *mean_n = B->mean, *se_n = B->se, sd_n[NG];
    FILE *csv = fopen(cli_out_path(cli, "fid_bias.csv"), "w");
    if (csv) fprintf(csv, "N,mean_fid,sd_fid,se_fid,replications\n");
    printf("FID bias (R = %d seeds per N):\n", reps);
    for (int g = 0; g < NG; g++) {
        double var;
        stats_mean_var(fids + (size_t)g * reps, (size_t)reps, &mean_n[g], &var);
        sd_n[g] = sqrt(var);
        se_n[g] = sd_n[g] / sqrt((double)reps);
        printf("  N = %5d: mean FID %.4f  sd %.4f  (mean - 0.80) * N = %.1f\n", n_grid[g],
               mean_n[g], sd_n[g], (mean_n[g] - 0.80) * n_grid[g]);
        if (csv) fprintf(csv, "%d,%.8f,%.8f,%.8f,%d\n", n_grid[g], mean_n[g], sd_n[g], se_n[g], reps);
    }
    if (csv) fclose(csv);
    const int g800 = 3, g8000 = 6;
    check_mc("L07.Z5.3.bias_mean_800", mean_n[g800], 1.032, se_n[g800], 4, reps,
             "L07.Z5.3.bias_fit", "mean FID over seeds at N = 800 (spec reference 1.032, se from seeds)");
    check_mc("L07.Z5.3.bias_mean_8000", mean_n[g8000], 0.823, se_n[g8000], 4, reps,
             "L07.Z5.3.bias_fit", "mean FID over seeds at N = 8000 (spec reference 0.823, se from seeds)");
    check_true("L07.Z5.3.bias_ordering", mean_n[g800] > mean_n[g8000] && mean_n[g8000] > 0.80,
               "mean FID(800) > mean FID(8000) > population 0.80: the bias shrinks with N");
    /* Weighted least squares of mean_N on (1, 1/N), weights 1/se^2. */
    double s00 = 0, s01 = 0, s11 = 0, t0 = 0, t1 = 0;
    for (int g = 0; g < NG; g++) {
        //: weights $1/\mathrm{se}_N^2$ for the fit of eq. [eq:L07.Z5.3.bias_fit]
        double w = 1.0 / (se_n[g] * se_n[g]);
        s00 += w;
        s01 += w / n_grid[g];
        s11 += w / ((double)n_grid[g] * n_grid[g]);
        t0 += w * mean_n[g];
        t1 += w / n_grid[g] * mean_n[g];
    }
    double det = s00 * s11 - s01 * s01;
    //: $(a, C)$ of eq. [eq:L07.Z5.3.bias_fit] by weighted least squares
    const double fit_a = (s11 * t0 - s01 * t1) / det, fit_c = (s00 * t1 - s01 * t0) / det;
    B->fit_a = fit_a;
    B->fit_c = fit_c;
    double se_a = sqrt(s11 / det);
    printf("fit mean FID = a + C/N: a = %.4f +- %.4f, C = %.1f (mean term alone: d (1 + 1.21) = %.2f)\n",
           fit_a, se_a, fit_c, D * 2.21);
    check_mc("L07.Z5.3.fid_infinity", fit_a, fid_pop, se_a, 4, (long)NG * reps,
             "L07.Z5.3.bias_fit", "extrapolated FID_inf (a of a + C/N) equals the population FID 0.80");
    check_ge("L07.Z5.3.bias_exceeds_mean_term", fit_c, D * 2.21, 0.0, "L07.Z5.3.bias_fit",
             "the fitted C exceeds the mean term's d (1 + 1.21) = 35.4: the trace term is biased too");
    free(fids);
}

/* Figure `fid_bias.png`: mean FID +- 2 se against N, and against 1/N where a + C/N is a straight
   line. */
static void figure(const Cli *cli, double fid_pop, const BiasFit *B) {
    const double *mean_n = B->mean, *se_n = B->se, fit_a = B->fit_a, fit_c = B->fit_c;
    double inv_n[NG];
    for (int g = 0; g < NG; g++) inv_n[g] = 1.0 / n_grid[g];
    char err[256];
    Plot *plot = plot_new_grid(1, 2, 1200, 460, "FAQ Q6: FID is biased upwards, bias ~ C/N");
    plot_panel(plot, 0);
    plot_title(plot, "mean FID over seeds vs sample size N");
    plot_xlabel(plot, "N (samples per set)");
    plot_ylabel(plot, "FID");
    double xs[NG], fit_curve_x[200], fit_curve_y[200];
    for (int g = 0; g < NG; g++) xs[g] = n_grid[g];
    for (int i = 0; i < 200; i++) {
        fit_curve_x[i] = 90.0 + (8100.0 - 90.0) * i / 199.0;
        fit_curve_y[i] = fit_a + fit_c / fit_curve_x[i];
    }
    PlotSeries *sr = plot_line(plot, fit_curve_x, fit_curve_y, 200, "fit a + C/N");
    plot_series_color(sr, PLOT_GRAY);
    plot_series_dash(sr, PLOT_DASHED);
    for (int g = 0; g < NG; g++) { /* error bars: mean +- 2 se */
        double ex[2] = {xs[g], xs[g]}, ey[2] = {mean_n[g] - 2 * se_n[g], mean_n[g] + 2 * se_n[g]};
        plot_series_color(plot_line(plot, ex, ey, 2, NULL), PLOT_BLUE);
    }
    sr = plot_scatter(plot, xs, mean_n, NG, "mean FID (bars: +-2 se)");
    plot_series_color(sr, PLOT_BLUE);
    plot_series_marker(sr, 4);
    plot_series_color(plot_hline(plot, fid_pop, "population FID 0.80"), PLOT_RED);
    plot_panel(plot, 1);
    plot_title(plot, "the same against 1/N: a straight line");
    plot_xlabel(plot, "1/N");
    plot_ylabel(plot, "FID");
    double lin_x[2] = {0.0, 0.0105}, lin_y[2] = {fit_a, fit_a + fit_c * 0.0105};
    sr = plot_line(plot, lin_x, lin_y, 2, "fit a + C/N");
    plot_series_color(sr, PLOT_GRAY);
    plot_series_dash(sr, PLOT_DASHED);
    for (int g = 0; g < NG; g++) {
        double ex[2] = {inv_n[g], inv_n[g]}, ey[2] = {mean_n[g] - 2 * se_n[g], mean_n[g] + 2 * se_n[g]};
        plot_series_color(plot_line(plot, ex, ey, 2, NULL), PLOT_BLUE);
    }
    sr = plot_scatter(plot, inv_n, mean_n, NG, "mean FID (bars: +-2 se)");
    plot_series_color(sr, PLOT_BLUE);
    plot_series_marker(sr, 4);
    plot_series_color(plot_hline(plot, fid_pop, "population FID 0.80"), PLOT_RED);
    if (plot_save(plot, cli_out_path(cli, "fid_bias.png"), err, sizeof err) != 0) die("%s", err);
    plot_free(plot);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L07 Z5.3: FID with a symmetric matrix square root; its bias with sample size", 3,
              NULL);
    Rng rng;
    rng_init(&rng, cli.seed, 1000);
    BiasFit bias;
    square_root(&rng);
    two_by_two();
    imaginary_part(&rng);
    const double fid_pop = isotropic();
    synthetic_run(&cli);
    fewer_samples_than_dims(&cli);
    bias_with_n(&cli, fid_pop, &bias);
    figure(&cli, fid_pop, &bias);
    return check_end();
}
