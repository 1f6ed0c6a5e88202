/*: # tiny_unet — the Tiny U-Net of L36 §4.2.2, with its fixes as switches

Introduced in L36 §4.2.2 (program `lectures/36_ddpm/18_tiny_unet_fwd_bwd.c`), trained as a DDPM
noise predictor by `common/ddpm_net.h` (program 20) and used by every later program of the
lecture that needs $\hat\epsilon_\theta(x_t, t)$. Built from the ops of `ad.h` and the layers of
`nn.h`, images NCHW, in float32 (training) or float64 (gradient checks).

**Layout** ($d$ = `d_model`, $H$ = `image_size`, even; the lecture: $d = 64$, $H = 28$):

| block | op | output |
|---|---|---|
| `time.0`, `time.1` | sinusoid($t$) of width $e$ = `t_emb` → Linear $e\to m$, SiLU → Linear $m\to m$ | $\tau\in\mathbb R^{m}$ |
| `enc1` | Conv 3×3 $1\to d$, SiLU, GroupNorm | $d\times H\times H$ |
| `enc2` | Conv 3×3 stride 2 $d\to 2d$, SiLU, GroupNorm | $2d\times\frac H2\times\frac H2$ |
| `mid` | Conv 3×3 $2d\to 2d$, SiLU, GroupNorm | $2d\times\frac H2\times\frac H2$ |
| concat | [mid, enc2] | $4d\times\frac H2\times\frac H2$ |
| `dec1` | ConvTranspose 4×4 stride 2 pad 1 $4d\to d$, SiLU, GroupNorm | $d\times H\times H$ |
| `out` | Conv 3×3 $d\to 1$ (or $2d\to 1$ with the enc1 skip) | $1\times H\times H$ |

Each block is Conv → SiLU → GroupNorm, the lecture's order. The time embedding is the lecture
*code's* convention (erratum A5 of the spec: not the interleaved one of `nn.h`), with
$h = e/2$ and $k = 0..h-1$:

$$ \omega_k = \exp\!\Big(-\frac{\ln 10000}{h-1}\,k\Big),\qquad
   \mathrm{emb}(t) = \big[\sin(t\omega_0),\dots,\sin(t\omega_{h-1}),\ \cos(t\omega_0),\dots,\cos(t\omega_{h-1})\big]. $$ {#eq:common.tiny_unet.time_embedding}

**The lecture's time input (erratum A6).** The lecture adds the first $d$ of the $m = 256$ MLP
outputs to `enc1`'s output as one bias per channel, $h_1 \mathrel{+}= \tau_{0:d}$, and nowhere
else: the other $m - d$ outputs of `time.1` (at $d=64$: $192\cdot256 + 192 = 49{,}344$
parameters) never reach the output, so their gradient is exactly zero. (The lecture's `reshape`
even puts the 64 values on the wrong axis; the intent, a per-channel bias, is what is built.)

**Fixes, each a switch of `TinyUNetConfig`:**
- `time_per_level`: every block (enc1, enc2, mid, dec1) gets its own per-channel time bias
  $b_\ell = \mathrm{SiLU}(\tau)\,W_\ell + c_\ell$ (a Linear $m \to C_\ell$, as in the DDPM
  ResBlock), added after the block's GroupNorm; all $m$ outputs of the MLP are used, none is dead.
  The lecture's slice $\tau_{0:d}$ is then not used.
- `enc1_skip`: the decoder also sees `enc1`'s full-resolution features: the output convolution
  reads $[\mathrm{dec1}, h_1]$ ($2d$ channels). The lecture has no skip at full resolution, so
  every fine detail must pass through the $H/2$ bottleneck.
- `mid_attention`: the details block's self-attention (§4.2.2, "at 16×16"; here at the
  $\frac H2\times\frac H2$ bottleneck, after `mid`) with the learned projections and GroupNorm of
  DDPM (`NnAttnBlock` of `nn.h`; the lecture's demo uses identity Q/K/V, A7). Every other layer
  sees at most a ~17-pixel neighbourhood (GroupNorm aside), too little for the shape of a whole
  digit; attention lets every position see the whole image.
- `n_classes` $= k > 0$: a label embedding of $k+1$ rows of width $m$ (row $k$ = the null
  label, for classifier-free guidance) summed into $\tau$.

**The deep layout (`deep = 1`), a fix beyond the lecture.** The lecture's net has two
resolutions and plain Conv-SiLU-GN blocks. At the default scale ($d = 16$, about two CPU-minutes
of training) it learns clean pen strokes but no digit shapes (program 20's README notes): the
receptive field at $H/2$ is too small for a whole digit and there is no residual path. The deep
layout is the smallest DDPM-style U-Net (Ho et al. 2020) with three resolutions
$H \to H/2 \to H/4$ (28 → 14 → 7) and back, channels $C_0 = d$, $C_1 = \mu_1 d$,
$C_2 = \mu_2 d$ (`mult1`, `mult2`), one residual block per level on each path and a skip at
every level:

| block | op | output |
|---|---|---|
| `conv_in` (`enc1`) | Conv 3×3 $1\to C_0$ | $C_0\times H\times H$ |
| `down0` | Res($C_0\to C_0$) = $s_0$, then 2×2 average pool | $C_0\times\frac H2\times\frac H2$ |
| `down1` | Res($C_0\to C_1$) = $s_1$, then 2×2 average pool | $C_1\times\frac H4\times\frac H4$ |
| `down2` | Res($C_1\to C_2$) = $s_2$ | $C_2\times\frac H4\times\frac H4$ |
| `mid` | Res($C_2\to C_2$), then self-attention over the $(H/4)^2 = 49$ positions (`mid_attention`) | $C_2\times\frac H4\times\frac H4$ |
| `up2` | Res($[h, s_2]$: $2C_2\to C_2$), nearest ×2 | $C_2\times\frac H2\times\frac H2$ |
| `up1` | Res($[h, s_1]$: $C_2+C_1\to C_1$), nearest ×2 | $C_1\times H\times H$ |
| `up0` | Res($[h, s_0]$: $C_1+C_0\to C_0$) | $C_0\times H\times H$ |
| `out` | GroupNorm, SiLU, Conv 3×3 $C_0\to 1$ | $1\times H\times H$ |

with the DDPM residual block of `nn.h` (`NnResBlock`),
$$ \mathrm{Res}(x) = \mathrm{skip}(x) + \mathrm{Conv}\big(\mathrm{SiLU}(\mathrm{GN}(
   \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(x))) + \mathrm{SiLU}(\tau)W + c))\big) $$ {#eq:common.tiny_unet.resblock}
(skip = identity, or a 1×1 conv when the channel count changes; the second conv starts at
zero, so each block starts as its skip path). The time MLP is the lecture's; every block gets its
own time bias, so `time_per_level` and `enc1_skip` are part of the layout (both must be 1).
A 3×3 conv at $H/4$ sees 4×4 pixels of the input per step, so the bottleneck's two convs
already cover the whole digit, and the attention lets every position see every other one.

**Size and cost.** Parameters (closed form, `tiny_unet_param_count`):
$$ P = (e m + m) + (m^2 + m) + (9d + d) + (18d^2 + 2d) + (36d^2 + 2d) + (64d^2 + d) + (9 d_o + 1)
      + 2(d + 2d + 2d + d) $$ {#eq:common.tiny_unet.params}
($d_o = d$, or $2d$ with the enc1 skip; the last term is the four GroupNorms' $\gamma,\beta$), plus
$6dm + 6d$ for the per-level projections, $4C^2 + 5C$ ($C = 2d$) for the attention block and
$(k+1)m$ for a label table. At $d = 64$,
$e = 128$, $m = 256$, lecture layout: 584,449 (the spec's $d = 32$ and $d = 16$ nets, with
$m = 4d$: 155,009 and 43,201). Multiply-adds per image of one forward pass
(`tiny_unet_macs`): $9dH^2 + 18d^2(H/2)^2 + 36d^2(H/2)^2 + 64d^2 (H/2)^2 + 9d_oH^2 + e m + m^2$
(+ $6dm$ for the projections, + $4PC^2 + 2P^2C$ with $P = (H/2)^2$ for the attention): 95,733,760
for the lecture's network.

Deep layout: with $R(i, o) = 2i + 9io + o + mo + o + 2o + 9o^2 + o + [i\ne o](io + o)$ (a residual
block's parameters) and $C_0, C_1, C_2$ as above,
$$ P_{\text{deep}} = (em + m) + (m^2 + m) + (9C_0 + C_0) + R(C_0,C_0) + R(C_0,C_1) + R(C_1,C_2) + R(C_2,C_2)
   + R(2C_2, C_2) + R(C_2{+}C_1, C_1) + R(C_1{+}C_0, C_0) + 2C_0 + (9C_0 + 1) $$ {#eq:common.tiny_unet.params_deep}
(+ $4C_2^2 + 5C_2$ with the attention, + $(k+1)m$ with labels), and a residual block at $P$
positions costs $9ioP + 9o^2P + [i\ne o]\,ioP + mo$ multiply-adds; conv_in and out cost
$9C_0H^2$ each, the attention $4PC_2^2 + 2P^2C_2$ at $P = (H/4)^2$. At $d = 16$, $\mu = (2, 4)$,
$e = 64$, $m = 128$, with attention: see program 18 / the unit test for the numbers.
*/
#ifndef COMMON_TINY_UNET_H
#define COMMON_TINY_UNET_H

