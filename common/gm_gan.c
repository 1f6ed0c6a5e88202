/* gm_gan — see gm_gan.h. */
#include "common/gm_gan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

AdTensor *gm_gan_critic_forward(AdArena *arena, const NnMlp *m, AdTensor *x, AdTensor **h1, AdTensor **h2) {
    *h1 = ad_tanh(arena, nn_linear_forward(arena, &m->layers[0], x));
    *h2 = ad_tanh(arena, nn_linear_forward(arena, &m->layers[1], *h1));
    return nn_linear_forward(arena, &m->layers[2], *h2);
}

static AdTensor *one_minus_sq(AdArena *arena, AdTensor *h) {
    return ad_add_const(arena, ad_scale(arena, ad_square(arena, h), -1.0), 1.0);
}

AdTensor *gm_gan_critic_input_grad(AdArena *arena, const NnMlp *m, AdTensor *x) {
    AdTensor *h1, *h2;
    gm_gan_critic_forward(arena, m, x, &h1, &h2);
    //: $\delta_2 = W_2^\top\odot(1-h_2^2)$, [eq:L42.4.4.input_grad]
    AdTensor *d2 = ad_mul(arena, ad_transpose(arena, m->layers[2].weight), one_minus_sq(arena, h2));
    //: $\delta_1 = (\delta_2 W_1^\top)\odot(1-h_1^2)$
    AdTensor *d1 = ad_mul(arena, ad_matmul(arena, d2, ad_transpose(arena, m->layers[1].weight)), one_minus_sq(arena, h1));
    //: $\nabla_x C = \delta_1 W_0^\top$
    return ad_matmul(arena, d1, ad_transpose(arena, m->layers[0].weight));
}

static AdTensor *generate(AdArena *arena, GmGan *g, int n, int dim, Rng *rng) {
    int zshape[2] = {n, g->shift_only ? dim : g->z_dim};
    AdTensor *z = ad_input(arena, AD_F32, 2, zshape);
    rng_normal_fill_f(rng, ad_f32(z), (size_t)z->size);
    if (g->shift_only) return ad_add_const(arena, z, g->shift);
    return nn_mlp_forward(arena, &g->gen, z);
}

static AdTensor *gan_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n,
                                Rng *rng, GmLoss *terms) {
    (void)terms;
    GmGan *g = m->self;
    int shape[2] = {n, m->dim};
    AdTensor *fake = generate(arena, g, n, m->dim, rng), *h1, *h2;
    if (player == 1) {
        AdTensor *out = gm_gan_critic_forward(arena, &g->disc, fake, &h1, &h2);
        //: $L_G$: [eq:L42.4.4.vanilla] (non-saturating) or [eq:L42.4.4.wgan_gp]
        return g->kind == GM_GAN_VANILLA ? ad_mean(arena, ad_softplus(arena, ad_scale(arena, out, -1.0)))
                                      : ad_scale(arena, ad_mean(arena, out), -1.0);
    }
    fake = ad_detach(arena, fake); /* the generator's parameters are not player 0's */
    AdTensor *real = ad_from_array(arena, AD_F32, 2, shape, x);
    AdTensor *c_real = gm_gan_critic_forward(arena, &g->disc, real, &h1, &h2);
    AdTensor *c_fake = gm_gan_critic_forward(arena, &g->disc, fake, &h1, &h2);
    if (g->kind == GM_GAN_VANILLA)
        //: $L_D = \mathbb E\,\mathrm{softplus}(-\ell(x)) + \mathbb E\,\mathrm{softplus}(\ell(G(z)))$
        return ad_add(arena, ad_mean(arena, ad_softplus(arena, ad_scale(arena, c_real, -1.0))),
                      ad_mean(arena, ad_softplus(arena, c_fake)));
    /* one epsilon per row, and 1 - epsilon, as (n, 1) inputs broadcast over the row; the
       interpolates are recorded ops (not a host read of the generated batch), so a deferred
       step can be replayed on a device (gpu/gpu_ad_replay.h) */
    const int eshape[2] = {n, 1};
    AdTensor *eps = ad_input(arena, AD_F32, 2, eshape), *one_m = ad_input(arena, AD_F32, 2, eshape);
    for (int i = 0; i < n; i++) {
        const double e = rng_uniform(rng);
        ad_f32(eps)[i] = (float)e, ad_f32(one_m)[i] = (float)(1 - e);
    }
    //: $\hat x = \epsilon x + (1-\epsilon) G(z)$
    AdTensor *x_hat = ad_add(arena, ad_mul(arena, eps, real), ad_mul(arena, one_m, fake));
    AdTensor *grad = gm_gan_critic_input_grad(arena, &g->disc, x_hat);
    AdTensor *norm = ad_sqrt(arena, ad_add_const(arena, ad_sum_axis(arena, ad_square(arena, grad), 1, 0), 1e-12));
    //: $\lambda\,\mathbb E(\lVert\nabla_x C(\hat x)\rVert - 1)^2$, [eq:L42.4.4.wgan_gp]
    AdTensor *gp = ad_scale(arena, ad_mean(arena, ad_square(arena, ad_add_const(arena, norm, -1.0))), g->gp_lambda);
    return ad_add(arena, ad_sub(arena, ad_mean(arena, c_fake), ad_mean(arena, c_real)), gp);
}

