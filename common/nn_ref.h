/*: # nn_ref — plain double-precision reference versions of the U-Net layers

Lecture 36 §3.8 (programs 10–12 of `lectures/36_ddpm/`) checks the taped layers of `nn.h`
against a second implementation written as plainly as possible: explicit loops over one
sample, double precision, no tape, no broadcasting, no shared code with `ad_*.c`. These are
those loops, kept once so that every program checks against the same reference.

**GroupNorm** of one sample $x \in \mathbb R^{C\times S}$ ($S$ positions), $G$ groups,
$m = (C/G)\,S$ values per group:
$$ \mu_g = \frac1m\sum_{c\in g,\,s} x_{cs},\qquad
   \sigma_g^2 = \frac1{m - \delta}\sum_{c\in g,\,s}(x_{cs}-\mu_g)^2,\qquad
   y_{cs} = \gamma_c\frac{x_{cs}-\mu_g}{\sqrt{\sigma_g^2+\epsilon}} + \beta_c $$ {#eq:common.nn_ref.group_norm}
with $\delta = 0$ (the standard, biased variance) or $\delta = 1$ (unbiased). Channel $c$
belongs to group $\lfloor c/(C/G)\rfloor$ when groups are **contiguous** blocks (Wu & He,
PyTorch), and to group $c \bmod G$ when they are **strided** (what a column-major reshape of
$(C,S)$ to $(G, C/G, S)$ gives, as in the lecture's Julia code, L36 §3.8.2).

**Convolution** of one sample, cross-correlation as in every deep-learning library:
$y_{o,i,j} = b_o + \sum_{c,u,v} w_{o,c,u,v}\, x_{c,\,si+u-p,\,sj+v-p}$ (zero outside).

**Attention** (single head): $P = \mathrm{softmax}_\text{rows}(\text{scale}\cdot QK^\top)$,
$Y = PV$, the softmax with its row maximum subtracted.
*/
#ifndef COMMON_NN_REF_H
#define COMMON_NN_REF_H

typedef enum { NN_REF_GROUPS_CONTIGUOUS, NN_REF_GROUPS_STRIDED } NnRefGrouping;

/* The group of channel c (of C, in G groups) under a grouping. */
int nn_ref_group_of(int c, int channels, int groups, NnRefGrouping grouping);

/* x, out: (C, S) of one sample (out may equal x: the lecture's in-place version).
   unbiased: 1 divides by m - 1. gamma, beta: (C) or NULL (1 and 0). */
void nn_ref_group_norm(const double *x, int channels, long positions, int groups,
                       NnRefGrouping grouping, int unbiased, const double *gamma,
                       const double *beta, double eps, double *out);

/* x (Cin,H,W), w (Cout,Cin,k,k), b (Cout) or NULL -> out (Cout,Ho,Wo),
   Ho = (H + 2 pad - k)/stride + 1. */
void nn_ref_conv2d(const double *x, int cin, int h, int w, const double *weight,
                   const double *bias, int cout, int k, int stride, int pad, double *out);

/* q (Tq,d), k (Tk,d), v (Tk,dv) -> out (Tq,dv); p (Tq,Tk) receives the weights (or NULL). */
void nn_ref_attention(const double *q, const double *k, const double *v, int tq, int tk, int d,
                      int dv, double scale, double *p, double *out);

#endif
