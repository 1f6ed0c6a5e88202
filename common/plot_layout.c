/* plot_layout — axis limits, ticks and where each panel's pieces go (plot.h, "Coordinates").
   The layout is a pure function of the recorded figure (text is measured with the same font
   settings as drawn), so plot_data_to_pixel agrees with plot_render to the pixel. */
#include <math.h>
#include <stdio.h>

#include "common/plot_internal.h"

#define FIG_TITLE_H 32.0
#define MARGIN_FRAC 0.05

cairo_t *plot_scratch_context(cairo_surface_t **surface) {
    *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    return cairo_create(*surface);
}

typedef struct { double lo, hi; } Range;

static void grow(Range *r, double v) {
    if (!isfinite(v)) return;
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

void plot_series_color_range(const PlotSeries *s, double *lo, double *hi) {
    if (s->range_set) {
        *lo = s->vmin;
        *hi = s->vmax;
        return;
    }
    Range r = {INFINITY, -INFINITY};
    size_t n = (size_t)s->nx * s->ny;
    for (size_t i = 0; i < n; i++) {
        if (s->kind == SERIES_HEATMAP) grow(&r, s->values[i]);
        else grow(&r, hypot(s->u[i], s->v[i]));
    }
    if (!(r.hi >= r.lo)) { r.lo = 0; r.hi = 1; }
    if (r.hi == r.lo) { r.lo -= 0.5; r.hi += 0.5; }
    *lo = r.lo;
    *hi = r.hi;
}

/* Data limits of a panel: given by xlim/ylim, else the data range with 5% margins (tight for
   heatmaps and vector fields, which fill their own extent). */
static void panel_limits(const PlotPanel *pa, PlotAxis *xa, PlotAxis *ya) {
    Range rx = {INFINITY, -INFINITY}, ry = {INFINITY, -INFINITY};
    int tight = 0, ylog = pa->ylog;
    for (int k = 0; k < pa->n_series; k++) {
        const PlotSeries *s = pa->series[k];
        switch (s->kind) {
        case SERIES_LINE:
        case SERIES_SCATTER:
            for (int i = 0; i < s->n; i++) {
                if (!isfinite(s->x[i]) || !isfinite(s->y[i]) || (ylog && !(s->y[i] > 0))) continue;
                grow(&rx, s->x[i]);
                grow(&ry, s->y[i]);
            }
            break;
        case SERIES_HEATMAP:
            grow(&rx, s->x0); grow(&rx, s->x1); grow(&ry, s->y0); grow(&ry, s->y1);
            tight = 1;
            break;
        case SERIES_VECTOR_FIELD: { /* half a grid cell around the arrows' bases */
            double hx = 0.5 * (s->x1 - s->x0) / (s->nx - 1), hy = 0.5 * (s->y1 - s->y0) / (s->ny - 1);
            grow(&rx, s->x0 - hx); grow(&rx, s->x1 + hx);
            grow(&ry, s->y0 - hy); grow(&ry, s->y1 + hy);
            tight = 1;
            break;
        }
        case SERIES_HLINE: if (!ylog || s->ref > 0) grow(&ry, s->ref); break;
        case SERIES_VLINE: grow(&rx, s->ref); break;
        case SERIES_TEXT: case SERIES_IMAGE: break;
        }
    }
    if (!(rx.hi >= rx.lo)) { rx.lo = 0; rx.hi = 1; }
    if (!(ry.hi >= ry.lo)) { ry.lo = ylog ? 0.1 : 0; ry.hi = ylog ? 10 : 1; }
    if (ylog) { ry.lo = log10(ry.lo); ry.hi = log10(ry.hi); } /* margins in decades */
    Range *rs[2] = {&rx, &ry};
    for (int a = 0; a < 2; a++) {
        Range *r = rs[a];
        if (r->hi == r->lo) { /* one value: a unit-ish window around it */
            double h = r->lo != 0 ? 0.1 * fabs(r->lo) : 0.5;
            r->lo -= h;
            r->hi += h;
        } else if (!tight) {
            double m = MARGIN_FRAC * (r->hi - r->lo);
            r->lo -= m;
            r->hi += m;
        }
    }
    if (ylog) { ry.lo = pow(10, ry.lo); ry.hi = pow(10, ry.hi); }
    xa->lo = pa->xlim_set ? pa->xlim[0] : rx.lo;
    xa->hi = pa->xlim_set ? pa->xlim[1] : rx.hi;
    ya->lo = pa->ylim_set ? pa->ylim[0] : ry.lo;
    ya->hi = pa->ylim_set ? pa->ylim[1] : ry.hi;
    xa->log = 0;
    ya->log = ylog;
    if (ylog && !(ya->lo > 0)) ya->lo = ya->hi > 1e-300 ? ya->hi * 1e-3 : 1e-3; /* bad ylim */
}

static const PlotSeries *find_kind(const PlotPanel *pa, SeriesKind kind) {
    for (int k = 0; k < pa->n_series; k++)
        if (pa->series[k]->kind == kind) return pa->series[k];
    return NULL;
}

static double max_label_width(cairo_t *cr, const PlotAxis *a) {
    double w = 0;
    for (int i = 0; i < a->n_ticks; i++) {
        double t = plot_tick_label_width(cr, a, a->ticks[i]);
        if (t > w) w = t;
    }
    return w;
}

void plot_panel_layout(cairo_t *cr, const Plot *p, int index, PanelLayout *lay) {
    const PlotPanel *pa = &p->panels[index];
    double top0 = p->title ? FIG_TITLE_H : 0;
    lay->cell_w = (double)p->width / p->cols;
    lay->cell_h = (p->height - top0) / p->rows;
    lay->cell_x = (index % p->cols) * lay->cell_w;
    lay->cell_y = top0 + (index / p->cols) * lay->cell_h;
    lay->cbar = NULL;
    lay->image = find_kind(pa, SERIES_IMAGE);
    double title_h = pa->title ? 26 : 8;

    if (lay->image) { /* a picture: room for the title and the row labels only */
        const PlotSeries *s = lay->image;
        double lw = 0;
        for (int r = 0; r < s->n_rows; r++)
            if (s->row_labels[r]) {
                double w = plot_text_width(cr, s->row_labels[r], PLOT_FONT_LABEL, 0);
                if (w > lw) lw = w;
            }
        lay->L = lay->cell_x + 6 + (lw > 0 ? lw + 8 : 0);
        lay->R = lay->cell_x + lay->cell_w - 6;
        lay->T = lay->cell_y + title_h;
        lay->B = lay->cell_y + lay->cell_h - 6;
        return;
    }

    panel_limits(pa, &lay->xa, &lay->ya);
    /* about one x tick per 80 px and one y tick per 40 px of panel */
    int max_x = (int)((lay->cell_w - 100) / 80), max_y = (int)((lay->cell_h - 80) / 40);
    plot_axis_ticks(&lay->xa, max_x < 2 ? 2 : max_x > 8 ? 8 : max_x);
    plot_axis_ticks(&lay->ya, max_y < 2 ? 2 : max_y > 8 ? 8 : max_y);

    /* a colour bar for the first heatmap, else for a vector field coloured by magnitude */
    lay->cbar = find_kind(pa, SERIES_HEATMAP);
    if (!lay->cbar)
        for (int k = 0; k < pa->n_series; k++)
            if (pa->series[k]->kind == SERIES_VECTOR_FIELD && pa->series[k]->by_magnitude) {
                lay->cbar = pa->series[k];
                break;
            }
    double cbar_w = 0;
    if (lay->cbar) {
        plot_series_color_range(lay->cbar, &lay->cbar_lo, &lay->cbar_hi);
        lay->ca.lo = lay->cbar_lo;
        lay->ca.hi = lay->cbar_hi;
        lay->ca.log = 0;
        plot_axis_ticks(&lay->ca, max_y < 2 ? 2 : max_y > 6 ? 6 : max_y);
        int has_label = lay->cbar->kind == SERIES_HEATMAP && lay->cbar->label;
        cbar_w = 14 + 14 + 6 + max_label_width(cr, &lay->ca) + (has_label ? 22 : 0) + 4;
    }

    double last_w = lay->xa.n_ticks
                        ? plot_tick_label_width(cr, &lay->xa, lay->xa.ticks[lay->xa.n_ticks - 1])
                        : 0;
    double left = 8 + (pa->ylabel ? 20 : 0) + max_label_width(cr, &lay->ya) + 8;
    double right = fmax(14, 0.5 * last_w + 6) + cbar_w;
    double bottom = 8 + 14 + (pa->xlabel ? 20 : 0) + 6;
    lay->L = lay->cell_x + left;
    lay->R = lay->cell_x + lay->cell_w - right;
    lay->T = lay->cell_y + title_h + 4;
    lay->B = lay->cell_y + lay->cell_h - bottom;
    if (lay->R < lay->L + 10) lay->R = lay->L + 10; /* a panel too small to be useful still draws */
    if (lay->B < lay->T + 10) lay->B = lay->T + 10;
}

double plot_map_x(const PanelLayout *lay, double x) {
    //: $p_x = L + (R - L)\,(x - x_0)/(x_1 - x_0)$
    return lay->L + (lay->R - lay->L) * (x - lay->xa.lo) / (lay->xa.hi - lay->xa.lo);
}

double plot_map_y(const PanelLayout *lay, double y) {
    if (lay->ya.log) {
        if (!(y > 0)) return NAN;
        //: $p_y = B - (B - T)\,(\log_{10} y - \log_{10} y_0)/(\log_{10} y_1 - \log_{10} y_0)$
        return lay->B - (lay->B - lay->T) * (log10(y) - log10(lay->ya.lo)) /
                            (log10(lay->ya.hi) - log10(lay->ya.lo));
    }
    //: $p_y = B - (B - T)\,(y - y_0)/(y_1 - y_0)$
    return lay->B - (lay->B - lay->T) * (y - lay->ya.lo) / (lay->ya.hi - lay->ya.lo);
}

int plot_data_to_pixel(const Plot *p, double x, double y, double *px, double *py) {
    cairo_surface_t *surf;
    cairo_t *cr = plot_scratch_context(&surf);
    PanelLayout lay;
    plot_panel_layout(cr, p, p->current, &lay);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    if (lay.image) return -1;
    *px = plot_map_x(&lay, x);
    *py = plot_map_y(&lay, y);
    return isfinite(*py) && isfinite(*px) ? 0 : -1;
}
