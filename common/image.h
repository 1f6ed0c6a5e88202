/*: # image — 8-bit pictures, float images, PNG files and sample grids

Two image types serve the course.

* `Image8` is what a file holds: `height` rows of `width` pixels, each pixel `channels` bytes
  (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA), interleaved, row-major, row 0 at the top.
* `ImageF` is what a model produces: a float tensor of shape $(C, H, W)$ (planar, the layout of
  a batch of MNIST digits or generated samples), with no fixed value range.

Turning a float value $v$ into a byte is an affine map of a chosen range $[lo, hi]$ onto
$\{0,\dots,255\}$, clamped at both ends and rounded to the nearest level:

$$ q(v) = \operatorname{round}\Big(255 \cdot \operatorname{clamp}\big(\tfrac{v - lo}{hi - lo}, 0, 1\big)\Big) $$ {#eq:common.image.quantise}

A fixed range (e.g. $[0,1]$ for pixel intensities, $[-1,1]$ for DDPM samples) keeps pictures
comparable across training steps; the min-max range ($lo = \min v$, $hi = \max v$) shows the
structure of anything. NaN maps to 0.

PNG files are read and written with libpng. Reading never trusts the file: a missing, truncated,
corrupt or non-PNG file comes back as `NULL` with a message, never as a crash (libpng reports
errors by `longjmp`; the reader catches them and frees what it had allocated).

A *grid* tiles $N$ images of size $h \times w$ into one picture of `cols` columns and
$\lceil N / \mathrm{cols} \rceil$ rows, each tile upscaled by an integer factor $s$ (nearest
neighbour) and separated by `pad` background pixels, also around the border:

$$ W = \mathrm{cols}\,(s w) + (\mathrm{cols}+1)\,\mathrm{pad},\qquad
   H = \mathrm{rows}\,(s h) + (\mathrm{rows}+1)\,\mathrm{pad} $$ {#eq:common.image.grid_size}

and tile $i$ (row $r = \lfloor i/\mathrm{cols} \rfloor$, column $c = i \bmod \mathrm{cols}$) has its
top-left pixel at $\big(\mathrm{pad} + c\,(s w + \mathrm{pad}),\ \mathrm{pad} + r\,(s h + \mathrm{pad})\big)$.
*/
#ifndef COMMON_IMAGE_H
#define COMMON_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int width, height, channels; /* channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    uint8_t *pixels;             /* height * width * channels bytes, row-major, interleaved */
} Image8;

typedef struct {
    int channels, height, width;
    float *data; /* (C, H, W) planar: data[(c * height + y) * width + x] */
} ImageF;

/* Allocation (zero-filled); sizes must be positive and channels in 1..4 (else die()). */
Image8 *image8_new(int width, int height, int channels);
void image8_free(Image8 *img);
ImageF *imagef_new(int channels, int height, int width);
void imagef_free(ImageF *img);

/* PNG I/O. Write: 0 on success, -1 with a message in err. Read: the image, or NULL with a
   message in err (missing, truncated, corrupt, not a PNG, too large). Palette and 1/2/4-bit files
   are expanded to 8 bits, 16-bit samples are reduced to 8, a tRNS chunk becomes an alpha channel. */
int image_write_png(const char *path, const Image8 *img, char *err, size_t errlen);
Image8 *image_read_png(const char *path, char *err, size_t errlen);

/* Float <-> bytes. */
void imagef_clamp(ImageF *img, float lo, float hi);
/* q(v) of eq:common.image.quantise with a fixed range (requires hi > lo). */
Image8 *imagef_to_image8(const ImageF *img, float lo, float hi);
/* The same with lo, hi = min, max of the image (a constant image gives all zeros). */
Image8 *imagef_to_image8_minmax(const ImageF *img);
/* Bytes to floats in [0, 1] (v = byte / 255). */
ImageF *image8_to_imagef(const Image8 *img);
/* One byte of the quantisation (exposed for tests and for code that maps single values). */
uint8_t image_quantise(float v, float lo, float hi);

/* Grids of samples. `batch` holds n images of shape (channels, height, width), planar, one after
   the other (channels 1 -> grey grid, 3 -> RGB grid). */
typedef struct {
    int cols;           /* tiles per row; <= 0: ceil(sqrt(n)) */
    int pad;            /* background pixels between tiles and around the border (>= 0) */
    int upscale;        /* integer nearest-neighbour factor; <= 1: none */
    float lo, hi;       /* value range mapped to 0..255; lo >= hi: min-max of the whole batch */
    uint8_t background; /* grey level of the padding */
} ImageGridOptions;

/* Defaults: cols auto, pad 2, no upscaling, range [0, 1], background 255 (white). */
ImageGridOptions image_grid_defaults(void);

/* Rows, columns and pixel size of the grid (eq:common.image.grid_size). */
void image_grid_geometry(int n, int height, int width, const ImageGridOptions *opt, int *rows,
                         int *cols, int *grid_height, int *grid_width);

/* The grid picture; n >= 1, channels 1 or 3 (else die()). */
Image8 *image_grid(const float *batch, int n, int channels, int height, int width,
                   const ImageGridOptions *opt);

/* A labelled figure of a grid of 1-channel h x w tiles (introduced for L42 4.2, programs 03 and
   04, whose reconstructions and samples are shown this way): `rows` x `cols` tiles in [0, 1],
   upscaled `upscale` times, a row label per row (labels may be NULL) and a title, written as a
   PNG through common/plot (a 140-pixel label margin and a 60-pixel title band around the grid;
   image_figure.c). Returns 0, or -1 with the reason in err. */
int image_save_labelled_grid(const char *path, const char *title, const float *tiles, int rows, int cols, int h,
                             int w, int upscale, const char *const *labels, char *err, size_t errlen);

#endif
