/*: # L42 4.2 — VQ-VAE: a codebook that learns, and a prior over codes

**Lecture 42, Part 2, section 4.2** (VQ-VAE of the VAE family), with the checks of spec §3
item 7. A VQ-VAE encodes an image into a few vectors $z_e$, replaces each by its nearest entry of a
learned codebook $E$, and decodes the result. Two things in the lecture's version do not work:
its codebook loss is written on the straight-through tensor, so its gradient reaches the encoder
and never the codebook (B5: the codebook stays where it was initialised), and its `sample` and
negative log-likelihood need a prior over codes that is never described (B7).

What you will see: the nearest-code search by the expansion
$\lVert z-e\rVert^2 = \lVert z\rVert^2+\lVert e\rVert^2-2z\cdot e$ against brute force; the lecture's hand
example; the straight-through gradient; the codebook gradient of the correct loss against its
closed form and finite differences, and the lecture's, which is exactly zero; a VQ-VAE on the 8x8
digits trained through `common/genmodel`'s shared loop (codebook usage, reconstruction), the same
training with the lecture's loss (the codebook does not move); and an autoregressive prior over
the 4 codes of an image, fitted by the same loop, from which new digits are sampled.
Figures: `vq_recon.png` (test digits and reconstructions), `vq_samples.png` (prior samples).

Run: `build/release/bin/lectures/42_unified/04_vqvae [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | (n, 64) |
| $z_e$ (encoder output, 4 tokens) | `z_e` | (4n, 16) |
| $E$ (codebook) | `GmVq.codebook` (common/gm_vqvae.h) | (K, 16), K = 512 |
| $k^\star$ (nearest code) | `idx` | (4n) |
| $z_q = e_{k^\star}$ | `z_q` | (4n, 16) |
| $z_q^{\text{st}}$ | `z_st` | (4n, 16) |
| $p(c_t\mid c_{<t})$ (prior) | `GmVqPrior` | (n, K) per token |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/digits_split.h"
#include "common/genmodel.h"
#include "common/gm_vqvae.h"
#include "common/image.h"
#include "common/plot.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

enum { T = GM_VQ_T, CD = GM_VQ_CD, KCODES = GM_VQ_K };

/*: ## 4.2 Nearest code by the distance expansion

$$ \lVert z_e - e_k\rVert^2 = \lVert z_e\rVert^2 + \lVert e_k\rVert^2 - 2\,z_e\cdot e_k,\qquad
   k^\star = \arg\min_k \lVert z_e - e_k\rVert^2,\qquad z_q = e_{k^\star} . $$ {#eq:L42.4.2.vq_nearest}

The expansion turns the search into one matrix product ($B\times D$ by $D\times K$); in float it
loses digits when $\lVert z\rVert^2$ and $2z\cdot e$ nearly cancel, so it is compared with the direct
sum of squared differences in double.
*/
static void section_nearest(const Cli *cli) {
    enum { B = 256, D = 16 };
    Rng r;
    rng_init(&r, cli->seed, 1);
    AdArena *arena = ad_arena_new(1 << 20);
    int zs[2] = {B, D}, es[2] = {KCODES, D};
    AdTensor *z = ad_input(arena, AD_F32, 2, zs), *E = ad_input(arena, AD_F32, 2, es);
    rng_normal_fill_f(&r, ad_f32(z), B * D), rng_normal_fill_f(&r, ad_f32(E), (size_t)KCODES * D);
    int idx[B];
    double dist[B], worst = 0;
    gm_vq_nearest(z, E, B, D, KCODES, idx, dist);
    int mism = 0;
    for (int i = 0; i < B; i++) {
        double best = INFINITY;
        int arg = 0;
        for (int c = 0; c < KCODES; c++) {
            double s = 0;
            for (int j = 0; j < D; j++) {
                const double t = (double)ad_f32(z)[i * D + j] - ad_f32(E)[c * D + j];
                s += t * t;
            }
            if (s < best) best = s, arg = c;
        }
        mism += arg != idx[i];
        worst = fmax(worst, fabs(best - dist[i]));
    }
    check_true("L42.4.2.vq_argmin_vs_brute", mism == 0, "argmin by the float expansion = brute-force double argmin for %d of %d (K=%d, D=%d)",
               B - mism, B, KCODES, D);
    check_le("L42.4.2.vq_dist_vs_brute", worst, 1e-4, 0, "L42.4.2.vq_nearest", "max |expanded float distance - direct double distance|");
    ad_arena_free(arena);
}

