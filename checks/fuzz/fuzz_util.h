/* What the fuzz targets share. Each target (fuzz_<name>.c) defines LLVMFuzzerTestOneInput; the
   parsers it exercises read files, so the input is written to a private temporary file first.
   The same sources are compiled two ways: with clang's libFuzzer by `make fuzz`, and into
   checks/unit/test_fuzz_replay (any compiler) that feeds them the committed corpus in make check. */
#ifndef CHECKS_FUZZ_UTIL_H
#define CHECKS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* Writes data to /tmp/fuzz.<tag>.<pid> (gzip-compressed when gz != 0); returns the path
   (static per tag slot) or NULL. */
static inline const char *fuzz_file(const char *tag, const uint8_t *data, size_t size, int gz) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/fuzz.%s.%ld%s", tag, (long)getpid(), gz ? ".gz" : "");
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g) return NULL;
        if (size) gzwrite(g, data, (unsigned)size);
        gzclose(g);
        return path;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    return path;
}

#endif
