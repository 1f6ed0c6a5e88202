/*: # L36 3.8.1 — The sinusoidal time embedding, in the code's convention and the formula's

**Lecture 36, section 3.8.1** (time embedding of the DDPM U-Net), with errata E22 and E23.

The noise predictor $\varepsilon_\theta(x_t, t)$ must know the step $t$. DDPM does not feed the
integer $t$ to the network; it feeds a vector of sines and cosines of $t$ at geometrically
spaced frequencies, then a small MLP. The lecture states the transformer formula (sines and
cosines *interleaved*, $\omega_i = 10000^{-2i/d}$) but its code does something else (all sines
first, then all cosines, $\omega_k = 10000^{-k/(d/2-1)}$): E23. Both are fine embeddings; they
are different vectors, and this program shows exactly how they relate.

What you will see: the code's embedding at $t = 500$, $d = 128$ against the spec's reference
values; the formula's interleaved embedding (the one `common/nn.h` uses) likewise; the two
related by a fixed permutation once the frequencies agree, and the frequencies themselves
differing (E23, as an ERRATUM line); $\lVert e(t)\rVert^2 = d/2$ for every $t$; the dot product
$\langle e(t), e(t')\rangle$ depending only on $t - t'$, against its closed form; the shift
$t \to t + \Delta$ as a rotation that does not depend on $t$; and the time MLP's sizes and
parameter count (E22: the lecture puts the factor 4 in the wrong place).
Figure: `time_embedding.png` — both embeddings as heat maps (step $t$ vs coordinate) and the
normalised dot product $\langle e(0), e(\Delta)\rangle/(d/2)$.

Run: `make run L=36`, or `build/release/bin/lectures/36_ddpm/09_time_embedding [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $t$ | `t` | scalar |
| $d$ | `D_EMB` | 128 |
| $\omega_k$ (code) | `omega_code` | ($d/2$) |
| $\omega_i$ (formula) | `omega_formula` | ($d/2$) |
| $e(t)$ (code: sines, then cosines) | `emb` | ($d$) |
| $\mathrm{PE}(t)$ (formula: interleaved) | `pe` | ($d$) |
| $\Delta$ | `delta` | scalar |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/nn.h"
#include "common/plot.h"
#include "common/util.h"

enum { D_EMB = 128, HALF = D_EMB / 2, T_MAX = 1000 };

typedef enum { FREQ_CODE, FREQ_FORMULA } FreqRule;

/*: ## 3.8.1 The two conventions

The lecture's displayed formula (Vaswani et al. 2017) interleaves:
$$ \mathrm{PE}(t, 2i) = \sin(\omega_i t),\quad \mathrm{PE}(t, 2i+1) = \cos(\omega_i t),\quad
   \omega_i = 10000^{-2i/d},\ i = 0,\dots,d/2-1 . $$ {#eq:L36.3.8.1.pe_formula}
Its code (the DDPM / tensor2tensor convention) concatenates, with frequencies spaced so that
the last one is exactly $10^{-4}$:
$$ e(t) = \big[\sin(\omega_0 t), \dots, \sin(\omega_{d/2-1} t),\ \cos(\omega_0 t), \dots,
   \cos(\omega_{d/2-1} t)\big],\quad \omega_k = e^{-k \ln(10000)/(d/2-1)} . $$ {#eq:L36.3.8.1.emb_code}
The first frequencies agree ($\omega_0 = 1$), the rest differ by the factor
$\omega_k^\text{code}/\omega_k^\text{formula} = 10000^{-k/((d/2)(d/2-1))}$, down to
$10^{-4}$ vs $1.1548\cdot10^{-4}$ at the end. The interleaved formula is what
`nn_time_embedding_values` of `common/nn.h` computes (the course's U-Net uses it).
*/
static double omega(int k, FreqRule rule) {
    //: $\omega_k = e^{-k\ln 10000/(d/2-1)}$, [eq:L36.3.8.1.emb_code]
    if (rule == FREQ_CODE) return exp(-k * log(10000.0) / (HALF - 1));
    //: $\omega_i = 10000^{-2i/d}$, [eq:L36.3.8.1.pe_formula]
    return exp(-2.0 * k * log(10000.0) / D_EMB);
}

