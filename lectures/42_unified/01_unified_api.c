/*: # L42 4.1–4.2 — One interface for every generative model, and the map of families

**Lecture 42, Part 2, sections 4.1** (the layered abstraction) **and 4.2** (the common API), with
the map of 6.13. The lecture builds a four-layer trait hierarchy — generative model, paradigm,
family, concrete model — and five methods (`forward`, `reverse`, `loss`, `sample`, `logprob`).
The course's C answer is `common/genmodel.h`: paradigm and family are *tags*, what a model can do
is a *capability bitmask*, and what it does is a *vtable* whose optional entries are `NULL` when a
family lacks them. Training is not a method of the model: the model builds the loss of each of its
players, and one loop (`gm_train`) does everything else.

What you will see: the lecture's model list as a table of tags and capabilities, with the
capability rule checked on it; the "Open–Closed" claim made concrete — a model that does not exist
anywhere else in the course (a full-covariance Gaussian, i.e. an affine flow $x = \mu + Lz$) is
written here, plugged into the unchanged loop, and trained to the closed-form maximum-likelihood
answer; its exact log-likelihood integrates to one. Errata A1 (three layers announced, four given),
A3 (five methods announced, four plus one given) are numbers printed as ERRATUM lines.

Run: `build/release/bin/lectures/42_unified/01_unified_api [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| paradigm, family, capabilities | `GmParadigm`, `GmFamily`, `GM_CAP_*` | tags |
| $\mu$ | `AffineGauss.mu` | (1, 2) |
| $L$ (lower triangular, $\log$ diagonal) | `AffineGauss.l_diag_log`, `.l_off` | (1, 2), (1, 1) |
| $\hat\mu, \hat\Sigma$ (MLE) | `mle_mu`, `mle_cov` | (2), (2, 2) |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/genmodel.h"
#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

/*: ## 4.1 The layers as data: the map of families

Each row of the lecture's model list (spec §4 table) is one line of data: its family, its
paradigm, and which of the optional operations it has. "Dispatch instead of if-else" becomes
`m->vt->family == GM_FAM_VAE`; the lecture's undeclared `is_vae_family()` is that comparison.
Which of these rows have a program in this lecture is listed in the README; the row itself only
states what the interface promises.
*/
typedef struct {
    const char *name;
    GmFamily family;
    GmParadigm paradigm;
    unsigned caps;
} FamilyRow;

#define S GM_CAP_SAMPLE
#define LL GM_CAP_LOGLIK
#define EX GM_CAP_EXACT_LOGLIK
#define EN GM_CAP_ENCODE
#define DE GM_CAP_DECODE
static const FamilyRow MAP[] = {
    {"VAE", GM_FAM_VAE, GM_PAR_LIKELIHOOD, S | LL | EN | DE},
    {"beta-VAE", GM_FAM_VAE, GM_PAR_LIKELIHOOD, S | LL | EN | DE},
    {"VQ-VAE", GM_FAM_VAE, GM_PAR_LIKELIHOOD, S | LL | EN | DE},
    {"FSQ", GM_FAM_VAE, GM_PAR_LIKELIHOOD, S | LL | EN | DE},
    {"RealNVP", GM_FAM_FLOW, GM_PAR_FLOW, S | LL | EX | EN | DE},
    {"CNF", GM_FAM_FLOW, GM_PAR_FLOW, S | LL | EX | EN | DE},
    {"FlowMatching", GM_FAM_FLOW, GM_PAR_FLOW, S | LL},
    {"RectifiedFlow", GM_FAM_FLOW, GM_PAR_FLOW, S | LL},
    {"VanillaGAN", GM_FAM_GAN, GM_PAR_IMPLICIT, S},
    {"WGAN-GP", GM_FAM_GAN, GM_PAR_IMPLICIT, S},
    {"StyleGAN", GM_FAM_GAN, GM_PAR_IMPLICIT, S | EN},
    {"ScoreSDE", GM_FAM_DIFFUSION, GM_PAR_SCORE, S | LL},
    {"DDPM/DDIM", GM_FAM_DIFFUSION, GM_PAR_SCORE, S | LL},
    {"PixelCNN", GM_FAM_AR, GM_PAR_LIKELIHOOD, S | LL | EX},
    {"TransformerAR", GM_FAM_AR, GM_PAR_LIKELIHOOD, S | LL | EX},
    {"JEPA", GM_FAM_WORLD, GM_PAR_NONE, EN},
    {"Transfusion", GM_FAM_WORLD, GM_PAR_NONE, S},
};
#undef S
#undef LL
#undef EX
#undef EN
#undef DE
enum { NMAP = sizeof MAP / sizeof MAP[0] };

