/* plot_series — drawing each kind of series, the legend, and image panels. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/plot_internal.h"
#include "common/util.h"

static void set_dash(cairo_t *cr, PlotDash dash, double width) {
    double d[2];
    switch (dash) {
    case PLOT_DASHED:
        d[0] = 4 * width + 2; d[1] = 2.5 * width + 1.5;
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_set_dash(cr, d, 2, 0);
        break;
    case PLOT_DOTTED:
        d[0] = 0; d[1] = 2.2 * width + 1;
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, d, 2, 0);
        break;
    default:
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

static void stroke_style(cairo_t *cr, const PlotSeries *s) {
    cairo_set_source_rgba(cr, s->rgb[0], s->rgb[1], s->rgb[2], s->alpha);
    cairo_set_line_width(cr, s->width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    set_dash(cr, s->dash, s->width);
}

static void draw_line(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s) {
    stroke_style(cr, s);
    int pen_down = 0; /* a non-finite point (or y <= 0 on a log axis) breaks the line */
    for (int i = 0; i < s->n; i++) {
        double px = plot_map_x(lay, s->x[i]), py = plot_map_y(lay, s->y[i]);
        if (!isfinite(px) || !isfinite(py)) { pen_down = 0; continue; }
        if (pen_down) cairo_line_to(cr, px, py);
        else cairo_move_to(cr, px, py);
        pen_down = 1;
    }
    cairo_stroke(cr);
    set_dash(cr, PLOT_SOLID, 1);
}

static void draw_scatter(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s) {
    cairo_set_source_rgba(cr, s->rgb[0], s->rgb[1], s->rgb[2], s->alpha);
    for (int i = 0; i < s->n; i++) {
        double px = plot_map_x(lay, s->x[i]), py = plot_map_y(lay, s->y[i]);
        if (!isfinite(px) || !isfinite(py)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, px, py, s->marker, 0, 2 * M_PI);
        cairo_fill(cr); /* one fill per marker: overlapping markers darken, as alpha means */
    }
}

/* One pixel per cell in an ARGB32 surface, stretched onto the cells' rectangle with nearest
   filtering (crisp cell edges). Row j = 0 is y0, the bottom, so it goes to the last surface row. */
static void draw_heatmap(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s) {
    double lo, hi;
    plot_series_color_range(s, &lo, &hi);
    cairo_surface_t *cells = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, s->nx, s->ny);
    unsigned char *data = cairo_image_surface_get_data(cells);
    int stride = cairo_image_surface_get_stride(cells);
    for (int j = 0; j < s->ny; j++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)(s->ny - 1 - j) * stride);
        for (int i = 0; i < s->nx; i++) {
            double v = s->values[(size_t)j * s->nx + i], rgb[3];
            if (!isfinite(v)) { row[i] = 0; continue; } /* transparent */
            plot_colormap_viridis((v - lo) / (hi - lo), rgb);
            row[i] = 0xff000000u | (uint32_t)lround(rgb[0] * 255) << 16 |
                     (uint32_t)lround(rgb[1] * 255) << 8 | (uint32_t)lround(rgb[2] * 255);
        }
    }
    cairo_surface_mark_dirty(cells);
    double px0 = plot_map_x(lay, s->x0), px1 = plot_map_x(lay, s->x1);
    double py0 = plot_map_y(lay, s->y0), py1 = plot_map_y(lay, s->y1);
    if (isfinite(py0) && isfinite(py1)) {
        cairo_save(cr);
        cairo_translate(cr, px0, py1);
        cairo_scale(cr, (px1 - px0) / s->nx, (py0 - py1) / s->ny);
        cairo_set_source_surface(cr, cells, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(cr, 0, 0, s->nx, s->ny);
        cairo_fill(cr);
        cairo_restore(cr);
    }
    cairo_surface_destroy(cells);
}

/* An arrow from (x, y) along the pixel vector (dx, dy): a shaft and a filled head whose size
   follows the arrow's length (capped), so short arrows stay arrows and long ones stay slim. */
