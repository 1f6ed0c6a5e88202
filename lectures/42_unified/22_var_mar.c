/*: # L42 6.6 — VAR and MAR: autoregression over scales and in any order

**Lecture 42, Part 2, section 6.6** with spec §3 item 27. Two recent autoregressive image models
replace raster order. **VAR** (visual autoregression) generates an image coarse to fine: a
token map per scale, each scale conditioned on all coarser ones, the maps coming from a
*multi-scale residual quantiser*. **MAR** (masked autoregression) generates tokens in a random
order, several at a time. The lecture states the factorisation and quotes FIDs (1.73, 1.78 on
ImageNet 256×256), which cannot be reproduced here and are printed as its claims.

What you will see: a tiny VAR (a 2×2 binary image, scales 1×1 and 2×2) whose probabilities sum to
1 over all 32 token maps; MAR's order-agnostic chain rule — decoding one token at a time in *any*
of the 24 orders reproduces the joint exactly, while decoding several at once (MAR's speed-up)
costs a KL that for one step equals the total correlation; and the multi-scale residual
quantisation of the 8×8 digits at scales 1, 2, 4, 8: the error never increases from one scale to
the next (with the reason), and the last scale leaves under 1 % of the signal energy.
Figure: `var_scales.png` (digits reconstructed after 1, 2, 3, 4 scales, and the originals).

Run: `build/release/bin/lectures/42_unified/22_var_mar [--quick | --full] [--seed N] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x^{(s)}$ token map at scale $s$ | `q` | (s, s) |
| $r$ residual | `res` | (8, 8) |
| $P_s r$ area average to $s\times s$ | `downsample` | (s, s) |
| $U q$ nearest upsampling | `upsample_add` | (8, 8) |
| codebook (shared over scales) | `Codebook`, `quantise` | 16 entries |
| $p(x_1,\dots,x_4)$ | `joint` | 16 |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/digits_split.h"
#include "common/image.h"
#include "common/mathfn.h"
#include "common/rng.h"
#include "common/util.h"

/*: ## 6.6 VAR: next-scale prediction

VAR factorises an image over $S$ scales, coarse to fine,

$$ p(x) = \prod_{s=1}^{S} p\big(x^{(s)} \mid x^{(1)}, \dots, x^{(s-1)}\big), $$ {#eq:L42.6.6.var_factorisation}

and inside a scale all tokens are predicted *in parallel*: given the coarser maps they are
conditionally independent. The smallest instance: a binary $1\times1$ map $x^{(1)}$ with
$p(x^{(1)} = 1) = \sigma(a)$, then a binary $2\times2$ map whose four tokens are independent
Bernoullis with logits $b_j + c_j x^{(1)}$. Summing [eq:L42.6.6.var_factorisation] over all
$2\cdot 2^4 = 32$ token maps must give exactly 1 — the check that the factorisation is a
probability distribution, whatever the parameters.
*/
static void section_var_tiny(Rng *rng) {
    const double a = rng_normal(rng);
    double b[4], c[4];
    for (int j = 0; j < 4; j++) b[j] = rng_normal(rng), c[j] = 2 * rng_normal(rng);
    double total = 0;
    for (int x1 = 0; x1 < 2; x1++)
        for (int m = 0; m < 16; m++) {
            //: [eq:L42.6.6.var_factorisation], scale 1
            double lp = x1 ? log_sigmoid(a) : log_sigmoid(-a);
            for (int j = 0; j < 4; j++) {
                double logit = b[j] + c[j] * x1;
                //: scale 2: four tokens in parallel given $x^{(1)}$
                lp += ((m >> j) & 1) ? log_sigmoid(logit) : log_sigmoid(-logit);
            }
            total += exp(lp);
        }
    check_close("L42.6.6.var_normalization", total, 1.0, 1e-12, "L42.6.6.var_factorisation",
                "tiny VAR (scales 1x1 and 2x2, binary tokens, random parameters): sum of p over all 32 token maps");
}

