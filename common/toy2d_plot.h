/* toy2d_plot — the panel of a 2-D toy figure: n samples stored as float (x, y) pairs, drawn as
   a scatter on the square [-3.5, 3.5]^2 that holds the 8-Gaussians toy (common/data.h,
   genmodel.h), so that panels of data and of every model compare at a glance. Introduced for
   L42 4.3 (flow matching) and 4.5 (score SDE / DDPM / DDIM), whose figures put samples of the
   data and of several samplers side by side. */
#ifndef COMMON_TOY2D_PLOT_H
#define COMMON_TOY2D_PLOT_H

#include "common/plot.h"

void toy2d_plot_panel(Plot *p, int panel, const float *xy, int n, const char *title, PlotColor c);

#endif
