/*: # ad — reverse-mode automatic differentiation over small tensors

Every network in the course (the MLP score model of L35, the U-Net noise predictor of L36) is
trained by gradient descent on a scalar loss $L(\theta)$. This module computes
$\nabla_\theta L$ by the chain rule applied backwards through the computation, one op at a time.

**Tensors.** An `AdTensor` is a contiguous row-major array of up to 4 dimensions holding `float`
(`AD_F32`, the default for training) or `double` (`AD_F64`, used to check every gradient against
finite differences). The element type is a runtime field: one API serves both.

**Tape.** Each op that has an input requiring a gradient appends its output to a tape, in
creation order. For an op $y = f(x_1, \dots, x_k)$ the backward step receives the upstream
gradient $\bar y = \partial L/\partial y$ and adds the vector-Jacobian products

$$ \bar x_i \mathrel{+}= \Big(\frac{\partial y}{\partial x_i}\Big)^{\!\top} \bar y $$ {#eq:common.ad.vjp}

into the inputs' gradients. `ad_backward` seeds $\bar L = 1$ and walks the tape in reverse.

**Memory.** All tensors made by ops (values, gradients, the tape itself, scratch) come from an
`AdArena` that is reset at the start of every step. Parameters are persistent: `ad_param_new`
mallocs their value and gradient, and they live across steps. The arena is a chain of blocks;
it only grows when a step asks for more than any earlier step, so a training loop that builds
the same graph every step allocates nothing after its first step. Create it with any size
(e.g. 1 MiB): the first step grows it to what the graph needs. `ad_arena_capacity` reports the
bytes held; a test checks it is unchanged between step 2 and step 10 of a loop.

**Conventions.**
- Broadcasting (`ad_add`, `ad_sub`, `ad_mul`, `ad_div`) follows numpy: shapes are aligned on
  the right, and each axis must match or be 1 in one operand.
- `ad_linear(x, W, b)` computes $y = xW + b$ with $W$ of shape (in, out) (not PyTorch's
  (out, in)), so the inner loop runs along rows of $W$ and vectorises.
- Images are NCHW; convolution weights OIHW.
- A scalar has `ndim == 0` and one element (`ad_sum`, `ad_mean` return one).
- Gradients of parameters accumulate across `ad_backward` calls until `ad_zero_grad`.
- Inputs of one op must share a dtype. Shape errors `die()` with the op's name and the shapes.
*/
#ifndef COMMON_AD_H
#define COMMON_AD_H

#include <stddef.h>

#define AD_MAX_DIM 4

typedef enum { AD_F32 = 0, AD_F64 = 1 } AdDtype;

typedef struct AdArena AdArena;
typedef struct AdTensor AdTensor;

struct AdTensor {
    /* public, read-only after creation (write the values through `data`) */
    AdDtype dtype;
    int ndim;                /* 0..4 */
    int shape[AD_MAX_DIM];   /* shape[i] for i < ndim; 1 beyond */
    long size;               /* number of elements (1 for a scalar) */
    void *data;              /* float* or double*, `size` elements, row-major */
    void *grad;              /* same type and size as data; NULL when no gradient flows here */
    int requires_grad;       /* 1 for parameters and for every op output that depends on one */
    int is_param;            /* 1: persistent (ad_param_new), freed by ad_tensor_free */
    /* private: how this tensor was made (for the backward pass) */
    const char *op;                 /* op name, for messages */
    void (*backward)(AdTensor *out);/* adds this op's vector-Jacobian products into inputs */
    AdTensor *in[4];                /* inputs (NULL-padded) */
    AdTensor *tape_prev;            /* previous tape entry */
    void *aux;                      /* op-specific saved data (arena memory) */
    double dparam[2];               /* op-specific constants */
    int iparam[6];                  /* op-specific integers */
    AdArena *deferred;              /* recorded by a deferred arena: values not computed */
};

/* ---------------------------------------------------------------------------------------- */
/* Arena                                                                                      */

AdArena *ad_arena_new(size_t bytes);
void ad_arena_reset(AdArena *arena);      /* forget every tensor and the tape of this step */
void ad_arena_free(AdArena *arena);
size_t ad_arena_capacity(const AdArena *arena);   /* bytes held in all blocks */
size_t ad_arena_used(const AdArena *arena);       /* bytes handed out since the last reset */
size_t ad_arena_high_water(const AdArena *arena); /* the most ever used between two resets */
long ad_arena_block_count(const AdArena *arena);  /* number of mallocs the arena has made */
void *ad_arena_alloc(AdArena *arena, size_t bytes); /* 64-byte aligned, until the next reset */
/* Record-only ("deferred") mode, for executors that replay the tape elsewhere (gpu/gpu_ad_replay):
   while on, every op whose output goes on the tape creates that output (shape, op, inputs, aux,
   iparam/dparam) and its tape entry but does not compute its values; ops on tensors that need no
   gradient (inputs, time embeddings) still compute. Reading a deferred value (ad_f32, ad_get,
   ad_item, ad_detach, ...) marks the step "not deferrable", since the caller would use an
   uncomputed number; ad_arena_not_deferrable says why (NULL while the step is fine). The mode
   survives ad_arena_reset; the verdict is cleared by it. */
