/* gm_fsq — see gm_fsq.h. */
#include "common/gm_fsq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const int GM_FSQ_LEVELS[GM_FSQ_D] = {8, 8, 8, 5, 5, 5};

//: $k = \mathrm{round}((\bar z+1)(L-1)/2)$, [eq:L42.4.2.fsq_round]
int gm_fsq_digit(double z_b, int L) { return (int)round((z_b + 1.0) * (L - 1) / 2.0); }
//: $z_q = 2k/(L-1) - 1$, [eq:L42.4.2.fsq_round]
double gm_fsq_level(int k, int L) { return k * 2.0 / (L - 1) - 1.0; }

long gm_fsq_quantize(const double *z_e, double *z_q, int *digit) {
    long index = 0, radix = 1;
    for (int j = 0; j < GM_FSQ_D; j++) {
        //: $\bar z = \tanh z_e$, [eq:L42.4.2.fsq_bound]
        const double z_b = tanh(z_e[j]);
        const int k = gm_fsq_digit(z_b, GM_FSQ_LEVELS[j]);
        z_q[j] = gm_fsq_level(k, GM_FSQ_LEVELS[j]);
        if (digit) digit[j] = k;
        //: $c = \sum_j k_j\prod_{i<j}L_i$, [eq:L42.4.2.fsq_index]
        index += k * radix, radix *= GM_FSQ_LEVELS[j];
    }
    return index;
}

void gm_fsq_index_to_digits(long index, int *digit) {
    for (int j = 0; j < GM_FSQ_D; j++) digit[j] = (int)(index % GM_FSQ_LEVELS[j]), index /= GM_FSQ_LEVELS[j];
}

AdTensor *gm_fsq_ste(AdArena *arena, AdTensor *z_e) {
    //: $\bar z = \tanh z_e$, [eq:L42.4.2.fsq_bound]
    AdTensor *z_b = ad_tanh(arena, z_e);
    AdTensor *z_q = ad_input(arena, z_e->dtype, z_e->ndim, z_e->shape);
    const long n = (long)z_e->shape[0];
    for (long i = 0; i < n; i++) {
        double zi[GM_FSQ_D], qi[GM_FSQ_D];
        for (int j = 0; j < GM_FSQ_D; j++) zi[j] = ad_get(z_e, i * GM_FSQ_D + j);
        gm_fsq_quantize(zi, qi, NULL);
        for (int j = 0; j < GM_FSQ_D; j++) ad_set(z_q, i * GM_FSQ_D + j, qi[j]);
    }
    //: $z_q^{\text{st}} = \bar z + \mathrm{sg}[z_q - \bar z]$, [eq:L42.4.2.fsq_ste]
    return ad_add(arena, z_b, ad_detach(arena, ad_sub(arena, z_q, z_b)));
}

static AdTensor *fsq_ae_forward(AdArena *arena, const GmFsqAe *ae, AdTensor *x) {
    AdTensor *z_e = nn_mlp_forward(arena, &ae->enc, x);
    return ad_sigmoid(arena, nn_mlp_forward(arena, &ae->dec, gm_fsq_ste(arena, z_e)));
}

static AdTensor *fsq_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    int shape[2] = {n, m->dim};
    AdTensor *xt = ad_from_array(arena, AD_F32, 2, shape, x);
    //: $\frac1B\sum_b\lVert x_b - \hat x_b\rVert^2$, [eq:L42.4.2.fsq_loss]
    AdTensor *d = ad_sub(arena, fsq_ae_forward(arena, m->self, xt), xt);
    return ad_scale(arena, ad_sum(arena, ad_square(arena, d)), 1.0 / n);
}

static void fsq_encode(GenModel *m, const float *x, int n, float *z_out) {
    GmFsqAe *ae = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, m->dim};
    AdTensor *z = gm_fsq_ste(arena, nn_mlp_forward(arena, &ae->enc, ad_from_array(arena, AD_F32, 2, shape, x)));
    for (long i = 0; i < (long)n * GM_FSQ_D; i++) z_out[i] = (float)ad_get(z, i);
    ad_arena_free(arena);
}

static void fsq_decode(GenModel *m, const float *z, int n, float *x_out) {
    GmFsqAe *ae = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, GM_FSQ_D};
    AdTensor *x = ad_sigmoid(arena, nn_mlp_forward(arena, &ae->dec, ad_from_array(arena, AD_F32, 2, shape, z)));
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    ad_arena_free(arena);
}

static void fsq_destroy(GenModel *m) {
    GmFsqAe *ae = m->self;
    nn_mlp_free(&ae->enc), nn_mlp_free(&ae->dec);
    free(ae);
}

static const GenModelVT FSQ_VT = {
    .name = "FSQ-AE", .family = GM_FAM_VAE, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = fsq_train_step, .encode = fsq_encode, .decode = fsq_decode, .destroy = fsq_destroy,
};


void gm_fsq_ae_init(GenModel *m, int D, int hidden, Rng *rng) {
    GmFsqAe *ae = xcalloc(1, sizeof *ae);
    int we[3] = {D, hidden, GM_FSQ_D}, wd[3] = {GM_FSQ_D, hidden, D};
    nn_mlp_init(&ae->enc, 2, we, NN_ACT_RELU, AD_F32, rng);
    nn_mlp_init(&ae->dec, 2, wd, NN_ACT_RELU, AD_F32, rng);
    gm_init(m, &FSQ_VT, ae, D);
    nn_mlp_params(&ae->enc, "enc", &m->player[0].params);
    nn_mlp_params(&ae->dec, "dec", &m->player[0].params);
}