/*: ## 6.6 MAR: any order, and several tokens at a time

The chain rule holds in every order $\pi$ of the variables:
$p(x) = \prod_i p\big(x_{\pi_i}\mid x_{\pi_1},\dots,x_{\pi_{i-1}}\big)$. MAR exploits this: it
trains on random orders (a masked model predicting any subset from any other) and at sampling
time reveals the tokens in a random order. To be fast it reveals $k$ tokens per step, drawing
them *independently* from their conditionals given what is revealed so far. With $k = 1$ this is
exact; with $k > 1$ it samples from

$$ q_k(x) = \frac{1}{|\Pi|}\sum_{\pi}\ \prod_{\text{steps } g}\ \prod_{i\in g} p\big(x_i \mid x_{\text{revealed before } g}\big), $$ {#eq:L42.6.6.mar_parallel}

and when all tokens come in one step, $q = \prod_i p(x_i)$, whose divergence from the joint is the
total correlation $\mathrm{KL}(p\Vert\prod_i p_i) = \sum_i H(x_i) - H(x)$. On a random joint of 4
binary variables the program computes $q_k$ by exact enumeration of all 24 orders: for $k = 1$
every single order reproduces $p$ (1e-12), and for $k = 4$ the KL equals the total correlation
computed from entropies.
*/
enum { NV = 4, NS = 16 };

/* p(x_i = v | x_S = the bits of `state` on mask S), from the joint by marginalisation. */
static double conditional(const double *joint, int i, int v, unsigned S, unsigned state) {
    double num = 0, den = 0;
    for (unsigned x = 0; x < NS; x++) {
        if ((x & S) != (state & S)) continue;
        den += joint[x];
        if ((int)((x >> i) & 1u) == v) num += joint[x];
    }
    return num / den;
}

/* The law q of MAR decoding one order with k tokens per step (exact enumeration). */
static void mar_order_law(const double *joint, const int *order, int k, double *q) {
    for (unsigned x = 0; x < NS; x++) {
        double pr = 1;
        unsigned S = 0;
        for (int g = 0; g < NV; g += k) {
            unsigned Snew = S;
            for (int j = g; j < g + k && j < NV; j++) {
                int i = order[j];
                //: [eq:L42.6.6.mar_parallel]: tokens of one step drawn independently given $S$
                pr *= conditional(joint, i, (int)((x >> i) & 1u), S, x);
                Snew |= 1u << i;
            }
            S = Snew;
        }
        q[x] = pr;
    }
}

static double kl(const double *p, const double *q, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += p[i] > 0 ? p[i] * log(p[i] / q[i]) : 0;
    return s;
}

static void section_mar(Rng *rng) {
    double joint[NS], z = 0;
    for (int x = 0; x < NS; x++) joint[x] = exp(1.5 * rng_normal(rng)), z += joint[x];
    for (int x = 0; x < NS; x++) joint[x] /= z;
    int orders[24][NV], no = 0;
    for (int a = 0; a < NV; a++)
        for (int b = 0; b < NV; b++)
            for (int c = 0; c < NV; c++)
                for (int d = 0; d < NV; d++)
                    if (a != b && a != c && a != d && b != c && b != d && c != d)
                        orders[no][0] = a, orders[no][1] = b, orders[no][2] = c, orders[no][3] = d, no++;
    double worst = 0, qk[3][NS] = {{0}};
    const int ks[3] = {1, 2, 4};
    for (int o = 0; o < no; o++)
        for (int ki = 0; ki < 3; ki++) {
            double q[NS];
            mar_order_law(joint, orders[o], ks[ki], q);
            for (int x = 0; x < NS; x++) {
                qk[ki][x] += q[x] / no;
                if (ks[ki] == 1) worst = fmax(worst, fabs(q[x] - joint[x]));
            }
        }
    check_close("L42.6.6.mar_any_order", worst, 0.0, 1e-12, "L42.6.6.mar_parallel",
                "one token per step: every one of the %d orders reproduces the joint of 4 binary variables (max |q - p|)", no);
    double H = 0, Hm = 0;
    for (int x = 0; x < NS; x++) H -= xlogx(joint[x]);
    for (int i = 0; i < NV; i++) {
        double p1 = 0;
        for (int x = 0; x < NS; x++) p1 += ((x >> i) & 1) ? joint[x] : 0;
        Hm -= xlogx(p1) + xlogx(1 - p1);
    }
    check_close("L42.6.6.mar_one_step_kl", kl(joint, qk[2], NS), Hm - H, 1e-12, "L42.6.6.mar_parallel",
                "all 4 tokens in one step: KL(p || q_4) vs the total correlation sum H(x_i) - H(x) = %.6f", Hm - H);
    printf("MAR decoding cost: KL(p || q_k) = %.6f (k=1), %.6f (k=2), %.6f (k=4) nats\n", kl(joint, qk[0], NS),
           kl(joint, qk[1], NS), kl(joint, qk[2], NS));
}

