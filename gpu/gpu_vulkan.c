/* gpu_vulkan — the Vulkan runtime of gpu.h (compiled only when the build found Vulkan + glslc;
   gpu_stub.c stands in otherwise). */
#if defined(HAVE_VULKAN) && HAVE_VULKAN

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vulkan.h>

#include "common/atomic_file.h"
#include "common/check.h"
#include "common/util.h"
#include "gpu/gpu.h"
#include "gpu/gpu_spirv.h"

#define GPU_WORKGROUP 64u
#define GPU_MAX_SETS 512
#define GPU_MAX_KERNELS 64

struct GpuBuffer {
    GpuContext *g;
    VkBuffer buf;
    VkDeviceMemory mem;
    void *map;  /* non-NULL when host visible (then writes and reads are memcpy) */
    size_t size;
};

typedef struct {
    VkBuffer bufs[GPU_MAX_BINDINGS];
    VkDescriptorSet set;
} SetCacheEntry;

struct GpuContext {
    GpuInfo info;
    char err[512];
    int lost;
    int drained; /* after a loss: the device was waited idle once (see gpu_buffer_free) */
    double timeout_s;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
    long validation_errors;
    VkPhysicalDevice phys;
    VkPhysicalDeviceMemoryProperties mem_props;
    float timestamp_period; /* ns per tick */
    uint32_t queue_family;
    VkDevice device;
    VkQueue queue;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd, copy_cmd;
    VkFence fence;
    VkQueryPool query_pool;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout pipe_layout;
    VkDescriptorPool desc_pool;
    SetCacheEntry sets[GPU_MAX_SETS];
    int nsets;
    VkPipeline pipelines[GPU_MAX_KERNELS]; /* by index in gpu_spirv_table */
    GpuBuffer *dummy;  /* bound to unused bindings */
    int recording;     /* dispatches recorded, not yet submitted */
    int continued;     /* the recording continues a batch split at GPU_MAX_SETS (split_batch) */
    double split_seconds; /* device time of the parts already submitted; < 0: not measured */
    int allocs_until_fault, batches_until_fault; /* GpuOptions' fault injection; 0: off */
    VkPipelineCache pcache;      /* seeded from the file of info.pipeline_cache_path */
    int pipelines_made;          /* pipelines compiled by this context */
    uint32_t vendor_id, device_id;
    uint8_t cache_uuid[VK_UUID_SIZE];
};

int gpu_compiled(void) { return 1; }

static void set_err(GpuContext *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(GpuContext *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
}

static const char *vk_result_name(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult error";
    }
}

/* Records a failed call; a lost device makes the whole context unusable. */
static int vk_fail(GpuContext *g, const char *what, VkResult r) {
    set_err(g, "%s failed: %s (%d)", what, vk_result_name(r), (int)r);
    if (r == VK_ERROR_DEVICE_LOST) g->lost = 1;
    return -1;
}

static int usable(GpuContext *g) {
    if (g->lost) {
        if (!g->err[0]) set_err(g, "the GPU context is lost");
        return 0;
    }
    return 1;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT type,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)type;
    GpuContext *g = user;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        g->validation_errors++;
        fprintf(stderr, "vulkan validation error: %s\n", data->pMessage);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        fprintf(stderr, "vulkan validation warning: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

static int has_layer(const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkLayerProperties *p = calloc(n, sizeof *p);
    if (!p) return 0;
    int found = 0;
    if (vkEnumerateInstanceLayerProperties(&n, p) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++) found |= !strcmp(p[i].layerName, name);
    free(p);
    return found;
}

static int has_instance_extension(const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkExtensionProperties *p = calloc(n, sizeof *p);
    if (!p) return 0;
    int found = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, p) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++) found |= !strcmp(p[i].extensionName, name);
    free(p);
    return found;
}

static const char *type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

/* Preference order of --gpu auto: discrete, integrated, virtual; a CPU device only under on. */
static int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

static int compute_queue_family(VkPhysicalDevice p, uint32_t *family) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(p, &n, NULL);
    VkQueueFamilyProperties q[32];
    if (n > 32) n = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(p, &n, q);
    for (uint32_t i = 0; i < n; i++)
        if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
            *family = i;
            return (int)q[i].timestampValidBits;
        }
    return -1;
}

