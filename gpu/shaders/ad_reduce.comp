#version 450
// ad_reduce — one level of the fixed summation tree of gad_sum/gad_mean (gpu/gpu_ad.h):
// out[j] = scale * sum of in[j*chunk .. j*chunk + chunk - 1], summed in index order by one
// invocation. The host repeats levels until one value is left (scale on the last level only),
// so the tree, and the rounded result, does not depend on the scheduling. With `square` the first
// level sums x^2 (the gradient norm of gad_clip_grad_norm); out_off places the result.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer In { float xin[]; };
layout(std430, binding = 1) writeonly buffer Out { float xout[]; };
layout(push_constant) uniform Push { uint n, chunk, nout; float scale; uint square, out_off; } pc;

void main() {
    GRID_STRIDE_LOOP(j, pc.nout) {
        precise float acc = 0.0;
        const uint end = min(pc.n, (j + 1u) * pc.chunk);
        for (uint i = j * pc.chunk; i < end; i++) {
            precise float v = pc.square != 0u ? xin[i] * xin[i] : xin[i];
            acc = acc + v;
        }
        precise float r = acc * pc.scale;
        xout[pc.out_off + j] = r;
    }
}
