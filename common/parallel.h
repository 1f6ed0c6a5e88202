/* parallel — OpenMP when the build found it, plain serial loops otherwise. Parallel code in the
   course never lets the thread count change a result: every chain or sample draws from its own
   counter-based random stream (rng.h), and reductions are done in a fixed order. */
#ifndef COMMON_PARALLEL_H
#define COMMON_PARALLEL_H

#ifdef _OPENMP
#include <omp.h>
static inline int par_max_threads(void) { return omp_get_max_threads(); }
static inline void par_set_threads(int n) { if (n > 0) omp_set_num_threads(n); }
static inline int par_thread_id(void) { return omp_get_thread_num(); }
static inline int par_num_threads(void) { return omp_get_num_threads(); } /* in the team */
#else
static inline int par_max_threads(void) { return 1; }
static inline void par_set_threads(int n) { (void)n; }
static inline int par_thread_id(void) { return 0; }
static inline int par_num_threads(void) { return 1; }
#endif

#endif
