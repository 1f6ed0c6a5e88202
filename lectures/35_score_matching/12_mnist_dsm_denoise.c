/*: # L35 7.7c — Hands-on project: image denoising with denoising score matching

**Lecture 35, Part 2, section 7.7 project (c)** (advanced): add Gaussian noise $\sigma = 0.5$ to
digit images (pixels in $[0, 1]$, no clipping, the lecture's `add_gaussian_noise`), learn the
score of the noisy images by DSM, denoise with Tweedie's formula, compare with a plain denoising
autoencoder (DAE), and measure PSNR and SSIM.

Data: MNIST when `data/fetch.sh` has fetched it (`make check` does), else the 8x8 digits that
ship with the course (`--dataset` picks another, e.g. `fashion-mnist`). A subset is used at the
default scale (the first 1497 digits or 4000 MNIST images for training, 300 / 1000 held out for
testing; $H = 128$, 3000 / 800 steps); `--full` trains 20,000 steps with $H = 256$ (digits) or
$H = 512$ (MNIST, all images).

Two networks with the same architecture ($D$-$H$-$H$-$D$ MLP with SiLU, Adam $10^{-3}$, batch
64, the same batches and noise, different initial weights):
- DSM: a score network $s_\theta$, loss $\lVert s_\theta(\tilde x) + \epsilon/\sigma\rVert^2$
  (eq. [eq:L35.4.2.dsm_loss]), denoiser $\hat x = \tilde x + \sigma^2 s_\theta(\tilde x)$
  (Tweedie, eq. [eq:L35.A.2.tweedie]);
- DAE: output $r_\phi(\tilde x)$, loss $\lVert r_\phi(\tilde x) - x\rVert^2$.

The score network needs a skip term. Written as a plain MLP, $s_\theta$ must output
$(\mathbb E[x|\tilde x] - \tilde x)/\sigma^2$, whose $-\tilde x/\sigma^2$ part is full-rank: a
784-128-128-784 MLP cannot pass 784 independent noise values through its 128-wide layers (on
MNIST it gains 0.6 dB where the DAE gains 10). So the score is given the Gaussian form

$$ s_\theta(\tilde x) = \frac{g_\theta(\tilde x) - \tilde x}{\sigma^2} $$ {#eq:L35.7.7c.score_skip}

(the score of $\mathcal N(g_\theta(\tilde x), \sigma^2 I)$). Then the DSM loss is
$\lVert g_\theta(\tilde x) - x\rVert^2/\sigma^4$, the DAE loss divided by $\sigma^4$
(eq. [eq:L35.A.2.dae_equivalence]), and the Tweedie denoiser is $g_\theta$: DSM training *is*
denoising-autoencoder training, here with a different loss scale (which Adam almost ignores) and a
different initialisation.

What you will see: the noisy PSNR at its closed form 6.02 dB, the gain of both denoisers, their
SSIM, and `denoise_grid.png` (rows: clean, noisy, DSM-Tweedie, DAE).

Run: `make run L=35`, or `build/release/bin/lectures/35_score_matching/12_mnist_dsm_denoise [--out DIR] [--dataset NAME]`.

| symbol | C name | shape |
|---|---|---|
| $x$ (clean images) | `train`, `test` | (n, D) |
| $\tilde x = x + \sigma\epsilon$ | `noisy` | (n, D) |
| $s_\theta$, $\hat x_\text{DSM} = \tilde x + \sigma^2 s_\theta$ | `dsm`, `den_dsm` | (n, D) |
| $r_\phi$ (DAE) | `dae`, `den_dae` | (n, D) |
| PSNR, SSIM | `psnr()`, `ssim_global()` | scalars |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ad.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/dsm_train.h"
#include "common/data.h"
#include "common/image.h"
#include "common/plot.h"
#include "common/nn.h"
#include "common/optim.h"
#include "common/progress.h"
#include "common/util.h"

enum { BATCH = 64 };
static const double SIGMA = 0.5;

/*: ## 7.7c PSNR of the noisy images, in closed form

For pixels in $[0, 1]$ (peak 1),

$$ \mathrm{PSNR} = 10\log_{10}\frac{1}{\mathrm{MSE}},\qquad \mathrm{MSE}(\tilde x, x) = \mathbb E\,(\sigma\epsilon)^2 = \sigma^2
   \ \Rightarrow\ \mathrm{PSNR}_\text{noisy} = 10\log_{10}(1/0.25) = 6.0206\ \mathrm{dB} $$ {#eq:L35.7.7c.psnr}

(exactly, as long as the noisy values are not clipped back to $[0,1]$; clipping would lower the
MSE and raise the PSNR).
*/
static double mse_of(const float *a, const float *b, long n) {
    double acc = 0;
    //: $\mathrm{MSE} = \frac1n\sum_i (a_i - b_i)^2$
    for (long i = 0; i < n; i++) acc += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return acc / n;
}
static double psnr(double mse) {
    //: eq. [eq:L35.7.7c.psnr]
    return 10.0 * log10(1.0 / mse);
}

