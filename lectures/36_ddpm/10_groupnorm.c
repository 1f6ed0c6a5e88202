/*: # L36 3.8.2 — GroupNorm: the standard layer, the lecture's version, and what they keep

**Lecture 36, section 3.8.2** (GroupNorm, Wu & He 2018), with erratum E25.

BatchNorm normalises each channel over the batch, so a sample's output depends on the other
samples and the statistics are noisy for the small batches a diffusion U-Net trains with.
GroupNorm normalises each sample on its own: the $C$ channels are split into $G$ groups, and
every group of one sample is standardised over its channels and positions.

The lecture's code differs from the standard layer in two ways that change the numbers (E25):
it uses the unbiased variance ($n-1$), and Julia's column-major `reshape(x, G, C/G, N)` puts
channels $c$ and $c+G$ in the same group (strided) instead of contiguous blocks of $C/G$
channels. It also drops $\gamma, \beta$ and overwrites its input.

What you will see: the standard GroupNorm of `common/nn.h` (`ad_group_norm`) against a plain
double loop; on the lecture's test input (64 channels, 100 positions, $G = 32$) every group at
mean 0 and variance $\sigma^2/(\sigma^2+\epsilon)$, and the lecture's version at overall
std $\approx 0.99757$ (both against closed forms from the data); the two versions on a
4-number input where they give different answers (ERRATUM); invariance to a per-group affine
map of the input; $G = 1$ as LayerNorm and $G = C$ as InstanceNorm; independence of the other
samples in the batch; and the backward pass against finite differences.
Figure: `groupnorm.png` — an input with a per-channel offset, its contiguous and its strided
(lecture) normalisation, and the channel-to-group map of both.

Run: `make run L=36`, or `build/release/bin/lectures/36_ddpm/10_groupnorm [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $x$ | `x` | ($C$, $S$) one sample, or (N, $C$, $S$) |
| $C$, $S$, $G$ | `C`, `S`, `G` | 64, 100, 32 (the lecture's test) |
| $\mu_g, \sigma_g^2$ | `mean`, `var` (per group) | ($G$) |
| $\gamma, \beta$ | `gamma`, `beta` | ($C$) |
| $\epsilon$ | `EPS` | $10^{-5}$ |
| $y = \mathrm{GN}(x)$ | `y` | like $x$ |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/nn_ref.h"
#include "common/plot.h"
#include "common/stats.h"
#include "common/util.h"

enum { C = 64, S = 100, G = 32 };
static const double EPS = 1e-5;

/* The program's path: ad_group_norm of common/ad.h (through NnGroupNorm's op), in double, on a
   batch x (n, c, s). gamma, beta: (c) or NULL. */
static void gn_ad(const double *x, int n, int c, long s, int groups, const double *gamma,
                  const double *beta, double eps, double *y) {
    AdArena *arena = ad_arena_new(1 << 16);
    AdTensor *tx = ad_from_doubles(arena, AD_F64, 3, (int[]){n, c, (int)s}, x);
    AdTensor *tg = gamma ? ad_from_doubles(arena, AD_F64, 1, (int[]){c}, gamma) : NULL;
    AdTensor *tb = beta ? ad_from_doubles(arena, AD_F64, 1, (int[]){c}, beta) : NULL;
    AdTensor *ty = ad_group_norm(arena, tx, groups, tg, tb, eps);
    memcpy(y, ad_f64(ty), sizeof(double) * (size_t)ty->size);
    ad_arena_free(arena);
}