/*: ## 6.6 The multi-scale residual quantiser of VAR

VAR's tokens come from quantising an image at scales $s = 1, 2, 4, 8$ in turn, each scale
encoding what the coarser ones left over:

$$ r_0 = x,\qquad q_s = Q\big(P_s r_{s-1}\big),\qquad r_s = r_{s-1} - U q_s,\qquad
   \hat x_s = \sum_{s'\le s} U q_{s'} = x - r_s , $$ {#eq:L42.6.6.residual_quant}

with $P_s$ the average over $(8/s)\times(8/s)$ blocks, $U$ nearest-neighbour upsampling back to
$8\times8$, and $Q$ the nearest entry of one scalar codebook shared by all scales (VAR shares
one codebook over scales): 16 entries, one pinned at 0, the rest fitted by Lloyd's algorithm to
the values the quantiser sees at all scales of the training digits (pixels scaled to $[0, 1]$);
the checks run on the 297 held-out digits. Why the error cannot grow: $UP_s$ is
the orthogonal projection onto block-constant images and $Uq_s$ lies in its range, so

$$ \lVert r_{s-1}\rVert^2 - \lVert r_s\rVert^2 = \lVert U P_s r_{s-1}\rVert^2 - \lVert U(P_s r_{s-1} - q_s)\rVert^2 \ \ge\ 0, $$ {#eq:L42.6.6.pythagoras}

the inequality because $0$ is in the codebook, so the nearest entry is never farther than $0$.
Checks: no increase at any scale for any digit (exact), the identity [eq:L42.6.6.pythagoras]
(1e-12 relative), and the final error below 1 % of $\lVert x\rVert^2$.
*/
enum { CODE_K = 16 };

typedef struct {
    double c[CODE_K]; /* c[0] = 0, pinned */
} Codebook;

static int nearest(const Codebook *cb, double v) {
    int best = 0;
    for (int k = 1; k < CODE_K; k++)
        if (fabs(v - cb->c[k]) < fabs(v - cb->c[best])) best = k;
    return best;
}

static double quantise(const Codebook *cb, double v) {
    //: $Q$: the nearest codebook entry
    return cb->c[nearest(cb, v)];
}

static void downsample(const double *r, int s, double *out) {
    const int b = 8 / s;
    for (int i = 0; i < s; i++)
        for (int j = 0; j < s; j++) {
            double acc = 0;
            for (int u = 0; u < b; u++)
                for (int v = 0; v < b; v++) acc += r[(i * b + u) * 8 + j * b + v];
            //: $P_s$: block average, [eq:L42.6.6.residual_quant]
            out[i * s + j] = acc / (b * b);
        }
}

/* dst (8x8) += sign * U q */
static void upsample_add(const double *q, int s, double sign, double *dst) {
    const int b = 8 / s;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) dst[y * 8 + x] += sign * q[(y / b) * s + x / b];
}

static double sumsq(const double *a, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * a[i];
    return s;
}

/* Residual quantisation of one image (64 values) through the 4 scales: e[0..4] the squared
   residual before / after each scale, recon_k (4 x 64, may be NULL) the reconstructions, worst the
   largest relative gap in [eq:L42.6.6.pythagoras]; pr_out (85, may be NULL) the values quantised. */
static void encode_image(const Codebook *cb, const float *x, double *e, float *recon_k, double *worst, double *pr_out) {
    static const int scales[4] = {1, 2, 4, 8};
    double res[64], recon[64] = {0};
    for (int d = 0; d < 64; d++) res[d] = x[d];
    e[0] = sumsq(res, 64);
    int off = 0;
    for (int k = 0; k < 4; k++) {
        const int s = scales[k];
        double pr[64], q[64], diff[64];
        downsample(res, s, pr);
        for (int i = 0; i < s * s; i++) q[i] = quantise(cb, pr[i]), diff[i] = pr[i] - q[i];
        if (pr_out) memcpy(pr_out + off, pr, (size_t)s * s * sizeof *pr);
        off += s * s;
        //: $r_s = r_{s-1} - Uq_s$, $\hat x_s = \hat x_{s-1} + U q_s$, [eq:L42.6.6.residual_quant]
        upsample_add(q, s, -1.0, res);
        upsample_add(q, s, +1.0, recon);
        e[k + 1] = sumsq(res, 64);
        const double b2 = (double)(64 / (s * s));
        //: [eq:L42.6.6.pythagoras]
        double id = (e[k] - e[k + 1]) - b2 * (sumsq(pr, s * s) - sumsq(diff, s * s));
        *worst = fmax(*worst, fabs(id) / fmax(e[k], 1e-300));
        if (recon_k)
            for (int d = 0; d < 64; d++) recon_k[k * 64 + d] = (float)recon[d];
    }
}

