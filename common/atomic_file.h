/*: # atomic_file — output files that are whole or absent

A program can be stopped at any instant: Ctrl-C, a SIGKILL, a full disk, a file-size limit. A
file written in place would then be left truncated, and a later program (one that loads the
weights a training program saved, the docs reading a figure) would read garbage. So every output
file of the course is written the way databases and editors write theirs:

1. write everything to a temporary file beside the target, `<path>.tmp.<pid>` (same directory,
   so same file system);
2. flush it and `fsync` it, so its bytes are on the disk before its name is;
3. `rename` it over the target: POSIX makes the rename atomic, so a reader sees the old file or
   the new one, never a mixture.

Any failure on the way (a short write with `EFBIG` or `ENOSPC`, a failed close) removes the
temporary file and leaves the target as it was. A process killed between 1 and 3 leaves only a
`.tmp.<pid>` file, which no loader opens. (Introduced for the weights files of L35 5.2 and L36
4.2 and the PNG figures of every program.)
*/
#ifndef COMMON_ATOMIC_FILE_H
#define COMMON_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *f;         /* write through this */
    char *path, *tmp;
} AtomicFile;

/* Opens "<path>.tmp.<pid>" for writing ("wb"). Returns a->f, or NULL with a message in err. */
FILE *atomic_open(AtomicFile *a, const char *path, char *err, size_t errlen);
/* Flush, fsync, close, rename over the target. 0 on success; -1 with a message (the temporary
   file removed, the target untouched). Frees a's strings either way. */
int atomic_commit(AtomicFile *a, char *err, size_t errlen);
/* Gives up: closes and removes the temporary file; the target is untouched. */
void atomic_abort(AtomicFile *a);

#endif
