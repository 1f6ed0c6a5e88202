/* kde — 1-D Gaussian KDE: direct log-sum-exp evaluation and the FFT-binned grid (kde.h). */
#include <math.h>
#include <stdlib.h>

#include "common/fft.h"
#include "common/kde.h"
#include "common/stats.h"
#include "common/util.h"

static const double LOG_SQRT_2PI = 0.91893853320467274178; /* log sqrt(2 pi) */
static const double KDE_TAU = 8.0; /* kernel cut-off, in bandwidths */

double kde_bandwidth_scott(const double *x, size_t n) {
    const double sd = sqrt(stats_var(x, n));
    //: $h = (4/3)^{1/5}\,\hat\sigma\, n^{-1/5}$
    return pow(4.0 / 3.0, 0.2) * sd * pow((double)n, -0.2);
}

double kde_bandwidth_silverman(const double *x, size_t n) {
    const double sd = sqrt(stats_var(x, n));
    const double q[2] = {0.25, 0.75};
    double quart[2];
    stats_quantiles(x, n, q, 2, quart);
    const double iqr = quart[1] - quart[0];
    const double spread = iqr > 0.0 ? fmin(sd, iqr / 1.34) : sd;
    //: $h = 0.9\min(\hat\sigma, \mathrm{IQR}/1.34)\, n^{-1/5}$
    return 0.9 * spread * pow((double)n, -0.2);
}

void kde_logpdf_direct(const double *data, size_t n, double h, const double *y, size_t m,
                       double *logp) {
    const double inv_2h2 = 0.5 / (h * h);
    const double log_norm = log((double)n * h) + LOG_SQRT_2PI;
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < m; j++) {
        /* two-pass log-sum-exp (mathfn.h's eq. lse_shift) without a buffer of n terms */
        double amax = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            const double a = -(y[j] - data[i]) * (y[j] - data[i]) * inv_2h2;
            if (a > amax) amax = a;
        }
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += exp(-(y[j] - data[i]) * (y[j] - data[i]) * inv_2h2 - amax);
        //: $\log\hat f_h(y) = \operatorname{lse}_i(-(y-x_i)^2/2h^2) - \log(n h\sqrt{2\pi})$
        logp[j] = amax + log(s) - log_norm;
    }
}

void kde_pdf_direct(const double *data, size_t n, double h, const double *y, size_t m,
                    double *pdf) {
    kde_logpdf_direct(data, n, h, y, m, pdf);
    for (size_t j = 0; j < m; j++) pdf[j] = exp(pdf[j]);
}

void kde_grid_build(const double *data, size_t n, double h, size_t g, KdeGrid *grid) {
    if (n < 1 || !(h > 0.0)) die("kde_grid_build: need n >= 1 and h > 0");
    double xmin = data[0], xmax = data[0];
    for (size_t i = 1; i < n; i++) {
        if (data[i] < xmin) xmin = data[i];
        if (data[i] > xmax) xmax = data[i];
    }
    const double lo = xmin - KDE_TAU * h, hi = xmax + KDE_TAU * h;
    if (g == 0) {
        double want = ceil((hi - lo) / (h / 16.0)) + 1.0;
        g = want > (double)(1 << 20) ? (size_t)1 << 20 : (size_t)want;
    }
    if (g < 2) g = 2;
    const double delta = (hi - lo) / (double)(g - 1);

    /* 1. linear binning */
    double *c = xcalloc(g, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        const double t = (data[i] - lo) / delta;
        size_t j = (size_t)floor(t);
        if (j > g - 2) j = g - 2;
        const double f = t - (double)j;
        //: $x = g_j + f\delta$: weight $1 - f$ to $g_j$, $f$ to $g_{j+1}$
        c[j] += 1.0 - f;
        c[j + 1] += f;
    }

    /* 2. sampled kernel on offsets -L..L and the convolution */
    size_t L = (size_t)ceil(KDE_TAU * h / delta);
    if (L > g - 1) L = g - 1;
    double *kernel = xmalloc(sizeof(double) * (2 * L + 1));
    //: $\frac{1}{nh}\varphi(k\delta/h)$, $|k| \le L$
    const double scale = 1.0 / ((double)n * h) * exp(-LOG_SQRT_2PI);
    for (size_t k = 0; k <= 2 * L; k++) {
        const double u = ((double)k - (double)L) * delta / h;
        kernel[k] = scale * exp(-0.5 * u * u);
    }
    double *conv = xmalloc(sizeof(double) * (g + 2 * L));
    //: $\hat f(g_k) = \frac{1}{nh}\sum_j c_j\, \varphi((k-j)\delta/h)$ {#eq:common.kde.binned}
    fft_convolve(c, g, kernel, 2 * L + 1, conv);
    grid->density = xmalloc(sizeof(double) * g);
    for (size_t k = 0; k < g; k++) {
        const double v = conv[k + L];
        grid->density[k] = v > 0.0 ? v : 0.0; /* FFT rounding can leave -1e-18 in empty tails */
    }
    grid->lo = lo;
    grid->delta = delta;
    grid->h = h;
    grid->g = g;
    free(conv);
    free(kernel);
    free(c);
}

double kde_grid_eval(const KdeGrid *grid, double y) {
    const double t = (y - grid->lo) / grid->delta;
    if (!(t >= 0.0 && t <= (double)(grid->g - 1))) return 0.0;
    size_t j = (size_t)floor(t);
    if (j > grid->g - 2) j = grid->g - 2;
    const double f = t - (double)j;
    //: $\hat f(y) \approx (1-f)\hat f(g_j) + f\,\hat f(g_{j+1})$
    return (1.0 - f) * grid->density[j] + f * grid->density[j + 1];
}

void kde_grid_free(KdeGrid *grid) {
    free(grid->density);
    grid->density = NULL;
}

void kde_pdf_binned(const double *data, size_t n, double h, const double *y, size_t m,
                    double *pdf, size_t g) {
    KdeGrid grid;
    kde_grid_build(data, n, h, g, &grid);
    for (size_t j = 0; j < m; j++) pdf[j] = kde_grid_eval(&grid, y[j]);
    kde_grid_free(&grid);
}
