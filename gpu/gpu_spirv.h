/* gpu_spirv — the compiled shaders, embedded by the build (build/<cfg>/gen/gpu_spirv.c, made by
   the Makefile from gpu/shaders/NAME.comp with glslc and checked with spirv-val). */
#ifndef GPU_GPU_SPIRV_H
#define GPU_GPU_SPIRV_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;      /* the shader's file name without .comp */
    const uint32_t *words; /* SPIR-V */
    size_t count;          /* number of words */
} GpuSpirv;

extern const GpuSpirv gpu_spirv_table[];
extern const int gpu_spirv_count;

#endif
