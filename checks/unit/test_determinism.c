/* Determinism of the lecture programs (CONVENTIONS.md §4): every program built next to this test
   is run twice at quick scale, once with --threads 1 and once with --threads 2, and its standard
   output must be the same bytes; then once more with --threads 2 to catch run-to-run variation
   (a race, an uninitialised value, a clock in the output). The three runs go at once (see main).
   `--lecture 07` limits it to one lecture: make check runs it once per lecture, each run with
   its own time limit.

   Under the sanitizers (make check SAN=1) it says SKIP: there it would run every program three
   more times at a tenth of the speed, and what it checks is a property of the sources, which the
   release build's run of the same test establishes; the sanitizer run itself runs every program.

   The programs are found relative to this executable: <build>/bin/checks/unit/test_determinism
   -> <build>/bin/lectures/<lecture>/<program>. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/util.h"

/* One quick run of a program, its standard output collected through a pipe. */
typedef struct {
    pid_t pid;
    int fd, status;
    char *buf;
    size_t len, cap;
} Run;

/* Starts `prog --quick --threads T --out DIR` with its stdout on a pipe. */
static void run_start(Run *r, const char *prog, int threads, const char *out_dir) {
    int fds[2];
    if (pipe(fds) != 0) die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!freopen("/dev/null", "w", stderr)) _exit(127); /* progress lines are not compared */
        char t[16];
        snprintf(t, sizeof t, "%d", threads);
        execl(prog, prog, "--quick", "--threads", t, "--out", out_dir, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *r = (Run){.pid = pid, .fd = fds[0], .cap = 1 << 16};
    r->buf = xmalloc(r->cap);
}

/* Reads the n runs' outputs as they come (poll: none blocks on a full pipe), then reaps them;
   each r->buf ends up a NUL-terminated string. */
static void run_collect(Run *r, int n) {
    for (int open_fds = n; open_fds > 0;) {
        struct pollfd pf[8];
        for (int k = 0; k < n; k++) pf[k] = (struct pollfd){.fd = r[k].fd, .events = POLLIN};
        if (poll(pf, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }
        for (int k = 0; k < n; k++) {
            if (r[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (r[k].len + 4096 > r[k].cap) r[k].buf = xrealloc(r[k].buf, r[k].cap *= 2);
            ssize_t got = read(r[k].fd, r[k].buf + r[k].len, r[k].cap - r[k].len - 1);
            if (got < 0 && errno == EINTR) continue;
            if (got > 0) {
                r[k].len += (size_t)got;
                continue;
            }
            close(r[k].fd);
            r[k].fd = -1;
            open_fds--;
        }
    }
    for (int k = 0; k < n; k++) {
        r[k].buf[r[k].len] = '\0';
        waitpid(r[k].pid, &r[k].status, 0);
    }
}

int main(int argc, char **argv) {
    Cli cli;
    const char *only = NULL;
    const CliExtra extras[] = {{"--lecture", CLI_STRING, &only, "only this lecture (07, 35, n1, ...)"}, {0}};
    cli_parse(&cli, argc, argv, PROGRAM_PATH,
              "same output for --threads 1 and 2, and run to run, for every lecture program", 0,
              extras);
#if defined(__SANITIZE_ADDRESS__)
    check_skip("common.determinism.sanitizers",
               "determinism is checked by the release build's run of this test (see the header)");
    return check_end();
#endif
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) die("cannot find this executable's path");
    self[n] = '\0';
    char *cut = strstr(self, "/bin/checks/unit/");
    if (!cut) die("unexpected location %s", self);
    strcpy(cut, "/bin/lectures");

    int programs = 0;
    struct dirent **lecture_list = NULL;
    int n_lectures = scandir(self, &lecture_list, NULL, alphasort);
    for (int l = 0; l < n_lectures; l++) {
        const char *lecture = lecture_list[l]->d_name;
        if (lecture[0] == '.') continue;
        if (only && strncmp(lecture, only, strlen(only)) != 0) continue;
        char dir[4600];
        snprintf(dir, sizeof dir, "%s/%s", self, lecture);
        struct dirent **progs = NULL;
        int n_progs = scandir(dir, &progs, NULL, alphasort);
        for (int p = 0; p < n_progs; p++) {
            const char *name = progs[p]->d_name;
            char path[4900];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            struct stat st;
            if (name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode) ||
                !(st.st_mode & S_IXUSR))
                continue;
            programs++;
            char out1[1600], out2[1600], out3[1600];
            snprintf(out1, sizeof out1, "%s/%s/%s/t1", cli.out_dir, lecture, name);
            snprintf(out2, sizeof out2, "%s/%s/%s/t2", cli.out_dir, lecture, name);
            snprintf(out3, sizeof out3, "%s/%s/%s/t2b", cli.out_dir, lecture, name);
            /* the three runs at once: the machine is otherwise idle while this test runs, and
               their outputs must not depend on how the scheduler interleaves them either */
            Run r[3];
            run_start(&r[0], path, 1, out1);
            run_start(&r[1], path, 2, out2);
            run_start(&r[2], path, 2, out3);
            run_collect(r, 3);
            const char *a = r[0].buf, *b = r[1].buf, *c = r[2].buf;
            int ran = 1;
            for (int k = 0; k < 3; k++) ran = ran && WIFEXITED(r[k].status);
            ran = ran && strlen(a) > 0;
            char id[600];
            snprintf(id, sizeof id, "common.determinism.%s.%s.threads", lecture, name);
            check_true(id, ran && strcmp(a, b) == 0,
                       "%s/%s: same stdout with --threads 1 and --threads 2 (%zu bytes)", lecture,
                       name, strlen(a));
            snprintf(id, sizeof id, "common.determinism.%s.%s.rerun", lecture, name);
            check_true(id, ran && strcmp(b, c) == 0, "%s/%s: same stdout on a second run",
                       lecture, name);
            for (int k = 0; k < 3; k++) free(r[k].buf);
        }
        for (int p = 0; p < n_progs; p++) free(progs[p]);
        free(progs);
    }
    for (int l = 0; l < n_lectures; l++) free(lecture_list[l]);
    free(lecture_list);
    check_true("common.determinism.found_programs", programs > 0,
               "found %d lecture program(s) under %s", programs, self);
    return check_end();
}
