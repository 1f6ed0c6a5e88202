/*: # L36 3.8.3 — Self-attention on a feature map

**Lecture 36, section 3.8.3** (self-attention in the DDPM U-Net), with erratum E26 (the
lecture's code is single-head and has no projections, residual or normalisation).

A convolution mixes only neighbouring positions; attention lets every position of a
low-resolution feature map read from every other one, at a cost quadratic in the number of
positions, which is why DDPM uses it only at $16\times16$ and below.

What you will see: the lecture's test ($Q = K = V = x$, 256 tokens of width 256, $d_k = 256$)
through `ad_attention` of `common/ad.h`, against a plain double loop; its attention matrix
almost the identity, with $1 - \overline{P_{ii}}$ against a closed form by Monte Carlo; the
effect of the $1/\sqrt{d_k}$ scaling on the logit variance by Monte Carlo; permutation
equivariance of the bare op and of the U-Net's attention block; the block of `common/nn.h`
(GroupNorm, projections, residual) against a plain composition; four heads as four
independent single-head attentions; the stable and the naive softmax; and the backward pass
against finite differences.
Figure: `attention.png` — the lecture's attention matrix ($\log_{10}$) and the attention
matrix of a randomly initialised U-Net attention block on an $8\times8$ map.

Run: `make run L=36`, or `build/release/bin/lectures/36_ddpm/11_self_attention [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $X$ (tokens as rows) | `x` | ($N$, $d$) = (256, 256) |
| $Q, K, V$ | `q`, `k`, `v` | ($N$, $d_k$) |
| $S = QK^\top/\sqrt{d_k}$ | `scores` | ($N$, $N$) |
| $P = \mathrm{softmax}_\text{rows}(S)$ | `p` | ($N$, $N$) |
| $Y = PV$ | `y` | ($N$, $d$) |
| $h$ heads of width $d_k = d/h$ | `HEADS`, `DK` | 4, 64 |
*/
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/mathfn.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/nn_ref.h"
#include "common/plot.h"
#include "common/stats.h"
#include "common/util.h"

enum { N_TOK = 256, D_MODEL = 256, HEADS = 4, DK = D_MODEL / HEADS };

/* The program's path for one (N, d) token matrix: ad_attention with batch 1. */
static void attention_ad(AdArena *arena, const double *q, const double *k, const double *v,
                         int n, int d, double *y) {
    AdTensor *y_t = ad_attention(arena, ad_from_doubles(arena, AD_F64, 3, (int[]){1, n, d}, q),
                                 ad_from_doubles(arena, AD_F64, 3, (int[]){1, n, d}, k),
                                 ad_from_doubles(arena, AD_F64, 3, (int[]){1, n, d}, v));
    memcpy(y, ad_f64(y_t), sizeof(double) * (size_t)n * d);
}

/* P = softmax(QK^T/sqrt d) by the taped ops that ad_attention composes. */
static void attention_weights_ad(AdArena *arena, const double *x, int n, int d, double *p) {
    AdTensor *q = ad_from_doubles(arena, AD_F64, 2, (int[]){n, d}, x);
    AdTensor *s = ad_scale(arena, ad_matmul(arena, q, ad_transpose(arena, q)), 1.0 / sqrt(d));
    memcpy(p, ad_f64(ad_softmax(arena, s)), sizeof(double) * (size_t)n * n);
}

