/* Fuzz target: the command-line parser (cli_parse_args, common/cli.c), with a program-specific
   flag of every type. The input is split at NUL bytes into at most 32 arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = xmalloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[34] = {"prog"};
    int argc = 1;
    for (size_t i = 0; i < size && argc < 33;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    int steps = 0, flag = 0;
    long big = 0;
    double lr = 0;
    const char *name = NULL;
    const CliExtra extras[] = {{"--steps", CLI_INT, &steps, "steps"},
                               {"--big", CLI_LONG, &big, "a long"},
                               {"--lr", CLI_DOUBLE, &lr, "rate"},
                               {"--name", CLI_STRING, &name, "a name"},
                               {"--flag", CLI_FLAG, &flag, "a flag"},
                               {0}};
    Cli cli;
    char err[512];
    CliStatus st = cli_parse_args(&cli, argc, argv, "lectures/00_fuzz/01_fuzz", 7, extras, err, sizeof err);
    /* an accepted --out leaves room for the file names cli_out_path appends: never truncated */
    if (st == CLI_OK && strlen(cli.out_dir) + 64 >= sizeof cli.out_dir) abort();
    free(buf);
    return 0;
}
