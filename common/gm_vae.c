/* gm_vae — see gm_vae.h. */
#include "common/gm_vae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mathfn.h"
#include "common/stats.h"
#include "common/util.h"

double gm_vae_kl_diag(const double *mu, const double *logvar, int d) {
    double s = 0;
    //: $\frac12\sum_j(\sigma_j^2+\mu_j^2-\log\sigma_j^2-1)$, [eq:L42.4.2.kl_diag]
    for (int j = 0; j < d; j++) s += 0.5 * (exp(logvar[j]) + mu[j] * mu[j] - logvar[j] - 1.0);
    return s;
}

static void vae_encode_graph(AdArena *arena, const GmVae *v, AdTensor *x, AdTensor **mu, AdTensor **logvar) {
    AdTensor *h = nn_mlp_forward(arena, &v->enc, x);
    //: $(\mu, \log\sigma^2) = \mathrm{split}(\mathrm{Enc}(x))$
    *mu = ad_slice(arena, h, 1, 0, v->dz);
    *logvar = ad_slice(arena, h, 1, v->dz, 2 * v->dz);
}

static AdTensor *vae_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                GmLoss *terms) {
    (void)player;
    GmVae *v = m->self;
    int shape[2] = {n, m->dim}, zshape[2] = {n, v->dz};
    AdTensor *xt = ad_from_array(arena, AD_F32, 2, shape, x), *mu, *logvar;
    vae_encode_graph(arena, v, xt, &mu, &logvar);
    AdTensor *eps = ad_input(arena, AD_F32, 2, zshape);
    rng_normal_fill_f(rng, ad_f32(eps), (size_t)n * v->dz);
    //: $z = \mu + e^{\frac12\log\sigma^2}\odot\epsilon$
    AdTensor *z = ad_add(arena, mu, ad_mul(arena, ad_exp(arena, ad_scale(arena, logvar, 0.5)), eps));
    AdTensor *xhat = ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, z));
    //: $\frac1B\sum_b\lVert x_b-\hat x_b\rVert^2/2\sigma_x^2 + \frac D2\log 2\pi\sigma_x^2$, [eq:L42.4.2.vae_loss]
    AdTensor *recon = ad_add_const(arena, ad_scale(arena, ad_sum(arena, ad_square(arena, ad_sub(arena, xhat, xt))),
                                                   1.0 / (2.0 * v->sigma_x * v->sigma_x * n)),
                                   0.5 * m->dim * log(2.0 * M_PI * v->sigma_x * v->sigma_x));
    //: $\frac1B\sum_b\frac12\sum_j(\sigma^2+\mu^2-\log\sigma^2-1)$, [eq:L42.4.2.kl_diag]
    AdTensor *kl = ad_scale(arena, ad_sum(arena, ad_sub(arena, ad_add(arena, ad_exp(arena, logvar), ad_square(arena, mu)),
                                                        ad_add_const(arena, logvar, 1.0))),
                            0.5 / n);
    if (terms) {
        terms->nterms = 2;
        terms->name[0] = "recon", terms->value[0] = ad_item(recon);
        terms->name[1] = "kl", terms->value[1] = ad_item(kl);
    }
    //: $\mathcal L_\beta = \text{recon} + \beta\,\mathrm{KL}$, [eq:L42.4.2.vae_loss]
    return ad_add(arena, recon, ad_scale(arena, kl, v->beta));
}

void gm_vae_posterior(const GmVae *v, const float *x, int n, int D, double *mu, double *logvar) {
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, D};
    AdTensor *m, *lv;
    vae_encode_graph(arena, v, ad_from_array(arena, AD_F32, 2, shape, x), &m, &lv);
    for (long i = 0; i < (long)n * v->dz; i++) mu[i] = ad_get(m, i), logvar[i] = ad_get(lv, i);
    ad_arena_free(arena);
}