#include "common/ad.h"
#include "common/nn.h"
#include "common/rng.h"

typedef struct {
    int d_model;        /* d: channels of enc1 (64 in the lecture) */
    int t_emb;          /* e: sinusoid width (128) */
    int t_hidden;       /* m: width of the time MLP e -> m -> m (256 = 2e in the lecture; the
                           spec's smaller nets use 4d); 0 means 2e */
    int groups;         /* GroupNorm groups (8); must divide d */
    int image_size;     /* H = W (28; 8 for the 8x8 digits); even, >= 4 */
    int n_classes;      /* 0: unconditional; k > 0: label table of k+1 rows (row k = null) */
    int time_per_level; /* 1: the fix (a time bias at every level); 0: the lecture (enc1 only) */
    int enc1_skip;      /* 1: the fix (out conv reads [dec1, enc1]); 0: the lecture */
    int mid_attention;  /* 1: self-attention at the bottleneck (the details block); 0: none */
    int deep;           /* 1: the three-resolution residual layout (a fix beyond the lecture, see
                           the header); needs time_per_level = enc1_skip = 1, H divisible by 4 */
    int mult1, mult2;   /* deep only: channels of levels 1 and 2 are mult1*d, mult2*d (0: 2) */
    AdDtype dtype;
} TinyUNetConfig;

