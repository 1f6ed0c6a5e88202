/* gen_metrics — see gen_metrics.h (L36 5.6: FID from features, Newton–Schulz, Inception Score;
   L36 5.7: k-NN precision and recall). */
#include "common/gen_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/stats.h"
#include "common/util.h"

void feature_stats(const double *feat, int n, int d, double *mean, double *cov) {
    stats_covariance(feat, (size_t)n, (size_t)d, mean, cov);
}

double fid_from_features(const double *fa, int na, const double *fb, int nb, int d, FidReport *rep) {
    double *ma = xmalloc((size_t)d * sizeof *ma), *mb = xmalloc((size_t)d * sizeof *mb);
    double *ca = xmalloc((size_t)d * d * sizeof *ca), *cb = xmalloc((size_t)d * d * sizeof *cb);
    feature_stats(fa, na, d, ma, ca);
    feature_stats(fb, nb, d, mb, cb);
    FrechetReport fr;
    double fid = frechet_distance(ma, ca, mb, cb, d, &fr);
    if (rep) {
        rep->fid = fid;
        rep->mean_term = fr.mean_term;
        rep->trace_term = fr.trace_term;
        rep->singular = na <= d || nb <= d;
        rep->n_clipped = fr.n_clipped;
        rep->status = fr.status;
    }
    free(ma), free(mb), free(ca), free(cb);
    return fid;
}

double trace_sqrt_newton_schulz(const double *S1, const double *S2, int d, int max_iter,
                                int *iters, double *residual) {
    Mat s1 = mat_from(d, d, S1), s2 = mat_from(d, d, S2);
    Mat Y = mat_mul_new(s1, false, s2, false); /* A = S1 S2 */
    double c = mat_frobenius(Y);
    mat_scale(&Y, 1.0 / c);
    Mat Z = mat_identity(d), T = mat_new(d, d), tmp = mat_new(d, d), I = mat_identity(d);
    double res = INFINITY;
    int k = 0;
    for (; k < max_iter; k++) {
        mat_mul(&T, Z, false, Y, false);
        mat_add(&tmp, 1.0, T, -1.0, I);
        res = mat_frobenius(tmp);
        if (res < 1e-13 * d) break;
        //: $T_k = \tfrac12(3I - Z_kY_k)$, [eq:common.gen_metrics.newton_schulz]
        mat_add(&T, 1.5, I, -0.5, T);
        //: $Y_{k+1} = Y_kT_k$, $Z_{k+1} = T_kZ_k$
        mat_mul(&tmp, Y, false, T, false);
        memcpy(Y.a, tmp.a, (size_t)d * d * sizeof *Y.a);
        mat_mul(&tmp, T, false, Z, false);
        memcpy(Z.a, tmp.a, (size_t)d * d * sizeof *Z.a);
    }
    double tr = sqrt(c) * mat_trace(Y);
    if (iters) *iters = k;
    if (residual) *residual = res;
    mat_free(&s1), mat_free(&s2), mat_free(&Y), mat_free(&Z), mat_free(&T), mat_free(&tmp), mat_free(&I);
    return tr;
}

double trace_sqrt_eig(const double *S1, const double *S2, int d) {
    Mat s1 = mat_from(d, d, S1), s2 = mat_from(d, d, S2), r = mat_new(d, d);
    sqrtm_sym(&r, s1, NULL);
    Mat t = mat_mul_new(r, false, s2, false);
    Mat inner = mat_mul_new(t, false, r, false);
    mat_symmetrize(&inner);
    double *w = xmalloc((size_t)d * sizeof *w);
    double tr = NAN;
    if (eig_sym(inner, w, NULL, NULL) == LINALG_OK) {
        tr = 0;
        for (int i = 0; i < d; i++) tr += sqrt(fmax(w[i], 0.0));
    }
    free(w);
    mat_free(&s1), mat_free(&s2), mat_free(&r), mat_free(&t), mat_free(&inner);
    return tr;
}

double inception_score(const double *probs, int n, int k, double eps) {
    double *py = xcalloc((size_t)k, sizeof *py);
    //: $p(y) = \frac1N\sum_i p(y\mid x_i)$, [eq:common.gen_metrics.inception_score]
    for (int i = 0; i < n; i++)
        for (int y = 0; y < k; y++) py[y] += probs[(size_t)i * k + y] / n;
    double kl_sum = 0;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < k; y++) {
            double p = probs[(size_t)i * k + y];
            if (p == 0) continue; /* 0 log 0 = 0 */
            //: $p(y\mid x_i)\big(\log(p(y\mid x_i)+\varepsilon) - \log(p(y)+\varepsilon)\big)$
            kl_sum += p * (log(p + eps) - log(py[y] + eps));
        }
    free(py);
    //: $\mathrm{IS} = \exp(\overline{\mathrm{KL}})$
    return exp(kl_sum / n);
}

