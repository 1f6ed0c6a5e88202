/* chunked_step — see chunked_step.h. Introduced for L35 4.2 (DSM at batch 4096). */
#include "common/chunked_step.h"

#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/util.h"

struct ChunkedStep {
    AdTensor *const *param;
    int nparam, batch, rows, nchunks, nthreads;
    AdShadows **shadows; /* per chunk */
    AdArena **arena;     /* per thread */
    double *loss;        /* per chunk */
};

ChunkedStep *chunked_step_new(AdTensor *const *params, int n, int batch, int rows) {
    if (batch < 1 || rows < 1) die("chunked_step_new: batch %d, rows %d", batch, rows);
    for (int j = 0; j < n; j++)
        if (params[j]->dtype != AD_F32) die("chunked_step_new: parameter %d is not float32", j);
    ChunkedStep *c = xcalloc(1, sizeof *c);
    c->param = params, c->nparam = n, c->batch = batch, c->rows = rows;
    c->nchunks = (batch + rows - 1) / rows;
    c->nthreads = par_max_threads() < c->nchunks ? par_max_threads() : c->nchunks;
    c->shadows = xmalloc(sizeof *c->shadows * (size_t)c->nchunks);
    for (int k = 0; k < c->nchunks; k++) c->shadows[k] = ad_shadows_new(params, n);
    c->arena = xmalloc(sizeof *c->arena * (size_t)c->nthreads);
    for (int t = 0; t < c->nthreads; t++) c->arena[t] = ad_arena_new(1 << 20);
    c->loss = xcalloc((size_t)c->nchunks, sizeof *c->loss);
    return c;
}

void chunked_step_free(ChunkedStep *c) {
    if (!c) return;
    for (int k = 0; k < c->nchunks; k++) ad_shadows_free(c->shadows[k]);
    for (int t = 0; t < c->nthreads; t++) ad_arena_free(c->arena[t]);
    free(c->shadows);
    free(c->arena);
    free(c->loss);
    free(c);
}

int chunked_step_batch(const ChunkedStep *c) { return c->batch; }

double chunked_step_run(ChunkedStep *c, ChunkLossFn loss_fn, void *ctx) {
    /* chunks go to whichever thread is free (a core that runs slower takes fewer) */
#pragma omp parallel for schedule(dynamic) num_threads(c->nthreads)
    for (int k = 0; k < c->nchunks; k++) {
        AdArena *a = c->arena[par_thread_id()];
        const int r0 = k * c->rows, nk = c->batch - r0 < c->rows ? c->batch - r0 : c->rows;
        ad_shadows_zero(c->shadows[k]);
        ad_arena_reset(a);
        ad_arena_set_shadows(a, c->shadows[k]);
        AdTensor *lk = loss_fn(ctx, a, k, r0, nk);
        c->loss[k] = ad_item(lk);
        ad_backward(a, lk);
        ad_arena_set_shadows(a, NULL);
    }
    //: eq. [eq:common.chunked_step.sum]: the chunks' gradients added in chunk order
    for (int j = 0; j < c->nparam; j++) {
        float *g = c->param[j]->grad;
        const long n = c->param[j]->size;
        memcpy(g, ad_shadows_grad(c->shadows[0], j), sizeof(float) * (size_t)n);
        for (int k = 1; k < c->nchunks; k++) { /* each element: ((g_0 + g_1) + g_2) + ... */
            const float *gk = ad_shadows_grad(c->shadows[k], j);
            for (long i = 0; i < n; i++) g[i] += gk[i];
        }
    }
    double loss = 0;
    for (int k = 0; k < c->nchunks; k++) loss += c->loss[k];
    return loss;
}
