#version 450
// ad_slice_copy — the block copy of gad_concat and gad_slice (gpu/gpu_ad.h), and of their
// backward passes: with src viewed as (outer, src_len, inner) and dst as (outer, dst_len, inner),
// dst[o, dst_off + l, j] (=|+=) src[o, src_off + l, j] for l < len. Forward copies; backward
// adds the gradient block into the input's gradient (eq. common.ad.vjp).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) buffer Dst { float dst[]; };
layout(push_constant) uniform Push { uint outer, inner, len, src_len, src_off, dst_len, dst_off, accumulate; } pc;

void main() {
    GRID_STRIDE_LOOP(idx, pc.outer * pc.len * pc.inner) {
        const uint j = idx % pc.inner, l = (idx / pc.inner) % pc.len, o = idx / (pc.inner * pc.len);
        const float v = src[(o * pc.src_len + pc.src_off + l) * pc.inner + j];
        const uint d = (o * pc.dst_len + pc.dst_off + l) * pc.inner + j;
        if (pc.accumulate != 0u) {
            precise float r = dst[d] + v;
            dst[d] = r;
        } else {
            dst[d] = v;
        }
    }
}