/*: ## 7.7c SSIM

The structural similarity of Wang et al. (2004) compares means, variances and the covariance:

$$ \mathrm{SSIM}(x, y) = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}{(\mu_x^2+\mu_y^2+C_1)(\sigma_x^2+\sigma_y^2+C_2)},\quad C_1 = (0.01)^2,\ C_2 = (0.03)^2 $$ {#eq:L35.7.7c.ssim}

computed here with one window per image (the whole image; the usual SSIM averages it over
$7\times7$ or Gaussian windows) and averaged over the test images.
*/
static double ssim_global(const float *x, const float *y, int d) {
    double mx = 0, my = 0, vx = 0, vy = 0, cxy = 0;
    for (int i = 0; i < d; i++) mx += x[i], my += y[i];
    mx /= d, my /= d;
    for (int i = 0; i < d; i++) {
        vx += (x[i] - mx) * (x[i] - mx), vy += (y[i] - my) * (y[i] - my), cxy += (x[i] - mx) * (y[i] - my);
    }
    vx /= d - 1, vy /= d - 1, cxy /= d - 1;
    const double c1 = 1e-4, c2 = 9e-4;
    //: eq. [eq:L35.7.7c.ssim]
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
}

/* One network of either kind: the score model of common/dsm_train.h (MLP, parameters, Adam). */
typedef struct {
    DsmModel net;
    int is_dsm;
} Model;

static void model_init(Model *m, int d, int hidden, int is_dsm, Rng *rng) {
    const int widths[4] = {d, hidden, hidden, d};
    dsm_model_init(&m->net, 3, widths, NN_ACT_SILU, is_dsm ? "dsm" : "dae", 1e-3, rng);
    m->is_dsm = is_dsm;
}

/* One training step on a batch: x clean, eps noise, xn = x + sigma eps (all BATCH x d). */
static double model_step(AdArena *arena, Model *m, const float *x, const float *eps, const float *xn, int d,
                         float *target) {
    if (!m->is_dsm)
        //: DAE: $\lVert r_\phi(\tilde x) - x\rVert^2$ (eq. [eq:common.dsm.loss], plain form, target $x$)
        return dsm_model_step(&m->net, arena, xn, x, BATCH, 0.0);
    //: DSM target $-\epsilon/\sigma$
    for (long i = 0; i < (long)BATCH * d; i++) target[i] = (float)(-eps[i] / SIGMA);
    //: DSM: $s_\theta(\tilde x) = (g_\theta(\tilde x) - \tilde x)/\sigma^2$, eq. [eq:L35.7.7c.score_skip]; loss eq. [eq:L35.4.2.dsm_loss]
    return dsm_model_step(&m->net, arena, xn, target, BATCH, 1.0 / (SIGMA * SIGMA));
}

