#version 450
// ad_groupnorm — GroupNorm of the device executor (gpu/gpu_ad.h), eq. common.ad.group_norm and
// its backward eq. common.ad.group_norm_grad, in phases (one dispatch each):
//   0 per (sample, group) block: mu = (sum x) / m, var = (sum (x - mu)^2) / m, r = 1/sqrt(var + eps)
//   1 per element: y = ((x - mu) r) gamma_c + beta_c
//   2 per block: the means of xbar = gamma_c ybar and of xbar xhat
//   3 per element: xgrad += r ((xbar - mean xbar) - xhat mean(xbar xhat))
//   4, 5 per channel: gamma grad += sum ybar xhat, beta grad += sum ybar (samples, then pixels)
// Every sum runs in index order in one invocation: no result depends on the scheduling.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, binding = 4) buffer Stats { float stats[]; }; // 4 per block: mu, r, mean xbar, mean xbar xhat
layout(std430, binding = 5) readonly buffer GY { float gy[]; };
layout(std430, binding = 6) buffer GX { float gx[]; };
layout(std430, binding = 7) buffer GP { float gp[]; };
layout(push_constant) uniform Push { uint n, c, groups, s, phase; float eps, inv_m; } pc;

float xhat(uint i, uint blk) {
    precise float h = (x[i] - stats[4u * blk]) * stats[4u * blk + 1u];
    return h;
}

void main() {
    const uint cg = pc.c / pc.groups, m = cg * pc.s;
    if (pc.phase == 0u || pc.phase == 2u) {
        GRID_STRIDE_LOOP(blk, pc.n * pc.groups) {
            const uint base = ((blk / pc.groups) * pc.c + (blk % pc.groups) * cg) * pc.s;
            if (pc.phase == 0u) {
                precise float acc = 0.0;
                for (uint e = 0u; e < m; e++) acc = acc + x[base + e];
                precise float mu = acc * pc.inv_m;
                precise float acc2 = 0.0;
                for (uint e = 0u; e < m; e++) {
                    precise float d = x[base + e] - mu;
                    acc2 = acc2 + d * d;
                }
                precise float var = acc2 * pc.inv_m;
                precise float r = 1.0 / sqrt(var + pc.eps);
                stats[4u * blk] = mu;
                stats[4u * blk + 1u] = r;
            } else {
                precise float a = 0.0, b = 0.0;
                for (uint e = 0u; e < m; e++) {
                    const uint ch = (base + e) / pc.s % pc.c;
                    precise float g = gy[base + e] * gamma[ch];
                    a = a + g;
                    b = b + g * xhat(base + e, blk);
                }
                precise float ma = a * pc.inv_m, mb = b * pc.inv_m;
                stats[4u * blk + 2u] = ma;
                stats[4u * blk + 3u] = mb;
            }
        }
    } else if (pc.phase == 1u || pc.phase == 3u) {
        GRID_STRIDE_LOOP(i, pc.n * pc.c * pc.s) {
            const uint ch = (i / pc.s) % pc.c, blk = (i / (pc.s * pc.c)) * pc.groups + ch / cg;
            const float h = xhat(i, blk);
            if (pc.phase == 1u) {
                precise float v = h * gamma[ch] + beta[ch];
                y[i] = v;
            } else {
                precise float g = gy[i] * gamma[ch];
                precise float t = (g - stats[4u * blk + 2u]) - h * stats[4u * blk + 3u];
                precise float r = gx[i] + stats[4u * blk + 1u] * t;
                gx[i] = r;
            }
        }
    } else {
        GRID_STRIDE_LOOP(ch, pc.c) {
            precise float acc = 0.0;
            for (uint smp = 0u; smp < pc.n; smp++)
                for (uint e = 0u; e < pc.s; e++) {
                    const uint i = (smp * pc.c + ch) * pc.s + e;
                    if (pc.phase == 4u) acc = acc + gy[i] * xhat(i, smp * pc.groups + ch / cg);
                    else acc = acc + gy[i];
                }
            precise float r = gp[ch] + acc;
            gp[ch] = r;
        }
    }
}
