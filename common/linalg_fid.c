/* linalg_fid — the Fréchet distance between two Gaussians in its symmetric form
   (see linalg.h, eq:common.linalg.fid). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"
#include "common/util.h"

double frechet_distance(const double *mu1, const double *S1, const double *mu2,
                        const double *S2, int d, FrechetReport *rep) {
    FrechetReport r;
    memset(&r, 0, sizeof r);
    double fid = NAN;

    //: $\lVert\mu_1 - \mu_2\rVert^2$
    for (int i = 0; i < d; i++) r.mean_term += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);

    Mat sigma1 = mat_from(d, d, S1), sigma2 = mat_from(d, d, S2);
    Mat root1 = mat_new(d, d), tmp = mat_new(d, d), inner = mat_new(d, d);
    double *lambda = xmalloc((size_t)(d ? d : 1) * sizeof *lambda);

    int st = sqrtm_sym(&root1, sigma1, &r.sqrt_s1);
    if (st >= 0) {
        //: $C = \Sigma_1^{1/2}\,\Sigma_2\,\Sigma_1^{1/2}$ (symmetric PSD; symmetrised against rounding)
        mat_mul(&tmp, root1, false, sigma2, false);
        mat_mul(&inner, tmp, false, root1, false);
        mat_symmetrize(&inner);
        st = eig_sym(inner, lambda, NULL, &r.sqrt_inner.qr_steps);
    }
    if (st >= 0) {
        ClipReport *c = &r.sqrt_inner;
        c->min_eig = d > 0 ? lambda[0] : 0.0;
        c->max_eig = d > 0 ? lambda[d - 1] : 0.0;
        double trace_sqrt = 0;
        for (int i = 0; i < d; i++) {
            if (lambda[i] < 0) {
                c->n_clipped++;
                c->most_negative = fmin(c->most_negative, lambda[i]);
            }
            //: $\operatorname{tr} C^{1/2} = \sum_i \sqrt{\max(\lambda_i(C), 0)}$
            trace_sqrt += sqrt(fmax(lambda[i], 0.0));
        }
        //: $\operatorname{tr}(\Sigma_1 + \Sigma_2 - 2 C^{1/2})$
        r.trace_term = mat_trace(sigma1) + mat_trace(sigma2) - 2.0 * trace_sqrt;
        fid = r.mean_term + r.trace_term;
        r.status = LINALG_OK;
    } else {
        r.status = st;
        r.trace_term = NAN;
    }
    r.n_clipped = r.sqrt_s1.n_clipped + r.sqrt_inner.n_clipped;
    r.most_negative = fmin(r.sqrt_s1.most_negative, r.sqrt_inner.most_negative);

    free(lambda);
    mat_free(&sigma1);
    mat_free(&sigma2);
    mat_free(&root1);
    mat_free(&tmp);
    mat_free(&inner);
    if (rep) *rep = r;
    return fid;
}
