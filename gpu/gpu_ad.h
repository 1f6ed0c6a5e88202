/*: # gpu_ad — common/ad graphs executed op by op on the Vulkan device

`common/ad` builds a network's forward pass op by op on the CPU and records a tape for the
backward pass (eq. common.ad.vjp). This executor does the same with **tensors resident on the
device**: every op records one or more compute dispatches (it does not run them), `gad_backward`
records the backward dispatches in reverse tape order, `gad_adam_step` records the optimiser, and
`gad_run` submits everything as **one** `gpu_run_batch`: one submission per training step.

**Tensors.** A `GadTensor` mirrors an `AdTensor` (row-major, up to 4 dimensions, float32 on the
device). Parameters are persistent (`gad_param_from_ad` uploads an `AdTensor` parameter,
`gad_param_to_ad` downloads it back); everything else is a temporary of the current step, whose
device buffers come from a pool indexed by creation order, so a loop that builds the same graph
every step allocates nothing after its first step (the design of `AdArena`). `AdTensor` itself
is untouched.

**Ops of this slice** (forward and backward): `gad_matmul` (2-D or batched), `gad_matmul_t`, and `gad_linear` (a tiled kernel with
workgroup shared memory, `ad_matmul.comp`), `gad_add`, `gad_sub`, `gad_mul`, `gad_div` (same shape, or one
operand broadcast along a contiguous block of axes: a row bias (C) over (N,C), a per-channel
(1,C,1,1) over NCHW, a scalar), `gad_relu`, `gad_tanh`, `gad_sigmoid`, `gad_silu`, `gad_sum`,
`gad_mean` (a fixed summation tree), `gad_mse`, `gad_conv2d` (im2col + the matmul kernel), `gad_conv_transpose2d`, `gad_concat`, `gad_slice`, `gad_avg_pool2d`, `gad_upsample_nearest2d`, `gad_softmax`, `gad_embedding`, `gad_group_norm`, `gad_reshape`, `gad_swap_axes` and `gad_swap_last2` (what a replayed tape
needs for attention, gpu_ad_replay.h); `gad_exp`, `gad_log`, `gad_softplus`, `gad_sqrt`,
`gad_sum_axis`, `gad_detach`, `gad_log_softmax`, `gad_cross_entropy` (L42's families); Adam/AdamW, gradient clipping, the parameters' EMA and gradient zeroing on the device.

**Determinism.** Every sum has one fixed order (a matmul entry in k order, a broadcast gradient
in row order, a reduction along a fixed tree of 64-element chunks), so results never depend on
the scheduling.

**Errors.** An op returns NULL when the device fails or shapes do not fit, and every op given a
NULL input returns NULL, so a graph can be built without checking each op; `gad_error` says what
went wrong first. Nothing here exits.

**Uploads** (`gad_input`, `gad_param_from_ad`) write at once; they must happen before the ops
that read them are recorded in the same step (the previous step's batch has completed by then).
*/
#ifndef GPU_GPU_AD_H
#define GPU_GPU_AD_H

#include "common/ad.h"
#include "common/optim.h"
#include "gpu/gpu.h"

typedef struct GadGraph GadGraph;
typedef struct GadTensor GadTensor;

struct GadTensor {
    /* public, read-only */
    int ndim;
    int shape[AD_MAX_DIM];
    long size;
    int requires_grad, is_param;
    /* private */
    GpuBuffer *val, *grad, *adam_m, *adam_v, *ema;
    size_t cap_val, cap_grad;       /* element capacities of the pooled buffers */
    int op;                         /* GadOp of gpu_ad.c */
    GadTensor *in[3];
    int bcast[2];                   /* per input of a binary op: 1 = broadcast vector */
    unsigned outer, mid, inner;     /* broadcast layout of a binary op (gpu_ad.c) */
    GadTensor *cols;                /* gad_conv2d: the patch matrix (N Ho Wo, C kh kw) */
    int stride, pad;                /* gad_conv2d; gad_group_norm: stride = groups */
    float eps;                      /* gad_group_norm */
};

/* A graph executor on context g (not owned). NULL on allocation failure. */
GadGraph *gad_graph_new(GpuContext *g);
void gad_graph_free(GadGraph *gr); /* NULL-safe; parameters are freed by gad_tensor_free */
/* Starts a new step: forgets the temporaries and the tape (their buffers are kept). */
void gad_graph_reset(GadGraph *gr);
const char *gad_error(const GadGraph *gr); /* first error since gad_graph_new, or "" */

