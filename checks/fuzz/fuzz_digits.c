/* Fuzz target: the 8x8 digits reader (common/data_digits.c): a gzip-compressed CSV. The first
   byte chooses gzip (odd: the reader's normal input) or plain (must be rejected). */
#include <stdint.h>

#include "checks/fuzz/fuzz_util.h"
#include "common/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *path = fuzz_file("digits", data + 1, size - 1, data[0] & 1);
    if (!path) return 0;
    char err[256];
    ImageSet s = {0};
    if (digits_load(path, &s, err, sizeof err) == 0) imageset_free(&s);
    remove(path);
    return 0;
}
