/* Fuzz target: the PNG reader (image_read_png, common/image_png.c; libpng behind it). */
#include <stdint.h>

#include "checks/fuzz/fuzz_util.h"
#include "common/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("png", data, size, 0);
    if (!path) return 0;
    char err[256];
    Image8 *img = image_read_png(path, err, sizeof err);
    image8_free(img);
    remove(path);
    return 0;
}
