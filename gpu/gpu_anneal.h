/*: # gpu_anneal — the 1-D annealing ensembles on the GPU (study note B2, B5)

Kernels `anneal_ula` (simulated annealing and annealed Langevin: ULA under a per-step schedule)
and `anneal_ais` (annealed importance sampling with uniform-proposal Metropolis moves), their
float C twins, and the layer a lecture calls: `goc_anneal_ula` / `goc_anneal_ais` run the kernel
alone when there is a context, and common/anneal1d.h (double, the same Philox words) otherwise
or after a device error. The math shared by kernel and twin is gpu_anneal_shared.h.

The twins exist for the unit test (checks/unit/test_gpu_anneal.c), which compares each kernel
with its twin on the same noise: ULA chains within the chain bound of the precision model
(eq. [eq:common.gpu.err_chain], gpu_precision.h), AIS chains bit for bit wherever no
acceptance test lies within the rounding of $\ln u'$ of its threshold.
*/
#ifndef GPU_GPU_ANNEAL_H
#define GPU_GPU_ANNEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/anneal1d.h"
#include "gpu/gpu.h"
#include "gpu/gpu_anneal_shared.h"
#include "gpu/gpu_or_cpu.h"

/* The float twins (OpenMP over chains; thread-independent). table: as Anneal1dUla's, in float;
   sched: nsteps x (a, b, s) in float. */
void gpu_anneal_ula_cpu(int model, int k, const float *table, const float *sched, long nsteps,
                        uint32_t step0, uint64_t seed, float *x, long n);
void gpu_anneal_ais_cpu(int deg, const float *e1, const float *lam, int K, int m, float h,
                        uint64_t seed, float *x, float *logw, long n);

/* The kernels only: 0 when they ran, else -1 with the reason (x, logw may then hold anything). */
int gpu_anneal_ula_try(GpuContext *g, int model, int k, const float *table, const float *sched,
                       long nsteps, uint32_t step0, uint64_t seed, float *x, long n, char *why,
                       size_t whylen);
int gpu_anneal_ais_try(GpuContext *g, int deg, const float *e1, const float *lam, int K, int m,
                       float h, uint64_t seed, float *x, float *logw, long n, char *why,
                       size_t whylen);

/* The lecture's one call: the kernel alone with a context, common/anneal1d otherwise. */
GocWhere goc_anneal_ula(GpuContext *g, const Anneal1dUla *job, double *x, long n);
GocWhere goc_anneal_ais(GpuContext *g, const Anneal1dAis *job, double *x, double *logw, long n);

/* The test's bounds. ULA: runs the twin (x ends equal to gpu_anneal_ula_cpu's) carrying the
   chain bound d of eq. [eq:common.gpu.err_chain]; bound[i] receives d for chain i. */
void gp_anneal_ula_bound(int model, int k, const float *table, const float *sched, long nsteps,
                         uint32_t step0, uint64_t seed, float *x, long n, double *bound);
/* AIS: runs the twin; decided[i] = 1 when every acceptance test of chain i lies farther from
   its threshold than twice the bound of a conformant ln u' (then a conformant GPU takes the
   same decisions and, all other operations being exact +, -, x, ends bit-identical). */
void gp_anneal_ais_decided(int deg, const float *e1, const float *lam, int K, int m, float h,
                           uint64_t seed, float *x, float *logw, long n, unsigned char *decided);

#endif
