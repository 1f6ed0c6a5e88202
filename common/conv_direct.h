/* conv_direct — the 3x3 stride-1 "same" convolution of float32 images computed directly, without
   a column matrix (AVX-512). ad_conv.c uses it for every convolution it fits (the residual blocks
   of the Tiny U-Net, L36 4.2.2, are all of this kind); the maths and the register blocking are in
   conv_direct.c. */
#ifndef COMMON_CONV_DIRECT_H
#define COMMON_CONV_DIRECT_H

#include <stddef.h>
#include <stdint.h>

/* The lane masks of an H x W plane read as vectors of 16 positions: for vector v and tap t,
   bit l of mask[v * 9 + t] says whether output position q = 16 v + l lies in the plane and its
   tap t = 3 i + j reads a pixel inside the image (row r + i - 1, column s + j - 1). Vector nv is
   a spare with every mask 0 (the kernels work on pairs of vectors). */
typedef struct {
    int h, w, nv;
    uint16_t *mask; /* (nv + 1) * 9 */
    uint16_t *tail; /* nv + 1: lanes inside the plane */
} ConvDirectPlan;

/* Whether this processor and kernel choice run the direct path (AVX-512, and common/gemm using
   its AVX-512 kernel: GEMM_KERNEL=avx2 or portable turns both off, for tests). */
int conv_direct_available(void);
/* Whether a convolution of this shape is one the direct path computes. */
int conv_direct_fits(int kh, int kw, int stride, int pad);
/* Bytes of the plan of an h x w plane, and the plan built in `mem` (8-byte aligned). */
size_t conv_direct_plan_bytes(int h, int w);
ConvDirectPlan conv_direct_plan(int h, int w, void *mem);

/* The kernel's weight layout: blocks of 8 output channels, each (C, 9 taps, 8) (zeros beyond O).
   Weight of output channel o, input channel c, tap t: w[o so + c sc + t], or w[o so + c sc + 8 - t]
   with flip (the data gradient's flipped kernel). wp holds conv_direct_packed_floats(C, O). */
long conv_direct_packed_floats(int C, int O);
void conv_direct_pack(int C, int O, const float *w, long so, long sc, int flip, float *wp);

/* One image: y (O, H, W) (+)= conv(x (C, H, W)) with packed weights wp. accumulate = 0:
   y = b + conv (b may be NULL); 1: y += conv (b unused). */
void conv_direct_image(const ConvDirectPlan *pl, int C, int O, const float *x, const float *wp,
                       const float *b, float *y, int accumulate);

/* W-bar (O, C, 3, 3) += sum over the N images of gy (N, O, H, W) correlated with x (N, C, H, W).
   Parallel over (block of 8 output channels, input channel, kernel row) units when called
   outside a parallel region; each unit sums the images in order, so the result does not depend
   on the threads. */
void conv_direct_weight_grad(const ConvDirectPlan *pl, int N, int C, int O, const float *x,
                             const float *gy, float *gw);

#endif
