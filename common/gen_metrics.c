/* gen_metrics — see gen_metrics.h (L36 5.6: FID from features, Newton–Schulz, Inception Score). */
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