static void section_4_1_map(void) {
    printf("%-14s %-10s %-10s sample loglik exact encode decode\n", "model", "family", "paradigm");
    int rule_ok = 1, n_vae = 0;
    for (int i = 0; i < NMAP; i++) {
        const FamilyRow *r = &MAP[i];
        printf("%-14s %-10s %-10s %6s %6s %5s %6s %6s\n", r->name, gm_family_name(r->family),
               gm_paradigm_name(r->paradigm), r->caps & GM_CAP_SAMPLE ? "yes" : "-",
               r->caps & GM_CAP_LOGLIK ? "yes" : "-", r->caps & GM_CAP_EXACT_LOGLIK ? "yes" : "-",
               r->caps & GM_CAP_ENCODE ? "yes" : "-", r->caps & GM_CAP_DECODE ? "yes" : "-");
        //: every likelihood-paradigm model has a log-likelihood (exact or a bound); exact implies present
        rule_ok &= r->paradigm != GM_PAR_LIKELIHOOD || (r->caps & GM_CAP_LOGLIK);
        rule_ok &= !(r->caps & GM_CAP_EXACT_LOGLIK) || (r->caps & GM_CAP_LOGLIK);
        n_vae += r->family == GM_FAM_VAE;
    }
    check_true("L42.4.1.logprob_rule", rule_ok,
               "every likelihood-paradigm row has LOGLIK, and EXACT only with LOGLIK (%d rows)", NMAP);
    check_true("L42.4.1.family_dispatch", n_vae == 4, "rows with family == VAE: %d (VAE, beta-VAE, VQ-VAE, FSQ)", n_vae);
    check_erratum("L42.4.1.layers", 3, 4, "A1: the lecture announces a 3-layer structure and defines layers 1-4");
    check_erratum("L42.4.2.methods", 5, 4, "A3: '5 methods' -- GenerativeModel has 4; logprob is the 5th, on LikelihoodBased only");
}

/*: ## 4.2 Open–Closed: a new model, the loop untouched

A model the rest of the course does not have: the full-covariance Gaussian written as an affine
flow of a standard normal, $x = \mu + Lz$ with $L$ lower triangular and a positive diagonal
($L_{jj} = e^{\ell_j}$). Its exact log-likelihood is the flow formula with one layer,

$$ \log p(x) = \log\mathcal N\big(L^{-1}(x-\mu); 0, I\big) - \sum_j \ell_j . $$ {#eq:L42.4.2.affine_flow}

Everything it needs is a `train_step` (the mean negative log-likelihood), a `sample` and a
`log_likelihood`; `gm_train` is called exactly as for RealNVP, flow matching or a GAN. The
maximum-likelihood answer is known in closed form — the sample mean and the (biased) sample
covariance $\hat\Sigma = LL^\top$ — so training must land on it.
*/
typedef struct {
    AdTensor *mu, *l_diag_log, *l_off; /* (1,2), (1,2), (1,1) */
} AffineGauss;

