#version 450
// ad_ema — the exponential moving average of one parameter tensor on the device
// (common/optim.h, ema_update): shadow = decay shadow + (1 - decay) theta.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer P { float p[]; };
layout(std430, binding = 1) buffer S { float s[]; };
layout(push_constant) uniform Push { uint n; float decay, one_minus_decay; } pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        precise float r = pc.decay * s[i] + pc.one_minus_decay * p[i];
        s[i] = r;
    }
}