/*: ## 3.8.3 Scaled dot-product attention, the lecture's test

$$ \mathrm{Attn}(Q,K,V) = \mathrm{softmax}\Big(\frac{QK^\top}{\sqrt{d_k}}\Big)V $$ {#eq:L36.3.8.3.attention}
with the softmax over keys (each row of $P$ sums to 1). The lecture's test takes
$Q = K = V = x$ with $x$ standard normal of shape $256\times256$. Then the diagonal logit
$\lVert x_i\rVert^2/16 \approx 16$ dwarfs the off-diagonal ones ($\approx\mathcal N(0,1)$), and
$P \approx I$, $Y \approx x$. How close? With $R_i = \sum_{j\ne i} e^{S_{ij}-S_{ii}}$,
$1 - P_{ii} = R_i/(1+R_i) \approx R_i$, and averaging first over $x_j$
($\mathbb E\, e^{x_i\cdot x_j/16} = e^{\lVert x_i\rVert^2/512}$), then over
$\lVert x_i\rVert^2 \sim \chi^2_{256}$ (moment generating function $(1-2u)^{-128}$):
$$ \mathbb E[1 - P_{ii}] \approx (N-1)\,\Big(1 + \frac{2\cdot31}{512}\Big)^{-128}
   = 1.13\cdot10^{-4} . $$ {#eq:L36.3.8.3.diag_closed_form}
The neglected terms are of relative order $10^{-4}$, far below the Monte-Carlo error. The
check averages $1 - P_{ii}$ over all rows of several draws and treats rows as independent:
they share the keys, but the spread of $1 - P_{ii}$ comes almost entirely from the row's own
$\lVert x_i\rVert^2$ (through $e^{-\lVert x_i\rVert^2\,31/512}$).
*/
static void section_lecture_test(const Cli *cli, double *p_fig) {
    int n_inst = (int)cli_scale(cli, 4, 12, 48);
    AdArena *arena = ad_arena_new(1 << 22);
    double *x = xmalloc(sizeof(double) * N_TOK * D_MODEL), *y = xmalloc(sizeof(double) * N_TOK * D_MODEL);
    double *yref = xmalloc(sizeof(double) * N_TOK * D_MODEL), *p = xmalloc(sizeof(double) * N_TOK * N_TOK);
    double *off = xmalloc(sizeof(double) * (size_t)n_inst * N_TOK), err_ref = 0, max_dev = 0, row_err = 0;
    double min_diag = 1;
    for (int r = 0; r < n_inst; r++) {
        Rng rng;
        rng_init(&rng, cli->seed, (uint64_t)r);
        rng_normal_fill(&rng, x, N_TOK * D_MODEL);
        ad_arena_reset(arena);
        //: $Y = \mathrm{softmax}(xx^\top/\sqrt{256})\,x$, [eq:L36.3.8.3.attention]
        attention_ad(arena, x, x, x, N_TOK, D_MODEL, y);
        nn_ref_attention(x, x, x, N_TOK, N_TOK, D_MODEL, D_MODEL, 1.0 / 16.0, NULL, yref);
        err_ref = fmax(err_ref, stats_max_abs_diff(y, yref, N_TOK * D_MODEL));
        max_dev = fmax(max_dev, stats_max_abs_diff(y, x, N_TOK * D_MODEL));
        attention_weights_ad(arena, x, N_TOK, D_MODEL, p);
        for (int i = 0; i < N_TOK; i++) {
            double rs = 0;
            for (int j = 0; j < N_TOK; j++) rs += p[i * N_TOK + j];
            row_err = fmax(row_err, fabs(rs - 1));
            off[(long)r * N_TOK + i] = 1 - p[i * N_TOK + i];
            min_diag = fmin(min_diag, p[i * N_TOK + i]);
        }
        if (r == 0) memcpy(p_fig, p, sizeof(double) * N_TOK * N_TOK);
    }
    printf("# output shape (%d, %d); rows of P sum to 1 within %.1e; min P_ii = %.6f\n", N_TOK,
           D_MODEL, row_err, min_diag);
    check_le("L36.3.8.3.ad_vs_naive", err_ref, 1e-12, 0, "L36.3.8.3.attention",
             "ad_attention vs the plain double loop, %d draws of the lecture's 256x256 test", n_inst);
    long n_rows = (long)n_inst * N_TOK;
    double se, mean_off = stats_mean_se(off, (size_t)n_rows, &se);
    //: $(N-1)(1 + 62/512)^{-128}$, [eq:L36.3.8.3.diag_closed_form]
    double closed = (N_TOK - 1) * pow(1.0 + 62.0 / 512.0, -128.0);
    check_mc("L36.3.8.3.diag_mass", mean_off, closed, se, 4, n_rows, "L36.3.8.3.diag_closed_form",
             "1 - mean diagonal weight of P (Q=K=V=x) vs (N-1)(1+62/512)^-128, rows of %d draws",
             n_inst);
    check_ge("L36.3.8.3.diag_mean_spec", 1 - mean_off, 0.999, 0, "L36.3.8.3.attention",
             "mean diagonal weight above the spec's 0.999 (attention is nearly the identity)");
    /* a maximum over 65536 entries is set by the few rows with the smallest ||x_i||: a
       property of the draw, reported, not checked (the mean behaviour is diag_mass above) */
    printf("# max |Y - x| over the draws: %.2e (the spec's single Python draw: 3.4e-3)\n", max_dev);
    free(x), free(y), free(yref), free(p), free(off);
    ad_arena_free(arena);
}

