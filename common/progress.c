/* progress — see progress.h. */
#include "common/progress.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "common/util.h"

void progress_start(Progress *p, const char *label, long total) {
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->t_start = p->t_last = now_seconds();
    p->tty = isatty(STDERR_FILENO);
    p->printed = 0;
    p->last_decile = 0;
}

static void print_line(Progress *p, long done, double now, const char *name, double value) {
    double elapsed = now - p->t_start;
    double rate = done > 0 ? done / elapsed : 0.0;
    double eta = rate > 0 ? (p->total - done) / rate : 0.0;
    char extra[64] = "";
    if (name && isfinite(value)) snprintf(extra, sizeof extra, "  %s %.5g", name, value);
    fprintf(stderr, "%s%-24s %3d%%  %ld/%ld  %.3g it/s  ETA %.0fs%s%s", p->tty ? "\r" : "",
            p->label, (int)(100.0 * done / p->total), done, p->total, rate, eta, extra,
            p->tty ? "\033[K" : "\n");
    fflush(stderr);
    p->printed = 1;
}

void progress_update_value(Progress *p, long done, const char *name, double value) {
    if ((done & 63) != 0 && done != p->total) return;
    double now = now_seconds();
    if (now - p->t_start < 2.0) return; /* short loops stay silent */
    if (p->tty) {
        if (now - p->t_last >= 0.2 || done == p->total) {
            print_line(p, done, now, name, value);
            p->t_last = now;
        }
    } else {
        int decile = (int)(10.0 * done / p->total);
        if (decile > p->last_decile && now - p->t_last >= 5.0) {
            print_line(p, done, now, name, value);
            p->last_decile = decile;
            p->t_last = now;
        }
    }
}

void progress_update(Progress *p, long done) { progress_update_value(p, done, NULL, NAN); }

void progress_end(Progress *p) {
    if (!p->printed) return;
    double elapsed = now_seconds() - p->t_start;
    fprintf(stderr, "%s%-24s done: %ld in %.1fs%s\n", p->tty ? "\r" : "", p->label, p->total,
            elapsed, p->tty ? "\033[K" : "");
    fflush(stderr);
}
