/* Unit tests of the model families in common/gm_*.h (L42 03-11, shared with 14 and 15): each
   constructor obeys the capability rule and trains a few finite steps through gm_train; the
   RealNVP inverse undoes the forward map and its exact log-likelihood integrates to 1 in 1-D
   pairs (D = 2, on a grid); the masked AR model's probabilities of all 27 sequences (D = 3, V = 3)
   sum to 1; the independent-pixel yardstick equals its closed form on a hand example; the
   samplers' network counters give 50 Euler steps (FM), 1000 ancestral and 50 DDIM steps (DDPM)
   and D passes (AR); the FSQ index <-> digits map is a bijection on all 64000 codes; the VQ
   nearest code equals a brute-force search. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/diffusion_schedule.h"
#include "common/gauss.h"
#include "common/genmodel.h"
#include "common/gm_ar.h"
#include "common/gm_diffusion.h"
#include "common/gm_fm.h"
#include "common/gm_fsq.h"
#include "common/gm_gan.h"
#include "common/gm_realnvp.h"
#include "common/gm_vae.h"
#include "common/gm_vqvae.h"
#include "common/rng.h"
#include "common/util.h"

enum { N = 256, D = 4 };

/* exact eps and trace for 1-D data N(m0, s0^2) under the continuous VP view (ctx: the view) */
static double G_M0 = 1.5, G_S2 = 0.04;
static void gauss1_eps_trace(double u, const double *x, int n, int dim, double *eps, double *trace, void *ctx) {
    const double la = gm_vp_log_abar(ctx, u), ab = exp(la), sig = sqrt(-expm1(la)), var = ab * G_S2 + sig * sig;
    (void)dim;
    for (int i = 0; i < n; i++) eps[i] = sig * (x[i] - sqrt(ab) * G_M0) / var, trace[i] = sig / var;
}

