/* nn_params_io — saving and loading a model's parameters (format in nn.h).

   Loading reads the whole file into memory and validates it in an order chosen so that each
   kind of damage gets its own message: magic, version, the length recorded in the header
   (truncation), the checksum (changed bytes), the structure, and finally the match with the
   model. Nothing is written into the model until every test has passed. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nn.h"
#include "common/atomic_file.h"
#include "common/util.h"

#define NN_MAGIC "GMCNNPAR"
#define NN_MAGIC_LEN 8
#define NN_FORMAT_VERSION 1u
#define NN_HEADER_LEN 24   /* magic, version, count, total length */
#define NN_CHECKSUM_LEN 8
#define NN_NAME_LEN_MAX 1024u

static NnIoStatus fail(NnIoStatus status, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static NnIoStatus fail(NnIoStatus status, char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

//: FNV-1a: $h_0 = 14695981039346656037$, $h_{i+1} = (h_i \oplus b_i)\cdot 1099511628211 \bmod 2^{64}$
NnIoStatus nn_params_verify(const char *path, char *err, size_t errlen) {
    return nn_params_load(path, NULL, err, errlen);
}

unsigned long long nn_fnv1a64(const void *data, size_t n) {
    const unsigned char *b = data;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return (unsigned long long)h;
}

/* ---- a growable little-endian byte buffer ---- */
typedef struct {
    unsigned char *b;
    size_t n, cap;
} Buf;

static void buf_put(Buf *w, const void *src, size_t n) {
    if (w->n + n > w->cap) {
        while (w->n + n > w->cap) w->cap = w->cap ? 2 * w->cap : 4096;
        w->b = xrealloc(w->b, w->cap);
    }
    memcpy(w->b + w->n, src, n);
    w->n += n;
}

static void buf_u32(Buf *w, uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    buf_put(w, b, 4);
}

static void buf_u64(Buf *w, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    buf_put(w, b, 8);
}

static void set_u64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *b) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static uint64_t get_u64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

NnIoStatus nn_params_save(const char *path, const NnParams *params, char *err, size_t errlen) {
    Buf w = {0};
    buf_put(&w, NN_MAGIC, NN_MAGIC_LEN);
    buf_u32(&w, NN_FORMAT_VERSION);
    buf_u32(&w, (uint32_t)params->n);
    buf_u64(&w, 0); /* total length, patched below */
    for (int i = 0; i < params->n; i++) {
        const AdTensor *t = params->t[i];
        uint32_t name_len = (uint32_t)strlen(params->name[i]);
        buf_u32(&w, name_len);
        buf_put(&w, params->name[i], name_len);
        buf_u32(&w, t->dtype == AD_F64 ? 1u : 0u);
        buf_u32(&w, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) buf_u32(&w, (uint32_t)t->shape[d]);
        for (long j = 0; j < t->size; j++) {
            if (t->dtype == AD_F64) {
                uint64_t bits;
                double v = ((const double *)t->data)[j];
                memcpy(&bits, &v, 8);
                buf_u64(&w, bits);
            } else {
                uint32_t bits;
                float v = ((const float *)t->data)[j];
                memcpy(&bits, &v, 4);
                buf_u32(&w, bits);
            }
        }
    }
    set_u64(w.b + 16, (uint64_t)w.n + NN_CHECKSUM_LEN);
    buf_u64(&w, nn_fnv1a64(w.b, w.n));

    /* whole or absent (atomic_file.h): readers see the old file or the new one */
    NnIoStatus status = NN_IO_OK;
    AtomicFile out;
    char why[600];
    FILE *f = atomic_open(&out, path, why, sizeof why);
    if (!f) {
        status = fail(NN_IO_ERR_WRITE, err, errlen, "%s", why);
    } else if (fwrite(w.b, 1, w.n, f) != w.n) {
        status = fail(NN_IO_ERR_WRITE, err, errlen, "cannot write %s: %s", path, strerror(errno));
        atomic_abort(&out);
    } else if (atomic_commit(&out, why, sizeof why) != 0) {
        status = fail(NN_IO_ERR_WRITE, err, errlen, "%s", why);
    }
    free(w.b);
    return status;
}

/* Reads a whole file; returns NULL (errno set) on failure. */
static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = xmalloc(cap);
    for (;;) {
        if (len == cap) b = xrealloc(b, cap *= 2);
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        errno = EIO;
        return NULL;
    }
    *n = len;
    return b;
}

