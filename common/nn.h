/*: # nn — neural-network modules on top of the autodiff tape

The score model of L35 (an MLP) and the noise predictor $\varepsilon_\theta(x_t, t)$ of L36 (a
small U-Net) are built here from the ops of `ad.h`. A **module** is a plain struct that owns
persistent parameters (`ad_param_new`), has a `forward` that builds its output in an `AdArena`
from ad ops, and lists its parameters with names (for the optimiser and for `nn_params_save`).
Every module can be made in `AD_F32` (training) or `AD_F64` (gradient checks in double).

**Linear.** $y = xW + b$ with $W \in \mathbb R^{\text{in}\times\text{out}}$ (ad.h's layout).

**Initialisation** (nn_init.c). For a layer with fan-in $n_\text{in}$ and fan-out $n_\text{out}$
(for a convolution $n_\text{in} = C_\text{in} k^2$, $n_\text{out} = C_\text{out} k^2$):

| scheme | variance | uniform bound $a$ ($\mathrm{Var}\,U(-a,a) = a^2/3$) |
|---|---|---|
| Glorot/Xavier | $2/(n_\text{in}+n_\text{out})$ | $\sqrt{6/(n_\text{in}+n_\text{out})}$ |
| He/Kaiming | $2/n_\text{in}$ | $\sqrt{6/n_\text{in}}$ |

$$ \mathrm{Var}\,w = \frac{2}{n_\text{in}+n_\text{out}} \quad\text{(Glorot)} $$ {#eq:common.nn.glorot}

Glorot keeps the variance of activations and of gradients roughly constant through layers of a
tanh network; He compensates the factor 1/2 that a ReLU throws away. Biases start at zero,
GroupNorm's scale at one.

**GroupNorm.** The $C$ channels are split into $G$ groups; each sample's group is normalised
to mean 0, variance 1 over its channels and positions, then scaled and shifted per channel:
$y = \gamma_c \hat x + \beta_c$.

**Sinusoidal time embedding** (the transformer convention of Vaswani et al., *interleaved*):
for an even width $d$ and $i = 0, \dots, d/2 - 1$

$$ \mathrm{emb}(t)_{2i} = \sin(\omega_i t),\quad \mathrm{emb}(t)_{2i+1} = \cos(\omega_i t),\quad
   \omega_i = 10000^{-2i/d}. $$ {#eq:common.nn.time_embedding}

(The DDPM code puts all sines first, then all cosines, with $\omega_i = 10000^{-i/(d/2-1)}$; the
two differ by a fixed permutation and a slight change of frequencies, which the Linear layer
that follows absorbs.) Frequencies run from 1 down to about $10^{-4}$, so nearby integer steps
differ in the fast coordinates and distant ones in the slow coordinates.

**Spatial self-attention block** over the $HW$ positions of an NCHW map $x$:
$h = \mathrm{GN}(x)$, tokens $h_p \in \mathbb R^C$ for each position $p$,
$q_p = h_p W_q + b_q$, $k_p = h_p W_k$, $v_p = h_p W_v + b_v$ (a 1x1 convolution is a Linear
applied per position; the key has no bias, since $q\cdot b_k$ shifts all logits of a query alike
and softmax ignores that shift),
$a = \mathrm{softmax}(q k^\top/\sqrt C)\, v$, and $y = x + a W_o + b_o$.

**ResBlock** (DDPM): with $e = \mathrm{SiLU}(\mathrm{temb})$,
$h = \mathrm{Conv}_{3\times3}(\mathrm{SiLU}(\mathrm{GN}(x))) + (e W_t + b_t)$ broadcast over $H, W$,
$h = \mathrm{Conv}_{3\times3}(\mathrm{SiLU}(\mathrm{GN}(h)))$, and $y = \mathrm{skip}(x) + h$ where
skip is the identity, or a 1x1 convolution when the channel count changes.

**U-Net** (nn_unet.c): see the comment block there.

**Parameter files** (nn_params.c): see `nn_params_save` below.
*/
#ifndef COMMON_NN_H
#define COMMON_NN_H

#include <stddef.h>

#include "common/ad.h"
#include "common/optim.h"
#include "common/rng.h"

/* ---------------------------------------------------------------------------------------- */
/* Named parameter lists (nn_params.c)                                                       */

