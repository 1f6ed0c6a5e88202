/*: # L42 4.6 — The autoregressive family: a masked model on 8×8 digits with exact likelihood

**Lecture 42, Part 2, section 4.6** (`PixelCNN`, `TransformerAR`), spec §3 item 27, errata B12
(softmax over the wrong axis, the sampled pixel never written, `logprob` returning a positive
mean NLL) and B18 (bits/dim without dequantisation). An autoregressive model factorises
$p(x) = \prod_i p(x_i\mid x_{<i})$ in a fixed order; every factor is a normalised categorical,
so the likelihood is exact and sampling is one pixel at a time.

What you will see: the chain rule in all 24 orders of a random joint over 4 binary variables;
the entropy rate of a two-state Markov chain and the per-token average a sequence model must
reach; a masked autoregressive network (MADE-style masked linear layers over the raster order
— the spec's permitted alternative to masked convolutions) on the embedded digits with 17 grey
levels: causality tested by perturbing every input, normalisation by exact enumeration on a
tiny alphabet, the uniform model's exact $\log_2 17$ bits/dim, training through
`common/genmodel`'s loop, test bits/dim against the independent-pixel model, and ancestral
samples that *are* written back pixel by pixel (B12). Figure: `ar_samples.png`.

The causal transformer (B12's `TransformerAR`, common/causal_transformer) is the last section.

Run: `build/release/bin/lectures/42_unified/11_autoregressive [--quick | --full] [--seed N] [--out DIR] [--data DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ (levels 0..V−1) | `lev` | (n, D) |
| degree of input $i$, hidden unit $k$ | `i + 1`, `deg_h` | D, H |
| masks $M^{(1)}, M^{(2)}, M^{(3)}$ | `GmMade.mask` (common/gm_ar.h) | (D,H), (H,H), (H,DV) |
| logits of $p(x_i\mid x_{<i})$ | `gm_made_logits` | (n, D·V) |
| $V$ levels, $D$ pixels | `GmMade.V`, `GmMade.D` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/causal_transformer.h"
#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/genmodel.h"
#include "common/gm_ar.h"
#include "common/image.h"
#include "common/mathfn.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"
#include "gpu/gpu_or_cpu.h"

/*: ## §3 item 27: the chain rule in any order, and what a sequence model can reach

For any joint $p$ over $(x_1..x_4)$ and any permutation $\sigma$,
$p(x) = \prod_k p(x_{\sigma_k}\mid x_{\sigma_1..\sigma_{k-1}})$ with each conditional a ratio of
marginals — the order-agnostic factorisation behind MAR. Checked for all 24 orders on all 16
points against the joint. For a stationary Markov chain with transition matrix $P$ and
stationary law $\pi$ the best possible per-token NLL of a length-$L$ sequence is
$$ \frac{H(\pi) + (L-1)\,H_\text{rate}}{L},\qquad H_\text{rate} = \sum_i \pi_i\,H(P_{i\cdot}), $$ {#eq:L42.4.6.entropy_rate}
the target a correct transformer-AR must reach (spec §3 item 27 gives the reference numbers).
*/
static void section_chain_rule(const Cli *cli) {
    Rng r;
    rng_init(&r, cli->seed, 1);
    double p[16], tot = 0;
    for (int x = 0; x < 16; x++) tot += p[x] = rng_uniform(&r);
    for (int x = 0; x < 16; x++) p[x] /= tot;
    int perm[4] = {0, 1, 2, 3}, norders = 0;
    double err = 0;
    /* all 24 orders by Heap-free enumeration of 4-digit codes with distinct digits */
    for (int code = 0; code < 256; code++) {
        int o[4] = {code & 3, (code >> 2) & 3, (code >> 4) & 3, (code >> 6) & 3};
        if (o[0] == o[1] || o[0] == o[2] || o[0] == o[3] || o[1] == o[2] || o[1] == o[3] || o[2] == o[3]) continue;
        norders++;
        for (int x = 0; x < 16; x++) {
            double prod = 1.0;
            for (int k = 0; k < 4; k++) {
                /* marginal of the first k+1 ordered variables at x, over that of the first k */
                unsigned seen = 0, seen_prev = 0;
                for (int q = 0; q < k; q++) seen_prev |= 1u << o[q];
                seen = seen_prev | 1u << o[k];
                double num = 0, den = 0;
                for (int y = 0; y < 16; y++) {
                    if (((unsigned)(y ^ x) & seen) == 0) num += p[y];
                    if (((unsigned)(y ^ x) & seen_prev) == 0) den += p[y];
                }
                //: $p(x_{\sigma_k}\mid x_{\sigma_{<k}}) = p(x_{\sigma_{\le k}})/p(x_{\sigma_{<k}})$
                prod *= num / den;
            }
            err = fmax(err, fabs(prod - p[x]));
        }
    }
    (void)perm;
    check_close("L42.4.6.chain_rule_any_order", err, 0.0, 1e-12, NULL,
                "product of conditionals vs joint, %d orders x 16 points (random joint over 4 binary variables)", norders);

    /* Markov chain P = [[0.9,0.1],[0.2,0.8]]: stationary law by power iteration */
    const double P[2][2] = {{0.9, 0.1}, {0.2, 0.8}};
    double pi[2] = {0.5, 0.5};
    for (int it = 0; it < 2000; it++) {
        double a = pi[0] * P[0][0] + pi[1] * P[1][0], b = pi[0] * P[0][1] + pi[1] * P[1][1];
        pi[0] = a, pi[1] = b;
    }
    double Hpi = -(pi[0] * log(pi[0]) + pi[1] * log(pi[1])), Hr = 0;
    for (int i = 0; i < 2; i++) Hr -= pi[i] * (P[i][0] * log(P[i][0]) + P[i][1] * log(P[i][1]));
    check_close("L42.4.6.markov_entropy_rate", Hr, 0.3835228, 1e-7, "L42.4.6.entropy_rate",
                "entropy rate of P = [[0.9,0.1],[0.2,0.8]] in nats (pi = (%.6f, %.6f) by power iteration)", pi[0], pi[1]);
    check_close("L42.4.6.markov_first_token", Hpi, 0.6365142, 1e-7, NULL, "H(pi) in nats");
    const int Ls[3] = {16, 32, 64};
    const double ref[3] = {0.3993348, 0.3914288, 0.3874758};
    for (int k = 0; k < 3; k++) {
        char id[64];
        snprintf(id, sizeof id, "L42.4.6.markov_per_token_L%d", Ls[k]);
        //: [eq:L42.4.6.entropy_rate]
        check_close(id, (Hpi + (Ls[k] - 1) * Hr) / Ls[k], ref[k], 1e-7, "L42.4.6.entropy_rate",
                    "best per-token NLL of a length-%d sequence (nats)", Ls[k]);
    }
}