static void train_few(GenModel *m, const float *x, int n, const char *id) {
    GmTrainConfig cfg = {.steps = 5, .batch = 16, .clip_norm = 100.0, .label = id, .check_id = id};
    Rng r;
    rng_init(&r, 7, 1);
    gm_train(m, x, n, &cfg, &r);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of the L42 model families in common/gm_*", 43, NULL);
    Rng r;
    rng_init(&r, cli.seed, 0);
    float *x = xmalloc((size_t)N * 64 * sizeof *x);
    for (long i = 0; i < (long)N * 64; i++) x[i] = (float)rng_uniform(&r);

    /* capability rule and a few finite steps for every constructor */
    GenModel m[8];
    gm_vae_init(&m[0], D, 2, 1.0, 4, cli.seed, 10);
    gm_realnvp_init(&m[1], D, 2, 8, &r);
    gm_fm_init(&m[2], D, 8, 0, &r);
    gm_gan_init(&m[3], GM_GAN_WGAN_GP, D, 3, 8, 0, 0.0, AD_F32, &r);
    DiffusionSchedule sch = diffusion_schedule_linear(1000, 1e-4, 0.02);
    gm_ddpm_init(&m[4], D, 8, &sch, &r);
    gm_made_model_init(&m[5], D, 5, 8, &r);
    gm_vqvae_init(&m[6], 64, x, N, 0, cli.seed, 20);
    gm_fsq_ae_init(&m[7], 64, 16, &r);
    static const char *const ids[8] = {"common.gm_vae.train", "common.gm_realnvp.train", "common.gm_fm.train",
                                       "common.gm_gan.train", "common.gm_diffusion.train", "common.gm_ar.train",
                                       "common.gm_vqvae.train", "common.gm_fsq.train"};
    int caps_ok = 1;
    for (int k = 0; k < 8; k++) {
        caps_ok &= gm_check_caps(m[k].vt);
        train_few(&m[k], x, N, ids[k]);
    }
    check_true("common.gm_models.caps", caps_ok, "every gm_* constructor's vtable obeys the capability rule");

    /* RealNVP: decode(encode(x)) = x */
    {
        float z[16 * D], back[16 * D];
        m[1].vt->encode(&m[1], x, 16, z);
        m[1].vt->decode(&m[1], z, 16, back);
        double err = 0;
        for (int i = 0; i < 16 * D; i++) err = fmax(err, fabs((double)back[i] - x[i]));
        check_close("common.gm_realnvp.inverse", err, 0.0, 1e-5, "L42.4.3.coupling_inverse", "float32 round trip, max |x - f^-1(f(x))|");
    }
    /* RealNVP (D = 2): the exact density integrates to 1 on a grid */
    {
        GenModel f2;
        gm_realnvp_init(&f2, 2, 2, 8, &r);
        const int G = 1000;
        const double lo = -30, hi = 30, h = (hi - lo) / G;
        float *pts = xmalloc((size_t)G * G * 2 * sizeof *pts);
        double *lp = xmalloc((size_t)G * G * sizeof *lp), mass = 0;
        for (int i = 0; i < G; i++)
            for (int j = 0; j < G; j++) pts[2 * (i * G + j)] = (float)(lo + (i + 0.5) * h), pts[2 * (i * G + j) + 1] = (float)(lo + (j + 0.5) * h);
        f2.vt->log_likelihood(&f2, pts, G * G, lp);
        for (int i = 0; i < G * G; i++) mass += exp(lp[i]) * h * h;
        check_close("common.gm_realnvp.mass", mass, 1.0, 1e-5, "L42.4.3.flow_logp", "midpoint integral of q over [-30, 30]^2 (1000^2 cells)");
        free(pts), free(lp);
        gm_free(&f2);
    }
    /* masked AR: sum over all V^D sequences of a tiny double-precision model is 1 */
    {
        GmMade t;
        gm_made_init(&t, 3, 3, 8, AD_F64, &r);
        int all[27 * 3];
        for (int s = 0; s < 27; s++) all[3 * s] = s / 9, all[3 * s + 1] = (s / 3) % 3, all[3 * s + 2] = s % 3;
        double lp[27], tot = 0;
        gm_made_logp(&t, all, 27, lp);
        for (int s = 0; s < 27; s++) tot += exp(lp[s]);
        check_close("common.gm_ar.normalised", tot, 1.0, 1e-12, "L42.4.6.nll", "sum of p over all 27 sequences (D = 3, V = 3)");
        gm_made_free(&t);
    }
    /* independent pixels: hand example, D = 1, V = 2, fit levels {0, 0, 1}, test {1}: p(1) = 2/5 */
    {
        const int fit[3] = {0, 0, 1}, test[1] = {1};
        check_close("common.gm_ar.independent_bits", gm_ar_independent_bits(fit, 3, test, 1, 1, 2), -log2(2.0 / 5.0), 1e-14, NULL,
                    "add-one smoothed categorical: -log2((1 + 1)/(3 + 2))");
    }
    /* network-evaluation counters of the multi-step samplers */
    {
        float s[8 * 64];
        GmFm *fm = m[2].self;
        GmDdpm *e = m[4].self;
        GmMade *a = m[5].self;
        fm->net_rows = 0, m[2].vt->sample(&m[2], 8, s, &r);
        e->net_rows = 0, e->ddim_steps = 50, m[4].vt->sample(&m[4], 8, s, &r);
        const long ddim = e->net_rows / 8;
        e->net_rows = 0, e->ddim_steps = 0, m[4].vt->sample(&m[4], 8, s, &r);
        const long ddpm = e->net_rows / 8;
        a->net_rows = 0, m[5].vt->sample(&m[5], 8, s, &r);
        check_true("common.gm_models.steps", fm->net_rows / 8 == 50 && ddim == 50 && ddpm == 1000 && a->net_rows / 8 == D,
                   "evaluations per sample: FM %ld (50), DDIM %ld (50), DDPM %ld (1000), AR %ld (D = %d)", fm->net_rows / 8,
                   ddim, ddpm, a->net_rows / 8, D);
    }
    /* the continuous-time view of the linear schedule, and its PF-ODE on 1-D Gaussian data */
    {
        GmVpLinear v = gm_vp_linear_of(&sch);
        double worst = 0;
        for (int t = 1; t <= sch.T; t++) worst = fmax(worst, fabs(gm_vp_log_abar(&v, (double)t / sch.T) - log(sch.alpha_bar[t])));
        check_close("common.gm_diffusion.vp_table", worst, 0.0, 1e-6, "common.gm_diffusion.vp_continuous",
                    "max |log abar(t/T) - log abar_t| over t = 1..%d", sch.T);
        /* beta(u) = -d log abar/du by central differences */
        const double u = 0.37, h = 1e-4;
        check_close("common.gm_diffusion.vp_beta", gm_vp_beta(&v, u),
                    -(gm_vp_log_abar(&v, u + h) - gm_vp_log_abar(&v, u - h)) / (2 * h), 1e-6, "common.gm_diffusion.vp_continuous",
                    "beta(u) = -d log abar/du at u = %g (central differences, h = %g)", u, h);
        const double u0 = 1e-3, xs[3] = {1.2, 1.5, 1.9};
        double x1[3], delta[3], worst_lp = 0;
        gm_vp_pf_flow(&v, gauss1_eps_trace, &v, xs, 3, 1, u0, 256, ODE_RK4, x1, delta);
        for (int i = 0; i < 3; i++) {
            const double la0 = gm_vp_log_abar(&v, u0), la1 = gm_vp_log_abar(&v, 1.0);
            const double ref = gauss_logpdf_1d(xs[i], exp(0.5 * la0) * G_M0, sqrt(exp(la0) * G_S2 - expm1(la0)));
            const double end = gauss_logpdf_1d(x1[i], exp(0.5 * la1) * G_M0, sqrt(exp(la1) * G_S2 - expm1(la1)));
            worst_lp = fmax(worst_lp, fabs(end + delta[i] - ref));
        }
        check_close("common.gm_diffusion.pf_gauss", worst_lp, 0.0, 1e-6, "common.gm_diffusion.pf_loglik",
                    "PF-ODE log p at u0 = %g of N(%g, %g) data vs the closed form (RK4-256, 3 points)", u0, G_M0, G_S2);
    }
    /* FSQ: index <-> digits is a bijection on the 64000 codes */
    {
        long bad = 0, count = 1;
        for (int j = 0; j < GM_FSQ_D; j++) count *= GM_FSQ_LEVELS[j];
        for (long c = 0; c < count; c++) {
            int dg[GM_FSQ_D];
            gm_fsq_index_to_digits(c, dg);
            double z[GM_FSQ_D], q[GM_FSQ_D];
            for (int j = 0; j < GM_FSQ_D; j++) z[j] = atanh(fmax(-0.999999, fmin(0.999999, gm_fsq_level(dg[j], GM_FSQ_LEVELS[j]))));
            bad += gm_fsq_quantize(z, q, NULL) != c;
        }
        check_true("common.gm_fsq.bijection", bad == 0 && count == 64000, "quantize(atanh(level(digits(c)))) = c for all %ld codes (%ld off)", count, bad);
    }
    /* VQ: nearest code by the expansion = brute force (K = 64, d = 8, 100 points) */
    {
        AdArena *arena = ad_arena_new(1 << 16);
        int zs[2] = {100, 8}, es[2] = {64, 8}, idx[100], mism = 0;
        AdTensor *z = ad_input(arena, AD_F32, 2, zs), *E = ad_input(arena, AD_F32, 2, es);
        rng_normal_fill_f(&r, ad_f32(z), 800), rng_normal_fill_f(&r, ad_f32(E), 512);
        gm_vq_nearest(z, E, 100, 8, 64, idx, NULL);
        for (int i = 0; i < 100; i++) {
            double best = INFINITY;
            int arg = 0;
            for (int c = 0; c < 64; c++) {
                double s2 = 0;
                for (int j = 0; j < 8; j++) s2 += pow((double)ad_f32(z)[i * 8 + j] - ad_f32(E)[c * 8 + j], 2);
                if (s2 < best) best = s2, arg = c;
            }
            mism += arg != idx[i];
        }
        check_true("common.gm_vqvae.nearest", mism == 0, "nearest code = brute-force argmin for %d of 100", 100 - mism);
        ad_arena_free(arena);
    }
    for (int k = 0; k < 8; k++) gm_free(&m[k]);
    diffusion_schedule_free(&sch);
    free(x);
    return check_end();
}
