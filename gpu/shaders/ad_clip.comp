#version 450
// ad_clip — gradient clipping by the global norm on the device (common/optim.h,
// clip_grad_norm): phase 0 (one item) sums the per-tensor squared norms in tensor order,
// ||g|| = sqrt(sum), scale = c / ||g|| when ||g|| > c (else 1, and 1 for a non-finite norm);
// phase 1 multiplies one tensor's gradient by the scale.
#include "common.glsl"

layout(std430, binding = 0) buffer Norms { float norms[]; }; // per-tensor sums of squares
layout(std430, binding = 1) buffer Out { float out_[]; };     // [||g||, scale]
layout(std430, binding = 2) buffer G { float g[]; };
layout(push_constant) uniform Push { uint n, phase; float max_norm; } pc;

void main() {
    if (pc.phase == 0u) {
        if (gl_GlobalInvocationID.x != 0u) return;
        precise float ss = 0.0;
        for (uint p = 0u; p < pc.n; p++) ss = ss + norms[p];
        precise float norm = sqrt(ss);
        precise float scale = 1.0;
        if (!isnan(norm) && !isinf(norm) && norm > pc.max_norm) scale = pc.max_norm / norm;
        out_[0] = norm;
        out_[1] = scale;
    } else {
        GRID_STRIDE_LOOP(i, pc.n) {
            precise float r = g[i] * out_[1];
            g[i] = r;
        }
    }
}
