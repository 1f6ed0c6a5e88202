#version 450
// ad_adam — one Adam / AdamW step of one parameter tensor on the device (common/optim.h,
// eq. common.optim.adam, PyTorch semantics): the bias corrections are folded into step_size =
// lr / (1 - beta1^t) and bias2_sqrt = sqrt(1 - beta2^t) by the host, as optim_step does.
#include "common.glsl"

layout(std430, binding = 0) buffer P { float p[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(std430, binding = 2) buffer M { float m[]; };
layout(std430, binding = 3) buffer V { float v[]; };
layout(push_constant) uniform Push {
    uint n, decoupled;
    float beta1, beta2, one_minus_b1, one_minus_b2, eps, step_size, bias2_sqrt, wd, shrink;
} pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        precise float th = p[i];
        precise float gi = g[i];
        if (pc.decoupled != 0u) th = th * pc.shrink;
        else gi = gi + pc.wd * th;
        precise float mt = pc.beta1 * m[i] + pc.one_minus_b1 * gi;
        precise float vt = pc.beta2 * v[i] + pc.one_minus_b2 * gi * gi;
        m[i] = mt;
        v[i] = vt;
        precise float denom = sqrt(vt) / pc.bias2_sqrt + pc.eps;
        precise float r = th - pc.step_size * mt / denom;
        p[i] = r;
    }
}
