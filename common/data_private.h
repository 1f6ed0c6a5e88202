/* data_private — what the data module's files share and nobody else needs (defined in
   data_images.c, the bottom layer; see its header for the direction of the dependencies). */
#ifndef COMMON_DATA_PRIVATE_H
#define COMMON_DATA_PRIVATE_H

#include <stddef.h>
#include <zlib.h>

/* Write the message into err (when errlen > 0) and return -1. */
int data_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* zlib's error code (*zerr) and message for f, without the path zlib puts in front of it. */
const char *data_gz_message(gzFile f, const char *path, int *zerr);

#endif
