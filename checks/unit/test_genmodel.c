/* Unit tests of common/genmodel.h: the capability rule, the shared training loop (a diagonal
   Gaussian trained by Adam reaches the closed-form MLE; a diverging model is stopped at the
   step where its loss turns NaN; a two-player model runs each player's updates; chunked
   data-parallel steps against the chunks added by hand, 1 vs 2 threads), the unbiased
   MMD^2 against its closed form for Gaussians, the paired KL estimator and moment SEs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/stats.h"
#include "common/genmodel.h"
#include "common/parallel.h"
#include "common/rng.h"
#include "common/util.h"

/* A model whose loss is finite for 5 updates, then NaN: the loop must stop at step 5. Two
   players, so the test also counts the updates per player (player 0 has 3 per step). */
typedef struct {
    AdTensor *w[2];
    long calls[2];
} Broken;

static AdTensor *broken_step(GenModel *m, int player, AdArena *arena, const float *x, int n,
                             Rng *rng, GmLoss *terms) {
    (void)x, (void)n, (void)rng, (void)terms;
    Broken *b = m->self;
    b->calls[player]++;
    AdTensor *l = ad_sum(arena, ad_square(arena, b->w[player]));
    if (player == 1 && b->calls[1] > 5) l = ad_scale(arena, l, NAN);
    return l;
}

static void broken_destroy(GenModel *m) {
    Broken *b = m->self;
    ad_tensor_free(b->w[0]), ad_tensor_free(b->w[1]);
    free(b);
}

static const GenModelVT BROKEN_VT = {.name = "broken", .family = GM_FAM_GAN,
                                     .paradigm = GM_PAR_IMPLICIT, .caps = 0,
                                     .train_step = broken_step, .destroy = broken_destroy};

/* Chunked steps (GmTrainConfig.chunk_rows) on the diagonal Gaussian, whose loss is a mean over
   rows. First the mechanism (ad.h's gradient shadows): a backward pass built in an arena with a
   shadow set leaves the parameters' gradients at zero and puts exactly the plain pass's gradient
   into the shadows. Then one step of gm_train with batch 10 in chunks of 3 rows: its loss and
   gradient must be, bit for bit, the chunks run one by one through the family's own train_step
   (loss weighted by rows / B) and added in chunk order, with 1 and with 2 threads. */
