/* Unit tests of common/data.h: the toy samplers' moments against their closed forms, the digits
   CSV loader and the IDX loader on good and deliberately broken files (written by this test into
   its output directory), the named datasets, and the fetched datasets when they are present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/rng.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;
static Cli cli;

/* ---------------------------------------------------------------------------------------------
   Sample moments with their standard errors. */

typedef struct {
    double mean, se_mean, var, se_var;
} Moments;

/* Moments of v[i * stride] for i < n: the standard error of the variance uses the sample's
   fourth central moment, se = sqrt((m4 - var^2) / n). */
static Moments moments(const double *v, int n, int stride) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[(size_t)i * stride];
    double m = s / n, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++) {
        double d = v[(size_t)i * stride] - m;
        s2 += d * d;
        s4 += d * d * d * d;
    }
    Moments r;
    r.mean = m;
    r.var = s2 / n;
    r.se_mean = sqrt(r.var / n);
    r.se_var = sqrt(fmax(s4 / n - r.var * r.var, 0) / n);
    return r;
}

/* f(x, y) for each point, as doubles. */
static double *map_points(const float *xy, int n, double (*f)(double, double)) {
    double *v = xmalloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) v[i] = f(xy[2 * i], xy[2 * i + 1]);
    return v;
}
static double coord_x(double x, double y) {
    (void)y;
    return x;
}
static double coord_y(double x, double y) {
    (void)x;
    return y;
}
static double sq_norm(double x, double y) { return x * x + y * y; }
static double norm(double x, double y) { return sqrt(x * x + y * y); }

static Moments moments_of(const float *xy, int n, double (*f)(double, double)) {
    double *v = map_points(xy, n, f);
    Moments m = moments(v, n, 1);
    free(v);
    return m;
}

/* E[xy] estimate with its standard error. */
static Moments cross_moment(const float *xy, int n) {
    double *v = xmalloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) v[i] = (double)xy[2 * i] * xy[2 * i + 1];
    Moments m = moments(v, n, 1);
    free(v);
    return m;
}

/* ---------------------------------------------------------------------------------------------
   Toy distributions. */

static void test_gmm(int n) {
    /* An asymmetric mixture: closed forms E x = sum_k w_k mu_k and
       Var x_d = sum_k w_k (s_kd^2 + mu_kd^2) - (E x_d)^2. */
    const double w[3] = {0.2, 0.5, 0.3};
    const double mu[6] = {-1.0, 0.0, 2.0, 1.0, 0.0, -3.0};
    const double sigma[6] = {0.5, 0.5, 1.0, 0.2, 0.3, 2.0};
    double mean[2] = {0, 0}, second[2] = {0, 0};
    for (int k = 0; k < 3; k++)
        for (int d = 0; d < 2; d++) {
            mean[d] += w[k] * mu[2 * k + d];
            second[d] +=
                w[k] * (sigma[2 * k + d] * sigma[2 * k + d] + mu[2 * k + d] * mu[2 * k + d]);
        }
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 1);
    toy2d_gmm(&r, 3, w, mu, sigma, xy, n);
    Moments mx = moments_of(xy, n, coord_x), my = moments_of(xy, n, coord_y);
    check_mc("common.data.gmm_mean_x", mx.mean, mean[0], mx.se_mean, 5, n, NULL,
             "3-component mixture: E x_1 = sum_k w_k mu_k1 = %.2f", mean[0]);
    check_mc("common.data.gmm_mean_y", my.mean, mean[1], my.se_mean, 5, n, NULL,
             "3-component mixture: E x_2 = sum_k w_k mu_k2 = %.2f", mean[1]);
    check_mc("common.data.gmm_var_x", mx.var, second[0] - mean[0] * mean[0], mx.se_var, 5, n, NULL,
             "mixture Var x_1 = sum_k w_k (s_k1^2 + mu_k1^2) - (E x_1)^2");
    check_mc("common.data.gmm_var_y", my.var, second[1] - mean[1] * mean[1], my.se_var, 5, n, NULL,
             "mixture Var x_2 (diagonal stds differ by axis)");

    Rng a, b;
    float *again = xmalloc((size_t)n * 2 * sizeof *again);
    rng_init(&a, cli.seed, 1);
    toy2d_gmm(&a, 3, w, mu, sigma, again, n);
    check_true("common.data.gmm_deterministic", memcmp(xy, again, (size_t)n * 2 * sizeof *xy) == 0,
               "the same (seed, stream) gives the same sample");
    rng_init(&b, cli.seed, 2);
    toy2d_gmm(&b, 3, w, mu, sigma, again, n);
    check_true("common.data.gmm_streams_differ", memcmp(xy, again, (size_t)n * 2 * sizeof *xy) != 0,
               "another stream gives another sample");
    free(again);
    free(xy);
}

