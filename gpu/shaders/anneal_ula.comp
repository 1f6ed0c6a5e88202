#version 450
// anneal_ula — 1-D unadjusted Langevin chains under a per-step schedule (simulated annealing,
// annealed Langevin; lectures/n2_diffusion_annealing B2):
//   x <- (x + a_t F(x; s_t)) + b_t z_t,
// F the polynomial force or the mixture score of gpu_anneal_shared.h. Steps t0 .. t0+nt-1 of
// the schedule; step t has global noise index step0 + t. The C twin is gpu_anneal_ula_cpu.
#include "common.glsl"

layout(std430, binding = 0) buffer Chains { float x[]; };
layout(std430, binding = 1) readonly buffer Table { float ga_table[]; };
layout(std430, binding = 2) readonly buffer Sched { float sched[]; };
#define GA_HAVE_TABLE
#include "gpu/gpu_anneal_shared.h"

layout(push_constant) uniform Push {
    uint n, model, k, seed_lo, seed_hi, step0, t0, nt;
} pc;

void main() {
    GRID_STRIDE_LOOP(i, pc.n) {
        float xi = x[i];
        vec2 pair = vec2(0.0);
        for (uint t = pc.t0; t < pc.t0 + pc.nt; t++) {
            uint g = pc.step0 + t;
            if ((g & 1u) == 0u || t == pc.t0) pair = ga_ula_pair(pc.seed_lo, pc.seed_hi, i, g >> 1u);
            float z = (g & 1u) == 0u ? pair.x : pair.y;
            xi = ga_ula_step(int(pc.model), int(pc.k), xi, sched[3u * t], sched[3u * t + 1u],
                             sched[3u * t + 2u], z);
        }
        x[i] = xi;
    }
}
