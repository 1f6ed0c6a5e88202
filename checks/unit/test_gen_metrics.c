/* Unit tests of common/gen_metrics.h: FID of a feature set with itself, the diagonal closed
   form from exact moments, Newton–Schulz against the symmetric eigen route, the singular flag,
   the Inception Score's two extremes, and k-NN precision/recall: fast path = plain loops bitwise,
   a hand-countable configuration on a line, disjoint sets, ties at the radius. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/gen_metrics.h"
#include "common/linalg.h"
#include "common/rng.h"
#include "common/util.h"

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the sample-quality metrics", 17, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);
    enum { D = 6, N = 400 };

    /* FID(X, X) = 0 */
    double *x = xmalloc((size_t)N * D * sizeof *x);
    for (int i = 0; i < N * D; i++) x[i] = rng_normal(&r) * (1 + i % D);
    FidReport rep;
    double fid0 = fid_from_features(x, N, x, N, D, &rep);
    check_close("unit.gen_metrics.fid_self", fid0, 0, 1e-9 * (1 + 4 + 9 + 16 + 25 + 36), NULL,
                "FID of a set with itself (%d x %d)", N, D);
    check_true("unit.gen_metrics.not_singular", rep.singular == 0, "N = %d > d = %d: not flagged", N, D);
    fid_from_features(x, D, x, N, D, &rep);
    check_true("unit.gen_metrics.singular_flag", rep.singular == 1, "N = d = %d: flagged singular", D);

    /* two feature sets whose exact sample moments are diagonal: x = +-a_j on coordinate j with
       the sign pattern of a 2^D design (every column mean 0, columns orthogonal), shifted by m */
    enum { M = 64 };
    double a[D] = {1, 2, 0.5, 3, 1.5, 0.25}, b[D] = {2, 1, 0.5, 1, 0.75, 4}, shift[D] = {1, 0, -1, 0, 2, 0};
    double *fa = xmalloc((size_t)M * D * sizeof *fa), *fb = xmalloc((size_t)M * D * sizeof *fb);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < D; j++) {
            double s = ((i >> j) & 1) ? 1.0 : -1.0;
            fa[i * D + j] = s * a[j];
            fb[i * D + j] = s * b[j] + shift[j];
        }
    /* unbiased variance of +-a over M rows: a^2 M / (M - 1) */
    double want = 0, k = (double)M / (M - 1);
    for (int j = 0; j < D; j++) want += pow(sqrt(k) * a[j] - sqrt(k) * b[j], 2) + shift[j] * shift[j];
    double fd = fid_from_features(fa, M, fb, M, D, NULL);
    check_close("unit.gen_metrics.fid_diagonal", fd, want, 1e-10, NULL,
                "FID of two +-a designs: sum (sqrt(var_a) - sqrt(var_b))^2 + |shift|^2");

    /* Newton–Schulz vs eigen route on random SPD matrices */
    double S1[D * D], S2[D * D], G[D * D];
    for (int i = 0; i < D * D; i++) G[i] = rng_normal(&r);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0, t = 0;
            for (int l = 0; l < D; l++) s += G[i * D + l] * G[j * D + l];
            for (int l = 0; l < D; l++) t += G[l * D + i] * G[l * D + j];
            S1[i * D + j] = s + (i == j);
            S2[i * D + j] = t + 0.5 * (i == j);
        }
    int it = 0;
    double ns = trace_sqrt_newton_schulz(S1, S2, D, 100, &it, NULL), eg = trace_sqrt_eig(S1, S2, D);
    check_rel("unit.gen_metrics.newton_schulz", ns, eg, 1e-10, NULL,
              "tr (S1 S2)^(1/2): Newton-Schulz (%d iterations) vs symmetric eigen route", it);

    /* IS: one-hot uniform over 10 classes = 10; identical rows = 1 */
    double p[100 * 10] = {0}, q[100 * 10];
    for (int i = 0; i < 100; i++) p[i * 10 + i % 10] = 1;
    for (int i = 0; i < 100; i++)
        for (int c = 0; c < 10; c++) q[i * 10 + c] = (c + 1) / 55.0;
    check_close("unit.gen_metrics.is_onehot", inception_score(p, 100, 10, 0.0), 10, 1e-12, NULL,
                "IS of one-hot predictions, classes equally frequent");
    check_close("unit.gen_metrics.is_identical", inception_score(q, 100, 10, 1e-12), 1, 1e-12, NULL,
                "IS of 100 identical predictions");

    /* k-NN precision/recall. Points on a line (d = 1): R = {0, 1, 2, 3}, k = 1 gives radii
       {1, 1, 1, 1}; G = {0.5, 3.5, 10, 4.0} -> 0.5, 3.5 and 4.0 (the tie at the radius counts) are
       inside, precision 3/4. G's own radii (k = 1): 0.5 -> 3 (to 3.5), 3.5 -> 0.5, 10 -> 6, 4.0 -> 0.5;
       every point of R lies within 3 of 0.5 or 6 of 10: recall 1. */
    const double R1[4] = {0, 1, 2, 3}, G1[4] = {0.5, 3.5, 10, 4.0};
    KnnPr pr = knn_precision_recall(R1, 4, G1, 4, 1, 1, 0);
    check_close("unit.gen_metrics.knn_line_precision", pr.precision, 0.75, 0, NULL,
                "precision on the line example: 3 of 4 samples inside a unit ball (one on its boundary)");
    check_close("unit.gen_metrics.knn_line_recall", pr.recall, 1.0, 0, NULL, "recall on the line example");
    double r2line[4];
    knn_radii2(G1, 4, 1, 2, r2line);
    check_true("unit.gen_metrics.knn_line_radii_k2", r2line[0] == 12.25 && r2line[1] == 9.0 && r2line[2] == 42.25 &&
                                                        r2line[3] == 12.25,
               "second-nearest squared radii of {0.5, 3.5, 10, 4}: 3.5^2, 3^2, 6.5^2, 3.5^2");
    /* two far-apart clouds: precision = recall = 0 */
    enum { NK = 300, DK = 32 };
    double *ka = xmalloc((size_t)NK * DK * sizeof *ka), *kb = xmalloc((size_t)NK * DK * sizeof *kb);
    for (int i = 0; i < NK * DK; i++) ka[i] = rng_normal(&r), kb[i] = rng_normal(&r) + (i % DK == 0 ? 100.0 : 0.0);
    pr = knn_precision_recall(ka, NK, kb, NK, DK, 3, 0);
    check_true("unit.gen_metrics.knn_disjoint", pr.precision == 0 && pr.recall == 0,
               "clouds 100 apart in one coordinate: precision %.3f, recall %.3f (both 0)", pr.precision, pr.recall);
    /* fast path = reference bitwise: radii and both shares, on two overlapping clouds */
    for (int i = 0; i < NK * DK; i++) kb[i] = 1.3 * rng_normal(&r) + (i % DK == 1 ? 0.5 : 0.0);
    double *r2f = xmalloc(NK * sizeof *r2f), *r2r = xmalloc(NK * sizeof *r2r);
    knn_radii2(ka, NK, DK, 5, r2f);
    knn_radii2_reference(ka, NK, DK, 5, r2r);
    check_true("unit.gen_metrics.knn_radii_bitwise", memcmp(r2f, r2r, NK * sizeof *r2f) == 0,
               "k = 5 radii of %d points in %d dimensions: fast path = sorted plain loop, bitwise", NK, DK);
    KnnPr f = knn_precision_recall(ka, NK, kb, NK, DK, 3, 0), g = knn_precision_recall(ka, NK, kb, NK, DK, 3, 1);
    check_true("unit.gen_metrics.knn_pr_bitwise", f.n_precise == g.n_precise && f.n_recalled == g.n_recalled,
               "precision %.4f / recall %.4f (fast) = %.4f / %.4f (reference)", f.precision, f.recall, g.precision, g.recall);
    check_true("unit.gen_metrics.knn_pr_between", f.precision > 0.05 && f.precision < 1 && f.recall > 0.05 && f.recall < 1,
               "overlapping clouds of different spread: both shares strictly between 0 and 1 (the comparison is not vacuous)");
    free(ka), free(kb), free(r2f), free(r2r);

    free(x), free(fa), free(fb);
    return check_end();
}