static void test_chunked(const float *data, int N, int D) {
    enum { B = 10, R = 3, MAXP = 16 };
    GenModel g;
    gm_diag_gaussian_init(&g, D);
    NnParams *pl = &g.player[0].params;
    AdArena *a = ad_arena_new(1 << 16);
    /* the mechanism */
    float plain[MAXP], zero_left = 0, diff = 0;
    long np = 0;
    ad_zero_grad(pl->t, pl->n);
    ad_backward(a, g.vt->train_step(&g, 0, a, data, B, NULL, NULL));
    for (int j = 0; j < pl->n; j++)
        for (long i = 0; i < pl->t[j]->size && np < MAXP; i++) plain[np++] = ad_grad_f32(pl->t[j])[i];
    ad_zero_grad(pl->t, pl->n);
    AdShadows *sh = ad_shadows_new(pl->t, pl->n);
    ad_arena_reset(a);
    ad_arena_set_shadows(a, sh);
    ad_backward(a, g.vt->train_step(&g, 0, a, data, B, NULL, NULL));
    ad_arena_set_shadows(a, NULL);
    for (int j = 0, q = 0; j < pl->n; j++)
        for (long i = 0; i < pl->t[j]->size; i++, q++) {
            zero_left += fabsf(ad_grad_f32(pl->t[j])[i]);
            diff += fabsf(((const float *)ad_shadows_grad(sh, j))[i] - plain[q]);
        }
    ad_shadows_free(sh);
    check_true("common.genmodel.shadow_grads", zero_left == 0 && diff == 0,
               "backward with gradient shadows: the parameters' gradients stay 0 (sum |g| %g), the "
               "shadows hold the plain pass's gradient exactly (sum |difference| %g)", zero_left, diff);

    /* the reference: gm_train's row draw, then each chunk through train_step, added in order */
    Rng rr;
    rng_init(&rr, 17, 0);
    float xb[B * 8], ref[MAXP] = {0};
    for (int i = 0; i < B; i++)
        memcpy(xb + (size_t)i * D, data + (size_t)rng_below(&rr, (uint32_t)N) * D, (size_t)D * sizeof *xb);
    double ref_loss = 0;
    for (int r0 = 0; r0 < B; r0 += R) {
        const int nk = B - r0 < R ? B - r0 : R;
        ad_zero_grad(pl->t, pl->n);
        ad_arena_reset(a);
        AdTensor *l = ad_scale(a, g.vt->train_step(&g, 0, a, xb + (size_t)r0 * D, nk, NULL, NULL),
                               (double)nk / B);
        ref_loss += ad_item(l);
        ad_backward(a, l);
        for (int j = 0, q = 0; j < pl->n; j++)
            for (long i = 0; i < pl->t[j]->size; i++, q++)
                ref[q] = r0 == 0 ? ad_grad_f32(pl->t[j])[i] : ref[q] + ad_grad_f32(pl->t[j])[i];
    }
    gm_free(&g);
    ad_arena_free(a);
    float got[2][MAXP];
    double loss[2];
    const int threads0 = par_max_threads();
    for (int k = 0; k < 2; k++) {
        par_set_threads(k + 1);
        gm_diag_gaussian_init(&g, D);
        g.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
        GmTrainConfig c = {.steps = 1, .batch = B, .chunk_rows = R, .label = "chunked"};
        rng_init(&rr, 17, 0);
        loss[k] = gm_train(&g, data, N, &c, &rr).first_loss[0];
        for (int j = 0, q = 0; j < g.player[0].params.n; j++)
            for (long i = 0; i < g.player[0].params.t[j]->size; i++, q++)
                got[k][q] = ad_grad_f32(g.player[0].params.t[j])[i];
        gm_free(&g);
    }
    par_set_threads(threads0);
    check_true("common.genmodel.chunked_step", !memcmp(got[0], ref, sizeof(float) * (size_t)np) && loss[0] == ref_loss,
               "batch %d in chunks of %d rows: the step's gradient and loss (%.6f) equal the chunks "
               "through train_step, weighted by rows/B and added in order (%.6f), bit for bit", B, R,
               loss[0], ref_loss);
    check_true("common.genmodel.chunked_threads", !memcmp(got[0], got[1], sizeof(float) * (size_t)np) && loss[0] == loss[1],
               "the chunked step's gradient and loss are the same bits with 1 and 2 threads");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the unified generative-model interface",
              42, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);

    /* --- the Gaussian through the loop reaches the MLE (sample mean, population std) --- */
    const int N = 1000, D = 2;
    float *data = xmalloc((size_t)N * D * sizeof *data);
    for (int i = 0; i < N; i++) data[2 * i] = (float)(1.5 + 0.7 * rng_normal(&r)),
                                data[2 * i + 1] = (float)(-0.5 + 2.0 * rng_normal(&r));
    double mle_mu[2], mle_sd[2];
    for (int j = 0; j < D; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < N; i++) s += data[2 * i + j];
        mle_mu[j] = s / N;
        for (int i = 0; i < N; i++) s2 += (data[2 * i + j] - mle_mu[j]) * (data[2 * i + j] - mle_mu[j]);
        mle_sd[j] = sqrt(s2 / N);
    }
    GenModel g;
    gm_diag_gaussian_init(&g, D);
    check_true("common.genmodel.caps_gauss", gm_check_caps(g.vt), "diag-Gaussian obeys the capability rule");
    check_true("common.genmodel.caps_broken", gm_check_caps(&BROKEN_VT), "a model with no optional parts obeys it");
    GenModelVT bad = BROKEN_VT;
    bad.caps = GM_CAP_SAMPLE; /* claims sampling without a sample() */
    check_true("common.genmodel.caps_violation", !gm_check_caps(&bad), "a capability bit without its function is rejected");
    /* minibatches of 1000 drawn with replacement: the optimum moves with each batch by about
       sd/sqrt(1000); the EMA (delta = 0.99) averages ~100 of them, so 0.02 sd is ~6 of its SEs */
    g.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig cfg = {.steps = 3000, .batch = 1000, .clip_norm = 10.0, .ema_decay = 0.99,
                         .label = "gauss", .check_id = "common.genmodel.gauss_finite"};
    GmTrainResult res = gm_train(&g, data, N, &cfg, &r);
    double mu[2], sd[2];
    gm_diag_gaussian_get(&g, mu, sd);
    for (int j = 0; j < D; j++) {
        char id[64];
        snprintf(id, sizeof id, "common.genmodel.gauss_mu%d", j);
        check_close(id, mu[j], mle_mu[j], 0.02 * mle_sd[j], NULL, "trained mu_%d vs sample mean (EMA of Adam iterates)", j);
        snprintf(id, sizeof id, "common.genmodel.gauss_sd%d", j);
        check_close(id, sd[j], mle_sd[j], 0.02 * mle_sd[j], NULL, "trained sigma_%d vs MLE std", j);
    }
    /* exact log-likelihood: the closed form at the MLE, -n/2 (log 2 pi sigma^2 + 1) per axis */
    double *lp = xmalloc((size_t)N * sizeof *lp), sum = 0, closed = 0;
    gm_diag_gaussian_get(&g, mu, sd);
    g.vt->log_likelihood(&g, data, N, lp);
    for (int i = 0; i < N; i++) sum += lp[i];
    for (int j = 0; j < D; j++) {
        double s2 = 0;
        for (int i = 0; i < N; i++) s2 += (data[2 * i + j] - mu[j]) * (data[2 * i + j] - mu[j]);
        closed += -0.5 * N * log(2 * M_PI * sd[j] * sd[j]) - 0.5 * s2 / (sd[j] * sd[j]);
    }
    check_rel("common.genmodel.gauss_loglik", sum, closed, 1e-5, NULL, "sum of log_likelihood vs Gaussian closed form (float32 graph)");
    check_true("common.genmodel.loss_decreased", res.avg_loss[0] < res.first_loss[0], "final loss %.4f below initial %.4f", res.avg_loss[0], res.first_loss[0]);
    gm_free(&g);

    /* --- full batch (batch = 0): the exact gradient, so Adam + EMA land on the MLE itself --- */
    gm_diag_gaussian_init(&g, D);
    g.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    GmTrainConfig fcfg = {.steps = 3000, .batch = 0, .ema_decay = 0.99, .label = "gauss full", .check_id = NULL};
    gm_train(&g, data, N, &fcfg, &r);
    gm_diag_gaussian_get(&g, mu, sd);
    double ferr = 0;
    for (int j = 0; j < D; j++) ferr = fmax(ferr, fmax(fabs(mu[j] - mle_mu[j]), fabs(sd[j] - mle_sd[j])));
    check_le("common.genmodel.full_batch_mle", ferr, 1e-4, 0, NULL, "full-batch training reaches the closed-form MLE (max |error| over mu, sigma)");
    gm_free(&g);

    /* --- NaN detection names the step; two players with their own update counts --- */
    GenModel b;
    Broken *bs = xcalloc(1, sizeof *bs);
    int one[1] = {1};
    bs->w[0] = ad_param_new(AD_F32, 1, one), bs->w[1] = ad_param_new(AD_F32, 1, one);
    ad_set(bs->w[0], 0, 1.0), ad_set(bs->w[1], 0, 1.0);
    gm_init(&b, &BROKEN_VT, bs, D);
    b.nplayers = 2;
    b.player[0].updates_per_step = 3;
    nn_params_add(&b.player[0].params, "d", "w", bs->w[0]);
    nn_params_add(&b.player[1].params, "g", "w", bs->w[1]);
    GmTrainConfig bc = {.steps = 100, .batch = 4, .label = "broken", .check_id = NULL};
    GmTrainResult br = gm_train(&b, data, N, &bc, &r);
    check_true("common.genmodel.nan_step", br.diverged && br.bad_step == 5, "divergence reported at step %ld (expected 5)", br.bad_step);
    check_true("common.genmodel.players", bs->calls[0] == 18 && bs->calls[1] == 6, "player updates: %ld and %ld (expected 3x6 and 6)", bs->calls[0], bs->calls[1]);
    gm_free(&b);

    test_chunked(data, N, D);

    /* --- MMD^2 closed form (RBF sigma=1): N(0,I_2) vs N(delta, I_2), |delta|^2 = 1:
       2 (s^2/(s^2+2))^{d/2} (1 - exp(-|delta|^2 / (2 (s^2+2)))) --- */
    const int n = 300, reps = 30;
    double est[30];
    float *x = xmalloc((size_t)n * 2 * sizeof *x), *y = xmalloc((size_t)n * 2 * sizeof *y);
    for (int k = 0; k < reps; k++) {
        for (int i = 0; i < 2 * n; i++) x[i] = (float)rng_normal(&r), y[i] = (float)(rng_normal(&r) + (i % 2 == 0 ? 1.0 : 0.0));
        est[k] = gm_mmd2_unbiased(x, n, y, n, 2, 1.0);
    }
    double m = 0, v = 0;
    for (int k = 0; k < reps; k++) m += est[k] / reps;
    for (int k = 0; k < reps; k++) v += (est[k] - m) * (est[k] - m) / (reps - 1);
    double exact = 2.0 * (1.0 / 3.0) * (1.0 - exp(-1.0 / 6.0));
    check_mc("common.genmodel.mmd_closed_form", m, exact, sqrt(v / reps), 4.0, (long)reps * n, "common.genmodel.mmd_u", "unbiased MMD^2 mean over %d replicates vs closed form 0.1023455", reps);
    double e2 = gm_mmd2_unbiased(x, n, x, n, 2, 1.0);
    check_le("common.genmodel.mmd_self", e2, 0.0, 1e-12, NULL, "unbiased MMD^2 of a set with itself is -(mean off-diagonal gap) <= 0");

    /* --- paired KL: q = p gives exactly 0; a shifted q the closed form 1/2 |delta|^2 --- */
    double *lq = xmalloc((size_t)n * sizeof *lq), *lpp = xmalloc((size_t)n * sizeof *lpp), se;
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        lpp[i] = -0.5 * z * z, lq[i] = -0.5 * (z - 0.5) * (z - 0.5);
    }
    double kl = gm_kl_paired(lpp, lpp, n, &se);
    check_close("common.genmodel.kl_self", kl, 0.0, 0.0, NULL, "KL(p||p) from identical log-densities");
    kl = gm_kl_paired(lpp, lq, n, &se);
    check_mc("common.genmodel.kl_shift", kl, 0.125, se, 4.0, n, NULL, "KL(N(0,1)||N(0.5,1)) = 0.125 by the paired estimator");

    /* --- moments: SE of the mean of N(1.5, 0.7^2) data --- */
    double mean[2], mse[2], m2[2], m2se[2];
    gm_moments(data, N, D, mean, mse, m2, m2se);
    check_mc("common.genmodel.moment_mean", mean[0], 1.5, mse[0], 4.0, N, NULL, "sample mean of N(1.5, 0.49) data");
    check_mc("common.genmodel.moment_m2", m2[0], 1.5 * 1.5 + 0.49, m2se[0], 4.0, N, NULL, "sample E x^2 = mu^2 + sigma^2");
    double centre[4] = {1.5, -0.5, 10, 10};
    check_true("common.genmodel.modes", gm_modes_covered(data, N, D, centre, 2, 3.0, 0.02) == 1, "one of two centres holds >= 2%% of the points");

    /* --- the 8-Gaussians law matches the sampler of common/data.h: the components are 15 std
       apart, so E_p[log p] = -(log 8 + 1 + log(2 pi 0.01)) up to overlaps below 1e-40 --- */
    {
        const int ns = 20000;
        float *g8 = xmalloc((size_t)ns * 2 * sizeof *g8);
        double *lg = xmalloc((size_t)ns * sizeof *lg), centres[16];
        toy2d_sample(TOY2D_GAUSSIANS8, &r, g8, ns);
        Gmm law = gm_gaussians8_law(centres);
        for (int i = 0; i < ns; i++) lg[i] = gmm_logpdf(&law, (double[2]){g8[2 * i], g8[2 * i + 1]}, NULL);
        double se8, m8 = stats_mean_se(lg, ns, &se8);
        check_mc("common.genmodel.gaussians8_law", m8, -(log(8.0) + 1.0 + log(2 * M_PI * 0.01)), se8, 4.0, ns, NULL,
                 "mean log-density of the law on the sampler's points = minus the mixture's entropy");
        check_true("common.genmodel.gaussians8_modes", gm_modes_covered(g8, ns, 2, centres, 8, 0.3, 0.1) == 8,
                   "every centre of the law holds >= 10%% of the sampler's points within 0.3");
        gmm_free(&law);
        free(g8), free(lg);
    }

    free(data), free(lp), free(x), free(y), free(lq), free(lpp);
    return check_end();
}
