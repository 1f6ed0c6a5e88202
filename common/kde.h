/*: # kde — Gaussian kernel density estimation in 1-D

Given data $x_1, \dots, x_n$ and a bandwidth $h$, the Gaussian KDE is

$$ \hat f_h(y) = \frac{1}{n h}\sum_{i=1}^n \varphi\!\Big(\frac{y - x_i}{h}\Big),\qquad
   \varphi(u) = \frac{e^{-u^2/2}}{\sqrt{2\pi}}, $$ {#eq:common.kde.kde}

a density (it integrates to 1, being an average of normal densities).

**Direct evaluation** costs $O(nm)$ for $m$ query points. It is done in log space,
$\log\hat f_h(y) = \operatorname{lse}_i\big(-\tfrac{(y-x_i)^2}{2h^2}\big) - \log(nh\sqrt{2\pi})$,
so that a query far from all data returns a finite log-density instead of $\log 0$.

**Binned (FFT) evaluation** costs $O(n + G\log G + m)$ on a grid of $G$ points
$g_k = lo + k\,\delta$ covering $[\min x - \tau h, \max x + \tau h]$, $\tau = 8$:

1. *linear binning*: a point at $x = g_j + f\delta$ ($0 \le f < 1$) gives weight $1-f$ to
   $g_j$ and $f$ to $g_{j+1}$, so grid counts $c_k$ (sum $n$) keep the mean of the data;
2. the grid density is a discrete convolution with the sampled kernel,
   $\hat f(g_k) \approx \frac{1}{nh}\sum_j c_j\, \varphi\big((k-j)\delta/h\big)$ (fft.h),
   with the kernel cut at $|k - j|\delta \le \tau h$ ($\varphi(8) \approx 5\cdot10^{-15}$);
3. a query $y$ is answered by linear interpolation between the two nearest grid values
   (0 outside the grid, where the true value is below $\varphi(\tau)/h$).

**Error of the binned estimate.** Steps 1 and 3 are linear interpolations: of
$x \mapsto \varphi_h(y - x)$ across one grid cell, and of $\hat f$ across one grid cell. The
error of linear interpolation over a cell of width $\delta$ is at most
$\frac{\delta^2}{8}\max|g''|$, and for the Gaussian kernel
$\max|\varphi_h''| = \varphi(0)/h^3$ (also a bound for $|\hat f''|$, an average of kernels), so

$$ |\hat f_\text{binned}(y) - \hat f_h(y)| \le \frac{\delta^2}{4}\,\frac{\varphi(0)}{h^3}
   \approx 0.1\,\frac{\delta^2}{h^3}, $$ {#eq:common.kde.binning_error}

$O(\delta^2)$: halving the grid step divides the error by 4. With the default grid
($\delta \approx h/16$) the relative error at the mode of a single kernel is below
$2\cdot10^{-3}$.

**Bandwidths** ($\hat\sigma$ the sample standard deviation, IQR the interquartile range):
Scott's normal-reference rule $h = (4/3)^{1/5}\hat\sigma\, n^{-1/5} \approx 1.06\,\hat\sigma n^{-1/5}$,
optimal in mean integrated squared error when the data are normal; Silverman's rule of thumb
$h = 0.9\min(\hat\sigma, \mathrm{IQR}/1.34)\, n^{-1/5}$, more robust to heavy tails and
multimodality.
*/
#ifndef COMMON_KDE_H
#define COMMON_KDE_H

#include <stddef.h>

double kde_bandwidth_scott(const double *x, size_t n);
double kde_bandwidth_silverman(const double *x, size_t n);

/* Direct O(n m): logp[j] = log f_h(y[j]) (finite everywhere); pdf[j] = f_h(y[j]). */
void kde_logpdf_direct(const double *data, size_t n, double h, const double *y, size_t m,
                       double *logp);
void kde_pdf_direct(const double *data, size_t n, double h, const double *y, size_t m,
                    double *pdf);

/* The binned estimate on its grid. */
typedef struct {
    double lo, delta, h; /* grid g_k = lo + k delta, bandwidth */
    size_t g;            /* number of grid points */
    double *density;     /* g values f(g_k) */
} KdeGrid;

/* Builds the grid estimate (steps 1-2). g = 0 picks delta ~ h/16 (capped at 2^20 points).
   Needs n >= 1 and h > 0. */
void kde_grid_build(const double *data, size_t n, double h, size_t g, KdeGrid *grid);
/* Linear interpolation of the grid (step 3); 0 outside [g_0, g_{G-1}]. */
double kde_grid_eval(const KdeGrid *grid, double y);
void kde_grid_free(KdeGrid *grid);

/* Convenience: build, evaluate at the m points y into pdf, free. */
void kde_pdf_binned(const double *data, size_t n, double h, const double *y, size_t m,
                    double *pdf, size_t g);

#endif