static void vae_decode(GenModel *m, const float *z, int n, float *x_out) {
    GmVae *v = m->self;
    AdArena *arena = ad_arena_new(1 << 20);
    int shape[2] = {n, v->dz};
    AdTensor *x = ad_sigmoid(arena, nn_mlp_forward(arena, &v->dec, ad_from_array(arena, AD_F32, 2, shape, z)));
    memcpy(x_out, ad_f32(x), (size_t)n * m->dim * sizeof *x_out);
    ad_arena_free(arena);
}

static void vae_encode(GenModel *m, const float *x, int n, float *z_out) {
    GmVae *v = m->self;
    double *mu = xmalloc((size_t)n * v->dz * sizeof *mu), *lv = xmalloc((size_t)n * v->dz * sizeof *lv);
    gm_vae_posterior(v, x, n, m->dim, mu, lv);
    for (long i = 0; i < (long)n * v->dz; i++) z_out[i] = (float)mu[i];
    free(mu), free(lv);
}

static void vae_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    GmVae *v = m->self;
    float *z = xmalloc((size_t)n * v->dz * sizeof *z);
    //: $z\sim\mathcal N(0, I)$, $x = \mathrm{Dec}(z)$ (the decoder's mean)
    rng_normal_fill_f(rng, z, (size_t)n * v->dz);
    vae_decode(m, z, n, x_out);
    free(z);
}

void gm_vae_logweights(GenModel *m, const float *x, const double *mu, const double *lv, int K, Rng *rng, double *lw,
                           double *elbo) {
    GmVae *v = m->self;
    const int D = m->dim, dz = v->dz;
    float *z = xmalloc((size_t)K * dz * sizeof *z), *xh = xmalloc((size_t)K * D * sizeof *xh);
    double *lqz = xmalloc((size_t)K * sizeof *lqz);
    for (int k = 0; k < K; k++) {
        double lq = 0, lp = 0;
        for (int j = 0; j < dz; j++) {
            const double e = rng_normal(rng), zz = mu[j] + exp(0.5 * lv[j]) * e;
            z[(size_t)k * dz + j] = (float)zz;
            //: $\log q(z\mid x) - \log p(z)$ per coordinate, constants cancel
            lq += -0.5 * e * e - 0.5 * lv[j], lp += -0.5 * zz * zz;
        }
        lqz[k] = lp - lq;
    }
    vae_decode(m, z, K, xh);
    const double s2 = v->lecture ? 1.0 : v->sigma_x * v->sigma_x;
    const double cst = v->lecture ? 0.0 : -0.5 * D * log(2.0 * M_PI * s2);
    double rec = 0;
    for (int k = 0; k < K; k++) {
        double r2 = 0;
        for (int i = 0; i < D; i++) r2 += ((double)x[i] - xh[(size_t)k * D + i]) * ((double)x[i] - xh[(size_t)k * D + i]);
        //: $\log p(x\mid z_k) = -\lVert x-\hat x_k\rVert^2/2\sigma_x^2 - \frac D2\log 2\pi\sigma_x^2$
        const double lpx = -0.5 * r2 / s2 + cst;
        lw[k] = lpx + lqz[k], rec += lpx / K;
    }
    if (elbo) *elbo = rec - gm_vae_kl_diag(mu, lv, dz);
    free(z), free(xh), free(lqz);
}

static void vae_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    GmVae *v = m->self;
    double *mu = xmalloc((size_t)n * v->dz * sizeof *mu), *lv = xmalloc((size_t)n * v->dz * sizeof *lv),
           *lw = xmalloc((size_t)v->K * sizeof *lw);
    gm_vae_posterior(v, x, n, m->dim, mu, lv);
    for (int i = 0; i < n; i++) {
        gm_vae_logweights(m, x + (size_t)i * m->dim, mu + (size_t)i * v->dz, lv + (size_t)i * v->dz, v->K, &v->eval_rng, lw, NULL);
        //: [eq:L42.4.2.iwae]
        lp[i] = logsumexp(lw, (size_t)v->K) - log((double)v->K);
    }
    free(mu), free(lv), free(lw);
}