/*: ## 4.6 A masked autoregressive network (B12)

The network — MADE-style masks [eq:L42.4.6.made] in raster order, the per-pixel softmax and the
negative log-likelihood [eq:L42.4.6.nll], and ancestral sampling that writes each drawn pixel back
(the line the lecture comments out, B12) — lives in `common/gm_ar.h`, shared with the benchmark of
5.3. This program checks it.
*/

/*: ## Checks of the masked model before training

*Causality:* for each pixel $j$, changing $x_j$ must leave the logits of every pixel $\le j$
bit-for-bit unchanged and change those of some later pixel. *Normalisation:* on a tiny model
($D = 3$, $V = 3$, random weights and biases, double precision) the 27 probabilities of all
sequences must sum to 1. *Uniform model:* with the last layer zeroed every conditional is
uniform and the likelihood is exactly $\log_2 17$ bits/dim.
*/
static void section_masks(const Cli *cli, const int *lev_test, int n_test) {
    Rng r;
    rng_init(&r, cli->seed, 2);
    GmMade m;
    gm_made_init(&m, 64, 17, 64, AD_F64, &r);
    int x[64], y[64];
    for (int i = 0; i < 64; i++) x[i] = (int)(rng_uniform(&r) * 17) % 17;
    AdArena *arena = ad_arena_new(1 << 20);
    double *l0 = xmalloc(64 * 17 * sizeof *l0);
    AdTensor *t = gm_made_logits(arena, &m, x, 1);
    for (int c = 0; c < 64 * 17; c++) l0[c] = ad_get(t, c);
    double leak = 0;
    int later_changed = 0;
    for (int j = 0; j < 64; j++) {
        memcpy(y, x, sizeof y);
        y[j] = (x[j] + 7) % 17;
        ad_arena_reset(arena);
        t = gm_made_logits(arena, &m, y, 1);
        int changed = 0;
        for (int c = 0; c < 64 * 17; c++) {
            double dlt = fabs(ad_get(t, c) - l0[c]);
            if (c / 17 <= j) leak = fmax(leak, dlt);
            else if (dlt > 0) changed = 1;
        }
        later_changed += changed;
    }
    check_close("L42.4.6.causality_past", leak, 0.0, 0.0, "L42.4.6.made",
                "max |change| of the logits of pixels <= j when x_j changes, over all 64 j (exactly 0)");
    check_ge("L42.4.6.causality_future", later_changed, 1, 0, "L42.4.6.made",
             "number of j < 63 whose change moves some later pixel's logits at this input (%d; ReLUs may be off)", later_changed);
    /* the masks' connectivity: a path from input j to the logits of pixel i iff j < i */
    int wrong = 0;
    for (int j = 0; j < 64; j++)
        for (int i = 0; i < 64; i++) {
            int path = 0;
            for (int a = 0; a < m.H && !path; a++) {
                if (!m.mask[0][j * m.H + a]) continue;
                for (int b = 0; b < m.H && !path; b++)
                    path = m.mask[1][a * m.H + b] && m.mask[2][(size_t)b * 64 * 17 + i * 17];
            }
            wrong += path != (j < i);
        }
    check_close("L42.4.6.mask_connectivity", wrong, 0, 0, "L42.4.6.made",
                "pairs (j, i) where the product of the masks connects input j to pixel i other than exactly when j < i");
    ad_arena_free(arena);
    free(l0);

    /* uniform: last layer zero */
    memset(m.l3.weight->data, 0, (size_t)m.l3.weight->size * sizeof(double));
    memset(m.l3.bias->data, 0, (size_t)m.l3.bias->size * sizeof(double));
    double *lp = xmalloc((size_t)n_test * sizeof *lp), bits = 0;
    gm_made_logp(&m, lev_test, n_test, lp);
    for (int i = 0; i < n_test; i++) bits += -lp[i] / (64 * log(2.0)) / n_test;
    check_close("L42.4.6.uniform_bits", bits, 4.0874628, 1e-7, "L42.4.6.nll",
                "bits/dim of the zero-output model on %d test digits vs log2 17", n_test);
    free(lp);
    gm_made_free(&m);

    /* normalisation by enumeration */
    GmMade tiny;
    gm_made_init(&tiny, 3, 3, 8, AD_F64, &r);
    NnLinear *ls[3] = {&tiny.l1, &tiny.l2, &tiny.l3};
    for (int k = 0; k < 3; k++)
        for (long i = 0; i < ls[k]->bias->size; i++) ad_f64(ls[k]->bias)[i] = rng_normal(&r);
    int all[27 * 3];
    for (int s = 0; s < 27; s++) all[3 * s] = s / 9, all[3 * s + 1] = (s / 3) % 3, all[3 * s + 2] = s % 3;
    double tlp[27], sum = 0;
    gm_made_logp(&tiny, all, 27, tlp);
    for (int s = 0; s < 27; s++) sum += exp(tlp[s]);
    check_close("L42.4.6.normalised_enum", sum, 1.0, 1e-12, "L42.4.6.nll",
                "sum of p(x) over all 27 sequences of a D = 3, V = 3 model with random weights and biases");
    gm_made_free(&tiny);
}

