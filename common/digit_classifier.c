/* digit_classifier — see digit_classifier.h (L36 5.6: the FID feature extractor, trained). */
#include "common/digit_classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mathfn.h"
#include "common/optim.h"
#include "common/progress.h"
#include "common/rng.h"
#include "common/util.h"

#define EVAL_BATCH 200
#define MAX_BLOCKS 16

DigitTrainConfig digit_train_config(int side, Scale scale, uint64_t seed) {
    DigitTrainConfig c;
    /* Calibrated on this code (program 23 states the held-out accuracies): 28x28, one pass over
       the 8000 training digits in batches of 32 gives ~0.96 on MNIST in ~15 s of one core;
       --full makes 4 passes (~0.97-0.98); --quick one pass over 2000 (~0.89). The 8x8 digits
       are few (1438 to train on), so they get more passes. */
    int big = side >= 16;
    c.epochs = big ? (scale == SCALE_FULL ? 4 : 1) : (scale == SCALE_QUICK ? 4 : scale == SCALE_FULL ? 30 : 15);
    c.max_images = big && scale == SCALE_QUICK ? 2000 : 0;
    c.batch = 32;
    c.lr = 2e-3;
    c.seed = seed;
    c.verbose = 1;
    return c;
}

void digit_classifier_init(DigitClassifier *m, int side, uint64_t seed) {
    if (side < 4 || side % 4) die("digit_classifier_init: side %d is not a positive multiple of 4", side);
    memset(m, 0, sizeof *m);
    m->side = side;
    Rng r;
    rng_init(&r, seed, 0x636c66); /* "clf" */
    nn_conv2d_init(&m->conv1, 1, 32, 3, 1, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, &r);
    nn_conv2d_init(&m->conv2, 32, 64, 3, 1, 1, 1, AD_F32, NN_INIT_HE_UNIFORM, &r);
    int flat = 64 * (side / 4) * (side / 4);
    nn_linear_init(&m->dense, flat, DIGIT_FEATURES, 1, AD_F32, NN_INIT_GLOROT_UNIFORM, &r);
    nn_linear_init(&m->head, DIGIT_FEATURES, DIGIT_CLASSES, 1, AD_F32, NN_INIT_HE_UNIFORM, &r);
    nn_params_init(&m->params);
    nn_conv2d_params(&m->conv1, "clf.conv1", &m->params);
    nn_conv2d_params(&m->conv2, "clf.conv2", &m->params);
    nn_linear_params(&m->dense, "clf.dense", &m->params);
    nn_linear_params(&m->head, "clf.head", &m->params);
}

void digit_classifier_free(DigitClassifier *m) {
    nn_conv2d_free(&m->conv1);
    nn_conv2d_free(&m->conv2);
    nn_linear_free(&m->dense);
    nn_linear_free(&m->head);
    nn_params_free(&m->params);
    memset(m, 0, sizeof *m);
}

AdTensor *digit_classifier_forward(AdArena *arena, const DigitClassifier *m, AdTensor *x,
                                   AdTensor **features) {
    int n = x->shape[0];
    AdTensor *h = ad_max_pool2d(arena, ad_relu(arena, nn_conv2d_forward(arena, &m->conv1, x)), 2);
    h = ad_max_pool2d(arena, ad_relu(arena, nn_conv2d_forward(arena, &m->conv2, h)), 2);
    int flat[2] = {n, (int)(h->size / n)};
    AdTensor *f = nn_linear_forward(arena, &m->dense, ad_reshape(arena, h, 2, flat));
    if (features) *features = f;
    return nn_linear_forward(arena, &m->head, ad_relu(arena, f));
}

