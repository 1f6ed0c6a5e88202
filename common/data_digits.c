/* data_digits — the 8x8 handwritten digits from data/digits.csv.gz (see data/README.md).

The file is gzip-compressed text: 1797 lines, each 64 pixel counts (0..16, the number of "on"
pixels in a 4x4 block of the original 32x32 bitmap) and the label 0..9, comma-separated.
The parser accepts exactly that: unsigned decimal integers, one comma between fields, a line
ending "\n" or "\r\n" (the last may have none). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/data.h"
#include "common/data_private.h"
#include "common/util.h"

#define DIGITS_DIM (DIGITS_SIDE * DIGITS_SIDE)
#define DIGITS_COLS (DIGITS_DIM + 1)

/* Parse one line into pixels[64] and *label; 0 on success. */
static int parse_row(const char *line, int row, const char *path, uint8_t *pixels, uint8_t *label,
                     char *err, size_t errlen) {
    const char *p = line;
    int col = 0;
    for (;;) {
        if (*p < '0' || *p > '9')
            return data_fail(err, errlen, "%s: line %d, column %d: expected an unsigned integer",
                             path, row + 1, col + 1);
        int value = 0, digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 3)
                return data_fail(err, errlen, "%s: line %d, column %d: value out of range", path,
                                 row + 1, col + 1);
            value = value * 10 + (*p++ - '0');
        }
        if (col >= DIGITS_COLS)
            return data_fail(err, errlen, "%s: line %d has more than %d columns", path, row + 1,
                             DIGITS_COLS);
        if (col < DIGITS_DIM) {
            if (value > 16)
                return data_fail(err, errlen, "%s: line %d, column %d: pixel %d is outside 0..16",
                                 path, row + 1, col + 1, value);
            pixels[col] = (uint8_t)value;
        } else {
            if (value > 9)
                return data_fail(err, errlen, "%s: line %d: label %d is outside 0..9", path,
                                 row + 1, value);
            *label = (uint8_t)value;
        }
        col++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\r') p++;
        if (*p == '\n') p++;
        if (*p != '\0')
            return data_fail(err, errlen, "%s: line %d, column %d: unexpected character 0x%02x",
                             path, row + 1, col, (unsigned char)*p);
        break;
    }
    if (col != DIGITS_COLS)
        return data_fail(err, errlen, "%s: line %d has %d columns, expected %d", path, row + 1, col,
                         DIGITS_COLS);
    return 0;
}

int digits_load(const char *path, ImageSet *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    gzFile f = gzopen(path, "rb");
    if (!f) return data_fail(err, errlen, "%s: cannot open", path);
    /* Right after gzopen, gzdirect reads the header: 1 means the file is not gzip data. */
    if (gzdirect(f)) {
        gzclose(f);
        return data_fail(err, errlen, "%s: not a gzip-compressed file", path);
    }
    uint8_t *pixels = xmalloc((size_t)DIGITS_N * DIGITS_DIM);
    uint8_t *labels = xmalloc(DIGITS_N);
    char line[512];
    int rows = 0, status = 0;
    while (status == 0 && gzgets(f, line, sizeof line)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            /* No newline: the file's last line, a read error, a line too long or a NUL byte. */
            int zerr;
            const char *msg = data_gz_message(f, path, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                status =
                    data_fail(err, errlen, "%s: read error after %d lines: %s", path, rows, msg);
                break;
            }
            if (!gzeof(f) || len + 1 == sizeof line || len == 0) {
                status = data_fail(err, errlen, "%s: line %d is too long or holds a NUL byte", path,
                                   rows + 1);
                break;
            }
        }
        if (rows == DIGITS_N) {
            status = data_fail(err, errlen, "%s: more than %d lines", path, DIGITS_N);
            break;
        }
        status = parse_row(line, rows, path, pixels + (size_t)rows * DIGITS_DIM, labels + rows, err,
                           errlen);
        rows++;
    }
    if (status == 0) {
        int zerr;
        const char *msg = data_gz_message(f, path, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END)
            status = data_fail(err, errlen, "%s: read error after %d lines: %s", path, rows, msg);
        else if (rows != DIGITS_N)
            status = data_fail(err, errlen, "%s: %d lines, expected %d", path, rows, DIGITS_N);
    }
    gzclose(f);
    if (status != 0) {
        free(pixels);
        free(labels);
        return -1;
    }
    out->n = DIGITS_N;
    out->height = out->width = DIGITS_SIDE;
    out->pixels = pixels;
    out->labels = labels;
    out->max_value = 16;
    out->n_classes = 0;
    for (int i = 0; i < DIGITS_N; i++)
        if (labels[i] + 1 > out->n_classes) out->n_classes = labels[i] + 1;
    snprintf(out->name, sizeof out->name, "digits");
    return 0;
}