/*: ## Training on the digits; bits/dim and dequantisation (B18)

The network ($64\to64\to64\to64\cdot17$, ReLU, Adam $3\cdot10^{-3}$, batch 32) is trained by
`gm_train` on the mean NLL [eq:L42.4.6.nll]. The yardstick is the best model *without*
dependencies, independent categoricals per pixel (add-one smoothing, fitted on the same
training images); the masked model must beat it by at least 0.2 bits/dim on held-out digits (0.1 under `--quick`, which trains
500 steps instead of 1500).

B18: a bits/dim figure for a *continuous* density is comparable with a discrete model's only
after dequantisation. The discrete model defines the piecewise-constant density
$p(y) = P(x)\,V^D$ on $y \in [0,1]^D$ with $y = (x + u)/V$, $u\sim U[0,1)^D$, whose
$-\log_2 p(y)/D$ is the discrete bits/dim minus $\log_2 V$; a continuous density evaluated on
the undequantised grid points has no such floor and can report arbitrarily low numbers.
*/
static int section_train(const Cli *cli) {
    char note[512];
    ImageSet set;
    int got = dataset_load_or_digits(cli->data_dir, "digits", &set, note, sizeof note);
    if (got < 0) {
        fprintf(stderr, "%s\n", note);
        return 2;
    }
    if ((int)imageset_dim(&set) != 64 || set.max_value != 16) {
        fprintf(stderr, "this program needs the 8x8 digits with 17 levels, got %s %dx%d\n", set.name, set.height, set.width);
        imageset_free(&set);
        return 2;
    }
    float *all = imageset_to_float(&set);
    const int n_test = 300, n_fit = set.n - n_test, D = 64, V = 17;
    int *lev = xmalloc((size_t)set.n * D * sizeof *lev);
    for (long i = 0; i < (long)set.n * D; i++) lev[i] = gm_ar_level(all[i], V);
    const int *lev_test = lev + (size_t)n_fit * D;
    printf("dataset %s: %d images (%d training, %d held out), %d levels\n", set.name, set.n, n_fit, n_test, V);

    section_masks(cli, lev_test, n_test);

    /* independent-pixel baseline: add-one smoothed categoricals per pixel (common/gm_ar, shared with 14) */
    const double bits_ind = gm_ar_independent_bits(lev, n_fit, lev_test, n_test, D, V);

    GenModel gm;
    Rng init, trng, srng;
    rng_init(&init, cli->seed, 3), rng_init(&trng, cli->seed, 4), rng_init(&srng, cli->seed, 5);
    gm_made_model_init(&gm, D, V, 64, &init);
    check_true("L42.4.6.made_caps", gm_check_caps(gm.vt), "masked AR vtable obeys the capability rule (exact log-likelihood)");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 500, 1500, 10000), .batch = 32, .clip_norm = 10.0,
                         .label = "masked AR", .check_id = "L42.4.6.made_train_finite"};
    GmTrainResult res = gm_train(&gm, all, n_fit, &cfg, &trng);
    double *lp = xmalloc((size_t)n_test * sizeof *lp), bits = 0;
    gm.vt->log_likelihood(&gm, all + (size_t)n_fit * D, n_test, lp);
    for (int i = 0; i < n_test; i++) bits += -lp[i] / (D * log(2.0)) / n_test;
    printf("training NLL %.4f -> %.4f nats/dim; test: masked AR %.4f bits/dim, independent pixels %.4f bits/dim\n",
           res.first_loss[0], res.avg_loss[0], bits, bits_ind);
    const double margin = cli->scale == SCALE_QUICK ? 0.1 : 0.2; /* 500 steps at --quick */
    check_le("L42.4.6.beats_indep", bits, bits_ind - margin, 0, "L42.4.6.nll",
             "test bits/dim of the masked AR model vs the independent-pixel model (%.4f) minus %.1f", bits_ind, margin);
    /* B18: the dequantised density's bits/dim */
    double bits_density = bits - log2((double)V);
    printf("dequantised density p(y) = P(x) V^D on [0,1]^64: %.4f bits/dim = %.4f - log2 %d\n", bits_density, bits, V);
    check_erratum("L42.4.6.bits_no_dequant", bits_density, bits,
                  "B18: a density's bits/dim on [0,1] data without the discretisation term (lecture) vs the discrete bits/dim");
    check_erratum("L42.4.6.logprob_sign", bits * D * log(2.0), -bits * D * log(2.0),
                  "B12: the lecture's `logprob` returns the mean NLL (positive) vs log p(x) (nats per image, test mean)");

    /* samples */
    const int ns = 64;
    float *xs = xmalloc((size_t)ns * D * sizeof *xs);
    gm.vt->sample(&gm, ns, xs, &srng);
    int nonzero = 0;
    for (int i = 0; i < ns * D; i++) nonzero += xs[i] > 0;
    printf("samples: %d of %d pixels non-zero (the lecture's sampler returns all zeros, B12)\n", nonzero, ns * D);
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = 8, opt.upscale = 4;
    Image8 *img = image_grid(xs, ns, 1, 8, 8, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "ar_samples.png"), img, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    image8_free(img);

    free(xs), free(lp), free(lev), free(all);
    gm_free(&gm);
    imageset_free(&set);
    return 0;
}

