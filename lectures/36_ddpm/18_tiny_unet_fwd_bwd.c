/*: # L36 4.2.2 — The Tiny U-Net: time embedding, shapes, parameters, cost, gradients, attention

**Lecture 36, part 2, section 4.2.2** (the simplified U-Net `create_tiny_unet(d_model=64,
t_emb_dim=128)` and its sinusoidal time embedding) and the section's details block (the "full"
U-Net's identity-Q/K/V self-attention). The network lives in `common/tiny_unet.h`; program 20
trains it as a DDPM noise predictor.

What you will see: the time embedding's values at $t = 500$ and $t = 1$ and its frequencies; every
intermediate shape of a forward pass through the lecture's network ($d = 64$, 28×28); the
parameter count per layer and in total (584,449, not the lecture's "500K") with the closed form,
and the multiply-adds per image (95,733,760) counted from the tensors; the 49,344 parameters that
the lecture's layout never uses (gradient exactly 0, erratum A6) and the time-bias semantics
(changing them changes nothing, changing $t$ changes the output); GroupNorm's statistics; a
finite-difference check of the gradient of every parameter tensor and of the input in double; the
float32 forward against the float64 one; and the identity-Q/K/V multi-head attention of the
details block (constant input gives $2x$, permutation equivariance, heads = 1 vs heads = $C$, the
16× cost of 28×28 over 14×14). No figure: the numbers are the content.

ERRATUM lines: A5 (embedding convention), A6 (parameter count and unused time outputs), A7 (the
attention's resolution).

Run: `build/release/bin/lectures/36_ddpm/18_tiny_unet_fwd_bwd [--quick] [--out DIR]`.

| symbol | C name | shape |
|---|---|---|
| $\mathrm{emb}(t)$ | `emb` | (128) |
| $\omega_k$ | `omega` | (64) |
| $x$ (input image) | `x` | (N, 1, 28, 28) |
| $\tau$ (time MLP output) | `trace.temb` | (N, 256) |
| $h_1, h_2$, bottleneck, concat, dec1 | `trace.h1`, `trace.h2`, `trace.mid`, `trace.cat`, `trace.dec` | NCHW |
| $\hat\epsilon_\theta(x, t)$ | `trace.out` | (N, 1, 28, 28) |
| $\theta$ | `TinyUNet` (`net`) | 584,449 |
| $X$ (attention tokens) | `x` | (HW, C) |
| $S_h = Q_hK_h^\top/\sqrt{d_h}$, $A_h = \mathrm{softmax}(S_h)$ | `row` | (HW) per query |
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/data.h"
#include "common/tiny_unet.h"
#include "common/tiny_unet_probe.h"
#include "common/util.h"

/*: ## 4.2.2 The sinusoidal time embedding (the code's convention)

With $h = d_e/2 = 64$ and $c = \ln 10000/(h-1)$, [eq:common.tiny_unet.time_embedding]:
$$ \omega_k = e^{-ck},\qquad \mathrm{emb}(t) = [\sin t\omega_0..\sin t\omega_{63},\ \cos t\omega_0..\cos t\omega_{63}] $$ {#eq:L36.4.2.2.embedding}
so $\omega_0 = 1$ and $\omega_{63} = 10^{-4}$ exactly, and each (sin, cos) pair has unit norm,
$\lVert\mathrm{emb}(t)\rVert^2 = 64$. The frequencies are read back from the embedding itself:
$\omega_k = \operatorname{atan2}(\mathrm{emb}(1)_k, \mathrm{emb}(1)_{64+k})$ (all $\omega_k < \pi$).
L36a's equation is the transformer's interleaved form with $\omega_i = 10000^{-2i/d}$ (A5): the
same idea, a different layout and slightly different frequencies, which the next Linear absorbs.
*/
static void time_embedding(void) {
    double emb[128], emb1[128];
    //: $\mathrm{emb}(500)$, [eq:L36.4.2.2.embedding]
    tiny_unet_time_embedding(500, 128, emb);
    tiny_unet_time_embedding(1, 128, emb1);
    const int idx[5] = {0, 1, 63, 64, 127};
    const double spec[5] = {-0.467771805, -0.999681617, 0.049979169, -0.883849273, 0.998750260};
    double worst = 0;
    for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(emb[idx[i]] - spec[i]));
    check_close("L36.4.2.2.emb_500", worst, 0, 1e-9, "L36.4.2.2.embedding",
                "emb(500) at [0],[1],[63],[64],[127] vs the spec's 9-decimal values (max |diff|)");
    check_close("L36.4.2.2.emb_1", fmax(fabs(emb1[0] - 0.841470985), fabs(emb1[64] - 0.540302306)), 0,
                1e-9, "L36.4.2.2.embedding", "emb(1)[0] = sin 1, emb(1)[64] = cos 1 (spec)");
    double omega1 = atan2(emb1[1], emb1[65]), omega63 = atan2(emb1[63], emb1[127]);
    check_close("L36.4.2.2.omega_1", omega1, 0.863988449, 1e-9, "L36.4.2.2.embedding",
                "omega_1 = 10000^(-1/63), read back from emb(1)");
    check_rel("L36.4.2.2.omega_63", omega63, 1e-4, 1e-9, "L36.4.2.2.embedding",
              "omega_63 = 1e-4: the slowest frequency, read back from emb(1)");
    double n2 = 0;
    for (int i = 0; i < 128; i++) n2 += emb[i] * emb[i];
    printf("||emb(500)||^2 = %.15f (64 by sin^2 + cos^2 = 1 per pair)\n", n2);
    check_erratum("L36.4.2.2.emb_convention", pow(10000.0, -126.0 / 128.0), omega63,
                  "A5: L36a's interleaved equation has slowest frequency 10000^(-126/128); the code "
                  "(implemented here) concatenates [sin; cos] with omega_63 = 1e-4");
}