/* Denoised images of xn (n x d): Tweedie for DSM, the output for DAE. */
static void model_denoise(AdArena *arena, const Model *m, const float *xn, long n, int d, float *out) {
    for (long start = 0; start < n; start += 256) {
        int b = (int)(n - start < 256 ? n - start : 256);
        ad_arena_reset(arena);
        const int shape[2] = {b, d};
        AdTensor *y = nn_mlp_forward(arena, &m->net.mlp, ad_from_array(arena, AD_F32, 2, shape, xn + start * d));
        const float *v = ad_f32(y);
        for (long i = 0; i < (long)b * d; i++) {
            if (!m->is_dsm) {
                out[start * d + i] = v[i];
                continue;
            }
            //: $s_\theta = (g_\theta(\tilde x) - \tilde x)/\sigma^2$, [eq:L35.7.7c.score_skip]
            double score = (v[i] - xn[start * d + i]) / (SIGMA * SIGMA);
            //: $\hat x = \tilde x + \sigma^2 s_\theta(\tilde x)$, eq. [eq:L35.A.2.tweedie]
            out[start * d + i] = (float)(xn[start * d + i] + SIGMA * SIGMA * score);
        }
    }
    ad_arena_reset(arena);
}

/* The data and the scale, shared by the sections. */
typedef struct {
    ImageSet set;
    float *all;
    const float *train, *test; /* (n_train, d), (n_test, d) */
    int d, small, hidden;
    long n_train, n_test, steps;
} Data;

/* The held-out images with one fixed noise draw, and their PSNR against eq. psnr (section above). */
static float *noisy_test_set(const Cli *cli, const Data *dt, double *psnr_noisy_out) {
    const long n_test = dt->n_test;
    const int d = dt->d;
    const float *test = dt->test;
    float *noisy = xmalloc(sizeof(float) * n_test * d);
    {
        Rng r;
        rng_init(&r, cli->seed, 5);
        //: $\tilde x = x + \sigma\epsilon$, no clipping (the lecture's add_gaussian_noise)
        for (long i = 0; i < n_test * d; i++) noisy[i] = (float)(test[i] + SIGMA * rng_normal(&r));
    }
    const double mse_noisy = mse_of(noisy, test, n_test * d);
    double se_mse;
    {
        double q = 0;
        for (long i = 0; i < n_test * d; i++) {
            double e2 = ((double)noisy[i] - test[i]) * ((double)noisy[i] - test[i]);
            q += (e2 - mse_noisy) * (e2 - mse_noisy);
        }
        se_mse = sqrt(q / (n_test * d - 1) / (n_test * d));
    }
    //: $10\log_{10}(1/\sigma^2)$, [eq:L35.7.7c.psnr]
    const double psnr_noisy = psnr(mse_noisy), psnr_exact = 10 * log10(1.0 / (SIGMA * SIGMA));
    printf("noisy test images: MSE %.5f, PSNR %.4f dB (closed form %.4f dB)\n", mse_noisy, psnr_noisy, psnr_exact);
    check_mc("L35.7.7c.noisy_mse", mse_noisy, SIGMA * SIGMA, se_mse, 4, n_test * d, "L35.7.7c.psnr",
             "MSE of the unclipped noisy test images = sigma^2 (SE from the pixels)");
    /* delta method: d PSNR / d MSE = -10 / (ln 10 MSE) */
    check_mc("L35.7.7c.psnr_noisy", psnr_noisy, psnr_exact, 10.0 / log(10.0) / (SIGMA * SIGMA) * se_mse, 4,
             n_test * d, "L35.7.7c.psnr", "PSNR of the noisy images = 10 log10(1/sigma^2) = 6.02 dB (SE by the delta method)");
    *psnr_noisy_out = psnr_noisy;
    return noisy;
}

