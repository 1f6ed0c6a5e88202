/* plot_font — text through cairo's toy font API ("sans-serif", resolved by fontconfig).
   Fixed font options (grey antialiasing, no hinting, unhinted metrics) keep the pixels the same
   from run to run and close across machines. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/plot_internal.h"

void plot_set_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

double plot_text_width(cairo_t *cr, const char *s, double size, int bold) {
    plot_set_font(cr, size, bold);
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

void plot_draw_text(cairo_t *cr, const char *s, double x, double y, double size, int bold,
                    double ha) {
    double w = plot_text_width(cr, s, size, bold);
    /* 0.36 em below the centre line is where the baseline of mixed-case text sits */
    cairo_move_to(cr, x - ha * w, y + 0.36 * size);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
}

/* A log-axis tick at an exact power of ten is written 10^k with a raised exponent. */
static int power_of_ten(const PlotAxis *a, double v, int *e) {
    if (!a->log || !(v > 0)) return 0;
    double l = log10(v);
    *e = (int)lround(l);
    return fabs(l - *e) < 1e-9;
}

#define SUP_SCALE 0.72

double plot_tick_label_width(cairo_t *cr, const PlotAxis *a, double v) {
    char buf[64];
    int e;
    if (power_of_ten(a, v, &e)) {
        snprintf(buf, sizeof buf, "%d", e);
        return plot_text_width(cr, "10", PLOT_FONT_TICK, 0) +
               plot_text_width(cr, buf, PLOT_FONT_TICK * SUP_SCALE, 0);
    }
    plot_format_tick(v, a->step, buf, sizeof buf);
    return plot_text_width(cr, buf, PLOT_FONT_TICK, 0);
}

void plot_draw_tick_label(cairo_t *cr, const PlotAxis *a, double v, double x, double y, double ha) {
    char buf[64];
    int e;
    if (power_of_ten(a, v, &e)) {
        double w = plot_tick_label_width(cr, a, v);
        double w10 = plot_text_width(cr, "10", PLOT_FONT_TICK, 0);
        double left = x - ha * w;
        plot_draw_text(cr, "10", left, y, PLOT_FONT_TICK, 0, 0);
        snprintf(buf, sizeof buf, "%d", e);
        plot_draw_text(cr, buf, left + w10, y - 0.45 * PLOT_FONT_TICK, PLOT_FONT_TICK * SUP_SCALE,
                       0, 0);
        return;
    }
    plot_format_tick(v, a->step, buf, sizeof buf);
    plot_draw_text(cr, buf, x, y, PLOT_FONT_TICK, 0, ha);
}