static void arrow(cairo_t *cr, double x, double y, double dx, double dy, double width) {
    double len = hypot(dx, dy);
    if (len < 0.5) return;
    double head = fmin(0.35 * len, 3.0 + 3.0 * width), ux = dx / len, uy = dy / len;
    double bx = x + dx - head * ux, by = y + dy - head * uy; /* base of the head */
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, bx, by);
    cairo_stroke(cr);
    cairo_move_to(cr, x + dx, y + dy);
    cairo_line_to(cr, bx - 0.5 * head * uy, by + 0.5 * head * ux);
    cairo_line_to(cr, bx + 0.5 * head * uy, by - 0.5 * head * ux);
    cairo_close_path(cr);
    cairo_fill(cr);
}

static void draw_vector_field(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s) {
    double hx = (s->x1 - s->x0) / (s->nx - 1), hy = (s->y1 - s->y0) / (s->ny - 1);
    /* pixels per data unit along x and y */
    double sx = (lay->R - lay->L) / (lay->xa.hi - lay->xa.lo);
    double sy = (lay->B - lay->T) / (lay->ya.hi - lay->ya.lo);
    double cell = fmin(fabs(hx * sx), fabs(hy * sy));
    size_t n = (size_t)s->nx * s->ny;
    double longest = 0; /* longest arrow in pixels before scaling */
    for (size_t k = 0; k < n; k++) {
        double l = hypot(s->u[k] * sx, s->v[k] * sy);
        if (isfinite(l) && l > longest) longest = l;
    }
    if (!(longest > 0)) return;
    //: arrows scaled so that the longest is 0.9 of a grid cell, in pixels
    double scale = 0.9 * cell / longest, lo = 0, hi = 1;
    if (s->by_magnitude) plot_series_color_range(s, &lo, &hi);
    cairo_set_line_width(cr, s->width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_dash(cr, NULL, 0, 0);
    for (int j = 0; j < s->ny; j++)
        for (int i = 0; i < s->nx; i++) {
            size_t k = (size_t)j * s->nx + i;
            if (!isfinite(s->u[k]) || !isfinite(s->v[k])) continue;
            if (s->by_magnitude) {
                double rgb[3];
                plot_colormap_viridis((hypot(s->u[k], s->v[k]) - lo) / (hi - lo), rgb);
                cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], s->alpha);
            } else {
                cairo_set_source_rgba(cr, s->rgb[0], s->rgb[1], s->rgb[2], s->alpha);
            }
            double px = plot_map_x(lay, s->x0 + i * hx), py = plot_map_y(lay, s->y0 + j * hy);
            arrow(cr, px, py, s->u[k] * sx * scale, -s->v[k] * sy * scale, s->width);
        }
}

void plot_draw_series(cairo_t *cr, const PanelLayout *lay, const PlotSeries *s) {
    switch (s->kind) {
    case SERIES_LINE: draw_line(cr, lay, s); break;
    case SERIES_SCATTER: draw_scatter(cr, lay, s); break;
    case SERIES_HEATMAP: draw_heatmap(cr, lay, s); break;
    case SERIES_VECTOR_FIELD: draw_vector_field(cr, lay, s); break;
    case SERIES_HLINE:
    case SERIES_VLINE: {
        double c = s->kind == SERIES_HLINE ? plot_map_y(lay, s->ref) : plot_map_x(lay, s->ref);
        if (!isfinite(c)) break;
        stroke_style(cr, s);
        if (s->kind == SERIES_HLINE) {
            cairo_move_to(cr, lay->L, c);
            cairo_line_to(cr, lay->R, c);
        } else {
            cairo_move_to(cr, c, lay->T);
            cairo_line_to(cr, c, lay->B);
        }
        cairo_stroke(cr);
        set_dash(cr, PLOT_SOLID, 1);
        break;
    }
    case SERIES_TEXT: {
        double px = plot_map_x(lay, s->tx), py = plot_map_y(lay, s->ty);
        if (!isfinite(py)) break;
        cairo_set_source_rgba(cr, s->rgb[0], s->rgb[1], s->rgb[2], s->alpha);
        plot_set_font(cr, PLOT_FONT_LABEL, 0);
        cairo_move_to(cr, px, py);
        cairo_show_text(cr, s->text);
        cairo_new_path(cr);
        break;
    }
    case SERIES_IMAGE: break;
    }
}