static TinyUNetConfig lecture_f32(void) { return tiny_unet_config_lecture(); }

static void fill_input(AdTensor *x, const Cli *cli) {
    /* two real digits in [-1, 1] when the data is there, else a fixed smooth pattern */
    ImageSet s = {0};
    char note[256];
    const int H = x->shape[2], n = x->shape[0];
    int ok = dataset_load(cli->data_dir, "mnist", &s, note, sizeof note) == 0 && s.height == H;
    for (int i = 0; i < n; i++)
        for (int q = 0; q < H * H; q++)
            ad_set(x, (long)i * H * H + q,
                   ok ? 2.0 * s.pixels[(size_t)i * H * H + q] / s.max_value - 1.0
                      : sin(0.3 * q + i) * cos(0.05 * q * (i + 1)));
    imageset_free(&s);
}

/*: ## 4.2.2 One forward pass: the shapes

Per image (NCHW here; the lecture's Lux arrays are WHCN): enc1 keeps 28×28 with $d = 64$
channels; enc2's stride-2 convolution halves it to 14×14 with 128; the bottleneck keeps 14×14×128;
the concatenation [bottleneck, enc2] has 256 channels; the 4×4 transposed convolution with stride
2 and padding 1 returns to $(14-1)\cdot 2 - 2 + 4 = 28$ with 64 channels; the output convolution
gives one channel.
*/
static void shapes(const Cli *cli, const TinyUNet *net) {
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *x = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x, cli);
    const int t[2] = {1, 500};
    TinyUNetTrace tr;
    tiny_unet_forward(a, net, x, t, NULL, &tr);
    const AdTensor *got[6] = {tr.h1, tr.h2, tr.mid, tr.cat, tr.dec, tr.out};
    const int want[6][3] = {{64, 28, 28}, {128, 14, 14}, {128, 14, 14}, {256, 14, 14}, {64, 28, 28}, {1, 28, 28}};
    const char *names[6] = {"enc1", "enc2", "bottleneck", "concat", "dec1", "out"};
    int ok = tr.temb->shape[0] == 2 && tr.temb->shape[1] == 256;
    for (int l = 0; l < 6; l++) {
        char buf[64];
        printf("  %-10s %s\n", names[l], ad_shape_str(got[l], buf, sizeof buf));
        ok &= got[l]->ndim == 4 && got[l]->shape[0] == 2;
        for (int k = 0; k < 3; k++) ok &= got[l]->shape[k + 1] == want[l][k];
    }
    check_true("L36.4.2.2.shapes", ok,
               "tau (2,256); enc1 64x28x28, enc2 128x14x14, bottleneck 128x14x14, concat 256x14x14, "
               "dec1 64x28x28, out 1x28x28 (batch 2)");
    ad_arena_free(a);
}

