/* Fuzz target: the IDX reader (common/data_idx.c), images and labels, plain and gzip. The first
   byte chooses gzip (odd) or plain; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>

#include "checks/fuzz/fuzz_util.h"
#include "common/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *path = fuzz_file("idx", data + 1, size - 1, data[0] & 1);
    if (!path) return 0;
    char err[256];
    ImageSet s = {0};
    if (idx_load_images(path, &s, err, sizeof err) == 0) imageset_free(&s);
    uint8_t *labels = NULL;
    int n = 0;
    if (idx_load_labels(path, &labels, &n, err, sizeof err) == 0) free(labels);
    remove(path);
    return 0;
}
