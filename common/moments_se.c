/* moments_se — see moments_se.h. */
#include "common/moments_se.h"

#include <math.h>

#include "common/stats.h"

MomentsSe moments_se(const double *x, size_t n) {
    MomentsSe m;
    stats_mean_var(x, n, &m.mean, &m.var);
    double m4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = x[i] - m.mean;
        m4 += d * d * d * d;
    }
    m4 /= (double)n;
    //: $\sqrt{s^2/n}$ and $\sqrt{(m_4 - s^4)/n}$, [eq:common.moments_se.se]
    m.se_mean = sqrt(m.var / (double)n);
    m.se_var = sqrt(fmax(m4 - m.var * m.var, 0.0) / (double)n);
    return m;
}
