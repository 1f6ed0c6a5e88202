/*: # L42 5.7 — scalability: pixel-space vs latent diffusion at equal compute

**Lecture 42, Part 2, section 5.7.** The lecture reports an ImageNet 64×64 run on four A100s: DDPM
FID 12.8 after 7 days, flow matching 9.2 after 3 days, a latent diffusion model (LDM, $f = 4$) 8.1
after 5 days, and concludes that flow matching converges faster and LDM gives the best quality.
None of it can be rerun here, and two of its three claims are about *time*, which depends on the
machine. What can be computed exactly is the reason an LDM is cheaper: its denoiser works on a
latent of a few dimensions instead of the pixels, and its cost per step follows from the layer
sizes.

What you will see: the multiply–adds per denoiser evaluation of a pixel-space and a latent-space
network, counted from the layer widths and, independently, from the parameters of the networks
actually built (checks, exact), and their ratio; then a small equal-compute comparison on the 8×8
digits — a pixel-space DDPM, pixel-space flow matching and an "LDM" (a DDPM on the 8-dimensional
posterior means of a VAE) trained with the same number of denoiser multiply–adds — with the
training loss logged against compute and the final samples' FD in the course classifier's
features. The lecture's table is printed as its claims. Figure: `scalability.png` (loss vs
training compute).

Run: `build/release/bin/lectures/42_unified/16_scalability [--quick | --full] [--seed N] [--out DIR] [--data DIR]`.

| symbol | C name | shape |
|---|---|---|
| $w_0, \dots, w_L$ (layer widths) | `widths` | (L+1) |
| $M = \sum_l w_l w_{l+1}$ (multiply–adds per row) | `macs` | scalar |
| $S_\text{pix}$, $S_\text{lat}$ (training steps) | `steps_pix`, `steps_lat` | scalars |
| $z = \mu_\phi(x)$ (VAE latent) | `z_train` | (n, 8) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/diffusion_schedule.h"
#include "common/digit_classifier.h"
#include "common/digits_split.h"
#include "common/gen_metrics.h"
#include "common/genmodel.h"
#include "common/gm_diffusion.h"
#include "common/gm_fm.h"
#include "common/gm_vae.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

enum { DX = 64, DZ = 8, HID = 128, BATCH = 64, NCKPT = 4 };

/* ---------------------------------------------------------------------------------------- */
/*: ## 5.7 The cost of one denoiser evaluation, counted

A fully connected network with widths $w_0,\dots,w_L$ does, per input row,

$$ M = \sum_{l=0}^{L-1} w_l\,w_{l+1} $$ {#eq:L42.5.7.macs}

multiply–adds in its matrix products (biases and activations add $O(\sum_l w_l)$ more); a training
step costs about $3M$ per row (forward, and a backward that is twice as expensive). The ε-network
of `common/gm_diffusion` takes $(x, t/T)$: widths $(D+1, H, H, D)$. With $H = 128$ the pixel
network ($D = 64$) and the latent one ($D = 8$) differ only in their first and last layers — at
this size the $H\times H$ layer dominates and the latent denoiser is less than twice as cheap. For
the lecture's ImageNet setting ($64\times64\times3 = 12288$ pixels, an $f = 4$ latent of
$16\times16\times4 = 1024$) the input and output layers dominate instead, and the same count gives
the order-of-magnitude saving that makes LDMs practical. Second route: the networks are built and
their weight count (parameters minus biases) must equal $M$.
*/
static long macs_of(const int *widths, int nl) {
    long m = 0;
    //: $M = \sum_l w_l w_{l+1}$, [eq:L42.5.7.macs]
    for (int l = 0; l < nl; l++) m += (long)widths[l] * widths[l + 1];
    return m;
}

static void section_flops(const Cli *cli, double *ratio) {
    const int wp[4] = {DX + 1, HID, HID, DX}, wl[4] = {DZ + 1, HID, HID, DZ};
    const long mp = macs_of(wp, 3), ml = macs_of(wl, 3);
    Rng init;
    rng_init(&init, cli->seed, 1);
    DiffusionSchedule sch = diffusion_schedule_linear(1000, 1e-4, 0.02);
    GenModel pix, lat;
    gm_ddpm_init(&pix, DX, HID, &sch, &init), gm_ddpm_init(&lat, DZ, HID, &sch, &init);
    //: weights = parameters - biases $(H + H + D)$: the built network's own count
    const long wpix = gm_num_params(&pix) - (HID + HID + DX), wlat = gm_num_params(&lat) - (HID + HID + DZ);
    check_close("L42.5.7.macs_pixel", (double)wpix, (double)mp, 0, "L42.5.7.macs",
                "pixel eps-net (65, 128, 128, 64): weights of the built network = multiply-adds per row from the widths");
    check_close("L42.5.7.macs_latent", (double)wlat, (double)ml, 0, "L42.5.7.macs",
                "latent eps-net (9, 128, 128, 8): weights of the built network = multiply-adds per row from the widths");
    *ratio = (double)ml / mp;
    printf("multiply-adds per denoiser evaluation: pixel %ld, latent %ld, ratio latent/pixel %.4f\n", mp, ml, *ratio);
    const int ip[4] = {12289, 2048, 2048, 12288}, il[4] = {1025, 2048, 2048, 1024};
    printf("the same count at ImageNet 64x64x3 (an MLP with H = 2048, f = 4 latent 16x16x4): pixel %ld, latent %ld, "
           "ratio %.4f\n", macs_of(ip, 3), macs_of(il, 3), (double)macs_of(il, 3) / macs_of(ip, 3));
    gm_free(&pix), gm_free(&lat);
    diffusion_schedule_free(&sch);
}

