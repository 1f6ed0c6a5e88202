/*: # rng — random streams for the course

One `Rng` is one Philox stream (philox.h): the pair (seed, stream) picks it, and it draws
blocks 0, 1, 2, ... of that stream in order. A simulation with many chains gives chain $i$ the
stream $i$, so its numbers do not depend on the thread that runs it.

| draw | method |
|---|---|
| `rng_uniform` | 53 random bits, shifted half a step: a double in the open interval $(0,1)$ |
| `rng_normal` | Box-Muller, $z_{1,2} = \sqrt{-2\ln u_1}\,(\cos 2\pi u_2, \sin 2\pi u_2)$; both values used |
| `rng_below` | an unbiased integer in $[0,n)$ by Lemire's multiply-and-reject |
| `rng_categorical` | inverse CDF over (unnormalised) weights |
| `rng_permutation` | Fisher-Yates with `rng_below` |
*/
#ifndef COMMON_RNG_H
#define COMMON_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "common/philox.h"

typedef struct {
    uint64_t seed, stream, block; /* next block to generate */
    uint32_t buf[4];
    int have;                     /* words left in buf, used from buf[4 - have] */
    int have_normal;
    double spare_normal;
} Rng;

void rng_init(Rng *r, uint64_t seed, uint64_t stream);
uint32_t rng_u32(Rng *r);
uint64_t rng_u64(Rng *r);
double rng_uniform(Rng *r);                  /* (0, 1) */
double rng_uniform_range(Rng *r, double a, double b);
float rng_uniform_f(Rng *r);                 /* (0, 1), the GPU's float formula */
double rng_normal(Rng *r);                   /* N(0, 1) */
void rng_normal_fill(Rng *r, double *x, size_t n);
void rng_normal_fill_f(Rng *r, float *x, size_t n);
uint32_t rng_below(Rng *r, uint32_t n);      /* uniform on {0, ..., n-1}, n >= 1 */
int rng_categorical(Rng *r, const double *w, int k); /* P(i) = w[i] / sum(w), w >= 0 */
void rng_permutation(Rng *r, int *perm, int n);      /* a uniform random permutation of 0..n-1 */

#endif
