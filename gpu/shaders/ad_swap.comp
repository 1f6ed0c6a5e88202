#version 450
// ad_swap — the swap of two axes: x viewed as (A, P, M, Q, K) -> y (A, Q, M, P, K), i.e.
// y[a, q, m, p, k] = x[a, p, m, q, k]: gad_swap_axes of any two axes (P and Q the swapped axes,
// M the axes between them, A those before, K those after; attention's (B, T, H, d) ->
// (B, H, T, d) is P = T, Q = H, M = K... = 1 there), the last two axes (M = K = 1), the
// (N Ho Wo, O) product of gad_conv2d into NCHW and, in the backward passes, the way back.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint a, p, m, q, k; } pc;

void main() {
    GRID_STRIDE_LOOP(idx, pc.a * pc.p * pc.m * pc.q * pc.k) {
        uint r = idx;
        const uint kk = r % pc.k;
        r /= pc.k;
        const uint qq = r % pc.q;
        r /= pc.q;
        const uint mm = r % pc.m;
        r /= pc.m;
        const uint pp = r % pc.p, aa = r / pc.p;
        y[(((aa * pc.q + qq) * pc.m + mm) * pc.p + pp) * pc.k + kk] = x[idx];
    }
}
