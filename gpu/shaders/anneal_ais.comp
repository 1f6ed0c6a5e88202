#version 450
// anneal_ais — annealed importance sampling chains on the 1-D path
//   log f_lambda(x) = -(1 - lambda) x^2 / 2 - lambda E1(x)   (lectures/n2_diffusion_annealing B5):
// for k = k0 .. k1-1 (1 <= k <= K): log w += log f_{lam_k}(x) - log f_{lam_{k-1}}(x), then, if
// k < K, m Metropolis moves at lam_k (move index (k - 1) m + r). The C twin is gpu_anneal_ais_cpu.
#include "common.glsl"

layout(std430, binding = 0) buffer Chains { float x[]; };
layout(std430, binding = 1) buffer LogW { float logw[]; };
layout(std430, binding = 2) readonly buffer Table { float ga_table[]; };
layout(std430, binding = 3) readonly buffer Lambda { float lambdas[]; };
#define GA_HAVE_TABLE
#include "gpu/gpu_anneal_shared.h"

layout(push_constant) uniform Push {
    uint n, deg, m, K, k0, k1, seed_lo, seed_hi;
    float h;
} pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        float xi = x[i];
        precise float lw = logw[i];
        for (uint k = pc.k0; k < pc.k1; k++) {
            precise float dl = ga_log_f(int(pc.deg), lambdas[k], xi) - ga_log_f(int(pc.deg), lambdas[k - 1u], xi);
            lw = lw + dl;
            if (k < pc.K)
                for (uint r = 0u; r < pc.m; r++)
                    xi = ga_metropolis(int(pc.deg), lambdas[k], pc.h, xi,
                                       ga_move_uniforms(pc.seed_lo, pc.seed_hi, i, (k - 1u) * pc.m + r));
        }
        x[i] = xi;
        logw[i] = lw;
    }
}