static void test_named_mixtures(int n) {
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 3);
    toy2d_sample(TOY2D_GAUSSIANS8, &r, xy, n);
    Moments mx = moments_of(xy, n, coord_x), m2 = moments_of(xy, n, sq_norm);
    check_mc("common.data.gaussians8_mean", mx.mean, 0.0, mx.se_mean, 5, n, NULL,
             "8 Gaussians on a circle: E x_1 = 0");
    check_mc("common.data.gaussians8_sqnorm", m2.mean, 4.0 + 2 * 0.01, m2.se_mean, 5, n, NULL,
             "8 Gaussians: E|x|^2 = R^2 + 2 s^2 = 4 + 2 (0.1)^2");

    toy2d_sample(TOY2D_GRID25, &r, xy, n);
    Moments gx = moments_of(xy, n, coord_x), gy = moments_of(xy, n, coord_y);
    /* E x_1^2 = mean of {4, 1, 0, 1, 4} + s^2 = 2 + 0.05^2 (same for x_2). */
    check_mc("common.data.grid25_var_x", gx.var, 2.0 + 0.0025, gx.se_var, 5, n, NULL,
             "25-Gaussian grid: Var x_1 = 2 + 0.05^2");
    check_mc("common.data.grid25_var_y", gy.var, 2.0 + 0.0025, gy.se_var, 5, n, NULL,
             "25-Gaussian grid: Var x_2 = 2 + 0.05^2");
    free(xy);
}

static void test_moons(int n) {
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 4);
    const double s = 0.1;
    toy2d_moons(&r, s, xy, n);
    Moments mx = moments_of(xy, n, coord_x), my = moments_of(xy, n, coord_y);
    Moments mxy = cross_moment(xy, n);
    /* From the definition (data.h): E x = (1/2, 1/4); Var x_1 = 3/4 + s^2;
       E x_2^2 = (1/2 + 3/4 - 2/pi)/2 + s^2, so Var x_2 = 9/16 - 1/pi + s^2;
       E x_1 x_2 = (0 + 1/2 - 2/pi)/2 = 1/4 - 1/pi. */
    check_mc("common.data.moons_mean_x", mx.mean, 0.5, mx.se_mean, 5, n, NULL,
             "moons: E x_1 = 1/2");
    check_mc("common.data.moons_mean_y", my.mean, 0.25, my.se_mean, 5, n, NULL,
             "moons: E x_2 = 1/4");
    check_mc("common.data.moons_var_x", mx.var, 0.75 + s * s, mx.se_var, 5, n, NULL,
             "moons: Var x_1 = 3/4 + sigma^2");
    check_mc("common.data.moons_var_y", my.var, 9.0 / 16.0 - 1.0 / PI + s * s, my.se_var, 5, n,
             NULL, "moons: Var x_2 = 9/16 - 1/pi + sigma^2");
    check_mc("common.data.moons_exy", mxy.mean, 0.25 - 1.0 / PI, mxy.se_mean, 5, n, NULL,
             "moons: E x_1 x_2 = 1/4 - 1/pi");

    /* Without noise every point lies on one of the two unit half circles, inside the box
       [-1, 2] x [-1/2, 1]. */
    toy2d_moons(&r, 0.0, xy, n);
    double worst_circle = 0, worst_box = 0;
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        double d1 = fabs(hypot(x, y) - 1.0), d2 = fabs(hypot(x - 1.0, y - 0.5) - 1.0);
        /* upper arc: y >= 0 around (0,0); lower arc: y <= 1/2 around (1, 1/2) */
        double d = fmin(y >= 0 ? d1 : INFINITY, y <= 0.5 ? d2 : INFINITY);
        worst_circle = fmax(worst_circle, d);
        double out = fmax(fmax(-1.0 - x, x - 2.0), fmax(-0.5 - y, y - 1.0));
        worst_box = fmax(worst_box, out);
    }
    check_le("common.data.moons_on_arcs", worst_circle, 0.0, 1e-6, NULL,
             "noiseless moons: largest distance from the two half circles");
    check_le("common.data.moons_in_box", worst_box, 0.0, 1e-6, NULL,
             "noiseless moons lie in [-1,2] x [-1/2,1]");
    free(xy);
}

static void test_swissroll(int n) {
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 5);
    toy2d_swissroll(&r, 0.0, xy, n);
    const double a = 1.5 * PI, b = 4.5 * PI;
    double rmin = INFINITY, rmax = 0, worst_angle = 0;
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1], radius = hypot(x, y);
        rmin = fmin(rmin, radius);
        rmax = fmax(rmax, radius);
        /* on the spiral: the angle of the point is t = 5 radius (mod 2 pi) */
        double d = remainder(atan2(y, x) - 5.0 * radius, 2.0 * PI);
        worst_angle = fmax(worst_angle, fabs(d));
    }
    check_in("common.data.swissroll_radius_range", rmin, a / 5.0 - 1e-5, b / 5.0 + 1e-5, NULL,
             "noiseless swiss roll: smallest radius in [3pi/10, 9pi/10]");
    check_in("common.data.swissroll_radius_max", rmax, a / 5.0 - 1e-5, b / 5.0 + 1e-5, NULL,
             "noiseless swiss roll: largest radius in [3pi/10, 9pi/10]");
    check_le("common.data.swissroll_on_spiral", worst_angle, 0.0, 1e-4, NULL,
             "noiseless swiss roll: angle = 5 |x| (mod 2 pi) at every point");
    Moments mr = moments_of(xy, n, norm);
    check_mc("common.data.swissroll_mean_radius", mr.mean, (a + b) / 2.0 / 5.0, mr.se_mean, 5, n,
             NULL, "noiseless swiss roll: E|x| = E t / 5 = 3 pi / 5");

    const double s = 0.05;
    toy2d_swissroll(&r, s, xy, n);
    Moments m2 = moments_of(xy, n, sq_norm);
    check_mc("common.data.swissroll_sqnorm", m2.mean,
             (a * a + a * b + b * b) / 3.0 / 25.0 + 2 * s * s, m2.se_mean, 5, n, NULL,
             "swiss roll: E|x|^2 = E t^2 / 25 + 2 sigma^2");
    free(xy);
}