/*: ## 4.2.2 Parameters and cost

A Linear $n_\text{in}\to n_\text{out}$ has $n_\text{in}n_\text{out} + n_\text{out}$ parameters,
a $k\times k$ convolution $C_\text{in}\to C_\text{out}$ has $k^2C_\text{in}C_\text{out} + C_\text{out}$,
a GroupNorm $2C$. The counts below are taken from the tensors the constructor made, layer by
layer, and compared with the spec's table and with the closed form
[eq:common.tiny_unet.params]. The multiply-adds of one forward pass are counted from the same
tensors: a convolution does (weight elements) × (output positions), a transposed convolution
(weight elements) × (input positions), a Linear (weight elements):
$$ \mathrm{MACs} = \sum_{\text{layers}} |W_\ell|\cdot P_\ell . $$ {#eq:L36.4.2.2.macs}
*/
static long layer_params(const NnParams *p, const char *prefix) {
    long n = 0;
    size_t len = strlen(prefix);
    for (int i = 0; i < p->n; i++)
        if (strncmp(p->name[i], prefix, len) == 0 && p->name[i][len] == '.') n += p->t[i]->size;
    return n;
}

static void parameters(const TinyUNet *net) {
    NnParams p;
    nn_params_init(&p);
    tiny_unet_params(net, &p);
    const char *layer[9] = {"time.0", "time.1", "enc1", "enc1.gn", "enc2", "enc2.gn", "mid", "mid.gn", "dec1"};
    const long spec[9] = {33024, 65792, 640, 128, 73856, 256, 147584, 256, 262208};
    long worst = 0;
    for (int l = 0; l < 9; l++) {
        /* "enc1" would also match "enc1.gn": subtract the GroupNorm part */
        long got = layer_params(&p, layer[l]);
        if (l == 2 || l == 4 || l == 6 || l == 8) {
            char gn[32];
            snprintf(gn, sizeof gn, "%s.gn", layer[l]);
            got -= layer_params(&p, gn);
        }
        printf("  %-8s %7ld parameters (spec %ld)\n", layer[l], got, spec[l]);
        worst = labs(got - spec[l]) > worst ? labs(got - spec[l]) : worst;
    }
    long out = layer_params(&p, "out"), dgn = layer_params(&p, "dec1.gn");
    worst = labs(out - 577) > worst ? labs(out - 577) : worst;
    worst = labs(dgn - 128) > worst ? labs(dgn - 128) : worst;
    check_close("L36.4.2.2.params_per_layer", (double)worst, 0, 0, NULL,
                "per-layer counts of the constructed tensors vs the spec's table (max |diff|; out 577, dec1.gn 128)");
    long total = nn_params_numel(&p);
    check_close("L36.4.2.2.params_total", (double)total, 584449, 0, "common.tiny_unet.params",
                "total parameters of the lecture's network, counted from its tensors");
    check_close("L36.4.2.2.params_closed_form", (double)tiny_unet_param_count(&net->cfg), (double)total,
                0, "common.tiny_unet.params", "the closed form equals the count of the tensors");
    check_erratum("L36.4.2.2.params_500k", 500000, (double)total,
                  "A6: 'MNIST, 500K params': the network has 584,449, of which %ld never reach the "
                  "output (535,105 effective)", tiny_unet_dead_param_count(&net->cfg));
    for (int dm = 32; dm >= 16; dm /= 2) {
        TinyUNetConfig c = net->cfg;
        c.d_model = dm, c.t_hidden = 4 * dm;
        Rng rng;
        rng_init(&rng, 1, 0);
        TinyUNet small;
        tiny_unet_init(&small, &c, &rng);
        NnParams q;
        nn_params_init(&q);
        tiny_unet_params(&small, &q);
        check_close(dm == 32 ? "L36.4.2.2.params_d32" : "L36.4.2.2.params_d16", (double)nn_params_numel(&q),
                    dm == 32 ? 155009 : 43201, 0, NULL,
                    "d_model %d with the time MLP's width scaled to 4d (the spec's smaller nets)", dm);
        nn_params_free(&q);
        tiny_unet_free(&small);
    }
    /* MACs from the tensors: conv |W| x output positions, transposed conv |W| x input positions */
    const double H2 = 28.0 * 28.0, h2 = 14.0 * 14.0;
    //: $\sum_\ell |W_\ell| P_\ell$, [eq:L36.4.2.2.macs]
    double macs = net->enc1.weight->size * H2 + net->enc2.weight->size * h2 + net->mid.weight->size * h2 +
                  net->dec_w->size * h2 + net->out.weight->size * H2 + net->time0.weight->size +
                  net->time1.weight->size;
    check_close("L36.4.2.2.macs", macs, 95733760, 0, "L36.4.2.2.macs",
                "multiply-adds per image of one forward pass (spec 95,733,760 = 0.19 GFLOP)");
    check_close("L36.4.2.2.macs_closed_form", (double)tiny_unet_macs(&net->cfg), macs, 0, NULL,
                "the closed form tiny_unet_macs equals the count from the tensors");
    nn_params_free(&p);
}