void ad_arena_set_deferred(AdArena *arena, int on);
int ad_arena_deferred(const AdArena *arena);
const char *ad_arena_not_deferrable(const AdArena *arena);

/* Gradient shadows, for data-parallel steps (common/genmodel.c's chunked training). A shadow
   set stands for a list of parameters with gradient buffers of its own: while an arena has one,
   every op built in that arena records a listed parameter's shadow as its input instead of the
   parameter, so that backward adds that parameter's gradient into the set's buffer and never
   into param->grad. Values are the parameter's own, read in place. Threads can then run the
   forward and backward passes of one network at once, each in its own arena with its own set,
   and the sets' gradients be added in a fixed order afterwards. The set keeps `params` (the
   array must outlive it). */
typedef struct AdShadows AdShadows;
AdShadows *ad_shadows_new(AdTensor *const *params, int n);
void ad_shadows_free(AdShadows *s);
void ad_shadows_zero(AdShadows *s);                     /* every shadow gradient to 0 */
const void *ad_shadows_grad(const AdShadows *s, int i); /* params[i]'s shadow gradient */
void ad_arena_set_shadows(AdArena *arena, AdShadows *s); /* NULL: none; survives resets */

/* ---------------------------------------------------------------------------------------- */
/* Tensors                                                                                    */

size_t ad_dtype_size(AdDtype dtype);
/* A persistent parameter, zero-initialised, requiring a gradient (malloc'd value and grad). */
AdTensor *ad_param_new(AdDtype dtype, int ndim, const int *shape);
void ad_tensor_free(AdTensor *param); /* parameters only; NULL is fine */
/* A temporary tensor of this step, zero-initialised, no gradient (an input or target). */
AdTensor *ad_input(AdArena *arena, AdDtype dtype, int ndim, const int *shape);
/* Same, with the values copied from `src` (float* for AD_F32, double* for AD_F64). */
AdTensor *ad_from_array(AdArena *arena, AdDtype dtype, int ndim, const int *shape,
                        const void *src);
/* Same, from doubles whatever the dtype (converted). */
AdTensor *ad_from_doubles(AdArena *arena, AdDtype dtype, int ndim, const int *shape,
                          const double *src);
/* A no-gradient view of t's values (shares t->data): gradients stop here. */
AdTensor *ad_detach(AdArena *arena, AdTensor *t);

/* Typed access; die if the dtype differs. */
float *ad_f32(AdTensor *t);
double *ad_f64(AdTensor *t);
float *ad_grad_f32(AdTensor *t);
double *ad_grad_f64(AdTensor *t);
/* Element access as double whatever the dtype (flat row-major index). */
double ad_get(const AdTensor *t, long i);
void ad_set(AdTensor *t, long i, double v);
double ad_grad_get(const AdTensor *t, long i); /* 0 when t has no gradient buffer */
double ad_item(const AdTensor *t);             /* the value of a one-element tensor */
/* Copy values between tensors of equal size (any dtypes). */
void ad_copy_values(AdTensor *dst, const AdTensor *src);
/* "(2,3,4)" into buf. */
const char *ad_shape_str(const AdTensor *t, char *buf, size_t len);

void ad_zero_grad(AdTensor **params, int n);

/* ---------------------------------------------------------------------------------------- */
/* Backward                                                                                   */

/* Seed d loss/d loss = 1 and run the tape backwards. `loss` must have one element. */
void ad_backward(AdArena *arena, AdTensor *loss);

/* ---------------------------------------------------------------------------------------- */
/* Ops. Each returns a new tensor from the arena.                                            */

/* elementwise with numpy broadcasting (ad_elementwise.c) */
AdTensor *ad_add(AdArena *arena, AdTensor *a, AdTensor *b);
AdTensor *ad_sub(AdArena *arena, AdTensor *a, AdTensor *b);
AdTensor *ad_mul(AdArena *arena, AdTensor *a, AdTensor *b);
AdTensor *ad_div(AdArena *arena, AdTensor *a, AdTensor *b);

/* unary (ad_unary.c) */
AdTensor *ad_exp(AdArena *arena, AdTensor *a);
AdTensor *ad_log(AdArena *arena, AdTensor *a);
AdTensor *ad_tanh(AdArena *arena, AdTensor *a);
AdTensor *ad_sigmoid(AdArena *arena, AdTensor *a);
AdTensor *ad_relu(AdArena *arena, AdTensor *a);
AdTensor *ad_silu(AdArena *arena, AdTensor *a);      /* x * sigmoid(x) */
AdTensor *ad_softplus(AdArena *arena, AdTensor *a);  /* log(1 + e^x), stable */
AdTensor *ad_square(AdArena *arena, AdTensor *a);
AdTensor *ad_sqrt(AdArena *arena, AdTensor *a);
AdTensor *ad_sin(AdArena *arena, AdTensor *a);
AdTensor *ad_cos(AdArena *arena, AdTensor *a);
AdTensor *ad_scale(AdArena *arena, AdTensor *a, double c);     /* c * a */
AdTensor *ad_add_const(AdArena *arena, AdTensor *a, double c); /* a + c */

