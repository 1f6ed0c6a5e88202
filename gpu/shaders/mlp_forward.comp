#version 450
// mlp_forward — out[i] = MLP(in[i]) for n inputs. C twin: gpu_mlp_forward_cpu.
#include "common.glsl"
#include "gpu/gpu_shared.h"

layout(std430, binding = 0) readonly buffer In { float inputs[]; };
layout(std430, binding = 1) readonly buffer Params { float params[]; };
layout(std430, binding = 2) writeonly buffer Out { float outputs[]; };
layout(push_constant) uniform Push {
    uint n, nlayers;
    int act;
    uint widths[GPU_MLP_MAX_LAYERS + 1];
} pc;
#include "mlp.glsl"

void main() {
    for (uint l = 0u; l <= pc.nlayers; l++) mlp_w[l] = pc.widths[l];
    uint nin = mlp_w[0], nout = mlp_w[pc.nlayers];
    GRID_STRIDE_LOOP(i, pc.n) {
        for (uint a = 0u; a < nin; a++) mlp_a[a] = inputs[i * nin + a];
        mlp_forward(pc.nlayers, pc.act);
        for (uint a = 0u; a < nout; a++) outputs[i * nout + a] = mlp_a[a];
    }
}