static void test_rings(int n) {
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 6);
    toy2d_sample(TOY2D_RINGS, &r, xy, n);
    Moments mx = moments_of(xy, n, coord_x), m2 = moments_of(xy, n, sq_norm);
    check_mc("common.data.rings_mean", mx.mean, 0.0, mx.se_mean, 5, n, NULL, "rings: E x_1 = 0");
    check_mc("common.data.rings_sqnorm", m2.mean, (1.0 + 4.0) / 2.0 + 2 * 0.05 * 0.05, m2.se_mean,
             5, n, "common.data.rings_density",
             "rings (radii 1, 2; sigma 0.05): E|x|^2 = mean r_j^2 + 2 sigma^2");

    /* Noiseless, 3 rings of step 0.5: every radius is one of 0.5, 1, 1.5, each a third of the
       time. */
    toy2d_rings(&r, 3, 0.5, 0.0, xy, n);
    long count[3] = {0, 0, 0};
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double radius = hypot(xy[2 * i], xy[2 * i + 1]);
        int j = (int)lround(radius / 0.5) - 1;
        if (j < 0 || j > 2) {
            worst = INFINITY;
            continue;
        }
        worst = fmax(worst, fabs(radius - 0.5 * (j + 1)));
        count[j]++;
    }
    check_le("common.data.rings_on_circles", worst, 0.0, 1e-6, NULL,
             "noiseless rings: every radius is 0.5, 1 or 1.5");
    double p = count[2] / (double)n;
    check_mc("common.data.rings_equal_weights", p, 1.0 / 3.0, sqrt(2.0 / 9.0 / n), 5, n, NULL,
             "noiseless rings: fraction on the outer ring = 1/3");
    free(xy);
}

static void test_checkerboard(int n) {
    float *xy = xmalloc((size_t)n * 2 * sizeof *xy);
    Rng r;
    rng_init(&r, cli.seed, 7);
    toy2d_sample(TOY2D_CHECKERBOARD, &r, xy, n);
    long cells[4][4] = {{0}};
    long outside = 0, white = 0;
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!(x >= -2 && x < 2 && y >= -2 && y < 2)) {
            outside++;
            continue;
        }
        int cx = (int)floor(x), cy = (int)floor(y);
        if (((cx + cy) % 2 + 2) % 2 != 0) white++;
        cells[cx + 2][cy + 2]++;
    }
    check_true("common.data.checkerboard_support", outside == 0 && white == 0,
               "checkerboard: %ld points outside [-2,2)^2 and %ld on white cells (want 0, 0)",
               outside, white);
    /* Chi-square of the 8 black cells against n/8 each: 7 degrees of freedom, sd sqrt(14). */
    double chi2 = 0;
    for (int cx = 0; cx < 4; cx++)
        for (int cy = 0; cy < 4; cy++)
            if ((cx + cy) % 2 == 0) chi2 += pow(cells[cx][cy] - n / 8.0, 2) / (n / 8.0);
    check_le("common.data.checkerboard_uniform_cells", chi2, 7.0 + 5.0 * sqrt(14.0), 0, NULL,
             "checkerboard: chi-square of the 8 black cells' counts (mean 7 + 5 sd)");
    Moments mx = moments_of(xy, n, coord_x), mxy = cross_moment(xy, n);
    check_mc("common.data.checkerboard_var_x", mx.var, 4.0 / 3.0, mx.se_var, 5, n, NULL,
             "checkerboard: Var x_1 = 4/3 (x_1 is uniform on [-2,2])");
    /* E x_1 x_2 = mean over black cells of (c_x + 1/2)(c_y + 1/2) = 1/4 (sum over the 8 cells). */
    check_mc("common.data.checkerboard_exy", mxy.mean, 0.25, mxy.se_mean, 5, n, NULL,
             "checkerboard: E x_1 x_2 = 1/4 (black cells lie on the diagonals)");
    free(xy);
}

static void test_names(void) {
    int ok = 1;
    for (int k = 0; k < TOY2D_COUNT; k++) ok &= toy2d_kind_from_name(toy2d_name((Toy2dKind)k)) == k;
    check_true("common.data.toy_names_roundtrip", ok, "toy2d_kind_from_name(toy2d_name(k)) == k");
    check_true("common.data.toy_names_alias",
               toy2d_kind_from_name("swiss-roll") == TOY2D_SWISSROLL &&
                   toy2d_kind_from_name("8gaussians") == TOY2D_GAUSSIANS8 &&
                   toy2d_kind_from_name("moon") == -1 && toy2d_kind_from_name(NULL) == -1,
               "aliases map to their kind; unknown names give -1");
}

/* ---------------------------------------------------------------------------------------------
   Files written by the test. */

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die("cannot write %s", path);
}

static void write_gz(const char *path, const void *data, size_t n) {
    gzFile f = gzopen(path, "wb");
    if (!f || (n > 0 && gzwrite(f, data, (unsigned)n) != (int)n) || gzclose(f) != Z_OK)
        die("cannot write %s", path);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = xmalloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    *n = len;
    return buf;
}

