/* util — small helpers every module needs: fatal errors, checked allocation, directories,
   a monotonic clock. Fatal errors print "error: ..." to stderr and exit with status 2 (an input or
   usage problem, CONVENTIONS.md §3); an allocation failure is reported the same way. */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>

_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* mkdir -p; returns 0 on success (also when the directory exists). */
int mkdir_p(const char *path);

/* Seconds on a monotonic clock, for timings printed as information. */
double now_seconds(void);
/* CPU time of the calling thread, in seconds (benchmarks: the serial share of a parallel loop) */
double thread_cpu_seconds(void);

#endif
