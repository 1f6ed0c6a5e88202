/*: # L42 5.6 — latent spaces under PCA: centred, and measured

**Lecture 42, Part 2, section 5.6.** The lecture encodes the test set with each VAE-family model,
takes the posterior means $\mu$ as latents, projects them to two dimensions by an SVD of the latent
matrix $Z$ and describes the scatter plots: the VAE's classes "mixed", the β-VAE's "separated
(high disentanglement)", the VQ-VAE's "discrete clusters". Two things are wrong with that
(B24): the SVD of an *uncentred* $Z$ is not PCA — its first direction points at the mean of the
latents whenever the mean is not small, and the projection is then dominated by where the cloud
sits rather than how it spreads; and class separability is not disentanglement (a β > 1 buys a smaller KL by
keeping *less* information about the input; whether the classes then look more or less separate
in two dimensions says nothing about single coordinates capturing single factors). Nor does `vae_forward` apply to the
VQ-VAE, which has no $\mu$; its encoder output $z_e$ before quantisation is used here.

What you will see: centred PCA by the symmetric eigendecomposition of the covariance (`eig_sym`,
`common/linalg`): orthonormal eigenvectors, explained-variance ratios summing to 1 against the
trace computed from the data, and the angle between the centred first component and the
lecture's uncentred first singular vector; then class separability *measured*, by the 5-nearest-
neighbour leave-one-out accuracy of the digit label in the 2-D projection (chance 0.1) and the
silhouette, for the VAE, the β-VAE and the VQ-VAE, trained here by `gm_train` (models from
`common/gm_vae.h`, `common/gm_vqvae.h`). The lecture's qualitative claims are printed beside.
Figure: `latent_pca.png` (the three 2-D projections of the test digits, coloured by label).

Run: `build/release/bin/lectures/42_unified/15_latent_space_pca [--quick | --full] [--seed N] [--out DIR] [--data DIR]`.

| symbol | C name | shape |
|---|---|---|
| $Z$ (latents of the test digits) | `Z` | (n, d) |
| $\bar z$ (mean latent) | `mean` | (d) |
| $C = \frac1{n-1}(Z-\bar z)^\top(Z-\bar z)$ | `C` | (d, d) |
| $V$, $\lambda$ (eigenvectors, eigenvalues) | `V`, `w` | (d, d), (d) |
| $P = (Z - \bar z)V_{[:,1:2]}$ (2-D projection) | `P` | (n, 2) |
| $y$ (digit labels) | `labels` | (n) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/digits_split.h"
#include "common/genmodel.h"
#include "common/gm_vae.h"
#include "common/gm_vqvae.h"
#include "common/linalg.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

enum { NMOD = 3, KNN = 5, MAXD = 64 };

typedef struct {
    const char *name;
    int d;
    const char *tag; /* check-id part */
    double *Z;       /* n x d latents of the test digits */
} Latent;

/* ---------------------------------------------------------------------------------------- */
/*: ## 5.6 Centred PCA by the eigendecomposition of the covariance

With $\bar z = \frac1n\sum_i z_i$ and $C = \frac1{n-1}\sum_i (z_i-\bar z)(z_i-\bar z)^\top = V\Lambda V^\top$
(eigenvalues $\lambda_1\ge\dots\ge\lambda_d\ge0$), the principal components are the columns of $V$,

$$ P = (Z - \mathbf 1\bar z^\top)\,V_{[:,1:2]},\qquad
   \mathrm{EVR}_j = \frac{\lambda_j}{\sum_k\lambda_k},\qquad \sum_k\lambda_k = \operatorname{tr}C = \sum_j \widehat{\mathrm{Var}}(z_{\cdot j}) . $$ {#eq:L42.5.6.pca}

The lecture's SVD of the uncentred $Z = USV^\top$ takes the first right-singular vector $v_1$ of
$Z$, the top eigenvector of $Z^\top Z = (n-1)C + n\,\bar z\bar z^\top$: it equals the first principal
component only when $\bar z = 0$ (or $\bar z$ happens to lie along it); otherwise it leans towards
$\bar z$ — for the VAEs, whose prior pulls $\bar z$ towards 0, the two nearly agree; for the VQ-VAE's
$z_e$, whose mean is far from 0, they do not. Checks: $V^\top V = I$ ($10^{-10}$); $\sum_j\mathrm{EVR}_j$ with the denominator
computed as the data's trace (the sum of the per-coordinate variances, a second route) equals 1
($10^{-12}$); $\lvert\cos(v_1, \mathrm{PC}_1)\rvert$ printed with $\lVert\bar z\rVert$.
*/
/* Centred PCA of Z (n x d): P (n x 2) gets the projection on the first two components,
   evr (d) the explained-variance ratios (descending), pc1 (d) the first component;
   returns max |V^T V - I|; *trace_ratio = sum(lambda) / (sum of coordinate variances). */