/* Decompressed text of a .gz file (NUL-terminated). */
static char *read_gz_text(const char *path) {
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    int r;
    while ((r = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)r;
        if (len + 1 == cap) buf = xrealloc(buf, cap *= 2);
    }
    gzclose(f);
    buf[len] = '\0';
    return buf;
}

/* A loader that must fail: rc -1, an empty set, and a message that names the defect (holds
   `must_say`), so that a file rejected for another reason does not pass. */
static void expect_digits_error(const char *id, const char *path, const char *what,
                                const char *must_say) {
    ImageSet s;
    char err[512] = "";
    int rc = digits_load(path, &s, err, sizeof err);
    check_true(id, rc == -1 && strstr(err, must_say) != NULL && s.n == 0 && s.pixels == NULL,
               "digits loader rejects %s, saying '%s' (%s)", what, must_say,
               err[0] ? err : "no message");
    imageset_free(&s);
}

static void expect_idx_error(const char *id, const char *images, const char *labels,
                             const char *what, const char *must_say) {
    ImageSet s;
    char err[512] = "";
    int rc = idx_load(images, labels, &s, err, sizeof err);
    check_true(id, rc == -1 && strstr(err, must_say) != NULL && s.n == 0 && s.pixels == NULL,
               "IDX loader rejects %s, saying '%s' (%s)", what, must_say,
               err[0] ? err : "no message");
    imageset_free(&s);
}

/* ---------------------------------------------------------------------------------------------
   Digits. */