/* ---- legend --------------------------------------------------------------------------------- */

#define LEGEND_PAD 6.0
#define LEGEND_ROW 17.0
#define LEGEND_GLYPH 26.0

static int in_box(double x, double y, const double box[4]) {
    return x >= box[0] && x <= box[0] + box[2] && y >= box[1] && y <= box[1] + box[3];
}

/* How much of the data a legend box at `box` (x, y, w, h) would hide: scatter points, vector
   field arrows, and points every few pixels along each line. */
static long covered(const PanelLayout *lay, const PlotPanel *pa, const double box[4]) {
    long hits = 0;
    for (int k = 0; k < pa->n_series; k++) {
        const PlotSeries *s = pa->series[k];
        if (s->kind == SERIES_SCATTER)
            for (int i = 0; i < s->n; i++)
                hits += in_box(plot_map_x(lay, s->x[i]), plot_map_y(lay, s->y[i]), box);
        if (s->kind == SERIES_LINE)
            for (int i = 0; i + 1 < s->n; i++) {
                double ax = plot_map_x(lay, s->x[i]), ay = plot_map_y(lay, s->y[i]);
                double bx = plot_map_x(lay, s->x[i + 1]), by = plot_map_y(lay, s->y[i + 1]);
                if (!isfinite(ax + ay + bx + by)) continue;
                int m = 1 + (int)fmin(200, hypot(bx - ax, by - ay) / 4);
                for (int t = 0; t < m; t++)
                    hits += in_box(ax + (bx - ax) * t / m, ay + (by - ay) * t / m, box);
            }
        if (s->kind == SERIES_VECTOR_FIELD)
            for (int j = 0; j < s->ny; j++)
                for (int i = 0; i < s->nx; i++)
                    hits += 4 * in_box(plot_map_x(lay, s->x0 + i * (s->x1 - s->x0) / (s->nx - 1)),
                                       plot_map_y(lay, s->y0 + j * (s->y1 - s->y0) / (s->ny - 1)),
                                       box);
    }
    return hits;
}

static int has_legend_entry(const PlotSeries *s) {
    return s->label && s->kind != SERIES_HEATMAP && s->kind != SERIES_TEXT &&
           s->kind != SERIES_IMAGE;
}

