#version 450
// ad_unary — the activations of the device executor (gpu/gpu_ad.h): forward y = f(x), or
// backward gx += f'(x) g with f' from x and y (eq. common.ad.vjp). op: 0 relu, 1 tanh,
// 2 sigmoid, 3 silu; tanh and SiLU are gpu_shared.h's formulas (the ones gpu_precision.h bounds).
#include "common.glsl"
#include "gpu/gpu_shared.h"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer G { float g[]; };
layout(std430, binding = 3) buffer GX { float gx[]; };
layout(push_constant) uniform Push { uint n, op, backward; } pc;

float sigm(float v) {
    precise float s = 1.0 / (1.0 + exp(-v));
    return s;
}

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        const float xi = x[i];
        if (pc.backward == 0u) {
            float r;
            if (pc.op == 0u) r = xi < 0.0 ? 0.0 : xi;
            else if (pc.op == 1u) r = gs_tanh(xi);
            else if (pc.op == 2u) r = sigm(xi);
            else r = gs_activation(GPU_ACT_SILU, xi);
            y[i] = r;
        } else {
            const float yi = y[i];
            precise float d;
            if (pc.op == 0u) d = xi > 0.0 ? 1.0 : 0.0;
            else if (pc.op == 1u) d = gs_activation_grad(GPU_ACT_TANH, xi, yi);
            else if (pc.op == 2u) d = yi * (1.0 - yi);
            else d = gs_activation_grad(GPU_ACT_SILU, xi, yi);
            precise float r = gx[i] + g[i] * d;
            gx[i] = r;
        }
    }
}