/* The lecture's network: d 64, e 128, m 256, 8 groups, 28x28, unconditional, no fixes, float32. */
TinyUNetConfig tiny_unet_config_lecture(void);

typedef struct {
    TinyUNetConfig cfg;
    NnLinear time0, time1;        /* e -> m, m -> m */
    AdTensor *label_table;        /* (k+1, m) or NULL */
    NnConv2d enc1, enc2, mid, out;
    NnGroupNorm gn1, gn2, gnm, gnd;
    AdTensor *dec_w, *dec_b;      /* (4d, d, 4, 4), (d) */
    NnLinear tproj[4];            /* enc1, enc2, mid, dec1: m -> C (time_per_level only) */
    NnAttnBlock attn;             /* at the bottleneck (mid_attention only) */
    /* deep layout: enc1 is conv_in, out the output conv, gnd its GroupNorm; the residual blocks
       down0, down1, down2, mid, up2, up1, up0 */
    NnResBlock rb[7];
} TinyUNet;

/* Intermediate outputs of one forward pass (for shape and statistics checks); any may be
   looked at after tiny_unet_forward, they live in its arena. */
typedef struct {
    AdTensor *temb;   /* (N, m): tau (with the label embedding when conditional) */
    AdTensor *h1, *h2, *mid, *cat, *dec, *out;
    AdTensor *gn1_pre; /* enc1 after SiLU, before its GroupNorm (for the GN statistics) */
    AdTensor *gn1_out; /* enc1's GroupNorm output, before the time bias */
} TinyUNetTrace;

/* die()s on an invalid configuration (a programmer error). Deterministic given rng. */
void tiny_unet_init(TinyUNet *m, const TinyUNetConfig *cfg, Rng *rng);
void tiny_unet_free(TinyUNet *m);
/* Parameters in a fixed order with names ("time.0.weight", "enc1.gn.weight", ...). */
void tiny_unet_params(const TinyUNet *m, NnParams *out);
/* Copy all values from src to dst (same configuration, any dtypes). */
void tiny_unet_copy(TinyUNet *dst, const TinyUNet *src);

/* eq. common.tiny_unet.time_embedding for one t into out[dim] (dim even, >= 4). */
void tiny_unet_time_embedding(double t, int dim, double *out);

/* x (N,1,H,H) at integer times t[N] (labels y[N] in 0..k, or NULL: the null label k when
   conditional) -> eps_hat (N,1,H,H). trace may be NULL. */
AdTensor *tiny_unet_forward(AdArena *arena, const TinyUNet *m, AdTensor *x, const int *t,
                            const int *y, TinyUNetTrace *trace);
/* The same forward without a tape: parameters are used through detached views, so nothing
   records a backward step and no gradient buffer is allocated (inference). */
AdTensor *tiny_unet_forward_nograd(AdArena *arena, const TinyUNet *m, AdTensor *x, const int *t,
                                   const int *y);

/* Closed forms (eq. common.tiny_unet.params and the MAC count in the header). */
long tiny_unet_param_count(const TinyUNetConfig *cfg);
long tiny_unet_macs(const TinyUNetConfig *cfg);
/* Parameters that cannot influence the output in this layout: the unused MLP outputs of the
   lecture layout ((m - d)(m + 1), plus (k+1)(m - d) label entries); 0 with time_per_level. */
long tiny_unet_hidden(const TinyUNetConfig *cfg); /* m (t_hidden, or 2e when 0) */
long tiny_unet_dead_param_count(const TinyUNetConfig *cfg);
/* Is element i of parameter tensor p (index in tiny_unet_params order) dead in this layout? */
int tiny_unet_param_is_dead(const TinyUNet *m, const AdTensor *p, long i);

#endif
