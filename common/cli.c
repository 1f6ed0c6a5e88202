/* cli — see cli.h. */
#include "common/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/parallel.h"
#include "common/util.h"

static void usage(FILE *f, const char *program, const char *summary, uint64_t seed,
                  const CliExtra *extras) {
    const char *base = strrchr(program, '/');
    fprintf(f, "usage: %s [options]\n  %s\n\noptions:\n", base ? base + 1 : program, summary);
    fprintf(f, "  --help            this text\n");
    fprintf(f, "  --seed N          master seed (default %llu)\n", (unsigned long long)seed);
    fprintf(f, "  --quick           smoke scale (for sanitizer runs)\n");
    fprintf(f, "  --full            the lecture's full scale (may take long)\n");
    fprintf(f, "  --out DIR         output directory (default out/<lecture>/<program>/)\n");
    fprintf(f, "  --threads N       worker threads, N >= 1 (results do not depend on it)\n");
    fprintf(f, "  --gpu MODE        auto | off | on (on: also a CPU Vulkan driver)\n");
    fprintf(f, "  --data DIR        dataset directory (default data)\n");
    for (const CliExtra *e = extras; e && e->name; e++) {
        const char *arg = e->type == CLI_FLAG     ? ""
                          : e->type == CLI_STRING ? " S"
                          : e->type == CLI_DOUBLE ? " X"
                                                  : " N";
        char left[64];
        snprintf(left, sizeof left, "%s%s", e->name, arg);
        fprintf(f, "  %-17s %s\n", left, e->help);
    }
}

static int parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

CliStatus cli_parse_args(Cli *cli, int argc, char **argv, const char *program, uint64_t default_seed,
                         const CliExtra *extras, char *err, size_t errlen) {
    memset(cli, 0, sizeof *cli);
    cli->program = program;
    cli->seed = default_seed;
    cli->scale = SCALE_DEFAULT;
    cli->gpu = GPU_AUTO;
    cli->data_dir = "data";
    const char *out = NULL;
#define BAD(what, arg)                                                   \
    do {                                                                 \
        snprintf(err, errlen, "%s '%s'", what, arg);                     \
        return CLI_ERROR;                                                \
    } while (0)
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            return CLI_HELP;
        } else if (!strcmp(a, "--quick")) {
            cli->scale = SCALE_QUICK;
        } else if (!strcmp(a, "--full")) {
            cli->scale = SCALE_FULL;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            if (!v || *v == '-') BAD("--seed needs a non-negative integer, got", v ? v : "");
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || *end || end == v) BAD("--seed needs a non-negative integer, got", v);
            cli->seed = s;
            i++;
        } else if (!strcmp(a, "--out")) {
            if (!v || !*v) BAD("--out needs a directory", "");
            /* room for the file names a program appends (cli_out_path) */
            if (strlen(v) + 64 >= sizeof cli->out_dir) BAD("--out: the directory name is too long", "");
            out = v;
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (!v || parse_long(v, &n) || n < 1 || n > 4096)
                BAD("--threads needs an integer in 1..4096, got", v ? v : "");
            cli->threads = (int)n;
            i++;
        } else if (!strcmp(a, "--gpu")) {
            if (v && !strcmp(v, "auto")) cli->gpu = GPU_AUTO;
            else if (v && !strcmp(v, "off")) cli->gpu = GPU_OFF;
            else if (v && !strcmp(v, "on")) cli->gpu = GPU_ON;
            else BAD("--gpu takes auto, off or on, got", v ? v : "");
            i++;
        } else if (!strcmp(a, "--data")) {
            if (!v || !*v) BAD("--data needs a directory", "");
            cli->data_dir = v;
            i++;
        } else {
            const CliExtra *e = extras;
            while (e && e->name && strcmp(e->name, a)) e++;
            if (!e || !e->name) BAD("unknown option", a);
            if (e->type == CLI_FLAG) {
                *(int *)e->target = 1;
                continue;
            }
            if (!v) BAD("missing value for", a);
            i++;
            if (e->type == CLI_STRING) {
                *(const char **)e->target = v;
            } else if (e->type == CLI_DOUBLE) {
                char *end;
                errno = 0;
                double d = strtod(v, &end);
                if (errno || *end || end == v) BAD("not a number", v);
                *(double *)e->target = d;
            } else {
                if (parse_long(v, &n)) BAD("not an integer", v);
                if (e->type == CLI_INT) {
                    if (n < -2147483647L || n > 2147483647L) BAD("integer out of range", v);
                    *(int *)e->target = (int)n;
                } else {
                    *(long *)e->target = n;
                }
            }
        }
    }
#undef BAD
    if (out) {
        snprintf(cli->out_dir, sizeof cli->out_dir, "%s", out);
    } else {
        /* lectures/07_mle/01_x -> out/07_mle/01_x ; checks/unit/test_x -> out/checks/unit/test_x */
        const char *rel = strncmp(program, "lectures/", 9) == 0 ? program + 9 : program;
        snprintf(cli->out_dir, sizeof cli->out_dir, "out/%s", rel);
    }
    return CLI_OK;
}

void cli_parse(Cli *cli, int argc, char **argv, const char *program, const char *summary,
               uint64_t default_seed, const CliExtra *extras) {
    char err[512];
    CliStatus st = cli_parse_args(cli, argc, argv, program, default_seed, extras, err, sizeof err);
    if (st == CLI_HELP) {
        usage(stdout, program, summary, default_seed, extras);
        exit(0);
    }
    if (st == CLI_ERROR) {
        fprintf(stderr, "error: %s\n\n", err);
        usage(stderr, program, summary, default_seed, extras);
        exit(2);
    }
    par_set_threads(cli->threads);
    check_begin(program, cli->out_dir);
    check_run_info(cli->scale == SCALE_QUICK ? "quick" : cli->scale == SCALE_FULL ? "full" : "default",
                   (unsigned long long)cli->seed, cli->threads,
                   cli->gpu == GPU_OFF ? "off" : cli->gpu == GPU_ON ? "on" : "auto");
}

long cli_scale(const Cli *cli, long quick, long normal, long full) {
    return cli->scale == SCALE_QUICK ? quick : cli->scale == SCALE_FULL ? full : normal;
}

const char *cli_out_path(const Cli *cli, const char *name) {
    static char buf[4][2048];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", cli->out_dir, name);
    return b;
}