/* The concatenated layout [sin; cos] of eq. L36.3.8.1.emb_code, with either frequency rule. */
static void embed_concat(double t, FreqRule rule, double *emb) {
    for (int k = 0; k < HALF; k++) {
        //: $e_k = \sin\omega_k t$, $e_{d/2+k} = \cos\omega_k t$
        emb[k] = sin(omega(k, rule) * t);
        emb[HALF + k] = cos(omega(k, rule) * t);
    }
}

static void section_conventions(void) {
    double emb[D_EMB], pe[D_EMB];
    embed_concat(500.0, FREQ_CODE, emb);
    printf("# the lecture's test: t = 500, d = %d -> embedding length %d\n", D_EMB, D_EMB);
    /* reference values of the spec (L36a, 3.8.1), computed there in Python double */
    const int idx[6] = {0, 1, 63, 64, 65, 127};
    const double ref[6] = {-0.4677718053, -0.9996816175, 0.0499791693,
                           -0.8838492734, 0.0252321952, 0.9987502604};
    for (int j = 0; j < 6; j++) {
        char id[64];
        snprintf(id, sizeof id, "L36.3.8.1.emb_code_%d", idx[j]);
        check_close(id, emb[idx[j]], ref[j], 1e-9, "L36.3.8.1.emb_code",
                    "code convention e(500)[%d] vs the spec's reference value", idx[j]);
    }
    check_close("L36.3.8.1.omega_last_code", omega(HALF - 1, FREQ_CODE), 1e-4, 1e-18,
                "L36.3.8.1.emb_code", "code: the last frequency is exactly 10^-4");
    check_close("L36.3.8.1.omega_last_formula", omega(HALF - 1, FREQ_FORMULA), 1.154782e-4,
                1e-10, "L36.3.8.1.pe_formula",
                "formula: the last frequency 10000^(-126/128) vs the spec's 1.154782e-4");

    nn_time_embedding_values(500.0, D_EMB, pe);
    const int pidx[6] = {0, 1, 2, 3, 126, 127};
    const double pref[6] = {-0.4677718, -0.8838493, -0.5291721, 0.8485145, 0.0577070, 0.9983336};
    for (int j = 0; j < 6; j++) {
        char id[64];
        snprintf(id, sizeof id, "L36.3.8.1.pe_formula_%d", pidx[j]);
        check_close(id, pe[pidx[j]], pref[j], 1e-7, "L36.3.8.1.pe_formula",
                    "formula convention (common/nn.h) PE(500)[%d] vs the spec's reference",
                    pidx[j]);
    }
    check_erratum("L36.3.8.1.E23_code_vs_formula", pe[1], emb[1],
                  "E23: coordinate 1 at t=500 is cos(500) by the displayed formula but "
                  "sin(omega_1 500) in the lecture's code; the two vectors differ from index 1 on");
    check_erratum("L36.3.8.1.E23_last_frequency", omega(HALF - 1, FREQ_FORMULA),
                  omega(HALF - 1, FREQ_CODE),
                  "E23: the formula's slowest frequency 10000^(-2(d/2-1)/d) vs the code's 1e-4");
}