/* Picks the device; returns 0, or -1 with the reason in g->err. */
static int choose_device(GpuContext *g, GpuMode mode) {
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(g->instance, &n, NULL);
    if (r != VK_SUCCESS) return vk_fail(g, "vkEnumeratePhysicalDevices", r);
    if (n == 0) {
        set_err(g, "no Vulkan device");
        return -1;
    }
    VkPhysicalDevice devs[16];
    if (n > 16) n = 16;
    r = vkEnumeratePhysicalDevices(g->instance, &n, devs);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) return vk_fail(g, "vkEnumeratePhysicalDevices", r);
    int best = -1, best_rank = 99, cpu_seen = -1;
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(devs[i], &p);
        uint32_t fam;
        if (compute_queue_family(devs[i], &fam) < 0) continue;
        int rank = type_rank(p.deviceType);
        if (rank == 3) cpu_seen = (int)i;
        if (rank >= 3 && mode != GPU_ON) continue;
        if (rank < best_rank) {
            best_rank = rank;
            best = (int)i;
        }
    }
    if (best < 0) {
        if (cpu_seen >= 0) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(devs[cpu_seen], &p);
            set_err(g, "only a CPU Vulkan device (%s); --gpu on runs the kernels on it",
                    p.deviceName);
        } else {
            set_err(g, "no Vulkan device with a compute queue");
        }
        return -1;
    }
    g->phys = devs[best];
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(g->phys, &p);
    int ts_bits = compute_queue_family(g->phys, &g->queue_family);
    snprintf(g->info.device_name, sizeof g->info.device_name, "%s", p.deviceName);
    g->info.device_type = type_name(p.deviceType);
    g->info.is_cpu_device = p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    g->info.api_version = p.apiVersion;
    g->vendor_id = p.vendorID;
    g->device_id = p.deviceID;
    memcpy(g->cache_uuid, p.pipelineCacheUUID, VK_UUID_SIZE);
    g->info.max_buffer_bytes = p.limits.maxStorageBufferRange;
    uint32_t wg = GPU_WORKGROUP;
    if (wg > p.limits.maxComputeWorkGroupSize[0]) wg = p.limits.maxComputeWorkGroupSize[0];
    if (wg > p.limits.maxComputeWorkGroupInvocations) wg = p.limits.maxComputeWorkGroupInvocations;
    g->info.workgroup_size = wg;
    g->info.has_timestamps = ts_bits > 0 && p.limits.timestampPeriod > 0;
    g->timestamp_period = p.limits.timestampPeriod;
    vkGetPhysicalDeviceMemoryProperties(g->phys, &g->mem_props);
    return 0;
}

static int create_instance(GpuContext *g, int want_validation) {
    const char *layers[1] = {"VK_LAYER_KHRONOS_validation"};
    const char *exts[1] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    int validation = want_validation && has_layer(layers[0]) &&
                     has_instance_extension(exts[0]);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "generative-models course",
                             .apiVersion = VK_API_VERSION_1_0};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = validation ? 1u : 0u,
                               .ppEnabledLayerNames = layers,
                               .enabledExtensionCount = validation ? 1u : 0u,
                               .ppEnabledExtensionNames = exts};
    VkResult r = vkCreateInstance(&ci, NULL, &g->instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        set_err(g, "no Vulkan driver installed (the loader found no ICD)");
        return -1;
    }
    if (r != VK_SUCCESS) return vk_fail(g, "vkCreateInstance", r);
    if (validation) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                g->instance, "vkCreateDebugUtilsMessengerEXT");
        g->destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            g->instance, "vkDestroyDebugUtilsMessengerEXT");
        VkDebugUtilsMessengerCreateInfoEXT mi = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
            .pfnUserCallback = on_debug_message,
            .pUserData = g};
        if (create && g->destroy_messenger &&
            create(g->instance, &mi, NULL, &g->messenger) == VK_SUCCESS)
            g->info.validation_active = 1;
    }
    return 0;
}

