#version 450
// ad_swap — y[a, k, b] = x[a, b, k] for x of shape (A, B, K): the (N Ho Wo, O) product of
// gad_conv2d into NCHW and, in the backward pass, the NCHW gradient back.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint a, b, k; } pc;

void main() {
    GRID_STRIDE_LOOP(idx, pc.a * pc.b * pc.k) {
        const uint kk = idx % pc.k, bb = (idx / pc.k) % pc.b, aa = idx / (pc.k * pc.b);
        y[(aa * pc.k + kk) * pc.b + bb] = x[idx];
    }
}
