/* plot_internal — the data structures shared by plot.c (the API that records a figure) and
   plot_render*.c (cairo drawing). Not part of the public API: lectures include plot.h only. */
#ifndef COMMON_PLOT_INTERNAL_H
#define COMMON_PLOT_INTERNAL_H

#include <cairo.h>

#include "common/plot.h"

typedef enum {
    SERIES_LINE, SERIES_SCATTER, SERIES_HEATMAP, SERIES_VECTOR_FIELD,
    SERIES_HLINE, SERIES_VLINE, SERIES_TEXT, SERIES_IMAGE
} SeriesKind;

struct PlotSeries {
    SeriesKind kind;
    char *label;              /* legend entry (NULL: none); heatmap: colour bar label */
    double *x, *y;            /* line, scatter: n points */
    int n;
    double *values, *u, *v;   /* heatmap: values; vector field: u, v (ny * nx) */
    int nx, ny;
    double x0, x1, y0, y1;    /* heatmap cell edges / vector grid end points */
    double ref;               /* hline y / vline x */
    double tx, ty;            /* text anchor */
    char *text;
    Image8 *image;            /* image panel (a copy) */
    char **row_labels;
    int n_rows;
    double rgb[3];            /* colour */
    double width, marker, alpha;
    PlotDash dash;
    int range_set;            /* vmin/vmax given */
    double vmin, vmax;
    int by_magnitude;
};

typedef struct {
    char *title, *xlabel, *ylabel;
    int xlim_set, ylim_set, ylog, legend;
    double xlim[2], ylim[2];
    PlotSeries **series;
    int n_series, cap_series;
    int next_color;
} PlotPanel;

struct Plot {
    int width, height, rows, cols;
    char *title; /* figure title (grid figures) */
    PlotPanel *panels;
    int current;
};

/* Tick set of one axis. */
enum { PLOT_MAX_TICKS = 24 };
typedef struct {
    double lo, hi;            /* limits in data units */
    int log;                  /* log10 axis */
    double ticks[PLOT_MAX_TICKS];
    int n_ticks;
    double step;              /* linear: Delta; log: 0 */
} PlotAxis;

/* Where a panel's pieces go, in pixels. */
typedef struct {
    double cell_x, cell_y, cell_w, cell_h; /* the panel's share of the figure */
    double L, R, T, B;                     /* data rectangle */
    PlotAxis xa, ya;
    const PlotSeries *cbar;                /* series whose colours get a colour bar (or NULL) */
    double cbar_lo, cbar_hi;
    PlotAxis ca;                           /* colour bar ticks */
    const PlotSeries *image;               /* image panel (no axes) */
} PanelLayout;

/* Font sizes in pixels. */
#define PLOT_FONT_TICK 11.0
#define PLOT_FONT_LABEL 12.5
#define PLOT_FONT_TITLE 13.5
#define PLOT_FONT_FIG_TITLE 15.0

/* plot_font.c */
void plot_set_font(cairo_t *cr, double size, int bold);
double plot_text_width(cairo_t *cr, const char *s, double size, int bold);
/* Draw s with its anchor at (x, y): ha 0/0.5/1 = left/centre/right, y is the vertical centre. */
void plot_draw_text(cairo_t *cr, const char *s, double x, double y, double size, int bold,
                    double ha);
/* A tick label on an axis (10^k with a superscript on log axes). */
double plot_tick_label_width(cairo_t *cr, const PlotAxis *a, double v);
void plot_draw_tick_label(cairo_t *cr, const PlotAxis *a, double v, double x, double y, double ha);

/* plot_layout.c */
void plot_panel_layout(cairo_t *cr, const Plot *p, int index, PanelLayout *lay);
double plot_map_x(const PanelLayout *lay, double x);
double plot_map_y(const PanelLayout *lay, double y); /* NaN when y <= 0 on a log axis */
void plot_axis_ticks(PlotAxis *a, int max_intervals);
/* colour range of a heatmap / vector field series */
void plot_series_color_range(const PlotSeries *s, double *lo, double *hi);
cairo_t *plot_scratch_context(cairo_surface_t **surface);

/* plot_series.c */
void plot_draw_series(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s);
void plot_draw_legend(cairo_t *cr, const PanelLayout *lay, const PlotPanel *panel);
void plot_draw_image_panel(cairo_t *cr, const PanelLayout *lay, const PlotPanel *panel);

#endif