/*: ## 4.6 TransformerAR: a causal transformer on a Markov chain (B12)

The lecture's `TransformerAR` is a decoder-only transformer; its `sample` never appends the
sampled token, so it returns BOS alone (B12). Here the model is `common/causal_transformer` (2
layers, $d_\text{model} = 32$, 2 heads, context 32, BOS = 0, masked attention of
`common/ad_causal_attention`), trained through `gm_train` on sequences of the two-state chain
$P = \begin{pmatrix}0.9 & 0.1\\ 0.2 & 0.8\end{pmatrix}$ written as tokens 1, 2 after BOS, the first
state drawn from $\pi = (2/3, 1/3)$; 32 tokens per sequence, so the best possible test NLL per
token is [eq:L42.4.6.entropy_rate] with $L = 32$, 0.3914288 nats.

$$ \mathcal L_\text{TF} = -\frac{1}{32}\sum_{i=0}^{31}\log p_\theta(x_{i+1}\mid x_0 = \text{BOS}, x_1, \dots, x_i) $$ {#eq:L42.4.6.tf_nll}

Checks: causality (changing token $j$ leaves the logits of every earlier position bit-for-bit
unchanged — the mask makes the attention weight exactly 0); the test NLL within
$[-0.01, +0.03]$ of 0.3914288 (spec), and not below the true chain's NLL on the *same* test
sequences by more than 4 standard errors of the paired difference; sampling at temperature
$10^{-3}$ returns the argmax; at temperature 1 the sampled transition frequencies match $P$
within 4 binomial standard errors.
*/
enum { TF_L = 32, TF_V = 3 };

typedef struct {
    CausalTransformer net;
    int L; /* tokens after BOS (TF_L for the first-order chain) */
} TfAr;

static void tf_tokens(const float *rows, int n, int L, int *tok) {
    for (int i = 0; i < n * (L + 1); i++) tok[i] = (int)rows[i];
}

static AdTensor *tf_train_step(GenModel *gm, int player, AdArena *arena, const float *rows, int n, Rng *rng, GmLoss *terms) {
    (void)player, (void)rng, (void)terms;
    const int L = ((TfAr *)gm->self)->L;
    int *tok = ad_arena_alloc(arena, (size_t)n * (L + 1) * sizeof *tok);
    tf_tokens(rows, n, L, tok);
    //: [eq:L42.4.6.tf_nll]
    return ct_nll(arena, &((TfAr *)gm->self)->net, tok, n, L + 1);
}

static void tf_log_likelihood(GenModel *gm, const float *x, int n, double *lp) {
    TfAr *t = gm->self;
    const int L = t->L;
    enum { CH = 100 };
    AdArena *arena = ad_arena_new(1 << 22);
    int *tok = xmalloc((size_t)n * (L + 1) * sizeof *tok), *in = xmalloc((size_t)CH * L * sizeof *in);
    tf_tokens(x, n, L, tok);
    for (int i0 = 0; i0 < n; i0 += CH) {
        const int nb = n - i0 < CH ? n - i0 : CH;
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < L; k++) in[b * L + k] = tok[(size_t)(i0 + b) * (L + 1) + k];
        ad_arena_reset(arena);
        const float *z = ad_f32(ct_logits(arena, &t->net, in, nb, L));
        for (int b = 0; b < nb; b++) {
            double acc = 0;
            for (int k = 0; k < L; k++) {
                const float *zz = z + ((size_t)b * L + k) * TF_V;
                double row[TF_V];
                for (int c = 0; c < TF_V; c++) row[c] = zz[c];
                //: $\log p(x) = \sum_i \log\mathrm{softmax}(z_i)[x_{i+1}]$, [eq:L42.4.6.tf_nll]
                acc += row[tok[(size_t)(i0 + b) * (L + 1) + k + 1]] - logsumexp(row, TF_V);
            }
            lp[i0 + b] = acc;
        }
    }
    free(tok), free(in);
    ad_arena_free(arena);
}

