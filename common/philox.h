/*: # Philox4x32-10 — the counter-based generator shared by C and GLSL

Salmon et al. (SC'11, "Parallel random numbers: as easy as 1, 2, 3") define Philox as a keyed
bijection of a 128-bit counter. Ten rounds of

$$ (x_0,x_1,x_2,x_3) \leftarrow \big(\mathrm{hi}(M_1x_2)\oplus x_1\oplus k_0,\ \mathrm{lo}(M_1x_2),\
   \mathrm{hi}(M_0x_0)\oplus x_3\oplus k_1,\ \mathrm{lo}(M_0x_0)\big) $$ {#eq:common.rng.philox_round}

with the key bumped by the Weyl constants $(W_0, W_1)$ between rounds. Because output block $n$
of stream $s$ is a pure function $f_{\text{key}}(n, s)$, every chain or sample of a simulation
can own its stream: the numbers it draws do not depend on which thread runs it, or on whether
the GPU or the CPU does. That is why the course uses it everywhere.

This header compiles both as C11 and as GLSL (`#define PHILOX_GLSL` before including it in a
shader): only 32-bit unsigned arithmetic, no pointers, the multiply-high through `umulExtended`
on the GPU and a 64-bit product in C.
*/
#ifndef COMMON_PHILOX_H
#define COMMON_PHILOX_H

#ifdef PHILOX_GLSL
#define philox_u32 uint
#define philox_u4 uvec4
#define philox_u2 uvec2
#define PHILOX_U4(a, b, c, d) uvec4(a, b, c, d)
#define PHILOX_U2(a, b) uvec2(a, b)
#define PHILOX_FN
#define PHILOX_MULHILO(a, b, hi, lo) umulExtended(a, b, hi, lo)
#define PHILOX_F32(x) float(x)
#else
#include <stdint.h>
typedef uint32_t philox_u32;
typedef struct { uint32_t x, y, z, w; } philox_u4;
typedef struct { uint32_t x, y; } philox_u2;
#define PHILOX_U4(a, b, c, d) ((philox_u4){(a), (b), (c), (d)})
#define PHILOX_U2(a, b) ((philox_u2){(a), (b)})
#define PHILOX_FN static inline
#define PHILOX_F32(x) ((float)(x))
#define PHILOX_MULHILO(a, b, hi, lo)                  \
    do {                                              \
        uint64_t p_ = (uint64_t)(a) * (uint64_t)(b);  \
        (hi) = (uint32_t)(p_ >> 32);                  \
        (lo) = (uint32_t)p_;                          \
    } while (0)
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

//: one round, eq. [eq:common.rng.philox_round]
PHILOX_FN philox_u4 philox_round(philox_u4 c, philox_u2 k) {
    philox_u32 hi0, lo0, hi1, lo1;
    PHILOX_MULHILO(PHILOX_M0, c.x, hi0, lo0);
    PHILOX_MULHILO(PHILOX_M1, c.z, hi1, lo1);
    return PHILOX_U4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

/* Philox4x32-10: ten rounds, the key bumped by (W0, W1) between them. */
PHILOX_FN philox_u4 philox4x32_10(philox_u4 c, philox_u2 k) {
    for (int r = 0; r < 9; r++) {
        c = philox_round(c, k);
        k = PHILOX_U2(k.x + PHILOX_W0, k.y + PHILOX_W1);
    }
    return philox_round(c, k);
}

/* The course's stream layout: key = 64-bit seed, counter = (block lo, block hi, stream lo,
   stream hi). Block n of stream s gives four 32-bit words. */
PHILOX_FN philox_u4 philox_block(philox_u32 seed_lo, philox_u32 seed_hi, philox_u32 stream_lo,
                                 philox_u32 stream_hi, philox_u32 block_lo, philox_u32 block_hi) {
    return philox4x32_10(PHILOX_U4(block_lo, block_hi, stream_lo, stream_hi),
                         PHILOX_U2(seed_lo, seed_hi));
}

/* A 32-bit word to a float uniform in the open interval (0, 1): the top 23 bits plus half a step,
   so that log(u) is always finite (Box-Muller needs that). Every operation is exact in float, so
   the CPU and the GPU produce the same bits. */
PHILOX_FN float philox_uniform_f(philox_u32 u) {
    return (PHILOX_F32(u >> 9u) + 0.5f) * (1.0f / 8388608.0f);
}

#endif