static const char *shape_text(char *buf, size_t len, int ndim, const uint32_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "(");
    for (int d = 0; d < ndim && k < len; d++)
        k += (size_t)snprintf(buf + k, len - k, d ? ",%u" : "%u", shape[d]);
    if (k < len) snprintf(buf + k, len - k, ")");
    return buf;
}

/* One tensor record as found in the file. */
typedef struct {
    size_t name_off, data_off;
    uint32_t name_len, dtype, ndim, shape[AD_MAX_DIM];
} Record;

NnIoStatus nn_params_load(const char *path, NnParams *params, char *err, size_t errlen) {
    size_t n = 0;
    unsigned char *b = read_file(path, &n);
    if (!b) return fail(NN_IO_ERR_OPEN, err, errlen, "cannot open %s: %s", path, strerror(errno));
    NnIoStatus status = NN_IO_OK;
    Record *rec = NULL;

    /* magic first: a short file that starts like ours is truncated, anything else is not ours */
    size_t cmp = n < NN_MAGIC_LEN ? n : NN_MAGIC_LEN;
    if (memcmp(b, NN_MAGIC, cmp) != 0) {
        status = fail(NN_IO_ERR_MAGIC, err, errlen, "%s: not a parameter file (bad magic bytes)",
                      path);
        goto done;
    }
    if (n < NN_HEADER_LEN + NN_CHECKSUM_LEN) {
        status = fail(NN_IO_ERR_TRUNCATED, err, errlen,
                      "%s: truncated file (%zu bytes, shorter than the header)", path, n);
        goto done;
    }
    uint32_t version = get_u32(b + 8);
    if (version != NN_FORMAT_VERSION) {
        status = fail(NN_IO_ERR_VERSION, err, errlen,
                      "%s: unsupported format version %u (this code reads version %u)", path,
                      version, NN_FORMAT_VERSION);
        goto done;
    }
    uint32_t count = get_u32(b + 12);
    uint64_t total = get_u64(b + 16);
    if (total != n) {
        status = fail(total > n ? NN_IO_ERR_TRUNCATED : NN_IO_ERR_CORRUPT, err, errlen,
                      total > n ? "%s: truncated file (%zu bytes, header says %llu)"
                                : "%s: %zu bytes but the header says %llu (trailing data)",
                      path, n, (unsigned long long)total);
        goto done;
    }
    uint64_t stored = get_u64(b + n - NN_CHECKSUM_LEN);
    uint64_t actual = nn_fnv1a64(b, n - NN_CHECKSUM_LEN);
    if (stored != actual) {
        status = fail(NN_IO_ERR_CHECKSUM, err, errlen,
                      "%s: checksum mismatch (stored %016llx, computed %016llx): the file is "
                      "damaged",
                      path, (unsigned long long)stored, (unsigned long long)actual);
        goto done;
    }

    /* structure (every read bounds-checked against the end of the records) */
    size_t end = n - NN_CHECKSUM_LEN, pos = NN_HEADER_LEN;
    if (count > end) { /* each record takes at least 12 bytes: a cheap bound before malloc */
        status = fail(NN_IO_ERR_CORRUPT, err, errlen, "%s: implausible tensor count %u", path,
                      count);
        goto done;
    }
    rec = xcalloc(count ? count : 1, sizeof *rec);
    for (uint32_t i = 0; i < count; i++) {
        Record *r = &rec[i];
#define NEED(bytes)                                                                            \
    do {                                                                                       \
        if ((uint64_t)(bytes) > (uint64_t)(end - pos)) {                                       \
            status = fail(NN_IO_ERR_CORRUPT, err, errlen,                                      \
                          "%s: tensor %u runs past the end of the file", path, i);             \
            goto done;                                                                         \
        }                                                                                      \
    } while (0)
        NEED(4);
        r->name_len = get_u32(b + pos);
        pos += 4;
        if (r->name_len == 0 || r->name_len > NN_NAME_LEN_MAX) {
            status = fail(NN_IO_ERR_CORRUPT, err, errlen, "%s: tensor %u: bad name length %u",
                          path, i, r->name_len);
            goto done;
        }
        NEED(r->name_len);
        r->name_off = pos;
        pos += r->name_len;
        NEED(8);
        r->dtype = get_u32(b + pos);
        r->ndim = get_u32(b + pos + 4);
        pos += 8;
        if (r->dtype > 1 || r->ndim > AD_MAX_DIM) {
            status = fail(NN_IO_ERR_CORRUPT, err, errlen,
                          "%s: tensor %u: bad dtype %u or ndim %u", path, i, r->dtype, r->ndim);
            goto done;
        }
        NEED(4 * r->ndim);
        uint64_t size = 1;
        for (uint32_t d = 0; d < r->ndim; d++) {
            r->shape[d] = get_u32(b + pos + 4 * d);
            size *= r->shape[d];
            if (size > end) size = end + 1; /* saturate: cannot fit, reported below */
        }
        pos += 4 * r->ndim;
        NEED(size * (r->dtype ? 8 : 4));
        r->data_off = pos;
        pos += size * (r->dtype ? 8 : 4);
#undef NEED
    }
    if (pos != end) {
        status = fail(NN_IO_ERR_CORRUPT, err, errlen, "%s: %zu unexplained bytes after the tensors",
                      path, end - pos);
        goto done;
    }

    /* a whole, well-formed file: that is all nn_params_verify asks */
    if (!params) goto done;

    /* match with the model, in order */
    if ((int64_t)count != params->n) {
        status = fail(NN_IO_ERR_MISMATCH, err, errlen, "%s: %u tensors in the file, %d in the model",
                      path, count, params->n);
        goto done;
    }
    for (uint32_t i = 0; i < count; i++) {
        const Record *r = &rec[i];
        const AdTensor *t = params->t[i];
        const char *want = params->name[i];
        if (strlen(want) != r->name_len || memcmp(want, b + r->name_off, r->name_len) != 0) {
            status = fail(NN_IO_ERR_MISMATCH, err, errlen,
                          "%s: tensor %u is '%.*s' in the file but '%s' in the model", path, i,
                          (int)(r->name_len > 200 ? 200 : r->name_len),
                          (const char *)b + r->name_off, want);
            goto done;
        }
        int same = (int)r->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = r->shape[d] == (uint32_t)t->shape[d];
        if (!same) {
            char fs[96], ms[96];
            uint32_t model_shape[AD_MAX_DIM];
            for (int d = 0; d < t->ndim; d++) model_shape[d] = (uint32_t)t->shape[d];
            status = fail(NN_IO_ERR_MISMATCH, err, errlen,
                          "%s: shape mismatch for '%s': file %s, model %s", path, want,
                          shape_text(fs, sizeof fs, (int)r->ndim, r->shape),
                          shape_text(ms, sizeof ms, t->ndim, model_shape));
            goto done;
        }
    }

    /* all valid: copy the values, converting the dtype where they differ */
    for (uint32_t i = 0; i < count; i++) {
        const Record *r = &rec[i];
        AdTensor *t = params->t[i];
        const unsigned char *src = b + r->data_off;
        for (long j = 0; j < t->size; j++) {
            double v;
            if (r->dtype == 1) {
                uint64_t bits = get_u64(src + 8 * j);
                memcpy(&v, &bits, 8);
            } else {
                uint32_t bits = get_u32(src + 4 * j);
                float f;
                memcpy(&f, &bits, 4);
                v = f;
            }
            if (t->dtype == AD_F64)
                ((double *)t->data)[j] = v;
            else
                ((float *)t->data)[j] = (float)v;
        }
    }
    if (err && errlen) err[0] = '\0';

done:
    free(rec);
    free(b);
    return status;
}
