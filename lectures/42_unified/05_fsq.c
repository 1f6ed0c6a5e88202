/*: # L42 4.2 — FSQ: finite scalar quantisation with bounding and code indices

**Lecture 42, Part 2, section 4.2** (the FSQ model of the VAE family, "an implicit codebook"),
with the arithmetic of spec §3 item 8. Finite scalar quantisation replaces VQ-VAE's learned
codebook by a fixed grid: each of the $d$ latent coordinates is bounded to $[-1,1]$ and rounded to
one of $L_j$ levels, so the codebook is the product grid of $\prod_j L_j$ points and needs no
codebook or commitment loss. The lecture's `fsq_quantize` is a stub that returns its input, its
formula assumes $z\in[-1,1]$ without bounding anything, and it never maps a code to an index
(erratum B6). This program is the real quantiser.

What you will see: the code count $\prod L_j = 64000$ for levels $[8,8,8,5,5,5]$ against the
number of distinct outputs the quantiser produces; its grids; its worst rounding error $1/(L-1)$;
the bijection between level tuples and mixed-radix indices over all 64000 codes; the rounding-tie
rule; the bound after $\tanh$; the straight-through gradient against the intended one; and an FSQ
autoencoder on the 8x8 digits trained through `common/genmodel`'s shared loop.
ERRATUM lines: the lecture's stub and its unbounded formula (B6).
Figure: `fsq_recon.png` (test digits and their reconstructions through the 64000-code grid).

Run: `build/release/bin/lectures/42_unified/05_fsq [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $L_j$ (levels) | `levels` | (d) |
| $z_e$ (encoder output) | `z_e` | (n, d) |
| $\bar z = \tanh z_e$ (bounded) | `z_b` | (n, d) |
| $k_j\in\{0..L_j-1\}$ (level digit) | `digit` | (d) |
| $z_q$ (quantised) | `z_q` | (n, d) |
| $c$ (code index) | `index` | scalar |
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
#include "common/gm_fsq.h"
#include "common/image.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"


/*: ## 4.2 The quantiser and its grid

For a coordinate already in $[-1,1]$ the lecture's rule is

$$ k = \operatorname{round}\!\Big(\frac{(\bar z+1)(L-1)}{2}\Big)\in\{0,\dots,L-1\},\qquad
   z_q = k\,\frac{2}{L-1} - 1 , $$ {#eq:L42.4.2.fsq_round}

a uniform grid of $L$ points from $-1$ to $1$ with spacing $2/(L-1)$, so the rounding error is at
most half a spacing, $1/(L-1)$. `round` rounds halves away from zero (C's `round`, Rust's
`f32::round`); `rint` would round them to even — the two differ on ties such as $L = 5$,
$\bar z = 0.25$. Nothing in the lecture puts $z$ into $[-1,1]$: an encoder output of 3 would give
$k = 8$ for $L = 5$, a level that does not exist. Here the encoder output is bounded first,

$$ \bar z = \tanh(z_e) . $$ {#eq:L42.4.2.fsq_bound}

(The FSQ paper bounds with $\lfloor L/2\rfloor\tanh$ and a half-step offset for even $L$, rounding
to integers; it is the same grid up to an affine map.) A code is the digit tuple
$(k_1,\dots,k_d)$, and its index is the mixed-radix number

$$ c = \sum_{j=1}^d k_j \prod_{i<j} L_i,\qquad 0\le c<\prod_j L_j . $$ {#eq:L42.4.2.fsq_index}
*/
static void section_quantiser(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 10);
    /* The number of distinct levels the rule produces per coordinate, from a sweep of [-1, 1]. */
    long count = 1, size = 1;
    double grid_err[2] = {0, 0};
    for (int j = 0; j < GM_FSQ_D; j++) {
        const int L = GM_FSQ_LEVELS[j];
        int seen[16] = {0}, distinct = 0;
        for (int s = 0; s <= 200000; s++) {
            const int k = gm_fsq_digit(-1.0 + s * 1e-5, L);
            if (!seen[k]) seen[k] = 1, distinct++;
            /* grid: the value against the closed-form list {-1 + 2k/(L-1)} */
            const double listed = L == 8 ? (double)(2 * k - 7) / 7.0 : 0.5 * k - 1.0;
            grid_err[L == 8 ? 0 : 1] = fmax(grid_err[L == 8 ? 0 : 1], fabs(gm_fsq_level(k, L) - listed));
        }
        count *= distinct, size *= L;
    }
    check_close("L42.4.2.fsq_size", (double)count, 64000.0, 0, "L42.4.2.fsq_index",
                "product of the distinct quantiser outputs per coordinate (a sweep of [-1,1]) vs the spec's 64000");
    printf("prod L_j for [8,8,8,5,5,5] = %ld\n", size);
    check_close("L42.4.2.fsq_grid8", grid_err[0], 0.0, 1e-12, "L42.4.2.fsq_round",
                "L=8 levels vs {+-1, +-5/7, +-3/7, +-1/7}: max difference");
    check_close("L42.4.2.fsq_grid5", grid_err[1], 0.0, 1e-12, "L42.4.2.fsq_round",
                "L=5 levels vs {-1, -0.5, 0, 0.5, 1}: max difference");

    /* The worst rounding error on 10^6 uniform points of [-1, 1] (no bounding: z already inside). */
    const long n = cli_scale(cli, 100000, 1000000, 1000000);
    for (int L = 5; L <= 8; L += 3) {
        double worst = 0;
        for (long i = 0; i < n; i++) {
            const double z = rng_uniform_range(&r, -1.0, 1.0);
            worst = fmax(worst, fabs(gm_fsq_level(gm_fsq_digit(z, L), L) - z));
        }
        char id[48];
        snprintf(id, sizeof id, "L42.4.2.fsq_max_err_L%d", L);
        check_in(id, worst, 1.0 / (L - 1) - 1e-3, 1.0 / (L - 1) + 1e-12, "L42.4.2.fsq_round",
                 "max |z_q - z| over %ld uniform z in [-1,1] (L=%d): <= 1/(L-1) and attained within 1e-3", n, L);
    }

    /* The bijection: every index -> digits -> code vector -> quantiser -> the same index. */
    long bad = 0;
    unsigned char *hit = xcalloc(64000, 1);
    for (long c = 0; c < 64000; c++) {
        int digit[GM_FSQ_D];
        double z_e[GM_FSQ_D], z_q[GM_FSQ_D];
        gm_fsq_index_to_digits(c, digit);
        for (int j = 0; j < GM_FSQ_D; j++) z_e[j] = atanh(fmin(fmax(gm_fsq_level(digit[j], GM_FSQ_LEVELS[j]), -0.999999), 0.999999));
        const long back = gm_fsq_quantize(z_e, z_q, NULL);
        if (back != c || back < 0 || back >= 64000 || hit[back]) bad++;
        else hit[back] = 1;
    }
    free(hit);
    check_true("L42.4.2.fsq_roundtrip", bad == 0,
               "index -> level tuple -> atanh -> quantiser -> index over all 64000 codes: %ld mismatches", bad);

    //: the tie $L = 5$, $\bar z = 0.25$: $(\bar z+1)\cdot 2 = 2.5$
    const double tie = gm_fsq_level(gm_fsq_digit(0.25, 5), 5), tie_rint = gm_fsq_level((int)rint((0.25 + 1.0) * 2.0), 5);
    check_close("L42.4.2.fsq_tie_rule", tie, 0.5, 0, "L42.4.2.fsq_round",
                "L=5, z=0.25 rounds half away from zero to level 0.5");
    printf("the same tie with rint (half to even): %.1f\n", tie_rint);

    /* Bounding: encoder outputs of any size land in [-1, 1]; the lecture's formula does not. */
    double worst_ours = 0, worst_lecture = 0;
    for (long i = 0; i < 100000; i++) {
        double z_e[GM_FSQ_D], z_q[GM_FSQ_D];
        for (int j = 0; j < GM_FSQ_D; j++) z_e[j] = 10.0 * rng_normal(&r);
        gm_fsq_quantize(z_e, z_q, NULL);
        for (int j = 0; j < GM_FSQ_D; j++) {
            worst_ours = fmax(worst_ours, fabs(z_q[j]));
            worst_lecture = fmax(worst_lecture, fabs(gm_fsq_level(gm_fsq_digit(z_e[j], GM_FSQ_LEVELS[j]), GM_FSQ_LEVELS[j])));
        }
    }
    check_le("L42.4.2.fsq_bounded", worst_ours, 1.0, 0, "L42.4.2.fsq_bound",
             "max |z_q| over 10^5 encoder outputs z_e ~ N(0, 10^2 I) after tanh bounding");
    check_erratum("L42.4.2.fsq_lecture_unbounded", worst_lecture, worst_ours,
                  "B6: max |z_q| of the lecture's formula without bounding on the same z_e (grid ends at 1)");
    const double z3 = 3.0;
    double z3_vec[GM_FSQ_D] = {z3, z3, z3, z3, z3, z3}, z3_q[GM_FSQ_D];
    gm_fsq_quantize(z3_vec, z3_q, NULL);
    check_erratum("L42.4.2.fsq_lecture_stub", z3, z3_q[3],
                  "B6: the lecture's fsq_quantize (identity stub) on z_e = 3, L = 5, vs the quantiser");
}

