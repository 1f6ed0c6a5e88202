/* Unit tests of common/digit_classifier.h (and the max-pool op it added to ad.h): max pooling
   against a hand example and a finite-difference gradient check, the classifier's shapes and
   probabilities, training on the 8x8 digits (loss falls, held-out accuracy well above chance),
   bitwise determinism for 1 and 2 threads, and the parameter file (round trip, a file for another
   image side is refused). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/digit_classifier.h"
#include "common/parallel.h"
#include "common/util.h"

typedef struct {
    double r[2 * 3 * 2 * 2];
} PoolCtx;

static AdTensor *pool_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)np;
    PoolCtx *c = vctx;
    AdTensor *y = ad_max_pool2d(arena, p[0], 2);
    AdTensor *r = ad_from_doubles(arena, AD_F64, 4, y->shape, c->r);
    return ad_sum(arena, ad_mul(arena, y, r));
}

static void test_max_pool(void) {
    /* one 4x4 plane: windows {1,5,2,0}, {3,-1,7,4}, {-2,-3,-8,-4}, {6,6,0,1} */
    const double v[16] = {1, 5, 3, -1, 2, 0, 7, 4, -2, -3, 6, 6, -8, -4, 0, 1};
    int shape[4] = {1, 1, 4, 4};
    AdArena *arena = ad_arena_new(1 << 16);
    AdTensor *x = ad_param_new(AD_F64, 4, shape);
    for (int i = 0; i < 16; i++) ad_set(x, i, v[i]);
    AdTensor *y = ad_max_pool2d(arena, x, 2);
    const double want[4] = {5, 7, -2, 6};
    double err = 0;
    for (int i = 0; i < 4; i++) err = fmax(err, fabs(ad_get(y, i) - want[i]));
    check_close("unit.digit.maxpool_values", err, 0, 0, NULL, "2x2 max pool of a hand-made plane");
    /* the tie 6, 6 sends the gradient to the first one (index 10) */
    ad_backward(arena, ad_sum(arena, y));
    double g10 = ad_grad_get(x, 10), g11 = ad_grad_get(x, 11), g1 = ad_grad_get(x, 1);
    check_true("unit.digit.maxpool_tie", g10 == 1 && g11 == 0 && g1 == 1,
               "gradient of sum(maxpool): 1 at each window's first maximum, 0 elsewhere");
    ad_tensor_free(x);
    ad_arena_free(arena);

    /* finite differences on random (tie-free) values */
    Rng r;
    rng_init(&r, 5, 1);
    int s2[4] = {2, 3, 4, 4};
    AdTensor *p = ad_param_new(AD_F64, 4, s2);
    for (long i = 0; i < p->size; i++) ad_set(p, i, rng_normal(&r));
    PoolCtx c;
    for (int i = 0; i < 24; i++) c.r[i] = rng_normal(&r);
    double gerr = ad_gradcheck(pool_loss, &p, 1, &c, 1e-6);
    check_le("unit.digit.maxpool_gradcheck", gerr, 1e-8, 0, NULL,
             "max pool gradient vs central differences (double)");
    ad_tensor_free(p);
}