/* ---------------------------------------------------------------------------------------- */
/*: ## 5.7 Equal compute on the digits

Three generators get the same denoiser training compute $3M_\text{pix}\,B\,S_\text{pix}$: a
pixel-space DDPM and pixel-space flow matching ($S_\text{pix}$ steps each), and an "LDM": a VAE
($d_z = 8$, `common/gm_vae`, trained first; its cost is reported, not charged, as the lecture's
LDM also reuses a pretrained autoencoder) whose posterior means $z = \mu_\phi(x)$ are the data of a
latent DDPM trained for $S_\text{lat} = S_\text{pix}\,M_\text{pix}/M_\text{lat}$ steps. The training
loss is logged at four equal slices of the compute (`gm_train` continued slice by slice), and
the final DDIM-50 (Euler-50 for flow matching; latent samples decoded by the VAE) samples are
measured by the FD in the course classifier's features against the test digits
([eq:common.linalg.fid]; not at `--quick`, whose 40 samples would give singular covariances). At this scale the comparison says little about ImageNet; it shows the
mechanism, not the lecture's ranking.
*/
typedef struct {
    const char *name;
    double loss[NCKPT], fd;
} Curve;

static void train_slices(GenModel *m, const float *data, int n, long steps, double ema, uint64_t seed, uint64_t stream,
                         const char *id, Curve *c) {
    Rng tr;
    rng_init(&tr, seed, stream);
    for (int k = 0; k < NCKPT; k++) {
        char cid[64];
        snprintf(cid, sizeof cid, "%s_%d", id, k + 1);
        GmTrainConfig cfg = {.steps = steps / NCKPT, .batch = BATCH, .clip_norm = 10.0, .ema_decay = ema, .label = c->name,
                             .check_id = cid};
        GmTrainResult r = gm_train(m, data, n, &cfg, &tr);
        c->loss[k] = r.avg_loss[0];
    }
}

/* FD of n samples (pixel values, quantised to 17 levels) against the test features */
static double fd_of(const DigitClassifier *clf, const float *s, int n, const double *feat_test, int n_test) {
    if (n <= DIGIT_FEATURES) return NAN; /* --quick: a singular covariance, and two 256-d eigensolves saved */
    float *pm1 = xmalloc((size_t)n * DX * sizeof *pm1);
    double *feat = xmalloc((size_t)n * DIGIT_FEATURES * sizeof *feat);
    for (long i = 0; i < (long)n * DX; i++) {
        const double v = fmin(1.0, fmax(0.0, s[i]));
        pm1[i] = (float)(2.0 * round(16.0 * v) / 16.0 - 1.0);
    }
    digit_classifier_eval(clf, pm1, n, feat, NULL);
    const double fd = fid_from_features(feat, n, feat_test, n_test, DIGIT_FEATURES, NULL);
    free(pm1), free(feat);
    return fd;
}

