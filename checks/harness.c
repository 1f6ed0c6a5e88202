/* harness — runs the course's programs and turns their check lines into one verdict.

   harness --mode run|check [--timeout SECONDS] [--args "EXTRA ARGS"] [--logs DIR] -- PROGRAM...

   A PROGRAM may carry arguments of its own after a colon, commas for spaces: "path:--gpu,on" (a
   program that uses the GPU backend runs a second time that way). Each is an executable built under build/<variant>/bin/; it prints CHECK / ERRATUM /
   SUMMARY lines (CONVENTIONS.md §3). The harness runs it with a time limit, reads its output,
   and counts. A program fails when a check fails, when it exits non-zero, dies on a signal,
   runs past the limit, or prints no SUMMARY line; such a program adds one failure to the count
   even if its own checks passed, so the final line never hides it.

   --mode run    prints every line of every program as it comes (what `make run` shows)
   --mode check  prints only FAIL lines and problems, keeps full logs under --logs DIR
                 (default out/logs), then a table per lecture

   The last line is `checks: N passed, N failed, N skipped`; the exit status is 0 when N failed is 0.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/util.h"

typedef struct {
    char name[1024]; /* lectures/07_mle/01_mle_cross_entropy */
    char group[1024]; /* lectures/07_mle */
    int passed, failed, skipped, errata;
    int has_summary, exit_code, signal, timed_out;
    double seconds;
    int ok;
} Result;

static double wall(void) { return now_seconds(); }

/* build/release/bin/lectures/07_mle/01_x -> lectures/07_mle/01_x */
static void display_name(const char *path, char *out, size_t n) {
    const char *p = strstr(path, "/bin/");
    snprintf(out, n, "%s", p ? p + 5 : path);
}

/* Split a string of extra arguments on spaces (no quoting needed for our flags). */
static int split_args(char *s, char **argv, int max) {
    int n = 0;
    for (char *tok = strtok(s, " "); tok && n < max; tok = strtok(NULL, " ")) argv[n++] = tok;
    return n;
}

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void parse_line(Result *r, const char *line) {
    if (starts_with(line, CHECK_LINE_PASS)) r->passed++;
    else if (starts_with(line, CHECK_LINE_FAIL)) r->failed++;
    else if (starts_with(line, CHECK_LINE_SKIP)) r->skipped++;
    else if (starts_with(line, CHECK_LINE_ERRATUM)) r->errata++;
    else if (starts_with(line, CHECK_LINE_SUMMARY)) r->has_summary = 1;
}

/* "path:args" -> path, args (args empty when there is no colon). Commas in args stand for spaces,
   so that make can pass "prog:--gpu,on" as one word. */
static void split_spec(const char *spec, char *path, size_t np, char *args, size_t na) {
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    snprintf(path, np, "%.*s", (int)len, spec);
    snprintf(args, na, "%s", colon ? colon + 1 : "");
    for (char *c = args; *c; c++)
        if (*c == ',') *c = ' ';
}

