#version 450
// ad_binary_back — the vector-Jacobian product of y = a (+|-|*) b into one operand x (a or b):
// gx += sign * g * (other operand, for *), eq. common.ad.vjp. A full operand: one item per
// element. A broadcast operand (length mid): one item per entry m, summing its outer x inner
// contributions in the fixed order o = 0.., j = 0.. (deterministic), then one add into gx.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer O { float other[]; };
layout(std430, binding = 2) buffer GX { float gx[]; };
layout(push_constant) uniform Push {
    uint n, mul, x_bcast, o_bcast, mid, inner, outer;
    float sign;
} pc;

float term(uint i) {
    const float gi = g[i];
    if (pc.mul == 0u) return gi;
    precise float p = gi * other[pc.o_bcast != 0u ? (i / pc.inner) % pc.mid : i];
    return p;
}

void main() {
    if (pc.x_bcast == 0u) {
        GRID_STRIDE_LOOP(i, pc.n) {
            precise float r = gx[i] + pc.sign * term(i);
            gx[i] = r;
        }
    } else {
        GRID_STRIDE_LOOP(m, pc.mid) {
            precise float acc = 0.0;
            for (uint o = 0u; o < pc.outer; o++)
                for (uint j = 0u; j < pc.inner; j++) acc = acc + term((o * pc.mid + m) * pc.inner + j);
            precise float r = gx[m] + pc.sign * acc;
            gx[m] = r;
        }
    }
}