/*: ## Why divide by $\sqrt{d_k}$

For $q, k$ with independent standard normal entries, $q\cdot k$ is a sum of $d_k$ products of
variance 1:
$$ \mathrm{Var}(q\cdot k) = d_k,\qquad \mathrm{Var}\Big(\frac{q\cdot k}{\sqrt{d_k}}\Big) = 1 . $$ {#eq:L36.3.8.3.logit_var}
Without the scaling, logits of standard deviation 16 at $d_k = 256$ make the softmax almost
one-hot at initialisation, and its gradient almost zero. The Monte-Carlo estimate below uses
the mean of $z^2$ (the mean of $z$ is 0 by symmetry) with its standard error.
*/
static void section_scaling(const Cli *cli) {
    long n = cli_scale(cli, 2000, 20000, 200000);
    const int dims[3] = {16, 64, 256};
    double *z2 = xmalloc(sizeof(double) * (size_t)n), *z2s = xmalloc(sizeof(double) * (size_t)n);
    double q[256], k[256];
    for (int a = 0; a < 3; a++) {
        int d = dims[a];
        Rng rng;
        rng_init(&rng, cli->seed, 1000 + (uint64_t)d);
        for (long i = 0; i < n; i++) {
            rng_normal_fill(&rng, q, (size_t)d);
            rng_normal_fill(&rng, k, (size_t)d);
            double s = 0;
            for (int j = 0; j < d; j++) s += q[j] * k[j];
            z2[i] = s * s;
            //: $z = q\cdot k/\sqrt{d_k}$, [eq:L36.3.8.3.logit_var]
            z2s[i] = s * s / d;
        }
        double se, se_s, v = stats_mean_se(z2, (size_t)n, &se), vs = stats_mean_se(z2s, (size_t)n, &se_s);
        char id[64];
        snprintf(id, sizeof id, "L36.3.8.3.logit_var_unscaled_d%d", d);
        check_mc(id, v, d, se, 4, n, "L36.3.8.3.logit_var", "Var(q.k) = d_k = %d", d);
        snprintf(id, sizeof id, "L36.3.8.3.logit_var_scaled_d%d", d);
        check_mc(id, vs, 1.0, se_s, 4, n, "L36.3.8.3.logit_var", "Var(q.k / sqrt d_k) = 1 at d_k = %d", d);
    }
    free(z2), free(z2s);
}

/*: ## Permutation equivariance

Attention has no notion of position: reordering the tokens reorders the output the same way,
$\mathrm{Attn}(\Pi Q, \Pi K, \Pi V) = \Pi\,\mathrm{Attn}(Q, K, V)$, since
$\Pi Q K^\top \Pi^\top$ permutes rows and columns of the logits alike and the softmax works
row by row. The U-Net's attention block inherits this (GroupNorm's statistics, the 1x1
projections and the residual ignore the order of positions); the position information comes
from the convolutions around it.
$$ \mathrm{Block}(\Pi x) = \Pi\,\mathrm{Block}(x) $$ {#eq:L36.3.8.3.equivariance}
*/
static void permute_rows(const double *x, const int *perm, int n, int d, double *out) {
    for (int i = 0; i < n; i++) memcpy(out + (long)i * d, x + (long)perm[i] * d, sizeof(double) * d);
}

