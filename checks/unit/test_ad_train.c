/* Unit tests of common/ad.h in a training loop: a linear fit by plain gradient descent, the
   arena's steady state (no allocation after the first step), determinism, and the time of one
   forward+backward of the DSM benchmark's MLP 2-64-64-2 (tanh, batch 128) in float32. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/util.h"

/* ---- y = 2x + 1 with a 1-in 1-out linear layer, mean squared error, plain GD ---- */
static double fit_line(int steps, double lr, size_t *cap2, size_t *cap10, long *blocks2,
                       long *blocks10) {
    int ws[2] = {1, 1}, bs[1] = {1}, xs[2] = {16, 1};
    AdTensor *w = ad_param_new(AD_F32, 2, ws), *b = ad_param_new(AD_F32, 1, bs);
    AdTensor *params[2] = {w, b};
    AdArena *arena = ad_arena_new(4096);
    float xv[16], yv[16];
    for (int i = 0; i < 16; i++) {
        xv[i] = -1.0f + 2.0f * (float)i / 15.0f;
        yv[i] = 2.0f * xv[i] + 1.0f;
    }
    double loss = 0;
    for (int step = 1; step <= steps; step++) {
        ad_arena_reset(arena);
        AdTensor *x = ad_from_array(arena, AD_F32, 2, xs, xv);
        AdTensor *y = ad_from_array(arena, AD_F32, 2, xs, yv);
        //: $L = \frac1n \sum_i (w x_i + b - y_i)^2$
        AdTensor *l = ad_mean(arena, ad_square(arena, ad_sub(arena, ad_linear(arena, x, w, b), y)));
        loss = ad_item(l);
        ad_zero_grad(params, 2);
        ad_backward(arena, l);
        for (int k = 0; k < 2; k++)
            for (long i = 0; i < params[k]->size; i++)
                ad_f32(params[k])[i] -= (float)lr * ad_grad_f32(params[k])[i];
        if (step == 2) { *cap2 = ad_arena_capacity(arena); *blocks2 = ad_arena_block_count(arena); }
        if (step == 10) { *cap10 = ad_arena_capacity(arena); *blocks10 = ad_arena_block_count(arena); }
    }
    ad_arena_free(arena);
    ad_tensor_free(w);
    ad_tensor_free(b);
    return loss;
}

/* ---- the benchmark MLP 2-64-64-2 with tanh, batch 128 ---- */
typedef struct {
    AdTensor *w[3], *b[3];
} Mlp;