/*: ## 4.2.2 The lecture's time input: a bias at enc1 from 64 of 256 outputs (A6)

`h1 = h1 .+ reshape(t_emb[1:64], 64,1,1,1)`: the intent is a per-channel bias on enc1's 64
channels (the reshape as written puts the 64 values on the height axis and the broadcast fails,
28 ≠ 64). Only $\tau_{1..64}$ is used; the other 192 outputs of the second time Linear, with
their $192\cdot256$ weights and 192 biases, cannot influence anything. Three consequences are
checked on the lecture's network: the output depends on $t$; their gradient in a backward pass
is exactly 0; and overwriting them leaves the output bitwise unchanged.
*/
static void time_bias_semantics(const Cli *cli, TinyUNet *net) {
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *x = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x, cli);
    const int t1[2] = {1, 1}, t2[2] = {1000, 1000};
    AdTensor *o1 = tiny_unet_forward_nograd(a, net, x, t1, NULL);
    AdTensor *o2 = tiny_unet_forward_nograd(a, net, x, t2, NULL);
    double dt = 0;
    for (long i = 0; i < o1->size; i++) dt = fmax(dt, fabs(ad_get(o1, i) - ad_get(o2, i)));
    check_true("L36.4.2.2.depends_on_t", dt > 1e-3, "eps_hat(x, t=1) and eps_hat(x, t=1000) differ (max |diff| %.3g)", dt);
    NnParams p;
    nn_params_init(&p);
    tiny_unet_params(net, &p);
    nn_params_zero_grad(&p);
    ad_arena_reset(a);
    x = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x, cli);
    const int tm[2] = {17, 640};
    AdTensor *out = tiny_unet_forward(a, net, x, tm, NULL, NULL);
    ad_backward(a, ad_mean(a, ad_square(a, out)));
    long dead = 0, nonzero = 0;
    for (int i = 0; i < p.n; i++)
        for (long j = 0; j < p.t[i]->size; j++)
            if (tiny_unet_param_is_dead(net, p.t[i], j)) dead++, nonzero += ad_grad_get(p.t[i], j) != 0;
    check_close("L36.4.2.2.dead_params", (double)dead, 49344, 0, NULL,
                "parameters of time.1 whose output is never used: 192 x 256 weights + 192 biases (spec 49,344)");
    check_close("L36.4.2.2.dead_grad", (double)nonzero, 0, 0, NULL,
                "their gradient in a backward pass is exactly 0");
    float *before = xmalloc((size_t)out->size * sizeof *before);
    memcpy(before, out->data, (size_t)out->size * sizeof *before);
    float *w = ad_f32(net->time1.weight), *b = ad_f32(net->time1.bias);
    for (int r = 0; r < 256; r++)
        for (int c = 64; c < 256; c++) w[r * 256 + c] += 1.0f;
    for (int c = 64; c < 256; c++) b[c] = 1e3f;
    ad_arena_reset(a);
    x = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x, cli);
    AdTensor *after = tiny_unet_forward_nograd(a, net, x, tm, NULL);
    check_true("L36.4.2.2.dead_no_effect", memcmp(before, after->data, (size_t)out->size * sizeof *before) == 0,
               "overwriting time.1's outputs 65..256 (weights +1, biases 1000) leaves eps_hat bitwise unchanged");
    check_erratum("L36.4.2.2.time_outputs_used", 256, 64,
                  "A6: the time MLP computes 256 features and the lecture uses 64 (one bias on enc1 only); "
                  "the fix in tiny_unet.h (time_per_level) feeds all 256 to every level");
    free(before);
    nn_params_free(&p);
    ad_arena_free(a);
}

