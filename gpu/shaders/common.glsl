// common.glsl — the preamble of every kernel: GLSL 4.50, includes, the workgroup size as
// specialization constant 0, and the grid-stride loop (any item count fits any dispatch).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x_id = 0) in;
#define PHILOX_GLSL
#include "common/philox.h"
#define GRID_STRIDE_LOOP(i, n) \
    for (uint i = gl_GlobalInvocationID.x; i < (n); i += gl_NumWorkGroups.x * gl_WorkGroupSize.x)