static int same_doubles(const double *a, const double *b, size_t n) {
    return memcmp(a, b, n * sizeof *a) == 0;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the digit classifier", 36, NULL);
    test_max_pool();

    ImageSet set;
    char err[256];
    if (dataset_load(cli.data_dir, "digits", &set, err, sizeof err) != 0) {
        fprintf(stderr, "test_digit_classifier: %s\n", err);
        return 2;
    }
    const int n_test = digit_test_count(set.n), n_train = set.n - n_test;
    float *xtr = digit_images_pm1(&set, 0, n_train), *xte = digit_images_pm1(&set, n_train, n_test);
    const uint8_t *lte = set.labels + n_train;

    DigitClassifier m;
    digit_classifier_init(&m, 8, 7);
    long want_params = 32 * 9 + 32 + 64 * 32 * 9 + 64 + 256 * 256 + 256 + 256 * 10 + 10;
    check_close("unit.digit.param_count", (double)nn_params_numel(&m.params), (double)want_params, 0,
                NULL, "parameters of the 8x8 classifier (conv 1-32-64, dense 256-256, head 256-10)");

    /* probabilities are a distribution; features have the documented width */
    const int ne = 50;
    double *feat = xmalloc((size_t)ne * DIGIT_FEATURES * sizeof *feat);
    double *probs = xmalloc((size_t)ne * DIGIT_CLASSES * sizeof *probs);
    digit_classifier_eval(&m, xte, ne, feat, probs);
    double worst = 0;
    for (int i = 0; i < ne; i++) {
        double s = 0;
        for (int k = 0; k < DIGIT_CLASSES; k++) s += probs[i * DIGIT_CLASSES + k];
        worst = fmax(worst, fabs(s - 1));
    }
    check_le("unit.digit.probs_sum", worst, 1e-12, 0, NULL, "each row of probabilities sums to 1");

    /* training: 1 thread, then the same with 2 threads, bitwise equal */
    DigitTrainConfig cfg = digit_train_config(8, SCALE_QUICK, 11);
    cfg.verbose = 0;
    cfg.epochs = 6;
    par_set_threads(1);
    double first = 0, last = digit_classifier_train(&m, xtr, set.labels, n_train, &cfg, &first);
    check_le("unit.digit.loss_falls", last, 0.5 * first, 0, NULL,
             "mean cross-entropy of the last tenth of the steps at most half the first tenth's (6 epochs, 8x8 digits)");
    double acc = digit_classifier_accuracy(&m, xte, lte, n_test);
    check_ge("unit.digit.accuracy", acc, 0.90, 0, NULL,
             "held-out accuracy on the last %d 8x8 digits after 6 epochs (chance: 0.1)", n_test);
    double *feat1 = xmalloc((size_t)ne * DIGIT_FEATURES * sizeof *feat1);
    digit_classifier_eval(&m, xte, ne, feat1, NULL);

    DigitClassifier m2;
    digit_classifier_init(&m2, 8, 7);
    par_set_threads(2);
    digit_classifier_train(&m2, xtr, set.labels, n_train, &cfg, NULL);
    double *feat2 = xmalloc((size_t)ne * DIGIT_FEATURES * sizeof *feat2);
    digit_classifier_eval(&m2, xte, ne, feat2, NULL);
    check_true("unit.digit.threads_deterministic",
               same_doubles(feat1, feat2, (size_t)ne * DIGIT_FEATURES),
               "features after training with 1 and with 2 threads are bitwise equal");
    digit_classifier_free(&m2);

    /* parameter file round trip; a 28x28 model refuses the 8x8 file and stays unchanged */
    const char *path = cli_out_path(&cli, "clf.bin");
    mkdir_p(cli.out_dir);
    int saved = digit_classifier_save(&m, path, err, sizeof err) == NN_IO_OK;
    DigitClassifier m3;
    digit_classifier_init(&m3, 8, 99);
    int loaded = digit_classifier_load(&m3, path, err, sizeof err) == NN_IO_OK;
    digit_classifier_eval(&m3, xte, ne, feat2, NULL);
    check_true("unit.digit.file_round_trip",
               saved && loaded && same_doubles(feat1, feat2, (size_t)ne * DIGIT_FEATURES),
               "save, load into a differently initialised model: bitwise equal features");
    digit_classifier_free(&m3);
    DigitClassifier big;
    digit_classifier_init(&big, 28, 1);
    NnIoStatus st = digit_classifier_load(&big, path, err, sizeof err);
    check_true("unit.digit.file_mismatch", st == NN_IO_ERR_MISMATCH,
               "a 28x28 classifier refuses the 8x8 file (%s)", err);
    digit_classifier_free(&big);

    char pbuf[1200];
    Cli c2 = cli;
    c2.program = "lectures/36_ddpm/24_eval_recon_and_steps";
    snprintf(c2.out_dir, sizeof c2.out_dir, "out/36_ddpm/24_eval_recon_and_steps");
    c2.scale = SCALE_DEFAULT;
    check_true("unit.digit.path", strcmp(digit_classifier_path(&c2, "mnist", pbuf, sizeof pbuf),
                                         "out/36_ddpm/23_fid_inception_score/classifier-mnist.bin") == 0,
               "the shared classifier path from another program's out directory: %s", pbuf);

    snprintf(c2.out_dir, sizeof c2.out_dir, "/tmp/mine");
    check_true("unit.digit.path_custom", strcmp(digit_classifier_path(&c2, "digits", pbuf, sizeof pbuf),
                                                "/tmp/mine/classifier-digits.bin") == 0,
               "with a custom --out the program's own directory: %s", pbuf);

    free(feat), free(feat1), free(feat2), free(probs), free(xtr), free(xte);
    digit_classifier_free(&m);
    imageset_free(&set);
    return check_end();
}
