/* progress — a progress line for loops that take more than a couple of seconds.

   On a terminal: one line rewritten in place, "label  37%  3700/10000  1.2e+03 it/s  ETA 5s".
   Otherwise (logs, CI): a plain line at most every 10% and at least 5 s apart, so a log stays short.
   Nothing is printed for a loop that finishes within 2 s. Output goes to stderr; stdout is kept for
   check lines. Printing never changes a result. */
#ifndef COMMON_PROGRESS_H
#define COMMON_PROGRESS_H

typedef struct {
    const char *label;
    long total;
    double t_start, t_last;
    int tty, printed, last_decile;
} Progress;

void progress_start(Progress *p, const char *label, long total);
/* `done` items out of total; cheap to call every iteration (reads the clock every 64 calls). */
void progress_update(Progress *p, long done);
/* An extra value to show on the line, e.g. the current loss (NAN to omit). */
void progress_update_value(Progress *p, long done, const char *name, double value);
void progress_end(Progress *p);

#endif