double digit_classifier_train(DigitClassifier *m, const float *x, const uint8_t *labels, int n,
                              const DigitTrainConfig *cfg, double *first_loss) {
    const int S = m->side, D = S * S, B = cfg->batch;
    if (cfg->max_images > 0 && n > cfg->max_images) n = cfg->max_images;
    const long steps_per_epoch = (n + B - 1) / B, total = steps_per_epoch * cfg->epochs;
    ParamBlock blocks[MAX_BLOCKS];
    int nb = nn_params_blocks(&m->params, blocks, MAX_BLOCKS);
    Optimizer *adam = optim_new(blocks, nb, optim_adam(cfg->lr, 0.9, 0.999, 1e-8, 0.0));
    AdArena *arena = ad_arena_new(1 << 20);
    int *perm = xmalloc((size_t)n * sizeof *perm), *lab = xmalloc((size_t)B * sizeof *lab);
    Progress prog;
    if (cfg->verbose) progress_start(&prog, "classifier", total);
    const long window = total / 10 > 0 ? total / 10 : 1;
    double head_sum = 0, tail_sum = 0;
    long step = 0;
    for (int e = 0; e < cfg->epochs; e++) {
        Rng r;
        rng_init(&r, cfg->seed, 0x5348554646ULL + (uint64_t)e); /* one stream per epoch */
        rng_permutation(&r, perm, n);
        for (int b0 = 0; b0 < n; b0 += B, step++) {
            int nbatch = n - b0 < B ? n - b0 : B;
            ad_arena_reset(arena);
            int shape[4] = {nbatch, 1, S, S};
            AdTensor *in = ad_input(arena, AD_F32, 4, shape);
            float *px = ad_f32(in);
            for (int i = 0; i < nbatch; i++) {
                memcpy(px + (size_t)i * D, x + (size_t)perm[b0 + i] * D, (size_t)D * sizeof *px);
                lab[i] = labels[perm[b0 + i]];
            }
            AdTensor *loss = ad_cross_entropy(arena, digit_classifier_forward(arena, m, in, NULL), lab);
            optim_set_lr(adam, lr_cosine_warmup(cfg->lr, cfg->lr / 20, 0, total, step));
            optim_zero_grad(adam);
            ad_backward(arena, loss);
            optim_step(adam);
            double l = ad_item(loss);
            if (!isfinite(l)) die("digit_classifier_train: loss %g at step %ld", l, step);
            if (step < window) head_sum += l;
            if (step >= total - window) tail_sum += l;
            if (cfg->verbose) progress_update_value(&prog, step + 1, "loss", l);
        }
    }
    if (first_loss) *first_loss = head_sum / window;
    if (cfg->verbose) progress_end(&prog);
    free(perm);
    free(lab);
    ad_arena_free(arena);
    optim_free(adam);
    return tail_sum / window;
}

/* A view of m whose weights are detached (no gradient buffers, no tape): inference only. */
static DigitClassifier detached_view(AdArena *arena, const DigitClassifier *m) {
    DigitClassifier v = *m;
    v.conv1.weight = ad_detach(arena, m->conv1.weight), v.conv1.bias = ad_detach(arena, m->conv1.bias);
    v.conv2.weight = ad_detach(arena, m->conv2.weight), v.conv2.bias = ad_detach(arena, m->conv2.bias);
    v.dense.weight = ad_detach(arena, m->dense.weight), v.dense.bias = ad_detach(arena, m->dense.bias);
    v.head.weight = ad_detach(arena, m->head.weight), v.head.bias = ad_detach(arena, m->head.bias);
    return v;
}

void digit_classifier_eval(const DigitClassifier *m, const float *x, int n, double *feat,
                           double *probs) {
    const int S = m->side, D = S * S;
    AdArena *arena = ad_arena_new(1 << 20);
    for (int b0 = 0; b0 < n; b0 += EVAL_BATCH) {
        int nbatch = n - b0 < EVAL_BATCH ? n - b0 : EVAL_BATCH;
        ad_arena_reset(arena);
        const DigitClassifier view = detached_view(arena, m);
        int shape[4] = {nbatch, 1, S, S};
        AdTensor *in = ad_from_array(arena, AD_F32, 4, shape, x + (size_t)b0 * D);
        AdTensor *f = NULL;
        AdTensor *logits = digit_classifier_forward(arena, &view, in, &f);
        for (int i = 0; i < nbatch; i++) {
            if (feat)
                for (int j = 0; j < DIGIT_FEATURES; j++)
                    feat[(size_t)(b0 + i) * DIGIT_FEATURES + j] = ad_get(f, (long)i * DIGIT_FEATURES + j);
            if (probs) {
                double z[DIGIT_CLASSES];
                for (int c = 0; c < DIGIT_CLASSES; c++) z[c] = ad_get(logits, (long)i * DIGIT_CLASSES + c);
                softmax(z, probs + (size_t)(b0 + i) * DIGIT_CLASSES, DIGIT_CLASSES);
            }
        }
    }
    ad_arena_free(arena);
}