/*: ## 7.7c Training both models on the same batches

Each step draws 64 training images (with replacement) and fresh noise, and both models take
one Adam step on that same batch.
*/
static bool train_both(const Cli *cli, const Data *dt, Model *dsm, Model *dae, AdArena *arena) {
    const int d = dt->d;
    const long steps = dt->steps, n_train = dt->n_train;
    const float *train = dt->train;
    Rng init_rng, data_rng;
    rng_init(&init_rng, cli->seed, 0);
    rng_init(&data_rng, cli->seed, 1);
    model_init(dsm, d, dt->hidden, 1, &init_rng);
    model_init(dae, d, dt->hidden, 0, &init_rng);
    float *bx = xmalloc(sizeof(float) * BATCH * d), *be = xmalloc(sizeof(float) * BATCH * d);
    float *bn = xmalloc(sizeof(float) * BATCH * d), *bt = xmalloc(sizeof(float) * BATCH * d);
    double tail_dsm = 0, tail_dae = 0;
    Progress progress;
    progress_start(&progress, "DSM + DAE training", steps);
    for (long step = 0; step < steps; step++) {
        for (int b = 0; b < BATCH; b++) {
            long k = (long)rng_below(&data_rng, (uint32_t)n_train);
            for (int j = 0; j < d; j++) {
                bx[b * d + j] = train[k * d + j];
                be[b * d + j] = (float)rng_normal(&data_rng);
                //: $\tilde x = x + \sigma\epsilon$
                bn[b * d + j] = (float)(bx[b * d + j] + SIGMA * be[b * d + j]);
            }
        }
        //: one Adam step of each model on the same batch
        double l1 = model_step(arena, dsm, bx, be, bn, d, bt), l2 = model_step(arena, dae, bx, be, bn, d, bt);
        if (!isfinite(l1) || !isfinite(l2)) {
            check_true("L35.7.7c.training_finite", false, "loss not finite at step %ld (DSM %g, DAE %g)", step + 1, l1, l2);
            free(bx), free(be), free(bn), free(bt);
            return false;
        }
        if (step >= steps - 100) tail_dsm += l1 / 100, tail_dae += l2 / 100;
        progress_update_value(&progress, step + 1, "dsm", l1);
    }
    progress_end(&progress);
    printf("last-100 mean losses: DSM %.3f (x sigma^4 = %.4f per image), DAE %.4f per image\n", tail_dsm,
           tail_dsm * pow(SIGMA, 4), tail_dae);
    free(bx), free(be), free(bn), free(bt);
    return true;
}

/*: ## 7.7c Denoising the held-out images

The DSM model denoises by Tweedie's formula (eq. [eq:L35.A.2.tweedie]), the DAE by its output;
both are scored by PSNR (eq. [eq:L35.7.7c.psnr]) and SSIM (eq. [eq:L35.7.7c.ssim]) on the
held-out images. The figure `denoise_grid.png` shows clean, noisy, DSM and DAE rows.
*/
static void denoise_heldout(const Cli *cli, const Data *dt, const Model *dsm, const Model *dae, AdArena *arena,
                            const float *noisy, double psnr_noisy) {
    char err[256];
    const long n_test = dt->n_test;
    const int d = dt->d, small = dt->small;
    const float *test = dt->test;
    float *den_dsm = xmalloc(sizeof(float) * n_test * d), *den_dae = xmalloc(sizeof(float) * n_test * d);
    model_denoise(arena, dsm, noisy, n_test, d, den_dsm);
    model_denoise(arena, dae, noisy, n_test, d, den_dae);
    //: PSNR of both denoisers, [eq:L35.7.7c.psnr]
    const double psnr_dsm = psnr(mse_of(den_dsm, test, n_test * d)), psnr_dae = psnr(mse_of(den_dae, test, n_test * d));
    double ssim_noisy = 0, ssim_dsm = 0, ssim_dae = 0;
    for (long i = 0; i < n_test; i++) {
        //: mean SSIM over the test images, [eq:L35.7.7c.ssim]
        ssim_noisy += ssim_global(test + i * d, noisy + i * d, d) / n_test;
        ssim_dsm += ssim_global(test + i * d, den_dsm + i * d, d) / n_test;
        ssim_dae += ssim_global(test + i * d, den_dae + i * d, d) / n_test;
    }
    printf("PSNR: noisy %.2f dB, DSM-Tweedie %.2f dB, DAE %.2f dB\n", psnr_noisy, psnr_dsm, psnr_dae);
    printf("SSIM (one window per image): noisy %.3f, DSM-Tweedie %.3f, DAE %.3f\n", ssim_noisy, ssim_dsm, ssim_dae);
    const double gain_bar = cli->scale == SCALE_QUICK ? 3.0 : (small ? 6.0 : 8.0);
    check_ge("L35.7.7c.psnr_gain_dsm", psnr_dsm - psnr_noisy, gain_bar, 0.0, "L35.A.2.tweedie",
             "PSNR gain of the Tweedie denoiser x~ + sigma^2 s_theta(x~) on held-out images (bar %.0f dB)", gain_bar);
    check_ge("L35.7.7c.psnr_gain_dae", psnr_dae - psnr_noisy, gain_bar, 0.0, "L35.A.2.dae_equivalence",
             "PSNR gain of the DAE baseline on held-out images (bar %.0f dB)", gain_bar);
    check_le("L35.7.7c.dsm_vs_dae", fabs(psnr_dsm - psnr_dae), 0.3, 0.0, "L35.A.2.dae_equivalence",
             "|PSNR_DSM - PSNR_DAE|: the same objective up to sigma^4 (different init; bar 0.3 dB, spec L35 7.7c)");
    check_ge("L35.7.7c.ssim_increases", fmin(ssim_dsm, ssim_dae) - ssim_noisy, 0.0, 0.0, "L35.7.7c.ssim",
             "SSIM of both denoisers minus that of the noisy images (> 0)");
    /* Figure: clean / noisy / DSM / DAE rows of 10 test images. */
    {
        enum { COLS = 10 };
        float *tiles = xmalloc(sizeof(float) * 4 * COLS * d);
        const float *rows[4] = {test, noisy, den_dsm, den_dae};
        for (int r = 0; r < 4; r++) memcpy(tiles + (long)r * COLS * d, rows[r], sizeof(float) * COLS * d);
        ImageGridOptions opt = image_grid_defaults();
        opt.cols = COLS;
        opt.upscale = small ? 8 : 3;
        opt.lo = 0.0f, opt.hi = 1.0f;
        Image8 *img = image_grid(tiles, 4 * COLS, 1, dt->set.height, dt->set.width, &opt);
        static const char *const labels[4] = {"clean", "noisy", "DSM + Tweedie", "DAE"};
        Plot *fig = plot_new(img->width + 160, img->height + 60, "7.7c: denoising with DSM (sigma = 0.5)");
        plot_image(fig, img, labels, 4);
        if (plot_save(fig, cli_out_path(cli, "denoise_grid.png"), err, sizeof err) != 0) die("%s", err);
        plot_free(fig);
        printf("denoise_grid.png rows: clean, noisy (clipped for display), DSM-Tweedie, DAE\n");
        image8_free(img);
        free(tiles);
    }
    free(den_dsm), free(den_dae);
}