/* matrix products (ad_matmul.c) */
/* (m,k)@(k,n) -> (m,n); batched (B,m,k)@(B,k,n) -> (B,m,n). */
AdTensor *ad_matmul(AdArena *arena, AdTensor *a, AdTensor *b);
/* x (N,in), W (in,out), b (out) or NULL -> x W + b of shape (N,out). */
AdTensor *ad_linear(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b);

/* reductions (ad_reduce.c) */
AdTensor *ad_sum(AdArena *arena, AdTensor *a);   /* all elements -> scalar */
AdTensor *ad_mean(AdArena *arena, AdTensor *a);  /* all elements -> scalar */
/* Over one axis (negative counts from the end); keepdim keeps it with length 1. */
AdTensor *ad_sum_axis(AdArena *arena, AdTensor *a, int axis, int keepdim);
AdTensor *ad_mean_axis(AdArena *arena, AdTensor *a, int axis, int keepdim);

/* shape ops (ad_shape.c) */
AdTensor *ad_reshape(AdArena *arena, AdTensor *a, int ndim, const int *shape);
AdTensor *ad_transpose(AdArena *arena, AdTensor *a);                /* 2-D */
AdTensor *ad_swap_axes(AdArena *arena, AdTensor *a, int ax1, int ax2);
AdTensor *ad_concat(AdArena *arena, AdTensor **xs, int n, int axis);
AdTensor *ad_slice(AdArena *arena, AdTensor *a, int axis, int start, int end); /* [start,end) */

/* images, NCHW (ad_conv.c, ad_pool.c) */
/* x (N,C,H,W), w (O,C,kh,kw), b (O) or NULL -> (N,O,Ho,Wo), Ho = (H + 2 pad - kh)/stride + 1 */
AdTensor *ad_conv2d(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b, int stride,
                    int pad);
/* Transposed convolution (the adjoint of ad_conv2d), x (N,Cin,H,W), w (Cin,Cout,kh,kw) as in
   PyTorch, b (Cout) or NULL -> (N,Cout,Ho,Wo), Ho = (H - 1) stride - 2 pad + kh. */
AdTensor *ad_conv_transpose2d(AdArena *arena, AdTensor *x, AdTensor *w, AdTensor *b, int stride,
                              int pad);
/* Average over non-overlapping k x k windows (H, W divisible by k). */
AdTensor *ad_avg_pool2d(AdArena *arena, AdTensor *x, int k);
/* Maximum over non-overlapping k x k windows (H, W divisible by k); the gradient goes to the
   first maximum of each window in row-major order (common/digit_classifier, L36 5.6). */
AdTensor *ad_max_pool2d(AdArena *arena, AdTensor *x, int k);
/* Nearest-neighbour upsampling by an integer factor. */
AdTensor *ad_upsample_nearest2d(AdArena *arena, AdTensor *x, int factor);

/* normalisation (ad_norm.c) */
/* x (N,C,...) with C divisible by groups; weight, bias (C) or NULL. */
AdTensor *ad_group_norm(AdArena *arena, AdTensor *x, int groups, AdTensor *weight,
                        AdTensor *bias, double eps);

/* softmax family and attention (ad_softmax.c, ad_attention.c) */
AdTensor *ad_softmax(AdArena *arena, AdTensor *a);     /* along the last axis */
AdTensor *ad_log_softmax(AdArena *arena, AdTensor *a); /* along the last axis */
/* Mean over rows of -log softmax(logits)[label]; logits (N,C), labels[N] in [0,C). */
AdTensor *ad_cross_entropy(AdArena *arena, AdTensor *logits, const int *labels);
/* q (B,Tq,d), k (B,Tk,d), v (B,Tk,dv) -> softmax(q k^T / sqrt(d)) v of shape (B,Tq,dv). */
AdTensor *ad_attention(AdArena *arena, AdTensor *q, AdTensor *k, AdTensor *v);

/* embedding (ad_embedding.c): rows idx[0..n-1] of table (V,d) -> (n,d). */
AdTensor *ad_embedding(AdArena *arena, AdTensor *table, const int *idx, int n);

/* ---------------------------------------------------------------------------------------- */
/* Gradient check (ad_gradcheck.c)                                                           */

/* Builds a scalar loss from the parameters in the arena it is given. */
typedef AdTensor *(*AdLossFn)(AdArena *arena, AdTensor **params, int nparams, void *ctx);

/* Compares the tape's gradient of `loss_fn` with central finite differences
   (L(θ + h e_i) - L(θ - h e_i)) / 2h for every element of every parameter (all AD_F64).
   Returns the largest relative error over the parameters, where a parameter's error is
   max_i |g_i - fd_i| / max(max_i |fd_i|, 1e-12); h <= 0 picks 1e-5. Prints nothing. */
double ad_gradcheck(AdLossFn loss_fn, AdTensor **params, int nparams, void *ctx, double h);

#endif
