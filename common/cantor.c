/* The Cantor measure (see cantor.h). */
#include "common/cantor.h"

#include <math.h>

double cantor_cdf(double x) {
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    double f = 0.0, w = 0.5;
    for (int k = 0; k < 60; k++, w *= 0.5) {
        x *= 3.0;
        int d = (int)x; /* ternary digit 0, 1 or 2 */
        x -= d;
        if (d == 1) return f + w;
        if (d == 2) f += w;
        if (x <= 0.0) break;
    }
    return f;
}

double cantor_sample(Rng *r) {
    double x = 0.0, p = 1.0;
    uint64_t bits = rng_u64(r);
    for (int k = 0; k < CANTOR_DIGITS; k++) {
        p /= 3.0;
        if (bits >> k & 1u) x += 2.0 * p;
    }
    return x;
}

double cantor_cf_centered(double t) {
    double prod = 1.0, s = t;
    for (int k = 0; k < 200; k++) {
        s /= 3.0;
        if (fabs(s) < 1e-9) break;
        prod *= cos(s);
    }
    return prod;
}