static void mlp_init(Mlp *m, AdDtype dt, uint64_t seed) {
    int sizes[4] = {2, 64, 64, 2};
    Rng r;
    rng_init(&r, seed, 0);
    for (int l = 0; l < 3; l++) {
        int ws[2] = {sizes[l], sizes[l + 1]}, bs[1] = {sizes[l + 1]};
        m->w[l] = ad_param_new(dt, 2, ws);
        m->b[l] = ad_param_new(dt, 1, bs);
        for (long i = 0; i < m->w[l]->size; i++)
            ad_set(m->w[l], i, rng_normal(&r) / sqrt((double)sizes[l]));
    }
}
static void mlp_free(Mlp *m) {
    for (int l = 0; l < 3; l++) {
        ad_tensor_free(m->w[l]);
        ad_tensor_free(m->b[l]);
    }
}
/* mean over the batch of |mlp(x) - target|^2 */
static AdTensor *mlp_loss(AdArena *a, Mlp *m, AdTensor *x, AdTensor *target) {
    AdTensor *h = ad_tanh(a, ad_linear(a, x, m->w[0], m->b[0]));
    h = ad_tanh(a, ad_linear(a, h, m->w[1], m->b[1]));
    AdTensor *out = ad_linear(a, h, m->w[2], m->b[2]);
    return ad_mean(a, ad_square(a, ad_sub(a, out, target)));
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the autodiff module in training loops (fit, arena, speed)", 13, NULL);

    size_t cap2 = 0, cap10 = 0;
    long blocks2 = 0, blocks10 = 0;
    double loss = fit_line(400, 0.3, &cap2, &cap10, &blocks2, &blocks10);
    check_le("common.ad.fit_line_loss", loss, 1e-6, 0, NULL,
             "fit y = 2x + 1 by gradient descent (lr 0.3, 400 steps): final MSE");
    check_true("common.ad.arena_steady_capacity", cap2 == cap10 && blocks2 == blocks10,
               "arena holds the same blocks at step 2 and step 10 (%zu bytes, %ld blocks): "
               "no allocation in steady state", cap10, blocks10);

    /* The arena's growth and reuse with the MLP graph: a small arena grows on step 1 only,
       and the bytes used per step are the same at every step. */
    Mlp m;
    mlp_init(&m, AD_F32, cli.seed);
    AdTensor *params[6] = {m.w[0], m.b[0], m.w[1], m.b[1], m.w[2], m.b[2]};
    int xs[2] = {128, 2};
    float xv[256], tv[256];
    Rng r;
    rng_init(&r, cli.seed, 1);
    for (int i = 0; i < 256; i++) {
        xv[i] = (float)rng_normal(&r);
        tv[i] = (float)rng_normal(&r);
    }
    AdArena *arena = ad_arena_new(4096);
    size_t used1 = 0, cap1 = 0, used_later = 0, cap_later = 0;
    double first_loss = 0, last_loss = 0;
    for (int step = 1; step <= 10; step++) {
        ad_arena_reset(arena);
        AdTensor *x = ad_from_array(arena, AD_F32, 2, xs, xv);
        AdTensor *t = ad_from_array(arena, AD_F32, 2, xs, tv);
        AdTensor *l = mlp_loss(arena, &m, x, t);
        ad_zero_grad(params, 6);
        ad_backward(arena, l);
        for (int k = 0; k < 6; k++)
            for (long i = 0; i < params[k]->size; i++)
                ad_f32(params[k])[i] -= 0.05f * ad_grad_f32(params[k])[i];
        if (step == 1) { used1 = ad_arena_used(arena); cap1 = ad_arena_capacity(arena); first_loss = ad_item(l); }
        used_later = ad_arena_used(arena);
        cap_later = ad_arena_capacity(arena);
        last_loss = ad_item(l);
    }
    check_true("common.ad.arena_mlp_steady", used1 == used_later && cap1 == cap_later,
               "MLP step: arena used %zu bytes at step 1 and %zu at step 10, capacity %zu -> %zu",
               used1, used_later, cap1, cap_later);
    check_le("common.ad.mlp_gd_descends", last_loss - first_loss, 0, 0, NULL,
             "10 gradient steps on the MLP lower the loss (%.6f -> %.6f)", first_loss, last_loss);

    /* Determinism: the same run twice gives bit-identical gradients. */
    float g1[128], g2[128];
    for (int rep = 0; rep < 2; rep++) {
        ad_arena_reset(arena);
        AdTensor *x = ad_from_array(arena, AD_F32, 2, xs, xv);
        AdTensor *t = ad_from_array(arena, AD_F32, 2, xs, tv);
        ad_zero_grad(params, 6);
        ad_backward(arena, mlp_loss(arena, &m, x, t));
        memcpy(rep ? g2 : g1, ad_grad_f32(m.w[1]), sizeof g1);
    }
    check_true("common.ad.deterministic", memcmp(g1, g2, sizeof g1) == 0,
               "two backward passes of the MLP give bit-identical gradients");

    /* Timing (information, not a check: sanitizer and valgrind builds are slower). */
    int reps = (int)cli_scale(&cli, 20, 2000, 20000);
    double t0 = now_seconds();
    for (int rep = 0; rep < reps; rep++) {
        ad_arena_reset(arena);
        AdTensor *x = ad_from_array(arena, AD_F32, 2, xs, xv);
        AdTensor *t = ad_from_array(arena, AD_F32, 2, xs, tv);
        ad_zero_grad(params, 6);
        ad_backward(arena, mlp_loss(arena, &m, x, t));
    }
    double us = (now_seconds() - t0) / reps * 1e6;
    printf("info: MLP 2-64-64-2 tanh, batch 128, float32: forward+backward %.1f us/step (%d reps)\n",
           us, reps);
    check_true("common.ad.arena_no_growth_timing", ad_arena_capacity(arena) == cap1,
               "no arena growth over %d more steps", reps);

    ad_arena_free(arena);
    mlp_free(&m);
    return check_end();
}
