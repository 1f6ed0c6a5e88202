#version 450
// ad_softmax — gad_softmax and gad_log_softmax along the last axis (gpu/gpu_ad.h), one row per
// work item:
//   forward: m = max x, s = sum exp(x - m) (index order), y = exp(x - m) / s
//            (log form: y = (x - m) - log s)
//   backward: d = sum g y (index order), gx += y (g - d)   (eq. common.ad.vjp)
//            (log form: d = sum g (index order), gx += g - exp(y) d, eq. common.ad.log_softmax_grad)
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer G { float g[]; };
layout(std430, binding = 3) buffer GX { float gx[]; };
layout(push_constant) uniform Push { uint rows, cols, backward, logf; } pc;

void main() {
    GRID_STRIDE_LOOP(r, pc.rows) {
        const uint base = r * pc.cols;
        if (pc.backward == 0u) {
            float m = x[base];
            for (uint j = 1u; j < pc.cols; j++) m = max(m, x[base + j]);
            precise float s = 0.0;
            for (uint j = 0u; j < pc.cols; j++) {
                precise float t = x[base + j] - m;
                s = s + exp(t);
            }
            if (pc.logf != 0u) {
                precise float ls = log(s);
                for (uint j = 0u; j < pc.cols; j++) {
                    precise float t = x[base + j] - m;
                    precise float v = t - ls;
                    y[base + j] = v;
                }
            } else {
                for (uint j = 0u; j < pc.cols; j++) {
                    precise float t = x[base + j] - m;
                    precise float v = exp(t) / s;
                    y[base + j] = v;
                }
            }
        } else if (pc.logf != 0u) {
            precise float d = 0.0;
            for (uint j = 0u; j < pc.cols; j++) d = d + g[base + j];
            for (uint j = 0u; j < pc.cols; j++) {
                precise float v = gx[base + j] + (g[base + j] - exp(y[base + j]) * d);
                gx[base + j] = v;
            }
        } else {
            precise float d = 0.0;
            for (uint j = 0u; j < pc.cols; j++) d = d + g[base + j] * y[base + j];
            for (uint j = 0u; j < pc.cols; j++) {
                precise float v = gx[base + j] + y[base + j] * (g[base + j] - d);
                gx[base + j] = v;
            }
        }
    }
}