static double pca_2d(const double *Z, int n, int d, double *P, double *evr, double *pc1, double *trace_ratio) {
    double *mean = xmalloc((size_t)d * sizeof *mean), *cov = xmalloc((size_t)d * d * sizeof *cov), w[MAXD];
    //: $C = \frac1{n-1}(Z-\bar z)^\top(Z-\bar z)$, [eq:L42.5.6.pca]
    stats_covariance(Z, (size_t)n, (size_t)d, mean, cov);
    Mat C = mat_from(d, d, cov), V = mat_new(d, d);
    if (eig_sym(C, w, &V, NULL) != LINALG_OK) die("pca_2d: eig_sym did not converge");
    /* eig_sym sorts ascending: component j is column d-1-j */
    double orth = 0, sum_w = 0, trace = 0;
    for (int a = 0; a < d; a++)
        for (int c = 0; c < d; c++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += MAT(V, k, a) * MAT(V, k, c);
            orth = fmax(orth, fabs(s - (a == c)));
        }
    for (int j = 0; j < d; j++) sum_w += w[j];
    //: $\operatorname{tr}C$ as the sum of the coordinates' variances (a second route)
    for (int j = 0; j < d; j++) {
        double v = 0;
        for (int i = 0; i < n; i++) v += (Z[(size_t)i * d + j] - mean[j]) * (Z[(size_t)i * d + j] - mean[j]);
        trace += v / (n - 1);
    }
    //: $\mathrm{EVR}_j = \lambda_j/\sum_k\lambda_k$
    for (int j = 0; j < d; j++) evr[j] = w[d - 1 - j] / sum_w;
    for (int k = 0; k < d; k++) pc1[k] = MAT(V, k, d - 1);
    //: $P = (Z - \bar z)V_{[:,1:2]}$, [eq:L42.5.6.pca]
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += (Z[(size_t)i * d + k] - mean[k]) * MAT(V, k, d - 1 - c);
            P[2 * i + c] = s;
        }
    *trace_ratio = sum_w / trace;
    mat_free(&C), mat_free(&V);
    free(mean), free(cov);
    return orth;
}

/* The lecture's projection: SVD of the uncentred Z, z_2d = U_{:,1:2} S_{1:2} = Z v_{1:2}, from the
   eigenvectors of Z^T Z. v1 (d) gets the first right-singular vector. */
static void lecture_svd_2d(const double *Z, int n, int d, double *P, double *v1) {
    Mat G = mat_new(d, d), V = mat_new(d, d);
    double w[MAXD];
    //: $Z^\top Z = V S^2 V^\top$: the right-singular vectors of the uncentred $Z$ (B24)
    for (int a = 0; a < d; a++)
        for (int c = 0; c < d; c++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += Z[(size_t)i * d + a] * Z[(size_t)i * d + c];
            MAT(G, a, c) = s;
        }
    if (eig_sym(G, w, &V, NULL) != LINALG_OK) die("lecture_svd_2d: eig_sym did not converge");
    for (int k = 0; k < d; k++) v1[k] = MAT(V, k, d - 1);
    //: $z_{2d} = U_{[:,1:2]}\,\mathrm{diag}(S_{1:2}) = Z\,V_{[:,1:2]}$
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += Z[(size_t)i * d + k] * MAT(V, k, d - 1 - c);
            P[2 * i + c] = s;
        }
    mat_free(&G), mat_free(&V);
}

/* ---------------------------------------------------------------------------------------- */
/*: ## Class separability, measured

The lecture reads separability off a picture. Two numbers instead, on the 2-D projection $P$ of
the test digits with labels $y$: the **leave-one-out $k$-NN accuracy** ($k = 5$, majority vote of
the 5 nearest other points, ties to the nearest neighbour's label; chance is 0.1) and the
**silhouette** $s_i = (b_i - a_i)/\max(a_i, b_i)$ averaged over points, with $a_i$ the mean distance
to the other points of $i$'s class and $b_i$ the smallest mean distance to another class ($-1$ to
1; 0 for overlapping classes).

$$ \mathrm{acc}_{k\text{-NN}} = \frac1n\sum_i\Big[\,y_i = \operatorname{mode}\{y_j : j\in N_k(i)\}\Big] $$ {#eq:L42.5.6.knn_loo}
*/
static int cmp_pair(const void *a, const void *b) {
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static double knn_loo_accuracy(const double *P, const uint8_t *y, int n, int k) {
    double *dl = xmalloc((size_t)2 * n * sizeof *dl);
    int correct = 0;
    for (int i = 0; i < n; i++) {
        int m = 0;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            const double dx = P[2 * i] - P[2 * j], dy = P[2 * i + 1] - P[2 * j + 1];
            dl[2 * m] = dx * dx + dy * dy, dl[2 * m + 1] = y[j], m++;
        }
        qsort(dl, (size_t)m, 2 * sizeof *dl, cmp_pair);
        int votes[10] = {0}, best = (int)dl[1];
        for (int t = 0; t < k; t++) votes[(int)dl[2 * t + 1]]++;
        for (int c = 0; c < 10; c++)
            if (votes[c] > votes[best]) best = c;
        //: [eq:L42.5.6.knn_loo]
        correct += best == y[i];
    }
    free(dl);
    return (double)correct / n;
}

