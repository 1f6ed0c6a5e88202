#version 450
// ad_unary — the activations of the device executor (gpu/gpu_ad.h): forward y = f(x), or
// backward gx += f'(x) g with f' from x and y (eq. common.ad.vjp). op: 0 relu, 1 tanh,
// 2 sigmoid, 3 silu, 4 exp, 5 log, 6 softplus, 7 sqrt; tanh and SiLU are gpu_shared.h's formulas
// (the ones gpu_precision.h bounds). softplus is max(x, 0) + log(1 + exp(-|x|)) (no overflow;
// GLSL has no log1p, so for x far below 0 the bound is log's 2^-21 absolute, not relative),
// its derivative the sigmoid; exp' = y, log' = 1/x, sqrt' = 0.5/y.
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
            else if (pc.op == 3u) r = gs_activation(GPU_ACT_SILU, xi);
            else if (pc.op == 4u) r = exp(xi);
            else if (pc.op == 5u) r = log(xi);
            else if (pc.op == 6u) {
                precise float t = log(1.0 + exp(-abs(xi)));
                precise float sp = max(xi, 0.0) + t;
                r = sp;
            } else r = sqrt(xi);
            y[i] = r;
        } else {
            const float yi = y[i];
            precise float d;
            if (pc.op == 0u) d = xi > 0.0 ? 1.0 : 0.0;
            else if (pc.op == 1u) d = gs_activation_grad(GPU_ACT_TANH, xi, yi);
            else if (pc.op == 2u) d = yi * (1.0 - yi);
            else if (pc.op == 3u) d = gs_activation_grad(GPU_ACT_SILU, xi, yi);
            else if (pc.op == 4u) d = yi;
            else if (pc.op == 5u) d = 1.0 / xi;
            else if (pc.op == 6u) d = sigm(xi);
            else d = 0.5 / yi;
            precise float r = gx[i] + g[i] * d;
            gx[i] = r;
        }
    }
}