static void tf_sample(GenModel *gm, int n, float *x_out, Rng *rng) {
    const int L = ((TfAr *)gm->self)->L;
    int *tok = xmalloc((size_t)n * (L + 1) * sizeof *tok);
    Rng *rs = xmalloc((size_t)n * sizeof *rs);
    uint64_t seed = rng_u64(rng);
    for (int i = 0; i < n; i++) tok[i * (L + 1)] = 0, rng_init(&rs[i], seed, (uint64_t)i);
    /* the model reads at most L tokens: the last one is drawn from the logits at position L - 1 */
    ct_sample(&((TfAr *)gm->self)->net, tok, n, L + 1, 1, 1.0, rs);
    for (int i = 0; i < n * (L + 1); i++) x_out[i] = (float)tok[i];
    free(tok), free(rs);
}

static void tf_destroy(GenModel *gm) {
    TfAr *t = gm->self;
    ct_free(&t->net);
    free(t);
}

static const GenModelVT TF_VT = {
    .name = "TransformerAR", .family = GM_FAM_AR, .paradigm = GM_PAR_LIKELIHOOD,
    .caps = GM_CAP_SAMPLE | GM_CAP_LOGLIK | GM_CAP_EXACT_LOGLIK,
    .train_step = tf_train_step, .sample = tf_sample, .log_likelihood = tf_log_likelihood, .destroy = tf_destroy,
};

/* n sequences (BOS, x_1..x_L) of the chain, tokens 1/2, as float rows; true log-likelihoods in lp. */
static void markov_sequences(int n, int L, uint64_t seed, uint64_t stream0, float *rows, double *lp) {
    static const double P[2][2] = {{0.9, 0.1}, {0.2, 0.8}}, pi[2] = {2.0 / 3, 1.0 / 3};
    for (int i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, seed, stream0 + (uint64_t)i);
        int s = rng_uniform(&r) < pi[0] ? 0 : 1;
        double acc = log(pi[s]);
        rows[(size_t)i * (L + 1)] = 0, rows[(size_t)i * (L + 1) + 1] = (float)(s + 1);
        for (int k = 2; k <= L; k++) {
            int s2 = rng_uniform(&r) < P[s][0] ? 0 : 1;
            acc += log(P[s][s2]);
            s = s2;
            rows[(size_t)i * (L + 1) + k] = (float)(s + 1);
        }
        if (lp) lp[i] = acc;
    }
}