static int create_device(GpuContext *g) {
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = g->queue_family,
                                  .queueCount = 1,
                                  .pQueuePriorities = &priority};
    VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi};
    VkResult r = vkCreateDevice(g->phys, &di, NULL, &g->device);
    if (r != VK_SUCCESS) return vk_fail(g, "vkCreateDevice", r);
    vkGetDeviceQueue(g->device, g->queue_family, 0, &g->queue);

    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = g->queue_family};
    if ((r = vkCreateCommandPool(g->device, &pi, NULL, &g->cmd_pool)) != VK_SUCCESS)
        return vk_fail(g, "vkCreateCommandPool", r);
    VkCommandBuffer cbs[2];
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = g->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 2};
    if ((r = vkAllocateCommandBuffers(g->device, &ai, cbs)) != VK_SUCCESS)
        return vk_fail(g, "vkAllocateCommandBuffers", r);
    g->cmd = cbs[0];
    g->copy_cmd = cbs[1];
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vkCreateFence(g->device, &fi, NULL, &g->fence)) != VK_SUCCESS)
        return vk_fail(g, "vkCreateFence", r);
    if (g->info.has_timestamps) {
        VkQueryPoolCreateInfo qpi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                     .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                     .queryCount = 2};
        if (vkCreateQueryPool(g->device, &qpi, NULL, &g->query_pool) != VK_SUCCESS)
            g->info.has_timestamps = 0;
    }

    /* the one descriptor-set layout: bindings 0..7, storage buffers, compute stage */
    VkDescriptorSetLayoutBinding b[GPU_MAX_BINDINGS];
    for (uint32_t i = 0; i < GPU_MAX_BINDINGS; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo li = {.sType =
                                              VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = GPU_MAX_BINDINGS,
                                          .pBindings = b};
    if ((r = vkCreateDescriptorSetLayout(g->device, &li, NULL, &g->set_layout)) != VK_SUCCESS)
        return vk_fail(g, "vkCreateDescriptorSetLayout", r);
    VkPushConstantRange pc = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                              .offset = 0,
                              .size = GPU_MAX_PUSH_BYTES};
    VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &g->set_layout,
                                      .pushConstantRangeCount = 1,
                                      .pPushConstantRanges = &pc};
    if ((r = vkCreatePipelineLayout(g->device, &pli, NULL, &g->pipe_layout)) != VK_SUCCESS)
        return vk_fail(g, "vkCreatePipelineLayout", r);
    VkDescriptorPoolSize ps = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                               .descriptorCount = GPU_MAX_SETS * GPU_MAX_BINDINGS};
    VkDescriptorPoolCreateInfo dpi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                      .maxSets = GPU_MAX_SETS,
                                      .poolSizeCount = 1,
                                      .pPoolSizes = &ps};
    if ((r = vkCreateDescriptorPool(g->device, &dpi, NULL, &g->desc_pool)) != VK_SUCCESS)
        return vk_fail(g, "vkCreateDescriptorPool", r);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The pipeline cache on disk. File: "GMCPIPE1", the payload's length and FNV-1a 64 (two
   little-endian uint64), then the driver's vkGetPipelineCacheData bytes, whose own header
   (VkPipelineCacheHeaderVersionOne) must name this device's vendor, device and cache UUID.
   Anything else (a truncated or corrupt file, another GPU or driver) is ignored with a message
   on stderr, and the cache starts empty. Writes go through common/atomic_file (a temporary file
   renamed over the target), so concurrent programs leave one whole file. */

#define PCACHE_MAGIC "GMCPIPE1"

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The driver data inside the file at path, validated: returns it (malloc'd) and its length, or
   NULL with the reason (NULL and why[0] == 0: no file). */
static unsigned char *pcache_read(const GpuContext *g, const char *path, size_t *len, char *why,
                                  size_t whylen) {
    why[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[24];
    unsigned char *data = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    rewind(f);
    if (size < 24 || fread(head, 1, 24, f) != 24 || memcmp(head, PCACHE_MAGIC, 8) != 0) {
        snprintf(why, whylen, "not a pipeline cache file (bad magic or too short)");
    } else if (le64(head + 8) != (uint64_t)(size - 24) || le64(head + 8) < 32) {
        snprintf(why, whylen, "truncated or padded (%ld bytes, the header says %llu + 24)", size,
                 (unsigned long long)le64(head + 8));
    } else if (!(data = malloc((size_t)(size - 24))) ||
               fread(data, 1, (size_t)(size - 24), f) != (size_t)(size - 24)) {
        snprintf(why, whylen, "unreadable");
    } else if (fnv1a64(data, (size_t)(size - 24)) != le64(head + 16)) {
        snprintf(why, whylen, "corrupt (checksum mismatch)");
    } else if (le32(data) < 32 || le32(data + 4) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE) {
        snprintf(why, whylen, "of an unknown Vulkan cache header version");
    } else if (le32(data + 8) != g->vendor_id || le32(data + 12) != g->device_id ||
               memcmp(data + 16, g->cache_uuid, VK_UUID_SIZE) != 0) {
        snprintf(why, whylen, "made by another device or driver");
    }
    fclose(f);
    if (why[0]) {
        free(data);
        return NULL;
    }
    *len = (size_t)(size - 24);
    return data;
}

static int create_pipeline_cache(GpuContext *g) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0])
        snprintf(g->info.pipeline_cache_path, sizeof g->info.pipeline_cache_path,
                 "%s/genmodels-course/pipelines.bin", xdg);
    else if (home && home[0])
        snprintf(g->info.pipeline_cache_path, sizeof g->info.pipeline_cache_path,
                 "%s/.cache/genmodels-course/pipelines.bin", home);
    size_t len = 0;
    char why[200] = "";
    unsigned char *data = g->info.pipeline_cache_path[0]
                              ? pcache_read(g, g->info.pipeline_cache_path, &len, why, sizeof why)
                              : NULL;
    if (why[0])
        fprintf(stderr, "gpu: the pipeline cache %s is %s; ignored (the kernels compile again)\n",
                g->info.pipeline_cache_path, why);
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = data ? len : 0,
                                    .pInitialData = data};
    VkResult r = vkCreatePipelineCache(g->device, &ci, NULL, &g->pcache);
    if (r != VK_SUCCESS && data) { /* the driver refused the data: start empty */
        fprintf(stderr, "gpu: the driver refused the pipeline cache %s; ignored\n",
                g->info.pipeline_cache_path);
        ci.initialDataSize = 0, ci.pInitialData = NULL;
        free(data), data = NULL;
        r = vkCreatePipelineCache(g->device, &ci, NULL, &g->pcache);
    }
    if (r != VK_SUCCESS) g->pcache = VK_NULL_HANDLE; /* no cache: pipelines compile as before */
    g->info.pipeline_cache_loaded = data ? len : 0;
    free(data);
    return 0;
}