static void section_equivariance(const Cli *cli) {
    enum { NT = 32, DT = 16, CH = 16, HW = 8 };
    Rng rng;
    rng_init(&rng, cli->seed, 2000);
    AdArena *arena = ad_arena_new(1 << 20);
    double q[NT * DT], k[NT * DT], v[NT * DT], qp[NT * DT], kp[NT * DT], vp[NT * DT];
    double y[NT * DT], yp[NT * DT], py[NT * DT];
    int perm[HW * HW];
    rng_normal_fill(&rng, q, NT * DT), rng_normal_fill(&rng, k, NT * DT), rng_normal_fill(&rng, v, NT * DT);
    rng_permutation(&rng, perm, NT);
    permute_rows(q, perm, NT, DT, qp), permute_rows(k, perm, NT, DT, kp), permute_rows(v, perm, NT, DT, vp);
    attention_ad(arena, q, k, v, NT, DT, y);
    attention_ad(arena, qp, kp, vp, NT, DT, yp);
    permute_rows(y, perm, NT, DT, py);
    check_le("L36.3.8.3.perm_equivariance_op", stats_max_abs_diff(yp, py, NT * DT), 1e-13, 0,
             "L36.3.8.3.equivariance", "Attn(PQ, PK, PV) = P Attn(Q, K, V), 32 tokens, random P");

    NnAttnBlock blk;
    nn_attn_block_init(&blk, CH, 4, 0, AD_F64, &rng);
    double *xm = xmalloc(sizeof(double) * CH * HW * HW), *xmp = xmalloc(sizeof(double) * CH * HW * HW);
    rng_normal_fill(&rng, xm, CH * HW * HW);
    rng_permutation(&rng, perm, HW * HW);
    for (int c = 0; c < CH; c++)
        for (int s = 0; s < HW * HW; s++) xmp[c * HW * HW + s] = xm[c * HW * HW + perm[s]];
    AdTensor *o = nn_attn_block_forward(arena, &blk, ad_from_doubles(arena, AD_F64, 4, (int[]){1, CH, HW, HW}, xm));
    AdTensor *op = nn_attn_block_forward(arena, &blk, ad_from_doubles(arena, AD_F64, 4, (int[]){1, CH, HW, HW}, xmp));
    double err = 0;
    for (int c = 0; c < CH; c++)
        for (int s = 0; s < HW * HW; s++)
            err = fmax(err, fabs(ad_f64(op)[c * HW * HW + s] - ad_f64(o)[c * HW * HW + perm[s]]));
    check_le("L36.3.8.3.perm_equivariance_block", err, 1e-13, 0, "L36.3.8.3.equivariance",
             "U-Net attention block (GN, q/k/v, proj, residual; 16 ch, 8x8) commutes with a "
             "permutation of the 64 positions");
    free(xm), free(xmp);
    nn_attn_block_free(&blk);
    ad_arena_free(arena);
}