static void vae_destroy(GenModel *m) {
    GmVae *v = m->self;
    nn_mlp_free(&v->enc), nn_mlp_free(&v->dec);
    free(v);
}

static const GenModelVT VAE_VT = {
    .name = "VAE", .family = GM_FAM_VAE, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_ENCODE | GM_CAP_DECODE,
    .train_step = vae_train_step, .sample = vae_sample, .log_likelihood = vae_log_likelihood,
    .encode = vae_encode, .decode = vae_decode, .destroy = vae_destroy,
};

void gm_vae_init(GenModel *m, int D, int dz, double beta, int K, uint64_t seed, uint64_t stream) {
    GmVae *v = xcalloc(1, sizeof *v);
    v->dz = dz, v->beta = beta, v->sigma_x = 0.15, v->K = K;
    Rng init;
    rng_init(&init, seed, stream);
    rng_init(&v->eval_rng, seed, stream + 1);
    int we[3] = {D, 128, 2 * dz}, wd[3] = {dz, 128, D};
    nn_mlp_init(&v->enc, 2, we, NN_ACT_RELU, AD_F32, &init);
    nn_mlp_init(&v->dec, 2, wd, NN_ACT_RELU, AD_F32, &init);
    gm_init(m, &VAE_VT, v, D);
    nn_mlp_params(&v->enc, "enc", &m->player[0].params);
    nn_mlp_params(&v->dec, "dec", &m->player[0].params);
}

GmVaeEval gm_vae_evaluate(GenModel *m, const float *x, int n) {
    GmVae *v = m->self;
    const int D = m->dim, dz = v->dz;
    double *mu = xmalloc((size_t)n * dz * sizeof *mu), *lv = xmalloc((size_t)n * dz * sizeof *lv),
           *lw = xmalloc((size_t)v->K * sizeof *lw), *el = xmalloc((size_t)n * sizeof *el),
           *iw = xmalloc((size_t)n * sizeof *iw), *gap = xmalloc((size_t)n * sizeof *gap);
    gm_vae_posterior(v, x, n, D, mu, lv);
    GmVaeEval e = {0};
    float *z = xmalloc((size_t)n * dz * sizeof *z), *xh = xmalloc((size_t)n * D * sizeof *xh);
    for (long i = 0; i < (long)n * dz; i++) z[i] = (float)mu[i];
    vae_decode(m, z, n, xh);
    for (int i = 0; i < n; i++) {
        double elbo_other;
        /* the ELBO from K fresh draws, the IWAE from K other draws: independent estimates */
        gm_vae_logweights(m, x + (size_t)i * D, mu + (size_t)i * dz, lv + (size_t)i * dz, v->K, &v->eval_rng, lw, &elbo_other);
        el[i] = elbo_other;
        gm_vae_logweights(m, x + (size_t)i * D, mu + (size_t)i * dz, lv + (size_t)i * dz, v->K, &v->eval_rng, lw, NULL);
        iw[i] = logsumexp(lw, (size_t)v->K) - log((double)v->K);
        gap[i] = iw[i] - el[i];
        e.kl += gm_vae_kl_diag(mu + (size_t)i * dz, lv + (size_t)i * dz, dz) / n;
        for (int j = 0; j < D; j++)
            e.recon_mse += ((double)x[(size_t)i * D + j] - xh[(size_t)i * D + j]) * ((double)x[(size_t)i * D + j] - xh[(size_t)i * D + j]) / n;
    }
    e.elbo = stats_mean_se(el, (size_t)n, &e.elbo_se);
    e.iwae = stats_mean_se(iw, (size_t)n, &e.iwae_se);
    e.gap = stats_mean_se(gap, (size_t)n, &e.gap_se);
    free(mu), free(lv), free(lw), free(el), free(iw), free(gap), free(z), free(xh);
    return e;
}
