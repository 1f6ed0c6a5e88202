/* image_png — PNG files through libpng.

   libpng reports an error by calling an error function that must not return; the usual way out
   is longjmp back to a setjmp in the caller. Three rules make that safe here:
   - the error function copies libpng's message into our own buffer before jumping;
   - everything allocated after setjmp lives in `volatile` pointers (a non-volatile local changed
     after setjmp has an indeterminate value once longjmp returns to it), so it can be freed;
   - the FILE is opened before setjmp and closed on every path.
   A PNG is written to a temporary file and renamed (atomic_file.h): never left half-written. */
#include "common/image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/util.h"

/* Largest picture we agree to read: a corrupt header must not make us allocate gigabytes. */
enum { PNG_MAX_SIDE = 1 << 15 };
#define PNG_MAX_BYTES ((size_t)1 << 28)

typedef struct {
    char msg[256];
} PngErrorSink;

static void png_error_to_sink(png_structp png, png_const_charp msg) {
    PngErrorSink *sink = png_get_error_ptr(png);
    snprintf(sink->msg, sizeof sink->msg, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void png_warning_ignored(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
    if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

int image_write_png(const char *path, const Image8 *img, char *err, size_t errlen) {
    static const int color_type[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                      PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (!img || img->channels < 1 || img->channels > 4 || img->width <= 0 || img->height <= 0) {
        set_err(err, errlen, "%s: invalid image%s", path, "");
        return -1;
    }
    /* whole or absent: a temporary file renamed at the end (atomic_file.h) */
    AtomicFile out;
    FILE *fp = atomic_open(&out, path, err, errlen);
    if (!fp) return -1;
    PngErrorSink sink = {{0}};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, png_error_to_sink, png_warning_ignored);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        atomic_abort(&out);
        set_err(err, errlen, "%s: %s", path, "out of memory in libpng");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        atomic_abort(&out);
        set_err(err, errlen, "%s: %s", path, sink.msg);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 color_type[img->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    rows = xmalloc((size_t)img->height * sizeof *rows);
    size_t stride = (size_t)img->width * (size_t)img->channels;
    for (int y = 0; y < img->height; y++) rows[y] = img->pixels + (size_t)y * stride;
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    return atomic_commit(&out, err, errlen);
}

Image8 *image_read_png(const char *path, char *err, size_t errlen) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char sig[8];
    size_t got = fread(sig, 1, sizeof sig, fp);
    if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
        fclose(fp);
        set_err(err, errlen, "%s: %s", path, "not a PNG file (bad signature)");
        return NULL;
    }
    PngErrorSink sink = {{0}};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, png_error_to_sink, png_warning_ignored);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    Image8 *volatile img = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        set_err(err, errlen, "%s: %s", path, "out of memory in libpng");
        return NULL;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        image8_free(img);
        fclose(fp);
        set_err(err, errlen, "%s: corrupt or truncated PNG (%s)", path, sink.msg);
        return NULL;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, sizeof sig);
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_read_info(png, info);

    /* Normalise every variant to 8-bit grey / grey+alpha / RGB / RGBA. */
    int bit_depth = png_get_bit_depth(png, info);
    int ctype = png_get_color_type(png, info);
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int width = (int)png_get_image_width(png, info);
    int height = (int)png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    size_t stride = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || stride != (size_t)width * (size_t)channels ||
        stride * (size_t)height > PNG_MAX_BYTES)
        png_error(png, "unsupported layout or too large");
    img = image8_new(width, height, channels);
    rows = xmalloc((size_t)height * sizeof *rows);
    for (int y = 0; y < height; y++) rows[y] = img->pixels + (size_t)y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    Image8 *result = img;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    fclose(fp);
    return result;
}
