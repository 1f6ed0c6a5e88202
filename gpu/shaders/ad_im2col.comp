#version 450
// ad_im2col — the patch matrix of gad_conv2d (gpu/gpu_ad.h): for x (N,C,H,W) and a kh x kw
// kernel, cols[(n Ho + ho) Wo + wo, (c kh + i) kw + j] = x[n, c, ho s - pad + i, wo s - pad + j]
// (0 outside the image), so the convolution is one matmul with the (O, C kh kw) weights.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Cols { float cols[]; };
layout(push_constant) uniform Push { uint n, c, h, w, kh, kw, stride, pad, ho, wo; } pc;

void main() {
    const uint ckk = pc.c * pc.kh * pc.kw, rows = pc.n * pc.ho * pc.wo;
    GRID_STRIDE_LOOP(idx, rows * ckk) {
        const uint r = idx / ckk, q = idx % ckk;
        const uint img = r / (pc.ho * pc.wo), p = r % (pc.ho * pc.wo);
        const uint ch = q / (pc.kh * pc.kw), i = (q / pc.kw) % pc.kh, j = q % pc.kw;
        const int yy = int((p / pc.wo) * pc.stride + i) - int(pc.pad);
        const int xx = int((p % pc.wo) * pc.stride + j) - int(pc.pad);
        float v = 0.0;
        if (yy >= 0 && yy < int(pc.h) && xx >= 0 && xx < int(pc.w))
            v = x[((img * pc.c + ch) * pc.h + uint(yy)) * pc.w + uint(xx)];
        cols[idx] = v;
    }
}
