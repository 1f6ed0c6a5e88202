/* A training program interrupted, and what it leaves behind. L35 5.2's NCSN program
   (lectures/35_score_matching/07_ncsn_gmm2d) trains a network, saves its weights and draws a
   figure. It is started at quick scale and
   - killed with SIGKILL or SIGINT after a range of delays (before, during and after its writes),
   - run under a file-size limit (RLIMIT_FSIZE, a full disk in miniature: writes fail with EFBIG),
   and after each run every file it left at its real name must be whole: a weights file that
   nn_params_verify accepts, a PNG that image_read_png reads. The failing-write run must exit
   non-zero and leave no temporary file. Then the program runs to the end in the same directory:
   it must pass its checks and leave whole files. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cli.h"
#include "common/image.h"
#include "common/nn.h"
#include "common/util.h"

typedef struct {
    int files, whole, broken, temporaries;
    char first_broken[600];
} Survey;

/* Every file of dir: weights (.bin) and figures (.png) must be whole; ".tmp." files counted. */
static Survey survey(const char *dir) {
    Survey s = {0};
    DIR *d = opendir(dir);
    if (!d) return s;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        char path[PATH_MAX], err[300] = "";
        snprintf(path, sizeof path, "%s/%s", dir, n);
        if (strstr(n, ".tmp.")) {
            s.temporaries++;
            continue;
        }
        bool ok;
        if (len > 4 && !strcmp(n + len - 4, ".bin")) {
            ok = nn_params_verify(path, err, sizeof err) == NN_IO_OK;
        } else if (len > 4 && !strcmp(n + len - 4, ".png")) {
            Image8 *img = image_read_png(path, err, sizeof err);
            ok = img != NULL;
            image8_free(img);
        } else {
            continue; /* checks.jsonl is a log, flushed line by line: a cut one is an interrupted run */
        }
        s.files++;
        if (ok) s.whole++;
        else if (!s.broken++) snprintf(s.first_broken, sizeof s.first_broken, "%s (%s)", n, err);
    }
    closedir(d);
    return s;
}

/* Starts the program; fsize > 0 sets RLIMIT_FSIZE (SIGXFSZ ignored, so a write fails with EFBIG). */
static pid_t start(const char *exe, const char *out, long fsize) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    if (fsize > 0) {
        struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
        setrlimit(RLIMIT_FSIZE, &rl);
        signal(SIGXFSZ, SIG_IGN);
    }
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
    execl(exe, exe, "--quick", "--gpu", "off", "--threads", "1", "--out", out, (char *)NULL);
    _exit(127);
}

static int finish(pid_t pid) {
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

int main(int argc, char **argv) {
    Cli cli;
    cli_parse(&cli, argc, argv, PROGRAM_PATH, "a training program killed mid-run leaves only whole files", 0, NULL);

    /* the program sits beside this test in the build tree: bin/checks/unit -> bin/lectures/... */
    char self[PATH_MAX], exe[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *cut = strstr(self, "/checks/unit/");
    if (cut) *cut = '\0';
    snprintf(exe, sizeof exe, "%s/lectures/35_score_matching/07_ncsn_gmm2d", self);
    if (!check_true("reliability.interrupt.program", access(exe, X_OK) == 0, "the program to interrupt is built (%s)", exe))
        return check_end();
    char out[1200];
    snprintf(out, sizeof out, "%s/run", cli.out_dir);
    char rm[1300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", out);
    if (system(rm) != 0) die("cannot clean %s", out);

    /* interrupted runs, one after another in the same directory (as a user re-running would) */
    const long delays_ms[] = {30, 120, 300, 600, 900, 1300, 1800, 2500};
    const int sigs[] = {SIGKILL, SIGINT};
    int runs = 0, files = 0, broken = 0, temporaries = 0;
    char first[600] = "";
    for (size_t s = 0; s < 2; s++)
        for (size_t k = 0; k < sizeof delays_ms / sizeof delays_ms[0]; k++) {
            pid_t pid = start(exe, out, 0);
            sleep_ms(delays_ms[k]);
            kill(pid, sigs[s]);
            finish(pid);
            Survey v = survey(out);
            runs++;
            files += v.files;
            broken += v.broken;
            temporaries = v.temporaries;
            if (v.broken && !first[0]) snprintf(first, sizeof first, "%s", v.first_broken);
        }
    check_true("reliability.interrupt.killed_runs_leave_whole_files", broken == 0,
               "%d runs killed (SIGKILL, SIGINT) after 30 ms .. 2.5 s: %d files found at their names, %d broken%s%s; "
               "%d temporary files left by SIGKILL (never opened by a loader)",
               runs, files, broken, broken ? ": " : "", first, temporaries);

    /* a full disk: every write beyond 20 kB fails */
    if (system(rm) != 0) die("cannot clean %s", out);
    int rc = finish(start(exe, out, 20000));
    Survey v = survey(out);
    check_true("reliability.interrupt.full_disk", rc != 0 && v.broken == 0 && v.temporaries == 0,
               "with writes failing past 20 kB the program exits with status %d (non-zero), leaves %d whole "
               "and %d broken files and %d temporary files", rc, v.whole, v.broken, v.temporaries);

    /* and the next, uninterrupted run in the same directory: checks pass, files whole */
    rc = finish(start(exe, out, 0));
    v = survey(out);
    check_true("reliability.interrupt.next_run", rc == 0 && v.broken == 0 && v.whole >= 2,
               "the next run exits with status %d (its checks pass) and leaves %d whole files (weights and figure), "
               "%d broken", rc, v.whole, v.broken);
    return check_end();
}
