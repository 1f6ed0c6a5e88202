#version 450
// ad_binary_back — the vector-Jacobian product of y = a (+|-|*|/) b into one operand x (a or b),
// eq. common.ad.vjp, by `kind`: 0 (+, -) gx += sign g; 1 (*) gx += g other; 2 (/, x = a)
// gx += g / b (other = b); 3 (/, x = b) gx += -(g a) / (b b) (other = a, xv = b's values). A full operand: one item per
// element. A broadcast operand (length mid): one item per entry m, summing its outer x inner
// contributions in the fixed order o = 0.., j = 0.. (deterministic), then one add into gx.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer O { float other[]; };
layout(std430, binding = 2) buffer GX { float gx[]; };
layout(std430, binding = 3) readonly buffer XV { float xv[]; };
layout(push_constant) uniform Push {
    uint n, kind, x_bcast, o_bcast, mid, inner, outer;
    float sign;
} pc;

float term(uint i) {
    const float gi = g[i];
    if (pc.kind == 0u) return gi;
    const float o = other[pc.o_bcast != 0u ? (i / pc.inner) % pc.mid : i];
    if (pc.kind == 1u) {
        precise float p = gi * o;
        return p;
    }
    if (pc.kind == 2u) {
        precise float q = gi / o;
        return q;
    }
    const float b = xv[pc.x_bcast != 0u ? (i / pc.inner) % pc.mid : i];
    precise float num = gi * o;
    precise float den = b * b;
    precise float q = num / den;
    return -q;
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