/*: ## The VQ loss, the straight-through estimator, and where the codebook gradient goes (B5)

The decoder sees $z_q^{\text{st}} = z_e + \operatorname{sg}[z_q - z_e]$: its value is $z_q$, its
gradient passes to $z_e$ unchanged. The loss of one image is

$$ \mathcal L_{\text{VQ}} = \lVert x - \mathrm{Dec}(z_q^{\text{st}})\rVert^2
   + \lVert \operatorname{sg}[z_e] - z_q\rVert^2 + 0.25\,\lVert z_e - \operatorname{sg}[z_q]\rVert^2 , $$ {#eq:L42.4.2.vq_loss}

the second term (codebook) moving the codes towards the encoder outputs assigned to them,
$\partial/\partial e_k = \sum_{i:k^\star_i = k} 2(e_k - z_{e,i})$, the third (commitment) the encoder
towards its codes. The lecture writes the codebook term with $z_q^{\text{st}}$ in place of $z_q$:
the value is the same, but $z_q^{\text{st}}$ depends on $E$ only inside $\operatorname{sg}$, so
$\partial/\partial E = 0$ and the codebook never learns.
*/
static void section_ste_and_grads(const Cli *cli) {
    AdArena *arena = ad_arena_new(1 << 20);
    /* the hand example */
    int s12[2] = {1, 2}, s22[2] = {2, 2};
    const double ze_v[2] = {0.9, 0}, E_v[4] = {0, 0, 2, 0};
    AdTensor *ze = ad_from_doubles(arena, AD_F64, 2, s12, ze_v), *Eh = ad_from_doubles(arena, AD_F64, 2, s22, E_v);
    int k;
    gm_vq_nearest(ze, Eh, 1, 2, 2, &k, NULL);
    GmVqTerms h = gm_vq_terms(arena, ze, Eh, &k, 1, 0);
    check_true("L42.4.2.vq_hand_argmin", k == 0, "z_e=(0.9,0), e0=(0,0), e1=(2,0): nearest code %d (expect 0)", k);
    check_close("L42.4.2.vq_hand_codebook", ad_item(h.codebook), 0.81, 1e-12, "L42.4.2.vq_loss", "codebook loss of the hand example");
    check_close("L42.4.2.vq_hand_commit", ad_item(h.commit), 0.2025, 1e-12, "L42.4.2.vq_loss", "commitment loss 0.25 * 0.81");

    /* random double example: B = 8 vectors of D = 4, K = 5 codes */
    enum { B = 8, D = 4, K = 5 };
    Rng r;
    rng_init(&r, cli->seed, 2);
    int zs[2] = {B, D}, es[2] = {K, D};
    AdTensor *z = ad_param_new(AD_F64, 2, zs), *E = ad_param_new(AD_F64, 2, es);
    double w[B * D], zv[B * D], ev[K * D];
    for (int i = 0; i < B * D; i++) ad_set(z, i, zv[i] = rng_normal(&r)), w[i] = rng_normal(&r);
    for (int i = 0; i < K * D; i++) ad_set(E, i, ev[i] = rng_normal(&r));
    int idx[B];
    gm_vq_nearest(z, E, B, D, K, idx, NULL);
    AdTensor *ps[2] = {z, E};
    /* STE: d(w . z_st)/dz_e = w */
    ad_arena_reset(arena);
    GmVqTerms t = gm_vq_terms(arena, z, E, idx, B, 0);
    ad_zero_grad(ps, 2);
    ad_backward(arena, ad_sum(arena, ad_mul(arena, t.z_st, ad_from_doubles(arena, AD_F64, 2, zs, w))));
    double err = 0;
    for (int i = 0; i < B * D; i++) err = fmax(err, fabs(ad_grad_get(z, i) - w[i]));
    check_close("L42.4.2.vq_ste_identity", err, 0.0, 1e-15, "L42.4.2.vq_loss", "straight-through: max |d(w.z_q^st)/dz_e - w|");
    /* codebook gradient: correct loss vs closed form vs FD; the lecture's is zero */
    double g_an[K * D] = {0}, err_an = 0, err_fd = 0, g_norm = 0, lec_norm = 0;
    for (int i = 0; i < B; i++)
        //: $\partial/\partial e_k = \sum_{i:k^\star_i=k} 2(e_k - z_{e,i})$
        for (int j = 0; j < D; j++) g_an[idx[i] * D + j] += 2.0 * (ev[idx[i] * D + j] - zv[i * D + j]);
    ad_arena_reset(arena);
    t = gm_vq_terms(arena, z, E, idx, B, 0);
    ad_zero_grad(ps, 2);
    ad_backward(arena, t.codebook);
    const double hstep = 1e-6;
    for (int c = 0; c < K * D; c++) {
        /* central difference of the codebook loss, assignments held fixed */
        double lp = 0, lm = 0;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < D; j++) {
                const int cc = idx[i] * D + j;
                const double e = ev[cc] + (cc == c ? hstep : 0), em = ev[cc] - (cc == c ? hstep : 0);
                lp += (zv[i * D + j] - e) * (zv[i * D + j] - e), lm += (zv[i * D + j] - em) * (zv[i * D + j] - em);
            }
        err_an = fmax(err_an, fabs(ad_grad_get(E, c) - g_an[c]));
        err_fd = fmax(err_fd, fabs(ad_grad_get(E, c) - (lp - lm) / (2 * hstep)));
        g_norm += g_an[c] * g_an[c];
    }
    check_close("L42.4.2.vq_codebook_grad_closed_form", err_an, 0.0, 1e-12, "L42.4.2.vq_loss",
                "autodiff d(codebook loss)/dE vs sum over assigned inputs of 2(e_k - z_e): max difference");
    check_close("L42.4.2.vq_codebook_grad_fd", err_fd, 0.0, 1e-4, "L42.4.2.vq_loss",
                "autodiff d(codebook loss)/dE vs central differences (h=1e-6): max difference");
    ad_arena_reset(arena);
    t = gm_vq_terms(arena, z, E, idx, B, 1);
    ad_zero_grad(ps, 2);
    ad_backward(arena, t.codebook);
    for (int c = 0; c < K * D; c++) lec_norm += ad_grad_get(E, c) * ad_grad_get(E, c);
    check_erratum("L42.4.2.vq_lecture_codebook_grad", sqrt(lec_norm), sqrt(g_norm),
                  "B5: |d/dE| of the lecture's codebook term (written on z_q^st) vs the correct term's, same inputs");
    ad_tensor_free(z), ad_tensor_free(E);
    ad_arena_free(arena);
}

