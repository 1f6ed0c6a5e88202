#version 450
// train_grad — one training example per work item (gpu/gpu_train.h): draw it from Philox
// (gs_train_item), run the MLP forward keeping the layer inputs h and phi'(z), then the backward
// pass; write h to `acts`, the deltas dL/dz to `deltas` and the example's loss to `sample_loss`.
// Every product and sum is `precise`, in the C twin's order (item_pass in gpu/gpu_train.c).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Params { float params[]; };
layout(std430, binding = 1) readonly buffer Table { float train_table[]; };
layout(std430, binding = 2) writeonly buffer Acts { float acts[]; };
layout(std430, binding = 3) buffer Deltas { float deltas[]; };
layout(std430, binding = 4) writeonly buffer SampleLoss { float sample_loss[]; };
#define GS_HAVE_TRAIN_TABLE
#include "gpu/gpu_shared.h"
#include "train_push.glsl"

float h[GPU_MLP_MAX_WIDTH];
float z[GPU_MLP_MAX_WIDTH];
float dl[GPU_MLP_MAX_WIDTH];
float dn[GPU_MLP_MAX_WIDTH];

void main() {
    uint L = pc.nlayers;
    uint poff[GPU_MLP_MAX_LAYERS];
    uint doff[GPU_MLP_MAX_LAYERS];
    GRID_STRIDE_LOOP(item, pc.batch) {
        GsTrainItem it = gs_train_item(int(pc.ncomp), int(pc.nlevels), pc.seed_lo, pc.seed_hi,
                                       item, pc.step);
        h[0] = it.xt.x;
        h[1] = it.xt.y;
        if (pc.widths[0] == 3u) h[2] = it.cond;
        uint a = item * pc.acts_stride, d = item * pc.deltas_stride, p = 0u;
        for (uint l = 0u; l < L; l++) {
            uint nin = pc.widths[l], nout = pc.widths[l + 1u];
            poff[l] = p;
            doff[l] = d;
            for (uint i = 0u; i < nin; i++) acts[a + i] = h[i];
            a += nin;
            for (uint j = 0u; j < nout; j++) {
                precise float acc = params[p + nin * nout + j];
                for (uint i = 0u; i < nin; i++) acc = acc + h[i] * params[p + i * nout + j];
                z[j] = acc;
            }
            p += nin * nout + nout;
            if (l == L - 1u) {
                for (uint j = 0u; j < nout; j++) h[j] = z[j];
            } else {
                for (uint j = 0u; j < nout; j++) {
                    float y = gs_activation(pc.act, z[j]);
                    deltas[d + j] = gs_activation_grad(pc.act, z[j], y);
                    h[j] = y;
                }
            }
            d += nout;
        }
        precise float r0 = it.a * h[0] + it.b * it.eps.x;
        precise float r1 = it.a * h[1] + it.b * it.eps.y;
        precise float loss = r0 * r0 + r1 * r1;
        sample_loss[item] = loss;
        precise float c = 2.0 * it.a * pc.inv_batch;
        precise float d0 = c * r0;
        precise float d1 = c * r1;
        dl[0] = d0;
        dl[1] = d1;
        deltas[doff[L - 1u]] = d0;
        deltas[doff[L - 1u] + 1u] = d1;
        for (int l = int(L) - 2; l >= 0; l--) {
            uint nout = pc.widths[l + 1], nnext = pc.widths[l + 2];
            uint wn = poff[l + 1];
            for (uint i = 0u; i < nout; i++) {
                precise float acc = 0.0;
                for (uint j = 0u; j < nnext; j++) acc = acc + params[wn + i * nnext + j] * dl[j];
                precise float di = deltas[doff[l] + i] * acc;
                dn[i] = di;
            }
            for (uint i = 0u; i < nout; i++) {
                deltas[doff[l] + i] = dn[i];
                dl[i] = dn[i];
            }
        }
    }
}
