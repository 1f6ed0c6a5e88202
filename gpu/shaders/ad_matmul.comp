#version 450
// ad_matmul — C (=|+=) op(A) op(B) (+ bias): the matrix product of the device executor
// (gpu/gpu_ad.h), forward of linear/matmul and both of its backward products. One workgroup owns
// a T x T tile of C (T*T <= the workgroup size, T from the host); the K axis is walked in T-wide
// slabs staged through workgroup shared memory. Every C entry is summed by one invocation in the
// order k = 0, 1, ..., K-1, so the result does not depend on the scheduling.
// op(A) is (M,K): A stored (M,K), or (K,M) when trans_a. op(B) is (K,N): B stored (K,N), or (N,K)
// when trans_b. Batched: `batch` products, operand b of batch t at offset t stride_b (and so on;
// stride 0 shares an operand). The CPU reference is common/ad (ad_matmul, ad_linear) in f64.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) buffer C { float c[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(push_constant) uniform Push {
    uint m, n, k, tile;
    uint trans_a, trans_b, accumulate, has_bias;
    uint batch, stride_a, stride_b, stride_c;
} pc;

#define TMAX 16u
shared float sa[TMAX * TMAX];
shared float sb[TMAX * TMAX];

void main() {
    const uint t = pc.tile, lid = gl_LocalInvocationID.x;
    const bool on_tile = lid < t * t;
    const uint li = on_tile ? lid / t : 0u, lj = on_tile ? lid % t : 0u;
    const uint tiles_m = (pc.m + t - 1u) / t, tiles_n = (pc.n + t - 1u) / t;
    // workgroup-uniform loop over output tiles (barriers inside stay in uniform control flow)
    for (uint tt = gl_WorkGroupID.x; tt < pc.batch * tiles_m * tiles_n; tt += gl_NumWorkGroups.x) {
        const uint bt = tt / (tiles_m * tiles_n), tile = tt % (tiles_m * tiles_n);
        const uint oa = bt * pc.stride_a, ob = bt * pc.stride_b, oc = bt * pc.stride_c;
        const uint row = (tile / tiles_n) * t + li, col = (tile % tiles_n) * t + lj;
        precise float acc = 0.0;
        for (uint k0 = 0u; k0 < pc.k; k0 += t) {
            if (on_tile) {
                // this invocation stages A[row, k0 + lj] and B[k0 + li, col]
                const uint ka = k0 + lj, kb = k0 + li;
                float va = 0.0, vb = 0.0;
                if (row < pc.m && ka < pc.k)
                    va = pc.trans_a != 0u ? a[oa + ka * pc.m + row] : a[oa + row * pc.k + ka];
                if (col < pc.n && kb < pc.k)
                    vb = pc.trans_b != 0u ? b[ob + col * pc.k + kb] : b[ob + kb * pc.n + col];
                sa[li * t + lj] = va;
                sb[li * t + lj] = vb;
            }
            barrier();
            if (on_tile) {
                const uint kend = min(t, pc.k - k0);
                for (uint kk = 0u; kk < kend; kk++) acc = acc + sa[li * t + kk] * sb[kk * t + lj];
            }
            barrier();
        }
        if (on_tile && row < pc.m && col < pc.n) {
            precise float y = acc;
            if (pc.has_bias != 0u) y = y + bias[col];
            if (pc.accumulate != 0u) y = c[oc + row * pc.n + col] + y;
            c[oc + row * pc.n + col] = y;
        }
    }
}
