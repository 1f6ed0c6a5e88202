#version 450
// langevin_gmm — `nsteps` (unadjusted) Langevin steps of every chain on a 2-D Gaussian mixture,
//   x <- x + (eps/2) grad log p_s(x) + sqrt(eps) z,
// p_s the mixture convolved with N(0, extra_var I) (annealed Langevin runs one dispatch per
// noise level). The C twin is gpu_langevin_gmm_cpu (gpu/gpu_kernels_cpu.c).
#include "common.glsl"

layout(std430, binding = 0) buffer Chains { vec2 x[]; };
layout(std430, binding = 1) readonly buffer Gmm { float gmm_table[]; };
#define GS_HAVE_GMM_TABLE
#include "gpu/gpu_shared.h"

layout(push_constant) uniform Push {
    uint n, k, seed_lo, seed_hi, step0, nsteps;
    float half_eps, noise_scale, extra_var;
} pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        vec2 xi = x[i];
        for (uint t = 0u; t < pc.nsteps; t++) {
            vec2 s = gs_gmm_score(int(pc.k), xi, pc.extra_var);
            vec2 z = gs_step_noise(pc.seed_lo, pc.seed_hi, i, pc.step0 + t);
            precise vec2 drift = pc.half_eps * s;
            precise vec2 kick = pc.noise_scale * z;
            precise vec2 next = (xi + drift) + kick;
            xi = next;
        }
        x[i] = xi;
    }
}