/*: ## 3.8.2 GroupNorm, standard and as the lecture codes it

For one sample and a group $g$ of $m = (C/G)\,S$ values,
$$ \mu_g = \frac1m\sum_{c\in g}\sum_s x_{cs},\qquad \sigma_g^2 = \frac1m\sum_{c\in g}\sum_s
   (x_{cs}-\mu_g)^2,\qquad y_{cs} = \gamma_c\,\frac{x_{cs}-\mu_g}{\sqrt{\sigma_g^2+\epsilon}} + \beta_c , $$ {#eq:L36.3.8.2.gn}
with contiguous groups, $g(c) = \lfloor c/(C/G)\rfloor$. The lecture's code divides by
$m - 1$ and groups by $g(c) = c \bmod G$ (E25).

Consequences on the lecture's test ($x \sim \mathcal N(0,1)^{64\times100}$, $G = 32$, so
$m = 200$): the standard layer leaves each group with mean 0 and (biased) variance exactly
$\sigma_g^2/(\sigma_g^2+\epsilon)$; the lecture's output has, per group, sum of squares
$(m-1)s_g^2/(s_g^2+\epsilon)$ with $s_g^2$ the unbiased variance, so the std that Julia prints
(corrected, over all 6400 values, whose mean is 0) is
$$ \mathrm{std} = \Big(\frac{1}{CS-1}\sum_g \frac{(m-1)\,s_g^2}{s_g^2+\epsilon}\Big)^{1/2}
   \approx \sqrt{\frac{32\cdot199}{6399}} = 0.99757 . $$ {#eq:L36.3.8.2.lecture_std}
*/
static void section_lecture_test(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    double *x = xmalloc(sizeof(double) * C * S), *y = xmalloc(sizeof(double) * C * S);
    double gamma[C], beta[C];
    rng_normal_fill(&rng, x, C * S);
    rng_normal_fill(&rng, gamma, C);
    rng_normal_fill(&rng, beta, C);

    //: $y = \gamma_c(x-\mu_g)/\sqrt{\sigma_g^2+\epsilon}+\beta_c$, [eq:L36.3.8.2.gn] (the program's path)
    gn_ad(x, 1, C, S, G, gamma, beta, EPS, y);
    double *ref = xmalloc(sizeof(double) * C * S);
    nn_ref_group_norm(x, C, S, G, NN_REF_GROUPS_CONTIGUOUS, 0, gamma, beta, EPS, ref);
    check_le("L36.3.8.2.ad_vs_reference", stats_max_abs_diff(y, ref, C * S), 1e-12, 0,
             "L36.3.8.2.gn", "ad_group_norm vs the plain double loop, random gamma, beta");

    gn_ad(x, 1, C, S, G, NULL, NULL, EPS, y);
    double max_mean = 0, max_var_err = 0, min_var = 1e9, max_var = 0;
    for (int g = 0; g < G; g++) {
        Welford in, out;
        welford_init(&in), welford_init(&out);
        for (int c = g * (C / G); c < (g + 1) * (C / G); c++)
            for (int s = 0; s < S; s++) welford_push(&in, x[c * S + s]), welford_push(&out, y[c * S + s]);
        double v_in = welford_var_pop(&in), v_out = welford_var_pop(&out);
        max_mean = fmax(max_mean, fabs(out.mean));
        max_var_err = fmax(max_var_err, fabs(v_out - v_in / (v_in + EPS)));
        min_var = fmin(min_var, v_out), max_var = fmax(max_var, v_out);
    }
    check_le("L36.3.8.2.group_mean", max_mean, 1e-12, 0, "L36.3.8.2.gn",
             "standard GN: max over the 32 groups of |mean|");
    check_le("L36.3.8.2.group_var", max_var_err, 1e-12, 0, "L36.3.8.2.gn",
             "standard GN: max over groups |biased var - sigma^2/(sigma^2+eps)|, sigma^2 of the input");
    printf("# standard GN: group variances in [%.7f, %.7f]\n", min_var, max_var);

    //: the lecture's version: strided groups, unbiased variance, in place, no $\gamma,\beta$
    double *xl = xmalloc(sizeof(double) * C * S);
    memcpy(xl, x, sizeof(double) * C * S);
    nn_ref_group_norm(xl, C, S, G, NN_REF_GROUPS_STRIDED, 1, NULL, NULL, EPS, xl);
    double mean_l, var_l;
    stats_mean_var(xl, C * S, &mean_l, &var_l);
    double closed = 0;
    for (int g = 0; g < G; g++) {
        Welford in;
        welford_init(&in);
        for (int c = g; c < C; c += G)
            for (int s = 0; s < S; s++) welford_push(&in, x[c * S + s]);
        double s2 = welford_var(&in);
        //: $(m-1)s_g^2/(s_g^2+\epsilon)$, [eq:L36.3.8.2.lecture_std]
        closed += (in.n - 1) * s2 / (s2 + EPS);
    }
    closed = sqrt(closed / (C * S - 1));
    printf("# lecture's version: mean %.3e, std %.10f (input overwritten: x[0] was %.6f, is %.6f)\n",
           mean_l, sqrt(var_l), x[0], xl[0]);
    check_close("L36.3.8.2.lecture_mean", mean_l, 0.0, 1e-12, "L36.3.8.2.lecture_std",
                "lecture's GN: overall mean of the output is 0");
    check_close("L36.3.8.2.lecture_std_closed_form", sqrt(var_l), closed, 1e-12,
                "L36.3.8.2.lecture_std", "lecture's GN: overall corrected std vs the closed form from the data");
    check_close("L36.3.8.2.lecture_std_spec", sqrt(var_l), 0.99757, 2e-4, "L36.3.8.2.lecture_std",
                "lecture's GN: overall std vs the spec's sqrt(32*199/6399) = 0.99757");
    double mean_s, var_s;
    stats_mean_var(y, C * S, &mean_s, &var_s);
    check_erratum("L36.3.8.2.E25_printed_std", sqrt(var_l), sqrt(var_s),
                  "E25: the std the lecture's test prints (unbiased, strided) vs the same "
                  "statistic of the standard GroupNorm output");
    free(x), free(y), free(ref), free(xl);
}

