/* plot_render — draws a recorded figure with cairo: per panel the grid lines, the series (clipped
   to the data rectangle), the frame with ticks and labels, the colour bar and the legend. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>

#include "common/plot_internal.h"
#include "common/util.h"

#define TICK_LEN 4.0

/* Crisp 1-px lines: put them on pixel centres. */
static double snap(double v) { return floor(v) + 0.5; }

static void draw_axes(cairo_t *cr, const PanelLayout *lay, const PlotPanel *pa) {
    /* frame */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, snap(lay->L), snap(lay->T), snap(lay->R) - snap(lay->L),
                    snap(lay->B) - snap(lay->T));
    cairo_stroke(cr);
    /* x ticks and labels */
    for (int i = 0; i < lay->xa.n_ticks; i++) {
        double x = snap(plot_map_x(lay, lay->xa.ticks[i]));
        cairo_move_to(cr, x, snap(lay->B));
        cairo_line_to(cr, x, snap(lay->B) + TICK_LEN);
        cairo_stroke(cr);
        plot_draw_tick_label(cr, &lay->xa, lay->xa.ticks[i], x, lay->B + TICK_LEN + 10, 0.5);
    }
    /* y ticks and labels */
    for (int i = 0; i < lay->ya.n_ticks; i++) {
        double y = snap(plot_map_y(lay, lay->ya.ticks[i]));
        cairo_move_to(cr, snap(lay->L), y);
        cairo_line_to(cr, snap(lay->L) - TICK_LEN, y);
        cairo_stroke(cr);
        plot_draw_tick_label(cr, &lay->ya, lay->ya.ticks[i], lay->L - TICK_LEN - 4, y, 1.0);
    }
    double mid_x = 0.5 * (lay->L + lay->R), mid_y = 0.5 * (lay->T + lay->B);
    if (pa->xlabel)
        plot_draw_text(cr, pa->xlabel, mid_x, lay->B + TICK_LEN + 30, PLOT_FONT_LABEL, 0, 0.5);
    if (pa->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, lay->cell_x + 16, mid_y);
        cairo_rotate(cr, -M_PI / 2);
        plot_draw_text(cr, pa->ylabel, 0, 0, PLOT_FONT_LABEL, 0, 0.5);
        cairo_restore(cr);
    }
}

static void draw_grid_lines(cairo_t *cr, const PanelLayout *lay) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_set_line_width(cr, 1.0);
    for (int i = 0; i < lay->xa.n_ticks; i++) {
        double x = snap(plot_map_x(lay, lay->xa.ticks[i]));
        cairo_move_to(cr, x, lay->T);
        cairo_line_to(cr, x, lay->B);
    }
    for (int i = 0; i < lay->ya.n_ticks; i++) {
        double y = snap(plot_map_y(lay, lay->ya.ticks[i]));
        cairo_move_to(cr, lay->L, y);
        cairo_line_to(cr, lay->R, y);
    }
    cairo_stroke(cr);
}

/* Vertical colour bar right of the data rectangle: viridis from cbar_lo (bottom) to cbar_hi. */
static void draw_colorbar(cairo_t *cr, const PanelLayout *lay) {
    double x0 = lay->R + 14, w = 14, top = lay->T, bot = lay->B;
    int steps = (int)(bot - top);
    for (int i = 0; i < steps; i++) {
        double rgb[3];
        plot_colormap_viridis((i + 0.5) / steps, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, x0, bot - i - 1, w, 1);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, snap(x0), snap(top), floor(w), snap(bot) - snap(top));
    cairo_stroke(cr);
    double span = lay->cbar_hi - lay->cbar_lo;
    for (int i = 0; i < lay->ca.n_ticks; i++) {
        double y = snap(bot - (bot - top) * (lay->ca.ticks[i] - lay->cbar_lo) / span);
        cairo_move_to(cr, snap(x0 + w), y);
        cairo_line_to(cr, snap(x0 + w) + 3, y);
        cairo_stroke(cr);
        plot_draw_tick_label(cr, &lay->ca, lay->ca.ticks[i], x0 + w + 6, y, 0);
    }
    if (lay->cbar->kind == SERIES_HEATMAP && lay->cbar->label) {
        double lw = 0;
        for (int i = 0; i < lay->ca.n_ticks; i++) {
            double t = plot_tick_label_width(cr, &lay->ca, lay->ca.ticks[i]);
            if (t > lw) lw = t;
        }
        cairo_save(cr);
        cairo_translate(cr, x0 + w + 6 + lw + 14, 0.5 * (top + bot));
        cairo_rotate(cr, -M_PI / 2);
        plot_draw_text(cr, lay->cbar->label, 0, 0, PLOT_FONT_LABEL, 0, 0.5);
        cairo_restore(cr);
    }
}