static void section_transformer(const Cli *cli) {
    const int n_train = 4000, n_test = (int)cli_scale(cli, 500, 2000, 8000);
    float *train = xmalloc((size_t)n_train * (TF_L + 1) * sizeof *train), *test = xmalloc((size_t)n_test * (TF_L + 1) * sizeof *test);
    double *lp_true = xmalloc((size_t)n_test * sizeof *lp_true), *lp_model = xmalloc((size_t)n_test * sizeof *lp_model);
    markov_sequences(n_train, TF_L, cli->seed, 1000, train, NULL);
    markov_sequences(n_test, TF_L, cli->seed, 1000000, test, lp_true);
    GenModel gm;
    Rng init, trng, srng;
    rng_init(&init, cli->seed, 31), rng_init(&trng, cli->seed, 32), rng_init(&srng, cli->seed, 33);
    TfAr *t = xcalloc(1, sizeof *t);
    t->L = TF_L;
    ct_init(&t->net, TF_V, TF_L, 32, 2, 2, &init);
    gm_init(&gm, &TF_VT, t, TF_L + 1);
    ct_params(&t->net, "tf", &gm.player[0].params);
    gm.player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
    check_true("L42.4.6.tf_caps", gm_check_caps(gm.vt), "TransformerAR vtable obeys the capability rule (exact log-likelihood)");
    GmTrainConfig cfg = {.steps = cli_scale(cli, 100, 250, 2000), .batch = 32, .clip_norm = 1.0,
                         .label = "transformer AR", .check_id = "L42.4.6.tf_train_finite"};
    GmTrainResult res = gm_train(&gm, train, n_train, &cfg, &trng);
    printf("transformer AR: %ld parameters, NLL/token %.4f -> %.4f\n", gm_num_params(&gm), res.first_loss[0], res.avg_loss[0]);

    /* causality on test sequences: change token j, logits before j bit-for-bit equal */
    {
        enum { NB = 4 };
        int tok[NB * TF_L], t2[NB * TF_L], leaks = 0, moved = 0;
        for (int i = 0; i < NB * TF_L; i++) tok[i] = (int)test[(i / TF_L) * (TF_L + 1) + i % TF_L];
        AdArena *arena = ad_arena_new(1 << 22);
        float *z0 = xmalloc((size_t)NB * TF_L * TF_V * sizeof *z0);
        memcpy(z0, ad_f32(ct_logits(arena, &t->net, tok, NB, TF_L)), (size_t)NB * TF_L * TF_V * sizeof *z0);
        for (int j = 1; j < TF_L; j++) {
            memcpy(t2, tok, sizeof t2);
            for (int b = 0; b < NB; b++) t2[b * TF_L + j] = 3 - tok[b * TF_L + j];
            ad_arena_reset(arena);
            const float *z = ad_f32(ct_logits(arena, &t->net, t2, NB, TF_L));
            for (int b = 0; b < NB; b++)
                for (int i = 0; i < TF_L; i++)
                    for (int c = 0; c < TF_V; c++) {
                        size_t k = ((size_t)b * TF_L + i) * TF_V + c;
                        if (i < j) leaks += z[k] != z0[k]; else moved += z[k] != z0[k];
                    }
        }
        check_true("L42.4.6.tf_causality", leaks == 0 && moved > 0,
                   "changing token j: logits of positions < j unchanged bit for bit (%d changed over %d sequences x 31 j), later ones move (%d)",
                   leaks, NB, moved);
        free(z0);
        ad_arena_free(arena);
    }

    /* test NLL per token vs the entropy-rate bound, and paired against the true chain */
    gm.vt->log_likelihood(&gm, test, n_test, lp_model);
    double *diff = xmalloc((size_t)n_test * sizeof *diff), se_d, se_t;
    for (int i = 0; i < n_test; i++) diff[i] = (lp_true[i] - lp_model[i]) / TF_L, lp_true[i] /= -TF_L, lp_model[i] /= -TF_L;
    double nll = stats_mean(lp_model, (size_t)n_test), nll_true = stats_mean_se(lp_true, (size_t)n_test, &se_t);
    double excess = stats_mean_se(diff, (size_t)n_test, &se_d);
    printf("test NLL per token: transformer %.5f, the true chain on the same sequences %.5f +- %.5f, bound 0.3914288\n",
           nll, nll_true, se_t);
    check_in("L42.4.6.tf_entropy_rate", nll, 0.3914288 - 0.01, 0.3914288 + 0.03, "L42.4.6.entropy_rate",
             "test NLL per token (L = 32, n = %d sequences) within [-0.01, +0.03] of 0.3914288 (spec)", n_test);
    check_ge("L42.4.6.tf_not_below_truth", excess, 0.0, 4 * se_d, "L42.4.6.tf_nll",
             "NLL(model) - NLL(true chain) per token on the same sequences = %.5f >= 0 within 4 SE (se = %.2g)", excess, se_d);

    /* temperature -> 0: the argmax */
    {
        enum { NS = 32, TS = 9 };
        int s[NS * TS], pre[NS * TS], wrong = 0;
        Rng rs[NS];
        for (int b = 0; b < NS; b++) s[b * TS] = 0, rng_init(&rs[b], cli->seed + 7, (uint64_t)b);
        ct_sample(&t->net, s, NS, TS, 1, 1e-3, rs);
        AdArena *arena = ad_arena_new(1 << 22);
        for (int k = 1; k < TS; k++) {
            ad_arena_reset(arena);
            for (int b = 0; b < NS; b++)
                for (int i = 0; i < k; i++) pre[b * k + i] = s[b * TS + i];
            const float *z = ad_f32(ct_logits(arena, &t->net, pre, NS, k));
            for (int b = 0; b < NS; b++) {
                const float *zz = z + ((size_t)b * k + k - 1) * TF_V;
                int am = 1; /* BOS is never drawn */
                for (int c = 2; c < TF_V; c++) am = zz[c] > zz[am] ? c : am;
                wrong += s[b * TS + k] != am;
            }
        }
        check_true("L42.4.6.tf_temperature_argmax", wrong == 0,
                   "sampling at temperature 1e-3 equals the argmax at every step (%d of %d differ)", wrong, NS * (TS - 1));
        ad_arena_free(arena);
    }

    /* temperature 1: transition frequencies vs P */
    {
        const int ns = (int)cli_scale(cli, 256, 1024, 8192), TS = 9;
        int *s = xmalloc((size_t)ns * TS * sizeof *s);
        Rng *rs = xmalloc((size_t)ns * sizeof *rs);
        for (int b = 0; b < ns; b++) s[b * TS] = 0, rng_init(&rs[b], cli->seed + 8, (uint64_t)b);
        ct_sample(&t->net, s, ns, TS, 1, 1.0, rs);
        long cnt[2][2] = {{0, 0}, {0, 0}}, bad = 0;
        for (int b = 0; b < ns; b++)
            for (int k = 2; k < TS; k++) {
                int a = s[b * TS + k - 1] - 1, c = s[b * TS + k] - 1;
                if (a < 0 || c < 0) bad++;
                else cnt[a][c]++;
            }
        static const double P[2][2] = {{0.9, 0.1}, {0.2, 0.8}};
        {
            /* the model's own switching probabilities after a run of each state (for the reader) */
            int ctx[2][8] = {{0, 1, 1, 1, 1, 1, 1, 1}, {0, 2, 2, 2, 2, 2, 2, 2}};
            AdArena *arena = ad_arena_new(1 << 20);
            const float *z = ad_f32(ct_logits(arena, &t->net, &ctx[0][0], 2, 8));
            double q[2];
            for (int a = 0; a < 2; a++) {
                const float *zz = z + ((size_t)a * 8 + 7) * TF_V;
                q[a] = exp(zz[2 - a]) / (exp(zz[1]) + exp(zz[2]));
            }
            printf("model's p(1 -> 2) = %.4f, p(2 -> 1) = %.4f after 7 equal tokens (P: 0.1, 0.2)\n", q[0], q[1]);
            ad_arena_free(arena);
        }
        for (int a = 0; a < 2; a++) {
            long na = cnt[a][0] + cnt[a][1];
            double f = na ? (double)cnt[a][1 - a] / na : NAN, se = sqrt(P[a][1 - a] * (1 - P[a][1 - a]) / (na ? na : 1));
            char id[64];
            snprintf(id, sizeof id, "L42.4.6.tf_sample_freq_%d%d", a + 1, 2 - a);
            check_mc(id, f, P[a][1 - a], se, 4.0, na, "L42.4.6.tf_nll",
                     "temperature-1 samples: frequency of token %d -> %d vs P (%ld transitions from %d; BOS sampled %ld times)",
                     a + 1, 2 - a, na, a + 1, bad);
        }
        free(s), free(rs);
    }
    check_erratum("L42.4.6.tf_lecture_sample_length", 1.0, TF_L + 1.0,
                  "B12: tokens in a sequence returned by the lecture's TransformerAR.sample (BOS only) vs appended ones");
    free(diff), free(train), free(test), free(lp_true), free(lp_model);
    gm_free(&gm);
}

