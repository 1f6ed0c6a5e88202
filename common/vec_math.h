/* vec_math — e^x for float32 arrays, written so that a loop over the array vectorises (libm's
   expf is a call per element). Introduced for SiLU and sigmoid of common/ad_unary.c (issue #10,
   the U-Net of L36 4.2.2); also the softmax weights of the float32 mixture score in
   common/langevin.c (L35 4.4).

   x = k ln2 + r with k = round(x / ln2) and |r| <= ln2/2 (ln2 split in two parts, so r is exact
   to float precision), e^r by its degree-7 Taylor polynomial (remainder below r^8/8! < 6e-9
   relative, a tenth of an ulp), then times 2^k built in the exponent bits, in two factors so
   that results in the subnormal range and overflow to inf come out as they should. The whole is
   within 1.22 ulp of e^x over every float in [-110, 90] (checks/unit/test_ad_f32 states and
   tests the bound through SiLU and sigmoid against the double path). e^x is 0 below -104 and
   inf above 89; a NaN passes through. The build has -ffp-contract=off: every path (portable,
   AVX2, AVX-512) does the same roundings, so the bits do not depend on the vector width.

   Callers compile their loops with no-trapping-math (only lets the compiler evaluate both
   sides of the selects below, no effect on any value), or the selects stop the vectoriser. */
#ifndef COMMON_VEC_MATH_H
#define COMMON_VEC_MATH_H

#include <stdint.h>
#include <string.h>

#define VM_INLINE static inline __attribute__((always_inline))

/* 2^k for -126 <= k <= 127 */
VM_INLINE float vm_pow2i(int k) {
    const uint32_t u = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

VM_INLINE float vm_exp_f32(float x) {
    float xc = x < -104.0f ? -104.0f : x; /* e^-104 rounds to 0 in float, e^89 to inf */
    xc = xc > 89.0f ? 89.0f : xc;
    xc = xc == xc ? xc : 0.0f;            /* a NaN is put back at the end */
    const float kf = __builtin_roundf(xc * 1.44269504088896341f);
    const float r = (xc - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int k = (int)kf, k1 = k / 2, k2 = k - k1;
    const float y = p * vm_pow2i(k1) * vm_pow2i(k2);
    return x == x ? y : x;
}

#endif
