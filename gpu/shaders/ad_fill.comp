#version 450
// ad_fill — x[i] = value (gradient zeroing), or, with spread != 0, the backward of a full
// reduction gx[i] += scale * g[0] (eq. common.ad.vjp for sum and mean).
#include "common.glsl"

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(push_constant) uniform Push { uint n, spread; float value, scale; } pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        if (pc.spread == 0u) {
            x[i] = pc.value;
        } else {
            precise float r = x[i] + pc.scale * g[0];
            x[i] = r;
        }
    }
}
