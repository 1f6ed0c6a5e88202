/* Unit tests of common/image.h: PNG round trips for every channel count, broken files (missing,
   empty, not a PNG, truncated, corrupted) coming back as errors, the quantisation map, and the
   geometry and pixel placement of sample grids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/image.h"
#include "common/util.h"

/* A picture whose every byte depends on (x, y, channel), so any misplacement shows. */
static Image8 *pattern(int w, int h, int c) {
    Image8 *img = image8_new(w, h, c);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                img->pixels[((size_t)y * w + x) * c + k] = (uint8_t)(x * 7 + y * 13 + k * 71);
    return img;
}

static int same_image(const Image8 *a, const Image8 *b) {
    return a && b && a->width == b->width && a->height == b->height &&
           a->channels == b->channels &&
           memcmp(a->pixels, b->pixels, (size_t)a->width * a->height * a->channels) == 0;
}

static long file_bytes(const char *path, unsigned char **data) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = xmalloc((size_t)n + 1);
    if (fread(*data, 1, (size_t)n, f) != (size_t)n) n = -1;
    fclose(f);
    return n;
}

static void write_bytes(const char *path, const unsigned char *data, long n) {
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write %s", path);
    fwrite(data, 1, (size_t)n, f);
    fclose(f);
}

/* Reading `path` must fail with a message (and, under ASan/valgrind, without leaking). */
static void expect_read_error(const char *id, const char *path, const char *what) {
    char err[512] = "";
    Image8 *img = image_read_png(path, err, sizeof err);
    int ok = img == NULL && err[0] != '\0';
    check_true(id, ok, "reading %s gives an error: \"%s\"", what, err);
    image8_free(img);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of PNG I/O, conversions and grids", 11,
              NULL);
    char err[512];

    /* --- round trips: grey, grey+alpha, RGB, RGBA (odd sizes, so no row happens to align) --- */
    static const char *names[5] = {"", "gray", "gray_alpha", "rgb", "rgba"};
    for (int c = 1; c <= 4; c++) {
        Image8 *img = pattern(37, 23, c);
        char id[64], file[64];
        snprintf(file, sizeof file, "roundtrip_%s.png", names[c]);
        const char *path = cli_out_path(&cli, file);
        int wrc = image_write_png(path, img, err, sizeof err);
        Image8 *back = wrc == 0 ? image_read_png(path, err, sizeof err) : NULL;
        snprintf(id, sizeof id, "common.image.png_roundtrip_%s", names[c]);
        check_true(id, same_image(img, back), "%s 37x23 PNG written then read back is identical",
                   names[c]);
        image8_free(img);
        image8_free(back);
    }

    /* --- broken files --- */
    Image8 *src = pattern(64, 48, 3);
    const char *good = cli_out_path(&cli, "good.png");
    if (image_write_png(good, src, err, sizeof err) != 0) die("%s", err);
    unsigned char *bytes = NULL;
    long n = file_bytes(good, &bytes);
    if (n < 100) die("unexpectedly small PNG (%ld bytes)", n);

    expect_read_error("common.image.read_missing", cli_out_path(&cli, "no_such_file.png"),
                      "a missing file");
    write_bytes(cli_out_path(&cli, "empty.png"), bytes, 0);
    expect_read_error("common.image.read_empty", cli_out_path(&cli, "empty.png"), "an empty file");
    const char *text = "P5\n2 2\n255\nnot a png at all, a PGM header and some text\n";
    write_bytes(cli_out_path(&cli, "text.png"), (const unsigned char *)text, (long)strlen(text));
    expect_read_error("common.image.read_not_png", cli_out_path(&cli, "text.png"),
                      "a text file named .png");
    write_bytes(cli_out_path(&cli, "trunc_header.png"), bytes, 20);
    expect_read_error("common.image.read_truncated_header", cli_out_path(&cli, "trunc_header.png"),
                      "a PNG cut inside its IHDR chunk (20 bytes)");
    write_bytes(cli_out_path(&cli, "trunc_half.png"), bytes, n / 2);
    expect_read_error("common.image.read_truncated_data", cli_out_path(&cli, "trunc_half.png"),
                      "a PNG cut in half (inside its image data)");
    write_bytes(cli_out_path(&cli, "trunc_end.png"), bytes, n - 12);
    expect_read_error("common.image.read_truncated_iend", cli_out_path(&cli, "trunc_end.png"),
                      "a PNG missing its IEND chunk");
    bytes[n / 2] ^= 0x5a; /* inside IDAT: the chunk's CRC no longer matches */
    write_bytes(cli_out_path(&cli, "corrupt.png"), bytes, n);
    expect_read_error("common.image.read_corrupt_crc", cli_out_path(&cli, "corrupt.png"),
                      "a PNG with one flipped byte in its image data");
    free(bytes);

    err[0] = '\0';
    int wrc = image_write_png("/nonexistent_dir_for_test/x.png", src, err, sizeof err);
    check_true("common.image.write_bad_path", wrc == -1 && err[0] != '\0',
               "writing into a missing directory returns -1 with a message: \"%s\"", err);
    image8_free(src);

    /* --- quantisation, eq:common.image.quantise; expected bytes by hand:
       255 * 0.5 = 127.5 -> 128 (half away from zero); (0.25 + 1) / 2 * 255 = 159.375 -> 159 --- */
    int q_ok = image_quantise(0.5f, 0, 1) == 128 && image_quantise(0.25f, -1, 1) == 159 &&
               image_quantise(-3.0f, 0, 1) == 0 && image_quantise(7.0f, 0, 1) == 255 &&
               image_quantise(0.0f / 0.0f, 0, 1) == 0 && image_quantise(1.0f, 0, 1) == 255;
    check_true("common.image.quantise_known", q_ok,
               "q(0.5;[0,1]) = 128, q(0.25;[-1,1]) = 159, clamping below/above, NaN -> 0");

    /* planar floats -> interleaved bytes: channel c of pixel (y, x) lands at byte 3 (yW + x) + c */
    ImageF *f = imagef_new(3, 2, 2);
    for (int i = 0; i < 12; i++) f->data[i] = (float)i / 11.0f;
    Image8 *b8 = imagef_to_image8(f, 0, 1);
    int layout_ok = 1;
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 4; p++)
            layout_ok &= b8->pixels[p * 3 + c] == image_quantise((float)(c * 4 + p) / 11.0f, 0, 1);
    check_true("common.image.planar_to_interleaved", layout_ok,
               "ImageF (C,H,W) element [c][y][x] becomes byte (y W + x) C + c");
    image8_free(b8);
    imagef_free(f);

    ImageF *mm = imagef_new(1, 1, 3);
    mm->data[0] = -2; mm->data[1] = 0; mm->data[2] = 2;
    Image8 *mm8 = imagef_to_image8_minmax(mm);
    check_true("common.image.minmax", mm8->pixels[0] == 0 && mm8->pixels[1] == 128 &&
                                          mm8->pixels[2] == 255,
               "min-max range maps {-2, 0, 2} to {0, 128, 255}");
    imagef_clamp(mm, -1, 1);
    check_true("common.image.clamp", mm->data[0] == -1 && mm->data[1] == 0 && mm->data[2] == 1,
               "clamp to [-1,1] gives {-1, 0, 1}");
    image8_free(mm8);
    imagef_free(mm);

    Image8 *levels = image8_new(256, 1, 1);
    for (int i = 0; i < 256; i++) levels->pixels[i] = (uint8_t)i;
    ImageF *lf = image8_to_imagef(levels);
    Image8 *lb = imagef_to_image8(lf, 0, 1);
    check_true("common.image.bytes_float_bytes", same_image(levels, lb),
               "all 256 levels survive bytes -> [0,1] floats -> bytes");
    image8_free(levels);
    image8_free(lb);
    imagef_free(lf);

    /* --- grids: 10 tiles of 8x8, auto columns, pad 2, upscale 3.
       By hand: cols = ceil(sqrt 10) = 4, rows = 3, W = 4*24 + 5*2 = 106, H = 3*24 + 4*2 = 80. --- */
    enum { N = 10, TH = 8, TW = 8 };
    float *batch = xmalloc(sizeof(float) * N * TH * TW);
    for (int i = 0; i < N; i++)
        for (int y = 0; y < TH; y++)
            for (int x = 0; x < TW; x++) /* distinct value per (tile, y, x), in [0, 1] */
                batch[(i * TH + y) * TW + x] = (float)((i * TH + y) * TW + x) / (N * TH * TW);
    ImageGridOptions opt = image_grid_defaults();
    opt.pad = 2;
    opt.upscale = 3;
    opt.background = 200;
    Image8 *g = image_grid(batch, N, 1, TH, TW, &opt);
    check_true("common.image.grid_size", g->width == 106 && g->height == 80 && g->channels == 1,
               "10 tiles 8x8, x3, pad 2: grid 106x80 grey (got %dx%dx%d)", g->width, g->height,
               g->channels);
    /* every grid pixel: either inside tile i at (pad + c(24+2), pad + r(24+2)) holding the tile's
       nearest source pixel, or background */
    long wrong = 0;
    for (int gy = 0; gy < g->height; gy++)
        for (int gx = 0; gx < g->width; gx++) {
            int expect = 200;
            int cx = gx - 2, cy = gy - 2;
            if (cx >= 0 && cy >= 0 && cx % 26 < 24 && cy % 26 < 24) {
                int i = (cy / 26) * 4 + cx / 26;
                if (i < N)
                    expect = image_quantise(batch[(i * TH + (cy % 26) / 3) * TW + (cx % 26) / 3], 0, 1);
            }
            wrong += g->pixels[(size_t)gy * g->width + gx] != expect;
        }
    check_true("common.image.grid_placement", wrong == 0,
               "every grid pixel is its tile's upscaled source pixel or background (%ld wrong)",
               wrong);
    const char *gpath = cli_out_path(&cli, "grid.png");
    Image8 *gback = image_write_png(gpath, g, err, sizeof err) == 0
                        ? image_read_png(gpath, err, sizeof err) : NULL;
    check_true("common.image.grid_png", same_image(g, gback), "the grid survives a PNG round trip");
    image8_free(g);
    image8_free(gback);

    /* RGB grid: a tile red in channel 0 only gives pure red pixels; explicit 5 columns */
    float rgb_tile[3 * 2 * 2] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    ImageGridOptions o2 = image_grid_defaults();
    o2.cols = 5;
    o2.pad = 1;
    Image8 *g2 = image_grid(rgb_tile, 1, 3, 2, 2, &o2);
    const uint8_t *px = g2->pixels + ((size_t)1 * g2->width + 1) * 3;
    check_true("common.image.grid_rgb", g2->channels == 3 && g2->width == 4 && g2->height == 4 &&
                                           px[0] == 255 && px[1] == 0 && px[2] == 0,
               "one red 2x2 RGB tile, pad 1 (cols capped at n=1): 4x4 grid, red at (1,1)");
    image8_free(g2);

    /* min-max range over the batch (lo >= hi): the smallest value maps to 0, the largest to 255 */
    ImageGridOptions o3 = image_grid_defaults();
    o3.lo = o3.hi = 0;
    o3.pad = 0;
    float two[2] = {-5, 3};
    Image8 *g3 = image_grid(two, 2, 1, 1, 1, &o3);
    check_true("common.image.grid_minmax", g3->width == 2 && g3->height == 1 &&
                                               g3->pixels[0] == 0 && g3->pixels[1] == 255,
               "batch min-max range: values -5 and 3 become 0 and 255");
    image8_free(g3);

    /* a labelled grid figure: the PNG read back has the grid's size plus the label and title margins */
    {
        float tiles[6 * 4];
        for (int i = 0; i < 24; i++) tiles[i] = (float)(i % 5) / 4.0f;
        static const char *const labels[2] = {"first", "second"};
        const char *fpath = cli_out_path(&cli, "labelled_grid.png");
        char ferr[256];
        const int rc = image_save_labelled_grid(fpath, "a labelled grid", tiles, 2, 3, 2, 2, 5, labels, ferr, sizeof ferr);
        ImageGridOptions og = image_grid_defaults();
        og.cols = 3, og.upscale = 5;
        int gr, gc, gh, gw;
        image_grid_geometry(6, 2, 2, &og, &gr, &gc, &gh, &gw);
        Image8 *fb = rc == 0 ? image_read_png(fpath, ferr, sizeof ferr) : NULL;
        check_true("common.image.labelled_grid", fb && fb->width == gw + 140 && fb->height == gh + 60,
                   "image_save_labelled_grid: a %dx%d PNG (grid %dx%d + 140 x 60 margins), got %dx%d", gw + 140, gh + 60, gw, gh,
                   fb ? fb->width : -1, fb ? fb->height : -1);
        if (fb) image8_free(fb);
    }
    free(batch);
    return check_end();
}
