/* gpu_stub — gpu.h when the build has no Vulkan (make VULKAN=0, or no libvulkan-dev / glslc):
   the backend reports itself unavailable and every program runs its CPU path. */
#if !(defined(HAVE_VULKAN) && HAVE_VULKAN)

#include <stdio.h>

#include "common/check.h"
#include "gpu/gpu.h"

int gpu_compiled(void) { return 0; }

GpuContext *gpu_open(GpuMode mode, const GpuOptions *opt, char *why, size_t whylen) {
    const char *reason = mode == GPU_OFF ? "--gpu off"
                                         : "built without Vulkan (install libvulkan-dev and glslc, "
                                           "then rebuild)";
    if (!(opt && opt->quiet)) {
        printf("backend: CPU (%s)\n", reason);
        fflush(stdout);
    }
    check_backend("CPU");
    if (why && whylen) snprintf(why, whylen, "%s", reason);
    return NULL;
}

/* No context can exist, so these are never reached with a valid one. */
const GpuInfo *gpu_info(const GpuContext *g) { (void)g; return NULL; }
const char *gpu_error(const GpuContext *g) { (void)g; return "built without Vulkan"; }
long gpu_validation_errors(const GpuContext *g) { (void)g; return 0; }
void gpu_close(GpuContext *g) { (void)g; }
GpuBuffer *gpu_buffer_new(GpuContext *g, size_t bytes) { (void)g; (void)bytes; return NULL; }
int gpu_buffer_write(GpuBuffer *b, size_t offset, const void *src, size_t bytes) {
    (void)b; (void)offset; (void)src; (void)bytes;
    return -1;
}
int gpu_buffer_read(GpuBuffer *b, size_t offset, void *dst, size_t bytes) {
    (void)b; (void)offset; (void)dst; (void)bytes;
    return -1;
}
size_t gpu_buffer_size(const GpuBuffer *b) { (void)b; return 0; }
void gpu_buffer_free(GpuBuffer *b) { (void)b; }
int gpu_dispatch(GpuContext *g, const char *kernel, GpuBuffer *const *bufs, int nbufs,
                 const void *push, size_t push_bytes, uint32_t items) {
    (void)g; (void)kernel; (void)bufs; (void)nbufs; (void)push; (void)push_bytes; (void)items;
    return -1;
}
int gpu_run_batch(GpuContext *g, double *gpu_seconds) {
    (void)g;
    if (gpu_seconds) *gpu_seconds = -1.0;
    return -1;
}

#endif
