/* Unit tests of common/ad_causal_attention (the masked attention op) and common/causal_transformer
   (the decoder-only transformer of L42 4.6): gradient checks of the op against central
   differences (square and offset masks), equality with ad_attention when nothing is masked,
   exact causality of the op and of the whole model (changing a later key/value or token leaves
   every earlier output bit-for-bit unchanged), the gradient of the model's loss through all its
   parameters, and the sampler (appends tokens; temperature -> 0 gives the argmax). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/ad.h"
#include "common/ad_causal_attention.h"
#include "common/causal_transformer.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"
#include "common/util.h"

/* L = sum(causal_attention(q, k, v) * R) with R fixed */
static AdTensor *attn_loss(AdArena *arena, AdTensor **p, int np, void *ctx) {
    (void)np, (void)ctx;
    AdTensor *y = ad_causal_attention(arena, p[0], p[1], p[2]);
    AdTensor *r = ad_input(arena, y->dtype, y->ndim, y->shape);
    Rng rr;
    rng_init(&rr, 7, 0);
    for (long i = 0; i < r->size; i++) ad_set(r, i, rng_normal(&rr));
    return ad_sum(arena, ad_mul(arena, y, r));
}

static void fill(AdTensor *t, Rng *r) {
    for (long i = 0; i < t->size; i++) ad_set(t, i, rng_normal(r));
}

static void test_op(void) {
    Rng r;
    rng_init(&r, 1, 0);
    const int cases[2][2] = {{4, 4}, {3, 5}}; /* (Tq, Tk) */
    for (int c = 0; c < 2; c++) {
        const int tq = cases[c][0], tk = cases[c][1];
        AdTensor *p[3] = {ad_param_new(AD_F64, 3, (int[3]){2, tq, 3}), ad_param_new(AD_F64, 3, (int[3]){2, tk, 3}),
                          ad_param_new(AD_F64, 3, (int[3]){2, tk, 2})};
        for (int i = 0; i < 3; i++) fill(p[i], &r);
        double err = ad_gradcheck(attn_loss, p, 3, NULL, 1e-5);
        char id[64];
        snprintf(id, sizeof id, "unit.causal_attention.gradcheck_%dx%d", tq, tk);
        check_le(id, err, 1e-6, 0, "common.ad.causal_attention",
                 "causal attention: tape gradient vs central differences (f64, Tq=%d, Tk=%d)", tq, tk);
        /* causality: change keys/values of positions j > i + tk - tq, outputs of row i unchanged */
        AdArena *arena = ad_arena_new(1 << 16);
        AdTensor *y0 = ad_causal_attention(arena, p[0], p[1], p[2]);
        double before[64];
        for (long i = 0; i < y0->size; i++) before[i] = ad_get(y0, i);
        const int j = tk - 1; /* the last key: visible only to the last query */
        for (int b = 0; b < 2; b++)
            for (int e = 0; e < 3; e++) ad_set(p[1], ((long)b * tk + j) * 3 + e, 5.0);
        for (int b = 0; b < 2; b++)
            for (int e = 0; e < 2; e++) ad_set(p[2], ((long)b * tk + j) * 2 + e, -3.0);
        ad_arena_reset(arena);
        AdTensor *y1 = ad_causal_attention(arena, p[0], p[1], p[2]);
        double leak = 0, moved = 0;
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < tq; i++)
                for (int e = 0; e < 2; e++) {
                    long idx = ((long)b * tq + i) * 2 + e;
                    double dlt = fabs(ad_get(y1, idx) - before[idx]);
                    if (i < tq - 1) leak = fmax(leak, dlt); else moved = fmax(moved, dlt);
                }
        snprintf(id, sizeof id, "unit.causal_attention.causal_%dx%d", tq, tk);
        check_true(id, leak == 0.0 && moved > 0,
                   "changing the last key/value: earlier outputs move by exactly %g, the last by %.3g", leak, moved);
        ad_arena_free(arena);
        for (int i = 0; i < 3; i++) ad_tensor_free(p[i]);
    }
    /* one query over all keys: nothing is masked, equal to ad_attention */
    AdTensor *q = ad_param_new(AD_F64, 3, (int[3]){2, 1, 3}), *k = ad_param_new(AD_F64, 3, (int[3]){2, 4, 3}),
             *v = ad_param_new(AD_F64, 3, (int[3]){2, 4, 2});
    fill(q, &r), fill(k, &r), fill(v, &r);
    AdArena *arena = ad_arena_new(1 << 16);
    AdTensor *a = ad_causal_attention(arena, q, k, v), *b = ad_attention(arena, q, k, v);
    double diff = 0;
    for (long i = 0; i < a->size; i++) diff = fmax(diff, fabs(ad_get(a, i) - ad_get(b, i)));
    check_close("unit.causal_attention.unmasked_equal", diff, 0.0, 0.0, "common.ad.causal_attention",
                "one query seeing every key: equal to ad_attention bit for bit");
    ad_arena_free(arena);
    ad_tensor_free(q), ad_tensor_free(k), ad_tensor_free(v);
}

