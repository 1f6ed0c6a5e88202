/* test_gpu_pipeline_cache — the Vulkan pipeline cache on disk (gpu/gpu_vulkan.c).

   In a fresh cache directory (XDG_CACHE_HOME pointed at a temporary directory): the first context
   starts with an empty cache, compiles a kernel and writes the file at close; a second context
   loads it (its driver data accepted) and runs the kernel correctly; a file with one payload byte
   flipped, a truncated file and a file of another format are ignored (a message on stderr, the
   cache starts empty) and the kernel still runs. The validation layer reports no error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/unit/gpu_test_util.h"
#include "common/check.h"
#include "common/cli.h"
#include "gpu/gpu.h"

static GpuMode mode_of(const Cli *cli, int argc, char **argv) {
    GpuMode mode = GPU_ON;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--gpu") || !strncmp(argv[i], "--gpu=", 6)) mode = cli->gpu;
    return mode;
}

/* ad_fill of 1000 floats with `value`, run and read back: 1 when every entry is right */
static int fill_works(GpuContext *g, float value) {
    GpuBuffer *b = gpu_buffer_new(g, 1000 * sizeof(float));
    if (!b) return 0;
    struct { uint32_t n, spread; float value, scale; } pc = {1000, 0, value, 0};
    GpuBuffer *bufs[2] = {b, NULL};
    float out[1000];
    int ok = gpu_dispatch(g, "ad_fill", bufs, 2, &pc, sizeof pc, 1000) == 0 &&
             gpu_run_batch(g, NULL) == 0 && gpu_buffer_read(b, 0, out, sizeof out) == 0;
    for (int i = 0; i < 1000 && ok; i++) ok = out[i] == value;
    gpu_buffer_free(b);
    return ok;
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "the Vulkan pipeline cache on disk", 23, NULL);
    char dir[] = "/tmp/gmc_pcache_XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "test_gpu_pipeline_cache: cannot make a temporary directory\n");
        return 2;
    }
    setenv("XDG_CACHE_HOME", dir, 1);
    const GpuMode mode = mode_of(&cli, argc, argv);
    GpuOptions opt = {.validation = 1, .timeout_s = 120.0};
    char why[512];
    GpuContext *g = gpu_open(mode, &opt, why, sizeof why);
    const char *ids[] = {"common.gpu.pcache.first_start_empty", "common.gpu.pcache.written_at_close",
                         "common.gpu.pcache.second_start_loads", "common.gpu.pcache.corrupt_ignored",
                         "common.gpu.pcache.truncated_ignored", "common.gpu.pcache.foreign_ignored",
                         "common.gpu.pcache_validation_clean"};
    if (!g) {
        for (int i = 0; i < 7; i++) check_skip(ids[i], "no GPU context: %s", why);
        rmdir(dir);
        return check_end();
    }
    char path[600];
    snprintf(path, sizeof path, "%s", gpu_info(g)->pipeline_cache_path);
    long verr = 0;
    check_true(ids[0], gpu_info(g)->pipeline_cache_loaded == 0 && strstr(path, dir) == path,
               "a fresh cache directory: the cache starts empty (%zu bytes loaded), the file is "
               "%s", gpu_info(g)->pipeline_cache_loaded, path);
    const int ran1 = fill_works(g, 3.5f);
    verr += gpu_validation_errors(g);
    gpu_close(g);
    const long size1 = file_size(path);
    check_true(ids[1], ran1 && size1 >= 24 + 32,
               "the first context compiled ad_fill and wrote the cache at close (%ld bytes: our 24-byte "
               "header and the driver data, at least its 32-byte Vulkan header)", size1);

    opt.quiet = 1;
    g = gpu_open(mode, &opt, why, sizeof why);
    const size_t loaded = g ? gpu_info(g)->pipeline_cache_loaded : 0;
    const int ran2 = g && fill_works(g, -2.25f);
    if (g) verr += gpu_validation_errors(g);
    gpu_close(g);
    check_true(ids[2], loaded > 0 && (long)loaded + 24 == size1 && ran2,
               "a second context loads it (%zu bytes of driver data accepted) and the kernel runs "
               "right", loaded);

    /* one payload byte flipped: the checksum catches it */
    FILE *f = fopen(path, "r+b");
    int c = EOF;
    if (f && fseek(f, 40, SEEK_SET) == 0 && (c = fgetc(f)) != EOF && fseek(f, 40, SEEK_SET) == 0)
        fputc(c ^ 0x5a, f);
    if (f) fclose(f);
    g = gpu_open(mode, &opt, why, sizeof why);
    const size_t l3 = g ? gpu_info(g)->pipeline_cache_loaded : 1;
    const int ran3 = g && fill_works(g, 1.0f);
    if (g) verr += gpu_validation_errors(g);
    gpu_close(g); /* rewrites a whole file */
    check_true(ids[3], c != EOF && l3 == 0 && ran3,
               "a file with one byte flipped is ignored (0 bytes loaded) and the kernel still runs");

    if (truncate(path, 30) != 0) perror("truncate");
    g = gpu_open(mode, &opt, why, sizeof why);
    const size_t l4 = g ? gpu_info(g)->pipeline_cache_loaded : 1;
    const int ran4 = g && fill_works(g, 7.0f);
    if (g) verr += gpu_validation_errors(g);
    gpu_close(g);
    check_true(ids[4], l4 == 0 && ran4, "a truncated file is ignored and the kernel still runs");

    f = fopen(path, "wb");
    if (f) fputs("this is not a pipeline cache, just text of some length ..........", f), fclose(f);
    g = gpu_open(mode, &opt, why, sizeof why);
    const size_t l5 = g ? gpu_info(g)->pipeline_cache_loaded : 1;
    const int ran5 = g && fill_works(g, 0.5f);
    if (g) verr += gpu_validation_errors(g);
    const int validation = g && gpu_info(g)->validation_active;
    gpu_close(g);
    check_true(ids[5], l5 == 0 && ran5, "a file of another format is ignored and the kernel still runs");
    if (validation)
        check_true(ids[6], verr == 0, "the Vulkan validation layer reported no error over the five "
                   "contexts (%ld errors)", verr);
    else
        check_skip(ids[6], "VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)");

    char sub[700];
    snprintf(sub, sizeof sub, "%s/genmodels-course", dir);
    remove(path);
    rmdir(sub);
    rmdir(dir);
    return check_end();
}