/*: ## 4.2.2 GroupNorm(8)

For each image $n$ and group $g$ of $C/G = 8$ channels, over the channels and the $H\times W$
positions of the group,
$$ \hat x = \frac{x - \mu_{ng}}{\sqrt{\sigma^2_{ng} + \epsilon}},\qquad \epsilon = 10^{-5}, $$ {#eq:L36.4.2.2.groupnorm}
then $\gamma_c\hat x + \beta_c$ ($\gamma = 1$, $\beta = 0$ at initialisation). So the output of
each group has mean 0 and (biased) variance $\sigma^2/(\sigma^2 + \epsilon)$, slightly below 1;
$\sigma^2_{ng}$ is recomputed here in double from enc1's SiLU output.
*/
static void group_norm(const Cli *cli, const TinyUNet *net) {
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *x = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x, cli);
    const int t[2] = {5, 50};
    TinyUNetTrace tr;
    tiny_unet_forward(a, net, x, t, NULL, &tr);
    const int C = 64, G = 8, P = 28 * 28, per = C / G * P;
    double worst_mean = 0, worst_var = 0;
    for (int n = 0; n < 2; n++)
        for (int g = 0; g < G; g++) {
            double s = 0, s2 = 0, o = 0, o2 = 0;
            for (int k = 0; k < per; k++) {
                long i = ((long)n * C + g * (C / G)) * P + k;
                double v = ad_get(tr.gn1_pre, i), y = ad_get(tr.gn1_out, i);
                s += v, s2 += v * v, o += y, o2 += y * y;
            }
            double var_in = s2 / per - (s / per) * (s / per), mean_out = o / per;
            double var_out = o2 / per - mean_out * mean_out;
            worst_mean = fmax(worst_mean, fabs(mean_out));
            //: $\mathrm{Var}\,\hat x = \sigma^2/(\sigma^2+\epsilon)$, [eq:L36.4.2.2.groupnorm]
            worst_var = fmax(worst_var, fabs(var_out - var_in / (var_in + 1e-5)));
        }
    check_close("L36.4.2.2.gn_mean", worst_mean, 0, 1e-5, "L36.4.2.2.groupnorm",
                "enc1's GroupNorm output: mean per (image, group) (max |.| over 2 x 8)");
    check_close("L36.4.2.2.gn_var", worst_var, 0, 1e-4, "L36.4.2.2.groupnorm",
                "biased variance per (image, group) equals sigma^2/(sigma^2 + 1e-5) (max |diff|, float32)");
    ad_arena_free(a);
}

/*: ## 4.2.2 Backward: finite differences in double, and float32 against float64

Every op of the network carries its own backward pass (`ad.h`). At a small width ($d = 8$,
8 groups, sinusoid 16, time MLP 32, 8×8 images, 2 images) in float64, the gradient of
$L = \sum r\odot\hat\epsilon$ (a fixed random $r$; [eq:common.tiny_unet_probe.loss], the probe of
`common/tiny_unet_probe` that the unit test uses too) with respect to 20 random elements of every
parameter tensor and of the input (every element of the smaller ones; `checks/unit/test_tiny_unet`
checks all elements at $d = 4$) is compared with central differences
$(L(\theta + h e_i) - L(\theta - h e_i))/2h$, $h = 10^{-6}$, whose error is $O(h^2)$ plus
rounding $\approx 10^{-16}/h$: a relative bar of $10^{-6}$. Both layouts (the lecture's, and the
fixed one with per-level time bias, enc1 skip, bottleneck attention and a label table).

The float32 forward of the lecture's network ($d = 64$) is then compared with the float64
forward of the same weights: each of the ~5 layers' sums of up to 2304 products rounds with unit
roundoff $6\cdot10^{-8}$, so their $|\Delta|$ grows like $\sqrt{2304}\cdot6\cdot10^{-8} \approx
3\cdot 10^{-6}$ per layer relative to the layer's scale; GroupNorm keeps the scale near 1. The
bar is $10^{-4}$ absolute on outputs of order 1.
*/
/* Central differences at up to `per` random elements of every tensor (all of them when the
   tensor is smaller), against the tape's gradient; the error of a tensor is
   max |g - fd| / max(max |fd|, 1e-12) over its sampled elements (ad_gradcheck's measure). */
