/* nn_init — weight initialisation schemes (table in nn.h). Values are drawn in double from the
   given Rng in row-major order and stored in the tensor's dtype, so a seed fixes them. */
#include <math.h>

#include "common/nn.h"
#include "common/util.h"

//: Glorot uniform: $a = \sqrt{6/(n_\text{in}+n_\text{out})}$, so $a^2/3 = 2/(n_\text{in}+n_\text{out})$
double nn_glorot_bound(int fan_in, int fan_out) { return sqrt(6.0 / (fan_in + fan_out)); }

//: Glorot normal: $\sigma = \sqrt{2/(n_\text{in}+n_\text{out})}$ {#eq:common.nn.glorot_std}
double nn_glorot_std(int fan_in, int fan_out) { return sqrt(2.0 / (fan_in + fan_out)); }

//: He uniform: $a = \sqrt{6/n_\text{in}}$
double nn_he_bound(int fan_in) { return sqrt(6.0 / fan_in); }

//: He normal: $\sigma = \sqrt{2/n_\text{in}}$
double nn_he_std(int fan_in) { return sqrt(2.0 / fan_in); }

void nn_init_uniform(AdTensor *w, double bound, Rng *rng) {
    for (long i = 0; i < w->size; i++) ad_set(w, i, rng_uniform_range(rng, -bound, bound));
}

void nn_init_normal(AdTensor *w, double std, Rng *rng) {
    for (long i = 0; i < w->size; i++) ad_set(w, i, std * rng_normal(rng));
}

void nn_init_constant(AdTensor *w, double value) {
    for (long i = 0; i < w->size; i++) ad_set(w, i, value);
}

void nn_init_apply(AdTensor *w, NnInit scheme, int fan_in, int fan_out, Rng *rng) {
    if (fan_in <= 0 || fan_out <= 0) die("nn_init_apply: fans must be positive (%d, %d)", fan_in, fan_out);
    switch (scheme) {
    case NN_INIT_GLOROT_UNIFORM: nn_init_uniform(w, nn_glorot_bound(fan_in, fan_out), rng); break;
    case NN_INIT_GLOROT_NORMAL: nn_init_normal(w, nn_glorot_std(fan_in, fan_out), rng); break;
    case NN_INIT_HE_UNIFORM: nn_init_uniform(w, nn_he_bound(fan_in), rng); break;
    case NN_INIT_HE_NORMAL: nn_init_normal(w, nn_he_std(fan_in), rng); break;
    case NN_INIT_ZEROS: nn_init_constant(w, 0.0); break;
    default: die("nn_init_apply: unknown scheme %d", (int)scheme);
    }
}
