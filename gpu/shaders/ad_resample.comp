#version 450
// ad_resample — gad_avg_pool2d and gad_upsample_nearest2d (gpu/gpu_ad.h) over planes of a large
// H x W grid and the small (H/k) x (W/k) grid:
//   0 pool forward (small): y = (sum over the k x k window, rows then columns) inv, inv = 1/k^2
//   1 pool backward (large): gx += gy[window] inv
//   2 upsample forward (large): y = x[window]
//   3 upsample backward (small): gx += sum over the k x k block of gy, rows then columns
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) buffer Dst { float dst[]; };
layout(push_constant) uniform Push { uint planes, h, w, k, mode; float inv; } pc;

void main() {
    const uint hs = pc.h / pc.k, ws = pc.w / pc.k;
    const bool small = pc.mode == 0u || pc.mode == 3u;
    GRID_STRIDE_LOOP(i, pc.planes * (small ? hs * ws : pc.h * pc.w)) {
        if (small) {
            const uint pl = i / (hs * ws), p = (i / ws) % hs, q = i % ws;
            precise float acc = 0.0;
            for (uint a = 0u; a < pc.k; a++)
                for (uint b = 0u; b < pc.k; b++)
                    acc = acc + src[(pl * pc.h + p * pc.k + a) * pc.w + q * pc.k + b];
            if (pc.mode == 0u) {
                precise float r = acc * pc.inv;
                dst[i] = r;
            } else {
                precise float r = dst[i] + acc;
                dst[i] = r;
            }
        } else {
            const uint pl = i / (pc.h * pc.w), yy = (i / pc.w) % pc.h, xx = i % pc.w;
            const float v = src[(pl * hs + yy / pc.k) * ws + xx / pc.k];
            if (pc.mode == 2u) {
                dst[i] = v;
            } else {
                precise float r = dst[i] + v * pc.inv;
                dst[i] = r;
            }
        }
    }
}
