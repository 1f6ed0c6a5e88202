/*: # cli — the common command line of every program

CONVENTIONS.md §4 fixes the flags every program understands:

| flag | meaning |
|---|---|
| `--help` | usage, exit 0 |
| `--seed N` | the master seed (each program has its own fixed default) |
| `--quick` / `--full` | smoke scale (sanitizer runs) / the lecture's full scale |
| `--out DIR` | output directory (default `out/<lecture>/<program>/`) |
| `--threads N` | worker threads (results do not depend on it) |
| `--gpu auto\|off\|on` | GPU backend choice |
| `--data DIR` | where fetched datasets live (default `data/`) |

A program may add flags of its own through a `CliExtra` table. An unknown flag or a bad value
prints the usage to stderr and exits with status 2. `cli_parse` also starts the check
protocol (`check_begin`) with the program's path and output directory.
*/
#ifndef COMMON_CLI_H
#define COMMON_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "common/gpu_mode.h" /* GpuMode */
typedef enum { SCALE_QUICK, SCALE_DEFAULT, SCALE_FULL } Scale;

typedef struct {
    const char *program; /* e.g. "lectures/07_mle/01_mle_cross_entropy" */
    uint64_t seed;
    Scale scale;
    char out_dir[1024];
    int threads; /* 0: the runtime's default */
    GpuMode gpu;
    const char *data_dir;
} Cli;

typedef enum { CLI_INT, CLI_LONG, CLI_DOUBLE, CLI_STRING, CLI_FLAG } CliType;

/* A program-specific flag: `target` points to an int / long / double / const char* / int. */
typedef struct {
    const char *name; /* "--steps" */
    CliType type;
    void *target;
    const char *help;
} CliExtra;

/* The parser alone: fills `cli` (and the extras' targets) from argv without printing, exiting
   or starting the check protocol. CLI_HELP for --help; CLI_ERROR with the reason in err. */
typedef enum { CLI_OK, CLI_HELP, CLI_ERROR } CliStatus;
CliStatus cli_parse_args(Cli *cli, int argc, char **argv, const char *program, uint64_t default_seed,
                         const CliExtra *extras, char *err, size_t errlen);

/* `program`: path of the program without extension (the Makefile passes it as PROGRAM_PATH).
   `summary`: one line for --help. `extras`: NULL or an array ended by {0}. */
void cli_parse(Cli *cli, int argc, char **argv, const char *program, const char *summary,
               uint64_t default_seed, const CliExtra *extras);

/* The value for the current scale. */
long cli_scale(const Cli *cli, long quick, long normal, long full);

/* "<out_dir>/<name>" in a static rotating buffer (4 slots), for output file paths. */
const char *cli_out_path(const Cli *cli, const char *name);

#endif