/*: ## The U-Net's attention block, and its heads

The block of `common/nn.h` (DDPM's `AttnBlock`) wraps the bare operation:
$$ h = \mathrm{GN}(x),\quad Q = hW_q + b_q,\ K = hW_k,\ V = hW_v + b_v,\quad
   y = x + \mathrm{Attn}(Q,K,V)\,W_o + b_o , $$ {#eq:L36.3.8.3.block}
tokens being the $HW$ positions with their $C$ channels. The lecture's code has none of
$\mathrm{GN}$, $W$, or the residual, and is single-head although the text says multi-head
(E26). With $h$ heads, $Q, K, V$ are split into $h$ column blocks of width $d_k = d/h$, each
block attends on its own (scale $1/\sqrt{d_k}$), and the outputs are concatenated. Below, the
batched version (one `ad_attention` call over a head axis) is checked against $h$ separate
plain loops.
*/
static void section_block_and_heads(const Cli *cli, double *p_block) {
    enum { CH = 16, HW = 8, T = HW * HW, G = 4 };
    Rng rng;
    rng_init(&rng, cli->seed, 3000);
    AdArena *arena = ad_arena_new(1 << 20);
    NnAttnBlock blk;
    nn_attn_block_init(&blk, CH, G, 0, AD_F64, &rng);
    for (int i = 0; i < CH; i++) {
        ad_f64(blk.q.bias)[i] = 0.3 * rng_normal(&rng), ad_f64(blk.v.bias)[i] = 0.3 * rng_normal(&rng);
        ad_f64(blk.proj.bias)[i] = 0.3 * rng_normal(&rng);
        ad_f64(blk.norm.weight)[i] = 1 + 0.3 * rng_normal(&rng), ad_f64(blk.norm.bias)[i] = 0.3 * rng_normal(&rng);
    }
    double x[CH * T], h[CH * T], tok[T * CH], q[T * CH], k[T * CH], v[T * CH], a[T * CH], ref[CH * T];
    rng_normal_fill(&rng, x, CH * T);
    AdTensor *y = nn_attn_block_forward(arena, &blk, ad_from_doubles(arena, AD_F64, 4, (int[]){1, CH, HW, HW}, x));
    //: plain composition of [eq:L36.3.8.3.block]: GN, then tokens $h_p \in \mathbb R^C$
    nn_ref_group_norm(x, CH, T, G, NN_REF_GROUPS_CONTIGUOUS, 0, ad_f64(blk.norm.weight),
                      ad_f64(blk.norm.bias), blk.norm.eps, h);
    for (int c = 0; c < CH; c++)
        for (int p = 0; p < T; p++) tok[p * CH + c] = h[c * T + p];
    const double *wq = ad_f64(blk.q.weight), *wk = ad_f64(blk.k.weight), *wv = ad_f64(blk.v.weight);
    const double *wo = ad_f64(blk.proj.weight);
    for (int p = 0; p < T; p++)
        for (int o = 0; o < CH; o++) {
            double sq = ad_f64(blk.q.bias)[o], sk = 0, sv = ad_f64(blk.v.bias)[o];
            for (int c = 0; c < CH; c++) {
                sq += tok[p * CH + c] * wq[c * CH + o];
                sk += tok[p * CH + c] * wk[c * CH + o];
                sv += tok[p * CH + c] * wv[c * CH + o];
            }
            q[p * CH + o] = sq, k[p * CH + o] = sk, v[p * CH + o] = sv;
        }
    nn_ref_attention(q, k, v, T, T, CH, CH, 1.0 / sqrt(CH), p_block, a);
    for (int p = 0; p < T; p++)
        for (int o = 0; o < CH; o++) {
            double s = ad_f64(blk.proj.bias)[o];
            for (int c = 0; c < CH; c++) s += a[p * CH + c] * wo[c * CH + o];
            ref[o * T + p] = x[o * T + p] + s;
        }
    check_le("L36.3.8.3.block_vs_naive", stats_max_abs_diff(ad_f64(y), ref, CH * T), 1e-12, 0,
             "L36.3.8.3.block", "nn_attn_block_forward vs GN + projections + attention + residual "
             "written as plain loops (16 ch, 8x8)");

    /* heads: (N, d) -> (N, h, dk) -> (h, N, dk), one batched call */
    Rng r2;
    rng_init(&r2, cli->seed, 3001);
    enum { NH = 48 };
    double *qq = xmalloc(sizeof(double) * NH * D_MODEL), *kk = xmalloc(sizeof(double) * NH * D_MODEL);
    double *vv = xmalloc(sizeof(double) * NH * D_MODEL);
    double *qs = xmalloc(sizeof(double) * NH * DK), *ks = xmalloc(sizeof(double) * NH * DK);
    double *vs = xmalloc(sizeof(double) * NH * DK), *ys = xmalloc(sizeof(double) * NH * DK);
    rng_normal_fill(&r2, qq, NH * D_MODEL), rng_normal_fill(&r2, kk, NH * D_MODEL), rng_normal_fill(&r2, vv, NH * D_MODEL);
    AdTensor *t3[3];
    double *src[3] = {qq, kk, vv};
    for (int j = 0; j < 3; j++)
        t3[j] = ad_swap_axes(arena, ad_from_doubles(arena, AD_F64, 3, (int[]){NH, HEADS, DK}, src[j]), 0, 1);
    AdTensor *yt = ad_swap_axes(arena, ad_attention(arena, t3[0], t3[1], t3[2]), 0, 1); /* (N,h,dk) */
    double err = 0;
    for (int hd = 0; hd < HEADS; hd++) {
        for (int i = 0; i < NH; i++)
            for (int c = 0; c < DK; c++) {
                qs[i * DK + c] = qq[i * D_MODEL + hd * DK + c];
                ks[i * DK + c] = kk[i * D_MODEL + hd * DK + c];
                vs[i * DK + c] = vv[i * D_MODEL + hd * DK + c];
            }
        nn_ref_attention(qs, ks, vs, NH, NH, DK, DK, 1.0 / sqrt(DK), NULL, ys);
        for (int i = 0; i < NH; i++)
            for (int c = 0; c < DK; c++)
                err = fmax(err, fabs(ad_f64(yt)[i * D_MODEL + hd * DK + c] - ys[i * DK + c]));
    }
    check_le("L36.3.8.3.multihead_vs_per_head", err, 1e-12, 0, "L36.3.8.3.attention",
             "4 heads of width 64 in one batched call = 4 single-head attentions, concatenated");
    free(qq), free(kk), free(vv), free(qs), free(ks), free(vs), free(ys);
    nn_attn_block_free(&blk);
    ad_arena_free(arena);
}