/*: ## 4.6 TransformerAR on an order-2 chain: second-order dependence is learned

A first-order chain can be learned by a model that looks one token back. The spec's second test
is a chain of order 2 on the same tokens $\{1, 2\}$: the next token depends on the last *two*,

$$ P(x_{i+1} = 1\mid x_{i-1}, x_i) = Q_{x_{i-1}x_i},\qquad Q_{11} = 0.2,\ Q_{12} = 0.9,\ Q_{21} = 0.7,\ Q_{22} = 0.1 , $$ {#eq:L42.4.6.order2_chain}

with $x_1, x_2$ uniform. Its order-1 summary $P(x_{i+1} = 1\mid x_i = 1)$ mixes $Q_{11}$ and $Q_{21}$
(0.2 and 0.7), so a model that ignores $x_{i-1}$ cannot meet the table. A second transformer of the
same size is trained through `gm_train` on 4000 such sequences (8 tokens after BOS: two tokens of
context suffice, and short sequences keep it cheap), 400 Adam steps of 128 sequences; the
parameters read out are the EMA (decay 0.99) — the last iterate of batch-noisy Adam scatters its
probabilities by a few hundredths, more than the data's standard errors. Checks:
for every state $(a, b)$ the model's probability $p_\theta(x_{i+1} = 1\mid x_{\le i})$, averaged over the
test positions in that state, against $Q_{ab}$ within 4 binomial standard errors
$\sqrt{Q_{ab}(1 - Q_{ab})/n_{ab}}$, with $n_{ab}$ the training transitions out of $(a, b)$ — the
accuracy the training data allow (the counting estimate's own error); and the model's
$p(1\mid 1, 1)$ and $p(1\mid 2, 1)$ apart by more than 4 of the same standard errors (what an order-1
model cannot do). The empirical order-1 summary is printed beside them.
*/
static const double Q2[2][2] = {{0.2, 0.9}, {0.7, 0.1}}; /* P(next = 1 | a, b), states 0 = token 1, 1 = token 2 */

/* n sequences (BOS, x_1..x_L) of the order-2 chain [eq:L42.4.6.order2_chain]; cnt[a][b][c]
   (may be NULL) accumulates the transitions (a, b) -> c */
static void markov2_sequences(int n, int L, uint64_t seed, uint64_t stream0, float *rows, long cnt[2][2][2]) {
    for (int i = 0; i < n; i++) {
        Rng r;
        rng_init(&r, seed, stream0 + (uint64_t)i);
        int a = rng_uniform(&r) < 0.5 ? 0 : 1, b = rng_uniform(&r) < 0.5 ? 0 : 1;
        float *row = rows + (size_t)i * (L + 1);
        row[0] = 0, row[1] = (float)(a + 1), row[2] = (float)(b + 1);
        for (int k = 3; k <= L; k++) {
            //: $x_{i+1} = 1$ with probability $Q_{x_{i-1}x_i}$, [eq:L42.4.6.order2_chain]
            const int c = rng_uniform(&r) < Q2[a][b] ? 0 : 1;
            if (cnt) cnt[a][b][c]++;
            row[k] = (float)(c + 1), a = b, b = c;
        }
    }
}