static double sampled_gradcheck(TinyUNetProbe *ctx, NnParams *p, int per, double h, Rng *rng) {
    AdArena *a = ad_arena_new(1 << 20);
    nn_params_zero_grad(p);
    ad_backward(a, tiny_unet_probe_loss(a, p->t, p->n, ctx));
    double worst = 0;
    for (int i = 0; i < p->n; i++) {
        AdTensor *w = p->t[i];
        const int m = w->size < per ? (int)w->size : per;
        double err = 0, scale = 0;
        for (int k = 0; k < m; k++) {
            long j = w->size <= per ? k : (long)rng_below(rng, (uint32_t)w->size);
            double v = ad_get(w, j);
            ad_set(w, j, v + h);
            ad_arena_reset(a);
            double lp = ad_item(tiny_unet_probe_loss(a, p->t, p->n, ctx));
            ad_set(w, j, v - h);
            ad_arena_reset(a);
            double lm = ad_item(tiny_unet_probe_loss(a, p->t, p->n, ctx));
            ad_set(w, j, v);
            //: $\mathrm{fd}_j = (L(\theta + he_j) - L(\theta - he_j))/2h$
            double fd = (lp - lm) / (2 * h);
            err = fmax(err, fabs(ad_grad_get(w, j) - fd));
            scale = fmax(scale, fabs(fd));
        }
        worst = fmax(worst, err / fmax(scale, 1e-12));
    }
    ad_arena_free(a);
    return worst;
}

static void gradients(const Cli *cli) {
    for (int fix = 0; fix <= 1; fix++) {
        TinyUNetConfig c = {.d_model = 8, .t_emb = 16, .t_hidden = 32, .groups = 8, .image_size = 8,
                            .n_classes = fix ? 3 : 0, .time_per_level = fix, .enc1_skip = fix,
                            .mid_attention = fix, .dtype = AD_F64};
        Rng rng;
        rng_init(&rng, cli->seed + 18, fix);
        TinyUNet m;
        tiny_unet_init(&m, &c, &rng);
        NnParams p;
        nn_params_init(&p);
        tiny_unet_params(&m, &p);
        /* generic values for the GroupNorm affine maps and biases too */
        for (int i = 0; i < p.n; i++)
            for (long j = 0; j < p.t[i]->size; j++) ad_set(p.t[i], j, ad_get(p.t[i], j) + 0.1 * rng_normal(&rng));
        AdTensor *x = ad_param_new(AD_F64, 4, (int[]){2, 1, 8, 8});
        double r[128];
        for (int i = 0; i < 128; i++) ad_set(x, i, rng_normal(&rng)), r[i] = rng_normal(&rng);
        nn_params_add(&p, NULL, "input", x);
        const int t[2] = {3, 700}, y[2] = {0, 3};
        TinyUNetProbe ctx = {&m, x, t, fix ? y : NULL, r};
        double err = sampled_gradcheck(&ctx, &p, 20, 1e-6, &rng);
        check_le(fix ? "L36.4.2.2.gradcheck_fixed" : "L36.4.2.2.gradcheck_lecture", err, 1e-6, 0, NULL,
                 "%s layout, d 8: tape gradient vs central differences at 20 random elements of each "
                 "of %d tensors incl. the input (max relative error)", fix ? "fixed" : "lecture", p.n);
        nn_params_free(&p);
        ad_tensor_free(x);
        tiny_unet_free(&m);
    }
}

static void f32_vs_f64(const Cli *cli, const TinyUNet *net32) {
    TinyUNetConfig c = net32->cfg;
    c.dtype = AD_F64;
    Rng rng;
    rng_init(&rng, 0, 0);
    TinyUNet net64;
    tiny_unet_init(&net64, &c, &rng);
    tiny_unet_copy(&net64, net32);
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *x32 = ad_input(a, AD_F32, 4, (int[]){2, 1, 28, 28});
    fill_input(x32, cli);
    AdTensor *x64 = ad_input(a, AD_F64, 4, (int[]){2, 1, 28, 28});
    ad_copy_values(x64, x32);
    const int t[2] = {10, 900};
    AdTensor *o32 = tiny_unet_forward_nograd(a, net32, x32, t, NULL);
    AdTensor *o64 = tiny_unet_forward_nograd(a, &net64, x64, t, NULL);
    double worst = 0, scale = 0;
    for (long i = 0; i < o32->size; i++) {
        worst = fmax(worst, fabs(ad_get(o32, i) - ad_get(o64, i)));
        scale = fmax(scale, fabs(ad_get(o64, i)));
    }
    check_close("L36.4.2.2.f32_vs_f64", worst, 0, 1e-4, NULL,
                "float32 vs float64 forward of the lecture's net, same weights, 2 images (max |diff|; "
                "max |eps_hat| %.3g)", scale);
    ad_arena_free(a);
    tiny_unet_free(&net64);
}