double digit_classifier_accuracy(const DigitClassifier *m, const float *x, const uint8_t *labels,
                                 int n) {
    double *p = xmalloc((size_t)n * DIGIT_CLASSES * sizeof *p);
    digit_classifier_eval(m, x, n, NULL, p);
    long right = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < DIGIT_CLASSES; c++)
            if (p[(size_t)i * DIGIT_CLASSES + c] > p[(size_t)i * DIGIT_CLASSES + best]) best = c;
        right += best == labels[i];
    }
    free(p);
    return (double)right / n;
}

NnIoStatus digit_classifier_save(const DigitClassifier *m, const char *path, char *err,
                                 size_t errlen) {
    return nn_params_save(path, &m->params, err, errlen);
}

NnIoStatus digit_classifier_load(DigitClassifier *m, const char *path, char *err, size_t errlen) {
    return nn_params_load(path, &m->params, err, errlen);
}

int digit_test_count(int n) { return n / 5; }

float *digit_images_pm1(const ImageSet *s, int from, int count) {
    if (from < 0 || count < 0 || from + count > s->n)
        die("digit_images_pm1: images [%d, %d) of a set of %d", from, from + count, s->n);
    size_t D = imageset_dim(s);
    float *x = xmalloc((size_t)count * D * sizeof *x);
    for (size_t i = 0; i < (size_t)count * D; i++)
        x[i] = (float)(2.0 * s->pixels[(size_t)from * D + i] / s->max_value - 1.0);
    return x;
}

const char *digit_classifier_path(const Cli *cli, const char *set_name, char *buf, size_t len) {
    const char *suffix = cli->scale == SCALE_QUICK ? "-quick" : cli->scale == SCALE_FULL ? "-full" : "";
    /* the default out dir is "<root>/<program path without lectures/>" */
    const char *rel = cli->program ? cli->program : "";
    if (strncmp(rel, "lectures/", 9) == 0) rel += 9;
    size_t lo = strlen(cli->out_dir), lr = strlen(rel);
    if (lr > 0 && lo > lr && strcmp(cli->out_dir + lo - lr, rel) == 0 && cli->out_dir[lo - lr - 1] == '/')
        snprintf(buf, len, "%.*s/36_ddpm/23_fid_inception_score/classifier-%s%s.bin", (int)(lo - lr - 1),
                 cli->out_dir, set_name, suffix);
    else /* a custom --out: the program's own directory */
        snprintf(buf, len, "%s/classifier-%s%s.bin", cli->out_dir, set_name, suffix);
    return buf;
}

int digit_classifier_load_or_train(const Cli *cli, const ImageSet *set, uint64_t seed,
                                   DigitClassifier *m) {
    if (set->height != set->width || !set->labels)
        die("digit_classifier_load_or_train: %s is not a labelled set of square images", set->name);
    char path[1200], err[256];
    digit_classifier_path(cli, set->name, path, sizeof path);
    digit_classifier_init(m, set->height, seed);
    if (digit_classifier_load(m, path, err, sizeof err) == NN_IO_OK) {
        fprintf(stderr, "digit classifier: loaded %s\n", path);
        return 1;
    }
    /* a failed load leaves the fresh initialisation untouched */
    int n_train = set->n - digit_test_count(set->n);
    DigitTrainConfig cfg = digit_train_config(set->height, cli->scale, seed);
    if (cfg.max_images > 0 && cfg.max_images < n_train) n_train = cfg.max_images;
    float *x = digit_images_pm1(set, 0, n_train);
    double loss = digit_classifier_train(m, x, set->labels, n_train, &cfg, NULL);
    free(x);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (mkdir_p(dir) != 0 || digit_classifier_save(m, path, err, sizeof err) != NN_IO_OK)
        fprintf(stderr, "digit classifier: trained (%d pass(es), final loss %.4f), not saved: %s\n", cfg.epochs,
               loss, err);
    else
        fprintf(stderr, "digit classifier: trained on %d %s images (%d pass(es), final loss %.4f), saved to %s\n",
               n_train, set->name, cfg.epochs, loss, path);
    return 0;
}