static AdTensor *affine_logp_graph(GenModel *m, AdArena *arena, const float *x, int n) {
    AffineGauss *g = m->self;
    int shape[2] = {n, 2};
    AdTensor *xt = ad_from_array(arena, AD_F32, 2, shape, x);
    AdTensor *d = ad_sub(arena, xt, g->mu);
    AdTensor *l11 = ad_exp(arena, ad_slice(arena, g->l_diag_log, 1, 0, 1));
    AdTensor *l22 = ad_exp(arena, ad_slice(arena, g->l_diag_log, 1, 1, 2));
    //: $z = L^{-1}(x - \mu)$ by forward substitution: $z_1 = d_1/L_{11}$, $z_2 = (d_2 - L_{21}z_1)/L_{22}$
    AdTensor *z1 = ad_div(arena, ad_slice(arena, d, 1, 0, 1), l11);
    AdTensor *z2 = ad_div(arena, ad_sub(arena, ad_slice(arena, d, 1, 1, 2), ad_mul(arena, g->l_off, z1)), l22);
    //: [eq:L42.4.2.affine_flow]
    AdTensor *lp = ad_scale(arena, ad_add(arena, ad_square(arena, z1), ad_square(arena, z2)), -0.5);
    lp = ad_add_const(arena, lp, -log(2.0 * M_PI));
    lp = ad_sub(arena, lp, ad_sum(arena, g->l_diag_log));
    return lp; /* (n, 1) */
}

static AdTensor *affine_train_step(GenModel *m, int player, AdArena *arena, const float *x, int n, Rng *rng,
                                   GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    return ad_scale(arena, ad_mean(arena, affine_logp_graph(m, arena, x, n)), -1.0);
}

static void affine_params(const GenModel *m, double mu[2], double L[3]) {
    const AffineGauss *g = m->self;
    mu[0] = ad_get(g->mu, 0), mu[1] = ad_get(g->mu, 1);
    L[0] = exp(ad_get(g->l_diag_log, 0)), L[1] = ad_get(g->l_off, 0), L[2] = exp(ad_get(g->l_diag_log, 1));
}

static void affine_sample(GenModel *m, int n, float *x_out, Rng *rng) {
    double mu[2], L[3];
    affine_params(m, mu, L);
    for (int i = 0; i < n; i++) {
        double z1 = rng_normal(rng), z2 = rng_normal(rng);
        //: $x = \mu + Lz$
        x_out[2 * i] = (float)(mu[0] + L[0] * z1);
        x_out[2 * i + 1] = (float)(mu[1] + L[1] * z1 + L[2] * z2);
    }
}

static void affine_log_likelihood(GenModel *m, const float *x, int n, double *lp) {
    AdArena *arena = ad_arena_new(1 << 20);
    AdTensor *t = affine_logp_graph(m, arena, x, n);
    for (int i = 0; i < n; i++) lp[i] = ad_get(t, i);
    ad_arena_free(arena);
}

static void affine_destroy(GenModel *m) {
    AffineGauss *g = m->self;
    ad_tensor_free(g->mu), ad_tensor_free(g->l_diag_log), ad_tensor_free(g->l_off);
    free(g);
}

static const GenModelVT AFFINE_VT = {
    .name = "AffineGauss", .family = GM_FAM_FLOW, .paradigm = GM_PAR_FLOW,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK,
    .train_step = affine_train_step, .sample = affine_sample,
    .log_likelihood = affine_log_likelihood, .destroy = affine_destroy,
};