/* At close: the cache data into the file, when this context compiled pipelines. */
static void save_pipeline_cache(GpuContext *g) {
    if (!g->pcache || !g->pipelines_made || !g->info.pipeline_cache_path[0] || g->lost) return;
    size_t len = 0;
    if (vkGetPipelineCacheData(g->device, g->pcache, &len, NULL) != VK_SUCCESS || len < 32) return;
    unsigned char *data = malloc(len);
    if (!data || vkGetPipelineCacheData(g->device, g->pcache, &len, data) != VK_SUCCESS) {
        free(data);
        return;
    }
    char dir[512], err[256];
    snprintf(dir, sizeof dir, "%s", g->info.pipeline_cache_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    unsigned char head[24];
    memcpy(head, PCACHE_MAGIC, 8);
    const uint64_t fields[2] = {len, fnv1a64(data, len)};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 8; i++) head[8 + 8 * k + i] = (unsigned char)(fields[k] >> (8 * i));
    AtomicFile af;
    FILE *f = mkdir_p(dir) == 0 ? atomic_open(&af, g->info.pipeline_cache_path, err, sizeof err) : NULL;
    if (!f) {
        fprintf(stderr, "gpu: cannot write the pipeline cache %s\n", g->info.pipeline_cache_path);
    } else if (fwrite(head, 1, 24, f) != 24 || fwrite(data, 1, len, f) != len) {
        atomic_abort(&af);
    } else if (atomic_commit(&af, err, sizeof err)) {
        fprintf(stderr, "gpu: cannot write the pipeline cache: %s\n", err);
    }
    free(data);
}

GpuContext *gpu_open(GpuMode mode, const GpuOptions *opt, char *why, size_t whylen) {
    GpuOptions o = opt ? *opt : (GpuOptions){0};
    char reason[600];
    if (mode == GPU_OFF) {
        snprintf(reason, sizeof reason, "--gpu off");
        goto cpu;
    }
    GpuContext *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(reason, sizeof reason, "out of memory");
        goto cpu;
    }
    g->timeout_s = o.timeout_s > 0 ? o.timeout_s : 60.0;
    if (create_instance(g, o.validation) || choose_device(g, mode) || create_device(g) ||
        create_pipeline_cache(g) || !(g->dummy = gpu_buffer_new(g, 16))) {
        snprintf(reason, sizeof reason, "%s", g->err);
        gpu_close(g);
        goto cpu;
    }
    if (!o.quiet) {
        unsigned v = g->info.api_version;
        printf("backend: GPU, Vulkan %u.%u on %s (%s)%s%s\n", VK_VERSION_MAJOR(v),
               VK_VERSION_MINOR(v), g->info.device_name, g->info.device_type,
               g->info.is_cpu_device ? ", a CPU driver chosen by --gpu on" : "",
               g->info.validation_active ? ", validation layer on" : "");
        fflush(stdout);
    }
    check_backend(g->info.device_name);
    if (why && whylen) snprintf(why, whylen, "Vulkan device %s", g->info.device_name);
    /* armed once the context is open: its own dummy buffer does not count */
    g->allocs_until_fault = o.fail_alloc_after > 0 ? o.fail_alloc_after + 1 : 0;
    g->batches_until_fault = o.lose_device_at > 0 ? o.lose_device_at : 0;
    return g;
cpu:
    if (!o.quiet) {
        printf("backend: CPU (%s)\n", reason);
        fflush(stdout);
    }
    check_backend("CPU");
    if (why && whylen) snprintf(why, whylen, "%s", reason);
    return NULL;
}