/*: ## E25 on four numbers

Take $C = 4$ channels, one position, $G = 2$, $\epsilon = 0$ and $x = (0, 1, 2, 3)$.
Standard: groups $\{0,1\}, \{2,3\}$, each with mean $\pm\tfrac12$ around its centre and biased
variance $\tfrac14$, so $y = (-1, 1, -1, 1)$. The lecture's code: groups $\{0,2\}, \{1,3\}$
(strided) with unbiased variance $2$, so $y = (-1, -1, 1, 1)/\sqrt2$. Different groups *and*
a different scale.
*/
static void section_e25(void) {
    const double x[4] = {0, 1, 2, 3};
    double y_std[4], y_lec[4];
    gn_ad(x, 1, 4, 1, 2, NULL, NULL, 0.0, y_std);
    nn_ref_group_norm(x, 4, 1, 2, NN_REF_GROUPS_STRIDED, 1, NULL, NULL, 0.0, y_lec);
    const double hand_std[4] = {-1, 1, -1, 1};
    const double r = 1.0 / sqrt(2.0), hand_lec[4] = {-r, -r, r, r};
    check_le("L36.3.8.2.hand_standard", stats_max_abs_diff(y_std, hand_std, 4), 1e-15, 0,
             "L36.3.8.2.gn", "standard GN of (0,1,2,3), G=2, eps=0 = (-1,1,-1,1)");
    check_le("L36.3.8.2.hand_lecture", stats_max_abs_diff(y_lec, hand_lec, 4), 1e-15, 0,
             "L36.3.8.2.gn", "lecture's GN of (0,1,2,3), G=2, eps=0 = (-1,-1,1,1)/sqrt 2");
    check_erratum("L36.3.8.2.E25_grouping", y_lec[1], y_std[1],
                  "E25: output of channel 1 for x = (0,1,2,3), G = 2: strided groups and n-1 "
                  "(lecture) vs contiguous groups and n (Wu & He, PyTorch)");

    /* the spec's larger demonstration: x[c][s] = c + N(0,1) noise, 64 x 100, G = 32 */
    Rng rng;
    rng_init(&rng, 36, 1);
    double *xo = xmalloc(sizeof(double) * C * S), *a = xmalloc(sizeof(double) * C * S),
           *b = xmalloc(sizeof(double) * C * S);
    for (int c = 0; c < C; c++)
        for (int s = 0; s < S; s++) xo[c * S + s] = c + rng_normal(&rng);
    gn_ad(xo, 1, C, S, G, NULL, NULL, EPS, a);
    nn_ref_group_norm(xo, C, S, G, NN_REF_GROUPS_STRIDED, 0, NULL, NULL, EPS, b);
    check_ge("L36.3.8.2.grouping_matters", stats_max_abs_diff(a, b, C * S), 0.1, 0,
             "L36.3.8.2.gn", "input x[c] = c + noise: contiguous and strided outputs (both biased) "
             "differ by more than 0.1");
    free(xo), free(a), free(b);
}

