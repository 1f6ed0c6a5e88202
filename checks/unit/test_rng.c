/* Unit tests of common/rng.h and common/philox.h: Philox known answers (Random123's KAT vectors),
   stream independence from the thread count, and the distributions of the derived draws. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/rng.h"

static int kat(philox_u4 c, philox_u2 k, philox_u4 want) {
    philox_u4 o = philox4x32_10(c, k);
    return o.x == want.x && o.y == want.y && o.z == want.z && o.w == want.w;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the Philox generator and rng draws",
              7, NULL);

    check_true("common.rng.kat_zero",
               kat(PHILOX_U4(0, 0, 0, 0), PHILOX_U2(0, 0),
                   PHILOX_U4(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
               "Philox4x32-10 known answer: counter 0, key 0");
    check_true("common.rng.kat_ones",
               kat(PHILOX_U4(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff),
                   PHILOX_U2(0xffffffff, 0xffffffff),
                   PHILOX_U4(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
               "Philox4x32-10 known answer: all-ones counter and key");
    check_true("common.rng.kat_pi",
               kat(PHILOX_U4(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344),
                   PHILOX_U2(0xa4093822, 0x299f31d0),
                   PHILOX_U4(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
               "Philox4x32-10 known answer: digits of pi");

    /* Streams are pure functions of (seed, stream, position): drawing stream 5 alone or after
       other streams gives the same numbers (what makes results thread-count independent). */
    Rng a, b;
    rng_init(&a, 42, 5);
    double first = rng_normal(&a);
    for (int s = 0; s < 5; s++) {
        rng_init(&b, 42, (uint64_t)s);
        (void)rng_normal(&b);
    }
    rng_init(&b, 42, 5);
    check_true("common.rng.stream_pure", rng_normal(&b) == first,
               "stream 5 draws the same first normal whatever was drawn before");

    /* Moments of the draws. n = 1e6; the tolerance is 5 standard errors. */
    const long n = 1000000;
    Rng r;
    rng_init(&r, 1, 0);
    double su = 0, su2 = 0, sz = 0, sz2 = 0, sz4 = 0;
    for (long i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        double z = rng_normal(&r);
        su += u;
        su2 += u * u;
        sz += z;
        sz2 += z * z;
        sz4 += z * z * z * z;
    }
    check_mc("common.rng.uniform_mean", su / n, 0.5, sqrt(1.0 / 12.0 / n), 5, n, NULL,
             "E[u] = 1/2 for u ~ U(0,1)");
    check_mc("common.rng.uniform_var", su2 / n - (su / n) * (su / n), 1.0 / 12.0,
             sqrt((1.0 / 80.0 - 1.0 / 144.0) / n), 5, n, NULL, "Var[u] = 1/12");
    check_mc("common.rng.normal_mean", sz / n, 0.0, sqrt(1.0 / n), 5, n, NULL, "E[z] = 0");
    check_mc("common.rng.normal_var", sz2 / n, 1.0, sqrt(2.0 / n), 5, n, NULL,
             "E[z^2] = 1 (Var z^2 = 2)");
    check_mc("common.rng.normal_kurtosis", sz4 / n, 3.0, sqrt(96.0 / n), 5, n, NULL,
             "E[z^4] = 3 (Var z^4 = 105 - 9 = 96)");

    /* rng_below: chi-square of 1e5 draws over 7 cells against its mean 6 (sd sqrt(12)). */
    long counts[7] = {0};
    const long m = 100000;
    for (long i = 0; i < m; i++) counts[rng_below(&r, 7)]++;
    double chi2 = 0;
    for (int k = 0; k < 7; k++) chi2 += pow(counts[k] - m / 7.0, 2) / (m / 7.0);
    check_le("common.rng.below_chi2", chi2, 6.0 + 5.0 * sqrt(12.0), 0, NULL,
             "chi-square of rng_below(7) over 7 cells (mean 6 + 5 sd)");

    /* categorical: frequency of class 2 with weights (1, 2, 7) -> p = 0.7 */
    long hits = 0;
    const double w[3] = {1, 2, 7};
    for (long i = 0; i < m; i++) hits += rng_categorical(&r, w, 3) == 2;
    check_mc("common.rng.categorical_freq", (double)hits / m, 0.7, sqrt(0.7 * 0.3 / m), 5, m, NULL,
             "rng_categorical picks class 2 with probability 7/10");

    /* permutation: a permutation, and position 0 holds each value 1/n of the time */
    int perm[10], seen_ok = 1;
    long at0[10] = {0};
    for (long t = 0; t < m; t++) {
        rng_permutation(&r, perm, 10);
        int seen[10] = {0};
        for (int i = 0; i < 10; i++) seen[perm[i]]++;
        for (int i = 0; i < 10; i++) seen_ok &= seen[i] == 1;
        at0[perm[0]]++;
    }
    check_true("common.rng.permutation_valid", seen_ok, "every shuffle is a permutation of 0..9");
    check_mc("common.rng.permutation_uniform", (double)at0[3] / m, 0.1, sqrt(0.09 / m), 5, m, NULL,
             "value 3 lands first with probability 1/10");

    /* The float uniform is exact and strictly inside (0,1) at the extremes. */
    check_true("common.rng.uniform_f_open",
               philox_uniform_f(0u) > 0.0f && philox_uniform_f(0xffffffffu) < 1.0f,
               "float uniform of words 0 and 2^32-1 lies strictly inside (0,1)");
    return check_end();
}