static void test_digits(void) {
    char path[2048];
    snprintf(path, sizeof path, "%s/digits.csv.gz", cli.data_dir);
    ImageSet s;
    char err[512] = "";
    int rc = digits_load(path, &s, err, sizeof err);
    if (!check_true("common.data.digits_load",
                    rc == 0 && s.n == DIGITS_N && s.height == 8 && s.width == 8 &&
                        s.max_value == 16 && s.n_classes == 10,
                    "%s: 1797 images of 8x8, levels 0..16, 10 classes (%s)", path,
                    rc == 0 ? "loaded" : err)) {
        imageset_free(&s);
        return;
    }
    /* Label counts from `zcat data/digits.csv.gz | awk -F, '{c[$65]++} END{...}'`; they are the
       counts the UCI page gives for the data set's test part. */
    const int want[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    int hist[10];
    imageset_label_histogram(&s, hist);
    int same = 1;
    for (int c = 0; c < 10; c++) same &= hist[c] == want[c];
    check_true("common.data.digits_label_histogram", same,
               "label counts 178 182 177 183 181 182 181 179 174 180 (zcat | awk)");
    /* First row of the file: 0,0,5,13,9,1,0,0 ... label 0; last row: label 8. */
    check_true("common.data.digits_first_row",
               s.pixels[2] == 5 && s.pixels[3] == 13 && s.pixels[4] == 9 && s.labels[0] == 0 &&
                   s.labels[DIGITS_N - 1] == 8,
               "first image starts 0,0,5,13,9 with label 0; the last has label 8");
    /* Sum of all 1797 x 64 pixels: 561718, from zcat | awk '{for(i=1;i<=64;i++) s+=$i}'. */
    float *x = imageset_to_float(&s);
    double sum = 0, lo = 1, hi = 0;
    for (size_t i = 0; i < (size_t)s.n * 64; i++) {
        sum += x[i];
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    check_close("common.data.digits_pixel_sum", sum * 16.0, 561718.0, 1e-2, NULL,
                "16 * sum of the float pixels = the integer total 561718 (zcat | awk)");
    check_true("common.data.digits_float_range", lo == 0.0 && hi == 1.0,
               "float pixels span exactly [0, 1] (min %g, max %g)", lo, hi);
    free(x);
    imageset_free(&s);

    /* Broken copies, made from the file's own text so that each differs by one defect. */
    char *text = read_gz_text(path);
    size_t len = strlen(text);
    const char *out = cli.out_dir;
    char p[2048];

    /* Control: the same text re-compressed by this test loads. And CRLF line ends are fine. */
    snprintf(p, sizeof p, "%s/digits_copy.csv.gz", out);
    write_gz(p, text, len);
    rc = digits_load(p, &s, err, sizeof err);
    check_true("common.data.digits_copy_loads", rc == 0 && s.n == DIGITS_N,
               "an unbroken copy written by the test loads (%s)", rc == 0 ? "ok" : err);
    imageset_free(&s);
    char *crlf = xmalloc(2 * len + 1);
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') crlf[m++] = '\r';
        crlf[m++] = text[i];
    }
    snprintf(p, sizeof p, "%s/digits_crlf.csv.gz", out);
    write_gz(p, crlf, m);
    rc = digits_load(p, &s, err, sizeof err);
    check_true("common.data.digits_crlf_loads", rc == 0 && s.n == DIGITS_N,
               "a copy with CRLF line ends loads (%s)", rc == 0 ? "ok" : err);
    imageset_free(&s);
    free(crlf);

    /* Truncated compressed file: the first half of the .gz bytes. */
    size_t gz_len;
    unsigned char *gz = read_all(path, &gz_len);
    snprintf(p, sizeof p, "%s/digits_truncated.csv.gz", out);
    write_bytes(p, gz, gz_len / 2);
    expect_digits_error("common.data.digits_truncated_gz", p, "a .gz cut in half",
                        "unexpected end of file");
    /* Cut just before the gzip trailer (CRC and length): every line present, stream unfinished. */
    snprintf(p, sizeof p, "%s/digits_no_trailer.csv.gz", out);
    write_bytes(p, gz, gz_len - 4);
    expect_digits_error("common.data.digits_no_gz_trailer", p, "a .gz missing its last 4 bytes",
                        "unexpected end of file");
    free(gz);

    /* Fewer and more lines. */
    char *edit = xmalloc(len + 64);
    const char *last_line = text + len - 1;
    while (last_line > text && last_line[-1] != '\n') last_line--;
    snprintf(p, sizeof p, "%s/digits_short.csv.gz", out);
    write_gz(p, text, (size_t)(last_line - text));
    expect_digits_error("common.data.digits_missing_row", p, "1796 lines",
                        "1796 lines, expected 1797");
    snprintf(p, sizeof p, "%s/digits_extra.csv.gz", out);
    size_t first_len = (size_t)(strchr(text, '\n') - text) + 1;
    char *longer = xmalloc(len + first_len + 1);
    memcpy(longer, text, len);
    memcpy(longer + len, text, first_len);
    write_gz(p, longer, len + first_len);
    expect_digits_error("common.data.digits_extra_row", p, "1798 lines", "more than 1797 lines");
    free(longer);

    /* A pixel of 17: the first line's 4th field is "13"; make it "17". */
    memcpy(edit, text, len + 1);
    char *f4 = edit + 6; /* "0,0,5,13,..." */
    if (strncmp(f4, "13,", 3) != 0) die("digits: unexpected first line");
    f4[1] = '7';
    snprintf(p, sizeof p, "%s/digits_bad_value.csv.gz", out);
    write_gz(p, edit, len);
    expect_digits_error("common.data.digits_bad_value", p, "a pixel of 17", "outside 0..16");
    /* A letter in place of a number. */
    memcpy(edit, text, len + 1);
    f4[0] = 'x';
    write_gz(p, edit, len);
    expect_digits_error("common.data.digits_not_a_number", p, "a field 'x3'",
                        "expected an unsigned integer");
    /* A label of 10: the first line ends ",0\n" (its label 0); write ",10\n" instead. */
    snprintf(edit, len + 64, "%.*s,10\n%s", (int)(first_len - 3), text, text + first_len);
    snprintf(p, sizeof p, "%s/digits_bad_label.csv.gz", out);
    write_gz(p, edit, strlen(edit));
    expect_digits_error("common.data.digits_bad_label", p, "a label of 10",
                        "label 10 is outside 0..9");
    /* 64 columns (the label dropped) and 66 columns. */
    snprintf(edit, len + 64, "%.*s\n%s", (int)(first_len - 3), text, text + first_len);
    snprintf(p, sizeof p, "%s/digits_64_columns.csv.gz", out);
    write_gz(p, edit, strlen(edit));
    expect_digits_error("common.data.digits_too_few_columns", p, "a line of 64 columns",
                        "64 columns, expected 65");
    snprintf(edit, len + 64, "%.*s,0\n%s", (int)(first_len - 1), text, text + first_len);
    snprintf(p, sizeof p, "%s/digits_66_columns.csv.gz", out);
    write_gz(p, edit, strlen(edit));
    expect_digits_error("common.data.digits_too_many_columns", p, "a line of 66 columns",
                        "more than 65 columns");
    free(edit);

    /* Not gzip: the valid text stored plain, and bytes that are no CSV at all. */
    snprintf(p, sizeof p, "%s/digits_plain.csv.gz", out);
    write_bytes(p, text, len);
    expect_digits_error("common.data.digits_not_gzip", p, "an uncompressed file", "not a gzip");
    unsigned char junk[4096];
    Rng r;
    rng_init(&r, cli.seed, 99);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rng_below(&r, 256);
    junk[0] = 0x1f; /* not a gzip magic pair: 0x1f then anything but 0x8b */
    junk[1] = 0x00;
    snprintf(p, sizeof p, "%s/digits_junk.csv.gz", out);
    write_bytes(p, junk, sizeof junk);
    expect_digits_error("common.data.digits_junk", p, "4096 random bytes", "not a gzip");
    snprintf(p, sizeof p, "%s/no_such_file.csv.gz", out);
    expect_digits_error("common.data.digits_missing_file", p, "a missing file", "cannot open");
    free(text);
}

/* ---------------------------------------------------------------------------------------------
   IDX. */

/* The test's own IDX writer: magic, sizes big-endian, then `data`. */
static size_t make_idx(unsigned char *buf, uint32_t magic, int ndims, const uint32_t *dims,
                       const unsigned char *data, size_t n) {
    size_t k = 0;
    uint32_t words[4] = {magic, 0, 0, 0};
    for (int d = 0; d < ndims; d++) words[1 + d] = dims[d];
    for (int w = 0; w <= ndims; w++)
        for (int b = 3; b >= 0; b--) buf[k++] = (unsigned char)(words[w] >> (8 * b));
    memcpy(buf + k, data, n);
    return k + n;
}

static void test_idx(void) {
    enum { N = 5, H = 3, W = 4 };
    unsigned char pixels[N * H * W], labels[N] = {3, 1, 4, 1, 5};
    for (int i = 0; i < N * H * W; i++) pixels[i] = (unsigned char)(i * 37 % 256);
    unsigned char img[16 + N * H * W + 8], lab[8 + N + 8];
    const uint32_t idims[3] = {N, H, W}, ldims[1] = {N};
    size_t img_len = make_idx(img, 0x00000803, 3, idims, pixels, sizeof pixels);
    size_t lab_len = make_idx(lab, 0x00000801, 1, ldims, labels, sizeof labels);

    const char *out = cli.out_dir;
    char ip[2048], lp[2048], igz[2048], lgz[2048];
    snprintf(ip, sizeof ip, "%s/good-images-idx3-ubyte", out);
    snprintf(lp, sizeof lp, "%s/good-labels-idx1-ubyte", out);
    snprintf(igz, sizeof igz, "%s/good-images-idx3-ubyte.gz", out);
    snprintf(lgz, sizeof lgz, "%s/good-labels-idx1-ubyte.gz", out);
    write_bytes(ip, img, img_len);
    write_bytes(lp, lab, lab_len);
    write_gz(igz, img, img_len);
    write_gz(lgz, lab, lab_len);

    const char *which[2][2] = {{ip, lp}, {igz, lgz}};
    const char *ids[2] = {"common.data.idx_plain", "common.data.idx_gzip"};
    for (int v = 0; v < 2; v++) {
        ImageSet s;
        char err[512] = "";
        int rc = idx_load(which[v][0], which[v][1], &s, err, sizeof err);
        int ok = rc == 0 && s.n == N && s.height == H && s.width == W && s.max_value == 255 &&
                 s.n_classes == 6 && memcmp(s.pixels, pixels, sizeof pixels) == 0 &&
                 memcmp(s.labels, labels, sizeof labels) == 0;
        check_true(ids[v], ok, "%s IDX pair of 5 images 3x4 reads back byte for byte (%s)",
                   v ? "gzipped" : "plain", rc == 0 ? "loaded" : err);
        imageset_free(&s);
    }
    {
        ImageSet s;
        char err[512] = "";
        int rc = idx_load(ip, NULL, &s, err, sizeof err);
        check_true("common.data.idx_images_only",
                   rc == 0 && s.n == N && !s.labels && s.n_classes == 0,
                   "images without labels load with labels NULL (%s)", rc == 0 ? "ok" : err);
        imageset_free(&s);
    }

    char p[2048], q[2048];
    unsigned char bad[sizeof img + 64];
    /* Wrong magic: the labels' magic on images, a 16-bit element type, images as labels. */
    uint32_t wrong[3] = {0x00000801, 0x00000b03, 0x00000903};
    const char *wrong_what[3] = {"images with the labels' magic 0x801",
                                 "images of element type 0x0b (16-bit)",
                                 "images of element type 0x09 (signed byte)"};
    for (int k = 0; k < 3; k++) {
        size_t n = make_idx(bad, wrong[k], 3, idims, pixels, sizeof pixels);
        snprintf(p, sizeof p, "%s/bad_magic%d-idx3-ubyte", out, k);
        write_bytes(p, bad, n);
        char id[64];
        snprintf(id, sizeof id, "common.data.idx_bad_magic%d", k);
        expect_idx_error(id, p, NULL, wrong_what[k], "magic number");
    }
    expect_idx_error("common.data.idx_swapped", lp, ip, "the labels file given as images",
                     "magic number 0x00000801");

    /* Truncated: one data byte short, plain and gzipped; a gzip stream cut short; a header cut
       short; an empty file. */
    snprintf(p, sizeof p, "%s/short-idx3-ubyte", out);
    write_bytes(p, img, img_len - 1);
    expect_idx_error("common.data.idx_truncated_plain", p, NULL, "one pixel missing (plain)",
                     "truncated");
    snprintf(p, sizeof p, "%s/short-idx3-ubyte.gz", out);
    write_gz(p, img, img_len - 1);
    expect_idx_error("common.data.idx_truncated_gzip", p, NULL, "one pixel missing (gzip)",
                     "truncated");
    size_t gz_len;
    unsigned char *gz = read_all(igz, &gz_len);
    snprintf(p, sizeof p, "%s/cut-idx3-ubyte.gz", out);
    write_bytes(p, gz, gz_len - 5);
    expect_idx_error("common.data.idx_cut_gzip_stream", p, NULL,
                     "a gzip stream missing its last 5 bytes", "unexpected end of file");
    /* A damaged gzip: one flipped bit in the CRC. */
    gz[gz_len - 6] ^= 0x01;
    snprintf(p, sizeof p, "%s/crc-idx3-ubyte.gz", out);
    write_bytes(p, gz, gz_len);
    expect_idx_error("common.data.idx_bad_crc", p, NULL, "a gzip file with a wrong CRC",
                     "incorrect data check");
    free(gz);
    snprintf(p, sizeof p, "%s/header-idx3-ubyte", out);
    write_bytes(p, img, 10);
    expect_idx_error("common.data.idx_short_header", p, NULL, "a file of 10 bytes", "too short");
    snprintf(p, sizeof p, "%s/empty-idx3-ubyte", out);
    write_bytes(p, img, 0);
    expect_idx_error("common.data.idx_empty", p, NULL, "an empty file", "too short");

    /* Trailing bytes after the data, plain and gzipped. */
    memcpy(bad, img, img_len);
    bad[img_len] = 0;
    snprintf(p, sizeof p, "%s/long-idx3-ubyte", out);
    write_bytes(p, bad, img_len + 1);
    expect_idx_error("common.data.idx_trailing_plain", p, NULL, "one extra byte (plain)",
                     "trailing bytes");
    snprintf(p, sizeof p, "%s/long-idx3-ubyte.gz", out);
    write_gz(p, bad, img_len + 1);
    expect_idx_error("common.data.idx_trailing_gzip", p, NULL, "one extra byte (gzip)",
                     "trailing bytes");

    /* Absurd sizes, rejected before allocating; and a plausible but huge count with no data
       behind it (10^7 images of 28x28 = 7.8 GB claimed, 60 bytes present). */
    const uint32_t absurd[4][3] = {{20000000, 28, 28}, {10, 5000, 28}, {10, 28, 0}, {0, 28, 28}};
    const char *absurd_what[4] = {"2e7 images", "5000 rows", "0 columns", "0 images"};
    for (int k = 0; k < 4; k++) {
        size_t n = make_idx(bad, 0x00000803, 3, absurd[k], pixels, sizeof pixels);
        snprintf(p, sizeof p, "%s/absurd%d-idx3-ubyte", out, k);
        write_bytes(p, bad, n);
        char id[64];
        snprintf(id, sizeof id, "common.data.idx_absurd%d", k);
        expect_idx_error(id, p, NULL, absurd_what[k], "implausible");
    }
    const uint32_t huge[3] = {10000000, 28, 28};
    size_t n_huge = make_idx(bad, 0x00000803, 3, huge, pixels, sizeof pixels);
    snprintf(p, sizeof p, "%s/huge-idx3-ubyte", out);
    write_bytes(p, bad, n_huge);
    expect_idx_error("common.data.idx_huge_claim", p, NULL,
                     "a header claiming 1e7 images with 60 bytes of data", "truncated");

    /* Labels: a count that disagrees with the images, an absurd count, trailing bytes. */
    const uint32_t four[1] = {4}, absurd_labels[1] = {20000000};
    size_t n = make_idx(bad, 0x00000801, 1, four, labels, 4);
    snprintf(q, sizeof q, "%s/four-labels-idx1-ubyte", out);
    write_bytes(q, bad, n);
    expect_idx_error("common.data.idx_label_count_mismatch", ip, q, "5 images with 4 labels",
                     "has 4 labels");
    n = make_idx(bad, 0x00000801, 1, absurd_labels, labels, 5);
    snprintf(q, sizeof q, "%s/absurd-labels-idx1-ubyte", out);
    write_bytes(q, bad, n);
    expect_idx_error("common.data.idx_labels_absurd", ip, q, "a label count of 2e7", "implausible");
    n = make_idx(bad, 0x00000801, 1, ldims, labels, 5);
    bad[n] = 7;
    snprintf(q, sizeof q, "%s/long-labels-idx1-ubyte", out);
    write_bytes(q, bad, n + 1);
    expect_idx_error("common.data.idx_labels_trailing", ip, q, "6 label bytes for 5 labels",
                     "trailing bytes");
    snprintf(q, sizeof q, "%s/no-such-labels-idx1-ubyte", out);
    expect_idx_error("common.data.idx_labels_missing", ip, q, "a missing labels file",
                     "cannot open");
}

/* ---------------------------------------------------------------------------------------------
   Named datasets. */

static void test_named_datasets(void) {
    /* A data directory of the test's own: the digits copied in, a fake "mnist" of the wrong
       size, no fashion-mnist. */
    char dir[1536], p[2048], src[2048];
    snprintf(dir, sizeof dir, "%s/datadir", cli.out_dir);
    snprintf(p, sizeof p, "%s/mnist", dir);
    if (mkdir_p(p) != 0) die("cannot create %s", p);
    snprintf(src, sizeof src, "%s/digits.csv.gz", cli.data_dir);
    size_t len;
    unsigned char *bytes = read_all(src, &len);
    if (!bytes) die("cannot read %s", src);
    snprintf(p, sizeof p, "%s/digits.csv.gz", dir);
    write_bytes(p, bytes, len);
    free(bytes);
    /* The fake mnist: 10 images of 28x28 with labels 0..9, right in all but the count. */
    static unsigned char fake_pixels[10 * 784], fake_img[16 + 10 * 784], fake_lab[8 + 10];
    unsigned char fake_labels[10];
    for (int i = 0; i < 10; i++) fake_labels[i] = (unsigned char)i;
    const uint32_t fdims[3] = {10, 28, 28}, fldims[1] = {10};
    size_t img_len = make_idx(fake_img, 0x00000803, 3, fdims, fake_pixels, sizeof fake_pixels);
    size_t lab_len = make_idx(fake_lab, 0x00000801, 1, fldims, fake_labels, 10);
    snprintf(p, sizeof p, "%s/mnist/images-idx3-ubyte", dir);
    write_bytes(p, fake_img, img_len);
    snprintf(p, sizeof p, "%s/mnist/labels-idx1-ubyte.gz", dir);
    write_gz(p, fake_lab, lab_len);

    ImageSet s;
    char err[1024] = "";
    int rc = dataset_load(dir, "digits", &s, err, sizeof err);
    check_true("common.data.named_digits", rc == 0 && s.n == DIGITS_N && !strcmp(s.name, "digits"),
               "dataset_load(\"digits\") from a data directory (%s)", rc == 0 ? "ok" : err);
    imageset_free(&s);

    rc = dataset_load(dir, "fashion-mnist", &s, err, sizeof err);
    check_true("common.data.named_absent", rc == -1 && strstr(err, "fetch.sh") != NULL && s.n == 0,
               "an absent fetched dataset is an error that names data/fetch.sh (%s)", err);
    imageset_free(&s);

    rc = dataset_load(dir, "mnist", &s, err, sizeof err);
    check_true("common.data.named_wrong_size", rc == -1 && strstr(err, "10000") != NULL && s.n == 0,
               "an 'mnist' of 10 images (plain images, gzipped labels) is refused (%s)", err);
    imageset_free(&s);

    rc = dataset_load(dir, "cifar10", &s, err, sizeof err);
    check_true("common.data.named_unknown", rc == -1 && strstr(err, "unknown") != NULL,
               "an unknown dataset name is an error (%s)", err);
    imageset_free(&s);

    rc = dataset_load_or_digits(dir, "fashion-mnist", &s, err, sizeof err);
    check_true("common.data.named_fallback", rc == 1 && s.n == DIGITS_N && err[0] != '\0',
               "dataset_load_or_digits falls back to the digits and says why (%s)", err);
    imageset_free(&s);
}

/* The fetched datasets, when data/fetch.sh has run. */
static int have_file(const char *sub) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", cli.data_dir, sub);
    FILE *f = fopen(p, "r");
    if (f) fclose(f);
    return f != NULL;
}