static void test_model(void) {
    Rng r;
    rng_init(&r, 2, 0);
    CausalTransformer m;
    ct_init(&m, 5, 8, 8, 2, 2, &r);
    NnParams ps;
    nn_params_init(&ps);
    ct_params(&m, "tf", &ps);
    /* 5*8 + 8*8 + 2 * (4*8 + 4*(64+8) + (8*32+32) + (32*8+8)) + 16 + (8*5+5) */
    long expect = 40 + 64 + 2 * (32 + 4 * 72 + 288 + 264) + 16 + 45;
    check_true("unit.ct.param_count", nn_params_numel(&ps) == expect, "parameter count %ld (expected %ld)",
               nn_params_numel(&ps), expect);
    enum { B = 3, T = 7 };
    int tok[B * T];
    for (int i = 0; i < B * T; i++) tok[i] = (int)rng_below(&r, 5);
    AdArena *arena = ad_arena_new(1 << 22);
    AdTensor *z0 = ct_logits(arena, &m, tok, B, T);
    float before[B * T * 5];
    memcpy(before, ad_f32(z0), sizeof before);
    int leaks = 0, moved = 0;
    for (int j = 1; j < T; j++) {
        int t2[B * T];
        memcpy(t2, tok, sizeof t2);
        for (int b = 0; b < B; b++) t2[b * T + j] = (tok[b * T + j] + 1) % 5;
        ad_arena_reset(arena);
        AdTensor *z = ct_logits(arena, &m, t2, B, T);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++)
                for (int c = 0; c < 5; c++) {
                    int same = ad_f32(z)[(b * T + i) * 5 + c] == before[(b * T + i) * 5 + c];
                    if (i < j) leaks += !same; else moved += !same;
                }
    }
    check_true("unit.ct.causality", leaks == 0 && moved > 0,
               "changing token j: logits of positions < j unchanged bit for bit (%d changed), later ones move (%d)", leaks, moved);
    /* the loss's gradient reaches every parameter tensor */
    ad_arena_reset(arena);
    nn_params_zero_grad(&ps);
    ad_backward(arena, ct_nll(arena, &m, tok, B, T));
    int dead = 0;
    for (int i = 0; i < ps.n; i++) {
        double g = 0;
        for (long e = 0; e < ps.t[i]->size; e++) g += fabs(ad_grad_get(ps.t[i], e));
        dead += g == 0;
    }
    check_true("unit.ct.grad_reaches_all", dead == 0, "loss gradient non-zero in every one of %d parameter tensors (%d zero)",
               ps.n, dead);
    /* sampling: appends; at tau = 1e-4 equals the argmax of the logits at each step */
    Rng rs[B];
    for (int b = 0; b < B; b++) rng_init(&rs[b], 3, (uint64_t)b);
    int s[B * T];
    for (int b = 0; b < B; b++) s[b * T] = 0;
    ct_sample(&m, s, B, T, 1, 1e-4, rs);
    int wrong = 0;
    for (int t = 1; t < T; t++) {
        ad_arena_reset(arena);
        int pre[B * T];
        for (int b = 0; b < B; b++)
            for (int i = 0; i < t; i++) pre[b * t + i] = s[b * T + i];
        AdTensor *z = ct_logits(arena, &m, pre, B, t);
        for (int b = 0; b < B; b++) {
            const float *zz = ad_f32(z) + ((size_t)b * t + t - 1) * 5;
            int am = 1; /* BOS = 0 is never drawn */
            for (int c = 2; c < 5; c++) am = zz[c] > zz[am] ? c : am;
            wrong += s[b * T + t] != am;
        }
    }
    check_true("unit.ct.sample_argmax", wrong == 0, "ancestral sampling at tau = 1e-4 picks the argmax over tokens 1..4 at every step (%d misses)", wrong);
    ad_arena_free(arena);
    nn_params_free(&ps);
    ct_free(&m);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the causal attention op and the causal transformer", 0, NULL);
    test_op();
    test_model();
    return check_end();
}
