/* Unit tests of common/plot.h: every kind of figure is written, read back and inspected (size,
   ink, colours where the data->pixel map says they must be), the tick generator and labels against
   hand-computed answers, the colour map's end points, and byte-identical output on a re-run.
   The PNGs stay in the output directory for a human look. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/image.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"

static char err[512];

/* Save, read back; NULL (and a failed check) when either step fails or the size is wrong. */
static Image8 *save_and_reload(const Cli *cli, const Plot *p, const char *name, int w, int h) {
    const char *path = cli_out_path(cli, name);
    Image8 *img = plot_save(p, path, err, sizeof err) == 0 ? image_read_png(path, err, sizeof err)
                                                           : NULL;
    char id[96];
    snprintf(id, sizeof id, "common.plot.%.*s_size", (int)(strlen(name) - 4), name);
    check_true(id, img && img->width == w && img->height == h && img->channels == 3,
               "%s written and read back as %dx%d RGB (%s)", name, w, h, img ? "ok" : err);
    return img;
}

static const uint8_t *pix(const Image8 *img, int x, int y) {
    return img->pixels + ((size_t)y * img->width + x) * img->channels;
}

/* Pixels in the rectangle [x0,x1) x [y0,y1) that are not white. */
static long ink(const Image8 *img, int x0, int y0, int x1, int y1) {
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *q = pix(img, x, y);
            n += !(q[0] == 255 && q[1] == 255 && q[2] == 255);
        }
    return n;
}

/* A clearly coloured pixel (not white, grey or black: grid lines and text are grey or black). */
static int colored(const uint8_t *q) {
    int mx = q[0] > q[1] ? (q[0] > q[2] ? q[0] : q[2]) : (q[1] > q[2] ? q[1] : q[2]);
    int mn = q[0] < q[1] ? (q[0] < q[2] ? q[0] : q[2]) : (q[1] < q[2] ? q[1] : q[2]);
    return mx - mn > 40;
}

static long colored_in(const Image8 *img, int x0, int y0, int x1, int y1) {
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += colored(pix(img, x, y));
    return n;
}

static int is_red(const uint8_t *q) { return q[0] > 150 && q[1] < 110 && q[2] < 110; }

/* Is there a red pixel within `r` pixels of (px, py)? */
static int red_near(const Image8 *img, double px, double py, int r) {
    int cx = (int)floor(px), cy = (int)floor(py);
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if (x >= 0 && y >= 0 && x < img->width && y < img->height && is_red(pix(img, x, y)))
                return 1;
    return 0;
}

static int close_rgb(const uint8_t *q, int r, int g, int b, int tol) {
    return abs(q[0] - r) <= tol && abs(q[1] - g) <= tol && abs(q[2] - b) <= tol;
}

static int ticks_are(double lo, double hi, int max_intervals, const double *want, int n_want,
                     double want_step) {
    double t[32], step;
    int n = plot_nice_ticks(lo, hi, max_intervals, t, 32, &step);
    if (n != n_want || fabs(step - want_step) > 1e-12 * want_step) return 0;
    for (int i = 0; i < n; i++)
        if (t[i] != want[i]) return 0; /* exact: tick values are built from integers */
    return 1;
}

static int label_is(double v, double step, const char *want) {
    char buf[64];
    plot_format_tick(v, step, buf, sizeof buf);
    return strcmp(buf, want) == 0;
}

/* The line figure: y = 1 - (x - 1)^2 in red over [0, 2], a blue dashed cosine, a reference
   line and an annotation. Built by a function so the determinism check can build it twice. */