/* Lloyd's algorithm on the values the quantiser sees (all scales), entry 0 pinned at 0. */
static void codebook_fit(Codebook *cb, const float *x, int n, int iters) {
    for (int k = 0; k < CODE_K; k++) cb->c[k] = k == 0 ? 0 : -0.75 + 1.5 * (k - 1) / (CODE_K - 2);
    double *vals = xmalloc((size_t)n * 85 * sizeof *vals), e[5], w = 0;
    for (int it = 0; it < iters; it++) {
        for (int i = 0; i < n; i++) encode_image(cb, x + (size_t)i * 64, e, NULL, &w, vals + (size_t)i * 85);
        double sum[CODE_K] = {0}, cnt[CODE_K] = {0};
        for (long j = 0; j < (long)n * 85; j++) {
            int k = nearest(cb, vals[j]);
            sum[k] += vals[j], cnt[k] += 1;
        }
        for (int k = 1; k < CODE_K; k++)
            if (cnt[k] > 0) cb->c[k] = sum[k] / cnt[k];
    }
    free(vals);
}

static void section_residual_quant(const Cli *cli) {
    DigitsSplit ds;
    digits_split_load(cli->data_dir, &ds);
    const float *all = ds.all;
    const int n_fit = ds.n_train, n_show = 8;
    Codebook cb;
    codebook_fit(&cb, all, n_fit, (int)cli_scale(cli, 5, 20, 50));
    printf("shared scalar codebook (%d entries, Lloyd on %d training digits, 0 pinned):", CODE_K, n_fit);
    for (int k = 0; k < CODE_K; k++) printf(" %.3f", cb.c[k]);
    printf("\n");
    int increases = 0;
    double e_sum[5] = {0}, worst_id = 0;
    float *show = xmalloc((size_t)5 * n_show * 64 * sizeof *show), rk[4 * 64];
    for (int n = n_fit; n < ds.set.n; n++) {
        double e[5];
        encode_image(&cb, all + (size_t)n * 64, e, rk, &worst_id, NULL);
        for (int k = 0; k <= 4; k++) e_sum[k] += e[k];
        for (int k = 0; k < 4; k++) increases += e[k + 1] > e[k];
        const int i = n - n_fit;
        if (i < n_show) {
            for (int k = 0; k < 4; k++) memcpy(show + ((size_t)k * n_show + i) * 64, rk + k * 64, 64 * sizeof(float));
            memcpy(show + ((size_t)4 * n_show + i) * 64, all + (size_t)n * 64, 64 * sizeof(float));
        }
    }
    const int n_eval = ds.set.n - n_fit;
    printf("residual quantisation of %d held-out %s images, tokens per image 1 + 4 + 16 + 64 = 85 (64 pixels)\n", n_eval, ds.set.name);
    for (int k = 0; k <= 4; k++)
        printf("  after %d scale(s)%s: MSE %.6f\n", k, k ? "" : " (x itself)", e_sum[k] / (64.0 * n_eval));
    check_true("L42.6.6.var_residual_monotone", increases == 0,
               "squared error never increases from one scale to the next (%d increases over %d images x 4 scales)", increases, n_eval);
    check_close("L42.6.6.var_pythagoras", worst_id, 0.0, 1e-12, "L42.6.6.pythagoras",
                "decrease of the squared error = |U P r|^2 - |U (P r - q)|^2, worst relative gap over all images and scales");
    check_le("L42.6.6.var_final_recon", e_sum[4] / e_sum[0], 1e-2, 0, "L42.6.6.residual_quant",
             "squared error after scales 1, 2, 4, 8 / squared norm of the images (spec < 1e-2)");
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = n_show, opt.upscale = 4;
    Image8 *img = image_grid(show, 5 * n_show, 1, 8, 8, &opt);
    char err[256];
    if (image_write_png(cli_out_path(cli, "var_scales.png"), img, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    image8_free(img);
    free(show);
    digits_split_free(&ds);
}

/*: ## The lecture's numbers

The lecture quotes ImageNet 256×256 FIDs: VAR 1.73 and MAR 1.78. Nothing offline reproduces
them (no ImageNet, no model of that size); they are printed as claims, not checked.
*/
static void section_claims(void) {
    printf("lecture's claims (ImageNet 256x256, not reproducible here): VAR FID 1.73, MAR FID 1.78\n");
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L42 6.6: VAR (next-scale factorisation, residual quantiser) and MAR (any-order, parallel decoding)", 4222, NULL);
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    section_var_tiny(&rng);
    section_mar(&rng);
    section_residual_quant(&cli);
    section_claims();
    return check_end();
}