/*: ## 4.2.2 details — self-attention with identity Q, K, V

The "full" U-Net of the details block adds self-attention: the $H\times W$ positions become $HW$
tokens $X \in \mathbb R^{HW\times C}$, split into heads of $d_h = C/\text{heads}$ channels, and
with **no learned projections** ($Q = K = V = X$, "identity for demo"; A7)
$$ O_h = \operatorname{softmax}\!\Big(\frac{X_hX_h^\top}{\sqrt{d_h}}\Big)X_h,\qquad Y = [O_1..O_\text{heads}] + X , $$ {#eq:L36.4.2.2.attention}
softmax over the keys (each row of weights sums to 1). Consequences checked below: a spatially
constant input $x_p \equiv c$ gives identical rows, so $O = c$ and $Y = 2x$; permuting the
positions permutes the output (no position information); with one head the weights use the
whole $C$-vector, with $C$ heads each channel attends on its own, and the results differ. The
cost is $2(HW)^2C$ multiply-adds, so 28×28 costs $4^2 = 16$ times 14×14 (counted in the loops).
The implementation is checked against the library's `ad_attention` on the same heads.
*/
static long attention(const double *x, int P, int C, int heads, double *y, double *rowsum_dev) {
    const int dh = C / heads;
    const double scale = 1.0 / sqrt((double)dh);
    double *row = xmalloc((size_t)P * sizeof *row);
    long macs = 0;
    for (int h = 0; h < heads; h++)
        for (int i = 0; i < P; i++) {
            double mx = -INFINITY, z = 0;
            for (int j = 0; j < P; j++) {
                double s = 0;
                //: $S_{ij} = \langle x_i, x_j\rangle_h/\sqrt{d_h}$, [eq:L36.4.2.2.attention]
                for (int k = 0; k < dh; k++) s += x[(size_t)i * C + h * dh + k] * x[(size_t)j * C + h * dh + k];
                macs += dh;
                row[j] = s * scale;
                mx = fmax(mx, row[j]);
            }
            //: softmax over the keys $j$
            for (int j = 0; j < P; j++) row[j] = exp(row[j] - mx), z += row[j];
            if (rowsum_dev) {
                double sum = 0;
                for (int j = 0; j < P; j++) sum += row[j] / z;
                *rowsum_dev = fmax(*rowsum_dev, fabs(sum - 1.0));
            }
            for (int k = 0; k < dh; k++) {
                double o = 0;
                //: $O_h = A_hX_h$, $Y = O + X$, [eq:L36.4.2.2.attention]
                for (int j = 0; j < P; j++) o += row[j] / z * x[(size_t)j * C + h * dh + k];
                macs += P;
                y[(size_t)i * C + h * dh + k] = o + x[(size_t)i * C + h * dh + k];
            }
        }
    free(row);
    return macs;
}