/*: ## What GroupNorm does not see

Within a group, an affine map $x \mapsto a x + b$ ($a > 0$) moves $\mu_g$ to $a\mu_g + b$ and
$\sigma_g^2$ to $a^2\sigma_g^2$, so
$$ \mathrm{GN}_\epsilon(a x + b) = \mathrm{GN}_{\epsilon/a^2}(x) , $$ {#eq:L36.3.8.2.affine}
exactly invariant when $\epsilon = 0$ (and $a$, $b$ may differ from group to group). Two
special cases name other layers: $G = 1$ normalises the whole sample (**LayerNorm** over
$C\times S$) and $G = C$ each channel on its own (**InstanceNorm**). And the statistics never
mix samples: changing the rest of the batch leaves a sample's output unchanged, unlike
BatchNorm.
*/
static void section_invariances(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 2);
    enum { CS = 8, SS = 12, GS = 4 };
    double x[CS * SS], xa[CS * SS], y0[CS * SS], y1[CS * SS], a[GS], b[GS];
    rng_normal_fill(&rng, x, CS * SS);
    for (int g = 0; g < GS; g++) a[g] = rng_uniform_range(&rng, 0.5, 3.0), b[g] = 3 * rng_normal(&rng);
    for (int c = 0; c < CS; c++)
        for (int s = 0; s < SS; s++) xa[c * SS + s] = a[c / (CS / GS)] * x[c * SS + s] + b[c / (CS / GS)];
    gn_ad(x, 1, CS, SS, GS, NULL, NULL, 0.0, y0);
    gn_ad(xa, 1, CS, SS, GS, NULL, NULL, 0.0, y1);
    check_le("L36.3.8.2.group_affine_invariance", stats_max_abs_diff(y0, y1, CS * SS), 1e-13, 0,
             "L36.3.8.2.affine", "GN(a_g x + b_g) = GN(x), eps = 0, a_g in [0.5,3], b_g ~ N(0,9) per group");
    for (int i = 0; i < CS * SS; i++) xa[i] = 3 * x[i] + 2;
    //: $\mathrm{GN}_\epsilon(3x+2) = \mathrm{GN}_{\epsilon/9}(x)$, [eq:L36.3.8.2.affine]
    gn_ad(xa, 1, CS, SS, GS, NULL, NULL, EPS, y1);
    gn_ad(x, 1, CS, SS, GS, NULL, NULL, EPS / 9, y0);
    check_le("L36.3.8.2.affine_eps", stats_max_abs_diff(y0, y1, CS * SS), 1e-13, 0,
             "L36.3.8.2.affine", "GN_eps(3x + 2) = GN_{eps/9}(x) with eps = 1e-5");

    /* G = 1: LayerNorm over the whole sample, by Welford here */
    Welford w;
    welford_init(&w);
    for (int i = 0; i < CS * SS; i++) welford_push(&w, x[i]);
    double ln[CS * SS], in_[CS * SS];
    for (int i = 0; i < CS * SS; i++) ln[i] = (x[i] - w.mean) / sqrt(welford_var_pop(&w) + EPS);
    gn_ad(x, 1, CS, SS, 1, NULL, NULL, EPS, y0);
    check_le("L36.3.8.2.g1_is_layernorm", stats_max_abs_diff(y0, ln, CS * SS), 1e-13, 0,
             "L36.3.8.2.gn", "G = 1 equals LayerNorm over all C x S values of the sample");
    for (int c = 0; c < CS; c++) {
        welford_init(&w);
        for (int s = 0; s < SS; s++) welford_push(&w, x[c * SS + s]);
        for (int s = 0; s < SS; s++)
            in_[c * SS + s] = (x[c * SS + s] - w.mean) / sqrt(welford_var_pop(&w) + EPS);
    }
    gn_ad(x, 1, CS, SS, CS, NULL, NULL, EPS, y0);
    check_le("L36.3.8.2.gc_is_instancenorm", stats_max_abs_diff(y0, in_, CS * SS), 1e-13, 0,
             "L36.3.8.2.gn", "G = C equals InstanceNorm (each channel over its positions)");

    /* batch independence: sample 1 of 3, with samples 0 and 2 redrawn */
    enum { NB = 3 };
    double xb[NB * CS * SS], yb0[NB * CS * SS], yb1[NB * CS * SS];
    rng_normal_fill(&rng, xb, NB * CS * SS);
    gn_ad(xb, NB, CS, SS, GS, NULL, NULL, EPS, yb0);
    for (int i = 0; i < CS * SS; i++) {
        xb[i] = 10 * rng_normal(&rng) + 5;
        xb[2 * CS * SS + i] = -7 * rng_normal(&rng);
    }
    gn_ad(xb, NB, CS, SS, GS, NULL, NULL, EPS, yb1);
    check_close("L36.3.8.2.batch_independence",
                stats_max_abs_diff(yb0 + CS * SS, yb1 + CS * SS, CS * SS), 0.0, 0, "L36.3.8.2.gn",
                "sample 1's output is bitwise unchanged when samples 0 and 2 are redrawn");
}