/*: ## The straight-through estimator

Rounding has zero derivative almost everywhere, so FSQ (like VQ-VAE) passes the gradient
"straight through" the rounding: in the graph $z_q^{\text{st}} = \bar z + \operatorname{sg}[z_q - \bar z]$,
whose value is $z_q$ and whose derivative is that of $\bar z$. For a loss $w^\top z_q^{\text{st}}$ the
intended gradient with respect to the encoder output is therefore

$$ \frac{\partial\, w^\top z_q^{\text{st}}}{\partial z_e} = w\odot\big(1-\tanh^2 z_e\big) . $$ {#eq:L42.4.2.fsq_ste}
*/
static void section_ste(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 11);
    enum { N = 32 };
    double z[N * GM_FSQ_D], w[N * GM_FSQ_D];
    for (int i = 0; i < N * GM_FSQ_D; i++) z[i] = 1.5 * rng_normal(&r), w[i] = rng_normal(&r);
    AdArena *arena = ad_arena_new(1 << 16);
    int shape[2] = {N, GM_FSQ_D};
    AdTensor *z_e = ad_param_new(AD_F64, 2, shape);
    for (int i = 0; i < N * GM_FSQ_D; i++) ad_set(z_e, i, z[i]);
    AdTensor *st = gm_fsq_ste(arena, z_e);
    AdTensor *loss = ad_sum(arena, ad_mul(arena, st, ad_from_doubles(arena, AD_F64, 2, shape, w)));
    ad_zero_grad(&z_e, 1);
    ad_backward(arena, loss);
    double err = 0, val_err = 0;
    for (int i = 0; i < N * GM_FSQ_D; i++) {
        const double t = tanh(z[i]);
        //: $w\odot(1-\tanh^2 z_e)$, [eq:L42.4.2.fsq_ste]
        err = fmax(err, fabs(ad_grad_get(z_e, i) - w[i] * (1.0 - t * t)));
        double zq[GM_FSQ_D], zi[GM_FSQ_D];
        const int row = i / GM_FSQ_D;
        for (int j = 0; j < GM_FSQ_D; j++) zi[j] = z[row * GM_FSQ_D + j];
        gm_fsq_quantize(zi, zq, NULL);
        val_err = fmax(val_err, fabs(ad_get(st, i) - zq[i % GM_FSQ_D]));
    }
    check_close("L42.4.2.fsq_ste_value", val_err, 0.0, 1e-15, "L42.4.2.fsq_ste",
                "straight-through forward value equals z_q (max difference, %d x %d)", N, GM_FSQ_D);
    check_close("L42.4.2.fsq_ste_grad", err, 0.0, 1e-14, "L42.4.2.fsq_ste",
                "autodiff gradient of w.z_q^st vs w (1 - tanh^2 z_e): max difference");
    ad_tensor_free(z_e);
    ad_arena_free(arena);
}