/*: ## The relation: a permutation, once the frequencies agree

Write $P$ for the permutation that sends coordinate $k$ of the concatenated layout to $2k$ and
coordinate $d/2 + k$ to $2k+1$. With the *same* frequencies,
$$ \mathrm{PE}(t) = P\,e(t) \quad\text{for every } t , $$ {#eq:L36.3.8.1.permutation}
so a Linear layer that follows can absorb the layout exactly ($W \to P^\top W$). What cannot
be absorbed by a permutation is the change of frequencies: with $\omega^\text{code}$ the
concatenated vector is not a permutation of the formula's vector (their sorted coordinates
differ). The check compares the interleaved `common/nn.h` embedding (one implementation) with
the permuted concatenated one of this file (another) at many $t$.
*/
static void section_permutation(void) {
    double emb[D_EMB], pe[D_EMB], err = 0, diff_code = 0;
    for (int t = 0; t <= T_MAX; t += 7) {
        embed_concat(t, FREQ_FORMULA, emb);
        nn_time_embedding_values(t, D_EMB, pe);
        //: $\mathrm{PE}_{2k} = e_k$, $\mathrm{PE}_{2k+1} = e_{d/2+k}$, [eq:L36.3.8.1.permutation]
        for (int k = 0; k < HALF; k++)
            err = fmax(err, fmax(fabs(pe[2 * k] - emb[k]), fabs(pe[2 * k + 1] - emb[HALF + k])));
        embed_concat(t, FREQ_CODE, emb);
        for (int k = 0; k < HALF; k++)
            diff_code = fmax(diff_code, fabs(pe[2 * k] - emb[k]));
    }
    check_le("L36.3.8.1.permutation", err, 1e-12, 0, "L36.3.8.1.permutation",
             "interleaved (common/nn.h) = P * concatenated, same frequencies, t = 0..1000 step 7");
    printf("# with the code's frequencies instead, max |PE_2k - e_k| over the same t = %.3f "
           "(not a permutation)\n", diff_code);
    check_ge("L36.3.8.1.frequencies_matter", diff_code, 0.1, 0, "L36.3.8.1.emb_code",
             "code-frequency sines differ from the formula's by more than 0.1 somewhere");
}

/*: ## Norm and relative position

Each frequency contributes one $(\sin, \cos)$ pair, so
$$ \lVert e(t)\rVert^2 = \sum_{k} \big(\sin^2\omega_k t + \cos^2\omega_k t\big) = d/2 , $$ {#eq:L36.3.8.1.norm}
and for two steps, by $\sin a\sin b + \cos a\cos b = \cos(a-b)$,
$$ \langle e(t), e(t')\rangle = \sum_{k=0}^{d/2-1} \cos\big(\omega_k (t - t')\big) , $$ {#eq:L36.3.8.1.dot_shift}
a function of $t - t'$ only. Stronger: the shift by $\Delta$ is a rotation of each pair by the
angle $\omega_k\Delta$, the same matrix for every $t$:
$$ \begin{pmatrix} e_k(t+\Delta) \\ e_{d/2+k}(t+\Delta)\end{pmatrix} =
   \begin{pmatrix} \cos\omega_k\Delta & \sin\omega_k\Delta \\ -\sin\omega_k\Delta & \cos\omega_k\Delta \end{pmatrix}
   \begin{pmatrix} e_k(t) \\ e_{d/2+k}(t)\end{pmatrix} . $$ {#eq:L36.3.8.1.rotation}
This is why a linear layer can read off relative time from the embedding.
*/
static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double dot_closed_form(double delta) {
    double s = 0;
    //: $\sum_k \cos(\omega_k(t-t'))$, [eq:L36.3.8.1.dot_shift]
    for (int k = 0; k < HALF; k++) s += cos(omega(k, FREQ_CODE) * delta);
    return s;
}

static void rotate(const double *e, double delta, double *out) {
    for (int k = 0; k < HALF; k++) {
        double c = cos(omega(k, FREQ_CODE) * delta), s = sin(omega(k, FREQ_CODE) * delta);
        //: rotation of pair $k$ by $\omega_k\Delta$, [eq:L36.3.8.1.rotation]
        out[k] = c * e[k] + s * e[HALF + k];
        out[HALF + k] = -s * e[k] + c * e[HALF + k];
    }
}