static double silhouette(const double *P, const uint8_t *y, int n) {
    double total = 0;
    for (int i = 0; i < n; i++) {
        double sum[10] = {0};
        int cnt[10] = {0};
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            sum[y[j]] += hypot(P[2 * i] - P[2 * j], P[2 * i + 1] - P[2 * j + 1]), cnt[y[j]]++;
        }
        const double a = cnt[y[i]] ? sum[y[i]] / cnt[y[i]] : 0;
        double b = INFINITY;
        for (int c = 0; c < 10; c++)
            if (c != y[i] && cnt[c]) b = fmin(b, sum[c] / cnt[c]);
        total += (b - a) / fmax(a, b);
    }
    return total / n;
}

/* ---------------------------------------------------------------------------------------- */
/*: ## Three latent spaces of the 8×8 digits

The VAE and β-VAE ($\beta = 4$, $d_z = 8$) of 4.2 and the VQ-VAE of 4.2 (4 tokens of 16, $K = 512$;
here its encoder output $z_e\in\mathbb R^{64}$ before quantisation, since it has no $\mu$) are
trained by `gm_train` on the 1500 training digits; the 297 test digits are encoded ($\mu$ for the
VAEs) and projected by centred PCA [eq:L42.5.6.pca]. Check: the VAE's 5-NN accuracy in two
dimensions above 0.3 (three times chance). β-VAE and VQ-VAE are printed: the lecture's ordering
(β-VAE most separated) is a claim to compare, not a target.
*/
static void latents(const Cli *cli, const float *train, int n_train, const float *test, int n_test, Latent *L) {
    const long steps = cli_scale(cli, 150, 1500, 6000);
    GenModel m[NMOD];
    gm_vae_init(&m[0], 64, 8, 1.0, 10, cli->seed, 10);
    gm_vae_init(&m[1], 64, 8, 4.0, 10, cli->seed, 20);
    gm_vqvae_init(&m[2], 64, train, n_train, 0, cli->seed, 30);
    static const char *const names[NMOD] = {"VAE", "beta-VAE", "VQ-VAE (z_e)"};
    static const char *const tags[NMOD] = {"vae", "bvae", "vq"};
    for (int k = 0; k < NMOD; k++) {
        char id[64];
        snprintf(id, sizeof id, "L42.5.6.%s_train_finite", tags[k]);
        GmTrainConfig cfg = {.steps = steps, .batch = 128, .clip_norm = k < 2 ? 1000.0 : 100.0, .label = names[k], .check_id = id};
        Rng tr;
        rng_init(&tr, cli->seed, 40 + (uint64_t)k);
        GmTrainResult res = gm_train(&m[k], train, n_train, &cfg, &tr);
        printf("%-13s %ld steps, loss %.3f -> %.3f\n", names[k], res.steps_done, res.first_loss[0], res.avg_loss[0]);
        L[k].name = names[k], L[k].tag = tags[k];
        if (k < 2) {
            L[k].d = 8;
            double *lv = xmalloc((size_t)n_test * 8 * sizeof *lv);
            L[k].Z = xmalloc((size_t)n_test * 8 * sizeof *L[k].Z);
            gm_vae_posterior(m[k].self, test, n_test, 64, L[k].Z, lv);
            free(lv);
        } else {
            GmVq *v = m[k].self;
            L[k].d = GM_VQ_T * GM_VQ_CD;
            AdArena *arena = ad_arena_new(1 << 20);
            int shape[2] = {n_test, 64};
            AdTensor *ze = nn_mlp_forward(arena, &v->enc, ad_from_array(arena, AD_F32, 2, shape, test));
            L[k].Z = xmalloc((size_t)n_test * L[k].d * sizeof *L[k].Z);
            for (long i = 0; i < (long)n_test * L[k].d; i++) L[k].Z[i] = ad_get(ze, i);
            ad_arena_free(arena);
        }
        gm_free(&m[k]);
    }
}

