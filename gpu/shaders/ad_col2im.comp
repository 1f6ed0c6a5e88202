#version 450
// ad_col2im — the backward of ad_im2col as a gather (deterministic): every input pixel sums the
// patch-matrix gradients of the output positions that read it, in the order i = 0.., j = 0..,
// then one add into gx (eq. common.ad.vjp).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer DCols { float dcols[]; };
layout(std430, binding = 1) buffer GX { float gx[]; };
layout(push_constant) uniform Push { uint n, c, h, w, kh, kw, stride, pad, ho, wo; } pc;

void main() {
    const uint ckk = pc.c * pc.kh * pc.kw;
    GRID_STRIDE_LOOP(idx, pc.n * pc.c * pc.h * pc.w) {
        const uint xx = idx % pc.w, yy = (idx / pc.w) % pc.h;
        const uint ch = (idx / (pc.w * pc.h)) % pc.c, img = idx / (pc.w * pc.h * pc.c);
        precise float acc = 0.0;
        for (uint i = 0u; i < pc.kh; i++) {
            const int ty = int(yy + pc.pad) - int(i);
            if (ty < 0 || ty % int(pc.stride) != 0 || uint(ty) / pc.stride >= pc.ho) continue;
            for (uint j = 0u; j < pc.kw; j++) {
                const int tx = int(xx + pc.pad) - int(j);
                if (tx < 0 || tx % int(pc.stride) != 0 || uint(tx) / pc.stride >= pc.wo) continue;
                const uint r = (img * pc.ho + uint(ty) / pc.stride) * pc.wo + uint(tx) / pc.stride;
                acc = acc + dcols[r * ckk + (ch * pc.kh + i) * pc.kw + j];
            }
        }
        precise float s = gx[idx] + acc;
        gx[idx] = s;
    }
}