/* The parameters of a model in a fixed order, with names such as "unet.down.0.res.0.conv1.weight".
   The list borrows the tensors (the modules own them). `t` is what ad_zero_grad, ad_gradcheck
   and the optimisers take. */
typedef struct {
    int n, cap;
    AdTensor **t;
    char **name;
} NnParams;

void nn_params_init(NnParams *p);
void nn_params_free(NnParams *p);      /* the list and the names, not the tensors */
/* Append t under the name "<prefix>.<name>" (just "<name>" when prefix is NULL or ""). */
void nn_params_add(NnParams *p, const char *prefix, const char *name, AdTensor *t);
long nn_params_numel(const NnParams *p); /* total number of scalars */
void nn_params_zero_grad(NnParams *p);
/* The parameters' float32 values and gradients as optimiser blocks (optim.h), in list order.
   Returns the number of blocks; die()s when there are more than `max` or one is not AD_F32. */
int nn_params_blocks(const NnParams *p, ParamBlock *out, int max);
/* "<prefix>.<name>" (or "<name>") into buf, for building the prefixes of sub-modules. */
const char *nn_join_name(char *buf, size_t len, const char *prefix, const char *name);

/* ---------------------------------------------------------------------------------------- */
/* Parameter files (nn_params.c)                                                             */

typedef enum {
    NN_IO_OK = 0,
    NN_IO_ERR_OPEN,      /* missing or unreadable file */
    NN_IO_ERR_MAGIC,     /* not a parameter file */
    NN_IO_ERR_VERSION,   /* a format version this code does not read */
    NN_IO_ERR_TRUNCATED, /* shorter (or longer) than its header says */
    NN_IO_ERR_CHECKSUM,  /* the bytes were changed */
    NN_IO_ERR_CORRUPT,   /* checksum fine but the structure is invalid */
    NN_IO_ERR_MISMATCH,  /* a valid file for another model: count, name or shape differ */
    NN_IO_ERR_WRITE      /* saving failed */
} NnIoStatus;

/* File format, all integers little-endian:

   | bytes | content |
   |---|---|
   | 8 | magic "GMCNNPAR" |
   | 4 | u32 format version (1) |
   | 4 | u32 number of tensors $n$ |
   | 8 | u64 total file length in bytes (detects truncation before anything else) |
   | per tensor | u32 name length, name bytes, u32 dtype (0 float32, 1 float64), u32 ndim, u32 shape[ndim], the values (IEEE-754 LE, 4 or 8 bytes each) |
   | 8 | u64 FNV-1a 64 checksum of every byte before it |

   Each tensor is stored in its own dtype; loading converts to the model's dtype. The file is
   written to a temporary file and renamed (atomic_file.h), so a crash never leaves a half-written
   file at `path`.
   Return NN_IO_OK, or an error status with a one-line message in err. */
NnIoStatus nn_params_save(const char *path, const NnParams *params, char *err, size_t errlen);
/* Validates the whole file (magic, version, length, checksum, structure, and that the names
   and shapes equal the model's) before it writes any parameter, so on error the model is
   unchanged. Never crashes on a broken file. */
NnIoStatus nn_params_load(const char *path, NnParams *params, char *err, size_t errlen);
/* The same validation without a model (magic, version, length, checksum, structure): is the
   file whole? For a program deciding whether to retrain, and for the interruption test. */