static void section_equal_compute(const Cli *cli, double ratio) {
    char err[256];
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int n_test = ds.n_test, n_train = ds.n_train, n_s = (int)cli_scale(cli, 40, 400, 1000);
    const float *all = ds.train;
    float *pm1 = digit_images_pm1(&ds.set, 0, ds.set.n);
    DigitClassifier clf;
    digit_classifier_init(&clf, 8, DIGIT_CLASSIFIER_SEED);
    DigitTrainConfig dc = digit_train_config(8, cli->scale, DIGIT_CLASSIFIER_SEED);
    dc.verbose = 0;
    if (cli->scale != SCALE_FULL) dc.epochs = (int)cli_scale(cli, 1, 2, 0);
    digit_classifier_train(&clf, pm1, ds.set.labels, n_train, &dc, NULL);
    double *feat_test = xmalloc((size_t)n_test * DIGIT_FEATURES * sizeof *feat_test);
    digit_classifier_eval(&clf, pm1 + (size_t)n_train * DX, n_test, feat_test, NULL);
    free(pm1);

    const long steps_pix = cli_scale(cli, 40, 1200, 8000);
    //: $S_\text{lat} = S_\text{pix} M_\text{pix}/M_\text{lat}$: the same denoiser multiply-adds
    const long steps_lat = (long)llround(steps_pix / ratio / NCKPT) * NCKPT;
    const int wp[4] = {DX + 1, HID, HID, DX};
    printf("equal compute: %ld pixel steps = %ld latent steps of batch %d (%.4g denoiser multiply-adds forward, x3 to train)\n",
           steps_pix, steps_lat, BATCH, (double)steps_pix * BATCH * macs_of(wp, 3));
    Rng init;
    rng_init(&init, cli->seed, 2);
    DiffusionSchedule sch = diffusion_schedule_linear(1000, 1e-4, 0.02);
    GenModel ddpm, fm, vae, ldm;
    gm_ddpm_init(&ddpm, DX, HID, &sch, &init);
    gm_fm_init(&fm, DX, HID, 0, &init);
    gm_vae_init(&vae, DX, DZ, 1.0, 10, cli->seed, 3);
    gm_ddpm_init(&ldm, DZ, HID, &sch, &init);
    diffusion_schedule_free(&sch);
    Curve cv[3] = {{.name = "DDPM (pixels)"}, {.name = "FM (pixels)"}, {.name = "LDM (VAE latent)"}};
    train_slices(&ddpm, all, n_train, steps_pix, 0.995, cli->seed, 10, "L42.5.7.ddpm_finite", &cv[0]);
    train_slices(&fm, all, n_train, steps_pix, 0, cli->seed, 11, "L42.5.7.fm_finite", &cv[1]);
    GmTrainConfig vcfg = {.steps = steps_pix, .batch = BATCH, .clip_norm = 1000.0, .label = "VAE", .check_id = "L42.5.7.vae_finite"};
    Rng vr;
    rng_init(&vr, cli->seed, 12);
    gm_train(&vae, all, n_train, &vcfg, &vr);
    double *mu = xmalloc((size_t)n_train * DZ * sizeof *mu), *lv = xmalloc((size_t)n_train * DZ * sizeof *lv);
    float *z_train = xmalloc((size_t)n_train * DZ * sizeof *z_train);
    gm_vae_posterior(vae.self, all, n_train, DX, mu, lv);
    //: the LDM's data: $z = \mu_\phi(x)$ of the training digits
    for (long i = 0; i < (long)n_train * DZ; i++) z_train[i] = (float)mu[i];
    train_slices(&ldm, z_train, n_train, steps_lat, 0.995, cli->seed, 13, "L42.5.7.ldm_finite", &cv[2]);

    float *s = xmalloc((size_t)n_s * DX * sizeof *s), *zs = xmalloc((size_t)n_s * DZ * sizeof *zs);
    Rng sr;
    rng_init(&sr, cli->seed, 20);
    ddpm.vt->sample(&ddpm, n_s, s, &sr);
    cv[0].fd = fd_of(&clf, s, n_s, feat_test, n_test);
    fm.vt->sample(&fm, n_s, s, &sr);
    cv[1].fd = fd_of(&clf, s, n_s, feat_test, n_test);
    ldm.vt->sample(&ldm, n_s, zs, &sr);
    vae.vt->decode(&vae, zs, n_s, s);
    cv[2].fd = fd_of(&clf, s, n_s, feat_test, n_test);
    const double fd_real = fd_of(&clf, all, n_s < n_train ? n_s : n_train, feat_test, n_test);
    printf("| model | loss at 1/4, 1/2, 3/4, 1 of the compute | FD (n = %d) |\n|---|---|---|\n", n_s);
    for (int k = 0; k < 3; k++)
        printf("| %s | %.4f, %.4f, %.4f, %.4f | %.2f |\n", cv[k].name, cv[k].loss[0], cv[k].loss[1], cv[k].loss[2], cv[k].loss[3],
               cv[k].fd);
    printf("| real (training digits) | - | %.2f |\n", fd_real);
    if (isnan(fd_real)) printf("(FD not computed: n = %d samples <= %d features at this scale)\n", n_s, DIGIT_FEATURES);
    printf("the lecture's 5.7 (ImageNet 64x64, 4 x A100; its claims): DDPM FID 12.8 in 7 days, Flow Matching 9.2 in 3 days, "
           "LDM (f=4) 8.1 in 5 days\n");

    double xs[NCKPT];
    for (int k = 0; k < NCKPT; k++) xs[k] = (k + 1.0) / NCKPT;
    Plot *p = plot_new(720, 480, "L42 5.7 at toy scale: training loss vs denoiser compute");
    static const PlotColor col[3] = {PLOT_BLUE, PLOT_ORANGE, PLOT_GREEN};
    for (int k = 0; k < 3; k++) {
        PlotSeries *ser = plot_line(p, xs, cv[k].loss, NCKPT, cv[k].name);
        plot_series_color(ser, col[k]);
    }
    plot_xlabel(p, "fraction of the shared compute"), plot_ylabel(p, "training loss (last 10% of the slice)");
    if (plot_save(p, cli_out_path(cli, "scalability.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(p);
    free(mu), free(lv), free(z_train), free(s), free(zs), free(feat_test);
    gm_free(&ddpm), gm_free(&fm), gm_free(&vae), gm_free(&ldm);
    digit_classifier_free(&clf);
    digits_split_free(&ds);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L42 5.7: denoiser cost counted; pixel vs latent diffusion at equal compute", 4216,
              NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    double ratio;
    section_flops(&cli, &ratio);
    section_equal_compute(&cli, ratio);
    return check_end();
}
