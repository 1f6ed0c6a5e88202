/* stats_hist — 1-D and 2-D histograms with optional density normalisation (stats.h). */
#include <math.h>
#include <string.h>

#include "common/stats.h"
#include "common/util.h"

/* Bin of x in [lo, hi] with nb bins, or -1 when outside; x == hi goes to the last bin. */
static int bin_of(double x, double lo, double hi, int nb) {
    if (!(x >= lo && x <= hi)) return -1; /* also rejects NaN */
    //: $k = \lfloor (x - lo)/\Delta \rfloor$, $\Delta = (hi - lo)/n_b$
    int k = (int)floor((x - lo) / (hi - lo) * nb);
    return k >= nb ? nb - 1 : (k < 0 ? 0 : k);
}

long stats_hist1d(const double *x, size_t n, double lo, double hi, int nbins, double *counts,
                  int density) {
    if (nbins < 1 || !(hi > lo)) die("stats_hist1d: need nbins >= 1 and hi > lo");
    memset(counts, 0, sizeof(double) * (size_t)nbins);
    long n_in = 0;
    for (size_t i = 0; i < n; i++) {
        int k = bin_of(x[i], lo, hi, nbins);
        if (k >= 0) {
            counts[k] += 1.0;
            n_in++;
        }
    }
    if (density && n_in > 0) {
        //: $\hat p_k = c_k / (n_\text{in}\,\Delta)$, so $\sum_k \hat p_k \Delta = 1$ {#eq:common.stats.hist_density}
        const double scale = 1.0 / ((double)n_in * (hi - lo) / nbins);
        for (int k = 0; k < nbins; k++) counts[k] *= scale;
    }
    return n_in;
}

long stats_hist2d(const double *xy, size_t n, double xlo, double xhi, int nx, double ylo,
                  double yhi, int ny, double *counts, int density) {
    if (nx < 1 || ny < 1 || !(xhi > xlo) || !(yhi > ylo))
        die("stats_hist2d: need nx, ny >= 1 and hi > lo on both axes");
    memset(counts, 0, sizeof(double) * (size_t)nx * (size_t)ny);
    long n_in = 0;
    for (size_t i = 0; i < n; i++) {
        int kx = bin_of(xy[2 * i], xlo, xhi, nx), ky = bin_of(xy[2 * i + 1], ylo, yhi, ny);
        if (kx >= 0 && ky >= 0) {
            counts[(size_t)kx * (size_t)ny + (size_t)ky] += 1.0;
            n_in++;
        }
    }
    if (density && n_in > 0) {
        //: $\hat p_{kl} = c_{kl} / (n_\text{in}\,\Delta_x \Delta_y)$
        const double area = (xhi - xlo) / nx * ((yhi - ylo) / ny);
        const double scale = 1.0 / ((double)n_in * area);
        for (size_t k = 0; k < (size_t)nx * (size_t)ny; k++) counts[k] *= scale;
    }
    return n_in;
}