static void section_latent_pca(const Cli *cli) {
    char err[256];
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int n_test = ds.n_test, n_train = ds.n_train;
    const uint8_t *labels = ds.set.labels + n_train;
    Latent L[NMOD];
    latents(cli, ds.train, n_train, ds.test, n_test, L);

    double *P = xmalloc((size_t)n_test * 2 * sizeof *P), *Pl = xmalloc((size_t)n_test * 2 * sizeof *Pl);
    double evr[MAXD], pc1[MAXD], v1[MAXD], acc[NMOD], acc_lec[NMOD], sil[NMOD];
    Plot *fig = plot_new_grid(1, NMOD, 1500, 520, "L42 5.6: centred PCA of the test digits' latents, coloured by label");
    for (int k = 0; k < NMOD; k++) {
        const int d = L[k].d;
        double tr_ratio;
        const double orth = pca_2d(L[k].Z, n_test, d, P, evr, pc1, &tr_ratio);
        char id[64];
        snprintf(id, sizeof id, "L42.5.6.orthonormal_%s", L[k].tag);
        check_close(id, orth, 0.0, 1e-10, "L42.5.6.pca", "%s: max |V^T V - I| of the eigenvectors (d = %d)", L[k].name, d);
        snprintf(id, sizeof id, "L42.5.6.evr_sum_%s", L[k].tag);
        check_close(id, tr_ratio, 1.0, 1e-12, "L42.5.6.pca",
                    "%s: sum of eigenvalues / sum of coordinate variances (EVR sums to 1 against the trace)", L[k].name);
        lecture_svd_2d(L[k].Z, n_test, d, Pl, v1);
        double c = 0, mnorm = 0;
        for (int j = 0; j < d; j++) {
            double m = 0;
            for (int i = 0; i < n_test; i++) m += L[k].Z[(size_t)i * d + j] / n_test;
            c += v1[j] * pc1[j], mnorm += m * m;
        }
        acc[k] = knn_loo_accuracy(P, labels, n_test, KNN);
        acc_lec[k] = knn_loo_accuracy(Pl, labels, n_test, KNN);
        sil[k] = silhouette(P, labels, n_test);
        printf("%-13s d = %2d: EVR(1,2) = %.3f, %.3f; |mean latent| = %.3f, |cos(uncentred v1, PC1)| = %.4f; "
               "5-NN accuracy %.3f (lecture's uncentred projection %.3f), silhouette %.3f\n",
               L[k].name, d, evr[0], evr[1], sqrt(mnorm), fabs(c), acc[k], acc_lec[k], sil[k]);
        plot_panel(fig, k);
        plot_title(fig, L[k].name);
        for (int lab = 0; lab < 10; lab++) {
            double xs[512], ys[512];
            int m = 0;
            for (int i = 0; i < n_test && m < 512; i++)
                if (labels[i] == lab) xs[m] = P[2 * i], ys[m] = P[2 * i + 1], m++;
            char lname[8];
            snprintf(lname, sizeof lname, "%d", lab);
            PlotSeries *s = plot_scatter(fig, xs, ys, m, k == 0 ? lname : NULL);
            plot_series_color(s, (PlotColor)lab);
            plot_series_marker(s, 2.5);
        }
        plot_xlabel(fig, "PC 1"), plot_ylabel(fig, "PC 2");
    }
    check_ge("L42.5.6.knn_vae", acc[0], 0.3, 0, "L42.5.6.knn_loo",
             "VAE: 5-NN leave-one-out digit accuracy in the 2-D centred PCA of mu (chance 0.1)");
    check_erratum("L42.5.6.lecture_uncentred_knn_vq", acc_lec[2], acc[2],
                  "B24: VQ-VAE z_e (mean far from 0) 5-NN accuracy in the lecture's uncentred SVD projection vs centred PCA");
    printf("the lecture says: VAE classes mixed, beta-VAE separated (\"high disentanglement\"), VQ-VAE discrete clusters.\n"
           "measured (5-NN accuracy / silhouette): VAE %.3f / %.3f, beta-VAE %.3f / %.3f, VQ-VAE z_e %.3f / %.3f.\n"
           "Class separability in a 2-D projection is not disentanglement (B24): it does not say whether single latent\n"
           "coordinates capture single factors of variation; beta = 4 keeps less information about x (a smaller KL).\n",
           acc[0], sil[0], acc[1], sil[1], acc[2], sil[2]);
    if (plot_save(fig, cli_out_path(cli, "latent_pca.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(fig);
    for (int k = 0; k < NMOD; k++) free(L[k].Z);
    free(P), free(Pl);
    digits_split_free(&ds);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L42 5.6: centred PCA of VAE / beta-VAE / VQ-VAE latents, separability measured (B24)",
              4215, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_latent_pca(&cli);
    return check_end();
}
