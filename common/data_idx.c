/* data_idx — IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number, one big-endian 32-bit size per dimension, then the data
in row-major order. The magic's bytes are 0, 0, the element type (0x08: unsigned byte) and the
number of dimensions; so images are 0x00000803 (n, rows, cols) and labels 0x00000801 (n).

zlib's gz functions read a gzip-compressed file and a plain one alike. The loader trusts nothing
in the header: the sizes are bounded before anything is allocated, the buffer then grows only as
data actually arrives (a header that lies about a huge size costs no memory), and the file must
end exactly where the header says: a missing byte, an extra byte or a damaged gzip stream
(zlib checks its CRC at the end) is an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/data.h"
#include "common/data_private.h"
#include "common/util.h"

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
/* 8 GiB of pixels: beyond any dataset of this course, and far from size_t's limits. */
#define IDX_MAX_BYTES ((size_t)1 << 33)

/* zlib's message, or "unexpected end of file" when zlib saw no error (a short plain file). */
static const char *gz_message(gzFile f, const char *path) {
    int zerr;
    const char *msg = data_gz_message(f, path, &zerr);
    return (zerr == Z_OK || !*msg) ? "unexpected end of file" : msg;
}

/* The header: magic and `ndims` sizes. */
static int read_header(gzFile f, const char *path, uint32_t want_magic, int ndims, uint32_t *dims,
                       char *err, size_t errlen) {
    uint8_t h[16];
    int need = 4 * (1 + ndims);
    int got = gzread(f, h, 4);
    if (got < 0) return data_fail(err, errlen, "%s: read error: %s", path, gz_message(f, path));
    if (got < 4)
        return data_fail(err, errlen, "%s: only %d bytes, too short for an IDX header", path, got);
    uint32_t be[4];
    be[0] = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | (uint32_t)h[3];
    if (be[0] != want_magic)
        return data_fail(err, errlen,
                         "%s: magic number 0x%08x, expected 0x%08x (IDX %s: unsigned bytes, %d "
                         "dimension%s)",
                         path, (unsigned)be[0], (unsigned)want_magic,
                         ndims == 3 ? "images" : "labels", ndims, ndims == 1 ? "" : "s");
    got = gzread(f, h + 4, (unsigned)(need - 4));
    if (got < 0) return data_fail(err, errlen, "%s: read error: %s", path, gz_message(f, path));
    if (got < need - 4)
        return data_fail(err, errlen, "%s: only %d bytes, too short for an IDX header of %d", path,
                         got + 4, need);
    for (int k = 1; k <= ndims; k++)
        be[k] = (uint32_t)h[4 * k] << 24 | (uint32_t)h[4 * k + 1] << 16 |
                (uint32_t)h[4 * k + 2] << 8 | (uint32_t)h[4 * k + 3];
    for (int k = 0; k < ndims; k++) dims[k] = be[k + 1];
    return 0;
}

/* Exactly `size` data bytes, then the end of the file. *data: a new array. */
static int read_body(gzFile f, const char *path, size_t size, uint8_t **data, char *err,
                     size_t errlen) {
    size_t cap = size < ((size_t)1 << 20) ? size : ((size_t)1 << 20), got = 0;
    uint8_t *buf = xmalloc(cap);
    while (got < size) {
        if (got == cap) {
            cap = (size - cap < cap) ? size : 2 * cap;
            buf = xrealloc(buf, cap);
        }
        size_t want = cap - got;
        if (want > ((size_t)1 << 30)) want = (size_t)1 << 30;
        int r = gzread(f, buf + got, (unsigned)want);
        if (r < 0) {
            free(buf);
            return data_fail(err, errlen, "%s: read error after %zu of %zu data bytes: %s", path,
                             got, size, gz_message(f, path));
        }
        if (r == 0) {
            free(buf);
            return data_fail(err, errlen, "%s: truncated: %zu of %zu data bytes (%s)", path, got,
                             size, gz_message(f, path));
        }
        got += (size_t)r;
    }
    uint8_t extra[64];
    int r = gzread(f, extra, sizeof extra);
    int zerr;
    gzerror(f, &zerr);
    if (r != 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        free(buf);
        if (r > 0)
            return data_fail(err, errlen, "%s: trailing bytes after the %zu data bytes", path,
                             size);
        return data_fail(err, errlen, "%s: damaged after its %zu data bytes: %s", path, size,
                         gz_message(f, path));
    }
    *data = buf;
    return 0;
}

static gzFile open_idx(const char *path, char *err, size_t errlen) {
    gzFile f = gzopen(path, "rb");
    if (!f) data_fail(err, errlen, "%s: cannot open", path);
    return f;
}

int idx_load_images(const char *path, ImageSet *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    gzFile f = open_idx(path, err, errlen);
    if (!f) return -1;
    uint32_t d[3];
    if (read_header(f, path, IDX_MAGIC_IMAGES, 3, d, err, errlen) != 0) {
        gzclose(f);
        return -1;
    }
    if (d[0] < 1 || d[0] > IDX_MAX_IMAGES || d[1] < 1 || d[1] > IDX_MAX_SIDE || d[2] < 1 ||
        d[2] > IDX_MAX_SIDE || (size_t)d[0] * d[1] * d[2] > IDX_MAX_BYTES) {
        gzclose(f);
        return data_fail(err, errlen,
                         "%s: implausible sizes %u images of %ux%u (limits: 1..%d images, "
                         "1..%d pixels a side, %zu bytes)",
                         path, (unsigned)d[0], (unsigned)d[1], (unsigned)d[2], IDX_MAX_IMAGES,
                         IDX_MAX_SIDE, IDX_MAX_BYTES);
    }
    uint8_t *pixels;
    int rc = read_body(f, path, (size_t)d[0] * d[1] * d[2], &pixels, err, errlen);
    gzclose(f);
    if (rc != 0) return -1;
    out->n = (int)d[0];
    out->height = (int)d[1];
    out->width = (int)d[2];
    out->pixels = pixels;
    out->max_value = 255;
    return 0;
}

int idx_load_labels(const char *path, uint8_t **labels, int *n, char *err, size_t errlen) {
    *labels = NULL;
    *n = 0;
    gzFile f = open_idx(path, err, errlen);
    if (!f) return -1;
    uint32_t d[1];
    if (read_header(f, path, IDX_MAGIC_LABELS, 1, d, err, errlen) != 0) {
        gzclose(f);
        return -1;
    }
    if (d[0] < 1 || d[0] > IDX_MAX_IMAGES) {
        gzclose(f);
        return data_fail(err, errlen, "%s: implausible count of %u labels (limit: 1..%d)", path,
                         (unsigned)d[0], IDX_MAX_IMAGES);
    }
    int rc = read_body(f, path, d[0], labels, err, errlen);
    gzclose(f);
    if (rc != 0) return -1;
    *n = (int)d[0];
    return 0;
}

int idx_load(const char *images_path, const char *labels_path, ImageSet *out, char *err,
             size_t errlen) {
    if (idx_load_images(images_path, out, err, errlen) != 0) return -1;
    if (labels_path) {
        uint8_t *labels;
        int n;
        if (idx_load_labels(labels_path, &labels, &n, err, errlen) != 0) {
            imageset_free(out);
            return -1;
        }
        if (n != out->n) {
            int n_images = out->n;
            free(labels);
            imageset_free(out);
            return data_fail(err, errlen, "%s has %d images but %s has %d labels", images_path,
                             n_images, labels_path, n);
        }
        out->labels = labels;
        for (int i = 0; i < n; i++)
            if (labels[i] + 1 > out->n_classes) out->n_classes = labels[i] + 1;
    }
    return 0;
}
