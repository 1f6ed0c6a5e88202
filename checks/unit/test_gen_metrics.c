/* Unit tests of common/gen_metrics.h: FID of a feature set with itself, the diagonal closed
   form from exact moments, Newton–Schulz against the symmetric eigen route, the singular flag,
   and the Inception Score's two extremes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

    free(x), free(fa), free(fb);
    return check_end();
}
