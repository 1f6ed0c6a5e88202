/*: # gpu_or_cpu — one call, with or without a GPU

A lecture program that can use the GPU calls one function of this layer and gets its result,
whatever machine it runs on. The layer owns the branch:

- with a context (`--gpu on|auto` found a device) the kernel runs, **alone**;
- without one, or when the device fails (the message goes to stderr), the program's own CPU
  path runs: the code in `common/` that the lecture explains (common/ad training,
  common/langevin sampling), from the unchanged inputs. There is one CPU path: the kernels'
  float twins (gpu_*_cpu) are not a fallback here; they exist for the unit tests.

It reports where the work ran (`GocWhere`), and nothing else: comparing a kernel with its C twin
is the job of checks/unit/test_gpu_*.c, with bounds from the precision model
(gpu_precision.h), not of a lecture. A lecture checks its results against the mathematics,
whichever path produced them.
*/
#ifndef GPU_GPU_OR_CPU_H
#define GPU_GPU_OR_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "common/cli.h"
#include "common/gauss.h"
#include "common/nn.h"
#include "gpu/gpu.h"
#include "gpu/gpu_langevin.h"
#include "gpu/gpu_mlp.h"
#include "gpu/gpu_train.h"

/* The device a program's --gpu asks for, made the default of common/genmodel's gm_train (so
   every model a lecture trains through gm_train runs there) and closed at exit. NULL (the CPU)
   when --gpu off, or auto without a real GPU, or when no device opens (with --gpu on the reason
   goes to stderr). */
GpuContext *goc_training_device(const Cli *cli);

typedef enum { GOC_CPU, GOC_GPU, GOC_CPU_AFTER_GPU_ERROR } GocWhere;
const char *goc_where_name(GocWhere w); /* "CPU", "GPU", "CPU (after a GPU error)" */

/* Training a score MLP (DSM, NCSN) on a 2-D mixture. GPU: kernel 3 (gpu_train.h) on `mlp`'s
   parameters with Adam(lr) and the level table; CPU: the caller's training function. Both
   train `mlp` in place; losses[k] gets the batch loss of step k (steps values). */
typedef long (*GocCpuTrainFn)(void *ctx, double *losses, char *err, size_t errlen);
typedef struct {
    NnMlp *mlp;
    long steps;
    double lr;
    const Gmm *data;             /* kernel 3: the data mixture, */
    const GpuTrainLevel *levels; /* its level table, */
    int nlevels, gpu_batch;      /* and the batch it draws on the device */
    uint64_t gpu_seed;
    GocCpuTrainFn cpu_train;     /* the CPU path (e.g. common/dsm_train, ncsn_train) */
    void *cpu_ctx;
    const char *label;           /* progress label */
} GocTrain;

/* Returns the number of steps run: job->steps, or fewer when a loss is not finite, with the
   message (naming the step) in err; the NaN policy of common/dsm_train.h on both paths. */
long goc_train(GpuContext *g, const GocTrain *job, double *losses, GocWhere *where, char *err,
               size_t errlen);

/* Sampling 2-D chains x (n x 2, double, in place). GPU: the mixture kernel (table != NULL:
   gpu_langevin.h, levels) or the MLP kernel (net != NULL: gpu_mlp.h, phases), Philox streams of
   `seed`; CPU: the caller's function. */
typedef void (*GocCpuSampleFn)(void *ctx, double *x, long n);
typedef struct {
    const float *table;              /* the mixture kernel: gpu_gmm_pack's table, */
    int k;                           /* its components, */
    const GpuLangevinLevel *levels;  /* and levels; or */
    const GpuMlp *net;               /* the MLP kernel: the packed network */
    const GpuMlpPhase *phases;       /* and its phases */
    int nlevels;                     /* levels or phases */
    uint64_t seed;
    GocCpuSampleFn cpu_sample;
    void *cpu_ctx;
} GocSample;

GocWhere goc_sample(GpuContext *g, const GocSample *job, double *x, long n);

#endif