static void check_real(const char *name, const char *id_name, int n, const int *hist_want,
                       const int *first_labels, double pixel_total) {
    ImageSet s;
    char err[1024] = "";
    char id[96];
    int rc = dataset_load(cli.data_dir, name, &s, err, sizeof err);
    snprintf(id, sizeof id, "common.data.real_%s_load", id_name);
    if (!check_true(id, rc == 0 && s.n == n && s.height == 28 && s.width == 28 && s.n_classes == 10,
                    "%s: %d images of 28x28 with 10 classes (%s)", name, n,
                    rc == 0 ? "loaded" : err)) {
        imageset_free(&s);
        return;
    }
    int hist[10], same = 1;
    imageset_label_histogram(&s, hist);
    for (int c = 0; c < 10; c++) same &= hist[c] == hist_want[c];
    for (int i = 0; i < 10; i++) same &= s.labels[i] == first_labels[i];
    snprintf(id, sizeof id, "common.data.real_%s_labels", id_name);
    check_true(id, same, "%s: label counts and the first 10 labels as counted with od", name);
    double total = 0;
    for (size_t i = 0; i < (size_t)s.n * 784; i++) total += s.pixels[i];
    snprintf(id, sizeof id, "common.data.real_%s_pixel_sum", id_name);
    check_close(id, total, pixel_total, 0.5, NULL, "%s: sum of all pixel bytes (od | awk)", name);
    imageset_free(&s);
}

