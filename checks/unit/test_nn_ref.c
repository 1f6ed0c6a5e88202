/* Unit tests of common/nn_ref.h, the plain reference loops of the U-Net layers: each against
   a hand computation, and against the taped op of ad.h it is meant to check (ad_group_norm,
   ad_conv2d, ad_attention) on random inputs in double; the strided grouping against the
   contiguous one applied to permuted channels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/nn_ref.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

static void fill(double *x, long n, Rng *rng) {
    for (long i = 0; i < n; i++) x[i] = rng_normal(rng);
}

static void test_group_norm(Rng *rng, AdArena *arena) {
    /* hand case: one group of two channels, one position each: x = (1, 3), mean 2,
       biased variance 1, unbiased 2 */
    double x2[2] = {1, 3}, y2[2];
    nn_ref_group_norm(x2, 2, 1, 1, NN_REF_GROUPS_CONTIGUOUS, 0, NULL, NULL, 0.0, y2);
    check_close("common.nn_ref.gn_hand_biased", y2[1], 1.0, 1e-15, "common.nn_ref.group_norm",
                "GN of (1,3) with the biased variance: (3-2)/1");
    nn_ref_group_norm(x2, 2, 1, 1, NN_REF_GROUPS_CONTIGUOUS, 1, NULL, NULL, 0.0, y2);
    check_close("common.nn_ref.gn_hand_unbiased", y2[1], 1.0 / sqrt(2.0), 1e-15,
                "common.nn_ref.group_norm", "GN of (1,3) with the unbiased variance: 1/sqrt 2");
    enum { C = 12, S = 10, G = 4 };
    double x[C * S], gamma[C], beta[C], ref[C * S], y[C * S];
    fill(x, C * S, rng);
    fill(gamma, C, rng);
    fill(beta, C, rng);
    nn_ref_group_norm(x, C, S, G, NN_REF_GROUPS_CONTIGUOUS, 0, gamma, beta, 1e-5, ref);
    AdTensor *tx = ad_from_doubles(arena, AD_F64, 3, (int[]){1, C, S}, x);
    AdTensor *tg = ad_from_doubles(arena, AD_F64, 1, (int[]){C}, gamma);
    AdTensor *tb = ad_from_doubles(arena, AD_F64, 1, (int[]){C}, beta);
    AdTensor *ty = ad_group_norm(arena, tx, G, tg, tb, 1e-5);
    check_le("common.nn_ref.gn_vs_ad", stats_max_abs_diff(ref, ad_f64(ty), C * S), 1e-13, 0,
             "common.nn_ref.group_norm", "reference GroupNorm vs ad_group_norm (12 ch, G=4)");
    /* strided grouping = contiguous grouping of the channels reordered g-major: new channel
       g*(C/G)+j is old channel j*G+g */
    double xp[C * S], yp[C * S], gp[C], bp[C];
    for (int g = 0; g < G; g++)
        for (int j = 0; j < C / G; j++) {
            int nc = g * (C / G) + j, oc = j * G + g;
            gp[nc] = gamma[oc], bp[nc] = beta[oc];
            for (int s = 0; s < S; s++) xp[nc * S + s] = x[oc * S + s];
        }
    nn_ref_group_norm(x, C, S, G, NN_REF_GROUPS_STRIDED, 1, gamma, beta, 1e-5, y);
    nn_ref_group_norm(xp, C, S, G, NN_REF_GROUPS_CONTIGUOUS, 1, gp, bp, 1e-5, yp);
    double err = 0;
    for (int g = 0; g < G; g++)
        for (int j = 0; j < C / G; j++)
            for (int s = 0; s < S; s++)
                err = fmax(err, fabs(y[(j * G + g) * S + s] - yp[(g * (C / G) + j) * S + s]));
    check_le("common.nn_ref.gn_strided_is_permuted", err, 1e-14, 0, "common.nn_ref.group_norm",
             "strided grouping equals contiguous grouping of g-major reordered channels");
}

