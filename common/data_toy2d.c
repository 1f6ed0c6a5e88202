/* data_toy2d — samplers of the plane's toy distributions (the table in data.h).
   Every point uses its draws in a fixed order from the one Rng, so a seed fixes the sample. */
#include <math.h>
#include <string.h>

#include "common/data.h"
#include "common/util.h"

static const double PI = 3.14159265358979323846;

static void put(float *xy, int i, double x, double y) {
    xy[2 * i] = (float)x;
    xy[2 * i + 1] = (float)y;
}

void toy2d_gmm(Rng *r, int k, const double *w, const double *mu, const double *sigma, float *xy,
               int n) {
    if (k < 1) die("toy2d_gmm: need at least one component (k = %d)", k);
    for (int i = 0; i < n; i++) {
        //: $k \sim \mathrm{Cat}(w),\quad x = \mu_k + s_k \odot z,\ z \sim \mathcal N(0, I)$
        int c = rng_categorical(r, w, k);
        double z1 = rng_normal(r), z2 = rng_normal(r);
        put(xy, i, mu[2 * c] + sigma[2 * c] * z1, mu[2 * c + 1] + sigma[2 * c + 1] * z2);
    }
}

void toy2d_moons(Rng *r, double noise, float *xy, int n) {
    for (int i = 0; i < n; i++) {
        int lower = rng_uniform(r) < 0.5;
        double theta = PI * rng_uniform(r);
        double x, y;
        if (lower) {
            //: $c_2(\theta) = (1 - \cos\theta,\ \tfrac12 - \sin\theta)$
            x = 1.0 - cos(theta);
            y = 0.5 - sin(theta);
        } else {
            //: $c_1(\theta) = (\cos\theta,\ \sin\theta)$
            x = cos(theta);
            y = sin(theta);
        }
        double z1 = rng_normal(r), z2 = rng_normal(r);
        put(xy, i, x + noise * z1, y + noise * z2);
    }
}

void toy2d_swissroll(Rng *r, double noise, float *xy, int n) {
    const double t_lo = 1.5 * PI, t_hi = 4.5 * PI, scale = 0.2;
    for (int i = 0; i < n; i++) {
        //: $t \sim U(\tfrac32\pi, \tfrac92\pi),\quad x = \tfrac15 (t\cos t,\ t\sin t) + \sigma z$
        double t = t_lo + (t_hi - t_lo) * rng_uniform(r);
        double z1 = rng_normal(r), z2 = rng_normal(r);
        put(xy, i, scale * t * cos(t) + noise * z1, scale * t * sin(t) + noise * z2);
    }
}

void toy2d_rings(Rng *r, int k_rings, double r_step, double noise, float *xy, int n) {
    if (k_rings < 1) die("toy2d_rings: need at least one ring (k_rings = %d)", k_rings);
    for (int i = 0; i < n; i++) {
        //: $x = r_j (\cos\phi, \sin\phi) + \sigma z,\ r_j = j\,\Delta r,\ j \sim U\{1..K\}$
        double radius = r_step * (double)(1 + rng_below(r, (uint32_t)k_rings));
        double phi = 2.0 * PI * rng_uniform(r);
        double z1 = rng_normal(r), z2 = rng_normal(r);
        put(xy, i, radius * cos(phi) + noise * z1, radius * sin(phi) + noise * z2);
    }
}

void toy2d_checkerboard(Rng *r, float *xy, int n) {
    for (int i = 0; i < n; i++) {
        /* A black cell: column cx in {-2..1} uniformly, then one of the two rows cy in {-2..1}
           with cx + cy even (rows cx's parity, and that plus 2, shifted into {-2..1}). */
        int cx = (int)rng_below(r, 4) - 2;
        int cy = (int)rng_below(r, 2) * 2 - 2 + ((cx % 2 + 2) % 2);
        //: $x \sim U([c_x, c_x + 1) \times [c_y, c_y + 1))$, $c_x + c_y$ even
        put(xy, i, cx + rng_uniform(r), cy + rng_uniform(r));
    }
}

/* The named distributions' fixed parameters. */
static void gaussians8(Rng *r, float *xy, int n) {
    double w[8], mu[16], sigma[16];
    for (int k = 0; k < 8; k++) {
        w[k] = 1.0;
        mu[2 * k] = 2.0 * cos(2.0 * PI * k / 8.0);
        mu[2 * k + 1] = 2.0 * sin(2.0 * PI * k / 8.0);
        sigma[2 * k] = sigma[2 * k + 1] = 0.1;
    }
    toy2d_gmm(r, 8, w, mu, sigma, xy, n);
}

static void grid25(Rng *r, float *xy, int n) {
    double w[25], mu[50], sigma[50];
    for (int k = 0; k < 25; k++) {
        w[k] = 1.0;
        mu[2 * k] = (double)(k % 5 - 2);
        mu[2 * k + 1] = (double)(k / 5 - 2);
        sigma[2 * k] = sigma[2 * k + 1] = 0.05;
    }
    toy2d_gmm(r, 25, w, mu, sigma, xy, n);
}

void toy2d_sample(Toy2dKind kind, Rng *r, float *xy, int n) {
    switch (kind) {
    case TOY2D_GAUSSIANS8:
        gaussians8(r, xy, n);
        return;
    case TOY2D_GRID25:
        grid25(r, xy, n);
        return;
    case TOY2D_MOONS:
        toy2d_moons(r, 0.1, xy, n);
        return;
    case TOY2D_SWISSROLL:
        toy2d_swissroll(r, 0.05, xy, n);
        return;
    case TOY2D_RINGS:
        toy2d_rings(r, 2, 1.0, 0.05, xy, n);
        return;
    case TOY2D_CHECKERBOARD:
        toy2d_checkerboard(r, xy, n);
        return;
    case TOY2D_COUNT:
        break;
    }
    die("toy2d_sample: unknown kind %d", (int)kind);
}

static const struct {
    const char *name;
    Toy2dKind kind;
} NAMES[] = {
    {"gaussians8", TOY2D_GAUSSIANS8},
    {"grid25", TOY2D_GRID25},
    {"moons", TOY2D_MOONS},
    {"swissroll", TOY2D_SWISSROLL},
    {"rings", TOY2D_RINGS},
    {"checkerboard", TOY2D_CHECKERBOARD},
    /* aliases after the canonical names */
    {"8gaussians", TOY2D_GAUSSIANS8},
    {"25gaussians", TOY2D_GRID25},
    {"swiss-roll", TOY2D_SWISSROLL},
    {"circles", TOY2D_RINGS},
};

int toy2d_kind_from_name(const char *name) {
    if (!name) return -1;
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcmp(name, NAMES[i].name) == 0) return (int)NAMES[i].kind;
    return -1;
}

const char *toy2d_name(Toy2dKind kind) {
    /* The first TOY2D_COUNT entries of NAMES are in the enum's order. */
    int k = (int)kind;
    return (k >= 0 && k < (int)TOY2D_COUNT) ? NAMES[k].name : "unknown";
}

const char *toy2d_names(void) {
    return "gaussians8, grid25, moons, swissroll, rings, checkerboard";
}