int main(int argc, char **argv) {
    Cli cli;
    const char *dataset = "mnist";
    const CliExtra extras[] = {{"--dataset", CLI_STRING, &dataset, "digits, mnist, fashion-mnist (default mnist)"},
                               {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L35 7.7c: DSM (Tweedie) vs DAE image denoising, PSNR and SSIM",
              35073, extras);
    char note[512];
    Data dt;
    int got = dataset_load_or_digits(cli.data_dir, dataset, &dt.set, note, sizeof note);
    if (got < 0) {
        fprintf(stderr, "%s\n", note);
        return 2;
    }
    if (got == 1) printf("note: %s\n", note);
    dt.d = (int)imageset_dim(&dt.set), dt.small = dt.d <= 64;
    printf("dataset %s: %d images of %dx%d\n", dt.set.name, dt.set.n, dt.set.height, dt.set.width);
    dt.n_test = dt.small ? 300 : cli_scale(&cli, 200, 1000, 2000);
    dt.n_train = dt.small ? dt.set.n - dt.n_test : cli_scale(&cli, 1000, 4000, dt.set.n - dt.n_test);
    dt.hidden = dt.small ? (int)cli_scale(&cli, 64, 128, 256) : (int)cli_scale(&cli, 64, 128, 512);
    dt.steps = dt.small ? cli_scale(&cli, 300, 3000, 20000) : cli_scale(&cli, 100, 800, 20000);
    dt.all = imageset_to_float(&dt.set);
    dt.train = dt.all, dt.test = dt.all + dt.n_train * dt.d;
    double psnr_noisy;
    float *noisy = noisy_test_set(&cli, &dt, &psnr_noisy);
    Model dsm, dae;
    AdArena *arena = ad_arena_new(1 << 22);
    if (train_both(&cli, &dt, &dsm, &dae, arena)) denoise_heldout(&cli, &dt, &dsm, &dae, arena, noisy, psnr_noisy);
    free(noisy), free(dt.all);
    ad_arena_free(arena);
    dsm_model_free(&dsm.net), dsm_model_free(&dae.net);
    imageset_free(&dt.set);
    return check_end();
}