void plot_draw_legend(cairo_t *cr, const PanelLayout *lay, const PlotPanel *pa) {
    int rows = 0;
    double text_w = 0;
    for (int k = 0; k < pa->n_series; k++)
        if (has_legend_entry(pa->series[k])) {
            rows++;
            text_w = fmax(text_w, plot_text_width(cr, pa->series[k]->label, PLOT_FONT_TICK, 0));
        }
    if (rows == 0) return;
    double w = 2 * LEGEND_PAD + LEGEND_GLYPH + 6 + text_w, h = 2 * LEGEND_PAD + rows * LEGEND_ROW - 2;
    /* candidates: upper right, upper left, lower left, lower right; the first least covering wins */
    double inset = 8;
    double xs[4] = {lay->R - inset - w, lay->L + inset, lay->L + inset, lay->R - inset - w};
    double ys[4] = {lay->T + inset, lay->T + inset, lay->B - inset - h, lay->B - inset - h};
    int best = 0;
    long best_hits = -1;
    for (int c = 0; c < 4; c++) {
        double box[4] = {xs[c], ys[c], w, h};
        long hits = covered(lay, pa, box);
        if (best_hits < 0 || hits < best_hits) { best_hits = hits; best = c; }
    }
    double x = floor(xs[best]) + 0.5, y = floor(ys[best]) + 0.5;
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_rectangle(cr, x, y, floor(w), floor(h));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);

    int r = 0;
    for (int k = 0; k < pa->n_series; k++) {
        const PlotSeries *s = pa->series[k];
        if (!has_legend_entry(s)) continue;
        double cy = y + LEGEND_PAD + (r + 0.5) * LEGEND_ROW - 1, gx = x + LEGEND_PAD;
        if (s->kind == SERIES_SCATTER) {
            cairo_set_source_rgba(cr, s->rgb[0], s->rgb[1], s->rgb[2], fmax(s->alpha, 0.6));
            cairo_arc(cr, gx + 0.5 * LEGEND_GLYPH, cy, fmin(fmax(s->marker, 2.5), 6), 0, 2 * M_PI);
            cairo_fill(cr);
        } else if (s->kind == SERIES_VECTOR_FIELD) {
            double rgb[3];
            if (s->by_magnitude) plot_colormap_viridis(0.6, rgb);
            else memcpy(rgb, s->rgb, sizeof rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_set_line_width(cr, s->width);
            cairo_move_to(cr, gx + 2, cy);
            cairo_line_to(cr, gx + LEGEND_GLYPH - 8, cy);
            cairo_stroke(cr);
            cairo_move_to(cr, gx + LEGEND_GLYPH - 2, cy);
            cairo_line_to(cr, gx + LEGEND_GLYPH - 9, cy - 3.5);
            cairo_line_to(cr, gx + LEGEND_GLYPH - 9, cy + 3.5);
            cairo_close_path(cr);
            cairo_fill(cr);
        } else {
            stroke_style(cr, s);
            cairo_move_to(cr, gx, cy);
            cairo_line_to(cr, gx + LEGEND_GLYPH, cy);
            cairo_stroke(cr);
            set_dash(cr, PLOT_SOLID, 1);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        plot_draw_text(cr, s->label, gx + LEGEND_GLYPH + 6, cy, PLOT_FONT_TICK, 0, 0);
        r++;
    }
}

/* ---- image panels --------------------------------------------------------------------------- */

void plot_draw_image_panel(cairo_t *cr, const PanelLayout *lay, const PlotPanel *pa) {
    (void)pa;
    const PlotSeries *s = lay->image;
    const Image8 *im = s->image;
    double aw = lay->R - lay->L, ah = lay->B - lay->T;
    double scale = fmin(aw / im->width, ah / im->height);
    if (scale >= 1) scale = floor(scale); /* integer enlargement keeps pixels square and crisp */
    double w = im->width * scale, h = im->height * scale;
    double x0 = floor(lay->L + 0.5 * (aw - w)), y0 = floor(lay->T + 0.5 * (ah - h));

    cairo_surface_t *pic = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, im->width, im->height);
    unsigned char *data = cairo_image_surface_get_data(pic);
    int stride = cairo_image_surface_get_stride(pic);
    int C = im->channels;
    for (int y = 0; y < im->height; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * stride);
        for (int x = 0; x < im->width; x++) {
            const uint8_t *q = im->pixels + ((size_t)y * im->width + x) * C;
            uint32_t r = q[0], g = C >= 3 ? q[1] : q[0], b = C >= 3 ? q[2] : q[0];
            uint32_t a = C == 2 ? q[1] : C == 4 ? q[3] : 255;
            /* cairo wants premultiplied alpha */
            r = (r * a + 127) / 255; g = (g * a + 127) / 255; b = (b * a + 127) / 255;
            row[x] = a << 24 | r << 16 | g << 8 | b;
        }
    }
    cairo_surface_mark_dirty(pic);
    cairo_save(cr);
    cairo_translate(cr, x0, y0);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, pic, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), scale >= 1 ? CAIRO_FILTER_NEAREST
                                                              : CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0, 0, im->width, im->height);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(pic);

    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int r = 0; r < s->n_rows; r++)
        if (s->row_labels[r])
            plot_draw_text(cr, s->row_labels[r], x0 - 8, y0 + (r + 0.5) * h / s->n_rows,
                           PLOT_FONT_LABEL, 0, 1.0);
}