static double mse_per_image(const float *a, const float *b, int n, int d) {
    double s = 0;
    for (long i = 0; i < (long)n * d; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / n;
}

/*: ## An FSQ autoencoder on the 8x8 digits

The autoencoder — encoder $64\to128\to6$, the quantiser [eq:L42.4.2.fsq_ste] with levels
$[8,8,8,5,5,5]$, decoder $6\to128\to64$, the loss [eq:L42.4.2.fsq_loss] — lives in
`common/gm_fsq.h` with the quantiser above. It is trained here by `gm_train`; its test MSE is
compared with the best constant image's, and every latent must be a grid point.
*/
static void section_autoencoder(const Cli *cli) {
    char err[256];
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int d = ds.dim, n_test = ds.n_test, n_train = ds.n_train;
    const float *train = ds.train, *test = ds.test;
    Rng init;
    rng_init(&init, cli->seed, 20);
    GenModel m;
    gm_fsq_ae_init(&m, d, 128, &init);
    check_true("L42.4.2.fsq_caps", gm_check_caps(m.vt), "FSQ-AE's vtable obeys the capability rule (encode, decode; no sample without a prior)");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 300, 3000, 12000), .batch = 128, .clip_norm = 100.0,
                         .label = "fsq", .check_id = "L42.4.2.fsq_train_finite"};
    Rng tr;
    rng_init(&tr, cli->seed, 21);
    GmTrainResult res = gm_train(&m, train, n_train, &cfg, &tr);
    printf("FSQ-AE: %ld parameters, %ld steps, loss %.4f -> %.4f\n", gm_num_params(&m), res.steps_done,
           res.first_loss[0], res.avg_loss[0]);

    /* baseline: the training mean image */
    float *mean = xcalloc((size_t)d, sizeof *mean), *base = xmalloc((size_t)n_test * d * sizeof *base);
    for (int i = 0; i < n_train; i++)
        for (int j = 0; j < d; j++) mean[j] += train[(size_t)i * d + j] / n_train;
    for (int i = 0; i < n_test; i++) memcpy(base + (size_t)i * d, mean, (size_t)d * sizeof *mean);
    float *z = xmalloc((size_t)ds.set.n * GM_FSQ_D * sizeof *z), *rec = xmalloc((size_t)n_test * d * sizeof *rec);
    m.vt->encode(&m, test, n_test, z);
    m.vt->decode(&m, z, n_test, rec);
    const double mse = mse_per_image(rec, test, n_test, d), mse0 = mse_per_image(base, test, n_test, d);
    check_le("L42.4.2.fsq_recon", mse / mse0, 0.6, 0, "L42.4.2.fsq_loss",
             "test MSE %.3f / mean-image MSE %.3f (per image, %d test digits)", mse, mse0, n_test);

    /* codes used on the training set: the z_q are grid points, their indices recovered exactly */
    m.vt->encode(&m, train, n_train, z);
    unsigned char *used = xcalloc(64000, 1);
    long distinct = 0, off_grid = 0;
    for (int i = 0; i < n_train; i++) {
        long c = 0, radix = 1;
        for (int j = 0; j < GM_FSQ_D; j++) {
            const double v = z[(size_t)i * GM_FSQ_D + j];
            const int k = (int)lround((v + 1.0) * (GM_FSQ_LEVELS[j] - 1) / 2.0);
            if (fabs(gm_fsq_level(k, GM_FSQ_LEVELS[j]) - v) > 1e-6) off_grid++;
            c += k * radix, radix *= GM_FSQ_LEVELS[j];
        }
        if (!used[c]) used[c] = 1, distinct++;
    }
    free(used);
    check_true("L42.4.2.fsq_codes_on_grid", off_grid == 0, "every encoded training latent is a grid point (%ld off)", off_grid);
    printf("distinct codes used by %d training digits: %ld of 64000\n", n_train, distinct);

    enum { COLS = 12 };
    float *tiles = xmalloc((size_t)2 * COLS * d * sizeof *tiles);
    memcpy(tiles, test, (size_t)COLS * d * sizeof *tiles);
    memcpy(tiles + (size_t)COLS * d, rec, (size_t)COLS * d * sizeof *tiles);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = COLS, opt.upscale = 6;
    Image8 *img = image_grid(tiles, 2 * COLS, 1, ds.set.height, ds.set.width, &opt);
    static const char *const labels[2] = {"test", "FSQ recon"};
    Plot *fig = plot_new(img->width + 140, img->height + 60, "FSQ autoencoder, levels [8,8,8,5,5,5]");
    plot_image(fig, img, labels, 2);
    if (plot_save(fig, cli_out_path(cli, "fsq_recon.png"), err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    plot_free(fig), image8_free(img);
    free(tiles), free(mean), free(base), free(z), free(rec);
    digits_split_free(&ds);
    gm_free(&m);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.2: FSQ quantiser (grid, bound, index bijection, STE) and an FSQ autoencoder on digits",
              4205, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_quantiser(&cli);
    section_ste(&cli);
    section_autoencoder(&cli);
    return check_end();
}
