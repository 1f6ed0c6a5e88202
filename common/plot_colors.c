/* plot_colors — the series palette and the viridis colour map.

   Viridis (van der Walt and Smith, 2015) is perceptually uniform and readable in grey and by
   colour-blind readers. The table holds it at t = 0, 1/9, ..., 1 (the familiar 10-colour hex
   values); between anchors the map is linear in sRGB, which is within a few levels of the full
   256-entry map. */
#include <math.h>

#include "common/plot_internal.h"

static const unsigned char viridis10[10][3] = {
    {0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3e, 0x4a, 0x89}, {0x31, 0x68, 0x8e},
    {0x26, 0x82, 0x8e}, {0x1f, 0x9e, 0x89}, {0x35, 0xb7, 0x79}, {0x6d, 0xcd, 0x59},
    {0xb4, 0xde, 0x2c}, {0xfd, 0xe7, 0x25},
};

void plot_colormap_viridis(double t, double rgb[3]) {
    if (!(t >= 0)) t = 0; /* also NaN */
    if (t > 1) t = 1;
    double f = t * 9.0;
    int i = (int)floor(f);
    if (i > 8) i = 8;
    double w = f - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = ((1 - w) * viridis10[i][c] + w * viridis10[i + 1][c]) / 255.0;
}

/* matplotlib's tab10 colours, then black */
static const unsigned char palette[PLOT_PALETTE_SIZE][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
    {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
    {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}, {0x00, 0x00, 0x00},
};

void plot_palette_rgb(PlotColor c, double rgb[3]) {
    int i = (int)c;
    if (i < 0 || i >= PLOT_PALETTE_SIZE) i = PLOT_BLACK;
    for (int k = 0; k < 3; k++) rgb[k] = palette[i][k] / 255.0;
}