static void run_one(const char *spec, const char *extra, int timeout, int verbose,
                    const char *logdir, Result *r) {
    memset(r, 0, sizeof *r);
    char path[1024], own[256], all_args[1400], tag[256] = "";
    split_spec(spec, path, sizeof path, own, sizeof own);
    snprintf(all_args, sizeof all_args, "%s %s", extra ? extra : "", own);
    display_name(path, r->name, sizeof r->name);
    snprintf(r->group, sizeof r->group, "%s", r->name);
    char *slash = strrchr(r->group, '/');
    if (slash) *slash = '\0';
    if (own[0]) { /* "01_x [--gpu on]", log "01_x.--gpu_on.log"; an --out DIR at the end is
                     where the run writes, not what it is, and is left out of both */
        char shown[256];
        snprintf(shown, sizeof shown, "%s", own);
        char *o = strstr(shown, " --out ");
        if (o) *o = '\0';
        size_t n = strlen(r->name);
        snprintf(r->name + n, sizeof r->name - n, " [%s]", shown);
        for (size_t i = 0; shown[i] && i < sizeof tag - 2; i++) tag[i] = shown[i] == ' ' ? '_' : shown[i];
    }

    char logpath[1400];
    char base_name[1024];
    display_name(path, base_name, sizeof base_name);
    snprintf(logpath, sizeof logpath, "%s/%s%s%s.log", logdir, base_name, tag[0] ? "." : "", tag);
    char logdir_full[1400];
    snprintf(logdir_full, sizeof logdir_full, "%s", logpath);
    *strrchr(logdir_full, '/') = '\0';
    if (mkdir_p(logdir_full) != 0) die("cannot create '%s'", logdir_full);
    FILE *log = fopen(logpath, "w");
    if (!log) die("cannot write '%s'", logpath);

    int fds[2];
    if (pipe(fds) != 0) die("pipe: %s", strerror(errno));
    double t0 = wall();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0); /* own process group, so a timeout kills its children too */
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        char *argv[64];
        char extra_copy[1400];
        snprintf(extra_copy, sizeof extra_copy, "%s", all_args);
        argv[0] = path;
        int n = 1 + split_args(extra_copy, argv + 1, 60);
        argv[n] = NULL;
        execv(path, argv);
        fprintf(stderr, "harness: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(fds[1]);

    char buf[8192], line[8192];
    size_t len = 0;
    int open_pipe = 1;
    while (open_pipe) {
        double left = timeout - (wall() - t0);
        if (left <= 0) {
            r->timed_out = 1;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) continue;
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got <= 0) {
            open_pipe = 0;
            got = 0;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (len < sizeof line - 1) line[len++] = buf[i];
            if (buf[i] == '\n') {
                line[len] = '\0';
                fputs(line, log);
                parse_line(r, line);
                if (verbose || starts_with(line, CHECK_LINE_FAIL)) {
                    if (!verbose) printf("  %s: ", r->name);
                    fputs(line, stdout);
                    fflush(stdout);
                }
                len = 0;
            }
        }
    }
    if (len > 0) { /* a last line without newline */
        line[len] = '\0';
        fputs(line, log);
        fputc('\n', log);
        parse_line(r, line);
        if (verbose) printf("%s\n", line);
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    r->seconds = wall() - t0;
    if (WIFEXITED(status)) r->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r->signal = WTERMSIG(status);
    fclose(log);

    r->ok = !r->timed_out && !r->signal && r->exit_code == 0 && r->failed == 0 && r->has_summary;
    if (!r->ok) {
        printf("  %s: ", r->name);
        if (r->timed_out) printf("TIMEOUT after %d s", timeout);
        else if (r->signal) printf("CRASHED (signal %d: %s)", r->signal, strsignal(r->signal));
        else if (r->exit_code && !r->failed) printf("exit status %d", r->exit_code);
        else if (!r->has_summary) printf("no SUMMARY line");
        else printf("%d check(s) failed", r->failed);
        printf("  (log: %s)\n", logpath);
        fflush(stdout);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: harness --mode run|check [--timeout S] [--args \"...\"] [--logs DIR] "
                    "-- PROGRAM...\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *mode = "check", *logdir = "out/logs";
    char *extra = "";
    int timeout = 300, i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) { i++; break; }
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--mode")) mode = argv[++i];
        else if (!strcmp(argv[i], "--timeout")) timeout = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--args")) extra = argv[++i];
        else if (!strcmp(argv[i], "--logs")) logdir = argv[++i];
        else usage();
    }
    if ((strcmp(mode, "run") && strcmp(mode, "check")) || timeout <= 0) usage();
    int verbose = !strcmp(mode, "run");
    int n = argc - i;
    if (n <= 0) {
        fprintf(stderr, "harness: no programs to run (is L= a lecture number that exists?)\n");
        return 2;
    }
    Result *res = xcalloc((size_t)n, sizeof *res);
    for (int k = 0; k < n; k++) {
        if (verbose) {
            char name[512];
            display_name(argv[i + k], name, sizeof name);
            for (char *c = name; *c; c++)
                if (*c == ':' || *c == ',') *c = ' ';
            printf("\n=== %s\n", name);
            fflush(stdout);
        }
        run_one(argv[i + k], extra, timeout, verbose, logdir, &res[k]);
    }

    int passed = 0, failed = 0, skipped = 0, bad = 0, errata = 0;
    double total = 0;
    printf("\n");
    for (int k = 0; k < n; k++) {
        if (k == 0 || strcmp(res[k].group, res[k - 1].group)) {
            printf("%s\n  %-44s %5s %5s %5s %7s %8s  %s\n", res[k].group, "program", "pass", "fail",
                   "skip", "errata", "time", "status");
        }
        const char *base = strrchr(res[k].name, '/');
        base = base ? base + 1 : res[k].name;
        const char *status = res[k].ok ? "ok"
                             : res[k].timed_out ? "TIMEOUT"
                             : res[k].signal ? "CRASH"
                             : res[k].failed ? "FAIL"
                             : !res[k].has_summary ? "NO SUMMARY" : "EXIT";
        printf("  %-44s %5d %5d %5d %7d %7.2fs  %s\n", base, res[k].passed, res[k].failed,
               res[k].skipped, res[k].errata, res[k].seconds, status);
        passed += res[k].passed;
        failed += res[k].failed;
        skipped += res[k].skipped;
        errata += res[k].errata;
        total += res[k].seconds;
        if (!res[k].ok && res[k].failed == 0) bad++; /* a crash etc. counts as one failure */
    }
    printf("\n%d program(s) in %.1f s; %d erratum line(s); logs in %s/\n", n, total, errata,
           logdir);
    if (bad) printf("%d program(s) crashed, timed out or exited badly: counted as failures\n", bad);
    printf("checks: %d passed, %d failed, %d skipped\n", passed, failed + bad, skipped);
    free(res);
    return (failed + bad) ? 1 : 0;
}
