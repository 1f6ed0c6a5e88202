/* Unit tests of the infrastructure every program stands on: the check protocol (common/check.h),
   the command line (common/cli.h) and progress lines (common/progress.h).

   The protocol and the parser end processes (exit codes) and keep global state, so each case
   runs in a forked child whose stdout, stderr and exit status are captured and inspected. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/progress.h"
#include "common/util.h"

typedef struct {
    char out[8192], err[8192];
    int status; /* exit status, or 128 + signal */
} Captured;

/* Reads until end of file (the child writes line by line). */
static void read_all(int fd, char *buf, size_t cap) {
    size_t len = 0;
    ssize_t got;
    while (len < cap - 1 && (got = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)got;
    buf[len] = '\0';
}

/* Runs fn(arg) in a child with stdout and stderr captured. */
static void capture(void (*fn)(void *), void *arg, Captured *c) {
    int po[2], pe[2];
    if (pipe(po) || pipe(pe)) die("pipe failed");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        close(po[0]);
        close(pe[0]);
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    close(po[1]);
    close(pe[1]);
    /* the children's outputs are small (< 4 KiB each), far below a pipe's buffer, so reading one
       stream to its end and then the other cannot deadlock */
    read_all(po[0], c->out, sizeof c->out);
    read_all(pe[0], c->err, sizeof c->err);
    close(po[0]);
    close(pe[0]);
    int st;
    waitpid(pid, &st, 0);
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the check protocol ---- */

static char tmp_out[1100];

static void protocol_all_pass(void *arg) {
    (void)arg;
    check_begin("checks/unit/fake", tmp_out);
    check_close("t.close", 1.0 + 1e-13, 1.0, 1e-12, "eq.a", "close");
    check_rel("t.rel", 1000.5, 1000.0, 1e-3, NULL, "rel");
    check_le("t.le", 0.5, 1.0, 0, NULL, "le");
    check_ge("t.ge", -1e-13, 0.0, 1e-12, NULL, "ge within tol");
    check_in("t.in", 0.3, 0.0, 1.0, NULL, "in");
    check_mc("t.mc", 0.51, 0.5, 0.01, 4, 2500, NULL, "mc");
    check_true("t.true", 1, "true");
    check_skip("t.skip", "no device");
    check_erratum("t.erratum", 2.0, 1.0, "claimed two");
    exit(check_end());
}

static void protocol_failures(void *arg) {
    int which = *(int *)arg;
    check_begin("checks/unit/fake", NULL);
    switch (which) {
    case 0: check_close("t.x", 1.1, 1.0, 0.05, NULL, "outside tol"); break;
    case 1: check_close("t.x", NAN, NAN, 1.0, NULL, "NaN never passes"); break;
    case 2: check_le("t.x", INFINITY, INFINITY, 0, NULL, "inf never passes"); break;
    case 3: check_mc("t.x", 0.6, 0.5, 0.02, 4, 100, NULL, "5 se away"); break;
    case 4:
        check_true("t.x", 1, "first");
        check_true("t.x", 1, "same id again");
        break;
    case 5: check_in("t.x", 1.5, 0, 1, NULL, "outside interval"); break;
    case 6: check_rel("t.x", 0.0, 1e-323, 0.05, NULL, "0 against a subnormal expectation"); break;
    case 7: check_rel("t.x", 1e-300, 0.0, 1e-3, NULL, "a relative bar around 0 is no bar"); break;
    }
    exit(check_end());
}

/* ---- the command line ---- */

static void parse_args(void *arg) {
    char **argv = arg;
    int argc = 0;
    while (argv[argc]) argc++;
    long steps = 10;
    double lr = 0.1;
    int flag = 0;
    const CliExtra extras[] = {{"--steps", CLI_LONG, &steps, "steps"},
                               {"--lr", CLI_DOUBLE, &lr, "learning rate"},
                               {"--flag", CLI_FLAG, &flag, "a flag"},
                               {0}};
    Cli cli;
    cli_parse(&cli, argc, argv, "lectures/99_test/01_prog", "a test program", 5, extras);
    printf("seed=%llu scale=%d out=%s threads=%d gpu=%d data=%s steps=%ld lr=%g flag=%d\n",
           (unsigned long long)cli.seed, (int)cli.scale, cli.out_dir, cli.threads, (int)cli.gpu,
           cli.data_dir, steps, lr, flag);
    exit(check_end());
}

static void progress_short(void *arg) {
    (void)arg;
    Progress p;
    progress_start(&p, "short loop", 1000);
    for (long i = 1; i <= 1000; i++) progress_update(&p, i);
    progress_end(&p);
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "unit tests of check, cli and progress", 0, NULL);
    snprintf(tmp_out, sizeof tmp_out, "%s/fake", cli.out_dir);
    Captured c;

    /* A program whose checks all pass exits 0, prints one line per check, and the SUMMARY counts. */
    capture(protocol_all_pass, NULL, &c);
    check_true("common.check.pass_exit0", c.status == 0, "all-pass program exits 0 (got %d)",
               c.status);
    check_true("common.check.summary_counts",
               strstr(c.out, "SUMMARY checks/unit/fake 7 passed, 0 failed, 1 skipped") != NULL,
               "SUMMARY line counts 7 passed, 0 failed, 1 skipped");
    check_true("common.check.line_format",
               strstr(c.out, CHECK_LINE_PASS "t.close value=") && strstr(c.out, " eq=eq.a :: close\n") &&
                   strstr(c.out, "expect=<=1 ") && strstr(c.out, "expect=in[0,1] ") &&
                   strstr(c.out, CHECK_LINE_SKIP "t.skip :: no device\n"),
               "check lines follow CONVENTIONS.md section 3");
    check_true("common.check.mc_tolerance", strstr(c.out, "tol=0.04 :: mc (4 sigma, se=0.01, n=2500)") != NULL,
               "a Monte-Carlo check prints tol = k se and says k, se and n");
    check_true("common.check.erratum_line",
               strstr(c.out, "ERRATUM t.erratum lecture=2 correct=1 :: claimed two\n") != NULL,
               "ERRATUM line shows the lecture's claim beside the correct value");

    /* The JSON twin: 8 check/skip records, 1 erratum, 1 summary. */
    char path[1200];
    snprintf(path, sizeof path, "%s/checks.jsonl", tmp_out);
    FILE *f = fopen(path, "r");
    int records = 0, checks = 0, errata = 0, summaries = 0;
    char line[2048];
    while (f && fgets(line, sizeof line, f)) {
        records++;
        checks += strstr(line, "\"kind\":\"check\"") != NULL;
        errata += strstr(line, "\"kind\":\"erratum\"") != NULL;
        summaries += strstr(line, "\"kind\":\"summary\"") != NULL;
    }
    if (f) fclose(f);
    check_true("common.check.jsonl", records == 10 && checks == 8 && errata == 1 && summaries == 1,
               "checks.jsonl holds 8 checks, 1 erratum and 1 summary (%d records)", records);

    /* Every kind of failure fails, and makes the exit status 1. */
    const char *why[] = {"outside the tolerance", "NaN value", "infinite value",
                         "5 standard errors off", "repeated id", "outside the interval",
                         "value of 0 for a subnormal expectation (check_rel has no floor)",
                         "nonzero value for an expectation of 0 (relative)"};
    for (int k = 0; k < 8; k++) {
        capture(protocol_failures, &k, &c);
        char id[64];
        snprintf(id, sizeof id, "common.check.fails_%d", k);
        check_true(id, c.status == 1 && strstr(c.out, CHECK_LINE_FAIL "t.x") != NULL,
                   "a check with a %s fails and the program exits 1 (got %d)", why[k], c.status);
    }

    /* The command line. */
    char *good[] = {"prog", "--seed", "17", "--quick", "--out", "/tmp/x", "--threads", "2",
                    "--gpu", "off", "--data", "d", "--steps", "30", "--lr", "1e-3", "--flag", NULL};
    capture(parse_args, good, &c);
    check_true("common.cli.parse_all",
               c.status == 0 &&
                   strstr(c.out, "seed=17 scale=0 out=/tmp/x threads=2 gpu=1 data=d steps=30 "
                                 "lr=0.001 flag=1") != NULL,
               "every common flag and the program's own flags parse");
    /* cli_parse records the run's settings as the first line of checks.jsonl */
    FILE *rf = fopen("/tmp/x/checks.jsonl", "r");
    char first[512] = "";
    if (rf) {
        if (!fgets(first, sizeof first, rf)) first[0] = '\0';
        fclose(rf);
    }
    check_true("common.cli.run_record",
               strstr(first, "{\"kind\":\"run\",\"program\":\"lectures/99_test/01_prog\","
                             "\"scale\":\"quick\",\"seed\":17,\"threads\":2,\"gpu\":\"off\","
                             "\"date\":\"20") == first,
               "checks.jsonl starts with the run's scale, seed, threads, gpu mode and date");
    char *defaults[] = {"prog", NULL};
    capture(parse_args, defaults, &c);
    check_true("common.cli.defaults",
               c.status == 0 && strstr(c.out, "seed=5 scale=1 out=out/99_test/01_prog threads=0 "
                                              "gpu=0 data=data steps=10") != NULL,
               "defaults: program seed, default scale, out/<lecture>/<program>, gpu auto");
    char *help[] = {"prog", "--help", NULL};
    capture(parse_args, help, &c);
    check_true("common.cli.help", c.status == 0 && strstr(c.out, "usage: 01_prog") &&
                                      strstr(c.out, "--steps N"),
               "--help prints the usage (with the program's flags) and exits 0");
    char *bad[][4] = {{"prog", "--bogus", NULL},       {"prog", "--seed", "-3", NULL},
                      {"prog", "--threads", "0", NULL}, {"prog", "--gpu", "maybe", NULL},
                      {"prog", "--steps", "ten", NULL}, {"prog", "--lr", NULL}};
    for (int k = 0; k < 6; k++) {
        capture(parse_args, bad[k], &c);
        char id[64];
        snprintf(id, sizeof id, "common.cli.rejects_%d", k);
        check_true(id, c.status == 2 && strstr(c.err, "error: ") && strstr(c.err, "usage:"),
                   "'%s %s' prints an error and the usage to stderr and exits 2 (got %d)",
                   bad[k][1], bad[k][2] ? bad[k][2] : "", c.status);
    }

    /* A loop that ends within 2 s prints no progress line. */
    capture(progress_short, NULL, &c);
    check_true("common.progress.silent_short", c.status == 0 && c.err[0] == '\0',
               "a loop shorter than 2 s prints nothing");
    return check_end();
}