const GpuInfo *gpu_info(const GpuContext *g) { return &g->info; }
const char *gpu_error(const GpuContext *g) { return g ? g->err : "no GPU context"; }
long gpu_validation_errors(const GpuContext *g) { return g ? g->validation_errors : 0; }

void gpu_close(GpuContext *g) {
    if (!g) return;
    if (g->device) {
        vkDeviceWaitIdle(g->device);
        save_pipeline_cache(g);
        if (g->pcache) vkDestroyPipelineCache(g->device, g->pcache, NULL);
        gpu_buffer_free(g->dummy);
        for (int i = 0; i < GPU_MAX_KERNELS; i++)
            if (g->pipelines[i]) vkDestroyPipeline(g->device, g->pipelines[i], NULL);
        if (g->desc_pool) vkDestroyDescriptorPool(g->device, g->desc_pool, NULL);
        if (g->pipe_layout) vkDestroyPipelineLayout(g->device, g->pipe_layout, NULL);
        if (g->set_layout) vkDestroyDescriptorSetLayout(g->device, g->set_layout, NULL);
        if (g->query_pool) vkDestroyQueryPool(g->device, g->query_pool, NULL);
        if (g->fence) vkDestroyFence(g->device, g->fence, NULL);
        if (g->cmd_pool) vkDestroyCommandPool(g->device, g->cmd_pool, NULL);
        vkDestroyDevice(g->device, NULL);
    }
    if (g->messenger) g->destroy_messenger(g->instance, g->messenger, NULL);
    if (g->instance) vkDestroyInstance(g->instance, NULL);
    free(g);
}

/* ---------------------------------------------------------------------------------------- */
/* Buffers */

static int find_memory(GpuContext *g, uint32_t type_bits, VkMemoryPropertyFlags want) {
    for (uint32_t i = 0; i < g->mem_props.memoryTypeCount; i++)
        if ((type_bits & (1u << i)) &&
            (g->mem_props.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

/* Device-local memory when the host can map it (integrated GPUs, resizable BAR, CPU drivers),
   else device-local behind staging copies, else host memory the device reads. */
static GpuBuffer *buffer_make(GpuContext *g, size_t bytes, int host_only) {
    GpuBuffer *b = calloc(1, sizeof *b);
    if (!b) {
        set_err(g, "out of host memory for a buffer");
        return NULL;
    }
    b->g = g;
    b->size = bytes;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = bytes,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(g->device, &bi, NULL, &b->buf);
    if (r != VK_SUCCESS) {
        vk_fail(g, "vkCreateBuffer", r);
        free(b);
        return NULL;
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(g->device, b->buf, &req);
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    int type = -1;
    if (!host_only) type = find_memory(g, req.memoryTypeBits, host | local);
    if (type < 0 && !host_only) type = find_memory(g, req.memoryTypeBits, local);
    if (type < 0) type = find_memory(g, req.memoryTypeBits, host);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = (uint32_t)(type < 0 ? 0 : type)};
    if (g->allocs_until_fault && --g->allocs_until_fault == 0) { /* injected (GpuOptions) */
        set_err(g, "allocating %zu bytes of device memory failed: %s (injected fault)", bytes,
                vk_result_name(VK_ERROR_OUT_OF_DEVICE_MEMORY));
        vkDestroyBuffer(g->device, b->buf, NULL);
        free(b);
        return NULL;
    }
    if (type < 0 || (r = vkAllocateMemory(g->device, &ai, NULL, &b->mem)) != VK_SUCCESS) {
        if (type < 0) set_err(g, "no suitable memory type for a buffer");
        else set_err(g, "allocating %zu bytes of device memory failed: %s", bytes,
                     vk_result_name(r));
        vkDestroyBuffer(g->device, b->buf, NULL);
        free(b);
        return NULL;
    }
    vkBindBufferMemory(g->device, b->buf, b->mem, 0);
    if (g->mem_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        if ((r = vkMapMemory(g->device, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map)) != VK_SUCCESS) {
            vk_fail(g, "vkMapMemory", r);
            gpu_buffer_free(b);
            return NULL;
        }
    }
    return b;
}

/* One immediate copy between two buffers (for device-local memory the host cannot map). */
static int copy_now(GpuContext *g, GpuBuffer *src, size_t src_off, GpuBuffer *dst,
                    size_t dst_off, size_t bytes) {
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult r = vkBeginCommandBuffer(g->copy_cmd, &bi);
    if (r != VK_SUCCESS) return vk_fail(g, "vkBeginCommandBuffer", r);
    VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = bytes};
    vkCmdCopyBuffer(g->copy_cmd, src->buf, dst->buf, 1, &region);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT};
    vkCmdPipelineBarrier(g->copy_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                         &mb, 0, NULL, 0, NULL);
    if ((r = vkEndCommandBuffer(g->copy_cmd)) != VK_SUCCESS)
        return vk_fail(g, "vkEndCommandBuffer", r);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &g->copy_cmd};
    if ((r = vkQueueSubmit(g->queue, 1, &si, g->fence)) != VK_SUCCESS)
        return vk_fail(g, "vkQueueSubmit (copy)", r);
    r = vkWaitForFences(g->device, 1, &g->fence, VK_TRUE, (uint64_t)(g->timeout_s * 1e9));
    if (r != VK_SUCCESS) {
        g->lost = 1;
        if (r == VK_TIMEOUT) set_err(g, "a buffer copy did not finish within %.3g s", g->timeout_s);
        else vk_fail(g, "vkWaitForFences (copy)", r);
        return -1;
    }
    vkResetFences(g->device, 1, &g->fence);
    return 0;
}

