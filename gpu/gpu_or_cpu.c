/* gpu_or_cpu — see gpu_or_cpu.h. Introduced for L35 4.2, 5.2, 5.3 and 7.7b. */
#include "gpu/gpu_or_cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/genmodel.h"
#include "common/progress.h"
#include "common/util.h"

const char *goc_where_name(GocWhere w) {
    return w == GOC_GPU ? "GPU" : w == GOC_CPU ? "CPU" : "CPU (after a GPU error)";
}

enum { GOC_CHUNK = 100 };

/* Kernel 3 in chunks of GOC_CHUNK steps, every loss read back; 1: ran (maybe stopped at a
   non-finite loss, *done the steps run), 0: the device failed (mlp untouched). */
static int train_on_gpu(GpuContext *g, const GocTrain *job, double *losses, long *done, char *err,
                        size_t errlen) {
    GpuTrain tr;
    const GpuTrainConfig cfg = {job->mlp,   job->data, job->levels, job->nlevels, job->gpu_batch,
                                job->gpu_seed, job->lr, 0.9,        0.999,        1e-8};
    if (gpu_train_init(&tr, &cfg, err, errlen)) die("%s", err);
    float *lf = xmalloc(sizeof(float) * GOC_CHUNK);
    char why[256];
    Progress progress;
    progress_start(&progress, job->label ? job->label : "training (GPU)", job->steps);
    int ok = 1;
    *done = 0;
    while (*done < job->steps) {
        const int n = (int)(job->steps - *done < GOC_CHUNK ? job->steps - *done : GOC_CHUNK);
        if (gpu_train_try(g, &tr, n, 1, lf, NULL, why, sizeof why)) {
            fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
            ok = 0;
            break;
        }
        int bad = -1;
        for (int k = 0; k < n; k++) {
            losses[*done + k] = lf[k];
            if (bad < 0 && !isfinite(lf[k])) bad = k;
        }
        if (bad >= 0) {
            snprintf(err, errlen, "%s: loss is %g at step %ld of %ld (GPU)",
                     job->label ? job->label : "training", (double)lf[bad], *done + bad + 1,
                     job->steps);
            *done += bad + 1;
            break;
        }
        *done += n;
        progress_update_value(&progress, *done, "loss", losses[*done - 1]);
    }
    progress_end(&progress);
    if (ok) gpu_mlp_to_nn(&tr.net, job->mlp); /* the trained parameters back */
    free(lf);
    gpu_train_free(&tr);
    return ok;
}

long goc_train(GpuContext *g, const GocTrain *job, double *losses, GocWhere *where, char *err,
               size_t errlen) {
    long done = 0;
    err[0] = 0;
    if (g && train_on_gpu(g, job, losses, &done, err, errlen)) {
        *where = GOC_GPU;
        return done;
    }
    *where = g ? GOC_CPU_AFTER_GPU_ERROR : GOC_CPU;
    return job->cpu_train(job->cpu_ctx, losses, err, errlen);
}

GocWhere goc_sample(GpuContext *g, const GocSample *job, double *x, long n) {
    if (g) {
        float *xf = xmalloc(sizeof(float) * 2 * (size_t)n);
        for (long i = 0; i < 2 * n; i++) xf[i] = (float)x[i];
        char why[256];
        const int rc = job->table ? gpu_langevin_gmm_try(g, job->table, job->k, xf, n, job->seed,
                                                         job->levels, job->nlevels, NULL, why,
                                                         sizeof why)
                                  : gpu_mlp_steps_try(g, job->net, xf, n, job->seed, job->phases,
                                                      job->nlevels, NULL, why, sizeof why);
        if (rc == 0) {
            for (long i = 0; i < 2 * n; i++) x[i] = xf[i];
            free(xf);
            return GOC_GPU;
        }
        free(xf);
        fprintf(stderr, "gpu: %s; running the CPU path instead\n", why);
    }
    job->cpu_sample(job->cpu_ctx, x, n);
    return g ? GOC_CPU_AFTER_GPU_ERROR : GOC_CPU;
}

static GpuContext *training_device;

static void close_training_device(void) {
    gm_set_default_gpu(NULL);
    gpu_close(training_device);
    training_device = NULL;
}

GpuContext *goc_training_device(const Cli *cli) {
    if (training_device) return training_device;
    char why[256] = "";
    training_device = gpu_open(cli->gpu, NULL, why, sizeof why);
    if (!training_device) {
        if (cli->gpu == GPU_ON) fprintf(stderr, "gpu: %s; training on the CPU\n", why);
        return NULL;
    }
    gm_set_default_gpu(training_device);
    atexit(close_training_device);
    return training_device;
}