static void section_4_2_open_closed(const Cli *cli) {
    const int N = 1000;
    Rng r;
    rng_init(&r, cli->seed, 1);
    float *data = xmalloc((size_t)N * 2 * sizeof *data);
    for (int i = 0; i < N; i++) {
        double a = rng_normal(&r), b = rng_normal(&r);
        data[2 * i] = (float)(1.0 + 0.8 * a), data[2 * i + 1] = (float)(-2.0 + 0.6 * a + 0.5 * b);
    }
    //: closed-form MLE: sample mean and biased sample covariance
    double mle_mu[2] = {0, 0}, mle_cov[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) mle_mu[0] += data[2 * i] / (double)N, mle_mu[1] += data[2 * i + 1] / (double)N;
    for (int i = 0; i < N; i++) {
        double u = data[2 * i] - mle_mu[0], v = data[2 * i + 1] - mle_mu[1];
        mle_cov[0] += u * u / N, mle_cov[1] += u * v / N, mle_cov[2] += v * v / N;
    }
    GenModel m;
    AffineGauss *g = xcalloc(1, sizeof *g);
    int s12[2] = {1, 2}, s11[2] = {1, 1};
    g->mu = ad_param_new(AD_F32, 2, s12), g->l_diag_log = ad_param_new(AD_F32, 2, s12), g->l_off = ad_param_new(AD_F32, 2, s11);
    gm_init(&m, &AFFINE_VT, g, 2);
    nn_params_add(&m.player[0].params, "affine", "mu", g->mu);
    nn_params_add(&m.player[0].params, "affine", "l_diag_log", g->l_diag_log);
    nn_params_add(&m.player[0].params, "affine", "l_off", g->l_off);
    check_true("L42.4.2.caps_new_model", gm_check_caps(m.vt), "the new model's vtable obeys the capability rule");
    m.player[0].opt = optim_adam(1e-2, 0.9, 0.999, 1e-8, 0.0);
    /* full batch: the gradient is the exact one of the data's NLL, so the optimum is the MLE; the
       EMA (0.99) smooths Adam's last oscillations, its start value weighs 0.99^steps < 1e-13 */
    GmTrainConfig cfg = {.steps = cli_scale(cli, 3000, 5000, 20000), .batch = 0, .ema_decay = 0.99,
                         .label = "affine Gaussian", .check_id = "L42.4.2.open_closed_finite"};
    Rng trng;
    rng_init(&trng, cli->seed, 2);
    gm_train(&m, data, N, &cfg, &trng);
    double mu[2], L[3];
    affine_params(&m, mu, L);
    //: $\Sigma = LL^\top$
    double cov[3] = {L[0] * L[0], L[0] * L[1], L[1] * L[1] + L[2] * L[2]};
    double err = fmax(fmax(fabs(mu[0] - mle_mu[0]), fabs(mu[1] - mle_mu[1])),
                      fmax(fabs(cov[0] - mle_cov[0]), fmax(fabs(cov[1] - mle_cov[1]), fabs(cov[2] - mle_cov[2]))));
    printf("trained mu (%.4f, %.4f), Sigma [%.4f %.4f; %.4f]; MLE mu (%.4f, %.4f), Sigma [%.4f %.4f; %.4f]\n",
           mu[0], mu[1], cov[0], cov[1], cov[2], mle_mu[0], mle_mu[1], mle_cov[0], mle_cov[1], mle_cov[2]);
    check_le("L42.4.2.open_closed_mle", err, 1e-4, 0, "L42.4.2.affine_flow",
             "new model trained by the unchanged loop: max |parameter - closed-form MLE| over mu and Sigma");
    /* its log-likelihood is a normalised density: midpoint rule on a box of +-8 std */
    const int G = 300;
    const double x0 = mu[0] - 8 * sqrt(cov[0]), x1 = mu[0] + 8 * sqrt(cov[0]), y0 = mu[1] - 8 * sqrt(cov[2]), y1 = mu[1] + 8 * sqrt(cov[2]);
    float *pts = xmalloc((size_t)G * G * 2 * sizeof *pts);
    double *lp = xmalloc((size_t)G * G * sizeof *lp), mass = 0, hx = (x1 - x0) / G, hy = (y1 - y0) / G;
    for (int j = 0; j < G; j++)
        for (int i = 0; i < G; i++) pts[2 * (j * G + i)] = (float)(x0 + (i + 0.5) * hx), pts[2 * (j * G + i) + 1] = (float)(y0 + (j + 0.5) * hy);
    m.vt->log_likelihood(&m, pts, G * G, lp);
    for (long k = 0; k < (long)G * G; k++) mass += exp(lp[k]) * hx * hy;
    check_close("L42.4.2.affine_normalised", mass, 1.0, 1e-4, "L42.4.2.affine_flow",
                "integral of the new model's exp(log_likelihood), midpoint rule %dx%d on +-8 std", G, G);
    free(pts), free(lp), free(data);
    gm_free(&m);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.1-4.2: the unified interface, the map of families, a new model through the unchanged loop", 4201, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_4_1_map();
    section_4_2_open_closed(&cli);
    return check_end();
}
