/* atomic_file — see atomic_file.h. */
#include "common/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static void release(AtomicFile *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

FILE *atomic_open(AtomicFile *a, const char *path, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    size_t n = strlen(path) + 32;
    a->path = xstrdup(path);
    a->tmp = xmalloc(n);
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        if (err && errlen) snprintf(err, errlen, "cannot create %s: %s", a->tmp, strerror(errno));
        release(a);
        return NULL;
    }
    return a->f;
}

int atomic_commit(AtomicFile *a, char *err, size_t errlen) {
    int bad = ferror(a->f);
    //: the bytes reach the disk before the name does
    if (fflush(a->f) != 0) bad = 1;
    if (!bad && fsync(fileno(a->f)) != 0 && errno != EINVAL) bad = 1; /* EINVAL: a pipe or /dev file */
    int saved = bad ? (errno ? errno : EIO) : 0;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    a->f = NULL;
    if (!bad && rename(a->tmp, a->path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        if (err && errlen) snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(saved));
        remove(a->tmp);
    }
    release(a);
    return bad ? -1 : 0;
}

void atomic_abort(AtomicFile *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    release(a);
}