NnIoStatus nn_params_verify(const char *path, char *err, size_t errlen);
/* FNV-1a 64 of n bytes (exposed for tests). */
unsigned long long nn_fnv1a64(const void *data, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* Initialisation (nn_init.c). Deterministic given the Rng; values are drawn in double and
   stored in the tensor's dtype, in row-major order.                                         */

typedef enum {
    NN_INIT_GLOROT_UNIFORM,
    NN_INIT_GLOROT_NORMAL,
    NN_INIT_HE_UNIFORM,
    NN_INIT_HE_NORMAL,
    NN_INIT_ZEROS
} NnInit;

double nn_glorot_bound(int fan_in, int fan_out); /* sqrt(6 / (fan_in + fan_out)) */
double nn_glorot_std(int fan_in, int fan_out);   /* sqrt(2 / (fan_in + fan_out)) */
double nn_he_bound(int fan_in);                  /* sqrt(6 / fan_in) */
double nn_he_std(int fan_in);                    /* sqrt(2 / fan_in) */
void nn_init_uniform(AdTensor *w, double bound, Rng *rng); /* U(-bound, bound) */
void nn_init_normal(AdTensor *w, double std, Rng *rng);    /* N(0, std^2) */
void nn_init_constant(AdTensor *w, double value);
void nn_init_apply(AdTensor *w, NnInit scheme, int fan_in, int fan_out, Rng *rng);

/* ---------------------------------------------------------------------------------------- */
/* Layers (nn_layers.c, nn_attention.c)                                                      */

typedef enum { NN_ACT_IDENTITY, NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SILU } NnActivation;
AdTensor *nn_activation(AdArena *arena, AdTensor *x, NnActivation act);
const char *nn_activation_name(NnActivation act);

/* y = x W + b, x (N,in), W (in,out), b (out) or absent. */
typedef struct {
    int in, out;
    AdTensor *weight, *bias; /* bias NULL when made without one */
} NnLinear;
void nn_linear_init(NnLinear *m, int in, int out, int with_bias, AdDtype dtype, NnInit scheme,
                    Rng *rng);
AdTensor *nn_linear_forward(AdArena *arena, const NnLinear *m, AdTensor *x);
void nn_linear_params(const NnLinear *m, const char *prefix, NnParams *out);
void nn_linear_free(NnLinear *m);

/* widths[0] -> widths[1] -> ... -> widths[nlayers], the activation between layers (not after
   the last). Weights Glorot uniform for tanh/identity, He uniform for relu/silu. Parameter names
   "<prefix>.<i>.weight", "<prefix>.<i>.bias". */
typedef struct {
    int nlayers;
    NnLinear *layers;
    NnActivation act;
} NnMlp;
void nn_mlp_init(NnMlp *m, int nlayers, const int *widths, NnActivation act, AdDtype dtype,
                 Rng *rng);
AdTensor *nn_mlp_forward(AdArena *arena, const NnMlp *m, AdTensor *x);
void nn_mlp_params(const NnMlp *m, const char *prefix, NnParams *out);
void nn_mlp_free(NnMlp *m);

/* x (N,in,H,W) -> (N,out,Ho,Wo), weight (out,in,k,k), bias (out) or absent. */
typedef struct {
    int in, out, k, stride, pad;
    AdTensor *weight, *bias;
} NnConv2d;
void nn_conv2d_init(NnConv2d *m, int in, int out, int k, int stride, int pad, int with_bias,
                    AdDtype dtype, NnInit scheme, Rng *rng);
AdTensor *nn_conv2d_forward(AdArena *arena, const NnConv2d *m, AdTensor *x);
void nn_conv2d_params(const NnConv2d *m, const char *prefix, NnParams *out);
void nn_conv2d_free(NnConv2d *m);

/* GroupNorm with a per-channel affine map (weight = gamma = 1, bias = beta = 0 at start). */
typedef struct {
    int groups, channels;
    double eps; /* 1e-5 */
    AdTensor *weight, *bias;
} NnGroupNorm;
void nn_group_norm_init(NnGroupNorm *m, int groups, int channels, AdDtype dtype);
AdTensor *nn_group_norm_forward(AdArena *arena, const NnGroupNorm *m, AdTensor *x);
void nn_group_norm_params(const NnGroupNorm *m, const char *prefix, NnParams *out);
void nn_group_norm_free(NnGroupNorm *m);

/* The sinusoidal embedding of eq. common.nn.time_embedding for one t into out[dim]
   (dim even), and for n times as an (n, dim) no-gradient tensor. */
void nn_time_embedding_values(double t, int dim, double *out);
AdTensor *nn_time_embedding(AdArena *arena, AdDtype dtype, const double *t, int n, int dim);

/* Self-attention over the positions of x (N,C,H,W): GroupNorm -> q,k,v (1x1) -> attention ->
   1x1 projection -> residual. zero_init_proj: the output projection starts at zero so that the
   block starts as the identity (DDPM's choice). */
typedef struct {
    int channels;
    NnGroupNorm norm;
    NnLinear q, k, v, proj;
} NnAttnBlock;
void nn_attn_block_init(NnAttnBlock *m, int channels, int groups, int zero_init_proj,
                        AdDtype dtype, Rng *rng);
AdTensor *nn_attn_block_forward(AdArena *arena, const NnAttnBlock *m, AdTensor *x);
void nn_attn_block_params(const NnAttnBlock *m, const char *prefix, NnParams *out);
void nn_attn_block_free(NnAttnBlock *m);

/* The DDPM residual block (nn_resblock.c). temb_dim 0: no time input. zero_init_conv2: the
   second convolution starts at zero so that the block starts as its skip path. */
typedef struct {
    int in_ch, out_ch, temb_dim;
    NnGroupNorm norm1, norm2;
    NnConv2d conv1, conv2;
    NnLinear temb_proj; /* temb_dim -> out_ch, when temb_dim > 0 */
    int has_skip_conv;
    NnConv2d skip;      /* 1x1, when in_ch != out_ch */
} NnResBlock;
void nn_resblock_init(NnResBlock *m, int in_ch, int out_ch, int temb_dim, int groups,
                      int zero_init_conv2, AdDtype dtype, Rng *rng);
/* x (N,in_ch,H,W); temb_act (N,temb_dim) = SiLU(time embedding), or NULL when temb_dim == 0. */
AdTensor *nn_resblock_forward(AdArena *arena, const NnResBlock *m, AdTensor *x,
                              AdTensor *temb_act);
void nn_resblock_params(const NnResBlock *m, const char *prefix, NnParams *out);
void nn_resblock_free(NnResBlock *m);

/* ---------------------------------------------------------------------------------------- */
/* U-Net (nn_unet.c)                                                                         */

#define NN_UNET_MAX_LEVELS 6

typedef struct {
    int in_channels, out_channels;
    int base_channels;                      /* channels at level 0; also the sinusoid width */
    int num_levels;                         /* resolutions H, H/2, ..., H/2^(levels-1) */
    int channel_mult[NN_UNET_MAX_LEVELS];   /* level l has base_channels * channel_mult[l] */
    int num_res_blocks;                     /* per level on the way down (+1 on the way up) */
    int attn_levels[NN_UNET_MAX_LEVELS];    /* 1: attention after each res block of level l */
    int mid_attention;                      /* attention between the two middle res blocks */
    int time_embed_dim;                     /* width of the time MLP (DDPM: 4 * base) */
    int groups;                             /* GroupNorm groups (divide every channel count) */
    int downsample_conv;                    /* 0: 2x2 average pool, 1: stride-2 3x3 conv */
    int zero_init;                          /* DDPM: last conv of each block and output at 0 */
    AdDtype dtype;
} NnUNetConfig;

typedef struct {
    NnUNetConfig cfg;
    NnLinear temb_dense0, temb_dense1; /* sinusoid(base) -> temb -> temb */
    NnConv2d conv_in;
    int n_down, n_up;                  /* number of res blocks on each path */
    NnResBlock *down_res;              /* num_levels * num_res_blocks */
    NnAttnBlock *down_attn;            /* same count; used where the level has attention */
    NnConv2d *downsample;              /* num_levels - 1 (only with downsample_conv) */
    NnResBlock mid_res0, mid_res1;
    NnAttnBlock mid_attn;
    NnResBlock *up_res;                /* num_levels * (num_res_blocks + 1) */
    NnAttnBlock *up_attn;
    NnConv2d *upsample_conv;           /* num_levels - 1 */
    NnGroupNorm norm_out;
    NnConv2d conv_out;
} NnUNet;

/* A small default: 1 -> 1 channels, base 32, mult (1,2,2), 2 res blocks, attention at level 1,
   temb 128, 8 groups, average-pool downsampling, zero init. */
NnUNetConfig nn_unet_config_default(void);
/* die()s with a message on an invalid configuration (a programmer error). */
void nn_unet_init(NnUNet *m, const NnUNetConfig *cfg, Rng *rng);
/* x (N,in,H,W) with H, W divisible by 2^(levels-1); t[N] the diffusion times (any real
   values; integer steps for DDPM) -> (N,out,H,W). */
AdTensor *nn_unet_forward(AdArena *arena, const NnUNet *m, AdTensor *x, const double *t);
void nn_unet_params(const NnUNet *m, const char *prefix, NnParams *out);
void nn_unet_free(NnUNet *m);

#endif
