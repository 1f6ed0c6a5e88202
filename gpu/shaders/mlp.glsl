// mlp.glsl — the MLP forward pass of one work item, included by the MLP kernels (the including
// shader declares `params`, the packed weights: per layer W (in x out, row-major) then b (out)).
// Input in mlp_a[0..widths[0]), output in mlp_a[0..widths[L]); every product and sum is
// `precise` (no fused multiply-add), in the C twin's order: acc = b_j; acc += a_i W_ij.
#include "gpu/gpu_shared.h"

float mlp_a[GPU_MLP_MAX_WIDTH];
float mlp_b[GPU_MLP_MAX_WIDTH];
uint mlp_w[GPU_MLP_MAX_LAYERS + 1];

void mlp_forward(uint nlayers, int act) {
    uint off = 0u;
    for (uint l = 0u; l < nlayers; l++) {
        uint nin = mlp_w[l], nout = mlp_w[l + 1u];
        for (uint j = 0u; j < nout; j++) {
            precise float acc = params[off + nin * nout + j];
            for (uint i = 0u; i < nin; i++) acc = acc + mlp_a[i] * params[off + i * nout + j];
            mlp_b[j] = acc;
        }
        off += nin * nout + nout;
        bool last = l + 1u == nlayers;
        for (uint j = 0u; j < nout; j++) mlp_a[j] = last ? mlp_b[j] : gs_activation(act, mlp_b[j]);
    }
}
