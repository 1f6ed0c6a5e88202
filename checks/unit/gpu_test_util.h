/* gpu_test_util — how the GPU unit tests open the backend.

   These programs test the backend itself, so unless the command line names --gpu they run as
   with `--gpu on`: a CPU Vulkan driver (Mesa llvmpipe) is enough, and `make check` exercises the
   kernels on a machine without a GPU. `--gpu off` (or a build or machine without Vulkan) makes
   every GPU-parity check SKIP with the reason; the CPU twins are still checked. The validation
   layer and a debug messenger are always requested; any validation error fails the test. */
#ifndef CHECKS_UNIT_GPU_TEST_UTIL_H
#define CHECKS_UNIT_GPU_TEST_UTIL_H

#include <string.h>

#include "common/check.h"
#include "common/cli.h"
#include "gpu/gpu.h"

static inline GpuContext *gpu_test_open(const Cli *cli, int argc, char **argv, char *why,
                                        size_t whylen) {
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu") || !strncmp(argv[i], "--gpu=", 6)) mode = cli->gpu;
    GpuOptions opt = {.validation = 1, .timeout_s = 120.0};
    return gpu_open(mode, &opt, why, whylen);
}

/* The closing check of every GPU test: the validation layer reported no error. */
static inline void gpu_test_close(GpuContext *g, const char *id) {
    if (g && gpu_info(g)->validation_active)
        check_true(id, gpu_validation_errors(g) == 0,
                   "the Vulkan validation layer reported no error (%ld errors)",
                   gpu_validation_errors(g));
    else if (g)
        check_skip(id, "VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)");
    else
        check_skip(id, "no GPU context, nothing to validate");
    gpu_close(g);
}

#endif
