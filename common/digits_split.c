/* The 8x8 digits' training / held-out split (common/digits_split.h). */
#include "common/digits_split.h"

#include <stdio.h>
#include <stdlib.h>

void digits_split_load(const char *data_dir, DigitsSplit *d) {
    char note[512];
    if (dataset_load_or_digits(data_dir, "digits", &d->set, note, sizeof note) < 0) {
        fprintf(stderr, "%s\n", note);
        exit(2);
    }
    d->dim = (int)imageset_dim(&d->set);
    d->n_test = DIGITS_N_TEST;
    d->n_train = d->set.n - d->n_test;
    d->all = imageset_to_float(&d->set);
    d->train = d->all;
    d->test = d->all + (size_t)d->n_train * d->dim;
}

void digits_split_free(DigitsSplit *d) {
    free(d->all);
    imageset_free(&d->set);
    *d = (DigitsSplit){0};
}
