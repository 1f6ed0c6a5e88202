/* Fuzz target: the weights file reader (nn_params_load, common/nn_params_io.c) for a small MLP.
   A random file stops at the length or checksum test, so when the first byte is odd the target
   first makes the input self-consistent (the length field set, the FNV-1a checksum appended):
   that way the structure parser behind the checksum is fuzzed too. */
#include <stdint.h>
#include <string.h>

#include "checks/fuzz/fuzz_util.h"
#include "common/nn.h"
#include "common/rng.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    uint8_t *file = xmalloc(n + 8 + 24);
    memcpy(file, body, n);
    if ((data[0] & 1) && n >= 24) {
        uint64_t total = (uint64_t)n + 8;
        for (int i = 0; i < 8; i++) file[16 + i] = (uint8_t)(total >> (8 * i));
        unsigned long long h = nn_fnv1a64(file, n);
        for (int i = 0; i < 8; i++) file[n + i] = (uint8_t)(h >> (8 * i));
        n += 8;
    }
    const char *path = fuzz_file("params", file, n, 0);
    free(file);
    if (!path) return 0;
    Rng rng;
    rng_init(&rng, 1, 0);
    NnMlp mlp;
    nn_mlp_init(&mlp, 2, (int[]){2, 3, 1}, NN_ACT_TANH, (data[0] & 2) ? AD_F64 : AD_F32, &rng);
    NnParams params;
    nn_params_init(&params);
    nn_mlp_params(&mlp, "net", &params);
    char err[256];
    nn_params_load(path, &params, err, sizeof err);
    nn_params_free(&params);
    nn_mlp_free(&mlp);
    remove(path);
    return 0;
}
