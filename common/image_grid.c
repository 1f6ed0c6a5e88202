/* image_grid — N small images tiled into one picture (image.h, eq:common.image.grid_size). */
#include "common/image.h"

#include <math.h>
#include <string.h>

#include "common/util.h"

ImageGridOptions image_grid_defaults(void) {
    ImageGridOptions o = {.cols = 0, .pad = 2, .upscale = 1, .lo = 0.0f, .hi = 1.0f,
                          .background = 255};
    return o;
}

void image_grid_geometry(int n, int height, int width, const ImageGridOptions *opt, int *rows,
                         int *cols, int *grid_height, int *grid_width) {
    int c = opt->cols;
    if (c <= 0) {
        c = (int)ceil(sqrt((double)n));
        while (c > 1 && (c - 1) * (c - 1) >= n) c--; /* guard against sqrt rounding up */
    }
    if (c > n) c = n;
    int r = (n + c - 1) / c;
    int s = opt->upscale > 1 ? opt->upscale : 1;
    int pad = opt->pad > 0 ? opt->pad : 0;
    *rows = r;
    *cols = c;
    //: $W = \mathrm{cols}\,(s w) + (\mathrm{cols}+1)\,\mathrm{pad}$, $H$ likewise
    *grid_width = c * s * width + (c + 1) * pad;
    *grid_height = r * s * height + (r + 1) * pad;
}

Image8 *image_grid(const float *batch, int n, int channels, int height, int width,
                   const ImageGridOptions *opt) {
    if (n < 1 || (channels != 1 && channels != 3) || height < 1 || width < 1)
        die("image_grid: bad batch n=%d shape (%d,%d,%d)", n, channels, height, width);
    ImageGridOptions o = opt ? *opt : image_grid_defaults();
    int rows, cols, GH, GW;
    image_grid_geometry(n, height, width, &o, &rows, &cols, &GH, &GW);
    int s = o.upscale > 1 ? o.upscale : 1;
    int pad = o.pad > 0 ? o.pad : 0;
    size_t per = (size_t)channels * height * width;

    float lo = o.lo, hi = o.hi;
    if (!(hi > lo)) { /* min-max over the whole batch, so tiles stay comparable */
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < per * (size_t)n; i++) {
            if (!isfinite(batch[i])) continue;
            if (batch[i] < lo) lo = batch[i];
            if (batch[i] > hi) hi = batch[i];
        }
        if (!(hi > lo)) { lo = 0; hi = 1; } /* constant batch: map as if in [0, 1] */
    }

    Image8 *g = image8_new(GW, GH, channels);
    memset(g->pixels, o.background, (size_t)GW * GH * channels);
    for (int i = 0; i < n; i++) {
        const float *tile = batch + (size_t)i * per;
        int x0 = pad + (i % cols) * (s * width + pad);
        int y0 = pad + (i / cols) * (s * height + pad);
        for (int y = 0; y < s * height; y++)
            for (int x = 0; x < s * width; x++)
                for (int c = 0; c < channels; c++) {
                    float v = tile[((size_t)c * height + y / s) * width + x / s]; /* nearest */
                    g->pixels[((size_t)(y0 + y) * GW + (x0 + x)) * channels + c] =
                        image_quantise(v, lo, hi);
                }
    }
    return g;
}
