/* gm_realnvp — see gm_realnvp.h. */
#include "common/gm_realnvp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const double S_SCALE = 1.5; /* s = S_SCALE tanh(raw): bounded log-scales */

void gm_flow_coupling(AdArena *arena, const GmFlow *f, int k, AdTensor *x, int inverse,
                          AdTensor **out, AdTensor **logdet) {
    const int h = f->D / 2;
    const int keep_first = (k % 2 == 0);
    AdTensor *x_a = ad_slice(arena, x, 1, keep_first ? 0 : h, keep_first ? h : f->D);
    AdTensor *x_b = ad_slice(arena, x, 1, keep_first ? h : 0, keep_first ? f->D : h);
    AdTensor *raw = nn_mlp_forward(arena, &f->layers[k], x_a);
    //: $s = 1.5\tanh(\cdot)$ bounds the log-scales; $t$ unbounded
    AdTensor *s = ad_scale(arena, ad_tanh(arena, ad_slice(arena, raw, 1, 0, h)), S_SCALE);
    AdTensor *t = ad_slice(arena, raw, 1, h, 2 * h);
    AdTensor *y_b;
    if (!inverse)
        //: $y_b = x_b e^{s(x_a)} + t(x_a)$, [eq:L42.4.3.coupling]
        y_b = ad_add(arena, ad_mul(arena, x_b, ad_exp(arena, s)), t);
    else
        //: $x_b = (y_b - t)e^{-s}$, [eq:L42.4.3.coupling_inverse]
        y_b = ad_mul(arena, ad_sub(arena, x_b, t), ad_exp(arena, ad_scale(arena, s, -1.0)));
    AdTensor *parts[2] = {keep_first ? x_a : y_b, keep_first ? y_b : x_a};
    *out = ad_concat(arena, parts, 2, 1);
    //: $\log\lvert\det J\rvert = \sum_j s_j$
    if (logdet) *logdet = ad_sum_axis(arena, s, 1, 0);
}

AdTensor *gm_flow_logp(AdArena *arena, const GmFlow *f, AdTensor *x, int lecture, AdTensor **z_out) {
    AdTensor *z = x, *total = NULL;
    for (int k = 0; k < f->nlayers; k++) {
        AdTensor *ld;
        gm_flow_coupling(arena, f, k, z, 0, &z, &ld);
        total = total ? ad_add(arena, total, ld) : ld;
    }
    //: $\log\mathcal N(z;0,I) = -\frac12\lVert z\rVert^2 - \frac D2\log 2\pi$
    AdTensor *lp = ad_scale(arena, ad_sum_axis(arena, ad_square(arena, z), 1, 0), -0.5);
    if (!lecture) lp = ad_add_const(arena, lp, -0.5 * f->D * log(2.0 * M_PI));
    if (z_out) *z_out = z;
    return ad_add(arena, lp, total);
}

AdTensor *gm_flow_inverse(AdArena *arena, const GmFlow *f, AdTensor *z) {
    AdTensor *x = z;
    for (int k = f->nlayers - 1; k >= 0; k--) gm_flow_coupling(arena, f, k, x, 1, &x, NULL);
    return x;
}

void gm_flow_init(GmFlow *f, int D, int nlayers, int hidden, AdDtype dtype, Rng *rng) {
    f->D = D, f->nlayers = nlayers, f->dtype = dtype;
    int widths[4] = {D / 2, hidden, hidden, D};
    for (int k = 0; k < nlayers; k++) nn_mlp_init(&f->layers[k], 3, widths, NN_ACT_TANH, dtype, rng);
}

void gm_flow_free(GmFlow *f) {
    for (int k = 0; k < f->nlayers; k++) nn_mlp_free(&f->layers[k]);
}

/* ---------------------------------------------------------------------------------------- */
/* The flow as a GenModel (genmodel.h): one player, loss = mean negative log-likelihood. */

static AdTensor *realnvp_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n,
                                    Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    int shape[2] = {n, m->dim};
    AdTensor *lp = gm_flow_logp(arena, m->self, ad_from_array(arena, AD_F32, 2, shape, x), 0, NULL);
    return ad_scale(arena, ad_mean(arena, lp), -1.0);
}

static void realnvp_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 20);
    const int chunk = 4096;
    for (int i0 = 0; i0 < n; i0 += chunk) {
        int c = n - i0 < chunk ? n - i0 : chunk, shape[2] = {c, m->dim};
        ad_arena_reset(arena);
        AdTensor *t = gm_flow_logp(arena, m->self, ad_from_array(arena, AD_F32, 2, shape, x + (size_t)i0 * m->dim), 0, NULL);
        for (int i = 0; i < c; i++) lp[i0 + i] = ad_get(t, i);
    }
    ad_arena_free(arena);
}

static void realnvp_decode(GenModel *m, const float *z, int n, float *x_out) {
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, m->dim};
    AdTensor *x = gm_flow_inverse(arena, m->self, ad_from_array(arena, AD_F32, 2, shape, z));
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    ad_arena_free(arena);
}

static void realnvp_encode(GenModel *m, const float *x, int n, float *z_out) {
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, m->dim};
    AdTensor *z;
    gm_flow_logp(arena, m->self, ad_from_array(arena, AD_F32, 2, shape, x), 0, &z);
    memcpy(z_out, ad_f32(z), (size_t)n * m->dim * sizeof *z_out);
    ad_arena_free(arena);
}

static void realnvp_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    float *z = xmalloc((size_t)n * m->dim * sizeof *z);
    rng_normal_fill_f(rng, z, (size_t)n * m->dim);
    realnvp_decode(m, z, n, x_out);
    free(z);
}

static void realnvp_destroy(GenModel *m) {
    gm_flow_free(m->self);
    free(m->self);
}

static const GenModelVT REALNVP_VT = {
    .name = "RealNVP", .family = GM_FAM_FLOW, .paradigm = GM_PAR_FLOW,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK | GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = realnvp_train_step, .sample = realnvp_sample,
    .log_likelihood = realnvp_log_likelihood, .encode = realnvp_encode,
    .decode = realnvp_decode, .destroy = realnvp_destroy,
};

void gm_realnvp_init(GenModel *m, int D, int nlayers, int hidden, Rng *rng) {
    GmFlow *f = xcalloc(1, sizeof *f);
    gm_flow_init(f, D, nlayers, hidden, AD_F32, rng);
    gm_init(m, &REALNVP_VT, f, D);
    char prefix[32];
    for (int k = 0; k < nlayers; k++) {
        snprintf(prefix, sizeof prefix, "coupling%d", k);
        nn_mlp_params(&f->layers[k], prefix, &m->player[0].params);
    }
}