GpuBuffer *gpu_buffer_new(GpuContext *g, size_t bytes) {
    if (!usable(g)) return NULL;
    if (bytes == 0) bytes = 4;
    if (bytes > g->info.max_buffer_bytes) {
        set_err(g, "a buffer of %zu bytes exceeds the device limit of %llu bytes", bytes,
                (unsigned long long)g->info.max_buffer_bytes);
        return NULL;
    }
    GpuBuffer *b = buffer_make(g, bytes, 0);
    if (!b) return NULL;
    if (b->map) {
        memset(b->map, 0, bytes);
    } else {
        GpuBuffer *zero = buffer_make(g, bytes, 1);
        int rc = zero ? copy_now(g, zero, 0, b, 0, bytes) : -1;
        gpu_buffer_free(zero);
        if (rc) {
            gpu_buffer_free(b);
            return NULL;
        }
    }
    return b;
}

size_t gpu_buffer_size(const GpuBuffer *b) { return b->size; }

static int range_ok(GpuBuffer *b, size_t offset, size_t bytes) {
    if (offset > b->size || bytes > b->size - offset) {
        set_err(b->g, "buffer access [%zu, %zu) outside a buffer of %zu bytes", offset,
                offset + bytes, b->size);
        return 0;
    }
    return usable(b->g);
}

int gpu_buffer_write(GpuBuffer *b, size_t offset, const void *src, size_t bytes) {
    if (!range_ok(b, offset, bytes)) return -1;
    if (bytes == 0) return 0;
    if (b->map) {
        memcpy((char *)b->map + offset, src, bytes);
        return 0;
    }
    GpuBuffer *staging = buffer_make(b->g, bytes, 1);
    if (!staging) return -1;
    memcpy(staging->map, src, bytes);
    int rc = copy_now(b->g, staging, 0, b, offset, bytes);
    gpu_buffer_free(staging);
    return rc;
}

int gpu_buffer_read(GpuBuffer *b, size_t offset, void *dst, size_t bytes) {
    if (!range_ok(b, offset, bytes)) return -1;
    if (bytes == 0) return 0;
    if (b->map) {
        memcpy(dst, (const char *)b->map + offset, bytes);
        return 0;
    }
    GpuBuffer *staging = buffer_make(b->g, bytes, 1);
    if (!staging) return -1;
    int rc = copy_now(b->g, b, offset, staging, 0, bytes);
    if (rc == 0) memcpy(dst, staging->map, bytes);
    gpu_buffer_free(staging);
    return rc;
}

void gpu_buffer_free(GpuBuffer *b) {
    if (!b) return;
    GpuContext *g = b->g;
    /* a batch that missed its fence timeout may still be running and using this memory: let
       the device finish (or report itself lost) before anything is freed */
    if (g->lost && !g->drained) {
        vkDeviceWaitIdle(g->device);
        g->drained = 1;
    }
    if (b->map) vkUnmapMemory(g->device, b->mem);
    if (b->buf) vkDestroyBuffer(g->device, b->buf, NULL);
    if (b->mem) vkFreeMemory(g->device, b->mem, NULL);
    free(b);
}

/* ---------------------------------------------------------------------------------------- */
/* Kernels and batches */