static Plot *line_figure(void) {
    enum { N = 101 };
    double x[N], y[N], c[N];
    for (int i = 0; i < N; i++) {
        x[i] = 2.0 * i / (N - 1);
        y[i] = 1 - (x[i] - 1) * (x[i] - 1);
        c[i] = 0.5 * cos(3 * x[i]);
    }
    Plot *p = plot_new(640, 440, "A red parabola and a dashed cosine");
    plot_series_color(plot_line(p, x, y, N, "1 - (x-1)^2"), PLOT_RED);
    PlotSeries *s = plot_line(p, x, c, N, "cos(3x)/2");
    plot_series_color(s, PLOT_BLUE);
    plot_series_dash(s, PLOT_DASHED);
    plot_hline(p, 0, "y = 0");
    plot_text(p, 0.75, 0.85, "maximum at x = 1");
    plot_xlabel(p, "x");
    plot_ylabel(p, "f(x)");
    return p;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the cairo figure module", 5, NULL);

    /* --- ticks: known answers worked out by hand from the rule in plot.h ---
       [0,1], <=6 intervals: 1/6 -> k=-1; 0.1 gives 10, 0.2 gives 5 -> step 0.2.
       [-3.7,12]: span 15.7, 15.7/6 -> k=0; 1: 15.7, 2: 7.85, 5: 3.14 -> step 5, ticks 0 5 10.
       [123,987]: 864/6 = 144 -> k=2; 100: 8.64, 200: 4.32 -> 200 400 600 800.
       [0.001,0.0042], <=5: 0.00064 -> k=-4; 1e-4: 32, 2e-4: 16, 5e-4: 6.4, 1e-3: 3.2.
       [-1,1], <=4: 0.5 -> k=-1; 0.1: 20, 0.2: 10, 0.5: 4 -> -1 -0.5 0 0.5 1. */
    const double t01[] = {0, 0.2, 0.4, 0.6, 0.8, 1};
    const double t37[] = {0, 5, 10};
    const double t123[] = {200, 400, 600, 800};
    const double tsmall[] = {0.001, 0.002, 0.003, 0.004};
    const double tsym[] = {-1, -0.5, 0, 0.5, 1};
    check_true("common.plot.ticks_unit", ticks_are(0, 1, 6, t01, 6, 0.2),
               "[0,1] -> 0, 0.2, ..., 1 (step 0.2), values exact");
    check_true("common.plot.ticks_negative", ticks_are(-3.7, 12, 6, t37, 3, 5),
               "[-3.7,12] -> 0, 5, 10 (step 5)");
    check_true("common.plot.ticks_hundreds", ticks_are(123, 987, 6, t123, 4, 200),
               "[123,987] -> 200, 400, 600, 800");
    check_true("common.plot.ticks_small", ticks_are(0.001, 0.0042, 5, tsmall, 4, 0.001),
               "[0.001,0.0042] with <=5 intervals -> 0.001 ... 0.004 (step 1e-3)");
    check_true("common.plot.ticks_symmetric", ticks_are(-1, 1, 4, tsym, 5, 0.5),
               "[-1,1] with <=4 intervals -> -1, -0.5, 0, 0.5, 1");
    int lab_ok = label_is(0.2, 0.2, "0.2") && label_is(-1e-17, 0.2, "0.0") &&
                 label_is(-0.0, 1, "0") && label_is(10, 5, "10") &&
                 label_is(0.0015, 0.0005, "0.0015") && label_is(2.5e6, 5e5, "2.5e+06") &&
                 label_is(-0.5, 0.5, "-0.5");
    check_true("common.plot.tick_labels", lab_ok,
               "labels: 0.2, 0.0 (the step's decimals; not -0.0 or 1e-17), 0, 10, 0.0015, 2.5e+06, -0.5");

    double lo_rgb[3], hi_rgb[3];
    plot_colormap_viridis(0, lo_rgb);
    plot_colormap_viridis(1, hi_rgb);
    check_true("common.plot.viridis_ends",
               lround(lo_rgb[0] * 255) == 0x44 && lround(lo_rgb[1] * 255) == 0x01 &&
                   lround(lo_rgb[2] * 255) == 0x54 && lround(hi_rgb[0] * 255) == 0xfd &&
                   lround(hi_rgb[1] * 255) == 0xe7 && lround(hi_rgb[2] * 255) == 0x25,
               "viridis(0) = #440154 (dark purple), viridis(1) = #fde725 (yellow)");

    /* --- line figure: the red curve lies where the data->pixel map puts it --- */
    Plot *lp = line_figure();
    Image8 *li = save_and_reload(&cli, lp, "line.png", 640, 440);
    if (li) {
        int on = 0, off = 0, total = 0;
        for (int i = 0; i <= 20; i++) {
            double x = 0.1 * i, y = 1 - (x - 1) * (x - 1), px, py, qx, qy;
            if (plot_data_to_pixel(lp, x, y, &px, &py) != 0) continue;
            total++;
            on += red_near(li, px, py, 2);
            /* 0.3 below the curve (tens of pixels away): no red there */
            if (plot_data_to_pixel(lp, x, y - 0.3, &qx, &qy) == 0) off += red_near(li, qx, qy, 2);
        }
        check_true("common.plot.line_on_path", total == 21 && on == 21,
                   "red within 2 px of all %d mapped points of the red series (%d found)", total,
                   on);
        check_true("common.plot.line_not_off_path", off == 0,
                   "no red 0.3 data units below the curve (%d points had red)", off);
    }
    /* auto limits: x data [0,2] widened by 5% -> [-0.1, 2.1]; x = 1 maps to the rectangle's middle,
       so x = -0.1 and x = 2.1 map symmetrically about it */
    double ax, ay, bx, by, mx, my;
    plot_data_to_pixel(lp, -0.1, 0, &ax, &ay);
    plot_data_to_pixel(lp, 2.1, 0, &bx, &by);
    plot_data_to_pixel(lp, 1.0, 0, &mx, &my);
    check_close("common.plot.map_linear", mx - 0.5 * (ax + bx), 0, 1e-9, "common.plot.data_to_pixel",
                "x = 1 maps halfway between the auto limits -0.1 and 2.1");
    image8_free(li);

    /* --- determinism: the same figure built twice gives the same PNG bytes --- */
    Plot *lp2 = line_figure();
    const char *pa = cli_out_path(&cli, "line.png"), *pb = cli_out_path(&cli, "line_again.png");
    int same = 0;
    if (plot_save(lp2, pb, err, sizeof err) == 0) {
        FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
        if (fa && fb) {
            same = 1;
            int ca, cb;
            do {
                ca = fgetc(fa);
                cb = fgetc(fb);
                if (ca != cb) same = 0;
            } while (same && ca != EOF);
        }
        if (fa) fclose(fa);
        if (fb) fclose(fb);
    }
    check_true("common.plot.deterministic", same, "two builds of the line figure give identical PNG files");
    plot_free(lp2);
    check_true("common.plot.save_bad_path",
               plot_save(lp, "/nonexistent_dir_for_test/p.png", err, sizeof err) == -1,
               "saving into a missing directory returns -1 (%s)", err);
    plot_free(lp);

    /* --- scatter: two Gaussian clouds --- */
    enum { NS = 400 };
    double sx[NS], sy[NS];
    Rng r;
    rng_init(&r, cli.seed, 0);
    Plot *sp = plot_new(520, 440, "Samples from two Gaussians");
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < NS; i++) {
            sx[i] = (k ? 2.0 : -1.0) + 0.6 * rng_normal(&r);
            sy[i] = (k ? 1.0 : -0.5) + 0.4 * rng_normal(&r);
        }
        PlotSeries *s = plot_scatter(sp, sx, sy, NS, k ? "component 2" : "component 1");
        plot_series_marker(s, 2.5);
        plot_series_alpha(s, 0.5);
    }
    plot_xlabel(sp, "x1");
    plot_ylabel(sp, "x2");
    Image8 *si = save_and_reload(&cli, sp, "scatter.png", 520, 440);
    if (si) {
        /* around the 2nd cloud's centre (2, 1) the coloured pixels are orange (R > B), around
           the 1st cloud's centre (-1, -0.5) blue (B > R) */
        double cx, cy;
        long orange = 0, blue = 0, blue_at_2 = 0;
        plot_data_to_pixel(sp, 2.0, 1.0, &cx, &cy);
        for (int y = (int)cy - 15; y < (int)cy + 15; y++)
            for (int x = (int)cx - 15; x < (int)cx + 15; x++) {
                const uint8_t *q = pix(si, x, y);
                orange += colored(q) && q[0] > q[2];
                blue_at_2 += colored(q) && q[2] > q[0];
            }
        plot_data_to_pixel(sp, -1.0, -0.5, &cx, &cy);
        for (int y = (int)cy - 15; y < (int)cy + 15; y++)
            for (int x = (int)cx - 15; x < (int)cx + 15; x++) {
                const uint8_t *q = pix(si, x, y);
                blue += colored(q) && q[2] > q[0];
            }
        check_true("common.plot.scatter_clouds", orange > 200 && blue > 200 && blue_at_2 == 0,
                   "30x30 px around each cloud centre: %ld orange, %ld blue pixels, %ld blue in "
                   "the orange cloud", orange, blue, blue_at_2);
    }
    image8_free(si);
    plot_free(sp);

    /* --- heatmap: a Gaussian bump on 40x30 cells over [-2,2]x[-1.5,1.5] --- */
    enum { HX = 40, HY = 30 };
    double *hv = xmalloc(sizeof(double) * HX * HY);
    for (int j = 0; j < HY; j++)
        for (int i = 0; i < HX; i++) {
            double x = -2 + 4.0 * (i + 0.5) / HX, y = -1.5 + 3.0 * (j + 0.5) / HY;
            hv[j * HX + i] = exp(-(x - 0.5) * (x - 0.5) - 2 * (y + 0.3) * (y + 0.3));
        }
    Plot *hp = plot_new(560, 420, "Density of a Gaussian bump");
    PlotSeries *hs = plot_heatmap(hp, hv, HX, HY, -2, 2, -1.5, 1.5, "density");
    plot_series_range(hs, 0, 1);
    double peak_x = -2 + 4.0 * (25 + 0.5) / HX, peak_y = -1.5 + 3.0 * (12 + 0.5) / HY;
    double peak_v = hv[12 * HX + 25]; /* cell (25, 12): x = 0.55, y = -0.25, near the peak */
    plot_xlabel(hp, "x");
    plot_ylabel(hp, "y");
    Image8 *hi = save_and_reload(&cli, hp, "heatmap.png", 560, 420);
    if (hi) {
        double px, py, cx0, cy0;
        plot_data_to_pixel(hp, peak_x, peak_y, &px, &py);
        double rgb[3];
        plot_colormap_viridis(peak_v, rgb); /* range [0,1]: t = value */
        const uint8_t *q = pix(hi, (int)px, (int)py);
        check_true("common.plot.heatmap_peak_color",
                   close_rgb(q, (int)lround(rgb[0] * 255), (int)lround(rgb[1] * 255),
                             (int)lround(rgb[2] * 255), 1),
                   "the pixel at cell (25,12)'s centre has viridis(%.3f) (got %d,%d,%d)", peak_v,
                   q[0], q[1], q[2]);
        /* corner cell (0,0): value exp(-6.25 - 2*1.44) ~ 1e-4 -> viridis(0) */
        plot_data_to_pixel(hp, -2 + 0.05, -1.5 + 0.05, &cx0, &cy0);
        q = pix(hi, (int)cx0, (int)cy0);
        check_true("common.plot.heatmap_corner_color", close_rgb(q, 0x44, 0x01, 0x54, 2),
                   "the bottom-left cell is viridis(~0), dark purple (got %d,%d,%d)", q[0], q[1],
                   q[2]);
    }
    image8_free(hi);
    plot_free(hp);
    free(hv);

    /* --- vector fields side by side: the score of N(0, I), s(x) = -x, and a rotated copy --- */
    enum { VX = 15, VY = 15 };
    double u[VX * VY], v[VX * VY], u2[VX * VY], v2[VX * VY];
    for (int j = 0; j < VY; j++)
        for (int i = 0; i < VX; i++) {
            double x = -3 + 6.0 * i / (VX - 1), y = -3 + 6.0 * j / (VY - 1);
            u[j * VX + i] = -x;
            v[j * VX + i] = -y;
            u2[j * VX + i] = -x - 0.5 * y; /* a "learned" field with a swirl */
            v2[j * VX + i] = -y + 0.5 * x;
        }
    Plot *vp = plot_new_grid(1, 2, 1000, 460, "Score fields: true vs learned");
    plot_title(vp, "true score -x");
    plot_series_color_by_magnitude(plot_vector_field(vp, u, v, VX, VY, -3, 3, -3, 3, NULL), 1);
    plot_xlabel(vp, "x1");
    plot_ylabel(vp, "x2");
    plot_panel(vp, 1);
    plot_title(vp, "learned score");
    plot_vector_field(vp, u2, v2, VX, VY, -3, 3, -3, 3, "s_theta(x)");
    plot_vline(vp, 0, NULL);
    plot_hline(vp, 0, NULL);
    plot_xlabel(vp, "x1");
    Image8 *vi = save_and_reload(&cli, vp, "vector_field.png", 1000, 460);
    if (vi) {
        long left = ink(vi, 0, 40, 500, 460), right = ink(vi, 500, 40, 1000, 460);
        check_true("common.plot.vector_field_ink", left > 5000 && right > 5000,
                   "both panels drawn (%ld and %ld non-white pixels)", left, right);
        /* an arrow at grid point (3, 0) points left along -x: ink just left of its base */
        double px, py;
        plot_panel(vp, 0);
        plot_data_to_pixel(vp, 3, 0, &px, &py);
        check_true("common.plot.vector_field_direction",
                   colored_in(vi, (int)px - 12, (int)py - 1, (int)px - 2, (int)py + 2) > 5 &&
                       colored_in(vi, (int)px + 2, (int)py - 2, (int)px + 10, (int)py + 3) == 0,
                   "the arrow at (3, 0) points towards -x (coloured pixels left of its base, none right)");
    }
    image8_free(vi);
    plot_free(vp);

    /* --- log-scale y: an exponentially decaying loss --- */
    enum { NL = 200 };
    double it[NL], loss[NL], loss2[NL];
    for (int i = 0; i < NL; i++) {
        it[i] = i;
        loss[i] = 2.0 * exp(-i / 30.0) + 1e-3;
        loss2[i] = 3.0 * exp(-i / 60.0) + 2e-3;
    }
    Plot *gp = plot_new(560, 400, "Training loss");
    plot_line(gp, it, loss, NL, "learning rate 0.1");
    plot_line(gp, it, loss2, NL, "learning rate 0.03");
    plot_ylog(gp, 1);
    plot_ylim(gp, 1e-4, 10);
    plot_xlabel(gp, "iteration");
    plot_ylabel(gp, "loss");
    plot_hline(gp, 1e-3, "floor 1e-3");
    Image8 *gi = save_and_reload(&cli, gp, "log_loss.png", 560, 400);
    double y1, y2, y3, dummy;
    plot_data_to_pixel(gp, 0, 1, &dummy, &y1);
    plot_data_to_pixel(gp, 0, 0.1, &dummy, &y2);
    plot_data_to_pixel(gp, 0, 0.01, &dummy, &y3);
    check_close("common.plot.log_axis_decades", (y2 - y1) - (y3 - y2), 0, 1e-9,
                "common.plot.data_to_pixel", "on a log axis each decade spans the same pixels");
    check_true("common.plot.log_axis_nonpositive", plot_data_to_pixel(gp, 0, 0, &dummy, &y1) != 0,
               "y = 0 has no place on a log axis (data_to_pixel reports -1)");
    if (gi) check_true("common.plot.log_ink", ink(gi, 0, 0, 560, 400) > 3000, "log plot has ink");
    image8_free(gi);
    plot_free(gp);

    /* --- an image panel: a sample grid with row labels next to a line panel --- */
    enum { NT = 12, T = 8 };
    float *digits = xmalloc(sizeof(float) * NT * T * T);
    for (int n = 0; n < NT; n++)
        for (int y = 0; y < T; y++)
            for (int x = 0; x < T; x++) /* a ring whose radius grows with n */
                digits[(n * T + y) * T + x] =
                    fabsf(hypotf(x - 3.5f, y - 3.5f) - (1.0f + 0.2f * n)) < 0.8f ? 1.0f : 0.0f;
    ImageGridOptions go = image_grid_defaults();
    go.cols = 6;
    go.upscale = 2;
    go.background = 128;
    Image8 *grid = image_grid(digits, NT, 1, T, T, &go);
    const char *labels[2] = {"step 0", "step 500"};
    Plot *ip = plot_new_grid(1, 2, 760, 300, "Samples and their radius");
    plot_title(ip, "samples");
    plot_image(ip, grid, labels, 2);
    plot_panel(ip, 1);
    double rx[NT], ry[NT];
    for (int n = 0; n < NT; n++) { rx[n] = n; ry[n] = 1.0 + 0.2 * n; }
    plot_scatter(ip, rx, ry, NT, NULL);
    plot_title(ip, "ring radius");
    plot_xlabel(ip, "sample");
    Image8 *ii = save_and_reload(&cli, ip, "image_panel.png", 760, 300);
    if (ii) {
        long grey = 0; /* the grid's padding (128) shows up unchanged in the left panel */
        for (int y = 0; y < 300; y++)
            for (int x = 0; x < 380; x++) grey += close_rgb(pix(ii, x, y), 128, 128, 128, 0);
        check_true("common.plot.image_panel", grey > 500,
                   "the image panel shows the grid's grey padding (%ld pixels)", grey);
    }
    image8_free(ii);
    image8_free(grid);
    plot_free(ip);
    free(digits);
    return check_end();
}