static void gan_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    AdArena *arena = ad_arena_new(1 << 20);
    AdTensor *x = generate(arena, m->self, n, m->dim, rng);
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    ad_arena_free(arena);
}

static void gan_destroy(GenModel *m) {
    GmGan *g = m->self;
    nn_mlp_free(&g->disc);
    if (!g->shift_only) nn_mlp_free(&g->gen);
    free(g);
}

static const GenModelVT VANILLA_VT = {.name = "VanillaGAN", .family = GM_FAM_GAN, .paradigm = GM_PAR_IMPLICIT,
                                      .caps = GM_CAP_SAMPLE, .train_step = gan_train_step,
                                      .sample = gan_sample, .destroy = gan_destroy};
static const GenModelVT WGAN_VT = {.name = "WGAN-GP", .family = GM_FAM_GAN, .paradigm = GM_PAR_IMPLICIT,
                                   .caps = GM_CAP_SAMPLE, .train_step = gan_train_step,
                                   .sample = gan_sample, .destroy = gan_destroy};

void gm_gan_init(GenModel *m, GmGanKind kind, int dim, int z_dim, int hidden, int shift_only, double shift,
                 AdDtype dtype, Rng *rng) {
    GmGan *g = xcalloc(1, sizeof *g);
    g->kind = kind, g->shift_only = shift_only, g->shift = shift, g->z_dim = z_dim, g->gp_lambda = 10.0;
    int dw[4] = {dim, hidden, hidden, 1}, gw[4] = {z_dim, hidden, hidden, dim};
    nn_mlp_init(&g->disc, 3, dw, NN_ACT_TANH, dtype, rng);
    if (!shift_only) nn_mlp_init(&g->gen, 3, gw, NN_ACT_TANH, dtype, rng);
    gm_init(m, kind == GM_GAN_VANILLA ? &VANILLA_VT : &WGAN_VT, g, dim);
    m->nplayers = 2;
    m->player[0].name = kind == GM_GAN_VANILLA ? "discriminator" : "critic";
    m->player[1].name = "generator";
    nn_mlp_params(&g->disc, "disc", &m->player[0].params);
    if (!shift_only) nn_mlp_params(&g->gen, "gen", &m->player[1].params);
    m->player[1].updates_per_step = shift_only ? 0 : 1;
    if (kind == GM_GAN_WGAN_GP) {
        m->player[0].updates_per_step = 5;
        m->player[0].opt = m->player[1].opt = optim_adam(2e-3, 0.5, 0.9, 1e-8, 0.0);
    } else {
        m->player[0].opt = m->player[1].opt = optim_adam(1e-3, 0.5, 0.999, 1e-8, 0.0);
    }
}
