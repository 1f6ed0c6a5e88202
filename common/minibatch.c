/* Shuffled mini-batches and the [-1, 1] scaling of L36 §5.1; see minibatch.h. The scaling is
   one correctly rounded division of integers, (2p - p_max) / p_max, so that p = 0 and p = p_max
   give exactly -1 and 1. */
#include "common/minibatch.h"

#include "common/rng.h"

int minibatch_count(int n, int batch) { return n <= 0 ? 0 : (n + batch - 1) / batch; }

int minibatch_size(int n, int batch, int k) {
    const int nb = minibatch_count(n, batch);
    if (k < 0 || k >= nb) return 0;
    return k < nb - 1 ? batch : n - (nb - 1) * batch;
}

void minibatch_epoch_order(uint64_t seed, int epoch, int n, int *perm) {
    Rng r;
    rng_init(&r, seed, (uint64_t)epoch);
    rng_permutation(&r, perm, n);
}

void minibatch_gather(const ImageSet *s, const int *idx, int m, float *out) {
    const size_t d = imageset_dim(s);
    const float denom = (float)s->max_value;
    for (int j = 0; j < m; j++) {
        const uint8_t *p = s->pixels + (size_t)idx[j] * d;
        for (size_t i = 0; i < d; i++) out[(size_t)j * d + i] = (float)(2 * (int)p[i] - s->max_value) / denom;
    }
}
