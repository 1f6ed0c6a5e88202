/* toy2d_plot — see toy2d_plot.h. */
#include "common/toy2d_plot.h"

#include <stdlib.h>

#include "common/util.h"

void toy2d_plot_panel(Plot *p, int panel, const float *xy, int n, const char *title, PlotColor c) {
    double *px = xmalloc((size_t)n * sizeof *px), *py = xmalloc((size_t)n * sizeof *py);
    for (int i = 0; i < n; i++) px[i] = xy[2 * i], py[i] = xy[2 * i + 1];
    plot_panel(p, panel);
    plot_title(p, title);
    PlotSeries *s = plot_scatter(p, px, py, n, NULL);
    plot_series_color(s, c);
    plot_series_marker(s, 1.5);
    plot_xlim(p, -3.5, 3.5), plot_ylim(p, -3.5, 3.5);
    free(px), free(py);
}