/* ---------------------------------------------------------------------------------------- */
static double mse_per_image(const float *a, const float *b, int n, int d) {
    double s = 0;
    for (long i = 0; i < (long)n * d; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / n;
}

/* a labelled grid of 8x8 tiles, upscaled 6x, into the output directory (common/image) */
static void save_grid(const Cli *cli, const char *name, const char *title, const float *tiles, int rows, int cols,
                      const char *const *labels) {
    char err[256];
    if (image_save_labelled_grid(cli_out_path(cli, name), title, tiles, rows, cols, 8, 8, 6, labels, err, sizeof err) != 0)
        fprintf(stderr, "%s\n", err);
}

/*: ## A VQ-VAE on the digits, and a prior over its codes (B7)

The VQ-VAE (4 tokens of 16 dimensions, $K = 512$, the loss [eq:L42.4.2.vq_loss]) and the
autoregressive prior over its code tuples [eq:L42.4.2.vq_prior] live in `common/gm_vqvae.h`,
shared with the benchmark of 5.3 and the latent analysis of 5.6. Here both are trained by
`gm_train`, the codebook's motion is compared with the lecture's frozen one (B5), and the prior's
held-out likelihood and sampler are checked.
*/
static void section_digits(const Cli *cli) {
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const int D = ds.dim, n_test = ds.n_test, n_train = ds.n_train;
    const float *train = ds.train, *test = ds.test;
    GenModel vq, vq_lec;
    gm_vqvae_init(&vq, D, train, n_train, 0, cli->seed, 10);
    gm_vqvae_init(&vq_lec, D, train, n_train, 1, cli->seed, 10);
    check_true("L42.4.2.vq_caps", gm_check_caps(vq.vt), "VQ-VAE's vtable obeys the capability rule");
    float *cb0 = xmalloc((size_t)KCODES * CD * sizeof *cb0);
    memcpy(cb0, ad_f32(((GmVq *)vq.self)->codebook), (size_t)KCODES * CD * sizeof *cb0);
    GmTrainConfig cfg = {.steps = cli_scale(cli, 200, 2000, 8000), .batch = 128, .clip_norm = 1000.0,
                         .label = "vq-vae", .check_id = "L42.4.2.vq_train_finite"};
    Rng tr;
    rng_init(&tr, cli->seed, 20);
    GmTrainResult res = gm_train(&vq, train, n_train, &cfg, &tr);
    GmTrainConfig lcfg = cfg;
    lcfg.steps = cli_scale(cli, 50, 300, 300), lcfg.label = "vq-vae (lecture loss)", lcfg.check_id = "L42.4.2.vq_lecture_train_finite";
    gm_train(&vq_lec, train, n_train, &lcfg, &tr);
    double moved = 0, moved_lec = 0;
    for (long i = 0; i < (long)KCODES * CD; i++) {
        moved = fmax(moved, fabs(ad_f32(((GmVq *)vq.self)->codebook)[i] - cb0[i]));
        moved_lec = fmax(moved_lec, fabs(ad_f32(((GmVq *)vq_lec.self)->codebook)[i] - cb0[i]));
    }
    printf("VQ-VAE: %ld parameters, loss %.3f -> %.3f; max |codebook change|: correct loss %.4f, lecture loss %.4g (%ld steps)\n",
           gm_num_params(&vq), res.first_loss[0], res.avg_loss[0], moved, moved_lec, lcfg.steps);
    check_erratum("L42.4.2.vq_lecture_codebook_frozen", moved_lec, moved,
                  "B5: max |E - E_init| after training with the lecture's codebook term (%ld steps) vs the correct loss", lcfg.steps);

    /* usage and reconstruction */
    float *codes_tr = xmalloc((size_t)n_train * T * sizeof *codes_tr), *codes_te = xmalloc((size_t)n_test * T * sizeof *codes_te);
    vq.vt->encode(&vq, train, n_train, codes_tr);
    vq.vt->encode(&vq, test, n_test, codes_te);
    double *freq = xcalloc(KCODES, sizeof *freq), H = 0;
    int used = 0;
    for (long i = 0; i < (long)n_train * T; i++) freq[(int)codes_tr[i]] += 1.0 / (n_train * T);
    for (int c = 0; c < KCODES; c++)
        if (freq[c] > 0) H -= freq[c] * log(freq[c]), used++;
    check_ge("L42.4.2.vq_usage", exp(H), 8.0, 0, NULL, "codebook perplexity exp(H) on the training set (%d of %d codes used)", used, KCODES);
    float *rec = xmalloc((size_t)n_test * D * sizeof *rec), *mean = xcalloc((size_t)D, sizeof *mean),
          *base = xmalloc((size_t)n_test * D * sizeof *base);
    vq.vt->decode(&vq, codes_te, n_test, rec);
    for (int i = 0; i < n_train; i++)
        for (int j = 0; j < D; j++) mean[j] += train[(size_t)i * D + j] / n_train;
    for (int i = 0; i < n_test; i++) memcpy(base + (size_t)i * D, mean, (size_t)D * sizeof *mean);
    const double mse = mse_per_image(rec, test, n_test, D), mse0 = mse_per_image(base, test, n_test, D);
    check_le("L42.4.2.vq_recon", mse / mse0, 0.5, 0, "L42.4.2.vq_loss", "test MSE %.3f / mean-image MSE %.3f (per image)", mse, mse0);

    /* the prior */
    GenModel prior;
    Rng pr;
    rng_init(&pr, cli->seed, 30);
    gm_vq_prior_init(&prior, &pr);
    check_true("L42.4.2.vq_prior_caps", gm_check_caps(prior.vt), "the code prior's vtable obeys the capability rule (exact log-likelihood)");
    GmTrainConfig pcfg = {.steps = cli_scale(cli, 100, 600, 3000), .batch = 128, .clip_norm = 100.0,
                          .label = "code prior", .check_id = "L42.4.2.vq_prior_train_finite"};
    prior.player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
    gm_train(&prior, codes_tr, n_train, &pcfg, &pr);
    double *lp = xmalloc((size_t)n_test * sizeof *lp), se;
    prior.vt->log_likelihood(&prior, codes_te, n_test, lp);
    for (int i = 0; i < n_test; i++) lp[i] = -lp[i];
    const double nll = stats_mean_se(lp, (size_t)n_test, &se), uni = T * log((double)KCODES);
    check_le("L42.4.2.vq_prior_beats_uniform", nll, uni, 0, "L42.4.2.vq_prior",
             "held-out code NLL %.3f +- %.3f nats per image below the uniform prior's 4 log 512 = %.3f", nll, se, uni);
    /* the ancestral sampler against the prior's own p(c_1) */
    const int ns = (int)cli_scale(cli, 1000, 4000, 20000);
    float *sc = xmalloc((size_t)ns * T * sizeof *sc);
    prior.vt->sample(&prior, ns, sc, &pr);
    double p1[KCODES], best = -1;
    int arg = 0;
    {
        AdArena *a = ad_arena_new(1 << 16);
        AdTensor *s = ad_softmax(a, gm_vq_prior_logits(a, prior.self, NULL, 1, 0));
        for (int c = 0; c < KCODES; c++) {
            p1[c] = ad_get(s, c);
            if (p1[c] > best) best = p1[c], arg = c;
        }
        ad_arena_free(a);
    }
    int hits = 0;
    for (int i = 0; i < ns; i++) hits += (int)sc[i * T] == arg;
    check_mc("L42.4.2.vq_prior_sampler", (double)hits / ns, p1[arg], sqrt(p1[arg] * (1 - p1[arg]) / ns), 4.0, ns,
             "L42.4.2.vq_prior", "frequency of the likeliest first code %d in ancestral samples vs p(c_1)", arg);
    ((GmVq *)vq.self)->prior = &prior;

    enum { COLS = 12 };
    float *tiles = xmalloc((size_t)2 * COLS * D * sizeof *tiles);
    memcpy(tiles, test, (size_t)COLS * D * sizeof *tiles);
    memcpy(tiles + (size_t)COLS * D, rec, (size_t)COLS * D * sizeof *tiles);
    static const char *const rl[2] = {"test", "VQ-VAE"};
    save_grid(cli, "vq_recon.png", "VQ-VAE reconstructions (4 codes of 512 per digit)", tiles, 2, COLS, rl);
    vq.vt->sample(&vq, 2 * COLS, tiles, &pr);
    static const char *const sl[2] = {"samples", "samples"};
    save_grid(cli, "vq_samples.png", "VQ-VAE samples: codes from the AR prior, decoded", tiles, 2, COLS, sl);

    free(tiles), free(sc), free(lp), free(rec), free(mean), free(base), free(freq), free(codes_tr), free(codes_te), free(cb0);
    digits_split_free(&ds);
    gm_free(&prior), gm_free(&vq), gm_free(&vq_lec);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.2: VQ-VAE nearest code, STE, codebook gradient (B5), digits VQ-VAE and an AR code prior (B7)", 4204, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_nearest(&cli);
    section_ste_and_grads(&cli);
    section_digits(&cli);
    return check_end();
}
