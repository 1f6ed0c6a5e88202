/* plot_ticks — "nice" tick steps and tick labels (plot.h, "Ticks").

   The step is the smallest Delta = m 10^k, m in {1, 2, 5}, with (hi - lo) / Delta <= max_intervals.
   Tick values are computed as the integer (i m) times or divided by an exact power of ten, so
   0.6 comes out as 6 / 10 = 0.6 and not 3 * 0.2 = 0.6000000000000001. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/plot_internal.h"

/* 10^e for small integer e, exact for e in [0, 22]. */
static double pow10i(int e) {
    double r = 1.0;
    for (int i = 0; i < (e < 0 ? -e : e); i++) r *= 10.0;
    return r;
}

/* i * m * 10^k without the rounding of a multiplied fraction. */
static double tick_value(long long i, int m, int k) {
    double im = (double)(i * m);
    return k >= 0 ? im * pow10i(k) : im / pow10i(-k);
}

int plot_nice_ticks(double lo, double hi, int max_intervals, double *ticks, int max_ticks,
                    double *step) {
    if (max_intervals < 1) max_intervals = 1;
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo) || max_ticks < 1) {
        if (step) *step = 0;
        if (max_ticks >= 1 && isfinite(lo)) {
            ticks[0] = lo;
            return 1;
        }
        return 0;
    }
    double span = hi - lo;
    int k = (int)floor(log10(span / max_intervals));
    static const int mantissa[4] = {1, 2, 5, 10};
    int m = 10;
    for (int j = 0; j < 4; j++) {
        //: $\Delta = m \cdot 10^k$, the smallest with $(hi - lo)/\Delta \le$ max_intervals
        double delta = tick_value(1, mantissa[j], k);
        if (span / delta <= max_intervals * (1 + 1e-9)) {
            m = mantissa[j];
            break;
        }
    }
    if (m == 10) { m = 1; k += 1; }
    double delta = tick_value(1, m, k);
    if (step) *step = delta;
    /* multiples of Delta in [lo, hi], with a relative slack for limits that are themselves ticks */
    double eps = 1e-9 * delta;
    long long i0 = (long long)ceil((lo - eps) / delta), i1 = (long long)floor((hi + eps) / delta);
    int n = 0;
    for (long long i = i0; i <= i1 && n < max_ticks; i++) ticks[n++] = tick_value(i, m, k);
    return n;
}

void plot_format_tick(double v, double step, char *buf, size_t len) {
    if (step > 0 && fabs(v) < 1e-9 * step) v = 0; /* no "-0" and no 1e-17 for zero */
    double mag = fabs(v);
    if (mag >= 1e6 || (mag > 0 && mag < 1e-4) || (step > 0 && step < 1e-4)) {
        snprintf(buf, len, "%.3g", v);
        return;
    }
    int decimals = 0;
    if (step > 0) {
        decimals = (int)ceil(-log10(step) - 1e-9);
        if (decimals < 0) decimals = 0;
        if (decimals > 6) decimals = 6;
    } else {
        snprintf(buf, len, "%g", v);
        return;
    }
    snprintf(buf, len, "%.*f", decimals, v);
}

void plot_axis_ticks(PlotAxis *a, int max_intervals) {
    a->n_ticks = 0;
    a->step = 0;
    if (!a->log) {
        a->n_ticks = plot_nice_ticks(a->lo, a->hi, max_intervals, a->ticks, PLOT_MAX_TICKS, &a->step);
        return;
    }
    /* log axis: the powers of ten in range, thinned to at most max_intervals + 1 */
    int e0 = (int)ceil(log10(a->lo) - 1e-9), e1 = (int)floor(log10(a->hi) + 1e-9);
    int count = e1 - e0 + 1;
    if (count >= 2) {
        int stride = 1;
        while ((count + stride - 1) / stride > max_intervals + 1) stride++;
        for (int e = e0; e <= e1 && a->n_ticks < PLOT_MAX_TICKS; e += stride)
            a->ticks[a->n_ticks++] = pow(10.0, e);
        return;
    }
    /* less than two decades in range: linear nice ticks on the values */
    a->n_ticks = plot_nice_ticks(a->lo, a->hi, max_intervals, a->ticks, PLOT_MAX_TICKS, &a->step);
}