/* Parameters: a device copy of an AdTensor parameter (any dtype, converted to float32), with a
   zeroed gradient; and the way back (values into p->data, converted). */
GadTensor *gad_param_from_ad(GadGraph *gr, const AdTensor *p);
int gad_param_to_ad(GadTensor *t, AdTensor *p);
void gad_tensor_free(GadTensor *param); /* parameters only; NULL-safe */

/* A temporary input of this step (no gradient), values from src (NULL: zeros). */
GadTensor *gad_input(GadGraph *gr, int ndim, const int *shape, const float *src);

/* Ops: shapes and semantics as the ad_* op of the same name (common/ad.h). */
/* (m,k)@(k,n), or batched (B,m,k)@(B,k,n); gad_matmul_t: a @ b^T with b (n,k) or (B,n,k)
   (attention's q k^T). */
GadTensor *gad_matmul(GadGraph *gr, GadTensor *a, GadTensor *b);
GadTensor *gad_matmul_t(GadGraph *gr, GadTensor *a, GadTensor *b);
GadTensor *gad_linear(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b); /* b may be NULL */
GadTensor *gad_add(GadGraph *gr, GadTensor *a, GadTensor *b);
GadTensor *gad_sub(GadGraph *gr, GadTensor *a, GadTensor *b);
GadTensor *gad_mul(GadGraph *gr, GadTensor *a, GadTensor *b);
/* a / b (GLSL division, 2.5 ulp); gradients g / b and -(g a) / (b b), broadcast as gad_mul */
GadTensor *gad_div(GadGraph *gr, GadTensor *a, GadTensor *b);
/* x (N,C,H,W), w (O,C,kh,kw), b (O) or NULL -> (N,O,Ho,Wo), Ho = (H + 2 pad - kh)/stride + 1:
   im2col, then one matmul with the (O, C kh kw) weights (the tiled kernel), then NCHW. */
GadTensor *gad_conv2d(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b, int stride,
                      int pad);
/* Transposed convolution (the adjoint of gad_conv2d), x (N,Cin,H,W), w (Cin,Cout,kh,kw), b (Cout)
   or NULL -> (N,Cout,Ho,Wo), Ho = (H - 1) stride - 2 pad + kh: x times the (Cin, Cout kh kw)
   weights (the tiled kernel), then the col2im gather. */
GadTensor *gad_conv_transpose2d(GadGraph *gr, GadTensor *x, GadTensor *w, GadTensor *b,
                                int stride, int pad);
/* Concatenation along `axis` (negative counts from the end) of n <= 3 tensors whose other axes
   agree; a slice [start, end) of one axis. */
GadTensor *gad_concat(GadGraph *gr, GadTensor **xs, int n, int axis);
GadTensor *gad_slice(GadGraph *gr, GadTensor *a, int axis, int start, int end);
/* Rows idx[0..n-1] (each in [0, V)) of table (V,d) -> (n,d). */
GadTensor *gad_embedding(GadGraph *gr, GadTensor *table, const int *idx, int n);
/* softmax along the last axis (any leading shape). */
GadTensor *gad_softmax(GadGraph *gr, GadTensor *a);
/* x (N,C,H,W): the mean over non-overlapping k x k windows (H, W divisible by k); nearest-
   neighbour upsampling by an integer factor. */
GadTensor *gad_avg_pool2d(GadGraph *gr, GadTensor *x, int k);
GadTensor *gad_upsample_nearest2d(GadGraph *gr, GadTensor *x, int factor);
/* x (N,C,...) with C divisible by groups; weight, bias (C) (both required here) ->
   the shape of x (eq. common.ad.group_norm). */
GadTensor *gad_group_norm(GadGraph *gr, GadTensor *x, int groups, GadTensor *weight,
                          GadTensor *bias, double eps);
/* The values under another shape of the same size (a copy; the gradient is added back), and the
   swap of the last two axes, (..., b, k) -> (..., k, b) (ad_swap_axes of the last two axes). */
GadTensor *gad_reshape(GadGraph *gr, GadTensor *a, int ndim, const int *shape);
GadTensor *gad_swap_last2(GadGraph *gr, GadTensor *a);
/* The swap of any two axes (negative counts from the end), ad_swap_axes: x viewed as
   (A, P, M, Q, K) around the two axes -> (A, Q, M, P, K); the backward pass swaps back. */