static void test_conv(Rng *rng, AdArena *arena) {
    /* hand case: 3x3 all-ones kernel on a 3x3 ramp 0..8 with zero padding, centre = 36,
       corner (0,0) = 0+1+3+4 = 8 */
    double x[9], w[9], y[9];
    for (int i = 0; i < 9; i++) x[i] = i, w[i] = 1;
    nn_ref_conv2d(x, 1, 3, 3, w, NULL, 1, 3, 1, 1, y);
    check_close("common.nn_ref.conv_hand_centre", y[4], 36.0, 0, NULL,
                "box filter at the centre of the ramp 0..8: sum = 36");
    check_close("common.nn_ref.conv_hand_corner", y[0], 8.0, 0, NULL,
                "box filter at the corner (zero padding): 0+1+3+4 = 8");
    enum { CI = 3, CO = 4, H = 6, W = 5, K = 3 };
    for (int stride = 1; stride <= 2; stride++) {
        double xi[CI * H * W], wt[CO * CI * K * K], b[CO], ref[CO * H * W];
        fill(xi, CI * H * W, rng);
        fill(wt, CO * CI * K * K, rng);
        fill(b, CO, rng);
        nn_ref_conv2d(xi, CI, H, W, wt, b, CO, K, stride, 1, ref);
        AdTensor *ty = ad_conv2d(arena, ad_from_doubles(arena, AD_F64, 4, (int[]){1, CI, H, W}, xi),
                                 ad_from_doubles(arena, AD_F64, 4, (int[]){CO, CI, K, K}, wt),
                                 ad_from_doubles(arena, AD_F64, 1, (int[]){CO}, b), stride, 1);
        char id[64];
        snprintf(id, sizeof id, "common.nn_ref.conv_vs_ad_stride%d", stride);
        check_le(id, stats_max_abs_diff(ref, ad_f64(ty), (size_t)ty->size), 1e-13, 0, NULL,
                 "reference conv vs ad_conv2d, 3->4 channels, 6x5, k=3, pad 1, stride %d", stride);
    }
}

static void test_attention(Rng *rng, AdArena *arena) {
    /* hand case: two keys with logits 0 and log 3 -> weights 1/4, 3/4 */
    double q[1] = {1}, k[2] = {0, log(3.0)}, v[2] = {10, 20}, p[2], y[1];
    nn_ref_attention(q, k, v, 1, 2, 1, 1, 1.0, p, y);
    check_close("common.nn_ref.attn_hand", y[0], 17.5, 1e-13, NULL,
                "weights (1/4, 3/4) on values (10, 20): 17.5");
    enum { TQ = 5, TK = 7, D = 4, DV = 3 };
    double qq[TQ * D], kk[TK * D], vv[TK * DV], ref[TQ * DV];
    fill(qq, TQ * D, rng);
    fill(kk, TK * D, rng);
    fill(vv, TK * DV, rng);
    nn_ref_attention(qq, kk, vv, TQ, TK, D, DV, 1.0 / sqrt((double)D), NULL, ref);
    AdTensor *ty = ad_attention(arena, ad_from_doubles(arena, AD_F64, 3, (int[]){1, TQ, D}, qq),
                                ad_from_doubles(arena, AD_F64, 3, (int[]){1, TK, D}, kk),
                                ad_from_doubles(arena, AD_F64, 3, (int[]){1, TK, DV}, vv));
    check_le("common.nn_ref.attn_vs_ad", stats_max_abs_diff(ref, ad_f64(ty), TQ * DV), 1e-14, 0,
             "common.ad.attention", "reference attention vs ad_attention (5 queries, 7 keys)");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the reference loops: GroupNorm, conv2d, attention", 36, NULL);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    AdArena *arena = ad_arena_new(1 << 16);
    test_group_norm(&rng, arena);
    test_conv(&rng, arena);
    test_attention(&rng, arena);
    ad_arena_free(arena);
    return check_end();
}