/*: ## Softmax: subtract the row maximum

$\mathrm{softmax}(s)_j = e^{s_j - m}/\sum_l e^{s_l - m}$ for any $m$; the lecture takes
$m = \max_l s_l$ so that no exponential exceeds 1. For moderate logits the naive form
($m = 0$) agrees to rounding; for logits beyond about 709 it overflows to $\infty/\infty$.
$$ \mathrm{softmax}(s) = \mathrm{softmax}(s - m\mathbf 1) $$ {#eq:L36.3.8.3.softmax_shift}
*/
static void section_softmax(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 4000);
    enum { K = 256 };
    double s[K], a[K], b[K], z = 0;
    for (int j = 0; j < K; j++) s[j] = 4 * rng_normal(&rng);
    softmax(s, a, K);
    //: naive $e^{s_j}/\sum_l e^{s_l}$, [eq:L36.3.8.3.softmax_shift] with $m = 0$
    for (int j = 0; j < K; j++) z += b[j] = exp(s[j]);
    for (int j = 0; j < K; j++) b[j] /= z;
    double rel = 0;
    for (int j = 0; j < K; j++) rel = fmax(rel, fabs(a[j] - b[j]) / a[j]);
    /* each route rounds K exponentials, a sum of K terms and a division: (K + 4) ulps at most */
    check_le("L36.3.8.3.stable_vs_naive_softmax", rel, (K + 4) * DBL_EPSILON, 0,
             "L36.3.8.3.softmax_shift",
             "stable (max subtracted) vs naive softmax, 256 logits of sd 4: max relative difference");
    double big[2] = {800, 799}, sb[2];
    softmax(big, sb, 2);
    double naive = exp(big[0]) / (exp(big[0]) + exp(big[1]));
    printf("# logits (800, 799): stable softmax (%.6f, %.6f); naive exp(800) = %g, so inf/inf is %s\n",
           sb[0], sb[1], exp(big[0]), isnan(naive) ? "NaN" : "a number");
}

/*: ## The backward pass

`ad_attention` is a composition of taped ops, so its gradient is theirs chained; the check
compares it, and the whole block's parameter gradients, with central finite differences of
$L = \sum r\odot y$ for a fixed random $r$.
*/
typedef struct {
    const double *r;
    const NnAttnBlock *blk;
    AdTensor *x;
} AttnCtx;

static AdTensor *op_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)np;
    const AttnCtx *c = vctx;
    AdTensor *y = ad_attention(arena, p[0], p[1], p[2]);
    return ad_sum(arena, ad_mul(arena, y, ad_from_doubles(arena, AD_F64, y->ndim, y->shape, c->r)));
}

static AdTensor *block_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)p, (void)np;
    const AttnCtx *c = vctx;
    AdTensor *y = nn_attn_block_forward(arena, c->blk, c->x);
    return ad_sum(arena, ad_mul(arena, y, ad_from_doubles(arena, AD_F64, y->ndim, y->shape, c->r)));
}

