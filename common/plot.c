/* plot — the figure API: records panels and series (copies of the data) for plot_render. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/plot_internal.h"
#include "common/util.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static void replace_string(char **dst, const char *s) {
    free(*dst);
    *dst = dup_or_null(s);
}

Plot *plot_new_grid(int rows, int cols, int width_px, int height_px, const char *title) {
    if (rows < 1 || cols < 1 || width_px < 16 || height_px < 16 || width_px > 16384 ||
        height_px > 16384)
        die("plot_new_grid: bad figure %dx%d panels, %dx%d px", rows, cols, width_px, height_px);
    Plot *p = xcalloc(1, sizeof *p);
    p->width = width_px;
    p->height = height_px;
    p->rows = rows;
    p->cols = cols;
    p->title = dup_or_null(title);
    p->panels = xcalloc((size_t)rows * cols, sizeof *p->panels);
    for (int i = 0; i < rows * cols; i++) p->panels[i].legend = 1;
    return p;
}

Plot *plot_new(int width_px, int height_px, const char *title) {
    Plot *p = plot_new_grid(1, 1, width_px, height_px, NULL);
    p->panels[0].title = dup_or_null(title); /* one panel: its title is the figure's */
    return p;
}

static void series_free(PlotSeries *s) {
    free(s->label);
    free(s->x);
    free(s->y);
    free(s->values);
    free(s->u);
    free(s->v);
    free(s->text);
    image8_free(s->image);
    for (int i = 0; i < s->n_rows && s->row_labels; i++) free(s->row_labels[i]);
    free(s->row_labels);
    free(s);
}

void plot_free(Plot *p) {
    if (!p) return;
    for (int i = 0; i < p->rows * p->cols; i++) {
        PlotPanel *pa = &p->panels[i];
        for (int k = 0; k < pa->n_series; k++) series_free(pa->series[k]);
        free(pa->series);
        free(pa->title);
        free(pa->xlabel);
        free(pa->ylabel);
    }
    free(p->panels);
    free(p->title);
    free(p);
}

static PlotPanel *cur(Plot *p) { return &p->panels[p->current]; }

void plot_panel(Plot *p, int index) {
    if (index < 0 || index >= p->rows * p->cols) die("plot_panel: no panel %d", index);
    p->current = index;
}
void plot_title(Plot *p, const char *title) { replace_string(&cur(p)->title, title); }
void plot_xlabel(Plot *p, const char *label) { replace_string(&cur(p)->xlabel, label); }
void plot_ylabel(Plot *p, const char *label) { replace_string(&cur(p)->ylabel, label); }
void plot_xlim(Plot *p, double x0, double x1) {
    if (!(x1 > x0)) die("plot_xlim: need x0 < x1 (got %g, %g)", x0, x1);
    cur(p)->xlim_set = 1;
    cur(p)->xlim[0] = x0;
    cur(p)->xlim[1] = x1;
}
void plot_ylim(Plot *p, double y0, double y1) {
    if (!(y1 > y0)) die("plot_ylim: need y0 < y1 (got %g, %g)", y0, y1);
    cur(p)->ylim_set = 1;
    cur(p)->ylim[0] = y0;
    cur(p)->ylim[1] = y1;
}
void plot_ylog(Plot *p, int on) { cur(p)->ylog = on != 0; }
void plot_legend(Plot *p, int on) { cur(p)->legend = on != 0; }

/* A new series with default style; colour-taking kinds draw the next palette colour. */
static PlotSeries *add_series(Plot *p, SeriesKind kind, const char *label) {
    PlotPanel *pa = cur(p);
    if (pa->n_series == pa->cap_series) {
        pa->cap_series = pa->cap_series ? 2 * pa->cap_series : 8;
        pa->series = xrealloc(pa->series, (size_t)pa->cap_series * sizeof *pa->series);
    }
    PlotSeries *s = xcalloc(1, sizeof *s);
    s->kind = kind;
    s->label = dup_or_null(label);
    s->width = 1.8;
    s->marker = 3.0;
    s->alpha = kind == SERIES_SCATTER ? 0.7 : 1.0;
    s->dash = PLOT_SOLID;
    if (kind == SERIES_LINE || kind == SERIES_SCATTER || kind == SERIES_VECTOR_FIELD) {
        plot_palette_rgb((PlotColor)(pa->next_color % (PLOT_PALETTE_SIZE - 1)), s->rgb);
        pa->next_color++;
    } else if (kind == SERIES_HLINE || kind == SERIES_VLINE) {
        plot_palette_rgb(PLOT_GRAY, s->rgb);
        s->width = 1.2;
        s->dash = PLOT_DASHED;
    } /* text: black (rgb stays 0) */
    pa->series[pa->n_series++] = s;
    return s;
}

static double *copy_doubles(const double *a, size_t n) {
    double *c = xmalloc(n * sizeof *c);
    memcpy(c, a, n * sizeof *c);
    return c;
}

