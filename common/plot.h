/*: # plot — figures for the lectures, drawn with cairo

A small, matplotlib-like figure API. A `Plot` is a figure of `rows x cols` panels; every call
goes to the *current* panel (panel 0 at first, `plot_panel` changes it). Series are added to a
panel and return a handle whose style can then be changed:

```c
Plot *p = plot_new(640, 480, "Langevin chain");
PlotSeries *s = plot_line(p, t, x, n, "x_t");
plot_series_color(s, PLOT_RED);
plot_xlabel(p, "step t");
plot_save(p, "out/chain.png", err, sizeof err);
plot_free(p);
```

**Coordinates.** A panel maps data $(x, y)$ in $[x_0, x_1] \times [y_0, y_1]$ onto its data
rectangle $[L, R] \times [T, B]$ in pixels (pixel $y$ grows downwards):

$$ p_x = L + (R - L)\,\frac{x - x_0}{x_1 - x_0},\qquad p_y = B - (B - T)\,\frac{g(y) - g(y_0)}{g(y_1) - g(y_0)} $$ {#eq:common.plot.data_to_pixel}

with $g(y) = y$, or $g(y) = \log_{10} y$ on a log-scaled $y$ axis. `plot_data_to_pixel` exposes
the map. Without `plot_xlim/ylim`, the limits are the data's range widened by 5% on each side
(on a log axis: 5% of the decades); heatmaps and images are shown tight.

**Ticks.** Tick marks sit on the multiples of a "nice" step $\Delta = m \cdot 10^k$,
$m \in \{1, 2, 5\}$: the smallest such step that cuts the range into at most `max_intervals`
intervals. The ticks are the multiples of $\Delta$ inside the range. So $[0, 1]$ with at most 6
intervals has $\Delta = 0.2$ and ticks $0, 0.2, \dots, 1$; $[-3.7, 12]$ has
$\Delta = 5$ (2 would give 7.85 intervals) and ticks $0, 5, 10$. On a log axis the ticks are the
powers of ten in range (every second or fifth one when there are many decades).

**Series kinds.** lines (palette colour, width, dash), scatter (marker radius, alpha), heatmaps
(a matrix over $[x_0,x_1]\times[y_0,y_1]$ through the viridis colour map, with a colour bar),
vector fields (arrows on a grid, the longest one 0.9 of a grid cell, optionally coloured by
$\lVert v \rVert$), reference lines, text, and images (sample grids, with optional row labels).
A legend lists the labelled series in the corner where it covers the fewest data points.

Output is deterministic: the same calls give the same PNG bytes (no timestamps; text through
cairo's toy font API, family "sans-serif", grey antialiasing, no hinting).
*/
#ifndef COMMON_PLOT_H
#define COMMON_PLOT_H

#include <stddef.h>

#include "common/image.h"

typedef struct Plot Plot;
typedef struct PlotSeries PlotSeries;

/* The fixed palette (matplotlib's "tab10" colours). Series without a colour take the next one. */
typedef enum {
    PLOT_BLUE, PLOT_ORANGE, PLOT_GREEN, PLOT_RED, PLOT_PURPLE,
    PLOT_BROWN, PLOT_PINK, PLOT_GRAY, PLOT_OLIVE, PLOT_CYAN, PLOT_BLACK,
    PLOT_PALETTE_SIZE
} PlotColor;
typedef enum { PLOT_SOLID, PLOT_DASHED, PLOT_DOTTED } PlotDash;

/* --- figure and panels --------------------------------------------------------------------- */
Plot *plot_new(int width_px, int height_px, const char *title);
/* rows x cols panels; `title` (may be NULL) is the figure's title above all panels. */
Plot *plot_new_grid(int rows, int cols, int width_px, int height_px, const char *title);
void plot_free(Plot *p);
/* Make panel `index` (row-major, 0-based) the current one. */
void plot_panel(Plot *p, int index);
/* Title of the current panel (in a 1x1 figure, plot_new's title already is). */
void plot_title(Plot *p, const char *title);
void plot_xlabel(Plot *p, const char *label);
void plot_ylabel(Plot *p, const char *label);
void plot_xlim(Plot *p, double x0, double x1);
void plot_ylim(Plot *p, double y0, double y1);
void plot_ylog(Plot *p, int on); /* log10 y axis; non-positive y values are not drawn */
void plot_legend(Plot *p, int on); /* default on (when a series has a label) */