static void test_real(void) {
    /* Known answers read from the files with od and awk (see data/README.md), e.g.
       tail -c +9 train-labels-idx1-ubyte | od -A n -t u1 -v -w1 | sort -n | uniq -c and
       tail -c +17 train-images-idx3-ubyte | od -A n -t u1 -v -w1 | awk '{s+=$1} END{...}'.
       Fashion-MNIST has 6000 training and 1000 test images per class. */
    if (have_file("fashion-mnist/train-labels-idx1-ubyte") ||
        have_file("fashion-mnist/train-labels-idx1-ubyte.gz")) {
        const int train_hist[10] = {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000};
        const int test_hist[10] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
        const int train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
        const int test_first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
        check_real("fashion-mnist", "fashion_mnist", 60000, train_hist, train_first, 3431114169.0);
        check_real("fashion-mnist-test", "fashion_mnist_test", 10000, test_hist, test_first,
                   573469082.0);
    } else {
        check_skip("common.data.real_fashion_mnist",
                   "%s/fashion-mnist is absent (run data/fetch.sh fashion-mnist)", cli.data_dir);
    }
    if (have_file("mnist/labels-idx1-ubyte") || have_file("mnist/labels-idx1-ubyte.gz")) {
        /* The npm package's per-class counts; the converter interleaves 0..9. */
        const int hist[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
        const int first[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        check_real("mnist", "mnist", 10000, hist, first, 262146600.0);
    } else {
        check_skip("common.data.real_mnist", "%s/mnist is absent (run data/fetch.sh mnist)",
                   cli.data_dir);
    }
}

int main(int argc, char **argv) {
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "unit tests of the data module: toy samplers, digits and IDX loaders", 11, NULL);
    int n = (int)cli_scale(&cli, 20000, 200000, 1000000);
    test_gmm(n);
    test_named_mixtures(n);
    test_moons(n);
    test_swissroll(n);
    test_rings(n);
    test_checkerboard(n);
    test_names();
    test_digits();
    test_idx();
    test_named_datasets();
    test_real();
    return check_end();
}