static VkPipeline pipeline_for(GpuContext *g, const char *kernel) {
    int k = -1;
    for (int i = 0; i < gpu_spirv_count && i < GPU_MAX_KERNELS; i++)
        if (!strcmp(gpu_spirv_table[i].name, kernel)) k = i;
    if (k < 0) {
        set_err(g, "no kernel named '%s' (gpu/shaders/%s.comp)", kernel, kernel);
        return VK_NULL_HANDLE;
    }
    if (g->pipelines[k]) return g->pipelines[k];
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = gpu_spirv_table[k].count * sizeof(uint32_t),
                                   .pCode = gpu_spirv_table[k].words};
    VkShaderModule module;
    VkResult r = vkCreateShaderModule(g->device, &mi, NULL, &module);
    if (r != VK_SUCCESS) {
        vk_fail(g, "vkCreateShaderModule", r);
        return VK_NULL_HANDLE;
    }
    /* specialization constant 0 = the workgroup size (layout(local_size_x_id = 0)) */
    VkSpecializationMapEntry entry = {.constantID = 0, .offset = 0, .size = sizeof(uint32_t)};
    VkSpecializationInfo spec = {.mapEntryCount = 1,
                                 .pMapEntries = &entry,
                                 .dataSize = sizeof(uint32_t),
                                 .pData = &g->info.workgroup_size};
    VkComputePipelineCreateInfo pi = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main",
                  .pSpecializationInfo = &spec},
        .layout = g->pipe_layout};
    r = vkCreateComputePipelines(g->device, g->pcache, 1, &pi, NULL, &g->pipelines[k]);
    g->pipelines_made++;
    vkDestroyShaderModule(g->device, module, NULL);
    if (r != VK_SUCCESS) {
        g->pipelines[k] = VK_NULL_HANDLE;
        vk_fail(g, "vkCreateComputePipelines", r);
        return VK_NULL_HANDLE;
    }
    return g->pipelines[k];
}

static int split_batch(GpuContext *g);

/* The descriptor set binding these buffers: reused within a batch, else allocated (after
   splitting the batch when the pool is full, split_batch). */
static VkDescriptorSet set_for(GpuContext *g, GpuBuffer *const *bufs, int nbufs) {
    VkBuffer want[GPU_MAX_BINDINGS];
    for (int i = 0; i < GPU_MAX_BINDINGS; i++)
        want[i] = i < nbufs && bufs[i] ? bufs[i]->buf : g->dummy->buf;
    for (int s = 0; s < g->nsets; s++)
        if (!memcmp(g->sets[s].bufs, want, sizeof want)) return g->sets[s].set;
    if (g->nsets == GPU_MAX_SETS) {
        /* the pool is full: submit the batch's part recorded so far and recycle the sets */
        if (!g->recording) {
            set_err(g, "more than %d different buffer bindings without a recording", GPU_MAX_SETS);
            return VK_NULL_HANDLE;
        }
        if (split_batch(g)) return VK_NULL_HANDLE;
    }
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = g->desc_pool,
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &g->set_layout};
    VkDescriptorSet set;
    VkResult r = vkAllocateDescriptorSets(g->device, &ai, &set);
    if (r != VK_SUCCESS) {
        vk_fail(g, "vkAllocateDescriptorSets", r);
        return VK_NULL_HANDLE;
    }
    VkDescriptorBufferInfo info[GPU_MAX_BINDINGS];
    VkWriteDescriptorSet w[GPU_MAX_BINDINGS];
    for (uint32_t i = 0; i < GPU_MAX_BINDINGS; i++) {
        info[i] = (VkDescriptorBufferInfo){.buffer = want[i], .offset = 0, .range = VK_WHOLE_SIZE};
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &info[i]};
    }
    vkUpdateDescriptorSets(g->device, GPU_MAX_BINDINGS, w, 0, NULL);
    memcpy(g->sets[g->nsets].bufs, want, sizeof want);
    g->sets[g->nsets++].set = set;
    return set;
}

int gpu_dispatch(GpuContext *g, const char *kernel, GpuBuffer *const *bufs, int nbufs,
                 const void *push, size_t push_bytes, uint32_t items) {
    if (!usable(g)) return -1;
    if (nbufs < 0 || nbufs > GPU_MAX_BINDINGS || push_bytes > GPU_MAX_PUSH_BYTES) {
        set_err(g, "gpu_dispatch(%s): %d buffers (max %d), %zu push bytes (max %d)", kernel,
                nbufs, GPU_MAX_BINDINGS, push_bytes, GPU_MAX_PUSH_BYTES);
        return -1;
    }
    VkPipeline pipe = pipeline_for(g, kernel);
    if (!pipe) return -1;
    VkDescriptorSet set = set_for(g, bufs, nbufs);
    if (!set) return -1;
    VkResult r;
    if (!g->recording) {
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        if ((r = vkBeginCommandBuffer(g->cmd, &bi)) != VK_SUCCESS)
            return vk_fail(g, "vkBeginCommandBuffer", r);
        if (g->info.has_timestamps) {
            vkCmdResetQueryPool(g->cmd, g->query_pool, 0, 2);
            vkCmdWriteTimestamp(g->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, g->query_pool, 0);
        }
        if (g->continued) {
            /* a later part of a split batch sees every write of the parts before it */
            VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                  .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                                  .dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
                                                   VK_ACCESS_SHADER_WRITE_BIT};
            vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                 VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0,
                                 NULL);
        }
        g->recording = 1;
    } else {
        /* the next kernel sees every write of the previous one */
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_SHADER_READ_BIT |
                                               VK_ACCESS_SHADER_WRITE_BIT};
        vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    }
    uint8_t pc[GPU_MAX_PUSH_BYTES] = {0};
    if (push_bytes) memcpy(pc, push, push_bytes);
    vkCmdBindPipeline(g->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    vkCmdBindDescriptorSets(g->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipe_layout, 0, 1, &set,
                            0, NULL);
    vkCmdPushConstants(g->cmd, g->pipe_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       GPU_MAX_PUSH_BYTES, pc);
    /* grid-stride kernels: enough groups to cover the items, at most 65535 */
    uint32_t wg = g->info.workgroup_size;
    uint32_t groups = items / wg + (items % wg != 0);
    if (groups == 0) groups = 1;
    if (groups > 65535) groups = 65535;
    vkCmdDispatch(g->cmd, groups, 1, 1);
    return 0;
}

