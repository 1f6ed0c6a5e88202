/* The 8x8 digits split into a training and a held-out part, as lecture 42 uses them (introduced
   in L42 4.2, lectures/42_unified/03_vae_beta_vae.c): pixels as floats in [0, 1], the first
   1500 images for training, the last DIGITS_N_TEST = 297 held out. (common/digit_classifier's
   own split holds out one fifth.) */
#ifndef COMMON_DIGITS_SPLIT_H
#define COMMON_DIGITS_SPLIT_H

#include "common/data.h"

#define DIGITS_N_TEST 297

typedef struct {
    ImageSet set;        /* the loaded images; set.labels in the same order */
    float *all;          /* set.n x dim floats in [0, 1] (owned) */
    float *train, *test; /* views into all: n_train x dim, then n_test x dim */
    int n_train, n_test, dim;
} DigitsSplit;

/* Loads the digits from data_dir (see dataset_load_or_digits). The digits loader accepts only
   1797 labelled 8x8 images, so every caller can rely on that; when even they cannot be loaded,
   prints the reason and exits with status 2. */
void digits_split_load(const char *data_dir, DigitsSplit *d);
void digits_split_free(DigitsSplit *d);

#endif
