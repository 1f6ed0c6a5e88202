/* rng — see rng.h. Introduced for the whole course (CONVENTIONS.md §4: results identical for any
   --threads). */
#include "common/rng.h"

#include <math.h>

#include "common/util.h"

void rng_init(Rng *r, uint64_t seed, uint64_t stream) {
    r->seed = seed;
    r->stream = stream;
    r->block = 0;
    r->have = 0;
    r->have_normal = 0;
    r->spare_normal = 0.0;
}

uint32_t rng_u32(Rng *r) {
    if (r->have == 0) {
        philox_u4 o = philox_block((uint32_t)r->seed, (uint32_t)(r->seed >> 32),
                                   (uint32_t)r->stream, (uint32_t)(r->stream >> 32),
                                   (uint32_t)r->block, (uint32_t)(r->block >> 32));
        r->block++;
        r->buf[0] = o.x;
        r->buf[1] = o.y;
        r->buf[2] = o.z;
        r->buf[3] = o.w;
        r->have = 4;
    }
    return r->buf[4 - r->have--];
}

uint64_t rng_u64(Rng *r) {
    uint64_t hi = rng_u32(r);
    return (hi << 32) | rng_u32(r);
}

//: $u = (\lfloor w / 2^{11} \rfloor + \tfrac12)\,2^{-53} \in (0,1)$ for a 64-bit word $w$
double rng_uniform(Rng *r) {
    return ((double)(rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

double rng_uniform_range(Rng *r, double a, double b) { return a + (b - a) * rng_uniform(r); }

float rng_uniform_f(Rng *r) { return philox_uniform_f(rng_u32(r)); }

//: Box-Muller: $z_1 = \sqrt{-2\ln u_1}\cos(2\pi u_2)$, $z_2 = \sqrt{-2\ln u_1}\sin(2\pi u_2)$
double rng_normal(Rng *r) {
    if (r->have_normal) {
        r->have_normal = 0;
        return r->spare_normal;
    }
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586476925 * u2;
    r->spare_normal = radius * sin(angle);
    r->have_normal = 1;
    return radius * cos(angle);
}

void rng_normal_fill(Rng *r, double *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(r);
}

void rng_normal_fill_f(Rng *r, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)rng_normal(r);
}

/* Lemire (2019), "Fast random integer generation in an interval": m = x * n; the high word is the
   draw; reject when the low word falls in the biased zone below 2^32 mod n. */
uint32_t rng_below(Rng *r, uint32_t n) {
    if (n == 0) die("rng_below: empty range");
    uint64_t m = (uint64_t)rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

int rng_categorical(Rng *r, const double *w, int k) {
    double total = 0.0;
    for (int i = 0; i < k; i++) {
        if (!(w[i] >= 0.0) || !isfinite(w[i])) die("rng_categorical: weight %d is %g", i, w[i]);
        total += w[i];
    }
    if (!(total > 0.0)) die("rng_categorical: all %d weights are zero", k);
    double u = rng_uniform(r) * total, acc = 0.0;
    for (int i = 0; i < k; i++) {
        acc += w[i];
        if (u < acc) return i;
    }
    for (int i = k - 1; i >= 0; i--) /* rounding left u just above the total */
        if (w[i] > 0.0) return i;
    return k - 1;
}

void rng_permutation(Rng *r, int *perm, int n) {
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