static void section_relative_position(void) {
    double a[D_EMB], b[D_EMB], r[D_EMB], norm_err = 0;
    for (int t = 0; t <= T_MAX; t++) {
        embed_concat(t, FREQ_CODE, a);
        //: $\lVert e(t)\rVert^2 = d/2$, [eq:L36.3.8.1.norm]
        norm_err = fmax(norm_err, fabs(dot(a, a, D_EMB) - HALF));
    }
    check_le("L36.3.8.1.norm2", norm_err, 1e-12, 0, "L36.3.8.1.norm",
             "max over t = 0..1000 of | ||e(t)||^2 - 64 |");
    const int pairs[3][2] = {{500, 510}, {100, 110}, {0, 250}};
    double dots[3];
    for (int j = 0; j < 3; j++) {
        embed_concat(pairs[j][0], FREQ_CODE, a);
        embed_concat(pairs[j][1], FREQ_CODE, b);
        dots[j] = dot(a, b, D_EMB);
        char id[64];
        snprintf(id, sizeof id, "L36.3.8.1.dot_%d_%d", pairs[j][0], pairs[j][1]);
        check_close(id, dots[j], dot_closed_form(pairs[j][1] - pairs[j][0]), 1e-11,
                    "L36.3.8.1.dot_shift", "<e(%d), e(%d)> vs sum_k cos(omega_k (t-t'))",
                    pairs[j][0], pairs[j][1]);
    }
    check_close("L36.3.8.1.shift_invariance", dots[0], dots[1], 1e-11, "L36.3.8.1.dot_shift",
                "<e(500), e(510)> = <e(100), e(110)>: depends on t - t' only");
    double rot_err = 0;
    for (int t = 0; t <= 900; t += 37) {
        embed_concat(t, FREQ_CODE, a);
        embed_concat(t + 123, FREQ_CODE, b);
        rotate(a, 123.0, r);
        for (int i = 0; i < D_EMB; i++) rot_err = fmax(rot_err, fabs(r[i] - b[i]));
    }
    check_le("L36.3.8.1.shift_is_rotation", rot_err, 1e-12, 0, "L36.3.8.1.rotation",
             "R(123) e(t) = e(t + 123) with one rotation R for all t = 0, 37, ..., 888");
}

