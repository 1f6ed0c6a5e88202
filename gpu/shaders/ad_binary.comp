#version 450
// ad_binary — y = a (+|-|*|/) b with broadcasting, the forward of gad_add/sub/mul/div
// (gpu/gpu_ad.h); the division is GLSL's (2.5 ulp in the Vulkan precision table).
// The output is viewed as (outer, mid, inner); an operand is either full (index i) or a
// broadcast vector of length mid (index (i / inner) % mid): same shape, a row bias (inner = 1)
// and a per-channel bias of an NCHW tensor (inner = H W), or a scalar (mid = 1).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n, op, a_bcast, b_bcast, mid, inner; } pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        const uint ib = (i / pc.inner) % pc.mid;
        const float va = a[pc.a_bcast != 0u ? ib : i], vb = b[pc.b_bcast != 0u ? ib : i];
        precise float r;
        if (pc.op == 0u) r = va + vb;
        else if (pc.op == 1u) r = va - vb;
        else if (pc.op == 2u) r = va * vb;
        else r = va / vb;
        y[i] = r;
    }
}