static void section_backward(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 5000);
    double r[2 * 16 * 16];
    rng_normal_fill(&rng, r, 2 * 16 * 16);
    AdTensor *p[3] = {ad_param_new(AD_F64, 3, (int[]){2, 5, 4}), ad_param_new(AD_F64, 3, (int[]){2, 6, 4}),
                      ad_param_new(AD_F64, 3, (int[]){2, 6, 3})};
    for (int j = 0; j < 3; j++) rng_normal_fill(&rng, ad_f64(p[j]), (size_t)p[j]->size);
    AttnCtx ctx = {r, NULL, NULL};
    check_le("L36.3.8.3.gradcheck_op", ad_gradcheck(op_loss, p, 3, &ctx, 1e-5), 1e-7, 0,
             "common.ad.attention", "ad_attention backward (q, k, v) vs central differences, max rel error");
    for (int j = 0; j < 3; j++) ad_tensor_free(p[j]);

    NnAttnBlock blk;
    nn_attn_block_init(&blk, 8, 2, 0, AD_F64, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_attn_block_params(&blk, "attn", &ps);
    for (int i = 0; i < ps.n; i++)
        for (long e = 0; e < ps.t[i]->size; e++) ad_set(ps.t[i], e, ad_get(ps.t[i], e) + 0.2 * rng_normal(&rng));
    AdArena *arena = ad_arena_new(1 << 16);
    double x[2 * 8 * 4 * 4];
    rng_normal_fill(&rng, x, 2 * 8 * 4 * 4);
    ctx.blk = &blk;
    ctx.x = ad_from_doubles(arena, AD_F64, 4, (int[]){2, 8, 4, 4}, x);
    check_le("L36.3.8.3.gradcheck_block", ad_gradcheck(block_loss, ps.t, ps.n, &ctx, 1e-5), 1e-6, 0,
             "L36.3.8.3.block", "attention block backward, all %ld parameters vs central differences",
             nn_params_numel(&ps));
    ad_arena_free(arena);
    nn_params_free(&ps);
    nn_attn_block_free(&blk);
}

static void figure(const Cli *cli, const double *p_lecture, const double *p_block) {
    enum { NF = 64 };
    double *lg = xmalloc(sizeof(double) * NF * NF), *pb = xmalloc(sizeof(double) * NF * NF);
    for (int i = 0; i < NF; i++)
        for (int j = 0; j < NF; j++) {
            lg[i * NF + j] = log10(fmax(p_lecture[i * N_TOK + j], 1e-300));
            pb[i * NF + j] = p_block[i * NF + j];
        }
    Plot *p = plot_new_grid(1, 2, 1200, 560, "L36 3.8.3: attention matrices P (query row i, key column j)");
    plot_panel(p, 0);
    plot_title(p, "lecture: Q=K=V=x, 256x256 (first 64): log10 P");
    plot_series_range(plot_heatmap(p, lg, NF, NF, 0, NF, 0, NF, "log10 P"), -12, 0);
    plot_xlabel(p, "key j");
    plot_ylabel(p, "query i");
    plot_panel(p, 1);
    plot_title(p, "U-Net block, random init, 8x8 map: P");
    plot_heatmap(p, pb, NF, NF, 0, NF, 0, NF, "P");
    plot_xlabel(p, "key j (position y*8+x)");
    plot_ylabel(p, "query i");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "attention.png"), err, sizeof err))
        fprintf(stderr, "warning: %s\n", err);
    plot_free(p);
    free(lg), free(pb);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.8.3: self-attention: lecture test, 1/sqrt(d) scaling, equivariance, block, heads",
              36, NULL);
    double *p_lecture = xmalloc(sizeof(double) * N_TOK * N_TOK), p_block[64 * 64];
    section_lecture_test(&cli, p_lecture);
    section_scaling(&cli);
    section_equivariance(&cli);
    section_block_and_heads(&cli, p_block);
    section_softmax(&cli);
    section_backward(&cli);
    figure(&cli, p_lecture, p_block);
    free(p_lecture);
    return check_end();
}