static void attention_checks(const Cli *cli) {
    const int C = 64, P = 14 * 14;
    Rng rng;
    rng_init(&rng, cli->seed + 12, 0);
    double *x = xmalloc((size_t)P * C * sizeof *x), *y = xmalloc((size_t)P * C * sizeof *y);
    double *y2 = xmalloc((size_t)P * C * sizeof *y2), *xp = xmalloc((size_t)P * C * sizeof *xp);
    for (int i = 0; i < P * C; i++) x[i] = 0.5 * rng_normal(&rng);
    double rowdev = 0;
    long macs14 = attention(x, P, C, 4, y, &rowdev);
    printf("attention weights: every row sums to 1 (max |sum - 1| = %.2g over 4 x 196 rows); "
           "scale 1/sqrt(d_h) = 1/sqrt(16) = 0.25\n", rowdev);
    /* the library's attention on the same 4 heads: (heads, P, d_h) */
    AdArena *a = ad_arena_new(1 << 20);
    AdTensor *q = ad_input(a, AD_F64, 3, (int[]){4, P, 16});
    for (int h = 0; h < 4; h++)
        for (int i = 0; i < P; i++)
            for (int k = 0; k < 16; k++) ad_set(q, ((long)h * P + i) * 16 + k, x[(size_t)i * C + h * 16 + k]);
    AdTensor *o = ad_attention(a, q, q, q);
    double worst = 0;
    for (int h = 0; h < 4; h++)
        for (int i = 0; i < P; i++)
            for (int k = 0; k < 16; k++)
                worst = fmax(worst, fabs(ad_get(o, ((long)h * P + i) * 16 + k) + x[(size_t)i * C + h * 16 + k] -
                                         y[(size_t)i * C + h * 16 + k]));
    check_close("L36.4.2.2.attn_vs_library", worst, 0, 1e-12, "L36.4.2.2.attention",
                "identity-QKV attention (14x14, C 64, 4 heads) vs ad_attention on the same heads + x (max |diff|)");
    /* constant input */
    for (int i = 0; i < P; i++)
        for (int c = 0; c < C; c++) xp[(size_t)i * C + c] = x[c];
    attention(xp, P, C, 4, y2, NULL);
    double wc = 0;
    for (int i = 0; i < P * C; i++) wc = fmax(wc, fabs(y2[i] - 2 * xp[i]));
    check_close("L36.4.2.2.attn_constant", wc, 0, 1e-12, "L36.4.2.2.attention",
                "spatially constant input: every attention row averages equal values, output = 2x");
    /* permutation equivariance */
    int *perm = xmalloc((size_t)P * sizeof *perm);
    for (int i = 0; i < P; i++) perm[i] = i;
    for (int i = P - 1; i > 0; i--) {
        int j = (int)rng_below(&rng, (uint32_t)(i + 1)), tmp = perm[i];
        perm[i] = perm[j], perm[j] = tmp;
    }
    for (int i = 0; i < P; i++) memcpy(xp + (size_t)i * C, x + (size_t)perm[i] * C, (size_t)C * sizeof *x);
    attention(xp, P, C, 4, y2, NULL);
    double wp = 0;
    for (int i = 0; i < P; i++)
        for (int c = 0; c < C; c++) wp = fmax(wp, fabs(y2[(size_t)i * C + c] - y[(size_t)perm[i] * C + c]));
    check_close("L36.4.2.2.attn_permutation", wp, 0, 1e-12, "L36.4.2.2.attention",
                "permuting the 196 positions permutes the output (max |diff|)");
    /* heads = 1 vs heads = C */
    attention(x, P, C, 1, y, NULL);
    attention(x, P, C, C, y2, NULL);
    double wh = 0;
    for (int i = 0; i < P * C; i++) wh = fmax(wh, fabs(y[i] - y2[i]));
    check_true("L36.4.2.2.attn_heads", wh > 1e-3,
               "heads = 1 (d_h 64, scale 1/8) and heads = 64 (d_h 1, scale 1) give different outputs "
               "(max |diff| %.3g)", wh);
    /* cost: 28x28 against 14x14 */
    const int P28 = 28 * 28;
    double *x28 = xmalloc((size_t)P28 * C * sizeof *x28), *y28 = xmalloc((size_t)P28 * C * sizeof *y28);
    for (int i = 0; i < P28 * C; i++) x28[i] = 0.5 * rng_normal(&rng);
    long macs28 = attention(x28, P28, C, 4, y28, NULL);
    check_close("L36.4.2.2.attn_cost_ratio", (double)macs28 / (double)macs14, 16, 0, NULL,
                "multiply-adds counted in the loops: 28x28 / 14x14 = (784/196)^2 (%ld / %ld)", macs28, macs14);
    check_erratum("L36.4.2.2.attn_resolution", 16, 14,
                  "A7: the details block puts attention 'at 16x16'; the tiny U-Net's low resolution is "
                  "14x14, and the block has no Q/K/V/output projections and no normalisation");
    free(x), free(y), free(y2), free(xp), free(perm), free(x28), free(y28);
    ad_arena_free(a);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "L36 4.2.2: the Tiny U-Net's embedding, shapes, parameters, cost, gradients, attention",
              36018, NULL);
    TinyUNetConfig cfg = lecture_f32();
    Rng rng;
    rng_init(&rng, cli.seed, 0);
    TinyUNet net;
    tiny_unet_init(&net, &cfg, &rng);
    time_embedding();
    shapes(&cli, &net);
    parameters(&net);
    group_norm(&cli, &net);
    f32_vs_f64(&cli, &net);
    time_bias_semantics(&cli, &net);
    gradients(&cli);
    attention_checks(&cli);
    tiny_unet_free(&net);
    return check_end();
}
