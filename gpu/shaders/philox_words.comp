#version 450
// philox_words — raw Philox blocks and their Box-Muller pairs, for the bit-exactness test.
// Item i: stream stream0 + i / blocks_per_stream, block block0 + i % blocks_per_stream.
#include "common.glsl"
#include "gpu/gpu_shared.h"

layout(std430, binding = 0) writeonly buffer Words { uvec4 words[]; };
layout(std430, binding = 1) writeonly buffer Normals { vec2 normals[]; };
layout(push_constant) uniform Push {
    uint n, seed_lo, seed_hi, stream0, block0, blocks_per_stream;
} pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        uint stream = pc.stream0 + i / pc.blocks_per_stream;
        uint block = pc.block0 + i % pc.blocks_per_stream;
        uvec4 w = philox_block(pc.seed_lo, pc.seed_hi, stream, 0u, block, 0u);
        words[i] = w;
        normals[i] = gs_normal_pair(philox_uniform_f(w.x), philox_uniform_f(w.y));
    }
}
