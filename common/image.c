/* image — allocation and the float <-> byte conversions (see image.h for the maths). PNG files are
   in image_png.c, grids in image_grid.c. */
#include "common/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

Image8 *image8_new(int width, int height, int channels) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
        die("image8_new: bad size %dx%dx%d", width, height, channels);
    Image8 *img = xmalloc(sizeof *img);
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->pixels = xcalloc((size_t)width * (size_t)height * (size_t)channels, 1);
    return img;
}

void image8_free(Image8 *img) {
    if (!img) return;
    free(img->pixels);
    free(img);
}

ImageF *imagef_new(int channels, int height, int width) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
        die("imagef_new: bad size %dx%dx%d", channels, height, width);
    ImageF *img = xmalloc(sizeof *img);
    img->channels = channels;
    img->height = height;
    img->width = width;
    img->data = xcalloc((size_t)width * (size_t)height * (size_t)channels, sizeof(float));
    return img;
}

void imagef_free(ImageF *img) {
    if (!img) return;
    free(img->data);
    free(img);
}

void imagef_clamp(ImageF *img, float lo, float hi) {
    size_t n = (size_t)img->channels * (size_t)img->height * (size_t)img->width;
    for (size_t i = 0; i < n; i++) {
        float v = img->data[i];
        img->data[i] = v < lo ? lo : v > hi ? hi : v; /* NaN stays NaN */
    }
}

uint8_t image_quantise(float v, float lo, float hi) {
    if (!(v == v) || !(hi > lo)) return 0;
    //: $q(v) = \operatorname{round}(255\,\operatorname{clamp}((v - lo)/(hi - lo), 0, 1))$
    double t = ((double)v - lo) / ((double)hi - lo);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return (uint8_t)lround(255.0 * t);
}

Image8 *imagef_to_image8(const ImageF *img, float lo, float hi) {
    if (!(hi > lo)) die("imagef_to_image8: empty range [%g, %g]", lo, hi);
    int C = img->channels, H = img->height, W = img->width;
    Image8 *out = image8_new(W, H, C);
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                out->pixels[((size_t)y * W + x) * C + c] =
                    image_quantise(img->data[((size_t)c * H + y) * W + x], lo, hi);
    return out;
}

Image8 *imagef_to_image8_minmax(const ImageF *img) {
    size_t n = (size_t)img->channels * (size_t)img->height * (size_t)img->width;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float v = img->data[i];
        if (!isfinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if (!(hi > lo)) return image8_new(img->width, img->height, img->channels); /* constant */
    return imagef_to_image8(img, lo, hi);
}

ImageF *image8_to_imagef(const Image8 *img) {
    int C = img->channels, H = img->height, W = img->width;
    ImageF *out = imagef_new(C, H, W);
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                out->data[((size_t)c * H + y) * W + x] =
                    img->pixels[((size_t)y * W + x) * C + c] / 255.0f;
    return out;
}
