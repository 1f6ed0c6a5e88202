/* Unit tests of common/digits_split.h: the split's sizes add up to the digits' 1797 images, the
   two views are the consecutive parts of one float array, the floats are the loader's pixels
   over 16, and the labels stay in the images' order. */
#include <stdio.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/digits_split.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the digits' training / held-out split", 6, NULL);
    DigitsSplit d;
    digits_split_load(cli.data_dir, &d);
    check_true("unit.digits_split.sizes",
               d.n_train + d.n_test == DIGITS_N && d.n_test == DIGITS_N_TEST && d.n_train == 1500 && d.dim == 64,
               "%d training + %d held-out images of dimension %d (the digits: %d of 8x8)", d.n_train, d.n_test, d.dim,
               DIGITS_N);
    check_true("unit.digits_split.views", d.train == d.all && d.test == d.all + (size_t)d.n_train * d.dim,
               "train and test are the two consecutive parts of one array");
    /* every float is an integer level 0..16 over 16: compare with the loader's own pixels */
    long bad = 0;
    for (size_t i = 0; i < (size_t)d.set.n * d.dim; i++)
        bad += d.all[i] != (float)d.set.pixels[i] / (float)d.set.max_value || d.set.max_value != 16;
    check_true("unit.digits_split.pixels", bad == 0, "all = pixels / 16 (%ld mismatches)", bad);
    check_true("unit.digits_split.labels", d.set.labels != NULL, "the digits carry their labels");
    digits_split_free(&d);
    check_true("unit.digits_split.free", d.all == NULL && d.n_train == 0, "freeing clears the struct");
    return check_end();
}