/* Ends the recording, submits it and waits: one part of a batch (all of it when nothing split
   it); *seconds = its device time from the timestamps, or -1. */
static int submit_wait(GpuContext *g, double *seconds) {
    *seconds = -1.0;
    g->recording = 0;
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT};
    vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb,
                         0, NULL, 0, NULL);
    if (g->info.has_timestamps)
        vkCmdWriteTimestamp(g->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, g->query_pool, 1);
    VkResult r = vkEndCommandBuffer(g->cmd);
    if (r != VK_SUCCESS) return vk_fail(g, "vkEndCommandBuffer", r);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &g->cmd};
    if (g->batches_until_fault && --g->batches_until_fault == 0) /* injected (GpuOptions) */
        return vk_fail(g, "vkQueueSubmit (injected fault)", VK_ERROR_DEVICE_LOST);
    if ((r = vkQueueSubmit(g->queue, 1, &si, g->fence)) != VK_SUCCESS)
        return vk_fail(g, "vkQueueSubmit", r);
    r = vkWaitForFences(g->device, 1, &g->fence, VK_TRUE, (uint64_t)(g->timeout_s * 1e9));
    if (r != VK_SUCCESS) {
        /* a batch that did not finish keeps its resources in use: the context is done */
        g->lost = 1;
        if (r == VK_TIMEOUT)
            set_err(g, "a batch did not finish within %.3g s (fence timeout)", g->timeout_s);
        else vk_fail(g, "vkWaitForFences", r);
        return -1;
    }
    vkResetFences(g->device, 1, &g->fence);
    vkResetCommandBuffer(g->cmd, 0);
    vkResetDescriptorPool(g->device, g->desc_pool, 0);
    g->nsets = 0;
    if (g->info.has_timestamps) {
        uint64_t ts[2];
        r = vkGetQueryPoolResults(g->device, g->query_pool, 0, 2, sizeof ts, ts, sizeof ts[0],
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        if (r == VK_SUCCESS) *seconds = (double)(ts[1] - ts[0]) * g->timestamp_period * 1e-9;
    }
    return 0;
}

/* A batch whose dispatches need more than GPU_MAX_SETS different buffer bindings (a large
   training graph: every op binds its own buffers) is split transparently: the part recorded so
   far is submitted and waited for, its descriptor sets are recycled, and recording continues in
   a fresh command buffer that starts with a barrier against everything submitted before (so
   the order of the kernels, and every result, are those of one submission). Each part holds
   GPU_MAX_SETS binding sets, i.e. hundreds of dispatches. gpu_run_batch reports the sum of the
   parts' device times. */
static int split_batch(GpuContext *g) {
    double sec;
    const int rc = submit_wait(g, &sec);
    if (rc) return rc;
    if (g->split_seconds >= 0) g->split_seconds = sec >= 0 ? g->split_seconds + sec : -1.0;
    g->continued = 1;
    return 0;
}

int gpu_run_batch(GpuContext *g, double *gpu_seconds) {
    if (gpu_seconds) *gpu_seconds = -1.0;
    if (!usable(g)) return -1;
    if (!g->recording) {
        g->continued = 0;
        g->split_seconds = 0;
        return 0;
    }
    double sec;
    const int rc = submit_wait(g, &sec);
    const double before = g->split_seconds;
    g->continued = 0;
    g->split_seconds = 0;
    if (rc) return rc;
    if (gpu_seconds && sec >= 0 && before >= 0) *gpu_seconds = before + sec;
    return 0;
}

#endif
