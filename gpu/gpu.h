/*: # gpu — the optional Vulkan compute backend (runtime)

The heavy loops of the course (many Langevin chains, batched MLPs, training steps, DDPM/DDIM
sampling) can run as Vulkan compute kernels. The CPU path in `common/` stays the reference: every
kernel has a plain C twin (gpu_kernels.h), and whenever the backend is not available or fails,
the caller runs the twin instead.

**Choice of device** (`--gpu`, parsed by cli.h; `GpuMode` lives in common/gpu_mode.h): `off` never touches Vulkan; `auto` takes a real GPU
(discrete, then integrated, then virtual) and otherwise the CPU path; `on` also accepts a CPU
Vulkan driver such as Mesa's llvmpipe, which is how the tests run without a GPU. `gpu_open`
always prints one line, `backend: ...`, saying which backend runs and why.

**Model.** A context owns one instance, device and compute queue; one descriptor-set layout
(eight storage buffers, bindings 0..7) and one pipeline layout with 128 bytes of push
constants serve every kernel. Kernels are the shaders of `gpu/shaders/NAME.comp`, compiled at build
time to SPIR-V and looked up by name; each pipeline is created on first use with the workgroup
size as specialization constant 0. Kernels loop grid-stride, so any item count dispatches.

`gpu_dispatch` only *records*; `gpu_run_batch` submits everything recorded since the last run as
one command buffer (a barrier between consecutive dispatches), waits on a fence with a finite
timeout, and reports the device time between two timestamp queries around the batch. Buffer
reads and writes are immediate (never while a recorded batch that uses the buffer is pending).

**Errors.** Functions return 0 (or a non-NULL pointer) on success; on failure `gpu_error`
holds a one-line message. A device loss or a fence timeout marks the context lost: every later
call fails at once, and the caller falls back to the CPU path. Nothing in here exits.
*/
#ifndef GPU_GPU_H
#define GPU_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "common/gpu_mode.h"

typedef struct GpuContext GpuContext;
typedef struct GpuBuffer GpuBuffer;

#define GPU_MAX_BINDINGS 8
#define GPU_MAX_PUSH_BYTES 128

/* A CPU Vulkan driver (Mesa's llvmpipe) silently stops any shader loop after this many
   iterations in all; kernels that repeat a loop keep their total below it on a CPU device
   (gpu/README.md tells how this was found). */
#define GPU_CPU_DRIVER_LOOP_LIMIT 65535

typedef struct {
    int validation;   /* 1: enable VK_LAYER_KHRONOS_validation + a debug messenger (tests) */
    double timeout_s; /* fence timeout of one batch; <= 0: 60 s */
    int quiet;        /* 1: do not print the backend line */
    /* Fault injection, for the tests of what a program does when the device fails mid-run
       (0: never). After `fail_alloc_after` buffers, the next allocation fails as if the device
       were out of memory; the `lose_device_at`-th batch reports VK_ERROR_DEVICE_LOST instead of
       running. Both leave the context as a real failure would (an error; lost after the loss). */
    int fail_alloc_after;
    int lose_device_at;
} GpuOptions;

typedef struct {
    char device_name[256];
    const char *device_type; /* "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other" */
    int is_cpu_device;       /* 1 for a CPU driver (llvmpipe) */
    uint32_t api_version;    /* VK_MAKE_VERSION packed */
    uint32_t workgroup_size;
    uint64_t max_buffer_bytes; /* the device's maxStorageBufferRange */
    int has_timestamps;
    int validation_active;   /* the validation layer and messenger are on */
    /* The pipeline cache on disk (gpu_vulkan.c): ${XDG_CACHE_HOME:-~/.cache}/genmodels-course/
       pipelines.bin, loaded at open when its header matches this device and driver, written
       back (atomically) at close when pipelines were compiled. */
    char pipeline_cache_path[512]; /* "" when there is no cache directory */
    size_t pipeline_cache_loaded;  /* bytes of driver cache data accepted at open (0: none) */
} GpuInfo;

/* 1 when the build has the Vulkan backend at all (else gpu_open always returns NULL). */
int gpu_compiled(void);
/* Opens the backend for `mode`. Returns NULL when the CPU path must run (GPU_OFF, no Vulkan in
   the build, no driver, no device, only a CPU device under GPU_AUTO, or an error); `why`
   (may be NULL) receives the reason. Prints the backend line unless opt->quiet. */
GpuContext *gpu_open(GpuMode mode, const GpuOptions *opt, char *why, size_t whylen);
const GpuInfo *gpu_info(const GpuContext *g);
const char *gpu_error(const GpuContext *g);
/* Validation-layer messages of severity error seen so far (0 without validation). */
long gpu_validation_errors(const GpuContext *g);
void gpu_close(GpuContext *g); /* NULL-safe */

/* A storage buffer of `bytes` bytes (zero-filled). NULL on failure, e.g. over the device limit. */
GpuBuffer *gpu_buffer_new(GpuContext *g, size_t bytes);
int gpu_buffer_write(GpuBuffer *b, size_t offset, const void *src, size_t bytes);
int gpu_buffer_read(GpuBuffer *b, size_t offset, void *dst, size_t bytes);
size_t gpu_buffer_size(const GpuBuffer *b);
void gpu_buffer_free(GpuBuffer *b); /* NULL-safe */

/* Records kernel `kernel` (a shader name, e.g. "langevin_gmm") over `items` work items, with
   bufs[i] at binding i and `push` as its push constants. */
int gpu_dispatch(GpuContext *g, const char *kernel, GpuBuffer *const *bufs, int nbufs,
                 const void *push, size_t push_bytes, uint32_t items);
/* Submits what was recorded and waits. gpu_seconds (may be NULL) gets the device time of the
   batch from timestamp queries (-1 when the device has none). Nothing recorded: returns 0. */
int gpu_run_batch(GpuContext *g, double *gpu_seconds);

#endif