static void draw_panel(cairo_t *cr, const Plot *p, int index) {
    const PlotPanel *pa = &p->panels[index];
    PanelLayout lay;
    plot_panel_layout(cr, p, index, &lay);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (pa->title)
        plot_draw_text(cr, pa->title, 0.5 * (lay.L + lay.R), lay.cell_y + 14, PLOT_FONT_TITLE, 1,
                       0.5);
    if (lay.image) {
        plot_draw_image_panel(cr, &lay, pa);
        return;
    }
    draw_grid_lines(cr, &lay);
    cairo_save(cr);
    cairo_rectangle(cr, lay.L, lay.T, lay.R - lay.L, lay.B - lay.T);
    cairo_clip(cr);
    for (int pass = 0; pass < 2; pass++) /* heatmaps first, so nothing hides under them */
        for (int k = 0; k < pa->n_series; k++)
            if ((pa->series[k]->kind == SERIES_HEATMAP) == (pass == 0))
                plot_draw_series(cr, &lay, pa->series[k]);
    cairo_restore(cr);
    draw_axes(cr, &lay, pa);
    if (lay.cbar) draw_colorbar(cr, &lay);
    if (pa->legend) plot_draw_legend(cr, &lay, pa);
}

/* cairo and fontconfig keep font caches for the life of the process. Releasing cairo's at exit
   lets LeakSanitizer and valgrind runs of the course come out clean (it also drops cairo's hold
   on fontconfig's patterns). Registered once, on the first render. */
static void release_cairo_caches(void) {
    cairo_debug_reset_static_data();
    FcFini(); /* fontconfig (which cairo uses to find fonts) keeps its configuration until this */
}

Image8 *plot_render(const Plot *p) {
    static int registered = 0;
    if (!registered) {
        registered = 1;
        atexit(release_cairo_caches);
    }
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p->width, p->height);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) die("plot_render: cairo surface failed");
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    if (p->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        plot_draw_text(cr, p->title, 0.5 * p->width, 16, PLOT_FONT_FIG_TITLE, 1, 0.5);
    }
    for (int i = 0; i < p->rows * p->cols; i++) draw_panel(cr, p, i);
    cairo_destroy(cr);
    cairo_surface_flush(surf);

    /* ARGB32 is native-endian 0xAARRGGBB per pixel; the background is opaque, so every pixel is */
    Image8 *img = image8_new(p->width, p->height, 3);
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < p->height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * stride);
        for (int x = 0; x < p->width; x++) {
            uint8_t *o = img->pixels + ((size_t)y * p->width + x) * 3;
            o[0] = (uint8_t)(row[x] >> 16);
            o[1] = (uint8_t)(row[x] >> 8);
            o[2] = (uint8_t)row[x];
        }
    }
    cairo_surface_destroy(surf);
    return img;
}

int plot_save(const Plot *p, const char *path, char *err, size_t errlen) {
    Image8 *img = plot_render(p);
    int rc = image_write_png(path, img, err, errlen);
    image8_free(img);
    return rc;
}