GadTensor *gad_swap_axes(GadGraph *gr, GadTensor *a, int ax1, int ax2);
GadTensor *gad_relu(GadGraph *gr, GadTensor *a);
GadTensor *gad_tanh(GadGraph *gr, GadTensor *a);
GadTensor *gad_sigmoid(GadGraph *gr, GadTensor *a);
GadTensor *gad_silu(GadGraph *gr, GadTensor *a);
/* exp, log, softplus (max(x,0) + log(1 + exp(-|x|))), sqrt: ad_unary.comp, derivative
   exp: y, log: 1/x, softplus: the sigmoid, sqrt: 0.5/y */
GadTensor *gad_exp(GadGraph *gr, GadTensor *a);
GadTensor *gad_log(GadGraph *gr, GadTensor *a);
GadTensor *gad_softplus(GadGraph *gr, GadTensor *a);
GadTensor *gad_sqrt(GadGraph *gr, GadTensor *a);
/* log-softmax along the last axis (ad_softmax.comp's log form); cross-entropy of (N, C) logits
   with N labels: log-softmax, a gather of the chosen entries, -mean (ad_cross_entropy) */
GadTensor *gad_log_softmax(GadGraph *gr, GadTensor *a);
GadTensor *gad_cross_entropy(GadGraph *gr, GadTensor *logits, const int *labels);
/* a copy without gradient (ad_detach) */
GadTensor *gad_detach(GadGraph *gr, GadTensor *a);
/* sum over the middle axis of a viewed as (outer, n, inner), times scale (1, or 1/n for a mean),
   as the batched product ones(outer,1,n) @ a then a reshape to (ndim, shape): ad_sum_axis,
   ad_mean_axis */
GadTensor *gad_sum_axis(GadGraph *gr, GadTensor *a, int outer, int n, int inner, double scale,
                        int ndim, const int *shape);
GadTensor *gad_sum(GadGraph *gr, GadTensor *a);
GadTensor *gad_mean(GadGraph *gr, GadTensor *a);
/* mean((a - b)^2) over all elements, as mean(mul(sub(a, b), sub(a, b))). */
GadTensor *gad_mse(GadGraph *gr, GadTensor *a, GadTensor *b);

/* Records the backward pass from a one-element loss (seed 1); parameter gradients accumulate
   as in common/ad until gad_zero_grad. Returns 0 or -1. */
int gad_backward(GadGraph *gr, GadTensor *loss);
int gad_zero_grad(GadGraph *gr, GadTensor **params, int n);
/* Records one Adam or AdamW step (cfg->kind) at step count t >= 1 (common/optim.h semantics). */
int gad_adam_step(GadGraph *gr, GadTensor **params, int n, const OptimConfig *cfg, long t);

/* Gradient clipping by the global norm (common/optim.h's clip_grad_norm) on the device:
   ||g|| over all the tensors' gradients (per tensor the fixed tree of gad_sum over g^2, then the
   tensors in order), and g *= c / ||g|| when ||g|| > c. Returns a temporary holding
   [||g||, scale] (read it after gad_run), or NULL. */
GadTensor *gad_clip_grad_norm(GadGraph *gr, GadTensor **params, int n, double max_norm);
/* The exponential moving average of the parameters on the device (common/optim.h's Ema):
   gad_ema_init records shadow = current values, gad_ema_update shadow = decay shadow +
   (1 - decay) value; gad_ema_read downloads a parameter's shadow (after gad_run). */
int gad_ema_init(GadGraph *gr, GadTensor **params, int n);
int gad_ema_update(GadGraph *gr, GadTensor **params, int n, double decay);
int gad_ema_read(GadTensor *param, float *dst);
/* Overwrites a parameter's values from an AdTensor of its size (immediate, like an upload). */
int gad_param_write(GadTensor *t, const AdTensor *p);

/* Submits everything recorded since the last run (one gpu_run_batch) and waits. */
int gad_run(GadGraph *gr, double *gpu_seconds);

/* Downloads (after gad_run): t->size floats of the values or of the gradient. */
int gad_read(GadTensor *t, float *dst);
int gad_read_grad(GadTensor *t, float *dst);

#endif