PlotSeries *plot_line(Plot *p, const double *x, const double *y, int n, const char *label) {
    if (n < 0 || (n > 0 && (!x || !y))) die("plot_line: bad data (n=%d)", n);
    PlotSeries *s = add_series(p, SERIES_LINE, label);
    s->n = n;
    s->x = copy_doubles(x, (size_t)n);
    s->y = copy_doubles(y, (size_t)n);
    return s;
}

PlotSeries *plot_scatter(Plot *p, const double *x, const double *y, int n, const char *label) {
    PlotSeries *s = plot_line(p, x, y, n, label);
    s->kind = SERIES_SCATTER;
    s->alpha = 0.7;
    return s;
}

PlotSeries *plot_heatmap(Plot *p, const double *values, int nx, int ny, double x0, double x1,
                         double y0, double y1, const char *colorbar_label) {
    if (nx < 1 || ny < 1 || !values || !(x1 > x0) || !(y1 > y0))
        die("plot_heatmap: bad grid %dx%d over [%g,%g]x[%g,%g]", nx, ny, x0, x1, y0, y1);
    PlotSeries *s = add_series(p, SERIES_HEATMAP, colorbar_label);
    s->nx = nx;
    s->ny = ny;
    s->x0 = x0; s->x1 = x1; s->y0 = y0; s->y1 = y1;
    s->values = copy_doubles(values, (size_t)nx * ny);
    return s;
}

PlotSeries *plot_vector_field(Plot *p, const double *u, const double *v, int nx, int ny,
                              double x0, double x1, double y0, double y1, const char *label) {
    if (nx < 2 || ny < 2 || !u || !v || !(x1 > x0) || !(y1 > y0))
        die("plot_vector_field: bad grid %dx%d over [%g,%g]x[%g,%g]", nx, ny, x0, x1, y0, y1);
    PlotSeries *s = add_series(p, SERIES_VECTOR_FIELD, label);
    s->nx = nx;
    s->ny = ny;
    s->x0 = x0; s->x1 = x1; s->y0 = y0; s->y1 = y1;
    s->u = copy_doubles(u, (size_t)nx * ny);
    s->v = copy_doubles(v, (size_t)nx * ny);
    s->width = 1.2;
    return s;
}

PlotSeries *plot_hline(Plot *p, double y, const char *label) {
    PlotSeries *s = add_series(p, SERIES_HLINE, label);
    s->ref = y;
    return s;
}

PlotSeries *plot_vline(Plot *p, double x, const char *label) {
    PlotSeries *s = add_series(p, SERIES_VLINE, label);
    s->ref = x;
    return s;
}

PlotSeries *plot_text(Plot *p, double x, double y, const char *text) {
    if (!text) die("plot_text: NULL text");
    PlotSeries *s = add_series(p, SERIES_TEXT, NULL);
    s->tx = x;
    s->ty = y;
    s->text = xstrdup(text);
    return s;
}

PlotSeries *plot_image(Plot *p, const Image8 *img, const char *const *row_labels, int n_rows) {
    if (!img || !img->pixels) die("plot_image: NULL image");
    PlotSeries *s = add_series(p, SERIES_IMAGE, NULL);
    s->image = image8_new(img->width, img->height, img->channels);
    memcpy(s->image->pixels, img->pixels,
           (size_t)img->width * img->height * img->channels);
    if (row_labels && n_rows > 0) {
        s->n_rows = n_rows;
        s->row_labels = xcalloc((size_t)n_rows, sizeof *s->row_labels);
        for (int i = 0; i < n_rows; i++) s->row_labels[i] = dup_or_null(row_labels[i]);
    }
    return s;
}

void plot_series_color(PlotSeries *s, PlotColor c) { plot_palette_rgb(c, s->rgb); }
void plot_series_rgb(PlotSeries *s, double r, double g, double b) {
    s->rgb[0] = r; s->rgb[1] = g; s->rgb[2] = b;
}
void plot_series_width(PlotSeries *s, double px) { s->width = px > 0 ? px : 1.0; }
void plot_series_dash(PlotSeries *s, PlotDash dash) { s->dash = dash; }
void plot_series_marker(PlotSeries *s, double radius_px) { s->marker = radius_px > 0 ? radius_px : 1; }
void plot_series_alpha(PlotSeries *s, double alpha) {
    s->alpha = alpha < 0 ? 0 : alpha > 1 ? 1 : alpha;
}
void plot_series_range(PlotSeries *s, double vmin, double vmax) {
    if (!(vmax > vmin)) die("plot_series_range: need vmin < vmax (got %g, %g)", vmin, vmax);
    s->range_set = 1;
    s->vmin = vmin;
    s->vmax = vmax;
}
void plot_series_color_by_magnitude(PlotSeries *s, int on) { s->by_magnitude = on != 0; }