/* ---- k-NN precision and recall (eq. precision_recall) ---- */

static double sqdist_full(const double *a, const double *b, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* The same sum, abandoned once it exceeds bound (checked every 16 terms): returns the full sum
   when it is <= bound, else some partial sum > bound. */
static double sqdist_bounded(const double *a, const double *b, int d, double bound) {
    double s = 0;
    for (int j0 = 0; j0 < d; j0 += 16) {
        const int j1 = j0 + 16 < d ? j0 + 16 : d;
        for (int j = j0; j < j1; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
        if (s > bound) return s;
    }
    return s;
}

void knn_radii2_reference(const double *A, int n, int d, int k, double *r2) {
    if (k < 1 || k >= n) die("knn_radii2_reference: need 1 <= k < n (k = %d, n = %d)", k, n);
    double *dd = xmalloc((size_t)(n > 1 ? n : 1) * sizeof *dd);
    for (int i = 0; i < n; i++) {
        int m = 0;
        for (int j = 0; j < n; j++)
            if (j != i) dd[m++] = sqdist_full(A + (size_t)i * d, A + (size_t)j * d, d);
        qsort(dd, (size_t)m, sizeof *dd, stats_cmp_double);
        r2[i] = dd[k - 1];
    }
    free(dd);
}

void knn_radii2(const double *A, int n, int d, int k, double *r2) {
    if (k < 1 || k >= n) die("knn_radii2: need 1 <= k < n (k = %d, n = %d)", k, n);
#pragma omp parallel
    {
        double *best = xmalloc((size_t)k * sizeof *best); /* the k smallest so far, increasing */
#pragma omp for schedule(dynamic, 16)
        for (int i = 0; i < n; i++) {
            int m = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) continue;
                const double bound = m == k ? best[k - 1] : INFINITY;
                const double s = sqdist_bounded(A + (size_t)i * d, A + (size_t)j * d, d, bound);
                if (s > bound) continue;
                int p = m < k ? m++ : k - 1; /* insert s, dropping the largest when full */
                while (p > 0 && best[p - 1] > s) best[p] = best[p - 1], p--;
                best[p] = s;
            }
            r2[i] = best[k - 1];
        }
        free(best);
    }
}

double knn_coverage_reference(const double *P, int np, const double *Q, const double *r2, int nq, int d) {
    int hit = 0;
    for (int i = 0; i < np; i++) {
        int in = 0;
        for (int j = 0; j < nq; j++) in |= sqdist_full(P + (size_t)i * d, Q + (size_t)j * d, d) <= r2[j];
        hit += in;
    }
    return (double)hit / np;
}

double knn_coverage(const double *P, int np, const double *Q, const double *r2, int nq, int d) {
    int hit = 0;
#pragma omp parallel for schedule(dynamic, 16) reduction(+ : hit)
    for (int i = 0; i < np; i++)
        for (int j = 0; j < nq; j++)
            if (sqdist_bounded(P + (size_t)i * d, Q + (size_t)j * d, d, r2[j]) <= r2[j]) {
                hit++;
                break;
            }
    return (double)hit / np;
}

KnnPr knn_precision_recall(const double *R, int nr, const double *G, int ng, int d, int k, int reference) {
    double *r2r = xmalloc((size_t)nr * sizeof *r2r), *r2g = xmalloc((size_t)ng * sizeof *r2g);
    KnnPr pr;
    //: $r_k(a; R)$, $r_k(g; G)$, [eq:common.gen_metrics.precision_recall]
    (reference ? knn_radii2_reference : knn_radii2)(R, nr, d, k, r2r);
    (reference ? knn_radii2_reference : knn_radii2)(G, ng, d, k, r2g);
    //: the two shares, [eq:common.gen_metrics.precision_recall]
    pr.precision = (reference ? knn_coverage_reference : knn_coverage)(G, ng, R, r2r, nr, d);
    pr.recall = (reference ? knn_coverage_reference : knn_coverage)(R, nr, G, r2g, ng, d);
    pr.n_precise = (int)lround(pr.precision * ng);
    pr.n_recalled = (int)lround(pr.recall * nr);
    free(r2r), free(r2g);
    return pr;
}