/*: ## Into the network: the time MLP (E22)

In DDPM (Ho et al. 2020, their CIFAR-10 model with base width $\mathrm{ch} = 128$) the
sinusoid has $d = \mathrm{ch}$ coordinates, then
$\mathrm{temb} = W_1\,\mathrm{SiLU}(W_0 e(t) + b_0) + b_1$ maps $\mathrm{ch} \to 4\,\mathrm{ch}
\to 4\,\mathrm{ch}$, and each residual block adds its own projection
$\mathrm{SiLU}(\mathrm{temb})\,W_t + b_t$ ($4\,\mathrm{ch} \to C_\text{block}$) to its feature
map (program 12). The lecture says "$d$ is usually $d_\text{model}\times 4$" (E22): the factor
4 is the MLP's width, not the sinusoid's. Parameter count of the MLP:
$$ N_\text{MLP} = (d\cdot 4d + 4d) + (4d\cdot 4d + 4d) . $$ {#eq:L36.3.8.1.mlp_count}
*/
static void section_time_mlp(const Cli *cli) {
    Rng rng;
    rng_init(&rng, cli->seed, 0);
    NnLinear dense0, dense1;
    nn_linear_init(&dense0, D_EMB, 4 * D_EMB, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_linear_init(&dense1, 4 * D_EMB, 4 * D_EMB, 1, AD_F64, NN_INIT_GLOROT_UNIFORM, &rng);
    NnParams ps;
    nn_params_init(&ps);
    nn_linear_params(&dense0, "temb.0", &ps);
    nn_linear_params(&dense1, "temb.1", &ps);
    //: $N_\text{MLP}$, [eq:L36.3.8.1.mlp_count]
    long closed = (long)D_EMB * 4 * D_EMB + 4 * D_EMB + 4L * D_EMB * 4 * D_EMB + 4 * D_EMB;
    check_close("L36.3.8.1.mlp_param_count", (double)nn_params_numel(&ps), (double)closed, 0,
                "L36.3.8.1.mlp_count", "time MLP 128 -> 512 -> 512: parameters vs closed form");
    AdArena *arena = ad_arena_new(1 << 20);
    double t[2] = {10, 900};
    AdTensor *e = nn_time_embedding(arena, AD_F64, t, 2, D_EMB);
    AdTensor *h = nn_linear_forward(arena, &dense1,
                                    ad_silu(arena, nn_linear_forward(arena, &dense0, e)));
    printf("# temb for t = 10, 900: shape (%d, %d)\n", h->shape[0], h->shape[1]);
    check_true("L36.3.8.1.mlp_shape", h->ndim == 2 && h->shape[0] == 2 && h->shape[1] == 4 * D_EMB,
               "two time steps through the MLP give a (2, 512) embedding");
    check_erratum("L36.3.8.1.E22_sinusoid_width", 4.0 * D_EMB, D_EMB,
                  "E22: the sinusoid width in DDPM is the base channel count ch (128), "
                  "4 ch = 512 is the MLP's width");
    ad_arena_free(arena);
    nn_params_free(&ps);
    nn_linear_free(&dense0);
    nn_linear_free(&dense1);
}

static void figure(const Cli *cli) {
    enum { NT = T_MAX + 1, ND = 2 * T_MAX + 1 };
    double *code = xmalloc(sizeof(double) * NT * D_EMB), *form = xmalloc(sizeof(double) * NT * D_EMB);
    for (int t = 0; t < NT; t++) {
        embed_concat(t, FREQ_CODE, code + (long)t * D_EMB);
        nn_time_embedding_values(t, D_EMB, form + (long)t * D_EMB);
    }
    double dx[ND], dcode[ND], dform[ND];
    for (int j = 0; j < ND; j++) {
        dx[j] = j - T_MAX;
        dcode[j] = dot_closed_form(dx[j]) / HALF;
        double s = 0;
        for (int k = 0; k < HALF; k++) s += cos(omega(k, FREQ_FORMULA) * dx[j]);
        dform[j] = s / HALF;
    }
    Plot *p = plot_new_grid(1, 3, 1500, 520, "L36 3.8.1: sinusoidal time embedding, d = 128");
    plot_panel(p, 0);
    plot_title(p, "code: [sin | cos], omega_k = 1e4^(-k/63)");
    plot_heatmap(p, code, D_EMB, NT, 0, D_EMB, 0, T_MAX, "value");
    plot_xlabel(p, "coordinate");
    plot_ylabel(p, "step t");
    plot_panel(p, 1);
    plot_title(p, "formula: interleaved, omega_i = 1e4^(-2i/128)");
    plot_heatmap(p, form, D_EMB, NT, 0, D_EMB, 0, T_MAX, "value");
    plot_xlabel(p, "coordinate");
    plot_ylabel(p, "step t");
    plot_panel(p, 2);
    plot_title(p, "<e(t), e(t + Delta)> / (d/2)");
    plot_series_color(plot_line(p, dx, dcode, ND, "code frequencies"), PLOT_BLUE);
    plot_series_color(plot_line(p, dx, dform, ND, "formula frequencies"), PLOT_RED);
    plot_xlabel(p, "Delta");
    char err[256];
    if (plot_save(p, cli_out_path(cli, "time_embedding.png"), err, sizeof err))
        fprintf(stderr, "warning: %s\n", err);
    plot_free(p);
    free(code);
    free(form);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 3.8.1: sinusoidal time embedding, code vs formula convention (E22, E23)", 36,
              NULL);
    section_conventions();
    section_permutation();
    section_relative_position();
    section_time_mlp(&cli);
    figure(&cli);
    return check_end();
}
