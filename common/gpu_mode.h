/* gpu_mode — the --gpu choice (cli.h parses it, gpu/gpu.h opens a backend for it), in a header
   of its own so that the GPU runtime does not depend on the command-line parser. */
#ifndef COMMON_GPU_MODE_H
#define COMMON_GPU_MODE_H

typedef enum { GPU_AUTO, GPU_OFF, GPU_ON } GpuMode;

#endif
