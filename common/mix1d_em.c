/* mix1d_em — see mix1d_em.h. */
#include "common/mix1d_em.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/mathfn.h"
#include "common/util.h"

static const double HALF_LOG_2PI = 0.91893853320467274178;

static double log_normal(double x, double mu, double log_sd) {
    const double z = (x - mu) * exp(-log_sd);
    return -0.5 * z * z - log_sd - HALF_LOG_2PI;
}

double mix1d_em_step(Mix1d *m, const double *x, int n, double *resp) {
    double nk[MIX1D_KMAX] = {0}, log_w[MIX1D_KMAX], log_sd[MIX1D_KMAX], ell_sum = 0.0;
    for (int k = 0; k < m->k; k++) {
        log_w[k] = log(m->w[k]);
        log_sd[k] = log(m->sd[k]);
    }
    for (int i = 0; i < n; i++) { /* E-step */
        double ell[MIX1D_KMAX];
        for (int k = 0; k < m->k; k++) ell[k] = log_w[k] + log_normal(x[i], m->mu[k], log_sd[k]);
        const double lse = logsumexp(ell, (size_t)m->k);
        ell_sum += lse;
        for (int k = 0; k < m->k; k++) {
            //: $r_{ki} = w_k\mathcal N(x_i;\mu_k,\sigma_k^2) / \sum_j w_j\mathcal N(x_i;\mu_j,\sigma_j^2)$
            resp[(size_t)i * MIX1D_KMAX + k] = exp(ell[k] - lse);
            nk[k] += resp[(size_t)i * MIX1D_KMAX + k];
        }
    }
    for (int k = 0; k < m->k; k++) { /* M-step */
        double sx = 0.0, sxx = 0.0;
        for (int i = 0; i < n; i++) sx += resp[(size_t)i * MIX1D_KMAX + k] * x[i];
        //: $w_k = N_k/N$, $\mu_k = \sum_i r_{ki}x_i / N_k$, [eq:L07.Z5b.5.em_update]
        m->w[k] = nk[k] / n;
        m->mu[k] = sx / nk[k];
        for (int i = 0; i < n; i++)
            sxx += resp[(size_t)i * MIX1D_KMAX + k] * (x[i] - m->mu[k]) * (x[i] - m->mu[k]);
        //: $\sigma_k^2 = \sum_i r_{ki}(x_i - \mu_k)^2 / N_k$, [eq:L07.Z5b.5.em_update]
        m->sd[k] = sqrt(sxx / nk[k]);
    }
    return ell_sum;
}

int mix1d_em_fit(Mix1d *m, const double *x, int n, double tol, int max_iter, double *trace,
                 int trace_cap, double *loglik, double *min_increase) {
    double *resp = xmalloc(sizeof(double) * (size_t)n * MIX1D_KMAX);
    double prev = mix1d_em_step(m, x, n, resp), cur = prev;
    if (trace && trace_cap > 0) trace[0] = prev;
    *min_increase = INFINITY;
    int t = 1;
    for (; t <= max_iter; t++) {
        cur = mix1d_em_step(m, x, n, resp); /* l at the parameters after t updates */
        if (trace && t < trace_cap) trace[t] = cur;
        *min_increase = fmin(*min_increase, cur - prev);
        if (fabs(cur - prev) < tol) break;
        prev = cur;
    }
    free(resp);
    *loglik = cur;
    return t;
}