static void section_order2(const Cli *cli) {
    enum { L2 = 8 }; /* two tokens of context suffice: short sequences keep training cheap */
    const int n_train = 4000, n_test = (int)cli_scale(cli, 100, 500, 2000);
    float *train = xmalloc((size_t)n_train * (L2 + 1) * sizeof *train), *test = xmalloc((size_t)n_test * (L2 + 1) * sizeof *test);
    long cnt[2][2][2] = {{{0}}};
    markov2_sequences(n_train, L2, cli->seed, 2000000, train, cnt);
    markov2_sequences(n_test, L2, cli->seed, 3000000, test, NULL);
    GenModel gm;
    Rng init, trng;
    rng_init(&init, cli->seed, 41), rng_init(&trng, cli->seed, 42);
    TfAr *t = xcalloc(1, sizeof *t);
    t->L = L2;
    ct_init(&t->net, TF_V, L2, 32, 2, 2, &init);
    gm_init(&gm, &TF_VT, t, L2 + 1);
    ct_params(&t->net, "tf2", &gm.player[0].params);
    gm.player[0].opt = optim_adam(3e-3, 0.9, 0.999, 1e-8, 0.0);
    /* 400 steps also at --quick: at 200 the model's p(1 | 1, 1) is still 1.6 of the 4 SE away */
    GmTrainConfig cfg = {.steps = cli_scale(cli, 400, 400, 2000), .batch = 128, .clip_norm = 1.0, .ema_decay = 0.99,
                         .label = "transformer AR, order 2", .check_id = "L42.4.6.tf2_train_finite"};
    GmTrainResult res = gm_train(&gm, train, n_train, &cfg, &trng);
    printf("order-2 transformer: NLL/token %.4f -> %.4f (%ld steps)\n", res.first_loss[0], res.avg_loss[0], res.steps_done);
    /* the model's p(next = 1 | prefix) at every test position i >= 2, pooled by state (x_{i-1}, x_i) */
    double sum[2][2] = {{0, 0}, {0, 0}};
    long m[2][2] = {{0, 0}, {0, 0}};
    enum { CH = 100 };
    AdArena *arena = ad_arena_new(1 << 22);
    int *in = xmalloc((size_t)CH * L2 * sizeof *in);
    for (int i0 = 0; i0 < n_test; i0 += CH) {
        const int nb = n_test - i0 < CH ? n_test - i0 : CH;
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < L2; k++) in[b * L2 + k] = (int)test[(size_t)(i0 + b) * (L2 + 1) + k];
        ad_arena_reset(arena);
        const float *z = ad_f32(ct_logits(arena, &t->net, in, nb, L2));
        for (int b = 0; b < nb; b++)
            for (int k = 2; k < L2; k++) {
                const float *zz = z + ((size_t)b * L2 + k) * TF_V;
                double row[TF_V];
                for (int c = 0; c < TF_V; c++) row[c] = zz[c];
                const int a = in[b * L2 + k - 1] - 1, c = in[b * L2 + k] - 1;
                //: $p_\theta(x_{i+1} = 1\mid x_{\le i}) = \mathrm{softmax}(z_i)[1]$
                sum[a][c] += exp(row[1] - logsumexp(row, TF_V)), m[a][c]++;
            }
    }
    double p[2][2], se[2][2];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            const long nab = cnt[a][b][0] + cnt[a][b][1];
            p[a][b] = sum[a][b] / (double)m[a][b];
            //: binomial SE of the training data's estimate of $Q_{ab}$
            se[a][b] = sqrt(Q2[a][b] * (1 - Q2[a][b]) / (double)nab);
            char id[64];
            snprintf(id, sizeof id, "L42.4.6.tf2_cond_%d%d", a + 1, b + 1);
            check_mc(id, p[a][b], Q2[a][b], se[a][b], 4.0, nab, "L42.4.6.order2_chain",
                     "model's p(1 | %d, %d) (mean over %ld test positions) vs Q (SE from the %ld training transitions; "
                     "training frequency %.4f)", a + 1, b + 1, m[a][b], nab, (double)cnt[a][b][0] / (double)nab);
        }
    const double o1 = (double)(cnt[0][0][0] + cnt[1][0][0]) / (double)(cnt[0][0][0] + cnt[0][0][1] + cnt[1][0][0] + cnt[1][0][1]);
    printf("order-1 summary of the training data: p(1 | x_i = 1) = %.4f (one number where Q has 0.2 and 0.7)\n", o1);
    const double gap = p[1][0] - p[0][0], se_gap = sqrt(se[1][0] * se[1][0] + se[0][0] * se[0][0]);
    check_ge("L42.4.6.tf2_second_order", gap, 4.0 * se_gap, 0, "L42.4.6.order2_chain",
             "p(1 | 2, 1) - p(1 | 1, 1) = %.4f > 4 SE (%.4f): the model uses x_{i-1} (an order-1 model gives 0)", gap, se_gap);
    free(in), free(train), free(test);
    ad_arena_free(arena);
    gm_free(&gm);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 4.6: autoregressive family: chain rule, masked AR model on 8x8 digits (B12, B18)", 4211, NULL);
    goc_training_device(&cli); /* --gpu: every gm_train of this program runs on the device */
    section_chain_rule(&cli);
    if (section_train(&cli) != 0) return 2;
    section_transformer(&cli);
    section_order2(&cli);
    return check_end();
}
