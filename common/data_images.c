/* data_images — the ImageSet type's helpers and the error helpers of data_private.h: the bottom
   layer of the image-data module. The dependencies run one way:
       data_sets.c (named datasets)  ->  data_digits.c, data_idx.c (file formats)  ->  data_images.c
   so nothing here calls a loader. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/data.h"
#include "common/data_private.h"
#include "common/util.h"

int data_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *data_gz_message(gzFile f, const char *path, int *zerr) {
    const char *msg = gzerror(f, zerr);
    if (!msg) return "";
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
    return msg;
}

void imageset_free(ImageSet *s) {
    if (!s) return;
    free(s->pixels);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

size_t imageset_dim(const ImageSet *s) { return (size_t)s->height * (size_t)s->width; }

void imageset_image_float(const ImageSet *s, int i, float *out) {
    if (i < 0 || i >= s->n) die("imageset_image_float: image %d of %d", i, s->n);
    size_t d = imageset_dim(s);
    const uint8_t *p = s->pixels + (size_t)i * d;
    float scale = 1.0f / (float)s->max_value;
    for (size_t j = 0; j < d; j++) out[j] = (float)p[j] * scale;
}

float *imageset_to_float(const ImageSet *s) {
    size_t d = imageset_dim(s);
    float *x = xmalloc((size_t)s->n * d * sizeof *x);
    for (int i = 0; i < s->n; i++) imageset_image_float(s, i, x + (size_t)i * d);
    return x;
}

void imageset_label_histogram(const ImageSet *s, int *hist) {
    for (int c = 0; c < s->n_classes; c++) hist[c] = 0;
    if (!s->labels) return;
    for (int i = 0; i < s->n; i++) hist[s->labels[i]]++;
}