/*: ## The backward pass

Training needs $\partial L/\partial x$, $\partial L/\partial\gamma$, $\partial L/\partial\beta$.
`ad_group_norm` implements the closed-form vector-Jacobian product of
`common/ad_norm.c` (the two subtracted means are the paths through $\mu_g$ and
$\sigma_g^2$); here it is compared with central finite differences of
$L = \sum r\odot\mathrm{GN}(x)$ for a fixed random $r$ (a plain sum would be blind to the
centring, whose gradient sums to zero over a group).
*/
typedef struct {
    const double *r;
    int groups;
} GnCtx;

static AdTensor *gn_loss(AdArena *arena, AdTensor **p, int np, void *vctx) {
    (void)np;
    const GnCtx *c = vctx;
    AdTensor *y = ad_group_norm(arena, p[0], c->groups, p[1], p[2], EPS);
    AdTensor *r = ad_from_doubles(arena, AD_F64, y->ndim, y->shape, c->r);
    return ad_sum(arena, ad_mul(arena, y, r));
}

static void section_backward(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 3);
    enum { NB = 2, CB = 6, SB = 5, GB = 3 };
    AdTensor *p[3] = {ad_param_new(AD_F64, 3, (int[]){NB, CB, SB}),
                      ad_param_new(AD_F64, 1, (int[]){CB}), ad_param_new(AD_F64, 1, (int[]){CB})};
    for (int k = 0; k < 3; k++) rng_normal_fill(&rng, ad_f64(p[k]), (size_t)p[k]->size);
    double r[NB * CB * SB];
    rng_normal_fill(&rng, r, NB * CB * SB);
    GnCtx ctx = {r, GB};
    double err = ad_gradcheck(gn_loss, p, 3, &ctx, 1e-5);
    check_le("L36.3.8.2.gradcheck", err, 1e-7, 0, "common.ad.group_norm_grad",
             "GN backward (x, gamma, beta; 2x6x5, G=3) vs central differences h=1e-5, max rel error");
    for (int k = 0; k < 3; k++) ad_tensor_free(p[k]);
}

static void figure(const Cli *cli) {
    enum { CF = 16, SF = 40, GF = 4 };
    Rng rng;
    rng_init(&rng, 36, 4);
    double x[CF * SF], yc[CF * SF], ys[CF * SF], map[CF * 2];
    for (int c = 0; c < CF; c++)
        for (int s = 0; s < SF; s++) x[c * SF + s] = 0.5 * c + rng_normal(&rng);
    gn_ad(x, 1, CF, SF, GF, NULL, NULL, EPS, yc);
    nn_ref_group_norm(x, CF, SF, GF, NN_REF_GROUPS_STRIDED, 1, NULL, NULL, EPS, ys);
    for (int c = 0; c < CF; c++) {
        map[c * 2 + 0] = nn_ref_group_of(c, CF, GF, NN_REF_GROUPS_CONTIGUOUS);
        map[c * 2 + 1] = nn_ref_group_of(c, CF, GF, NN_REF_GROUPS_STRIDED);
    }
    Plot *p = plot_new_grid(1, 4, 1700, 520,
                            "L36 3.8.2: GroupNorm of x[c,s] = c/2 + noise, 16 channels, G = 4");
    const char *titles[3] = {"input", "standard: contiguous groups, n",
                             "lecture: strided groups, n-1"};
    const double *vals[3] = {x, yc, ys};
    for (int k = 0; k < 3; k++) {
        plot_panel(p, k);
        plot_title(p, titles[k]);
        PlotSeries *h = plot_heatmap(p, vals[k], SF, CF, 0, SF, 0, CF, "value");
        if (k) plot_series_range(h, -2.5, 2.5);
        plot_xlabel(p, "position s");
        plot_ylabel(p, "channel c");
    }
    plot_panel(p, 3);
    plot_title(p, "group of each channel: contiguous | strided");
    plot_heatmap(p, map, 2, CF, 0, 2, 0, CF, "group");
    plot_xlabel(p, "grouping");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "groupnorm.png"), err, sizeof err))
        fprintf(stderr, "warning: %s\n", err);
    plot_free(p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.8.2: GroupNorm, standard vs the lecture's strided/unbiased version (E25)", 36,
              NULL);
    section_lecture_test(&cli);
    section_e25();
    section_invariances(&cli);
    section_backward(&cli);
    figure(&cli);
    return check_end();
}
