#version 450
// train_adam — one parameter per work item: its gradient summed over the batch in the order
// n = 0, 1, ..., B-1 (so the result does not depend on the scheduling), then Adam (PyTorch
// semantics, the bias corrections folded into step_size and bias2_sqrt by the host). Item
// `nparams` sums the examples' losses in the same order into the loss window `loss_slot`.
// C twin: param_grad, adam_update, batch_loss in gpu/gpu_train.c.
#include "common.glsl"
#include "gpu/gpu_shared.h"

layout(std430, binding = 0) buffer Params { float params[]; };
layout(std430, binding = 2) readonly buffer Acts { float acts[]; };
layout(std430, binding = 3) readonly buffer Deltas { float deltas[]; };
layout(std430, binding = 4) readonly buffer SampleLoss { float sample_loss[]; };
layout(std430, binding = 5) buffer AdamM { float adam_m[]; };
layout(std430, binding = 6) buffer AdamV { float adam_v[]; };
layout(std430, binding = 7) buffer Losses { float losses[]; };
#include "train_push.glsl"

void main() {
    GRID_STRIDE_LOOP(p, pc.nparams + 1u) {
        if (p == pc.nparams) {
            precise float sum = 0.0;
            for (uint n = 0u; n < pc.batch; n++) sum = sum + sample_loss[n];
            precise float mean = sum * pc.inv_batch;
            precise float w = losses[pc.loss_slot] + mean * pc.loss_scale;
            losses[pc.loss_slot] = w;
            continue;
        }
        uint poff = 0u, aoff = 0u, doff = 0u, l = 0u;
        while (p >= poff + pc.widths[l] * pc.widths[l + 1u] + pc.widths[l + 1u]) {
            poff += pc.widths[l] * pc.widths[l + 1u] + pc.widths[l + 1u];
            aoff += pc.widths[l];
            doff += pc.widths[l + 1u];
            l++;
        }
        uint q = p - poff, nin = pc.widths[l], nout = pc.widths[l + 1u];
        precise float g = 0.0;
        if (q < nin * nout) {
            uint i = q / nout, j = q % nout;
            for (uint n = 0u; n < pc.batch; n++)
                g = g + acts[n * pc.acts_stride + aoff + i] * deltas[n * pc.deltas_stride + doff + j];
        } else {
            uint j = q - nin * nout;
            for (uint n = 0u; n < pc.batch; n++) g = g + deltas[n * pc.deltas_stride + doff + j];
        }
        precise float mt = pc.beta1 * adam_m[p] + pc.one_minus_b1 * g;
        precise float vt = pc.beta2 * adam_v[p] + pc.one_minus_b2 * g * g;
        adam_m[p] = mt;
        adam_v[p] = vt;
        precise float denom = sqrt(vt) / pc.bias2_sqrt + pc.eps;
        precise float theta = params[p] - pc.step_size * mt / denom;
        params[p] = theta;
    }
}
