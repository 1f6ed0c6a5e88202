/* Unit tests of common/minibatch.h: batch counts against the formula, every epoch a permutation,
   replayable by (seed, epoch), the scaling to [-1, 1] exact at the ends. */
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/minibatch.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the shuffled mini-batches", 5, NULL);
    /* counts: 60000/128 = 468.75 -> 469 batches, 468*128 = 59904, last 96 */
    check_close("common.minibatch.count_60000", minibatch_count(60000, 128), 469, 0, NULL, "ceil(60000/128)");
    check_close("common.minibatch.last_60000", minibatch_size(60000, 128, 468), 96, 0, NULL, "60000 - 468*128");
    check_close("common.minibatch.count_exact", minibatch_count(256, 128), 2, 0, NULL, "256/128, no short batch");
    check_close("common.minibatch.last_exact", minibatch_size(256, 128, 1), 128, 0, NULL, "a full last batch");
    check_close("common.minibatch.out_of_range", minibatch_size(256, 128, 2), 0, 0, NULL, "batch 2 of 2 does not exist");
    long total = 0;
    for (int k = 0; k < minibatch_count(1001, 7); k++) total += minibatch_size(1001, 7, k);
    check_close("common.minibatch.sizes_sum", (double)total, 1001, 0, NULL, "the batch sizes of 1001/7 add up to n");

    enum { N = 1000 };
    int *a = xmalloc(sizeof(int) * N), *b = xmalloc(sizeof(int) * N), *seen = xcalloc(N, sizeof(int));
    minibatch_epoch_order(cli.seed, 3, N, a);
    int dup = 0;
    for (int i = 0; i < N; i++) dup += seen[a[i]]++ != 0;
    check_true("common.minibatch.permutation", dup == 0, "epoch 3 visits each of %d items exactly once", N);
    minibatch_epoch_order(cli.seed, 3, N, b);
    check_true("common.minibatch.replay", memcmp(a, b, sizeof(int) * N) == 0, "(seed, epoch 3) gives the same order twice");
    minibatch_epoch_order(cli.seed, 4, N, b);
    check_true("common.minibatch.epochs_differ", memcmp(a, b, sizeof(int) * N) != 0, "epoch 4 has another order");

    /* scaling: a 1x3 set with pixels 0, 128, 255 */
    uint8_t px[3] = {0, 128, 255};
    ImageSet s = {.n = 3, .height = 1, .width = 1, .pixels = px, .max_value = 255};
    const int idx[3] = {2, 0, 1};
    float out[3];
    minibatch_gather(&s, idx, 3, out);
    check_close("common.minibatch.scale_max", out[0], 1.0, 0, "common.minibatch.scale", "pixel 255 -> exactly 1");
    check_close("common.minibatch.scale_min", out[1], -1.0, 0, "common.minibatch.scale", "pixel 0 -> exactly -1");
    check_close("common.minibatch.scale_mid", out[2], 1.0 / 255.0, 1e-7, "common.minibatch.scale", "pixel 128 -> 2*128/255 - 1 = 1/255");
    free(a), free(b), free(seen);
    return check_end();
}
