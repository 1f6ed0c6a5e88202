#version 450
// ad_embedding — gad_embedding (gpu/gpu_ad.h): forward y[i, j] = table[idx[i], j]; backward,
// per table entry (v, j), the sum of g[i, j] over the positions i with idx[i] = v in index
// order (a gather: deterministic, no atomics), added into the table's gradient.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Idx { uint idx[]; };
layout(std430, binding = 1) readonly buffer Src { float src[]; };
layout(std430, binding = 2) buffer Dst { float dst[]; };
layout(push_constant) uniform Push { uint n, d, v, backward; } pc;

void main() {
    if (pc.backward == 0u) {
        GRID_STRIDE_LOOP(k, pc.n * pc.d) dst[k] = src[idx[k / pc.d] * pc.d + k % pc.d];
    } else {
        GRID_STRIDE_LOOP(k, pc.v * pc.d) {
            const uint row = k / pc.d, j = k % pc.d;
            precise float acc = 0.0;
            for (uint i = 0u; i < pc.n; i++)
                if (idx[i] == row) acc = acc + src[i * pc.d + j];
            precise float r = dst[k] + acc;
            dst[k] = r;
        }
    }
}
