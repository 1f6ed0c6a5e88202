#version 450
// mlp_step — `nsteps` steps of every 2-D chain with a network f(x, cond):
//   x <- cx x + ce f(x, cond) + noise z,   z from Philox (stream = chain, block = global step).
// With host-computed coefficients this is a Langevin step with a learned score (cx = 1,
// ce = eps/2, noise = sqrt(eps)), a DDPM ancestral step or a DDIM step (gpu_mlp.h).
// The network's input is (x, y) when widths[0] == 2 and (x, y, cond) when it is 3.
// C twin: gpu_mlp_steps_cpu.
#include "common.glsl"
#include "gpu/gpu_shared.h"

layout(std430, binding = 0) buffer Chains { vec2 x[]; };
layout(std430, binding = 1) readonly buffer Params { float params[]; };
layout(push_constant) uniform Push {
    uint n, nlayers;
    int act;
    uint widths[GPU_MLP_MAX_LAYERS + 1];
    uint seed_lo, seed_hi, step0, nsteps;
    float cond, cx, ce, noise;
} pc;
#include "mlp.glsl"

void main() {
    for (uint l = 0u; l <= pc.nlayers; l++) mlp_w[l] = pc.widths[l];
    GRID_STRIDE_LOOP(i, pc.n) {
        vec2 xi = x[i];
        for (uint t = 0u; t < pc.nsteps; t++) {
            mlp_a[0] = xi.x;
            mlp_a[1] = xi.y;
            if (mlp_w[0] == 3u) mlp_a[2] = pc.cond;
            mlp_forward(pc.nlayers, pc.act);
            vec2 f = vec2(mlp_a[0], mlp_a[1]);
            precise vec2 next = pc.cx * xi + pc.ce * f;
            if (pc.noise != 0.0) {
                vec2 z = gs_step_noise(pc.seed_lo, pc.seed_hi, i, pc.step0 + t);
                next = next + pc.noise * z;
            }
            xi = next;
        }
        x[i] = xi;
    }
}