/* --- series (data are copied; label may be NULL) ------------------------------------------- */
PlotSeries *plot_line(Plot *p, const double *x, const double *y, int n, const char *label);
PlotSeries *plot_scatter(Plot *p, const double *x, const double *y, int n, const char *label);
/* values[j * nx + i]: cell i of nx along x, j of ny along y (j = 0 at y0, the bottom);
   [x0,x1] x [y0,y1] are the outer edges of the cells. Colour range: data min-max unless set. */
PlotSeries *plot_heatmap(Plot *p, const double *values, int nx, int ny, double x0, double x1,
                         double y0, double y1, const char *colorbar_label);
/* Arrows (u, v)[j * nx + i] at the grid points x_i = x0 + i (x1-x0)/(nx-1), y_j likewise
   (nx, ny >= 2). */
PlotSeries *plot_vector_field(Plot *p, const double *u, const double *v, int nx, int ny,
                              double x0, double x1, double y0, double y1, const char *label);
PlotSeries *plot_hline(Plot *p, double y, const char *label);
PlotSeries *plot_vline(Plot *p, double x, const char *label);
/* Text whose left end of the baseline sits at data point (x, y). */
PlotSeries *plot_text(Plot *p, double x, double y, const char *text);
/* Turn the current panel into a picture: no axes, the image centred and scaled (integer factor
   when enlarged, nearest neighbour). row_labels (may be NULL): n_rows labels left of the rows. */
PlotSeries *plot_image(Plot *p, const Image8 *img, const char *const *row_labels, int n_rows);

/* --- style of a series ---------------------------------------------------------------------- */
void plot_series_color(PlotSeries *s, PlotColor c);
void plot_series_rgb(PlotSeries *s, double r, double g, double b); /* components in [0,1] */
void plot_series_width(PlotSeries *s, double px);       /* line width; default 1.8 */
void plot_series_dash(PlotSeries *s, PlotDash dash);
void plot_series_marker(PlotSeries *s, double radius_px); /* scatter marker; default 3 */
void plot_series_alpha(PlotSeries *s, double alpha);     /* default 1 (scatter 0.7) */
void plot_series_range(PlotSeries *s, double vmin, double vmax); /* heatmap / arrow colours */
void plot_series_color_by_magnitude(PlotSeries *s, int on);       /* vector field */

/* --- output ---------------------------------------------------------------------------------- */
/* The figure as an RGB picture (caller frees with image8_free). */
Image8 *plot_render(const Plot *p);
/* Write the figure as an RGB PNG: 0, or -1 with a message. */
int plot_save(const Plot *p, const char *path, char *err, size_t errlen);
/* eq:common.plot.data_to_pixel for the current panel, with the layout plot_render uses.
   Returns 0, or -1 (y <= 0 on a log axis, or the panel shows an image). */
int plot_data_to_pixel(const Plot *p, double x, double y, double *px, double *py);

/* --- helpers (exposed for tests and for programs that draw their own) ------------------------- */
/* Nice ticks in [lo, hi] (see above): writes at most max_ticks values, returns how many; *step
   (may be NULL) receives Delta. */
int plot_nice_ticks(double lo, double hi, int max_intervals, double *ticks, int max_ticks,
                    double *step);
/* A tick label for value v on an axis with tick step `step`: as many decimals as the step needs,
   no "-0"; scientific notation for very large or small magnitudes. */
void plot_format_tick(double v, double step, char *buf, size_t len);
/* The viridis colour map at t in [0,1] (clamped), components in [0,1]. */
void plot_colormap_viridis(double t, double rgb[3]);
/* Palette colour, components in [0,1]. */
void plot_palette_rgb(PlotColor c, double rgb[3]);

#endif
